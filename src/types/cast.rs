//! Type conversions: which casts PostgreSQL allows where, and what they compute.
//!
//! PostgreSQL's `pg_cast` marks each cast with the least explicit context that may
//! apply it: *implicit* (anywhere, e.g. `int4 + int8` widens the left side),
//! *assignment* (also when storing into a column, e.g. an int8 into an int4 column)
//! or *explicit* (only `CAST`/`::`). [`cast_context`] is that table for our types;
//! the binder checks it, then [`cast`] converts the value with PostgreSQL's rules:
//! float to integer rounds half to even, numeric to integer half away from zero,
//! overflow is 22003, text is parsed and printed with the type's text I/O.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

use super::json::{normalize_jsonb, parse_json, Json};
use super::numeric::{numeric_overflow, parse_numeric, parse_numeric_scaled};
use super::text::{check_varchar, TextStyle};
use super::time::{
    checked_timestamp, date_out_of_range_for_timestamp, date_to_timestamp, split_timestamp,
    DATE_NEG_INFINITY, DATE_POS_INFINITY, TS_NEG_INFINITY, TS_POS_INFINITY, USECS_PER_SEC,
};
use super::timezone::TimeZone;
use super::{DataType, TypeError, Value};

/// Where a cast is applied, from least to most explicit (so `Ord` compares them):
/// a cast allowed in a context is allowed in every more explicit one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CastKind {
    /// Applied silently inside expressions (operator and function arguments).
    Implicit,
    /// Applied when storing into a column (INSERT, UPDATE) or a procedure argument.
    Assignment,
    /// Only written casts: `CAST(x AS t)` and `x::t`.
    Explicit,
}

/// The least explicit context in which PostgreSQL casts `from` to `to`, or `None`
/// if it has no such cast (the binder then reports 42846 "cannot cast type ...").
pub fn cast_context(from: DataType, to: DataType) -> Option<CastKind> {
    use CastKind::{Assignment, Explicit, Implicit};
    use DataType as T;
    let same = |a: DataType, b: DataType| std::mem::discriminant(&a) == std::mem::discriminant(&b);
    // An array casts as its elements do (elementwise, in `cast_in`).
    if let (T::Array(f), T::Array(t)) = (from, to) {
        return cast_context(*f, *t);
    }
    // A vector is an array of its elements (`int2vector` to `int2[]`).
    if let (T::Vector(f), T::Array(t)) = (from, to) {
        return (f == t).then_some(Implicit);
    }
    if same(from, to) || from == T::Unknown || to == T::Unknown {
        return Some(Implicit);
    }
    Some(match (from, to) {
        (f, t) if f.is_text() && t.is_text() => Implicit,
        (T::Int2 | T::Int4 | T::Int8, T::Oid(_)) => Implicit,
        (T::Oid(_), T::Int4 | T::Int8) => Assignment,
        (f, t) if f.is_numeric() && t.is_numeric() => numeric_context(f, t),
        (T::Date, T::Timestamp | T::Timestamptz) | (T::Timestamp, T::Timestamptz) => Implicit,
        (T::Timestamptz, T::Timestamp | T::Date) | (T::Timestamp, T::Date) => Assignment,
        (T::Int4, T::Bool) | (T::Bool, T::Int4) => Explicit,
        (T::Json, T::Jsonb) | (T::Jsonb, T::Json) => Assignment,
        (
            T::Jsonb,
            T::Bool | T::Numeric(_) | T::Int2 | T::Int4 | T::Int8 | T::Float4 | T::Float8,
        ) => Explicit,
        // PostgreSQL's automatic I/O conversion casts: to a string type is an
        // assignment cast, from a string type is explicit only.
        (_, T::Text | T::Varchar(_) | T::Bpchar(_)) => Assignment,
        (T::Text | T::Varchar(_) | T::Bpchar(_), _) => Explicit,
        _ => return None,
    })
}

/// Casts among the numeric types: widening is implicit, narrowing is assignment.
fn numeric_context(from: DataType, to: DataType) -> CastKind {
    let rank = |t: DataType| match t {
        DataType::Int2 => 0,
        DataType::Int4 => 1,
        DataType::Int8 => 2,
        DataType::Numeric(_) => 3,
        DataType::Float4 => 4,
        _ => 5,
    };
    if rank(from) < rank(to) {
        CastKind::Implicit
    } else {
        CastKind::Assignment
    }
}

/// Converts `value` to `to` with timestamptz conversions in UTC.
pub fn cast(value: Value, to: DataType, kind: CastKind) -> Result<Value, TypeError> {
    cast_in(value, to, kind, &TimeZone::Utc)
}

/// Converts `value` to `to`. `kind` matters only for `VARCHAR(n)` (explicit casts
/// truncate, others fail with 22001); `style` is the session's: its zone decides
/// the conversions between timestamptz and date/timestamp/text, and a cast to text
/// writes the value as the client would receive it (a bare time zone means the
/// default float output). A pair with no cast (which the binder should have
/// refused) is 0A000.
pub fn cast_in<'a>(
    value: Value,
    to: DataType,
    kind: CastKind,
    style: impl Into<TextStyle<'a>>,
) -> Result<Value, TypeError> {
    let style = style.into();
    if value.is_null() || to == DataType::Unknown {
        return Ok(value);
    }
    match (value, to) {
        (Value::Array(items), DataType::Array(element) | DataType::Vector(element)) => {
            let items = items
                .into_iter()
                .map(|v| cast_in(v, *element, kind, style))
                .collect::<Result<_, _>>()?;
            Ok(Value::Array(items))
        }
        (Value::Text(s), DataType::Oid(_)) => to.parse_text_in(&s, style.time_zone),
        (value, DataType::Oid(_)) => {
            let v = value
                .as_i64()
                .ok_or_else(|| no_cast(value.data_type(), to))?;
            // int4 → oid reinterprets the bits (PostgreSQL's oid(int4)); int8 must fit.
            match v {
                0..=0xFFFF_FFFF => Ok(Value::Int8(v)),
                -2_147_483_648..=-1 if !matches!(value, Value::Int8(_)) => {
                    Ok(Value::Int8(v + (1 << 32)))
                }
                _ => Err(TypeError::OutOfRange("OID out of range".into())),
            }
        }
        (value, to) => cast_value(value, to, kind, style),
    }
}

/// [`cast_in`] for everything but arrays and OIDs.
fn cast_value(
    value: Value,
    to: DataType,
    kind: CastKind,
    style: TextStyle<'_>,
) -> Result<Value, TypeError> {
    if let DataType::Varchar(max) = to {
        let text = into_text(value, style);
        return match max {
            Some(max) => check_varchar(text, max, kind == CastKind::Explicit).map(Value::Text),
            None => Ok(Value::Text(text)),
        };
    }
    if let DataType::Bpchar(max) = to {
        let text = into_text(value, style);
        let text = match max {
            Some(max) => check_varchar(text, max, kind == CastKind::Explicit)
                .map_err(|_| TypeError::CharTooLong { max })?,
            None => text,
        };
        return Ok(Value::Text(without_trailing_spaces(text)));
    }
    if to == DataType::Text {
        return Ok(Value::Text(into_text(value, style)));
    }
    if value.data_type() == to {
        return Ok(value);
    }
    let from = value.data_type();
    match value {
        Value::Text(s) => to.parse_text_in(&s, style.time_zone),
        Value::Int2(_)
        | Value::Int4(_)
        | Value::Int8(_)
        | Value::Float4(_)
        | Value::Float8(_)
        | Value::Numeric(_)
            if to.is_numeric() =>
        {
            cast_number(value, to)
        }
        Value::Int4(v) if to == DataType::Bool => Ok(Value::Bool(v != 0)),
        Value::Bool(b) if to == DataType::Int4 => Ok(Value::Int4(i32::from(b))),
        Value::Date(_) | Value::Timestamp(_) | Value::Timestamptz(_) => {
            cast_datetime(value, to, style.time_zone)
        }
        Value::Jsonb(s) if to == DataType::Json => Ok(Value::Json(s)),
        Value::Jsonb(s) => cast_jsonb(&s, to),
        Value::Json(s) if to == DataType::Jsonb => Ok(Value::Jsonb(normalize_jsonb(&s)?)),
        _ => Err(no_cast(from, to)),
    }
}

/// A `CHAR(n)` value as it is kept: without the trailing spaces PostgreSQL ignores.
fn without_trailing_spaces(mut text: String) -> String {
    text.truncate(text.trim_end_matches(' ').len());
    text
}

fn no_cast(from: DataType, to: DataType) -> TypeError {
    TypeError::Unsupported(format!("cannot cast type {from} to {to}"))
}

/// The text a value casts to: its output format, except that booleans become
/// `true`/`false` (PostgreSQL's `booltext`), not `t`/`f`.
fn into_text(value: Value, style: TextStyle<'_>) -> String {
    match value {
        Value::Text(s) => s,
        Value::Bool(b) => if b { "true" } else { "false" }.to_owned(),
        other => {
            let mut out = String::new();
            other.write_text(&mut out, style);
            out
        }
    }
}

/// Casts between integer, float and numeric values (`value` is one of them).
pub fn cast_number(value: Value, to: DataType) -> Result<Value, TypeError> {
    let out = match (&value, to) {
        (Value::Float4(f), _) => return float_to(f64::from(*f), to, 6),
        (Value::Float8(f), _) => return float_to(*f, to, 15),
        (Value::Numeric(d), _) => return numeric_to(*d, to),
        (_, DataType::Float4) => Value::Float4(value.as_i64().unwrap_or(0) as f32),
        (_, DataType::Float8) => Value::Float8(value.as_i64().unwrap_or(0) as f64),
        (_, DataType::Numeric(_)) => {
            return numeric_to(Decimal::from(value.as_i64().unwrap_or(0)), to)
        }
        _ => return int_to(value.as_i64().unwrap_or(0), to),
    };
    Ok(out)
}

/// An integer into a (possibly narrower) integer type: 22003 if it does not fit.
pub fn int_to(v: i64, to: DataType) -> Result<Value, TypeError> {
    match to {
        DataType::Int2 => i16::try_from(v)
            .map(Value::Int2)
            .map_err(|_| out_of_range(to)),
        DataType::Int4 => i32::try_from(v)
            .map(Value::Int4)
            .map_err(|_| out_of_range(to)),
        DataType::Int8 => Ok(Value::Int8(v)),
        _ => cast_number(Value::Int8(v), to),
    }
}

/// PostgreSQL's "smallint out of range" / "integer out of range" / "bigint out of range".
pub fn out_of_range(t: DataType) -> TypeError {
    TypeError::OutOfRange(format!("{t} out of range"))
}

/// A float to another numeric type. To integers it rounds half to even (`rint`), as
/// PostgreSQL does; to numeric it goes through `digits` significant digits (15 for
/// float8, 6 for float4: PostgreSQL's `DBL_DIG`/`FLT_DIG` conversion).
fn float_to(f: f64, to: DataType, digits: usize) -> Result<Value, TypeError> {
    match to {
        DataType::Float4 => {
            let narrowed = f as f32;
            if narrowed.is_infinite() && f.is_finite() {
                return Err(TypeError::OutOfRange(
                    "value out of range: overflow".to_owned(),
                ));
            }
            if narrowed == 0.0 && f != 0.0 {
                return Err(TypeError::OutOfRange(
                    "value out of range: underflow".to_owned(),
                ));
            }
            Ok(Value::Float4(narrowed))
        }
        DataType::Float8 => Ok(Value::Float8(f)),
        DataType::Numeric(typmod) => {
            let scale = typmod.map(|t| u32::from(t.scale()));
            numeric_to(float_to_numeric(f, digits, scale)?, to)
        }
        _ => {
            let r = f.round_ties_even();
            // i64 bounds as f64: -2^63 is exact, 2^63 is one past the maximum.
            if r.is_nan() || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&r) {
                return Err(out_of_range(to));
            }
            int_to(r as i64, to)
        }
    }
}

/// `float8_numeric`: the float printed with `%.{digits}g`, then read as a numeric
/// (rounded to `scale` for a `numeric(p, s)`, else exactly or 22003).
pub fn float_to_numeric(f: f64, digits: usize, scale: Option<u32>) -> Result<Decimal, TypeError> {
    if !f.is_finite() {
        return Err(TypeError::Unsupported(format!(
            "numeric {} is not supported",
            if f.is_nan() { "NaN" } else { "Infinity" }
        )));
    }
    let sci = format!("{:.*e}", digits - 1, f);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let mantissa = if mantissa.contains('.') {
        mantissa.trim_end_matches('0').trim_end_matches('.')
    } else {
        mantissa
    };
    let text = format!("{mantissa}e{exp}");
    match scale {
        Some(scale) => parse_numeric_scaled(&text, scale),
        None => parse_numeric(&text),
    }
}

/// A numeric to another numeric type; to integers it rounds half away from zero,
/// to `NUMERIC(p, s)` it rounds to the scale and checks the precision.
fn numeric_to(d: Decimal, to: DataType) -> Result<Value, TypeError> {
    match to {
        DataType::Float8 => Ok(Value::Float8(decimal_to_f64(d))),
        DataType::Float4 => Ok(Value::Float4(decimal_to_f64(d) as f32)),
        DataType::Numeric(None) => Ok(Value::Numeric(d)),
        DataType::Numeric(Some(typmod)) => typmod.apply(d).map(Value::Numeric),
        _ => {
            let r = d.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
            let v = r.to_i64().ok_or_else(|| out_of_range(to))?;
            int_to(v, to)
        }
    }
}

/// Correctly rounded numeric-to-double, through text as PostgreSQL does.
pub fn decimal_to_f64(d: Decimal) -> f64 {
    d.to_string().parse().unwrap_or(f64::NAN)
}

/// Conversions among date, timestamp and timestamptz (local times in `tz`). A
/// result past the timestamp range is 22008 as in PostgreSQL, which names a date
/// input ("date out of range for timestamp") and says "timestamp out of range"
/// for the others.
fn cast_datetime(value: Value, to: DataType, tz: &TimeZone) -> Result<Value, TypeError> {
    let from = value.data_type();
    let in_range = |us: i64| {
        checked_timestamp(us).map_err(|e| match from {
            DataType::Date => date_out_of_range_for_timestamp(),
            _ => e,
        })
    };
    let local_us = match value {
        Value::Date(d) => date_to_timestamp(d).ok_or_else(date_out_of_range_for_timestamp)?,
        Value::Timestamp(us) => us,
        Value::Timestamptz(us) if is_infinite(us) => us,
        // East of UTC the local time can be just past the range (294276-12-31
        // 20:00+00 is 294277-01-01 05:00 in Tokyo): a date still, not a timestamp.
        Value::Timestamptz(us) => us + i64::from(tz.offset_at_utc(us)) * USECS_PER_SEC,
        _ => return Err(no_cast(from, to)),
    };
    match to {
        DataType::Timestamp => Ok(Value::Timestamp(in_range(local_us)?)),
        DataType::Timestamptz if is_infinite(local_us) => Ok(Value::Timestamptz(local_us)),
        // West of UTC the last local hours of the range are past it in UTC.
        DataType::Timestamptz => Ok(Value::Timestamptz(in_range(
            local_us - i64::from(tz.offset_for_local(local_us)) * USECS_PER_SEC,
        )?)),
        DataType::Date => Ok(Value::Date(match local_us {
            TS_NEG_INFINITY => DATE_NEG_INFINITY,
            TS_POS_INFINITY => DATE_POS_INFINITY,
            us => split_timestamp(us).0 as i32,
        })),
        _ => Err(no_cast(from, to)),
    }
}

fn is_infinite(us: i64) -> bool {
    us == TS_NEG_INFINITY || us == TS_POS_INFINITY
}

/// jsonb scalars to SQL scalars: a JSON number to a number type, a JSON boolean to
/// bool; anything else is 22023 as PostgreSQL says it.
fn cast_jsonb(text: &str, to: DataType) -> Result<Value, TypeError> {
    let json = parse_json(text)?;
    let kind = match &json {
        Json::Null => "null",
        Json::Bool(_) => "boolean",
        Json::Number(_) => "numeric",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    };
    let refuse =
        || TypeError::InvalidParameterValue(format!("cannot cast jsonb {kind} to type {to}"));
    match (json, to) {
        (Json::Bool(b), DataType::Bool) => Ok(Value::Bool(b)),
        (Json::Number(n), t) if t.is_numeric() => {
            let d = n.parse::<Decimal>().map_err(|_| numeric_overflow())?;
            numeric_to(d, t)
        }
        _ => Err(refuse()),
    }
}

#[cfg(test)]
mod tests;
