//! Page layout, kept pure: resolved blocks in, positioned text and rules out. A4 letters on the
//! GB/T 9704 grid, and the queue ticket on an 80 mm roll.
//!
//! Coordinates are points measured from the top-left corner of the page; `render` flips them
//! into PDF space. Keeping this step free of printpdf makes the geometry testable by value.

use crate::compose::{Composed, Resolved};
use crate::fonts::{Font, FontSet};
use crate::linebreak::break_lines;
use crate::proof::Proof;
use crate::template::{Align, Size};

/// Points per millimetre.
pub const MM: f32 = 72.0 / 25.4;

/// A4, GB/T 9704 §5.1.
pub const A4_WIDTH: f32 = 210.0 * MM;
/// A4 height.
pub const A4_HEIGHT: f32 = 297.0 * MM;
/// 天头: top margin to the type area, §5.2.1.
pub const TOP: f32 = 37.0 * MM;
/// 订口: left margin to the type area.
pub const LEFT: f32 = 28.0 * MM;
/// 版心 width.
pub const AREA_WIDTH: f32 = 156.0 * MM;
/// 版心 height.
pub const AREA_HEIGHT: f32 = 225.0 * MM;
/// Lines per page, §5.2.3.
pub const LINES_PER_PAGE: usize = 22;
/// Characters per line.
pub const CHARS_PER_LINE: usize = 28;
/// One grid cell: the width a body character occupies (≈ 15.79 pt).
pub const CELL: f32 = AREA_WIDTH / CHARS_PER_LINE as f32;
/// Fixed line pitch (≈ 28.99 pt, the "固定值 28.9 磅" of Word practice).
pub const PITCH: f32 = AREA_HEIGHT / LINES_PER_PAGE as f32;
/// 3号: body type size.
pub const BODY_SIZE: f32 = 16.0;
/// 2号: title size.
pub const TITLE_SIZE: f32 = 22.0;
/// 4号: page numbers.
pub const FOLIO_SIZE: f32 = 14.0;
/// Small print on letters (proof block, cut-line label).
pub const NOTE_SIZE: f32 = 9.0;
/// Tracking that makes a 3号 ideograph occupy exactly one cell, so 28 fill a line: 16 pt
/// type is a little wider than 156 mm / 28, and Word closes the gap the same way when
/// "snap to grid" is on.
pub const BODY_TRACKING: f32 = CELL - BODY_SIZE;
/// Where a glyph's baseline sits below the top of its em box (CJK fonts put the ideographic
/// em box 0.88 em above the baseline).
const ASCENT: f32 = 0.88;

/// The 80 mm roll.
pub const TICKET_WIDTH: f32 = 80.0 * MM;
/// Side margin of the ticket: most 80 mm printers print 72 mm.
const TICKET_MARGIN: f32 = 4.0 * MM;

/// Which font a text item uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    /// The letter font.
    Letter,
    /// The ticket font.
    Ticket,
}

/// Something drawn on a page.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A run of text on one baseline.
    Text {
        /// Left edge.
        x: f32,
        /// Baseline, from the top of the page.
        baseline: f32,
        /// Type size in points.
        size: f32,
        /// Points added after each character (justification and grid fit).
        tracking: f32,
        /// Font.
        face: Face,
        /// The text.
        text: String,
    },
    /// A straight line.
    Rule {
        /// Start x.
        x1: f32,
        /// Start y, from the top.
        y1: f32,
        /// End x.
        x2: f32,
        /// End y, from the top.
        y2: f32,
        /// Stroke width.
        width: f32,
        /// Dashed (cut line) or solid.
        dashed: bool,
    },
    /// A QR code: `modules` row-major, `true` dark.
    Qr {
        /// Left edge of the first module.
        x: f32,
        /// Top edge of the first module.
        y: f32,
        /// Side of one module.
        module: f32,
        /// Modules per side.
        width: usize,
        /// Dark modules.
        modules: Vec<bool>,
    },
}

/// One page.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// Width in points.
    pub width: f32,
    /// Height in points.
    pub height: f32,
    /// What is drawn, in drawing order.
    pub items: Vec<Item>,
}

/// A laid-out document.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Pages in order.
    pub pages: Vec<Page>,
}

impl Layout {
    /// The text of every page, one entry per text item, top to bottom: a readable dump for
    /// tests and debugging.
    pub fn text_dump(&self) -> String {
        let mut out = String::new();
        for (idx, page) in self.pages.iter().enumerate() {
            out.push_str(&format!("--- page {} ---\n", idx + 1));
            for item in &page.items {
                if let Item::Text { text, .. } = item {
                    out.push_str(text);
                    out.push('\n');
                }
            }
        }
        out
    }
}

/// One line of the letter grid, with items positioned relative to the line's top.
#[derive(Debug, Clone, Default)]
struct GridLine {
    items: Vec<Item>,
    /// Kept on the same page as the line before it.
    keep_with_prev: bool,
}

impl GridLine {
    fn blank(keep_with_prev: bool) -> GridLine {
        GridLine {
            items: Vec::new(),
            keep_with_prev,
        }
    }
}

fn text_item(x: f32, line_top: f32, size: f32, tracking: f32, face: Face, text: String) -> Item {
    Item::Text {
        x,
        baseline: line_top + ASCENT * size,
        size,
        tracking,
        face,
        text,
    }
}

/// Lays out an A4 letter.
pub(crate) fn letter(composed: &Composed, fonts: &FontSet, proof: &Proof) -> Layout {
    let font = &fonts.letter;
    let body_measure = |ch: char| font.advance_em(ch) * BODY_SIZE + BODY_TRACKING;
    let mut lines: Vec<GridLine> = Vec::new();
    // Inside a cut-off stub every line stays with the one before it.
    let mut in_stub = false;
    let mut after_title = false;
    for block in &composed.blocks {
        if after_title && !matches!(block, Resolved::Title(_)) {
            // GB/T 9704 §7.3.2: one empty line between the title and the addressee.
            if !matches!(block, Resolved::Blank(_)) {
                lines.push(GridLine::blank(true));
            }
            after_title = false;
        }
        match block {
            Resolved::Title(text) => {
                after_title = true;
                let measure = |ch: char| font.advance_em(ch) * TITLE_SIZE;
                for line in break_lines(text, AREA_WIDTH, AREA_WIDTH, &measure) {
                    let width = font.width(&line, TITLE_SIZE, 0.0);
                    let x = LEFT + (AREA_WIDTH - width) / 2.0;
                    lines.push(GridLine {
                        items: vec![text_item(x, 0.0, TITLE_SIZE, 0.0, Face::Letter, line)],
                        keep_with_prev: in_stub || after_title && !lines.is_empty(),
                    });
                }
            }
            Resolved::Line { text, align, size } => {
                let (size, tracking) = match size {
                    Size::Small => (NOTE_SIZE + 3.0, 0.0),
                    _ => (BODY_SIZE, BODY_TRACKING),
                };
                let measure = |ch: char| font.advance_em(ch) * size + tracking;
                for line in break_lines(text, AREA_WIDTH, AREA_WIDTH, &measure) {
                    let width = font.width(&line, size, tracking) - tracking;
                    let x = match align {
                        Align::Left => LEFT,
                        Align::Center => LEFT + (AREA_WIDTH - width) / 2.0,
                        Align::Right => LEFT + AREA_WIDTH - width,
                    };
                    lines.push(GridLine {
                        items: vec![text_item(x, 0.0, size, tracking, Face::Letter, line)],
                        keep_with_prev: in_stub,
                    });
                }
            }
            Resolved::Para(text) => {
                let indent = 2.0 * CELL;
                let broken = break_lines(text, AREA_WIDTH - indent, AREA_WIDTH, &body_measure);
                let count = broken.len();
                for (idx, line) in broken.into_iter().enumerate() {
                    let x = if idx == 0 { LEFT + indent } else { LEFT };
                    let avail = if idx == 0 {
                        AREA_WIDTH - indent
                    } else {
                        AREA_WIDTH
                    };
                    let tracking = justify(font, &line, avail, idx + 1 < count);
                    lines.push(GridLine {
                        items: vec![text_item(x, 0.0, BODY_SIZE, tracking, Face::Letter, line)],
                        keep_with_prev: in_stub,
                    });
                }
            }
            Resolved::Blank(count) => {
                for _ in 0..*count {
                    lines.push(GridLine::blank(in_stub));
                }
            }
            Resolved::Signature {
                lines: signers,
                date,
            } => {
                // The seal goes over the signature and date, so leave it two lines of room,
                // and keep the whole block with the last line of text (GB/T 9704 §7.3.5:
                // never a page holding only a signature).
                lines.push(GridLine::blank(true));
                lines.push(GridLine::blank(true));
                let date_width = font.width(date, BODY_SIZE, BODY_TRACKING) - BODY_TRACKING;
                let date_right = LEFT + AREA_WIDTH - 4.0 * CELL;
                let centre = date_right - date_width / 2.0;
                for signer in signers {
                    let width = font.width(signer, BODY_SIZE, BODY_TRACKING) - BODY_TRACKING;
                    let x = (centre - width / 2.0)
                        .min(LEFT + AREA_WIDTH - width)
                        .max(LEFT);
                    lines.push(GridLine {
                        items: vec![text_item(
                            x,
                            0.0,
                            BODY_SIZE,
                            BODY_TRACKING,
                            Face::Letter,
                            signer.clone(),
                        )],
                        keep_with_prev: true,
                    });
                }
                lines.push(GridLine {
                    items: vec![text_item(
                        date_right - date_width,
                        0.0,
                        BODY_SIZE,
                        BODY_TRACKING,
                        Face::Letter,
                        date.clone(),
                    )],
                    keep_with_prev: true,
                });
            }
            Resolved::Cut(label) => {
                in_stub = true;
                let size = NOTE_SIZE + 1.0;
                let width = font.width(label, size, 0.0);
                let x = LEFT + (AREA_WIDTH - width) / 2.0;
                let mid = PITCH / 2.0;
                lines.push(GridLine {
                    items: vec![
                        Item::Rule {
                            x1: LEFT,
                            y1: mid,
                            x2: x - 6.0,
                            y2: mid,
                            width: 0.6,
                            dashed: true,
                        },
                        Item::Text {
                            x,
                            baseline: mid + size * 0.35,
                            size,
                            tracking: 0.0,
                            face: Face::Letter,
                            text: label.clone(),
                        },
                        Item::Rule {
                            x1: x + width + 6.0,
                            y1: mid,
                            x2: LEFT + AREA_WIDTH,
                            y2: mid,
                            width: 0.6,
                            dashed: true,
                        },
                    ],
                    keep_with_prev: false,
                });
            }
            Resolved::SignLine(text) => {
                let width = font.width(text, BODY_SIZE, BODY_TRACKING);
                let baseline = ASCENT * BODY_SIZE;
                let rule_y = baseline + 3.0;
                let start = (LEFT + width + 4.0).min(LEFT + AREA_WIDTH - 6.0 * CELL);
                lines.push(GridLine {
                    items: vec![
                        text_item(
                            LEFT,
                            0.0,
                            BODY_SIZE,
                            BODY_TRACKING,
                            Face::Letter,
                            text.clone(),
                        ),
                        Item::Rule {
                            x1: start,
                            y1: rule_y,
                            x2: LEFT + AREA_WIDTH - CELL,
                            y2: rule_y,
                            width: 0.5,
                            dashed: false,
                        },
                    ],
                    keep_with_prev: in_stub,
                });
            }
        }
    }

    let mut pages = paginate(lines);
    let count = pages.len();
    for (idx, page) in pages.iter_mut().enumerate() {
        page.items.push(folio(font, idx + 1));
        if idx == 0 {
            page.items.extend(proof_block(font, Face::Letter, proof));
        }
    }
    debug_assert!(count >= 1);
    Layout { pages }
}

/// Tracking for one line: the grid tracking, stretched on every line but a paragraph's last so
/// both edges of the text block are straight (两端对齐), as GB/T 9704 documents are set.
fn justify(font: &Font, line: &str, avail: f32, stretch: bool) -> f32 {
    let chars = line.chars().count();
    if !stretch || chars < 2 {
        return BODY_TRACKING;
    }
    let natural = font.width(line, BODY_SIZE, BODY_TRACKING) - BODY_TRACKING;
    let extra = (avail - natural) / (chars - 1) as f32;
    // A line left short by a case number pushed whole onto the next line would be spread
    // into loose letter-spacing; past a third of a character per gap it reads better ragged.
    // Negative extra (a line of ideographs a fraction of a point over) is always taken up.
    if extra > BODY_SIZE / 3.0 {
        BODY_TRACKING
    } else {
        BODY_TRACKING + extra
    }
}

/// Distributes grid lines over pages, 22 to a page, moving a group of lines joined by
/// `keep_with_prev` to the next page whole when it does not fit (unless it is longer than a
/// page). Empty lines at the top of a page are dropped.
fn paginate(lines: Vec<GridLine>) -> Vec<Page> {
    let mut groups: Vec<Vec<GridLine>> = Vec::new();
    for line in lines {
        match groups.last_mut() {
            Some(group) if line.keep_with_prev => group.push(line),
            _ => groups.push(vec![line]),
        }
    }
    let mut pages: Vec<Vec<GridLine>> = vec![Vec::new()];
    for group in groups {
        let used = pages.last().map_or(0, Vec::len);
        if used > 0 && used + group.len() > LINES_PER_PAGE && group.len() <= LINES_PER_PAGE {
            pages.push(Vec::new());
        }
        for line in group {
            let page = pages.last_mut().expect("there is always a page");
            if page.len() == LINES_PER_PAGE {
                pages.push(Vec::new());
            }
            let page = pages.last_mut().expect("there is always a page");
            if page.is_empty() && line.items.is_empty() {
                continue;
            }
            page.push(line);
        }
    }
    if pages.len() > 1 && pages.last().is_some_and(Vec::is_empty) {
        pages.pop();
    }
    pages
        .into_iter()
        .map(|page| {
            let mut items = Vec::new();
            for (row, line) in page.into_iter().enumerate() {
                let top = TOP + row as f32 * PITCH;
                items.extend(line.items.into_iter().map(|item| shift(item, top)));
            }
            Page {
                width: A4_WIDTH,
                height: A4_HEIGHT,
                items,
            }
        })
        .collect()
}

fn shift(item: Item, dy: f32) -> Item {
    match item {
        Item::Text {
            x,
            baseline,
            size,
            tracking,
            face,
            text,
        } => Item::Text {
            x,
            baseline: baseline + dy,
            size,
            tracking,
            face,
            text,
        },
        Item::Rule {
            x1,
            y1,
            x2,
            y2,
            width,
            dashed,
        } => Item::Rule {
            x1,
            y1: y1 + dy,
            x2,
            y2: y2 + dy,
            width,
            dashed,
        },
        Item::Qr {
            x,
            y,
            module,
            width,
            modules,
        } => Item::Qr {
            x,
            y: y + dy,
            module,
            width,
            modules,
        },
    }
}

/// "— n —" 7 mm below the type area (GB/T 9704 §7.5), one character in from the right on odd
/// pages and from the left on even pages, as for double-sided printing.
fn folio(font: &Font, number: usize) -> Item {
    let text = format!("— {number} —");
    let width = font.width(&text, FOLIO_SIZE, 0.0);
    let x = if number % 2 == 1 {
        LEFT + AREA_WIDTH - CELL - width
    } else {
        LEFT + CELL
    };
    let top = TOP + AREA_HEIGHT + 7.0 * MM;
    Item::Text {
        x,
        baseline: top + ASCENT * FOLIO_SIZE,
        size: FOLIO_SIZE,
        tracking: 0.0,
        face: Face::Letter,
        text,
    }
}

/// The proof lines printed beside the QR code.
fn proof_lines(proof: &Proof) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(case) = &proof.case_number {
        lines.push(format!("信访件编号：{case}"));
    }
    if let Some(code) = &proof.query_code {
        lines.push(format!("查询码：{code}"));
    }
    lines.push(format!("文书校验码：{}", proof.short_hash()));
    lines
}

fn qr_item(proof: &Proof, x: f32, y: f32, side: f32) -> Item {
    // Four modules of quiet zone on each side are part of the square, left unpainted.
    let module = side / (proof.width + 8) as f32;
    Item::Qr {
        x: x + 4.0 * module,
        y: y + 4.0 * module,
        module,
        width: proof.width,
        modules: proof.modules.clone(),
    }
}

/// The QR code in the top margin of page 1, right-aligned with the type area, and the proof
/// lines to its left. The margin is outside the 22-line grid, so the letter's layout is the
/// same with or without it.
fn proof_block(font: &Font, face: Face, proof: &Proof) -> Vec<Item> {
    let side = 22.0 * MM;
    let qr_x = LEFT + AREA_WIDTH - side;
    let qr_y = 9.0 * MM;
    let mut items = vec![qr_item(proof, qr_x, qr_y, side)];
    for (idx, line) in proof_lines(proof).into_iter().enumerate() {
        let width = font.width(&line, NOTE_SIZE, 0.0);
        let baseline = qr_y + 7.0 * MM + idx as f32 * 4.5 * MM;
        items.push(Item::Text {
            x: qr_x - 1.0 * MM - width,
            baseline,
            size: NOTE_SIZE,
            tracking: 0.0,
            face,
            text: line,
        });
    }
    items
}

/// Lays out the queue ticket: one page of 80 mm width whose height follows the content.
pub(crate) fn ticket(composed: &Composed, fonts: &FontSet, proof: &Proof) -> Layout {
    let font = &fonts.ticket;
    let width = TICKET_WIDTH - 2.0 * TICKET_MARGIN;
    let mut items = Vec::new();
    let mut y = 5.0 * MM;
    let put =
        |items: &mut Vec<Item>, y: &mut f32, text: &str, size: f32, align: Align, indent: f32| {
            let measure = |ch: char| font.advance_em(ch) * size;
            let lead = if size > 20.0 { 1.15 } else { 1.45 };
            for (idx, line) in break_lines(text, width - indent, width, &measure)
                .into_iter()
                .enumerate()
            {
                let w = font.width(&line, size, 0.0);
                let x = match align {
                    Align::Left => TICKET_MARGIN + if idx == 0 { indent } else { 0.0 },
                    Align::Center => (TICKET_WIDTH - w) / 2.0,
                    Align::Right => TICKET_WIDTH - TICKET_MARGIN - w,
                };
                items.push(Item::Text {
                    x,
                    baseline: *y + ASCENT * size,
                    size,
                    tracking: 0.0,
                    face: Face::Ticket,
                    text: line,
                });
                *y += size * lead;
            }
        };
    for block in &composed.blocks {
        match block {
            Resolved::Title(text) => put(&mut items, &mut y, text, 14.0, Align::Center, 0.0),
            Resolved::Line { text, align, size } => {
                let size = match size {
                    Size::Small => 8.0,
                    Size::Normal => 10.0,
                    Size::Large => 13.0,
                    Size::Huge => 44.0,
                };
                put(&mut items, &mut y, text, size, *align, 0.0);
            }
            Resolved::Para(text) => put(&mut items, &mut y, text, 8.5, Align::Left, 17.0),
            Resolved::Blank(count) => y += *count as f32 * 3.0 * MM,
            Resolved::Signature { lines, date } => {
                for line in lines.iter().chain([date]) {
                    put(&mut items, &mut y, line, 9.0, Align::Right, 0.0);
                }
            }
            Resolved::Cut(text) | Resolved::SignLine(text) => {
                put(&mut items, &mut y, text, 9.0, Align::Left, 0.0)
            }
        }
    }
    y += 2.0 * MM;
    let side = 26.0 * MM;
    items.push(qr_item(proof, (TICKET_WIDTH - side) / 2.0, y, side));
    y += side;
    for line in proof_lines(proof) {
        let w = font.width(&line, 8.0, 0.0);
        items.push(Item::Text {
            x: (TICKET_WIDTH - w) / 2.0,
            baseline: y + ASCENT * 8.0,
            size: 8.0,
            tracking: 0.0,
            face: Face::Ticket,
            text: line,
        });
        y += 8.0 * 1.4;
    }
    // Room for the cutter: most roll printers cut 5-8 mm below the last printed dot.
    y += 8.0 * MM;
    Layout {
        pages: vec![Page {
            width: TICKET_WIDTH,
            height: y,
            items,
        }],
    }
}
