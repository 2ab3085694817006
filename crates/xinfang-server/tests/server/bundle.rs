//! USB bundles between real `xinfang` registers and a real `xinfang-hub`, with no network: a
//! centre enrols by its first bundle (code proof), the hub has every event once, the same
//! bundle twice changes nothing, a changed byte, another centre's key or a foreign origin is
//! refused with its code and changes nothing; the hub's bundle back advances the desk's mark and
//! fills its inbox (twice: once); then network sync pushes only what the bundle did not carry.

use std::path::Path;

use serde_json::json;
use xinfang_sync::bundle;

use crate::{
    support::*,
    sync::{Hub, hub_admin, hub_cmd, letter, local_seq, status, wait_for},
};

fn as_admin(data: &Path) -> std::process::Command {
    let mut cmd = xinfang(data);
    cmd.env("XINFANG_USER", "admin")
        .env("XINFANG_PASSWORD", ADMIN_PASSWORD);
    cmd
}

/// Everything at the hub a bundle import could change.
fn hub_state(hub: &Path) -> (i64, i64, i64, i64, i64) {
    let conn = rusqlite::Connection::open(hub.join("hub.db")).expect("hub.db");
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).expect(sql);
    (
        count("SELECT count(*) FROM events"),
        count("SELECT count(*) FROM held"),
        count("SELECT coalesce(sum(acknowledged), 0) FROM marks"),
        count("SELECT count(*) FROM centres WHERE enrolled_at IS NOT NULL"),
        count("SELECT count(*) FROM centres WHERE public_key IS NOT NULL"),
    )
}

fn hub_events_of(hub: &Path, origin: &str) -> (i64, i64) {
    let conn = rusqlite::Connection::open(hub.join("hub.db")).expect("hub.db");
    conn.query_row(
        "SELECT count(*), count(DISTINCT id) FROM events WHERE origin = ?1",
        [origin],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .expect("count")
}

fn origin_of(data: &Path) -> String {
    let conn = open_register(data);
    conn.query_row("SELECT origin FROM centre", [], |r| r.get(0))
        .expect("origin")
}

fn desk_key(data: &Path) -> bundle::SigningKey {
    let conn = open_register(data);
    let hex: String = conn
        .query_row("SELECT signing_key FROM sync_keys", [], |r| r.get(0))
        .expect("key");
    bundle::signing_key(bundle::unhex::<32>(&hex).expect("hex"))
}

fn desk_sync(data: &Path) -> (i64, i64) {
    let conn = open_register(data);
    conn.query_row(
        "SELECT acknowledged, (SELECT count(*) FROM county_inbox) FROM sync_state",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .expect("sync_state")
}

fn field(text: &str, key: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|| panic!("{key} in {text}"))
}

fn add_centre(hub: &Path, code: &str) -> (String, String) {
    let added = hub_admin(
        hub,
        &["centre", "add", "--code", code, "--name", "某县接待中心"],
    );
    (
        field(&added, "centre_id:"),
        field(&added, "enrolment_code:"),
    )
}

/// `xinfang-hub bundle import`, expected to be refused with `code`.
fn hub_refuses(hub: &Path, file: &Path, code: &str) {
    let out = hub_cmd(hub)
        .args(["bundle", "import"])
        .arg(file)
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "accepted: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let wire: serde_json::Value = serde_json::from_str(err.trim()).expect("JSON refusal");
    assert_eq!(wire["code"], code, "{err}");
    assert!(
        wire["message"]
            .as_str()
            .is_some_and(|m| m.contains("拒绝") || m.contains("未做任何更改")),
        "a Chinese message: {err}"
    );
}

fn hub_import(hub: &Path, file: &Path) -> String {
    hub_admin(hub, &["bundle", "import", file.to_str().expect("path")])
}

#[test]
fn bundles_carry_the_exchange_without_a_network_and_refuse_any_change() {
    let hub_dir = tempfile::tempdir().expect("hub");
    let hub = hub_dir.path();
    let (centre_a, code_a) = add_centre(hub, "XF3301");
    let (_, code_b) = add_centre(hub, "XF3302");
    let desk = initialised(5);
    let a = desk.path();
    let sticks = tempfile::tempdir().expect("stick");
    let stick = |name: &str| sticks.path().join(name);

    // Only a system administrator exports.
    let out = run(xinfang(a)
        .args(["bundle", "export", "--out"])
        .arg(stick("x")));
    assert!(!out.status.success());
    assert!(stderr(&out).contains("unauthenticated"), "{}", stderr(&out));

    let out = run(as_admin(a)
        .args([
            "bundle",
            "export",
            "--enrolment-code",
            &code_a.to_lowercase(),
            "--out",
        ])
        .arg(stick("a1")));
    assert!(out.status.success(), "export: {}", stderr(&out));
    let through = local_seq(a);
    assert_eq!(field(&stdout(&out), "events:"), through.to_string());

    // First import enrols by the code proof and stores every event once.
    let imported = hub_import(hub, &stick("a1"));
    assert_eq!(field(&imported, "acknowledged:"), through.to_string());
    assert!(imported.contains("完成注册"), "{imported}");
    let origin_a = origin_of(a);
    assert_eq!(hub_events_of(hub, &origin_a), (through, through));
    let after_first = hub_state(hub);

    // The same bundle again: a no-op.
    let again = hub_import(hub, &stick("a1"));
    assert_eq!(field(&again, "acknowledged:"), through.to_string());
    assert_eq!(field(&again, "rejected:"), "0");
    assert_eq!(hub_state(hub), after_first);

    // Any changed byte is refused and changes nothing: the magic, the key, the body, the
    // signature, and one past the end.
    let bytes = std::fs::read(stick("a1")).expect("read");
    for (idx, code) in [
        (0, "not_a_bundle"),
        (10, "bundle_tampered"),
        (bytes.len() / 2, "bundle_tampered"),
        (bytes.len() - 1, "bundle_tampered"),
    ] {
        let mut changed = bytes.clone();
        changed[idx] ^= 0x20;
        std::fs::write(stick("tampered"), &changed).expect("write");
        hub_refuses(hub, &stick("tampered"), code);
    }
    std::fs::write(stick("garbage"), b"not a bundle at all").expect("write");
    hub_refuses(hub, &stick("garbage"), "not_a_bundle");
    assert_eq!(hub_state(hub), after_first);

    // A second centre enrols by its own bundle.
    let other = initialised(0);
    let b = other.path();
    let conn = open_register(b);
    conn.execute("UPDATE centre SET code = 'XF3302'", [])
        .expect("code");
    drop(conn);
    let out = run(as_admin(b)
        .args(["bundle", "export", "--enrolment-code", &code_b, "--out"])
        .arg(stick("b1")));
    assert!(out.status.success(), "export b: {}", stderr(&out));
    hub_import(hub, &stick("b1"));
    let enrolled = hub_state(hub);
    assert_eq!((enrolled.3, enrolled.4), (2, 2), "two centres, two keys");

    // A's events signed with B's key, B's origin signed with A's key, an event of another
    // origin inside A's bundle, and A's code with the wrong proof: all refused, nothing changed.
    let opened = bundle::open(&bytes).expect("open");
    let bundle::Contents::ToHub(contents) = opened.contents else {
        panic!("direction")
    };
    let seal = |contents: &bundle::CentreBundle, key: &bundle::SigningKey, name: &str| {
        let sealed = bundle::seal(&bundle::Contents::ToHub(contents.clone()), key).expect("seal");
        std::fs::write(stick(name), sealed).expect("write");
        stick(name)
    };
    hub_refuses(
        hub,
        &seal(&contents, &desk_key(b), "forged"),
        "bundle_wrong_signer",
    );
    let mut for_b = contents.clone();
    for_b.origin = origin_of(b).parse().expect("uuid");
    for event in &mut for_b.events {
        event.origin = for_b.origin;
    }
    hub_refuses(
        hub,
        &seal(&for_b, &desk_key(a), "for_b"),
        "bundle_wrong_signer",
    );
    let mut mixed = contents;
    mixed.events[1].origin = for_b.origin;
    hub_refuses(
        hub,
        &seal(&mixed, &desk_key(a), "mixed"),
        "bundle_wrong_origin",
    );
    assert_eq!(hub_state(hub), enrolled);

    // The county assigns a matter; the hub's bundle back advances the mark and fills the inbox.
    let payload = sticks.path().join("assignment.json");
    std::fs::write(
        &payload,
        json!({
            "reference": "某县信访局交〔2026〕9号",
            "from_unit": "某县信访局",
            "matter": crate::sync::letter("离线交办的事项"),
        })
        .to_string(),
    )
    .expect("payload");
    publish_assignment(hub, &centre_a, &payload);
    for n in 0..2 {
        let out = run(xinfang(a)
            .env("XINFANG_USER", "wangfang")
            .env("XINFANG_PASSWORD", "demo-pass-2026")
            .args(["call", "matter_register"])
            .arg(letter(&format!("离线{n}")).to_string()));
        assert!(out.status.success(), "register: {}", stderr(&out));
    }
    assert_eq!(desk_sync(a), (0, 0));
    let out = hub_admin(
        hub,
        &[
            "bundle",
            "export",
            "--centre",
            "XF3301",
            "--out",
            stick("h1").to_str().expect("path"),
        ],
    );
    assert_eq!(field(&out, "events:"), "1");
    // Changed on the way: refused, nothing applied.
    let hub_bytes = std::fs::read(stick("h1")).expect("read");
    let mut changed = hub_bytes.clone();
    changed[hub_bytes.len() / 2] ^= 1;
    std::fs::write(stick("h1-changed"), &changed).expect("write");
    let out = run(as_admin(a)
        .args(["bundle", "import"])
        .arg(stick("h1-changed")));
    assert!(!out.status.success());
    assert!(stderr(&out).contains("bundle_tampered"), "{}", stderr(&out));
    assert_eq!(desk_sync(a), (0, 0));
    // B cannot apply A's bundle.
    let out = run(as_admin(b).args(["bundle", "import"]).arg(stick("h1")));
    assert!(
        stderr(&out).contains("bundle_wrong_centre"),
        "{}",
        stderr(&out)
    );

    let out = run(as_admin(a).args(["bundle", "import"]).arg(stick("h1")));
    assert!(out.status.success(), "import: {}", stderr(&out));
    assert!(
        stdout(&out).contains("已记住县级枢纽签名密钥"),
        "{}",
        stdout(&out)
    );
    assert_eq!(desk_sync(a), (through, 1));
    assert_eq!(
        field(&stdout(&out), "applied:"),
        "1",
        "the 交办 became a matter"
    );
    let out = run(as_admin(a).args(["bundle", "import"]).arg(stick("h1")));
    assert!(out.status.success(), "again: {}", stderr(&out));
    assert_eq!(field(&stdout(&out), "inbox_added:"), "0");
    assert_eq!(field(&stdout(&out), "applied:"), "0", "and only once");
    assert_eq!(desk_sync(a), (through, 1));

    // A hub bundle signed by another key is refused now that the desk knows the hub's.
    let opened = bundle::open(&hub_bytes).expect("open");
    let forged = bundle::seal(&opened.contents, &desk_key(b)).expect("seal");
    std::fs::write(stick("h-forged"), forged).expect("write");
    let out = run(as_admin(a)
        .args(["bundle", "import"])
        .arg(stick("h-forged")));
    assert!(
        stderr(&out).contains("bundle_wrong_signer"),
        "{}",
        stderr(&out)
    );

    // Online at last, with the credential the first bundle registered: only the two new events
    // are pushed, the assignment is not pulled again.
    let server_hub = Hub::start(hub, "127.0.0.1:0");
    let server = Server::start_with(a, &["--sync-interval", "1"]);
    let admin = server.login("admin", ADMIN_PASSWORD);
    let (ok, body) = server.call(
        "sync_configure",
        Some(&admin),
        &json!({"hub_url": format!("http://127.0.0.1:{}", server_hub.port)}),
    );
    assert_eq!(ok, 200, "{body}");
    let synced = wait_for(&server, &admin, "network sync after bundles", |s| {
        s["connected"] == true && s["events_waiting"] == 0
    });
    assert_eq!(synced["inbox_count"], 1, "{synced}");
    let total = local_seq(a);
    assert_eq!(
        hub_events_of(hub, &origin_a),
        (total, total),
        "every event once"
    );
    let log: serde_json::Value =
        serde_json::from_str(&hub_admin(hub, &["log", "--json", "--limit", "1000"])).expect("log");
    let pushed: i64 = log
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["endpoint"] == "POST /api/v1/push")
        .filter_map(|e| {
            let message = e["message"].as_str()?;
            message
                .strip_prefix("收到 ")?
                .split(' ')
                .next()?
                .parse::<i64>()
                .ok()
        })
        .sum();
    assert_eq!(
        pushed,
        total - through,
        "nothing the bundle carried is pushed again"
    );
    let _ = status(&server, &admin);
    drop(server);
    server_hub.stop();
    let out = run(xinfang(a).arg("verify"));
    assert!(out.status.success(), "verify: {}", stdout(&out));

    // Every export and import, refused ones too, is in the desk's audit trail (verify above
    // has checked its chain).
    let conn = open_register(a);
    let rows: Vec<(String, String, String)> = conn
        .prepare(
            "SELECT operation, outcome, object FROM audit_log
             WHERE operation LIKE 'bundle_%' ORDER BY seq",
        )
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    let has = |op: &str, outcome: &str, file: &str| {
        rows.iter()
            .any(|(o, r, f)| o == op && r == outcome && f == file)
    };
    assert!(has("bundle_export", "ok", "a1"), "{rows:?}");
    assert!(
        has("bundle_import", "bundle_tampered", "h1-changed"),
        "{rows:?}"
    );
    assert!(has("bundle_import", "ok", "h1"), "{rows:?}");
}

/// `xinfang-hub publish` of the 交办 in the file `payload` to `centre`.
fn publish_assignment(hub: &Path, centre: &str, payload: &Path) {
    hub_admin(
        hub,
        &[
            "publish",
            "--to",
            centre,
            "--kind",
            "county.assignment",
            "--payload",
            payload.to_str().expect("path"),
        ],
    );
}

/// `xinfang-hub publish` of a 交办 to `centre`, with a reference of its own.
fn assign(hub: &Path, centre: &str, dir: &Path, reference: &str) {
    let payload = dir.join(format!("{reference}.json"));
    std::fs::write(
        &payload,
        json!({
            "reference": format!("某县信访局交〔2026〕{reference}号"),
            "from_unit": "某县信访局",
            "matter": crate::sync::letter(&format!("交办事项{reference}")),
        })
        .to_string(),
    )
    .expect("payload");
    publish_assignment(hub, centre, &payload);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

#[test]
fn a_hub_restored_from_an_older_backup_still_brings_a_bundle_centre_what_it_reissued() {
    let hub_dir = tempfile::tempdir().expect("hub");
    let hub = hub_dir.path();
    let (centre_a, code_a) = add_centre(hub, "XF3301");
    let desk = initialised(1);
    let a = desk.path();
    let sticks = tempfile::tempdir().expect("stick");
    let stick = |name: &str| sticks.path().join(name);
    let desk_export = |name: &str, code: Option<&str>| {
        let mut cmd = as_admin(a);
        cmd.args(["bundle", "export"]);
        if let Some(code) = code {
            cmd.args(["--enrolment-code", code]);
        }
        let out = run(cmd.arg("--out").arg(stick(name)));
        assert!(out.status.success(), "export: {}", stderr(&out));
    };
    let desk_import = |name: &str| {
        let out = run(as_admin(a).args(["bundle", "import"]).arg(stick(name)));
        assert!(out.status.success(), "import: {}", stderr(&out));
        stdout(&out)
    };
    let hub_export = |name: &str| {
        let out = hub_admin(
            hub,
            &[
                "bundle",
                "export",
                "--centre",
                "XF3301",
                "--out",
                stick(name).to_str().expect("path"),
            ],
        );
        field(&out, "events:")
    };

    desk_export("a1", Some(&code_a));
    hub_import(hub, &stick("a1"));
    let backup = tempfile::tempdir().expect("backup");
    copy_dir(hub, backup.path());

    // The county assigns one matter; it reaches the centre by stick.
    assign(hub, &centre_a, sticks.path(), "1");
    assert_eq!(hub_export("h1"), "1");
    assert_eq!(field(&desk_import("h1"), "inbox_added:"), "1");

    // The hub is restored from the backup taken before that assignment, and assigns another:
    // it gets the cursor the first one had. The centre's next bundle says which event it holds
    // there, so the hub sends from the beginning again instead of after that cursor.
    std::fs::remove_dir_all(hub).expect("remove");
    copy_dir(backup.path(), hub);
    assign(hub, &centre_a, sticks.path(), "2");
    desk_export("a2", None);
    hub_import(hub, &stick("a2"));
    assert_eq!(
        hub_export("h2"),
        "1",
        "the re-issued cursor's event is sent"
    );
    let imported = desk_import("h2");
    assert_eq!(field(&imported, "inbox_added:"), "1", "{imported}");
    assert_eq!(
        field(&imported, "applied:"),
        "1",
        "the second 交办 became a matter"
    );
    assert_eq!(
        desk_sync(a).1,
        2,
        "both assignments are in the inbox, once each"
    );
}
