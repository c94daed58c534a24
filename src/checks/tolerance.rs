//! Tolerance, in one place: what a printed number may stand for, as an exact interval.
//!
//! A printed amount with `d` decimals stands for ±0.5·10⁻ᵈ around it; a printed zero is exactly
//! zero. A printed percentage `p` whose last digit has unit `u` stands for [p − u/2, p + u)
//! — rounded or truncated — widened by the configured slack (default 0.1 percentage point),
//! by magnitude for negative percentages. A relation is flagged only when no values inside the
//! intervals satisfy it. Everything is rust_decimal; no floats.

use rust_decimal::Decimal;

use crate::model::{Fact, Unit};

/// An interval of exact decimals; each end may be open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval {
    pub lo: Decimal,
    pub hi: Decimal,
    pub lo_open: bool,
    pub hi_open: bool,
}

/// 10⁻ˢ as a decimal.
fn unit_of_scale(scale: u32) -> Decimal {
    Decimal::new(1, scale.min(28))
}

impl Interval {
    pub fn exact(v: Decimal) -> Interval {
        Interval::closed(v, v)
    }

    pub fn closed(lo: Decimal, hi: Decimal) -> Interval {
        Interval {
            lo,
            hi,
            lo_open: false,
            hi_open: false,
        }
    }

    /// What a printed amount stands for, in the normalized unit (万元 for amounts).
    pub fn amount(printed: Decimal, printed_unit: Unit) -> Interval {
        if printed.is_zero() {
            return Interval::exact(Decimal::ZERO);
        }
        let half = unit_of_scale(printed.scale()) / Decimal::TWO;
        let (lo, _) = printed_unit.normalize(printed - half);
        let (hi, _) = printed_unit.normalize(printed + half);
        Interval::closed(lo, hi)
    }

    /// What a printed percentage stands for: [p − u/2, p + u) widened by `slack`.
    pub fn percent(printed: Decimal, slack: Decimal) -> Interval {
        let u = unit_of_scale(printed.scale());
        let half = u / Decimal::TWO;
        if printed.is_sign_negative() && !printed.is_zero() {
            // By magnitude: −41.92 stands for (−41.93, −41.915].
            Interval {
                lo: printed - u - slack,
                hi: printed + half + slack,
                lo_open: true,
                hi_open: false,
            }
        } else {
            Interval {
                lo: printed - half - slack,
                hi: printed + u + slack,
                lo_open: false,
                hi_open: true,
            }
        }
    }

    /// The interval of a fact's value: amounts and counts by printed precision, percentages
    /// with `slack`. `None` for a placeholder.
    pub fn of_fact(fact: &Fact, slack: Decimal) -> Option<Interval> {
        let printed = fact.printed?;
        let value = fact.value?;
        if fact.unit == Unit::Percent {
            return Some(Interval::percent(value, slack));
        }
        let interval = Interval::amount(printed.abs(), fact.printed_unit);
        // The normalized value carries the sign the wording gave (减少 → negative).
        Some(if value.is_sign_negative() {
            -interval
        } else {
            interval
        })
    }

    pub fn sum(items: impl IntoIterator<Item = Interval>) -> Interval {
        items
            .into_iter()
            .fold(Interval::exact(Decimal::ZERO), |a, b| a + b)
    }

    /// Multiplies by an exact factor.
    pub fn scale(self, k: Decimal) -> Interval {
        let (a, b) = (self.lo * k, self.hi * k);
        if k.is_sign_negative() {
            Interval {
                lo: b,
                hi: a,
                lo_open: self.hi_open,
                hi_open: self.lo_open,
            }
        } else {
            Interval {
                lo: a,
                hi: b,
                ..self
            }
        }
    }

    /// `self / other`, or `None` when `other` may be zero (nothing can be concluded). The
    /// result is closed: at worst one more value is accepted at an exact edge.
    pub fn checked_div(self, other: Interval) -> Option<Interval> {
        if other.contains(Decimal::ZERO) {
            return None;
        }
        let corners = [
            self.lo.checked_div(other.lo)?,
            self.lo.checked_div(other.hi)?,
            self.hi.checked_div(other.lo)?,
            self.hi.checked_div(other.hi)?,
        ];
        let lo = corners.iter().copied().min()?;
        let hi = corners.iter().copied().max()?;
        Some(Interval::closed(lo, hi))
    }

    pub fn contains(self, x: Decimal) -> bool {
        let above = if self.lo_open {
            x > self.lo
        } else {
            x >= self.lo
        };
        let below = if self.hi_open {
            x < self.hi
        } else {
            x <= self.hi
        };
        above && below
    }

    /// True when some value lies in both intervals.
    pub fn intersects(self, other: Interval) -> bool {
        let lo_ok = if self.hi_open || other.lo_open {
            self.hi > other.lo
        } else {
            self.hi >= other.lo
        };
        let hi_ok = if other.hi_open || self.lo_open {
            other.hi > self.lo
        } else {
            other.hi >= self.lo
        };
        lo_ok && hi_ok
    }

    /// The midpoint, for messages.
    pub fn mid(self) -> Decimal {
        (self.lo + self.hi) / Decimal::TWO
    }
}

impl std::ops::Neg for Interval {
    type Output = Interval;
    fn neg(self) -> Interval {
        Interval {
            lo: -self.hi,
            hi: -self.lo,
            lo_open: self.hi_open,
            hi_open: self.lo_open,
        }
    }
}

impl std::ops::Add for Interval {
    type Output = Interval;
    fn add(self, other: Interval) -> Interval {
        Interval {
            lo: self.lo + other.lo,
            hi: self.hi + other.hi,
            lo_open: self.lo_open || other.lo_open,
            hi_open: self.hi_open || other.hi_open,
        }
    }
}

impl std::ops::Sub for Interval {
    type Output = Interval;
    fn sub(self, other: Interval) -> Interval {
        self + -other
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn amount(s: &str) -> Interval {
        Interval::amount(d(s), Unit::WanYuan)
    }

    fn slack() -> Decimal {
        d("0.1")
    }

    /// SPEC §5 example: 001's 210 items 40.69 + 5.15 = 45.84 vs 45.82 → flagged.
    #[test]
    fn tolerance_spec_sum_001_210_is_flagged() {
        let parts = Interval::sum([amount("40.69"), amount("5.15")]);
        assert!(!parts.intersects(amount("45.82")));
    }

    /// SPEC §5 example: 004's 368.14 + 65.28 + 13.86 + 25.13 = 472.41 vs 472.39 → not flagged.
    #[test]
    fn tolerance_spec_sum_004_general_budget_is_not_flagged() {
        let parts = Interval::sum(["368.14", "65.28", "13.86", "25.13"].map(amount));
        assert!(parts.intersects(amount("472.39")));
    }

    fn growth(value: &str, delta: &str) -> Interval {
        let (v, dl) = (amount(value), amount(delta));
        dl.checked_div(v - dl).unwrap().scale(d("100"))
    }

    /// SPEC §5 example: 002's 三公 1.92 up 1.04 stated 117.62% (exact 118.18%) → not flagged.
    #[test]
    fn tolerance_spec_growth_002_vehicle_is_not_flagged() {
        assert!(growth("1.92", "1.04").intersects(Interval::percent(d("117.62"), slack())));
    }

    /// SPEC §5 example: 002's income 384.30 up 201.92 stated 127.31% (exact 110.71%) → flagged.
    #[test]
    fn tolerance_spec_growth_002_income_is_flagged() {
        assert!(!growth("384.30", "201.92").intersects(Interval::percent(d("127.31"), slack())));
    }

    #[test]
    fn tolerance_printed_zero_is_exact() {
        assert_eq!(amount("0.00"), Interval::exact(Decimal::ZERO));
        assert_eq!(amount("0.5"), Interval::closed(d("0.45"), d("0.55")));
    }

    #[test]
    fn tolerance_percent_covers_truncation_and_rounding() {
        // `65%` covers 65.016%, `91%` covers 91.92%.
        assert!(Interval::percent(d("65"), Decimal::ZERO).contains(d("65.016")));
        assert!(Interval::percent(d("91"), Decimal::ZERO).contains(d("91.92")));
        assert!(!Interval::percent(d("91"), Decimal::ZERO).contains(d("92")));
        assert!(Interval::percent(d("91"), Decimal::ZERO).contains(d("90.5")));
        assert!(!Interval::percent(d("91"), Decimal::ZERO).contains(d("90.49")));
        // Negative by magnitude: −41.92 covers −41.925.
        assert!(Interval::percent(d("-41.92"), Decimal::ZERO).contains(d("-41.925")));
        assert!(!Interval::percent(d("-41.92"), Decimal::ZERO).contains(d("-41.93")));
    }

    #[test]
    fn tolerance_yuan_intervals_are_normalized() {
        let i = Interval::amount(d("347752.90"), Unit::Yuan);
        assert_eq!(i, Interval::closed(d("34.7752895"), d("34.7752905")));
    }

    #[test]
    fn tolerance_touching_closed_intervals_intersect_open_ends_do_not() {
        let a = Interval::closed(d("1"), d("2"));
        assert!(a.intersects(Interval::closed(d("2"), d("3"))));
        let open = Interval {
            lo: d("0"),
            hi: d("1"),
            lo_open: false,
            hi_open: true,
        };
        assert!(!open.intersects(a));
        assert!(Interval::closed(d("1"), d("2"))
            .checked_div(Interval::closed(d("-1"), d("1")))
            .is_none());
    }
}
