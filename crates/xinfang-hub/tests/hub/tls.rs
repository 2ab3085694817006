//! `serve --tls`: the self-signed certificate made once and reused, its fingerprint printed at
//! start, by `tls fingerprint` and by `centre add`; a client pinning it gets answers, a client
//! pinning anything else is refused in the handshake and learns what it was shown; a plain-HTTP
//! client gets no HTTP answer from the TLS port; plain HTTP beyond loopback is refused unless
//! the unsafe flag says otherwise.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    path::Path,
    process::{Child, Stdio},
    time::Duration,
};

use crate::support::*;

/// A running `xinfang-hub serve --tls`; killed on drop.
struct TlsHub {
    child: Child,
    port: u16,
    fingerprint: String,
}

impl Drop for TlsHub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_tls(data: &Path) -> TlsHub {
    let mut child = hub_cmd(data)
        .args(["serve", "--listen", "127.0.0.1:0", "--tls"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn serve --tls");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut port = None;
    let fingerprint = loop {
        let line = lines.next().expect("serve printed").expect("line");
        if let Some(addr) = line.strip_prefix("listening on https://") {
            port = addr.rsplit(':').next().and_then(|p| p.parse().ok());
        }
        if let Some(fp) = line.strip_prefix("tls_fingerprint: ") {
            break fp.trim().to_owned();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    TlsHub {
        child,
        port: port.expect("the https address comes before the fingerprint"),
        fingerprint,
    }
}

fn pinned(fingerprint: &str) -> xinfang_tls::client::Pinned {
    let pin = xinfang_tls::parse_fingerprint(fingerprint).expect("a fingerprint");
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .http_status_as_error(false)
        .build();
    xinfang_tls::client::Pinned::new(pin, config)
}

#[test]
fn a_tls_hub_answers_the_pinned_client_and_refuses_every_other() {
    let dir = crate::support::data_dir();
    let hub = start_tls(dir.path());
    assert_eq!(
        xinfang_tls::parse_fingerprint(&hub.fingerprint)
            .map(|b| xinfang_tls::format_fingerprint(&b)),
        Some(hub.fingerprint.clone())
    );

    // The administrator's way to read it again, and `centre add` hands it over with the code.
    let printed = admin(dir.path(), &["tls", "fingerprint"]);
    assert!(
        printed.contains(&format!("tls_fingerprint: {}", hub.fingerprint)),
        "{printed}"
    );
    let added = admin(
        dir.path(),
        &["centre", "add", "--code", "XF3301", "--name", "城关"],
    );
    assert!(
        added.contains(&format!("tls_fingerprint: {}", hub.fingerprint)),
        "{added}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("tls/key.pem"))
            .expect("key file")
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the private key is readable by the hub's user only"
        );
    }

    let url = format!("https://127.0.0.1:{}/api/v1/health", hub.port);
    let good = pinned(&hub.fingerprint);
    let mut answer = good.agent.get(&url).call().expect("pinned request");
    assert_eq!(answer.status().as_u16(), 200);
    let body = answer.body_mut().read_to_string().expect("body");
    assert!(body.contains("ok"), "{body}");
    assert_eq!(good.refused(), None);

    // Another certificate's pin: the handshake fails and nothing reaches the hub.
    let other = xinfang_tls::format_fingerprint(&[0x5A; 32]);
    let bad = pinned(&other);
    let err = bad
        .agent
        .get(&url)
        .call()
        .expect_err("a wrong pin is refused");
    assert_eq!(
        bad.refused().as_deref(),
        Some(hub.fingerprint.as_str()),
        "the client learns what it was shown: {err}"
    );
    let logged = count(
        dir.path(),
        "SELECT count(*) FROM request_log WHERE endpoint LIKE '%health%'",
    );
    assert_eq!(
        logged, 1,
        "only the pinned client's request reached the hub"
    );

    // Plain HTTP to the TLS port gets no HTTP answer.
    let mut plain = TcpStream::connect(("127.0.0.1", hub.port)).expect("connect");
    plain
        .set_read_timeout(Some(Duration::from_secs(15)))
        .expect("timeout");
    plain
        .write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: hub\r\nConnection: close\r\n\r\n")
        .expect("write");
    let mut got = Vec::new();
    let _ = plain.read_to_end(&mut got);
    assert!(
        !got.starts_with(b"HTTP/"),
        "plain HTTP answered: {:?}",
        String::from_utf8_lossy(&got)
    );

    // A restart reuses the certificate: the centres' pins stay valid.
    drop(hub);
    let again = start_tls(dir.path());
    assert_eq!(again.fingerprint, printed_fingerprint(&printed));
}

fn printed_fingerprint(text: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix("tls_fingerprint: "))
        .expect("fingerprint line")
        .trim()
        .to_owned()
}

#[test]
fn plain_http_beyond_loopback_is_refused_unless_explicitly_unsafe() {
    let dir = crate::support::data_dir();
    let out = run(hub_cmd(dir.path()).args(["serve", "--listen", "0.0.0.0:0"]));
    assert!(
        !out.status.success(),
        "plain HTTP on 0.0.0.0 must not start"
    );
    let message = stderr(&out);
    assert!(
        message.contains("--tls") && message.contains("明文"),
        "{message}"
    );

    // The escape hatch starts (and is killed at once).
    let mut child = hub_cmd(dir.path())
        .args(["serve", "--listen", "0.0.0.0:0", "--insecure-plain-http"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("line");
    let _ = child.kill();
    let _ = child.wait();
    assert!(line.starts_with("listening on http://0.0.0.0:"), "{line}");
}
