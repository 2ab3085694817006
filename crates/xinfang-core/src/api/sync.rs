//! 同步: the sync panel's operations. They read and set the desk's sync bookkeeping
//! (`crate::sync`); the exchange itself runs in the server's worker, never in a request.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Done, Empty};
use crate::{
    Error, Result,
    auth::Session,
    model::{MatterStatus, StepKind},
    register::Register,
    sync,
};

/// The last error of the exchange.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SyncError {
    /// Stable code: the hub's (`unauthenticated`, `revoked`, `conflicting_event`, …) or the
    /// desk's (`unreachable`, `hub_error`).
    pub code: String,
    /// Chinese message, the hub's own where it sent one.
    pub message: String,
    /// When it happened (UTC).
    pub at: Option<String>,
}

/// What the sync panel shows.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SyncStatus {
    /// A hub URL is set.
    pub configured: bool,
    /// The hub URL.
    pub hub_url: Option<String>,
    /// The pinned SHA-256 fingerprint of the hub's certificate (`AB:CD:…`), for an https hub.
    pub hub_fingerprint: Option<String>,
    /// The centre holds a credential from the hub.
    pub enrolled: bool,
    /// An enrolment code waits to be redeemed.
    pub enrolment_pending: bool,
    /// The last run reached the hub and finished without error.
    pub connected: bool,
    /// When the worker last tried (UTC).
    pub last_attempt: Option<String>,
    /// When a run last completed (UTC).
    pub last_success: Option<String>,
    /// The highest seq of this centre's own events.
    pub local_seq: i64,
    /// The hub's acknowledged mark, as last heard.
    pub acknowledged: i64,
    /// Events not yet acknowledged by the hub (`local_seq - acknowledged`).
    pub events_waiting: i64,
    /// Time of the oldest unacknowledged event (UTC).
    pub oldest_unsent: Option<String>,
    /// The last error, until a run succeeds.
    pub last_error: Option<SyncError>,
    /// Events received from the county.
    pub inbox_count: i64,
    /// A run was asked for and has not started yet.
    pub requested: bool,
    /// How far the run under way has got; `None` between runs.
    pub progress: Option<SyncProgress>,
}

/// A sync run under way.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SyncProgress {
    /// When it started (UTC).
    pub started_at: String,
    /// Events that were waiting when it started.
    pub to_push: i64,
    /// Of those, acknowledged by the hub so far.
    pub pushed: i64,
    /// County events received so far in this run (the hub does not say how many will come).
    pub pulled: i64,
}

/// 同步状态.
pub fn sync_status(register: &mut Register, _who: &Session, _input: Empty) -> Result<SyncStatus> {
    let state = sync::state(register)?;
    let local_seq = sync::local_seq(register)?;
    let origin = register.centre()?.origin.to_string();
    let conn = register.conn();
    let oldest_unsent: Option<String> = conn.query_row(
        "SELECT min(at) FROM events WHERE origin = ?1 AND seq > ?2",
        rusqlite::params![origin, state.acknowledged],
        |r| r.get(0),
    )?;
    let inbox_count: i64 = conn.query_row("SELECT count(*) FROM county_inbox", [], |r| r.get(0))?;
    let (run_waiting, run_inbox): (i64, i64) = conn.query_row(
        "SELECT run_waiting, run_inbox FROM sync_state WHERE id = 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let events_waiting = (local_seq - state.acknowledged).max(0);
    // A run is under way when its start is newer than its end, whichever way it ended. The
    // stamps are fmt_utc strings, which order as the times do.
    let finished = state
        .last_success
        .iter()
        .chain(state.last_error_at.iter())
        .max()
        .cloned();
    let progress = state
        .last_attempt
        .clone()
        .filter(|started| finished.as_ref().is_none_or(|done| started > done))
        .map(|started_at| SyncProgress {
            started_at,
            to_push: run_waiting,
            pushed: (run_waiting - events_waiting).clamp(0, run_waiting),
            pulled: (inbox_count - run_inbox).max(0),
        });
    let last_error = state.last_error_code.clone().map(|code| SyncError {
        code,
        message: state.last_error_message.clone().unwrap_or_default(),
        at: state.last_error_at.clone(),
    });
    Ok(SyncStatus {
        configured: state.hub_url.is_some(),
        enrolled: state.credential.is_some(),
        enrolment_pending: state.enrolment_code.is_some() && state.credential.is_none(),
        connected: state.last_success.is_some() && last_error.is_none(),
        hub_url: state.hub_url,
        hub_fingerprint: state.hub_fingerprint.as_deref().map(display_fingerprint),
        last_attempt: state.last_attempt,
        last_success: state.last_success,
        local_seq,
        acknowledged: state.acknowledged,
        events_waiting,
        oldest_unsent,
        last_error,
        inbox_count,
        requested: state.requested_at.is_some(),
        progress,
    })
}

/// Where the county hub is, the fingerprint of its certificate, and the one-time code its
/// administrator gave.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncConfigureInput {
    /// 县级枢纽地址, e.g. `https://10.0.0.5:8787` (`http://` only for a hub on this machine
    /// or behind an encrypted link).
    pub hub_url: String,
    /// 证书指纹: the SHA-256 `xinfang-hub tls fingerprint` printed (64 hex digits, colons and
    /// case as you like). Required for an `https://` hub: only that certificate is accepted.
    #[serde(default)]
    pub hub_fingerprint: Option<String>,
    /// 注册码 from `xinfang-hub centre add`; empty keeps the current enrolment.
    #[serde(default)]
    pub enrolment_code: Option<String>,
}

/// Checks a hub URL: `https://host[:port]` or `http://host[:port]` with nothing after but an
/// optional `/`.
pub fn validate_hub_url(url: &str) -> Result<String> {
    let url = url.trim();
    if url.is_empty() {
        return Err(Error::required("hub_url", "县级枢纽地址"));
    }
    let bad = |message: &str| Err(Error::field("invalid_hub_url", "hub_url", message));
    let (scheme, rest) = if let Some(rest) = url.strip_prefix("https://") {
        ("https", rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        ("http", rest)
    } else {
        return bad("地址应以 https:// 开头，例如 https://10.0.0.5:8787");
    };
    let host_port = rest.trim_end_matches('/');
    let (host, port) = match host_port.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (host_port, None),
    };
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'));
    if !host_ok {
        return bad("地址中的主机名不正确，例如 http://10.0.0.5:8787");
    }
    if let Some(port) = port
        && port.parse::<u16>().map_or(true, |p| p == 0)
    {
        return bad("端口应为 1–65535 之间的数字");
    }
    if url.len() > 200 {
        return bad("地址过长");
    }
    Ok(format!("{scheme}://{host_port}"))
}

/// Reads a certificate fingerprint as typed or pasted (colons, spaces, case and a `SHA256:`
/// prefix as you like) into its stored form, 64 lower-case hex digits.
pub fn normalise_fingerprint(text: &str) -> Option<String> {
    let text = text.trim();
    let text = ["SHA256:", "sha256:", "SHA-256:"]
        .iter()
        .find_map(|p| text.strip_prefix(p))
        .unwrap_or(text);
    let hex: String = text
        .chars()
        .filter(|c| !matches!(c, ':' | ' ' | '-'))
        .collect::<String>()
        .to_ascii_lowercase();
    (hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit())).then_some(hex)
}

/// The stored fingerprint as people compare it: `AB:CD:…`, as `xinfang-hub` prints it.
pub fn display_fingerprint(stored: &str) -> String {
    stored
        .as_bytes()
        .chunks(2)
        .map(|pair| String::from_utf8_lossy(pair).to_ascii_uppercase())
        .collect::<Vec<_>>()
        .join(":")
}

/// 设置同步.
pub fn sync_configure(
    register: &mut Register,
    _who: &Session,
    input: SyncConfigureInput,
) -> Result<SyncStatus> {
    let url = validate_hub_url(&input.hub_url)?;
    let given = input
        .hub_fingerprint
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty());
    // An https hub without a pin would have to trust some certificate authority, and a county
    // has none for its hub: the fingerprint is what makes the link safe, so it is required.
    let fingerprint = match (url.starts_with("https://"), given) {
        (true, None) => return Err(Error::required("hub_fingerprint", "县级枢纽证书指纹")),
        (true, Some(text)) => Some(normalise_fingerprint(text).ok_or_else(|| {
            Error::field(
                "invalid_hub_fingerprint",
                "hub_fingerprint",
                "证书指纹应为 64 位十六进制数字（可含冒号），请按 xinfang-hub tls fingerprint 的输出填写",
            )
        })?),
        (false, Some(_)) => {
            return Err(Error::field(
                "invalid_hub_fingerprint",
                "hub_fingerprint",
                "http:// 地址不加密，证书指纹无从核对；请填写 https:// 地址",
            ));
        }
        (false, None) => None,
    };
    let code = match input.enrolment_code.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(code) => {
            let normal: String = code
                .chars()
                .filter(|c| !matches!(c, '-' | ' '))
                .collect::<String>()
                .to_ascii_uppercase();
            if normal.len() != 20 || !normal.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(Error::field(
                    "invalid_enrolment_code",
                    "enrolment_code",
                    "注册码应为 20 位字母和数字（可含短横线），请按县级枢纽给出的注册码填写",
                ));
            }
            Some(normal)
        }
    };
    let state = sync::state(register)?;
    if code.is_none() && state.credential.is_none() && state.enrolment_code.is_none() {
        return Err(Error::required("enrolment_code", "注册码"));
    }
    sync::configure(register, &url, code.as_deref())?;
    sync::set_hub_fingerprint(register, fingerprint.as_deref())?;
    sync_status(register, _who, Empty {})
}

/// 立即同步.
pub fn sync_request(register: &mut Register, _who: &Session, _input: Empty) -> Result<Done> {
    sync::request(register)?;
    Ok(Done { ok: true })
}

/// Which inbox events to list.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InboxListInput {
    /// At most this many, newest first (default 100, at most 500).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// One event received from the county.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct InboxEvent {
    /// The hub's cursor.
    pub cursor: i64,
    /// Event id.
    pub id: String,
    /// The origin that wrote it (the hub's, for county events).
    pub origin: String,
    /// Kind (`county.assignment`, …).
    pub kind: String,
    /// Kind in Chinese.
    pub kind_name: String,
    /// Payload as sent.
    pub payload: serde_json::Value,
    /// When it was written (UTC).
    pub at: String,
    /// When this desk received it (UTC).
    pub received_at: String,
    /// When it was taken into the register; `None` while pending or refused.
    pub applied_at: Option<String>,
    /// What applying it did (`交办事项已登记为 …`).
    pub outcome: Option<String>,
    /// Why it could not be taken in: stable code …
    pub error_code: Option<String>,
    /// … and the Chinese reason.
    pub error_message: Option<String>,
    /// The matter it created or concerns, once applied.
    pub matter_id: Option<uuid::Uuid>,
    /// The content was withheld: a 检举控告 referral, and this role is not cleared for it.
    pub withheld: bool,
}

/// Which refused inbox event to try again.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InboxRetryInput {
    /// The event id.
    pub id: String,
}

fn kind_name(kind: &str) -> &'static str {
    match kind {
        "county.assignment" => "交办",
        "county.forward" => "转送",
        "county.supervision" => "督办",
        "county.reminder" => "催办",
        "county.correction" => "更正",
        "county.calendar" => "节假日安排",
        "county.calendar_overlay" => "本县节假日调整",
        "county.codes" => "代码表",
        "county.template" => "文书模板",
        _ => "其他",
    }
}

/// 县级下发.
pub fn county_inbox_list(
    register: &mut Register,
    who: &Session,
    input: InboxListInput,
) -> Result<Vec<InboxEvent>> {
    let limit = input.limit.unwrap_or(100).clamp(1, 500);
    inbox_rows(
        register,
        who,
        "ORDER BY i.cursor DESC LIMIT ?1",
        limit.to_string(),
    )
}

/// 重新处理未能接收的县级下发 (after the centre added a missing code, for instance).
pub fn county_inbox_retry(
    register: &mut Register,
    who: &Session,
    input: InboxRetryInput,
) -> Result<InboxEvent> {
    crate::county::retry(register, input.id.trim())?;
    crate::county::apply_inbox(register)?;
    inbox_rows(register, who, "AND i.id = ?1", input.id.trim().to_owned())?
        .pop()
        .ok_or_else(|| Error::NotFound {
            what: "县级下发",
            id: input.id.clone(),
        })
}

fn inbox_rows(
    register: &Register,
    who: &Session,
    tail: &str,
    param: String,
) -> Result<Vec<InboxEvent>> {
    let cleared = super::cleared_for_accusations(who);
    let mut stmt = register.conn().prepare(&format!(
        "SELECT i.cursor, i.id, i.origin, i.kind, i.payload, i.at, i.received_at, i.applied_at,
           i.outcome, i.error_code, i.error_message, d.matter_id
         FROM county_inbox i LEFT JOIN county_directives d ON d.id = i.id
         WHERE 1 {tail}"
    ))?;
    let rows = stmt.query_map([param], |r| {
        Ok((
            (
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
            ),
            (
                r.get::<_, Option<String>>(7)?,
                r.get::<_, Option<String>>(8)?,
                r.get::<_, Option<String>>(9)?,
                r.get::<_, Option<String>>(10)?,
                r.get::<_, Option<String>>(11)?,
            ),
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (
            (cursor, id, origin, kind, payload, at, received_at),
            (applied_at, outcome, error_code, error_message, matter_id),
        ) = row?;
        let mut payload: serde_json::Value = serde_json::from_str(&payload)?;
        // Art. 30(3): a 检举控告 referral names the reporter; only cleared roles see it.
        let withheld = !cleared
            && payload
                .pointer("/matter/matter_class")
                .and_then(|c| c.as_str())
                == Some("accusation");
        if withheld {
            let keep = ["reference", "from_unit", "due_on"];
            payload = serde_json::Value::Object(
                payload
                    .as_object()
                    .map(|o| {
                        o.iter()
                            .filter(|(k, _)| keep.contains(&k.as_str()))
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect()
                    })
                    .unwrap_or_default(),
            );
        }
        out.push(InboxEvent {
            cursor,
            id,
            origin,
            kind_name: kind_name(&kind).to_owned(),
            kind,
            payload,
            at,
            received_at,
            applied_at,
            outcome,
            error_code,
            error_message,
            matter_id: matter_id.and_then(|m| m.parse().ok()),
            withheld,
        });
    }
    Ok(out)
}

/// Which person to look up at the other centres of the county.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CountyLookupInput {
    /// 证件号码.
    pub id_number: String,
    /// Ask the hub again even if a fresh answer is at hand.
    #[serde(default)]
    pub refresh: bool,
}

/// A matter of the person at another centre, as far as the county tells.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CountyMatterView {
    /// The centre.
    pub centre_name: String,
    /// Its code.
    pub centre_code: String,
    /// 信访日期 (China date).
    pub received_on: Option<chrono::NaiveDate>,
    /// 事项类别.
    pub matter_class_name: String,
    /// 状态, from the steps the centre recorded.
    pub status_name: String,
}

/// Where a lookup stands.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CountyLookup {
    /// `answered`, `pending` (the sync worker will ask the hub; ask again in a moment),
    /// `failed` (the hub could not answer: `error`), or `not_connected` (no hub enrolled).
    pub state: String,
    /// When the hub answered.
    pub answered_at: Option<String>,
    /// The matters at other centres, newest first.
    pub matters: Vec<CountyMatterView>,
    /// The hub had more than it listed.
    pub truncated: bool,
    /// The hub's reason, when it could not answer.
    pub error: Option<SyncError>,
}

/// 县内其他中心的信访记录: asks through the sync worker, never waits for the network here.
pub fn person_county_matters(
    register: &mut Register,
    _who: &Session,
    input: CountyLookupInput,
) -> Result<CountyLookup> {
    let id_number = input.id_number.trim().to_ascii_uppercase();
    if !xinfang_sync::lookup::plausible_id_number(&id_number) {
        return Err(Error::field(
            "invalid_id_number",
            "id_number",
            "证件号码应为 6～32 位字母或数字",
        ));
    }
    let empty = |state: &str| CountyLookup {
        state: state.to_owned(),
        answered_at: None,
        matters: Vec::new(),
        truncated: false,
        error: None,
    };
    let link = sync::state(register)?;
    if link.hub_url.is_none() || link.credential.is_none() {
        return Ok(empty("not_connected"));
    }
    let now = register.now();
    // A question still waiting is left alone (the desk polls); a fresh answer is given as it
    // is unless the clerk asks again; anything else is asked (again).
    let stored = match crate::lookup::stored(register, &id_number)? {
        Some(s) if s.answered_at.is_none() => return Ok(empty("pending")),
        Some(s)
            if !input.refresh
                && s.answered_at
                    .is_some_and(|at| now - at < crate::lookup::FRESH_FOR) =>
        {
            s
        }
        _ => {
            crate::lookup::ask(register, &id_number)?;
            return Ok(empty("pending"));
        }
    };
    let codes = register.codes();
    let (matters, truncated) = match &stored.answer {
        Some(answer) => (
            answer
                .matters
                .iter()
                .map(|m| {
                    let status = m
                        .steps
                        .iter()
                        .rev()
                        .find_map(|s| StepKind::from_code(s).and_then(StepKind::resulting_status))
                        .unwrap_or(MatterStatus::Registered);
                    CountyMatterView {
                        centre_name: m.centre_name.clone(),
                        centre_code: m.centre_code.clone(),
                        received_on: chrono::DateTime::parse_from_rfc3339(&m.received_at)
                            .ok()
                            .map(|t| crate::clock::china_date(t.with_timezone(&chrono::Utc))),
                        matter_class_name: super::code_name(
                            codes,
                            crate::domain::codes::CodeTable::MatterClasses,
                            &m.matter_class,
                        ),
                        status_name: status.name_zh().to_owned(),
                    }
                })
                .collect(),
            answer.truncated,
        ),
        None => (Vec::new(), false),
    };
    let error = stored.error.map(|(code, message)| SyncError {
        code,
        message,
        at: stored.answered_at.map(crate::clock::fmt_utc),
    });
    Ok(CountyLookup {
        state: if stored.answer.is_none() && error.is_some() {
            "failed".to_owned()
        } else {
            "answered".to_owned()
        },
        answered_at: stored.answered_at.map(crate::clock::fmt_utc),
        matters,
        truncated,
        error,
    })
}
