//! Page text → prose statements and token grids.
//!
//! Page text is what a PDF parser gives (pdftotext, pdfplumber, or this crate's own PDF reader):
//! pages separated by form feeds, one printed line per line, table rows as words separated by
//! spaces, a statement wrapped over several lines (and pages). This module finds, without
//! knowing what a disclosure means:
//!
//! * **table regions**: a title line (`…表`) with its unit/department lines, then header and
//!   data lines up to a note (`注：`), a sentence or the next title; at the top of a page, data
//!   lines without a title continue the previous page's table. Each region becomes a [`Grid`]
//!   of *token* rows (one per printed line, cut at spaces) — which column a token belongs to is
//!   the table recognizer's question, answered with the table's signature;
//! * **prose statements**: the other lines, joined where a line was wrapped (it fills the
//!   line width and does not end a sentence) unless the next one starts a new item (`一、`,
//!   `（二）`, `3.`) or is indented; page numbers are dropped.
//!
//! Locations are `page N, line M` (both 1-based; M counts the page's own lines).

use crate::ingest::grid::{Cell, Grid, Row};
use crate::ingest::normalize;
use crate::ingest::text::{ProseLine, TextDocument};
use crate::model::Location;

/// True when a text is page text rather than the tab-cell layout of SPEC §2.1: no line starts
/// with a TAB.
pub fn is_page_text(text: &str) -> bool {
    !text
        .split('\n')
        .any(|l| l.starts_with('\t') && l.trim().chars().count() > 0)
        && !text.split('\n').any(|l| l == "\t" || l == "\t\r")
}

/// One printed line.
#[derive(Clone, Debug)]
pub struct PageLine {
    pub page: u32,
    /// 1-based within the page.
    pub line: u32,
    pub raw: String,
}

impl PageLine {
    /// `page N, line M`; `line M` for text of one page (no form feeds).
    fn location(&self) -> Location {
        if self.page == 0 {
            Location::Line(self.line)
        } else {
            Location::Page {
                page: self.page,
                line: self.line,
            }
        }
    }
}

/// Cuts text into pages (form feeds) and lines (LF, CRLF or CR).
pub fn page_lines(text: &str) -> Vec<PageLine> {
    let mut out = Vec::new();
    let paged = text.contains('\u{c}');
    for (p, page) in text.split('\u{c}').enumerate() {
        // Text of one page keeps plain line numbers (page 0).
        let page_no = if paged {
            u32::try_from(p + 1).unwrap_or(u32::MAX)
        } else {
            0
        };
        let lines = page.split('\n').flat_map(|l| {
            let l = l.strip_suffix('\r').unwrap_or(l);
            l.split('\r')
        });
        for (i, l) in lines.enumerate() {
            out.push(PageLine {
                page: page_no,
                line: u32::try_from(i + 1).unwrap_or(u32::MAX),
                raw: l.trim_end().to_string(),
            });
        }
    }
    out
}

/// What a printed line looks like, before knowing which table or statement it belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    Blank,
    /// A page number at the top or bottom of a page.
    Furniture,
    /// A short line ending in `表`: a table's title.
    Title,
    /// `单位：万元`, `编制部门：…`, `部门：…`.
    Meta,
    /// `注：…`, `说明：…`: ends a table.
    Note,
    /// Numbers without units, or a classification code followed by a name.
    Tabular,
    /// A sentence: never part of a table.
    Sentence,
    /// Anything else: header words, a heading, a label, a wrapped fragment.
    Other,
}

/// Splits page text into prose statements and token grids.
pub fn split(text: &str) -> TextDocument {
    let mut doc = layout(page_lines(text));
    // A parser's page text says nothing about why a page is empty (an image, a separator
    // page): only a PDF's own pages are reported blank.
    doc.blank_pages.clear();
    doc
}

/// Lays out printed lines (from text or a PDF) into prose statements and token grids.
pub fn layout(lines: Vec<PageLine>) -> TextDocument {
    let shapes = classify(&lines);
    let regions = find_regions(&lines, &shapes);
    let mut in_region = vec![false; lines.len()];
    let mut grids = Vec::new();
    for region in &regions {
        for i in region.caption.iter().chain(region.rows.iter()) {
            in_region[*i] = true;
        }
        grids.push(region_grid(&lines, region));
    }
    let prose: Vec<usize> = (0..lines.len())
        .filter(|&i| !in_region[i] && !matches!(shapes[i], Shape::Blank | Shape::Furniture))
        .collect();
    let pages = lines.last().map_or(0, |l| l.page);
    // Text without form feeds is one page: no page numbers, no blank pages.
    let blank_pages = (1..=pages)
        .filter(|&p| {
            lines
                .iter()
                .zip(&shapes)
                .filter(|(l, _)| l.page == p)
                .all(|(_, s)| matches!(s, Shape::Blank | Shape::Furniture))
        })
        .collect();
    TextDocument {
        lines: statements(&lines, &shapes, &prose),
        grids,
        pages,
        blank_pages,
        image_pages: Vec::new(),
    }
}

fn is_sentence_punct(c: char) -> bool {
    matches!(c, '。' | '，' | '；' | ',' | ';')
}

/// Sentence punctuation of a line, not counting the thousands separators of numbers.
fn sentence_punctuation(key: &str) -> usize {
    let chars: Vec<char> = key.chars().collect();
    (0..chars.len())
        .filter(|&i| {
            is_sentence_punct(chars[i])
                && !(chars[i] == ','
                    && i > 0
                    && chars[i - 1].is_ascii_digit()
                    && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        })
        .count()
}

/// A number as tables print it: `1,234.56`, `0`, `-12.5`, `45%`; not `2025年` or `1.` items.
pub fn is_bare_number(token: &str) -> bool {
    let t = token.trim_end_matches('%');
    let t = t.strip_prefix('-').unwrap_or(t);
    if t.is_empty() || !t.starts_with(|c: char| c.is_ascii_digit()) {
        return false;
    }
    let (int, frac) = match t.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (t, None),
    };
    if let Some(f) = frac {
        if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
    }
    if int.contains(',') {
        let mut groups = int.split(',');
        let first = groups.next().unwrap_or("");
        (1..=3).contains(&first.len())
            && first.bytes().all(|b| b.is_ascii_digit())
            && groups.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
    } else {
        int.bytes().all(|b| b.is_ascii_digit())
    }
}

/// True for a token that stands for an empty cell printed as a dash.
pub fn is_dash(token: &str) -> bool {
    matches!(token, "-" | "—" | "--" | "——" | "－")
}

fn is_han(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c) || ('\u{3400}'..='\u{4DBF}').contains(&c)
}

/// Tokens of a folded line: runs between spaces, with a number glued to the label after it
/// (`47,483,458一、社会保障…`) cut apart, and letter-spaced words (`收 入 总 计`) joined.
/// Each token is (char start, char end) in the line.
pub fn tokens(folded: &str) -> Vec<(usize, usize)> {
    let chars: Vec<char> = folded.chars().collect();
    let mut raw: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() {
            i += 1;
        }
        raw.push((start, i));
    }
    // Cut `number` + `label` glued together.
    let mut cut: Vec<(usize, usize)> = Vec::new();
    for (s, e) in raw {
        let text: String = chars[s..e].iter().collect();
        let digits = text
            .char_indices()
            .take_while(|(_, c)| c.is_ascii_digit() || *c == ',' || *c == '.')
            .last()
            .map_or(0, |(b, c)| b + c.len_utf8());
        let rest = &text[digits..];
        if digits > 0
            && rest.starts_with(is_han)
            && is_bare_number(&text[..digits])
            && text[..digits].contains([',', '.'])
            && !text[..digits].ends_with('.')
        {
            let n = text[..digits].chars().count();
            cut.push((s, s + n));
            cut.push((s + n, e));
        } else {
            cut.push((s, e));
        }
    }
    // Join letter-spaced words: runs of single Han characters.
    let mut out: Vec<(usize, usize)> = Vec::new();
    let single = |(s, e): (usize, usize)| e - s == 1 && is_han(chars[s]);
    for t in cut {
        if let Some(last) = out.last_mut() {
            if single(t) && single_run_end(&chars, *last) && t.0 - last.1 <= 4 {
                last.1 = t.1;
                continue;
            }
        }
        out.push(t);
    }
    out
}

/// True when a token so far is a run of letter-spaced single Han characters.
fn single_run_end(chars: &[char], (s, e): (usize, usize)) -> bool {
    (s..e).all(|i| is_han(chars[i]) || chars[i].is_whitespace()) && {
        // every non-space char separated by spaces: a run joined from singles
        let mut han = 0;
        let mut prev_space = true;
        let mut ok = true;
        for c in &chars[s..e] {
            if c.is_whitespace() {
                prev_space = true;
            } else {
                if !prev_space {
                    ok = false;
                }
                prev_space = false;
                han += 1;
            }
        }
        ok && han >= 1
    }
}

fn token_texts(folded: &str) -> Vec<String> {
    let chars: Vec<char> = folded.chars().collect();
    tokens(folded)
        .into_iter()
        .map(|(s, e)| chars[s..e].iter().filter(|c| !c.is_whitespace()).collect())
        .collect()
}

/// A page number alone on the first or last line of its page.
fn is_page_number(text: &str, page: u32) -> bool {
    let t = text
        .trim()
        .trim_matches(|c: char| c == '-' || c == '—' || c.is_whitespace());
    let t = t
        .strip_prefix('第')
        .and_then(|x| x.strip_suffix('页'))
        .unwrap_or(t)
        .trim();
    let t = t.split('/').next().unwrap_or(t).trim();
    match t.parse::<u32>() {
        Ok(n) if t.len() <= 3 => n.abs_diff(page) <= 5,
        _ => false,
    }
}

fn is_title(key: &str) -> bool {
    // `收入决算表（公开01表）`: a bracketed number after the title.
    let key = match key.rfind('(') {
        Some(b) if key.ends_with(')') && key[..b].ends_with('表') => &key[..b],
        _ => key,
    };
    let n = key.chars().count();
    (3..=48).contains(&n)
        && key.ends_with('表')
        && !key.starts_with('注')
        && !key.contains('…')
        && !key.contains("...")
        && !key.contains("本表")
        && sentence_punctuation(key) == 0
}

fn is_meta(key: &str) -> bool {
    let starts = [
        "单位:",
        "金额单位",
        "编制部门",
        "编制单位",
        "部门:",
        "单位名称:",
        "预算单位:",
        "部门名称:",
    ];
    starts.iter().any(|s| key.starts_with(s))
        || (key.chars().count() <= 40 && (key.contains("单位:元") || key.contains("单位:万元")))
}

fn is_note(key: &str) -> bool {
    ["注:", "说明:", "备注:", "注1", "注：", "注"]
        .iter()
        .any(|s| key.starts_with(s) && key.chars().count() > 2)
}

/// A classification code at the start of a line: `201`, `20805`, `2080505`, `208 05 01`.
fn starts_with_code(tokens: &[String]) -> bool {
    let Some(first) = tokens.first() else {
        return false;
    };
    let code_like = matches!(first.len(), 3 | 5 | 7)
        && first.bytes().all(|b| b.is_ascii_digit())
        && (first.starts_with('2') || first.starts_with('3'));
    code_like
        && tokens
            .get(1)
            .is_some_and(|t| t.starts_with(is_han) || t.len() == 2 || is_bare_number(t))
}

fn classify(lines: &[PageLine]) -> Vec<Shape> {
    let mut shapes = Vec::with_capacity(lines.len());
    for (i, l) in lines.iter().enumerate() {
        let folded = normalize::fold(&l.raw);
        let key = normalize::name_key(&folded);
        if key.is_empty() {
            shapes.push(Shape::Blank);
            continue;
        }
        let first_or_last = {
            let before = lines[..i]
                .iter()
                .rev()
                .take_while(|o| o.page == l.page)
                .all(|o| o.raw.trim().is_empty());
            let after = lines[i + 1..]
                .iter()
                .take_while(|o| o.page == l.page)
                .all(|o| o.raw.trim().is_empty());
            before || after
        };
        if l.page > 0 && first_or_last && is_page_number(&folded, l.page) {
            shapes.push(Shape::Furniture);
            continue;
        }
        let toks = token_texts(&folded);
        let mut bare = bare_numbers(&toks);
        // `…收入支出总计 4733.14` / `万元。与2024年…`: a number whose unit wrapped onto the
        // next line is prose.
        let unit_next = lines
            .get(i + 1)
            .map(|n| {
                // The longest unit is three characters: fold no more of the next line.
                n.raw
                    .trim_start()
                    .chars()
                    .take(3)
                    .map(normalize::fold_char)
                    .collect::<String>()
            })
            .is_some_and(|n| UNITS.iter().any(|u| n.starts_with(u)));
        if unit_next
            && toks
                .last()
                .is_some_and(|t| is_bare_number(t) && !t.ends_with('%'))
        {
            bare = bare.saturating_sub(1);
        }
        let sentence_punct = sentence_punctuation(&key);
        let shape = if is_note(&key) {
            Shape::Note
        } else if is_meta(&key) {
            Shape::Meta
        } else if is_title(&key) {
            Shape::Title
        } else if key.contains('。') && bare < 3 {
            Shape::Sentence
        } else if bare >= 2 && sentence_punct == 0
            || bare >= 3
            || (bare >= 1 && sentence_punct == 0)
            || starts_with_code(&toks) && sentence_punct == 0
        {
            Shape::Tabular
        } else if sentence_punct > 0 && key.chars().count() >= 12 {
            Shape::Sentence
        } else {
            Shape::Other
        };
        shapes.push(shape);
    }
    shapes
}

/// Units that make a number prose (`816.16 万元`, `15 人次`), not a table cell.
const UNITS: &[&str] = &[
    "万元",
    "元",
    "亿",
    "%",
    "个",
    "人",
    "辆",
    "年",
    "月",
    "日",
    "项",
    "次",
    "家",
    "批",
    "台",
    "套",
    "天",
    "分",
    "平方米",
    "户",
    "名",
];

/// Numbers (and dashes) printed as table cells: without a unit after them.
fn bare_numbers(tokens: &[String]) -> usize {
    tokens
        .iter()
        .enumerate()
        .filter(|(i, t)| {
            (is_bare_number(t) && !t.ends_with('%') || is_dash(t))
                && !tokens
                    .get(i + 1)
                    .is_some_and(|next| UNITS.iter().any(|u| next.starts_with(u)))
        })
        .count()
}

/// A table region: its caption lines (title, unit, department) and its row lines.
#[derive(Clone, Debug, Default)]
struct Region {
    caption: Vec<usize>,
    rows: Vec<usize>,
}

/// Starts a new item or heading: `一、`, `（一）`, `1.`, `（1）`, `第一部分`, `①`.
fn starts_with_marker(folded: &str) -> bool {
    let t = folded.trim_start();
    let mut chars = t.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let numerals = "一二三四五六七八九十";
    if numerals.contains(first) {
        let rest: String = t.chars().skip_while(|c| numerals.contains(*c)).collect();
        return rest.starts_with('、') || rest.starts_with('.');
    }
    if first == '(' {
        let inner: String = chars.clone().take_while(|c| *c != ')').collect();
        return !inner.is_empty()
            && inner.chars().count() <= 3
            && inner
                .chars()
                .all(|c| c.is_ascii_digit() || numerals.contains(c));
    }
    if first.is_ascii_digit() {
        let digits: String = t.chars().take_while(|c| c.is_ascii_digit()).collect();
        let rest = &t[digits.len()..];
        return digits.len() <= 2
            && (rest.starts_with('、')
                || (rest.starts_with('.')
                    && !rest[1..].starts_with(|c: char| c.is_ascii_digit())));
    }
    if first == '第' {
        return t.contains("部分") && t.chars().count() >= 4;
    }
    ('①'..='⑳').contains(&first)
}

fn find_regions(lines: &[PageLine], shapes: &[Shape]) -> Vec<Region> {
    let mut regions: Vec<Region> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        match shapes[i] {
            Shape::Title => {
                let mut region = Region {
                    caption: vec![i],
                    rows: Vec::new(),
                };
                let page = lines[i].page;
                let mut j = i + 1;
                // Unit and department lines, a year line `（2026年度）`.
                while j < lines.len() && lines[j].page == page {
                    match shapes[j] {
                        Shape::Meta => region.caption.push(j),
                        Shape::Blank => {}
                        Shape::Other if region.rows.is_empty() && is_year_line(&lines[j].raw) => {
                            region.caption.push(j)
                        }
                        _ => break,
                    }
                    j += 1;
                }
                let end = extend_region(lines, shapes, j, page, &mut region.rows);
                if region.rows.iter().any(|&r| shapes[r] == Shape::Tabular)
                    || has_table_shape(lines, &region.rows)
                {
                    trim_trailing(lines, shapes, &mut region.rows);
                    regions.push(region);
                    i = end;
                } else {
                    i += 1;
                }
            }
            Shape::Tabular | Shape::Other | Shape::Meta => {
                // An untitled region: at the top of a page (a table continued), or two tabular
                // lines in a row.
                let page = lines[i].page;
                let top_of_page = lines[..i]
                    .iter()
                    .zip(shapes)
                    .rev()
                    .take_while(|(l, _)| l.page == page)
                    .all(|(_, s)| matches!(s, Shape::Blank | Shape::Furniture));
                let run = (i..lines.len())
                    .take_while(|&k| lines[k].page == page && shapes[k] != Shape::Sentence)
                    .take(8)
                    .filter(|&k| shapes[k] == Shape::Tabular)
                    .count();
                let next_tabular = (i + 1..lines.len())
                    .take_while(|&k| lines[k].page == page)
                    .find(|&k| shapes[k] != Shape::Blank)
                    .is_some_and(|k| shapes[k] == Shape::Tabular);
                let starts = (top_of_page && run >= 1 && shapes[i] != Shape::Meta)
                    || (shapes[i] == Shape::Tabular && next_tabular);
                if starts {
                    let mut region = Region::default();
                    let end = extend_region(lines, shapes, i, page, &mut region.rows);
                    trim_trailing(lines, shapes, &mut region.rows);
                    if region
                        .rows
                        .iter()
                        .filter(|&&r| shapes[r] == Shape::Tabular)
                        .count()
                        >= 1
                    {
                        i = end;
                        regions.push(region);
                        continue;
                    }
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    regions
}

/// A title whose region has header words but no data (an empty table printed with its note).
fn has_table_shape(lines: &[PageLine], rows: &[usize]) -> bool {
    rows.len() >= 2
        && rows.iter().any(|&r| {
            let k = normalize::name_key(&lines[r].raw);
            k.contains("合计") || k.contains("项目") || k.contains("科目")
        })
}

fn is_year_line(raw: &str) -> bool {
    let k = normalize::name_key(&normalize::fold(raw));
    let k = k.trim_matches(|c| c == '(' || c == ')');
    k.starts_with("20") && k.chars().count() <= 10 && k.contains('年')
}

/// Adds the region's lines from `start` to its end (a note, a sentence, the next title, the end
/// of the page) and returns the index after it.
fn extend_region(
    lines: &[PageLine],
    shapes: &[Shape],
    start: usize,
    page: u32,
    rows: &mut Vec<usize>,
) -> usize {
    let mut j = start;
    while j < lines.len() && lines[j].page == page {
        match shapes[j] {
            Shape::Note | Shape::Title | Shape::Sentence => break,
            Shape::Blank | Shape::Furniture => {}
            _ => rows.push(j),
        }
        j += 1;
    }
    j
}

/// Gives headings after a table's last data line back to the prose.
fn trim_trailing(lines: &[PageLine], shapes: &[Shape], rows: &mut Vec<usize>) {
    while let Some(&last) = rows.last() {
        let folded = normalize::fold(&lines[last].raw);
        let heading = shapes[last] == Shape::Other
            && (starts_with_marker(&folded) || normalize::name_key(&folded).chars().count() > 12);
        if heading {
            rows.pop();
        } else {
            break;
        }
    }
}

fn region_grid(lines: &[PageLine], region: &Region) -> Grid {
    let caption = region
        .caption
        .iter()
        .map(|&i| Cell::new(lines[i].raw.trim(), lines[i].location()))
        .collect();
    let rows = region
        .rows
        .iter()
        .map(|&i| {
            let line = &lines[i];
            let folded = normalize::fold(&line.raw);
            let raw_chars: Vec<char> = line.raw.chars().collect();
            let cells = tokens(&folded)
                .into_iter()
                .map(|(s, e)| {
                    let raw: String = raw_chars[s..e.min(raw_chars.len())]
                        .iter()
                        .filter(|c| !c.is_whitespace())
                        .collect();
                    Cell::new(raw, line.location())
                })
                .collect();
            Row { cells }
        })
        .collect();
    Grid {
        name: "page text".to_string(),
        caption,
        rows,
        tokens: true,
    }
}

/// Display width: Han and full-width characters count two columns.
fn width(text: &str) -> usize {
    text.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

fn ends_statement(folded: &str) -> bool {
    let t = folded.trim_end();
    t.ends_with(['。', ':', '!', '?', '：']) || t.ends_with("。”") || t.ends_with("。\"")
}

/// A contents entry: a title followed by dot leaders (`一、部门主要职能 ……… 3`).
fn is_contents_entry(folded: &str) -> bool {
    folded.contains("……") || folded.contains("....") || folded.contains("···")
}

/// A heading: `八、政府性基金…情况说明`, `（一）…`, `第三部分 …` without sentence punctuation.
fn is_heading(folded: &str) -> bool {
    let t = folded.trim_start();
    let numbered = t.starts_with('第') && t.contains("部分")
        || t.starts_with('(')
            && t.chars()
                .nth(1)
                .is_some_and(|c| "一二三四五六七八九十".contains(c))
        || t.chars()
            .next()
            .is_some_and(|c| "一二三四五六七八九十".contains(c))
            && starts_with_marker(t);
    numbered && sentence_punctuation(&normalize::name_key(t)) == 0
}

/// Joins wrapped lines into statements.
fn statements(lines: &[PageLine], shapes: &[Shape], prose: &[usize]) -> Vec<ProseLine> {
    // The width a full line reaches: the median of the longer prose lines (most lines of a
    // paragraph are full; its last one and headings are shorter).
    let mut widths: Vec<usize> = prose
        .iter()
        .map(|&i| width(lines[i].raw.trim()))
        .filter(|&w| w >= 30)
        .collect();
    widths.sort_unstable();
    let full = if widths.len() >= 5 {
        widths[widths.len() / 2]
    } else {
        widths.last().copied().unwrap_or(usize::MAX)
    };
    // Pages that open with 目录 are the table of contents, and so are the pages after one
    // that hold nothing but headings (its continuation).
    let mut contents_pages: Vec<u32> = prose
        .iter()
        .filter(|&&i| {
            let first = lines[..=i]
                .iter()
                .rev()
                .take_while(|l| l.page == lines[i].page)
                .all(|l| std::ptr::eq(l, &lines[i]) || l.raw.trim().is_empty());
            first && normalize::name_key(&lines[i].raw) == "目录"
        })
        .map(|&i| lines[i].page)
        .collect();
    let mut next = contents_pages.last().map(|p| p + 1);
    while let Some(page) = next {
        let on_page: Vec<usize> = prose
            .iter()
            .copied()
            .filter(|&i| lines[i].page == page)
            .collect();
        let only_headings = !on_page.is_empty()
            && on_page.iter().all(|&i| {
                let key = normalize::name_key(&lines[i].raw);
                key.chars().count() <= 40 && sentence_punctuation(&key) == 0
            });
        if only_headings {
            contents_pages.push(page);
            next = Some(page + 1);
        } else {
            next = None;
        }
    }
    let mut out: Vec<ProseLine> = Vec::new();
    let mut previous: Option<usize> = None;
    for (n, &i) in prose.iter().enumerate() {
        let line = &lines[i];
        let folded = normalize::fold(&line.raw);
        let indented = line.raw.starts_with("  ") || line.raw.starts_with('\u{3000}');
        let joins = previous.is_some_and(|p| {
            let prev = &lines[p];
            let prev_folded = normalize::fold(&prev.raw);
            let adjacent = (prev.page == line.page && i == p + 1)
                || (line.page == prev.page + 1
                    && (p + 1..i).all(|k| matches!(shapes[k], Shape::Blank | Shape::Furniture)));
            adjacent
                && !contents_pages.contains(&line.page)
                && !ends_statement(&prev_folded)
                && !is_heading(&prev_folded)
                && width(prev.raw.trim()).saturating_mul(100) >= full.saturating_mul(80)
                && !starts_with_marker(&folded)
                && !indented
                && shapes[p] != Shape::Note
        });
        let raw = line.raw.trim_end();
        if joins {
            if let Some(last) = out.last_mut() {
                let start = last.text.chars().count();
                let piece = raw.trim_start();
                // Words of Latin text keep a space; a number wrapped at the margin
                // (`上年:7.6` / `6万元`) is one number again.
                let glue = last.text.ends_with(|c: char| c.is_ascii_alphanumeric())
                    && piece.starts_with(|c: char| c.is_ascii_alphanumeric())
                    && !(last.text.ends_with(|c: char| c.is_ascii_digit())
                        && piece.starts_with(|c: char| c.is_ascii_digit()));
                let mut start_at = start;
                if glue {
                    last.raw.push(' ');
                    last.text.push(' ');
                    start_at += 1;
                }
                last.raw.push_str(piece);
                last.text.push_str(&normalize::fold(piece));
                last.text_changed();
                last.breaks.push((start_at, line.location()));
                previous = Some(i);
                continue;
            }
        }
        let number = u32::try_from(n + 1).unwrap_or(u32::MAX);
        let mut statement = ProseLine::single(number, line.location(), raw);
        statement.contents = contents_pages.contains(&line.page) || is_contents_entry(&folded);
        out.push(statement);
        previous = Some(i);
    }
    // Reading order numbers must be consecutive per statement.
    for (n, l) in out.iter_mut().enumerate() {
        l.number = u32::try_from(n + 1).unwrap_or(u32::MAX);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(doc: &TextDocument) -> Vec<String> {
        doc.lines.iter().map(|l| l.raw.clone()).collect()
    }

    #[test]
    fn bare_numbers_are_table_numbers_only() {
        for yes in ["0", "0.00", "1,234.56", "47,483,458", "-12.5", "45%"] {
            assert!(is_bare_number(yes), "{yes}");
        }
        for no in ["1.", "2025年", "1,23", "12,3456", "x", ""] {
            assert!(!is_bare_number(no), "{no}");
        }
    }

    #[test]
    fn tokens_cut_glued_numbers_and_join_letter_spacing() {
        let line = "一、财政拨款收入 47,483,458一、社会保障和就业支出 6,397,096";
        assert_eq!(
            token_texts(line),
            vec![
                "一、财政拨款收入",
                "47,483,458",
                "一、社会保障和就业支出",
                "6,397,096"
            ]
        );
        assert_eq!(
            token_texts("收    入  总  计 4,733.14"),
            vec!["收入总计", "4,733.14"]
        );
    }

    #[test]
    fn wrapped_statements_join_across_lines_and_pages() {
        let long = "2026年本部门政府采购预算8536.39万元，其中：政府采购货物预算1234.00万元、政府采购服务预";
        let text = format!(
            "标题\n{long}\n算2573.64万元。\n二、机关运行经费预算\n{long}\n\u{c}算12.00万元。\n3\n"
        );
        // make the typical width known: several full lines
        let text = format!("{}{}", format!("{long}\n").repeat(5), text);
        let doc = split(&text);
        let lines = texts(&doc);
        assert!(
            lines
                .iter()
                .any(|l| l.ends_with("政府采购服务预算2573.64万元。")),
            "{lines:?}"
        );
        assert!(
            lines.iter().any(|l| l == "二、机关运行经费预算"),
            "{lines:?}"
        );
        assert!(
            lines.iter().any(|l| l.ends_with("服务预算12.00万元。")),
            "{lines:?}"
        );
        let joined = doc
            .lines
            .iter()
            .find(|l| l.raw.ends_with("服务预算12.00万元。"))
            .unwrap();
        let at = joined.text.chars().count() - 3;
        assert_eq!(joined.location_at(at), &Location::Page { page: 2, line: 1 });
    }

    #[test]
    fn a_number_whose_unit_wrapped_to_the_next_line_is_prose() {
        // The top of a page after a table: a statement, not the table's continuation.
        let text = "收入支出决算总表\n单位：万元\n项目 金额\n合计 4,733.14\n\u{c}第三部分 上海市普陀区生态环境局 2025 年度部门决算情况说\n明\n一、收入支出决算总体情况说明\n上海市普陀区生态环境局 2025 年度收入支出总计 4733.14\n万元。与 2024 年度相比，收入支出总计增加 90.09 万元，增长1.94%。\n";
        let doc = split(text);
        assert!(
            texts(&doc)
                .iter()
                .any(|l| l.contains("收入支出总计 4733.14万元")
                    || l.contains("收入支出总计 4733.14 万元")),
            "{:?}",
            texts(&doc)
        );
        assert_eq!(doc.grids.len(), 1, "only the table on the first page");
    }

    #[test]
    fn a_number_wrapped_at_the_margin_is_one_number() {
        let long = "13. “社会保障和就业支出（类）行政事业单位养老支出（款）事业单位离退休（项）”8.53万元，上年:7.6";
        let filler = "按照本区预算绩效管理工作的总体要求本部门开展了项目预算绩效目标编报工作编报绩效目标的项目数";
        let text = format!(
            "{}{long}\n6万元，主要原因是人员增加。\n",
            format!("{filler}\n").repeat(5)
        );
        let doc = split(&text);
        assert!(
            texts(&doc).iter().any(|l| l.contains("上年:7.66万元")),
            "{:?}",
            texts(&doc)
        );
    }

    #[test]
    fn a_titled_table_becomes_a_token_grid_and_its_note_ends_it() {
        let text = "收入决算表\n单位：万元\n项目 合计 基本支出 项目支出\n合计 20,323.21 14,107.46 6,215.76\n201 一般公共服务支出 207.40 0.00 207.40\n注：本表反映部门本年度各项支出情况。\n正文继续。\n";
        let doc = split(text);
        assert_eq!(doc.grids.len(), 1);
        let grid = &doc.grids[0];
        assert!(grid.tokens);
        assert_eq!(grid.caption.len(), 2);
        assert_eq!(grid.rows.len(), 3);
        assert_eq!(grid.rows[2].cells[0].text, "201");
        // One page (no form feed): plain line numbers.
        assert_eq!(grid.rows[2].cells[0].location, Location::Line(5));
        let prose = texts(&doc);
        assert!(prose.iter().any(|l| l.starts_with("注：")));
        assert!(prose.iter().any(|l| l == "正文继续。"));
    }

    #[test]
    fn a_table_continued_on_the_next_page_is_a_second_region() {
        let text = "支出决算表\n单位：万元\n合计 1.00 1.00\n201 一般公共服务支出 1.00 1.00\n\u{c}2013899 其他市场监督管理事务 4.19 4.19\n204 公共安全支出 556.78 556.78\n注：本表反映部门本年度各项支出情况。\n";
        let doc = split(text);
        assert_eq!(doc.grids.len(), 2);
        assert!(doc.grids[1].caption.is_empty());
        assert_eq!(doc.grids[1].rows.len(), 2);
    }

    #[test]
    fn page_numbers_are_dropped_and_contents_lines_are_no_tables() {
        let text = "目 录\n一、收入支出决算总表\n二、收入决算表\n2\n\u{c}正文。\n";
        let doc = split(text);
        assert!(doc.grids.is_empty());
        let prose = texts(&doc);
        assert!(!prose.iter().any(|l| l.trim() == "2"), "{prose:?}");
        assert!(prose.iter().any(|l| l == "二、收入决算表"));
    }

    #[test]
    fn tab_layout_is_not_page_text() {
        assert!(!is_page_text("标题\n\t公开01表\n\t\n"));
        assert!(is_page_text("标题\n收入 1.00\n\u{c}第二页"));
    }
}
