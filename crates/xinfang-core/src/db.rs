//! Opening the register file: pragmas, the migration runner, and the bigram tokenizer function.
//!
//! Migrations are the numbered `.sql` files in `schemas/desk/`; this list is their order. Append
//! only: never edit a migration that has shipped, add a new one.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension};

use crate::{Error, Result, keys};

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
    (
        "0015_bundle_keys",
        include_str!("../../../schemas/desk/0015_bundle_keys.sql"),
    ),
    (
        "0016_tls_pairing",
        include_str!("../../../schemas/desk/0016_tls_pairing.sql"),
    ),
    (
        "0017_county_directives",
        include_str!("../../../schemas/desk/0017_county_directives.sql"),
    ),
    (
        "0018_sync_progress",
        include_str!("../../../schemas/desk/0018_sync_progress.sql"),
    ),
    (
        "0019_county_lookups",
        include_str!("../../../schemas/desk/0019_county_lookups.sql"),
    ),
];

/// The schema version this binary writes.
pub fn supported_version() -> u32 {
    MIGRATIONS.len() as u32
}

/// Opens (creating if needed) a register file, unlocks it, sets the pragmas and migrates it.
///
/// The key comes from `keys::Unlock::from_environment` (the key file beside the register unless
/// a passphrase was given). A file whose schema is newer than this binary is refused before
/// anything is written.
pub fn open(path: &Path) -> Result<Connection> {
    open_with(path, &keys::Unlock::from_environment())
}

/// `open` with an explicit way to unlock the register.
///
/// A register made before encryption is encrypted in place first (`keys::encrypt_in_place`).
/// Before a migration changes the schema version of a register that has one, an online backup
/// is taken into `backups/` beside it: a migration that goes wrong in a way its transaction
/// cannot undo still has the register as it was.
pub fn open_with(path: &Path, unlock: &keys::Unlock) -> Result<Connection> {
    let (mut conn, key) = keys::open(path, unlock)?;
    configure(&conn)?;
    let found: u32 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if found > 0 && found < supported_version() {
        let now = crate::clock::Clock::now(&crate::clock::SystemClock);
        crate::backup::create(
            &conn,
            &key,
            &crate::backup::default_dir(path),
            &format!("before-migration-v{found}"),
            now,
        )?;
    }
    migrate(&mut conn)?;
    Ok(conn)
}

/// Opens a register file without migrating it (for `verify`, which must not change the file).
///
/// A plain register from a version before encryption is read as it is, not converted.
pub fn open_existing(path: &Path) -> Result<Connection> {
    open_existing_with(path, &keys::Unlock::from_environment())
}

/// `open_existing` with an explicit way to unlock the register.
pub fn open_existing_with(path: &Path, unlock: &keys::Unlock) -> Result<Connection> {
    let conn = match keys::file_kind(path)? {
        keys::FileKind::Missing => return Err(Error::NotInitialised),
        keys::FileKind::Plain => Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?,
        keys::FileKind::Encrypted => keys::connect(path, &keys::resolve(path, unlock, false)?)?,
    };
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
        fault_pause_in_migration();
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

/// Fault injection for the crash test (`crates/xinfang-server/tests/server/crash.rs`): in
/// debug builds only, `XINFANG_FAULT_MIGRATION_PAUSE_MS` holds the migration transaction open,
/// with everything applied but not committed, after saying so on stderr, so that a test can
/// kill the process there.
fn fault_pause_in_migration() {
    if !cfg!(debug_assertions) {
        return;
    }
    if let Some(ms) = std::env::var("XINFANG_FAULT_MIGRATION_PAUSE_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        eprintln!("fault: migration applied, not committed; pausing {ms} ms");
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
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
