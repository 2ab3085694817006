//! Convergence of two centres and the county hub (issue 7): real `xinfang serve` processes and a
//! real `xinfang-hub serve`, the desks reaching the hub through the seeded fault proxy
//! (`faults.rs`). Random registrations and acceptances on both sides, county events published
//! to each and to all, random sync requests through the faults, kill -9 of the hub inside a
//! push and of a desk mid-sync, a hub restored from an older backup; then the faults stop and
//! everything must agree:
//!
//! - the hub has every event of each centre exactly once, with the content the desk has (in
//!   wire form), nothing held, and its mark for the centre is the centre's last seq;
//! - each centre's acknowledged mark is its last seq;
//! - each centre's inbox holds exactly the county events routed to it, once each (after a
//!   restore also those the restored hub forgot: the desk keeps what it pulled);
//! - `xinfang verify` passes on both registers and the hub's file passes `integrity_check`.
//!
//! Every assertion message carries the fault seed (`XINFANG_FAULT_SEED` replays the schedule).
//! `RUN_SLOW_TESTS=1` makes the random phase several times longer (the soak).

use std::{
    collections::{BTreeMap, BTreeSet},
    path::Path,
    time::{Duration, Instant},
};

use rusqlite::OptionalExtension;
use serde_json::{Value, json};
use uuid::Uuid;
use xinfang_core::demo::Rng;
use xinfang_sync::{WireEvent, wire_form};

use crate::{
    faults::{self, FaultProxy},
    support::*,
    sync::{hub_admin, hub_cmd, letter},
};

/// A running `xinfang-hub serve` on a free loopback port (the proxy follows it to a new one
/// after a restart); killed with SIGKILL on `stop` and on drop.
struct HubProcess {
    child: std::process::Child,
    port: u16,
}

impl HubProcess {
    fn start(data: &Path, extra: &[&str]) -> HubProcess {
        use std::io::BufRead;
        let mut child = hub_cmd(data)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("spawn xinfang-hub serve");
        let mut lines = std::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
        let line = lines
            .next()
            .expect("the hub printed its address")
            .expect("line");
        // Keep reading: a closed pipe would kill the hub at its next line.
        std::thread::spawn(move || lines.for_each(drop));
        let port = line
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("address in {line}"));
        HubProcess { child, port }
    }

    /// `kill -9`.
    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One centre: its data directory, its running `xinfang serve` and who works there.
struct Centre {
    code: &'static str,
    dir: tempfile::TempDir,
    server: Option<Server>,
    hub_id: String,
    /// The hub's data directory, for its request log when something does not converge.
    hub_dir: std::path::PathBuf,
    admin: String,
    clerk: String,
    handler: String,
    /// Registered matters not yet accepted.
    open_matters: Vec<String>,
}

impl Centre {
    /// A register with a demo set, added at the hub, served, and configured to reach the hub
    /// through `proxy`.
    fn new(code: &'static str, cases: u64, hub_dir: &Path, proxy: &FaultProxy) -> Centre {
        let dir = tempfile::tempdir().expect("dir");
        let out = run(xinfang(dir.path()).args([
            "init",
            "--centre-code",
            code,
            "--admin-password",
            ADMIN_PASSWORD,
        ]));
        assert!(out.status.success(), "init: {}", stderr(&out));
        let added = hub_admin(
            hub_dir,
            &[
                "centre",
                "add",
                "--code",
                code,
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
        let mut centre = Centre {
            code,
            dir,
            server: None,
            hub_id: field("centre_id:"),
            hub_dir: hub_dir.to_path_buf(),
            admin: String::new(),
            clerk: String::new(),
            handler: String::new(),
            open_matters: Vec::new(),
        };
        // Each centre its own demo seed: the demo's ids are seeded, and an id is one event
        // county-wide.
        centre.demo(cases, u64::from(code.bytes().map(u32::from).sum::<u32>()));
        centre.start();
        let (ok, body) = centre.server().call(
            "sync_configure",
            Some(&centre.admin),
            &json!({"hub_url": proxy.url(), "enrolment_code": field("enrolment_code:")}),
        );
        assert_eq!(ok, 200, "sync_configure: {body}");
        centre
    }

    /// More demo matters (the centre stopped).
    fn demo(&self, cases: u64, seed: u64) {
        let out = run(xinfang(self.dir.path()).args([
            "demo",
            "--cases",
            &cases.to_string(),
            "--seed",
            &seed.to_string(),
        ]));
        assert!(out.status.success(), "demo: {}", stderr(&out));
    }

    fn start(&mut self) {
        let server = Server::start_with(self.dir.path(), &["--sync-interval", "1"]);
        self.admin = server.login("admin", ADMIN_PASSWORD);
        self.clerk = server.login("wangfang", "demo-pass-2026");
        self.handler = server.login("zhaomin", "demo-pass-2026");
        self.server = Some(server);
    }

    /// `kill -9` (what dropping a `Server` does), then the same data directory again.
    fn kill_and_restart(&mut self) {
        drop(self.server.take());
        self.start();
    }

    fn stop(&mut self) {
        drop(self.server.take());
    }

    fn server(&self) -> &Server {
        self.server.as_ref().expect("the centre is running")
    }

    fn request_sync(&self, seed: u64) {
        let (ok, body) = self
            .server()
            .call("sync_request", Some(&self.admin), &json!({}));
        assert_eq!(ok, 200, "seed {seed}: sync_request: {body}");
    }

    fn status(&self) -> Value {
        let (ok, body) = self
            .server()
            .call("sync_status", Some(&self.admin), &json!({}));
        assert_eq!(ok, 200, "sync_status: {body}");
        body
    }

    /// The hub's newest log lines about this centre.
    fn hub_log(&self) -> String {
        hub_admin(
            &self.hub_dir,
            &["log", "--centre", &self.hub_id, "--limit", "15"],
        )
    }

    fn register_matter(&mut self, seed: u64, n: usize) {
        let (ok, body) = self.server().call(
            "matter_register",
            Some(&self.clerk),
            &letter(&format!("{}第{n}件", self.code)),
        );
        assert_eq!(ok, 200, "seed {seed}: matter_register: {body}");
        self.open_matters
            .push(body["id"].as_str().expect("matter id").to_owned());
    }

    /// A random operation of a clerk or handler, or a sync request.
    fn random_op(&mut self, rng: &mut Rng, seed: u64, n: usize) {
        match rng.below(10) {
            0..=5 => self.register_matter(seed, n),
            6 | 7 if !self.open_matters.is_empty() => {
                let at = rng.below(self.open_matters.len() as u64) as usize;
                let matter = self.open_matters.swap_remove(at);
                let (ok, body) = self.server().call(
                    "matter_accept",
                    Some(&self.handler),
                    &json!({ "matter_id": matter }),
                );
                assert_eq!(ok, 200, "seed {seed}: matter_accept: {body}");
            }
            _ => self.request_sync(seed),
        }
    }
}

/// The payload of a county 交办: a complete matter the centre registers when it applies it.
pub(crate) fn assignment(n: usize) -> Value {
    json!({
        "reference": format!("县信访局交〔2026〕{n}号"),
        "from_unit": "某某县信访局",
        "due_on": "2026-12-31",
        "note": "请依法处理并反馈",
        "matter": letter(&format!("县级交办第{n}件")),
    })
}

/// A county 交办 to `to` (a centre id or `all`); the published event's id.
fn publish(hub_dir: &Path, to: &str, n: usize) -> (i64, String) {
    let payload = hub_dir.join(format!("assignment-{n}.json"));
    std::fs::write(&payload, assignment(n).to_string()).expect("payload");
    let out = hub_admin(
        hub_dir,
        &[
            "publish",
            "--to",
            to,
            "--kind",
            "county.assignment",
            "--payload",
            payload.to_str().expect("path"),
            "--json",
        ],
    );
    let published: Value = serde_json::from_str(&out).expect("publish --json");
    (
        published["cursor"].as_i64().expect("cursor"),
        published["event"]["id"]
            .as_str()
            .expect("event id")
            .to_owned(),
    )
}

/// The county events each centre should hold, by centre id.
#[derive(Default)]
struct Routed(BTreeMap<String, BTreeSet<String>>);

impl Routed {
    fn publish(&mut self, hub_dir: &Path, to: &Centre, also: &Centre, all: bool, n: usize) {
        let target = if all { "all" } else { to.hub_id.as_str() };
        let (_, id) = publish(hub_dir, target, n);
        self.0
            .entry(to.hub_id.clone())
            .or_default()
            .insert(id.clone());
        if all {
            self.0.entry(also.hub_id.clone()).or_default().insert(id);
        }
    }

    fn of(&self, centre: &Centre) -> BTreeSet<String> {
        self.0.get(&centre.hub_id).cloned().unwrap_or_default()
    }
}

pub(crate) fn hub_db(hub_dir: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open_with_flags(
        hub_dir.join("hub.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("hub.db read-only");
    conn.busy_timeout(Duration::from_secs(10)).expect("timeout");
    conn
}

fn wire_event(r: &rusqlite::Row<'_>) -> rusqlite::Result<WireEvent> {
    let uuid = |idx: usize| -> rusqlite::Result<Uuid> {
        let text: String = r.get(idx)?;
        Uuid::parse_str(&text).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, e.into())
        })
    };
    let payload: String = r.get(7)?;
    Ok(WireEvent {
        id: uuid(0)?,
        origin: uuid(1)?,
        seq: r.get(2)?,
        actor: r.get(3)?,
        at: r.get(4)?,
        kind: r.get(5)?,
        schema_version: r.get(6)?,
        payload: serde_json::from_str(&payload).expect("payload JSON"),
    })
}

const EVENT_COLUMNS: &str = "id, origin, seq, actor, at, kind, schema_version, payload";

/// Where a centre's register is and who it is at the hub.
pub(crate) struct CentreFiles<'a> {
    pub(crate) dir: &'a Path,
    pub(crate) hub_id: &'a str,
    pub(crate) code: &'a str,
}

impl Centre {
    fn files(&self) -> CentreFiles<'_> {
        CentreFiles {
            dir: self.dir.path(),
            hub_id: &self.hub_id,
            code: self.code,
        }
    }
}

/// Where a centre and the hub disagree, in words; `Ok` when they agree. `inbox` is what the
/// desk's inbox must hold, `routed` what the hub must route to it.
pub(crate) fn disagreement(
    hub_dir: &Path,
    centre: &CentreFiles<'_>,
    inbox: &BTreeSet<String>,
    routed: &BTreeSet<String>,
) -> Result<(), String> {
    let desk = open_register_read_only(centre.dir);
    let origin: String = desk
        .query_row("SELECT origin FROM centre", [], |r| r.get(0))
        .expect("origin");
    let mine: Vec<WireEvent> = desk
        .prepare(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE origin = ?1 ORDER BY seq"
        ))
        .expect("prepare")
        .query_map([&origin], wire_event)
        .expect("query")
        .collect::<rusqlite::Result<Vec<_>>>()
        .expect("desk events")
        .into_iter()
        .map(wire_form)
        .collect();
    let last = mine.len() as i64;
    if mine.iter().zip(1..).any(|(e, seq)| e.seq != seq) {
        return Err(format!("{}: the desk's own seqs have a gap", centre.code));
    }
    let hub = hub_db(hub_dir);
    let theirs: Vec<WireEvent> = hub
        .prepare(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE origin = ?1 ORDER BY seq, cursor"
        ))
        .expect("prepare")
        .query_map([&origin], wire_event)
        .expect("query")
        .collect::<rusqlite::Result<Vec<_>>>()
        .expect("hub events");
    if theirs.len() != mine.len() {
        return Err(format!(
            "{}: the hub has {} of the centre's {} events",
            centre.code,
            theirs.len(),
            mine.len()
        ));
    }
    if let Some((a, b)) = mine.iter().zip(&theirs).find(|(a, b)| a != b) {
        return Err(format!(
            "{}: seq {} differs: desk {a:?}, hub {b:?}",
            centre.code, a.seq
        ));
    }
    let count = |sql: &str| -> i64 {
        hub.query_row(sql, [&origin], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    };
    let held = count("SELECT count(*) FROM held WHERE origin = ?1");
    let hub_mark = count("SELECT coalesce(max(acknowledged), 0) FROM marks WHERE origin = ?1");
    let acknowledged: i64 = desk
        .query_row("SELECT acknowledged FROM sync_state", [], |r| r.get(0))
        .expect("acknowledged");
    if (held, hub_mark, acknowledged) != (0, last, last) {
        return Err(format!(
            "{}: held {held}, hub mark {hub_mark}, desk's mark {acknowledged}, last seq {last}",
            centre.code
        ));
    }
    let in_inbox: Vec<String> = desk
        .prepare("SELECT id FROM county_inbox")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("inbox");
    let inbox_set: BTreeSet<String> = in_inbox.iter().cloned().collect();
    if in_inbox.len() != inbox_set.len() || &inbox_set != inbox {
        return Err(format!(
            "{}: the inbox holds {in_inbox:?}, it should hold {inbox:?} once each",
            centre.code
        ));
    }
    let hub_routed: BTreeSet<String> = hub
        .prepare(
            "SELECT e.id FROM events e JOIN routes r ON r.cursor = e.cursor
             WHERE r.centre_id = ?1 OR r.centre_id IS NULL",
        )
        .expect("prepare")
        .query_map([centre.hub_id], |r| r.get(0))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("routed");
    if &hub_routed != routed {
        return Err(format!(
            "{}: the hub routes {hub_routed:?} to it, it should route {routed:?}",
            centre.code
        ));
    }
    Ok(())
}

/// Asks both centres to sync until they agree with the hub (at most 90 s); then asserts it.
fn converge(
    seed: u64,
    hub_dir: &Path,
    centres: [(&Centre, &BTreeSet<String>, &BTreeSet<String>); 2],
) {
    let until = Instant::now() + Duration::from_secs(90);
    loop {
        for (centre, _, _) in centres {
            centre.request_sync(seed);
        }
        std::thread::sleep(Duration::from_millis(400));
        let all = centres
            .iter()
            .all(|(c, inbox, routed)| disagreement(hub_dir, &c.files(), inbox, routed).is_ok());
        if all || Instant::now() > until {
            break;
        }
    }
    for (centre, inbox, routed) in centres {
        if let Err(what) = disagreement(hub_dir, &centre.files(), inbox, routed) {
            panic!(
                "seed {seed}: no convergence: {what}; status {}\nthe hub's log: {}",
                centre.status(),
                centre.hub_log()
            );
        }
    }
    let hub = hub_db(hub_dir);
    let (events, ids): (i64, i64) = hub
        .query_row("SELECT count(*), count(DISTINCT id) FROM events", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("count");
    assert_eq!(events, ids, "seed {seed}: no event is at the hub twice");
}

/// Stops everything and checks every file: `xinfang verify` on each register, `integrity_check`
/// on the hub's.
fn verify_everywhere(seed: u64, hub: HubProcess, hub_dir: &Path, centres: [&mut Centre; 2]) {
    hub.stop();
    for centre in centres {
        centre.stop();
        let out = run(xinfang(centre.dir.path()).arg("verify"));
        assert!(
            out.status.success(),
            "seed {seed}: verify {}: {}{}",
            centre.code,
            stdout(&out),
            stderr(&out)
        );
    }
    let check: String = hub_db(hub_dir)
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(check, "ok", "seed {seed}: hub.db");
}

/// Waits (at most `limit`) until `done` holds of the centre's sync status.
fn wait_status(
    seed: u64,
    centre: &Centre,
    what: &str,
    limit: Duration,
    done: impl Fn(&Value) -> bool,
) {
    let until = Instant::now() + limit;
    loop {
        let now = centre.status();
        if done(&now) {
            return;
        }
        assert!(
            Instant::now() < until,
            "seed {seed}: {}: timed out waiting for {what}: {now}\nthe hub's log: {}",
            centre.code,
            centre.hub_log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Requests a run and waits until one has succeeded with nothing left waiting.
///
/// Why not only "a new success": the timer's own run may have started before the caller's
/// last writes and finish first; it is a success, but the hub does not have those writes yet
/// (a test that then restores an older register saw no conflict because of it).
fn synced_once(seed: u64, centre: &Centre) {
    let before = centre.status()["last_success"].clone();
    centre.request_sync(seed);
    wait_status(
        seed,
        centre,
        "a run that succeeds with nothing waiting",
        Duration::from_secs(30),
        |s| {
            s["last_success"] != before
                && s["last_error"].is_null()
                && s["events_waiting"].as_i64() == Some(0)
        },
    );
}

#[test]
fn two_centres_and_the_hub_agree_after_random_work_partial_syncs_faults_and_kills() {
    let seed = faults::seed();
    let mut rng = Rng::new(seed);
    let rounds = if std::env::var_os("RUN_SLOW_TESTS").is_some() {
        200
    } else {
        40
    };
    let hub_dir = tempfile::tempdir().expect("hub dir");
    let mut hub = HubProcess::start(hub_dir.path(), &[]);
    let proxy = FaultProxy::start(hub.port, seed, 45);
    // The first centre starts with more than one push batch (500 events) waiting.
    let mut a = Centre::new("XF3301", 60, hub_dir.path(), &proxy);
    let mut b = Centre::new("XF3302", 5, hub_dir.path(), &proxy);
    let mut routed = Routed::default();
    let kill_hub_at = rounds / 3;
    let kill_desk_at = 2 * rounds / 3;

    proxy.set_faulty(true);
    for round in 0..rounds {
        let (this, other) = if rng.chance(50) {
            (&mut a, &mut b)
        } else {
            (&mut b, &mut a)
        };
        this.random_op(&mut rng, seed, round);
        if rng.chance(15) {
            routed.publish(hub_dir.path(), this, other, rng.chance(30), round);
        }
        if rng.chance(30) {
            this.request_sync(seed);
        }
        std::thread::sleep(Duration::from_millis(rng.below(150)));

        if round == kill_hub_at {
            // A clean run first, so the backoff starts from the interval; then the hub is
            // killed inside a push transaction and comes back on another port. The desks must
            // find it again on their own (no sync request), within their backoff.
            proxy.set_faulty(false);
            synced_once(seed, &a);
            synced_once(seed, &b);
            hub.stop();
            hub = HubProcess::start(hub_dir.path(), &["--fault-before-commit-ms", "3000"]);
            proxy.set_upstream(hub.port);
            let pushes = proxy.pushes();
            a.register_matter(seed, round);
            a.request_sync(seed);
            let until = Instant::now() + Duration::from_secs(20);
            while proxy.pushes() == pushes {
                assert!(
                    Instant::now() < until,
                    "seed {seed}: no push reached the hub"
                );
                std::thread::sleep(Duration::from_millis(10));
            }
            std::thread::sleep(Duration::from_millis(300));
            hub.stop();
            let down = (
                a.status()["last_success"].clone(),
                b.status()["last_success"].clone(),
            );
            b.register_matter(seed, round);
            std::thread::sleep(Duration::from_millis(1500));
            hub = HubProcess::start(hub_dir.path(), &[]);
            proxy.set_upstream(hub.port);
            for (centre, before) in [(&a, &down.0), (&b, &down.1)] {
                wait_status(
                    seed,
                    centre,
                    "recovery by backoff",
                    Duration::from_secs(40),
                    |s| &s["last_success"] != before && s["last_error"].is_null(),
                );
            }
            proxy.set_faulty(true);
        }

        if round == kill_desk_at {
            proxy.set_faulty(false);
            let centre = this_or(&mut a, &mut b, round);
            // Killed while the hub has stored a push whose answer never came back.
            let stalled = proxy.stalled();
            proxy.set_stall_pushes(true);
            centre.register_matter(seed, round);
            centre.request_sync(seed);
            let until = Instant::now() + Duration::from_secs(20);
            while proxy.stalled() == stalled {
                assert!(Instant::now() < until, "seed {seed}: no push was stalled");
                std::thread::sleep(Duration::from_millis(10));
            }
            centre.kill_and_restart();
            proxy.set_stall_pushes(false);
            // And killed at a random moment of the runs that send a backlog of more than one
            // batch (the worker starts one as soon as `serve` is up).
            centre.stop();
            centre.demo(40, rng.next_u64() % 1_000_000);
            centre.start();
            std::thread::sleep(Duration::from_millis(rng.below(1500)));
            centre.kill_and_restart();
            proxy.set_faulty(true);
        }
    }

    let tally = proxy.tally();
    eprintln!("seed {seed}: faults met {tally:?}");
    assert!(
        tally.broken() >= 5,
        "seed {seed}: the faults must have broken requests: {tally:?}"
    );
    proxy.set_faulty(false);
    let (inbox_a, inbox_b) = (routed.of(&a), routed.of(&b));
    converge(
        seed,
        hub_dir.path(),
        [(&a, &inbox_a, &inbox_a), (&b, &inbox_b, &inbox_b)],
    );
    verify_everywhere(seed, hub, hub_dir.path(), [&mut a, &mut b]);
}

/// The centre a round's kill lands on.
fn this_or<'a>(a: &'a mut Centre, b: &'a mut Centre, round: usize) -> &'a mut Centre {
    if round.is_multiple_of(2) { a } else { b }
}

fn copy_hub_files(from: &Path, to: &Path) {
    copy_sqlite_file(from, to, "hub.db");
}

/// Copies a SQLite file and its write-ahead log (the process that had it open is gone), and
/// removes the target's old log and shared memory first.
fn copy_sqlite_file(from: &Path, to: &Path, name: &str) {
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(to.join(format!("{name}{suffix}")));
    }
    for file in [name.to_owned(), format!("{name}-wal")] {
        if from.join(&file).exists() {
            std::fs::copy(from.join(&file), to.join(&file)).expect("copy");
        }
    }
}

fn pull_cursor(centre: &Centre) -> i64 {
    open_register_read_only(centre.dir.path())
        .query_row("SELECT pull_cursor FROM sync_state", [], |r| r.get(0))
        .expect("pull_cursor")
}

#[test]
fn a_hub_restored_from_an_older_backup_gets_back_what_it_lost_and_new_county_events_arrive() {
    let seed = faults::seed();
    let mut rng = Rng::new(seed);
    let hub_dir = tempfile::tempdir().expect("hub dir");
    let backup = tempfile::tempdir().expect("backup dir");
    let mut hub = HubProcess::start(hub_dir.path(), &[]);
    let proxy = FaultProxy::start(hub.port, seed, 30);
    let mut a = Centre::new("XF3301", 3, hub_dir.path(), &proxy);
    let mut b = Centre::new("XF3302", 3, hub_dir.path(), &proxy);
    // County events the restored hub still has, those it forgot, and those after the restore.
    let (mut kept, mut forgotten, mut after) =
        (Routed::default(), Routed::default(), Routed::default());
    kept.publish(hub_dir.path(), &a, &b, false, 1);
    kept.publish(hub_dir.path(), &a, &b, true, 2);
    a.register_matter(seed, 1);
    b.register_matter(seed, 1);
    let (inbox_a, inbox_b) = (kept.of(&a), kept.of(&b));
    converge(
        seed,
        hub_dir.path(),
        [(&a, &inbox_a, &inbox_a), (&b, &inbox_b, &inbox_b)],
    );

    // The backup, taken with the hub stopped.
    hub.stop();
    copy_hub_files(hub_dir.path(), backup.path());
    hub = HubProcess::start(hub_dir.path(), &[]);
    proxy.set_upstream(hub.port);

    // After it: both centres push more, the county publishes, both pull.
    a.register_matter(seed, 2);
    for n in 0..3 {
        b.register_matter(seed, 10 + n);
    }
    forgotten.publish(hub_dir.path(), &a, &b, false, 3);
    forgotten.publish(hub_dir.path(), &a, &b, true, 4);
    let inbox_a: BTreeSet<String> = kept.of(&a).union(&forgotten.of(&a)).cloned().collect();
    let inbox_b: BTreeSet<String> = kept.of(&b).union(&forgotten.of(&b)).cloned().collect();
    converge(
        seed,
        hub_dir.path(),
        [(&a, &inbox_a, &inbox_a), (&b, &inbox_b, &inbox_b)],
    );
    let acknowledged_before = a.status()["acknowledged"].as_i64().expect("acknowledged");
    let cursor_before = pull_cursor(&a);

    // The hub comes back from the backup: it forgot the centres' last events and the county's
    // last two, and its cursor hands out numbers the desks already passed.
    hub.stop();
    copy_hub_files(backup.path(), hub_dir.path());
    hub = HubProcess::start(hub_dir.path(), &[]);
    proxy.set_upstream(hub.port);
    let (collide, id) = publish(hub_dir.path(), &a.hub_id, 5);
    after.0.entry(a.hub_id.clone()).or_default().insert(id);
    assert!(
        collide <= cursor_before,
        "seed {seed}: the restored hub re-issues cursor {collide}, at or below A's {cursor_before}"
    );
    // B syncs first and pushes a lot, so the hub's log is longer than A's cursor again by the
    // time A looks: the hub's highest cursor alone would not tell A that anything is wrong.
    for n in 0..12 {
        b.register_matter(seed, 100 + n);
    }
    synced_once(seed, &b);
    let head: i64 = hub_db(hub_dir.path())
        .query_row("SELECT max(cursor) FROM events", [], |r| r.get(0))
        .expect("head");
    assert!(
        head > cursor_before,
        "seed {seed}: the hub's log ({head}) is past A's cursor ({cursor_before}) again"
    );
    after.publish(hub_dir.path(), &a, &b, true, 6);
    // A little more work and syncing through faults before they stop.
    proxy.set_faulty(true);
    for n in 0..6 {
        a.random_op(&mut rng, seed, 200 + n);
        b.random_op(&mut rng, seed, 200 + n);
        std::thread::sleep(Duration::from_millis(rng.below(200)));
    }
    proxy.set_faulty(false);

    // The restored hub routes what it kept and what came after; the desks hold that and
    // also what they pulled before the restore (a desk keeps what it pulled).
    let union = |sets: [BTreeSet<String>; 2]| -> BTreeSet<String> {
        sets[0].union(&sets[1]).cloned().collect()
    };
    let routed_a = union([kept.of(&a), after.of(&a)]);
    let routed_b = union([kept.of(&b), after.of(&b)]);
    let inbox_a = union([routed_a.clone(), forgotten.of(&a)]);
    let inbox_b = union([routed_b.clone(), forgotten.of(&b)]);
    converge(
        seed,
        hub_dir.path(),
        [(&a, &inbox_a, &routed_a), (&b, &inbox_b, &routed_b)],
    );
    let acknowledged = a.status()["acknowledged"].as_i64().expect("acknowledged");
    assert!(
        acknowledged >= acknowledged_before,
        "seed {seed}: A pushed again what the hub lost ({acknowledged_before} → {acknowledged})"
    );
    verify_everywhere(seed, hub, hub_dir.path(), [&mut a, &mut b]);
}

#[test]
fn a_desk_restored_from_an_older_backup_takes_back_what_it_had_pushed() {
    let seed = faults::seed();
    let hub_dir = tempfile::tempdir().expect("hub dir");
    let backup = tempfile::tempdir().expect("backup dir");
    let hub = HubProcess::start(hub_dir.path(), &[]);
    // Faults on: the pages of the take-back go through the same cuts and delays as the rest.
    let proxy = FaultProxy::start(hub.port, seed, 0);
    let mut a = Centre::new("XF3301", 2, hub_dir.path(), &proxy);
    a.register_matter(seed, 1);
    synced_once(seed, &a);
    a.stop();
    copy_sqlite_file(a.dir.path(), backup.path(), "register.db");
    a.start();
    a.open_matters.clear();
    for n in 0..3 {
        a.register_matter(seed, 10 + n);
    }
    let lost = a.open_matters.clone();
    synced_once(seed, &a);
    let data = a.dir.path().to_owned();
    let events = |what: &str| -> Vec<(String, i64)> {
        let conn = open_register_read_only(&data);
        let mut stmt = conn
            .prepare(
                "SELECT id, seq FROM events WHERE origin = (SELECT origin FROM centre) \
                 ORDER BY seq",
            )
            .expect("prepare");
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|rows| rows.collect())
            .unwrap_or_else(|e| panic!("{what}: {e}"))
    };
    let before = events("events before the restore");

    // Back to the backup, and nothing written since: the register is a strict prefix of the
    // hub's copy, and the next sync takes the rest back.
    a.stop();
    copy_sqlite_file(backup.path(), a.dir.path(), "register.db");
    assert!(
        events("events after the restore").len() < before.len(),
        "seed {seed}: the backup is older"
    );
    a.start();
    proxy.set_faulty(true);
    for _ in 0..3 {
        a.request_sync(seed);
        std::thread::sleep(Duration::from_millis(300));
    }
    proxy.set_faulty(false);
    synced_once(seed, &a);
    let after = events("events after the take-back");
    assert_eq!(
        after.get(..before.len()),
        Some(&before[..]),
        "seed {seed}: every event the hub had is back, with its id and seq"
    );
    let conn = open_register_read_only(a.dir.path());
    for id in &lost {
        let number: Option<String> = conn
            .query_row("SELECT number FROM matters WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()
            .expect("matter");
        assert!(
            number.is_some(),
            "seed {seed}: matter {id} registered after the backup is in the register again"
        );
    }
    let recorded: String = conn
        .query_row(
            "SELECT detail FROM audit_log WHERE operation = 'sync_take_back'",
            [],
            |r| r.get(0),
        )
        .expect("the take-back is in the audit trail");
    assert!(recorded.contains("取回"), "seed {seed}: {recorded}");
    drop(conn);

    // Work goes on from there: a handler accepts a matter that came back, a clerk registers a
    // new one, and both reach the hub under the next seqs.
    let (ok, body) = a.server().call(
        "matter_accept",
        Some(&a.handler),
        &json!({ "matter_id": lost[0] }),
    );
    assert_eq!(ok, 200, "seed {seed}: matter_accept: {body}");
    a.register_matter(seed, 20);
    synced_once(seed, &a);
    let status = a.status();
    assert_eq!(
        status["acknowledged"].as_i64(),
        events("events at the end").last().map(|e| e.1),
        "seed {seed}: the hub acknowledged everything: {status}"
    );
    a.stop();
    hub.stop();
    // The audit rows written between the backup and the restore are gone for good (the rows
    // written since took their seqs): the hub kept only the trail's head, in the anchor it gave
    // back, and `verify` says so instead of the register anchoring over the break.
    let out = run(xinfang(a.dir.path()).arg("verify"));
    let said = stdout(&out);
    assert!(
        !out.status.success() && said.contains("发现 1 处不一致") && said.contains("审计记录第"),
        "seed {seed}: verify finds the audit trail's break and nothing else: {said}"
    );
}

#[test]
fn a_desk_restored_from_an_older_backup_stops_instead_of_leaving_new_events_unsent() {
    let seed = faults::seed();
    let hub_dir = tempfile::tempdir().expect("hub dir");
    let backup = tempfile::tempdir().expect("backup dir");
    let hub = HubProcess::start(hub_dir.path(), &[]);
    let proxy = FaultProxy::start(hub.port, seed, 0);
    let mut a = Centre::new("XF3301", 2, hub_dir.path(), &proxy);
    a.register_matter(seed, 1);
    synced_once(seed, &a);
    a.stop();
    copy_sqlite_file(a.dir.path(), backup.path(), "register.db");
    a.start();
    for n in 0..3 {
        a.register_matter(seed, 10 + n);
    }
    synced_once(seed, &a);
    let origin: String = open_register_read_only(a.dir.path())
        .query_row("SELECT origin FROM centre", [], |r| r.get(0))
        .expect("origin");
    let hub_mark = |what: &str| -> i64 {
        hub_db(hub_dir.path())
            .query_row(
                "SELECT acknowledged FROM marks WHERE origin = ?1",
                [&origin],
                |r| r.get(0),
            )
            .unwrap_or_else(|e| panic!("{what}: {e}"))
    };
    let before = hub_mark("mark before");

    // The register goes back to the backup and, before the link is back, a clerk registers a
    // matter, whose events take seqs the hub already has from before.
    let dead_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    proxy.set_upstream(dead_port);
    a.stop();
    copy_sqlite_file(backup.path(), a.dir.path(), "register.db");
    a.start();
    a.register_matter(seed, 99);
    proxy.set_upstream(hub.port);
    let matter = a.open_matters.last().expect("matter").clone();
    a.request_sync(seed);
    wait_status(seed, &a, "the refusal", Duration::from_secs(30), |s| {
        s["last_error"]["code"] == "register_behind_hub"
    });
    let status = a.status();
    assert!(
        status["events_waiting"].as_i64().is_some_and(|n| n > 0),
        "seed {seed}: the new events show as unsent, not as acknowledged: {status}"
    );
    assert_eq!(
        hub_mark("mark after"),
        before,
        "seed {seed}: the hub is untouched"
    );
    let at_hub: i64 = hub_db(hub_dir.path())
        .query_row(
            "SELECT count(*) FROM events WHERE payload LIKE ?1",
            [format!("%{matter}%")],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(
        at_hub, 0,
        "seed {seed}: nothing of the new matter went under a taken seq"
    );
    a.stop();
    hub.stop();
    let out = run(xinfang(a.dir.path()).arg("verify"));
    assert!(
        out.status.success(),
        "seed {seed}: verify: {}",
        stdout(&out)
    );
}
