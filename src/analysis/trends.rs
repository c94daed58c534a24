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

use super::frames::{
    class_series, decimal_at, first_per_key, headline_series, i32_at, series_facts, str_at,
    SERIES_KEY,
};

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
        let latest = *self.points.keys().next_back()?;
        let (year, change) = self.changes().pop()?;
        (year == latest).then(|| change.round_dp(2))
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

/// The longest span of years whose gaps the trend columns fill.
const MAX_SPAN: i32 = 60;

/// The distinct years of `years` in order, with the gaps filled — every year of the span, so
/// a chart's axis never draws 2019 → 2021 as one step (a span beyond `MAX_SPAN` years is a
/// misread year, not a gap to fill: then the years as they are).
pub fn year_span(years: impl IntoIterator<Item = i32>) -> Vec<i32> {
    let mut years: Vec<i32> = years.into_iter().collect();
    years.sort_unstable();
    years.dedup();
    match (years.first(), years.last()) {
        (Some(&first), Some(&last)) if last - first < MAX_SPAN => (first..=last).collect(),
        _ => years,
    }
}

/// All trend rows and the years they span.
#[derive(Clone, Debug, Default)]
pub struct Trends {
    pub rows: Vec<TrendRow>,
    pub years: Vec<i32>,
}

/// department key, kind, metric, code ("" for none).
type Key = (String, String, String, String);

/// The rows of a [`first_per_key`] frame with a complete key, year and value:
/// (row index, key, year, value).
fn keyed_rows(df: &DataFrame) -> PolarsResult<Vec<(usize, Key, i32, Decimal)>> {
    let [dk, kind, metric, code, year, value] = [
        "department_key",
        "kind",
        "metric",
        "code",
        "fiscal_year",
        "value",
    ]
    .map(|name| df.column(name));
    let (dk, kind, metric, code, year, value) = (dk?, kind?, metric?, code?, year?, value?);
    Ok((0..df.height())
        .filter_map(|i| {
            let (Some(k), Some(kd), Some(m), Some(c), Some(y), Some(v)) = (
                str_at(dk, i),
                str_at(kind, i),
                str_at(metric, i),
                str_at(code, i),
                i32_at(year, i),
                decimal_at(value, i),
            ) else {
                return None;
            };
            Some((i, (k, kd, m, c), y, v))
        })
        .collect())
}

/// Builds the trends from the fact frame.
///
/// # Errors
/// A polars error (never expected on a frame built by `frames::facts`).
pub fn build(facts: &DataFrame) -> PolarsResult<Trends> {
    let base = series_facts(facts, headline_series().or(class_series()));
    let per_year = |aspect: &str, name: &str| {
        first_per_key(
            base.clone(),
            aspect,
            vec![
                col("value").first().alias(name),
                col("department").first().alias("department"),
            ],
        )
    };
    let values = per_year("value", "value").collect()?;
    // The prior year implied by a printed change: value − delta.
    let keys = SERIES_KEY.map(col);
    let mut delta_columns = keys.to_vec();
    delta_columns.push(col("delta"));
    let implied = per_year("value", "value")
        .join(
            per_year("yoy_delta", "delta").select(delta_columns),
            keys.clone(),
            keys,
            JoinArgs::new(JoinType::Inner),
        )
        .collect()?;

    let mut rows: BTreeMap<Key, TrendRow> = BTreeMap::new();
    let dept = values.column("department")?;
    for (i, key, y, v) in keyed_rows(&values)? {
        let (k, kind, metric, code) = key.clone();
        let row = rows.entry(key).or_insert_with(|| TrendRow {
            department_key: k,
            department: String::new(),
            kind,
            metric,
            code: (!code.is_empty()).then_some(code),
            points: BTreeMap::new(),
        });
        // The name as printed in the latest year.
        if row.points.keys().next_back().is_none_or(|&last| y >= last) {
            row.department = str_at(dept, i).unwrap_or_default();
        }
        row.points.insert(
            y,
            TrendPoint {
                value: v,
                derived: false,
            },
        );
    }
    let delta = implied.column("delta")?;
    for (i, key, y, v) in keyed_rows(&implied)? {
        let (Some(d), Some(row)) = (decimal_at(delta, i), rows.get_mut(&key)) else {
            continue;
        };
        row.points.entry(y - 1).or_insert(TrendPoint {
            value: v - d,
            derived: true,
        });
    }
    let years = year_span(rows.values().flat_map(|r| r.points.keys().copied()));
    Ok(Trends {
        rows: rows.into_values().collect(),
        years,
    })
}
