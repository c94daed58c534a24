//! Performance-management rules: COVERAGE_WITHOUT_PROJECTS (a coverage rate over a zero project
//! count) and PROJECTS_WITHOUT_TARGETS (project spending with no project targets set).

use std::sync::OnceLock;

use regex::Regex;
use rust_decimal::Decimal;

use super::{show, Doc, DocumentRule, Findings, Flag};
use crate::catalog::{catalog, TermMeaning};
use crate::ingest::normalize;
use crate::model::{Aspect, Fact, FactKey, MetricKey, UnitKind};

pub struct CoverageWithoutProjects;
pub struct ProjectsWithoutTargets;

/// The count metric a printed phrase names (`应编制绩效目标的项目` → projects_required).
fn count_metric(phrase: &str) -> Option<MetricKey> {
    let phrase = normalize::name_key(phrase);
    let hits: Vec<_> = catalog()
        .terms
        .find(&phrase)
        .into_iter()
        .filter(|h| h.term.unit == Some(UnitKind::Count))
        .collect();
    // `应编制绩效目标的项目`: the phrase printed first names it (应编制), not the longer one
    // that borrows its last characters (编制绩效目标的项目).
    hits.iter()
        .filter(|h| !h.overlapped_by_earlier(&hits))
        .max_by_key(|h| h.end - h.start)
        .and_then(|h| match &h.term.meaning {
            TermMeaning::Metric(m) => Some(m.clone()),
            _ => None,
        })
}

/// The count a rate divides by: named after `/` in its printed formula
/// (`覆盖率（实际编制…的项目/应编制…的项目）`), else the projects required to set targets.
fn denominator(fact: &Fact) -> Result<MetricKey, String> {
    static FORMULA: OnceLock<Regex> = OnceLock::new();
    let formula = FORMULA.get_or_init(|| Regex::new(r"/([^/)）*×]+)").expect("static pattern"));
    let label = normalize::fold(&fact.label);
    let Some(c) = formula.captures(&label) else {
        return Ok(MetricKey::new("performance.projects_required"));
    };
    count_metric(&c[1])
        .ok_or_else(|| format!("the denominator 「{}」 is not printed as a count", &c[1]))
}

/// The count a rate is of: named before `/` in its formula (`开展绩效自评的项目数/…`), else
/// by what the rate is about (a 自评 rate counts evaluated projects, a target rate the projects
/// that set targets). 0 of them with a rate above 0 is as impossible as a zero denominator.
fn numerator(fact: &Fact) -> Option<MetricKey> {
    static FORMULA: OnceLock<Regex> = OnceLock::new();
    let formula =
        FORMULA.get_or_init(|| Regex::new(r"[(（]([^/()（）]+)/").expect("static pattern"));
    let label = normalize::fold(&fact.label);
    if let Some(m) = formula.captures(&label).and_then(|c| count_metric(&c[1])) {
        return Some(m);
    }
    if label.contains("自评") {
        Some(MetricKey::new("performance.self_eval_projects"))
    } else if label.contains("编制") || label.contains("目标") {
        Some(MetricKey::new("performance.projects_set"))
    } else {
        None
    }
}

impl DocumentRule for CoverageWithoutProjects {
    fn id(&self) -> &'static str {
        "COVERAGE_WITHOUT_PROJECTS"
    }

    fn check(&self, doc: &Doc<'_>, out: &mut Findings) {
        let rates = doc.facts().iter().filter(|f| {
            f.metric.as_str() == "performance.coverage_pct" && f.aspect == Aspect::Value
        });
        for rate in rates {
            let Some(value) = rate.value else { continue };
            // The whole count (no item: `政府性基金预算项目0个` is a part, not the count).
            let mut counts = Vec::new();
            let mut missing = Vec::new();
            match denominator(rate) {
                Ok(m) => counts.push(("分母", m)),
                Err(why) => missing.push(why),
            }
            if let Some(m) = numerator(rate).filter(|m| counts.iter().all(|(_, c)| c != m)) {
                counts.push(("分子", m));
            }
            let found: Vec<(&str, &Fact)> = counts
                .iter()
                .filter_map(|(role, m)| {
                    doc.value_near(&FactKey::value_of(m.as_str()), rate)
                        .map(|f| (*role, f))
                })
                .collect();
            if found.is_empty() {
                let names: Vec<&str> = counts.iter().map(|(_, m)| m.as_str()).collect();
                missing.push(format!(
                    "no project count ({}) printed for the coverage rate",
                    names.join(", ")
                ));
                out.note(missing.join("; "));
                continue;
            }
            out.checked += 1;
            let zero = found.iter().find(|(_, f)| f.value == Some(Decimal::ZERO));
            if let (true, Some((role, count))) = (value > Decimal::ZERO, zero) {
                out.flag(
                    Flag::on(
                        rate,
                        format!(
                            "覆盖率为{}%，但作为{}的项目数为0（{}）",
                            show(value),
                            role,
                            count.quote
                        ),
                    )
                    .expected_found("no rate (0 projects)", format!("{}%", show(value))),
                );
            }
        }
    }
}

impl DocumentRule for ProjectsWithoutTargets {
    fn id(&self) -> &'static str {
        "PROJECTS_WITHOUT_TARGETS"
    }

    fn check(&self, doc: &Doc<'_>, out: &mut Findings) {
        let set = doc
            .with_key(&FactKey::value_of("performance.projects_set"))
            .find(|f| f.value.is_some());
        let Some(set) = set else {
            out.note("no count of projects with performance targets is printed");
            return;
        };
        let spending = [
            "expenditure.project",
            "expenditure.fiscal.project",
            "expenditure.general_budget.project",
        ]
        .iter()
        .find_map(|m| {
            doc.with_key(&FactKey::value_of(m))
                .find(|f| f.value.is_some())
        });
        let Some(spending) = spending else {
            out.note("no project expenditure is printed");
            return;
        };
        out.checked += 1;
        let (Some(n), Some(amount)) = (set.value, spending.value) else {
            return;
        };
        if n.is_zero() && amount > Decimal::ZERO {
            out.flag(
                Flag::on(
                    set,
                    format!(
                        "项目支出{}万元，但编制绩效目标的项目为0个（{}）",
                        show(amount),
                        spending.quote
                    ),
                )
                .expected_found("at least 1 project with targets", "0"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::run;

    const HEAD: &str = "第三部分 2024年度部门预算情况说明\n";

    #[test]
    fn coverage_flags_a_rate_over_zero_projects() {
        let text = format!("{HEAD}2024年应编制绩效目标的项目共0个，实际编制绩效目标的项目共0个，涉及资金0万元，编制绩效目标的项目覆盖率（实际编制绩效目标的项目/应编制绩效目标的项目）为100%。");
        let (flags, checked) = run(&CoverageWithoutProjects, &text);
        assert_eq!(checked, 1);
        assert_eq!(flags.len(), 1);
        assert_eq!(
            flags[0].metric.as_ref().map(|m| m.as_str()),
            Some("performance.coverage_pct")
        );
    }

    #[test]
    fn coverage_near_miss_one_project_or_unprinted_denominator() {
        let text = format!("{HEAD}2024年应编制绩效目标的项目共1个，实际编制绩效目标的项目共1个，编制绩效目标的项目覆盖率（实际编制绩效目标的项目/应编制绩效目标的项目）为100%。");
        assert!(run(&CoverageWithoutProjects, &text).0.is_empty());
        let text = format!(
            "{HEAD}自评覆盖率（开展绩效自评的项目数/年初批复绩效目标的项目数*100%）达到100%。"
        );
        let (flags, checked) = run(&CoverageWithoutProjects, &text);
        assert!(flags.is_empty());
        assert_eq!(
            checked, 0,
            "no project count is printed: the check could not run"
        );
    }

    const FINAL: &str = "第二部分 2023年度部门决算情况说明\n";

    /// A final account's formula names a denominator no table prints; 0 evaluated projects
    /// with a 100% rate is impossible whatever it is.
    #[test]
    fn coverage_flags_a_final_accounts_rate_over_zero_evaluated_projects() {
        let text = format!("{FINAL}本部门组织对2023年度预算项目支出全面开展绩效自评，共涉及预算支出项目0个（其中：一般公共预算项目0个，政府性基金预算项目0个），涉及资金0万元，自评覆盖率（开展绩效自评的项目数/年初批复绩效目标的项目数*100%）达到100%。");
        let (flags, checked) = run(&CoverageWithoutProjects, &text);
        assert_eq!((flags.len(), checked), (1, 1), "{flags:?}");
        assert!(flags[0].message.contains("分子"), "{}", flags[0].message);
    }

    /// Other provinces' wording: `实行绩效目标管理的项目0个，绩效目标覆盖率100%` (no formula).
    #[test]
    fn coverage_reads_other_wordings_of_the_project_count() {
        let text = format!("{HEAD}2024年实行绩效目标管理的项目0个，绩效目标覆盖率100%。");
        assert_eq!(run(&CoverageWithoutProjects, &text).0.len(), 1);
        let text = format!("{HEAD}2024年实行绩效目标管理的项目5个，绩效目标覆盖率100%。");
        let (flags, checked) = run(&CoverageWithoutProjects, &text);
        assert_eq!((flags.len(), checked), (0, 1));
    }

    /// Near miss: 13 projects in all, of which 0 from the government fund — the parts' zero
    /// is not the count.
    #[test]
    fn coverage_near_miss_a_zero_part_of_a_nonzero_count() {
        let text = format!("{FINAL}本部门组织对2023年度预算项目支出全面开展绩效自评，共涉及预算支出项目13个（其中：一般公共预算项目13个，政府性基金预算项目0个，国有资本经营预算项目0个），涉及资金2069.33万元，自评覆盖率（开展绩效自评的项目数/年初批复绩效目标的项目数*100%）达到100%。");
        let (flags, checked) = run(&CoverageWithoutProjects, &text);
        assert_eq!((flags.len(), checked), (0, 1), "{flags:?}");
    }

    #[test]
    fn projects_without_targets_flags_spending_with_zero_targets() {
        let text = format!("{HEAD}2.项目支出139.69万元。\n2024年应编制部门预算项目绩效目标的项目共0个，实际编制0个。");
        assert_eq!(run(&ProjectsWithoutTargets, &text).0.len(), 1);
        let text = format!(
            "{HEAD}2.项目支出0万元。\n2024年应编制部门预算项目绩效目标的项目共0个，实际编制0个。"
        );
        let (flags, checked) = run(&ProjectsWithoutTargets, &text);
        assert!(flags.is_empty());
        assert_eq!(checked, 1);
    }
}
