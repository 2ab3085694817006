//! Templates as data: the JSON format, its validation, and loading with a county override folder.
//!
//! A template is one JSON file per document kind (`assets/templates/<kind>.json`). It declares
//! its fields (name, label, type, required) and a body of blocks whose text holds `{field}`
//! placeholders. The bundled copies are compiled in with `include_str!` (they are a few KB);
//! a county replaces wording by dropping a file of the same name into an override folder.
//! Every template is validated when loaded, so a bad override fails at start-up, not when a
//! clerk prints.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::kind::DocKind;

/// The type of a field's value and how it is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// Printed as given.
    #[default]
    Text,
    /// Given as `YYYY-MM-DD`, printed as `2026年11月28日` (GB/T 9704 writes dates in Arabic
    /// numerals with 年月日).
    Date,
    /// Given as `YYYY-MM-DDTHH:MM` (seconds allowed and dropped), printed as
    /// `2026年11月28日 09:05`.
    Datetime,
    /// A list of rows, each a map of column name to text; used by `each` blocks.
    List,
}

/// One column of a list field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    /// Column name, used as `{name}` inside the `each` block.
    pub name: String,
    /// Chinese label for forms.
    pub label: String,
    /// Whether every row must fill it.
    #[serde(default)]
    pub required: bool,
    /// If not empty, the only values allowed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
}

/// One field a document kind takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// The key in `LetterData::fields` and the placeholder name.
    pub name: String,
    /// Chinese label for forms and error messages.
    pub label: String,
    /// How the value is checked and printed.
    #[serde(rename = "type", default)]
    pub ty: FieldType,
    /// Whether rendering refuses a missing or blank value.
    #[serde(default)]
    pub required: bool,
    /// If not empty, the only values allowed (text fields).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    /// Columns of a list field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<ColumnSpec>,
    /// A note for whoever wires case data to this field.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// Horizontal placement of a `line` block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Align {
    /// Flush with the left edge of the type area (the addressee line).
    #[default]
    Left,
    /// Centred.
    Center,
    /// Flush right.
    Right,
}

/// Type size of a `line` block. On letters only `normal` and `small` differ; the ticket uses
/// all four.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Size {
    /// Notes and small print.
    Small,
    /// Body text.
    #[default]
    Normal,
    /// Headings on the ticket.
    Large,
    /// The ticket number.
    Huge,
}

/// When a block is printed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cond {
    /// Print only if this field is filled.
    pub if_filled: Option<String>,
    /// Print only if this field is empty.
    pub unless_filled: Option<String>,
}

/// A piece of a document body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockKind {
    /// The title: 2号, centred, wrapped onto more lines if long.
    Title { text: String },
    /// One unindented line (addressee, 文号, contact line); wraps if long.
    Line {
        text: String,
        align: Align,
        size: Size,
    },
    /// A body paragraph with a two-character first-line indent. A line break in a field value
    /// starts a new paragraph.
    Para { text: String },
    /// One paragraph per row of a list field; `{n}` and `{n_zh}` number the rows.
    Each { list: String, text: String },
    /// Empty grid lines.
    Blank { count: u32 },
    /// The signature (署名) lines and the date, 4 characters in from the right.
    Signature { lines: Vec<String>, date: String },
    /// A dashed cut line with a label; what follows is a stub kept on one page.
    Cut { text: String },
    /// A label followed by a rule to write on (签名, 签收).
    SignLine { text: String },
}

/// A block and its condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// What to print.
    pub kind: BlockKind,
    /// When to print it.
    pub cond: Cond,
}

/// A parsed, validated template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// The kind it renders.
    pub kind: DocKind,
    /// Its version string, returned with every rendered document so an archive can tell which
    /// wording was used.
    pub version: String,
    /// Declared fields.
    pub fields: Vec<FieldSpec>,
    /// The body.
    pub body: Vec<Block>,
}

/// The file shape; converted to `Template` so that every rule is checked in one place.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemplate {
    kind: String,
    version: String,
    fields: Vec<FieldSpec>,
    body: Vec<RawBlock>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBlock {
    #[serde(rename = "type")]
    ty: String,
    text: Option<String>,
    lines: Option<Vec<String>>,
    date: Option<String>,
    list: Option<String>,
    align: Option<Align>,
    size: Option<Size>,
    count: Option<u32>,
    #[serde(rename = "if")]
    if_filled: Option<String>,
    unless: Option<String>,
}

/// Names every `each` block may use besides the list's columns.
pub(crate) const ROW_BUILTINS: [&str; 2] = ["n", "n_zh"];

/// A piece of template text: literal or placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece<'a> {
    Literal(String),
    Field(&'a str),
}

/// Splits `text` at `{name}` placeholders. `{{` and `}}` stand for literal braces.
pub(crate) fn pieces(text: &str) -> std::result::Result<Vec<Piece<'_>>, String> {
    let mut out = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(idx) = rest.find(['{', '}']) {
        literal.push_str(&rest[..idx]);
        let tail = &rest[idx..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            literal.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if tail.starts_with('}') {
            return Err(format!("unmatched }} in {text:?}"));
        }
        let Some(end) = tail.find('}') else {
            return Err(format!("unclosed {{ in {text:?}"));
        };
        let name = &tail[1..end];
        let valid = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid {
            return Err(format!(
                "placeholder {{{name}}} is not a snake_case field name"
            ));
        }
        if !literal.is_empty() {
            out.push(Piece::Literal(std::mem::take(&mut literal)));
        }
        out.push(Piece::Field(name));
        rest = &tail[end + 1..];
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        out.push(Piece::Literal(literal));
    }
    Ok(out)
}

impl Template {
    /// Parses and validates one template file's text. `expected` is the kind the file name
    /// promises; a mismatch is refused so a misnamed override cannot print the wrong document.
    pub fn parse(expected: DocKind, json: &str) -> Result<Template> {
        let invalid = |reason: String| Error::TemplateInvalid {
            kind: expected.code().to_string(),
            reason,
        };
        let raw: RawTemplate =
            serde_json::from_str(json).map_err(|err| invalid(err.to_string()))?;
        if raw.kind != expected.code() {
            return Err(invalid(format!(
                "declares kind {:?}, expected {:?}",
                raw.kind,
                expected.code()
            )));
        }
        if raw.version.trim().is_empty() {
            return Err(invalid("version is empty".to_string()));
        }
        let mut body = Vec::with_capacity(raw.body.len());
        for (idx, block) in raw.body.into_iter().enumerate() {
            body.push(
                convert_block(block).map_err(|reason| invalid(format!("body[{idx}]: {reason}")))?,
            );
        }
        let template = Template {
            kind: expected,
            version: raw.version,
            fields: raw.fields,
            body,
        };
        template.check()?;
        Ok(template)
    }

    /// The declared field called `name`.
    pub fn field(&self, name: &str) -> Option<&FieldSpec> {
        self.fields.iter().find(|spec| spec.name == name)
    }

    /// Structural rules: unique field names, placeholders that resolve, optional fields only
    /// inside blocks guarded by them (otherwise a blank would print as a hole in a sentence),
    /// `each` over list fields.
    fn check(&self) -> Result<()> {
        let kind = self.kind.code().to_string();
        let invalid = |reason: String| Error::TemplateInvalid {
            kind: kind.clone(),
            reason,
        };
        let mut names = BTreeSet::new();
        for spec in &self.fields {
            if !names.insert(spec.name.as_str()) {
                return Err(invalid(format!("field {} declared twice", spec.name)));
            }
            if (spec.ty == FieldType::List) == spec.columns.is_empty() {
                return Err(invalid(format!(
                    "field {}: only list fields have columns, and they need some",
                    spec.name
                )));
            }
        }
        for (idx, block) in self.body.iter().enumerate() {
            for cond_field in [&block.cond.if_filled, &block.cond.unless_filled]
                .into_iter()
                .flatten()
            {
                if self.field(cond_field).is_none() {
                    return Err(Error::TemplateUnknownField {
                        kind: kind.clone(),
                        field: cond_field.clone(),
                    });
                }
            }
            let guarded = block.cond.if_filled.as_deref();
            let (texts, row_list): (Vec<&String>, Option<&FieldSpec>) = match &block.kind {
                BlockKind::Title { text }
                | BlockKind::Line { text, .. }
                | BlockKind::Para { text }
                | BlockKind::Cut { text }
                | BlockKind::SignLine { text } => (vec![text], None),
                BlockKind::Blank { .. } => (vec![], None),
                BlockKind::Signature { lines, date } => {
                    (lines.iter().chain([date]).collect(), None)
                }
                BlockKind::Each { list, text } => {
                    let Some(spec) = self.field(list) else {
                        return Err(Error::TemplateUnknownField {
                            kind: kind.clone(),
                            field: list.clone(),
                        });
                    };
                    if spec.ty != FieldType::List {
                        return Err(invalid(format!(
                            "body[{idx}]: each over {list}, which is not a list"
                        )));
                    }
                    if !spec.required && guarded != Some(list.as_str()) {
                        return Err(invalid(format!(
                            "body[{idx}]: optional list {list} needs \"if\": \"{list}\""
                        )));
                    }
                    (vec![text], Some(spec))
                }
            };
            for text in texts {
                for piece in
                    pieces(text).map_err(|reason| invalid(format!("body[{idx}]: {reason}")))?
                {
                    let Piece::Field(name) = piece else { continue };
                    let in_row = row_list.is_some_and(|list| {
                        ROW_BUILTINS.contains(&name)
                            || list.columns.iter().any(|col| col.name == name)
                    });
                    if in_row {
                        continue;
                    }
                    let Some(spec) = self.field(name) else {
                        return Err(Error::TemplateUnknownField {
                            kind: kind.clone(),
                            field: name.to_string(),
                        });
                    };
                    if spec.ty == FieldType::List {
                        return Err(invalid(format!(
                            "body[{idx}]: list {name} used as text; use an each block"
                        )));
                    }
                    if !spec.required && guarded != Some(name) {
                        return Err(invalid(format!(
                            "body[{idx}]: optional field {name} needs \"if\": \"{name}\" on its block"
                        )));
                    }
                }
            }
        }
        Ok(())
    }
}

fn convert_block(raw: RawBlock) -> std::result::Result<Block, String> {
    let cond = Cond {
        if_filled: raw.if_filled,
        unless_filled: raw.unless,
    };
    let need_text = |text: Option<String>| text.ok_or_else(|| format!("{} needs \"text\"", raw.ty));
    let kind = match raw.ty.as_str() {
        "title" => BlockKind::Title {
            text: need_text(raw.text)?,
        },
        "line" => BlockKind::Line {
            text: need_text(raw.text)?,
            align: raw.align.unwrap_or_default(),
            size: raw.size.unwrap_or_default(),
        },
        "para" => BlockKind::Para {
            text: need_text(raw.text)?,
        },
        "each" => BlockKind::Each {
            list: raw.list.ok_or("each needs \"list\"")?,
            text: need_text(raw.text)?,
        },
        "blank" => BlockKind::Blank {
            count: raw.count.unwrap_or(1),
        },
        "signature" => BlockKind::Signature {
            lines: raw.lines.ok_or("signature needs \"lines\"")?,
            date: raw.date.ok_or("signature needs \"date\"")?,
        },
        "cut" => BlockKind::Cut {
            text: need_text(raw.text)?,
        },
        "sign_line" => BlockKind::SignLine {
            text: need_text(raw.text)?,
        },
        other => return Err(format!("unknown block type {other:?}")),
    };
    Ok(Block { kind, cond })
}

/// The bundled template text of `kind`.
fn bundled_text(kind: DocKind) -> &'static str {
    macro_rules! bundled {
        ($name:literal) => {
            include_str!(concat!("../../../assets/templates/", $name, ".json"))
        };
    }
    match kind {
        DocKind::Ticket => bundled!("ticket"),
        DocKind::VisitReceipt => bundled!("visit_receipt"),
        DocKind::AcceptanceNotice => bundled!("acceptance_notice"),
        DocKind::NonAcceptanceNotice => bundled!("non_acceptance_notice"),
        DocKind::NoLongerAcceptedNotice => bundled!("no_longer_accepted_notice"),
        DocKind::ForwardLetter => bundled!("forward_letter"),
        DocKind::AssignmentSheet => bundled!("assignment_sheet"),
        DocKind::ExtensionNotice => bundled!("extension_notice"),
        DocKind::HandlingOpinion => bundled!("handling_opinion"),
        DocKind::ReviewOpinion => bundled!("review_opinion"),
        DocKind::RecheckOpinion => bundled!("recheck_opinion"),
        DocKind::InterviewRecord => bundled!("interview_record"),
        DocKind::UrgeLetter => bundled!("urge_letter"),
        DocKind::SuperviseLetter => bundled!("supervise_letter"),
        DocKind::WorkReport => bundled!("work_report"),
    }
}

/// The bundled template of `kind`.
pub fn bundled(kind: DocKind) -> Template {
    // The bundled files are checked by the crate's tests; failing here is a build defect.
    Template::parse(kind, bundled_text(kind)).expect("bundled templates are validated by tests")
}

/// The fields `kind` takes, as declared by its bundled template. This is the contract for
/// whoever wires case data; an override template may use fewer of them but no others.
pub fn fields(kind: DocKind) -> Vec<FieldSpec> {
    bundled(kind).fields
}

/// The active template of every kind: bundled, or replaced from an override folder.
#[derive(Debug, Clone)]
pub struct Templates {
    active: BTreeMap<DocKind, Template>,
    bundled_fields: BTreeMap<DocKind, BTreeSet<String>>,
}

impl Templates {
    /// Only the bundled templates.
    pub fn bundled() -> Templates {
        Templates::from_parts(
            DocKind::ALL
                .into_iter()
                .map(|kind| (kind, bundled(kind)))
                .collect(),
        )
    }

    /// Bundled templates, each replaced by `<dir>/<kind>.json` where that file exists. A missing
    /// folder means no overrides. An override may only declare fields the bundled template
    /// knows, because the app has no data for any other.
    pub fn load(override_dir: Option<&Path>) -> Result<Templates> {
        let mut active = BTreeMap::new();
        for kind in DocKind::ALL {
            let path = override_dir.map(|dir| dir.join(format!("{}.json", kind.code())));
            let template = match path {
                Some(path) if path.is_file() => {
                    let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
                        path: path.clone(),
                        source,
                    })?;
                    Template::parse(kind, &text)?
                }
                _ => bundled(kind),
            };
            active.insert(kind, template);
        }
        let templates = Templates::from_parts(active);
        for (kind, template) in &templates.active {
            let known = &templates.bundled_fields[kind];
            if let Some(spec) = template
                .fields
                .iter()
                .find(|spec| !known.contains(&spec.name))
            {
                return Err(Error::TemplateInvalid {
                    kind: kind.code().to_string(),
                    reason: format!(
                        "declares field {}, which the app does not supply",
                        spec.name
                    ),
                });
            }
        }
        Ok(templates)
    }

    /// Replaces one kind's template, e.g. with one parsed from text the caller holds.
    pub fn with_template(mut self, template: Template) -> Templates {
        self.active.insert(template.kind, template);
        self
    }

    fn from_parts(active: BTreeMap<DocKind, Template>) -> Templates {
        let bundled_fields = DocKind::ALL
            .into_iter()
            .map(|kind| {
                (
                    kind,
                    bundled(kind)
                        .fields
                        .into_iter()
                        .map(|spec| spec.name)
                        .collect(),
                )
            })
            .collect();
        Templates {
            active,
            bundled_fields,
        }
    }

    /// The active template of `kind`.
    pub fn get(&self, kind: DocKind) -> &Template {
        &self.active[&kind]
    }

    /// Whether `name` is a field the app may supply for `kind`.
    pub(crate) fn is_known_field(&self, kind: DocKind, name: &str) -> bool {
        self.bundled_fields[&kind].contains(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_template_parses_and_validates() {
        for kind in DocKind::ALL {
            let parsed = Template::parse(kind, bundled_text(kind));
            assert!(parsed.is_ok(), "{}: {parsed:?}", kind.code());
        }
    }

    #[test]
    fn placeholders_split_into_literals_and_fields() {
        let got = pieces("你（你们）于{visit_date}来访，{{字面}}").expect("valid");
        assert_eq!(
            got,
            vec![
                Piece::Literal("你（你们）于".to_string()),
                Piece::Field("visit_date"),
                Piece::Literal("来访，{字面}".to_string()),
            ]
        );
        assert!(pieces("{未闭合").is_err());
        assert!(pieces("{Bad-Name}").is_err());
    }

    #[test]
    fn a_template_naming_an_undeclared_field_is_refused_with_the_field_name() {
        let json = bundled_text(DocKind::AcceptanceNotice).replace("{route}", "{routing}");
        let err = Template::parse(DocKind::AcceptanceNotice, &json).expect_err("unknown field");
        assert_eq!(err.code(), "template_unknown_field");
        assert_eq!(err.field(), Some("routing"));
        assert!(err.message_zh().contains("routing"), "{}", err.message_zh());
    }

    #[test]
    fn an_optional_field_outside_a_guarded_block_is_refused() {
        let json = bundled_text(DocKind::AcceptanceNotice).replace("\"if\": \"forwarded_by\",", "");
        let err =
            Template::parse(DocKind::AcceptanceNotice, &json).expect_err("unguarded optional");
        assert_eq!(err.code(), "template_invalid");
        assert!(err.to_string().contains("forwarded_by"), "{err}");
    }

    #[test]
    fn a_file_for_another_kind_is_refused() {
        let err = Template::parse(DocKind::UrgeLetter, bundled_text(DocKind::SuperviseLetter))
            .expect_err("wrong kind");
        assert_eq!(err.code(), "template_invalid");
    }
}
