//! Code panels: (科目编码, 科目名称, 决算数) repeated side by side (基本支出决算明细表).
//!
//! Each panel is read independently; a total row (`人员经费合计`) takes its value from its own
//! panel or, when that is empty, from the next panel to the right that prints no label of its
//! own (the 公用经费合计 of 公开06表 sits in the third panel's value column).

use super::{is_note_row, label_key, match_row, Slot, Table, TableOutput};
use crate::ingest::grid::Row;
use crate::model::{Aspect, Code};

pub(super) fn read(table: &Table<'_>, out: &mut TableOutput) {
    let rows = table.rows;
    let Some(metric) = table.signature.metric.as_deref() else {
        return;
    };
    let is_code_header =
        |r: &Row| r.non_empty().filter(|(_, c)| c.key() == "科目编码").count() >= 1;
    let Some(header) = rows.iter().position(is_code_header) else {
        return;
    };
    // Panels: (code col, name col, value col).
    let panels: Vec<(usize, usize, usize)> = rows[header]
        .non_empty()
        .filter(|(_, c)| c.key() == "科目编码")
        .map(|(i, _)| (i, i + 1, i + 2))
        .collect();

    for row in &rows[header + 1..] {
        if row.is_blank() || is_note_row(row) {
            continue;
        }
        for (n, &(code_col, name_col, value_col)) in panels.iter().enumerate() {
            if let Some(code) = row.cell(code_col).and_then(|c| Code::parse(&c.text)) {
                let name = row
                    .cell(name_col)
                    .map(|c| c.text.trim().to_string())
                    .unwrap_or_default();
                out.printed_codes.push((code.clone(), name.clone()));
                if let Some(cell) = row.cell(value_col) {
                    let slot = Slot::new(metric, Aspect::Value).code(Some(code));
                    if let Some(f) = table.value_fact(slot, cell, &name) {
                        out.facts.push(f);
                    }
                }
                continue;
            }
            let Some(label_cell) = row.cell(code_col) else {
                continue;
            };
            let Some(total_metric) = match_row(&label_key(&label_cell.text), &table.signature.rows)
            else {
                continue;
            };
            // The value: own panel, else the next unlabeled panel's value column.
            let value_cell = row.cell(value_col).or_else(|| {
                panels[n + 1..]
                    .iter()
                    .take_while(|(c, m, _)| row.cell(*c).is_none() && row.cell(*m).is_none())
                    .find_map(|(_, _, v)| row.cell(*v))
            });
            if let Some(cell) = value_cell {
                let label = label_cell.text.trim().to_string();
                if let Some(f) =
                    table.value_fact(Slot::new(total_metric, Aspect::Value), cell, &label)
                {
                    out.facts.push(f);
                }
            }
        }
    }
}
