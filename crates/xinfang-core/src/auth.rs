//! Users, passwords and sessions: who is acting. Every operation runs as a `Session`, and its
//! user id becomes the `actor` of every event the operation records.
//!
//! Passwords are stored as argon2id PHC strings. Sessions are rows in the `sessions` table, not
//! events: signing in is not a change to the register (the audit trail of sign-ins is a later,
//! separate log).

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use rusqlite::{OptionalExtension, params};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Error, Result, clock::fmt_utc, model::Role, register::Register};

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
}

/// Minimum password length; the full policy (complexity, history, lockout) is enforced later.
pub const MIN_PASSWORD_CHARS: usize = 8;

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

/// Checks a new password against the policy; the error names `field`.
pub fn check_password_policy(password: &str, field: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Error::field(
            "weak_password",
            field,
            format!("密码至少需要{MIN_PASSWORD_CHARS}个字符"),
        ));
    }
    Ok(())
}

fn session_from_user_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(Session, String, bool)> {
    let id: String = row.get(0)?;
    let role: String = row.get(3)?;
    Ok((
        Session {
            user_id: Uuid::parse_str(&id).unwrap_or_default(),
            username: row.get(1)?,
            display_name: row.get(2)?,
            role: Role::from_code(&role).unwrap_or(Role::Guide),
        },
        row.get(4)?,
        row.get(5)?,
    ))
}

/// Checks a user name and password; the session to act as.
pub fn authenticate(register: &Register, username: &str, password: &str) -> Result<Session> {
    let found = register
        .conn()
        .query_row(
            "SELECT id, username, display_name, role, password_hash, active FROM users
             WHERE username = ?1",
            [username],
            session_from_user_row,
        )
        .optional()?;
    let Some((session, hash, active)) = found else {
        let _ = verify_password(password, dummy_hash());
        return Err(Error::Unauthenticated("用户名或密码不正确".into()));
    };
    if !verify_password(password, &hash) {
        return Err(Error::Unauthenticated("用户名或密码不正确".into()));
    }
    if !active {
        return Err(Error::Unauthenticated("该账号已停用，请联系管理员".into()));
    }
    Ok(session)
}

/// A real hash of a throwaway password, so an unknown user name costs the same time as a
/// wrong password and timing does not reveal which names exist.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("not-a-user-password").unwrap_or_default())
}

/// Opens a session for `session`'s user; the bearer token to send with every call.
pub fn open_session(register: &mut Register, session: &Session) -> Result<String> {
    let token = format!(
        "{}{}",
        register.next_id().simple(),
        register.next_id().simple()
    );
    let now = fmt_utc(register.now());
    register.conn().execute(
        "INSERT INTO sessions (token, user_id, created_at, last_seen) VALUES (?1, ?2, ?3, ?3)",
        params![token, session.user_id.to_string(), now],
    )?;
    Ok(token)
}

/// Resolves a bearer token to its session; refuses unknown tokens and disabled users.
pub fn session_for_token(register: &Register, token: &str) -> Result<Session> {
    let found = register
        .conn()
        .query_row(
            "SELECT u.id, u.username, u.display_name, u.role, u.password_hash, u.active
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token = ?1",
            [token],
            session_from_user_row,
        )
        .optional()?;
    match found {
        Some((session, _, true)) => Ok(session),
        Some((_, _, false)) => Err(Error::Unauthenticated("该账号已停用，请联系管理员".into())),
        None => Err(Error::Unauthenticated("登录已失效，请重新登录".into())),
    }
}

/// Ends a session.
pub fn close_session(register: &Register, token: &str) -> Result<()> {
    register
        .conn()
        .execute("DELETE FROM sessions WHERE token = ?1", [token])?;
    Ok(())
}
