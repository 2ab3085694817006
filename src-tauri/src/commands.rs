//! Tauri commands: one-line adapters. `op_call` reaches every operation of the core's single
//! list (so nothing here needs updating when an operation is added); `changes_wait` is the
//! window's side of the change feed; `app_status` and `app_setup` are the shell's own
//! first-start choice.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tauri::State;
use xinfang_core::ApiError;

use crate::{
    config::{Mode, ShellConfig},
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
    AppStatus {
        mode: config.as_ref().map(|c| c.mode),
        initialised,
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
        Mode::Desk => {
            let url = input.host_url.as_deref().map(str::trim).unwrap_or("");
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ApiError {
                    code: "invalid_url".into(),
                    message: "请填写主机地址，例如 http://192.168.1.10:8686".into(),
                    field: Some("host_url".into()),
                });
            }
            ShellConfig {
                mode: Mode::Desk,
                host_url: Some(url.to_owned()),
                serve_lan: None,
            }
        }
        Mode::Host => ShellConfig {
            mode: Mode::Host,
            host_url: None,
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
