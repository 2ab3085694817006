//! Backups and restore through the real binary: the restore drill (backup → corrupt the live
//! file → restore → verify), a bad or foreign backup refused with the register untouched,
//! retention and the second location, the schedule inside `xinfang serve`, and the backup
//! taken before a migration.

use std::{
    io::{Seek, SeekFrom, Write},
    path::{Path, PathBuf},
};

use serde_json::Value;
use xinfang_core::keys;

use crate::support::*;

fn backups(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.expect("entry").path())
                .filter(|p| p.extension().is_some_and(|e| e == "db"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn backup(data: &Path, extra: &[&str]) -> PathBuf {
    let out = run(xinfang(data).arg("backup").args(extra));
    assert!(out.status.success(), "backup: {}", stderr(&out));
    let line = stdout(&out);
    let path = line
        .lines()
        .find_map(|l| l.strip_prefix("已备份："))
        .expect("prints the file");
    PathBuf::from(path.trim())
}

/// Overwrites `pages` pages of `file` from page `from` with a pattern, as a failing disk
/// or a stray write would.
fn corrupt(file: &Path, from: u64, pages: u64) {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(file)
        .expect("open for corruption");
    f.seek(SeekFrom::Start(from * 4096)).expect("seek");
    f.write_all(&vec![0xA5; (pages * 4096) as usize])
        .expect("overwrite");
    f.sync_all().expect("sync");
}

fn matter_ids(data: &Path) -> Vec<String> {
    open_register(data)
        .prepare("SELECT id FROM matters ORDER BY id")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("ids")
}

fn error_of(out: &std::process::Output) -> Value {
    serde_json::from_str(stderr(out).trim())
        .unwrap_or_else(|_| panic!("error is JSON: {}", stderr(out)))
}

#[test]
fn restore_drill_backup_corrupt_restore_verify() {
    let dir = initialised(60);
    let data = dir.path();
    let ids = matter_ids(data);
    assert_eq!(ids.len(), 60);
    let file = backup(data, &[]);
    assert!(file.starts_with(data.join("backups")));
    let out = std::process::Command::new("sqlite3")
        .arg(&file)
        .arg("SELECT count(*) FROM matters;")
        .output()
        .expect("sqlite3");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("file is not a database"),
        "a backup is encrypted with the register's key"
    );

    let register = data.join("register.db");
    let pages = std::fs::metadata(&register).expect("meta").len() / 4096;
    assert!(pages > 12, "a register of {pages} pages");
    corrupt(&register, pages / 3, 6);
    let out = run(xinfang(data).arg("verify"));
    assert!(!out.status.success(), "verify notices the damage");

    let out = run(xinfang(data).arg("restore").arg(&file));
    assert!(
        out.status.success(),
        "restore: {}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains("校验通过"));
    let out = run(xinfang(data).arg("verify"));
    assert!(
        out.status.success(),
        "verify after restore: {}",
        stdout(&out)
    );
    assert_eq!(matter_ids(data), ids, "the data are there");
    let aside: Vec<_> = std::fs::read_dir(data)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("register.db.before-restore-"))
        .collect();
    assert_eq!(
        aside.len(),
        1,
        "the damaged register is kept aside: {aside:?}"
    );
    let audited: Vec<(String, String)> = open_register(data)
        .prepare(
            "SELECT operation, outcome FROM audit_log WHERE operation IN ('backup', 'restore')
             ORDER BY seq",
        )
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    // The backup's row is inside the backup itself only if it was written before the copy;
    // it is written after, so the restored trail has the restore.
    assert!(
        audited.contains(&("restore".to_owned(), "ok".to_owned())),
        "{audited:?}"
    );
}

#[test]
fn a_bad_or_foreign_backup_is_refused_and_the_register_is_untouched() {
    let dir = initialised(40);
    let data = dir.path();
    let good = backup(data, &[]);
    let register = data.join("register.db");

    let damaged = data.join("damaged.db");
    std::fs::copy(&good, &damaged).expect("copy");
    let pages = std::fs::metadata(&damaged).expect("meta").len() / 4096;
    corrupt(&damaged, pages / 2, 3);
    let other = initialised(1);
    let foreign = backup(other.path(), &[]);
    let truncated = data.join("truncated.db");
    let bytes = std::fs::read(&good).expect("read");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).expect("write");

    for candidate in [&damaged, &foreign, &truncated] {
        let before = fingerprint(data);
        let out = run(xinfang(data).arg("restore").arg(candidate));
        assert!(
            !out.status.success(),
            "{} must be refused",
            candidate.display()
        );
        let err = error_of(&out);
        assert_eq!(err["code"], "backup_invalid", "{err}");
        assert!(
            err["message"]
                .as_str()
                .unwrap_or_default()
                .contains("未被改动"),
            "{err}"
        );
        // The register is not replaced or changed; only the refusal is added to its trail.
        assert_eq!(fingerprint(data), before);
        assert!(register.exists());
        assert!(!data.join("register.db.restoring").exists());
    }
    let refusals: i64 = open_register(data)
        .query_row(
            "SELECT count(*) FROM audit_log WHERE operation = 'restore' AND outcome = 'backup_invalid'",
            [],
            |r| r.get(0),
        )
        .expect("audit");
    assert_eq!(refusals, 3, "every refused restore is in the audit trail");
    let out = run(xinfang(data).arg("verify"));
    assert!(out.status.success(), "{}", stdout(&out));
}

#[test]
fn retention_keeps_the_newest_and_a_second_location_gets_every_backup() {
    let dir = initialised(2);
    let data = dir.path();
    let second = tempfile::tempdir().expect("usb");
    let copy_to = second.path().to_str().expect("utf-8 path");
    let mut taken = Vec::new();
    for _ in 0..4 {
        taken.push(backup(
            data,
            &["--copy-to", copy_to, "--keep", "2", "--keep-days", "0"],
        ));
    }
    let kept = backups(&data.join("backups"));
    assert_eq!(kept, taken[2..].to_vec(), "the two newest stay");
    let copies = backups(second.path());
    assert_eq!(
        copies.iter().map(|p| p.file_name()).collect::<Vec<_>>(),
        taken[2..].iter().map(|p| p.file_name()).collect::<Vec<_>>()
    );
    // The copy is a whole, encrypted backup that restores.
    let key = keys::read_keyring(&data.join("register.key"))
        .expect("ring")
        .current;
    let conn = keys::connect(&copies[1], &key).expect("copy opens with the key");
    let n: i64 = conn
        .query_row("SELECT count(*) FROM matters", [], |r| r.get(0))
        .expect("count");
    assert_eq!(n, 2);
    // --keep-days keeps young backups beyond the count.
    backup(data, &["--keep", "1", "--keep-days", "30"]);
    assert_eq!(backups(&data.join("backups")).len(), 3);
}

#[test]
fn serve_backs_up_on_its_schedule() {
    let dir = initialised(3);
    let data = dir.path();
    let server = Server::start_with(data, &["--backup-every-hours", "1"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let found = loop {
        let found = backups(&data.join("backups"));
        if !found.is_empty() || std::time::Instant::now() > deadline {
            break found;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert_eq!(
        found.len(),
        1,
        "one backup at start, none until the hour is up"
    );
    assert!(
        found[0].to_string_lossy().contains("-scheduled"),
        "{found:?}"
    );
    // The server keeps answering while and after it backs up.
    let token = server.login("wangfang", "demo-pass-2026");
    let (status, _) = server.call("matter_search", Some(&token), &serde_json::json!({}));
    assert_eq!(status, 200);
    drop(server);
    // A restart within the hour does not back up again.
    let server = Server::start_with(data, &["--backup-every-hours", "1"]);
    std::thread::sleep(std::time::Duration::from_millis(500));
    // While it runs, a restore or a key rotation would pull the file from under it: refused,
    // and the register is untouched.
    let before = matter_ids(data);
    for args in [
        vec!["restore".to_owned(), found[0].display().to_string()],
        vec!["rekey".to_owned()],
    ] {
        let out = run(xinfang(data).args(&args));
        assert!(!out.status.success(), "{args:?} refused while serving");
        assert_eq!(error_of(&out)["code"], "register_in_use", "{args:?}");
    }
    let (status, _) = server.call(
        "matter_search",
        Some(&server.login("wangfang", "demo-pass-2026")),
        &serde_json::json!({}),
    );
    assert_eq!(status, 200, "the server never noticed");
    drop(server);
    assert_eq!(matter_ids(data), before);
    assert_eq!(backups(&data.join("backups")).len(), 1);
    // Stopped, the restore goes ahead.
    let out = run(xinfang(data).arg("restore").arg(&found[0]));
    assert!(out.status.success(), "restore: {}", stderr(&out));
}

#[test]
fn a_migration_is_preceded_by_a_backup_of_the_older_schema() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path();
    let path = data.join("register.db");
    let older = xinfang_core::db::supported_version() - 1;
    {
        let (mut conn, _) = keys::open(&path, &keys::Unlock::KeyFile).expect("new register");
        xinfang_core::db::configure(&conn).expect("configure");
        xinfang_core::db::migrate_to(&mut conn, older).expect("older schema");
    }
    let out = run(xinfang(data).args(["call", "matter_search", "{}"]));
    // Not initialised (no centre), but opened, and so migrated.
    assert!(!out.status.success());
    let found = backups(&data.join("backups"));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0]
            .to_string_lossy()
            .contains(&format!("before-migration-v{older}")),
        "{found:?}"
    );
    let key = keys::read_keyring(&data.join("register.key"))
        .expect("ring")
        .current;
    let version = |p: &Path| -> u32 {
        keys::connect(p, &key)
            .expect("open")
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .expect("version")
    };
    assert_eq!(version(&found[0]), older, "the backup has the old schema");
    assert_eq!(version(&path), xinfang_core::db::supported_version());
}
