//! The monthly report on a fixture whose counts are known: the figures, and the Excel workbook
//! read back with calamine (sheets, rows and totals).

use std::io::Cursor;

use base64::Engine as _;
use calamine::{Data, Reader, Xlsx};
use chrono::{TimeZone, Utc};
use serde_json::json;
use xinfang_tests::{TestDesk, id_number, letter};

#[test]
fn the_monthly_report_counts_the_month_and_opens_as_a_workbook() {
    let mut desk = TestDesk::new();
    let guide = desk.guide.clone();
    let handler = desk.handler.clone();
    let supervisor = desk.supervisor.clone();
    // October: one matter, outside the November report.
    desk.clock.set(
        Utc.with_ymd_and_hms(2026, 10, 20, 2, 0, 0)
            .single()
            .expect("time"),
    );
    desk.ok(
        &guide,
        "matter_register",
        letter(
            "周一",
            &id_number("330106", "19700101", 1),
            "反映十月的问题",
        ),
    );
    desk.clock.set(
        Utc.with_ymd_and_hms(2026, 11, 10, 2, 0, 0)
            .single()
            .expect("time"),
    );
    let a = desk.ok(
        &guide,
        "matter_register",
        letter(
            "张伟",
            &id_number("330106", "19700101", 2),
            "反映拖欠工资问题",
        ),
    );
    let b = desk.ok(
        &guide,
        "matter_register",
        letter(
            "李娜",
            &id_number("330106", "19800101", 3),
            "反映道路破损问题",
        ),
    );
    let mut online = letter(
        "王五",
        &id_number("330106", "19900101", 4),
        "建议增设公交站点",
    );
    online["channel"] = json!("online");
    online["purpose"] = json!("suggestion");
    online["matter_class"] = json!("suggestion");
    online["route"] = serde_json::Value::Null;
    let c = desk.ok(&guide, "matter_register", online);
    desk.ok(
        &handler,
        "matter_forward",
        json!({ "matter_id": a["id"], "unit": "县人社局" }),
    );
    desk.ok(
        &handler,
        "matter_assign",
        json!({ "matter_id": b["id"], "unit": "县交通局" }),
    );
    desk.ok(
        &supervisor,
        "matter_supervise",
        json!({ "matter_id": b["id"], "level": "supervise", "note": "请加快办理", "due_by": "2026-11-20" }),
    );
    desk.ok(&handler, "matter_accept", json!({ "matter_id": c["id"] }));
    desk.ok(
        &handler,
        "matter_answer",
        json!({ "matter_id": c["id"], "items": [{ "item": "增设公交站点", "outcome": "support" }],
                "delivered_on": "2026-11-10", "delivery_method": "电子送达" }),
    );

    let report = desk.ok(&supervisor, "report_data", json!({ "period": "2026-11" }));
    assert_eq!(report["title"], "2026年11月");
    let totals = &report["totals"];
    assert_eq!(totals["matters"], 3);
    assert_eq!(totals["forwarded"], 1);
    assert_eq!(totals["assigned"], 1);
    assert_eq!(totals["supervised"], 1);
    assert_eq!(totals["suggestions"], 1);
    assert_eq!(totals["suggestions_adopted"], 1);
    let channels: Vec<(String, u64)> = report["by_channel"]
        .as_array()
        .expect("channels")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or("").to_owned(),
                c["count"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        channels,
        [("来信".to_owned(), 2), ("网上信访".to_owned(), 1)]
    );

    let err = desk
        .call(&supervisor, "report_export", json!({ "period": "2026-13" }))
        .expect_err("bad month")
        .to_api();
    assert_eq!(
        (err.code.as_str(), err.field.as_deref()),
        ("invalid_period", Some("period"))
    );
    let file = desk.ok(&supervisor, "report_export", json!({ "period": "2026-11" }));
    assert!(
        file["file_name"]
            .as_str()
            .unwrap_or("")
            .ends_with("2026年11月报告.xlsx"),
        "{}",
        file["file_name"]
    );
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(file["base64"].as_str().expect("bytes"))
        .expect("base64");
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).expect("a valid workbook");
    let names = book.sheet_names();
    for sheet in [
        "总体情况",
        "按信访形式",
        "按事项类别",
        "按内容分类",
        "按问题属地",
        "趋势",
        "按承办单位",
        "考核指标",
    ] {
        assert!(
            names.iter().any(|n| n == sheet),
            "sheet {sheet} in {names:?}"
        );
    }
    let overview = book.worksheet_range("总体情况").expect("sheet");
    let value = |row: u32, col: u32| overview.get_value((row, col)).cloned();
    assert_eq!(value(4, 0), Some(Data::String("登记信访事项".into())));
    assert_eq!(value(4, 1), Some(Data::Float(3.0)));
    let by_channel = book.worksheet_range("按信访形式").expect("sheet");
    assert_eq!(
        by_channel.get_value((3, 0)),
        Some(&Data::String("合计".into()))
    );
    assert_eq!(by_channel.get_value((3, 1)), Some(&Data::Float(3.0)));
    let units = book.worksheet_range("按承办单位").expect("sheet");
    let unit_rows: Vec<String> = (1..units.height() as u32)
        .filter_map(|r| units.get_value((r, 0)).map(|v| v.to_string()))
        .collect();
    assert!(
        unit_rows.contains(&"县人社局".to_owned()) && unit_rows.contains(&"县交通局".to_owned()),
        "{unit_rows:?}"
    );
    let indicators = book.worksheet_range("考核指标").expect("sheet");
    assert_eq!(
        indicators.get_value((1, 0)),
        Some(&Data::String("及时受理率".into()))
    );

    // The same report as a PDF on the GB/T 9704 grid.
    let file = desk.ok(&supervisor, "report_pdf", json!({ "period": "2026-11" }));
    assert_eq!(file["media_type"], "application/pdf");
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(file["base64"].as_str().expect("bytes"))
        .expect("base64");
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("report.pdf");
    std::fs::write(&path, &pdf).expect("write");
    let out = std::process::Command::new("pdftotext")
        .args(["-raw", path.to_str().expect("utf-8"), "-"])
        .output()
        .expect("pdftotext");
    let text: String = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect();
    for expected in [
        "2026年11月信访工作情况报告",
        "共登记信访事项3件",
        "来信2件",
        "转送1件",
        "督办1件次",
        "其中被采纳1件",
        "及时受理率",
    ] {
        assert!(text.contains(expected), "missing {expected} in {text}");
    }
}
