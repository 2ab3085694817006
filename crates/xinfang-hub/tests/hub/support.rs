//! Helpers: run the built `xinfang-hub`, start `serve` on a free loopback port, speak just
//! enough HTTP/1.1 to call it, enrol centres, build events, and look into the store directly.
//!
//! Every test runs on the store the run names: `hub.db` in a temporary data directory, or, when
//! `XINFANG_HUB_TEST_POSTGRES` names a PostgreSQL server (as the test command does), a fresh
//! database of its own there, created by [`data_dir`] and dropped with it. Every command the
//! test runs gets `--database` then, and [`count`] and friends read that database.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    time::Duration,
};

use serde_json::{Value, json};
use uuid::Uuid;
use xinfang_hub::store::postgres::ScratchDatabase;
use xinfang_sync::WireEvent;

/// Names the PostgreSQL server to run on; unset, the tests run on SQLite.
const POSTGRES_ENV: &str = "XINFANG_HUB_TEST_POSTGRES";
/// In a data directory: the URL of the test's own PostgreSQL database, when it has one.
const DATABASE_FILE: &str = "test-database-url";

/// A test's data directory and, on PostgreSQL, its database; both go on drop.
pub struct DataDir {
    // Before `dir`: the database is dropped first.
    _database: Option<ScratchDatabase>,
    dir: tempfile::TempDir,
}

impl DataDir {
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// A fresh data directory, with a fresh database when the run is on PostgreSQL. A server that
/// is named but cannot be reached fails the test: it never falls back to SQLite.
pub fn data_dir() -> DataDir {
    let dir = tempfile::tempdir().expect("dir");
    let database = std::env::var(POSTGRES_ENV)
        .ok()
        .filter(|url| !url.is_empty())
        .map(|url| {
            let db =
                ScratchDatabase::create(&url).unwrap_or_else(|e| panic!("{POSTGRES_ENV}: {e}"));
            std::fs::write(dir.path().join(DATABASE_FILE), db.url()).expect("write url");
            db
        });
    DataDir {
        _database: database,
        dir,
    }
}

/// The PostgreSQL database of the test whose data directory is `data`, if it has one.
pub fn database_url(data: &Path) -> Option<String> {
    std::fs::read_to_string(data.join(DATABASE_FILE)).ok()
}

pub fn hub_cmd(data: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xinfang-hub"));
    cmd.arg("--data").arg(data);
    cmd.env_remove("XINFANG_HUB_DATA");
    cmd.env_remove("XINFANG_HUB_DATABASE");
    if let Some(url) = database_url(data) {
        cmd.arg("--database").arg(url);
    }
    cmd
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run xinfang-hub")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs an admin command that must succeed; its stdout.
pub fn admin(data: &Path, args: &[&str]) -> String {
    let out = run(hub_cmd(data).args(args));
    assert!(
        out.status.success(),
        "xinfang-hub {args:?}: {}",
        stderr(&out)
    );
    stdout(&out)
}

/// Runs an admin command that must fail; its error JSON from stderr.
pub fn admin_fails(data: &Path, args: &[&str]) -> Value {
    let out = run(hub_cmd(data).args(args));
    assert!(!out.status.success(), "xinfang-hub {args:?} should fail");
    serde_json::from_str(stderr(&out).trim()).expect("error JSON on stderr")
}

/// `centre add`, reading the id and the code from the printed lines, as an administrator
/// would copy them.
pub fn add_centre(data: &Path, code: &str, name: &str) -> (Uuid, String) {
    let text = admin(data, &["centre", "add", "--code", code, "--name", name]);
    let value = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|v| v.trim().to_owned())
            .unwrap_or_else(|| panic!("{key} in {text}"))
    };
    let id = Uuid::parse_str(&value("centre_id:")).expect("centre id");
    (id, value("enrolment_code:"))
}

/// `publish --json` from a payload file; the cursor it was given.
pub fn publish(hub: &Hub, to: &str, kind: &str, payload: &serde_json::Value) -> i64 {
    let file = hub.data.join(format!("payload-{}.json", rand_suffix()));
    std::fs::write(&file, payload.to_string()).expect("write payload");
    let out = admin(
        &hub.data,
        &[
            "publish",
            "--to",
            to,
            "--kind",
            kind,
            "--payload",
            file.to_str().expect("path"),
            "--json",
        ],
    );
    let published: serde_json::Value = serde_json::from_str(&out).expect("json");
    published["cursor"].as_i64().expect("cursor")
}

/// A file name part that differs between calls.
fn rand_suffix() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// A centre enrolled at `hub`: its hub id, origin and credential.
pub struct Centre {
    pub id: Uuid,
    pub origin: Uuid,
    pub credential: String,
}

pub fn enrolled(hub: &Hub, code: &str, origin: u128) -> Centre {
    let (id, enrolment_code) = add_centre(&hub.data, code, &format!("{code} 来访接待中心"));
    let origin = Uuid::from_u128(origin);
    let (status, body) = hub.post(
        "/api/v1/enrol",
        None,
        &json!({"code": enrolment_code, "origin": origin, "centre_code": code, "centre_name": "接待中心"}),
    );
    assert_eq!(status, 200, "enrol: {body}");
    assert_eq!(body["centre_id"], json!(id));
    Centre {
        id,
        origin,
        credential: body["credential"].as_str().expect("credential").to_owned(),
    }
}

/// Event `seq` of `origin`, with an id derived from both so a re-send is the same event.
pub fn event(origin: Uuid, seq: i64) -> WireEvent {
    WireEvent {
        id: Uuid::from_u128((origin.as_u128() << 64) ^ seq as u128),
        origin,
        seq,
        actor: "0190c3a1-0000-7000-8000-000000000001".into(),
        at: format!("2026-11-28T07:{:02}:00.000Z", seq % 60),
        kind: "matter.registered".into(),
        schema_version: 1,
        payload: json!({"matter_id": format!("m{seq}"), "summary": "反映小区供暖不达标"}).into(),
    }
}

pub fn events(origin: Uuid, seqs: impl IntoIterator<Item = i64>) -> Vec<WireEvent> {
    seqs.into_iter().map(|s| event(origin, s)).collect()
}

/// SplitMix64: a seeded shuffle, so a failure can be replayed from the printed seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// The seed from `HUB_TEST_SEED`, or one from the time; printed so a failure can be replayed.
pub fn seed() -> u64 {
    let seed = std::env::var("HUB_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    eprintln!("HUB_TEST_SEED={seed}");
    seed
}

/// A read-only look into the store file, as a second process would have it.
fn sqlite(data: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open_with_flags(
        data.join("hub.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open hub.db");
    conn.busy_timeout(Duration::from_secs(10)).expect("timeout");
    conn
}

/// The first column of every row of `sql` (SQL both stores understand), as a second process
/// would see it.
pub fn column<T>(data: &Path, sql: &str) -> Vec<T>
where
    T: rusqlite::types::FromSql + for<'a> postgres::types::FromSql<'a>,
{
    match database_url(data) {
        Some(url) => xinfang_hub::store::postgres::client(&url)
            .expect("connect")
            .query(sql, &[])
            .expect(sql)
            .iter()
            .map(|r| r.get(0))
            .collect(),
        None => {
            let conn = sqlite(data);
            let mut stmt = conn.prepare(sql).expect(sql);
            stmt.query_map([], |r| r.get(0))
                .expect(sql)
                .collect::<Result<_, _>>()
                .expect(sql)
        }
    }
}

/// The one value `sql` selects.
pub fn value<T>(data: &Path, sql: &str) -> T
where
    T: rusqlite::types::FromSql + for<'a> postgres::types::FromSql<'a>,
{
    let mut values = column(data, sql);
    assert_eq!(values.len(), 1, "one row from {sql}");
    values.remove(0)
}

pub fn count(data: &Path, sql: &str) -> i64 {
    value(data, sql)
}

/// Whether another process holds the store's write lock: SQLite's, or the hub's advisory lock
/// in its PostgreSQL database.
pub fn write_locked(data: &Path) -> bool {
    match database_url(data) {
        Some(_) => {
            count(
                data,
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted \
                 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            ) > 0
        }
        None => {
            let conn = rusqlite::Connection::open(data.join("hub.db")).expect("open");
            conn.busy_timeout(Duration::ZERO).expect("timeout");
            match conn.execute_batch("BEGIN IMMEDIATE") {
                Ok(()) => {
                    conn.execute_batch("ROLLBACK").expect("rollback");
                    false
                }
                Err(_) => true,
            }
        }
    }
}

/// A running `xinfang-hub serve`; killed on drop.
pub struct Hub {
    child: Child,
    pub port: u16,
    pub data: PathBuf,
}

impl Hub {
    pub fn start(data: &Path) -> Hub {
        Hub::start_with(data, &[])
    }

    pub fn start_with(data: &Path, extra: &[&str]) -> Hub {
        let mut child = hub_cmd(data)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let first = lines
            .next()
            .expect("serve printed its address")
            .expect("line");
        let addr = first
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("first line is the address: {first}"));
        let port = addr
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port");
        // The store it says it serves from is the one this test reads.
        let store = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|l| l.strip_prefix("数据：").map(str::to_owned))
            .expect("serve names its store");
        let expected = if database_url(data).is_some() {
            "PostgreSQL "
        } else {
            "SQLite "
        };
        assert!(store.starts_with(expected), "{store}");
        // Keep reading so a full pipe never blocks the server.
        std::thread::spawn(move || for _ in lines.by_ref() {});
        Hub {
            child,
            port,
            data: data.to_path_buf(),
        }
    }

    /// `kill -9`: no shutdown, no checkpoint.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        self.request("GET", path, token, b"")
    }

    pub fn post(&self, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
        self.request("POST", path, token, body.to_string().as_bytes())
    }

    pub fn push(&self, token: &str, events: &[WireEvent]) -> (u16, Value) {
        self.post("/api/v1/push", Some(token), &json!({ "events": events }))
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &[u8],
    ) -> (u16, Value) {
        let (status, _, body) = raw(self.port, method, path, token, body).expect("response");
        (status, serde_json::from_str(&body).unwrap_or(Value::Null))
    }

    /// Status, head and body as text.
    pub fn text(&self, path: &str) -> (u16, String, String) {
        raw(self.port, "GET", path, None, b"").expect("response")
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request; `None` when the connection breaks before a full answer (a killed hub).
pub fn raw(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &[u8],
) -> Option<(u16, String, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .ok()?;
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).ok()?;
    let _ = stream.write_all(body);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, head.to_owned(), body.to_owned()))
}
