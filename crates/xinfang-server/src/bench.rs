//! `xinfang bench`: speed figures measured against a baseline in the same run, never asserted
//! in tests. Each benchmark builds its own registers in a temporary directory.
//!
//! - `register`: registrations per second through the operation surface (JSON in, validation,
//!   one transaction with events, projections and search index, JSON out) against raw rusqlite
//!   inserts of exactly the same rows into the same tables and indexes, one transaction per
//!   registration, same pragmas. The ratio is the price of the surface.
//! - `search`: first-page latency (count + 50 newest rows) over a mixed query set at each
//!   register size, against `LIKE '%…%'` producing the same answer on the same data.
//! - `clocks`: the state (正常/临期/到期/逾期) of every open clock read from the stored due
//!   dates, against recomputing every due date from its start with the calendar (what a design
//!   without stored dates would do); plus the supervision page and the indicators for a month
//!   and a year.

use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Datelike;
use rusqlite::{Connection, params_from_iter, types::Value};
use serde_json::json;
use xinfang_core::{
    Register,
    api::{MatterInput, PetitionerInput, UserCreateInput},
    auth::Session,
    clock::{FixedClock, SeededIds},
    db,
    demo::{self, Rng},
    model::Role,
    ops,
};

use crate::data::{self, InitOptions};

pub(crate) fn bench_register_dir(
    dir: &std::path::Path,
    size_hint: u64,
) -> anyhow::Result<(Register, FixedClock)> {
    let path = data::register_path(dir);
    let now = demo::utc_midnight(chrono::NaiveDate::from_ymd_opt(2026, 11, 28).context("date")?);
    let clock = FixedClock::new(now);
    let mut register = Register::open(
        &path,
        Box::new(clock.clone()),
        Box::new(SeededIds::new(
            size_hint,
            (now.timestamp_millis() - 800 * 86_400_000) as u64,
        )),
    )?;
    data::init(
        &mut register,
        &InitOptions {
            centre_code: "XF0001".into(),
            centre_name: "基准测试接待中心".into(),
            admin_username: "admin".into(),
            admin_password: "bench-admin-2026".into(),
            admin_must_change_password: false,
        },
    )?;
    Ok((register, clock))
}

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Registration throughput: operation surface vs raw inserts of the same rows.
pub fn register(count: u64) -> anyhow::Result<()> {
    let tmp = std::env::temp_dir().join(format!("xinfang-bench-register-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(tmp.join("surface"))?;
    let (mut register, _clock) = bench_register_dir(&tmp.join("surface"), 1)?;
    let mut guide = xinfang_core::api::new_user_record(
        &mut register,
        UserCreateInput {
            username: "guide".into(),
            display_name: "引导员".into(),
            role: Role::Guide,
            password: "bench-pass-2026".into(),
        },
    )?;
    guide.must_change_password = false;
    let session = Session {
        user_id: guide.user_id,
        username: guide.username.clone(),
        display_name: guide.display_name.clone(),
        role: Role::Guide,
        must_change_password: false,
        desk: String::new(),
    };
    register.write("system", |w| {
        w.record(xinfang_core::events::EventBody::UserCreated(guide))?;
        Ok(())
    })?;
    let mut rng = Rng::new(7);
    let inputs: Vec<serde_json::Value> = (0..count)
        .map(|i| {
            let input = MatterInput {
                channel: "letter".into(),
                purpose: "demand".into(),
                matter_class: "appeal_demand".into(),
                content_category: Some("labour_wages".into()),
                region_code: Some("330106".into()),
                request: format!("要求支付拖欠工资{}元", 1000 + i),
                facts_reasons:
                    "本人在某建筑公司从事施工工作，自今年三月起工资一直未发，多次讨要未果。".into(),
                summary: format!("反映某建筑公司拖欠工资问题（第{i}件）"),
                petitioners: vec![PetitionerInput {
                    person: Some(demo::fake_person(&mut rng, "330106", "西湖区文新街道")),
                    is_primary: true,
                    ..Default::default()
                }],
                ..Default::default()
            };
            serde_json::to_value(input).expect("inputs serialise")
        })
        .collect();
    let before: i64 = register
        .conn()
        .query_row("SELECT max(rid) FROM events", [], |r| r.get(0))?;
    let started = Instant::now();
    for input in &inputs {
        ops::call(
            &mut register,
            Some(&session),
            "matter_register",
            input.clone(),
        )?;
    }
    let surface = started.elapsed();

    // Collect exactly the rows those registrations produced, grouped per registration.
    let conn = register.conn();
    let mut groups: Vec<Vec<(String, Vec<Value>)>> = Vec::new();
    let matter_rows = rows(conn, "SELECT * FROM matters ORDER BY rid", [])?;
    for matter in matter_rows {
        let Value::Text(matter_id) = matter[1].clone() else {
            continue;
        };
        let mut group = Vec::new();
        let persons = rows(
            conn,
            "SELECT p.* FROM persons p JOIN matter_persons mp ON mp.person_id = p.id WHERE mp.matter_id = ?1",
            [matter_id.clone()],
        )?;
        for person in &persons {
            let Value::Text(pid) = person[0].clone() else {
                continue;
            };
            for e in rows(
                conn,
                "SELECT * FROM events WHERE rid > ?1 AND kind = 'person.registered' AND json_extract(payload, '$.person_id') = ?2",
                [Value::Integer(before), Value::Text(pid)],
            )? {
                group.push(("events".to_owned(), e));
            }
        }
        for e in rows(
            conn,
            "SELECT * FROM events WHERE json_extract(payload, '$.matter_id') = ?1",
            [matter_id.clone()],
        )? {
            group.push(("events".to_owned(), e));
        }
        for p in persons {
            group.push(("persons".to_owned(), p));
        }
        group.push(("matters".to_owned(), matter.clone()));
        for mp in rows(
            conn,
            "SELECT * FROM matter_persons WHERE matter_id = ?1",
            [matter_id.clone()],
        )? {
            group.push(("matter_persons".to_owned(), mp));
        }
        let text: String = conn.query_row(
            &format!(
                "SELECT {} FROM matters WHERE id = ?1",
                xinfang_core::search::SEARCH_TEXT_SQL
            ),
            [&matter_id],
            |r| r.get(0),
        )?;
        group.push((
            "matter_trigram".to_owned(),
            vec![matter[0].clone(), Value::Text(text.clone())],
        ));
        group.push((
            "matter_bigram".to_owned(),
            vec![
                matter[0].clone(),
                Value::Text(xinfang_core::search::bigram_tokens(&text)),
            ],
        ));
        group.push((
            "case_counters".to_owned(),
            vec![
                Value::Text("XF0001".into()),
                Value::Integer(2026),
                Value::Integer(0),
            ],
        ));
        groups.push(group);
    }

    std::fs::create_dir_all(tmp.join("raw"))?;
    let mut raw = db::open(&data::register_path(&tmp.join("raw")))?;
    let insert_sql = |table: &str, n: usize| -> String {
        match table {
            "matter_trigram" | "matter_bigram" => format!("INSERT INTO {table} (rowid, body) VALUES (?1, ?2)"),
            "case_counters" => "INSERT INTO case_counters (centre_code, year, last) VALUES (?1, ?2, 1) ON CONFLICT (centre_code, year) DO UPDATE SET last = last + 1".to_owned(),
            _ => format!("INSERT INTO {table} VALUES ({})", (1..=n).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ")),
        }
    };
    let started = Instant::now();
    for group in &groups {
        let tx = raw.transaction()?;
        for (table, values) in group {
            let sql = insert_sql(table, values.len());
            let values: &[Value] = if table == "case_counters" {
                &values[..2]
            } else {
                values
            };
            tx.prepare_cached(&sql)?
                .execute(params_from_iter(values.iter()))?;
        }
        tx.commit()?;
    }
    let raw_time = started.elapsed();
    let surface_rate = count as f64 / surface.as_secs_f64();
    let raw_rate = groups.len() as f64 / raw_time.as_secs_f64();
    println!(
        "registration benchmark — {count} letter matters, one new petitioner each, one transaction per registration, synchronous=FULL, WAL"
    );
    println!(
        "  operation surface (matter_register via ops::call): {surface_rate:>9.0} /s  ({:.2} ms each)",
        ms(surface) / count as f64
    );
    println!(
        "  raw rusqlite inserts of the same rows:             {raw_rate:>9.0} /s  ({:.2} ms each)",
        ms(raw_time) / groups.len() as f64
    );
    println!(
        "  overhead ratio (surface time / raw time): {:.2}×  (target < 3×)",
        surface.as_secs_f64() / raw_time.as_secs_f64()
    );
    drop(raw);
    drop(register);
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(())
}

fn rows<P: rusqlite::Params>(
    conn: &Connection,
    sql: &str,
    params: P,
) -> anyhow::Result<Vec<Vec<Value>>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let n = stmt.column_count();
    let out = stmt
        .query_map(params, |r| {
            (0..n)
                .map(|i| r.get::<_, Value>(i))
                .collect::<rusqlite::Result<Vec<_>>>()
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(out)
}

/// The query mix: what clerks type, with and without filters.
fn query_set(register: &Register) -> anyhow::Result<Vec<(String, serde_json::Value)>> {
    // Real names and numbers from the data, so "rare" queries really hit something.
    let conn = register.conn();
    let name: String = conn.query_row(
        "SELECT name FROM persons ORDER BY id LIMIT 1 OFFSET 17",
        [],
        |r| r.get(0),
    )?;
    let number: String = conn.query_row(
        "SELECT number FROM matters ORDER BY rid LIMIT 1 OFFSET 5",
        [],
        |r| r.get(0),
    )?;
    let region: String = conn.query_row(
        "SELECT region_code FROM matters ORDER BY rid LIMIT 1",
        [],
        |r| r.get(0),
    )?;
    Ok(vec![
        ("rare 4-char term 非法集资".into(), json!({"q": "非法集资"})),
        (
            "common 4-char term 拖欠工资".into(),
            json!({"q": "拖欠工资"}),
        ),
        ("common 2-char term 拆迁".into(), json!({"q": "拆迁"})),
        ("2-char name 张伟".into(), json!({"q": "张伟"})),
        (format!("full name {name}"), json!({"q": name})),
        ("1-char 王".into(), json!({"q": "王"})),
        (format!("case number {number}"), json!({"q": number})),
        (
            "term + channel filter".into(),
            json!({"q": "物业", "channel": "visit"}),
        ),
        (
            "term + date range".into(),
            json!({"q": "噪音", "received_from": "2026-01-01", "received_to": "2026-06-30"}),
        ),
        (
            "term + region".into(),
            json!({"q": "补偿", "region_code": region}),
        ),
        (
            "filters only: class + status".into(),
            json!({"matter_class": "accusation", "status": "registered"}),
        ),
        (
            "filters only: one month".into(),
            json!({"received_from": "2025-03-01", "received_to": "2025-03-31"}),
        ),
        ("no hits 量子计算机".into(), json!({"q": "量子计算机"})),
    ])
}

/// The LIKE baseline for one query: same count (capped) and same first page.
fn like_baseline(conn: &Connection, input: &serde_json::Value) -> anyhow::Result<usize> {
    let mut conditions = Vec::new();
    let mut params: Vec<Value> = Vec::new();
    if let Some(q) = input["q"].as_str() {
        for term in q.split_whitespace() {
            params.push(Value::Text(format!("%{term}%")));
            conditions.push(format!(
                "({}) LIKE ?{}",
                xinfang_core::search::SEARCH_TEXT_SQL,
                params.len()
            ));
        }
    }
    for (key, col) in [
        ("channel", "channel"),
        ("matter_class", "matter_class"),
        ("status", "status"),
    ] {
        if let Some(v) = input[key].as_str() {
            params.push(Value::Text(v.into()));
            conditions.push(format!("{col} = ?{}", params.len()));
        }
    }
    if let Some(v) = input["received_from"].as_str() {
        params.push(Value::Text(v.into()));
        conditions.push(format!("received_date >= ?{}", params.len()));
    }
    if let Some(v) = input["received_to"].as_str() {
        params.push(Value::Text(v.into()));
        conditions.push(format!("received_date <= ?{}", params.len()));
    }
    if let Some(v) = input["region_code"].as_str() {
        params.push(Value::Text(v.into()));
        conditions.push(format!("region_code = ?{}", params.len()));
    }
    let where_clause = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    let _count: i64 = conn
        .prepare_cached(&format!(
            "SELECT count(*) FROM (SELECT 1 FROM matters {where_clause} LIMIT 1001)"
        ))?
        .query_row(params_from_iter(params.iter()), |r| r.get(0))?;
    let page = conn
        .prepare_cached(&format!(
            "SELECT rid, number, summary FROM matters {where_clause} ORDER BY rid DESC LIMIT 50"
        ))?
        .query_map(params_from_iter(params.iter()), |r| r.get::<_, i64>(0))?
        .count();
    Ok(page)
}

/// First-page search latency at each size, against LIKE.
pub fn search(sizes: &[u64]) -> anyhow::Result<()> {
    for &size in sizes {
        let tmp = std::env::temp_dir().join(format!(
            "xinfang-bench-search-{size}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp)?;
        let (mut register, clock) = bench_register_dir(&tmp, size)?;
        let started = Instant::now();
        let until = register.now();
        demo::generate(&mut register, &clock, 42, size, until)?;
        println!(
            "\nsearch benchmark — {size} matters (generated in {:.0} s)",
            started.elapsed().as_secs_f64()
        );
        let session = Session {
            user_id: uuid::Uuid::nil(),
            username: "bench".into(),
            display_name: "bench".into(),
            role: Role::Supervisor,
            must_change_password: false,
            desk: String::new(),
        };
        let queries = query_set(&register)?;
        let rounds = 5;
        let mut all_fts = Vec::new();
        let mut all_like = Vec::new();
        println!(
            "  {:<40} {:>8} {:>10} {:>10} {:>8}",
            "query", "hits", "index ms", "LIKE ms", "ratio"
        );
        for (label, input) in &queries {
            let mut fts_times = Vec::new();
            let mut like_times = Vec::new();
            let mut hits = 0;
            for _ in 0..rounds {
                let t = Instant::now();
                let page = ops::call(
                    &mut register,
                    Some(&session),
                    "matter_search",
                    input.clone(),
                )?;
                fts_times.push(t.elapsed());
                hits = page["total"].as_u64().unwrap_or(0);
                let t = Instant::now();
                like_baseline(register.conn(), input)?;
                like_times.push(t.elapsed());
            }
            fts_times.sort();
            like_times.sort();
            let (f, l) = (percentile(&fts_times, 0.5), percentile(&like_times, 0.5));
            println!(
                "  {:<40} {:>8} {:>10.2} {:>10.2} {:>7.1}×",
                label,
                if hits >= 1_000 {
                    "1000+".to_owned()
                } else {
                    hits.to_string()
                },
                ms(f),
                ms(l),
                ms(l) / ms(f).max(0.001)
            );
            all_fts.extend(fts_times);
            all_like.extend(like_times);
        }
        all_fts.sort();
        all_like.sort();
        let (p50, p95) = (percentile(&all_fts, 0.5), percentile(&all_fts, 0.95));
        let (l50, l95) = (percentile(&all_like, 0.5), percentile(&all_like, 0.95));
        println!(
            "  index: p50 {:.2} ms, p95 {:.2} ms   LIKE: p50 {:.2} ms, p95 {:.2} ms",
            ms(p50),
            ms(p95),
            ms(l50),
            ms(l95)
        );
        println!(
            "  p95 ratio LIKE/index: {:.1}×  (targets: index p95 < 20 ms at 1M, ≥ 10× faster than LIKE)",
            ms(l95) / ms(p95).max(0.001)
        );
        drop(register);
        let _ = std::fs::remove_dir_all(&tmp);
    }
    Ok(())
}

/// Clock states for every case and the supervision/indicator queries, at each size.
pub fn clocks(sizes: &[u64]) -> anyhow::Result<()> {
    use xinfang_core::{api, domain::deadline};
    for &size in sizes {
        let tmp = std::env::temp_dir().join(format!(
            "xinfang-bench-clocks-{size}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp)?;
        let (mut register, clock) = bench_register_dir(&tmp, size)?;
        let started = Instant::now();
        let until = register.now();
        demo::generate(&mut register, &clock, 42, size, until)?;
        let today = xinfang_core::clock::china_date(register.now());
        let open: i64 = register.conn().query_row(
            "SELECT count(*) FROM matter_clocks WHERE status = 'open'",
            [],
            |r| r.get(0),
        )?;
        println!(
            "\nclock benchmark — {size} matters, {open} open clocks (generated in {:.0} s)",
            started.elapsed().as_secs_f64()
        );
        let rounds = 3;
        let mut stored = Vec::new();
        let mut counts = api::ClockCounts::default();
        for _ in 0..rounds {
            let t = Instant::now();
            counts = api::recompute_states(register.conn(), today, 3)?;
            stored.push(t.elapsed());
        }
        // Baseline: recompute each open clock's due date from its start and length.
        let mut naive = Vec::new();
        for _ in 0..rounds {
            let t = Instant::now();
            let mut stmt = register.conn().prepare(
                "SELECT kind, start_date, length FROM matter_clocks WHERE status = 'open'
                   AND kind NOT IN ('D4', 'D7', 'D9')",
            )?;
            let mut rows = stmt.query([])?;
            let mut overdue = 0u64;
            while let Some(r) = rows.next()? {
                let kind: String = r.get(0)?;
                let start: String = r.get(1)?;
                let length: u32 = r.get(2)?;
                let kind = deadline::ClockKind::ALL
                    .into_iter()
                    .find(|k| k.code() == kind)
                    .context("clock kind")?;
                let start = chrono::NaiveDate::parse_from_str(&start, "%Y-%m-%d")?;
                let due = deadline::compute_due(
                    kind,
                    start,
                    Some(length),
                    deadline::Rollover::None,
                    register.calendar(),
                )
                .map_err(|e| anyhow::anyhow!(e.to_string()))?;
                if due.due < today {
                    overdue += 1;
                }
            }
            anyhow::ensure!(overdue == counts.overdue, "baseline disagrees on overdue");
            naive.push(t.elapsed());
        }
        stored.sort();
        naive.sort();
        let (a, b) = (percentile(&stored, 0.5), percentile(&naive, 0.5));
        println!(
            "  every clock state from stored dates: {:>9.1} ms   (逾期 {}, 到期 {}, 临期 {})",
            ms(a),
            counts.overdue,
            counts.due_today,
            counts.approaching
        );
        println!(
            "  baseline, every due date recomputed: {:>9.1} ms   ratio {:.1}×  (target < 2 s at 1M)",
            ms(b),
            ms(b) / ms(a).max(0.001)
        );
        let session = Session {
            user_id: uuid::Uuid::nil(),
            username: "bench".into(),
            display_name: "bench".into(),
            role: Role::Supervisor,
            must_change_password: false,
            desk: String::new(),
        };
        let mut timed = |label: &str, op: &str, input: serde_json::Value| -> anyhow::Result<()> {
            let mut times = Vec::new();
            for _ in 0..rounds {
                let t = Instant::now();
                ops::call(&mut register, Some(&session), op, input.clone())?;
                times.push(t.elapsed());
            }
            times.sort();
            println!("  {label:<37} {:>9.1} ms", ms(percentile(&times, 0.5)));
            Ok(())
        };
        timed(
            "supervision page (overdue + groups)",
            "clocks_list",
            json!({ "bucket": "overdue" }),
        )?;
        let month_start = today.with_day(1).context("month")?;
        timed(
            "indicators, this month",
            "indicators",
            json!({ "from": month_start, "to": today }),
        )?;
        timed(
            "indicators, twelve months",
            "indicators",
            json!({ "from": today - chrono::Days::new(365), "to": today }),
        )?;
        let month = format!("{}-{:02}", today.year(), today.month());
        timed(
            "monthly report figures (target < 5 s)",
            "report_data",
            json!({ "period": month }),
        )?;
        timed(
            "monthly report as Excel",
            "report_export",
            json!({ "period": month }),
        )?;
        timed(
            "annual report figures",
            "report_data",
            json!({ "period": today.year().to_string() }),
        )?;
        drop(register);
        let _ = std::fs::remove_dir_all(&tmp);
    }
    Ok(())
}
