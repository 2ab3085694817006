//! Desk pairing for the LAN API (SECURITY #8 §7): beyond loopback, only a desk that has
//! presented a one-time pairing code may call the API.
//!
//! `xinfang pair` on the host makes a code (ten digits, valid ten minutes, only its SHA-256
//! kept, in `lan_pairing_codes`, migration 0016). The desk posts it once to `POST /api/pair`
//! and receives a desk token (32 random bytes, hex; only its SHA-256 kept, in `lan_desks`),
//! which it sends on every call as `X-Xinfang-Desk`, or which a browser keeps as the
//! `xinfang_desk` cookie (HttpOnly, Secure, SameSite=Strict) set by the same answer. A code
//! works once; the pairing and every refused code go into the audit trail. Callers on the
//! host itself (loopback) need no pairing.
//!
//! This is a desk check, not a sign-in: a paired desk still signs in with a user and password,
//! and every operation's own access rule still applies.

use chrono::Duration;
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};
use xinfang_core::{Register, audit, clock::fmt_utc};

/// The header a paired desk sends its token in.
pub const DESK_HEADER: &str = "x-xinfang-desk";
/// The cookie a browser keeps its token in.
pub const DESK_COOKIE: &str = "xinfang_desk";
/// How long a pairing code is valid.
pub const CODE_VALID_MINUTES: i64 = 10;
/// Refused codes from one address within `CODE_VALID_MINUTES` after which that address is
/// refused even a right code: ten guesses at a ten-digit code that lives ten minutes.
pub const MAX_FAILED_PAIRINGS: i64 = 10;

/// Test-only: `XINFANG_TREAT_LOOPBACK_AS_LAN=1` makes the server treat loopback callers as LAN
/// desks, so the tests (which can only reach it over loopback) exercise the pairing rule. Never
/// set it in production: it only ever makes the server stricter, but it is not a setting.
pub const TREAT_LOOPBACK_AS_LAN_ENV: &str = "XINFANG_TREAT_LOOPBACK_AS_LAN";

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Makes a pairing code and stores its hash; the code is shown once and never again.
pub fn issue_code(register: &Register, random: [u8; 32]) -> xinfang_core::Result<String> {
    issue_code_by(register, random, None, audit::DESK_CLI)
}

/// [`issue_code`] asked for by `who` at `desk` (the desktop shell's administrator), so the
/// audit trail names them.
pub fn issue_code_by(
    register: &Register,
    random: [u8; 32],
    who: Option<&xinfang_core::auth::Session>,
    desk: &str,
) -> xinfang_core::Result<String> {
    let number = u64::from_le_bytes(random[..8].try_into().unwrap_or([0; 8])) % 10_000_000_000;
    let code = format!("{:05}-{:05}", number / 100_000, number % 100_000);
    let now = register.now();
    let conn = register.conn();
    let tx = conn.unchecked_transaction()?;
    tx.execute(
        "INSERT INTO lan_pairing_codes (code_hash, created_at, expires_at) VALUES (?1, ?2, ?3)",
        params![
            sha256_hex(&normalise(&code)),
            fmt_utc(now),
            fmt_utc(now + Duration::minutes(CODE_VALID_MINUTES))
        ],
    )?;
    let mut entry = audit::Entry::new(who, desk, "lan_pair_code");
    entry.detail = format!("生成局域网配对码（{CODE_VALID_MINUTES} 分钟内有效，仅可使用一次）");
    audit::record(&tx, now, &entry)?;
    tx.commit()?;
    Ok(code)
}

fn normalise(code: &str) -> String {
    code.chars().filter(char::is_ascii_digit).collect()
}

/// Why a code was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No such code, already used, or expired.
    Invalid,
    /// Too many refused codes from this address lately.
    TooManyFailures,
}

/// Takes a code from `peer`: marks it used and pairs a desk whose token is made from `random`.
/// Returns the desk token.
pub fn redeem(
    register: &Register,
    code: &str,
    peer: &str,
    random: [u8; 32],
) -> xinfang_core::Result<Result<String, Refusal>> {
    let now = register.now();
    let conn = register.conn();
    let tx = conn.unchecked_transaction()?;
    let hash = sha256_hex(&normalise(code));
    let live: Option<String> = tx
        .query_row(
            "SELECT code_hash FROM lan_pairing_codes
             WHERE code_hash = ?1 AND used_at IS NULL AND expires_at > ?2",
            params![hash, fmt_utc(now)],
            |r| r.get(0),
        )
        .optional()?;
    let mut entry = audit::Entry::new(None, peer, "lan_pair");
    let failures: i64 = tx.query_row(
        "SELECT count(*) FROM audit_log WHERE desk = ?1 AND operation = 'lan_pair'
           AND outcome != 'ok' AND at >= ?2",
        params![peer, fmt_utc(now - Duration::minutes(CODE_VALID_MINUTES))],
        |r| r.get(0),
    )?;
    if failures >= MAX_FAILED_PAIRINGS {
        entry.outcome = "pairing_rate_limited".into();
        entry.detail = format!("局域网配对被拒绝：{CODE_VALID_MINUTES} 分钟内错误配对码过多");
        audit::record(&tx, now, &entry)?;
        tx.commit()?;
        return Ok(Err(Refusal::TooManyFailures));
    }
    let Some(hash) = live else {
        entry.outcome = "pairing_code_invalid".into();
        entry.detail = "局域网配对失败：配对码无效、已使用或已过期".into();
        audit::record(&tx, now, &entry)?;
        tx.commit()?;
        return Ok(Err(Refusal::Invalid));
    };
    let token: String = random.iter().map(|b| format!("{b:02x}")).collect();
    tx.execute(
        "UPDATE lan_pairing_codes SET used_at = ?1, used_by = ?2 WHERE code_hash = ?3",
        params![fmt_utc(now), peer, hash],
    )?;
    tx.execute(
        "INSERT INTO lan_desks (token_hash, peer, paired_at) VALUES (?1, ?2, ?3)",
        params![sha256_hex(&token), peer, fmt_utc(now)],
    )?;
    entry.detail = format!("工作站 {peer} 已凭配对码与本机配对");
    audit::record(&tx, now, &entry)?;
    tx.commit()?;
    Ok(Ok(token))
}

/// Whether `token` belongs to a paired desk that is not revoked.
pub fn is_paired(register: &Register, token: &str) -> xinfang_core::Result<bool> {
    let found: Option<i64> = register
        .conn()
        .query_row(
            "SELECT 1 FROM lan_desks WHERE token_hash = ?1 AND revoked_at IS NULL",
            [sha256_hex(token.trim())],
            |r| r.get(0),
        )
        .optional()?;
    Ok(found.is_some())
}

/// Characters of a desk's token hash that name it in `xinfang pair --list` and `--revoke`.
/// A prefix of the hash, not of the token: it names the desk without letting anyone act as it.
pub const DESK_ID_LEN: usize = 12;

/// A paired desk, as the host's administrator sees it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PairedDesk {
    /// The first [`DESK_ID_LEN`] hex digits of its token's SHA-256.
    pub id: String,
    /// The address it paired from.
    pub peer: String,
    /// When it paired (UTC, RFC 3339).
    pub paired_at: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
}

/// Every desk that ever paired with this host, newest first.
pub fn paired_desks(register: &Register) -> xinfang_core::Result<Vec<PairedDesk>> {
    let conn = register.conn();
    let mut stmt = conn.prepare(
        "SELECT substr(token_hash, 1, ?1), peer, paired_at, revoked_at FROM lan_desks
         ORDER BY paired_at DESC, token_hash",
    )?;
    let desks = stmt
        .query_map([DESK_ID_LEN as i64], |r| {
            Ok(PairedDesk {
                id: r.get(0)?,
                peer: r.get(1)?,
                paired_at: r.get(2)?,
                revoked_at: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(desks)
}

/// Revokes the paired desk named `id` (see [`paired_desks`]) at once: its next call is refused
/// with `desk_not_paired`, and it must pair again with a new code. Audited as `lan_revoke`,
/// naming `who` (the desktop shell's administrator) when known.
pub fn revoke(
    register: &Register,
    id: &str,
    who: Option<&xinfang_core::auth::Session>,
    desk: &str,
) -> xinfang_core::Result<PairedDesk> {
    let id = id.trim().to_ascii_lowercase();
    let unknown = || {
        xinfang_core::Error::field(
            "desk_unknown",
            "id",
            format!("没有编号为 {id} 的已配对工作站（用 xinfang pair --list 查看）"),
        )
    };
    if id.len() != DESK_ID_LEN || !id.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(unknown());
    }
    let now = register.now();
    let conn = register.conn();
    let tx = conn.unchecked_transaction()?;
    let (peer, paired_at, revoked_at): (String, String, Option<String>) = tx
        .query_row(
            "SELECT peer, paired_at, revoked_at FROM lan_desks WHERE substr(token_hash, 1, ?1) = ?2",
            params![DESK_ID_LEN as i64, id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?
        .ok_or_else(unknown)?;
    let revoked_at = match revoked_at {
        Some(at) => at,
        None => {
            let at = fmt_utc(now);
            tx.execute(
                "UPDATE lan_desks SET revoked_at = ?1 WHERE substr(token_hash, 1, ?2) = ?3",
                params![at, DESK_ID_LEN as i64, id],
            )?;
            let mut entry = audit::Entry::new(who, desk, "lan_revoke");
            entry.object = id.clone();
            entry.detail = format!("撤销工作站 {peer} 的局域网配对（{paired_at} 配对）");
            audit::record(&tx, now, &entry)?;
            at
        }
    };
    tx.commit()?;
    Ok(PairedDesk {
        id,
        peer,
        paired_at,
        revoked_at: Some(revoked_at),
    })
}
