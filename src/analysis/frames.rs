//! Documents → polars DataFrames with the SPEC §3 schema; amounts as exact decimals.
//!
//! Decimals go in as i128 mantissas at one common scale (the finest printed, capped), so
//! `472.39` and `34.775290` are both exact; they come back out through [`decimal_at`].

use polars::prelude::*;
use rust_decimal::Decimal;

use super::store::Row;
use super::Document;
use crate::catalog::catalog;
use crate::model::Kind;

/// The finest scale kept in frames (元 amounts normalized to 万元 need 6; indicators a few more).
const MAX_SCALE: u32 = 10;
/// Decimal precision of value columns.
pub const PRECISION: usize = 38;

fn common_scale(values: impl Iterator<Item = Decimal>) -> u32 {
    values.map(|v| v.scale()).max().unwrap_or(2).min(MAX_SCALE)
}

/// A nullable Decimal column from exact values, at the finest scale among them.
pub fn decimal_column(name: &str, values: &[Option<Decimal>]) -> PolarsResult<Column> {
    decimal_column_at(name, values, common_scale(values.iter().flatten().copied()))
}

/// A nullable Decimal column at `scale` (values are rounded to it; a scale at least each
/// value's own keeps them exact).
pub fn decimal_column_at(
    name: &str,
    values: &[Option<Decimal>],
    scale: u32,
) -> PolarsResult<Column> {
    let mantissas = values.iter().map(|v| {
        v.map(|d| {
            let mut d = d.round_dp(scale);
            d.rescale(scale);
            d.mantissa()
        })
    });
    let chunked = Int128Chunked::from_iter_options(name.into(), mantissas);
    Ok(chunked
        .into_decimal(PRECISION, scale as usize)?
        .into_series()
        .into_column())
}

/// The exact value at `row` of a Decimal column.
pub fn decimal_at(column: &Column, row: usize) -> Option<Decimal> {
    match column.get(row).ok()? {
        AnyValue::Decimal(v, _, scale) => Decimal::try_from_i128_with_scale(v, scale as u32).ok(),
        _ => None,
    }
}

/// The string at `row`, if any.
pub fn str_at(column: &Column, row: usize) -> Option<String> {
    match column.get(row).ok()? {
        AnyValue::String(s) => Some(s.to_string()),
        AnyValue::StringOwned(s) => Some(s.to_string()),
        _ => None,
    }
}

/// The text of a string or year cell at `row`, if any.
pub fn text_at(column: &Column, row: usize) -> Option<String> {
    match column.dtype() {
        DataType::Int32 | DataType::Int64 => i32_at(column, row).map(|v| v.to_string()),
        _ => str_at(column, row),
    }
}

/// The i32 at `row`, if any.
pub fn i32_at(column: &Column, row: usize) -> Option<i32> {
    match column.get(row).ok()? {
        AnyValue::Int32(v) => Some(v),
        AnyValue::Int64(v) => i32::try_from(v).ok(),
        _ => None,
    }
}

/// A nullable text column: `f` of each row.
fn text_col<T>(name: &str, rows: &[T], f: impl Fn(&T) -> Option<String>) -> Column {
    Column::new(
        name.into(),
        rows.iter().map(f).collect::<Vec<Option<String>>>(),
    )
}

/// A nullable year column: `f` of each row.
fn year_col<T>(rows: &[T], f: impl Fn(&T) -> Option<i32>) -> Column {
    Column::new(
        "fiscal_year".into(),
        rows.iter().map(f).collect::<Vec<Option<i32>>>(),
    )
}

/// A count column: `f` of each row.
fn count_col<T>(name: &str, rows: &[T], f: impl Fn(&T) -> usize) -> Column {
    Column::new(
        name.into(),
        rows.iter().map(|r| f(r) as u32).collect::<Vec<u32>>(),
    )
}

fn kind_text(kind: Option<Kind>) -> Option<String> {
    kind.map(|k| k.as_str().to_string())
}

/// The decimal scale of the fact table's `value`, the same for every archive and night
/// (`decimal(38,6)`): 元 amounts with 分 normalized to 万元 need 6; a value printed finer is
/// rounded here, its printed text stays in `raw`.
pub const FACT_SCALE: u32 = 6;

/// The fact table of `documents` (a chunk of the archive): one row per fact, `value` at
/// [`FACT_SCALE`], `primary` from [`super::store::FactStore::primary`]. The archive's table is
/// these chunks in order; it is never held whole (20,000 documents print two million facts).
///
/// # Errors
/// A polars error building the frame (never expected for well-formed documents).
pub fn facts(documents: &[Document]) -> PolarsResult<DataFrame> {
    let mut primary = Vec::new();
    let rows: Vec<FactRow<'_>> = documents
        .iter()
        .flat_map(|d| {
            primary.extend(d.facts.primary());
            d.facts.rows().map(move |r| (d, r))
        })
        .collect();
    let mut df = fact_table(&rows, FACT_SCALE)?;
    df.with_column(Column::new("primary".into(), primary))?;
    Ok(df)
}

/// A fact of the table with its document.
type FactRow<'a> = (&'a Document, Row<'a>);

/// The fact table's columns (SPEC §3) for `rows`.
fn fact_table(rows: &[FactRow<'_>], scale: u32) -> PolarsResult<DataFrame> {
    let text = |name, f| str_column(name, rows, f);
    let owned = |name: &str, f: fn(&FactRow<'_>) -> String| {
        StringChunked::from_iter_values(name.into(), rows.iter().map(f)).into_column()
    };
    let columns = vec![
        text("doc_id", |(d, _)| d.report.doc_id.as_deref()),
        text("department", |(d, _)| {
            d.report.document.department.as_deref()
        }),
        text("department_key", |(d, _)| Some(d.key.as_str())),
        text("region", |(d, _)| d.report.document.region.as_deref()),
        year_col(rows, |(d, _)| d.report.document.fiscal_year),
        text("kind", |(d, _)| d.report.document.kind.map(Kind::as_str)),
        text("metric", |(_, r)| Some(r.metric)),
        text("code", |(_, r)| r.code),
        text("item", |(_, r)| r.item),
        text("aspect", |(_, r)| Some(r.aspect.as_str())),
        Column::new(
            "period".into(),
            rows.iter()
                .map(|(_, r)| r.period)
                .collect::<Vec<Option<i32>>>(),
        ),
        decimal_column_at(
            "value",
            &rows.iter().map(|(_, r)| r.value).collect::<Vec<_>>(),
            scale,
        )?,
        text("unit", |(_, r)| Some(r.unit.as_str())),
        text("raw", |(_, r)| Some(r.raw)),
        owned("source", |(_, r)| r.source_text()),
        text("file", |(d, _)| Some(d.report.file.as_str())),
        owned("location", |(_, r)| r.location_text()),
    ];
    DataFrame::new(rows.len(), columns)
}

/// A nullable text column borrowed from `rows`.
fn str_column<'a, T>(name: &str, rows: &'a [T], f: fn(&'a T) -> Option<&'a str>) -> Column {
    StringChunked::from_iter_options(name.into(), rows.iter().map(f)).into_column()
}

/// True for a fact the trends and statistics read (see [`series_facts`]): a stated amount of
/// the document's own year, without item, of a headline measure or a class-sliced one at 类
/// level. The series frame holds only these, a few dozen per document.
fn in_series(f: &Row<'_>, headlines: &[&str]) -> bool {
    if f.item.is_some() || f.period.is_some() || f.value.is_none() {
        return false;
    }
    match f.code {
        None => headlines.contains(&f.metric),
        Some(c) => CLASS_SLICE_METRICS.contains(&f.metric) && c.chars().count() == 3,
    }
}

/// The facts the trends and statistics read, in archive order, with the fact table's columns.
/// Built a chunk of documents at a time.
///
/// # Errors
/// As [`facts`].
pub fn series(documents: &[Document]) -> PolarsResult<DataFrame> {
    let headlines: Vec<&str> = catalog().headlines().map(|m| m.key.as_str()).collect();
    let known =
        |d: &Document| d.report.document.fiscal_year.is_some() && d.report.document.kind.is_some();
    let mut out: Option<DataFrame> = None;
    for chunk in documents.chunks(super::FACT_CHUNK_DOCUMENTS) {
        let rows: Vec<FactRow<'_>> = chunk
            .iter()
            .filter(|d| known(d))
            .flat_map(|d| d.facts.rows().map(move |r| (d, r)))
            .filter(|(_, r)| in_series(r, &headlines))
            .collect();
        let frame = fact_table(&rows, FACT_SCALE)?.select(SERIES_COLUMNS)?;
        match out.as_mut() {
            Some(df) => {
                df.vstack_mut(&frame)?;
            }
            None => out = Some(frame),
        }
    }
    match out {
        Some(mut df) => {
            df.align_chunks();
            Ok(df)
        }
        None => fact_table(&[], FACT_SCALE)?.select(SERIES_COLUMNS),
    }
}

/// The fact table's columns the trends and statistics read.
const SERIES_COLUMNS: [&str; 11] = [
    "department",
    "department_key",
    "fiscal_year",
    "kind",
    "metric",
    "code",
    "item",
    "aspect",
    "period",
    "value",
    "source",
];

/// One row per document: identity, counts.
///
/// # Errors
/// As [`facts`].
pub fn documents(documents: &[Document]) -> PolarsResult<DataFrame> {
    let docs = documents;
    DataFrame::new(
        docs.len(),
        vec![
            text_col("doc_id", docs, |d| d.report.doc_id.clone()),
            text_col("file", docs, |d| Some(d.report.file.clone())),
            text_col("department", docs, |d| d.report.document.department.clone()),
            text_col("department_key", docs, |d| Some(d.key.clone())),
            text_col("region", docs, |d| d.report.document.region.clone()),
            year_col(docs, |d| d.report.document.fiscal_year),
            text_col("kind", docs, |d| kind_text(d.report.document.kind)),
            text_col("encoding", docs, |d| d.report.encoding.clone()),
            count_col("facts", docs, |d| d.facts.len()),
            count_col("tables", docs, |d| d.report.tables.len()),
            count_col("anomalies", docs, |d| d.report.anomalies.len()),
        ],
    )
}

/// departments.parquet (see [`super::Archive::departments_frame`]): `documents` in `order`.
///
/// # Errors
/// A polars error (never expected).
pub fn departments(
    documents: &[Document],
    order: &[usize],
    counts: &std::collections::BTreeMap<(usize, crate::model::Severity), usize>,
) -> PolarsResult<DataFrame> {
    use crate::model::Severity;
    let docs: Vec<(usize, &Document)> = order
        .iter()
        .filter_map(|&i| documents.get(i).map(|d| (i, d)))
        .collect();
    let mut columns = vec![
        text_col("department", &docs, |(_, d)| {
            d.report.document.department.clone()
        }),
        text_col("department_key", &docs, |(_, d)| Some(d.key.clone())),
        text_col("region", &docs, |(_, d)| d.report.document.region.clone()),
        year_col(&docs, |(_, d)| d.report.document.fiscal_year),
        text_col("kind", &docs, |(_, d)| kind_text(d.report.document.kind)),
    ];
    for m in catalog().headlines() {
        let values: Vec<Option<Decimal>> = docs
            .iter()
            .map(|(_, d)| d.facts.stated(m.key.as_str()))
            .collect();
        columns.push(decimal_column_at(m.key.as_str(), &values, FACT_SCALE)?);
    }
    for (name, severity) in [
        ("errors", Severity::Error),
        ("warnings", Severity::Warning),
        ("infos", Severity::Info),
    ] {
        columns.push(count_col(name, &docs, |(i, _)| {
            counts.get(&(*i, severity)).copied().unwrap_or(0)
        }));
    }
    columns.push(text_col("file", &docs, |(_, d)| {
        Some(d.report.file.clone())
    }));
    columns.push(text_col("names", &docs, |(_, d)| Some(d.names.join("、"))));
    DataFrame::new(docs.len(), columns)
}

/// One row per anomaly, with its document's identity.
///
/// # Errors
/// As [`facts`].
pub fn anomalies(findings: &[super::Finding], documents: &[Document]) -> PolarsResult<DataFrame> {
    let doc = |f: &super::Finding| f.document.and_then(|i| documents.get(i));
    let rows = findings;
    DataFrame::new(
        rows.len(),
        vec![
            text_col("doc_id", rows, |f| {
                doc(f).and_then(|d| d.report.doc_id.clone())
            }),
            text_col("department", rows, |f| {
                doc(f).and_then(|d| d.report.document.department.clone())
            }),
            text_col("department_key", rows, |f| doc(f).map(|d| d.key.clone())),
            year_col(rows, |f| doc(f).and_then(|d| d.report.document.fiscal_year)),
            text_col("kind", rows, |f| {
                kind_text(doc(f).and_then(|d| d.report.document.kind))
            }),
            text_col("rule", rows, |f| Some(f.anomaly.rule.clone())),
            text_col("severity", rows, |f| {
                Some(f.anomaly.severity.as_str().to_string())
            }),
            text_col("metric", rows, |f| {
                f.anomaly.metric.as_ref().map(|m| m.to_string())
            }),
            text_col("code", rows, |f| {
                f.anomaly.code.as_ref().map(|c| c.to_string())
            }),
            text_col("item", rows, |f| f.anomaly.item.clone()),
            text_col("message", rows, |f| Some(f.anomaly.message.clone())),
            text_col("evidence", rows, |f| Some(f.anomaly.evidence.clone())),
            text_col("location", rows, |f| {
                f.anomaly.location.as_ref().map(|l| l.to_string())
            }),
            text_col("expected", rows, |f| f.anomaly.expected.clone()),
            text_col("found", rows, |f| f.anomaly.found.clone()),
            text_col("difference", rows, |f| f.anomaly.difference.clone()),
            text_col("file", rows, |f| doc(f).map(|d| d.report.file.clone())),
        ],
    )
}

/// One row per input file.
///
/// # Errors
/// As [`facts`].
pub fn inputs(inputs: &[super::InputRow]) -> PolarsResult<DataFrame> {
    let rows = inputs;
    DataFrame::new(
        rows.len(),
        vec![
            text_col("file", rows, |i| Some(i.file.clone())),
            text_col("status", rows, |i| Some(i.status.as_str().to_string())),
            text_col("encoding", rows, |i| i.encoding.clone()),
            text_col("department", rows, |i| i.department.clone()),
            year_col(rows, |i| i.fiscal_year),
            text_col("kind", rows, |i| kind_text(i.kind)),
            count_col("facts", rows, |i| i.facts),
            text_col("tables", rows, |i| Some(i.tables.join("；"))),
            text_col("errors", rows, |i| Some(i.errors.join("；"))),
        ],
    )
}

/// Measures sliced by function class (3-digit 类 codes) in the trends and statistics.
pub const CLASS_SLICE_METRICS: &[&str] = &[
    "expenditure.total",
    "expenditure.fiscal",
    "expenditure.general_budget",
];

/// `column` equals one of `values`.
pub fn any_of<S: AsRef<str>>(column: &str, values: impl IntoIterator<Item = S>) -> Expr {
    values
        .into_iter()
        .fold(lit(false), |acc, v| acc.or(col(column).eq(lit(v.as_ref()))))
}

/// Headline measures, without a code.
pub fn headline_series() -> Expr {
    any_of("metric", catalog().headlines().map(|m| m.key.as_str())).and(col("code").is_null())
}

/// The class-sliced measures at 类 (3-digit code) level.
pub fn class_series() -> Expr {
    any_of("metric", CLASS_SLICE_METRICS).and(col("code").str().len_chars().eq(lit(3u32)))
}

/// The key a series holds one figure per: department × kind × metric × code × year.
pub const SERIES_KEY: [&str; 5] = ["department_key", "kind", "metric", "code", "fiscal_year"];

/// Stated amounts (no item; value, year and kind known) matching `selection`, with `code`
/// filled to "" and a `rank` that puts prose before tables.
pub fn series_facts(facts: &DataFrame, selection: Expr) -> LazyFrame {
    facts
        .clone()
        .lazy()
        .filter(
            col("item")
                .is_null()
                .and(col("period").is_null())
                .and(col("value").is_not_null())
                .and(col("fiscal_year").is_not_null())
                .and(col("kind").is_not_null())
                .and(selection),
        )
        .with_columns([
            col("code").fill_null(lit("")),
            when(col("source").eq(lit("prose")))
                .then(lit(0i32))
                .otherwise(lit(1i32))
                .alias("rank"),
        ])
}

/// One row per [`SERIES_KEY`] from [`series_facts`] rows of `aspect`: `aggs` over the rows in
/// rank order (so `first()` takes the prose figure where there is one).
pub fn first_per_key(series: LazyFrame, aspect: &str, aggs: Vec<Expr>) -> LazyFrame {
    let mut order = SERIES_KEY.to_vec();
    order.push("rank");
    series
        .filter(col("aspect").eq(lit(aspect)))
        .sort(order, SortMultipleOptions::default())
        .group_by_stable(SERIES_KEY.map(col))
        .agg(aggs)
}

/// Row counts per value of `by` (e.g. anomalies per severity), sorted by value.
///
/// # Errors
/// A polars error (never expected for a string column).
pub fn counts(df: &DataFrame, by: &str) -> PolarsResult<Vec<(String, usize)>> {
    let grouped = df
        .clone()
        .lazy()
        .group_by([col(by)])
        .agg([len().alias("n")])
        .sort([by], SortMultipleOptions::default())
        .collect()?;
    let (keys, n) = (grouped.column(by)?, grouped.column("n")?);
    Ok((0..grouped.height())
        .filter_map(|i| {
            let count = match n.get(i).ok()? {
                AnyValue::UInt32(v) => v as usize,
                AnyValue::UInt64(v) => v as usize,
                AnyValue::Int64(v) => usize::try_from(v).ok()?,
                _ => return None,
            };
            Some((str_at(keys, i)?, count))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn decimal_columns_round_trip_exactly() {
        let values = vec![
            Some(Decimal::from_str("472.39").unwrap()),
            None,
            Some(Decimal::from_str("34.775290").unwrap()),
            Some(Decimal::from_str("-341.02").unwrap()),
        ];
        let col = decimal_column("v", &values).unwrap();
        assert_eq!(decimal_at(&col, 0), values[0]);
        assert_eq!(decimal_at(&col, 1), None);
        assert_eq!(decimal_at(&col, 2), values[2]);
        assert_eq!(decimal_at(&col, 3), values[3]);
    }
}
