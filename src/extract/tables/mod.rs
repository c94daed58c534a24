//! Grids → facts: the table recognizer.
//!
//! A grid (a text block or a sheet) is cut into tables at title rows; each table is recognized
//! by its title — or, without one, by its header words — against the signatures in
//! `catalog/tables.toml`, never by its 公开NN number. The signature's layout picks the reader
//! (two-sided summary, code matrix, code panels, labeled rows/columns, performance forms); the
//! reader maps rows and columns to metrics, codes and aspects. Empty cells are not stated and
//! yield nothing; only a printed `0`/`0.00` is zero. Amounts follow the table's own unit line
//! (`金额单位：万元`, `单位：元`) and are normalized to 万元.

mod labeled;
mod matrix;
mod panels;
mod performance;
mod summary;

use std::str::FromStr;
use std::sync::OnceLock;

use regex::Regex;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::catalog::{catalog, ColumnSpec, Layout, TableSignature};
use crate::ingest::grid::{Cell, Grid, Row};
use crate::ingest::normalize;
use crate::model::{Aspect, Code, Fact, Kind, Location, MetricKey, Source, Unit};

/// A table found in a grid, recognized or not.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TableInfo {
    /// The canonical name of the recognized table, or the printed title.
    pub name: String,
    /// `公开05表` when printed.
    pub number: Option<String>,
    /// Signature id when recognized.
    pub signature: Option<String>,
    /// How it was recognized: `title` or `header`.
    pub recognized_by: Option<String>,
    pub location: Location,
    /// The printed unit of amounts.
    pub unit: String,
    pub facts: usize,
}

impl TableOutput {
    /// The kinds (budget/final) of the recognized tables, as their signatures declare.
    pub fn kinds(&self) -> Vec<Kind> {
        self.tables
            .iter()
            .filter_map(|t| t.signature.as_deref())
            .filter_map(|id| catalog().table(id))
            .filter_map(|s| s.kind)
            .collect()
    }
}

/// What table extraction yields for one document.
#[derive(Clone, Debug, Default)]
pub struct TableOutput {
    pub facts: Vec<Fact>,
    pub tables: Vec<TableInfo>,
    /// (code, name) pairs printed in code columns, for resolving prose names.
    pub printed_codes: Vec<(Code, String)>,
}

/// A printed cell value.
#[derive(Clone, Debug, PartialEq)]
pub enum CellValue {
    /// Empty, `-`, `—`: not stated.
    Empty,
    Number(Decimal),
    Percent(Decimal),
    /// `XX`, `x,xxx`, `…`: a template left unfilled.
    Placeholder,
    Text,
}

/// Parses a cell's folded text as a table value.
pub fn parse_cell(text: &str) -> CellValue {
    static NUMBER: OnceLock<Regex> = OnceLock::new();
    static PLACEHOLDER: OnceLock<Regex> = OnceLock::new();
    let number = NUMBER.get_or_init(|| {
        Regex::new(r"^([+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)\s*(%?)$").expect("static")
    });
    let placeholder = PLACEHOLDER.get_or_init(|| {
        Regex::new(r"^(?:[Xx×*]+(?:,[Xx×*]{3})*(?:\.[Xx×*]+)?|…+|\.{3,})\s*%?$").expect("static")
    });
    let t = text.trim();
    if t.is_empty() || matches!(t, "-" | "—" | "－" | "--" | "——" | "/") {
        return CellValue::Empty;
    }
    if let Some(c) = number.captures(t) {
        return match Decimal::from_str(&c[1].replace(',', "")) {
            Ok(v) if &c[2] == "%" => CellValue::Percent(v),
            Ok(v) => CellValue::Number(v),
            Err(_) => CellValue::Text,
        };
    }
    if placeholder.is_match(t) {
        return CellValue::Placeholder;
    }
    CellValue::Text
}

/// Removes numbering and `其中：` from a row label and folds it to a comparison key.
pub fn label_key(text: &str) -> String {
    static NUMBERING: OnceLock<Regex> = OnceLock::new();
    static DIGIT_DOT: OnceLock<Regex> = OnceLock::new();
    let numbering = NUMBERING.get_or_init(|| {
        Regex::new(r"^(?:其中:?|[一二三四五六七八九十]+[、.]|\(\d{1,2}\)|\([一二三四五六七八九十]+\)|[①-⑳])")
            .expect("static")
    });
    let digit_dot = DIGIT_DOT.get_or_init(|| Regex::new(r"^\d{1,2}[、.]").expect("static"));
    let mut s = normalize::name_key(text);
    loop {
        let before = s.len();
        if let Some(m) = numbering.find(&s) {
            s = s[m.end()..].to_string();
        }
        if let Some(m) = digit_dot.find(&s) {
            if !s[m.end()..].starts_with(|c: char| c.is_ascii_digit()) {
                s = s[m.end()..].to_string();
            }
        }
        if s.len() == before {
            return s;
        }
    }
}

/// The longest phrase of `options` that `label` starts with.
pub fn match_row<'a>(label: &str, options: &'a [(String, String)]) -> Option<&'a str> {
    options
        .iter()
        .filter(|(phrase, _)| !phrase.is_empty() && label.starts_with(phrase.as_str()))
        .max_by_key(|(phrase, _)| phrase.len())
        .map(|(_, metric)| metric.as_str())
}

/// The column spec a header path names: the spec's last part is in the path's last part
/// (`小计` in `本年支出/小计`), and its earlier parts are among the path's earlier parts; the
/// longest spec wins. Matching the last part keeps `…/公务用车购置及运行费/购置费` from taking
/// `运行费`.
pub fn match_column<'a>(path: &str, specs: &'a [ColumnSpec]) -> Option<&'a ColumnSpec> {
    let (path_head, path_last) = path.rsplit_once('/').unwrap_or(("", path));
    specs
        .iter()
        .filter(|c| {
            let (head, last) = c.header.rsplit_once('/').unwrap_or(("", c.header.as_str()));
            path_last.contains(last)
                && head
                    .split('/')
                    .all(|h| h.is_empty() || path_head.contains(h))
        })
        .max_by_key(|c| c.header.len())
}

/// Header text of each column: the non-empty header cells above it, top-down, joined by `/`.
/// A header cell spans to the right over empty cells whose column has a header below (a
/// group header such as `本年支出` over `小计 | 基本支出 | 项目支出`).
pub fn column_paths(header: &[&Row]) -> Vec<String> {
    let width = header.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    let text = |r: usize, c: usize| -> String {
        header[r].cells.get(c).map(Cell::key).unwrap_or_default()
    };
    let has_below = |r: usize, c: usize| (r + 1..header.len()).any(|rr| !text(rr, c).is_empty());
    let mut grid: Vec<Vec<String>> = (0..header.len())
        .map(|r| (0..width).map(|c| text(r, c)).collect())
        .collect();
    for r in 0..header.len() {
        let mut current = String::new();
        for c in 0..width {
            if !grid[r][c].is_empty() {
                current = grid[r][c].clone();
            } else if !current.is_empty() && has_below(r, c) && !has_own_header_above(&grid, r, c) {
                grid[r][c] = current.clone();
            } else {
                current.clear();
            }
        }
    }
    (0..width)
        .map(|c| {
            let mut parts: Vec<&str> = Vec::new();
            for row in &grid {
                let t = row[c].as_str();
                if !t.is_empty() && parts.last() != Some(&t) {
                    parts.push(t);
                }
            }
            parts.join("/")
        })
        .collect()
}

fn has_own_header_above(grid: &[Vec<String>], r: usize, c: usize) -> bool {
    (0..r).any(|rr| !grid[rr][c].is_empty())
}

/// True for a `栏次` row (column numbers, not data).
pub fn is_column_number_row(row: &Row) -> bool {
    row.non_empty()
        .next()
        .is_some_and(|(_, c)| c.key() == "栏次")
}

/// True for note rows (`注：…`, `如本表为空…`).
pub fn is_note_row(row: &Row) -> bool {
    row.non_empty()
        .next()
        .is_some_and(|(_, c)| c.key().starts_with("注") || c.key().starts_with("如本表为空"))
}

/// The table being read, with what every reader needs to emit facts.
pub struct Table<'g> {
    pub rows: &'g [Row],
    pub signature: &'static TableSignature,
    /// The printed unit of amounts (万元 unless a unit line says otherwise).
    pub unit: Unit,
    pub source: Source,
    /// Index of this table in the document's table list.
    pub index: usize,
}

/// What a table number is about: metric, code or item, aspect.
#[derive(Clone, Debug)]
pub struct Slot<'a> {
    pub metric: &'a str,
    pub code: Option<Code>,
    pub item: Option<String>,
    pub aspect: Aspect,
}

impl<'a> Slot<'a> {
    pub fn new(metric: &'a str, aspect: Aspect) -> Slot<'a> {
        Slot {
            metric,
            code: None,
            item: None,
            aspect,
        }
    }
    pub fn code(mut self, code: Option<Code>) -> Self {
        self.code = code;
        self
    }
    pub fn item(mut self, item: Option<String>) -> Self {
        self.item = item;
        self
    }
}

impl Table<'_> {
    /// A fact from a cell's printed value in `printed_unit`, normalized (元 → 万元).
    pub fn fact_in(
        &self,
        slot: Slot<'_>,
        cell: &Cell,
        value: Option<Decimal>,
        printed_unit: Unit,
        label: &str,
    ) -> Fact {
        let (normalized, unit) = match value {
            Some(v) => {
                let (n, u) = printed_unit.normalize(v);
                (Some(n), u)
            }
            None => (None, printed_unit.normalize(Decimal::ZERO).1),
        };
        Fact {
            metric: MetricKey::new(slot.metric),
            code: slot.code,
            item: slot.item,
            aspect: slot.aspect,
            value: normalized,
            unit,
            raw: cell.raw.trim().to_string(),
            source: self.source.clone(),
            location: cell.location.clone(),
            printed: value,
            printed_unit,
            label: label.to_string(),
            basis: None,
            quote: cell.raw.trim().to_string(),
            span: None,
            line: None,
            table: Some(self.index),
        }
    }

    /// A fact for a value cell in the table's unit (percent for percentage aspects), or
    /// nothing for an empty/text cell or an unknown metric. Placeholders give a fact with no
    /// value, so a template left unfilled is never read as zero.
    pub fn value_fact(&self, slot: Slot<'_>, cell: &Cell, label: &str) -> Option<Fact> {
        // A merged region's copies help read headers; the value is printed once.
        if cell.merged {
            return None;
        }
        catalog().metric(slot.metric)?;
        let unit = if slot.aspect.is_percentage() {
            Unit::Percent
        } else {
            self.unit
        };
        match parse_cell(&cell.text) {
            CellValue::Number(v) | CellValue::Percent(v) => {
                Some(self.fact_in(slot, cell, Some(v), unit, label))
            }
            CellValue::Placeholder => Some(self.fact_in(slot, cell, None, unit, label)),
            CellValue::Empty | CellValue::Text => None,
        }
    }
}

/// A title row: few cells, one of which names a known table.
fn title_of(row_cells: &[&Cell]) -> Option<(&'static TableSignature, String)> {
    if row_cells.len() > 3 {
        return None;
    }
    row_cells
        .iter()
        .find_map(|c| title_signature(&c.key()).map(|s| (s, c.text.clone())))
}

/// A title names a table (`…决算表`), is short, and is not a note about one (`注：本表…`).
pub fn title_signature(key: &str) -> Option<&'static TableSignature> {
    // Contents entries (`1. 2026年部门收支总表 ……`) name tables without being them.
    let is_title = key.chars().count() <= 60
        && key.contains('表')
        && !key.starts_with('注')
        && !key.contains("本表")
        && !key.contains('…')
        && !key.contains("....");
    is_title.then(|| signature_for_title(key)).flatten()
}

/// The signature whose title phrase is the longest one contained in `key`.
pub fn signature_for_title(key: &str) -> Option<&'static TableSignature> {
    catalog()
        .tables
        .iter()
        .flat_map(|t| t.titles.iter().map(move |title| (t, title)))
        .filter(|(_, title)| key.contains(title.as_str()))
        .max_by_key(|(_, title)| title.len())
        .map(|(t, _)| t)
}

/// The signature whose header words all appear in the first rows, most words first.
fn signature_for_header(rows: &[Row]) -> Option<&'static TableSignature> {
    // Header words are short labels; narrative cells that mention them are not headers.
    let text: String = rows
        .iter()
        .take(10)
        .flat_map(|r| r.cells.iter().map(Cell::key))
        .filter(|k| k.chars().count() <= 30)
        .collect();
    catalog()
        .tables
        .iter()
        .filter(|t| !t.header.is_empty() && t.header.iter().all(|w| text.contains(w.as_str())))
        .max_by_key(|t| {
            (
                t.header.len(),
                t.header.iter().map(String::len).sum::<usize>(),
            )
        })
}

fn table_number(rows: &[Row]) -> Option<String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"公开\d{1,2}表").expect("static"));
    rows.iter().take(6).find_map(|r| {
        r.cells
            .iter()
            .find_map(|c| re.find(&c.key()).map(|m| m.as_str().to_string()))
    })
}

/// The unit line of a table (`金额单位：万元`, `单位：元`); 万元 when none is printed.
fn table_unit(rows: &[Row]) -> Unit {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"单位\s*[:：]?\s*(万元|亿元|元)").expect("static"));
    rows.iter()
        .take(8)
        .find_map(|r| {
            r.cells
                .iter()
                .find_map(|c| re.captures(&c.key()).and_then(|m| Unit::parse(&m[1])))
        })
        .unwrap_or(Unit::WanYuan)
}

/// Reads every table of the grids.
pub fn extract(grids: &[Grid]) -> TableOutput {
    let mut out = TableOutput::default();
    for grid in grids {
        // Title rows cut the grid into tables; the caption titles the first one.
        let mut starts: Vec<(usize, Option<(&'static TableSignature, String)>)> = Vec::new();
        let caption = grid
            .caption
            .iter()
            .rev()
            .find_map(|c| title_signature(&c.key()).map(|s| (s, c.text.clone())));
        starts.push((0, caption));
        for (i, row) in grid.rows.iter().enumerate() {
            let cells: Vec<&Cell> = row.printed().map(|(_, c)| c).collect();
            if let Some(t) = title_of(&cells) {
                if i == 0 {
                    starts[0].1 = Some(t);
                } else {
                    starts.push((i, Some(t)));
                }
            }
        }
        for (n, (start, title)) in starts.iter().enumerate() {
            let end = starts.get(n + 1).map_or(grid.rows.len(), |s| s.0);
            let rows = &grid.rows[*start..end];
            if rows.iter().all(Row::is_blank) {
                continue;
            }
            read_table(rows, title.clone(), &mut out);
        }
    }
    out
}

fn read_table(
    rows: &[Row],
    title: Option<(&'static TableSignature, String)>,
    out: &mut TableOutput,
) {
    // A title over no row of several cells is a contents entry or a caption, not a table.
    if !rows.iter().any(|r| r.printed().count() >= 2) {
        return;
    }
    let location = rows
        .iter()
        .find_map(|r| r.non_empty().next().map(|(_, c)| c.location.clone()))
        .unwrap_or(Location::Line(0));
    let (signature, recognized_by) = match &title {
        Some((s, _)) => (Some(*s), Some("title")),
        None => match signature_for_header(rows) {
            Some(s) => (Some(s), Some("header")),
            None => (None, None),
        },
    };
    let number = table_number(rows);
    let unit = table_unit(rows);
    let Some(signature) = signature else {
        // Only grids that look like tables (two rows of several cells) are listed.
        let tabular = rows.iter().filter(|r| r.printed().count() >= 2).count() >= 2;
        if !tabular {
            return;
        }
        let name = title
            .map(|(_, t)| t)
            .or_else(|| {
                rows.iter()
                    .find_map(|r| r.non_empty().next().map(|(_, c)| c.text.clone()))
            })
            .unwrap_or_default();
        out.tables.push(TableInfo {
            name,
            number,
            signature: None,
            recognized_by: None,
            location,
            unit: unit.as_str().to_string(),
            facts: 0,
        });
        return;
    };
    let source = Source::Table(number.clone().unwrap_or_else(|| signature.name.clone()));
    let table = Table {
        rows,
        signature,
        unit,
        source,
        index: out.tables.len(),
    };
    let before = out.facts.len();
    match signature.layout {
        Layout::Summary => summary::read(&table, out),
        Layout::Matrix => matrix::read(&table, out),
        Layout::Panels => panels::read(&table, out),
        Layout::Labeled => labeled::read(&table, out),
        Layout::ProjectTargets => performance::read_project_targets(&table, out),
        Layout::OverallTargets => performance::read_overall_targets(&table, out),
        Layout::SelfEvaluation => performance::read_self_evaluation(&table, out),
    }
    out.tables.push(TableInfo {
        name: signature.name.clone(),
        number,
        signature: Some(signature.id.clone()),
        recognized_by: recognized_by.map(str::to_string),
        location,
        unit: unit.as_str().to_string(),
        facts: out.facts.len() - before,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_cell_distinguishes_empty_zero_and_placeholders() {
        assert_eq!(parse_cell(""), CellValue::Empty);
        assert_eq!(parse_cell("-"), CellValue::Empty);
        assert_eq!(
            parse_cell("0.00"),
            CellValue::Number(Decimal::from_str("0.00").unwrap())
        );
        assert_eq!(
            parse_cell("1,614.27"),
            CellValue::Number(Decimal::from_str("1614.27").unwrap())
        );
        assert_eq!(
            parse_cell("0.0%"),
            CellValue::Percent(Decimal::from_str("0.0").unwrap())
        );
        assert_eq!(parse_cell("x,xxx"), CellValue::Placeholder);
        assert_eq!(parse_cell("XX"), CellValue::Placeholder);
        assert_eq!(parse_cell("…"), CellValue::Placeholder);
        assert_eq!(parse_cell("管理规范"), CellValue::Text);
    }

    #[test]
    fn label_key_strips_numbering() {
        assert_eq!(
            label_key("一、一般公共预算财政拨款收入"),
            "一般公共预算财政拨款收入"
        );
        assert_eq!(
            label_key("其中:（1）公务用车运行维护费"),
            "公务用车运行维护费"
        );
        assert_eq!(label_key("1、因公出国（境）费"), "因公出国(境)费");
        assert_eq!(label_key("1. 一般公共预算"), "一般公共预算");
        assert_eq!(label_key("合    计"), "合计");
    }

    #[test]
    fn signature_for_title_prefers_the_longest_title() {
        let s = signature_for_title("财政拨款收入支出决算总表").unwrap();
        assert_eq!(s.id, "final.fiscal_summary");
        let s = signature_for_title("收入支出决算总表").unwrap();
        assert_eq!(s.id, "final.income_expenditure_summary");
        let s = signature_for_title("一般公共预算财政拨款基本支出决算明细表").unwrap();
        assert_eq!(s.id, "final.general_budget_basic_detail");
    }
}
