//! Helpers: run the built `xinfang` binary, start `xinfang serve` on a free loopback port, and
//! speak just enough HTTP/1.1 to call it (so the tests need no HTTP client library).

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    path::Path,
    process::{Child, Command, Output, Stdio},
};

use serde_json::Value;

pub const ADMIN_PASSWORD: &str = "admin-pass-2026";

pub fn xinfang(data: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xinfang"));
    cmd.arg("--data").arg(data);
    cmd.env_remove("XINFANG_USER")
        .env_remove("XINFANG_PASSWORD")
        .env_remove("XINFANG_DATA");
    cmd
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run xinfang")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A data directory with an initialised register and a small demo set.
pub fn initialised(cases: u64) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("dir");
    let out = run(xinfang(dir.path()).args([
        "init",
        "--centre-code",
        "XF3301",
        "--admin-password",
        ADMIN_PASSWORD,
    ]));
    assert!(out.status.success(), "init: {}", stderr(&out));
    if cases > 0 {
        let out = run(xinfang(dir.path()).args(["demo", "--cases", &cases.to_string()]));
        assert!(out.status.success(), "demo: {}", stderr(&out));
    }
    dir
}

/// The register of `data`, opened directly with the key from the key file beside it (the file
/// is encrypted; `rusqlite::Connection::open` alone cannot read it). Not migrated.
pub fn open_register(data: &Path) -> rusqlite::Connection {
    xinfang_core::db::open_existing_with(
        &data.join("register.db"),
        &xinfang_core::keys::Unlock::KeyFile,
    )
    .expect("open the register with its key file")
}

/// Like `open_register`, read-only: a test that only watches cannot write by mistake.
pub fn open_register_read_only(data: &Path) -> rusqlite::Connection {
    use xinfang_core::keys;
    let path = data.join("register.db");
    let conn =
        rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("read-only register");
    let key = keys::resolve(&path, &keys::Unlock::KeyFile, false).expect("key file");
    keys::apply(&conn, &key, &path).expect("key applies");
    conn
}

/// Everything the register holds that an operation could change.
pub fn fingerprint(data: &Path) -> (i64, i64, i64) {
    let conn = open_register(data);
    let count = |sql: &str| {
        conn.query_row(sql, [], |r| r.get::<_, i64>(0))
            .expect("count")
    };
    (
        count("SELECT count(*) FROM events"),
        count("SELECT count(*) FROM matters"),
        count("SELECT count(*) FROM persons"),
    )
}

/// A running `xinfang serve`; killed on drop.
pub struct Server {
    child: Child,
    pub port: u16,
}

impl Server {
    pub fn start(data: &Path) -> Server {
        Server::start_with(data, &[])
    }

    /// `serve` with extra arguments (`--sync-interval 1`).
    pub fn start_with(data: &Path, extra: &[&str]) -> Server {
        let mut child = xinfang(data)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let port = loop {
            let line = lines
                .next()
                .expect("serve printed its address")
                .expect("line");
            if let Some(addr) = line.strip_prefix("listening on http://") {
                break addr
                    .rsplit(':')
                    .next()
                    .and_then(|p| p.parse().ok())
                    .expect("port");
            }
        };
        Server { child, port }
    }

    /// A handle for requests to a server started elsewhere (another thread's).
    pub fn probe(port: u16) -> Probe {
        Probe { port }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The exit status, once it has exited.
    pub fn try_wait(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// One HTTP request; returns status and parsed JSON body.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &[u8],
    ) -> (u16, Value) {
        Probe { port: self.port }.request(method, path, token, body)
    }

    pub fn call(&self, op: &str, token: Option<&str>, input: &Value) -> (u16, Value) {
        self.request(
            "POST",
            &format!("/api/v1/ops/{op}"),
            token,
            input.to_string().as_bytes(),
        )
    }

    pub fn login(&self, user: &str, password: &str) -> String {
        let (status, body) = self.call(
            "auth_login",
            None,
            &serde_json::json!({"username": user, "password": password}),
        );
        assert_eq!(status, 200, "login: {body}");
        body["token"].as_str().expect("token").to_owned()
    }

    /// The first sign-in of a user an administrator created: they are made to replace the
    /// initial password before anything else, and then work with the same session.
    pub fn first_login(&self, user: &str, initial: &str, chosen: &str) -> String {
        let (status, body) = self.call(
            "auth_login",
            None,
            &serde_json::json!({"username": user, "password": initial}),
        );
        assert_eq!(status, 200, "login: {body}");
        assert_eq!(body["must_change_password"], true, "{body}");
        let token = body["token"].as_str().expect("token").to_owned();
        let (status, body) = self.call("matter_search", Some(&token), &serde_json::json!({}));
        assert_eq!(
            (status, body["code"].as_str()),
            (403, Some("password_change_required"))
        );
        let (status, body) = self.call(
            "password_change",
            Some(&token),
            &serde_json::json!({"old_password": initial, "new_password": chosen}),
        );
        assert_eq!(status, 200, "password_change: {body}");
        token
    }
}

/// Requests to a server by port alone, for other threads.
pub struct Probe {
    port: u16,
}

impl Probe {
    /// One HTTP request; returns status and parsed JSON body.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &[u8],
    ) -> (u16, Value) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        let auth = token
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).expect("write head");
        // A too-large body may be refused before it is all read; that is fine.
        let _ = stream.write_all(body);
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        let text = String::from_utf8_lossy(&response);
        let status: u16 = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status");
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
        // Bodies are small; chunked encoding is not used for JSON responses of known length.
        let json = serde_json::from_str(body).unwrap_or(Value::Null);
        (status, json)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
