//! Trends: per department × kind × metric (headline metrics and function-class slices), one
//! value per year, with prior-year values implied by `与上年相比…` statements filling gaps and
//! marked as derived; YoY % between consecutive years and CAGR over the span.
//!
//! The selection, de-duplication (prose before tables) and the value/delta join run on the fact
//! frame in polars; the exact arithmetic of the derived points is rust_decimal.

use std::collections::BTreeMap;

use polars::prelude::*;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use super::frames::{decimal_at, i32_at, str_at};
use crate::catalog::catalog;

/// Measures with function-class slices in the trends.
const CLASS_SLICE_METRICS: &[&str] = &[
    "expenditure.total",
    "expenditure.fiscal",
    "expenditure.general_budget",
];

/// One year of a trend.
#[derive(Clone, Debug, PartialEq)]
pub struct TrendPoint {
    pub value: Decimal,
    /// Implied by the next year's 与上年相比 statement, not printed for this year.
    pub derived: bool,
}

/// A department's measure over the years.
#[derive(Clone, Debug)]
pub struct TrendRow {
    pub department_key: String,
    /// The name as printed in the latest document.
    pub department: String,
    pub kind: String,
    pub metric: String,
    pub code: Option<String>,
    pub points: BTreeMap<i32, TrendPoint>,
}

impl TrendRow {
    /// The change from the previous year to the latest, in %, when both years are present.
    pub fn yoy_pct(&self) -> Option<Decimal> {
        let mut it = self.points.iter().rev();
        let (y1, last) = it.next()?;
        let (y0, prev) = it.next()?;
        (*y1 == y0 + 1 && !prev.value.is_zero())
            .then(|| ((last.value - prev.value) / prev.value * Decimal::ONE_HUNDRED).round_dp(2))
    }

    /// Compound annual growth rate over the span, as a fraction (a display ratio: the n-th root
    /// has no exact decimal form).
    pub fn cagr(&self) -> Option<f64> {
        let (y0, first) = self.points.iter().next()?;
        let (y1, last) = self.points.iter().next_back()?;
        let years = f64::from(y1 - y0);
        let (a, b) = (first.value.to_f64()?, last.value.to_f64()?);
        (years > 0.0 && a > 0.0 && b > 0.0).then(|| (b / a).powf(1.0 / years) - 1.0)
    }

    /// Year-over-year changes between consecutive years, in %.
    pub fn changes(&self) -> Vec<(i32, Decimal)> {
        let points: Vec<(&i32, &TrendPoint)> = self.points.iter().collect();
        points
            .windows(2)
            .filter(|w| *w[1].0 == w[0].0 + 1 && !w[0].1.value.is_zero())
            .map(|w| {
                (
                    *w[1].0,
                    (w[1].1.value - w[0].1.value) / w[0].1.value * Decimal::ONE_HUNDRED,
                )
            })
            .collect()
    }
}

/// All trend rows and the years they span.
#[derive(Clone, Debug, Default)]
pub struct Trends {
    pub rows: Vec<TrendRow>,
    pub years: Vec<i32>,
}

fn any_of(column: &str, values: impl Iterator<Item = String>) -> Expr {
    values.fold(lit(false), |acc, v| acc.or(col(column).eq(lit(v))))
}

/// Values (and deltas) per department × kind × metric × code × year, prose first.
fn first_per_year(base: LazyFrame, aspect: &str, name: &str) -> LazyFrame {
    base.filter(col("aspect").eq(lit(aspect)))
        .sort(
            [
                "department_key",
                "kind",
                "metric",
                "code",
                "fiscal_year",
                "rank",
            ],
            SortMultipleOptions::default(),
        )
        .group_by_stable([
            col("department_key"),
            col("kind"),
            col("metric"),
            col("code"),
            col("fiscal_year"),
        ])
        .agg([
            col("value").first().alias(name),
            col("department").first().alias("department"),
        ])
}

/// Builds the trends from the fact frame.
///
/// # Errors
/// A polars error (never expected on a frame built by `frames::facts`).
pub fn build(facts: &DataFrame) -> PolarsResult<Trends> {
    let headlines = any_of(
        "metric",
        catalog().headlines().map(|m| m.key.as_str().to_string()),
    );
    let sliced = any_of("metric", CLASS_SLICE_METRICS.iter().map(|s| s.to_string()));
    let base = facts
        .clone()
        .lazy()
        .filter(
            col("item")
                .is_null()
                .and(col("value").is_not_null())
                .and(col("fiscal_year").is_not_null())
                .and(col("kind").is_not_null())
                .and(
                    (headlines.and(col("code").is_null()))
                        .or(sliced.and(col("code").str().len_chars().eq(lit(3u32)))),
                ),
        )
        .with_columns([
            col("code").fill_null(lit("")),
            when(col("source").eq(lit("prose")))
                .then(lit(0i32))
                .otherwise(lit(1i32))
                .alias("rank"),
        ]);
    let values = first_per_year(base.clone(), "value", "value").collect()?;
    let keys = [
        col("department_key"),
        col("kind"),
        col("metric"),
        col("code"),
        col("fiscal_year"),
    ];
    // The prior year implied by a printed change: value − delta.
    let implied = first_per_year(base.clone(), "value", "value")
        .join(
            first_per_year(base, "yoy_delta", "delta").select([
                col("department_key"),
                col("kind"),
                col("metric"),
                col("code"),
                col("fiscal_year"),
                col("delta"),
            ]),
            keys.clone(),
            keys,
            JoinArgs::new(JoinType::Inner),
        )
        .collect()?;

    type Key = (String, String, String, String);
    let mut rows: BTreeMap<Key, TrendRow> = BTreeMap::new();
    let mut names: BTreeMap<Key, (i32, String)> = BTreeMap::new();
    let column = |df: &DataFrame, name: &str| df.column(name).cloned();
    let (dk, kind, metric, code, year, value, dept) = (
        column(&values, "department_key")?,
        column(&values, "kind")?,
        column(&values, "metric")?,
        column(&values, "code")?,
        column(&values, "fiscal_year")?,
        column(&values, "value")?,
        column(&values, "department")?,
    );
    for i in 0..values.height() {
        let (Some(k), Some(kd), Some(m), Some(c), Some(y), Some(v)) = (
            str_at(&dk, i),
            str_at(&kind, i),
            str_at(&metric, i),
            str_at(&code, i),
            i32_at(&year, i),
            decimal_at(&value, i),
        ) else {
            continue;
        };
        let key = (k.clone(), kd.clone(), m.clone(), c.clone());
        let printed = str_at(&dept, i).unwrap_or_default();
        let name = names.entry(key.clone()).or_insert((y, printed.clone()));
        if y >= name.0 {
            *name = (y, printed);
        }
        rows.entry(key)
            .or_insert_with(|| TrendRow {
                department_key: k,
                department: String::new(),
                kind: kd,
                metric: m,
                code: (!c.is_empty()).then_some(c),
                points: BTreeMap::new(),
            })
            .points
            .insert(
                y,
                TrendPoint {
                    value: v,
                    derived: false,
                },
            );
    }
    let (dk, kind, metric, code, year, value, delta) = (
        column(&implied, "department_key")?,
        column(&implied, "kind")?,
        column(&implied, "metric")?,
        column(&implied, "code")?,
        column(&implied, "fiscal_year")?,
        column(&implied, "value")?,
        column(&implied, "delta")?,
    );
    for i in 0..implied.height() {
        let (Some(k), Some(kd), Some(m), Some(c), Some(y), Some(v), Some(d)) = (
            str_at(&dk, i),
            str_at(&kind, i),
            str_at(&metric, i),
            str_at(&code, i),
            i32_at(&year, i),
            decimal_at(&value, i),
            decimal_at(&delta, i),
        ) else {
            continue;
        };
        if let Some(row) = rows.get_mut(&(k, kd, m, c)) {
            row.points.entry(y - 1).or_insert(TrendPoint {
                value: v - d,
                derived: true,
            });
        }
    }
    for (key, row) in rows.iter_mut() {
        if let Some((_, name)) = names.get(key) {
            row.department = name.clone();
        }
    }
    let mut years: Vec<i32> = rows
        .values()
        .flat_map(|r| r.points.keys().copied())
        .collect();
    years.sort_unstable();
    years.dedup();
    Ok(Trends {
        rows: rows.into_values().collect(),
        years,
    })
}
