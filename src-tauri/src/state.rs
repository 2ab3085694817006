//! What the shell holds while running: in host mode the open register (shared with the LAN
//! server when that is on) and its county sync worker, in desk mode the host's address, the
//! pinned fingerprint of its certificate and this desk's pairing token.
//!
//! The LAN server of a host is `xinfang serve --tls`'s: beyond loopback it speaks only TLS with
//! the certificate made once in `<data>/tls/`, and `xinfang_server::http`'s pairing guard
//! refuses desks without a token. A desk talks to an `https://` host only through
//! `xinfang_tls::client::Pinned`, which accepts exactly the fingerprint typed at setup.

use std::sync::{Arc, Mutex};

use serde_json::Value;
use xinfang_core::{ApiError, Register, ops};
use xinfang_server::changes::{Change, Changes, MAX_WAIT};

use crate::config::{Dirs, HostLink, Mode, ShellConfig, check_host};

/// The host a desk uses, as far as the connection goes.
#[derive(Debug, Clone)]
pub struct Remote {
    /// The address and, for `https://`, the pinned certificate.
    pub link: HostLink,
    /// The token from pairing, sent as `X-Xinfang-Desk`.
    pub desk_token: Option<String>,
}

/// An agent for one host: pinned for `https://`, plain for loopback `http://`.
enum Agent {
    Plain(ureq::Agent),
    Pinned(xinfang_tls::client::Pinned),
}

impl Agent {
    fn new(link: &HostLink, timeout: std::time::Duration) -> Agent {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .build();
        match link {
            HostLink::Loopback(_) => Agent::Plain(config.into()),
            HostLink::Pinned(_, pin) => {
                Agent::Pinned(xinfang_tls::client::Pinned::new(*pin, config))
            }
        }
    }

    fn agent(&self) -> &ureq::Agent {
        match self {
            Agent::Plain(agent) => agent,
            Agent::Pinned(pinned) => &pinned.agent,
        }
    }

    /// What went wrong on the way: the host showed another certificate than the pinned one
    /// (`host_certificate_mismatch`, at the fingerprint field), or it could not be reached.
    fn failure(&self, url: &str, detail: &dyn std::fmt::Display, context: &str) -> ApiError {
        if let Agent::Pinned(pinned) = self
            && let Some(shown) = pinned.refused()
        {
            return ApiError {
                code: "host_certificate_mismatch".into(),
                message: format!(
                    "主机（{url}）出示的证书指纹为 {shown}，与本机记录的不一致，已拒绝连接：\
                     请到主机的“设置”中核对证书指纹（可能连接到了别的电脑）"
                ),
                field: Some("host_fingerprint".into()),
            };
        }
        ApiError {
            code: "unreachable".into(),
            message: format!("无法连接接待中心主机（{url}）{context}：{detail}"),
            field: None,
        }
    }
}

/// The register or the host, chosen at first start.
pub enum Backend {
    /// First start: nothing chosen yet.
    Unconfigured,
    /// This PC holds the register, and the change feed its windows and the LAN listen to.
    Host(Arc<Mutex<Register>>, Changes),
    /// Another PC holds it.
    Desk(Remote),
    /// The chosen register could not be opened; the message says why.
    Broken(ApiError),
}

/// Managed state of the app.
pub struct DeskState {
    /// Where things live.
    pub dirs: Dirs,
    /// Current settings.
    pub config: Mutex<Option<ShellConfig>>,
    /// Current backend.
    pub backend: Mutex<Backend>,
    /// Host mode: the county sync worker on the register (stopped when the backend changes).
    sync: Mutex<Option<xinfang_server::sync::SyncWorker>>,
    /// Host mode: daily backups of the register into `<data>/backups`, as `xinfang serve` does.
    backup: Mutex<Option<xinfang_server::backup::BackupWorker>>,
    /// Host mode with "serve to the LAN": where it listens and its certificate, or why not.
    pub lan: Mutex<Option<Result<LanServing, String>>>,
}

/// The host's LAN server as started. Dropping the last clone stops it.
#[derive(Debug, Clone)]
pub struct LanServing {
    /// The bound address.
    pub addr: std::net::SocketAddr,
    /// The SHA-256 of its certificate, when it serves TLS (always beyond loopback).
    pub fingerprint: Option<String>,
    stop: std::sync::Arc<LanStop>,
}

impl LanServing {
    /// Stops the server and waits until its address is free again (a few seconds at most).
    pub fn stop(&self) {
        self.stop.stop();
    }
}

/// Ends the LAN server's thread: on a change of settings the old server must let go of its
/// address and of the old register before the new ones are opened, or the new server cannot
/// bind and the old one goes on serving the register the shell has left.
#[derive(Debug)]
struct LanStop {
    signal: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl LanStop {
    fn stop(&self) {
        if let Some(signal) = lock(&self.signal).take() {
            let _ = signal.send(());
        }
        if let Some(thread) = lock(&self.thread).take() {
            let _ = thread.join();
        }
    }
}

impl Drop for LanStop {
    fn drop(&mut self) {
        self.stop();
    }
}

/// How long a stopping LAN server waits for requests in flight.
const LAN_STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(3);

/// How often the host tries the county hub when nothing asks sooner (`xinfang serve`'s default).
const SYNC_INTERVAL: std::time::Duration = std::time::Duration::from_secs(30);

fn sync_worker(backend: &Backend) -> Option<xinfang_server::sync::SyncWorker> {
    match backend {
        Backend::Host(register, _) => Some(xinfang_server::sync::SyncWorker::spawn(
            register.clone(),
            SYNC_INTERVAL,
        )),
        _ => None,
    }
}

/// How often the host backs its register up (`xinfang serve`'s default).
const BACKUP_EVERY: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

fn backup_worker(dirs: &Dirs, backend: &Backend) -> Option<xinfang_server::backup::BackupWorker> {
    match backend {
        Backend::Host(..) => Some(xinfang_server::backup::BackupWorker::spawn(
            dirs.data.clone(),
            xinfang_server::backup::Policy::for_data_dir(&dirs.data),
            BACKUP_EVERY,
            xinfang_core::audit::DESK_HOST,
        )),
        _ => None,
    }
}

impl DeskState {
    /// Loads settings and opens the backend they name.
    pub fn load(dirs: Dirs) -> DeskState {
        let config = ShellConfig::load(&dirs);
        let (backend, lan) = match &config {
            None => (Backend::Unconfigured, None),
            Some(config) => open_backend(&dirs, config),
        };
        let sync = sync_worker(&backend);
        let backup = backup_worker(&dirs, &backend);
        DeskState {
            dirs,
            config: Mutex::new(config),
            backend: Mutex::new(backend),
            sync: Mutex::new(sync),
            backup: Mutex::new(backup),
            lan: Mutex::new(lan),
        }
    }

    /// Replaces the backend after the first-start choice or a change in settings.
    pub fn reconfigure(&self, config: ShellConfig) {
        // The old workers and LAN server stop before the old register is let go (and the LAN
        // server before the new one binds the same address).
        if let Some(worker) = lock(&self.sync).take() {
            worker.stop();
        }
        if let Some(worker) = lock(&self.backup).take() {
            worker.stop();
        }
        if let Some(Ok(serving)) = lock(&self.lan).take() {
            serving.stop();
        }
        let (backend, lan) = open_backend(&self.dirs, &config);
        *lock(&self.lan) = lan;
        *lock(&self.sync) = sync_worker(&backend);
        *lock(&self.backup) = backup_worker(&self.dirs, &backend);
        *lock(&self.backend) = backend;
        *lock(&self.config) = Some(config);
    }

    /// Runs one operation wherever the register is.
    pub fn call(&self, name: &str, input: Value, token: Option<String>) -> Result<Value, ApiError> {
        let backend = lock(&self.backend);
        match &*backend {
            Backend::Unconfigured => Err(ApiError {
                code: "not_configured".into(),
                message: "请先完成首次设置：选择本机作为接待中心主机，或连接到主机".into(),
                field: None,
            }),
            Backend::Broken(err) => Err(err.clone()),
            Backend::Host(register, changes) => {
                let (register, changes) = (register.clone(), changes.clone());
                drop(backend);
                let mut register = lock(&register);
                let result = ops::call_with_token(
                    &mut register,
                    token.as_deref(),
                    xinfang_core::audit::DESK_HOST,
                    name,
                    input,
                );
                if result.is_ok() && ops::find(name).is_some_and(|op| op.mutates) {
                    changes.notify(name);
                }
                result.map_err(|e| e.to_api())
            }
            Backend::Desk(remote) => {
                let remote = remote.clone();
                drop(backend);
                forward(&remote, name, &input, token.as_deref())
            }
        }
    }

    /// Waits until the register changes (counter differs from `after`), at most 25 s: from the
    /// host's own feed in host mode, by a long poll of the host in desk mode.
    pub async fn wait_change(&self, after: Option<u64>) -> Result<Change, ApiError> {
        enum Source {
            Local(Changes),
            Remote(Remote),
        }
        let source = match &*lock(&self.backend) {
            Backend::Host(_, changes) => Source::Local(changes.clone()),
            Backend::Desk(remote) => Source::Remote(remote.clone()),
            Backend::Unconfigured | Backend::Broken(_) => {
                return Err(ApiError {
                    code: "not_configured".into(),
                    message: "请先完成首次设置".into(),
                    field: None,
                });
            }
        };
        match source {
            Source::Local(changes) => Ok(match after {
                Some(after) => changes.wait(after, MAX_WAIT).await,
                None => changes.current(),
            }),
            Source::Remote(remote) => {
                tauri::async_runtime::spawn_blocking(move || poll_host(&remote, after))
                    .await
                    .map_err(|e| ApiError {
                        code: "internal".into(),
                        message: format!("等待主机变更时出错：{e}"),
                        field: None,
                    })?
            }
        }
    }

    /// Host mode: a one-time pairing code for a LAN desk, for a signed-in administrator only
    /// (how the centre's machines are set up is the system administrator's).
    pub fn pair_code(&self, token: Option<&str>) -> Result<String, ApiError> {
        let (register, session) = self.host_admin(token, "生成局域网配对码")?;
        let register = lock(&register);
        let random = xinfang_server::bundle::random_32().map_err(|e| ApiError {
            code: "internal".into(),
            message: format!("无法生成配对码：{e}"),
            field: None,
        })?;
        xinfang_server::lan::issue_code_by(
            &register,
            random,
            Some(&session),
            xinfang_core::audit::DESK_HOST,
        )
        .map_err(|e| e.to_api())
    }

    /// Host mode: the desks paired with this host, newest first; administrators only.
    pub fn lan_desks(
        &self,
        token: Option<&str>,
    ) -> Result<Vec<xinfang_server::lan::PairedDesk>, ApiError> {
        let (register, _) = self.host_admin(token, "查看已配对的工作站")?;
        let register = lock(&register);
        xinfang_server::lan::paired_desks(&register).map_err(|e| e.to_api())
    }

    /// Host mode: revokes a paired desk at once (a lost or retired PC); administrators only.
    pub fn lan_desk_revoke(
        &self,
        token: Option<&str>,
        id: &str,
    ) -> Result<xinfang_server::lan::PairedDesk, ApiError> {
        let (register, session) = self.host_admin(token, "撤销工作站的配对")?;
        let register = lock(&register);
        xinfang_server::lan::revoke(
            &register,
            id,
            Some(&session),
            xinfang_core::audit::DESK_HOST,
        )
        .map_err(|e| e.to_api())
    }

    /// The register and the session of a signed-in system administrator of this host, or the
    /// refusal: not a host (`not_host`), not signed in, or another role (`forbidden`).
    fn host_admin(
        &self,
        token: Option<&str>,
        what: &str,
    ) -> Result<(Arc<Mutex<Register>>, xinfang_core::auth::Session), ApiError> {
        let Backend::Host(register, _) = &*lock(&self.backend) else {
            return Err(ApiError {
                code: "not_host".into(),
                message: format!("只有接待中心主机才能{what}"),
                field: None,
            });
        };
        let register = register.clone();
        let session = {
            let guard = lock(&register);
            xinfang_core::auth::session_for_token(&guard, token.unwrap_or(""))
                .map_err(|e| e.to_api())?
        };
        if session.role != xinfang_core::model::Role::Admin {
            return Err(ApiError {
                code: "forbidden".into(),
                message: format!("只有系统管理员可以{what}"),
                field: None,
            });
        }
        Ok((register, session))
    }

    /// Stops the sync and backup workers and checkpoints the WAL on exit.
    pub fn shutdown(&self) {
        if let Some(worker) = lock(&self.sync).take() {
            worker.stop();
        }
        if let Some(worker) = lock(&self.backup).take() {
            worker.stop();
        }
        if let Some(Ok(serving)) = lock(&self.lan).take() {
            serving.stop();
        }
        if let Backend::Host(register, _) = &*lock(&self.backend)
            && let Err(err) = lock(register).checkpoint()
        {
            eprintln!("warning: WAL checkpoint on exit failed: {err}");
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poison| poison.into_inner())
}

type LanStatus = Option<Result<LanServing, String>>;

fn open_backend(dirs: &Dirs, config: &ShellConfig) -> (Backend, LanStatus) {
    match config.mode {
        // A saved plain-HTTP address of a LAN host (from before TLS) is refused here, so the
        // first-start form comes back and asks for https and the fingerprint.
        Mode::Desk => match &config.host_url {
            Some(url) => match check_host(url, config.host_fingerprint.as_deref()) {
                Ok(link) => (
                    Backend::Desk(Remote {
                        link,
                        desk_token: config.desk_token.clone(),
                    }),
                    None,
                ),
                Err(err) => (Backend::Broken(err), None),
            },
            None => (Backend::Unconfigured, None),
        },
        // The shared hold that makes `xinfang restore` / `rekey` refuse while this window has
        // the register open. Kept for the life of the process on purpose (the system drops it
        // at exit, or at a crash): a shared hold taken again on a reopen is harmless.
        Mode::Host => match xinfang_server::data::lock_shared(&dirs.data)
            .map(std::mem::forget)
            .and_then(|()| xinfang_server::data::open(&dirs.data))
        {
            Ok(register) => {
                // 16 MB of page cache instead of the server's 64: one clerk's window reads a
                // page of results at a time, and in this process the cache is resident memory
                // of the shell (#3's memory target); pages evicted from it are still in the
                // OS's file cache.
                let _ = register.conn().pragma_update(None, "cache_size", -16_000);
                let register = Arc::new(Mutex::new(register));
                let changes = Changes::new();
                let lan = config.serve_lan.as_ref().map(|listen| {
                    let serving = serve_lan(
                        register.clone(),
                        changes.clone(),
                        listen,
                        &dirs.data,
                        std::env::var(xinfang_server::lan::TREAT_LOOPBACK_AS_LAN_ENV)
                            .is_ok_and(|v| v == "1"),
                    );
                    if let Err(err) = &serving {
                        eprintln!("cannot start the LAN server: {err}");
                    }
                    serving
                });
                (Backend::Host(register, changes), lan)
            }
            Err(err) => (Backend::Broken(err.to_api()), None),
        },
    }
}

/// Serves the same operations to LAN desks and the hall display from a background thread, as
/// `xinfang serve --tls` does: TLS with the certificate of `<data>/tls/` whenever the address
/// is beyond loopback, and the pairing guard of `xinfang_server::http` for every caller beyond
/// loopback. `treat_loopback_as_lan` is the server's test-only switch
/// (`XINFANG_TREAT_LOOPBACK_AS_LAN`), which only ever makes it stricter.
pub fn serve_lan(
    register: Arc<Mutex<Register>>,
    changes: Changes,
    listen: &str,
    data_dir: &std::path::Path,
    treat_loopback_as_lan: bool,
) -> Result<LanServing, String> {
    let std_listener =
        std::net::TcpListener::bind(listen).map_err(|e| format!("无法在 {listen} 上监听：{e}"))?;
    let addr = std_listener.local_addr().map_err(|e| e.to_string())?;
    std_listener
        .set_nonblocking(true)
        .map_err(|e| e.to_string())?;
    let tls = if treat_loopback_as_lan || !addr.ip().to_canonical().is_loopback() {
        let (identity, _) =
            xinfang_tls::Identity::load_or_create(data_dir, &xinfang_tls::names_for(listen))
                .map_err(|e| format!("无法准备局域网证书：{e}"))?;
        let config = identity
            .server_config()
            .map_err(|e| format!("无法准备局域网证书：{e}"))?;
        Some((identity.fingerprint(), config))
    } else {
        None
    };
    let fingerprint = tls.as_ref().map(|(fp, _)| fp.clone());
    let lan = xinfang_server::http::LanPolicy {
        require_pairing: true,
        treat_loopback_as_lan,
    };
    let (signal, stopped) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let runtime = match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(err) => {
                eprintln!("cannot start the LAN server: {err}");
                return;
            }
        };
        runtime.block_on(async move {
            let listener = match tokio::net::TcpListener::from_std(std_listener) {
                Ok(listener) => listener,
                Err(err) => return eprintln!("cannot listen on {addr}: {err}"),
            };
            let state = xinfang_server::http::AppState::shared(register, changes).with_lan(lan);
            let serving = async move {
                match tls {
                    Some((_, config)) => {
                        match xinfang_tls::server::TlsListener::new(listener, config) {
                            Ok(listener) => {
                                xinfang_server::http::serve(listener, state, None).await
                            }
                            Err(err) => Err(err),
                        }
                    }
                    None => xinfang_server::http::serve(listener, state, None).await,
                }
            };
            // Stopping drops the server future, and with it the listener; the connections
            // still open end with the runtime below.
            tokio::select! {
                served = serving => {
                    if let Err(err) = served {
                        eprintln!("LAN server stopped: {err}");
                    }
                }
                _ = stopped => {}
            }
        });
        runtime.shutdown_timeout(LAN_STOP_GRACE);
    });
    Ok(LanServing {
        addr,
        fingerprint,
        stop: std::sync::Arc::new(LanStop {
            signal: Mutex::new(Some(signal)),
            thread: Mutex::new(Some(thread)),
        }),
    })
}

/// Desk mode: pairs this desk with the host by the one-time `code` from the host's settings
/// (or `xinfang pair`), over the pinned link, and returns the desk token. A refused code is
/// the host's error (`pairing_code_invalid`, `pairing_rate_limited`) at `pairing_code`.
pub fn pair(link: &HostLink, code: &str) -> Result<String, ApiError> {
    let url = link.url();
    let agent = Agent::new(link, std::time::Duration::from_secs(15));
    let body = serde_json::json!({ "code": code.trim() }).to_string();
    let mut response = agent
        .agent()
        .post(format!("{url}/api/pair"))
        .header("Content-Type", "application/json")
        .send(body)
        .map_err(|e| at_host_url(agent.failure(url, &e, "")))?;
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .read_to_string()
        .map_err(|e| at_host_url(agent.failure(url, &e, "")))?;
    let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    if status == 200
        && let Some(token) = value["desk_token"].as_str()
    {
        return Ok(token.to_owned());
    }
    let mut err: ApiError = serde_json::from_value(value).unwrap_or(ApiError {
        code: "internal".into(),
        message: format!("主机返回了错误（HTTP {status}）"),
        field: None,
    });
    if err.field.as_deref() == Some("code") {
        err.field = Some("pairing_code".into());
    }
    Err(err)
}

/// At setup an unreachable host is the address's fault, shown at that field.
fn at_host_url(mut err: ApiError) -> ApiError {
    if err.field.is_none() {
        err.field = Some("host_url".into());
    }
    err
}

/// Desk mode: the host's long poll. A failure is `unreachable`, like any call to the host.
fn poll_host(remote: &Remote, after: Option<u64>) -> Result<Change, ApiError> {
    let url = remote.link.url();
    let agent = Agent::new(&remote.link, MAX_WAIT + std::time::Duration::from_secs(10));
    let fail = |e: &dyn std::fmt::Display| agent.failure(url, e, "");
    let query = after.map(|a| format!("?after={a}")).unwrap_or_default();
    let mut request = agent
        .agent()
        .get(format!("{url}/api/v1/changes/wait{query}"));
    if let Some(desk) = &remote.desk_token {
        request = request.header(xinfang_server::lan::DESK_HEADER, desk);
    }
    let mut response = request.call().map_err(|e| fail(&e))?;
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().map_err(|e| fail(&e))?;
    if status != 200 {
        return Err(serde_json::from_str(&text).unwrap_or_else(|_| ApiError {
            code: "unreachable".into(),
            message: format!("无法连接接待中心主机（{url}）：HTTP {status}"),
            field: None,
        }));
    }
    serde_json::from_str(&text).map_err(|e| fail(&e))
}

/// Desk mode: the same call over HTTP to the centre host. A network failure becomes the
/// `unreachable` error, which the UI shows as a banner while keeping what was typed.
pub fn forward(
    remote: &Remote,
    name: &str,
    input: &Value,
    token: Option<&str>,
) -> Result<Value, ApiError> {
    let url = remote.link.url();
    let agent = Agent::new(&remote.link, std::time::Duration::from_secs(15));
    let unreachable = |detail: &dyn std::fmt::Display| {
        agent.failure(url, detail, "，已输入的内容仍保留，请稍后重试")
    };
    let mut request = agent
        .agent()
        .post(format!("{url}/api/v1/ops/{name}"))
        .header("Content-Type", "application/json");
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    if let Some(desk) = &remote.desk_token {
        request = request.header(xinfang_server::lan::DESK_HEADER, desk);
    }
    let body = serde_json::to_vec(input).map_err(|e| unreachable(&e))?;
    let mut response = request.send(&body[..]).map_err(|e| unreachable(&e))?;
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .read_to_string()
        .map_err(|e| unreachable(&e))?;
    let value: Value = serde_json::from_str(&text).map_err(|e| unreachable(&e))?;
    if status == 200 {
        Ok(value)
    } else {
        Err(serde_json::from_value(value).unwrap_or(ApiError {
            code: "internal".into(),
            message: format!("主机返回了错误（HTTP {status}）"),
            field: None,
        }))
    }
}

#[cfg(test)]
mod tests {
    //! The host's LAN server and the desk's side of it, for real over loopback: the shell's own
    //! `serve_lan` (TLS and the pairing guard, loopback treated as LAN as the server's tests
    //! do) against the shell's own `pair`, `forward` and `poll_host` through the pinned agent.

    use serde_json::json;

    use super::*;

    const PASSWORD: &str = "desk-admin-pass-2026";

    /// A host shell with an initialised register in a fresh directory.
    fn host() -> (tempfile::TempDir, DeskState) {
        let dir = tempfile::tempdir().expect("dir");
        let dirs = Dirs {
            config: dir.path().join("config"),
            data: dir.path().join("data"),
        };
        let mut register = xinfang_server::data::open(&dirs.data).expect("open");
        xinfang_server::data::init(
            &mut register,
            &xinfang_server::data::InitOptions {
                centre_code: "XF0001".into(),
                centre_name: "县信访局来访接待中心".into(),
                admin_username: "admin".into(),
                admin_password: PASSWORD.into(),
                admin_must_change_password: false,
            },
        )
        .expect("init");
        drop(register);
        ShellConfig {
            mode: Mode::Host,
            host_url: None,
            host_fingerprint: None,
            desk_token: None,
            serve_lan: None,
        }
        .save(&dirs)
        .expect("save");
        let state = DeskState::load(dirs);
        // The first backup runs at once on its own connection; these tests are not about it.
        if let Some(worker) = lock(&state.backup).take() {
            worker.stop();
        }
        (dir, state)
    }

    fn login() -> Value {
        json!({"username": "admin", "password": PASSWORD})
    }

    #[test]
    fn a_desk_pairs_once_over_the_pinned_link_and_then_forwards_every_call() {
        let (dir, state) = host();
        let (register, changes) = match &*lock(&state.backend) {
            Backend::Host(register, changes) => (register.clone(), changes.clone()),
            _ => panic!("host mode"),
        };
        let serving = serve_lan(
            register,
            changes,
            "127.0.0.1:0",
            &dir.path().join("data"),
            true,
        )
        .expect("serving");
        let fingerprint = serving.fingerprint.clone().expect("TLS beyond loopback");
        let url = format!("https://{}", serving.addr);
        let link = check_host(&url, Some(&fingerprint)).expect("link");

        // Not paired yet: the host's guard refuses the desk.
        let unpaired = Remote {
            link: link.clone(),
            desk_token: None,
        };
        let err = forward(&unpaired, "auth_login", &login(), None).expect_err("unpaired");
        assert_eq!(err.code, "desk_not_paired", "{err:?}");

        // Another certificate than the pinned one: refused at the fingerprint field, naming
        // what the host showed.
        let wrong = check_host(&url, Some(&"AB".repeat(32))).expect("wrong link");
        let err = pair(&wrong, "00000-00000").expect_err("wrong pin");
        assert_eq!(
            (err.code.as_str(), err.field.as_deref()),
            ("host_certificate_mismatch", Some("host_fingerprint")),
            "{err:?}"
        );
        assert!(err.message.contains(&fingerprint), "{}", err.message);

        // A made-up code: the host's refusal, at the code's field.
        let err = pair(&link, "00000-00000").expect_err("bad code");
        assert_eq!(
            (err.code.as_str(), err.field.as_deref()),
            ("pairing_code_invalid", Some("pairing_code")),
            "{err:?}"
        );

        // Only a signed-in administrator gets a code from the host's window.
        let err = state.pair_code(None).expect_err("no session");
        assert_eq!(err.code, "unauthenticated");
        let admin = state.call("auth_login", login(), None).expect("login");
        let admin = admin["token"].as_str().expect("token").to_owned();
        let code = state.pair_code(Some(&admin)).expect("code");

        let desk_token = pair(&link, &code).expect("paired");
        let paired = Remote {
            link: link.clone(),
            desk_token: Some(desk_token),
        };
        let session = forward(&paired, "auth_login", &login(), None).expect("signed in");
        let token = session["token"].as_str().expect("token");
        let me = forward(&paired, "session_me", &json!({}), Some(token)).expect("me");
        assert_eq!(me["user"]["username"], json!("admin"), "{me}");
        poll_host(&paired, None).expect("the change feed through the pinned link");

        // A code pairs once.
        let err = pair(&link, &code).expect_err("used code");
        assert_eq!(err.code, "pairing_code_invalid");

        // The host's administrator sees the desk and revokes it: its next call is refused.
        assert_eq!(
            state.lan_desks(None).expect_err("no session").code,
            "unauthenticated"
        );
        let desks = state.lan_desks(Some(&admin)).expect("desks");
        assert_eq!(desks.len(), 1, "{desks:?}");
        assert_eq!(desks[0].revoked_at, None);
        let err = state
            .lan_desk_revoke(Some(&admin), "000000000000")
            .expect_err("unknown id");
        assert_eq!(
            (err.code.as_str(), err.field.as_deref()),
            ("desk_unknown", Some("id"))
        );
        let revoked = state
            .lan_desk_revoke(Some(&admin), &desks[0].id)
            .expect("revoked");
        assert!(revoked.revoked_at.is_some());
        let err = forward(&paired, "session_me", &json!({}), Some(token)).expect_err("revoked");
        assert_eq!(err.code, "desk_not_paired", "{err:?}");

        // The pairing names the administrator in the audit trail.
        let register = match &*lock(&state.backend) {
            Backend::Host(register, _) => register.clone(),
            _ => unreachable!(),
        };
        let who: String = lock(&register)
            .conn()
            .query_row(
                "SELECT username FROM audit_log WHERE operation = 'lan_pair_code'",
                [],
                |r| r.get(0),
            )
            .expect("audited");
        assert_eq!(who, "admin");
    }

    #[test]
    fn a_host_beyond_loopback_serves_only_tls() {
        let (dir, state) = host();
        let (register, changes) = match &*lock(&state.backend) {
            Backend::Host(register, changes) => (register.clone(), changes.clone()),
            _ => panic!("host mode"),
        };
        let data = dir.path().join("data");
        let lan = serve_lan(register.clone(), changes.clone(), "0.0.0.0:0", &data, false)
            .expect("serving");
        let fingerprint = lan.fingerprint.expect("TLS on 0.0.0.0");
        // The certificate is made once and kept: the same fingerprint the next time.
        let local = serve_lan(register, changes, "127.0.0.1:0", &data, false).expect("serving");
        assert_eq!(
            local.fingerprint, None,
            "plain HTTP stays for loopback only"
        );
        let (identity, made) = xinfang_tls::Identity::load_or_create(&data, &[]).expect("identity");
        assert!(!made);
        assert_eq!(identity.fingerprint(), fingerprint);
    }

    #[test]
    fn a_stopped_lan_server_lets_go_of_its_address_and_a_new_one_binds_it() {
        let (dir, state) = host();
        let (register, changes) = match &*lock(&state.backend) {
            Backend::Host(register, changes) => (register.clone(), changes.clone()),
            _ => panic!("host mode"),
        };
        let data = dir.path().join("data");
        let first = serve_lan(
            register.clone(),
            changes.clone(),
            "127.0.0.1:0",
            &data,
            false,
        )
        .expect("serving");
        let addr = first.addr.to_string();
        let health = |addr: &str| {
            ureq::get(format!("http://{addr}/api/v1/health"))
                .call()
                .map(|r| r.status().as_u16())
        };
        assert_eq!(health(&addr).ok(), Some(200), "serving");
        first.stop();
        assert!(health(&addr).is_err(), "nothing answers once stopped");
        // Settings saved again with the same address: the new server gets it.
        let second =
            serve_lan(register, changes, &addr, &data, false).expect("the address is free");
        assert_eq!(health(&addr).ok(), Some(200), "the new server answers");
        drop(second);
        assert!(
            health(&addr).is_err(),
            "dropping the last handle stops it too"
        );
    }
}
