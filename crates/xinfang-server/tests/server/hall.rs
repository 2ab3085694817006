//! The hall over HTTP: many rooms pressing “call next” at once from parallel connections get
//! every waiting visitor exactly once, a killed host restarts with the queue as it was, a
//! scripted day keeps every invariant, and the change feed tells listeners of each change.

use std::{collections::HashSet, sync::Arc};

use serde_json::{Value, json};

use crate::support::*;

fn hall(server: &Server) -> (String, Vec<String>) {
    let admin = server.login("admin", ADMIN_PASSWORD);
    for (user, role) in [("zhang", "interviewer"), ("wang", "guide")] {
        let (status, body) = server.call(
            "user_create",
            Some(&admin),
            &json!({ "username": user, "display_name": user, "role": role, "password": "Hall-init-2026" }),
        );
        assert_eq!(status, 200, "{body}");
        server.first_login(user, "Hall-init-2026", "hall-pass-2026");
    }
    let (status, _) = server.call(
        "hall_queue_set",
        Some(&admin),
        &json!({ "code": "general", "name": "综合接待", "prefix": "A" }),
    );
    assert_eq!(status, 200);
    let mut rooms = Vec::new();
    for n in 1..=4 {
        let (status, setup) = server.call(
            "hall_room_set",
            Some(&admin),
            &json!({ "name": format!("{n}号接待室"), "queues": ["general"] }),
        );
        assert_eq!(status, 200, "{setup}");
        rooms = setup["rooms"]
            .as_array()
            .expect("rooms")
            .iter()
            .map(|r| r["id"].as_str().expect("id").to_owned())
            .collect();
    }
    (server.login("wang", "hall-pass-2026"), rooms)
}

#[test]
fn parallel_calls_from_several_rooms_serve_each_ticket_once() {
    let dir = initialised(0);
    let server = Arc::new(Server::start(dir.path()));
    let (guide, rooms) = hall(&server);
    let mut issued = HashSet::new();
    for i in 0..60 {
        let (status, t) = server.call(
            "ticket_issue",
            Some(&guide),
            &json!({ "queue": "general", "name": format!("访客{i}") }),
        );
        assert_eq!(status, 200, "{t}");
        issued.insert(t["id"].as_str().expect("id").to_owned());
    }
    let token = Arc::new(server.login("zhang", "hall-pass-2026"));
    let rooms = Arc::new(rooms);
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let (server, token, rooms) = (server.clone(), token.clone(), rooms.clone());
            std::thread::spawn(move || {
                let mut got = Vec::new();
                loop {
                    let room = &rooms[w % rooms.len()];
                    let (status, body) = server.call(
                        "ticket_call_next",
                        Some(&token),
                        &json!({ "room_id": room }),
                    );
                    if status == 200 {
                        got.push(body["id"].as_str().expect("id").to_owned());
                    } else {
                        assert_eq!(body["code"], "queue_empty", "{body}");
                        return got;
                    }
                }
            })
        })
        .collect();
    let mut called = Vec::new();
    for worker in workers {
        called.extend(worker.join().expect("worker"));
    }
    let unique: HashSet<String> = called.iter().cloned().collect();
    assert_eq!(unique.len(), called.len(), "a ticket was called twice");
    assert_eq!(unique, issued, "every ticket was called");
}

#[test]
fn a_killed_host_restarts_with_the_queue_as_it_was() {
    let dir = initialised(0);
    let server = Server::start(dir.path());
    let (guide, rooms) = hall(&server);
    for i in 0..5 {
        server.call(
            "ticket_issue",
            Some(&guide),
            &json!({ "queue": "general", "name": format!("访客{i}") }),
        );
    }
    let token = server.login("zhang", "hall-pass-2026");
    let (_, first) = server.call(
        "ticket_call_next",
        Some(&token),
        &json!({ "room_id": rooms[0] }),
    );
    let (_, before) = server.call("ticket_list", Some(&guide), &json!({}));
    // kill -9: Drop sends SIGKILL, no chance to checkpoint or say goodbye.
    drop(server);
    let server = Server::start(dir.path());
    let guide = server.login("wang", "hall-pass-2026");
    let (_, after) = server.call("ticket_list", Some(&guide), &json!({}));
    assert_eq!(before, after, "the queue is exactly as before");
    assert_eq!(
        after[0]["number"], first["number"],
        "the called ticket is still called"
    );
    assert_eq!(after[0]["status"], "called");
}

/// The first waiting ticket of `queues` by the stored order, read from the register file.
fn first_waiting(db: &rusqlite::Connection, queues: &[&str]) -> Option<(String, i64, i64)> {
    let list = serde_json::to_string(queues).expect("json");
    db.query_row(
        "SELECT id, priority_rank, order_key FROM hall_tickets WHERE status = 'waiting'
           AND queue IN (SELECT value FROM json_each(?1)) ORDER BY priority_rank, order_key LIMIT 1",
        [list],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .ok()
}

#[test]
fn a_scripted_day_of_300_visitors_over_http_keeps_every_invariant_and_verifies() {
    let dir = initialised(0);
    let server = Server::start(dir.path());
    let admin = server.login("admin", ADMIN_PASSWORD);
    let (guide, rooms) = hall(&server);
    let (status, _) = server.call(
        "hall_queue_set",
        Some(&admin),
        &json!({ "code": "legal", "name": "法律咨询", "prefix": "B" }),
    );
    assert_eq!(status, 200);
    // Two of the four rooms also take 法律咨询.
    let queues_of = |i: usize| -> Vec<&'static str> {
        if i.is_multiple_of(2) {
            vec!["general", "legal"]
        } else {
            vec!["general"]
        }
    };
    for (i, room) in rooms.iter().enumerate() {
        let (status, body) = server.call(
            "hall_room_set",
            Some(&admin),
            &json!({ "room_id": room, "name": format!("{}号接待室", i + 1), "queues": queues_of(i) }),
        );
        assert_eq!(status, 200, "{body}");
    }
    let token = server.login("zhang", "hall-pass-2026");
    let db = open_register_read_only(dir.path());

    let mut rng = xinfang_core::demo::Rng::new(42);
    let mut issued: Vec<String> = Vec::new();
    // What each room holds now (called or serving), and what is parked.
    let mut holding: Vec<Option<String>> = vec![None; rooms.len()];
    let mut paused = vec![false; rooms.len()];
    let mut parked: Vec<String> = Vec::new();
    let mut served: Vec<String> = Vec::new();
    let mut transitions = 0u32;
    let mut checked_order = 0u32;
    let ok = |op: &str, input: Value| -> Value {
        let (status, body) = server.call(op, Some(&token), &input);
        assert_eq!(status, 200, "{op} {input}: {body}");
        body
    };
    let mut steps = 0;
    while (issued.len() < 300
        || holding.iter().any(Option::is_some)
        || !parked.is_empty()
        || first_waiting(&db, &["general", "legal"]).is_some())
        && steps < 20_000
    {
        steps += 1;
        if issued.len() < 300 && rng.chance(45) {
            let queue = if rng.chance(75) { "general" } else { "legal" };
            let priority = match rng.below(10) {
                0 => json!("vulnerable"),
                1 => json!("military"),
                _ => Value::Null,
            };
            let (status, t) = server.call(
                "ticket_issue",
                Some(&guide),
                &json!({ "queue": queue, "priority": priority, "name": format!("访客{}", issued.len()) }),
            );
            assert_eq!(status, 200, "{t}");
            issued.push(t["id"].as_str().expect("id").to_owned());
            transitions += 1;
            continue;
        }
        let r = rng.below(rooms.len() as u64) as usize;
        let room = &rooms[r];
        // Now and then a room pauses for a while, and opens again.
        if rng.chance(3) && holding[r].is_none() {
            paused[r] = !paused[r];
            ok(
                "hall_room_state",
                json!({ "room_id": room, "state": if paused[r] { "paused" } else { "open" } }),
            );
            continue;
        }
        if !parked.is_empty() && rng.chance(30) {
            let id = parked.remove(0);
            ok("ticket_resume", json!({ "ticket_id": id }));
            transitions += 1;
            continue;
        }
        match holding[r].clone() {
            None if !paused[r] => {
                let expected = first_waiting(&db, &queues_of(r));
                let (status, t) = server.call(
                    "ticket_call_next",
                    Some(&token),
                    &json!({ "room_id": room }),
                );
                if status != 200 {
                    assert_eq!(t["code"], "queue_empty", "{t}");
                    assert!(expected.is_none(), "a waiting visitor was not called");
                    continue;
                }
                let id = t["id"].as_str().expect("id").to_owned();
                // The one called is the first by class, then arrival (as the rules left it).
                assert_eq!(expected.map(|e| e.0).as_deref(), Some(id.as_str()));
                checked_order += 1;
                assert!(
                    !holding.iter().flatten().any(|h| h == &id),
                    "a visitor called to two rooms at once"
                );
                holding[r] = Some(id);
                transitions += 1;
            }
            None => {}
            Some(id) => {
                transitions += 1;
                match rng.below(20) {
                    0 | 1 => {
                        ok("ticket_no_show", json!({ "ticket_id": id }));
                        holding[r] = None;
                    }
                    2 => {
                        let (status, body) =
                            server.call("ticket_recall", Some(&token), &json!({ "ticket_id": id }));
                        if status != 200 {
                            // Past the recall limit the room must mark the no-show.
                            assert_eq!(body["code"], "recall_limit", "{body}");
                            ok("ticket_no_show", json!({ "ticket_id": id }));
                            holding[r] = None;
                        }
                    }
                    3 => {
                        let (_, t) =
                            server.call("ticket_list", Some(&token), &json!({ "room_id": room }));
                        let queue = t
                            .as_array()
                            .and_then(|l| l.iter().find(|x| x["id"] == id.as_str()))
                            .and_then(|x| x["queue"].as_str())
                            .unwrap_or("general")
                            .to_owned();
                        let to = if queue == "general" {
                            "legal"
                        } else {
                            "general"
                        };
                        ok("ticket_transfer", json!({ "ticket_id": id, "queue": to }));
                        holding[r] = None;
                    }
                    4 => {
                        ok("ticket_park", json!({ "ticket_id": id }));
                        parked.push(id);
                        holding[r] = None;
                    }
                    _ => {
                        ok("ticket_start", json!({ "ticket_id": id }));
                        ok(
                            "interview_record",
                            json!({ "ticket_id": id, "disposition": "answered",
                                    "request": "咨询", "facts": "无", "summary": "已解释" }),
                        );
                        transitions += 1;
                        served.push(id);
                        holding[r] = None;
                    }
                }
            }
        }
        // Keep every room able to work once arrivals end, so the day drains.
        if issued.len() >= 300 && paused.iter().all(|p| *p) {
            paused[0] = false;
            ok(
                "hall_room_state",
                json!({ "room_id": rooms[0], "state": "open" }),
            );
        }
    }
    assert_eq!(issued.len(), 300);
    assert!(
        checked_order > 300,
        "call order checked {checked_order} times"
    );

    // No visitor lost or duplicated: every ticket is in the table once, in a final state or
    // still waiting; nobody served twice.
    let served_unique: HashSet<&String> = served.iter().collect();
    assert_eq!(
        served_unique.len(),
        served.len(),
        "a visitor was served twice"
    );
    let rows: Vec<(String, String, i64, i64, i64, String)> = db
        .prepare(
            "SELECT id, status, priority_rank, order_key, no_shows, issued_at FROM hall_tickets",
        )
        .expect("prepare")
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    let ids: HashSet<&String> = rows.iter().map(|r| &r.0).collect();
    assert_eq!(
        ids,
        issued.iter().collect::<HashSet<_>>(),
        "every ticket exactly once"
    );
    let done = rows.iter().filter(|r| r.1 == "done").count();
    assert_eq!(done, served.len());
    // Order within a class is arrival order, except for tickets a no-show rule moved.
    let mut untouched: Vec<&(String, String, i64, i64, i64, String)> =
        rows.iter().filter(|r| r.4 == 0).collect();
    // Two tickets issued in the same millisecond cannot be told apart by time; the order key
    // breaks that tie only.
    untouched.sort_by(|a, b| (a.2, &a.5, a.3).cmp(&(b.2, &b.5, b.3)));
    for pair in untouched.windows(2) {
        if pair[0].2 == pair[1].2 {
            assert!(pair[0].3 < pair[1].3, "arrival order kept within a class");
        }
    }
    // Every transition is an event with its time.
    let (events, untimed): (u32, u32) = db
        .query_row(
            "SELECT count(*), sum(at IS NULL OR at = '') FROM events
             WHERE kind IN ('hall.ticket_issued', 'hall.ticket_moved', 'hall.interview_recorded')",
            [],
            |r| Ok((r.get(0)?, r.get::<_, Option<u32>>(1)?.unwrap_or(0))),
        )
        .expect("events");
    assert!(
        events >= transitions,
        "{events} events for {transitions} transitions"
    );
    assert_eq!(untimed, 0);
    drop(db);
    drop(server);
    let out = run(xinfang(dir.path()).arg("verify"));
    assert!(out.status.success(), "verify: {}", stderr(&out));
}

/// Reads server-sent events from `/api/v1/changes`: each `data:` line as JSON.
fn change_stream(server: &Server) -> std::sync::mpsc::Receiver<Value> {
    use std::io::{BufRead, BufReader, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    stream
        .write_all(
            b"GET /api/v1/changes HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n",
        )
        .expect("write");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { return };
            if let Some(data) = line.strip_prefix("data:")
                && let Ok(value) = serde_json::from_str::<Value>(data.trim())
                && tx.send(value).is_err()
            {
                return;
            }
        }
    });
    rx
}

#[test]
fn a_change_reaches_the_event_stream_and_a_long_poll_at_once_and_a_refusal_does_not() {
    let dir = initialised(0);
    let server = Server::start(dir.path());
    let (guide, _rooms) = hall(&server);
    let events = change_stream(&server);
    let wait = std::time::Duration::from_secs(2);
    let first = events
        .recv_timeout(wait)
        .expect("the current counter first");
    let seq = first["seq"].as_u64().expect("seq");

    let (status, _) = server.call(
        "ticket_issue",
        Some(&guide),
        &json!({ "queue": "general", "name": "访客" }),
    );
    assert_eq!(status, 200);
    let next = events.recv_timeout(wait).expect("the issue is heard");
    assert_eq!(next["seq"].as_u64(), Some(seq + 1));
    assert_eq!(next["topic"], "hall");

    // A long poll with the current counter waits for the next change.
    let poll = {
        let port = server.port;
        let after = seq + 1;
        std::thread::spawn(move || {
            let probe = Server::probe(port);
            probe.request(
                "GET",
                &format!("/api/v1/changes/wait?after={after}"),
                None,
                b"",
            )
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(200));
    let (status, _) = server.call("matter_search", Some(&guide), &json!({ "q": "x" }));
    assert!(status == 200 || status == 403, "a read changes nothing");
    // A refused write changes nothing and says nothing.
    let (status, _) = server.call("ticket_issue", Some(&guide), &json!({ "queue": "nope" }));
    assert!((400..500).contains(&status), "refused: {status}");
    assert!(
        events
            .recv_timeout(std::time::Duration::from_millis(300))
            .is_err(),
        "no change was announced for a read or a refusal"
    );
    let (status, _) = server.call(
        "ticket_issue",
        Some(&guide),
        &json!({ "queue": "general", "name": "访客二" }),
    );
    assert_eq!(status, 200);
    let (status, body) = poll.join().expect("poll");
    assert_eq!(status, 200);
    assert_eq!(body["seq"].as_u64(), Some(seq + 2));
    assert_eq!(
        events.recv_timeout(wait).expect("heard")["seq"].as_u64(),
        Some(seq + 2)
    );
}

#[test]
fn the_host_stops_on_sigterm_while_a_board_is_listening() {
    let dir = initialised(0);
    let mut server = Server::start(dir.path());
    let events = change_stream(&server);
    events
        .recv_timeout(std::time::Duration::from_secs(2))
        .expect("connected");
    let pid = server.pid().to_string();
    let out = run(std::process::Command::new("kill").args(["-TERM", &pid]));
    assert!(out.status.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        if let Some(status) = server.try_wait() {
            assert!(status.success(), "a clean exit: {status}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the open event stream held up the shutdown"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn a_transferred_ticket_keeps_its_number_and_its_queue_never_issues_that_number_again() {
    let dir = initialised(0);
    let server = Server::start(dir.path());
    let (guide, _rooms) = hall(&server);
    let issue = |queue: &str| -> Value {
        let (status, t) = server.call(
            "ticket_issue",
            Some(&guide),
            &json!({ "queue": queue, "name": "访客" }),
        );
        assert_eq!(status, 200, "{t}");
        t
    };
    let a1 = issue("general");
    let b1 = issue("legal");
    assert_eq!(
        (a1["number"].as_str(), b1["number"].as_str()),
        (Some("A001"), Some("B001"))
    );
    let (status, moved) = server.call(
        "ticket_transfer",
        Some(&guide),
        &json!({ "ticket_id": a1["id"], "queue": "legal" }),
    );
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["number"], "A001");
    assert_eq!(moved["queue"], "legal");
    assert_eq!(issue("general")["number"], "A002");
    assert_eq!(issue("legal")["number"], "B002");
}

#[test]
fn the_administrators_hall_rules_apply_recall_limit_no_show_to_the_end_and_opening_hours() {
    let dir = initialised(0);
    let server = Server::start(dir.path());
    let admin = server.login("admin", ADMIN_PASSWORD);
    let (guide, rooms) = hall(&server);
    let token = server.login("zhang", "hall-pass-2026");
    // Bad values are refused at their field and change nothing.
    for (field, value) in [
        ("hall_opening_hours", json!("17:30-08:30")),
        ("hall_opening_hours", json!("上午")),
        ("hall_recall_limit", json!(11)),
        ("hall_no_show_limit", json!(0)),
    ] {
        let (status, body) = server.call("settings_set", Some(&admin), &json!({ field: value }));
        assert_eq!(status, 422, "{field}: {body}");
        assert_eq!(body["field"], field);
    }
    let (status, body) = server.call(
        "settings_set",
        Some(&admin),
        &json!({ "hall_priorities": [
            { "code": "vulnerable", "name": "老年人、残疾人、孕妇", "rank": 1 },
            { "code": "vulnerable", "name": "军人", "rank": 2 } ] }),
    );
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["field"], "hall_priorities[1].code");
    // Hours that exclude every moment of the day: tickets are still issued, marked so, and
    // the board says it is outside hours.
    let (status, body) = server.call(
        "settings_set",
        Some(&admin),
        &json!({ "hall_recall_limit": 1, "hall_no_show_to_end": true,
                 "hall_opening_hours": "00:00-00:01" }),
    );
    assert_eq!(status, 200, "{body}");
    let issue = |name: &str| -> Value {
        let (status, t) = server.call(
            "ticket_issue",
            Some(&guide),
            &json!({ "queue": "general", "name": name }),
        );
        assert_eq!(status, 200, "{t}");
        t
    };
    let first = issue("甲");
    assert_eq!(first["outside_hours"], true);
    let (_, board) = server.call("hall_board", None, &json!({}));
    assert_eq!(board["opening_hours"], "00:00-00:01");
    for name in ["乙", "丙", "丁", "戊"] {
        issue(name);
    }
    let (_, called) = server.call(
        "ticket_call_next",
        Some(&token),
        &json!({ "room_id": rooms[0] }),
    );
    assert_eq!(called["id"], first["id"]);
    // One recall is allowed, the second is refused with the reason.
    let (status, _) = server.call(
        "ticket_recall",
        Some(&token),
        &json!({ "ticket_id": first["id"] }),
    );
    assert_eq!(status, 200);
    let (status, body) = server.call(
        "ticket_recall",
        Some(&token),
        &json!({ "ticket_id": first["id"] }),
    );
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "recall_limit");
    // A no-show goes to the end: the four others are called first.
    let (status, _) = server.call(
        "ticket_no_show",
        Some(&token),
        &json!({ "ticket_id": first["id"] }),
    );
    assert_eq!(status, 200);
    let mut order = Vec::new();
    for _ in 0..5 {
        let (status, t) = server.call(
            "ticket_call_next",
            Some(&token),
            &json!({ "room_id": rooms[1] }),
        );
        assert_eq!(status, 200, "{t}");
        order.push(t["number"].as_str().expect("number").to_owned());
        server.call(
            "ticket_start",
            Some(&token),
            &json!({ "ticket_id": t["id"] }),
        );
        server.call(
            "interview_record",
            Some(&token),
            &json!({ "ticket_id": t["id"], "disposition": "answered", "request": "咨询", "facts": "无", "summary": "已解释" }),
        );
    }
    assert_eq!(order, ["A002", "A003", "A004", "A005", "A001"]);
}
