//! Documents from a case: which notices, opinions and letters to units the case's steps call
//! for, their fields filled from the register (never typed by hand), preview with a watermark,
//! issue (the exact PDF identified by its SHA-256 and template version, recorded), and print
//! through the printer the adapter provides, every print logged with 补打 marked.
//!
//! The wording and layout are `xinfang-letters`' business; this module only gathers the facts.

use std::collections::BTreeMap;

use base64::Engine as _;
use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use xinfang_letters::{DocKind, FieldValue, LetterData, RenderOptions};

use super::{Settings, code_name, limits, matter_view, optional_text, parse_date};
use crate::{
    Error, Result,
    auth::Session,
    clock::china_date,
    domain::codes::CodeTable,
    events::{EventBody, LetterRecord, StepDetail},
    model::{MatterStatus, StepKind},
    register::Register,
};

/// The 查询码 a petitioner is given: eight digits derived from the matter id, so it needs no
/// storage, cannot be guessed from the case number, and is the same on every desk.
pub fn query_code(matter_id: Uuid) -> String {
    let digest = Sha256::digest(matter_id.as_bytes());
    let n = u64::from_be_bytes([
        digest[0], digest[1], digest[2], digest[3], digest[4], digest[5], digest[6], digest[7],
    ]) % 100_000_000;
    format!("{:04}-{:04}", n / 10_000, n % 10_000)
}

/// Which document, for which step.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LetterInput {
    /// The matter.
    pub matter_id: Uuid,
    /// Document kind code (`acceptance_notice` …).
    pub kind: String,
    /// The step it belongs to (default: the latest step of the matching kind).
    #[serde(default)]
    pub step_id: Option<Uuid>,
}

/// A document the case calls for.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct LetterOption {
    /// Kind code.
    pub kind: String,
    /// 名称 (受理告知书 …).
    pub name: String,
    /// The step it belongs to.
    pub step_id: Option<Uuid>,
    /// What it is for, e.g. `转送：县人社局`.
    pub label: String,
    /// Fields still missing (their Chinese labels); empty when it can be issued.
    pub missing: Vec<String>,
    /// Issued before (how many times).
    pub issued: u32,
}

/// A rendered document.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct LetterOutput {
    /// The issued document (None for a preview).
    pub letter_id: Option<Uuid>,
    /// Kind code.
    pub kind: String,
    /// 名称.
    pub name: String,
    /// Suggested file name.
    pub file_name: String,
    /// The PDF, base64.
    pub pdf_base64: String,
    /// SHA-256 of the PDF.
    pub sha256: String,
    /// 文书校验码 printed on the page.
    pub content_hash: String,
    /// Template version.
    pub template_version: String,
    /// Pages.
    pub pages: u32,
}

/// An issued document with its prints.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct IssuedLetter {
    /// Id.
    pub id: Uuid,
    /// Kind code.
    pub kind: String,
    /// 名称.
    pub name: String,
    /// SHA-256 of the PDF.
    pub sha256: String,
    /// Template version.
    pub template_version: String,
    /// Pages.
    pub pages: u32,
    /// When (UTC, RFC 3339).
    pub issued_at: String,
    /// Who.
    pub issued_by: String,
    /// Prints: when, who, printer, copies, 补打.
    pub prints: Vec<LetterPrint>,
}

/// One print of a document.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct LetterPrint {
    /// When (UTC, RFC 3339).
    pub at: String,
    /// Who.
    pub actor_name: String,
    /// Printer.
    pub printer: String,
    /// 份数.
    pub copies: u32,
    /// 补打.
    pub reprint: bool,
}

fn kind_of(code: &str) -> Result<DocKind> {
    DocKind::from_code(code)
        .ok_or_else(|| Error::field("unknown_code", "kind", format!("没有“{code}”这种文书")))
}

/// The step kind each document belongs to.
fn step_kind_for(kind: DocKind) -> Option<StepKind> {
    Some(match kind {
        DocKind::AcceptanceNotice => StepKind::Accept,
        DocKind::NonAcceptanceNotice => StepKind::NotAccept,
        DocKind::NoLongerAcceptedNotice => StepKind::NoLongerAccept,
        DocKind::ForwardLetter => StepKind::Forward,
        DocKind::AssignmentSheet => StepKind::Assign,
        DocKind::ExtensionNotice => StepKind::Extend,
        DocKind::HandlingOpinion => StepKind::Answer,
        DocKind::ReviewOpinion => StepKind::ReviewOpinion,
        DocKind::RecheckOpinion => StepKind::RecheckOpinion,
        DocKind::UrgeLetter => StepKind::Urge,
        DocKind::SuperviseLetter => StepKind::Supervise,
        _ => return None,
    })
}

fn doc_for_step(kind: StepKind) -> Option<DocKind> {
    DocKind::ALL
        .into_iter()
        .find(|d| step_kind_for(*d) == Some(kind))
}

/// A recorded step as the letters need it.
#[derive(Debug, Clone)]
struct StepFacts {
    id: Uuid,
    kind: StepKind,
    unit: Option<String>,
    note: Option<String>,
    actor_name: String,
    detail: StepDetail,
    at_date: NaiveDate,
}

fn steps(conn: &Connection, matter_id: Uuid) -> Result<Vec<StepFacts>> {
    let mut stmt = conn.prepare_cached(
        "SELECT s.id, s.kind, s.unit, s.note, coalesce(u.display_name, s.actor), s.detail, s.at
         FROM handling_steps s LEFT JOIN users u ON u.id = s.actor
         WHERE s.matter_id = ?1 ORDER BY s.at, s.id",
    )?;
    let rows = stmt.query_map([matter_id.to_string()], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, Option<String>>(5)?,
            r.get::<_, String>(6)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, kind, unit, note, actor_name, detail, at) = row?;
        let Some(kind) = StepKind::from_code(&kind) else {
            continue;
        };
        let at = chrono::DateTime::parse_from_rfc3339(&at)
            .map_err(|e| Error::Internal(format!("bad time {at}: {e}")))?
            .with_timezone(&chrono::Utc);
        out.push(StepFacts {
            id: Uuid::parse_str(&id).map_err(|e| Error::Internal(e.to_string()))?,
            kind,
            unit,
            note,
            actor_name,
            detail: detail
                .and_then(|d| serde_json::from_str(&d).ok())
                .unwrap_or_default(),
            at_date: china_date(at),
        });
    }
    Ok(out)
}

/// The due date of the latest clock of `kind` on a matter.
fn clock_due(conn: &Connection, matter_id: Uuid, kind: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT due_date FROM matter_clocks WHERE matter_id = ?1 AND +kind = ?2
             ORDER BY started_at DESC, id DESC LIMIT 1",
            rusqlite::params![matter_id.to_string(), kind],
            |r| r.get(0),
        )
        .optional()?)
}

/// What the documents of a matter may be built from.
struct Facts {
    matter: super::Matter,
    petitioner: Option<(String, Option<String>)>,
    steps: Vec<StepFacts>,
    issuer: String,
    phone: String,
    review_body: String,
    today: NaiveDate,
}

fn facts(register: &Register, matter_id: Uuid) -> Result<Facts> {
    let matter = matter_view(register, matter_id)?;
    let conn = register.conn();
    let settings = Settings::load(conn)?;
    let petitioner: Option<(String, Option<String>)> = conn
        .query_row(
            "SELECT p.name, p.phone FROM matter_persons mp JOIN persons p ON p.id = mp.person_id
             WHERE mp.matter_id = ?1 ORDER BY mp.position LIMIT 1",
            [matter_id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let count: i64 = conn.query_row(
        "SELECT count(*) FROM matter_persons WHERE matter_id = ?1",
        [matter_id.to_string()],
        |r| r.get(0),
    )?;
    // Several petitioners: the first named and 等 (domain.md §4).
    let petitioner = petitioner.map(|(name, phone)| {
        if count > 1 {
            (format!("{name}等"), phone)
        } else {
            (name, phone)
        }
    });
    let issuer = if settings.issuer_name.trim().is_empty() {
        register.centre()?.name.clone()
    } else {
        settings.issuer_name.trim().to_owned()
    };
    Ok(Facts {
        steps: steps(conn, matter_id)?,
        matter,
        petitioner,
        issuer,
        phone: settings.contact_phone.trim().to_owned(),
        review_body: settings.default_review_body.trim().to_owned(),
        today: china_date(register.now()),
    })
}

/// Builds the field map of `kind` for `step` (which must be of the kind the document needs).
fn build(
    register: &Register,
    f: &Facts,
    kind: DocKind,
    step: Option<&StepFacts>,
) -> Result<LetterData> {
    let conn = register.conn();
    let m = &f.matter;
    let mut fields: BTreeMap<String, FieldValue> = BTreeMap::new();
    let mut put = |name: &str, value: Option<String>| {
        if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
            fields.insert(name.to_owned(), FieldValue::Text(v));
        }
    };
    let received = china_date(m.received_at).to_string();
    let rec = || Some(received.clone());
    let name = f.petitioner.as_ref().map(|p| p.0.clone());
    let phone = f.petitioner.as_ref().and_then(|p| p.1.clone());
    let summary = summary_phrase(&m.summary);
    let channel = code_name(register.codes(), CodeTable::Channels, &m.channel);
    let effective = step
        .and_then(|s| s.detail.effective_on)
        .map(|d| d.to_string());
    put("case_number", Some(m.number.clone()));
    put("query_code", Some(query_code(m.id)));
    put("issuer", Some(f.issuer.clone()));
    put("issue_date", Some(f.today.to_string()));
    let contact = (!f.phone.is_empty()).then(|| f.phone.clone());
    let accusation = m.matter_class == "accusation";
    let answer_of = |kind: StepKind| f.steps.iter().rev().find(|s| s.kind == kind);
    match kind {
        DocKind::VisitReceipt => {
            put("petitioner_name", name);
            put("visit_date", rec());
            put("summary", Some(summary));
            put("forward_to", m.current_unit.clone());
            put("receiver", Some(m.registered_by_name.clone()));
            put("contact_phone", contact);
        }
        DocKind::AcceptanceNotice => {
            put("petitioner_name", name);
            put("petition_date", rec());
            put("channel", Some(channel));
            put("summary", Some(summary));
            put("received_date", rec());
            put("forwarded_by", None);
            let route = step
                .and_then(|s| s.detail.statutory_path.clone())
                .unwrap_or_else(|| "按照《信访工作条例》规定的信访程序办理".to_owned());
            put("route", Some(route));
            let due = clock_due(conn, m.id, "D5")?.or(clock_due(conn, m.id, "S2")?);
            put("due_date", due);
            put("contact_phone", contact);
        }
        DocKind::NonAcceptanceNotice => {
            put("petitioner_name", name);
            put("petition_date", rec());
            put("summary", Some(summary));
            put("reason", step.and_then(|s| s.detail.reason.clone()));
            put(
                "legal_basis",
                Some(
                    step.and_then(|s| s.detail.legal_basis.clone())
                        .unwrap_or_else(|| "《信访工作条例》第三十一条".to_owned()),
                ),
            );
            put(
                "proper_channel",
                step.and_then(|s| s.detail.proper_channel.clone()),
            );
            put("contact_phone", contact);
        }
        DocKind::NoLongerAcceptedNotice => {
            put("petitioner_name", name);
            put("petition_date", rec());
            put("summary", Some(summary));
            // The body and date of the 复核意见 on the earlier matter this one repeats.
            if let Some(earlier) = m.repeat_of {
                let earlier_steps = steps(conn, earlier)?;
                let request = earlier_steps
                    .iter()
                    .rev()
                    .find(|s| s.kind == StepKind::RecheckRequest);
                let opinion = earlier_steps
                    .iter()
                    .rev()
                    .find(|s| s.kind == StepKind::RecheckOpinion);
                put("recheck_body", request.and_then(|s| s.unit.clone()));
                put(
                    "recheck_date",
                    opinion
                        .and_then(|s| s.detail.effective_on)
                        .map(|d| d.to_string()),
                );
            }
            put("contact_phone", contact);
        }
        DocKind::ForwardLetter | DocKind::AssignmentSheet => {
            put("recipient_unit", step.and_then(|s| s.unit.clone()));
            put("received_date", rec());
            put("channel", Some(channel));
            // 检举控告: the reporter's identity never goes to a unit (Art. 30(3)).
            if !accusation {
                put("petitioner_name", name);
                put("petitioner_contact", phone);
            }
            put("summary", Some(summary));
            put("request", Some(m.request.clone()));
            // The receiver's 15 days run from the day it receives the letter; the clock started
            // on the sending day is the best date the sender knows.
            let due = effective.as_ref().and_then(|on| {
                parse_date(on).and_then(|d| d.checked_add_days(chrono::Days::new(15)))
            });
            put("deadline", due.map(|d| d.to_string()));
            if kind == DocKind::AssignmentSheet {
                put(
                    "feedback_date",
                    step.and_then(|s| s.detail.due_by).map(|d| d.to_string()),
                );
            }
            let files: i64 = conn.query_row(
                "SELECT count(*) FROM attachments WHERE matter_id = ?1",
                [m.id.to_string()],
                |r| r.get(0),
            )?;
            if files > 0 && !accusation {
                put("attachment_count", Some(files.to_string()));
            }
            put("contact_person", step.map(|s| s.actor_name.clone()));
            put("contact_phone", contact);
        }
        DocKind::ExtensionNotice => {
            put("petitioner_name", name);
            put("summary", Some(summary));
            let accepted = answer_of(StepKind::Accept).and_then(|s| s.detail.effective_on);
            put("accepted_date", accepted.map(|d| d.to_string()));
            put("original_due_date", clock_due(conn, m.id, "D5")?);
            put("reason", step.and_then(|s| s.detail.reason.clone()));
            put("approver", step.and_then(|s| s.detail.approver.clone()));
            put("new_due_date", clock_due(conn, m.id, "D6")?);
            put("contact_phone", contact);
        }
        DocKind::HandlingOpinion | DocKind::ReviewOpinion | DocKind::RecheckOpinion => {
            put("petitioner_name", name);
            let d = step.map(|s| s.detail.clone()).unwrap_or_default();
            put("facts", d.facts.clone());
            put(
                "legal_basis",
                d.legal_basis.clone().or_else(|| basis_from_items(&d)),
            );
            let rows: Vec<BTreeMap<String, String>> = d
                .items
                .iter()
                .map(|i| {
                    BTreeMap::from([
                        ("item".to_owned(), i.item.clone()),
                        ("decision".to_owned(), i.outcome.name_zh().to_owned()),
                        ("reason".to_owned(), i.basis.clone().unwrap_or_default()),
                    ])
                })
                .collect();
            if !rows.is_empty() {
                fields.insert("items".to_owned(), FieldValue::List(rows));
            }
            let mut put = |name: &str, value: Option<String>| {
                if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
                    fields.insert(name.to_owned(), FieldValue::Text(v));
                }
            };
            let next = d.next_body.clone().or_else(|| Some(f.review_body.clone()));
            match kind {
                DocKind::HandlingOpinion => {
                    put("petition_date", rec());
                    put("channel", Some(channel));
                    put("received_date", rec());
                    let accepted = answer_of(StepKind::Accept).and_then(|s| s.detail.effective_on);
                    put("accepted_date", accepted.map(|d| d.to_string()));
                    put("request", Some(m.request.clone()));
                    put("review_body", next);
                }
                DocKind::ReviewOpinion => {
                    let original = answer_of(StepKind::Answer);
                    put("original_body", Some(f.issuer.clone()));
                    put(
                        "original_date",
                        original
                            .and_then(|s| s.detail.effective_on)
                            .map(|d| d.to_string()),
                    );
                    let request = answer_of(StepKind::ReviewRequest);
                    put(
                        "review_request_date",
                        request
                            .and_then(|s| s.detail.effective_on)
                            .map(|d| d.to_string()),
                    );
                    put("request", Some(m.request.clone()));
                    put("conclusion", d.opinion);
                    put("recheck_body", next);
                }
                _ => {
                    let review = answer_of(StepKind::ReviewOpinion);
                    put(
                        "review_body",
                        answer_of(StepKind::ReviewRequest).and_then(|s| s.unit.clone()),
                    );
                    put(
                        "review_date",
                        review
                            .and_then(|s| s.detail.effective_on)
                            .map(|d| d.to_string()),
                    );
                    let request = answer_of(StepKind::RecheckRequest);
                    put(
                        "recheck_request_date",
                        request
                            .and_then(|s| s.detail.effective_on)
                            .map(|d| d.to_string()),
                    );
                    put("request", Some(m.request.clone()));
                    put("conclusion", d.opinion);
                }
            }
        }
        DocKind::UrgeLetter | DocKind::SuperviseLetter => {
            put("recipient_unit", step.and_then(|s| s.unit.clone()));
            put("summary", Some(summary));
            let sent = f
                .steps
                .iter()
                .rev()
                .find(|s| matches!(s.kind, StepKind::Forward | StepKind::Assign));
            put(
                "forwarded_date",
                sent.and_then(|s| s.detail.effective_on)
                    .map(|d| d.to_string())
                    .or_else(rec),
            );
            put(
                "feedback_date",
                step.and_then(|s| s.detail.due_by).map(|d| d.to_string()),
            );
            if kind == DocKind::UrgeLetter {
                let due = clock_due(conn, m.id, "D5")?
                    .or(clock_due(conn, m.id, "D3")?)
                    .or(clock_due(conn, m.id, "D1")?);
                put("due_date", due);
            } else {
                put("problem", Some(overdue_text(register, m.id)?));
                put("requirements", step.and_then(|s| s.note.clone()));
            }
            put("contact_person", step.map(|s| s.actor_name.clone()));
            put("contact_phone", contact);
        }
        DocKind::Ticket | DocKind::InterviewRecord => {
            return Err(Error::field(
                "not_applicable",
                "kind",
                "排队凭条和接谈记录由来访接待（候访、接谈）出具",
            ));
        }
        DocKind::WorkReport => {
            return Err(Error::field(
                "not_applicable",
                "kind",
                "信访工作报告在“考核指标”中按月、按年生成",
            ));
        }
    }
    Ok(LetterData { kind, fields })
}

/// The 概况 as a phrase that follows “反映”: "反映拖欠工资问题" → "拖欠工资问题".
fn summary_phrase(summary: &str) -> String {
    let s = summary.trim();
    s.strip_prefix("反映")
        .unwrap_or(s)
        .trim_end_matches('。')
        .to_owned()
}

fn basis_from_items(d: &StepDetail) -> Option<String> {
    let parts: Vec<&str> = d
        .items
        .iter()
        .filter_map(|i| i.basis.as_deref())
        .filter(|b| !b.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join("；"))
}

/// What is overdue on a matter, in a sentence for the 督办函.
fn overdue_text(register: &Register, matter_id: Uuid) -> Result<String> {
    let clocks = super::supervision::clocks_of(register, matter_id)?;
    let late: Vec<String> = clocks
        .iter()
        .filter(|c| c.state == Some(crate::domain::deadline::ClockState::Overdue))
        .map(|c| format!("{}已于{}届满", c.kind_name, c.due))
        .collect();
    Ok(if late.is_empty() {
        "该事项办理进度滞后，尚未按要求反馈办理情况".to_owned()
    } else {
        format!("该事项{}，至今未办结", late.join("，"))
    })
}

/// The labels of required fields `data` lacks.
fn missing(data: &LetterData) -> Vec<String> {
    xinfang_letters::fields(data.kind)
        .into_iter()
        .filter(|spec| spec.required && !data.fields.contains_key(&spec.name))
        .map(|spec| spec.label)
        .collect()
}

fn issued_count(conn: &Connection, matter_id: Uuid, kind: &str, step: Option<Uuid>) -> Result<u32> {
    Ok(conn.query_row(
        "SELECT count(*) FROM letters WHERE matter_id = ?1 AND kind = ?2
           AND coalesce(step_id, '') = coalesce(?3, '')",
        rusqlite::params![matter_id.to_string(), kind, step.map(|s| s.to_string())],
        |r| r.get(0),
    )?)
}

/// 可出具的文书.
pub fn letter_options(
    register: &mut Register,
    who: &Session,
    input: super::MatterGetInput,
) -> Result<Vec<LetterOption>> {
    let id = input
        .matter_id
        .ok_or_else(|| Error::required("matter_id", "信访事项"))?;
    super::check_confidential(register.conn(), who, id)?;
    let f = facts(register, id)?;
    let mut out = Vec::new();
    let mut add = |kind: DocKind, step: Option<&StepFacts>, label: String| -> Result<()> {
        let data = build(register, &f, kind, step)?;
        out.push(LetterOption {
            kind: kind.code().to_owned(),
            name: kind.name_zh().to_owned(),
            step_id: step.map(|s| s.id),
            label,
            missing: missing(&data),
            issued: issued_count(register.conn(), id, kind.code(), step.map(|s| s.id))?,
        });
        Ok(())
    };
    if f.matter.channel == "visit" {
        add(DocKind::VisitReceipt, None, "来访登记".to_owned())?;
    }
    for step in &f.steps {
        if let Some(kind) = doc_for_step(step.kind) {
            let label = match &step.unit {
                Some(unit) => format!("{}：{unit}（{}）", step.kind.name_zh(), step.at_date),
                None => format!("{}（{}）", step.kind.name_zh(), step.at_date),
            };
            add(kind, Some(step), label)?;
        }
    }
    Ok(out)
}

fn resolve(
    register: &mut Register,
    input: &LetterInput,
) -> Result<(DocKind, LetterData, Option<Uuid>)> {
    let kind = kind_of(&input.kind)?;
    let f = facts(register, input.matter_id)?;
    let step = match (step_kind_for(kind), input.step_id) {
        (None, _) => None,
        (Some(_), Some(id)) => Some(
            f.steps
                .iter()
                .find(|s| s.id == id)
                .ok_or_else(|| Error::field("not_found", "step_id", "所选办理步骤不存在"))?,
        ),
        (Some(needed), None) => Some(f.steps.iter().rev().find(|s| s.kind == needed).ok_or_else(
            || {
                Error::field(
                    "not_applicable",
                    "kind",
                    format!(
                        "本事项没有“{}”记录，不能出具{}",
                        needed.name_zh(),
                        kind.name_zh()
                    ),
                )
            },
        )?),
    };
    if let Some(s) = step
        && step_kind_for(kind) != Some(s.kind)
    {
        return Err(Error::field(
            "not_applicable",
            "step_id",
            format!("{}不能依据“{}”步骤出具", kind.name_zh(), s.kind.name_zh()),
        ));
    }
    if kind == DocKind::NoLongerAcceptedNotice && f.matter.status != MatterStatus::NoLongerAccepted
    {
        return Err(Error::field(
            "not_applicable",
            "kind",
            "本事项未作不再受理决定",
        ));
    }
    let data = build(register, &f, kind, step)?;
    Ok((kind, data, step.map(|s| s.id)))
}

pub(crate) fn render(
    register: &mut Register,
    data: &LetterData,
    preview: bool,
) -> Result<xinfang_letters::Rendered> {
    let engine = register.letters()?;
    engine
        .render(
            data,
            &RenderOptions {
                preview,
                ..RenderOptions::default()
            },
        )
        .map_err(|e| Error::field(e.code(), e.field().unwrap_or("kind"), e.message_zh()))
}

/// The 文书校验码 as printed on the page (the first digits of the content hash).
fn short_hash(full: &str) -> String {
    full.chars().take(xinfang_letters::SHORT_HASH_LEN).collect()
}

fn output(
    kind: DocKind,
    number: &str,
    letter_id: Option<Uuid>,
    rendered: xinfang_letters::Rendered,
) -> LetterOutput {
    LetterOutput {
        letter_id,
        kind: kind.code().to_owned(),
        name: kind.name_zh().to_owned(),
        file_name: format!("{number}-{}.pdf", kind.name_zh()),
        pdf_base64: base64::engine::general_purpose::STANDARD.encode(&rendered.pdf),
        sha256: rendered.sha256,
        content_hash: short_hash(&rendered.content_hash),
        template_version: rendered.template_version,
        pages: rendered.pages as u32,
    }
}

/// 预览: the document with a 预览 watermark; nothing is recorded.
pub fn letter_preview(
    register: &mut Register,
    who: &Session,
    input: LetterInput,
) -> Result<LetterOutput> {
    super::check_confidential(register.conn(), who, input.matter_id)?;
    let (kind, data, _) = resolve(register, &input)?;
    let number = matter_view(register, input.matter_id)?.number;
    let rendered = render(register, &data, true)?;
    Ok(output(kind, &number, None, rendered))
}

/// 出具: the final document; its SHA-256 and template version are recorded with the fields it
/// was made from, so a later print reproduces exactly these bytes.
pub fn letter_issue(
    register: &mut Register,
    who: &Session,
    input: LetterInput,
) -> Result<LetterOutput> {
    super::check_confidential(register.conn(), who, input.matter_id)?;
    let (kind, data, step_id) = resolve(register, &input)?;
    let number = matter_view(register, input.matter_id)?.number;
    let rendered = render(register, &data, false)?;
    let letter_id = register.next_id();
    let record = LetterRecord {
        letter_id,
        matter_id: input.matter_id,
        kind: kind.code().to_owned(),
        step_id,
        sha256: rendered.sha256.clone(),
        content_hash: short_hash(&rendered.content_hash),
        template_version: rendered.template_version.clone(),
        pages: rendered.pages as u32,
        fields: serde_json::to_value(&data)?,
    };
    register.write(&who.user_id.to_string(), |w| {
        w.record(EventBody::LetterIssued(record))
    })?;
    Ok(output(kind, &number, Some(letter_id), rendered))
}

/// Print an issued document.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LetterPrintInput {
    /// The issued document.
    pub letter_id: Uuid,
    /// Printer (default: the system default).
    #[serde(default)]
    pub printer: Option<String>,
    /// 份数 (1–20, default 1).
    #[serde(default)]
    pub copies: Option<u32>,
}

/// 打印: re-renders the issued document from its recorded fields, checks that the bytes are the
/// ones issued, sends them to the printer and logs the print (补打 when printed before).
pub fn letter_print(
    register: &mut Register,
    who: &Session,
    input: LetterPrintInput,
) -> Result<IssuedLetter> {
    let copies = input.copies.unwrap_or(1);
    if !(1..=20).contains(&copies) {
        return Err(Error::field("out_of_range", "copies", "份数应为1至20份"));
    }
    let chosen = optional_text(input.printer.as_deref(), "printer", "打印机", limits::NAME)?;
    let row: Option<(String, String, String, i64)> = register
        .conn()
        .query_row(
            "SELECT l.matter_id, l.sha256, e.payload,
               (SELECT count(*) FROM letter_prints p WHERE p.letter_id = l.id)
             FROM letters l JOIN events e ON e.kind = 'letter.issued'
               AND json_extract(e.payload, '$.letter_id') = l.id
             WHERE l.id = ?1",
            [input.letter_id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((matter_id, sha256, payload, prints)) = row else {
        return Err(Error::field("not_found", "letter_id", "所选文书不存在"));
    };
    let record: LetterRecord = serde_json::from_str(&payload)?;
    super::check_confidential(register.conn(), who, record.matter_id)?;
    // Each kind of paper has its printer: tickets the receipt roll, everything else A4.
    let settings = Settings::load(register.conn())?;
    let printer_name = chosen.unwrap_or_else(|| {
        if record.kind == DocKind::Ticket.code() {
            settings.ticket_printer.trim().to_owned()
        } else {
            settings.letter_printer.trim().to_owned()
        }
    });
    let data: LetterData = serde_json::from_value(record.fields)?;
    let rendered = render(register, &data, false)?;
    if rendered.sha256 != sha256 {
        return Err(Error::field(
            "document_changed",
            "letter_id",
            "文书模板或字体已更新，打印件将与出具时不一致；请重新出具后打印",
        ));
    }
    let printer = register
        .printer()
        .ok_or_else(|| Error::field("no_printer", "printer", "本机没有可用的打印服务"))?;
    printer
        .print(&rendered.pdf, &printer_name, copies)
        .map_err(|e| Error::field("print_failed", "printer", format!("打印失败：{e}")))?;
    let matter_id = Uuid::parse_str(&matter_id).map_err(|e| Error::Internal(e.to_string()))?;
    let print_id = register.next_id();
    register.write(&who.user_id.to_string(), |w| {
        w.record(EventBody::LetterPrinted {
            print_id,
            letter_id: input.letter_id,
            matter_id,
            printer: if printer_name.is_empty() {
                "默认打印机".to_owned()
            } else {
                printer_name.clone()
            },
            copies,
            reprint: prints > 0,
        })
    })?;
    letters_of(register.conn(), matter_id)?
        .into_iter()
        .find(|l| l.id == input.letter_id)
        .ok_or_else(|| Error::Internal("printed letter vanished".into()))
}

/// 已出具的文书及打印记录.
pub fn letter_list(
    register: &mut Register,
    who: &Session,
    input: super::MatterGetInput,
) -> Result<Vec<IssuedLetter>> {
    let id = input
        .matter_id
        .ok_or_else(|| Error::required("matter_id", "信访事项"))?;
    super::check_confidential(register.conn(), who, id)?;
    letters_of(register.conn(), id)
}

/// The printers the adapter offers (default first).
pub fn letter_printers(
    register: &mut Register,
    _who: &Session,
    _input: super::Empty,
) -> Result<Vec<String>> {
    Ok(register.printer().map(|p| p.printers()).unwrap_or_default())
}

fn letters_of(conn: &Connection, matter_id: Uuid) -> Result<Vec<IssuedLetter>> {
    let mut stmt = conn.prepare_cached(
        "SELECT l.id, l.kind, l.sha256, l.template_version, l.pages, l.issued_at,
           coalesce(u.display_name, l.issued_by)
         FROM letters l LEFT JOIN users u ON u.id = l.issued_by
         WHERE l.matter_id = ?1 ORDER BY l.issued_at, l.id",
    )?;
    let rows = stmt
        .query_map([matter_id.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, u32>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut out = Vec::new();
    for (id, kind, sha256, template_version, pages, issued_at, issued_by) in rows {
        let mut prints = conn.prepare_cached(
            "SELECT p.at, coalesce(u.display_name, p.actor), p.printer, p.copies, p.reprint
             FROM letter_prints p LEFT JOIN users u ON u.id = p.actor
             WHERE p.letter_id = ?1 ORDER BY p.at, p.id",
        )?;
        let prints = prints
            .query_map([&id], |r| {
                Ok(LetterPrint {
                    at: r.get(0)?,
                    actor_name: r.get(1)?,
                    printer: r.get(2)?,
                    copies: r.get(3)?,
                    reprint: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        out.push(IssuedLetter {
            id: Uuid::parse_str(&id).map_err(|e| Error::Internal(e.to_string()))?,
            name: DocKind::from_code(&kind).map_or(kind.clone(), |k| k.name_zh().to_owned()),
            kind,
            sha256,
            template_version,
            pages,
            issued_at,
            issued_by,
            prints,
        });
    }
    Ok(out)
}

/// 排队凭条 for the receipt roll: the ticket's number, queue, time, how many ahead and the
/// estimated wait.
pub fn ticket_document(
    register: &mut Register,
    _who: &Session,
    input: super::TicketIdInput,
) -> Result<LetterOutput> {
    let ticket = super::ticket(register, input.ticket_id)?;
    let centre = register.centre()?.name.clone();
    let issued = ticket
        .issued_at
        .with_timezone(&crate::clock::china_offset())
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let data = LetterData::new(DocKind::Ticket)
        .text("centre_name", centre)
        .text("ticket_number", ticket.number.clone())
        .text("queue_name", ticket.queue_name.clone())
        .text("issued_at", issued)
        .text("ahead_count", ticket.ahead.to_string())
        .text("estimated_wait", ticket.estimated_wait_minutes.to_string())
        .text("notice", "请留意候访屏叫号；过号请到引导台重新排队。");
    let rendered = render(register, &data, false)?;
    Ok(output(DocKind::Ticket, &ticket.number, None, rendered))
}

/// Matter, room, interviewer, start, request, facts, summary, persons present.
type InterviewRow = (
    Option<String>,
    Option<String>,
    String,
    String,
    String,
    String,
    String,
    String,
);

/// Which interview.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InterviewIdInput {
    /// The interview record.
    pub interview_id: Uuid,
}

/// 接谈记录 for the petitioner to read and sign (an interview linked to a registered matter;
/// the full ID number is printed only here, on the petitioner's own copy).
pub fn interview_document(
    register: &mut Register,
    _who: &Session,
    input: InterviewIdInput,
) -> Result<LetterOutput> {
    let row: Option<InterviewRow> = register
        .conn()
        .query_row(
            "SELECT i.matter_id, r.name, coalesce(u.display_name, i.interviewer), i.started_at,
                   i.request, i.facts, i.summary, i.present
                 FROM hall_interviews i LEFT JOIN hall_rooms r ON r.id = i.room_id
                 LEFT JOIN users u ON u.id = i.interviewer WHERE i.id = ?1",
            [input.interview_id.to_string()],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            },
        )
        .optional()?;
    let Some((matter, room, interviewer, started, request, found, summary, present)) = row else {
        return Err(Error::field(
            "not_found",
            "interview_id",
            "所选接谈记录不存在",
        ));
    };
    let matter_id = matter
        .and_then(|m| Uuid::parse_str(&m).ok())
        .ok_or_else(|| {
            Error::field(
                "not_applicable",
                "interview_id",
                "当场答复且未登记信访事项的接谈，没有信访件编号，不能出具接谈记录",
            )
        })?;
    let f = facts(register, matter_id)?;
    let person: Option<(Option<String>, Option<String>, Option<String>)> = register
        .conn()
        .query_row(
            "SELECT p.id_number, p.phone, coalesce(p.current_address, p.household_address)
             FROM matter_persons mp JOIN persons p ON p.id = mp.person_id
             WHERE mp.matter_id = ?1 ORDER BY mp.position LIMIT 1",
            [matter_id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let (id_number, phone, address) = person.unwrap_or((None, None, None));
    let at = chrono::DateTime::parse_from_rfc3339(&started)
        .map_err(|e| Error::Internal(e.to_string()))?
        .with_timezone(&crate::clock::china_offset())
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let present: Vec<String> = serde_json::from_str(&present)?;
    let mut data = LetterData::new(DocKind::InterviewRecord)
        .text("case_number", f.matter.number.clone())
        .text("query_code", query_code(matter_id))
        .text("issuer", f.issuer.clone())
        .text("interview_at", at)
        .text("location", room.unwrap_or_else(|| "接待中心".to_owned()))
        .text("interviewer", interviewer.clone())
        .text("recorder", interviewer)
        .text(
            "petitioner_name",
            f.petitioner
                .as_ref()
                .map_or("匿名".to_owned(), |p| p.0.clone()),
        )
        .text("request", request)
        .text("facts", found)
        .text("reply", summary);
    for (name, value) in [
        ("id_number", id_number),
        ("phone", phone),
        ("address", address),
    ] {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            data = data.text(name, value);
        }
    }
    if !present.is_empty() {
        data = data.text("companions", present.join("、"));
    }
    let number = f.matter.number;
    let rendered = render(register, &data, false)?;
    Ok(output(DocKind::InterviewRecord, &number, None, rendered))
}
