//! `xinfang verify`: proves the register is sound. It runs SQLite's integrity check, checks the
//! event log's own invariants (gap-free per-origin `seq`) and the audit trail's hash chain,
//! then rebuilds every projection from the log into a scratch database and compares the two
//! row by row.

use std::path::Path;

use rusqlite::{Connection, types::Value};

use crate::{Result, db, events, projection};

/// What verification found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Events replayed.
    pub events: u64,
    /// Projection rows compared.
    pub rows: u64,
    /// Every difference, one line each; empty means the register is sound.
    pub problems: Vec<String>,
}

impl Report {
    /// True when nothing differs.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Stop listing differences after this many; the first few say what is wrong.
const MAX_PROBLEMS: usize = 200;

/// Verifies the register file at `path`, using `scratch` (a path that may not exist yet) for
/// the rebuilt copy. The register itself is only read.
pub fn verify_file(path: &Path, scratch: &Path) -> Result<Report> {
    let conn = db::open_existing(path)?;
    let found: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > db::supported_version() {
        return Err(crate::Error::SchemaTooNew {
            found,
            supported: db::supported_version(),
        });
    }
    verify_with_scratch(&conn, scratch)
}

/// Verifies `conn`, rebuilding into `scratch` (a path that may not exist yet). The rebuilt
/// copy holds the same personal data as the register, so it is encrypted too, under a
/// throwaway key nobody keeps.
pub fn verify_with_scratch(conn: &Connection, scratch: &Path) -> Result<Report> {
    crate::keys::sqlcipher_ready()?;
    let mut rebuilt = Connection::open(scratch)?;
    rebuilt.execute_batch(&format!(
        "PRAGMA key = \"x'{}'\";",
        crate::keys::Key::random()?.to_hex()
    ))?;
    rebuilt.pragma_update(None, "journal_mode", "OFF")?;
    rebuilt.pragma_update(None, "synchronous", "OFF")?;
    rebuilt.pragma_update(None, "foreign_keys", "ON")?;
    db::register_functions(&rebuilt)?;
    db::migrate(&mut rebuilt)?;
    verify(conn, &mut rebuilt)
}

/// Verifies `conn` by replaying its log into the empty, migrated `rebuilt`.
pub fn verify(conn: &Connection, rebuilt: &mut Connection) -> Result<Report> {
    let mut report = Report::default();
    let integrity: Vec<String> = conn
        .prepare("PRAGMA integrity_check")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if integrity != ["ok"] {
        for line in integrity {
            report.problems.push(format!("integrity_check: {line}"));
        }
    }
    check_sequences(conn, &mut report)?;
    report
        .problems
        .extend(crate::audit::check_chain(conn, MAX_PROBLEMS)?);
    report.problems.extend(crate::audit::check_anchor(conn)?);

    let tx = rebuilt.transaction()?;
    let mut replay_error = None;
    events::for_each(conn, |event| {
        report.events += 1;
        if let Err(e) = projection::apply(&tx, &event, false) {
            replay_error.get_or_insert(format!(
                "event {} (#{} {}) cannot be replayed: {e}",
                event.id,
                event.seq,
                event.body.kind()
            ));
        }
        Ok(())
    })?;
    if let Some(problem) = replay_error {
        report.problems.push(problem);
    }
    tx.commit()?;

    for (table, order) in projection::TABLES {
        compare_table(conn, rebuilt, table, order, &mut report)?;
    }
    report.problems.truncate(MAX_PROBLEMS);
    Ok(report)
}

fn check_sequences(conn: &Connection, report: &mut Report) -> Result<()> {
    let mut stmt =
        conn.prepare("SELECT origin, count(*), min(seq), max(seq) FROM events GROUP BY origin")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, i64>(3)?,
        ))
    })?;
    for row in rows {
        let (origin, count, min, max) = row?;
        if min != 1 || max != count {
            report.problems.push(format!(
                "events: origin {origin} has {count} events but seq runs {min}..{max} (gaps)"
            ));
        }
    }
    Ok(())
}

fn compare_table(
    live: &Connection,
    rebuilt: &Connection,
    table: &str,
    order: &str,
    report: &mut Report,
) -> Result<()> {
    let columns: Vec<String> = live
        .prepare(&format!(
            "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
        ))?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let key_len = order.split(',').count();
    let sql = format!("SELECT * FROM {table} ORDER BY {order}");
    let mut a_stmt = live.prepare(&sql)?;
    let mut b_stmt = rebuilt.prepare(&sql)?;
    let mut a_rows = a_stmt.query([])?;
    let mut b_rows = b_stmt.query([])?;
    let read = |row: Option<&rusqlite::Row<'_>>| -> Result<Option<Vec<Value>>> {
        match row {
            None => Ok(None),
            Some(row) => Ok(Some(
                (0..columns.len())
                    .map(|i| row.get::<_, Value>(i))
                    .collect::<rusqlite::Result<_>>()?,
            )),
        }
    };
    let mut a = read(a_rows.next()?)?;
    let mut b = read(b_rows.next()?)?;
    let key = |row: &[Value]| -> String {
        row[..key_len]
            .iter()
            .map(show)
            .collect::<Vec<_>>()
            .join(", ")
    };
    loop {
        match (&a, &b) {
            (None, None) => break,
            (Some(row), None) => {
                report.problems.push(format!(
                    "{table} [{}]: present in the register but not produced by the event log",
                    key(row)
                ));
                a = read(a_rows.next()?)?;
            }
            (None, Some(row)) => {
                report.problems.push(format!(
                    "{table} [{}]: produced by the event log but missing from the register",
                    key(row)
                ));
                b = read(b_rows.next()?)?;
            }
            (Some(ra), Some(rb)) => {
                let (ka, kb) = (&ra[..key_len], &rb[..key_len]);
                match compare_keys(ka, kb) {
                    std::cmp::Ordering::Equal => {
                        report.rows += 1;
                        for (idx, (va, vb)) in ra.iter().zip(rb.iter()).enumerate() {
                            if va != vb {
                                report.problems.push(format!(
                                    "{table} [{}] column {}: register has {}, event log gives {}",
                                    key(ra),
                                    columns[idx],
                                    show(va),
                                    show(vb)
                                ));
                            }
                        }
                        a = read(a_rows.next()?)?;
                        b = read(b_rows.next()?)?;
                    }
                    std::cmp::Ordering::Less => {
                        report.problems.push(format!(
                            "{table} [{}]: present in the register but not produced by the event log",
                            key(ra)
                        ));
                        a = read(a_rows.next()?)?;
                    }
                    std::cmp::Ordering::Greater => {
                        report.problems.push(format!(
                            "{table} [{}]: produced by the event log but missing from the register",
                            key(rb)
                        ));
                        b = read(b_rows.next()?)?;
                    }
                }
            }
        }
        if report.problems.len() > MAX_PROBLEMS {
            break;
        }
    }
    Ok(())
}

/// Orders keys the way SQLite's ORDER BY does for the key types used here (integers, text).
fn compare_keys(a: &[Value], b: &[Value]) -> std::cmp::Ordering {
    for (x, y) in a.iter().zip(b) {
        let ord = match (x, y) {
            (Value::Integer(x), Value::Integer(y)) => x.cmp(y),
            (Value::Text(x), Value::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
            (Value::Null, Value::Null) => std::cmp::Ordering::Equal,
            (Value::Null, _) => std::cmp::Ordering::Less,
            (_, Value::Null) => std::cmp::Ordering::Greater,
            (Value::Integer(_), _) => std::cmp::Ordering::Less,
            (_, Value::Integer(_)) => std::cmp::Ordering::Greater,
            _ => std::cmp::Ordering::Equal,
        };
        if ord != std::cmp::Ordering::Equal {
            return ord;
        }
    }
    std::cmp::Ordering::Equal
}

fn show(value: &Value) -> String {
    match value {
        Value::Null => "NULL".into(),
        Value::Integer(i) => i.to_string(),
        Value::Real(r) => r.to_string(),
        Value::Text(t) => format!("{t:?}"),
        Value::Blob(b) => format!("<{} bytes>", b.len()),
    }
}
