//! The cross-centre person lookup, desk side (`county_lookups`, migration 0019): a desk's
//! question waits in the register, the sync worker takes it to the hub on its next run and
//! leaves the answer here, and the desk reads it. So the question is an ordinary short write
//! and nothing waits for the network, over any adapter (window, browser, command line).

use chrono::{DateTime, Duration, Utc};
use rusqlite::{OptionalExtension, params};
use xinfang_sync::lookup::PersonMattersResponse;

use crate::{Result, clock::fmt_utc, register::Register};

/// How long an answer counts as fresh: a clerk checking the same person twice in a session
/// gets it at once; a day later the hub is asked again.
pub const FRESH_FOR: Duration = Duration::minutes(10);

/// A stored question and, once there is one, its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// When the desk last asked.
    pub requested_at: DateTime<Utc>,
    /// When the hub answered that question.
    pub answered_at: Option<DateTime<Utc>>,
    /// The answer.
    pub answer: Option<PersonMattersResponse>,
    /// Why the hub could not answer (code, Chinese message).
    pub error: Option<(String, String)>,
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// What is stored for `id_number`.
pub fn stored(register: &Register, id_number: &str) -> Result<Option<Stored>> {
    type Row = (
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let row: Option<Row> = register
        .conn()
        .query_row(
            "SELECT requested_at, answered_at, answer, error_code, error_message
             FROM county_lookups WHERE id_number = ?1",
            [id_number],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    let Some((requested, answered, answer, code, message)) = row else {
        return Ok(None);
    };
    Ok(Some(Stored {
        requested_at: parse_time(&requested).unwrap_or_default(),
        answered_at: answered.as_deref().and_then(parse_time),
        answer: answer.map(|a| serde_json::from_str(&a)).transpose()?,
        error: code.map(|c| (c, message.unwrap_or_default())),
    }))
}

/// Asks (again): the row waits for the worker, keeping the last answer until a new one comes.
pub fn ask(register: &Register, id_number: &str) -> Result<()> {
    let now = fmt_utc(register.now());
    register.conn().execute(
        "INSERT INTO county_lookups (id_number, requested_at) VALUES (?1, ?2)
         ON CONFLICT (id_number) DO UPDATE SET requested_at = excluded.requested_at,
           answered_at = NULL, error_code = NULL, error_message = NULL",
        params![id_number, now],
    )?;
    crate::sync::request(register)
}

/// Questions the worker has still to take to the hub, oldest first.
pub fn pending(register: &Register) -> Result<Vec<String>> {
    let mut stmt = register.conn().prepare(
        "SELECT id_number FROM county_lookups WHERE answered_at IS NULL ORDER BY requested_at",
    )?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The hub's answer, or why there is none.
pub fn record(
    register: &Register,
    id_number: &str,
    answer: std::result::Result<&PersonMattersResponse, (&str, &str)>,
) -> Result<()> {
    let now = fmt_utc(register.now());
    let (answer, code, message) = match answer {
        Ok(a) => (Some(serde_json::to_string(a)?), None, None),
        Err((code, message)) => (None, Some(code), Some(message)),
    };
    register.conn().execute(
        "UPDATE county_lookups SET answered_at = ?2,
           answer = coalesce(?3, answer), error_code = ?4, error_message = ?5
         WHERE id_number = ?1",
        params![id_number, now, answer, code, message],
    )?;
    // Old answers are personal data the desk no longer needs.
    register.conn().execute(
        "DELETE FROM county_lookups WHERE answered_at IS NOT NULL AND requested_at < ?1",
        [fmt_utc(register.now() - Duration::days(1))],
    )?;
    Ok(())
}
