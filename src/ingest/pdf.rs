//! PDF → positioned glyphs and ruling lines → prose statements and table grids.
//!
//! Text PDFs only: the glyphs come with Unicode from the fonts' ToUnicode maps (pdf-extract over
//! lopdf), with their positions. A table drawn with ruling lines (as every 公开表 is) is read
//! as a *lattice*: the lines' intersections give the cells, a cell without an inner line spans
//! columns or rows (its text goes to its first slot, copies marked `merged` elsewhere, as a
//! spreadsheet's merged region), and each glyph goes to the cell its centre falls in — so a
//! value printed a line above its row label still lands in its row. Text outside the lattices
//! is laid out like page text ([`super::pagetext::layout`]): statements joined across lines and
//! pages, tables without ruling lines as token rows.
//!
//! Cells are located `p<page>_t<k>!B3` (the k-th table of the page); other text `page N, line
//! M` (M counts the page's text lines outside tables, top to bottom). A page without any glyph
//! is reported: a scanned page has no text layer.
//!
//! The PDF library may panic or spin on a hostile file: every page is parsed under
//! `catch_unwind`, and the whole file on a worker thread with a deadline.

use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;
use std::time::Duration;

use pdf_extract::{MediaBox, OutputDev, OutputError, Transform};

use super::grid::{Cell, Grid, Row};
use super::pagetext::{self, PageLine};
use super::sheet::a1;
use super::text::TextDocument;
use crate::model::Location;

/// Why a PDF could not be read at all.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PdfError {
    #[error("not a PDF or a damaged one ({0})")]
    Unreadable(String),
    #[error("encrypted PDF: it cannot be read without the password")]
    Encrypted,
    #[error("no text layer on any of its {0} pages (a scanned PDF: it needs OCR first)")]
    NoText(u32),
    #[error("reading it took longer than {0} s; skipped")]
    Timeout(u64),
    #[error("the PDF library failed on it ({0})")]
    Crashed(String),
}

/// What a PDF yields, and the pages it could not read.
pub struct PdfDocument {
    pub doc: TextDocument,
    /// (page, why) for pages that could not be read.
    pub problems: Vec<(u32, String)>,
}

/// The longest a PDF may take before it is given up.
const DEADLINE: Duration = Duration::from_secs(60);

/// Reads a PDF from its bytes.
///
/// # Errors
/// [`PdfError`] when nothing can be read; pages that fail alone are listed in `problems`.
pub fn read(bytes: &[u8]) -> Result<PdfDocument, PdfError> {
    let bytes = bytes.to_vec();
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::Builder::new()
        .name("pdf".into())
        .spawn(move || {
            let result = panic::catch_unwind(AssertUnwindSafe(|| pages(&bytes)))
                .unwrap_or_else(|e| Err(PdfError::Crashed(panic_message(&e))));
            let _ = tx.send(result);
        });
    if worker.is_err() {
        return Err(PdfError::Crashed("no thread for the PDF reader".into()));
    }
    let (pages, problems) = match rx.recv_timeout(DEADLINE) {
        Ok(r) => r?,
        Err(_) => return Err(PdfError::Timeout(DEADLINE.as_secs())),
    };
    let count = u32::try_from(pages.len()).unwrap_or(u32::MAX);
    if pages.iter().all(|p| p.glyphs.is_empty()) {
        return Err(PdfError::NoText(count));
    }
    Ok(PdfDocument {
        doc: lay_out(pages),
        problems,
    })
}

fn panic_message(e: &Box<dyn std::any::Any + Send>) -> String {
    e.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| e.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

/// A glyph, in page coordinates with y growing downwards.
#[derive(Clone, Debug)]
struct Glyph {
    x0: f64,
    x1: f64,
    /// Baseline.
    y: f64,
    size: f64,
    text: String,
}

impl Glyph {
    fn cx(&self) -> f64 {
        (self.x0 + self.x1) / 2.0
    }
    /// The middle of the glyph's body (a little above the baseline).
    fn cy(&self) -> f64 {
        self.y - self.size * 0.35
    }
}

/// A horizontal or vertical ruling line, y growing downwards.
#[derive(Clone, Copy, Debug)]
struct Segment {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

/// One page as drawn.
#[derive(Default)]
struct PdfPage {
    number: u32,
    glyphs: Vec<Glyph>,
    segments: Vec<Segment>,
    /// Images drawn (XObjects and inline): a page of images without glyphs is a scan.
    images: usize,
    /// Paths painted (lines, fills): a page with only these is not blank.
    paints: usize,
}

/// Collects the glyphs of a page (pdf-extract's text interpreter).
#[derive(Default)]
struct Collector {
    height: f64,
    current: PdfPage,
}

impl OutputDev for Collector {
    fn begin_page(
        &mut self,
        page_num: u32,
        media_box: &MediaBox,
        _: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        self.height = media_box.ury - media_box.lly;
        self.current = PdfPage {
            number: page_num,
            ..PdfPage::default()
        };
        Ok(())
    }
    fn end_page(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        _spacing: f64,
        font_size: f64,
        text: &str,
    ) -> Result<(), OutputError> {
        let size = (font_size * trm.m11.hypot(trm.m12)).abs().max(1.0);
        let x = trm.m31;
        let y = self.height - trm.m32;
        let w = (width * size).max(0.0);
        if text.trim().is_empty() || !x.is_finite() || !y.is_finite() {
            return Ok(());
        }
        self.current.glyphs.push(Glyph {
            x0: x,
            x1: x + w,
            y,
            size,
            text: text.to_string(),
        });
        Ok(())
    }
    fn begin_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}

/// An affine matrix `[a b c d e f]` as PDF writes it.
type Matrix = [f64; 6];

fn multiply(m: &Matrix, n: &Matrix) -> Matrix {
    [
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    ]
}

/// The ruling lines of a page: its paths' horizontal and vertical pieces, whatever paints them
/// (stroked lines, thin filled rectangles, `re f*` as Word writes cell borders), read from the
/// content stream and the form XObjects it draws, with a budget of operations.
struct Rulings<'d> {
    doc: &'d pdf_extract::Document,
    height: f64,
    segments: Vec<Segment>,
    images: usize,
    paints: usize,
    /// Operations left to interpret on this page.
    budget: usize,
}

impl Rulings<'_> {
    fn number(o: &pdf_extract::Object) -> Option<f64> {
        match o {
            pdf_extract::Object::Integer(i) => Some(*i as f64),
            pdf_extract::Object::Real(r) => Some(f64::from(*r)),
            _ => None,
        }
    }

    fn point(&self, m: &Matrix, x: f64, y: f64) -> (f64, f64) {
        let px = m[0] * x + m[2] * y + m[4];
        let py = m[1] * x + m[3] * y + m[5];
        (px, self.height - py)
    }

    fn segment(&mut self, (x0, y0): (f64, f64), (x1, y1): (f64, f64)) {
        let horizontal = (y0 - y1).abs() <= 1.0 && (x1 - x0).abs() >= 2.0;
        let vertical = (x0 - x1).abs() <= 1.0 && (y1 - y0).abs() >= 2.0;
        if (horizontal || vertical) && self.segments.len() < 20_000 {
            self.segments.push(Segment {
                x0: x0.min(x1),
                y0: y0.min(y1),
                x1: x0.max(x1),
                y1: y0.max(y1),
            });
        }
    }

    /// A rectangle: a line when thin, else its four edges.
    fn rect(&mut self, a: (f64, f64), b: (f64, f64)) {
        let (x0, x1) = (a.0.min(b.0), a.0.max(b.0));
        let (y0, y1) = (a.1.min(b.1), a.1.max(b.1));
        if x1 - x0 < 2.0 {
            self.segment(((x0 + x1) / 2.0, y0), ((x0 + x1) / 2.0, y1));
        } else if y1 - y0 < 2.0 {
            self.segment((x0, (y0 + y1) / 2.0), (x1, (y0 + y1) / 2.0));
        } else {
            self.segment((x0, y0), (x1, y0));
            self.segment((x0, y1), (x1, y1));
            self.segment((x0, y0), (x0, y1));
            self.segment((x1, y0), (x1, y1));
        }
    }

    fn run(
        &mut self,
        content: &[u8],
        resources: Option<&pdf_extract::Dictionary>,
        ctm: Matrix,
        depth: u32,
    ) {
        let Ok(content) = pdf_extract::content::Content::decode(content) else {
            return;
        };
        let mut stack: Vec<Matrix> = Vec::new();
        let mut m = ctm;
        // The path being built: (from, to) lines and rectangles, in page coordinates.
        let mut lines: Vec<((f64, f64), (f64, f64))> = Vec::new();
        let mut rects: Vec<((f64, f64), (f64, f64))> = Vec::new();
        let mut at: Option<(f64, f64)> = None;
        let mut start: Option<(f64, f64)> = None;
        for op in &content.operations {
            if self.budget == 0 {
                return;
            }
            self.budget -= 1;
            let nums: Vec<f64> = op.operands.iter().filter_map(Self::number).collect();
            match op.operator.as_str() {
                "q" if stack.len() < 64 => stack.push(m),
                "Q" => m = stack.pop().unwrap_or(ctm),
                "cm" if nums.len() == 6 => {
                    let n = [nums[0], nums[1], nums[2], nums[3], nums[4], nums[5]];
                    m = multiply(&n, &m);
                }
                "m" if nums.len() == 2 => {
                    at = Some(self.point(&m, nums[0], nums[1]));
                    start = at;
                }
                "l" if nums.len() == 2 => {
                    let to = self.point(&m, nums[0], nums[1]);
                    if let Some(from) = at {
                        lines.push((from, to));
                    }
                    at = Some(to);
                }
                "c" | "v" | "y" if nums.len() >= 4 => {
                    let k = nums.len();
                    at = Some(self.point(&m, nums[k - 2], nums[k - 1]));
                }
                "re" if nums.len() == 4 => {
                    let a = self.point(&m, nums[0], nums[1]);
                    let b = self.point(&m, nums[0] + nums[2], nums[1] + nums[3]);
                    rects.push((a, b));
                    at = Some(a);
                    start = at;
                }
                "h" => {
                    if let (Some(from), Some(to)) = (at, start) {
                        lines.push((from, to));
                    }
                    at = start;
                }
                "BI" => self.images += 1,
                "S" | "s" | "f" | "F" | "f*" | "B" | "B*" | "b" | "b*" => {
                    self.paints += 1;
                    for (a, b) in lines.drain(..) {
                        self.segment(a, b);
                    }
                    for (a, b) in rects.drain(..) {
                        self.rect(a, b);
                    }
                    at = None;
                }
                "n" => {
                    lines.clear();
                    rects.clear();
                    at = None;
                }
                "Do" if depth < 6 => {
                    let name = op.operands.first().and_then(|o| o.as_name().ok());
                    let xobject = resources
                        .and_then(|r| r.get(b"XObject").ok())
                        .and_then(|o| self.doc.dereference(o).ok())
                        .and_then(|(_, o)| o.as_dict().ok())
                        .zip(name)
                        .and_then(|(d, n)| d.get(n).ok())
                        .and_then(|o| self.doc.dereference(o).ok())
                        .and_then(|(_, o)| o.as_stream().ok());
                    let Some(stream) = xobject else { continue };
                    let subtype = stream
                        .dict
                        .get(b"Subtype")
                        .ok()
                        .and_then(|s| s.as_name().ok());
                    if subtype != Some(b"Form".as_slice()) {
                        self.images += usize::from(subtype == Some(b"Image".as_slice()));
                        continue;
                    }
                    let matrix = stream
                        .dict
                        .get(b"Matrix")
                        .ok()
                        .and_then(|o| o.as_array().ok())
                        .map(|a| a.iter().filter_map(Self::number).collect::<Vec<f64>>())
                        .filter(|v| v.len() == 6)
                        .map_or(m, |v| multiply(&[v[0], v[1], v[2], v[3], v[4], v[5]], &m));
                    let inner = stream
                        .dict
                        .get(b"Resources")
                        .ok()
                        .and_then(|o| self.doc.dereference(o).ok())
                        .and_then(|(_, o)| o.as_dict().ok())
                        .or(resources);
                    if let Ok(bytes) = stream
                        .decompressed_content()
                        .or_else(|_| Ok::<_, ()>(stream.content.clone()))
                    {
                        self.run(&bytes, inner, matrix, depth + 1);
                    }
                }
                _ => {}
            }
        }
    }
}

/// What one page draws besides text: its ruling lines, how many images and painted paths.
struct Drawing {
    segments: Vec<Segment>,
    images: usize,
    paints: usize,
}

/// The ruling lines of one page.
fn page_rulings(
    doc: &pdf_extract::Document,
    page_id: pdf_extract::ObjectId,
    height: f64,
) -> Drawing {
    /// Enough for any table page; a hostile stream stops here.
    const BUDGET: usize = 2_000_000;
    let Ok(content) = doc.get_page_content(page_id) else {
        return Drawing {
            segments: Vec::new(),
            images: 0,
            paints: 0,
        };
    };
    let resources = doc
        .get_page_resources(page_id)
        .ok()
        .and_then(|(direct, ids)| {
            direct.or_else(|| ids.first().and_then(|id| doc.get_dictionary(*id).ok()))
        });
    let mut rulings = Rulings {
        doc,
        height,
        segments: Vec::new(),
        images: 0,
        paints: 0,
        budget: BUDGET,
    };
    rulings.run(&content, resources, [1.0, 0.0, 0.0, 1.0, 0.0, 0.0], 0);
    Drawing {
        segments: rulings.segments,
        images: rulings.images,
        paints: rulings.paints,
    }
}

/// Every page's glyphs and ruling lines; pages that fail alone are reported, not fatal.
type Pages = (Vec<PdfPage>, Vec<(u32, String)>);

fn pages(bytes: &[u8]) -> Result<Pages, PdfError> {
    let mut doc =
        pdf_extract::Document::load_mem(bytes).map_err(|e| PdfError::Unreadable(e.to_string()))?;
    if doc.is_encrypted() && doc.decrypt("").is_err() {
        return Err(PdfError::Encrypted);
    }
    let page_ids: Vec<(u32, pdf_extract::ObjectId)> = doc.get_pages().into_iter().collect();
    let mut out = Vec::with_capacity(page_ids.len());
    let mut problems = Vec::new();
    for (n, id) in page_ids {
        let mut collector = Collector::default();
        let result = panic::catch_unwind(AssertUnwindSafe(|| {
            pdf_extract::output_doc_page(&doc, &mut collector, n)
        }));
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => problems.push((n, format!("{e:?}"))),
            Err(e) => problems.push((n, format!("the PDF library failed ({})", panic_message(&e)))),
        }
        let height = collector.height;
        let rulings = panic::catch_unwind(AssertUnwindSafe(|| page_rulings(&doc, id, height)));
        collector.current.number = n;
        if let Ok(drawing) = rulings {
            collector.current.segments = drawing.segments;
            collector.current.images = drawing.images;
            collector.current.paints = drawing.paints;
        }
        out.push(collector.current);
    }
    Ok((out, problems))
}

/// Glyphs drawn twice at (almost) the same place — a bold effect — count once.
fn dedupe(glyphs: &mut Vec<Glyph>) {
    glyphs.sort_by(|a, b| {
        a.y.total_cmp(&b.y)
            .then(a.x0.total_cmp(&b.x0))
            .then(a.text.cmp(&b.text))
    });
    glyphs.dedup_by(|b, a| {
        a.text == b.text && (a.y - b.y).abs() < a.size * 0.2 && (a.x0 - b.x0).abs() < a.size * 0.3
    });
}

/// Glyphs grouped into text lines (by baseline), each sorted left to right.
fn text_lines(mut glyphs: Vec<Glyph>) -> Vec<Vec<Glyph>> {
    glyphs.sort_by(|a, b| a.y.total_cmp(&b.y).then(a.x0.total_cmp(&b.x0)));
    let mut lines: Vec<Vec<Glyph>> = Vec::new();
    for g in glyphs {
        match lines.last_mut() {
            Some(line) if (line[0].y - g.y).abs() <= line[0].size.max(g.size) * 0.45 => {
                line.push(g)
            }
            _ => lines.push(vec![g]),
        }
    }
    for line in &mut lines {
        line.sort_by(|a, b| a.x0.total_cmp(&b.x0));
    }
    lines
}

/// The text of a line: a space where glyphs are apart by more than a third of their size.
fn line_text(line: &[Glyph]) -> String {
    let mut out = String::new();
    let mut end: Option<f64> = None;
    for g in line {
        if let Some(e) = end {
            if g.x0 - e > g.size * 0.33 {
                out.push(' ');
            }
        }
        out.push_str(&g.text);
        end = Some(g.x1.max(end.unwrap_or(g.x1)));
    }
    out
}

/// A cell of a lattice: its box and its place in the table's grid.
#[derive(Clone, Copy, Debug)]
struct CellBox {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

/// Snaps nearly equal coordinates to one value (their mean).
fn snap(values: &mut [f64], tolerance: f64) -> Vec<f64> {
    let mut sorted: Vec<f64> = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut clusters: Vec<Vec<f64>> = Vec::new();
    for v in sorted {
        match clusters.last_mut() {
            Some(c) if (v - c[c.len() - 1]).abs() <= tolerance => c.push(v),
            _ => clusters.push(vec![v]),
        }
    }
    let centres: Vec<f64> = clusters
        .iter()
        .map(|c| c.iter().sum::<f64>() / c.len() as f64)
        .collect();
    for v in values.iter_mut() {
        if let Some(c) = centres
            .iter()
            .min_by(|a, b| (**a - *v).abs().total_cmp(&(**b - *v).abs()))
        {
            *v = *c;
        }
    }
    centres
}

/// Horizontal and vertical lines, snapped and joined: (y, x0, x1) and (x, y0, y1).
type Lines = (Vec<(f64, f64, f64)>, Vec<(f64, f64, f64)>);

fn ruling_lines(segments: &[Segment]) -> Lines {
    const TOL: f64 = 2.0;
    let mut horizontal: Vec<(f64, f64, f64)> = segments
        .iter()
        .filter(|s| (s.y1 - s.y0).abs() <= 1.0)
        .map(|s| ((s.y0 + s.y1) / 2.0, s.x0, s.x1))
        .collect();
    let mut vertical: Vec<(f64, f64, f64)> = segments
        .iter()
        .filter(|s| (s.x1 - s.x0).abs() <= 1.0)
        .map(|s| ((s.x0 + s.x1) / 2.0, s.y0, s.y1))
        .collect();
    let mut ys: Vec<f64> = horizontal.iter().map(|h| h.0).collect();
    snap(&mut ys, TOL);
    for (h, y) in horizontal.iter_mut().zip(ys) {
        h.0 = y;
    }
    let mut xs: Vec<f64> = vertical.iter().map(|v| v.0).collect();
    snap(&mut xs, TOL);
    for (v, x) in vertical.iter_mut().zip(xs) {
        v.0 = x;
    }
    let join = |mut lines: Vec<(f64, f64, f64)>| -> Vec<(f64, f64, f64)> {
        lines.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let mut out: Vec<(f64, f64, f64)> = Vec::new();
        for l in lines {
            match out.last_mut() {
                Some(last) if last.0 == l.0 && l.1 <= last.2 + TOL => last.2 = last.2.max(l.2),
                _ => out.push(l),
            }
        }
        out
    };
    (join(horizontal), join(vertical))
}

/// The cells of the lattices of a page (pdfplumber's method: from each intersection, the
/// nearest one right and below that closes a ruled rectangle).
fn lattice_cells(segments: &[Segment]) -> Vec<CellBox> {
    const TOL: f64 = 2.0;
    /// Pages with more lines than this are drawings, not tables.
    const MAX_LINES: usize = 4000;
    let (horizontal, vertical) = ruling_lines(segments);
    if horizontal.len() + vertical.len() > MAX_LINES || horizontal.len() < 2 || vertical.len() < 2 {
        return Vec::new();
    }
    let covers_h = |y: f64, xa: f64, xb: f64| {
        horizontal
            .iter()
            .any(|h| (h.0 - y).abs() <= 0.5 && h.1 <= xa + TOL && h.2 >= xb - TOL)
    };
    let covers_v = |x: f64, ya: f64, yb: f64| {
        vertical
            .iter()
            .any(|v| (v.0 - x).abs() <= 0.5 && v.1 <= ya + TOL && v.2 >= yb - TOL)
    };
    let mut points: Vec<(f64, f64)> = Vec::new();
    for v in &vertical {
        for h in &horizontal {
            if v.0 >= h.1 - TOL && v.0 <= h.2 + TOL && h.0 >= v.1 - TOL && h.0 <= v.2 + TOL {
                points.push((v.0, h.0));
            }
        }
    }
    points.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.total_cmp(&b.0)));
    points.dedup_by(|a, b| (a.0 - b.0).abs() < 0.1 && (a.1 - b.1).abs() < 0.1);
    let has = |x: f64, y: f64| {
        points
            .binary_search_by(|p| p.1.total_cmp(&y).then(p.0.total_cmp(&x)))
            .is_ok()
            || points
                .iter()
                .any(|p| (p.0 - x).abs() < 0.1 && (p.1 - y).abs() < 0.1)
    };
    let mut by_row: HashMap<u64, Vec<f64>> = HashMap::new();
    let mut by_col: HashMap<u64, Vec<f64>> = HashMap::new();
    for &(x, y) in &points {
        by_row.entry(y.to_bits()).or_default().push(x);
        by_col.entry(x.to_bits()).or_default().push(y);
    }
    let mut cells = Vec::new();
    for &(x, y) in &points {
        let rights: Vec<f64> = by_row
            .get(&y.to_bits())
            .map(|xs| xs.iter().copied().filter(|&x2| x2 > x + 0.1).collect())
            .unwrap_or_default();
        let belows: Vec<f64> = by_col
            .get(&x.to_bits())
            .map(|ys| ys.iter().copied().filter(|&y2| y2 > y + 0.1).collect())
            .unwrap_or_default();
        'search: for &y2 in &belows {
            if !covers_v(x, y, y2) {
                break;
            }
            for &x2 in &rights {
                if !covers_h(y, x, x2) {
                    break;
                }
                if has(x2, y2) && covers_v(x2, y, y2) && covers_h(y2, x, x2) {
                    cells.push(CellBox {
                        x0: x,
                        y0: y,
                        x1: x2,
                        y1: y2,
                    });
                    break 'search;
                }
            }
        }
    }
    cells
}

/// Cells grouped into tables: cells touching at a corner or an edge are one table.
fn tables_of(cells: Vec<CellBox>) -> Vec<Vec<CellBox>> {
    let n = cells.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(parent: &mut [usize], i: usize) -> usize {
        let mut r = i;
        while parent[r] != r {
            r = parent[r];
        }
        let mut i = i;
        while parent[i] != r {
            let next = parent[i];
            parent[i] = r;
            i = next;
        }
        r
    }
    let touch = |a: &CellBox, b: &CellBox| {
        a.x0 <= b.x1 + 1.0 && b.x0 <= a.x1 + 1.0 && a.y0 <= b.y1 + 1.0 && b.y0 <= a.y1 + 1.0
    };
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| cells[a].x0.total_cmp(&cells[b].x0));
    for (k, &i) in order.iter().enumerate() {
        for &j in &order[k + 1..] {
            if cells[j].x0 > cells[i].x1 + 1.0 {
                break;
            }
            if touch(&cells[i], &cells[j]) {
                let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                if a != b {
                    parent[a] = b;
                }
            }
        }
    }
    let mut groups: HashMap<usize, Vec<CellBox>> = HashMap::new();
    for (i, cell) in cells.into_iter().enumerate() {
        let root = find(&mut parent, i);
        groups.entry(root).or_default().push(cell);
    }
    let mut out: Vec<Vec<CellBox>> = groups.into_values().collect();
    out.sort_by(|a, b| {
        let top = |t: &[CellBox]| t.iter().map(|c| c.y0).fold(f64::MAX, f64::min);
        top(a).total_cmp(&top(b))
    });
    out
}

/// A lattice read into a grid, with the box it covers.
struct Lattice {
    grid: Grid,
    top: f64,
    bottom: f64,
    left: f64,
    right: f64,
}

/// Reads one lattice: columns and rows from its cells' edges, each glyph into its cell.
fn read_lattice(page: u32, index: usize, cells: &[CellBox], glyphs: &[Glyph]) -> Option<Lattice> {
    let mut xs: Vec<f64> = cells.iter().flat_map(|c| [c.x0, c.x1]).collect();
    let mut ys: Vec<f64> = cells.iter().flat_map(|c| [c.y0, c.y1]).collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup_by(|a, b| (*a - *b).abs() < 1.0);
    ys.sort_by(f64::total_cmp);
    ys.dedup_by(|a, b| (*a - *b).abs() < 1.0);
    let (cols, rows) = (xs.len().checked_sub(1)?, ys.len().checked_sub(1)?);
    if cols < 2 || rows < 2 || cols > 200 || rows > 2000 {
        return None;
    }
    let col_of = |x: f64| xs.iter().position(|&v| (v - x).abs() < 1.0);
    let row_of = |y: f64| ys.iter().position(|&v| (v - y).abs() < 1.0);
    let sheet = format!("p{page}_t{index}");
    let location = |r: usize, c: usize| Location::Cell {
        sheet: sheet.clone(),
        cell: a1(
            u32::try_from(r).unwrap_or(u32::MAX),
            u32::try_from(c).unwrap_or(u32::MAX),
        ),
    };
    let mut slots: Vec<Vec<Cell>> = (0..rows)
        .map(|r| (0..cols).map(|c| Cell::new("", location(r, c))).collect())
        .collect();
    let mut any_text = false;
    for cell in cells {
        let (Some(c0), Some(c1), Some(r0), Some(r1)) = (
            col_of(cell.x0),
            col_of(cell.x1),
            row_of(cell.y0),
            row_of(cell.y1),
        ) else {
            continue;
        };
        if c1 <= c0 || r1 <= r0 {
            continue;
        }
        let inside: Vec<Glyph> = glyphs
            .iter()
            .filter(|g| {
                g.cx() >= cell.x0 && g.cx() <= cell.x1 && g.cy() >= cell.y0 && g.cy() <= cell.y1
            })
            .cloned()
            .collect();
        let text: Vec<String> = text_lines(inside).iter().map(|l| line_text(l)).collect();
        let text = text.join("\n");
        if text.trim().is_empty() {
            continue;
        }
        any_text = true;
        for (r, row) in slots.iter_mut().enumerate().take(r1).skip(r0) {
            for (c, slot) in row.iter_mut().enumerate().take(c1).skip(c0) {
                let mut copy = Cell::new(text.clone(), location(r, c));
                copy.merged = (r, c) != (r0, c0);
                *slot = copy;
            }
        }
    }
    if !any_text {
        return None;
    }
    Some(Lattice {
        grid: Grid {
            name: sheet,
            caption: Vec::new(),
            rows: slots.into_iter().map(|cells| Row { cells }).collect(),
            tokens: false,
        },
        top: ys[0],
        bottom: ys[ys.len() - 1],
        left: xs[0],
        right: xs[xs.len() - 1],
    })
}

/// Lays the pages out: lattices become grids (titled by the lines just above them), the rest
/// is page text.
fn lay_out(pages: Vec<PdfPage>) -> TextDocument {
    let page_count = u32::try_from(pages.len()).unwrap_or(u32::MAX);
    let mut lines: Vec<PageLine> = Vec::new();
    // (page, y) of each text line, and the lattices with their place.
    let mut line_y: HashMap<(u32, u32), f64> = HashMap::new();
    let mut lattices: Vec<(u32, f64, Grid)> = Vec::new();
    let mut blank_pages = Vec::new();
    let mut image_pages = Vec::new();
    for mut page in pages {
        dedupe(&mut page.glyphs);
        if page.glyphs.is_empty() {
            // Images without text are a scan; nothing drawn at all is a blank page; an empty
            // table row run over onto its own page is neither.
            if page.images > 0 {
                image_pages.push(page.number);
            } else if page.paints == 0 {
                blank_pages.push(page.number);
            }
            continue;
        }
        let mut found: Vec<Lattice> = Vec::new();
        for (k, cells) in tables_of(lattice_cells(&page.segments)).iter().enumerate() {
            if let Some(l) = read_lattice(page.number, k + 1, cells, &page.glyphs) {
                found.push(l);
            }
        }
        let in_lattice = |g: &Glyph| {
            found.iter().any(|l| {
                g.cx() >= l.left - 1.0
                    && g.cx() <= l.right + 1.0
                    && g.cy() >= l.top - 1.0
                    && g.cy() <= l.bottom + 1.0
            })
        };
        let outside: Vec<Glyph> = page
            .glyphs
            .iter()
            .filter(|g| !in_lattice(g))
            .cloned()
            .collect();
        let page_lines = text_lines(outside);
        let mut numbered: Vec<(f64, PageLine)> = Vec::new();
        for (i, l) in page_lines.iter().enumerate() {
            let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let y = l.iter().map(|g| g.y).fold(f64::MIN, f64::max);
            line_y.insert((page.number, n), y);
            numbered.push((
                y,
                PageLine {
                    page: page.number,
                    line: n,
                    raw: line_text(l),
                },
            ));
        }
        for mut lattice in found {
            // Title and unit lines right above the table caption it.
            lattice.grid.caption = numbered
                .iter()
                .filter(|(y, _)| *y <= lattice.top + 1.0 && lattice.top - *y <= 60.0)
                .rev()
                .take(3)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .map(|(_, l)| {
                    Cell::new(
                        l.raw.clone(),
                        Location::Page {
                            page: l.page,
                            line: l.line,
                        },
                    )
                })
                .collect();
            lattices.push((page.number, lattice.top, lattice.grid));
        }
        lines.extend(numbered.into_iter().map(|(_, l)| l));
    }
    let mut doc = pagetext::layout(lines);
    // Reading order: by page, then from the top.
    let mut grids: Vec<(u32, f64, Grid)> = lattices;
    for grid in doc.grids.drain(..) {
        let (page, y) = match grid
            .rows
            .first()
            .and_then(|r| r.cells.first())
            .map(|c| &c.location)
        {
            Some(Location::Page { page, line }) => {
                (*page, line_y.get(&(*page, *line)).copied().unwrap_or(0.0))
            }
            _ => (0, 0.0),
        };
        grids.push((page, y, grid));
    }
    grids.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    doc.grids = grids.into_iter().map(|(_, _, g)| g).collect();
    doc.pages = page_count;
    doc.blank_pages = blank_pages;
    doc.image_pages = image_pages;
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(x0: f64, y0: f64, x1: f64, y1: f64) -> Segment {
        Segment { x0, y0, x1, y1 }
    }

    fn glyph(x: f64, y: f64, text: &str) -> Glyph {
        Glyph {
            x0: x,
            x1: x + 10.0,
            y,
            size: 10.0,
            text: text.into(),
        }
    }

    #[test]
    fn a_ruled_grid_gives_cells_and_a_spanning_header() {
        // Three columns, three rows; the first row's cell spans columns 1–2 (no line there).
        let mut s = vec![
            seg(0.0, 0.0, 300.0, 0.0),
            seg(0.0, 20.0, 300.0, 20.0),
            seg(0.0, 40.0, 300.0, 40.0),
            seg(0.0, 60.0, 300.0, 60.0),
            seg(0.0, 0.0, 0.0, 60.0),
            seg(100.0, 0.0, 100.0, 60.0),
            seg(300.0, 0.0, 300.0, 60.0),
        ];
        s.push(seg(200.0, 20.0, 200.0, 60.0));
        let cells = lattice_cells(&s);
        let tables = tables_of(cells);
        assert_eq!(tables.len(), 1);
        let glyphs = vec![
            glyph(10.0, 15.0, "项"),
            glyph(150.0, 15.0, "本"),
            glyph(110.0, 35.0, "基"),
            glyph(210.0, 35.0, "项"),
            glyph(10.0, 55.0, "合"),
            glyph(120.0, 55.0, "1"),
            glyph(250.0, 55.0, "2"),
        ];
        let lattice = read_lattice(1, 1, &tables[0], &glyphs).expect("a table");
        let rows = &lattice.grid.rows;
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].cells.len(), 3);
        assert_eq!(rows[0].cells[1].text, "本");
        assert!(rows[0].cells[2].merged);
        assert_eq!(rows[2].cells[1].text, "1");
        assert_eq!(rows[2].cells[2].text, "2");
        assert_eq!(rows[2].cells[2].location.to_string(), "p1_t1!C3");
    }

    #[test]
    fn a_value_printed_above_its_label_stays_in_its_row() {
        let s = vec![
            seg(0.0, 0.0, 200.0, 0.0),
            seg(0.0, 40.0, 200.0, 40.0),
            seg(0.0, 0.0, 0.0, 40.0),
            seg(100.0, 0.0, 100.0, 40.0),
            seg(200.0, 0.0, 200.0, 40.0),
            seg(0.0, 80.0, 200.0, 80.0),
            seg(0.0, 40.0, 0.0, 80.0),
            seg(100.0, 40.0, 100.0, 80.0),
            seg(200.0, 40.0, 200.0, 80.0),
        ];
        let tables = tables_of(lattice_cells(&s));
        // The label sits low in its cell, the value high: different baselines, same row.
        let glyphs = vec![
            glyph(10.0, 35.0, "甲"),
            glyph(110.0, 12.0, "9"),
            glyph(10.0, 75.0, "乙"),
            glyph(110.0, 52.0, "8"),
        ];
        let lattice = read_lattice(3, 1, &tables[0], &glyphs).expect("a table");
        assert_eq!(lattice.grid.rows[0].cells[1].text, "9");
        assert_eq!(lattice.grid.rows[1].cells[1].text, "8");
    }

    #[test]
    fn text_lines_split_words_at_gaps() {
        let line = vec![
            glyph(0.0, 10.0, "合"),
            glyph(10.0, 10.0, "计"),
            glyph(60.0, 10.0, "1"),
        ];
        assert_eq!(line_text(&line), "合计 1");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(matches!(read(b"not a pdf"), Err(PdfError::Unreadable(_))));
        assert!(read(b"%PDF-1.4\n%%EOF").is_err());
    }
}
