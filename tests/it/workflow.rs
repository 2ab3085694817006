//! The handling workflow and its statutory clocks through the operation list, on a real
//! register file: due dates computed by hand from the 2025/2026 holiday schedules, the refusals
//! the 条例 requires, supervision lists, the calendar re-check, and indicators on a fixture whose
//! counts are known.

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};
use xinfang_core::domain::calendar::{Calendar, CalendarDay, DayKind};
use xinfang_tests::{TestDesk, id_number, letter};

/// Sets the desk's clock to 10:00 China time on `date` (YYYY-MM-DD).
fn at(desk: &TestDesk, date: &str) {
    let d = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").expect("test date");
    let t = Utc
        .from_local_datetime(&d.and_hms_opt(2, 0, 0).expect("time"))
        .single()
        .expect("utc");
    desk.clock.set(t);
}

/// Registers a letter received today and returns its id.
fn new_matter(desk: &mut TestDesk, seq: u32) -> Value {
    let guide = desk.guide.clone();
    let m = desk.ok(
        &guide,
        "matter_register",
        letter(
            "张伟",
            &id_number("330106", "19700101", seq),
            &format!("反映拖欠工资问题{seq}"),
        ),
    );
    m["id"].clone()
}

fn clocks(desk: &mut TestDesk, id: &Value) -> Vec<Value> {
    let who = desk.guide.clone();
    let detail = desk.ok(&who, "matter_get", json!({ "matter_id": id }));
    detail["clocks"].as_array().cloned().unwrap_or_default()
}

/// The due date of the latest clock of `kind`.
fn due(desk: &mut TestDesk, id: &Value, kind: &str) -> String {
    clocks(desk, id)
        .iter()
        .rev()
        .find(|c| c["kind"] == kind)
        .unwrap_or_else(|| panic!("clock {kind} started"))["due"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn refusal(desk: &mut TestDesk, op: &str, input: Value) -> (String, Option<String>, String) {
    let who = desk.handler.clone();
    let api = desk
        .call(&who, op, input)
        .expect_err("the rule refuses it")
        .to_api();
    (api.code, api.field, api.message)
}

#[test]
fn due_dates_follow_the_statute_through_a_whole_matter() {
    let mut desk = TestDesk::new();
    let handler = desk.handler.clone();
    at(&desk, "2025-09-20");
    let m = new_matter(&mut desk, 1);
    // Received 2025-09-20: the 15 days end on 10-05, inside the National Day holiday; without
    // rollover (the default) that is the due date.
    assert_eq!(due(&mut desk, &m, "D1"), "2025-10-05");
    assert_eq!(due(&mut desk, &m, "D2"), "2025-10-05");

    at(&desk, "2025-09-22");
    desk.ok(
        &handler,
        "matter_accept",
        json!({ "matter_id": m, "accepted_on": "2025-09-22" }),
    );
    // 60 days from 受理.
    assert_eq!(due(&mut desk, &m, "D5"), "2025-11-21");
    let states: Vec<(String, String)> = clocks(&mut desk, &m)
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap_or("").to_owned(),
                c["status"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert!(states.contains(&("D1".into(), "met".into())));
    assert!(states.contains(&("D2".into(), "met".into())));

    // One extension of at most 30 days, from the original due date.
    at(&desk, "2025-11-10");
    let (code, field, message) = refusal(
        &mut desk,
        "matter_extend",
        json!({ "matter_id": m, "days": 31, "approver": "李局长", "reason": "需要现场调查" }),
    );
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("extension_too_long", Some("days"))
    );
    assert!(message.contains("30日"), "{message}");
    desk.ok(
        &handler,
        "matter_extend",
        json!({ "matter_id": m, "days": 30, "approver": "李局长", "reason": "需要现场调查" }),
    );
    assert_eq!(due(&mut desk, &m, "D6"), "2025-12-21");
    let (code, _, message) = refusal(
        &mut desk,
        "matter_extend",
        json!({ "matter_id": m, "days": 5, "approver": "李局长", "reason": "再次延期" }),
    );
    assert_eq!(code, "extension_exists");
    assert!(message.contains("只能延长一次"), "{message}");

    // The answer needs its delivery date: the 复查 window runs from it.
    at(&desk, "2025-12-01");
    let answer = json!({
        "matter_id": m,
        "opinion": "经核查，公司确有拖欠",
        "items": [
            { "item": "支付拖欠工资", "outcome": "support", "basis": "《保障农民工工资支付条例》" },
            { "item": "赔偿精神损失", "outcome": "reject" }
        ],
        "delivery_method": "直接送达"
    });
    let (code, field, _) = refusal(&mut desk, "matter_answer", answer.clone());
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("required", Some("delivered_on"))
    );
    let mut delivered = answer;
    delivered["delivered_on"] = json!("2025-12-01");
    desk.ok(&handler, "matter_answer", delivered);
    assert_eq!(due(&mut desk, &m, "D7"), "2025-12-31");
    let d6 = clocks(&mut desk, &m)
        .into_iter()
        .find(|c| c["kind"] == "D6")
        .expect("extension clock");
    assert_eq!(d6["state_name"], "按期");

    // 复查 asked after the window: refused without a reason, taken with one.
    at(&desk, "2026-01-05");
    let request = json!({ "matter_id": m, "received_on": "2026-01-05", "unit": "市人社局" });
    let (code, field, message) = refusal(&mut desk, "matter_review_request", request.clone());
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("window_lapsed", Some("late_reason"))
    );
    assert!(message.contains("2025-12-31"), "{message}");
    let mut with_reason = request;
    with_reason["late_reason"] = json!("信访人住院治疗，有医院证明");
    desk.ok(&handler, "matter_review_request", with_reason);
    assert_eq!(due(&mut desk, &m, "D8"), "2026-02-04");

    at(&desk, "2026-02-02");
    desk.ok(
        &handler,
        "matter_review_opinion",
        json!({ "matter_id": m, "items": [{ "item": "支付拖欠工资", "outcome": "support" }],
                "delivered_on": "2026-02-02", "delivery_method": "邮寄送达" }),
    );
    assert_eq!(due(&mut desk, &m, "D9"), "2026-03-04");
    at(&desk, "2026-02-10");
    desk.ok(
        &handler,
        "matter_recheck_request",
        json!({ "matter_id": m, "received_on": "2026-02-10", "unit": "省人社厅" }),
    );
    assert_eq!(due(&mut desk, &m, "D10"), "2026-03-12");
    at(&desk, "2026-03-01");
    desk.ok(
        &handler,
        "matter_recheck_opinion",
        json!({ "matter_id": m, "items": [{ "item": "支付拖欠工资", "outcome": "explain" }],
                "delivered_on": "2026-03-01", "delivery_method": "直接送达" }),
    );

    // The same person with the same matter after 复核: 不再受理 is offered and allowed.
    let guide = desk.guide.clone();
    let mut again = letter(
        "张伟",
        &id_number("330106", "19700101", 1),
        "再次反映拖欠工资",
    );
    again["repeat_of"] = m.clone();
    let repeat = desk.ok(&guide, "matter_register", again)["id"].clone();
    let detail = desk.ok(&guide, "matter_get", json!({ "matter_id": repeat }));
    assert!(
        detail["no_longer_accept_basis"]
            .as_str()
            .is_some_and(|b| b.contains("已经复核")),
        "{}",
        detail["no_longer_accept_basis"]
    );
    desk.ok(
        &handler,
        "matter_no_longer_accept",
        json!({ "matter_id": repeat, "reason": "同一事实和理由，已经复核" }),
    );
    let detail = desk.ok(&guide, "matter_get", json!({ "matter_id": repeat }));
    assert_eq!(detail["matter"]["status"], "no_longer_accepted");

    // A fresh matter has no such basis.
    let other = new_matter(&mut desk, 2);
    let (code, _, _) = refusal(
        &mut desk,
        "matter_no_longer_accept",
        json!({ "matter_id": other, "reason": "重复" }),
    );
    assert_eq!(code, "not_applicable");
}

#[test]
fn rollover_setting_moves_a_due_date_off_the_holiday() {
    let mut desk = TestDesk::new();
    let admin = desk.admin.clone();
    let mut settings = desk.ok(&admin, "settings_get", json!({}));
    settings["deadline_rollover"] = json!("next_working_day");
    desk.ok(&admin, "settings_set", settings);
    at(&desk, "2025-09-20");
    let m = new_matter(&mut desk, 1);
    // 10-05 is in the holiday that runs to 10-08; the next working day is 10-09.
    assert_eq!(due(&mut desk, &m, "D2"), "2025-10-09");
}

#[test]
fn the_objection_window_counts_working_days_across_the_spring_festival() {
    let mut desk = TestDesk::new();
    let handler = desk.handler.clone();
    at(&desk, "2026-02-13");
    let m = new_matter(&mut desk, 1);
    desk.ok(
        &handler,
        "matter_forward",
        json!({ "matter_id": m, "unit": "县人社局", "sent_on": "2026-02-13" }),
    );
    // 02-14 (Saturday) is worked; 02-15 to 02-23 are off; then 24, 25, 26, 27.
    assert_eq!(due(&mut desk, &m, "D4"), "2026-02-27");
    // The receiving unit's written-notice limit is 15 calendar days.
    assert_eq!(due(&mut desk, &m, "D3"), "2026-02-28");
    let d3 = clocks(&mut desk, &m)
        .into_iter()
        .find(|c| c["kind"] == "D3")
        .expect("D3");
    assert_eq!(d3["holder"], "县人社局");
}

#[test]
fn refusals_name_their_field_and_change_nothing() {
    let mut desk = TestDesk::new();
    let handler = desk.handler.clone();
    let m = new_matter(&mut desk, 1);
    let before = desk.event_count();
    // Answer before acceptance.
    let (code, field, _) = refusal(
        &mut desk,
        "matter_answer",
        json!({ "matter_id": m, "items": [{ "item": "a", "outcome": "support" }],
                "delivered_on": "2026-11-28", "delivery_method": "直接送达" }),
    );
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("invalid_state", Some("matter_id"))
    );
    // 不予受理 without the proper channel.
    let (code, field, _) = refusal(
        &mut desk,
        "matter_not_accept",
        json!({ "matter_id": m, "reason": "属于法院职权" }),
    );
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("required", Some("proper_channel"))
    );
    // A date in the future.
    let (code, field, _) = refusal(
        &mut desk,
        "matter_accept",
        json!({ "matter_id": m, "accepted_on": "2026-12-01" }),
    );
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("future_date", Some("accepted_on"))
    );
    // Extension with no handling clock running.
    let (code, _, _) = refusal(
        &mut desk,
        "matter_extend",
        json!({ "matter_id": m, "days": 10, "approver": "局长", "reason": "调查" }),
    );
    assert_eq!(code, "invalid_state");
    // 督办 is the supervisor's; and it needs a finish-by date.
    let err = desk
        .call(
            &handler,
            "matter_supervise",
            json!({ "matter_id": m, "level": "supervise", "unit": "县人社局", "note": "请抓紧" }),
        )
        .expect_err("handlers do not supervise")
        .to_api();
    assert_eq!(err.code, "forbidden");
    let supervisor = desk.supervisor.clone();
    let err = desk
        .call(
            &supervisor,
            "matter_supervise",
            json!({ "matter_id": m, "level": "supervise", "unit": "县人社局", "note": "请抓紧" }),
        )
        .expect_err("needs due_by")
        .to_api();
    assert_eq!(
        (err.code.as_str(), err.field.as_deref()),
        ("required", Some("due_by"))
    );
    // The administrator runs the system, not cases.
    let admin = desk.admin.clone();
    let err = desk
        .call(&admin, "matter_accept", json!({ "matter_id": m }))
        .expect_err("admin cannot accept")
        .to_api();
    assert_eq!(err.code, "forbidden");
    assert_eq!(desk.event_count(), before, "refusals leave no trace");
}

#[test]
fn supervision_lists_overdue_clocks_by_unit_and_records_supervision() {
    let mut desk = TestDesk::new();
    let handler = desk.handler.clone();
    let supervisor = desk.supervisor.clone();
    at(&desk, "2026-10-01");
    let late = new_matter(&mut desk, 1);
    desk.ok(
        &handler,
        "matter_assign",
        json!({ "matter_id": late, "unit": "县住建局" }),
    );
    at(&desk, "2026-11-20");
    let fresh = new_matter(&mut desk, 2);
    at(&desk, "2026-11-28");
    // late: D3 due 10-16 held by 县住建局 is overdue; D2 (centre, due 10-16) too.
    // fresh: D1/D2 due 12-05 are this week's? No: 11-28 is a Saturday, the week ends 11-29.
    let page = desk.ok(&supervisor, "clocks_list", json!({ "bucket": "overdue" }));
    assert_eq!(page["counts"]["overdue"], 2, "{page}");
    assert_eq!(page["total"], 2);
    let kinds: Vec<&str> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["kind"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(kinds, ["D2", "D3"]);
    let unit = page["by_unit"]
        .as_array()
        .expect("by_unit")
        .iter()
        .find(|g| g["name"] == "县住建局")
        .expect("the unit is listed");
    assert_eq!(unit["overdue"], 1);
    // The objection window (D4) is not a duty and is not listed as overdue.
    assert!(!kinds.contains(&"D4"));
    // Filtering on the unit.
    let page = desk.ok(
        &supervisor,
        "clocks_list",
        json!({ "bucket": "overdue", "unit": "县住建局" }),
    );
    assert_eq!(page["total"], 1);
    // fresh is due 12-05: 7 days left, neither approaching (3) nor overdue.
    let page = desk.ok(&supervisor, "clocks_list", json!({ "bucket": "open" }));
    assert!(
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|i| i["matter_id"] == fresh && i["state"] == "normal")
    );
    at(&desk, "2026-12-03");
    let page = desk.ok(
        &supervisor,
        "clocks_list",
        json!({ "bucket": "approaching" }),
    );
    assert_eq!(
        page["counts"]["approaching"], 2,
        "D1 and D2 of the fresh matter"
    );

    // 督办 with a finish-by date is logged on the case.
    desk.ok(
        &supervisor,
        "matter_supervise",
        json!({ "matter_id": late, "level": "supervise", "note": "请于限期内书面告知信访人并报送办理情况", "due_by": "2026-12-10" }),
    );
    let detail = desk.ok(&supervisor, "matter_get", json!({ "matter_id": late }));
    let last = detail["timeline"]
        .as_array()
        .expect("timeline")
        .last()
        .cloned()
        .expect("entry");
    let text = last["description"].as_str().unwrap_or("");
    assert!(text.starts_with("督办：县住建局"), "{text}");
    assert!(text.contains("2026-12-10"), "{text}");
    assert_eq!(last["actor_name"], "陈静（负责人）");
}

#[test]
fn a_calendar_change_flags_clocks_without_moving_them() {
    let mut desk = TestDesk::new();
    let supervisor = desk.supervisor.clone();
    at(&desk, "2026-11-20");
    let m = new_matter(&mut desk, 1);
    let handler = desk.handler.clone();
    desk.ok(
        &handler,
        "matter_forward",
        json!({ "matter_id": m, "unit": "县人社局", "sent_on": "2026-11-20" }),
    );
    assert_eq!(due(&mut desk, &m, "D4"), "2026-11-27");
    assert!(
        desk.ok(&supervisor, "clocks_calendar_check", json!({}))
            .as_array()
            .is_some_and(Vec::is_empty)
    );
    // The county declares 11-24 a local holiday.
    let calendar = Calendar::bundled()
        .with_overlay(vec![CalendarDay {
            date: chrono::NaiveDate::from_ymd_opt(2026, 11, 24).expect("date"),
            kind: DayKind::Holiday,
            name: Some("县级临时休息日".into()),
        }])
        .expect("overlay");
    desk.register.set_calendar(calendar);
    let moves = desk.ok(&supervisor, "clocks_calendar_check", json!({}));
    let moves = moves.as_array().expect("list");
    assert_eq!(moves.len(), 1, "{moves:?}");
    assert_eq!(moves[0]["kind"], "D4");
    assert_eq!(moves[0]["stored_due"], "2026-11-27");
    assert_eq!(moves[0]["recomputed_due"], "2026-11-30");
    // The stored date has not moved.
    assert_eq!(due(&mut desk, &m, "D4"), "2026-11-27");
}

#[test]
fn indicators_match_counts_worked_out_by_hand() {
    let mut desk = TestDesk::new();
    let handler = desk.handler.clone();
    let guide = desk.guide.clone();
    let supervisor = desk.supervisor.clone();
    at(&desk, "2026-06-01");
    // Four matters received 06-01; D2 due 06-16 for all.
    let a = new_matter(&mut desk, 1); // accepted on time, answered on time, rated 满意
    let b = new_matter(&mut desk, 2); // accepted late (after 06-16), answered late
    let c = new_matter(&mut desk, 3); // accepted on time, answered on time, rated 不满意
    let d = new_matter(&mut desk, 4); // never accepted
    // An online matter, repeating a's petitioner and matter.
    let mut online = letter("张伟", &id_number("330106", "19700101", 1), "网上反映");
    online["channel"] = json!("online");
    online["repeat_of"] = a.clone();
    let e = desk.ok(&guide, "matter_register", online)["id"].clone();
    at(&desk, "2026-06-05");
    for m in [&a, &c, &e] {
        desk.ok(&handler, "matter_accept", json!({ "matter_id": m }));
    }
    at(&desk, "2026-06-20");
    desk.ok(&handler, "matter_accept", json!({ "matter_id": b }));
    let answer = |m: &Value, on: &str| {
        json!({ "matter_id": m, "items": [{ "item": "工资", "outcome": "support" }],
                "delivered_on": on, "delivery_method": "直接送达" })
    };
    at(&desk, "2026-07-20");
    desk.ok(&handler, "matter_answer", answer(&a, "2026-07-20"));
    desk.ok(&handler, "matter_answer", answer(&c, "2026-07-20"));
    at(&desk, "2026-08-25"); // b's D5 was due 08-19
    desk.ok(&handler, "matter_answer", answer(&b, "2026-08-25"));
    at(&desk, "2026-09-01");
    for (m, rating) in [(&a, "satisfied"), (&c, "dissatisfied")] {
        desk.ok(
            &handler,
            "followup_record",
            json!({ "matter_id": m, "method": "电话", "result": "已回访", "handling_rating": rating, "query_code": "Q1234" }),
        );
    }
    let _ = d;
    let figures = desk.ok(
        &supervisor,
        "indicators",
        json!({ "from": "2026-06-01", "to": "2026-09-30" }),
    );
    let get = |code: &str| {
        figures
            .as_array()
            .expect("list")
            .iter()
            .find(|f| f["code"] == code)
            .cloned()
            .expect("indicator")
    };
    let pair = |f: Value| {
        (
            f["numerator"].as_u64().unwrap_or(99),
            f["denominator"].as_u64().unwrap_or(99),
        )
    };
    // Notice due for a, b, c, d, e (D2); on time: a, c, e.
    assert_eq!(pair(get("timely_acceptance")), (3, 5));
    assert_eq!(get("timely_acceptance")["percent"], 60.0);
    // Handling due in the period: a, c (08-04), e (08-04, still open), b (08-19); on time: a, c.
    assert_eq!(pair(get("on_time_completion")), (2, 4));
    // Answered: a, b, c; rated: a, c; satisfied: a.
    assert_eq!(pair(get("rating_participation")), (2, 3));
    assert_eq!(pair(get("satisfaction")), (1, 2));
    // e repeats a.
    assert_eq!(pair(get("repeat_rate")), (1, 5));
    assert_eq!(pair(get("online_share")), (1, 5));
    // The cases behind a figure: the two not answered on time.
    let behind = desk.ok(
        &supervisor,
        "indicator_cases",
        json!({ "code": "on_time_completion", "part": "shortfall",
                "filters": { "from": "2026-06-01", "to": "2026-09-30" } }),
    );
    let mut ids: Vec<Value> = behind
        .as_array()
        .expect("list")
        .iter()
        .map(|r| r["matter_id"].clone())
        .collect();
    ids.sort_by_key(|v| v.to_string());
    let mut want = vec![b, e];
    want.sort_by_key(|v| v.to_string());
    assert_eq!(ids, want);
    // Filtering by channel.
    let online_only = desk.ok(
        &supervisor,
        "indicators",
        json!({ "from": "2026-06-01", "to": "2026-09-30", "channel": "online" }),
    );
    let share = online_only
        .as_array()
        .expect("list")
        .iter()
        .find(|f| f["code"] == "online_share")
        .cloned()
        .expect("share");
    assert_eq!(
        (share["numerator"].clone(), share["denominator"].clone()),
        (json!(1), json!(1))
    );
}

#[test]
fn next_years_schedule_is_imported_and_the_county_overlay_applies() {
    let mut desk = TestDesk::new();
    let admin = desk.admin.clone();
    let handler = desk.handler.clone();
    let supervisor = desk.supervisor.clone();
    // Before 2027 is loaded, a working-day clock ending in 2027 is computed with weekends only
    // and says so.
    at(&desk, "2026-12-28");
    let m = new_matter(&mut desk, 1);
    desk.ok(
        &handler,
        "matter_forward",
        json!({ "matter_id": m, "unit": "县人社局", "sent_on": "2026-12-28" }),
    );
    let warned = clocks(&mut desk, &m)
        .into_iter()
        .find(|c| c["kind"] == "D4")
        .expect("D4");
    // 12-29, 30, 31, 01-01 (a Friday, unknown), 01-04.
    assert_eq!(warned["due"], "2027-01-04");
    assert!(
        warned["warnings"][0]
            .as_str()
            .is_some_and(|w| w.contains("2027年节假日安排尚未导入")),
        "{warned}"
    );
    // A malformed year is refused at its field and changes nothing.
    let before = desk.event_count();
    let err = desk
        .call(
            &admin,
            "calendar_import",
            json!({ "year": 2027, "version": "测试通知", "source": "测试",
                    "days": [{ "date": "2027-01-06", "kind": "makeup_workday" }] }),
        )
        .expect_err("a make-up day must be a weekend day")
        .to_api();
    assert_eq!(
        (err.code.as_str(), err.field.as_deref()),
        ("invalid_calendar", Some("days"))
    );
    assert_eq!(desk.event_count(), before);
    // Import a 2027 schedule (a test notice: New Year 01-01 to 01-03).
    let year = json!({ "year": 2027, "version": "测试通知/2026-11-28", "source": "测试",
        "days": [
            { "date": "2027-01-01", "kind": "holiday", "name": "元旦" },
            { "date": "2027-01-02", "kind": "holiday", "name": "元旦" },
            { "date": "2027-01-03", "kind": "holiday", "name": "元旦" }
        ] });
    let info = desk.ok(&admin, "calendar_import", year.clone());
    assert!(
        info["years"]
            .as_array()
            .expect("years")
            .iter()
            .any(|y| y["year"] == 2027 && y["imported"] == true)
    );
    let err = desk
        .call(&admin, "calendar_import", year)
        .expect_err("twice")
        .to_api();
    assert_eq!(err.code, "already_loaded");
    // The handler cannot change the calendar.
    let err = desk
        .call(&handler, "calendar_overlay_set", json!({ "days": [] }))
        .expect_err("admins only")
        .to_api();
    assert_eq!(err.code, "forbidden");
    // The stored date stays; the check flags that 2027's schedule moves it to 01-05.
    let flagged = |desk: &mut TestDesk| {
        let moves = desk.ok(&supervisor, "clocks_calendar_check", json!({}));
        moves
            .as_array()
            .expect("list")
            .iter()
            .find(|m| m["kind"] == "D4")
            .map(|d4| d4["recomputed_due"].clone())
    };
    assert_eq!(flagged(&mut desk), Some(json!("2027-01-05")));
    assert_eq!(due(&mut desk, &m, "D4"), "2027-01-04");
    // The county declares 12-29 a local holiday: one more day.
    desk.ok(
        &admin,
        "calendar_overlay_set",
        json!({ "days": [{ "date": "2026-12-29", "kind": "holiday", "name": "县庆" }] }),
    );
    assert_eq!(flagged(&mut desk), Some(json!("2027-01-06")));
    // A new forward now computes with both.
    let m2 = new_matter(&mut desk, 2);
    desk.ok(
        &handler,
        "matter_forward",
        json!({ "matter_id": m2, "unit": "县人社局", "sent_on": "2026-12-28" }),
    );
    assert_eq!(due(&mut desk, &m2, "D4"), "2027-01-06");
    // The imported year and the overlay survive reopening the register file.
    let path = desk.path();
    let reopened = xinfang_core::Register::open(
        &path,
        Box::new(desk.clock.clone()),
        Box::new(xinfang_core::clock::SeededIds::new(9, 1)),
    )
    .expect("reopen");
    assert!(reopened.calendar().covers(2027));
    assert_eq!(reopened.calendar().overlay_days().len(), 1);
}

#[test]
fn a_risk_is_tracked_to_its_deadline_and_closed_off_by_a_supervisor() {
    let mut desk = TestDesk::new();
    let handler = desk.handler.clone();
    let supervisor = desk.supervisor.clone();
    at(&desk, "2026-11-02");
    let mut input = json!({ "level": "township", "title": "某村土地征收补偿纠纷", "description": "二十余户村民对补偿标准有异议",
        "region_code": "330106", "owner": "文新街道 王主任", "plan": "组织听证，逐户核算" });
    let err = desk
        .call(&handler, "risk_register", input.clone())
        .expect_err("deadline")
        .to_api();
    assert_eq!(
        (err.code.as_str(), err.field.as_deref()),
        ("required", Some("deadline"))
    );
    input["deadline"] = json!("2026-11-01");
    let err = desk
        .call(&handler, "risk_register", input.clone())
        .expect_err("past")
        .to_api();
    assert_eq!(err.code, "date_too_early");
    input["deadline"] = json!("2026-11-20");
    input["major"] = json!(true);
    let risk = desk.ok(&handler, "risk_register", input);
    assert_eq!(risk["state"], "normal");
    assert_eq!(risk["level_name"], "乡镇（街道）");
    at(&desk, "2026-11-18");
    let list = desk.ok(&handler, "risk_list", json!({ "major_only": true }));
    assert_eq!(list[0]["state_name"], "临期");
    at(&desk, "2026-11-21");
    let list = desk.ok(&handler, "risk_list", json!({}));
    assert_eq!(list[0]["state_name"], "逾期");
    // Progress moves the deadline and is kept.
    let risk = desk.ok(
        &handler,
        "risk_progress",
        json!({ "risk_id": risk["id"], "note": "已召开听证会，12户达成协议", "deadline": "2026-12-31" }),
    );
    assert_eq!(risk["state"], "normal");
    assert_eq!(risk["progress"][0]["note"], "已召开听证会，12户达成协议");
    // 销号 is the supervisor's, and needs the result.
    let err = desk
        .call(
            &handler,
            "risk_close",
            json!({ "risk_id": risk["id"], "result": "化解" }),
        )
        .expect_err("handlers do not close off")
        .to_api();
    assert_eq!(err.code, "forbidden");
    let err = desk
        .call(&supervisor, "risk_close", json!({ "risk_id": risk["id"] }))
        .expect_err("result")
        .to_api();
    assert_eq!(
        (err.code.as_str(), err.field.as_deref()),
        ("required", Some("result"))
    );
    let closed = desk.ok(
        &supervisor,
        "risk_close",
        json!({ "risk_id": risk["id"], "result": "全部达成协议，已签字" }),
    );
    assert_eq!(closed["state_name"], "已销号");
    assert_eq!(
        desk.ok(&handler, "risk_list", json!({}))
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    assert_eq!(
        desk.ok(&handler, "risk_list", json!({ "include_closed": true }))
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let err = desk
        .call(
            &handler,
            "risk_progress",
            json!({ "risk_id": risk["id"], "note": "再记一笔" }),
        )
        .expect_err("closed")
        .to_api();
    assert_eq!(err.code, "invalid_state");
}

#[test]
fn the_simplified_procedure_runs_on_working_days() {
    let mut desk = TestDesk::new();
    let handler = desk.handler.clone();
    // Received on a Friday; accepted the next Tuesday under 简易办理.
    at(&desk, "2026-11-20");
    let m = new_matter(&mut desk, 1);
    at(&desk, "2026-11-24");
    desk.ok(
        &handler,
        "matter_accept",
        json!({ "matter_id": m, "simplified": true }),
    );
    let all = clocks(&mut desk, &m);
    let s1 = all.iter().find(|c| c["kind"] == "S1").expect("S1 recorded");
    // Three working days: 11-23, 24, 25.
    assert_eq!(s1["due"], "2026-11-25");
    assert_eq!(s1["state_name"], "按期");
    // Ten working days from 受理 on 11-24: 25 … 12-08.
    assert_eq!(due(&mut desk, &m, "S2"), "2026-12-08");
    assert!(
        all.iter().all(|c| c["kind"] != "D5"),
        "no 60-day clock under 简易办理"
    );
    // No extension under the simplified procedure.
    let (code, _, _) = refusal(
        &mut desk,
        "matter_extend",
        json!({ "matter_id": m, "days": 10, "approver": "局长", "reason": "调查" }),
    );
    assert_eq!(code, "not_applicable");

    // A simplified forward has one working day per level: received Friday 02-13, the next
    // working day is the make-up Saturday 02-14, so passing it on after the holiday is late.
    at(&desk, "2026-02-13");
    let f = new_matter(&mut desk, 2);
    at(&desk, "2026-02-24");
    desk.ok(
        &handler,
        "matter_forward",
        json!({ "matter_id": f, "unit": "县人社局", "simplified": true }),
    );
    let s3 = clocks(&mut desk, &f)
        .into_iter()
        .find(|c| c["kind"] == "S3")
        .expect("S3 recorded");
    assert_eq!(s3["due"], "2026-02-14");
    assert_eq!(s3["state_name"], "超期");
}
