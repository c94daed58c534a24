//! The rule catalog (`rules.toml`): id, severity, descriptions, thresholds with defaults.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Deserialize;

use super::{parse_toml, CatalogError};
use crate::model::Severity;

/// Whether a rule reads one document or the whole archive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Document,
    Archive,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Document => "document",
            Scope::Archive => "archive",
        }
    }
}

/// One rule as catalogued.
#[derive(Clone, Debug, Deserialize)]
pub struct RuleDef {
    pub id: String,
    pub severity: Severity,
    pub scope: Scope,
    /// The short name shown in the workbook's 异常 sheet (`占位符未替换`).
    pub name_zh: String,
    pub name_en: String,
    pub zh: String,
    pub en: String,
    #[serde(default)]
    pub thresholds: Vec<String>,
}

/// A configurable threshold and its default.
#[derive(Clone, Debug)]
pub struct ThresholdDef {
    pub name: String,
    pub default: Decimal,
    pub zh: String,
    pub en: String,
}

#[derive(Deserialize)]
struct RawThreshold {
    name: String,
    default: String,
    zh: String,
    en: String,
}

#[derive(Deserialize)]
struct RulesFile {
    rule: Vec<RuleDef>,
    threshold: Vec<RawThreshold>,
}

pub(super) fn load(text: &str) -> Result<(Vec<RuleDef>, Vec<ThresholdDef>), CatalogError> {
    let file: RulesFile = parse_toml("rules.toml", text)?;
    let mut thresholds = Vec::new();
    for t in file.threshold {
        let default = Decimal::from_str(&t.default).map_err(|_| CatalogError::Invalid {
            file: "rules.toml",
            message: format!(
                "threshold {}: default {:?} is not a decimal",
                t.name, t.default
            ),
        })?;
        thresholds.push(ThresholdDef {
            name: t.name,
            default,
            zh: t.zh,
            en: t.en,
        });
    }
    for r in &file.rule {
        if let Some(bad) = r
            .thresholds
            .iter()
            .find(|n| !thresholds.iter().any(|t| &t.name == *n))
        {
            return Err(CatalogError::Invalid {
                file: "rules.toml",
                message: format!("rule {}: unknown threshold {bad:?}", r.id),
            });
        }
    }
    Ok((file.rule, thresholds))
}
