//! `fiscal run` at archive scale: the per-file limits (`[limits]`: size, longest line, time
//! budget) stop one file and keep the rest, and the 明细 sheet is capped (`[output]
//! fact_sheet_rows`) while facts.parquet keeps every fact.

mod common;

use common::{sheet, text};

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

/// Runs `fiscal run` over sample_data plus `extra_input` with `pipeline` (TOML) as the
/// pipeline file; returns the exit code and run.json.
fn run_with(dir: &Path, pipeline: &str, extra_input: Option<&Path>) -> (Option<i32>, Value) {
    let (status, summary, stderr) = try_run_with(dir, pipeline, extra_input);
    (
        status,
        summary.unwrap_or_else(|| panic!("run.json written: {stderr}")),
    )
}

/// As [`run_with`], with run.json when one was written, and stderr.
fn try_run_with(
    dir: &Path,
    pipeline: &str,
    extra_input: Option<&Path>,
) -> (Option<i32>, Option<Value>, String) {
    let out = dir.join("out");
    let toml = dir.join("pipeline.toml");
    let sample = common::repo().join("sample_data");
    let mut inputs = vec![format!("{:?}", sample.display().to_string())];
    if let Some(p) = extra_input {
        inputs.push(format!("{:?}", p.display().to_string()));
    }
    std::fs::write(
        &toml,
        format!(
            "[inputs]\npaths = [{}]\n[output]\ndir = {:?}\n{pipeline}\n",
            inputs.join(", "),
            out.display().to_string()
        ),
    )
    .expect("pipeline");
    let output = Command::cargo_bin("fiscal")
        .expect("binary")
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args(["run", "--quiet", "--pipeline"])
        .arg(&toml)
        .output()
        .expect("runs");
    let summary = std::fs::read_to_string(out.join("run.json"))
        .ok()
        .map(|s| serde_json::from_str(&s).expect("parses"));
    (
        output.status.code(),
        summary,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn failures(summary: &Value) -> Vec<(String, String)> {
    summary["failed_inputs"]
        .as_array()
        .expect("failed_inputs")
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap_or_default().to_string(),
                f["errors"].to_string(),
            )
        })
        .collect()
}

#[test]
fn a_file_with_a_line_over_the_limit_is_refused_and_the_rest_is_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let long = dir.path().join("long_line.txt");
    // 38.7 KB on one line, over a 16 KB limit; a 1.9 KB line elsewhere is fine.
    let sentence = "收入总计100万元，与上年相比增加1万元，增长1%；";
    let line = sentence.repeat(600);
    std::fs::write(&long, format!("2023年度某局部门决算\n{line}\n")).expect("write");
    let short = dir.path().join("short_lines.txt");
    std::fs::write(
        &short,
        format!("2023年度某局部门决算\n{}\n", sentence.repeat(30)),
    )
    .expect("write");
    let (status, summary) = run_with(dir.path(), "[limits]\nmax_line_kb = 16", Some(dir.path()));
    assert_eq!(status, Some(3), "a failed input exits 3");
    let failed = failures(&summary);
    assert_eq!(failed.len(), 1, "only the long line is refused: {failed:?}");
    assert!(failed[0].0.ends_with("long_line.txt"));
    assert!(
        failed[0].1.contains("line 2 is 38.7 KB") && failed[0].1.contains("max_line_kb = 16"),
        "{failed:?}"
    );
    assert_eq!(
        summary["documents"].as_u64(),
        Some(common::sample_inputs().len() as u64 + 1),
        "every sample document and the short-line file are read"
    );
}

#[test]
fn a_file_over_its_time_budget_or_size_is_a_failed_input_naming_the_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A budget no file can meet: every file is stopped at its first check. Nothing read, so
    // no outputs are written; stderr names each file and the budget (also under --quiet).
    let (status, summary, stderr) = try_run_with(
        dir.path(),
        "[limits]\nseconds_per_mb = 0.000001\nmin_seconds = 0.000001",
        None,
    );
    assert_eq!(status, Some(3));
    assert!(summary.is_none(), "a run that read nothing writes nothing");
    assert_eq!(
        stderr.matches("over the time budget").count(),
        common::sample_inputs().len(),
        "{stderr}"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let (status, summary, stderr) = try_run_with(dir.path(), "[limits]\nmax_file_mb = 0.001", None);
    assert_eq!(status, Some(3));
    // The seeds are 4–30 KB: all over 1 KB, so nothing is read and nothing written.
    assert!(summary.is_none());
    assert_eq!(
        stderr.matches("over the file size limit").count(),
        common::sample_inputs().len(),
        "{stderr}"
    );
    assert!(stderr.contains("KB is over"), "{stderr}");

    // The defaults read every sample file.
    let dir = tempfile::tempdir().expect("tempdir");
    let (status, summary) = run_with(dir.path(), "", None);
    assert_eq!(status, Some(0));
    assert!(failures(&summary).is_empty());
}

#[test]
fn spreadsheet_limits_come_from_the_pipeline_and_fail_only_the_sheet_over_them() {
    // 004's tables hold hundreds of filled cells per sheet; the templates' sheets fewer.
    let dir = tempfile::tempdir().expect("tempdir");
    let (status, summary) = run_with(dir.path(), "[limits]\nmax_sheet_cells = 150", None);
    assert_eq!(
        status,
        Some(0),
        "partial reads: the sheets under the limit are read"
    );
    let inputs = common::sheet(&dir.path().join("out/report.xlsx"), "输入");
    let row = inputs
        .iter()
        .find(|r| text(&r[0]).ends_with("004_tables.xlsx"))
        .expect("004_tables.xlsx listed");
    let errors = text(&row[8]);
    assert!(
        errors.contains("[limits] max_sheet_cells") && errors.contains("over 150 filled cells"),
        "{errors}"
    );
    assert!(failures(&summary).is_empty(), "{:?}", failures(&summary));

    // A part bound below the sheets' XML: every xlsx/ods is a failed input of kind limit.
    let dir = tempfile::tempdir().expect("tempdir");
    let (status, summary) = run_with(dir.path(), "[limits]\nmax_sheet_part_mb = 0.001", None);
    assert_eq!(status, Some(3));
    let failed = failures(&summary);
    assert!(
        failed
            .iter()
            .any(|(f, e)| f.ends_with("004_tables.ods") && e.contains("max_sheet_part_mb")),
        "{failed:?}"
    );
    // The text documents are read as before.
    assert!(
        failed.iter().all(|(f, _)| !f.ends_with(".txt")),
        "{failed:?}"
    );
}

#[test]
fn limits_must_be_positive() {
    let dir = tempfile::tempdir().expect("tempdir");
    let toml = dir.path().join("p.toml");
    std::fs::write(&toml, "[limits]\nmin_seconds = -1\n").expect("write");
    let out = Command::cargo_bin("fiscal")
        .expect("binary")
        .args(["run", "--dry-run", "--input", "sample_data", "--pipeline"])
        .arg(&toml)
        .current_dir(common::repo())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("min_seconds"), "{err}");
}

#[test]
fn the_fact_sheet_is_capped_and_parquet_keeps_every_fact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (status, summary) = run_with(dir.path(), "fact_sheet_rows = 25", None);
    assert_eq!(status, Some(0));
    let facts = summary["facts"].as_u64().expect("facts") as usize;
    assert!(facts > 700, "{facts}");
    let out = dir.path().join("out");
    let rows = sheet(&out.join("report.xlsx"), "明细");
    // Header, 25 facts, the note.
    assert_eq!(rows.len(), 27, "{:?}", rows.last());
    let note = text(&rows[26][0]);
    assert!(
        note.contains("前 25 行") && note.contains(&format!("共 {facts} 行")),
        "{note}"
    );
    let file = std::fs::File::open(out.join("facts.parquet")).expect("parquet");
    use polars_io::parquet::read::ParquetReader;
    use polars_io::SerReader;
    let df = ParquetReader::new(file).finish().expect("reads back");
    assert_eq!(df.height(), facts);
}
