//! Text I/O checked against PostgreSQL 15 (`SELECT 'literal'::type` in psql, TimeZone
//! UTC, default extra_float_digits).

use super::*;

fn out(v: Value) -> String {
    v.to_text()
}

fn parse(t: DataType, s: &str) -> Result<String, String> {
    t.parse_text(s)
        .map(|v| v.to_text())
        .map_err(|e| e.to_string())
}

/// Shortest round-trip floats with PostgreSQL's switch to exponent notation.
#[test]
fn float8_output() {
    let cases = [
        (0.1, "0.1"),
        (1e20, "1e+20"),
        (1e15, "1e+15"),
        (1e14, "100000000000000"),
        (123.456, "123.456"),
        (0.0001, "0.0001"),
        (0.00012, "0.00012"),
        (-1.5e-10, "-1.5e-10"),
        (f64::MAX, "1.7976931348623157e+308"),
        (5e-324, "5e-324"),
        (2.5 / 3.0, "0.8333333333333334"),
        (-0.0, "-0"),
        (f64::NAN, "NaN"),
        (f64::NEG_INFINITY, "-Infinity"),
    ];
    for (v, want) in cases {
        assert_eq!(out(Value::Float8(v)), want);
    }
}

#[test]
fn float4_output() {
    let cases = [
        (0.1f32, "0.1"),
        (1e6, "1e+06"),
        (123456.0, "123456"),
        (1234567.0, "1.234567e+06"),
        (std::f32::consts::PI, "3.1415927"),
        (1e-5, "1e-05"),
        (0.0001, "0.0001"),
        (16777216.0, "1.6777216e+07"),
    ];
    for (v, want) in cases {
        assert_eq!(out(Value::Float4(v)), want);
    }
}

/// Float input: white space, NaN/Infinity words, and 22003 on overflow/underflow.
#[test]
fn float_input() {
    let f8 = DataType::Float8;
    assert_eq!(parse(f8, " 1.5 "), Ok("1.5".into()));
    assert_eq!(parse(f8, ".5"), Ok("0.5".into()));
    assert_eq!(parse(f8, "5."), Ok("5".into()));
    assert_eq!(parse(f8, "INF"), Ok("Infinity".into()));
    assert_eq!(parse(f8, "+nan"), Ok("NaN".into()));
    assert_eq!(parse(DataType::Float4, "-Infinity"), Ok("-Infinity".into()));
    assert_eq!(
        parse(f8, "1e400"),
        Err("\"1e400\" is out of range for type double precision".into())
    );
    assert_eq!(
        parse(f8, "1e-400"),
        Err("\"1e-400\" is out of range for type double precision".into())
    );
    assert_eq!(
        parse(DataType::Float4, "1e39"),
        Err("\"1e39\" is out of range for type real".into())
    );
    assert_eq!(
        parse(f8, "abc"),
        Err("invalid input syntax for type double precision: \"abc\"".into())
    );
}

/// Integer input: trimmed, signed, 22003 with the original text, 22P02 for junk.
#[test]
fn int_input() {
    assert_eq!(parse(DataType::Int4, " +42 "), Ok("42".into()));
    assert_eq!(
        parse(DataType::Int8, "-9223372036854775808"),
        Ok("-9223372036854775808".into())
    );
    assert_eq!(
        parse(DataType::Int2, "32768"),
        Err("value \"32768\" is out of range for type smallint".into())
    );
    assert_eq!(
        parse(DataType::Int4, "12345678901"),
        Err("value \"12345678901\" is out of range for type integer".into())
    );
    let junk = DataType::Int4.parse_text("1.5");
    assert_eq!(
        junk,
        Err(TypeError::InvalidText {
            type_name: "integer".into(),
            input: "1.5".into()
        })
    );
    assert!(DataType::Int4.parse_text("").is_err());
    assert!(DataType::Int4
        .parse_text("99999999999999999999999999999999999999999")
        .is_err());
}

/// boolin accepts unambiguous prefixes only.
#[test]
fn bool_input() {
    for (s, want) in [
        ("yes", true),
        (" On ", true),
        ("tr", true),
        ("n", false),
        ("0", false),
        ("OFF", false),
    ] {
        assert_eq!(parse_bool(s), Ok(want), "{s}");
    }
    assert_eq!(
        parse(DataType::Bool, "o"),
        Err("invalid input syntax for type boolean: \"o\"".into())
    );
}

/// bytea hex and escape input, hex output.
#[test]
fn bytea_io() {
    let b = DataType::Bytea;
    assert_eq!(parse(b, "\\x01ff"), Ok("\\x01ff".into()));
    assert_eq!(parse(b, "\\x 01 ff"), Ok("\\x01ff".into()));
    assert_eq!(parse(b, "a\\\\b\\001"), Ok("\\x615c6201".into()));
    assert_eq!(
        parse(b, "\\x1"),
        Err("invalid hexadecimal data: odd number of digits".into())
    );
    assert_eq!(
        parse(b, "\\xzz"),
        Err("invalid hexadecimal digit: \"z\"".into())
    );
    assert!(matches!(
        b.parse_text("a\\b"),
        Err(TypeError::InvalidText { .. })
    ));
}

/// uuid: braces, no hyphens, hyphens after any 4 digits, any case.
#[test]
fn uuid_io() {
    let want = Ok("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11".to_owned());
    assert_eq!(
        parse(DataType::Uuid, "{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}"),
        want
    );
    assert_eq!(
        parse(DataType::Uuid, "a0eebc999c0b4ef8bb6d6bb9bd380a11"),
        want
    );
    assert_eq!(
        parse(DataType::Uuid, "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11"),
        want
    );
    assert!(parse(DataType::Uuid, "a0eebc99-9c0b4ef8-bb6d6bb9bd380a1").is_err());
    assert!(parse(DataType::Uuid, "a0eebc999c0b4ef8bb6d6bb9bd380a11ff").is_err());
}

/// Dates, timestamps and timestamptz in UTC and in other zones.
#[test]
fn datetime_io() {
    assert_eq!(parse(DataType::Date, "-infinity"), Ok("-infinity".into()));
    assert_eq!(
        parse(DataType::Date, "0001-01-01 BC"),
        Ok("0001-01-01 BC".into())
    );
    assert_eq!(
        parse(DataType::Timestamp, "2024-01-31T12:34:56.1234567"),
        Ok("2024-01-31 12:34:56.123457".into())
    );
    assert_eq!(
        parse(DataType::Timestamp, "2024-01-31 12:00+02"),
        Ok("2024-01-31 12:00:00".into())
    );
    assert_eq!(
        parse(DataType::Timestamptz, "epoch"),
        Ok("1970-01-01 00:00:00+00".into())
    );
    let ny = TimeZone::parse("America/New_York").unwrap();
    let v = DataType::Timestamptz
        .parse_text_in("2014-03-09 02:30", &ny)
        .unwrap();
    let mut s = String::new();
    v.write_text(&mut s, &ny);
    assert_eq!(s, "2014-03-09 03:30:00-04");
    let kolkata = TimeZone::parse("Asia/Kolkata").unwrap();
    let mut s = String::new();
    DataType::Timestamptz
        .parse_text("2024-01-01 00:00:00+00")
        .unwrap()
        .write_text(&mut s, &kolkata);
    assert_eq!(s, "2024-01-01 05:30:00+05:30");
}

/// Numerics keep their scale; jsonb prints normalized.
#[test]
fn numeric_and_jsonb() {
    assert_eq!(parse(DataType::Numeric(None), "1.50"), Ok("1.50".into()));
    assert!(matches!(
        DataType::Numeric(None).parse_text("nan"),
        Err(TypeError::Unsupported(_))
    ));
    assert_eq!(
        parse(DataType::Jsonb, r#"{"b":[1,2],"a":1}"#),
        Ok(r#"{"a": 1, "b": [1, 2]}"#.into())
    );
}

/// VARCHAR(n): explicit casts truncate, assignments fail unless only spaces are cut.
#[test]
fn varchar_length() {
    assert_eq!(check_varchar("abcdef".into(), 3, true), Ok("abc".into()));
    assert_eq!(check_varchar("ab   ".into(), 2, false), Ok("ab".into()));
    assert_eq!(
        check_varchar("abc".into(), 2, false),
        Err(TypeError::StringTooLong { max: 2 })
    );
    assert_eq!(check_varchar("héé".into(), 3, false), Ok("héé".into()));
}

/// Every value prints as PostgreSQL prints it.
#[test]
fn misc_output() {
    assert_eq!(out(Value::Bool(true)), "t");
    assert_eq!(out(Value::Bytea(vec![0, 1])), "\\x0001");
    assert_eq!(out(Value::Date(0)), "2000-01-01");
    assert_eq!(
        out(Value::Timestamptz(45_296_500_000)),
        "2000-01-01 12:34:56.5+00"
    );
    assert_eq!(out(Value::Null), "");
}
