//! The error type of `xinfang-letters`: stable codes for the UI, Chinese messages for the clerk.

use std::path::PathBuf;

/// Everything that can stop a document from being rendered.
///
/// `code()` is the stable classification the UI branches on; `message_zh()` is the sentence
/// shown to the clerk. The `Display` text is for logs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A template names a placeholder that is neither one of its declared fields nor, inside an
    /// `each` block, a column of the list.
    #[error("template {kind} uses unknown field {{{field}}}")]
    TemplateUnknownField { kind: String, field: String },
    /// A template file could not be parsed or breaks a structural rule.
    #[error("template {kind} is invalid: {reason}")]
    TemplateInvalid { kind: String, reason: String },
    /// A required field of the document is missing or blank.
    #[error("field {field} is required for {kind}")]
    FieldRequired {
        kind: String,
        field: String,
        /// The field's Chinese label, for the message.
        label: String,
    },
    /// A field has a value of the wrong shape (a bad date, a list where text was expected, a
    /// decision outside the allowed words, ...).
    #[error("field {field} of {kind} is invalid: {reason}")]
    FieldInvalid {
        kind: String,
        field: String,
        /// The field's Chinese label, for the message.
        label: String,
        reason: String,
    },
    /// The caller passed a field the document kind does not know; usually a typo in wiring.
    #[error("field {field} is not a field of {kind}")]
    FieldUnknown { kind: String, field: String },
    /// The font chosen for the document has no glyph for these characters.
    #[error("font {font} lacks glyphs for {}", describe_missing(.chars))]
    MissingGlyph {
        font: String,
        chars: Vec<MissingChar>,
    },
    /// A font file could not be read or parsed.
    #[error("font {path}: {reason}")]
    Font { path: PathBuf, reason: String },
    /// No directory holds the bundled fonts.
    #[error("bundled fonts not found in any of {searched:?}")]
    FontsNotFound { searched: Vec<PathBuf> },
    /// The QR payload could not be encoded (it is far too long).
    #[error("qr code: {0}")]
    Qr(String),
    /// Reading a template or font file failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// One character the font cannot print, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MissingChar {
    /// The character itself.
    pub ch: char,
    /// Its code point as `U+XXXX`, for the clerk to look up or report.
    pub code_point: String,
    /// The field whose value contains it, or `None` for template wording.
    pub field: Option<String>,
}

fn describe_missing(chars: &[MissingChar]) -> String {
    chars
        .iter()
        .map(|it| match &it.field {
            Some(field) => format!("{} {} in {field}", it.ch, it.code_point),
            None => format!("{} {} in template text", it.ch, it.code_point),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl Error {
    /// The stable code. Adding a variant is fine; renaming a code breaks the UI.
    pub fn code(&self) -> &'static str {
        match self {
            Error::TemplateUnknownField { .. } => "template_unknown_field",
            Error::TemplateInvalid { .. } => "template_invalid",
            Error::FieldRequired { .. } => "field_required",
            Error::FieldInvalid { .. } => "field_invalid",
            Error::FieldUnknown { .. } => "field_unknown",
            Error::MissingGlyph { .. } => "missing_glyph",
            Error::Font { .. } => "font_invalid",
            Error::FontsNotFound { .. } => "fonts_not_found",
            Error::Qr(_) => "qr_failed",
            Error::Io { .. } => "io",
        }
    }

    /// The input field the error is about, for the UI to highlight.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::TemplateUnknownField { field, .. }
            | Error::FieldRequired { field, .. }
            | Error::FieldInvalid { field, .. }
            | Error::FieldUnknown { field, .. } => Some(field),
            Error::MissingGlyph { chars, .. } => chars.iter().find_map(|it| it.field.as_deref()),
            _ => None,
        }
    }

    /// The sentence shown to the clerk.
    pub fn message_zh(&self) -> String {
        match self {
            Error::TemplateUnknownField { kind, field } => {
                format!("文书模板“{kind}”引用了未定义的字段“{field}”，请检查模板文件")
            }
            Error::TemplateInvalid { kind, reason } => {
                format!("文书模板“{kind}”格式有误：{reason}")
            }
            Error::FieldRequired { kind, label, .. } => {
                format!("生成“{kind}”需要填写“{label}”，该项为空")
            }
            Error::FieldInvalid {
                kind,
                label,
                reason,
                ..
            } => {
                format!("“{kind}”的“{label}”填写有误：{reason}")
            }
            Error::FieldUnknown { kind, field } => {
                format!("“{kind}”没有名为“{field}”的字段")
            }
            Error::MissingGlyph { font, chars } => {
                let listed = chars
                    .iter()
                    .map(|it| match &it.field {
                        Some(field) => format!("“{}”（{}，字段 {field}）", it.ch, it.code_point),
                        None => format!("“{}”（{}，模板文字）", it.ch, it.code_point),
                    })
                    .collect::<Vec<_>>()
                    .join("、");
                format!(
                    "字体 {font} 缺少以下字符，打印会出现空白方框：{listed}。请改用含这些字的字体，或按规定写法录入"
                )
            }
            Error::Font { path, reason } => {
                format!("字体文件 {} 无法使用：{reason}", path.display())
            }
            Error::FontsNotFound { .. } => "找不到文书字体文件，请重新安装本程序".to_string(),
            Error::Qr(reason) => format!("二维码生成失败：{reason}"),
            Error::Io { path, source } => format!("读取文件 {} 失败：{source}", path.display()),
        }
    }
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
