//! A document's facts as consolidation keeps them: fixed-size records whose strings (measure,
//! code, item, printed text, table, sheet, cell) are stored once per document and referred to
//! by index. 20,000 documents print about two million facts; as [`Fact`] structs with their
//! own strings they took ~700 bytes each, here ~100, so a nightly run's memory follows the
//! archive's departments and years more than its facts.
//!
//! Kept: what the fact table, the trends and the cross-document rules read. Dropped (already
//! used by the single-document and companion checks): each fact's label, share basis and span,
//! and the quote of every fact but a printed change (`与上年相比增加…`, which
//! CROSS_YEAR_MISMATCH quotes).

use foldhash::HashMap;

use rust_decimal::Decimal;

use crate::model::{Aspect, Code, Fact, Location, MetricKey, Source, Unit};

const NONE: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
enum Loc {
    Line(u32),
    Page(u32, u32),
    /// Sheet and cell, as string indices.
    Cell(u32, u32),
}

#[derive(Clone, Copy, Debug)]
struct Record {
    value: Option<Decimal>,
    printed: Option<Decimal>,
    metric: u32,
    code: u32,
    item: u32,
    raw: u32,
    /// `NONE` for prose, else the table's name.
    source: u32,
    quote: u32,
    named_as: u32,
    location: Loc,
    table: u32,
    period: Option<i32>,
    line: Option<u32>,
    aspect: Aspect,
    unit: Unit,
    printed_unit: Unit,
}

/// A stored fact's columns of the fact table, borrowed (what [`crate::analysis::frames`]
/// writes without rebuilding a [`Fact`]).
pub struct Row<'a> {
    pub metric: &'a str,
    pub code: Option<&'a str>,
    pub item: Option<&'a str>,
    pub aspect: Aspect,
    pub period: Option<i32>,
    pub value: Option<Decimal>,
    pub unit: Unit,
    pub raw: &'a str,
    /// The table's name; `None` for prose.
    pub table_name: Option<&'a str>,
    loc: Loc,
    store: &'a FactStore,
}

impl Row<'_> {
    /// `prose` or `table:{name}`, as [`Source`] prints.
    pub fn source_text(&self) -> String {
        match self.table_name {
            Some(name) => format!("table:{name}"),
            None => "prose".to_string(),
        }
    }

    /// The location as [`Location`] prints it.
    pub fn location_text(&self) -> String {
        match self.loc {
            Loc::Line(n) => Location::Line(n).to_string(),
            Loc::Page(page, line) => Location::Page { page, line }.to_string(),
            Loc::Cell(sheet, cell) => format!(
                "{}!{}",
                self.store.text(sheet).unwrap_or_default(),
                self.store.text(cell).unwrap_or_default()
            ),
        }
    }
}

/// One document's facts, compact.
#[derive(Clone, Debug, Default)]
pub struct FactStore {
    strings: Vec<Box<str>>,
    records: Vec<Record>,
}

struct Interner<'a> {
    strings: Vec<Box<str>>,
    index: HashMap<&'a str, u32>,
}

impl<'a> Interner<'a> {
    fn get(&mut self, s: &'a str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = u32::try_from(self.strings.len()).unwrap_or(NONE);
        self.strings.push(s.into());
        self.index.insert(s, i);
        i
    }

    fn opt(&mut self, s: Option<&'a str>) -> u32 {
        s.map_or(NONE, |s| self.get(s))
    }
}

impl FactStore {
    /// Stores `facts` (in order): what [`FactStore::stored`] gives back (the quote and the
    /// measure's printed name only of a printed change).
    pub fn new(facts: &[Fact]) -> FactStore {
        FactStore::from_stored(facts.iter().map(|f| {
            let keeps_quote = f.aspect == Aspect::YoyDelta;
            Stored {
                value: f.value,
                printed: f.printed,
                metric: f.metric.as_str(),
                code: f.code.as_ref().map(Code::as_str),
                item: f.item.as_deref(),
                raw: &f.raw,
                table_name: match &f.source {
                    Source::Prose => None,
                    Source::Table(name) => Some(name),
                },
                quote: keeps_quote.then_some(f.quote.as_str()),
                named_as: f.named_as.as_deref().filter(|_| keeps_quote),
                location: match &f.location {
                    Location::Line(n) => StoredLocation::Line(*n),
                    Location::Page { page, line } => StoredLocation::Page(*page, *line),
                    Location::Cell { sheet, cell } => StoredLocation::Cell(sheet, cell),
                },
                table: f.table.and_then(|t| u32::try_from(t).ok()),
                period: f.period,
                line: f.line,
                aspect: f.aspect,
                unit: f.unit,
                printed_unit: f.printed_unit,
            }
        }))
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    fn text(&self, i: u32) -> Option<&str> {
        (i != NONE)
            .then(|| self.strings.get(i as usize).map(|s| &**s))
            .flatten()
    }

    /// Every fact's table columns, in order (no strings built).
    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> + '_ {
        self.records.iter().map(move |r| Row {
            metric: self.text(r.metric).unwrap_or_default(),
            code: self.text(r.code),
            item: self.text(r.item),
            aspect: r.aspect,
            period: r.period,
            value: r.value,
            unit: r.unit,
            raw: self.text(r.raw).unwrap_or_default(),
            table_name: self.text(r.source),
            loc: r.location,
            store: self,
        })
    }

    /// The values of every fact, in order (no strings built).
    pub fn values(&self) -> impl Iterator<Item = Option<Decimal>> + '_ {
        self.records.iter().map(|r| r.value)
    }

    /// True when some fact has this aspect (no strings built).
    pub fn has_aspect(&self, aspect: Aspect) -> bool {
        self.records.iter().any(|r| r.aspect == aspect)
    }

    /// Facts printed outside tables.
    pub fn prose_count(&self) -> usize {
        self.records.iter().filter(|r| r.table == NONE).count()
    }

    fn fact(&self, r: &Record) -> Fact {
        let text = |i: u32| self.text(i).map(str::to_string);
        Fact {
            metric: MetricKey::new(self.text(r.metric).unwrap_or_default()),
            code: self.text(r.code).and_then(Code::parse),
            item: text(r.item),
            aspect: r.aspect,
            value: r.value,
            unit: r.unit,
            raw: text(r.raw).unwrap_or_default(),
            source: match text(r.source) {
                Some(name) => Source::Table(name),
                None => Source::Prose,
            },
            location: match r.location {
                Loc::Line(n) => Location::Line(n),
                Loc::Page(page, line) => Location::Page { page, line },
                Loc::Cell(sheet, cell) => Location::Cell {
                    sheet: text(sheet).unwrap_or_default(),
                    cell: text(cell).unwrap_or_default(),
                },
            },
            printed: r.printed,
            printed_unit: r.printed_unit,
            label: String::new(),
            basis: None,
            quote: text(r.quote).unwrap_or_default(),
            span: None,
            line: r.line,
            table: (r.table != NONE).then_some(r.table as usize),
            period: r.period,
            named_as: text(r.named_as),
        }
    }

    /// The facts, rebuilt (label, basis, span and most quotes are gone: see the module).
    pub fn facts(&self) -> Vec<Fact> {
        self.records.iter().map(|r| self.fact(r)).collect()
    }

    /// For each fact (in order), whether it is the one that represents the document for its
    /// key — measure, code, item, aspect and period: a printed amount over a placeholder, a
    /// table's over the prose's, then the first printed. Summing these gives one figure per
    /// key and document (facts.parquet `primary`, departments.parquet, 部门年度).
    pub fn primary(&self) -> Vec<bool> {
        type Key = (u32, u32, u32, Aspect, Option<i32>);
        let rank = |r: &Record| (r.value.is_none(), r.source == NONE);
        let mut best: HashMap<Key, usize> = HashMap::default();
        for (i, r) in self.records.iter().enumerate() {
            let key = (r.metric, r.code, r.item, r.aspect, r.period);
            let slot = best.entry(key).or_insert(i);
            if let Some(current) = self.records.get(*slot) {
                if rank(r) < rank(current) {
                    *slot = i;
                }
            }
        }
        let mut flags = vec![false; self.records.len()];
        for i in best.into_values() {
            if let Some(f) = flags.get_mut(i) {
                *f = true;
            }
        }
        flags
    }

    /// The whole measure's amount for the document's own year (no code, item or period): the
    /// primary fact's ([`FactStore::primary`]) — a table's, else the first printed in prose.
    pub fn stated(&self, metric: &str) -> Option<Decimal> {
        self.records
            .iter()
            .filter(|r| {
                r.code == NONE
                    && r.item == NONE
                    && r.aspect == Aspect::Value
                    && r.period.is_none()
                    && r.value.is_some()
                    && self.text(r.metric) == Some(metric)
            })
            .min_by_key(|r| r.source == NONE)
            .and_then(|r| r.value)
    }

    /// True when some fact's columns satisfy `test` (no strings built).
    pub fn any(&self, test: impl Fn(&Row<'_>) -> bool) -> bool {
        self.rows().any(|r| test(&r))
    }

    /// Every stored field of every fact, borrowed, in order: what the cache writes
    /// ([`crate::analysis::cache`]) and [`FactStore::from_stored`] reads back.
    pub fn stored(&self) -> impl Iterator<Item = Stored<'_>> + '_ {
        self.records.iter().map(move |r| Stored {
            value: r.value,
            printed: r.printed,
            metric: self.text(r.metric).unwrap_or_default(),
            code: self.text(r.code),
            item: self.text(r.item),
            raw: self.text(r.raw).unwrap_or_default(),
            table_name: self.text(r.source),
            quote: self.text(r.quote),
            named_as: self.text(r.named_as),
            location: match r.location {
                Loc::Line(n) => StoredLocation::Line(n),
                Loc::Page(page, line) => StoredLocation::Page(page, line),
                Loc::Cell(sheet, cell) => StoredLocation::Cell(
                    self.text(sheet).unwrap_or_default(),
                    self.text(cell).unwrap_or_default(),
                ),
            },
            table: (r.table != NONE).then_some(r.table),
            period: r.period,
            line: r.line,
            aspect: r.aspect,
            unit: r.unit,
            printed_unit: r.printed_unit,
        })
    }

    /// The store of facts given as [`FactStore::stored`] gave them.
    pub fn from_stored<'a>(facts: impl IntoIterator<Item = Stored<'a>>) -> FactStore {
        let mut strings = Interner {
            strings: Vec::new(),
            index: HashMap::default(),
        };
        let records = facts
            .into_iter()
            .map(|f| Record {
                value: f.value,
                printed: f.printed,
                metric: strings.get(f.metric),
                code: strings.opt(f.code),
                item: strings.opt(f.item),
                raw: strings.get(f.raw),
                source: strings.opt(f.table_name),
                quote: strings.opt(f.quote),
                named_as: strings.opt(f.named_as),
                location: match f.location {
                    StoredLocation::Line(n) => Loc::Line(n),
                    StoredLocation::Page(page, line) => Loc::Page(page, line),
                    StoredLocation::Cell(sheet, cell) => {
                        Loc::Cell(strings.get(sheet), strings.get(cell))
                    }
                },
                table: f.table.unwrap_or(NONE),
                period: f.period,
                line: f.line,
                aspect: f.aspect,
                unit: f.unit,
                printed_unit: f.printed_unit,
            })
            .collect();
        let mut strings = strings.strings;
        strings.shrink_to_fit();
        FactStore { strings, records }
    }
}

/// Where a stored fact was printed (see [`Location`]), borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoredLocation<'a> {
    Line(u32),
    Page(u32, u32),
    Cell(&'a str, &'a str),
}

/// Every field a [`FactStore`] keeps of one fact, borrowed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stored<'a> {
    pub value: Option<Decimal>,
    pub printed: Option<Decimal>,
    pub metric: &'a str,
    pub code: Option<&'a str>,
    pub item: Option<&'a str>,
    pub raw: &'a str,
    /// The table's name; `None` for prose.
    pub table_name: Option<&'a str>,
    /// Kept for printed changes only (see the module).
    pub quote: Option<&'a str>,
    pub named_as: Option<&'a str>,
    pub location: StoredLocation<'a>,
    /// Index into the report's tables.
    pub table: Option<u32>,
    pub period: Option<i32>,
    pub line: Option<u32>,
    pub aspect: Aspect,
    pub unit: Unit,
    pub printed_unit: Unit,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_facts_come_back_with_what_consolidation_reads() {
        let text = "2023年度某局部门决算\n一、收入支出决算总体情况说明\n2023年度收入总计472.39万元，与上年相比增加12.5万元。支出总计470.00万元。\n";
        let facts = crate::extract::extract_text(text).facts;
        assert!(facts.len() >= 3, "{facts:?}");
        let store = FactStore::new(&facts);
        assert_eq!(store.len(), facts.len());
        for (a, b) in facts.iter().zip(store.facts()) {
            assert_eq!(a.key(), b.key());
            assert_eq!((a.value, a.printed), (b.value, b.printed));
            assert_eq!(
                (&a.raw, &a.source, &a.location),
                (&b.raw, &b.source, &b.location)
            );
            assert_eq!(
                (a.unit, a.printed_unit, a.table, a.line),
                (b.unit, b.printed_unit, b.table, b.line)
            );
            if a.aspect == Aspect::YoyDelta {
                assert_eq!(a.quote, b.quote);
            } else {
                assert!(b.quote.is_empty());
            }
        }
        assert!(store.has_aspect(Aspect::YoyDelta));
        assert!(store.any(|r| r.aspect == Aspect::YoyDelta && r.table_name.is_none()));
        // What the cache writes reads back to the same store.
        let again = FactStore::from_stored(store.stored());
        assert!(again.stored().eq(store.stored()));
        assert_eq!(again.facts(), store.facts());
        let rows: Vec<String> = store.rows().map(|r| r.location_text()).collect();
        let printed: Vec<String> = facts.iter().map(|f| f.location.to_string()).collect();
        assert_eq!(rows, printed);
    }
}
