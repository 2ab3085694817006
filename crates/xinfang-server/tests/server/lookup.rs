//! The cross-centre person lookup end to end: two real desks and a real hub. A person who
//! petitioned at centre B comes to centre A; A's clerk asks, the question waits in A's register
//! until A's sync worker takes it to the hub, and the answer names B, the date, the class and
//! the status — and none of B's content.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{support::*, sync::*};

const ID: &str = "11010519491231002X";

fn desk(code: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("dir");
    let out = run(xinfang(dir.path()).args([
        "init",
        "--centre-code",
        code,
        "--admin-password",
        ADMIN_PASSWORD,
    ]));
    assert!(out.status.success(), "init: {}", stderr(&out));
    let out = run(xinfang(dir.path()).args(["demo", "--cases", "3"]));
    assert!(out.status.success(), "demo: {}", stderr(&out));
    dir
}

fn enrol(server: &Server, admin: &str, hub: &std::path::Path, port: u16, code: &str) {
    let added = hub_admin(
        hub,
        &[
            "centre",
            "add",
            "--code",
            code,
            "--name",
            &format!("{code}中心"),
        ],
    );
    let enrolment = added
        .lines()
        .find_map(|l| l.strip_prefix("enrolment_code:"))
        .expect("code")
        .trim()
        .to_owned();
    let (ok, body) = server.call(
        "sync_configure",
        Some(admin),
        &json!({"hub_url": format!("http://127.0.0.1:{port}"), "enrolment_code": enrolment}),
    );
    assert_eq!(ok, 200, "{body}");
    wait_for(server, admin, "enrolment and first push", |s| {
        s["enrolled"] == true && s["events_waiting"] == 0
    });
}

fn ask(server: &Server, token: &str, refresh: bool) -> Value {
    let (ok, body) = server.call(
        "person_county_matters",
        Some(token),
        &json!({"id_number": ID, "refresh": refresh}),
    );
    assert_eq!(ok, 200, "{body}");
    body
}

fn answered(server: &Server, token: &str) -> Value {
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let now = ask(server, token, false);
        if now["state"] != "pending" {
            return now;
        }
        assert!(Instant::now() < until, "never answered: {now}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_clerk_learns_that_the_person_petitioned_at_another_centre() {
    let hub_dir = tempfile::tempdir().expect("hub dir");
    let hub = Hub::start(hub_dir.path(), "127.0.0.1:0");
    let (a_dir, b_dir) = (desk("XF3301"), desk("XF3302"));
    let a = Server::start_with(a_dir.path(), &["--sync-interval", "60"]);
    let b = Server::start_with(b_dir.path(), &["--sync-interval", "60"]);
    let a_admin = a.login("admin", ADMIN_PASSWORD);
    let b_admin = b.login("admin", ADMIN_PASSWORD);
    let a_clerk = a.login("wangfang", "demo-pass-2026");
    let b_clerk = b.login("wangfang", "demo-pass-2026");

    // Not connected yet: the desk says so instead of waiting.
    assert_eq!(ask(&a, &a_clerk, false)["state"], "not_connected");
    let (bad, err) = a.call(
        "person_county_matters",
        Some(&a_clerk),
        &json!({"id_number": "12"}),
    );
    assert_eq!(
        (bad, err["field"].as_str()),
        (422, Some("id_number")),
        "{err}"
    );

    enrol(&b, &b_admin, hub_dir.path(), hub.port, "XF3302");
    enrol(&a, &a_admin, hub_dir.path(), hub.port, "XF3301");
    // The person petitions at B; B's next run takes it to the hub.
    let (ok, body) = b.call("matter_register", Some(&b_clerk), &letter("反映宅基地纠纷"));
    assert_eq!(ok, 200, "{body}");
    let (ok, _) = b.call("sync_request", Some(&b_admin), &json!({}));
    assert_eq!(ok, 200);
    wait_for(&b, &b_admin, "B's push", |s| s["events_waiting"] == 0);

    // At A: the first question is pending (the worker is asked to run), then answered.
    let first = ask(&a, &a_clerk, false);
    assert_eq!(first["state"], "pending", "{first}");
    let answer = answered(&a, &a_clerk);
    assert_eq!(answer["state"], "answered", "{answer}");
    let matters = answer["matters"].as_array().expect("matters");
    assert_eq!(matters.len(), 1, "{answer}");
    assert_eq!(matters[0]["centre_code"], "XF3302");
    assert_eq!(matters[0]["status_name"], "已登记");
    assert!(
        !answer.to_string().contains("宅基地"),
        "no content: {answer}"
    );
    // Asked again within ten minutes: answered at once from the register.
    assert_eq!(ask(&a, &a_clerk, false)["state"], "answered");
    drop(hub);
    // The hub away: a refreshed question waits; the desk does not.
    let started = Instant::now();
    assert_eq!(ask(&a, &a_clerk, true)["state"], "pending");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the desk never waits for the hub"
    );
}
