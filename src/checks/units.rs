//! UNIT_SUSPECT: a figure printed in 元 that equals the 万元 figure of the same item, or two
//! printings of one item 10⁴ apart — 元 mistaken for 万元 or the reverse.
//!
//! The same item is the same fact key, or a project's cost indicator and the project's budget
//! (`互联网宽带租赁成本 = 130 元` in the targets of a project budgeted at `130` 万元).

use std::sync::OnceLock;

use regex::Regex;
use rust_decimal::Decimal;

use super::tolerance::Interval;
use super::{show, Doc, DocumentRule, Findings, Flag};
use crate::model::{Aspect, Fact, FactKey, MetricKey, Unit, UnitKind};

pub struct UnitSuspect;

pub(super) const TEN_THOUSAND: Decimal = Decimal::from_parts(10_000, 0, 0, false, 0);

/// True when `a` and `b` (normalized) may be the same number with 元/万元 swapped.
fn ten_thousand_apart(a: &Fact, b: &Fact, slack: Decimal) -> bool {
    let (Some(ia), Some(ib)) = (Interval::of_fact(a, slack), Interval::of_fact(b, slack)) else {
        return false;
    };
    if a.value.is_none_or(|v| v.is_zero()) || b.value.is_none_or(|v| v.is_zero()) {
        return false;
    }
    ia.scale(TEN_THOUSAND).intersects(ib) || ib.scale(TEN_THOUSAND).intersects(ia)
}

pub(super) fn printed_equal_units_differ(a: &Fact, b: &Fact) -> bool {
    a.printed.is_some()
        && a.printed == b.printed
        && a.printed_unit != b.printed_unit
        && a.printed.is_some_and(|v| !v.is_zero())
}

impl DocumentRule for UnitSuspect {
    fn id(&self) -> &'static str {
        "UNIT_SUSPECT"
    }

    fn check(&self, doc: &Doc<'_>, out: &mut Findings) {
        let slack = doc.pct_slack();
        let amounts: Vec<&Fact> = doc
            .facts()
            .iter()
            .filter(|f| f.unit.kind() == UnitKind::Amount && f.value.is_some())
            .collect();
        // Cost indicators against their project's budget.
        for indicator in amounts
            .iter()
            .filter(|f| f.metric.as_str() == "performance.indicator")
        {
            let Some(project) = indicator.item.as_deref().and_then(|i| i.split('/').next()) else {
                continue;
            };
            let key = FactKey {
                metric: MetricKey::new("performance.project"),
                code: None,
                item: Some(project.to_string()),
                aspect: Aspect::Budget,
                period: indicator.period,
            };
            let Some(budget) = doc.with_key(&key).find(|f| f.value.is_some()) else {
                continue;
            };
            out.checked += 1;
            if printed_equal_units_differ(indicator, budget) {
                out.flag(
                    Flag::on(
                        indicator,
                        format!(
                            "指标值{}与项目“{}”预算{}{}数字相同而单位不同，疑似单位错误",
                            indicator.raw,
                            project,
                            show(budget.printed.unwrap_or_default()),
                            budget.printed_unit.as_str()
                        ),
                    )
                    .expected_found(
                        format!(
                            "{}{}",
                            show(budget.printed.unwrap_or_default()),
                            Unit::WanYuan.as_str()
                        ),
                        &indicator.raw,
                    ),
                );
            }
        }
        // Two printings of one fact key.
        for (i, a) in amounts.iter().enumerate() {
            if a.printed_unit != Unit::Yuan {
                continue;
            }
            for b in amounts.iter().skip(i + 1).chain(amounts.iter().take(i)) {
                if b.key() != a.key() || b.printed_unit == Unit::Yuan {
                    continue;
                }
                out.checked += 1;
                if printed_equal_units_differ(a, b) || ten_thousand_apart(a, b, slack) {
                    out.flag(
                        Flag::on(
                            a,
                            format!("{}与{}相差10⁴倍，疑似元/万元混用", a.quote, b.quote),
                        )
                        .expected_found(&b.raw, &a.raw),
                    );
                    break;
                }
            }
        }
        missing_percent_signs(doc, out);
        if out.checked == 0 {
            out.note("no figure printed in 元 beside a 万元 figure of the same item");
        }
    }
}

/// `…15411.43 万元，占 76.23;` among shares printed with `%`: a share without its unit.
fn missing_percent_signs(doc: &Doc<'_>, out: &mut Findings) {
    static R: OnceLock<Regex> = OnceLock::new();
    let bare_share = R.get_or_init(|| {
        Regex::new(r"占\s*([0-9]+(?:\.[0-9]+)?)\s*([;；,，。]|$)").expect("static")
    });
    for line in doc.report.detail.lines.iter().filter(|l| !l.contents) {
        let shares_with_unit =
            line.text.matches('占').count() - bare_share.find_iter(&line.text).count();
        if shares_with_unit == 0 {
            continue;
        }
        for c in bare_share.captures_iter(&line.text) {
            let Some(number) = c.get(1) else { continue };
            out.checked += 1;
            let from = line.text[..number.start()].chars().count();
            let raw: Vec<char> = line.raw.chars().collect();
            let to = (from + number.as_str().chars().count()).min(raw.len());
            out.flag(Flag {
                message: format!("占比“{}”缺少百分号（同句其他占比均带%）", number.as_str()),
                evidence: raw[from.saturating_sub(16).min(to)..to]
                    .iter()
                    .collect::<String>()
                    .trim()
                    .to_string(),
                location: Some(line.location_at(from).clone()),
                expected: Some(format!("{}%", number.as_str())),
                found: Some(number.as_str().to_string()),
                ..Flag::default()
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::run;

    fn table(unit: &str, value: &str) -> String {
        format!("附件\n\t部门预算项目（政策）绩效目标表\n\n\t单位:万元\n\n\t项目(政策)名称\n\t大洼区电子政务外网项目\n\n\t预算资金情况\n\t130\n\n\t绩效指标\n\t一级指标\n\t二级指标\n\t三级指标\n\t运算符号\n\t指标值\n\t度量单位\n\n\t\n\t产出指标\n\t成本指标\n\t互联网宽带租赁成本\n\t=\n\t{value}\n\t{unit}\n")
    }

    #[test]
    fn units_flag_a_yuan_indicator_equal_to_the_wan_yuan_budget() {
        let (flags, checked) = run(&UnitSuspect, &table("元", "130"));
        assert_eq!((flags.len(), checked), (1, 1));
        assert_eq!(
            flags[0].item.as_deref(),
            Some("大洼区电子政务外网项目/互联网宽带租赁成本")
        );
    }

    #[test]
    fn units_near_miss_consistent_units_or_other_numbers() {
        assert!(run(&UnitSuspect, &table("万元", "130")).0.is_empty());
        assert!(run(&UnitSuspect, &table("元", "1300000")).0.is_empty());
        assert!(run(&UnitSuspect, &table("元", "131")).0.is_empty());
    }
}
