//! The tables of a parsed-text disclosure as a workbook, so `sample_data/` can hold spreadsheet
//! versions of a seed's 公开表 that stay in sync with the text (`make sample-sheets` regenerates
//! them through `examples/tables_to_workbook.rs`; `tests/spreadsheets.rs` checks the committed
//! file is exactly this function's output).
//!
//! Each tab-cell block becomes one sheet named `Sheet1`, `Sheet2`… (names that say nothing, as
//! in many archives); its caption is a title row merged across the table. 公开08表 and 公开09表
//! share one sheet (two tables on one sheet). Numbers are written as numbers with their printed
//! decimals, except in 收入决算表 where they are stored as text (some archives do that).
//! Group headers (`本年支出` over `小计 | 基本支出 | 项目支出`) are merged over their columns.
//! The creation time is fixed, so the bytes depend on the text only.

use std::error::Error;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, Workbook, Worksheet};

use crate::ingest::grid::{Grid, Row};
use crate::ingest::text;

fn is_number(s: &str) -> bool {
    let s = s.trim();
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
        && s.chars().filter(|c| *c == '.').count() <= 1
        && s.parse::<f64>().is_ok()
}

fn decimals(s: &str) -> usize {
    s.split_once('.').map_or(0, |(_, d)| d.len())
}

fn has_table_number(grid: &Grid, number: &str) -> bool {
    grid.rows
        .iter()
        .take(4)
        .any(|r| r.cells.iter().any(|c| c.text.contains(number)))
}

fn width(grid: &Grid) -> usize {
    grid.rows
        .iter()
        .map(|r| r.cells.len())
        .max()
        .unwrap_or(1)
        .max(1)
}

/// Writes a grid from `row0`; returns the next free row.
fn write_grid(
    ws: &mut Worksheet,
    grid: &Grid,
    row0: u32,
    numbers_as_text: bool,
) -> Result<u32, Box<dyn Error>> {
    let title = Format::new().set_bold().set_align(FormatAlign::Center);
    let w = width(grid) as u16;
    let mut r = row0;
    if let Some(caption) = grid.caption.last() {
        if w > 1 {
            ws.merge_range(r, 0, r, w - 1, caption.raw.trim(), &title)?;
        } else {
            ws.write_string_with_format(r, 0, caption.raw.trim(), &title)?;
        }
        r += 1;
    }
    // Header rows end at the 栏次 row, else at the first row whose first cell is a code or 合计.
    let numbering = grid.rows.iter().position(|row| {
        row.cells
            .first()
            .is_some_and(|c| c.text.replace(' ', "") == "栏次")
    });
    let first_data = numbering.map(|i| i + 1).unwrap_or_else(|| {
        grid.rows
            .iter()
            .position(|row| {
                row.cells.first().is_some_and(|c| {
                    let t = c.text.replace(' ', "");
                    t == "合计" || (t.len() >= 3 && t.chars().all(|ch| ch.is_ascii_digit()))
                })
            })
            .unwrap_or(0)
    });
    for (i, row) in grid.rows.iter().enumerate() {
        let below: Option<&Row> = grid.rows.get(i + 1).filter(|_| i + 1 < first_data);
        let mut c = 0usize;
        while c < row.cells.len() {
            let cell = &row.cells[c];
            let raw = cell.raw.trim_end();
            if raw.trim().is_empty() {
                c += 1;
                continue;
            }
            // A group header spans the empty cells to its right that have headers below.
            let mut span = 0;
            if i < first_data {
                while let (Some(next), Some(b)) = (row.cells.get(c + span + 1), below) {
                    let under = b.cells.get(c + span + 1).is_some_and(|x| !x.is_empty());
                    if !next.is_empty() || !under {
                        break;
                    }
                    span += 1;
                }
            }
            let col = c as u16;
            if span > 0 {
                ws.merge_range(r, col, r, col + span as u16, raw, &Format::new())?;
            } else if is_number(raw) && !numbers_as_text {
                let format = match decimals(raw) {
                    0 => Format::new().set_num_format("0"),
                    d => Format::new().set_num_format(format!("0.{}", "0".repeat(d))),
                };
                ws.write_number_with_format(r, col, raw.trim().parse::<f64>()?, &format)?;
            } else {
                ws.write_string(r, col, raw)?;
            }
            c += span + 1;
        }
        r += 1;
    }
    Ok(r)
}

/// The workbook (xlsx bytes) holding the tables of `decoded` text.
///
/// # Errors
/// A rust_xlsxwriter error.
pub fn tables_workbook(decoded: &str) -> Result<Vec<u8>, Box<dyn Error>> {
    let doc = text::split(decoded);
    let mut wb = Workbook::new();
    wb.set_properties(
        &DocProperties::new().set_creation_datetime(&ExcelDateTime::from_ymd(2024, 1, 1)?),
    );
    let mut sheet = 0;
    let mut shared_row: Option<u32> = None;
    for grid in &doc.grids {
        let shares = has_table_number(grid, "公开09表") && shared_row.is_some();
        if !shares {
            sheet += 1;
            wb.add_worksheet().set_name(format!("Sheet{sheet}"))?;
        }
        let ws = wb.worksheet_from_index(sheet - 1)?;
        let start = if shares {
            shared_row.unwrap_or(0) + 2
        } else {
            0
        };
        let next = write_grid(ws, grid, start, has_table_number(grid, "公开02表"))?;
        shared_row = has_table_number(grid, "公开08表").then_some(next);
    }
    Ok(wb.save_to_buffer()?)
}
