//! Bodies of the math functions. Float versions follow C's libm as PostgreSQL does;
//! numeric versions compute with rust_decimal and print with PostgreSQL's result
//! scale: at least 16 significant digits and at least the argument's scale
//! (NUMERIC_MIN_SIG_DIGITS), capped at the 28 fractional digits a Decimal holds.

use rust_decimal::{Decimal, MathematicalOps, RoundingStrategy};

use super::cast::{decimal_to_f64, out_of_range};
use super::functions::FunctionId;
use super::ops::{eval_binary, float_pow, with_scale, BinaryOp};
use super::{TypeError, Value};

fn overflow() -> TypeError {
    TypeError::OutOfRange("value out of range: overflow".to_owned())
}

fn numeric_overflow() -> TypeError {
    TypeError::OutOfRange("value overflows numeric format".to_owned())
}

/// PostgreSQL's scale for a transcendental result: 16 significant digits.
fn sig_scale(result: Decimal, min_scale: u32) -> u32 {
    let magnitude = decimal_to_f64(result).abs();
    let weight = if magnitude == 0.0 {
        0
    } else {
        magnitude.log10().floor() as i64
    };
    (16 - weight).max(i64::from(min_scale)).clamp(0, 28) as u32
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
        F::Cbrt => x.cbrt(),
        F::Sign if x == 0.0 || x.is_nan() => x,
        F::Sign => x.signum(),
        F::Exp => x.exp(),
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
        return Err(overflow());
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
            let r = d.sqrt().ok_or_else(numeric_overflow)?;
            // PostgreSQL's numeric_sqrt: 16 digits minus half the argument's weight.
            let weight = if d.is_zero() {
                0
            } else {
                decimal_to_f64(d).log10().floor() as i64
            };
            let sweight = (weight.div_euclid(4) + 1) * 4 / 2 - 1;
            let scale = (16 - sweight).max(i64::from(d.scale())).clamp(0, 28) as u32;
            with_scale(r, scale)
        }
        F::Exp => {
            let r = d.checked_exp().ok_or_else(numeric_overflow)?;
            with_scale(r, sig_scale(r, d.scale()))
        }
        F::Ln | F::Log10 => {
            check_log_arg(d.is_zero(), d.is_sign_negative())?;
            let r = if f == F::Ln {
                d.checked_ln()
            } else {
                d.checked_log10()
            }
            .ok_or_else(numeric_overflow)?;
            with_scale(r, sig_scale(r, d.scale()))
        }
        _ => return Err(TypeError::Unsupported(format!("{f:?} on numeric"))),
    })
}

/// Two-argument math functions on non-NULL arguments.
pub fn eval_binary_math(f: FunctionId, a: &Value, b: &Value) -> Result<Value, TypeError> {
    use FunctionId as F;
    match (f, a, b) {
        (F::Mod, _, _) => eval_binary(BinaryOp::Mod, a, b),
        (F::Power, Value::Float8(x), Value::Float8(y)) => {
            let r = float_pow(*x, *y)?;
            if r.is_infinite() && x.is_finite() && y.is_finite() {
                return Err(overflow());
            }
            Ok(Value::Float8(r))
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
/// 1200); the result has scale max(n, 0).
fn round_places(d: Decimal, places: i64, strategy: RoundingStrategy) -> Result<Decimal, TypeError> {
    if places >= 0 {
        let places = places.min(28) as u32;
        return Ok(with_scale(
            d.round_dp_with_strategy(places, strategy),
            places,
        ));
    }
    if places < -28 {
        return Ok(Decimal::ZERO);
    }
    let factor = Decimal::from_i128_with_scale(10i128.pow((-places) as u32), 0);
    let shifted = d.checked_div(factor).ok_or_else(numeric_overflow)?;
    let rounded = shifted.round_dp_with_strategy(0, strategy);
    let r = rounded.checked_mul(factor).ok_or_else(numeric_overflow)?;
    Ok(r.trunc())
}

/// `log(base, x)` for numerics: ln(x) / ln(base), 16 significant digits.
fn log_base(base: Decimal, x: Decimal) -> Result<Decimal, TypeError> {
    check_log_arg(
        base.is_zero() || x.is_zero(),
        base.is_sign_negative() || x.is_sign_negative(),
    )?;
    let ln_base = base.checked_ln().ok_or_else(numeric_overflow)?;
    if ln_base.is_zero() {
        return Err(TypeError::DivisionByZero);
    }
    let r = x
        .checked_ln()
        .ok_or_else(numeric_overflow)?
        .checked_div(ln_base)
        .ok_or_else(numeric_overflow)?;
    Ok(with_scale(r, sig_scale(r, base.scale().max(x.scale()))))
}
