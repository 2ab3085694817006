//! Case search: free text (trigram for 3+ characters, bigram for 1–2) combined with filters,
//! newest first, paged by a keyset cursor so page 500 costs the same as page 1.

use chrono::NaiveDate;
use rusqlite::types::Value;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{code_name, limits, optional_text, parse_date};
use crate::{
    Error, Result, auth::Session, domain::codes::CodeTable, model::MatterStatus,
    register::Register, search::parse_query,
};

/// Most rows one page returns.
pub const MAX_PAGE: u32 = 200;
/// Counting stops here: "1000+ 件" tells a clerk to narrow the search as well as an exact
/// figure would, and counting every hit of a common term is what makes a first page slow
/// (statistics come from the reports, not from the search box).
pub const COUNT_CAP: u64 = 1_000;

/// What to search for. Every field is optional; all given conditions must hold.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchInput {
    /// Words to find in number, petitioner names, summary, request, facts, units.
    #[serde(default)]
    pub q: Option<String>,
    /// 信访日期 from (inclusive).
    #[serde(default)]
    pub received_from: Option<NaiveDate>,
    /// 信访日期 to (inclusive).
    #[serde(default)]
    pub received_to: Option<NaiveDate>,
    /// 信访形式 code.
    #[serde(default)]
    pub channel: Option<String>,
    /// 事项类别 code.
    #[serde(default)]
    pub matter_class: Option<String>,
    /// 状态.
    #[serde(default)]
    pub status: Option<MatterStatus>,
    /// 问题属地: a province, city or county code; matches everything under it.
    #[serde(default)]
    pub region_code: Option<String>,
    /// 涉及单位 (text contained in the unit field).
    #[serde(default)]
    pub unit: Option<String>,
    /// Only repeat matters.
    #[serde(default)]
    pub repeat_only: bool,
    /// Continue after this row (the `next_cursor` of the previous page).
    #[serde(default)]
    pub cursor: Option<i64>,
    /// Rows per page (default 50, at most 200).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// One row of a result list.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MatterRow {
    /// Id.
    pub id: Uuid,
    /// 信访件编号.
    pub number: String,
    /// 信访日期.
    pub received_date: NaiveDate,
    /// 信访形式.
    pub channel_name: String,
    /// 事项类别.
    pub matter_class_name: String,
    /// 状态.
    pub status: MatterStatus,
    /// 状态 name.
    pub status_name: String,
    /// 信访人.
    pub petitioner_names: String,
    /// 概况.
    pub summary: String,
    /// 问题属地.
    pub region_name: Option<String>,
    /// 重复件.
    pub is_repeat: bool,
}

/// A page of results.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SearchPage {
    /// The rows, newest first.
    pub items: Vec<MatterRow>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<i64>,
    /// How many matters match in all (capped at `COUNT_CAP`).
    pub total: u64,
    /// True when `total` hit the cap and the real number is larger.
    pub total_capped: bool,
}

/// 查询信访事项.
pub fn matter_search(
    register: &mut Register,
    who: &Session,
    input: SearchInput,
) -> Result<SearchPage> {
    let limit = input.limit.unwrap_or(50);
    if limit == 0 || limit > MAX_PAGE {
        return Err(Error::field(
            "out_of_range",
            "limit",
            format!("每页条数应在1到{MAX_PAGE}之间"),
        ));
    }
    if let (Some(from), Some(to)) = (input.received_from, input.received_to)
        && from > to
    {
        return Err(Error::field(
            "invalid_date",
            "received_to",
            "结束日期不能早于开始日期",
        ));
    }
    let mut text =
        optional_text(input.q.as_deref(), "q", "查询内容", limits::SUMMARY)?.unwrap_or_default();
    if let Some(unit) = optional_text(input.unit.as_deref(), "unit", "涉及单位", limits::ADDRESS)?
    {
        text.push(' ');
        text.push_str(&unit);
    }
    // A case number typed whole is an exact lookup; its trigrams (XF0, 000, 202…) occur in every
    // row and would make the index intersect its longest lists.
    let typed = text.trim().to_owned();
    let exact_number = (input.unit.is_none()
        && !typed.contains(' ')
        && crate::register::parse_case_number(&typed).is_some())
    .then_some(typed);
    let query = if exact_number.is_some() {
        Default::default()
    } else {
        parse_query(&text)
    };

    // Build FROM and WHERE: the text index that is most selective drives, filters follow.
    let mut from = String::from("matters m");
    let mut conditions: Vec<String> = Vec::new();
    let mut params: Vec<Value> = Vec::new();
    let push = |cond: &str, value: Value, params: &mut Vec<Value>, conditions: &mut Vec<String>| {
        params.push(value);
        conditions.push(cond.replace('?', &format!("?{}", params.len())));
    };
    match (&query.trigram, &query.bigram) {
        (Some(tri), bi) => {
            from = "matter_trigram t JOIN matters m ON m.rid = t.rowid".into();
            push(
                "matter_trigram MATCH ?",
                Value::Text(tri.clone()),
                &mut params,
                &mut conditions,
            );
            if let Some(bi) = bi {
                push(
                    "m.rid IN (SELECT rowid FROM matter_bigram WHERE matter_bigram MATCH ?)",
                    Value::Text(bi.clone()),
                    &mut params,
                    &mut conditions,
                );
            }
        }
        (None, Some(bi)) => {
            from = "matter_bigram t JOIN matters m ON m.rid = t.rowid".into();
            push(
                "matter_bigram MATCH ?",
                Value::Text(bi.clone()),
                &mut params,
                &mut conditions,
            );
        }
        (None, None) => {}
    }
    let order_col = if from.starts_with("matters") {
        "m.rid"
    } else {
        "t.rowid"
    };
    if let Some(number) = exact_number {
        push(
            "m.number = ?",
            Value::Text(number),
            &mut params,
            &mut conditions,
        );
    }
    if input.received_from.is_some() || input.received_to.is_some() {
        // The row-number window of the date range: both the primary key and FTS5 seek to it.
        let window: (Option<i64>, Option<i64>) = register.conn().query_row(
            "SELECT min(first_rid), max(last_rid) FROM matter_days
             WHERE received_date BETWEEN ?1 AND ?2",
            rusqlite::params![
                input
                    .received_from
                    .map_or_else(|| "0000-00-00".to_owned(), |d| d.to_string()),
                input
                    .received_to
                    .map_or_else(|| "9999-99-99".to_owned(), |d| d.to_string()),
            ],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let (lo, hi) = match window {
            (Some(lo), Some(hi)) => (lo, hi),
            // Nothing was received in the range: an empty window.
            _ => (1, 0),
        };
        push(
            &format!("{order_col} >= ?"),
            Value::Integer(lo),
            &mut params,
            &mut conditions,
        );
        push(
            &format!("{order_col} <= ?"),
            Value::Integer(hi),
            &mut params,
            &mut conditions,
        );
    }
    if let Some(d) = input.received_from {
        push(
            "m.received_date >= ?",
            Value::Text(d.to_string()),
            &mut params,
            &mut conditions,
        );
    }
    if let Some(d) = input.received_to {
        push(
            "m.received_date <= ?",
            Value::Text(d.to_string()),
            &mut params,
            &mut conditions,
        );
    }
    if let Some(c) = input.channel.as_deref().filter(|c| !c.is_empty()) {
        push(
            "m.channel = ?",
            Value::Text(c.to_owned()),
            &mut params,
            &mut conditions,
        );
    }
    // 检举控告 is invisible to those not cleared for it: not even a hit on a name may say
    // that someone reported someone (Art. 30(3)).
    if !super::cleared_for_accusations(who) {
        push(
            "m.matter_class != ?",
            Value::Text("accusation".into()),
            &mut params,
            &mut conditions,
        );
    }
    if let Some(c) = input.matter_class.as_deref().filter(|c| !c.is_empty()) {
        push(
            "m.matter_class = ?",
            Value::Text(c.to_owned()),
            &mut params,
            &mut conditions,
        );
    }
    if let Some(s) = input.status {
        push(
            "m.status = ?",
            Value::Text(s.code().to_owned()),
            &mut params,
            &mut conditions,
        );
    }
    if let Some(region) = input
        .region_code
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        if !region.chars().all(|c| c.is_ascii_digit()) || region.len() != 6 {
            return Err(Error::field(
                "unknown_code",
                "region_code",
                "问题属地代码应为6位数字",
            ));
        }
        // 440300 (a city) covers 4403xx: strip trailing zero pairs to get the prefix range.
        let mut prefix = region.to_owned();
        while prefix.len() > 2 && prefix.ends_with("00") {
            prefix.truncate(prefix.len() - 2);
        }
        let upper = format!("{prefix}\u{10FFFF}");
        push(
            "m.region_code >= ?",
            Value::Text(prefix),
            &mut params,
            &mut conditions,
        );
        push(
            "m.region_code < ?",
            Value::Text(upper),
            &mut params,
            &mut conditions,
        );
    }
    if input.repeat_only {
        conditions.push("m.is_repeat = 1".into());
    }
    let where_clause = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };

    let conn = register.conn();
    let total: u64 = conn
        .prepare_cached(&format!(
            "SELECT count(*) FROM (SELECT 1 FROM {from} {where_clause} LIMIT {})",
            COUNT_CAP + 1
        ))?
        .query_row(rusqlite::params_from_iter(params.iter()), |r| {
            r.get::<_, i64>(0)
        })? as u64;

    let mut page_conditions = conditions;
    let mut page_params = params;
    if let Some(cursor) = input.cursor {
        page_params.push(Value::Integer(cursor));
        page_conditions.push(format!("{order_col} < ?{}", page_params.len()));
    }
    let page_where = if page_conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", page_conditions.join(" AND "))
    };
    let sql = format!(
        "SELECT m.rid, m.id, m.number, m.received_date, m.channel, m.matter_class, m.status,
           m.petitioner_names, m.summary, m.region_code, m.is_repeat
         FROM {from} {page_where} ORDER BY {order_col} DESC LIMIT {}",
        limit + 1
    );
    let codes = register.codes();
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(page_params.iter()))?;
    let mut items = Vec::new();
    let mut last_rid = None;
    let mut more = false;
    while let Some(r) = rows.next()? {
        if items.len() as u32 == limit {
            more = true;
            break;
        }
        let rid: i64 = r.get(0)?;
        last_rid = Some(rid);
        let id: String = r.get(1)?;
        let date: String = r.get(3)?;
        let channel: String = r.get(4)?;
        let class: String = r.get(5)?;
        let status: String = r.get(6)?;
        let status = MatterStatus::from_code(&status).unwrap_or(MatterStatus::Registered);
        let region: Option<String> = r.get(9)?;
        items.push(MatterRow {
            id: Uuid::parse_str(&id).unwrap_or_default(),
            number: r.get(2)?,
            received_date: parse_date(&date).unwrap_or_default(),
            channel_name: code_name(codes, CodeTable::Channels, &channel),
            matter_class_name: code_name(codes, CodeTable::MatterClasses, &class),
            status,
            status_name: status.name_zh().to_owned(),
            petitioner_names: r.get(7)?,
            summary: r.get(8)?,
            region_name: region.as_deref().and_then(|c| codes.region_path(c)),
            is_repeat: r.get(10)?,
        });
    }
    Ok(SearchPage {
        next_cursor: if more { last_rid } else { None },
        total: total.min(COUNT_CAP),
        total_capped: total > COUNT_CAP,
        items,
    })
}

/// The period to count.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatsInput {
    /// 信访日期 from (inclusive).
    #[serde(default)]
    pub received_from: Option<NaiveDate>,
    /// 信访日期 to (inclusive).
    #[serde(default)]
    pub received_to: Option<NaiveDate>,
}

/// One bar of a breakdown.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CountRow {
    /// Code.
    pub code: String,
    /// Chinese name.
    pub name: String,
    /// Matters.
    pub count: u64,
}

/// Exact counts of the register for the overview page.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MatterStats {
    /// All matters in the period.
    pub total: u64,
    /// Repeat matters (重复件) in the period.
    pub repeats: u64,
    /// By 信访形式, in code-table order.
    pub by_channel: Vec<CountRow>,
    /// By 事项类别.
    pub by_class: Vec<CountRow>,
    /// By status.
    pub by_status: Vec<CountRow>,
}

/// 登记情况统计: exact counts by channel, class and status (the search box only counts to 1000).
pub fn matter_stats(
    register: &mut Register,
    _who: &Session,
    input: StatsInput,
) -> Result<MatterStats> {
    let from = input
        .received_from
        .map(|d| d.to_string())
        .unwrap_or_else(|| "0000-00-00".into());
    let to = input
        .received_to
        .map(|d| d.to_string())
        .unwrap_or_else(|| "9999-99-99".into());
    if from > to {
        return Err(Error::field(
            "invalid_date",
            "received_to",
            "结束日期不能早于开始日期",
        ));
    }
    let conn = register.conn();
    let group = |column: &str| -> Result<Vec<(String, u64)>> {
        let sql = format!(
            "SELECT {column}, count(*) FROM matters WHERE received_date BETWEEN ?1 AND ?2
             GROUP BY {column}"
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt
            .query_map([&from, &to], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    };
    let codes = register.codes();
    let by_table = |table: CodeTable, counts: Vec<(String, u64)>| -> Vec<CountRow> {
        let mut out: Vec<CountRow> = codes
            .entries(table)
            .iter()
            .map(|e| CountRow {
                code: e.code.clone(),
                name: e.name.clone(),
                count: counts
                    .iter()
                    .find(|(c, _)| *c == e.code)
                    .map_or(0, |(_, n)| *n),
            })
            .collect();
        // Codes no longer in the table still count.
        for (code, n) in counts {
            if !out.iter().any(|r| r.code == code) {
                out.push(CountRow {
                    name: code.clone(),
                    code,
                    count: n,
                });
            }
        }
        out
    };
    let by_channel = by_table(CodeTable::Channels, group("channel")?);
    let by_class = by_table(CodeTable::MatterClasses, group("matter_class")?);
    let statuses = group("status")?;
    let by_status = MatterStatus::ALL
        .iter()
        .map(|s| CountRow {
            code: s.code().to_owned(),
            name: s.name_zh().to_owned(),
            count: statuses
                .iter()
                .find(|(c, _)| c == s.code())
                .map_or(0, |(_, n)| *n),
        })
        .collect();
    let repeats: i64 = conn.query_row(
        "SELECT count(*) FROM matters WHERE received_date BETWEEN ?1 AND ?2 AND is_repeat = 1",
        [&from, &to],
        |r| r.get(0),
    )?;
    Ok(MatterStats {
        total: by_channel.iter().map(|r| r.count).sum(),
        repeats: repeats as u64,
        by_channel,
        by_class,
        by_status,
    })
}
