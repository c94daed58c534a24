//! Table signatures (`tables.toml`): titles, header words, layout and the meaning of rows and
//! columns.

use serde::Deserialize;

use super::{parse_toml, CatalogError};
use crate::ingest::normalize;
use crate::model::{Aspect, Kind};

/// How a table is laid out; decides which reader in `extract::tables` applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    Summary,
    Matrix,
    Panels,
    Labeled,
    ProjectTargets,
    OverallTargets,
    SelfEvaluation,
}

/// A value column: header phrase → metric (or template) and aspect.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    pub header: String,
    #[serde(default)]
    pub metric: Option<String>,
    #[serde(default)]
    pub fund: Option<String>,
    #[serde(default, deserialize_with = "aspect_opt")]
    pub aspect: Option<Aspect>,
}

/// One side of a two-sided summary table.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PanelSpec {
    #[serde(default)]
    pub rows: Vec<(String, String)>,
    #[serde(default)]
    pub columns: Vec<ColumnSpec>,
    /// Metric template for rows naming a function class (`一、一般公共服务支出`).
    #[serde(default)]
    pub function_rows: Option<String>,
    /// The value columns as printed left to right, for page text whose rows do not say which
    /// column a number is in (headers as in `columns`); default: `columns` in order.
    #[serde(default)]
    pub sequence: Vec<String>,
}

/// An identity a table must satisfy: `total = Σ parts`. A reference is a metric, or
/// `metric@code` for one row; without a code the identity holds on every row (code) the total
/// is printed on, and parts are read on the same row.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentitySpec {
    pub total: String,
    pub parts: Vec<String>,
}

/// A table signature.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableSignature {
    pub id: String,
    pub name: String,
    /// The set the table belongs to (`final` for 决算 tables, `budget` for 预算 ones).
    #[serde(default)]
    pub kind: Option<Kind>,
    pub titles: Vec<String>,
    #[serde(default)]
    pub header: Vec<String>,
    /// Further sets of header words, any of which recognizes the table without a title.
    #[serde(default)]
    pub alt_headers: Vec<Vec<String>>,
    /// Words whose presence in the header rules the table out (a sibling table's columns).
    #[serde(default)]
    pub not_header: Vec<String>,
    pub layout: Layout,
    #[serde(default)]
    pub panels: Vec<PanelSpec>,
    #[serde(default)]
    pub columns: Vec<ColumnSpec>,
    #[serde(default)]
    pub rows: Vec<(String, String)>,
    #[serde(default)]
    pub metric: Option<String>,
    /// Row/column identities checked by SUM_MISMATCH.
    #[serde(default)]
    pub sums: Vec<IdentitySpec>,
    /// Balance identities checked by BALANCE_MISMATCH.
    #[serde(default)]
    pub balances: Vec<IdentitySpec>,
    /// The value columns as printed left to right (headers as in `columns`), one list per
    /// template variant, for page text whose rows do not say which column a number is in;
    /// default: `columns` in order, one per metric and aspect.
    #[serde(default)]
    pub sequences: Vec<Vec<String>>,
    /// Columns most documents leave empty (上缴上级支出, 经营支出): a number is placed there only
    /// when no other placement fits the table's identities.
    #[serde(default)]
    pub rare: Vec<String>,
    /// The explanations a document of this table's set must carry (MISSING_SECTION), when
    /// the set's template differs from the standard one; absent: the standard four.
    #[serde(default)]
    pub sections: Option<Vec<String>>,
}

fn aspect_opt<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Aspect>, D::Error> {
    let s: Option<String> = Option::deserialize(d)?;
    match s {
        None => Ok(None),
        Some(s) => Aspect::parse(&s)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown aspect {s:?}"))),
    }
}

#[derive(Deserialize)]
struct TablesFile {
    table: Vec<TableSignature>,
}

fn key(s: &str) -> String {
    normalize::name_key(s)
}

pub(super) fn load(
    text: &str,
    known: &dyn Fn(&str) -> bool,
) -> Result<Vec<TableSignature>, CatalogError> {
    let file: TablesFile = parse_toml("tables.toml", text)?;
    let mut tables = file.table;
    for t in &mut tables {
        // Metrics named outright must exist; templates are checked when expanded.
        let mut named: Vec<&str> = Vec::new();
        named.extend(t.metric.as_deref());
        named.extend(t.rows.iter().map(|(_, m)| m.as_str()));
        named.extend(t.columns.iter().filter_map(|c| c.metric.as_deref()));
        for i in t.sums.iter().chain(&t.balances) {
            named.extend(
                std::iter::once(&i.total)
                    .chain(&i.parts)
                    .map(|r| r.split('@').next().unwrap_or(r)),
            );
        }
        for p in &t.panels {
            named.extend(p.rows.iter().map(|(_, m)| m.as_str()));
            named.extend(p.columns.iter().filter_map(|c| c.metric.as_deref()));
        }
        if let Some(bad) = named.iter().find(|m| !m.contains('{') && !known(m)) {
            return Err(CatalogError::Invalid {
                file: "tables.toml",
                message: format!("table {}: unknown metric {bad:?}", t.id),
            });
        }
        t.titles = t.titles.iter().map(|s| key(s)).collect();
        t.header = t.header.iter().map(|s| key(s)).collect();
        for h in &mut t.alt_headers {
            *h = h.iter().map(|s| key(s)).collect();
        }
        t.not_header = t.not_header.iter().map(|s| key(s)).collect();
        for seq in &mut t.sequences {
            *seq = seq.iter().map(|s| key(s)).collect();
        }
        t.rare = t.rare.iter().map(|s| key(s)).collect();
        for (label, _) in &mut t.rows {
            *label = key(label);
        }
        for c in &mut t.columns {
            c.header = key(&c.header);
        }
        for p in &mut t.panels {
            for (label, _) in &mut p.rows {
                *label = key(label);
            }
            for c in &mut p.columns {
                c.header = key(&c.header);
            }
            p.sequence = p.sequence.iter().map(|s| key(s)).collect();
        }
    }
    Ok(tables)
}
