//! Operators checked against PostgreSQL 15 (`SELECT 1/3::numeric, ...` and
//! `pg_typeof` for the resolved types).

use super::*;
use crate::types::DataType as T;

fn num(s: &str) -> Value {
    Value::Numeric(s.parse().unwrap())
}

fn ev(op: BinaryOp, l: Value, r: Value) -> Result<String, String> {
    eval_binary(op, &l, &r)
        .map(|v| v.to_text())
        .map_err(|e| e.to_string())
}

/// Result types as `pg_typeof` reports them.
#[test]
fn resolution() {
    let res = |op, l, r| binary_signature(op, l, r).map(|s| s.result);
    assert_eq!(res(BinaryOp::Add, T::Int2, T::Int4), Some(T::Int4));
    assert_eq!(res(BinaryOp::Add, T::Int2, T::Int2), Some(T::Int2));
    assert_eq!(res(BinaryOp::Add, T::Int4, T::Int8), Some(T::Int8));
    assert_eq!(
        res(BinaryOp::Add, T::Int4, T::Numeric(None)),
        Some(T::Numeric(None))
    );
    assert_eq!(res(BinaryOp::Add, T::Int4, T::Float4), Some(T::Float8));
    assert_eq!(res(BinaryOp::Add, T::Float4, T::Float4), Some(T::Float4));
    assert_eq!(
        res(BinaryOp::Add, T::Numeric(None), T::Float8),
        Some(T::Float8)
    );
    assert_eq!(res(BinaryOp::Pow, T::Int4, T::Int4), Some(T::Float8));
    assert_eq!(
        res(BinaryOp::Pow, T::Numeric(None), T::Int4),
        Some(T::Numeric(None))
    );
    assert_eq!(res(BinaryOp::Mod, T::Float8, T::Int4), None);
    assert_eq!(res(BinaryOp::Sub, T::Date, T::Date), Some(T::Int4));
    assert_eq!(res(BinaryOp::Add, T::Date, T::Int4), Some(T::Date));
    assert_eq!(
        res(BinaryOp::Sub, T::Timestamp, T::Timestamp),
        Some(T::Interval)
    );
    assert_eq!(res(BinaryOp::Add, T::Date, T::Interval), Some(T::Timestamp));
    assert_eq!(res(BinaryOp::Mul, T::Int4, T::Interval), Some(T::Interval));
    assert_eq!(res(BinaryOp::Add, T::Timestamp, T::Timestamp), None);
    assert_eq!(res(BinaryOp::Concat, T::Text, T::Int4), Some(T::Text));
    assert_eq!(res(BinaryOp::Concat, T::Int4, T::Int4), None);
    assert_eq!(res(BinaryOp::Add, T::Unknown, T::Int8), Some(T::Int8));
    let cmp = binary_signature(BinaryOp::Lt, T::Date, T::Timestamptz).unwrap();
    assert_eq!((cmp.left, cmp.result), (T::Timestamptz, T::Bool));
    assert_eq!(
        binary_signature(BinaryOp::Eq, T::Unknown, T::Unknown)
            .unwrap()
            .left,
        T::Text
    );
    assert_eq!(binary_signature(BinaryOp::Eq, T::Uuid, T::Int4), None);
}

/// Integer semantics: truncating division, dividend-signed modulo, 22003, 22012.
#[test]
fn integers() {
    assert_eq!(
        ev(BinaryOp::Div, Value::Int4(-7), Value::Int4(2)),
        Ok("-3".into())
    );
    assert_eq!(
        ev(BinaryOp::Mod, Value::Int4(-7), Value::Int4(3)),
        Ok("-1".into())
    );
    assert_eq!(
        ev(BinaryOp::Mod, Value::Int4(7), Value::Int4(-3)),
        Ok("1".into())
    );
    assert_eq!(
        ev(BinaryOp::Add, Value::Int2(32767), Value::Int2(1)),
        Err("smallint out of range".into())
    );
    assert_eq!(
        ev(BinaryOp::Div, Value::Int4(i32::MIN), Value::Int4(-1)),
        Err("integer out of range".into())
    );
    assert_eq!(
        ev(BinaryOp::Div, Value::Int8(i64::MIN), Value::Int8(-1)),
        Err("bigint out of range".into())
    );
    assert_eq!(
        ev(BinaryOp::Mod, Value::Int8(i64::MIN), Value::Int8(-1)),
        Ok("0".into())
    );
    assert_eq!(
        ev(BinaryOp::Div, Value::Int4(1), Value::Int4(0)),
        Err("division by zero".into())
    );
    assert_eq!(
        ev(BinaryOp::Add, Value::Int4(1), Value::Int8(2)),
        Ok("3".into())
    );
    assert_eq!(
        eval_unary(UnaryOp::Neg, &Value::Int2(i16::MIN)),
        Err(TypeError::OutOfRange("smallint out of range".into()))
    );
}

/// Numeric scales: PostgreSQL's select_div_scale and power scales.
#[test]
fn numerics() {
    let cases = [
        (BinaryOp::Div, "1", "3", "0.33333333333333333333"),
        (BinaryOp::Div, "1.0", "3", "0.33333333333333333333"),
        (BinaryOp::Div, "10", "4", "2.5000000000000000"),
        (BinaryOp::Div, "1", "1", "1.00000000000000000000"),
        (BinaryOp::Div, "100000", "3", "33333.333333333333"),
        (
            BinaryOp::Div,
            "100000000000000000000",
            "3",
            "33333333333333333333",
        ),
        (BinaryOp::Mul, "1.50", "2.0", "3.000"),
        (BinaryOp::Mul, "-1.5", "0", "0.0"),
        (BinaryOp::Mod, "7.5", "2", "1.5"),
        (BinaryOp::Pow, "2", "10", "1024.0000000000000000"),
        (BinaryOp::Pow, "0.5", "2", "0.2500000000000000"),
        (BinaryOp::Pow, "2.0", "0.5", "1.4142135623730950"),
        (BinaryOp::Pow, "3", "0.5", "1.7320508075688773"),
        (BinaryOp::Pow, "1000", "0.5", "31.622776601683793"),
        (BinaryOp::Pow, "1.5", "2.5", "2.7556759606310754"),
        (BinaryOp::Pow, "1.1", "4", "1.4641000000000000"),
        (BinaryOp::Pow, "-2.5", "3", "-15.6250000000000000"),
        (BinaryOp::Pow, "12.5", "2.0", "156.2500000000000000"),
        (BinaryOp::Pow, "0", "0", "1.0000000000000000"),
        (BinaryOp::Pow, "2", "-3", "0.1250000000000000"),
        (BinaryOp::Pow, "1.5", "-3", "0.2962962962962963"),
        (
            BinaryOp::Pow,
            "12345.678",
            "2",
            "152415765.2796840000000000",
        ),
    ];
    for (op, a, b, want) in cases {
        assert_eq!(
            ev(op, num(a), num(b)),
            Ok(want.to_owned()),
            "{a} {} {b}",
            op.symbol()
        );
    }
    assert_eq!(
        ev(BinaryOp::Div, num("1"), num("0")),
        Err("division by zero".into())
    );
    let zero_neg = ev(BinaryOp::Pow, num("0"), num("-1"));
    assert_eq!(
        zero_neg,
        Err("zero raised to a negative power is undefined".into())
    );
    assert!(ev(BinaryOp::Pow, num("-8"), num("0.5")).is_err());
    // PostgreSQL's exact answers need more digits than a rust_decimal holds:
    // 8222416871883567.9572096998030864 has 32, and 1e20 shown with PostgreSQL's
    // scale 16 has 37. Rounding them to fit would be a wrong answer.
    for (base, exp) in [("90677543.37146308", "2"), ("10", "20"), ("3", "40")] {
        let power = ev(BinaryOp::Pow, num(base), num(exp));
        assert!(
            power.as_ref().is_err_and(|e| e.contains("out of range")),
            "{base} ^ {exp}: {power:?}"
        );
    }
    // PostgreSQL: 0.015241578753238669120562399025, 30 digits after the point.
    let product = ev(
        BinaryOp::Mul,
        num("0.123456789012345"),
        num("0.123456789012345"),
    );
    assert!(product.is_err_and(|e| e.contains("out of range")));
}

/// Floats: overflow, underflow and division by zero are errors, as in PostgreSQL.
#[test]
fn floats() {
    assert_eq!(
        ev(BinaryOp::Mul, Value::Float8(1e308), Value::Float8(10.0)),
        Err("value out of range: overflow".into())
    );
    assert_eq!(
        ev(BinaryOp::Mul, Value::Float8(1e-300), Value::Float8(1e-300)),
        Err("value out of range: underflow".into())
    );
    assert_eq!(
        ev(BinaryOp::Div, Value::Float8(1.0), Value::Float8(0.0)),
        Err("division by zero".into())
    );
    assert_eq!(
        ev(BinaryOp::Pow, Value::Int4(2), Value::Int4(3)),
        Ok("8".into())
    );
    // 1000000000000000.25 exactly: PostgreSQL's Ryu rounds the tie to even.
    assert_eq!(
        ev(BinaryOp::Add, Value::Float8(1e15), Value::Float8(0.3)),
        Ok("1.0000000000000002e+15".into())
    );
    assert_eq!(
        ev(
            BinaryOp::Add,
            Value::Float8(f64::INFINITY),
            Value::Float8(1.0)
        ),
        Ok("Infinity".into())
    );
}

/// NULL propagation, three-valued logic, comparisons across widths, text concat.
#[test]
fn nulls_logic_comparisons() {
    assert_eq!(
        ev(BinaryOp::Add, Value::Null, Value::Int4(1)),
        Ok("".into())
    );
    assert!(eval_binary(BinaryOp::Eq, &Value::Null, &Value::Null)
        .unwrap()
        .is_null());
    assert_eq!(
        ev(BinaryOp::And, Value::Null, Value::Bool(false)),
        Ok("f".into())
    );
    assert_eq!(
        ev(BinaryOp::Or, Value::Null, Value::Bool(true)),
        Ok("t".into())
    );
    assert!(eval_binary(BinaryOp::And, &Value::Null, &Value::Bool(true))
        .unwrap()
        .is_null());
    assert_eq!(ev(BinaryOp::Lt, Value::Int4(1), num("1.5")), Ok("t".into()));
    assert_eq!(
        ev(
            BinaryOp::Eq,
            Value::Float8(f64::NAN),
            Value::Float8(f64::NAN)
        ),
        Ok("t".into())
    );
    assert_eq!(
        ev(BinaryOp::Lt, Value::Date(0), Value::Timestamp(1)),
        Ok("t".into())
    );
    assert_eq!(
        ev(BinaryOp::Concat, Value::Text("a".into()), Value::Bool(true)),
        Ok("atrue".into())
    );
    assert_eq!(
        ev(BinaryOp::Concat, Value::Text("a".into()), num("1.50")),
        Ok("a1.50".into())
    );
    assert_eq!(
        ev(BinaryOp::Concat, Value::Text("a".into()), Value::Null),
        Ok("".into())
    );
}

/// Date arithmetic: day offsets and differences, range checked.
#[test]
fn dates() {
    assert_eq!(
        ev(BinaryOp::Add, Value::Date(0), Value::Int4(31)),
        Ok("2000-02-01".into())
    );
    assert_eq!(
        ev(BinaryOp::Sub, Value::Date(366), Value::Date(0)),
        Ok("366".into())
    );
    assert_eq!(
        ev(BinaryOp::Add, Value::Date(8766), Value::Int4(i32::MAX)),
        Err("date out of range".into())
    );
}

/// jsonb's operators: their operand types as PostgreSQL resolves them, and the
/// cases of containment and `||` that are easiest to get wrong (checked
/// against PostgreSQL 15).
#[test]
fn jsonb_operators() {
    let j = |s: &str| Value::Jsonb(s.to_owned());
    let res = |op, l, r| binary_signature(op, l, r).map(|s| (s.right, s.result));
    let field = BinaryOp::JsonField { as_text: true };
    assert_eq!(res(field, T::Jsonb, T::Unknown), Some((T::Text, T::Text)));
    assert_eq!(res(field, T::Jsonb, T::Int2), Some((T::Int4, T::Text)));
    assert_eq!(
        res(field, T::Jsonb, T::Int8),
        None,
        "jsonb -> bigint is 42883"
    );
    assert_eq!(res(field, T::Unknown, T::Unknown), None);
    assert_eq!(
        res(BinaryOp::Concat, T::Jsonb, T::Unknown),
        Some((T::Jsonb, T::Jsonb))
    );
    assert_eq!(
        res(BinaryOp::Concat, T::Jsonb, T::Text),
        Some((T::Text, T::Text)),
        "jsonb || text is text's ||"
    );
    let contains = |l: &str, r: &str| ev(BinaryOp::Contains, j(l), j(r));
    let yes = Ok("t".to_owned());
    let no = Ok("f".to_owned());
    assert_eq!(contains(r#"[1, 2, [1, 3]]"#, "[1, 3]"), no);
    assert_eq!(contains(r#"[1, 2, [1, 3]]"#, "[[1, 3]]"), yes);
    assert_eq!(contains(r#"["a", "b"]"#, r#""a""#), yes);
    assert_eq!(contains(r#""a""#, r#"["a"]"#), no);
    assert_eq!(contains(r#"{"a": 1}"#, r#"{"a": 1.0}"#), yes);
    assert_eq!(contains(r#"{"a": [1, 2]}"#, r#"{"a": 1}"#), no);
    assert_eq!(contains(r#"[1, 1, 2]"#, "[2, 2, 1]"), yes);
    let concat = |l: &str, r: &str| ev(BinaryOp::Concat, j(l), j(r));
    assert_eq!(
        concat(r#"{"a": 1, "b": 2}"#, r#"{"a": 3}"#),
        Ok(r#"{"a": 3, "b": 2}"#.to_owned())
    );
    assert_eq!(concat("1", "2"), Ok("[1, 2]".to_owned()));
    assert_eq!(
        concat(r#"{"a": 1}"#, "[2]"),
        Ok(r#"[{"a": 1}, 2]"#.to_owned())
    );
    assert_eq!(
        ev(BinaryOp::Sub, j("[1, 2, 3]"), Value::Int4(-1)),
        Ok("[1, 2]".to_owned())
    );
    assert!(ev(BinaryOp::Sub, j(r#"{"a": 1}"#), Value::Int4(0)).is_err());
    assert!(ev(BinaryOp::Sub, j("1"), Value::Text("a".into())).is_err());
}
