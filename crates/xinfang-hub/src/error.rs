//! The error type of `xinfang-hub` and the stable codes it sends as `{code, message, field}`.
//!
//! The desk's sync panel and the county administrator see `message` (Chinese, written for
//! them); programs branch on `code`. Codes are part of the wire contract: add new ones, never
//! rename old ones. Per-event refusals inside a successful push are not errors of this type but
//! `Rejected` entries (codes in `xinfang_sync::codes`).

use uuid::Uuid;
use xinfang_sync::WireError;

/// Everything that can go wrong in the hub.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed (wrong type, unknown field, bad query parameter).
    #[error("bad input at {field}: {message}")]
    BadInput {
        /// Where in the input; empty for the whole body.
        field: String,
        /// Chinese explanation.
        message: String,
    },
    /// The body is not JSON at all.
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    /// No credential, or one the hub does not know.
    #[error("unauthenticated")]
    Unauthenticated,
    /// The credential belongs to a centre the county has revoked.
    #[error("centre {code} revoked at {at}")]
    Revoked {
        /// The centre's code.
        code: String,
        /// When it was revoked (RFC 3339).
        at: String,
    },
    /// A pushed event names another origin than the authenticated centre's.
    #[error("{field}: origin {found} is not {expected}")]
    WrongOrigin {
        /// `events[i].origin`.
        field: String,
        /// The origin in the event.
        found: Uuid,
        /// The authenticated centre's origin.
        expected: Uuid,
    },
    /// No centre has this enrolment code.
    #[error("unknown enrolment code")]
    EnrolCodeUnknown,
    /// The enrolment code was redeemed before.
    #[error("enrolment code already used at {at}")]
    EnrolCodeUsed {
        /// When it was redeemed.
        at: String,
    },
    /// The enrolment code is past its expiry.
    #[error("enrolment code expired at {at}")]
    EnrolCodeExpired {
        /// When it expired.
        at: String,
    },
    /// The centre code the desk reports is not the one the county enrolled.
    #[error("centre code {found} is not {expected}")]
    CentreMismatch {
        /// What the desk sent.
        found: String,
        /// What the county registered.
        expected: String,
    },
    /// Another centre in service already holds this origin (or it is the hub's own).
    #[error("origin {0} taken")]
    OriginTaken(Uuid),
    /// Another centre in service already has this code.
    #[error("centre code {0} taken")]
    CentreCodeTaken(String),
    /// An event of a kind that must not leave the centre (or be published by the county).
    #[error("kind {0} is not syncable")]
    NotSyncable(String),
    /// The request body is larger than the hub accepts.
    #[error("body larger than {max_kib} KiB")]
    TooLarge {
        /// The limit in KiB.
        max_kib: usize,
    },
    /// The status page was asked for from a peer it is not shown to.
    #[error("status page not shown to {peer}")]
    Forbidden {
        /// The peer's address.
        peer: String,
    },
    /// No such endpoint.
    #[error("no endpoint {0}")]
    NoEndpoint(String),
    /// The endpoint exists but not with this method.
    #[error("method not allowed: {0}")]
    WrongMethod(String),
    /// Too many events in one push.
    #[error("batch of {count} events exceeds {max}")]
    BatchTooLarge {
        /// Events sent.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// The record asked for does not exist.
    #[error("{what} {id} not found")]
    NotFound {
        /// Chinese noun (接待中心).
        what: &'static str,
        /// The id that was asked for.
        id: String,
    },
    /// The store was written by a newer hub.
    #[error("hub schema {found} is newer than this binary supports ({supported})")]
    SchemaTooNew {
        /// `user_version` found.
        found: u32,
        /// The highest version this binary knows.
        supported: u32,
    },
    /// A USB bundle refused: not a bundle, changed after signing, signed by a key that may not
    /// speak for its origin, too large. Nothing was changed.
    #[error("bundle refused ({code}): {message}")]
    Bundle {
        /// Stable code (`bundle_tampered`, `bundle_wrong_signer`, …).
        code: &'static str,
        /// Chinese explanation.
        message: String,
    },
    /// SQLite failed.
    #[error(transparent)]
    Db(#[from] rusqlite::Error),
    /// PostgreSQL failed inside a transaction (a statement, a constraint, a connection lost
    /// half-way).
    #[error("PostgreSQL: {}", crate::store::postgres::detail(.0))]
    Postgres(#[from] postgres::Error),
    /// The PostgreSQL server cannot be reached, refuses the hub, or is not fit for it; nothing
    /// was done.
    #[error("PostgreSQL unavailable: {0}")]
    StoreUnavailable(String),
    /// File system failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// Stored JSON failed to (de)serialise; a bug or a corrupted row.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// An invariant did not hold; the message names it.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Shorthand used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<xinfang_sync::bundle::BundleError> for Error {
    fn from(err: xinfang_sync::bundle::BundleError) -> Error {
        Error::Bundle {
            code: err.code(),
            message: err.message_zh(),
        }
    }
}

impl Error {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Error::BadInput { .. } => "bad_input",
            Error::MalformedJson(_) => "malformed_json",
            Error::Unauthenticated => "unauthenticated",
            Error::Revoked { .. } => "revoked",
            Error::WrongOrigin { .. } => "wrong_origin",
            Error::EnrolCodeUnknown => "enrolment_code_unknown",
            Error::EnrolCodeUsed { .. } => "enrolment_code_used",
            Error::EnrolCodeExpired { .. } => "enrolment_code_expired",
            Error::CentreMismatch { .. } => "centre_code_mismatch",
            Error::OriginTaken(_) => "origin_taken",
            Error::CentreCodeTaken(_) => "centre_code_taken",
            Error::NotSyncable(_) => "not_syncable",
            Error::BatchTooLarge { .. } => "batch_too_large",
            Error::TooLarge { .. } => "too_large",
            Error::Forbidden { .. } => "forbidden",
            Error::NoEndpoint(_) => "no_endpoint",
            Error::WrongMethod(_) => "method_not_allowed",
            Error::NotFound { .. } => "not_found",
            Error::SchemaTooNew { .. } => "schema_too_new",
            Error::StoreUnavailable(_) => "store_unavailable",
            Error::Bundle { code, .. } => code,
            Error::Db(_)
            | Error::Postgres(_)
            | Error::Io(_)
            | Error::Json(_)
            | Error::Internal(_) => "internal",
        }
    }

    /// How the HTTP adapter answers this error.
    pub fn http_status(&self) -> u16 {
        match self {
            Error::BadInput { .. } | Error::MalformedJson(_) => 400,
            Error::Unauthenticated => 401,
            Error::Revoked { .. } | Error::WrongOrigin { .. } | Error::Forbidden { .. } => 403,
            Error::NotFound { .. } | Error::NoEndpoint(_) => 404,
            Error::OriginTaken(_) | Error::CentreCodeTaken(_) => 409,
            Error::WrongMethod(_) => 405,
            Error::BatchTooLarge { .. } | Error::TooLarge { .. } => 413,
            Error::EnrolCodeUnknown
            | Error::EnrolCodeUsed { .. }
            | Error::EnrolCodeExpired { .. }
            | Error::CentreMismatch { .. }
            | Error::NotSyncable(_)
            | Error::Bundle { .. } => 422,
            Error::SchemaTooNew { .. } | Error::StoreUnavailable(_) => 503,
            Error::Db(_)
            | Error::Postgres(_)
            | Error::Io(_)
            | Error::Json(_)
            | Error::Internal(_) => 500,
        }
    }

    /// Whether the request was refused (the caller's doing) rather than failed (the hub's).
    pub fn is_refusal(&self) -> bool {
        self.http_status() < 500
    }

    /// The input field this error belongs to, if any.
    pub fn field(&self) -> Option<String> {
        match self {
            Error::BadInput { field, .. } | Error::WrongOrigin { field, .. } => {
                (!field.is_empty()).then(|| field.clone())
            }
            Error::EnrolCodeUnknown
            | Error::EnrolCodeUsed { .. }
            | Error::EnrolCodeExpired { .. } => Some("code".into()),
            Error::CentreMismatch { .. } => Some("centre_code".into()),
            Error::OriginTaken(_) => Some("origin".into()),
            Error::CentreCodeTaken(_) => Some("code".into()),
            Error::NotSyncable(_) => Some("kind".into()),
            Error::BatchTooLarge { .. } => Some("events".into()),
            _ => None,
        }
    }

    /// The Chinese message for the person who will read it.
    pub fn message_zh(&self) -> String {
        match self {
            Error::BadInput { message, .. } => message.clone(),
            Error::MalformedJson(err) => format!("提交的内容不是有效的 JSON：{err}"),
            Error::Unauthenticated => {
                "未提供有效的接入凭证：请先用县信访局发放的注册码完成注册，再用注册时取得的凭证同步"
                    .into()
            }
            Error::Revoked { code, at } => format!(
                "接待中心 {code} 的接入凭证已于 {} 被县信访局撤销，不能再同步；如有疑问请联系县信访局",
                crate::clock::display(at)
            ),
            Error::WrongOrigin {
                found, expected, ..
            } => format!(
                "事件的来源 {found} 不是本中心（{expected}）：只能提交本中心登记簿产生的事件，本批次未保存任何内容"
            ),
            Error::EnrolCodeUnknown => {
                "注册码无效：请核对县信访局提供的注册码（字母和数字，横线可省略）".into()
            }
            Error::EnrolCodeUsed { at } => format!(
                "该注册码已于 {} 使用过，每个注册码只能使用一次；如需重新注册，请联系县信访局重新生成注册码",
                crate::clock::display(at)
            ),
            Error::EnrolCodeExpired { at } => format!(
                "该注册码已于 {} 过期（有效期 72 小时）；请联系县信访局重新生成注册码",
                crate::clock::display(at)
            ),
            Error::CentreMismatch { found, expected } => format!(
                "本中心代码 {found} 与县信访局登记的 {expected} 不一致：请确认注册码是发给本中心的"
            ),
            Error::OriginTaken(origin) => {
                format!("登记簿标识 {origin} 已由另一个在用的接待中心注册，不能重复注册")
            }
            Error::CentreCodeTaken(code) => {
                format!("中心代码 {code} 已有在用的接待中心；如需重新注册，请先撤销原中心")
            }
            Error::NotSyncable(kind) => {
                format!("{kind} 类事件涉及用户账号和密码，不在县级同步范围内")
            }
            Error::BatchTooLarge { count, max } => {
                format!("一次提交了 {count} 条事件，超过上限 {max} 条，请分批提交")
            }
            Error::TooLarge { max_kib } => {
                format!("提交的内容过大（上限 {max_kib} KB），请分批提交")
            }
            Error::Forbidden { .. } => {
                "状态页只对县级枢纽本机开放（启动时加 --status-page-open 可对网络开放）".into()
            }
            Error::NoEndpoint(path) => format!("没有这个接口：{path}"),
            Error::WrongMethod(path) => format!("这个接口不接受这种请求方式：{path}"),
            Error::NotFound { what, id } => format!("找不到{what}：{id}"),
            Error::Bundle { message, .. } => message.clone(),
            Error::SchemaTooNew { found, supported } => format!(
                "数据库版本（{found}）高于本程序支持的版本（{supported}），请升级县级枢纽程序"
            ),
            Error::StoreUnavailable(detail) => format!(
                "县级枢纽暂时无法使用其 PostgreSQL 数据库，本次请求未保存任何内容，请稍后重试；请管理员检查 --database 地址、账号和数据库服务：{detail}"
            ),
            Error::Db(_)
            | Error::Postgres(_)
            | Error::Io(_)
            | Error::Json(_)
            | Error::Internal(_) => {
                format!("县级枢纽内部错误，本次请求未保存任何内容：{self}")
            }
        }
    }

    /// The wire form `{code, message, field}`.
    pub fn to_wire(&self) -> WireError {
        WireError {
            code: self.code().to_owned(),
            message: self.message_zh(),
            field: self.field(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_carry_a_chinese_message_and_a_field() {
        let err = Error::EnrolCodeUsed {
            at: "2026-11-28T07:30:00.000Z".into(),
        };
        let wire = err.to_wire();
        assert_eq!(wire.code, "enrolment_code_used");
        assert_eq!(wire.field.as_deref(), Some("code"));
        assert!(wire.message.contains("只能使用一次"), "{}", wire.message);
        assert!(
            wire.message.contains("2026-11-28 15:30"),
            "China time: {}",
            wire.message
        );
        assert_eq!(err.http_status(), 422);
        assert!(err.is_refusal());
        assert!(!Error::Internal("x".into()).is_refusal());
    }
}
