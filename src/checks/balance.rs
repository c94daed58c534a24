//! BALANCE_MISMATCH (final accounts): income total − expenditure total = year-end carry-over,
//! and the balance identities of the summary tables (总计 = 本年合计 + 结转…, 收入总计 =
//! 支出总计).

use super::sums::check_identities;
use super::tolerance::Interval;
use super::{show, show_like, Doc, DocumentRule, Findings, Flag};
use crate::model::{Fact, FactKey, Kind, Source};

pub struct BalanceMismatch;

fn prose_value<'a>(doc: &Doc<'a>, metric: &str) -> Option<&'a Fact> {
    let mut facts = doc.with_key(&FactKey::value_of(metric));
    facts.find(|f| f.source == Source::Prose)
}

impl DocumentRule for BalanceMismatch {
    fn id(&self) -> &'static str {
        "BALANCE_MISMATCH"
    }

    fn check(&self, doc: &Doc<'_>, out: &mut Findings) {
        if doc.report.document.kind != Some(Kind::Final) {
            out.note("balance applies to final accounts (决算) only");
            return;
        }
        let slack = doc.pct_slack();
        match (
            prose_value(doc, "income.total"),
            prose_value(doc, "expenditure.total"),
            prose_value(doc, "carryover.year_end"),
        ) {
            (Some(income), Some(spending), Some(carry)) => {
                let intervals = (
                    Interval::of_fact(income, slack),
                    Interval::of_fact(spending, slack),
                    Interval::of_fact(carry, slack),
                );
                if let (Some(i), Some(s), Some(c)) = intervals {
                    out.checked += 1;
                    if !(i - s).intersects(c) {
                        let (iv, sv, cv) = (
                            income.value.unwrap_or_default(),
                            spending.value.unwrap_or_default(),
                            carry.value.unwrap_or_default(),
                        );
                        out.flag(
                            Flag::on(
                                carry,
                                format!(
                                    "收入总计{} − 支出总计{} = {}，所列年末结转和结余为{}",
                                    show(iv),
                                    show(sv),
                                    show(iv - sv),
                                    show(cv)
                                ),
                            )
                            .expected_found(show(iv - sv), show(cv))
                            .difference(cv - (iv - sv)),
                        );
                    }
                } else {
                    out.note("income or expenditure total is a placeholder");
                }
            }
            _ => out.note(
                "prose does not state income total, expenditure total and year-end carry-over",
            ),
        }
        check_identities(
            doc,
            out,
            |s| &s.balances,
            false,
            |_, total, parts, sum, diff, _, out| {
                out.flag(
                    Flag::on(
                        total,
                        format!(
                            "{}：{} = {}，所列为{}",
                            total.label.trim(),
                            parts
                                .iter()
                                .map(|p| format!("{} {}", p.label.trim(), p.raw))
                                .collect::<Vec<_>>()
                                .join(" + "),
                            show_like(sum, total),
                            total.raw
                        ),
                    )
                    .expected_found(show_like(sum, total), &total.raw)
                    .difference(-diff),
                );
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::run;

    fn text(carry: &str) -> String {
        format!("第二部分 2019年度部门决算情况说明\n（一）收入总计384.30万元，包括：\n（二）支出总计318.36万元，包括：\n（三）年末结转和结余{carry}万元。")
    }

    #[test]
    fn balance_flags_income_minus_spending_not_carried_over() {
        let (flags, checked) = run(&BalanceMismatch, &text("60.94"));
        assert_eq!((flags.len(), checked), (1, 1));
        assert_eq!(flags[0].expected.as_deref(), Some("65.94"));
    }

    #[test]
    fn balance_near_miss_within_printed_precision() {
        // 384.30 − 318.36 stands for [65.93, 65.95]; 65.955 is just outside, 65.95 inside.
        assert_eq!(run(&BalanceMismatch, &text("65.956")).0.len(), 1);
        assert!(run(&BalanceMismatch, &text("65.95")).0.is_empty());
    }

    #[test]
    fn balance_is_skipped_for_budgets() {
        let (flags, checked) = run(
            &BalanceMismatch,
            "第三部分 2024年度部门预算情况说明\n收入预算114.14万元，包括：\n（二）支出预算100万元，包括：",
        );
        assert!(flags.is_empty());
        assert_eq!(checked, 0);
    }
}
