//! PostgreSQL's text format: parsing literals and printing values.
//!
//! This is what clients see in the text protocol and what `'...'::type` reads, so
//! it follows PostgreSQL 15 byte for byte: floats print as `extra_float_digits`
//! says (by default the shortest text that reads back exactly), numerics keep their
//! scale, bytea is hex, timestamps use the ISO DateStyle, timestamptz is shown in
//! the session's time zone. Input accepts what PostgreSQL accepts, with its messages
//! and SQLSTATEs (22P02 bad syntax, 22003 out of range, 22007/22008 for dates).

use std::fmt::Write;

use super::datetime_input::{parse_date, parse_timestamp, parse_timestamptz};
use super::json::{check_json, normalize_jsonb};
use super::numeric::{parse_numeric, parse_numeric_scaled};
use super::time::{write_date, write_timestamp, write_timestamptz};
use super::timezone::TimeZone;
use super::{DataType, TypeError, Value};

/// How values are written as text: the session settings PostgreSQL's output
/// functions read, passed where a value becomes text. Copying it costs nothing.
#[derive(Debug, Clone, Copy)]
pub struct TextStyle<'a> {
    /// `TimeZone`: timestamptz values are shown in it.
    pub time_zone: &'a TimeZone,
    /// `extra_float_digits`, from -15 to 3: above 0 floats print the shortest text
    /// that reads back exactly, otherwise 15 (float8) or 6 (float4) plus this many
    /// significant digits.
    pub extra_float_digits: i32,
}

/// PostgreSQL's default `extra_float_digits`: floats print their shortest exact text.
pub const DEFAULT_EXTRA_FLOAT_DIGITS: i32 = 1;

impl<'a> From<&'a TimeZone> for TextStyle<'a> {
    /// A time zone alone writes floats as by default, for callers that have the
    /// session's zone but not its `extra_float_digits`.
    fn from(time_zone: &'a TimeZone) -> Self {
        TextStyle {
            time_zone,
            extra_float_digits: DEFAULT_EXTRA_FLOAT_DIGITS,
        }
    }
}

impl Value {
    /// The value in PostgreSQL's text output format (timestamptz in UTC). NULL prints
    /// as the empty string; the wire layer sends NULL as a null field instead.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write_text(&mut out, &TimeZone::Utc);
        out
    }

    /// Appends the value's text form in `style` (a bare time zone means the default
    /// float output).
    pub fn write_text<'a>(&self, out: &mut String, style: impl Into<TextStyle<'a>>) {
        let style = style.into();
        match self {
            Value::Null => {}
            Value::Bool(b) => out.push(if *b { 't' } else { 'f' }),
            Value::Int2(v) => push_display(out, v),
            Value::Int4(v) => push_display(out, v),
            Value::Int8(v) => push_display(out, v),
            Value::Float4(v) => write_float(out, f64::from(*v), true, style.extra_float_digits),
            Value::Float8(v) => write_float(out, *v, false, style.extra_float_digits),
            // A zero computed from a negative (ceil(-0.5)) keeps its sign here;
            // PostgreSQL's numeric has no negative zero.
            Value::Numeric(d) if d.is_zero() => push_display(out, &d.abs()),
            Value::Numeric(d) => push_display(out, d),
            Value::Text(s) | Value::Jsonb(s) | Value::Json(s) => out.push_str(s),
            Value::Bytea(bytes) => write_bytea_hex(out, bytes),
            Value::Timestamp(us) => write_timestamp(out, *us),
            Value::Timestamptz(us) => write_timestamptz(out, *us, style.time_zone),
            Value::Date(days) => write_date(out, *days),
            Value::Uuid(bytes) => write_uuid(out, bytes),
            Value::Interval(interval) => super::interval::write_interval(out, interval),
            Value::Array(items) => super::array::write_array(out, items, style),
        }
    }
}

/// A vector's text (`int2vectorout`/`oidvectorout`): its numbers separated
/// by spaces, without braces.
pub fn write_vector(out: &mut String, items: &[Value]) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        item.write_text(out, &TimeZone::Utc);
    }
}

fn push_display(out: &mut String, v: &impl std::fmt::Display) {
    // Writing to a String cannot fail.
    let _ = write!(out, "{v}");
}

/// PostgreSQL's float4out/float8out (`single` for float4). With `extra_float_digits`
/// above 0, the digits of [`shortest_decimal`]; otherwise C's `%.*g` with DBL_DIG
/// (15) or FLT_DIG (6) plus `extra_float_digits` significant digits, at least one,
/// as `pg_strfromd` prints them: `0.1::float8 + 0.2::float8` is 0.3 at 0 where it is
/// 0.30000000000000004 at 1.
fn write_float(out: &mut String, v: f64, single: bool, extra_float_digits: i32) {
    if v.is_nan() {
        return out.push_str("NaN");
    }
    if v.is_infinite() {
        return out.push_str(if v > 0.0 { "Infinity" } else { "-Infinity" });
    }
    if v.is_sign_negative() {
        out.push('-');
    }
    if v == 0.0 {
        return out.push('0');
    }
    // DBL_DIG or FLT_DIG. PostgreSQL's Ryu port switches to exponent form at this
    // exponent, as `%g` does at its precision.
    let type_digits = if single { 6 } else { 15 };
    let ((mantissa, power), fixed_max) = if extra_float_digits > 0 {
        (shortest_decimal(v.abs(), single), type_digits)
    } else {
        let precision = (type_digits + extra_float_digits).max(1);
        let (mantissa, power) = round_to_digits(v.abs(), precision as usize);
        (without_trailing_zeros(mantissa, power), precision)
    };
    write_decimal(out, mantissa, power, fixed_max);
}

/// Writes mantissa × 10^power (no trailing zero in the mantissa) as `%g` lays it
/// out: fixed notation for decimal exponents from -4 up to (not including)
/// `fixed_max`, otherwise `1.5e+20` style with at least two exponent digits.
fn write_decimal(out: &mut String, mantissa: u64, power: i32, fixed_max: i32) {
    let digits = mantissa.to_string();
    // The decimal exponent of the first digit.
    let exp = power + digits.len() as i32 - 1;
    if (-4..fixed_max).contains(&exp) {
        if exp < 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
            out.push_str(&digits);
        } else {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', int_len - digits.len()));
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let sign = if exp < 0 { '-' } else { '+' };
        let _ = write!(out, "e{sign}{:02}", exp.abs());
    }
}

/// The decimal PostgreSQL's Ryu port (d2s.c, f2s.c) prints for a finite positive
/// float, as `(mantissa, power)` meaning mantissa × 10^power with no trailing zero
/// in the mantissa: the fewest significant digits strictly between the float's
/// rounding boundaries, and of those the closest to it, ties to even. PostgreSQL
/// builds Ryu without STRICTLY_SHORTEST, so a decimal exactly on a boundary does
/// not count even where reading it back would round to this float: `7e22::float8`
/// prints 7.0000000000000004e+22. Rust's `{:e}` counts it, and rounds ties up
/// (`405335.625::float4` would be 405335.63, PostgreSQL's is 405335.62).
fn shortest_decimal(v: f64, single: bool) -> (u64, i32) {
    let (lower, upper) = rounding_boundaries(v, single);
    let strictly_inside = |mantissa: u64, power: i32| {
        let reads_back = if single {
            format!("{mantissa}e{power}").parse::<f32>() == Ok(v as f32)
        } else {
            format!("{mantissa}e{power}").parse::<f64>() == Ok(v)
        };
        reads_back && !lower.equals(mantissa, power) && !upper.equals(mantissa, power)
    };
    // No fewer digits than Rust's shortest text, whose interval includes PostgreSQL's.
    let rust_shortest = if single {
        format!("{:e}", v as f32)
    } else {
        format!("{v:e}")
    };
    let (rust_mantissa, _) = rust_shortest
        .split_once('e')
        .unwrap_or((&rust_shortest, ""));
    let rust_len = rust_mantissa.len() - usize::from(rust_mantissa.contains('.'));
    // 17 significant digits always lie strictly inside (9 for a float4).
    for len in rust_len..17 {
        let (mantissa, power) = round_to_digits(v, len);
        // Rounded down onto or below the lower boundary, the next decimal up is the
        // closest one inside, as Ryu takes it.
        for mantissa in [mantissa, mantissa + 1] {
            if strictly_inside(mantissa, power) {
                return without_trailing_zeros(mantissa, power);
            }
        }
    }
    let (mantissa, power) = round_to_digits(v, 17);
    without_trailing_zeros(mantissa, power)
}

/// `v` rounded to `len` significant digits, ties to even (as Rust's `{:.N$e}`
/// and glibc's `%.*e` do, on the float's exact value), as mantissa × 10^power.
fn round_to_digits(v: f64, len: usize) -> (u64, i32) {
    let rounded = format!("{:.*e}", len - 1, v);
    let (digits, exp) = rounded.split_once('e').unwrap_or((&rounded, "0"));
    let mantissa = digits.replace('.', "").parse().unwrap_or(0);
    (mantissa, exp.parse::<i32>().unwrap_or(0) - (len as i32 - 1))
}

fn without_trailing_zeros(mut mantissa: u64, mut power: i32) -> (u64, i32) {
    while mantissa.is_multiple_of(10) {
        mantissa /= 10;
        power += 1;
    }
    (mantissa, power)
}

/// A binary fraction `odd × 2^power`: one of the two points halfway between a float
/// and its neighbours, which reading a decimal rounds from.
struct Dyadic {
    odd: u64,
    power: i32,
}

/// The rounding boundaries below and above a finite positive float. Below a power
/// of two the neighbour is half as far, so is the lower boundary.
fn rounding_boundaries(v: f64, single: bool) -> (Dyadic, Dyadic) {
    let (fraction, biased_exp, fraction_bits, bias) = if single {
        let bits = (v as f32).to_bits();
        (u64::from(bits & 0x7f_ffff), (bits >> 23) as i32, 23, 127)
    } else {
        let bits = v.to_bits();
        (bits & ((1 << 52) - 1), (bits >> 52) as i32, 52, 1023)
    };
    // v = significand × 2^exp, subnormals included.
    let (significand, exp) = if biased_exp == 0 {
        (fraction, 1 - bias - fraction_bits)
    } else {
        (
            fraction | 1 << fraction_bits,
            biased_exp - bias - fraction_bits,
        )
    };
    let upper = Dyadic {
        odd: 2 * significand + 1,
        power: exp - 1,
    };
    let lower = if fraction == 0 && biased_exp > 1 {
        Dyadic {
            odd: 4 * significand - 1,
            power: exp - 2,
        }
    } else {
        Dyadic {
            odd: 2 * significand - 1,
            power: exp - 1,
        }
    };
    (lower, upper)
}

impl Dyadic {
    /// Whether mantissa × 10^power is exactly this point, compared in u128: with
    /// `odd` odd, equality needs 5^|power| to divide `odd` or `mantissa`, so a
    /// power of 5 too large for u128 means they differ.
    fn equals(&self, mantissa: u64, power: i32) -> bool {
        // mantissa × 5^power × 2^power = odd × 2^self.power
        let five_power = |n: i32| 5u128.checked_pow(n.unsigned_abs());
        let shifted = |x: u128, by: i32| {
            let by = by.unsigned_abs();
            (by < 128 && x.leading_zeros() >= by).then(|| x << by)
        };
        let (left, right, shift) = if power >= 0 {
            let Some(left) = five_power(power).and_then(|f| f.checked_mul(u128::from(mantissa)))
            else {
                return false;
            };
            (left, u128::from(self.odd), self.power - power)
        } else {
            let Some(right) = five_power(power).and_then(|f| f.checked_mul(u128::from(self.odd)))
            else {
                return false;
            };
            (u128::from(mantissa), right, self.power - power)
        };
        // left = right × 2^shift, with a negative shift moved to the left side.
        if shift >= 0 {
            shifted(right, shift) == Some(left)
        } else {
            shifted(left, shift) == Some(right)
        }
    }
}

fn write_bytea_hex(out: &mut String, bytes: &[u8]) {
    out.reserve(2 + bytes.len() * 2);
    out.push_str("\\x");
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
}

fn write_uuid(out: &mut String, bytes: &[u8; 16]) {
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        let _ = write!(out, "{b:02x}");
    }
}

impl DataType {
    /// Appends the output text of `value` as a value of this type (what a client
    /// receives in text format and COPY TO writes).
    pub fn write_output(self, value: &Value, out: &mut String, style: TextStyle<'_>) {
        if let (DataType::Vector(_), Value::Array(items)) = (self, value) {
            write_vector(out, items);
            return;
        }
        let start = out.len();
        value.write_text(out, style);
        self.pad(out, start);
    }

    /// For `CHAR(n)`, blank-pads the value written to `out` from byte `start` on to
    /// `n` characters, as PostgreSQL stores and sends it; nothing for other types.
    pub fn pad(self, out: &mut String, start: usize) {
        if let DataType::Bpchar(Some(n)) = self {
            let chars = out[start..].chars().count();
            out.extend(std::iter::repeat_n(' ', (n as usize).saturating_sub(chars)));
        }
    }

    /// Parses `text` as a literal of this type, reading a timestamptz without an
    /// offset as UTC. Errors carry PostgreSQL's messages and SQLSTATEs.
    pub fn parse_text(self, text: &str) -> Result<Value, TypeError> {
        self.parse_text_in(text, &TimeZone::Utc)
    }

    /// Parses `text` as a literal of this type; `tz` is the session time zone, used
    /// for timestamptz literals without an offset and for `now`/`today`.
    /// `VARCHAR(n)` is not length-checked here: that is the cast's job, because an
    /// explicit cast truncates where an assignment fails (see `check_varchar`).
    pub fn parse_text_in(self, text: &str, tz: &TimeZone) -> Result<Value, TypeError> {
        Ok(match self {
            DataType::Bool => Value::Bool(parse_bool(text)?),
            DataType::Int2 => Value::Int2(parse_int(text, "smallint")?),
            DataType::Int4 => Value::Int4(parse_int(text, "integer")?),
            DataType::Int8 => Value::Int8(parse_int(text, "bigint")?),
            DataType::Float4 => Value::Float4(parse_float4(text)?),
            DataType::Float8 => Value::Float8(parse_float(text, "double precision")?),
            DataType::Numeric(None) => Value::Numeric(parse_numeric(text)?),
            // numeric_in applies the modifier itself: casts and assignments alike.
            DataType::Numeric(Some(typmod)) => Value::Numeric(
                typmod.apply(parse_numeric_scaled(text, u32::from(typmod.scale()))?)?,
            ),
            DataType::Text | DataType::Varchar(_) | DataType::Unknown => {
                Value::Text(text.to_owned())
            }
            // Kept without trailing spaces; the cast to CHAR(n) checks the length.
            DataType::Bpchar(_) => Value::Text(text.trim_end_matches(' ').to_owned()),
            DataType::Bytea => Value::Bytea(parse_bytea(text)?),
            DataType::Timestamp => Value::Timestamp(parse_timestamp(text, tz)?),
            DataType::Timestamptz => Value::Timestamptz(parse_timestamptz(text, tz)?),
            DataType::Date => Value::Date(parse_date(text, tz)?),
            DataType::Uuid => Value::Uuid(parse_uuid(text)?),
            DataType::Jsonb => Value::Jsonb(normalize_jsonb(text)?),
            DataType::Json => {
                check_json(text)?;
                Value::Json(text.to_owned())
            }
            DataType::Interval => Value::Interval(super::interval::parse_interval(text)?),
            DataType::Oid(_) => Value::Int8(parse_oid(text)?),
            DataType::Name => Value::Text(text.to_owned()),
            // "char" keeps the first character; '' is the zero byte, shown empty.
            DataType::InternalChar => Value::Text(text.chars().take(1).collect()),
            // void_in takes any text for the one value.
            DataType::Void => Value::Text(String::new()),
            DataType::Array(element) => super::array::parse_array(text, *element, tz)?,
            // `int2vectorin`/`oidvectorin`: numbers separated by spaces.
            DataType::Vector(element) => Value::Array(
                text.split_ascii_whitespace()
                    .map(|item| element.parse_text_in(item, tz))
                    .collect::<Result<_, _>>()?,
            ),
        })
    }
}

/// An OID: an unsigned 32-bit number; as in PostgreSQL's `oidin`, a negative
/// number down to -2^31 wraps around.
fn parse_oid(text: &str) -> Result<i64, TypeError> {
    let n: i64 = parse_int(text, "oid")?;
    match n {
        0..=0xFFFF_FFFF => Ok(n),
        -2_147_483_648..=-1 => Ok(n + (1 << 32)),
        _ => Err(TypeError::OutOfRange(format!(
            "value \"{text}\" is out of range for type oid"
        ))),
    }
}

fn invalid(type_name: &str, text: &str) -> TypeError {
    TypeError::InvalidText {
        type_name: type_name.to_owned(),
        input: text.to_owned(),
    }
}

/// PostgreSQL's `boolin`: any unambiguous prefix of true/false/yes/no, on/off, 1/0,
/// any case, surrounding white space ignored.
pub fn parse_bool(text: &str) -> Result<bool, TypeError> {
    let t = text.trim().to_ascii_lowercase();
    let prefix_of = |word: &str, min: usize| t.len() >= min && word.starts_with(t.as_str());
    if prefix_of("true", 1) || prefix_of("yes", 1) || prefix_of("on", 2) || t == "1" {
        Ok(true)
    } else if prefix_of("false", 1) || prefix_of("no", 1) || prefix_of("off", 2) || t == "0" {
        Ok(false)
    } else {
        Err(invalid("boolean", text))
    }
}

/// PostgreSQL's `pg_strtoint*`: optional white space and sign around decimal digits.
pub fn parse_int<T: TryFrom<i128>>(text: &str, type_name: &str) -> Result<T, TypeError> {
    let t = text.trim_matches(|c: char| c.is_ascii_whitespace());
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(type_name, text));
    }
    let out_of_range = || {
        TypeError::OutOfRange(format!(
            "value \"{text}\" is out of range for type {type_name}"
        ))
    };
    // The magnitude in a u64 (every SQL integer's fits), then the sign; the
    // type's own range is checked last. A digit loop rather than `str::parse`,
    // which costs several times as much on the hot path of every bound parameter.
    let mut magnitude: u64 = 0;
    for digit in digits.bytes() {
        magnitude = magnitude
            .checked_mul(10)
            .and_then(|m| m.checked_add(u64::from(digit - b'0')))
            .ok_or_else(out_of_range)?;
    }
    let n = i128::from(magnitude);
    T::try_from(if t.starts_with('-') { -n } else { n }).map_err(|_| out_of_range())
}

/// PostgreSQL's `float8in`: `strtod` syntax plus NaN/Infinity words; a finite
/// literal too large or too small for the type is 22003, never inf or 0.
pub fn parse_float(text: &str, type_name: &str) -> Result<f64, TypeError> {
    let t = text.trim_matches(|c: char| c.is_ascii_whitespace());
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    let word = body.to_ascii_lowercase();
    let negative = t.starts_with('-');
    match word.as_str() {
        "nan" => return Ok(f64::NAN),
        "infinity" | "inf" => {
            return Ok(if negative {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            })
        }
        _ => {}
    }
    let valid = !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || b"eE.+-".contains(&b))
        && body
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_digit() || b == b'.');
    let v: f64 = t
        .parse()
        .ok()
        .filter(|_| valid)
        .ok_or_else(|| invalid(type_name, text))?;
    let mantissa = body.split(['e', 'E']).next().unwrap_or("");
    let nonzero = mantissa.bytes().any(|b| (b'1'..=b'9').contains(&b));
    if v.is_infinite() || (v == 0.0 && nonzero) {
        return Err(TypeError::OutOfRange(format!(
            "\"{text}\" is out of range for type {type_name}"
        )));
    }
    Ok(v)
}

/// `float4in`: parsed as a double, then refused if it overflows or underflows a float4.
pub fn parse_float4(text: &str) -> Result<f32, TypeError> {
    let v = parse_float(text, "real")?;
    let f = v as f32;
    if (f.is_infinite() && v.is_finite()) || (f == 0.0 && v != 0.0) {
        return Err(TypeError::OutOfRange(format!(
            "\"{text}\" is out of range for type real"
        )));
    }
    Ok(f)
}

/// bytea input: `\x` followed by hex pairs (white space allowed between pairs), or
/// the escape format where `\\` is a backslash and `\ooo` an octal byte.
pub fn parse_bytea(text: &str) -> Result<Vec<u8>, TypeError> {
    // Only a lower-case `\x` starts hex format: `\X41` is a bad escape (22P02).
    if let Some(hex) = text.strip_prefix("\\x") {
        return parse_bytea_hex(hex);
    }
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
        } else if b.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
        } else if let Some(oct) = b.get(i + 1..i + 4).filter(|o| {
            (b'0'..=b'3').contains(&o[0]) && o[1..].iter().all(|d| (b'0'..=b'7').contains(d))
        }) {
            out.push((oct[0] - b'0') * 64 + (oct[1] - b'0') * 8 + (oct[2] - b'0'));
            i += 4;
        } else {
            // PostgreSQL's message does not quote the input here; the code is the same.
            return Err(invalid("bytea", text));
        }
    }
    Ok(out)
}

/// PostgreSQL's `hex_decode`: pairs of hex digits, with space, tab, newline and
/// carriage return skipped between pairs only (`\x4 1` is 22023).
fn parse_bytea_hex(hex: &str) -> Result<Vec<u8>, TypeError> {
    let mut out = Vec::with_capacity(hex.len() / 2);
    let mut chars = hex.chars();
    while let Some(hi) = chars.next() {
        if matches!(hi, ' ' | '\t' | '\n' | '\r') {
            continue;
        }
        let bad = |c: char| {
            TypeError::InvalidParameterValue(format!("invalid hexadecimal digit: \"{c}\""))
        };
        let h = hi.to_digit(16).ok_or_else(|| bad(hi))?;
        let lo = chars.next().ok_or_else(|| {
            TypeError::InvalidParameterValue(
                "invalid hexadecimal data: odd number of digits".to_owned(),
            )
        })?;
        let l = lo.to_digit(16).ok_or_else(|| bad(lo))?;
        out.push((h * 16 + l) as u8);
    }
    Ok(out)
}

/// uuid input as PostgreSQL's `uuid_in`: 32 hex digits in any case, optionally in
/// braces, with a hyphen allowed after any group of four digits.
pub fn parse_uuid(text: &str) -> Result<[u8; 16], TypeError> {
    let bad = || invalid("uuid", text);
    let inner = match text.strip_prefix('{') {
        Some(rest) => rest.strip_suffix('}').ok_or_else(bad)?,
        None => text,
    };
    let b = inner.as_bytes();
    let mut out = [0u8; 16];
    let (mut i, mut n) = (0, 0);
    while n < 32 {
        if n > 0 && n % 4 == 0 && b.get(i) == Some(&b'-') {
            i += 1;
        }
        let digit = b
            .get(i)
            .and_then(|&c| char::from(c).to_digit(16))
            .ok_or_else(bad)?;
        out[n / 2] |= (digit as u8) << if n % 2 == 0 { 4 } else { 0 };
        i += 1;
        n += 1;
    }
    if i != b.len() {
        return Err(bad());
    }
    Ok(out)
}

/// Enforces `VARCHAR(max)` on a string, by characters. An explicit cast truncates
/// silently; an assignment (INSERT/UPDATE) fails with 22001 unless only spaces
/// would be cut, which PostgreSQL also truncates silently (SQL standard rule).
pub fn check_varchar(text: String, max: u32, explicit: bool) -> Result<String, TypeError> {
    let max = max as usize;
    let Some((cut, _)) = text.char_indices().nth(max) else {
        return Ok(text);
    };
    if explicit || text[cut..].bytes().all(|b| b == b' ') {
        let mut text = text;
        text.truncate(cut);
        return Ok(text);
    }
    Err(TypeError::StringTooLong { max: max as u32 })
}

#[cfg(test)]
mod tests;
