//! PostgreSQL's text format: parsing literals and printing values.
//!
//! This is what clients see in the text protocol and what `'...'::type` reads, so
//! it follows PostgreSQL 15 byte for byte: floats print the shortest text that reads
//! back exactly (`extra_float_digits = 1`, the default), numerics keep their scale,
//! bytea is hex, timestamps use the ISO DateStyle, timestamptz is shown in the
//! session's time zone. Input accepts what PostgreSQL accepts, with its messages
//! and SQLSTATEs (22P02 bad syntax, 22003 out of range, 22007/22008 for dates).

use std::fmt::Write;

use super::datetime_input::{parse_date, parse_timestamp, parse_timestamptz};
use super::json::normalize_jsonb;
use super::numeric::{parse_numeric, parse_numeric_scaled};
use super::time::{write_date, write_timestamp, write_timestamptz};
use super::timezone::TimeZone;
use super::{DataType, TypeError, Value};

impl Value {
    /// The value in PostgreSQL's text output format (timestamptz in UTC). NULL prints
    /// as the empty string; the wire layer sends NULL as a null field instead.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write_text(&mut out, &TimeZone::Utc);
        out
    }

    /// Appends the value's text form; `tz` is the session time zone for timestamptz.
    pub fn write_text(&self, out: &mut String, tz: &TimeZone) {
        match self {
            Value::Null => {}
            Value::Bool(b) => out.push(if *b { 't' } else { 'f' }),
            Value::Int2(v) => push_display(out, v),
            Value::Int4(v) => push_display(out, v),
            Value::Int8(v) => push_display(out, v),
            Value::Float4(v) => write_float(out, f64::from(*v), format!("{:e}", v.abs()), 6),
            Value::Float8(v) => write_float(out, *v, format!("{:e}", v.abs()), 15),
            // A zero computed from a negative (ceil(-0.5)) keeps its sign here;
            // PostgreSQL's numeric has no negative zero.
            Value::Numeric(d) if d.is_zero() => push_display(out, &d.abs()),
            Value::Numeric(d) => push_display(out, d),
            Value::Text(s) | Value::Jsonb(s) => out.push_str(s),
            Value::Bytea(bytes) => write_bytea_hex(out, bytes),
            Value::Timestamp(us) => write_timestamp(out, *us),
            Value::Timestamptz(us) => write_timestamptz(out, *us, tz),
            Value::Date(days) => write_date(out, *days),
            Value::Uuid(bytes) => write_uuid(out, bytes),
            Value::Array(items) => super::array::write_array(out, items, tz),
        }
    }
}

fn push_display(out: &mut String, v: &impl std::fmt::Display) {
    // Writing to a String cannot fail.
    let _ = write!(out, "{v}");
}

/// PostgreSQL's shortest float output: fixed notation for decimal exponents from -4
/// up to (not including) `fixed_max` (15 for float8, 6 for float4, as in its Ryu
/// port), otherwise `1.5e+20` style with at least two exponent digits.
/// `sci` is Rust's shortest round-trip `{:e}` text of the absolute value, which has
/// exactly the digits PostgreSQL's Ryu prints.
fn write_float(out: &mut String, v: f64, sci: String, fixed_max: i32) {
    if v.is_nan() {
        return out.push_str("NaN");
    }
    if v.is_infinite() {
        return out.push_str(if v > 0.0 { "Infinity" } else { "-Infinity" });
    }
    if v.is_sign_negative() {
        out.push('-');
    }
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if v == 0.0 {
        return out.push('0');
    }
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
        out.push_str(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        let _ = write!(out, "e{sign}{:02}", exp.abs());
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
    pub fn write_output(self, value: &Value, out: &mut String, tz: &TimeZone) {
        let start = out.len();
        value.write_text(out, tz);
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
            DataType::Oid(_) => Value::Int8(parse_oid(text)?),
            DataType::Name => Value::Text(text.to_owned()),
            // "char" keeps the first character; '' is the zero byte, shown empty.
            DataType::InternalChar => Value::Text(text.chars().take(1).collect()),
            DataType::Array(element) => super::array::parse_array(text, *element, tz)?,
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
    if let Some(hex) = text
        .strip_prefix("\\x")
        .or_else(|| text.strip_prefix("\\X"))
    {
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

fn parse_bytea_hex(hex: &str) -> Result<Vec<u8>, TypeError> {
    let mut out = Vec::with_capacity(hex.len() / 2);
    let mut chars = hex.chars().filter(|c| !c.is_ascii_whitespace());
    while let Some(hi) = chars.next() {
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
