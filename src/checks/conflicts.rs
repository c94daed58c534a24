//! CONFLICTING_VALUES: one measure printed with different values in one document (prose vs
//! table, table vs table). Two printings conflict when the coarser one is neither the finer
//! one rounded nor truncated to its precision (65.28 vs 65.27 conflict; 472.4 vs 472.39 do
//! not, nor does a narrative's whole 328,661万元 beside a table's 3,286,618,082.20元). One flag
//! per fact key, naming every location.

use std::collections::BTreeMap;

use rust_decimal::{Decimal, RoundingStrategy};

use super::tolerance::Interval;
use super::{Doc, DocumentRule, Findings, Flag};
use crate::model::{Fact, FactKey};

pub struct ConflictingValues;

/// Words that state a change of zero rather than print a number (`持平`): DIRECTION_MISMATCH
/// compares those with printed changes.
pub(super) fn is_flat_word(fact: &Fact) -> bool {
    !fact
        .raw
        .chars()
        .any(|c| c.is_ascii_digit() || ('０'..='９').contains(&c))
}

fn differ(a: Decimal, b: Decimal) -> bool {
    let scale = a.scale().min(b.scale());
    let round =
        |d: Decimal| d.round_dp_with_strategy(scale, RoundingStrategy::MidpointAwayFromZero);
    let (coarse, fine) = if a.scale() <= b.scale() {
        (a, b)
    } else {
        (b, a)
    };
    let truncated = fine.round_dp_with_strategy(scale, RoundingStrategy::ToZero);
    round(a) != round(b) && truncated != coarse
}

impl DocumentRule for ConflictingValues {
    fn id(&self) -> &'static str {
        "CONFLICTING_VALUES"
    }

    fn check(&self, doc: &Doc<'_>, out: &mut Findings) {
        let mut by_key: BTreeMap<FactKey, Vec<&Fact>> = BTreeMap::new();
        for f in doc.facts() {
            if f.value.is_some() && !is_flat_word(f) {
                by_key.entry(f.key()).or_default().push(f);
            }
        }
        for (_, facts) in by_key {
            if facts.len() < 2 {
                continue;
            }
            out.checked += 1;
            let first = facts[0];
            let Some(a) = first.value else { continue };
            // Two printings 10⁴ apart (`125.50元` beside `125.50` 万元) are 元 taken for 万元:
            // UNIT_SUSPECT's finding, not a second one here.
            let ten_thousand = super::units::TEN_THOUSAND;
            let unit_swap = |f: &Fact| {
                let Some(b) = f.value else { return false };
                let times = |x: Decimal, y: Decimal| {
                    x.checked_mul(ten_thousand).is_some_and(|x4| !differ(x4, y))
                };
                super::units::printed_equal_units_differ(first, f) || times(a, b) || times(b, a)
            };
            let Some(other) = facts
                .iter()
                .find(|f| f.value.is_some_and(|b| differ(a, b)) && !unit_swap(f))
            else {
                continue;
            };
            // Group printings by value, in document order.
            let mut groups: Vec<(Decimal, Vec<&Fact>)> = Vec::new();
            for f in &facts {
                let Some(v) = f.value else { continue };
                match groups.iter_mut().find(|(g, _)| !differ(*g, v)) {
                    Some((_, members)) => members.push(f),
                    None => groups.push((v, vec![f])),
                }
            }
            let listing = groups
                .iter()
                .map(|(v, members)| {
                    let places: Vec<String> = members
                        .iter()
                        .map(|m| format!("{}{}", m.source.zh(), m.location.zh()))
                        .collect();
                    format!("{}（{}）", v, places.join("、"))
                })
                .collect::<Vec<_>>()
                .join(" 与 ");
            let mut flag = Flag::on(other, format!("同一指标出现不同数值：{listing}"))
                .expected_found(&first.raw, &other.raw);
            if let Some(b) = other.value {
                flag = flag.difference(b - a);
            }
            flag.evidence = format!("{} / {}", first.quote, other.quote);
            out.flag(flag);
        }
        check_bounds(doc, out);
        check_one_fund(doc, out);
    }
}

/// The key of a relation's side: `metric` or `metric@code`, the value aspect.
fn relation_key(reference: &str) -> FactKey {
    let (metric, code) = match reference.split_once('@') {
        Some((m, c)) => (m, crate::model::Code::parse(c)),
        None => (reference, None),
    };
    FactKey {
        metric: crate::model::MetricKey::new(metric),
        code,
        item: None,
        aspect: crate::model::Aspect::Value,
        period: None,
    }
}

/// A part printed larger than the whole it belongs to (基本支出 30217 公务接待费 8.31 beside a
/// “三公” 公务接待费 of 0.30).
fn check_bounds(doc: &Doc<'_>, out: &mut Findings) {
    let slack = doc.pct_slack();
    for bound in &crate::catalog::catalog().bounds {
        let wholes: Vec<&Fact> = doc
            .with_key(&relation_key(&bound.whole))
            .filter(|f| f.value.is_some())
            .collect();
        for part in doc.with_key(&relation_key(&bound.part)) {
            let Some(p) = Interval::of_fact(part, slack) else {
                continue;
            };
            for whole in &wholes {
                let Some(w) = Interval::of_fact(whole, slack) else {
                    continue;
                };
                out.checked += 1;
                if p.lo > w.hi {
                    let (Some(pv), Some(wv)) = (part.value, whole.value) else {
                        continue;
                    };
                    let mut flag = Flag::on(
                        part,
                        format!(
                            "{}：{}（{} {}）大于{}（{} {}）",
                            bound.why,
                            pv,
                            part.source,
                            part.location,
                            wv,
                            whole.source,
                            whole.location
                        ),
                    )
                    .expected_found(format!("≤ {}", whole.raw), &part.raw)
                    .difference(pv - wv);
                    flag.evidence = format!("{} / {}", part.quote, whole.quote);
                    out.flag(flag);
                    break;
                }
            }
        }
    }
}

/// With all spending from 一般公共预算 (its total equals the year's total spending), the
/// tables' splits of both must be the same numbers (项目支出 1,367.76 vs 1,367.75).
fn check_one_fund(doc: &Doc<'_>, out: &mut Findings) {
    let slack = doc.pct_slack();
    let total = |metric: &str| -> Vec<&Fact> {
        doc.with_key(&FactKey::value_of(metric))
            .filter(|f| f.value.is_some())
            .collect()
    };
    let general = total("expenditure.general_budget");
    let all = total("expenditure.current_year");
    let one_fund = !general.is_empty()
        && !all.is_empty()
        && general.iter().all(|g| {
            all.iter().all(|a| {
                matches!((Interval::of_fact(g, slack), Interval::of_fact(a, slack)), (Some(x), Some(y)) if x.intersects(y))
            })
        });
    if !one_fund {
        return;
    }
    for pair in &crate::catalog::catalog().same_when_one_fund {
        for part in doc.with_key(&relation_key(&pair.part)) {
            let Some(pv) = part.value else { continue };
            let other = doc
                .with_key(&relation_key(&pair.whole))
                .find(|w| w.value.is_some_and(|wv| differ(pv, wv)));
            out.checked += 1;
            if let (Some(whole), Some(wv)) = (other, other.and_then(|w| w.value)) {
                let mut flag = Flag::on(
                    part,
                    format!(
                        "{}：{}（{} {}）与 {}（{} {}）",
                        pair.why, pv, part.source, part.location, wv, whole.source, whole.location
                    ),
                )
                .expected_found(&whole.raw, &part.raw)
                .difference(pv - wv);
                flag.evidence = format!("{} / {}", part.quote, whole.quote);
                out.flag(flag);
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::run;

    #[test]
    fn differ_accepts_rounding_and_truncation_only() {
        let d = |s: &str| s.parse::<rust_decimal::Decimal>().unwrap();
        assert!(differ(d("65.28"), d("65.27")));
        assert!(!differ(d("472.4"), d("472.39")));
        // 328,661万元 in the narrative, 3,286,618,082.20元 in the table: truncated, not wrong.
        assert!(!differ(d("328661"), d("328661.808220")));
        assert!(differ(d("328660"), d("328661.808220")));
        assert!(differ(d("545.84"), d("545.85")));
    }

    fn text(a: &str, b: &str) -> String {
        format!("第二部分 2023年度部门决算情况说明\n（一）收入总计{a}万元，包括：\n（一）收入总计{b}万元，包括：")
    }

    #[test]
    fn conflicts_flag_two_printings_that_differ() {
        let (flags, checked) = run(&ConflictingValues, &text("65.28", "65.27"));
        assert_eq!((flags.len(), checked), (1, 1));
        assert!(flags[0].message.contains("65.28"));
        assert!(flags[0].message.contains("65.27"));
    }

    #[test]
    fn conflicts_near_miss_coarser_precision_agrees() {
        assert!(run(&ConflictingValues, &text("472.4", "472.39"))
            .0
            .is_empty());
        // 472.4 stands for [472.35, 472.5): rounded or truncated.
        assert!(run(&ConflictingValues, &text("472.4", "472.35"))
            .0
            .is_empty());
        assert!(run(&ConflictingValues, &text("472.4", "472.49"))
            .0
            .is_empty());
        assert_eq!(run(&ConflictingValues, &text("472.4", "472.34")).0.len(), 1);
        assert_eq!(run(&ConflictingValues, &text("472.4", "472.50")).0.len(), 1);
    }

    /// A 2023 决算 with a 项目绩效目标表 headed `target_year` and this year's 绩效自评表, both
    /// for one project, with different budgets.
    fn final_with_two_forms(target_year: &str) -> String {
        format!(
            "某区某局2023年度部门决算\n\
             \t部门预算项目（政策）绩效目标表\n\n\t{target_year}\n\n\t单位:万元\n\n\
             \t项目(政策)名称\n\t网格信息化建设\n\n\t预算资金情况\n\t50\n\n\
             \t预算项目(政策)绩效自评表\n(2023年度)\n\n\
             \t项目(政策)名称\n\t网格信息化建设\n\n\
             \t项目资金（万元）\n\t年初预算数\n\t全年预算数\n\t全年执行数\n\t分值\n\t执行率\n\t得分\n\n\
             \t年度资金总额\n\t40\n\t40\n\t40\n\t10\n\t100%\n\t10\n"
        )
    }

    #[test]
    fn conflicts_near_miss_next_years_targets_beside_this_years_self_evaluation() {
        let (flags, _) = run(&ConflictingValues, &final_with_two_forms("2024年"));
        assert!(flags.is_empty(), "{flags:?}");
        let report = crate::checks::testing::report(&final_with_two_forms("2024年"));
        let budgets: Vec<(Option<i32>, String)> = report
            .facts
            .iter()
            .filter(|f| {
                f.metric.as_str() == "performance.project"
                    && f.aspect == crate::model::Aspect::Budget
            })
            .map(|f| (f.period, f.raw.clone()))
            .collect();
        assert_eq!(
            budgets,
            vec![(Some(2024), "50".to_string()), (None, "40".to_string())]
        );
    }

    #[test]
    fn conflicts_flag_one_years_project_printed_with_two_budgets() {
        let (flags, checked) = run(&ConflictingValues, &final_with_two_forms("2023年"));
        assert_eq!((flags.len(), checked), (1, 1), "{flags:?}");
    }
}
