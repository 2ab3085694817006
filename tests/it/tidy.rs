//! Repository tidiness: purpose lines on every Rust file, migrations listed once and in order,
//! no ignored or should-panic tests, generated contracts in sync with the Rust types.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repo root")
        .to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if !matches!(name, "target" | "node_modules" | "gen" | ".git") {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_rust_file_opens_with_a_purpose_line() {
    let mut files = Vec::new();
    for dir in ["crates", "src-tauri/src", "tests"] {
        rust_files(&root().join(dir), &mut files);
    }
    assert!(files.len() > 10);
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read");
        assert!(
            text.starts_with("//!"),
            "{} must start with a //! line saying what it is for",
            file.display()
        );
        let banned = ["#[ignore]", "#[should_panic]"];
        for pattern in banned {
            // The tidy file itself names the patterns.
            if !file.ends_with("tidy.rs") {
                assert!(!text.contains(pattern), "{} uses {pattern}", file.display());
            }
        }
    }
}

#[test]
fn every_desk_migration_is_listed_once_and_in_order() {
    let mut on_disk: Vec<String> = std::fs::read_dir(root().join("schemas/desk"))
        .expect("schemas/desk")
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|n| n.ends_with(".sql"))
        .map(|n| n.trim_end_matches(".sql").to_owned())
        .collect();
    on_disk.sort();
    let listed: Vec<String> = xinfang_core::db::MIGRATIONS
        .iter()
        .map(|(n, _)| (*n).to_owned())
        .collect();
    assert_eq!(listed, on_disk);
    for (idx, name) in listed.iter().enumerate() {
        assert!(
            name.starts_with(&format!("{:04}_", idx + 1)),
            "{name} is numbered in order"
        );
    }
}

#[test]
fn generated_api_contracts_match_the_rust_types() {
    let json =
        std::fs::read_to_string(root().join("schemas/api/operations.json")).unwrap_or_default();
    let ts = std::fs::read_to_string(root().join("ui/src/api/types.ts")).unwrap_or_default();
    let fix = "run `cargo run -p xinfang-server -- schema` and commit the result";
    assert!(
        json == xinfang_core::schema::operations_json_text(),
        "schemas/api/operations.json is stale: {fix}"
    );
    assert!(
        ts == xinfang_core::schema::typescript(),
        "ui/src/api/types.ts is stale: {fix}"
    );
    let permissions =
        std::fs::read_to_string(root().join("docs/permissions.md")).unwrap_or_default();
    assert!(
        permissions == xinfang_core::schema::permissions_markdown(),
        "docs/permissions.md is stale: {fix}"
    );
}
