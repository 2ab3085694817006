//! Pull: the county publishes to one centre or to all; a centre pulls exactly what is routed
//! to it, in cursor order, page by page, and nothing more after `next`.

use serde_json::{Value, json};

use crate::support::{Hub, enrolled, events, publish};

fn kinds_and_cursors(pulled: &Value) -> Vec<(String, i64)> {
    pulled["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|r| {
            (
                r["event"]["kind"].as_str().expect("kind").to_owned(),
                r["cursor"].as_i64().expect("cursor"),
            )
        })
        .collect()
}

#[test]
fn published_events_are_pulled_in_order_after_the_cursor() {
    let dir = crate::support::data_dir();
    let hub = Hub::start(dir.path());
    let a = enrolled(&hub, "XF3301", 0xA);
    let b = enrolled(&hub, "XF3302", 0xB);
    // A's own events are the county's to read, not routed back to A.
    let (status, _) = hub.push(&a.credential, &events(a.origin, 1..=5));
    assert_eq!(status, 200);
    let assignment = json!({
        "reference": "某县信访局交〔2026〕7号",
        "from_unit": "某县信访局",
        "due_on": "2026-12-28",
        "matter": {"summary": "物业维修基金使用问题"},
    });
    let p1 = publish(&hub, &a.id.to_string(), "county.assignment", &assignment);
    let q1 = publish(
        &hub,
        &b.id.to_string(),
        "county.forward",
        &json!({"reference": "某县信访局转〔2026〕2号", "from_unit": "某县信访局", "matter": {}}),
    );
    let r1 = publish(&hub, "all", "county.calendar", &json!({"year": 2027}));
    let p2 = publish(
        &hub,
        &a.id.to_string(),
        "county.supervision",
        &json!({
            "reference": "某县信访局督〔2026〕1号",
            "from_unit": "某县信访局",
            "matter_id": "0190f5a0-0000-7000-8000-000000000001",
            "message": "请加快办理",
        }),
    );
    assert!(p1 < q1 && q1 < r1 && r1 < p2);

    let (status, first) = hub.get("/api/v1/pull?after=0&limit=2", Some(&a.credential));
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        kinds_and_cursors(&first),
        [
            ("county.assignment".to_owned(), p1),
            ("county.calendar".to_owned(), r1)
        ]
    );
    assert_eq!(
        (first["next"].as_i64(), first["more"].as_bool()),
        (Some(r1), Some(true))
    );
    let event = &first["events"][0]["event"];
    assert_eq!(event["payload"], assignment);
    assert_eq!(event["actor"], "county");
    assert_eq!(event["seq"], 1, "the county's own sequence");
    let (_, health) = hub.get("/api/v1/health", None);
    assert_eq!(
        event["origin"], health["origin"],
        "published with the hub's origin"
    );

    let (_, second) = hub.get(
        &format!("/api/v1/pull?after={r1}&limit=2"),
        Some(&a.credential),
    );
    assert_eq!(
        kinds_and_cursors(&second),
        [("county.supervision".to_owned(), p2)]
    );
    assert_eq!(
        (second["next"].as_i64(), second["more"].as_bool()),
        (Some(p2), Some(false))
    );
    let (_, third) = hub.get(&format!("/api/v1/pull?after={p2}"), Some(&a.credential));
    assert_eq!(third["events"], json!([]));
    assert_eq!(
        (third["next"].as_i64(), third["more"].as_bool()),
        (Some(p2), Some(false))
    );

    let (_, pulled) = hub.get("/api/v1/pull", Some(&b.credential));
    assert_eq!(
        kinds_and_cursors(&pulled),
        [
            ("county.forward".to_owned(), q1),
            ("county.calendar".to_owned(), r1)
        ]
    );

    let (status, body) = hub.get("/api/v1/pull?after=-1", Some(&a.credential));
    assert_eq!((status, body["field"].as_str()), (400, Some("after")));
    let (status, body) = hub.get("/api/v1/pull?limit=100000", Some(&a.credential));
    assert_eq!((status, body["field"].as_str()), (400, Some("limit")));
}

#[test]
fn a_centre_gets_back_its_own_events_after_a_seq_and_nobody_elses() {
    let dir = crate::support::data_dir();
    let hub = Hub::start(dir.path());
    let a = enrolled(&hub, "XF3301", 0xA);
    let b = enrolled(&hub, "XF3302", 0xB);
    let sent = events(a.origin, 1..=7);
    assert_eq!(hub.push(&a.credential, &sent).0, 200);
    assert_eq!(hub.push(&b.credential, &events(b.origin, 1..=3)).0, 200);

    let (status, page) = hub.get("/api/v1/own?after=2&limit=3", Some(&a.credential));
    assert_eq!(status, 200, "{page}");
    let seqs: Vec<i64> = page["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["seq"].as_i64().expect("seq"))
        .collect();
    assert_eq!(seqs, [3, 4, 5]);
    assert_eq!(page["more"], true);
    assert_eq!(
        page["at_after"],
        json!(sent[1].id),
        "the hub's event at seq 2"
    );
    assert_eq!(page["events"][0]["id"], json!(sent[2].id));
    assert_eq!(page["events"][0]["payload"], sent[2].payload.value());

    let (_, rest) = hub.get("/api/v1/own?after=5", Some(&a.credential));
    assert_eq!(rest["events"].as_array().map(Vec::len), Some(2));
    assert_eq!(rest["more"], false);
    let (_, from_start) = hub.get("/api/v1/own?after=0", Some(&b.credential));
    assert!(
        from_start["events"]
            .as_array()
            .expect("events")
            .iter()
            .all(|e| e["origin"] == json!(b.origin)),
        "B gets only B's: {from_start}"
    );
    assert_eq!(from_start["events"].as_array().map(Vec::len), Some(3));
    assert_eq!(from_start.get("at_after"), None);

    let (status, refused) = hub.get("/api/v1/own?after=0", None);
    assert_eq!(status, 401, "{refused}");
    let (status, refused) = hub.get("/api/v1/own?after=-1", Some(&a.credential));
    assert_eq!((status, refused["field"].as_str()), (400, Some("after")));
}
