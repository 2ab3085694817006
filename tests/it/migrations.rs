//! Migrations: an empty file gets the whole schema, an older register is upgraded with its data
//! intact (and searchable), and a register from a newer app is refused untouched.

use rusqlite::Connection;
use xinfang_core::{
    Error, Register,
    clock::{FixedClock, SeededIds},
    db,
};
use xinfang_tests::{TestDesk, id_number, letter, test_now};

fn user_version(conn: &Connection) -> u32 {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
        .expect("user_version")
}

#[test]
fn an_empty_file_is_migrated_to_the_latest_schema_with_the_pragmas_set() {
    let dir = tempfile::tempdir().expect("dir");
    let conn = db::open(&dir.path().join("r.db")).expect("open");
    assert_eq!(user_version(&conn), db::supported_version());
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .expect("mode");
    assert_eq!(mode, "wal");
    let sync: i64 = conn
        .pragma_query_value(None, "synchronous", |r| r.get(0))
        .expect("sync");
    assert_eq!(
        sync, 2,
        "synchronous=FULL: a confirmed registration survives power loss"
    );
    let fk: i64 = conn
        .pragma_query_value(None, "foreign_keys", |r| r.get(0))
        .expect("fk");
    assert_eq!(fk, 1);
}

#[test]
fn an_older_register_is_upgraded_with_its_data_and_becomes_searchable() {
    let desk = TestDesk::new();
    let path = desk.path();
    drop(desk.register);
    // Build a version-1 register by hand: schema 0001 only, one matter in it.
    let old = desk.dir.path().join("old.db");
    std::fs::copy(&path, &old).ok();
    let _ = std::fs::remove_file(&old);
    {
        let mut conn = Connection::open(&old).expect("open");
        db::configure(&conn).expect("configure");
        db::migrate_to(&mut conn, 1).expect("v1");
        assert_eq!(user_version(&conn), 1);
    }
    let clock = FixedClock::new(test_now());
    {
        // Write through a v1-only register: the search tables do not exist yet, so write the
        // matter without indexing, as the old binary did.
        let mut conn = Connection::open(&old).expect("open");
        db::configure(&conn).expect("configure");
        let mut register = Register::from_connection(
            std::mem::replace(&mut conn, Connection::open_in_memory().expect("mem")),
            Box::new(clock.clone()),
            Box::new(SeededIds::new(3, 1)),
        )
        .expect("register");
        register
            .init_centre("XF0009", "旧版接待中心")
            .expect("init");
        let settings = xinfang_core::api::Settings::default();
        let input: xinfang_core::api::MatterInput = serde_json::from_value(letter(
            "欧阳建华",
            &id_number("330106", "19550505", 8),
            "反映旧城改造补偿问题",
        ))
        .expect("input");
        register
            .write_unindexed("system", |w| {
                let id = w.next_id();
                xinfang_core::api::register_matter_in(w, &settings, test_now(), id, input)
            })
            .expect("write v1 matter");
    }
    let register =
        Register::open(&old, Box::new(clock), Box::new(SeededIds::new(4, 2))).expect("upgrade");
    assert_eq!(user_version(register.conn()), db::supported_version());
    let hits: i64 = register
        .conn()
        .query_row(
            "SELECT count(*) FROM matter_bigram WHERE matter_bigram MATCH '\"欧阳\"'",
            [],
            |r| r.get(0),
        )
        .expect("search");
    assert_eq!(
        hits, 1,
        "the upgrade indexes matters that were registered before search existed"
    );
}

#[test]
fn a_register_from_a_newer_app_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("new.db");
    {
        let conn = db::open(&path).expect("open");
        conn.pragma_update(None, "user_version", 99).expect("set");
    }
    let before = std::fs::read(&path).expect("read");
    let err = db::open(&path).expect_err("newer schema");
    assert!(matches!(err, Error::SchemaTooNew { found: 99, .. }));
    assert_eq!(err.to_api().code, "schema_too_new");
    assert!(err.to_api().message.contains("升级"));
    assert_eq!(
        std::fs::read(&path).expect("read"),
        before,
        "nothing was written"
    );
}
