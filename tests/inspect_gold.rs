//! Acceptance: `fiscal inspect --format json` on each seed against its hand-checked gold file.
//!
//! Facts match on (metric, code, item, aspect) and values compare numerically (SPEC §7). A prose
//! sub-item the gold records as (parent code, item name) may instead carry the code that name
//! resolves to below the parent (`208` + 住房公积金 ↔ `2210201` under `221`).

mod common;

use std::str::FromStr;

use fiscal_archive::catalog::catalog;
use fiscal_archive::model::Code;
use rust_decimal::Decimal;
use serde_json::Value;

fn s(v: &Value) -> Option<&str> {
    v.as_str()
}

fn decimal(v: &Value) -> Option<Decimal> {
    v.as_str().and_then(|s| Decimal::from_str(s).ok())
}

/// True when extracted `code` (no item) is gold's `parent code + item`.
fn sub_item_matches(gold_code: Option<&str>, gold_item: &str, code: Option<&str>) -> bool {
    let (Some(parent), Some(code)) = (gold_code, code) else {
        return false;
    };
    let Some(code) = Code::parse(code) else {
        return false;
    };
    code.as_str().starts_with(parent)
        && code.as_str().len() > parent.len()
        && catalog()
            .codes_for(&code)
            .get(&code)
            .is_some_and(|e| e.matching_name(gold_item).is_some())
}

/// Gold facts not found with exactly the gold value, described for the failure message.
fn missing_facts(gold: &Value, report: &Value) -> (usize, Vec<String>) {
    let facts = report["facts"].as_array().expect("facts array");
    let gold_facts = gold["facts"].as_array().expect("gold facts");
    let mut missing = Vec::new();
    for g in gold_facts {
        let (metric, code, item, aspect) = (
            s(&g["metric"]),
            s(&g["code"]),
            s(&g["item"]),
            s(&g["aspect"]),
        );
        let same_key = |f: &&Value| {
            s(&f["metric"]) == metric
                && s(&f["aspect"]) == aspect
                && ((s(&f["code"]) == code && s(&f["item"]) == item)
                    || (f["item"].is_null()
                        && item.is_some_and(|i| sub_item_matches(code, i, s(&f["code"])))))
        };
        let candidates: Vec<&Value> = facts.iter().filter(same_key).collect();
        let wanted = decimal(&g["value"]);
        let found = candidates
            .iter()
            .any(|f| match (wanted, decimal(&f["value"])) {
                (None, None) => g["value"].is_null() && f["value"].is_null(),
                (Some(a), Some(b)) => a == b,
                _ => false,
            });
        if !found {
            let seen: Vec<String> = candidates
                .iter()
                .map(|f| format!("{} at {}", f["value"], f["location"]))
                .collect();
            missing.push(format!(
                "{} {:?} {:?} {} = {} (extracted: {})",
                metric.unwrap_or("?"),
                code,
                item,
                aspect.unwrap_or("?"),
                g["value"],
                if seen.is_empty() {
                    "none".to_string()
                } else {
                    seen.join(", ")
                }
            ));
        }
    }
    (gold_facts.len(), missing)
}

fn check_seed(seed: &str) {
    let gold = common::gold(seed);
    let file = gold["file"].as_str().expect("gold names its file");
    let report = common::inspect_json(&common::sample(file));

    let doc = &report["document"];
    for field in ["department", "fiscal_year", "kind"] {
        assert_eq!(
            doc[field], gold["document"][field],
            "{seed}: document.{field}"
        );
    }
    let (total, missing) = missing_facts(&gold, &report);
    assert!(
        missing.is_empty(),
        "{seed}: {} of {total} gold facts missing or with another value:\n  {}",
        missing.len(),
        missing.join("\n  ")
    );
}

#[test]
fn inspect_matches_gold_000_shuangtaizi_budget_2024() {
    check_seed("000_ae146e4dc12147c0");
}

#[test]
fn inspect_matches_gold_001_xinglongtai_final_2022() {
    check_seed("001_7f6af2fd24324409");
}

#[test]
fn inspect_matches_gold_002_dawa_final_2019() {
    check_seed("002_7bc3f91b02c91f00");
}

#[test]
fn inspect_matches_gold_003_shifeng_budget_2023() {
    check_seed("003_de6305994ad292dd");
}

#[test]
fn inspect_matches_gold_004_dawa_final_2023() {
    check_seed("004_e852e39ff9ab983e");
}

/// Keys printed with different values in one document; the document must print each value.
fn conflicting_keys(report: &Value) -> Vec<(String, Vec<String>)> {
    let mut by_key: std::collections::BTreeMap<String, Vec<(Decimal, String)>> = Default::default();
    for f in report["facts"].as_array().expect("facts") {
        let Some(v) = decimal(&f["value"]) else {
            continue;
        };
        let key = format!(
            "{} {} {} {}",
            f["metric"], f["code"], f["item"], f["aspect"]
        );
        by_key.entry(key).or_default().push((
            v.normalize(),
            f["raw"].as_str().unwrap_or_default().to_string(),
        ));
    }
    by_key
        .into_iter()
        .filter_map(|(k, values)| {
            let mut distinct: Vec<Decimal> = values.iter().map(|(v, _)| *v).collect();
            distinct.sort();
            distinct.dedup();
            if distinct.len() < 2 {
                return None;
            }
            // Every value must be printed as such somewhere (raw = the cell/number text).
            for d in &distinct {
                assert!(
                    values
                        .iter()
                        .any(|(v, raw)| v == d && raw.contains(&d.to_string())),
                    "{k}: value {d} is not printed as such"
                );
            }
            Some((k, distinct.iter().map(|d| d.to_string()).collect()))
        })
        .collect()
}

#[test]
fn inspect_conflicting_values_only_where_the_document_prints_both() {
    for seed in [
        "000_ae146e4dc12147c0",
        "001_7f6af2fd24324409",
        "002_7bc3f91b02c91f00",
        "003_de6305994ad292dd",
    ] {
        let gold = common::gold(seed);
        let report = common::inspect_json(&common::sample(gold["file"].as_str().expect("file")));
        assert_eq!(conflicting_keys(&report), vec![], "{seed}");
    }
    // 004 prints 社会保障和就业支出 as 65.27 in 公开01/04 and 65.28 in the prose and 公开02/03/05.
    let report = common::inspect_json(&common::sample("004_e852e39ff9ab983e.txt"));
    let keys = conflicting_keys(&report);
    let expected = vec!["65.27".to_string(), "65.28".to_string()];
    assert_eq!(
        keys,
        vec![
            (
                r#""expenditure.current_year" "208" null "value""#.to_string(),
                expected.clone()
            ),
            (
                r#""expenditure.general_budget" "208" null "value""#.to_string(),
                expected
            ),
        ]
    );
}
