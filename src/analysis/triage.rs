//! Anomaly triage: the numbers of a flag with one fixed meaning, how much money it involves, and
//! the order an auditor reads flags in.
//!
//! Every rule records `expected` (what the other printed figures imply: the sum of the parts,
//! the rate the amounts give, the prior-year value the next year's document implies) and `found`
//! (what is printed) as text, since some are not numbers (`XX万元`, `a fall`). Here they become
//! numbers where both sides are amounts or rates in one unit; `difference` = found − expected.

use std::cmp::Reverse;
use std::collections::{HashMap, HashSet};

use rust_decimal::Decimal;

use super::{Archive, Document, Finding};
use crate::catalog::catalog;
use crate::model::{Anomaly, UnitKind};

/// The unit of a flag's numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MeasureUnit {
    WanYuan,
    Yuan,
    Percent,
    Count,
}

impl MeasureUnit {
    /// As printed in the documents (`万元`, `元`, `%`, `个`).
    pub fn as_str(self) -> &'static str {
        match self {
            MeasureUnit::WanYuan => "万元",
            MeasureUnit::Yuan => "元",
            MeasureUnit::Percent => "%",
            MeasureUnit::Count => "个",
        }
    }

    fn from_suffix(s: &str) -> Option<(MeasureUnit, &str)> {
        // 万元 before 元: "12万元" ends with both.
        [
            ("万元", MeasureUnit::WanYuan),
            ("元", MeasureUnit::Yuan),
            ("%", MeasureUnit::Percent),
            ("个", MeasureUnit::Count),
        ]
        .into_iter()
        .find_map(|(suffix, unit)| s.strip_suffix(suffix).map(|body| (unit, body)))
    }
}

/// A flag's numbers: expected (implied), found (printed), found − expected, in `unit`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Measured {
    pub expected: Option<Decimal>,
    pub found: Option<Decimal>,
    pub difference: Option<Decimal>,
    pub unit: Option<MeasureUnit>,
}

impl Measured {
    /// The money the flag involves, in 万元: |difference| for amounts (元 converted), `None`
    /// for rates, counts and flags without numbers.
    pub fn materiality(&self) -> Option<Decimal> {
        let d = self.difference?.abs();
        match self.unit? {
            MeasureUnit::WanYuan => Some(d),
            MeasureUnit::Yuan => d.checked_div(Decimal::from(10_000)),
            MeasureUnit::Percent | MeasureUnit::Count => None,
        }
    }
}

/// Longest digit string read as a number here (beyond it the text is not an amount a
/// disclosure prints, and `Decimal` could not hold it).
const MAX_DIGITS: usize = 20;

/// A printed number with its optional unit suffix: `318.36万元`, `-0.97`, `127.31%`,
/// `1,049.53`. Anything else (`XX万元`, `> 0 of 130`, `1e5`) is `None`.
fn number(s: &str) -> Option<(Decimal, Option<MeasureUnit>)> {
    let s = s.trim();
    let (unit, body) = match MeasureUnit::from_suffix(s) {
        Some((unit, body)) => (Some(unit), body.trim()),
        None => (None, s),
    };
    let body: String = body.chars().filter(|&c| c != ',').collect();
    let digits = body.strip_prefix(['+', '-']).unwrap_or(&body);
    let mut parts = digits.splitn(2, '.');
    let whole = parts.next().unwrap_or_default();
    let fraction = parts.next().unwrap_or_default();
    let is_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || !is_digits(whole)
        || !is_digits(fraction)
        || whole.len() + fraction.len() > MAX_DIGITS
    {
        return None;
    }
    body.parse::<Decimal>().ok().map(|d| (d, unit))
}

/// The unit the metric's values are in, when the printed text carries none.
fn metric_unit(a: &Anomaly) -> Option<MeasureUnit> {
    let def = catalog().metric(a.metric.as_ref()?.as_str())?;
    match def.unit? {
        UnitKind::Amount => Some(MeasureUnit::WanYuan),
        UnitKind::Percent => Some(MeasureUnit::Percent),
        _ => None,
    }
}

/// The flag's numbers, where its expected and found values are numbers in one unit (or the
/// found value alone carries its unit, e.g. a completion rate of `186%`).
pub fn measure(a: &Anomaly) -> Measured {
    let expected = a.expected.as_deref().and_then(number);
    let found = a.found.as_deref().and_then(number);
    match (expected, found) {
        (Some((e, eu)), Some((f, fu))) => {
            let unit = match (eu, fu) {
                (Some(x), Some(y)) if x != y => return Measured::default(),
                (Some(x), _) | (None, Some(x)) => Some(x),
                (None, None) => metric_unit(a),
            };
            if unit.is_none() {
                return Measured::default();
            }
            Measured {
                expected: Some(e),
                found: Some(f),
                difference: f.checked_sub(e),
                unit,
            }
        }
        (_, Some((f, Some(unit)))) => Measured {
            found: Some(f),
            unit: Some(unit),
            ..Measured::default()
        },
        _ => Measured::default(),
    }
}

/// The triage order's key: errors first, then the money involved (largest first, flags
/// without an amount after), then the caller's department/year/kind key.
pub fn order_key<K: Ord>(a: &Anomaly, then: K) -> (u8, Reverse<Option<Decimal>>, K) {
    (
        crate::checks::severity_rank(a.severity),
        Reverse(measure(a).materiality()),
        then,
    )
}

/// A document with at least this many placeholders, and no more printed figures than
/// placeholders, is an unfilled template: each rule's flags on it are one row of the 异常
/// sheet.
pub const TEMPLATE_MIN_PLACEHOLDERS: usize = 5;

/// One row of the 异常 sheet.
pub struct SheetRow<'a> {
    pub finding: &'a Finding,
    /// For an unfilled template, the flags of this rule this one row stands for (its first
    /// is `finding`); `None` for a single flag.
    pub template_count: Option<usize>,
    /// The other files of the same document (the other formats it comes in) that raised the
    /// same flag.
    pub other_files: Vec<&'a str>,
}

/// The 异常 sheet's rows, in the findings' (triage) order: a flag raised alike by several files
/// of one document (txt, xlsx, xls, ods of one department, year and kind) is one row listing
/// the other files; an unfilled template's flags are one row per rule with their count.
pub fn sheet_rows(archive: &Archive) -> Vec<SheetRow<'_>> {
    let docs = &archive.documents;
    let mut per_rule: HashMap<(usize, &str), usize> = HashMap::new();
    for f in &archive.findings {
        if let Some(d) = f.document {
            *per_rule.entry((d, f.anomaly.rule.as_str())).or_default() += 1;
        }
    }
    // Documents with enough placeholders, and no more printed figures than placeholders.
    let templates: HashSet<usize> = per_rule
        .iter()
        .filter(|&(&(d, rule), &n)| {
            rule == PLACEHOLDER
                && n >= TEMPLATE_MIN_PLACEHOLDERS
                && docs
                    .get(d)
                    .is_some_and(|doc| doc.facts.rows().filter(|r| r.value.is_some()).count() <= n)
        })
        .map(|(&(d, _), _)| d)
        .collect();
    let mut rows: Vec<SheetRow<'_>> = Vec::new();
    let mut seen: HashMap<FlagKey<'_>, usize> = HashMap::new();
    let mut summarized: HashSet<(usize, &str)> = HashSet::new();
    for f in &archive.findings {
        let doc = f.document.and_then(|i| docs.get(i).map(|d| (i, d)));
        let Some((i, d)) = doc else {
            rows.push(SheetRow {
                finding: f,
                template_count: None,
                other_files: Vec::new(),
            });
            continue;
        };
        if templates.contains(&i) {
            let rule = f.anomaly.rule.as_str();
            if summarized.insert((i, rule)) {
                rows.push(SheetRow {
                    finding: f,
                    template_count: per_rule.get(&(i, rule)).copied(),
                    other_files: Vec::new(),
                });
            }
            continue;
        }
        let key = flag_key(d, &f.anomaly);
        match seen.get(&key) {
            Some(&row) if rows[row].finding.document != Some(i) => {
                let file = d.report.file.as_str();
                if !rows[row].other_files.contains(&file) {
                    rows[row].other_files.push(file);
                }
                continue;
            }
            Some(_) => {}
            None => {
                seen.insert(key, rows.len());
            }
        }
        rows.push(SheetRow {
            finding: f,
            template_count: None,
            other_files: Vec::new(),
        });
    }
    rows
}

const PLACEHOLDER: &str = "PLACEHOLDER";

/// What makes two files' flags one flag: the document's identity, year and kind, and
/// everything the flag says.
type FlagKey<'a> = (
    &'a str,
    Option<i32>,
    Option<crate::model::Kind>,
    &'a Anomaly,
);

fn flag_key<'a>(d: &'a Document, a: &'a Anomaly) -> FlagKey<'a> {
    (
        d.key.as_str(),
        d.report.document.fiscal_year,
        d.report.document.kind,
        a,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{MetricKey, Severity};

    fn flag(rule: &str, metric: Option<&str>, expected: &str, found: &str) -> Anomaly {
        Anomaly {
            rule: rule.into(),
            severity: Severity::Error,
            metric: metric.map(MetricKey::new),
            code: None,
            item: None,
            message: String::new(),
            evidence: String::new(),
            location: None,
            expected: Some(expected.into()),
            found: Some(found.into()),
            difference: None,
        }
    }

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn a_sum_flag_reads_as_implied_printed_and_the_difference_in_wan_yuan() {
        let m = measure(&flag(
            "SUM_MISMATCH",
            Some("expenditure.total"),
            "360.22",
            "318.36万元",
        ));
        assert_eq!(m.expected, Some(d("360.22")));
        assert_eq!(m.found, Some(d("318.36")));
        assert_eq!(m.difference, Some(d("-41.86")));
        assert_eq!(m.unit, Some(MeasureUnit::WanYuan));
        assert_eq!(m.materiality(), Some(d("41.86")));
    }

    #[test]
    fn bare_numbers_take_the_metrics_unit_and_yuan_count_a_ten_thousandth() {
        let m = measure(&flag(
            "CONFLICTING_VALUES",
            Some("income.total"),
            "65.27",
            "65.28",
        ));
        assert_eq!(m.unit, Some(MeasureUnit::WanYuan));
        assert_eq!(m.difference, Some(d("0.01")));
        let m = measure(&flag("SUM_MISMATCH", None, "12000", "2000元"));
        assert_eq!(m.unit, Some(MeasureUnit::Yuan));
        assert_eq!(m.materiality(), Some(d("1")));
        let m = measure(&flag("GROWTH_MISMATCH", None, "110.71%", "127.31%"));
        assert_eq!(m.unit, Some(MeasureUnit::Percent));
        assert_eq!(m.difference, Some(d("16.6")));
        assert_eq!(m.materiality(), None);
    }

    #[test]
    fn text_mixed_units_and_unitless_scores_give_no_numbers() {
        // Near-misses: none of these is a pair of comparable numbers.
        for (e, f, metric) in [
            ("a number", "XX万元", Some("income.total")),
            ("130万元", "=130元", None),
            ("130万元", "130元", None),
            ("|z| ≤ 3", "4.2", Some("income.total")),
            ("12", "13", None),
            ("1e5", "2e5", Some("income.total")),
            ("99999999999999999999999", "1", Some("income.total")),
            ("1.2.3", "4", Some("income.total")),
        ] {
            let m = measure(&flag("X", metric, e, f));
            assert_eq!(m.difference, None, "{e} / {f}");
            assert_eq!(m.materiality(), None, "{e} / {f}");
        }
        // A rate printed alone keeps its value.
        let m = measure(&flag("EXECUTION_RATE", None, "50%–150%", "186%"));
        assert_eq!((m.expected, m.found), (None, Some(d("186"))));
    }

    #[test]
    fn errors_come_first_then_the_largest_amount() {
        let mut small = flag("SUM_MISMATCH", Some("income.total"), "1", "2");
        let big = flag("SUM_MISMATCH", Some("income.total"), "1", "100");
        let placeholder = flag("PLACEHOLDER", Some("income.total"), "a number", "XX");
        let mut keys = [
            order_key(&placeholder, 0),
            order_key(&small, 1),
            order_key(&big, 2),
        ];
        keys.sort();
        assert_eq!(keys.map(|k| k.2), [2, 1, 0]);
        small.severity = Severity::Warning;
        assert!(order_key(&placeholder, 0) < order_key(&small, 1));
    }
}
