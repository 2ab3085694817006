//! The walk-in hall through the operation list on a real register file: tickets numbered per
//! day and queue, calls in priority then arrival order, recall, the no-show rule, transfer,
//! park and resume, the interview closing the ticket and joining the case's timeline, and the
//! board showing masked names only. A scripted busy day keeps every visitor exactly once.

use std::collections::HashSet;

use serde_json::{Value, json};
use xinfang_tests::{TestDesk, id_number, letter};

fn setup(desk: &mut TestDesk) -> (Value, Value) {
    let admin = desk.admin.clone();
    desk.ok(
        &admin,
        "hall_queue_set",
        json!({ "code": "general", "name": "综合接待", "prefix": "A" }),
    );
    desk.ok(
        &admin,
        "hall_queue_set",
        json!({ "code": "legal", "name": "法律咨询", "prefix": "B", "service_minutes": 20 }),
    );
    let err = desk
        .call(
            &admin,
            "hall_queue_set",
            json!({ "code": "other", "name": "其他", "prefix": "A" }),
        )
        .expect_err("prefix taken")
        .to_api();
    assert_eq!(
        (err.code.as_str(), err.field.as_deref()),
        ("duplicate", Some("prefix"))
    );
    desk.ok(
        &admin,
        "hall_room_set",
        json!({ "name": "1号接待室", "queues": ["general", "legal"] }),
    );
    let setup = desk.ok(
        &admin,
        "hall_room_set",
        json!({ "name": "2号接待室", "queues": ["general"] }),
    );
    let rooms = setup["rooms"].as_array().expect("rooms").clone();
    (rooms[0]["id"].clone(), rooms[1]["id"].clone())
}

#[test]
fn tickets_are_called_by_priority_then_arrival_and_the_rules_apply() {
    let mut desk = TestDesk::new();
    let (room1, room2) = setup(&mut desk);
    let guide = desk.guide.clone();
    let interviewer = desk.interviewer.clone();
    let issue = |desk: &mut TestDesk, body: Value| desk.ok(&guide, "ticket_issue", body);
    let a1 = issue(
        &mut desk,
        json!({ "queue": "general", "name": "张三丰", "reason": "工资" }),
    );
    assert_eq!(a1["number"], "A001");
    assert_eq!(a1["display_name"], "张*丰");
    assert_eq!(a1["ahead"], 0);
    let a2 = issue(&mut desk, json!({ "queue": "general", "name": "李四" }));
    let a3 = issue(
        &mut desk,
        json!({ "queue": "general", "name": "王五", "priority": "vulnerable" }),
    );
    let b1 = issue(&mut desk, json!({ "queue": "legal", "name": "赵六" }));
    assert_eq!(b1["number"], "B001");
    // Two open rooms serve 综合接待: two ahead, 15 minutes each, split over two rooms.
    let a4 = issue(&mut desk, json!({ "queue": "general", "name": "孙七" }));
    assert_eq!(a4["ahead"], 3);
    assert_eq!(a4["estimated_wait_minutes"], 23);

    // The elderly visitor is called first, then arrival order.
    let call = |desk: &mut TestDesk, room: &Value| {
        desk.ok(&interviewer, "ticket_call_next", json!({ "room_id": room }))
    };
    assert_eq!(call(&mut desk, &room2)["number"], a3["number"]);
    assert_eq!(call(&mut desk, &room2)["number"], a1["number"]);
    // Room 1 serves both queues; A002 arrived before B001.
    let called = call(&mut desk, &room1);
    assert_eq!(called["number"], a2["number"]);
    assert_eq!(called["room_name"], "1号接待室");
    // 复呼 keeps the ticket; the board shows the latest call per room with masked names.
    let recalled = desk.ok(
        &interviewer,
        "ticket_recall",
        json!({ "ticket_id": called["id"] }),
    );
    assert_eq!(recalled["calls"], 2);
    let board = desk.call_public("hall_board", json!({}));
    let text = board.to_string();
    assert!(text.contains("A002") && text.contains("李*"), "{text}");
    assert!(
        !text.contains("李四") && !text.contains("张三丰"),
        "full names never on the board: {text}"
    );

    // 过号: A002 goes back behind the next 3 waiting (only A004 waits in its class: after it).
    desk.ok(
        &interviewer,
        "ticket_no_show",
        json!({ "ticket_id": called["id"] }),
    );
    assert_eq!(call(&mut desk, &room1)["number"], b1["number"]);
    assert_eq!(call(&mut desk, &room1)["number"], a4["number"]);
    let again = call(&mut desk, &room1);
    assert_eq!(again["number"], a2["number"]);
    // A second no-show puts it back once more; the third marks it 过号 for good.
    desk.ok(
        &interviewer,
        "ticket_no_show",
        json!({ "ticket_id": again["id"] }),
    );
    let again = call(&mut desk, &room1);
    assert_eq!(again["number"], a2["number"]);
    let gone = desk.ok(
        &interviewer,
        "ticket_no_show",
        json!({ "ticket_id": again["id"] }),
    );
    assert_eq!(gone["status"], "no_show");
    let err = desk
        .call(
            &interviewer,
            "ticket_call_next",
            json!({ "room_id": room1 }),
        )
        .expect_err("nobody waits")
        .to_api();
    assert_eq!(err.code, "queue_empty");

    // A paused room cannot call.
    desk.ok(
        &interviewer,
        "hall_room_state",
        json!({ "room_id": room2, "state": "paused" }),
    );
    issue(&mut desk, json!({ "queue": "general", "name": "周八" }));
    let err = desk
        .call(
            &interviewer,
            "ticket_call_next",
            json!({ "room_id": room2 }),
        )
        .expect_err("paused")
        .to_api();
    assert_eq!(err.code, "room_not_open");
}

#[test]
fn an_interview_closes_the_ticket_and_joins_the_cases_timeline() {
    let mut desk = TestDesk::new();
    let (room1, _) = setup(&mut desk);
    let guide = desk.guide.clone();
    let interviewer = desk.interviewer.clone();
    let ticket = desk.ok(
        &guide,
        "ticket_issue",
        json!({ "queue": "legal", "name": "张伟", "reason": "欠薪" }),
    );
    // Transfer to 综合接待 keeps the ticket, park and resume keep its place.
    let moved = desk.ok(
        &guide,
        "ticket_transfer",
        json!({ "ticket_id": ticket["id"], "queue": "general" }),
    );
    assert_eq!(moved["queue_name"], "综合接待");
    desk.ok(
        &interviewer,
        "ticket_park",
        json!({ "ticket_id": ticket["id"] }),
    );
    desk.ok(
        &guide,
        "ticket_resume",
        json!({ "ticket_id": ticket["id"] }),
    );
    let called = desk.ok(
        &interviewer,
        "ticket_call_next",
        json!({ "room_id": room1 }),
    );
    assert_eq!(called["id"], ticket["id"]);
    let err = desk
        .call(&interviewer, "interview_record", json!({ "ticket_id": ticket["id"], "disposition": "answered", "request": "r", "facts": "f", "summary": "s" }))
        .expect_err("not started")
        .to_api();
    assert_eq!(err.code, "invalid_state");
    desk.ok(
        &interviewer,
        "ticket_start",
        json!({ "ticket_id": ticket["id"] }),
    );
    // Registering needs a matter; abnormal behaviour needs its details.
    let err = desk
        .call(&interviewer, "interview_record", json!({ "ticket_id": ticket["id"], "disposition": "registered", "request": "r", "facts": "f", "summary": "s" }))
        .expect_err("needs a matter")
        .to_api();
    assert_eq!(
        (err.code.as_str(), err.field.as_deref()),
        ("required", Some("matter_id"))
    );
    let mut visit = letter(
        "张伟",
        &id_number("330106", "19700101", 1),
        "反映拖欠工资问题",
    );
    visit["channel"] = json!("visit");
    let matter = desk.ok(&interviewer, "matter_register", visit);
    let err = desk
        .call(&interviewer, "interview_record", json!({ "ticket_id": ticket["id"], "matter_id": matter["id"], "disposition": "registered",
            "request": "支付工资", "facts": "欠薪八个月", "summary": "已登记", "behaviour": "abnormal" }))
        .expect_err("details")
        .to_api();
    assert_eq!(err.field.as_deref(), Some("behaviour_note"));
    let done = desk.ok(
        &interviewer,
        "interview_record",
        json!({ "ticket_id": ticket["id"], "matter_id": matter["id"], "disposition": "registered",
                "request": "支付拖欠工资", "facts": "在某公司务工八个月未结工资", "summary": "已登记，告知15日内书面答复",
                "present": ["张伟", "李军"] }),
    );
    assert_eq!(done["ticket"]["status"], "done");
    // The record prints for the petitioner to read and sign.
    let doc = desk.ok(
        &interviewer,
        "interview_document",
        json!({ "interview_id": done["id"] }),
    );
    let pdf = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        doc["pdf_base64"].as_str().expect("pdf"),
    )
    .expect("base64");
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("record.pdf"), &pdf).expect("write");
    let out = std::process::Command::new("pdftotext")
        .args([
            "-raw",
            dir.path().join("record.pdf").to_str().expect("utf-8"),
            "-",
        ])
        .output()
        .expect("pdftotext");
    let text: String = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect();
    for expected in [
        "接谈记录",
        matter["number"].as_str().expect("number"),
        "支付拖欠工资",
        "1号接待室",
        "张伟",
    ] {
        assert!(text.contains(expected), "missing {expected} in {text}");
    }
    let detail = desk.ok(&guide, "matter_get", json!({ "matter_id": matter["id"] }));
    assert!(
        detail["timeline"]
            .as_array()
            .expect("timeline")
            .iter()
            .any(|e| e["description"]
                .as_str()
                .unwrap_or("")
                .starts_with("接谈记录：已登记")),
        "{}",
        detail["timeline"]
    );
    // The 首问责任人 is the interviewer who started.
    let first: String = desk
        .register
        .conn()
        .query_row(
            "SELECT interviewer FROM hall_tickets WHERE id = ?1",
            [ticket["id"].as_str().expect("id")],
            |r| r.get(0),
        )
        .expect("row");
    assert_eq!(first, interviewer.user_id.to_string());
}

#[test]
fn a_busy_day_keeps_every_visitor_exactly_once_and_the_register_verifies() {
    let mut desk = TestDesk::new();
    let (room1, room2) = setup(&mut desk);
    let guide = desk.guide.clone();
    let interviewer = desk.interviewer.clone();
    let mut rng = xinfang_core::demo::Rng::new(7);
    let mut issued = Vec::new();
    let mut served: Vec<String> = Vec::new();
    let mut seen_calls: HashSet<String> = HashSet::new();
    for step in 0..600 {
        desk.clock
            .set(xinfang_tests::test_now() + chrono::Duration::seconds(step * 20));
        if issued.len() < 300 && rng.chance(60) {
            let queue = if rng.chance(70) { "general" } else { "legal" };
            let priority = if rng.chance(10) {
                json!("vulnerable")
            } else {
                Value::Null
            };
            let t = desk.ok(
                &guide,
                "ticket_issue",
                json!({ "queue": queue, "priority": priority, "name": format!("访客{step}") }),
            );
            issued.push(t["id"].as_str().expect("id").to_owned());
            continue;
        }
        let room = if rng.chance(50) { &room1 } else { &room2 };
        let Ok(t) = desk.call(&interviewer, "ticket_call_next", json!({ "room_id": room })) else {
            continue;
        };
        let id = t["id"].as_str().expect("id").to_owned();
        seen_calls.insert(id.clone());
        match rng.below(10) {
            0 => {
                desk.ok(&interviewer, "ticket_no_show", json!({ "ticket_id": id }));
            }
            1 => {
                desk.ok(&interviewer, "ticket_recall", json!({ "ticket_id": id }));
                desk.ok(&interviewer, "ticket_start", json!({ "ticket_id": id }));
                desk.ok(&interviewer, "interview_record", json!({ "ticket_id": id, "disposition": "answered", "request": "咨询", "facts": "无", "summary": "已解释" }));
                served.push(id);
            }
            _ => {
                desk.ok(&interviewer, "ticket_start", json!({ "ticket_id": id }));
                desk.ok(&interviewer, "interview_record", json!({ "ticket_id": id, "disposition": "answered", "request": "咨询", "facts": "无", "summary": "已解释" }));
                served.push(id);
            }
        }
    }
    // Nobody served twice; every issued ticket is accounted for exactly once.
    let unique: HashSet<&String> = served.iter().collect();
    assert_eq!(unique.len(), served.len(), "a visitor was served twice");
    let count = |status: &str| -> i64 {
        desk.register
            .conn()
            .query_row(
                "SELECT count(*) FROM hall_tickets WHERE status = ?1",
                [status],
                |r| r.get(0),
            )
            .expect("count")
    };
    let total: i64 = ["waiting", "called", "serving", "parked", "done", "no_show"]
        .iter()
        .map(|s| count(s))
        .sum();
    assert_eq!(total, issued.len() as i64);
    assert_eq!(count("done"), served.len() as i64);
    assert!(
        served.len() > 150,
        "the day moved on: {} served",
        served.len()
    );
    // Every transition is in the log, and the tables rebuild from it exactly.
    let report =
        xinfang_core::verify::verify_file(&desk.path(), &desk.dir.path().join("scratch.db"))
            .expect("verify");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}
