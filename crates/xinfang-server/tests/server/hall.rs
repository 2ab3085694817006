//! The hall over HTTP: many rooms pressing “call next” at once from parallel connections get
//! every waiting visitor exactly once, and a killed host restarts with the queue as it was.

use std::{collections::HashSet, sync::Arc};

use serde_json::json;

use crate::support::*;

fn hall(server: &Server) -> (String, Vec<String>) {
    let admin = server.login("admin", ADMIN_PASSWORD);
    for (user, role) in [("zhang", "interviewer"), ("wang", "guide")] {
        let (status, body) = server.call(
            "user_create",
            Some(&admin),
            &json!({ "username": user, "display_name": user, "role": role, "password": "hall-pass-2026" }),
        );
        assert_eq!(status, 200, "{body}");
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
