//! Statistics across departments: per year × kind × headline metric (count, sum, mean, median,
//! p10, p90, min, max), totals by function class per year, and budget vs final (execution) where
//! a department has both for a year.
//!
//! Polars selects, de-duplicates (one value per department-year, prose first) and groups; the
//! aggregates are computed exactly with rust_decimal from each group's values (quantiles by
//! linear interpolation between order statistics).

use polars::prelude::*;
use rust_decimal::Decimal;

use super::frames::{
    class_series, decimal_at, first_per_key, headline_series, i32_at, series_facts, str_at,
};

/// Aggregates of one metric in one year and kind.
#[derive(Clone, Debug, PartialEq)]
pub struct StatRow {
    pub fiscal_year: i32,
    pub kind: String,
    pub metric: String,
    pub summary: Summary,
}

/// The total of one function class in one year, kind and measure.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassTotal {
    pub fiscal_year: i32,
    pub kind: String,
    pub metric: String,
    pub code: String,
    pub departments: usize,
    pub total: Decimal,
}

/// Budget vs final account of one department, year and metric.
#[derive(Clone, Debug, PartialEq)]
pub struct ExecutionRow {
    pub department_key: String,
    pub fiscal_year: i32,
    pub metric: String,
    pub budget: Decimal,
    pub actual: Decimal,
    /// actual / budget × 100, when the budget is not zero.
    pub execution_pct: Option<Decimal>,
}

#[derive(Clone, Debug, Default)]
pub struct Statistics {
    pub rows: Vec<StatRow>,
    pub class_totals: Vec<ClassTotal>,
    pub execution: Vec<ExecutionRow>,
}

/// The `q` quantile (0..=1) of sorted values, linearly interpolated.
pub fn quantile(sorted: &[Decimal], q: Decimal) -> Option<Decimal> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let h = Decimal::from(n - 1) * q;
    let lo = h.floor();
    let i = usize::try_from(lo.mantissa() / 10i128.pow(lo.scale())).ok()?;
    let frac = h - lo;
    let a = sorted[i.min(n - 1)];
    let b = sorted[(i + 1).min(n - 1)];
    Some(a + (b - a) * frac)
}

/// Exact aggregates of a group's values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    pub count: usize,
    pub sum: Decimal,
    pub mean: Decimal,
    pub median: Decimal,
    pub p10: Decimal,
    /// The lower and upper quartiles (the distribution chart's box).
    pub p25: Decimal,
    pub p75: Decimal,
    pub p90: Decimal,
    pub min: Decimal,
    pub max: Decimal,
}

/// Exact aggregates of a group's values; `None` for an empty group.
pub fn aggregate(mut values: Vec<Decimal>) -> Option<Summary> {
    if values.is_empty() {
        return None;
    }
    values.sort();
    let n = values.len();
    let sum: Decimal = values.iter().sum();
    Some(Summary {
        count: n,
        sum,
        mean: (sum / Decimal::from(n)).round_dp(4),
        median: quantile(&values, Decimal::new(5, 1))?,
        p10: quantile(&values, Decimal::new(1, 1))?,
        p25: quantile(&values, Decimal::new(25, 2))?,
        p75: quantile(&values, Decimal::new(75, 2))?,
        p90: quantile(&values, Decimal::new(9, 1))?,
        min: values[0],
        max: values[n - 1],
    })
}

/// One group of a `group_by … agg(value)` frame.
struct Group {
    keys: Vec<Option<String>>,
    year: Option<i32>,
    values: Vec<Decimal>,
}

/// The values of each year × `keys` group of `lf`, in year-then-key order.
fn grouped(lf: LazyFrame, keys: &[&str]) -> PolarsResult<Vec<Group>> {
    let mut by: Vec<&str> = vec!["fiscal_year"];
    by.extend_from_slice(keys);
    let df = lf
        .group_by_stable(by.iter().map(|k| col(*k)).collect::<Vec<_>>())
        .agg([col("value")])
        .sort(by, SortMultipleOptions::default())
        .collect()?;
    let mut out = Vec::new();
    let values = df.column("value")?.list()?.clone();
    // Elements of a list of decimals come back as their i128 mantissas.
    let scale = match values.inner_dtype() {
        DataType::Decimal(_, s) => *s as u32,
        _ => 0,
    };
    let key_cols: Vec<Column> = keys
        .iter()
        .map(|k| df.column(k).cloned())
        .collect::<PolarsResult<_>>()?;
    let year = df.column("fiscal_year")?.clone();
    for i in 0..df.height() {
        let Some(series) = values.get_as_series(i) else {
            continue;
        };
        let list: Vec<Decimal> = (0..series.len())
            .filter_map(|j| match series.get(j).ok()? {
                AnyValue::Int128(v) => Decimal::try_from_i128_with_scale(v, scale).ok(),
                AnyValue::Decimal(v, _, s) => Decimal::try_from_i128_with_scale(v, s as u32).ok(),
                _ => None,
            })
            .collect();
        out.push(Group {
            keys: key_cols.iter().map(|c| str_at(c, i)).collect(),
            year: i32_at(&year, i),
            values: list,
        });
    }
    Ok(out)
}

/// Builds the statistics from the fact frame.
///
/// # Errors
/// A polars error (never expected on a frame built by `frames::facts`).
pub fn build(facts: &DataFrame) -> PolarsResult<Statistics> {
    let department_values = first_per_key(
        series_facts(facts, headline_series()),
        "value",
        vec![col("value").first()],
    );

    let mut rows = Vec::new();
    for g in grouped(department_values.clone(), &["kind", "metric"])? {
        let (Some(year), Some(s)) = (g.year, aggregate(g.values)) else {
            continue;
        };
        rows.push(StatRow {
            fiscal_year: year,
            kind: g.keys[0].clone().unwrap_or_default(),
            metric: g.keys[1].clone().unwrap_or_default(),
            summary: s,
        });
    }

    let classes = first_per_key(
        series_facts(facts, class_series()),
        "value",
        vec![col("value").first()],
    );
    let mut class_totals = Vec::new();
    for g in grouped(classes, &["kind", "metric", "code"])? {
        let Some(year) = g.year else { continue };
        class_totals.push(ClassTotal {
            fiscal_year: year,
            kind: g.keys[0].clone().unwrap_or_default(),
            metric: g.keys[1].clone().unwrap_or_default(),
            code: g.keys[2].clone().unwrap_or_default(),
            departments: g.values.len(),
            total: g.values.iter().sum(),
        });
    }

    // One department-year's value of one kind, as column `name`.
    let of_kind = |kind: &str, name: &str| {
        department_values
            .clone()
            .filter(col("kind").eq(lit(kind)))
            .select([
                col("department_key"),
                col("metric"),
                col("fiscal_year"),
                col("value").alias(name),
            ])
    };
    let on = [col("department_key"), col("metric"), col("fiscal_year")];
    let executed = of_kind("final", "actual")
        .join(
            of_kind("budget", "budget"),
            on.clone(),
            on,
            JoinArgs::new(JoinType::Inner),
        )
        .sort(
            ["department_key", "fiscal_year", "metric"],
            SortMultipleOptions::default(),
        )
        .collect()?;
    let mut execution = Vec::new();
    let (dk, metric, year, b, a) = (
        executed.column("department_key")?,
        executed.column("metric")?,
        executed.column("fiscal_year")?,
        executed.column("budget")?,
        executed.column("actual")?,
    );
    for i in 0..executed.height() {
        let (Some(k), Some(m), Some(y), Some(budget), Some(actual)) = (
            str_at(dk, i),
            str_at(metric, i),
            i32_at(year, i),
            decimal_at(b, i),
            decimal_at(a, i),
        ) else {
            continue;
        };
        execution.push(ExecutionRow {
            department_key: k,
            fiscal_year: y,
            metric: m,
            budget,
            actual,
            execution_pct: (!budget.is_zero())
                .then(|| (actual / budget * Decimal::ONE_HUNDRED).round_dp(2)),
        });
    }
    Ok(Statistics {
        rows,
        class_totals,
        execution,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn quantiles_interpolate_exactly() {
        let v: Vec<Decimal> = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]
            .map(d)
            .to_vec();
        assert_eq!(quantile(&v, d("0.5")), Some(d("5.5")));
        assert_eq!(quantile(&v, d("0.1")), Some(d("1.9")));
        assert_eq!(quantile(&v, d("0.9")), Some(d("9.1")));
        assert_eq!(quantile(&[d("472.39")], d("0.9")), Some(d("472.39")));
    }

    #[test]
    fn aggregate_is_exact() {
        let s = aggregate(vec![d("0.1"), d("0.2"), d("0.3")]).unwrap();
        assert_eq!(
            (s.count, s.sum, s.mean, s.median),
            (3, d("0.6"), d("0.2"), d("0.2"))
        );
    }
}
