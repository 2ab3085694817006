//! Users, passwords and sessions: who is acting. Every operation runs as a `Session`, and its
//! user id becomes the `actor` of every event the operation records.
//!
//! Passwords are stored as argon2id PHC strings and must pass `check_password_policy` (length,
//! three character classes, not the user name) and `check_password_history` (none of the last
//! `PASSWORD_HISTORY`). Sessions are rows in the `sessions` table, not events: signing in is not
//! a change to the register (the audit trail of sign-ins is a later, separate log). They end
//! after `session_idle_minutes` without a request and `session_max_hours` after sign-in.
//! Consecutive failed sign-ins are counted in `sign_in_failures` (also not events: they are no
//! fact about the register, and must never travel to the county); `login_lockout_failures` of
//! them lock the name for `login_lockout_minutes`.

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    Error, Result,
    clock::{china_offset, fmt_utc},
    model::Role,
    register::Register,
};

/// The signed-in user an operation runs as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Session {
    /// User id (the event actor).
    pub user_id: Uuid,
    /// Sign-in name.
    pub username: String,
    /// Name shown to others.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// The user still has an initial or reset password: `ops::call` refuses everything but
    /// `password_change`, `session_me` and `auth_logout` (`password_change_required`). Set when
    /// the session is resolved from the register; sent as `must_change_password` of
    /// `auth_login` and `session_me`, not here.
    #[serde(skip)]
    pub must_change_password: bool,
    /// Where the session signed in (a LAN address, `本机窗口`, `命令行`; empty when unknown),
    /// named in every audit row of the session.
    #[serde(skip)]
    pub desk: String,
}

/// Minimum password length, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Of upper-case letters, lower-case letters, digits and other characters, a password uses at
/// least this many.
pub const MIN_PASSWORD_CLASSES: usize = 3;
/// A new password may not be any of the user's last this many (the current one included).
pub const PASSWORD_HISTORY: usize = 5;
/// Default of `login_lockout_failures`.
pub const DEFAULT_LOCKOUT_FAILURES: u32 = 5;
/// Default of `login_lockout_minutes`.
pub const DEFAULT_LOCKOUT_MINUTES: u32 = 15;
/// Default of `session_idle_minutes`.
pub const DEFAULT_SESSION_IDLE_MINUTES: u32 = 30;
/// Default of `session_max_hours`.
pub const DEFAULT_SESSION_MAX_HOURS: u32 = 12;
/// `sessions.last_seen` is written at most this often per session: a write on every request
/// would put an fsync on every read. A session may therefore end up to this much before its
/// idle limit, never after.
pub const LAST_SEEN_EVERY: Duration = Duration::seconds(60);
/// Default of `login_desk_failures`: failed sign-ins from one desk, whatever the names, within
/// `DESK_FAILURE_WINDOW` before that desk is refused (a guesser walking through many names
/// never locks any one of them).
pub const DEFAULT_DESK_FAILURES: u32 = 20;
/// The window of the per-desk sign-in limit.
pub const DESK_FAILURE_WINDOW: Duration = Duration::minutes(10);
/// Failed sign-ins further apart than this start the count again.
pub const FAILURE_WINDOW: Duration = Duration::hours(24);

/// Hashes a password with argon2id and a fresh salt.
pub fn hash_password(password: &str) -> Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("password hashing failed: {e}")))
}

/// Checks a password against a stored hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// How many of the four classes (upper, lower, digit, other) `password` uses.
pub fn password_classes(password: &str) -> usize {
    let (mut upper, mut lower, mut digit, mut other) = (false, false, false, false);
    for c in password.chars() {
        if c.is_uppercase() {
            upper = true;
        } else if c.is_lowercase() {
            lower = true;
        } else if c.is_ascii_digit() {
            digit = true;
        } else {
            other = true;
        }
    }
    [upper, lower, digit, other].iter().filter(|b| **b).count()
}

/// Checks a new password for `username` against the policy; the error names `field`.
pub fn check_password_policy(password: &str, username: &str, field: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Error::field(
            "weak_password",
            field,
            format!("密码至少需要{MIN_PASSWORD_CHARS}个字符"),
        ));
    }
    if password_classes(password) < MIN_PASSWORD_CLASSES {
        return Err(Error::field(
            "weak_password",
            field,
            "密码须包含大写字母、小写字母、数字、其他符号中的至少三类",
        ));
    }
    if password.trim().eq_ignore_ascii_case(username.trim()) {
        return Err(Error::field("weak_password", field, "密码不能与用户名相同"));
    }
    Ok(())
}

/// Refuses a password that is one of the user's last `PASSWORD_HISTORY` (`password_reused`).
pub fn check_password_history(
    conn: &Connection,
    user_id: Uuid,
    password: &str,
    field: &str,
) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "SELECT password_hash FROM user_passwords WHERE user_id = ?1 ORDER BY seq DESC LIMIT ?2",
    )?;
    let hashes = stmt
        .query_map(params![user_id.to_string(), PASSWORD_HISTORY as i64], |r| {
            r.get::<_, String>(0)
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    if hashes.iter().any(|hash| verify_password(password, hash)) {
        return Err(Error::field(
            "password_reused",
            field,
            format!("新密码不能与最近{PASSWORD_HISTORY}次使用过的密码相同"),
        ));
    }
    Ok(())
}

/// A password nobody has chosen (a first administrator's, a reset one): `chars` characters
/// without look-alikes, always with upper-case letters, lower-case letters and digits, so it
/// passes the policy. The randomness comes from the register's id source, hashed.
pub fn generate_password(register: &mut Register, chars: usize) -> String {
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const LOWER: &[u8] = b"abcdefghijkmnpqrstuvwxyz";
    const DIGITS: &[u8] = b"23456789";
    let all = [UPPER, LOWER, DIGITS].concat();
    let mut entropy = Entropy {
        register,
        value: 0,
        range: 0,
    };
    let mut out = vec![
        UPPER[entropy.below(UPPER.len())],
        LOWER[entropy.below(LOWER.len())],
        DIGITS[entropy.below(DIGITS.len())],
    ];
    while out.len() < chars.max(MIN_PASSWORD_CHARS) {
        out.push(all[entropy.below(all.len())]);
    }
    for i in (1..out.len()).rev() {
        let j = entropy.below(i + 1);
        out.swap(i, j);
    }
    out.into_iter().map(char::from).collect()
}

/// Uniform draws from SHA-256 digests of fresh ids.
struct Entropy<'a> {
    register: &'a mut Register,
    value: u128,
    range: u128,
}

impl Entropy<'_> {
    fn below(&mut self, n: usize) -> usize {
        let n = n as u128;
        if self.range < n << 16 {
            let mut hasher = Sha256::new();
            for _ in 0..4 {
                hasher.update(self.register.next_id().as_bytes());
            }
            let digest = hasher.finalize();
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(&digest[..16]);
            self.value = u128::from_le_bytes(bytes);
            self.range = u128::MAX;
        }
        let out = self.value % n;
        self.value /= n;
        self.range /= n;
        out as usize
    }
}

/// Reads one numeric setting, or its default when it was never set.
fn setting_u32(conn: &Connection, key: &str, default: u32) -> Result<u32> {
    let value: Option<String> = conn
        .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?;
    Ok(value
        .and_then(|v| serde_json::from_str::<u32>(&v).ok())
        .unwrap_or(default))
}

fn parse_utc(text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| Error::Internal(format!("bad time {text}: {e}")))
}

fn account(code: &'static str, message: impl Into<String>) -> Error {
    Error::Account {
        code,
        message: message.into(),
    }
}

/// The refusal of a sign-in while the name is locked, saying until when (China time).
fn locked(until: DateTime<Utc>, now: DateTime<Utc>) -> Error {
    let local = until.with_timezone(&china_offset());
    let when = if local.date_naive() == now.with_timezone(&china_offset()).date_naive() {
        local.format("%H:%M").to_string()
    } else {
        local.format("%-m月%-d日 %H:%M").to_string()
    };
    account(
        "locked",
        format!("密码连续输错次数过多，账号已锁定，请于{when}后再试，或请管理员重置密码"),
    )
}

/// The key of a user name in `sign_in_failures`.
fn name_key(username: &str) -> String {
    Sha256::digest(username.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

struct Failures {
    count: u32,
    last_failed_at: DateTime<Utc>,
    locked_until: Option<DateTime<Utc>>,
}

fn failures(conn: &Connection, key: &str) -> Result<Option<Failures>> {
    let row: Option<(u32, String, Option<String>)> = conn
        .prepare_cached(
            "SELECT failures, last_failed_at, locked_until FROM sign_in_failures
             WHERE name_key = ?1",
        )?
        .query_row([key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    row.map(|(count, last, until)| {
        Ok(Failures {
            count,
            last_failed_at: parse_utc(&last)?,
            locked_until: until.as_deref().map(parse_utc).transpose()?,
        })
    })
    .transpose()
}

/// Counts one failed sign-in of `key`; the error to answer with (`locked` when this one
/// reached the limit).
fn record_failure(
    conn: &Connection,
    key: &str,
    before: Option<Failures>,
    now: DateTime<Utc>,
) -> Result<Error> {
    let limit = setting_u32(conn, "login_lockout_failures", DEFAULT_LOCKOUT_FAILURES)?.max(1);
    let minutes = setting_u32(conn, "login_lockout_minutes", DEFAULT_LOCKOUT_MINUTES)?;
    let count = match before {
        Some(f) if now - f.last_failed_at < FAILURE_WINDOW => f.count + 1,
        _ => 1,
    };
    // Names that failed long ago and are not locked are forgotten (unknown names included).
    conn.prepare_cached(
        "DELETE FROM sign_in_failures WHERE last_failed_at < ?1
           AND (locked_until IS NULL OR locked_until < ?2)",
    )?
    .execute(params![fmt_utc(now - FAILURE_WINDOW), fmt_utc(now)])?;
    let (stored, until, error) = if count >= limit {
        let until = now + Duration::minutes(i64::from(minutes));
        (0, Some(fmt_utc(until)), locked(until, now))
    } else {
        let left = limit - count;
        let message = format!("用户名或密码不正确（再输错{left}次，账号将锁定{minutes}分钟）");
        (count, None, Error::Unauthenticated(message))
    };
    conn.prepare_cached(
        "INSERT INTO sign_in_failures (name_key, failures, last_failed_at, locked_until)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (name_key) DO UPDATE SET failures = excluded.failures,
           last_failed_at = excluded.last_failed_at, locked_until = excluded.locked_until",
    )?
    .execute(params![key, stored, fmt_utc(now), until])?;
    Ok(error)
}

/// Forgets the failed sign-ins of `username` (a success, or an administrator's reset).
pub fn clear_failures(conn: &Connection, username: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM sign_in_failures WHERE name_key = ?1")?
        .execute([name_key(username)])?;
    Ok(())
}

/// A session from a row that starts `id, username, display_name, role, must_change_password`.
fn session_from_user_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Session> {
    let id: String = row.get(0)?;
    let role: String = row.get(3)?;
    Ok(Session {
        user_id: Uuid::parse_str(&id).unwrap_or_default(),
        username: row.get(1)?,
        display_name: row.get(2)?,
        role: Role::from_code(&role).unwrap_or(Role::Guide),
        must_change_password: row.get(4)?,
        desk: String::new(),
    })
}

/// Checks a user name and password; the session to act as.
///
/// Refuses a locked name before looking at the password (`locked`, even when it is right),
/// counts a wrong password towards the lockout, forgets the count on success, and refuses a
/// disabled account (`disabled`) only once the password was right, so the answer tells a
/// guesser nothing about the account.
pub fn authenticate(register: &Register, username: &str, password: &str) -> Result<Session> {
    let conn = register.conn();
    let now = register.now();
    let desk = register.caller_desk();
    if !desk.is_empty() {
        let limit = setting_u32(conn, "login_desk_failures", DEFAULT_DESK_FAILURES)?.max(1);
        let recent = crate::audit::failed_sign_ins_from(conn, desk, now - DESK_FAILURE_WINDOW)?;
        if recent >= limit {
            return Err(account(
                "too_many_attempts",
                "本终端登录失败次数过多，请10分钟后再试，或请安全管理员协助",
            ));
        }
    }
    let key = name_key(username);
    let before = failures(conn, &key)?;
    if let Some(until) = before.as_ref().and_then(|f| f.locked_until)
        && until > now
    {
        return Err(locked(until, now));
    }
    let found = conn
        .prepare_cached(
            "SELECT id, username, display_name, role, must_change_password, password_hash, active
             FROM users WHERE username = ?1",
        )?
        .query_row([username], |row| {
            Ok((
                session_from_user_row(row)?,
                row.get::<_, String>(5)?,
                row.get::<_, bool>(6)?,
            ))
        })
        .optional()?;
    let right = match &found {
        Some((_, hash, _)) => verify_password(password, hash),
        None => {
            let _ = verify_password(password, dummy_hash());
            false
        }
    };
    let Some((session, _, active)) = found.filter(|_| right) else {
        return Err(record_failure(conn, &key, before, now)?);
    };
    if before.is_some() {
        clear_failures(conn, username)?;
    }
    if !active {
        return Err(account("disabled", "该账号已停用，请联系管理员"));
    }
    Ok(session)
}

/// A real hash of a throwaway password, so an unknown user name costs the same time as a
/// wrong password and timing does not reveal which names exist.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("not-a-user-password").unwrap_or_default())
}

/// How long sessions may live, from the settings in force.
struct SessionLimits {
    idle_minutes: u32,
    max_hours: u32,
}

impl SessionLimits {
    fn load(conn: &Connection) -> Result<SessionLimits> {
        Ok(SessionLimits {
            idle_minutes: setting_u32(conn, "session_idle_minutes", DEFAULT_SESSION_IDLE_MINUTES)?,
            max_hours: setting_u32(conn, "session_max_hours", DEFAULT_SESSION_MAX_HOURS)?,
        })
    }

    fn idle(&self) -> Duration {
        Duration::minutes(i64::from(self.idle_minutes))
    }

    fn max(&self) -> Duration {
        Duration::hours(i64::from(self.max_hours))
    }
}

/// Opens a session for `session`'s user; the bearer token to send with every call. Sessions
/// that have expired by now are removed on the way.
pub fn open_session(register: &mut Register, session: &Session) -> Result<String> {
    let token = format!(
        "{}{}",
        register.next_id().simple(),
        register.next_id().simple()
    );
    let now = register.now();
    let limits = SessionLimits::load(register.conn())?;
    register.conn().execute(
        "DELETE FROM sessions WHERE last_seen <= ?1 OR created_at <= ?2",
        params![fmt_utc(now - limits.idle()), fmt_utc(now - limits.max())],
    )?;
    register.conn().execute(
        "INSERT INTO sessions (token, user_id, created_at, last_seen, desk)
         VALUES (?1, ?2, ?3, ?3, ?4)",
        params![
            token,
            session.user_id.to_string(),
            fmt_utc(now),
            register.caller_desk()
        ],
    )?;
    Ok(token)
}

/// Resolves a bearer token to its session; refuses unknown and expired tokens and disabled
/// users (`unauthenticated`: the desk asks for the password again in place). Notes the request
/// in `last_seen` when the last note is `LAST_SEEN_EVERY` old.
pub fn session_for_token(register: &Register, token: &str) -> Result<Session> {
    let conn = register.conn();
    let found = conn
        .prepare_cached(
            "SELECT u.id, u.username, u.display_name, u.role, u.must_change_password, u.active,
                    s.created_at, s.last_seen, s.desk
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token = ?1",
        )?
        .query_row([token], |row| {
            Ok((
                Session {
                    desk: row.get(8)?,
                    ..session_from_user_row(row)?
                },
                row.get::<_, bool>(5)?,
                row.get::<_, String>(6)?,
                row.get::<_, String>(7)?,
            ))
        })
        .optional()?;
    let Some((session, active, created_at, last_seen)) = found else {
        return Err(Error::Unauthenticated("登录已失效，请重新登录".into()));
    };
    let now = register.now();
    let limits = SessionLimits::load(conn)?;
    let last_seen = parse_utc(&last_seen)?;
    let refusal = if !active {
        Some("该账号已停用，请联系管理员".to_owned())
    } else if now - parse_utc(&created_at)? >= limits.max() {
        Some(format!(
            "登录已超过{}小时，为保护信息安全，请重新登录",
            limits.max_hours
        ))
    } else if now - last_seen >= limits.idle() {
        Some(format!(
            "已超过{}分钟未操作，为保护信息安全，请重新登录",
            limits.idle_minutes
        ))
    } else {
        None
    };
    if let Some(message) = refusal {
        close_session(register, token)?;
        return Err(Error::Unauthenticated(message));
    }
    if now - last_seen >= LAST_SEEN_EVERY {
        conn.prepare_cached("UPDATE sessions SET last_seen = ?2 WHERE token = ?1")?
            .execute(params![token, fmt_utc(now)])?;
    }
    Ok(session)
}

/// Ends a session.
pub fn close_session(register: &Register, token: &str) -> Result<()> {
    register
        .conn()
        .execute("DELETE FROM sessions WHERE token = ?1", [token])?;
    Ok(())
}

/// Ends every session of a user (disabled, or their password was reset).
pub fn close_sessions_of(conn: &Connection, user_id: Uuid) -> Result<usize> {
    Ok(conn.execute(
        "DELETE FROM sessions WHERE user_id = ?1",
        [user_id.to_string()],
    )?)
}

/// Ends every session of a user but `token` (their own password change).
pub fn close_sessions_except(conn: &Connection, user_id: Uuid, token: &str) -> Result<usize> {
    Ok(conn.execute(
        "DELETE FROM sessions WHERE user_id = ?1 AND token <> ?2",
        params![user_id.to_string(), token],
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_wants_length_three_classes_and_not_the_name() {
        let code = |p: &str| {
            check_password_policy(p, "wangfang", "password")
                .err()
                .map(|e| e.to_api())
        };
        assert!(code("Abc-12345").is_some_and(|e| e.message.contains("10")));
        assert!(code("abcdefghij12").is_some_and(|e| e.code == "weak_password"));
        assert!(code("WangFang").is_some());
        assert_eq!(
            code("WANGfang12").map(|e| e.field),
            None,
            "upper, lower and digit: three classes"
        );
        assert!(
            check_password_policy("Wangfang-1", "wangfang-1", "p").is_err(),
            "the user name itself"
        );
        assert!(
            code("密码很长很长的一句话abc").is_some(),
            "lower and other: two"
        );
        assert!(
            code("密码很长很长的一句话abc1").is_none(),
            "lower, digit and other"
        );
        assert_eq!(password_classes("aA1-"), 4);
    }
}
