//! Acceptance: the anomalies `fiscal inspect` raises on each seed against the gold's
//! `required`, `optional` and `must_not_flag` lists.
//!
//! A gold entry matches a flag on its rule and on each of metric, code, item it names (null
//! matches anything). Every flag must be required or optional (the gold lists what an auditor
//! would accept) — except `info` hints of the rules added after the gold was written
//! (`LATER_HINTS`), which the gold cannot list; none may match `must_not_flag`; 003 is clean:
//! no warning or error at all.

mod common;

use serde_json::Value;

/// Info-level rules written after the gold: a rounding difference within tolerance, doubled
/// or unpaired punctuation, a paragraph printed twice.
const LATER_HINTS: [&str; 3] = ["ROUNDING_DIFFERENCE", "PUNCTUATION", "TEXT_COPY"];

fn matches(entry: &Value, flag: &Value) -> bool {
    entry["rule"] == flag["rule"]
        && ["metric", "code", "item"]
            .iter()
            .all(|k| entry[*k].is_null() || entry[*k] == flag[*k])
}

fn describe(flag: &Value) -> String {
    format!(
        "{} {} {} {} @{}: {}",
        flag["rule"], flag["metric"], flag["code"], flag["item"], flag["location"], flag["message"]
    )
}

/// (required found, required total) after asserting the seed's flags against its gold.
fn check_seed(seed: &str) -> (usize, usize) {
    let gold = common::gold(seed);
    let path = common::sample(gold["file"].as_str().expect("file"));
    let text = std::fs::read_to_string(&path).expect("seed is UTF-8");
    let report = common::inspect_json(&path);
    let flags = report["anomalies"].as_array().expect("anomalies");
    let list = |k: &str| gold[k].as_array().cloned().unwrap_or_default();
    let (required, optional, forbidden) =
        (list("required"), list("optional"), list("must_not_flag"));

    let missing: Vec<String> = required
        .iter()
        .filter(|r| !flags.iter().any(|f| matches(r, f)))
        .map(|r| r.to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "{seed}: required flags not raised: {missing:#?}"
    );

    for f in flags {
        let bad: Vec<&Value> = forbidden.iter().filter(|m| matches(m, f)).collect();
        assert!(
            bad.is_empty(),
            "{seed}: must-not-flag violated by {}",
            describe(f)
        );
        let later_hint = f["severity"] == "info" && LATER_HINTS.iter().any(|r| f["rule"] == *r);
        assert!(
            later_hint || required.iter().chain(&optional).any(|e| matches(e, f)),
            "{seed}: flag outside the gold's required/optional: {}",
            describe(f)
        );
        // Evidence quotes the document: each quoted part is found verbatim (Ctrl-F).
        let evidence = f["evidence"].as_str().unwrap_or_default();
        assert!(
            !evidence.is_empty(),
            "{seed}: flag without evidence: {}",
            describe(f)
        );
        for part in evidence.split(" / ") {
            assert!(
                text.contains(part),
                "{seed}: evidence «{part}» is not in the document: {}",
                describe(f)
            );
        }
    }
    (required.len() - missing.len(), required.len())
}

#[test]
fn inspect_flags_000_coverage_without_projects() {
    assert_eq!(check_seed("000_ae146e4dc12147c0"), (1, 1));
}

#[test]
fn inspect_flags_001_placeholders_and_sums() {
    assert_eq!(check_seed("001_7f6af2fd24324409"), (6, 6));
}

#[test]
fn inspect_flags_002_growth_and_fiscal_sum() {
    assert_eq!(check_seed("002_7bc3f91b02c91f00"), (2, 2));
}

#[test]
fn inspect_flags_004_conflict_execution_and_units() {
    assert_eq!(check_seed("004_e852e39ff9ab983e"), (4, 4));
}

#[test]
fn inspect_003_is_clean_of_warnings_and_errors() {
    check_seed("003_de6305994ad292dd");
    let report = common::inspect_json(&common::sample("003_de6305994ad292dd.txt"));
    let loud: Vec<String> = report["anomalies"]
        .as_array()
        .expect("anomalies")
        .iter()
        .filter(|a| a["severity"] != "info")
        .map(describe)
        .collect();
    assert!(loud.is_empty(), "003 must be clean: {loud:#?}");
}

#[test]
fn inspect_records_checks_that_could_not_run() {
    let report = common::inspect_json(&common::sample("001_7f6af2fd24324409.txt"));
    let status = |rule: &str| {
        report["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .find(|c| c["rule"] == rule)
            .cloned()
            .unwrap_or(Value::Null)
    };
    // 收入总计XX万元: the balance cannot be computed, which is not a pass.
    assert_eq!(status("BALANCE_MISMATCH")["status"], "skipped");
    assert!(status("BALANCE_MISMATCH")["reason"]
        .as_str()
        .is_some_and(|r| r.contains("placeholder")));
    assert_eq!(status("SUM_MISMATCH")["status"], "ran");
    assert_eq!(status("SUM_MISMATCH")["flagged"], 3);
}
