//! Encryption at rest through the real binary: a copied register is not a database to the
//! `sqlite3` CLI, the key file opens it, a wrong key is a clear `register_key_wrong` that
//! leaves the file as it was, `rekey` keeps the data and retires the old key, a plain register
//! from the previous version is encrypted in place, and the passphrase mode.

use std::path::Path;

use serde_json::Value;
use xinfang_core::keys::{self, Key, Unlock};

use crate::support::*;

fn sqlite3(file: &Path, sql: &str) -> std::process::Output {
    std::process::Command::new("sqlite3")
        .arg(file)
        .arg(sql)
        .output()
        .expect("run the sqlite3 CLI (scripts/setup.sh installs it)")
}

fn count_matters(conn: &rusqlite::Connection) -> i64 {
    conn.query_row("SELECT count(*) FROM matters", [], |r| r.get(0))
        .expect("count")
}

fn error_of(out: &std::process::Output) -> Value {
    serde_json::from_str(stderr(out).trim())
        .unwrap_or_else(|_| panic!("error is JSON: {}", stderr(out)))
}

#[test]
fn a_copied_register_reveals_nothing_without_its_key() {
    let dir = initialised(20);
    let data = dir.path();
    let key_file = data.join("register.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file)
            .expect("key file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the key file is the owner's alone");
    }
    // Taken while nothing runs, as someone walking off with the file would.
    let copy = tempfile::tempdir().expect("dir");
    let stolen = copy.path().join("register.db");
    std::fs::copy(data.join("register.db"), &stolen).expect("copy");

    let out = sqlite3(&stolen, "SELECT count(*) FROM matters;");
    assert!(!out.status.success(), "sqlite3 must not read it");
    assert!(
        stderr(&out).contains("file is not a database"),
        "{}",
        stderr(&out)
    );
    let bytes = std::fs::read(&stolen).expect("read");
    assert!(
        !bytes
            .windows(b"SQLite format 3".len())
            .any(|w| w == b"SQLite format 3"),
        "not even the header is in the clear"
    );

    // With the key the copy reads back whole; what it holds is nowhere in the bytes.
    let key = keys::read_keyring(&key_file).expect("key file").current;
    let conn = keys::connect(&stolen, &key).expect("opens with the key");
    assert_eq!(count_matters(&conn), 20);
    let names: Vec<String> = conn
        .prepare("SELECT name FROM persons LIMIT 5")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("names");
    assert!(!names.is_empty());
    for name in names {
        let name = name.as_bytes();
        assert!(
            !bytes.windows(name.len()).any(|w| w == name),
            "a petitioner's name in the clear"
        );
    }
}

#[test]
fn a_wrong_key_is_a_clear_error_and_changes_nothing() {
    let dir = initialised(5);
    let data = dir.path();
    let register = data.join("register.db");
    let real = std::fs::read(data.join("register.key")).expect("key");
    let before = std::fs::read(&register).expect("register");
    keys::write_keyring(
        &data.join("register.key"),
        &keys::Keyring {
            current: Key::random().expect("key"),
            retired: Vec::new(),
        },
    )
    .expect("a wrong key file");
    for args in [
        &["verify"][..],
        &["call", "matter_search", "{}"],
        &["backup"],
    ] {
        let out = run(xinfang(data)
            .args(args)
            .env("XINFANG_USER", "wangfang")
            .env("XINFANG_PASSWORD", "demo-pass-2026"));
        assert!(!out.status.success(), "{args:?} must fail");
        let err = error_of(&out);
        assert_eq!(err["code"], "register_key_wrong", "{args:?}: {err}");
        assert!(err["message"].as_str().unwrap_or_default().contains("密钥"));
        assert!(
            !stderr(&out).contains("hmac"),
            "SQLCipher's own log stays quiet: {}",
            stderr(&out)
        );
    }
    assert_eq!(std::fs::read(&register).expect("read"), before, "untouched");

    std::fs::remove_file(data.join("register.key")).expect("rm");
    let out = run(xinfang(data).arg("verify"));
    assert_eq!(error_of(&out)["code"], "register_key_missing");
    assert!(!data.join("register.key").exists(), "no new key is made up");

    std::fs::write(data.join("register.key"), real).expect("restore key");
    let out = run(xinfang(data).arg("verify"));
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn rekey_keeps_the_data_and_the_old_key_stops_opening_the_register() {
    let dir = initialised(30);
    let data = dir.path();
    let register = data.join("register.db");
    let old = keys::read_keyring(&data.join("register.key"))
        .expect("ring")
        .current;
    let out = run(xinfang(data).arg("rekey"));
    assert!(out.status.success(), "{}", stderr(&out));

    let ring = keys::read_keyring(&data.join("register.key")).expect("ring");
    assert_ne!(ring.current, old);
    assert_eq!(
        ring.retired,
        vec![old.clone()],
        "retired, for older backups"
    );
    assert!(!data.join("register.key.new").exists());
    let err = keys::connect(&register, &old).expect_err("old key");
    assert_eq!(err.code(), "register_key_wrong");
    assert_eq!(
        count_matters(&keys::connect(&register, &ring.current).expect("new key")),
        30
    );
    let out = run(xinfang(data).arg("verify"));
    assert!(out.status.success(), "{}", stdout(&out));
    let audit: i64 = open_register(data)
        .query_row(
            "SELECT count(*) FROM audit_log WHERE operation = 'rekey' AND outcome = 'ok'",
            [],
            |r| r.get(0),
        )
        .expect("audit");
    assert_eq!(audit, 1, "the rotation is in the audit trail");
}

#[test]
fn a_rotation_cut_off_after_its_rekey_is_completed_at_the_next_open() {
    // The crash window of `rekey`: pages re-encrypted under the pending key, the key file
    // not yet renamed. Made by hand: rekey the file, write only the pending key file.
    let dir = initialised(3);
    let data = dir.path();
    let register = data.join("register.db");
    let ring = keys::read_keyring(&data.join("register.key")).expect("ring");
    let new = Key::random().expect("key");
    {
        let conn = keys::connect(&register, &ring.current).expect("open");
        conn.pragma_update(None, "journal_mode", "DELETE")
            .expect("mode");
        conn.execute_batch(&format!("PRAGMA rekey = \"x'{}'\";", new.to_hex()))
            .expect("rekey");
    }
    keys::write_keyring(
        &data.join("register.key.new"),
        &keys::Keyring {
            current: new.clone(),
            retired: ring.all(),
        },
    )
    .expect("pending");
    let out = run(xinfang(data)
        .args(["call", "matter_search", "{}"])
        .env("XINFANG_USER", "wangfang")
        .env("XINFANG_PASSWORD", "demo-pass-2026"));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!data.join("register.key.new").exists());
    assert_eq!(
        keys::read_keyring(&data.join("register.key"))
            .expect("ring")
            .current,
        new
    );
}

#[test]
fn a_plain_register_from_the_previous_version_is_encrypted_in_place() {
    let dir = initialised(10);
    let data = dir.path();
    let register = data.join("register.db");
    // What the previous version left: the same register, unencrypted, and no key file.
    let plain = data.join("plain.db");
    {
        // The tool connection may not create files; an empty one is an empty database.
        std::fs::File::create(&plain).expect("create");
        let conn = open_register(data);
        conn.execute(
            &format!(
                "ATTACH DATABASE '{}' AS plain KEY ''",
                plain.display().to_string().replace('\'', "''")
            ),
            [],
        )
        .expect("attach");
        conn.query_row("SELECT sqlcipher_export('plain')", [], |_| Ok(()))
            .expect("export");
        let version: u32 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .expect("version");
        conn.execute_batch(&format!(
            "PRAGMA plain.user_version = {version}; DETACH DATABASE plain;"
        ))
        .expect("version");
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", register.display()));
    }
    std::fs::remove_file(data.join("register.key")).expect("rm key");
    std::fs::rename(&plain, &register).expect("install plain");
    let out = sqlite3(&register, "SELECT count(*) FROM matters;");
    assert_eq!(stdout(&out).trim(), "10", "the old file is plain SQLite");

    let out = run(xinfang(data)
        .args(["call", "matter_search", "{}"])
        .env("XINFANG_USER", "wangfang")
        .env("XINFANG_PASSWORD", "demo-pass-2026"));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(data.join("register.key").exists(), "a key was made");
    let out = sqlite3(&register, "SELECT count(*) FROM matters;");
    assert!(stderr(&out).contains("file is not a database"));
    assert!(!data.join("register.db.encrypting").exists());
    assert_eq!(count_matters(&open_register(data)), 10);
    let out = run(xinfang(data).arg("verify"));
    assert!(out.status.success(), "{}", stdout(&out));
}

#[test]
fn the_passphrase_mode_keeps_no_key_on_the_machine() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path();
    let secret = data.join("pass.txt");
    std::fs::write(&secret, "县局管理员口令-2026\n").expect("passphrase file");
    let out = run(xinfang(data)
        .args(["init", "--admin-password", ADMIN_PASSWORD])
        .env("XINFANG_PASSPHRASE", "县局管理员口令-2026"));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!data.join("register.key").exists(), "no key file");
    assert!(data.join("register.salt").exists());

    let out = run(xinfang(data).arg("verify"));
    assert_eq!(error_of(&out)["code"], "register_passphrase_required");
    let out = run(xinfang(data)
        .arg("verify")
        .env("XINFANG_PASSPHRASE", "别的口令"));
    assert_eq!(error_of(&out)["code"], "register_key_wrong");
    let out = run(xinfang(data)
        .arg("--passphrase-file")
        .arg(&secret)
        .arg("verify"));
    assert!(out.status.success(), "{}", stderr(&out));

    // A new passphrase: the old one stops working.
    let new_secret = data.join("new.txt");
    std::fs::write(&new_secret, "新的管理员口令-2027").expect("file");
    let out = run(xinfang(data)
        .arg("--passphrase-file")
        .arg(&secret)
        .arg("rekey")
        .arg("--new-passphrase-file")
        .arg(&new_secret));
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(xinfang(data)
        .arg("--passphrase-file")
        .arg(&secret)
        .arg("verify"));
    assert_eq!(error_of(&out)["code"], "register_key_wrong");
    let out = run(xinfang(data)
        .arg("--passphrase-file")
        .arg(&new_secret)
        .arg("verify"));
    assert!(out.status.success(), "{}", stderr(&out));
    let conn = xinfang_core::db::open_existing_with(
        &data.join("register.db"),
        &Unlock::Passphrase("新的管理员口令-2027".into()),
    )
    .expect("open");
    let users: i64 = conn
        .query_row("SELECT count(*) FROM users", [], |r| r.get(0))
        .expect("users");
    assert_eq!(users, 1);
}
