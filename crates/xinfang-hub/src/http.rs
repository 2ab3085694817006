//! The hub over HTTP/JSON: enrol, mark, push, pull, own-event return and health under `/api/v1/`, and the
//! read-only status page at `/`.
//!
//! Every request but enrol, health and the page carries `Authorization: Bearer <credential>`.
//! Refusals are `{code, message, field}` with a 4xx/5xx status, like the desk's API. Every
//! request, answered or refused, goes into the request log. Handlers only parse and call
//! `Hub`; SQLite work runs off the async workers, one request at a time behind a mutex (the
//! hub has one writer, as the store wants).

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use axum::{
    Json, Router,
    body::Bytes,
    extract::{ConnectInfo, DefaultBodyLimit, RawQuery, State, rejection::BytesRejection},
    http::{HeaderMap, HeaderValue, StatusCode, Uri, header},
    response::{Html, IntoResponse, Response},
    routing::{get, post},
};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use uuid::Uuid;
use xinfang_sync::{EnrolRequest, PushRequest};

use crate::{
    Error, Result,
    hub::{Hub, Request},
    store::Outcome,
};

/// Largest request body accepted: a full batch of `MAX_BATCH` ordinary events fits.
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;
/// Largest body once a `Content-Encoding: gzip` push is decompressed (the same limit as a plain
/// one, so compression never lets more through).
pub const MAX_DECODED_BYTES: usize = MAX_BODY_BYTES;

/// Shared state: the one hub, and whether the status page is shown beyond loopback.
#[derive(Clone)]
pub struct AppState {
    hub: Arc<Mutex<Hub>>,
    status_page_open: bool,
}

impl AppState {
    /// Wraps a hub. `status_page_open` shows `/` to any peer, not only to the hub host.
    pub fn new(hub: Hub, status_page_open: bool) -> AppState {
        AppState {
            hub: Arc::new(Mutex::new(hub)),
            status_page_open,
        }
    }
}

/// The router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(status_page))
        .route("/api/v1/health", get(health))
        .route("/api/v1/enrol", post(enrol))
        .route("/api/v1/mark", get(mark))
        .route("/api/v1/push", post(push))
        .route("/api/v1/pull", get(pull))
        .route("/api/v1/own", get(own))
        .route("/api/v1/person-matters", post(person_matters))
        .fallback(no_endpoint)
        .method_not_allowed_fallback(wrong_method)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// Serves until SIGINT/SIGTERM, then checkpoints the store. `listener` is a plain
/// `tokio::net::TcpListener` or an `xinfang_tls::server::TlsListener`.
pub async fn serve<L>(listener: L, state: AppState) -> std::io::Result<()>
where
    L: axum::serve::Listener<Addr = SocketAddr>,
{
    use axum::serve::ListenerExt;
    let hub = state.hub.clone();
    axum::serve(
        // Tapped so that `ConnectInfo<SocketAddr>` works for either kind of listener.
        listener.tap_io(|_| {}),
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    let mut hub = hub.lock().unwrap_or_else(|p| p.into_inner());
    if let Err(err) = hub.checkpoint() {
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

/// What a handler did: for whom, the answer, and a line for the log.
struct Done {
    centre: Option<Uuid>,
    result: Result<Reply>,
}

enum Reply {
    Json(Value, Note),
    Html(String),
}

/// The log's code and message for a request that succeeded (a push may have refused events).
#[derive(Default)]
struct Note {
    code: Option<String>,
    message: Option<String>,
}

impl Done {
    fn anonymous(result: Result<Reply>) -> Done {
        Done {
            centre: None,
            result,
        }
    }
}

fn json_reply(value: impl serde::Serialize, note: Note) -> Result<Reply> {
    Ok(Reply::Json(serde_json::to_value(value)?, note))
}

/// Runs `work` with the hub locked on a blocking thread, logs the request and answers it.
async fn run(
    state: AppState,
    endpoint: String,
    remote: SocketAddr,
    work: impl FnOnce(&mut Hub) -> Done + Send + 'static,
) -> Response {
    let hub = state.hub.clone();
    let joined = tokio::task::spawn_blocking(move || {
        let mut hub = hub.lock().unwrap_or_else(|p| p.into_inner());
        let done = work(&mut hub);
        let (status, outcome, code, message) = match &done.result {
            Ok(Reply::Json(_, note)) => (200, Outcome::Ok, note.code.clone(), note.message.clone()),
            Ok(Reply::Html(_)) => (200, Outcome::Ok, None, None),
            Err(err) => (
                err.http_status(),
                if err.is_refusal() {
                    Outcome::Refused
                } else {
                    Outcome::Failed
                },
                Some(err.code().to_owned()),
                Some(err.message_zh()),
            ),
        };
        let request = Request {
            endpoint: &endpoint,
            centre_id: done.centre,
            remote: Some(remote.to_string()),
        };
        if let Err(err) = hub.log(&request, status, outcome, code.as_deref(), message) {
            // The answer still goes out: the data is already committed or untouched.
            eprintln!("warning: request log write failed for {endpoint}: {err}");
        }
        done.result
    })
    .await;
    match joined {
        Ok(Ok(Reply::Json(value, _))) => Json(value).into_response(),
        Ok(Ok(Reply::Html(page))) => html_response(page),
        Ok(Err(err)) => error_response(&err),
        Err(join) => error_response(&Error::Internal(format!("request panicked: {join}"))),
    }
}

fn html_response(page: String) -> Response {
    let mut response = Html(page).into_response();
    // The page has no script and loads nothing; say so to the browser too.
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    response
}

fn error_response(err: &Error) -> Response {
    let status =
        StatusCode::from_u16(err.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status.is_server_error() {
        eprintln!("error: {err}");
    }
    (status, Json(err.to_wire())).into_response()
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned)
}

/// The body as sent, decompressed when `Content-Encoding: gzip` (what the desk sends for push
/// batches; plain bodies are accepted too), with the hub's own refusals for a body too large
/// (before or after decompression: compression never lets more through), not gzip, or in an
/// encoding the hub does not speak.
fn body_bytes(headers: &HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<Bytes> {
    let too_large = || Error::TooLarge {
        max_kib: MAX_BODY_BYTES / 1024,
    };
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            Error::BadInput {
                field: String::new(),
                message: "无法读取提交的内容".into(),
            }
        }
    })?;
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap_or("?").trim().to_ascii_lowercase());
    match encoding.as_deref() {
        None | Some("" | "identity") => Ok(body),
        Some("gzip") => {
            use std::io::Read;
            let mut out = Vec::with_capacity(body.len().saturating_mul(4));
            flate2::read::GzDecoder::new(&body[..])
                .take(MAX_DECODED_BYTES as u64 + 1)
                .read_to_end(&mut out)
                .map_err(|e| Error::BadInput {
                    field: String::new(),
                    message: format!("提交的内容声明为 gzip 压缩，但无法解压：{e}"),
                })?;
            if out.len() > MAX_DECODED_BYTES {
                return Err(too_large());
            }
            Ok(Bytes::from(out))
        }
        Some(other) => Err(Error::BadInput {
            field: String::new(),
            message: format!("不支持的内容编码 {other}（只接受 gzip 或不压缩）"),
        }),
    }
}

/// A JSON body as `T`, with the hub's own refusals for a body too large, not JSON, or not the
/// expected shape.
fn parse_body<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<T> {
    let body = body_bytes(headers, body)?;
    // One pass straight into the type (a push batch is megabytes; a `Value` tree first would
    // parse it twice); serde's own classification still tells broken JSON from a wrong shape.
    serde_json::from_slice(&body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => Error::BadInput {
            field: String::new(),
            message: format!("提交的内容格式不对：{e}"),
        },
        _ => Error::MalformedJson(e.to_string()),
    })
}

/// Runs `work` for the centre the bearer credential proves; refuses at once otherwise.
fn authenticated(
    hub: &mut Hub,
    credential: Option<&str>,
    work: impl FnOnce(&mut Hub, &crate::store::Centre) -> Result<Reply>,
) -> Done {
    // A revoked centre's refusals are logged against it, so the county sees it still calling.
    match hub.authenticate(credential) {
        Ok(centre) => Done {
            centre: Some(centre.id),
            result: work(hub, &centre),
        },
        Err(err) => {
            let centre = match &err {
                Error::Revoked { .. } => credential
                    .and_then(|c| hub.centre_for_credential(c).ok().flatten())
                    .map(|c| c.id),
                _ => None,
            };
            Done {
                centre,
                result: Err(err),
            }
        }
    }
}

async fn health(
    State(state): State<AppState>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
) -> Response {
    run(state, "GET /api/v1/health".into(), remote, |hub| {
        Done::anonymous(hub.origin().and_then(|origin| {
            json_reply(json!({ "ok": true, "origin": origin }), Note::default())
        }))
    })
    .await
}

async fn enrol(
    State(state): State<AppState>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let request = parse_body::<EnrolRequest>(&headers, body);
    run(state, "POST /api/v1/enrol".into(), remote, move |hub| {
        let request = match request {
            Ok(request) => request,
            Err(err) => return Done::anonymous(Err(err)),
        };
        // Log a refused code against the centre it was issued to, when it is one.
        let named = hub.centre_for_enrol_code(&request.code).ok().flatten();
        match hub.enrol(&request) {
            Ok((centre, response)) => Done {
                centre: Some(centre.id),
                result: json_reply(
                    response,
                    Note {
                        code: None,
                        message: Some(format!("已注册，登记簿标识 {}", request.origin)),
                    },
                ),
            },
            Err(err) => Done {
                centre: named.map(|c| c.id),
                result: Err(err),
            },
        }
    })
    .await
}

async fn mark(
    State(state): State<AppState>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let credential = bearer(&headers);
    run(state, "GET /api/v1/mark".into(), remote, move |hub| {
        authenticated(hub, credential.as_deref(), |hub, centre| {
            json_reply(hub.mark(centre)?, Note::default())
        })
    })
    .await
}

async fn push(
    State(state): State<AppState>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let credential = bearer(&headers);
    // Parsed before the lock is taken; refused only after the credential is checked, so an
    // unauthenticated caller learns nothing from the shape of its body.
    let request = parse_body::<PushRequest>(&headers, body);
    run(state, "POST /api/v1/push".into(), remote, move |hub| {
        authenticated(hub, credential.as_deref(), |hub, centre| {
            let request = request?;
            let sent = request.events.len();
            let response = hub.push(centre, request)?;
            let note = Note {
                code: response.rejected.first().map(|r| r.code.clone()),
                message: Some(format!(
                    "收到 {sent} 条，确认至 {}，暂存 {} 条，拒收 {} 条",
                    response.acknowledged,
                    response.held.len(),
                    response.rejected.len()
                )),
            };
            json_reply(response, note)
        })
    })
    .await
}

async fn pull(
    State(state): State<AppState>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let credential = bearer(&headers);
    run(state, "GET /api/v1/pull".into(), remote, move |hub| {
        authenticated(hub, credential.as_deref(), |hub, centre| {
            let (after, limit) = pull_params(query.as_deref().unwrap_or(""))?;
            let response = hub.pull(centre, after, limit)?;
            let note = Note {
                code: None,
                message: Some(format!(
                    "游标 {after} 之后取得 {} 条，下一游标 {}",
                    response.events.len(),
                    response.next
                )),
            };
            json_reply(response, note)
        })
    })
    .await
}

async fn own(
    State(state): State<AppState>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let credential = bearer(&headers);
    run(state, "GET /api/v1/own".into(), remote, move |hub| {
        authenticated(hub, credential.as_deref(), |hub, centre| {
            let (after, limit) = pull_params(query.as_deref().unwrap_or(""))?;
            let response = hub.own_events(centre, after, limit)?;
            let note = Note {
                code: None,
                message: Some(format!(
                    "取回本中心第 {after} 号之后的事件 {} 条",
                    response.events.len()
                )),
            };
            json_reply(response, note)
        })
    })
    .await
}

async fn person_matters(
    State(state): State<AppState>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let credential = bearer(&headers);
    let request = parse_body::<xinfang_sync::lookup::PersonMattersRequest>(&headers, body);
    run(
        state,
        "POST /api/v1/person-matters".into(),
        remote,
        move |hub| {
            authenticated(hub, credential.as_deref(), |hub, centre| {
                let response = hub.person_matters(centre, request?)?;
                // The log names no ID number: only that a lookup was made and what it found.
                let note = Note {
                    code: None,
                    message: Some(format!(
                        "跨中心查询信访人，其他中心事项 {} 件",
                        response.matters.len()
                    )),
                };
                json_reply(response, note)
            })
        },
    )
    .await
}

/// `after` (default 0) and `limit` from a query string; anything else is refused.
fn pull_params(query: &str) -> Result<(i64, Option<usize>)> {
    let mut after = 0;
    let mut limit = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "after" => {
                after = value.parse().map_err(|_| Error::BadInput {
                    field: "after".into(),
                    message: "游标须为整数".into(),
                })?;
            }
            "limit" => {
                limit = Some(value.parse().map_err(|_| Error::BadInput {
                    field: "limit".into(),
                    message: "条数须为正整数".into(),
                })?);
            }
            other => {
                return Err(Error::BadInput {
                    field: other.to_owned(),
                    message: format!("不认识的参数 {other}（只有 after 和 limit）"),
                });
            }
        }
    }
    Ok((after, limit))
}

async fn status_page(
    State(state): State<AppState>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
) -> Response {
    let open = state.status_page_open;
    run(state, "GET /".into(), remote, move |hub| {
        if !open && !remote.ip().is_loopback() {
            return Done::anonymous(Err(Error::Forbidden {
                peer: remote.to_string(),
            }));
        }
        Done::anonymous(crate::page::render(hub).map(Reply::Html))
    })
    .await
}

async fn no_endpoint(
    State(state): State<AppState>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    method: axum::http::Method,
    uri: Uri,
) -> Response {
    let endpoint = format!("{method} {}", uri.path());
    run(state, endpoint.clone(), remote, move |_| {
        Done::anonymous(Err(Error::NoEndpoint(endpoint)))
    })
    .await
}

async fn wrong_method(
    State(state): State<AppState>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    method: axum::http::Method,
    uri: Uri,
) -> Response {
    let endpoint = format!("{method} {}", uri.path());
    run(state, endpoint.clone(), remote, move |_| {
        Done::anonymous(Err(Error::WrongMethod(endpoint)))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_parameters_are_checked() {
        assert_eq!(pull_params("").expect("empty"), (0, None));
        assert_eq!(
            pull_params("after=12&limit=3").expect("both"),
            (12, Some(3))
        );
        assert_eq!(
            pull_params("after=x").expect_err("bad").field().as_deref(),
            Some("after")
        );
        assert_eq!(
            pull_params("limit=-1").expect_err("bad").code(),
            "bad_input"
        );
        assert_eq!(
            pull_params("cursor=1")
                .expect_err("unknown")
                .field()
                .as_deref(),
            Some("cursor")
        );
    }
}
