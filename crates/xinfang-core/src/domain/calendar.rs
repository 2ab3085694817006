//! The working-day calendar: which days are 节假日 (public holidays), 调休上班 (weekend days
//! worked) and ordinary weekends, for counting working-day deadlines (domain.md §6).
//!
//! The national schedule is published by the State Council each November and cannot be computed
//! (lunar dates, 调休 swaps), so it is data: one JSON file per year in `assets/calendar/`, bundled
//! into the app, plus years an administrator imports later. A county overlay (local ethnic
//! holidays, 放假办法 Art. 4) takes precedence over the national table. Days in years that were
//! never loaded fall back to "Saturday and Sunday are rest days"; callers that depend on such a
//! day must say so (see `deadline.rs`), never silently trust the guess.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// What kind of day a date is for office purposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// An ordinary working day (Monday to Friday, not a holiday).
    Workday,
    /// An ordinary rest day (Saturday or Sunday, not worked).
    Restday,
    /// A public holiday or a day inside a holiday break, weekend days of the break included.
    Holiday,
    /// A Saturday or Sunday worked in exchange for a day of a holiday break (调休上班).
    MakeupWorkday,
}

impl DayKind {
    /// Whether the office is open: [`DayKind::Workday`] or [`DayKind::MakeupWorkday`].
    pub fn is_working(self) -> bool {
        matches!(self, DayKind::Workday | DayKind::MakeupWorkday)
    }

    /// Chinese label for the UI.
    pub fn name_zh(self) -> &'static str {
        match self {
            DayKind::Workday => "工作日",
            DayKind::Restday => "休息日",
            DayKind::Holiday => "节假日",
            DayKind::MakeupWorkday => "调休上班日",
        }
    }
}

/// One listed day of a calendar file or of the county overlay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
// Unknown fields are refused so that a misspelt `kind` key in an imported file is an error
// instead of a silently missing holiday.
#[serde(deny_unknown_fields)]
pub struct CalendarDay {
    /// The date, `YYYY-MM-DD`.
    pub date: NaiveDate,
    /// What the day is.
    pub kind: DayKind,
    /// Label for staff, e.g. `春节` or `春节调休上班`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// The national holiday schedule of one year, as published by the State Council.
///
/// Only holidays and make-up working days are listed; every other weekend day is a rest day and
/// every other weekday a working day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarYear {
    /// The calendar year described.
    pub year: i32,
    /// Identifies the notice (document number and/or issue date); copied into every computed
    /// deadline through [`Calendar::version`].
    pub version: String,
    /// Where the dates were copied from.
    pub source: String,
    /// Holidays (every day of each break) and make-up working days.
    pub days: Vec<CalendarDay>,
}

impl CalendarYear {
    /// Parses a `cn-YYYY.json` file and checks it with [`CalendarYear::validate`].
    pub fn from_json(text: &str) -> Result<CalendarYear, CalendarError> {
        let year: CalendarYear = serde_json::from_str(text).map_err(|e| CalendarError::Parse {
            message: e.to_string(),
        })?;
        year.validate()?;
        Ok(year)
    }

    /// Checks the rules every national year must satisfy: a usable version, at least one day,
    /// every date inside `year`, no date twice, only holidays and make-up days, and make-up days
    /// on a Saturday or Sunday.
    pub fn validate(&self) -> Result<(), CalendarError> {
        // `;` separates the years in `Calendar::version`; allowing it would make that string
        // ambiguous.
        if self.version.trim().is_empty() || self.version.contains(';') {
            return Err(CalendarError::BadVersion { year: self.year });
        }
        if self.days.is_empty() {
            return Err(CalendarError::EmptyYear { year: self.year });
        }
        let mut seen = BTreeSet::new();
        for day in &self.days {
            if day.date.year() != self.year {
                return Err(CalendarError::DateOutsideYear {
                    year: self.year,
                    date: day.date,
                });
            }
            if !seen.insert(day.date) {
                return Err(CalendarError::DuplicateDate { date: day.date });
            }
            match day.kind {
                DayKind::Holiday => {}
                DayKind::MakeupWorkday if is_weekend(day.date) => {}
                DayKind::MakeupWorkday => {
                    return Err(CalendarError::MakeupNotWeekend { date: day.date });
                }
                // Ordinary days are implied by the weekday; listing them in the national table
                // would only hide typos.
                DayKind::Workday | DayKind::Restday => {
                    return Err(CalendarError::KindNotAllowed {
                        date: day.date,
                        kind: day.kind,
                    });
                }
            }
        }
        Ok(())
    }

    /// Date → kind, for comparing two versions of the same year.
    fn kinds(&self) -> BTreeMap<NaiveDate, DayKind> {
        self.days.iter().map(|d| (d.date, d.kind)).collect()
    }
}

/// Why a calendar file, year or overlay was refused. [`CalendarError::message_zh`] gives the
/// text for the administrator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The text is not JSON of the calendar-year shape.
    #[error("calendar file is not valid JSON of the expected shape: {message}")]
    Parse {
        /// The JSON parser's description, with line and column.
        message: String,
    },
    /// The version is blank or contains `;`.
    #[error("calendar year {year} has a blank version or one containing ';'")]
    BadVersion {
        /// The year of the offending file.
        year: i32,
    },
    /// The year lists no days at all, which no published schedule does.
    #[error("calendar year {year} lists no days")]
    EmptyYear {
        /// The year of the offending file.
        year: i32,
    },
    /// A date lies outside the year of its file.
    #[error("date {date} is not in calendar year {year}")]
    DateOutsideYear {
        /// The year of the file.
        year: i32,
        /// The offending date.
        date: NaiveDate,
    },
    /// A date is listed twice in one file or overlay.
    #[error("date {date} is listed twice")]
    DuplicateDate {
        /// The repeated date.
        date: NaiveDate,
    },
    /// The national table lists an ordinary work or rest day.
    #[error(
        "date {date} has kind {kind:?}; the national table lists only holidays and makeup days"
    )]
    KindNotAllowed {
        /// The offending date.
        date: NaiveDate,
        /// The kind given for it.
        kind: DayKind,
    },
    /// A make-up working day falls on a weekday.
    #[error("makeup workday {date} is not a Saturday or Sunday")]
    MakeupNotWeekend {
        /// The offending date.
        date: NaiveDate,
    },
    /// The overlay marks a weekend day as an ordinary workday instead of a make-up day.
    #[error("overlay workday {date} is a Saturday or Sunday; use makeup_workday")]
    WorkdayOnWeekend {
        /// The offending date.
        date: NaiveDate,
    },
    /// The year is already loaded; [`Calendar::replace_year`] is the way to correct it.
    #[error("calendar year {year} is already loaded")]
    YearAlreadyLoaded {
        /// The repeated year.
        year: i32,
    },
    /// A replacement changes the days but keeps the old version, which would hide the change
    /// from deadlines stamped with that version.
    #[error("calendar year {year} changes its days but keeps version {version}")]
    VersionUnchanged {
        /// The year being replaced.
        year: i32,
        /// The version both files share.
        version: String,
    },
}

impl CalendarError {
    /// A complete Chinese sentence for the administrator who supplied the data.
    pub fn message_zh(&self) -> String {
        match self {
            CalendarError::Parse { message } => {
                format!("节假日安排文件格式有误，不是有效的 JSON：{message}")
            }
            CalendarError::BadVersion { year } => {
                format!("{year}年节假日安排的版本号（version）不能为空，也不能含有分号")
            }
            CalendarError::EmptyYear { year } => {
                format!("{year}年节假日安排没有列出任何日期，请核对文件")
            }
            CalendarError::DateOutsideYear { year, date } => {
                format!("{year}年节假日安排中的日期 {date} 不属于{year}年")
            }
            CalendarError::DuplicateDate { date } => format!("日期 {date} 重复出现"),
            CalendarError::KindNotAllowed { date, kind } => format!(
                "日期 {date} 标为“{}”；全国节假日安排只应列出节假日和调休上班日",
                kind.name_zh()
            ),
            CalendarError::MakeupNotWeekend { date } => {
                format!("调休上班日 {date} 不是星期六或星期日，请核对通知原文")
            }
            CalendarError::WorkdayOnWeekend { date } => {
                format!("本地补充日历中 {date} 是星期六或星期日，周末上班请标为“调休上班日”")
            }
            CalendarError::YearAlreadyLoaded { year } => {
                format!("{year}年节假日安排已经导入；如需更正，请使用替换功能并更新版本号")
            }
            CalendarError::VersionUnchanged { year, version } => format!(
                "{year}年节假日安排的日期有改动，但版本号仍为“{version}”；请填写新的版本号，\
                 以便识别按旧安排计算的截止日期"
            ),
        }
    }
}

/// The working-day calendar: national years loaded so far plus an optional county overlay.
///
/// `Default` is an empty calendar in which every year is uncovered (weekends only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    /// Loaded national years, ordered so that [`Calendar::version`] is stable.
    years: BTreeMap<i32, CalendarYear>,
    /// Every listed national day, for O(log n) lookup.
    national: BTreeMap<NaiveDate, CalendarDay>,
    /// County overlay; wins over `national`.
    overlay: BTreeMap<NaiveDate, CalendarDay>,
}

/// The bundled national schedules; `Calendar::bundled` and the tests check them.
const BUNDLED_YEARS: [&str; 2] = [
    include_str!("../../../../assets/calendar/cn-2025.json"),
    include_str!("../../../../assets/calendar/cn-2026.json"),
];

impl Calendar {
    /// The national schedules shipped with the app (2025 and 2026), without an overlay.
    pub fn bundled() -> Calendar {
        let years = BUNDLED_YEARS
            .iter()
            .map(|text| {
                CalendarYear::from_json(text)
                    .expect("bundled calendar files are validated by the calendar tests")
            })
            .collect();
        Calendar::from_years(years).expect("bundled calendar years are distinct and valid")
    }

    /// A calendar of the given national years, each checked with [`CalendarYear::validate`];
    /// the same year may not appear twice.
    pub fn from_years(years: Vec<CalendarYear>) -> Result<Calendar, CalendarError> {
        let mut calendar = Calendar::default();
        for year in years {
            calendar.import_year(year)?;
        }
        Ok(calendar)
    }

    /// Replaces the county overlay (local holidays, local working days). Overlay days win over
    /// the national table and may be of any kind, but a weekend day worked must be a
    /// [`DayKind::MakeupWorkday`], a make-up day must be a weekend day, and no date may repeat.
    pub fn with_overlay(mut self, overlay: Vec<CalendarDay>) -> Result<Calendar, CalendarError> {
        let mut days = BTreeMap::new();
        for day in overlay {
            match day.kind {
                DayKind::MakeupWorkday if !is_weekend(day.date) => {
                    return Err(CalendarError::MakeupNotWeekend { date: day.date });
                }
                DayKind::Workday if is_weekend(day.date) => {
                    return Err(CalendarError::WorkdayOnWeekend { date: day.date });
                }
                _ => {}
            }
            let date = day.date;
            if days.insert(date, day).is_some() {
                return Err(CalendarError::DuplicateDate { date });
            }
        }
        self.overlay = days;
        Ok(self)
    }

    /// Adds a national year (normally next year, imported by an administrator after the
    /// November notice). Refused if it breaks a rule or the year is already loaded.
    pub fn import_year(&mut self, year: CalendarYear) -> Result<(), CalendarError> {
        year.validate()?;
        if self.years.contains_key(&year.year) {
            return Err(CalendarError::YearAlreadyLoaded { year: year.year });
        }
        self.insert_year(year);
        Ok(())
    }

    /// Loads a corrected schedule for a year (a notice amended during the year), returning the
    /// one it replaces. A year not yet loaded is simply added. A replacement that changes any day
    /// must carry a new version, so that deadlines stamped with the old one can be found.
    pub fn replace_year(
        &mut self,
        year: CalendarYear,
    ) -> Result<Option<CalendarYear>, CalendarError> {
        year.validate()?;
        if let Some(old) = self.years.get(&year.year)
            && old.version == year.version
            && old.kinds() != year.kinds()
        {
            return Err(CalendarError::VersionUnchanged {
                year: year.year,
                version: year.version,
            });
        }
        let old = self.years.remove(&year.year);
        if let Some(old) = &old {
            for day in &old.days {
                self.national.remove(&day.date);
            }
        }
        self.insert_year(year);
        Ok(old)
    }

    /// Stores a validated year and indexes its days. Dates cannot clash with other years
    /// because validation keeps every date inside its own year.
    fn insert_year(&mut self, year: CalendarYear) {
        for day in &year.days {
            self.national.insert(day.date, day.clone());
        }
        self.years.insert(year.year, year);
    }

    /// What kind of day `date` is: the overlay first, then the national table, then the
    /// weekday (Saturday and Sunday rest, other days work).
    pub fn kind(&self, date: NaiveDate) -> DayKind {
        if let Some(day) = self.overlay.get(&date).or_else(|| self.national.get(&date)) {
            return day.kind;
        }
        if is_weekend(date) {
            DayKind::Restday
        } else {
            DayKind::Workday
        }
    }

    /// Whether the office works on `date` ([`DayKind::Workday`] or [`DayKind::MakeupWorkday`]).
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.kind(date).is_working()
    }

    /// The listed entry for `date` (overlay first), with its name, if the date is listed at all.
    pub fn entry(&self, date: NaiveDate) -> Option<&CalendarDay> {
        self.overlay.get(&date).or_else(|| self.national.get(&date))
    }

    /// Whether the national schedule of `year` is loaded. For an uncovered year [`Calendar::kind`]
    /// only knows weekends, so results depending on it must be flagged for review.
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    /// The loaded national years, ascending.
    pub fn loaded_years(&self) -> Vec<i32> {
        self.years.keys().copied().collect()
    }

    /// The loaded national schedule of `year`, if any.
    pub fn year(&self, year: i32) -> Option<&CalendarYear> {
        self.years.get(&year)
    }

    /// The county overlay, in date order.
    pub fn overlay_days(&self) -> Vec<CalendarDay> {
        self.overlay.values().cloned().collect()
    }

    /// A string identifying exactly what this calendar says, e.g.
    /// `cn-2025:国办发明电〔2024〕12号/2024-11-12;cn-2026:…;overlay:0`. It is stored with every
    /// computed due date so that a later calendar change can be detected.
    ///
    /// A national year is identified by its published version. The overlay has no version of its
    /// own, so it is identified by its size and a fingerprint of its dates and kinds
    /// (`overlay:2#1a2b3c4d`); two different overlays of the same size then still differ.
    pub fn version(&self) -> String {
        let mut out = String::new();
        for (year, data) in &self.years {
            // Writing to a String cannot fail.
            let _ = write!(out, "cn-{year}:{};", data.version);
        }
        if self.overlay.is_empty() {
            out.push_str("overlay:0");
        } else {
            let _ = write!(
                out,
                "overlay:{}#{:08x}",
                self.overlay.len(),
                overlay_fingerprint(&self.overlay)
            );
        }
        out
    }
}

/// Saturday or Sunday.
fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// 32-bit FNV-1a over `date=kind` lines. A fixed, documented hash is used instead of std's
/// `DefaultHasher`, whose output may change between Rust releases, because the value is stored
/// in the database and compared later. Names are left out: they do not change any deadline.
fn overlay_fingerprint(overlay: &BTreeMap<NaiveDate, CalendarDay>) -> u32 {
    const OFFSET: u32 = 0x811c_9dc5;
    const PRIME: u32 = 0x0100_0193;
    let mut hash = OFFSET;
    for day in overlay.values() {
        let line = format!("{}={:?}\n", day.date, day.kind);
        for byte in line.bytes() {
            hash ^= u32::from(byte);
            hash = hash.wrapping_mul(PRIME);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test dates are valid")
    }

    fn day(date: &str, kind: DayKind) -> CalendarDay {
        CalendarDay {
            date: d(date),
            kind,
            name: None,
        }
    }

    /// A small, plausible 2027 file for import tests (not the real schedule).
    fn sample_2027() -> CalendarYear {
        CalendarYear {
            year: 2027,
            version: "test/2026-11-01".to_string(),
            source: "unit test".to_string(),
            days: vec![
                day("2027-01-01", DayKind::Holiday),
                day("2027-01-02", DayKind::Holiday),
                day("2027-01-03", DayKind::Holiday),
            ],
        }
    }

    #[test]
    fn bundled_calendar_covers_2025_and_2026_only() {
        let calendar = Calendar::bundled();
        assert!(calendar.covers(2025));
        assert!(calendar.covers(2026));
        assert!(!calendar.covers(2024));
        assert!(!calendar.covers(2027));
        assert_eq!(calendar.loaded_years(), vec![2025, 2026]);
    }

    #[test]
    fn bundled_files_hold_the_published_number_of_days() {
        let counts = |text: &str| {
            let year = CalendarYear::from_json(text).expect("bundled file parses");
            let holidays = year
                .days
                .iter()
                .filter(|d| d.kind == DayKind::Holiday)
                .count();
            (holidays, year.days.len() - holidays)
        };
        // 2025: 1 + 8 + 3 + 5 + 3 + 8 days off; make-up days 1/26, 2/8, 4/27, 9/28, 10/11.
        assert_eq!(counts(BUNDLED_YEARS[0]), (28, 5));
        // 2026: 3 + 9 + 3 + 5 + 3 + 3 + 7 days off; make-up days 1/4, 2/14, 2/28, 5/9, 9/20, 10/10.
        assert_eq!(counts(BUNDLED_YEARS[1]), (33, 6));
    }

    #[test]
    fn bundled_days_match_the_published_breaks() {
        let calendar = Calendar::bundled();
        assert_eq!(calendar.kind(d("2025-01-01")), DayKind::Holiday);
        assert_eq!(calendar.kind(d("2025-01-26")), DayKind::MakeupWorkday);
        assert_eq!(calendar.kind(d("2025-10-05")), DayKind::Holiday);
        assert_eq!(calendar.kind(d("2025-10-08")), DayKind::Holiday);
        assert_eq!(calendar.kind(d("2025-10-09")), DayKind::Workday);
        assert_eq!(calendar.kind(d("2025-10-11")), DayKind::MakeupWorkday);
        assert_eq!(calendar.kind(d("2026-01-04")), DayKind::MakeupWorkday);
        assert_eq!(calendar.kind(d("2026-02-14")), DayKind::MakeupWorkday);
        assert_eq!(calendar.kind(d("2026-02-15")), DayKind::Holiday);
        assert_eq!(calendar.kind(d("2026-02-23")), DayKind::Holiday);
        assert_eq!(calendar.kind(d("2026-02-24")), DayKind::Workday);
        assert_eq!(calendar.kind(d("2026-09-20")), DayKind::MakeupWorkday);
        assert_eq!(calendar.kind(d("2026-10-07")), DayKind::Holiday);
        assert_eq!(
            calendar
                .entry(d("2026-02-15"))
                .and_then(|e| e.name.as_deref()),
            Some("春节")
        );
    }

    #[test]
    fn bundled_years_never_have_more_than_six_working_days_in_a_row() {
        // 放假办法 Art. 7 limits runs of working days around breaks to six; a typo in a file
        // (a wrong make-up date) would very likely break this.
        let calendar = Calendar::bundled();
        let mut date = d("2025-01-01");
        let mut run = 0;
        while date <= d("2026-12-31") {
            run = if calendar.is_working_day(date) {
                run + 1
            } else {
                0
            };
            assert!(run <= 6, "seven working days in a row ending {date}");
            date = date.succ_opt().expect("date in range");
        }
    }

    #[test]
    fn ordinary_weekends_rest_and_weekdays_work() {
        let calendar = Calendar::bundled();
        assert_eq!(calendar.kind(d("2026-03-07")), DayKind::Restday);
        assert_eq!(calendar.kind(d("2026-03-08")), DayKind::Restday);
        assert_eq!(calendar.kind(d("2026-03-09")), DayKind::Workday);
        assert!(calendar.entry(d("2026-03-09")).is_none());
    }

    #[test]
    fn makeup_workdays_count_as_working_days_and_holidays_do_not() {
        let calendar = Calendar::bundled();
        assert!(calendar.is_working_day(d("2026-02-14")));
        assert!(calendar.is_working_day(d("2026-02-28")));
        assert!(!calendar.is_working_day(d("2026-02-16")));
        assert!(!calendar.is_working_day(d("2026-02-21")));
    }

    #[test]
    fn uncovered_years_fall_back_to_plain_weekends() {
        let calendar = Calendar::bundled();
        // 2027-01-01 is a Friday: a holiday in reality, but unknown until 2027 is imported.
        assert_eq!(calendar.kind(d("2027-01-01")), DayKind::Workday);
        assert_eq!(calendar.kind(d("2027-01-02")), DayKind::Restday);
    }

    #[test]
    fn a_date_outside_its_year_is_refused() {
        let mut year = sample_2027();
        year.days.push(day("2026-12-31", DayKind::Holiday));
        assert_eq!(
            Calendar::from_years(vec![year]),
            Err(CalendarError::DateOutsideYear {
                year: 2027,
                date: d("2026-12-31")
            })
        );
    }

    #[test]
    fn ordinary_kinds_are_refused_in_the_national_table() {
        let mut year = sample_2027();
        year.days.push(day("2027-01-05", DayKind::Workday));
        let err = Calendar::from_years(vec![year]).expect_err("workday refused");
        assert!(matches!(err, CalendarError::KindNotAllowed { .. }));
        assert!(err.message_zh().contains("工作日"));
    }

    #[test]
    fn a_makeup_day_on_a_weekday_is_refused() {
        let mut year = sample_2027();
        // 2027-01-05 is a Tuesday.
        year.days.push(day("2027-01-05", DayKind::MakeupWorkday));
        assert_eq!(
            Calendar::from_years(vec![year]),
            Err(CalendarError::MakeupNotWeekend {
                date: d("2027-01-05")
            })
        );
    }

    #[test]
    fn a_blank_version_and_an_empty_year_are_refused() {
        let mut year = sample_2027();
        year.version = "  ".to_string();
        assert_eq!(
            year.validate(),
            Err(CalendarError::BadVersion { year: 2027 })
        );
        let mut year = sample_2027();
        year.version = "a;b".to_string();
        assert_eq!(
            year.validate(),
            Err(CalendarError::BadVersion { year: 2027 })
        );
        let mut year = sample_2027();
        year.days.clear();
        assert_eq!(
            year.validate(),
            Err(CalendarError::EmptyYear { year: 2027 })
        );
    }

    #[test]
    fn the_same_year_twice_is_refused() {
        assert_eq!(
            Calendar::from_years(vec![sample_2027(), sample_2027()]),
            Err(CalendarError::YearAlreadyLoaded { year: 2027 })
        );
    }

    #[test]
    fn import_of_a_year_with_a_duplicate_date_is_refused_and_leaves_the_calendar_unchanged() {
        let mut calendar = Calendar::bundled();
        let before = calendar.clone();
        let mut year = sample_2027();
        year.days.push(day("2027-01-02", DayKind::Holiday));
        let err = calendar.import_year(year).expect_err("duplicate refused");
        assert_eq!(
            err,
            CalendarError::DuplicateDate {
                date: d("2027-01-02")
            }
        );
        assert!(err.message_zh().contains("2027-01-02"));
        assert_eq!(calendar, before);
    }

    #[test]
    fn import_of_a_year_already_loaded_is_refused() {
        let mut calendar = Calendar::bundled();
        let again = CalendarYear::from_json(BUNDLED_YEARS[1]).expect("bundled file parses");
        let err = calendar.import_year(again).expect_err("already loaded");
        assert_eq!(err, CalendarError::YearAlreadyLoaded { year: 2026 });
        assert!(err.message_zh().contains("已经导入"));
    }

    #[test]
    fn version_string_changes_when_a_year_is_imported() {
        let mut calendar = Calendar::bundled();
        let before = calendar.version();
        assert_eq!(
            before,
            "cn-2025:国办发明电〔2024〕12号/2024-11-12;cn-2026:国务院办公厅通知/2025-11-04;overlay:0"
        );
        calendar.import_year(sample_2027()).expect("valid year");
        let after = calendar.version();
        assert_ne!(before, after);
        assert!(after.contains("cn-2027:test/2026-11-01;"));
        assert!(calendar.covers(2027));
        assert_eq!(calendar.kind(d("2027-01-01")), DayKind::Holiday);
    }

    #[test]
    fn replacing_a_year_needs_a_new_version_when_days_change() {
        let mut calendar = Calendar::bundled();
        calendar.import_year(sample_2027()).expect("valid year");
        let mut changed = sample_2027();
        changed.days.pop();
        let err = calendar
            .replace_year(changed.clone())
            .expect_err("same version");
        assert!(matches!(
            err,
            CalendarError::VersionUnchanged { year: 2027, .. }
        ));

        changed.version = "test/2027-01-01".to_string();
        let old = calendar
            .replace_year(changed)
            .expect("new version accepted");
        assert_eq!(old.map(|y| y.version), Some("test/2026-11-01".to_string()));
        // The day dropped from the corrected file is an ordinary Sunday again.
        assert_eq!(calendar.kind(d("2027-01-03")), DayKind::Restday);
        assert!(calendar.version().contains("cn-2027:test/2027-01-01;"));
    }

    #[test]
    fn overlay_wins_over_the_national_table() {
        let calendar = Calendar::bundled()
            .with_overlay(vec![
                day("2026-03-10", DayKind::Holiday),
                day("2026-10-07", DayKind::Workday),
            ])
            .expect("valid overlay");
        assert_eq!(calendar.kind(d("2026-03-10")), DayKind::Holiday);
        assert!(!calendar.is_working_day(d("2026-03-10")));
        assert_eq!(calendar.kind(d("2026-10-07")), DayKind::Workday);
    }

    #[test]
    fn overlay_changes_the_version_even_at_the_same_size() {
        let plain = Calendar::bundled();
        let a = plain
            .clone()
            .with_overlay(vec![day("2026-03-10", DayKind::Holiday)])
            .expect("valid overlay");
        let b = plain
            .clone()
            .with_overlay(vec![day("2026-03-11", DayKind::Holiday)])
            .expect("valid overlay");
        assert!(a.version().contains(";overlay:1#"));
        assert_ne!(a.version(), plain.version());
        assert_ne!(a.version(), b.version());
        // The fingerprint is a pure function of the overlay, so it is stable across runs.
        let again = plain
            .with_overlay(vec![day("2026-03-10", DayKind::Holiday)])
            .expect("valid overlay");
        assert_eq!(a.version(), again.version());
    }

    #[test]
    fn overlay_refuses_weekend_workdays_weekday_makeups_and_repeats() {
        let calendar = Calendar::bundled();
        assert_eq!(
            calendar
                .clone()
                .with_overlay(vec![day("2026-03-07", DayKind::Workday)]),
            Err(CalendarError::WorkdayOnWeekend {
                date: d("2026-03-07")
            })
        );
        assert_eq!(
            calendar
                .clone()
                .with_overlay(vec![day("2026-03-09", DayKind::MakeupWorkday)]),
            Err(CalendarError::MakeupNotWeekend {
                date: d("2026-03-09")
            })
        );
        assert_eq!(
            calendar.with_overlay(vec![
                day("2026-03-10", DayKind::Holiday),
                day("2026-03-10", DayKind::Restday),
            ]),
            Err(CalendarError::DuplicateDate {
                date: d("2026-03-10")
            })
        );
    }

    #[test]
    fn unknown_fields_and_bad_json_are_refused_with_a_chinese_message() {
        let err = CalendarYear::from_json(
            r#"{"year": 2027, "version": "v", "source": "s",
                "days": [{"date": "2027-01-01", "knd": "holiday"}]}"#,
        )
        .expect_err("misspelt key refused");
        assert!(matches!(err, CalendarError::Parse { .. }));
        assert!(err.message_zh().starts_with("节假日安排文件格式有误"));
    }

    #[test]
    fn day_kinds_serialise_in_snake_case() {
        let json =
            serde_json::to_string(&day("2026-01-04", DayKind::MakeupWorkday)).expect("serialise");
        assert_eq!(json, r#"{"date":"2026-01-04","kind":"makeup_workday"}"#);
        let back: CalendarDay = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back.kind, DayKind::MakeupWorkday);
    }

    #[test]
    fn every_error_has_a_chinese_message() {
        let date = d("2027-01-05");
        let errors = [
            CalendarError::Parse {
                message: "x".to_string(),
            },
            CalendarError::BadVersion { year: 2027 },
            CalendarError::EmptyYear { year: 2027 },
            CalendarError::DateOutsideYear { year: 2027, date },
            CalendarError::DuplicateDate { date },
            CalendarError::KindNotAllowed {
                date,
                kind: DayKind::Restday,
            },
            CalendarError::MakeupNotWeekend { date },
            CalendarError::WorkdayOnWeekend { date },
            CalendarError::YearAlreadyLoaded { year: 2027 },
            CalendarError::VersionUnchanged {
                year: 2027,
                version: "v".to_string(),
            },
        ];
        for error in errors {
            let text = error.message_zh();
            assert!(
                text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{text}"
            );
        }
    }
}
