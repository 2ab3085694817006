//! The handling workflow (办理) with its rules: notice, 受理 / 不予受理 / 不再受理, 转送 / 交办,
//! one extension, the answer with its delivery, 复查 and 复核, 办结, and the supervisor's 催办 /
//! 督办 and 包案; follow-ups with ratings.
//!
//! Each action is one transaction that records the step and starts or stops the statutory
//! clocks it touches (《信访工作条例》 Arts. 22–36, domain.md §1.9). Due dates are computed here,
//! once, with the calendar and rollover setting in force, and stored in the `clock.started`
//! event; replay never recomputes them.

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Settings, Step, limits, optional_text, parse_date, required_text};
use crate::{
    Error, Result,
    auth::Session,
    clock::china_date,
    domain::{
        codes::CodeTable,
        deadline::{ClockKind, Rollover, compute_due},
    },
    events::{
        AnswerItem, ClockRecord, EventBody, FollowupRecord, OwnershipRecord, StepDetail, StepRecord,
    },
    model::{ClockStatus, MatterStatus, Outcome, Rating, StepKind},
    register::{Register, Writer},
};

/// Clocks that are the centre's or a unit's duty. The others (D4, D7, D9) are windows for the
/// receiver or the petitioner: when one lapses nobody is overdue, the window is simply closed.
pub fn is_window(kind: ClockKind) -> bool {
    matches!(kind, ClockKind::D4 | ClockKind::D7 | ClockKind::D9)
}

/// Clocks that 受理, 不予受理 and 不再受理 satisfy: the decision is itself the written notice
/// (受理告知书 / 不予受理告知书) and the 信访部门 no longer has to forward the matter.
const DECISION_CLOCKS: &[ClockKind] = &[ClockKind::D1, ClockKind::D2, ClockKind::D3, ClockKind::S1];
/// The handling limits an answer meets.
const HANDLING_CLOCKS: &[ClockKind] = &[ClockKind::D5, ClockKind::D6, ClockKind::S2];

/// What the workflow needs to know about a matter.
#[derive(Debug)]
struct MatterState {
    number: String,
    status: MatterStatus,
    route: Option<String>,
    received_on: NaiveDate,
    repeat_of: Option<Uuid>,
    litigation: bool,
    current_unit: Option<String>,
}

fn matter_state(conn: &Connection, id: Uuid) -> Result<MatterState> {
    let row = conn
        .query_row(
            "SELECT number, status, route, received_date, repeat_of, litigation, current_unit
             FROM matters WHERE id = ?1",
            [id.to_string()],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, bool>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ))
            },
        )
        .optional()?;
    let Some((number, status, route, received, repeat_of, litigation, current_unit)) = row else {
        return Err(Error::field("not_found", "matter_id", "所选信访事项不存在"));
    };
    Ok(MatterState {
        number,
        status: MatterStatus::from_code(&status)
            .ok_or_else(|| Error::Internal(format!("unknown status {status}")))?,
        route,
        received_on: parse_date(&received)
            .ok_or_else(|| Error::Internal(format!("bad received date {received}")))?,
        repeat_of: repeat_of.and_then(|s| Uuid::parse_str(&s).ok()),
        litigation,
        current_unit,
    })
}

/// An open clock of a matter.
#[derive(Debug, Clone)]
struct OpenClock {
    id: Uuid,
    kind: ClockKind,
    due: NaiveDate,
}

fn open_clocks(conn: &Connection, matter_id: Uuid) -> Result<Vec<OpenClock>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, kind, due_date FROM matter_clocks
         WHERE matter_id = ?1 AND status = 'open' ORDER BY started_at, id",
    )?;
    let rows = stmt.query_map([matter_id.to_string()], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, kind, due) = row?;
        out.push(OpenClock {
            id: Uuid::parse_str(&id).map_err(|e| Error::Internal(e.to_string()))?,
            kind: clock_kind(&kind)?,
            due: parse_date(&due).ok_or_else(|| Error::Internal(format!("bad due {due}")))?,
        });
    }
    Ok(out)
}

/// Parses a stored clock code (`D4`).
pub(crate) fn clock_kind(code: &str) -> Result<ClockKind> {
    ClockKind::ALL
        .into_iter()
        .find(|k| k.code() == code)
        .ok_or_else(|| Error::Internal(format!("unknown clock {code}")))
}

/// Starts a clock in the open transaction; the due date is computed now and stored.
pub(crate) fn start_clock(
    w: &mut Writer<'_>,
    matter_id: Uuid,
    kind: ClockKind,
    start: NaiveDate,
    length: Option<u32>,
    holder: Option<String>,
    rollover: Rollover,
) -> Result<NaiveDate> {
    let due = compute_due(kind, start, length, rollover, w.calendar())
        .map_err(|e| Error::field("invalid_deadline", "days", e.message_zh()))?;
    let due_date = due.due;
    let clock_id = w.next_id();
    w.record(EventBody::ClockStarted(ClockRecord {
        clock_id,
        matter_id,
        kind,
        holder,
        due,
    }))?;
    Ok(due_date)
}

/// Records a clock that started and already ended: for the 简易办理 limits (S1, S3), which are
/// only known to apply when the step that meets them is taken, so their history shows whether
/// the step came in time.
fn record_met_clock(
    w: &mut Writer<'_>,
    matter_id: Uuid,
    kind: ClockKind,
    start: NaiveDate,
    met_on: NaiveDate,
    rollover: Rollover,
) -> Result<()> {
    let due = compute_due(kind, start, None, rollover, w.calendar())
        .map_err(|e| Error::field("invalid_deadline", "days", e.message_zh()))?;
    let clock_id = w.next_id();
    w.record(EventBody::ClockStarted(ClockRecord {
        clock_id,
        matter_id,
        kind,
        holder: None,
        due,
    }))?;
    w.record(EventBody::ClockEnded {
        clock_id,
        matter_id,
        status: ClockStatus::Met,
        ended_on: met_on,
    })?;
    Ok(())
}

fn end_clocks(
    w: &mut Writer<'_>,
    matter_id: Uuid,
    clocks: &[OpenClock],
    kinds: &[ClockKind],
    status: ClockStatus,
    on: NaiveDate,
) -> Result<()> {
    for clock in clocks.iter().filter(|c| kinds.contains(&c.kind)) {
        w.record(EventBody::ClockEnded {
            clock_id: clock.id,
            matter_id,
            status,
            ended_on: on,
        })?;
    }
    Ok(())
}

/// What a step does to the clocks: the one place that knows, used by every operation below and
/// by the demo generator.
pub(crate) fn clock_effects(
    w: &mut Writer<'_>,
    matter_id: Uuid,
    kind: StepKind,
    on: NaiveDate,
    holder: Option<String>,
    handling: Option<ClockKind>,
    rollover: Rollover,
) -> Result<()> {
    let clocks = open_clocks(w.conn(), matter_id)?;
    let end = |w: &mut Writer<'_>, kinds: &[ClockKind], status| {
        end_clocks(w, matter_id, &clocks, kinds, status, on)
    };
    match kind {
        StepKind::Notice => end(w, &[ClockKind::D2, ClockKind::D3], ClockStatus::Met)?,
        StepKind::Accept | StepKind::NotAccept | StepKind::NoLongerAccept => {
            end(w, DECISION_CLOCKS, ClockStatus::Met)?;
            // A forwarded matter's objection window closes once the unit decides.
            end(w, &[ClockKind::D4], ClockStatus::Ended)?;
            if let Some(handling) = handling {
                start_clock(w, matter_id, handling, on, None, holder, rollover)?;
            }
        }
        StepKind::Forward | StepKind::Assign => {
            end(w, &[ClockKind::D1], ClockStatus::Met)?;
            // Forwarding again (after an objection) replaces the previous receiver's clocks.
            end(w, &[ClockKind::D3, ClockKind::D4], ClockStatus::Ended)?;
            // The receiver must notify within 15 days (Art. 23(3)) and may object within 5
            // working days that the matter is not theirs.
            start_clock(
                w,
                matter_id,
                ClockKind::D3,
                on,
                None,
                holder.clone(),
                rollover,
            )?;
            start_clock(w, matter_id, ClockKind::D4, on, None, holder, rollover)?;
        }
        StepKind::Answer => {
            end(w, HANDLING_CLOCKS, ClockStatus::Met)?;
            start_clock(w, matter_id, ClockKind::D7, on, None, None, rollover)?;
        }
        StepKind::ReviewRequest => {
            end(w, &[ClockKind::D7], ClockStatus::Met)?;
            start_clock(w, matter_id, ClockKind::D8, on, None, holder, rollover)?;
        }
        StepKind::ReviewOpinion => {
            end(w, &[ClockKind::D8], ClockStatus::Met)?;
            start_clock(w, matter_id, ClockKind::D9, on, None, None, rollover)?;
        }
        StepKind::RecheckRequest => {
            end(w, &[ClockKind::D9], ClockStatus::Met)?;
            start_clock(w, matter_id, ClockKind::D10, on, None, holder, rollover)?;
        }
        StepKind::RecheckOpinion => end(w, &[ClockKind::D10], ClockStatus::Met)?,
        StepKind::Close => {
            let all: Vec<ClockKind> = clocks.iter().map(|c| c.kind).collect();
            end(w, &all, ClockStatus::Ended)?;
        }
        StepKind::Extend | StepKind::Note | StepKind::Urge | StepKind::Supervise => {}
    }
    Ok(())
}

fn today(register: &Register) -> NaiveDate {
    china_date(register.now())
}

/// A step date: today when not given, never in the future, never before the matter arrived.
fn step_date(
    given: Option<NaiveDate>,
    today: NaiveDate,
    not_before: NaiveDate,
    field: &str,
    label: &str,
) -> Result<NaiveDate> {
    let date = given.unwrap_or(today);
    if date > today {
        return Err(Error::field(
            "future_date",
            field,
            format!("{label}不能晚于今天（{today}）"),
        ));
    }
    if date < not_before {
        return Err(Error::field(
            "date_too_early",
            field,
            format!("{label}不能早于{not_before}"),
        ));
    }
    Ok(date)
}

fn wrong_status(state: &MatterState, action: &str) -> Error {
    Error::field(
        "invalid_state",
        "matter_id",
        format!(
            "信访事项 {} 当前状态为“{}”，不能{action}",
            state.number,
            state.status.name_zh()
        ),
    )
}

/// Records the step and returns it in the shape `matter_get` lists steps.
fn record_step(
    w: &mut Writer<'_>,
    who: &Session,
    matter_id: Uuid,
    kind: StepKind,
    unit: Option<String>,
    note: Option<String>,
    detail: StepDetail,
) -> Result<Step> {
    let step_id = w.next_id();
    let detail = (detail != StepDetail::default()).then_some(detail);
    let record = StepRecord {
        step_id,
        matter_id,
        kind,
        unit,
        note,
        detail,
    };
    let event = w.record(EventBody::StepRecorded(record.clone()))?;
    Ok(Step {
        id: step_id,
        kind,
        kind_name: kind.name_zh().to_owned(),
        at: event.at,
        actor_name: who.display_name.clone(),
        unit: record.unit,
        note: record.note,
        detail: record.detail,
    })
}

/// What a step does to the clocks (see [`clock_effects`]).
struct Effects {
    kind: StepKind,
    on: NaiveDate,
    holder: Option<String>,
    handling: Option<ClockKind>,
    rollover: Rollover,
}

/// Applies a step's clock effects and records the step: what every workflow operation does
/// once its input is checked.
fn take_step(
    w: &mut Writer<'_>,
    who: &Session,
    matter_id: Uuid,
    effects: Effects,
    unit: Option<String>,
    note: Option<String>,
    detail: StepDetail,
) -> Result<Step> {
    clock_effects(
        w,
        matter_id,
        effects.kind,
        effects.on,
        effects.holder,
        effects.handling,
        effects.rollover,
    )?;
    record_step(w, who, matter_id, effects.kind, unit, note, detail)
}

fn note(input: Option<&str>) -> Result<Option<String>> {
    optional_text(input, "note", "说明", limits::LONG_TEXT)
}

// ------------------------------------------------------------------------------------- notice

/// 书面告知: the written notice of Art. 23 was given.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeInput {
    /// The matter.
    pub matter_id: Uuid,
    /// 告知日期 (default today).
    #[serde(default)]
    pub notified_on: Option<NaiveDate>,
    /// 告知方式 (当面、邮寄、短信…).
    #[serde(default)]
    pub method: Option<String>,
    /// 说明.
    #[serde(default)]
    pub note: Option<String>,
}

/// 书面告知信访人.
pub fn matter_notice(register: &mut Register, who: &Session, input: NoticeInput) -> Result<Step> {
    let state = matter_state(register.conn(), input.matter_id)?;
    if matches!(state.status, MatterStatus::Closed) {
        return Err(wrong_status(&state, "再记录告知"));
    }
    let on = step_date(
        input.notified_on,
        today(register),
        state.received_on,
        "notified_on",
        "告知日期",
    )?;
    let method = required_text(
        input.method.as_deref().unwrap_or_default(),
        "method",
        "告知方式",
        limits::NAME,
    )?;
    let note = note(input.note.as_deref())?;
    register.write(&who.user_id.to_string(), |w| {
        take_step(
            w,
            who,
            input.matter_id,
            Effects {
                kind: StepKind::Notice,
                on,
                holder: None,
                handling: None,
                rollover: Rollover::None,
            },
            None,
            note,
            StepDetail {
                effective_on: Some(on),
                method: Some(method),
                ..StepDetail::default()
            },
        )
    })
}

// ------------------------------------------------------------------------------------- accept

/// 受理.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInput {
    /// The matter.
    pub matter_id: Uuid,
    /// 受理日期 (default today).
    #[serde(default)]
    pub accepted_on: Option<NaiveDate>,
    /// 简易办理: 10 working days instead of 60 days.
    #[serde(default)]
    pub simplified: bool,
    /// 承办人 (default: whoever records the acceptance).
    #[serde(default)]
    pub handler_id: Option<Uuid>,
    /// 说明.
    #[serde(default)]
    pub note: Option<String>,
}

/// 受理. Starts the 60-day handling limit (or 10 working days, simplified) only for matters on
/// the 信访 procedure of Art. 31(6); other routes record the statutory path they follow.
pub fn matter_accept(register: &mut Register, who: &Session, input: AcceptInput) -> Result<Step> {
    let state = matter_state(register.conn(), input.matter_id)?;
    if !matches!(
        state.status,
        MatterStatus::Registered | MatterStatus::Forwarded | MatterStatus::Assigned
    ) {
        return Err(wrong_status(&state, "受理"));
    }
    let on = step_date(
        input.accepted_on,
        today(register),
        state.received_on,
        "accepted_on",
        "受理日期",
    )?;
    let handler_id = match input.handler_id {
        Some(id) => {
            ensure_active_user(register.conn(), id, "handler_id")?;
            id
        }
        None => who.user_id,
    };
    let route = state
        .route
        .as_deref()
        .and_then(|code| register.codes().get(CodeTable::Routes, code));
    let starts_clock = route.is_none_or(|r| r.starts_handling_clock == Some(true));
    let statutory_path = match route {
        Some(r) if !starts_clock => Some(format!(
            "依照{}规定的途径办理：{}",
            r.article
                .as_deref()
                .map(|a| format!("《信访工作条例》第三十一条第（{a}）项"))
                .unwrap_or_else(|| "《信访工作条例》第三十一条".to_owned()),
            r.name
        )),
        _ => None,
    };
    if input.simplified && !starts_clock {
        return Err(Error::field(
            "not_applicable",
            "simplified",
            "简易办理只适用于按信访程序办理的事项",
        ));
    }
    let note = note(input.note.as_deref())?;
    let rollover = Settings::load(register.conn())?.deadline_rollover;
    let handling = starts_clock.then_some(if input.simplified {
        ClockKind::S2
    } else {
        ClockKind::D5
    });
    register.write(&who.user_id.to_string(), |w| {
        if input.simplified {
            // 简易办理: the decision to accept was due within 3 working days of receipt.
            record_met_clock(
                w,
                input.matter_id,
                ClockKind::S1,
                state.received_on,
                on,
                rollover,
            )?;
        }
        // The unit the matter was forwarded or assigned to handles it; else this centre.
        take_step(
            w,
            who,
            input.matter_id,
            Effects {
                kind: StepKind::Accept,
                on,
                holder: state.current_unit.clone(),
                handling,
                rollover,
            },
            None,
            note,
            StepDetail {
                effective_on: Some(on),
                simplified: input.simplified,
                handler_id: Some(handler_id),
                statutory_path,
                ..StepDetail::default()
            },
        )
    })
}

fn ensure_active_user(conn: &Connection, id: Uuid, field: &str) -> Result<()> {
    let active: Option<bool> = conn
        .query_row(
            "SELECT active FROM users WHERE id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )
        .optional()?;
    match active {
        Some(true) => Ok(()),
        Some(false) => Err(Error::field("inactive", field, "该用户已停用")),
        None => Err(Error::field("not_found", field, "所选用户不存在")),
    }
}

// ---------------------------------------------------------------------------- not accepted

/// 不予受理 or 不再受理, with the reason and where to turn.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RefusalInput {
    /// The matter.
    pub matter_id: Uuid,
    /// 理由 (e.g. 属于人民法院职权范围).
    #[serde(default)]
    pub reason: Option<String>,
    /// 应当向其提出的机关或途径.
    #[serde(default)]
    pub proper_channel: Option<String>,
    /// 依据 (e.g. 《信访工作条例》第二十八条); printed on the notice.
    #[serde(default)]
    pub legal_basis: Option<String>,
    /// 决定日期 (default today).
    #[serde(default)]
    pub decided_on: Option<NaiveDate>,
    /// 说明.
    #[serde(default)]
    pub note: Option<String>,
}

/// 不予受理: the reason and the proper channel are both required (a notice that only says
/// “不予受理” is what local guidance criticises).
pub fn matter_not_accept(
    register: &mut Register,
    who: &Session,
    input: RefusalInput,
) -> Result<Step> {
    let state = matter_state(register.conn(), input.matter_id)?;
    if !matches!(
        state.status,
        MatterStatus::Registered | MatterStatus::Forwarded | MatterStatus::Assigned
    ) {
        return Err(wrong_status(&state, "作不予受理决定"));
    }
    let proper = required_text(
        input.proper_channel.as_deref().unwrap_or_default(),
        "proper_channel",
        "应当向其提出的机关或途径",
        limits::ADDRESS,
    )?;
    refuse(
        register,
        who,
        input,
        state,
        StepKind::NotAccept,
        Some(proper),
    )
}

/// 不再受理: only where the same matter has already been through 复核 (Art. 36(3)), or a
/// 涉法涉诉 matter already closed by law.
pub fn matter_no_longer_accept(
    register: &mut Register,
    who: &Session,
    input: RefusalInput,
) -> Result<Step> {
    let state = matter_state(register.conn(), input.matter_id)?;
    if !matches!(
        state.status,
        MatterStatus::Registered | MatterStatus::Forwarded | MatterStatus::Assigned
    ) {
        return Err(wrong_status(&state, "作不再受理决定"));
    }
    if no_longer_accept_basis(register.conn(), state.repeat_of, state.litigation)?.is_none() {
        return Err(Error::field(
            "not_applicable",
            "matter_id",
            "不再受理只适用于已经复核的同一事项（《信访工作条例》第三十六条第三款），\
             或已依法终结的涉法涉诉事项；请先确认重复信访并关联原事项",
        ));
    }
    refuse(register, who, input, state, StepKind::NoLongerAccept, None)
}

/// Why 不再受理 may be offered for a matter: the earlier matter it repeats was rechecked, or is
/// a closed 涉法涉诉 matter. `None` when it may not.
pub(crate) fn no_longer_accept_basis(
    conn: &Connection,
    repeat_of: Option<Uuid>,
    litigation: bool,
) -> Result<Option<String>> {
    let Some(earlier) = repeat_of else {
        return Ok(None);
    };
    let row: Option<(String, String, bool)> = conn
        .query_row(
            "SELECT number, status,
               EXISTS (SELECT 1 FROM handling_steps WHERE matter_id = m.id
                 AND +kind = 'recheck_opinion')
             FROM matters m WHERE id = ?1",
            [earlier.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((number, status, rechecked)) = row else {
        return Ok(None);
    };
    if rechecked {
        return Ok(Some(format!(
            "原事项 {number} 已经复核，信访人以同一事实和理由再次提出（《信访工作条例》第三十六条第三款）"
        )));
    }
    if litigation && status == MatterStatus::Closed.code() {
        return Ok(Some(format!("原涉法涉诉事项 {number} 已依法终结")));
    }
    Ok(None)
}

fn refuse(
    register: &mut Register,
    who: &Session,
    input: RefusalInput,
    state: MatterState,
    kind: StepKind,
    proper_channel: Option<String>,
) -> Result<Step> {
    let reason = required_text(
        input.reason.as_deref().unwrap_or_default(),
        "reason",
        "理由",
        limits::REQUEST,
    )?;
    let on = step_date(
        input.decided_on,
        today(register),
        state.received_on,
        "decided_on",
        "决定日期",
    )?;
    let legal_basis = optional_text(
        input.legal_basis.as_deref(),
        "legal_basis",
        "依据",
        limits::ADDRESS,
    )?;
    let note = note(input.note.as_deref())?;
    register.write(&who.user_id.to_string(), |w| {
        take_step(
            w,
            who,
            input.matter_id,
            Effects {
                kind,
                on,
                holder: None,
                handling: None,
                rollover: Rollover::None,
            },
            None,
            note,
            StepDetail {
                effective_on: Some(on),
                reason: Some(reason),
                proper_channel,
                legal_basis,
                ..StepDetail::default()
            },
        )
    })
}

// ------------------------------------------------------------------------- forward / assign

/// 转送 or 交办 to a unit.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HandOverInput {
    /// The matter.
    pub matter_id: Uuid,
    /// 承办单位.
    #[serde(default)]
    pub unit: Option<String>,
    /// 转送、交办日期 (default today). The receiver's clocks start from it.
    #[serde(default)]
    pub sent_on: Option<NaiveDate>,
    /// 交办: 反馈办理结果的期限.
    #[serde(default)]
    pub due_by: Option<NaiveDate>,
    /// 简易办理: each forwarding level has 1 working day (S3).
    #[serde(default)]
    pub simplified: bool,
    /// 说明.
    #[serde(default)]
    pub note: Option<String>,
}

/// 转送.
pub fn matter_forward(
    register: &mut Register,
    who: &Session,
    input: HandOverInput,
) -> Result<Step> {
    hand_over(register, who, input, StepKind::Forward)
}

/// 交办.
pub fn matter_assign(register: &mut Register, who: &Session, input: HandOverInput) -> Result<Step> {
    hand_over(register, who, input, StepKind::Assign)
}

fn hand_over(
    register: &mut Register,
    who: &Session,
    input: HandOverInput,
    kind: StepKind,
) -> Result<Step> {
    let state = matter_state(register.conn(), input.matter_id)?;
    let verb = kind.name_zh();
    if !matches!(
        state.status,
        MatterStatus::Registered | MatterStatus::Forwarded | MatterStatus::Assigned
    ) {
        return Err(wrong_status(&state, verb));
    }
    let unit = required_text(
        input.unit.as_deref().unwrap_or_default(),
        "unit",
        "承办单位",
        limits::ADDRESS,
    )?;
    let today = today(register);
    let on = step_date(input.sent_on, today, state.received_on, "sent_on", "日期")?;
    if let Some(due_by) = input.due_by
        && due_by <= on
    {
        return Err(Error::field(
            "date_too_early",
            "due_by",
            "反馈期限应晚于交办日期",
        ));
    }
    let note = note(input.note.as_deref())?;
    let rollover = Settings::load(register.conn())?.deadline_rollover;
    register.write(&who.user_id.to_string(), |w| {
        if input.simplified {
            // 简易办理: this level had 1 working day from receipt to pass the matter on.
            record_met_clock(
                w,
                input.matter_id,
                ClockKind::S3,
                state.received_on,
                on,
                rollover,
            )?;
        }
        take_step(
            w,
            who,
            input.matter_id,
            Effects {
                kind,
                on,
                holder: Some(unit.clone()),
                handling: None,
                rollover,
            },
            Some(unit),
            note,
            StepDetail {
                effective_on: Some(on),
                due_by: input.due_by,
                simplified: input.simplified,
                ..StepDetail::default()
            },
        )
    })
}

// ------------------------------------------------------------------------------------ extend

/// 延长办理期限.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtendInput {
    /// The matter.
    pub matter_id: Uuid,
    /// 延长天数 (1–30).
    pub days: u32,
    /// 批准人 (本机关负责人).
    #[serde(default)]
    pub approver: Option<String>,
    /// 延期理由.
    #[serde(default)]
    pub reason: Option<String>,
}

/// 延长办理期限: once, by at most 30 days, approved by the body's head, with a reason (Art. 34).
pub fn matter_extend(register: &mut Register, who: &Session, input: ExtendInput) -> Result<Step> {
    let state = matter_state(register.conn(), input.matter_id)?;
    let clocks = open_clocks(register.conn(), input.matter_id)?;
    let extended: bool = register.conn().query_row(
        "SELECT EXISTS (SELECT 1 FROM matter_clocks WHERE matter_id = ?1 AND +kind = 'D6')",
        [input.matter_id.to_string()],
        |r| r.get(0),
    )?;
    if extended {
        return Err(Error::field(
            "extension_exists",
            "days",
            "办理期限只能延长一次，本事项已经延期（《信访工作条例》第三十四条）",
        ));
    }
    let Some(handling) = clocks.iter().find(|c| c.kind == ClockKind::D5).cloned() else {
        if clocks.iter().any(|c| c.kind == ClockKind::S2) {
            return Err(Error::field(
                "not_applicable",
                "days",
                "简易办理的事项不能延期；如需延期，请转为普通程序办理",
            ));
        }
        return Err(wrong_status(&state, "延期（没有正在计时的60日办理期限）"));
    };
    if input.days == 0 || input.days > crate::domain::deadline::MAX_EXTENSION_DAYS {
        return Err(Error::field(
            "extension_too_long",
            "days",
            if input.days == 0 {
                "延长天数必须为1至30日（《信访工作条例》第三十四条）"
            } else {
                "延长期限不得超过30日（《信访工作条例》第三十四条）"
            },
        ));
    }
    let approver = required_text(
        input.approver.as_deref().unwrap_or_default(),
        "approver",
        "批准人",
        limits::NAME,
    )?;
    let reason = required_text(
        input.reason.as_deref().unwrap_or_default(),
        "reason",
        "延期理由",
        limits::REQUEST,
    )?;
    let today = today(register);
    if handling.due < today {
        return Err(Error::field(
            "window_lapsed",
            "days",
            format!("办理期限已于{}届满，不能再延期", handling.due),
        ));
    }
    let rollover = Settings::load(register.conn())?.deadline_rollover;
    register.write(&who.user_id.to_string(), |w| {
        end_clocks(
            w,
            input.matter_id,
            &clocks,
            &[ClockKind::D5],
            ClockStatus::Superseded,
            today,
        )?;
        let holder = state.current_unit.clone();
        start_clock(
            w,
            input.matter_id,
            ClockKind::D6,
            handling.due,
            Some(input.days),
            holder,
            rollover,
        )?;
        record_step(
            w,
            who,
            input.matter_id,
            StepKind::Extend,
            None,
            None,
            StepDetail {
                effective_on: Some(today),
                reason: Some(reason),
                approver: Some(approver),
                extension_days: Some(input.days),
                ..StepDetail::default()
            },
        )
    })
}

// ---------------------------------------------------------------------- answers and opinions

/// One item of the request with its decision.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerItemInput {
    /// 诉求事项.
    pub item: String,
    /// 支持 / 解释说明 / 不予支持.
    pub outcome: Outcome,
    /// 事实、法律和政策依据.
    #[serde(default)]
    pub basis: Option<String>,
}

/// 处理意见、复查意见 or 复核意见 and its delivery.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OpinionInput {
    /// The matter.
    pub matter_id: Uuid,
    /// 意见概要 (for 复查 and 复核: the conclusion, e.g. 维持原处理意见).
    #[serde(default)]
    pub opinion: Option<String>,
    /// 经调查核实的事实.
    #[serde(default)]
    pub facts: Option<String>,
    /// 法律、法规和政策依据.
    #[serde(default)]
    pub legal_basis: Option<String>,
    /// Where the petitioner may ask for 复查 / 复核 (default from settings).
    #[serde(default)]
    pub next_body: Option<String>,
    /// The decision on each item (at least one).
    #[serde(default)]
    pub items: Vec<AnswerItemInput>,
    /// 送达日期: the petitioner's window for 复查 / 复核 starts from it.
    #[serde(default)]
    pub delivered_on: Option<NaiveDate>,
    /// 送达方式 (直接送达、邮寄送达、电子送达…).
    #[serde(default)]
    pub delivery_method: Option<String>,
    /// 说明.
    #[serde(default)]
    pub note: Option<String>,
}

/// 答复: the handling opinion with a decision per item, delivered. Starts the 30-day 复查
/// window from the delivery date.
pub fn matter_answer(register: &mut Register, who: &Session, input: OpinionInput) -> Result<Step> {
    opinion(
        register,
        who,
        input,
        Stage {
            allowed: &[MatterStatus::Accepted],
            kind: StepKind::Answer,
        },
    )
}

/// 复查意见 delivered; starts the 30-day 复核 window.
pub fn matter_review_opinion(
    register: &mut Register,
    who: &Session,
    input: OpinionInput,
) -> Result<Step> {
    opinion(
        register,
        who,
        input,
        Stage {
            allowed: &[MatterStatus::Reviewing],
            kind: StepKind::ReviewOpinion,
        },
    )
}

/// 复核意见 delivered; the matter is final (the same facts and reasons are not accepted again).
pub fn matter_recheck_opinion(
    register: &mut Register,
    who: &Session,
    input: OpinionInput,
) -> Result<Step> {
    opinion(
        register,
        who,
        input,
        Stage {
            allowed: &[MatterStatus::Rechecking],
            kind: StepKind::RecheckOpinion,
        },
    )
}

struct Stage {
    allowed: &'static [MatterStatus],
    kind: StepKind,
}

fn opinion(
    register: &mut Register,
    who: &Session,
    input: OpinionInput,
    stage: Stage,
) -> Result<Step> {
    let state = matter_state(register.conn(), input.matter_id)?;
    let label = stage.kind.name_zh();
    if !stage.allowed.contains(&state.status) {
        return Err(wrong_status(&state, &format!("记录{label}")));
    }
    if input.items.is_empty() {
        return Err(Error::field(
            "required",
            "items",
            "请逐项写明诉求事项及处理结论（支持、解释说明或不予支持）",
        ));
    }
    let mut items = Vec::with_capacity(input.items.len());
    for (i, item) in input.items.iter().enumerate() {
        items.push(AnswerItem {
            item: required_text(
                &item.item,
                &format!("items[{i}].item"),
                "诉求事项",
                limits::REQUEST,
            )?,
            outcome: item.outcome,
            basis: optional_text(
                item.basis.as_deref(),
                &format!("items[{i}].basis"),
                "依据",
                limits::LONG_TEXT,
            )?,
        });
    }
    let opinion = optional_text(
        input.opinion.as_deref(),
        "opinion",
        "意见概要",
        limits::LONG_TEXT,
    )?;
    let facts = optional_text(input.facts.as_deref(), "facts", "事实", limits::LONG_TEXT)?;
    let legal_basis = optional_text(
        input.legal_basis.as_deref(),
        "legal_basis",
        "依据",
        limits::REQUEST,
    )?;
    let next_body = optional_text(
        input.next_body.as_deref(),
        "next_body",
        "复查、复核机关",
        limits::ADDRESS,
    )?;
    let Some(delivered) = input.delivered_on else {
        return Err(Error::field(
            "required",
            "delivered_on",
            format!("请填写{label}的送达日期：信访人请求复查、复核的期限自送达之日起计算"),
        ));
    };
    let delivered = step_date(
        Some(delivered),
        today(register),
        state.received_on,
        "delivered_on",
        "送达日期",
    )?;
    let method = required_text(
        input.delivery_method.as_deref().unwrap_or_default(),
        "delivery_method",
        "送达方式",
        limits::NAME,
    )?;
    let note = note(input.note.as_deref())?;
    let rollover = Settings::load(register.conn())?.deadline_rollover;
    register.write(&who.user_id.to_string(), |w| {
        take_step(
            w,
            who,
            input.matter_id,
            Effects {
                kind: stage.kind,
                on: delivered,
                holder: None,
                handling: None,
                rollover,
            },
            None,
            note,
            StepDetail {
                effective_on: Some(delivered),
                method: Some(method),
                opinion,
                items,
                facts,
                legal_basis,
                next_body,
                ..StepDetail::default()
            },
        )
    })
}

/// A 复查 or 复核 request received.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealInput {
    /// The matter.
    pub matter_id: Uuid,
    /// 收到申请日期 (default today).
    #[serde(default)]
    pub received_on: Option<NaiveDate>,
    /// 复查、复核机关.
    #[serde(default)]
    pub unit: Option<String>,
    /// Why a request after the window is still taken (不可抗力等正当理由).
    #[serde(default)]
    pub late_reason: Option<String>,
    /// 说明.
    #[serde(default)]
    pub note: Option<String>,
}

/// 收到复查申请 (Art. 35): within 30 days of receiving the answer, or with a recorded reason.
pub fn matter_review_request(
    register: &mut Register,
    who: &Session,
    input: AppealInput,
) -> Result<Step> {
    appeal(
        register,
        who,
        input,
        MatterStatus::Answered,
        ClockKind::D7,
        StepKind::ReviewRequest,
    )
}

/// 收到复核申请 (Art. 36): within 30 days of receiving the 复查 opinion, or with a reason.
pub fn matter_recheck_request(
    register: &mut Register,
    who: &Session,
    input: AppealInput,
) -> Result<Step> {
    appeal(
        register,
        who,
        input,
        MatterStatus::Reviewed,
        ClockKind::D9,
        StepKind::RecheckRequest,
    )
}

fn appeal(
    register: &mut Register,
    who: &Session,
    input: AppealInput,
    from: MatterStatus,
    window: ClockKind,
    kind: StepKind,
) -> Result<Step> {
    let state = matter_state(register.conn(), input.matter_id)?;
    let label = kind.name_zh();
    if state.status != from {
        return Err(wrong_status(&state, &format!("登记{label}")));
    }
    let on = step_date(
        input.received_on,
        today(register),
        state.received_on,
        "received_on",
        "收到申请日期",
    )?;
    let unit = required_text(
        input.unit.as_deref().unwrap_or_default(),
        "unit",
        "复查、复核机关",
        limits::ADDRESS,
    )?;
    let late_reason = optional_text(
        input.late_reason.as_deref(),
        "late_reason",
        "逾期理由",
        limits::REQUEST,
    )?;
    let window_due: Option<String> = register
        .conn()
        .query_row(
            "SELECT due_date FROM matter_clocks WHERE matter_id = ?1 AND +kind = ?2
             ORDER BY started_at DESC LIMIT 1",
            rusqlite::params![input.matter_id.to_string(), window.code()],
            |r| r.get(0),
        )
        .optional()?;
    let window_due = window_due.as_deref().and_then(parse_date);
    if let Some(due) = window_due
        && on > due
        && late_reason.is_none()
    {
        return Err(Error::field(
            "window_lapsed",
            "late_reason",
            format!(
                "申请期限已于{due}届满（{}）。如因不可抗力等正当理由逾期，请填写逾期理由；否则应告知不予受理",
                window.rule_ref()
            ),
        ));
    }
    let note = note(input.note.as_deref())?;
    let rollover = Settings::load(register.conn())?.deadline_rollover;
    register.write(&who.user_id.to_string(), |w| {
        take_step(
            w,
            who,
            input.matter_id,
            Effects {
                kind,
                on,
                holder: Some(unit.clone()),
                handling: None,
                rollover,
            },
            Some(unit),
            note,
            StepDetail {
                effective_on: Some(on),
                reason: late_reason,
                ..StepDetail::default()
            },
        )
    })
}

// ------------------------------------------------------------------------------------- close

/// 办结.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseInput {
    /// The matter.
    pub matter_id: Uuid,
    /// 办结说明.
    #[serde(default)]
    pub note: Option<String>,
}

/// 办结 (审核认定办结 / 终结): every clock still open ends.
pub fn matter_close(register: &mut Register, who: &Session, input: CloseInput) -> Result<Step> {
    let state = matter_state(register.conn(), input.matter_id)?;
    if matches!(
        state.status,
        MatterStatus::Closed | MatterStatus::Reviewing | MatterStatus::Rechecking
    ) {
        return Err(wrong_status(&state, "办结"));
    }
    let clocks = open_clocks(register.conn(), input.matter_id)?;
    if clocks
        .iter()
        .any(|c| !is_window(c.kind) && HANDLING_CLOCKS.contains(&c.kind))
    {
        return Err(Error::field(
            "invalid_state",
            "matter_id",
            "办理期限仍在计时：请先记录答复及送达，再办结",
        ));
    }
    let note = note(input.note.as_deref())?;
    let today = today(register);
    register.write(&who.user_id.to_string(), |w| {
        take_step(
            w,
            who,
            input.matter_id,
            Effects {
                kind: StepKind::Close,
                on: today,
                holder: None,
                handling: None,
                rollover: Rollover::None,
            },
            None,
            note,
            StepDetail {
                effective_on: Some(today),
                ..StepDetail::default()
            },
        )
    })
}

// ------------------------------------------------------------------------------- supervision

/// 催办 or 督办.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SuperviseLevel {
    /// 催办: a reminder.
    Urge,
    /// 督办: formal supervision with a finish-by date.
    Supervise,
}

/// 催办 / 督办 a unit about a matter.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SuperviseInput {
    /// The matter.
    pub matter_id: Uuid,
    /// 催办 or 督办.
    pub level: SuperviseLevel,
    /// 被督办单位 (default: the unit handling it now).
    #[serde(default)]
    pub unit: Option<String>,
    /// 督办要求.
    #[serde(default)]
    pub note: Option<String>,
    /// 限期 (required for 督办).
    #[serde(default)]
    pub due_by: Option<NaiveDate>,
}

/// 催办、督办: logged on the case; the letter is rendered from this step.
pub fn matter_supervise(
    register: &mut Register,
    who: &Session,
    input: SuperviseInput,
) -> Result<Step> {
    let state = matter_state(register.conn(), input.matter_id)?;
    if state.status == MatterStatus::Closed {
        return Err(wrong_status(&state, "催办、督办"));
    }
    let current_unit: Option<String> = register.conn().query_row(
        "SELECT current_unit FROM matters WHERE id = ?1",
        [input.matter_id.to_string()],
        |r| r.get(0),
    )?;
    let unit = optional_text(input.unit.as_deref(), "unit", "被督办单位", limits::ADDRESS)?
        .or(current_unit)
        .ok_or_else(|| Error::required("unit", "被督办单位"))?;
    let note = required_text(
        input.note.as_deref().unwrap_or_default(),
        "note",
        "督办要求",
        limits::LONG_TEXT,
    )?;
    let today = today(register);
    let kind = match input.level {
        SuperviseLevel::Urge => StepKind::Urge,
        SuperviseLevel::Supervise => StepKind::Supervise,
    };
    match input.due_by {
        None if kind == StepKind::Supervise => {
            return Err(Error::required("due_by", "督办限期"));
        }
        Some(due) if due <= today => {
            return Err(Error::field("date_too_early", "due_by", "限期应晚于今天"));
        }
        _ => {}
    }
    register.write(&who.user_id.to_string(), |w| {
        record_step(
            w,
            who,
            input.matter_id,
            kind,
            Some(unit),
            Some(note),
            StepDetail {
                effective_on: Some(today),
                due_by: input.due_by,
                ..StepDetail::default()
            },
        )
    })
}

/// 包案 (四定四包).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnershipInput {
    /// The matter.
    pub matter_id: Uuid,
    /// 包案领导.
    #[serde(default)]
    pub leader: String,
    /// 工作专班.
    #[serde(default)]
    pub team: String,
    /// 化解方案.
    #[serde(default)]
    pub plan: String,
    /// 化解时限.
    #[serde(default)]
    pub deadline: Option<NaiveDate>,
    /// 包案内容.
    #[serde(default)]
    pub scope: String,
}

/// 包案 as recorded on a case.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Ownership {
    /// 包案领导.
    pub leader: String,
    /// 工作专班.
    pub team: String,
    /// 化解方案.
    pub plan: String,
    /// 化解时限.
    pub deadline: NaiveDate,
    /// 包案内容.
    pub scope: String,
}

/// 设定包案: leader, team, plan, deadline and what is owned.
pub fn matter_ownership_set(
    register: &mut Register,
    who: &Session,
    input: OwnershipInput,
) -> Result<Ownership> {
    matter_state(register.conn(), input.matter_id)?;
    let leader = required_text(&input.leader, "leader", "包案领导", limits::NAME)?;
    let team = required_text(&input.team, "team", "工作专班", limits::ADDRESS)?;
    let plan = required_text(&input.plan, "plan", "化解方案", limits::LONG_TEXT)?;
    let scope = required_text(&input.scope, "scope", "包案内容", limits::REQUEST)?;
    let deadline = input
        .deadline
        .ok_or_else(|| Error::required("deadline", "化解时限"))?;
    if deadline < today(register) {
        return Err(Error::field(
            "date_too_early",
            "deadline",
            "化解时限不能早于今天",
        ));
    }
    let record = OwnershipRecord {
        matter_id: input.matter_id,
        leader,
        team,
        plan,
        deadline,
        scope,
    };
    register.write(&who.user_id.to_string(), |w| {
        w.record(EventBody::OwnershipSet(record.clone()))
    })?;
    Ok(Ownership {
        leader: record.leader,
        team: record.team,
        plan: record.plan,
        deadline: record.deadline,
        scope: record.scope,
    })
}

// ---------------------------------------------------------------------------------- follow-up

/// 回访 and the petitioner's rating.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowupInput {
    /// The matter.
    pub matter_id: Uuid,
    /// 回访日期 (default today).
    #[serde(default)]
    pub followed_on: Option<NaiveDate>,
    /// 回访人 (default: who records it).
    #[serde(default)]
    pub by_name: Option<String>,
    /// 回访方式.
    #[serde(default)]
    pub method: Option<String>,
    /// 回访结果.
    #[serde(default)]
    pub result: Option<String>,
    /// 对受理的评价.
    #[serde(default)]
    pub acceptance_rating: Option<Rating>,
    /// 对办理的评价.
    #[serde(default)]
    pub handling_rating: Option<Rating>,
    /// 查询码.
    #[serde(default)]
    pub query_code: Option<String>,
    /// 说明.
    #[serde(default)]
    pub note: Option<String>,
}

/// A 回访 as shown on the case.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Followup {
    /// Id.
    pub id: Uuid,
    /// 回访日期.
    pub followed_on: NaiveDate,
    /// 回访人.
    pub by_name: String,
    /// 回访方式.
    pub method: String,
    /// 回访结果.
    pub result: String,
    /// 对受理的评价.
    pub acceptance_rating: Option<Rating>,
    /// 对办理的评价.
    pub handling_rating: Option<Rating>,
    /// 查询码.
    pub query_code: Option<String>,
    /// 说明.
    pub note: Option<String>,
}

/// 记录回访及评价.
pub fn followup_record(
    register: &mut Register,
    who: &Session,
    input: FollowupInput,
) -> Result<Followup> {
    let state = matter_state(register.conn(), input.matter_id)?;
    let on = step_date(
        input.followed_on,
        today(register),
        state.received_on,
        "followed_on",
        "回访日期",
    )?;
    let by_name = match optional_text(input.by_name.as_deref(), "by_name", "回访人", limits::NAME)?
    {
        Some(name) => name,
        None => who.display_name.clone(),
    };
    let method = required_text(
        input.method.as_deref().unwrap_or_default(),
        "method",
        "回访方式",
        limits::NAME,
    )?;
    let result = required_text(
        input.result.as_deref().unwrap_or_default(),
        "result",
        "回访结果",
        limits::REQUEST,
    )?;
    let query_code = optional_text(
        input.query_code.as_deref(),
        "query_code",
        "查询码",
        limits::CODE,
    )?;
    let note = note(input.note.as_deref())?;
    let record = FollowupRecord {
        followup_id: register.next_id(),
        matter_id: input.matter_id,
        followed_on: on,
        by_name,
        method,
        result,
        acceptance_rating: input.acceptance_rating,
        handling_rating: input.handling_rating,
        query_code,
        note,
    };
    register.write(&who.user_id.to_string(), |w| {
        w.record(EventBody::FollowupRecorded(record.clone()))
    })?;
    Ok(Followup {
        id: record.followup_id,
        followed_on: record.followed_on,
        by_name: record.by_name,
        method: record.method,
        result: record.result,
        acceptance_rating: record.acceptance_rating,
        handling_rating: record.handling_rating,
        query_code: record.query_code,
        note: record.note,
    })
}

/// The follow-ups and ownership of a matter, for `matter_get`.
pub(crate) fn followups_of(conn: &Connection, matter_id: Uuid) -> Result<Vec<Followup>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, followed_on, by_name, method, result, acceptance_rating, handling_rating,
           query_code, note FROM followups WHERE matter_id = ?1 ORDER BY followed_on, id",
    )?;
    let rows = stmt.query_map([matter_id.to_string()], |r| {
        Ok(Followup {
            id: Uuid::parse_str(&r.get::<_, String>(0)?).unwrap_or_default(),
            followed_on: parse_date(&r.get::<_, String>(1)?).unwrap_or_default(),
            by_name: r.get(2)?,
            method: r.get(3)?,
            result: r.get(4)?,
            acceptance_rating: r
                .get::<_, Option<String>>(5)?
                .and_then(|c| Rating::from_code(&c)),
            handling_rating: r
                .get::<_, Option<String>>(6)?
                .and_then(|c| Rating::from_code(&c)),
            query_code: r.get(7)?,
            note: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// 包案 of a matter, if any.
pub(crate) fn ownership_of(conn: &Connection, matter_id: Uuid) -> Result<Option<Ownership>> {
    Ok(conn
        .query_row(
            "SELECT leader, team, plan, deadline, scope FROM matter_ownership
             WHERE matter_id = ?1",
            [matter_id.to_string()],
            |r| {
                Ok(Ownership {
                    leader: r.get(0)?,
                    team: r.get(1)?,
                    plan: r.get(2)?,
                    deadline: parse_date(&r.get::<_, String>(3)?).unwrap_or_default(),
                    scope: r.get(4)?,
                })
            },
        )
        .optional()?)
}

/// Starts the clocks every newly registered matter owes: D1 (the 信访部门 forwards or
/// assigns within 15 days) and, unless the notice duty does not apply, D2 (written notice).
pub(crate) fn start_registration_clocks(
    w: &mut Writer<'_>,
    matter_id: Uuid,
    received_on: NaiveDate,
    notice_exempt: bool,
    rollover: Rollover,
) -> Result<()> {
    start_clock(
        w,
        matter_id,
        ClockKind::D1,
        received_on,
        None,
        None,
        rollover,
    )?;
    if !notice_exempt {
        start_clock(
            w,
            matter_id,
            ClockKind::D2,
            received_on,
            None,
            None,
            rollover,
        )?;
    }
    Ok(())
}

/// One step of the demo generator through the same clock rules as the operations, without the
/// checks a clerk's input needs (the generator only produces valid sequences).
pub fn demo_step(
    w: &mut Writer<'_>,
    matter_id: Uuid,
    kind: StepKind,
    on: NaiveDate,
    unit: Option<&str>,
    rollover: Rollover,
) -> Result<()> {
    let holder = match unit {
        Some(unit) => Some(unit.to_owned()),
        None => w.conn().query_row(
            "SELECT current_unit FROM matters WHERE id = ?1",
            [matter_id.to_string()],
            |r| r.get(0),
        )?,
    };
    let handling = (kind == StepKind::Accept).then_some(ClockKind::D5);
    clock_effects(w, matter_id, kind, on, holder, handling, rollover)?;
    let mut detail = StepDetail {
        effective_on: Some(on),
        // Whoever accepts a demo matter handles it, as at a real desk.
        handler_id: (kind == StepKind::Accept)
            .then(|| Uuid::parse_str(w.actor()).ok())
            .flatten(),
        ..StepDetail::default()
    };
    match kind {
        StepKind::Notice => detail.method = Some("邮寄".to_owned()),
        StepKind::Answer => {
            detail.method = Some("直接送达".to_owned());
            detail.items = vec![AnswerItem {
                item: "信访人的主要诉求".to_owned(),
                outcome: Outcome::Explain,
                basis: None,
            }];
        }
        _ => {}
    }
    let step_id = w.next_id();
    w.record(EventBody::StepRecorded(StepRecord {
        step_id,
        matter_id,
        kind,
        unit: matches!(kind, StepKind::Forward | StepKind::Assign)
            .then(|| unit.map(str::to_owned))
            .flatten(),
        note: None,
        detail: Some(detail),
    }))?;
    Ok(())
}
