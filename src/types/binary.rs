//! PostgreSQL's binary encodings of values: each type's `typsend` and
//! `typreceive`. The extended protocol's binary parameters and results and COPY's
//! binary format carry values this way; the wire layer frames them, this module
//! says what the bytes of one value are. All integers are big-endian:
//!
//! | type | bytes |
//! |---|---|
//! | bool | 1 byte: 0 is false, any other true (sent as 1) |
//! | int2 / int4 / int8 | two's complement, 2 / 4 / 8 bytes |
//! | float4 / float8 | IEEE 754, 4 / 8 bytes |
//! | numeric | see [`send_numeric`] |
//! | text / varchar | UTF-8 bytes, no terminator |
//! | bytea | the bytes |
//! | timestamp / timestamptz | i64 microseconds since 2000-01-01 (UTC for timestamptz); `i64::MAX`/`MIN` are ±infinity |
//! | date | i32 days since 2000-01-01; `i32::MAX`/`MIN` are ±infinity |
//! | uuid | 16 bytes |
//! | jsonb | a version byte (1), then the JSON text |
//! | arrays | see `send_array` |
//!
//! It also reads text sent as bytes ([`utf8`]): PostgreSQL's text values are UTF-8
//! without NUL, and a client's bytes that are not are refused with 22021.

use bytes::{BufMut, BytesMut};
use rust_decimal::Decimal;

use super::{checked_date, checked_timestamp, DataType, Interval, TypeError, Value};

/// The jsonb binary format version PostgreSQL reads and writes.
const JSONB_VERSION: u8 = 1;
/// numeric sign words.
const NUMERIC_POS: u16 = 0x0000;
const NUMERIC_NEG: u16 = 0x4000;
const NUMERIC_NAN: u16 = 0xC000;
/// numeric digits are base 10000 (four decimal digits per i16).
const NBASE: u128 = 10_000;

/// The type a value of type `ty` is described and sent as. An untyped NULL or
/// literal column is sent as `text`, as PostgreSQL resolves unknown output columns.
pub fn wire_type(ty: DataType) -> DataType {
    match ty {
        DataType::Unknown => DataType::Text,
        other => other,
    }
}

/// Appends the binary encoding of `value` as a value of column type `ty`. Integers
/// and floats are widened or narrowed to the column's width, so the bytes always
/// match the OID in the RowDescription.
pub fn send(value: &Value, ty: DataType, out: &mut BytesMut) -> Result<(), TypeError> {
    let mismatch = || {
        TypeError::Internal(format!(
            "a {} value in a column of type {ty}",
            value.data_type()
        ))
    };
    match (value, wire_type(ty)) {
        (Value::Null, _) => return Err(TypeError::Internal("NULL has no binary encoding".into())),
        (Value::Bool(b), DataType::Bool) => out.put_u8(u8::from(*b)),
        (Value::Int2(_) | Value::Int4(_) | Value::Int8(_), target) => {
            let v = value.as_i64().ok_or_else(mismatch)?;
            let narrow = || TypeError::Internal(format!("{v} does not fit a column of type {ty}"));
            match target {
                DataType::Int2 => out.put_i16(i16::try_from(v).map_err(|_| narrow())?),
                DataType::Int4 => out.put_i32(i32::try_from(v).map_err(|_| narrow())?),
                DataType::Int8 => out.put_i64(v),
                DataType::Float8 => out.put_f64(v as f64),
                DataType::Numeric(_) => send_numeric(Decimal::from(v), out),
                DataType::Oid(_) => out.put_u32(u32::try_from(v).map_err(|_| narrow())?),
                _ => return Err(mismatch()),
            }
        }
        (Value::Float4(v), DataType::Float4) => out.put_f32(*v),
        (Value::Float4(v), DataType::Float8) => out.put_f64(f64::from(*v)),
        (Value::Float8(v), DataType::Float8) => out.put_f64(*v),
        (Value::Float8(v), DataType::Float4) => out.put_f32(*v as f32),
        (Value::Numeric(d), DataType::Numeric(_)) => send_numeric(*d, out),
        (Value::Text(s), DataType::Text | DataType::Varchar(_) | DataType::Name)
        | (Value::Text(s), DataType::InternalChar) => out.put_slice(s.as_bytes()),
        (Value::Text(s), DataType::Bpchar(_)) => put_padded(s, ty, out),
        // void_send: nothing.
        (Value::Text(_), DataType::Void) => {}
        (Value::Text(s) | Value::Jsonb(s), DataType::Jsonb) => {
            out.put_u8(JSONB_VERSION);
            out.put_slice(s.as_bytes());
        }
        // json_send: the text itself.
        (Value::Json(s), DataType::Json) => out.put_slice(s.as_bytes()),
        (Value::Bytea(b), DataType::Bytea) => out.put_slice(b),
        (Value::Text(_), DataType::Oid(_)) if ty.is_oid_alias() => {
            return Err(TypeError::BinaryOutputUnsupported {
                type_name: ty.to_string(),
            })
        }
        (Value::Timestamp(us), DataType::Timestamp)
        | (Value::Timestamptz(us), DataType::Timestamptz) => out.put_i64(*us),
        (Value::Date(days), DataType::Date) => out.put_i32(*days),
        (Value::Uuid(bytes), DataType::Uuid) => out.put_slice(bytes),
        (Value::Interval(i), DataType::Interval) => {
            out.put_i64(i.micros);
            out.put_i32(i.days);
            out.put_i32(i.months);
        }
        (Value::Array(items), DataType::Array(element)) => {
            send_array(items, *element, 1, out).map_err(|_| mismatch())?
        }
        // A vector is an array indexed from 0 (`int2vectorsend`).
        (Value::Array(items), DataType::Vector(element)) => {
            send_array(items, *element, 0, out).map_err(|_| mismatch())?
        }
        _ => return Err(mismatch()),
    }
    Ok(())
}

/// PostgreSQL's binary array (`array_send`) for the one-dimensional arrays
/// Turnstile has: `ndim: i32` (0 when empty), `has_nulls: i32`, the element OID,
/// then per dimension `length: i32, lower_bound: i32` (1), then each element as a
/// length word (-1 for NULL) and its binary encoding.
fn send_array(
    items: &[Value],
    element: DataType,
    lower_bound: i32,
    out: &mut BytesMut,
) -> Result<(), TypeError> {
    let len = i32::try_from(items.len())
        .map_err(|_| TypeError::Internal("an array too long to send".into()))?;
    out.put_i32(i32::from(!items.is_empty()));
    out.put_i32(i32::from(items.iter().any(Value::is_null)));
    out.put_u32(wire_type(element).oid());
    if !items.is_empty() {
        out.put_i32(len);
        out.put_i32(lower_bound);
    }
    for item in items {
        if item.is_null() {
            out.put_i32(-1);
            continue;
        }
        let start = out.len();
        out.put_i32(0);
        send(item, element, out)?;
        let written = i32::try_from(out.len() - start - 4)
            .map_err(|_| TypeError::Internal("an array element too long to send".into()))?;
        out[start..start + 4].copy_from_slice(&written.to_be_bytes());
    }
    Ok(())
}

/// Reads PostgreSQL's binary array (see [`send_array`]) of type `ty`, whose
/// elements are `element`s; only one dimension, as Turnstile's arrays have.
fn receive_array(ty: DataType, element: DataType, bytes: &[u8]) -> Result<Value, TypeError> {
    let mut r = Reader(bytes);
    // The element OID the client sent is the parameter type's, already known.
    let (ndim, _has_nulls, _element_oid) = (r.i32()?, r.i32()?, r.i32()?);
    let len = match ndim {
        0 => 0,
        1 => {
            let (len, _lower_bound) = (r.i32()?, r.i32()?);
            usize::try_from(len).map_err(|_| invalid(ty, "a negative array length"))?
        }
        _ => {
            return Err(invalid(
                ty,
                "arrays of more than one dimension are not supported",
            ))
        }
    };
    let mut items = Vec::with_capacity(len.min(r.0.len() / 4));
    for _ in 0..len {
        let size = r.i32()?;
        if size < 0 {
            items.push(Value::Null);
            continue;
        }
        let size = size as usize;
        if r.0.len() < size {
            return Err(invalid(ty, "an element is longer than the bytes sent"));
        }
        let (item, rest) = r.0.split_at(size);
        r.0 = rest;
        items.push(receive(element, item)?);
    }
    if !r.0.is_empty() {
        return Err(invalid(ty, &format!("{} bytes left over", r.0.len())));
    }
    Ok(Value::Array(items))
}

/// A `CHAR(n)` value as sent: blank-padded to `n` characters (the same bytes in
/// text and binary format).
pub fn put_padded(s: &str, ty: DataType, out: &mut BytesMut) {
    let mut text = String::with_capacity(s.len() + 8);
    text.push_str(s);
    ty.pad(&mut text, 0);
    out.put_slice(text.as_bytes());
}

/// PostgreSQL's binary numeric: `ndigits: i16, weight: i16, sign: u16, dscale: u16`,
/// then `ndigits` base-10000 digits as i16, most significant first. The value is
/// `sum(digit[i] * 10000^(weight - i))`; `dscale` is the number of decimal digits
/// after the point to display. Leading and trailing zero digits are not sent.
pub fn send_numeric(d: Decimal, out: &mut BytesMut) {
    let scale = d.scale();
    // Pad the fraction to whole base-10000 digits; the mantissa is at most 96 bits,
    // so times 1000 still fits in a u128.
    let pad = (4 - scale % 4) % 4;
    let mut m = d.mantissa().unsigned_abs() * 10u128.pow(pad);
    let frac_digits = ((scale + pad) / 4) as i32;
    let mut digits = Vec::new();
    while m > 0 {
        digits.push((m % NBASE) as i16);
        m /= NBASE;
    }
    digits.reverse();
    let weight = if digits.is_empty() {
        0
    } else {
        digits.len() as i32 - frac_digits - 1
    };
    while digits.last() == Some(&0) {
        digits.pop();
    }
    let sign = if d.is_sign_negative() && !digits.is_empty() {
        NUMERIC_NEG
    } else {
        NUMERIC_POS
    };
    out.put_i16(digits.len() as i16);
    out.put_i16(weight as i16);
    out.put_u16(sign);
    out.put_u16(scale as u16);
    for digit in digits {
        out.put_i16(digit);
    }
}

/// Decodes a binary numeric (see [`send_numeric`]). NaN and infinities are valid
/// PostgreSQL numerics that Turnstile does not store (0A000).
pub fn receive_numeric(bytes: &[u8]) -> Result<Decimal, TypeError> {
    let bad = |why: &str| TypeError::InvalidBinary {
        type_name: "numeric".into(),
        reason: why.to_owned(),
    };
    let mut r = Reader(bytes);
    let (ndigits, weight, sign, dscale) = (r.i16()?, r.i16()?, r.u16()?, r.u16()?);
    if sign != NUMERIC_POS && sign != NUMERIC_NEG {
        let what = if sign == NUMERIC_NAN {
            "numeric NaN"
        } else {
            "numeric infinity"
        };
        return Err(TypeError::Unsupported(what.into()));
    }
    if ndigits < 0 || r.0.len() != ndigits as usize * 2 {
        return Err(bad("the digit count does not match the length"));
    }
    let out_of_range = || TypeError::OutOfRange("numeric value out of range".into());
    let mut m: i128 = 0;
    for _ in 0..ndigits {
        let digit = r.i16()?;
        if !(0..10_000).contains(&digit) {
            return Err(bad("a digit is outside 0..9999"));
        }
        m = m
            .checked_mul(10_000)
            .and_then(|m| m.checked_add(i128::from(digit)))
            .ok_or_else(out_of_range)?;
    }
    // m * 10000^(weight - ndigits + 1), then brought to `dscale` decimal places.
    let mut exp10 = 4 * (i32::from(weight) - i32::from(ndigits) + 1);
    while exp10 > 0 {
        m = m.checked_mul(10).ok_or_else(out_of_range)?;
        exp10 -= 1;
    }
    let mut scale = -exp10;
    let dscale = i32::from(dscale);
    while scale > dscale {
        m /= 10;
        scale -= 1;
    }
    while scale < dscale {
        m = m.checked_mul(10).ok_or_else(out_of_range)?;
        scale += 1;
    }
    if sign == NUMERIC_NEG {
        m = -m;
    }
    Decimal::try_from_i128_with_scale(m, scale as u32).map_err(|_| out_of_range())
}

/// `bytes` as text: valid UTF-8 without NUL, which PostgreSQL's text values cannot
/// hold (22021 naming the bad bytes, as PostgreSQL's message does).
pub fn utf8(bytes: &[u8]) -> Result<&str, TypeError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| TypeError::InvalidUtf8(bad_bytes(&bytes[e.valid_up_to()..])))?;
    // A byte search (memchr), which costs less than a search for a char.
    if bytes.contains(&0) {
        return Err(TypeError::InvalidUtf8("0x00".into()));
    }
    Ok(text)
}

/// The bytes of the character starting `rest` (as many as its lead byte announces,
/// at most what there is), as PostgreSQL prints them: `0xe2 0x28 0xa1`.
pub fn bad_bytes(rest: &[u8]) -> String {
    let len = rest.first().map_or(1, |b| utf8_lead_len(*b));
    rest.iter()
        .take(len)
        .map(|b| format!("0x{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// How many bytes a UTF-8 character with lead byte `b` announces (1 for a byte
/// that cannot lead), as PostgreSQL's `pg_utf_mblen`.
pub fn utf8_lead_len(b: u8) -> usize {
    match b {
        b if b & 0xe0 == 0xc0 => 2,
        b if b & 0xf0 == 0xe0 => 3,
        b if b & 0xf8 == 0xf0 => 4,
        _ => 1,
    }
}

/// Decodes the binary encoding of a value of type `ty`.
pub fn receive(ty: DataType, bytes: &[u8]) -> Result<Value, TypeError> {
    let mut r = Reader(bytes);
    let value = match ty {
        // Any byte but 0 is true, as PostgreSQL's boolrecv reads it.
        DataType::Bool => Value::Bool(r.u8()? != 0),
        DataType::Int2 => Value::Int2(r.i16()?),
        DataType::Int4 => Value::Int4(r.i32()?),
        DataType::Int8 => Value::Int8(r.i64()?),
        DataType::Float4 => Value::Float4(f32::from_bits(r.i32()? as u32)),
        DataType::Float8 => Value::Float8(f64::from_bits(r.i64()? as u64)),
        DataType::Numeric(None) => return Ok(Value::Numeric(receive_numeric(bytes)?)),
        // numeric_recv applies the modifier, as the text input does.
        DataType::Numeric(Some(typmod)) => {
            return Ok(Value::Numeric(typmod.apply(receive_numeric(bytes)?)?))
        }
        DataType::Text | DataType::Varchar(_) | DataType::Unknown => {
            return Ok(Value::Text(utf8(bytes)?.to_owned()))
        }
        DataType::Bpchar(_) => return ty.parse_text(utf8(bytes)?),
        DataType::Bytea => return Ok(Value::Bytea(bytes.to_vec())),
        DataType::Timestamp => Value::Timestamp(checked_timestamp(r.i64()?)?),
        DataType::Timestamptz => Value::Timestamptz(checked_timestamp(r.i64()?)?),
        DataType::Date => Value::Date(checked_date(r.i32()?)?),
        DataType::Uuid => {
            let uuid: [u8; 16] = bytes
                .try_into()
                .map_err(|_| invalid(ty, "a uuid is 16 bytes"))?;
            return Ok(Value::Uuid(uuid));
        }
        DataType::Jsonb => return receive_jsonb(bytes),
        DataType::Json => return ty.parse_text(utf8(bytes)?),
        // interval_recv: microseconds, days, months.
        DataType::Interval => {
            let micros = r.i64()?;
            let days = r.i32()?;
            let months = r.i32()?;
            Value::Interval(Interval {
                months,
                days,
                micros,
            })
        }
        DataType::Oid(_) => Value::Int8(i64::from(r.i32()? as u32)),
        DataType::Name | DataType::InternalChar => return Ok(Value::Text(utf8(bytes)?.to_owned())),
        // void_recv reads nothing: anything left over is refused below.
        DataType::Void => Value::Text(String::new()),
        DataType::Array(element) | DataType::Vector(element) => {
            return receive_array(ty, *element, bytes)
        }
    };
    if !r.0.is_empty() {
        return Err(invalid(ty, &format!("{} bytes left over", r.0.len())));
    }
    Ok(value)
}

fn receive_jsonb(bytes: &[u8]) -> Result<Value, TypeError> {
    match bytes.split_first() {
        Some((&JSONB_VERSION, text)) => {
            let text = utf8(text)?;
            Ok(DataType::Jsonb.parse_text(text)?)
        }
        Some((version, _)) => Err(invalid(
            DataType::Jsonb,
            &format!("unsupported jsonb version number {version}"),
        )),
        None => Err(invalid(DataType::Jsonb, "empty")),
    }
}

fn invalid(ty: DataType, reason: &str) -> TypeError {
    TypeError::InvalidBinary {
        type_name: ty.to_string(),
        reason: reason.to_owned(),
    }
}

/// Reads big-endian integers off the front of a slice, failing instead of panicking
/// when the client sent too few bytes.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], TypeError> {
        if self.0.len() < N {
            return Err(TypeError::InvalidBinary {
                type_name: format!("{N}-byte field"),
                reason: format!("only {} bytes were sent", self.0.len()),
            });
        }
        let (head, rest) = self.0.split_at(N);
        self.0 = rest;
        // split_at(N) returned exactly N bytes.
        Ok(head.try_into().expect("slice of length N"))
    }
    fn u8(&mut self) -> Result<u8, TypeError> {
        Ok(self.take::<1>()?[0])
    }
    fn i16(&mut self) -> Result<i16, TypeError> {
        Ok(i16::from_be_bytes(self.take()?))
    }
    fn u16(&mut self) -> Result<u16, TypeError> {
        Ok(u16::from_be_bytes(self.take()?))
    }
    fn i32(&mut self) -> Result<i32, TypeError> {
        Ok(i32::from_be_bytes(self.take()?))
    }
    fn i64(&mut self) -> Result<i64, TypeError> {
        Ok(i64::from_be_bytes(self.take()?))
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn roundtrip(value: Value, ty: DataType) {
        let mut buf = BytesMut::new();
        send(&value, ty, &mut buf).unwrap();
        let back = receive(ty, &buf).unwrap();
        assert_eq!(back, value, "{ty}: {value:?} -> {buf:?} -> {back:?}");
        assert_eq!(back.data_type(), value.data_type(), "{ty}");
    }

    /// Arrays in PostgreSQL's binary layout: `int4[]` {1, NULL} is ndim 1,
    /// has_nulls 1, OID 23, length 2, lower bound 1, then (4, 1) and (-1).
    #[test]
    fn binary_arrays() {
        let ty = DataType::Array(&DataType::Int4);
        let value = Value::Array(vec![Value::Int4(1), Value::Null]);
        let mut buf = BytesMut::new();
        send(&value, ty, &mut buf).unwrap();
        let expected: Vec<u8> = [1, 1, 23, 2, 1, 4, 1, -1]
            .iter()
            .flat_map(|w: &i32| w.to_be_bytes())
            .collect();
        assert_eq!(&buf[..], &expected[..]);
        assert_eq!(receive(ty, &buf).unwrap(), value);
        let texts = DataType::Array(&DataType::Text);
        let value = Value::Array(vec![Value::Text("a".into()), Value::Text("".into())]);
        let mut buf = BytesMut::new();
        send(&value, texts, &mut buf).unwrap();
        assert_eq!(receive(texts, &buf).unwrap(), value);
        let mut empty = BytesMut::new();
        send(&Value::Array(Vec::new()), texts, &mut empty).unwrap();
        assert_eq!(&empty[..], &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 25]);
        assert_eq!(receive(texts, &empty).unwrap(), Value::Array(Vec::new()));
        // Two dimensions, and an element longer than what was sent, are refused.
        let two_dims: Vec<u8> = [2, 0, 23]
            .iter()
            .flat_map(|w: &i32| w.to_be_bytes())
            .collect();
        assert!(receive(ty, &two_dims).is_err());
        let short: Vec<u8> = [1, 0, 23, 1, 1, 4]
            .iter()
            .flat_map(|w: &i32| w.to_be_bytes())
            .collect();
        assert!(receive(ty, &short).is_err());
    }

    /// Every type's binary encoding decodes back to the same value, edge values too.
    #[test]
    fn binary_roundtrip_every_type() {
        roundtrip(Value::Bool(true), DataType::Bool);
        roundtrip(Value::Bool(false), DataType::Bool);
        for v in [i16::MIN, -1, 0, i16::MAX] {
            roundtrip(Value::Int2(v), DataType::Int2);
        }
        for v in [i32::MIN, 0, i32::MAX] {
            roundtrip(Value::Int4(v), DataType::Int4);
        }
        for v in [i64::MIN, -1, 0, i64::MAX] {
            roundtrip(Value::Int8(v), DataType::Int8);
        }
        for v in [
            0.0f32,
            -1.5,
            f32::MIN_POSITIVE,
            f32::MAX,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
        ] {
            roundtrip(Value::Float4(v), DataType::Float4);
        }
        for v in [
            0.0f64,
            1e-300,
            -2.5e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ] {
            roundtrip(Value::Float8(v), DataType::Float8);
        }
        for t in ["", "héllo wörld ✓"] {
            roundtrip(Value::Text(t.into()), DataType::Text);
            roundtrip(Value::Text(t.into()), DataType::Varchar(Some(20)));
        }
        // PostgreSQL text cannot hold a NUL; textrecv refuses it with 22021.
        let err = receive(DataType::Text, b"a\0b").unwrap_err();
        assert_eq!(err, TypeError::InvalidUtf8("0x00".into()));
        roundtrip(Value::Bytea(vec![]), DataType::Bytea);
        roundtrip(Value::Bytea(vec![0, 1, 0, 255]), DataType::Bytea);
        for us in [i64::MIN, -1, 0, 1_700_000_000_000_000, i64::MAX] {
            roundtrip(Value::Timestamp(us), DataType::Timestamp);
            roundtrip(Value::Timestamptz(us), DataType::Timestamptz);
        }
        for d in [i32::MIN, -730_000, 0, 9000, i32::MAX] {
            roundtrip(Value::Date(d), DataType::Date);
        }
        roundtrip(Value::Uuid(*b"0123456789abcdef"), DataType::Uuid);
        roundtrip(
            Value::Interval(Interval {
                months: -14,
                days: 3,
                micros: -1,
            }),
            DataType::Interval,
        );
        roundtrip(
            Value::Jsonb(r#"{"a": [1, 2, null]}"#.into()),
            DataType::Jsonb,
        );
        // json's binary form is its text, kept as written.
        roundtrip(
            Value::Json(r#" {"b":1,  "a": [1, 2, null], "b": 2} "#.into()),
            DataType::Json,
        );
    }

    /// Numerics keep value and scale through PostgreSQL's base-10000 format.
    #[test]
    fn numeric_roundtrip_keeps_scale() {
        for text in [
            "0",
            "0.00",
            "1",
            "-1",
            "10000",
            "12345.678",
            "-0.0001",
            "0.00000001",
            "1.50",
            "100.0000",
            "79228162514264337593543950335",
            "-7.9228162514264337593543950335",
            "0.0000000000000000000000000001",
        ] {
            let d = Decimal::from_str(text).unwrap();
            let mut buf = BytesMut::new();
            send_numeric(d, &mut buf);
            let back = receive_numeric(&buf).unwrap();
            assert_eq!(back.to_string(), d.to_string(), "{text}");
        }
    }

    /// The exact bytes PostgreSQL sends for 12345.678 (`numeric_send`).
    #[test]
    fn numeric_matches_postgres_bytes() {
        let mut buf = BytesMut::new();
        send_numeric(Decimal::from_str("12345.678").unwrap(), &mut buf);
        // ndigits 3, weight 1, sign +, dscale 3, digits 1 2345 6780
        assert_eq!(
            &buf[..],
            &[0, 3, 0, 1, 0, 0, 0, 3, 0, 1, 0x09, 0x29, 0x1a, 0x7c]
        );
    }

    /// Integers are sent at the column's width, whatever width the value has.
    #[test]
    fn integers_take_the_column_width() {
        let mut buf = BytesMut::new();
        send(&Value::Int4(7), DataType::Int8, &mut buf).unwrap();
        assert_eq!(&buf[..], &7i64.to_be_bytes());
        assert!(send(&Value::Int8(1 << 40), DataType::Int4, &mut BytesMut::new()).is_err());
    }

    /// Short, long or out-of-domain binary input is an error, never a panic.
    #[test]
    fn malformed_binary_is_an_error() {
        assert!(receive(DataType::Int4, &[0, 1]).is_err());
        assert!(receive(DataType::Int2, &[0, 1, 2]).is_err());
        assert!(receive(DataType::Bool, &[]).is_err());
        assert_eq!(
            receive(DataType::Bool, &[2]).unwrap(),
            Value::Bool(true),
            "boolrecv: any byte but 0 is true"
        );
        assert!(receive(DataType::Uuid, &[1; 15]).is_err());
        assert!(receive(DataType::Text, &[0xff, 0xfe]).is_err());
        assert!(receive(DataType::Jsonb, &[2, b'1']).is_err());
        assert!(receive(DataType::Numeric(None), &[0, 1, 0, 0, 0, 0, 0, 0]).is_err());
        assert!(receive_numeric(&[0, 0, 0, 0, 0xC0, 0, 0, 0]).is_err());
    }
}
