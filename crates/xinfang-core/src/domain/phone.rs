//! Contact telephone numbers of petitioners: mainland mobiles and landlines (domain.md §5.2).
//!
//! Validation is deliberately loose: a mobile is any 11-digit number starting 13–19, because
//! carriers keep opening new ranges and a refused number means a petitioner who cannot get the
//! 查询码 SMS. Ranges outside the known allocation only produce a warning for the clerk.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Whether a number is a mobile (can receive the 查询码 SMS) or a landline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PhoneKind {
    /// 手机: 11 digits starting with 1.
    Mobile,
    /// 固定电话: area code, number and optional extension.
    Landline,
}

/// A validated telephone number in normalised form.
///
/// Mobiles are 11 digits without a country prefix (`13812345678`); landlines are area code, a
/// hyphen and the local number, then `-` and the extension if any (`0571-12345678-123`).
/// `Debug` prints the masked form so that numbers do not end up in logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Phone {
    number: String,
    kind: PhoneKind,
    /// Set when the number is acceptable but unusual enough to read back to the petitioner.
    warning: Option<String>,
}

impl Phone {
    /// The normalised number.
    pub fn as_str(&self) -> &str {
        &self.number
    }

    /// Mobile or landline.
    pub fn kind(&self) -> PhoneKind {
        self.kind
    }

    /// A Chinese note for the clerk when the number is accepted but looks unusual.
    pub fn warning_zh(&self) -> Option<&str> {
        self.warning.as_deref()
    }

    /// The number with its middle hidden: `138****5678`, or `0571-****5678` for a landline.
    pub fn masked(&self) -> String {
        match self.kind {
            PhoneKind::Mobile => format!("{}****{}", &self.number[..3], &self.number[7..]),
            PhoneKind::Landline => {
                // Keep the area code and extension: they name an exchange or an office, not a
                // person. Hide all but the last four digits of the local number.
                let mut parts = self.number.split('-');
                let area = parts.next().unwrap_or_default();
                let local = parts.next().unwrap_or_default();
                let hidden = local.len().saturating_sub(4);
                let mut out = format!("{area}-{}{}", "*".repeat(hidden), &local[hidden..]);
                if let Some(ext) = parts.next() {
                    out.push('-');
                    out.push_str(ext);
                }
                out
            }
        }
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Phone")
            .field("number", &self.masked())
            .field("kind", &self.kind)
            .field("warning", &self.warning)
            .finish()
    }
}

/// Why a telephone number was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Nothing was entered.
    #[error("phone number is empty")]
    Empty,
    /// Neither a mobile nor a landline number.
    #[error("not a mainland mobile or landline number")]
    Invalid,
}

impl PhoneError {
    /// A complete Chinese sentence telling the clerk what is wrong.
    pub fn message_zh(&self) -> String {
        match self {
            PhoneError::Empty => "请输入联系电话".to_owned(),
            PhoneError::Invalid => "电话号码格式不正确：手机号码应为以 1 开头的11位数字，\
                固定电话应为区号加7至8位号码（如 0571-12345678）"
                .to_owned(),
        }
    }
}

/// Parses a telephone number as typed at the desk.
///
/// Spaces and parentheses are ignored everywhere. For mobiles, hyphens and a `+86`, `86` or
/// `0086` prefix are ignored too. Landlines follow `0\d{2,3}-?\d{7,8}(-\d{1,6})?` and are
/// rewritten with the area code split by rule: `010` and `02x` have three digits, all other area
/// codes four. `转` before an extension is read as a hyphen, as clerks often write it that way.
pub fn parse_phone(input: &str) -> Result<Phone, PhoneError> {
    let cleaned = clean(input);
    if cleaned.is_empty() {
        return Err(PhoneError::Empty);
    }
    if let Some(mobile) = parse_mobile(&cleaned) {
        return Ok(mobile);
    }
    parse_landline(&cleaned).ok_or(PhoneError::Invalid)
}

/// Drops spaces and parentheses and maps full-width characters and dash look-alikes to ASCII.
fn clean(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '(' | ')' | '（' | '）'))
        .map(|c| match c {
            '０'..='９' => char::from_u32(u32::from(c) - u32::from('０') + u32::from('0'))
                .expect("full-width digits map onto ASCII digits"),
            '－' | '—' | '–' | '转' => '-',
            '＋' => '+',
            other => other,
        })
        .collect()
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Recognises `1[3-9]\d{9}` after removing hyphens and an optional country prefix.
fn parse_mobile(cleaned: &str) -> Option<Phone> {
    let joined: String = cleaned.chars().filter(|c| *c != '-').collect();
    let national = if let Some(rest) = joined.strip_prefix("+86") {
        rest
    } else if joined.len() == 13 && joined.starts_with("86") {
        &joined[2..]
    } else if joined.len() == 15 && joined.starts_with("0086") {
        &joined[4..]
    } else {
        &joined
    };
    let bytes = national.as_bytes();
    let shape_ok = bytes.len() == 11
        && all_digits(national)
        && bytes[0] == b'1'
        && (b'3'..=b'9').contains(&bytes[1]);
    if !shape_ok {
        return None;
    }
    let prefix = &national[..3];
    let warning =
        (!is_allocated_prefix(prefix)).then(|| format!("号段 {prefix} 不常见，请与来访人核对"));
    Some(Phone {
        number: national.to_owned(),
        kind: PhoneKind::Mobile,
        warning,
    })
}

/// Whether a three-digit mobile prefix is in a range known to be issued (domain.md §5.2):
/// 13x, 145–149, 15[0-3,5-9], 16[2,5,6,7], 17[0-8], 18x, 19[0-3,5-9].
fn is_allocated_prefix(prefix: &str) -> bool {
    let Ok(n) = prefix.parse::<u16>() else {
        return false;
    };
    matches!(
        n,
        130..=139
            | 145..=149
            | 150..=153
            | 155..=159
            | 162
            | 165..=167
            | 170..=178
            | 180..=189
            | 190..=193
            | 195..=199
    )
}

/// Recognises `0\d{2,3}-?\d{7,8}(-\d{1,6})?` and normalises it to `area-number[-ext]`.
fn parse_landline(cleaned: &str) -> Option<Phone> {
    if !cleaned.starts_with('0') {
        return None;
    }
    let parts: Vec<&str> = cleaned.split('-').collect();
    if !parts.iter().all(|p| all_digits(p)) {
        return None;
    }
    let is_area = |p: &str| (3..=4).contains(&p.len());
    let is_local = |p: &str| (7..=8).contains(&p.len());
    let is_whole = |p: &str| (10..=12).contains(&p.len());
    let is_ext = |p: &str| (1..=6).contains(&p.len());
    // The pattern's optional pieces give these shapes once split on hyphens; the part lengths
    // keep "area-number" and "areanumber-ext" apart because they cannot overlap.
    let (national, ext) = match parts.as_slice() {
        [whole] if is_whole(whole) => ((*whole).to_owned(), None),
        [area, local] if is_area(area) && is_local(local) => (format!("{area}{local}"), None),
        [whole, ext] if is_whole(whole) && is_ext(ext) => ((*whole).to_owned(), Some(*ext)),
        [area, local, ext] if is_area(area) && is_local(local) && is_ext(ext) => {
            (format!("{area}{local}"), Some(*ext))
        }
        _ => return None,
    };
    // Split by the numbering plan, not by where the person typed the hyphen.
    let area_len = if national.starts_with("010") || national.starts_with("02") {
        3
    } else {
        4
    };
    let (area, local) = national.split_at(area_len);
    if !is_local(local) {
        return None;
    }
    let mut number = format!("{area}-{local}");
    if let Some(ext) = ext {
        number.push('-');
        number.push_str(ext);
    }
    Some(Phone {
        number,
        kind: PhoneKind::Landline,
        warning: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str) -> Phone {
        parse_phone(input).unwrap_or_else(|e| panic!("{input:?} should parse: {e}"))
    }

    #[test]
    fn plain_mobile_number_is_accepted_without_warning() {
        let phone = ok("13812345678");
        assert_eq!(phone.as_str(), "13812345678");
        assert_eq!(phone.kind(), PhoneKind::Mobile);
        assert_eq!(phone.warning_zh(), None);
    }

    #[test]
    fn mobile_with_spaces_hyphens_and_country_prefix_is_normalised() {
        for input in [
            "138 1234 5678",
            "138-1234-5678",
            "+86 138 1234 5678",
            "+86-13812345678",
            "8613812345678",
            "008613812345678",
            "(+86)13812345678",
            "１３８１２３４５６７８",
        ] {
            assert_eq!(ok(input).as_str(), "13812345678", "{input:?}");
        }
    }

    #[test]
    fn every_allocated_range_is_accepted_without_warning() {
        for prefix in [
            "130", "139", "145", "149", "150", "153", "155", "159", "162", "165",
        ] {
            assert_eq!(
                ok(&format!("{prefix}12345678")).warning_zh(),
                None,
                "{prefix}"
            );
        }
        for prefix in [
            "166", "167", "170", "178", "180", "189", "190", "192", "193", "195",
        ] {
            assert_eq!(
                ok(&format!("{prefix}12345678")).warning_zh(),
                None,
                "{prefix}"
            );
        }
        assert_eq!(ok("19912345678").warning_zh(), None);
    }

    #[test]
    fn unusual_mobile_range_is_accepted_with_a_warning() {
        for prefix in [
            "140", "144", "154", "160", "161", "163", "164", "168", "169", "179", "194",
        ] {
            let phone = ok(&format!("{prefix}12345678"));
            assert_eq!(phone.kind(), PhoneKind::Mobile);
            let expected = format!("号段 {prefix} 不常见，请与来访人核对");
            assert_eq!(phone.warning_zh(), Some(expected.as_str()));
        }
    }

    #[test]
    fn mobile_with_wrong_length_or_second_digit_is_refused() {
        for input in [
            "1381234567",
            "138123456789",
            "12812345678",
            "10812345678",
            "+8512345678901",
        ] {
            assert_eq!(parse_phone(input), Err(PhoneError::Invalid), "{input:?}");
        }
    }

    #[test]
    fn four_digit_area_code_landline_is_split_after_four_digits() {
        for input in [
            "0571-12345678",
            "057112345678",
            "(0571)12345678",
            "0571 1234 5678",
        ] {
            let phone = ok(input);
            assert_eq!(phone.as_str(), "0571-12345678", "{input:?}");
            assert_eq!(phone.kind(), PhoneKind::Landline);
            assert_eq!(phone.warning_zh(), None);
        }
    }

    #[test]
    fn beijing_and_02x_area_codes_have_three_digits() {
        assert_eq!(ok("01012345678").as_str(), "010-12345678");
        assert_eq!(ok("021-87654321").as_str(), "021-87654321");
        assert_eq!(ok("02087654321").as_str(), "020-87654321");
    }

    #[test]
    fn area_code_is_split_by_rule_even_when_the_hyphen_is_misplaced() {
        assert_eq!(ok("057-11234567").as_str(), "0571-1234567");
    }

    #[test]
    fn seven_digit_local_numbers_are_accepted() {
        assert_eq!(ok("0931-1234567").as_str(), "0931-1234567");
    }

    #[test]
    fn landline_extension_is_kept_after_a_hyphen() {
        assert_eq!(ok("0571-12345678-123").as_str(), "0571-12345678-123");
        assert_eq!(ok("057112345678-9").as_str(), "0571-12345678-9");
        assert_eq!(ok("0571-12345678转8001").as_str(), "0571-12345678-8001");
    }

    #[test]
    fn malformed_landlines_are_refused() {
        for input in [
            "0571-123456",           // local number too short
            "0571-123456789",        // local number too long
            "05-12345678",           // area code too short
            "0571-12345678-1234567", // extension too long
            "0571--12345678",        // empty part
            "571-12345678",          // no leading zero and not a mobile
            "010-123456789",         // nine digits after a three-digit area code
            "0571-1234567a",         // letter
        ] {
            assert_eq!(parse_phone(input), Err(PhoneError::Invalid), "{input:?}");
        }
    }

    #[test]
    fn empty_input_is_reported_as_empty() {
        assert_eq!(parse_phone(""), Err(PhoneError::Empty));
        assert_eq!(parse_phone("  ( ) "), Err(PhoneError::Empty));
        assert_eq!(PhoneError::Empty.message_zh(), "请输入联系电话");
        assert!(PhoneError::Invalid.message_zh().contains("11位"));
    }

    #[test]
    fn masked_hides_the_middle_digits() {
        assert_eq!(ok("13812345678").masked(), "138****5678");
        assert_eq!(ok("0571-12345678").masked(), "0571-****5678");
        assert_eq!(ok("010-1234567-12").masked(), "010-***4567-12");
        assert!(!format!("{:?}", ok("13812345678")).contains("1234"));
    }

    #[test]
    fn phone_kind_serialises_in_snake_case() {
        let json = serde_json::to_string(&PhoneKind::Landline).expect("serialise");
        assert_eq!(json, "\"landline\"");
    }
}
