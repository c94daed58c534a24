//! The rule engine: flag what an auditor would flag, and nothing else.
//!
//! Each rule family lives in its own file and implements [`DocumentRule`] (one document) or,
//! for cross-document rules, runs in `analysis` over the archive; ids, severities, descriptions
//! and thresholds come from `catalog/rules.toml`, overridable per run ([`RuleSettings`]). A rule
//! reports what it examined (`checked`) and what it could not (`notes`): a rule that examined
//! nothing is recorded as *skipped*, never as a pass. Tolerance is in [`tolerance`] only.
//!
//! This module never reads files and never changes facts.

pub mod archive;
pub mod tolerance;

mod balance;
mod class_names;
mod conflicts;
mod cross_year;
mod direction;
mod duplicates;
mod execution;
mod growth;
mod performance;
mod placeholder;
mod sections;
mod shares;
mod sums;
mod text_quality;
mod trend_outlier;
mod units;

use std::collections::BTreeMap;

use foldhash::HashMap;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};

use crate::catalog::{catalog, RuleDef, Scope};
use crate::extract::{CheckState, CheckStatus, DocumentReport};
use crate::model::{Anomaly, Code, Fact, FactKey, Location, MetricKey, Severity};

/// Per-run rule configuration: the `[rules]` table of a pipeline file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSettings {
    /// Threshold overrides by name (`pct_slack = 0.2`).
    #[serde(default, deserialize_with = "decimal_map")]
    pub thresholds: BTreeMap<String, Decimal>,
    /// Rules not to run.
    #[serde(default)]
    pub disabled: Vec<String>,
    /// Severity overrides by rule id.
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
}

fn decimal_map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, Decimal>, D::Error> {
    let raw: BTreeMap<String, toml::Value> = BTreeMap::deserialize(d)?;
    raw.into_iter()
        .map(|(k, v)| {
            let text = match &v {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) => f.to_string(),
                other => {
                    return Err(serde::de::Error::custom(format!(
                        "{k}: {other} is not a number"
                    )))
                }
            };
            Decimal::from_str(&text)
                .map(|d| (k.clone(), d))
                .map_err(|_| serde::de::Error::custom(format!("{k}: {text:?} is not a decimal")))
        })
        .collect()
}

impl RuleSettings {
    /// Rejects overrides naming unknown rules or thresholds.
    ///
    /// # Errors
    /// A message naming the unknown key.
    pub fn validate(&self) -> Result<(), String> {
        let c = catalog();
        for name in self.thresholds.keys() {
            if !c.thresholds.iter().any(|t| &t.name == name) {
                return Err(format!("unknown threshold {name:?} in [rules.thresholds]"));
            }
        }
        for id in self.disabled.iter().chain(self.severity.keys()) {
            if c.rule(id).is_none() {
                return Err(format!("unknown rule {id:?} in [rules]"));
            }
        }
        Ok(())
    }

    /// The threshold in force: the override, else the catalog default.
    pub fn threshold(&self, name: &str) -> Decimal {
        self.thresholds.get(name).copied().unwrap_or_else(|| {
            catalog()
                .thresholds
                .iter()
                .find(|t| t.name == name)
                .map_or(Decimal::ZERO, |t| t.default)
        })
    }

    pub fn severity(&self, rule: &RuleDef) -> Severity {
        self.severity
            .get(&rule.id)
            .copied()
            .unwrap_or(rule.severity)
    }

    pub fn enabled(&self, id: &str) -> bool {
        !self.disabled.iter().any(|d| d == id)
    }
}

/// A flag as a rule raises it; the engine adds the rule id and severity.
#[derive(Clone, Debug, Default)]
pub struct Flag {
    pub metric: Option<MetricKey>,
    pub code: Option<Code>,
    pub item: Option<String>,
    pub message: String,
    pub evidence: String,
    pub location: Option<Location>,
    pub expected: Option<String>,
    pub found: Option<String>,
    pub difference: Option<String>,
    /// For archive rules: the document (index in the archive) the flag is about.
    pub document: Option<usize>,
    /// A hint rather than a finding (a rounding difference within tolerance): always `info`.
    pub hint: bool,
}

impl Flag {
    /// A flag about a fact: its metric, code, item, quote and location.
    /// A flag about `fact`. When the number's words do not name its measure (`完成年初预算的
    /// 300%` under a `（类）…（项）` heading), message and evidence start with the name printed
    /// before, so the reader knows which item it is.
    pub fn on(fact: &Fact, message: impl Into<String>) -> Flag {
        let message = message.into();
        let (message, evidence) = match &fact.named_as {
            Some(name) if !fact.quote.contains(name.as_str()) => (
                if message.contains(name.as_str()) {
                    message
                } else {
                    format!("{name}：{message}")
                },
                format!("{name} / {}", fact.quote),
            ),
            _ => (message, fact.quote.clone()),
        };
        Flag {
            metric: Some(fact.metric.clone()),
            code: fact.code.clone(),
            item: fact.item.clone(),
            message,
            evidence,
            location: Some(fact.location.clone()),
            ..Flag::default()
        }
    }

    pub fn expected_found(mut self, expected: impl ToString, found: impl ToString) -> Flag {
        self.expected = Some(expected.to_string());
        self.found = Some(found.to_string());
        self
    }

    pub fn difference(mut self, d: Decimal) -> Flag {
        self.difference = Some(d.normalize().to_string());
        self
    }

    /// Marks the flag as a hint, reported as `info` whatever the rule's severity.
    pub fn hint(mut self) -> Flag {
        self.hint = true;
        self
    }

    /// The anomaly this flag becomes under `rule` at the configured severity.
    pub fn into_anomaly(self, rule: &str, severity: Severity) -> Anomaly {
        Anomaly {
            rule: rule.to_string(),
            severity: if self.hint { Severity::Info } else { severity },
            metric: self.metric,
            code: self.code,
            item: self.item,
            message: self.message,
            evidence: self.evidence,
            location: self.location,
            expected: self.expected,
            found: self.found,
            difference: self.difference,
        }
    }
}

/// What one rule found in one document.
#[derive(Clone, Debug, Default)]
pub struct Findings {
    pub flags: Vec<Flag>,
    /// Relations or facts examined.
    pub checked: usize,
    /// What could not be examined, and why.
    pub notes: Vec<String>,
}

impl Findings {
    pub fn flag(&mut self, flag: Flag) {
        self.flags.push(flag);
    }
    pub fn note(&mut self, note: impl Into<String>) {
        let note = note.into();
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }
}

/// A rule over one document.
pub trait DocumentRule: Send + Sync {
    /// The id in `catalog/rules.toml`.
    fn id(&self) -> &'static str;
    fn check(&self, doc: &Doc<'_>, out: &mut Findings);
}

/// One document as the rules see it.
pub struct Doc<'a> {
    pub report: &'a DocumentReport,
    pub settings: &'a RuleSettings,
    by_key: HashMap<FactKey, Vec<usize>>,
    /// For [`Doc::value_near`]: per key, the first fact printed with a value at each location
    /// and from each source, and the first overall — built once, so a document printing one
    /// measure 20,000 times is not searched 20,000 times.
    near: NearIndex,
    /// What the sums of the document give, made once for the two rules that report it
    /// (SUM_MISMATCH and ROUNDING_DIFFERENCE).
    pub(crate) sums: std::sync::OnceLock<Findings>,
}

/// An empty map with room for `n` entries.
fn sized<K, V>(n: usize) -> HashMap<K, V> {
    HashMap::with_capacity_and_hasher(n, Default::default())
}

#[derive(Default)]
struct NearIndex {
    at: HashMap<(FactKey, Location), usize>,
    from: HashMap<(FactKey, crate::model::Source), usize>,
    first: HashMap<FactKey, usize>,
}

impl<'a> Doc<'a> {
    pub fn new(report: &'a DocumentReport, settings: &'a RuleSettings) -> Doc<'a> {
        // Sized up front: growing these maps fact by fact was a third of building them.
        let n = report.facts.len();
        let mut by_key: HashMap<FactKey, Vec<usize>> = sized(n);
        let mut near = NearIndex {
            at: sized(n),
            from: sized(n),
            first: sized(n),
        };
        for (i, f) in report.facts.iter().enumerate() {
            let key = f.key();
            if f.value.is_some() {
                near.at
                    .entry((key.clone(), f.location.clone()))
                    .or_insert(i);
                near.from
                    .entry((key.clone(), f.source.clone()))
                    .or_insert(i);
                near.first.entry(key.clone()).or_insert(i);
            }
            by_key.entry(key).or_default().push(i);
        }
        Doc {
            report,
            settings,
            by_key,
            near,
            sums: std::sync::OnceLock::new(),
        }
    }

    pub fn facts(&self) -> &'a [Fact] {
        &self.report.facts
    }

    pub fn year(&self) -> Option<i32> {
        self.report.document.fiscal_year
    }

    pub fn threshold(&self, name: &str) -> Decimal {
        self.settings.threshold(name)
    }

    pub fn pct_slack(&self) -> Decimal {
        self.threshold("pct_slack")
    }

    /// All facts with this key.
    pub fn with_key(&self, key: &FactKey) -> impl Iterator<Item = &'a Fact> + '_ {
        let facts = &self.report.facts;
        self.by_key
            .get(key)
            .into_iter()
            .flatten()
            .map(move |&i| &facts[i])
    }

    /// The printed value for `key` that best matches `near` (see [`nearest_value`]).
    pub fn value_near(&self, key: &FactKey, near: &Fact) -> Option<&'a Fact> {
        let index = &self.near;
        index
            .at
            .get(&(key.clone(), near.location.clone()))
            .or_else(|| index.from.get(&(key.clone(), near.source.clone())))
            .or_else(|| index.first.get(key))
            .map(|&i| &self.report.facts[i])
    }

    /// A fact's key with another aspect.
    pub fn key_with(fact: &Fact, aspect: crate::model::Aspect) -> FactKey {
        FactKey {
            aspect,
            ..fact.key()
        }
    }
}

/// Of `candidates` printed with a value, the one that best matches `near`: on the same line,
/// else from the same source (prose or table), else the first.
pub fn nearest_value<'a>(
    candidates: impl IntoIterator<Item = &'a Fact>,
    near: &Fact,
) -> Option<&'a Fact> {
    let candidates: Vec<&Fact> = candidates
        .into_iter()
        .filter(|f| f.value.is_some())
        .collect();
    candidates
        .iter()
        .find(|f| f.location == near.location)
        .or_else(|| candidates.iter().find(|f| f.source == near.source))
        .or_else(|| candidates.first())
        .copied()
}

/// Every single-document rule, in catalog order.
fn document_rules() -> Vec<Box<dyn DocumentRule>> {
    vec![
        Box::new(placeholder::Placeholder),
        Box::new(performance::CoverageWithoutProjects),
        Box::new(sums::SumMismatch),
        Box::new(sums::RoundingDifference),
        Box::new(shares::ShareMismatch),
        Box::new(growth::GrowthMismatch),
        Box::new(balance::BalanceMismatch),
        Box::new(conflicts::ConflictingValues),
        Box::new(execution::ExecutionRate),
        Box::new(units::UnitSuspect),
        Box::new(performance::ProjectsWithoutTargets),
        Box::new(sections::MissingSection),
        Box::new(direction::DirectionMismatch),
        Box::new(class_names::OutdatedClassName),
        Box::new(text_quality::TemplateResidue),
        Box::new(text_quality::EmptyReason),
        Box::new(text_quality::ComparisonYear),
        Box::new(text_quality::Punctuation),
        Box::new(text_quality::TextCopy),
        Box::new(text_quality::BlankPage),
        Box::new(text_quality::IncompleteDisclosure),
    ]
}

pub fn severity_rank(s: Severity) -> u8 {
    match s {
        Severity::Error => 0,
        Severity::Warning => 1,
        Severity::Info => 2,
    }
}

/// Sorts anomalies by severity, then location, then rule.
pub fn sort_anomalies(anomalies: &mut [Anomaly]) {
    anomalies.sort_by(|a, b| {
        severity_rank(a.severity)
            .cmp(&severity_rank(b.severity))
            .then_with(|| location_order(&a.location).cmp(&location_order(&b.location)))
            .then_with(|| a.rule.cmp(&b.rule))
            .then_with(|| a.message.cmp(&b.message))
    });
}

fn location_order(l: &Option<Location>) -> (u8, u32, u32, String) {
    match l {
        Some(Location::Line(n)) => (0, *n, 0, String::new()),
        Some(Location::Page { page, line }) => (0, *page, *line, String::new()),
        Some(Location::Cell { sheet, cell }) => (1, 0, 0, format!("{sheet}!{cell}")),
        None => (2, 0, 0, String::new()),
    }
}

/// Runs every enabled single-document rule over a report, filling `anomalies` and `checks`.
pub fn check_document(report: &mut DocumentReport, settings: &RuleSettings) {
    let (anomalies, statuses) = {
        let doc = Doc::new(report, settings);
        run_rules(&doc)
    };
    report.anomalies = anomalies;
    report.checks = statuses;
}

/// The rules that compare printings of one figure, run again over the two parts of one
/// disclosure together — its explanation `D.txt` and its tables `D_tables.xlsx` — so a table
/// cell contradicting the prose (CONFLICTING_VALUES) or printed in 元 where the prose says 万元
/// (UNIT_SUSPECT) is found across files. Returns the flags neither part raised alone (by rule
/// and measure), for the prose part; their messages name the tables' file.
pub fn check_parts(
    prose: &DocumentReport,
    tables: &DocumentReport,
    settings: &RuleSettings,
) -> Vec<Anomaly> {
    let mut merged = prose.clone();
    let offset = merged.tables.len();
    merged.tables.extend(tables.tables.iter().cloned());
    merged
        .facts
        .extend(tables.facts.iter().cloned().map(|mut f| {
            f.table = f.table.map(|t| t + offset);
            f
        }));
    let doc = Doc::new(&merged, settings);
    let key = |a: &Anomaly| {
        (
            a.rule.clone(),
            a.metric.clone(),
            a.code.clone(),
            a.item.clone(),
        )
    };
    let mut seen: std::collections::BTreeSet<_> = prose
        .anomalies
        .iter()
        .chain(&tables.anomalies)
        .map(key)
        .collect();
    let c = catalog();
    let mut out = Vec::new();
    let rules: [&dyn DocumentRule; 2] = [&conflicts::ConflictingValues, &units::UnitSuspect];
    for rule in rules {
        let Some(def) = c.rule(rule.id()) else {
            continue;
        };
        let (flags, severity, _) = run_rule(def, settings, "", |o| rule.check(&doc, o));
        for flag in flags {
            let mut a = flag.into_anomaly(&def.id, severity);
            if seen.insert(key(&a)) {
                a.message = format!("{}（表格见 {}）", a.message, tables.file);
                out.push(a);
            }
        }
    }
    out
}

/// Runs one rule as `settings` configure it: its flags, the severity they carry and its status.
/// `idle` says why a rule that found nothing to examine did nothing.
pub(crate) fn run_rule(
    def: &RuleDef,
    settings: &RuleSettings,
    idle: &str,
    check: impl FnOnce(&mut Findings),
) -> (Vec<Flag>, Severity, CheckStatus) {
    let severity = settings.severity(def);
    if !settings.enabled(&def.id) {
        let status = CheckStatus {
            rule: def.id.clone(),
            status: CheckState::Skipped,
            checked: 0,
            flagged: 0,
            reason: Some("disabled in the pipeline's [rules]".into()),
        };
        return (Vec::new(), severity, status);
    }
    // Inputs are bounded ([`crate::extract::numbers`]) so the exact arithmetic fits; should a
    // rule still overflow, it is a rule that could not evaluate — said in `checks` — never a
    // lost document.
    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut out = Findings::default();
        check(&mut out);
        out
    }));
    let out = match ran {
        Ok(out) => out,
        Err(payload) => {
            let status = CheckStatus {
                rule: def.id.clone(),
                status: CheckState::Skipped,
                checked: 0,
                flagged: 0,
                reason: Some(format!(
                    "could not evaluate: {}",
                    crate::guard::panic_text(payload.as_ref())
                )),
            };
            return (Vec::new(), severity, status);
        }
    };
    let status = CheckStatus {
        rule: def.id.clone(),
        status: if out.checked > 0 {
            CheckState::Ran
        } else {
            CheckState::Skipped
        },
        checked: out.checked,
        flagged: out.flags.len(),
        reason: (!out.notes.is_empty())
            .then(|| out.notes.join("; "))
            .or_else(|| (out.checked == 0).then(|| idle.to_string())),
    };
    (out.flags, severity, status)
}

fn run_rules(doc: &Doc<'_>) -> (Vec<Anomaly>, Vec<CheckStatus>) {
    let c = catalog();
    let mut anomalies = Vec::new();
    let mut statuses = Vec::new();
    for rule in document_rules() {
        if crate::guard::expired() {
            break;
        }
        let Some(def) = c.rule(rule.id()) else {
            continue;
        };
        let (flags, severity, status) = run_rule(
            def,
            doc.settings,
            "nothing in this document to check",
            |out| rule.check(doc, out),
        );
        anomalies.extend(flags.into_iter().map(|f| f.into_anomaly(&def.id, severity)));
        statuses.push(status);
    }
    for def in c.rules.iter().filter(|r| r.scope == Scope::Archive) {
        statuses.push(CheckStatus {
            rule: def.id.clone(),
            status: CheckState::Skipped,
            checked: 0,
            flagged: 0,
            reason: Some("compares documents: runs in `fiscal run` over the archive".into()),
        });
    }
    sort_anomalies(&mut anomalies);
    (anomalies, statuses)
}

/// A decimal for messages: trailing zeros dropped.
pub fn show(d: Decimal) -> String {
    d.normalize().to_string()
}

/// A sum or expected value in the unit `like` was printed in (`154,369,327` beside a 元
/// total, not `15436.9327`).
pub fn show_like(d: Decimal, like: &crate::model::Fact) -> String {
    show(like.printed_unit.printed_from(d))
}

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers for rule unit tests: a report from a small text.
    use super::*;
    use crate::extract::read_text_bytes;

    pub fn report(text: &str) -> DocumentReport {
        read_text_bytes("test.txt", text.as_bytes())
    }

    /// (flags, checked) of one rule on a small text.
    pub fn run(rule: &dyn DocumentRule, text: &str) -> (Vec<Flag>, usize) {
        let report = report(text);
        let settings = RuleSettings::default();
        let doc = Doc::new(&report, &settings);
        let mut out = Findings::default();
        rule.check(&doc, &mut out);
        (out.flags, out.checked)
    }
}
