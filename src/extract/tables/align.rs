//! Token rows (page text) → the cells of the table they print.
//!
//! Page text prints a table row as words separated by spaces: the code, the name, and the
//! numbers of the *non-empty* cells — an empty cell leaves no trace. A row of three numbers
//! under six columns could sit in twenty ways. This module places them the way a reader of the
//! printed table would, and only as far as the table itself proves it:
//!
//! 1. the columns, left to right, are the signature's `sequences` (template variants) or its
//!    `columns` in order; the variant that fits most rows wins;
//! 2. a placement must satisfy the table's row identities (`本年支出合计 = 基本支出 + 项目支出`):
//!    when a part is printed, its total is printed and equals the sum of the printed parts;
//! 3. columns most documents leave empty (`rare`: 上缴上级支出, 经营支出…) are used only when
//!    nothing else fits;
//! 4. in coded tables, each column of a parent row equals the sum of its children (类 = Σ款,
//!    款 = Σ项, 合计 = Σ类), which decides between placements the row alone cannot;
//! 5. a number whose column is still not decided is **left out** (the table says so in
//!    `uncertain`): a missing fact is a gap, a misplaced one is a false statement.
//!
//! Names wrapped over several lines (`城乡社区管理` / `21201 12,091.64 …` / `事务`) are put back
//! together; a line of one cell per line (another parser's layout) is regrouped into rows.
//! The result is ordinary rows under a synthetic header, read by the same table readers as a
//! spreadsheet's cells.

use std::collections::HashMap;

use rust_decimal::Decimal;

use super::{label_key, match_column, match_row, parse_cell, CellValue};
use crate::catalog::{catalog, ColumnSpec, Layout, PanelSpec, TableSignature};
use crate::ingest::grid::{Cell, Row};
use crate::model::{Aspect, Code};

/// Token rows placed into columns.
#[derive(Clone, Debug, Default)]
pub struct Aligned {
    pub rows: Vec<Row>,
    /// Column headers (as in the signature) where some number could not be placed for sure.
    pub uncertain: Vec<String>,
    /// How many printed numbers were left out for that reason.
    pub unplaced: usize,
}

/// Aligns the token rows of one table to the columns of `signature`.
pub fn align(rows: &[Row], signature: &TableSignature) -> Aligned {
    let coded = matches!(signature.layout, Layout::Matrix | Layout::Panels);
    let lines: Vec<Vec<Piece>> = rows.iter().map(|r| pieces(&r.cells, coded)).collect();
    match signature.layout {
        Layout::Matrix => matrix(&lines, signature),
        Layout::Summary => summary(&lines, signature),
        Layout::Panels => panels(&lines, signature),
        Layout::Labeled => labeled(&lines, signature),
        // Performance forms are read from spreadsheets and tab-cell text only.
        Layout::ProjectTargets | Layout::OverallTargets | Layout::SelfEvaluation => {
            Aligned::default()
        }
    }
}

/// A token read as what it is.
#[derive(Clone, Debug)]
enum Piece {
    /// A classification code, possibly printed in 类/款/项 parts (`208 05 01`).
    Code(String, Cell),
    Text(Cell),
    /// A number, a placeholder or a dash: a value cell.
    Value(Cell),
}

impl Piece {
    fn cell(&self) -> &Cell {
        match self {
            Piece::Code(_, c) | Piece::Text(c) | Piece::Value(c) => c,
        }
    }
}

fn is_value(text: &str) -> bool {
    crate::ingest::pagetext::is_dash(text)
        || matches!(
            parse_cell(text),
            CellValue::Number(_) | CellValue::Percent(_) | CellValue::Placeholder
        )
}

/// `2xx`/`3xx`: a 类 of the function or economic classification.
fn is_class(text: &str) -> bool {
    text.len() == 3
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text.starts_with('2') || text.starts_with('3'))
}

fn is_part(text: &str) -> bool {
    text.len() == 2 && text.bytes().all(|b| b.is_ascii_digit())
}

fn is_long_code(text: &str) -> bool {
    matches!(text.len(), 5 | 7)
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text.starts_with('2') || text.starts_with('3'))
}

/// Reads the cells of a line (or a stream of lines) as codes, texts and values; `coded`:
/// the table prints classification codes.
fn pieces(cells: &[Cell], coded: bool) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::new();
    let mut i = 0;
    while i < cells.len() {
        let text = cells[i].text.as_str();
        if !coded {
            out.push(if is_value(text) {
                Piece::Value(cells[i].clone())
            } else {
                Piece::Text(cells[i].clone())
            });
            i += 1;
            continue;
        }
        let may_start_code = !matches!(out.last(), Some(Piece::Text(_)) | Some(Piece::Code(..)));
        if may_start_code && is_class(text) {
            let next = cells.get(i + 1).map(|c| c.text.as_str());
            // A class leads its line; mid-line it must be followed by its name or parts.
            let followed = next.is_some_and(|n| is_part(n) || !is_value(n)) || out.is_empty();
            if followed || next.is_none() {
                let mut code = text.to_string();
                let mut raw = cells[i].raw.clone();
                let mut j = i + 1;
                while j < cells.len() && code.len() < 7 && is_part(&cells[j].text) {
                    code.push_str(&cells[j].text);
                    raw.push(' ');
                    raw.push_str(&cells[j].raw);
                    j += 1;
                }
                let cell = Cell::new(raw, cells[i].location.clone());
                out.push(Piece::Code(code, cell));
                i = j;
                continue;
            }
        }
        // A 款/项 code may follow the name of an empty cell of the panel before it.
        let after_name = matches!(out.last(), Some(Piece::Text(_)))
            // `30399 30240 20.81`: the left panel's code without its (wrapped) name or amount.
            || matches!(out.last(), Some(Piece::Code(c, _)) if c.len() == text.len());
        if (may_start_code || after_name) && is_long_code(text) && !text.contains([',', '.']) {
            out.push(Piece::Code(text.to_string(), cells[i].clone()));
            i += 1;
            continue;
        }
        if is_value(text) {
            out.push(Piece::Value(cells[i].clone()));
        } else {
            out.push(Piece::Text(cells[i].clone()));
        }
        i += 1;
    }
    out
}

/// Joins the text of cells into one label cell (at the first cell's place).
fn join_cells(cells: &[Cell]) -> Option<Cell> {
    let first = cells.first()?;
    let raw: String = cells.iter().map(|c| c.raw.trim()).collect();
    Some(Cell::new(raw, first.location.clone()))
}

fn is_total_key(key: &str) -> bool {
    matches!(
        key,
        "合计" | "总计" | "本年支出合计" | "本年收入合计" | "合计数"
    )
}

/// Header words printed before the first row of a coded table (`类 款 项 合计`).
fn strip_header_residue(key: &str) -> &str {
    let mut k = key;
    for w in ["类款项", "类款", "项目", "科目编码", "科目名称"] {
        if let Some(rest) = k.strip_prefix(w) {
            if !rest.is_empty() {
                k = rest;
            }
        }
    }
    k
}

/// Starts a new item: `一、`, `1.`, `（一）`.
fn starts_with_marker(text: &str) -> bool {
    let numerals = "一二三四五六七八九十";
    let t = text.trim_start();
    let Some(first) = t.chars().next() else {
        return false;
    };
    if numerals.contains(first) {
        let rest: String = t.chars().skip_while(|c| numerals.contains(*c)).collect();
        return rest.starts_with('、') || rest.starts_with('.');
    }
    if first.is_ascii_digit() {
        let rest: String = t.chars().skip_while(char::is_ascii_digit).collect();
        return rest.starts_with('、') || rest.starts_with('.');
    }
    first == '(' || first == '（'
}

/// A column the rows are placed into.
#[derive(Clone, Debug)]
struct Column<'s> {
    /// The header as in the signature (a path `合计/预算数` for wide tables).
    header: String,
    spec: Option<&'s ColumnSpec>,
    rare: bool,
}

/// `total = Σ parts` between column indices.
#[derive(Clone, Debug)]
struct RowIdentity {
    total: usize,
    parts: Vec<usize>,
}

fn columns_of<'s>(headers: &[String], specs: &'s [ColumnSpec], rare: &[String]) -> Vec<Column<'s>> {
    headers
        .iter()
        .map(|h| Column {
            header: h.clone(),
            spec: match_column(h, specs),
            rare: rare.iter().any(|r| r == h),
        })
        .collect()
}

/// The default sequence: the spec headers in order, one per (metric, aspect).
fn default_sequence(specs: &[ColumnSpec]) -> Vec<String> {
    let mut seen: Vec<(Option<&str>, Option<Aspect>)> = Vec::new();
    let mut out = Vec::new();
    for s in specs {
        let id = (s.metric.as_deref(), s.aspect);
        if !seen.contains(&id) {
            seen.push(id);
            out.push(s.header.clone());
        }
    }
    out
}

fn identities(columns: &[Column<'_>], signature: &TableSignature) -> Vec<RowIdentity> {
    let find = |metric: &str, aspect: Option<Aspect>| {
        columns.iter().position(|c| {
            c.spec.is_some_and(|s| {
                s.metric.as_deref() == Some(metric)
                    && s.aspect.unwrap_or(Aspect::Value) == aspect.unwrap_or(Aspect::Value)
            })
        })
    };
    let mut aspects: Vec<Option<Aspect>> = Vec::new();
    for c in columns {
        let a = c.spec.and_then(|s| s.aspect);
        if !aspects.contains(&a) {
            aspects.push(a);
        }
    }
    let mut out = Vec::new();
    for sum in &signature.sums {
        if sum.total.contains('@') || sum.parts.iter().any(|p| p.contains('@')) {
            continue;
        }
        for &aspect in &aspects {
            let Some(total) = find(&sum.total, aspect) else {
                continue;
            };
            let parts: Vec<usize> = sum.parts.iter().filter_map(|p| find(p, aspect)).collect();
            if !parts.is_empty() {
                out.push(RowIdentity { total, parts });
            }
        }
    }
    out
}

/// A printed number's value and the half of its last printed unit (its rounding slack).
fn number(cell: &Cell) -> Option<(Decimal, Decimal)> {
    match parse_cell(&cell.text) {
        CellValue::Number(v) | CellValue::Percent(v) => {
            let half = Decimal::new(5, v.scale().saturating_add(1).min(28));
            Some((v, half))
        }
        _ => None,
    }
}

/// Placed values: column → the cell printed there.
type Placement = Vec<usize>;

/// Every order-keeping placement of `k` values into `n` columns (bounded).
fn placements(k: usize, n: usize) -> Vec<Placement> {
    const LIMIT: usize = 5000;
    let mut out = Vec::new();
    if k > n {
        return out;
    }
    let mut current: Vec<usize> = Vec::with_capacity(k);
    fn go(k: usize, n: usize, start: usize, current: &mut Vec<usize>, out: &mut Vec<Placement>) {
        if out.len() >= LIMIT {
            return;
        }
        if current.len() == k {
            out.push(current.clone());
            return;
        }
        let remaining = k - current.len();
        for c in start..=n - remaining {
            current.push(c);
            go(k, n, c + 1, current, out);
            current.pop();
        }
    }
    go(k, n, 0, &mut current, &mut out);
    out
}

/// True when the placed values satisfy every identity they touch.
fn satisfies(values: &[Cell], placement: &Placement, ids: &[RowIdentity]) -> bool {
    let at = |col: usize| -> Option<&Cell> {
        placement.iter().position(|&c| c == col).map(|i| &values[i])
    };
    for id in ids {
        let parts: Vec<&Cell> = id.parts.iter().filter_map(|&p| at(p)).collect();
        let parts: Vec<(Decimal, Decimal)> = match parts.iter().map(|c| number(c)).collect() {
            Some(p) => p,
            // A placeholder or dash among the parts: nothing to add up.
            None => continue,
        };
        if parts.is_empty() {
            continue;
        }
        let Some((total, total_half)) = at(id.total).and_then(number) else {
            // Parts printed without their total.
            if at(id.total).is_none() {
                return false;
            }
            continue;
        };
        let mut sum = Decimal::ZERO;
        let mut slack = total_half;
        for (v, h) in parts {
            sum = sum.checked_add(v).unwrap_or(Decimal::MAX);
            slack = slack.checked_add(h).unwrap_or(Decimal::MAX);
        }
        let diff = total
            .checked_sub(sum)
            .map(|d| d.abs())
            .unwrap_or(Decimal::MAX);
        if diff > slack {
            return false;
        }
    }
    true
}

/// One row of values to place: its candidate placements.
#[derive(Clone, Debug)]
struct Pending {
    values: Vec<Cell>,
    candidates: Vec<Placement>,
}

impl Pending {
    fn new(values: Vec<Cell>, columns: &[Column<'_>], ids: &[RowIdentity]) -> Pending {
        let all = placements(values.len(), columns.len());
        let fitting: Vec<Placement> = all
            .iter()
            .filter(|p| satisfies(&values, p, ids))
            .cloned()
            .collect();
        let candidates = if fitting.is_empty() {
            // The printed numbers break the identities whatever their columns: keep what the
            // order alone proves (all columns filled).
            all.into_iter()
                .filter(|p| p.len() == columns.len())
                .collect()
        } else {
            let common: Vec<Placement> = fitting
                .iter()
                .filter(|p| !p.iter().any(|&c| columns[c].rare))
                .cloned()
                .collect();
            if common.is_empty() {
                fitting
            } else {
                common
            }
        };
        Pending { values, candidates }
    }

    /// The column of value `i` if every remaining candidate agrees.
    fn decided(&self, i: usize) -> Option<usize> {
        let first = self.candidates.first()?.get(i).copied()?;
        self.candidates
            .iter()
            .all(|p| p.get(i) == Some(&first))
            .then_some(first)
    }

    /// Value of column `col` under placement `p` (0 when empty), with rounding slack.
    fn value_at(&self, p: &Placement, col: usize) -> Option<(Decimal, Decimal)> {
        match p.iter().position(|&c| c == col) {
            Some(i) => number(&self.values[i]),
            None => Some((Decimal::ZERO, Decimal::ZERO)),
        }
    }
}

/// Prunes candidates with `parent = Σ children` in every column, for groups whose product of
/// candidates is small enough to try.
fn prune_hierarchy(rows: &mut [Pending], groups: &[(usize, Vec<usize>)], n: usize) {
    const MAX_COMBOS: usize = 4096;
    for _pass in 0..8 {
        let mut changed = false;
        for (parent, children) in groups {
            let members: Vec<usize> = std::iter::once(*parent)
                .chain(children.iter().copied())
                .collect();
            if members.iter().all(|&m| rows[m].candidates.len() <= 1) {
                continue;
            }
            if members.iter().any(|&m| rows[m].candidates.is_empty()) {
                continue;
            }
            // A decided parent with nothing in a column leaves nothing there for its
            // children (amounts are not negative): 302 商品和服务支出 all 公用经费 makes each of
            // its twenty 款 公用经费 without trying 2²⁰ combinations.
            if rows[*parent].candidates.len() == 1 {
                let empty_cols: Vec<usize> = (0..n)
                    .filter(|&col| {
                        rows[*parent]
                            .value_at(&rows[*parent].candidates[0], col)
                            .is_some_and(|(v, _)| v.is_zero())
                    })
                    .collect();
                for &child in children {
                    let row = &rows[child];
                    if row.candidates.len() <= 1
                        || row
                            .values
                            .iter()
                            .any(|v| number(v).is_none_or(|(x, _)| x.is_sign_negative()))
                    {
                        continue;
                    }
                    let kept: Vec<Placement> = row
                        .candidates
                        .iter()
                        .filter(|cand| {
                            empty_cols.iter().all(|&col| {
                                row.value_at(cand, col).is_some_and(|(v, _)| v.is_zero())
                            })
                        })
                        .cloned()
                        .collect();
                    if !kept.is_empty() && kept.len() < row.candidates.len() {
                        rows[child].candidates = kept;
                        changed = true;
                    }
                }
            }
            let combos: usize = members
                .iter()
                .try_fold(1usize, |acc, &m| acc.checked_mul(rows[m].candidates.len()))
                .unwrap_or(usize::MAX);
            if combos > MAX_COMBOS {
                continue;
            }
            let mut keep: Vec<Vec<bool>> = members
                .iter()
                .map(|&m| vec![false; rows[m].candidates.len()])
                .collect();
            let mut index = vec![0usize; members.len()];
            let mut any = false;
            loop {
                let ok = (0..n).all(|col| {
                    let Some((pv, ph)) =
                        rows[*parent].value_at(&rows[*parent].candidates[index[0]], col)
                    else {
                        return true;
                    };
                    let mut sum = Decimal::ZERO;
                    let mut slack = ph;
                    for (k, &child) in children.iter().enumerate() {
                        let cand = &rows[child].candidates[index[k + 1]];
                        match rows[child].value_at(cand, col) {
                            Some((v, h)) => {
                                sum = sum.checked_add(v).unwrap_or(Decimal::MAX);
                                slack = slack.checked_add(h).unwrap_or(Decimal::MAX);
                            }
                            None => return true,
                        }
                    }
                    pv.checked_sub(sum).map(|d| d.abs()).unwrap_or(Decimal::MAX) <= slack
                });
                if ok {
                    any = true;
                    for (k, &i) in index.iter().enumerate() {
                        keep[k][i] = true;
                    }
                }
                // next combination
                let mut k = 0;
                loop {
                    if k == members.len() {
                        break;
                    }
                    index[k] += 1;
                    if index[k] < rows[members[k]].candidates.len() {
                        break;
                    }
                    index[k] = 0;
                    k += 1;
                }
                if k == members.len() {
                    break;
                }
            }
            if !any {
                continue;
            }
            for (k, &m) in members.iter().enumerate() {
                let before = rows[m].candidates.len();
                let mut i = 0;
                rows[m].candidates.retain(|_| {
                    let keep_it = keep[k][i];
                    i += 1;
                    keep_it
                });
                if rows[m].candidates.len() != before {
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
}

/// Where a table's body begins: the first line with a code or a value.
fn body_start(lines: &[Vec<Piece>]) -> usize {
    lines
        .iter()
        .position(|l| {
            l.iter()
                .any(|p| matches!(p, Piece::Code(..) | Piece::Value(_)))
        })
        .unwrap_or(lines.len())
}

/// Words of column headers, never a piece of a row's name.
fn is_header_word(key: &str) -> bool {
    [
        "项目",
        "科目",
        "编码",
        "名称",
        "合计",
        "预算",
        "决算",
        "栏次",
        "单位",
        "功能分类",
        "经济分类",
    ]
    .iter()
    .any(|w| key.contains(w))
        || key.chars().count() <= 1
}

/// True when most lines hold one cell: another parser's layout, one cell per line.
fn one_cell_per_line(lines: &[Vec<Piece>]) -> bool {
    let non_empty: Vec<&Vec<Piece>> = lines.iter().filter(|l| !l.is_empty()).collect();
    non_empty.len() >= 4
        && non_empty.iter().filter(|l| l.len() == 1).count() * 10 >= non_empty.len() * 7
}

/// A row of a coded table being put together.
#[derive(Clone, Debug, Default)]
struct Entry {
    code: Option<(String, Cell)>,
    /// Name parts printed on the row's own line.
    label: Vec<Cell>,
    above: Vec<Cell>,
    below: Vec<Cell>,
    values: Vec<Cell>,
    /// The name on the row's line starts an item (`一、`) or is a total: it takes nothing above.
    closed: bool,
}

impl Entry {
    fn name(&self) -> Option<Cell> {
        let cells: Vec<Cell> = self
            .above
            .iter()
            .chain(&self.label)
            .chain(&self.below)
            .cloned()
            .collect();
        join_cells(&cells)
    }
}

/// True when `name` is a catalog name of `code`.
fn known_name(code: &str, name: &str) -> bool {
    let Some(code) = Code::parse(code) else {
        return false;
    };
    catalog()
        .codes_for(&code)
        .get(&code)
        .is_some_and(|e| e.matching_name(name).is_some())
}

/// Regroups one-cell-per-line pieces into rows: a code or a name after a number starts one.
fn regroup(lines: &[Vec<Piece>]) -> Vec<Vec<Piece>> {
    let stream: Vec<Cell> = lines.iter().flatten().map(|p| p.cell().clone()).collect();
    let flat = pieces(&stream, true);
    let mut out: Vec<Vec<Piece>> = Vec::new();
    let mut current: Vec<Piece> = Vec::new();
    for p in flat {
        let starts = match &p {
            Piece::Code(..) => !current.is_empty(),
            Piece::Text(c) => {
                current.iter().any(|q| matches!(q, Piece::Value(_)))
                    || starts_with_marker(&c.text)
                    || is_total_key(&label_key(&c.text))
            }
            Piece::Value(_) => false,
        };
        if starts && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        current.push(p);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Coded tables: put names back together, then place the numbers.
fn matrix(lines: &[Vec<Piece>], signature: &TableSignature) -> Aligned {
    let mut start = body_start(lines);
    // The upper half of the first row's wrapped name, printed just above it.
    if start > 0
        && lines[start - 1].len() == 1
        && matches!(&lines[start - 1][0], Piece::Text(c) if !is_header_word(&label_key(&c.text)))
    {
        start -= 1;
    }
    let body: Vec<Vec<Piece>> = if one_cell_per_line(&lines[start..]) {
        regroup(&lines[start..])
    } else {
        lines[start..].to_vec()
    };
    let entries = entries(&body);
    let sequences: Vec<Vec<String>> = if signature.sequences.is_empty() {
        vec![default_sequence(&signature.columns)]
    } else {
        signature.sequences.clone()
    };
    // The variant that fits most rows.
    let mut best: Option<(usize, Vec<Column<'_>>, Vec<RowIdentity>)> = None;
    for seq in &sequences {
        let columns = columns_of(seq, &signature.columns, &signature.rare);
        let ids = identities(&columns, signature);
        let fit = entries
            .iter()
            .filter(|e| !e.values.is_empty())
            .filter(|e| {
                placements(e.values.len(), columns.len())
                    .iter()
                    .any(|p| satisfies(&e.values, p, &ids))
            })
            .count();
        if best.as_ref().is_none_or(|(f, _, _)| fit > *f) {
            best = Some((fit, columns, ids));
        }
    }
    let Some((_, columns, ids)) = best else {
        return Aligned::default();
    };
    let mut pending: Vec<Pending> = entries
        .iter()
        .map(|e| Pending::new(e.values.clone(), &columns, &ids))
        .collect();
    prune_hierarchy(&mut pending, &hierarchy_groups(&entries), columns.len());

    let mut out = Aligned::default();
    let mut header = vec![cell_like("科目编码", lines), cell_like("科目名称", lines)];
    header.extend(columns.iter().map(|c| cell_like(&c.header, lines)));
    out.rows.push(Row { cells: header });
    for (entry, p) in entries.iter().zip(&pending) {
        let width = 2 + columns.len();
        let mut cells: Vec<Cell> = (0..width).map(|_| empty_like(entry)).collect();
        let name = entry.name();
        match (&entry.code, &name) {
            (Some((code, cell)), _) => {
                cells[0] = Cell::new(code.clone(), cell.location.clone());
                if let Some(n) = name {
                    cells[1] = n;
                }
            }
            (None, Some(n)) => {
                let key = label_key(&n.text);
                let key = strip_header_residue(&key);
                cells[0] = Cell::new(key.to_string(), n.location.clone());
            }
            (None, None) => continue,
        }
        place(p, &columns, 2, &mut cells, &mut out);
        out.rows.push(Row { cells });
    }
    out
}

fn cell_like(text: &str, lines: &[Vec<Piece>]) -> Cell {
    let location = lines
        .iter()
        .flatten()
        .next()
        .map(|p| p.cell().location.clone())
        .unwrap_or(crate::model::Location::Line(0));
    Cell::new(text, location)
}

fn empty_like(entry: &Entry) -> Cell {
    let location = entry
        .code
        .as_ref()
        .map(|(_, c)| c.location.clone())
        .or_else(|| entry.label.first().map(|c| c.location.clone()))
        .or_else(|| entry.values.first().map(|c| c.location.clone()))
        .unwrap_or(crate::model::Location::Line(0));
    Cell::new("", location)
}

/// Writes a row's decided values into `cells` from `offset`, counting what stays out.
fn place(
    p: &Pending,
    columns: &[Column<'_>],
    offset: usize,
    cells: &mut [Cell],
    out: &mut Aligned,
) {
    for (i, v) in p.values.iter().enumerate() {
        match p.decided(i) {
            Some(col) => {
                if let Some(slot) = cells.get_mut(offset + col) {
                    *slot = v.clone();
                }
            }
            None => {
                out.unplaced += 1;
                if p.candidates.is_empty() {
                    for c in columns {
                        if !out.uncertain.contains(&c.header) {
                            out.uncertain.push(c.header.clone());
                        }
                    }
                }
                for cand in &p.candidates {
                    if let Some(&col) = cand.get(i) {
                        let h = &columns[col].header;
                        if !out.uncertain.contains(h) {
                            out.uncertain.push(h.clone());
                        }
                    }
                }
            }
        }
    }
}

/// Groups of (parent row, child rows) by code: 类 ⊃ 款 ⊃ 项, and 合计 ⊃ 类.
fn hierarchy_groups(entries: &[Entry]) -> Vec<(usize, Vec<usize>)> {
    let mut by_code: HashMap<&str, usize> = HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        if let Some((code, _)) = &e.code {
            by_code.entry(code.as_str()).or_insert(i);
        }
    }
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        let Some((code, _)) = &e.code else { continue };
        let parent = match code.len() {
            7 => by_code.get(&code[..5]).copied(),
            5 => by_code.get(&code[..3]).copied(),
            // The 合计 row with numbers: a header repeated on a later page (`…合计 基本支出
            // 项目支出`) names no total.
            3 => entries.iter().position(|t| {
                t.code.is_none()
                    && !t.values.is_empty()
                    && t.name()
                        .is_some_and(|n| is_total_key(strip_header_residue(&label_key(&n.text))))
            }),
            _ => None,
        };
        if let Some(p) = parent {
            groups.entry(p).or_default().push(i);
        }
    }
    let mut out: Vec<(usize, Vec<usize>)> = groups.into_iter().collect();
    // Children first, so their placements are settled before the parents use them.
    out.sort_by_key(|(p, _)| {
        std::cmp::Reverse(entries[*p].code.as_ref().map_or(0, |(c, _)| c.len()))
    });
    out
}

/// Puts names back together: a line without code or number is a piece of a name, which goes
/// to the row above (its lower half) or below (its upper half).
fn entries(body: &[Vec<Piece>]) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    let mut loose: Vec<Cell> = Vec::new();
    for line in body {
        let has_anchor = line
            .iter()
            .any(|p| matches!(p, Piece::Code(..) | Piece::Value(_)));
        let texts: Vec<&Cell> = line
            .iter()
            .filter_map(|p| match p {
                Piece::Text(c) => Some(c),
                _ => None,
            })
            .collect();
        let total_line = texts
            .iter()
            .any(|c| is_total_key(strip_header_residue(&label_key(&c.text))));
        if !has_anchor && !total_line {
            loose.extend(texts.into_iter().cloned());
            continue;
        }
        // A line of numbers only, after a row printed without its numbers (`2080506` /
        // its name / `116.59 116.59 0.00`): the numbers of that row.
        let values_only = line.iter().all(|p| matches!(p, Piece::Value(_)));
        if values_only {
            if let Some(prev) = out
                .last_mut()
                .filter(|e| e.values.is_empty() && e.code.is_some())
            {
                prev.below.append(&mut loose);
                prev.values.extend(line.iter().map(|p| p.cell().clone()));
                continue;
            }
        }
        let mut entry = Entry::default();
        for p in line {
            match p {
                Piece::Code(code, cell) if entry.code.is_none() && entry.values.is_empty() => {
                    entry.code = Some((code.clone(), cell.clone()));
                }
                Piece::Text(c) if entry.values.is_empty() => entry.label.push(c.clone()),
                Piece::Value(c) => entry.values.push(c.clone()),
                _ => {}
            }
        }
        if total_line && entry.code.is_none() {
            // `类 款 项 合计 4,733.14 …`: keep the total word only.
            entry.label = texts
                .iter()
                .rev()
                .find(|c| is_total_key(strip_header_residue(&label_key(&c.text))))
                .map(|c| vec![(*c).clone()])
                .unwrap_or_default();
            entry.closed = true;
        }
        if entry
            .label
            .first()
            .is_some_and(|c| starts_with_marker(&c.text))
        {
            entry.closed = true;
        }
        distribute(&mut out, &mut entry, std::mem::take(&mut loose));
        out.push(entry);
    }
    if let Some(last) = out.last_mut() {
        last.below.append(&mut loose);
    }
    out
}

/// Splits the name pieces printed between two rows: the previous row takes as many below as it
/// has above (a wrapped name is printed centred on its numbers), unless the catalog knows the
/// names better.
fn distribute(done: &mut [Entry], next: &mut Entry, loose: Vec<Cell>) {
    if loose.is_empty() {
        return;
    }
    let Some(prev) = done.last_mut() else {
        next.above = loose;
        return;
    };
    if next.closed {
        prev.below = loose;
        return;
    }
    let symmetric = prev.above.len().min(loose.len());
    let score = |k: usize| -> i32 {
        let mut s = 0;
        let mut p = prev.clone();
        p.below = loose[..k].to_vec();
        let mut n = next.clone();
        n.above = loose[k..].to_vec();
        for e in [&p, &n] {
            if let (Some((code, _)), Some(name)) = (&e.code, e.name()) {
                if known_name(code, &name.text) {
                    s += 2;
                }
            }
        }
        if k == symmetric {
            s += 1;
        }
        s
    };
    let k = (0..=loose.len())
        .max_by_key(|&k| (score(k), k == symmetric))
        .unwrap_or(symmetric);
    prev.below = loose[..k].to_vec();
    next.above = loose[k..].to_vec();
}

/// A labelled stretch of a summary: a name and the numbers after it.
#[derive(Clone, Debug)]
struct Segment {
    label: Cell,
    values: Vec<Cell>,
    /// The line it was printed on, and its position there.
    line: usize,
    position: usize,
    /// The line its last number was printed on, when that is another line.
    value_line: Option<usize>,
}

fn segments(lines: &[Vec<Piece>], stream: bool) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    let mut pending_marker: Option<Cell> = None;
    let mut position_on_line = 0;
    for (n, line) in lines.iter().enumerate() {
        position_on_line = if stream { position_on_line } else { 0 };
        for p in line {
            match p {
                Piece::Text(c) | Piece::Code(_, c) => {
                    let key = normalize_label(&c.text);
                    if key.is_empty() {
                        // `1.`: a marker printed apart from its label.
                        pending_marker = Some(c.clone());
                        continue;
                    }
                    let label = match pending_marker.take() {
                        Some(m) => Cell::new(format!("{}{}", m.raw, c.raw), m.location),
                        None => c.clone(),
                    };
                    out.push(Segment {
                        label,
                        values: Vec::new(),
                        line: n,
                        position: position_on_line,
                        value_line: None,
                    });
                    position_on_line += 1;
                }
                Piece::Value(c) => {
                    if let Some(s) = out.last_mut() {
                        s.values.push(c.clone());
                        if s.line != n {
                            s.value_line = Some(n);
                        }
                    }
                }
            }
        }
    }
    out
}

fn normalize_label(text: &str) -> String {
    label_key(text)
}

/// Header words of summaries, never row names.
fn is_summary_header(key: &str) -> bool {
    matches!(
        key,
        "项目" | "预算数" | "决算数" | "金额" | "收入" | "支出" | "本年收入" | "本年支出" | "行次"
    ) || key.ends_with("决算数") && key.chars().count() <= 6
}

/// Which side of a summary a name belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Left,
    Right,
    /// Both sides print it (`总计`): decided by its place on the line.
    Either,
    /// Not a row name: a piece of a wrapped one, or a header word.
    Unknown,
}

/// Two-sided summaries: each name goes to the side whose rows it names; names wrapped around
/// their numbers are put back together first.
fn summary(lines: &[Vec<Piece>], signature: &TableSignature) -> Aligned {
    let (Some(left), Some(right)) = (signature.panels.first(), signature.panels.get(1)) else {
        return Aligned::default();
    };
    let stream = one_cell_per_line(lines);
    let functions = &catalog().functions;
    let side_of = |text: &str| -> Side {
        let key = normalize_label(text);
        if key.is_empty() || is_summary_header(&key) {
            return Side::Unknown;
        }
        let l = match_row(&key, &left.rows).is_some();
        let r = match_row(&key, &right.rows).is_some() || !functions.named(&key, 3).is_empty();
        match (l, r) {
            (true, false) => Side::Left,
            (false, true) => Side::Right,
            (true, true) => Side::Either,
            (false, false) => Side::Unknown,
        }
    };
    let left_cols = panel_columns(left, &signature.rare);
    let right_cols = panel_columns(right, &signature.rare);
    let mut segs = segments(lines, stream);
    // Numbers beyond the income side's columns belong to an expenditure row whose name is
    // printed in pieces around them (`一、社会保障和就业` / `一、一般公共预算 493… 16… …` / `支出`).
    let mut i = 0;
    while i < segs.len() {
        let overflow =
            side_of(&segs[i].label.text) == Side::Left && segs[i].values.len() > left_cols.len();
        if overflow {
            let rest = segs[i].values.split_off(left_cols.len());
            let location = rest[0].location.clone();
            let line = segs[i].line;
            segs.insert(
                i + 1,
                Segment {
                    label: Cell::new("", location),
                    values: rest,
                    line,
                    position: segs[i].position + 1,
                    value_line: None,
                },
            );
        }
        i += 1;
    }
    // Put wrapped names back together: an unnamed or unknown stretch with numbers takes the
    // unknown pieces printed on the lines just above and below it.
    let mut used = vec![false; segs.len()];
    for i in 0..segs.len() {
        if segs[i].values.is_empty() || side_of(&segs[i].label.text) != Side::Unknown {
            continue;
        }
        let line = segs[i].value_line.unwrap_or(segs[i].line);
        // A piece of a name: no numbers, alone on its line (`一、社会保障和就业` / `支出`).
        let piece = |k: usize| -> bool {
            segs[k].values.is_empty()
                && !segs[k].label.text.is_empty()
                && segs.iter().filter(|o| o.line == segs[k].line).count() == 1
        };
        // One cell per line: the neighbouring stretches are the neighbouring lines.
        let (above, below) = if stream {
            let free =
                |k: usize| segs[k].values.is_empty() && !segs[k].label.text.is_empty() && !used[k];
            (
                i.checked_sub(1).filter(|&k| free(k)),
                Some(i + 1).filter(|&k| k < segs.len() && free(k)),
            )
        } else {
            (
                (0..i)
                    .rev()
                    .find(|&k| segs[k].line + 1 == line && piece(k) && !used[k]),
                (i + 1..segs.len()).find(|&k| segs[k].line == line + 1 && piece(k) && !used[k]),
            )
        };
        let own = segs[i].label.clone();
        let raw = |k: usize| segs[k].label.raw.as_str();
        let mut options: Vec<(Vec<usize>, String)> = Vec::new();
        if let (Some(a), Some(b)) = (above, below) {
            options.push((vec![a, b], format!("{}{}{}", raw(a), own.raw, raw(b))));
        }
        if let Some(b) = below {
            options.push((vec![b], format!("{}{}", own.raw, raw(b))));
        }
        if let Some(a) = above {
            options.push((vec![a], format!("{}{}", raw(a), own.raw)));
        }
        if let Some((ks, text)) = options
            .into_iter()
            .find(|(_, t)| side_of(t) != Side::Unknown)
        {
            let location = ks
                .iter()
                .map(|&k| segs[k].label.location.clone())
                .chain(std::iter::once(own.location.clone()))
                .min()
                .unwrap_or(own.location.clone());
            segs[i].label = Cell::new(text, location);
            for k in ks {
                used[k] = true;
            }
        }
    }
    let segs: Vec<Segment> = segs
        .into_iter()
        .zip(used)
        .filter(|(_, u)| !u)
        .map(|(s, _)| s)
        .collect();

    let left_ids = identities(&left_cols, signature);
    let right_ids = identities(&right_cols, signature);
    // The body starts at the first row name printed with a marker or with numbers.
    let first = segs
        .iter()
        .position(|s| {
            side_of(&s.label.text) != Side::Unknown
                && (starts_with_marker(&s.label.text) || !s.values.is_empty())
        })
        .unwrap_or(segs.len());

    let mut out = Aligned::default();
    let mut header: Vec<Cell> = vec![cell_like("项目", lines)];
    header.extend(left_cols.iter().map(|c| cell_like(&c.header, lines)));
    header.push(cell_like("项目", lines));
    header.extend(right_cols.iter().map(|c| cell_like(&c.header, lines)));
    out.rows.push(Row { cells: header });
    let width = 2 + left_cols.len() + right_cols.len();
    let right_at = 1 + left_cols.len();

    let mut seen_left: Vec<String> = Vec::new();
    let mut last_left = false;
    let mut previous: Option<(usize, bool)> = None;
    for s in &segs[first..] {
        let side = side_of(&s.label.text);
        if side == Side::Unknown {
            continue;
        }
        let after_left_on_line =
            !stream && previous.is_some_and(|(line, left)| line == s.line && left);
        let is_left = match side {
            Side::Left => true,
            Side::Right => false,
            _ => {
                if stream {
                    !last_left
                } else {
                    !after_left_on_line
                }
            }
        };
        last_left = is_left;
        previous = Some((s.line, is_left));
        let (cols, ids, at) = if is_left {
            (&left_cols, &left_ids, 1)
        } else {
            (&right_cols, &right_ids, right_at + 1)
        };
        let mut cells: Vec<Cell> = (0..width)
            .map(|_| Cell::new("", s.label.location.clone()))
            .collect();
        let mut label = s.label.clone();
        if is_left {
            if let Some(m) = match_row(&normalize_label(&s.label.text), &left.rows) {
                if seen_left.iter().any(|x| x == m) {
                    // A second `一般公共预算财政拨款` under `年初财政拨款结转和结余`: a part of it.
                    label.indent = 1;
                } else {
                    seen_left.push(m.to_string());
                }
            }
        }
        cells[at - 1] = label;
        let p = Pending::new(s.values.clone(), cols, ids);
        place(&p, cols, at, &mut cells, &mut out);
        out.rows.push(Row { cells });
    }
    out
}

fn panel_columns<'s>(panel: &'s PanelSpec, rare: &[String]) -> Vec<Column<'s>> {
    let headers = if !panel.sequence.is_empty() {
        panel.sequence.clone()
    } else if panel.columns.is_empty() {
        vec!["金额".to_string()]
    } else {
        default_sequence(&panel.columns)
    };
    columns_of(&headers, &panel.columns, rare)
}

/// Code panels (基本支出 by economic class): (code, name, amount) stretches.
fn panels(lines: &[Vec<Piece>], signature: &TableSignature) -> Aligned {
    let start = body_start(lines);
    let body = &lines[start..];
    struct Stretch {
        code: Option<(String, Cell)>,
        label: Vec<Cell>,
        value: Option<Cell>,
    }
    let mut stretches: Vec<Stretch> = Vec::new();
    let mut loose: Vec<Cell> = Vec::new();
    let flat: Vec<Vec<Piece>> = if one_cell_per_line(body) {
        vec![pieces(
            &body
                .iter()
                .flatten()
                .map(|p| p.cell().clone())
                .collect::<Vec<_>>(),
            true,
        )]
    } else {
        body.to_vec()
    };
    for line in &flat {
        let anchored = line
            .iter()
            .any(|p| matches!(p, Piece::Code(..) | Piece::Value(_)));
        if !anchored {
            loose.extend(line.iter().map(|p| p.cell().clone()));
            continue;
        }
        let first_new = stretches.len();
        for p in line {
            match p {
                Piece::Code(code, cell) => stretches.push(Stretch {
                    code: Some((code.clone(), cell.clone())),
                    label: Vec::new(),
                    value: None,
                }),
                Piece::Text(c) => {
                    let key = label_key(&c.text);
                    let new_total = match_row(&key, &signature.rows).is_some();
                    let open = stretches.len() > first_new
                        && stretches
                            .last()
                            .is_some_and(|s| s.value.is_none() && !new_total);
                    if open {
                        if let Some(s) = stretches.last_mut() {
                            s.label.push(c.clone());
                        }
                    } else {
                        stretches.push(Stretch {
                            code: None,
                            label: vec![c.clone()],
                            value: None,
                        });
                    }
                }
                Piece::Value(c) => {
                    if let Some(s) = stretches[first_new..]
                        .iter_mut()
                        .rev()
                        .find(|s| s.value.is_none())
                    {
                        s.value = Some(c.clone());
                    }
                }
            }
        }
        // Loose name pieces go to this line's stretches that print no name.
        for s in stretches[first_new..].iter_mut() {
            if s.label.is_empty() && !loose.is_empty() {
                s.label.push(loose.remove(0));
            }
        }
        loose.clear();
    }
    let mut out = Aligned::default();
    let header = ["科目编码", "科目名称", "决算数"]
        .iter()
        .map(|h| cell_like(h, lines))
        .collect();
    out.rows.push(Row { cells: header });
    for s in stretches {
        let location = s
            .code
            .as_ref()
            .map(|(_, c)| c.location.clone())
            .or_else(|| s.label.first().map(|c| c.location.clone()))
            .or_else(|| s.value.as_ref().map(|c| c.location.clone()))
            .unwrap_or(crate::model::Location::Line(0));
        let mut cells: Vec<Cell> = (0..3).map(|_| Cell::new("", location.clone())).collect();
        match &s.code {
            Some((code, c)) => {
                cells[0] = Cell::new(code.clone(), c.location.clone());
                if let Some(n) = join_cells(&s.label) {
                    cells[1] = n;
                }
            }
            None => {
                if let Some(n) = join_cells(&s.label) {
                    cells[0] = n;
                }
            }
        }
        if let Some(v) = s.value {
            cells[2] = v;
        }
        out.rows.push(Row { cells });
    }
    out
}

/// “三公” tables: rows named by measure (`1、因公出国（境）费 0.00 0.00`) or one row of numbers
/// under a wide header.
fn labeled(lines: &[Vec<Piece>], signature: &TableSignature) -> Aligned {
    let start = lines
        .iter()
        .position(|l| l.iter().any(|p| matches!(p, Piece::Value(_))))
        .unwrap_or(lines.len());
    let body = &lines[start..];
    let row_form = body.iter().any(|l| {
        l.iter().any(|p| match p {
            Piece::Text(c) => match_row(&label_key(&c.text), &signature.rows).is_some(),
            _ => false,
        })
    });
    let mut out = Aligned::default();
    if row_form {
        let headers: Vec<String> = signature
            .columns
            .iter()
            .filter(|c| c.metric.is_none())
            .map(|c| c.header.clone())
            .collect();
        let columns = columns_of(&headers, &signature.columns, &[]);
        let mut header = vec![cell_like("项目", lines)];
        header.extend(columns.iter().map(|c| cell_like(&c.header, lines)));
        out.rows.push(Row { cells: header });
        for s in segments(body, false) {
            let mut cells: Vec<Cell> = (0..1 + columns.len())
                .map(|_| Cell::new("", s.label.location.clone()))
                .collect();
            cells[0] = s.label.clone();
            let p = Pending::new(s.values.clone(), &columns, &[]);
            place(&p, &columns, 1, &mut cells, &mut out);
            out.rows.push(Row { cells });
        }
        return out;
    }
    let values: Vec<Cell> = body
        .iter()
        .flatten()
        .filter_map(|p| match p {
            Piece::Value(c) => Some(c.clone()),
            _ => None,
        })
        .collect();
    if values.is_empty() {
        return out;
    }
    // The variant whose identities the numbers satisfy in the fewest ways.
    let mut best: Option<(Vec<Column<'_>>, Pending)> = None;
    for seq in &signature.sequences {
        let columns = columns_of(seq, &signature.columns, &signature.rare);
        let ids = identities(&columns, signature);
        let fits = placements(values.len(), columns.len())
            .iter()
            .any(|p| satisfies(&values, p, &ids));
        if !fits {
            continue;
        }
        let p = Pending::new(values.clone(), &columns, &ids);
        let decided = (0..values.len())
            .filter(|&i| p.decided(i).is_some())
            .count();
        if best.as_ref().is_none_or(|(_, b)| {
            decided
                > (0..values.len())
                    .filter(|&i| b.decided(i).is_some())
                    .count()
        }) {
            best = Some((columns, p));
        }
    }
    let Some((columns, p)) = best else {
        out.unplaced = values.len();
        return out;
    };
    let header = columns
        .iter()
        .map(|c| cell_like(&c.header, lines))
        .collect();
    out.rows.push(Row { cells: header });
    let location = values[0].location.clone();
    let mut cells: Vec<Cell> = (0..columns.len())
        .map(|_| Cell::new("", location.clone()))
        .collect();
    place(&p, &columns, 0, &mut cells, &mut out);
    out.rows.push(Row { cells });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Location;

    fn row(text: &str, line: u32) -> Row {
        Row {
            cells: text
                .split(' ')
                .filter(|t| !t.is_empty())
                .map(|t| Cell::new(t, Location::Page { page: 1, line }))
                .collect(),
        }
    }

    fn rows(text: &str) -> Vec<Row> {
        text.lines()
            .enumerate()
            .map(|(i, l)| row(l, i as u32 + 1))
            .collect()
    }

    fn sig(id: &str) -> &'static TableSignature {
        catalog().table(id).expect("signature")
    }

    fn texts(a: &Aligned) -> Vec<Vec<String>> {
        a.rows
            .iter()
            .map(|r| r.cells.iter().map(|c| c.text.clone()).collect())
            .collect()
    }

    #[test]
    fn placements_keep_order() {
        assert_eq!(placements(2, 3), vec![vec![0, 1], vec![0, 2], vec![1, 2]]);
        assert!(placements(4, 3).is_empty());
    }

    #[test]
    fn matrix_places_by_identity_and_leaves_rare_columns_empty() {
        let text = "项目\n本年支出合计 基本支出 项目支出 上缴上级支出 经营支出\n合计 4,733.14 3,365.38 1,367.76\n201 一般公共服务支出 207.40 0.00 207.40";
        let a = align(&rows(text), sig("final.expenditure"));
        let t = texts(&a);
        assert_eq!(t[1][0], "合计");
        assert_eq!(t[1][2..5], ["4,733.14", "3,365.38", "1,367.76"]);
        assert_eq!(t[2][0], "201");
        assert_eq!(t[2][1], "一般公共服务支出");
        assert_eq!(t[2][2..5], ["207.40", "0.00", "207.40"]);
        assert_eq!(a.unplaced, 0);
    }

    #[test]
    fn matrix_decides_classes_from_the_total_row_past_a_repeated_header() {
        // 210 and 221 print one number besides their 合计: the 合计 row's 基本支出 leaves room
        // for both only as 基本支出, even with the header repeated on the next page.
        let text = "208 社会保障和就业支出 6,397,096 6,103,096 294,000\n210 卫生健康支出 1,439,040 1,439,040\n212 城乡社区支出 33,775,592 22,783,399 10,992,193\n功能分类科目名称 合计 基本支出 项目支出\n221 住房保障支出 5,871,730 5,871,730\n合计 47,483,458 36,197,265 11,286,193";
        let a = align(&rows(text), sig("budget.general_budget_function"));
        let t = texts(&a);
        let r210 = t.iter().find(|r| r[0] == "210").unwrap();
        assert_eq!(r210[2..5], ["1,439,040", "1,439,040", ""]);
        let r221 = t.iter().find(|r| r[0] == "221").unwrap();
        assert_eq!(r221[2..5], ["5,871,730", "5,871,730", ""]);
        assert_eq!(a.unplaced, 0);
    }

    #[test]
    fn matrix_children_of_a_decided_class_stay_out_of_its_empty_column() {
        // 302 is all 公用经费 (the 合计 row says so); its 款 then cannot be 人员经费, however many.
        let mut text = String::from(
            "301 工资福利支出 29,045,727 29,045,727\n302 商品和服务支出 4,862,538 4,862,538\n",
        );
        let parts = [
            246_700, 100_000, 2_500, 10_000, 250_000, 40_000, 750_000, 25_000, 40_000, 336_000,
            5_000, 2_000, 4_600,
        ];
        let rest = 4_862_538 - parts.iter().sum::<i64>();
        for (k, v) in parts.iter().chain(std::iter::once(&rest)).enumerate() {
            text.push_str(&format!("302 {:02} 款{k} {v} {v}\n", k + 1));
        }
        text.push_str("合计 33,908,265 29,045,727 4,862,538");
        let a = align(&rows(&text), sig("budget.general_budget_basic_economic"));
        assert_eq!(a.unplaced, 0);
        let t = texts(&a);
        let r30201 = t.iter().find(|r| r[0] == "30201").unwrap();
        assert_eq!(r30201[2..5], ["246700", "", "246700"]);
    }

    #[test]
    fn matrix_decides_basic_or_project_from_the_children() {
        // 208's basic 6,103,096 = 20805 only: 20805 is basic, 20808 project.
        let text = "合计 47,483,458 36,197,265 11,286,193\n208 05 行政事业单位养老支出 6,103,096 6,103,096\n208 08 抚恤 294,000 294,000\n208 社会保障和就业支出 6,397,096 6,103,096 294,000";
        let a = align(&rows(text), sig("budget.expenditure"));
        let t = texts(&a);
        let r20805 = t.iter().find(|r| r[0] == "20805").unwrap();
        assert_eq!(r20805[2..5], ["6,103,096", "6,103,096", ""]);
        let r20808 = t.iter().find(|r| r[0] == "20808").unwrap();
        assert_eq!(r20808[2..5], ["294,000", "", "294,000"]);
    }

    #[test]
    fn matrix_leaves_out_what_nothing_decides() {
        let text = "2101101 行政单位医疗 96.19 96.19";
        let a = align(&rows(text), sig("final.general_budget_expenditure"));
        let t = texts(&a);
        assert_eq!(t[1][2], "96.19");
        assert_eq!(t[1][3..5], ["", ""]);
        assert_eq!(a.unplaced, 1);
        assert!(!a.uncertain.is_empty());
    }

    #[test]
    fn wrapped_names_are_put_back_around_their_numbers() {
        let text = "城乡社区管理\n21201 12,091.64 11,053.82 1,037.82\n事务\n2120101 行政运行 1,942.73 1,942.73\n其他文化旅游\n20799 体育与传媒支 66.55 66.55\n出";
        let a = align(&rows(text), sig("final.general_budget_expenditure"));
        let t = texts(&a);
        assert_eq!(t[1][1], "城乡社区管理事务");
        assert_eq!(t[2][1], "行政运行");
        assert_eq!(t[3][1], "其他文化旅游体育与传媒支出");
    }

    #[test]
    fn one_cell_per_line_is_regrouped() {
        let text = "208\n05\n01\n行政单位离退休\n2,614,680\n2,614,680\n208\n05\n05\n机关事业单位基本养老保险缴费支出\n2,302,464\n2,302,464";
        let a = align(&rows(text), sig("budget.income"));
        let t = texts(&a);
        assert_eq!(t[1][0], "2080501");
        assert_eq!(t[1][1], "行政单位离退休");
        assert_eq!(t[2][0], "2080505");
        assert_eq!(t[2][2], "2,302,464");
    }

    #[test]
    fn summary_sides_follow_the_row_names() {
        let text = "收入 支出\n项目 决算数 项目 决算数\n一、一般公共预算财政拨款收入 20218.21 一、一般公共服务支出 207.40\n二、政府性基金预算财政拨款收入 105.00 二、外交支出\n四、上级补助收入 四、公共安全支出 556.78\n九、卫生健康支出 265.57\n总计 20,323.21 总计 20,323.21";
        let a = align(&rows(text), sig("final.income_expenditure_summary"));
        let t = texts(&a);
        let find = |label: &str| {
            t.iter()
                .find(|r| r.contains(&label.to_string()))
                .cloned()
                .unwrap()
        };
        let r = find("四、公共安全支出");
        assert_eq!(r[r.len() - 1], "556.78");
        let r = find("四、上级补助收入");
        assert_eq!(r[1], "");
        let r = find("九、卫生健康支出");
        assert_eq!(r[2], "九、卫生健康支出");
        let totals: Vec<&Vec<String>> = t
            .iter()
            .filter(|r| r.contains(&"总计".to_string()))
            .collect();
        assert_eq!(totals.len(), 2);
        assert_eq!(totals[0][0], "总计");
        assert_eq!(totals[1][2], "总计");
    }

    #[test]
    fn summary_names_wrapped_around_their_numbers_are_put_back() {
        // 上海市普陀区建设和管理委员会 2026, 财政拨款收支总表 as pdfplumber printed it.
        let text = "财政拨款收入 财政拨款支出\n项目 预算数 项目 合计 一般公共预算 政府性基金预算 国有资本经营预算\n一、社会保障和就业\n一、一般公共预算 493,761,082.20 16,067,196.24 16,067,196.24 0.00 0.00\n支出\n二、政府性基金预算 2,792,857,000.00 二、卫生健康支出 4,484,631.60 4,484,631.60 0.00 0.00\n三、国有资本经营预\n三、城乡社区支出 3,182,716,265.16 389,859,265.16 2,792,857,000.00 0.00\n算\n五、资源勘探工业信\n62,000,000.00 62,000,000.00 0.00 0.00\n息等支出\n收入总计 3,286,618,082.20 支出总计 3,286,618,082.20 493,761,082.20 2,792,857,000.00";
        let a = align(&rows(text), sig("budget.fiscal_summary"));
        let t = texts(&a);
        let row = |label: &str| t.iter().find(|r| r.contains(&label.to_string())).cloned();
        let r = row("一、社会保障和就业支出").expect("208 put back together");
        assert_eq!(r[3..7], ["16,067,196.24", "16,067,196.24", "0.00", "0.00"]);
        assert_eq!(row("一、一般公共预算").unwrap()[1], "493,761,082.20");
        assert_eq!(
            row("五、资源勘探工业信息等支出").unwrap()[3],
            "62,000,000.00"
        );
        // 支出总计: 合计 = 一般公共预算 + 政府性基金预算; 国有资本经营预算 is empty.
        let r = row("支出总计").unwrap();
        assert_eq!(
            r[3..7],
            ["3,286,618,082.20", "493,761,082.20", "2,792,857,000.00", ""]
        );
        assert_eq!(a.unplaced, 0);
    }

    #[test]
    fn wide_three_public_row_is_placed_by_its_identities() {
        // 出国 and 购置 blank: 8 numbers under 12 columns.
        let text = "预算数 决算数 预算数 决算数\n31.47 19.86 30.67 19.56 30.67 19.56 0.80 0.30";
        let a = align(&rows(text), sig("final.three_public"));
        let t = texts(&a);
        let header = &t[0];
        let value = |h: &str| {
            let i = header.iter().position(|x| x == h).unwrap();
            t[1][i].clone()
        };
        assert_eq!(value("合计/预算数"), "31.47");
        assert_eq!(value("合计/决算数"), "19.86");
        assert_eq!(value("公务接待费/决算数"), "0.30");
        assert_eq!(value("小计/决算数"), "19.56");
        assert_eq!(value("因公出国(境)费/决算数"), "");
    }
}
