//! 审计记录: reading and exporting the audit trail (`audit`), for the audit administrator and,
//! for the audit administrators' own rows, the security administrator.

use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::types::Value as SqlValue;
use rust_xlsxwriter::{Format, Workbook};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ExportFile;
use crate::{
    Error, Result,
    auth::Session,
    clock::{china_offset, fmt_utc},
    model::Role,
    ops,
    register::Register,
};

/// Which outcomes to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    /// Everything.
    #[default]
    All,
    /// Only successes.
    Ok,
    /// Only refusals and failures.
    Failed,
}

/// Filters of the audit list; every one optional.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditListInput {
    /// From this day (China time), inclusive.
    #[serde(default)]
    pub from: Option<NaiveDate>,
    /// To this day (China time), inclusive.
    #[serde(default)]
    pub to: Option<NaiveDate>,
    /// User name, exactly.
    #[serde(default)]
    pub username: Option<String>,
    /// Operation name, exactly (`matter_get`).
    #[serde(default)]
    pub operation: Option<String>,
    /// Desk (address), exactly.
    #[serde(default)]
    pub desk: Option<String>,
    /// Object id or name, exactly.
    #[serde(default)]
    pub object: Option<String>,
    /// Outcomes.
    #[serde(default)]
    pub outcome: AuditOutcome,
    /// Page, from 1.
    #[serde(default)]
    pub page: Option<u32>,
    /// Rows per page (at most 200; default 50).
    #[serde(default)]
    pub page_size: Option<u32>,
}

/// One audit row.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AuditRow {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// User name (or the name a failed sign-in tried).
    pub username: String,
    /// Role, when known.
    pub role: Option<Role>,
    /// Desk.
    pub desk: String,
    /// Operation name.
    pub operation: String,
    /// What the operation is, in Chinese.
    pub operation_zh: String,
    /// Object.
    pub object: String,
    /// `ok` or the error code.
    pub outcome: String,
    /// Detail.
    pub detail: String,
}

/// A page of audit rows, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AuditPage {
    /// Rows matching the filters (all pages).
    pub total: u64,
    /// This page.
    pub rows: Vec<AuditRow>,
}

/// Most rows one export writes.
const EXPORT_MAX_ROWS: u32 = 100_000;

/// The WHERE clause and parameters of the filters and of what `who` may see.
fn filters(who: &Session, input: &AuditListInput) -> Result<(String, Vec<SqlValue>)> {
    let mut clauses = vec![match who.role {
        // Nobody reviews their own trail: the audit administrators' rows go to the security
        // administrator, everyone else's to the audit administrator.
        Role::Auditor => "(role IS NULL OR role != 'auditor')".to_owned(),
        Role::SecurityAdmin => "role = 'auditor'".to_owned(),
        _ => {
            return Err(Error::Forbidden {
                operation: "audit_list".into(),
                role: who.role.name_zh().into(),
            });
        }
    }];
    let mut params = Vec::new();
    let day_start = |day: NaiveDate| {
        day.and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(china_offset()).single())
            .map(|t| fmt_utc(t.with_timezone(&Utc)))
    };
    if let (Some(from), Some(to)) = (input.from, input.to)
        && from > to
    {
        return Err(Error::field("bad_range", "to", "结束日期不能早于开始日期"));
    }
    if let Some(from) = input.from.and_then(day_start) {
        clauses.push(format!("at >= ?{}", params.len() + 1));
        params.push(SqlValue::Text(from));
    }
    if let Some(to) = input.to.and_then(|d| d.succ_opt()).and_then(day_start) {
        clauses.push(format!("at < ?{}", params.len() + 1));
        params.push(SqlValue::Text(to));
    }
    for (column, value) in [
        ("username", &input.username),
        ("operation", &input.operation),
        ("desk", &input.desk),
        ("object", &input.object),
    ] {
        if let Some(value) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            clauses.push(format!("{column} = ?{}", params.len() + 1));
            params.push(SqlValue::Text(value.to_owned()));
        }
    }
    match input.outcome {
        AuditOutcome::All => {}
        AuditOutcome::Ok => clauses.push("outcome = 'ok'".into()),
        AuditOutcome::Failed => clauses.push("outcome != 'ok'".into()),
    }
    Ok((clauses.join(" AND "), params))
}

fn rows(
    register: &Register,
    clause: &str,
    params: &[SqlValue],
    limit: u32,
    offset: u64,
) -> Result<Vec<AuditRow>> {
    let sql = format!(
        "SELECT seq, at, username, role, desk, operation, object, outcome, detail
         FROM audit_log WHERE {clause} ORDER BY seq DESC LIMIT {limit} OFFSET {offset}"
    );
    let mut stmt = register.conn().prepare(&sql)?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(params), |r| {
            let at: String = r.get(1)?;
            let role: Option<String> = r.get(3)?;
            let operation: String = r.get(5)?;
            Ok(AuditRow {
                seq: r.get(0)?,
                at: DateTime::parse_from_rfc3339(&at)
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or_default(),
                username: r.get(2)?,
                role: role.as_deref().and_then(Role::from_code),
                desk: r.get(4)?,
                operation_zh: operation_zh(&operation),
                operation,
                object: r.get(6)?,
                outcome: r.get(7)?,
                detail: r.get(8)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The Chinese name of an operation, or of a tool that writes audit rows itself.
fn operation_zh(name: &str) -> String {
    match name {
        "backup" => "备份".into(),
        "restore" => "恢复".into(),
        "rekey" => "更换密钥".into(),
        "bundle_export" => "导出U盘数据包".into(),
        "bundle_import" => "导入U盘数据包".into(),
        "lan_pair_code" => "生成窗口配对码".into(),
        "lan_pair" => "窗口配对".into(),
        "lan_revoke" => "撤销窗口配对".into(),
        "sync_take_back" => "从县级取回本中心事件".into(),
        _ => ops::find(name).map_or_else(|| name.to_owned(), |op| op.summary_zh.to_owned()),
    }
}

/// 审计记录.
pub fn audit_list(
    register: &mut Register,
    who: &Session,
    input: AuditListInput,
) -> Result<AuditPage> {
    let (clause, params) = filters(who, &input)?;
    let total: i64 = register.conn().query_row(
        &format!("SELECT count(*) FROM audit_log WHERE {clause}"),
        rusqlite::params_from_iter(&params),
        |r| r.get(0),
    )?;
    let total = total as u64;
    let size = input.page_size.unwrap_or(50).clamp(1, 200);
    let page = u64::from(input.page.unwrap_or(1).max(1));
    let rows = rows(
        register,
        &clause,
        &params,
        size,
        (page - 1) * u64::from(size),
    )?;
    Ok(AuditPage { total, rows })
}

/// 导出审计记录 (Excel), newest first, at most `EXPORT_MAX_ROWS`.
pub fn audit_export(
    register: &mut Register,
    who: &Session,
    input: AuditListInput,
) -> Result<ExportFile> {
    let (clause, params) = filters(who, &input)?;
    let rows = rows(register, &clause, &params, EXPORT_MAX_ROWS, 0)?;
    let bytes = workbook(&rows).map_err(|e| Error::Internal(format!("xlsx: {e}")))?;
    let made = register
        .now()
        .with_timezone(&china_offset())
        .format("%Y%m%d%H%M");
    Ok(ExportFile {
        file_name: format!("审计记录{made}.xlsx"),
        media_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".into(),
        base64: base64::engine::general_purpose::STANDARD.encode(bytes),
    })
}

fn workbook(rows: &[AuditRow]) -> std::result::Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = Workbook::new();
    let head = Format::new().set_bold().set_background_color(0xDDE6F3);
    let sheet = book.add_worksheet();
    sheet.set_name("审计记录")?;
    let headers = [
        "序号", "时间", "用户", "角色", "终端", "操作", "对象", "结果", "说明",
    ];
    for (col, title) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *title, &head)?;
    }
    for (i, row) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        let at = row
            .at
            .with_timezone(&china_offset())
            .format("%Y-%m-%d %H:%M:%S")
            .to_string();
        let outcome = if row.outcome == crate::audit::OK {
            "成功".to_owned()
        } else {
            format!("未成功（{}）", row.outcome)
        };
        sheet.write_number(r, 0, row.seq as f64)?;
        let texts = [
            at,
            row.username.clone(),
            row.role.map(Role::name_zh).unwrap_or("").to_owned(),
            row.desk.clone(),
            row.operation_zh.clone(),
            row.object.clone(),
            outcome,
            row.detail.clone(),
        ];
        for (col, text) in texts.iter().enumerate() {
            sheet.write_string(r, col as u16 + 1, text)?;
        }
    }
    for (col, width) in [8, 20, 14, 12, 16, 30, 38, 22, 50].iter().enumerate() {
        sheet.set_column_width(col as u16, *width)?;
    }
    book.save_to_buffer()
}
