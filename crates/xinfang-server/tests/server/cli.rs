//! `xinfang` on the command line: init → demo → verify, a corrupted row caught by verify, and
//! `xinfang call` answering bad input with a coded error, a non-zero exit and no change, and a
//! generated first password that must be changed.

use serde_json::{Value, json};

use crate::support::*;

#[test]
fn init_demo_verify_succeeds_and_a_corrupted_row_makes_verify_fail_naming_it() {
    let dir = initialised(1500);
    let out = run(xinfang(dir.path()).arg("verify"));
    assert!(
        out.status.success(),
        "verify: {}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains("一致"));

    let conn = open_register(dir.path());
    let number: String = conn
        .query_row("SELECT number FROM matters WHERE rid = 7", [], |r| r.get(0))
        .expect("row 7");
    conn.execute(
        "UPDATE matters SET status = 'rechecked', summary = '篡改' WHERE rid = 7",
        [],
    )
    .expect("tamper");
    drop(conn);
    let out = run(xinfang(dir.path()).arg("verify"));
    assert!(!out.status.success(), "verify must fail after tampering");
    let report = stdout(&out);
    assert!(
        report.contains("matters [7] column summary"),
        "names table, row, column: {report}"
    );
    assert!(report.contains("matters [7] column status"), "{report}");
    assert!(!number.is_empty());
}

#[test]
fn call_runs_an_operation_as_a_user_with_json_in_and_out() {
    let dir = initialised(50);
    let out = run(xinfang(dir.path())
        .args(["call", "matter_search", r#"{"q":"问题","limit":3}"#])
        .env("XINFANG_USER", "wangfang")
        .env("XINFANG_PASSWORD", "demo-pass-2026"));
    assert!(out.status.success(), "{}", stderr(&out));
    let page: Value = serde_json::from_str(&stdout(&out)).expect("json output");
    assert_eq!(page["items"].as_array().map(Vec::len), Some(3));
}

fn call_fails(dir: &std::path::Path, op: &str, input: &str) -> Value {
    let before = fingerprint(dir);
    let out = run(xinfang(dir)
        .args(["call", op, input])
        .env("XINFANG_USER", "wangfang")
        .env("XINFANG_PASSWORD", "demo-pass-2026"));
    assert!(!out.status.success(), "{op} {input} must fail");
    assert_eq!(fingerprint(dir), before, "a failed call changes nothing");
    serde_json::from_str(stderr(&out).trim())
        .unwrap_or_else(|_| panic!("error is JSON: {}", stderr(&out)))
}

#[test]
fn bad_input_gets_a_code_and_field_a_failing_exit_and_changes_nothing() {
    let dir = initialised(20);
    let err = call_fails(dir.path(), "matter_register", "{not json");
    assert_eq!(err["code"], "malformed_json");
    let err = call_fails(dir.path(), "no_such_operation", "{}");
    assert_eq!(err["code"], "unknown_operation");
    let err = call_fails(
        dir.path(),
        "visit_register",
        r#"{"visitor_count": "three"}"#,
    );
    assert_eq!(
        (err["code"].as_str(), err["field"].as_str()),
        (Some("bad_input"), Some("visitor_count"))
    );
    let long = "很".repeat(600);
    let input = json!({"channel": "letter", "purpose": "demand", "matter_class": "appeal_demand", "summary": long,
        "request": "r", "facts_reasons": "f", "petitioners": [{"person": {"name": "张三", "current_address": "某地"}}]});
    let err = call_fails(dir.path(), "matter_register", &input.to_string());
    assert_eq!(
        (err["code"].as_str(), err["field"].as_str()),
        (Some("too_long"), Some("summary"))
    );
    let input = json!({"channel": "letter", "purpose": "demand", "matter_class": "appeal_demand", "summary": "s",
        "request": "r", "facts_reasons": "f", "petitioners": [{"person": {"name": "张三", "id_number": "110105194912310025", "current_address": "某地"}}]});
    let err = call_fails(dir.path(), "matter_register", &input.to_string());
    assert_eq!(err["code"], "invalid_id_number");
    assert_eq!(err["field"], "petitioners[0].person.id_number");
    assert!(
        err["message"].as_str().unwrap_or("").contains("校验"),
        "Chinese message: {err}"
    );
    let out = run(xinfang(dir.path())
        .args(["call", "matter_search", "{}"])
        .env("XINFANG_USER", "wangfang")
        .env("XINFANG_PASSWORD", "wrong"));
    assert!(!out.status.success());
    assert!(stderr(&out).contains("unauthenticated"));
}

#[test]
fn ops_lists_every_operation_with_schemas() {
    let dir = tempfile::tempdir().expect("dir");
    let out = run(xinfang(dir.path()).args(["ops", "--json"]));
    assert!(out.status.success());
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("json");
    let names: Vec<&str> = doc["operations"]
        .as_array()
        .expect("ops")
        .iter()
        .filter_map(|o| o["name"].as_str())
        .collect();
    let expected: Vec<&str> = xinfang_core::ops::OPERATIONS
        .iter()
        .map(|o| o.name)
        .collect();
    assert_eq!(names, expected);
    assert!(doc["operations"][0]["input"].is_object());
}

#[test]
fn every_operation_is_reachable_from_the_cli() {
    let dir = initialised(0);
    for op in xinfang_core::ops::OPERATIONS {
        let out = run(xinfang(dir.path())
            .args(["call", op.name, "{}"])
            .env("XINFANG_USER", "admin")
            .env("XINFANG_PASSWORD", ADMIN_PASSWORD));
        assert!(
            !stderr(&out).contains("unknown_operation"),
            "{} is not reachable: {}",
            op.name,
            stderr(&out)
        );
    }
}

#[test]
fn a_newer_register_is_refused_with_a_clear_error() {
    let dir = initialised(0);
    let conn = open_register(dir.path());
    conn.pragma_update(None, "user_version", 42).expect("bump");
    drop(conn);
    let out = run(xinfang(dir.path()).arg("verify"));
    assert!(!out.status.success());
    assert!(stderr(&out).contains("schema_too_new"), "{}", stderr(&out));
}

#[test]
fn an_administrators_code_table_replaces_the_bundled_one() {
    let dir = initialised(0);
    std::fs::create_dir_all(dir.path().join("codes")).expect("codes dir");
    std::fs::write(
        dir.path().join("codes/channels.json"),
        r#"[{"code": "letter", "name": "群众来信", "online": false}, {"code": "visit", "name": "群众来访", "online": false}]"#,
    )
    .expect("write table");
    let out = run(xinfang(dir.path())
        .args(["call", "codes_list", r#"{"table": "channels"}"#])
        .env("XINFANG_USER", "admin")
        .env("XINFANG_PASSWORD", ADMIN_PASSWORD));
    assert!(out.status.success(), "{}", stderr(&out));
    let entries: Value = serde_json::from_str(&stdout(&out)).expect("json");
    let names: Vec<&str> = entries
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert_eq!(names, ["群众来信", "群众来访"]);
    // Other tables stay bundled.
    let out = run(xinfang(dir.path())
        .args(["call", "codes_list", r#"{"table": "matter_classes"}"#])
        .env("XINFANG_USER", "admin")
        .env("XINFANG_PASSWORD", ADMIN_PASSWORD));
    assert!(stdout(&out).contains("检举控告"));
}

#[test]
fn a_generated_first_password_must_be_changed_and_a_chosen_one_need_not() {
    let dir = tempfile::tempdir().expect("dir");
    let out = run(xinfang(dir.path()).args(["init", "--centre-code", "XF3301"]));
    assert!(out.status.success(), "init: {}", stderr(&out));
    let printed = stdout(&out);
    let password = printed
        .split("初始密码：")
        .nth(1)
        .and_then(|rest| rest.split('（').next())
        .expect("the generated password is printed")
        .to_owned();
    xinfang_core::auth::check_password_policy(&password, "admin", "p")
        .expect("the generated password passes the policy");
    let as_admin = |op: &str, input: &str, password: &str| {
        run(xinfang(dir.path())
            .args(["call", op, input])
            .env("XINFANG_USER", "admin")
            .env("XINFANG_PASSWORD", password))
    };
    let out = as_admin("user_list", "{}", &password);
    assert!(!out.status.success());
    let err: Value = serde_json::from_str(stderr(&out).trim()).expect("json error");
    assert_eq!(err["code"], "password_change_required", "{err}");
    let change = format!(r#"{{"old_password":"{password}","new_password":"Admin-chosen-2026"}}"#);
    let out = as_admin("password_change", &change, &password);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = as_admin("user_list", "{}", "Admin-chosen-2026");
    assert!(out.status.success(), "{}", stderr(&out));

    // `initialised` gives the password at init: the administrator chose it and works at once.
    let dir = initialised(0);
    let out = run(xinfang(dir.path())
        .args(["call", "user_list", "{}"])
        .env("XINFANG_USER", "admin")
        .env("XINFANG_PASSWORD", ADMIN_PASSWORD));
    assert!(out.status.success(), "{}", stderr(&out));
}
