//! Spreadsheets (`.xlsx`, `.xlsm`, `.xls`, `.ods`) → grids and prose lines, through calamine.
//!
//! Every sheet becomes one [`Grid`] whose cells carry `Sheet!C12` locations. Numbers are read
//! as the text they display (integers without `.0`); text that looks like a number (`1,614.27`,
//! `４７２．３９`) stays text and is parsed downstream exactly like a text table's cell. Merged
//! regions are expanded for header recognition: the region's text is copied into its other
//! cells, marked `merged` so titles and values are never counted twice. Cells of narrative
//! text (编制说明, 情况说明) also become prose lines, one per printed line.

use std::io::Cursor;

use calamine::{open_workbook_auto_from_rs, Data, DataRef, Dimensions, Range, Reader, Sheets};

use crate::ingest::grid::{Cell, Grid, Row};
use crate::ingest::text::ProseLine;
use crate::model::Location;

/// What a workbook yields.
#[derive(Clone, Debug, Default)]
pub struct SheetDocument {
    pub grids: Vec<Grid>,
    pub lines: Vec<ProseLine>,
    /// Sheets that could not be read (the rest is kept).
    pub problems: Vec<(String, String)>,
}

/// Why a file could not be read as a workbook at all.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SheetError {
    #[error("empty file")]
    Empty,
    #[error("not a spreadsheet: HTML")]
    Html,
    #[error("password-protected workbook: it cannot be read without the password")]
    Password,
    #[error("truncated or corrupt zip archive ({0})")]
    Zip(String),
    #[error("not a readable workbook ({0})")]
    Unreadable(String),
    #[error("over a limit: {0}")]
    Limit(String),
}

/// A1-style reference of a zero-based (row, col).
pub fn a1(row: u32, col: u32) -> String {
    let mut letters = String::new();
    let mut n = col + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.insert(0, char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    format!("{letters}{}", row + 1)
}

/// The text a cell displays.
fn display(data: &Data) -> String {
    match data {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                // Shortest representation that round-trips: 472.39, not 472.38999999999999.
                format!("{f}")
            }
        }
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => d.to_string(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// How a number format shows a number: decimals after the point, and whether it is a
/// percentage (`0.00%` shows 0.943 as `94.30%`). `None` for `General`, dates and text formats.
fn number_display(format_code: &str) -> Option<(u32, bool)> {
    // The first section (positive numbers), without quoted literals, escapes and [colour] tags.
    let mut section = String::new();
    let (mut quoted, mut bracket, mut escaped) = (false, false, false);
    for c in format_code.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            '[' if !quoted => bracket = true,
            ']' if !quoted => bracket = false,
            ';' if !quoted && !bracket => break,
            _ if quoted || bracket => {}
            _ => section.push(c),
        }
    }
    let lower = section.to_lowercase();
    if lower.contains("general")
        || lower.contains(['y', 'm', 'd', 'h', 's', '@', 'e'])
        || !lower.contains(['0', '#'])
    {
        return None;
    }
    let decimals = lower.split_once('.').map_or(0, |(_, frac)| {
        frac.chars().take_while(|c| matches!(c, '0' | '#')).count()
    });
    Some((decimals.min(10) as u32, lower.contains('%')))
}

/// The text a number cell displays under its number format (`94.3` with `#,##0.00` is
/// `94.30`): its printed precision, which tolerances and conflict checks depend on.
fn display_formatted(data: &Data, format_code: Option<&str>) -> String {
    let plain = display(data);
    let number = match data {
        Data::Float(_) | Data::Int(_) => plain.parse::<rust_decimal::Decimal>().ok(),
        _ => None,
    };
    let (Some(number), Some((decimals, percent))) = (number, format_code.and_then(number_display))
    else {
        return plain;
    };
    let scaled = if percent {
        number.checked_mul(rust_decimal::Decimal::ONE_HUNDRED)
    } else {
        Some(number)
    };
    let Some(mut shown) = scaled.map(|v| {
        v.round_dp_with_strategy(
            decimals,
            rust_decimal::RoundingStrategy::MidpointAwayFromZero,
        )
    }) else {
        return plain;
    };
    shown.rescale(decimals);
    if percent {
        format!("{shown}%")
    } else {
        shown.to_string()
    }
}

fn classify(e: calamine::Error) -> SheetError {
    let message = e.to_string();
    let lower = message.to_lowercase();
    if lower.contains("password") || lower.contains("encrypt") {
        SheetError::Password
    } else if lower.contains("zip") || lower.contains("eof") || lower.contains("end of central") {
        SheetError::Zip(message)
    } else {
        SheetError::Unreadable(message)
    }
}

/// An encrypted .xlsx is an OLE compound file holding an `EncryptedPackage` stream.
fn is_encrypted_ooxml(bytes: &[u8]) -> bool {
    const CFB: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if !bytes.starts_with(&CFB) {
        return false;
    }
    let name: Vec<u8> = "EncryptedPackage"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    bytes.windows(name.len()).any(|w| w == name.as_slice())
}

/// True for text a reader reads as sentences, not a label.
pub fn is_narrative(text: &str) -> bool {
    let chars = text.chars().count();
    chars >= 24
        && (text.contains('，') || text.contains('。') || text.contains('\n') || text.contains(','))
}

fn merged_regions<RS: std::io::Read + std::io::Seek>(
    book: &mut Sheets<RS>,
    name: &str,
) -> Vec<Dimensions> {
    match book {
        Sheets::Xlsx(x) => x.merge_cells_by_sheet_name(name).unwrap_or_default(),
        Sheets::Xls(x) => x.merge_cells_by_sheet_name(name).unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// Reads a workbook from its bytes.
///
/// # Errors
/// [`SheetError`] when nothing can be read; sheets that fail alone are listed in `problems`.
pub fn read(bytes: &[u8]) -> Result<SheetDocument, SheetError> {
    if bytes.is_empty() {
        return Err(SheetError::Empty);
    }
    let head: String = String::from_utf8_lossy(&bytes[..bytes.len().min(512)])
        .trim_start_matches('\u{FEFF}')
        .trim_start()
        .to_lowercase();
    if head.starts_with("<!doctype html")
        || head.starts_with("<html")
        || head.starts_with("<?xml") && head.contains("<html")
    {
        return Err(SheetError::Html);
    }
    if is_encrypted_ooxml(bytes) {
        return Err(SheetError::Password);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        check_zip_parts(bytes)?;
    }
    let mut book = open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| {
        if bytes.starts_with(b"PK\x03\x04") {
            // A zip (xlsx, ods) that cannot be opened has lost its end: the central directory.
            match classify(e) {
                SheetError::Unreadable(m) => {
                    SheetError::Zip(format!("{m}; the file ends before its zip directory"))
                }
                other => other,
            }
        } else {
            match classify(e) {
                SheetError::Unreadable(_) => SheetError::Unreadable(
                    "neither xlsx/xlsm (zip), xls (OLE) nor ods content".to_string(),
                ),
                other => other,
            }
        }
    })?;
    let mut doc = SheetDocument::default();
    let mut ordinal = 0u32;
    for name in book.sheet_names() {
        let sheet = match &mut book {
            Sheets::Xlsx(x) => xlsx_range(x, &name),
            other => other
                .worksheet_range(&name)
                .map(SheetCells::from)
                .map_err(|e| e.to_string()),
        };
        let SheetCells {
            range,
            formats,
            style_of,
        } = match sheet {
            Ok(r) => r,
            Err(e) => {
                doc.problems.push((name.clone(), e));
                continue;
            }
        };
        let Some((row0, col0)) = range.start() else {
            continue;
        };
        let merges = merged_regions(&mut book, &name);
        let format_of =
            |r: u32, c: u32| -> Option<&str> { formats.get(*style_of.get(&(r, c))?)?.as_deref() };
        let location = |r: u32, c: u32| Location::Cell {
            sheet: name.clone(),
            cell: a1(r, c),
        };
        let mut rows: Vec<Row> = Vec::new();
        for (i, data_row) in range.rows().enumerate() {
            let r = row0 + i as u32;
            let cells = data_row
                .iter()
                .enumerate()
                .map(|(j, d)| {
                    let c = col0 + j as u32;
                    Cell::new(display_formatted(d, format_of(r, c)), location(r, c))
                })
                .collect();
            rows.push(Row { cells });
        }
        // Expand merged regions: the top-left text into every cell of the region.
        for m in &merges {
            let (r0, c0) = m.start;
            let Some(text) = r0
                .checked_sub(row0)
                .and_then(|r| rows.get(r as usize))
                .and_then(|row| c0.checked_sub(col0).and_then(|c| row.cells.get(c as usize)))
                .map(|c| c.raw.clone())
            else {
                continue;
            };
            for r in m.start.0..=m.end.0 {
                for c in m.start.1..=m.end.1 {
                    if (r, c) == m.start {
                        continue;
                    }
                    let (Some(ri), Some(ci)) = (r.checked_sub(row0), c.checked_sub(col0)) else {
                        continue;
                    };
                    if let Some(cell) = rows
                        .get_mut(ri as usize)
                        .and_then(|row| row.cells.get_mut(ci as usize))
                    {
                        if cell.is_empty() {
                            let mut copy = Cell::new(text.clone(), location(r, c));
                            copy.merged = true;
                            *cell = copy;
                        }
                    }
                }
            }
        }
        // Narrative cells become prose lines.
        for row in &rows {
            for cell in row
                .cells
                .iter()
                .filter(|c| !c.merged && is_narrative(&c.raw))
            {
                for line in cell.raw.lines() {
                    if line.trim().is_empty() {
                        continue;
                    }
                    ordinal += 1;
                    doc.lines
                        .push(ProseLine::single(ordinal, cell.location.clone(), line));
                }
            }
        }
        doc.grids.push(Grid {
            name,
            caption: Vec::new(),
            rows,
            tokens: false,
        });
    }
    if doc.grids.is_empty() && !doc.problems.is_empty() {
        let (sheet, why) = &doc.problems[0];
        return Err(SheetError::Unreadable(format!("sheet {sheet}: {why}")));
    }
    Ok(doc)
}

/// Refuses a workbook whose zip declares a part (a sheet's XML, the shared strings) over the
/// uncompressed bound in force ([`crate::guard::sheet_limits`], `[limits] max_sheet_part_mb`,
/// 256 MB by default) before anything is inflated. A disclosure's largest sheet is a few MB of
/// XML; 4 MB of zip that inflate to 4 GB (a zip bomb), or one 3 GB cell, would exhaust memory
/// before a cell is read. (A zip that understates its sizes is still bounded by the
/// filled-cell limit while its sheets are read.)
fn check_zip_parts(bytes: &[u8]) -> Result<(), SheetError> {
    let max = crate::guard::sheet_limits().part_bytes;
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        // Not readable as a zip: the workbook reader says why.
        return Ok(());
    };
    for i in 0..zip.len() {
        let Ok(entry) = zip.by_index_raw(i) else {
            continue;
        };
        if entry.size() > max {
            return Err(SheetError::Limit(format!(
                "part {} inflates to {} MB (from {} KB), over the limit of {} MB per part ([limits] max_sheet_part_mb); not read",
                entry.name().map(|n| n.to_string()).unwrap_or_default(),
                entry.size() / (1024 * 1024),
                entry.compressed_size() / 1024,
                max / (1024 * 1024)
            )));
        }
    }
    Ok(())
}

// Cells a sheet may hold and span (rows × columns from its first to its last filled cell):
// `[limits] max_sheet_cells`, 4 million by default ([`crate::guard::sheet_limits`]). A
// disclosure's table spans thousands; calamine builds a dense grid over the span, so a sheet
// with cells at A1 and XFD1048576 (17 billion cells) would exhaust memory before anything is
// read. 4 million cells is a grid of about 130 MB.

/// A sheet's cells, and (xlsx only: the other readers do not expose them) the number format
/// of each filled cell: its style id (`style_of`) into the workbook's format codes (`formats`).
struct SheetCells {
    range: Range<Data>,
    formats: Vec<Option<String>>,
    style_of: foldhash::HashMap<(u32, u32), usize>,
}

impl From<Range<Data>> for SheetCells {
    fn from(range: Range<Data>) -> SheetCells {
        SheetCells {
            range,
            formats: Vec::new(),
            style_of: foldhash::HashMap::default(),
        }
    }
}

/// An xlsx sheet's filled cells as a range, as calamine's `worksheet_range` gives it, but with
/// the span checked before the dense grid is allocated, and each cell's style read in the same
/// pass over the sheet (calamine's `worksheet_style` reads the sheet again).
fn xlsx_range<RS: std::io::Read + std::io::Seek>(
    book: &mut calamine::Xlsx<RS>,
    name: &str,
) -> Result<SheetCells, String> {
    let mut reader = match book.worksheet_cells_reader(name) {
        Ok(r) => r,
        // A chart sheet: nothing to read, as calamine's own range says.
        Err(calamine::XlsxError::NotAWorksheet(_)) => return Ok(Range::default().into()),
        Err(e) => return Err(e.to_string()),
    };
    let formats: Vec<Option<String>> = reader
        .styles()
        .iter()
        .map(|s| s.number_format.as_ref().map(|f| f.format_code.clone()))
        .collect();
    let max_cells = crate::guard::sheet_limits().cells;
    let mut style_of = foldhash::HashMap::default();
    let mut cells = Vec::new();
    let (mut top, mut bottom, mut left, mut right) = (u32::MAX, 0u32, u32::MAX, 0u32);
    while let Some((cell, style)) = reader
        .next_cell_with_style_id()
        .map_err(|e| e.to_string())?
    {
        if matches!(cell.get_value(), DataRef::Empty) {
            continue;
        }
        if cells.len() as u64 >= max_cells {
            return Err(format!(
                "over {max_cells} filled cells, the limit of cells a sheet may hold ([limits] max_sheet_cells); not read"
            ));
        }
        let (r, c) = cell.get_position();
        (top, bottom, left, right) = (top.min(r), bottom.max(r), left.min(c), right.max(c));
        style_of.insert((r, c), style);
        cells.push(calamine::Cell::new(
            (r, c),
            Data::from(cell.get_value().clone()),
        ));
    }
    if !cells.is_empty() {
        let rows = u64::from(bottom - top) + 1;
        let columns = u64::from(right - left) + 1;
        if rows * columns > max_cells {
            return Err(format!(
                "spans {rows} rows × {columns} columns ({} to {}) with {} filled cells: over the limit of {max_cells} cells a sheet may span ([limits] max_sheet_cells); not read",
                a1(top, left),
                a1(bottom, right),
                cells.len()
            ));
        }
    }
    Ok(SheetCells {
        range: Range::from_sparse(cells),
        formats,
        style_of,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An xlsx with one sheet of `cells` (row, column, text), and a second sheet with a table.
    fn workbook(cells: &[(u32, u16, &str)]) -> Vec<u8> {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (r, c, t) in cells {
            ws.write_string(*r, *c, *t).unwrap();
        }
        let ok = wb.add_worksheet();
        ok.write_string(0, 0, "项目").unwrap();
        ok.write_number(0, 1, 472.39).unwrap();
        wb.save_to_buffer().unwrap()
    }

    #[test]
    fn a_sheet_spanning_billions_of_cells_is_refused_before_its_grid_is_built() {
        // Two cells at opposite corners: a dense grid of 17 billion cells.
        let doc = read(&workbook(&[(0, 0, "a"), (1_048_575, 16_383, "b")])).unwrap();
        assert_eq!(doc.problems.len(), 1, "{:?}", doc.problems);
        assert!(
            doc.problems[0]
                .1
                .contains("spans 1048576 rows × 16384 columns (A1 to XFD1048576)"),
            "{:?}",
            doc.problems
        );
        assert_eq!(doc.grids.len(), 1, "the other sheet is still read");
        // Near miss: a long, narrow sheet within the limit is read whole.
        let doc = read(&workbook(&[(0, 0, "a"), (99_999, 25, "b")])).unwrap();
        assert!(doc.problems.is_empty(), "{:?}", doc.problems);
        assert_eq!(doc.grids.len(), 2);
    }

    #[test]
    fn a1_references() {
        assert_eq!(a1(0, 0), "A1");
        assert_eq!(a1(11, 2), "C12");
        assert_eq!(a1(0, 25), "Z1");
        assert_eq!(a1(0, 26), "AA1");
        assert_eq!(a1(4, 701), "ZZ5");
    }

    #[test]
    fn display_follows_the_number_format() {
        let f = |v: f64, code: &str| display_formatted(&Data::Float(v), Some(code));
        assert_eq!(f(94.3, "#,##0.00"), "94.30");
        assert_eq!(f(10.0, "0.00"), "10.00");
        assert_eq!(f(472.385, "0.00"), "472.39");
        assert_eq!(f(1234.5, "#,##0"), "1235");
        assert_eq!(f(0.943, "0.00%"), "94.30%");
        assert_eq!(f(-3.1, "#,##0.00;[Red]-#,##0.00"), "-3.10");
        assert_eq!(f(94.3, "General"), "94.3");
        assert_eq!(f(45000.0, "yyyy-mm-dd"), "45000");
        assert_eq!(f(12.0, "0.0\"万元\""), "12.0");
        assert_eq!(display_formatted(&Data::Int(7), Some("0.00")), "7.00");
    }

    #[test]
    fn display_keeps_integers_integral_and_decimals_short() {
        assert_eq!(display(&Data::Float(205.0)), "205");
        assert_eq!(display(&Data::Float(472.39)), "472.39");
        assert_eq!(display(&Data::Float(0.0)), "0");
        assert_eq!(display(&Data::String("x,xxx".into())), "x,xxx");
    }

    #[test]
    fn read_rejects_html_empty_and_garbage_with_reasons() {
        assert_eq!(read(b"").unwrap_err(), SheetError::Empty);
        assert_eq!(
            read(b"<!DOCTYPE html><html><body>404</body></html>").unwrap_err(),
            SheetError::Html
        );
        let err = read(b"PK\x03\x04 this is not really a zip").unwrap_err();
        assert!(
            matches!(err, SheetError::Zip(_) | SheetError::Unreadable(_)),
            "{err:?}"
        );
    }
}
