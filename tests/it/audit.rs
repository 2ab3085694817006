//! Authorisation and audit (issue 8 §1–3): the role × operation table walked cell by cell
//! against what `ops::call` enforces, 三员分立 (who manages users and which settings, who reads
//! whose audit rows), the audit rows of sign-ins, reads, changes and refusals, the chain that
//! `verify` checks, and the sign-in rate limit per desk.

use serde_json::{Value, json};
use xinfang_core::{Error, auth::Session, model::Role, ops, verify};
use xinfang_tests::{PASSWORD, TestDesk, id_number, letter};

/// `(operation, cells)` of `docs/permissions.md`, cells in `Role::ALL` order.
fn documented_matrix() -> Vec<(String, Vec<String>)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let text = std::fs::read_to_string(root.join("docs/permissions.md")).expect("permissions.md");
    text.lines()
        .filter(|l| l.starts_with("| `"))
        .map(|line| {
            let cells: Vec<String> = line
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_owned())
                .collect();
            let name = cells[0].trim_matches('`').to_owned();
            (name, cells[2..].to_vec())
        })
        .collect()
}

/// A session of `role` that signed in from a LAN desk (it need not exist as a user: the
/// checks read the session).
fn session_of(desk: &TestDesk, role: Role) -> Session {
    let base = match role {
        Role::Guide => &desk.guide,
        Role::Interviewer => &desk.interviewer,
        Role::Handler => &desk.handler,
        Role::Supervisor => &desk.supervisor,
        _ => &desk.admin,
    };
    Session {
        role,
        desk: "10.0.0.5".into(),
        ..base.clone()
    }
}

fn audit_rows(desk: &TestDesk, filter: &str) -> Vec<(String, String, String, String, String)> {
    desk.register
        .conn()
        .prepare(&format!(
            "SELECT username, desk, operation, object, outcome FROM audit_log WHERE {filter}
             ORDER BY seq"
        ))
        .expect("prepare")
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("rows")
}

fn assert_verifies(desk: &TestDesk) {
    let report = verify::verify_file(&desk.path(), &desk.dir.path().join("scratch.db"))
        .expect("verify runs");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

#[test]
fn every_operation_for_every_role_is_enforced_as_documented() {
    let mut desk = TestDesk::new();
    let matrix = documented_matrix();
    assert_eq!(
        matrix.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ops::OPERATIONS.iter().map(|op| op.name).collect::<Vec<_>>(),
        "the table lists every operation, in order"
    );
    let mut refused = 0;
    for (name, cells) in &matrix {
        assert_eq!(cells.len(), Role::ALL.len(), "{name}: one cell per role");
        for (role, cell) in Role::ALL.iter().zip(cells) {
            let who = session_of(&desk, *role);
            let result = desk.call(&who, name, json!({}));
            let forbidden = matches!(result, Err(Error::Forbidden { .. }));
            match cell.as_str() {
                "公开" | "✓" => assert!(
                    !forbidden,
                    "{name} is documented for {} but refused",
                    role.name_zh()
                ),
                "—" => {
                    assert!(
                        forbidden,
                        "{name} is not for {} but ran: {result:?}",
                        role.name_zh()
                    );
                    refused += 1;
                }
                other => panic!("{name}: unknown cell {other:?}"),
            }
        }
        // Without signing in, only the public operations run.
        let anonymous = ops::call(&mut desk.register, None, name, json!({}));
        if cells[0] == "公开" {
            assert!(
                !matches!(anonymous, Err(Error::Unauthenticated(_))),
                "{name}"
            );
        } else {
            assert!(
                matches!(anonymous, Err(Error::Unauthenticated(_))),
                "{name} ran without signing in: {anonymous:?}"
            );
        }
    }
    assert!(refused > 50, "the table refuses something: {refused}");
    // Every refusal is in the audit trail, with the desk it came from.
    let rows = audit_rows(&desk, "outcome = 'forbidden'");
    assert_eq!(rows.len(), refused);
    assert!(rows.iter().all(|r| r.1 == "10.0.0.5"));
    assert_verifies(&desk);
}

#[test]
fn the_security_and_audit_administrators_never_see_petitions() {
    let mut desk = TestDesk::new();
    let guide = desk.guide.clone();
    let matter = desk.ok(
        &guide,
        "matter_register",
        letter("张三", &id_number("330106", "19800101", 11), "征地补偿"),
    );
    let auditor = desk.add_user("shenji", "审计员", Role::Auditor);
    let security = desk.add_user("anquan", "安全员", Role::SecurityAdmin);
    for who in [&auditor, &security] {
        for (op, input) in [
            ("matter_get", json!({ "matter_id": matter["id"] })),
            ("matter_search", json!({})),
            ("person_lookup", json!({ "name": "张三" })),
        ] {
            let err = desk.call(who, op, input).expect_err("refused");
            assert_eq!(err.to_api().code, "forbidden", "{op} for {}", who.username);
        }
    }
}

#[test]
fn once_a_security_administrator_exists_users_and_security_settings_are_theirs() {
    let mut desk = TestDesk::new();
    let admin = desk.admin.clone();
    // A one-person office: the system administrator manages users until a security
    // administrator exists, and creates that person.
    let created = desk.ok(
        &admin,
        "user_create",
        json!({ "username": "anquan", "display_name": "安全员", "role": "security_admin",
                "password": "Initial-pass-1" }),
    );
    assert_eq!(created["role"], "security_admin");
    let security = desk.add_user("anquan2", "安全员二", Role::SecurityAdmin);
    let err = desk
        .call(
            &admin,
            "user_create",
            json!({ "username": "lisi", "display_name": "李四", "role": "guide",
                    "password": "Initial-pass-1" }),
        )
        .expect_err("refused");
    assert_eq!(err.to_api().code, "separation_of_duties");
    assert!(desk.call(&admin, "user_list", json!({})).is_err());
    desk.ok(
        &security,
        "user_create",
        json!({ "username": "lisi", "display_name": "李四", "role": "guide",
                "password": "Initial-pass-1" }),
    );

    // Settings: each administrator changes only their own group, refused at the field.
    let settings = desk.ok(&admin, "settings_get", json!({}));
    let mut lockout = settings;
    lockout["login_lockout_failures"] = json!(4);
    let api = desk
        .call(&admin, "settings_set", lockout.clone())
        .expect_err("refused")
        .to_api();
    assert_eq!(
        (api.code.as_str(), api.field.as_deref()),
        ("separation_of_duties", Some("login_lockout_failures"))
    );
    let saved = desk.ok(&security, "settings_set", lockout);
    assert_eq!(saved["login_lockout_failures"], 4);
    let mut phone = saved;
    phone["contact_phone"] = json!("0571-88880000");
    let api = desk
        .call(&security, "settings_set", phone.clone())
        .expect_err("refused")
        .to_api();
    assert_eq!(api.field.as_deref(), Some("contact_phone"));
    assert_eq!(
        desk.ok(&admin, "settings_set", phone)["contact_phone"],
        "0571-88880000"
    );
}

#[test]
fn sign_ins_reads_changes_and_refusals_are_audited_with_desk_and_object() {
    let mut desk = TestDesk::new();
    // `call_token` calls from 10.0.0.2, as a LAN desk would.
    let lan = |desk: &mut TestDesk, password: &str| {
        ops::call_from(
            &mut desk.register,
            None,
            "10.0.0.2",
            "auth_login",
            json!({ "username": "wangfang", "password": password }),
        )
    };
    assert!(lan(&mut desk, "wrong-password-1").is_err());
    let login = lan(&mut desk, PASSWORD).expect("sign in");
    let token = login["token"].as_str().expect("token").to_owned();
    let id = id_number("330106", "19800101", 11);
    let matter = desk
        .call_token(&token, "matter_register", letter("张三", &id, "征地补偿"))
        .expect("register");
    let matter_id = matter["id"].as_str().expect("id").to_owned();
    desk.call_token(&token, "matter_get", json!({ "matter_id": matter_id }))
        .expect("read");
    // Searching is not a read of a full record; refusals always are audited.
    desk.call_token(&token, "matter_search", json!({}))
        .expect("search");
    assert!(desk.call_token(&token, "report_data", json!({})).is_err());
    // A change that fails at validation leaves a failure row and no event.
    let events = desk.event_count();
    assert!(
        desk.call_token(&token, "matter_register", letter("", &id, "缺姓名"))
            .is_err()
    );
    assert_eq!(desk.event_count(), events);

    let rows = audit_rows(&desk, "1");
    let expected = [
        (
            "wangfang",
            "10.0.0.2",
            "auth_login",
            "wangfang",
            "unauthenticated",
        ),
        ("wangfang", "10.0.0.2", "auth_login", "wangfang", "ok"),
        (
            "wangfang",
            "10.0.0.2",
            "matter_register",
            matter_id.as_str(),
            "ok",
        ),
        (
            "wangfang",
            "10.0.0.2",
            "matter_get",
            matter_id.as_str(),
            "ok",
        ),
        ("wangfang", "10.0.0.2", "report_data", "", "forbidden"),
    ];
    for (row, want) in rows.iter().zip(expected) {
        assert_eq!(
            (
                row.0.as_str(),
                row.1.as_str(),
                row.2.as_str(),
                row.3.as_str(),
                row.4.as_str()
            ),
            want
        );
    }
    let last = rows.last().expect("a last row");
    assert_eq!(
        (last.2.as_str(), last.4.as_str()),
        ("matter_register", "required")
    );
    assert_eq!(rows.len(), expected.len() + 1, "{rows:#?}");
    // The change's row names the events it committed, in the same transaction.
    let detail: String = desk
        .register
        .conn()
        .query_row(
            "SELECT detail FROM audit_log WHERE operation = 'matter_register' AND outcome = 'ok'",
            [],
            |r| r.get(0),
        )
        .expect("detail");
    assert!(detail.contains("matter.registered"), "{detail}");
    assert_verifies(&desk);
}

#[test]
fn nobody_reads_their_own_audit_trail() {
    let mut desk = TestDesk::new();
    let auditor = desk.add_user("shenji", "审计员", Role::Auditor);
    let security = desk.add_user("anquan", "安全员", Role::SecurityAdmin);
    let guide = desk.guide.clone();
    desk.ok(&guide, "codes_list", json!({ "table": "channels" }));
    desk.call(&guide, "user_list", json!({}))
        .expect_err("refused");
    let first = desk.ok(&auditor, "audit_list", json!({}));
    let seen: Vec<&str> = first["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["username"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        seen,
        ["wangfang"],
        "the guide's refusal, not the auditor's own read"
    );
    // The auditor's reads go to the security administrator, who sees nothing else.
    desk.ok(&auditor, "audit_list", json!({ "outcome": "failed" }));
    let by_security = desk.ok(&security, "audit_list", json!({}));
    let rows = by_security["rows"].as_array().expect("rows");
    assert_eq!(by_security["total"], 2);
    assert!(
        rows.iter()
            .all(|r| r["username"] == "shenji" && r["operation"] == "audit_list")
    );
    let again = desk.ok(&auditor, "audit_list", json!({}));
    assert!(
        again["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .any(|r| r["username"] == "anquan"),
        "the security administrator's read is the auditor's to see"
    );
    // Filters and the export.
    let filtered = desk.ok(
        &auditor,
        "audit_list",
        json!({ "username": "wangfang", "operation": "user_list", "outcome": "failed" }),
    );
    assert_eq!(filtered["total"], 1);
    let export = desk.ok(&auditor, "audit_export", json!({}));
    assert!(
        export["file_name"]
            .as_str()
            .is_some_and(|n| n.ends_with(".xlsx"))
    );
    let api = desk
        .call(
            &auditor,
            "audit_list",
            json!({ "from": "2026-12-02", "to": "2026-12-01" }),
        )
        .expect_err("refused")
        .to_api();
    assert_eq!(api.field.as_deref(), Some("to"));
}

#[test]
fn an_edited_or_deleted_audit_row_fails_verify() {
    let mut desk = TestDesk::new();
    for password in ["wrong-1", "wrong-2", PASSWORD] {
        let _ = desk.login("wangfang", password);
    }
    assert_verifies(&desk);
    let conn = desk.register.conn();
    let err = conn
        .execute("UPDATE audit_log SET outcome = 'ok'", [])
        .expect_err("the trail is append-only");
    assert!(err.to_string().contains("append-only"));
    conn.execute_batch(
        "DROP TRIGGER audit_log_no_update;
         UPDATE audit_log SET outcome = 'ok' WHERE seq = 1;",
    )
    .expect("tamper");
    let report = verify::verify_file(&desk.path(), &desk.dir.path().join("scratch-2.db"))
        .expect("verify runs");
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains("审计记录第 1 条")),
        "{:?}",
        report.problems
    );
}

#[test]
fn a_trail_cut_back_behind_its_anchor_fails_verify_and_anchoring_is_only_on_change() {
    let mut desk = TestDesk::new();
    let _ = desk.login("wangfang", "wrong-1");
    let _ = desk.login("wangfang", PASSWORD);
    let head = |desk: &TestDesk| {
        xinfang_core::audit::head(desk.register.conn())
            .expect("head")
            .expect("a trail")
    };
    let anchored = head(&desk);
    assert!(xinfang_core::sync::anchor_audit(&mut desk.register).expect("anchor"));
    // Nobody acted since: no second anchor, and the anchor itself added no audit row.
    let events = desk.event_count();
    assert!(!xinfang_core::sync::anchor_audit(&mut desk.register).expect("anchor"));
    assert_eq!(desk.event_count(), events);
    assert_eq!(head(&desk), anchored);
    // Rows after the anchor can still be written; rows the anchor covers are what is checked.
    let _ = desk.login("wangfang", "wrong-2");
    assert_verifies(&desk);

    // Someone with the key cuts the trail back: the chain alone is still a valid chain.
    desk.register
        .conn()
        .execute_batch(&format!(
            "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq >= {};",
            anchored.0
        ))
        .expect("cut");
    assert_eq!(
        xinfang_core::audit::check_chain(desk.register.conn(), 10).expect("chain"),
        Vec::<String>::new(),
        "a cut tail leaves a valid chain"
    );
    let report = verify::verify_file(&desk.path(), &desk.dir.path().join("scratch-3.db"))
        .expect("verify runs");
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains(&format!("审计记录缺少第 {} 条", anchored.0))),
        "{:?}",
        report.problems
    );

    // Writing new rows over the cut does not hide it: the row at the anchor differs.
    let _ = desk.login("wangfang", "wrong-3");
    let _ = desk.login("wangfang", "wrong-4");
    let report = verify::verify_file(&desk.path(), &desk.dir.path().join("scratch-4.db"))
        .expect("verify runs");
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains(&format!("审计记录第 {} 条与第", anchored.0))),
        "{:?}",
        report.problems
    );
}

#[test]
fn a_desk_guessing_many_names_is_stopped_and_others_are_not() {
    let mut desk = TestDesk::new();
    let attempt = |desk: &mut TestDesk, from: &str, name: &str, password: &str| -> Value {
        match ops::call_from(
            &mut desk.register,
            None,
            from,
            "auth_login",
            json!({ "username": name, "password": password }),
        ) {
            Ok(v) => v,
            Err(e) => json!({ "code": e.to_api().code }),
        }
    };
    for n in 0..20 {
        let out = attempt(&mut desk, "10.0.0.66", &format!("user{n}"), "guess-Pass-1");
        assert_eq!(out["code"], "unauthenticated", "attempt {n}");
    }
    // The 21st, even with a right password, is refused from that desk…
    let out = attempt(&mut desk, "10.0.0.66", "wangfang", PASSWORD);
    assert_eq!(out["code"], "too_many_attempts");
    // …and a colleague at another desk signs in as usual.
    let out = attempt(&mut desk, "10.0.0.9", "wangfang", PASSWORD);
    assert!(out["token"].is_string(), "{out}");
    // Ten minutes later the desk may try again.
    desk.clock
        .set(xinfang_tests::test_now() + chrono::Duration::minutes(11));
    let out = attempt(&mut desk, "10.0.0.66", "wangfang", PASSWORD);
    assert!(out["token"].is_string(), "{out}");
}

#[test]
fn an_accusation_is_only_for_those_cleared_for_it() {
    let mut desk = TestDesk::new();
    let guide = desk.guide.clone();
    let interviewer = desk.interviewer.clone();
    let handler = desk.handler.clone();
    let supervisor = desk.supervisor.clone();
    let admin = desk.admin.clone();
    let mut settings = desk.ok(&admin, "settings_get", json!({}));
    settings["contact_phone"] = json!("0571-88886666");
    desk.ok(&admin, "settings_set", settings);
    let id = id_number("330106", "19750505", 3);
    let mut accusation = letter("王强", &id, "检举某局干部收受礼金");
    accusation["purpose"] = json!("accusation");
    accusation["matter_class"] = json!("accusation");
    accusation["route"] = Value::Null;
    accusation["request"] = json!("请求查处");
    let matter = desk.ok(&guide, "matter_register", accusation);
    let matter_id = matter["id"].clone();
    desk.ok(
        &handler,
        "matter_forward",
        json!({ "matter_id": matter_id, "unit": "县纪委监委" }),
    );
    let issued = desk.ok(
        &handler,
        "letter_issue",
        json!({ "matter_id": matter_id, "kind": "forward_letter" }),
    );
    let person_id =
        desk.ok(&handler, "person_lookup", json!({ "id_number": id }))[0]["person"]["id"].clone();

    for who in [&guide, &interviewer, &admin] {
        let refused =
            |result: xinfang_core::Result<Value>| result.expect_err("refused").to_api().code;
        // Detail, documents and prints are refused…
        assert_eq!(
            refused(desk.call(who, "matter_get", json!({ "matter_id": matter_id }))),
            "confidential"
        );
        if who.role == Role::Interviewer {
            for (op, input) in [
                ("letter_options", json!({ "matter_id": matter_id })),
                ("letter_list", json!({ "matter_id": matter_id })),
                (
                    "letter_preview",
                    json!({ "matter_id": matter_id, "kind": "forward_letter" }),
                ),
                ("letter_print", json!({ "letter_id": issued["letter_id"] })),
            ] {
                assert_eq!(refused(desk.call(who, op, input)), "confidential", "{op}");
            }
        }
        // …and search and the person's history do not even show that it exists.
        for q in [
            "王强",
            "收受礼金",
            matter["number"].as_str().expect("number"),
        ] {
            let page = desk.ok(who, "matter_search", json!({ "q": q }));
            assert_eq!(page["total"], 0, "{q} for {}", who.username);
        }
        let page = desk.ok(
            who,
            "matter_search",
            json!({ "matter_class": "accusation" }),
        );
        assert_eq!(page["total"], 0);
        let person = desk.ok(who, "person_get", json!({ "person_id": person_id }));
        assert_eq!(person["matters"], json!([]));
        let found = desk.ok(who, "person_lookup", json!({ "id_number": id }));
        assert_eq!(found[0]["matters"], json!([]));
    }
    for who in [&handler, &supervisor] {
        let detail = desk.ok(who, "matter_get", json!({ "matter_id": matter_id }));
        assert_eq!(detail["petitioners"][0]["name"], "王强");
        let page = desk.ok(who, "matter_search", json!({ "q": "王强" }));
        assert_eq!(page["total"], 1);
        let person = desk.ok(who, "person_get", json!({ "person_id": person_id }));
        assert_eq!(person["matters"].as_array().map(Vec::len), Some(1));
    }
    // Every refusal is audited as such.
    let refusals = audit_rows(&desk, "outcome = 'confidential'");
    assert_eq!(refusals.len(), 3 + 4);
}

/// Another process on the same register file (a scheduled backup, a command-line tool) extends
/// the chain while the host signs people in and registers matters: every row lands, none is
/// refused for a taken seq or a lock it could have waited for, and the chain still verifies.
#[test]
fn a_second_writer_on_the_register_file_extends_the_same_chain() {
    use std::sync::{
        Arc, Barrier,
        atomic::{AtomicBool, Ordering},
    };
    let mut desk = TestDesk::new();
    let path = desk.path();
    let count = |desk: &TestDesk| -> i64 {
        desk.register
            .conn()
            .query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))
            .expect("count")
    };
    let before = count(&desk);
    let ready = Arc::new(Barrier::new(2));
    let done = Arc::new(AtomicBool::new(false));
    let tool = std::thread::spawn({
        let (ready, done) = (ready.clone(), done.clone());
        move || {
            let conn = xinfang_core::db::open_existing(&path).expect("second connection");
            ready.wait();
            let mut rows = 0i64;
            while !done.load(Ordering::Relaxed) {
                let entry = xinfang_core::audit::Entry {
                    username: "system".into(),
                    object: format!("register-{rows}.db"),
                    ..xinfang_core::audit::Entry::new(None, "命令行", "backup")
                };
                xinfang_core::audit::record(&conn, xinfang_tests::test_now(), &entry)
                    .unwrap_or_else(|e| panic!("tool row {rows}: {e}"));
                rows += 1;
                // A tool writes a row now and then; a loop that takes the lock back at once
                // would only measure SQLite's (unfair) busy handler.
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            rows
        }
    });
    ready.wait();
    let handler = desk.handler.clone();
    let mut host_rows = 0;
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        for n in 0..40u32 {
            desk.login("lijun", PASSWORD)
                .unwrap_or_else(|e| panic!("sign-in {n}: {e}"));
            let id = id_number("330102", "19800101", n + 1);
            desk.call(
                &handler,
                "matter_register",
                letter("孙丽华", &id, &format!("反映第{n}件事")),
            )
            .unwrap_or_else(|e| panic!("registration {n}: {e}"));
            host_rows += 2;
        }
    }));
    done.store(true, Ordering::Relaxed);
    let tool_rows = tool.join().expect("the tool wrote every row");
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    assert_eq!(
        count(&desk) - before,
        tool_rows + host_rows,
        "every row of both writers landed"
    );
    let desks: Vec<String> = desk
        .register
        .conn()
        .prepare("SELECT desk FROM audit_log ORDER BY seq")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    let switches = desks.windows(2).filter(|w| w[0] != w[1]).count();
    assert!(
        switches > 10,
        "the two writers ran side by side ({switches} hand-overs)"
    );
    assert_verifies(&desk);
}
