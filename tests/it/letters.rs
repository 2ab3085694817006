//! Documents from real cases: the fields come from the register, the PDF is checked with
//! poppler's `pdftotext`, issuing and printing are recorded, a 检举控告 letter to a unit never
//! names the reporter, and a document with a missing fact is refused naming it.

use std::{
    process::Command,
    sync::{Arc, Mutex},
};

use base64::Engine as _;
use serde_json::{Value, json};
use xinfang_core::register::Printer;
use xinfang_tests::{TestDesk, id_number, letter};

/// A printer that keeps what it was sent, standing in for CUPS in the core tests (the server
/// tests print through a real CUPS queue).
#[derive(Default, Clone)]
struct Tray(Arc<Mutex<Vec<(String, u32, usize)>>>);

impl Printer for Tray {
    fn print(&self, pdf: &[u8], printer: &str, copies: u32) -> Result<(), String> {
        assert!(pdf.starts_with(b"%PDF"), "a PDF is sent");
        self.0
            .lock()
            .expect("tray")
            .push((printer.to_owned(), copies, pdf.len()));
        Ok(())
    }
    fn printers(&self) -> Vec<String> {
        vec!["A4".into(), "小票".into()]
    }
}

fn text_of(output: &Value) -> String {
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(output["pdf_base64"].as_str().expect("pdf"))
        .expect("base64");
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, &pdf).expect("write");
    let out = Command::new("pdftotext")
        // -raw: rotated text (the 预览 watermark) is left out of the layout mode.
        .args(["-raw", path.to_str().expect("utf-8"), "-"])
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(out.status.success());
    // pdftotext spreads justified CJK lines with spaces; compare without them.
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect()
}

fn setup() -> TestDesk {
    let mut desk = TestDesk::new();
    let admin = desk.admin.clone();
    let mut settings = desk.ok(&admin, "settings_get", json!({}));
    settings["contact_phone"] = json!("0571-88886666");
    settings["issuer_name"] = json!("测试县人民政府信访局");
    desk.ok(&admin, "settings_set", settings);
    desk
}

#[test]
fn notices_and_opinions_carry_the_case_facts_and_are_recorded_when_issued() {
    let mut desk = setup();
    let tray = Tray::default();
    desk.register.set_printer(Arc::new(tray.clone()));
    let guide = desk.guide.clone();
    let handler = desk.handler.clone();
    let m = desk.ok(
        &guide,
        "matter_register",
        letter(
            "张伟",
            &id_number("330106", "19700101", 1),
            "反映拖欠工资问题",
        ),
    );
    let id = m["id"].clone();
    let number = m["number"].as_str().expect("number").to_owned();
    let query = m["query_code"].as_str().expect("query code").to_owned();
    desk.ok(&handler, "matter_accept", json!({ "matter_id": id }));

    let options = desk.ok(&handler, "letter_options", json!({ "matter_id": id }));
    let acceptance = options
        .as_array()
        .expect("list")
        .iter()
        .find(|o| o["kind"] == "acceptance_notice")
        .expect("the acceptance calls for a 受理告知书");
    assert_eq!(acceptance["missing"], json!([]));

    let preview = desk.ok(
        &handler,
        "letter_preview",
        json!({ "matter_id": id, "kind": "acceptance_notice" }),
    );
    assert!(preview["letter_id"].is_null(), "a preview is not recorded");
    assert!(text_of(&preview).contains("预览"));
    let issued = desk.ok(
        &handler,
        "letter_issue",
        json!({ "matter_id": id, "kind": "acceptance_notice" }),
    );
    let text = text_of(&issued);
    for expected in [
        number.as_str(),
        query.as_str(),
        "张伟",
        "受理告知书",
        "2026年11月28日",
        // 60 days from 受理 on 11-28.
        "2027年1月27日",
        "0571-88886666",
        "测试县人民政府信访局",
    ] {
        assert!(text.contains(expected), "missing {expected} in\n{text}");
    }
    assert!(!text.contains("预览"));
    assert_eq!(issued["sha256"].as_str().map(str::len), Some(64));

    // Printing reproduces the issued bytes; the second print is a 补打.
    let letter_id = issued["letter_id"].clone();
    desk.ok(
        &handler,
        "letter_print",
        json!({ "letter_id": letter_id, "printer": "A4", "copies": 2 }),
    );
    let listed = desk.ok(
        &handler,
        "letter_print",
        json!({ "letter_id": letter_id, "printer": "A4" }),
    );
    assert_eq!(listed["prints"][0]["reprint"], false);
    assert_eq!(listed["prints"][0]["copies"], 2);
    assert_eq!(listed["prints"][1]["reprint"], true);
    assert_eq!(tray.0.lock().expect("tray").len(), 2);
    let detail = desk.ok(&handler, "matter_get", json!({ "matter_id": id }));
    let timeline: Vec<&str> = detail["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .map(|e| e["description"].as_str().unwrap_or(""))
        .collect();
    assert!(
        timeline.iter().any(|d| d.starts_with("出具受理告知书")),
        "{timeline:?}"
    );
    assert!(
        timeline.iter().any(|d| d.starts_with("补打受理告知书 1份")),
        "{timeline:?}"
    );

    // The handling opinion needs the facts found; without them it is refused, naming them.
    desk.ok(
        &handler,
        "matter_answer",
        json!({ "matter_id": id, "items": [{ "item": "支付拖欠工资", "outcome": "support", "basis": "《保障农民工工资支付条例》第三条" }],
                "delivered_on": "2026-11-28", "delivery_method": "直接送达" }),
    );
    let err = desk
        .call(
            &handler,
            "letter_issue",
            json!({ "matter_id": id, "kind": "handling_opinion" }),
        )
        .expect_err("no facts")
        .to_api();
    assert_eq!(
        (err.code.as_str(), err.field.as_deref()),
        ("field_required", Some("facts"))
    );
    assert!(err.message.contains("事实"), "{}", err.message);
}

#[test]
fn an_opinion_flows_onto_pages_and_names_the_remedy_window() {
    let mut desk = setup();
    let guide = desk.guide.clone();
    let handler = desk.handler.clone();
    let m = desk.ok(
        &guide,
        "matter_register",
        letter(
            "李娜",
            &id_number("330106", "19800101", 2),
            "反映拖欠工资问题",
        ),
    );
    let id = m["id"].clone();
    desk.ok(&handler, "matter_accept", json!({ "matter_id": id }));
    let facts =
        "经调查，信访人于2025年3月至10月在某建筑工程有限公司务工，公司尚欠工资若干元。".repeat(12);
    desk.ok(
        &handler,
        "matter_answer",
        json!({ "matter_id": id, "facts": facts, "legal_basis": "《保障农民工工资支付条例》第三条、第三十条",
                "items": [{ "item": "支付拖欠工资", "outcome": "support", "basis": "欠薪属实" },
                          { "item": "赔偿误工损失", "outcome": "reject", "basis": "无事实依据" }],
                "delivered_on": "2026-11-28", "delivery_method": "直接送达" }),
    );
    let out = desk.ok(
        &handler,
        "letter_issue",
        json!({ "matter_id": id, "kind": "handling_opinion" }),
    );
    assert!(out["pages"].as_u64().unwrap_or(0) >= 2, "{}", out["pages"]);
    let text = text_of(&out);
    for expected in [
        "处理意见书",
        "李娜",
        "支付拖欠工资",
        "不予支持",
        "30日",
        "复查",
        "本机关的上一级行政机关",
        "—2—",
    ] {
        assert!(text.contains(expected), "missing {expected}");
    }
}

#[test]
fn a_letter_to_a_unit_never_carries_the_reporters_identity() {
    let mut desk = setup();
    let guide = desk.guide.clone();
    let handler = desk.handler.clone();
    let mut accusation = letter(
        "王强",
        &id_number("330106", "19750505", 3),
        "检举某局干部收受礼金",
    );
    accusation["purpose"] = json!("accusation");
    accusation["matter_class"] = json!("accusation");
    accusation["route"] = Value::Null;
    accusation["request"] = json!("请求查处");
    let m = desk.ok(&guide, "matter_register", accusation);
    let id = m["id"].clone();
    desk.ok(
        &handler,
        "matter_forward",
        json!({ "matter_id": id, "unit": "县纪委监委" }),
    );
    let out = desk.ok(
        &handler,
        "letter_issue",
        json!({ "matter_id": id, "kind": "forward_letter" }),
    );
    let text = text_of(&out);
    assert!(text.contains("县纪委监委"));
    assert!(text.contains("收受礼金"));
    for secret in ["王强", "13812345678", "330106197505"] {
        assert!(
            !text.contains(secret),
            "the reporter's {secret} is on the letter"
        );
    }
    // An ordinary matter's forward letter does name the petitioner.
    let m = desk.ok(
        &guide,
        "matter_register",
        letter(
            "赵六",
            &id_number("330106", "19700101", 4),
            "反映道路破损问题",
        ),
    );
    desk.ok(
        &handler,
        "matter_forward",
        json!({ "matter_id": m["id"], "unit": "县交通局" }),
    );
    let out = desk.ok(
        &handler,
        "letter_issue",
        json!({ "matter_id": m["id"], "kind": "forward_letter" }),
    );
    assert!(text_of(&out).contains("赵六"));
}

#[test]
fn a_name_the_font_cannot_print_is_refused_with_the_character() {
    let mut desk = setup();
    let guide = desk.guide.clone();
    let handler = desk.handler.clone();
    // 𪚥 (U+2A6A5) is not in Noto CJK SC.
    let m = desk.ok(
        &guide,
        "matter_register",
        letter(
            "张𪚥",
            &id_number("330106", "19700101", 5),
            "反映拖欠工资问题",
        ),
    );
    desk.ok(&handler, "matter_accept", json!({ "matter_id": m["id"] }));
    let err = desk
        .call(
            &handler,
            "letter_issue",
            json!({ "matter_id": m["id"], "kind": "acceptance_notice" }),
        )
        .expect_err("missing glyph")
        .to_api();
    assert_eq!(err.code, "missing_glyph");
    assert!(err.message.contains('𪚥'), "{}", err.message);
    assert_eq!(
        desk.ok(&handler, "letter_list", json!({ "matter_id": m["id"] }))
            .as_array()
            .map(Vec::len),
        Some(0),
        "nothing was issued"
    );
}

#[test]
fn supervision_produces_the_supervise_letter() {
    let mut desk = setup();
    let guide = desk.guide.clone();
    let handler = desk.handler.clone();
    let supervisor = desk.supervisor.clone();
    let m = desk.ok(
        &guide,
        "matter_register",
        letter(
            "孙七",
            &id_number("330106", "19700101", 6),
            "反映小区积水问题",
        ),
    );
    let id = m["id"].clone();
    desk.ok(
        &handler,
        "matter_assign",
        json!({ "matter_id": id, "unit": "县住建局", "due_by": "2026-12-10" }),
    );
    desk.ok(
        &supervisor,
        "matter_supervise",
        json!({ "matter_id": id, "level": "supervise", "note": "请于限期内书面告知信访人并报送办理情况", "due_by": "2026-12-05" }),
    );
    let out = desk.ok(
        &handler,
        "letter_issue",
        json!({ "matter_id": id, "kind": "supervise_letter" }),
    );
    let text = text_of(&out);
    for expected in [
        "督办函",
        "县住建局",
        "小区积水问题",
        "2026年12月5日",
        "请于限期内书面告知信访人并报送办理情况",
    ] {
        assert!(text.contains(expected), "missing {expected} in\n{text}");
    }
}

#[test]
fn an_administrator_can_choose_an_installed_font_for_letters() {
    let mut desk = setup();
    let admin = desk.admin.clone();
    let guide = desk.guide.clone();
    let handler = desk.handler.clone();
    let mut settings = desk.ok(&admin, "settings_get", json!({}));
    settings["letter_font_path"] = json!("/no/such/仿宋_GB2312.ttf");
    let err = desk
        .call(&admin, "settings_set", settings.clone())
        .expect_err("no such font")
        .to_api();
    assert_eq!(
        (err.code.as_str(), err.field.as_deref()),
        ("invalid_font", Some("letter_font_path"))
    );
    // Debian's fonts-noto-cjk stands in for an office's licensed font here.
    settings["letter_font_path"] = json!("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc");
    desk.ok(&admin, "settings_set", settings);
    let m = desk.ok(
        &guide,
        "matter_register",
        letter(
            "张伟",
            &id_number("330106", "19700101", 7),
            "反映拖欠工资问题",
        ),
    );
    desk.ok(&handler, "matter_accept", json!({ "matter_id": m["id"] }));
    let out = desk.ok(
        &handler,
        "letter_issue",
        json!({ "matter_id": m["id"], "kind": "acceptance_notice" }),
    );
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(out["pdf_base64"].as_str().expect("pdf"))
        .expect("base64");
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, &pdf).expect("write");
    let fonts = Command::new("pdffonts")
        .arg(&path)
        .output()
        .expect("pdffonts");
    let fonts = String::from_utf8_lossy(&fonts.stdout).into_owned();
    assert!(
        fonts.contains("NotoSansCJK"),
        "the chosen font is used: {fonts}"
    );
    assert!(!fonts.contains("NotoSerifCJK"), "{fonts}");
}
