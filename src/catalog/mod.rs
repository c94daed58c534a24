//! The catalog: what the documents' words mean, kept as data.
//!
//! Metric keys and their printed phrases (`metrics.toml`), fund-dependent roles (`roles.toml`),
//! classification codes with their names by year (`codes.toml`), table signatures
//! (`tables.toml`) and the region gazetteer (`regions.csv`) are embedded at compile time and
//! parsed once. Adding a synonym or a 2025 code is a change to those files, not to code. This
//! module only loads and indexes; it never reads a document.

mod codes;
mod regions;
mod rules;
mod tables;
mod terms;

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

pub use codes::{CodeEntry, CodeTable};
pub use regions::Gazetteer;
pub use rules::{RuleDef, Scope, ThresholdDef};
pub use tables::{ColumnSpec, IdentitySpec, Layout, PanelSpec, TableSignature};
pub use terms::{Family, Role, Term, TermHit, TermIndex, TermMeaning};

use crate::model::{MetricKey, UnitKind};

/// One metric of the catalog.
#[derive(Clone, Debug)]
pub struct MetricDef {
    pub key: MetricKey,
    pub zh: String,
    pub en: String,
    /// `None` for metrics that take any unit (performance indicators).
    pub unit: Option<UnitKind>,
    /// Shown per department-year, trended and charted in the workbook.
    pub headline: bool,
}

/// Everything the extractor and the checks know about disclosures.
#[derive(Debug)]
pub struct Catalog {
    pub metrics: Vec<MetricDef>,
    metric_index: HashMap<String, usize>,
    pub terms: TermIndex,
    pub modifiers: Vec<Modifier>,
    pub functions: CodeTable,
    pub economics: CodeTable,
    pub tables: Vec<TableSignature>,
    pub regions: Gazetteer,
    pub rules: Vec<RuleDef>,
    pub thresholds: Vec<ThresholdDef>,
    /// Parts that cannot exceed a whole printed elsewhere (基本支出 30217 ≤ 公务接待费).
    pub bounds: Vec<Bound>,
    /// Measures that are one when the department spends only 一般公共预算 funds.
    pub same_when_one_fund: Vec<Bound>,
    /// Unit names the 2018 reform replaced: (old, new), from `renames.csv`.
    pub renames: Vec<(String, String)>,
}

/// A catalog file that does not parse. The embedded files are checked by tests, so this is
/// reachable only through a broken build.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("catalog file {file}: {source}")]
    Toml {
        file: &'static str,
        source: toml::de::Error,
    },
    #[error("catalog file {file}: {message}")]
    Invalid { file: &'static str, message: String },
}

#[derive(Deserialize)]
struct MetricsFile {
    metric: Vec<RawMetric>,
    #[serde(default)]
    modifier: Vec<Modifier>,
    #[serde(default)]
    bound: Vec<Bound>,
    #[serde(default)]
    same_when_one_fund: Vec<Bound>,
}

/// Two measures and how they relate: `part` (a metric, or `metric@code`) cannot exceed
/// `whole` (`[[bound]]`), or equals it when the department spends one fund only
/// (`[[same_when_one_fund]]`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bound {
    pub part: String,
    pub whole: String,
    /// What the relation is, for the flag's message.
    pub why: String,
}

/// A phrase printed before a metric's phrase that re-maps it (`购置` + 车辆 → vehicles.purchased).
#[derive(Clone, Debug, Deserialize)]
pub struct Modifier {
    pub phrase: String,
    pub from: String,
    pub to: String,
}

#[derive(Deserialize)]
struct RawMetric {
    key: String,
    zh: String,
    en: String,
    unit: String,
    #[serde(default)]
    headline: bool,
    #[serde(default)]
    terms: Vec<String>,
    #[serde(default)]
    weak_terms: Vec<String>,
    #[serde(default)]
    within: Vec<(String, String)>,
}

fn parse_toml<T: for<'de> Deserialize<'de>>(
    file: &'static str,
    text: &str,
) -> Result<T, CatalogError> {
    toml::from_str(text).map_err(|source| CatalogError::Toml { file, source })
}

pub(crate) fn unit_kind(file: &'static str, s: &str) -> Result<Option<UnitKind>, CatalogError> {
    Ok(Some(match s {
        "amount" => UnitKind::Amount,
        "count" => UnitKind::Count,
        "percent" => UnitKind::Percent,
        "score" => UnitKind::Score,
        "area" => UnitKind::Area,
        "any" => return Ok(None),
        other => {
            return Err(CatalogError::Invalid {
                file,
                message: format!("unknown unit family {other:?}"),
            })
        }
    }))
}

impl Catalog {
    /// Parses the embedded catalog files.
    ///
    /// # Errors
    /// [`CatalogError`] naming the file that does not parse or refers to an unknown metric.
    pub fn load() -> Result<Catalog, CatalogError> {
        let metrics_file: MetricsFile = parse_toml("metrics.toml", include_str!("metrics.toml"))?;
        let mut metrics = Vec::new();
        let mut metric_terms = Vec::new();
        for m in metrics_file.metric {
            let unit = unit_kind("metrics.toml", &m.unit)?;
            let key = MetricKey::new(m.key);
            metric_terms.push((key.clone(), unit, m.terms, m.weak_terms, m.within));
            metrics.push(MetricDef {
                key,
                zh: m.zh,
                en: m.en,
                unit,
                headline: m.headline,
            });
        }
        let metric_index: HashMap<String, usize> = metrics
            .iter()
            .enumerate()
            .map(|(i, m)| (m.key.as_str().to_string(), i))
            .collect();
        let known = |key: &str| metric_index.contains_key(key);
        let modifiers = metrics_file.modifier;
        if let Some(bad) = modifiers.iter().find(|m| !known(&m.from) || !known(&m.to)) {
            return Err(CatalogError::Invalid {
                file: "metrics.toml",
                message: format!("modifier {:?}: unknown metric", bad.phrase),
            });
        }
        let metric_of = |r: &str| r.split('@').next().unwrap_or(r).to_string();
        let relations = metrics_file
            .bound
            .iter()
            .chain(&metrics_file.same_when_one_fund);
        for b in relations {
            for r in [&b.part, &b.whole] {
                if !known(&metric_of(r)) {
                    return Err(CatalogError::Invalid {
                        file: "metrics.toml",
                        message: format!("relation {}: unknown metric {r:?}", b.why),
                    });
                }
            }
        }
        let (bounds, same_when_one_fund) = (metrics_file.bound, metrics_file.same_when_one_fund);

        let (functions, economics) = codes::load(include_str!("codes.toml"))?;
        let terms = terms::build(
            include_str!("roles.toml"),
            &metric_terms,
            &functions,
            &economics,
            &known,
        )?;
        let tables = tables::load(include_str!("tables.toml"), &known)?;
        let regions = regions::load(include_str!("regions.csv"))?;
        let (rules, thresholds) = rules::load(include_str!("rules.toml"))?;
        Ok(Catalog {
            metrics,
            metric_index,
            terms,
            modifiers,
            functions,
            economics,
            tables,
            regions,
            rules,
            thresholds,
            bounds,
            same_when_one_fund,
            renames: load_renames(include_str!("renames.csv"))?,
        })
    }

    /// The headline metrics, in catalog order.
    pub fn headlines(&self) -> impl Iterator<Item = &MetricDef> {
        self.metrics.iter().filter(|m| m.headline)
    }

    pub fn metric(&self, key: &str) -> Option<&MetricDef> {
        self.metric_index.get(key).map(|&i| &self.metrics[i])
    }

    pub fn rule(&self, id: &str) -> Option<&RuleDef> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The table signature with this id.
    pub fn table(&self, id: &str) -> Option<&TableSignature> {
        self.tables.iter().find(|t| t.id == id)
    }

    /// The code table a code belongs to (经济分类 for 3xx, 功能分类 otherwise).
    pub fn codes_for(&self, code: &crate::model::Code) -> &CodeTable {
        if code.is_economic() {
            &self.economics
        } else {
            &self.functions
        }
    }
}

/// The catalog, parsed on first use.
/// `old,new` rows of `renames.csv` (`#` comments and the header skipped).
fn load_renames(text: &str) -> Result<Vec<(String, String)>, CatalogError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line == "old,new" {
            continue;
        }
        match line.split_once(',') {
            Some((old, new)) if !old.is_empty() && !new.is_empty() && old != new => {
                out.push((old.to_string(), new.to_string()))
            }
            _ => {
                return Err(CatalogError::Invalid {
                    file: "renames.csv",
                    message: format!("line {}: expected old,new", n + 1),
                })
            }
        }
    }
    Ok(out)
}

pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| match Catalog::load() {
        Ok(c) => c,
        // The files are compiled in and parsed by `catalog_loads` in every test run.
        Err(e) => panic!("embedded catalog is broken: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_loads_and_has_the_spec_metrics() {
        let c = Catalog::load().expect("catalog parses");
        for key in [
            "income.total",
            "expenditure.general_budget.basic.personnel",
            "three_public.vehicle.operation",
            "performance.target_funds.basic",
        ] {
            assert!(c.metric(key).is_some(), "{key} missing");
        }
        assert!(c.tables.len() >= 9);
    }
}
