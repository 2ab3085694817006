//! The embedded store: one SQLite file (`hub.db` in the data directory), WAL and
//! `synchronous=FULL`, migrated from the numbered files in `schemas/hub/`.
//!
//! Migrations run in one transaction tracked by `PRAGMA user_version`; a file newer than the
//! binary is refused before anything is written. Append only: never edit a shipped migration.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use uuid::Uuid;
use xinfang_sync::{Routed, WireEvent};

use super::{
    Arrival, Centre, CentreKeys, Found, HeldEvent, LogEntry, NewCentre, Outcome, Store, Tx,
};
use crate::{Error, Result};

/// Every hub migration, in order. `user_version` counts how many have been applied.
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_init",
        include_str!("../../../../schemas/hub/0001_init.sql"),
    ),
    (
        "0002_bundle_keys",
        include_str!("../../../../schemas/hub/0002_bundle_keys.sql"),
    ),
];

/// File name of the store inside a data directory.
pub const HUB_FILE: &str = "hub.db";

/// The schema version this binary writes.
pub fn supported_version() -> u32 {
    MIGRATIONS.len() as u32
}

/// The SQLite store.
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens (creating and migrating if needed) the store at `path`. `new_origin` is called
    /// once, when the file is new, for the hub's own origin.
    pub fn open(path: &Path, new_origin: impl FnOnce() -> (Uuid, String)) -> Result<SqliteStore> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut conn = Connection::open(path)?;
        configure(&conn)?;
        migrate(&mut conn)?;
        let has_origin: Option<String> = conn
            .query_row("SELECT origin FROM hub", [], |r| r.get(0))
            .optional()?;
        if has_origin.is_none() {
            let (origin, at) = new_origin();
            // OR IGNORE: a second process opening a new file at the same moment keeps the first.
            conn.execute(
                "INSERT OR IGNORE INTO hub (singleton, origin, created_at) VALUES (1, ?1, ?2)",
                params![origin.to_string(), at],
            )?;
        }
        Ok(SqliteStore {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// Opens the store in data directory `dir`.
    pub fn open_dir(
        dir: &Path,
        new_origin: impl FnOnce() -> (Uuid, String),
    ) -> Result<SqliteStore> {
        SqliteStore::open(&dir.join(HUB_FILE), new_origin)
    }
}

/// The pragmas every connection gets. WAL lets the admin CLI read and write while `serve`
/// runs; `synchronous=FULL` makes an acknowledged push survive a power cut, which is what the
/// acknowledgement promises the desk.
fn configure(conn: &Connection) -> Result<()> {
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(())
}

/// Brings the file to the latest schema in one transaction, or leaves it untouched.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    let found: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let supported = supported_version();
    if found > supported {
        return Err(Error::SchemaTooNew { found, supported });
    }
    if found == supported {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Read again under the write lock: another process may have migrated meanwhile.
    let found: u32 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    for (idx, (_name, sql)) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", idx as u32 + 1)?;
    }
    tx.commit()?;
    Ok(())
}

impl Store for SqliteStore {
    fn begin(&mut self) -> Result<Box<dyn Tx + '_>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        Ok(Box::new(SqliteTx { tx }))
    }

    fn checkpoint(&mut self) -> Result<()> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    fn describe(&self) -> String {
        format!("SQLite {}", self.path.display())
    }
}

struct SqliteTx<'a> {
    tx: rusqlite::Transaction<'a>,
}

/// Ids per `known_ids` query (twice as many parameters: the log and `held`).
const KNOWN_IDS_CHUNK: usize = 1_000;

fn uuid_col(row: &Row<'_>, idx: usize) -> rusqlite::Result<Uuid> {
    let text: String = row.get(idx)?;
    Uuid::parse_str(&text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn opt_uuid_col(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<Uuid>> {
    let text: Option<String> = row.get(idx)?;
    text.map(|t| {
        Uuid::parse_str(&t).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e))
        })
    })
    .transpose()
}

const CENTRE_COLUMNS: &str = "id, code, name, created_at, enrol_expires_at, enrolled_at, origin, \
                              revoked_at, last_contact";

fn centre_row(row: &Row<'_>) -> rusqlite::Result<Centre> {
    Ok(Centre {
        id: uuid_col(row, 0)?,
        code: row.get(1)?,
        name: row.get(2)?,
        created_at: row.get(3)?,
        enrol_expires_at: row.get(4)?,
        enrolled_at: row.get(5)?,
        origin: opt_uuid_col(row, 6)?,
        revoked_at: row.get(7)?,
        last_contact: row.get(8)?,
    })
}

/// Columns of `events` and `held` that make up a `WireEvent`, in `event_row` order.
const EVENT_COLUMNS: &str = "id, origin, seq, actor, at, kind, schema_version, payload";

fn event_row(row: &Row<'_>, base: usize) -> rusqlite::Result<WireEvent> {
    let payload: String = row.get(base + 7)?;
    Ok(WireEvent {
        id: uuid_col(row, base)?,
        origin: uuid_col(row, base + 1)?,
        seq: row.get(base + 2)?,
        actor: row.get(base + 3)?,
        at: row.get(base + 4)?,
        kind: row.get(base + 5)?,
        schema_version: row.get(base + 6)?,
        payload: xinfang_sync::Payload::from_text(payload).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(
                base + 7,
                rusqlite::types::Type::Text,
                Box::new(e),
            )
        })?,
    })
}

fn log_row(row: &Row<'_>) -> rusqlite::Result<LogEntry> {
    let outcome: String = row.get(5)?;
    Ok(LogEntry {
        id: row.get(0)?,
        at: row.get(1)?,
        centre_id: opt_uuid_col(row, 2)?,
        endpoint: row.get(3)?,
        status: row.get(4)?,
        outcome: Outcome::parse(&outcome),
        code: row.get(6)?,
        message: row.get(7)?,
        remote: row.get(8)?,
    })
}

const LOG_COLUMNS: &str = "id, at, centre_id, endpoint, status, outcome, code, message, remote";

impl SqliteTx<'_> {
    fn one_centre(&self, condition: &str, value: &str) -> Result<Option<Centre>> {
        let sql = format!("SELECT {CENTRE_COLUMNS} FROM centres WHERE {condition}");
        Ok(self
            .tx
            .prepare_cached(&sql)?
            .query_row([value], centre_row)
            .optional()?)
    }

    fn insert_into(&self, table: &str, arrival: &Arrival<'_>) -> Result<i64> {
        let e = arrival.event;
        let sql = format!(
            "INSERT INTO {table} ({EVENT_COLUMNS}, received_at, pushed_by) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        );
        self.tx.prepare_cached(&sql)?.execute(params![
            e.id.to_string(),
            e.origin.to_string(),
            e.seq,
            e.actor,
            e.at,
            e.kind,
            e.schema_version,
            e.payload.as_str(),
            arrival.received_at,
            arrival.pushed_by.map(|c| c.to_string()),
        ])?;
        Ok(self.tx.last_insert_rowid())
    }
}

impl Tx for SqliteTx<'_> {
    fn commit(self: Box<Self>) -> Result<()> {
        self.tx.commit()?;
        Ok(())
    }

    fn hub_origin(&mut self) -> Result<Uuid> {
        Ok(self
            .tx
            .prepare_cached("SELECT origin FROM hub")?
            .query_row([], |r| uuid_col(r, 0))?)
    }

    fn insert_centre(&mut self, c: &NewCentre) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO centres (id, code, name, created_at, enrol_code_hash, enrol_expires_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                c.id.to_string(),
                c.code,
                c.name,
                c.created_at,
                c.enrol_code_hash,
                c.enrol_expires_at
            ])?;
        Ok(())
    }

    fn centre(&mut self, id: Uuid) -> Result<Option<Centre>> {
        self.one_centre("id = ?1", &id.to_string())
    }

    fn centre_by_credential(&mut self, hash: &str) -> Result<Option<Centre>> {
        self.one_centre("credential_hash = ?1", hash)
    }

    fn centre_by_enrol_code(&mut self, hash: &str) -> Result<Option<Centre>> {
        self.one_centre("enrol_code_hash = ?1", hash)
    }

    fn live_centre_with_code(&mut self, code: &str) -> Result<Option<Centre>> {
        self.one_centre("code = ?1 AND revoked_at IS NULL", code)
    }

    fn live_centre_with_origin(&mut self, origin: Uuid) -> Result<Option<Centre>> {
        self.one_centre("origin = ?1 AND revoked_at IS NULL", &origin.to_string())
    }

    fn centres(&mut self) -> Result<Vec<Centre>> {
        let sql = format!("SELECT {CENTRE_COLUMNS} FROM centres ORDER BY created_at, id");
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let rows = stmt.query_map([], centre_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn set_enrolled(
        &mut self,
        id: Uuid,
        origin: Uuid,
        credential_hash: &str,
        at: &str,
    ) -> Result<()> {
        let changed = self
            .tx
            .prepare_cached(
                "UPDATE centres SET enrolled_at = ?2, origin = ?3, credential_hash = ?4 \
                 WHERE id = ?1 AND enrolled_at IS NULL",
            )?
            .execute(params![
                id.to_string(),
                at,
                origin.to_string(),
                credential_hash
            ])?;
        if changed != 1 {
            return Err(Error::Internal(format!("centre {id} was enrolled twice")));
        }
        Ok(())
    }

    fn set_revoked(&mut self, id: Uuid, at: &str) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE centres SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            )?
            .execute(params![id.to_string(), at])?;
        Ok(())
    }

    fn find_event(&mut self, id: Uuid) -> Result<Option<Found>> {
        let id = id.to_string();
        let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = ?1");
        if let Some(event) = self
            .tx
            .prepare_cached(&sql)?
            .query_row([&id], |r| event_row(r, 0))
            .optional()?
        {
            return Ok(Some(Found { event, held: false }));
        }
        let sql = format!("SELECT {EVENT_COLUMNS} FROM held WHERE id = ?1");
        Ok(self
            .tx
            .prepare_cached(&sql)?
            .query_row([&id], |r| event_row(r, 0))
            .optional()?
            .map(|event| Found { event, held: true }))
    }

    fn known_ids(&mut self, ids: &[Uuid]) -> Result<std::collections::HashSet<Uuid>> {
        let mut known = std::collections::HashSet::new();
        // Chunks well inside SQLite's limit on bound parameters; an ordinary batch is one.
        for chunk in ids.chunks(KNOWN_IDS_CHUNK) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let sql = format!(
                "SELECT id FROM events WHERE id IN ({marks}) \
                 UNION ALL SELECT id FROM held WHERE id IN ({marks})"
            );
            let texts: Vec<String> = chunk.iter().map(Uuid::to_string).collect();
            let mut stmt = self.tx.prepare_cached(&sql)?;
            let rows = stmt.query_map(
                rusqlite::params_from_iter(texts.iter().chain(texts.iter())),
                |r| uuid_col(r, 0),
            )?;
            for id in rows {
                known.insert(id?);
            }
        }
        Ok(known)
    }

    fn id_at(&mut self, origin: Uuid, seq: i64) -> Result<Option<Uuid>> {
        let origin = origin.to_string();
        for sql in [
            "SELECT id FROM events WHERE origin = ?1 AND seq = ?2",
            "SELECT id FROM held WHERE origin = ?1 AND seq = ?2",
        ] {
            if let Some(id) = self
                .tx
                .prepare_cached(sql)?
                .query_row(params![origin, seq], |r| uuid_col(r, 0))
                .optional()?
            {
                return Ok(Some(id));
            }
        }
        Ok(None)
    }

    fn hold(&mut self, arrival: &Arrival<'_>) -> Result<()> {
        self.insert_into("held", arrival)?;
        Ok(())
    }

    fn held_seqs(&mut self, origin: Uuid) -> Result<Vec<i64>> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT seq FROM held WHERE origin = ?1 ORDER BY seq")?;
        let rows = stmt.query_map([origin.to_string()], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn take_held(&mut self, origin: Uuid, through: i64) -> Result<Vec<HeldEvent>> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS}, pushed_by, received_at FROM held \
             WHERE origin = ?1 AND seq <= ?2 ORDER BY seq"
        );
        let taken: Vec<HeldEvent> = {
            let mut stmt = self.tx.prepare_cached(&sql)?;
            let rows = stmt.query_map(params![origin.to_string(), through], |r| {
                Ok(HeldEvent {
                    event: event_row(r, 0)?,
                    pushed_by: opt_uuid_col(r, 8)?,
                    received_at: r.get(9)?,
                })
            })?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        self.tx
            .prepare_cached("DELETE FROM held WHERE origin = ?1 AND seq <= ?2")?
            .execute(params![origin.to_string(), through])?;
        Ok(taken)
    }

    fn append(&mut self, arrival: &Arrival<'_>) -> Result<i64> {
        self.insert_into("events", arrival)
    }

    fn mark(&mut self, origin: Uuid) -> Result<i64> {
        Ok(self
            .tx
            .prepare_cached("SELECT acknowledged FROM marks WHERE origin = ?1")?
            .query_row([origin.to_string()], |r| r.get(0))
            .optional()?
            .unwrap_or(0))
    }

    fn set_mark(&mut self, origin: Uuid, mark: i64) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO marks (origin, acknowledged) VALUES (?1, ?2) \
                 ON CONFLICT (origin) DO UPDATE SET acknowledged = excluded.acknowledged",
            )?
            .execute(params![origin.to_string(), mark])?;
        Ok(())
    }

    fn route(&mut self, cursor: i64, to: Option<Uuid>, at: &str) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO routes (cursor, centre_id, routed_at) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![cursor, to.map(|c| c.to_string()), at])?;
        Ok(())
    }

    fn routed(&mut self, centre: Uuid, after: i64, limit: usize) -> Result<Vec<Routed>> {
        // Two index seeks (routes to this centre, routes to all) rather than a scan of every
        // event after the cursor, most of which are other centres' pushes. Each branch stops
        // at `limit`: the page's cursors are among the first `limit` of either, and without
        // the bound every page read all the routes after the cursor (a pull of 100 000 events
        // read several million rows).
        let sql = format!(
            "SELECT e.cursor, {} FROM events e WHERE e.cursor IN ( \
                 SELECT * FROM (SELECT cursor FROM routes WHERE centre_id = ?1 AND cursor > ?2 \
                                ORDER BY cursor LIMIT ?3) \
                 UNION SELECT * FROM (SELECT cursor FROM routes \
                                      WHERE centre_id IS NULL AND cursor > ?2 \
                                      ORDER BY cursor LIMIT ?3)) \
             ORDER BY e.cursor LIMIT ?3",
            EVENT_COLUMNS
                .split(", ")
                .map(|c| format!("e.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![centre.to_string(), after, limit], |r| {
            Ok(Routed {
                cursor: r.get(0)?,
                event: event_row(r, 1)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn own_events(&mut self, origin: Uuid, after: i64, limit: usize) -> Result<Vec<WireEvent>> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE origin = ?1 AND seq > ?2 \
             ORDER BY seq LIMIT ?3"
        );
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![origin.to_string(), after, limit], |r| {
            event_row(r, 0)
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn events_where(
        &mut self,
        kind: &str,
        origin: Option<Uuid>,
        field: &'static str,
        value: &str,
        limit: usize,
    ) -> Result<Vec<WireEvent>> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE kind = ?1 \
               AND (?2 IS NULL OR origin = ?2) AND json_extract(payload, ?3) = ?4 \
             ORDER BY cursor LIMIT ?5"
        );
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(
            params![
                kind,
                origin.map(|o| o.to_string()),
                format!("$.{field}"),
                value,
                limit
            ],
            |r| event_row(r, 0),
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn events_mentioning(
        &mut self,
        origin: Uuid,
        kind: &str,
        needle: &str,
        limit: usize,
    ) -> Result<Vec<WireEvent>> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE origin = ?1 AND kind = ?2 \
               AND instr(payload, ?3) > 0 ORDER BY cursor LIMIT ?4"
        );
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![origin.to_string(), kind, needle, limit], |r| {
            event_row(r, 0)
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn append_log(&mut self, entry: &LogEntry) -> Result<()> {
        let centre = entry.centre_id.map(|c| c.to_string());
        self.tx
            .prepare_cached(
                "INSERT INTO request_log (at, centre_id, endpoint, status, outcome, code, message, remote) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                entry.at,
                centre,
                entry.endpoint,
                entry.status,
                entry.outcome.as_str(),
                entry.code,
                entry.message,
                entry.remote
            ])?;
        if let Some(centre) = centre {
            self.tx
                .prepare_cached("UPDATE centres SET last_contact = ?2 WHERE id = ?1")?
                .execute(params![centre, entry.at])?;
        }
        Ok(())
    }

    fn log_entries(&mut self, centre: Option<Uuid>, limit: usize) -> Result<Vec<LogEntry>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let (sql, centre) = match centre {
            Some(c) => (
                format!(
                    "SELECT {LOG_COLUMNS} FROM request_log WHERE centre_id = ?1 \
                     ORDER BY id DESC LIMIT ?2"
                ),
                Some(c.to_string()),
            ),
            None => (
                format!(
                    "SELECT {LOG_COLUMNS} FROM request_log WHERE ?1 IS NULL \
                     ORDER BY id DESC LIMIT ?2"
                ),
                None,
            ),
        };
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![centre, limit], log_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn last_error(&mut self, centre: Uuid) -> Result<Option<LogEntry>> {
        let sql = format!(
            "SELECT {LOG_COLUMNS} FROM request_log WHERE centre_id = ?1 AND code IS NOT NULL \
             ORDER BY id DESC LIMIT 1"
        );
        Ok(self
            .tx
            .prepare_cached(&sql)?
            .query_row([centre.to_string()], log_row)
            .optional()?)
    }

    fn hub_signing_key(&mut self) -> Result<Option<String>> {
        Ok(self
            .tx
            .prepare_cached("SELECT signing_key FROM hub")?
            .query_row([], |r| r.get(0))?)
    }

    fn set_hub_signing_key(&mut self, secret_hex: &str) -> Result<()> {
        // Only when none is set: a key once used to sign is never replaced.
        self.tx
            .prepare_cached("UPDATE hub SET signing_key = ?1 WHERE signing_key IS NULL")?
            .execute([secret_hex])?;
        Ok(())
    }

    fn centre_keys(&mut self, id: Uuid) -> Result<CentreKeys> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT public_key, enrol_code_hash, enrol_proof, bundle_cursor \
                 FROM centres WHERE id = ?1",
            )?
            .query_row([id.to_string()], |r| {
                Ok(CentreKeys {
                    public_key: r.get(0)?,
                    enrol_code_hash: r.get(1)?,
                    enrol_proof: r.get(2)?,
                    bundle_cursor: r.get(3)?,
                })
            })?)
    }

    fn set_centre_key(&mut self, id: Uuid, public_key: &str, proof: Option<&str>) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE centres SET public_key = ?2, enrol_proof = coalesce(?3, enrol_proof) \
                 WHERE id = ?1",
            )?
            .execute(params![id.to_string(), public_key, proof])?;
        Ok(())
    }

    fn reset_bundle_cursor(&mut self, id: Uuid) -> Result<()> {
        self.tx
            .prepare_cached("UPDATE centres SET bundle_cursor = 0 WHERE id = ?1")?
            .execute([id.to_string()])?;
        Ok(())
    }

    fn set_bundle_cursor(&mut self, id: Uuid, cursor: i64) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE centres SET bundle_cursor = max(bundle_cursor, ?2) WHERE id = ?1",
            )?
            .execute(params![id.to_string(), cursor])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> (Uuid, String) {
        (Uuid::from_u128(0xAB), "2026-11-28T07:30:00.000Z".into())
    }

    #[test]
    fn migrations_are_numbered_in_order_and_match_the_files() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/hub");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .expect("schemas/hub")
            .flatten()
            .filter_map(|e| e.file_name().to_str().map(str::to_owned))
            .filter(|n| n.ends_with(".sql"))
            .map(|n| n.trim_end_matches(".sql").to_owned())
            .collect();
        on_disk.sort();
        let listed: Vec<String> = MIGRATIONS.iter().map(|(n, _)| (*n).to_owned()).collect();
        assert_eq!(listed, on_disk);
        for (idx, name) in listed.iter().enumerate() {
            assert!(name.starts_with(&format!("{:04}_", idx + 1)), "{name}");
        }
    }

    /// The rest of the store's contract is in `store::tests`, run on both stores.
    #[test]
    fn a_store_file_is_wal_with_full_sync() {
        let dir = tempfile::tempdir().expect("dir");
        let store = SqliteStore::open_dir(dir.path(), origin).expect("open");
        let mode: String = store
            .conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .expect("mode");
        assert_eq!(mode, "wal");
        let sync: i64 = store
            .conn
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .expect("sync");
        assert_eq!(sync, 2, "FULL");
    }
}
