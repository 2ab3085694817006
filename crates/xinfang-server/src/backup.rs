//! Backups of a data directory's register: `xinfang backup`, the schedule that `xinfang serve`
//! and the desktop host run (`BackupWorker`), `xinfang restore` and `xinfang rekey`, each
//! recorded in the audit trail. The file work itself is `xinfang_core::backup` and `keys`.
//!
//! A scheduled backup opens its own connection to the register (WAL lets it read a snapshot
//! while desks write), so it never holds the register lock the desks wait on.

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Condvar, Mutex},
    time::Duration,
};

use rusqlite::Connection;
use xinfang_core::{
    Error,
    audit::{self, Entry},
    backup::{self, Retention},
    clock::{Clock, SystemClock},
    db,
    keys::{self, Unlock},
};

use crate::data;

/// Where and how backups are kept.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The backup directory (default `<data>/backups`).
    pub dir: PathBuf,
    /// A second location each backup is also copied to (USB stick, network share).
    pub copy_to: Option<PathBuf>,
    /// What to keep, in both places.
    pub retention: Retention,
}

impl Policy {
    /// `<data>/backups`, no second location, the default retention.
    pub fn for_data_dir(data_dir: &Path) -> Policy {
        Policy {
            dir: backup::default_dir(&data::register_path(data_dir)),
            copy_to: None,
            retention: Retention::default(),
        }
    }
}

/// What one backup produced.
#[derive(Debug, Clone)]
pub struct Taken {
    /// The backup file.
    pub path: PathBuf,
    /// Its copy in the second location.
    pub copy: Option<PathBuf>,
    /// Older backups retention removed (both places).
    pub removed: Vec<PathBuf>,
}

/// Opens the register of `data_dir` for a tool: key applied and checked, pragmas set, no
/// migration. Returns the key too, which backups are written under.
fn connect(data_dir: &Path) -> xinfang_core::Result<(Connection, keys::Key)> {
    let path = data::register_path(data_dir);
    if keys::file_kind(&path)? != keys::FileKind::Encrypted {
        // Missing, or a plain file from before encryption that the next open converts.
        return Err(Error::NotInitialised);
    }
    let key = keys::resolve(&path, &Unlock::from_environment(), false)?;
    let conn = keys::connect(&path, &key)?;
    db::configure(&conn)?;
    // A backup reads every page once, in order: a large page cache would only hold on to
    // memory (in a long-running host, for the life of the process) without saving a read.
    conn.pragma_update(None, "cache_size", -2_000)?;
    Ok((conn, key))
}

/// Appends one row to the audit trail in its own transaction, so the chain link it reads is
/// the one it extends even while the server writes through its own connection.
fn record(
    conn: &Connection,
    operation: &str,
    desk: &str,
    object: &str,
    outcome: &str,
    detail: &str,
) {
    let entry = Entry {
        username: "system".into(),
        object: object.to_owned(),
        outcome: outcome.to_owned(),
        detail: detail.to_owned(),
        ..Entry::new(None, desk, operation)
    };
    let write = || -> xinfang_core::Result<()> {
        // IMMEDIATE: the row reads the chain's head and then appends, and a deferred
        // transaction that must upgrade to write after a server's commit fails at once with
        // "database is locked"; taking the write lock first lets the busy timeout wait instead.
        let tx =
            rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
        audit::record(&tx, SystemClock.now(), &entry)?;
        tx.commit()?;
        Ok(())
    };
    // The trail must not decide whether a backup exists; a failure to write it is reported.
    if let Err(e) = write() {
        eprintln!("审计记录写入失败（{operation}）：{e}");
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Takes a backup now: into `policy.dir`, copied to `policy.copy_to`, retention applied to
/// both, and the outcome recorded in the audit trail (`desk` says who asked: the command line
/// or the schedule).
pub fn take(
    data_dir: &Path,
    policy: &Policy,
    reason: &str,
    desk: &str,
) -> xinfang_core::Result<Taken> {
    let (conn, key) = connect(data_dir)?;
    let outcome = (|| -> xinfang_core::Result<Taken> {
        let now = SystemClock.now();
        let path = backup::create(&conn, &key, &policy.dir, reason, now)?;
        let mut removed = backup::prune(&policy.dir, policy.retention, now)?;
        let copy = match &policy.copy_to {
            Some(second) => {
                let copy = backup::copy_to(&path, second)?;
                removed.extend(backup::prune(second, policy.retention, now)?);
                Some(copy)
            }
            None => None,
        };
        Ok(Taken {
            path,
            copy,
            removed,
        })
    })();
    match &outcome {
        Ok(taken) => record(
            &conn,
            "backup",
            desk,
            &file_name(&taken.path),
            audit::OK,
            &format!(
                "{}{}；按保留规则删除 {} 个旧备份",
                taken.path.display(),
                taken
                    .copy
                    .as_ref()
                    .map(|c| format!("，另存 {}", c.display()))
                    .unwrap_or_default(),
                taken.removed.len()
            ),
        ),
        Err(e) => record(&conn, "backup", desk, reason, e.code(), &e.to_api().message),
    }
    outcome
}

/// Keys a backup taken before a passphrase change or a switch of protection may need, given
/// to `xinfang restore` by the administrator.
#[derive(Debug, Default, Clone)]
pub struct OlderKeys {
    /// Passphrases the register had before (passphrase-protected registers).
    pub passphrases: Vec<String>,
    /// Key files from before a switch to a passphrase (`register.key.retired`).
    pub key_files: Vec<PathBuf>,
}

/// Restores `file` over the register of `data_dir` after verifying it (see
/// `xinfang_core::backup::restore`), then opens the restored register (which migrates an older
/// one) and records the restore in its audit trail. The keys tried are the current one, the
/// retired ones of the key file, a retired key file left beside the register, and `older`.
pub fn restore(
    data_dir: &Path,
    file: &Path,
    older: &OlderKeys,
) -> xinfang_core::Result<backup::Restored> {
    let path = data::register_path(data_dir);
    let unlock = Unlock::from_environment();
    let mut keyring = match &unlock {
        Unlock::KeyFile if keys::key_file(&path).exists() => {
            keys::read_keyring(&keys::key_file(&path))?.all()
        }
        // Without a key file or passphrase there is nothing a backup could be opened with.
        _ => vec![keys::resolve(&path, &unlock, false)?],
    };
    if matches!(unlock, Unlock::Passphrase(_)) {
        for passphrase in &older.passphrases {
            keyring.push(keys::passphrase_key(&path, passphrase)?);
        }
    }
    let retired = keys::retired_key_file(&path);
    let key_files = older
        .key_files
        .iter()
        .chain(retired.exists().then_some(&retired));
    for key_file in key_files {
        keyring.extend(keys::read_keyring(key_file)?.all());
    }
    let restored = match backup::restore(&path, file, &keyring, SystemClock.now()) {
        Ok(restored) => restored,
        Err(e) => {
            // Said in the live register's trail too, if it can still be opened.
            if let Ok((conn, _)) = connect(data_dir) {
                record(
                    &conn,
                    "restore",
                    audit::DESK_CLI,
                    &file_name(file),
                    e.code(),
                    &e.to_api().message,
                );
            }
            return Err(e);
        }
    };
    let register = data::open(data_dir)?;
    record(
        register.conn(),
        "restore",
        audit::DESK_CLI,
        &file_name(file),
        audit::OK,
        &format!(
            "由 {} 恢复，校验 {} 个事件、{} 行；原登记簿保留为 {}",
            file.display(),
            restored.report.events,
            restored.report.rows,
            restored
                .kept_aside
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "（无）".into())
        ),
    );
    Ok(restored)
}

/// Rotates the key of the register of `data_dir` and records it.
pub fn rekey(data_dir: &Path, new: &keys::NewKey) -> xinfang_core::Result<()> {
    let path = data::register_path(data_dir);
    let before = Unlock::from_environment();
    keys::rekey(&path, &before, new)?;
    let detail = match (&before, new) {
        (Unlock::KeyFile, keys::NewKey::Passphrase(_)) => "登记簿改为管理员口令保护",
        (Unlock::Passphrase(_), keys::NewKey::Random) => "登记簿改为密钥文件保护",
        (Unlock::Passphrase(_), keys::NewKey::Passphrase(_)) => "管理员口令已更换",
        _ => "登记簿密钥已轮换",
    };
    let unlock = match new {
        keys::NewKey::Random => Unlock::KeyFile,
        keys::NewKey::Passphrase(p) => Unlock::Passphrase(p.clone()),
    };
    let conn = keys::connect(&path, &keys::resolve(&path, &unlock, false)?)?;
    db::configure(&conn)?;
    record(
        &conn,
        "rekey",
        audit::DESK_CLI,
        "register.db",
        audit::OK,
        detail,
    );
    Ok(())
}

/// The backup schedule: a thread that takes a backup whenever the newest one in the backup
/// directory is older than `every` (so a restarted server does not back up again at once),
/// checking again when that much time has passed. Stopped on drop.
pub struct BackupWorker {
    stop: Arc<(Mutex<bool>, Condvar)>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl BackupWorker {
    /// Starts the schedule for `data_dir`.
    pub fn spawn(
        data_dir: PathBuf,
        policy: Policy,
        every: Duration,
        desk: &'static str,
    ) -> BackupWorker {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let flag = stop.clone();
        let handle = std::thread::Builder::new()
            .name("xinfang-backup".into())
            .spawn(move || {
                loop {
                    let wait = match due_in(&policy, every) {
                        Ok(Some(wait)) => wait,
                        Ok(None) => {
                            match take(&data_dir, &policy, "scheduled", desk) {
                                Ok(taken) => eprintln!("已备份：{}", taken.path.display()),
                                Err(e) => eprintln!("定时备份失败：{}", e.to_api().message),
                            }
                            // After a failure, try again in a tenth of the interval.
                            due_in(&policy, every).ok().flatten().unwrap_or(every / 10)
                        }
                        Err(e) => {
                            eprintln!("无法读取备份目录：{e}");
                            every / 10
                        }
                    };
                    let (lock, cvar) = &*flag;
                    let stopped = lock.lock().unwrap_or_else(|p| p.into_inner());
                    let (stopped, _) = cvar
                        .wait_timeout_while(stopped, wait.max(Duration::from_secs(1)), |s| !*s)
                        .unwrap_or_else(|p| p.into_inner());
                    if *stopped {
                        return;
                    }
                }
            })
            .expect("spawn the backup thread");
        BackupWorker {
            stop,
            handle: Some(handle),
        }
    }

    /// Stops the schedule (a backup in progress finishes first).
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        let (lock, cvar) = &*self.stop;
        *lock.lock().unwrap_or_else(|p| p.into_inner()) = true;
        cvar.notify_all();
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

impl Drop for BackupWorker {
    fn drop(&mut self) {
        self.halt();
    }
}

/// How long until the next backup is due; `None` when it is due now.
fn due_in(policy: &Policy, every: Duration) -> xinfang_core::Result<Option<Duration>> {
    let Some(newest) = backup::newest(&policy.dir)? else {
        return Ok(None);
    };
    let age = (SystemClock.now() - newest.taken_at)
        .to_std()
        .unwrap_or(Duration::ZERO);
    Ok(every.checked_sub(age).filter(|d| !d.is_zero()))
}
