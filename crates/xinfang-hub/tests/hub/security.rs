//! Authority: a centre pushes only its own origin and pulls only what is routed to it; an
//! unknown credential is `unauthenticated`, a revoked one `revoked`, at once.

use serde_json::json;

use crate::support::{Hub, admin, count, enrolled, event, events, publish};

#[test]
fn another_centre_cannot_push_for_this_origin_or_pull_its_routes() {
    let dir = crate::support::data_dir();
    let hub = Hub::start(dir.path());
    let a = enrolled(&hub, "XF3301", 0xA);
    let b = enrolled(&hub, "XF3302", 0xB);
    let (status, _) = hub.push(&a.credential, &events(a.origin, 1..=2));
    assert_eq!(status, 200);
    publish(
        &hub,
        &a.id.to_string(),
        "county.assignment",
        &json!({"reference": "交〔2026〕1号", "from_unit": "某县信访局", "matter": {"summary": "交办件"}}),
    );

    // B's credential, A's origin: refused whole, even mixed with B's own event.
    for batch in [
        vec![event(a.origin, 3)],
        vec![event(b.origin, 1), event(a.origin, 3)],
    ] {
        let (status, body) = hub.push(&b.credential, &batch);
        assert_eq!(status, 403, "{body}");
        assert_eq!(body["code"], "wrong_origin");
        assert!(body["field"].as_str().expect("field").ends_with("].origin"));
        assert!(
            body["message"]
                .as_str()
                .expect("message")
                .contains("未保存")
        );
    }
    assert_eq!(
        count(
            &hub.data,
            "SELECT count(*) FROM events WHERE pushed_by IS NOT NULL"
        ),
        2
    );
    assert_eq!(count(&hub.data, "SELECT count(*) FROM held"), 0);
    let (_, mark) = hub.get("/api/v1/mark", Some(&b.credential));
    assert_eq!(mark["acknowledged"], 0);
    let (_, mark) = hub.get("/api/v1/mark", Some(&a.credential));
    assert_eq!(mark["acknowledged"], 2);

    let (status, pulled) = hub.get("/api/v1/pull?after=0", Some(&b.credential));
    assert_eq!((status, &pulled["events"]), (200, &json!([])), "not B's");
    let (_, pulled) = hub.get("/api/v1/pull?after=0", Some(&a.credential));
    assert_eq!(pulled["events"].as_array().expect("events").len(), 1);

    for token in [None, Some("xfhub1_0000"), Some("")] {
        for (method, path) in [
            ("GET", "/api/v1/mark"),
            ("GET", "/api/v1/pull"),
            ("POST", "/api/v1/push"),
        ] {
            let (status, body) = hub.request(method, path, token, br#"{"events": []}"#);
            assert_eq!(
                (status, body["code"].as_str()),
                (401, Some("unauthenticated")),
                "{path}"
            );
        }
    }

    // Revoked from the CLI while the hub runs: refused at the very next request.
    let out = admin(&hub.data, &["centre", "revoke", &a.id.to_string()]);
    assert!(out.contains("已撤销"), "{out}");
    for (method, path) in [
        ("GET", "/api/v1/mark"),
        ("GET", "/api/v1/pull"),
        ("POST", "/api/v1/push"),
    ] {
        let body = serde_json::to_vec(&json!({"events": [event(a.origin, 3)]})).expect("body");
        let (status, body) = hub.request(method, path, Some(&a.credential), &body);
        assert_eq!(status, 403, "{path}: {body}");
        assert_eq!(body["code"], "revoked");
        assert!(body["message"].as_str().expect("message").contains("撤销"));
    }
    assert_eq!(
        count(&hub.data, "SELECT count(*) FROM events WHERE seq = 3"),
        0
    );
    let (status, _) = hub.get("/api/v1/mark", Some(&b.credential));
    assert_eq!(status, 200, "B is untouched");
    let log = admin(&hub.data, &["log", "--centre", &a.id.to_string()]);
    assert_eq!(log.matches("revoked").count(), 3, "{log}");

    let err = crate::support::admin_fails(
        &hub.data,
        &["centre", "revoke", "0190c3a1-0000-7000-8000-00000000dead"],
    );
    assert_eq!(err["code"], "not_found");
}
