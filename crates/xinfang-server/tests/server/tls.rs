//! TLS in transit with pinning, on the real binaries over loopback: a desk syncs with a
//! `xinfang-hub serve --tls` through https with the hub's fingerprint; with a wrong fingerprint
//! the handshake is refused, the panel records `hub_certificate_mismatch` and nothing reaches
//! the hub; `xinfang serve` refuses plain HTTP beyond loopback; and with `--tls`, a LAN desk
//! (loopback treated as LAN by the test-only `XINFANG_TREAT_LOOPBACK_AS_LAN=1`) is refused
//! until it pairs with a one-time code from `xinfang pair`, and a used code pairs nobody else.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    time::Duration,
};

use serde_json::{Value, json};

use crate::support::*;
use crate::sync::{hub_admin, hub_cmd, letter, local_seq, wait_for};

/// A child process serving TLS; killed on drop.
struct TlsChild {
    child: Child,
    port: u16,
    fingerprint: String,
}

impl Drop for TlsChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Spawns `cmd`, reads its https port and fingerprint lines.
fn spawn_tls(mut cmd: Command) -> TlsChild {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut port = None;
    let fingerprint = loop {
        let line = lines.next().expect("it printed").expect("line");
        if let Some(addr) = line.strip_prefix("listening on https://") {
            port = addr.rsplit(':').next().and_then(|p| p.parse().ok());
        }
        if let Some(fp) = line.strip_prefix("tls_fingerprint: ") {
            break fp.trim().to_owned();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    TlsChild {
        child,
        port: port.expect("https address before the fingerprint"),
        fingerprint,
    }
}

fn tls_hub(data: &Path) -> TlsChild {
    let mut cmd = hub_cmd(data);
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--tls"]);
    spawn_tls(cmd)
}

fn hub_requests(hub_data: &Path) -> usize {
    let log: Value =
        serde_json::from_str(&hub_admin(hub_data, &["log", "--json"])).expect("log json");
    log.as_array().map_or(0, Vec::len)
}

#[test]
fn a_desk_syncs_through_https_with_the_hubs_fingerprint() {
    let hub_dir = tempfile::tempdir().expect("hub dir");
    let hub = tls_hub(hub_dir.path());
    let code = crate::sync::enrolment_code(hub_dir.path());
    let dir = initialised(2);
    let server = Server::start_with(dir.path(), &["--sync-interval", "1"]);
    let admin = server.login("admin", ADMIN_PASSWORD);
    let url = format!("https://127.0.0.1:{}", hub.port);

    // An https hub without a fingerprint is refused at that field.
    let (status, err) = server.call(
        "sync_configure",
        Some(&admin),
        &json!({"hub_url": url, "enrolment_code": code}),
    );
    assert_eq!(
        (status, err["code"].as_str(), err["field"].as_str()),
        (422, Some("required"), Some("hub_fingerprint")),
        "{err}"
    );

    // Typed in lower case without colons: the same pin.
    let typed = hub.fingerprint.replace(':', "").to_lowercase();
    let (status, configured) = server.call(
        "sync_configure",
        Some(&admin),
        &json!({"hub_url": url, "hub_fingerprint": typed, "enrolment_code": code}),
    );
    assert_eq!(status, 200, "{configured}");
    assert_eq!(configured["hub_fingerprint"], json!(hub.fingerprint));
    let clerk = server.login("wangfang", "demo-pass-2026");
    let (status, body) = server.call("matter_register", Some(&clerk), &letter("经加密链路上报"));
    assert_eq!(status, 200, "{body}");
    let synced = wait_for(&server, &admin, "the https sync", |s| {
        s["connected"] == true && s["events_waiting"] == 0 && s["enrolled"] == true
    });
    assert_eq!(synced["acknowledged"], json!(local_seq(dir.path())));
    assert!(synced["last_error"].is_null(), "{synced}");
}

#[test]
fn a_wrong_fingerprint_is_recorded_and_nothing_reaches_the_hub() {
    let hub_dir = tempfile::tempdir().expect("hub dir");
    let hub = tls_hub(hub_dir.path());
    let code = crate::sync::enrolment_code(hub_dir.path());
    let dir = initialised(2);
    let server = Server::start_with(dir.path(), &["--sync-interval", "1"]);
    let admin = server.login("admin", ADMIN_PASSWORD);
    let wrong = "AB:".repeat(31) + "AB";
    assert_ne!(wrong, hub.fingerprint);
    let (status, configured) = server.call(
        "sync_configure",
        Some(&admin),
        &json!({
            "hub_url": format!("https://127.0.0.1:{}", hub.port),
            "hub_fingerprint": wrong,
            "enrolment_code": code
        }),
    );
    assert_eq!(status, 200, "{configured}");
    let failed = wait_for(&server, &admin, "the refusal", |s| {
        s["last_error"]["code"] == "hub_certificate_mismatch"
    });
    let message = failed["last_error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&hub.fingerprint) && message.contains("指纹"),
        "the message names what the hub showed: {message}"
    );
    assert_eq!(failed["enrolled"], json!(false));
    assert_eq!(failed["acknowledged"], json!(0));
    assert_eq!(
        hub_requests(hub_dir.path()),
        0,
        "not even the enrolment reached the hub"
    );
}

#[test]
fn plain_http_beyond_loopback_is_refused() {
    let dir = initialised(0);
    let out = run(xinfang(dir.path()).args(["serve", "--listen", "0.0.0.0:0"]));
    assert!(
        !out.status.success(),
        "plain HTTP on 0.0.0.0 must not start"
    );
    let message = stderr(&out);
    assert!(
        message.contains("--tls") && message.contains("明文"),
        "{message}"
    );
}

fn pinned(fingerprint: &str) -> ureq::Agent {
    let pin = xinfang_tls::parse_fingerprint(fingerprint).expect("fingerprint");
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .http_status_as_error(false)
        .build();
    xinfang_tls::client::Pinned::new(pin, config).agent
}

/// POST `body` to `url` with an optional desk header; status, body JSON and Set-Cookie.
fn post(
    agent: &ureq::Agent,
    url: &str,
    desk: Option<&str>,
    body: &Value,
) -> (u16, Value, Option<String>) {
    let mut request = agent.post(url).header("Content-Type", "application/json");
    if let Some(desk) = desk {
        request = request.header("X-Xinfang-Desk", desk);
    }
    let mut response = request.send(body.to_string()).expect("response");
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = response.body_mut().read_to_string().expect("body");
    (
        response.status().as_u16(),
        serde_json::from_str(&text).unwrap_or(Value::Null),
        cookie,
    )
}

#[test]
fn a_lan_desk_is_refused_until_it_pairs_and_a_code_pairs_once() {
    let dir = initialised(0);
    let mut cmd = xinfang(dir.path());
    cmd.env("XINFANG_TREAT_LOOPBACK_AS_LAN", "1").args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--tls",
        "--backup-every-hours",
        "0",
    ]);
    let server = spawn_tls(cmd);
    let agent = pinned(&server.fingerprint);
    let base = format!("https://127.0.0.1:{}", server.port);
    let login = json!({"username": "admin", "password": ADMIN_PASSWORD});

    let (status, err, _) = post(
        &agent,
        &format!("{base}/api/v1/ops/auth_login"),
        None,
        &login,
    );
    assert_eq!(
        (status, err["code"].as_str()),
        (401, Some("desk_not_paired")),
        "{err}"
    );
    let (status, err, _) = post(
        &agent,
        &format!("{base}/api/v1/ops/auth_login"),
        Some("00".repeat(32).as_str()),
        &login,
    );
    assert_eq!(
        (status, err["code"].as_str()),
        (401, Some("desk_not_paired")),
        "a made-up token"
    );

    let out = run(xinfang(dir.path()).arg("pair"));
    assert!(out.status.success(), "pair: {}", stderr(&out));
    let code = stdout(&out)
        .lines()
        .find_map(|l| l.strip_prefix("pairing_code: "))
        .expect("code line")
        .trim()
        .to_owned();
    let (status, paired, cookie) = post(
        &agent,
        &format!("{base}/api/pair"),
        None,
        &json!({ "code": code }),
    );
    assert_eq!(status, 200, "{paired}");
    let token = paired["desk_token"].as_str().expect("token").to_owned();
    let cookie = cookie.expect("a browser gets the token as a cookie");
    assert!(
        cookie.starts_with(&format!("xinfang_desk={token}")) && cookie.contains("HttpOnly"),
        "{cookie}"
    );

    let (status, body, _) = post(
        &agent,
        &format!("{base}/api/v1/ops/auth_login"),
        Some(&token),
        &login,
    );
    assert_eq!(status, 200, "a paired desk signs in: {body}");

    // The administrator sees the desk and can cut it off; the next call is refused at once.
    let out = run(xinfang(dir.path()).args(["pair", "--list"]));
    assert!(out.status.success(), "pair --list: {}", stderr(&out));
    let listed = stdout(&out);
    let id = listed
        .lines()
        .find(|l| l.contains("有效"))
        .and_then(|l| l.split_whitespace().next())
        .expect("the paired desk is listed")
        .to_owned();
    let out = run(xinfang(dir.path()).args(["pair", "--revoke", "000000000000"]));
    assert!(!out.status.success(), "an unknown id is refused");
    assert!(stderr(&out).contains("desk_unknown"), "{}", stderr(&out));
    let out = run(xinfang(dir.path()).args(["pair", "--revoke", &id]));
    assert!(out.status.success(), "pair --revoke: {}", stderr(&out));
    let (status, err, _) = post(
        &agent,
        &format!("{base}/api/v1/ops/auth_login"),
        Some(&token),
        &login,
    );
    assert_eq!(
        (status, err["code"].as_str()),
        (401, Some("desk_not_paired")),
        "a revoked desk: {err}"
    );
    let out = run(xinfang(dir.path()).args(["pair", "--list"]));
    assert!(stdout(&out).contains("已撤销"), "{}", stdout(&out));

    // The same code again pairs nobody.
    let (status, err, _) = post(
        &agent,
        &format!("{base}/api/pair"),
        None,
        &json!({ "code": code }),
    );
    assert_eq!(
        (status, err["code"].as_str()),
        (401, Some("pairing_code_invalid")),
        "{err}"
    );

    // Guessing is cut short: after ten refused codes from one address, even a fresh right code
    // is refused there for a while.
    for guess in 0..9 {
        let (status, _, _) = post(
            &agent,
            &format!("{base}/api/pair"),
            None,
            &json!({ "code": format!("00000-0000{guess}") }),
        );
        assert_eq!(status, 401);
    }
    let out = run(xinfang(dir.path()).arg("pair"));
    let fresh = stdout(&out)
        .lines()
        .find_map(|l| l.strip_prefix("pairing_code: "))
        .expect("code line")
        .trim()
        .to_owned();
    let (status, err, _) = post(
        &agent,
        &format!("{base}/api/pair"),
        None,
        &json!({ "code": fresh }),
    );
    assert_eq!(
        (status, err["code"].as_str()),
        (429, Some("pairing_rate_limited")),
        "{err}"
    );

    // The pairing and the refused second use are in the audit trail.
    let conn = open_register(dir.path());
    let rows: Vec<(String, String)> = conn
        .prepare("SELECT operation, outcome FROM audit_log WHERE operation LIKE 'lan_pair%' ORDER BY seq LIMIT 3")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    assert_eq!(
        rows,
        vec![
            ("lan_pair_code".to_owned(), "ok".to_owned()),
            ("lan_pair".to_owned(), "ok".to_owned()),
            ("lan_pair".to_owned(), "pairing_code_invalid".to_owned()),
        ]
    );
    let revoked: String = conn
        .query_row(
            "SELECT object FROM audit_log WHERE operation = 'lan_revoke' AND outcome = 'ok'",
            [],
            |r| r.get(0),
        )
        .expect("the revocation is audited");
    assert_eq!(revoked, id);
}
