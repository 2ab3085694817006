//! What the county sends down (交办, 转送, 督办, 催办, the holiday calendar): the event kinds and
//! the shape of their payloads, shared so the hub can refuse a malformed directive when the
//! county administrator publishes it, instead of a township desk finding out days later.
//!
//! The hub checks the envelope only ([`check`]); the centre validates the matter itself with the
//! same rules as a clerk's registration, because only the centre knows its code tables.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// 交办: the county assigns a matter to the centre, with a feedback date.
pub const ASSIGNMENT: &str = "county.assignment";
/// 转送: the county forwards a matter that belongs to the centre.
pub const FORWARD: &str = "county.forward";
/// 督办: formal supervision of a matter the centre already has.
pub const SUPERVISION: &str = "county.supervision";
/// 催办: a reminder about a matter the centre already has.
pub const REMINDER: &str = "county.reminder";
/// 更正: the county corrects one field of a matter the centre registered, saying what value it
/// saw; when the centre changed the same field meanwhile, the centre keeps both and a
/// supervisor decides.
pub const CORRECTION: &str = "county.correction";
/// A year of the national holiday schedule (the desk's `calendar_import` input).
pub const CALENDAR: &str = "county.calendar";
/// The county's local holiday overlay, replaced as a whole (`calendar_overlay_set` input).
pub const CALENDAR_OVERLAY: &str = "county.calendar_overlay";

/// Payload of [`ASSIGNMENT`] and [`FORWARD`]: a matter the centre does not have yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Referral {
    /// 文号 of the county's 交办单 / 转送单 (`县信访局交〔2026〕12号`).
    pub reference: String,
    /// The county office that sent it (`某某县信访局`).
    pub from_unit: String,
    /// 限期 (`YYYY-MM-DD`): when the county wants the result or feedback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_on: Option<String>,
    /// 交办意见 / 转送说明.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The matter, in the same form as a clerk's registration (`matter_register` input), with
    /// new petitioners given by their details (the county cannot know the centre's person ids).
    pub matter: serde_json::Value,
}

/// Payload of [`SUPERVISION`] and [`REMINDER`]: about a matter the centre registered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Directive {
    /// 文号 of the 督办单 / 催办单.
    pub reference: String,
    /// The county office that sent it.
    pub from_unit: String,
    /// The centre's matter (its id, as the centre pushed it to the hub).
    pub matter_id: Uuid,
    /// 督办意见 / 催办内容.
    pub message: String,
    /// 限期 (`YYYY-MM-DD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_on: Option<String>,
}

/// The fields of a matter the county may correct: classifications the county reviews, never
/// what the petitioner said.
pub const CORRECTABLE_FIELDS: &[&str] = &["content_category", "region_code", "involved_units"];

/// Payload of [`CORRECTION`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Correction {
    /// 文号 of the correction notice.
    pub reference: String,
    /// The county office that sent it.
    pub from_unit: String,
    /// The centre's matter.
    pub matter_id: Uuid,
    /// One of [`CORRECTABLE_FIELDS`].
    pub field: String,
    /// The value the county saw (as the centre last pushed it); `None` for empty.
    #[serde(default)]
    pub was: Option<String>,
    /// The corrected value; `None` clears the field.
    #[serde(default)]
    pub value: Option<String>,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A payload that does not fit its kind: the field and a Chinese sentence for the person who
/// published it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The payload field (`due_on`, `matter`), or `payload` for the whole.
    pub field: String,
    /// What is wrong, in Chinese.
    pub message: String,
}

fn invalid(field: &str, message: impl Into<String>) -> Invalid {
    Invalid {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// Whether `text` is a plain `YYYY-MM-DD` date with a possible month and day. The centre parses
/// it properly; this only keeps an obvious typo from leaving the hub.
pub fn is_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    if !text.is_ascii() || bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = &text[range];
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    matches!(
        (digits(0..4), digits(5..7), digits(8..10)),
        (Some(_), Some(1..=12), Some(1..=31))
    )
}

fn check_common(reference: &str, from_unit: &str, due_on: Option<&str>) -> Result<(), Invalid> {
    if reference.trim().is_empty() {
        return Err(invalid("reference", "请填写文号"));
    }
    if from_unit.trim().is_empty() {
        return Err(invalid("from_unit", "请填写发文单位"));
    }
    if let Some(due) = due_on
        && !is_date(due)
    {
        return Err(invalid("due_on", "限期应为 YYYY-MM-DD 格式的日期"));
    }
    Ok(())
}

/// Parses a [`Referral`] and checks its envelope.
pub fn referral(payload: &serde_json::Value) -> Result<Referral, Invalid> {
    let referral: Referral = serde_json::from_value(payload.clone())
        .map_err(|e| invalid("payload", format!("交办/转送内容格式不对：{e}")))?;
    check_common(
        &referral.reference,
        &referral.from_unit,
        referral.due_on.as_deref(),
    )?;
    if !referral.matter.is_object() {
        return Err(invalid("matter", "请附上信访事项内容（JSON 对象）"));
    }
    Ok(referral)
}

/// Parses a [`Directive`] and checks its envelope.
pub fn directive(payload: &serde_json::Value) -> Result<Directive, Invalid> {
    let directive: Directive = serde_json::from_value(payload.clone())
        .map_err(|e| invalid("payload", format!("督办/催办内容格式不对：{e}")))?;
    check_common(
        &directive.reference,
        &directive.from_unit,
        directive.due_on.as_deref(),
    )?;
    if directive.message.trim().is_empty() {
        return Err(invalid("message", "请填写督办或催办意见"));
    }
    Ok(directive)
}

/// Parses a [`Correction`] and checks its envelope.
pub fn correction(payload: &serde_json::Value) -> Result<Correction, Invalid> {
    let correction: Correction = serde_json::from_value(payload.clone())
        .map_err(|e| invalid("payload", format!("更正内容格式不对：{e}")))?;
    check_common(&correction.reference, &correction.from_unit, None)?;
    if !CORRECTABLE_FIELDS.contains(&correction.field.as_str()) {
        return Err(invalid(
            "field",
            format!(
                "县级只能更正内容分类、问题属地和涉及单位（{}），不能更正 {}",
                CORRECTABLE_FIELDS.join("、"),
                correction.field
            ),
        ));
    }
    Ok(correction)
}

/// Checks a county event's payload for the kinds above; other kinds (code tables, templates,
/// kinds a later release adds) pass, since the hub only stores and routes them.
pub fn check(kind: &str, payload: &serde_json::Value) -> Result<(), Invalid> {
    match kind {
        ASSIGNMENT | FORWARD => referral(payload).map(drop),
        SUPERVISION | REMINDER => directive(payload).map(drop),
        CORRECTION => correction(payload).map(drop),
        CALENDAR | CALENDAR_OVERLAY if !payload.is_object() => {
            Err(invalid("payload", "节假日安排应为 JSON 对象"))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_referral_needs_a_reference_a_unit_a_date_and_a_matter() {
        let good = json!({
            "reference": "县信访局交〔2026〕12号",
            "from_unit": "某某县信访局",
            "due_on": "2026-12-20",
            "matter": {"channel": "letter"},
        });
        assert!(check(ASSIGNMENT, &good).is_ok());
        let mut blank = good.clone();
        blank["reference"] = json!("  ");
        assert_eq!(check(FORWARD, &blank).unwrap_err().field, "reference");
        let mut bad_date = good.clone();
        bad_date["due_on"] = json!("2026-13-01");
        assert_eq!(check(ASSIGNMENT, &bad_date).unwrap_err().field, "due_on");
        let mut no_matter = good.clone();
        no_matter["matter"] = json!("见附件");
        assert_eq!(check(ASSIGNMENT, &no_matter).unwrap_err().field, "matter");
        let mut extra = good;
        extra["secret"] = json!(1);
        assert_eq!(check(ASSIGNMENT, &extra).unwrap_err().field, "payload");
    }

    #[test]
    fn a_directive_names_a_matter_and_says_something() {
        let good = json!({
            "reference": "县信访局督〔2026〕3号",
            "from_unit": "某某县信访局",
            "matter_id": Uuid::nil(),
            "message": "请于限期内办结并反馈",
        });
        assert!(check(SUPERVISION, &good).is_ok());
        let mut silent = good.clone();
        silent["message"] = json!("");
        assert_eq!(check(REMINDER, &silent).unwrap_err().field, "message");
        let mut no_matter = good;
        no_matter.as_object_mut().unwrap().remove("matter_id");
        assert_eq!(check(REMINDER, &no_matter).unwrap_err().field, "payload");
        assert!(check("county.codes", &json!({"anything": true})).is_ok());
    }

    #[test]
    fn a_correction_may_touch_only_the_reviewed_fields() {
        let good = json!({
            "reference": "县信访局更〔2026〕1号",
            "from_unit": "某某县信访局",
            "matter_id": Uuid::nil(),
            "field": "content_category",
            "was": "labour_wages",
            "value": "urban_rural",
        });
        assert!(check(CORRECTION, &good).is_ok());
        let mut request = good;
        request["field"] = json!("request");
        assert_eq!(check(CORRECTION, &request).unwrap_err().field, "field");
    }

    #[test]
    fn dates_are_checked_for_shape_only() {
        assert!(is_date("2027-02-28"));
        assert!(!is_date("2027-2-28"));
        assert!(!is_date("２０２７-02-28"));
        assert!(!is_date("2027-00-10"));
    }
}
