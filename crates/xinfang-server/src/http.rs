//! The operation surface over HTTP/JSON, for LAN desks, the hall display, browsers and tests.
//!
//! `POST /api/v1/ops/{name}` with a JSON body runs one operation; `Authorization: Bearer` carries
//! the session from `auth_login`. Errors are `{code, message, field}` with a 4xx/5xx status.
//! `GET /api/v1/ops` lists the operations. `GET /api/v1/changes` (server-sent events) and
//! `GET /api/v1/changes/wait?after=N` (long poll) tell listeners that the register changed
//! (see `changes`). Everything else is the built UI, when one is given.

use std::{
    convert::Infallible,
    net::SocketAddr,
    path::PathBuf,
    sync::{Arc, Mutex},
};

use axum::{
    Json, Router,
    body::Bytes,
    extract::{ConnectInfo, DefaultBodyLimit, Path, Query, State, rejection::BytesRejection},
    http::{HeaderMap, StatusCode, header},
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
    routing::{get, post},
};
use futures_util::Stream;
use serde::Deserialize;
use serde_json::{Value, json};
use xinfang_core::{ApiError, Error, Register, ops};

use crate::changes::{Change, Changes, MAX_WAIT};

/// Largest request body accepted; far above any real form, far below harm.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Shared state of the server: the one open register and its change feed.
#[derive(Clone)]
pub struct AppState {
    register: Arc<Mutex<Register>>,
    changes: Changes,
}

impl AppState {
    /// Wraps an open register.
    pub fn new(register: Register) -> AppState {
        AppState {
            register: Arc::new(Mutex::new(register)),
            changes: Changes::new(),
        }
    }

    /// Shares a register (and its feed) that another part of the program, the desktop shell,
    /// also uses, so a change made in the window reaches the LAN's listeners and back.
    pub fn shared(register: Arc<Mutex<Register>>, changes: Changes) -> AppState {
        AppState { register, changes }
    }

    /// The change feed.
    pub fn changes(&self) -> Changes {
        self.changes.clone()
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
        .route("/api/v1/changes", get(change_stream))
        .route("/api/v1/changes/wait", get(change_wait))
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
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
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
        // The desk is the peer's address: it names the workstation in the audit trail and is
        // what the sign-in rate limit counts by.
        let desk = peer.ip().to_string();
        let result = ops::call_with_token(&mut register, token.as_deref(), &desk, &name, input);
        // Told while the register is still held, so a listener that re-reads at once sees it.
        if result.is_ok() && ops::find(&name).is_some_and(|op| op.mutates) {
            state.changes.notify(&name);
        }
        result
    })
    .await;
    match result {
        Ok(Ok(value)) => Json(value).into_response(),
        Ok(Err(err)) => core_error(&err),
        Err(join) => core_error(&Error::Internal(format!("operation panicked: {join}"))),
    }
}

/// Server-sent events: the current change at once, then each one as it happens. A browser's
/// `EventSource` reconnects by itself after a host restart and gets the new counter first.
async fn change_stream(
    State(state): State<AppState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = state.changes.subscribe();
    let changes = state.changes;
    let stream = futures_util::stream::unfold((rx, true), move |(mut rx, first)| {
        let changes = changes.clone();
        async move {
            if !first {
                tokio::select! {
                    changed = rx.changed() => changed.ok()?,
                    () = changes.closed() => return None,
                }
            }
            let change: Change = *rx.borrow_and_update();
            let event = Event::default()
                .event("change")
                .json_data(change)
                .unwrap_or_else(|_| Event::default().event("change"));
            Some((Ok(event), (rx, false)))
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

#[derive(Deserialize)]
struct WaitQuery {
    after: Option<u64>,
    timeout_ms: Option<u64>,
}

/// Long poll: answers when the counter differs from `after`, or after at most 25 s.
async fn change_wait(State(state): State<AppState>, Query(q): Query<WaitQuery>) -> Json<Change> {
    let timeout = q
        .timeout_ms
        .map_or(MAX_WAIT, std::time::Duration::from_millis)
        .min(MAX_WAIT);
    let change = match q.after {
        Some(after) => state.changes.wait(after, timeout).await,
        None => state.changes.current(),
    };
    Json(change)
}

/// Serves until ctrl-c / SIGTERM, then checkpoints the WAL so the file is whole on its own.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    ui_dir: Option<PathBuf>,
) -> std::io::Result<()> {
    let register = state.register();
    let changes = state.changes();
    let app = router(state, ui_dir);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        changes.close();
    })
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
