//! The proof every document carries: case number, 查询码, a short hash of the content, and a
//! QR code encoding the three, so a printed copy can be matched to the register.

use qrcode::{Color, EcLevel, QrCode};
use sha2::{Digest, Sha256};

use crate::compose::{Composed, Resolved};
use crate::error::{Error, Result};

/// Number of hex digits of the content hash printed and encoded (48 bits: enough to tell two
/// versions of a letter apart, short enough to read out on the phone).
pub const SHORT_HASH_LEN: usize = 12;

/// The proof of one document.
#[derive(Debug, Clone)]
pub(crate) struct Proof {
    pub case_number: Option<String>,
    pub query_code: Option<String>,
    /// SHA-256 (hex) of the document's text content.
    pub content_hash: String,
    /// What the QR code encodes.
    pub payload: String,
    /// QR modules, row-major, `true` for dark, without the quiet zone.
    pub modules: Vec<bool>,
    /// Modules per side.
    pub width: usize,
}

impl Proof {
    pub fn short_hash(&self) -> &str {
        &self.content_hash[..SHORT_HASH_LEN]
    }
}

/// The text a document's hash covers: kind, template version and every printed block, in
/// order. Layout (fonts, line breaks, page size) is deliberately outside it, so the same
/// letter printed with another font keeps its hash.
pub(crate) fn content_text(composed: &Composed) -> String {
    let mut out = format!("{}\n{}\n", composed.kind.code(), composed.version);
    for block in &composed.blocks {
        let line = match block {
            Resolved::Title(text)
            | Resolved::Para(text)
            | Resolved::Cut(text)
            | Resolved::SignLine(text) => text.clone(),
            Resolved::Line { text, .. } => text.clone(),
            Resolved::Blank(_) => continue,
            Resolved::Signature { lines, date } => format!("{}\n{date}", lines.join("\n")),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

pub(crate) fn proof(composed: &Composed) -> Result<Proof> {
    let content_hash = hex(&Sha256::digest(content_text(composed).as_bytes()));
    let mut payload = format!("XFDESK1;k={}", composed.kind.code());
    if let Some(case) = &composed.case_number {
        payload.push_str(&format!(";c={case}"));
    }
    if let Some(code) = &composed.query_code {
        payload.push_str(&format!(";q={code}"));
    }
    payload.push_str(&format!(";h={}", &content_hash[..SHORT_HASH_LEN]));
    // Level M survives a crease or a smudge on a thermal ticket and keeps the code small.
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)
        .map_err(|err| Error::Qr(err.to_string()))?;
    let modules = code
        .to_colors()
        .into_iter()
        .map(|color| color == Color::Dark)
        .collect();
    Ok(Proof {
        case_number: composed.case_number.clone(),
        query_code: composed.query_code.clone(),
        content_hash,
        payload,
        modules,
        width: code.width(),
    })
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
