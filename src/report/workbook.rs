//! The consolidated workbook (SPEC §6): eight sheets, each with a frozen header, an autofilter
//! and set column widths; `#,##0.00` for 万元, `0.0%` for rates, coloured severities, a
//! sparkline per trend row and line charts of the headline metrics.
//!
//! Deterministic: the creation time is the plan's `SOURCE_DATE_EPOCH`, every list is written in
//! a sorted order, and nothing depends on thread scheduling. This is the one place money becomes
//! `f64`: the value handed to rust_xlsxwriter.

use std::collections::BTreeMap;

use polars::prelude::*;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatAlign, Sparkline, SparklineType, Workbook,
    Worksheet, XlsxError,
};

use super::archive_sheets;
use super::labels::{self as l, L};
use crate::analysis::changes::Changes;
use crate::analysis::{count_of, frames, triage, Archive, InputStatus};
use crate::catalog::{catalog, Scope};
use crate::extract::CheckState;
use crate::model::{Kind, Severity};
use crate::pipeline::{Language, Plan};

/// Excel's last row index (1,048,576 rows).
const EXCEL_MAX_ROW: u32 = 1_048_575;
/// Excel's cell text limit.
const MAX_CELL_CHARS: usize = 32_767;
/// Amounts: thousands separators, two decimals, negatives in red.
const AMOUNT: &str = "#,##0.00;[Red]-#,##0.00";
/// Fact values keep up to six decimals (a rate printed as 4.1325%).
const FACT_VALUE: &str = "#,##0.00####;[Red]-#,##0.00####";
/// 异常's printed columns: severity … location.
const PRINTED_ANOMALY_COLUMNS: u16 = 14;
/// A4 in Excel's paper-size codes.
const PAPER_A4: u8 = 9;

pub(super) struct Formats {
    pub(super) header: Format,
    pub(super) amount: Format,
    pub(super) percent: Format,
    pub(super) derived: Format,
    pub(super) wrap: Format,
    pub(super) title: Format,
    pub(super) error: Format,
    pub(super) warning: Format,
    pub(super) info: Format,
}

impl Formats {
    fn new() -> Formats {
        let header = Format::new()
            .set_bold()
            .set_background_color(Color::RGB(0x00D9_E1F2))
            .set_border_bottom(rust_xlsxwriter::FormatBorder::Thin);
        Formats {
            header,
            amount: Format::new().set_num_format(AMOUNT),
            percent: Format::new().set_num_format("0.0%;[Red]-0.0%"),
            derived: Format::new()
                .set_num_format(AMOUNT)
                .set_italic()
                .set_font_color(Color::RGB(0x0080_8080)),
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
            title: Format::new().set_bold().set_font_size(12),
            error: Format::new()
                .set_background_color(Color::RGB(0x00FF_C7CE))
                .set_font_color(Color::RGB(0x009C_0006)),
            warning: Format::new()
                .set_background_color(Color::RGB(0x00FF_EB9C))
                .set_font_color(Color::RGB(0x009C_5700)),
            info: Format::new()
                .set_background_color(Color::RGB(0x00DD_EBF7))
                .set_font_color(Color::RGB(0x001F_4E78)),
        }
    }

    fn severity(&self, s: Severity) -> &Format {
        match s {
            Severity::Error => &self.error,
            Severity::Warning => &self.warning,
            Severity::Info => &self.info,
        }
    }
}

pub(super) fn clip(s: &str) -> String {
    if s.chars().count() <= MAX_CELL_CHARS {
        s.to_string()
    } else {
        s.chars()
            .take(MAX_CELL_CHARS - 1)
            .chain(std::iter::once('…'))
            .collect()
    }
}

/// Display width of `s` in Excel's character units: a CJK (full-width) character takes two.
fn display_width(s: &str) -> f64 {
    s.chars()
        .map(|c| if (c as u32) < 0x1100 { 1.0 } else { 2.0 })
        .sum()
}

/// A column wide enough for its header: at least `width`, at most 60.
fn fit_width(label: &str, width: f64) -> f64 {
    (display_width(label) + 2.0).max(width).min(60.0)
}

/// Writes a header row with the given labels and widths (widened to fit the label); freezes
/// it and repeats it on every printed page.
pub(super) fn header(
    ws: &mut Worksheet,
    f: &Formats,
    row: u32,
    cols: &[(L, f64)],
    lang: Language,
) -> Result<(), XlsxError> {
    for (c, (label, width)) in cols.iter().enumerate() {
        header_cell(ws, f, row, c, label.get(lang), *width)?;
    }
    ws.set_freeze_panes(row + 1, 0)?;
    ws.set_repeat_rows(0, row)?;
    Ok(())
}

/// One header cell, its column widened to fit the label.
pub(super) fn header_cell(
    ws: &mut Worksheet,
    f: &Formats,
    row: u32,
    col: usize,
    label: &str,
    width: f64,
) -> Result<(), XlsxError> {
    let col = col as u16;
    ws.write_string_with_format(row, col, label, &f.header)?;
    ws.set_column_width(col, fit_width(label, width))?;
    Ok(())
}

/// Print setup of every sheet: A4 landscape, one page wide, the sheet's name and the page
/// number in the footer (header rows are repeated by [`header`]).
fn print_setup(ws: &mut Worksheet, lang: Language) {
    ws.set_landscape()
        .set_paper_size(PAPER_A4)
        .set_print_fit_to_pages(1, 0)
        .set_footer(match lang {
            Language::Zh => "&L&[Tab]&R第 &[Page] 页，共 &[Pages] 页",
            Language::En => "&L&[Tab]&RPage &[Page] of &[Pages]",
        });
}

/// A header row inside a sheet (a second table under the first): labels only.
pub(super) fn header_row(
    ws: &mut Worksheet,
    f: &Formats,
    row: u32,
    labels: &[L],
    lang: Language,
) -> Result<(), XlsxError> {
    for (c, label) in labels.iter().enumerate() {
        ws.write_string_with_format(row, c as u16, label.get(lang), &f.header)?;
    }
    Ok(())
}

pub(super) fn filter(
    ws: &mut Worksheet,
    row: u32,
    last_row: u32,
    last_col: usize,
) -> Result<(), XlsxError> {
    ws.autofilter(row, 0, last_row.max(row), last_col.saturating_sub(1) as u16)?;
    Ok(())
}

pub(super) fn text(ws: &mut Worksheet, row: u32, col: u16, s: &str) -> Result<(), XlsxError> {
    if !s.is_empty() {
        ws.write_string(row, col, clip(s))?;
    }
    Ok(())
}

/// A fiscal year as a number cell (empty when unknown).
pub(super) fn year(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    y: Option<i32>,
) -> Result<(), XlsxError> {
    if let Some(y) = y {
        ws.write_number(row, col, f64::from(y))?;
    }
    Ok(())
}

/// 预算/决算 (budget/final) in the workbook's language.
fn kind(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    k: Option<Kind>,
    lang: Language,
) -> Result<(), XlsxError> {
    text(ws, row, col, k.map_or("", |k| l::kind(k.as_str(), lang)))
}

pub(super) fn amount(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    v: Option<Decimal>,
    format: &Format,
) -> Result<(), XlsxError> {
    if let Some(v) = v.and_then(|d| d.to_f64()) {
        ws.write_number_with_format(row, col, v, format)?;
    }
    Ok(())
}

/// A percentage printed as `p` (4.13 = 4.13%) into a `0.0%` cell.
pub(super) fn percent(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    pct: Option<Decimal>,
    f: &Formats,
) -> Result<(), XlsxError> {
    amount(
        ws,
        row,
        col,
        pct.map(|p| p / Decimal::ONE_HUNDRED),
        &f.percent,
    )
}

pub(super) fn metric_label(key: &str, lang: Language) -> String {
    match catalog().metric(key) {
        Some(m) => match lang {
            Language::Zh => m.zh.clone(),
            Language::En => m.en.clone(),
        },
        None => key.to_string(),
    }
}

/// A headline measure's column header: `收入总计（万元）`.
pub(super) fn headline_label(m: &crate::catalog::MetricDef, lang: Language) -> String {
    match lang {
        Language::Zh => format!("{}（万元）", m.zh),
        Language::En => format!("{} (10k yuan)", m.en),
    }
}

fn class_name(code: &str, year: Option<i32>) -> String {
    crate::model::Code::parse(code)
        .and_then(|c| {
            catalog()
                .codes_for(&c)
                .get(&c)
                .map(|e| e.name_in(year).to_string())
        })
        .unwrap_or_default()
}

fn overview(
    wb: &mut Workbook,
    archive: &Archive,
    plan: &Plan,
    generated: &super::Timestamps,
    f: &Formats,
) -> Result<(), XlsxError> {
    let lang = plan.language;
    let ws = wb.add_worksheet().set_name(l::SHEET_OVERVIEW.get(lang))?;
    header(ws, f, 0, &[(l::ITEM, 36.0), (l::VALUE, 60.0)], lang)?;
    let failed: Vec<_> = archive
        .inputs
        .iter()
        .filter(|i| i.status == InputStatus::Failed)
        .collect();
    let by_status = archive.input_counts().unwrap_or_default();
    let mut departments: Vec<&str> = archive.documents.iter().map(|d| d.key.as_str()).collect();
    departments.sort_unstable();
    departments.dedup();
    let pipeline = plan
        .pipeline
        .as_ref()
        .map_or("—".into(), |p| p.display().to_string());
    let texts = [
        (l::GENERATED_AT_LOCAL, generated.shanghai.clone()),
        (l::GENERATED_AT, generated.utc.clone()),
        (l::PIPELINE, pipeline),
    ];
    let counts = [
        (l::INPUT_FILES, archive.inputs.len()),
        (l::DOCUMENTS, archive.documents.len()),
        (l::DEPARTMENTS_N, departments.len()),
        (l::FACTS, archive.fact_count),
        (
            l::FAILED_INPUTS,
            count_of(&by_status, InputStatus::Failed.as_str()),
        ),
        (
            l::FILTERED_INPUTS,
            count_of(&by_status, InputStatus::Filtered.as_str()),
        ),
    ];
    let mut r = 1;
    for (label, value) in texts {
        ws.write_string(r, 0, label.get(lang))?;
        ws.write_string(r, 1, clip(&value))?;
        r += 1;
    }
    for (label, n) in counts {
        ws.write_string(r, 0, label.get(lang))?;
        ws.write_number(r, 1, n as f64)?;
        r += 1;
    }
    filter(ws, 0, r - 1, 2)?;
    r += 1;
    let (by_severity, by_rule) = archive.anomaly_counts().unwrap_or_default();
    ws.write_string_with_format(r, 0, l::ANOMALIES_BY_SEVERITY.get(lang), &f.title)?;
    r += 1;
    for s in [Severity::Error, Severity::Warning, Severity::Info] {
        let n = count_of(&by_severity, s.as_str());
        ws.write_string_with_format(r, 0, l::severity(s, lang), f.severity(s))?;
        ws.write_number(r, 1, n as f64)?;
        r += 1;
    }
    r += 1;
    ws.write_string_with_format(r, 0, l::ANOMALIES_BY_RULE.get(lang), &f.title)?;
    r += 1;
    for (rule, n) in by_rule {
        ws.write_string(r, 0, l::rule_name(&rule, lang))?;
        ws.write_number(r, 1, n as f64)?;
        r += 1;
    }
    if !failed.is_empty() {
        r += 1;
        ws.write_string_with_format(r, 0, l::FAILED_INPUTS.get(lang), &f.title)?;
        r += 1;
        for i in failed {
            ws.write_string(r, 0, clip(&i.file))?;
            ws.write_string(r, 1, clip(&i.errors.join("; ")))?;
            r += 1;
        }
    }
    Ok(())
}

fn departments(
    wb: &mut Workbook,
    archive: &Archive,
    plan: &Plan,
    f: &Formats,
) -> Result<(), XlsxError> {
    let lang = plan.language;
    let ws = wb
        .add_worksheet_with_low_memory()
        .set_name(l::SHEET_DEPARTMENTS.get(lang))?;
    let headlines: Vec<&crate::catalog::MetricDef> = catalog().headlines().collect();
    let mut cols: Vec<(L, f64)> = vec![
        (l::DEPARTMENT, 36.0),
        (l::IDENTITY, 40.0),
        (l::REGION, 20.0),
        (l::YEAR, 8.0),
        (l::KIND, 8.0),
    ];
    let first_metric = cols.len();
    cols.extend(headlines.iter().map(|_| (l::VALUE, 16.0)));
    cols.extend([
        (l::ERRORS, 8.0),
        (l::WARNINGS, 8.0),
        (l::INFOS, 8.0),
        (l::FILE, 60.0),
        (l::NAMES, 48.0),
    ]);
    header(ws, f, 0, &cols, lang)?;
    for (i, m) in headlines.iter().enumerate() {
        header_cell(ws, f, 0, first_metric + i, &headline_label(m, lang), 16.0)?;
    }
    let counts = archive.severity_counts();
    let order = archive.department_order();
    let mut r = 1;
    for i in order {
        let doc = &archive.documents[i];
        let id = &doc.report.document;
        text(ws, r, 0, id.department.as_deref().unwrap_or_default())?;
        text(ws, r, 1, &doc.key)?;
        text(ws, r, 2, id.region.as_deref().unwrap_or_default())?;
        year(ws, r, 3, id.fiscal_year)?;
        kind(ws, r, 4, id.kind, lang)?;
        for (j, m) in headlines.iter().enumerate() {
            let value = doc.facts.stated(m.key.as_str());
            amount(ws, r, (first_metric + j) as u16, value, &f.amount)?;
        }
        let c = first_metric + headlines.len();
        for (k, s) in [Severity::Error, Severity::Warning, Severity::Info]
            .iter()
            .enumerate()
        {
            let n = counts.get(&(i, *s)).copied().unwrap_or(0);
            ws.write_number(r, (c + k) as u16, n as f64)?;
        }
        text(ws, r, (c + 3) as u16, &doc.report.file)?;
        text(ws, r, (c + 4) as u16, &doc.names.join("、"))?;
        r += 1;
    }
    filter(ws, 0, r - 1, cols.len())?;
    Ok(())
}

fn trends(wb: &mut Workbook, archive: &Archive, plan: &Plan, f: &Formats) -> Result<(), XlsxError> {
    let lang = plan.language;
    let sheet = l::SHEET_TRENDS.get(lang);
    let ws = wb.add_worksheet_with_low_memory().set_name(sheet)?;
    let years = &archive.trends.years;
    let mut cols: Vec<(L, f64)> = vec![
        (l::DEPARTMENT, 36.0),
        (l::IDENTITY, 40.0),
        (l::KIND, 8.0),
        (l::METRIC, 28.0),
        (l::CODE, 10.0),
    ];
    let first_year = cols.len();
    cols.extend(years.iter().map(|_| (l::YEAR, 12.0)));
    cols.extend([
        (l::YOY, 10.0),
        (l::CAGR, 10.0),
        (l::SPARKLINE, 14.0),
        (l::DERIVED_YEARS, 24.0),
        (l::METRIC_KEY, 30.0),
        (l::NAMES, 48.0),
    ]);
    let names: BTreeMap<&str, String> = archive
        .documents
        .iter()
        .map(|d| (d.key.as_str(), d.names.join("、")))
        .collect();
    header(ws, f, 0, &cols, lang)?;
    for (i, y) in years.iter().enumerate() {
        ws.write_number_with_format(0, (first_year + i) as u16, f64::from(*y), &f.header)?;
    }
    let after = first_year + years.len();
    let mut r = 1;
    for row in &archive.trends.rows {
        text(ws, r, 0, &row.department)?;
        text(ws, r, 1, &row.department_key)?;
        text(ws, r, 2, l::kind(&row.kind, lang))?;
        let mut label = metric_label(&row.metric, lang);
        if let Some(code) = &row.code {
            label = format!("{label} · {}", class_name(code, years.last().copied()));
            text(ws, r, 4, code)?;
        }
        text(ws, r, 3, &label)?;
        let mut derived = Vec::new();
        for (i, y) in years.iter().enumerate() {
            if let Some(p) = row.points.get(y) {
                let format = if p.derived { &f.derived } else { &f.amount };
                amount(ws, r, (first_year + i) as u16, Some(p.value), format)?;
                if p.derived {
                    derived.push(y.to_string());
                }
            }
        }
        percent(ws, r, after as u16, row.yoy_pct(), f)?;
        if let Some(c) = row.cagr() {
            ws.write_number_with_format(r, (after + 1) as u16, c, &f.percent)?;
        }
        if !years.is_empty() {
            let spark = Sparkline::new()
                .set_range((sheet, r, first_year as u16, r, (after - 1) as u16))
                .set_type(SparklineType::Line)
                .show_markers(true);
            ws.add_sparkline(r, (after + 2) as u16, &spark)?;
        }
        text(ws, r, (after + 3) as u16, &derived.join(", "))?;
        text(ws, r, (after + 4) as u16, &row.metric)?;
        if let Some(n) = names.get(row.department_key.as_str()) {
            text(ws, r, (after + 5) as u16, n)?;
        }
        r += 1;
    }
    filter(ws, 0, r - 1, cols.len())?;
    Ok(())
}

/// 异常 in triage order ([`triage`]): severity, the money involved, department, year; the
/// rule's Chinese name; expected (what the other printed figures imply), found (what is
/// printed) and found − expected as numbers with their unit; one row per flag and document
/// (the other files of the document listed); one row per unfilled template.
fn anomalies(
    wb: &mut Workbook,
    archive: &Archive,
    rows: &[triage::SheetRow<'_>],
    plan: &Plan,
    f: &Formats,
) -> Result<(), XlsxError> {
    let lang = plan.language;
    let ws = wb
        .add_worksheet_with_low_memory()
        .set_name(l::SHEET_ANOMALIES.get(lang))?;
    let cols = [
        (l::SEVERITY, 10.0),
        (l::RULE, 20.0),
        (l::DEPARTMENT, 26.0),
        (l::YEAR, 8.0),
        (l::KIND, 8.0),
        (l::MESSAGE, 50.0),
        (l::EXPECTED, 14.0),
        (l::FOUND, 14.0),
        (l::DIFFERENCE, 12.0),
        (l::UNIT, 6.0),
        (l::MATERIALITY, 14.0),
        (l::OCCURRENCES, 6.0),
        (l::EVIDENCE, 30.0),
        (l::LOCATION, 14.0),
        (l::METRIC, 24.0),
        (l::CODE, 10.0),
        (l::ITEM_OR_CLASS, 24.0),
        (l::FILE, 60.0),
        (l::OTHER_FILES, 40.0),
        (l::RULE_ID, 24.0),
        (l::IDENTITY, 40.0),
        (l::METRIC_KEY, 30.0),
    ];
    header(ws, f, 0, &cols, lang)?;
    let mut r = 1;
    for row in rows {
        let a = &row.finding.anomaly;
        let doc = row.finding.document.and_then(|i| archive.documents.get(i));
        ws.write_string_with_format(r, 0, l::severity(a.severity, lang), f.severity(a.severity))?;
        text(ws, r, 1, &l::rule_name(&a.rule, lang))?;
        if let Some(d) = doc {
            let id = &d.report.document;
            text(ws, r, 2, id.department.as_deref().unwrap_or(&d.key))?;
            year(ws, r, 3, id.fiscal_year)?;
            kind(ws, r, 4, id.kind, lang)?;
            text(ws, r, 17, &d.report.file)?;
            text(ws, r, 20, &d.key)?;
        }
        let location = a
            .location
            .as_ref()
            .map_or(String::new(), |x| l::location(&x.to_string(), lang));
        match row.template_count {
            Some(n) => {
                let first = match (a.rule.as_str(), a.found.as_deref()) {
                    ("PLACEHOLDER", Some(found)) => found,
                    _ => a.evidence.as_str(),
                };
                let message = l::TEMPLATE_SUMMARY
                    .get(lang)
                    .replace("{rule}", &l::rule_name(&a.rule, lang))
                    .replace("{n}", &n.to_string())
                    .replace("{first}", first);
                ws.write_string_with_format(r, 5, clip(&message), &f.wrap)?;
                ws.write_number(r, 11, n as f64)?;
            }
            None => {
                ws.write_string_with_format(r, 5, clip(&a.message), &f.wrap)?;
                let m = triage::measure(a);
                amount(ws, r, 6, m.expected, &f.amount)?;
                amount(ws, r, 7, m.found, &f.amount)?;
                amount(ws, r, 8, m.difference, &f.amount)?;
                text(ws, r, 9, m.unit.map_or("", |u| u.as_str()))?;
                amount(ws, r, 10, m.materiality(), &f.amount)?;
                ws.write_number(r, 11, 1.0)?;
            }
        }
        text(ws, r, 12, &a.evidence)?;
        text(ws, r, 13, &location)?;
        if let Some(m) = &a.metric {
            text(ws, r, 14, &metric_label(m.as_str(), lang))?;
            text(ws, r, 21, m.as_str())?;
        }
        text(ws, r, 15, a.code.as_ref().map_or("", |c| c.as_str()))?;
        let item = match (&a.item, &a.code) {
            (Some(item), _) => item.clone(),
            (None, Some(code)) => class_name(
                code.as_str(),
                doc.and_then(|d| d.report.document.fiscal_year),
            ),
            (None, None) => String::new(),
        };
        text(ws, r, 16, &item)?;
        text(ws, r, 18, &row.other_files.join("；"))?;
        text(ws, r, 19, &a.rule)?;
        r += 1;
    }
    filter(ws, 0, r - 1, cols.len())?;
    // Printed: severity to location (the columns an auditor works from); files, ids and keys
    // stay on screen.
    ws.set_print_area(0, 0, r - 1, PRINTED_ANOMALY_COLUMNS - 1)?;
    Ok(())
}

fn statistics(
    wb: &mut Workbook,
    archive: &Archive,
    plan: &Plan,
    f: &Formats,
) -> Result<(), XlsxError> {
    let lang = plan.language;
    let ws = wb
        .add_worksheet_with_low_memory()
        .set_name(l::SHEET_STATISTICS.get(lang))?;
    let cols = [
        (l::YEAR, 8.0),
        (l::KIND, 8.0),
        (l::METRIC, 28.0),
        (l::COUNT, 8.0),
        (l::SUM, 14.0),
        (l::MEAN, 14.0),
        (l::MEDIAN, 14.0),
        (l::P10, 14.0),
        (l::P25, 14.0),
        (l::P75, 14.0),
        (l::P90, 14.0),
        (l::MIN, 14.0),
        (l::MAX, 14.0),
        (l::METRIC_KEY, 30.0),
    ];
    header(ws, f, 0, &cols, lang)?;
    let stats = &archive.statistics;
    let mut r = 1;
    for row in &stats.rows {
        let s = &row.summary;
        ws.write_number(r, 0, f64::from(row.fiscal_year))?;
        text(ws, r, 1, l::kind(&row.kind, lang))?;
        text(ws, r, 2, &metric_label(&row.metric, lang))?;
        ws.write_number(r, 3, s.count as f64)?;
        for (c, v) in [
            s.sum, s.mean, s.median, s.p10, s.p25, s.p75, s.p90, s.min, s.max,
        ]
        .iter()
        .enumerate()
        {
            amount(ws, r, (4 + c) as u16, Some(*v), &f.amount)?;
        }
        text(ws, r, 13, &row.metric)?;
        r += 1;
    }
    filter(ws, 0, r - 1, cols.len())?;

    r += 1;
    ws.write_string_with_format(r, 0, l::CLASS_TOTALS.get(lang), &f.title)?;
    r += 1;
    header_row(
        ws,
        f,
        r,
        &[
            l::YEAR,
            l::KIND,
            l::MEASURE,
            l::CODE,
            l::CODE_NAME,
            l::DEPARTMENT_COUNT,
            l::TOTAL,
        ],
        lang,
    )?;
    r += 1;
    for t in &stats.class_totals {
        ws.write_number(r, 0, f64::from(t.fiscal_year))?;
        text(ws, r, 1, l::kind(&t.kind, lang))?;
        text(ws, r, 2, &metric_label(&t.metric, lang))?;
        text(ws, r, 3, &t.code)?;
        text(ws, r, 4, &class_name(&t.code, Some(t.fiscal_year)))?;
        ws.write_number(r, 5, t.departments as f64)?;
        amount(ws, r, 6, Some(t.total), &f.amount)?;
        r += 1;
    }

    r += 1;
    ws.write_string_with_format(r, 0, l::EXECUTION.get(lang), &f.title)?;
    r += 1;
    header_row(
        ws,
        f,
        r,
        &[
            l::IDENTITY,
            l::YEAR,
            l::METRIC,
            l::BUDGET,
            l::ACTUAL,
            l::EXECUTION_PCT,
        ],
        lang,
    )?;
    r += 1;
    if stats.execution.is_empty() {
        ws.write_string(r, 0, l::NONE_YET.get(lang))?;
    }
    for e in &stats.execution {
        text(ws, r, 0, &e.department_key)?;
        ws.write_number(r, 1, f64::from(e.fiscal_year))?;
        text(ws, r, 2, &metric_label(&e.metric, lang))?;
        amount(ws, r, 3, Some(e.budget), &f.amount)?;
        amount(ws, r, 4, Some(e.actual), &f.amount)?;
        percent(ws, r, 5, e.execution_pct, f)?;
        r += 1;
    }
    Ok(())
}

/// The fact table, streamed row by row (constant-memory mode) from the archive's chunks, up to
/// the pipeline's `fact_sheet_rows` (and Excel's row limit): an archive prints millions of
/// facts, which facts.parquet holds; the sheet says when it stops short. Headers and coded
/// values (kind, aspect, source, location) in the workbook's language, the metric's name
/// beside its key.
fn facts(wb: &mut Workbook, archive: &Archive, plan: &Plan, f: &Formats) -> PolarsResult<()> {
    let lang = plan.language;
    let limit = plan.fact_sheet_rows.min((EXCEL_MAX_ROW - 2) as usize);
    let ws = wb.add_worksheet_with_low_memory();
    ws.set_name(l::SHEET_FACTS.get(lang)).map_err(xlsx_err)?;
    let value_format = Format::new().set_num_format(FACT_VALUE);
    let mut written = 0usize;
    // The frame's columns with the metric name inserted after `metric`.
    let mut layout: Vec<String> = Vec::new();
    for chunk in archive.fact_chunks() {
        if written >= limit && !layout.is_empty() {
            break;
        }
        let df = chunk?;
        if layout.is_empty() {
            for name in df.get_column_names() {
                layout.push(name.to_string());
                if name.as_str() == "metric" {
                    layout.push("metric_name".to_string());
                }
            }
            for (c, name) in layout.iter().enumerate() {
                let label = l::fact_column(name, lang);
                header_cell(ws, f, 0, c, &label, fact_width(name)).map_err(xlsx_err)?;
            }
            ws.set_freeze_panes(1, 0).map_err(xlsx_err)?;
            ws.set_repeat_rows(0, 0).map_err(xlsx_err)?;
        }
        let columns: Vec<Option<&Column>> =
            layout.iter().map(|name| df.column(name).ok()).collect();
        let metric = df.column("metric")?;
        let rows = df.height().min(limit - written);
        for i in 0..rows {
            let r = (written + i + 1) as u32;
            for (c, (name, column)) in layout.iter().zip(&columns).enumerate() {
                let c = c as u16;
                let Some(column) = column else {
                    // metric_name
                    if let Some(key) = frames::str_at(metric, i) {
                        text(ws, r, c, &metric_label(&key, lang)).map_err(xlsx_err)?;
                    }
                    continue;
                };
                match column.dtype() {
                    DataType::Decimal(_, _) => {
                        amount(ws, r, c, frames::decimal_at(column, i), &value_format)
                            .map_err(xlsx_err)?;
                    }
                    DataType::Int32 => {
                        if let Some(v) = frames::i32_at(column, i) {
                            ws.write_number(r, c, f64::from(v)).map_err(xlsx_err)?;
                        }
                    }
                    DataType::Boolean => {
                        if let Ok(AnyValue::Boolean(v)) = column.get(i) {
                            ws.write_boolean(r, c, v).map_err(xlsx_err)?;
                        }
                    }
                    _ => {
                        if let Some(v) = frames::str_at(column, i) {
                            let shown = match name.as_str() {
                                "kind" => l::kind(&v, lang).to_string(),
                                "aspect" => l::aspect(&v, lang).to_string(),
                                "source" => l::source(&v, lang),
                                "location" => l::location(&v, lang),
                                _ => v,
                            };
                            text(ws, r, c, &shown).map_err(xlsx_err)?;
                        }
                    }
                }
            }
        }
        written += rows;
    }
    ws.autofilter(
        0,
        0,
        written.max(1) as u32,
        (layout.len().max(1) - 1) as u16,
    )
    .map_err(xlsx_err)?;
    if archive.fact_count > written {
        let note = match lang {
            crate::pipeline::Language::Zh => format!(
                "本表列出前 {written} 行（共 {} 行，上限 [output] fact_sheet_rows = {}）；完整明细见 facts.parquet",
                archive.fact_count, plan.fact_sheet_rows
            ),
            crate::pipeline::Language::En => format!(
                "The first {written} of {} rows ([output] fact_sheet_rows = {}); the full table is in facts.parquet",
                archive.fact_count, plan.fact_sheet_rows
            ),
        };
        ws.write_string((written + 1) as u32, 0, note)
            .map_err(xlsx_err)?;
    }
    Ok(())
}

/// The 明细 sheet's column widths.
fn fact_width(name: &str) -> f64 {
    match name {
        "doc_id" => 18.0,
        "department" => 32.0,
        "department_key" => 40.0,
        "region" => 20.0,
        "metric" => 30.0,
        "metric_name" => 24.0,
        "item" => 30.0,
        "value" => 14.0,
        "raw" => 16.0,
        "source" => 16.0,
        "file" => 50.0,
        "location" => 14.0,
        _ => 8.0,
    }
}

fn xlsx_err(e: XlsxError) -> PolarsError {
    PolarsError::ComputeError(e.to_string().into())
}

fn inputs(wb: &mut Workbook, archive: &Archive, plan: &Plan, f: &Formats) -> Result<(), XlsxError> {
    let lang = plan.language;
    let ws = wb
        .add_worksheet_with_low_memory()
        .set_name(l::SHEET_INPUTS.get(lang))?;
    let cols = [
        (l::FILE, 60.0),
        (l::STATUS, 10.0),
        (l::ENCODING, 14.0),
        (l::DEPARTMENT, 32.0),
        (l::YEAR, 8.0),
        (l::KIND, 8.0),
        (l::FACTS, 8.0),
        (l::TABLES, 60.0),
        (l::PROBLEMS, 60.0),
    ];
    header(ws, f, 0, &cols, lang)?;
    let mut r = 1;
    for i in &archive.inputs {
        text(ws, r, 0, &i.file)?;
        let status_format = match i.status {
            InputStatus::Failed => &f.error,
            InputStatus::Partial => &f.warning,
            _ => &f.info,
        };
        ws.write_string_with_format(r, 1, l::status(i.status, lang), status_format)?;
        text(ws, r, 2, i.encoding.as_deref().unwrap_or_default())?;
        text(ws, r, 3, i.department.as_deref().unwrap_or_default())?;
        year(ws, r, 4, i.fiscal_year)?;
        kind(ws, r, 5, i.kind, lang)?;
        ws.write_number(r, 6, i.facts as f64)?;
        text(ws, r, 7, &i.tables.join("；"))?;
        text(ws, r, 8, &i.errors.join("；"))?;
        r += 1;
    }
    filter(ws, 0, r - 1, cols.len())?;
    Ok(())
}

/// 变更: what changed since the previous run into the same output directory, first the
/// documents, then the anomalies, then the figures (lists capped as in run.json).
fn changes_sheet(
    wb: &mut Workbook,
    changes: &Changes,
    plan: &Plan,
    f: &Formats,
) -> Result<(), XlsxError> {
    let lang = plan.language;
    let ws = wb.add_worksheet().set_name(l::SHEET_CHANGES.get(lang))?;
    let cols = [
        (l::CHANGE, 18.0),
        (l::SUBJECT, 60.0),
        (l::DETAIL, 70.0),
        (l::BEFORE, 16.0),
        (l::AFTER, 16.0),
    ];
    header(ws, f, 0, &cols, lang)?;
    let mut r = 1;
    let Some(since) = &changes.previous_run else {
        text(ws, r, 0, l::FIRST_RUN.get(lang))?;
        text(ws, r, 2, changes.note.as_deref().unwrap_or_default())?;
        return Ok(());
    };
    text(ws, r, 0, l::SINCE.get(lang))?;
    text(ws, r, 1, since)?;
    r += 1;
    if !changes.any() {
        text(ws, r, 0, l::NO_CHANGE.get(lang))?;
        return Ok(());
    }
    let more = |ws: &mut Worksheet, r: &mut u32, label: L, shown: usize, count: usize| {
        if count > shown {
            let note = l::MORE_IN_RUN_JSON
                .get(lang)
                .replace("{n}", &(count - shown).to_string());
            text(ws, *r, 0, label.get(lang))?;
            text(ws, *r, 1, &note)?;
            *r += 1;
        }
        Ok::<(), XlsxError>(())
    };
    let d = &changes.documents;
    for (label, list) in [
        (l::DOC_ADDED, &d.added),
        (l::DOC_CHANGED, &d.changed),
        (l::DOC_REMOVED, &d.removed),
    ] {
        for file in &list.items {
            text(ws, r, 0, label.get(lang))?;
            text(ws, r, 1, file)?;
            r += 1;
        }
        more(ws, &mut r, label, list.items.len(), list.count)?;
    }
    let a = &changes.anomalies;
    for (label, list) in [(l::ANOMALY_NEW, &a.new), (l::ANOMALY_RESOLVED, &a.resolved)] {
        for x in &list.items {
            let format = match x.severity.as_str() {
                "error" => &f.error,
                "warning" => &f.warning,
                _ => &f.info,
            };
            ws.write_string_with_format(r, 0, label.get(lang), format)?;
            text(
                ws,
                r,
                1,
                format!("{} {}", x.file, l::location(&x.location, lang)).trim(),
            )?;
            let severity = match x.severity.as_str() {
                "error" => Severity::Error,
                "warning" => Severity::Warning,
                _ => Severity::Info,
            };
            text(
                ws,
                r,
                2,
                &format!(
                    "{} {}：{}",
                    l::severity(severity, lang),
                    l::rule_name(&x.rule, lang),
                    x.message
                ),
            )?;
            r += 1;
        }
        more(ws, &mut r, label, list.items.len(), list.count)?;
    }
    for h in &changes.headlines.items {
        text(ws, r, 0, l::FIGURE_CHANGED.get(lang))?;
        text(ws, r, 1, &h.department_key)?;
        text(
            ws,
            r,
            2,
            &format!(
                "{} · {} · {}",
                h.fiscal_year,
                l::kind(&h.kind, lang),
                metric_label(&h.metric, lang)
            ),
        )?;
        text(ws, r, 3, h.before.as_deref().unwrap_or("—"))?;
        text(ws, r, 4, h.after.as_deref().unwrap_or("—"))?;
        r += 1;
    }
    more(
        ws,
        &mut r,
        l::FIGURE_CHANGED,
        changes.headlines.items.len(),
        changes.headlines.count,
    )?;
    filter(ws, 0, r - 1, cols.len())?;
    Ok(())
}

fn rules(wb: &mut Workbook, archive: &Archive, plan: &Plan, f: &Formats) -> Result<(), XlsxError> {
    let lang = plan.language;
    let ws = wb.add_worksheet().set_name(l::SHEET_RULES.get(lang))?;
    let cols = [
        (l::RULE, 20.0),
        (l::SEVERITY, 10.0),
        (l::SCOPE, 10.0),
        (l::DESCRIPTION, 70.0),
        (l::THRESHOLDS, 40.0),
        (l::ENABLED, 8.0),
        (l::FLAGGED, 10.0),
        (l::NOT_RUN, 14.0),
        (l::RULE_ID, 26.0),
    ];
    header(ws, f, 0, &cols, lang)?;
    let settings = &plan.rules;
    let (_, by_rule) = archive.anomaly_counts().unwrap_or_default();
    let mut r = 1;
    for def in &catalog().rules {
        let severity = settings.severity(def);
        text(ws, r, 0, &l::rule_name(&def.id, lang))?;
        ws.write_string_with_format(r, 1, l::severity(severity, lang), f.severity(severity))?;
        text(ws, r, 2, l::scope(def.scope, lang))?;
        text(ws, r, 8, &def.id)?;
        text(
            ws,
            r,
            3,
            match lang {
                Language::Zh => &def.zh,
                Language::En => &def.en,
            },
        )?;
        let thresholds: Vec<String> = def
            .thresholds
            .iter()
            .map(|t| format!("{t} = {}", settings.threshold(t).normalize()))
            .collect();
        text(ws, r, 4, &thresholds.join("; "))?;
        text(
            ws,
            r,
            5,
            match (settings.enabled(&def.id), lang) {
                (true, Language::Zh) => "是",
                (false, Language::Zh) => "否",
                (true, Language::En) => "yes",
                (false, Language::En) => "no",
            },
        )?;
        ws.write_number(r, 6, count_of(&by_rule, &def.id) as f64)?;
        let not_run = match def.scope {
            Scope::Document => archive
                .documents
                .iter()
                .filter(|d| {
                    d.report
                        .checks
                        .iter()
                        .any(|c| c.rule == def.id && c.status == CheckState::Skipped)
                })
                .count(),
            Scope::Archive => usize::from(
                archive
                    .archive_checks
                    .iter()
                    .any(|c| c.rule == def.id && c.status == CheckState::Skipped),
            ),
        };
        ws.write_number(r, 7, not_run as f64)?;
        r += 1;
    }
    filter(ws, 0, r - 1, cols.len())?;
    Ok(())
}

/// The workbook as bytes.
///
/// # Errors
/// A message from rust_xlsxwriter or polars.
pub fn build(
    archive: &Archive,
    plan: &Plan,
    created: i64,
    changes: &Changes,
) -> Result<Vec<u8>, String> {
    let f = Formats::new();
    let mut wb = Workbook::new();
    // The big sheets are buffered in temporary files: beside the outputs (a filesystem the run
    // must be able to write anyway), not in TMPDIR, which may be small or missing.
    if let Some(dir) = plan
        .outputs
        .workbook
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        wb.set_tempdir(dir).map_err(|e| e.to_string())?;
    }
    let dt = ExcelDateTime::from_timestamp(created).map_err(|e| e.to_string())?;
    wb.set_properties(
        &DocProperties::new()
            .set_title("fiscal-archive report")
            .set_creation_datetime(&dt),
    );
    let generated = super::Timestamps::of(created);
    let flags = triage::sheet_rows(archive);
    let e = |e: XlsxError| e.to_string();
    overview(&mut wb, archive, plan, &generated, &f).map_err(e)?;
    changes_sheet(&mut wb, changes, plan, &f).map_err(e)?;
    departments(&mut wb, archive, plan, &f).map_err(e)?;
    archive_sheets::profile(&mut wb, archive, &flags, plan, &f).map_err(e)?;
    trends(&mut wb, archive, plan, &f).map_err(e)?;
    archive_sheets::charts(&mut wb, archive, plan, &f).map_err(e)?;
    anomalies(&mut wb, archive, &flags, plan, &f).map_err(e)?;
    statistics(&mut wb, archive, plan, &f).map_err(e)?;
    facts(&mut wb, archive, plan, &f).map_err(|e| e.to_string())?;
    inputs(&mut wb, archive, plan, &f).map_err(e)?;
    rules(&mut wb, archive, plan, &f).map_err(e)?;
    for ws in wb.worksheets_mut() {
        print_setup(ws, plan.language);
    }
    wb.save_to_buffer().map_err(e)
}
