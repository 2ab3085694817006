//! Enrolment: the code `centre add` prints works once; a replay, a wrong code or a code for
//! another centre is refused with a Chinese message and changes nothing.

use serde_json::json;
use uuid::Uuid;

use crate::support::{Hub, add_centre, admin, count};

#[test]
fn a_centre_enrols_once_with_the_printed_code() {
    let dir = crate::support::data_dir();
    let hub = Hub::start(dir.path());
    let (id, code) = add_centre(dir.path(), "XF3301", "某某县信访局来访接待中心");
    let origin = Uuid::from_u128(0x3301);
    let request = |code: &str, origin: Uuid, centre_code: &str| json!({"code": code, "origin": origin, "centre_code": centre_code, "centre_name": "某某县信访局来访接待中心"});

    let (status, body) = hub.post("/api/v1/enrol", None, &request(&code, origin, "XF9999"));
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("centre_code_mismatch")),
        "{body}"
    );
    assert_eq!(body["field"], "centre_code");

    // Typed by a person: lower case, without dashes.
    let typed = code.replace('-', "").to_lowercase();
    let (status, body) = hub.post("/api/v1/enrol", None, &request(&typed, origin, "XF3301"));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["centre_id"], json!(id));
    let credential = body["credential"].as_str().expect("credential").to_owned();
    assert!(credential.starts_with("xfhub1_"), "{credential}");
    let (status, body) = hub.get("/api/v1/mark", Some(&credential));
    assert_eq!((status, &body), (200, &json!({"acknowledged": 0})));

    let before = count(
        dir.path(),
        "SELECT count(*) FROM centres WHERE credential_hash IS NOT NULL",
    );
    for replay in [
        request(&code, origin, "XF3301"),
        request(&code, Uuid::from_u128(9), "XF3301"),
    ] {
        let (status, body) = hub.post("/api/v1/enrol", None, &replay);
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["code"], "enrolment_code_used");
        assert_eq!(body["field"], "code");
        let message = body["message"].as_str().expect("message");
        assert!(message.contains("只能使用一次"), "{message}");
    }
    assert_eq!(
        count(
            dir.path(),
            "SELECT count(*) FROM centres WHERE credential_hash IS NOT NULL"
        ),
        before
    );
    let listed: serde_json::Value =
        serde_json::from_str(&admin(dir.path(), &["centre", "list", "--json"])).expect("json");
    assert_eq!(
        listed[0]["centre"]["origin"],
        json!(origin),
        "the first enrolment stands"
    );
    assert_eq!(listed[0]["state"], "enrolled");
    let (status, _) = hub.get("/api/v1/mark", Some(&credential));
    assert_eq!(status, 200, "the first credential still works");

    let (status, body) = hub.post(
        "/api/v1/enrol",
        None,
        &request("0000-0000-0000-0000-0000", origin, "XF3301"),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("enrolment_code_unknown"))
    );
    let (status, body) = hub.request("POST", "/api/v1/enrol", None, b"{not json");
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("malformed_json"))
    );
    let (status, body) = hub.post("/api/v1/enrol", None, &json!({"code": code, "extra": 1}));
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("bad_input")),
        "{body}"
    );

    // Every one of those requests is in the log, the refused ones against the centre.
    assert_eq!(count(dir.path(), "SELECT count(*) FROM request_log"), 9);
    let refused = count(
        dir.path(),
        &format!(
            "SELECT count(*) FROM request_log WHERE centre_id = '{id}' AND code = 'enrolment_code_used'"
        ),
    );
    assert_eq!(refused, 2);
}
