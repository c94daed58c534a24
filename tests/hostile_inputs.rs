//! Issue 13: no input can crash, hang or exhaust the run. Every file of `tests/hostile`
//! (copied from `../shared/hostile`) gives a clear per-file error or a partial read in
//! `fiscal inspect`, and in a `fiscal run` beside the sample data: exit 3, every sample
//! document's facts as in a clean run. Cases that are not files are built here.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn hostile() -> PathBuf {
    common::repo().join("tests/hostile")
}

fn hostile_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(hostile())
        .expect("tests/hostile")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e != "md"))
        .collect();
    files.sort();
    files
}

/// `fiscal inspect FILE --format json`: exit code, the report, stderr.
fn inspect(path: &Path) -> (Option<i32>, Value, String) {
    let out = Command::cargo_bin("fiscal")
        .expect("binary")
        .args(["inspect", "--format", "json"])
        .arg(path)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{}: no JSON ({e}): {stderr}", path.display()));
    (out.status.code(), report, stderr)
}

fn errors(report: &Value) -> String {
    report["errors"].to_string()
}

fn values(report: &Value) -> Vec<String> {
    report["facts"]
        .as_array()
        .map(|f| {
            f.iter()
                .map(|x| x["value"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_hostile_file_gives_a_clear_error_or_a_partial_read_in_inspect() {
    let files = hostile_files();
    assert!(files.len() >= 14, "{files:?}");
    for path in &files {
        let (code, report, stderr) = inspect(path);
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        assert!(
            matches!(code, Some(0 | 2)),
            "{name}: exit {code:?} (a crash is 101, an abort 134): {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        if code == Some(2) {
            assert!(!errors(&report).is_empty(), "{name}: exit 2 says why");
        }
    }
}

#[test]
fn numbers_beyond_a_disclosure_are_reported_never_misread_or_dropped() {
    for (file, quoted, reason) in [
        ("sci_1e400.txt", "1e400万元", "scientific notation"),
        (
            "silent_drop_31digits.txt",
            "99999999999999999999999999999.99万元",
            "beyond 10^15",
        ),
        (
            "overflow_decimal_max.txt",
            "79228162514264337593543950335万元",
            "beyond 10^15",
        ),
        (
            "fuzz_min_695410ae.txt",
            "79228162514264337593543950335%",
            "beyond 10^6 %",
        ),
        (
            "overflow_sum_5e28.xlsx",
            "50000000000000000000000000000",
            "beyond 10^15",
        ),
    ] {
        let (code, report, _) = inspect(&hostile().join(file));
        assert_eq!(code, Some(0), "{file}: a partial read");
        let e = errors(&report);
        assert!(
            e.contains("number not read") && e.contains(quoted) && e.contains(reason),
            "{file}: {e}"
        );
        let v = values(&report);
        assert!(
            !v.iter().any(|x| x == "400" || x.len() > 20),
            "{file}: {v:?}"
        );
    }
    // The rest of the file is read: 1万元 财政拨款收入 beside the overflowing total.
    let (_, report, _) = inspect(&hostile().join("overflow_decimal_max.txt"));
    assert!(values(&report).iter().any(|v| v == "1"), "{report}");
    // Every rule ran or said why not: none failed to evaluate.
    let checks = report["checks"].to_string();
    assert!(!checks.contains("could not evaluate"), "{checks}");
}

/// An xlsx whose sheet part declares 4 GB uncompressed (a zip bomb's header): refused before
/// anything is inflated.
fn zip_bomb(path: &Path) {
    use std::io::Write;
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        zip.start_file("xl/worksheets/sheet1.xml", stored)
            .expect("entry");
        zip.write_all(b"<worksheet/>").expect("write");
        zip.finish().expect("zip");
    }
    let mut bytes = buf.into_inner();
    // Uncompressed size: offset 22 of the local header, 24 of the central directory entry.
    for (signature, offset) in [
        ([0x50u8, 0x4b, 0x03, 0x04], 22usize),
        ([0x50, 0x4b, 0x01, 0x02], 24),
    ] {
        let at = bytes
            .windows(4)
            .position(|w| w == signature)
            .expect("header");
        bytes[at + offset..at + offset + 4].copy_from_slice(&0xF000_0000u32.to_le_bytes());
    }
    std::fs::write(path, bytes).expect("write");
}

#[test]
fn a_zip_bomb_is_refused_before_it_is_inflated() {
    let dir = tempfile::tempdir().expect("tmp");
    let bomb = dir.path().join("bomb.xlsx");
    zip_bomb(&bomb);
    let (code, report, stderr) = inspect(&bomb);
    assert_eq!(code, Some(2), "{stderr}");
    let e = errors(&report);
    assert!(
        e.contains("over a limit") && e.contains("xl/worksheets/sheet1.xml"),
        "{e}"
    );
    assert_eq!(report["errors"][0]["kind"], "limit");
}

/// (file, metric, code, item, aspect, value) of every fact, counted, per sample file.
fn facts_by_file(out: &Path) -> BTreeMap<String, BTreeMap<String, usize>> {
    use polars::prelude::*;
    use polars_io::parquet::read::ParquetReader;
    use polars_io::SerReader;
    let file = std::fs::File::open(out.join("facts.parquet")).expect("facts.parquet");
    let df = ParquetReader::new(file).finish().expect("reads");
    let text = |c: &str| {
        df.column(c)
            .expect(c)
            .cast(&DataType::String)
            .expect("cast")
    };
    let cols = ["file", "metric", "code", "item", "aspect", "value"].map(text);
    let mut out: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for i in 0..df.height() {
        let cell = |c: &Column| c.get(i).map(|v| v.to_string()).unwrap_or_default();
        let file = cell(&cols[0]);
        let name = Path::new(file.trim_matches('"'))
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let key = cols[1..].iter().map(cell).collect::<Vec<_>>().join("|");
        *out.entry(name).or_default().entry(key).or_default() += 1;
    }
    out
}

fn run(inputs: &[&Path], out: &Path) -> (Option<i32>, String) {
    let mut cmd = Command::cargo_bin("fiscal").expect("binary");
    cmd.current_dir(out.parent().expect("parent"))
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args(["run", "--quiet", "--no-cache", "--out"])
        .arg(out)
        .timeout(std::time::Duration::from_secs(300));
    for i in inputs {
        cmd.arg("--input").arg(i);
    }
    let o = cmd.output().expect("runs");
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

#[test]
fn a_run_with_every_hostile_input_finishes_and_keeps_every_good_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let sample = common::repo().join("sample_data");
    let clean = dir.path().join("clean");
    assert_eq!(run(&[&sample], &clean).0, Some(0));

    // The hostile files, a zip bomb, a FIFO and /dev/zero named .txt, and a link loop.
    let extra = dir.path().join("extra");
    std::fs::create_dir_all(extra.join("loop")).expect("dir");
    for f in hostile_files() {
        std::fs::copy(&f, extra.join(f.file_name().expect("name"))).expect("copy");
    }
    zip_bomb(&extra.join("bomb.xlsx"));
    std::os::unix::fs::symlink("/dev/zero", extra.join("zero.txt")).expect("symlink");
    std::os::unix::fs::symlink("..", extra.join("loop/up")).expect("symlink");
    let fifo = extra.join("pipe.txt");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");

    let out = dir.path().join("mixed");
    let (code, stderr) = run(&[&sample, &extra], &out);
    assert_eq!(code, Some(3), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).expect("run.json"))
            .expect("json");
    let failed = summary["failed_inputs"].to_string();
    for f in [
        "empty.txt",
        "sparse_bomb_A1_XFD1048576.xlsx",
        "bomb.xlsx",
        "quadratic_long_line_2MB.txt",
    ] {
        assert!(failed.contains(f), "{f} failed: {failed}");
    }
    let skipped = summary["skipped"].to_string();
    assert!(
        skipped.contains("pipe.txt") && skipped.contains("zero.txt"),
        "{skipped}"
    );
    // Every sample document's facts exactly as in the clean run.
    let before = facts_by_file(&clean);
    let after = facts_by_file(&out);
    assert!(before.len() >= 11, "{:?}", before.keys());
    for (file, facts) in &before {
        assert_eq!(after.get(file), Some(facts), "{file}: facts changed");
    }
    // The partly read hostile files say what they did not read.
    let inputs = common::sheet(&out.join("report.xlsx"), "输入");
    let sci = inputs
        .iter()
        .find(|r| common::text(&r[0]).ends_with("sci_1e400.txt"))
        .expect("sci_1e400.txt listed");
    assert_eq!(common::text(&sci[1]), "部分");
    assert!(inputs
        .iter()
        .any(|r| common::text(&r[8]).contains("1e400万元")));
}
