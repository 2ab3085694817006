//! The working-day calendar as administrators see it: which national years are loaded (bundled
//! or imported), the county overlay, and the two changes they may make — import a year (next
//! year's notice each November, or a corrected one) and replace the overlay. Both are recorded
//! events, so they reach every desk and the county with the rest of the log; clocks already
//! started keep their stored dates (`clocks_calendar_check` lists those that would move).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Empty;
use crate::{
    Error, Result,
    auth::Session,
    domain::calendar::{Calendar, CalendarDay, CalendarYear},
    events::EventBody,
    register::Register,
};

/// One loaded national year.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CalendarYearInfo {
    /// The year.
    pub year: i32,
    /// The notice it comes from.
    pub version: String,
    /// Imported by an administrator (otherwise bundled with the app).
    pub imported: bool,
    /// Holidays listed.
    pub holidays: u32,
    /// Make-up working days listed.
    pub makeup_workdays: u32,
}

/// The calendar in force.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CalendarInfo {
    /// The version string stored with every due date computed now.
    pub version: String,
    /// Loaded national years.
    pub years: Vec<CalendarYearInfo>,
    /// The county overlay.
    pub overlay: Vec<CalendarDay>,
}

fn info(register: &Register) -> Result<CalendarInfo> {
    let calendar = register.calendar();
    let imported: Vec<i32> = register
        .conn()
        .prepare("SELECT year FROM calendar_years")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut years = Vec::new();
    for year in calendar.loaded_years() {
        let Some(data) = calendar.year(year) else {
            continue;
        };
        let holidays = data
            .days
            .iter()
            .filter(|d| d.kind == crate::domain::calendar::DayKind::Holiday)
            .count() as u32;
        years.push(CalendarYearInfo {
            year,
            version: data.version.clone(),
            imported: imported.contains(&year),
            holidays,
            makeup_workdays: data.days.len() as u32 - holidays,
        });
    }
    Ok(CalendarInfo {
        version: calendar.version(),
        years,
        overlay: calendar.overlay_days(),
    })
}

/// 节假日安排.
pub fn calendar_get(
    register: &mut Register,
    _who: &Session,
    _input: Empty,
) -> Result<CalendarInfo> {
    info(register)
}

/// 导入全年节假日安排: a year must pass the national-table rules; re-importing the same notice
/// is refused, a corrected notice must carry a new version.
pub fn calendar_import(
    register: &mut Register,
    who: &Session,
    input: CalendarYear,
) -> Result<CalendarInfo> {
    let mut trial = register.calendar().clone();
    if let Some(existing) = trial.year(input.year)
        && existing == &input
    {
        return Err(Error::field(
            "already_loaded",
            "year",
            format!("{}年节假日安排（{}）已经导入", input.year, input.version),
        ));
    }
    trial
        .replace_year(input.clone())
        .map_err(|e| Error::field("invalid_calendar", "days", e.message_zh()))?;
    register.write(&who.user_id.to_string(), |w| {
        w.record(EventBody::CalendarYearImported(input.clone()))
    })?;
    register.reload_calendar()?;
    info(register)
}

/// The county overlay, replaced as a whole.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OverlayInput {
    /// Local holidays and local working days.
    pub days: Vec<CalendarDay>,
}

/// 设置本县节假日调整.
pub fn calendar_overlay_set(
    register: &mut Register,
    who: &Session,
    input: OverlayInput,
) -> Result<CalendarInfo> {
    Calendar::default()
        .with_overlay(input.days.clone())
        .map_err(|e| Error::field("invalid_calendar", "days", e.message_zh()))?;
    register.write(&who.user_id.to_string(), |w| {
        w.record(EventBody::CalendarOverlaySet {
            days: input.days.clone(),
        })
    })?;
    register.reload_calendar()?;
    info(register)
}
