//! Printing through a real CUPS: a case's notice is issued over the HTTP API and printed on the
//! XinfangPDF queue (cups-pdf, set up by `scripts/cups-pdf.sh`); the printed file is found and
//! compared page image to page image with the issued PDF (pdftoppm), and the print log has the
//! entry, the second one marked 补打.

use std::{
    path::PathBuf,
    process::Command,
    time::{Duration, Instant},
};

use serde_json::json;

use crate::support::*;

/// Where cups-pdf puts jobs of the current user (`Out ${HOME}/PDF` in Debian's cups-pdf.conf).
fn pdf_dir() -> PathBuf {
    PathBuf::from(std::env::var("HOME").expect("HOME")).join("PDF")
}

fn pdfs() -> Vec<PathBuf> {
    std::fs::read_dir(pdf_dir())
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "pdf"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_notice_prints_through_cups_and_the_print_is_logged() {
    let queue = Command::new("lpstat").args(["-v", "XinfangPDF"]).output();
    assert!(
        queue.as_ref().is_ok_and(|o| o.status.success()),
        "the XinfangPDF queue is missing: run `bash scripts/cups-pdf.sh` (the README's test command does)"
    );
    let dir = initialised(0);
    let server = Server::start(dir.path());
    let admin = server.login("admin", ADMIN_PASSWORD);
    let (status, _) = server.call(
        "user_create",
        Some(&admin),
        &json!({ "username": "zhao", "display_name": "赵敏", "role": "handler", "password": "Handler-init-2026" }),
    );
    assert_eq!(status, 200);
    let (_, mut settings) = server.call("settings_get", Some(&admin), &json!({}));
    settings["contact_phone"] = json!("0571-88886666");
    // A4 documents go to this queue unless a print names another.
    settings["letter_printer"] = json!("XinfangPDF");
    assert_eq!(server.call("settings_set", Some(&admin), &settings).0, 200);
    let token = server.first_login("zhao", "Handler-init-2026", "handler-pass-2026");
    let (status, matter) = server.call(
        "matter_register",
        Some(&token),
        &json!({
            "channel": "letter", "purpose": "demand", "matter_class": "appeal_demand", "route": "petition_procedure",
            "summary": "反映供暖不达标问题", "request": "要求供暖达标", "facts_reasons": "室温长期低于16度",
            "petitioners": [{"person": {"name": "孙丽华", "id_number": "11010519491231002X", "current_address": "北京市朝阳区某街道"}}]
        }),
    );
    assert_eq!(status, 200, "{matter}");
    let number = matter["number"].as_str().expect("number").to_owned();
    assert_eq!(
        server
            .call(
                "matter_accept",
                Some(&token),
                &json!({ "matter_id": matter["id"] })
            )
            .0,
        200
    );
    let (status, printers) = server.call("letter_printers", Some(&token), &json!({}));
    assert_eq!(status, 200);
    assert!(
        printers
            .as_array()
            .is_some_and(|p| p.iter().any(|n| n == "XinfangPDF")),
        "{printers}"
    );
    let (status, issued) = server.call(
        "letter_issue",
        Some(&token),
        &json!({ "matter_id": matter["id"], "kind": "acceptance_notice" }),
    );
    assert_eq!(status, 200, "{issued}");

    let before = pdfs();
    let started = Instant::now();
    let (status, log) = server.call(
        "letter_print",
        Some(&token),
        &json!({ "letter_id": issued["letter_id"], "printer": "XinfangPDF", "copies": 1 }),
    );
    assert_eq!(status, 200, "{log}");
    // cups-pdf writes the file once the job has gone through the filters.
    let printed = loop {
        let new: Vec<PathBuf> = pdfs().into_iter().filter(|p| !before.contains(p)).collect();
        if let Some(p) = new.into_iter().next() {
            break p;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no printed file appeared in {}",
            pdf_dir().display()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    // Wait for the file to be complete.
    std::thread::sleep(Duration::from_millis(500));
    // CUPS sends the job through Ghostscript, which turns the fonts into Type 3 glyphs, so the
    // printed file has no extractable text; compare what the page looks like instead.
    let info = Command::new("pdfinfo")
        .arg(&printed)
        .output()
        .expect("pdfinfo");
    let info = String::from_utf8_lossy(&info.stdout).into_owned();
    assert!(info.contains("Pages:           1"), "{info}");
    assert!(info.contains("(A4)"), "{info}");
    let issued_pdf = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        issued["pdf_base64"].as_str().expect("pdf"),
    )
    .expect("base64");
    let work = tempfile::tempdir().expect("dir");
    let original = work.path().join("issued.pdf");
    std::fs::write(&original, &issued_pdf).expect("write");
    let a = raster(&original, &work.path().join("a"));
    let b = raster(&printed, &work.path().join("b"));
    assert_eq!((a.0, a.1), (b.0, b.1), "same page size in pixels");
    // CUPS may scale the page slightly to the printable area, so compare ink in coarse cells
    // (20 × 28 over the page) rather than pixel by pixel. Measured here: the printed page differs
    // by about 6 % of its ink; the same notice for another case by about 45 %.
    let (ga, gb) = (grid(&a), grid(&b));
    let ink: f64 = ga.iter().sum();
    let diff: f64 = ga.iter().zip(&gb).map(|(x, y)| (x - y).abs()).sum();
    assert!(ink > 5.0, "the issued page has text on it ({ink})");
    assert!(
        diff < ink * 0.2,
        "the printed page looks like the issued one: cell difference {diff:.1} against ink {ink:.1}"
    );
    // The issued PDF itself carries the case number as text.
    let text = Command::new("pdftotext")
        .args(["-raw", original.to_str().expect("utf-8"), "-"])
        .output()
        .expect("pdftotext");
    let text: String = String::from_utf8_lossy(&text.stdout)
        .split_whitespace()
        .collect();
    assert!(text.contains(&number), "{text}");
    let _ = std::fs::remove_file(&printed);

    let (_, log) = server.call(
        "letter_print",
        Some(&token),
        &json!({ "letter_id": issued["letter_id"] }),
    );
    assert_eq!(log["prints"][0]["printer"], "XinfangPDF");
    assert_eq!(log["prints"][0]["reprint"], false);
    assert_eq!(log["prints"][1]["reprint"], true);
    assert_eq!(
        log["prints"][1]["printer"], "XinfangPDF",
        "the A4 printer from the settings"
    );
    assert_eq!(log["prints"][1]["actor_name"], "赵敏");
    // Tidy up the reprint's file once cups-pdf has written it.
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        let new: Vec<PathBuf> = pdfs().into_iter().filter(|p| !before.contains(p)).collect();
        if !new.is_empty() {
            std::thread::sleep(Duration::from_millis(300));
            for p in new {
                let _ = std::fs::remove_file(p);
            }
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    // A printer that does not exist is a clear refusal at the printer field.
    let (status, err) = server.call(
        "letter_print",
        Some(&token),
        &json!({ "letter_id": issued["letter_id"], "printer": "NoSuchPrinter" }),
    );
    assert!(status >= 400, "{err}");
    assert_eq!(err["code"], "print_failed");
    assert_eq!(err["field"], "printer");
}

/// Renders page 1 of `pdf` in grey at 50 dpi with pdftoppm: (width, height, pixels).
fn raster(pdf: &std::path::Path, stem: &std::path::Path) -> (usize, usize, Vec<u8>) {
    let out = Command::new("pdftoppm")
        .args(["-gray", "-r", "50", "-singlefile", "-f", "1", "-l", "1"])
        .arg(pdf)
        .arg(stem)
        .output()
        .expect("pdftoppm");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(stem.with_extension("pgm")).expect("pgm");
    // Binary PGM: "P5", width, height, maximum, each followed by whitespace, then the pixels.
    let mut fields = Vec::new();
    let mut pos = 0;
    while fields.len() < 4 {
        while bytes[pos].is_ascii_whitespace() {
            pos += 1;
        }
        let start = pos;
        while !bytes[pos].is_ascii_whitespace() {
            pos += 1;
        }
        fields.push(String::from_utf8_lossy(&bytes[start..pos]).into_owned());
    }
    assert_eq!(fields[0], "P5");
    let w: usize = fields[1].parse().expect("width");
    let h: usize = fields[2].parse().expect("height");
    (w, h, bytes[pos + 1..pos + 1 + w * h].to_vec())
}

/// Ink per cell of a 20 × 28 grid over the page, in percent of the cell.
fn grid(page: &(usize, usize, Vec<u8>)) -> Vec<f64> {
    let (w, h, pixels) = page;
    let (cols, rows) = (20, 28);
    let mut cells = vec![0.0; cols * rows];
    for y in 0..*h {
        for x in 0..*w {
            let cell = (y * rows / h) * cols + x * cols / w;
            cells[cell] += f64::from(255 - pixels[y * w + x]) / 255.0;
        }
    }
    let per_cell = (w * h) as f64 / (cols * rows) as f64;
    cells.iter().map(|c| c / per_cell * 100.0).collect()
}
