//! Tauri commands: one-line adapters. `op_call` reaches every operation of the core's single
//! list (so nothing here needs updating when an operation is added); `changes_wait` is the
//! window's side of the change feed; `app_status` and `app_setup` are the shell's own
//! first-start choice (a desk pairs with an `https://` host there), `lan_pair_code` the host
//! administrator's one-time code for a desk, `lan_desks` / `lan_desk_revoke` the paired desks.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tauri::State;
use xinfang_core::ApiError;

use crate::{
    config::{HostLink, Mode, ShellConfig, check_host},
    state::{Backend, DeskState},
};

/// Runs one operation of the core (or of the host, in desk mode).
#[tauri::command(async)]
pub fn op_call(
    state: State<'_, DeskState>,
    name: String,
    input: Value,
    token: Option<String>,
) -> Result<Value, ApiError> {
    state.call(&name, input, token)
}

/// Waits (at most 25 s) until the register changes after `after`; the UI then re-reads what
/// it shows. The window's side of the change feed, the same counter the LAN's listeners see.
#[tauri::command]
pub async fn changes_wait(
    state: State<'_, DeskState>,
    after: Option<u64>,
) -> Result<xinfang_server::changes::Change, ApiError> {
    state.wait_change(after).await
}

/// What the first screen needs to know.
#[derive(Debug, Clone, Serialize)]
pub struct AppStatus {
    /// `host`, `desk`, or absent before the first-start choice.
    pub mode: Option<Mode>,
    /// Host mode: whether the register has been created.
    pub initialised: bool,
    /// Desk mode: the host address.
    pub host_url: Option<String>,
    /// Desk mode: the pinned fingerprint of the host's certificate.
    pub host_fingerprint: Option<String>,
    /// Desk mode: whether this desk holds a pairing token.
    pub paired: bool,
    /// Host mode, serving the LAN: the bound address.
    pub lan_listen: Option<String>,
    /// Host mode, serving the LAN with TLS: the certificate's fingerprint that desks type in.
    pub lan_fingerprint: Option<String>,
    /// Host mode: why the LAN server did not start, if it did not.
    pub lan_error: Option<String>,
    /// Host mode: where the register file is.
    pub data_dir: String,
    /// Why the register could not be opened, if it could not.
    pub error: Option<ApiError>,
}

/// Reports the shell's mode and the register's state.
#[tauri::command(async)]
pub fn app_status(state: State<'_, DeskState>) -> AppStatus {
    status(&state)
}

fn status(state: &DeskState) -> AppStatus {
    let config = state
        .config
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let backend = state.backend.lock().unwrap_or_else(|p| p.into_inner());
    let (initialised, error) = match &*backend {
        Backend::Host(register, _) => (
            register
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .centre()
                .is_ok(),
            None,
        ),
        Backend::Desk(_) => (true, None),
        Backend::Unconfigured => (false, None),
        Backend::Broken(err) => (false, Some(err.clone())),
    };
    let lan = state.lan.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let (lan_listen, lan_fingerprint, lan_error) = match lan {
        Some(Ok(serving)) => (Some(serving.addr.to_string()), serving.fingerprint, None),
        Some(Err(err)) => (None, None, Some(err)),
        None => (None, None, None),
    };
    AppStatus {
        mode: config.as_ref().map(|c| c.mode),
        initialised,
        host_fingerprint: config.as_ref().and_then(|c| c.host_fingerprint.clone()),
        paired: config.as_ref().is_some_and(|c| c.desk_token.is_some()),
        lan_listen,
        lan_fingerprint,
        lan_error,
        host_url: config.and_then(|c| c.host_url),
        data_dir: state.dirs.data.display().to_string(),
        error,
    }
}

/// The first-start choice.
#[derive(Debug, Clone, Deserialize)]
pub struct SetupInput {
    /// Host or desk client.
    pub mode: Mode,
    /// Desk: the host address.
    #[serde(default)]
    pub host_url: Option<String>,
    /// Desk, `https://` host: the fingerprint of the host's certificate.
    #[serde(default)]
    pub host_fingerprint: Option<String>,
    /// Desk, `https://` host: the one-time pairing code from the host (not needed again when
    /// the desk is already paired with this host and this certificate).
    #[serde(default)]
    pub pairing_code: Option<String>,
    /// Host: centre code for case numbers.
    #[serde(default)]
    pub centre_code: Option<String>,
    /// Host: centre name.
    #[serde(default)]
    pub centre_name: Option<String>,
    /// Host: the first administrator's password.
    #[serde(default)]
    pub admin_password: Option<String>,
    /// Host: also serve the LAN on this address.
    #[serde(default)]
    pub serve_lan: Option<String>,
}

/// Saves the first-start choice and, in host mode, creates the register and its administrator.
#[tauri::command(async)]
pub fn app_setup(state: State<'_, DeskState>, input: SetupInput) -> Result<AppStatus, ApiError> {
    let config = match input.mode {
        Mode::Desk => desk_config(&state, &input)?,
        Mode::Host => ShellConfig {
            mode: Mode::Host,
            host_url: None,
            host_fingerprint: None,
            desk_token: None,
            serve_lan: input.serve_lan.clone(),
        },
    };
    state.reconfigure(config.clone());
    if config.mode == Mode::Host {
        let backend = state.backend.lock().unwrap_or_else(|p| p.into_inner());
        if let Backend::Host(register, _) = &*backend {
            let mut register = register.lock().unwrap_or_else(|p| p.into_inner());
            if register.centre().is_err() {
                xinfang_server::data::init(
                    &mut register,
                    &xinfang_server::data::InitOptions {
                        centre_code: input.centre_code.clone().unwrap_or_else(|| "XF0001".into()),
                        centre_name: input
                            .centre_name
                            .clone()
                            .unwrap_or_else(|| "县信访局来访接待中心".into()),
                        admin_username: "admin".into(),
                        admin_password: input.admin_password.unwrap_or_default(),
                        // Typed twice by the administrator in the first-start form: their own.
                        admin_must_change_password: false,
                    },
                )
                .map_err(|e| e.to_api())?;
            }
        }
    }
    config.save(&state.dirs).map_err(|e| ApiError {
        code: "internal".into(),
        message: format!("无法保存设置：{e}"),
        field: None,
    })?;
    Ok(status(&state))
}

/// The desk's settings from the form: the host checked, and for `https://` paired once with the
/// code (kept from before when the same host and certificate are already paired).
fn desk_config(state: &DeskState, input: &SetupInput) -> Result<ShellConfig, ApiError> {
    let link = check_host(
        input.host_url.as_deref().unwrap_or(""),
        input.host_fingerprint.as_deref(),
    )?;
    let (fingerprint, desk_token) = match &link {
        HostLink::Loopback(_) => (None, None),
        HostLink::Pinned(url, pin) => {
            let fingerprint = xinfang_tls::format_fingerprint(pin);
            let code = input.pairing_code.as_deref().map(str::trim).unwrap_or("");
            let kept = state
                .config
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .as_ref()
                .filter(|c| {
                    c.mode == Mode::Desk
                        && c.host_url.as_deref().map(|u| u.trim_end_matches('/')) == Some(url)
                        && c.host_fingerprint.as_deref() == Some(&fingerprint)
                })
                .and_then(|c| c.desk_token.clone());
            let token = match kept {
                Some(token) if code.is_empty() => token,
                _ if code.is_empty() => {
                    return Err(ApiError {
                        code: "required".into(),
                        message: "请填写配对码：由主机管理员在主机的“设置”中生成（或在主机上运行 xinfang pair），10 分钟内有效".into(),
                        field: Some("pairing_code".into()),
                    });
                }
                _ => crate::state::pair(&link, code)?,
            };
            (Some(fingerprint), Some(token))
        }
    };
    Ok(ShellConfig {
        mode: Mode::Desk,
        host_url: Some(link.url().to_owned()),
        host_fingerprint: fingerprint,
        desk_token,
        serve_lan: None,
    })
}

/// Host mode: the desks paired with this host; administrators only.
#[tauri::command(async)]
pub fn lan_desks(
    state: State<'_, DeskState>,
    token: Option<String>,
) -> Result<Vec<xinfang_server::lan::PairedDesk>, ApiError> {
    state.lan_desks(token.as_deref())
}

/// Host mode: revokes the paired desk `id` at once; administrators only.
#[tauri::command(async)]
pub fn lan_desk_revoke(
    state: State<'_, DeskState>,
    token: Option<String>,
    id: String,
) -> Result<xinfang_server::lan::PairedDesk, ApiError> {
    state.lan_desk_revoke(token.as_deref(), &id)
}

/// Host mode: a one-time code (valid ten minutes) that pairs one LAN desk; administrators only.
#[tauri::command(async)]
pub fn lan_pair_code(
    state: State<'_, DeskState>,
    token: Option<String>,
) -> Result<String, ApiError> {
    state.pair_code(token.as_deref())
}
