//! The walk-in hall: queues and rooms, tickets issued at the guide desk (引导), calls from the
//! interview rooms (接待) with recall, no-show, transfer, park and resume, the interview record
//! (接谈记录), and what the waiting board (候访) shows.
//!
//! Every change is one event under the register's single writer, so two rooms pressing "call
//! next" at the same instant are served one after the other and never get the same visitor.
//! Ticket numbers and places in the queue are decided when written and stored in the event.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Empty, Settings, limits, optional_text, required_text};
use crate::{
    Error, Result,
    auth::Session,
    clock::china_date,
    events::{
        EventBody, HallQueueRecord, HallRoomRecord, InterviewRecord, TicketMove, TicketRecord,
    },
    register::Register,
};

/// A priority class of the hall (老年人、残疾人、孕妇; 军人军属 …) and its rank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PriorityClass {
    /// Code.
    pub code: String,
    /// 名称.
    pub name: String,
    /// Lower ranks are called first; ordinary visitors come after every class.
    pub rank: u32,
}

/// The default classes (configurable in settings).
pub fn default_priorities() -> Vec<PriorityClass> {
    vec![
        PriorityClass {
            code: "vulnerable".into(),
            name: "老年人、残疾人、孕妇".into(),
            rank: 1,
        },
        PriorityClass {
            code: "military".into(),
            name: "军人、军属".into(),
            rank: 2,
        },
    ]
}

/// Rank of ordinary visitors.
const ORDINARY_RANK: u32 = 100;
/// Spacing of arrival order keys, so rules can put a ticket between two others.
const ORDER_STEP: i64 = 1_000;

/// `张三` → `张*`, `张三丰` → `张*丰`, `欧阳娜娜` → `欧**娜`: enough for a visitor to
/// recognise their own ticket, not enough to identify them on the hall TV.
pub fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.trim().chars().collect();
    match chars.len() {
        0 => "来访人".to_owned(),
        1 => format!("{}*", chars[0]),
        2 => format!("{}*", chars[0]),
        n => {
            let mut out = String::new();
            out.push(chars[0]);
            out.extend(std::iter::repeat_n('*', n - 2));
            out.push(chars[n - 1]);
            out
        }
    }
}

// ------------------------------------------------------------------------------ configuration

/// A queue to create or change.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueInput {
    /// Code (letters, digits, `_`).
    pub code: String,
    /// 名称.
    pub name: String,
    /// Ticket letter (one capital letter).
    pub prefix: String,
    /// Assumed minutes per visitor (default 15).
    #[serde(default)]
    pub service_minutes: Option<u32>,
    /// Offered at the guide desk (default yes).
    #[serde(default)]
    pub active: Option<bool>,
}

/// A room to create or change.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoomInput {
    /// The room (none: a new room).
    #[serde(default)]
    pub room_id: Option<Uuid>,
    /// 名称.
    pub name: String,
    /// Queue codes it serves.
    pub queues: Vec<String>,
    /// open, paused or closed (default open).
    #[serde(default)]
    pub state: Option<String>,
}

/// A queue as configured.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Queue {
    /// Code.
    pub code: String,
    /// 名称.
    pub name: String,
    /// Ticket letter.
    pub prefix: String,
    /// Assumed minutes per visitor.
    pub service_minutes: u32,
    /// Offered at the guide desk.
    pub active: bool,
}

/// A room as configured.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Room {
    /// Id.
    pub id: Uuid,
    /// 名称.
    pub name: String,
    /// Queues it serves.
    pub queues: Vec<String>,
    /// open, paused or closed.
    pub state: String,
}

/// The hall's set-up.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct HallSetup {
    /// Queues in display order.
    pub queues: Vec<Queue>,
    /// Rooms.
    pub rooms: Vec<Room>,
    /// Priority classes.
    pub priorities: Vec<PriorityClass>,
}

fn queues(conn: &Connection) -> Result<Vec<Queue>> {
    let mut stmt = conn.prepare_cached(
        "SELECT code, name, prefix, service_minutes, active FROM hall_queues
         ORDER BY position, code",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Queue {
            code: r.get(0)?,
            name: r.get(1)?,
            prefix: r.get(2)?,
            service_minutes: r.get(3)?,
            active: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn rooms(conn: &Connection) -> Result<Vec<Room>> {
    let mut stmt =
        conn.prepare_cached("SELECT id, name, queues, state FROM hall_rooms ORDER BY name")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, name, queues, state) = row?;
        out.push(Room {
            id: Uuid::parse_str(&id).map_err(|e| Error::Internal(e.to_string()))?,
            name,
            queues: serde_json::from_str(&queues)?,
            state,
        });
    }
    Ok(out)
}

/// 候访设置.
pub fn hall_setup_get(register: &mut Register, _who: &Session, _input: Empty) -> Result<HallSetup> {
    Ok(HallSetup {
        queues: queues(register.conn())?,
        rooms: rooms(register.conn())?,
        priorities: Settings::load(register.conn())?.hall_priorities,
    })
}

/// 设置队列.
pub fn hall_queue_set(
    register: &mut Register,
    who: &Session,
    input: QueueInput,
) -> Result<HallSetup> {
    let code = required_text(&input.code, "code", "队列代码", limits::CODE)?;
    if !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(Error::field(
            "invalid_code",
            "code",
            "队列代码只能由字母、数字和下划线组成",
        ));
    }
    let name = required_text(&input.name, "name", "队列名称", limits::NAME)?;
    let prefix = input.prefix.trim().to_uppercase();
    if prefix.len() != 1 || !prefix.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(Error::field(
            "invalid_prefix",
            "prefix",
            "号码前缀应为一个英文字母，如 A",
        ));
    }
    let existing = queues(register.conn())?;
    if existing
        .iter()
        .any(|q| q.prefix == prefix && q.code != code)
    {
        return Err(Error::field(
            "duplicate",
            "prefix",
            format!("前缀 {prefix} 已被其他队列使用"),
        ));
    }
    let service_minutes = input.service_minutes.unwrap_or(15);
    if !(1..=240).contains(&service_minutes) {
        return Err(Error::field(
            "out_of_range",
            "service_minutes",
            "每人接待时长应为1至240分钟",
        ));
    }
    let position = existing
        .iter()
        .position(|q| q.code == code)
        .unwrap_or(existing.len()) as u32;
    let record = HallQueueRecord {
        code,
        name,
        prefix,
        service_minutes,
        active: input.active.unwrap_or(true),
        position,
    };
    register.write(&who.user_id.to_string(), |w| {
        w.record(EventBody::HallQueueSet(record.clone()))
    })?;
    hall_setup_get(register, who, Empty {})
}

fn check_state(state: &str) -> Result<()> {
    match state {
        "open" | "paused" | "closed" => Ok(()),
        _ => Err(Error::field(
            "invalid_state",
            "state",
            "接待室状态应为 open（开放）、paused（暂停）或 closed（关闭）",
        )),
    }
}

/// 设置接待室.
pub fn hall_room_set(
    register: &mut Register,
    who: &Session,
    input: RoomInput,
) -> Result<HallSetup> {
    let name = required_text(&input.name, "name", "接待室名称", limits::NAME)?;
    let known = queues(register.conn())?;
    if input.queues.is_empty() {
        return Err(Error::field(
            "required",
            "queues",
            "请选择该接待室接待的队列",
        ));
    }
    for (i, q) in input.queues.iter().enumerate() {
        if !known.iter().any(|k| &k.code == q) {
            return Err(Error::field(
                "unknown_code",
                format!("queues[{i}]"),
                format!("没有队列“{q}”"),
            ));
        }
    }
    let state = input.state.unwrap_or_else(|| "open".to_owned());
    check_state(&state)?;
    let record = HallRoomRecord {
        room_id: input.room_id.unwrap_or_else(|| register.next_id()),
        name,
        queues: input.queues,
        state,
    };
    register.write(&who.user_id.to_string(), |w| {
        w.record(EventBody::HallRoomSet(record.clone()))
    })?;
    hall_setup_get(register, who, Empty {})
}

/// A room's state.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoomStateInput {
    /// The room.
    pub room_id: Uuid,
    /// open, paused or closed.
    pub state: String,
}

/// 接待室开放、暂停、关闭 (by the interviewer in it).
pub fn hall_room_state(
    register: &mut Register,
    who: &Session,
    input: RoomStateInput,
) -> Result<Room> {
    check_state(&input.state)?;
    let mut room = room(register.conn(), input.room_id)?;
    room.state = input.state;
    let record = HallRoomRecord {
        room_id: room.id,
        name: room.name.clone(),
        queues: room.queues.clone(),
        state: room.state.clone(),
    };
    register.write(&who.user_id.to_string(), |w| {
        w.record(EventBody::HallRoomSet(record))
    })?;
    Ok(room)
}

fn room(conn: &Connection, id: Uuid) -> Result<Room> {
    rooms(conn)?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(|| Error::field("not_found", "room_id", "所选接待室不存在"))
}

// -------------------------------------------------------------------------------- tickets

/// A ticket to issue at the guide desk.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketInput {
    /// Queue code.
    pub queue: String,
    /// Priority class code (none: ordinary).
    #[serde(default)]
    pub priority: Option<String>,
    /// The identified person.
    #[serde(default)]
    pub person_id: Option<Uuid>,
    /// The visit recorded at check-in.
    #[serde(default)]
    pub visit_id: Option<Uuid>,
    /// 姓名 (when no person is identified; only its masked form is kept on the ticket).
    #[serde(default)]
    pub name: Option<String>,
    /// 来访人数 (default 1).
    #[serde(default)]
    pub visitors: Option<u32>,
    /// 简要事由.
    #[serde(default)]
    pub reason: Option<String>,
    /// 预约 (e.g. a leader's reception day).
    #[serde(default)]
    pub appointment: bool,
}

/// A ticket as the desks and rooms see it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Ticket {
    /// Id.
    pub id: Uuid,
    /// A012.
    pub number: String,
    /// Queue code.
    pub queue: String,
    /// Queue name.
    pub queue_name: String,
    /// waiting, called, serving, parked, done or no_show.
    pub status: String,
    /// Masked name.
    pub display_name: String,
    /// Priority class name.
    pub priority_name: Option<String>,
    /// The room it is called to.
    pub room_name: Option<String>,
    /// Waiting ahead of it in its queue.
    pub ahead: u32,
    /// Estimated minutes until called.
    pub estimated_wait_minutes: u32,
    /// When issued.
    pub issued_at: DateTime<Utc>,
    /// The person.
    pub person_id: Option<Uuid>,
    /// The visit.
    pub visit_id: Option<Uuid>,
    /// 简要事由.
    pub reason: Option<String>,
    /// Times called.
    pub calls: u32,
    /// Issued outside the 接待时间 set in the settings (the guide desk says so).
    pub outside_hours: bool,
}

fn today(register: &Register) -> NaiveDate {
    china_date(register.now())
}

/// 取号.
pub fn ticket_issue(register: &mut Register, who: &Session, input: TicketInput) -> Result<Ticket> {
    let settings = Settings::load(register.conn())?;
    let queue = queues(register.conn())?
        .into_iter()
        .find(|q| q.code == input.queue && q.active)
        .ok_or_else(|| {
            Error::field(
                "unknown_code",
                "queue",
                "没有这个队列，或该队列未开放；请管理员先在候访设置中设置队列",
            )
        })?;
    let (priority, priority_rank) = match input
        .priority
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        None => (None, ORDINARY_RANK),
        Some(code) => {
            let class = settings
                .hall_priorities
                .iter()
                .find(|p| p.code == code)
                .ok_or_else(|| Error::field("unknown_code", "priority", "没有这个优先类别"))?;
            (Some(class.code.clone()), class.rank)
        }
    };
    let visitors = input.visitors.unwrap_or(1);
    if !(1..=500).contains(&visitors) {
        return Err(Error::field(
            "out_of_range",
            "visitors",
            "来访人数应为1至500人",
        ));
    }
    let reason = optional_text(
        input.reason.as_deref(),
        "reason",
        "简要事由",
        limits::SUMMARY,
    )?;
    let name = match input.person_id {
        Some(person) => register
            .conn()
            .query_row(
                "SELECT name FROM persons WHERE id = ?1",
                [person.to_string()],
                |r| r.get::<_, String>(0),
            )
            .optional()?
            .ok_or_else(|| Error::field("not_found", "person_id", "所选信访人不存在"))?,
        None => {
            optional_text(input.name.as_deref(), "name", "姓名", limits::NAME)?.unwrap_or_default()
        }
    };
    let day = today(register);
    let seq: u32 = register.conn().query_row(
        // By the queue that numbered the ticket: one transferred away keeps its number.
        "SELECT coalesce(max(seq), 0) + 1 FROM hall_tickets WHERE day = ?1 AND issued_queue = ?2",
        rusqlite::params![day.to_string(), queue.code],
        |r| r.get(0),
    )?;
    // Arrival order across all queues of the day, so a room serving two queues calls the
    // earlier arrival first.
    let arrival: i64 = register.conn().query_row(
        "SELECT count(*) + 1 FROM hall_tickets WHERE day = ?1",
        [day.to_string()],
        |r| r.get(0),
    )?;
    // Three digits (A012) cover an ordinary day; a very busy hall goes on with four (A1000)
    // rather than turn visitors away.
    if seq > 9999 {
        return Err(Error::field(
            "queue_full",
            "queue",
            "该队列今日号码已用完（9999）",
        ));
    }
    let record = TicketRecord {
        ticket_id: register.next_id(),
        day,
        queue: queue.code.clone(),
        seq,
        number: format!("{}{seq:03}", queue.prefix),
        priority,
        priority_rank,
        order_key: arrival * ORDER_STEP,
        visit_id: input.visit_id,
        person_id: input.person_id,
        display_name: mask_name(&name),
        visitors,
        reason,
        appointment: input.appointment,
    };
    register.write(&who.user_id.to_string(), |w| {
        w.record(EventBody::TicketIssued(record.clone()))
    })?;
    ticket(register, record.ticket_id)
}

/// Reads a ticket with its place in the queue and the estimated wait.
pub fn ticket(register: &Register, id: Uuid) -> Result<Ticket> {
    let conn = register.conn();
    let settings = Settings::load(conn)?;
    let row = conn
        .query_row(
            "SELECT t.number, t.queue, q.name, t.status, t.display_name, t.priority, r.name,
               t.issued_at, t.person_id, t.visit_id, t.reason, t.calls, t.day, t.priority_rank,
               t.order_key
             FROM hall_tickets t JOIN hall_queues q ON q.code = t.queue
             LEFT JOIN hall_rooms r ON r.id = t.room_id WHERE t.id = ?1",
            [id.to_string()],
            |r| {
                Ok((
                    (
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, Option<String>>(6)?,
                    ),
                    (
                        r.get::<_, String>(7)?,
                        r.get::<_, Option<String>>(8)?,
                        r.get::<_, Option<String>>(9)?,
                        r.get::<_, Option<String>>(10)?,
                        r.get::<_, u32>(11)?,
                        r.get::<_, String>(12)?,
                        r.get::<_, u32>(13)?,
                        r.get::<_, i64>(14)?,
                    ),
                ))
            },
        )
        .optional()?
        .ok_or_else(|| Error::field("not_found", "ticket_id", "所选号码不存在"))?;
    let (
        (number, queue, queue_name, status, display_name, priority, room_name),
        (issued_at, person, visit, reason, calls, day, rank, key),
    ) = row;
    let ahead: u32 = if status == "waiting" {
        conn.query_row(
            "SELECT count(*) FROM hall_tickets WHERE day = ?1 AND queue = ?2 AND status = 'waiting'
               AND (priority_rank < ?3 OR (priority_rank = ?3 AND order_key < ?4))",
            rusqlite::params![day, queue, rank, key],
            |r| r.get(0),
        )?
    } else {
        0
    };
    let per_visitor = service_minutes(conn, &queue, &day)?;
    let open_rooms = open_rooms_for(conn, &queue)?.max(1);
    let free = free_rooms_for(conn, &queue, &day)?;
    let parse = |s: Option<String>| s.and_then(|s| Uuid::parse_str(&s).ok());
    Ok(Ticket {
        id,
        number,
        queue,
        queue_name,
        status,
        display_name,
        priority_name: priority.and_then(|code| {
            settings
                .hall_priorities
                .iter()
                .find(|p| p.code == code)
                .map(|p| p.name.clone())
        }),
        room_name,
        ahead,
        estimated_wait_minutes: estimate(ahead, per_visitor, open_rooms, free),
        issued_at: DateTime::parse_from_rfc3339(&issued_at)
            .map_err(|e| Error::Internal(e.to_string()))?
            .with_timezone(&Utc),
        person_id: parse(person),
        visit_id: parse(visit),
        reason,
        calls,
        outside_hours: !within_hours(
            &parse_hours(&settings.hall_opening_hours).unwrap_or_default(),
            DateTime::parse_from_rfc3339(&issued_at)
                .map_err(|e| Error::Internal(e.to_string()))?
                .with_timezone(&Utc),
        ),
    })
}

/// Minutes until a ticket with `ahead` visitors before it is called, when `free` of the
/// `open_rooms` serving its queue have nobody in them. Those ahead take the free rooms first;
/// after that each call waits for an interview to end, one every `per_visitor / open_rooms`
/// minutes, and the first of those ends on average half an interview's share from now (the
/// rooms are part-way through theirs).
pub fn estimate(ahead: u32, per_visitor: f64, open_rooms: u32, free: u32) -> u32 {
    if ahead < free {
        return 0;
    }
    let turns = f64::from(ahead - free) + 0.5;
    (turns * per_visitor / f64::from(open_rooms.max(1))).round() as u32
}

/// Mean service time of the queue's last 20 interviews today, or the queue's assumed time.
fn service_minutes(conn: &Connection, queue: &str, day: &str) -> Result<f64> {
    let recent: Option<f64> = conn.query_row(
        "SELECT avg((julianday(finished_at) - julianday(started_at)) * 1440) FROM (
           SELECT started_at, finished_at FROM hall_tickets
           WHERE day = ?1 AND queue = ?2 AND finished_at IS NOT NULL AND started_at IS NOT NULL
           ORDER BY finished_at DESC LIMIT 20)",
        rusqlite::params![day, queue],
        |r| r.get(0),
    )?;
    match recent {
        Some(minutes) if minutes > 0.0 => Ok(minutes),
        _ => Ok(conn
            .query_row(
                "SELECT service_minutes FROM hall_queues WHERE code = ?1",
                [queue],
                |r| r.get::<_, u32>(0),
            )
            .map(f64::from)
            .unwrap_or(15.0)),
    }
}

/// Open rooms of the queue with no visitor called to them or in an interview.
fn free_rooms_for(conn: &Connection, queue: &str, day: &str) -> Result<u32> {
    Ok(conn.query_row(
        "SELECT count(*) FROM hall_rooms r WHERE r.state = 'open'
           AND EXISTS (SELECT 1 FROM json_each(r.queues) q WHERE q.value = ?1)
           AND NOT EXISTS (SELECT 1 FROM hall_tickets t WHERE t.day = ?2 AND t.room_id = r.id
                             AND t.status IN ('called', 'serving'))",
        rusqlite::params![queue, day],
        |r| r.get(0),
    )?)
}

fn open_rooms_for(conn: &Connection, queue: &str) -> Result<u32> {
    Ok(conn.query_row(
        "SELECT count(*) FROM hall_rooms r WHERE r.state = 'open'
           AND EXISTS (SELECT 1 FROM json_each(r.queues) q WHERE q.value = ?1)",
        [queue],
        |r| r.get(0),
    )?)
}

/// Which room.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CallInput {
    /// The room calling.
    pub room_id: Uuid,
}

/// 叫号: the next waiting visitor of the room's queues — lowest priority rank first, then
/// arrival order (as moved by the no-show rule).
pub fn ticket_call_next(
    register: &mut Register,
    who: &Session,
    input: CallInput,
) -> Result<Ticket> {
    let room = room(register.conn(), input.room_id)?;
    if room.state != "open" {
        return Err(Error::field(
            "room_not_open",
            "room_id",
            format!("{}未开放，不能叫号", room.name),
        ));
    }
    let day = today(register).to_string();
    let queues = serde_json::to_string(&room.queues)?;
    let next: Option<String> = register
        .conn()
        .query_row(
            "SELECT id FROM hall_tickets WHERE day = ?1 AND status = 'waiting'
               AND queue IN (SELECT value FROM json_each(?2))
             ORDER BY priority_rank, order_key LIMIT 1",
            rusqlite::params![day, queues],
            |r| r.get(0),
        )
        .optional()?;
    let next =
        next.ok_or_else(|| Error::field("queue_empty", "room_id", "目前没有等候的来访人"))?;
    let id = Uuid::parse_str(&next).map_err(|e| Error::Internal(e.to_string()))?;
    move_ticket(
        register,
        who,
        id,
        "called",
        Some(room.id),
        None,
        None,
        "call",
    )?;
    ticket(register, id)
}

#[allow(clippy::too_many_arguments)]
fn move_ticket(
    register: &mut Register,
    who: &Session,
    id: Uuid,
    status: &str,
    room_id: Option<Uuid>,
    queue: Option<String>,
    order_key: Option<i64>,
    what: &str,
) -> Result<()> {
    let record = TicketMove {
        ticket_id: id,
        status: status.to_owned(),
        room_id,
        queue,
        order_key,
        what: what.to_owned(),
        interviewer: (what == "start").then_some(who.user_id),
    };
    register.write(&who.user_id.to_string(), |w| {
        w.record(EventBody::TicketMoved(record))
    })?;
    Ok(())
}

/// Which ticket.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketIdInput {
    /// The ticket.
    pub ticket_id: Uuid,
}

fn status_of(conn: &Connection, id: Uuid) -> Result<(String, String, String)> {
    conn.query_row(
        "SELECT status, queue, day FROM hall_tickets WHERE id = ?1",
        [id.to_string()],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .optional()?
    .ok_or_else(|| Error::field("not_found", "ticket_id", "所选号码不存在"))
}

fn wrong(status: &str, action: &str) -> Error {
    Error::field(
        "invalid_state",
        "ticket_id",
        format!("该号码当前为“{}”，不能{action}", status_zh(status)),
    )
}

/// The Chinese name of a ticket status.
pub fn status_zh(status: &str) -> &'static str {
    match status {
        "waiting" => "等候中",
        "called" => "已叫号",
        "serving" => "接谈中",
        "parked" => "暂挂",
        "done" => "已接待",
        "no_show" => "过号",
        _ => "未知",
    }
}

/// A move that only needs the ticket in one of `from`: the plain steps of a room's day.
fn step(
    register: &mut Register,
    who: &Session,
    id: Uuid,
    from: &[&str],
    action_zh: &str,
    to: &str,
    what: &str,
) -> Result<Ticket> {
    let (status, _, _) = status_of(register.conn(), id)?;
    if !from.contains(&status.as_str()) {
        return Err(wrong(&status, action_zh));
    }
    move_ticket(register, who, id, to, None, None, None, what)?;
    ticket(register, id)
}

/// Priority classes as the administrator sets them: each with a code (letters, digits, `_`),
/// a name, and a rank from 1 to 99 (ordinary visitors come after every class); codes unique.
pub fn check_priorities(classes: &[PriorityClass]) -> Result<()> {
    for (i, class) in classes.iter().enumerate() {
        let field = |what: &str| format!("hall_priorities[{i}].{what}");
        let code_ok = !class.code.is_empty()
            && class.code.len() <= 32
            && class
                .code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !code_ok {
            return Err(Error::field(
                "invalid_format",
                field("code"),
                "优先类别代码只能用字母、数字和下划线",
            ));
        }
        if classes[..i].iter().any(|c| c.code == class.code) {
            return Err(Error::field(
                "duplicate",
                field("code"),
                format!("优先类别代码“{}”重复", class.code),
            ));
        }
        if class.name.trim().is_empty() || class.name.chars().count() > 50 {
            return Err(Error::field(
                "required",
                field("name"),
                "请填写优先类别名称（50字以内）",
            ));
        }
        if !(1..ORDINARY_RANK).contains(&class.rank) {
            return Err(Error::field(
                "out_of_range",
                field("rank"),
                "优先顺序应在1至99之间，数字小的先叫",
            ));
        }
    }
    Ok(())
}

/// Opening hours as `[(from, until)]` in minutes after midnight, from `08:30-12:00,14:00-17:30`.
/// Refused at the settings field when a period is malformed or ends before it starts.
pub fn parse_hours(text: &str) -> Result<Vec<(u32, u32)>> {
    let bad = || {
        Error::field(
            "invalid_format",
            "hall_opening_hours",
            "接待时间格式应为“08:30-12:00,14:00-17:30”",
        )
    };
    let minutes = |hm: &str| -> Option<u32> {
        let (h, m) = hm.trim().split_once(':')?;
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60).then_some(h * 60 + m)
    };
    let mut periods = Vec::new();
    for part in text
        .split([',', '，'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (from, until) = part.split_once('-').ok_or_else(bad)?;
        let (from, until) = (
            minutes(from).ok_or_else(bad)?,
            minutes(until).ok_or_else(bad)?,
        );
        if until <= from {
            return Err(bad());
        }
        periods.push((from, until));
    }
    Ok(periods)
}

/// Whether `at` (China time) falls in the opening hours; always true when none are set.
pub fn within_hours(hours: &[(u32, u32)], at: DateTime<Utc>) -> bool {
    use chrono::Timelike;
    let local = at.with_timezone(&crate::clock::china_offset());
    let now = local.hour() * 60 + local.minute();
    hours.is_empty()
        || hours
            .iter()
            .any(|(from, until)| (*from..*until).contains(&now))
}

/// 复呼: call the same ticket again, at most `hall_recall_limit` times for the ticket.
pub fn ticket_recall(
    register: &mut Register,
    who: &Session,
    input: TicketIdInput,
) -> Result<Ticket> {
    let settings = Settings::load(register.conn())?;
    // `calls` counts every call of the ticket: its first call, one more after each no-show
    // that put it back, and the recalls. The limit is on recalls of the ticket for the day.
    let (calls, no_shows): (u32, u32) = register
        .conn()
        .query_row(
            "SELECT calls, no_shows FROM hall_tickets WHERE id = ?1",
            [input.ticket_id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .unwrap_or((0, 0));
    let recalls = calls.saturating_sub(1 + no_shows);
    if recalls >= settings.hall_recall_limit {
        return Err(Error::field(
            "recall_limit",
            "ticket_id",
            format!(
                "已复呼{}次，来访人仍未到，请记为过号",
                settings.hall_recall_limit
            ),
        ));
    }
    step(
        register,
        who,
        input.ticket_id,
        &["called"],
        "复呼",
        "called",
        "recall",
    )
}

/// 过号: a called visitor did not come. Re-inserted behind the next `hall_no_show_requeue_after`
/// waiting visitors of the same class, up to `hall_no_show_limit` times; then marked 过号.
pub fn ticket_no_show(
    register: &mut Register,
    who: &Session,
    input: TicketIdInput,
) -> Result<Ticket> {
    let (status, queue, day) = status_of(register.conn(), input.ticket_id)?;
    if status != "called" {
        return Err(wrong(&status, "记为过号"));
    }
    let settings = Settings::load(register.conn())?;
    let (no_shows, rank): (u32, u32) = register.conn().query_row(
        "SELECT no_shows, priority_rank FROM hall_tickets WHERE id = ?1",
        [input.ticket_id.to_string()],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if no_shows >= settings.hall_no_show_limit {
        move_ticket(
            register,
            who,
            input.ticket_id,
            "no_show",
            None,
            None,
            None,
            "no_show",
        )?;
        return ticket(register, input.ticket_id);
    }
    // Behind the N-th waiting ticket of the same rank, or at the end if fewer wait.
    let keys: Vec<i64> = register
        .conn()
        .prepare(
            "SELECT order_key FROM hall_tickets WHERE day = ?1 AND queue = ?2 AND status = 'waiting'
               AND priority_rank = ?3 ORDER BY order_key LIMIT ?4",
        )?
        .query_map(
            rusqlite::params![day, queue, rank, settings.hall_no_show_requeue_after + 1],
            |r| r.get(0),
        )?
        .collect::<rusqlite::Result<_>>()?;
    let after = settings.hall_no_show_requeue_after as usize;
    let last: Option<i64> = register.conn().query_row(
        "SELECT max(order_key) FROM hall_tickets WHERE day = ?1 AND queue = ?2 AND status = 'waiting'
           AND priority_rank = ?3",
        rusqlite::params![day, queue, rank],
        |r| r.get(0),
    )?;
    let key = if settings.hall_no_show_to_end {
        // To the end of its class: behind everyone of that class waiting now.
        last.map_or(0, |k| k + 1)
    } else if after == 0 {
        // Straight back to the front of its class.
        keys.first().map_or(0, |k| k - 1)
    } else {
        match (keys.get(after - 1), keys.get(after)) {
            (Some(a), Some(b)) => a + (b - a) / 2,
            (Some(a), None) => a + 1,
            _ => keys.last().map_or(0, |k| k + 1),
        }
    };
    move_ticket(
        register,
        who,
        input.ticket_id,
        "waiting",
        None,
        None,
        Some(key),
        "no_show",
    )?;
    ticket(register, input.ticket_id)
}

/// Where to transfer a ticket.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferInput {
    /// The ticket.
    pub ticket_id: Uuid,
    /// The queue it moves to (it keeps its place by arrival time).
    pub queue: String,
}

/// 转队: a visitor sent to another queue keeps their arrival order there.
pub fn ticket_transfer(
    register: &mut Register,
    who: &Session,
    input: TransferInput,
) -> Result<Ticket> {
    let (status, current, _) = status_of(register.conn(), input.ticket_id)?;
    if !matches!(status.as_str(), "waiting" | "called" | "serving" | "parked") {
        return Err(wrong(&status, "转队"));
    }
    if !queues(register.conn())?
        .iter()
        .any(|q| q.code == input.queue && q.active)
    {
        return Err(Error::field("unknown_code", "queue", "没有这个队列"));
    }
    if input.queue == current {
        return Err(Error::field("invalid_state", "queue", "已在该队列中"));
    }
    move_ticket(
        register,
        who,
        input.ticket_id,
        "waiting",
        None,
        Some(input.queue),
        None,
        "transfer",
    )?;
    ticket(register, input.ticket_id)
}

/// 暂挂: the visitor steps out (fetching papers); the ticket keeps its place for 恢复.
pub fn ticket_park(register: &mut Register, who: &Session, input: TicketIdInput) -> Result<Ticket> {
    step(
        register,
        who,
        input.ticket_id,
        &["waiting", "called", "serving"],
        "暂挂",
        "parked",
        "park",
    )
}

/// 恢复: a parked ticket waits again in its old place.
pub fn ticket_resume(
    register: &mut Register,
    who: &Session,
    input: TicketIdInput,
) -> Result<Ticket> {
    step(
        register,
        who,
        input.ticket_id,
        &["parked"],
        "恢复",
        "waiting",
        "resume",
    )
}

/// 开始接谈: the visitor has come in; the first interviewer is the 首问责任人.
pub fn ticket_start(
    register: &mut Register,
    who: &Session,
    input: TicketIdInput,
) -> Result<Ticket> {
    step(
        register,
        who,
        input.ticket_id,
        &["called"],
        "开始接谈",
        "serving",
        "start",
    )
}

/// The interview record and its disposition.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InterviewInput {
    /// The ticket (walk-ins).
    #[serde(default)]
    pub ticket_id: Option<Uuid>,
    /// The matter registered or updated for it.
    #[serde(default)]
    pub matter_id: Option<Uuid>,
    /// 诉求.
    #[serde(default)]
    pub request: String,
    /// 事实和理由.
    #[serde(default)]
    pub facts: String,
    /// 接谈概要 / 当场答复.
    #[serde(default)]
    pub summary: String,
    /// normal or abnormal (Art. 26).
    #[serde(default)]
    pub behaviour: Option<String>,
    /// Details of abnormal behaviour.
    #[serde(default)]
    pub behaviour_note: Option<String>,
    /// Persons present.
    #[serde(default)]
    pub present: Vec<String>,
    /// answered, registered, forwarded, assigned, not_accepted, statutory_route,
    /// no_longer_accepted.
    pub disposition: String,
}

/// An interview as recorded.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Interview {
    /// Id.
    pub id: Uuid,
    /// The ticket, now 已接待.
    pub ticket: Option<Ticket>,
}

const DISPOSITIONS: &[(&str, &str)] = &[
    ("answered", "当场答复、解释"),
    ("registered", "登记受理办理"),
    ("forwarded", "转送"),
    ("assigned", "交办"),
    ("not_accepted", "不予受理"),
    ("statutory_route", "引导通过法定途径"),
    ("no_longer_accepted", "不再受理"),
];

/// The Chinese name of a disposition code.
pub fn disposition_zh(code: &str) -> &'static str {
    DISPOSITIONS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("其他", |(_, name)| name)
}

/// 接谈记录: closes the ticket (已接待) and, when a matter is named, joins its timeline. The
/// matter itself is registered and handled through the register's operations (a disposition
/// other than 当场答复 needs one).
pub fn interview_record(
    register: &mut Register,
    who: &Session,
    input: InterviewInput,
) -> Result<Interview> {
    if !DISPOSITIONS.iter().any(|(c, _)| *c == input.disposition) {
        return Err(Error::field(
            "unknown_code",
            "disposition",
            "请选择处理方式",
        ));
    }
    if input.disposition != "answered" && input.matter_id.is_none() {
        return Err(Error::field(
            "required",
            "matter_id",
            format!("“{}”需要先登记信访事项", disposition_zh(&input.disposition)),
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
    let request = required_text(&input.request, "request", "诉求", limits::REQUEST)?;
    let facts = required_text(&input.facts, "facts", "事实和理由", limits::LONG_TEXT)?;
    let summary = required_text(&input.summary, "summary", "接谈概要", limits::LONG_TEXT)?;
    let behaviour = input.behaviour.unwrap_or_else(|| "normal".to_owned());
    let behaviour_note = optional_text(
        input.behaviour_note.as_deref(),
        "behaviour_note",
        "现场表现",
        limits::REQUEST,
    )?;
    match behaviour.as_str() {
        "normal" => {}
        "abnormal" if behaviour_note.is_some() => {}
        "abnormal" => return Err(Error::required("behaviour_note", "异常表现的具体情况")),
        _ => {
            return Err(Error::field(
                "unknown_code",
                "behaviour",
                "现场表现应为 normal 或 abnormal",
            ));
        }
    }
    let now = register.now();
    let (started_at, room_id) = match input.ticket_id {
        Some(id) => {
            let (status, _, _) = status_of(register.conn(), id)?;
            if status != "serving" {
                return Err(wrong(&status, "结束接谈"));
            }
            let (started, room): (Option<String>, Option<String>) = register.conn().query_row(
                "SELECT started_at, room_id FROM hall_tickets WHERE id = ?1",
                [id.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            (
                started
                    .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
                    .map_or(now, |t| t.with_timezone(&Utc)),
                room.and_then(|r| Uuid::parse_str(&r).ok()),
            )
        }
        None => (now, None),
    };
    let record = InterviewRecord {
        interview_id: register.next_id(),
        ticket_id: input.ticket_id,
        matter_id: input.matter_id,
        room_id,
        started_at,
        ended_at: now,
        request,
        facts,
        summary,
        behaviour,
        behaviour_note,
        present: input.present,
        disposition: input.disposition,
    };
    let ticket_id = input.ticket_id;
    register.write(&who.user_id.to_string(), |w| {
        w.record(EventBody::InterviewRecorded(record.clone()))?;
        if let Some(id) = ticket_id {
            w.record(EventBody::TicketMoved(TicketMove {
                ticket_id: id,
                status: "done".to_owned(),
                room_id: None,
                queue: None,
                order_key: None,
                what: "finish".to_owned(),
                interviewer: None,
            }))?;
        }
        Ok(())
    })?;
    Ok(Interview {
        id: record.interview_id,
        ticket: ticket_id.map(|id| ticket(register, id)).transpose()?,
    })
}

// ---------------------------------------------------------------------------------- board

/// The latest call of a room.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct BoardCall {
    /// 名称 of the room.
    pub room_name: String,
    /// A012.
    pub number: String,
    /// Masked name.
    pub display_name: String,
    /// When called (the latest call; a recall moves it).
    pub called_at: DateTime<Utc>,
    /// Times called (more than one: 复呼).
    pub calls: u32,
}

/// A queue on the board.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct BoardQueue {
    /// Queue name.
    pub name: String,
    /// Waiting.
    pub waiting: u32,
    /// The next numbers with masked names.
    pub next: Vec<String>,
    /// Estimated minutes for someone who takes a ticket now.
    pub estimated_wait_minutes: u32,
}

/// What the hall TV shows.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Board {
    /// The day.
    pub day: NaiveDate,
    /// Latest call per room, most recent first.
    pub calls: Vec<BoardCall>,
    /// Queues.
    pub queues: Vec<BoardQueue>,
    /// 接待时间 as set (empty: none set).
    pub opening_hours: String,
    /// Whether now is within them.
    pub open_now: bool,
}

/// 候访屏: masked names only; ID numbers and phones never appear.
pub fn hall_board(register: &mut Register, _input: Empty) -> Result<Board> {
    let conn = register.conn();
    let day = today(register);
    let d = day.to_string();
    let mut stmt = conn.prepare(
        "SELECT r.name, t.number, t.display_name, t.called_at, t.calls FROM hall_tickets t
         JOIN hall_rooms r ON r.id = t.room_id
         WHERE t.day = ?1 AND t.status IN ('called', 'serving') AND t.called_at IS NOT NULL
         ORDER BY t.called_at DESC",
    )?;
    let mut calls: Vec<BoardCall> = Vec::new();
    let rows = stmt.query_map([&d], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, u32>(4)?,
        ))
    })?;
    for row in rows {
        let (room_name, number, display_name, called_at, n) = row?;
        if calls.iter().any(|c| c.room_name == room_name) {
            continue;
        }
        calls.push(BoardCall {
            room_name,
            number,
            display_name,
            called_at: DateTime::parse_from_rfc3339(&called_at)
                .map_err(|e| Error::Internal(e.to_string()))?
                .with_timezone(&Utc),
            calls: n,
        });
    }
    let mut out = Vec::new();
    for q in queues(conn)?.into_iter().filter(|q| q.active) {
        let mut next_stmt = conn.prepare_cached(
            "SELECT number || ' ' || display_name FROM hall_tickets
             WHERE day = ?1 AND queue = ?2 AND status = 'waiting'
             ORDER BY priority_rank, order_key LIMIT 5",
        )?;
        let next: Vec<String> = next_stmt
            .query_map(rusqlite::params![d, q.code], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let waiting: u32 = conn.query_row(
            "SELECT count(*) FROM hall_tickets WHERE day = ?1 AND queue = ?2 AND status = 'waiting'",
            rusqlite::params![d, q.code],
            |r| r.get(0),
        )?;
        let per_visitor = service_minutes(conn, &q.code, &d)?;
        let rooms = open_rooms_for(conn, &q.code)?;
        let free = free_rooms_for(conn, &q.code, &d)?;
        out.push(BoardQueue {
            name: q.name,
            waiting,
            next,
            estimated_wait_minutes: estimate(waiting, per_visitor, rooms, free),
        });
    }
    let hours = Settings::load(conn)?.hall_opening_hours;
    let open_now = within_hours(&parse_hours(&hours).unwrap_or_default(), register.now());
    Ok(Board {
        day,
        calls,
        queues: out,
        opening_hours: hours,
        open_now,
    })
}

/// Today's tickets of a queue or room, for the guide desk and the rooms.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct TicketListInput {
    /// Only these statuses (default: all but done and no_show).
    pub statuses: Vec<String>,
    /// Only the queues a room serves.
    pub room_id: Option<Uuid>,
}

/// 今日号码.
pub fn ticket_list(
    register: &mut Register,
    _who: &Session,
    input: TicketListInput,
) -> Result<Vec<Ticket>> {
    let day = today(register).to_string();
    let statuses = if input.statuses.is_empty() {
        vec![
            "waiting".to_owned(),
            "called".to_owned(),
            "serving".to_owned(),
            "parked".to_owned(),
        ]
    } else {
        input.statuses
    };
    let queues = match input.room_id {
        Some(id) => room(register.conn(), id)?.queues,
        None => queues(register.conn())?
            .into_iter()
            .map(|q| q.code)
            .collect(),
    };
    let ids: Vec<String> = register
        .conn()
        .prepare(
            "SELECT id FROM hall_tickets WHERE day = ?1
               AND status IN (SELECT value FROM json_each(?2))
               AND queue IN (SELECT value FROM json_each(?3))
             ORDER BY status <> 'serving', status <> 'called', priority_rank, order_key LIMIT 500",
        )?
        .query_map(
            rusqlite::params![
                day,
                serde_json::to_string(&statuses)?,
                serde_json::to_string(&queues)?
            ],
            |r| r.get(0),
        )?
        .collect::<rusqlite::Result<_>>()?;
    ids.iter()
        .map(|id| {
            ticket(
                register,
                Uuid::parse_str(id).map_err(|e| Error::Internal(e.to_string()))?,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_masked_for_the_board() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("张三丰"), "张*丰");
        assert_eq!(mask_name("欧阳娜娜"), "欧**娜");
        assert_eq!(mask_name(""), "来访人");
    }

    #[test]
    fn the_estimate_divides_the_queue_over_the_open_rooms() {
        // Three busy rooms, six ahead: six and a half turns of 5 minutes.
        assert_eq!(estimate(6, 15.0, 3, 0), 33);
        // A free room takes the first one ahead at once.
        assert_eq!(estimate(0, 15.0, 1, 1), 0);
        assert_eq!(estimate(2, 15.0, 3, 3), 0);
        assert_eq!(estimate(3, 15.0, 3, 1), 13);
        assert_eq!(estimate(5, 12.0, 0, 0), 66, "no open room: counted as one");
    }
}
