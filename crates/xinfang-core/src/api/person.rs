//! Petitioners (信访人): registering, correcting and finding them, and the repeat check that
//! shows a clerk a returning person's earlier matters.

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Settings, limits, optional_text, parse_date, required_text, sex_code};
use crate::{
    Error, Result,
    auth::Session,
    clock::china_date,
    domain::{idcard, phone},
    events::{EventBody, PersonRecord},
    model::{IdType, MatterStatus},
    register::{Register, Writer},
};

/// A petitioner as typed by a clerk.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    /// 姓名 ★.
    pub name: String,
    /// 证件类型; defaults to 居民身份证 when a number is given.
    #[serde(default)]
    pub id_type: Option<IdType>,
    /// 证件号码.
    #[serde(default)]
    pub id_number: Option<String>,
    /// 民族.
    #[serde(default)]
    pub ethnicity: Option<String>,
    /// 联系电话 (mobile or landline).
    #[serde(default)]
    pub phone: Option<String>,
    /// 户籍地址.
    #[serde(default)]
    pub household_address: Option<String>,
    /// 现住址 ★ (or 户籍地址).
    #[serde(default)]
    pub current_address: Option<String>,
    /// 工作单位.
    #[serde(default)]
    pub workplace: Option<String>,
}

/// A petitioner as shown to staff.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Person {
    /// Id.
    pub id: Uuid,
    /// 姓名.
    pub name: String,
    /// 证件类型.
    pub id_type: IdType,
    /// 证件号码 (full; lists use `id_number_masked`).
    pub id_number: Option<String>,
    /// 证件号码, masked.
    pub id_number_masked: Option<String>,
    /// `male` / `female`.
    pub sex: Option<String>,
    /// 出生日期.
    pub birth_date: Option<NaiveDate>,
    /// 民族.
    pub ethnicity: Option<String>,
    /// 联系电话.
    pub phone: Option<String>,
    /// 联系电话, masked.
    pub phone_masked: Option<String>,
    /// 户籍地址.
    pub household_address: Option<String>,
    /// 现住址.
    pub current_address: Option<String>,
    /// 工作单位.
    pub workplace: Option<String>,
    /// Warnings that did not block saving (e.g. an unusual phone prefix).
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// Validates `input` into stored form. `prefix` is prepended to field names in errors
/// (`petitioners[1].`), so a form can point at the exact box.
pub fn validate_person(
    input: &PersonInput,
    prefix: &str,
    today: NaiveDate,
    settings: &Settings,
    person_id: Uuid,
) -> Result<(PersonRecord, Vec<String>)> {
    let field = |name: &str| format!("{prefix}{name}");
    let name = required_text(&input.name, &field("name"), "姓名", limits::NAME)?;
    let id_number = optional_text(
        input.id_number.as_deref(),
        &field("id_number"),
        "证件号码",
        32,
    )?;
    let id_type = input.id_type.unwrap_or(if id_number.is_some() {
        IdType::ResidentId
    } else {
        IdType::None
    });
    let mut sex = None;
    let mut birth_date = None;
    let id_number = match (id_type, id_number) {
        (IdType::ResidentId, Some(raw)) => {
            let parsed =
                idcard::parse_id_number(&raw, today, settings.legacy_policy()).map_err(|e| {
                    Error::field("invalid_id_number", field("id_number"), e.message_zh())
                })?;
            sex = Some(sex_code(parsed.sex()).to_owned());
            birth_date = Some(parsed.birth_date().to_string());
            Some(parsed.as_str().to_owned())
        }
        (IdType::None, Some(_)) => {
            return Err(Error::field(
                "invalid_id_type",
                field("id_type"),
                "填写了证件号码时请选择证件类型",
            ));
        }
        (_, other) => other.map(|n| n.to_uppercase()),
    };
    let mut warnings = Vec::new();
    let phone = match optional_text(input.phone.as_deref(), &field("phone"), "联系电话", 32)? {
        Some(raw) => {
            let parsed = phone::parse_phone(&raw)
                .map_err(|e| Error::field("invalid_phone", field("phone"), e.message_zh()))?;
            if let Some(warning) = parsed.warning_zh() {
                warnings.push(warning.to_owned());
            }
            Some(parsed.as_str().to_owned())
        }
        None => None,
    };
    let record = PersonRecord {
        person_id,
        name,
        id_type,
        id_number,
        sex,
        birth_date,
        ethnicity: optional_text(input.ethnicity.as_deref(), &field("ethnicity"), "民族", 20)?,
        phone,
        household_address: optional_text(
            input.household_address.as_deref(),
            &field("household_address"),
            "户籍地址",
            limits::ADDRESS,
        )?,
        current_address: optional_text(
            input.current_address.as_deref(),
            &field("current_address"),
            "现住址",
            limits::ADDRESS,
        )?,
        workplace: optional_text(
            input.workplace.as_deref(),
            &field("workplace"),
            "工作单位",
            limits::ADDRESS,
        )?,
    };
    Ok((record, warnings))
}

/// The id of the person holding `id_number`, if any.
pub(crate) fn person_id_by_id_number(conn: &Connection, id_number: &str) -> Result<Option<Uuid>> {
    let found: Option<String> = conn
        .prepare_cached("SELECT id FROM persons WHERE id_number = ?1")?
        .query_row([id_number], |r| r.get(0))
        .optional()?;
    Ok(found.and_then(|s| Uuid::parse_str(&s).ok()))
}

/// Records a new person, or — when the ID number is already registered — updates that person
/// with whatever the clerk typed now and returns their id. A returning visitor is the same 信访人.
pub fn register_or_update_person(w: &mut Writer<'_>, mut record: PersonRecord) -> Result<Uuid> {
    if let Some(number) = record.id_number.clone()
        && let Some(existing) = person_id_by_id_number(w.conn(), &number)?
    {
        let stored = person_record(w.conn(), existing)?;
        record.person_id = existing;
        let merged = merge_person(stored.clone(), record);
        if merged != stored {
            w.record(EventBody::PersonUpdated(merged))?;
        }
        return Ok(existing);
    }
    let id = record.person_id;
    w.record(EventBody::PersonRegistered(record))?;
    Ok(id)
}

/// Contact details typed now win (people move and change numbers); fields left blank keep what
/// was stored. The name stays as registered: the ID number says who this is, and a name typed
/// differently at a busy desk is far more often a slip than a change of name, which is made
/// deliberately with `person_update`.
fn merge_person(stored: PersonRecord, new: PersonRecord) -> PersonRecord {
    PersonRecord {
        person_id: stored.person_id,
        name: stored.name,
        id_type: stored.id_type,
        id_number: new.id_number.or(stored.id_number),
        sex: new.sex.or(stored.sex),
        birth_date: new.birth_date.or(stored.birth_date),
        ethnicity: new.ethnicity.or(stored.ethnicity),
        phone: new.phone.or(stored.phone),
        household_address: new.household_address.or(stored.household_address),
        current_address: new.current_address.or(stored.current_address),
        workplace: new.workplace.or(stored.workplace),
    }
}

/// The stored record of a person.
pub(crate) fn person_record(conn: &Connection, id: Uuid) -> Result<PersonRecord> {
    conn.prepare_cached(
        "SELECT id, name, id_type, id_number, sex, birth_date, ethnicity, phone,
           household_address, current_address, workplace FROM persons WHERE id = ?1",
    )?
    .query_row([id.to_string()], |r| {
        let id_type: String = r.get(2)?;
        Ok(PersonRecord {
            person_id: id,
            name: r.get(1)?,
            id_type: IdType::from_code(&id_type).unwrap_or(IdType::Other),
            id_number: r.get(3)?,
            sex: r.get(4)?,
            birth_date: r.get(5)?,
            ethnicity: r.get(6)?,
            phone: r.get(7)?,
            household_address: r.get(8)?,
            current_address: r.get(9)?,
            workplace: r.get(10)?,
        })
    })
    .optional()?
    .ok_or_else(|| Error::NotFound {
        what: "信访人",
        id: id.to_string(),
    })
}

/// The display form of a stored person.
pub(crate) fn person_view(record: PersonRecord, warnings: Vec<String>) -> Person {
    Person {
        id: record.person_id,
        id_number_masked: record.id_number.as_deref().map(mask_id_number),
        phone_masked: record.phone.as_deref().map(mask_phone),
        name: record.name,
        id_type: record.id_type,
        id_number: record.id_number,
        sex: record.sex,
        birth_date: record.birth_date.as_deref().and_then(parse_date),
        ethnicity: record.ethnicity,
        phone: record.phone,
        household_address: record.household_address,
        current_address: record.current_address,
        workplace: record.workplace,
        warnings,
    }
}

/// `110105********002X`: keeps the region and the last four, hides the birth date.
pub fn mask_id_number(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    if chars.len() <= 10 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 10))
}

/// `138****5678` / `0571-****5678`.
pub fn mask_phone(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    if chars.len() < 7 {
        return "*".repeat(chars.len());
    }
    let keep_head = if number.contains('-') {
        number.find('-').unwrap_or(3) + 1
    } else {
        3
    };
    let head: String = chars[..keep_head].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// 登记信访人. Refuses an ID number that is already registered (look the person up instead).
pub fn person_register(
    register: &mut Register,
    who: &Session,
    input: PersonInput,
) -> Result<Person> {
    let settings = Settings::load(register.conn())?;
    let today = china_date(register.now());
    let id = register.next_id();
    let (record, warnings) = validate_person(&input, "", today, &settings, id)?;
    if let Some(number) = &record.id_number
        && let Some(existing) = person_id_by_id_number(register.conn(), number)?
    {
        let name = person_record(register.conn(), existing)?.name;
        return Err(Error::Conflict {
            field: "id_number".into(),
            message: format!("该证件号码已登记为“{name}”，请从查询结果中选择此人"),
        });
    }
    register.write(&who.user_id.to_string(), |w| {
        w.record(EventBody::PersonRegistered(record.clone()))?;
        Ok(())
    })?;
    Ok(person_view(record, warnings))
}

/// Corrected details of a person.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonUpdateInput {
    /// Whom.
    pub person_id: Uuid,
    /// The whole new record.
    pub person: PersonInput,
}

/// 修改信访人信息.
pub fn person_update(
    register: &mut Register,
    who: &Session,
    input: PersonUpdateInput,
) -> Result<Person> {
    person_record(register.conn(), input.person_id)?;
    let settings = Settings::load(register.conn())?;
    let today = china_date(register.now());
    let (record, warnings) =
        validate_person(&input.person, "person.", today, &settings, input.person_id)?;
    if let Some(number) = &record.id_number
        && let Some(existing) = person_id_by_id_number(register.conn(), number)?
        && existing != input.person_id
    {
        return Err(Error::Conflict {
            field: "person.id_number".into(),
            message: "该证件号码已登记为另一信访人".into(),
        });
    }
    register.write(&who.user_id.to_string(), |w| {
        w.record(EventBody::PersonUpdated(record.clone()))?;
        Ok(())
    })?;
    Ok(person_view(record, warnings))
}

/// One person by id.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonGetInput {
    /// Id.
    pub person_id: Uuid,
}

/// A person with every matter they are a petitioner of.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PersonWithMatters {
    /// The person.
    pub person: Person,
    /// Their matters, newest first.
    pub matters: Vec<MatterBrief>,
    /// How many of them are still open (not 办结/不予受理/不再受理).
    pub open_count: u32,
    /// 是否重复信访人: they already have at least one matter here.
    pub is_returning: bool,
}

/// A matter in a person's history.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MatterBrief {
    /// Id.
    pub id: Uuid,
    /// 信访件编号.
    pub number: String,
    /// 信访日期.
    pub received_date: NaiveDate,
    /// 信访形式 name.
    pub channel_name: String,
    /// 事项类别 code.
    pub matter_class: String,
    /// 事项类别 name.
    pub matter_class_name: String,
    /// 状态.
    pub status: MatterStatus,
    /// 状态 name.
    pub status_name: String,
    /// 概况.
    pub summary: String,
    /// 重复件.
    pub is_repeat: bool,
}

/// 信访人详情.
pub fn person_get(
    register: &mut Register,
    who: &Session,
    input: PersonGetInput,
) -> Result<PersonWithMatters> {
    let record = person_record(register.conn(), input.person_id)?;
    with_matters(register, who, record)
}

/// The person with the matters `who` may see: 检举控告 only for those cleared for it.
fn with_matters(
    register: &Register,
    who: &Session,
    record: PersonRecord,
) -> Result<PersonWithMatters> {
    let mut matters = matters_of_person(register, record.person_id)?;
    if !super::cleared_for_accusations(who) {
        matters.retain(|m| m.matter_class != "accusation");
    }
    let open_count = matters
        .iter()
        .filter(|m| {
            !matches!(
                m.status,
                MatterStatus::Closed | MatterStatus::NotAccepted | MatterStatus::NoLongerAccepted
            )
        })
        .count() as u32;
    Ok(PersonWithMatters {
        is_returning: !matters.is_empty(),
        person: person_view(record, Vec::new()),
        matters,
        open_count,
    })
}

fn matters_of_person(register: &Register, person_id: Uuid) -> Result<Vec<MatterBrief>> {
    let codes = register.codes();
    let mut stmt = register.conn().prepare_cached(
        "SELECT m.id, m.number, m.received_date, m.channel, m.matter_class, m.status, m.summary,
           m.is_repeat FROM matter_persons mp JOIN matters m ON m.id = mp.matter_id
         WHERE mp.person_id = ?1 ORDER BY m.rid DESC",
    )?;
    let rows = stmt.query_map([person_id.to_string()], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, String>(6)?,
            r.get::<_, bool>(7)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, number, date, channel, class, status, summary, is_repeat) = row?;
        let status = MatterStatus::from_code(&status).unwrap_or(MatterStatus::Registered);
        out.push(MatterBrief {
            id: Uuid::parse_str(&id).unwrap_or_default(),
            number,
            received_date: parse_date(&date).unwrap_or_default(),
            channel_name: super::code_name(
                codes,
                crate::domain::codes::CodeTable::Channels,
                &channel,
            ),
            matter_class_name: super::code_name(
                codes,
                crate::domain::codes::CodeTable::MatterClasses,
                &class,
            ),
            matter_class: class,
            status,
            status_name: status.name_zh().to_owned(),
            summary,
            is_repeat,
        });
    }
    Ok(out)
}

/// How to find a person: by ID number, by phone, or by name (optionally with part of an address).
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonLookupInput {
    /// 证件号码 (exact, after normalising).
    #[serde(default)]
    pub id_number: Option<String>,
    /// 联系电话 (exact, after normalising).
    #[serde(default)]
    pub phone: Option<String>,
    /// 姓名 (exact).
    #[serde(default)]
    pub name: Option<String>,
    /// Part of the 户籍地址 or 现住址, to narrow a name search.
    #[serde(default)]
    pub address: Option<String>,
}

/// 查找信访人 / 重复信访检查: the matching persons, each with their earlier matters and status.
pub fn person_lookup(
    register: &mut Register,
    who: &Session,
    input: PersonLookupInput,
) -> Result<Vec<PersonWithMatters>> {
    let mut ids: Vec<String> = Vec::new();
    let conn = register.conn();
    if let Some(raw) = optional_text(input.id_number.as_deref(), "id_number", "证件号码", 32)? {
        let settings = Settings::load(conn)?;
        // Any document type: try the normalised resident-ID form first, then the raw text.
        let number = match idcard::parse_id_number(
            &raw,
            china_date(register.now()),
            settings.legacy_policy(),
        ) {
            Ok(parsed) => parsed.as_str().to_owned(),
            Err(e)
                if raw
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == 'x' || c == 'X') =>
            {
                return Err(Error::field(
                    "invalid_id_number",
                    "id_number",
                    e.message_zh(),
                ));
            }
            Err(_) => raw.to_uppercase(),
        };
        ids.extend(query_ids(
            conn,
            "SELECT id FROM persons WHERE id_number = ?1",
            &[&number],
        )?);
    } else if let Some(raw) = optional_text(input.phone.as_deref(), "phone", "联系电话", 32)? {
        let parsed = phone::parse_phone(&raw)
            .map_err(|e| Error::field("invalid_phone", "phone", e.message_zh()))?;
        ids.extend(query_ids(
            conn,
            "SELECT id FROM persons WHERE phone = ?1 ORDER BY updated_at DESC LIMIT 50",
            &[&parsed.as_str()],
        )?);
    } else if let Some(name) = optional_text(input.name.as_deref(), "name", "姓名", limits::NAME)?
    {
        match optional_text(input.address.as_deref(), "address", "住址", limits::ADDRESS)? {
            Some(address) => {
                let pattern = format!("%{}%", escape_like(&address));
                ids.extend(query_ids(
                    conn,
                    "SELECT id FROM persons WHERE name = ?1 AND (household_address LIKE ?2
                       ESCAPE '\\' OR current_address LIKE ?2 ESCAPE '\\')
                     ORDER BY updated_at DESC LIMIT 50",
                    &[&name, &pattern],
                )?);
            }
            None => ids.extend(query_ids(
                conn,
                "SELECT id FROM persons WHERE name = ?1 ORDER BY updated_at DESC LIMIT 50",
                &[&name],
            )?),
        }
    } else {
        return Err(Error::field(
            "required",
            "id_number",
            "请输入证件号码、联系电话或姓名中的至少一项",
        ));
    }
    let mut out = Vec::new();
    for id in ids {
        let id = Uuid::parse_str(&id).map_err(|e| Error::Internal(e.to_string()))?;
        let record = person_record(register.conn(), id)?;
        out.push(with_matters(register, who, record)?);
    }
    Ok(out)
}

fn query_ids(conn: &Connection, sql: &str, params: &[&dyn rusqlite::ToSql]) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let ids = stmt
        .query_map(params, |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(ids)
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
pub(crate) fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}
