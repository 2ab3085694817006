//! Opening the register file: pragmas, the migration runner, and the bigram tokenizer function.
//!
//! Migrations are the numbered `.sql` files in `schemas/desk/`; this list is their order. Append
//! only: never edit a migration that has shipped, add a new one.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension};

use crate::{Error, Result};

/// Every desk migration, in order. `user_version` counts how many have been applied.
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_init",
        include_str!("../../../schemas/desk/0001_init.sql"),
    ),
    (
        "0002_search",
        include_str!("../../../schemas/desk/0002_search.sql"),
    ),
    (
        "0003_matter_days",
        include_str!("../../../schemas/desk/0003_matter_days.sql"),
    ),
    (
        "0004_workflow",
        include_str!("../../../schemas/desk/0004_workflow.sql"),
    ),
    (
        "0005_calendar",
        include_str!("../../../schemas/desk/0005_calendar.sql"),
    ),
    (
        "0006_risks",
        include_str!("../../../schemas/desk/0006_risks.sql"),
    ),
    (
        "0007_letters",
        include_str!("../../../schemas/desk/0007_letters.sql"),
    ),
    (
        "0008_report_indexes",
        include_str!("../../../schemas/desk/0008_report_indexes.sql"),
    ),
    (
        "0009_hall",
        include_str!("../../../schemas/desk/0009_hall.sql"),
    ),
    (
        "0010_hall_first_call",
        include_str!("../../../schemas/desk/0010_hall_first_call.sql"),
    ),
    (
        "0011_ticket_issued_queue",
        include_str!("../../../schemas/desk/0011_ticket_issued_queue.sql"),
    ),
    (
        "0012_identity",
        include_str!("../../../schemas/desk/0012_identity.sql"),
    ),
    (
        "0013_sync",
        include_str!("../../../schemas/desk/0013_sync.sql"),
    ),
    (
        "0014_audit",
        include_str!("../../../schemas/desk/0014_audit.sql"),
    ),
];

/// The schema version this binary writes.
pub fn supported_version() -> u32 {
    MIGRATIONS.len() as u32
}

/// Opens (creating if needed) a register file, sets the pragmas and migrates it.
///
/// A file whose schema is newer than this binary is refused before anything is written.
pub fn open(path: &Path) -> Result<Connection> {
    let mut conn = Connection::open(path)?;
    configure(&conn)?;
    migrate(&mut conn)?;
    Ok(conn)
}

/// Opens a register file without migrating it (for `verify`, which must not change the file).
pub fn open_existing(path: &Path) -> Result<Connection> {
    if !path.exists() {
        return Err(Error::NotInitialised);
    }
    let conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    configure(&conn)?;
    Ok(conn)
}

/// The pragmas every connection to the register gets.
///
/// WAL lets the hall display read while a desk writes; `synchronous=FULL` makes a committed
/// registration survive power loss (the UI tells the clerk it is saved only after commit).
pub fn configure(conn: &Connection) -> Result<()> {
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "cache_size", -64_000)?;
    register_functions(conn)?;
    Ok(())
}

/// Brings `conn` to the latest schema in one transaction, or leaves it untouched.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    migrate_to(conn, supported_version())
}

/// Applies migrations up to `target` (tests use this to build older databases).
pub fn migrate_to(conn: &mut Connection, target: u32) -> Result<()> {
    let found: u32 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let supported = supported_version();
    if found > supported {
        return Err(Error::SchemaTooNew { found, supported });
    }
    if found >= target {
        return Ok(());
    }
    // A migration may rebuild a table that others reference (SQLite's documented procedure:
    // foreign keys off, rebuild, check, commit). The pragma has no effect inside a
    // transaction, so it is set around it, and back on whatever happens.
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    let outcome = (|| -> Result<()> {
        let tx = conn.transaction()?;
        for (idx, (_name, sql)) in MIGRATIONS
            .iter()
            .enumerate()
            .take(target as usize)
            .skip(found as usize)
        {
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", idx as u32 + 1)?;
        }
        let broken: Option<String> = tx
            .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
            .optional()?;
        if let Some(table) = broken {
            // Dropping the transaction rolls every migration of this run back.
            return Err(Error::Internal(format!(
                "migration left a broken reference in {table}"
            )));
        }
        tx.commit()?;
        Ok(())
    })();
    conn.pragma_update(None, "foreign_keys", "ON")?;
    outcome
}

/// SQL functions the schema and the bulk re-index rely on; every connection needs them.
pub fn register_functions(conn: &Connection) -> Result<()> {
    use rusqlite::functions::FunctionFlags;
    conn.create_scalar_function(
        "xf_bigrams",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let text: Option<String> = ctx.get(0)?;
            Ok(text.map(|t| crate::search::bigram_tokens(&t)))
        },
    )?;
    Ok(())
}
