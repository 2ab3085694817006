//! `xinfang bench sync`: the county exchange at volume, over loopback, through the real sync
//! client (`sync::run_once`) against the real hub (in-process, SQLite store, `synchronous=FULL`
//! like production). Reported, against a baseline measured in the same run:
//!
//! - push: a fresh register's events (made by the demo generator) to a fresh hub, enrolment
//!   included; events/s and request-body bytes per event (gzip, as sent);
//! - pull: the same number of county events (a centre cannot pull another centre's events; the
//!   county publishes them, routed to a second centre) into that centre's inbox;
//! - incremental: one new event, then one full run (mark, push, pull), p50/p99 over 50 rounds;
//! - with `--hub-database`, the hub keeps its store in that PostgreSQL database instead (the
//!   baselines stay on SQLite: they measure the link and a plain insert, not the hub);
//! - baseline: the same events as raw JSON in one bulk HTTP POST to a minimal loopback endpoint
//!   that reads and parses the body and stores nothing; and a second baseline, the same POST to
//!   an endpoint that also inserts every event into one plain table in one durable transaction
//!   (what the push costs beyond keeping the events at all).

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use anyhow::Context;
use axum::{Router, body::Bytes, routing::post};
use xinfang_core::{Register, events::EventBody, sync};
use xinfang_hub::hub::Target;
use xinfang_sync::WireEvent;

use crate::bench::percentile;

/// Incremental rounds.
const ROUNDS: usize = 50;

/// The hub's store: a fresh SQLite file in `dir`, or the PostgreSQL database `database` names.
fn open_hub(dir: &std::path::Path, database: Option<&str>) -> anyhow::Result<xinfang_hub::Hub> {
    Ok(match database {
        Some(url) => xinfang_hub::Hub::open_postgres(url)?,
        None => xinfang_hub::Hub::open_sqlite(dir)?,
    })
}

fn hub_server(
    runtime: &tokio::runtime::Runtime,
    dir: &std::path::Path,
    database: Option<&str>,
) -> anyhow::Result<u16> {
    let hub = open_hub(dir, database)?;
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let port = listener.local_addr()?.port();
    let state = xinfang_hub::http::AppState::new(hub, false);
    runtime.spawn(async move {
        let app = xinfang_hub::http::router(state)
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        let _ = axum::serve(listener, app).await;
    });
    Ok(port)
}

fn baseline_server(
    runtime: &tokio::runtime::Runtime,
    dir: &std::path::Path,
) -> anyhow::Result<u16> {
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let port = listener.local_addr()?.port();
    // The second baseline's store: one plain table, durable like the hub's.
    let conn = rusqlite::Connection::open(dir.join("baseline.db"))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
         CREATE TABLE events (id TEXT PRIMARY KEY, origin TEXT, seq INTEGER, actor TEXT,
                              at TEXT, kind TEXT, schema_version INTEGER, payload TEXT);",
    )?;
    let conn = std::sync::Arc::new(Mutex::new(conn));
    // The least an endpoint can do with the batch: read it and parse it (`/raw`); and the least
    // that also keeps it: the same, then every event into one table in one transaction
    // (`/stored`).
    let app = Router::new()
        .route(
            "/raw",
            post(|body: Bytes| async move {
                let events: Vec<WireEvent> = serde_json::from_slice(&body).unwrap_or_default();
                events.len().to_string()
            }),
        )
        .route(
            "/stored",
            post(move |body: Bytes| {
                let conn = conn.clone();
                async move {
                    tokio::task::spawn_blocking(move || store_plainly(&conn, &body))
                        .await
                        .map_err(|e| e.to_string())
                        .and_then(|stored| stored.map_err(|e| e.to_string()))
                        .unwrap_or_else(|e| e)
                }
            }),
        )
        .layer(axum::extract::DefaultBodyLimit::disable());
    runtime.spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(port)
}

/// `/stored`: parses the events and inserts them in one transaction; answers how many.
fn store_plainly(conn: &Mutex<rusqlite::Connection>, body: &[u8]) -> rusqlite::Result<String> {
    let events: Vec<WireEvent> = serde_json::from_slice(body).unwrap_or_default();
    let mut conn = conn.lock().unwrap_or_else(|p| p.into_inner());
    let tx = conn.transaction()?;
    {
        let mut insert =
            tx.prepare("INSERT INTO events VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")?;
        for e in &events {
            insert.execute(rusqlite::params![
                e.id.to_string(),
                e.origin.to_string(),
                e.seq,
                e.actor,
                e.at,
                e.kind,
                e.schema_version,
                e.payload.as_str()
            ])?;
        }
    }
    tx.commit()?;
    Ok(events.len().to_string())
}

fn desk(dir: &std::path::Path, code: &str) -> anyhow::Result<Register> {
    std::fs::create_dir_all(dir)?;
    let mut register = crate::data::open(dir)?;
    crate::data::init(
        &mut register,
        &crate::data::InitOptions {
            centre_code: code.into(),
            centre_name: "同步基准接待中心".into(),
            admin_username: "admin".into(),
            admin_password: "bench-admin-2026".into(),
            admin_must_change_password: false,
        },
    )?;
    Ok(register)
}

fn run_sync(register: &Mutex<Register>) -> anyhow::Result<()> {
    crate::sync::run_once(register).map_err(|f| anyhow::anyhow!("{}: {}", f.code, f.message))
}

fn per_second(count: usize, took: Duration) -> f64 {
    count as f64 / took.as_secs_f64().max(1e-9)
}

/// Runs the benchmark with (at least) `target` events, the hub on SQLite or on the PostgreSQL
/// database `database` names.
pub fn sync(target: u64, database: Option<&str>) -> anyhow::Result<()> {
    let tmp = std::env::temp_dir().join(format!("xinfang-bench-sync-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let hub_dir = tmp.join("hub");
    let port = hub_server(&runtime, &hub_dir, database)?;
    let base_port = baseline_server(&runtime, &tmp)?;
    let url = format!("http://127.0.0.1:{port}");
    let mut admin = open_hub(&hub_dir, database)?;
    anyhow::ensure!(
        admin.centres()?.is_empty(),
        "the hub's database must be empty: it already has centres"
    );
    let code_a = admin.add_centre("XF9001", "甲中心")?.enrolment_code;
    let added_b = admin.add_centre("XF9002", "乙中心")?;

    // A register with at least `target` events, from the demo generator in rounds.
    let made = Instant::now();
    let mut a = desk(&tmp.join("a"), "XF9001")?;
    let now = xinfang_core::clock::Clock::now(&xinfang_core::clock::SystemClock);
    let clock = xinfang_core::clock::FixedClock::new(now);
    drop(a);
    a = Register::open(
        &crate::data::register_path(&tmp.join("a")),
        Box::new(clock.clone()),
        Box::new(xinfang_core::clock::SeededIds::new(
            7,
            (now.timestamp_millis() - 800 * 86_400_000) as u64,
        )),
    )?;
    let mut seed = 1;
    while (sync::local_seq(&a)? as u64) < target {
        let missing = target - sync::local_seq(&a)? as u64;
        xinfang_core::demo::generate(&mut a, &clock, seed, (missing / 9).max(10), now)?;
        seed += 1;
    }
    // The audit trail's anchor is written now, as the first run would, so the outbox measured
    // here is the one pushed.
    sync::anchor_audit(&mut a)?;
    let events = sync::local_seq(&a)? as usize;
    let read = Instant::now();
    let all = sync::outbox(&a, 0, events)?;
    let outbox_read = read.elapsed();
    let store = match database {
        Some(_) => format!("{}，synchronous_commit=on", admin.describe()),
        None => "SQLite synchronous=FULL".to_owned(),
    };
    println!(
        "同步基准：{events} 条事件（演示数据生成 {:.1} 秒），枢纽在本机回环端口，{store}",
        made.elapsed().as_secs_f64()
    );

    // Baseline: the same events, raw JSON, one POST.
    let raw = serde_json::to_vec(&all)?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(600)))
        .build()
        .into();
    // The fastest of three: the first large request of a process pays for warming up its
    // allocator and page cache, and the ratio should not be flattered by that.
    let mut baseline = Duration::MAX;
    for _ in 0..3 {
        let started = Instant::now();
        let answer = agent
            .post(format!("http://127.0.0.1:{base_port}/raw"))
            .header("Content-Type", "application/json")
            .send(&raw[..])?
            .body_mut()
            .read_to_string()?;
        baseline = baseline.min(started.elapsed());
        anyhow::ensure!(answer == events.to_string(), "baseline parsed {answer}");
    }
    let started = Instant::now();
    let answer = agent
        .post(format!("http://127.0.0.1:{base_port}/stored"))
        .header("Content-Type", "application/json")
        .send(&raw[..])?
        .body_mut()
        .read_to_string()?;
    let stored_baseline = started.elapsed();
    anyhow::ensure!(
        answer == events.to_string(),
        "storing baseline answered {answer}"
    );

    // Push through the real client: enrol, mark, batches of PUSH_BATCH gzip, pull (empty).
    sync::configure(&a, &url, Some(&code_a))?;
    let a = Mutex::new(a);
    let started = Instant::now();
    run_sync(&a)?;
    let push = started.elapsed();
    let mut wire = 0usize;
    let encoding = Instant::now();
    for batch in all.chunks(crate::sync::PUSH_BATCH) {
        wire += crate::sync::gzip_json(&xinfang_sync::PushRequest {
            events: batch.to_vec(),
        })?
        .len();
    }
    let encoded = encoding.elapsed();
    let acknowledged = sync::state(&a.lock().unwrap_or_else(|p| p.into_inner()))?.acknowledged;
    anyhow::ensure!(
        acknowledged as usize == events,
        "hub acknowledged {acknowledged} of {events}"
    );

    // Pull: the county publishes as many events, routed to centre B, which pulls them. They are
    // of a kind the desk only keeps (county.notice), so the figure is the transfer, not 100k
    // registrations of 交办 matters.
    let items: Vec<(String, serde_json::Value)> = all
        .iter()
        .map(|e| {
            (
                "county.notice".to_owned(),
                serde_json::json!({"summary": e.kind, "ref": e.id, "detail": e.payload}),
            )
        })
        .collect();
    admin.publish_batch(Target::Centre(added_b.centre.id), items)?;
    let b = desk(&tmp.join("b"), "XF9002")?;
    sync::configure(&b, &url, Some(&added_b.enrolment_code))?;
    let b = Mutex::new(b);
    let started = Instant::now();
    run_sync(&b)?;
    let pull = started.elapsed();
    let inbox: i64 = b
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .conn()
        .query_row("SELECT count(*) FROM county_inbox", [], |r| r.get(0))?;
    anyhow::ensure!(inbox as usize == events, "inbox has {inbox} of {events}");

    // Incremental: one new event, one run.
    let mut rounds = Vec::with_capacity(ROUNDS);
    for n in 0..ROUNDS {
        {
            let mut guard = a.lock().unwrap_or_else(|p| p.into_inner());
            guard.write("system", |w| {
                w.record(EventBody::SettingChanged {
                    key: "bench_sync_round".into(),
                    value: serde_json::json!(n),
                })?;
                Ok(())
            })?;
        }
        let started = Instant::now();
        run_sync(&a)?;
        rounds.push(started.elapsed());
    }
    rounds.sort();
    let final_mark = sync::state(&a.lock().unwrap_or_else(|p| p.into_inner()))?.acknowledged;
    anyhow::ensure!(
        final_mark as usize == events + ROUNDS,
        "incremental events acknowledged"
    );

    let mb = |b: usize| b as f64 / 1_048_576.0;
    println!(
        "基线：一次 POST {:.1} MB 原始 JSON 到最简端点（读入并解析，三次取最快）：{:.2} 秒，{:.0} 条/秒，{:.0} 字节/条",
        mb(raw.len()),
        baseline.as_secs_f64(),
        per_second(events, baseline),
        raw.len() as f64 / events as f64
    );
    println!(
        "基线二：同一 POST，解析后在一个事务内写入一张只有主键的普通表（synchronous=FULL）：{:.2} 秒，{:.0} 条/秒",
        stored_baseline.as_secs_f64(),
        per_second(events, stored_baseline)
    );
    println!(
        "推送：{events} 条 {:.2} 秒，{:.0} 条/秒，线上 {:.0} 字节/条（gzip 请求体，{} 批），为基线用时的 {:.1} 倍、基线二的 {:.1} 倍，字节为基线的 {:.2} 倍（目标：10 秒内，2 倍以内）",
        push.as_secs_f64(),
        per_second(events, push),
        wire as f64 / events as f64,
        events.div_ceil(crate::sync::PUSH_BATCH),
        push.as_secs_f64() / baseline.as_secs_f64().max(1e-9),
        push.as_secs_f64() / stored_baseline.as_secs_f64().max(1e-9),
        wire as f64 / raw.len() as f64
    );
    // Where the push time goes, measured apart on the same events: the desk reading its
    // outbox, and encoding plus gzip; the rest is the link and the hub.
    println!(
        "  其中本机读待发事件约 {:.2} 秒、编码压缩约 {:.2} 秒，其余为传输与县级枢纽入库",
        outbox_read.as_secs_f64(),
        encoded.as_secs_f64()
    );
    println!(
        "拉取：{events} 条县级下发 {:.2} 秒，{:.0} 条/秒（每次 {} 条）",
        pull.as_secs_f64(),
        per_second(events, pull),
        crate::sync::PULL_BATCH
    );
    println!(
        "增量：新增 1 条后一次完整同步（查确认号、推送、拉取）p50 {:.1} 毫秒，p99 {:.1} 毫秒，{ROUNDS} 轮（目标：50 毫秒内）",
        percentile(&rounds, 0.50).as_secs_f64() * 1000.0,
        percentile(&rounds, 0.99).as_secs_f64() * 1000.0
    );
    drop(runtime);
    let _ = std::fs::remove_dir_all(&tmp).context("clean up");
    Ok(())
}
