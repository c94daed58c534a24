//! GROWTH_MISMATCH: `增加d…增长p%` that contradicts the current amount and the change, including
//! a percentage growth from a zero base.

use rust_decimal::Decimal;

use super::tolerance::Interval;
use super::{show, Doc, DocumentRule, Findings, Flag};
use crate::model::Aspect;

pub struct GrowthMismatch;

impl DocumentRule for GrowthMismatch {
    fn id(&self) -> &'static str {
        "GROWTH_MISMATCH"
    }

    fn check(&self, doc: &Doc<'_>, out: &mut Findings) {
        let slack = doc.pct_slack();
        for pct in doc.facts().iter().filter(|f| f.aspect == Aspect::YoyPct) {
            let Some(stated) = pct.value else { continue };
            let value = doc.value_near(&Doc::key_with(pct, Aspect::Value), pct);
            let delta = doc.value_near(&Doc::key_with(pct, Aspect::YoyDelta), pct);
            // A budget states last year's execution instead of the change:
            // `2025年当年预算执行数为X万元，2026年预算安排Y万元，比2025年执行数增加p%`.
            let prior = delta
                .is_none()
                .then(|| doc.value_near(&Doc::key_with(pct, Aspect::Prior), pct))
                .flatten();
            let Some(value) = value else {
                out.note(format!(
                    "{}: the growth rate's amount is not printed",
                    pct.metric
                ));
                continue;
            };
            let Some(v) = Interval::of_fact(value, slack) else {
                continue;
            };
            let vv = value.value.unwrap_or_default();
            // (prior-year interval, change interval, change, prior-year amount) as the document
            // gives them.
            let (base, change, dv, pv, prior_quote) = match (delta, prior) {
                (Some(delta), _) => {
                    let Some(d) = Interval::of_fact(delta, slack) else {
                        continue;
                    };
                    let dv = delta.value.unwrap_or_default();
                    (v - d, d, dv, vv - dv, None)
                }
                (None, Some(prior)) => {
                    let Some(p) = Interval::of_fact(prior, slack) else {
                        continue;
                    };
                    let pv = prior.value.unwrap_or_default();
                    (p, v - p, vv - pv, pv, Some(prior.quote.clone()))
                }
                (None, None) => {
                    out.note(format!(
                        "{}: the growth rate's change or prior-year amount is not printed",
                        pct.metric
                    ));
                    continue;
                }
            };
            // The document's own numbers put last year at zero: no percentage can follow.
            if pv.is_zero() && !stated.is_zero() {
                out.checked += 1;
                out.flag(
                    Flag::on(
                        pct,
                        format!(
                            "上年数为0（本年{} − 增减{}），增长率无从计算，所列为{}%",
                            show(vv),
                            show(dv),
                            show(stated)
                        ),
                    )
                    .expected_found("no rate (zero base)", format!("{}%", show(stated))),
                );
                continue;
            }
            let Some(rate) = change
                .checked_div(base)
                .map(|r| r.scale(Decimal::ONE_HUNDRED))
            else {
                out.note(format!("{}: the prior-year amount may be zero", pct.metric));
                continue;
            };
            out.checked += 1;
            let growth_slack = doc.threshold("growth_pct_slack");
            if !rate.intersects(Interval::percent(stated, growth_slack)) {
                let exact = (dv / pv * Decimal::ONE_HUNDRED).round_dp(2);
                let why = match &prior_quote {
                    Some(q) => format!("（本年{} / {}）", show(vv), q.trim()),
                    None => format!("（增减{} / 上年{}）", show(dv), show(pv)),
                };
                out.flag(
                    Flag::on(
                        pct,
                        format!("增长率应为{}%{why}，所列为{}%", show(exact), show(stated)),
                    )
                    .expected_found(format!("{}%", show(exact)), format!("{}%", show(stated)))
                    .difference(stated - exact),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::run;

    fn text(value: &str, delta: &str, pct: &str) -> String {
        format!("第二部分 2019年度部门决算情况说明\n（一）收入总计{value}万元，包括：\n与上年相比，今年收入增加{delta}万元，增长{pct}%。")
    }

    #[test]
    fn growth_flags_a_rate_the_amounts_contradict() {
        let (flags, checked) = run(&GrowthMismatch, &text("384.30", "201.92", "127.31"));
        assert_eq!((flags.len(), checked), (1, 1));
        assert_eq!(flags[0].expected.as_deref(), Some("110.71%"));
    }

    #[test]
    fn growth_near_miss_at_the_edge_of_printed_precision() {
        // 1.04/(1.92−1.04) spans [116.29%, 120.12%] over the printed intervals; a stated rate
        // has 0.5 point of slack (growth_pct_slack).
        assert!(run(&GrowthMismatch, &text("1.92", "1.04", "117.62"))
            .0
            .is_empty());
        assert!(run(&GrowthMismatch, &text("1.92", "1.04", "115.8"))
            .0
            .is_empty());
        assert_eq!(
            run(&GrowthMismatch, &text("1.92", "1.04", "115.6")).0.len(),
            1
        );
    }

    #[test]
    fn growth_within_half_a_point_is_not_flagged() {
        // 宜川路街道 2025: 19.56 down 3.59 is −15.51%; the document prints −15.31% (the total's
        // rate copied). A finance bureau's check sheet passes it; 0.7 point off does not pass.
        let text = |pct: &str| {
            format!("第二部分 2025年度部门决算情况说明\n公务用车购置及运行维护费支出19.56万元，比2024年度减少3.59万元，下降{pct}%。")
        };
        assert!(run(&GrowthMismatch, &text("15.31")).0.is_empty());
        assert_eq!(run(&GrowthMismatch, &text("14.81")).0.len(), 1);
    }

    #[test]
    fn growth_against_last_years_execution() {
        // 当年预算执行数 is the base: 100 → 120 is +20%.
        let text = |exec: &str, pct: &str| {
            format!("上海市普陀区2026年区级部门预算\n四、部门预算编制说明\n1. “一般公共服务支出（类）统计信息事务（款）专项普查活动（项）”120.00万元，主要用于专项普查活动。2025年当年预算执行数为{exec}万元，2026年预算安排120.00万元，比2025年执行数增加{pct}%。")
        };
        assert!(run(&GrowthMismatch, &text("100.00", "20")).0.is_empty());
        assert!(run(&GrowthMismatch, &text("100.00", "20.4")).0.is_empty());
        let (flags, checked) = run(&GrowthMismatch, &text("100.00", "25"));
        assert_eq!((flags.len(), checked), (1, 1), "{flags:?}");
        assert_eq!(flags[0].expected.as_deref(), Some("20%"));
        // Another year's execution is not this change's base: nothing to check.
        let other = "上海市普陀区2026年区级部门预算\n四、部门预算编制说明\n1. “一般公共服务支出（类）统计信息事务（款）专项普查活动（项）”120.00万元。2023年当年预算执行数为100.00万元，比2025年执行数增加25%。";
        assert_eq!(run(&GrowthMismatch, other).1, 0);
    }

    #[test]
    fn growth_from_a_zero_base_is_flagged() {
        let (flags, _) = run(&GrowthMismatch, &text("10", "10", "100"));
        assert_eq!(flags.len(), 1);
        assert!(flags[0].message.contains("上年数为0"));
    }
}
