//! The cross-document rules end to end: archives built from the seeds with one thing changed,
//! run through `fiscal run`, read back from the 异常 sheet and run.json.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use calamine::Data;
use serde_json::Value;

use common::{column, sheet, text};

const SEED_2019: &str = "002_7bc3f91b02c91f00.txt";
const SEED_2023: &str = "004_e852e39ff9ab983e.txt";

fn seed_text(name: &str) -> String {
    std::fs::read_to_string(common::sample(name)).expect("seed is UTF-8")
}

/// 002 (the 2019 final account) moved back one year: every 2018 becomes 2017, then every 2019
/// becomes 2018. Its income total stays 384.30 unless `income_total` replaces it.
fn as_2018(income_total: Option<&str>) -> String {
    let text = seed_text(SEED_2019)
        .replace("2018", "2017")
        .replace("2019", "2018");
    match income_total {
        Some(v) => text.replace("收入总计384.30万元", &format!("收入总计{v}万元")),
        None => text,
    }
}

struct Run {
    _dir: tempfile::TempDir,
    out: PathBuf,
}

/// Writes `files` into a fresh archive folder and runs `fiscal run` over it.
fn run_archive(files: &[(&str, Vec<u8>)]) -> Run {
    let dir = tempfile::tempdir().expect("tempdir");
    let archive = dir.path().join("archive");
    std::fs::create_dir(&archive).expect("mkdir");
    for (name, bytes) in files {
        std::fs::write(archive.join(name), bytes).expect("write");
    }
    let out = dir.path().join("out");
    let status = Command::cargo_bin("fiscal")
        .expect("binary")
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args(["run", "--quiet", "--fail-on", "never", "--input"])
        .arg(&archive)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("runs")
        .status;
    assert_eq!(status.code(), Some(0));
    Run { _dir: dir, out }
}

fn summary(out: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).expect("run.json"))
        .expect("parses")
}

fn archive_check(out: &Path, rule: &str) -> Value {
    summary(out)["archive_checks"]
        .as_array()
        .expect("archive_checks")
        .iter()
        .find(|c| c["rule"] == rule)
        .cloned()
        .unwrap_or_else(|| panic!("{rule} in archive_checks"))
}

/// Why a cross-document rule did or did not flag, as run.json states it.
fn archive_check_reason(out: &Path, rule: &str) -> String {
    archive_check(out, rule)["reason"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The 异常 rows of `rule` as maps of header → cell text.
fn flags(out: &Path, rule: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    let rows = sheet(&out.join("report.xlsx"), "异常");
    let header: Vec<Data> = rows[0].clone();
    let r = column(&header, "规则编号");
    rows.iter()
        .skip(1)
        .filter(|row| text(&row[r]) == rule)
        .map(|row| {
            header
                .iter()
                .zip(row)
                .map(|(h, c)| (text(h), text(c)))
                .collect()
        })
        .collect()
}

/// 002 with a forged 2018 document before it (see [`as_2018`]).
fn run_2018_and_2019(income_total_2018: Option<&str>) -> Run {
    run_archive(&[
        ("2018.txt", as_2018(income_total_2018).into_bytes()),
        ("2019.txt", seed_text(SEED_2019).into_bytes()),
    ])
}

fn income_total_flags(out: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    flags(out, "CROSS_YEAR_MISMATCH")
        .into_iter()
        .filter(|f| f["指标键"] == "income.total")
        .collect()
}

#[test]
fn cross_year_flags_a_prior_year_the_next_document_contradicts() {
    // The 2019 document says income grew by 201.92 to 384.30: the 2018 total was 182.38. The
    // forged 2018 document prints 384.30.
    let run = run_2018_and_2019(None);
    let check = archive_check(&run.out, "CROSS_YEAR_MISMATCH");
    assert_eq!(check["status"], "ran", "{check}");
    let flagged = income_total_flags(&run.out);
    assert_eq!(flagged.len(), 1, "{flagged:?}");
    let f = &flagged[0];
    assert_eq!(f["年度"], "2019");
    // Expected = what 2019's document implies for 2018, found = what 2018's document prints.
    assert_eq!(
        (f["预期"].as_str(), f["实际"].as_str()),
        ("182.38", "384.3")
    );
    assert_eq!(f["差额"], "201.92");
    assert_eq!(f["单位"], "万元");
    assert_eq!(f["涉及金额（万元）"], "201.92");
    assert!(f["原文证据"].contains("增加201.92万元"), "{f:?}");
}

#[test]
fn cross_year_passes_within_the_printed_precision_and_not_beyond() {
    // 384.30 − 201.92 is 182.38 ± 0.01 at two decimals: 182.37 is within, 182.36 is not.
    for (printed, expect_flag) in [("182.38", false), ("182.37", false), ("182.36", true)] {
        let run = run_2018_and_2019(Some(printed));
        assert_eq!(
            income_total_flags(&run.out).len(),
            usize::from(expect_flag),
            "2018 income total printed as {printed}"
        );
    }
}

#[test]
fn cross_year_is_skipped_with_a_reason_when_no_years_are_consecutive() {
    let run = run_archive(&[
        ("2019.txt", seed_text(SEED_2019).into_bytes()),
        ("2023.txt", seed_text(SEED_2023).into_bytes()),
    ]);
    let check = archive_check(&run.out, "CROSS_YEAR_MISMATCH");
    assert_eq!(check["status"], "skipped");
    assert_eq!(
        check["reason"],
        "no department has documents of consecutive years of the same kind"
    );
}

#[test]
fn duplicate_flags_two_differing_versions_of_one_disclosure() {
    let original = seed_text(SEED_2019);
    let revised = original.replace("6.其他收入0.3万元", "6.其他收入0.4万元");
    assert_ne!(original, revised);
    let run = run_archive(&[
        ("a.txt", original.clone().into_bytes()),
        ("b.txt", revised.into_bytes()),
    ]);
    let flagged = flags(&run.out, "DUPLICATE_DOCUMENT");
    assert_eq!(flagged.len(), 1, "{flagged:?}");
    assert!(flagged[0]["原文证据"].contains("a.txt") && flagged[0]["原文证据"].contains("b.txt"));

    // The same file twice is one publication stored twice: noted, not flagged.
    let run = run_archive(&[
        ("a.txt", original.clone().into_bytes()),
        ("copy.txt", original.into_bytes()),
    ]);
    assert!(flags(&run.out, "DUPLICATE_DOCUMENT").is_empty());
    let reason = archive_check_reason(&run.out, "DUPLICATE_DOCUMENT");
    assert!(reason.contains("identical content"), "{reason}");
}

#[test]
fn duplicate_flags_a_table_whose_spreadsheet_printing_differs_from_the_text() {
    let text = seed_text(SEED_2023);
    let same = fiscal_archive::report::tables_workbook::tables_workbook(&text).expect("xlsx");
    // One cell of 公开01 (收入支出决算总表) changed in the spreadsheet only.
    let start = text.find("收入支出决算总表").expect("公开01 title");
    let cell = start + text[start..].find("\t65.27\n").expect("65.27 in 公开01");
    let mut changed = text.clone();
    changed.replace_range(cell..cell + "\t65.27\n".len(), "\t65.29\n");
    let differing =
        fiscal_archive::report::tables_workbook::tables_workbook(&changed).expect("xlsx");

    let run = run_archive(&[
        ("004.txt", text.clone().into_bytes()),
        ("004_tables.xlsx", same),
    ]);
    assert!(flags(&run.out, "DUPLICATE_DOCUMENT").is_empty());
    let reason = archive_check_reason(&run.out, "DUPLICATE_DOCUMENT");
    assert!(
        reason.contains("the same table printed twice with the same values"),
        "{reason}"
    );

    let run = run_archive(&[
        ("004.txt", text.into_bytes()),
        ("004_tables.xlsx", differing),
    ]);
    let flagged = flags(&run.out, "DUPLICATE_DOCUMENT");
    assert_eq!(flagged.len(), 1, "{flagged:?}");
    assert!(
        flagged[0]["说明"].starts_with("收入支出决算总表在两个文件中都有，且1个数值不同"),
        "{flagged:?}"
    );
}

/// 003 (a 2023 budget) as the budget of `year` with every 1865.39 (its income and expenditure
/// total) printed as `total`.
fn budget_of(year: i32, total: &str) -> Vec<u8> {
    seed_text("003_de6305994ad292dd.txt")
        .replace("2023", "@Y@")
        .replace("2022", "@P@")
        .replace("@Y@", &year.to_string())
        .replace("@P@", &(year - 1).to_string())
        .replace("1865.39万元", &format!("{total}万元"))
        .into_bytes()
}

fn outliers_for(latest_total: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    let history = [
        (2019, "1000"),
        (2020, "1040"),
        (2021, "1080"),
        (2022, "1125"),
    ];
    let mut files: Vec<(String, Vec<u8>)> = history
        .iter()
        .map(|(y, t)| (format!("{y}.txt"), budget_of(*y, t)))
        .collect();
    files.push(("2023.txt".into(), budget_of(2023, latest_total)));
    let named: Vec<(&str, Vec<u8>)> = files.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    let run = run_archive(&named);
    assert_eq!(archive_check(&run.out, "TREND_OUTLIER")["status"], "ran");
    flags(&run.out, "TREND_OUTLIER")
        .into_iter()
        .filter(|f| f["指标键"] == "income.total")
        .collect()
}

#[test]
fn trend_outlier_flags_a_jump_far_outside_the_department_history() {
    // Income grew about 4% a year, then 2023 jumps to 3000 (+166.67%).
    let flagged = outliers_for("3000");
    assert_eq!(flagged.len(), 1, "{flagged:?}");
    assert_eq!(flagged[0]["年度"], "2023");
    assert!(
        flagged[0]["说明"].starts_with("2023年同比变化166.67%"),
        "{flagged:?}"
    );
    // The same 4% step as the years before is no outlier.
    assert!(outliers_for("1170").is_empty());
}

/// A small final account of `title_name` for `year`, with `extra` prose.
fn small_final(title_name: &str, year: i32, income: &str, extra: &str) -> Vec<u8> {
    format!(
        "{title_name}{year}年度部门决算\n第二部分 {year}年度部门决算情况说明\n\
         一、收入支出决算总体情况说明\n{year}年度收入总计{income}万元。{extra}\n"
    )
    .into_bytes()
}

/// (identity, names) of every 部门年度 row, sorted.
fn identities(out: &Path) -> Vec<(String, String, String)> {
    let rows = sheet(&out.join("report.xlsx"), "部门年度");
    let (printed, key, names) = (
        column(&rows[0], "部门"),
        column(&rows[0], "部门身份"),
        column(&rows[0], "历年名称"),
    );
    let mut out: Vec<(String, String, String)> = rows[1..]
        .iter()
        .map(|r| (text(&r[printed]), text(&r[key]), text(&r[names])))
        .collect();
    out.sort();
    out
}

/// One department across a rename (the later document names its former name), a short name
/// in its tables, and the near misses: the same unit name in another 西湖区, and a document
/// whose `部门：` line names a department that published its own account that year.
#[test]
fn archive_identity_follows_renames_and_never_merges_distinct_departments() {
    let r = run_archive(&[
        (
            "a_2022.txt",
            small_final("杭州市西湖区城市管理局", 2022, "100.00", ""),
        ),
        (
            "a_2023.txt",
            small_final(
                "杭州市西湖区综合行政执法局",
                2023,
                "110.00",
                "根据机构改革方案，原杭州市西湖区城市管理局更名为杭州市西湖区综合行政执法局。",
            ),
        ),
        (
            "b_2022.txt",
            small_final("南昌市西湖区城市管理局", 2022, "90.00", ""),
        ),
        (
            "c_2023.txt",
            small_final(
                "杭州市西湖区教育局",
                2023,
                "500.00",
                "\n\t部门：杭州市西湖区体育局\n",
            ),
        ),
        (
            "d_2023.txt",
            small_final("杭州市西湖区体育局", 2023, "50.00", ""),
        ),
    ]);
    let ids = identities(&r.out);
    let key_of = |printed: &str| -> Vec<String> {
        ids.iter()
            .filter(|(p, _, _)| p == printed)
            .map(|(_, k, _)| k.clone())
            .collect()
    };
    // The rename: both years under the later name's identity, with both names listed.
    assert_eq!(
        key_of("杭州市西湖区城市管理局"),
        vec!["浙江省杭州市西湖区综合行政执法局"]
    );
    assert_eq!(
        key_of("杭州市西湖区综合行政执法局"),
        vec!["浙江省杭州市西湖区综合行政执法局"]
    );
    let renamed = ids
        .iter()
        .find(|(p, _, _)| p == "杭州市西湖区综合行政执法局")
        .expect("row");
    assert_eq!(
        renamed.2,
        "杭州市西湖区城市管理局、杭州市西湖区综合行政执法局"
    );
    // Near misses: another region's 城市管理局 and two departments of one year stay apart.
    assert_eq!(
        key_of("南昌市西湖区城市管理局"),
        vec!["江西省南昌市西湖区城市管理局"]
    );
    assert_eq!(
        key_of("杭州市西湖区教育局"),
        vec!["浙江省杭州市西湖区教育局"]
    );
    assert_eq!(
        key_of("杭州市西湖区体育局"),
        vec!["浙江省杭州市西湖区体育局"]
    );
}

/// The 2018 reform's renames (src/catalog/renames.csv) join a department's years without a
/// statement when the old name's documents all come before the new name's; near misses: both
/// names publishing in one year, or the "new" name first, are two departments.
#[test]
fn archive_identity_follows_reform_renames_only_in_succession() {
    let r = run_archive(&[
        (
            "a_2019.txt",
            small_final("杭州市西湖区环境保护局", 2019, "100.00", ""),
        ),
        (
            "a_2021.txt",
            small_final("杭州市西湖区生态环境局", 2021, "120.00", ""),
        ),
        (
            "b_2020.txt",
            small_final("杭州市上城区农业局", 2020, "80.00", ""),
        ),
        (
            "b2_2020.txt",
            small_final("杭州市上城区农业农村局", 2020, "85.00", ""),
        ),
        (
            "c_2019.txt",
            small_final("杭州市拱墅区档案馆", 2019, "30.00", ""),
        ),
        (
            "c_2021.txt",
            small_final("杭州市拱墅区档案局", 2021, "31.00", ""),
        ),
    ]);
    let ids = identities(&r.out);
    let key_of = |printed: &str| -> String {
        ids.iter()
            .find(|(p, _, _)| p == printed)
            .map(|(_, k, _)| k.clone())
            .unwrap_or_default()
    };
    assert_eq!(
        key_of("杭州市西湖区环境保护局"),
        "浙江省杭州市西湖区生态环境局"
    );
    assert_ne!(
        key_of("杭州市上城区农业局"),
        key_of("杭州市上城区农业农村局")
    );
    assert_ne!(key_of("杭州市拱墅区档案馆"), key_of("杭州市拱墅区档案局"));
}
