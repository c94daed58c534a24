//! Parsed-text documents → prose lines and tab-cell grids (SPEC §2.1).
//!
//! A table row is a run of lines each beginning with a TAB, one cell per line (a lone TAB is an
//! empty cell); an empty line ends the row. A non-empty line without a TAB right after a row line
//! continues that row's last cell (a cell printed over two lines, `运算` / `符号`). Everything else
//! is prose. Line numbers are 1-based and count the file's own lines.

use crate::ingest::grid::{Cell, Grid, Row};
use crate::ingest::normalize;
use crate::model::Location;

/// One prose line, as printed and folded for parsing (same character count).
#[derive(Clone, Debug, PartialEq)]
pub struct ProseLine {
    /// Reading order within the document (the line number of a text file).
    pub number: u32,
    /// Where it is printed: `line N`, or the cell of a spreadsheet's narrative text.
    pub location: Location,
    pub raw: String,
    pub text: String,
    /// Where each further printed line of a statement wrapped over several lines begins:
    /// (char index in `text`, location). Empty for a statement printed on one line.
    pub breaks: Vec<(usize, Location)>,
    /// A line of the table of contents: read by checks (a year left out of a title), never
    /// for facts or sections.
    pub contents: bool,
    /// [`ProseLine::key`], made once: the reader and several checks compare names in every
    /// line.
    key: KeyCache,
}

/// The cached [`normalize::name_key`] of a line's text. It is derived data: equal and printed
/// the same whether made yet or not.
#[derive(Clone, Default)]
struct KeyCache(std::sync::OnceLock<String>);

impl PartialEq for KeyCache {
    fn eq(&self, _: &KeyCache) -> bool {
        true
    }
}

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("_")
    }
}

impl ProseLine {
    /// A statement printed on one line.
    pub fn single(number: u32, location: Location, raw: &str) -> ProseLine {
        ProseLine {
            number,
            location,
            raw: raw.to_string(),
            text: normalize::fold(raw),
            breaks: Vec::new(),
            contents: false,
            key: KeyCache::default(),
        }
    }

    /// The line's [`normalize::name_key`] (folded, without spaces or quotes), made on first
    /// use. `text` must not change after that (lines are built, then read).
    pub fn key(&self) -> &str {
        self.key.0.get_or_init(|| normalize::name_key(&self.text))
    }

    /// Call after changing `text` (a statement continued on the next printed line).
    pub fn text_changed(&mut self) {
        self.key.0.take();
    }

    /// Where the character at `index` was printed.
    pub fn location_at(&self, index: usize) -> &Location {
        self.breaks
            .iter()
            .rev()
            .find(|(start, _)| *start <= index)
            .map_or(&self.location, |(_, l)| l)
    }
}

/// A text document split into prose and grids.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TextDocument {
    pub lines: Vec<ProseLine>,
    pub grids: Vec<Grid>,
    /// Pages of page text or a PDF (0 for text without pages), and the ones with no text.
    pub pages: u32,
    pub blank_pages: Vec<u32>,
    /// Pages that are images without text (scans: their content cannot be read).
    pub image_pages: Vec<u32>,
}

/// How many prose lines before a block may hold its title.
const CAPTION_LINES: usize = 2;

/// Splits decoded text (any line ending) into prose lines and grids.
pub fn split(text: &str) -> TextDocument {
    let mut doc = TextDocument::default();
    let mut block: Option<Grid> = None;
    let mut row: Option<Vec<Cell>> = None;
    // Recent non-blank prose lines, for captions.
    let mut recent: Vec<Cell> = Vec::new();

    for (index, line) in lines(text).enumerate() {
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let location = Location::Line(number);
        if let Some(content) = line.strip_prefix('\t') {
            let cells = row.get_or_insert_with(Vec::new);
            for part in content.split('\t') {
                cells.push(Cell::new(part, location.clone()));
            }
            if block.is_none() {
                block = Some(Grid {
                    name: "text".to_string(),
                    caption: recent.clone(),
                    rows: Vec::new(),
                    tokens: false,
                });
            }
        } else if line.trim().is_empty() {
            if let (Some(cells), Some(grid)) = (row.take(), block.as_mut()) {
                grid.rows.push(Row { cells });
            }
        } else if let Some(cells) = row.as_mut() {
            if let Some(last) = cells.last_mut() {
                let raw = format!("{}\n{}", last.raw, line);
                *last = Cell::new(raw, last.location.clone());
            }
        } else {
            if let Some(grid) = block.take() {
                doc.grids.push(grid);
                recent.clear();
            }
            doc.lines
                .push(ProseLine::single(number, location.clone(), line));
            recent.push(Cell::new(line, location));
            if recent.len() > CAPTION_LINES {
                recent.remove(0);
            }
        }
    }
    if let (Some(cells), Some(grid)) = (row.take(), block.as_mut()) {
        grid.rows.push(Row { cells });
    }
    if let Some(grid) = block.take() {
        doc.grids.push(grid);
    }
    doc
}

/// Lines of the text under LF, CRLF or lone CR endings.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n').flat_map(|l| {
        let l = l.strip_suffix('\r').unwrap_or(l);
        l.split('\r')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_separates_prose_and_tab_rows_with_line_numbers() {
        let text = "标题行\n收入决算表\n\t公开02表\n\t\n\n\t项目\n\t运算\n符号\n\n正文第二段\n";
        let doc = split(text);
        let prose: Vec<_> = doc
            .lines
            .iter()
            .map(|l| (l.number, l.raw.as_str()))
            .collect();
        assert_eq!(
            prose,
            vec![(1, "标题行"), (2, "收入决算表"), (10, "正文第二段")]
        );
        assert_eq!(doc.grids.len(), 1);
        let grid = &doc.grids[0];
        assert_eq!(grid.caption.last().unwrap().text, "收入决算表");
        assert_eq!(grid.rows.len(), 2);
        assert_eq!(grid.rows[0].cells.len(), 2);
        assert!(grid.rows[0].cells[1].is_empty());
        assert_eq!(grid.rows[1].cells[1].raw, "运算\n符号");
        assert_eq!(grid.rows[1].cells[0].location, Location::Line(6));
    }

    #[test]
    fn split_handles_crlf_like_lf() {
        let lf = "甲\n\t1\n\t2\n\n乙\n";
        let crlf = lf.replace('\n', "\r\n");
        assert_eq!(split(lf), split(&crlf));
    }
}
