//! The json type: JSON kept as its input text.
//!
//! PostgreSQL's json checks that its input is JSON and then keeps the text byte
//! for byte: whitespace, key order, repeated keys, numbers and escapes as
//! written. A `Value::Json` holds that text, checked once on input
//! (`json::check_json`). What reads inside a document (the
//! operators `->` and `->>`, the functions that take one apart) walks the text
//! here and answers with slices of it, so a value taken out of a document is
//! the text it had there (inner whitespace kept, the whitespace around it not),
//! as in PostgreSQL. Of a repeated key, the last is the one that counts.
//!
//! The walk trusts the text to be JSON, which every `Value::Json` is: it
//! finds where each value ends without checking it again.

use super::json::{check_json, check_json_strings, parse_json, write_json_string, Json};
use super::jsonb_ops;
use super::text::TextStyle;
use super::{TypeError, Value};

/// What a JSON value is, by its first character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonKind {
    Object,
    Array,
    String,
    Number,
    Boolean,
    Null,
}

impl JsonKind {
    /// The name `json_typeof` gives it.
    pub fn name(self) -> &'static str {
        match self {
            JsonKind::Object => "object",
            JsonKind::Array => "array",
            JsonKind::String => "string",
            JsonKind::Number => "number",
            JsonKind::Boolean => "boolean",
            JsonKind::Null => "null",
        }
    }
}

/// The kind of the JSON value `text` holds.
pub fn kind(text: &str) -> JsonKind {
    match text.trim_start().as_bytes().first() {
        Some(b'{') => JsonKind::Object,
        Some(b'[') => JsonKind::Array,
        Some(b'"') => JsonKind::String,
        Some(b't' | b'f') => JsonKind::Boolean,
        Some(b'n') => JsonKind::Null,
        _ => JsonKind::Number,
    }
}

/// The value without the whitespace around it.
pub fn trimmed(text: &str) -> &str {
    text.trim_matches(is_json_space)
}

fn is_json_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// The elements of an array, each as its text; None if `text` is not an array.
pub fn elements(text: &str) -> Option<Vec<&str>> {
    let body = container_body(text, b'[')?;
    Some(items(body).collect())
}

/// The members of an object in the order written, repeated keys included, each
/// key decoded and each value as its text; None if `text` is not an object.
/// 22P05 for a key holding `\u0000`.
pub fn members(text: &str) -> Result<Option<Vec<(String, &str)>>, TypeError> {
    let Some(body) = container_body(text, b'{') else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for member in items(body) {
        let key_end = value_end(member.as_bytes(), 0);
        let key = decode_string(&member[..key_end])?;
        let value = member[key_end..].trim_start_matches(is_json_space);
        let value = value.strip_prefix(':').unwrap_or(value);
        out.push((key, trimmed(value)));
    }
    Ok(Some(out))
}

/// `text -> key`: the value of the last member named `key`, if `text` is an
/// object that has one.
pub fn field<'a>(text: &'a str, key: &str) -> Result<Option<&'a str>, TypeError> {
    Ok(members(text)?.and_then(|members| {
        members
            .into_iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }))
}

/// `text -> index`: the element at `index` (from the end if negative), if
/// `text` is an array that has one.
pub fn element(text: &str, index: i64) -> Option<&str> {
    let elements = elements(text)?;
    let position = if index < 0 {
        elements
            .len()
            .checked_sub(usize::try_from(index.unsigned_abs()).ok()?)?
    } else {
        usize::try_from(index).ok()?
    };
    elements.get(position).copied()
}

/// `json -> step` (a key or an index), or with `as_text` `json ->> step`.
pub fn field_op(document: &str, step: &Value, as_text: bool) -> Result<Value, TypeError> {
    check_json_strings(document)?;
    let found = match step {
        Value::Text(key) => field(document, key)?,
        Value::Int2(_) | Value::Int4(_) | Value::Int8(_) => {
            element(document, step.as_i64().unwrap_or_default())
        }
        _ => None,
    };
    output(found, as_text)
}

/// `json #> path` (a text array of keys and indexes), or with `as_text`
/// `json #>> path`; an empty path is the whole document.
pub fn path_op(document: &str, path: &Value, as_text: bool) -> Result<Value, TypeError> {
    let Value::Array(steps) = path else {
        return Ok(Value::Null);
    };
    let mut keys = Vec::with_capacity(steps.len());
    for step in steps {
        let Value::Text(key) = step else {
            return Ok(Value::Null);
        };
        keys.push(key.as_str());
    }
    check_json_strings(document)?;
    output(find_path(trimmed(document), &keys)?, as_text)
}

/// The value at `path` below `value`. Of repeated keys, the last along which
/// the whole path is found counts, as PostgreSQL's walk of the document keeps
/// its last match. An array step is an integer, blanks allowed before it
/// (PostgreSQL reads it with strtol), nothing after.
fn find_path<'a>(value: &'a str, path: &[&str]) -> Result<Option<&'a str>, TypeError> {
    let Some((step, rest)) = path.split_first() else {
        return Ok(Some(value));
    };
    match kind(value) {
        JsonKind::Object => {
            for (key, member) in members(value)?.unwrap_or_default().into_iter().rev() {
                if key == *step {
                    if let Some(found) = find_path(member, rest)? {
                        return Ok(Some(found));
                    }
                }
            }
            Ok(None)
        }
        JsonKind::Array => match step.trim_start().parse::<i64>() {
            Ok(index) => match element(value, index) {
                Some(found) => find_path(found, rest),
                None => Ok(None),
            },
            Err(_) => Ok(None),
        },
        _ => Ok(None),
    }
}

/// Writes `value` as json's functions embed it (PostgreSQL's `datum_to_json`):
/// json as written, jsonb as its text, an array compactly (`[1,2,null]`), a
/// number as its output text when that is a JSON number (`1e+20`; `NaN` is
/// quoted), anything else as `to_jsonb` writes it (strings quoted, timestamps
/// in ISO 8601).
pub fn write_value(out: &mut String, value: &Value, style: TextStyle<'_>) -> Result<(), TypeError> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Json(text) | Value::Jsonb(text) => out.push_str(text),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item, style)?;
            }
            out.push(']');
        }
        _ if value.data_type().is_numeric() => {
            let mut text = String::new();
            value.write_text(&mut text, style);
            if check_json(&text).is_ok() {
                out.push_str(&text);
            } else {
                write_json_string(out, &text);
            }
        }
        _ => jsonb_ops::to_json(value, style)?.write(out),
    }
    Ok(())
}

/// `to_json(value)`.
pub fn to_json(value: &Value, style: TextStyle<'_>) -> Result<Value, TypeError> {
    let mut out = String::new();
    write_value(&mut out, value, style)?;
    Ok(Value::Json(out))
}

/// `json_build_array(values…)`: `[1, "a", null]`.
pub fn build_array(values: &[Value], style: TextStyle<'_>) -> Result<Value, TypeError> {
    let mut out = String::from("[");
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_value(&mut out, value, style)?;
    }
    out.push(']');
    Ok(Value::Json(out))
}

/// `json_build_object(key, value, …)`: `{"a" : 1, "b" : 2}`, repeated keys
/// kept; 22023 for an odd number of arguments, a NULL key or one that is not
/// a scalar.
pub fn build_object(values: &[Value], style: TextStyle<'_>) -> Result<Value, TypeError> {
    if !values.len().is_multiple_of(2) {
        return Err(TypeError::InvalidParameterValue(
            "argument list must have even number of elements".into(),
        ));
    }
    let mut out = String::from("{");
    for (i, pair) in values.chunks(2).enumerate() {
        if pair[0].is_null() {
            return Err(TypeError::InvalidParameterValue(format!(
                "argument {} cannot be null",
                2 * i + 1
            )));
        }
        if i > 0 {
            out.push_str(", ");
        }
        write_member(&mut out, &pair[0], &pair[1], style)?;
    }
    out.push('}');
    Ok(Value::Json(out))
}

/// `"key" : value`, the key written as text.
fn write_member(
    out: &mut String,
    key: &Value,
    value: &Value,
    style: TextStyle<'_>,
) -> Result<(), TypeError> {
    let key = match key {
        Value::Array(_) | Value::Json(_) | Value::Jsonb(_) => {
            return Err(TypeError::InvalidParameterValue(
                "key value must be scalar, not array, composite, or json".into(),
            ))
        }
        Value::Text(text) => text.clone(),
        other => {
            let mut text = String::new();
            write_value(&mut text, other, style)?;
            to_text(&text)?.unwrap_or_default()
        }
    };
    write_json_string(out, &key);
    out.push_str(" : ");
    write_value(out, value, style)
}

/// A whole row (`row_to_json(t)`): `pairs` holds each column's name and then
/// its value; written compactly, as PostgreSQL writes composites:
/// `{"id":1,"name":"ann"}`.
pub fn row(pairs: &[Value], style: TextStyle<'_>) -> Result<Value, TypeError> {
    let mut out = String::from("{");
    for (i, pair) in pairs.chunks(2).enumerate() {
        if i > 0 {
            out.push(',');
        }
        let Value::Text(name) = &pair[0] else {
            unreachable!("the binder names every column");
        };
        write_json_string(&mut out, name);
        out.push(':');
        write_value(&mut out, &pair[1], style)?;
    }
    out.push('}');
    Ok(Value::Json(out))
}

/// `json_object(pairs)` (a text array of keys and values, one after the
/// other) or `json_object(keys, values)`: `{"a" : "1", "b" : null}`, every
/// value a string or null. 2202E for an odd number of elements or arrays of
/// different lengths, 22004 for a NULL key.
pub fn object(keys: &Value, values: Option<&Value>) -> Result<Value, TypeError> {
    let items = |array: &Value| match array {
        Value::Array(items) => items.clone(),
        _ => Vec::new(),
    };
    let keys = items(keys);
    let pairs: Vec<(Value, Value)> = match values {
        None => {
            if !keys.len().is_multiple_of(2) {
                return Err(TypeError::SubscriptOutOfRange(
                    "array must have even number of elements".into(),
                ));
            }
            keys.chunks(2)
                .map(|pair| (pair[0].clone(), pair[1].clone()))
                .collect()
        }
        Some(values) => {
            let values = items(values);
            if values.len() != keys.len() {
                return Err(TypeError::SubscriptOutOfRange(
                    "mismatched array dimensions".into(),
                ));
            }
            keys.into_iter().zip(values).collect()
        }
    };
    let mut out = String::from("{");
    for (i, (key, value)) in pairs.iter().enumerate() {
        let Value::Text(key) = key else {
            return Err(TypeError::NullValueNotAllowed(
                "null value not allowed for object key".into(),
            ));
        };
        if i > 0 {
            out.push_str(", ");
        }
        write_json_string(&mut out, key);
        out.push_str(" : ");
        match value {
            Value::Text(value) => write_json_string(&mut out, value),
            _ => out.push_str("null"),
        }
    }
    out.push('}');
    Ok(Value::Json(out))
}

/// `json_agg(x)` of `values` in order: `[1, 2, 3]`, with a line break before
/// each element after the first that is an array or (`rows`) a whole row, as
/// PostgreSQL writes them (the aggregate answers NULL itself when it saw no rows).
pub fn agg(values: &[Value], rows: bool, style: TextStyle<'_>) -> Result<Value, TypeError> {
    let mut out = String::from("[");
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            out.push_str(if rows || matches!(value, Value::Array(_)) {
                ", \n "
            } else {
                ", "
            });
        }
        write_value(&mut out, value, style)?;
    }
    out.push(']');
    Ok(Value::Json(out))
}

/// `json_object_agg(key, value)` of `pairs` in order: `{ "a" : 1, "b" : 2 }`,
/// repeated keys kept. `pairs` holds each key followed by its value; the
/// aggregate has refused a NULL key (22023) as it came.
pub fn object_agg(pairs: &[Value], style: TextStyle<'_>) -> Result<Value, TypeError> {
    let mut out = String::from("{ ");
    for (i, pair) in pairs.chunks(2).enumerate() {
        let (key, value) = (&pair[0], &pair[1]);
        if i > 0 {
            out.push_str(", ");
        }
        write_member(&mut out, key, value, style)?;
    }
    out.push_str(" }");
    Ok(Value::Json(out))
}

/// `json_array_length`: 22023 for anything but an array.
pub fn array_length(document: &str) -> Result<i32, TypeError> {
    match elements(document) {
        Some(items) => Ok(i32::try_from(items.len()).unwrap_or(i32::MAX)),
        None => Err(not_an_array("cannot get array length of", document)),
    }
}

/// 22023 naming what the document is instead of an array: `{what} a
/// non-array` for an object, `{what} a scalar` otherwise.
fn not_an_array(what: &str, document: &str) -> TypeError {
    let is = if kind(document) == JsonKind::Object {
        "a non-array"
    } else {
        "a scalar"
    };
    TypeError::InvalidParameterValue(format!("{what} {is}"))
}

/// The elements of an array as an array of json or (`as_text`) of text, for
/// `json_array_elements[_text]`; 22023 for an object or a scalar.
pub fn elements_array(document: &str, as_text: bool) -> Result<Value, TypeError> {
    let Some(items) = elements(document) else {
        let function = if as_text {
            "json_array_elements_text"
        } else {
            "json_array_elements"
        };
        return Err(not_an_array(
            &format!("cannot call {function} on"),
            document,
        ));
    };
    let items = items
        .into_iter()
        .map(|item| output(Some(item), as_text))
        .collect::<Result<_, _>>()?;
    Ok(Value::Array(items))
}

/// The members of an object in the order written as an array of `[key,
/// value]` arrays (the value json, or `as_text` as `->>` gives it), for
/// `json_each[_text]`; 22023 for anything but an object.
pub fn each(document: &str, as_text: bool) -> Result<Value, TypeError> {
    check_json_strings(document)?;
    let Some(members) = members(document)? else {
        return Err(TypeError::InvalidParameterValue(
            if kind(document) == JsonKind::Array {
                "cannot deconstruct an array as an object"
            } else {
                "cannot deconstruct a scalar"
            }
            .into(),
        ));
    };
    let rows = members
        .into_iter()
        .map(|(key, value)| {
            Ok(Value::Array(vec![
                Value::Text(key),
                output(Some(value), as_text)?,
            ]))
        })
        .collect::<Result<_, TypeError>>()?;
    Ok(Value::Array(rows))
}

/// The keys of an object in the order written, repeated ones included, as a
/// text array, for `json_object_keys`; 22023 for an array or a scalar.
pub fn object_keys(document: &str) -> Result<Value, TypeError> {
    check_json_strings(document)?;
    let Some(members) = members(document)? else {
        let is = if kind(document) == JsonKind::Array {
            "an array"
        } else {
            "a scalar"
        };
        return Err(TypeError::InvalidParameterValue(format!(
            "cannot call json_object_keys on {is}"
        )));
    };
    Ok(Value::Array(
        members
            .into_iter()
            .map(|(key, _)| Value::Text(key))
            .collect(),
    ))
}

/// `json_strip_nulls`: the document without the object members whose value
/// is null, at any depth, written compactly as PostgreSQL does (`{"a":1}`).
pub fn strip_nulls(document: &str) -> Result<Value, TypeError> {
    fn write(out: &mut String, value: &str) -> Result<(), TypeError> {
        if let Some(members) = members(value)? {
            out.push('{');
            let kept = members.iter().filter(|(_, v)| kind(v) != JsonKind::Null);
            for (i, (key, member)) in kept.enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(out, key);
                out.push(':');
                write(out, member)?;
            }
            out.push('}');
        } else if let Some(items) = elements(value) {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(out, item)?;
            }
            out.push(']');
        } else if kind(value) == JsonKind::String {
            // Strings are written again from their decoded text, as
            // PostgreSQL's json_strip_nulls does (`"\u00e9"` becomes `"é"`).
            write_json_string(out, &decode_string(trimmed(value))?);
        } else {
            out.push_str(trimmed(value));
        }
        Ok(())
    }
    let mut out = String::new();
    write(&mut out, document)?;
    Ok(Value::Json(out))
}

/// A found value as `->` gives it (json), or `->>` (text); NULL if none.
fn output(found: Option<&str>, as_text: bool) -> Result<Value, TypeError> {
    let Some(found) = found else {
        return Ok(Value::Null);
    };
    Ok(if as_text {
        to_text(found)?.map_or(Value::Null, Value::Text)
    } else {
        Value::Json(found.to_owned())
    })
}

/// The value as `->>` gives it: a string decoded, `null` as SQL NULL, anything
/// else its text.
pub fn to_text(value: &str) -> Result<Option<String>, TypeError> {
    let value = trimmed(value);
    Ok(match kind(value) {
        JsonKind::String => Some(decode_string(value)?),
        JsonKind::Null => None,
        _ => Some(value.to_owned()),
    })
}

/// A JSON string literal's contents, escapes decoded (22P05 for `\u0000`, 22P02
/// for a lone surrogate, as PostgreSQL answers when it decodes one).
fn decode_string(literal: &str) -> Result<String, TypeError> {
    match parse_json(literal)? {
        Json::String(s) => Ok(s),
        other => unreachable!("a string literal parses as a string: {other:?}"),
    }
}

/// The text between a container's brackets, if `text` is that container.
fn container_body(text: &str, open: u8) -> Option<&str> {
    let text = trimmed(text);
    if text.as_bytes().first() != Some(&open) {
        return None;
    }
    Some(&text[1..text.len() - 1])
}

/// The comma-separated items of a container's body, each trimmed.
fn items(body: &str) -> impl Iterator<Item = &str> {
    let bytes = body.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < bytes.len() && matches!(bytes[at], b' ' | b'\t' | b'\n' | b'\r') {
            at += 1;
        }
        if at >= bytes.len() {
            return None;
        }
        let start = at;
        // An item ends at the first comma outside any string or container.
        let mut depth = 0usize;
        while at < bytes.len() {
            match bytes[at] {
                b'"' => {
                    at = value_end(bytes, at);
                    continue;
                }
                b'[' | b'{' => depth += 1,
                b']' | b'}' => depth -= 1,
                b',' if depth == 0 => break,
                _ => {}
            }
            at += 1;
        }
        let item = &body[start..at];
        at += 1;
        Some(trimmed(item))
    })
}

/// Where the value starting at `start` ends: past a string's closing quote, a
/// container's closing bracket, or a scalar's last character.
fn value_end(bytes: &[u8], start: usize) -> usize {
    let mut at = start;
    match bytes[at] {
        b'"' => {
            at += 1;
            while bytes[at] != b'"' {
                at += if bytes[at] == b'\\' { 2 } else { 1 };
            }
            at + 1
        }
        b'[' | b'{' => {
            let mut depth = 0usize;
            loop {
                match bytes[at] {
                    b'"' => {
                        at = value_end(bytes, at);
                        continue;
                    }
                    b'[' | b'{' => depth += 1,
                    b']' | b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            return at + 1;
                        }
                    }
                    _ => {}
                }
                at += 1;
            }
        }
        _ => {
            while at < bytes.len()
                && !matches!(bytes[at], b',' | b']' | b'}' | b':')
                && !matches!(bytes[at], b' ' | b'\t' | b'\n' | b'\r')
            {
                at += 1;
            }
            at
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#" { "a" : [1,  2, {"x": "]"}] , "b":"s\"q", "a": {"c" : null} } "#;

    /// Values come out as the text they had, the last repeated key counting.
    #[test]
    fn walks_the_text_as_written() {
        let found = members(DOC).unwrap().unwrap();
        let keys: Vec<&str> = found.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["a", "b", "a"]);
        assert_eq!(found[0].1, r#"[1,  2, {"x": "]"}]"#);
        assert_eq!(field(DOC, "a").unwrap(), Some(r#"{"c" : null}"#));
        assert_eq!(field(DOC, "z").unwrap(), None);
        let first = found[0].1;
        assert_eq!(elements(first).unwrap(), ["1", "2", r#"{"x": "]"}"#]);
        assert_eq!(element(first, -1), Some(r#"{"x": "]"}"#));
        assert_eq!(element(first, -4), None);
        assert_eq!(element(first, 3), None);
        assert_eq!(
            to_text(field(DOC, "b").unwrap().unwrap()).unwrap(),
            Some("s\"q".into())
        );
        assert_eq!(to_text("null").unwrap(), None);
        assert_eq!(to_text(" 1e2 ").unwrap(), Some("1e2".into()));
        assert_eq!(kind(" [ ]"), JsonKind::Array);
        assert_eq!(elements("[ ]").unwrap(), Vec::<&str>::new());
        assert_eq!(members("{}").unwrap().unwrap(), vec![]);
        assert!(elements("{}").is_none());
        assert!(matches!(
            to_text(r#""\u0000""#),
            Err(TypeError::UntranslatableCharacter { .. })
        ));
    }
}
