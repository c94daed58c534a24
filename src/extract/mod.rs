//! Extraction: one input file → its identity and every number in it as a fact.
//!
//! `read_document` is the pure per-file function the whole pipeline maps over inputs: it never
//! panics on content and never fails as a whole — whatever cannot be read becomes an entry of
//! `errors`, and whatever could be read is kept. Tables are read before prose so the prose can
//! resolve names against the codes the document's own tables print.

pub mod codebook;
pub mod identity;
pub mod numbers;
pub mod prose;
pub mod tables;

use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::catalog::catalog;
use crate::ingest::grid::Grid;
use crate::ingest::{decode, pagetext, sheet, text};
use crate::model::{Anomaly, Fact, Identity, InputError};
use codebook::CodeBook;
use prose::Unmapped;
use tables::TableInfo;

/// Everything read from one input file (the `fiscal inspect --format json` object, SPEC §4).
#[derive(Clone, Debug, Serialize)]
pub struct DocumentReport {
    pub file: String,
    pub encoding: Option<String>,
    /// Content hash prefix (SHA-256, 16 hex digits): stable across renames.
    pub doc_id: Option<String>,
    pub document: Identity,
    pub facts: Vec<Fact>,
    pub anomalies: Vec<Anomaly>,
    pub errors: Vec<InputError>,
    pub tables: Vec<TableInfo>,
    /// Numbers printed in prose that no measure could be attributed to.
    pub unmapped: Vec<Unmapped>,
    /// Which checks ran on this document and which could not, and why.
    pub checks: Vec<CheckStatus>,
    /// What the checks read besides the facts (not part of the JSON object).
    #[serde(skip)]
    pub detail: Detail,
}

/// Whether a check ran on a document: a check that could not run is not a pass.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct CheckStatus {
    pub rule: String,
    pub status: CheckState,
    /// How many relations or facts the rule examined.
    pub checked: usize,
    pub flagged: usize,
    /// Why it could not run (or what it could not examine).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Whether a rule examined anything (`ran`) or could not (`skipped`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckState {
    Ran,
    Skipped,
}

/// The structure behind the facts: prose lines, lists, the codes the tables print.
#[derive(Clone, Debug, Default)]
pub struct Detail {
    pub lines: Vec<text::ProseLine>,
    /// Lists of the prose; indices point into `facts` (prose facts come first).
    pub lists: Vec<prose::ListGroup>,
    pub printed_codes: Vec<(crate::model::Code, String)>,
    /// Non-empty cells of the grids (table text), with their locations.
    pub cells: Vec<(crate::model::Location, String)>,
    /// Pages of page text or a PDF (0 when the input has no pages), and those without text.
    pub page_count: u32,
    pub blank_pages: Vec<u32>,
}

/// Fewer prose facts than this: a title or a table note, not the explanation (情况说明).
pub const MIN_PROSE_FACTS: usize = 5;

impl DocumentReport {
    fn empty(file: &str) -> DocumentReport {
        DocumentReport {
            file: file.to_string(),
            encoding: None,
            doc_id: None,
            document: Identity::default(),
            facts: Vec::new(),
            anomalies: Vec::new(),
            errors: Vec::new(),
            tables: Vec::new(),
            unmapped: Vec::new(),
            checks: Vec::new(),
            detail: Detail::default(),
        }
    }

    /// Drops what only the single-document checks read — the prose lines, lists and cells,
    /// and the numbers no measure was found for — keeping the facts, tables and the codes the
    /// tables print (a companion's prose resolves its sub-items by them).
    pub fn shed(&mut self) {
        self.unmapped = Vec::new();
        self.detail = Detail {
            printed_codes: std::mem::take(&mut self.detail.printed_codes),
            ..Default::default()
        };
    }

    /// True when nothing at all could be read from the file.
    pub fn unreadable(&self) -> bool {
        !self.errors.is_empty() && self.encoding.is_none() && self.facts.is_empty()
    }

    /// True when the document carries the prose explanation (情况说明), not only tables: it
    /// states at least a few figures outside tables.
    pub fn has_prose_part(&self) -> bool {
        self.facts.iter().filter(|f| f.table.is_none()).count() >= MIN_PROSE_FACTS
    }
}

fn error(kind: &str, message: impl Into<String>, location: Option<String>) -> InputError {
    InputError {
        kind: kind.to_string(),
        message: message.into(),
        location,
    }
}

/// The report of a file that could not be read at all: one error of `kind`.
pub fn failed_report(file: &str, kind: &str, message: String) -> DocumentReport {
    let mut report = DocumentReport::empty(file);
    report.errors.push(error(kind, message, None));
    report
}

/// Reads one input file. Never fails: problems are reported in `errors`.
pub fn read_document(path: &Path) -> DocumentReport {
    let file = path.display().to_string();
    let mut report = DocumentReport::empty(&file);
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            report
                .errors
                .push(error("io", format!("cannot read {file}: {e}"), None));
            return report;
        }
    };
    // A 0-byte file is a failed copy or a placeholder, never a document with nothing to say.
    if bytes.is_empty() {
        report.errors.push(error(
            "empty",
            format!("{file}: empty file (0 bytes)"),
            None,
        ));
        return report;
    }
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match extension.as_str() {
        "txt" | "text" | "" => read_text_bytes(&file, &bytes),
        "xlsx" | "xlsm" | "xls" | "ods" => read_sheet_bytes(&file, &bytes),
        "pdf" => read_pdf_bytes(&file, &bytes),
        other => {
            let known: Vec<String> = INPUT_EXTENSIONS.iter().map(|e| format!(".{e}")).collect();
            report.errors.push(error(
                "unsupported",
                format!(
                    "{file}: .{other} is not an input type ({})",
                    known.join(", ")
                ),
                None,
            ));
            report
        }
    }
}

/// True for a path `read_document` reads as text.
pub fn is_text_path(path: &Path) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    matches!(ext.as_str(), "txt" | "text" | "")
}

/// The file extensions `read_document` reads: parsed text, workbooks, PDFs.
pub const INPUT_EXTENSIONS: [&str; 6] = ["txt", "xlsx", "xlsm", "xls", "ods", "pdf"];

/// Reads a text PDF from its bytes; pages without text or that fail alone are reported.
pub fn read_pdf_bytes(file: &str, bytes: &[u8]) -> DocumentReport {
    let mut report = DocumentReport::empty(file);
    report.doc_id = Some(doc_id(bytes));
    let read = match crate::ingest::pdf::read(bytes) {
        Ok(r) => r,
        Err(e) => {
            report
                .errors
                .push(error("pdf", format!("{file}: {e}"), None));
            return report;
        }
    };
    report.encoding = Some("pdf".to_string());
    for (page, why) in &read.problems {
        report.errors.push(error(
            "pdf",
            format!("{file}: page {page} cannot be read: {why}"),
            Some(format!("page {page}")),
        ));
    }
    // A blank page loses nothing (BLANK_PAGE reports it); a page of images without text
    // loses whatever it shows.
    for page in &read.doc.image_pages {
        report.errors.push(error(
            "pdf",
            format!("{file}: page {page}: no text layer (an image only, e.g. a scanned page: it needs OCR)"),
            Some(format!("page {page}")),
        ));
    }
    fill(&mut report, extract(read.doc, ""));
    report
}

/// Reads a workbook from its bytes; sheets that fail alone are reported, the rest is kept.
pub fn read_sheet_bytes(file: &str, bytes: &[u8]) -> DocumentReport {
    let mut report = DocumentReport::empty(file);
    report.doc_id = Some(doc_id(bytes));
    let book = match sheet::read(bytes) {
        Ok(b) => b,
        Err(e) => {
            let kind = match e {
                sheet::SheetError::Limit(_) => "limit",
                _ => "spreadsheet",
            };
            report
                .errors
                .push(error(kind, format!("{file}: {e}"), None));
            return report;
        }
    };
    report.encoding = Some("workbook".to_string());
    for (sheet_name, why) in &book.problems {
        report.errors.push(error(
            "spreadsheet",
            format!("{file}: sheet {sheet_name} cannot be read: {why}"),
            Some(sheet_name.clone()),
        ));
    }
    let stem = std::path::Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_string();
    let doc = text::TextDocument {
        lines: book.lines,
        grids: book.grids,
        ..text::TextDocument::default()
    };
    fill(&mut report, extract(doc, &stem));
    report
}

fn fill(report: &mut DocumentReport, extraction: Extraction) {
    // A table recognized by its title or header whose numbers none could be read: a layout
    // the reader does not follow. Its numbers are missing from the facts — said, not silent.
    for t in &extraction.tables {
        if t.signature.is_some() && t.facts == 0 && t.numbers > 0 && t.note.is_none() {
            report.errors.push(error(
                "table",
                format!(
                    "{}: {} at {} was recognized but none of its {} numbers could be read (a layout the reader does not follow)",
                    report.file, t.name, t.location, t.numbers
                ),
                Some(t.location.to_string()),
            ));
        }
    }
    for u in &extraction.unreadable {
        report.errors.push(error(
            "number",
            format!(
                "{}: number not read at {}: “{}” ({})",
                report.file, u.location, u.raw, u.reason
            ),
            Some(u.location.to_string()),
        ));
    }
    report.document = extraction.identity;
    report.facts = extraction.facts;
    report.tables = extraction.tables;
    report.unmapped = extraction.unmapped;
    report.detail = extraction.detail;
}

/// Reads a parsed-text document from its bytes.
pub fn read_text_bytes(file: &str, bytes: &[u8]) -> DocumentReport {
    let mut report = DocumentReport::empty(file);
    report.doc_id = Some(doc_id(bytes));
    let decoded = match decode::decode(bytes) {
        Ok(d) => d,
        Err(e) => {
            report
                .errors
                .push(error("encoding", format!("{file}: {e}"), None));
            return report;
        }
    };
    report.encoding = Some(decoded.encoding.as_str().to_string());
    fill(&mut report, extract_text(&decoded.text));
    if !decoded.replaced.is_empty() {
        // The rest is read; the damage is reported where it is (a partial read).
        const LISTED: usize = 10;
        let mut at: Vec<String> = decoded
            .replaced
            .iter()
            .take(LISTED)
            .map(ToString::to_string)
            .collect();
        if decoded.replaced.len() > LISTED {
            at.push(format!("… {} more", decoded.replaced.len() - LISTED));
        }
        report.errors.push(error(
            "encoding",
            format!(
                "{file}: {} invalid {} byte sequence{} replaced by U+FFFD, the rest read: at byte {}",
                decoded.replaced.len(),
                decoded.encoding.as_str(),
                if decoded.replaced.len() == 1 { "" } else { "s" },
                at.join(", ")
            ),
            None,
        ));
    }
    report
}

/// SHA-256 prefix of the content.
pub fn doc_id(bytes: &[u8]) -> String {
    hex_id(&Sha256::digest(bytes))
}

/// The id of a SHA-256 digest: its first 8 bytes in hex.
pub fn hex_id(digest: &[u8]) -> String {
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// What the extractor finds in decoded text.
pub struct Extraction {
    pub identity: Identity,
    /// Prose facts in reading order, then table facts in reading order.
    pub facts: Vec<Fact>,
    pub tables: Vec<TableInfo>,
    pub unmapped: Vec<Unmapped>,
    /// Numbers not read because no disclosure prints them ([`numbers`]).
    pub unreadable: Vec<numbers::Unreadable>,
    pub detail: Detail,
}

/// Extracts identity and facts from decoded text.
pub fn extract_text(decoded: &str) -> Extraction {
    let doc = if pagetext::is_page_text(decoded) {
        pagetext::split(decoded)
    } else {
        text::split(decoded)
    };
    extract(doc, "")
}

/// Extracts identity and facts from prose lines and grids, whatever file they came from;
/// `file_stem` names the department when nothing inside does.
pub fn extract(doc: text::TextDocument, file_stem: &str) -> Extraction {
    let text::TextDocument {
        lines,
        grids,
        pages,
        blank_pages,
        image_pages: _,
    } = doc;
    let unreadable = unreadable_numbers(&lines, &grids);
    let table_output = tables::extract(&grids);
    let identity = identity::identify(&lines, &grids, file_stem, &table_output.kinds());
    let codes = CodeBook::new(catalog(), table_output.printed_codes.iter().cloned());
    let prose_output = prose::extract(&lines, &identity, &codes);
    let mut facts = prose_output.facts;
    facts.extend(table_output.facts);
    mark_periods(&mut facts, &table_output.tables, identity.fiscal_year);
    // Text cells of tables, for checks that read names (PLACEHOLDER's 某部门, XX（部门）).
    let cells = grids
        .iter()
        .flat_map(Grid::printed_cells)
        .map(|c| (c.location.clone(), c.raw.trim().to_string()))
        .collect();
    Extraction {
        identity,
        facts,
        tables: table_output.tables,
        unmapped: prose_output.unmapped,
        unreadable,
        detail: Detail {
            lines,
            lists: prose_output.lists,
            printed_codes: table_output.printed_codes,
            cells,
            page_count: pages,
            blank_pages,
        },
    }
}

/// The unreadable numbers of the prose lines and the tables' cells, each place once.
fn unreadable_numbers(lines: &[text::ProseLine], grids: &[Grid]) -> Vec<numbers::Unreadable> {
    let mut out: Vec<numbers::Unreadable> = lines
        .iter()
        .flat_map(|l| numbers::scan(&l.text, &l.location, false))
        .collect();
    for g in grids {
        for c in g.printed_cells() {
            out.extend(numbers::scan(&c.text, &c.location, true));
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|u| seen.insert((u.location.clone(), u.raw.clone())));
    out
}

/// Facts of a table headed with another year than the document's (next year's 绩效目标表 in
/// a 决算) carry that year as their period, so they never meet this year's figures.
fn mark_periods(facts: &mut [Fact], tables: &[TableInfo], year: Option<i32>) {
    let Some(year) = year else {
        return;
    };
    for f in facts.iter_mut() {
        let table_year = f.table.and_then(|t| tables.get(t)).and_then(|t| t.year);
        if let Some(y) = table_year.filter(|y| *y != year) {
            f.period = Some(y);
        }
    }
}

#[cfg(test)]
mod robustness_tests;
