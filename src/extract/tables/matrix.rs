//! Code matrices: rows keyed by a classification code (or 合计), columns by header.
//!
//! 收入决算表, 支出决算表, 一般公共预算财政拨款支出决算表, 政府性基金/国有资本经营 tables and
//! the budget templates' 收入总表, 支出总表, 功能分类 and 经济分类 tables. Codes are printed in
//! one column (`2080505`) or split over 类/款/项 columns (`208 | 05 | 05`).

use super::{
    column_paths, is_column_number_row, is_note_row, label_key, match_column, title_signature,
    Slot, Table, TableOutput,
};
use crate::ingest::grid::Row;
use crate::model::{Aspect, Code};

/// Where codes and names are printed.
#[derive(Clone, Copy, Debug)]
pub(super) enum CodeColumns {
    One(usize),
    /// 类, 款 and (for function codes) 项 columns.
    Split(usize, usize, Option<usize>),
}

impl CodeColumns {
    /// The row's code, if it prints one.
    pub(super) fn code(self, row: &Row) -> Option<Code> {
        match self {
            CodeColumns::One(c) => row.cell(c).and_then(|cell| Code::parse(&cell.text)),
            CodeColumns::Split(a, b, c) => {
                let part = |i: usize| row.cell(i).map(|c| c.text.trim().to_string());
                let class = part(a)?;
                let mut code = class.clone();
                if let Some(k) = part(b) {
                    code.push_str(&format!("{:0>2}", k));
                    if let Some(x) = c.and_then(part) {
                        code.push_str(&format!("{:0>2}", x));
                    }
                }
                Code::parse(&code)
            }
        }
    }

    fn first(self) -> usize {
        match self {
            CodeColumns::One(c) | CodeColumns::Split(c, _, _) => c,
        }
    }
}

/// A row of meta information above the header: title, 公开NN表, 部门, 单位, year.
pub(super) fn is_meta_row(row: &Row) -> bool {
    row.non_empty().any(|(_, c)| {
        let k = c.key();
        k.starts_with("部门:")
            || k.starts_with("编制部门")
            || k.starts_with("单位:")
            || k.contains("金额单位")
            || (k.starts_with("公开") && k.ends_with('表'))
            || title_signature(&k).is_some()
    })
}

fn is_total_label(key: &str) -> bool {
    matches!(key, "合计" | "总计" | "本年支出合计" | "本年收入合计")
}

/// Finds the code column(s) and name column from the header paths and header rows.
fn code_columns(header: &[&Row], paths: &[String]) -> (Option<CodeColumns>, Option<usize>) {
    let mut split = None;
    for row in header {
        let keys: Vec<String> = row.cells.iter().map(|c| c.key()).collect();
        for i in 0..keys.len().saturating_sub(1) {
            if keys[i] == "类" && keys[i + 1] == "款" {
                let xiang = (keys.get(i + 2).map(String::as_str) == Some("项")).then_some(i + 2);
                split = Some(CodeColumns::Split(i, i + 1, xiang));
            }
        }
    }
    let code = split.or_else(|| {
        paths
            .iter()
            .position(|p| p.contains("编码") || p.ends_with("科目代码"))
            .map(CodeColumns::One)
    });
    let name = paths.iter().position(|p| p.contains("名称"));
    (code, name)
}

/// Codes printed in parts (`201 | 06 | 01`) from column `c` on: the 类 column and the columns
/// of 2-digit 款/项 parts after it, when the rows print them so.
fn split_in_data(rows: &[Row], c: usize) -> Option<CodeColumns> {
    let part = |row: &Row, i: usize| {
        row.cell(i)
            .is_some_and(|x| x.text.len() == 2 && x.text.bytes().all(|b| b.is_ascii_digit()))
    };
    let class = |row: &Row| {
        row.cell(c)
            .is_some_and(|x| x.text.len() == 3 && x.text.bytes().all(|b| b.is_ascii_digit()))
    };
    let with_kuan = rows.iter().filter(|r| class(r) && part(r, c + 1)).count();
    if with_kuan == 0 {
        return None;
    }
    let with_xiang = rows
        .iter()
        .any(|r| class(r) && part(r, c + 1) && part(r, c + 2));
    Some(CodeColumns::Split(c, c + 1, with_xiang.then_some(c + 2)))
}

pub(super) fn read(table: &Table<'_>, out: &mut TableOutput) {
    let rows = table.rows;
    let last_meta = rows.iter().rposition(is_meta_row);
    let body_start = last_meta.map_or(0, |i| i + 1);
    let guess_code = |row: &Row| {
        let first = row.non_empty().next();
        let first_is_code_or_total = first.is_some_and(|(_, c)| {
            Code::parse(&c.text).is_some() || is_total_label(&label_key(&c.text))
        });
        // `类 | 款 | 项 | 合计 | 4,733.14 | …`: the total row under the last header words.
        let total_with_numbers = row
            .non_empty()
            .any(|(_, c)| is_total_label(&label_key(&c.text)))
            && row
                .non_empty()
                .any(|(_, c)| matches!(super::parse_cell(&c.text), super::CellValue::Number(_)));
        first_is_code_or_total || total_with_numbers
    };
    let first_data = (body_start..rows.len())
        .find(|&i| guess_code(&rows[i]))
        .unwrap_or(rows.len());
    let header: Vec<&Row> = rows[body_start..first_data]
        .iter()
        .filter(|r| !r.is_blank() && !is_column_number_row(r))
        .collect();
    let paths = column_paths(&header);
    let (code_cols, name_col) = code_columns(&header, &paths);
    let code_cols = match code_cols {
        // `201 | 06 | 01` in the rows although the header names one code column.
        Some(CodeColumns::One(c)) | Some(CodeColumns::Split(c, _, _))
            if split_in_data(&rows[first_data.min(rows.len())..], c).is_some() =>
        {
            split_in_data(&rows[first_data.min(rows.len())..], c)
        }
        other => other,
    };
    let code_cols = code_cols.unwrap_or_else(|| {
        CodeColumns::One(
            rows.get(first_data)
                .and_then(|r| r.non_empty().next().map(|(i, _)| i))
                .unwrap_or(0),
        )
    });
    let skip = |c: usize| match code_cols {
        CodeColumns::One(a) => c == a,
        CodeColumns::Split(a, b, d) => c == a || c == b || Some(c) == d,
    } || Some(c) == name_col;
    let value_columns: Vec<(usize, &crate::catalog::ColumnSpec)> = paths
        .iter()
        .enumerate()
        .filter(|(c, _)| !skip(*c))
        .filter_map(|(c, p)| match_column(p, &table.signature.columns).map(|s| (c, s)))
        .collect();

    for row in &rows[first_data.min(rows.len())..] {
        if row.is_blank() || is_note_row(row) || is_column_number_row(row) {
            continue;
        }
        let code = code_cols.code(row);
        let label_cell = name_col
            .and_then(|c| row.cell(c))
            .or_else(|| row.cell(code_cols.first()));
        let label = label_cell.map(|c| c.text.clone()).unwrap_or_default();
        let total = code.is_none()
            && [code_cols.first(), name_col.unwrap_or(usize::MAX)]
                .iter()
                .filter_map(|&c| row.cell(c))
                .any(|c| is_total_label(&label_key(&c.text)));
        if code.is_none() && !total {
            continue;
        }
        if let (Some(code), Some(name)) = (&code, name_col.and_then(|c| row.cell(c))) {
            out.printed_codes
                .push((code.clone(), name.text.trim().to_string()));
        }
        for (c, spec) in &value_columns {
            let Some(cell) = row.cell(*c) else { continue };
            let Some(metric) = spec.metric.as_deref() else {
                continue;
            };
            let aspect = spec.aspect.unwrap_or(Aspect::Value);
            if let Some(f) =
                table.value_fact(Slot::new(metric, aspect).code(code.clone()), cell, &label)
            {
                out.facts.push(f);
            }
        }
    }
}
