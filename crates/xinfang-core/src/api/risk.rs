//! The risk register: 矛盾纠纷排查 at village, township and county level and the 重大不稳定问题
//! 清单. Each item has an owner, a plan and a deadline; its state (正常 / 临期 / 到期 / 逾期) is
//! judged by the same rule as the statutory clocks; progress is noted; a supervisor closes it
//! off (销号) with the result.

use chrono::NaiveDate;
use rusqlite::{ToSql, params_from_iter};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Settings, limits, optional_text, parse_date, required_text};
use crate::{
    Error, Result,
    auth::Session,
    clock::china_date,
    domain::deadline::{ClockState, clock_state},
    events::{EventBody, RiskProgressRecord, RiskRecord},
    model::RiskLevel,
    register::Register,
};

/// A new risk.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskInput {
    /// 排查层级.
    pub level: RiskLevel,
    /// 名称.
    #[serde(default)]
    pub title: String,
    /// 基本情况.
    #[serde(default)]
    pub description: String,
    /// 属地.
    #[serde(default)]
    pub region_code: Option<String>,
    /// 责任人 / 责任单位.
    #[serde(default)]
    pub owner: String,
    /// 化解措施.
    #[serde(default)]
    pub plan: String,
    /// 化解时限.
    #[serde(default)]
    pub deadline: Option<NaiveDate>,
    /// 列入重大不稳定问题清单.
    #[serde(default)]
    pub major: bool,
    /// The matter it came from.
    #[serde(default)]
    pub matter_id: Option<Uuid>,
}

/// A risk as listed.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Risk {
    /// Id.
    pub id: Uuid,
    /// 排查层级.
    pub level: RiskLevel,
    /// Its name.
    pub level_name: String,
    /// 名称.
    pub title: String,
    /// 基本情况.
    pub description: String,
    /// 属地.
    pub region_name: Option<String>,
    /// 责任人.
    pub owner: String,
    /// 化解措施.
    pub plan: String,
    /// 化解时限.
    pub deadline: NaiveDate,
    /// 重大不稳定问题.
    pub major: bool,
    /// The matter's number, if linked.
    pub matter_number: Option<String>,
    /// open or closed.
    pub closed: bool,
    /// 销号日期.
    pub closed_on: Option<NaiveDate>,
    /// 化解结果.
    pub result: Option<String>,
    /// Today's state while open.
    pub state: Option<ClockState>,
    /// 正常 / 临期 / 到期 / 逾期, or 已销号.
    pub state_name: String,
    /// Progress notes, oldest first (only in `risk_list` with `with_progress`).
    pub progress: Vec<RiskNote>,
}

/// One progress note.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RiskNote {
    /// When (UTC, RFC 3339).
    pub at: String,
    /// Who.
    pub actor_name: String,
    /// 进展情况.
    pub note: String,
}

fn check_deadline(deadline: Option<NaiveDate>, today: NaiveDate) -> Result<NaiveDate> {
    let deadline = deadline.ok_or_else(|| Error::required("deadline", "化解时限"))?;
    if deadline < today {
        return Err(Error::field(
            "date_too_early",
            "deadline",
            "化解时限不能早于今天",
        ));
    }
    Ok(deadline)
}

/// 登记矛盾纠纷.
pub fn risk_register(register: &mut Register, who: &Session, input: RiskInput) -> Result<Risk> {
    let today = china_date(register.now());
    let title = required_text(&input.title, "title", "名称", limits::SUMMARY)?;
    let description = required_text(
        &input.description,
        "description",
        "基本情况",
        limits::LONG_TEXT,
    )?;
    let owner = required_text(&input.owner, "owner", "责任人", limits::ADDRESS)?;
    let plan = required_text(&input.plan, "plan", "化解措施", limits::LONG_TEXT)?;
    let deadline = check_deadline(input.deadline, today)?;
    let region_code = optional_text(
        input.region_code.as_deref(),
        "region_code",
        "属地",
        limits::CODE,
    )?;
    if let Some(code) = &region_code
        && !register
            .codes()
            .contains(crate::domain::codes::CodeTable::Regions, code)
    {
        return Err(Error::field(
            "unknown_code",
            "region_code",
            "属地代码不在行政区划表中",
        ));
    }
    if let Some(matter) = input.matter_id {
        let exists: bool = register.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM matters WHERE id = ?1)",
            [matter.to_string()],
            |r| r.get(0),
        )?;
        if !exists {
            return Err(Error::field("not_found", "matter_id", "所选信访事项不存在"));
        }
    }
    let record = RiskRecord {
        risk_id: register.next_id(),
        level: input.level,
        title,
        description,
        region_code,
        owner,
        plan,
        deadline,
        major: input.major,
        matter_id: input.matter_id,
    };
    register.write(&who.user_id.to_string(), |w| {
        w.record(EventBody::RiskRegistered(record.clone()))
    })?;
    risk_view(register, record.risk_id, false)
}

/// Progress on a risk.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskProgressInput {
    /// The risk.
    pub risk_id: Uuid,
    /// 进展情况.
    #[serde(default)]
    pub note: String,
    /// 调整责任人.
    #[serde(default)]
    pub owner: Option<String>,
    /// 调整化解措施.
    #[serde(default)]
    pub plan: Option<String>,
    /// 调整化解时限.
    #[serde(default)]
    pub deadline: Option<NaiveDate>,
}

fn ensure_open(register: &Register, id: Uuid) -> Result<()> {
    let status: Option<String> = rusqlite::OptionalExtension::optional(register.conn().query_row(
        "SELECT status FROM risks WHERE id = ?1",
        [id.to_string()],
        |r| r.get(0),
    ))?;
    match status.as_deref() {
        None => Err(Error::field("not_found", "risk_id", "所选矛盾纠纷不存在")),
        Some("closed") => Err(Error::field(
            "invalid_state",
            "risk_id",
            "该矛盾纠纷已经销号",
        )),
        _ => Ok(()),
    }
}

/// 记录化解进展.
pub fn risk_progress(
    register: &mut Register,
    who: &Session,
    input: RiskProgressInput,
) -> Result<Risk> {
    ensure_open(register, input.risk_id)?;
    let today = china_date(register.now());
    let note = required_text(&input.note, "note", "进展情况", limits::LONG_TEXT)?;
    let owner = optional_text(input.owner.as_deref(), "owner", "责任人", limits::ADDRESS)?;
    let plan = optional_text(input.plan.as_deref(), "plan", "化解措施", limits::LONG_TEXT)?;
    let deadline = match input.deadline {
        Some(d) => Some(check_deadline(Some(d), today)?),
        None => None,
    };
    let record = RiskProgressRecord {
        progress_id: register.next_id(),
        risk_id: input.risk_id,
        note,
        owner,
        plan,
        deadline,
    };
    register.write(&who.user_id.to_string(), |w| {
        w.record(EventBody::RiskProgressed(record.clone()))
    })?;
    risk_view(register, input.risk_id, true)
}

/// 销号.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskCloseInput {
    /// The risk.
    pub risk_id: Uuid,
    /// 化解结果.
    #[serde(default)]
    pub result: String,
}

/// 销号: only with the result of the work.
pub fn risk_close(register: &mut Register, who: &Session, input: RiskCloseInput) -> Result<Risk> {
    ensure_open(register, input.risk_id)?;
    let result = required_text(&input.result, "result", "化解结果", limits::LONG_TEXT)?;
    let closed_on = china_date(register.now());
    register.write(&who.user_id.to_string(), |w| {
        w.record(EventBody::RiskClosed {
            risk_id: input.risk_id,
            closed_on,
            result: result.clone(),
        })
    })?;
    risk_view(register, input.risk_id, true)
}

/// Filters of the risk list.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RiskListInput {
    /// Only this level.
    pub level: Option<RiskLevel>,
    /// Only the 重大不稳定问题清单.
    pub major_only: bool,
    /// Include closed (销号) items.
    pub include_closed: bool,
    /// Include progress notes.
    pub with_progress: bool,
}

/// 矛盾纠纷排查台账, most urgent first.
pub fn risk_list(
    register: &mut Register,
    _who: &Session,
    input: RiskListInput,
) -> Result<Vec<Risk>> {
    let mut sql = String::from("SELECT id FROM risks WHERE 1");
    let mut args: Vec<Box<dyn ToSql>> = Vec::new();
    if let Some(level) = input.level {
        sql.push_str(" AND level = ?");
        args.push(Box::new(level.code()));
    }
    if input.major_only {
        sql.push_str(" AND major = 1");
    }
    if !input.include_closed {
        sql.push_str(" AND status = 'open'");
    }
    sql.push_str(" ORDER BY status = 'closed', deadline, created_at LIMIT 1000");
    let ids: Vec<String> = register
        .conn()
        .prepare(&sql)?
        .query_map(params_from_iter(args.iter()), |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let id = Uuid::parse_str(&id).map_err(|e| Error::Internal(e.to_string()))?;
        out.push(risk_view(register, id, input.with_progress)?);
    }
    Ok(out)
}

fn risk_view(register: &Register, id: Uuid, with_progress: bool) -> Result<Risk> {
    let today = china_date(register.now());
    let approaching = Settings::load(register.conn())?.clock_approaching_days;
    let conn = register.conn();
    let mut risk = conn.query_row(
        "SELECT r.level, r.title, r.description, r.region_code, r.owner, r.plan, r.deadline,
           r.major, m.number, r.status, r.closed_on, r.result
         FROM risks r LEFT JOIN matters m ON m.id = r.matter_id WHERE r.id = ?1",
        [id.to_string()],
        |r| {
            let level: String = r.get(0)?;
            let level = RiskLevel::from_code(&level).unwrap_or(RiskLevel::Village);
            let region: Option<String> = r.get(3)?;
            let deadline = parse_date(&r.get::<_, String>(6)?).unwrap_or_default();
            let closed = r.get::<_, String>(9)? == "closed";
            let state = (!closed).then(|| clock_state(deadline, today, approaching));
            Ok(Risk {
                id,
                level,
                level_name: level.name_zh().to_owned(),
                title: r.get(1)?,
                description: r.get(2)?,
                region_name: region
                    .as_deref()
                    .and_then(|c| register.codes().region_path(c)),
                owner: r.get(4)?,
                plan: r.get(5)?,
                deadline,
                major: r.get(7)?,
                matter_number: r.get(8)?,
                closed,
                closed_on: r.get::<_, Option<String>>(10)?.and_then(|d| parse_date(&d)),
                result: r.get(11)?,
                state,
                state_name: state.map_or("已销号", |s| s.name_zh()).to_owned(),
                progress: Vec::new(),
            })
        },
    )?;
    if with_progress {
        let mut stmt = conn.prepare_cached(
            "SELECT p.at, coalesce(u.display_name, p.actor), p.note FROM risk_progress p
             LEFT JOIN users u ON u.id = p.actor WHERE p.risk_id = ?1 ORDER BY p.at, p.id",
        )?;
        risk.progress = stmt
            .query_map([id.to_string()], |r| {
                Ok(RiskNote {
                    at: r.get(0)?,
                    actor_name: r.get(1)?,
                    note: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
    }
    Ok(risk)
}
