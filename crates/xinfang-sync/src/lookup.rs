//! The cross-centre person lookup (`POST /api/v1/person-matters`): at check-in a centre asks
//! the hub whether the same person has matters at other centres in the county. The answer says
//! only where, when, which class and how far each got — never the content — and leaves out
//! 检举控告 matters altogether, since naming them would name a reporter (Art. 30(3)).

use serde::{Deserialize, Serialize};

/// The most matters one answer lists (newest first).
pub const MAX_MATTERS: usize = 50;

/// The question: a person by their ID number, as the desk normalised it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonMattersRequest {
    /// 证件号码 (18-digit resident ID in upper case, or another document's number).
    pub id_number: String,
}

/// One matter at another centre.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CentreMatter {
    /// The centre's code.
    pub centre_code: String,
    /// The centre's name.
    pub centre_name: String,
    /// 信访日期 (RFC 3339 UTC, as the centre registered it).
    pub received_at: String,
    /// 事项类别 code (suggestion, appeal_demand).
    pub matter_class: String,
    /// The handling steps recorded so far, oldest first (step kind codes), from which the desk
    /// tells the status.
    pub steps: Vec<String>,
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonMattersResponse {
    /// Newest first, at most [`MAX_MATTERS`].
    pub matters: Vec<CentreMatter>,
    /// More matched than are listed.
    #[serde(default)]
    pub truncated: bool,
}

/// Whether `id_number` is worth asking about: 6 to 32 ASCII letters and digits.
pub fn plausible_id_number(id_number: &str) -> bool {
    (6..=32).contains(&id_number.len()) && id_number.bytes().all(|b| b.is_ascii_alphanumeric())
}
