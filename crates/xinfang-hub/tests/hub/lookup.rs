//! The cross-centre person lookup on the real hub (both stores): a centre learns that the same
//! person has matters at another centre — where, when, which class, which steps — but never the
//! content, never its own matters again, and never a 检举控告 matter.

use serde_json::{Value, json};
use uuid::Uuid;
use xinfang_sync::WireEvent;

use crate::support::*;

const ID: &str = "11010519491231002X";

fn fact(origin: Uuid, seq: i64, kind: &str, payload: Value) -> WireEvent {
    WireEvent {
        kind: kind.into(),
        payload: payload.into(),
        ..event(origin, seq)
    }
}

fn person(origin: Uuid, seq: i64, person: &str) -> WireEvent {
    fact(
        origin,
        seq,
        "person.registered",
        json!({"person_id": person, "name": "孙丽华", "id_type": "resident_id", "id_number": ID}),
    )
}

fn matter(origin: Uuid, seq: i64, matter: &str, person: &str, class: &str, on: &str) -> WireEvent {
    fact(
        origin,
        seq,
        "matter.registered",
        json!({"matter_id": matter, "matter_class": class, "received_at": on,
               "summary": "反映征地补偿问题", "petitioners": [{"person_id": person, "is_primary": true}]}),
    )
}

#[test]
fn a_centre_learns_where_else_the_person_petitioned_but_not_what() {
    let dir = data_dir();
    let hub = Hub::start(dir.path());
    let a = enrolled(&hub, "XF3301", 0xA);
    let b = enrolled(&hub, "XF3302", 0xB);
    let c = enrolled(&hub, "XF3303", 0xC);
    let (status, body) = hub.push(
        &b.credential,
        &[
            person(b.origin, 1, "pb"),
            matter(
                b.origin,
                2,
                "mb1",
                "pb",
                "appeal_demand",
                "2026-10-01T02:00:00Z",
            ),
            fact(
                b.origin,
                3,
                "matter.step_recorded",
                json!({"matter_id": "mb1", "kind": "accept"}),
            ),
            matter(
                b.origin,
                4,
                "mb2",
                "pb",
                "accusation",
                "2026-11-01T02:00:00Z",
            ),
            // Another person's matter that happens to mention nobody we ask about.
            matter(
                b.origin,
                5,
                "mb3",
                "someone-else",
                "suggestion",
                "2026-11-02T02:00:00Z",
            ),
        ],
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = hub.push(
        &a.credential,
        &[
            person(a.origin, 1, "pa"),
            matter(
                a.origin,
                2,
                "ma1",
                "pa",
                "suggestion",
                "2026-11-20T02:00:00Z",
            ),
        ],
    );
    assert_eq!(status, 200, "{body}");

    let (status, answer) = hub.post(
        "/api/v1/person-matters",
        Some(&a.credential),
        &json!({"id_number": ID.to_lowercase()}),
    );
    assert_eq!(status, 200, "{answer}");
    let matters = answer["matters"].as_array().expect("matters");
    assert_eq!(matters.len(), 1, "only B's non-accusation matter: {answer}");
    assert_eq!(matters[0]["centre_code"], "XF3302");
    assert_eq!(matters[0]["matter_class"], "appeal_demand");
    assert_eq!(matters[0]["steps"], json!(["accept"]));
    assert!(
        !answer.to_string().contains("征地"),
        "no content travels: {answer}"
    );

    // C, which never saw the person, learns of both A's and B's.
    let (_, answer) = hub.post(
        "/api/v1/person-matters",
        Some(&c.credential),
        &json!({"id_number": ID}),
    );
    let codes: Vec<&str> = answer["matters"]
        .as_array()
        .expect("matters")
        .iter()
        .filter_map(|m| m["centre_code"].as_str())
        .collect();
    assert_eq!(codes, ["XF3301", "XF3302"], "newest first: {answer}");

    // Refusals: a malformed number, no credential.
    let (status, body) = hub.post(
        "/api/v1/person-matters",
        Some(&a.credential),
        &json!({"id_number": "1101'--"}),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("bad_input")),
        "{body}"
    );
    let (status, _) = hub.post("/api/v1/person-matters", None, &json!({"id_number": ID}));
    assert_eq!(status, 401);

    // The request log records the lookups without the ID number.
    let log = admin(dir.path(), &["log", "--json", "--limit", "100"]);
    assert!(log.contains("POST /api/v1/person-matters"), "{log}");
    assert!(
        !log.contains(ID) && !log.contains(&ID.to_lowercase()),
        "{log}"
    );
}
