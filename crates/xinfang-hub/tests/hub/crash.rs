//! kill -9 of the hub mid-push: killed inside the push transaction, the batch is not there and
//! the mark is where it was; killed after the commit but before the answer, the batch is there;
//! either way re-pushing the batch leaves every event stored once.

use std::time::Duration;

use serde_json::json;

use crate::support::{Hub, count, enrolled, events, raw};

/// Waits until the hub holds the store's write lock for a while (the paused push), or until
/// `done` says the batch is committed.
fn wait_for(data: &std::path::Path, what: &str, check: impl Fn(&rusqlite::Connection) -> bool) {
    let conn = rusqlite::Connection::open(data.join("hub.db")).expect("open");
    for _ in 0..500 {
        if check(&conn) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the hub never got to: {what}");
}

fn write_locked(conn: &rusqlite::Connection) -> bool {
    conn.busy_timeout(Duration::ZERO).expect("timeout");
    match conn.execute_batch("BEGIN IMMEDIATE") {
        Ok(()) => {
            conn.execute_batch("ROLLBACK").expect("rollback");
            false
        }
        Err(_) => true,
    }
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
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path();
    let hub = Hub::start(data);
    let centre = enrolled(&hub, "XF3301", 0xA);
    let (status, body) = hub.push(&centre.credential, &events(centre.origin, 1..=20));
    assert_eq!((status, &body["acknowledged"]), (200, &json!(20)));
    hub.kill9();

    // 1. Killed inside the transaction: nothing of the batch is there.
    let hub = Hub::start_with(data, &["--fault-before-commit-ms", "10000"]);
    let pending = push_in_background(&hub, &centre.credential, events(centre.origin, 21..=40));
    wait_for(data, "hold the write lock", |conn| {
        // Twice, a moment apart: the paused push, not a passing log write.
        write_locked(conn) && {
            std::thread::sleep(Duration::from_millis(200));
            write_locked(conn)
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
    wait_for(data, "commit the batch", |conn| {
        conn.query_row("SELECT acknowledged FROM marks", [], |r| r.get::<_, i64>(0))
            .is_ok_and(|m| m == 40)
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
