//! SUM_MISMATCH: stated parts that do not add up to their stated total.
//!
//! * prose lists: a lead-in and the items after its connector (`基本支出1049.53万元，其中工资福利
//!   支出…`). `主要包括` lists and a single item after `其中` are parts, not the whole: their
//!   items may not exceed the total but may fall short of it;
//! * tables: the code hierarchy (类 = Σ款, 款 = Σ项, 合计 = Σ类) of every coded column, and the
//!   identities a signature declares (`本年支出合计 = 基本支出 + 项目支出 + …`, `人员经费合计 =
//!   301 + 303`). An empty cell is not stated: with parts missing, only a sum that already
//!   exceeds the total is flagged.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::tolerance::Interval;
use super::{show_like, Doc, DocumentRule, Findings, Flag};
use crate::catalog::{catalog, IdentitySpec, TableSignature};
use crate::model::{Aspect, Code, Fact, UnitKind};

pub struct SumMismatch;

/// How a list of parts relates to its total.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Relation {
    /// Σ parts = total.
    Equal,
    /// Σ parts ≤ total (partial lists, tables with unstated cells).
    AtMost,
}

/// Σ parts against the total, with printed-precision tolerance; `Some((sum, diff))` when the
/// relation cannot hold for any values the printed numbers stand for.
pub(super) fn violation(
    total: &Fact,
    parts: &[&Fact],
    relation: Relation,
    slack: Decimal,
) -> Option<(Decimal, Decimal)> {
    let total_i = Interval::of_fact(total, slack)?;
    let parts_i = parts
        .iter()
        .map(|p| Interval::of_fact(p, slack))
        .collect::<Option<Vec<_>>>()?;
    let sum_i = Interval::sum(parts_i);
    let broken = match relation {
        Relation::Equal => !sum_i.intersects(total_i),
        Relation::AtMost => sum_i.lo > total_i.hi,
    };
    let sum: Decimal = parts.iter().filter_map(|p| p.value).sum();
    let value = total.value?;
    broken.then_some((sum, sum - value))
}

/// Σ parts against the total when the relation holds only thanks to rounding: the exact sum
/// differs from the printed total. `Some((sum, diff))` for such a rounding difference.
pub(super) fn rounding_difference(total: &Fact, parts: &[&Fact]) -> Option<(Decimal, Decimal)> {
    let value = total.value?;
    let sum = parts
        .iter()
        .map(|p| p.value)
        .try_fold(Decimal::ZERO, |acc, v| v.and_then(|v| acc.checked_add(v)))?;
    let diff = sum.checked_sub(value)?;
    (!diff.is_zero()).then_some((sum, diff))
}

fn describe(parts: &[&Fact]) -> String {
    parts
        .iter()
        .map(|p| {
            if p.quote.is_empty() {
                p.raw.clone()
            } else {
                p.quote.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

fn table_name(doc: &Doc<'_>, fact: &Fact) -> String {
    fact.table
        .and_then(|i| doc.report.tables.get(i))
        .map(|t| t.number.clone().unwrap_or_else(|| t.name.clone()))
        .unwrap_or_default()
}

impl DocumentRule for SumMismatch {
    fn id(&self) -> &'static str {
        "SUM_MISMATCH"
    }

    fn check(&self, doc: &Doc<'_>, out: &mut Findings) {
        sums_of(doc, out);
        out.flags.retain(|f| !f.hint);
    }
}

/// ROUNDING_DIFFERENCE (info): a table's parts add up to its total only within rounding — the
/// exact sum differs from the printed total by a last-digit difference. Not an error (SPEC §5
/// tolerance), but a finance bureau's check sheet lists it for the preparer to check.
pub struct RoundingDifference;

impl DocumentRule for RoundingDifference {
    fn id(&self) -> &'static str {
        "ROUNDING_DIFFERENCE"
    }

    fn check(&self, doc: &Doc<'_>, out: &mut Findings) {
        sums_of(doc, out);
        out.flags.retain(|f| f.hint);
        for f in &mut out.flags {
            f.hint = false;
        }
    }
}

/// [`all_sums`] into `out`, worked out once per document.
fn sums_of(doc: &Doc<'_>, out: &mut Findings) {
    let all = doc.sums.get_or_init(|| {
        let mut all = Findings::default();
        all_sums(doc, &mut all);
        all
    });
    out.flags.extend(all.flags.iter().cloned());
    out.checked += all.checked;
    for note in &all.notes {
        out.note(note.clone());
    }
}

/// Every sum of the document: flags of SUM_MISMATCH, and rounding differences marked `hint`.
fn all_sums(doc: &Doc<'_>, out: &mut Findings) {
    {
        check_lists(doc, out);
        check_table_hierarchies(doc, out);
        check_identities(
            doc,
            out,
            |s| &s.sums,
            true,
            |doc, total, parts, sum, diff, hint, out| {
                let flag = Flag::on(
                    total,
                    format!(
                        "{} {}：{} = {}，所列合计为{}{}",
                        table_name(doc, total),
                        total.label.trim(),
                        describe(parts),
                        show_like(sum, total),
                        total.raw,
                        if hint {
                            "；尾差在舍入范围内，请核对"
                        } else {
                            ""
                        }
                    ),
                )
                .expected_found(show_like(sum, total), &total.raw)
                .difference(-diff);
                out.flag(if hint { flag.hint() } else { flag });
            },
        );
    }
}

fn check_lists(doc: &Doc<'_>, out: &mut Findings) {
    let facts = doc.facts();
    for list in &doc.report.detail.lists {
        let Some(total) = facts.get(list.parent) else {
            continue;
        };
        if total.aspect != Aspect::Value {
            continue;
        }
        let parts: Vec<&Fact> = list
            .children
            .iter()
            .filter_map(|&i| facts.get(i))
            .filter(|f| f.aspect == Aspect::Value && f.unit.kind() == total.unit.kind())
            // Counts add up only in one unit: 辆 and 套 (`…其他用车0辆；…设备2套`) do not mix.
            .filter(|f| f.unit.kind() != UnitKind::Count || f.unit == total.unit)
            .collect();
        if parts.is_empty() {
            continue;
        }
        // `收支总预算X万元，其中本年收入预算…；本年支出预算…` lists both sides of a balance:
        // items of income and of expenditure under one lead-in are not its parts.
        let domain = |f: &Fact| {
            f.metric
                .as_str()
                .split('.')
                .next()
                .unwrap_or("")
                .to_string()
        };
        if parts.iter().any(|p| domain(p) != domain(total)) {
            out.note("a list mixing income and expenditure items is not a breakdown");
            continue;
        }
        if total.value.is_none() || parts.iter().any(|p| p.value.is_none()) {
            out.note("a list with a placeholder cannot be added up");
            continue;
        }
        let relation = if list.is_partial() || (parts.len() == 1 && list.connector == "其中") {
            Relation::AtMost
        } else {
            Relation::Equal
        };
        out.checked += 1;
        if let Some((sum, diff)) = violation(total, &parts, relation, doc.pct_slack()) {
            let verb = if relation == Relation::Equal {
                "之和"
            } else {
                "之和超过合计"
            };
            out.flag(
                Flag::on(
                    total,
                    format!(
                        "{}后所列分项{}：{} = {}，所列合计为{}",
                        list.connector,
                        verb,
                        describe(&parts),
                        show_like(sum, total),
                        total.raw
                    ),
                )
                .expected_found(show_like(sum, total), &total.raw)
                .difference(-diff),
            );
        }
    }
}

/// 类 = Σ款, 款 = Σ项 and 合计 = Σ类 within each (table, metric, aspect) column.
fn check_table_hierarchies(doc: &Doc<'_>, out: &mut Findings) {
    let mut columns: BTreeMap<(usize, &str, &str), Vec<&Fact>> = BTreeMap::new();
    for f in doc.facts() {
        if let (Some(t), true) = (f.table, f.item.is_none()) {
            columns
                .entry((t, f.metric.as_str(), f.aspect.as_str()))
                .or_default()
                .push(f);
        }
    }
    for ((table, metric, _), column) in columns {
        if column.iter().any(|f| f.value.is_none()) || incomplete(doc, table, metric) {
            continue;
        }
        let coded: Vec<&Fact> = column
            .iter()
            .copied()
            .filter(|f| f.code.is_some())
            .collect();
        for total in &column {
            let parts: Vec<&Fact> = match &total.code {
                Some(code) => coded
                    .iter()
                    .copied()
                    .filter(|f| f.code.as_ref().is_some_and(|c| is_child(c, code)))
                    .collect(),
                None => coded
                    .iter()
                    .copied()
                    .filter(|f| f.code.as_ref().is_some_and(|c| c.as_str().len() == 3))
                    .collect(),
            };
            if parts.is_empty() {
                continue;
            }
            out.checked += 1;
            let broken = violation(total, &parts, Relation::Equal, doc.pct_slack());
            let hint = broken
                .is_none()
                .then(|| rounding_difference(total, &parts))
                .flatten();
            if let Some((sum, diff)) = broken.or(hint) {
                let what = match &total.code {
                    Some(c) => format!("{c} {}：下级科目之和", total.label.trim()),
                    None => format!("{}：各类科目之和", total.label.trim()),
                };
                let flag = Flag::on(
                    total,
                    format!(
                        "{} {what}为{}，所列为{}（{}）{}",
                        table_name(doc, total),
                        show_like(sum, total),
                        total.raw,
                        parts
                            .iter()
                            .map(|p| format!(
                                "{} {}",
                                p.code.as_ref().map_or("", |c| c.as_str()),
                                p.raw
                            ))
                            .collect::<Vec<_>>()
                            .join(" + "),
                        if broken.is_some() {
                            ""
                        } else {
                            "；尾差在舍入范围内，请核对"
                        }
                    ),
                )
                .expected_found(show_like(sum, total), &total.raw)
                .difference(-diff);
                out.flag(if broken.is_some() { flag } else { flag.hint() });
            }
        }
    }
}

/// True when page text left numbers of `metric`'s column in table `table` unplaced.
pub(super) fn incomplete(doc: &Doc<'_>, table: usize, metric: &str) -> bool {
    doc.report
        .tables
        .get(table)
        .is_some_and(|t| t.incomplete.iter().any(|m| m == metric))
}

fn is_child(child: &Code, parent: &Code) -> bool {
    child.as_str().len() == parent.as_str().len() + 2 && child.is_descendant_of(parent)
}

/// A metric reference of an identity: `metric` or `metric@code`.
fn parse_ref(r: &str) -> (&str, Option<&str>) {
    match r.split_once('@') {
        Some((m, c)) => (m, Some(c)),
        None => (r, None),
    }
}

/// Checks the identities `select` picks from each recognized table's signature.
pub(super) fn check_identities<'d>(
    doc: &Doc<'d>,
    out: &mut Findings,
    select: impl Fn(&TableSignature) -> &Vec<IdentitySpec>,
    hints: bool,
    report: impl Fn(&Doc<'d>, &Fact, &[&Fact], Decimal, Decimal, bool, &mut Findings),
) {
    for (index, info) in doc.report.tables.iter().enumerate() {
        let Some(signature) = info.signature.as_ref().and_then(|id| catalog().table(id)) else {
            continue;
        };
        let facts: Vec<&Fact> = doc
            .facts()
            .iter()
            .filter(|f| f.table == Some(index))
            .collect();
        for identity in select(signature) {
            let touches_incomplete = std::iter::once(&identity.total)
                .chain(&identity.parts)
                .any(|r| incomplete(doc, index, parse_ref(r).0));
            if touches_incomplete {
                out.note(
                    "numbers of the table's page text could not all be placed in their columns",
                );
                continue;
            }
            let (total_metric, total_code) = parse_ref(&identity.total);
            let totals = facts.iter().copied().filter(|f| {
                f.metric.as_str() == total_metric
                    && f.item.is_none()
                    && total_code.is_none_or(|c| f.code.as_ref().is_some_and(|fc| fc.as_str() == c))
            });
            for total in totals {
                if total.value.is_none() {
                    continue;
                }
                let mut parts = Vec::new();
                let mut missing = 0;
                let mut placeholders = false;
                for part in &identity.parts {
                    let (metric, code) = parse_ref(part);
                    let code = code
                        .map(str::to_string)
                        .or_else(|| total.code.as_ref().map(|c| c.to_string()));
                    let found = facts.iter().copied().find(|f| {
                        f.metric.as_str() == metric
                            && f.aspect == total.aspect
                            && f.item.is_none()
                            && f.code.as_ref().map(|c| c.to_string()) == code
                    });
                    match found {
                        Some(f) if f.value.is_some() => parts.push(f),
                        Some(_) => {
                            missing += identity.parts.len();
                            placeholders = true;
                        }
                        None => missing += 1,
                    }
                }
                if parts.is_empty() || missing >= identity.parts.len() {
                    continue;
                }
                let relation = if missing == 0 {
                    Relation::Equal
                } else {
                    Relation::AtMost
                };
                out.checked += 1;
                if let Some((sum, diff)) = violation(total, &parts, relation, doc.pct_slack()) {
                    report(doc, total, &parts, sum, diff, false, out);
                } else if hints
                    && !placeholders
                    // Parts not printed at all (no 307 or 309 row) are nothing spent.
                    && violation(total, &parts, Relation::Equal, doc.pct_slack()).is_none()
                {
                    if let Some((sum, diff)) = rounding_difference(total, &parts) {
                        report(doc, total, &parts, sum, diff, true, out);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::run;

    const HEAD: &str = "第二部分 2022年度部门决算情况说明\n";

    #[test]
    fn sums_flag_a_list_that_does_not_add_up() {
        let text = format!("{HEAD}3.卫生健康支出45.82万元，具体包括：\n（1）事业单位医疗40.69万元。\n（2）公务员医疗补助5.15万元。");
        let (flags, checked) = run(&SumMismatch, &text);
        assert_eq!(checked, 1);
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].code.as_ref().map(|c| c.as_str()), Some("210"));
        // Expected = what the parts imply, found = the printed total, difference = found − expected.
        assert_eq!(flags[0].expected.as_deref(), Some("45.84"));
        assert_eq!(flags[0].found.as_deref(), Some("45.82万元"));
        assert_eq!(flags[0].difference.as_deref(), Some("-0.02"));
    }

    #[test]
    fn sums_near_miss_exactly_at_the_tolerance_edge() {
        // 40.69 + 5.15 stand for [45.83, 45.85]; 45.825 stands for [45.8245, 45.8255]: apart.
        let text = format!("{HEAD}3.卫生健康支出45.825万元，具体包括：\n（1）事业单位医疗40.69万元。\n（2）公务员医疗补助5.15万元。");
        assert_eq!(run(&SumMismatch, &text).0.len(), 1);
        // 45.8300 stands for [45.82995, 45.83005]: touches 45.83, so some values satisfy it.
        let text = format!("{HEAD}3.卫生健康支出45.8300万元，具体包括：\n（1）事业单位医疗40.69万元。\n（2）公务员医疗补助5.15万元。");
        assert!(run(&SumMismatch, &text).0.is_empty());
    }

    #[test]
    fn sums_skip_a_list_of_both_sides_of_a_balance() {
        // 西南大学 2021: the lead-in is the balance of income and expenditure.
        let text = format!(
            "{HEAD}我校2021年收支总预算490,808.40万元，其中本年收入预算390,140.45万元，使用非财政拨款结余18,953.73万元，上年结转81,714.17万元；本年支出预算415,808.40万元，结转下年75,000.00万元。"
        );
        let (flags, checked) = run(&SumMismatch, &text);
        assert_eq!((flags.len(), checked), (0, 0), "{flags:?}");
        // The income side alone adds up to the total and is checked.
        let text = format!(
            "{HEAD}我校2021年收入总计490,808.40万元，其中本年收入390,140.45万元，使用非财政拨款结余18,953.73万元，上年结转81,714.17万元。"
        );
        let (flags, checked) = run(&SumMismatch, &text);
        assert_eq!((flags.len(), checked), (1, 1), "{flags:?}");
    }

    #[test]
    fn sums_partial_lists_may_fall_short_but_not_exceed() {
        let text = format!(
            "{HEAD}2022年机关运行经费支出5.38万元，主要包括：办公费2.7万元、印刷费1.26万元。"
        );
        let (flags, checked) = run(&SumMismatch, &text);
        assert_eq!((flags.len(), checked), (0, 1));
        let text = format!(
            "{HEAD}2022年机关运行经费支出5.38万元，主要包括：办公费4.7万元、印刷费1.26万元。"
        );
        assert_eq!(run(&SumMismatch, &text).0.len(), 1);
    }

    #[test]
    fn sums_check_table_hierarchy_and_declared_identities() {
        let table = "一般公共预算财政拨款支出决算表\n\t公开05表\n\n\t部门：某某\n\t金额单位：万元\n\n\t项目\n\t\n\t本年支出\n\t\n\t\n\n\t功能分类科目编码\n\t科目名称\n\t小计\n\t基本支出\n\t项目支出\n\n\t合计\n\t\n\t10.00\n\t6.00\n\t4.00\n\n\t201\n\t一般公共服务支出\n\t10.00\n\t6.00\n\t4.00\n\n\t20103\n\t政府办公厅（室）及相关机构事务\n\t9.00\n\t6.00\n\t4.00\n";
        let (flags, _) = run(&SumMismatch, &format!("{HEAD}{table}"));
        // Expected = what the parts add up to, found = the printed total.
        let found: Vec<_> = flags
            .iter()
            .map(|f| {
                (
                    f.code.as_ref().map(|c| c.to_string()),
                    f.expected.clone(),
                    f.found.clone(),
                )
            })
            .collect();
        // 201 = Σ款 fails (9 ≠ 10); 20103's 小计 ≠ 基本 + 项目 (9 ≠ 10).
        assert!(
            found.contains(&(Some("201".into()), Some("9".into()), Some("10.00".into()))),
            "{found:?}"
        );
        assert!(
            found.contains(&(Some("20103".into()), Some("10".into()), Some("9.00".into()))),
            "{found:?}"
        );
        assert_eq!(flags.len(), 2);
    }
}
