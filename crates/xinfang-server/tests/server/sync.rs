//! Sync with the county: a real `xinfang serve` with its sync worker against a real
//! `xinfang-hub serve`, both on loopback. Configured over the HTTP API; matters pushed until the
//! hub's mark is the desk's last seq; a county assignment pulled into the inbox; the hub stopped
//! (registrations still answer at once, the panel shows the error and the backlog grows) and
//! restarted on the same port (everything converges, nothing twice); `xinfang verify` passes.
//!
//! The hub binary: `CARGO_BIN_EXE_*` exists only for this package's own binaries, so the test
//! builds `xinfang-hub` with the same cargo (`env!("CARGO")`) into the same target directory as
//! the `xinfang` binary under test, and runs it from there. When cargo is already up to date
//! this is a no-op; it also means the hub under test is never a stale one.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{
        Arc, OnceLock,
        atomic::{AtomicUsize, Ordering},
        mpsc,
    },
    time::{Duration, Instant},
};

use serde_json::{Value, json};

use crate::support::*;

pub(crate) fn hub_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let xinfang = Path::new(env!("CARGO_BIN_EXE_xinfang"));
        let profile_dir = xinfang.parent().expect("profile dir");
        let target = profile_dir.parent().expect("target dir");
        let mut build = Command::new(env!("CARGO"));
        build
            .args(["build", "-q", "-p", "xinfang-hub", "--bin", "xinfang-hub"])
            .env("CARGO_TARGET_DIR", target)
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            build.arg("--release");
        }
        let status = build.status().expect("run cargo build for xinfang-hub");
        assert!(status.success(), "cargo build -p xinfang-hub failed");
        let hub = xinfang.with_file_name(format!("xinfang-hub{}", std::env::consts::EXE_SUFFIX));
        assert!(hub.exists(), "{} missing", hub.display());
        hub
    })
}

pub(crate) fn hub_cmd(data: &Path) -> Command {
    let mut cmd = Command::new(hub_binary());
    cmd.arg("--data").arg(data).env_remove("XINFANG_HUB_DATA");
    cmd
}

pub(crate) fn hub_admin(data: &Path, args: &[&str]) -> String {
    let out = hub_cmd(data).args(args).output().expect("run xinfang-hub");
    assert!(
        out.status.success(),
        "xinfang-hub {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A running `xinfang-hub serve`; killed on drop.
pub(crate) struct Hub {
    child: Child,
    pub(crate) port: u16,
}

impl Hub {
    pub(crate) fn start(data: &Path, listen: &str) -> Hub {
        let mut child = hub_cmd(data)
            .args(["serve", "--listen", listen])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn xinfang-hub serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let line = lines
            .next()
            .expect("the hub printed its address")
            .expect("line");
        // Keep reading what the hub prints later: a closed pipe would kill it at its next line.
        std::thread::spawn(move || lines.for_each(drop));
        let port = line
            .strip_prefix("listening on http://")
            .and_then(|addr| addr.rsplit(':').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("address in {line}"));
        Hub { child, port }
    }

    pub(crate) fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn letter(summary: &str) -> Value {
    json!({
        "channel": "letter", "purpose": "demand", "matter_class": "appeal_demand",
        "summary": summary, "request": "要求解决", "facts_reasons": "事实与理由",
        "petitioners": [{"person": {"name": "孙丽华", "id_number": "11010519491231002X", "current_address": "北京市朝阳区某街道"}}]
    })
}

pub(crate) fn local_seq(data: &Path) -> i64 {
    let conn = open_register(data);
    conn.query_row(
        "SELECT max(seq) FROM events WHERE origin = (SELECT origin FROM centre)",
        [],
        |r| r.get(0),
    )
    .expect("max seq")
}

pub(crate) fn hub_mark(hub_data: &Path) -> i64 {
    let listed: Value =
        serde_json::from_str(&hub_admin(hub_data, &["centre", "list", "--json"])).expect("json");
    listed[0]["acknowledged"].as_i64().expect("acknowledged")
}

pub(crate) fn status(server: &Server, token: &str) -> Value {
    let (code, body) = server.call("sync_status", Some(token), &json!({}));
    assert_eq!(code, 200, "sync_status: {body}");
    body
}

/// Waits (at most 30 s) until `done` holds for the sync status; the last status.
pub(crate) fn wait_for(
    server: &Server,
    token: &str,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let now = status(server, token);
        if done(&now) {
            return now;
        }
        assert!(
            Instant::now() < until,
            "timed out waiting for {what}: {now}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_desk_syncs_with_the_county_hub_and_keeps_working_while_it_is_away() {
    let hub_dir = tempfile::tempdir().expect("hub dir");
    let hub = Hub::start(hub_dir.path(), "127.0.0.1:0");
    let hub_port = hub.port;
    let (centre_id, code) = add_centre(hub_dir.path());

    let dir = initialised(5);
    let server = Server::start_with(dir.path(), &["--sync-interval", "1"]);
    let admin = server.login("admin", ADMIN_PASSWORD);
    let clerk = server.login("wangfang", "demo-pass-2026");

    // Not configured: nothing waits for a hub, and the panel says so.
    let before = status(&server, &admin);
    assert_eq!(
        (&before["configured"], &before["connected"]),
        (&json!(false), &json!(false))
    );
    assert!(
        before["events_waiting"].as_i64().unwrap_or(0) > 0,
        "{before}"
    );

    // A bad URL is refused at its field, in Chinese; the clerk may not configure.
    let (code_bad, err) = server.call(
        "sync_configure",
        Some(&admin),
        &json!({"hub_url": "ftp://hub", "enrolment_code": code}),
    );
    assert_eq!(
        (code_bad, err["code"].as_str(), err["field"].as_str()),
        (422, Some("invalid_hub_url"), Some("hub_url")),
        "{err}"
    );
    let (forbidden, _) = server.call(
        "sync_configure",
        Some(&clerk),
        &json!({"hub_url": format!("http://127.0.0.1:{hub_port}"), "enrolment_code": code}),
    );
    assert_eq!(forbidden, 403);

    let (ok, configured) = server.call(
        "sync_configure",
        Some(&admin),
        &json!({"hub_url": format!("http://127.0.0.1:{hub_port}"), "enrolment_code": code}),
    );
    assert_eq!(ok, 200, "{configured}");
    for n in 0..3 {
        let (ok, body) = server.call(
            "matter_register",
            Some(&clerk),
            &letter(&format!("第{n}件")),
        );
        assert_eq!(ok, 200, "{body}");
    }
    let synced = wait_for(&server, &admin, "the first sync", |s| {
        s["connected"] == true && s["events_waiting"] == 0 && s["enrolled"] == true
    });
    assert_eq!(synced["local_seq"], json!(local_seq(dir.path())));
    assert_eq!(hub_mark(hub_dir.path()), local_seq(dir.path()));
    assert!(synced["last_success"].is_string(), "{synced}");

    // The county assigns a matter: it arrives in the inbox and becomes a matter of the centre.
    let payload = hub_dir.path().join("assignment.json");
    std::fs::write(
        &payload,
        json!({
            "reference": "某县信访局交〔2026〕21号",
            "from_unit": "某县信访局",
            "due_on": "2026-12-30",
            "matter": letter("请核查供暖问题"),
        })
        .to_string(),
    )
    .expect("payload");
    hub_admin(
        hub_dir.path(),
        &[
            "publish",
            "--to",
            &centre_id,
            "--kind",
            "county.assignment",
            "--payload",
            payload.to_str().expect("path"),
        ],
    );
    let (ok, _) = server.call("sync_request", Some(&admin), &json!({}));
    assert_eq!(ok, 200);
    wait_for(&server, &admin, "the assignment", |s| s["inbox_count"] == 1);
    let (ok, inbox) = server.call("county_inbox_list", Some(&admin), &json!({}));
    assert_eq!(ok, 200, "{inbox}");
    assert_eq!(inbox[0]["kind"], "county.assignment");
    assert_eq!(inbox[0]["kind_name"], "交办");
    assert_eq!(inbox[0]["payload"]["reference"], "某县信访局交〔2026〕21号");
    let until = Instant::now() + Duration::from_secs(10);
    let applied = loop {
        let (_, inbox) = server.call("county_inbox_list", Some(&admin), &json!({}));
        if inbox[0]["applied_at"].is_string() {
            break inbox[0].clone();
        }
        assert!(Instant::now() < until, "never applied: {inbox}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        applied["outcome"]
            .as_str()
            .is_some_and(|o| o.starts_with("交办事项已登记为 XF3301-2026-")),
        "{applied}"
    );
    let (ok, found) = server.call(
        "matter_search",
        Some(&clerk),
        &json!({"q": "请核查供暖问题"}),
    );
    assert_eq!(ok, 200, "{found}");
    assert_eq!(found["total"], 1, "{found}");

    // The hub goes away: first something takes its port that accepts and never answers, so
    // the worker is stuck inside a request; registrations still answer at once (the worker
    // holds no lock across network IO). Then nothing listens at all.
    hub.stop();
    let blackhole = std::net::TcpListener::bind(("127.0.0.1", hub_port)).expect("bind");
    blackhole.set_nonblocking(true).expect("nonblocking");
    let accepted = Arc::new(AtomicUsize::new(0));
    let (release, released) = mpsc::channel::<()>();
    let holder = {
        let accepted = accepted.clone();
        std::thread::spawn(move || {
            let mut streams = Vec::new();
            while released.try_recv().is_err() {
                if let Ok((stream, _)) = blackhole.accept() {
                    streams.push(stream);
                    accepted.fetch_add(1, Ordering::SeqCst);
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    let (ok, _) = server.call("sync_request", Some(&admin), &json!({}));
    assert_eq!(ok, 200);
    let until = Instant::now() + Duration::from_secs(10);
    while accepted.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < until, "the worker never called the hub");
        std::thread::sleep(Duration::from_millis(20));
    }
    for n in 0..3 {
        let started = Instant::now();
        let (ok, body) = server.call(
            "matter_register",
            Some(&clerk),
            &letter(&format!("挂起{n}")),
        );
        assert_eq!(ok, 200, "{body}");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "a registration waited for the hub: {:?}",
            started.elapsed()
        );
        let started = Instant::now();
        status(&server, &admin);
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "the panel waited"
        );
    }
    release.send(()).expect("release");
    holder.join().expect("holder");
    let mut slowest = Duration::ZERO;
    for n in 0..5 {
        let started = Instant::now();
        let (ok, body) = server.call(
            "matter_register",
            Some(&clerk),
            &letter(&format!("断网{n}")),
        );
        slowest = slowest.max(started.elapsed());
        assert_eq!(ok, 200, "{body}");
    }
    assert!(
        slowest < Duration::from_secs(2),
        "a registration waited for the network: {slowest:?}"
    );
    let (ok, _) = server.call("sync_request", Some(&admin), &json!({}));
    assert_eq!(ok, 200);
    let away = wait_for(&server, &admin, "the error", |s| {
        s["last_error"]["code"] == "unreachable"
    });
    assert_eq!(away["connected"], false);
    assert!(
        away["events_waiting"].as_i64().expect("waiting") >= 8,
        "{away}"
    );
    assert!(away["oldest_unsent"].is_string(), "{away}");
    assert!(
        away["last_error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("县级枢纽")),
        "{away}"
    );

    // Back on the same port: it converges, with nothing twice.
    let hub = Hub::start(hub_dir.path(), &format!("127.0.0.1:{hub_port}"));
    let (ok, _) = server.call("sync_request", Some(&admin), &json!({}));
    assert_eq!(ok, 200);
    let back = wait_for(&server, &admin, "convergence", |s| {
        s["connected"] == true && s["events_waiting"] == 0
    });
    assert_eq!(
        back["inbox_count"], 1,
        "the assignment is not received twice"
    );
    assert_eq!(back["last_error"], Value::Null);
    assert_eq!(hub_mark(hub_dir.path()), local_seq(dir.path()));
    let hub_events: i64 = rusqlite::Connection::open(hub_dir.path().join("hub.db"))
        .expect("hub.db")
        .query_row(
            "SELECT count(*) - count(DISTINCT id) FROM events",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(hub_events, 0, "no event is stored twice at the hub");
    drop(hub);
    drop(server);

    let out = run(xinfang(dir.path()).arg("verify"));
    assert!(
        out.status.success(),
        "verify: {}{}",
        stdout(&out),
        stderr(&out)
    );
}

/// Adds centre XF3301 at the hub in `hub_dir`: its hub id and one-time enrolment code.
pub(crate) fn add_centre(hub_dir: &Path) -> (String, String) {
    let added = hub_admin(
        hub_dir,
        &[
            "centre",
            "add",
            "--code",
            "XF3301",
            "--name",
            "某县信访局来访接待中心",
        ],
    );
    let field = |key: &str| {
        added
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|v| v.trim().to_owned())
            .unwrap_or_else(|| panic!("{key} in {added}"))
    };
    (field("centre_id:"), field("enrolment_code:"))
}

/// `add_centre`'s enrolment code.
pub(crate) fn enrolment_code(hub_dir: &Path) -> String {
    add_centre(hub_dir).1
}

#[test]
fn the_audit_trails_head_reaches_the_county_and_a_trail_cut_back_behind_it_fails_verify() {
    let hub_dir = tempfile::tempdir().expect("hub dir");
    let hub = Hub::start(hub_dir.path(), "127.0.0.1:0");
    let code = enrolment_code(hub_dir.path());
    let dir = initialised(1);
    let server = Server::start_with(dir.path(), &["--sync-interval", "1"]);
    let admin = server.login("admin", ADMIN_PASSWORD);
    let clerk = server.login("wangfang", "demo-pass-2026");
    let (ok, body) = server.call(
        "sync_configure",
        Some(&admin),
        &json!({"hub_url": format!("http://127.0.0.1:{}", hub.port), "enrolment_code": code}),
    );
    assert_eq!(ok, 200, "{body}");
    let (ok, body) = server.call("matter_register", Some(&clerk), &letter("审计锚点"));
    assert_eq!(ok, 200, "{body}");
    wait_for(&server, &admin, "the first sync", |s| {
        s["enrolled"] == true && s["events_waiting"] == 0 && s["last_error"].is_null()
    });
    // A quiet centre writes no more anchors: runs keep succeeding, the log stays as it is.
    let quiet = local_seq(dir.path());
    let last = status(&server, &admin)["last_success"].clone();
    wait_for(&server, &admin, "two more timer runs", |s| {
        s["last_success"] != last
    });
    let last = status(&server, &admin)["last_success"].clone();
    wait_for(&server, &admin, "one more", |s| s["last_success"] != last);
    assert_eq!(local_seq(dir.path()), quiet, "an idle run anchored again");
    drop(server);
    hub.stop();

    let register = open_register(dir.path());
    let origin: String = register
        .query_row("SELECT origin FROM centre", [], |r| r.get(0))
        .expect("origin");
    let (event_seq, audit_seq, audit_hash) = xinfang_core::audit::newest_anchor(&register, &origin)
        .expect("anchor")
        .expect("the sync anchored the trail");
    // The hub holds the same anchor as the desk.
    let at_hub: String = crate::converge::hub_db(hub_dir.path())
        .query_row(
            "SELECT payload FROM events WHERE origin = ?1 AND seq = ?2 AND kind = 'audit.anchored'",
            rusqlite::params![origin, event_seq],
            |r| r.get(0),
        )
        .expect("the anchor reached the hub");
    let at_hub: Value = serde_json::from_str(&at_hub).expect("json");
    assert_eq!(
        (at_hub["audit_seq"].as_i64(), at_hub["audit_hash"].as_str()),
        (Some(audit_seq), Some(audit_hash.as_str()))
    );
    let out = run(xinfang(dir.path()).arg("verify"));
    assert!(out.status.success(), "verify: {}", stdout(&out));

    // Someone with the key cuts the newest rows of the trail: the remaining chain is valid,
    // and `verify` still finds the cut.
    register
        .execute_batch(&format!(
            "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq >= {audit_seq};"
        ))
        .expect("cut the trail");
    drop(register);
    let out = run(xinfang(dir.path()).arg("verify"));
    assert!(!out.status.success(), "verify passed a cut trail");
    let said = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        said.contains(&format!("审计记录缺少第 {audit_seq} 条")),
        "{said}"
    );
}
