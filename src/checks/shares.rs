//! SHARE_MISMATCH: `占…的p%` that contradicts the amounts it relates.

use rust_decimal::Decimal;

use super::tolerance::Interval;
use super::{show, Doc, DocumentRule, Findings, Flag};
use crate::model::Aspect;

pub struct ShareMismatch;

impl DocumentRule for ShareMismatch {
    fn id(&self) -> &'static str {
        "SHARE_MISMATCH"
    }

    fn check(&self, doc: &Doc<'_>, out: &mut Findings) {
        let slack = doc.pct_slack();
        for share in doc.facts().iter().filter(|f| f.aspect == Aspect::SharePct) {
            let Some(stated) = share.value else { continue };
            let Some(basis) = &share.basis else {
                out.note("a share without a stated basis");
                continue;
            };
            let part = doc.value_near(&Doc::key_with(share, Aspect::Value), share);
            let whole = doc.value_near(basis, share);
            let (Some(part), Some(whole)) = (part, whole) else {
                out.note(format!(
                    "{}: the amounts of a share are not both printed",
                    share.metric
                ));
                continue;
            };
            let (Some(p), Some(w)) = (
                Interval::of_fact(part, slack),
                Interval::of_fact(whole, slack),
            ) else {
                continue;
            };
            let Some(ratio) = p.checked_div(w).map(|r| r.scale(Decimal::ONE_HUNDRED)) else {
                out.note("a share of a total that may be zero");
                continue;
            };
            out.checked += 1;
            if !ratio.intersects(Interval::percent(stated, slack)) {
                let (pv, wv) = (
                    part.value.unwrap_or_default(),
                    whole.value.unwrap_or_default(),
                );
                let exact = (pv / wv * Decimal::ONE_HUNDRED).round_dp(2);
                out.flag(
                    Flag::on(
                        share,
                        format!(
                            "占比应为{}%（{} / {}），所列为{}%",
                            show(exact),
                            part.quote,
                            whole.quote,
                            show(stated)
                        ),
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

    fn text(pct: &str) -> String {
        format!("第二部分 2022年度部门决算情况说明\n（二）支出总计1614.27万元，包括：\n1.基本支出1049.53万元，占支出总计的{pct}%。")
    }

    #[test]
    fn shares_flag_a_share_the_amounts_contradict() {
        let (flags, checked) = run(&ShareMismatch, &text("60"));
        assert_eq!((flags.len(), checked), (1, 1));
        assert_eq!(flags[0].expected.as_deref(), Some("65.02%"));
    }

    #[test]
    fn shares_near_miss_at_the_slack_edge() {
        // 1049.53/1614.27 = 65.016…%; `65%` covers [64.4, 66.1) with 0.1pp slack.
        assert!(run(&ShareMismatch, &text("65")).0.is_empty());
        // `64.9` covers [64.75, 65.1): still fine; `64.8` covers [64.65, 65.0): just short.
        assert!(run(&ShareMismatch, &text("64.9")).0.is_empty());
        assert_eq!(run(&ShareMismatch, &text("64.8")).0.len(), 1);
    }
}
