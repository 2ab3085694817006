//! PDF rendering of petition letters, notices and queue tickets: plain data in, PDF bytes out.
//!
//! `xinfang-letters` knows nothing of the register (it does not depend on `xinfang-core`).
//! The caller builds a [`LetterData`] — a [`DocKind`] and a map of field values — and an
//! [`Engine`] returns a [`Rendered`]: the PDF bytes, their SHA-256, the content hash printed on
//! the page, and the template version.
//!
//! ```text
//! LetterData ──compose──▶ resolved blocks ──layout──▶ Layout (points) ──render──▶ PDF bytes
//!              template      + proof (QR)     GB/T 9704 grid        printpdf, subset fonts
//! ```
//!
//! - **Templates** are JSON files in `assets/templates/`, one per kind, compiled in and
//!   replaceable from `<data_dir>/templates/` (see [`template`]). [`fields`] lists what each
//!   kind takes; the tables below are generated from the bundled templates.
//! - **Fonts** are Noto Serif CJK SC (letters) and Noto Sans CJK SC (tickets), read from disk
//!   (see [`fonts`] for where and why not `include_bytes!`); any other font can be passed in.
//!   A character the font lacks is refused with `missing_glyph`, never printed as a box.
//! - **Layout**: A4 on the GB/T 9704 grid (37 mm top, 28 mm left, 156 × 225 mm, 22 lines of
//!   28 characters, 3号 body, 2号 title, justified lines, signature and date four characters in
//!   from the right, "— n —" page numbers 7 mm below the type area, on the outer side: right on
//!   odd pages, left on even ones); the ticket on an 80 mm roll, as tall as its content.
//! - **Proof**: every document carries the case number, the 查询码 and a 12-digit content hash,
//!   printed and encoded in a QR code (in the top margin of page 1, outside the grid).
//! - **Errors** carry a stable [`Error::code`] and a Chinese [`Error::message_zh`].
//!
//! Dates are passed as `YYYY-MM-DD` and printed as `2026年11月28日`; times as
//! `YYYY-MM-DDTHH:MM`. A line break inside a text value starts a new paragraph. Fields not in
//! the table are refused (`field_unknown`), so a typo in wiring does not silently drop text.
//!
//! # Fields per document kind
//!
#![doc = include_str!("../FIELDS.md")]

mod bench;
mod compose;
mod engine;
mod error;
pub mod fonts;
mod kind;
pub mod layout;
pub mod linebreak;
mod proof;
mod render;
mod sample;
pub mod template;

pub use bench::{BenchReport, BenchRow, bench};
pub use compose::{FieldValue, LetterData};
pub use engine::{Engine, RenderOptions, Rendered};
pub use error::{Error, MissingChar, Result};
pub use fonts::{Font, FontSet};
pub use kind::DocKind;
pub use proof::SHORT_HASH_LEN;
pub use sample::{CASE_NUMBER, QUERY_CODE, long_opinion, sample};
pub use template::{FieldSpec, FieldType, Template, Templates, fields};

/// The field tables of the crate documentation, generated from the bundled templates
/// (`FIELDS.md`; a test keeps the file in step).
pub fn fields_markdown() -> String {
    let mut out = String::new();
    for kind in DocKind::ALL {
        out.push_str(&format!("## `{}` — {}\n\n", kind.code(), kind.name_zh()));
        out.push_str(
            "| field | 名称 | type | required | note |\n| --- | --- | --- | --- | --- |\n",
        );
        for spec in fields(kind) {
            let ty = match spec.ty {
                FieldType::Text if !spec.choices.is_empty() => {
                    format!("one of {}", spec.choices.join("/"))
                }
                FieldType::Text => "text".to_string(),
                FieldType::Date => "date".to_string(),
                FieldType::Datetime => "datetime".to_string(),
                FieldType::List => {
                    let cols: Vec<String> = spec
                        .columns
                        .iter()
                        .map(|col| {
                            let choices = if col.choices.is_empty() {
                                String::new()
                            } else {
                                format!(" ({})", col.choices.join("/"))
                            };
                            format!("`{}` {}{choices}", col.name, col.label)
                        })
                        .collect();
                    format!("list of {}", cols.join(", "))
                }
            };
            let required = if spec.required { "yes" } else { "no" };
            out.push_str(&format!(
                "| `{}` | {} | {ty} | {required} | {} |\n",
                spec.name, spec.label, spec.note
            ));
        }
        out.push('\n');
    }
    out
}
