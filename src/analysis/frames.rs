//! Documents → polars DataFrames with the SPEC §3 schema; amounts as exact decimals.
//!
//! Decimals go in as i128 mantissas at one common scale (the finest printed, capped), so
//! `472.39` and `34.775290` are both exact; they come back out through [`decimal_at`].

use polars::prelude::*;
use rust_decimal::Decimal;

use super::Document;
use crate::catalog::catalog;
use crate::model::{Fact, Kind};

/// The finest scale kept in frames (元 amounts normalized to 万元 need 6; indicators a few more).
const MAX_SCALE: u32 = 10;
/// Decimal precision of value columns.
pub const PRECISION: usize = 38;

fn common_scale<'a>(values: impl Iterator<Item = &'a Decimal>) -> u32 {
    values.map(Decimal::scale).max().unwrap_or(2).min(MAX_SCALE)
}

/// A nullable Decimal column from exact values.
pub fn decimal_column(name: &str, values: &[Option<Decimal>]) -> PolarsResult<Column> {
    let scale = common_scale(values.iter().flatten());
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

/// The fact table: one row per fact of every document.
///
/// # Errors
/// A polars error building the frame (never expected for well-formed documents).
pub fn facts(documents: &[Document]) -> PolarsResult<DataFrame> {
    let rows: Vec<(&Document, &Fact)> = documents
        .iter()
        .flat_map(|d| d.report.facts.iter().map(move |f| (d, f)))
        .collect();
    let columns = vec![
        text_col("doc_id", &rows, |(d, _)| d.report.doc_id.clone()),
        text_col("department", &rows, |(d, _)| {
            d.report.document.department.clone()
        }),
        text_col("department_key", &rows, |(d, _)| Some(d.key.clone())),
        text_col("region", &rows, |(d, _)| d.report.document.region.clone()),
        year_col(&rows, |(d, _)| d.report.document.fiscal_year),
        text_col("kind", &rows, |(d, _)| kind_text(d.report.document.kind)),
        text_col("metric", &rows, |(_, f)| Some(f.metric.to_string())),
        text_col("code", &rows, |(_, f)| {
            f.code.as_ref().map(|c| c.to_string())
        }),
        text_col("item", &rows, |(_, f)| f.item.clone()),
        text_col("aspect", &rows, |(_, f)| {
            Some(f.aspect.as_str().to_string())
        }),
        Column::new(
            "period".into(),
            rows.iter()
                .map(|(_, f)| f.period)
                .collect::<Vec<Option<i32>>>(),
        ),
        decimal_column(
            "value",
            &rows.iter().map(|(_, f)| f.value).collect::<Vec<_>>(),
        )?,
        text_col("unit", &rows, |(_, f)| Some(f.unit.as_str().to_string())),
        text_col("raw", &rows, |(_, f)| Some(f.raw.clone())),
        text_col("source", &rows, |(_, f)| Some(f.source.to_string())),
        text_col("file", &rows, |(d, _)| Some(d.report.file.clone())),
        text_col("location", &rows, |(_, f)| Some(f.location.to_string())),
    ];
    DataFrame::new(rows.len(), columns)
}

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
            count_col("facts", docs, |d| d.report.facts.len()),
            count_col("tables", docs, |d| d.report.tables.len()),
            count_col("anomalies", docs, |d| d.report.anomalies.len()),
        ],
    )
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
