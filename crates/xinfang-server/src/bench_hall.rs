//! `xinfang bench hall`: simulated days of the walk-in hall at ten times a busy centre's load,
//! run through the real HTTP server on loopback, with the hall TV listening on the change feed.
//!
//! A discrete-event simulation decides when visitors arrive (Poisson over opening hours, with
//! priority classes and two queues) and how long each interview lasts; the register's clock
//! follows simulated time, so waits and service times are the simulation's, while every
//! request is a real one. Reported:
//! - `ticket_call_next` latency over HTTP (p50/p99), against `GET /api/v1/health` on the same
//!   connection as the baseline (the price of HTTP and the loopback alone);
//! - board update latency: from pressing 叫号 until a board client that re-reads on each
//!   server-sent event shows the called number (target under 1 s);
//! - the mean absolute error of the wait estimate printed on the ticket against the wait the
//!   simulation then produced, next to the estimate a hall without learned service times would
//!   give (ahead × the queue's assumed minutes ÷ open rooms).

use std::{
    collections::{HashMap, VecDeque},
    io::{BufRead, BufReader},
    sync::mpsc,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};
use xinfang_core::{
    api::UserCreateInput, clock::china_offset, demo::Rng, events::EventBody, model::Role,
};

use crate::{
    bench::{bench_register_dir, ms, percentile},
    http::AppState,
};

/// A busy county centre: about 300 walk-ins on a day.
const BUSY_DAY: u64 = 300;

/// Blocking JSON client for the loopback server.
struct Client {
    agent: ureq::Agent,
    base: String,
}

impl Client {
    fn new(base: &str) -> Client {
        Client {
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(30)))
                .build()
                .into(),
            base: base.to_owned(),
        }
    }

    fn op(&self, token: Option<&str>, name: &str, input: &Value) -> anyhow::Result<(u16, Value)> {
        let mut request = self
            .agent
            .post(format!("{}/api/v1/ops/{name}", self.base))
            .header("Content-Type", "application/json");
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let mut response = request.send(&serde_json::to_vec(input)?[..])?;
        let status = response.status().as_u16();
        let body: Value = serde_json::from_str(&response.body_mut().read_to_string()?)?;
        Ok((status, body))
    }

    /// An operation that must succeed.
    fn ok(&self, token: Option<&str>, name: &str, input: &Value) -> anyhow::Result<Value> {
        let (status, body) = self.op(token, name, input)?;
        if status != 200 {
            bail!("{name} failed with HTTP {status}: {body}");
        }
        Ok(body)
    }

    fn health(&self) -> anyhow::Result<()> {
        self.agent
            .get(format!("{}/api/v1/health", self.base))
            .call()?
            .body_mut()
            .read_to_string()?;
        Ok(())
    }

    fn login(&self, username: &str, password: &str) -> anyhow::Result<String> {
        let out = self.ok(
            None,
            "auth_login",
            &json!({ "username": username, "password": password }),
        )?;
        out["token"]
            .as_str()
            .map(str::to_owned)
            .context("auth_login gave no token")
    }
}

/// The hall TV: re-reads the board on every server-sent event and reports the numbers it
/// shows, with when it had them.
fn board_client(base: String, seen: mpsc::Sender<(Instant, Vec<String>)>) {
    let client = Client::new(&base);
    let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
    let Ok(response) = agent.get(format!("{base}/api/v1/changes")).call() else {
        return;
    };
    let reader = BufReader::new(response.into_body().into_reader());
    for line in reader.lines() {
        let Ok(line) = line else { return };
        if !line.starts_with("data:") {
            continue;
        }
        let Ok((200, board)) = client.op(None, "hall_board", &json!({})) else {
            continue;
        };
        let numbers = board["calls"]
            .as_array()
            .map(|calls| {
                calls
                    .iter()
                    .filter_map(|c| c["number"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        if seen.send((Instant::now(), numbers)).is_err() {
            return;
        }
    }
}

struct SimRoom {
    id: String,
    queues: Vec<&'static str>,
    /// The ticket being served and when its interview ends.
    busy: Option<(DateTime<Utc>, String)>,
}

struct Issued {
    at: DateTime<Utc>,
    estimate: f64,
    baseline: f64,
}

/// Runs `days` simulated days of `visitors` walk-ins each.
pub fn hall(days: u64, visitors: u64) -> anyhow::Result<()> {
    let tmp = std::env::temp_dir().join(format!("xinfang-bench-hall-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp)?;
    let (mut register, clock) = bench_register_dir(&tmp, 3)?;
    for (username, role) in [("guide", Role::Guide), ("room", Role::Interviewer)] {
        let mut user = xinfang_core::api::new_user_record(
            &mut register,
            UserCreateInput {
                username: username.into(),
                display_name: username.into(),
                role,
                password: "bench-pass-2026".into(),
            },
        )?;
        // The simulated staff sign in and work at once.
        user.must_change_password = false;
        register.write("system", |w| {
            w.record(EventBody::UserCreated(user))?;
            Ok(())
        })?;
    }

    // The real server on a loopback port, in its own runtime.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let base = format!("http://{}", listener.local_addr()?);
    let state = AppState::new(register);
    runtime.spawn(async move {
        let app = crate::http::router(state, None);
        let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
        let _ = axum::serve(listener, app).await;
    });

    let client = Client::new(&base);
    let admin = client.login("admin", "bench-admin-2026")?;

    // Rooms for ten times a busy day: the default three are closed, the bench's own windows opened,
    // about one per 37 visitors (an interview of 12–18 minutes over eight and a half hours).
    let setup = client.ok(Some(&admin), "hall_setup_get", &json!({}))?;
    for room in setup["rooms"].as_array().context("rooms")? {
        client.ok(
            Some(&admin),
            "hall_room_set",
            &json!({ "room_id": room["id"], "name": room["name"], "queues": room["queues"], "state": "closed" }),
        )?;
    }
    let room_count = (visitors / 37).max(2);
    let mut rooms = Vec::new();
    for i in 0..room_count {
        // One room in four also takes 法律咨询.
        let queues: Vec<&'static str> = if i % 4 == 0 {
            vec!["legal", "general"]
        } else {
            vec!["general"]
        };
        let out = client.ok(
            Some(&admin),
            "hall_room_set",
            &json!({ "name": format!("{}号窗口", i + 1), "queues": queues, "state": "open" }),
        )?;
        let id = out["rooms"]
            .as_array()
            .and_then(|rs| rs.iter().find(|r| r["name"] == format!("{}号窗口", i + 1)))
            .and_then(|r| r["id"].as_str())
            .context("new room")?
            .to_owned();
        rooms.push(SimRoom {
            id,
            queues,
            busy: None,
        });
    }
    let assumed: HashMap<&str, f64> = [("general", 15.0), ("legal", 20.0)].into();
    let open_for = |queue: &str, rooms: &[SimRoom]| {
        rooms.iter().filter(|r| r.queues.contains(&queue)).count() as f64
    };

    let (board_tx, board_rx) = mpsc::channel();
    std::thread::spawn(move || board_client(base, board_tx));
    // Let the board client connect before the day starts.
    std::thread::sleep(Duration::from_millis(300));

    let mut rng = Rng::new(2026);
    let mut call_latency = Vec::new();
    let mut board_latency = Vec::new();
    let mut board_missed = 0u32;
    let mut issued: HashMap<String, Issued> = HashMap::new();
    let mut errors_ours = Vec::new();
    let mut errors_baseline = Vec::new();
    let mut requests = 0u64;
    let started = Instant::now();

    let first_day = NaiveDate::from_ymd_opt(2026, 11, 30).context("date")?;
    for d in 0..days {
        let day = first_day + chrono::Days::new(d);
        let at = |minutes: f64| -> DateTime<Utc> {
            let open = day
                .and_hms_opt(8, 30, 0)
                .expect("08:30 exists")
                .and_local_timezone(china_offset())
                .single()
                .expect("fixed offset")
                .with_timezone(&Utc);
            open + chrono::Duration::milliseconds((minutes * 60_000.0) as i64)
        };
        // Arrivals spread over 08:30–17:00 (510 minutes), in order.
        let mut arrivals: Vec<f64> = (0..visitors)
            .map(|_| rng.below(510_000) as f64 / 1000.0)
            .collect();
        arrivals.sort_by(f64::total_cmp);
        let mut arrivals: VecDeque<f64> = arrivals.into();
        let mut waiting: HashMap<&str, u32> = HashMap::new();
        let mut now = 0.0f64;
        // Staff sign in each morning (a session lasts a working day at most).
        clock.set(at(now));
        let guide = client.login("guide", "bench-pass-2026")?;
        let interviewer = client.login("room", "bench-pass-2026")?;
        loop {
            // Every free room with someone waiting for one of its queues calls the next.
            for room in rooms.iter_mut().filter(|r| r.busy.is_none()) {
                let available: u32 = room
                    .queues
                    .iter()
                    .map(|q| waiting.get(q).copied().unwrap_or(0))
                    .sum();
                if available == 0 {
                    continue;
                }
                clock.set(at(now));
                let t0 = Instant::now();
                let ticket = client.ok(
                    Some(&interviewer),
                    "ticket_call_next",
                    &json!({ "room_id": room.id }),
                )?;
                call_latency.push(t0.elapsed());
                requests += 1;
                let number = ticket["number"].as_str().context("number")?.to_owned();
                let queue = ticket["queue"].as_str().context("queue")?;
                if let Some(count) = room
                    .queues
                    .iter()
                    .find(|q| **q == queue)
                    .and_then(|q| waiting.get_mut(q))
                {
                    *count = count.saturating_sub(1);
                }
                // The board must show the number: wait for a re-read that has it.
                let deadline = t0 + Duration::from_secs(2);
                loop {
                    let left = deadline.saturating_duration_since(Instant::now());
                    match board_rx.recv_timeout(left) {
                        Ok((when, numbers)) if numbers.contains(&number) => {
                            board_latency.push(when.saturating_duration_since(t0));
                            break;
                        }
                        Ok(_) => {}
                        Err(_) => {
                            board_missed += 1;
                            break;
                        }
                    }
                }
                let id = ticket["id"].as_str().context("id")?.to_owned();
                if let Some(issue) = issued.remove(&id) {
                    let actual = (at(now) - issue.at).num_milliseconds() as f64 / 60_000.0;
                    errors_ours.push((issue.estimate - actual).abs());
                    errors_baseline.push((issue.baseline - actual).abs());
                }
                client.ok(
                    Some(&interviewer),
                    "ticket_start",
                    &json!({ "ticket_id": id }),
                )?;
                requests += 1;
                // Interviews of 法律咨询 take longer; a few run long.
                let base_minutes = if queue == "legal" { 18.0 } else { 12.0 };
                let spread = 0.5 + rng.below(1000) as f64 / 1000.0;
                let long = if rng.chance(8) { 2.0 } else { 1.0 };
                let service = base_minutes * spread * long;
                room.busy = Some((at(now + service), id));
            }
            let next_arrival = arrivals.front().copied();
            let next_finish = rooms
                .iter()
                .filter_map(|r| r.busy.as_ref().map(|(end, _)| *end))
                .min();
            let finish_minutes =
                next_finish.map(|end| (end - at(0.0)).num_milliseconds() as f64 / 60_000.0);
            let take_arrival = match (next_arrival, finish_minutes) {
                (None, None) => break,
                (Some(a), Some(f)) => a <= f,
                (Some(_), None) => true,
                (None, Some(_)) => false,
            };
            if let (true, Some(a)) = (take_arrival, next_arrival) {
                arrivals.pop_front();
                now = a;
                clock.set(at(now));
                let queue = if rng.chance(80) { "general" } else { "legal" };
                let priority = match rng.below(100) {
                    0..=6 => json!("vulnerable"),
                    7..=8 => json!("military"),
                    _ => Value::Null,
                };
                let ticket = client.ok(
                    Some(&guide),
                    "ticket_issue",
                    &json!({ "queue": queue, "priority": priority, "name": "来访人" }),
                )?;
                requests += 1;
                *waiting.entry(queue).or_default() += 1;
                let ahead = ticket["ahead"].as_f64().unwrap_or(0.0);
                issued.insert(
                    ticket["id"].as_str().context("id")?.to_owned(),
                    Issued {
                        at: at(now),
                        estimate: ticket["estimated_wait_minutes"].as_f64().unwrap_or(0.0),
                        baseline: ahead * assumed[queue] / open_for(queue, &rooms).max(1.0),
                    },
                );
            } else {
                // The interview that ends first is recorded (已接待) at its end.
                let room = rooms
                    .iter_mut()
                    .filter(|r| r.busy.is_some())
                    .min_by_key(|r| r.busy.as_ref().map(|(end, _)| *end))
                    .context("a busy room")?;
                let (end, id) = room.busy.take().context("busy")?;
                clock.set(end);
                now = (end - at(0.0)).num_milliseconds() as f64 / 60_000.0;
                client.ok(
                    Some(&interviewer),
                    "interview_record",
                    &json!({ "ticket_id": id, "disposition": "answered",
                             "request": "咨询政策", "facts": "来访人陈述", "summary": "已当场解释" }),
                )?;
                requests += 1;
            }
        }
    }
    let elapsed = started.elapsed();

    // The baseline: the cheapest request the server answers, on the same client.
    let mut health = Vec::new();
    for _ in 0..call_latency.len().clamp(200, 2000) {
        let t0 = Instant::now();
        client.health()?;
        health.push(t0.elapsed());
    }
    call_latency.sort();
    board_latency.sort();
    health.sort();
    let mae = |e: &[f64]| e.iter().sum::<f64>() / e.len().max(1) as f64;
    let (ours, naive) = (mae(&errors_ours), mae(&errors_baseline));

    println!(
        "bench hall: {days} simulated day(s) of {visitors} walk-ins ({}× a busy centre of {BUSY_DAY}), {room_count} rooms, over HTTP on loopback",
        visitors / BUSY_DAY
    );
    println!(
        "  requests: {requests} in {:.1} s ({:.0}/s)",
        elapsed.as_secs_f64(),
        requests as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  ticket_call_next: p50 {:.2} ms, p99 {:.2} ms over {} calls (target p99 < 20 ms)",
        ms(percentile(&call_latency, 0.50)),
        ms(percentile(&call_latency, 0.99)),
        call_latency.len()
    );
    println!(
        "  baseline GET /api/v1/health: p50 {:.2} ms, p99 {:.2} ms; call-next p99 is {:.1}× it",
        ms(percentile(&health, 0.50)),
        ms(percentile(&health, 0.99)),
        ms(percentile(&call_latency, 0.99)) / ms(percentile(&health, 0.99)).max(0.001)
    );
    println!(
        "  board update (叫号 pressed → board re-read shows the number): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {board_missed} not shown within 2 s (target < 1 s)",
        ms(percentile(&board_latency, 0.50)),
        ms(percentile(&board_latency, 0.99)),
        ms(board_latency.last().copied().unwrap_or_default()),
    );
    println!(
        "  wait estimate: mean absolute error {ours:.1} min over {} visitors; without learned service times {naive:.1} min (ratio {:.2})",
        errors_ours.len(),
        ours / naive.max(0.001)
    );
    runtime.shutdown_timeout(Duration::from_secs(1));
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(())
}
