//! Online backups of the register and their restore (issue 8 §5).
//!
//! A backup is taken through SQLite's backup API from a connection to the live register, so
//! desks keep working while it runs (in WAL mode the copy reads one snapshot and never blocks a
//! writer). It is written under the register's own key — a backup file is as unreadable as the
//! register without the key — to a `.partial` name, checked, synced and only then renamed to
//! `register-<UTC time>-<reason>.db`, so a listed backup is always a whole one.
//!
//! A restore never trusts its file: it copies the candidate beside the register, opens it with
//! the current key or a retired one, runs `PRAGMA integrity_check` and the full `verify`
//! (every projection rebuilt from the event log and compared), and only if all of that passes
//! moves the current register aside and renames the candidate into its place.

use std::{
    fs,
    path::{Path, PathBuf},
};

use chrono::{DateTime, NaiveDateTime, Utc};
use rusqlite::Connection;

use crate::{
    Error, Result,
    keys::{self, Key},
    verify,
};

/// Name prefix and suffix of every backup file.
const PREFIX: &str = "register-";
const SUFFIX: &str = ".db";
/// The time in a backup's name (UTC, to the millisecond so two in one second differ).
const STAMP: &str = "%Y%m%dT%H%M%S%.3fZ";

/// How many backups to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Always keep at least this many of the newest.
    pub keep: usize,
    /// Beyond those, keep every backup younger than this many days.
    pub keep_days: u32,
}

impl Default for Retention {
    /// Two weeks of daily backups at least, and everything from the last 30 days.
    fn default() -> Retention {
        Retention {
            keep: 14,
            keep_days: 30,
        }
    }
}

/// One backup file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupFile {
    /// Where it is.
    pub path: PathBuf,
    /// When it was taken (from its name).
    pub taken_at: DateTime<Utc>,
}

/// `backups/` beside the register file.
pub fn default_dir(register: &Path) -> PathBuf {
    register
        .parent()
        .map(|p| p.join("backups"))
        .unwrap_or_else(|| PathBuf::from("backups"))
}

/// Takes an online backup of `conn` (the live register, unlocked with `key`) into `dir`.
/// `reason` becomes part of the name (`manual`, `scheduled`, `before-migration-v13` …).
pub fn create(
    conn: &Connection,
    key: &Key,
    dir: &Path,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<PathBuf> {
    fs::create_dir_all(dir)?;
    let reason: String = reason
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let name = format!("{PREFIX}{}-{reason}{SUFFIX}", now.format(STAMP));
    let path = dir.join(&name);
    let partial = dir.join(format!("{name}.partial"));
    let _ = fs::remove_file(&partial);
    let outcome = (|| -> Result<()> {
        crate::keys::sqlcipher_ready()?;
        let mut dest = Connection::open(&partial)?;
        dest.execute_batch(&format!("PRAGMA key = \"x'{}'\";", key.to_hex()))?;
        {
            use rusqlite::backup::StepResult;
            let backup = rusqlite::backup::Backup::new(conn, &mut dest)?;
            // All pages in one step (-1): one consistent read snapshot of the source. Busy or
            // locked only while another connection holds an exclusive lock; try again briefly.
            let mut waited = 0;
            loop {
                match backup.step(-1)? {
                    StepResult::Done => break,
                    _ if waited >= 200 => {
                        return Err(Error::Internal(
                            "the register stayed locked for 10 s; backup not taken".into(),
                        ));
                    }
                    _ => {
                        waited += 1;
                        std::thread::sleep(std::time::Duration::from_millis(50));
                    }
                }
            }
        }
        let check: String = dest.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
        if check != "ok" {
            return Err(Error::Internal(format!(
                "backup {name} fails quick_check: {check}"
            )));
        }
        dest.pragma_update(None, "journal_mode", "DELETE")?;
        drop(dest);
        fs::File::open(&partial)?.sync_all()?;
        fs::rename(&partial, &path)?;
        keys::sync_dir(&path);
        Ok(())
    })();
    if let Err(e) = outcome {
        let _ = fs::remove_file(&partial);
        return Err(e);
    }
    Ok(path)
}

/// Copies a finished backup into a second location (a USB stick, a network share): written
/// to a `.partial` name, synced, renamed. Returns the copy's path.
pub fn copy_to(file: &Path, dir: &Path) -> Result<PathBuf> {
    fs::create_dir_all(dir)?;
    let name = file
        .file_name()
        .ok_or_else(|| Error::Internal(format!("not a file: {}", file.display())))?;
    let target = dir.join(name);
    let mut partial = target.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    fs::copy(file, &partial)?;
    fs::File::open(&partial)?.sync_all()?;
    fs::rename(&partial, &target)?;
    keys::sync_dir(&target);
    Ok(target)
}

/// The backups in `dir`, newest first. Files that are not backups are ignored.
pub fn list(dir: &Path) -> Result<Vec<BackupFile>> {
    let mut found = Vec::new();
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
        Err(e) => return Err(e.into()),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name
            .strip_prefix(PREFIX)
            .and_then(|r| r.strip_suffix(SUFFIX))
        else {
            continue;
        };
        // The stamp is fixed-width: yyyymmddThhmmss.mmmZ.
        let Some(stamp) = rest.get(..20) else {
            continue;
        };
        if let Ok(at) = NaiveDateTime::parse_from_str(stamp, STAMP) {
            found.push(BackupFile {
                path: entry.path(),
                taken_at: at.and_utc(),
            });
        }
    }
    found.sort_by(|a, b| b.taken_at.cmp(&a.taken_at).then(b.path.cmp(&a.path)));
    Ok(found)
}

/// Deletes the backups in `dir` that `retention` no longer keeps; returns what it deleted.
pub fn prune(dir: &Path, retention: Retention, now: DateTime<Utc>) -> Result<Vec<PathBuf>> {
    let cutoff = now - chrono::Duration::days(i64::from(retention.keep_days));
    let mut removed = Vec::new();
    for (index, backup) in list(dir)?.into_iter().enumerate() {
        if index >= retention.keep.max(1) && backup.taken_at < cutoff {
            fs::remove_file(&backup.path)?;
            removed.push(backup.path);
        }
    }
    Ok(removed)
}

/// The newest backup in `dir`, if any.
pub fn newest(dir: &Path) -> Result<Option<BackupFile>> {
    Ok(list(dir)?.into_iter().next())
}

/// What `restore` did.
#[derive(Debug, Clone)]
pub struct Restored {
    /// Where the register that was replaced now is (`register.db.before-restore-<time>`),
    /// or `None` when there was none.
    pub kept_aside: Option<PathBuf>,
    /// The verification the candidate passed.
    pub report: verify::Report,
    /// The candidate was encrypted with a retired key and has been re-encrypted with the
    /// current one.
    pub rekeyed: bool,
}

fn refused(message: String) -> Error {
    Error::Key {
        code: "backup_invalid",
        message,
    }
}

/// Restores `candidate` over the register at `register` after verifying it. `keys` are the
/// keys to try, the register's current key first; the restored file ends up under that one.
/// Nothing else may have the register open.
pub fn restore(
    register: &Path,
    candidate: &Path,
    keys: &[Key],
    now: DateTime<Utc>,
) -> Result<Restored> {
    let current = keys
        .first()
        .ok_or_else(|| Error::Internal("restore without a key".into()))?;
    if !candidate.is_file() {
        return Err(refused(format!("找不到备份文件 {}", candidate.display())));
    }
    let staging = register.with_extension("db.restoring");
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = fs::remove_file(keys::sidecar(&staging, suffix));
    }
    fs::copy(candidate, &staging)?;
    let outcome = check_candidate(&staging, keys, candidate);
    let (report, rekeyed) = match outcome {
        Ok(found) => found,
        Err(e) => {
            let _ = fs::remove_file(&staging);
            return Err(e);
        }
    };
    if let Some(old) = rekeyed {
        // Taken before a rotation: re-encrypted under the current key, so that the key file
        // alone keeps opening the register.
        let conn = keys::connect(&staging, &keys[old])?;
        conn.pragma_update(None, "journal_mode", "DELETE")?;
        conn.execute_batch(&format!("PRAGMA rekey = \"x'{}'\";", current.to_hex()))?;
        drop(conn);
        keys::connect(&staging, current)?;
    }
    fs::File::open(&staging)?.sync_all()?;

    let kept_aside = if register.exists() {
        let aside = register.with_extension(format!(
            "db.before-restore-{}",
            now.format("%Y%m%dT%H%M%SZ")
        ));
        // The register's WAL belongs with it: moved aside together, never applied to the
        // restored file.
        for suffix in ["-wal", "-shm"] {
            let from = keys::sidecar(register, suffix);
            if from.exists() {
                fs::rename(&from, keys::sidecar(&aside, suffix))?;
            }
        }
        fs::rename(register, &aside)?;
        Some(aside)
    } else {
        None
    };
    fs::rename(&staging, register)?;
    keys::sync_dir(register);
    Ok(Restored {
        kept_aside,
        report,
        rekeyed: rekeyed.is_some(),
    })
}

/// Opens the copied candidate with one of `keys`, checks its schema version, brings an older
/// one to this version's schema (it is our copy; the next open would do the same), then checks
/// integrity and every projection against its event log. Returns the report and the index of
/// the retired key it needed, if it needed one.
fn check_candidate(
    staging: &Path,
    keys: &[Key],
    original: &Path,
) -> Result<(verify::Report, Option<usize>)> {
    let Some((index, mut conn)) = keys
        .iter()
        .enumerate()
        .find_map(|(i, k)| keys::connect(staging, k).ok().map(|c| (i, c)))
    else {
        return Err(refused(format!(
            "备份 {} 无法用本登记簿的密钥（当前或轮换前的）解密：它不是本登记簿的备份、已经损坏，或者早于口令更换或保护方式的改换（请用 --old-passphrase-file 提供当时的口令，或用 --old-key-file 提供当时的密钥文件）。登记簿未被改动。",
            original.display()
        )));
    };
    crate::db::register_functions(&conn)?;
    let found: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found == 0 || found > crate::db::supported_version() {
        return Err(refused(format!(
            "备份 {} 的数据库版本为 {found}，本程序支持 1 到 {}：不能恢复。登记簿未被改动。",
            original.display(),
            crate::db::supported_version()
        )));
    }
    let scratch = staging.with_extension("db.verify");
    let _ = fs::remove_file(&scratch);
    let report = (|| {
        conn.pragma_update(None, "journal_mode", "DELETE")?;
        crate::db::migrate(&mut conn)?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        verify::verify_with_scratch(&conn, &scratch)
    })();
    drop(conn);
    let _ = fs::remove_file(&scratch);
    let report = report.map_err(|e| {
        refused(format!(
            "备份 {} 无法读取或校验（{e}）：不能恢复。登记簿未被改动。",
            original.display()
        ))
    })?;
    if !report.ok() {
        let first: Vec<&str> = report.problems.iter().take(5).map(String::as_str).collect();
        return Err(refused(format!(
            "备份 {} 未通过校验（{} 处问题，例如：{}）：不能恢复。登记簿未被改动。",
            original.display(),
            report.problems.len(),
            first.join("；")
        )));
    }
    Ok((report, (index > 0).then_some(index)))
}
