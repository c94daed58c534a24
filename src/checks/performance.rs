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

/// The count a rate divides by: named after `/` in its printed formula
/// (`覆盖率（实际编制…的项目/应编制…的项目）`), else the projects required to set targets.
fn denominator(fact: &Fact) -> Result<MetricKey, String> {
    static FORMULA: OnceLock<Regex> = OnceLock::new();
    let formula = FORMULA.get_or_init(|| Regex::new(r"/([^/)）*×]+)").expect("static pattern"));
    let label = normalize::fold(&fact.label);
    let Some(c) = formula.captures(&label) else {
        return Ok(MetricKey::new("performance.projects_required"));
    };
    let phrase = normalize::name_key(&c[1]);
    catalog()
        .terms
        .find(&phrase)
        .into_iter()
        .filter(|h| h.term.unit == Some(UnitKind::Count))
        .max_by_key(|h| h.end - h.start)
        .and_then(|h| match &h.term.meaning {
            TermMeaning::Metric(m) => Some(m.clone()),
            _ => None,
        })
        .ok_or_else(|| format!("the denominator 「{}」 is not printed as a count", &c[1]))
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
            let metric = match denominator(rate) {
                Ok(m) => m,
                Err(why) => {
                    out.note(why);
                    continue;
                }
            };
            let Some(count) = doc.value_near(&FactKey::value_of(metric.as_str()), rate) else {
                out.note(format!("no {metric} printed for the coverage rate"));
                continue;
            };
            out.checked += 1;
            if value > Decimal::ZERO && count.value == Some(Decimal::ZERO) {
                out.flag(
                    Flag::on(
                        rate,
                        format!(
                            "覆盖率为{}%，但作为分母的项目数为0（{}）",
                            show(value),
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
        let text = format!("{HEAD}共涉及预算支出项目13个，自评覆盖率（开展绩效自评的项目数/年初批复绩效目标的项目数*100%）达到100%。");
        let (flags, checked) = run(&CoverageWithoutProjects, &text);
        assert!(flags.is_empty());
        assert_eq!(
            checked, 0,
            "the denominator is not printed: the check could not run"
        );
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
