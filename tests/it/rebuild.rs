//! The event log is the truth: after any sequence of operations, rebuilding every projection
//! from the log gives exactly the tables the operations wrote; and a tampered row is caught.

use proptest::prelude::*;
use serde_json::json;
use xinfang_core::verify;
use xinfang_tests::{TestDesk, id_number, letter};

/// One user action in a random script.
#[derive(Debug, Clone)]
enum Action {
    NewMatter { person: u8 },
    RepeatLink { a: u8, b: u8 },
    Step { matter: u8, kind: u8 },
    Rename { person: u8 },
    Attach { matter: u8 },
    Visit { person: u8, group: bool },
    Anonymous,
    Invalid,
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        4 => (0u8..6).prop_map(|person| Action::NewMatter { person }),
        1 => (0u8..20, 0u8..20).prop_map(|(a, b)| Action::RepeatLink { a, b }),
        3 => (0u8..20, 0u8..11).prop_map(|(matter, kind)| Action::Step { matter, kind }),
        1 => (0u8..6).prop_map(|person| Action::Rename { person }),
        1 => (0u8..20).prop_map(|matter| Action::Attach { matter }),
        1 => (0u8..6, any::<bool>()).prop_map(|(person, group)| Action::Visit { person, group }),
        1 => Just(Action::Anonymous),
        1 => Just(Action::Invalid),
    ]
}

fn run_script(desk: &mut TestDesk, script: &[Action]) {
    let guide = desk.guide.clone();
    let handler = desk.handler.clone();
    let mut matters: Vec<serde_json::Value> = Vec::new();
    let persons: Vec<String> = (0..6).map(|i| id_number("330106", "19800101", i)).collect();
    let names = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨勇"];
    for (step, act) in script.iter().enumerate() {
        desk.clock
            .set(xinfang_tests::test_now() + chrono::Duration::minutes(step as i64));
        // Results are ignored on purpose: refused actions must leave no trace either.
        let _ = match act {
            Action::NewMatter { person } => {
                let p = *person as usize;
                desk.call(&guide, "matter_register", letter(names[p], &persons[p], &format!("第{step}件事项")))
                    .map(|m| matters.push(m["id"].clone()))
            }
            Action::RepeatLink { a, b } if !matters.is_empty() => {
                let (a, b) = (matters[*a as usize % matters.len()].clone(), matters[*b as usize % matters.len()].clone());
                desk.call(&guide, "matter_link_repeat", json!({ "matter_id": a, "repeat_of": b })).map(|_| ())
            }
            Action::Step { matter, kind } if !matters.is_empty() => {
                let m = matters[*matter as usize % matters.len()].clone();
                let (op, input) = match kind {
                    0 => ("matter_accept", json!({ "matter_id": m })),
                    1 => ("matter_not_accept", json!({ "matter_id": m, "reason": "属于人民法院职权范围", "proper_channel": "县人民法院" })),
                    2 => ("matter_no_longer_accept", json!({ "matter_id": m, "reason": "同一事实和理由" })),
                    3 => ("matter_forward", json!({ "matter_id": m, "unit": "县人社局" })),
                    4 => ("matter_assign", json!({ "matter_id": m, "unit": "县住建局" })),
                    10 => ("risk_register", json!({ "level": "village", "title": "邻里纠纷", "description": "宅基地边界", "owner": "村委会", "plan": "调解", "deadline": "2026-12-31", "matter_id": m })),
                    5 => ("matter_answer", json!({ "matter_id": m, "items": [{ "item": "支付工资", "outcome": "support" }], "delivered_on": "2026-11-28", "delivery_method": "直接送达" })),
                    6 => ("matter_close", json!({ "matter_id": m })),
                    7 => ("matter_extend", json!({ "matter_id": m, "days": 20, "approver": "局长", "reason": "需要调查" })),
                    8 => ("matter_notice", json!({ "matter_id": m, "method": "当面" })),
                    _ => ("matter_step_record", json!({ "matter_id": m, "kind": "note", "note": "电话联系" })),
                };
                desk.call(&handler, op, input).map(|_| ())
            }
            Action::Rename { person } => {
                let p = *person as usize;
                match desk.call(&guide, "person_lookup", json!({ "id_number": persons[p] })) {
                    Ok(found) if found.as_array().is_some_and(|f| !f.is_empty()) => desk
                        .call(&guide, "person_update", json!({ "person_id": found[0]["person"]["id"], "person": { "name": format!("{}{}", names[p], step), "id_number": persons[p], "current_address": "新地址" } }))
                        .map(|_| ()),
                    _ => Ok(()),
                }
            }
            Action::Attach { matter } if !matters.is_empty() => {
                let m = matters[*matter as usize % matters.len()].clone();
                desk.call(&guide, "attachment_add", json!({ "matter_id": m, "file_name": "来信扫描件.pdf", "media_type": "application/pdf", "size": 1234, "sha256": "a".repeat(64) })).map(|_| ())
            }
            Action::Visit { person, group } => {
                let p = *person as usize;
                desk.call(&guide, "visit_register", json!({ "visitor_count": if *group { 12 } else { 1 }, "representative_count": if *group { 3 } else { 0 }, "persons": [{ "person": { "name": names[p], "id_number": persons[p], "current_address": "某村" }, "is_representative": *group }] })).map(|_| ())
            }
            Action::Anonymous => desk
                .call(&guide, "matter_register", json!({ "channel": "online", "purpose": "accusation", "matter_class": "accusation", "summary": "匿名举报", "anonymous": true }))
                .map(|_| ()),
            Action::Invalid => desk
                .call(&guide, "matter_register", letter("无效", "110105194912310025", "校验位错误"))
                .map(|_| ()),
            _ => Ok(()),
        };
    }
}

fn verify_desk(desk: &TestDesk) -> verify::Report {
    let scratch = desk.dir.path().join("rebuilt.db");
    let _ = std::fs::remove_file(&scratch);
    verify::verify_file(&desk.path(), &scratch).expect("verify runs")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn rebuilding_projections_from_the_log_gives_the_same_rows(script in prop::collection::vec(action(), 1..40)) {
        let mut desk = TestDesk::new();
        run_script(&mut desk, &script);
        // The script must have done real work, or equality would prove nothing.
        let wanted_matter = script.iter().any(|a| matches!(a, Action::NewMatter { .. }));
        let matters: i64 = desk.register.conn().query_row("SELECT count(*) FROM matters", [], |r| r.get(0)).expect("count");
        prop_assert!(!wanted_matter || matters > 0, "a NewMatter action must have succeeded");
        let report = verify_desk(&desk);
        prop_assert!(report.ok(), "differences after {:?}: {:#?}", script, report.problems);
        prop_assert!(report.rows > 0);
    }
}

#[test]
fn a_tampered_projection_row_is_reported_by_table_row_and_column() {
    let mut desk = TestDesk::new();
    run_script(
        &mut desk,
        &[
            Action::NewMatter { person: 0 },
            Action::NewMatter { person: 1 },
        ],
    );
    assert!(verify_desk(&desk).ok());
    desk.register
        .conn()
        .execute(
            "UPDATE matters SET summary = '被篡改的概况' WHERE rid = 2",
            [],
        )
        .expect("tamper");
    let report = verify_desk(&desk);
    assert!(!report.ok());
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.starts_with("matters [2] column summary") && p.contains("被篡改的概况")),
        "the report names table, row and column: {:#?}",
        report.problems
    );
    desk.register
        .conn()
        .execute("DELETE FROM matter_persons WHERE rowid = 1", [])
        .expect("delete");
    let report = verify_desk(&desk);
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.starts_with("matter_persons [") && p.contains("missing from the register"))
    );
}

#[test]
fn the_event_log_refuses_updates_and_deletes() {
    let mut desk = TestDesk::new();
    run_script(&mut desk, &[Action::NewMatter { person: 0 }]);
    let conn = desk.register.conn();
    let update = conn.execute("UPDATE events SET actor = 'someone else'", []);
    assert!(update.is_err_and(|e| e.to_string().contains("append-only")));
    let delete = conn.execute("DELETE FROM events", []);
    assert!(delete.is_err_and(|e| e.to_string().contains("append-only")));
}
