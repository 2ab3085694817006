//! `xinfang serve` on loopback: sign-in, a registration end to end, bad input answered with
//! 4xx and a coded error while the register stays unchanged, and a disabled user's open session
//! refused at its next request.

use serde_json::{Value, json};

use crate::support::*;

fn letter(summary: &str) -> Value {
    json!({
        "channel": "letter", "purpose": "demand", "matter_class": "appeal_demand",
        "summary": summary, "request": "要求解决", "facts_reasons": "事实与理由",
        "petitioners": [{"person": {"name": "孙丽华", "id_number": "11010519491231002X", "current_address": "北京市朝阳区某街道"}}]
    })
}

#[test]
fn a_clerk_signs_in_registers_a_letter_and_finds_it() {
    let dir = initialised(30);
    let server = Server::start(dir.path());
    let token = server.login("wangfang", "demo-pass-2026");
    let (status, matter) = server.call(
        "matter_register",
        Some(&token),
        &letter("反映供暖不达标问题"),
    );
    assert_eq!(status, 200, "{matter}");
    assert!(
        matter["number"]
            .as_str()
            .unwrap_or("")
            .starts_with("XF3301-2026-")
    );
    let (status, page) = server.call("matter_search", Some(&token), &json!({"q": "供暖不达标"}));
    assert_eq!(status, 200);
    assert_eq!(page["items"][0]["number"], matter["number"]);
    let (status, me) = server.call("session_me", Some(&token), &json!({}));
    assert_eq!((status, me["role_name"].as_str()), (200, Some("引导员")));
    let (status, _) = server.call("auth_logout", Some(&token), &json!({"token": token}));
    assert_eq!(status, 200);
    let (status, err) = server.call("session_me", Some(&token), &json!({}));
    assert_eq!(
        (status, err["code"].as_str()),
        (401, Some("unauthenticated"))
    );
}

#[test]
fn bad_requests_get_4xx_with_code_and_field_and_change_nothing() {
    let dir = initialised(10);
    let server = Server::start(dir.path());
    let token = server.login("wangfang", "demo-pass-2026");
    let before = fingerprint(dir.path());

    let (status, err) = server.request(
        "POST",
        "/api/v1/ops/matter_register",
        Some(&token),
        b"{\"channel\": ",
    );
    assert_eq!(
        (status, err["code"].as_str()),
        (400, Some("malformed_json"))
    );
    let (status, err) = server.call("launch_rockets", Some(&token), &json!({}));
    assert_eq!(
        (status, err["code"].as_str()),
        (404, Some("unknown_operation"))
    );
    let (status, err) = server.call(
        "visit_register",
        Some(&token),
        &json!({"visitor_count": [1]}),
    );
    assert_eq!(
        (status, err["code"].as_str(), err["field"].as_str()),
        (422, Some("bad_input"), Some("visitor_count"))
    );
    let mut input = letter("x");
    input["petitioners"][0]["person"]["id_number"] = json!("11010519491231002Y");
    let (status, err) = server.call("matter_register", Some(&token), &input);
    assert_eq!(
        (status, err["code"].as_str()),
        (422, Some("invalid_id_number"))
    );
    assert_eq!(err["field"], "petitioners[0].person.id_number");
    let (status, err) = server.call(
        "visit_register",
        Some(&token),
        &json!({"visitor_count": 40, "representative_count": 8,
        "persons": [{"person": {"name": "甲", "current_address": "乙"}}]}),
    );
    assert_eq!(
        (status, err["code"].as_str(), err["field"].as_str()),
        (
            422,
            Some("too_many_representatives"),
            Some("representative_count")
        )
    );
    let mut input = letter("x");
    input["facts_reasons"] = json!("长".repeat(20_001));
    let (status, err) = server.call("matter_register", Some(&token), &input);
    assert_eq!(
        (status, err["field"].as_str()),
        (422, Some("facts_reasons"))
    );
    let huge = vec![b' '; 2 * 1024 * 1024];
    let (status, err) = server.request("POST", "/api/v1/ops/matter_register", Some(&token), &huge);
    assert_eq!((status, err["code"].as_str()), (413, Some("too_large")));
    let (status, err) = server.call("matter_register", None, &letter("x"));
    assert_eq!(
        (status, err["code"].as_str()),
        (401, Some("unauthenticated"))
    );
    let (status, err) = server.call("matter_register", Some("forged-token"), &letter("x"));
    assert_eq!(
        (status, err["code"].as_str()),
        (401, Some("unauthenticated"))
    );

    assert_eq!(
        fingerprint(dir.path()),
        before,
        "no failed request changed the register"
    );
}

#[test]
fn every_operation_is_reachable_over_http() {
    let dir = initialised(0);
    let server = Server::start(dir.path());
    let token = server.login("admin", ADMIN_PASSWORD);
    let (status, listed) = server.request("GET", "/api/v1/ops", None, b"");
    assert_eq!(status, 200);
    assert_eq!(
        listed["operations"].as_array().map(Vec::len),
        Some(xinfang_core::ops::OPERATIONS.len())
    );
    for op in xinfang_core::ops::OPERATIONS {
        let (status, body) = server.call(op.name, Some(&token), &json!({}));
        assert_ne!(body["code"], "unknown_operation", "{} not routed", op.name);
        assert!(status < 500, "{} answered {status}: {body}", op.name);
    }
}

#[test]
fn signing_in_works_even_with_a_stale_token_left_in_the_desk() {
    let dir = initialised(0);
    let server = Server::start(dir.path());
    let (status, body) = server.call(
        "auth_login",
        Some("token-from-yesterday"),
        &json!({"username": "admin", "password": ADMIN_PASSWORD}),
    );
    assert_eq!(status, 200, "{body}");
    assert!(body["token"].is_string());
}

#[test]
fn a_disabled_users_open_session_is_refused_at_the_next_request() {
    let dir = initialised(0);
    let server = Server::start(dir.path());
    let admin = server.login("admin", ADMIN_PASSWORD);
    let (status, user) = server.call(
        "user_create",
        Some(&admin),
        &json!({ "username": "sunli", "display_name": "孙丽", "role": "guide", "password": "Sunli-init-2026" }),
    );
    assert_eq!(status, 200, "{user}");
    let token = server.first_login("sunli", "Sunli-init-2026", "Sunli-own-2026");
    let (status, _) = server.call("matter_search", Some(&token), &json!({}));
    assert_eq!(status, 200, "the session works");

    let (status, changed) = server.call(
        "user_set_active",
        Some(&admin),
        &json!({ "user_id": user["id"], "active": false }),
    );
    assert_eq!(
        (status, &changed["active"]),
        (200, &json!(false)),
        "{changed}"
    );
    let (status, err) = server.call("matter_search", Some(&token), &json!({}));
    assert_eq!(
        (status, err["code"].as_str()),
        (401, Some("unauthenticated")),
        "the open session ended at once: {err}"
    );
    let (status, err) = server.call(
        "auth_login",
        None,
        &json!({ "username": "sunli", "password": "Sunli-own-2026" }),
    );
    assert_eq!((status, err["code"].as_str()), (403, Some("disabled")));
    assert!(
        err["message"].as_str().unwrap_or("").contains("停用"),
        "{err}"
    );

    // The administrator's own session is untouched, and they cannot disable themselves.
    let (status, me) = server.call("session_me", Some(&admin), &json!({}));
    assert_eq!(status, 200);
    let (status, err) = server.call(
        "user_set_active",
        Some(&admin),
        &json!({ "user_id": me["user"]["user_id"], "active": false }),
    );
    assert_eq!(
        (status, err["code"].as_str(), err["field"].as_str()),
        (422, Some("own_account"), Some("user_id"))
    );
    let (status, _) = server.call(
        "user_set_active",
        Some(&admin),
        &json!({ "user_id": user["id"], "active": true }),
    );
    assert_eq!(status, 200);
    server.login("sunli", "Sunli-own-2026");
}

#[test]
fn hostile_input_is_refused_cleanly_and_the_server_keeps_answering() {
    let dir = initialised(1);
    let server = Server::start(dir.path());
    let token = server.login("wangfang", "demo-pass-2026");
    let before = fingerprint(dir.path());
    let post =
        |body: &[u8]| server.request("POST", "/api/v1/ops/matter_register", Some(&token), body);

    // Not UTF-8, not JSON, nested past any sane depth, the wrong top-level type.
    let mut invalid_utf8 = letter("x").to_string().into_bytes();
    let at = invalid_utf8.len() / 2;
    invalid_utf8.splice(at..at, [0xff, 0xfe, 0xc3]);
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    for body in [
        &invalid_utf8[..],
        b"\x00\x01\x02",
        deep.as_bytes(),
        b"[1, 2, 3]",
        b"\"a string\"",
        b"null",
    ] {
        let (status, err) = post(body);
        assert!(
            (400..500).contains(&status) && err["code"].is_string(),
            "{status} {err} for {:?}",
            String::from_utf8_lossy(&body[..body.len().min(40)])
        );
    }
    // Control characters anywhere are refused at their field; unknown fields and wrong types
    // are named.
    for (input, code, field) in [
        (
            {
                let mut i = letter("x");
                i["summary"] = json!("概况\u{0}隐藏");
                i
            },
            "control_character",
            "summary",
        ),
        (
            {
                let mut i = letter("x");
                i["petitioners"][0]["person"]["name"] = json!("孙\u{1b}[31m丽华");
                i
            },
            "control_character",
            "petitioners[0].person.name",
        ),
        (
            {
                let mut i = letter("x");
                i["is_admin"] = json!(true);
                i
            },
            "bad_input",
            "",
        ),
        (
            {
                let mut i = letter("x");
                i["summary"] = json!(42);
                i
            },
            "bad_input",
            "summary",
        ),
        (
            {
                let mut i = letter("x");
                i["summary"] = json!("😀".repeat(50_000));
                i
            },
            "too_long",
            "summary",
        ),
    ] {
        let (status, err) = server.call("matter_register", Some(&token), &input);
        assert_eq!(status, 422, "{err}");
        assert_eq!(err["code"], code, "{err}");
        if !field.is_empty() {
            assert_eq!(err["field"], field, "{err}");
        }
    }
    assert_eq!(
        fingerprint(dir.path()),
        before,
        "nothing refused was written"
    );

    // SQL and FTS meta-characters are just text: stored and found literally.
    let tricky = "'; DROP TABLE matters; -- \" OR 1=1 * NEAR(a b) \\";
    let (status, made) = server.call("matter_register", Some(&token), &letter(tricky));
    assert_eq!(status, 200, "{made}");
    let (status, page) = server.call("matter_search", Some(&token), &json!({ "q": tricky }));
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["items"][0]["id"], made["id"]);
    // And the server still answers after all of it.
    let (status, _) = server.call("session_me", Some(&token), &json!({}));
    assert_eq!(status, 200);
}
