//! The store contract, on whichever store the run names: SQLite in a temporary directory, or a
//! fresh database on the PostgreSQL server `XINFANG_HUB_TEST_POSTGRES` names (the test command
//! runs the crate's tests both ways). `hub.rs`'s tests take their store from here too.

use std::{
    sync::mpsc,
    time::{Duration, Instant},
};

use uuid::Uuid;
use xinfang_sync::WireEvent;

use super::{
    Arrival, LogEntry, Outcome, Store,
    postgres::{PgStore, ScratchDatabase},
    sqlite::{HUB_FILE, SqliteStore},
};
use crate::Result;

/// Names the PostgreSQL server the tests run on; unset, they run on SQLite.
pub(crate) const POSTGRES_ENV: &str = "XINFANG_HUB_TEST_POSTGRES";

/// Where one test keeps its store; removed (directory or database) on drop.
pub(crate) enum Backend {
    Sqlite(tempfile::TempDir),
    Postgres(Box<ScratchDatabase>),
}

impl Backend {
    /// A new, empty place for a store. With `XINFANG_HUB_TEST_POSTGRES` set, a server that
    /// cannot be reached fails the test: it never falls back to SQLite.
    pub(crate) fn from_env() -> Backend {
        match std::env::var(POSTGRES_ENV) {
            Ok(url) if !url.is_empty() => Backend::Postgres(Box::new(
                ScratchDatabase::create(&url).unwrap_or_else(|e| panic!("{POSTGRES_ENV}: {e}")),
            )),
            _ => Backend::Sqlite(tempfile::tempdir().expect("dir")),
        }
    }

    /// Opens a store there (another connection each time, as another process would).
    pub(crate) fn open(&self, origin: impl FnOnce() -> (Uuid, String)) -> Result<Box<dyn Store>> {
        Ok(match self {
            Backend::Sqlite(dir) => Box::new(SqliteStore::open_dir(dir.path(), origin)?),
            Backend::Postgres(db) => Box::new(PgStore::open(db.url(), origin)?),
        })
    }

    /// Runs `sql` on a connection of its own, outside the store.
    fn execute(&self, sql: &str) -> std::result::Result<(), String> {
        match self {
            Backend::Sqlite(dir) => rusqlite::Connection::open(dir.path().join(HUB_FILE))
                .and_then(|c| c.execute_batch(sql))
                .map_err(|e| e.to_string()),
            Backend::Postgres(db) => db
                .connect()
                .map_err(|e| e.to_string())?
                .batch_execute(sql)
                .map_err(|e| super::postgres::detail(&e)),
        }
    }

    /// Marks the store as migrated by a hub newer than this one.
    fn pretend_newer_schema(&self) {
        let sql = match self {
            Backend::Sqlite(_) => "PRAGMA user_version = 99",
            Backend::Postgres(_) => {
                "INSERT INTO hub_migrations (version, name) VALUES (99, '9999_from_the_future')"
            }
        };
        self.execute(sql).expect("newer schema");
    }
}

fn origin() -> (Uuid, String) {
    (Uuid::from_u128(0xAB), "2026-11-28T07:30:00.000Z".into())
}

fn event(seq: i64) -> WireEvent {
    WireEvent {
        id: Uuid::from_u128(1000 + seq as u128),
        origin: Uuid::from_u128(1),
        seq,
        actor: "u1".into(),
        at: "2026-11-28T07:30:00.000Z".into(),
        kind: "matter.registered".into(),
        schema_version: 1,
        payload: serde_json::json!({"n": seq, "text": "来访", "z": 1, "a": [1.5, null]}).into(),
    }
}

fn arrival(event: &WireEvent) -> Arrival<'_> {
    Arrival {
        event,
        pushed_by: None,
        received_at: "2026-11-28T07:30:00.000Z",
    }
}

fn log(message: &str) -> LogEntry {
    LogEntry {
        id: 0,
        at: "2026-11-28T07:30:00.000Z".into(),
        centre_id: None,
        endpoint: "GET /api/v1/health".into(),
        status: 200,
        outcome: Outcome::Ok,
        code: None,
        message: Some(message.into()),
        remote: None,
    }
}

#[test]
fn open_migrates_once_keeps_the_origin_and_refuses_a_newer_schema() {
    let backend = Backend::from_env();
    let first = {
        let mut store = backend.open(origin).expect("open");
        store.begin().expect("tx").hub_origin().expect("origin")
    };
    assert_eq!(first, Uuid::from_u128(0xAB));
    let mut again = backend
        .open(|| (Uuid::from_u128(0xCD), String::new()))
        .expect("reopen");
    assert_eq!(
        again.begin().expect("tx").hub_origin().expect("origin"),
        first,
        "kept across opens"
    );
    if let Backend::Postgres(db) = &backend {
        assert!(
            again.describe().contains(&format!("/{}", db.name())),
            "{}",
            again.describe()
        );
        let mut pg = PgStore::open(db.url(), origin).expect("open");
        // An acknowledged push survives a crash of the server, whatever its default.
        assert_eq!(pg.setting("synchronous_commit"), "on");
        // A database whose encoding cannot hold Chinese text is refused before any write.
        let ascii = format!("{}_ascii", db.name());
        backend
            .execute(&format!(
                "CREATE DATABASE {ascii} TEMPLATE template0 ENCODING 'SQL_ASCII' \
                 LC_COLLATE 'C' LC_CTYPE 'C'"
            ))
            .expect("create");
        let url = db.url().replace(db.name(), &ascii);
        let err = PgStore::open(&url, origin).err().expect("refused");
        backend
            .execute(&format!("DROP DATABASE {ascii}"))
            .expect("drop");
        assert_eq!(err.code(), "store_unavailable");
        assert!(err.message_zh().contains("UTF8"), "{}", err.message_zh());
    }
    drop(again);
    backend.pretend_newer_schema();
    let err = backend.open(origin).err().expect("refused");
    assert_eq!(err.code(), "schema_too_new");
}

#[test]
fn events_are_append_only_and_one_per_origin_and_seq() {
    let backend = Backend::from_env();
    let mut store = backend.open(origin).expect("open");
    let mut tx = store.begin().expect("tx");
    let one = event(1);
    let cursor = tx.append(&arrival(&one)).expect("append");
    assert_eq!(cursor, 1);
    let found = tx.find_event(one.id).expect("find").expect("found");
    assert_eq!(
        found.event, one,
        "payload round-trips, Chinese text included"
    );
    assert!(!found.held);
    let mut clash = event(1);
    clash.id = Uuid::from_u128(5);
    assert!(tx.append(&arrival(&clash)).is_err(), "UNIQUE (origin, seq)");
    // The hub never commits after a failed statement. If it did: SQLite keeps the rest of the
    // transaction; PostgreSQL has aborted it, and the store says so rather than committing
    // nothing quietly.
    let committed = tx.commit();
    let on_postgres = matches!(backend, Backend::Postgres(_));
    assert_eq!(committed.is_err(), on_postgres, "{committed:?}");
    let mut tx = store.begin().expect("tx");
    if on_postgres {
        assert!(tx.find_event(one.id).expect("find").is_none());
        assert_eq!(tx.append(&arrival(&one)).expect("append"), 1);
        tx.commit().expect("commit");
    } else {
        assert!(tx.find_event(one.id).expect("find").is_some());
        drop(tx);
    }
    drop(store);
    let mut refused = vec!["UPDATE events SET kind = 'x'", "DELETE FROM events"];
    if matches!(backend, Backend::Postgres(_)) {
        refused.push("TRUNCATE events CASCADE");
    }
    for sql in refused {
        let err = backend.execute(sql).expect_err(sql);
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
}

#[test]
fn held_events_come_out_in_seq_order_and_a_dropped_tx_keeps_nothing() {
    let backend = Backend::from_env();
    let mut store = backend.open(origin).expect("open");
    let events: Vec<WireEvent> = [5, 3, 4].into_iter().map(event).collect();
    {
        let mut tx = store.begin().expect("tx");
        for e in &events {
            tx.hold(&arrival(e)).expect("hold");
        }
        tx.commit().expect("commit");
    }
    {
        let mut tx = store.begin().expect("tx");
        tx.set_mark(Uuid::from_u128(1), 9).expect("mark");
        // Dropped: rolled back.
    }
    let mut tx = store.begin().expect("tx");
    assert_eq!(tx.mark(Uuid::from_u128(1)).expect("mark"), 0);
    assert_eq!(tx.held_seqs(Uuid::from_u128(1)).expect("seqs"), [3, 4, 5]);
    let found = tx.find_event(events[0].id).expect("find").expect("held");
    assert!(found.held);
    assert_eq!(found.event, events[0]);
    assert_eq!(
        tx.id_at(Uuid::from_u128(1), 4).expect("id"),
        Some(events[2].id)
    );
    assert_eq!(tx.id_at(Uuid::from_u128(1), 6).expect("id"), None);
    let taken = tx.take_held(Uuid::from_u128(1), 4).expect("take");
    let seqs: Vec<i64> = taken.iter().map(|h| h.event.seq).collect();
    assert_eq!(seqs, [3, 4]);
    assert_eq!(taken[0].event, events[1]);
    assert_eq!(tx.held_seqs(Uuid::from_u128(1)).expect("seqs"), [5]);
}

#[test]
fn cursors_have_no_gaps_rise_in_commit_order_and_a_second_writer_waits_at_begin() {
    let backend = Backend::from_env();
    let mut first = backend.open(origin).expect("open");
    let mut second = backend.open(origin).expect("a second connection");
    {
        let mut tx = first.begin().expect("tx");
        assert_eq!(tx.append(&arrival(&event(1))).expect("append"), 1);
        tx.append_log(&log("rolled back")).expect("log");
        // Dropped: its cursor is given again, so the log never has a hole.
    }
    {
        let mut tx = first.begin().expect("tx");
        assert_eq!(tx.append(&arrival(&event(1))).expect("append"), 1);
        tx.append_log(&log("one")).expect("log");
        tx.commit().expect("commit");
    }
    let (began, holding) = mpsc::channel();
    let pause = Duration::from_millis(400);
    let (held_cursor, waited, cursor) = std::thread::scope(|s| {
        let holder = s.spawn(|| {
            let mut tx = first.begin().expect("tx");
            began.send(()).expect("send");
            std::thread::sleep(pause);
            let cursor = tx.append(&arrival(&event(2))).expect("append");
            tx.commit().expect("commit");
            cursor
        });
        holding.recv().expect("the first writer holds the lock");
        let asked = Instant::now();
        let mut tx = second.begin().expect("waits, then begins");
        let waited = asked.elapsed();
        let cursor = tx.append(&arrival(&event(3))).expect("append");
        tx.append_log(&log("two")).expect("log");
        tx.commit().expect("commit");
        (holder.join().expect("holder"), waited, cursor)
    });
    assert!(
        waited >= pause / 2,
        "the second writer queued behind the first ({waited:?})"
    );
    assert_eq!((held_cursor, cursor), (2, 3));
    let mut tx = first.begin().expect("tx");
    for cursor in 1..=3 {
        tx.route(cursor, None, "2026-11-28T07:30:00.000Z")
            .expect("route");
    }
    let order: Vec<(i64, i64)> = tx
        .routed(Uuid::from_u128(7), 0, 10)
        .expect("routed")
        .iter()
        .map(|r| (r.cursor, r.event.seq))
        .collect();
    assert_eq!(order, [(1, 1), (2, 2), (3, 3)]);
    let ids: Vec<i64> = tx
        .log_entries(None, 10)
        .expect("log")
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(ids, [2, 1], "log ids have no gap either");
}
