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
    Chart, ChartMarker, ChartMarkerType, ChartType, Color, DocProperties, ExcelDateTime, Format,
    FormatAlign, Sparkline, SparklineType, Workbook, Worksheet, XlsxError,
};

use super::labels::{self as l, L};
use crate::analysis::changes::Changes;
use crate::analysis::{count_of, frames, Archive, InputStatus};
use crate::catalog::{catalog, Scope};
use crate::extract::CheckState;
use crate::model::{Kind, Severity};
use crate::pipeline::{Language, Plan};

/// Excel's last row index (1,048,576 rows).
const EXCEL_MAX_ROW: u32 = 1_048_575;
/// Series Excel draws in one chart.
const EXCEL_MAX_SERIES: usize = 255;
/// Excel's cell text limit.
const MAX_CELL_CHARS: usize = 32_767;

struct Formats {
    header: Format,
    amount: Format,
    percent: Format,
    derived: Format,
    wrap: Format,
    title: Format,
    error: Format,
    warning: Format,
    info: Format,
}

impl Formats {
    fn new() -> Formats {
        let header = Format::new()
            .set_bold()
            .set_background_color(Color::RGB(0x00D9_E1F2))
            .set_border_bottom(rust_xlsxwriter::FormatBorder::Thin);
        Formats {
            header,
            amount: Format::new().set_num_format("#,##0.00"),
            percent: Format::new().set_num_format("0.0%"),
            derived: Format::new()
                .set_num_format("#,##0.00")
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

fn clip(s: &str) -> String {
    if s.chars().count() <= MAX_CELL_CHARS {
        s.to_string()
    } else {
        s.chars()
            .take(MAX_CELL_CHARS - 1)
            .chain(std::iter::once('…'))
            .collect()
    }
}

/// Writes a header row with the given labels and widths; freezes and filters it.
fn header(
    ws: &mut Worksheet,
    f: &Formats,
    row: u32,
    cols: &[(L, f64)],
    lang: Language,
) -> Result<(), XlsxError> {
    for (c, (label, width)) in cols.iter().enumerate() {
        let c = c as u16;
        ws.write_string_with_format(row, c, label.get(lang), &f.header)?;
        ws.set_column_width(c, *width)?;
    }
    ws.set_freeze_panes(row + 1, 0)?;
    Ok(())
}

/// A header row inside a sheet (a second table under the first): labels only.
fn header_row(
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

fn filter(ws: &mut Worksheet, row: u32, last_row: u32, last_col: usize) -> Result<(), XlsxError> {
    ws.autofilter(row, 0, last_row.max(row), last_col.saturating_sub(1) as u16)?;
    Ok(())
}

fn text(ws: &mut Worksheet, row: u32, col: u16, s: &str) -> Result<(), XlsxError> {
    if !s.is_empty() {
        ws.write_string(row, col, clip(s))?;
    }
    Ok(())
}

/// A fiscal year as a number cell (empty when unknown).
fn year(ws: &mut Worksheet, row: u32, col: u16, y: Option<i32>) -> Result<(), XlsxError> {
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

fn amount(
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
fn percent(
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

fn metric_label(key: &str, lang: Language) -> String {
    match catalog().metric(key) {
        Some(m) => match lang {
            Language::Zh => m.zh.clone(),
            Language::En => m.en.clone(),
        },
        None => key.to_string(),
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
    generated: &str,
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
        (l::GENERATED_AT, generated.to_string()),
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
        ws.write_string(r, 0, &rule)?;
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
        let label = match lang {
            Language::Zh => format!("{}（万元）", m.zh),
            Language::En => format!("{} (10k yuan)", m.en),
        };
        ws.write_string_with_format(0, (first_metric + i) as u16, label, &f.header)?;
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
    // (metric key, first row, last row) of each headline metric's rows, for charts.
    let mut headline_rows: BTreeMap<String, Vec<(u32, String)>> = BTreeMap::new();
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
        if row.code.is_none() {
            headline_rows.entry(row.metric.clone()).or_default().push((
                r,
                format!("{} ({})", row.department, l::kind(&row.kind, lang)),
            ));
        }
        r += 1;
    }
    let last = r - 1;
    filter(ws, 0, last, cols.len())?;
    // One line chart per headline metric: departments as series, years as categories.
    if !years.is_empty() {
        let mut slot = 0u32;
        for m in catalog().headlines() {
            let Some(rows) = headline_rows.get(m.key.as_str()) else {
                continue;
            };
            let mut chart = Chart::new(ChartType::Line);
            chart
                .title()
                .set_name(metric_label(m.key.as_str(), lang).as_str());
            // Excel draws at most 255 series in a chart.
            for (row, name) in rows.iter().take(EXCEL_MAX_SERIES) {
                chart
                    .add_series()
                    .set_marker(ChartMarker::new().set_type(ChartMarkerType::Circle))
                    .set_name(name.as_str())
                    .set_categories((sheet, 0, first_year as u16, 0, (after - 1) as u16))
                    .set_values((sheet, *row, first_year as u16, *row, (after - 1) as u16));
            }
            let anchor_row = last + 2 + (slot / 2) * 16;
            let anchor_col = if slot.is_multiple_of(2) { 0 } else { 4 };
            ws.insert_chart(anchor_row, anchor_col, &chart)?;
            slot += 1;
        }
    }
    Ok(())
}

fn anomalies(
    wb: &mut Workbook,
    archive: &Archive,
    plan: &Plan,
    f: &Formats,
) -> Result<(), XlsxError> {
    let lang = plan.language;
    let ws = wb
        .add_worksheet_with_low_memory()
        .set_name(l::SHEET_ANOMALIES.get(lang))?;
    let cols = [
        (l::SEVERITY, 10.0),
        (l::RULE, 26.0),
        (l::DEPARTMENT, 32.0),
        (l::YEAR, 8.0),
        (l::KIND, 8.0),
        (l::MESSAGE, 60.0),
        (l::EVIDENCE, 40.0),
        (l::LOCATION, 12.0),
        (l::EXPECTED, 16.0),
        (l::FOUND, 16.0),
        (l::DIFFERENCE, 10.0),
        (l::METRIC_KEY, 30.0),
        (l::CODE, 10.0),
        (l::ITEM_NAME, 24.0),
        (l::FILE, 60.0),
    ];
    header(ws, f, 0, &cols, lang)?;
    let mut r = 1;
    for x in &archive.findings {
        let a = &x.anomaly;
        let doc = x.document.and_then(|i| archive.documents.get(i));
        ws.write_string_with_format(r, 0, l::severity(a.severity, lang), f.severity(a.severity))?;
        text(ws, r, 1, &a.rule)?;
        if let Some(d) = doc {
            let id = &d.report.document;
            text(ws, r, 2, id.department.as_deref().unwrap_or(&d.key))?;
            year(ws, r, 3, id.fiscal_year)?;
            kind(ws, r, 4, id.kind, lang)?;
            text(ws, r, 14, &d.report.file)?;
        }
        ws.write_string_with_format(r, 5, clip(&a.message), &f.wrap)?;
        text(ws, r, 6, &a.evidence)?;
        text(
            ws,
            r,
            7,
            &a.location.as_ref().map_or(String::new(), |l| l.to_string()),
        )?;
        text(ws, r, 8, a.expected.as_deref().unwrap_or_default())?;
        text(ws, r, 9, a.found.as_deref().unwrap_or_default())?;
        text(ws, r, 10, a.difference.as_deref().unwrap_or_default())?;
        text(ws, r, 11, a.metric.as_ref().map_or("", |m| m.as_str()))?;
        text(ws, r, 12, a.code.as_ref().map_or("", |c| c.as_str()))?;
        text(ws, r, 13, a.item.as_deref().unwrap_or_default())?;
        r += 1;
    }
    filter(ws, 0, r - 1, cols.len())?;
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
        for (c, v) in [s.sum, s.mean, s.median, s.p10, s.p90, s.min, s.max]
            .iter()
            .enumerate()
        {
            amount(ws, r, (4 + c) as u16, Some(*v), &f.amount)?;
        }
        text(ws, r, 11, &row.metric)?;
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
/// facts, which facts.parquet holds; the sheet says when it stops short.
fn facts(wb: &mut Workbook, archive: &Archive, plan: &Plan, f: &Formats) -> PolarsResult<()> {
    let lang = plan.language;
    let limit = plan.fact_sheet_rows.min((EXCEL_MAX_ROW - 2) as usize);
    let ws = wb.add_worksheet_with_low_memory();
    ws.set_name(l::SHEET_FACTS.get(lang)).map_err(xlsx_err)?;
    let widths = [
        18.0, 32.0, 40.0, 20.0, 8.0, 8.0, 34.0, 10.0, 30.0, 14.0, 14.0, 8.0, 18.0, 16.0, 50.0, 12.0,
    ];
    let value_format = Format::new().set_num_format("#,##0.00####");
    let mut written = 0usize;
    let mut columns_count = 0usize;
    for chunk in archive.fact_chunks() {
        if written >= limit && columns_count > 0 {
            break;
        }
        let df = chunk?;
        if columns_count == 0 {
            let names: Vec<String> = df
                .get_column_names()
                .iter()
                .map(|n| n.to_string())
                .collect();
            for (c, name) in names.iter().enumerate() {
                let c = c as u16;
                ws.set_column_width(c, widths.get(c as usize).copied().unwrap_or(14.0))
                    .map_err(xlsx_err)?;
                ws.write_string_with_format(0, c, name, &f.header)
                    .map_err(xlsx_err)?;
            }
            ws.set_freeze_panes(1, 0).map_err(xlsx_err)?;
            columns_count = names.len();
        }
        let columns: Vec<&Column> = df.columns().iter().collect();
        let rows = df.height().min(limit - written);
        for i in 0..rows {
            let r = (written + i + 1) as u32;
            for (c, column) in columns.iter().enumerate() {
                let c = c as u16;
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
                            text(ws, r, c, &v).map_err(xlsx_err)?;
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
        (columns_count.max(1) - 1) as u16,
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
        ws.write_string_with_format(r, 1, i.status.as_str(), status_format)?;
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
            text(ws, r, 1, format!("{} {}", x.file, x.location).trim())?;
            text(
                ws,
                r,
                2,
                &format!("{} {}: {}", x.severity, x.rule, x.message),
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
            &format!("{} · {} · {}", h.fiscal_year, h.kind, h.metric),
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
        (l::RULE, 26.0),
        (l::SEVERITY, 10.0),
        (l::SCOPE, 10.0),
        (l::DESCRIPTION, 70.0),
        (l::THRESHOLDS, 40.0),
        (l::ENABLED, 8.0),
        (l::FLAGGED, 10.0),
        (l::NOT_RUN, 14.0),
    ];
    header(ws, f, 0, &cols, lang)?;
    let settings = &plan.rules;
    let (_, by_rule) = archive.anomaly_counts().unwrap_or_default();
    let mut r = 1;
    for def in &catalog().rules {
        let severity = settings.severity(def);
        text(ws, r, 0, &def.id)?;
        ws.write_string_with_format(r, 1, l::severity(severity, lang), f.severity(severity))?;
        text(ws, r, 2, def.scope.as_str())?;
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
            if settings.enabled(&def.id) {
                "✓"
            } else {
                "—"
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
    generated: &str,
    created: Option<i64>,
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
    let mut props = DocProperties::new().set_title("fiscal-archive report");
    if let Some(ts) = created {
        let dt = ExcelDateTime::from_timestamp(ts).map_err(|e| e.to_string())?;
        props = props.set_creation_datetime(&dt);
    }
    wb.set_properties(&props);
    let e = |e: XlsxError| e.to_string();
    overview(&mut wb, archive, plan, generated, &f).map_err(e)?;
    changes_sheet(&mut wb, changes, plan, &f).map_err(e)?;
    departments(&mut wb, archive, plan, &f).map_err(e)?;
    trends(&mut wb, archive, plan, &f).map_err(e)?;
    anomalies(&mut wb, archive, plan, &f).map_err(e)?;
    statistics(&mut wb, archive, plan, &f).map_err(e)?;
    facts(&mut wb, archive, plan, &f).map_err(|e| e.to_string())?;
    inputs(&mut wb, archive, plan, &f).map_err(e)?;
    rules(&mut wb, archive, plan, &f).map_err(e)?;
    wb.save_to_buffer().map_err(e)
}
