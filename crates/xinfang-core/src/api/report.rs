//! The monthly and annual report (《信访工作条例》第四十一条: volume by channel, subject and unit,
//! forwards, assignments, 督办, suggestions adopted) as figures for the UI's charts and as an
//! Excel workbook an office can file or send upward.

use base64::Engine as _;
use chrono::NaiveDate;
use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Indicator, IndicatorsInput, code_name, indicators};
use crate::{Error, Result, auth::Session, domain::codes::CodeTable, register::Register};

/// Which period: `2026-11` for a month, `2026` for a year.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportInput {
    /// `YYYY-MM` or `YYYY`.
    pub period: String,
}

/// A label and a count.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Count {
    /// Code (channel, class …), if any.
    pub code: Option<String>,
    /// What to show.
    pub name: String,
    /// How many.
    pub count: u64,
}

/// One unit's figures.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct UnitRow {
    /// 承办单位.
    pub unit: String,
    /// 转送.
    pub forwarded: u64,
    /// 交办.
    pub assigned: u64,
    /// 催办 and 督办 sent to it.
    pub supervised: u64,
    /// Its clocks now overdue.
    pub overdue: u64,
}

/// The totals of a period.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct ReportTotals {
    /// 登记信访事项.
    pub matters: u64,
    /// 信访人次 (petitioners named).
    pub persons: u64,
    /// 初信初访.
    pub first_petitions: u64,
    /// 重复信访.
    pub repeats: u64,
    /// 集体访、联名信.
    pub joint: u64,
    /// 受理.
    pub accepted: u64,
    /// 不予受理.
    pub not_accepted: u64,
    /// 转送.
    pub forwarded: u64,
    /// 交办.
    pub assigned: u64,
    /// 答复（出具处理意见书）.
    pub answered: u64,
    /// 办结.
    pub closed: u64,
    /// 催办.
    pub urged: u64,
    /// 督办.
    pub supervised: u64,
    /// 建议意见类 matters answered with at least one item supported (采纳).
    pub suggestions_adopted: u64,
    /// 建议意见类 matters registered.
    pub suggestions: u64,
}

/// The report of a period.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Report {
    /// 2026年11月 / 2026年.
    pub title: String,
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// Totals.
    pub totals: ReportTotals,
    /// By 信访形式.
    pub by_channel: Vec<Count>,
    /// By 事项类别.
    pub by_class: Vec<Count>,
    /// By top-level 内容分类.
    pub by_category: Vec<Count>,
    /// By county-level 问题属地 (top 20).
    pub by_region: Vec<Count>,
    /// By month (a year) or by day (a month).
    pub trend: Vec<Count>,
    /// By 承办单位.
    pub by_unit: Vec<UnitRow>,
    /// The indicators for the period.
    pub indicators: Vec<Indicator>,
}

fn parse_period(period: &str) -> Result<(String, NaiveDate, NaiveDate, bool)> {
    let bad = || {
        Error::field(
            "invalid_period",
            "period",
            "统计期间应为“2026-11”（月报）或“2026”（年报）",
        )
    };
    let period = period.trim();
    if let Some((y, m)) = period.split_once('-') {
        let (y, m): (i32, u32) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        let from = NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(bad)?;
        let next = if m == 12 {
            NaiveDate::from_ymd_opt(y + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(y, m + 1, 1)
        }
        .ok_or_else(bad)?;
        Ok((
            format!("{y}年{m}月"),
            from,
            next.pred_opt().ok_or_else(bad)?,
            false,
        ))
    } else {
        let y: i32 = period.parse().map_err(|_| bad())?;
        let from = NaiveDate::from_ymd_opt(y, 1, 1).ok_or_else(bad)?;
        let to = NaiveDate::from_ymd_opt(y, 12, 31).ok_or_else(bad)?;
        Ok((format!("{y}年"), from, to, true))
    }
}

/// 月报、年报数据.
pub fn report_data(register: &mut Register, who: &Session, input: ReportInput) -> Result<Report> {
    let (title, from, to, yearly) = parse_period(&input.period)?;
    let (f, t) = (from.to_string(), to.to_string());
    let conn = register.conn();
    let one = |sql: &str| -> Result<u64> {
        Ok(conn.query_row(sql, [&f, &t], |r| r.get::<_, i64>(0))? as u64)
    };
    // `+column` below keeps SQLite on the received-date index: a month is a few thousand rows
    // at most, while the class or status index would walk a third of the register.
    let in_period = "m.received_date BETWEEN ?1 AND ?2";
    // Steps are stamped in UTC; the period is China days, so compare with the UTC instants of
    // its first and last midnight (the (kind, at) index serves that range).
    let utc_bound = |day: NaiveDate| {
        day.and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(crate::clock::china_offset()).single())
            .map(|t| crate::clock::fmt_utc(t.with_timezone(&chrono::Utc)))
            .unwrap_or_default()
    };
    let (from_utc, to_utc) = (utc_bound(from), utc_bound(to.succ_opt().unwrap_or(to)));
    let steps_count = |kind: &str| -> Result<u64> {
        Ok(conn.query_row(
            "SELECT count(DISTINCT s.matter_id) FROM handling_steps s
             WHERE s.kind = ?1 AND s.at >= ?2 AND s.at < ?3",
            [kind, from_utc.as_str(), to_utc.as_str()],
            |r| r.get::<_, i64>(0),
        )? as u64)
    };
    let totals = ReportTotals {
        matters: one(&format!("SELECT count(*) FROM matters m WHERE {in_period}"))?,
        persons: one(&format!(
            "SELECT count(*) FROM matter_persons mp JOIN matters m ON m.id = mp.matter_id
             WHERE {in_period}"
        ))?,
        first_petitions: one(&format!(
            "SELECT count(*) FROM matters m WHERE {in_period} AND m.is_first_petition = 1"
        ))?,
        repeats: one(&format!(
            "SELECT count(*) FROM matters m WHERE {in_period} AND m.is_repeat = 1"
        ))?,
        joint: one(&format!(
            "SELECT count(*) FROM matters m WHERE {in_period} AND m.is_joint = 1"
        ))?,
        accepted: steps_count("accept")?,
        not_accepted: steps_count("not_accept")?,
        forwarded: steps_count("forward")?,
        assigned: steps_count("assign")?,
        answered: steps_count("answer")?,
        closed: steps_count("close")?,
        urged: steps_count("urge")?,
        supervised: steps_count("supervise")?,
        suggestions: one(&format!(
            "SELECT count(*) FROM matters m WHERE {in_period} AND +m.matter_class = 'suggestion'"
        ))?,
        suggestions_adopted: one(&format!(
            "SELECT count(*) FROM matters m WHERE {in_period} AND +m.matter_class = 'suggestion'
               AND EXISTS (SELECT 1 FROM handling_steps s WHERE s.matter_id = m.id
                 AND +s.kind = 'answer'
                 AND EXISTS (SELECT 1 FROM json_each(s.detail, '$.items') i
                   WHERE json_extract(i.value, '$.outcome') = 'support'))"
        ))?,
    };
    let codes = register.codes();
    let grouped = |col: &str, table: Option<CodeTable>| -> Result<Vec<Count>> {
        let mut stmt = conn.prepare(&format!(
            "SELECT {col} AS k, count(*) FROM matters m WHERE {in_period}
             GROUP BY k ORDER BY 2 DESC, k"
        ))?;
        let rows = stmt.query_map([&f, &t], |r| {
            Ok((r.get::<_, Option<String>>(0)?, r.get::<_, i64>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (code, count) = row?;
            let name = match (&code, table) {
                (None, _) => "未填写".to_owned(),
                (Some(c), Some(CodeTable::Regions)) => {
                    codes.region_path(c).unwrap_or_else(|| c.clone())
                }
                (Some(c), Some(table)) => code_name(codes, table, c),
                (Some(c), None) => c.clone(),
            };
            out.push(Count {
                code,
                name,
                count: count as u64,
            });
        }
        Ok(out)
    };
    let by_channel = grouped("m.channel", Some(CodeTable::Channels))?;
    let by_class = grouped("m.matter_class", Some(CodeTable::MatterClasses))?;
    // Top-level category: the parent of the stored leaf, or the code itself.
    let mut by_category: Vec<Count> = Vec::new();
    for row in grouped("m.content_category", None)? {
        let top = row.code.as_deref().map(|c| {
            codes
                .get(CodeTable::ContentCategories, c)
                .and_then(|e| e.parent.clone())
                .unwrap_or_else(|| c.to_owned())
        });
        let name = top.as_deref().map_or("未填写".to_owned(), |c| {
            code_name(codes, CodeTable::ContentCategories, c)
        });
        match by_category.iter_mut().find(|x| x.code == top) {
            Some(x) => x.count += row.count,
            None => by_category.push(Count {
                code: top,
                name,
                count: row.count,
            }),
        }
    }
    by_category.sort_by_key(|c| std::cmp::Reverse(c.count));
    let mut by_region = grouped("substr(m.region_code, 1, 6)", Some(CodeTable::Regions))?;
    by_region.truncate(20);
    let trend = if yearly {
        grouped("substr(m.received_date, 1, 7)", None)?
    } else {
        grouped("m.received_date", None)?
    };
    let mut trend = trend;
    trend.sort_by(|a, b| a.code.cmp(&b.code));
    let mut stmt = conn.prepare(
        "SELECT s.unit,
           count(DISTINCT CASE WHEN s.kind = 'forward' THEN s.matter_id END),
           count(DISTINCT CASE WHEN s.kind = 'assign' THEN s.matter_id END),
           count(CASE WHEN s.kind IN ('urge', 'supervise') THEN 1 END)
         FROM handling_steps s
         WHERE s.unit IS NOT NULL AND s.kind IN ('forward', 'assign', 'urge', 'supervise')
           AND s.at >= ?1 AND s.at < ?2
         GROUP BY s.unit ORDER BY 2 + 3 DESC, s.unit",
    )?;
    let mut by_unit = stmt
        .query_map([&from_utc, &to_utc], |r| {
            Ok(UnitRow {
                unit: r.get(0)?,
                forwarded: r.get::<_, i64>(1)? as u64,
                assigned: r.get::<_, i64>(2)? as u64,
                supervised: r.get::<_, i64>(3)? as u64,
                overdue: 0,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    drop(stmt);
    // Overdue duty clocks per unit, in one pass over the open ones (the partial index).
    let today = crate::clock::china_date(register.now()).to_string();
    let mut stmt = conn.prepare(
        "SELECT holder, count(*) FROM matter_clocks WHERE status = 'open' AND due_date < ?1
           AND kind NOT IN ('D4', 'D7', 'D9') AND holder IS NOT NULL GROUP BY holder",
    )?;
    let overdue: Vec<(String, i64)> = stmt
        .query_map([&today], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    drop(stmt);
    for row in &mut by_unit {
        row.overdue = overdue
            .iter()
            .find(|(unit, _)| *unit == row.unit)
            .map_or(0, |(_, n)| *n as u64);
    }
    let indicators = indicators(
        register,
        who,
        IndicatorsInput {
            from,
            to,
            region_code: None,
            unit: None,
            channel: None,
        },
    )?;
    Ok(Report {
        title,
        from,
        to,
        totals,
        by_channel,
        by_class,
        by_category,
        by_region,
        trend,
        by_unit,
        indicators,
    })
}

/// A file for download.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ExportFile {
    /// Suggested file name.
    pub file_name: String,
    /// MIME type.
    pub media_type: String,
    /// The bytes, base64.
    pub base64: String,
}

/// 导出月报、年报 (Excel).
pub fn report_export(
    register: &mut Register,
    who: &Session,
    input: ReportInput,
) -> Result<ExportFile> {
    let report = report_data(register, who, input)?;
    let centre = register.centre()?.name.clone();
    let bytes = workbook(&report, &centre).map_err(|e| Error::Internal(format!("xlsx: {e}")))?;
    Ok(ExportFile {
        file_name: format!("{centre}信访工作{}报告.xlsx", report.title),
        media_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".into(),
        base64: base64::engine::general_purpose::STANDARD.encode(bytes),
    })
}

/// 导出月报、年报 (PDF): the same figures as a report on the GB/T 9704 grid.
pub fn report_pdf(
    register: &mut Register,
    who: &Session,
    input: ReportInput,
) -> Result<ExportFile> {
    let r = report_data(register, who, input)?;
    let settings = super::Settings::load(register.conn())?;
    let centre = register.centre()?.name.clone();
    let issuer = if settings.issuer_name.trim().is_empty() {
        centre.clone()
    } else {
        settings.issuer_name.trim().to_owned()
    };
    let t = &r.totals;
    let list = |rows: &[Count], unit: &str| -> String {
        let total: u64 = rows.iter().map(|c| c.count).sum();
        if total == 0 {
            return "无".to_owned();
        }
        rows.iter()
            .take(8)
            .map(|c| {
                format!(
                    "{}{}{unit}（占{:.1}%）",
                    c.name,
                    c.count,
                    c.count as f64 * 100.0 / total as f64
                )
            })
            .collect::<Vec<_>>()
            .join("，")
            + "。"
    };
    let indicators = r
        .indicators
        .iter()
        .map(|i| match i.percent {
            Some(p) => format!("{}{p:.1}%", i.name),
            None => format!("{}（无应计事项）", i.name),
        })
        .collect::<Vec<_>>()
        .join("，")
        + "。";
    let data = xinfang_letters::LetterData::new(xinfang_letters::DocKind::WorkReport)
        .text("period", r.title.clone())
        .text(
            "overview",
            format!(
                "本期共登记信访事项{}件、信访人次{}人次，其中初信初访{}件，重复信访{}件，集体访、联名信{}件。",
                t.matters, t.persons, t.first_petitions, t.repeats, t.joint
            ),
        )
        .text("channels", list(&r.by_channel, "件"))
        .text("subjects", list(&r.by_category, "件"))
        .text(
            "handling",
            format!(
                "受理{}件，不予受理{}件；转送{}件，交办{}件；出具处理意见书{}件，办结{}件；催办{}件次，督办{}件次；建议意见类事项{}件，其中被采纳{}件。",
                t.accepted,
                t.not_accepted,
                t.forwarded,
                t.assigned,
                t.answered,
                t.closed,
                t.urged,
                t.supervised,
                t.suggestions,
                t.suggestions_adopted
            ),
        )
        .text("indicators", indicators)
        .text("issuer", issuer)
        .text("issue_date", crate::clock::china_date(register.now()).to_string());
    let rendered = super::letters::render(register, &data, false)?;
    Ok(ExportFile {
        file_name: format!("{centre}信访工作{}报告.pdf", r.title),
        media_type: "application/pdf".into(),
        base64: base64::engine::general_purpose::STANDARD.encode(&rendered.pdf),
    })
}

fn workbook(r: &Report, centre: &str) -> std::result::Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = Workbook::new();
    let title = Format::new().set_bold().set_font_size(14);
    let head = Format::new()
        .set_bold()
        .set_background_color(0xDDE6F3)
        .set_align(FormatAlign::Center);
    let percent = Format::new().set_num_format("0.0\"%\"");

    let sheet = book.add_worksheet().set_name("总体情况")?;
    sheet.write_with_format(0, 0, format!("{centre}信访工作{}报告", r.title), &title)?;
    sheet.write(1, 0, format!("统计期间：{} 至 {}", r.from, r.to))?;
    sheet.write_with_format(3, 0, "项目", &head)?;
    sheet.write_with_format(3, 1, "数量", &head)?;
    let t = &r.totals;
    let rows: [(&str, u64); 15] = [
        ("登记信访事项", t.matters),
        ("信访人次", t.persons),
        ("初信初访", t.first_petitions),
        ("重复信访", t.repeats),
        ("集体访、联名信", t.joint),
        ("受理", t.accepted),
        ("不予受理", t.not_accepted),
        ("转送", t.forwarded),
        ("交办", t.assigned),
        ("答复（出具处理意见书）", t.answered),
        ("办结", t.closed),
        ("催办", t.urged),
        ("督办", t.supervised),
        ("建议意见类事项", t.suggestions),
        ("其中建议被采纳", t.suggestions_adopted),
    ];
    for (i, (name, n)) in rows.iter().enumerate() {
        let row = 4 + i as u32;
        sheet.write(row, 0, *name)?;
        sheet.write(row, 1, *n as f64)?;
    }
    sheet.set_column_width(0, 28)?;
    sheet.set_column_width(1, 12)?;

    let counts = |book: &mut Workbook, name: &str, label: &str, rows: &[Count]| {
        let sheet: &mut Worksheet = book.add_worksheet().set_name(name)?;
        sheet.write_with_format(0, 0, label, &head)?;
        sheet.write_with_format(0, 1, "件数", &head)?;
        sheet.write_with_format(0, 2, "占比", &head)?;
        let total: u64 = rows.iter().map(|c| c.count).sum();
        for (i, c) in rows.iter().enumerate() {
            let row = 1 + i as u32;
            sheet.write(row, 0, c.name.as_str())?;
            sheet.write(row, 1, c.count as f64)?;
            if total > 0 {
                sheet.write_with_format(row, 2, c.count as f64 * 100.0 / total as f64, &percent)?;
            }
        }
        let last = 1 + rows.len() as u32;
        sheet.write_with_format(last, 0, "合计", &head)?;
        sheet.write(last, 1, total as f64)?;
        sheet.set_column_width(0, 36)?;
        Ok::<(), rust_xlsxwriter::XlsxError>(())
    };
    counts(&mut book, "按信访形式", "信访形式", &r.by_channel)?;
    counts(&mut book, "按事项类别", "事项类别", &r.by_class)?;
    counts(&mut book, "按内容分类", "内容分类", &r.by_category)?;
    counts(&mut book, "按问题属地", "问题属地", &r.by_region)?;
    counts(&mut book, "趋势", "日期", &r.trend)?;

    let sheet = book.add_worksheet().set_name("按承办单位")?;
    for (i, h) in ["承办单位", "转送", "交办", "催办督办", "现逾期时限"]
        .iter()
        .enumerate()
    {
        sheet.write_with_format(0, i as u16, *h, &head)?;
    }
    for (i, u) in r.by_unit.iter().enumerate() {
        let row = 1 + i as u32;
        sheet.write(row, 0, u.unit.as_str())?;
        sheet.write(row, 1, u.forwarded as f64)?;
        sheet.write(row, 2, u.assigned as f64)?;
        sheet.write(row, 3, u.supervised as f64)?;
        sheet.write(row, 4, u.overdue as f64)?;
    }
    sheet.set_column_width(0, 30)?;

    let sheet = book.add_worksheet().set_name("考核指标")?;
    for (i, h) in ["指标", "分子", "分母", "数值", "计算口径"]
        .iter()
        .enumerate()
    {
        sheet.write_with_format(0, i as u16, *h, &head)?;
    }
    for (i, ind) in r.indicators.iter().enumerate() {
        let row = 1 + i as u32;
        sheet.write(row, 0, ind.name.as_str())?;
        sheet.write(row, 1, ind.numerator as f64)?;
        sheet.write(row, 2, ind.denominator as f64)?;
        match ind.percent {
            Some(p) => sheet.write_with_format(row, 3, p, &percent)?,
            None => sheet.write(row, 3, "无应计事项")?,
        };
        sheet.write(row, 4, ind.formula.as_str())?;
    }
    sheet.set_column_width(0, 16)?;
    sheet.set_column_width(4, 80)?;
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use chrono::Datelike;

    use super::*;

    #[test]
    fn periods_are_months_or_years() {
        let (title, from, to, yearly) = parse_period("2026-02").expect("month");
        assert_eq!(
            (title.as_str(), from.day(), to.day(), yearly),
            ("2026年2月", 1, 28, false)
        );
        let (_, from, to, yearly) = parse_period("2026").expect("year");
        assert_eq!(
            (from.month(), to.month(), to.day(), yearly),
            (1, 12, 31, true)
        );
        assert!(parse_period("2026-13").is_err());
        assert!(parse_period("十一月").is_err());
    }
}
