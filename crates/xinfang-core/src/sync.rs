//! The desk's bookkeeping of its exchange with the county hub: the state the sync worker of
//! `xinfang-server` reads and writes between its requests (`sync_state`, `county_inbox`;
//! migration 0013). Nothing here speaks to the network: the worker does the HTTP, and calls
//! these short reads and writes with the register lock held only for their duration.
//!
//! None of this is events: the link's state is no fact about the register, like `sessions`.

use rusqlite::{OptionalExtension, params};
use uuid::Uuid;
use xinfang_sync::{EnrolRequest, Routed, WireEvent, wire_form};

use crate::{Result, clock::fmt_utc, register::Register};

/// The stored sync state (the one row of `sync_state`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    /// The hub's base URL (`http://host:port`), once configured.
    pub hub_url: Option<String>,
    /// A one-time enrolment code not yet redeemed.
    pub enrolment_code: Option<String>,
    /// The bearer credential the hub gave this centre.
    pub credential: Option<String>,
    /// The hub's id of this centre.
    pub hub_centre_id: Option<String>,
    /// The hub's acknowledged mark of this centre's origin, as last heard.
    pub acknowledged: i64,
    /// The hub cursor of the last event pulled.
    pub pull_cursor: i64,
    /// When the worker last tried.
    pub last_attempt: Option<String>,
    /// When a run last completed without error.
    pub last_success: Option<String>,
    /// The last error's code (the hub's, or `unreachable`, `rejected`, …).
    pub last_error_code: Option<String>,
    /// The last error's Chinese message.
    pub last_error_message: Option<String>,
    /// When the last error happened.
    pub last_error_at: Option<String>,
    /// Set by `sync_request`: run now.
    pub requested_at: Option<String>,
}

/// Reads the sync state.
pub fn state(register: &Register) -> Result<State> {
    let state = register
        .conn()
        .query_row(
            "SELECT hub_url, enrolment_code, credential, hub_centre_id, acknowledged, pull_cursor,
                    last_attempt, last_success, last_error_code, last_error_message,
                    last_error_at, requested_at
             FROM sync_state WHERE id = 1",
            [],
            |r| {
                Ok(State {
                    hub_url: r.get(0)?,
                    enrolment_code: r.get(1)?,
                    credential: r.get(2)?,
                    hub_centre_id: r.get(3)?,
                    acknowledged: r.get(4)?,
                    pull_cursor: r.get(5)?,
                    last_attempt: r.get(6)?,
                    last_success: r.get(7)?,
                    last_error_code: r.get(8)?,
                    last_error_message: r.get(9)?,
                    last_error_at: r.get(10)?,
                    requested_at: r.get(11)?,
                })
            },
        )
        .optional()?;
    Ok(state.unwrap_or_default())
}

/// Stores the hub URL and, when given, a new enrolment code (which drops the old credential:
/// the centre enrols again). Asks for a run at once.
pub fn configure(register: &Register, hub_url: &str, enrolment_code: Option<&str>) -> Result<()> {
    let now = fmt_utc(register.now());
    let conn = register.conn();
    conn.execute(
        "UPDATE sync_state SET hub_url = ?1, requested_at = ?2 WHERE id = 1",
        params![hub_url, now],
    )?;
    if let Some(code) = enrolment_code {
        conn.execute(
            "UPDATE sync_state SET enrolment_code = ?1, credential = NULL, hub_centre_id = NULL,
                    acknowledged = 0
             WHERE id = 1",
            [code],
        )?;
    }
    Ok(())
}

/// Asks the worker to run now.
pub fn request(register: &Register) -> Result<()> {
    register.conn().execute(
        "UPDATE sync_state SET requested_at = ?1 WHERE id = 1",
        [fmt_utc(register.now())],
    )?;
    Ok(())
}

/// Marks the start of a run: the attempt time, and the request (if any) taken.
pub fn record_attempt(register: &Register) -> Result<()> {
    register.conn().execute(
        "UPDATE sync_state SET last_attempt = ?1, requested_at = NULL WHERE id = 1",
        [fmt_utc(register.now())],
    )?;
    Ok(())
}

/// What to send to `POST /api/v1/enrol`, when there is a code and no credential yet.
pub fn enrol_request(register: &Register) -> Result<Option<EnrolRequest>> {
    let state = state(register)?;
    let (Some(code), None) = (state.enrolment_code, state.credential) else {
        return Ok(None);
    };
    let centre = register.centre()?;
    Ok(Some(EnrolRequest {
        code,
        origin: centre.origin,
        centre_code: centre.code.clone(),
        centre_name: centre.name.clone(),
    }))
}

/// Stores the credential of a successful enrolment; the code is spent.
pub fn record_enrolled(register: &Register, centre_id: Uuid, credential: &str) -> Result<()> {
    register.conn().execute(
        "UPDATE sync_state SET credential = ?1, hub_centre_id = ?2, enrolment_code = NULL,
                acknowledged = 0, pull_cursor = 0
         WHERE id = 1",
        params![credential, centre_id.to_string()],
    )?;
    Ok(())
}

/// Stores the hub's acknowledged mark (as `GET /mark` or a push answered it). The hub is the
/// authority: a hub restored from an older backup moves the mark back, and the events above it
/// are sent again.
pub fn record_mark(register: &Register, acknowledged: i64) -> Result<()> {
    register.conn().execute(
        "UPDATE sync_state SET acknowledged = ?1 WHERE id = 1",
        [acknowledged],
    )?;
    Ok(())
}

/// Up to `limit` of this centre's own events with seq above `after`, in seq order, in the form
/// they travel in (`xinfang_sync::wire_form`: `user.*` without payload).
pub fn outbox(register: &Register, after: i64, limit: usize) -> Result<Vec<WireEvent>> {
    let origin = register.centre()?.origin;
    let mut stmt = register.conn().prepare_cached(
        "SELECT id, seq, actor, at, kind, schema_version, payload FROM events
         WHERE origin = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![origin.to_string(), after, limit as i64], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, u32>(5)?,
            r.get::<_, String>(6)?,
        ))
    })?;
    let mut events = Vec::new();
    for row in rows {
        let (id, seq, actor, at, kind, schema_version, payload) = row?;
        let id = Uuid::parse_str(&id)
            .map_err(|e| crate::Error::Internal(format!("event id {id}: {e}")))?;
        events.push(wire_form(WireEvent {
            id,
            origin,
            seq,
            actor,
            at,
            kind,
            schema_version,
            payload: serde_json::from_str(&payload)?,
        }));
    }
    Ok(events)
}

/// Stores pulled events in the inbox (a known id is left as it is) and the cursor to pull
/// after next time, in one transaction. Returns how many were new.
pub fn record_pulled(register: &Register, events: &[Routed], next: i64) -> Result<usize> {
    let now = fmt_utc(register.now());
    let tx = register.conn().unchecked_transaction()?;
    let mut added = 0;
    {
        let mut insert = tx.prepare_cached(
            "INSERT OR IGNORE INTO county_inbox
                 (cursor, id, origin, seq, kind, payload, at, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for routed in events {
            let event = &routed.event;
            added += insert.execute(params![
                routed.cursor,
                event.id.to_string(),
                event.origin.to_string(),
                event.seq,
                event.kind,
                event.payload.to_string(),
                event.at,
                now,
            ])?;
        }
    }
    let cursor = events.iter().map(|r| r.cursor).max().unwrap_or(0).max(next);
    tx.execute(
        "UPDATE sync_state SET pull_cursor = max(pull_cursor, ?1) WHERE id = 1",
        [cursor],
    )?;
    tx.commit()?;
    Ok(added)
}

/// A run that completed: the time, and no error.
pub fn record_success(register: &Register) -> Result<()> {
    register.conn().execute(
        "UPDATE sync_state SET last_success = ?1, last_error_code = NULL,
                last_error_message = NULL, last_error_at = NULL
         WHERE id = 1",
        [fmt_utc(register.now())],
    )?;
    Ok(())
}

/// A run that failed, with the hub's code and Chinese message (or the desk's own).
pub fn record_error(register: &Register, code: &str, message: &str) -> Result<()> {
    register.conn().execute(
        "UPDATE sync_state SET last_error_code = ?1, last_error_message = ?2, last_error_at = ?3
         WHERE id = 1",
        params![code, message, fmt_utc(register.now())],
    )?;
    Ok(())
}

/// The highest seq of this centre's own events (0 for none).
pub fn local_seq(register: &Register) -> Result<i64> {
    let origin = register.centre()?.origin;
    Ok(register.conn().query_row(
        "SELECT coalesce(max(seq), 0) FROM events WHERE origin = ?1",
        [origin.to_string()],
        |r| r.get(0),
    )?)
}
