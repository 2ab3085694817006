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
    // Two open rooms, both free, serve 综合接待: two of the three ahead go in at once, the
    // third waits half a turn, then this visitor one more; a turn is 15 minutes over two rooms.
    let a4 = issue(&mut desk, json!({ "queue": "general", "name": "孙七" }));
    assert_eq!(a4["ahead"], 3);
    assert_eq!(a4["estimated_wait_minutes"], 11);

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

/// An instant given in China time (the clock the hall runs on).
fn china(day: u32, hour: u32, minute: u32) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    xinfang_core::clock::china_offset()
        .with_ymd_and_hms(2026, 11, day, hour, minute, 0)
        .single()
        .expect("valid time")
        .with_timezone(&chrono::Utc)
}

#[test]
fn hall_statistics_count_the_days_queues_rooms_and_hours_and_export_them() {
    use std::io::Cursor;

    use calamine::{Data, Reader, Xlsx};

    let mut desk = TestDesk::new();
    let (room1, room2) = setup(&mut desk);
    let guide = desk.guide.clone();
    let interviewer = desk.interviewer.clone();
    let supervisor = desk.supervisor.clone();
    let at = |desk: &mut TestDesk, day: u32, h: u32, m: u32| desk.clock.set(china(day, h, m));
    let serve = |desk: &mut TestDesk, id: &Value| {
        desk.ok(&interviewer, "interview_record", json!({ "ticket_id": id, "disposition": "answered", "request": "咨询", "facts": "无", "summary": "已解释" }));
    };

    // 28 November, known times (China). Waits 5, 10 and 30 minutes; interviews 10, 20 and 40.
    // The first ticket is taken at 07:50, which is still the 27th in UTC: it belongs to the
    // 28th and to the 07:00 hour.
    at(&mut desk, 28, 7, 50);
    let t1 = desk.ok(
        &guide,
        "ticket_issue",
        json!({ "queue": "general", "name": "张三", "visitors": 3 }),
    );
    at(&mut desk, 28, 7, 55);
    assert_eq!(
        desk.ok(
            &interviewer,
            "ticket_call_next",
            json!({ "room_id": room2 })
        )["id"],
        t1["id"]
    );
    at(&mut desk, 28, 8, 0);
    let t2 = desk.ok(
        &guide,
        "ticket_issue",
        json!({ "queue": "general", "name": "李四" }),
    );
    desk.ok(
        &interviewer,
        "ticket_start",
        json!({ "ticket_id": t1["id"] }),
    );
    at(&mut desk, 28, 8, 5);
    let t3 = desk.ok(
        &guide,
        "ticket_issue",
        json!({ "queue": "legal", "name": "王五" }),
    );
    at(&mut desk, 28, 8, 10);
    serve(&mut desk, &t1["id"]);
    assert_eq!(
        desk.ok(
            &interviewer,
            "ticket_call_next",
            json!({ "room_id": room2 })
        )["id"],
        t2["id"]
    );
    // A recall two minutes later does not lengthen the wait: it is measured to the first call.
    at(&mut desk, 28, 8, 12);
    desk.ok(
        &interviewer,
        "ticket_recall",
        json!({ "ticket_id": t2["id"] }),
    );
    at(&mut desk, 28, 8, 15);
    desk.ok(
        &interviewer,
        "ticket_start",
        json!({ "ticket_id": t2["id"] }),
    );
    at(&mut desk, 28, 8, 35);
    serve(&mut desk, &t2["id"]);
    assert_eq!(
        desk.ok(
            &interviewer,
            "ticket_call_next",
            json!({ "room_id": room1 })
        )["id"],
        t3["id"]
    );
    at(&mut desk, 28, 8, 40);
    desk.ok(
        &interviewer,
        "ticket_start",
        json!({ "ticket_id": t3["id"] }),
    );
    at(&mut desk, 28, 9, 20);
    serve(&mut desk, &t3["id"]);

    // 29 November: one ticket transferred and never called, one that misses three calls (put
    // back twice, then 过号 for good).
    at(&mut desk, 29, 9, 0);
    let t4 = desk.ok(
        &guide,
        "ticket_issue",
        json!({ "queue": "general", "name": "赵六" }),
    );
    at(&mut desk, 29, 9, 1);
    desk.ok(
        &guide,
        "ticket_transfer",
        json!({ "ticket_id": t4["id"], "queue": "legal" }),
    );
    at(&mut desk, 29, 9, 2);
    let t5 = desk.ok(
        &guide,
        "ticket_issue",
        json!({ "queue": "general", "name": "孙七" }),
    );
    for minute in [5, 10, 15] {
        at(&mut desk, 29, 9, minute);
        assert_eq!(
            desk.ok(
                &interviewer,
                "ticket_call_next",
                json!({ "room_id": room2 })
            )["id"],
            t5["id"]
        );
        desk.ok(
            &interviewer,
            "ticket_no_show",
            json!({ "ticket_id": t5["id"] }),
        );
    }
    at(&mut desk, 29, 17, 0);

    let day1 = desk.ok(
        &supervisor,
        "hall_stats",
        json!({ "from": "2026-11-28", "to": "2026-11-28" }),
    );
    let totals = &day1["totals"];
    assert_eq!(
        (&totals["tickets"], &totals["visitors"], &totals["served"]),
        (&json!(3), &json!(5), &json!(3)),
        "{totals}"
    );
    // Mean of 5, 10, 30 is 15; nearest-rank p90 of three values is the largest.
    assert_eq!(totals["wait_mean_minutes"], 15.0);
    assert_eq!(totals["wait_p90_minutes"], 30.0);
    // (10 + 20 + 40) / 3 = 23.33…, shown to one decimal.
    assert_eq!(totals["service_mean_minutes"], 23.3);
    assert_eq!(totals["service_p90_minutes"], 40.0);
    let queues: Vec<(String, u64, f64)> = day1["by_queue"]
        .as_array()
        .expect("by_queue")
        .iter()
        .map(|r| {
            (
                r["queue_name"].as_str().unwrap_or("").to_owned(),
                r["figures"]["tickets"].as_u64().unwrap_or(0),
                r["figures"]["wait_mean_minutes"].as_f64().unwrap_or(-1.0),
            )
        })
        .collect();
    assert_eq!(
        queues,
        [
            ("综合接待".to_owned(), 2, 7.5),
            ("法律咨询".to_owned(), 1, 30.0)
        ]
    );
    let rooms: Vec<(String, u64, f64)> = day1["by_room"]
        .as_array()
        .expect("by_room")
        .iter()
        .map(|r| {
            (
                r["room_name"].as_str().unwrap_or("").to_owned(),
                r["figures"]["served"].as_u64().unwrap_or(0),
                r["figures"]["service_p90_minutes"].as_f64().unwrap_or(-1.0),
            )
        })
        .collect();
    assert_eq!(
        rooms,
        [
            ("1号接待室".to_owned(), 1, 40.0),
            ("2号接待室".to_owned(), 2, 20.0)
        ]
    );
    let hours: Vec<(u64, String, u64)> = day1["by_hour"]
        .as_array()
        .expect("by_hour")
        .iter()
        .map(|h| {
            (
                h["hour"].as_u64().unwrap_or(99),
                h["label"].as_str().unwrap_or("").to_owned(),
                h["figures"]["tickets"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        hours,
        [
            (7, "07:00–08:00".to_owned(), 1),
            (8, "08:00–09:00".to_owned(), 2)
        ]
    );

    // Both days: the no-shows and the transfer are counted, the ticket that never came has
    // its wait to the first call, the transferred one none.
    let both = desk.ok(
        &supervisor,
        "hall_stats",
        json!({ "from": "2026-11-28", "to": "2026-11-29" }),
    );
    let totals = &both["totals"];
    assert_eq!(totals["tickets"], 5);
    assert_eq!(totals["served"], 3);
    assert_eq!(totals["no_shows"], 3);
    assert_eq!(totals["missed"], 1);
    assert_eq!(totals["transfers"], 1);
    // Waits 5, 10, 30 and 3: mean 12, p90 the 4th of 4.
    assert_eq!(totals["wait_mean_minutes"], 12.0);
    assert_eq!(totals["wait_p90_minutes"], 30.0);
    let day2_rooms: Vec<&Value> = both["by_room"]
        .as_array()
        .expect("by_room")
        .iter()
        .filter(|r| r["day"] == "2026-11-29")
        .collect();
    assert_eq!(day2_rooms.len(), 1, "{day2_rooms:?}");
    assert_eq!(day2_rooms[0]["room_name"], "未分配接待室");
    assert_eq!(day2_rooms[0]["room_id"], Value::Null);
    let day2_legal = both["by_queue"]
        .as_array()
        .expect("by_queue")
        .iter()
        .find(|r| r["day"] == "2026-11-29" && r["queue"] == "legal")
        .expect("the transferred ticket counts in the queue it moved to");
    assert_eq!(day2_legal["figures"]["transfers"], 1);
    assert_eq!(day2_legal["figures"]["wait_mean_minutes"], Value::Null);
    let last_hour = both["by_hour"].as_array().expect("by_hour").last().cloned();
    assert_eq!(last_hour.map(|h| h["hour"].clone()), Some(json!(9)));

    // One queue, one room.
    let legal = desk.ok(
        &supervisor,
        "hall_stats",
        json!({ "from": "2026-11-28", "to": "2026-11-29", "queue": "legal" }),
    );
    assert_eq!(legal["totals"]["tickets"], 2);
    let room = desk.ok(
        &supervisor,
        "hall_stats",
        json!({ "from": "2026-11-28", "to": "2026-11-29", "room_id": room2 }),
    );
    assert_eq!(room["totals"]["tickets"], 2);
    assert_eq!(room["totals"]["service_mean_minutes"], 15.0);

    // Refusals name their field.
    for (input, code, field) in [
        (
            json!({ "from": "2026-11-29", "to": "2026-11-28" }),
            "date_range",
            "to",
        ),
        (
            json!({ "from": "2025-01-01", "to": "2026-11-28" }),
            "out_of_range",
            "to",
        ),
        (
            json!({ "from": "2026-11-28", "to": "2026-11-28", "queue": "nope" }),
            "unknown_code",
            "queue",
        ),
    ] {
        let err = desk
            .call(&supervisor, "hall_stats", input)
            .expect_err("refused")
            .to_api();
        assert_eq!(
            (err.code.as_str(), err.field.as_deref()),
            (code, Some(field))
        );
        assert!(
            !err.message.is_ascii(),
            "a Chinese message: {}",
            err.message
        );
    }
    let err = desk
        .call(
            &guide,
            "hall_stats",
            json!({ "from": "2026-11-28", "to": "2026-11-28" }),
        )
        .expect_err("guides do not see the statistics")
        .to_api();
    assert_eq!(err.code, "forbidden");

    // The workbook: three sheets, each ending with the period's totals.
    let file = desk.ok(
        &supervisor,
        "hall_stats_export",
        json!({ "from": "2026-11-28", "to": "2026-11-29" }),
    );
    assert_eq!(
        file["file_name"],
        "测试县信访局来访接待中心候访统计2026-11-28至2026-11-29.xlsx"
    );
    let bytes = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        file["base64"].as_str().expect("bytes"),
    )
    .expect("base64");
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).expect("a valid workbook");
    assert_eq!(book.sheet_names(), ["按日按队列", "按日按接待室", "按时段"]);
    for (sheet, keys) in [("按日按队列", 2), ("按日按接待室", 2), ("按时段", 1)] {
        let range = book.worksheet_range(sheet).expect("sheet");
        let cell = |row: u32, col: u32| range.get_value((row, col)).cloned();
        assert_eq!(
            cell(1, 0),
            Some(Data::String(if keys == 2 { "日期" } else { "时段" }.into()))
        );
        assert_eq!(cell(1, keys), Some(Data::String("取号（张）".into())));
        let total_row = (0..range.height() as u32)
            .find(|r| cell(*r, 0) == Some(Data::String("合计".into())))
            .unwrap_or_else(|| panic!("{sheet} has a 合计 row"));
        let figures = |offset: u32| cell(total_row, keys + offset);
        assert_eq!(figures(0), Some(Data::Float(5.0)), "{sheet}: tickets");
        assert_eq!(figures(2), Some(Data::Float(3.0)), "{sheet}: served");
        assert_eq!(figures(3), Some(Data::Float(3.0)), "{sheet}: no-shows");
        assert_eq!(figures(5), Some(Data::Float(1.0)), "{sheet}: transfers");
        assert_eq!(figures(6), Some(Data::Float(12.0)), "{sheet}: mean wait");
        assert_eq!(figures(9), Some(Data::Float(40.0)), "{sheet}: service p90");
    }
    let by_queue = book.worksheet_range("按日按队列").expect("sheet");
    assert_eq!(
        by_queue.get_value((2, 1)),
        Some(&Data::String("综合接待".into()))
    );

    // The first call is a projection like any other: the tables still rebuild from the log.
    let report =
        xinfang_core::verify::verify_file(&desk.path(), &desk.dir.path().join("scratch.db"))
            .expect("verify");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}
