//! Supervision (督查督办) over the statutory clocks: what is overdue, due today, due this week,
//! by unit, handler and region; the calendar re-check after a holiday table changes; and the
//! performance indicators (domain.md §2.1) with the cases behind each figure.
//!
//! A clock's state (正常 / 临期 / 到期 / 逾期) is never stored: it depends on today, so it is
//! computed when read from the stored due date.

use std::collections::HashMap;

use chrono::{Datelike, Days, NaiveDate};
use rusqlite::{Connection, ToSql, params_from_iter};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    Empty, Settings, parse_date,
    workflow::{clock_kind, is_window},
};
use crate::{
    Error, Result,
    auth::Session,
    clock::china_date,
    domain::deadline::{ClockKind, ClockState, DayUnit, Rollover, clock_state, compute_due},
    events::StepDetail,
    model::{ClockStatus, StepKind},
    register::Register,
};

/// A statutory clock of a matter, as the case page shows it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MatterClock {
    /// Id.
    pub id: Uuid,
    /// D1 … S3.
    pub kind: ClockKind,
    /// Its Chinese name.
    pub kind_name: String,
    /// The provision.
    pub rule_ref: String,
    /// Who must act (None: this centre).
    pub holder: Option<String>,
    /// Start day (not counted).
    pub start: NaiveDate,
    /// Due date as stored when the clock started.
    pub due: NaiveDate,
    /// Length and unit, e.g. 15 自然日.
    pub length: u32,
    /// 自然日 or 工作日.
    pub unit_name: String,
    /// Calendar version used.
    pub calendar_version: String,
    /// Warnings stored with it (a year without a holiday table).
    pub warnings: Vec<String>,
    /// open, met, superseded, ended.
    pub status: ClockStatus,
    /// Its Chinese name.
    pub status_name: String,
    /// When it stopped.
    pub ended_on: Option<NaiveDate>,
    /// Today's state, for open duty clocks.
    pub state: Option<ClockState>,
    /// 正常 / 临期 / 到期 / 逾期, or for a window 已届满; for a stopped clock 按期 / 超期.
    pub state_name: String,
    /// Days until due (negative: overdue), for open clocks.
    pub days_left: Option<i64>,
    /// A window for the petitioner or the receiver, not a duty.
    pub is_window: bool,
}

fn today(register: &Register) -> NaiveDate {
    china_date(register.now())
}

/// The clocks of a matter, oldest first.
pub(crate) fn clocks_of(register: &Register, matter_id: Uuid) -> Result<Vec<MatterClock>> {
    let today = today(register);
    let approaching = Settings::load(register.conn())?.clock_approaching_days;
    let mut stmt = register.conn().prepare_cached(
        "SELECT id, kind, rule_ref, holder, start_date, due_date, length, unit,
           calendar_version, warnings, status, ended_on
         FROM matter_clocks WHERE matter_id = ?1 ORDER BY started_at, id",
    )?;
    let mut rows = stmt.query([matter_id.to_string()])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let kind = clock_kind(&r.get::<_, String>(1)?)?;
        let due = date_col(r.get(5)?)?;
        let status = ClockStatus::from_code(&r.get::<_, String>(10)?).unwrap_or(ClockStatus::Open);
        let ended_on = r.get::<_, Option<String>>(11)?.and_then(|d| parse_date(&d));
        let unit = if r.get::<_, String>(7)? == "working" {
            DayUnit::Working
        } else {
            DayUnit::Calendar
        };
        let window = is_window(kind);
        let (state, state_name, days_left) = match (status, ended_on) {
            (ClockStatus::Open, _) => {
                let left = (due - today).num_days();
                if window {
                    let name = if left < 0 { "已届满" } else { "期间内" };
                    (None, name.to_owned(), Some(left))
                } else {
                    let state = clock_state(due, today, approaching);
                    (Some(state), state.name_zh().to_owned(), Some(left))
                }
            }
            (ClockStatus::Met, Some(on)) if !window => (
                None,
                if on <= due { "按期" } else { "超期" }.to_owned(),
                None,
            ),
            _ => (None, status.name_zh().to_owned(), None),
        };
        out.push(MatterClock {
            id: Uuid::parse_str(&r.get::<_, String>(0)?).unwrap_or_default(),
            kind,
            kind_name: kind.name_zh().to_owned(),
            rule_ref: r.get(2)?,
            holder: r.get(3)?,
            start: date_col(r.get(4)?)?,
            due,
            length: r.get(6)?,
            unit_name: unit.name_zh().to_owned(),
            calendar_version: r.get(8)?,
            warnings: serde_json::from_str(&r.get::<_, String>(9)?)?,
            status,
            status_name: status.name_zh().to_owned(),
            ended_on,
            state,
            state_name,
            days_left,
            is_window: window,
        });
    }
    Ok(out)
}

fn date_col(text: String) -> Result<NaiveDate> {
    parse_date(&text).ok_or_else(|| Error::Internal(format!("bad stored date {text}")))
}

/// The extra facts of a step, for the timeline line.
pub(crate) fn describe_detail(kind: StepKind, d: &StepDetail) -> String {
    let mut parts = Vec::new();
    if let Some(on) = d.effective_on {
        let label = match kind {
            StepKind::Answer | StepKind::ReviewOpinion | StepKind::RecheckOpinion => "送达",
            StepKind::ReviewRequest | StepKind::RecheckRequest => "收到申请",
            _ => "日期",
        };
        parts.push(format!("{label}{on}"));
    }
    if let Some(method) = &d.method {
        parts.push(method.clone());
    }
    if d.simplified {
        parts.push("简易办理".to_owned());
    }
    if let Some(path) = &d.statutory_path {
        parts.push(path.clone());
    }
    if let Some(days) = d.extension_days {
        parts.push(format!("延长{days}日"));
    }
    if let Some(approver) = &d.approver {
        parts.push(format!("批准人{approver}"));
    }
    if let Some(reason) = &d.reason {
        parts.push(format!("理由：{reason}"));
    }
    if let Some(channel) = &d.proper_channel {
        parts.push(format!("应向{channel}提出"));
    }
    for item in &d.items {
        parts.push(format!("{}：{}", item.item, item.outcome.name_zh()));
    }
    if let Some(due) = d.due_by {
        parts.push(format!("限{due}前"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("；{}", parts.join("，"))
    }
}

// ------------------------------------------------------------------------------ clocks_list

/// Which clocks a supervision list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClockBucket {
    /// 逾期.
    #[default]
    Overdue,
    /// 今日到期.
    DueToday,
    /// 本周到期 (today to Sunday).
    ThisWeek,
    /// 临期 (within the threshold, not today).
    Approaching,
    /// Every open clock.
    Open,
}

/// Filters of the supervision lists.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ClocksInput {
    /// Which clocks.
    pub bucket: ClockBucket,
    /// 责任单位 (exact; `本中心` for this centre's own clocks).
    pub unit: Option<String>,
    /// 承办人.
    pub handler_id: Option<Uuid>,
    /// 问题属地 (prefix of the GB/T 2260 code).
    pub region_code: Option<String>,
    /// Only matters the signed-in user handles.
    pub mine: bool,
    /// Include the petitioner's and receiver's windows (D4, D7, D9).
    pub include_windows: bool,
    /// Page size (default 50, at most 500).
    pub limit: Option<u32>,
    /// Rows to skip.
    pub offset: Option<u32>,
}

/// How many clocks are in each state.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct ClockCounts {
    /// 逾期.
    pub overdue: u64,
    /// 今日到期.
    pub due_today: u64,
    /// 本周到期 (including today).
    pub this_week: u64,
    /// 临期 (within the threshold, not today).
    pub approaching: u64,
}

/// One open clock in a supervision list.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ClockRow {
    /// The clock.
    pub clock_id: Uuid,
    /// The matter.
    pub matter_id: Uuid,
    /// 信访件编号.
    pub number: String,
    /// 概况.
    pub summary: String,
    /// 信访人.
    pub petitioner_names: String,
    /// D1 … S3.
    pub kind: ClockKind,
    /// Its name.
    pub kind_name: String,
    /// The provision.
    pub rule_ref: String,
    /// 责任单位 (本中心 for this centre).
    pub holder: String,
    /// Due date.
    pub due: NaiveDate,
    /// Days left (negative: overdue).
    pub days_left: i64,
    /// State today.
    pub state: ClockState,
    /// 正常 / 临期 / 到期 / 逾期.
    pub state_name: String,
    /// 承办人.
    pub handler_name: Option<String>,
    /// 问题属地.
    pub region_name: Option<String>,
}

/// A count per unit, handler or region.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct GroupCount {
    /// The key filtered on (unit name, user id, region code); None for 本中心 / 未指定.
    pub key: Option<String>,
    /// What to show.
    pub name: String,
    /// 逾期.
    pub overdue: u64,
    /// 今日到期 or 临期.
    pub due_soon: u64,
    /// Open duty clocks in all.
    pub open: u64,
}

/// A supervision page.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ClockPage {
    /// The date the states are computed for.
    pub today: NaiveDate,
    /// 临期 threshold in force.
    pub approaching_days: u32,
    /// Counts per state under the filters.
    pub counts: ClockCounts,
    /// Rows of the chosen bucket, most urgent first.
    pub items: Vec<ClockRow>,
    /// Rows in the bucket in all.
    pub total: u64,
    /// Per unit.
    pub by_unit: Vec<GroupCount>,
    /// Per handler.
    pub by_handler: Vec<GroupCount>,
    /// Per county-level region.
    pub by_region: Vec<GroupCount>,
}

/// The label for clocks this centre holds itself.
pub const OWN_UNIT: &str = "本中心";

struct Filter {
    sql: String,
    args: Vec<Box<dyn ToSql>>,
}

fn clock_filter(input: &ClocksInput, who: &Session) -> Result<Filter> {
    let mut sql = String::from("c.status = 'open'");
    let mut args: Vec<Box<dyn ToSql>> = Vec::new();
    if !input.include_windows {
        sql.push_str(" AND c.kind NOT IN ('D4', 'D7', 'D9')");
    }
    if let Some(unit) = input
        .unit
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        if unit == OWN_UNIT {
            sql.push_str(" AND c.holder IS NULL");
        } else {
            sql.push_str(" AND c.holder = ?");
            args.push(Box::new(unit.to_owned()));
        }
    }
    let handler = if input.mine {
        Some(who.user_id)
    } else {
        input.handler_id
    };
    if let Some(handler) = handler {
        sql.push_str(" AND m.handler_id = ?");
        args.push(Box::new(handler.to_string()));
    }
    if let Some(region) = input
        .region_code
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        if !region.chars().all(|c| c.is_ascii_digit()) || region.len() > 12 {
            return Err(Error::field(
                "invalid_region",
                "region_code",
                "问题属地代码应为数字",
            ));
        }
        // A prefix range instead of LIKE, so an index on region_code could serve it.
        sql.push_str(" AND m.region_code >= ? AND m.region_code < ?");
        args.push(Box::new(region.to_owned()));
        args.push(Box::new(format!("{region}\u{ff}")));
    }
    Ok(Filter { sql, args })
}

/// The last day of `today`'s week (Sunday).
fn week_end(today: NaiveDate) -> NaiveDate {
    let left = 6 - today.weekday().num_days_from_monday();
    today + Days::new(u64::from(left))
}

/// 时限监督: open clocks by state, with counts per unit, handler and region.
pub fn clocks_list(
    register: &mut Register,
    who: &Session,
    input: ClocksInput,
) -> Result<ClockPage> {
    let settings = Settings::load(register.conn())?;
    let approaching_days = settings.clock_approaching_days;
    let today = today(register);
    let filter = clock_filter(&input, who)?;
    let t = today.to_string();
    let week = week_end(today).to_string();
    let near = (today + Days::new(u64::from(approaching_days))).to_string();
    let conn = register.conn();

    // One pass over the open clocks under the filters gives the counts and the three
    // breakdowns; only the page of rows is a second, limited query.
    let week_end_date = week_end(today);
    let near_date = today + Days::new(u64::from(approaching_days));
    let mut counts = ClockCounts::default();
    let mut bucket_total = 0u64;
    let mut units: HashMap<Option<String>, GroupCount> = HashMap::new();
    let mut handlers: HashMap<Option<String>, GroupCount> = HashMap::new();
    let mut regions: HashMap<Option<String>, GroupCount> = HashMap::new();
    {
        let mut stmt = conn.prepare(&format!(
            "SELECT c.due_date, c.holder, m.handler_id, substr(m.region_code, 1, 6)
             FROM matter_clocks c JOIN matters m ON m.id = c.matter_id WHERE {}",
            numbered(&filter.sql, 1)
        ))?;
        let mut rows = stmt.query(params_from_iter(filter.args.iter().map(|a| a.as_ref())))?;
        while let Some(r) = rows.next()? {
            let Some(due) = parse_date(&r.get::<_, String>(0)?) else {
                continue;
            };
            let overdue = due < today;
            let soon = due >= today && due <= near_date;
            if overdue {
                counts.overdue += 1;
            } else if due == today {
                counts.due_today += 1;
            } else if soon {
                counts.approaching += 1;
            }
            if due >= today && due <= week_end_date {
                counts.this_week += 1;
            }
            let in_bucket = match input.bucket {
                ClockBucket::Overdue => overdue,
                ClockBucket::DueToday => due == today,
                ClockBucket::ThisWeek => due >= today && due <= week_end_date,
                ClockBucket::Approaching => due > today && due <= near_date,
                ClockBucket::Open => true,
            };
            bucket_total += u64::from(in_bucket);
            for (map, key) in [
                (&mut units, r.get::<_, Option<String>>(1)?),
                (&mut handlers, r.get::<_, Option<String>>(2)?),
                (&mut regions, r.get::<_, Option<String>>(3)?),
            ] {
                let g = map.entry(key.clone()).or_insert_with(|| GroupCount {
                    key,
                    name: String::new(),
                    overdue: 0,
                    due_soon: 0,
                    open: 0,
                });
                g.overdue += u64::from(overdue);
                g.due_soon += u64::from(soon);
                g.open += 1;
            }
        }
    }
    let total = bucket_total as i64;
    let (range, bound): (&str, Vec<String>) = match input.bucket {
        ClockBucket::Overdue => ("c.due_date < ?1", vec![t]),
        ClockBucket::DueToday => ("c.due_date = ?1", vec![t]),
        ClockBucket::ThisWeek => ("c.due_date >= ?1 AND c.due_date <= ?2", vec![t, week]),
        ClockBucket::Approaching => ("c.due_date > ?1 AND c.due_date <= ?2", vec![t, near]),
        ClockBucket::Open => ("1", vec![]),
    };
    let first_free = bound.len() + 1;
    let where_sql = format!("{range} AND {}", numbered(&filter.sql, first_free));
    let mut args: Vec<&dyn ToSql> = bound.iter().map(|b| b as &dyn ToSql).collect();
    args.extend(filter.args.iter().map(|a| a.as_ref()));
    let limit = input.limit.unwrap_or(50).clamp(1, 500);
    let offset = input.offset.unwrap_or(0);
    let codes = register.codes();
    let mut stmt = conn.prepare(&format!(
        "SELECT c.id, c.matter_id, m.number, m.summary, m.petitioner_names, c.kind, c.rule_ref,
           c.holder, c.due_date, h.display_name, m.region_code
         FROM matter_clocks c JOIN matters m ON m.id = c.matter_id
         LEFT JOIN users h ON h.id = m.handler_id
         WHERE {where_sql} ORDER BY c.due_date, m.rid, c.kind LIMIT {limit} OFFSET {offset}"
    ))?;
    let mut rows = stmt.query(params_from_iter(args.iter()))?;
    let mut items = Vec::new();
    while let Some(r) = rows.next()? {
        let kind = clock_kind(&r.get::<_, String>(5)?)?;
        let due = date_col(r.get(8)?)?;
        let state = clock_state(due, today, approaching_days);
        let region: Option<String> = r.get(10)?;
        items.push(ClockRow {
            clock_id: Uuid::parse_str(&r.get::<_, String>(0)?).unwrap_or_default(),
            matter_id: Uuid::parse_str(&r.get::<_, String>(1)?).unwrap_or_default(),
            number: r.get(2)?,
            summary: r.get(3)?,
            petitioner_names: r.get(4)?,
            kind,
            kind_name: kind.name_zh().to_owned(),
            rule_ref: r.get(6)?,
            holder: r
                .get::<_, Option<String>>(7)?
                .unwrap_or_else(|| OWN_UNIT.to_owned()),
            due,
            days_left: (due - today).num_days(),
            state,
            state_name: state.name_zh().to_owned(),
            handler_name: r.get(9)?,
            region_name: region.as_deref().and_then(|c| codes.region_path(c)),
        });
    }

    let ranked = |map: HashMap<Option<String>, GroupCount>| {
        let mut rows: Vec<GroupCount> = map.into_values().collect();
        rows.sort_by(|a, b| {
            (b.overdue, b.due_soon, b.open)
                .cmp(&(a.overdue, a.due_soon, a.open))
                .then_with(|| a.key.cmp(&b.key))
        });
        rows.truncate(50);
        rows
    };
    let mut by_unit = ranked(units);
    for g in &mut by_unit {
        g.name = g.key.clone().unwrap_or_else(|| OWN_UNIT.to_owned());
    }
    let mut by_handler = ranked(handlers);
    for g in &mut by_handler {
        g.name = match g.key.as_deref() {
            Some(id) => conn
                .query_row("SELECT display_name FROM users WHERE id = ?1", [id], |r| {
                    r.get(0)
                })
                .unwrap_or_else(|_| id.to_owned()),
            None => "未指定承办人".to_owned(),
        };
    }
    let mut by_region = ranked(regions);
    for g in &mut by_region {
        g.name = match g.key.as_deref() {
            Some(code) => codes.region_path(code).unwrap_or_else(|| code.to_owned()),
            None => "未填写属地".to_owned(),
        };
    }
    Ok(ClockPage {
        today,
        approaching_days,
        counts,
        items,
        total: total as u64,
        by_unit,
        by_handler,
        by_region,
    })
}

/// Rewrites the bare `?` placeholders of a filter as `?N, ?N+1, …` so it can follow numbered
/// parameters.
fn numbered(sql: &str, first: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = first;
    for ch in sql.chars() {
        if ch == '?' {
            out.push_str(&format!("?{n}"));
            n += 1;
        } else {
            out.push(ch);
        }
    }
    out
}

/// The state of every open duty clock today, counted: what `xinfang bench clocks` times. Reads
/// the stored due dates and applies `clock_state` to each, the same rule the lists use.
pub fn recompute_states(
    conn: &Connection,
    today: NaiveDate,
    approaching: u32,
) -> Result<ClockCounts> {
    let mut stmt = conn.prepare(
        "SELECT due_date FROM matter_clocks WHERE status = 'open'
           AND kind NOT IN ('D4', 'D7', 'D9')",
    )?;
    let mut rows = stmt.query([])?;
    let mut counts = ClockCounts::default();
    let week = week_end(today);
    while let Some(r) = rows.next()? {
        let text: String = r.get(0)?;
        let Some(due) = parse_date(&text) else {
            continue;
        };
        match clock_state(due, today, approaching) {
            ClockState::Overdue => counts.overdue += 1,
            ClockState::DueToday => counts.due_today += 1,
            ClockState::Approaching => counts.approaching += 1,
            ClockState::Normal => {}
        }
        if due >= today && due <= week {
            counts.this_week += 1;
        }
    }
    Ok(counts)
}

// ------------------------------------------------------------------------ calendar re-check

/// An open clock whose due date would differ under the calendar now in force.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ClockMove {
    /// The matter.
    pub matter_id: Uuid,
    /// 信访件编号.
    pub number: String,
    /// Which clock.
    pub kind: ClockKind,
    /// Its name.
    pub kind_name: String,
    /// The stored due date (still in force).
    pub stored_due: NaiveDate,
    /// What the current calendar gives.
    pub recomputed_due: NaiveDate,
    /// Calendar version stored with the clock.
    pub stored_calendar: String,
    /// Calendar version now.
    pub current_calendar: String,
}

/// 节假日表更新后的期限核对: stored dates never move by themselves; this lists the open clocks
/// whose date would change, for a person to decide.
pub fn clocks_calendar_check(
    register: &mut Register,
    _who: &Session,
    _input: Empty,
) -> Result<Vec<ClockMove>> {
    let calendar = register.calendar();
    let current = calendar.version();
    let mut stmt = register.conn().prepare(
        "SELECT c.matter_id, m.number, c.kind, c.start_date, c.due_date, c.length, c.rollover,
           c.calendar_version
         FROM matter_clocks c JOIN matters m ON m.id = c.matter_id
         WHERE c.status = 'open' AND c.calendar_version <> ?1 ORDER BY c.due_date",
    )?;
    let mut rows = stmt.query([&current])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let kind = clock_kind(&r.get::<_, String>(2)?)?;
        let start = date_col(r.get(3)?)?;
        let stored = date_col(r.get(4)?)?;
        let rollover: Rollover =
            serde_json::from_value(serde_json::Value::String(r.get(6)?)).unwrap_or_default();
        let recomputed = compute_due(kind, start, Some(r.get(5)?), rollover, calendar)
            .map_err(|e| Error::Internal(e.to_string()))?
            .due;
        if recomputed != stored {
            out.push(ClockMove {
                matter_id: Uuid::parse_str(&r.get::<_, String>(0)?).unwrap_or_default(),
                number: r.get(1)?,
                kind,
                kind_name: kind.name_zh().to_owned(),
                stored_due: stored,
                recomputed_due: recomputed,
                stored_calendar: r.get(7)?,
                current_calendar: current.clone(),
            });
        }
    }
    Ok(out)
}
