//! DIRECTION_MISMATCH: the wording contradicts the numbers — `决算数大于预算数` beside a
//! completion rate under 100% (or `小于` over 100%), a change stated as `增加` while its rate
//! says it fell (or the reverse), `持平` for a measure the document says changed.

use std::sync::OnceLock;

use regex::Regex;
use rust_decimal::Decimal;

use super::conflicts::is_flat_word;
use super::tolerance::Interval;
use super::{show, Doc, DocumentRule, Findings, Flag};
use crate::model::{Aspect, Fact};

pub struct DirectionMismatch;

fn comparison() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"决算数?(大于|高于|超过|多于|小于|低于|少于)(?:年初)?预算")
            .expect("static pattern")
    })
}

/// The wording printed right after each completion rate on its line, up to the next sentence
/// end or number and at most [`AFTER_CHARS`] characters: one pass over each line however many
/// rates it prints (a 50 MB line must not be walked once per rate).
fn words_after_rates<'a>(doc: &Doc<'a>) -> Vec<(&'a Fact, String)> {
    use foldhash::HashMap;
    use std::collections::BTreeMap;
    let lines: HashMap<u32, &str> = doc
        .report
        .detail
        .lines
        .iter()
        .map(|l| (l.number, l.text.as_str()))
        .collect();
    let mut by_line: BTreeMap<u32, Vec<(usize, &'a Fact)>> = BTreeMap::new();
    for rate in doc
        .facts()
        .iter()
        .filter(|f| f.aspect == Aspect::CompletionPct && f.value.is_some())
    {
        if let (Some(n), Some((_, end))) = (rate.line, rate.span) {
            by_line.entry(n).or_default().push((end, rate));
        }
    }
    let mut out = Vec::new();
    for (n, mut rates) in by_line {
        let Some(line) = lines.get(&n) else { continue };
        rates.sort_by_key(|(end, _)| *end);
        let mut chars = line.char_indices().enumerate().peekable();
        for (end, rate) in rates {
            // Advance the one cursor to char `end`.
            while chars.peek().is_some_and(|(i, _)| *i < end) {
                chars.next();
            }
            let start = chars.peek().map_or(line.len(), |(_, (b, _))| *b);
            let words: String = line[start..]
                .chars()
                .take(AFTER_CHARS)
                .take_while(|c| *c != '。' && !c.is_ascii_digit())
                .collect();
            out.push((rate, words));
        }
    }
    out
}

/// How far after a rate its wording (`，决算数大于预算数`) is looked for.
const AFTER_CHARS: usize = 60;

impl DocumentRule for DirectionMismatch {
    fn id(&self) -> &'static str {
        "DIRECTION_MISMATCH"
    }

    fn check(&self, doc: &Doc<'_>, out: &mut Findings) {
        let slack = doc.pct_slack();
        // 决算数大于/小于预算数 beside a completion rate.
        for (rate, rest) in words_after_rates(doc) {
            let Some(value) = rate.value else { continue };
            // Only up to the next number: the wording belongs to this rate.
            let Some(c) = comparison().captures(&rest) else {
                continue;
            };
            out.checked += 1;
            let more = matches!(&c[1], "大于" | "高于" | "超过" | "多于");
            let stated = Interval::percent(value, slack);
            let contradicts = if more {
                !stated.intersects(Interval {
                    lo: Decimal::ONE_HUNDRED,
                    hi: Decimal::MAX,
                    lo_open: true,
                    hi_open: false,
                })
            } else {
                !stated.intersects(Interval {
                    lo: Decimal::MIN,
                    hi: Decimal::ONE_HUNDRED,
                    lo_open: false,
                    hi_open: true,
                })
            };
            if contradicts {
                out.flag(
                    Flag::on(
                        rate,
                        format!("称“{}”，但完成年初预算的{}%", &c[0], show(value)),
                    )
                    .expected_found(
                        if more { "> 100%" } else { "< 100%" },
                        format!("{}%", show(value)),
                    ),
                );
            }
        }
        // 增加 with a falling rate, 减少 with a rising one (same measure, same line). Rates are
        // indexed once by measure and place: no pairing of every change with every rate.
        let mut rates: foldhash::HashMap<(crate::model::FactKey, &crate::model::Location), &Fact> =
            foldhash::HashMap::default();
        for p in doc
            .facts()
            .iter()
            .filter(|f| f.aspect == Aspect::YoyPct && f.value.is_some_and(|v| !v.is_zero()))
        {
            rates.entry((p.key(), &p.location)).or_insert(p);
        }
        for delta in doc
            .facts()
            .iter()
            .filter(|f| f.aspect == Aspect::YoyDelta && !is_flat_word(f))
        {
            let Some(d) = delta.value.filter(|d| !d.is_zero()) else {
                continue;
            };
            let Some(&pct) = rates.get(&(Doc::key_with(delta, Aspect::YoyPct), &delta.location))
            else {
                continue;
            };
            out.checked += 1;
            let p = pct.value.unwrap_or_default();
            if d.is_sign_negative() != p.is_sign_negative() {
                out.flag(
                    Flag::on(
                        pct,
                        format!("增减额{}与增减率{}方向相反", delta.quote, pct.quote),
                    )
                    .expected_found(
                        if d.is_sign_negative() {
                            "a fall"
                        } else {
                            "a rise"
                        },
                        &pct.raw,
                    ),
                );
            }
        }
        // Budgets: `2025年当年预算执行数为40万元，2026年预算安排30万元，比2025年执行数增加25%`
        // — the rate's word against the two amounts.
        // The first fact with a value of each measure, aspect and line, built once.
        let mut on_line: foldhash::HashMap<(crate::model::FactKey, Option<u32>), &Fact> =
            foldhash::HashMap::default();
        let mut deltas_on_line = foldhash::HashSet::default();
        for f in doc.facts() {
            if f.aspect == Aspect::YoyDelta {
                deltas_on_line.insert((f.key(), f.line));
            }
            if f.value.is_some() {
                on_line.entry((f.key(), f.line)).or_insert(f);
            }
        }
        for pct in doc
            .facts()
            .iter()
            .filter(|f| f.aspect == Aspect::YoyPct && f.value.is_some_and(|v| !v.is_zero()))
        {
            if deltas_on_line.contains(&(Doc::key_with(pct, Aspect::YoyDelta), pct.line)) {
                continue;
            }
            let same_line = |aspect: Aspect| {
                on_line
                    .get(&(Doc::key_with(pct, aspect), pct.line))
                    .copied()
            };
            let (Some(prior), Some(value)) = (same_line(Aspect::Prior), same_line(Aspect::Value))
            else {
                continue;
            };
            let (pv, vv, p) = (
                prior.value.unwrap_or_default(),
                value.value.unwrap_or_default(),
                pct.value.unwrap_or_default(),
            );
            if pv == vv {
                continue;
            }
            out.checked += 1;
            if (vv < pv) != p.is_sign_negative() {
                out.flag(
                    Flag::on(
                        pct,
                        format!(
                            "{}，但{}{}{}",
                            pct.quote.trim(),
                            value.quote.trim(),
                            if vv < pv { "低于" } else { "高于" },
                            prior.quote.trim()
                        ),
                    )
                    .expected_found(if vv < pv { "a fall" } else { "a rise" }, &pct.raw),
                );
            }
        }
        // `减少为0.00万元，与2024年持平`, `比2025年预算增加持平`: a change and no change in one
        // breath.
        static SAID_BOTH: OnceLock<Regex> = OnceLock::new();
        let said_both = SAID_BOTH.get_or_init(|| {
            Regex::new(r"(增加|减少|增长|下降|降低|上升)(?:为|到|至)?\s*(?:[0-9.,]+\s*万?元)?\s*[,，]?\s*(?:(?:与|较|比)[^。；;，,]{0,14})?持平")
                .expect("static pattern")
        });
        for line in doc.report.detail.lines.iter().filter(|l| !l.contents) {
            // Char positions counted incrementally and the raw text split once per line.
            let mut raw: Option<Vec<char>> = None;
            let (mut counted_to, mut from) = (0usize, 0usize);
            for m in said_both.find_iter(&line.text) {
                out.checked += 1;
                from += line.text[counted_to..m.start()].chars().count();
                counted_to = m.start();
                let raw = raw.get_or_insert_with(|| line.raw.chars().collect());
                let to = (from + m.as_str().chars().count()).min(raw.len());
                let lo = from.saturating_sub(10);
                out.flag(Flag {
                    message: format!("同一句既称变化又称持平：“{}”", m.as_str()),
                    evidence: raw[lo.min(to)..to]
                        .iter()
                        .collect::<String>()
                        .trim()
                        .to_string(),
                    location: Some(line.location_at(from).clone()),
                    expected: Some("a change or 持平".into()),
                    found: Some(m.as_str().to_string()),
                    ..Flag::default()
                });
            }
        }
        // 持平 for a measure with a printed change (the first change of each measure, once).
        let mut first_change: foldhash::HashMap<crate::model::FactKey, Option<&Fact>> =
            foldhash::HashMap::default();
        for flat in doc
            .facts()
            .iter()
            .filter(|f| f.aspect == Aspect::YoyDelta && is_flat_word(f))
        {
            out.checked += 1;
            let changed = [Aspect::YoyDelta, Aspect::YoyPct].iter().find_map(|&a| {
                *first_change
                    .entry(Doc::key_with(flat, a))
                    .or_insert_with_key(|k| {
                        doc.with_key(k)
                            .find(|f| !is_flat_word(f) && f.value.is_some_and(|v| !v.is_zero()))
                    })
            });
            if let Some(changed) = changed {
                out.flag(
                    Flag::on(
                        flat,
                        format!(
                            "称“{}”，但{}记载有变化（{}）",
                            flat.raw, changed.location, changed.quote
                        ),
                    )
                    .expected_found("no change", &changed.raw),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::run;

    #[test]
    fn direction_of_a_rate_against_last_years_execution() {
        let text = |word: &str| {
            format!("上海市普陀区2026年区级部门预算\n四、部门预算编制说明\n2. “公共安全支出（类）司法（款）公共法律服务（项）”30.00万元，主要用于公共法律服务。2025年当年预算执行数为40.00万元，2026年预算安排30.00万元，比2025年执行数{word}25%。")
        };
        let (flags, checked) = run(&DirectionMismatch, &text("增加"));
        assert_eq!((flags.len(), checked), (1, 1), "{flags:?}");
        assert!(run(&DirectionMismatch, &text("减少")).0.is_empty());
    }

    fn text(rate: &str, word: &str) -> String {
        format!("第三部分 2019年度部门决算情况说明\n2019年度财政拨款支出318.36万元，完成年初预算的{rate}%，决算数{word}年初预算数的原因主要是基数调整。")
    }

    #[test]
    fn direction_flags_more_than_budget_with_a_low_rate() {
        let (flags, checked) = run(&DirectionMismatch, &text("89", "大于"));
        assert_eq!((flags.len(), checked), (1, 1));
        assert_eq!(run(&DirectionMismatch, &text("120", "小于")).0.len(), 1);
    }

    #[test]
    fn direction_near_miss_rates_at_100() {
        // `100%` stands for [99.4, 101.1) with slack: it may be above or below 100.
        assert!(run(&DirectionMismatch, &text("100", "大于")).0.is_empty());
        assert!(run(&DirectionMismatch, &text("100", "小于")).0.is_empty());
        assert!(run(&DirectionMismatch, &text("103", "大于")).0.is_empty());
    }

    #[test]
    fn direction_flags_flat_with_a_change_and_opposite_signs() {
        let t = "第三部分 2024年度部门预算情况说明\n2024年机关运行经费预算安排5.38万元，与2023年度持平。\n2024年机关运行经费预算安排5.38万元，比2023年预算增加0.24万元，下降4.67%。";
        let (flags, _) = run(&DirectionMismatch, t);
        assert_eq!(flags.len(), 2, "{flags:?}");
    }
}
