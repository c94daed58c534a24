//! `fiscal rules` and rule settings from a pipeline file's [rules] table.

mod common;

use assert_cmd::Command;
use serde_json::Value;

fn fiscal() -> Command {
    Command::cargo_bin("fiscal").expect("binary")
}

fn rules_json(args: &[&str]) -> Value {
    let out = fiscal()
        .arg("rules")
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn rule<'a>(rules: &'a Value, id: &str) -> &'a Value {
    rules
        .as_array()
        .expect("array")
        .iter()
        .find(|r| r["rule"] == id)
        .expect("listed")
}

#[test]
fn rules_lists_every_rule_with_defaults() {
    let rules = rules_json(&[]);
    // SPEC §5's 16, ROUNDING_DIFFERENCE and the seven text-quality rules of SPEC §6.2.
    assert_eq!(rules.as_array().map(Vec::len), Some(24));
    assert_eq!(rule(&rules, "PLACEHOLDER")["severity"], "error");
    assert_eq!(rule(&rules, "ROUNDING_DIFFERENCE")["severity"], "info");
    assert_eq!(rule(&rules, "TEMPLATE_RESIDUE")["scope"], "document");
    assert_eq!(
        rule(&rules, "GROWTH_MISMATCH")["thresholds"]["growth_pct_slack"],
        "0.5"
    );
    assert_eq!(
        rule(&rules, "SHARE_MISMATCH")["thresholds"]["pct_slack"],
        "0.1"
    );
    assert_eq!(
        rule(&rules, "EXECUTION_RATE")["thresholds"]["execution_max_pct"],
        "150"
    );
    assert_eq!(rule(&rules, "TREND_OUTLIER")["scope"], "archive");
}

#[test]
fn rules_pipeline_overrides_thresholds_severity_and_disables() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pipeline = dir.path().join("p.toml");
    std::fs::write(
        &pipeline,
        "[rules]\ndisabled = [\"OUTDATED_CLASS_NAME\"]\n[rules.thresholds]\npct_slack = 0.2\nexecution_max_pct = \"400\"\n[rules.severity]\nEXECUTION_RATE = \"warning\"\n",
    )
    .expect("write");
    let p = pipeline.to_str().expect("utf-8 path");
    let rules = rules_json(&["--pipeline", p]);
    assert_eq!(
        rule(&rules, "SHARE_MISMATCH")["thresholds"]["pct_slack"],
        "0.2"
    );
    assert_eq!(rule(&rules, "EXECUTION_RATE")["severity"], "warning");
    assert_eq!(rule(&rules, "OUTDATED_CLASS_NAME")["enabled"], false);

    // The same settings change what inspect flags: 职业年金 300% is inside a 50–400 band.
    let out = fiscal()
        .args(["inspect", "--format", "json", "--pipeline", p])
        .arg(common::sample("004_e852e39ff9ab983e.txt"))
        .output()
        .expect("runs");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let flags = report["anomalies"].as_array().expect("anomalies");
    assert!(!flags.iter().any(|a| a["code"] == "2080506"));
    assert!(flags
        .iter()
        .any(|a| a["rule"] == "EXECUTION_RATE" && a["severity"] == "warning"));
}

#[test]
fn rules_pipeline_with_unknown_names_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pipeline = dir.path().join("typo.toml");
    std::fs::write(&pipeline, "[rules.thresholds]\npct_slak = 0.2\n").expect("write");
    let out = fiscal()
        .arg("rules")
        .arg("--pipeline")
        .arg(&pipeline)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("typo.toml") && err.contains("pct_slak"),
        "{err}"
    );
}
