//! EXECUTION_RATE (info): a completion rate outside the configured band, a budgeted item
//! executed 0, or a completion rate stated where the budget was 0. One flag per item.

use std::collections::BTreeSet;

use rust_decimal::Decimal;

use super::{show, Doc, DocumentRule, Findings, Flag};
use crate::model::{Aspect, Fact, FactKey};

pub struct ExecutionRate;

fn value_of<'a>(doc: &Doc<'a>, near: &Fact, aspect: Aspect) -> Option<&'a Fact> {
    doc.value_near(&Doc::key_with(near, aspect), near)
}

impl DocumentRule for ExecutionRate {
    fn id(&self) -> &'static str {
        "EXECUTION_RATE"
    }

    fn check(&self, doc: &Doc<'_>, out: &mut Findings) {
        let (min, max) = (
            doc.threshold("execution_min_pct"),
            doc.threshold("execution_max_pct"),
        );
        let mut flagged: BTreeSet<FactKey> = BTreeSet::new();
        // Budgeted, executed nothing (or budgeted nothing, completion stated anyway).
        for budget in doc.facts().iter().filter(|f| f.aspect == Aspect::Budget) {
            let Some(b) = budget.value else { continue };
            let executed = value_of(doc, budget, Aspect::Value);
            let rate = value_of(doc, budget, Aspect::CompletionPct);
            out.checked += 1;
            let key = Doc::key_with(budget, Aspect::Value);
            if b > Decimal::ZERO && executed.and_then(|e| e.value) == Some(Decimal::ZERO) {
                let rate_text = rate
                    .and_then(|r| r.value)
                    .map_or(String::new(), |r| format!("，执行率{}%", show(r)));
                flagged.insert(key);
                out.flag(
                    Flag::on(
                        budget,
                        format!("预算{}万元，全年执行数为0{rate_text}", show(b)),
                    )
                    .expected_found(format!("> 0 of {}", show(b)), "0"),
                );
            } else if b.is_zero() {
                if let Some(r) = rate.filter(|r| r.value.is_some_and(|v| !v.is_zero())) {
                    flagged.insert(key);
                    out.flag(
                        Flag::on(r, format!("预算数为0，却列示完成率{}", r.raw))
                            .expected_found("no rate (zero budget)", &r.raw),
                    );
                }
            }
        }
        for rate in doc
            .facts()
            .iter()
            .filter(|f| f.aspect == Aspect::CompletionPct)
        {
            let Some(r) = rate.value else { continue };
            let key = Doc::key_with(rate, Aspect::Value);
            if flagged.contains(&key) {
                continue;
            }
            // Nothing spent and no budget printed: a 0% of nothing says nothing.
            let spent = value_of(doc, rate, Aspect::Value).and_then(|f| f.value);
            let budget = value_of(doc, rate, Aspect::Budget).and_then(|f| f.value);
            if spent == Some(Decimal::ZERO) && budget.is_none_or(|b| b.is_zero()) {
                continue;
            }
            out.checked += 1;
            if r < min || r > max {
                flagged.insert(key);
                out.flag(
                    Flag::on(
                        rate,
                        format!("{}，超出{}%–{}%区间", rate.quote, show(min), show(max)),
                    )
                    .expected_found(
                        format!("{}%–{}%", show(min), show(max)),
                        format!("{}%", show(r)),
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::run;

    fn text(rate: &str) -> String {
        format!("第二部分 2023年度部门决算情况说明\n2023年度财政拨款支出472.39万元，完成年初预算的{rate}%。")
    }

    #[test]
    fn execution_flags_rates_outside_the_band() {
        assert_eq!(run(&ExecutionRate, &text("300")).0.len(), 1);
        assert_eq!(run(&ExecutionRate, &text("49.99")).0.len(), 1);
    }

    #[test]
    fn execution_near_miss_the_band_edges_are_inside() {
        assert!(run(&ExecutionRate, &text("150")).0.is_empty());
        assert!(run(&ExecutionRate, &text("50")).0.is_empty());
    }

    /// A rate printed after a `（类）…（项）` heading names no item itself: the flag quotes the
    /// heading, verbatim, so the reader finds which item it is about.
    #[test]
    fn execution_flag_on_a_sub_item_names_the_item() {
        let text = "第二部分 2023年度部门决算情况说明\n（三）一般公共预算财政拨款支出决算具体情况\n\
                    1.社会保障和就业支出（类）行政事业单位养老支出（款）机关事业单位职业年金缴费支出（项）。年初预算为1万元，支出决算为3万元，完成年初预算的300%。";
        let (flags, _) = run(&ExecutionRate, text);
        assert_eq!(flags.len(), 1, "{flags:?}");
        let name =
            "社会保障和就业支出（类）行政事业单位养老支出（款）机关事业单位职业年金缴费支出（项）";
        assert_eq!(flags[0].evidence, format!("{name} / 完成年初预算的300%"));
        assert!(flags[0].message.starts_with(name));
        assert_eq!(flags[0].code.as_ref().map(|c| c.as_str()), Some("2080506"));
    }
}
