//! Tolerance, in one place: what a printed number may stand for, as an exact interval.
//!
//! A printed amount with `d` decimals stands for ±0.5·10⁻ᵈ around it; a printed zero is exactly
//! zero. A printed percentage `p` whose last digit has unit `u` stands for [p − u/2, p + u)
//! — rounded or truncated — widened by the configured slack (default 0.1 percentage point),
//! by magnitude for negative percentages. A relation is flagged only when no values inside the
//! intervals satisfy it. Everything is rust_decimal; no floats.
//!
//! No operation here panics, whatever the decimals: an end that would overflow rust_decimal's
//! 28 digits becomes `Decimal::MIN` (a lower end) or `Decimal::MAX` (an upper end). The interval
//! only widens, so a relation over it is never flagged on an overflow — at worst a check says
//! nothing (inputs are bounded by `extract::numbers` so this does not happen on real figures).

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

/// A lower end: `a + b`, or `Decimal::MIN` on overflow (the interval widens).
fn lo_add(a: Decimal, b: Decimal) -> Decimal {
    a.checked_add(b).unwrap_or(Decimal::MIN)
}

/// An upper end: `a + b`, or `Decimal::MAX` on overflow (the interval widens).
fn hi_add(a: Decimal, b: Decimal) -> Decimal {
    a.checked_add(b).unwrap_or(Decimal::MAX)
}

fn lo_sub(a: Decimal, b: Decimal) -> Decimal {
    a.checked_sub(b).unwrap_or(Decimal::MIN)
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
        let (lo, _) = printed_unit.normalize(lo_sub(printed, half));
        let (hi, _) = printed_unit.normalize(hi_add(printed, half));
        Interval::closed(lo, hi)
    }

    /// What a printed percentage stands for: [p − u/2, p + u) widened by `slack`.
    pub fn percent(printed: Decimal, slack: Decimal) -> Interval {
        let u = unit_of_scale(printed.scale());
        let half = u / Decimal::TWO;
        if printed.is_sign_negative() && !printed.is_zero() {
            // By magnitude: −41.92 stands for (−41.93, −41.915].
            Interval {
                lo: lo_sub(lo_sub(printed, u), slack),
                hi: hi_add(hi_add(printed, half), slack),
                lo_open: true,
                hi_open: false,
            }
        } else {
            Interval {
                lo: lo_sub(lo_sub(printed, half), slack),
                hi: hi_add(hi_add(printed, u), slack),
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
        let (Some(a), Some(b)) = (self.lo.checked_mul(k), self.hi.checked_mul(k)) else {
            return Interval::closed(Decimal::MIN, Decimal::MAX);
        };
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
        match self.lo.checked_add(self.hi) {
            Some(sum) => sum / Decimal::TWO,
            None => (self.lo / Decimal::TWO)
                .checked_add(self.hi / Decimal::TWO)
                .unwrap_or(self.hi),
        }
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
            lo: lo_add(self.lo, other.lo),
            hi: hi_add(self.hi, other.hi),
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

    mod properties {
        //! No interval operation panics on any decimal, and every result contains the exact
        //! result of the operation on members (soundness: the tolerance never narrows).
        use super::super::*;
        use proptest::prelude::*;

        /// Any rust_decimal: a 96-bit mantissa with a sign, scale 0..=28.
        fn decimal() -> impl Strategy<Value = Decimal> {
            (any::<i64>(), any::<u32>(), 0u32..=28).prop_map(|(hi, lo, scale)| {
                let m = (i128::from(hi) << 32) | i128::from(lo);
                Decimal::try_from_i128_with_scale(m, scale).unwrap_or(Decimal::MAX)
            })
        }

        fn unit() -> impl Strategy<Value = Unit> {
            prop_oneof![
                Just(Unit::WanYuan),
                Just(Unit::Yuan),
                Just(Unit::YiYuan),
                Just(Unit::Percent),
                Just(Unit::Ge),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            #[test]
            fn no_operation_panics(a in decimal(), b in decimal(), k in decimal(), slack in decimal(), u in unit()) {
                let x = Interval::amount(a, u);
                let y = Interval::percent(b, slack);
                let z = Interval::amount(b, Unit::WanYuan);
                let _ = x + y;
                let _ = x - y;
                let _ = -x;
                let _ = Interval::sum([x, y, z, x, y]);
                let _ = x.scale(k);
                let _ = x.checked_div(y);
                let _ = x.checked_div(Interval::exact(Decimal::ZERO));
                let _ = (x.intersects(y), x.contains(k), x.mid(), y.mid());
            }

            #[test]
            fn sums_contain_the_sum_of_members(a in decimal(), b in decimal()) {
                let (x, y) = (Interval::amount(a, Unit::WanYuan), Interval::amount(b, Unit::WanYuan));
                if let Some(exact) = a.checked_add(b) {
                    prop_assert!((x + y).contains(exact), "{a} + {b}");
                }
                if let Some(exact) = a.checked_sub(b) {
                    prop_assert!((x - y).contains(exact), "{a} - {b}");
                }
            }

            #[test]
            fn a_printed_figure_lies_in_its_interval(a in decimal(), slack in decimal()) {
                prop_assert!(Interval::amount(a, Unit::WanYuan).contains(a));
                if !slack.is_sign_negative() {
                    prop_assert!(Interval::percent(a, slack).contains(a));
                }
            }
        }
    }
}
