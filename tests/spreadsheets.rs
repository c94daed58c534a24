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

/// A 决算 workbook laid out as many publish it: the wide “三公” table (预算数 / 决算数 bands
/// over 合计 · 出国 · 车辆(小计, 购置, 运行) · 接待, one row of amounts under column numbers)
/// and next year's 项目支出绩效目标表 stacked one after another in one sheet, with merged labels
/// and a header over three rows. Every amount is read; next year's targets carry their period.
#[test]
fn spreadsheets_read_the_wide_three_public_table_and_stacked_target_forms() {
    use rust_xlsxwriter::{Format, Workbook};
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("final.xlsx");
    let mut wb = Workbook::new();
    let plain = Format::new();
    let put = |ws: &mut rust_xlsxwriter::Worksheet, row: u32, cells: &[&str]| {
        for (c, text) in cells.iter().enumerate() {
            if text.is_empty() {
                continue;
            }
            match text.parse::<f64>() {
                Ok(n) if !text.contains('%') => ws.write_number(row, c as u16, n),
                _ => ws.write_string(row, c as u16, *text),
            }
            .expect("write");
        }
    };
    let ws = wb.add_worksheet().set_name("三公").expect("name");
    put(ws, 0, &["上海市普陀区城市管理局2023年度部门决算"]);
    put(ws, 1, &["财政拨款“三公”经费支出决算表"]);
    put(ws, 2, &["单位：万元"]);
    ws.merge_range(3, 0, 3, 5, "预算数", &plain).expect("merge");
    ws.merge_range(3, 6, 3, 11, "决算数", &plain)
        .expect("merge");
    for base in [0u16, 6] {
        ws.merge_range(4, base + 2, 4, base + 4, "公务用车购置及运行费", &plain)
            .expect("merge");
        put(ws, 4, &[]);
        ws.write_string(4, base, "合计").expect("write");
        ws.write_string(4, base + 1, "因公出国（境）费")
            .expect("write");
        ws.write_string(4, base + 5, "公务接待费").expect("write");
        ws.write_string(5, base + 2, "小计").expect("write");
        ws.write_string(5, base + 3, "公务用车购置费")
            .expect("write");
        ws.write_string(5, base + 4, "公务用车运行费")
            .expect("write");
    }
    let numbers: Vec<String> = (1..=12).map(|n| n.to_string()).collect();
    put(
        ws,
        6,
        &numbers.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    // Amounts stored as plain numbers, shown with two decimals by their number format.
    let two_decimals = Format::new().set_num_format("#,##0.00");
    for (c, v) in [10.0, 2.0, 5.0, 0.0, 5.0, 3.0, 8.5, 1.5, 4.0, 0.0, 4.0, 3.0]
        .into_iter()
        .enumerate()
    {
        ws.write_number_with_format(7, c as u16, v, &two_decimals)
            .expect("write");
    }

    let ws = wb.add_worksheet().set_name("项目绩效目标").expect("name");
    let mut r = 0u32;
    for (project, budget, three_rows) in [
        ("网格信息化建设", "50", false),
        ("视频监控运维", "30.5", true),
    ] {
        ws.merge_range(r, 0, r, 6, "2024年项目支出绩效目标表", &plain)
            .expect("merge");
        put(ws, r + 1, &["单位：万元"]);
        ws.merge_range(r + 2, 0, r + 2, 1, "项目名称", &plain)
            .expect("merge");
        ws.merge_range(r + 2, 2, r + 2, 6, project, &plain)
            .expect("merge");
        ws.merge_range(r + 3, 1, r + 3, 2, "年度资金总额", &plain)
            .expect("merge");
        put(ws, r + 3, &["项目资金", "", "", budget]);
        put(
            ws,
            r + 4,
            &["绩效指标", "一级指标", "二级指标", "三级指标", "年度目标值"],
        );
        r += 5;
        if three_rows {
            put(ws, r, &["", "", "", "", "指标值"]);
            r += 1;
        }
        put(ws, r, &["", "", "", "", "运算符号", "数值", "度量单位"]);
        put(
            ws,
            r + 1,
            &["", "产出指标", "数量指标", "设备数量", "≥", "10", "台"],
        );
        put(
            ws,
            r + 2,
            &["", "效益指标", "满意度指标", "群众满意度", "≥", "90", "%"],
        );
        r += 4;
    }
    wb.save(&path).expect("save");

    let report = common::inspect_json(&path);
    assert_eq!(report["errors"], serde_json::json!([]), "{report:#}");
    let facts = report["facts"].as_array().expect("facts");
    let get = |metric: &str, aspect: &str| -> Vec<String> {
        facts
            .iter()
            .filter(|f| f["metric"] == metric && f["aspect"] == aspect)
            .map(|f| f["value"].as_str().unwrap_or("null").to_string())
            .collect()
    };
    assert_eq!(get("three_public.total", "budget"), vec!["10.00"]);
    assert_eq!(get("three_public.total", "value"), vec!["8.50"]);
    assert_eq!(
        get("three_public.vehicle.operation", "budget"),
        vec!["5.00"]
    );
    assert_eq!(get("three_public.vehicle.purchase", "value"), vec!["0.00"]);
    assert_eq!(get("three_public.reception", "value"), vec!["3.00"]);
    assert_eq!(get("performance.project", "budget"), vec!["50", "30.5"]);
    let targets: Vec<(String, String, Value)> = facts
        .iter()
        .filter(|f| f["metric"] == "performance.indicator")
        .map(|f| {
            (
                f["item"].as_str().unwrap_or_default().to_string(),
                f["value"].as_str().unwrap_or("null").to_string(),
                f["period"].clone(),
            )
        })
        .collect();
    assert_eq!(targets.len(), 4, "{targets:?}");
    assert!(targets.contains(&("视频监控运维/设备数量".into(), "10".into(), 2024.into())));
    let flags: Vec<&Value> = report["anomalies"]
        .as_array()
        .expect("anomalies")
        .iter()
        .filter(|a| a["severity"] != "info")
        .collect();
    assert!(flags.is_empty(), "{flags:#?}");
}

/// A disclosure in two files — the explanation `D.txt` and its tables `D_tables.xlsx` — is
/// checked across them: the workbook's 机关运行经费 contradicting the prose is a conflict, the
/// prose printing the same digits in 元 is 元 taken for 万元 (UNIT_SUSPECT, not also a
/// conflict), and the same figure in both files is nothing.
#[test]
fn spreadsheets_a_tables_workbook_is_checked_against_its_explanation() {
    use rust_xlsxwriter::{Format, Workbook};
    let run = |prose_admin: &str, table_admin: f64| -> Vec<String> {
        let dir = tempfile::tempdir().expect("tempdir");
        let input = dir.path().join("in");
        std::fs::create_dir(&input).expect("mkdir");
        let text = format!(
            "杭州市西湖区教育局2024年部门预算\n一、收支预算总体情况\n\
             2024年收入预算500.00万元，包括：一般公共预算拨款收入480.00万元；其他收入20.00万元。\n\
             2024年支出预算500.00万元，其中：基本支出400.00万元，项目支出100.00万元。\n\
             二、“三公”经费预算情况说明\n2024年“三公”经费预算3.00万元，其中：因公出国（境）费0.00万元；公务用车购置及运行费2.00万元（其中：公务用车购置费0.00万元，公务用车运行费2.00万元）；公务接待费1.00万元。\n\
             三、机关运行经费\n2024年机关运行经费{prose_admin}。\n"
        );
        std::fs::write(input.join("D.txt"), text).expect("write");
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        let plain = Format::new();
        let two = Format::new().set_num_format("0.00");
        ws.write_string(0, 0, "“三公”经费和机关运行经费预算表")
            .expect("w");
        ws.write_string(1, 0, "单位：万元").expect("w");
        ws.merge_range(2, 0, 2, 5, "“三公”经费预算数", &plain)
            .expect("m");
        ws.write_string(2, 6, "机关运行经费预算数").expect("w");
        for (c, t) in ["合计", "因公出国（境）费"].iter().enumerate() {
            ws.write_string(3, c as u16, *t).expect("w");
        }
        ws.merge_range(3, 2, 3, 4, "公务用车购置及运行费", &plain)
            .expect("m");
        ws.write_string(3, 5, "公务接待费").expect("w");
        for (c, t) in [(2u16, "小计"), (3, "购置费"), (4, "运行费")] {
            ws.write_string(4, c, t).expect("w");
        }
        for (c, v) in [3.0, 0.0, 2.0, 0.0, 2.0, 1.0, table_admin]
            .into_iter()
            .enumerate()
        {
            ws.write_number_with_format(5, c as u16, v, &two)
                .expect("w");
        }
        wb.save(input.join("D_tables.xlsx")).expect("save");
        let out = dir.path().join("out");
        Command::cargo_bin("fiscal")
            .expect("binary")
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .args(["run", "--quiet", "--fail-on", "never", "--input"])
            .arg(&input)
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        let csv = std::fs::read_to_string(out.join("anomalies.csv")).expect("csv");
        csv.lines()
            .filter(|l| l.contains("admin_cost"))
            .map(|l| l.split(',').nth(1).unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(run("125.50万元", 125.0), vec!["CONFLICTING_VALUES"]);
    assert_eq!(run("125.50元", 125.5), vec!["UNIT_SUSPECT"]);
    assert!(run("125.50万元", 125.5).is_empty());
}
