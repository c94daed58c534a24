//! Two-sided summaries: 收入 on the left, 支出 on the right, each panel starting at a 项目
//! column (收入支出决算总表, 财政拨款收入支出决算总表, the budget 收支总表).
//!
//! A panel's row label names the metric (`本年收入合计`, `年末结转和结余`) or a function class
//! (`一、一般公共服务支出` → code 201); the value column may name it too (`一般公共预算财政拨款`),
//! combined through the `{column}`/`{fund}` templates of the signature. An indented label is a
//! part of the row above it (`  一般公共预算财政拨款` under `年初财政拨款结转和结余`).

use super::{
    column_paths, is_column_number_row, is_note_row, label_key, match_column, match_row,
    matrix::is_meta_row, Slot, Table, TableOutput,
};
use crate::catalog::{catalog, ColumnSpec, PanelSpec};
use crate::ingest::grid::Row;
use crate::model::{Aspect, Code};

struct Panel<'s> {
    label_col: usize,
    /// (column, its spec if the header names one)
    values: Vec<(usize, Option<&'s ColumnSpec>)>,
    spec: &'s PanelSpec,
}

fn expand(template: &str, column: Option<&ColumnSpec>) -> Option<String> {
    let mut m = template.to_string();
    if m.contains("{column}") {
        m = m.replace("{column}", column?.metric.as_deref()?);
    }
    if m.contains("{fund}") {
        m = m.replace("{fund}", column?.fund.as_deref()?);
    }
    Some(m)
}

pub(super) fn read(table: &Table<'_>, out: &mut TableOutput) {
    let rows = table.rows;
    let is_item_header = |r: &Row| r.non_empty().any(|(_, c)| c.key() == "项目");
    let Some(item_row) = rows.iter().position(is_item_header) else {
        return;
    };
    let header_start = rows[..item_row]
        .iter()
        .rposition(is_meta_row)
        .map_or(0, |i| i + 1);
    let starts: Vec<usize> = rows[item_row]
        .printed()
        .filter(|(_, c)| c.key() == "项目")
        .map(|(i, _)| i)
        .collect();
    // Header rows go on below the `项目` row while the 项目 cells are merged down and no number
    // is printed (市级 variant: 预算数 / 合计 · 基本支出 (人员经费, 公用经费) · 项目支出).
    let mut item_row = item_row;
    while let Some(next) = rows.get(item_row + 1) {
        let labels_merged = starts
            .iter()
            .all(|&c| next.cell(c).is_none_or(|cell| cell.merged));
        let numbers = next
            .non_empty()
            .any(|(_, c)| matches!(super::parse_cell(&c.text), super::CellValue::Number(_)));
        if !labels_merged || numbers || next.is_blank() {
            break;
        }
        item_row += 1;
    }
    let header: Vec<&Row> = rows[header_start..=item_row]
        .iter()
        .filter(|r| !r.is_blank() && !is_column_number_row(r))
        .collect();
    let paths = column_paths(&header);
    let width = paths.len();
    let panels: Vec<Panel<'_>> = starts
        .iter()
        .enumerate()
        .filter_map(|(n, &start)| {
            let spec = table.signature.panels.get(n)?;
            let end = starts.get(n + 1).copied().unwrap_or(width);
            let values = (start + 1..end)
                .filter(|&c| !paths[c].ends_with("行次"))
                .map(|c| (c, match_column(&paths[c], &spec.columns)))
                .collect();
            Some(Panel {
                label_col: start,
                values,
                spec,
            })
        })
        .collect();

    let functions = &catalog().functions;
    for panel in &panels {
        let mut parent: Option<String> = None;
        let mut seen: Vec<String> = Vec::new();
        for row in &rows[item_row + 1..] {
            if row.is_blank() || is_note_row(row) || is_column_number_row(row) {
                continue;
            }
            let Some(label_cell) = row.cell(panel.label_col) else {
                continue;
            };
            let key = label_key(&label_cell.text);
            let label = label_cell.text.trim().to_string();
            // (metric template, code, item)
            let named = match_row(&key, &panel.spec.rows);
            // A row named again (`一、一般公共预算财政拨款` under `年初财政拨款结转和结余`) is a
            // part of the row above it, as an indented one is.
            let repeated = named.is_some_and(|m| seen.iter().any(|s| s == m));
            let meaning: Option<(String, Option<Code>, Option<String>)> =
                if (label_cell.indent > 0 || repeated) && parent.is_some() {
                    parent.clone().map(|p| (p, None, Some(label.clone())))
                } else if let Some(m) = named {
                    parent = Some(m.to_string());
                    seen.push(m.to_string());
                    Some((m.to_string(), None, None))
                } else {
                    let class = functions.named(&key, 3);
                    match (class.as_slice(), &panel.spec.function_rows) {
                        ([entry], Some(template)) => {
                            parent = None;
                            out.printed_codes.push((entry.code.clone(), label.clone()));
                            Some((template.clone(), Some(entry.code.clone()), None))
                        }
                        _ => None,
                    }
                };
            let Some((template, code, item)) = meaning else {
                continue;
            };
            // A row named by a metric of its own (`本年支出合计`) is read in the panel's first
            // column; a `{column}` template reads every column (人员经费, 公用经费, 项目支出…).
            let per_column = template.contains('{');
            let first_value = panel
                .values
                .iter()
                .find(|(c, _)| row.cell(*c).is_some())
                .map(|(c, _)| *c);
            for (c, spec) in &panel.values {
                if !per_column && Some(*c) != first_value {
                    continue;
                }
                let Some(cell) = row.cell(*c) else { continue };
                let Some(metric) = expand(&template, *spec) else {
                    continue;
                };
                let slot = Slot::new(&metric, Aspect::Value)
                    .code(code.clone())
                    .item(item.clone());
                if let Some(f) = table.value_fact(slot, cell, &label) {
                    out.facts.push(f);
                }
            }
        }
    }
}
