//! Migrations: an empty file gets the whole schema, an older register is upgraded with its data
//! intact (and searchable), and a register from a newer app is refused untouched.

use rusqlite::Connection;
use xinfang_core::{
    Error, Register,
    clock::{FixedClock, SeededIds},
    db,
};
use xinfang_tests::test_now;

fn user_version(conn: &Connection) -> u32 {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
        .expect("user_version")
}

/// What migrations 0012 and later add, taken away again: a register as the release before
/// 0012 left it. Every new migration adds its undoing here.
const UNDO_0012_ON: &str =
    "DROP TABLE user_passwords; DROP TABLE sign_in_failures; DROP INDEX sessions_user;
             ALTER TABLE users DROP COLUMN must_change_password;
             DROP TABLE audit_log; ALTER TABLE sessions DROP COLUMN desk;
             DROP TABLE sync_keys; ALTER TABLE sync_state DROP COLUMN hub_public_key;
             ALTER TABLE sync_state DROP COLUMN last_hub_bundle_at;
             ALTER TABLE sync_state DROP COLUMN hub_fingerprint;
             DROP TABLE lan_pairing_codes; DROP TABLE lan_desks;
             DROP TABLE county_directives; DROP TABLE matter_conflicts;
             DROP INDEX county_inbox_pending;
             ALTER TABLE county_inbox DROP COLUMN applied_at;
             ALTER TABLE county_inbox DROP COLUMN outcome;
             ALTER TABLE county_inbox DROP COLUMN error_code;
             ALTER TABLE county_inbox DROP COLUMN error_message;
             ALTER TABLE sync_state DROP COLUMN run_waiting;
             ALTER TABLE sync_state DROP COLUMN run_inbox;
             DROP TABLE county_lookups;";

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
    let dir = tempfile::tempdir().expect("dir");
    let old = dir.path().join("old.db");
    {
        // A register as the first release left it: schema 0001 only, with one matter in it,
        // written the way that release wrote rows.
        let mut conn = Connection::open(&old).expect("open");
        db::configure(&conn).expect("configure");
        db::migrate_to(&mut conn, 1).expect("v1");
        assert_eq!(user_version(&conn), 1);
        conn.execute_batch(
            "INSERT INTO matters (id, number, channel, purpose, matter_class, request,
               facts_reasons, summary, received_at, received_date, registered_at, is_repeat,
               is_first_petition, litigation, anonymous, notice_exempt, is_joint, status,
               registering_unit, registered_by, petitioner_names, updated_at)
             VALUES ('m-1', 'XF0009-2025-000001', 'letter', 'demand', 'appeal_demand',
               '要求补偿', '旧城改造补偿过低', '反映旧城改造补偿问题', '2025-03-01T02:00:00.000Z',
               '2025-03-01', '2025-03-01T02:00:00.000Z', 0, 1, 0, 0, 0, 0, 'registered',
               '旧版接待中心', 'system', '欧阳建华', '2025-03-01T02:00:00.000Z');",
        )
        .expect("v1 row");
    }
    let clock = FixedClock::new(test_now());
    let register =
        Register::open(&old, Box::new(clock), Box::new(SeededIds::new(4, 2))).expect("upgrade");
    assert_eq!(user_version(register.conn()), db::supported_version());
    let conn = register.conn();
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).expect(sql);
    assert_eq!(
        count("SELECT count(*) FROM matters"),
        1,
        "the old row is intact"
    );
    assert_eq!(
        count("SELECT count(*) FROM matter_bigram WHERE matter_bigram MATCH '\"欧阳\"'"),
        1,
        "the upgrade indexes matters that were registered before search existed"
    );
    assert_eq!(
        count("SELECT count(*) FROM matter_trigram WHERE matter_trigram MATCH '\"旧城改造\"'"),
        1
    );
    assert_eq!(
        count("SELECT matters FROM matter_days WHERE received_date = '2025-03-01'"),
        1
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

#[test]
fn a_register_with_hall_tickets_gets_their_first_calls_from_the_log() {
    // A day in the hall as the release before 0010 wrote it: tickets called, recalled and put
    // back after a no-show, so `called_at` has moved past the first call.
    let mut desk = xinfang_tests::TestDesk::new();
    let admin = desk.admin.clone();
    let guide = desk.guide.clone();
    let interviewer = desk.interviewer.clone();
    desk.ok(
        &admin,
        "hall_queue_set",
        serde_json::json!({ "code": "general", "name": "综合接待", "prefix": "A" }),
    );
    let setup = desk.ok(
        &admin,
        "hall_room_set",
        serde_json::json!({ "name": "1号接待室", "queues": ["general"] }),
    );
    let room = setup["rooms"][0]["id"].clone();
    for step in 0..6 {
        desk.clock
            .set(test_now() + chrono::Duration::minutes(step * 5));
        desk.ok(
            &guide,
            "ticket_issue",
            serde_json::json!({ "queue": "general", "name": format!("访客{step}") }),
        );
        let called = desk.ok(
            &interviewer,
            "ticket_call_next",
            serde_json::json!({ "room_id": room }),
        );
        desk.clock
            .set(test_now() + chrono::Duration::minutes(step * 5 + 2));
        let what = if step % 2 == 0 {
            "ticket_recall"
        } else {
            "ticket_no_show"
        };
        desk.ok(
            &interviewer,
            what,
            serde_json::json!({ "ticket_id": called["id"] }),
        );
    }
    let first_calls = |conn: &Connection| -> Vec<(String, Option<String>, Option<String>)> {
        conn.prepare("SELECT id, first_called_at, called_at FROM hall_tickets ORDER BY id")
            .expect("prepare")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows")
    };
    let expected = first_calls(desk.register.conn());
    assert!(
        expected
            .iter()
            .any(|(_, first, last)| first.is_some() && first != last),
        "the fixture has a ticket whose latest call is not its first: {expected:?}"
    );
    let xinfang_tests::TestDesk { register, dir, .. } = desk;
    drop(register);
    let path = dir.path().join("register.db");
    {
        // The register is encrypted: open it with its key file, without migrating.
        let conn = db::open_existing(&path).expect("open");
        // A file at 0009 has none of what 0010 and later add.
        conn.execute_batch(&format!(
            "ALTER TABLE hall_tickets DROP COLUMN first_called_at; {UNDO_0012_ON}"
        ))
        .expect("back to 0009");
        conn.pragma_update(None, "user_version", 9)
            .expect("version");
    }
    let clock = FixedClock::new(test_now());
    let register =
        Register::open(&path, Box::new(clock), Box::new(SeededIds::new(5, 2))).expect("upgrade");
    assert_eq!(user_version(register.conn()), db::supported_version());
    assert_eq!(first_calls(register.conn()), expected);
    drop(register);
    // And the upgraded file is what a replay of its log gives.
    let report =
        xinfang_core::verify::verify_file(&path, &dir.path().join("scratch.db")).expect("verify");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

#[test]
fn a_register_from_before_0012_gets_its_password_history_from_the_log() {
    // Users as the release before 0012 kept them: one changed the password three times.
    let mut desk = xinfang_tests::TestDesk::new();
    let guide = desk.guide.clone();
    let mut old = xinfang_tests::PASSWORD.to_owned();
    for n in 1..=3 {
        let new = format!("Earlier-pass-{n}");
        desk.ok(
            &guide,
            "password_change",
            serde_json::json!({ "old_password": old, "new_password": new }),
        );
        old = new;
    }
    let history = |conn: &Connection| -> Vec<(String, i64)> {
        conn.prepare("SELECT user_id, seq FROM user_passwords ORDER BY user_id, seq")
            .expect("prepare")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows")
    };
    let expected = history(desk.register.conn());
    assert_eq!(expected.len(), 5 + 3, "five users, three changes");
    let xinfang_tests::TestDesk { register, dir, .. } = desk;
    drop(register);
    let path = dir.path().join("register.db");
    {
        // The register is encrypted: open it with its key file, without migrating.
        let conn = db::open_existing(&path).expect("open");
        conn.execute_batch(UNDO_0012_ON).expect("back to 0011");
        conn.pragma_update(None, "user_version", 11)
            .expect("version");
    }
    let clock = FixedClock::new(test_now());
    let mut register =
        Register::open(&path, Box::new(clock), Box::new(SeededIds::new(6, 2))).expect("upgrade");
    assert_eq!(user_version(register.conn()), db::supported_version());
    assert_eq!(history(register.conn()), expected);
    let forced: i64 = register
        .conn()
        .query_row(
            "SELECT count(*) FROM users WHERE must_change_password",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(forced, 0, "existing users chose their passwords");
    // The history is in force at once.
    let err = xinfang_core::ops::call(
        &mut register,
        Some(&guide),
        "password_change",
        serde_json::json!({ "old_password": old, "new_password": "Earlier-pass-1" }),
    )
    .expect_err("an earlier password");
    assert_eq!(err.code(), "password_reused");
    drop(register);
    let report =
        xinfang_core::verify::verify_file(&path, &dir.path().join("scratch.db")).expect("verify");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}
