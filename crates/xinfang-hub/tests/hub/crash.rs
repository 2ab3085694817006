//! kill -9 of the hub mid-push: killed inside the push transaction, the batch is not there and
//! the mark is where it was; killed after the commit but before the answer, the batch is there;
//! either way re-pushing the batch leaves every event stored once. SIGTERM stops it cleanly.

use std::time::Duration;

use serde_json::json;

use crate::support::{Hub, count, enrolled, events, raw, value, write_locked};

/// Waits until the hub holds the store's write lock for a while (the paused push), or until
/// `check` says the batch is committed.
fn wait_for(what: &str, check: impl Fn() -> bool) {
    for _ in 0..500 {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the hub never got to: {what}");
}

fn push_in_background(
    hub: &Hub,
    token: &str,
    batch: Vec<xinfang_sync::WireEvent>,
) -> std::thread::JoinHandle<Option<u16>> {
    let port = hub.port;
    let token = token.to_owned();
    std::thread::spawn(move || {
        let body = serde_json::to_vec(&json!({ "events": batch })).expect("body");
        raw(port, "POST", "/api/v1/push", Some(&token), &body).map(|(status, _, _)| status)
    })
}

#[test]
fn a_hub_killed_mid_push_keeps_its_mark_and_a_re_push_stores_nothing_twice() {
    let dir = crate::support::data_dir();
    let data = dir.path();
    let hub = Hub::start(data);
    let centre = enrolled(&hub, "XF3301", 0xA);
    let (status, body) = hub.push(&centre.credential, &events(centre.origin, 1..=20));
    assert_eq!((status, &body["acknowledged"]), (200, &json!(20)));
    hub.kill9();

    // 1. Killed inside the transaction: nothing of the batch is there.
    let hub = Hub::start_with(data, &["--fault-before-commit-ms", "10000"]);
    let pending = push_in_background(&hub, &centre.credential, events(centre.origin, 21..=40));
    wait_for("hold the write lock", || {
        // Twice, a moment apart: the paused push, not a passing log write.
        write_locked(data) && {
            std::thread::sleep(Duration::from_millis(200));
            write_locked(data)
        }
    });
    hub.kill9();
    assert_eq!(
        pending.join().expect("thread"),
        None,
        "no answer from a killed hub"
    );
    let hub = Hub::start(data);
    let (_, mark) = hub.get("/api/v1/mark", Some(&centre.credential));
    assert_eq!(mark["acknowledged"], 20, "the mark is where it was");
    assert_eq!(count(data, "SELECT count(*) FROM events"), 20);
    assert_eq!(count(data, "SELECT count(*) FROM held"), 0);
    let (_, body) = hub.push(&centre.credential, &events(centre.origin, 1..=20));
    assert_eq!(
        (&body["acknowledged"], &body["rejected"]),
        (&json!(20), &json!([]))
    );
    assert_eq!(
        count(data, "SELECT count(*) FROM events"),
        20,
        "re-push is a no-op"
    );
    hub.kill9();

    // 2. Killed after the commit, before the answer: the desk never heard, the hub has it.
    let hub = Hub::start_with(data, &["--fault-after-commit-ms", "10000"]);
    let pending = push_in_background(&hub, &centre.credential, events(centre.origin, 21..=40));
    wait_for("commit the batch", || {
        value::<i64>(data, "SELECT coalesce(max(acknowledged), 0) FROM marks") == 40
    });
    hub.kill9();
    assert_eq!(pending.join().expect("thread"), None);
    let hub = Hub::start(data);
    let (_, mark) = hub.get("/api/v1/mark", Some(&centre.credential));
    assert_eq!(mark["acknowledged"], 40);
    let (status, body) = hub.push(&centre.credential, &events(centre.origin, 21..=40));
    assert_eq!(status, 200);
    assert_eq!(
        (&body["acknowledged"], &body["rejected"]),
        (&json!(40), &json!([]))
    );
    assert_eq!(
        count(data, "SELECT count(*) FROM events"),
        40,
        "the re-push is a no-op"
    );
    assert_eq!(count(data, "SELECT count(DISTINCT id) FROM events"), 40);
    assert_eq!(count(data, "SELECT count(*) FROM held"), 0);
}

/// SIGTERM: the graceful shutdown (the store closed from the server's runtime, which the
/// PostgreSQL client must not block on) exits 0 without a panic, and the data stays.
#[cfg(unix)]
#[test]
fn a_hub_stopped_with_sigterm_exits_cleanly_and_keeps_what_it_acknowledged() {
    use std::io::{BufRead, BufReader};
    let dir = crate::support::data_dir();
    let data = dir.path();
    let centre = {
        let hub = Hub::start(data);
        let centre = enrolled(&hub, "XF3301", 0xA);
        let (status, _) = hub.push(&centre.credential, &events(centre.origin, 1..=5));
        assert_eq!(status, 200);
        centre
    };
    let mut child = crate::support::hub_cmd(data)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("address").expect("line");
    let port: u16 = first
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    let (status, _, body) =
        raw(port, "GET", "/api/v1/mark", Some(&centre.credential), b"").expect("answer");
    assert_eq!(status, 200, "{body}");
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let hub = Hub::start(data);
    let (_, mark) = hub.get("/api/v1/mark", Some(&centre.credential));
    assert_eq!(mark["acknowledged"], 5);
}

/// The database ends the hub's session (a PostgreSQL restart or an administrator): the next
/// request opens a new connection and is answered, nothing lost. (SQLite has no session to
/// end; there the requests are simply answered.)
#[test]
fn a_session_the_database_ended_is_reopened_without_failing_a_request() {
    let dir = crate::support::data_dir();
    let hub = Hub::start(dir.path());
    let centre = enrolled(&hub, "XF3301", 0xA);
    let (status, _) = hub.push(&centre.credential, &events(centre.origin, 1..=3));
    assert_eq!(status, 200);
    if crate::support::database_url(dir.path()).is_some() {
        let ended: Vec<bool> = crate::support::column(
            dir.path(),
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        );
        assert!(!ended.is_empty() && ended.iter().all(|e| *e), "{ended:?}");
    }
    let (status, body) = hub.push(&centre.credential, &events(centre.origin, 4..=6));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["acknowledged"], 6);
    assert_eq!(count(dir.path(), "SELECT count(*) FROM events"), 6);
}
