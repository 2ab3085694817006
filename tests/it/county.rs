//! County directives taken into the register (`xinfang_core::county`): a 交办 becomes a matter
//! with its clocks and timeline, a 督办 lands on the matter it names, a holiday schedule is
//! imported, a directive the centre cannot take is refused on its row without stopping the
//! rest, nothing is applied twice, 检举控告 referrals stay hidden from uncleared roles, and the
//! register still equals a replay of its log.

use serde_json::{Value, json};
use uuid::Uuid;
use xinfang_core::{county, sync, verify};
use xinfang_sync::{Routed, WireEvent};
use xinfang_tests::{TestDesk, id_number, letter};

const HUB: u128 = u128::MAX;

fn routed(n: i64, kind: &str, payload: Value) -> Routed {
    Routed {
        cursor: 1000 + n,
        event: WireEvent {
            id: Uuid::from_u128(0xC0_0000 + n as u128),
            origin: Uuid::from_u128(HUB),
            seq: n,
            actor: "county".into(),
            at: "2026-11-30T02:00:00.000Z".into(),
            kind: kind.into(),
            schema_version: 1,
            payload: payload.into(),
        },
    }
}

fn assignment(summary: &str, id: &str) -> Value {
    json!({
        "reference": "某县信访局交〔2026〕12号",
        "from_unit": "某县信访局",
        "due_on": "2026-12-20",
        "note": "请依法办理并于限期内反馈结果",
        "matter": letter("周建国", id, summary),
    })
}

fn pull(desk: &mut TestDesk, page: &[Routed]) -> county::Applied {
    let next = page.iter().map(|r| r.cursor).max().unwrap_or(0);
    sync::record_pulled(&desk.register, page, next).expect("pull");
    county::apply_inbox(&mut desk.register).expect("apply")
}

fn inbox(desk: &mut TestDesk) -> Vec<Value> {
    let supervisor = desk.supervisor.clone();
    let rows = desk.ok(&supervisor, "county_inbox_list", json!({}));
    rows.as_array().expect("rows").clone()
}

fn row(rows: &[Value], n: i64) -> &Value {
    let id = Uuid::from_u128(0xC0_0000 + n as u128).to_string();
    rows.iter().find(|r| r["id"] == id.as_str()).expect("row")
}

fn verify_clean(desk: &TestDesk) {
    let scratch = desk.dir.path().join("verify-scratch.db");
    let report = verify::verify_file(&desk.path(), &scratch).expect("verify runs");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

#[test]
fn an_assignment_becomes_a_matter_once_with_the_county_on_its_timeline() {
    let mut desk = TestDesk::new();
    let id = id_number("330106", "19700101", 31);
    let page = vec![routed(
        1,
        "county.assignment",
        assignment("县里交办的欠薪问题", &id),
    )];
    assert_eq!(
        pull(&mut desk, &page),
        county::Applied {
            applied: 1,
            refused: 0
        }
    );
    let rows = inbox(&mut desk);
    let first = row(&rows, 1);
    assert!(first["applied_at"].is_string(), "{first}");
    assert!(
        first["outcome"]
            .as_str()
            .is_some_and(|o| o.starts_with("交办事项已登记为 ")),
        "{first}"
    );
    let matter_id = first["matter_id"].as_str().expect("matter").to_owned();

    let handler = desk.handler.clone();
    let detail = desk.ok(&handler, "matter_get", json!({ "matter_id": matter_id }));
    assert_eq!(detail["matter"]["summary"], "县里交办的欠薪问题");
    assert_eq!(detail["matter"]["registered_by_name"], "县级下发");
    assert_eq!(detail["county"][0]["kind_name"], "交办");
    assert_eq!(detail["county"][0]["reference"], "某县信访局交〔2026〕12号");
    assert_eq!(detail["county"][0]["due_on"], "2026-12-20");
    assert!(
        detail["clocks"].as_array().is_some_and(|c| !c.is_empty()),
        "a referred matter runs the statutory clocks like any other"
    );
    let told = detail["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .find(|t| t["kind"] == "matter.county_directive")
        .expect("directive on the timeline");
    assert_eq!(told["actor_name"], "县级下发");
    assert!(
        told["description"]
            .as_str()
            .is_some_and(|d| d.contains("某县信访局交办") && d.contains("限2026-12-20前")),
        "{told}"
    );

    // The same event again (a second pull, a USB bundle of the same page) changes nothing.
    let events = desk.event_count();
    assert_eq!(pull(&mut desk, &page), county::Applied::default());
    assert_eq!(desk.event_count(), events);
    // Even a row that lost its applied mark (an inbox restored from elsewhere) is not applied
    // twice: the directive's id is in the register.
    desk.register
        .conn()
        .execute("UPDATE county_inbox SET applied_at = NULL", [])
        .expect("reset");
    county::apply_inbox(&mut desk.register).expect("apply");
    assert_eq!(desk.event_count(), events);
    let matters: i64 = desk
        .register
        .conn()
        .query_row(
            "SELECT count(*) FROM matters WHERE summary = '县里交办的欠薪问题'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(matters, 1);

    // The person is the centre's own now: a lookup by ID number finds the referred matter.
    let guide = desk.guide.clone();
    let found = desk.ok(&guide, "person_lookup", json!({ "id_number": id }));
    assert!(found.to_string().contains(&matter_id), "{found}");
    verify_clean(&desk);
}

#[test]
fn supervision_lands_on_its_matter_and_what_cannot_be_taken_is_refused_on_its_row() {
    let mut desk = TestDesk::new();
    let handler = desk.handler.clone();
    let id = id_number("330106", "19800202", 41);
    let own = desk.ok(
        &handler,
        "matter_register",
        letter("钱小红", &id, "本中心登记的事项"),
    );
    let own_id = own["id"].as_str().expect("id").to_owned();
    let mut bad_code = assignment("代码有误的交办", &id_number("330106", "19900303", 51));
    bad_code["matter"]["channel"] = json!("pigeon");
    let page = vec![
        routed(
            1,
            "county.supervision",
            json!({
                "reference": "某县信访局督〔2026〕3号",
                "from_unit": "某县信访局",
                "matter_id": own_id,
                "message": "该事项已临近期限，请加快办理",
                "due_on": "2026-12-10",
            }),
        ),
        routed(2, "county.assignment", bad_code),
        routed(
            3,
            "county.reminder",
            json!({
                "reference": "某县信访局催〔2026〕9号",
                "from_unit": "某县信访局",
                "matter_id": Uuid::from_u128(42),
                "message": "请反馈办理情况",
            }),
        ),
        routed(
            4,
            "county.codes",
            json!({ "table": "channels", "rows": [] }),
        ),
        routed(
            5,
            "county.calendar",
            json!({ "year": 2027, "version": "县级转发/2026-11-30", "source": "国务院办公厅通知",
                "days": [
                    { "date": "2027-01-01", "kind": "holiday", "name": "元旦" },
                    { "date": "2027-01-02", "kind": "holiday", "name": "元旦" },
                    { "date": "2027-01-03", "kind": "holiday", "name": "元旦" }
                ] }),
        ),
    ];
    let done = pull(&mut desk, &page);
    assert_eq!(
        done,
        county::Applied {
            applied: 3,
            refused: 2
        }
    );
    let rows = inbox(&mut desk);
    assert_eq!(row(&rows, 1)["matter_id"], own_id.as_str());
    assert_eq!(row(&rows, 2)["error_code"], "unknown_code");
    assert!(
        row(&rows, 2)["error_message"]
            .as_str()
            .is_some_and(|m| m.contains("matter.channel")),
        "the refusal names the field: {}",
        row(&rows, 2)
    );
    assert_eq!(row(&rows, 3)["error_code"], "county_matter_unknown");
    assert!(
        row(&rows, 4)["outcome"]
            .as_str()
            .is_some_and(|o| o.contains("已存档"))
    );
    assert!(
        row(&rows, 5)["outcome"]
            .as_str()
            .is_some_and(|o| o.contains("2027年节假日安排"))
    );
    let calendar = desk.ok(&handler, "calendar_get", json!({}));
    assert!(
        calendar["years"]
            .as_array()
            .expect("years")
            .iter()
            .any(|y| y["year"] == 2027 && y["imported"] == true),
        "{calendar}"
    );

    let detail = desk.ok(&handler, "matter_get", json!({ "matter_id": own_id }));
    assert_eq!(detail["county"].as_array().map(Vec::len), Some(1));
    assert_eq!(detail["county"][0]["kind_name"], "督办");
    assert_eq!(
        detail["county"][0]["message"],
        "该事项已临近期限，请加快办理"
    );

    // A refused row stays refused on the next run; a retry tries it again, and only the
    // supervisor may ask for one.
    assert_eq!(
        county::apply_inbox(&mut desk.register).expect("again"),
        county::Applied::default()
    );
    let refused_id = row(&rows, 2)["id"].as_str().expect("id").to_owned();
    let err = desk
        .call(&handler, "county_inbox_retry", json!({ "id": refused_id }))
        .expect_err("handlers may not")
        .to_api();
    assert_eq!(err.code, "forbidden");
    let supervisor = desk.supervisor.clone();
    let retried = desk.ok(
        &supervisor,
        "county_inbox_retry",
        json!({ "id": refused_id }),
    );
    assert_eq!(
        retried["error_code"], "unknown_code",
        "still wrong: {retried}"
    );
    let err = desk
        .call(
            &supervisor,
            "county_inbox_retry",
            json!({ "id": row(&rows, 1)["id"] }),
        )
        .expect_err("an applied row is not retried")
        .to_api();
    assert_eq!(err.code, "not_found");
    verify_clean(&desk);
}

#[test]
fn an_accusation_referral_is_withheld_from_roles_not_cleared_for_it() {
    let mut desk = TestDesk::new();
    let mut referral = assignment("反映某所长收受财物", &id_number("330106", "19750505", 61));
    referral["matter"]["matter_class"] = json!("accusation");
    referral["matter"]["purpose"] = json!("accusation");
    referral["matter"]
        .as_object_mut()
        .expect("matter")
        .remove("route");
    let page = vec![routed(1, "county.forward", referral)];
    let done = pull(&mut desk, &page);
    assert_eq!(done.applied, 1, "{:?}", inbox(&mut desk));

    let rows = inbox(&mut desk);
    assert_eq!(row(&rows, 1)["withheld"], false);
    assert!(row(&rows, 1)["payload"]["matter"].is_object());
    let admin = desk.admin.clone();
    let rows = desk.ok(&admin, "county_inbox_list", json!({}));
    let seen = &rows[0];
    assert_eq!(seen["withheld"], true);
    assert_eq!(seen["payload"]["reference"], "某县信访局交〔2026〕12号");
    assert!(seen["payload"].get("matter").is_none(), "{seen}");
    assert!(!seen.to_string().contains("周建国"), "{seen}");
}

fn correction(n: i64, matter_id: &str, field: &str, was: Value, value: Value) -> Routed {
    routed(
        n,
        "county.correction",
        json!({
            "reference": format!("某县信访局更〔2026〕{n}号"),
            "from_unit": "某县信访局",
            "matter_id": matter_id,
            "field": field,
            "was": was,
            "value": value,
        }),
    )
}

#[test]
fn a_field_changed_on_both_sides_keeps_both_values_until_a_supervisor_decides() {
    let mut desk = TestDesk::new();
    let handler = desk.handler.clone();
    let supervisor = desk.supervisor.clone();
    let id = id_number("330106", "19660606", 71);
    let matter = desk.ok(
        &handler,
        "matter_register",
        letter("吴大军", &id, "工资与社保问题"),
    );
    let m = matter["id"].as_str().expect("id").to_owned();
    let category = |desk: &mut TestDesk| -> Value {
        let handler = desk.handler.clone();
        desk.ok(&handler, "matter_get", json!({ "matter_id": m }))["matter"]["content_category"]
            .clone()
    };

    // Only the county changed it: the correction applies.
    let first = correction(
        1,
        &m,
        "content_category",
        json!("labour_wages"),
        json!("labour"),
    );
    assert_eq!(pull(&mut desk, &[first]).applied, 1);
    assert_eq!(category(&mut desk), "labour");

    // The handler corrects it here while the county, which saw `labour`, corrects it there.
    desk.ok(
        &handler,
        "matter_classify",
        json!({ "matter_id": m, "content_category": "labour_social_insurance" }),
    );
    let second = correction(
        2,
        &m,
        "content_category",
        json!("labour"),
        json!("labour_pension"),
    );
    let third = correction(
        3,
        &m,
        "involved_units",
        Value::Null,
        json!("县人力资源和社会保障局"),
    );
    // involved_units was set at registration, and the county thought it empty: also both sides.
    assert_eq!(pull(&mut desk, &[second, third]).applied, 2);
    let rows = inbox(&mut desk);
    assert!(
        row(&rows, 2)["outcome"]
            .as_str()
            .is_some_and(|o| o.contains("两个值都已保留")),
        "{}",
        row(&rows, 2)
    );
    assert_eq!(
        category(&mut desk),
        "labour_social_insurance",
        "nothing is overwritten before someone decides"
    );
    let detail = desk.ok(&handler, "matter_get", json!({ "matter_id": m }));
    let conflicts = detail["conflicts"].as_array().expect("conflicts").clone();
    assert_eq!(conflicts.len(), 2, "{conflicts:?}");
    let on_category = conflicts
        .iter()
        .find(|c| c["field"] == "content_category")
        .expect("category conflict");
    assert_eq!(on_category["local_value"], "labour_social_insurance");
    assert_eq!(on_category["county_value"], "labour_pension");
    assert_eq!(on_category["field_name"], "内容分类");
    assert!(on_category["resolved_at"].is_null());
    let timeline = detail["timeline"].to_string();
    assert!(timeline.contains("两个值都已保留"), "{timeline}");

    // The handler may not decide; the supervisor takes the county's value for the category
    // and keeps the centre's for the units.
    let conflict_id = on_category["id"].as_str().expect("id").to_owned();
    let err = desk
        .call(
            &handler,
            "matter_conflict_resolve",
            json!({ "conflict_id": conflict_id, "keep": "county" }),
        )
        .expect_err("supervisors only")
        .to_api();
    assert_eq!(err.code, "forbidden");
    let err = desk
        .call(
            &supervisor,
            "matter_conflict_resolve",
            json!({ "conflict_id": conflict_id, "keep": "both" }),
        )
        .expect_err("one or the other")
        .to_api();
    assert_eq!(
        (err.code.as_str(), err.field.as_deref()),
        ("invalid_choice", Some("keep"))
    );
    let decided = desk.ok(
        &supervisor,
        "matter_conflict_resolve",
        json!({ "conflict_id": conflict_id, "keep": "county" }),
    );
    assert_eq!(decided["matter"]["content_category"], "labour_pension");
    let units = conflicts
        .iter()
        .find(|c| c["field"] == "involved_units")
        .expect("units conflict");
    let decided = desk.ok(
        &supervisor,
        "matter_conflict_resolve",
        json!({ "conflict_id": units["id"], "keep": "local" }),
    );
    assert_eq!(decided["matter"]["involved_units"], "某建筑工程有限公司");
    assert!(
        decided["conflicts"]
            .as_array()
            .expect("conflicts")
            .iter()
            .all(|c| c["resolved_at"].is_string() && c["resolved_by_name"] == "陈静")
    );
    let err = desk
        .call(
            &supervisor,
            "matter_conflict_resolve",
            json!({ "conflict_id": conflict_id, "keep": "local" }),
        )
        .expect_err("decided once")
        .to_api();
    assert_eq!(err.code, "already_resolved");
    let timeline = decided["timeline"].to_string();
    assert!(timeline.contains("负责人决定采用县级的值"), "{timeline}");

    // The centre's own correction refuses an unknown code at its field.
    let err = desk
        .call(
            &handler,
            "matter_classify",
            json!({ "matter_id": m, "region_code": "999999" }),
        )
        .expect_err("unknown code")
        .to_api();
    assert_eq!(err.field.as_deref(), Some("region_code"));
    verify_clean(&desk);
}
