//! Matters (信访事项) and walk-in visits (来访批次): registration with the 条例's rules
//! (Art. 19 required content, Art. 20 representatives, Art. 23 notice exemption), the clerk's
//! confirmed repeat link, handling steps, attachments, and the case view with its timeline.

use chrono::{DateTime, Datelike, Utc};
use rusqlite::{Connection, OptionalExtension};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    Followup, MatterClock, Ownership, Person, PersonInput, Settings, code_name, limits,
    optional_text, person_record, person_view, register_or_update_person, required_text,
    validate_person,
};
use crate::{
    Error, Result,
    auth::Session,
    clock::{china_date, china_offset},
    domain::codes::{CodeTable, CodeTables},
    events::{
        AttachmentRecord, EventBody, MatterPersonRecord, MatterRecord, StepDetail, StepRecord,
        VisitPersonRecord, VisitRecord,
    },
    model::{MatterStatus, StepKind},
    register::{Register, Writer},
};

/// Art. 20: a group of visitors sends at most five representatives.
pub const MAX_REPRESENTATIVES: u32 = 5;

/// A petitioner of a new matter or visit: an already registered person, or a new one.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PetitionerInput {
    /// An existing person (from a lookup).
    #[serde(default)]
    pub person_id: Option<Uuid>,
    /// Details typed now; with an ID number already registered, that person is reused.
    #[serde(default)]
    pub person: Option<PersonInput>,
    /// The primary petitioner; the first one when none is marked.
    #[serde(default)]
    pub is_primary: bool,
    /// Chosen representative of a group visit.
    #[serde(default)]
    pub is_representative: bool,
}

/// A new matter as entered by a clerk, from any channel.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MatterInput {
    /// 信访形式 code (letter, visit, online, phone, …).
    pub channel: String,
    /// 信访目的 code.
    pub purpose: String,
    /// 事项类别 code: suggestion / accusation / appeal_demand.
    pub matter_class: String,
    /// Art. 31 route (申诉求决 only).
    #[serde(default)]
    pub route: Option<String>,
    /// 内容分类 code.
    #[serde(default)]
    pub content_category: Option<String>,
    /// 问题属地 (GB/T 2260 code).
    #[serde(default)]
    pub region_code: Option<String>,
    /// 涉及单位 / 被反映人.
    #[serde(default)]
    pub involved_units: Option<String>,
    /// 诉求 ★.
    #[serde(default)]
    pub request: String,
    /// 事实和理由 ★.
    #[serde(default)]
    pub facts_reasons: String,
    /// 概况 ★.
    #[serde(default)]
    pub summary: String,
    /// 信访日期; defaults to now (a letter's postmark date may be earlier).
    #[serde(default)]
    pub received_at: Option<DateTime<Utc>>,
    /// 涉法涉诉.
    #[serde(default)]
    pub litigation: bool,
    /// Anonymous 检举控告 (letters and online only).
    #[serde(default)]
    pub anonymous: bool,
    /// 联名信或集体访; implied by a group visit.
    #[serde(default)]
    pub is_joint: bool,
    /// The walk-in visit it came from.
    #[serde(default)]
    pub visit_id: Option<Uuid>,
    /// 是否全国初次信访; when absent, true unless a petitioner already has matters here.
    #[serde(default)]
    pub is_first_petition: Option<bool>,
    /// The earlier matter this one repeats, as confirmed by the clerk (同人同事).
    #[serde(default)]
    pub repeat_of: Option<Uuid>,
    /// 信访人 ★ (at least one unless anonymous).
    #[serde(default)]
    pub petitioners: Vec<PetitionerInput>,
}

/// A matter as shown to staff.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Matter {
    /// Id.
    pub id: Uuid,
    /// 信访件编号 (local).
    pub number: String,
    /// Upstream 信访件编号, after sync.
    pub upstream_number: Option<String>,
    /// 信访形式 code and name.
    pub channel: String,
    /// 信访形式.
    pub channel_name: String,
    /// 信访目的 code.
    pub purpose: String,
    /// 信访目的.
    pub purpose_name: String,
    /// 事项类别 code.
    pub matter_class: String,
    /// 事项类别.
    pub matter_class_name: String,
    /// Art. 31 route code.
    pub route: Option<String>,
    /// Route name.
    pub route_name: Option<String>,
    /// 内容分类 code.
    pub content_category: Option<String>,
    /// 内容分类.
    pub content_category_name: Option<String>,
    /// 问题属地 code.
    pub region_code: Option<String>,
    /// 问题属地 path (省/市/县).
    pub region_name: Option<String>,
    /// 涉及单位.
    pub involved_units: Option<String>,
    /// 诉求.
    pub request: String,
    /// 事实和理由.
    pub facts_reasons: String,
    /// 概况.
    pub summary: String,
    /// 信访日期.
    pub received_at: DateTime<Utc>,
    /// 登记时间.
    pub registered_at: DateTime<Utc>,
    /// 重复件.
    pub is_repeat: bool,
    /// The matter it repeats.
    pub repeat_of: Option<Uuid>,
    /// Number of the matter it repeats.
    pub repeat_of_number: Option<String>,
    /// 是否全国初次信访.
    pub is_first_petition: bool,
    /// 涉法涉诉.
    pub litigation: bool,
    /// Anonymous.
    pub anonymous: bool,
    /// Exempt from the written-notice duty.
    pub notice_exempt: bool,
    /// Why.
    pub notice_exempt_reason: Option<String>,
    /// 联名信或集体访.
    pub is_joint: bool,
    /// The visit.
    pub visit_id: Option<Uuid>,
    /// 状态.
    pub status: MatterStatus,
    /// 状态 name.
    pub status_name: String,
    /// 登记部门.
    pub registering_unit: String,
    /// 登记人 (user id).
    pub registered_by: String,
    /// 登记人 name.
    pub registered_by_name: String,
    /// 信访人 names, primary first.
    pub petitioner_names: String,
    /// The unit it was forwarded or assigned to (None: this centre).
    pub current_unit: Option<String>,
    /// 承办人.
    pub handler_id: Option<Uuid>,
    /// 承办人 name.
    pub handler_name: Option<String>,
    /// 查询码 given to the petitioner.
    pub query_code: String,
}

/// Validated code of `table`, or an `unknown_code` error at `field`.
fn check_code(
    codes: &CodeTables,
    table: CodeTable,
    code: &str,
    field: &str,
    label: &str,
) -> Result<String> {
    let code = code.trim();
    if code.is_empty() {
        return Err(Error::field("required", field, format!("请选择{label}")));
    }
    if !codes.contains(table, code) {
        return Err(Error::field(
            "unknown_code",
            field,
            format!("{label}“{code}”不在代码表中"),
        ));
    }
    Ok(code.to_owned())
}

fn check_optional_code(
    codes: &CodeTables,
    table: CodeTable,
    code: Option<&str>,
    field: &str,
    label: &str,
) -> Result<Option<String>> {
    match code.map(str::trim) {
        None | Some("") => Ok(None),
        Some(code) => check_code(codes, table, code, field, label).map(Some),
    }
}

/// Resolves the petitioners of a new matter or visit inside the transaction: existing ids are
/// checked, new persons are registered (or matched by ID number).
fn resolve_petitioners(
    w: &mut Writer<'_>,
    petitioners: &[PetitionerInput],
    settings: &Settings,
) -> Result<Vec<(Uuid, PetitionerInput)>> {
    let today = china_date(w.now());
    let mut out: Vec<(Uuid, PetitionerInput)> = Vec::new();
    for (idx, petitioner) in petitioners.iter().enumerate() {
        let prefix = format!("petitioners[{idx}].");
        let id = match (&petitioner.person_id, &petitioner.person) {
            (Some(id), _) => {
                person_record(w.conn(), *id).map_err(|_| {
                    Error::field(
                        "not_found",
                        format!("{prefix}person_id"),
                        "所选信访人不存在",
                    )
                })?;
                *id
            }
            (None, Some(person)) => {
                let new_id = w.next_id();
                let (record, _warnings) =
                    validate_person(person, &format!("{prefix}person."), today, settings, new_id)?;
                register_or_update_person(w, record)?
            }
            (None, None) => {
                return Err(Error::field(
                    "required",
                    format!("{prefix}person"),
                    "请选择已登记的信访人或填写信访人信息",
                ));
            }
        };
        if out.iter().any(|(seen, _)| *seen == id) {
            return Err(Error::field(
                "duplicate_person",
                format!("{prefix}person"),
                "同一信访人不能重复添加",
            ));
        }
        out.push((id, petitioner.clone()));
    }
    Ok(out)
}

/// 登记信访事项.
pub fn matter_register(
    register: &mut Register,
    who: &Session,
    input: MatterInput,
) -> Result<Matter> {
    let settings = Settings::load(register.conn())?;
    let now = register.now();
    let id = register.next_id();
    let matter_id = register.write(&who.user_id.to_string(), |w| {
        register_matter_in(w, &settings, now, id, input)
    })?;
    matter_view(register, matter_id)
}

/// The body of `matter_register`, usable inside a larger transaction (the demo generator).
pub fn register_matter_in(
    w: &mut Writer<'_>,
    settings: &Settings,
    now: DateTime<Utc>,
    matter_id: Uuid,
    input: MatterInput,
) -> Result<Uuid> {
    let codes = w.codes().clone();
    let channel = check_code(
        &codes,
        CodeTable::Channels,
        &input.channel,
        "channel",
        "信访形式",
    )?;
    let purpose = check_code(
        &codes,
        CodeTable::Purposes,
        &input.purpose,
        "purpose",
        "信访目的",
    )?;
    let matter_class = check_code(
        &codes,
        CodeTable::MatterClasses,
        &input.matter_class,
        "matter_class",
        "事项类别",
    )?;
    let route = check_optional_code(
        &codes,
        CodeTable::Routes,
        input.route.as_deref(),
        "route",
        "处理途径",
    )?;
    if route.is_some() && matter_class != "appeal_demand" {
        return Err(Error::field(
            "route_not_applicable",
            "route",
            "只有申诉求决类事项需要选择第三十一条处理途径",
        ));
    }
    let content_category = check_optional_code(
        &codes,
        CodeTable::ContentCategories,
        input.content_category.as_deref(),
        "content_category",
        "内容分类",
    )?;
    let region_code = check_optional_code(
        &codes,
        CodeTable::Regions,
        input.region_code.as_deref(),
        "region_code",
        "问题属地",
    )?;
    let involved_units = optional_text(
        input.involved_units.as_deref(),
        "involved_units",
        "涉及单位",
        limits::SUMMARY,
    )?;
    let summary = required_text(&input.summary, "summary", "概况", limits::SUMMARY)?;
    let received_at = input.received_at.unwrap_or(now);
    if received_at > now + chrono::Duration::minutes(5) {
        return Err(Error::field(
            "invalid_date",
            "received_at",
            "信访日期不能晚于今天",
        ));
    }

    // Art. 19: name, address, request, facts and reasons — except an anonymous 检举控告 letter,
    // which is accepted but cannot be answered (Art. 23 notice duty does not apply).
    let anonymous = input.anonymous;
    if anonymous {
        if matter_class != "accusation" {
            return Err(Error::field(
                "anonymous_not_allowed",
                "anonymous",
                "只有检举控告类事项可以匿名登记",
            ));
        }
        if matches!(channel.as_str(), "visit" | "phone") {
            return Err(Error::field(
                "anonymous_not_allowed",
                "anonymous",
                "来访和电话信访须登记信访人，只有来信、网上等书面检举控告可以匿名",
            ));
        }
    } else if input.petitioners.is_empty() {
        return Err(Error::field(
            "required",
            "petitioners",
            "请至少登记一名信访人（《信访工作条例》第十九条：姓名、住址）",
        ));
    }
    let request = if anonymous {
        optional_text(Some(&input.request), "request", "诉求", limits::REQUEST)?.unwrap_or_default()
    } else {
        required_text(&input.request, "request", "诉求", limits::REQUEST)?
    };
    let facts_reasons = if anonymous {
        optional_text(
            Some(&input.facts_reasons),
            "facts_reasons",
            "事实和理由",
            limits::LONG_TEXT,
        )?
        .unwrap_or_default()
    } else {
        required_text(
            &input.facts_reasons,
            "facts_reasons",
            "事实和理由",
            limits::LONG_TEXT,
        )?
    };

    let petitioners = resolve_petitioners(w, &input.petitioners, settings)?;
    if !anonymous {
        // The primary petitioner must have an address to write to (Art. 19).
        let primary_idx = petitioners
            .iter()
            .position(|(_, p)| p.is_primary)
            .unwrap_or(0);
        let (primary_id, _) = &petitioners[primary_idx];
        let primary = person_record(w.conn(), *primary_id)?;
        if primary.current_address.is_none() && primary.household_address.is_none() {
            return Err(Error::field(
                "required",
                format!("petitioners[{primary_idx}].person.current_address"),
                "请填写信访人住址（《信访工作条例》第十九条）",
            ));
        }
    }
    if petitioners.iter().filter(|(_, p)| p.is_primary).count() > 1 {
        return Err(Error::field(
            "too_many_primary",
            "petitioners",
            "只能有一名第一信访人",
        ));
    }
    let has_primary = petitioners.iter().any(|(_, p)| p.is_primary);
    let petitioner_records: Vec<MatterPersonRecord> = petitioners
        .iter()
        .enumerate()
        .map(|(idx, (id, p))| MatterPersonRecord {
            person_id: *id,
            is_primary: p.is_primary || (!has_primary && idx == 0),
        })
        .collect();

    let mut is_joint = input.is_joint || petitioners.len() > 1;
    if let Some(visit_id) = input.visit_id {
        let group: Option<bool> = w
            .conn()
            .query_row(
                "SELECT is_group FROM visits WHERE id = ?1",
                [visit_id.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        match group {
            Some(group) => is_joint |= group,
            None => return Err(Error::field("not_found", "visit_id", "所选来访批次不存在")),
        }
    }
    let earlier = earlier_matter_count(w.conn(), &petitioner_records)?;
    let is_first_petition = input.is_first_petition.unwrap_or(earlier == 0);
    if let Some(repeat_of) = input.repeat_of {
        ensure_matter_exists(w.conn(), repeat_of, "repeat_of")?;
    }

    let notice_exempt_reason = anonymous.then(|| {
        "匿名检举控告，信访人姓名、住址不明，不适用书面告知（《信访工作条例》第二十三条）"
            .to_owned()
    });
    let year = received_at.with_timezone(&china_offset()).year();
    let number = w.next_case_number(year)?;
    let record = MatterRecord {
        matter_id,
        number,
        channel,
        purpose,
        matter_class,
        route,
        content_category,
        region_code,
        involved_units,
        request,
        facts_reasons,
        summary,
        received_at,
        is_first_petition,
        litigation: input.litigation,
        anonymous,
        notice_exempt_reason,
        is_joint,
        visit_id: input.visit_id,
        registering_unit: w.centre().name.clone(),
        petitioners: petitioner_records,
    };
    let notice_exempt = record.notice_exempt_reason.is_some();
    w.record(EventBody::MatterRegistered(record))?;
    super::workflow::start_registration_clocks(
        w,
        matter_id,
        china_date(received_at),
        notice_exempt,
        settings.deadline_rollover,
    )?;
    if let Some(repeat_of) = input.repeat_of {
        w.record(EventBody::MatterRepeatLinked {
            matter_id,
            repeat_of,
        })?;
    }
    Ok(matter_id)
}

fn earlier_matter_count(conn: &Connection, petitioners: &[MatterPersonRecord]) -> Result<u32> {
    let mut total = 0;
    for p in petitioners {
        let n: u32 = conn
            .prepare_cached("SELECT count(*) FROM matter_persons WHERE person_id = ?1")?
            .query_row([p.person_id.to_string()], |r| r.get(0))?;
        total += n;
    }
    Ok(total)
}

fn ensure_matter_exists(conn: &Connection, id: Uuid, field: &str) -> Result<()> {
    let found: Option<i64> = conn
        .prepare_cached("SELECT rid FROM matters WHERE id = ?1")?
        .query_row([id.to_string()], |r| r.get(0))
        .optional()?;
    match found {
        Some(_) => Ok(()),
        None => Err(Error::field("not_found", field, "所选信访事项不存在")),
    }
}

/// Which matter, by id or by number.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MatterGetInput {
    /// Id.
    #[serde(default)]
    pub matter_id: Option<Uuid>,
    /// 信访件编号.
    #[serde(default)]
    pub number: Option<String>,
}

/// A matter with everything recorded about it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MatterDetail {
    /// The matter.
    pub matter: Matter,
    /// 信访人, primary first.
    pub petitioners: Vec<Person>,
    /// 办理 steps, oldest first.
    pub steps: Vec<Step>,
    /// Attachments.
    pub attachments: Vec<Attachment>,
    /// Every recorded event about the matter: who did what, when.
    pub timeline: Vec<TimelineEntry>,
    /// Statutory clocks, oldest first, with today's state for the open ones.
    pub clocks: Vec<MatterClock>,
    /// 回访 records.
    pub followups: Vec<Followup>,
    /// 包案, if set.
    pub ownership: Option<Ownership>,
    /// When 不再受理 may be decided for this matter, why (Art. 36(3)).
    pub no_longer_accept_basis: Option<String>,
    /// What the county sent about it (交办, 转送, 督办, 催办, 更正), oldest first.
    pub county: Vec<CountyDirective>,
    /// Fields the county and the centre both changed, open ones first.
    pub conflicts: Vec<MatterConflict>,
}

/// A field changed on both sides before they met (issue 7 §5): both values, and what a
/// supervisor decided.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MatterConflict {
    /// Id.
    pub id: Uuid,
    /// The field.
    pub field: String,
    /// 内容分类 / 问题属地 / 涉及单位.
    pub field_name: String,
    /// The centre's value.
    pub local_value: Option<String>,
    /// The centre's value as shown (a code's name).
    pub local_display: Option<String>,
    /// The county's value.
    pub county_value: Option<String>,
    /// The county's value as shown.
    pub county_display: Option<String>,
    /// The value both started from, as shown.
    pub county_was_display: Option<String>,
    /// When the conflict was found.
    pub opened_at: DateTime<Utc>,
    /// When a supervisor decided; `None` while open.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Who decided (name).
    pub resolved_by_name: Option<String>,
    /// `local` or `county`.
    pub keep: Option<String>,
}

/// The Chinese name of a correctable field.
pub fn field_name_zh(field: &str) -> &'static str {
    match field {
        "content_category" => "内容分类",
        "region_code" => "问题属地",
        _ => "涉及单位",
    }
}

fn field_display(codes: &CodeTables, field: &str, value: Option<&str>) -> Option<String> {
    let value = value?;
    Some(match field {
        "content_category" => code_name(codes, CodeTable::ContentCategories, value),
        "region_code" => code_name(codes, CodeTable::Regions, value),
        _ => value.to_owned(),
    })
}

fn conflicts_of(register: &Register, id: Uuid) -> Result<Vec<MatterConflict>> {
    let codes = register.codes();
    let mut stmt = register.conn().prepare_cached(
        "SELECT c.id, c.field, c.local_value, c.county_value, c.county_was, c.opened_at,
           c.resolved_at, coalesce(u.display_name, c.resolved_by), c.keep
         FROM matter_conflicts c LEFT JOIN users u ON u.id = c.resolved_by
         WHERE c.matter_id = ?1 ORDER BY c.resolved_at IS NOT NULL, c.opened_at, c.id",
    )?;
    let rows = stmt.query_map([id.to_string()], |r| {
        let field: String = r.get(1)?;
        let local: Option<String> = r.get(2)?;
        let county: Option<String> = r.get(3)?;
        let was: Option<String> = r.get(4)?;
        let resolved: Option<String> = r.get(6)?;
        Ok(MatterConflict {
            id: parse_uuid_col(r.get(0)?),
            field_name: field_name_zh(&field).to_owned(),
            local_display: field_display(codes, &field, local.as_deref()),
            county_display: field_display(codes, &field, county.as_deref()),
            county_was_display: field_display(codes, &field, was.as_deref()),
            field,
            local_value: local,
            county_value: county,
            opened_at: parse_time_col(r.get(5)?),
            resolved_at: resolved.map(parse_time_col),
            resolved_by_name: r.get(7)?,
            keep: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// 更正分类: new values of the reviewed fields; a field left out stays as it is, an empty
/// string clears it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassifyInput {
    /// The matter.
    pub matter_id: Uuid,
    /// 内容分类 code.
    #[serde(default)]
    pub content_category: Option<String>,
    /// 问题属地 code.
    #[serde(default)]
    pub region_code: Option<String>,
    /// 涉及单位.
    #[serde(default)]
    pub involved_units: Option<String>,
}

/// 更正内容分类、问题属地、涉及单位.
pub fn matter_classify(
    register: &mut Register,
    who: &Session,
    input: ClassifyInput,
) -> Result<Matter> {
    ensure_matter_exists(register.conn(), input.matter_id, "matter_id")?;
    super::check_confidential(register.conn(), who, input.matter_id)?;
    let codes = register.codes().clone();
    // A field left out stays as it is; an empty one is cleared; a code must be in the tables.
    let mut changes: Vec<(&'static str, Option<String>)> = Vec::new();
    for (field, label, table, given) in [
        (
            "content_category",
            "内容分类",
            CodeTable::ContentCategories,
            &input.content_category,
        ),
        (
            "region_code",
            "问题属地",
            CodeTable::Regions,
            &input.region_code,
        ),
    ] {
        if let Some(code) = given.as_deref().map(str::trim) {
            let value = match code {
                "" => None,
                code => check_optional_code(&codes, table, Some(code), field, label)?,
            };
            changes.push((field, value));
        }
    }
    if let Some(text) = input.involved_units.as_deref() {
        let value = optional_text(Some(text), "involved_units", "涉及单位", limits::SUMMARY)?;
        changes.push(("involved_units", value));
    }
    register.write(&who.user_id.to_string(), |w| {
        for (field, value) in changes {
            let current = crate::county::field_value(w.conn(), input.matter_id, field)?
                .flatten()
                .filter(|v| !v.trim().is_empty());
            if current != value {
                w.record(EventBody::MatterFieldCorrected {
                    matter_id: input.matter_id,
                    field: field.to_owned(),
                    value,
                    directive_id: None,
                    conflict_id: None,
                })?;
            }
        }
        Ok(())
    })?;
    matter_view(register, input.matter_id)
}

/// A supervisor's decision on a conflict.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConflictResolveInput {
    /// The conflict.
    pub conflict_id: Uuid,
    /// `local` keeps the centre's value, `county` takes the county's.
    pub keep: String,
}

/// 决定与县级更正冲突的取值.
pub fn matter_conflict_resolve(
    register: &mut Register,
    who: &Session,
    input: ConflictResolveInput,
) -> Result<MatterDetail> {
    let keep = input.keep.trim();
    if !matches!(keep, "local" | "county") {
        return Err(Error::field(
            "invalid_choice",
            "keep",
            "请选择保留本中心的值或采用县级的值",
        ));
    }
    let found: Option<(String, String, Option<String>, Option<String>)> = register
        .conn()
        .query_row(
            "SELECT matter_id, field, county_value, resolved_at FROM matter_conflicts
             WHERE id = ?1",
            [input.conflict_id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((matter_id, field, county_value, resolved_at)) = found else {
        return Err(Error::field("not_found", "conflict_id", "没有这项冲突"));
    };
    if resolved_at.is_some() {
        return Err(Error::field(
            "already_resolved",
            "conflict_id",
            "这项冲突已由负责人决定",
        ));
    }
    let matter_id = parse_uuid_col(matter_id);
    super::check_confidential(register.conn(), who, matter_id)?;
    register.write(&who.user_id.to_string(), |w| {
        // Keeping the centre's value keeps what the field holds now, which may be newer than
        // the value recorded with the conflict.
        let value = if keep == "county" {
            w.record(EventBody::MatterFieldCorrected {
                matter_id,
                field: field.clone(),
                value: county_value.clone(),
                directive_id: None,
                conflict_id: Some(input.conflict_id),
            })?;
            county_value.clone()
        } else {
            crate::county::field_value(w.conn(), matter_id, &field)?.flatten()
        };
        w.record(EventBody::MatterConflictResolved {
            conflict_id: input.conflict_id,
            matter_id,
            keep: keep.to_owned(),
            value,
        })?;
        Ok(())
    })?;
    matter_get(
        register,
        who,
        MatterGetInput {
            matter_id: Some(matter_id),
            number: None,
        },
    )
}

/// A county directive on a matter, as the case view shows it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CountyDirective {
    /// The hub event's id.
    pub id: Uuid,
    /// assignment, forward, supervision or reminder.
    pub kind: String,
    /// 交办, 转送, 督办 or 催办.
    pub kind_name: String,
    /// 文号.
    pub reference: String,
    /// 发文单位.
    pub from_unit: String,
    /// 限期.
    pub due_on: Option<chrono::NaiveDate>,
    /// 意见.
    pub message: Option<String>,
    /// When the county wrote it.
    pub issued_at: DateTime<Utc>,
    /// When this register took it in.
    pub received_at: DateTime<Utc>,
}

/// How the register names what the county did.
pub const COUNTY_ACTOR_ZH: &str = "县级下发";

/// 交办 / 转送 / 督办 / 催办 for a stored directive kind.
pub fn county_kind_zh(kind: &str) -> &'static str {
    match kind {
        "assignment" => "交办",
        "forward" => "转送",
        "supervision" => "督办",
        "correction" => "更正",
        _ => "催办",
    }
}

fn county_directives_of(conn: &Connection, id: Uuid) -> Result<Vec<CountyDirective>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, kind, reference, from_unit, due_on, message, issued_at, received_at
         FROM county_directives WHERE matter_id = ?1 ORDER BY issued_at, id",
    )?;
    let rows = stmt.query_map([id.to_string()], |r| {
        let kind: String = r.get(1)?;
        let due: Option<String> = r.get(4)?;
        Ok(CountyDirective {
            id: parse_uuid_col(r.get(0)?),
            kind_name: county_kind_zh(&kind).to_owned(),
            kind,
            reference: r.get(2)?,
            from_unit: r.get(3)?,
            due_on: due.and_then(|d| super::parse_date(&d)),
            message: r.get(5)?,
            issued_at: parse_time_col(r.get(6)?),
            received_at: parse_time_col(r.get(7)?),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// One line of a case timeline.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct TimelineEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (user id).
    pub actor: String,
    /// Who (name and role, e.g. 王芳（引导员）).
    pub actor_name: String,
    /// Event kind.
    pub kind: String,
    /// What happened, in Chinese.
    pub description: String,
}

/// A handling step.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Step {
    /// Id.
    pub id: Uuid,
    /// What was done.
    pub kind: StepKind,
    /// Its name.
    pub kind_name: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Who (name).
    pub actor_name: String,
    /// 承办单位 / 去向.
    pub unit: Option<String>,
    /// Note.
    pub note: Option<String>,
    /// Dates, reasons, decisions.
    pub detail: Option<StepDetail>,
}

/// Attachment metadata.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Attachment {
    /// Id.
    pub id: Uuid,
    /// File name.
    pub file_name: String,
    /// MIME type.
    pub media_type: String,
    /// Bytes.
    pub size: u64,
    /// SHA-256.
    pub sha256: String,
    /// When.
    pub added_at: DateTime<Utc>,
}

/// 信访事项详情.
pub fn matter_get(
    register: &mut Register,
    who: &Session,
    input: MatterGetInput,
) -> Result<MatterDetail> {
    let id = match (input.matter_id, input.number.as_deref().map(str::trim)) {
        (Some(id), _) => id,
        (None, Some(number)) if !number.is_empty() => {
            let found: Option<String> = register
                .conn()
                .query_row("SELECT id FROM matters WHERE number = ?1", [number], |r| {
                    r.get(0)
                })
                .optional()?;
            let found = found.ok_or_else(|| Error::NotFound {
                what: "信访事项",
                id: number.to_owned(),
            })?;
            Uuid::parse_str(&found).map_err(|e| Error::Internal(e.to_string()))?
        }
        _ => return Err(Error::field("required", "matter_id", "请指定信访事项")),
    };
    super::check_confidential(register.conn(), who, id)?;
    let matter = matter_view(register, id)?;
    let conn = register.conn();
    let person_ids: Vec<String> = conn
        .prepare_cached(
            "SELECT person_id FROM matter_persons WHERE matter_id = ?1 ORDER BY position",
        )?
        .query_map([id.to_string()], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut petitioners = Vec::new();
    for pid in person_ids {
        let pid = Uuid::parse_str(&pid).map_err(|e| Error::Internal(e.to_string()))?;
        petitioners.push(person_view(person_record(conn, pid)?, Vec::new()));
    }
    let steps = conn
        .prepare_cached(
            "SELECT s.id, s.kind, s.at, coalesce(u.display_name, s.actor), s.unit, s.note,
               s.detail
             FROM handling_steps s LEFT JOIN users u ON u.id = s.actor
             WHERE s.matter_id = ?1 ORDER BY s.at, s.id",
        )?
        .query_map([id.to_string()], |r| {
            let kind: String = r.get(1)?;
            let kind = StepKind::from_code(&kind).unwrap_or(StepKind::Note);
            Ok(Step {
                id: parse_uuid_col(r.get(0)?),
                kind,
                kind_name: kind.name_zh().to_owned(),
                at: parse_time_col(r.get(2)?),
                actor_name: r.get(3)?,
                unit: r.get(4)?,
                note: r.get(5)?,
                detail: r
                    .get::<_, Option<String>>(6)?
                    .and_then(|d| serde_json::from_str(&d).ok()),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let attachments = conn
        .prepare_cached(
            "SELECT id, file_name, media_type, size, sha256, added_at FROM attachments
             WHERE matter_id = ?1 ORDER BY added_at, id",
        )?
        .query_map([id.to_string()], |r| {
            Ok(Attachment {
                id: parse_uuid_col(r.get(0)?),
                file_name: r.get(1)?,
                media_type: r.get(2)?,
                size: r.get::<_, i64>(3)? as u64,
                sha256: r.get(4)?,
                added_at: parse_time_col(r.get(5)?),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let timeline = timeline(register, id)?;
    let clocks = super::supervision::clocks_of(register, id)?;
    let conn = register.conn();
    let (repeat_of, litigation): (Option<String>, bool) = conn.query_row(
        "SELECT repeat_of, litigation FROM matters WHERE id = ?1",
        [id.to_string()],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let no_longer_accept_basis = if matter.status == MatterStatus::Registered {
        super::workflow::no_longer_accept_basis(
            conn,
            repeat_of.and_then(|r| Uuid::parse_str(&r).ok()),
            litigation,
        )?
    } else {
        None
    };
    Ok(MatterDetail {
        followups: super::workflow::followups_of(conn, id)?,
        ownership: super::workflow::ownership_of(conn, id)?,
        matter,
        petitioners,
        steps,
        attachments,
        timeline,
        clocks,
        no_longer_accept_basis,
        county: county_directives_of(conn, id)?,
        conflicts: conflicts_of(register, id)?,
    })
}

fn parse_uuid_col(s: String) -> Uuid {
    Uuid::parse_str(&s).unwrap_or_default()
}

fn parse_time_col(s: String) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&s)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

fn timeline(register: &Register, matter_id: Uuid) -> Result<Vec<TimelineEntry>> {
    let conn = register.conn();
    let mut stmt = conn.prepare_cached(
        "SELECT e.id, e.origin, e.seq, e.actor, e.at, e.kind, e.payload,
           u.display_name, u.role
         FROM events e LEFT JOIN users u ON u.id = e.actor
         WHERE json_extract(e.payload, '$.matter_id') = ?1 ORDER BY e.rid",
    )?;
    let mut rows = stmt.query([matter_id.to_string()])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let event = crate::events::event_from_row(row)?;
        let name: Option<String> = row.get(7)?;
        let role: Option<String> = row.get(8)?;
        let actor_name = match (
            name,
            role.as_deref().and_then(crate::model::Role::from_code),
        ) {
            (Some(name), Some(role)) => format!("{name}（{}）", role.name_zh()),
            (Some(name), None) => name,
            _ if event.actor == crate::county::COUNTY_ACTOR => COUNTY_ACTOR_ZH.to_owned(),
            _ => "系统".to_owned(),
        };
        out.push(TimelineEntry {
            at: event.at,
            actor: event.actor.clone(),
            actor_name,
            kind: event.body.kind().to_owned(),
            description: describe(register, &event.body),
        });
    }
    Ok(out)
}

fn describe(register: &Register, body: &EventBody) -> String {
    let codes = register.codes();
    match body {
        EventBody::MatterRegistered(m) => format!(
            "登记信访事项 {}（{}，{}）",
            m.number,
            code_name(codes, CodeTable::Channels, &m.channel),
            code_name(codes, CodeTable::MatterClasses, &m.matter_class)
        ),
        EventBody::MatterRepeatLinked { repeat_of, .. } => {
            let number: Option<String> = register
                .conn()
                .query_row(
                    "SELECT number FROM matters WHERE id = ?1",
                    [repeat_of.to_string()],
                    |r| r.get(0),
                )
                .ok();
            format!(
                "确认为重复信访，关联 {}",
                number.unwrap_or_else(|| repeat_of.to_string())
            )
        }
        EventBody::StepRecorded(s) => {
            let mut text = s.kind.name_zh().to_owned();
            if let Some(unit) = &s.unit {
                text.push_str(&format!("：{unit}"));
            }
            if let Some(detail) = &s.detail {
                text.push_str(&super::supervision::describe_detail(s.kind, detail));
            }
            if let Some(note) = &s.note {
                text.push_str(&format!("（{note}）"));
            }
            text
        }
        EventBody::AttachmentAdded(a) => format!("添加附件 {}", a.file_name),
        EventBody::ClockStarted(c) => format!(
            "开始计时：{}，{}{}日起{}{}，截止{}{}",
            c.kind.name_zh(),
            c.holder
                .as_deref()
                .map(|h| format!("{h}，"))
                .unwrap_or_default(),
            c.due.start,
            c.due.length,
            c.due.unit.name_zh(),
            c.due.due,
            if c.due.warnings.is_empty() {
                String::new()
            } else {
                format!("（{}）", c.due.warnings.join("；"))
            }
        ),
        EventBody::ClockEnded {
            clock_id,
            status,
            ended_on,
            ..
        } => {
            let kind: Option<String> = register
                .conn()
                .query_row(
                    "SELECT kind FROM matter_clocks WHERE id = ?1",
                    [clock_id.to_string()],
                    |r| r.get(0),
                )
                .ok();
            let name = kind
                .as_deref()
                .and_then(|k| super::workflow::clock_kind(k).ok())
                .map_or("时限", |k| k.name_zh());
            format!("{name}：{}（{ended_on}）", status.name_zh())
        }
        EventBody::LetterIssued(l) => format!(
            "出具{}（校验码 {}，模板 {}，共{}页）",
            xinfang_letters::DocKind::from_code(&l.kind).map_or(l.kind.as_str(), |k| k.name_zh()),
            l.content_hash,
            l.template_version,
            l.pages
        ),
        EventBody::LetterPrinted {
            letter_id,
            printer,
            copies,
            reprint,
            ..
        } => {
            let kind: Option<String> = register
                .conn()
                .query_row(
                    "SELECT kind FROM letters WHERE id = ?1",
                    [letter_id.to_string()],
                    |r| r.get(0),
                )
                .ok();
            let name = kind
                .as_deref()
                .and_then(xinfang_letters::DocKind::from_code)
                .map_or("文书", |k| k.name_zh());
            format!(
                "{}{name} {copies}份（{printer}）",
                if *reprint { "补打" } else { "打印" }
            )
        }
        EventBody::InterviewRecorded(i) => format!(
            "接谈记录：{}（{}）",
            i.summary,
            super::disposition_zh(&i.disposition)
        ),
        EventBody::FollowupRecorded(f) => {
            format!("回访（{}，{}）：{}", f.method, f.by_name, f.result)
        }
        EventBody::OwnershipSet(o) => format!("包案：{}，化解时限{}", o.leader, o.deadline),
        EventBody::MatterFieldCorrected {
            field,
            value,
            directive_id,
            conflict_id,
            ..
        } => {
            let shown = field_display(codes, field, value.as_deref())
                .map_or("（空）".to_owned(), |v| format!("“{v}”"));
            let by = match (directive_id, conflict_id) {
                (Some(_), _) => "按县级更正，",
                (_, Some(_)) => "负责人决定采用县级的值，",
                _ => "",
            };
            format!("{by}{}改为{shown}", field_name_zh(field))
        }
        EventBody::MatterConflictRecorded(c) => format!(
            "县级更正与本中心的修改冲突：{}本中心为“{}”，县级为“{}”，两个值都已保留，待负责人决定",
            field_name_zh(&c.field),
            field_display(codes, &c.field, c.local_value.as_deref()).unwrap_or_default(),
            field_display(codes, &c.field, c.county_value.as_deref()).unwrap_or_default()
        ),
        EventBody::MatterConflictResolved { keep, value, .. } => format!(
            "负责人决定{}，取值“{}”",
            if keep == "county" {
                "采用县级的值"
            } else {
                "保留本中心的值"
            },
            value.as_deref().unwrap_or("")
        ),
        EventBody::CountyDirective(d) => {
            let mut text = format!(
                "收到{}{}（{}）",
                d.from_unit,
                county_kind_zh(&d.kind),
                d.reference
            );
            if let Some(due) = d.due_on {
                text.push_str(&format!("，限{due}前办理反馈"));
            }
            if let Some(message) = &d.message {
                text.push_str(&format!("：{message}"));
            }
            text
        }
        other => other.kind().to_owned(),
    }
}

/// The display form of a stored matter.
pub(crate) fn matter_view(register: &Register, id: Uuid) -> Result<Matter> {
    let codes = register.codes();
    register
        .conn()
        .prepare_cached(
            "SELECT m.id, m.number, m.upstream_number, m.channel, m.purpose, m.matter_class,
               m.route, m.content_category, m.region_code, m.involved_units, m.request,
               m.facts_reasons, m.summary, m.received_at, m.registered_at, m.is_repeat,
               m.repeat_of, r.number, m.is_first_petition, m.litigation, m.anonymous,
               m.notice_exempt, m.notice_exempt_reason, m.is_joint, m.visit_id, m.status,
               m.registering_unit, m.registered_by,
               coalesce(u.display_name, CASE m.registered_by WHEN 'county' THEN '县级下发'
                 ELSE m.registered_by END),
               m.petitioner_names, m.current_unit, m.handler_id, h.display_name
             FROM matters m LEFT JOIN matters r ON r.id = m.repeat_of
             LEFT JOIN users u ON u.id = m.registered_by
             LEFT JOIN users h ON h.id = m.handler_id WHERE m.id = ?1",
        )?
        .query_row([id.to_string()], |r| {
            let channel: String = r.get(3)?;
            let purpose: String = r.get(4)?;
            let class: String = r.get(5)?;
            let route: Option<String> = r.get(6)?;
            let category: Option<String> = r.get(7)?;
            let region: Option<String> = r.get(8)?;
            let status: String = r.get(25)?;
            let status = MatterStatus::from_code(&status).unwrap_or(MatterStatus::Registered);
            let repeat_of: Option<String> = r.get(16)?;
            let visit_id: Option<String> = r.get(24)?;
            Ok(Matter {
                id: parse_uuid_col(r.get(0)?),
                number: r.get(1)?,
                upstream_number: r.get(2)?,
                channel_name: code_name(codes, CodeTable::Channels, &channel),
                channel,
                purpose_name: code_name(codes, CodeTable::Purposes, &purpose),
                purpose,
                matter_class_name: code_name(codes, CodeTable::MatterClasses, &class),
                matter_class: class,
                route_name: route
                    .as_deref()
                    .map(|c| code_name(codes, CodeTable::Routes, c)),
                route,
                content_category_name: category
                    .as_deref()
                    .map(|c| code_name(codes, CodeTable::ContentCategories, c)),
                content_category: category,
                region_name: region.as_deref().and_then(|c| codes.region_path(c)),
                region_code: region,
                involved_units: r.get(9)?,
                request: r.get(10)?,
                facts_reasons: r.get(11)?,
                summary: r.get(12)?,
                received_at: parse_time_col(r.get(13)?),
                registered_at: parse_time_col(r.get(14)?),
                is_repeat: r.get(15)?,
                repeat_of: repeat_of.map(parse_uuid_col),
                repeat_of_number: r.get(17)?,
                is_first_petition: r.get(18)?,
                litigation: r.get(19)?,
                anonymous: r.get(20)?,
                notice_exempt: r.get(21)?,
                notice_exempt_reason: r.get(22)?,
                is_joint: r.get(23)?,
                visit_id: visit_id.map(parse_uuid_col),
                status,
                status_name: status.name_zh().to_owned(),
                registering_unit: r.get(26)?,
                registered_by: r.get(27)?,
                registered_by_name: r.get(28)?,
                petitioner_names: r.get(29)?,
                current_unit: r.get(30)?,
                handler_id: r.get::<_, Option<String>>(31)?.map(parse_uuid_col),
                handler_name: r.get(32)?,
                query_code: super::query_code(id),
            })
        })
        .optional()?
        .ok_or_else(|| Error::NotFound {
            what: "信访事项",
            id: id.to_string(),
        })
}

/// The clerk's confirmation that a matter repeats an earlier one.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RepeatLinkInput {
    /// The newer matter.
    pub matter_id: Uuid,
    /// The earlier matter it repeats.
    pub repeat_of: Uuid,
}

/// 确认重复信访.
pub fn matter_link_repeat(
    register: &mut Register,
    who: &Session,
    input: RepeatLinkInput,
) -> Result<Matter> {
    ensure_matter_exists(register.conn(), input.matter_id, "matter_id")?;
    ensure_matter_exists(register.conn(), input.repeat_of, "repeat_of")?;
    if input.matter_id == input.repeat_of {
        return Err(Error::field(
            "invalid_link",
            "repeat_of",
            "不能关联到事项本身",
        ));
    }
    let current = matter_view(register, input.matter_id)?;
    if current.repeat_of == Some(input.repeat_of) {
        return Ok(current);
    }
    register.write(&who.user_id.to_string(), |w| {
        w.record(EventBody::MatterRepeatLinked {
            matter_id: input.matter_id,
            repeat_of: input.repeat_of,
        })?;
        Ok(())
    })?;
    matter_view(register, input.matter_id)
}

/// A handling step to record.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    /// The matter.
    pub matter_id: Uuid,
    /// What was done.
    pub kind: StepKind,
    /// 承办单位 / 去向 (required for 转送 and 交办).
    #[serde(default)]
    pub unit: Option<String>,
    /// Note.
    #[serde(default)]
    pub note: Option<String>,
}

/// 记录办理步骤.
pub fn matter_step_record(
    register: &mut Register,
    who: &Session,
    input: StepInput,
) -> Result<Step> {
    ensure_matter_exists(register.conn(), input.matter_id, "matter_id")?;
    // Steps that move a matter or its clocks go through the workflow operations, which
    // enforce the rules; this one only records notes.
    if input.kind != StepKind::Note {
        return Err(Error::field(
            "use_workflow",
            "kind",
            format!("“{}”请使用对应的办理操作记录", input.kind.name_zh()),
        ));
    }
    let unit = optional_text(input.unit.as_deref(), "unit", "承办单位", limits::ADDRESS)?;
    let note = optional_text(input.note.as_deref(), "note", "说明", limits::LONG_TEXT)?;
    let step_id = register.next_id();
    let record = StepRecord {
        step_id,
        matter_id: input.matter_id,
        kind: input.kind,
        unit,
        note,
        detail: None,
    };
    let event = register.write(&who.user_id.to_string(), |w| {
        w.record(EventBody::StepRecorded(record.clone()))
    })?;
    Ok(Step {
        id: step_id,
        kind: record.kind,
        kind_name: record.kind.name_zh().to_owned(),
        at: event.at,
        actor_name: who.display_name.clone(),
        unit: record.unit,
        note: record.note,
        detail: None,
    })
}

/// Metadata of a file attached to a matter.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachmentInput {
    /// The matter.
    pub matter_id: Uuid,
    /// File name.
    pub file_name: String,
    /// MIME type.
    pub media_type: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
}

/// 添加附件 (metadata).
pub fn attachment_add(
    register: &mut Register,
    who: &Session,
    input: AttachmentInput,
) -> Result<Attachment> {
    ensure_matter_exists(register.conn(), input.matter_id, "matter_id")?;
    let file_name = required_text(&input.file_name, "file_name", "文件名", limits::ADDRESS)?;
    let media_type = required_text(&input.media_type, "media_type", "文件类型", limits::CODE)?;
    let sha256 = input.sha256.trim().to_ascii_lowercase();
    if sha256.len() != 64 || !sha256.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(Error::field(
            "invalid_hash",
            "sha256",
            "文件摘要应为64位十六进制 SHA-256",
        ));
    }
    let record = AttachmentRecord {
        attachment_id: register.next_id(),
        matter_id: input.matter_id,
        file_name,
        media_type,
        size: input.size,
        sha256,
    };
    let event = register.write(&who.user_id.to_string(), |w| {
        w.record(EventBody::AttachmentAdded(record.clone()))
    })?;
    Ok(Attachment {
        id: record.attachment_id,
        file_name: record.file_name,
        media_type: record.media_type,
        size: record.size,
        sha256: record.sha256,
        added_at: event.at,
    })
}

/// A walk-in visit batch.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitInput {
    /// 来访时间; defaults to now.
    #[serde(default)]
    pub visited_at: Option<DateTime<Utc>>,
    /// 接待场所.
    #[serde(default)]
    pub place: Option<String>,
    /// 来访人数.
    pub visitor_count: u32,
    /// 代表人数 (≤ 5, Art. 20).
    #[serde(default)]
    pub representative_count: u32,
    /// 随访人.
    #[serde(default)]
    pub accompanying: Vec<String>,
    /// 是否越级.
    #[serde(default)]
    pub skipped_level: bool,
    /// The identified visitors (representatives marked).
    #[serde(default)]
    pub persons: Vec<PetitionerInput>,
    /// Note.
    #[serde(default)]
    pub note: Option<String>,
}

/// A recorded visit.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Visit {
    /// Id.
    pub id: Uuid,
    /// 来访时间.
    pub visited_at: DateTime<Utc>,
    /// 来访人数.
    pub visitor_count: u32,
    /// 代表人数.
    pub representative_count: u32,
    /// 集体访.
    pub is_group: bool,
    /// Who was identified.
    pub person_ids: Vec<Uuid>,
}

/// 登记来访.
pub fn visit_register(register: &mut Register, who: &Session, input: VisitInput) -> Result<Visit> {
    let settings = Settings::load(register.conn())?;
    let now = register.now();
    if input.visitor_count == 0 {
        return Err(Error::field(
            "out_of_range",
            "visitor_count",
            "来访人数至少为1人",
        ));
    }
    if input.representative_count > MAX_REPRESENTATIVES {
        return Err(Error::field(
            "too_many_representatives",
            "representative_count",
            format!(
                "多人走访应推选代表，代表人数不得超过5人（《信访工作条例》第二十条），当前为{}人",
                input.representative_count
            ),
        ));
    }
    let marked = input.persons.iter().filter(|p| p.is_representative).count() as u32;
    if marked > MAX_REPRESENTATIVES {
        return Err(Error::field(
            "too_many_representatives",
            "persons",
            format!("标记为代表的有{marked}人，代表人数不得超过5人（《信访工作条例》第二十条）"),
        ));
    }
    if input.representative_count > input.visitor_count {
        return Err(Error::field(
            "out_of_range",
            "representative_count",
            "代表人数不能多于来访人数",
        ));
    }
    if input.persons.len() as u32 > input.visitor_count {
        return Err(Error::field(
            "out_of_range",
            "visitor_count",
            "登记的来访人多于来访人数",
        ));
    }
    if input.persons.is_empty() {
        return Err(Error::field("required", "persons", "请至少登记一名来访人"));
    }
    let visited_at = input.visited_at.unwrap_or(now);
    let place = optional_text(input.place.as_deref(), "place", "接待场所", limits::ADDRESS)?;
    let note = optional_text(input.note.as_deref(), "note", "备注", limits::LONG_TEXT)?;
    let mut accompanying = Vec::new();
    for (idx, a) in input.accompanying.iter().enumerate() {
        if let Some(a) = optional_text(
            Some(a),
            &format!("accompanying[{idx}]"),
            "随访人",
            limits::ADDRESS,
        )? {
            accompanying.push(a);
        }
    }
    let visit_id = register.next_id();
    let is_group = input.visitor_count >= settings.group_visit_threshold;
    let representative_count = input.representative_count.max(marked);
    let first_contact_user = who.user_id;
    let person_ids = register.write(&who.user_id.to_string(), |w| {
        let persons = resolve_petitioners(w, &input.persons, &settings)?;
        let record = VisitRecord {
            visit_id,
            visited_at,
            place,
            visitor_count: input.visitor_count,
            representative_count,
            is_group,
            accompanying,
            skipped_level: input.skipped_level,
            first_contact_user,
            persons: persons
                .iter()
                .map(|(id, p)| VisitPersonRecord {
                    person_id: *id,
                    is_representative: p.is_representative,
                })
                .collect(),
            note,
        };
        w.record(EventBody::VisitRegistered(record))?;
        Ok(persons.into_iter().map(|(id, _)| id).collect::<Vec<_>>())
    })?;
    Ok(Visit {
        id: visit_id,
        visited_at,
        visitor_count: input.visitor_count,
        representative_count,
        is_group,
        person_ids,
    })
}
