//! The audit trail (安全审计): one chained row per sign-in, refusal, read of a full record,
//! change, print, export, backup and configuration change, with time, user, desk, operation,
//! object and outcome.
//!
//! `ops::call` decides what is audited (`policy`) and hands the row to the register before the
//! operation runs. A change writes its row inside its own transaction (`Register::write` takes
//! the pending row), so no change ever commits without its row and no row claims a change that
//! rolled back. Reads, refusals and failures are written after the operation, in their own
//! transaction; a read whose row cannot be written fails rather than reveal a record unaudited.
//!
//! Rows are chained: `hash = SHA-256(prev_hash, fields)`, so `verify` (`check_chain`) finds an
//! edited, deleted or inserted row. A chain cannot show that its newest rows were cut off, so
//! before every push and bundle export the sync writes the chain's head into the event log
//! (`audit.anchored`), which travels to the county; `check_anchor` finds a trail that no
//! longer reaches the newest anchor. What is cut off after the last anchor is bounded by how
//! often the centre syncs.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{Error, Result, auth::Session, clock::fmt_utc, model::Role};

/// The `prev_hash` of the first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The `outcome` of an operation that succeeded; failures store their error `code`.
pub const OK: &str = "ok";

/// Longest stored user name, object and operation name: a refused request may carry anything.
const MAX_FIELD: usize = 128;
/// Longest stored detail.
const MAX_DETAIL: usize = 1_000;

/// The desk of a call made from the command line on the host.
pub const DESK_CLI: &str = "命令行";
/// The desk of a call made in the host's own window.
pub const DESK_HOST: &str = "本机窗口";

/// One audit row before it is chained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The acting user, when known.
    pub user_id: Option<Uuid>,
    /// The acting user's name, or the name a failed sign-in tried.
    pub username: String,
    /// The acting user's role, when known.
    pub role: Option<Role>,
    /// Where the call came from (a LAN address, `本机窗口`, `命令行`).
    pub desk: String,
    /// Operation name (or a tool's, such as `backup`).
    pub operation: String,
    /// What it was done to: a matter, person, user, ticket id, or a file name.
    pub object: String,
    /// `ok`, or the stable error code.
    pub outcome: String,
    /// A short human-readable addition (the events a change recorded, an error message).
    pub detail: String,
}

impl Entry {
    /// A row for `operation` run by `session` (or by nobody) from `desk`.
    pub fn new(session: Option<&Session>, desk: &str, operation: &str) -> Entry {
        Entry {
            user_id: session.map(|s| s.user_id),
            username: session.map(|s| s.username.clone()).unwrap_or_default(),
            role: session.map(|s| s.role),
            desk: desk.to_owned(),
            operation: operation.to_owned(),
            object: String::new(),
            outcome: OK.to_owned(),
            detail: String::new(),
        }
    }

    /// Takes the object from the usual id fields of an operation's input.
    pub fn with_object_from(mut self, input: &Value) -> Entry {
        self.object = object_of(input).unwrap_or_default();
        self
    }
}

/// The id fields an operation input may name its object by, most specific first.
const OBJECT_FIELDS: &[&str] = &[
    "matter_id",
    "person_id",
    "user_id",
    "ticket_id",
    "interview_id",
    "risk_id",
    "letter_id",
    "id",
    "id_number",
    "username",
    "queue",
    "room",
    "code",
];

/// The object an input or event payload names, if any. ID numbers are stored masked: the
/// audit trail is read by the audit role, who is not cleared for personal data.
pub fn object_of(value: &Value) -> Option<String> {
    ranked_object_of(value).map(|(_, object)| object)
}

/// Like `object_of`, with the rank of the field it came from (lower is more specific), so
/// that the object of a change recording several events is its most specific one (a matter
/// registration names the matter, not the person registered on the way).
pub fn ranked_object_of(value: &Value) -> Option<(usize, String)> {
    let map = value.as_object()?;
    OBJECT_FIELDS.iter().enumerate().find_map(|(rank, key)| {
        let text = match map.get(*key)? {
            Value::String(s) if !s.trim().is_empty() => s.trim().to_owned(),
            Value::Number(n) => n.to_string(),
            _ => return None,
        };
        Some((
            rank,
            if *key == "id_number" {
                mask_id(&text)
            } else {
                text
            },
        ))
    })
}

fn mask_id(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
}

fn clip(text: &str, max: usize) -> String {
    text.chars().filter(|c| !c.is_control()).take(max).collect()
}

/// The hash of a row: SHA-256 over the previous hash and the row's fields as one JSON array,
/// which keeps field boundaries unambiguous.
#[allow(clippy::too_many_arguments)]
pub fn row_hash(
    prev_hash: &str,
    seq: i64,
    at: &str,
    user_id: Option<&str>,
    username: &str,
    role: Option<&str>,
    desk: &str,
    operation: &str,
    object: &str,
    outcome: &str,
    detail: &str,
) -> String {
    let fields = serde_json::json!([
        prev_hash, seq, at, user_id, username, role, desk, operation, object, outcome, detail
    ]);
    Sha256::digest(fields.to_string().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Appends `entry` at `at` to the chain, inside the transaction `conn` is in, or in one of
/// its own when it is in none.
///
/// The row reads the chain's head and then extends it. Another connection to the file (a
/// scheduled backup, a command-line tool) can commit a row between those two statements
/// when they run outside a transaction, and the insert then fails on the taken seq; an
/// IMMEDIATE transaction holds the write lock across both (the busy timeout waits for it).
/// The register's own write transactions are IMMEDIATE for the same reason.
pub fn record(conn: &Connection, at: DateTime<Utc>, entry: &Entry) -> Result<()> {
    if !conn.is_autocommit() {
        return extend(conn, at, entry);
    }
    let tx = rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
    extend(&tx, at, entry)?;
    tx.commit()?;
    Ok(())
}

/// The row itself: the head read and the insert after it.
fn extend(conn: &Connection, at: DateTime<Utc>, entry: &Entry) -> Result<()> {
    let (seq, prev) = match head(conn)? {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS.to_owned()),
    };
    let at = fmt_utc(at);
    let user_id = entry.user_id.map(|u| u.to_string());
    let username = clip(&entry.username, MAX_FIELD);
    let role = entry.role.map(Role::code);
    let desk = clip(&entry.desk, MAX_FIELD);
    let operation = clip(&entry.operation, MAX_FIELD);
    let object = clip(&entry.object, MAX_FIELD);
    let outcome = clip(&entry.outcome, MAX_FIELD);
    let detail = clip(&entry.detail, MAX_DETAIL);
    let hash = row_hash(
        &prev,
        seq,
        &at,
        user_id.as_deref(),
        &username,
        role,
        &desk,
        &operation,
        &object,
        &outcome,
        &detail,
    );
    conn.prepare_cached(
        "INSERT INTO audit_log (seq, at, user_id, username, role, desk, operation, object,
                                outcome, detail, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        seq, at, user_id, username, role, desk, operation, object, outcome, detail, prev, hash
    ])?;
    Ok(())
}

/// The newest row of the chain: `(seq, hash)`, or `None` for an empty trail.
pub fn head(conn: &Connection) -> Result<Option<(i64, String)>> {
    Ok(conn
        .prepare_cached("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// The newest `audit.anchored` event of `origin`: `(event seq, audit seq, audit hash)`.
pub fn newest_anchor(conn: &Connection, origin: &str) -> Result<Option<(i64, i64, String)>> {
    let row: Option<(i64, String)> = conn
        .prepare_cached(
            "SELECT seq, payload FROM events WHERE origin = ?1 AND kind = 'audit.anchored'
             ORDER BY seq DESC LIMIT 1",
        )?
        .query_row([origin], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((event_seq, payload)) = row else {
        return Ok(None);
    };
    let payload: Value = serde_json::from_str(&payload)?;
    let audit_seq = payload["audit_seq"].as_i64().unwrap_or(0);
    let audit_hash = payload["audit_hash"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    Ok(Some((event_seq, audit_seq, audit_hash)))
}

/// Whether the trail still reaches the newest anchor the centre sent to the county: the row
/// it names must be there with the hash it recorded. One line per problem (empty: fine, or
/// nothing anchored yet).
pub fn check_anchor(conn: &Connection) -> Result<Vec<String>> {
    let origin: Option<String> = conn
        .query_row("SELECT origin FROM centre", [], |r| r.get(0))
        .optional()?;
    let Some(origin) = origin else {
        return Ok(Vec::new());
    };
    let Some((event_seq, audit_seq, audit_hash)) = newest_anchor(conn, &origin)? else {
        return Ok(Vec::new());
    };
    let stored: Option<String> = conn
        .prepare_cached("SELECT hash FROM audit_log WHERE seq = ?1")?
        .query_row([audit_seq], |r| r.get(0))
        .optional()?;
    Ok(match stored {
        Some(hash) if hash == audit_hash => Vec::new(),
        Some(_) => vec![format!(
            "审计记录第 {audit_seq} 条与第 {event_seq} 号事件上报县级时记下的不符（记录被改动或替换）"
        )],
        None => vec![format!(
            "审计记录缺少第 {audit_seq} 条：第 {event_seq} 号事件上报县级时审计记录已到该条，其后的记录被截去"
        )],
    })
}

/// Walks the whole chain; one line per broken link (empty: intact).
pub fn check_chain(conn: &Connection, max_problems: usize) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT seq, at, user_id, username, role, desk, operation, object, outcome, detail,
                prev_hash, hash
         FROM audit_log ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut expected_seq = 1i64;
    let mut prev = GENESIS.to_owned();
    while let Some(row) = rows.next()? {
        let seq: i64 = row.get(0)?;
        let stored_prev: String = row.get(10)?;
        let stored_hash: String = row.get(11)?;
        let user_id: Option<String> = row.get(2)?;
        let role: Option<String> = row.get(4)?;
        let computed = row_hash(
            &stored_prev,
            seq,
            &row.get::<_, String>(1)?,
            user_id.as_deref(),
            &row.get::<_, String>(3)?,
            role.as_deref(),
            &row.get::<_, String>(5)?,
            &row.get::<_, String>(6)?,
            &row.get::<_, String>(7)?,
            &row.get::<_, String>(8)?,
            &row.get::<_, String>(9)?,
        );
        if seq != expected_seq {
            problems.push(format!(
                "审计记录缺失或被插入：应为第 {expected_seq} 条，实为第 {seq} 条"
            ));
        }
        if stored_prev != prev {
            problems.push(format!(
                "审计记录第 {seq} 条与前一条的链接不符（前一条被改动或删除）"
            ));
        }
        if computed != stored_hash {
            problems.push(format!(
                "审计记录第 {seq} 条的内容与其哈希不符（记录被改动）"
            ));
        }
        if problems.len() >= max_problems {
            break;
        }
        expected_seq = seq + 1;
        prev = stored_hash;
    }
    Ok(problems)
}

/// How many failed sign-ins came from `desk` since `since` (the sign-in rate limit across
/// names: a desk guessing many names is stopped even though no one name locks).
pub fn failed_sign_ins_from(conn: &Connection, desk: &str, since: DateTime<Utc>) -> Result<u32> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM audit_log
             WHERE desk = ?1 AND operation = 'auth_login' AND outcome != 'ok' AND at >= ?2",
        )?
        .query_row(params![desk, fmt_utc(since)], |r| r.get(0))?)
}

/// What `ops::call` audits: every change, and these reads (full records, documents, exports,
/// the trail itself). Lists and searches are not: they show masked rows, and auditing every
/// keystroke of a search would bury the reads that matter.
pub const AUDITED_READS: &[&str] = &[
    "auth_login",
    "auth_logout",
    "person_get",
    "person_lookup",
    "matter_get",
    "letter_preview",
    "ticket_document",
    "interview_document",
    "report_export",
    "report_pdf",
    "hall_stats_export",
    "indicator_cases",
    "user_list",
    "sync_configure",
    "sync_request",
    "audit_list",
    "audit_export",
];

/// Whether a failed or refused call is audited: always for audited operations, and for any
/// operation when the refusal is about who is asking.
pub fn audits_failure(operation_audited: bool, error: &Error) -> bool {
    operation_audited
        || matches!(
            error,
            Error::Unauthenticated(_)
                | Error::Forbidden { .. }
                | Error::Account { .. }
                | Error::UnknownOperation(_)
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        crate::db::configure(&conn).unwrap();
        let mut conn = conn;
        crate::db::migrate(&mut conn).unwrap();
        let at = DateTime::parse_from_rfc3339("2026-12-01T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        for i in 0..5 {
            let mut entry = Entry::new(None, "10.0.0.9", "auth_login");
            entry.username = format!("user{i}");
            entry.outcome = if i % 2 == 0 {
                OK.into()
            } else {
                "unauthenticated".into()
            };
            record(&conn, at, &entry).unwrap();
        }
        conn
    }

    #[test]
    fn an_untouched_chain_checks_and_triggers_stop_edits() {
        let conn = chain();
        assert_eq!(check_chain(&conn, 10).unwrap(), Vec::<String>::new());
        let err = conn
            .execute("UPDATE audit_log SET username = 'x' WHERE seq = 2", [])
            .unwrap_err();
        assert!(err.to_string().contains("append-only"), "{err}");
        assert!(
            conn.execute("DELETE FROM audit_log WHERE seq = 2", [])
                .is_err()
        );
    }

    #[test]
    fn an_edit_or_a_deletion_behind_the_triggers_breaks_the_chain() {
        let conn = chain();
        conn.execute_batch("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;")
            .unwrap();
        conn.execute("UPDATE audit_log SET outcome = 'ok' WHERE seq = 2", [])
            .unwrap();
        let problems = check_chain(&conn, 10).unwrap();
        assert!(
            problems.iter().any(|p| p.contains("第 2 条的内容")),
            "{problems:?}"
        );

        let conn = chain();
        conn.execute_batch("DROP TRIGGER audit_log_no_delete;")
            .unwrap();
        conn.execute("DELETE FROM audit_log WHERE seq = 3", [])
            .unwrap();
        let problems = check_chain(&conn, 10).unwrap();
        assert!(
            problems.iter().any(|p| p.contains("应为第 3 条")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("第 4 条与前一条")),
            "{problems:?}"
        );
    }

    #[test]
    fn objects_come_from_id_fields_and_id_numbers_are_masked() {
        let input = serde_json::json!({"id_number": "110101199003071234", "name": "张三"});
        assert_eq!(object_of(&input).unwrap(), "1101**********1234");
        let input = serde_json::json!({"matter_id": "m1", "person_id": "p1"});
        assert_eq!(object_of(&input).unwrap(), "m1");
        assert_eq!(object_of(&serde_json::json!({})), None);
        assert_eq!(clip("a\u{0}b\nc", 10), "abc");
    }
}
