//! `NUMERIC(p, s)`: the precision and scale a column or cast puts on a numeric.
//!
//! PostgreSQL keeps these as the type modifier (`atttypmod`) and applies them when a
//! value is stored or cast (`apply_typmod` in `numeric.c`): the value is rounded to
//! `s` fractional digits, half away from zero, and keeps exactly that scale (`4.5`
//! becomes `4.50`); then its absolute value must be below `10^(p - s)`, or the
//! assignment fails with 22003 "numeric field overflow". Arithmetic results carry
//! no modifier, so only assignments and casts ever see one.
//!
//! PostgreSQL allows precision 1..=1000 and scale -1000..=1000 (a scale above the
//! precision, as in `NUMERIC(2, 5)`, bounds values below `10^-3`). Our numerics are
//! `rust_decimal` values with at most 28 significant digits and 28 fractional ones,
//! so a larger precision, a larger scale or a negative scale is 0A000 up front
//! rather than a column that later fails or rounds where PostgreSQL would not.

use rust_decimal::Decimal;

use super::numeric::MAX_SCALE;
use super::TypeError;

/// PostgreSQL's `NUMERIC_MAX_PRECISION`: precisions outside 1..=1000 are 22023.
const PG_MAX_PRECISION: i64 = 1000;

/// PostgreSQL's scale bound (`NUMERIC_MIN_SCALE`/`NUMERIC_MAX_SCALE`, ±1000).
const PG_MAX_SCALE: i64 = 1000;

/// The most significant digits a `Decimal` holds for every value of that length
/// (its 96-bit mantissa tops out just under 8 * 10^28).
pub const MAX_PRECISION: u8 = 28;

/// A validated `NUMERIC(precision, scale)` modifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NumericTypmod {
    /// Total significant digits allowed, 1..=`MAX_PRECISION`.
    precision: u8,
    /// Fractional digits every stored value is rounded to, 0..=`MAX_SCALE`; it may
    /// exceed the precision, as PostgreSQL 15 allows.
    scale: u8,
}

impl NumericTypmod {
    /// The modifier `NUMERIC(precision, scale)` names: 22023 with PostgreSQL's message
    /// where PostgreSQL refuses it, 0A000 where only our 28-digit storage does.
    pub fn new(precision: i64, scale: i64) -> Result<Self, TypeError> {
        if !(1..=PG_MAX_PRECISION).contains(&precision) {
            return Err(TypeError::InvalidParameterValue(format!(
                "NUMERIC precision {precision} must be between 1 and {PG_MAX_PRECISION}"
            )));
        }
        if !(-PG_MAX_SCALE..=PG_MAX_SCALE).contains(&scale) {
            return Err(TypeError::InvalidParameterValue(format!(
                "NUMERIC scale {scale} must be between -{PG_MAX_SCALE} and {PG_MAX_SCALE}"
            )));
        }
        if precision > i64::from(MAX_PRECISION) {
            return Err(TypeError::Unsupported(format!(
                "NUMERIC precision {precision} is not supported: Turnstile stores numerics \
                 with at most {MAX_PRECISION} significant digits"
            )));
        }
        if scale < 0 {
            return Err(TypeError::Unsupported(format!(
                "negative NUMERIC scale {scale} is not supported"
            )));
        }
        if scale > i64::from(MAX_SCALE) {
            return Err(TypeError::Unsupported(format!(
                "NUMERIC scale {scale} is not supported: Turnstile stores numerics \
                 with at most {MAX_SCALE} fractional digits"
            )));
        }
        // Both are checked above to be within 0..=28.
        Ok(Self {
            precision: precision as u8,
            scale: scale as u8,
        })
    }

    pub fn precision(self) -> u8 {
        self.precision
    }

    pub fn scale(self) -> u8 {
        self.scale
    }

    /// PostgreSQL's `atttypmod` for this modifier: `((p << 16) | s) + 4`.
    pub fn to_pg_typmod(self) -> i32 {
        ((i32::from(self.precision) << 16) | i32::from(self.scale)) + 4
    }

    /// `d` rounded to the scale (half away from zero) and carrying exactly that scale,
    /// or 22003 with PostgreSQL's detail if its integer part does not fit.
    pub fn apply(self, d: Decimal) -> Result<Decimal, TypeError> {
        let scale = u32::from(self.scale);
        let mut rounded =
            d.round_dp_with_strategy(scale, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        let int_digits = i32::from(self.precision) - i32::from(self.scale);
        if !rounded.is_zero() && rounded.abs() >= pow10(int_digits) {
            return Err(self.overflow(int_digits));
        }
        // The value now has at most `precision` digits, so raising the scale to
        // `scale` cannot overflow the mantissa and `rescale` is exact.
        rounded.rescale(scale);
        // PostgreSQL has no negative zero: -0.001 rounded to 2 places prints 0.00.
        if rounded.is_zero() {
            rounded.set_sign_positive(true);
        }
        Ok(rounded)
    }

    fn overflow(self, int_digits: i32) -> TypeError {
        // PostgreSQL prints 10^0 as 1.
        let bound = if int_digits == 0 {
            "1".to_owned()
        } else {
            format!("10^{int_digits}")
        };
        TypeError::NumericFieldOverflow {
            detail: format!(
                "A field with precision {}, scale {} must round to an absolute value less than {bound}.",
                self.precision, self.scale
            ),
        }
    }
}

/// `10^exp` for -28..=28, the range `precision - scale` spans.
fn pow10(exp: i32) -> Decimal {
    if exp >= 0 {
        Decimal::from_i128_with_scale(10i128.pow(exp.unsigned_abs()), 0)
    } else {
        Decimal::new(1, exp.unsigned_abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typmod(p: i64, s: i64) -> NumericTypmod {
        NumericTypmod::new(p, s).expect("valid modifier")
    }

    fn apply(p: i64, s: i64, v: &str) -> Result<String, TypeError> {
        let d: Decimal = v.parse().expect("decimal literal");
        typmod(p, s).apply(d).map(|d| d.to_string())
    }

    fn detail(e: TypeError) -> String {
        match e {
            TypeError::NumericFieldOverflow { detail } => detail,
            other => panic!("expected numeric field overflow, got {other:?}"),
        }
    }

    /// Rounding and scale as PostgreSQL 15 answers `SELECT v::numeric(p,s)`: half
    /// away from zero, the scale padded, no negative zero.
    #[test]
    fn rounds_to_scale() {
        assert_eq!(apply(10, 2, "1.005"), Ok("1.01".into()));
        assert_eq!(apply(10, 2, "-1.005"), Ok("-1.01".into()));
        assert_eq!(apply(3, 2, "1.999"), Ok("2.00".into()));
        assert_eq!(apply(8, 2, "4.5"), Ok("4.50".into()));
        assert_eq!(apply(5, 1, "123.456"), Ok("123.5".into()));
        assert_eq!(apply(5, 0, "1.5"), Ok("2".into()));
        assert_eq!(apply(5, 2, "-0.001"), Ok("0.00".into()));
        assert_eq!(apply(2, 5, "0.0001"), Ok("0.00010".into()));
        assert_eq!(apply(2, 2, "0.5"), Ok("0.50".into()));
        assert_eq!(
            apply(28, 0, "9999999999999999999999999999"),
            Ok("9999999999999999999999999999".into())
        );
        assert_eq!(
            apply(28, 28, "0.1"),
            Ok("0.1000000000000000000000000000".into())
        );
    }

    /// Overflow is checked after rounding, with PostgreSQL's detail text (10^0 is 1,
    /// and a scale above the precision gives a negative exponent).
    #[test]
    fn overflow_after_rounding() {
        let e = apply(5, 2, "12345.678").unwrap_err();
        assert_eq!(
            detail(e),
            "A field with precision 5, scale 2 must round to an absolute value less than 10^3."
        );
        assert_eq!(apply(5, 2, "999.99"), Ok("999.99".into()));
        let e = apply(5, 2, "999.995").unwrap_err();
        assert!(detail(e).ends_with("less than 10^3."));
        let e = apply(2, 2, "0.9999").unwrap_err();
        assert!(detail(e).ends_with("less than 1."));
        let e = apply(2, 5, "0.01").unwrap_err();
        assert!(detail(e).ends_with("less than 10^-3."));
        assert_eq!(apply(2, 5, "0"), Ok("0.00000".into()));
    }

    /// PostgreSQL's own bounds are 22023; what only our storage refuses is 0A000.
    #[test]
    fn modifier_bounds() {
        let code = |p, s| match NumericTypmod::new(p, s) {
            Ok(_) => "ok",
            Err(TypeError::InvalidParameterValue(_)) => "22023",
            Err(TypeError::Unsupported(_)) => "0A000",
            Err(_) => "other",
        };
        assert_eq!(code(0, 0), "22023");
        assert_eq!(code(1001, 0), "22023");
        assert_eq!(code(5, 1001), "22023");
        assert_eq!(code(29, 2), "0A000");
        assert_eq!(code(1000, 2), "0A000");
        assert_eq!(code(5, -2), "0A000");
        assert_eq!(code(5, 29), "0A000");
        assert_eq!(code(28, 28), "ok");
        assert_eq!(code(2, 5), "ok");
        assert_eq!(typmod(8, 2).to_pg_typmod(), 524294);
        assert_eq!(typmod(4, 0).to_pg_typmod(), 262148);
    }
}
