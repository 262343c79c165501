//! Reading `numeric` literals as PostgreSQL does, over `rust_decimal`.
//!
//! PostgreSQL keeps the scale a literal was written with (`1.50` stays `1.50`) and
//! folds an exponent into it (`1.5e3` is `1500`, scale 0; `1e-3` is `0.001`, scale 3).
//! The same normalization prints JSON numbers in jsonb, which PostgreSQL stores as
//! numerics, so it works on digit strings of any length. `rust_decimal` holds 28-29
//! significant digits and at most 28 after the point. PostgreSQL's numeric holds
//! far more, so input beyond that is 22003 with a message naming our limit: never
//! silently rounded. Only input for a `numeric(p, s)` column or cast is rounded,
//! to its scale, as PostgreSQL rounds it (half away from zero).

use rust_decimal::Decimal;

use super::TypeError;

/// Exponents beyond this are refused; PostgreSQL's own limit is in the same range
/// (its numeric holds up to 131072 digits before the point) and it keeps input small.
const MAX_EXPONENT: i64 = 1000;

/// The most fractional digits a `Decimal` can hold.
pub const MAX_SCALE: u32 = 28;

/// The parts of a decimal literal: sign, digits without the point, and where the point
/// goes (digits before it, possibly negative or beyond the digits).
pub struct DecimalText {
    pub negative: bool,
    pub digits: String,
    pub point: i64,
    pub scale: u32,
}

/// Splits `[+-]digits[.digits][e[+-]digits]`; `None` if it is not that shape.
pub fn split_decimal(text: &str) -> Option<DecimalText> {
    let (negative, rest) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exp) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], parse_exponent(&rest[i + 1..])?),
        None => (rest, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !all_digits(int) || !all_digits(frac) {
        return None;
    }
    let scale = (frac.len() as i64 - exp).max(0) as u32;
    Some(DecimalText {
        negative,
        digits: format!("{int}{frac}"),
        point: int.len() as i64 + exp,
        scale,
    })
}

fn parse_exponent(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

impl DecimalText {
    /// Plain notation with the literal's scale: what `numeric_out` prints.
    pub fn to_plain(&self) -> Result<String, TypeError> {
        if self.point.abs() > MAX_EXPONENT + self.digits.len() as i64 {
            return Err(value_overflows_numeric());
        }
        let mut int = String::new();
        let mut frac = String::new();
        for i in self.point.min(0)..(self.point + i64::from(self.scale)) {
            let digit = usize::try_from(i)
                .ok()
                .and_then(|i| self.digits.as_bytes().get(i))
                .copied();
            let c = char::from(digit.unwrap_or(b'0'));
            if i < self.point {
                int.push(c);
            } else {
                frac.push(c);
            }
        }
        let int = int.trim_start_matches('0');
        let int = if int.is_empty() { "0" } else { int };
        let is_zero = int == "0" && frac.bytes().all(|b| b == b'0');
        let sign = if self.negative && !is_zero { "-" } else { "" };
        Ok(if frac.is_empty() {
            format!("{sign}{int}")
        } else {
            format!("{sign}{int}.{frac}")
        })
    }
}

/// Parses numeric input text (trimmed, exponent allowed). 22P02 for junk, 22003 when
/// the value does not fit (more than 28 digits after the point included), 0A000 for
/// `NaN`/`Infinity`, which Turnstile cannot store.
pub fn parse_numeric(text: &str) -> Result<Decimal, TypeError> {
    parse_numeric_to(text, None)
}

/// Numeric input for a `numeric(p, s)` column or cast: the digits are first rounded
/// to `scale` after the point, as PostgreSQL rounds them, so any number of them is
/// accepted. The caller applies the precision.
pub fn parse_numeric_scaled(text: &str, scale: u32) -> Result<Decimal, TypeError> {
    parse_numeric_to(text, Some(scale))
}

fn parse_numeric_to(text: &str, scale: Option<u32>) -> Result<Decimal, TypeError> {
    let trimmed = text.trim();
    let invalid = || TypeError::InvalidText {
        type_name: "numeric".to_owned(),
        input: text.to_owned(),
    };
    let lower = trimmed.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "nan" | "infinity" | "+infinity" | "-infinity" | "inf" | "+inf" | "-inf"
    ) {
        return Err(TypeError::Unsupported(format!(
            "numeric value \"{trimmed}\" is not supported"
        )));
    }
    let mut parts = split_decimal(trimmed).ok_or_else(invalid)?;
    match scale {
        Some(scale) if parts.scale > scale => round_digits(&mut parts, scale),
        None if parts.scale > MAX_SCALE => {
            return Err(TypeError::OutOfRange(format!(
                "numeric value \"{trimmed}\" is out of range: Turnstile's numeric holds at \
                 most {MAX_SCALE} digits after the decimal point"
            )))
        }
        _ => {}
    }
    let plain = parts.to_plain()?;
    // PostgreSQL would take it; say that the limit is ours.
    Decimal::from_str_exact(&plain).map_err(|_| {
        TypeError::OutOfRange(format!(
            "numeric value \"{trimmed}\" is out of range: Turnstile's numeric holds at most \
             28 significant digits (absolute values below 7.9e28)"
        ))
    })
}

/// Rounds the digit string to `scale` fractional digits, half away from zero.
fn round_digits(parts: &mut DecimalText, scale: u32) {
    let keep = parts.point + i64::from(scale);
    let round_up = usize::try_from(keep)
        .ok()
        .and_then(|k| parts.digits.as_bytes().get(k))
        .is_some_and(|&d| d >= b'5');
    let keep = keep.max(0) as usize;
    let mut digits: Vec<u8> = parts.digits.bytes().take(keep).collect();
    if round_up {
        let mut i = digits.len();
        loop {
            if i == 0 {
                digits.insert(0, b'1');
                parts.point += 1;
                break;
            }
            i -= 1;
            if digits[i] == b'9' {
                digits[i] = b'0';
            } else {
                digits[i] += 1;
                break;
            }
        }
    }
    // Only ASCII digits were pushed.
    parts.digits = String::from_utf8(digits).unwrap_or_default();
    parts.scale = scale;
}

/// 22003 for a value beyond what a numeric holds, with PostgreSQL's message.
pub fn value_overflows_numeric() -> TypeError {
    TypeError::OutOfRange("value overflows numeric format".to_owned())
}

pub fn numeric_overflow() -> TypeError {
    TypeError::OutOfRange("numeric field overflow".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Scales follow PostgreSQL: `SELECT '1.5e3'::numeric, '1e-3'::numeric, ...`.
    #[test]
    fn scale_rules() {
        let show = |s: &str| parse_numeric(s).map(|d| d.to_string());
        assert_eq!(show(" 1.50 "), Ok("1.50".into()));
        assert_eq!(show("1.5e3"), Ok("1500".into()));
        assert_eq!(show("1E-3"), Ok("0.001".into()));
        assert_eq!(show("1.0e1"), Ok("10".into()));
        assert_eq!(show("-0.0"), Ok("0.0".into()));
        assert_eq!(show(".5"), Ok("0.5".into()));
        assert_eq!(show("5."), Ok("5".into()));
        assert!(matches!(show("abc"), Err(TypeError::InvalidText { .. })));
        assert!(matches!(show("1e40"), Err(TypeError::OutOfRange(_))));
    }

    /// Only a typmod's scale rounds: `'0.125'::numeric(5, 2)` is 0.13, and any
    /// number of digits may be rounded away there.
    #[test]
    fn scaled_input_rounds_to_the_scale() {
        let show = |s: &str, scale| parse_numeric_scaled(s, scale).map(|d| d.to_string());
        assert_eq!(show("0.125", 2), Ok("0.13".into()));
        assert_eq!(show("-0.125", 2), Ok("-0.13".into()));
        assert_eq!(
            show("0.12345678901234567890123456789012", 4),
            Ok("0.1235".into())
        );
        assert_eq!(show("1e-50", 3), Ok("0.000".into()));
        assert_eq!(show("9.999", 2), Ok("10.00".into()));
    }

    /// SQL literals are exact or refused: `1e-50` is not silently 0.
    #[test]
    fn digits_are_never_rounded_away() {
        let show = |s: &str| parse_numeric(s).map(|d| d.to_string());
        assert_eq!(show("1.50"), Ok("1.50".into()));
        assert_eq!(show("1e-28"), Ok("0.0000000000000000000000000001".into()));
        assert!(matches!(show("1e-50"), Err(TypeError::OutOfRange(_))));
        assert!(matches!(show("1e100"), Err(TypeError::OutOfRange(_))));
        assert!(matches!(
            show("0.12345678901234567890123456789"),
            Err(TypeError::OutOfRange(_))
        ));
    }
}
