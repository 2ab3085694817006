//! The operation surface over HTTP/JSON, for LAN desks, the hall display, browsers and tests.
//!
//! `POST /api/v1/ops/{name}` with a JSON body runs one operation; `Authorization: Bearer` carries
//! the session from `auth_login`. Errors are `{code, message, field}` with a 4xx/5xx status.
//! `GET /api/v1/ops` lists the operations. `GET /api/v1/changes` (server-sent events) and
//! `GET /api/v1/changes/wait?after=N` (long poll) tell listeners that the register changed
//! (see `changes`). Everything else is the built UI, when one is given.
//!
//! Beyond loopback, when the state says so (`xinfang serve` does), every `/api/v1/` route but
//! health answers 401 `desk_not_paired` unless the caller shows a paired desk token (`lan`):
//! `POST /api/pair` takes a one-time code, and `GET /pair` is the browser's form for it.

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

/// Who may call the API from beyond loopback.
#[derive(Debug, Clone, Copy, Default)]
pub struct LanPolicy {
    /// Non-loopback callers must show a paired desk token.
    pub require_pairing: bool,
    /// Test-only: loopback callers count as LAN desks too (`lan::TREAT_LOOPBACK_AS_LAN_ENV`).
    pub treat_loopback_as_lan: bool,
}

/// Shared state of the server: the one open register and its change feed.
#[derive(Clone)]
pub struct AppState {
    register: Arc<Mutex<Register>>,
    changes: Changes,
    lan: LanPolicy,
}

impl AppState {
    /// Wraps an open register.
    pub fn new(register: Register) -> AppState {
        AppState {
            register: Arc::new(Mutex::new(register)),
            changes: Changes::new(),
            lan: LanPolicy::default(),
        }
    }

    /// The same state with `lan` as the rule for callers beyond loopback.
    pub fn with_lan(self, lan: LanPolicy) -> AppState {
        AppState { lan, ..self }
    }

    /// Shares a register (and its feed) that another part of the program, the desktop shell,
    /// also uses, so a change made in the window reaches the LAN's listeners and back.
    pub fn shared(register: Arc<Mutex<Register>>, changes: Changes) -> AppState {
        AppState {
            register,
            changes,
            lan: LanPolicy::default(),
        }
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
    let guarded = Router::new()
        .route("/api/v1/ops", get(list_ops))
        .route("/api/v1/ops/{name}", post(call_op))
        .route("/api/v1/changes", get(change_stream))
        .route("/api/v1/changes/wait", get(change_wait))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            require_paired_desk,
        ));
    let api = Router::new()
        .merge(guarded)
        .route("/api/v1/health", get(health))
        .route("/api/pair", post(pair))
        .route("/pair", get(pair_page))
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

/// Whether a caller at `peer` must show a paired desk token. Canonical first: on a `[::]`
/// listener the host's own IPv4 calls arrive as `::ffff:127.0.0.1`.
fn needs_pairing(lan: LanPolicy, peer: &SocketAddr) -> bool {
    lan.require_pairing && (lan.treat_loopback_as_lan || !peer.ip().to_canonical().is_loopback())
}

/// The desk token of a request: the header, or the browser's cookie.
fn desk_token(headers: &HeaderMap) -> Option<String> {
    if let Some(token) = headers
        .get(crate::lan::DESK_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        return Some(token.trim().to_owned());
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == crate::lan::DESK_COOKIE).then(|| value.to_owned())
        })
}

fn not_paired() -> Response {
    error_response(
        StatusCode::UNAUTHORIZED,
        ApiError {
            code: "desk_not_paired".into(),
            message: "本工作站尚未与接待中心主机配对：请在主机上运行 xinfang pair 取得一次性配对码，在本工作站打开 /pair 页面输入".into(),
            field: None,
        },
    )
}

/// Lets loopback callers through, and LAN callers only with a paired desk token.
async fn require_paired_desk(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if !needs_pairing(state.lan, &peer) {
        return next.run(request).await;
    }
    let Some(token) = desk_token(request.headers()) else {
        return not_paired();
    };
    let register = state.register.clone();
    let paired = tokio::task::spawn_blocking(move || {
        let register = register.lock().unwrap_or_else(|p| p.into_inner());
        crate::lan::is_paired(&register, &token)
    })
    .await;
    match paired {
        Ok(Ok(true)) => next.run(request).await,
        Ok(Ok(false)) => not_paired(),
        Ok(Err(err)) => core_error(&err),
        Err(join) => core_error(&Error::Internal(format!("pairing check panicked: {join}"))),
    }
}

#[derive(Deserialize)]
struct PairInput {
    code: String,
}

/// `POST /api/pair` with `{"code": …}` (JSON) or `code=…` (the `/pair` form): a used, expired
/// or unknown code is 401 `pairing_code_invalid`; a good one answers the desk token and sets
/// it as a cookie (the form is sent back to `/`).
async fn pair(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let code = if form {
        String::from_utf8_lossy(&body)
            .split('&')
            .find_map(|p| p.strip_prefix("code=").map(|c| c.replace(['+', '-'], "")))
    } else {
        serde_json::from_slice::<PairInput>(&body)
            .ok()
            .map(|i| i.code)
    };
    let Some(code) = code else {
        return error_response(
            StatusCode::BAD_REQUEST,
            ApiError {
                code: "required".into(),
                message: "请填写配对码".into(),
                field: Some("code".into()),
            },
        );
    };
    let random = match crate::bundle::random_32() {
        Ok(random) => random,
        Err(err) => return core_error(&Error::Internal(err.to_string())),
    };
    let desk = peer.ip().to_string();
    let register = state.register.clone();
    let redeemed = tokio::task::spawn_blocking(move || {
        let register = register.lock().unwrap_or_else(|p| p.into_inner());
        crate::lan::redeem(&register, &code, &desk, random)
    })
    .await;
    let token = match redeemed {
        Ok(Ok(Ok(token))) => token,
        Ok(Ok(Err(crate::lan::Refusal::Invalid))) => {
            return error_response(
                StatusCode::UNAUTHORIZED,
                ApiError {
                    code: "pairing_code_invalid".into(),
                    message: "配对码无效、已使用或已过期：请在主机上运行 xinfang pair 重新取得"
                        .into(),
                    field: Some("code".into()),
                },
            );
        }
        Ok(Ok(Err(crate::lan::Refusal::TooManyFailures))) => {
            return error_response(
                StatusCode::TOO_MANY_REQUESTS,
                ApiError {
                    code: "pairing_rate_limited".into(),
                    message: format!(
                        "本工作站近 {} 分钟内输错配对码过多，请稍后再试",
                        crate::lan::CODE_VALID_MINUTES
                    ),
                    field: Some("code".into()),
                },
            );
        }
        Ok(Err(err)) => return core_error(&err),
        Err(join) => return core_error(&Error::Internal(format!("pairing panicked: {join}"))),
    };
    let cookie = format!(
        "{}={token}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=315360000",
        crate::lan::DESK_COOKIE
    );
    let mut response = if form {
        (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response()
    } else {
        Json(json!({ "desk_token": token })).into_response()
    };
    if let Ok(value) = header::HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// The browser's pairing form (no script, so the UI's strict CSP is no concern).
async fn pair_page() -> axum::response::Html<&'static str> {
    axum::response::Html(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>工作站配对</title></head>\
         <body style=\"font-family:sans-serif;max-width:32em;margin:4em auto\"><h1>工作站配对</h1>\
         <p>本工作站须先与接待中心主机配对。请在主机上运行 <code>xinfang pair</code>，将显示的一次性配对码填入下框。</p>\
         <form method=\"post\" action=\"/api/pair\"><input name=\"code\" inputmode=\"numeric\" autocomplete=\"off\" required placeholder=\"00000-00000\"> \
         <button type=\"submit\">配对</button></form></body></html>",
    )
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
/// `listener` is a plain `tokio::net::TcpListener` or an `xinfang_tls::server::TlsListener`.
pub async fn serve<L>(listener: L, state: AppState, ui_dir: Option<PathBuf>) -> std::io::Result<()>
where
    L: axum::serve::Listener<Addr = SocketAddr>,
{
    use axum::serve::ListenerExt;
    let register = state.register();
    let changes = state.changes();
    let app = router(state, ui_dir);
    axum::serve(
        // Tapped so that `ConnectInfo<SocketAddr>` works for either kind of listener.
        listener.tap_io(|_| {}),
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
