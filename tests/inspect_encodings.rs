//! A seed re-encoded (GB18030, UTF-16 with BOM, UTF-8 with BOM) or with CRLF line ends yields
//! the same facts; files that cannot be read say why and exit 2.

mod common;

use assert_cmd::Command;
use serde_json::Value;

/// The facts without the per-file fields, for comparison across encodings.
fn facts(report: &Value) -> Vec<Value> {
    report["facts"].as_array().expect("facts").clone()
}

fn seed_text() -> String {
    let path = common::sample("004_e852e39ff9ab983e.txt");
    std::fs::read_to_string(path).expect("seed is UTF-8")
}

fn inspect_bytes(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> Value {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write variant");
    common::inspect_json(&path)
}

#[test]
fn inspect_reencoded_seed_yields_the_same_facts() {
    let text = seed_text();
    let dir = tempfile::tempdir().expect("tempdir");
    let original = inspect_bytes(&dir, "utf8.txt", text.as_bytes());
    assert!(facts(&original).len() > 400, "the seed yields its facts");

    let (gb, _, unmappable) = encoding_rs::GB18030.encode(&text);
    assert!(!unmappable);
    let mut utf16le = vec![0xFF, 0xFE];
    let mut utf16be = vec![0xFE, 0xFF];
    for unit in text.encode_utf16() {
        utf16le.extend_from_slice(&unit.to_le_bytes());
        utf16be.extend_from_slice(&unit.to_be_bytes());
    }
    let mut utf8_bom = vec![0xEF, 0xBB, 0xBF];
    utf8_bom.extend_from_slice(text.as_bytes());
    let crlf = text.replace('\n', "\r\n");

    let variants: Vec<(&str, Vec<u8>, &str)> = vec![
        ("gb18030.txt", gb.into_owned(), "gb18030"),
        ("utf16le.txt", utf16le, "utf-16le (BOM)"),
        ("utf16be.txt", utf16be, "utf-16be (BOM)"),
        ("utf8bom.txt", utf8_bom, "utf-8 (BOM)"),
        ("crlf.txt", crlf.into_bytes(), "utf-8"),
    ];
    for (name, bytes, encoding) in variants {
        let report = inspect_bytes(&dir, name, &bytes);
        assert_eq!(report["encoding"], encoding, "{name}: detected encoding");
        assert_eq!(report["document"], original["document"], "{name}: identity");
        assert_eq!(facts(&report), facts(&original), "{name}: facts");
    }
}

#[test]
fn inspect_unreadable_file_reports_the_cause_and_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("garbage.txt");
    std::fs::write(&path, b"\xFF\xFE\xFD not text \xFF\xFF").expect("write");
    // 0xFF 0xFE is a UTF-16LE BOM: the rest must then be valid UTF-16 (it is not: odd length).
    let out = Command::cargo_bin("fiscal")
        .expect("binary")
        .args(["inspect", "--format", "json"])
        .arg(&path)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let report: Value = serde_json::from_slice(&out.stdout).expect("still prints the object");
    let message = report["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("garbage.txt"), "{message}");
    assert!(message.contains("UTF-16LE"), "{message}");

    let missing = dir.path().join("missing.txt");
    let out = Command::cargo_bin("fiscal")
        .expect("binary")
        .args(["inspect", "--format", "json"])
        .arg(&missing)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["errors"][0]["kind"], "io");
}

#[test]
fn inspect_invalid_utf8_names_the_byte() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.txt");
    std::fs::write(&path, b"abc\xFF\xFFdef").expect("write");
    let out = Command::cargo_bin("fiscal")
        .expect("binary")
        .args(["inspect", "--format", "json"])
        .arg(&path)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let message = report["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("UTF-8") && message.contains("the first at byte 3"),
        "{message}"
    );
}

#[test]
fn inspect_reads_text_with_a_few_bad_bytes_and_says_where_they_are() {
    for (file, encoding, at) in [
        ("invalid_utf8_mid.txt", "utf-8", "at byte 25986, 25988"),
        ("gb18030_invalid_mid.txt", "gb18030", "at byte 19653"),
    ] {
        // A partial read: exit 0.
        let report = common::inspect_json(&common::repo().join("tests/hostile").join(file));
        assert_eq!(report["encoding"], encoding, "{file}");
        let facts = report["facts"].as_array().map_or(0, Vec::len);
        assert!(facts > 100, "{file}: the rest is read ({facts} facts)");
        let message = report["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(at), "{file}: {message}");
        assert!(message.contains("replaced"), "{file}: {message}");
    }
}
