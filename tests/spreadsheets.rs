//! Spreadsheet inputs: the same facts whichever form a table came in, the real templates, budget
//! tables with split codes, and workbooks that cannot be read.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

const DIR: &str = "liaoning/panjin/dawa/smart-city-center/2023-final";

fn seed_dir() -> PathBuf {
    common::repo().join("sample_data").join(DIR)
}

type FactRow = (String, String, String, String, String);

/// Table facts as (metric, code, item, aspect, value normalized), ignoring where they were read.
fn table_facts(report: &Value) -> BTreeSet<FactRow> {
    report["facts"]
        .as_array()
        .expect("facts")
        .iter()
        .filter(|f| f["source"] != "prose")
        .map(|f| {
            let value = f["value"]
                .as_str()
                .map(|v| {
                    v.parse::<rust_decimal::Decimal>()
                        .map(|d| d.normalize().to_string())
                        .unwrap_or_default()
                })
                .unwrap_or_else(|| "null".into());
            (
                f["metric"].to_string(),
                f["code"].to_string(),
                f["item"].to_string(),
                f["aspect"].to_string(),
                value,
            )
        })
        .collect()
}

#[test]
fn spreadsheets_yield_the_same_table_facts_as_the_text() {
    let text = common::inspect_json(&seed_dir().join("004_e852e39ff9ab983e.txt"));
    let expected = table_facts(&text);
    assert!(
        expected.len() > 200,
        "the text has its tables: {}",
        expected.len()
    );
    for ext in ["xlsx", "xls", "ods"] {
        let report = common::inspect_json(&seed_dir().join(format!("004_tables.{ext}")));
        assert_eq!(report["document"], text["document"], "{ext}: identity");
        let got = table_facts(&report);
        let missing: Vec<_> = expected.difference(&got).take(5).collect();
        let extra: Vec<_> = got.difference(&expected).take(5).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{ext}: missing {missing:?}, extra {extra:?}"
        );
        // Locations name the sheet and cell.
        let first = &report["facts"][0]["location"];
        assert!(first.as_str().is_some_and(|l| l.contains('!')), "{first}");
    }
}

#[test]
fn spreadsheets_flag_the_65_27_vs_65_28_conflict() {
    for ext in ["xlsx", "xls", "ods"] {
        let report = common::inspect_json(&seed_dir().join(format!("004_tables.{ext}")));
        let conflicts: Vec<&Value> = report["anomalies"]
            .as_array()
            .expect("anomalies")
            .iter()
            .filter(|a| a["rule"] == "CONFLICTING_VALUES" && a["code"] == "208")
            .collect();
        assert_eq!(conflicts.len(), 2, "{ext}");
        let message = conflicts[0]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("65.27") && message.contains("65.28"),
            "{message}"
        );
    }
}

#[test]
fn spreadsheets_committed_workbook_is_the_generators_output() {
    let text = std::fs::read_to_string(seed_dir().join("004_e852e39ff9ab983e.txt")).expect("seed");
    let generated =
        fiscal_archive::report::tables_workbook::tables_workbook(&text).expect("generates");
    let committed = std::fs::read(seed_dir().join("004_tables.xlsx")).expect("committed");
    assert!(
        generated == committed,
        "sample_data/{DIR}/004_tables.xlsx is out of date: run `make sample-sheets`"
    );
}

fn signatures(report: &Value) -> Vec<String> {
    report["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .filter_map(|t| t["signature"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn spreadsheets_real_templates_recognize_every_table_and_flag_placeholders() {
    let expected = vec![
        "budget.summary",
        "budget.income",
        "budget.expenditure",
        "budget.fiscal_summary",
        "budget.general_budget_function",
        "budget.gov_fund_function",
        "budget.state_capital_function",
        "budget.general_budget_basic_economic",
        "budget.three_public",
    ];
    let real = common::repo().join("sample_data/real");
    let mut by_file = Vec::new();
    for name in [
        "department_budget_template.xlsx",
        "unit_budget_template.xlsx",
        "budget_template.xls",
    ] {
        let report = common::inspect_json(&real.join(name));
        assert_eq!(signatures(&report), expected, "{name}: tables");
        assert_eq!(report["document"]["fiscal_year"], 2026, "{name}");
        assert_eq!(report["document"]["kind"], "budget", "{name}");
        let placeholders = report["anomalies"]
            .as_array()
            .expect("anomalies")
            .iter()
            .filter(|a| a["rule"] == "PLACEHOLDER")
            .count();
        assert!(
            placeholders >= 50,
            "{name}: {placeholders} placeholder flags"
        );
        // The department is a placeholder (上海市普陀区XX局): never taken as a name.
        assert!(report["document"]["department"].is_null(), "{name}");
        by_file.push(placeholders);
    }
    // The legacy .xls reads as well as the .xlsx of the same template.
    assert_eq!(by_file[1], by_file[2]);
}

#[test]
fn spreadsheets_read_budget_tables_with_split_codes_units_and_placeholders() {
    use rust_xlsxwriter::Workbook;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("budget.xlsx");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("随便").expect("name");
    let rows: Vec<Vec<&str>> = vec![
        vec!["2025年部门收入预算总表"],
        vec![
            "编制部门：湖南省株洲市石峰区网格化管理服务中心",
            "",
            "",
            "",
            "",
            "",
            "单位：元",
        ],
        vec!["项目", "", "", "", "收入预算"],
        vec![
            "功能分类科目编码",
            "",
            "",
            "功能分类科目名称",
            "合计",
            "财政拨款收入",
            "其他收入",
        ],
        vec!["类", "款", "项"],
        vec![
            "201",
            "",
            "",
            "一般公共服务支出",
            "2,315,900.00",
            "2315900",
            "",
        ],
        vec![
            "201",
            "03",
            "",
            "政府办公厅（室）及相关机构事务",
            "2315900",
            "2315900",
            "",
        ],
        vec!["201", "03", "50", "事业运行", "2315900", "2315900", "x,xxx"],
        vec!["合计", "", "", "", "2315900", "2315900", ""],
        vec![],
        vec!["2025年部门“三公”经费和机关运行经费预算表"],
        vec!["编制部门：", "", "", "", "", "", "单位:万元"],
        vec!["“三公”经费预算数", "", "", "", "", "", "机关运行经费预算数"],
        vec![
            "合计",
            "因公出国(境)费",
            "公务接待费",
            "公务用车购置及运行费",
            "",
            "",
            "",
        ],
        vec!["", "", "", "小计", "购置费", "运行费", ""],
        vec!["1.5", "0", "0.3", "1.2", "0", "1.2", "16.93"],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, text) in row.iter().enumerate() {
            if !text.is_empty() {
                ws.write_string(r as u32, c as u16, *text).expect("write");
            }
        }
    }
    ws.merge_range(2, 0, 2, 3, "项目", &rust_xlsxwriter::Format::new())
        .expect("merge");
    ws.merge_range(2, 4, 2, 6, "收入预算", &rust_xlsxwriter::Format::new())
        .expect("merge");
    ws.merge_range(
        12,
        0,
        12,
        5,
        "“三公”经费预算数",
        &rust_xlsxwriter::Format::new(),
    )
    .expect("merge");
    ws.merge_range(
        13,
        3,
        13,
        5,
        "公务用车购置及运行费",
        &rust_xlsxwriter::Format::new(),
    )
    .expect("merge");
    wb.save(&path).expect("save");

    let report = common::inspect_json(&path);
    assert_eq!(report["document"]["fiscal_year"], 2025);
    assert_eq!(report["document"]["kind"], "budget");
    assert_eq!(
        report["document"]["department"],
        "湖南省株洲市石峰区网格化管理服务中心"
    );
    let fact = |metric: &str, code: Option<&str>| -> Vec<String> {
        report["facts"]
            .as_array()
            .expect("facts")
            .iter()
            .filter(|f| f["metric"] == metric && f["code"].as_str() == code)
            .map(|f| {
                f["value"].as_str().map_or("null".to_string(), |v| {
                    v.parse::<rust_decimal::Decimal>()
                        .map(|d| d.normalize().to_string())
                        .unwrap_or_default()
                })
            })
            .collect()
    };
    // 单位：元 → 万元; codes joined from 类/款/项 columns; `2,315,900.00` read as a number.
    assert_eq!(fact("income.total", Some("201")), vec!["231.59"]);
    assert_eq!(fact("income.total", Some("20103")), vec!["231.59"]);
    assert_eq!(fact("income.fiscal", Some("2010350")), vec!["231.59"]);
    assert_eq!(fact("income.total", None), vec!["231.59"]);
    // `x,xxx` is a placeholder: a fact without a value, flagged, never zero.
    assert_eq!(fact("income.other", Some("2010350")), vec!["null"]);
    assert!(report["anomalies"]
        .as_array()
        .expect("anomalies")
        .iter()
        .any(|a| a["rule"] == "PLACEHOLDER" && a["code"] == "2010350"));
    // The horizontal 三公 table: measures in the header, one row of amounts.
    assert_eq!(fact("three_public.total", None), vec!["1.5"]);
    assert_eq!(fact("three_public.vehicle", None), vec!["1.2"]);
    assert_eq!(fact("three_public.vehicle.operation", None), vec!["1.2"]);
    assert_eq!(fact("admin_cost", None), vec!["16.93"]);
}

fn run_with(extra: &[&Path], out: &Path) -> (Option<i32>, Value) {
    let mut cmd = Command::cargo_bin("fiscal").expect("binary");
    cmd.env("SOURCE_DATE_EPOCH", "1700000000")
        .args(["run", "--quiet", "--input"])
        .arg(seed_dir());
    for p in extra {
        cmd.arg("--input").arg(p);
    }
    let status = cmd
        .arg("--out")
        .arg(out)
        .output()
        .expect("runs")
        .status
        .code();
    let summary =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).expect("json"))
            .expect("parses");
    (status, summary)
}

#[test]
fn spreadsheets_unreadable_workbooks_fail_alone_with_clear_messages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = std::fs::read(seed_dir().join("004_tables.xlsx")).expect("xlsx");
    let truncated = dir.path().join("truncated.xlsx");
    std::fs::write(&truncated, &good[..good.len() / 2]).expect("write");
    let corrupt = dir.path().join("corrupt.xls");
    std::fs::write(&corrupt, [0x13u8; 4096]).expect("write");
    let html = dir.path().join("download.xlsx");
    std::fs::write(
        &html,
        "<!DOCTYPE html><html><body>404 Not Found</body></html>",
    )
    .expect("write");
    let protected = common::repo().join("tests/fixtures/password_protected.xlsx");

    let expectations = [
        (&truncated, "truncated or corrupt zip archive"),
        (&corrupt, "not a readable workbook"),
        (&html, "not a spreadsheet: HTML"),
        (&protected, "password-protected"),
    ];
    for (path, words) in &expectations {
        let out = Command::cargo_bin("fiscal")
            .expect("binary")
            .args(["inspect", "--format", "json"])
            .arg(path)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{path:?}");
        let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let message = report["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(words), "{path:?}: {message}");
        assert!(message.contains(&*path.file_name().unwrap_or_default().to_string_lossy()));
    }

    let (status, summary) = run_with(
        &[
            truncated.as_path(),
            corrupt.as_path(),
            html.as_path(),
            protected.as_path(),
        ],
        &dir.path().join("out"),
    );
    assert_eq!(status, Some(3));
    assert_eq!(summary["failed_inputs"].as_array().map(Vec::len), Some(4));
    // The seed directory's four files are all kept.
    assert_eq!(summary["documents"], 4);
}
