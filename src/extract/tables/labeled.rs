//! Labeled tables: rows or columns named by phrases (“三公”经费 tables).
//!
//! In the 决算 form, rows name the measure (`1、因公出国（境）费`) and columns the aspect
//! (`预算数` → budget, `决算数` → value); in the budget form the measures are column headers over
//! a single row of amounts. A number takes its measure from the row label when that matches,
//! else from its column header.

use super::{
    column_paths, is_column_number_row, is_note_row, label_key, match_column, match_row,
    matrix::is_meta_row, parse_cell, CellValue, Slot, Table, TableOutput,
};
use crate::ingest::grid::Row;
use crate::model::Aspect;

fn has_number(row: &Row) -> bool {
    row.non_empty().any(|(_, c)| {
        matches!(
            parse_cell(&c.text),
            CellValue::Number(_) | CellValue::Percent(_) | CellValue::Placeholder
        )
    })
}

pub(super) fn read(table: &Table<'_>, out: &mut TableOutput) {
    let rows = table.rows;
    let signature = table.signature;
    let start = rows.iter().rposition(is_meta_row).map_or(0, |i| i + 1);
    let first_data = (start..rows.len())
        .find(|&i| has_number(&rows[i]) && !is_column_number_row(&rows[i]))
        .unwrap_or(rows.len());
    let header: Vec<&Row> = rows[start..first_data]
        .iter()
        .filter(|r| !r.is_blank() && !is_column_number_row(r))
        .collect();
    let paths = column_paths(&header);

    for row in &rows[first_data..] {
        if row.is_blank() || is_note_row(row) || is_column_number_row(row) {
            continue;
        }
        let label_cell = row.non_empty().next();
        let row_metric =
            label_cell.and_then(|(_, c)| match_row(&label_key(&c.text), &signature.rows));
        let label = label_cell
            .map(|(_, c)| c.text.trim().to_string())
            .unwrap_or_default();
        for (c, cell) in row.non_empty() {
            if Some(c) == label_cell.map(|(i, _)| i) && row_metric.is_some() {
                continue;
            }
            let spec = paths
                .get(c)
                .and_then(|p| match_column(p, &signature.columns));
            let Some(metric) = row_metric.or_else(|| spec.and_then(|s| s.metric.as_deref())) else {
                continue;
            };
            let aspect = spec.and_then(|s| s.aspect).unwrap_or(Aspect::Value);
            if let Some(f) = table.value_fact(Slot::new(metric, aspect), cell, &label) {
                out.facts.push(f);
            }
        }
    }
}
