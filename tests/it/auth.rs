//! Identity and sessions (issue 8 §1): the password policy and history, the lockout after
//! failed sign-ins and its expiry, idle and maximum session age, the forced change of an
//! initial or reset password, and disabling a user at once. Time moves only through the
//! desk's clock.

use chrono::Duration;
use serde_json::{Value, json};
use xinfang_core::{Error, verify};
use xinfang_tests::{PASSWORD, TestDesk, test_now};

fn code(result: xinfang_core::Result<Value>) -> (String, Option<String>, String) {
    let api = result.expect_err("must be refused").to_api();
    (api.code, api.field, api.message)
}

fn token(login: &Value) -> String {
    login["token"].as_str().expect("token").to_owned()
}

fn sessions_of(desk: &TestDesk, user_id: &str) -> i64 {
    desk.register
        .conn()
        .query_row(
            "SELECT count(*) FROM sessions WHERE user_id = ?1",
            [user_id],
            |r| r.get(0),
        )
        .expect("count sessions")
}

fn assert_rebuilds(desk: &TestDesk) {
    let report =
        verify::verify_file(&desk.path(), &desk.dir.path().join("scratch.db")).expect("verify");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

/// Creates a user as the administrator and returns their id.
fn create_user(desk: &mut TestDesk, username: &str, password: &str) -> String {
    let admin = desk.admin.clone();
    let user = desk.ok(
        &admin,
        "user_create",
        json!({ "username": username, "display_name": "孙丽", "role": "guide", "password": password }),
    );
    user["id"].as_str().expect("id").to_owned()
}

#[test]
fn a_new_password_needs_ten_characters_three_classes_and_not_the_user_name() {
    let mut desk = TestDesk::new();
    let guide = desk.guide.clone();
    let change = |desk: &mut TestDesk, new: &str| {
        desk.call(
            &guide,
            "password_change",
            json!({ "old_password": PASSWORD, "new_password": new }),
        )
    };
    for (weak, says) in [
        ("Abc-1234", "10个字符"),
        ("abcdefgh-ij", "三类"),
        ("1234567890", "三类"),
    ] {
        let (code, field, message) = code(change(&mut desk, weak));
        assert_eq!(
            (code.as_str(), field.as_deref()),
            ("weak_password", Some("new_password")),
            "{weak}"
        );
        assert!(message.contains(says), "{weak}: {message}");
    }
    // Long and mixed enough, but the user name itself (in any case).
    let admin = desk.admin.clone();
    let (code_, field, message) = code(desk.call(
        &admin,
        "user_create",
        json!({ "username": "Sun.Li-2026", "display_name": "孙丽", "role": "guide", "password": "sun.li-2026" }),
    ));
    assert_eq!(
        (code_.as_str(), field.as_deref()),
        ("weak_password", Some("password"))
    );
    assert!(message.contains("用户名"), "{message}");

    // A wrong old password is named at its own field and is no failed sign-in.
    let (code_, field, _) = code(desk.call(
        &guide,
        "password_change",
        json!({ "old_password": "Not-the-old-1", "new_password": "Strong-pass-2027" }),
    ));
    assert_eq!(
        (code_.as_str(), field.as_deref()),
        ("wrong_password", Some("old_password"))
    );
    let failures: i64 = desk
        .register
        .conn()
        .query_row("SELECT count(*) FROM sign_in_failures", [], |r| r.get(0))
        .expect("count");
    assert_eq!(failures, 0);

    // Three classes of any kind will do: lower case, digits and Chinese.
    desk.ok(
        &guide,
        "password_change",
        json!({ "old_password": PASSWORD, "new_password": "接待大厅2026xf" }),
    );
    assert!(desk.login("wangfang", "接待大厅2026xf").is_ok());
}

#[test]
fn none_of_the_last_five_passwords_may_be_used_again() {
    let mut desk = TestDesk::new();
    let guide = desk.guide.clone();
    let mut current = PASSWORD.to_owned();
    let mut change = |desk: &mut TestDesk, new: &str| {
        let result = desk.call(
            &guide,
            "password_change",
            json!({ "old_password": current, "new_password": new }),
        );
        if result.is_ok() {
            current = new.to_owned();
        }
        result
    };
    let (code_, field, message) = code(change(&mut desk, PASSWORD));
    assert_eq!(
        (code_.as_str(), field.as_deref()),
        ("password_reused", Some("new_password")),
        "the current password is one of the five"
    );
    assert!(message.contains('5'), "{message}");
    for n in 1..=4 {
        desk.clock.set(test_now() + Duration::days(n));
        change(&mut desk, &format!("Second-pass-{n}")).expect("a new password");
    }
    // Five remembered: the first and the four since.
    for old in [PASSWORD, "Second-pass-1", "Second-pass-3", "Second-pass-4"] {
        let (code_, _, _) = code(change(&mut desk, old));
        assert_eq!(code_, "password_reused", "{old}");
    }
    change(&mut desk, "Second-pass-5").expect("a sixth");
    // The first has dropped out of the five; the others have not.
    let (code_, _, _) = code(change(&mut desk, "Second-pass-1"));
    assert_eq!(code_, "password_reused");
    change(&mut desk, PASSWORD).expect("the first password is six changes old");
    let kept: i64 = desk
        .register
        .conn()
        .query_row(
            "SELECT count(*) FROM user_passwords WHERE user_id = ?1",
            [guide.user_id.to_string()],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(kept, 5, "only five hashes are kept");
    assert_rebuilds(&desk);
}

#[test]
fn five_failures_in_a_row_lock_the_account_for_fifteen_minutes_even_across_a_restart() {
    let mut desk = TestDesk::new();
    // Four failures, then success: the count starts again.
    for n in 1..=4 {
        let (code_, _, message) = code(desk.login("wangfang", "wrong-password"));
        assert_eq!(code_, "unauthenticated");
        assert!(
            message.contains(&format!("再输错{}次", 5 - n)),
            "{n}: {message}"
        );
    }
    desk.login("wangfang", PASSWORD)
        .expect("a success resets the count");
    for _ in 1..=4 {
        let (code_, _, _) = code(desk.login("wangfang", "wrong-password"));
        assert_eq!(code_, "unauthenticated", "counted from zero again");
    }
    // The fifth failure locks, until 09:45 China time (the clock says 09:30).
    let (code_, _, message) = code(desk.login("wangfang", "wrong-password"));
    assert_eq!(code_, "locked");
    assert!(message.contains("09:45"), "{message}");
    let err = desk
        .login("wangfang", PASSWORD)
        .expect_err("the right password is refused while locked");
    assert_eq!(err.code(), "locked");
    assert_eq!(err.http_status(), 403);
    assert!(err.to_api().message.contains("09:45"));

    // The lock is in the file, not in memory.
    desk.restart();
    desk.clock.set(test_now() + Duration::minutes(14));
    let (code_, _, _) = code(desk.login("wangfang", PASSWORD));
    assert_eq!(code_, "locked", "still locked after a restart");
    // Other users are not affected.
    desk.login("lijun", PASSWORD)
        .expect("another user signs in");

    desk.clock.set(test_now() + Duration::minutes(15));
    let login = desk
        .login("wangfang", PASSWORD)
        .expect("the lock has expired");
    assert_eq!(login["must_change_password"], false);
    // And the count starts from zero after the lock.
    let (code_, _, message) = code(desk.login("wangfang", "wrong-password"));
    assert_eq!(code_, "unauthenticated");
    assert!(message.contains("再输错4次"), "{message}");
}

#[test]
fn an_unknown_name_is_answered_exactly_like_a_real_one() {
    let mut desk = TestDesk::new();
    let mut answers = Vec::new();
    for name in ["wangfang", "nobody"] {
        let mut codes = Vec::new();
        for _ in 0..5 {
            let (code_, _, message) = code(desk.login(name, "wrong-password"));
            codes.push((code_, message));
        }
        answers.push(codes);
    }
    assert_eq!(
        answers[0], answers[1],
        "a guesser cannot tell which names exist"
    );
    assert_eq!(answers[1][4].0, "locked");
    let stored: Vec<String> = desk
        .register
        .conn()
        .prepare("SELECT name_key FROM sign_in_failures")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert!(
        stored
            .iter()
            .all(|k| k.len() == 64 && !k.contains("nobody")),
        "names are stored hashed: {stored:?}"
    );
}

#[test]
fn the_lockout_follows_its_settings() {
    let mut desk = TestDesk::new();
    let admin = desk.admin.clone();
    let mut settings = desk.ok(&admin, "settings_get", json!({}));
    assert_eq!(
        (
            &settings["login_lockout_failures"],
            &settings["login_lockout_minutes"],
            &settings["session_idle_minutes"],
            &settings["session_max_hours"]
        ),
        (&json!(5), &json!(15), &json!(30), &json!(12))
    );
    for (key, bad) in [
        ("login_lockout_failures", 0),
        ("login_lockout_failures", 11),
        ("login_lockout_minutes", 0),
        ("session_idle_minutes", 0),
        ("session_idle_minutes", 241),
        ("session_max_hours", 0),
        ("session_max_hours", 25),
    ] {
        let mut wrong = settings.clone();
        wrong[key] = json!(bad);
        let (code_, field, message) = code(desk.call(&admin, "settings_set", wrong));
        assert_eq!(
            (code_.as_str(), field.as_deref()),
            ("out_of_range", Some(key)),
            "{key} = {bad}"
        );
        assert!(!message.is_ascii(), "a Chinese message: {message}");
    }
    let mut wrong = settings.clone();
    wrong["session_idle_minutes"] = json!(240);
    wrong["session_max_hours"] = json!(3);
    let (code_, field, _) = code(desk.call(&admin, "settings_set", wrong));
    assert_eq!(
        (code_.as_str(), field.as_deref()),
        ("out_of_range", Some("session_max_hours")),
        "a session cannot end sooner than its idle limit"
    );

    settings["login_lockout_failures"] = json!(3);
    settings["login_lockout_minutes"] = json!(60);
    desk.ok(&admin, "settings_set", settings);
    for _ in 0..2 {
        assert_eq!(
            code(desk.login("wangfang", "wrong-password")).0,
            "unauthenticated"
        );
    }
    let (code_, _, message) = code(desk.login("wangfang", "wrong-password"));
    assert_eq!(code_, "locked");
    assert!(message.contains("10:30"), "{message}");
    desk.clock.set(test_now() + Duration::minutes(59));
    assert_eq!(code(desk.login("wangfang", PASSWORD)).0, "locked");
    desk.clock.set(test_now() + Duration::minutes(60));
    desk.login("wangfang", PASSWORD)
        .expect("unlocked after an hour");
}

#[test]
fn a_session_ends_after_thirty_idle_minutes_and_last_seen_is_written_once_a_minute() {
    let mut desk = TestDesk::new();
    let guide_id = desk.guide.user_id.to_string();
    let t = token(&desk.login("wangfang", PASSWORD).expect("login"));
    let last_seen = |desk: &TestDesk| -> String {
        desk.register
            .conn()
            .query_row(
                "SELECT last_seen FROM sessions WHERE token = ?1",
                [&t],
                |r| r.get(0),
            )
            .expect("session row")
    };
    let signed_in_at = last_seen(&desk);

    desk.clock.set(test_now() + Duration::seconds(30));
    desk.call_token(&t, "matter_search", json!({}))
        .expect("a fresh session");
    assert_eq!(
        last_seen(&desk),
        signed_in_at,
        "not written again within a minute"
    );
    desk.clock.set(test_now() + Duration::seconds(61));
    desk.call_token(&t, "session_me", json!({}))
        .expect("active");
    let noted = last_seen(&desk);
    assert!(noted > signed_in_at, "{noted} after {signed_in_at}");

    // Busy every 29 minutes: the session lives on.
    let mut at = test_now() + Duration::seconds(61);
    for _ in 0..3 {
        at += Duration::minutes(29);
        desk.clock.set(at);
        desk.call_token(&t, "session_me", json!({}))
            .expect("used within 30 minutes");
    }
    // Then 30 minutes without a request.
    desk.clock.set(at + Duration::minutes(30));
    let (code_, _, message) = code(desk.call_token(&t, "matter_search", json!({})));
    assert_eq!(
        code_, "unauthenticated",
        "the desk asks for the password again"
    );
    assert!(message.contains("30分钟"), "{message}");
    assert_eq!(
        sessions_of(&desk, &guide_id),
        0,
        "the expired session is gone"
    );
    let (code_, _, _) = code(desk.call_token(&t, "session_me", json!({})));
    assert_eq!(code_, "unauthenticated");

    // Signing in again works; the idle limit is a setting.
    let admin = desk.admin.clone();
    let mut settings = desk.ok(&admin, "settings_get", json!({}));
    settings["session_idle_minutes"] = json!(5);
    desk.ok(&admin, "settings_set", settings);
    let start = at + Duration::minutes(30);
    let t = token(&desk.login("wangfang", PASSWORD).expect("login again"));
    desk.clock.set(start + Duration::minutes(4));
    desk.call_token(&t, "session_me", json!({}))
        .expect("4 minutes");
    desk.clock.set(start + Duration::minutes(9));
    let (_, _, message) = code(desk.call_token(&t, "session_me", json!({})));
    assert!(message.contains("5分钟"), "{message}");
}

#[test]
fn a_session_ends_twelve_hours_after_sign_in_however_busy() {
    let mut desk = TestDesk::new();
    let t = token(&desk.login("zhaomin", PASSWORD).expect("login"));
    let mut minutes = 0;
    while minutes + 20 < 12 * 60 {
        minutes += 20;
        desk.clock.set(test_now() + Duration::minutes(minutes));
        desk.call_token(&t, "session_me", json!({}))
            .unwrap_or_else(|e| panic!("at {minutes} minutes: {e}"));
    }
    desk.clock.set(test_now() + Duration::hours(12));
    let (code_, _, message) = code(desk.call_token(&t, "session_me", json!({})));
    assert_eq!(code_, "unauthenticated");
    assert!(message.contains("12小时"), "{message}");
    // Expired sessions of others are cleared when anyone signs in.
    let other = token(&desk.login("lijun", PASSWORD).expect("login"));
    desk.clock
        .set(test_now() + Duration::hours(12) + Duration::minutes(31));
    desk.login("chenjing", PASSWORD).expect("login");
    let left: i64 = desk
        .register
        .conn()
        .query_row(
            "SELECT count(*) FROM sessions WHERE token = ?1",
            [&other],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(left, 0, "an idle session is removed at the next sign-in");
}

#[test]
fn a_user_created_by_the_administrator_changes_the_password_before_anything_else() {
    let mut desk = TestDesk::new();
    let id = create_user(&mut desk, "sunli", "Initial-2026");
    let admin = desk.admin.clone();
    let users = desk.ok(&admin, "user_list", json!({}));
    let listed = users
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["id"] == json!(id))
        .expect("listed")
        .clone();
    assert_eq!(listed["must_change_password"], true);

    let login = desk.login("sunli", "Initial-2026").expect("sign in");
    assert_eq!(login["must_change_password"], true);
    let t = token(&login);
    let me = desk
        .call_token(&t, "session_me", json!({}))
        .expect("allowed");
    assert_eq!(me["must_change_password"], true);
    for (op, input) in [
        ("matter_search", json!({})),
        ("ticket_list", json!({})),
        ("settings_get", json!({})),
    ] {
        let err = desk.call_token(&t, op, input).expect_err(op);
        assert_eq!(
            (err.code(), err.http_status()),
            ("password_change_required", 403),
            "{op}"
        );
    }
    // The initial password itself does not count as a change.
    let (code_, field, _) = code(desk.call_token(
        &t,
        "password_change",
        json!({ "old_password": "Initial-2026", "new_password": "Initial-2026" }),
    ));
    assert_eq!(
        (code_.as_str(), field.as_deref()),
        ("password_reused", Some("new_password"))
    );
    desk.call_token(
        &t,
        "password_change",
        json!({ "old_password": "Initial-2026", "new_password": "Sunli-own-2026" }),
    )
    .expect("changed");
    // The same session now works.
    let me = desk
        .call_token(&t, "session_me", json!({}))
        .expect("session_me");
    assert_eq!(me["must_change_password"], false);
    desk.call_token(&t, "matter_search", json!({}))
        .expect("the desk is open");
    let login = desk.login("sunli", "Sunli-own-2026").expect("sign in");
    assert_eq!(login["must_change_password"], false);

    // A user who must change may still sign out.
    create_user(&mut desk, "zhouqi", "Initial-2026");
    let t = token(&desk.login("zhouqi", "Initial-2026").expect("sign in"));
    desk.call_token(&t, "auth_logout", json!({ "token": t }))
        .expect("sign out");

    // The same rule holds for a session from `authenticate` (the command line).
    let session = xinfang_core::auth::authenticate(&desk.register, "zhouqi", "Initial-2026")
        .expect("authenticate");
    assert!(session.must_change_password);
    let err = xinfang_core::ops::call(
        &mut desk.register,
        Some(&session),
        "matter_search",
        json!({}),
    )
    .expect_err("refused");
    assert!(matches!(
        err,
        Error::Account {
            code: "password_change_required",
            ..
        }
    ));

    // The fixture's own staff (like the demo staff) work straight away.
    let login = desk.login("wangfang", PASSWORD).expect("sign in");
    assert_eq!(login["must_change_password"], false);
    assert_rebuilds(&desk);
}

#[test]
fn an_administrator_resets_a_password_to_a_temporary_one_shown_once() {
    let mut desk = TestDesk::new();
    let admin = desk.admin.clone();
    let guide = desk.guide.clone();
    let guide_id = guide.user_id.to_string();
    let before = token(&desk.login("wangfang", PASSWORD).expect("login"));
    // Locked out, too.
    for _ in 0..5 {
        let _ = desk.login("wangfang", "wrong-password");
    }
    assert_eq!(code(desk.login("wangfang", PASSWORD)).0, "locked");

    let reset = desk.ok(
        &admin,
        "user_password_reset",
        json!({ "user_id": guide_id }),
    );
    let temporary = reset["temporary_password"].as_str().expect("password");
    assert_eq!(temporary.chars().count(), 12);
    xinfang_core::auth::check_password_policy(temporary, "wangfang", "p")
        .expect("the temporary password passes the policy");
    assert_eq!(reset["user"]["must_change_password"], true);
    let stored: String = desk
        .register
        .conn()
        .query_row(
            "SELECT payload FROM events ORDER BY rid DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .expect("payload");
    assert!(
        !stored.contains(temporary),
        "only the hash is recorded: {stored}"
    );

    let (code_, _, _) = code(desk.call_token(&before, "session_me", json!({})));
    assert_eq!(code_, "unauthenticated", "the user's sessions ended");
    assert_eq!(
        code(desk.login("wangfang", PASSWORD)).0,
        "unauthenticated",
        "the old password is gone"
    );
    let login = desk
        .login("wangfang", temporary)
        .expect("the reset lifts the lock");
    assert_eq!(login["must_change_password"], true);
    let t = token(&login);
    assert_eq!(
        code(desk.call_token(&t, "matter_search", json!({}))).0,
        "password_change_required"
    );
    desk.call_token(
        &t,
        "password_change",
        json!({ "old_password": temporary, "new_password": "Wangfang-new-2026" }),
    )
    .expect("changed");
    desk.call_token(&t, "matter_search", json!({}))
        .expect("back at work");

    // Not for oneself, and only for administrators.
    let (code_, field, _) = code(desk.call(
        &admin,
        "user_password_reset",
        json!({ "user_id": admin.user_id }),
    ));
    assert_eq!(
        (code_.as_str(), field.as_deref()),
        ("own_account", Some("user_id"))
    );
    let (code_, _, _) = code(desk.call(
        &guide,
        "user_password_reset",
        json!({ "user_id": desk.handler.user_id }),
    ));
    assert_eq!(code_, "forbidden");
    let kinds: Vec<String> = desk
        .register
        .conn()
        .prepare("SELECT kind FROM events WHERE kind LIKE 'user.%' ORDER BY rid")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert!(
        kinds.ends_with(&["user.password_reset".into(), "user.password_changed".into()]),
        "{kinds:?}"
    );
    assert_rebuilds(&desk);
}

#[test]
fn disabling_a_user_ends_their_sessions_at_once_and_stops_sign_in() {
    let mut desk = TestDesk::new();
    let admin = desk.admin.clone();
    let guide_id = desk.guide.user_id.to_string();
    let first = token(&desk.login("wangfang", PASSWORD).expect("login"));
    let second = token(
        &desk
            .login("wangfang", PASSWORD)
            .expect("login on a second desk"),
    );
    assert_eq!(sessions_of(&desk, &guide_id), 2);

    let user = desk.ok(
        &admin,
        "user_set_active",
        json!({ "user_id": guide_id, "active": false }),
    );
    assert_eq!(user["active"], false);
    assert_eq!(sessions_of(&desk, &guide_id), 0);
    for t in [&first, &second] {
        let (code_, _, _) = code(desk.call_token(t, "matter_search", json!({})));
        assert_eq!(code_, "unauthenticated");
    }
    let err = desk
        .login("wangfang", PASSWORD)
        .expect_err("a disabled user cannot sign in");
    assert_eq!((err.code(), err.http_status()), ("disabled", 403));
    assert_eq!(
        code(desk.login("wangfang", "wrong-password")).0,
        "unauthenticated",
        "a wrong password does not reveal that the account is disabled"
    );
    let last: String = desk
        .register
        .conn()
        .query_row(
            "SELECT kind FROM events ORDER BY rid DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .expect("kind");
    assert_eq!(last, "user.active_changed");

    // Not oneself; only an administrator.
    let (code_, field, _) = code(desk.call(
        &admin,
        "user_set_active",
        json!({ "user_id": admin.user_id, "active": false }),
    ));
    assert_eq!(
        (code_.as_str(), field.as_deref()),
        ("own_account", Some("user_id"))
    );
    let supervisor = desk.supervisor.clone();
    let (code_, _, _) = code(desk.call(
        &supervisor,
        "user_set_active",
        json!({ "user_id": desk.handler.user_id, "active": false }),
    ));
    assert_eq!(code_, "forbidden");

    // Enabled again, the same password works.
    let events = desk.event_count();
    desk.ok(
        &admin,
        "user_set_active",
        json!({ "user_id": guide_id, "active": true }),
    );
    desk.ok(
        &admin,
        "user_set_active",
        json!({ "user_id": guide_id, "active": true }),
    );
    assert_eq!(desk.event_count(), events + 1, "no change, no event");
    let t = token(&desk.login("wangfang", PASSWORD).expect("enabled again"));
    desk.call_token(&t, "matter_search", json!({}))
        .expect("works");
    assert_rebuilds(&desk);
}

#[test]
fn changing_ones_password_ends_ones_other_sessions_but_not_this_one() {
    let mut desk = TestDesk::new();
    let user_id = create_user(&mut desk, "wuhong", "Initial-2026");
    let first = token(&desk.login("wuhong", "Initial-2026").expect("sign in"));
    desk.call_token(
        &first,
        "password_change",
        json!({ "old_password": "Initial-2026", "new_password": "Wuhong-own-2026" }),
    )
    .expect("changed");
    // Signed in at two desks; the password changes at one of them.
    let here = token(&desk.login("wuhong", "Wuhong-own-2026").expect("sign in"));
    let there = token(&desk.login("wuhong", "Wuhong-own-2026").expect("sign in"));
    assert_eq!(sessions_of(&desk, &user_id), 3);
    desk.call_token(
        &here,
        "password_change",
        json!({ "old_password": "Wuhong-own-2026", "new_password": "Wuhong-next-2026" }),
    )
    .expect("changed");
    assert_eq!(sessions_of(&desk, &user_id), 1);
    desk.call_token(&here, "session_me", json!({}))
        .expect("the desk that changed it stays signed in");
    for stale in [&first, &there] {
        let err = desk
            .call_token(stale, "session_me", json!({}))
            .expect_err("ended");
        assert_eq!(err.code(), "unauthenticated");
    }
    // A refused change (wrong old password) ends nothing.
    let again = token(&desk.login("wuhong", "Wuhong-next-2026").expect("sign in"));
    let (code_, field, _) = code(desk.call_token(
        &here,
        "password_change",
        json!({ "old_password": "wrong-Password-1", "new_password": "Wuhong-last-2026" }),
    ));
    assert_eq!(
        (code_.as_str(), field.as_deref()),
        ("wrong_password", Some("old_password"))
    );
    desk.call_token(&again, "session_me", json!({}))
        .expect("still signed in");
    assert_rebuilds(&desk);
}
