//! What the shell holds while running: in host mode the open register (shared with the LAN
//! server when that is on) and its county sync worker, in desk mode the host's address.

use std::sync::{Arc, Mutex};

use serde_json::Value;
use xinfang_core::{ApiError, Register, ops};
use xinfang_server::changes::{Change, Changes, MAX_WAIT};

use crate::config::{Dirs, Mode, ShellConfig};

/// The register or the host, chosen at first start.
pub enum Backend {
    /// First start: nothing chosen yet.
    Unconfigured,
    /// This PC holds the register, and the change feed its windows and the LAN listen to.
    Host(Arc<Mutex<Register>>, Changes),
    /// Another PC holds it.
    Desk(String),
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
}

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
        let backend = match &config {
            None => Backend::Unconfigured,
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
        }
    }

    /// Replaces the backend after the first-start choice or a change in settings.
    pub fn reconfigure(&self, config: ShellConfig) {
        // The old worker stops before the old register is let go.
        if let Some(worker) = lock(&self.sync).take() {
            worker.stop();
        }
        if let Some(worker) = lock(&self.backup).take() {
            worker.stop();
        }
        let backend = open_backend(&self.dirs, &config);
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
            Backend::Desk(url) => {
                let url = url.clone();
                drop(backend);
                forward(&url, name, &input, token.as_deref())
            }
        }
    }

    /// Waits until the register changes (counter differs from `after`), at most 25 s: from the
    /// host's own feed in host mode, by a long poll of the host in desk mode.
    pub async fn wait_change(&self, after: Option<u64>) -> Result<Change, ApiError> {
        enum Source {
            Local(Changes),
            Remote(String),
        }
        let source = match &*lock(&self.backend) {
            Backend::Host(_, changes) => Source::Local(changes.clone()),
            Backend::Desk(url) => Source::Remote(url.clone()),
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
            Source::Remote(url) => {
                tauri::async_runtime::spawn_blocking(move || poll_host(&url, after))
                    .await
                    .map_err(|e| ApiError {
                        code: "internal".into(),
                        message: format!("等待主机变更时出错：{e}"),
                        field: None,
                    })?
            }
        }
    }

    /// Stops the sync and backup workers and checkpoints the WAL on exit.
    pub fn shutdown(&self) {
        if let Some(worker) = lock(&self.sync).take() {
            worker.stop();
        }
        if let Some(worker) = lock(&self.backup).take() {
            worker.stop();
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

fn open_backend(dirs: &Dirs, config: &ShellConfig) -> Backend {
    match config.mode {
        Mode::Desk => match &config.host_url {
            Some(url) => Backend::Desk(url.trim_end_matches('/').to_owned()),
            None => Backend::Unconfigured,
        },
        Mode::Host => match xinfang_server::data::open(&dirs.data) {
            Ok(register) => {
                let register = Arc::new(Mutex::new(register));
                let changes = Changes::new();
                if let Some(listen) = &config.serve_lan {
                    serve_lan(register.clone(), changes.clone(), listen.clone());
                }
                Backend::Host(register, changes)
            }
            Err(err) => Backend::Broken(err.to_api()),
        },
    }
}

/// Serves the same operations to LAN desks and the hall display from a background thread.
fn serve_lan(register: Arc<Mutex<Register>>, changes: Changes, listen: String) {
    std::thread::spawn(move || {
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
            match tokio::net::TcpListener::bind(&listen).await {
                Ok(listener) => {
                    let state = xinfang_server::http::AppState::shared(register, changes);
                    if let Err(err) = xinfang_server::http::serve(listener, state, None).await {
                        eprintln!("LAN server stopped: {err}");
                    }
                }
                Err(err) => eprintln!("cannot listen on {listen}: {err}"),
            }
        });
    });
}

/// Desk mode: the host's long poll. A failure is `unreachable`, like any call to the host.
fn poll_host(url: &str, after: Option<u64>) -> Result<Change, ApiError> {
    let unreachable = |detail: String| ApiError {
        code: "unreachable".into(),
        message: format!("无法连接接待中心主机（{url}）：{detail}"),
        field: None,
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(MAX_WAIT + std::time::Duration::from_secs(10)))
        .build()
        .into();
    let query = after.map(|a| format!("?after={a}")).unwrap_or_default();
    let text = agent
        .get(format!("{url}/api/v1/changes/wait{query}"))
        .call()
        .map_err(|e| unreachable(e.to_string()))?
        .body_mut()
        .read_to_string()
        .map_err(|e| unreachable(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| unreachable(e.to_string()))
}

/// Desk mode: the same call over HTTP to the centre host. A network failure becomes the
/// `unreachable` error, which the UI shows as a banner while keeping what was typed.
fn forward(url: &str, name: &str, input: &Value, token: Option<&str>) -> Result<Value, ApiError> {
    let unreachable = |detail: String| ApiError {
        code: "unreachable".into(),
        message: format!("无法连接接待中心主机（{url}），已输入的内容仍保留，请稍后重试：{detail}"),
        field: None,
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(15)))
        .http_status_as_error(false)
        .build()
        .into();
    let mut request = agent
        .post(format!("{url}/api/v1/ops/{name}"))
        .header("Content-Type", "application/json");
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    let body = serde_json::to_vec(input).map_err(|e| unreachable(e.to_string()))?;
    let mut response = request
        .send(&body[..])
        .map_err(|e| unreachable(e.to_string()))?;
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .read_to_string()
        .map_err(|e| unreachable(e.to_string()))?;
    let value: Value = serde_json::from_str(&text).map_err(|e| unreachable(e.to_string()))?;
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
