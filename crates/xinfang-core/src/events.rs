//! The event log: what every change looks like when it is recorded, and how it is appended.
//!
//! An event is written in the same transaction as its effect on the projections
//! (`projection::apply`), so the log and the tables never disagree. Payloads are the stored
//! form of a fact — ids, codes, already-validated text — never a request to be re-validated:
//! replaying the log must reproduce the tables without consulting settings or the clock.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    Result,
    clock::fmt_utc,
    domain::{
        calendar::{CalendarDay, CalendarYear},
        deadline::{ClockKind, DueDate},
    },
    model::{ClockStatus, IdType, Outcome, Rating, RiskLevel, Role, StepKind},
};

/// Version of the payload shapes below. Bump when a payload changes meaning; readers keep
/// accepting older versions (fields only grow, with `#[serde(default)]`).
pub const SCHEMA_VERSION: u32 = 1;

/// One recorded fact.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// UUIDv7.
    pub id: Uuid,
    /// The register (centre) that wrote it.
    pub origin: Uuid,
    /// Per-origin sequence, gap-free from 1.
    pub seq: i64,
    /// User id, or `system`.
    pub actor: String,
    /// When it happened (UTC).
    pub at: DateTime<Utc>,
    /// What happened.
    pub body: EventBody,
}

/// Every kind of event and its payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "payload")]
pub enum EventBody {
    /// The register was created for a centre.
    #[serde(rename = "centre.initialised")]
    CentreInitialised {
        /// Centre code used in case numbers.
        code: String,
        /// Centre name (登记部门).
        name: String,
    },
    /// A setting changed.
    #[serde(rename = "setting.changed")]
    SettingChanged {
        /// Setting key.
        key: String,
        /// New value.
        value: serde_json::Value,
    },
    /// A user account was created.
    #[serde(rename = "user.created")]
    UserCreated(UserRecord),
    /// A user's password changed.
    #[serde(rename = "user.password_changed")]
    UserPasswordChanged {
        /// Whose.
        user_id: Uuid,
        /// New argon2id hash.
        password_hash: String,
    },
    /// An administrator set a temporary password, which the user must change at the next
    /// sign-in.
    #[serde(rename = "user.password_reset")]
    UserPasswordReset {
        /// Whose.
        user_id: Uuid,
        /// argon2id hash of the temporary password.
        password_hash: String,
    },
    /// A user was enabled or disabled.
    #[serde(rename = "user.active_changed")]
    UserActiveChanged {
        /// Whose.
        user_id: Uuid,
        /// Enabled?
        active: bool,
    },
    /// A petitioner was registered for the first time.
    #[serde(rename = "person.registered")]
    PersonRegistered(PersonRecord),
    /// A petitioner's details changed; the payload is the whole new record.
    #[serde(rename = "person.updated")]
    PersonUpdated(PersonRecord),
    /// A walk-in visit (来访批次) was recorded.
    #[serde(rename = "visit.registered")]
    VisitRegistered(VisitRecord),
    /// A matter (信访事项) was registered.
    #[serde(rename = "matter.registered")]
    MatterRegistered(MatterRecord),
    /// The clerk confirmed that a matter repeats an earlier one (同人同事).
    #[serde(rename = "matter.repeat_linked")]
    MatterRepeatLinked {
        /// The new matter.
        matter_id: Uuid,
        /// The earlier matter it repeats.
        repeat_of: Uuid,
    },
    /// A handling step was recorded.
    #[serde(rename = "matter.step_recorded")]
    StepRecorded(StepRecord),
    /// An attachment's metadata was recorded.
    #[serde(rename = "attachment.added")]
    AttachmentAdded(AttachmentRecord),
    /// A statutory clock started, with its due date computed once, here, and stored.
    #[serde(rename = "clock.started")]
    ClockStarted(ClockRecord),
    /// A statutory clock stopped.
    #[serde(rename = "clock.ended")]
    ClockEnded {
        /// The clock.
        clock_id: Uuid,
        /// Its matter (so the case timeline finds the event).
        matter_id: Uuid,
        /// Why: met, superseded or ended.
        status: ClockStatus,
        /// China date it stopped.
        ended_on: NaiveDate,
    },
    /// A follow-up (回访) with the petitioner's rating.
    #[serde(rename = "matter.followup_recorded")]
    FollowupRecorded(FollowupRecord),
    /// Leader ownership (包案) set or replaced.
    #[serde(rename = "matter.ownership_set")]
    OwnershipSet(OwnershipRecord),
    /// A national holiday schedule was imported (next year, or a corrected notice).
    #[serde(rename = "calendar.year_imported")]
    CalendarYearImported(CalendarYear),
    /// A risk (矛盾纠纷 or 重大不稳定问题) was put on the register.
    #[serde(rename = "risk.registered")]
    RiskRegistered(RiskRecord),
    /// Progress on a risk, optionally with a new owner, plan or deadline.
    #[serde(rename = "risk.progressed")]
    RiskProgressed(RiskProgressRecord),
    /// A risk was closed off (销号).
    #[serde(rename = "risk.closed")]
    RiskClosed {
        /// The risk.
        risk_id: Uuid,
        /// 销号日期.
        closed_on: NaiveDate,
        /// 化解结果.
        result: String,
    },
    /// A document was issued from a case (its exact PDF is identified by `sha256`).
    #[serde(rename = "letter.issued")]
    LetterIssued(LetterRecord),
    /// An issued document was sent to a printer.
    #[serde(rename = "letter.printed")]
    LetterPrinted {
        /// Id of this print.
        print_id: Uuid,
        /// The document.
        letter_id: Uuid,
        /// Its matter (for the case timeline).
        matter_id: Uuid,
        /// Printer (CUPS queue name) or `下载`.
        printer: String,
        /// 份数.
        copies: u32,
        /// 补打: the document had been printed before.
        reprint: bool,
    },
    /// A hall queue was created or changed.
    #[serde(rename = "hall.queue_set")]
    HallQueueSet(HallQueueRecord),
    /// An interview room was created or changed (its queues, open / paused / closed).
    #[serde(rename = "hall.room_set")]
    HallRoomSet(HallRoomRecord),
    /// A ticket was issued at the guide desk.
    #[serde(rename = "hall.ticket_issued")]
    TicketIssued(TicketRecord),
    /// A ticket's state changed in the hall.
    #[serde(rename = "hall.ticket_moved")]
    TicketMoved(TicketMove),
    /// An interview (接谈) was recorded, with its disposition.
    #[serde(rename = "hall.interview_recorded")]
    InterviewRecorded(InterviewRecord),
    /// A county directive (交办, 转送, 督办, 催办) pulled from the hub was taken into the
    /// register; a 交办 or 转送 came with its own `matter.registered` in the same transaction.
    #[serde(rename = "matter.county_directive")]
    CountyDirective(CountyDirectiveRecord),
    /// A reviewed field of a matter (内容分类, 问题属地, 涉及单位) changed: corrected by staff, by
    /// the county, or by a supervisor settling a conflict.
    #[serde(rename = "matter.field_corrected")]
    MatterFieldCorrected {
        /// The matter.
        matter_id: Uuid,
        /// `content_category`, `region_code` or `involved_units`.
        field: String,
        /// The new value (`None`: empty).
        #[serde(default)]
        value: Option<String>,
        /// The county directive that corrected it, if it was the county.
        #[serde(default)]
        directive_id: Option<Uuid>,
        /// The conflict this settles, if it does.
        #[serde(default)]
        conflict_id: Option<Uuid>,
    },
    /// The county and the centre changed the same field before they met: both values are kept
    /// and the case waits for a supervisor.
    #[serde(rename = "matter.conflict_recorded")]
    MatterConflictRecorded(ConflictRecord),
    /// A supervisor settled a conflict (the chosen value, if the county's, follows as
    /// `matter.field_corrected` in the same transaction).
    #[serde(rename = "matter.conflict_resolved")]
    MatterConflictResolved {
        /// The conflict.
        conflict_id: Uuid,
        /// Its matter (for the timeline).
        matter_id: Uuid,
        /// `local` or `county`.
        keep: String,
        /// The value the field has from now on.
        #[serde(default)]
        value: Option<String>,
    },
    /// The county overlay was replaced as a whole.
    #[serde(rename = "calendar.overlay_set")]
    CalendarOverlaySet {
        /// Local holidays and working days.
        days: Vec<CalendarDay>,
    },
    /// The newest row of the audit trail, written into the event log before a push or a
    /// bundle export so that it reaches the county.
    ///
    /// Why: a hash chain shows an edited or removed row but not its newest rows cut off. Once
    /// the head is in the log, `verify` finds a trail that ends before it or differs at it, and
    /// cutting the anchor too leaves the register behind what the hub holds, which the next
    /// sync reports (`register_behind_hub`).
    #[serde(rename = "audit.anchored")]
    AuditAnchored {
        /// `seq` of the audit row.
        audit_seq: i64,
        /// Its `hash`.
        audit_hash: String,
    },
}

/// Stored form of a county directive as the centre received it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountyDirectiveRecord {
    /// The hub event's id: what makes taking it in twice impossible.
    pub directive_id: Uuid,
    /// assignment (交办), forward (转送), supervision (督办) or reminder (催办).
    pub kind: String,
    /// The matter it created or concerns.
    pub matter_id: Uuid,
    /// 文号.
    pub reference: String,
    /// 发文单位.
    pub from_unit: String,
    /// 限期.
    #[serde(default)]
    pub due_on: Option<NaiveDate>,
    /// 交办意见 / 督办意见 / 催办内容.
    #[serde(default)]
    pub message: Option<String>,
    /// When the county wrote it (the hub event's time).
    pub issued_at: DateTime<Utc>,
}

/// Both values of a field changed on both sides before they met.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConflictRecord {
    /// Id.
    pub conflict_id: Uuid,
    /// The matter.
    pub matter_id: Uuid,
    /// The field.
    pub field: String,
    /// The centre's value when the county's correction arrived.
    #[serde(default)]
    pub local_value: Option<String>,
    /// The county's corrected value.
    #[serde(default)]
    pub county_value: Option<String>,
    /// The value the county had seen (what both started from).
    #[serde(default)]
    pub county_was: Option<String>,
    /// The county directive.
    pub directive_id: Uuid,
}

/// Stored form of a started clock: everything needed to show and judge it later without
/// recomputing (a calendar update must never move a stored date silently).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClockRecord {
    /// Id.
    pub clock_id: Uuid,
    /// The matter.
    pub matter_id: Uuid,
    /// Which limit.
    pub kind: ClockKind,
    /// Who must act before the due date: a unit's name, or `None` for this centre.
    #[serde(default)]
    pub holder: Option<String>,
    /// The computed due date with its start, unit, rollover, calendar version and warnings.
    pub due: DueDate,
}

/// Stored form of a hall queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HallQueueRecord {
    /// Code.
    pub code: String,
    /// 名称 (综合接待, 法律咨询 …).
    pub name: String,
    /// Ticket letter.
    pub prefix: String,
    /// Assumed minutes per visitor until real service times are known.
    pub service_minutes: u32,
    /// Offered at the guide desk.
    pub active: bool,
    /// Display order.
    pub position: u32,
}

/// Stored form of an interview room.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HallRoomRecord {
    /// Id.
    pub room_id: Uuid,
    /// 名称 (3号接待室).
    pub name: String,
    /// Queues it serves.
    pub queues: Vec<String>,
    /// open, paused or closed.
    pub state: String,
}

/// Stored form of a queue ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketRecord {
    /// Id.
    pub ticket_id: Uuid,
    /// The day it belongs to.
    pub day: NaiveDate,
    /// Queue code.
    pub queue: String,
    /// Per-day, per-queue sequence from 1.
    pub seq: u32,
    /// A012.
    pub number: String,
    /// Priority class code.
    #[serde(default)]
    pub priority: Option<String>,
    /// Its rank (lower first; ordinary visitors rank after every class).
    pub priority_rank: u32,
    /// Arrival order key.
    pub order_key: i64,
    /// The visit it came with.
    #[serde(default)]
    pub visit_id: Option<Uuid>,
    /// The person, when identified.
    #[serde(default)]
    pub person_id: Option<Uuid>,
    /// Masked name for the board (张*三).
    pub display_name: String,
    /// 来访人数.
    pub visitors: u32,
    /// 简要事由.
    #[serde(default)]
    pub reason: Option<String>,
    /// 预约.
    #[serde(default)]
    pub appointment: bool,
}

/// A change of a ticket's state; the fields given replace the stored ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketMove {
    /// The ticket.
    pub ticket_id: Uuid,
    /// waiting, called, serving, parked, done or no_show.
    pub status: String,
    /// The room (calls, serving).
    #[serde(default)]
    pub room_id: Option<Uuid>,
    /// A new queue (transfer).
    #[serde(default)]
    pub queue: Option<String>,
    /// A new place in the queue (no-show re-inserted, transfer).
    #[serde(default)]
    pub order_key: Option<i64>,
    /// What happened, for the statistics: call, recall, no_show, requeue, transfer, park,
    /// resume, start, finish.
    pub what: String,
    /// The interviewer who started serving (首问责任人 if first).
    #[serde(default)]
    pub interviewer: Option<Uuid>,
}

/// Stored form of a 接谈记录.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InterviewRecord {
    /// Id.
    pub interview_id: Uuid,
    /// The ticket, for a walk-in.
    #[serde(default)]
    pub ticket_id: Option<Uuid>,
    /// The matter the interview belongs to.
    #[serde(default)]
    pub matter_id: Option<Uuid>,
    /// The room.
    #[serde(default)]
    pub room_id: Option<Uuid>,
    /// Start and end.
    pub started_at: DateTime<Utc>,
    /// End.
    pub ended_at: DateTime<Utc>,
    /// 诉求.
    pub request: String,
    /// 事实和理由.
    pub facts: String,
    /// 接谈概要 / 答复.
    pub summary: String,
    /// 现场表现: normal or abnormal (Art. 26).
    pub behaviour: String,
    /// Details when abnormal.
    #[serde(default)]
    pub behaviour_note: Option<String>,
    /// Persons present.
    #[serde(default)]
    pub present: Vec<String>,
    /// 当场答复, 登记办理, 转送, 交办, 不予受理, 法定途径, 不再受理.
    pub disposition: String,
}

/// Stored form of an issued document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LetterRecord {
    /// Id.
    pub letter_id: Uuid,
    /// The matter.
    pub matter_id: Uuid,
    /// Document kind code (`acceptance_notice` …).
    pub kind: String,
    /// The handling step it was issued for, if any.
    #[serde(default)]
    pub step_id: Option<Uuid>,
    /// SHA-256 of the PDF, lower-case hex.
    pub sha256: String,
    /// The short content hash printed on the page (文书校验码).
    pub content_hash: String,
    /// Template version used.
    pub template_version: String,
    /// Pages.
    pub pages: u32,
    /// The field values it was rendered from (`xinfang_letters::LetterData`), so a print
    /// reproduces the issued bytes exactly.
    pub fields: serde_json::Value,
}

/// Stored form of a risk (矛盾纠纷排查 item).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskRecord {
    /// Id.
    pub risk_id: Uuid,
    /// Where it was found: village, township or county.
    pub level: RiskLevel,
    /// 名称.
    pub title: String,
    /// 基本情况.
    pub description: String,
    /// 属地 (GB/T 2260).
    #[serde(default)]
    pub region_code: Option<String>,
    /// 责任人 / 责任单位.
    pub owner: String,
    /// 化解措施.
    pub plan: String,
    /// 化解时限.
    pub deadline: NaiveDate,
    /// On the 重大不稳定问题清单.
    pub major: bool,
    /// The matter it came from, if any.
    #[serde(default)]
    pub matter_id: Option<Uuid>,
}

/// Stored form of progress on a risk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskProgressRecord {
    /// Id of the note.
    pub progress_id: Uuid,
    /// The risk.
    pub risk_id: Uuid,
    /// 进展情况.
    pub note: String,
    /// New owner, if changed.
    #[serde(default)]
    pub owner: Option<String>,
    /// New plan, if changed.
    #[serde(default)]
    pub plan: Option<String>,
    /// New deadline, if changed.
    #[serde(default)]
    pub deadline: Option<NaiveDate>,
}

/// Stored form of a 回访 record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowupRecord {
    /// Id.
    pub followup_id: Uuid,
    /// The matter.
    pub matter_id: Uuid,
    /// 回访日期.
    pub followed_on: NaiveDate,
    /// 回访人.
    pub by_name: String,
    /// 回访方式 (电话、上门、短信、当面…).
    pub method: String,
    /// 回访结果.
    pub result: String,
    /// 对受理的评价.
    #[serde(default)]
    pub acceptance_rating: Option<Rating>,
    /// 对办理的评价.
    #[serde(default)]
    pub handling_rating: Option<Rating>,
    /// 查询码 the petitioner quoted.
    #[serde(default)]
    pub query_code: Option<String>,
    /// 说明.
    #[serde(default)]
    pub note: Option<String>,
}

/// Stored form of 包案 (四定四包: leader, team, plan, deadline and what is owned).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OwnershipRecord {
    /// The matter.
    pub matter_id: Uuid,
    /// 包案领导.
    pub leader: String,
    /// 工作专班.
    pub team: String,
    /// 化解方案.
    pub plan: String,
    /// 化解时限.
    pub deadline: NaiveDate,
    /// 包案内容 (包掌握情况、包解决问题、包教育疏导、包稳控化解 …).
    pub scope: String,
}

/// Facts of a handling step beyond its kind, unit and note; which ones are present depends on
/// the kind (the workflow in `api::workflow` decides what is required).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StepDetail {
    /// The China date the step took effect (受理之日、转送之日、送达之日、收到申请之日).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_on: Option<NaiveDate>,
    /// 理由 (不予受理、延期、逾期申请的理由).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// 应当向其提出的机关或途径 (不予受理).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proper_channel: Option<String>,
    /// 批准人 (延期).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approver: Option<String>,
    /// 延长天数.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension_days: Option<u32>,
    /// 送达方式 (答复、意见书) or 告知方式.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// 处理意见 in brief.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opinion: Option<String>,
    /// The decision per item of the request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<AnswerItem>,
    /// 简易办理.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub simplified: bool,
    /// 承办人 (the user responsible from here on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handler_id: Option<Uuid>,
    /// 限期 (交办 feedback, 督办 finish-by date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_by: Option<NaiveDate>,
    /// The statutory path recorded at 受理 when it is not the 信访 procedure (Art. 31).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statutory_path: Option<String>,
    /// 经调查核实的事实 (answers and opinions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facts: Option<String>,
    /// 法律、法规和政策依据.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_basis: Option<String>,
    /// The body the petitioner may turn to next (复查机关、复核机关).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_body: Option<String>,
}

/// One item of a request and the decision on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AnswerItem {
    /// The item as the petitioner put it.
    pub item: String,
    /// 支持 / 解释说明 / 不予支持.
    pub outcome: Outcome,
    /// 依据 (facts found, legal and policy basis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
}

/// Stored form of a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRecord {
    /// Id.
    pub user_id: Uuid,
    /// Sign-in name.
    pub username: String,
    /// Name shown in timelines.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// argon2id PHC string.
    pub password_hash: String,
    /// The password is an initial one someone else knows (an administrator typed it, or it was
    /// generated and printed): the user must change it at the next sign-in. Absent in events
    /// written before it existed: those users chose their passwords.
    #[serde(default)]
    pub must_change_password: bool,
}

/// Stored form of a petitioner (信访人).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonRecord {
    /// Id.
    pub person_id: Uuid,
    /// 姓名.
    pub name: String,
    /// 证件类型.
    pub id_type: IdType,
    /// 证件号码 (normalised).
    #[serde(default)]
    pub id_number: Option<String>,
    /// 性别 (`male`/`female`).
    #[serde(default)]
    pub sex: Option<String>,
    /// 出生日期 (YYYY-MM-DD).
    #[serde(default)]
    pub birth_date: Option<String>,
    /// 民族.
    #[serde(default)]
    pub ethnicity: Option<String>,
    /// 联系电话 (normalised).
    #[serde(default)]
    pub phone: Option<String>,
    /// 户籍地址.
    #[serde(default)]
    pub household_address: Option<String>,
    /// 现住址.
    #[serde(default)]
    pub current_address: Option<String>,
    /// 工作单位.
    #[serde(default)]
    pub workplace: Option<String>,
}

/// Stored form of a visit batch (来访批次).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisitRecord {
    /// Id.
    pub visit_id: Uuid,
    /// 来访日期时间.
    pub visited_at: DateTime<Utc>,
    /// 接待场所.
    #[serde(default)]
    pub place: Option<String>,
    /// 来访人数.
    pub visitor_count: u32,
    /// 代表人数.
    pub representative_count: u32,
    /// 是否集体访.
    pub is_group: bool,
    /// 随访人 (free text, one per entry).
    #[serde(default)]
    pub accompanying: Vec<String>,
    /// 是否越级.
    #[serde(default)]
    pub skipped_level: bool,
    /// 首问责任人 (user id).
    pub first_contact_user: Uuid,
    /// Who came: persons and whether each is a representative.
    pub persons: Vec<VisitPersonRecord>,
    /// Free note.
    #[serde(default)]
    pub note: Option<String>,
}

/// A person in a visit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisitPersonRecord {
    /// The person.
    pub person_id: Uuid,
    /// Chosen representative (Art. 20).
    pub is_representative: bool,
}

/// Stored form of a matter (信访事项) at registration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatterRecord {
    /// Id.
    pub matter_id: Uuid,
    /// Local 信访件编号, assigned at registration.
    pub number: String,
    /// 信访形式 code.
    pub channel: String,
    /// 信访目的 code.
    pub purpose: String,
    /// 事项类别 code.
    pub matter_class: String,
    /// Art. 31 route code (申诉求决 only).
    #[serde(default)]
    pub route: Option<String>,
    /// 内容分类 code.
    #[serde(default)]
    pub content_category: Option<String>,
    /// 问题属地 (GB/T 2260).
    #[serde(default)]
    pub region_code: Option<String>,
    /// 涉及单位 / 被反映人.
    #[serde(default)]
    pub involved_units: Option<String>,
    /// 诉求.
    pub request: String,
    /// 事实和理由.
    pub facts_reasons: String,
    /// 概况.
    pub summary: String,
    /// 信访日期 (when the centre received it).
    pub received_at: DateTime<Utc>,
    /// 是否全国初次信访 (as far as this register knows).
    pub is_first_petition: bool,
    /// 涉法涉诉.
    pub litigation: bool,
    /// Anonymous (检举控告 letters only).
    pub anonymous: bool,
    /// Exempt from the Art. 23 written-notice duty, and why.
    #[serde(default)]
    pub notice_exempt_reason: Option<String>,
    /// 联名信或集体访.
    pub is_joint: bool,
    /// The walk-in visit it came from.
    #[serde(default)]
    pub visit_id: Option<Uuid>,
    /// 登记部门.
    pub registering_unit: String,
    /// Petitioners in order; exactly one primary unless anonymous.
    pub petitioners: Vec<MatterPersonRecord>,
}

/// A petitioner of a matter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatterPersonRecord {
    /// The person.
    pub person_id: Uuid,
    /// The primary petitioner (first named).
    pub is_primary: bool,
}

/// Stored form of a handling step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// Id.
    pub step_id: Uuid,
    /// The matter.
    pub matter_id: Uuid,
    /// What was done.
    pub kind: StepKind,
    /// 承办单位 / 去向.
    #[serde(default)]
    pub unit: Option<String>,
    /// Note.
    #[serde(default)]
    pub note: Option<String>,
    /// Dates, reasons and decisions of the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<StepDetail>,
}

/// Stored form of attachment metadata (the file itself lives outside the register).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttachmentRecord {
    /// Id.
    pub attachment_id: Uuid,
    /// The matter.
    pub matter_id: Uuid,
    /// Original file name.
    pub file_name: String,
    /// MIME type.
    pub media_type: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, lower-case hex.
    pub sha256: String,
}

impl EventBody {
    /// The stored `kind` string (the serde tag of the variant), without serialising the payload.
    pub fn kind(&self) -> &'static str {
        match self {
            EventBody::CentreInitialised { .. } => "centre.initialised",
            EventBody::SettingChanged { .. } => "setting.changed",
            EventBody::UserCreated(_) => "user.created",
            EventBody::UserPasswordChanged { .. } => "user.password_changed",
            EventBody::UserPasswordReset { .. } => "user.password_reset",
            EventBody::UserActiveChanged { .. } => "user.active_changed",
            EventBody::PersonRegistered(_) => "person.registered",
            EventBody::PersonUpdated(_) => "person.updated",
            EventBody::VisitRegistered(_) => "visit.registered",
            EventBody::MatterRegistered(_) => "matter.registered",
            EventBody::MatterRepeatLinked { .. } => "matter.repeat_linked",
            EventBody::StepRecorded(_) => "matter.step_recorded",
            EventBody::AttachmentAdded(_) => "attachment.added",
            EventBody::ClockStarted(_) => "clock.started",
            EventBody::ClockEnded { .. } => "clock.ended",
            EventBody::FollowupRecorded(_) => "matter.followup_recorded",
            EventBody::OwnershipSet(_) => "matter.ownership_set",
            EventBody::CalendarYearImported(_) => "calendar.year_imported",
            EventBody::RiskRegistered(_) => "risk.registered",
            EventBody::HallQueueSet(_) => "hall.queue_set",
            EventBody::HallRoomSet(_) => "hall.room_set",
            EventBody::TicketIssued(_) => "hall.ticket_issued",
            EventBody::TicketMoved(_) => "hall.ticket_moved",
            EventBody::InterviewRecorded(_) => "hall.interview_recorded",
            EventBody::LetterIssued(_) => "letter.issued",
            EventBody::LetterPrinted { .. } => "letter.printed",
            EventBody::RiskProgressed(_) => "risk.progressed",
            EventBody::RiskClosed { .. } => "risk.closed",
            EventBody::CalendarOverlaySet { .. } => "calendar.overlay_set",
            EventBody::CountyDirective(_) => "matter.county_directive",
            EventBody::MatterFieldCorrected { .. } => "matter.field_corrected",
            EventBody::MatterConflictRecorded(_) => "matter.conflict_recorded",
            EventBody::MatterConflictResolved { .. } => "matter.conflict_resolved",
            EventBody::AuditAnchored { .. } => "audit.anchored",
        }
    }

    /// Splits into the `kind` column and the `payload` JSON.
    pub fn split(&self) -> Result<(String, serde_json::Value)> {
        let mut value = serde_json::to_value(self)?;
        let kind = value
            .get("kind")
            .and_then(|k| k.as_str())
            .ok_or_else(|| crate::Error::Internal("event without kind".into()))?
            .to_owned();
        let payload = value
            .get_mut("payload")
            .map(serde_json::Value::take)
            .unwrap_or_default();
        Ok((kind, payload))
    }

    /// Joins a stored `kind` and `payload` back into an event body.
    pub fn join(kind: &str, payload: serde_json::Value) -> Result<EventBody> {
        Ok(serde_json::from_value(
            serde_json::json!({ "kind": kind, "payload": payload }),
        )?)
    }
}

/// Appends `body` as the next event of `origin`; returns the stored event.
pub fn append(
    conn: &Connection,
    id: Uuid,
    origin: Uuid,
    actor: &str,
    at: DateTime<Utc>,
    body: EventBody,
) -> Result<Event> {
    let last: Option<i64> = conn
        .query_row(
            "SELECT max(seq) FROM events WHERE origin = ?1",
            [origin.to_string()],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    let seq = last.unwrap_or(0) + 1;
    let (kind, payload) = body.split()?;
    conn.prepare_cached(
        "INSERT INTO events (id, origin, seq, actor, at, kind, schema_version, payload)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        id.to_string(),
        origin.to_string(),
        seq,
        actor,
        fmt_utc(at),
        kind,
        SCHEMA_VERSION,
        serde_json::to_string(&payload)?,
    ])?;
    Ok(Event {
        id,
        origin,
        seq,
        actor: actor.to_owned(),
        at,
        body,
    })
}

/// Reads every event in application order and hands it to `f`.
pub fn for_each(conn: &Connection, mut f: impl FnMut(Event) -> Result<()>) -> Result<()> {
    let mut stmt =
        conn.prepare("SELECT id, origin, seq, actor, at, kind, payload FROM events ORDER BY rid")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        f(event_from_row(row)?)?;
    }
    Ok(())
}

/// Decodes one `events` row (columns id, origin, seq, actor, at, kind, payload).
pub fn event_from_row(row: &rusqlite::Row<'_>) -> Result<Event> {
    let id: String = row.get(0)?;
    let origin: String = row.get(1)?;
    let at: String = row.get(4)?;
    let kind: String = row.get(5)?;
    let payload: String = row.get(6)?;
    let parse_uuid = |s: &str| {
        Uuid::parse_str(s).map_err(|e| crate::Error::Internal(format!("bad uuid {s}: {e}")))
    };
    Ok(Event {
        id: parse_uuid(&id)?,
        origin: parse_uuid(&origin)?,
        seq: row.get(2)?,
        actor: row.get(3)?,
        at: DateTime::parse_from_rfc3339(&at)
            .map_err(|e| crate::Error::Internal(format!("bad time {at}: {e}")))?
            .with_timezone(&Utc),
        body: EventBody::join(&kind, serde_json::from_str(&payload)?)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_the_same_tag_that_is_stored() {
        let id = Uuid::nil();
        let bodies = [
            EventBody::CentreInitialised {
                code: "XF".into(),
                name: "中心".into(),
            },
            EventBody::SettingChanged {
                key: "k".into(),
                value: serde_json::json!(1),
            },
            EventBody::UserPasswordChanged {
                user_id: id,
                password_hash: "h".into(),
            },
            EventBody::UserPasswordReset {
                user_id: id,
                password_hash: "h".into(),
            },
            EventBody::UserActiveChanged {
                user_id: id,
                active: false,
            },
            EventBody::MatterRepeatLinked {
                matter_id: id,
                repeat_of: id,
            },
            EventBody::StepRecorded(StepRecord {
                step_id: id,
                matter_id: id,
                kind: StepKind::Note,
                unit: None,
                note: None,
                detail: None,
            }),
            EventBody::ClockEnded {
                clock_id: id,
                matter_id: id,
                status: ClockStatus::Met,
                ended_on: NaiveDate::MIN,
            },
            EventBody::AuditAnchored {
                audit_seq: 1,
                audit_hash: "0".repeat(64),
            },
            EventBody::AttachmentAdded(AttachmentRecord {
                attachment_id: id,
                matter_id: id,
                file_name: "a".into(),
                media_type: "text/plain".into(),
                size: 1,
                sha256: "0".repeat(64),
            }),
        ];
        for body in bodies {
            assert_eq!(body.kind(), body.split().expect("serialises").0);
        }
    }
}
