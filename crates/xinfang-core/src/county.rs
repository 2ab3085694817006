//! Taking what the county sent into the register: each pulled event waiting in `county_inbox`
//! is applied once, in order. A 交办 or 转送 becomes a matter of this centre (registered by the
//! same rules as a clerk's entry, with its statutory clocks); a 督办 or 催办 goes on the timeline
//! of the matter it names; a holiday schedule is imported as if an administrator had done it.
//!
//! Invariants:
//! - The effect and the inbox row's `applied_at` commit in one transaction, so a crash between
//!   pulling and applying, or in the middle, leaves every row either applied once or pending.
//! - A directive is applied at most once even if it reaches the inbox twice (a second sync, a
//!   USB bundle of the same events): `county_directives` is keyed by the hub event's id.
//! - A refusal the centre cannot fix by itself (a code its tables lack, a matter it never had)
//!   is recorded on the row with its code and Chinese message and does not stop the rows after
//!   it; an error of the register itself (disk, lock) stops the run and the row stays pending.
//! - Nothing here waits for the network: it only reads the inbox that the sync worker filled.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;
use xinfang_sync::county as wire;

use crate::{
    Error, Result,
    api::{MatterInput, Settings, register_matter_in},
    clock::fmt_utc,
    domain::calendar::{Calendar, CalendarDay, CalendarYear},
    events::{CountyDirectiveRecord, EventBody},
    register::Register,
};

/// The actor of everything applied from the county: the register names it 县级下发.
pub const COUNTY_ACTOR: &str = "county";

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// Rows applied.
    pub applied: usize,
    /// Rows refused (recorded on the row).
    pub refused: usize,
}

struct Pending {
    id: String,
    kind: String,
    payload: String,
    at: String,
}

/// Kinds this release takes into the register; every other kind is kept in the inbox only.
pub const APPLIED_KINDS: &[&str] = &[
    wire::ASSIGNMENT,
    wire::FORWARD,
    wire::SUPERVISION,
    wire::REMINDER,
    wire::CORRECTION,
    wire::CALENDAR,
    wire::CALENDAR_OVERLAY,
];

/// Applies every pending inbox row in cursor order.
pub fn apply_inbox(register: &mut Register) -> Result<Applied> {
    let mut done = Applied::default();
    // Reference data this release does not act on is marked in one statement: a county that
    // sends a large backlog of it must not cost a transaction per row.
    let known = APPLIED_KINDS
        .iter()
        .map(|k| format!("'{k}'"))
        .collect::<Vec<_>>()
        .join(", ");
    done.applied += register.conn().execute(
        &format!(
            "UPDATE county_inbox SET applied_at = ?1, outcome = ?2
             WHERE applied_at IS NULL AND error_code IS NULL AND kind NOT IN ({known})"
        ),
        params![fmt_utc(register.now()), ARCHIVED],
    )?;
    // The rest one at a time, each in its own transaction, so a long inbox never holds the
    // register for more than one directive. The partial index of 0017 keeps finding the next
    // one cheap however many rows are already done.
    while let Some(row) = next_pending(register)? {
        match apply_one(register, &row) {
            Ok(_) => done.applied += 1,
            Err(err) if err.http_status() < 500 => {
                done.refused += 1;
                let api = err.to_api();
                let message = match &api.field {
                    Some(field) => format!("{}（{field}）", api.message),
                    None => api.message,
                };
                register.conn().execute(
                    "UPDATE county_inbox SET error_code = ?2, error_message = ?3 WHERE id = ?1",
                    params![row.id, api.code, message],
                )?;
            }
            Err(err) => return Err(err),
        }
    }
    Ok(done)
}

const ARCHIVED: &str = "已存档（本版本不自动处理此类下发）";

/// A refused row is tried again (after the centre added a missing code, say).
pub fn retry(register: &mut Register, id: &str) -> Result<()> {
    let changed = register.conn().execute(
        "UPDATE county_inbox SET error_code = NULL, error_message = NULL
         WHERE id = ?1 AND applied_at IS NULL",
        [id],
    )?;
    if changed == 0 {
        return Err(Error::field(
            "not_found",
            "id",
            "没有这条未能处理的县级下发",
        ));
    }
    Ok(())
}

fn next_pending(register: &Register) -> Result<Option<Pending>> {
    Ok(register
        .conn()
        .query_row(
            "SELECT id, kind, payload, at FROM county_inbox
             WHERE applied_at IS NULL AND error_code IS NULL ORDER BY cursor, id LIMIT 1",
            [],
            |r| {
                Ok(Pending {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    payload: r.get(2)?,
                    at: r.get(3)?,
                })
            },
        )
        .optional()?)
}

fn refused(field: &str, message: impl Into<String>) -> Error {
    Error::field("county_directive_invalid", field, message)
}

fn from_wire(invalid: wire::Invalid) -> Error {
    refused(&invalid.field, invalid.message)
}

fn parse_due(due: Option<&str>) -> Result<Option<NaiveDate>> {
    due.map(|d| {
        NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| refused("due_on", format!("限期不是有效日期：{d}")))
    })
    .transpose()
}

fn issued_at(row: &Pending) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(&row.at)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| refused("at", format!("下发时间无法识别：{}", row.at)))
}

/// Marks a row applied with what it did; inside the directive's own transaction whenever the
/// directive changed the register.
fn mark_applied(
    conn: &rusqlite::Connection,
    id: &str,
    at: DateTime<Utc>,
    outcome: &str,
) -> Result<()> {
    conn.execute(
        "UPDATE county_inbox SET applied_at = ?2, outcome = ?3 WHERE id = ?1",
        params![id, fmt_utc(at), outcome],
    )?;
    Ok(())
}

fn already_applied(conn: &rusqlite::Connection, directive_id: Uuid) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT m.number FROM county_directives d JOIN matters m ON m.id = d.matter_id
             WHERE d.id = ?1",
            [directive_id.to_string()],
            |r| r.get(0),
        )
        .optional()?)
}

fn apply_one(register: &mut Register, row: &Pending) -> Result<String> {
    let payload: serde_json::Value = serde_json::from_str(&row.payload)?;
    let directive_id: Uuid = row
        .id
        .parse()
        .map_err(|_| refused("id", "下发事件编号无法识别"))?;
    match row.kind.as_str() {
        wire::ASSIGNMENT | wire::FORWARD => apply_referral(register, row, directive_id, &payload),
        wire::SUPERVISION | wire::REMINDER => {
            apply_directive(register, row, directive_id, &payload)
        }
        wire::CORRECTION => apply_correction(register, row, directive_id, &payload),
        wire::CALENDAR => apply_calendar(register, row, &payload),
        wire::CALENDAR_OVERLAY => apply_overlay(register, row, &payload),
        _ => {
            mark_applied(register.conn(), &row.id, register.now(), ARCHIVED)?;
            Ok(ARCHIVED.to_owned())
        }
    }
}

fn kind_code(kind: &str) -> &'static str {
    match kind {
        wire::ASSIGNMENT => "assignment",
        wire::FORWARD => "forward",
        wire::SUPERVISION => "supervision",
        wire::CORRECTION => "correction",
        _ => "reminder",
    }
}

fn kind_zh(kind: &str) -> &'static str {
    crate::api::county_kind_zh(kind_code(kind))
}

fn apply_referral(
    register: &mut Register,
    row: &Pending,
    directive_id: Uuid,
    payload: &serde_json::Value,
) -> Result<String> {
    let referral = wire::referral(payload).map_err(from_wire)?;
    let due_on = parse_due(referral.due_on.as_deref())?;
    let input: MatterInput = serde_json::from_value(referral.matter.clone())
        .map_err(|e| refused("matter", format!("信访事项内容格式不对：{e}")))?;
    // The county cannot know this register's ids: a person, visit or earlier matter named by
    // id would be a guess.
    if input.visit_id.is_some() || input.repeat_of.is_some() {
        return Err(refused(
            "matter",
            "县级下发的事项不能指定本中心的来访批次或重复件",
        ));
    }
    if input.petitioners.iter().any(|p| p.person_id.is_some()) {
        return Err(refused(
            "matter.petitioners",
            "县级下发的事项须写明信访人信息，不能引用本中心的人员编号",
        ));
    }
    let issued = issued_at(row)?;
    let settings = Settings::load(register.conn())?;
    let now = register.now();
    let matter_id = register.next_id();
    let zh = kind_zh(&row.kind);
    let row_id = row.id.clone();
    register.write(COUNTY_ACTOR, |w| {
        if let Some(number) = already_applied(w.conn(), directive_id)? {
            let outcome = format!("已登记为 {number}");
            mark_applied(w.conn(), &row_id, now, &outcome)?;
            return Ok(outcome);
        }
        register_matter_in(w, &settings, now, matter_id, input).map_err(|e| match e {
            Error::Field {
                code,
                field,
                message,
            } => Error::Field {
                code,
                field: format!("matter.{field}"),
                message,
            },
            other => other,
        })?;
        w.record(EventBody::CountyDirective(CountyDirectiveRecord {
            directive_id,
            kind: kind_code(&row.kind).to_owned(),
            matter_id,
            reference: referral.reference.trim().to_owned(),
            from_unit: referral.from_unit.trim().to_owned(),
            due_on,
            message: referral.note.clone().filter(|n| !n.trim().is_empty()),
            issued_at: issued,
        }))?;
        let number: String = w.conn().query_row(
            "SELECT number FROM matters WHERE id = ?1",
            [matter_id.to_string()],
            |r| r.get(0),
        )?;
        let outcome = format!("{zh}事项已登记为 {number}");
        mark_applied(w.conn(), &row_id, now, &outcome)?;
        Ok(outcome)
    })
}

fn apply_directive(
    register: &mut Register,
    row: &Pending,
    directive_id: Uuid,
    payload: &serde_json::Value,
) -> Result<String> {
    let directive = wire::directive(payload).map_err(from_wire)?;
    let due_on = parse_due(directive.due_on.as_deref())?;
    let issued = issued_at(row)?;
    let now = register.now();
    let zh = kind_zh(&row.kind);
    let row_id = row.id.clone();
    register.write(COUNTY_ACTOR, |w| {
        if let Some(number) = already_applied(w.conn(), directive_id)? {
            let outcome = format!("已记入 {number}");
            mark_applied(w.conn(), &row_id, now, &outcome)?;
            return Ok(outcome);
        }
        let number: Option<String> = w
            .conn()
            .query_row(
                "SELECT number FROM matters WHERE id = ?1",
                [directive.matter_id.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        let Some(number) = number else {
            return Err(Error::field(
                "county_matter_unknown",
                "matter_id",
                format!("本中心没有{zh}所指的信访事项（{}）", directive.matter_id),
            ));
        };
        w.record(EventBody::CountyDirective(CountyDirectiveRecord {
            directive_id,
            kind: kind_code(&row.kind).to_owned(),
            matter_id: directive.matter_id,
            reference: directive.reference.trim().to_owned(),
            from_unit: directive.from_unit.trim().to_owned(),
            due_on,
            message: Some(directive.message.trim().to_owned()),
            issued_at: issued,
        }))?;
        let outcome = format!("{zh}已记入 {number}");
        mark_applied(w.conn(), &row_id, now, &outcome)?;
        Ok(outcome)
    })
}

/// The current value of a correctable field (the column comes from the match, not the payload).
pub(crate) fn field_value(
    conn: &rusqlite::Connection,
    matter_id: Uuid,
    field: &str,
) -> Result<Option<Option<String>>> {
    let column = match field {
        "content_category" => "content_category",
        "region_code" => "region_code",
        "involved_units" => "involved_units",
        _ => return Err(refused("field", format!("不能更正 {field}"))),
    };
    Ok(conn
        .query_row(
            &format!("SELECT {column} FROM matters WHERE id = ?1"),
            [matter_id.to_string()],
            |r| r.get::<_, Option<String>>(0),
        )
        .optional()?)
}

fn blank_is_none(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

fn apply_correction(
    register: &mut Register,
    row: &Pending,
    directive_id: Uuid,
    payload: &serde_json::Value,
) -> Result<String> {
    let correction = wire::correction(payload).map_err(from_wire)?;
    let value = blank_is_none(correction.value.clone());
    let was = blank_is_none(correction.was.clone());
    // A code must be one this centre's tables know, as if a clerk had chosen it.
    if let Some(code) = &value {
        let table = match correction.field.as_str() {
            "content_category" => Some(crate::domain::codes::CodeTable::ContentCategories),
            "region_code" => Some(crate::domain::codes::CodeTable::Regions),
            _ => None,
        };
        if let Some(table) = table
            && register.codes().get(table, code).is_none()
        {
            return Err(Error::field(
                "unknown_code",
                "value",
                format!("本中心代码表中没有 {code}"),
            ));
        }
    }
    let issued = issued_at(row)?;
    let now = register.now();
    let row_id = row.id.clone();
    register.write(COUNTY_ACTOR, |w| {
        if let Some(number) = already_applied(w.conn(), directive_id)? {
            let outcome = format!("已记入 {number}");
            mark_applied(w.conn(), &row_id, now, &outcome)?;
            return Ok(outcome);
        }
        let Some(current) = field_value(w.conn(), correction.matter_id, &correction.field)? else {
            return Err(Error::field(
                "county_matter_unknown",
                "matter_id",
                format!("本中心没有更正所指的信访事项（{}）", correction.matter_id),
            ));
        };
        let current = blank_is_none(current);
        w.record(EventBody::CountyDirective(CountyDirectiveRecord {
            directive_id,
            kind: "correction".to_owned(),
            matter_id: correction.matter_id,
            reference: correction.reference.trim().to_owned(),
            from_unit: correction.from_unit.trim().to_owned(),
            due_on: None,
            message: correction.note.clone().filter(|n| !n.trim().is_empty()),
            issued_at: issued,
        }))?;
        let outcome = if current == value {
            "本中心已是该值，无需更正".to_owned()
        } else if current == was {
            w.record(EventBody::MatterFieldCorrected {
                matter_id: correction.matter_id,
                field: correction.field.clone(),
                value: value.clone(),
                directive_id: Some(directive_id),
                conflict_id: None,
            })?;
            "已按县级更正".to_owned()
        } else {
            // Both sides changed it since the value the county saw: keep both, decide later.
            let conflict_id = w.next_id();
            w.record(EventBody::MatterConflictRecorded(
                crate::events::ConflictRecord {
                    conflict_id,
                    matter_id: correction.matter_id,
                    field: correction.field.clone(),
                    local_value: current,
                    county_value: value.clone(),
                    county_was: was,
                    directive_id,
                },
            ))?;
            "本中心也改过此项：两个值都已保留，待负责人决定".to_owned()
        };
        mark_applied(w.conn(), &row_id, now, &outcome)?;
        Ok(outcome)
    })
}

fn apply_calendar(
    register: &mut Register,
    row: &Pending,
    payload: &serde_json::Value,
) -> Result<String> {
    let year: CalendarYear = serde_json::from_value(payload.clone())
        .map_err(|e| refused("payload", format!("节假日安排格式不对：{e}")))?;
    if register.calendar().year(year.year) == Some(&year) {
        let outcome = format!("{}年节假日安排（{}）已导入过", year.year, year.version);
        mark_applied(register.conn(), &row.id, register.now(), &outcome)?;
        return Ok(outcome);
    }
    let mut trial = register.calendar().clone();
    trial
        .replace_year(year.clone())
        .map_err(|e| Error::field("invalid_calendar", "days", e.message_zh()))?;
    let now = register.now();
    let row_id = row.id.clone();
    let outcome = format!("已导入{}年节假日安排（{}）", year.year, year.version);
    register.write(COUNTY_ACTOR, |w| {
        w.record(EventBody::CalendarYearImported(year))?;
        mark_applied(w.conn(), &row_id, now, &outcome)
    })?;
    register.reload_calendar()?;
    Ok(outcome)
}

fn apply_overlay(
    register: &mut Register,
    row: &Pending,
    payload: &serde_json::Value,
) -> Result<String> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Overlay {
        days: Vec<CalendarDay>,
    }
    let overlay: Overlay = serde_json::from_value(payload.clone())
        .map_err(|e| refused("payload", format!("本县节假日调整格式不对：{e}")))?;
    Calendar::default()
        .with_overlay(overlay.days.clone())
        .map_err(|e| Error::field("invalid_calendar", "days", e.message_zh()))?;
    let now = register.now();
    let row_id = row.id.clone();
    let outcome = format!("已更新本县节假日调整（{}天）", overlay.days.len());
    register.write(COUNTY_ACTOR, |w| {
        w.record(EventBody::CalendarOverlaySet { days: overlay.days })?;
        mark_applied(w.conn(), &row_id, now, &outcome)
    })?;
    register.reload_calendar()?;
    Ok(outcome)
}
