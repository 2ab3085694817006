//! Registration rules through the operation surface: Art. 19 content, Art. 20 representatives,
//! anonymous accusations, case numbers, repeats, roles, and bad input that changes nothing.

use serde_json::json;
use xinfang_tests::{TestDesk, id_number, letter};

#[test]
fn a_letter_matter_is_registered_with_a_local_case_number_and_its_timeline() {
    let mut desk = TestDesk::new();
    let guide = desk.guide.clone();
    let id = id_number("330106", "19700101", 123);
    let matter = desk.ok(
        &guide,
        "matter_register",
        letter("张伟", &id, "反映某公司拖欠工资问题"),
    );
    assert_eq!(
        matter["number"], "XF3301-2026-000001",
        "first matter of the year at this centre"
    );
    assert_eq!(matter["channel_name"], "来信");
    assert_eq!(matter["petitioner_names"], "张伟");
    assert_eq!(matter["registered_by_name"], "王芳");
    assert_eq!(
        matter["is_first_petition"], true,
        "nobody here has petitioned before"
    );
    let second = desk.ok(
        &guide,
        "matter_register",
        letter("李娜", &id_number("330106", "19800101", 4), "反映另一件事"),
    );
    assert_eq!(second["number"], "XF3301-2026-000002");

    let detail = desk.ok(
        &guide,
        "matter_get",
        json!({ "number": "XF3301-2026-000001" }),
    );
    let timeline = detail["timeline"].as_array().expect("timeline");
    // Registration, then the two clocks it starts: D1 (forward within 15 days) and D2 (notice).
    assert_eq!(timeline.len(), 3);
    assert!(
        timeline[1]["description"]
            .as_str()
            .unwrap_or("")
            .contains("截止2026-12-13")
    );
    assert_eq!(
        timeline[0]["actor_name"], "王芳（引导员）",
        "the timeline names who did it"
    );
    assert!(
        timeline[0]["description"]
            .as_str()
            .unwrap_or("")
            .contains("XF3301-2026-000001")
    );
    assert_eq!(
        detail["petitioners"][0]["sex"], "male",
        "derived from the ID number"
    );
    assert_eq!(detail["petitioners"][0]["birth_date"], "1970-01-01");
}

#[test]
fn art_19_requires_an_address_and_says_so_at_the_field() {
    let mut desk = TestDesk::new();
    let guide = desk.guide.clone();
    let mut input = letter("张伟", &id_number("330106", "19700101", 123), "反映问题");
    input["petitioners"][0]["person"]["current_address"] = json!("");
    let before = desk.event_count();
    let err = desk
        .call(&guide, "matter_register", input)
        .expect_err("no address");
    let api = err.to_api();
    assert_eq!(api.code, "required");
    assert_eq!(
        api.field.as_deref(),
        Some("petitioners[0].person.current_address")
    );
    assert!(
        api.message.contains("第十九条"),
        "the message cites the rule: {}",
        api.message
    );
    assert_eq!(
        desk.event_count(),
        before,
        "a refused registration writes nothing"
    );

    let mut input = letter("张伟", &id_number("330106", "19700101", 123), "反映问题");
    input["facts_reasons"] = json!("   ");
    let api = desk
        .call(&guide, "matter_register", input)
        .expect_err("no facts")
        .to_api();
    assert_eq!(
        (api.code.as_str(), api.field.as_deref()),
        ("required", Some("facts_reasons"))
    );
}

#[test]
fn an_anonymous_accusation_letter_is_accepted_but_exempt_from_written_notice() {
    let mut desk = TestDesk::new();
    let guide = desk.guide.clone();
    let matter = desk.ok(
        &guide,
        "matter_register",
        json!({
            "channel": "letter", "purpose": "accusation", "matter_class": "accusation",
            "summary": "匿名反映某村干部优亲厚友", "anonymous": true, "petitioners": []
        }),
    );
    assert_eq!(matter["notice_exempt"], true);
    assert!(
        matter["notice_exempt_reason"]
            .as_str()
            .unwrap_or("")
            .contains("第二十三条")
    );

    let refused = desk
        .call(
            &guide,
            "matter_register",
            json!({
                "channel": "visit", "purpose": "demand", "matter_class": "appeal_demand",
                "summary": "匿名来访", "anonymous": true
            }),
        )
        .expect_err("only accusations may be anonymous")
        .to_api();
    assert_eq!(
        (refused.code.as_str(), refused.field.as_deref()),
        ("anonymous_not_allowed", Some("anonymous"))
    );
}

#[test]
fn more_than_five_representatives_are_refused_and_nothing_is_stored() {
    let mut desk = TestDesk::new();
    let guide = desk.guide.clone();
    let before = desk.event_count();
    let err = desk
        .call(
            &guide,
            "visit_register",
            json!({
                "visitor_count": 30, "representative_count": 6,
                "persons": [{ "person": { "name": "赵强", "current_address": "某村" }, "is_representative": true }]
            }),
        )
        .expect_err("six representatives");
    let api = err.to_api();
    assert_eq!(api.code, "too_many_representatives");
    assert_eq!(api.field.as_deref(), Some("representative_count"));
    assert!(api.message.contains("不得超过5人"), "{}", api.message);
    assert_eq!(desk.event_count(), before);

    let visit = desk.ok(
        &guide,
        "visit_register",
        json!({
            "visitor_count": 30, "representative_count": 5,
            "persons": [{ "person": { "name": "赵强", "current_address": "某村" }, "is_representative": true }]
        }),
    );
    assert_eq!(visit["is_group"], true, "thirty visitors are a group visit");
    assert_eq!(
        visit["representative_count"], 5,
        "visitors and representatives are counted apart"
    );
}

#[test]
fn an_invalid_id_number_is_refused_at_its_field() {
    let mut desk = TestDesk::new();
    let guide = desk.guide.clone();
    let api = desk
        .call(
            &guide,
            "matter_register",
            letter("张伟", "110105194912310025", "反映问题"),
        )
        .expect_err("bad check digit")
        .to_api();
    assert_eq!(api.code, "invalid_id_number");
    assert_eq!(
        api.field.as_deref(),
        Some("petitioners[0].person.id_number")
    );
    assert!(api.message.contains("校验"), "{}", api.message);
}

#[test]
fn a_returning_person_is_found_with_earlier_matters_and_the_repeat_link_is_the_clerks_choice() {
    let mut desk = TestDesk::new();
    let guide = desk.guide.clone();
    let id = id_number("330106", "19651203", 57);
    let first = desk.ok(
        &guide,
        "matter_register",
        letter("周建国", &id, "反映征地补偿款未到位"),
    );
    // He comes back: the clerk types the ID number in lower-case form variants and finds him.
    let found = desk.ok(
        &guide,
        "person_lookup",
        json!({ "id_number": id.to_lowercase() }),
    );
    let found = found.as_array().expect("list");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["is_returning"], true);
    assert_eq!(found[0]["matters"][0]["number"], first["number"]);
    assert_eq!(found[0]["matters"][0]["status_name"], "已登记");
    // Also by phone, and by name + part of the address.
    let by_phone = desk.ok(&guide, "person_lookup", json!({ "phone": "138-1234-5678" }));
    assert_eq!(by_phone.as_array().map(Vec::len), Some(1));
    let by_name = desk.ok(
        &guide,
        "person_lookup",
        json!({ "name": "周建国", "address": "文新" }),
    );
    assert_eq!(by_name.as_array().map(Vec::len), Some(1));

    // Registering again with the same ID number reuses the person; no link until confirmed.
    let second = desk.ok(
        &guide,
        "matter_register",
        letter("周建国", &id, "再次反映征地补偿款"),
    );
    assert_eq!(
        second["is_repeat"], false,
        "a repeat is the clerk's confirmed choice, not a guess"
    );
    assert_eq!(second["is_first_petition"], false);
    let persons: i64 = desk
        .register
        .conn()
        .query_row("SELECT count(*) FROM persons", [], |r| r.get(0))
        .expect("count");
    assert_eq!(persons, 1, "the same ID number is the same 信访人");
    let linked = desk.ok(
        &guide,
        "matter_link_repeat",
        json!({ "matter_id": second["id"], "repeat_of": first["id"] }),
    );
    assert_eq!(linked["is_repeat"], true);
    assert_eq!(linked["repeat_of_number"], first["number"]);
    let kinds: Vec<String> = desk
        .register
        .conn()
        .prepare("SELECT kind FROM events ORDER BY rid DESC LIMIT 1")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(
        kinds,
        ["matter.repeat_linked"],
        "the confirmation is recorded as an event"
    );
}

#[test]
fn roles_decide_who_may_run_what() {
    let mut desk = TestDesk::new();
    let admin = desk.admin.clone();
    let guide = desk.guide.clone();
    let api = desk
        .call(
            &admin,
            "matter_register",
            letter("张伟", &id_number("330106", "19700101", 1), "x"),
        )
        .expect_err("the system administrator does not register cases")
        .to_api();
    assert_eq!(api.code, "forbidden");
    let api = desk
        .call(
            &guide,
            "user_create",
            json!({"username": "x", "display_name": "x", "role": "guide", "password": "12345678"}),
        )
        .expect_err("a guide cannot create users")
        .to_api();
    assert_eq!(api.code, "forbidden");
    let api = xinfang_core::ops::call(&mut desk.register, None, "matter_search", json!({}))
        .expect_err("signed out")
        .to_api();
    assert_eq!(api.code, "unauthenticated");
}

#[test]
fn malformed_input_names_the_field_and_changes_nothing() {
    let mut desk = TestDesk::new();
    let guide = desk.guide.clone();
    let before = desk.event_count();
    let api = desk
        .call(&guide, "visit_register", json!({ "visitor_count": "many" }))
        .expect_err("wrong type")
        .to_api();
    assert_eq!(api.code, "bad_input");
    assert_eq!(api.field.as_deref(), Some("visitor_count"));
    let api = desk
        .call(
            &guide,
            "matter_register",
            json!({ "channel": "letter", "colour": "red" }),
        )
        .expect_err("unknown field")
        .to_api();
    assert_eq!(api.code, "bad_input");
    let mut input = letter("张伟", &id_number("330106", "19700101", 1), "x");
    input["facts_reasons"] = json!("很".repeat(20_001));
    let api = desk
        .call(&guide, "matter_register", input)
        .expect_err("oversize")
        .to_api();
    assert_eq!(
        (api.code.as_str(), api.field.as_deref()),
        ("too_long", Some("facts_reasons"))
    );
    let api = desk
        .call(&guide, "no_such_op", json!({}))
        .expect_err("unknown")
        .to_api();
    assert_eq!(api.code, "unknown_operation");
    assert_eq!(desk.event_count(), before);
}

#[test]
fn a_handling_step_changes_the_status_and_joins_the_timeline() {
    let mut desk = TestDesk::new();
    let guide = desk.guide.clone();
    let handler = desk.handler.clone();
    let matter = desk.ok(
        &guide,
        "matter_register",
        letter("张伟", &id_number("330106", "19700101", 1), "反映问题"),
    );
    let api = desk
        .call(
            &handler,
            "matter_forward",
            json!({ "matter_id": matter["id"] }),
        )
        .expect_err("forwarding needs a unit")
        .to_api();
    assert_eq!(
        (api.code.as_str(), api.field.as_deref()),
        ("required", Some("unit"))
    );
    let api = desk
        .call(
            &handler,
            "matter_step_record",
            json!({ "matter_id": matter["id"], "kind": "forward", "unit": "县人社局" }),
        )
        .expect_err("workflow steps go through their own operations")
        .to_api();
    assert_eq!(api.code, "use_workflow");
    desk.ok(
        &handler,
        "matter_forward",
        json!({ "matter_id": matter["id"], "unit": "县人社局" }),
    );
    let detail = desk.ok(&guide, "matter_get", json!({ "matter_id": matter["id"] }));
    assert_eq!(detail["matter"]["status_name"], "已转送");
    let step = detail["timeline"]
        .as_array()
        .and_then(|t| t.iter().find(|e| e["kind"] == "matter.step_recorded"))
        .expect("the forward is on the timeline");
    assert_eq!(step["actor_name"], "赵敏（办理人）");
    assert!(
        step["description"]
            .as_str()
            .unwrap_or("")
            .contains("县人社局")
    );
}

#[test]
fn settings_change_how_legacy_id_numbers_are_treated() {
    let mut desk = TestDesk::new();
    let guide = desk.guide.clone();
    let admin = desk.admin.clone();
    let converted = desk.ok(
        &guide,
        "id_number_check",
        json!({ "id_number": "110105491231002" }),
    );
    assert_eq!(converted["converted_from_legacy"], true);
    assert_eq!(converted["id_number"].as_str().map(str::len), Some(18));
    desk.ok(
        &admin,
        "settings_set",
        json!({ "legacy_id_numbers": "reject", "group_visit_threshold": 5 }),
    );
    let api = desk
        .call(
            &guide,
            "id_number_check",
            json!({ "id_number": "110105491231002" }),
        )
        .expect_err("legacy refused")
        .to_api();
    assert_eq!(api.code, "invalid_id_number");
}

#[test]
fn a_returning_persons_name_is_kept_but_new_contact_details_are_taken() {
    let mut desk = TestDesk::new();
    let guide = desk.guide.clone();
    let id = id_number("330106", "19651203", 57);
    desk.ok(
        &guide,
        "matter_register",
        letter("周建国", &id, "反映征地补偿款未到位"),
    );
    let mut again = letter("周建图", &id, "再次反映");
    again["petitioners"][0]["person"]["phone"] = json!("13900001111");
    desk.ok(&guide, "matter_register", again);
    let found = desk.ok(&guide, "person_lookup", json!({ "id_number": id }));
    assert_eq!(
        found[0]["person"]["name"], "周建国",
        "a mistyped name does not rename the person"
    );
    assert_eq!(
        found[0]["person"]["phone"], "13900001111",
        "a new phone number is taken"
    );
}
