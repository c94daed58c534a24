//! Acceptance on real documents from other regions (issue 8), copied into `tests/real/`:
//!
//! * `dev/` — seven 上海市普陀区 disclosures as a PDF parser gave them: page text (`D.txt`), one
//!   cell per line (`D_alt.txt`, three of them) and the tables (`D_tables.xlsx`), with 84
//!   hand-checked headline figures (`headline.json`) and 44 verified findings and must-not-flag
//!   statements (`findings.json`); see `dev/SOURCES.md`.
//! * `pdf/` — six PDFs as published, with 59 headline figures checked by hand against each
//!   PDF's printed text (`pdf/headline.json`; page and printed context given for each).
//!
//! Thresholds are the acceptance: ≥ 95% of the headline figures exact from each form
//! of a document; every verified finding under a SPEC rule flagged; at least 3 of the 6 others;
//! none of the must-not-flag statements flagged; identity right on every document.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use assert_cmd::Command;
use calamine::{open_workbook_auto, Data, Reader};
use rust_decimal::Decimal;
use serde_json::Value;

fn real(path: &str) -> PathBuf {
    common::repo().join("tests/real").join(path)
}

fn load(path: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(real(path)).expect("truth file");
    serde_json::from_str::<Value>(&text)
        .expect("truth parses")
        .as_array()
        .cloned()
        .expect("a list")
}

fn decimal(v: &Value) -> Option<Decimal> {
    v.as_str().and_then(|s| Decimal::from_str(s).ok())
}

/// Inspects each file once.
struct Inspected(BTreeMap<PathBuf, Value>);

impl Inspected {
    fn new() -> Self {
        Inspected(BTreeMap::new())
    }
    fn get(&mut self, path: &Path) -> &Value {
        self.0
            .entry(path.to_path_buf())
            .or_insert_with(|| common::inspect_json(path))
    }
}

/// True when the report has a fact with the truth entry's key and exactly its value.
fn has_fact(report: &Value, key: &Value) -> bool {
    let want = decimal(&key["value"]);
    report["facts"].as_array().expect("facts").iter().any(|f| {
        ["metric", "code", "item", "aspect"]
            .iter()
            .all(|k| f[*k] == key[*k])
            && decimal(&f["value"]).is_some()
            && decimal(&f["value"]) == want
    })
}

/// (found, total, misses) over the headline entries whose file exists in `variant` form.
fn headline_recall(
    truth: &[Value],
    dir: &str,
    file_of: impl Fn(&str) -> String,
    mut keep: impl FnMut(&Value, &Path) -> bool,
) -> (usize, usize, Vec<String>) {
    let mut inspected = Inspected::new();
    let (mut found, mut total, mut misses) = (0, 0, Vec::new());
    for h in truth {
        let path = real(&format!(
            "{dir}/{}",
            file_of(h["file"].as_str().expect("file"))
        ));
        if !path.exists() || !keep(h, &path) {
            continue;
        }
        total += 1;
        if has_fact(inspected.get(&path), &h["key"]) {
            found += 1;
        } else {
            misses.push(format!("{} {}", path.display(), h["key"]));
        }
    }
    (found, total, misses)
}

fn assert_recall(
    what: &str,
    (found, total, misses): (usize, usize, Vec<String>),
    min_total: usize,
) {
    assert!(total >= min_total, "{what}: only {total} figures to check");
    assert!(
        found * 100 >= total * 95,
        "{what}: {found}/{total} headline figures exact (< 95%); missed: {misses:#?}"
    );
    eprintln!("{what}: {found}/{total} headline figures exact");
}

fn stem(file: &str) -> &str {
    file.strip_suffix(".txt").unwrap_or(file)
}

#[test]
fn dev_headline_figures_from_page_text() {
    let truth = load("dev/headline.json");
    let r = headline_recall(&truth, "dev", |f| f.to_string(), |_, _| true);
    assert_recall("D.txt", r, 84);
}

#[test]
fn dev_headline_figures_from_one_cell_per_line_text() {
    let truth = load("dev/headline.json");
    let r = headline_recall(
        &truth,
        "dev",
        |f| format!("{}_alt.txt", stem(f)),
        |_, _| true,
    );
    assert_recall("D_alt.txt", r, 36);
}

/// Numbers printed in a workbook's cells, for "the figures the tables print".
fn workbook_numbers(path: &Path) -> Vec<f64> {
    let mut wb = open_workbook_auto(path).expect("workbook opens");
    let names = wb.sheet_names().to_vec();
    let mut out = Vec::new();
    for name in names {
        if let Ok(range) = wb.worksheet_range(&name) {
            out.extend(range.cells().filter_map(|(_, _, d)| match d {
                Data::Float(f) => Some(*f),
                Data::Int(i) => Some(*i as f64),
                _ => None,
            }));
        }
    }
    out
}

#[test]
fn dev_headline_figures_from_the_tables_they_print() {
    let truth = load("dev/headline.json");
    let mut printed: BTreeMap<PathBuf, Vec<f64>> = BTreeMap::new();
    let r = headline_recall(
        &truth,
        "dev",
        |f| format!("{}_tables.xlsx", stem(f)),
        |h, path| {
            let numbers = printed
                .entry(path.to_path_buf())
                .or_insert_with(|| workbook_numbers(path));
            let want: f64 = h["printed"]
                .as_str()
                .unwrap_or_default()
                .replace(',', "")
                .parse()
                .unwrap_or(f64::NAN);
            numbers.iter().any(|n| (n - want).abs() < 1e-6)
        },
    );
    // 71 of the 84 figures are printed in a table; the other 13 only in the explanation.
    assert_recall("D_tables.xlsx", r, 70);
}

#[test]
fn pdf_headline_figures() {
    let truth = load("pdf/headline.json");
    let r = headline_recall(&truth, "pdf", |f| f.to_string(), |_, _| true);
    assert_recall("PDF", r, 59);
}

/// The page a flag points at: `page N, line M` or a rebuilt table's `pN_tK!A1`.
fn page_of(location: &str) -> Option<u64> {
    if let Some(rest) = location.strip_prefix("page ") {
        return rest.split(',').next()?.trim().parse().ok();
    }
    let rest = location.strip_prefix('p')?;
    rest.split('_').next()?.parse().ok()
}

fn pages(entry: &Value) -> Vec<u64> {
    match &entry["page"] {
        Value::Array(a) => a.iter().filter_map(Value::as_u64).collect(),
        v => v.as_u64().into_iter().collect(),
    }
}

/// Decimal numbers quoted in an entry's evidence (`14.44`, `1,367.76` → `1367.76`).
fn evidence_numbers(entry: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for e in entry["evidence"].as_array().into_iter().flatten() {
        let text = e.as_str().unwrap_or_default().replace(',', "");
        let mut current = String::new();
        for c in text.chars().chain(std::iter::once(' ')) {
            if c.is_ascii_digit() || (c == '.' && !current.is_empty()) {
                current.push(c);
            } else {
                if current.contains('.') && !current.ends_with('.') {
                    out.push(current.clone());
                }
                current.clear();
            }
        }
    }
    out
}

/// For an entry of rule OTHER: the rules that express it and words its flag must mention
/// (empty: any). These read the truth file's own description of each entry.
fn other_topic(entry: &Value) -> (Vec<&'static str>, Vec<&'static str>) {
    let metric = entry["metric"].as_str().unwrap_or_default();
    if metric.contains("三公说明") {
        (vec!["INCOMPLETE_DISCLOSURE"], vec!["三公"])
    } else if metric.contains("公务接待") {
        (vec!["INCOMPLETE_DISCLOSURE"], vec!["接待"])
    } else if metric.contains("年度预算安排") {
        (vec!["INCOMPLETE_DISCLOSURE"], vec!["年度预算安排"])
    } else if metric.contains("单元格空白") {
        // A blank cell against a printed 0.00: not flagged yet.
        (
            vec!["CONFLICTING_VALUES", "INCOMPLETE_DISCLOSURE"],
            vec!["因公出国"],
        )
    } else if metric.contains("标点") {
        (vec!["PUNCTUATION"], vec![])
    } else if metric.contains("政府性基金") {
        (vec![], vec!["政府性基金", "国有资本"])
    } else if metric.contains("绩效项目金额") {
        (vec![], vec!["1354.13"])
    } else {
        (vec![], vec![])
    }
}

fn flag_text(flag: &Value) -> String {
    format!(
        "{} {}",
        flag["message"].as_str().unwrap_or_default(),
        flag["evidence"].as_str().unwrap_or_default()
    )
    .replace(',', "")
}

#[test]
fn dev_findings_flagged_and_consistent_statements_left_alone() {
    let entries = load("dev/findings.json");
    let mut inspected = Inspected::new();
    let (mut spec_hit, mut spec_total, mut other_hit, mut other_total) = (0, 0, 0, 0);
    let mut missed = Vec::new();
    let mut false_flags = Vec::new();
    for entry in &entries {
        let file = entry["file"].as_str().expect("file");
        let report = inspected.get(&real(&format!("dev/{file}"))).clone();
        let on_pages: Vec<&Value> = report["anomalies"]
            .as_array()
            .expect("anomalies")
            .iter()
            .filter(|f| {
                page_of(f["location"].as_str().unwrap_or_default())
                    .is_some_and(|p| pages(entry).contains(&p))
            })
            .collect();
        let rule = entry["rule"].as_str().unwrap_or_default();
        let other = rule == "OTHER";
        let (topic_rules, topic_words) = if other {
            other_topic(entry)
        } else {
            (Vec::new(), Vec::new())
        };
        let about = |f: &&&Value| {
            let r = f["rule"].as_str().unwrap_or_default();
            let rule_ok = if other {
                topic_rules.is_empty() || topic_rules.contains(&r)
            } else {
                r == rule
                    // A rounding hint the check sheet lists under 合计 is our ROUNDING_DIFFERENCE:
                    // within the SPEC tolerance, so never a SUM_MISMATCH.
                    || (rule == "SUM_MISMATCH"
                        && entry["severity"] == "info"
                        && r == "ROUNDING_DIFFERENCE")
            };
            let text = flag_text(f);
            rule_ok && (topic_words.is_empty() || topic_words.iter().any(|w| text.contains(w)))
        };
        if entry["kind"] == "finding" {
            let hit = on_pages.iter().any(|f| about(&f));
            if other {
                other_total += 1;
                other_hit += usize::from(hit);
            } else {
                spec_total += 1;
                spec_hit += usize::from(hit);
            }
            if !hit {
                missed.push(format!("{file} {rule} {}", entry["metric"]));
            }
        } else {
            // Must not flag: a warning or error about the statement — its rule (any rule for
            // OTHER) on its pages, quoting one of its numbers or naming its topic.
            let numbers = evidence_numbers(entry);
            let bad: Vec<String> = on_pages
                .iter()
                .filter(|f| f["severity"] != "info")
                .filter(|f| about(f))
                .filter(|f| {
                    let text = flag_text(f);
                    !topic_words.is_empty()
                        || numbers.is_empty()
                        || numbers.iter().any(|n| text.contains(n.as_str()))
                })
                .map(|f| format!("{file}: {} {}", f["rule"], f["message"]))
                .collect();
            false_flags.extend(bad);
        }
    }
    eprintln!(
        "findings under a SPEC rule: {spec_hit}/{spec_total}; others: {other_hit}/{other_total}; missed: {missed:#?}"
    );
    assert_eq!(
        spec_total, 17,
        "17 verified findings fall under a SPEC rule"
    );
    assert_eq!(spec_hit, spec_total, "missed: {missed:#?}");
    assert!(
        other_hit >= 3,
        "{other_hit}/{other_total} other findings; missed: {missed:#?}"
    );
    assert!(
        false_flags.is_empty(),
        "must-not-flag statements flagged: {false_flags:#?}"
    );
}

/// Runs `fiscal run` over `dirs` into a temporary directory; returns (run.json, inputs sheet
/// rows as file → (department, year, kind)).
fn run(dirs: &[&str]) -> (Value, BTreeMap<String, (String, String, String)>) {
    let out = tempfile::tempdir().expect("tempdir");
    let mut cmd = Command::cargo_bin("fiscal").expect("binary");
    cmd.env("SOURCE_DATE_EPOCH", "1700000000")
        .args(["run", "--quiet", "--lang", "en", "--out"])
        .arg(out.path());
    for d in dirs {
        cmd.arg("--input").arg(real(d));
    }
    let status = cmd.output().expect("runs").status;
    let summary: Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("run.json")).expect("run.json"),
    )
    .expect("run.json parses");
    assert_eq!(summary["exit_code"].as_i64(), status.code().map(i64::from));
    let rows = common::sheet(&out.path().join("report.xlsx"), "Inputs");
    let header = &rows[0];
    let col = |n: &str| common::column(header, n);
    let (file, department, year, kind) = (col("File"), col("Department"), col("Year"), col("Kind"));
    let inputs = rows[1..]
        .iter()
        .map(|r| {
            let name = common::text(&r[file]);
            let name = name.rsplit('/').next().unwrap_or_default().to_string();
            (
                name,
                (
                    common::text(&r[department]),
                    common::text(&r[year]),
                    common::text(&r[kind]),
                ),
            )
        })
        .collect();
    (summary, inputs)
}

#[test]
fn dev_identity_of_every_part_and_skipped_files_counted() {
    let (summary, inputs) = run(&["dev"]);
    // dev/SOURCES.md: department, year, kind of each document.
    let expected = [
        (
            "chengguan_2026_budget",
            "上海市普陀区城市管理行政执法局",
            "2026",
        ),
        (
            "jianguanwei_2026_budget",
            "上海市普陀区建设和管理委员会",
            "2026",
        ),
        ("wenlvju_2026_budget", "上海市普陀区文化和旅游局", "2026"),
        ("shengtai_2025_final", "上海市普陀区生态环境局", "2025"),
        (
            "yichuan_2025_final",
            "上海市普陀区人民政府宜川路街道办事处",
            "2025",
        ),
        (
            "shiquan_2025_final",
            "上海市普陀区人民政府石泉路街道办事处",
            "2025",
        ),
        ("wenlvju_2025_final", "上海市普陀区文化和旅游局", "2025"),
    ];
    let mut checked = 0;
    for (doc, department, year) in expected {
        let kind = if doc.ends_with("budget") {
            "Budget"
        } else {
            "Final"
        };
        for suffix in [".txt", "_alt.txt", "_tables.xlsx"] {
            let name = format!("sh_putuo_{doc}{suffix}");
            let Some((d, y, k)) = inputs.get(&name) else {
                assert!(suffix == "_alt.txt", "{name} not in the run's inputs");
                continue;
            };
            assert_eq!(
                (d.as_str(), y.as_str(), k.to_lowercase()),
                (department, year, kind.to_lowercase()),
                "{name}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 17);
    // SOURCES.md, headline.json and findings.json are not inputs: counted, with the reason.
    assert_eq!(summary["skipped"]["count"], 3, "{}", summary["skipped"]);
    assert_eq!(summary["documents"], 17);
}

/// What pdf/SOURCES.md says of a PDF, and tables it must be found to print.
struct Expected {
    file: &'static str,
    department: Option<&'static str>,
    year: i64,
    kind: &'static str,
    tables: &'static [&'static str],
}

#[test]
fn pdf_identity_tables_and_pages() {
    let mut inspected = Inspected::new();
    // pdf/SOURCES.md; the template prints `上海市XX局` (no name), its year and kind.
    let expected: [Expected; 6] = [
        Expected {
            file: "gbc_good_putuo_czj_2024_final.pdf",
            department: Some("上海市普陀区财政局"),
            year: 2024,
            kind: "final",
            tables: &[
                "final.income_expenditure_summary",
                "final.income",
                "final.expenditure",
                "final.fiscal_summary",
                "final.general_budget_expenditure",
                "final.general_budget_basic_detail",
                "final.three_public",
                "final.gov_fund",
                "final.state_capital",
            ],
        },
        Expected {
            file: "tbx_sh_czj_2025_budget.pdf",
            department: Some("上海市财政局"),
            year: 2025,
            kind: "budget",
            tables: &[
                "budget.summary",
                "budget.income",
                "budget.expenditure",
                "budget.fiscal_summary",
                "budget.general_budget_function",
                "budget.general_budget_basic_economic",
                "budget.three_public",
            ],
        },
        Expected {
            file: "swu_2021_budget.pdf",
            department: Some("西南大学"),
            year: 2021,
            kind: "budget",
            tables: &[
                "budget.summary",
                "budget.university_income",
                "budget.university_expenditure",
                "budget.university_fiscal_expenditure",
            ],
        },
        Expected {
            file: "gbc_template_final_2024.pdf",
            department: None,
            year: 2024,
            kind: "final",
            tables: &["final.income_expenditure_summary", "final.three_public"],
        },
        Expected {
            file: "tbx_draft_preview1.pdf",
            department: Some("上海市普陀区人民政府万里街道办事处"),
            year: 2025,
            kind: "budget",
            tables: &["budget.summary", "budget.three_public"],
        },
        Expected {
            file: "tbx_draft_preview2.pdf",
            department: Some("上海市普陀区人民政府万里街道办事处"),
            year: 2025,
            kind: "budget",
            tables: &["budget.summary", "budget.three_public"],
        },
    ];
    for Expected {
        file,
        department,
        year,
        kind,
        tables,
    } in expected
    {
        let report = inspected.get(&real(&format!("pdf/{file}")));
        let d = &report["document"];
        assert_eq!(d["department"].as_str(), department, "{file}");
        assert_eq!(d["fiscal_year"].as_i64(), Some(year), "{file}");
        assert_eq!(d["kind"].as_str(), Some(kind), "{file}");
        assert_eq!(report["encoding"], "pdf", "{file}");
        assert!(
            report["errors"].as_array().is_none_or(|e| e.is_empty()),
            "{file}: {}",
            report["errors"]
        );
        let recognized: Vec<&str> = report["tables"]
            .as_array()
            .expect("tables")
            .iter()
            .filter_map(|t| t["signature"].as_str())
            .collect();
        for t in tables {
            assert!(recognized.contains(t), "{file}: {t} not in {recognized:?}");
        }
        // Rebuilt tables are located by page and cell (the template's tables are empty:
        // an empty cell is no fact).
        if department.is_none() {
            continue;
        }
        let table_fact = report["facts"]
            .as_array()
            .expect("facts")
            .iter()
            .find(|f| f["source"] != "prose")
            .expect("a table fact");
        let location = table_fact["location"].as_str().unwrap_or_default();
        assert!(
            location.starts_with('p') && location.contains("_t") && location.contains('!'),
            "{file}: {location}"
        );
    }
}

fn flags<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    report["anomalies"]
        .as_array()
        .expect("anomalies")
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

fn warnings(report: &Value) -> Vec<String> {
    report["anomalies"]
        .as_array()
        .expect("anomalies")
        .iter()
        .filter(|f| f["severity"] != "info")
        .map(|f| format!("{} {} @{}", f["rule"], f["message"], f["location"]))
        .collect()
}

#[test]
fn pdf_flags_what_the_documents_contradict_and_nothing_in_a_clean_one() {
    let mut inspected = Inspected::new();
    // 上海市财政局 2025: tables in 元, explanation in whole 万元 (17,192 for 171,915,169 元):
    // consistent, so no warning at all.
    let czj = inspected
        .get(&real("pdf/tbx_sh_czj_2025_budget.pdf"))
        .clone();
    assert!(warnings(&czj).is_empty(), "{:#?}", warnings(&czj));

    // 西南大学 2021: 使用非财政拨款结余 printed as 18,953.73 (p9) and 18,953.78 (p10, table);
    // nothing else — shares of 总收入 are shares of 收入预算 490,808.40, the 收支总预算 list
    // mixes both sides, the university template has no 三公 section.
    let swu = inspected.get(&real("pdf/swu_2021_budget.pdf")).clone();
    let w = warnings(&swu);
    assert_eq!(w.len(), 1, "{w:#?}");
    let conflict = flags(&swu, "CONFLICTING_VALUES");
    assert_eq!(conflict[0]["metric"], "income.surplus_used");
    assert!(flags(&swu, "MISSING_SECTION").is_empty());
    assert!(flags(&swu, "SHARE_MISMATCH").is_empty());

    // 普陀区财政局 2024 决算: 财政拨款收入支出总计 printed as 0.3万元 against 2,940.05 in its
    // tables; no 三公 expenses, so nothing to itemise; page 14 holds only an empty table row
    // (not a blank page).
    let gbc = inspected
        .get(&real("pdf/gbc_good_putuo_czj_2024_final.pdf"))
        .clone();
    assert!(flags(&gbc, "CONFLICTING_VALUES")
        .iter()
        .any(|f| f["metric"] == "expenditure.fiscal"
            && f["message"].as_str().unwrap_or_default().contains("0.3")));
    assert!(flags(&gbc, "INCOMPLETE_DISCLOSURE").is_empty());
    assert!(flags(&gbc, "BLANK_PAGE").is_empty());

    // A template: its placeholders and leftovers are what it is made of.
    let template = inspected
        .get(&real("pdf/gbc_template_final_2024.pdf"))
        .clone();
    assert!(!flags(&template, "PLACEHOLDER").is_empty());
    assert!(!flags(&template, "TEMPLATE_RESIDUE").is_empty());

    // The drafting system's preview: 一般公共预算拨款支出预算0.00万元 in the text against
    // 189,767,551 元 in its tables; 车辆1辆 against eight kinds of 1辆 each.
    let preview = inspected.get(&real("pdf/tbx_draft_preview1.pdf")).clone();
    assert!(flags(&preview, "CONFLICTING_VALUES")
        .iter()
        .any(|f| f["metric"] == "expenditure.general_budget"));
    assert_eq!(flags(&preview, "SUM_MISMATCH").len(), 2);
}

#[test]
fn pdf_folder_run_reads_every_pdf() {
    let (summary, inputs) = run(&["pdf"]);
    assert_eq!(summary["documents"], 6, "{summary}");
    assert_eq!(summary["failed_inputs"].as_array().map(Vec::len), Some(0));
    assert!(inputs.keys().all(|f| f.ends_with(".pdf")));
    // SOURCES.md and headline.json are skipped with their reason.
    assert_eq!(summary["skipped"]["count"], 2);
}

/// A three-page PDF: text, an image without text (a scan), nothing at all.
fn scanned_and_blank_pdf() -> Vec<u8> {
    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R 4 0 R 5 0 R] /Count 3 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 300] /Contents 6 0 R /Resources << /Font << /F1 7 0 R >> >> >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 300] /Contents 8 0 R /Resources << /XObject << /Im1 9 0 R >> >> >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 300] /Contents 10 0 R >>".to_vec(),
        stream(b"", b"BT /F1 12 Tf 20 200 Td (Budget 2025 total 100.00) Tj ET"),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
        stream(b"", b"q 100 0 0 100 50 50 cm /Im1 Do Q"),
        stream(
            b"/Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray /BitsPerComponent 8",
            b"\x80",
        ),
        stream(b"", b""),
    ];
    fn stream(dict: &[u8], data: &[u8]) -> Vec<u8> {
        let mut s = b"<< ".to_vec();
        s.extend_from_slice(dict);
        s.extend_from_slice(format!(" /Length {} >>\nstream\n", data.len()).as_bytes());
        s.extend_from_slice(data);
        s.extend_from_slice(b"\nendstream");
        s
    }
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        pdf.extend_from_slice(body);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        pdf.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

#[test]
fn pdf_scanned_page_is_reported_and_a_blank_page_flagged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("three_pages.pdf");
    std::fs::write(&path, scanned_and_blank_pdf()).expect("write");
    let report = common::inspect_json(&path);
    let errors: Vec<String> = report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["message"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("three_pages.pdf: page 2: no text layer"),
        "{errors:?}"
    );
    let blank = flags(&report, "BLANK_PAGE");
    assert_eq!(blank.len(), 1);
    assert_eq!(blank[0]["location"], "page 3, line 1");
}

/// Table facts of a report: key → the values printed for it.
fn table_facts(report: &Value) -> BTreeMap<String, std::collections::BTreeSet<Decimal>> {
    let mut out: BTreeMap<String, std::collections::BTreeSet<Decimal>> = BTreeMap::new();
    for f in report["facts"].as_array().expect("facts") {
        let metric = f["metric"].as_str().unwrap_or_default();
        if f["source"] == "prose" || metric.starts_with("performance") {
            continue;
        }
        let Some(v) = decimal(&f["value"]) else {
            continue;
        };
        let key = format!("{} {} {} {}", metric, f["code"], f["item"], f["aspect"]);
        out.entry(key).or_default().insert(v.normalize());
    }
    out
}

#[test]
fn dev_same_table_facts_from_page_text_and_from_the_workbook() {
    let docs = [
        "chengguan_2026_budget",
        "jianguanwei_2026_budget",
        "wenlvju_2026_budget",
        "shengtai_2025_final",
        "yichuan_2025_final",
        "shiquan_2025_final",
        "wenlvju_2025_final",
    ];
    let mut inspected = Inspected::new();
    let (mut shared, mut from_workbook) = (0, 0);
    for doc in docs {
        let text = table_facts(inspected.get(&real(&format!("dev/sh_putuo_{doc}.txt"))));
        let book = table_facts(inspected.get(&real(&format!("dev/sh_putuo_{doc}_tables.xlsx"))));
        // Never two different values for one key: a number the text cannot place is left out.
        let contradictions: Vec<String> = text
            .iter()
            .filter_map(|(k, v)| {
                let w = book.get(k)?;
                (!v.iter().any(|x| w.contains(x))).then(|| format!("{k}: {v:?} vs {w:?}"))
            })
            .collect();
        assert!(contradictions.is_empty(), "{doc}: {contradictions:#?}");
        shared += book.keys().filter(|k| text.contains_key(*k)).count();
        from_workbook += book.len();
        if doc == "shengtai_2025_final" || doc == "jianguanwei_2026_budget" {
            let differ: Vec<&String> = text
                .keys()
                .chain(book.keys())
                .filter(|k| text.get(*k) != book.get(*k))
                .collect();
            assert!(
                differ.is_empty(),
                "{doc}: not the same facts from both: {differ:?}"
            );
        }
    }
    // The rest: numbers whose column the page text does not show (`208 … 6,397,096
    // 6,397,096` under 合计 | 财政拨款收入 | 事业收入 | 其他收入) and rows a PDF parser garbled.
    eprintln!(
        "table facts of the workbooks also read from the page text: {shared}/{from_workbook}"
    );
    assert!(
        shared * 100 >= from_workbook * 85,
        "{shared}/{from_workbook}"
    );
}

#[test]
fn pdf_cut_short_or_corrupted_fails_alone_without_a_panic() {
    let bytes = std::fs::read(real("pdf/tbx_sh_czj_2025_budget.pdf")).expect("pdf");
    // Cut at several places: what is left is read, or the file fails with a message.
    for cut in [
        10,
        1_000,
        bytes.len() / 3,
        bytes.len() / 2,
        bytes.len() - 100,
    ] {
        let report = fiscal_archive::extract::read_pdf_bytes("cut.pdf", &bytes[..cut]);
        assert!(
            !report.facts.is_empty() || !report.errors.is_empty(),
            "cut at {cut}: neither facts nor an error"
        );
    }
    // Bytes flipped inside the streams.
    let mut garbled = bytes.clone();
    for i in (2_000..garbled.len()).step_by(997) {
        garbled[i] ^= 0x5A;
    }
    let report = fiscal_archive::extract::read_pdf_bytes("garbled.pdf", &garbled);
    assert!(!report.facts.is_empty() || !report.errors.is_empty());
}
