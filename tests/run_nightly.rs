//! `fiscal run` as a scheduler runs it (issue 11): exit codes a scheduler can tell apart, the
//! output directory's lock, outputs left alone by a run that read nothing, run.json's times
//! and reason, and a walk that reads each real file once.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};

use assert_cmd::Command;
use serde_json::Value;

/// One department's budget explanation from the sample data.
fn a_sample_text() -> PathBuf {
    common::sample_inputs()
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "txt"))
        .expect("a sample text")
}

/// `fiscal run --quiet --input <inputs…> --out <out>`: exit code and stderr.
fn run(inputs: &[&Path], out: &Path, epoch: Option<&str>) -> (Option<i32>, String) {
    let mut cmd = Command::cargo_bin("fiscal").expect("binary");
    cmd.args(["run", "--quiet", "--out"]).arg(out);
    for i in inputs {
        cmd.arg("--input").arg(i);
    }
    match epoch {
        Some(e) => cmd.env("SOURCE_DATE_EPOCH", e),
        None => cmd.env_remove("SOURCE_DATE_EPOCH"),
    };
    let output = cmd.output().expect("runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Every file of `dir` with its bytes, for "untouched" comparisons (the cache folder aside).
fn contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("out dir")
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).expect("readable"),
            )
        })
        .collect();
    files.sort();
    files
}

fn summary(out: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).expect("run.json"))
        .expect("parses")
}

/// A good night's outputs in `out`, from one sample document.
fn good_night(dir: &Path) -> (PathBuf, PathBuf) {
    let input = dir.join("in");
    std::fs::create_dir_all(&input).expect("dir");
    std::fs::copy(a_sample_text(), input.join("doc.txt")).expect("copy");
    let out = dir.join("out");
    let (status, stderr) = run(&[&input], &out, Some("1700000000"));
    assert_eq!(status, Some(0), "{stderr}");
    (input, out)
}

#[test]
fn a_missing_or_empty_input_root_exits_2_and_leaves_the_outputs_alone() {
    let dir = tempfile::tempdir().expect("tmp");
    let (_, out) = good_night(dir.path());
    let before = contents(&out);

    // An unmounted share: exit 2, the reason on stderr even under --quiet.
    let (status, stderr) = run(&[&dir.path().join("share")], &out, None);
    assert_eq!(status, Some(2));
    assert!(
        stderr.contains("input not found") && stderr.contains("share"),
        "{stderr}"
    );
    assert!(contents(&out) == before, "outputs untouched");

    // A root holding nothing to read.
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).expect("dir");
    std::fs::write(empty.join("notes.docx"), "x").expect("write");
    let (status, stderr) = run(&[&empty], &out, None);
    assert_eq!(status, Some(2));
    assert!(stderr.contains("no input files"), "{stderr}");
    assert!(contents(&out) == before, "outputs untouched");

    // Files, but none readable: exit 3 (failed inputs), outputs still untouched.
    let broken = dir.path().join("broken");
    std::fs::create_dir_all(&broken).expect("dir");
    std::fs::write(broken.join("a.txt"), "").expect("write");
    std::fs::write(broken.join("b.xlsx"), "not a zip").expect("write");
    let (status, stderr) = run(&[&broken], &out, None);
    assert_eq!(status, Some(3));
    assert!(
        stderr.contains("a.txt") && stderr.contains("empty file"),
        "{stderr}"
    );
    assert!(stderr.contains("left as they are"), "{stderr}");
    assert!(contents(&out) == before, "outputs untouched");
}

#[test]
fn a_second_run_on_the_same_output_exits_4_and_a_stale_lock_is_taken_over() {
    let dir = tempfile::tempdir().expect("tmp");
    let (input, out) = good_night(dir.path());
    assert!(
        !out.join(".fiscal-run.lock").exists(),
        "released after a run"
    );
    let before = contents(&out);

    // A live run (this test process stands in for it) holds the directory.
    let lock = out.join(".fiscal-run.lock");
    std::fs::write(
        &lock,
        format!("{}\n2026-12-06T01:00:00Z\n", std::process::id()),
    )
    .expect("lock");
    let (status, stderr) = run(&[&input], &out, None);
    assert_eq!(status, Some(4), "{stderr}");
    assert!(
        stderr.contains(&format!("pid {}", std::process::id())),
        "{stderr}"
    );
    std::fs::remove_file(&lock).expect("unlock");
    assert!(
        contents(&out) == before,
        "nothing written by the refused run"
    );

    // Left by a process that no longer exists (killed): taken over, with a note.
    std::fs::write(&lock, "2147483000\n2026-12-05T01:00:00Z\n").expect("lock");
    let (status, stderr) = run(&[&input], &out, Some("1700000000"));
    assert_eq!(status, Some(0), "{stderr}");
    assert!(
        stderr.contains("stale lock") && stderr.contains("2147483000"),
        "{stderr}"
    );
    assert!(!lock.exists(), "released");
    // Same inputs, same facts and flags; run.json and the 变更 sheet now compare with the
    // previous run, and find nothing changed.
    let now = contents(&out);
    for name in ["facts.parquet", "anomalies.csv"] {
        let file = |c: &[(String, Vec<u8>)]| c.iter().find(|(n, _)| n == name).cloned();
        assert!(file(&now) == file(&before), "{name} differs");
    }
    let s = summary(&out);
    assert_eq!(s["changes"]["previous_run"], "2023-11-14T22:13:20Z");
    for count in [
        &s["changes"]["documents"]["changed"]["count"],
        &s["changes"]["anomalies"]["new"]["count"],
        &s["changes"]["headlines"]["count"],
    ] {
        assert_eq!(count, 0, "{}", s["changes"]);
    }
}

#[test]
fn run_json_says_when_and_why() {
    let dir = tempfile::tempdir().expect("tmp");
    let (input, out) = good_night(dir.path());
    // Reproducible: both times are SOURCE_DATE_EPOCH, no duration.
    let s = summary(&out);
    assert_eq!(s["schema_version"], 2);
    assert_eq!(s["started_at"]["utc"], "2023-11-14T22:13:20Z");
    assert_eq!(s["finished_at"]["shanghai"], "2023-11-15T06:13:20+08:00");
    assert!(s["duration_ms"].is_null());
    assert_eq!(s["exit_reason"], "ok");

    // A real night: wall-clock times, finish not before start, duration present; a failed
    // input makes the reason.
    std::fs::write(input.join("zero.txt"), "").expect("write");
    let (status, stderr) = run(&[&input], &out, None);
    assert_eq!(status, Some(3), "{stderr}");
    assert!(
        stderr.contains("zero.txt"),
        "errors shown under --quiet: {stderr}"
    );
    let s = summary(&out);
    assert_eq!(s["exit_code"], 3);
    assert_eq!(s["exit_reason"], "failed_inputs");
    let started = s["started_at"]["utc"].as_str().expect("utc");
    let finished = s["finished_at"]["utc"].as_str().expect("utc");
    assert!(started.ends_with('Z') && started.len() == 20, "{started}");
    assert!(finished >= started, "{started} → {finished}");
    assert!(s["finished_at"]["shanghai"]
        .as_str()
        .expect("cst")
        .ends_with("+08:00"));
    assert!(s["duration_ms"].as_u64().is_some());
}

#[test]
fn the_walk_reads_each_real_file_once_and_never_a_fifo() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = dir.path().join("in");
    let sub = input.join("sub");
    std::fs::create_dir_all(&sub).expect("dir");
    let doc = input.join("doc.txt");
    std::fs::copy(a_sample_text(), &doc).expect("copy");
    // A link to a parent (a loop), a second name for the same file, a FIFO.
    std::os::unix::fs::symlink("..", sub.join("up")).expect("symlink");
    std::os::unix::fs::symlink(&doc, sub.join("again.txt")).expect("symlink");
    // A link to nothing (a file moved away): reported by path, on stderr too.
    std::os::unix::fs::symlink(dir.path().join("moved.txt"), sub.join("dangling.txt"))
        .expect("symlink");
    let fifo = input.join("pipe.txt");
    let made = StdCommand::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    // The outputs inside the input folder (`--input . --out out`): never read back.
    let out = input.join("out");
    let (status, stderr) = run(&[&input], &out, Some("1700000000"));
    assert_eq!(status, Some(0), "{stderr}");
    let (status, stderr) = run(&[&input], &out, Some("1700000000"));
    assert_eq!(status, Some(0), "{stderr}");
    assert!(
        stderr.contains("not read:") && stderr.contains("dangling.txt"),
        "{stderr}"
    );
    let s = summary(&out);
    assert_eq!(s["inputs"], 1, "one real file: {s}");
    assert!(
        s["skipped"]["files"]
            .to_string()
            .contains("the output or cache directory of this run"),
        "{s}"
    );
    let reasons = s["skipped"]["files"].to_string();
    assert!(reasons.contains("same file as"), "{reasons}");
    assert!(reasons.contains("directory already read"), "{reasons}");
    if made {
        assert!(reasons.contains("a FIFO"), "{reasons}");
    }
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    // A plan longer than a pipe's buffer, so the writer meets the closed end.
    let dir = tempfile::tempdir().expect("tmp");
    for i in 0..2000 {
        std::fs::write(
            dir.path()
                .join(format!("document-with-a-long-name-{i:05}.txt")),
            "x",
        )
        .expect("write");
    }
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("fiscal"))
        .args(["run", "--dry-run", "--input"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("waits");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// The four outputs under their final names (absent ones as `None`).
fn finals(out: &Path) -> Vec<Option<Vec<u8>>> {
    [
        "report.xlsx",
        "facts.parquet",
        "departments.parquet",
        "anomalies.csv",
        "run.json",
    ]
    .iter()
    .map(|n| std::fs::read(out.join(n)).ok())
    .collect()
}

#[test]
fn a_run_killed_at_any_moment_leaves_one_whole_set_of_outputs() {
    let dir = tempfile::tempdir().expect("tmp");
    let (small, out) = good_night(dir.path());
    let previous = finals(&out);
    let saved: Vec<(String, Vec<u8>)> = contents(&out);
    // A bigger night: the sample document plus a generated archive, long enough to be killed
    // while reading, consolidating and writing.
    let big = dir.path().join("big");
    std::fs::create_dir_all(&big).expect("dir");
    fiscal_archive::synth::generate(&big, 40, 3).expect("archive");
    let spawn = || {
        StdCommand::new(assert_cmd::cargo::cargo_bin("fiscal"))
            // Without the cache: reset() removes it, so a killed run that finished anyway
            // would read what the first one took from the cache, and say so in run.json.
            .args([
                "run",
                "--quiet",
                "--no-cache",
                "--fail-on",
                "never",
                "--out",
            ])
            .arg(&out)
            .arg("--input")
            .arg(&small)
            .arg("--input")
            .arg(&big)
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawns")
    };
    let reset = || {
        std::fs::remove_dir_all(&out).expect("clear");
        std::fs::create_dir_all(&out).expect("dir");
        for (name, bytes) in &saved {
            std::fs::write(out.join(name), bytes).expect("restore");
        }
    };
    let started = std::time::Instant::now();
    assert!(spawn().wait().expect("runs").success());
    let full = started.elapsed();
    let new = finals(&out);
    assert!(new != previous, "the bigger night gives other outputs");

    let mut outcomes = (0, 0);
    for percent in [10u32, 50, 80, 90, 96] {
        reset();
        let mut child = spawn();
        std::thread::sleep(full * percent / 100);
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        if out.join(".fiscal-commit").exists() {
            continue; // killed between the commit and its renames: the next run finishes it
        }
        let now = finals(&out);
        if now == previous {
            outcomes.0 += 1;
        } else {
            assert!(
                now == new,
                "killed at {percent}% of the run: a mix of two runs"
            );
            outcomes.1 += 1;
        }
    }
    eprintln!("kills: {outcomes:?} (previous set kept, new set complete); full run {full:?}");
    assert!(
        outcomes.0 > 0,
        "no kill landed before the commit: {outcomes:?}"
    );

    // The next run cleans up after the last killed one and writes the new set (its facts
    // and flags: run.json and the workbook compare with whichever run came before).
    assert!(spawn().wait().expect("runs").success());
    assert!(
        finals(&out)[1..3] == new[1..3],
        "facts and flags of the new set"
    );
    let leftovers: Vec<String> = contents(&out)
        .into_iter()
        .map(|(n, _)| n)
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn changes_since_the_last_run_name_the_changed_document_and_its_figures() {
    let dir = tempfile::tempdir().expect("tmp");
    let (input, out) = good_night(dir.path());
    let first = summary(&out);
    assert!(first["changes"]["previous_run"].is_null(), "a first run");
    let rows = common::sheet(&out.join("report.xlsx"), "变更");
    assert_eq!(common::text(&rows[1][0]), "首次运行");

    // The document is reprinted with one figure changed, and a second one arrives.
    let doc = input.join("doc.txt");
    let text = std::fs::read_to_string(&doc).expect("text");
    let figure = first_amount(&text);
    assert!(!figure.is_empty(), "an amount to change");
    std::fs::write(&doc, text.replacen(&figure, "9999.99", 1)).expect("write");
    std::fs::write(input.join("zero.txt"), "").expect("write");
    let (status, stderr) = run(&[&input], &out, Some("1700000100"));
    assert_eq!(status, Some(3), "{stderr}");
    let c = &summary(&out)["changes"];
    assert_eq!(c["previous_run"], "2023-11-14T22:13:20Z");
    let file = doc.display().to_string();
    assert_eq!(
        c["documents"]["changed"]["items"],
        serde_json::json!([file])
    );
    assert_eq!(c["documents"]["added"]["count"], 1, "{c}");
    assert_eq!(c["documents"]["removed"]["count"], 0, "{c}");
    let moved = c["headlines"]["count"].as_u64().unwrap_or(0)
        + c["anomalies"]["new"]["count"].as_u64().unwrap_or(0);
    assert!(moved > 0, "the changed figure shows: {c}");
    let rows = common::sheet(&out.join("report.xlsx"), "变更");
    assert!(rows
        .iter()
        .any(|r| common::text(&r[0]) == "内容有变化的文档" && common::text(&r[1]) == file));
}

/// The first `NNN.NN` amount printed before 万元 in `text`.
fn first_amount(text: &str) -> String {
    let at = text.find("万元").expect("an amount");
    text[..at]
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect::<Vec<char>>()
        .into_iter()
        .rev()
        .collect()
}

#[test]
fn a_rerun_with_nothing_changed_reads_nothing_and_keeps_the_outputs() {
    let dir = tempfile::tempdir().expect("tmp");
    let (input, out) = good_night(dir.path());
    std::fs::write(input.join("zero.txt"), "").expect("write"); // a failed input stays failed
    let (status, _) = run(&[&input], &out, Some("1700000000"));
    assert_eq!(status, Some(3));
    let first = summary(&out);
    assert_eq!(
        first["documents_read"], 1,
        "the new file; doc.txt from the cache"
    );
    assert_eq!(first["documents_from_cache"], 1);
    assert_eq!(first["reused_outputs"], false);
    let data = |out: &Path| -> Vec<(String, Vec<u8>)> {
        contents(out)
            .into_iter()
            .filter(|(n, _)| n != "run.json")
            .collect()
    };
    let before = data(&out);

    let (status, _) = run(&[&input], &out, Some("1700000000"));
    assert_eq!(status, Some(3), "the same exit code as the run it repeats");
    let again = summary(&out);
    assert_eq!(again["documents_read"], 0, "no document read");
    assert_eq!(again["reused_outputs"], true);
    assert_eq!(again["inputs"], 2);
    assert_eq!(again["exit_reason"], "failed_inputs");
    assert_eq!(again["changes"]["previous_run"], "2023-11-14T22:13:20Z");
    assert_eq!(again["changes"]["documents"]["changed"]["count"], 0);
    assert!(data(&out) == before, "outputs byte-identical");
    // --no-cache reads everything, and gives the same outputs.
    let mut cmd = Command::cargo_bin("fiscal").expect("binary");
    cmd.args(["run", "--quiet", "--no-cache", "--out"])
        .arg(&out)
        .arg("--input")
        .arg(&input)
        .env("SOURCE_DATE_EPOCH", "1700000000");
    assert_eq!(cmd.output().expect("runs").status.code(), Some(3));
    assert_eq!(summary(&out)["documents_read"], 2);
    // The same facts and flags; its 变更 sheet compares with the previous run (no change),
    // where the kept workbook still shows the first run's.
    let named = |c: Vec<(String, Vec<u8>)>, name: &str| c.into_iter().find(|(n, _)| n == name);
    for name in ["facts.parquet", "anomalies.csv"] {
        assert!(
            named(data(&out), name) == named(before.clone(), name),
            "{name}: a full run gives the same"
        );
    }

    // Near misses: other settings, or other content with the same name, are new runs (no
    // outputs kept); the language does not change what a document says, so every document
    // comes from the cache, and a changed file is read again.
    let mut cmd = Command::cargo_bin("fiscal").expect("binary");
    cmd.args(["run", "--quiet", "--lang", "en", "--out"])
        .arg(&out)
        .arg("--input")
        .arg(&input)
        .env("SOURCE_DATE_EPOCH", "1700000000");
    assert_eq!(cmd.output().expect("runs").status.code(), Some(3));
    assert_eq!(summary(&out)["reused_outputs"], false, "another language");
    assert_eq!(summary(&out)["documents_read"], 0, "another language");
    assert_eq!(summary(&out)["documents_from_cache"], 2);
    let doc = input.join("doc.txt");
    let text = std::fs::read_to_string(&doc).expect("text");
    std::fs::write(&doc, format!("{text}\n")).expect("write");
    let (_, _) = run(&[&input], &out, Some("1700000000"));
    assert_eq!(summary(&out)["reused_outputs"], false, "a changed file");
    assert_eq!(summary(&out)["documents_read"], 1, "a changed file");
}

#[test]
fn files_with_impossible_numbers_are_read_partly_and_the_night_goes_on() {
    // Two hostile files (../shared/hostile) whose amounts used to overflow a check's decimal
    // arithmetic (a panic, caught per file as a failed input): the numbers beyond what a
    // disclosure prints are now reported and not read, the rest of each file is, and the
    // sample documents are untouched.
    let dir = tempfile::tempdir().expect("tmp");
    let hostile = common::repo().join("tests/hostile");
    let bad = [
        hostile.join("overflow_decimal_max.txt"),
        hostile.join("fuzz_min_695410ae.txt"),
    ];
    let sample = common::repo().join("sample_data");
    let out = dir.path().join("out");
    let (status, stderr) = run(&[&sample, &bad[0], &bad[1]], &out, Some("1700000000"));
    assert_eq!(status, Some(0), "{stderr}");
    let s = summary(&out);
    assert_eq!(s["documents"], common::sample_inputs().len() + 2);
    assert_eq!(s["failed_inputs"].as_array().map(Vec::len), Some(0));
    let inputs = common::sheet(&out.join("report.xlsx"), "输入");
    let row = inputs
        .iter()
        .find(|r| common::text(&r[0]).ends_with("overflow_decimal_max.txt"))
        .expect("listed");
    assert_eq!(common::text(&row[1]), "部分");
    assert!(common::text(&row[8]).contains("number not read"), "{row:?}");
}

#[test]
fn a_run_that_cannot_write_exits_1_and_keeps_the_previous_outputs() {
    let dir = tempfile::tempdir().expect("tmp");
    let (input, out) = good_night(dir.path());
    std::fs::write(
        input.join("second.txt"),
        std::fs::read(a_sample_text()).expect("read"),
    )
    .expect("write");
    let before = contents(&out);
    // The workbook library needs a temporary directory; without one it used to abort the run.
    let output = Command::cargo_bin("fiscal")
        .expect("binary")
        .args(["run", "--quiet", "--out"])
        .arg(&out)
        .arg("--input")
        .arg(&input)
        .env("TMPDIR", dir.path().join("no-such-tmp"))
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("previous outputs are left"), "{stderr}");
    assert!(contents(&out) == before, "previous outputs untouched");
}
