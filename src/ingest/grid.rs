//! The one table model every input becomes: a grid of cells with their printed text and place.
//!
//! Text tables (tab-cell layout) and spreadsheet sheets are both turned into `Grid`s, so one
//! recognizer in `extract::tables` reads both. A grid may hold several tables; splitting them is
//! the recognizer's job, not this module's.

use crate::ingest::normalize;
use crate::model::Location;

/// One cell as printed.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    /// The text exactly as printed (may span lines joined with `\n`).
    pub raw: String,
    /// Folded to ASCII punctuation/digits and trimmed; what the recognizer reads.
    pub text: String,
    /// Leading whitespace of the printed text (indented child rows).
    pub indent: usize,
    pub location: Location,
    /// A copy of a merged region's text (not printed in this cell itself).
    pub merged: bool,
}

impl Cell {
    pub fn new(raw: impl Into<String>, location: Location) -> Cell {
        let raw = raw.into();
        let indent = raw.chars().take_while(|c| c.is_whitespace()).count();
        let text = normalize::fold(raw.trim());
        Cell {
            raw,
            text,
            indent,
            location,
            merged: false,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.text.trim().is_empty()
    }

    /// The text as a comparison key: no whitespace, quotes or line breaks.
    pub fn key(&self) -> String {
        normalize::name_key(&self.text)
    }
}

/// A row of cells; `cells[i]` is column `i`.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub cells: Vec<Cell>,
}

impl Row {
    pub fn cell(&self, column: usize) -> Option<&Cell> {
        self.cells.get(column).filter(|c| !c.is_empty())
    }
    pub fn non_empty(&self) -> impl Iterator<Item = (usize, &Cell)> {
        self.cells.iter().enumerate().filter(|(_, c)| !c.is_empty())
    }
    /// Non-empty cells printed in themselves (not copies of a merged region).
    pub fn printed(&self) -> impl Iterator<Item = (usize, &Cell)> {
        self.non_empty().filter(|(_, c)| !c.merged)
    }
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(Cell::is_empty)
    }
    pub fn location(&self) -> Option<&Location> {
        self.cells.first().map(|c| &c.location)
    }
}

/// A block of rows: a run of tab rows in a text file, or one spreadsheet sheet.
#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    /// `text` for text blocks, the sheet name for spreadsheets.
    pub name: String,
    /// Prose lines printed just before a text block (its title, e.g. `收入支出决算总表`).
    pub caption: Vec<Cell>,
    pub rows: Vec<Row>,
    /// Rows are printed lines cut into tokens at spaces (page text): the cells are in reading
    /// order, empty cells are not printed, and columns are not known. The table recognizer
    /// aligns such rows to the columns of the table it recognizes.
    pub tokens: bool,
}

impl Grid {
    /// The non-empty cells printed in themselves (not merged-region copies): caption, then rows.
    pub fn printed_cells(&self) -> impl Iterator<Item = &Cell> {
        self.caption
            .iter()
            .chain(self.rows.iter().flat_map(|r| r.cells.iter()))
            .filter(|c| !c.merged && !c.is_empty())
    }
}
