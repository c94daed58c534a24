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
    // `科目编码`, `经济分类科目编码` (printed over two lines, over 类 | 款 columns).
    let is_code_cell = |c: &crate::ingest::grid::Cell| c.key().ends_with("科目编码");
    let is_code_header = |r: &Row| r.printed().any(|(_, c)| is_code_cell(c));
    let Some(header) = rows.iter().position(is_code_header) else {
        return;
    };
    // Panels: (code columns — 类 then 款 when printed apart —, name col, value col).
    let starts: Vec<usize> = rows[header]
        .printed()
        .filter(|(_, c)| is_code_cell(c))
        .map(|(i, _)| i)
        .collect();
    let width = super::widest(rows);
    let header_key = |c: usize| rows[header].cell(c).map(|c| c.key()).unwrap_or_default();
    let panels: Vec<(Vec<usize>, usize, usize)> = starts
        .iter()
        .enumerate()
        .map(|(n, &start)| {
            let end = starts.get(n + 1).copied().unwrap_or(width);
            let name_col = (start + 1..end)
                .find(|&c| header_key(c).contains("名称"))
                .unwrap_or(start + 1);
            let value_col = (name_col + 1..end)
                .find(|&c| {
                    let k = header_key(c);
                    k.contains('数') || k.contains("金额")
                })
                .unwrap_or(name_col + 1);
            ((start..name_col).collect(), name_col, value_col)
        })
        .collect();
    // A code printed in parts (`301 | 01`) is one code.
    let code_of = |row: &Row, cols: &[usize]| -> Option<Code> {
        let parts: Vec<String> = cols
            .iter()
            .filter_map(|&c| row.cell(c))
            .map(|c| c.text.trim().to_string())
            .collect();
        let first = parts.first()?;
        Code::parse(first)?;
        Code::parse(&parts.concat())
    };

    for row in &rows[header + 1..] {
        if row.is_blank() || is_note_row(row) {
            continue;
        }
        for (n, (code_cols, name_col, value_col)) in panels.iter().enumerate() {
            let (code_col, name_col, value_col) = (code_cols[0], *name_col, *value_col);
            if let Some(code) = code_of(row, code_cols) {
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
                    .take_while(|(c, m, _)| row.cell(c[0]).is_none() && row.cell(*m).is_none())
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
