//! The pipeline file (TOML, serde), resolved once into what the rest of the code reads.
//!
//! Only the `[rules]` table is read so far: thresholds, disabled rules, severity overrides
//! (see `catalog/rules.toml` for names and defaults). Unknown keys are errors that name the
//! file, so a typo never silently falls back to a default.

use std::path::Path;

use serde::Deserialize;

use crate::checks::RuleSettings;

#[derive(Debug, Default, Deserialize)]
struct RulesOnly {
    #[serde(default)]
    rules: RuleSettings,
}

/// The rule settings of a pipeline file, or the defaults without one.
///
/// # Errors
/// A message naming the file and the problem (unreadable, bad TOML, unknown rule/threshold).
pub fn rule_settings(path: Option<&Path>) -> Result<RuleSettings, String> {
    let Some(path) = path else {
        return Ok(RuleSettings::default());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read pipeline {}: {e}", path.display()))?;
    let value: toml::Table =
        toml::from_str(&text).map_err(|e| format!("pipeline {}: {e}", path.display()))?;
    let rules = value
        .get("rules")
        .cloned()
        .unwrap_or(toml::Value::Table(Default::default()));
    let parsed: RulesOnly =
        toml::Value::Table(toml::map::Map::from_iter([("rules".to_string(), rules)]))
            .try_into()
            .map_err(|e| format!("pipeline {}: [rules]: {e}", path.display()))?;
    parsed
        .rules
        .validate()
        .map_err(|e| format!("pipeline {}: {e}", path.display()))?;
    Ok(parsed.rules)
}
