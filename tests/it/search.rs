//! Search: trigram terms, one- and two-character terms (Chinese names), filters, literal
//! treatment of FTS syntax, and keyset paging.

use serde_json::{Value, json};
use xinfang_tests::{TestDesk, id_number, letter};

fn numbers(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["number"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn desk_with_matters() -> TestDesk {
    let mut desk = TestDesk::new();
    let guide = desk.guide.clone();
    desk.ok(
        &guide,
        "matter_register",
        letter(
            "张伟",
            &id_number("330106", "19700101", 1),
            "反映宏达公司拖欠工资问题",
        ),
    );
    desk.ok(
        &guide,
        "matter_register",
        letter(
            "王芳芳",
            &id_number("330106", "19710101", 2),
            "反映小区噪音扰民问题",
        ),
    );
    let mut third = letter(
        "李四",
        &id_number("440305", "19720101", 3),
        "反映房屋拆迁补偿标准过低",
    );
    third["region_code"] = json!("440305");
    third["channel"] = json!("online");
    desk.ok(&guide, "matter_register", third);
    desk
}

#[test]
fn words_of_three_or_more_characters_use_the_trigram_index() {
    let mut desk = desk_with_matters();
    let guide = desk.guide.clone();
    let page = desk.ok(&guide, "matter_search", json!({ "q": "拖欠工资" }));
    assert_eq!(numbers(&page), ["XF3301-2026-000001"]);
    let page = desk.ok(
        &guide,
        "matter_search",
        json!({ "q": "XF3301-2026-000003" }),
    );
    assert_eq!(
        numbers(&page),
        ["XF3301-2026-000003"],
        "the case number is searchable"
    );
}

#[test]
fn two_character_names_and_single_characters_are_found() {
    let mut desk = desk_with_matters();
    let guide = desk.guide.clone();
    assert_eq!(
        numbers(&desk.ok(&guide, "matter_search", json!({ "q": "张伟" }))),
        ["XF3301-2026-000001"]
    );
    assert_eq!(
        numbers(&desk.ok(&guide, "matter_search", json!({ "q": "拆迁" }))),
        ["XF3301-2026-000003"]
    );
    assert_eq!(
        numbers(&desk.ok(&guide, "matter_search", json!({ "q": "王" }))),
        ["XF3301-2026-000002"],
        "a single character finds 王芳芳"
    );
    // Two short terms and a long one together must all match.
    assert_eq!(
        numbers(&desk.ok(
            &guide,
            "matter_search",
            json!({ "q": "李四 拆迁 补偿标准" })
        )),
        ["XF3301-2026-000003"]
    );
    assert!(numbers(&desk.ok(&guide, "matter_search", json!({ "q": "李四 噪音" }))).is_empty());
}

#[test]
fn fts_syntax_typed_by_a_user_is_searched_literally() {
    let mut desk = desk_with_matters();
    let guide = desk.guide.clone();
    for q in [
        "\"",
        "拖欠 OR 噪音",
        "工资\"*",
        "-拆迁",
        "NEAR(张伟)",
        "a:b",
        "*",
    ] {
        let page = desk.call(&guide, "matter_search", json!({ "q": q }));
        assert!(
            page.is_ok(),
            "query {q:?} must not be an FTS syntax error: {page:?}"
        );
    }
    assert!(
        numbers(&desk.ok(&guide, "matter_search", json!({ "q": "拖欠 OR 噪音" }))).is_empty(),
        "OR is a word, not an operator"
    );
}

#[test]
fn filters_narrow_results_and_regions_match_their_subdivisions() {
    let mut desk = desk_with_matters();
    let guide = desk.guide.clone();
    assert_eq!(
        numbers(&desk.ok(&guide, "matter_search", json!({ "channel": "online" }))),
        ["XF3301-2026-000003"]
    );
    assert_eq!(
        numbers(&desk.ok(&guide, "matter_search", json!({ "region_code": "440000" }))),
        ["XF3301-2026-000003"],
        "a province covers its counties"
    );
    assert_eq!(
        numbers(&desk.ok(
            &guide,
            "matter_search",
            json!({ "region_code": "330100", "q": "问题" })
        ))
        .len(),
        2
    );
    assert_eq!(
        numbers(&desk.ok(
            &guide,
            "matter_search",
            json!({ "received_from": "2026-11-29" })
        ))
        .len(),
        0
    );
    assert_eq!(
        numbers(&desk.ok(
            &guide,
            "matter_search",
            json!({ "received_from": "2026-11-28", "received_to": "2026-11-28" })
        ))
        .len(),
        3
    );
    let api = desk
        .call(&guide, "matter_search", json!({ "limit": 0 }))
        .expect_err("limit")
        .to_api();
    assert_eq!(api.field.as_deref(), Some("limit"));
}

#[test]
fn pages_follow_the_cursor_newest_first_without_gaps_or_repeats() {
    let mut desk = TestDesk::new();
    let guide = desk.guide.clone();
    for i in 0..7 {
        desk.ok(
            &guide,
            "matter_register",
            letter(
                "张伟",
                &id_number("330106", "19700101", 1),
                &format!("反映第{i}个问题"),
            ),
        );
    }
    let mut seen = Vec::new();
    let mut cursor = Value::Null;
    loop {
        let page = desk.ok(
            &guide,
            "matter_search",
            json!({ "q": "张伟", "limit": 3, "cursor": cursor }),
        );
        assert_eq!(page["total"], 7);
        seen.extend(numbers(&page));
        cursor = page["next_cursor"].clone();
        if cursor.is_null() {
            break;
        }
    }
    let expected: Vec<String> = (1..=7)
        .rev()
        .map(|n| format!("XF3301-2026-{n:06}"))
        .collect();
    assert_eq!(seen, expected);
}

#[test]
fn a_renamed_petitioner_is_found_under_the_new_name() {
    let mut desk = desk_with_matters();
    let guide = desk.guide.clone();
    let found = desk.ok(&guide, "person_lookup", json!({ "name": "李四" }));
    let person_id = found[0]["person"]["id"].clone();
    desk.ok(
        &guide,
        "person_update",
        json!({ "person_id": person_id, "person": { "name": "李思远", "id_number": id_number("440305", "19720101", 3), "current_address": "深圳市南山区" } }),
    );
    assert_eq!(
        numbers(&desk.ok(&guide, "matter_search", json!({ "q": "李思远" }))),
        ["XF3301-2026-000003"]
    );
    assert!(numbers(&desk.ok(&guide, "matter_search", json!({ "q": "李四" }))).is_empty());
}

#[test]
fn statistics_count_exactly_by_channel_class_and_status() {
    let mut desk = desk_with_matters();
    let guide = desk.guide.clone();
    let stats = desk.ok(&guide, "matter_stats", json!({}));
    assert_eq!(stats["total"], 3);
    let count = |list: &str, code: &str| {
        stats[list]
            .as_array()
            .expect("list")
            .iter()
            .find(|r| r["code"] == code)
            .map(|r| r["count"].clone())
    };
    assert_eq!(count("by_channel", "letter"), Some(json!(2)));
    assert_eq!(count("by_channel", "online"), Some(json!(1)));
    assert_eq!(
        count("by_channel", "fax"),
        Some(json!(0)),
        "every channel is listed, even at zero"
    );
    assert_eq!(count("by_status", "registered"), Some(json!(3)));
    let none = desk.ok(
        &guide,
        "matter_stats",
        json!({ "received_from": "2027-01-01" }),
    );
    assert_eq!(none["total"], 0);
}
