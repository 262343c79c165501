//! Values on the wire in the format a client asked for: text (each type's output
//! and input functions, in the session's style) or binary (`types::binary`, the
//! types' `typsend`/`typreceive`), for parameters and result columns. Free of tokio
//! and sockets so every encoding is unit-tested.

use bytes::{BufMut, BytesMut};

use super::WireError;
use crate::types::binary::{self, put_padded};
use crate::types::{DataType, TextStyle, TimeZone, TypeError, Value};
use crate::Error;

pub use crate::types::binary::wire_type;

/// A format code from Bind: how one parameter or result column is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Binary,
}

impl Format {
    pub fn from_code(code: i16) -> Result<Format, WireError> {
        match code {
            0 => Ok(Format::Text),
            1 => Ok(Format::Binary),
            other => Err(WireError::UnsupportedFormat(other)),
        }
    }

    pub fn code(self) -> i16 {
        match self {
            Format::Text => 0,
            Format::Binary => 1,
        }
    }
}

/// Expands Bind's format codes to one per item, as the protocol defines: no codes
/// means all text, one code applies to all, otherwise one code per item.
/// `what` names the items for the 08P01 message ("parameter", "result").
pub fn expand_formats(
    codes: &[i16],
    count: usize,
    what: &'static str,
) -> Result<Vec<Format>, WireError> {
    match codes {
        [] => Ok(vec![Format::Text; count]),
        [one] => Ok(vec![Format::from_code(*one)?; count]),
        many if many.len() == count => many.iter().map(|c| Format::from_code(*c)).collect(),
        many => Err(WireError::FormatCount {
            what,
            formats: many.len(),
            items: count,
        }),
    }
}

/// Appends `value`'s encoding (without the length word) in `format`; text is
/// written in the session's `style`.
pub fn encode(
    value: &Value,
    ty: DataType,
    format: Format,
    style: TextStyle<'_>,
    out: &mut BytesMut,
) -> Result<(), TypeError> {
    match format {
        // Integers and text are written straight into the row: going through a
        // fresh String and fmt cost ~400 instructions per integer value (callgrind,
        // pgbench `SELECT 1`). The bytes are the same as `write_text`'s.
        Format::Text => {
            match value {
                Value::Int2(v) => out.put_slice(itoa::Buffer::new().format(*v).as_bytes()),
                Value::Int4(v) => out.put_slice(itoa::Buffer::new().format(*v).as_bytes()),
                Value::Int8(v) => out.put_slice(itoa::Buffer::new().format(*v).as_bytes()),
                Value::Text(s) if matches!(ty, DataType::Bpchar(Some(_))) => put_padded(s, ty, out),
                Value::Text(s) | Value::Jsonb(s) | Value::Json(s) => out.put_slice(s.as_bytes()),
                _ => {
                    let mut text = String::new();
                    ty.write_output(value, &mut text, style);
                    out.put_slice(text.as_bytes());
                }
            }
            Ok(())
        }
        Format::Binary => binary::send(value, ty, out),
    }
}

/// Decodes a parameter sent in `format` as a value of type `ty`. Text goes through
/// the type's own input function (in the session's time zone), so its errors are
/// PostgreSQL's (22P02, 22003, …); malformed binary is 22P03.
pub fn decode(ty: DataType, format: Format, bytes: &[u8], tz: &TimeZone) -> Result<Value, Error> {
    match format {
        Format::Text => {
            let text = binary::utf8(bytes)?;
            Ok(ty.parse_text_in(text, tz)?)
        }
        Format::Binary => Ok(binary::receive(ty, bytes)?),
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    /// The text fast path (integers and text written without a String) gives the
    /// bytes `Value::write_text` gives, at the extremes of each integer width.
    #[test]
    fn text_fast_path_matches_write_text() {
        let values = [
            Value::Int2(i16::MIN),
            Value::Int2(0),
            Value::Int4(-42),
            Value::Int4(i32::MAX),
            Value::Int8(i64::MIN),
            Value::Int8(1),
            Value::Text("héllo".into()),
            Value::Jsonb("{\"a\": 1}".into()),
            Value::Bool(true),
        ];
        for value in values {
            let mut fast = BytesMut::new();
            encode(
                &value,
                value.data_type(),
                Format::Text,
                TextStyle::from(&TimeZone::Utc),
                &mut fast,
            )
            .unwrap();
            let mut slow = String::new();
            value.write_text(&mut slow, &TimeZone::Utc);
            assert_eq!(&fast[..], slow.as_bytes(), "{value:?}");
        }
    }

    /// Floats in text results follow `extra_float_digits` as PostgreSQL 15's
    /// float4out/float8out do (answers taken from PostgreSQL 15): above 0 the
    /// shortest exact text, otherwise `%g` with 15 or 6 plus that many digits.
    #[test]
    fn text_floats_follow_extra_float_digits() {
        let third = 1.0 / 3.0;
        let cases = [
            (1, Value::Float8(0.1 + 0.2), "0.30000000000000004"),
            (3, Value::Float8(third), "0.3333333333333333"),
            (1, Value::Float4(1.0 / 3.0), "0.33333334"),
            (0, Value::Float8(0.1 + 0.2), "0.3"),
            (0, Value::Float8(third), "0.333333333333333"),
            (0, Value::Float8(1e20), "1e+20"),
            (0, Value::Float8(1e-5), "1e-05"),
            (0, Value::Float8(1e14), "100000000000000"),
            (0, Value::Float8(1e15), "1e+15"),
            (
                0,
                Value::Float8(123456789012345678.0),
                "1.23456789012346e+17",
            ),
            (0, Value::Float8(5e-324), "4.94065645841247e-324"),
            (0, Value::Float8(-0.0), "-0"),
            (0, Value::Float4(1.0 / 3.0), "0.333333"),
            (0, Value::Float4(1234567.0), "1.23457e+06"),
            (0, Value::Float4(0.1), "0.1"),
            (-3, Value::Float8(third), "0.333333333333"),
            (-3, Value::Float4(123456.7), "1.23e+05"),
            (-15, Value::Float8(third), "0.3"),
            (-15, Value::Float8(0.000099999), "0.0001"),
            (-15, Value::Float8(99999.95), "1e+05"),
            (-15, Value::Float8(123.456), "1e+02"),
            (-15, Value::Float4(-2.5), "-2"),
            (-15, Value::Float4(9.5), "1e+01"),
            (-15, Value::Float8(f64::NAN), "NaN"),
            (-15, Value::Float8(f64::NEG_INFINITY), "-Infinity"),
            (0, Value::Float4(f32::INFINITY), "Infinity"),
            (
                0,
                Value::Array(vec![Value::Float8(third), Value::Null]),
                "{0.333333333333333,NULL}",
            ),
        ];
        for (extra_float_digits, value, expected) in cases {
            let style = TextStyle {
                time_zone: &TimeZone::Utc,
                extra_float_digits,
            };
            let mut text = BytesMut::new();
            encode(&value, value.data_type(), Format::Text, style, &mut text).unwrap();
            assert_eq!(
                &text[..],
                expected.as_bytes(),
                "{extra_float_digits}: {value:?}"
            );
        }
    }

    /// Format code lists expand as the protocol says.
    #[test]
    fn format_codes_expand() {
        assert_eq!(
            expand_formats(&[], 2, "result").unwrap(),
            vec![Format::Text; 2]
        );
        assert_eq!(
            expand_formats(&[1], 3, "result").unwrap(),
            vec![Format::Binary; 3]
        );
        assert_eq!(
            expand_formats(&[0, 1], 2, "result").unwrap(),
            vec![Format::Text, Format::Binary]
        );
        assert!(expand_formats(&[0, 1], 3, "result").is_err());
        assert!(expand_formats(&[2], 1, "result").is_err());
    }

    /// Text parameters go through the type's input function; results through to_text.
    #[test]
    fn text_format() {
        let tz = TimeZone::Utc;
        assert_eq!(
            decode(DataType::Int8, Format::Text, b"-42", &tz).unwrap(),
            Value::Int8(-42)
        );
        assert!(decode(DataType::Int4, Format::Text, b"abc", &tz).is_err());
        let mut buf = BytesMut::new();
        encode(
            &Value::Bool(true),
            DataType::Bool,
            Format::Text,
            TextStyle::from(&tz),
            &mut buf,
        )
        .unwrap();
        assert_eq!(&buf[..], b"t");
    }
}
