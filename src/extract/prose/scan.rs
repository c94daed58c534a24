//! Finds printed numbers with their units in a folded prose line.
//!
//! A mention is a number (or a placeholder such as `XX`, `x,xxx`, `**`) directly followed by a
//! unit the catalog knows (`万元`, `元`, `%`, `个`, `辆`…). Numbers without a unit (years,
//! list numbers, dates) are not mentions. Two kinds of numbers are deliberately skipped:
//! thresholds (`单价100万元（含）以上`) and terms of a formula (`…项目数*100%`).

use std::str::FromStr;
use std::sync::OnceLock;

use regex::Regex;
use rust_decimal::Decimal;

use crate::model::Unit;

/// A number printed with its unit.
#[derive(Clone, Debug, PartialEq)]
pub struct Mention {
    /// Char index of the number's first character.
    pub start: usize,
    /// Char index just past the unit.
    pub end: usize,
    /// The value as printed (scale = printed decimals); `None` for a placeholder.
    pub value: Option<Decimal>,
    pub unit: Unit,
    /// The number and unit exactly as printed (raw, not folded).
    pub raw: String,
}

impl Mention {
    pub fn is_placeholder(&self) -> bool {
        self.value.is_none()
    }
}

fn pattern() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?x)
            (?P<num>
                \d{1,3}(?:,\d{3})+(?:\.\d+)?
              | \d+(?:\.\d+)?
              | [Xx×*]+(?:,[Xx×*]{3})*(?:\.[Xx×*]+)?
            )
            \s*
            (?P<unit>万元|亿元|元|%|人次|人|个|辆|分|平方米|台\(套\)|台|套|批次|次|天)",
        )
        .expect("static pattern")
    })
}

/// Words after a number that make it a threshold rather than an amount.
const THRESHOLD_AFTER: &[&str] = &["(含)以上", "以上", "以下", "及以上", "以内", "(含)"];
/// Characters before a number that make it a term of a formula.
const FORMULA_BEFORE: &[char] = &['*', '×', '/', '÷'];

/// Finds the mentions of `folded` (the folded line); `raw` is the same line as printed.
pub fn mentions(folded: &str, raw: &str) -> Vec<Mention> {
    let mut out = Vec::new();
    // Matches come in order and do not overlap, so char indices are counted forward from the
    // previous match (in `folded`) and the raw text is walked forward once.
    let (mut at_byte, mut at_char) = (0usize, 0usize);
    let mut raw_at = CharWalk::new(raw);
    for caps in pattern().captures_iter(folded) {
        let (Some(num), Some(unit_m)) = (caps.get(1), caps.get(2)) else {
            continue;
        };
        at_char += folded[at_byte..num.start()].chars().count();
        at_byte = num.start();
        let start = at_char;
        let end = start + folded[num.start()..unit_m.end()].chars().count();
        let before = folded[..num.start()].chars().next_back();
        let number_text = num.as_str();
        let placeholder = !number_text.starts_with(|c: char| c.is_ascii_digit());
        if let Some(b) = before {
            if FORMULA_BEFORE.contains(&b) || b == '.' || b.is_ascii_digit() {
                continue;
            }
            // The exponent of `1e400万元` (reported by `extract::numbers`, never read as 400).
            if matches!(b, 'e' | 'E' | '+' | '-') && exponent_before(&folded[..num.start()]) {
                continue;
            }
            if placeholder && b.is_ascii_alphabetic() {
                continue;
            }
        }
        let after = &folded[unit_m.end()..];
        if THRESHOLD_AFTER.iter().any(|t| after.starts_with(t)) {
            continue;
        }
        let unit_text = unit_m.as_str();
        // `12个月`, `3个工作日` are durations, not counts.
        if unit_text == "个" && (after.starts_with('月') || after.starts_with("工作日")) {
            continue;
        }
        let Some(unit) = Unit::parse(unit_text) else {
            continue;
        };
        let value = if placeholder {
            None
        } else {
            let parsed = if number_text.contains(',') {
                Decimal::from_str(&number_text.replace(',', ""))
            } else {
                Decimal::from_str(number_text)
            };
            match parsed {
                Ok(v) if crate::extract::numbers::within_bounds(v, unit == Unit::Percent) => {
                    Some(v)
                }
                // Beyond what a disclosure prints, or too many digits for an exact decimal:
                // reported by `extract::numbers`, never attributed.
                _ => continue,
            }
        };
        let (raw_start, raw_end) = (raw_at.byte_of(start), raw_at.byte_of(end));
        out.push(Mention {
            start,
            end,
            value,
            unit,
            raw: raw[raw_start..raw_end].to_string(),
        });
    }
    out
}

/// Whether `before` ends with the `e`/`E` (and sign) of a number in scientific notation.
fn exponent_before(before: &str) -> bool {
    let t = before.strip_suffix(['+', '-']).unwrap_or(before);
    t.strip_suffix(['e', 'E'])
        .is_some_and(|m| m.ends_with(|c: char| c.is_ascii_digit()))
}

/// Byte offsets of char indices of a text, asked for in increasing order.
struct CharWalk<'a> {
    text: &'a str,
    byte: usize,
    char: usize,
}

impl<'a> CharWalk<'a> {
    fn new(text: &'a str) -> CharWalk<'a> {
        CharWalk {
            text,
            byte: 0,
            char: 0,
        }
    }

    /// The byte offset of char `index` (the text's length past its end).
    fn byte_of(&mut self, index: usize) -> usize {
        while self.char < index {
            match self.text[self.byte..].chars().next() {
                Some(c) => {
                    self.byte += c.len_utf8();
                    self.char += 1;
                }
                None => break,
            }
        }
        self.byte
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::normalize::fold;

    fn scan(raw: &str) -> Vec<(Option<String>, &'static str, String)> {
        mentions(&fold(raw), raw)
            .into_iter()
            .map(|m| (m.value.map(|v| v.to_string()), m.unit.as_str(), m.raw))
            .collect()
    }

    #[test]
    fn mentions_keep_printed_precision_and_raw_text() {
        assert_eq!(
            scan("收入总计472.39万元，占收入总计的100.00%。"),
            vec![
                (Some("472.39".into()), "万元", "472.39万元".into()),
                (Some("100.00".into()), "%", "100.00%".into()),
            ]
        );
    }

    #[test]
    fn mentions_read_full_width_digits_and_thousands() {
        assert_eq!(
            scan("财政拨款收入１，６１４．２７万元"),
            vec![(
                Some("1614.27".into()),
                "万元",
                "１，６１４．２７万元".into()
            )]
        );
    }

    #[test]
    fn mentions_report_placeholders_without_value() {
        assert_eq!(
            scan("收入总计XX万元，项目完成年初预算的XX%，x,xxx万元"),
            vec![
                (None, "万元", "XX万元".into()),
                (None, "%", "XX%".into()),
                (None, "万元", "x,xxx万元".into()),
            ]
        );
    }

    #[test]
    fn mentions_skip_dates_thresholds_and_formula_terms() {
        assert!(scan("截至2023年12月31日，单价100万元（含）以上设备").is_empty());
        assert!(scan("（开展绩效自评的项目数/年初批复绩效目标的项目数*100%）").is_empty());
        assert_eq!(scan("资产总额347752.90元").len(), 1);
        assert_eq!(scan("车辆0辆，0台（套）")[1].1, "台");
    }
}
