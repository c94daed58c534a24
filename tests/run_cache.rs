//! The per-disclosure cache (issue 11): a rerun reads only new or changed files and gives the
//! outputs of a full run; shards fill one cache that a final run consolidates; the cache is a
//! Hive-partitioned Parquet dataset others can read; a damaged cache costs a re-read, never a
//! wrong number.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

const EPOCH: &str = "1700000000";

/// A copy of `sample_data/` (its folder layout kept: companion files stay together).
fn archive(dir: &Path) -> PathBuf {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("dir");
        for entry in std::fs::read_dir(from).expect("list").flatten() {
            let p = entry.path();
            let target = to.join(entry.file_name());
            if p.is_dir() {
                copy(&p, &target);
            } else {
                std::fs::copy(&p, &target).expect("copy");
            }
        }
    }
    let input = dir.join("in");
    copy(&common::repo().join("sample_data"), &input);
    input
}

/// `fiscal run --quiet --input <input> --out <out> <extra…>` with SOURCE_DATE_EPOCH set: the
/// exit code and stderr.
fn run(input: &Path, out: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let output = Command::cargo_bin("fiscal")
        .expect("binary")
        .args(["run", "--quiet", "--fail-on", "never", "--input"])
        .arg(input)
        .arg("--out")
        .arg(out)
        .args(extra)
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .output()
        .expect("runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn summary(out: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).expect("run.json"))
        .expect("parses")
}

/// The outputs a reader compares (run.json aside: it counts what was read).
fn outputs(out: &Path) -> Vec<(&'static str, Vec<u8>)> {
    ["report.xlsx", "facts.parquet", "anomalies.csv"]
        .into_iter()
        .map(|n| (n, std::fs::read(out.join(n)).expect("output")))
        .collect()
}

fn same_outputs(a: &Path, b: &Path) {
    for ((name, x), (_, y)) in outputs(a).into_iter().zip(outputs(b)) {
        assert!(x == y, "{name} differs between {a:?} and {b:?}");
    }
}

/// The Hunan budget explanation: a disclosure of one file.
fn single_file_document(input: &Path) -> PathBuf {
    let mut found: Vec<PathBuf> = files_under(input)
        .into_iter()
        .filter(|p| {
            p.to_string_lossy().contains("hunan") && p.extension().is_some_and(|e| e == "txt")
        })
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    found.remove(0)
}

#[test]
fn after_one_file_changes_only_it_is_read_and_the_outputs_equal_a_full_run() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = archive(dir.path());
    let out = dir.path().join("out");
    let (status, stderr) = run(&input, &out, &[]);
    assert_eq!(status, Some(0), "{stderr}");
    let first = summary(&out);
    let inputs = first["inputs"].as_u64().expect("inputs");
    assert!(inputs >= 10, "{first}");
    assert_eq!(first["documents_read"], inputs);
    assert_eq!(first["documents_from_cache"], 0);
    assert!(
        first["cache"]["segments_written"].as_u64() > Some(0),
        "{first}"
    );

    // One figure of a one-file disclosure is reprinted.
    let doc = single_file_document(&input);
    let text = std::fs::read_to_string(&doc).expect("text");
    let at = text.find("万元").expect("an amount");
    let digits = text[..at]
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .count();
    let figure = &text[at - digits..at];
    assert!(!figure.is_empty());
    std::fs::write(
        &doc,
        text.replacen(&format!("{figure}万元"), "9999.99万元", 1),
    )
    .expect("write");

    let (status, stderr) = run(&input, &out, &[]);
    assert_eq!(status, Some(0), "{stderr}");
    let second = summary(&out);
    assert_eq!(
        second["documents_read"], 1,
        "only the changed file: {second}"
    );
    assert_eq!(second["documents_from_cache"], inputs - 1);
    assert_eq!(
        second["changes"]["documents"]["changed"]["items"],
        serde_json::json!([doc.display().to_string()])
    );
    // Only the changed disclosure's partition was rewritten.
    let cache = &second["cache"];
    assert_eq!(cache["segments_written"], 1, "{cache}");
    assert_eq!(cache["segments_removed"], 1, "{cache}");

    // Outputs from the cache equal a full read's, byte for byte (fresh output folders, so both
    // compare with no previous run).
    let cached = dir.path().join("cached");
    let cache_dir = out.join("cache");
    let (status, _) = run(
        &input,
        &cached,
        &["--cache", cache_dir.to_str().expect("utf-8")],
    );
    assert_eq!(status, Some(0));
    assert_eq!(summary(&cached)["documents_read"], 0);
    assert_eq!(summary(&cached)["documents_from_cache"], inputs);
    let full = dir.path().join("full");
    let (status, _) = run(&input, &full, &["--no-cache"]);
    assert_eq!(status, Some(0));
    assert_eq!(summary(&full)["documents_read"], inputs);
    assert!(summary(&full)["cache"].is_null());
    assert!(!full.join("cache").exists(), "--no-cache writes no cache");
    same_outputs(&cached, &full);

    // Near miss: other limits are another tool key: everything is read again.
    let pipeline = dir.path().join("p.toml");
    std::fs::write(&pipeline, "[limits]\nmax_line_kb = 512\n").expect("write");
    let other = dir.path().join("other");
    let (status, _) = run(
        &input,
        &other,
        &[
            "--pipeline",
            pipeline.to_str().expect("utf-8"),
            "--cache",
            cache_dir.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(status, Some(0));
    assert_eq!(summary(&other)["documents_read"], inputs);
}

#[test]
fn shards_fill_one_cache_that_a_final_run_consolidates() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = archive(dir.path());
    let cache = dir.path().join("shared-cache");
    let cache_arg = cache.to_str().expect("utf-8");
    let out = dir.path().join("out");
    let mut read = 0;
    for shard in ["1/3", "2/3", "3/3"] {
        let output = Command::cargo_bin("fiscal")
            .expect("binary")
            .args(["run", "--input"])
            .arg(&input)
            .arg("--out")
            .arg(&out)
            .args(["--cache", cache_arg, "--shard", shard])
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(0));
        let stderr = String::from_utf8_lossy(&output.stderr);
        let n: u64 = stderr
            .split(" inputs, ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("a read count: {stderr}"));
        read += n;
    }
    assert!(!out.exists(), "a shard writes no outputs");
    let (status, stderr) = run(&input, &out, &["--cache", cache_arg]);
    assert_eq!(status, Some(0), "{stderr}");
    let s = summary(&out);
    assert_eq!(
        s["documents_read"], 0,
        "every disclosure came from a shard: {s}"
    );
    assert_eq!(s["documents_from_cache"], s["inputs"]);
    assert_eq!(
        Some(read),
        s["inputs"].as_u64(),
        "the shards split the archive"
    );
    // The final run compacted the shards' segments: one per partition.
    let segments = parquet_files(&cache.join("documents"));
    assert!(
        segments
            .iter()
            .all(|p| !p.to_string_lossy().contains("part-s")),
        "{segments:?}"
    );
    let full = dir.path().join("full");
    let (status, _) = run(&input, &full, &["--no-cache"]);
    assert_eq!(status, Some(0));
    same_outputs(&out, &full);

    // A bad shard is refused with the expected form.
    let output = Command::cargo_bin("fiscal")
        .expect("binary")
        .args(["run", "--shard", "4/3", "--input"])
        .arg(&input)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("expected i/n"));
}

/// Every file under `dir`, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                walk(&p, found);
            } else {
                found.push(p);
            }
        }
    }
    walk(dir, &mut found);
    found.sort();
    found
}

fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect()
}

#[test]
fn the_cache_is_a_hive_partitioned_dataset_of_every_fact_and_flag() {
    use polars::prelude::*;
    use polars_io::parquet::read::ParquetReader;
    let dir = tempfile::tempdir().expect("tmp");
    let input = archive(dir.path());
    let out = dir.path().join("out");
    let (status, stderr) = run(&input, &out, &[]);
    assert_eq!(status, Some(0), "{stderr}");
    let s = summary(&out);
    let read = |path: &Path| {
        ParquetReader::new(std::fs::File::open(path).expect("open"))
            .finish()
            .expect("a parquet file")
    };
    let facts = parquet_files(&out.join("cache/facts"));
    assert!(
        facts.len() >= 4,
        "one file per province and year: {facts:?}"
    );
    for f in &facts {
        let rel = f.strip_prefix(out.join("cache/facts")).expect("under");
        let parts: Vec<String> = rel
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        assert!(parts[0].starts_with("province="), "{parts:?}");
        assert!(parts[1].starts_with("fiscal_year="), "{parts:?}");
    }
    assert!(facts.iter().any(|f| f
        .to_string_lossy()
        .contains("province=辽宁省/fiscal_year=2023")));
    let rows: usize = facts.iter().map(|f| read(f).height()).sum();
    assert_eq!(Some(rows as u64), s["facts"].as_u64(), "every fact once");
    // A figure an auditor knows: the 2023 final account's 收入总计 of 大洼区智慧城市运行管理中心.
    let liaoning = facts
        .iter()
        .find(|f| {
            f.to_string_lossy()
                .contains("province=辽宁省/fiscal_year=2023")
        })
        .expect("partition");
    let df = read(liaoning);
    assert!(
        df.column("value").expect("value").str().is_ok(),
        "exact text"
    );
    let anomalies: usize = parquet_files(&out.join("cache/anomalies"))
        .iter()
        .map(|f| read(f).height())
        .sum();
    let documents: usize = parquet_files(&out.join("cache/documents"))
        .iter()
        .map(|f| read(f).height())
        .sum();
    assert_eq!(Some(documents as u64), s["inputs"].as_u64());
    let document_scope = std::fs::read_to_string(out.join("anomalies.csv"))
        .expect("csv")
        .lines()
        .count()
        - 1;
    assert!(
        anomalies > 0 && anomalies <= document_scope,
        "{anomalies} of {document_scope}"
    );
}

#[test]
fn a_damaged_cache_costs_a_reread_never_a_wrong_number() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = archive(dir.path());
    let out = dir.path().join("out");
    let (status, _) = run(&input, &out, &[]);
    assert_eq!(status, Some(0));
    let inputs = summary(&out)["inputs"].as_u64().expect("inputs");
    let cache = out.join("cache");
    let segments = parquet_files(&cache.join("documents"));
    std::fs::write(&segments[0], b"not parquet").expect("damage");
    let facts = parquet_files(&cache.join("facts"));
    std::fs::write(&facts[facts.len() - 1], b"PAR1 truncated").expect("damage");

    let again = dir.path().join("again");
    let cache_arg = cache.to_str().expect("utf-8");
    let (status, stderr) = run(&input, &again, &["--cache", cache_arg]);
    assert_eq!(status, Some(0), "{stderr}");
    assert!(
        stderr.contains("cache segment") && stderr.contains("read again"),
        "{stderr}"
    );
    let s = summary(&again);
    let read = s["documents_read"].as_u64().expect("read");
    assert!(read > 0 && read < inputs, "{s}");
    assert_eq!(s["cache"]["warnings"].as_array().map(Vec::len), Some(2));
    let full = dir.path().join("full");
    run(&input, &full, &["--no-cache"]);
    same_outputs(&again, &full);
    // The damaged segments were replaced: the next run reads nothing.
    let third = dir.path().join("third");
    run(&input, &third, &["--cache", cache_arg]);
    assert_eq!(summary(&third)["documents_read"], 0);
}
