//! Grids → facts: the table recognizer.
//!
//! A grid (a text block or a sheet) is cut into tables at title rows; each table is recognized
//! by its title — or, without one, by its header words — against the signatures in
//! `catalog/tables.toml`, never by its 公开NN number. The signature's layout picks the reader
//! (two-sided summary, code matrix, code panels, labeled rows/columns, performance forms); the
//! reader maps rows and columns to metrics, codes and aspects. Empty cells are not stated and
//! yield nothing; only a printed `0`/`0.00` is zero. Amounts follow the table's own unit line
//! (`金额单位：万元`, `单位：元`) and are normalized to 万元.

pub mod align;
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
use crate::model::{
    Aspect, Code, Fact, FactKey, Kind, Location, MetricKey, Source, Unit, UnitKind,
};

/// A table found in a grid, recognized or not.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
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
    /// Metrics of columns where page text did not show which column a number is in: their
    /// numbers were left out, so sums over them cannot be checked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub incomplete: Vec<String>,
    /// How many printed numbers were left out for that reason.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unplaced: usize,
    /// What the reader had to decide or could not use (`unit inferred`, `not read: …`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The year its title or caption names (`2024年项目支出绩效目标表`, `（2023年度）`), when it
    /// names exactly one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    /// The table prints its unit (or the unit was inferred): its amounts can vouch for another
    /// table's unit.
    #[serde(skip)]
    pub unit_known: bool,
    /// Numbers printed in the table's body (column-number rows aside): a recognized table that
    /// prints numbers and yields no fact is reported, never silent.
    #[serde(skip)]
    pub numbers: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
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
    static PLACEHOLDER: OnceLock<Regex> = OnceLock::new();
    let placeholder = PLACEHOLDER.get_or_init(|| {
        Regex::new(r"^(?:[Xx×*]+(?:,[Xx×*]{3})*(?:\.[Xx×*]+)?|…+|\.{3,})\s*%?$").expect("static")
    });
    let t = text.trim();
    if t.is_empty() || matches!(t, "-" | "—" | "－" | "--" | "——" | "/") {
        return CellValue::Empty;
    }
    if let Some((number, percent)) = split_number(t) {
        let parsed = if number.contains(',') {
            Decimal::from_str(&number.replace(',', ""))
        } else {
            Decimal::from_str(number)
        };
        // Beyond what a disclosure prints: not a figure (reported by `extract::numbers`).
        return match parsed {
            Ok(v) if !crate::extract::numbers::within_bounds(v, percent) => CellValue::Text,
            Ok(v) if percent => CellValue::Percent(v),
            Ok(v) => CellValue::Number(v),
            Err(_) => CellValue::Text,
        };
    }
    if t.starts_with(['X', 'x', '×', '*', '…', '.']) && placeholder.is_match(t) {
        return CellValue::Placeholder;
    }
    CellValue::Text
}

/// A whole cell that is a number — `-1,234.50`, `12`, `3.5 %` — as its number text and
/// whether a percent sign follows: digits grouped by commas in threes or not grouped, an
/// optional fraction, then optional spaces and `%`. The pattern
/// `^([+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)\s*(%?)$` read by hand: this runs on
/// every cell of every table.
fn split_number(t: &str) -> Option<(&str, bool)> {
    let b = t.as_bytes();
    let digits_from = |i: usize| b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let lead = digits_from(i);
    if lead == 0 {
        return None;
    }
    i += lead;
    if b.get(i) == Some(&b',') {
        if lead > 3 {
            return None;
        }
        while b.get(i) == Some(&b',') {
            if digits_from(i + 1) != 3 {
                return None;
            }
            i += 4;
        }
    }
    if b.get(i) == Some(&b'.') {
        let fraction = digits_from(i + 1);
        if fraction == 0 {
            return None;
        }
        i += 1 + fraction;
    }
    let number = &t[..i];
    let rest = t[i..].trim_start();
    match rest {
        "" => Some((number, false)),
        "%" => Some((number, true)),
        _ => None,
    }
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
    const BANDS: [&str; 5] = ["决算数", "预算数", "金额", "决算金额", "预算金额"];
    // `预算数/合计`: a band of 预算数 over every measure, the measure below it — the same
    // column as `合计/预算数`. A band-only spec (no metric) never wins over a measure.
    if let Some((band, rest)) = path.split_once('/') {
        if BANDS.contains(&band) {
            let reordered = format!("{rest}/{band}");
            if let Some(spec) =
                match_column_exactly(&reordered, specs).filter(|s| s.metric.is_some())
            {
                return Some(spec);
            }
        }
    }
    match_column_exactly(path, specs).or_else(|| {
        // `本年支出合计/决算数`: a row of 决算数 under every column names no column itself.
        let (head, last) = path.rsplit_once('/')?;
        BANDS
            .contains(&last)
            .then(|| match_column_exactly(head, specs))
            .flatten()
    })
}

fn match_column_exactly<'a>(path: &str, specs: &'a [ColumnSpec]) -> Option<&'a ColumnSpec> {
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
    let printed: Vec<Vec<String>> = (0..header.len())
        .map(|r| (0..width).map(|c| text(r, c)).collect())
        .collect();
    let mut grid = printed.clone();
    for (r, row) in grid.iter_mut().enumerate() {
        let mut current = String::new();
        for (c, cell) in row.iter_mut().enumerate() {
            if !cell.is_empty() {
                current = cell.clone();
            } else if !current.is_empty()
                && has_below(r, c)
                && !has_own_header_above(&printed, r, c)
            {
                *cell = current.clone();
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
    if row
        .non_empty()
        .next()
        .is_some_and(|(_, c)| c.key() == "栏次")
    {
        return true;
    }
    // `1 | 2 | 3 | … | 12` under a wide header: column numbers, printed without a 栏次 label.
    let numbers: Vec<Option<u32>> = row
        .non_empty()
        .map(|(_, c)| {
            let t = c.text.trim();
            (!t.is_empty() && t.len() <= 3 && t.bytes().all(|b| b.is_ascii_digit()))
                .then(|| t.parse().ok())
                .flatten()
        })
        .collect();
    numbers.len() >= 3
        && numbers
            .iter()
            .enumerate()
            .all(|(i, n)| *n == Some(i as u32 + 1))
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
            period: None,
            named_as: None,
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

/// The rows above a table's first row of data: where its header words are.
fn header_rows(rows: &[Row]) -> &[Row] {
    let is_data = |r: &Row| {
        let numbers = r
            .non_empty()
            .filter(|(_, c)| matches!(parse_cell(&c.text), CellValue::Number(_)))
            .count();
        let first_is_code = r
            .non_empty()
            .next()
            .is_some_and(|(_, c)| Code::parse(&c.text).is_some());
        numbers >= 1 && !is_column_number_row(r) || first_is_code
    };
    let end = rows
        .iter()
        .take(12)
        .position(is_data)
        .unwrap_or(rows.len().min(12));
    &rows[..end]
}

/// The signature whose header words (any of its sets) all appear in the header rows, most
/// words first.
fn signature_for_header(rows: &[Row]) -> Option<&'static TableSignature> {
    // Header words are short labels; narrative cells that mention them are not headers.
    let text: String = header_rows(rows)
        .iter()
        .flat_map(|r| r.cells.iter().map(Cell::key))
        .filter(|k| k.chars().count() <= 30)
        .collect();
    catalog()
        .tables
        .iter()
        .flat_map(|t| {
            std::iter::once(&t.header)
                .chain(t.alt_headers.iter())
                .filter(|h| !h.is_empty())
                .map(move |h| (t, h))
        })
        .filter(|(_, words)| words.iter().all(|w| text.contains(w.as_str())))
        .filter(|(t, _)| !t.not_header.iter().any(|w| text.contains(w.as_str())))
        .max_by_key(|(_, words)| (words.len(), words.iter().map(String::len).sum::<usize>()))
        .map(|(t, _)| t)
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

/// The unit line of a table (`金额单位：万元`, `单位：元`) in its caption or first rows.
fn table_unit(caption: &[Cell], rows: &[Row]) -> Option<Unit> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"单位\s*[:：]?\s*(万元|亿元|元)").expect("static"));
    caption
        .iter()
        .chain(rows.iter().take(8).flat_map(|r| r.cells.iter()))
        .find_map(|c| re.captures(&c.key()).and_then(|m| Unit::parse(&m[1])))
}

/// The one year a table's title, caption or caption-like first rows name (`2024年`,
/// `2023年度`; a date such as `2024年3月` is not a period). Two different years: none.
fn table_year(title: Option<&str>, caption: &[Cell], rows: &[Row]) -> Option<i32> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re =
        RE.get_or_init(|| Regex::new(r"(20\d{2})\s*年\s*(度)?\s*(\d{1,2}\s*月)?").expect("static"));
    let years_in = |text: &str| -> Vec<i32> {
        re.captures_iter(text)
            .filter(|c| c.get(3).is_none())
            .filter_map(|c| c[1].parse().ok())
            .collect()
    };
    let one = |years: Vec<i32>| -> Option<i32> {
        let first = *years.first()?;
        years.iter().all(|y| *y == first).then_some(first)
    };
    if let Some(t) = title {
        let years = years_in(&normalize::fold(t));
        if !years.is_empty() {
            return one(years);
        }
    }
    // A line of its own that is only a year (`2024年`, `（2023年度）`), in the grid's caption or
    // in the short rows above the header. Anything longer there (a document title naming its
    // own year) is not the table's period.
    let alone = |t: &str| {
        let t: String = normalize::fold(t)
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '(' | ')' | '[' | ']'))
            .collect();
        let digits = t.trim_end_matches('度').strip_suffix('年')?;
        (digits.len() == 4
            && digits.starts_with("20")
            && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse::<i32>().ok())
        .flatten()
    };
    let years: Vec<i32> = caption
        .iter()
        .map(|c| c.text.clone())
        .chain(
            rows.iter()
                .take(4)
                .filter(|r| r.printed().count() <= 2)
                .flat_map(|r| r.printed().map(|(_, c)| c.text.clone()).collect::<Vec<_>>()),
        )
        .filter_map(|t| alone(&t))
        .collect();
    one(years)
}

/// A stretch of rows that is one table, or the continuation of the table before it.
struct Segment {
    rows: Vec<Row>,
    title: Option<(&'static TableSignature, String)>,
    caption: Vec<Cell>,
    /// Token rows of page text (see [`Grid::tokens`]).
    tokens: bool,
}

/// Cuts every grid at its title rows; the caption titles a grid's first table.
fn segments(grids: &[Grid]) -> Vec<Segment> {
    let mut out = Vec::new();
    for grid in grids {
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
            out.push(Segment {
                rows: rows.to_vec(),
                title: title.clone(),
                caption: if n == 0 {
                    grid.caption.clone()
                } else {
                    Vec::new()
                },
                tokens: grid.tokens,
            });
        }
    }
    out
}

/// A table assembled from one or more segments.
struct Assembled {
    rows: Vec<Row>,
    title: Option<(&'static TableSignature, String)>,
    caption: Vec<Cell>,
    tokens: bool,
    signature: Option<(&'static TableSignature, &'static str)>,
    width: usize,
}

/// True when a segment without a title of its own continues `table` (a page break): it
/// prints data, and any header it repeats is that table's.
fn continues(table: &Assembled, segment: &Segment) -> bool {
    let Some((signature, _)) = table.signature else {
        return false;
    };
    if segment.title.is_some() || segment.tokens != table.tokens {
        return false;
    }
    // A “三公” table is one row of figures; the forms after it are tables of their own.
    if !matches!(
        signature.layout,
        Layout::Matrix | Layout::Panels | Layout::Summary
    ) {
        return false;
    }
    // A row that names a table (`财政项目支出绩效目标申报表`) starts one.
    let titled = segment.rows.iter().take(3).any(|r| {
        r.printed()
            .any(|(_, c)| c.key().ends_with('表') && c.key().chars().count() >= 4)
    });
    if titled {
        return false;
    }
    // A header of its own that names no table we know: another table, not this one's rest.
    let own_header = segment.rows.iter().take(2).any(|r| {
        r.printed().any(|(_, c)| {
            let k = c.key();
            [
                "项目",
                "科目编码",
                "科目名称",
                "功能分类",
                "预算数",
                "决算数",
            ]
            .iter()
            .any(|w| k.starts_with(w))
        })
    });
    if own_header && signature_for_header(&segment.rows).is_none_or(|s| s.id != signature.id) {
        return false;
    }
    let repeats_other = signature_for_header(&segment.rows).is_some_and(|s| s.id != signature.id);
    let has_data = segment.rows.iter().any(|r| {
        r.non_empty().any(|(_, c)| {
            matches!(
                parse_cell(&c.text),
                CellValue::Number(_) | CellValue::Placeholder
            )
        })
    });
    !repeats_other && has_data && (segment.tokens || widest(&segment.rows) <= table.width + 1)
}

/// The number of cells of the widest row.
pub(super) fn widest(rows: &[Row]) -> usize {
    rows.iter().map(|r| r.cells.len()).max().unwrap_or(0)
}

/// Where a coded row prints its code, its name and its first number.
fn row_shape(row: &Row) -> Option<(usize, usize, usize)> {
    // The code opens the row (a number such as 14206 later in it is an amount).
    let (code_col, _) = row
        .non_empty()
        .next()
        .filter(|(_, c)| Code::parse(&c.text).is_some())?;
    // `208 | 05 | 01`: the 款 and 项 parts of a code printed in columns of their own.
    let mut after_code = code_col + 1;
    while after_code < row.cells.len()
        && after_code <= code_col + 2
        && (row.cells[after_code].is_empty()
            || row.cells[after_code].text.len() == 2
                && row.cells[after_code]
                    .text
                    .bytes()
                    .all(|b| b.is_ascii_digit()))
    {
        after_code += 1;
    }
    let value_col = row
        .non_empty()
        .find(|(i, c)| *i >= after_code && matches!(parse_cell(&c.text), CellValue::Number(_)))
        .map(|(i, _)| i)?;
    let name_col = row
        .non_empty()
        .find(|(i, c)| {
            *i > code_col && *i < value_col && matches!(parse_cell(&c.text), CellValue::Text)
        })
        .map_or(code_col + 1, |(i, _)| i);
    Some((code_col, name_col, value_col))
}

/// Rows of a table continued on another sheet, placed in the first part's columns: a PDF
/// extractor drops columns that are empty on a page (the 款/项 columns, trailing ones), so the
/// code, the name and the numbers (from the first on) are moved where the first part has them.
fn realign(first: &[Row], rows: Vec<Row>, tokens: bool) -> Vec<Row> {
    if tokens {
        return rows;
    }
    let (Some(target), Some(source)) = (
        first.iter().find_map(row_shape),
        rows.iter().find_map(row_shape),
    ) else {
        return rows;
    };
    // Same width: no column was dropped (a panel table continued with its left panel empty).
    if target == source || widest(first) == widest(&rows) {
        return rows;
    }
    let (t_code, t_name, t_value) = target;
    let (s_code, s_name, s_value) = source;
    rows.into_iter()
        .map(|row| {
            let location = row
                .cells
                .first()
                .map_or(Location::Line(0), |c| c.location.clone());
            let width = t_value + row.cells.len().saturating_sub(s_value);
            let mut cells: Vec<Cell> = (0..width.max(t_name + 1))
                .map(|_| Cell::new("", location.clone()))
                .collect();
            for (i, cell) in row.cells.into_iter().enumerate() {
                let to = if i == s_code {
                    Some(t_code)
                } else if i > s_code && i < s_name && t_code + (i - s_code) < t_name {
                    // 款/项 parts printed in columns of their own.
                    Some(t_code + (i - s_code))
                } else if i == s_name {
                    Some(t_name)
                } else if i >= s_value {
                    Some(t_value + (i - s_value))
                } else {
                    None
                };
                if let Some(slot) = to.and_then(|t| cells.get_mut(t)) {
                    *slot = cell;
                }
            }
            Row { cells }
        })
        .collect()
}

/// Reads every table of the grids.
pub fn extract(grids: &[Grid]) -> TableOutput {
    let mut out = TableOutput::default();
    let mut tables: Vec<Assembled> = Vec::new();
    for segment in segments(grids) {
        if crate::guard::expired() {
            break;
        }
        let signature = match &segment.title {
            Some((s, _)) => Some((*s, "title")),
            None => signature_for_header(&segment.rows).map(|s| (s, "header")),
        };
        if signature.is_none() {
            if let Some(last) = tables.last_mut() {
                if continues(last, &segment) {
                    last.width = last.width.max(widest(&segment.rows));
                    let rows = realign(&last.rows, segment.rows, last.tokens);
                    last.rows.extend(rows);
                    continue;
                }
            }
        } else if let (Some(last), None) = (tables.last_mut(), &segment.title) {
            // A header repeated on the next page, without its title.
            if last.signature.map(|(s, _)| s.id.as_str()) == signature.map(|(s, _)| s.id.as_str())
                && continues(last, &segment)
            {
                last.rows.extend(segment.rows);
                continue;
            }
        }
        let width = widest(&segment.rows);
        tables.push(Assembled {
            rows: segment.rows,
            title: segment.title,
            caption: segment.caption,
            tokens: segment.tokens,
            signature,
            width,
        });
    }
    for table in tables {
        read_table(table, &mut out);
    }
    infer_units_from_other_tables(&mut out);
    out
}

/// A table without a unit line whose figures are another table's figures times 10⁴ prints 元
/// (`82,527,880.20` beside `8,252.78802` 万元 for the same 基本支出): convert it.
fn infer_units_from_other_tables(out: &mut TableOutput) {
    use std::collections::HashMap;
    let ten_thousand = Decimal::from(10_000);
    for index in 0..out.tables.len() {
        if out.tables[index].unit_known || out.tables[index].signature.is_none() {
            continue;
        }
        let mut known: HashMap<FactKey, Vec<Decimal>> = HashMap::new();
        for f in &out.facts {
            let vouches = f
                .table
                .is_some_and(|t| t != index && out.tables.get(t).is_some_and(|i| i.unit_known));
            if let (true, Some(v), UnitKind::Amount) = (vouches, f.value, f.unit.kind()) {
                known.entry(f.key()).or_default().push(v);
            }
        }
        let (mut as_yuan, mut as_is) = (0usize, 0usize);
        for f in out.facts.iter().filter(|f| f.table == Some(index)) {
            let (Some(v), UnitKind::Amount) = (f.value, f.unit.kind()) else {
                continue;
            };
            if v.is_zero() {
                continue;
            }
            for k in known.get(&f.key()).into_iter().flatten() {
                let same = |a: Decimal, b: Decimal| {
                    let scale = a.scale().min(b.scale());
                    a.round_dp(scale) == b.round_dp(scale)
                };
                if same(*k, v) {
                    as_is += 1;
                } else if v.checked_div(ten_thousand).is_some_and(|y| same(*k, y)) {
                    as_yuan += 1;
                }
            }
        }
        if as_yuan > 0 && as_is == 0 {
            for f in out.facts.iter_mut().filter(|f| f.table == Some(index)) {
                if let (Some(printed), Unit::WanYuan) = (f.printed, f.printed_unit) {
                    let (v, u) = Unit::Yuan.normalize(printed);
                    f.value = Some(v);
                    f.unit = u;
                    f.printed_unit = Unit::Yuan;
                }
            }
            let info = &mut out.tables[index];
            info.unit = Unit::Yuan.as_str().to_string();
            info.unit_known = true;
            info.note = Some(format!(
                "no unit printed; {as_yuan} figures equal another table's 万元 figures × 10⁴, so amounts are read as 元"
            ));
        }
    }
}

fn read_table(table: Assembled, out: &mut TableOutput) {
    let Assembled {
        rows,
        title,
        caption,
        tokens,
        signature,
        ..
    } = table;
    // A title over no row of several cells is a contents entry or a caption, not a table.
    if !tokens && !rows.iter().any(|r| r.printed().count() >= 2) {
        return;
    }
    let location = caption
        .iter()
        .map(|c| c.location.clone())
        .chain(
            rows.iter()
                .filter_map(|r| r.non_empty().next().map(|(_, c)| c.location.clone())),
        )
        .next()
        .unwrap_or(Location::Line(0));
    let number = table_number(&rows);
    let year = table_year(title.as_ref().map(|(_, t)| t.as_str()), &caption, &rows);
    let printed_unit = table_unit(&caption, &rows);
    let unit = printed_unit.unwrap_or(Unit::WanYuan);
    let Some((signature, recognized_by)) = signature else {
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
            incomplete: Vec::new(),
            unplaced: 0,
            note: None,
            year,
            unit_known: false,
            numbers: 0,
        });
        return;
    };
    let numbers = rows
        .iter()
        .filter(|r| !is_column_number_row(r))
        .flat_map(|r| r.printed())
        .filter(|(_, c)| {
            // Amounts, not codes (`201`, `05`), row or column numbers.
            let t = c.text.trim();
            let amount = t.contains(['.', ',']) || t.trim_start_matches('-').len() >= 4;
            amount
                && Code::parse(t).is_none()
                && matches!(
                    parse_cell(&c.text),
                    CellValue::Number(_) | CellValue::Percent(_)
                )
        })
        .count();
    let (rows, incomplete, unplaced) = if tokens {
        let aligned = align::align(&rows, signature);
        let incomplete = incomplete_metrics(signature, &aligned.uncertain);
        (aligned.rows, incomplete, aligned.unplaced)
    } else {
        (rows, Vec::new(), 0)
    };
    let source = Source::Table(number.clone().unwrap_or_else(|| signature.name.clone()));
    let view = Table {
        rows: &rows,
        signature,
        unit,
        source,
        index: out.tables.len(),
    };
    let before = out.facts.len();
    match signature.layout {
        Layout::Summary => summary::read(&view, out),
        Layout::Matrix => matrix::read(&view, out),
        Layout::Panels => panels::read(&view, out),
        Layout::Labeled => labeled::read(&view, out),
        Layout::ProjectTargets => performance::read_project_targets(&view, out),
        Layout::OverallTargets => performance::read_overall_targets(&view, out),
        Layout::SelfEvaluation => performance::read_self_evaluation(&view, out),
    }
    let mut note = None;
    let mut unit_shown = unit;
    if printed_unit.is_none() {
        if let Some(inferred) = infer_yuan(&mut out.facts[before..]) {
            unit_shown = Unit::Yuan;
            note = Some(inferred);
        }
    }
    if signature.layout == Layout::Matrix {
        if let Some(why) = misaligned(&out.facts[before..]) {
            out.facts.truncate(before);
            note = Some(why);
        }
    }
    out.tables.push(TableInfo {
        name: signature.name.clone(),
        number,
        signature: Some(signature.id.clone()),
        recognized_by: Some(recognized_by.to_string()),
        location,
        unit: unit_shown.as_str().to_string(),
        facts: out.facts.len() - before,
        incomplete,
        unplaced,
        unit_known: printed_unit.is_some() || unit_shown == Unit::Yuan,
        note,
        year,
        numbers,
    });
}

/// The metrics of the columns named in `headers`.
fn incomplete_metrics(signature: &TableSignature, headers: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let specs = signature
        .columns
        .iter()
        .chain(signature.panels.iter().flat_map(|p| p.columns.iter()));
    let specs: Vec<&ColumnSpec> = specs.collect();
    for h in headers {
        let owned: Vec<ColumnSpec> = specs.iter().map(|s| (*s).clone()).collect();
        if let Some(m) = match_column(h, &owned).and_then(|s| s.metric.clone()) {
            if !out.contains(&m) {
                out.push(m);
            }
        }
    }
    out
}

/// Amounts of a table with no unit line, printed as whole numbers in the millions (or beyond
/// 10⁸ with decimals), are in 元: 47,483,458 万元 would be 4,748 亿元 for one department.
/// Returns the note saying so after converting the facts.
fn infer_yuan(facts: &mut [Fact]) -> Option<String> {
    let amounts: Vec<Decimal> = facts
        .iter()
        .filter(|f| f.unit == Unit::WanYuan && f.printed_unit == Unit::WanYuan)
        .filter_map(|f| f.printed)
        .collect();
    let max = amounts.iter().map(|d| d.abs()).max()?;
    let whole = amounts.iter().all(|d| d.fract().is_zero());
    let yuan = (whole && max >= Decimal::from(1_000_000)) || max >= Decimal::from(100_000_000);
    if !yuan {
        return None;
    }
    for f in facts
        .iter_mut()
        .filter(|f| f.unit == Unit::WanYuan && f.printed_unit == Unit::WanYuan)
    {
        if let Some(printed) = f.printed {
            let (v, u) = Unit::Yuan.normalize(printed);
            f.value = Some(v);
            f.unit = u;
            f.printed_unit = Unit::Yuan;
        }
    }
    Some(format!(
        "no unit printed; amounts up to {max} are read as 元 (converted to 万元)"
    ))
}

/// A coded table whose columns mostly fail 类 = Σ款 = Σ项 was not read as printed (values
/// shifted against their rows by the extraction): its numbers say nothing reliable.
fn misaligned(facts: &[Fact]) -> Option<String> {
    let mut checked = 0usize;
    let mut failed = 0usize;
    let mut by_column: std::collections::BTreeMap<(&str, Aspect), Vec<&Fact>> =
        std::collections::BTreeMap::new();
    for f in facts.iter().filter(|f| f.item.is_none()) {
        by_column
            .entry((f.metric.as_str(), f.aspect))
            .or_default()
            .push(f);
    }
    for column in by_column.values() {
        for parent in column.iter().filter(|f| f.code.is_some()) {
            let Some(code) = &parent.code else { continue };
            let children: Vec<&&Fact> = column
                .iter()
                .filter(|f| {
                    f.code.as_ref().is_some_and(|c| {
                        c.as_str().len() == code.as_str().len() + 2 && c.is_descendant_of(code)
                    })
                })
                .collect();
            if children.is_empty() {
                continue;
            }
            let (Some(total), Some(sum)) = (
                parent.printed,
                children
                    .iter()
                    .map(|f| f.printed)
                    .try_fold(Decimal::ZERO, |acc, v| v.and_then(|v| acc.checked_add(v))),
            ) else {
                continue;
            };
            checked += 1;
            let slack = Decimal::new(1, total.scale().min(28)) * Decimal::from(children.len() + 1);
            if (total - sum).abs() > slack {
                failed += 1;
            }
        }
    }
    (failed >= 4 && failed * 10 >= checked * 3).then(|| {
        format!(
            "not read: {failed} of {checked} class/item sums fail, the values are shifted against their rows"
        )
    })
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
    fn split_number_reads_what_the_number_pattern_read() {
        let pattern = Regex::new(r"^([+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)\s*(%?)$").unwrap();
        let cases = [
            "1",
            "-1",
            "+12.5",
            "1,234",
            "1,234.50",
            "12,345,678.9",
            "3.5 %",
            "3.5%",
            "100%",
            "1234,567",
            "1,2345",
            "1,23",
            ",123",
            "1,",
            "1.",
            ".5",
            "1..2",
            "1.2.3",
            "--1",
            "1 2",
            "1%%",
            "1 % ",
            "12万元",
            "1,234 %",
            "0.00",
            "-0",
            "+",
            "",
            "12\u{3000}%",
        ];
        for case in cases {
            let expected = pattern
                .captures(case)
                .map(|c| (c.get(1).map_or("", |m| m.as_str()), &c[2] == "%"));
            assert_eq!(split_number(case), expected, "{case:?}");
        }
        // `\d` also matched other scripts' digits, which then failed to parse: text either way.
        assert!(matches!(parse_cell("١٢"), CellValue::Text));
        assert!(matches!(parse_cell("1,234.5"), CellValue::Number(_)));
        assert!(matches!(parse_cell("XX.XX"), CellValue::Placeholder));
        assert!(matches!(parse_cell("…"), CellValue::Placeholder));
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
