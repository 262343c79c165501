//! Functions checked against PostgreSQL 15 (`SELECT round(2.5), substring('hello', 0, 3), ...`).

use super::*;
use crate::types::cast::{cast, CastKind};
use crate::types::DataType as T;

fn ctx() -> FunctionContext {
    FunctionContext {
        statement_timestamp: 0,
        time_zone: TimeZone::Utc,
        extra_float_digits: 1,
    }
}

/// Resolves `name` on the values' types, casts them, evaluates: as the SQL layer will.
fn call(name: &str, args: &[Value]) -> Result<String, String> {
    let types: Vec<DataType> = args.iter().map(Value::data_type).collect();
    let sig = resolve_function(name, &types).map_err(|e| e.to_string())?;
    let cast_args: Vec<Value> = args
        .iter()
        .zip(&sig.args)
        .map(|(v, t)| cast(v.clone(), *t, CastKind::Implicit))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    eval_function(&sig.id, &cast_args, &ctx())
        .map(|v| v.to_text())
        .map_err(|e| e.to_string())
}

fn t(s: &str) -> Value {
    Value::Text(s.to_owned())
}

fn n(s: &str) -> Value {
    Value::Numeric(s.parse().unwrap())
}

fn i(v: i32) -> Value {
    Value::Int4(v)
}

/// Result types as pg_typeof reports them.
#[test]
fn resolution_types() {
    let result = |name: &str, args: &[DataType]| resolve_function(name, args).map(|s| s.result);
    assert_eq!(result("round", &[T::Int4]), Ok(T::Float8));
    assert_eq!(result("sqrt", &[T::Int4]), Ok(T::Float8));
    assert_eq!(result("abs", &[T::Int2]), Ok(T::Int2));
    assert_eq!(result("mod", &[T::Int2, T::Int4]), Ok(T::Int4));
    assert_eq!(result("power", &[T::Int4, T::Int4]), Ok(T::Float8));
    assert_eq!(result("trunc", &[T::Numeric(None)]), Ok(T::Numeric(None)));
    assert_eq!(
        result("greatest", &[T::Int4, T::Numeric(None)]),
        Ok(T::Numeric(None))
    );
    assert_eq!(result("LENGTH", &[T::Varchar(Some(3))]), Ok(T::Int4));
    assert_eq!(
        result("date_trunc", &[T::Unknown, T::Date]),
        Ok(T::Timestamptz)
    );
    assert_eq!(
        result("extract", &[T::Text, T::Timestamp]),
        Ok(T::Numeric(None))
    );
    assert_eq!(result("date_part", &[T::Text, T::Date]), Ok(T::Float8));
    let err = resolve_function("foo", &[T::Int4]).unwrap_err();
    assert_eq!(err.to_string(), "function foo(integer) does not exist");
    assert!(resolve_function("left", &[T::Text, T::Int8]).is_err());
}

/// Rounding and the numeric result scales.
#[test]
fn math() {
    let cases: Vec<(&str, Vec<Value>, &str)> = vec![
        ("round", vec![n("2.5")], "3"),
        ("round", vec![Value::Float8(2.5)], "2"),
        ("round", vec![n("-2.5")], "-3"),
        ("round", vec![n("1.2345"), i(2)], "1.23"),
        ("round", vec![n("1234.5"), i(-2)], "1200"),
        ("round", vec![n("1.5"), i(3)], "1.500"),
        ("trunc", vec![n("-1.7")], "-1"),
        ("trunc", vec![n("1.789"), i(1)], "1.7"),
        ("ceil", vec![n("-1.5")], "-1"),
        ("floor", vec![n("-1.5")], "-2"),
        ("ceil", vec![Value::Float8(1.5)], "2"),
        ("sign", vec![n("-2.5")], "-1"),
        ("sqrt", vec![n("2")], "1.414213562373095"),
        ("exp", vec![n("1")], "2.7182818284590452"),
        ("ln", vec![n("10")], "2.3025850929940457"),
        ("log", vec![n("100")], "2.0000000000000000"),
        ("log", vec![i(2), i(8)], "3.0000000000000000"),
        ("log", vec![i(100)], "2"),
        ("mod", vec![i(-7), i(3)], "-1"),
        ("mod", vec![n("7.5"), i(2)], "1.5"),
        ("abs", vec![n("-1.50")], "1.50"),
        ("power", vec![i(2), i(3)], "8"),
        ("greatest", vec![i(1), Value::Null, i(3)], "3"),
        ("least", vec![t("b"), t("a")], "a"),
    ];
    for (name, args, want) in cases {
        assert_eq!(call(name, &args), Ok(want.to_owned()), "{name}{args:?}");
    }
    assert_eq!(
        call("ln", &[i(0)]),
        Err("cannot take logarithm of zero".into())
    );
    assert_eq!(
        call("ln", &[n("-1")]),
        Err("cannot take logarithm of a negative number".into())
    );
    assert_eq!(
        call("sqrt", &[i(-1)]),
        Err("cannot take square root of a negative number".into())
    );
    assert_eq!(
        call("abs", &[Value::Int4(i32::MIN)]),
        Err("integer out of range".into())
    );
}

/// String functions and their edge cases.
#[test]
fn strings() {
    let cases: Vec<(&str, Vec<Value>, &str)> = vec![
        ("substring", vec![t("hello"), i(0), i(3)], "he"),
        ("substring", vec![t("hello"), i(-1), i(3)], "h"),
        ("substring", vec![t("hello"), i(2)], "ello"),
        ("substring", vec![t("hello"), i(10)], ""),
        ("substr", vec![t("hello"), i(2), i(100)], "ello"),
        ("left", vec![t("hello"), i(-2)], "hel"),
        ("right", vec![t("hello"), i(-2)], "llo"),
        ("left", vec![t("hello"), i(2)], "he"),
        ("right", vec![t("hello"), i(2)], "lo"),
        ("lpad", vec![t("hi"), i(5), t("xy")], "xyxhi"),
        ("lpad", vec![t("hello"), i(3)], "hel"),
        ("rpad", vec![t("hi"), i(5)], "hi   "),
        ("repeat", vec![t("ab"), i(3)], "ababab"),
        ("repeat", vec![t("a"), i(-1)], ""),
        ("split_part", vec![t("a,b,c"), t(","), i(2)], "b"),
        ("split_part", vec![t("a,b,c"), t(","), i(-1)], "c"),
        ("split_part", vec![t("a,b,c"), t(","), i(5)], ""),
        ("strpos", vec![t("hello"), t("l")], "3"),
        ("replace", vec![t("hello"), t("l"), t("L")], "heLLo"),
        ("btrim", vec![t("xxhixx"), t("x")], "hi"),
        ("ltrim", vec![t("  hi")], "hi"),
        ("rtrim", vec![t("hi  ")], "hi"),
        ("reverse", vec![t("abc")], "cba"),
        ("md5", vec![t("abc")], "900150983cd24fb0d6963f7d28e17f72"),
        (
            "initcap",
            vec![t("hello wORLD foo_bar")],
            "Hello World Foo_Bar",
        ),
        (
            "concat",
            vec![t("a"), Value::Null, i(1), Value::Bool(true)],
            "a1t",
        ),
        (
            "concat_ws",
            vec![t(","), t("a"), Value::Null, t("b")],
            "a,b",
        ),
        ("length", vec![t("é")], "1"),
        ("octet_length", vec![t("é")], "2"),
        ("upper", vec![t("abc")], "ABC"),
        ("starts_with", vec![t("abc"), t("ab")], "t"),
    ];
    for (name, args, want) in cases {
        assert_eq!(call(name, &args), Ok(want.to_owned()), "{name}{args:?}");
    }
    assert_eq!(
        call("substring", &[t("hello"), i(2), i(-1)]),
        Err("negative substring length not allowed".into())
    );
    assert_eq!(
        call("split_part", &[t("a,b"), t(","), i(0)]),
        Err("field position must not be zero".into())
    );
    assert_eq!(call("upper", &[Value::Null]), Ok("".into()));
}

/// EXTRACT/date_part fields and date_trunc units.
#[test]
fn datetime() {
    let ts = T::Timestamp.parse_text("2024-01-31 12:34:56.5").unwrap();
    let date = T::Date.parse_text("2024-01-31").unwrap();
    let cases = [
        ("extract", "epoch", &ts, "1706704496.500000"),
        ("extract", "second", &ts, "56.500000"),
        ("extract", "millisecond", &ts, "56500.000"),
        ("extract", "microseconds", &ts, "56500000"),
        ("date_part", "epoch", &ts, "1706704496.5"),
        ("date_part", "second", &ts, "56.5"),
        ("extract", "dow", &date, "3"),
        ("extract", "doy", &date, "31"),
        ("extract", "year", &date, "2024"),
        ("extract", "epoch", &date, "1706659200"),
        ("date_part", "month", &date, "1"),
        ("extract", "week", &date, "5"),
        ("extract", "century", &date, "21"),
        ("extract", "decade", &date, "202"),
        ("extract", "millennium", &date, "3"),
        ("extract", "julian", &date, "2460341"),
        ("date_trunc", "month", &ts, "2024-01-01 00:00:00"),
        ("date_trunc", "week", &ts, "2024-01-29 00:00:00"),
        (
            "date_trunc",
            "millisecond",
            &T::Timestamp
                .parse_text("2024-01-31 12:34:56.123456")
                .unwrap(),
            "2024-01-31 12:34:56.123",
        ),
        (
            "date_trunc",
            "decade",
            &T::Timestamp.parse_text("2024-05-31").unwrap(),
            "2020-01-01 00:00:00",
        ),
        (
            "date_trunc",
            "quarter",
            &T::Timestamp.parse_text("2024-05-31").unwrap(),
            "2024-04-01 00:00:00",
        ),
        (
            "date_trunc",
            "hour",
            &T::Timestamptz.parse_text("2024-01-31 12:34:56+00").unwrap(),
            "2024-01-31 12:00:00+00",
        ),
        ("date_trunc", "day", &date, "2024-01-31 00:00:00+00"),
    ];
    for (name, unit, v, want) in cases {
        assert_eq!(
            call(name, &[t(unit), v.clone()]),
            Ok(want.to_owned()),
            "{name}({unit}, {v:?})"
        );
    }
    let isodow = T::Date.parse_text("2024-01-28").unwrap();
    assert_eq!(call("extract", &[t("isodow"), isodow]), Ok("7".into()));
    assert_eq!(
        call("date_trunc", &[t("foo"), Value::Timestamptz(0)]),
        Err("unit \"foo\" not recognized for type timestamp with time zone".into())
    );
    assert_eq!(
        call("extract", &[t("hour"), date]),
        Err("unit \"hour\" not supported for type date".into())
    );
}

/// Functions of the statement clock and session zone.
#[test]
fn clock() {
    let c = FunctionContext {
        statement_timestamp: 3_600_000_000,
        time_zone: TimeZone::parse("-05").unwrap(),
        extra_float_digits: 1,
    };
    let now = eval_function(&FunctionId::Now, &[], &c).unwrap();
    assert_eq!(now, Value::Timestamptz(3_600_000_000));
    assert_eq!(
        eval_function(&FunctionId::CurrentDate, &[], &c)
            .unwrap()
            .to_text(),
        "1999-12-31"
    );
    assert_eq!(
        eval_function(&FunctionId::LocalTimestamp, &[], &c)
            .unwrap()
            .to_text(),
        "1999-12-31 20:00:00"
    );
    let version = eval_function(&FunctionId::Version, &[], &c)
        .unwrap()
        .to_text();
    assert!(version.starts_with("PostgreSQL 15.0 (Turnstile"));
    let Value::Uuid(u) = eval_function(&FunctionId::GenRandomUuid, &[], &c).unwrap() else {
        panic!()
    };
    assert_eq!(u[6] >> 4, 4, "version 4 uuid");
}
