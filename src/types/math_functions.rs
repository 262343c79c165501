//! Bodies of the math functions. Float versions follow the C library's libm as
//! PostgreSQL does; numeric versions compute with rust_decimal and round to the scale
//! PostgreSQL's numeric.c chooses (at least 16 significant digits, estimated from the
//! argument, and at least the argument's scale). A result whose PostgreSQL digits a
//! Decimal cannot hold, or cannot be computed to with certainty, is 22003.

use rust_decimal::{Decimal, MathematicalOps, RoundingStrategy};

use super::cast::{decimal_to_f64, out_of_range};
use super::functions::FunctionId;
use super::numeric::value_overflows_numeric;
use super::ops::{
    decimal_weight, eval_binary, exact, float_overflow, float_underflow, nbase_lead, with_scale,
    BinaryOp,
};
use super::{TypeError, Value};

/// log10(e) as PostgreSQL's numeric.c writes it, a digit short of `LOG10_E`: the
/// result weights of `exp` and `power` computed with it can differ from the exact
/// constant's, and the result scale follows the weight.
#[allow(clippy::approx_constant)]
const PG_LOG10_E: f64 = 0.434294481903252;

/// 22003 for a transcendental result PostgreSQL shows with digits Turnstile cannot:
/// more than 28 after the point or in all, or more than rust_decimal computes with
/// certainty. Printing fewer or possibly wrong digits would be a wrong answer.
fn digits_out_of_range() -> TypeError {
    TypeError::OutOfRange(
        "numeric result is out of range: Turnstile's numeric cannot hold or compute the \
         digits PostgreSQL shows (at most 28 significant digits)"
            .to_owned(),
    )
}

/// PostgreSQL's result scale (numeric.c): NUMERIC_MIN_SIG_DIGITS (16) significant
/// digits for a result whose leading digit has decimal weight `result_dweight`, no
/// fewer places than any argument has, within 0..=NUMERIC_MAX_DISPLAY_SCALE (1000).
fn result_scale(result_dweight: i64, arg_scales: &[u32]) -> i64 {
    let widest_arg = arg_scales.iter().copied().max().unwrap_or(0);
    (16 - result_dweight)
        .max(i64::from(widest_arg))
        .clamp(0, 1000)
}

/// `value` rounded (half away from zero) to PostgreSQL's `rscale` places, if a Decimal
/// holds that many and every number within `error` of `value` (the computation's error
/// bound) rounds to the same digits; else 22003.
fn round_certain(value: Decimal, error: Decimal, rscale: i64) -> Result<Decimal, TypeError> {
    let scale = u32::try_from(rscale)
        .ok()
        .filter(|scale| *scale <= Decimal::MAX_SCALE)
        .ok_or_else(digits_out_of_range)?;
    let low = value.checked_sub(error).map(|v| with_scale(v, scale));
    let high = value.checked_add(error).map(|v| with_scale(v, scale));
    let rounded = with_scale(value, scale);
    if low.is_none() || low != high || rounded.scale() < scale {
        return Err(digits_out_of_range());
    }
    Ok(rounded)
}

/// |value| * relative + absolute: an error bound for a computed value.
fn error_bound(value: Decimal, relative: Decimal, absolute: Decimal) -> Decimal {
    value.abs() * relative + absolute
}

// Error bounds of rust_decimal's results, set from the worst differences from
// PostgreSQL's 45-digit results over thousands of arguments across the Decimal range.
//
// ln takes the argument's power of ten k out exactly and adds k * ln(10), whose
// 27-place constant is 6.84e-28 short: that part of the error is exactly |k| times
// that (1.9e-26 at ln of 7e28). The rest was at most 5.5e-28; 2e-27 bounds it.
fn ln_error(arg: Decimal) -> Decimal {
    let powers_of_ten = Decimal::from(decimal_weight(arg).abs());
    powers_of_ten * Decimal::new(7, 28) + Decimal::new(2, 27)
}

// exp: at most 1.1e-27 relative, bounded with ten times that; results below 1 are
// held to 28 places.
fn exp_error(exp: Decimal) -> Decimal {
    error_bound(exp, Decimal::new(1, 26), Decimal::new(2, 28))
}

// sqrt: at most 9e-29 relative, or 7.5e-29 below 1 (held to 28 places).
fn sqrt_error(root: Decimal) -> Decimal {
    error_bound(root, Decimal::new(1, 27), Decimal::new(2, 28))
}

// A Decimal product or quotient: rounded to 28 significant digits or 28 places.
fn rounding_error(result: Decimal) -> Decimal {
    error_bound(result, Decimal::new(1, 27), Decimal::new(2, 28))
}

/// The weight (power of 10000) of PostgreSQL's leading base-10000 digit; 0 for zero,
/// as PostgreSQL stores it.
fn nbase_weight(d: Decimal) -> i64 {
    if d.is_zero() {
        0
    } else {
        nbase_lead(d).0
    }
}

/// PostgreSQL's estimate_ln_dweight for `d` > 0: the decimal weight of ln(d), which
/// chooses the scale of `ln` and `log`. Near 1 it is the weight of d - 1 (ln(1+x) ~ x);
/// elsewhere it comes from ln of d's first two base-10000 digits, computed in doubles
/// exactly as PostgreSQL does so that borderline estimates agree.
fn estimate_ln_dweight(d: Decimal) -> i64 {
    if Decimal::new(9, 1) <= d && d <= Decimal::new(11, 1) {
        let x = d - Decimal::ONE;
        return if x.is_zero() { 0 } else { decimal_weight(x) };
    }
    let (digits, dweight) = leading_nbase_digits(d);
    let ln = (digits as f64).ln() + dweight as f64 * std::f64::consts::LN_10;
    // C's (int) cast: toward zero.
    ln.abs().log10() as i64
}

/// d ~ digits * 10^dweight as PostgreSQL's estimate_ln_dweight takes it from a
/// positive NumericVar: its first base-10000 digit, and the second too when any
/// non-zero digit follows the first (PostgreSQL stores no trailing zero digits).
fn leading_nbase_digits(d: Decimal) -> (u128, i64) {
    let mantissa = d.mantissa().unsigned_abs();
    let weight = nbase_weight(d);
    // Places of the mantissa below the first base-10000 digit: -3..=28.
    let below_first = i64::from(d.scale()) + 4 * weight;
    let below_second = below_first - 4;
    let first_two = if below_second >= 0 {
        mantissa / 10u128.pow(below_second as u32)
    } else {
        mantissa * 10u128.pow((-below_second) as u32)
    };
    let more_follow = below_first > 0 && !mantissa.is_multiple_of(10u128.pow(below_first as u32));
    if more_follow {
        (first_two, 4 * weight - 4)
    } else {
        (first_two / 10000, 4 * weight)
    }
}

/// The 2201E errors of `ln`, `log` and `log10`.
fn check_log_arg(is_zero: bool, is_negative: bool) -> Result<(), TypeError> {
    if is_zero {
        return Err(TypeError::InvalidLogarithm(
            "cannot take logarithm of zero".to_owned(),
        ));
    }
    if is_negative {
        return Err(TypeError::InvalidLogarithm(
            "cannot take logarithm of a negative number".to_owned(),
        ));
    }
    Ok(())
}

fn sqrt_negative() -> TypeError {
    TypeError::InvalidPower("cannot take square root of a negative number".to_owned())
}

/// One-argument math functions on a non-NULL argument.
pub fn eval_unary_math(f: FunctionId, v: &Value) -> Result<Value, TypeError> {
    match v {
        Value::Numeric(d) => numeric_unary(f, *d).map(Value::Numeric),
        Value::Float8(x) => float_unary(f, *x).map(Value::Float8),
        Value::Float4(x) if f == FunctionId::Abs => Ok(Value::Float4(x.abs())),
        Value::Int2(x) => x
            .checked_abs()
            .map(Value::Int2)
            .ok_or_else(|| out_of_range(v.data_type())),
        Value::Int4(x) => x
            .checked_abs()
            .map(Value::Int4)
            .ok_or_else(|| out_of_range(v.data_type())),
        Value::Int8(x) => x
            .checked_abs()
            .map(Value::Int8)
            .ok_or_else(|| out_of_range(v.data_type())),
        other => Err(TypeError::Unsupported(format!(
            "{f:?} of {}",
            other.data_type()
        ))),
    }
}

extern "C" {
    // glibc's cbrtf64 is its cbrt under its _Float64 name (the same function). The
    // plain name `cbrt` would link to compiler_builtins' Rust implementation, which
    // the linker finds before libm.
    #[cfg_attr(target_env = "gnu", link_name = "cbrtf64")]
    #[cfg_attr(not(target_env = "gnu"), link_name = "cbrt")]
    fn c_library_cbrt(x: f64) -> f64;
}

/// The C library's cube root, which PostgreSQL's cbrt(float8) calls: Rust's f64::cbrt
/// is its own implementation and differs in the last bit (glibc's cbrt(27) is
/// 3.0000000000000004, Rust's 3).
fn c_cbrt(x: f64) -> f64 {
    // SAFETY: cbrt takes and returns a double; it reads no memory and keeps no state.
    unsafe { c_library_cbrt(x) }
}

fn float_unary(f: FunctionId, x: f64) -> Result<f64, TypeError> {
    use FunctionId as F;
    let r = match f {
        F::Abs => x.abs(),
        F::Round => x.round_ties_even(),
        F::Trunc => x.trunc(),
        F::Ceil => x.ceil(),
        F::Floor => x.floor(),
        F::Sqrt if x < 0.0 => return Err(sqrt_negative()),
        F::Sqrt => x.sqrt(),
        F::Cbrt => c_cbrt(x),
        // PostgreSQL's float8_sign: 1 above zero, -1 below, else 0 (NaN and -0
        // included).
        F::Sign if x > 0.0 => 1.0,
        F::Sign if x < 0.0 => -1.0,
        F::Sign => 0.0,
        F::Exp => {
            let r = x.exp();
            // exp(-Infinity) is exactly 0; any other 0 is an underflow, as in
            // PostgreSQL's dexp (exp(-1000)).
            if r == 0.0 && x.is_finite() {
                return Err(float_underflow());
            }
            r
        }
        F::Ln | F::Log10 => {
            check_log_arg(x == 0.0, x < 0.0)?;
            if f == F::Ln {
                x.ln()
            } else {
                x.log10()
            }
        }
        _ => return Err(TypeError::Unsupported(format!("{f:?} on double precision"))),
    };
    if r.is_infinite() && x.is_finite() {
        return Err(float_overflow());
    }
    Ok(r)
}

fn numeric_unary(f: FunctionId, d: Decimal) -> Result<Decimal, TypeError> {
    use FunctionId as F;
    Ok(match f {
        F::Abs => d.abs(),
        F::Round => d.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero),
        F::Trunc => d.trunc(),
        F::Ceil => d.ceil(),
        F::Floor => d.floor(),
        F::Sign if d.is_zero() => Decimal::ZERO,
        F::Sign if d.is_sign_negative() => Decimal::NEGATIVE_ONE,
        F::Sign => Decimal::ONE,
        F::Sqrt => {
            if d.is_sign_negative() && !d.is_zero() {
                return Err(sqrt_negative());
            }
            let root = d.sqrt().ok_or_else(digits_out_of_range)?;
            // numeric_sqrt: the root has 2 * weight + 1 digits before the point.
            let root_dweight = 2 * nbase_weight(d) + 1;
            round_certain(
                root,
                sqrt_error(root),
                result_scale(root_dweight, &[d.scale()]),
            )?
        }
        F::Exp => {
            // numeric_exp: the result's decimal weight is about d * log10(e), taken
            // from d as a double and cut toward zero as C's (int) does.
            let exp_dweight = (decimal_to_f64(d) * PG_LOG10_E).clamp(-1000.0, 1000.0) as i64;
            let exp = d.checked_exp().ok_or_else(digits_out_of_range)?;
            round_certain(exp, exp_error(exp), result_scale(exp_dweight, &[d.scale()]))?
        }
        F::Ln => {
            check_log_arg(d.is_zero(), d.is_sign_negative())?;
            let ln = d.checked_ln().ok_or_else(digits_out_of_range)?;
            let rscale = result_scale(estimate_ln_dweight(d), &[d.scale()]);
            round_certain(ln, ln_error(d), rscale)?
        }
        // PostgreSQL defines log(numeric) and log10(numeric) as log(10, x).
        F::Log10 => log_base(Decimal::TEN, d)?,
        _ => return Err(TypeError::Unsupported(format!("{f:?} on numeric"))),
    })
}

/// `pg_size_pretty(bytes)` of a bigint or a numeric, as PostgreSQL 15's
/// (`dbsize.c`): bytes below 10240, else the unit from kB to PB that leaves fewer
/// than 20480 of it, rounded half away from zero. PostgreSQL's bigint and numeric
/// forms agree on every bigint, so both are computed here in numeric.
pub fn size_pretty(bytes: &Value) -> Result<String, TypeError> {
    // Each unit: its name, the size it is used below, whether it rounds, and
    // the log2 of its bytes.
    const UNITS: [(&str, i64, bool, u32); 6] = [
        ("bytes", 10 * 1024, false, 0),
        ("kB", 20 * 1024 - 1, true, 10),
        ("MB", 20 * 1024 - 1, true, 20),
        ("GB", 20 * 1024 - 1, true, 30),
        ("TB", 20 * 1024 - 1, true, 40),
        ("PB", 20 * 1024 - 1, true, 50),
    ];
    let mut size = match bytes {
        Value::Int8(n) => Decimal::from(*n),
        Value::Numeric(d) => *d,
        other => {
            return Err(TypeError::Unsupported(format!(
                "pg_size_pretty of {}",
                other.data_type()
            )))
        }
    };
    for (i, &(name, limit, round, bits)) in UNITS.iter().enumerate() {
        match UNITS.get(i + 1) {
            Some(&(_, _, next_round, next_bits)) if size.abs() >= Decimal::from(limit) => {
                // Divided by one bit less when the next unit halves by rounding,
                // one bit more when this one would have.
                let shift = next_bits - bits - u32::from(next_round) + u32::from(round);
                size = (size / Decimal::from(1_i64 << shift)).trunc();
            }
            _ => {
                if round {
                    let away = if size < Decimal::ZERO {
                        Decimal::NEGATIVE_ONE
                    } else {
                        Decimal::ONE
                    };
                    size = ((size + away) / Decimal::TWO).trunc();
                }
                return Ok(format!("{} {name}", Value::Numeric(size).to_text()));
            }
        }
    }
    unreachable!("the last unit is always used")
}

/// Two-argument math functions on non-NULL arguments.
pub fn eval_binary_math(f: FunctionId, a: &Value, b: &Value) -> Result<Value, TypeError> {
    use FunctionId as F;
    match (f, a, b) {
        (F::Mod, _, _) => eval_binary(BinaryOp::Mod, a, b),
        // Exactly: the dividend less its remainder is a multiple of the
        // divisor, where truncating a rounded quotient could be one off.
        (F::Div, Value::Numeric(_), Value::Numeric(_)) => {
            let remainder = eval_binary(BinaryOp::Mod, a, b)?;
            let multiple = eval_binary(BinaryOp::Sub, a, &remainder)?;
            Ok(match eval_binary(BinaryOp::Div, &multiple, b)? {
                Value::Numeric(quotient) => Value::Numeric(quotient.trunc()),
                other => other,
            })
        }
        (F::Power, _, _) => eval_binary(BinaryOp::Pow, a, b),
        (F::RoundTo | F::TruncTo, Value::Numeric(d), places) => {
            let places = places.as_i64().unwrap_or(0);
            let strategy = if f == F::RoundTo {
                RoundingStrategy::MidpointAwayFromZero
            } else {
                RoundingStrategy::ToZero
            };
            round_places(*d, places, strategy).map(Value::Numeric)
        }
        (F::LogBase, Value::Numeric(base), Value::Numeric(x)) => {
            log_base(*base, *x).map(Value::Numeric)
        }
        _ => Err(TypeError::Unsupported(format!(
            "{f:?}({}, {})",
            a.data_type(),
            b.data_type()
        ))),
    }
}

/// `round(numeric, n)`/`trunc(numeric, n)`: n may be negative (`round(1234.5, -2)` is
/// 1200); the result has scale max(n, 0). PostgreSQL shows all n places (up to 2000),
/// so a result a Decimal cannot hold at that scale is 22003 (`round(1.5, 40)`).
fn round_places(d: Decimal, places: i64, strategy: RoundingStrategy) -> Result<Decimal, TypeError> {
    if let Ok(places) = u32::try_from(places) {
        let rounded = d.round_dp_with_strategy(places, strategy);
        return exact(with_scale(rounded, places), places);
    }
    if places < -28 {
        return Ok(Decimal::ZERO);
    }
    let factor = Decimal::from_i128_with_scale(10i128.pow((-places) as u32), 0);
    let shifted = d.checked_div(factor).ok_or_else(value_overflows_numeric)?;
    let rounded = shifted.round_dp_with_strategy(0, strategy);
    let r = rounded
        .checked_mul(factor)
        .ok_or_else(value_overflows_numeric)?;
    Ok(r.trunc())
}

/// `a ^ b` for numerics, `a` >= 0 and `b` with a fraction (positive when `a` is 0),
/// as PostgreSQL's power_var computes it: exp(b * ln(a)), to 16 significant digits by the weight
/// b * ln(a) * log10(e) gives, and no fewer places than either argument has.
pub(crate) fn fractional_power(a: Decimal, b: Decimal) -> Result<Decimal, TypeError> {
    if a.is_zero() {
        // power_var takes no logarithm of zero: 0 ^ b is 0 at 16 places, whatever
        // the arguments' scales.
        return Ok(with_scale(Decimal::ZERO, 16));
    }
    let ln = a.checked_ln().ok_or_else(digits_out_of_range)?;
    let exponent = ln.checked_mul(b).ok_or_else(digits_out_of_range)?;
    let power = exponent.checked_exp().ok_or_else(digits_out_of_range)?;
    // An error e in the exponent is a relative error of e^e - 1 in the power, under
    // 2e for the small errors that can round with certainty. The exponent's error is
    // ln(a)'s times b, and the product's rounding.
    let error = b
        .abs()
        .checked_mul(ln_error(a))
        .and_then(|e| e.checked_add(rounding_error(exponent)))
        .and_then(|e| e.checked_mul(power.abs()))
        .and_then(|e| e.checked_mul(Decimal::TWO))
        .and_then(|e| e.checked_add(exp_error(power)))
        .ok_or_else(digits_out_of_range)?;
    // As for exp: the weight from a double, cut toward zero.
    let power_dweight = (decimal_to_f64(exponent) * PG_LOG10_E) as i64;
    let rscale = result_scale(power_dweight, &[a.scale(), b.scale()]);
    round_certain(power, error, rscale)
}

/// `log(base, x)` for numerics: ln(x) / ln(base), to the scale of PostgreSQL's
/// log_var (16 significant digits of the quotient as estimate_ln_dweight sees it).
fn log_base(base: Decimal, x: Decimal) -> Result<Decimal, TypeError> {
    check_log_arg(
        base.is_zero() || x.is_zero(),
        base.is_sign_negative() || x.is_sign_negative(),
    )?;
    let ln_base = base.checked_ln().ok_or_else(digits_out_of_range)?;
    if ln_base.is_zero() {
        return Err(TypeError::DivisionByZero);
    }
    let ln_x = x.checked_ln().ok_or_else(digits_out_of_range)?;
    let quotient = ln_x.checked_div(ln_base).ok_or_else(digits_out_of_range)?;
    // The quotient's error: ln(x)'s and quotient * ln(base)'s, over ln(base), and its
    // own rounding.
    let error = quotient
        .abs()
        .checked_mul(ln_error(base))
        .and_then(|e| e.checked_add(ln_error(x)))
        .and_then(|e| e.checked_div(ln_base.abs()))
        .and_then(|e| e.checked_add(rounding_error(quotient)))
        .ok_or_else(digits_out_of_range)?;
    let result_dweight = estimate_ln_dweight(x) - estimate_ln_dweight(base);
    let rscale = result_scale(result_dweight, &[base.scale(), x.scale()]);
    round_certain(quotient, error, rscale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_nbase_digits_as_postgres_stores_them() {
        // 20000.5 is digits 2, 0000, 5000: two are taken, weight 0.
        assert_eq!(leading_nbase_digits(Decimal::new(200005, 1)), (20000, 0));
        // 20000 is the single digit 2 of weight 1.
        assert_eq!(leading_nbase_digits(Decimal::new(20000, 0)), (2, 4));
        // 0.000001 is the single digit 0100 of weight -2.
        assert_eq!(leading_nbase_digits(Decimal::new(1, 6)), (100, -8));
    }

    #[test]
    fn estimate_ln_dweight_as_postgres() {
        assert_eq!(estimate_ln_dweight(Decimal::new(10001, 4)), -4);
        assert_eq!(estimate_ln_dweight(Decimal::new(5, 1)), 0);
        assert_eq!(estimate_ln_dweight(Decimal::ONE), 0);
        assert_eq!(estimate_ln_dweight(Decimal::from(10u64.pow(15))), 1);
    }
}
