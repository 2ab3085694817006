//! The desk's sync bookkeeping (`xinfang_core::sync`) and the sync panel's operations, without
//! a network: the outbox in seq order and wire form, the mark, pulled events applied twice, and
//! the configure form's checks. The exchange itself is tested against a real hub in
//! `crates/xinfang-server/tests/server/sync.rs`.

use serde_json::json;
use uuid::Uuid;
use xinfang_core::{clock::SeededIds, model::Role, register::Register, sync};
use xinfang_sync::{Routed, WireEvent};

#[test]
fn the_outbox_is_the_centres_own_events_above_the_mark_in_wire_form() {
    let mut desk = xinfang_tests::TestDesk::new();
    let origin = desk.register.centre().expect("centre").origin;
    let all = sync::outbox(&desk.register, 0, 10_000).expect("outbox");
    assert_eq!(all.len() as i64, desk.event_count());
    assert!(
        all.windows(2).all(|w| w[0].seq + 1 == w[1].seq),
        "seq order, no gap"
    );
    assert!(all.iter().all(|e| e.origin == origin));
    for event in &all {
        if event.kind.starts_with("user.") {
            assert_eq!(
                event.payload,
                serde_json::Value::Null.into(),
                "{}",
                event.kind
            );
        }
    }
    assert!(
        all.iter().any(|e| e.kind.starts_with("user.")),
        "the fixture has users"
    );

    let batch = sync::outbox(&desk.register, 2, 3).expect("batch");
    assert_eq!(
        batch.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![3, 4, 5]
    );

    let admin = desk.admin.clone();
    let before = desk.ok(&admin, "sync_status", json!({}));
    assert_eq!(before["events_waiting"], json!(desk.event_count()));
    assert_eq!(before["configured"], false);
    sync::record_mark(&desk.register, desk.event_count()).expect("mark");
    let after = desk.ok(&admin, "sync_status", json!({}));
    assert_eq!(after["events_waiting"], 0);
    assert_eq!(after["oldest_unsent"], serde_json::Value::Null);
    assert!(
        sync::outbox(&desk.register, desk.event_count(), 500)
            .expect("outbox")
            .is_empty()
    );
}

fn county_event(seq: i64) -> Routed {
    Routed {
        cursor: 100 + seq,
        event: WireEvent {
            id: Uuid::from_u128(seq as u128),
            origin: Uuid::from_u128(u128::MAX),
            seq,
            actor: "county".into(),
            at: "2026-11-28T01:00:00.000Z".into(),
            kind: "county.assignment".into(),
            schema_version: 1,
            payload: json!({"upstream_number": format!("XF-{seq}")}).into(),
        },
    }
}

#[test]
fn a_pulled_event_applied_twice_changes_nothing() {
    let mut desk = xinfang_tests::TestDesk::new();
    let events_before = desk.event_count();
    let page = vec![county_event(1), county_event(2)];
    assert_eq!(
        sync::record_pulled(&desk.register, &page, 102).expect("pull"),
        2
    );
    assert_eq!(
        sync::record_pulled(&desk.register, &page, 102).expect("again"),
        0
    );
    assert_eq!(sync::state(&desk.register).expect("state").pull_cursor, 102);
    // An older page does not move the cursor back.
    sync::record_pulled(&desk.register, &page[..1], 101).expect("old page");
    assert_eq!(sync::state(&desk.register).expect("state").pull_cursor, 102);
    assert_eq!(
        desk.event_count(),
        events_before,
        "the inbox is not the log"
    );

    let supervisor = desk.supervisor.clone();
    let inbox = desk.ok(&supervisor, "county_inbox_list", json!({}));
    assert_eq!(inbox.as_array().map(Vec::len), Some(2));
    assert_eq!(inbox[0]["cursor"], 102, "newest first");
    assert_eq!(inbox[0]["kind_name"], "交办");
    let status = desk.ok(&supervisor, "sync_status", json!({}));
    assert_eq!(status["inbox_count"], 2);
}

#[test]
fn the_configure_form_checks_its_fields_and_only_the_admin_may_use_it() {
    let mut desk = xinfang_tests::TestDesk::new();
    let admin = desk.admin.clone();
    let supervisor = desk.supervisor.clone();
    let guide = desk.guide.clone();
    for (input, field, code) in [
        (
            json!({"hub_url": "", "enrolment_code": "ABCDEFGHJKMNPQRSTVWX"}),
            "hub_url",
            "required",
        ),
        (
            json!({"hub_url": "hub.example", "enrolment_code": "ABCDEFGHJKMNPQRSTVWX"}),
            "hub_url",
            "invalid_hub_url",
        ),
        (
            json!({"hub_url": "http://hub:99999", "enrolment_code": "ABCDEFGHJKMNPQRSTVWX"}),
            "hub_url",
            "invalid_hub_url",
        ),
        (
            json!({"hub_url": "http://10.0.0.5:8787", "enrolment_code": "short"}),
            "enrolment_code",
            "invalid_enrolment_code",
        ),
        (
            json!({"hub_url": "http://10.0.0.5:8787"}),
            "enrolment_code",
            "required",
        ),
    ] {
        let err = desk
            .call(&admin, "sync_configure", input.clone())
            .expect_err("refused");
        let api = err.to_api();
        assert_eq!(
            (api.code.as_str(), api.field.as_deref()),
            (code, Some(field)),
            "{input}"
        );
        assert!(
            !api.message.is_ascii(),
            "a Chinese message: {}",
            api.message
        );
    }
    let err = desk
        .call(
            &supervisor,
            "sync_configure",
            json!({"hub_url": "http://10.0.0.5:8787"}),
        )
        .expect_err("forbidden");
    assert_eq!(err.code(), "forbidden");
    assert_eq!(
        desk.call(&guide, "sync_status", json!({}))
            .expect_err("forbidden")
            .code(),
        "forbidden"
    );

    let status = desk.ok(
        &admin,
        "sync_configure",
        json!({"hub_url": " http://10.0.0.5:8787/ ", "enrolment_code": "abcd-efgh-jkmn-pqrs-tvwx"}),
    );
    assert_eq!(status["hub_url"], "http://10.0.0.5:8787");
    assert_eq!(
        (&status["enrolment_pending"], &status["requested"]),
        (&json!(true), &json!(true))
    );
    let request = sync::enrol_request(&desk.register)
        .expect("read")
        .expect("a request");
    assert_eq!(request.code, "ABCDEFGHJKMNPQRSTVWX");
    assert_eq!(request.centre_code, "XF3301");

    sync::record_attempt(&desk.register).expect("attempt");
    sync::record_enrolled(&desk.register, Uuid::from_u128(9), "xfhub1_secret").expect("enrolled");
    assert!(sync::enrol_request(&desk.register).expect("read").is_none());
    // Enrolled: the URL can change without a new code.
    let status = desk.ok(
        &admin,
        "sync_configure",
        json!({"hub_url": "http://10.0.0.6:8787"}),
    );
    assert_eq!(
        (&status["enrolled"], &status["requested"]),
        (&json!(true), &json!(true))
    );

    sync::record_error(&desk.register, "revoked", "该接待中心已被县级枢纽停用").expect("error");
    let status = desk.ok(&supervisor, "sync_status", json!({}));
    assert_eq!(status["last_error"]["code"], "revoked");
    assert_eq!(status["connected"], false);
    sync::record_success(&desk.register).expect("success");
    let status = desk.ok(&supervisor, "sync_status", json!({}));
    assert_eq!(
        (&status["connected"], &status["last_error"]),
        (&json!(true), &serde_json::Value::Null)
    );
}

#[test]
fn the_panel_shows_how_far_a_run_under_way_has_got() {
    let mut desk = xinfang_tests::TestDesk::new();
    let admin = desk.admin.clone();
    let total = desk.event_count();
    sync::configure(&desk.register, "http://127.0.0.1:9", None).expect("configure");
    let idle = desk.ok(&admin, "sync_status", json!({}));
    assert_eq!(idle["progress"], serde_json::Value::Null, "no run yet");

    sync::record_attempt(&desk.register).expect("start");
    let started = desk.ok(&admin, "sync_status", json!({}));
    assert_eq!(started["progress"]["to_push"], total);
    assert_eq!(started["progress"]["pushed"], 0);
    sync::record_mark(&desk.register, total / 2).expect("a batch");
    sync::record_pulled(&desk.register, &[county_event(1), county_event(2)], 102).expect("a page");
    let halfway = desk.ok(&admin, "sync_status", json!({}));
    assert_eq!(halfway["progress"]["pushed"], total / 2);
    assert_eq!(halfway["progress"]["pulled"], 2);
    assert_eq!(halfway["events_waiting"], total - total / 2);

    desk.clock
        .set(xinfang_tests::test_now() + chrono::Duration::seconds(1));
    sync::record_success(&desk.register).expect("done");
    let done = desk.ok(&admin, "sync_status", json!({}));
    assert_eq!(done["progress"], serde_json::Value::Null, "{done}");
    // A run that fails has ended too.
    desk.clock
        .set(xinfang_tests::test_now() + chrono::Duration::seconds(2));
    sync::record_attempt(&desk.register).expect("start");
    desk.clock
        .set(xinfang_tests::test_now() + chrono::Duration::seconds(3));
    sync::record_error(&desk.register, "unreachable", "无法连接县级枢纽").expect("fail");
    let failed = desk.ok(&admin, "sync_status", json!({}));
    assert_eq!(failed["progress"], serde_json::Value::Null, "{failed}");
}

/// A copy of the desk's register file as it is now, opened as a second register (a backup
/// restored); the copy's own ids come from another seed.
fn restored_copy(desk: &xinfang_tests::TestDesk, dir: &std::path::Path) -> Register {
    desk.register.checkpoint().expect("checkpoint");
    let path = dir.join("restored.db");
    std::fs::copy(desk.path(), &path).expect("copy register");
    // The register is encrypted; its key file sits beside it, named after it.
    std::fs::copy(
        desk.path().with_extension("key"),
        path.with_extension("key"),
    )
    .expect("copy key");
    Register::open(
        &path,
        Box::new(desk.clock.clone()),
        Box::new(SeededIds::new(7, 1)),
    )
    .expect("open the copy")
}

#[test]
fn a_restored_register_takes_back_its_own_events_up_to_the_first_private_one() {
    let mut desk = xinfang_tests::TestDesk::new();
    let guide = desk.guide.clone();
    let id = xinfang_tests::id_number("330102", "19700101", 1);
    desk.ok(
        &guide,
        "matter_register",
        xinfang_tests::letter("张三", &id, "征地补偿"),
    );
    let backups = tempfile::tempdir().expect("dir");
    let mut restored = restored_copy(&desk, backups.path());
    let at_backup = sync::local_seq(&restored).expect("seq");

    // After the backup: a matter, then a new user account, then another matter.
    let id2 = xinfang_tests::id_number("330102", "19800101", 2);
    let second = desk.ok(
        &guide,
        "matter_register",
        xinfang_tests::letter("李四", &id2, "拖欠工资"),
    );
    desk.add_user("sunli", "孙丽", Role::Guide);
    let user_seq = sync::local_seq(&desk.register).expect("seq");
    let id3 = xinfang_tests::id_number("330102", "19900101", 3);
    desk.ok(
        &guide,
        "matter_register",
        xinfang_tests::letter("王五", &id3, "噪声扰民"),
    );
    // What the hub holds: the events in wire form (a user's payload stays at the centre).
    let hub_copy = sync::outbox(&desk.register, at_backup, 10_000).expect("outbox");

    // Not continuing the register's last event: refused, nothing taken.
    assert!(sync::take_back_own(&mut restored, &hub_copy[1..]).is_err());
    assert_eq!(sync::local_seq(&restored).expect("seq"), at_backup);

    let taken = sync::take_back_own(&mut restored, &hub_copy).expect("take back");
    assert_eq!(
        taken,
        sync::TakenBack::Private {
            seq: user_seq,
            kind: "user.created".into()
        }
    );
    assert_eq!(sync::local_seq(&restored).expect("seq"), user_seq - 1);
    // The matter registered after the backup is in the tables again, under its number.
    let number: String = restored
        .conn()
        .query_row(
            "SELECT number FROM matters WHERE id = ?1",
            [second["id"].as_str().expect("id")],
            |r| r.get(0),
        )
        .expect("the matter is back");
    assert_eq!(Some(number.as_str()), second["number"].as_str());
    // And the ids are the original ones, seq for seq.
    for event in hub_copy.iter().take_while(|e| e.seq < user_seq) {
        assert_eq!(
            sync::own_event_id(&restored, event.seq).expect("id"),
            Some(event.id)
        );
    }
    let audited: i64 = restored
        .conn()
        .query_row(
            "SELECT count(*) FROM audit_log WHERE operation = 'sync_take_back'",
            [],
            |r| r.get(0),
        )
        .expect("audit");
    assert_eq!(audited, 1, "the take-back is recorded once");
    restored.checkpoint().expect("checkpoint");
    let report = xinfang_core::verify::verify_file(
        &backups.path().join("restored.db"),
        &backups.path().join("scratch.db"),
    )
    .expect("verify");
    assert!(report.ok(), "{:?}", report.problems);
}
