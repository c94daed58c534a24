//! The two sheets that read the whole archive at a glance:
//!
//! - 部门画像 (department profile): the auditor picks a department in a drop-down (B1) and its
//!   headline figures by year, their chart and its flag counts follow through formulas over the
//!   部门年度 and 异常 sheets — no macro. The cached results are those of the department shown
//!   when the file opens, so a reader that does not recalculate still shows true figures.
//! - 图表 (charts): totals of all departments by year and kind, the distribution across
//!   departments (P10, quartiles, median, P90) and the top movers — each chart at most
//!   [`MAX_SERIES`] series, whatever the archive's size.

use std::collections::BTreeMap;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use rust_xlsxwriter::{
    utility::column_number_to_name, Chart, ChartEmptyCells, ChartMarker, ChartMarkerType,
    ChartType, Color, ConditionalFormatError, DataValidation, Format, Formula, Workbook, XlsxError,
};

use super::labels::{self as l, L};
use super::workbook::{
    amount, header_cell, header_row, headline_label, metric_label, percent, text, Formats,
};
use crate::analysis::{trends, triage, Archive};
use crate::catalog::{catalog, MetricDef};
use crate::model::{Kind, Severity};
use crate::pipeline::Plan;

/// Series in one chart (the readability limit; Excel's is 255).
pub const MAX_SERIES: usize = 20;

/// The headline measures the profile and the charts show, in this order, when catalogued.
const PROFILE_METRICS: [&str; 4] = [
    "income.total",
    "expenditure.total",
    "expenditure.basic",
    "expenditure.project",
];
const CHART_METRICS: [&str; 2] = ["income.total", "expenditure.total"];
/// The measure whose distribution and movers the 图表 sheet shows.
const SPREAD_METRIC: &str = "expenditure.total";
/// Departments listed as top movers.
const TOP_MOVERS: usize = 10;

/// 部门年度's columns (see `workbook::departments`): identity, year, kind, first measure.
const DEPT_IDENTITY_COL: u16 = 1;
const DEPT_YEAR_COL: u16 = 3;
const DEPT_KIND_COL: u16 = 4;
const DEPT_FIRST_METRIC_COL: u16 = 5;
const DEPT_NAME_COL: u16 = 0;
/// 异常's columns (see `workbook::anomalies`): severity, year, identity.
const ANOMALY_SEVERITY_COL: u16 = 0;
const ANOMALY_YEAR_COL: u16 = 3;
const ANOMALY_IDENTITY_COL: u16 = 20;

fn defs(keys: &[&str]) -> Vec<&'static MetricDef> {
    keys.iter()
        .filter_map(|k| catalog().headlines().find(|m| m.key.as_str() == *k))
        .collect()
}

fn whole_column(sheet: &str, col: u16) -> String {
    let c = column_number_to_name(col);
    format!("'{sheet}'!${c}:${c}")
}

/// A chart of the data block `(sheet, header row, last row)`: categories in column 0, one
/// series per column of `columns` (at most [`MAX_SERIES`]), each named by its header cell.
fn block_chart(
    kind: ChartType,
    (sheet, head, last): (&str, u32, u32),
    title: &str,
    columns: std::ops::Range<u16>,
    markers: bool,
) -> Chart {
    let mut chart = Chart::new(kind);
    chart.title().set_name(title);
    for c in columns.take(MAX_SERIES) {
        let series = chart.add_series();
        if markers {
            series.set_marker(ChartMarker::new().set_type(ChartMarkerType::Circle));
        }
        series
            .set_name((sheet, head, c))
            .set_categories((sheet, head + 1, 0, last, 0))
            .set_values((sheet, head + 1, c, last, c));
    }
    chart
}

/// Every year of the archive's documents, gaps filled ([`trends::year_span`]).
fn years_span(archive: &Archive) -> Vec<i32> {
    trends::year_span(
        archive
            .documents
            .iter()
            .filter_map(|d| d.report.document.fiscal_year),
    )
}

fn to_f64(d: Decimal) -> String {
    d.to_f64()
        .map_or_else(|| "#N/A".to_string(), |v| v.to_string())
}

/// 部门画像: the drop-down, the department's name, its headline measures by year and kind
/// (AVERAGEIFS over 部门年度: one figure however many formats the document comes in), a line
/// chart of them and its flags by year and severity (COUNTIFS over 异常).
pub(super) fn profile(
    wb: &mut Workbook,
    archive: &Archive,
    rows: &[triage::SheetRow<'_>],
    plan: &Plan,
    f: &Formats,
) -> Result<(), XlsxError> {
    let lang = plan.language;
    let sheet = l::SHEET_PROFILE.get(lang);
    let dept_sheet = l::SHEET_DEPARTMENTS.get(lang);
    let anomaly_sheet = l::SHEET_ANOMALIES.get(lang);
    let ws = wb.add_worksheet().set_name(sheet)?;
    let order = archive.department_order();
    // Every identity once, in 部门年度's order; the one shown first is the department with the
    // most documents (the richest profile), the first such in that order.
    let mut unique: Vec<(&str, usize)> = Vec::new();
    for &i in &order {
        let key = archive.documents[i].key.as_str();
        match unique.last_mut() {
            Some((k, n)) if *k == key => *n += 1,
            _ => unique.push((key, 1)),
        }
    }
    let chosen = unique
        .iter()
        .fold(None::<(&str, usize)>, |best, &(k, n)| match best {
            Some((_, m)) if m >= n => best,
            _ => Some((k, n)),
        })
        .map_or("", |(k, _)| k);
    let unique: Vec<&str> = unique.into_iter().map(|(k, _)| k).collect();
    let years = years_span(archive);
    let metrics = defs(&PROFILE_METRICS);
    let kinds = [Kind::Budget, Kind::Final];

    ws.write_string_with_format(0, 0, l::PICK_DEPARTMENT.get(lang), &f.header)?;
    ws.set_column_width(0, 18.0)?;
    let pick = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0x00FF_F2CC))
        .set_border(rust_xlsxwriter::FormatBorder::Medium);
    ws.write_string_with_format(0, 1, chosen, &pick)?;
    ws.set_column_width(1, 40.0)?;
    ws.write_string_with_format(1, 0, l::DEPARTMENT_NAME.get(lang), &f.header)?;
    let name_of = |key: &str| {
        archive
            .documents
            .iter()
            .find(|d| d.key == key)
            .and_then(|d| d.report.document.department.clone())
            .unwrap_or_default()
    };
    let dept = |c: u16| whole_column(dept_sheet, c);
    ws.write_formula(
        1,
        1,
        Formula::new(format!(
            "=IFERROR(INDEX({},MATCH($B$1,{},0)),\"\")",
            dept(DEPT_NAME_COL),
            dept(DEPT_IDENTITY_COL)
        ))
        .set_result(name_of(chosen)),
    )?;
    ws.write_string(2, 0, l::PROFILE_HINT.get(lang))?;

    // The drop-down's list: every identity, in a column at the far right of this sheet.
    let list_col: u16 = 30;
    header_cell(
        ws,
        f,
        0,
        list_col as usize,
        l::DEPARTMENT_LIST.get(lang),
        40.0,
    )?;
    for (i, k) in unique.iter().enumerate() {
        ws.write_string(1 + i as u32, list_col, *k)?;
    }
    if !unique.is_empty() {
        let c = column_number_to_name(list_col);
        let list = Formula::new(format!("=${c}$2:${c}${}", unique.len() + 1));
        let validation = DataValidation::new()
            .allow_list_formula(list)
            .set_input_title(l::PICK_DEPARTMENT.get(lang))?;
        ws.add_data_validation(0, 1, 0, 1, &validation)?;
    }

    // The table: year, a column per measure × kind, then flag counts by severity.
    let top = 4u32;
    let mut labels: Vec<String> = vec![l::YEAR.get(lang).to_string()];
    let mut series: Vec<(&MetricDef, Kind)> = Vec::new();
    for m in &metrics {
        for k in kinds {
            labels.push(format!(
                "{} · {}",
                headline_label(m, lang),
                l::kind(k.as_str(), lang)
            ));
            series.push((m, k));
        }
    }
    let severities = [Severity::Error, Severity::Warning, Severity::Info];
    for s in severities {
        labels.push(l::severity(s, lang).to_string());
    }
    for (c, label) in labels.iter().enumerate() {
        header_cell(ws, f, top, c, label, if c == 0 { 18.0 } else { 14.0 })?;
    }
    ws.set_repeat_rows(0, top)?;
    ws.set_freeze_panes(top + 1, 0)?;

    // What the chosen department's formulas evaluate to (cached results).
    let mut figures: BTreeMap<(i32, Kind, &str), Vec<Decimal>> = BTreeMap::new();
    for d in archive.documents.iter().filter(|d| d.key == chosen) {
        let id = &d.report.document;
        let (Some(y), Some(k)) = (id.fiscal_year, id.kind) else {
            continue;
        };
        for m in &metrics {
            if let Some(v) = d.facts.stated(m.key.as_str()) {
                figures.entry((y, k, m.key.as_str())).or_default().push(v);
            }
        }
    }
    let mut flags: BTreeMap<(i32, Severity), usize> = BTreeMap::new();
    for row in rows {
        let Some(d) = row.finding.document.and_then(|i| archive.documents.get(i)) else {
            continue;
        };
        if let (true, Some(y)) = (d.key == chosen, d.report.document.fiscal_year) {
            *flags.entry((y, row.finding.anomaly.severity)).or_default() += 1;
        }
    }

    let missing = Format::new().set_font_color(Color::RGB(0x00BF_BFBF));
    for (i, y) in years.iter().enumerate() {
        let r = top + 1 + i as u32;
        let yref = format!("$A{}", r + 1);
        ws.write_number(r, 0, f64::from(*y))?;
        for (j, (m, k)) in series.iter().enumerate() {
            let col = DEPT_FIRST_METRIC_COL
                + catalog()
                    .headlines()
                    .position(|h| h.key.as_str() == m.key.as_str())
                    .unwrap_or_default() as u16;
            let formula = format!(
                "=IFERROR(AVERAGEIFS({},{},$B$1,{},{yref},{},\"{}\"),NA())",
                dept(col),
                dept(DEPT_IDENTITY_COL),
                dept(DEPT_YEAR_COL),
                dept(DEPT_KIND_COL),
                l::kind(k.as_str(), lang)
            );
            let cached = figures
                .get(&(*y, *k, m.key.as_str()))
                .and_then(|v| {
                    let n = Decimal::from(v.len());
                    v.iter()
                        .try_fold(Decimal::ZERO, |a, b| a.checked_add(*b))
                        .and_then(|s| s.checked_div(n))
                })
                .map_or_else(|| "#N/A".to_string(), to_f64);
            ws.write_formula_with_format(
                r,
                (1 + j) as u16,
                Formula::new(formula).set_result(cached),
                &f.amount,
            )?;
        }
        for (j, s) in severities.iter().enumerate() {
            let formula = format!(
                "=COUNTIFS({},$B$1,{},{yref},{},\"{}\")",
                whole_column(anomaly_sheet, ANOMALY_IDENTITY_COL),
                whole_column(anomaly_sheet, ANOMALY_YEAR_COL),
                whole_column(anomaly_sheet, ANOMALY_SEVERITY_COL),
                l::severity(*s, lang)
            );
            let n = flags.get(&(*y, *s)).copied().unwrap_or(0);
            ws.write_formula(
                r,
                (1 + series.len() + j) as u16,
                Formula::new(formula).set_result(n.to_string()),
            )?;
        }
    }
    let last = top + years.len() as u32;
    if !years.is_empty() {
        // Years without a figure show #N/A (so the chart leaves a gap, not a zero), greyed.
        ws.add_conditional_format(
            top + 1,
            1,
            last,
            series.len() as u16,
            &ConditionalFormatError::new().set_format(&missing),
        )?;
        let columns = 1..1 + series.len() as u16;
        let mut chart = block_chart(
            ChartType::Line,
            (sheet, top, last),
            l::SHEET_PROFILE.get(lang),
            columns,
            true,
        );
        // A year without a figure (#N/A) is a gap in the line, not a fall to zero.
        chart
            .show_na_as_empty_cell()
            .show_empty_cells_as(ChartEmptyCells::Gaps);
        chart.set_width(900).set_height(380);
        ws.insert_chart(last + 2, 0, &chart)?;
    }
    // The list column is hidden and left out of the printed page (table and chart, ~20 rows
    // below the table).
    ws.set_column_hidden(list_col)?;
    let last_col = (series.len() + severities.len()) as u16;
    ws.set_print_area(0, 0, last + 22, last_col)?;
    Ok(())
}

/// 图表: archive-level data blocks, each with its chart beside it.
pub(super) fn charts(
    wb: &mut Workbook,
    archive: &Archive,
    plan: &Plan,
    f: &Formats,
) -> Result<(), XlsxError> {
    let lang = plan.language;
    let sheet = l::SHEET_CHARTS.get(lang);
    let ws = wb.add_worksheet().set_name(sheet)?;
    let years = years_span(archive);
    let stats: BTreeMap<(i32, &str, &str), &crate::analysis::statistics::Summary> = archive
        .statistics
        .rows
        .iter()
        .map(|s| {
            (
                (s.fiscal_year, s.kind.as_str(), s.metric.as_str()),
                &s.summary,
            )
        })
        .collect();
    let kinds = [Kind::Budget, Kind::Final];
    let chart_col: u16 = 8;
    let mut r = 0u32;

    // 1. Totals by year and kind: one chart per measure, a series per kind.
    ws.write_string_with_format(r, 0, l::TOTALS_BY_YEAR.get(lang), &f.title)?;
    r += 1;
    for m in defs(&CHART_METRICS) {
        let top = r;
        let mut labels = vec![l::YEAR.get(lang).to_string()];
        labels.extend(kinds.iter().map(|k| {
            format!(
                "{} · {}",
                headline_label(m, lang),
                l::kind(k.as_str(), lang)
            )
        }));
        for (c, label) in labels.iter().enumerate() {
            ws.write_string_with_format(top, c as u16, label, &f.header)?;
        }
        for (i, y) in years.iter().enumerate() {
            let row = top + 1 + i as u32;
            ws.write_number(row, 0, f64::from(*y))?;
            for (j, k) in kinds.iter().enumerate() {
                let v = stats.get(&(*y, k.as_str(), m.key.as_str())).map(|s| s.sum);
                amount(ws, row, (1 + j) as u16, v, &f.amount)?;
            }
        }
        let last = top + years.len().max(1) as u32;
        let title = format!(
            "{}（{}）",
            metric_label(m.key.as_str(), lang),
            l::TOTAL.get(lang)
        );
        let columns = 1..1 + kinds.len() as u16;
        let mut chart = block_chart(ChartType::Line, (sheet, top, last), &title, columns, true);
        chart.set_width(640).set_height(300);
        ws.insert_chart(top, chart_col, &chart)?;
        r = (last + 2).max(top + 16);
    }

    // 2. The distribution across departments of one measure, per kind.
    ws.write_string_with_format(r, 0, l::DISTRIBUTION.get(lang), &f.title)?;
    r += 1;
    if let Some(m) = defs(&[SPREAD_METRIC]).first() {
        let quantiles: [L; 5] = [l::P10, l::P25, l::MEDIAN, l::P75, l::P90];
        for k in kinds {
            let top = r;
            ws.write_string_with_format(
                top,
                0,
                format!(
                    "{} · {}",
                    headline_label(m, lang),
                    l::kind(k.as_str(), lang)
                ),
                &f.title,
            )?;
            let head = top + 1;
            let mut labels = vec![l::YEAR];
            labels.extend(quantiles);
            labels.push(l::DEPARTMENT_COUNT);
            header_row(ws, f, head, &labels, lang)?;
            for (i, y) in years.iter().enumerate() {
                let row = head + 1 + i as u32;
                ws.write_number(row, 0, f64::from(*y))?;
                if let Some(s) = stats.get(&(*y, k.as_str(), m.key.as_str())) {
                    for (j, v) in [s.p10, s.p25, s.median, s.p75, s.p90].iter().enumerate() {
                        amount(ws, row, (1 + j) as u16, Some(*v), &f.amount)?;
                    }
                    ws.write_number(row, 6, s.count as f64)?;
                }
            }
            let last = head + years.len().max(1) as u32;
            let title = format!(
                "{} · {}",
                metric_label(m.key.as_str(), lang),
                l::kind(k.as_str(), lang)
            );
            let columns = 1..1 + quantiles.len() as u16;
            let mut chart =
                block_chart(ChartType::Line, (sheet, head, last), &title, columns, false);
            chart.set_width(640).set_height(300);
            ws.insert_chart(top, chart_col, &chart)?;
            r = (last + 2).max(top + 16);
        }
    }

    // 3. Top movers: the largest changes of the measure from a department's previous year to
    // its latest.
    ws.write_string_with_format(r, 0, l::TOP_MOVERS.get(lang), &f.title)?;
    r += 1;
    let head = r;
    header_row(
        ws,
        f,
        head,
        &[
            l::DEPARTMENT,
            l::KIND,
            l::YEAR,
            l::PRIOR,
            l::LATEST,
            l::CHANGE_AMOUNT,
            l::CHANGE_PCT,
        ],
        lang,
    )?;
    let movers = top_movers(archive);
    if movers.is_empty() {
        ws.write_string(head + 1, 0, l::NO_DATA.get(lang))?;
    }
    for (i, m) in movers.iter().enumerate() {
        let row = head + 1 + i as u32;
        text(ws, row, 0, &m.department)?;
        text(ws, row, 1, l::kind(&m.kind, lang))?;
        ws.write_number(row, 2, f64::from(m.year))?;
        amount(ws, row, 3, Some(m.prior), &f.amount)?;
        amount(ws, row, 4, Some(m.latest), &f.amount)?;
        amount(ws, row, 5, Some(m.change), &f.amount)?;
        let pct = (!m.prior.is_zero())
            .then(|| m.change.checked_div(m.prior))
            .flatten()
            .and_then(|x| x.checked_mul(Decimal::ONE_HUNDRED));
        percent(ws, row, 6, pct, f)?;
    }
    if !movers.is_empty() {
        let last = head + movers.len() as u32;
        let title = format!(
            "{}：{}",
            l::TOP_MOVERS.get(lang),
            metric_label(SPREAD_METRIC, lang)
        );
        let mut chart = block_chart(ChartType::Bar, (sheet, head, last), &title, 5..6, false);
        chart.set_width(640).set_height(360);
        chart.legend().set_hidden();
        ws.insert_chart(head, chart_col, &chart)?;
    }
    // Widths for the longest labels of the blocks (`收入总计（万元） · 预算`).
    ws.set_column_width(0, 32.0)?;
    for c in 1..=6 {
        ws.set_column_width(c, 24.0)?;
    }
    ws.set_repeat_rows(0, 0)?;
    Ok(())
}

struct Mover {
    department: String,
    kind: String,
    year: i32,
    prior: Decimal,
    latest: Decimal,
    change: Decimal,
}

/// Per department and kind, the measure's change from the year before its latest year to the
/// latest (both printed, none derived); the [`TOP_MOVERS`] largest by size.
fn top_movers(archive: &Archive) -> Vec<Mover> {
    let mut movers: Vec<Mover> = archive
        .trends
        .rows
        .iter()
        .filter(|t| t.metric == SPREAD_METRIC && t.code.is_none())
        .filter_map(|t| {
            let (&year, latest) = t.points.iter().next_back()?;
            let prior = t.points.get(&(year - 1))?;
            if latest.derived || prior.derived {
                return None;
            }
            Some(Mover {
                department: t.department.clone(),
                kind: t.kind.clone(),
                year,
                prior: prior.value,
                latest: latest.value,
                change: latest.value.checked_sub(prior.value)?,
            })
        })
        .collect();
    movers.sort_by(|a, b| {
        b.change
            .abs()
            .cmp(&a.change.abs())
            .then_with(|| a.department.cmp(&b.department))
            .then_with(|| a.kind.cmp(&b.kind))
    });
    movers.truncate(TOP_MOVERS);
    movers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_columns_are_quoted_absolute_references() {
        assert_eq!(whole_column("部门年度", 1), "'部门年度'!$B:$B");
        assert_eq!(whole_column("异常", 20), "'异常'!$U:$U");
    }
}
