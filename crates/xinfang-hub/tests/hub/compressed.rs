//! Push bodies with `Content-Encoding: gzip` (what the desk sends): taken like plain ones;
//! a body that claims gzip but is not, an unknown encoding, and a small body that inflates
//! past the body limit are refused and store nothing.

use std::{
    io::{Read, Write},
    net::TcpStream,
    time::Duration,
};

use serde_json::{Value, json};

use crate::support::{Hub, count, enrolled, events};

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

fn push_encoded(hub: &Hub, token: &str, encoding: &str, body: &[u8]) -> (u16, Value) {
    let mut stream = TcpStream::connect(("127.0.0.1", hub.port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let head = format!(
        "POST /api/v1/push HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Encoding: {encoding}\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("head");
    stream.write_all(body).expect("body");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let (head, body) = response.split_once("\r\n\r\n").expect("response");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[test]
fn gzip_push_bodies_are_taken_and_bad_ones_refused() {
    let dir = crate::support::data_dir();
    let hub = Hub::start(dir.path());
    let centre = enrolled(&hub, "XF3301", 0xA);
    let batch = json!({ "events": events(centre.origin, 1..=40) }).to_string();
    let compressed = gzip(batch.as_bytes());
    assert!(compressed.len() * 3 < batch.len(), "compressed at all");

    let (status, body) = push_encoded(&hub, &centre.credential, "gzip", &compressed);
    assert_eq!((status, &body["acknowledged"]), (200, &json!(40)), "{body}");
    // The same batch plain: a no-op, as any repeat.
    let (status, body) = hub.push(&centre.credential, &events(centre.origin, 1..=40));
    assert_eq!((status, &body["acknowledged"]), (200, &json!(40)), "{body}");

    let next = json!({ "events": events(centre.origin, 41..=42) }).to_string();
    let (status, body) = push_encoded(&hub, &centre.credential, "gzip", next.as_bytes());
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("bad_input")),
        "{body}"
    );
    let (status, body) = push_encoded(&hub, &centre.credential, "br", &gzip(next.as_bytes()));
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("bad_input")),
        "{body}"
    );
    assert!(
        body["message"].as_str().is_some_and(|m| m.contains("gzip")),
        "{body}"
    );
    // 40 MiB of spaces compress to a few tens of KiB but inflate past the 32 MiB limit.
    let bomb = gzip(&vec![b' '; 40 * 1024 * 1024]);
    assert!(bomb.len() < 1024 * 1024);
    let (status, body) = push_encoded(&hub, &centre.credential, "gzip", &bomb);
    assert_eq!(
        (status, body["code"].as_str()),
        (413, Some("too_large")),
        "{body}"
    );
    assert_eq!(count(dir.path(), "SELECT count(*) FROM events"), 40);
}
