//! Filling a template with a document's data: required fields, value checks, formatting of
//! dates, and expansion of conditional and repeated blocks into plain text blocks.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::kind::DocKind;
use crate::template::{
    Align, BlockKind, FieldSpec, FieldType, Piece, Size, Template, Templates, pieces,
};

/// The input of one document: its kind and its field values, keyed by field name (see
/// [`crate::fields`] for the names each kind takes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LetterData {
    /// Which document.
    pub kind: DocKind,
    /// Field values. Missing and blank are the same thing.
    #[serde(default)]
    pub fields: BTreeMap<String, FieldValue>,
}

/// A field's value: text, or rows of a list field (e.g. the per-item decisions of an opinion).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FieldValue {
    /// Text, a `YYYY-MM-DD` date or a `YYYY-MM-DDTHH:MM` time, as the field's type says.
    Text(String),
    /// Rows; each maps column name to text.
    List(Vec<BTreeMap<String, String>>),
}

impl LetterData {
    /// An empty document of `kind`.
    pub fn new(kind: DocKind) -> LetterData {
        LetterData {
            kind,
            fields: BTreeMap::new(),
        }
    }

    /// Sets a text (or date) field.
    pub fn text(mut self, name: &str, value: impl Into<String>) -> LetterData {
        self.fields
            .insert(name.to_string(), FieldValue::Text(value.into()));
        self
    }

    /// Sets a list field from rows of `(column, value)` pairs.
    pub fn list<'a>(
        mut self,
        name: &str,
        rows: impl IntoIterator<Item = Vec<(&'a str, &'a str)>>,
    ) -> LetterData {
        let rows = rows
            .into_iter()
            .map(|row| {
                row.into_iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            })
            .collect();
        self.fields.insert(name.to_string(), FieldValue::List(rows));
        self
    }
}

/// A block with all placeholders resolved.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Resolved {
    Title(String),
    Line {
        text: String,
        align: Align,
        size: Size,
    },
    Para(String),
    Blank(u32),
    Signature {
        lines: Vec<String>,
        date: String,
    },
    Cut(String),
    SignLine(String),
}

/// A template filled with data.
#[derive(Debug, Clone)]
pub(crate) struct Composed {
    pub kind: DocKind,
    pub version: String,
    pub blocks: Vec<Resolved>,
    pub case_number: Option<String>,
    pub query_code: Option<String>,
    /// Every piece of text that will be printed, with the field it came from (`None` for
    /// template wording), for the missing-glyph check.
    pub sources: Vec<(Option<String>, String)>,
}

/// The printed form of every filled field, after checks.
struct Values<'a> {
    kind: DocKind,
    text: BTreeMap<&'a str, String>,
    lists: BTreeMap<&'a str, &'a [BTreeMap<String, String>]>,
}

impl Values<'_> {
    fn filled(&self, name: &str) -> bool {
        self.text.contains_key(name) || self.lists.contains_key(name)
    }
}

pub(crate) fn compose(templates: &Templates, data: &LetterData) -> Result<Composed> {
    let template = templates.get(data.kind);
    let kind_name = data.kind.name_zh().to_string();
    for name in data.fields.keys() {
        if !templates.is_known_field(data.kind, name) {
            return Err(Error::FieldUnknown {
                kind: kind_name,
                field: name.clone(),
            });
        }
    }
    let values = check_values(template, data)?;
    check_rules(data.kind, &values)?;

    let mut sources: Vec<(Option<String>, String)> = Vec::new();
    for (name, text) in &values.text {
        sources.push((Some(name.to_string()), text.clone()));
    }
    for (name, rows) in &values.lists {
        for (idx, row) in rows.iter().enumerate() {
            for (col, text) in row.iter() {
                sources.push((Some(format!("{name}[{idx}].{col}")), text.clone()));
            }
        }
    }

    let mut blocks = Vec::new();
    for block in &template.body {
        if let Some(name) = &block.cond.if_filled
            && !values.filled(name)
        {
            continue;
        }
        if let Some(name) = &block.cond.unless_filled
            && values.filled(name)
        {
            continue;
        }
        let mut fill = |text: &str| fill_text(text, &values, None, &mut sources);
        match &block.kind {
            BlockKind::Title { text } => blocks.push(Resolved::Title(fill(text))),
            BlockKind::Line { text, align, size } => blocks.push(Resolved::Line {
                text: fill(text),
                align: *align,
                size: *size,
            }),
            BlockKind::Para { text } => push_paras(&mut blocks, &fill(text)),
            BlockKind::Blank { count } => blocks.push(Resolved::Blank(*count)),
            BlockKind::Signature { lines, date } => blocks.push(Resolved::Signature {
                lines: lines.iter().map(|line| fill(line)).collect(),
                date: fill(date),
            }),
            BlockKind::Cut { text } => blocks.push(Resolved::Cut(fill(text))),
            BlockKind::SignLine { text } => blocks.push(Resolved::SignLine(fill(text))),
            BlockKind::Each { list, text } => {
                let rows = values.lists.get(list.as_str()).copied().unwrap_or_default();
                for (idx, row) in rows.iter().enumerate() {
                    let filled = fill_text(text, &values, Some((idx, row)), &mut sources);
                    push_paras(&mut blocks, &filled);
                }
            }
        }
    }
    Ok(Composed {
        kind: data.kind,
        version: template.version.clone(),
        blocks,
        case_number: values.text.get("case_number").cloned(),
        query_code: values.text.get("query_code").cloned(),
        sources,
    })
}

/// A line break inside a value starts a new paragraph (facts often come in several).
fn push_paras(blocks: &mut Vec<Resolved>, text: &str) {
    for para in text
        .split('\n')
        .map(str::trim)
        .filter(|para| !para.is_empty())
    {
        blocks.push(Resolved::Para(para.to_string()));
    }
}

fn fill_text(
    text: &str,
    values: &Values<'_>,
    row: Option<(usize, &BTreeMap<String, String>)>,
    sources: &mut Vec<(Option<String>, String)>,
) -> String {
    let mut out = String::new();
    // Templates were validated on load, so `pieces` cannot fail and every name resolves.
    for piece in pieces(text).unwrap_or_default() {
        match piece {
            Piece::Literal(literal) => {
                sources.push((None, literal.clone()));
                out.push_str(&literal);
            }
            Piece::Field(name) => {
                let from_row = row.and_then(|(idx, row)| match name {
                    "n" => Some((idx + 1).to_string()),
                    "n_zh" => Some(chinese_number(idx + 1)),
                    _ => row.get(name).map(|value| value.trim().to_string()),
                });
                let value = from_row
                    .or_else(|| values.text.get(name).cloned())
                    .unwrap_or_default();
                out.push_str(&value);
            }
        }
    }
    out
}

fn check_values<'a>(template: &'a Template, data: &'a LetterData) -> Result<Values<'a>> {
    let kind = data.kind.name_zh().to_string();
    let mut values = Values {
        kind: data.kind,
        text: BTreeMap::new(),
        lists: BTreeMap::new(),
    };
    for spec in &template.fields {
        let invalid = |reason: String| Error::FieldInvalid {
            kind: kind.clone(),
            field: spec.name.clone(),
            label: spec.label.clone(),
            reason,
        };
        let required = || Error::FieldRequired {
            kind: kind.clone(),
            field: spec.name.clone(),
            label: spec.label.clone(),
        };
        match (spec.ty, data.fields.get(&spec.name)) {
            (FieldType::List, Some(FieldValue::List(rows))) if !rows.is_empty() => {
                check_rows(&kind, spec, rows)?;
                values.lists.insert(spec.name.as_str(), rows.as_slice());
            }
            (FieldType::List, Some(FieldValue::Text(text))) if !text.trim().is_empty() => {
                return Err(invalid("应为多项列表".to_string()));
            }
            (_, Some(FieldValue::List(rows))) if spec.ty != FieldType::List && !rows.is_empty() => {
                return Err(invalid("应为文字，不是列表".to_string()));
            }
            (ty, Some(FieldValue::Text(text)))
                if ty != FieldType::List && !text.trim().is_empty() =>
            {
                let text = text.trim();
                if !spec.choices.is_empty() && !spec.choices.iter().any(|choice| choice == text) {
                    return Err(invalid(format!("只能是{}之一", spec.choices.join("、"))));
                }
                let printed = match ty {
                    FieldType::Date => format_date(text)
                        .ok_or_else(|| invalid(format!("“{text}”不是 YYYY-MM-DD 格式的日期")))?,
                    FieldType::Datetime => format_datetime(text).ok_or_else(|| {
                        invalid(format!("“{text}”不是 YYYY-MM-DDTHH:MM 格式的时间"))
                    })?,
                    _ => text.to_string(),
                };
                values.text.insert(spec.name.as_str(), printed);
            }
            _ if spec.required => return Err(required()),
            _ => {}
        }
    }
    Ok(values)
}

fn check_rows(kind: &str, spec: &FieldSpec, rows: &[BTreeMap<String, String>]) -> Result<()> {
    for (idx, row) in rows.iter().enumerate() {
        if let Some(col) = row
            .keys()
            .find(|col| !spec.columns.iter().any(|it| &&it.name == col))
        {
            return Err(Error::FieldUnknown {
                kind: kind.to_string(),
                field: format!("{}[{idx}].{col}", spec.name),
            });
        }
        for col in &spec.columns {
            let field = format!("{}[{idx}].{}", spec.name, col.name);
            let label = format!("{}第{}项的{}", spec.label, idx + 1, col.label);
            let value = row
                .get(&col.name)
                .map(|value| value.trim())
                .unwrap_or_default();
            if value.is_empty() {
                if col.required {
                    return Err(Error::FieldRequired {
                        kind: kind.to_string(),
                        field,
                        label,
                    });
                }
                continue;
            }
            if !col.choices.is_empty() && !col.choices.iter().any(|choice| choice == value) {
                return Err(Error::FieldInvalid {
                    kind: kind.to_string(),
                    field,
                    label,
                    reason: format!("只能是{}之一", col.choices.join("、")),
                });
            }
        }
    }
    Ok(())
}

/// Rules that span fields and are statutory rather than presentational.
fn check_rules(kind: DocKind, values: &Values<'_>) -> Result<()> {
    if kind == DocKind::ExtensionNotice {
        // Art. 34: the extension may not exceed 30 days. Checked on the raw ISO dates, which
        // the printed form no longer is, so parse them back from the printed text.
        let parse = |name: &str| {
            values
                .text
                .get(name)
                .and_then(|text| parse_printed_date(text))
        };
        if let (Some(old), Some(new)) = (parse("original_due_date"), parse("new_due_date")) {
            let days = (new - old).num_days();
            if !(1..=30).contains(&days) {
                return Err(Error::FieldInvalid {
                    kind: values.kind.name_zh().to_string(),
                    field: "new_due_date".to_string(),
                    label: "延长后的办结期限".to_string(),
                    reason: format!("延长期限应为1至30日，现为{days}日"),
                });
            }
        }
    }
    Ok(())
}

/// `2026-11-28` → `2026年11月28日`.
pub(crate) fn format_date(text: &str) -> Option<String> {
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(date.format("%Y年%-m月%-d日").to_string())
}

fn parse_printed_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y年%m月%d日").ok()
}

/// `2026-11-28T09:05[:00]` (or with a space) → `2026年11月28日 09:05`.
pub(crate) fn format_datetime(text: &str) -> Option<String> {
    let text = text.replacen(' ', "T", 1);
    let (date, time) = text.split_once('T')?;
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    let time = NaiveTime::parse_from_str(time, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(time, "%H:%M"))
        .ok()?;
    Some(
        NaiveDateTime::new(date, time)
            .format("%Y年%-m月%-d日 %H:%M")
            .to_string(),
    )
}

/// 1 → 一, 12 → 十二, 20 → 二十, 35 → 三十五 (up to 99, enough for items of one opinion).
pub(crate) fn chinese_number(n: usize) -> String {
    const DIGITS: [&str; 10] = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => DIGITS[n].to_string(),
        10..=19 => format!("十{}", if n == 10 { "" } else { DIGITS[n - 10] }),
        20..=99 => format!(
            "{}十{}",
            DIGITS[n / 10],
            if n.is_multiple_of(10) {
                ""
            } else {
                DIGITS[n % 10]
            }
        ),
        _ => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_print_in_arabic_numerals_with_nian_yue_ri() {
        assert_eq!(format_date("2026-11-28").as_deref(), Some("2026年11月28日"));
        assert_eq!(
            format_date("2026-01-05").as_deref(),
            Some("2026年1月5日"),
            "no leading zeros"
        );
        assert_eq!(format_date("2026-02-30"), None);
        assert_eq!(
            format_datetime("2026-11-28T09:05").as_deref(),
            Some("2026年11月28日 09:05")
        );
        assert_eq!(
            format_datetime("2026-11-28 09:05:59").as_deref(),
            Some("2026年11月28日 09:05")
        );
    }

    #[test]
    fn chinese_numbers_for_item_headings() {
        let got: Vec<String> = [1, 9, 10, 11, 20, 35]
            .into_iter()
            .map(chinese_number)
            .collect();
        assert_eq!(got, ["一", "九", "十", "十一", "二十", "三十五"]);
    }
}
