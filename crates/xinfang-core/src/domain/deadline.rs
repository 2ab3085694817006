//! The statutory clocks of 信访 work (D1–D10, S1–S3) and how their due dates are computed
//! (domain.md §1.9, §1.10).
//!
//! Rules applied:
//! - the start day is not counted (民法典 Art. 201), so a 15-day clock started on the 20th ends on
//!   the 5th of the next month;
//! - plain “X日” clocks count calendar days (the 条例 writes “5个工作日” where it means working
//!   days, Art. 23(3)); working-day clocks count only working and make-up working days;
//! - moving a calendar-day due date off a rest day (民法典 Art. 203) is a setting, [`Rollover`],
//!   because it is not confirmed how the national system computes 限办时间 (domain.md §8);
//! - where the result depends on a year whose holiday schedule is not loaded, the date is still
//!   computed (weekends only) but carries a warning, so nobody trusts a guess unknowingly.
//!
//! Nothing here reads the clock: start dates and "today" are passed in.

use std::collections::BTreeSet;

use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::domain::calendar::Calendar;

/// Days left at or below which a clock is 临期, unless the county sets another value.
pub const DEFAULT_APPROACHING_DAYS: u32 = 3;

/// Longest extension of the handling limit (《信访工作条例》第三十四条).
pub const MAX_EXTENSION_DAYS: u32 = 30;

/// One of the national time limits of domain.md §1.9.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
pub enum ClockKind {
    /// 信访部门 registers and forwards or assigns the matter: 15 days (Art. 22).
    D1,
    /// Written notice to the petitioner, matter received directly: 15 days (Art. 23(2)).
    D2,
    /// Written notice, matter forwarded or assigned to the body: 15 days (Art. 23(3)).
    D3,
    /// Objection that a forwarded matter is outside the body's authority: 5 working days
    /// (Art. 23(3)).
    D4,
    /// Handle and answer an Art. 31(6) matter: 60 days from 受理 (Art. 34).
    D5,
    /// Extension of D5 approved by the body's head: at most 30 days, length supplied (Art. 34).
    D6,
    /// Petitioner may request 复查: 30 days from receiving the written answer (Art. 35).
    D7,
    /// 复查 opinion: 30 days from receiving the request (Art. 35).
    D8,
    /// Petitioner may request 复核: 30 days from receiving the 复查 opinion (Art. 36).
    D9,
    /// 复核 opinion: 30 days from receiving the request (Art. 36). Hearing (听证) time is not
    /// counted; the caller accounts for it by moving the start forward by the hearing days.
    D10,
    /// 简易办理: decide whether to accept, 3 working days (2016 简易办理办法).
    S1,
    /// 简易办理: issue the handling opinion, 10 working days from 受理 (2016 简易办理办法).
    S2,
    /// 简易办理: each intermediate forwarding level, 1 working day (2016 简易办理办法).
    S3,
}

impl ClockKind {
    /// Every clock, in the order of domain.md §1.9.
    pub const ALL: [ClockKind; 13] = [
        ClockKind::D1,
        ClockKind::D2,
        ClockKind::D3,
        ClockKind::D4,
        ClockKind::D5,
        ClockKind::D6,
        ClockKind::D7,
        ClockKind::D8,
        ClockKind::D9,
        ClockKind::D10,
        ClockKind::S1,
        ClockKind::S2,
        ClockKind::S3,
    ];

    /// The short code used in domain.md and in stored records, e.g. `D4`.
    pub fn code(self) -> &'static str {
        match self {
            ClockKind::D1 => "D1",
            ClockKind::D2 => "D2",
            ClockKind::D3 => "D3",
            ClockKind::D4 => "D4",
            ClockKind::D5 => "D5",
            ClockKind::D6 => "D6",
            ClockKind::D7 => "D7",
            ClockKind::D8 => "D8",
            ClockKind::D9 => "D9",
            ClockKind::D10 => "D10",
            ClockKind::S1 => "S1",
            ClockKind::S2 => "S2",
            ClockKind::S3 => "S3",
        }
    }

    /// Chinese name for lists and reminders.
    pub fn name_zh(self) -> &'static str {
        match self {
            ClockKind::D1 => "登记并转送、交办（信访部门）",
            ClockKind::D2 => "书面告知（直接信访）",
            ClockKind::D3 => "书面告知（转送、交办事项）",
            ClockKind::D4 => "提出异议（不属于本机关职权范围）",
            ClockKind::D5 => "办结期限",
            ClockKind::D6 => "延长办理期限",
            ClockKind::D7 => "申请复查期限",
            ClockKind::D8 => "复查意见期限",
            ClockKind::D9 => "申请复核期限",
            ClockKind::D10 => "复核意见期限（听证时间不计入）",
            ClockKind::S1 => "简易办理：决定是否受理",
            ClockKind::S2 => "简易办理：出具处理意见",
            ClockKind::S3 => "简易办理：逐级转送",
        }
    }

    /// The provision the limit comes from, cited as precisely as it was verified (domain.md
    /// §1.9); printed on reminders and stored with each due date.
    pub fn rule_ref(self) -> &'static str {
        match self {
            ClockKind::D1 => "《信访工作条例》第二十二条",
            ClockKind::D2 => "《信访工作条例》第二十三条第二款",
            ClockKind::D3 | ClockKind::D4 => "《信访工作条例》第二十三条第三款",
            ClockKind::D5 | ClockKind::D6 => "《信访工作条例》第三十四条",
            ClockKind::D7 | ClockKind::D8 => "《信访工作条例》第三十五条",
            ClockKind::D9 | ClockKind::D10 => "《信访工作条例》第三十六条",
            // Article numbers of the 2016 rules were not verified (◐ in domain.md).
            ClockKind::S1 | ClockKind::S2 | ClockKind::S3 => {
                "国家信访局信访事项简易办理办法（2016）"
            }
        }
    }

    /// Whether the limit counts calendar days or working days.
    pub fn unit(self) -> DayUnit {
        match self {
            ClockKind::D4 | ClockKind::S1 | ClockKind::S2 | ClockKind::S3 => DayUnit::Working,
            _ => DayUnit::Calendar,
        }
    }

    /// The statutory length in days of [`ClockKind::unit`]. For [`ClockKind::D6`] this is the
    /// maximum; the approved length is supplied to [`compute_due`].
    pub fn length_days(self) -> u32 {
        match self {
            ClockKind::D1 | ClockKind::D2 | ClockKind::D3 => 15,
            ClockKind::D4 => 5,
            ClockKind::D5 => 60,
            ClockKind::D6 => MAX_EXTENSION_DAYS,
            ClockKind::D7 | ClockKind::D8 | ClockKind::D9 | ClockKind::D10 => 30,
            ClockKind::S1 => 3,
            ClockKind::S2 => 10,
            ClockKind::S3 => 1,
        }
    }

    /// The event whose date starts the clock, in Chinese (shown next to the start-date field).
    pub fn start_event_zh(self) -> &'static str {
        match self {
            ClockKind::D1 => "信访部门收到信访事项之日",
            ClockKind::D2 => "收到信访事项之日",
            ClockKind::D3 | ClockKind::D4 => "收到转送、交办的信访事项之日",
            ClockKind::D5 => "受理之日",
            ClockKind::D6 => "原办理期限届满之日",
            ClockKind::D7 => "信访人收到书面答复之日",
            ClockKind::D8 => "收到复查请求之日",
            ClockKind::D9 => "信访人收到复查意见之日",
            ClockKind::D10 => "收到复核请求之日",
            ClockKind::S1 | ClockKind::S3 => "收到信访事项之日",
            ClockKind::S2 => "受理之日",
        }
    }
}

/// How a clock counts its days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DayUnit {
    /// 自然日: every day counts.
    Calendar,
    /// 工作日: only working days and make-up working days count.
    Working,
}

impl DayUnit {
    /// Chinese label: 自然日 or 工作日.
    pub fn name_zh(self) -> &'static str {
        match self {
            DayUnit::Calendar => "自然日",
            DayUnit::Working => "工作日",
        }
    }
}

/// What happens when a calendar-day clock ends on a day the office is closed.
///
/// The default is [`Rollover::None`]: the 条例 says nothing, and reading 民法典 Art. 203 into it is
/// unconfirmed (domain.md §1.10), so the county chooses with a setting. Working-day clocks always
/// end on a working day, so the setting does not affect them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Rollover {
    /// The due date stands even on a weekend or holiday.
    #[default]
    None,
    /// A due date on a rest day or holiday moves to the next working day (民法典 Art. 203).
    NextWorkingDay,
}

impl Rollover {
    /// Chinese label for the settings screen.
    pub fn name_zh(self) -> &'static str {
        match self {
            Rollover::None => "不顺延",
            Rollover::NextWorkingDay => "遇节假日顺延至下一工作日",
        }
    }
}

/// A computed due date with everything needed to explain and re-check it later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DueDate {
    /// Which clock.
    pub clock: ClockKind,
    /// Date of the start event (not itself counted).
    pub start: NaiveDate,
    /// Calendar or working days.
    pub unit: DayUnit,
    /// Number of days counted after `start`.
    pub length: u32,
    /// The rollover setting in force when computed.
    pub rollover: Rollover,
    /// The last day of the period.
    pub due: NaiveDate,
    /// The unrolled date when [`Rollover::NextWorkingDay`] moved the due date.
    pub rolled_from: Option<NaiveDate>,
    /// [`Calendar::version`] of the calendar used; a different current version means the date
    /// should be reviewed, never silently recomputed.
    pub calendar_version: String,
    /// The provision, from [`ClockKind::rule_ref`].
    pub rule_ref: String,
    /// Chinese warnings for staff, e.g. that a needed year's holidays are not loaded.
    pub warnings: Vec<String>,
}

impl DueDate {
    /// The state of this clock on `today`; see [`clock_state`].
    pub fn state(&self, today: NaiveDate, approaching_days: u32) -> ClockState {
        clock_state(self.due, today, approaching_days)
    }
}

/// Why a due date could not be computed. [`DeadlineError::message_zh`] gives the text for staff.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeadlineError {
    /// A length of zero days was supplied.
    #[error("clock {} cannot run for zero days", .clock.code())]
    ZeroLength {
        /// The clock.
        clock: ClockKind,
    },
    /// A supplied length is longer than the statutory limit.
    #[error("clock {} cannot run for {length} days; the rule allows at most {max}", .clock.code())]
    LengthExceedsStatutory {
        /// The clock.
        clock: ClockKind,
        /// The length supplied.
        length: u32,
        /// The statutory length.
        max: u32,
    },
    /// [`ClockKind::D6`] was computed without the approved number of days.
    #[error("the extension clock needs the approved number of days")]
    ExtensionLengthRequired,
    /// An extension of zero or more than 30 days.
    #[error("an extension must be 1 to 30 days, got {days}")]
    ExtensionOutOfRange {
        /// The number of days requested.
        days: u32,
    },
    /// The due date would lie beyond the dates chrono can represent.
    #[error("due date for a clock started on {start} is out of range")]
    DateOutOfRange {
        /// The start date given.
        start: NaiveDate,
    },
}

impl DeadlineError {
    /// A complete Chinese sentence for the clerk.
    pub fn message_zh(&self) -> String {
        match self {
            DeadlineError::ZeroLength { clock } => {
                format!("“{}”的期限天数必须大于0", clock.name_zh())
            }
            DeadlineError::LengthExceedsStatutory { clock, length, max } => format!(
                "“{}”的期限不得超过{max}{}（{}），不能设为{length}日",
                clock.name_zh(),
                unit_suffix(clock.unit()),
                clock.rule_ref()
            ),
            DeadlineError::ExtensionLengthRequired => {
                "请填写经批准延长的天数（1至30日）".to_string()
            }
            DeadlineError::ExtensionOutOfRange { days: 0 } => {
                "延长天数必须为1至30日（《信访工作条例》第三十四条）".to_string()
            }
            DeadlineError::ExtensionOutOfRange { .. } => {
                "延长期限不得超过30日（《信访工作条例》第三十四条）".to_string()
            }
            DeadlineError::DateOutOfRange { start } => {
                format!("起算日期 {start} 超出可计算的日期范围")
            }
        }
    }
}

/// "日" or "个工作日", as the 条例 writes lengths.
fn unit_suffix(unit: DayUnit) -> &'static str {
    match unit {
        DayUnit::Calendar => "日",
        DayUnit::Working => "个工作日",
    }
}

/// The warning attached when a needed year's holiday schedule is not loaded.
fn missing_calendar_warning(year: i32) -> String {
    format!("{year}年节假日安排尚未导入，截止日期按普通周末推算，请导入后复核")
}

/// Calendar lookups that remember which uncovered years the result depended on.
struct Lookup<'a> {
    /// The calendar consulted.
    calendar: &'a Calendar,
    /// Years of consulted days whose schedule is not loaded; each becomes one warning.
    uncovered: BTreeSet<i32>,
}

impl Lookup<'_> {
    /// [`Calendar::is_working_day`], noting the year if the calendar does not cover it.
    fn is_working_day(&mut self, date: NaiveDate) -> bool {
        if !self.calendar.covers(date.year()) {
            self.uncovered.insert(date.year());
        }
        self.calendar.is_working_day(date)
    }
}

/// Checks a supplied length against the clock and returns the length to count.
fn resolve_length(clock: ClockKind, length: Option<u32>) -> Result<u32, DeadlineError> {
    if clock == ClockKind::D6 {
        return match length {
            None => Err(DeadlineError::ExtensionLengthRequired),
            Some(days) if days == 0 || days > MAX_EXTENSION_DAYS => {
                Err(DeadlineError::ExtensionOutOfRange { days })
            }
            Some(days) => Ok(days),
        };
    }
    let max = clock.length_days();
    match length {
        None => Ok(max),
        Some(0) => Err(DeadlineError::ZeroLength { clock }),
        // A shorter limit is allowed because local rules may set one (domain.md §8 q5); a longer
        // one would break the national rule.
        Some(length) if length > max => {
            Err(DeadlineError::LengthExceedsStatutory { clock, length, max })
        }
        Some(length) => Ok(length),
    }
}

/// Computes the due date of `clock` started on `start`.
///
/// `length` is required for [`ClockKind::D6`] (the approved extension, 1–30 days; `start` is
/// then the original due date). For other clocks `None` means the statutory length, and a
/// shorter local limit may be supplied. The start day is not counted. Calendar-day clocks add
/// `length` days and then apply `rollover`; working-day clocks count `length` working days after
/// the start day.
///
/// If any day whose kind decides the result lies in a year `calendar` does not cover, the
/// result assumes plain weekends there and `warnings` names each such year. A calendar-day clock
/// without rollover needs no day kinds, so it never warns.
pub fn compute_due(
    clock: ClockKind,
    start: NaiveDate,
    length: Option<u32>,
    rollover: Rollover,
    calendar: &Calendar,
) -> Result<DueDate, DeadlineError> {
    let length = resolve_length(clock, length)?;
    let unit = clock.unit();
    let out_of_range = || DeadlineError::DateOutOfRange { start };
    let mut lookup = Lookup {
        calendar,
        uncovered: BTreeSet::new(),
    };

    let (due, rolled_from) = match unit {
        DayUnit::Calendar => {
            let plain = start
                .checked_add_days(Days::new(u64::from(length)))
                .ok_or_else(out_of_range)?;
            match rollover {
                Rollover::None => (plain, None),
                Rollover::NextWorkingDay => {
                    let mut due = plain;
                    while !lookup.is_working_day(due) {
                        due = due.succ_opt().ok_or_else(out_of_range)?;
                    }
                    (due, (due != plain).then_some(plain))
                }
            }
        }
        DayUnit::Working => {
            // Terminates: the calendar lists finitely many days, and beyond them every weekday
            // is a working day.
            let mut due = start;
            let mut counted = 0;
            while counted < length {
                due = due.succ_opt().ok_or_else(out_of_range)?;
                if lookup.is_working_day(due) {
                    counted += 1;
                }
            }
            (due, None)
        }
    };

    Ok(DueDate {
        clock,
        start,
        unit,
        length,
        rollover,
        due,
        rolled_from,
        calendar_version: calendar.version(),
        rule_ref: clock.rule_ref().to_string(),
        warnings: lookup
            .uncovered
            .into_iter()
            .map(missing_calendar_warning)
            .collect(),
    })
}

/// The due date after extending a handling limit ending on `original_due` by `extra_days`
/// (1–30, 《信访工作条例》第三十四条), with the same rollover setting as the original clock.
///
/// This is [`compute_due`] for [`ClockKind::D6`] reduced to the date; call that instead to keep
/// the calendar version and any warnings with the record.
pub fn extension_due(
    original_due: NaiveDate,
    extra_days: u32,
    rollover: Rollover,
    calendar: &Calendar,
) -> Result<NaiveDate, DeadlineError> {
    compute_due(
        ClockKind::D6,
        original_due,
        Some(extra_days),
        rollover,
        calendar,
    )
    .map(|due| due.due)
}

/// Where a clock stands on a given day (domain.md §2: 正常 / 临期 / 到期 / 逾期).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    /// 正常: more than the approaching threshold left.
    Normal,
    /// 临期: between 1 and the threshold days left.
    Approaching,
    /// 到期: today is the last day.
    DueToday,
    /// 逾期: the last day has passed.
    Overdue,
}

impl ClockState {
    /// 正常, 临期, 到期 or 逾期.
    pub fn name_zh(self) -> &'static str {
        match self {
            ClockState::Normal => "正常",
            ClockState::Approaching => "临期",
            ClockState::DueToday => "到期",
            ClockState::Overdue => "逾期",
        }
    }
}

/// The state of a clock due on `due`, seen on `today`. It is 临期 when the calendar days left
/// are more than 0 and at most `approaching_days` (a county setting, default
/// [`DEFAULT_APPROACHING_DAYS`]); with `approaching_days == 0` a clock is never 临期.
pub fn clock_state(due: NaiveDate, today: NaiveDate, approaching_days: u32) -> ClockState {
    let days_left = (due - today).num_days();
    if days_left < 0 {
        ClockState::Overdue
    } else if days_left == 0 {
        ClockState::DueToday
    } else if days_left <= i64::from(approaching_days) {
        ClockState::Approaching
    } else {
        ClockState::Normal
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::{CalendarDay, DayKind};

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test dates are valid")
    }

    fn due(clock: ClockKind, start: &str, rollover: Rollover) -> DueDate {
        compute_due(clock, d(start), None, rollover, &Calendar::bundled()).expect("computable")
    }

    #[test]
    fn worked_example_notice_clock_ends_inside_national_day() {
        let result = due(ClockKind::D2, "2025-09-20", Rollover::None);
        assert_eq!(result.due, d("2025-10-05"));
        assert_eq!(result.rolled_from, None);
        assert_eq!(result.unit, DayUnit::Calendar);
        assert_eq!(result.length, 15);
        assert!(result.warnings.is_empty());
    }

    #[test]
    fn worked_example_rolls_to_the_day_after_the_holiday_under_next_working_day() {
        let result = due(ClockKind::D2, "2025-09-20", Rollover::NextWorkingDay);
        assert_eq!(result.due, d("2025-10-09"));
        assert_eq!(result.rolled_from, Some(d("2025-10-05")));
        assert_eq!(result.rollover, Rollover::NextWorkingDay);
    }

    #[test]
    fn worked_example_handling_limit_is_sixty_days_and_the_extension_thirty_more() {
        let calendar = Calendar::bundled();
        let handling = due(ClockKind::D5, "2025-09-20", Rollover::None);
        assert_eq!(handling.due, d("2025-11-19"));
        assert_eq!(handling.rule_ref, "《信访工作条例》第三十四条");
        assert_eq!(
            extension_due(handling.due, 30, Rollover::None, &calendar),
            Ok(d("2025-12-19"))
        );
    }

    #[test]
    fn objection_clock_counts_only_working_days_across_the_2026_spring_festival() {
        // Thu 2/12 start; Fri 2/13 (1), Sat 2/14 make-up (2), 2/15–2/23 holiday,
        // Tue 2/24 (3), Wed 2/25 (4), Thu 2/26 (5).
        let result = due(ClockKind::D4, "2026-02-12", Rollover::None);
        assert_eq!(result.unit, DayUnit::Working);
        assert_eq!(result.due, d("2026-02-26"));
        assert_eq!(result.rolled_from, None);
        assert!(result.warnings.is_empty());
    }

    #[test]
    fn makeup_workdays_count_as_working_days() {
        // Fri 2026-02-13 + 1 working day is Sat 2/14, a make-up day, not Tue 2/24.
        assert_eq!(
            due(ClockKind::S3, "2026-02-13", Rollover::None).due,
            d("2026-02-14")
        );
        // Fri 2025-01-24: Sun 1/26 make-up (1), Mon 1/27 (2), 1/28–2/4 holiday, 2/5–2/7 (3–5).
        assert_eq!(
            due(ClockKind::D4, "2025-01-24", Rollover::None).due,
            d("2025-02-07")
        );
    }

    #[test]
    fn a_calendar_due_date_on_a_makeup_day_does_not_roll() {
        // 2025-09-13 + 15 = Sun 9/28, a make-up working day.
        let result = due(ClockKind::D2, "2025-09-13", Rollover::NextWorkingDay);
        assert_eq!(result.due, d("2025-09-28"));
        assert_eq!(result.rolled_from, None);
    }

    #[test]
    fn a_calendar_due_date_on_an_ordinary_saturday_rolls_to_monday() {
        // 2026-03-13 + 15 = Sat 3/28.
        let result = due(ClockKind::D2, "2026-03-13", Rollover::NextWorkingDay);
        assert_eq!(result.due, d("2026-03-30"));
        assert_eq!(result.rolled_from, Some(d("2026-03-28")));
        assert_eq!(
            due(ClockKind::D2, "2026-03-13", Rollover::None).due,
            d("2026-03-28")
        );
    }

    #[test]
    fn a_working_day_due_date_in_2027_carries_the_missing_calendar_warning() {
        // Tue 2026-12-29: 12/30 (1), 12/31 (2), Fri 2027-01-01 taken as a workday (3),
        // Mon 1/4 (4), Tue 1/5 (5).
        let result = due(ClockKind::D4, "2026-12-29", Rollover::None);
        assert_eq!(result.due, d("2027-01-05"));
        assert_eq!(
            result.warnings,
            vec!["2027年节假日安排尚未导入，截止日期按普通周末推算，请导入后复核".to_string()]
        );
    }

    #[test]
    fn a_rolled_calendar_due_date_in_2027_carries_the_missing_calendar_warning() {
        // 2026-12-01 + 60 = Sat 2027-01-30, rolled to Mon 2/1 by weekends alone.
        let result = due(ClockKind::D5, "2026-12-01", Rollover::NextWorkingDay);
        assert_eq!(result.due, d("2027-02-01"));
        assert_eq!(result.rolled_from, Some(d("2027-01-30")));
        assert_eq!(result.warnings.len(), 1);
        assert!(result.warnings[0].starts_with("2027年节假日安排尚未导入"));
    }

    #[test]
    fn a_plain_calendar_clock_into_2027_needs_no_holiday_table_and_does_not_warn() {
        let result = due(ClockKind::D5, "2026-12-01", Rollover::None);
        assert_eq!(result.due, d("2027-01-30"));
        assert!(result.warnings.is_empty());
    }

    #[test]
    fn the_warning_goes_away_once_the_year_is_imported() {
        let mut calendar = Calendar::bundled();
        calendar
            .import_year(crate::domain::calendar::CalendarYear {
                year: 2027,
                version: "test".to_string(),
                source: "unit test".to_string(),
                days: vec![CalendarDay {
                    date: d("2027-01-01"),
                    kind: DayKind::Holiday,
                    name: Some("元旦".to_string()),
                }],
            })
            .expect("valid year");
        let result = compute_due(
            ClockKind::D4,
            d("2026-12-29"),
            None,
            Rollover::None,
            &calendar,
        )
        .expect("computable");
        assert_eq!(result.due, d("2027-01-06"));
        assert!(result.warnings.is_empty());
        assert!(result.calendar_version.contains("cn-2027:test;"));
    }

    #[test]
    fn an_overlay_holiday_changes_a_working_day_count() {
        // Mon 2026-03-02 + 5 working days is Mon 3/9; a county holiday on Tue 3/3 makes it 3/10.
        let national = Calendar::bundled();
        let county = national
            .clone()
            .with_overlay(vec![CalendarDay {
                date: d("2026-03-03"),
                kind: DayKind::Holiday,
                name: Some("县级民族节日".to_string()),
            }])
            .expect("valid overlay");
        let plain = compute_due(
            ClockKind::D4,
            d("2026-03-02"),
            None,
            Rollover::None,
            &national,
        )
        .expect("computable");
        let local = compute_due(
            ClockKind::D4,
            d("2026-03-02"),
            None,
            Rollover::None,
            &county,
        )
        .expect("computable");
        assert_eq!(plain.due, d("2026-03-09"));
        assert_eq!(local.due, d("2026-03-10"));
        assert_ne!(plain.calendar_version, local.calendar_version);
    }

    #[test]
    fn an_extension_of_thirty_one_days_is_refused_with_the_article() {
        let calendar = Calendar::bundled();
        let err =
            extension_due(d("2025-11-19"), 31, Rollover::None, &calendar).expect_err("too long");
        assert_eq!(err, DeadlineError::ExtensionOutOfRange { days: 31 });
        assert_eq!(
            err.message_zh(),
            "延长期限不得超过30日（《信访工作条例》第三十四条）"
        );
    }

    #[test]
    fn an_extension_of_zero_days_is_refused() {
        let calendar = Calendar::bundled();
        let err =
            extension_due(d("2025-11-19"), 0, Rollover::None, &calendar).expect_err("zero refused");
        assert_eq!(err, DeadlineError::ExtensionOutOfRange { days: 0 });
        assert!(err.message_zh().contains("第三十四条"));
    }

    #[test]
    fn the_extension_clock_needs_its_length() {
        let err = compute_due(
            ClockKind::D6,
            d("2025-11-19"),
            None,
            Rollover::None,
            &Calendar::bundled(),
        )
        .expect_err("length required");
        assert_eq!(err, DeadlineError::ExtensionLengthRequired);
        let ok = compute_due(
            ClockKind::D6,
            d("2025-11-19"),
            Some(10),
            Rollover::None,
            &Calendar::bundled(),
        )
        .expect("computable");
        assert_eq!(ok.due, d("2025-11-29"));
        assert_eq!(ok.length, 10);
    }

    #[test]
    fn a_supplied_length_may_shorten_but_not_lengthen_a_statutory_clock() {
        let calendar = Calendar::bundled();
        let shorter = compute_due(
            ClockKind::D2,
            d("2026-03-02"),
            Some(10),
            Rollover::None,
            &calendar,
        )
        .expect("shorter allowed");
        assert_eq!(shorter.due, d("2026-03-12"));
        let err = compute_due(
            ClockKind::D2,
            d("2026-03-02"),
            Some(20),
            Rollover::None,
            &calendar,
        )
        .expect_err("longer refused");
        assert_eq!(
            err,
            DeadlineError::LengthExceedsStatutory {
                clock: ClockKind::D2,
                length: 20,
                max: 15
            }
        );
        assert!(err.message_zh().contains("第二十三条第二款"));
        let err = compute_due(
            ClockKind::D4,
            d("2026-03-02"),
            Some(0),
            Rollover::None,
            &calendar,
        )
        .expect_err("zero refused");
        assert_eq!(
            err,
            DeadlineError::ZeroLength {
                clock: ClockKind::D4
            }
        );
    }

    #[test]
    fn rollover_does_not_change_working_day_clocks() {
        let none = due(ClockKind::S2, "2026-09-18", Rollover::None);
        let roll = due(ClockKind::S2, "2026-09-18", Rollover::NextWorkingDay);
        assert_eq!(none.due, roll.due);
        assert_eq!(roll.rolled_from, None);
    }

    #[test]
    fn a_date_beyond_chrono_range_is_an_error_not_a_panic() {
        let err = compute_due(
            ClockKind::D5,
            NaiveDate::MAX,
            None,
            Rollover::None,
            &Calendar::bundled(),
        )
        .expect_err("out of range");
        assert_eq!(
            err,
            DeadlineError::DateOutOfRange {
                start: NaiveDate::MAX
            }
        );
        assert!(!err.message_zh().is_empty());
    }

    #[test]
    fn the_due_date_records_the_calendar_version_and_rule() {
        let result = due(ClockKind::D4, "2026-02-12", Rollover::None);
        assert_eq!(result.calendar_version, Calendar::bundled().version());
        assert_eq!(result.rule_ref, "《信访工作条例》第二十三条第三款");
        assert_eq!(result.clock, ClockKind::D4);
        assert_eq!(result.start, d("2026-02-12"));
    }

    #[test]
    fn clock_state_boundaries_follow_the_approaching_threshold() {
        let due = d("2026-03-10");
        let state = |today: &str| clock_state(due, d(today), DEFAULT_APPROACHING_DAYS);
        assert_eq!(state("2026-03-06"), ClockState::Normal); // 4 days left
        assert_eq!(state("2026-03-07"), ClockState::Approaching); // 3 days left
        assert_eq!(state("2026-03-09"), ClockState::Approaching); // 1 day left
        assert_eq!(state("2026-03-10"), ClockState::DueToday); // 0 days left
        assert_eq!(state("2026-03-11"), ClockState::Overdue); // -1 day
        assert_eq!(clock_state(due, d("2026-03-09"), 0), ClockState::Normal);
        assert_eq!(ClockState::Approaching.name_zh(), "临期");
        assert_eq!(ClockState::Overdue.name_zh(), "逾期");
    }

    #[test]
    fn due_date_state_uses_the_stored_due_date() {
        let result = due(ClockKind::D2, "2025-09-20", Rollover::NextWorkingDay);
        assert_eq!(
            result.state(d("2025-10-06"), DEFAULT_APPROACHING_DAYS),
            ClockState::Approaching
        );
    }

    #[test]
    fn clock_metadata_matches_the_cheat_sheet() {
        let working: Vec<&str> = ClockKind::ALL
            .iter()
            .filter(|c| c.unit() == DayUnit::Working)
            .map(|c| c.code())
            .collect();
        assert_eq!(working, ["D4", "S1", "S2", "S3"]);
        let lengths: Vec<u32> = ClockKind::ALL.iter().map(|c| c.length_days()).collect();
        assert_eq!(lengths, [15, 15, 15, 5, 60, 30, 30, 30, 30, 30, 3, 10, 1]);
        assert_eq!(ClockKind::D2.name_zh(), "书面告知（直接信访）");
        assert_eq!(ClockKind::D2.rule_ref(), "《信访工作条例》第二十三条第二款");
        let codes: BTreeSet<&str> = ClockKind::ALL.iter().map(|c| c.code()).collect();
        assert_eq!(codes.len(), ClockKind::ALL.len());
        for clock in ClockKind::ALL {
            assert!(!clock.start_event_zh().is_empty());
            assert!(clock.rule_ref().contains("信访"));
        }
    }

    #[test]
    fn rollover_defaults_to_none() {
        assert_eq!(Rollover::default(), Rollover::None);
    }

    #[test]
    fn due_dates_round_trip_through_json_and_have_a_schema() {
        let result = due(ClockKind::D2, "2025-09-20", Rollover::NextWorkingDay);
        let json = serde_json::to_string(&result).expect("serialise");
        assert!(json.contains(r#""clock":"D2""#));
        assert!(json.contains(r#""rollover":"next_working_day""#));
        assert!(json.contains(r#""unit":"calendar""#));
        let back: DueDate = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, result);
        let schema = serde_json::to_string(&schemars::schema_for!(DueDate)).expect("schema");
        assert!(schema.contains("rolled_from"));
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;
        use crate::domain::calendar::Calendar;

        fn any_clock() -> impl Strategy<Value = ClockKind> {
            proptest::sample::select(ClockKind::ALL.to_vec())
        }

        fn any_start() -> impl Strategy<Value = NaiveDate> {
            // 2024 to 2028: covered years and uncovered ones on both sides.
            (0u64..5 * 366).prop_map(|offset| {
                NaiveDate::from_ymd_opt(2024, 1, 1).expect("date") + chrono::Days::new(offset)
            })
        }

        fn any_rollover() -> impl Strategy<Value = Rollover> {
            prop_oneof![Just(Rollover::None), Just(Rollover::NextWorkingDay)]
        }

        fn length_for(clock: ClockKind, raw: u32) -> Option<u32> {
            // D6 needs an approved length; others may run their statutory length or a shorter one.
            if clock == ClockKind::D6 {
                Some(raw % MAX_EXTENSION_DAYS + 1)
            } else if raw.is_multiple_of(3) {
                Some(raw % clock.length_days() + 1)
            } else {
                None
            }
        }

        proptest! {
            #[test]
            fn a_due_date_never_precedes_its_start(clock in any_clock(), start in any_start(), raw in 0u32..1000, rollover in any_rollover()) {
                let calendar = Calendar::bundled();
                let due = compute_due(clock, start, length_for(clock, raw), rollover, &calendar).expect("computes");
                prop_assert!(due.due > due.start, "{} ≤ {}", due.due, due.start);
            }

            #[test]
            fn working_day_clocks_and_rolled_dates_end_on_a_working_day(clock in any_clock(), start in any_start(), raw in 0u32..1000, rollover in any_rollover()) {
                let calendar = Calendar::bundled();
                let due = compute_due(clock, start, length_for(clock, raw), rollover, &calendar).expect("computes");
                if clock.unit() == DayUnit::Working || rollover == Rollover::NextWorkingDay {
                    prop_assert!(calendar.is_working_day(due.due), "{clock:?} from {start} ends on {}, a rest day", due.due);
                }
            }

            #[test]
            fn adding_one_working_day_never_lands_on_a_rest_day(start in any_start()) {
                let calendar = Calendar::bundled();
                let due = compute_due(ClockKind::S3, start, None, Rollover::None, &calendar).expect("computes");
                prop_assert!(calendar.is_working_day(due.due));
                // And nothing between the start and it is a working day.
                let mut day = start.succ_opt().expect("date");
                while day < due.due {
                    prop_assert!(!calendar.is_working_day(day), "{day} was skipped");
                    day = day.succ_opt().expect("date");
                }
            }

            #[test]
            fn recomputing_with_the_same_calendar_version_is_stable(clock in any_clock(), start in any_start(), raw in 0u32..1000, rollover in any_rollover()) {
                let first = compute_due(clock, start, length_for(clock, raw), rollover, &Calendar::bundled()).expect("computes");
                let again = compute_due(clock, start, length_for(clock, raw), rollover, &Calendar::bundled()).expect("computes");
                prop_assert_eq!(&first.calendar_version, &again.calendar_version);
                prop_assert_eq!(first, again);
            }
        }
    }
}
