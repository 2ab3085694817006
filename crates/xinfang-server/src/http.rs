//! The operation surface over HTTP/JSON, for LAN desks, the hall display, browsers and tests.
//!
//! `POST /api/v1/ops/{name}` with a JSON body runs one operation; `Authorization: Bearer` carries
//! the session from `auth_login`. Errors are `{code, message, field}` with a 4xx/5xx status.
//! `GET /api/v1/ops` lists the operations. Everything else is the built UI, when one is given.

use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
};

use axum::{
    Json, Router,
    body::Bytes,
    extract::{DefaultBodyLimit, Path, State, rejection::BytesRejection},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::{Value, json};
use xinfang_core::{ApiError, Error, Register, ops};

/// Largest request body accepted; far above any real form, far below harm.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Shared state of the server: the one open register.
#[derive(Clone)]
pub struct AppState {
    register: Arc<Mutex<Register>>,
}

impl AppState {
    /// Wraps an open register.
    pub fn new(register: Register) -> AppState {
        AppState {
            register: Arc::new(Mutex::new(register)),
        }
    }

    /// Shares a register that another part of the program (the desktop shell) also uses.
    pub fn shared(register: Arc<Mutex<Register>>) -> AppState {
        AppState { register }
    }

    /// The register, for shutdown.
    pub fn register(&self) -> Arc<Mutex<Register>> {
        self.register.clone()
    }
}

/// The router: API routes, plus the static UI from `ui_dir` if given.
pub fn router(state: AppState, ui_dir: Option<PathBuf>) -> Router {
    let api = Router::new()
        .route("/api/v1/ops", get(list_ops))
        .route("/api/v1/ops/{name}", post(call_op))
        .route("/api/v1/health", get(health))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state);
    match ui_dir {
        Some(dir) => {
            let index = dir.join("index.html");
            api.fallback_service(
                tower_http::services::ServeDir::new(dir)
                    .fallback(tower_http::services::ServeFile::new(index)),
            )
        }
        None => api,
    }
}

async fn health() -> Json<Value> {
    Json(json!({ "ok": true }))
}

async fn list_ops() -> Json<Value> {
    Json(xinfang_core::schema::operations_json())
}

fn error_response(status: StatusCode, error: ApiError) -> Response {
    (status, Json(error)).into_response()
}

fn core_error(err: &Error) -> Response {
    let status =
        StatusCode::from_u16(err.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status.is_server_error() {
        eprintln!("error: {err}");
    }
    error_response(status, err.to_api())
}

async fn call_op(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let too_large = rejection.status() == StatusCode::PAYLOAD_TOO_LARGE;
            return error_response(
                rejection.status(),
                ApiError {
                    code: if too_large { "too_large" } else { "bad_input" }.into(),
                    message: if too_large {
                        format!("提交的内容过大（上限{}KB）", MAX_BODY_BYTES / 1024)
                    } else {
                        "无法读取提交的内容".into()
                    },
                    field: None,
                },
            );
        }
    };
    let input: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(value) => value,
            Err(err) => {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    ApiError {
                        code: "malformed_json".into(),
                        message: format!("提交的内容不是有效的 JSON：{err}"),
                        field: None,
                    },
                );
            }
        }
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    // SQLite work is blocking; keep it off the async workers.
    let result = tokio::task::spawn_blocking(move || {
        let mut register = state
            .register
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        ops::call_with_token(&mut register, token.as_deref(), &name, input)
    })
    .await;
    match result {
        Ok(Ok(value)) => Json(value).into_response(),
        Ok(Err(err)) => core_error(&err),
        Err(join) => core_error(&Error::Internal(format!("operation panicked: {join}"))),
    }
}

/// Serves until ctrl-c / SIGTERM, then checkpoints the WAL so the file is whole on its own.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    ui_dir: Option<PathBuf>,
) -> std::io::Result<()> {
    let register = state.register();
    let app = router(state, ui_dir);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    let register = register.lock().unwrap_or_else(|poison| poison.into_inner());
    if let Err(err) = register.checkpoint() {
        eprintln!("warning: WAL checkpoint on shutdown failed: {err}");
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
