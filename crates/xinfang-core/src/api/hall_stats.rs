//! 候访统计: the walk-in hall's figures for a period — per day and queue, per day and room, and
//! by hour of day — with wait and service times (mean and 90th percentile), no-shows and
//! transfers, as data for the UI and as an Excel workbook.
//!
//! Everything comes from one pass over the period's `hall_tickets` rows: a year of tickets is
//! tens of thousands of rows, small enough to keep every duration and take exact percentiles in
//! Rust, which SQLite cannot do on its own.

use std::collections::{BTreeMap, HashMap};

use base64::Engine as _;
use chrono::{DateTime, NaiveDate, Timelike, Utc};
use rust_xlsxwriter::{Format, FormatAlign, Workbook};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ExportFile;
use crate::{Error, Result, auth::Session, clock::china_offset, register::Register};

/// The longest period one request may cover: a year, leap day included.
const MAX_DAYS: i64 = 366;

/// Which days, and optionally one queue or one room.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HallStatsInput {
    /// First day (China date).
    pub from: NaiveDate,
    /// Last day, included.
    pub to: NaiveDate,
    /// Only this queue (code).
    #[serde(default)]
    pub queue: Option<String>,
    /// Only tickets called to this room.
    #[serde(default)]
    pub room_id: Option<Uuid>,
}

/// The figures of one group of tickets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HallFigures {
    /// 取号: tickets issued.
    pub tickets: u64,
    /// 来访人数: visitors on those tickets (a group shares one ticket).
    pub visitors: u64,
    /// 已接待: tickets whose interview was recorded.
    pub served: u64,
    /// 过号: times a called visitor did not come (a ticket can be put back and miss again).
    pub no_shows: u64,
    /// 过号未到: tickets that ended 过号 for good.
    pub missed: u64,
    /// 转队: times a ticket was moved to another queue.
    pub transfers: u64,
    /// Mean minutes from the ticket to its first call (tickets called at least once).
    pub wait_mean_minutes: Option<f64>,
    /// 90th percentile (nearest rank) of the same.
    pub wait_p90_minutes: Option<f64>,
    /// Mean minutes from the start of the interview to its end (served tickets).
    pub service_mean_minutes: Option<f64>,
    /// 90th percentile (nearest rank) of the same.
    pub service_p90_minutes: Option<f64>,
}

/// One day of one queue.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct HallQueueDay {
    /// The day.
    pub day: NaiveDate,
    /// Queue code (where the ticket ended, after any transfer).
    pub queue: String,
    /// 队列名称.
    pub queue_name: String,
    /// Its figures.
    pub figures: HallFigures,
}

/// One day of one room.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct HallRoomDay {
    /// The day.
    pub day: NaiveDate,
    /// The room the ticket was last called to; none for tickets never in a room (still
    /// waiting, transferred, or 过号, which takes the ticket out of its room).
    pub room_id: Option<Uuid>,
    /// 接待室名称, or 未分配接待室.
    pub room_name: String,
    /// Its figures.
    pub figures: HallFigures,
}

/// One hour of the day (China time) over the whole period, by the time the ticket was issued.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct HallHour {
    /// 0–23.
    pub hour: u32,
    /// 09:00–10:00.
    pub label: String,
    /// Its figures.
    pub figures: HallFigures,
}

/// The hall statistics of a period.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct HallStats {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// The whole period.
    pub totals: HallFigures,
    /// By day and queue, in day then queue order.
    pub by_queue: Vec<HallQueueDay>,
    /// By day and room.
    pub by_room: Vec<HallRoomDay>,
    /// By hour of day, every hour from the first to the last with a ticket.
    pub by_hour: Vec<HallHour>,
}

/// What a group collects during the pass: counts, and every duration for the percentiles.
#[derive(Default)]
struct Tally {
    figures: HallFigures,
    waits: Vec<f64>,
    services: Vec<f64>,
}

/// One row of `hall_tickets`, as far as the statistics need it.
struct TicketRow {
    day: String,
    queue: String,
    room_id: Option<String>,
    issued_at: Option<DateTime<Utc>>,
    wait: Option<f64>,
    service: Option<f64>,
    served: bool,
    missed: bool,
    visitors: u64,
    no_shows: u64,
    transfers: u64,
}

impl Tally {
    fn add(&mut self, t: &TicketRow) {
        let f = &mut self.figures;
        f.tickets += 1;
        f.visitors += t.visitors;
        f.served += u64::from(t.served);
        f.missed += u64::from(t.missed);
        f.no_shows += t.no_shows;
        f.transfers += t.transfers;
        self.waits.extend(t.wait);
        self.services.extend(t.service);
    }

    fn finish(mut self) -> HallFigures {
        let (wait_mean, wait_p90) = summary(&mut self.waits);
        let (service_mean, service_p90) = summary(&mut self.services);
        HallFigures {
            wait_mean_minutes: wait_mean,
            wait_p90_minutes: wait_p90,
            service_mean_minutes: service_mean,
            service_p90_minutes: service_p90,
            ..self.figures
        }
    }
}

/// Mean and nearest-rank 90th percentile, in minutes to one decimal; none without values.
fn summary(values: &mut [f64]) -> (Option<f64>, Option<f64>) {
    if values.is_empty() {
        return (None, None);
    }
    values.sort_by(f64::total_cmp);
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    (Some(round1(mean)), Some(round1(p90(values))))
}

/// The nearest-rank 90th percentile of sorted values: the smallest value with at least 90 % of
/// the values at or below it. Integer arithmetic for the rank, so 10 values give the 9th
/// exactly rather than whatever `0.9 * 10.0` rounds to.
fn p90(sorted: &[f64]) -> f64 {
    let rank = (9 * sorted.len()).div_ceil(10).max(1);
    sorted[rank - 1]
}

fn round1(minutes: f64) -> f64 {
    (minutes * 10.0).round() / 10.0
}

fn parse_at(value: Option<String>) -> Option<DateTime<Utc>> {
    value
        .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// Minutes from `a` to `b`; none unless both are known. A clock set back between the two
/// would give a negative span, which is counted as zero rather than dragging the mean down.
fn minutes(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<f64> {
    let (a, b) = (a?, b?);
    Some(((b - a).num_milliseconds().max(0)) as f64 / 60_000.0)
}

fn check_period(input: &HallStatsInput) -> Result<()> {
    if input.to < input.from {
        return Err(Error::field("date_range", "to", "结束日期不能早于开始日期"));
    }
    if (input.to - input.from).num_days() + 1 > MAX_DAYS {
        return Err(Error::field(
            "out_of_range",
            "to",
            format!("统计期间最长{MAX_DAYS}天，请缩短日期范围"),
        ));
    }
    Ok(())
}

/// Name of a ticket that was never in a room (or whose room is no longer configured).
const NO_ROOM: &str = "未分配接待室";

/// 候访统计.
pub fn hall_stats(
    register: &mut Register,
    _who: &Session,
    input: HallStatsInput,
) -> Result<HallStats> {
    check_period(&input)?;
    let conn = register.conn();
    // Queues in their display order, as the guide desk lists them.
    let queue_order: Vec<(String, String)> = conn
        .prepare("SELECT code, name FROM hall_queues ORDER BY position, code")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let queue_names: HashMap<String, String> = queue_order.iter().cloned().collect();
    let queue_rank = |code: &str| {
        queue_order
            .iter()
            .position(|(c, _)| c == code)
            .unwrap_or(usize::MAX)
    };
    let room_names: HashMap<String, String> = conn
        .prepare("SELECT id, name FROM hall_rooms")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let queue = input
        .queue
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty());
    if let Some(q) = queue
        && !queue_names.contains_key(q)
    {
        return Err(Error::field("unknown_code", "queue", "没有这个队列"));
    }
    let room = input.room_id.map(|r| r.to_string());
    if let Some(r) = &room
        && !room_names.contains_key(r)
    {
        return Err(Error::field("not_found", "room_id", "所选接待室不存在"));
    }

    // `day` first: both indexes of the table start with it, so the period is a range seek.
    let mut stmt = conn.prepare(
        "SELECT day, queue, room_id, issued_at, first_called_at, started_at, finished_at,
           status, visitors, no_shows, transfers
         FROM hall_tickets
         WHERE day BETWEEN ?1 AND ?2 AND (?3 IS NULL OR queue = ?3)
           AND (?4 IS NULL OR room_id = ?4)",
    )?;
    let rows = stmt.query_map(
        rusqlite::params![input.from.to_string(), input.to.to_string(), queue, room],
        |r| {
            let issued_at = parse_at(r.get(3)?);
            let status: String = r.get(7)?;
            Ok(TicketRow {
                day: r.get(0)?,
                queue: r.get(1)?,
                room_id: r.get(2)?,
                issued_at,
                wait: minutes(issued_at, parse_at(r.get(4)?)),
                service: minutes(parse_at(r.get(5)?), parse_at(r.get(6)?)),
                served: status == "done",
                missed: status == "no_show",
                visitors: r.get::<_, i64>(8)? as u64,
                no_shows: r.get::<_, i64>(9)? as u64,
                transfers: r.get::<_, i64>(10)? as u64,
            })
        },
    )?;

    let mut totals = Tally::default();
    let mut by_queue: BTreeMap<(String, String), Tally> = BTreeMap::new();
    let mut by_room: BTreeMap<(String, Option<String>), Tally> = BTreeMap::new();
    let mut by_hour: BTreeMap<u32, Tally> = BTreeMap::new();
    for row in rows {
        let t = row?;
        totals.add(&t);
        by_queue
            .entry((t.day.clone(), t.queue.clone()))
            .or_default()
            .add(&t);
        // A room since removed from the set-up counts with the tickets that had none.
        let room = t.room_id.clone().filter(|r| room_names.contains_key(r));
        by_room.entry((t.day.clone(), room)).or_default().add(&t);
        if let Some(at) = t.issued_at {
            by_hour
                .entry(at.with_timezone(&china_offset()).hour())
                .or_default()
                .add(&t);
        }
    }
    drop(stmt);

    let day = |d: &str| {
        super::parse_date(d).ok_or_else(|| Error::Internal(format!("hall_tickets.day {d}")))
    };
    let mut by_queue = by_queue
        .into_iter()
        .map(|((d, q), tally)| {
            Ok(HallQueueDay {
                day: day(&d)?,
                queue_name: queue_names.get(&q).cloned().unwrap_or_else(|| q.clone()),
                queue: q,
                figures: tally.finish(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    by_queue.sort_by_key(|r| (r.day, queue_rank(&r.queue)));
    let mut by_room = by_room
        .into_iter()
        .map(|((d, r), tally)| {
            Ok(HallRoomDay {
                day: day(&d)?,
                room_name: r
                    .as_ref()
                    .and_then(|r| room_names.get(r))
                    .cloned()
                    .unwrap_or_else(|| NO_ROOM.to_owned()),
                room_id: r.and_then(|r| Uuid::parse_str(&r).ok()),
                figures: tally.finish(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    // Rooms by name, the tickets without one last.
    by_room.sort_by(|a, b| {
        (a.day, a.room_id.is_none(), &a.room_name).cmp(&(b.day, b.room_id.is_none(), &b.room_name))
    });
    // Every hour between the first and the last busy one, so a quiet lunch hour shows as zero
    // instead of vanishing from the chart.
    let span = by_hour
        .keys()
        .next()
        .copied()
        .zip(by_hour.keys().next_back().copied());
    let by_hour = match span {
        None => Vec::new(),
        Some((first, last)) => (first..=last)
            .map(|hour| HallHour {
                hour,
                label: format!("{hour:02}:00–{:02}:00", hour + 1),
                figures: by_hour.remove(&hour).unwrap_or_default().finish(),
            })
            .collect(),
    };
    Ok(HallStats {
        from: input.from,
        to: input.to,
        totals: totals.finish(),
        by_queue,
        by_room,
        by_hour,
    })
}

/// 导出候访统计 (Excel): the three groupings as sheets, each with a 合计 row.
pub fn hall_stats_export(
    register: &mut Register,
    who: &Session,
    input: HallStatsInput,
) -> Result<ExportFile> {
    let stats = hall_stats(register, who, input)?;
    let centre = register.centre()?.name.clone();
    let made = register
        .now()
        .with_timezone(&china_offset())
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let bytes =
        workbook(&stats, &centre, &made).map_err(|e| Error::Internal(format!("xlsx: {e}")))?;
    let period = if stats.from == stats.to {
        stats.from.to_string()
    } else {
        format!("{}至{}", stats.from, stats.to)
    };
    Ok(ExportFile {
        file_name: format!("{centre}候访统计{period}.xlsx"),
        media_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".into(),
        base64: base64::engine::general_purpose::STANDARD.encode(bytes),
    })
}

/// Column headers after the grouping columns, in the order `write_figures` writes them.
const FIGURE_HEADERS: [&str; 10] = [
    "取号（张）",
    "来访人数",
    "已接待",
    "过号（次）",
    "过号未到（张）",
    "转队（次）",
    "平均等候（分钟）",
    "等候P90（分钟）",
    "平均接谈（分钟）",
    "接谈P90（分钟）",
];

/// A row of a sheet: the grouping columns' text, and its figures.
type Labelled<'a> = (Vec<String>, &'a HallFigures);

fn workbook(
    s: &HallStats,
    centre: &str,
    made: &str,
) -> std::result::Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = Workbook::new();
    let head = Format::new()
        .set_bold()
        .set_background_color(0xDDE6F3)
        .set_align(FormatAlign::Center);
    let minutes = Format::new().set_num_format("0.0");

    // Counts as numbers, times with one decimal; a time nobody could measure stays empty
    // rather than 0, which would read as "no wait at all".
    let write_figures = |sheet: &mut rust_xlsxwriter::Worksheet,
                         row: u32,
                         first: u16,
                         f: &HallFigures|
     -> std::result::Result<(), rust_xlsxwriter::XlsxError> {
        let counts = [
            f.tickets,
            f.visitors,
            f.served,
            f.no_shows,
            f.missed,
            f.transfers,
        ];
        for (i, n) in counts.iter().enumerate() {
            sheet.write(row, first + i as u16, *n as f64)?;
        }
        let times = [
            f.wait_mean_minutes,
            f.wait_p90_minutes,
            f.service_mean_minutes,
            f.service_p90_minutes,
        ];
        for (i, t) in times.iter().enumerate() {
            if let Some(t) = t {
                sheet.write_with_format(row, first + 6 + i as u16, *t, &minutes)?;
            }
        }
        Ok(())
    };

    let sheets: [(&str, &[&str], Vec<Labelled>); 3] = [
        (
            "按日按队列",
            &["日期", "队列"],
            s.by_queue
                .iter()
                .map(|r| (vec![r.day.to_string(), r.queue_name.clone()], &r.figures))
                .collect(),
        ),
        (
            "按日按接待室",
            &["日期", "接待室"],
            s.by_room
                .iter()
                .map(|r| (vec![r.day.to_string(), r.room_name.clone()], &r.figures))
                .collect(),
        ),
        (
            "按时段",
            &["时段"],
            s.by_hour
                .iter()
                .map(|r| (vec![r.label.clone()], &r.figures))
                .collect(),
        ),
    ];
    for (name, keys, rows) in sheets {
        let sheet = book.add_worksheet().set_name(name)?;
        sheet.write(0, 0, format!("{centre}候访统计（{} 至 {}）", s.from, s.to))?;
        let header_row = 1;
        for (i, h) in keys.iter().chain(FIGURE_HEADERS.iter()).enumerate() {
            sheet.write_with_format(header_row, i as u16, *h, &head)?;
        }
        let first = keys.len() as u16;
        for (i, (labels, figures)) in rows.iter().enumerate() {
            let row = header_row + 1 + i as u32;
            for (c, label) in labels.iter().enumerate() {
                sheet.write(row, c as u16, label.as_str())?;
            }
            write_figures(sheet, row, first, figures)?;
        }
        let last = header_row + 1 + rows.len() as u32;
        sheet.write_with_format(last, 0, "合计", &head)?;
        write_figures(sheet, last, first, &s.totals)?;
        sheet.write(last + 2, 0, format!("导出时间：{made}"))?;
        for c in 0..first {
            sheet.set_column_width(c, 16)?;
        }
        for c in first..first + FIGURE_HEADERS.len() as u16 {
            sheet.set_column_width(c, 14)?;
        }
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_90th_percentile_is_the_nearest_rank() {
        let ten: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(p90(&ten), 9.0);
        let eleven: Vec<f64> = (1..=11).map(f64::from).collect();
        assert_eq!(p90(&eleven), 10.0);
        assert_eq!(p90(&[5.0, 10.0, 30.0]), 30.0);
        assert_eq!(p90(&[7.0]), 7.0);
        let mut values = vec![30.0, 5.0, 10.0];
        assert_eq!(summary(&mut values), (Some(15.0), Some(30.0)));
        assert_eq!(summary(&mut []), (None, None));
    }

    #[test]
    fn a_period_runs_forward_and_at_most_a_year() {
        let input = |from: &str, to: &str| HallStatsInput {
            from: from.parse().expect("date"),
            to: to.parse().expect("date"),
            queue: None,
            room_id: None,
        };
        assert!(check_period(&input("2026-11-28", "2026-11-28")).is_ok());
        assert!(
            check_period(&input("2028-01-01", "2028-12-31")).is_ok(),
            "366 days"
        );
        let err = check_period(&input("2026-11-28", "2026-11-27")).expect_err("backwards");
        assert_eq!(err.to_api().field.as_deref(), Some("to"));
        let err = check_period(&input("2026-01-01", "2027-01-02")).expect_err("too long");
        assert_eq!(err.to_api().code, "out_of_range");
    }
}
