//! Casts checked against PostgreSQL 15 (`SELECT 2.5::float8::int, ...`).

use super::*;
use crate::types::DataType as T;

fn c(v: Value, to: DataType) -> Result<String, String> {
    cast(v, to, CastKind::Explicit)
        .map(|v| v.to_text())
        .map_err(|e| e.to_string())
}

/// Float to integer rounds half to even; numeric to integer half away from zero.
#[test]
fn rounding_rules() {
    assert_eq!(c(Value::Float8(2.5), T::Int4), Ok("2".into()));
    assert_eq!(c(Value::Float8(3.5), T::Int4), Ok("4".into()));
    assert_eq!(c(Value::Float8(-2.5), T::Int4), Ok("-2".into()));
    assert_eq!(
        c(Value::Numeric(Decimal::new(25, 1)), T::Int4),
        Ok("3".into())
    );
    assert_eq!(
        c(Value::Numeric(Decimal::new(-25, 1)), T::Int4),
        Ok("-3".into())
    );
    assert_eq!(c(Value::Jsonb("1.50".into()), T::Int4), Ok("2".into()));
}

/// Overflow messages name the target type.
#[test]
fn overflow() {
    assert_eq!(
        c(Value::Int4(70000), T::Int2),
        Err("smallint out of range".into())
    );
    assert_eq!(
        c(Value::Float8(3e9), T::Int4),
        Err("integer out of range".into())
    );
    assert_eq!(
        c(Value::Float8(f64::NAN), T::Int4),
        Err("integer out of range".into())
    );
    assert_eq!(
        c(Value::Float8(9.3e18), T::Int8),
        Err("bigint out of range".into())
    );
    assert_eq!(
        c(Value::Float8(1e39), T::Float4),
        Err("value out of range: overflow".into())
    );
}

/// Floats become numerics through 15 (float8) or 6 (float4) significant digits.
#[test]
fn float_to_numeric_digits() {
    assert_eq!(c(Value::Float8(0.1), T::Numeric(None)), Ok("0.1".into()));
    assert_eq!(
        c(Value::Float8(1.0 / 3.0), T::Numeric(None)),
        Ok("0.333333333333333".into())
    );
    assert_eq!(
        c(Value::Float8(1e20), T::Numeric(None)),
        Ok("100000000000000000000".into())
    );
    assert_eq!(
        c(Value::Float4(123456789.123), T::Numeric(None)),
        Ok("123457000".into())
    );
    assert_eq!(
        c(Value::Numeric(Decimal::new(15, 1)), T::Float8),
        Ok("1.5".into())
    );
}

/// Text in and out, bool/int, varchar truncation, jsonb scalars.
#[test]
fn text_bool_json() {
    assert_eq!(c(Value::Bool(true), T::Text), Ok("true".into()));
    assert_eq!(c(Value::Int4(12), T::Bool), Ok("t".into()));
    assert_eq!(c(Value::Bool(true), T::Int4), Ok("1".into()));
    assert_eq!(
        c(Value::Text("abc".into()), T::Varchar(Some(2))),
        Ok("ab".into())
    );
    let assigned = cast(
        Value::Text("abc".into()),
        T::Varchar(Some(2)),
        CastKind::Assignment,
    );
    assert_eq!(assigned, Err(TypeError::StringTooLong { max: 2 }));
    assert_eq!(c(Value::Text(" 42 ".into()), T::Int8), Ok("42".into()));
    assert_eq!(c(Value::Bytea(vec![1]), T::Text), Ok("\\x01".into()));
    assert_eq!(c(Value::Jsonb("true".into()), T::Bool), Ok("t".into()));
    assert_eq!(
        c(Value::Jsonb("\"a\"".into()), T::Int4),
        Err("cannot cast jsonb string to type integer".into())
    );
    assert_eq!(c(Value::Null, T::Int4), Ok("".into()));
}

/// Date/timestamp/timestamptz conversions use the session zone (New York here).
#[test]
fn datetime_in_zone() {
    let ny = TimeZone::parse("America/New_York").unwrap();
    let show = |v: Value| {
        let mut s = String::new();
        v.write_text(&mut s, &ny);
        s
    };
    let date = T::Date.parse_text("2024-01-31").unwrap();
    let tstz = T::Timestamptz.parse_text("2024-01-31 03:00+00").unwrap();
    let cast_ny = |v: &Value, to| cast_in(v.clone(), to, CastKind::Explicit, &ny).unwrap();
    assert_eq!(
        show(cast_ny(&date, T::Timestamptz)),
        "2024-01-31 00:00:00-05"
    );
    assert_eq!(show(cast_ny(&tstz, T::Date)), "2024-01-30");
    assert_eq!(show(cast_ny(&tstz, T::Timestamp)), "2024-01-30 22:00:00");
    assert_eq!(show(cast_ny(&tstz, T::Text)), "2024-01-30 22:00:00-05");
}

/// The context table matches pg_cast for the common pairs.
#[test]
fn contexts() {
    use CastKind::*;
    assert_eq!(cast_context(T::Int4, T::Int8), Some(Implicit));
    assert_eq!(cast_context(T::Int8, T::Int4), Some(Assignment));
    assert_eq!(cast_context(T::Int4, T::Numeric(None)), Some(Implicit));
    assert_eq!(cast_context(T::Numeric(None), T::Float8), Some(Implicit));
    assert_eq!(cast_context(T::Float8, T::Numeric(None)), Some(Assignment));
    assert_eq!(cast_context(T::Text, T::Int4), Some(Explicit));
    assert_eq!(cast_context(T::Int4, T::Text), Some(Assignment));
    assert_eq!(cast_context(T::Unknown, T::Date), Some(Implicit));
    assert_eq!(cast_context(T::Date, T::Timestamptz), Some(Implicit));
    assert_eq!(cast_context(T::Timestamptz, T::Date), Some(Assignment));
    assert_eq!(cast_context(T::Int4, T::Bool), Some(Explicit));
    assert_eq!(cast_context(T::Int8, T::Bool), None);
    assert_eq!(cast_context(T::Uuid, T::Int4), None);
    assert_eq!(cast_context(T::Text, T::Varchar(Some(3))), Some(Implicit));
}
