//! Turning a `Layout` into PDF bytes with printpdf: text through the subset-embedded font,
//! rules, QR modules as filled rectangles, and the optional 预览 watermark.

use printpdf::{
    Color, FontId, Greyscale, Line, LineDashPattern, LinePoint, Mm, Op, PaintMode, PdfDocument,
    PdfFont, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt, Rect, TextItem, TextMatrix,
};

use crate::fonts::FontSet;
use crate::layout::{Face, Item, Layout, MM};

/// How a layout is written out.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WriteOptions {
    pub preview: bool,
    pub subset_fonts: bool,
}

pub(crate) const WATERMARK: &str = "预览";
const WATERMARK_SIZE: f32 = 120.0;

pub(crate) fn write_pdf(
    layout: &Layout,
    fonts: &FontSet,
    title: &str,
    doc_id: &str,
    options: WriteOptions,
) -> Vec<u8> {
    let mut doc = PdfDocument::new(title);
    doc.metadata.info.producer = "xinfang-letters".to_string();
    doc.metadata.info.creator = "Xinfang Desk".to_string();
    let uses = |face: Face| {
        layout.pages.iter().any(|page| {
            page.items
                .iter()
                .any(|item| matches!(item, Item::Text { face: f, .. } if *f == face))
        })
    };
    // The watermark is set in the letter font; add only the faces a document uses, so a
    // ticket does not carry a serif subset it never shows.
    // printpdf's `add_font` names fonts with random letters, which also become the subset tag
    // and so make every rendering differ; name them from the content hash instead.
    let mut add_font = |parsed: &printpdf::ParsedFont, salt: usize| {
        let id = FontId(font_tag(doc_id, salt));
        doc.resources
            .fonts
            .map
            .insert(id.clone(), PdfFont::new(parsed.clone()));
        id
    };
    let letter_id =
        (uses(Face::Letter) || options.preview).then(|| add_font(&fonts.letter.parsed, 0));
    let ticket_id = uses(Face::Ticket).then(|| add_font(&fonts.ticket.parsed, 1));
    let font_id = |face: Face| -> Option<FontId> {
        match face {
            Face::Letter => letter_id.clone(),
            Face::Ticket => ticket_id.clone(),
        }
    };

    let mut pages = Vec::with_capacity(layout.pages.len());
    for page in &layout.pages {
        let height = page.height;
        let mut ops = Vec::new();
        if options.preview
            && let Some(id) = font_id(Face::Letter)
        {
            watermark(&mut ops, fonts, id, page.width, height);
        }
        let mut current: Option<(Face, f32)> = None;
        let mut tracking = 0.0_f32;
        let mut in_text = false;
        for item in &page.items {
            match item {
                Item::Text {
                    x,
                    baseline,
                    size,
                    tracking: item_tracking,
                    face,
                    text,
                } => {
                    let Some(id) = font_id(*face) else { continue };
                    if !in_text {
                        ops.push(Op::StartTextSection);
                        in_text = true;
                        current = None;
                        tracking = 0.0;
                    }
                    if current != Some((*face, *size)) {
                        ops.push(Op::SetFont {
                            font: PdfFontHandle::External(id),
                            size: Pt(*size),
                        });
                        current = Some((*face, *size));
                    }
                    if (tracking - item_tracking).abs() > 1e-4 {
                        ops.push(Op::SetCharacterSpacing {
                            multiplier: *item_tracking,
                        });
                        tracking = *item_tracking;
                    }
                    ops.push(Op::SetTextMatrix {
                        matrix: TextMatrix::Translate(Pt(*x), Pt(height - baseline)),
                    });
                    ops.push(Op::ShowText {
                        items: vec![TextItem::Text(text.clone())],
                    });
                }
                Item::Rule {
                    x1,
                    y1,
                    x2,
                    y2,
                    width,
                    dashed,
                } => {
                    close_text(&mut ops, &mut in_text);
                    ops.push(Op::SetOutlineColor { col: black() });
                    ops.push(Op::SetOutlineThickness { pt: Pt(*width) });
                    let dash = if *dashed {
                        LineDashPattern::new(0.0, &[3.0, 2.0])
                    } else {
                        LineDashPattern::solid()
                    };
                    ops.push(Op::SetLineDashPattern { dash });
                    ops.push(Op::DrawLine {
                        line: Line {
                            points: vec![
                                LinePoint {
                                    p: Point {
                                        x: Pt(*x1),
                                        y: Pt(height - y1),
                                    },
                                    bezier: false,
                                },
                                LinePoint {
                                    p: Point {
                                        x: Pt(*x2),
                                        y: Pt(height - y2),
                                    },
                                    bezier: false,
                                },
                            ],
                            is_closed: false,
                        },
                    });
                }
                Item::Qr {
                    x,
                    y,
                    module,
                    width,
                    modules,
                } => {
                    close_text(&mut ops, &mut in_text);
                    ops.push(Op::SetFillColor { col: black() });
                    qr(&mut ops, *x, height - y, *module, *width, modules);
                }
            }
        }
        close_text(&mut ops, &mut in_text);
        pages.push(PdfPage::new(Mm(page.width / MM), Mm(height / MM), ops));
    }
    doc.with_pages(pages);

    let save = PdfSaveOptions {
        subset_fonts: options.subset_fonts,
        ..PdfSaveOptions::default()
    };
    let mut warnings = Vec::new();
    let mut lo = doc.to_lopdf_document(&save, &mut warnings);
    // printpdf fills the file identifier with random digits; derive it from the content so
    // that rendering the same document twice gives the same bytes and the same SHA-256.
    let id = lopdf::Object::String(doc_id.as_bytes().to_vec(), lopdf::StringFormat::Hexadecimal);
    lo.trailer
        .set("ID", lopdf::Object::Array(vec![id.clone(), id]));
    lo.compress();
    let mut bytes = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = lo.save_to(&mut bytes);
    bytes
}

/// 32 upper-case letters from `doc_id` (hex): its first six are the font's subset tag, which
/// PDF wants as six capitals.
fn font_tag(doc_id: &str, salt: usize) -> String {
    doc_id
        .bytes()
        .map(|b| {
            let digit = char::from(b).to_digit(16).unwrap_or(0) as usize;
            char::from(b'A' + ((digit + salt * 7) % 26) as u8)
        })
        .collect()
}

fn black() -> Color {
    Color::Greyscale(Greyscale::new(0.0, None))
}

fn close_text(ops: &mut Vec<Op>, in_text: &mut bool) {
    if *in_text {
        ops.push(Op::EndTextSection);
        *in_text = false;
    }
}

/// Dark modules as filled rectangles, one per horizontal run, so a code is a few dozen
/// rectangles rather than hundreds of squares. `top` is in PDF space (from the bottom).
fn qr(ops: &mut Vec<Op>, x: f32, top: f32, module: f32, width: usize, modules: &[bool]) {
    for (row, cells) in modules.chunks(width).enumerate() {
        let y = top - (row + 1) as f32 * module;
        let mut col = 0;
        while col < width {
            if !cells[col] {
                col += 1;
                continue;
            }
            let start = col;
            while col < width && cells[col] {
                col += 1;
            }
            ops.push(Op::DrawRectangle {
                rectangle: Rect {
                    x: Pt(x + start as f32 * module),
                    y: Pt(y),
                    width: Pt((col - start) as f32 * module),
                    height: Pt(module),
                    mode: Some(PaintMode::Fill),
                    winding_order: None,
                },
            });
        }
    }
}

/// A light grey 预览 across the page at 45°, drawn first so the text lies on top of it.
fn watermark(ops: &mut Vec<Op>, fonts: &FontSet, id: FontId, width: f32, height: f32) {
    let size = if width < 300.0 {
        WATERMARK_SIZE / 2.5
    } else {
        WATERMARK_SIZE
    };
    let text_width = fonts.letter.width(WATERMARK, size, 0.0);
    let (sin, cos) = std::f32::consts::FRAC_PI_4.sin_cos();
    // Put the middle of the word (half its width along, a third of the size up) at the
    // middle of the page, after rotation.
    let (dx, dy) = (text_width / 2.0, size * 0.35);
    let origin_x = width / 2.0 - (dx * cos - dy * sin);
    let origin_y = height / 2.0 - (dx * sin + dy * cos);
    ops.push(Op::SaveGraphicsState);
    ops.push(Op::SetFillColor {
        col: Color::Greyscale(Greyscale::new(0.85, None)),
    });
    ops.push(Op::StartTextSection);
    ops.push(Op::SetFont {
        font: PdfFontHandle::External(id),
        size: Pt(size),
    });
    ops.push(Op::SetTextMatrix {
        matrix: TextMatrix::Raw([cos, sin, -sin, cos, origin_x, origin_y]),
    });
    ops.push(Op::ShowText {
        items: vec![TextItem::Text(WATERMARK.to_string())],
    });
    ops.push(Op::EndTextSection);
    ops.push(Op::RestoreGraphicsState);
}
