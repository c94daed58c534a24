//! The cross-document rules: CROSS_YEAR_MISMATCH, DUPLICATE_DOCUMENT, TREND_OUTLIER. They read
//! the consolidated archive (documents with resolved identity, trends) and flag documents by
//! their index in it.

use super::{run_rule, Findings, RuleSettings};
use crate::analysis::trends::Trends;
use crate::analysis::{Document, Finding};
use crate::catalog::catalog;
use crate::extract::CheckStatus;

/// What the archive rules see.
pub struct ArchiveView<'a> {
    pub documents: &'a [Document],
    pub trends: &'a Trends,
    pub settings: &'a RuleSettings,
}

/// A rule over the whole archive.
pub trait ArchiveRule: Send + Sync {
    /// The id in `catalog/rules.toml`.
    fn id(&self) -> &'static str;
    fn check(&self, archive: &ArchiveView<'_>, out: &mut Findings);
}

fn archive_rules() -> Vec<Box<dyn ArchiveRule>> {
    vec![
        Box::new(super::cross_year::CrossYearMismatch),
        Box::new(super::duplicates::DuplicateDocument),
        Box::new(super::trend_outlier::TrendOutlier),
    ]
}

/// Runs every enabled archive rule.
pub fn check_archive(view: &ArchiveView<'_>) -> (Vec<Finding>, Vec<CheckStatus>) {
    let mut findings = Vec::new();
    let mut statuses = Vec::new();
    for rule in archive_rules() {
        let Some(def) = catalog().rule(rule.id()) else {
            continue;
        };
        let (flags, severity, status) = run_rule(
            def,
            view.settings,
            "nothing in the archive to compare",
            |out| rule.check(view, out),
        );
        statuses.push(status);
        findings.extend(flags.into_iter().map(|f| Finding {
            document: f.document,
            anomaly: f.into_anomaly(&def.id, severity),
        }));
    }
    (findings, statuses)
}
