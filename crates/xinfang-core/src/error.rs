//! The error type of `xinfang-core` and the stable codes every adapter (CLI, HTTP, Tauri) sends.
//!
//! A clerk sees `message` (Chinese, written for them); the UI branches on `code` and highlights
//! `field`. Codes are part of the wire contract: add new ones, never rename old ones.

use serde::Serialize;

/// Everything that can go wrong in the core.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input that fails a domain rule; `code` says which rule, `field` where.
    #[error("{field}: {message}")]
    Field {
        /// Stable error code, e.g. `invalid_id_number`.
        code: &'static str,
        /// Path of the offending input field (`petitioners[0].id_number`).
        field: String,
        /// Chinese explanation for the clerk.
        message: String,
    },
    /// The request itself is malformed (not JSON, wrong type, unknown field).
    #[error("bad input at {field}: {message}")]
    BadInput {
        /// Where in the input; empty for the whole body.
        field: String,
        /// Chinese explanation.
        message: String,
    },
    /// No operation of that name.
    #[error("unknown operation {0}")]
    UnknownOperation(String),
    /// The record asked for does not exist.
    #[error("{what} {id} not found")]
    NotFound {
        /// What kind of record (Chinese noun, e.g. 信访事项).
        what: &'static str,
        /// The id or number that was asked for.
        id: String,
    },
    /// No valid session or wrong credentials.
    #[error("unauthenticated: {0}")]
    Unauthenticated(String),
    /// The account may not do this now: `locked` (too many failed sign-ins), `disabled`,
    /// `password_change_required` (an initial or reset password not yet changed).
    #[error("{code}: {message}")]
    Account {
        /// Stable error code.
        code: &'static str,
        /// Chinese explanation (when a lockout ends, who to ask).
        message: String,
    },
    /// The user's role may not run this operation.
    #[error("role {role} may not run {operation}")]
    Forbidden {
        /// The operation name.
        operation: String,
        /// The role's Chinese name.
        role: String,
    },
    /// The request conflicts with what is stored (duplicate user name, already linked, ...).
    #[error("conflict at {field}: {message}")]
    Conflict {
        /// The conflicting input field.
        field: String,
        /// Chinese explanation.
        message: String,
    },
    /// The database file was written by a newer version of the app.
    #[error("database schema {found} is newer than this app supports ({supported})")]
    SchemaTooNew {
        /// `user_version` found in the file.
        found: u32,
        /// The highest version this binary knows.
        supported: u32,
    },
    /// The register has not been initialised (`xinfang init`).
    #[error("register not initialised")]
    NotInitialised,
    /// The register cannot be unlocked or a backup cannot be used: `register_key_wrong`,
    /// `register_key_missing`, `register_passphrase_required`, `backup_invalid` …
    #[error("{code}: {message}")]
    Key {
        /// Stable error code.
        code: &'static str,
        /// Chinese explanation, with what to do.
        message: String,
    },
    /// SQLite failed.
    #[error(transparent)]
    Db(#[from] rusqlite::Error),
    /// File system failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// JSON (de)serialisation of stored data failed; a bug or a corrupted row.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// An invariant did not hold; the message names it.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Shorthand used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What a failed operation looks like on every wire: `{code, message, field}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct ApiError {
    /// Stable machine code; the UI decides on this, never on `message`.
    pub code: String,
    /// Chinese text for the user.
    pub message: String,
    /// Input field the error belongs to, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl Error {
    /// A validation failure at `field`.
    pub fn field(
        code: &'static str,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Error {
        Error::Field {
            code,
            field: field.into(),
            message: message.into(),
        }
    }

    /// A required field that is empty.
    pub fn required(field: impl Into<String>, label: &str) -> Error {
        Error::field("required", field, format!("请填写{label}"))
    }

    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Field { code, .. } => code,
            Error::BadInput { .. } => "bad_input",
            Error::UnknownOperation(_) => "unknown_operation",
            Error::NotFound { .. } => "not_found",
            Error::Unauthenticated(_) => "unauthenticated",
            Error::Account { code, .. } => code,
            Error::Forbidden { .. } => "forbidden",
            Error::Conflict { .. } => "conflict",
            Error::SchemaTooNew { .. } => "schema_too_new",
            Error::NotInitialised => "not_initialised",
            Error::Key { code, .. } => code,
            Error::Db(_) | Error::Io(_) | Error::Json(_) | Error::Internal(_) => "internal",
        }
    }

    /// How an HTTP adapter should answer this error.
    pub fn http_status(&self) -> u16 {
        match self {
            Error::Field { .. } | Error::BadInput { .. } => 422,
            Error::UnknownOperation(_) | Error::NotFound { .. } => 404,
            Error::Unauthenticated(_) => 401,
            Error::Account { .. } | Error::Forbidden { .. } => 403,
            Error::Conflict { .. } => 409,
            Error::SchemaTooNew { .. } | Error::NotInitialised | Error::Key { .. } => 503,
            Error::Db(_) | Error::Io(_) | Error::Json(_) | Error::Internal(_) => 500,
        }
    }

    /// The serialisable form with a Chinese message.
    pub fn to_api(&self) -> ApiError {
        let (message, field) = match self {
            Error::Field { field, message, .. } => (message.clone(), Some(field.clone())),
            Error::BadInput { field, message } => {
                (message.clone(), (!field.is_empty()).then(|| field.clone()))
            }
            Error::UnknownOperation(name) => (format!("没有名为 {name} 的操作"), None),
            Error::NotFound { what, id } => (format!("找不到{what}：{id}"), None),
            Error::Unauthenticated(why) => (why.clone(), None),
            Error::Account { message, .. } => (message.clone(), None),
            Error::Forbidden { operation, role } => {
                (format!("{role}无权执行此操作（{operation}）"), None)
            }
            Error::Conflict { field, message } => (message.clone(), Some(field.clone())),
            Error::SchemaTooNew { found, supported } => (
                format!(
                    "数据库版本（{found}）高于本程序支持的版本（{supported}），请升级信访接待台后再打开"
                ),
                None,
            ),
            Error::NotInitialised => ("登记簿尚未初始化，请先运行 xinfang init".to_owned(), None),
            Error::Key { message, .. } => (message.clone(), None),
            Error::Db(_) | Error::Io(_) | Error::Json(_) | Error::Internal(_) => {
                (format!("系统内部错误，数据未保存：{self}"), None)
            }
        };
        ApiError {
            code: self.code().to_owned(),
            message,
            field,
        }
    }
}
