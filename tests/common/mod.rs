//! Helpers shared by the integration tests: find sample inputs, run the real binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use calamine::{open_workbook_auto, Data, Reader};
use serde_json::Value;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The sample file with this name, wherever it is arranged under `sample_data/`.
pub fn sample(name: &str) -> PathBuf {
    fn walk(dir: &Path, name: &str) -> Option<PathBuf> {
        for entry in std::fs::read_dir(dir).ok()?.flatten() {
            let p = entry.path();
            if p.is_dir() {
                if let Some(found) = walk(&p, name) {
                    return Some(found);
                }
            } else if p.file_name().and_then(|n| n.to_str()) == Some(name) {
                return Some(p);
            }
        }
        None
    }
    walk(&repo().join("sample_data"), name).unwrap_or_else(|| panic!("{name} not in sample_data"))
}

/// The input files of `sample_data/` as `pipelines/report.toml` selects them.
pub fn sample_inputs() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                let ext = p.extension().and_then(|e| e.to_str()).unwrap_or_default();
                let input = ["txt", "xlsx", "xlsm", "xls", "ods"].contains(&ext);
                if input && !name.starts_with("README") && !name.starts_with("SOURCES") {
                    out.push(p);
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(&repo().join("sample_data"), &mut out);
    out.sort();
    out
}

pub fn gold(seed: &str) -> Value {
    let path = repo().join("tests/gold").join(format!("{seed}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).expect("gold parses")
}

/// Runs `fiscal inspect FILE --format json` and parses its output.
pub fn inspect_json(path: &Path) -> Value {
    let out = Command::cargo_bin("fiscal")
        .expect("binary built")
        .args(["inspect", "--format", "json"])
        .arg(path)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "fiscal inspect {path:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("inspect prints JSON")
}

/// The cells of one sheet of a workbook.
pub fn sheet(path: &Path, name: &str) -> Vec<Vec<Data>> {
    let mut wb = open_workbook_auto(path).expect("workbook opens");
    let range = wb
        .worksheet_range(name)
        .unwrap_or_else(|e| panic!("sheet {name}: {e}"));
    range.rows().map(|r| r.to_vec()).collect()
}

/// A cell as text (numbers in Rust's shortest form).
pub fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

/// A numeric cell's value.
pub fn number(d: &Data) -> Option<f64> {
    match d {
        Data::Float(f) => Some(*f),
        Data::Int(i) => Some(*i as f64),
        _ => None,
    }
}

/// The index of the header cell `name`.
pub fn column(header: &[Data], name: &str) -> usize {
    header
        .iter()
        .position(|h| text(h) == name)
        .unwrap_or_else(|| panic!("column {name} in {header:?}"))
}
