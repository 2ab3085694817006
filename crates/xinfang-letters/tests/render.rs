//! Renders every document kind through the real fonts and checks the PDFs with poppler's
//! command-line tools (pdftotext, pdffonts, pdfinfo, pdftoppm), as a person's viewer would
//! read them. PDFs and PNGs are left in `tests/output/` (git-ignored) for a person to look at.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use xinfang_letters::{
    CASE_NUMBER, DocKind, Engine, FieldValue, LetterData, QUERY_CODE, RenderOptions, Rendered,
    SHORT_HASH_LEN, Templates, long_opinion, sample,
};

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::load(None).expect("bundled fonts and templates load"))
}

fn output_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/output");
    std::fs::create_dir_all(&dir).expect("create tests/output");
    dir
}

/// Writes the PDF and a first-page PNG under `tests/output/` and returns the PDF's path.
fn save(name: &str, rendered: &Rendered) -> PathBuf {
    let path = output_dir().join(format!("{name}.pdf"));
    std::fs::write(&path, &rendered.pdf).expect("write pdf");
    let png_stem = output_dir().join(name);
    let status = Command::new("pdftoppm")
        .args(["-png", "-r", "60"])
        .arg(&path)
        .arg(&png_stem)
        .status()
        .expect("pdftoppm runs (apt-get install poppler-utils)");
    assert!(status.success(), "pdftoppm failed on {name}");
    path
}

fn tool(name: &str, args: &[&str], pdf: &Path) -> String {
    let out = Command::new(name)
        .args(args)
        .arg(pdf)
        .args(if name == "pdftotext" {
            vec!["-"]
        } else {
            vec![]
        })
        .output()
        .unwrap_or_else(|err| panic!("{name} runs (apt-get install poppler-utils): {err}"));
    assert!(
        out.status.success(),
        "{name} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// pdftotext output with whitespace removed: justified lines may come out with spaces between
/// characters, which says nothing about the text itself.
fn text_of(pdf: &Path) -> String {
    tool("pdftotext", &[], pdf)
        .chars()
        .filter(|ch| !ch.is_whitespace())
        .collect()
}

fn page_size(pdf: &Path) -> (f32, f32, usize) {
    let info = tool("pdfinfo", &[], pdf);
    let line = info
        .lines()
        .find(|line| line.starts_with("Page size:"))
        .expect("pdfinfo prints a page size");
    let nums: Vec<f32> = line
        .split_whitespace()
        .filter_map(|word| word.parse().ok())
        .collect();
    let pages = info
        .lines()
        .find_map(|line| line.strip_prefix("Pages:"))
        .and_then(|rest| rest.trim().parse().ok())
        .expect("pdfinfo prints a page count");
    (nums[0], nums[1], pages)
}

fn render(data: &LetterData) -> Rendered {
    engine()
        .render(data, &RenderOptions::default())
        .unwrap_or_else(|err| panic!("{err}: {}", err.message_zh()))
}

#[test]
fn every_kind_renders_with_its_key_text_extractable() {
    for kind in DocKind::ALL {
        let data = sample(kind);
        let rendered = render(&data);
        let pdf = save(kind.code(), &rendered);
        let text = text_of(&pdf);
        let mut expected = vec![rendered.content_hash[..SHORT_HASH_LEN].to_string()];
        // The work report belongs to no case: it carries only its own check code.
        if kind != DocKind::WorkReport {
            expected.push(QUERY_CODE.to_string());
        }
        if !kind.is_ticket() && kind != DocKind::WorkReport {
            expected.push(CASE_NUMBER.to_string());
        }
        for name in [
            "petitioner_name",
            "ticket_number",
            "recipient_unit",
            "reason",
            "deadline",
            "feedback_date",
            "new_due_date",
            "proper_channel",
            "review_body",
            "recheck_body",
            "issue_date",
        ] {
            if let Some(FieldValue::Text(value)) = data.fields.get(name) {
                let printed = if value.len() == 10 && value.as_bytes()[4] == b'-' {
                    let (y, m, d) = (
                        &value[..4],
                        value[5..7].trim_start_matches('0'),
                        value[8..].trim_start_matches('0'),
                    );
                    format!("{y}年{m}月{d}日")
                } else {
                    value.clone()
                };
                expected.push(printed.chars().filter(|ch| !ch.is_whitespace()).collect());
            }
        }
        for want in &expected {
            assert!(
                text.contains(want.as_str()),
                "{}: {want:?} missing from pdftotext output:\n{text}",
                kind.code()
            );
        }
        assert_eq!(rendered.template_version, "2026.11-1");
        assert_eq!(rendered.sha256.len(), 64);
    }
}

#[test]
fn opinions_carry_the_review_window_and_per_item_decisions() {
    let rendered = render(&sample(DocKind::HandlingOpinion));
    let text = text_of(&save("handling_opinion_check", &rendered));
    for want in [
        "30日内向临江市人民政府请求复查",
        "支持",
        "解释说明",
        "不予支持",
        "《保障农民工工资支付条例》",
    ] {
        assert!(text.contains(want), "{want} missing:\n{text}");
    }
    let rendered = render(&sample(DocKind::RecheckOpinion));
    let text = text_of(&save("recheck_opinion_check", &rendered));
    assert!(
        text.contains("不再受理"),
        "a 复核 opinion says the same facts will not be accepted again"
    );
}

#[test]
fn fonts_are_embedded_as_subsets_only() {
    for kind in [
        DocKind::Ticket,
        DocKind::AcceptanceNotice,
        DocKind::HandlingOpinion,
    ] {
        let pdf = save(&format!("fonts_{}", kind.code()), &render(&sample(kind)));
        let listing = tool("pdffonts", &[], &pdf);
        let rows: Vec<&str> = listing.lines().skip(2).collect();
        assert!(
            !rows.is_empty(),
            "{}: no fonts listed:\n{listing}",
            kind.code()
        );
        for row in rows {
            let cols: Vec<&str> = row.split_whitespace().collect();
            let n = cols.len();
            // name type encoding emb sub uni object ID: emb and sub are the 5th and 4th from the end.
            assert_eq!(
                (cols[n - 5], cols[n - 4]),
                ("yes", "yes"),
                "{}: not an embedded subset: {row}",
                kind.code()
            );
            assert!(
                cols[0].contains('+'),
                "subset fonts carry a tag prefix: {row}"
            );
        }
    }
}

#[test]
fn letters_are_a4_and_the_ticket_is_80_mm_wide() {
    let notice = save("size_notice", &render(&sample(DocKind::AcceptanceNotice)));
    let (w, h, pages) = page_size(&notice);
    assert!(
        (w - 595.28).abs() < 0.05 && (h - 841.89).abs() < 0.05,
        "A4 expected, got {w} x {h}"
    );
    assert_eq!(pages, 1);
    let ticket = save("size_ticket", &render(&sample(DocKind::Ticket)));
    let (w, h, pages) = page_size(&ticket);
    assert!((w - 226.77).abs() < 0.05, "80 mm = 226.77 pt wide, got {w}");
    assert!(
        h > 200.0 && h < 600.0,
        "the ticket is as tall as its content, got {h}"
    );
    assert_eq!(pages, 1);
}

#[test]
fn a_long_opinion_flows_onto_numbered_further_pages() {
    let rendered = render(&long_opinion());
    let pdf = save("long_opinion", &rendered);
    let (_, _, pages) = page_size(&pdf);
    assert!(pages >= 2, "twelve paragraphs of facts do not fit one page");
    assert_eq!(pages, rendered.pages);
    // pdftotext drops the narrow spaces of "— 2 —", so compare without whitespace.
    let text = text_of(&pdf);
    for number in 1..=pages {
        assert!(
            text.contains(&format!("—{number}—")),
            "page number {number} missing"
        );
    }
    // The signature and date stay together with text on the last page.
    let last = tool(
        "pdftotext",
        &["-f", &pages.to_string(), "-l", &pages.to_string()],
        &pdf,
    );
    let last: String = last.chars().filter(|ch| !ch.is_whitespace()).collect();
    assert!(
        last.contains("临江县人民政府信访局") && last.contains("2026年11月28日"),
        "{last}"
    );
    assert!(
        last.contains("请求复查"),
        "the signature is not alone on its page: {last}"
    );
}

#[test]
fn a_one_page_notice_is_small() {
    for kind in [
        DocKind::AcceptanceNotice,
        DocKind::NonAcceptanceNotice,
        DocKind::VisitReceipt,
    ] {
        let rendered = render(&sample(kind));
        assert_eq!(rendered.pages, 1, "{}", kind.code());
        assert!(
            rendered.pdf.len() < 100 * 1024,
            "{}: {} bytes",
            kind.code(),
            rendered.pdf.len()
        );
    }
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let data = sample(DocKind::ExtensionNotice);
    let first = render(&data);
    let second = render(&data);
    assert_eq!(
        first.sha256, second.sha256,
        "the SHA-256 identifies an issued document only if stable"
    );
    let changed = render(&data.text("reason", "需要补充调取银行流水"));
    assert_ne!(first.content_hash, changed.content_hash);
}

#[test]
fn the_qr_payload_names_case_query_code_and_hash() {
    let rendered = render(&sample(DocKind::VisitReceipt));
    let hash = &rendered.content_hash[..SHORT_HASH_LEN];
    assert_eq!(
        rendered.qr_payload,
        format!("XFDESK1;k=visit_receipt;c={CASE_NUMBER};q={QUERY_CODE};h={hash}")
    );
}

#[test]
fn preview_stamps_a_watermark_on_every_page() {
    let options = RenderOptions {
        preview: true,
        ..RenderOptions::default()
    };
    let rendered = engine().render(&long_opinion(), &options).expect("renders");
    let pdf = save("long_opinion_preview", &rendered);
    for page in 1..=rendered.pages {
        // -raw: pdftotext leaves rotated text out of its reading-order output.
        let text = tool(
            "pdftotext",
            &["-raw", "-f", &page.to_string(), "-l", &page.to_string()],
            &pdf,
        );
        let text: String = text.chars().filter(|ch| !ch.is_whitespace()).collect();
        assert!(
            text.contains("预览"),
            "page {page} has no watermark: {text}"
        );
    }
    let ticket = engine()
        .render(&sample(DocKind::Ticket), &options)
        .expect("renders");
    save("ticket_preview", &ticket);
}

#[test]
fn a_character_the_font_lacks_is_refused_and_named() {
    // U+2A6A5 𪚥 (four dragons, read zhé) is in CJK Extension B and not in Noto CJK SC.
    let data = sample(DocKind::VisitReceipt).text("petitioner_name", "龙𪚥");
    let err = engine()
        .render(&data, &RenderOptions::default())
        .expect_err("missing glyph");
    assert_eq!(err.code(), "missing_glyph");
    assert_eq!(err.field(), Some("petitioner_name"));
    let message = err.message_zh();
    assert!(
        message.contains("𪚥") && message.contains("U+2A6A5"),
        "{message}"
    );
    assert!(
        !message.contains("“龙”"),
        "only the missing character is listed: {message}"
    );
}

#[test]
fn an_empty_required_field_is_refused_with_its_name() {
    let data = sample(DocKind::NonAcceptanceNotice).text("proper_channel", "  ");
    let err = engine()
        .render(&data, &RenderOptions::default())
        .expect_err("required");
    assert_eq!(err.code(), "field_required");
    assert_eq!(err.field(), Some("proper_channel"));
    // The clerk reads the field's Chinese label, not its code.
    assert!(
        err.message_zh().contains("应当提出的机关或途径"),
        "{}",
        err.message_zh()
    );

    let mut data = sample(DocKind::HandlingOpinion);
    if let Some(FieldValue::List(rows)) = data.fields.get_mut("items") {
        rows[1].insert("reason".to_string(), String::new());
    }
    let err = engine()
        .render(&data, &RenderOptions::default())
        .expect_err("required column");
    assert_eq!(
        (err.code(), err.field()),
        ("field_required", Some("items[1].reason"))
    );
}

#[test]
fn bad_values_are_refused() {
    let mut data = sample(DocKind::HandlingOpinion);
    if let Some(FieldValue::List(rows)) = data.fields.get_mut("items") {
        rows[0].insert("decision".to_string(), "部分支持".to_string());
    }
    let err = engine()
        .render(&data, &RenderOptions::default())
        .expect_err("decision outside the three words");
    assert_eq!(
        (err.code(), err.field()),
        ("field_invalid", Some("items[0].decision"))
    );

    let err = render_err(sample(DocKind::AcceptanceNotice).text("due_date", "2027/01/20"));
    assert_eq!(
        (err.code(), err.field()),
        ("field_invalid", Some("due_date"))
    );

    let err = render_err(sample(DocKind::AcceptanceNotice).text("petitoner_name", "王秀英"));
    assert_eq!(
        (err.code(), err.field()),
        ("field_unknown", Some("petitoner_name"))
    );

    // Art. 34: at most 30 days' extension.
    let err = render_err(sample(DocKind::ExtensionNotice).text("new_due_date", "2027-01-24"));
    assert_eq!(
        (err.code(), err.field()),
        ("field_invalid", Some("new_due_date"))
    );
}

fn render_err(data: LetterData) -> xinfang_letters::Error {
    engine()
        .render(&data, &RenderOptions::default())
        .expect_err("refused")
}

#[test]
fn a_county_override_replaces_wording_without_rebuilding() {
    let dir = std::env::temp_dir().join(format!("xinfang-letters-override-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let bundled = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/templates/urge_letter.json"),
    )
    .expect("bundled template");
    let county = bundled
        .replace("2026.11-1", "临江-2027.1")
        .replace("抓紧办理", "立即办理");
    std::fs::write(dir.join("urge_letter.json"), county).expect("write override");
    let templates = Templates::load(Some(&dir)).expect("override loads");
    let engine = Engine::new(engine().fonts().clone(), templates);
    let rendered = engine
        .render(&sample(DocKind::UrgeLetter), &RenderOptions::default())
        .expect("renders");
    assert_eq!(rendered.template_version, "临江-2027.1");
    let text = text_of(&save("urge_letter_override", &rendered));
    assert!(text.contains("立即办理"), "{text}");

    // A broken override is refused at load, naming the field.
    std::fs::write(
        dir.join("urge_letter.json"),
        bundled.replace("{due_date}", "{due}"),
    )
    .expect("write override");
    let err = Templates::load(Some(&dir)).expect_err("unknown field");
    assert_eq!(
        (err.code(), err.field()),
        ("template_unknown_field", Some("due"))
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn laid_out_lines_never_start_or_end_with_forbidden_punctuation() {
    for data in DocKind::ALL.into_iter().map(sample).chain([long_opinion()]) {
        let layout = engine()
            .layout(&data, &RenderOptions::default())
            .expect("lays out");
        for line in layout
            .text_dump()
            .lines()
            .filter(|line| !line.starts_with("---"))
        {
            let first = line.chars().next().unwrap_or(' ');
            let last = line.chars().last().unwrap_or(' ');
            assert!(
                !xinfang_letters::linebreak::is_no_start(first),
                "{}: line starts badly: {line}",
                data.kind.code()
            );
            assert!(
                !xinfang_letters::linebreak::is_no_end(last),
                "{}: line ends badly: {line}",
                data.kind.code()
            );
        }
    }
}

#[test]
fn body_lines_hold_at_most_28_characters_on_the_grid() {
    let layout = engine()
        .layout(&long_opinion(), &RenderOptions::default())
        .expect("lays out");
    let mut full = 0;
    for page in &layout.pages {
        for item in &page.items {
            if let xinfang_letters::layout::Item::Text {
                x,
                size,
                tracking,
                text,
                ..
            } = item
                && *size == xinfang_letters::layout::BODY_SIZE
            {
                let width = engine().fonts().letter.width(text, *size, *tracking) - tracking;
                let right = x + width;
                let edge = xinfang_letters::layout::LEFT + xinfang_letters::layout::AREA_WIDTH;
                assert!(
                    right <= edge + 0.05,
                    "{text} runs to {right}, past the type area at {edge}"
                );
                if text.chars().count() == 28 {
                    full += 1;
                }
            }
        }
    }
    assert!(
        full > 5,
        "all-CJK lines fill exactly 28 cells; found {full}"
    );
}

#[test]
fn the_field_tables_in_the_docs_are_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("FIELDS.md");
    let expected = xinfang_letters::fields_markdown();
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, &expected).expect("write FIELDS.md");
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "FIELDS.md is stale; run with UPDATE_EXPECT=1 to regenerate"
    );
}

#[test]
fn an_office_font_can_replace_the_letter_font() {
    // The ticket font stands in for an office's 仿宋_GB2312 file: any OpenType/TrueType file works.
    let dir = xinfang_letters::fonts::bundled_font_dir();
    let other =
        xinfang_letters::Font::from_file(&dir.join(xinfang_letters::fonts::TICKET_FONT_FILE), 0)
            .expect("loads");
    let fonts = engine().fonts().clone().with_letter_font(other);
    let engine = Engine::new(fonts, Templates::bundled());
    let rendered = engine
        .render(
            &sample(DocKind::AcceptanceNotice),
            &RenderOptions::default(),
        )
        .expect("renders");
    let listing = tool("pdffonts", &[], &save("acceptance_notice_sans", &rendered));
    assert!(listing.contains("NotoSansCJKsc"), "{listing}");
}
