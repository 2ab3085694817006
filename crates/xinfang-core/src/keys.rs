//! The register's encryption at rest (SQLCipher): the key, where it is kept, how a connection is
//! unlocked, how a plain register from an older version is encrypted in place, and key rotation.
//!
//! The key is 32 random bytes handed to SQLCipher as a raw key (`PRAGMA key = "x'…'"`), so
//! opening costs no key derivation. It comes from one of two places:
//!
//! - **Key file** (default): `register.key` beside `register.db`, mode 0600, written at init.
//!   It stands in for the OS credential store on machines that have none. A copied
//!   `register.db` (or backup) alone reveals nothing; whoever has the key file as well has
//!   everything, so the key file must never travel with backups that leave the machine.
//!   Line 1 is the current key; further lines are keys retired by `rekey`, kept only so that
//!   backups taken before a rotation can still be restored.
//! - **Administrator passphrase**: the key is derived with argon2id from the passphrase and a
//!   random salt kept in `register.salt` beside the register (a salt is not secret). Nothing
//!   secret is stored on the machine; without the passphrase nobody, including us, can open it.
//!   Backups taken under an earlier passphrase open with that passphrase (`passphrase_key`).
//!
//! `rekey` can also switch a register from one kind to the other.
//!
//! A wrong key is `register_key_wrong`, found by a read right after `PRAGMA key` and before
//! anything is written, so it can never damage the file.

use std::{
    fmt,
    fs::{self, File},
    io::{Read, Write},
    path::{Path, PathBuf},
    sync::OnceLock,
    time::{Duration, Instant},
};

use rusqlite::Connection;

use crate::{Error, Result};

/// Bytes in a key.
pub const KEY_LEN: usize = 32;
const SALT_LEN: usize = 16;
/// The first 16 bytes of every unencrypted SQLite file.
const PLAIN_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// A 256-bit SQLCipher key. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Key([u8; KEY_LEN]);

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(…)")
    }
}

impl Key {
    /// A fresh key from the operating system's random source. This is the one place the core
    /// reads randomness directly: a key must never come from a seeded or injected source.
    pub fn random() -> Result<Key> {
        let mut bytes = [0u8; KEY_LEN];
        getrandom::fill(&mut bytes)
            .map_err(|e| Error::Internal(format!("no system random source: {e}")))?;
        Ok(Key(bytes))
    }

    /// The key as 64 lowercase hex digits (the key file's form).
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }

    /// Parses 64 hex digits.
    pub fn from_hex(text: &str) -> Option<Key> {
        let bytes = unhex(text.trim())?;
        Some(Key(bytes.try_into().ok()?))
    }

    /// Derives the key from an administrator's passphrase and the register's salt (argon2id,
    /// the crate's default cost: 19 MiB, 2 passes — about a tenth of a second per open).
    pub fn derive(passphrase: &str, salt: &[u8]) -> Result<Key> {
        let mut out = [0u8; KEY_LEN];
        argon2::Argon2::default()
            .hash_password_into(passphrase.as_bytes(), salt, &mut out)
            .map_err(|e| Error::Internal(format!("argon2id: {e}")))?;
        Ok(Key(out))
    }

    /// The value of `PRAGMA key` / `PRAGMA rekey` and of `ATTACH … KEY` for this raw key.
    fn sql_literal(&self) -> String {
        format!("\"x'{}'\"", self.to_hex())
    }
}

/// How the register is to be unlocked.
#[derive(Clone)]
pub enum Unlock {
    /// The key file beside the register (created with a new register).
    KeyFile,
    /// An administrator's passphrase; the key is derived with the salt beside the register.
    Passphrase(String),
    /// A key given directly (tests, restore of a backup taken under an older key).
    Key(Key),
}

impl fmt::Debug for Unlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unlock::KeyFile => "Unlock::KeyFile",
            Unlock::Passphrase(_) => "Unlock::Passphrase(…)",
            Unlock::Key(_) => "Unlock::Key(…)",
        })
    }
}

static PROCESS_PASSPHRASE: OnceLock<String> = OnceLock::new();

/// Sets the passphrase every register opened by this process uses (the CLI's
/// `--passphrase-file`). Later calls are ignored: one process serves one register.
pub fn set_process_passphrase(passphrase: String) {
    let _ = PROCESS_PASSPHRASE.set(passphrase);
}

impl Unlock {
    /// What this process was told: `set_process_passphrase`, else `$XINFANG_PASSPHRASE`,
    /// else the key file.
    pub fn from_environment() -> Unlock {
        if let Some(p) = PROCESS_PASSPHRASE.get() {
            return Unlock::Passphrase(p.clone());
        }
        match std::env::var("XINFANG_PASSPHRASE") {
            Ok(p) if !p.is_empty() => Unlock::Passphrase(p),
            _ => Unlock::KeyFile,
        }
    }
}

/// The key file of the register at `register` (`register.db` → `register.key`).
pub fn key_file(register: &Path) -> PathBuf {
    register.with_extension("key")
}

/// The passphrase salt of the register at `register` (`register.salt`).
pub fn salt_file(register: &Path) -> PathBuf {
    register.with_extension("salt")
}

/// A rotation's new key file, written before `PRAGMA rekey` and renamed over the key file
/// after it; found at open if a crash fell between the two.
fn pending_key_file(register: &Path) -> PathBuf {
    register.with_extension("key.new")
}

/// A switch to a passphrase writes its new salt here first; renamed to `register.salt` once
/// the register is re-encrypted, found at open if a crash fell between the two.
fn pending_salt_file(register: &Path) -> PathBuf {
    register.with_extension("salt.new")
}

/// Where the key file goes when the register switches to a passphrase (`register.key.retired`).
/// Its keys still open the backups taken before the switch, so it is kept, and the
/// administrator is told to move it off the machine into safe keeping.
pub fn retired_key_file(register: &Path) -> PathBuf {
    register.with_extension("key.retired")
}

/// The key `passphrase` gives the passphrase-protected register at `register` (its salt is
/// kept beside it): for opening backups taken under an earlier passphrase.
pub fn passphrase_key(register: &Path, passphrase: &str) -> Result<Key> {
    Key::derive(passphrase, &read_salt(&salt_file(register))?)
}

/// Makes a random salt and writes it to `path` (owner-only, atomically).
fn write_new_salt(path: &Path) -> Result<Vec<u8>> {
    let mut salt = [0u8; SALT_LEN];
    getrandom::fill(&mut salt)
        .map_err(|e| Error::Internal(format!("no system random source: {e}")))?;
    write_private_atomic(path, format!("{}\n", hex(&salt)).as_bytes())?;
    Ok(salt.to_vec())
}

fn read_salt(path: &Path) -> Result<Vec<u8>> {
    let text = fs::read_to_string(path)?;
    unhex(text.trim()).ok_or_else(|| {
        key_error(
            "register_salt_invalid",
            format!("口令盐文件 {} 内容无效", path.display()),
        )
    })
}

/// What is on disk at a register path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Nothing yet (or an empty file SQLite created and never wrote).
    Missing,
    /// An unencrypted SQLite file (written by a version before encryption).
    Plain,
    /// Anything else: an encrypted register, or garbage.
    Encrypted,
}

/// Looks at the first bytes of `path`.
pub fn file_kind(path: &Path) -> Result<FileKind> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileKind::Missing),
        Err(e) => return Err(e.into()),
    };
    let mut head = [0u8; 16];
    let mut read = 0;
    while read < head.len() {
        match file.read(&mut head[read..])? {
            0 => break,
            n => read += n,
        }
    }
    Ok(match read {
        0 => FileKind::Missing,
        16 if &head == PLAIN_HEADER => FileKind::Plain,
        _ => FileKind::Encrypted,
    })
}

/// The keys a key file holds: the current one first, then retired ones.
#[derive(Debug, Clone)]
pub struct Keyring {
    /// The key the register is encrypted with.
    pub current: Key,
    /// Keys replaced by `rekey`, newest first; they open older backups only.
    pub retired: Vec<Key>,
}

impl Keyring {
    /// Every key, current first.
    pub fn all(&self) -> Vec<Key> {
        std::iter::once(self.current.clone())
            .chain(self.retired.iter().cloned())
            .collect()
    }
}

/// Reads a key file.
pub fn read_keyring(path: &Path) -> Result<Keyring> {
    let text = fs::read_to_string(path)?;
    let mut keys = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line.starts_with('#') {
            continue;
        }
        keys.push(Key::from_hex(line).ok_or_else(|| {
            key_error(
                "register_key_file_invalid",
                format!(
                    "密钥文件 {} 内容无效（应为64位十六进制密钥）",
                    path.display()
                ),
            )
        })?);
    }
    let mut keys = keys.into_iter();
    let current = keys.next().ok_or_else(|| {
        key_error(
            "register_key_file_invalid",
            format!("密钥文件 {} 是空的", path.display()),
        )
    })?;
    Ok(Keyring {
        current,
        retired: keys.collect(),
    })
}

/// Writes `ring` to `path` atomically (a 0600 temporary beside it, synced, renamed over it),
/// so a crash leaves either the old key file or the new one, never half of one.
pub fn write_keyring(path: &Path, ring: &Keyring) -> Result<()> {
    let mut text = String::from(
        "# 信访接待台登记簿密钥：第一行为当前密钥，其后为轮换前的旧密钥（仅用于恢复旧备份）。\n\
         # 请勿随备份一同带离本机。\n",
    );
    for key in ring.all() {
        text.push_str(&key.to_hex());
        text.push('\n');
    }
    write_private_atomic(path, text.as_bytes())
}

/// Writes a file readable by its owner only, atomically.
pub fn write_private_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension(format!(
        "{}.tmp",
        path.extension().and_then(|e| e.to_str()).unwrap_or("")
    ));
    let _ = fs::remove_file(&tmp);
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&tmp, path)?;
    sync_dir(path);
    Ok(())
}

/// Makes a rename in `path`'s directory durable. Best effort: not every platform can open a
/// directory, and the rename itself is already atomic.
pub fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent()
        && let Ok(d) = File::open(if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        })
    {
        let _ = d.sync_all();
    }
}

fn key_error(code: &'static str, message: impl Into<String>) -> Error {
    Error::Key {
        code,
        message: message.into(),
    }
}

fn wrong_key(path: &Path) -> Error {
    key_error(
        "register_key_wrong",
        format!(
            "无法解密登记簿 {}：密钥或口令不正确（也可能该文件不是信访接待台登记簿）。文件未被改动。",
            path.display()
        ),
    )
}

/// The key for the register at `path`, creating the key file or salt when the register does
/// not exist yet (or is a plain file about to be encrypted) and `create` is set.
pub fn resolve(path: &Path, unlock: &Unlock, create: bool) -> Result<Key> {
    let kind = file_kind(path)?;
    let may_create = create && kind != FileKind::Encrypted;
    match unlock {
        Unlock::Key(key) => Ok(key.clone()),
        Unlock::Passphrase(passphrase) => {
            let salt_path = salt_file(path);
            let salt = match read_salt(&salt_path) {
                Ok(salt) => salt,
                Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::NotFound && may_create => {
                    if let Some(dir) = path.parent() {
                        fs::create_dir_all(dir)?;
                    }
                    write_new_salt(&salt_path)?
                }
                Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(key_error(
                        "register_salt_missing",
                        format!(
                            "登记簿 {} 不是用管理员口令加密的（找不到 {}）；请去掉 XINFANG_PASSPHRASE / --passphrase-file，使用密钥文件打开",
                            path.display(),
                            salt_path.display()
                        ),
                    ));
                }
                Err(e) => return Err(e),
            };
            Key::derive(passphrase, &salt)
        }
        Unlock::KeyFile => {
            if salt_file(path).exists() {
                return Err(passphrase_required());
            }
            let key_path = key_file(path);
            if key_path.exists() {
                return Ok(read_keyring(&key_path)?.current);
            }
            if !may_create {
                return Err(key_error(
                    "register_key_missing",
                    format!(
                        "找不到登记簿密钥文件 {}：没有它无法解密登记簿。请从保管处取回密钥文件放回原处。",
                        key_path.display()
                    ),
                ));
            }
            if let Some(dir) = path.parent() {
                fs::create_dir_all(dir)?;
            }
            let key = Key::random()?;
            write_keyring(
                &key_path,
                &Keyring {
                    current: key.clone(),
                    retired: Vec::new(),
                },
            )?;
            Ok(key)
        }
    }
}

/// Waits until SQLCipher has finished starting up in this process; every keying calls it first.
///
/// SQLite runs SQLCipher's start-up (`sqlcipher_extra_init`) only after it has marked itself
/// initialised and released its init mutex. A second thread that opens its first connection in
/// that window gets an open connection whose `PRAGMA key` is refused ("An error occurred with
/// PRAGMA key or rekey") although nothing is wrong. Keying a throwaway in-memory database once,
/// retried for a moment, proves the start-up is over; `OnceLock` makes other threads wait for
/// that proof instead of racing it. The probe key is raw, so no key derivation runs.
pub fn sqlcipher_ready() -> Result<()> {
    static READY: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    READY
        .get_or_init(|| {
            let deadline = Instant::now() + Duration::from_secs(10);
            let probe = format!("PRAGMA key = \"x'{}'\";", "00".repeat(KEY_LEN));
            loop {
                let attempt =
                    Connection::open_in_memory().and_then(|conn| conn.execute_batch(&probe));
                match attempt {
                    Ok(()) => return Ok(()),
                    Err(e) if Instant::now() >= deadline => {
                        return Err(format!("SQLCipher did not start: {e}"));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        })
        .clone()
        .map_err(Error::Internal)
}

/// Applies `key` to a fresh connection and proves it by a read, before anything else runs.
/// Wrong key → `register_key_wrong`; the file is untouched.
pub fn apply(conn: &Connection, key: &Key, path: &Path) -> Result<()> {
    sqlcipher_ready()?;
    // SQLCipher logs every failed page decryption to stderr; the error we return says it once,
    // in Chinese.
    conn.execute_batch(&format!(
        "PRAGMA cipher_log_level = NONE; PRAGMA key = {};",
        key.sql_literal()
    ))?;
    probe(conn).map_err(|e| match e {
        Error::Db(rusqlite::Error::SqliteFailure(f, _))
            if f.code == rusqlite::ErrorCode::NotADatabase =>
        {
            wrong_key(path)
        }
        other => other,
    })
}

fn probe(conn: &Connection) -> Result<()> {
    conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
        r.get::<_, i64>(0)
    })?;
    Ok(())
}

/// Opens an existing encrypted file with `key` (no pragmas besides the key).
pub fn connect(path: &Path, key: &Key) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    apply(&conn, key, path)?;
    Ok(conn)
}

/// Opens the register at `path` with `unlock`, creating the key material for a new register,
/// encrypting a plain one in place, and finishing a rotation a crash interrupted. Returns the
/// connection (key applied, nothing else configured) and the key.
pub fn open(path: &Path, unlock: &Unlock) -> Result<(Connection, Key)> {
    if let Some(done) = finish_switch(path, unlock)? {
        return Ok(done);
    }
    let key = resolve(path, unlock, true)?;
    match file_kind(path)? {
        FileKind::Plain => encrypt_in_place(path, &key)?,
        FileKind::Missing => {
            // A zero-length file or leftover journal from a register never written: SQLite
            // would otherwise mix a plain WAL into the new encrypted file.
            for suffix in ["-wal", "-shm"] {
                let _ = fs::remove_file(sidecar(path, suffix));
            }
        }
        FileKind::Encrypted => {}
    }
    let conn = Connection::open(path)?;
    match apply(&conn, &key, path) {
        Ok(()) => {
            // A pending key file next to a register the current key opens is a rotation that
            // never reached its rekey; it would only mislead.
            // Likewise a pending key file beside a register its passphrase opens: a switch to
            // a key file that never reached its rekey.
            if matches!(unlock, Unlock::KeyFile | Unlock::Passphrase(_)) {
                let _ = fs::remove_file(pending_key_file(path));
            }
            // A key file beside a register its passphrase opens: a switch to a passphrase cut
            // off after its salt was renamed into place.
            if matches!(unlock, Unlock::Passphrase(_)) && key_file(path).exists() {
                retire_key_file(path)?;
                sync_dir(path);
            }
            Ok((conn, key))
        }
        Err(Error::Key {
            code: "register_key_wrong",
            ..
        }) if matches!(unlock, Unlock::KeyFile) && pending_key_file(path).exists() => {
            drop(conn);
            finish_rotation(path)
        }
        Err(e) => Err(e),
    }
}

/// Completes a switch between key file and passphrase (`rekey`) that a crash interrupted, or
/// clears what one left behind before its rekey. `None`: nothing was pending, or it has been
/// cleared and the ordinary open goes on.
fn finish_switch(path: &Path, unlock: &Unlock) -> Result<Option<(Connection, Key)>> {
    let pending_salt = pending_salt_file(path);
    let to_passphrase = pending_salt.exists() && !salt_file(path).exists();
    let to_key_file = matches!(unlock, Unlock::KeyFile) && salt_file(path).exists();
    // Checked by name first: every open passes here, and almost none has anything pending.
    if !(to_passphrase || to_key_file) || file_kind(path)? != FileKind::Encrypted {
        return Ok(None);
    }
    if to_passphrase {
        // Key file → passphrase, cut off before the new salt was renamed into place.
        match unlock {
            Unlock::Passphrase(passphrase) => {
                let key = Key::derive(passphrase, &read_salt(&pending_salt)?)?;
                let Ok(conn) = connect(path, &key) else {
                    return Ok(None);
                };
                fs::rename(&pending_salt, salt_file(path))?;
                retire_key_file(path)?;
                sync_dir(path);
                return Ok(Some((conn, key)));
            }
            Unlock::KeyFile => {
                let opens = read_keyring(&key_file(path))
                    .ok()
                    .is_some_and(|ring| connect(path, &ring.current).is_ok());
                if !opens {
                    return Err(passphrase_required());
                }
                // The rekey never committed: the key file is still what opens the register.
                fs::remove_file(&pending_salt)?;
                return Ok(None);
            }
            Unlock::Key(_) => return Ok(None),
        }
    }
    if to_key_file {
        // Passphrase → key file, cut off after the rekey: the pending key file (or, after its
        // rename, the key file) opens the register and only the salt is left to remove.
        for candidate in [pending_key_file(path), key_file(path)] {
            let Ok(ring) = read_keyring(&candidate) else {
                continue;
            };
            if let Ok(conn) = connect(path, &ring.current) {
                if candidate != key_file(path) {
                    fs::rename(&candidate, key_file(path))?;
                }
                fs::remove_file(salt_file(path))?;
                sync_dir(path);
                return Ok(Some((conn, ring.current)));
            }
        }
    }
    Ok(None)
}

/// Moves the key file aside to `register.key.retired` after a switch to a passphrase, merged
/// with the keys of one an earlier switch left there, so no key that opens a backup is lost.
fn retire_key_file(path: &Path) -> Result<()> {
    let live = key_file(path);
    if !live.exists() {
        return Ok(());
    }
    let retired = retired_key_file(path);
    let mut ring = read_keyring(&live)?;
    if retired.exists() {
        ring.retired.extend(read_keyring(&retired)?.all());
    }
    write_keyring(&retired, &ring)?;
    fs::remove_file(&live)?;
    Ok(())
}

fn passphrase_required() -> Error {
    key_error(
        "register_passphrase_required",
        "此登记簿由管理员口令加密：请设置环境变量 XINFANG_PASSPHRASE，或使用 --passphrase-file 指定口令文件",
    )
}

/// A crash fell between `PRAGMA rekey` and the rename of the new key file: the file is
/// encrypted with the pending key. Prove that, then complete the rename.
fn finish_rotation(path: &Path) -> Result<(Connection, Key)> {
    let pending = pending_key_file(path);
    let ring = read_keyring(&pending)?;
    let conn = Connection::open(path)?;
    apply(&conn, &ring.current, path)?;
    fs::rename(&pending, key_file(path))?;
    sync_dir(path);
    Ok((conn, ring.current))
}

/// `path` + `-wal` and the like.
pub fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Encrypts a plain register (made by a version before encryption) in place: everything is
/// exported into a new encrypted file beside it (`sqlcipher_export`), which is checked
/// (integrity, schema version, row counts of every table) before an atomic rename replaces
/// the plain file. A crash before the rename leaves the plain file as it was, and the next open
/// starts over with the same key; after it, the register is the encrypted one.
pub fn encrypt_in_place(path: &Path, key: &Key) -> Result<()> {
    let staging = path.with_extension("db.encrypting");
    let _ = fs::remove_file(&staging);
    sqlcipher_ready()?;
    let plain = Connection::open(path)?;
    // Everything in the WAL goes into the main file first, so the export sees it all and no
    // plain WAL is left to be replayed into the encrypted file.
    plain.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    let version: u32 = plain.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let counts = table_counts(&plain)?;
    plain.execute(
        &format!("ATTACH DATABASE ?1 AS encrypted KEY {}", key.sql_literal()),
        [staging.to_string_lossy()],
    )?;
    plain.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))?;
    // sqlcipher_export copies the schema and rows, not the header's user_version.
    plain.execute_batch(&format!(
        "PRAGMA encrypted.user_version = {version}; DETACH DATABASE encrypted;"
    ))?;
    plain.pragma_update(None, "journal_mode", "DELETE")?;
    drop(plain);

    let check = (|| -> Result<()> {
        let conn = connect(&staging, key)?;
        let integrity: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        let copied: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if integrity != "ok" || copied != version || table_counts(&conn)? != counts {
            return Err(Error::Internal(format!(
                "encrypted copy differs from the plain register (integrity {integrity}, version {copied}/{version})"
            )));
        }
        Ok(())
    })();
    if let Err(e) = check {
        let _ = fs::remove_file(&staging);
        return Err(e);
    }
    File::open(&staging)?.sync_all()?;
    for suffix in ["-wal", "-shm"] {
        let _ = fs::remove_file(sidecar(path, suffix));
    }
    fs::rename(&staging, path)?;
    sync_dir(path);
    Ok(())
}

fn table_counts(conn: &Connection) -> Result<Vec<(String, i64)>> {
    // Virtual tables (FTS5) are counted through their shadow tables, which are ordinary.
    let names: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%'
             AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    names
        .into_iter()
        .map(|name| {
            let n = conn.query_row(&format!("SELECT count(*) FROM \"{name}\""), [], |r| {
                r.get(0)
            })?;
            Ok((name, n))
        })
        .collect()
}

/// What a rotation is to: a new random key in the key file, or a new passphrase. Either may
/// also switch the register from the other kind of protection.
#[derive(Clone)]
pub enum NewKey {
    /// A fresh random key in the key file; the old one is kept as retired. From a
    /// passphrase, the passphrase's key is the retired one and the salt goes.
    Random,
    /// A new administrator passphrase (the salt stays, so older backups open with their
    /// older passphrase). From a key file, a new salt is made and the key file is moved
    /// to `register.key.retired` for the administrator to take into safe keeping.
    Passphrase(String),
}

/// Rotates the register's key (`xinfang rekey`). Run it with nothing else using the register.
///
/// Key file: the new key file is written to `register.key.new` first (new key, then the old
/// ones as retired), then `PRAGMA rekey` re-encrypts every page in one transaction, the file is
/// reopened with the new key and checked, and only then is the new key file renamed over the
/// old. A crash before the rekey commits leaves the old key valid; after, the next open finds
/// the pending key file and completes the rename (`open`). A switch between key file and
/// passphrase keeps the same order: the new key material is written pending, the rekey
/// commits, the file is checked, then the pending file is renamed into place and the old
/// kind's file goes (`finish_switch` completes or clears a switch a crash cut off).
pub fn rekey(path: &Path, unlock: &Unlock, new: &NewKey) -> Result<()> {
    if file_kind(path)? != FileKind::Encrypted {
        return Err(Error::NotInitialised);
    }
    let (conn, old) = open(path, unlock)?;
    let new_key = match (new, unlock) {
        (NewKey::Random, Unlock::KeyFile) => {
            let old_ring = read_keyring(&key_file(path))?;
            let ring = Keyring {
                current: Key::random()?,
                retired: old_ring.all(),
            };
            write_keyring(&pending_key_file(path), &ring)?;
            ring.current
        }
        (NewKey::Passphrase(p), Unlock::Passphrase(_)) => {
            Key::derive(p, &read_salt(&salt_file(path))?)?
        }
        (NewKey::Passphrase(p), Unlock::KeyFile) => {
            // Switching to a passphrase: a new salt, pending until the rekey has committed.
            Key::derive(p, &write_new_salt(&pending_salt_file(path))?)?
        }
        (NewKey::Random, Unlock::Passphrase(_)) => {
            // Switching to a key file: the passphrase's key is kept in it as retired, so the
            // backups taken under the passphrase restore with the key file alone.
            let ring = Keyring {
                current: Key::random()?,
                retired: vec![old],
            };
            write_keyring(&pending_key_file(path), &ring)?;
            ring.current
        }
        (_, Unlock::Key(_)) => {
            return Err(key_error(
                "rekey_mode_mismatch",
                "密钥轮换须用密钥文件或管理员口令打开登记簿",
            ));
        }
    };
    // SQLCipher re-encrypts through the rollback journal; WAL pages would keep the old key.
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    conn.pragma_update(None, "journal_mode", "DELETE")?;
    conn.execute_batch(&format!("PRAGMA rekey = {};", new_key.sql_literal()))?;
    drop(conn);
    let check = connect(path, &new_key)?;
    let integrity: String = check.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    check.pragma_update(None, "journal_mode", "WAL")?;
    drop(check);
    if integrity != "ok" {
        return Err(Error::Internal(format!(
            "register after rekey fails integrity_check: {integrity}"
        )));
    }
    match (new, unlock) {
        (NewKey::Random, Unlock::KeyFile) => {
            fs::rename(pending_key_file(path), key_file(path))?;
        }
        (NewKey::Passphrase(_), Unlock::KeyFile) => {
            fs::rename(pending_salt_file(path), salt_file(path))?;
            retire_key_file(path)?;
        }
        (NewKey::Random, Unlock::Passphrase(_)) => {
            fs::rename(pending_key_file(path), key_file(path))?;
            fs::remove_file(salt_file(path))?;
        }
        _ => {}
    }
    sync_dir(path);
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}
