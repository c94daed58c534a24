//! `fiscal run` end to end: the report pipeline over sample_data, read back with calamine.

mod common;

use common::{column, number, sheet, text};

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use calamine::{open_workbook_auto, Reader};
use serde_json::Value;

const EPOCH: &str = "1700000000";

fn run_report(out: &Path, extra: &[&str]) -> std::process::Output {
    Command::cargo_bin("fiscal")
        .expect("binary")
        .current_dir(common::repo())
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .args([
            "run",
            "--pipeline",
            "pipelines/report.toml",
            "--quiet",
            "--out",
        ])
        .arg(out)
        .args(extra)
        .output()
        .expect("runs")
}

struct Report {
    _dir: tempfile::TempDir,
    out: PathBuf,
    status: Option<i32>,
}

fn report() -> Report {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let status = run_report(&out, &[]).status.code();
    Report {
        _dir: dir,
        out,
        status,
    }
}

#[test]
fn run_report_writes_every_output_and_the_sheets_in_order() {
    let r = report();
    assert_eq!(r.status, Some(0));
    for f in ["report.xlsx", "facts.parquet", "anomalies.csv", "run.json"] {
        assert!(r.out.join(f).is_file(), "{f} written");
    }
    let wb = open_workbook_auto(r.out.join("report.xlsx")).expect("opens");
    assert_eq!(
        wb.sheet_names(),
        vec![
            "概览",
            "变更",
            "部门年度",
            "部门画像",
            "趋势",
            "图表",
            "异常",
            "统计",
            "明细",
            "输入",
            "规则"
        ]
    );
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(r.out.join("run.json")).expect("json"))
            .expect("parses");
    let n = common::sample_inputs().len();
    assert_eq!(summary["inputs"], n);
    assert_eq!(summary["documents"], n);
    assert_eq!(summary["failed_inputs"].as_array().map(Vec::len), Some(0));
    assert_eq!(summary["exit_code"], 0);
    assert!(
        summary["duration_ms"].is_null(),
        "no wall clock under SOURCE_DATE_EPOCH"
    );
    // The fact sheet holds every fact.
    let facts = sheet(&r.out.join("report.xlsx"), "明细");
    assert_eq!(Some(facts.len() as u64 - 1), summary["facts"].as_u64());
}

#[test]
fn run_report_trends_the_dawa_income_with_derived_years() {
    let r = report();
    let rows = sheet(&r.out.join("report.xlsx"), "趋势");
    let header = &rows[0];
    let key = column(header, "指标键");
    let identity = column(header, "部门身份");
    let derived = column(header, "推算年份（据次年“与上年相比”）");
    let row = rows
        .iter()
        .find(|r| text(&r[key]) == "income.total" && text(&r[identity]).contains("大洼区"))
        .expect("大洼区 income trend");
    let year = |y: i64| {
        let c = header
            .iter()
            .position(|h| number(h) == Some(y as f64))
            .unwrap_or_else(|| panic!("year column {y}"));
        number(&row[c])
    };
    let gold = common::gold("archive");
    for p in gold["trend_points"].as_array().expect("points") {
        let y = p["fiscal_year"].as_i64().expect("year");
        let want: f64 = p["value"].as_str().expect("value").parse().expect("number");
        let got = year(y).unwrap_or_else(|| panic!("{y} missing"));
        assert!((got - want).abs() < 1e-9, "{y}: {got} vs {want}");
        let is_derived = text(&row[derived]).contains(&y.to_string());
        assert_eq!(
            is_derived,
            p["derived"].as_bool().expect("flag"),
            "{y} derived"
        );
    }
}

#[test]
fn run_report_lists_the_required_flags_on_the_anomaly_sheet() {
    let r = report();
    let rows = sheet(&r.out.join("report.xlsx"), "异常");
    let header = &rows[0];
    let (rule, metric, code, item, file, others) = (
        column(header, "规则编号"),
        column(header, "指标键"),
        column(header, "科目编码"),
        column(header, "项目或科目名称"),
        column(header, "文件"),
        column(header, "同一文档的其他文件"),
    );
    for seed in [
        "000_ae146e4dc12147c0",
        "001_7f6af2fd24324409",
        "002_7bc3f91b02c91f00",
        "004_e852e39ff9ab983e",
    ] {
        let gold = common::gold(seed);
        for req in gold["required"].as_array().expect("required") {
            let hit = rows.iter().skip(1).any(|r| {
                let gold_file = gold["file"].as_str().expect("file");
                (text(&r[file]).ends_with(gold_file) || text(&r[others]).contains(gold_file))
                    && text(&r[rule]) == req["rule"].as_str().unwrap_or_default()
                    && [(metric, "metric"), (code, "code"), (item, "item")]
                        .iter()
                        .all(|(c, k)| {
                            req[*k].is_null()
                                || text(&r[*c]) == req[*k].as_str().unwrap_or_default()
                        })
            });
            assert!(hit, "{seed}: {req} not on the 异常 sheet");
        }
    }
}

#[test]
fn run_report_statistics_for_2023() {
    let r = report();
    let rows = sheet(&r.out.join("report.xlsx"), "统计");
    let header = &rows[0];
    let (year, kind, key, count, sum, median) = (
        column(header, "年度"),
        column(header, "类型"),
        column(header, "指标键"),
        column(header, "数量"),
        column(header, "合计"),
        column(header, "中位数"),
    );
    let stat = |k: &str, m: &str| {
        rows.iter()
            .find(|r| number(&r[year]) == Some(2023.0) && text(&r[kind]) == k && text(&r[key]) == m)
            .unwrap_or_else(|| panic!("2023 {k} {m}"))
            .clone()
    };
    let income_final = stat("决算", "income.total");
    assert_eq!(number(&income_final[count]), Some(1.0));
    assert_eq!(number(&income_final[sum]), Some(472.39));
    let income_budget = stat("预算", "income.total");
    assert_eq!(number(&income_budget[sum]), Some(1865.39));
    assert_eq!(number(&income_budget[median]), Some(1865.39));
    let projects = stat("预算", "expenditure.project");
    assert_eq!(number(&projects[sum]), Some(1755.8));
}

#[test]
fn run_report_joins_dawa_across_years_and_keeps_districts_apart() {
    let r = report();
    let rows = sheet(&r.out.join("report.xlsx"), "部门年度");
    let header = &rows[0];
    let (identity, file) = (column(header, "部门身份"), column(header, "文件"));
    let key_of = |name: &str| {
        rows.iter()
            .find(|r| text(&r[file]).ends_with(name))
            .map(|r| text(&r[identity]))
            .unwrap_or_else(|| panic!("{name}"))
    };
    let archive = common::gold("archive");
    for pair in archive["same_department"].as_array().expect("pairs") {
        let names: Vec<&str> = pair
            .as_array()
            .expect("pair")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(key_of(names[0]), key_of(names[1]));
    }
    let distinct: Vec<String> = archive["distinct_departments"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(Value::as_str)
        .map(key_of)
        .collect();
    let mut unique = distinct.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), distinct.len(), "{distinct:?}");
}

#[test]
fn run_is_byte_identical_across_runs_and_job_counts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b, c) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("c"),
    );
    assert_eq!(run_report(&a, &["--jobs", "1"]).status.code(), Some(0));
    assert_eq!(run_report(&b, &["--jobs", "1"]).status.code(), Some(0));
    assert_eq!(run_report(&c, &["--jobs", "2"]).status.code(), Some(0));
    for f in ["report.xlsx", "facts.parquet", "anomalies.csv"] {
        let bytes = |d: &Path| std::fs::read(d.join(f)).expect("read");
        assert_eq!(bytes(&a), bytes(&b), "{f}: two runs differ");
        assert_eq!(bytes(&a), bytes(&c), "{f}: --jobs 1 vs 2 differ");
    }
}

#[test]
fn run_exports_parquet_and_a_formula_safe_csv() {
    let r = report();
    let file = std::fs::File::open(r.out.join("facts.parquet")).expect("parquet");
    use polars_io::parquet::read::ParquetReader;
    use polars_io::SerReader;
    let df = ParquetReader::new(file).finish().expect("reads back");
    assert!(df.height() > 700);
    assert!(df.column("value").expect("value").dtype().is_decimal());
    let csv = std::fs::read_to_string(r.out.join("anomalies.csv")).expect("csv");
    assert!(csv.starts_with("\u{FEFF}severity,rule,"));
    // Negative differences are numbers: never escaped (a `'` would make the column text).
    assert!(csv.contains(",-41.86,"), "{csv}");
    assert!(!csv.contains(",'-41.86,"), "{csv}");
    assert!(!csv
        .lines()
        .any(|l| l.split(',').any(|f| f.starts_with('='))));
}

fn read_parquet(path: &Path) -> polars::prelude::DataFrame {
    use polars_io::parquet::read::ParquetReader;
    use polars_io::SerReader;
    let file = std::fs::File::open(path).expect("parquet");
    ParquetReader::new(file).finish().expect("reads back")
}

/// A fact's key in facts.parquet: file, metric, code, item, aspect, period.
type FactKey = (
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<i32>,
);

/// facts.parquet's `value` is decimal(38,6) whatever the archive prints; its primary facts add
/// up, per document, to departments.parquet and to the 部门年度 sheet.
#[test]
fn run_exports_have_stable_schemas_and_primary_facts_add_up_to_departments() {
    use fiscal_archive::analysis::frames::{decimal_at, i32_at, str_at};
    use polars::prelude::DataType;
    use rust_decimal::Decimal;
    use std::collections::HashMap;

    let r = report();
    assert_eq!(r.status, Some(0));
    // One document alone (万元 only) gives the same value type as the whole sample archive.
    let one = tempfile::tempdir().expect("tempdir");
    let single = common::sample_inputs()
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "txt"))
        .expect("a text sample");
    let status = Command::cargo_bin("fiscal")
        .expect("binary")
        .args(["run", "--quiet", "--input"])
        .arg(&single)
        .arg("--out")
        .arg(one.path())
        .output()
        .expect("runs")
        .status
        .code();
    assert!(matches!(status, Some(0 | 3)), "{status:?}");
    for out in [r.out.as_path(), one.path()] {
        let facts = read_parquet(&out.join("facts.parquet"));
        assert_eq!(
            facts.column("value").expect("value").dtype(),
            &DataType::Decimal(38, 6),
            "{}",
            out.display()
        );
        assert_eq!(
            facts.column("primary").expect("primary").dtype(),
            &DataType::Boolean
        );
    }

    let facts = read_parquet(&r.out.join("facts.parquet"));
    let col = |n: &str| facts.column(n).expect(n);
    let (file, metric, code, item, aspect, period, value, primary) = (
        col("file"),
        col("metric"),
        col("code"),
        col("item"),
        col("aspect"),
        col("period"),
        col("value"),
        col("primary").bool().expect("bool").clone(),
    );
    let mut sums: HashMap<(String, String), Decimal> = HashMap::new();
    let mut keys_seen: HashMap<FactKey, usize> = HashMap::new();
    for i in 0..facts.height() {
        if primary.get(i) != Some(true) {
            continue;
        }
        let key = (
            str_at(file, i).expect("file"),
            str_at(metric, i).expect("metric"),
            str_at(code, i),
            str_at(item, i),
            str_at(aspect, i).expect("aspect"),
            i32_at(period, i),
        );
        *keys_seen.entry(key.clone()).or_default() += 1;
        if key.2.is_none() && key.3.is_none() && key.4 == "value" && key.5.is_none() {
            if let Some(v) = decimal_at(value, i) {
                *sums.entry((key.0, key.1)).or_default() += v;
            }
        }
    }
    assert!(
        keys_seen.values().all(|&n| n == 1),
        "one primary fact per key and document"
    );

    let departments = read_parquet(&r.out.join("departments.parquet"));
    let names: Vec<String> = departments
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    let first = names.iter().position(|n| n == "kind").expect("kind") + 1;
    let last = names.iter().position(|n| n == "errors").expect("errors");
    let metrics = &names[first..last];
    assert!(metrics.iter().any(|m| m == "income.total"), "{names:?}");
    let dfile = departments.column("file").expect("file");
    let rows = sheet(&r.out.join("report.xlsx"), "部门年度");
    assert_eq!(
        rows.len() - 1,
        departments.height(),
        "one sheet row per parquet row"
    );
    let mut compared = 0;
    for i in 0..departments.height() {
        let f = str_at(dfile, i).expect("file");
        for (j, m) in metrics.iter().enumerate() {
            let stated = decimal_at(departments.column(m).expect(m), i);
            assert_eq!(
                stated,
                sums.get(&(f.clone(), m.clone())).copied(),
                "{f} {m}: departments.parquet vs the sum of primary facts"
            );
            let cell = number(&rows[i + 1][5 + j]);
            assert_eq!(
                cell,
                stated.map(|d| d.to_string().parse::<f64>().expect("f64")),
                "{f} {m}: 部门年度 vs departments.parquet"
            );
            compared += usize::from(stated.is_some());
        }
    }
    assert!(compared > 20, "{compared} figures compared");
    // The 明细 sheet shows the flag as TRUE/FALSE cells.
    let facts_sheet = sheet(&r.out.join("report.xlsx"), "明细");
    let p = column(&facts_sheet[0], "代表值");
    let flags: Vec<&calamine::Data> = facts_sheet[1..]
        .iter()
        .filter_map(|row| row.get(p))
        .collect();
    assert!(flags.iter().any(|d| **d == calamine::Data::Bool(true)));
    assert!(flags.iter().any(|d| **d == calamine::Data::Bool(false)));
}

#[test]
fn run_with_a_bad_input_finishes_keeps_the_rest_and_exits_3() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, b"\xFF\xFE\xFD").expect("write");
    // A 0-byte file is a failed input too. (A missing input root stops the run before
    // anything is read: tests/run_nightly.rs.)
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, b"").expect("write");
    let out = dir.path().join("out");
    let sample = common::repo().join("sample_data");
    let status = Command::cargo_bin("fiscal")
        .expect("binary")
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .args(["run", "--quiet", "--input"])
        .arg(&sample)
        .arg("--input")
        .arg(&bad)
        .arg("--input")
        .arg(&empty)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("runs")
        .status
        .code();
    assert_eq!(status, Some(3));
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).expect("json"))
            .expect("parses");
    assert_eq!(
        summary["documents"],
        common::sample_inputs().len(),
        "the good files are all kept"
    );
    let failed: Vec<String> = summary["failed_inputs"]
        .as_array()
        .expect("failed")
        .iter()
        .map(|f| f["file"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    let inputs = sheet(&out.join("report.xlsx"), "输入");
    assert!(inputs
        .iter()
        .any(|r| text(&r[0]).ends_with("bad.txt") && text(&r[1]) == "失败"));
}

#[test]
fn run_filters_fail_on_and_dry_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("one");
    let o = run_report(&out, &["--department", "双台子区", "--fail-on", "warning"]);
    // 000 raises a COVERAGE_WITHOUT_PROJECTS warning: the threshold is reached.
    assert_eq!(o.status.code(), Some(3));
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).expect("json"))
            .expect("parses");
    assert_eq!(summary["documents"], 1);
    assert_eq!(
        summary["filtered_inputs"],
        common::sample_inputs().len() - 1
    );

    let o = Command::cargo_bin("fiscal")
        .expect("binary")
        .current_dir(common::repo())
        .args(["run", "--dry-run", "--year", "2023"])
        .output()
        .expect("runs");
    assert!(o.status.success());
    let plan: Value = serde_json::from_slice(&o.stdout).expect("plan JSON");
    assert_eq!(
        plan["inputs"].as_array().map(Vec::len),
        Some(common::sample_inputs().len())
    );
    assert_eq!(plan["filters"]["years"], serde_json::json!([2023]));
    assert_eq!(plan["pipeline"], "pipelines/report.toml");
}

#[test]
fn run_in_english_labels_the_sheets_in_english() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("en");
    assert_eq!(run_report(&out, &["--lang", "en"]).status.code(), Some(0));
    let wb = open_workbook_auto(out.join("report.xlsx")).expect("opens");
    assert_eq!(
        wb.sheet_names(),
        vec![
            "Overview",
            "Changes",
            "Departments",
            "Department profile",
            "Trends",
            "Charts",
            "Anomalies",
            "Statistics",
            "Facts",
            "Inputs",
            "Rules"
        ]
    );
    let rows = sheet(&out.join("report.xlsx"), "Anomalies");
    assert_eq!(text(&rows[0][0]), "Severity");
    assert!(rows.iter().skip(1).any(|r| text(&r[0]) == "error"));
}

/// The workbook's XML parts by name.
fn xlsx_parts(path: &Path) -> std::collections::BTreeMap<String, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).expect("workbook");
    let mut zip = zip::ZipArchive::new(file).expect("a zip");
    let mut parts = std::collections::BTreeMap::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).expect("entry");
        let name = entry.name().map(|n| n.to_string()).unwrap_or_default();
        let mut xml = String::new();
        if entry.read_to_string(&mut xml).is_ok() {
            parts.insert(name, xml);
        }
    }
    parts
}

/// Issue 12's archive: over 100 generated departments of many regions over several years, a
/// blank template, and one document in four formats (txt, xlsx, xls, ods) — read back as an
/// auditor opens it.
#[test]
fn a_multi_region_archive_of_over_100_departments_reads_as_an_auditor_expects() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("archive");
    let generated = input.join("generated");
    std::fs::create_dir_all(&generated).expect("dir");
    let truth = fiscal_archive::synth::generate(&generated, 110, 12).expect("archive");
    let departments: std::collections::BTreeSet<usize> =
        truth.docs.iter().map(|d| d.department).collect();
    assert!(
        departments.len() >= 100,
        "{} departments",
        departments.len()
    );
    let extra = input.join("extra");
    std::fs::create_dir_all(&extra).expect("dir");
    let seeds = common::repo().join("sample_data");
    let dawa = seeds.join("liaoning/panjin/dawa/smart-city-center/2023-final");
    for (from, to) in [
        (
            seeds.join("real/budget_template.xls"),
            "budget_template.xls",
        ),
        (dawa.join("004_e852e39ff9ab983e.txt"), "004.txt"),
        (dawa.join("004_tables.xlsx"), "004_tables.xlsx"),
        (dawa.join("004_tables.xls"), "004_tables.xls"),
        (dawa.join("004_tables.ods"), "004_tables.ods"),
    ] {
        std::fs::copy(&from, extra.join(to)).expect("copy");
    }
    let out = dir.path().join("out");
    let status = Command::cargo_bin("fiscal")
        .expect("binary")
        .current_dir(dir.path())
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .args(["run", "--quiet", "--no-cache", "--input"])
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("runs");
    assert!(
        matches!(status.status.code(), Some(0 | 3)),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let book = out.join("report.xlsx");
    let parts = xlsx_parts(&book);
    let wb = open_workbook_auto(&book).expect("opens");
    let names = wb.sheet_names();

    // Charts: the archive-level ones and the profile's, none over 20 series.
    let charts: Vec<(&String, usize)> = parts
        .iter()
        .filter(|(n, _)| n.starts_with("xl/charts/chart"))
        .map(|(n, xml)| (n, xml.matches("<c:ser>").count()))
        .collect();
    assert!(charts.len() >= 6, "{charts:?}");
    assert!(
        charts.iter().all(|(_, n)| (1..=20).contains(n)),
        "{charts:?}"
    );

    // Print setup on every sheet: landscape A4, one page wide, the sheet and page in the
    // footer, header rows repeated.
    for (i, name) in names.iter().enumerate() {
        let xml = &parts[&format!("xl/worksheets/sheet{}.xml", i + 1)];
        for needle in [
            "orientation=\"landscape\"",
            "paperSize=\"9\"",
            "fitToPage=\"1\"",
            "fitToHeight=\"0\"",
            "&amp;A",
            "&amp;P",
        ] {
            assert!(xml.contains(needle), "{name}: no {needle}");
        }
    }
    let titles = parts["xl/workbook.xml"]
        .matches("_xlnm.Print_Titles")
        .count();
    assert_eq!(titles, names.len(), "repeated header rows on every sheet");

    // zh labels: no SPEC field name as a header, coded values in Chinese.
    let fields = [
        "doc_id",
        "department",
        "department_key",
        "region",
        "fiscal_year",
        "kind",
        "metric",
        "code",
        "item",
        "aspect",
        "period",
        "value",
        "unit",
        "raw",
        "source",
        "file",
        "location",
        "primary",
        "severity",
        "rule",
        "expected",
        "found",
        "difference",
        "status",
    ];
    for name in &names {
        let rows = sheet(&book, name);
        let Some(header) = rows.first() else { continue };
        for h in header {
            let h = text(h);
            assert!(!fields.contains(&h.as_str()), "{name}: header {h}");
            assert!(
                h.is_empty() || !h.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{name}: header {h}"
            );
        }
    }
    let mut facts = sheet(&book, "明细");
    // The sheet stops at [output] fact_sheet_rows and says so in a last row.
    let key = column(&facts[0], "指标键");
    facts.retain(|r| !text(&r[key]).is_empty());
    for (col, allowed) in [
        ("类型", &["预算", "决算", ""][..]),
        (
            "口径",
            &[
                "数值",
                "占比",
                "增减额",
                "增减率",
                "完成率",
                "预算数",
                "目标值",
                "上年数",
            ][..],
        ),
    ] {
        let c = column(&facts[0], col);
        for row in &facts[1..] {
            assert!(
                allowed.contains(&text(&row[c]).as_str()),
                "明细 {col}: {:?}",
                row[c]
            );
        }
    }
    let c = column(&facts[0], "来源");
    assert!(facts[1..].iter().all(|r| {
        let s = text(&r[c]);
        s == "正文" || s.starts_with("表格：")
    }));
    let inputs = sheet(&book, "输入");
    let c = column(&inputs[0], "状态");
    assert!(inputs[1..]
        .iter()
        .all(|r| ["成功", "部分", "失败", "已筛除"].contains(&text(&r[c]).as_str())));

    // 异常 in triage order, with numeric expected/found/difference of one meaning.
    let flags = sheet(&book, "异常");
    let h = &flags[0];
    let col = |n: &str| column(h, n);
    let (sev, id, exp, found, diff, unit, money, count, identity, year, kind) = (
        col("严重程度"),
        col("规则编号"),
        col("预期"),
        col("实际"),
        col("差额"),
        col("单位"),
        col("涉及金额（万元）"),
        col("处数"),
        col("部门身份"),
        col("年度"),
        col("类型"),
    );
    let rank = |s: &str| {
        ["错误", "警告", "提示"]
            .iter()
            .position(|x| *x == s)
            .expect(s)
    };
    let mut numeric = 0;
    for pair in flags[1..].windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let (ra, rb) = (rank(&text(&a[sev])), rank(&text(&b[sev])));
        assert!(ra <= rb, "severity order: {a:?} before {b:?}");
        if ra == rb {
            match (number(&a[money]), number(&b[money])) {
                (Some(x), Some(y)) => assert!(x >= y, "materiality order: {x} before {y}"),
                (None, Some(y)) => panic!("an amount of {y} after a flag without one"),
                _ => {}
            }
        }
    }
    for r in &flags[1..] {
        if let (Some(e), Some(f)) = (number(&r[exp]), number(&r[found])) {
            numeric += 1;
            let d = number(&r[diff]).expect("a difference beside expected and found");
            assert!(
                (d - (f - e)).abs() < 1e-6,
                "difference = found − expected: {r:?}"
            );
            assert!(!text(&r[unit]).is_empty(), "a unit: {r:?}");
        }
        if text(&r[id]) == "SUM_MISMATCH" {
            assert!(
                number(&r[exp]).is_some() && number(&r[found]).is_some(),
                "{r:?}"
            );
        }
        for c in [exp, found, diff] {
            assert!(
                matches!(r[c], calamine::Data::Empty | calamine::Data::Float(_)),
                "numbers, never text: {r:?}"
            );
        }
    }
    assert!(numeric >= 20, "{numeric} flags with numbers");
    // One row per flag and document: the 004 tables' flags list the other formats.
    let others = col("同一文档的其他文件");
    let key = |r: &Vec<calamine::Data>| {
        [
            identity,
            year,
            kind,
            id,
            col("说明"),
            col("原文证据"),
            col("位置"),
        ]
        .map(|c| text(&r[c]))
    };
    let mut keys = std::collections::BTreeSet::new();
    for r in &flags[1..] {
        assert!(keys.insert(key(r)), "a flag twice: {r:?}");
    }
    let file = col("文件");
    assert!(
        flags[1..].iter().any(|r| {
            let listed = format!("{}；{}", text(&r[file]), text(&r[others]));
            let files: Vec<&str> = listed.split('；').collect();
            ["004_tables.xlsx", "004_tables.xls", "004_tables.ods"]
                .iter()
                .all(|f| files.iter().any(|x| x.ends_with(f)))
        }),
        "one row for a flag the xlsx, xls and ods all raise"
    );
    // The blank template: one row per rule, the placeholders counted.
    let template: Vec<_> = flags[1..]
        .iter()
        .filter(|r| text(&r[file]).ends_with("budget_template.xls"))
        .collect();
    let placeholders: Vec<_> = template
        .iter()
        .filter(|r| text(&r[id]) == "PLACEHOLDER")
        .collect();
    assert_eq!(placeholders.len(), 1, "{template:?}");
    assert!(number(&placeholders[0][count]).is_some_and(|n| n >= 5.0));

    // The profile: a drop-down over the identities, formulas over 部门年度 and 异常, and cached
    // results that are the shown department's own figures.
    let xml = &parts[&format!(
        "xl/worksheets/sheet{}.xml",
        names.iter().position(|n| n == "部门画像").expect("profile") + 1
    )];
    assert!(xml.contains("<dataValidation type=\"list\""), "a drop-down");
    assert!(xml.contains("AVERAGEIFS(") && xml.contains("COUNTIFS("));
    let profile = sheet(&book, "部门画像");
    let chosen = text(&profile[0][1]);
    let dept = sheet(&book, "部门年度");
    let dh = &dept[0];
    let (d_id, d_year, d_kind, d_spent) = (
        column(dh, "部门身份"),
        column(dh, "年度"),
        column(dh, "类型"),
        column(dh, "支出总计（万元）"),
    );
    assert!(
        dept[1..].iter().any(|r| text(&r[d_id]) == chosen),
        "{chosen}"
    );
    let ph = &profile[4];
    // Each measure's formula reads the 部门年度 column of that measure, for its kind.
    let formulas = {
        let mut wb = open_workbook_auto(&book).expect("opens");
        wb.worksheet_formula("部门画像").expect("formulas")
    };
    let column_index = |letters: &str| {
        letters
            .bytes()
            .fold(0usize, |n, b| n * 26 + usize::from(b - b'A' + 1))
            - 1
    };
    let mut checked_formulas = 0;
    for (c, label) in ph.iter().enumerate().skip(1) {
        let label = text(label);
        let Some((measure, kind)) = label.split_once(" · ") else {
            continue;
        };
        let f = formulas
            .get_value((5, c as u32))
            .cloned()
            .unwrap_or_default();
        let letters: String = f
            .split("AVERAGEIFS('部门年度'!$")
            .nth(1)
            .unwrap_or_default()
            .chars()
            .take_while(char::is_ascii_uppercase)
            .collect();
        assert!(!letters.is_empty(), "{label}: {f}");
        assert_eq!(text(&dh[column_index(&letters)]), measure, "{label}: {f}");
        assert!(f.contains(&format!("\"{kind}\"")), "{label}: {f}");
        checked_formulas += 1;
    }
    assert_eq!(checked_formulas, 8);
    let p_spent = column(ph, "支出总计（万元） · 决算");
    let p_errors = column(ph, "错误");
    let mut compared = 0;
    for row in &profile[5..] {
        let Some(y) = number(&row[0]) else { break };
        let values: Vec<f64> = dept[1..]
            .iter()
            .filter(|r| {
                text(&r[d_id]) == chosen
                    && number(&r[d_year]) == Some(y)
                    && text(&r[d_kind]) == "决算"
            })
            .filter_map(|r| number(&r[d_spent]))
            .collect();
        match number(&row[p_spent]) {
            Some(v) => {
                let mean = values.iter().sum::<f64>() / values.len() as f64;
                assert!((v - mean).abs() < 1e-6, "{y}: {v} vs {values:?}");
                compared += 1;
            }
            None => assert!(values.is_empty(), "{y}: {values:?} not shown"),
        }
        let errors = flags[1..]
            .iter()
            .filter(|r| {
                text(&r[identity]) == chosen
                    && number(&r[year]) == Some(y)
                    && text(&r[sev]) == "错误"
            })
            .count();
        assert_eq!(number(&row[p_errors]), Some(errors as f64), "{y} errors");
    }
    assert!(compared >= 2, "{compared} years compared");
}
