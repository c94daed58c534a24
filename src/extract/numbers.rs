//! Numbers no disclosure prints, reported instead of read.
//!
//! A department's amounts stay far below 10¹⁵ (a province's whole budget is under 10¹⁰ 万元) and
//! its rates below 10⁶ %. A figure beyond those bounds, in scientific notation (`1e400万元`),
//! `INF`/`NaN`, or with more than [`MAX_DECIMALS`] decimals is a corrupted or hostile file:
//! taking it would misread it (`1e400` as 400) or overflow the checks' exact arithmetic
//! (rust_decimal holds 28 digits). Such a number gives no fact; [`scan`] reports each one with
//! its location, so nothing is dropped silently. Inside the bounds every rule's sums, shares
//! and growth rates fit a `Decimal` with room to spare (10¹⁵ / 10⁻¹⁰ × 100 < 10²⁸).

use std::sync::OnceLock;

use regex::Regex;
use rust_decimal::Decimal;

use crate::model::Location;

/// Amounts (and counts) are below 10^15 in any unit.
pub const MAX_AMOUNT_DIGITS: usize = 15;
/// Percentages are below 10^6 %.
pub const MAX_PERCENT_DIGITS: usize = 6;
/// Decimals a printed number may carry.
pub const MAX_DECIMALS: u32 = 10;

/// Whether `v` is a number a disclosure can print (see the module notes).
pub fn within_bounds(v: Decimal, percent: bool) -> bool {
    let digits = if percent {
        MAX_PERCENT_DIGITS
    } else {
        MAX_AMOUNT_DIGITS
    };
    let limit = Decimal::from(10i64.pow(digits as u32));
    v.abs() < limit && v.scale() <= MAX_DECIMALS
}

/// A number that was not read, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Unreadable {
    pub location: Location,
    pub raw: String,
    pub reason: &'static str,
}

const SCIENTIFIC: &str = "scientific notation";
const TOO_LARGE: &str = "beyond 10^15: no disclosure prints such an amount";
const PERCENT_TOO_LARGE: &str = "a rate beyond 10^6 %";
const NOT_A_NUMBER: &str = "not a number (INF/NaN)";
const TOO_FINE: &str = "more than 10 decimals";

/// Units after which a printed token is meant as a figure.
const UNIT: &str = r"\s*(?:万元|元|%|％|个|人|辆)";

/// Scientific notation, INF/NaN, a number before a unit, a number with 11+ decimals.
fn patterns() -> &'static [Regex; 4] {
    static P: OnceLock<[Regex; 4]> = OnceLock::new();
    P.get_or_init(|| {
        [
            format!(r"[+-]?\d+(?:\.\d+)?[eE][+-]?\d+(?:{UNIT})?"),
            format!(r"(?i)(?:^|[^a-z])((?:[+-])?(?:inf(?:inity)?|nan))(?:{UNIT}|$)"),
            format!(r"\d[\d,]*(?:\.\d+)?{UNIT}"),
            r"\d+\.\d{11,}".to_string(),
        ]
        .map(|p| Regex::new(&p).expect("static"))
    })
}

/// Why `number` (its integer part) is beyond the bounds for an amount or a rate, if it is.
fn too_large(number: &str, percent: bool) -> Option<&'static str> {
    let whole = number.split('.').next().unwrap_or_default();
    let digits = whole.bytes().filter(u8::is_ascii_digit).count();
    match percent {
        true => (digits > MAX_PERCENT_DIGITS).then_some(PERCENT_TOO_LARGE),
        false => (digits > MAX_AMOUNT_DIGITS).then_some(TOO_LARGE),
    }
}

/// The unreadable numbers of one line of text (a prose line or a cell): a number in
/// scientific notation followed by a unit or filling the cell, `INF`/`NaN` likewise, an amount
/// followed by a unit beyond the bounds, a number with more than 10 decimals.
pub fn scan(text: &str, location: &Location, cell: bool) -> Vec<Unreadable> {
    let mut out = Vec::new();
    if !suspicious(text) {
        return out;
    }
    let [sci, nan, amount, fine] = patterns();
    let whole = |s: &str| s.trim() == text.trim();
    let push = |out: &mut Vec<Unreadable>, raw: &str, reason| {
        out.push(Unreadable {
            location: location.clone(),
            raw: raw.trim().to_string(),
            reason,
        })
    };
    for m in sci.find_iter(text) {
        let unit = m
            .as_str()
            .trim_end()
            .ends_with(|c: char| !c.is_ascii_digit());
        // `2023e` is not a number; a digit must precede the `e` and (in prose) a unit follow.
        if (cell && whole(m.as_str())) || (!cell && unit) {
            push(&mut out, m.as_str(), SCIENTIFIC);
        }
    }
    for c in nan.captures_iter(text) {
        let (Some(m), Some(token)) = (c.get(0), c.get(1)) else {
            continue;
        };
        let with_unit = m.end() > token.end();
        if (cell && whole(token.as_str())) || (!cell && with_unit) {
            push(&mut out, &text[token.start()..m.end()], NOT_A_NUMBER);
        }
    }
    for m in amount.find_iter(text) {
        let s = m.as_str();
        if text[..m.start()].ends_with(['e', 'E', '.']) {
            continue;
        }
        // The number ends where the unit begins.
        let number = s.trim_end_matches(|c: char| !c.is_ascii_digit());
        if let Some(reason) = too_large(number, s.ends_with(['%', '％'])) {
            push(&mut out, s, reason);
        }
    }
    // A cell that is a bare number (no unit: the table's header gives it).
    if cell && out.is_empty() {
        let percent = text.trim().ends_with(['%', '％']);
        let t = text.trim().trim_end_matches(['%', '％']).trim();
        let body = t.strip_prefix(['+', '-']).unwrap_or(t);
        let bare = !body.is_empty()
            && body
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b',' || b == b'.');
        if let Some(reason) = bare.then(|| too_large(body, percent)).flatten() {
            push(&mut out, text, reason);
        }
    }
    for m in fine.find_iter(text) {
        if !text[..m.start()].ends_with(|c: char| c.is_ascii_digit()) {
            push(&mut out, m.as_str(), TOO_FINE);
        }
    }
    out
}

/// Whether `text` may hold an unreadable number: a run of 7 or more digits (commas allowed
/// inside), a digit followed by `e`/`E` and a digit or sign, or an `n`/`N` (INF, NaN). Every
/// line and cell of every document passes here, and almost none is suspicious: one pass over
/// the bytes instead of four regexes (1.3 of 33.5 CPU s on 20,038 documents before).
fn suspicious(text: &str) -> bool {
    let b = text.as_bytes();
    let mut run = 0usize;
    for (i, &c) in b.iter().enumerate() {
        if c.is_ascii_digit() {
            run += 1;
            if run > MAX_PERCENT_DIGITS {
                return true;
            }
            continue;
        }
        if c == b',' && run > 0 {
            continue;
        }
        let next_is_number = || {
            b.get(i + 1)
                .is_some_and(|n| n.is_ascii_digit() || matches!(n, b'+' | b'-'))
        };
        if (matches!(c, b'e' | b'E') && run > 0 && next_is_number()) || matches!(c, b'n' | b'N') {
            return true;
        }
        run = 0;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reasons(text: &str, cell: bool) -> Vec<&'static str> {
        scan(text, &Location::Line(1), cell)
            .into_iter()
            .map(|u| u.reason)
            .collect()
    }

    #[test]
    fn hostile_numbers_are_reported() {
        assert_eq!(
            reasons("（一）收入总计1e400万元，包括：", false),
            [SCIENTIFIC]
        );
        assert_eq!(reasons("收入总计1.5E+3万元", false), [SCIENTIFIC]);
        assert_eq!(
            reasons("收入总计99999999999999999999999999999.99万元", false),
            [TOO_LARGE]
        );
        assert_eq!(
            reasons("完成年初预算79228162514264337593543950335%决算", false),
            [PERCENT_TOO_LARGE]
        );
        assert_eq!(reasons("收入总计INF万元", false), [NOT_A_NUMBER]);
        assert_eq!(reasons("NaN", true), [NOT_A_NUMBER]);
        assert_eq!(reasons("5E+28", true), [SCIENTIFIC]);
        assert_eq!(reasons("50000000000000000000000000000", true), [TOO_LARGE]);
        assert_eq!(reasons("收入0.000000000001万元", false), [TOO_FINE]);
    }

    #[test]
    fn ordinary_text_and_numbers_are_not() {
        for (text, cell) in [
            ("收入总计472.39万元，比上年增加12.5%", false),
            ("收入总计999,999,999,999,999万元", false),
            ("统一社会信用代码12210000000000000000", false),
            ("Sheet1e", false),
            ("2023年度部门决算", false),
            ("information nano financial", false),
            ("INF", false),
            ("1,234.56", true),
            ("Infrastructure", true),
            ("2e", true),
            ("4.1325%", true),
            ("0.0000000001", true),
        ] {
            assert!(
                reasons(text, cell).is_empty(),
                "{text}: {:?}",
                reasons(text, cell)
            );
        }
    }

    #[test]
    fn bounds() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert!(within_bounds(d("999999999999999.99"), false));
        assert!(!within_bounds(d("1000000000000000"), false));
        assert!(within_bounds(d("999999.9"), true));
        assert!(!within_bounds(d("1000000"), true));
        assert!(!within_bounds(d("0.00000000001"), false));
        assert!(within_bounds(d("-0.0000000001"), false));
    }
}
