//! jsonb's operators, as PostgreSQL defines them on its jsonb type.
//!
//! - `->` and `->>`: an object's field by key, or an array's element by index
//!   (negative indexes count from the end); `->>` gives the result as text (a
//!   string unquoted, JSON `null` as SQL NULL). A key of an array, an index of an
//!   object or of a scalar, a key or index that is not there: NULL.
//! - `#>` and `#>>`: the same along a path of keys and indexes (`text[]`); an
//!   index that is not an integer, or a NULL step, gives NULL.
//! - `?`, `?|`, `?&`: a key of an object (or a string element of an array, or a
//!   string scalar) is there; any, or all, of a `text[]` (NULL elements skipped).
//! - `@>` and `<@`: containment, PostgreSQL's `JsonbDeepContains`: every key of
//!   the contained object is in the container with a contained value; every
//!   element of the contained array is contained in some element of the
//!   container's, order and repeats ignored; scalars contain equal scalars
//!   (numbers by value: `1.0` is `1`). A top-level scalar is a one-element array
//!   that only another scalar may be contained in: `["a"] @> "a"`, but not
//!   `"a" @> ["a"]`.
//! - `||`: two objects merge (the right's keys win), two arrays concatenate, an
//!   array and anything else gets it as an element, two scalars make an array.
//! - `-`: removes a key (or the string elements equal to it), an array element
//!   by index, or each key of a `text[]`; 22023 from a scalar, or an index from an
//!   object.
//!
//! The functions: `jsonb_array_elements[_text]`, `jsonb_object_keys` and
//! `jsonb_each[_text]` (in FROM, as an unnest of the array [`elements`],
//! [`object_keys`] or [`each`] makes),
//! `jsonb_set`, `jsonb_typeof`, `jsonb_array_length`, `jsonb_strip_nulls`,
//! `jsonb_extract_path[_text]` (as `#>`/`#>>`), and `to_jsonb`,
//! `jsonb_build_object` and `jsonb_build_array`, which turn SQL values into
//! JSON as PostgreSQL does: numbers as numbers (a float's or numeric's NaN and
//! infinities, which JSON cannot hold, as strings), booleans, text, arrays as
//! arrays, dates and timestamps as ISO 8601 strings (`2024-01-02T03:04:05`,
//! `…+01:00` with a zone), anything else as a string of its text.
//!
//! The documents are `Value::Jsonb`'s normalized text, parsed for each call: no
//! index serves these operators, so a query filtering on them scans.

use std::cmp::Ordering;

use super::json::{normalize_jsonb, parse_json, Json};
use super::jsonb_order::compare_json;
use super::text::TextStyle;
use super::{DataType, TypeError, Value};

/// `jsonb -> key_or_index`, or with `as_text` `jsonb ->> key_or_index`. A
/// top-level scalar is a one-element array here, as in PostgreSQL: index 0
/// (or -1) is the scalar itself.
pub fn field(document: &str, step: &Value, as_text: bool) -> Result<Value, TypeError> {
    let json = parse_json(document)?;
    let found = match (&json, position(1, step)) {
        (scalar, Some(0)) if is_scalar(scalar) => Some(scalar),
        _ => step_into(&json, step),
    };
    Ok(output(found, as_text))
}

/// `jsonb #> path`, or with `as_text` `jsonb #>> path`.
pub fn path(document: &str, path: &[Value], as_text: bool) -> Result<Value, TypeError> {
    let json = parse_json(document)?;
    let mut at = Some(&json);
    for step in path {
        let Value::Text(key) = step else {
            return Ok(Value::Null);
        };
        at = at.and_then(|j| match j {
            Json::Object(_) => step_into(j, step),
            // An index may have blanks before it (PostgreSQL reads it with
            // strtol), nothing after.
            Json::Array(_) => key
                .trim_start()
                .parse::<i64>()
                .ok()
                .and_then(|i| step_into(j, &Value::Int8(i))),
            _ => None,
        });
    }
    Ok(output(at, as_text))
}

/// `jsonb ? key`: an object's key, an array's string element, or a string
/// scalar equal to `key`.
pub fn has_key(document: &str, key: &str) -> Result<bool, TypeError> {
    Ok(exists(&parse_json(document)?, key))
}

/// `jsonb ?| keys` (`all` false) and `jsonb ?& keys` (`all` true); NULL keys
/// are skipped.
pub fn has_keys(document: &str, keys: &[Value], all: bool) -> Result<bool, TypeError> {
    let json = parse_json(document)?;
    let mut keys = keys.iter().filter_map(|k| match k {
        Value::Text(k) => Some(k.as_str()),
        _ => None,
    });
    Ok(if all {
        keys.all(|k| exists(&json, k))
    } else {
        keys.any(|k| exists(&json, k))
    })
}

/// `container @> contained`.
pub fn contains(container: &str, contained: &str) -> Result<bool, TypeError> {
    let (container, contained) = (parse_json(container)?, parse_json(contained)?);
    Ok(match (&container, &contained) {
        // A top-level scalar is a one-element array that holds only scalars.
        (Json::Array(items), scalar) if is_scalar(scalar) => {
            items.iter().any(|item| same_scalar(item, scalar))
        }
        (scalar, Json::Array(_)) if is_scalar(scalar) => false,
        _ => deep_contains(&container, &contained),
    })
}

/// `left || right`.
pub fn concat(left: &str, right: &str) -> Result<Value, TypeError> {
    let joined = match (parse_json(left)?, parse_json(right)?) {
        (Json::Object(mut members), Json::Object(more)) => {
            for (key, value) in more {
                match members.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, v)) => *v = value,
                    None => members.push((key, value)),
                }
            }
            Json::Object(members)
        }
        (Json::Array(mut items), Json::Array(more)) => {
            items.extend(more);
            Json::Array(items)
        }
        (Json::Array(mut items), other) => {
            items.push(other);
            Json::Array(items)
        }
        (other, Json::Array(items)) => Json::Array(std::iter::once(other).chain(items).collect()),
        (a, b) => Json::Array(vec![a, b]),
    };
    document(&joined)
}

/// `jsonb - key` (text), `jsonb - index` (an integer) or `jsonb - keys`
/// (text[]).
pub fn delete(document_text: &str, what: &Value) -> Result<Value, TypeError> {
    let json = parse_json(document_text)?;
    let deleted = match (json, what) {
        (json, _) if is_scalar(&json) => {
            return Err(TypeError::InvalidParameterValue(
                "cannot delete from scalar".into(),
            ))
        }
        (Json::Object(_), Value::Int2(_) | Value::Int4(_) | Value::Int8(_)) => {
            return Err(TypeError::InvalidParameterValue(
                "cannot delete from object using integer index".into(),
            ))
        }
        (Json::Array(mut items), index @ (Value::Int2(_) | Value::Int4(_) | Value::Int8(_))) => {
            if let Some(i) = position(items.len(), index) {
                items.remove(i);
            }
            Json::Array(items)
        }
        (json, Value::Text(key)) => without_keys(json, &[key.as_str()]),
        (json, Value::Array(keys)) => {
            let keys: Vec<&str> = keys
                .iter()
                .filter_map(|k| match k {
                    Value::Text(k) => Some(k.as_str()),
                    _ => None,
                })
                .collect();
            without_keys(json, &keys)
        }
        (json, _) => json,
    };
    document(&deleted)
}

/// `jsonb_typeof`.
pub fn type_of(document: &str) -> Result<&'static str, TypeError> {
    Ok(match parse_json(document)? {
        Json::Null => "null",
        Json::Bool(_) => "boolean",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    })
}

/// `jsonb_array_length`: 22023 for anything but an array.
pub fn array_length(document: &str) -> Result<i32, TypeError> {
    match parse_json(document)? {
        Json::Array(items) => Ok(i32::try_from(items.len()).unwrap_or(i32::MAX)),
        Json::Object(_) => Err(TypeError::InvalidParameterValue(
            "cannot get array length of a non-array".into(),
        )),
        _ => Err(TypeError::InvalidParameterValue(
            "cannot get array length of a scalar".into(),
        )),
    }
}

/// `jsonb_strip_nulls`: every object field whose value is null, at any depth
/// (array elements stay).
pub fn strip_nulls(document_text: &str) -> Result<Value, TypeError> {
    fn strip(json: Json) -> Json {
        match json {
            Json::Object(members) => Json::Object(
                members
                    .into_iter()
                    .filter(|(_, v)| *v != Json::Null)
                    .map(|(k, v)| (k, strip(v)))
                    .collect(),
            ),
            Json::Array(items) => Json::Array(items.into_iter().map(strip).collect()),
            other => other,
        }
    }
    document(&strip(parse_json(document_text)?))
}

/// `to_jsonb(value)`.
pub fn to_jsonb(value: &Value, style: TextStyle<'_>) -> Result<Value, TypeError> {
    document(&to_json(value, style)?)
}

/// `jsonb_build_array(values…)`.
pub fn build_array(values: &[Value], style: TextStyle<'_>) -> Result<Value, TypeError> {
    let items = values
        .iter()
        .map(|v| to_json(v, style))
        .collect::<Result<_, _>>()?;
    document(&Json::Array(items))
}

/// `jsonb_build_object(key, value, …)`: keys are scalars written as text,
/// never NULL; 22023 otherwise, or for an odd number of arguments.
pub fn build_object(values: &[Value], style: TextStyle<'_>) -> Result<Value, TypeError> {
    if !values.len().is_multiple_of(2) {
        return Err(TypeError::InvalidParameterValue(
            "argument list must have even number of elements".into(),
        ));
    }
    let mut members = Vec::with_capacity(values.len() / 2);
    for (i, pair) in values.chunks(2).enumerate() {
        let key = match &pair[0] {
            Value::Null => {
                return Err(TypeError::InvalidParameterValue(format!(
                    "argument {}: key must not be null",
                    2 * i + 1
                )))
            }
            Value::Array(_) | Value::Jsonb(_) | Value::Json(_) => {
                return Err(TypeError::InvalidParameterValue(
                    "key value must be scalar, not array, composite, or json".into(),
                ))
            }
            Value::Text(text) => text.clone(),
            Value::Bool(b) => b.to_string(),
            // Dates and timestamps as their JSON values write them (ISO 8601).
            other
                if matches!(
                    other.data_type(),
                    DataType::Timestamp | DataType::Timestamptz
                ) =>
            {
                match to_json(other, style)? {
                    Json::String(text) => text,
                    _ => unreachable!("a timestamp is a JSON string"),
                }
            }
            other => {
                let mut text = String::new();
                other.write_text(&mut text, style);
                text
            }
        };
        members.push((key, to_json(&pair[1], style)?));
    }
    document(&Json::Object(members))
}

/// A SQL value as JSON (see the module doc).
pub(super) fn to_json(value: &Value, style: TextStyle<'_>) -> Result<Json, TypeError> {
    let text = || {
        let mut text = String::new();
        value.write_text(&mut text, style);
        text
    };
    Ok(match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Jsonb(document) | Value::Json(document) => parse_json(document)?,
        Value::Array(items) => Json::Array(
            items
                .iter()
                .map(|v| to_json(v, style))
                .collect::<Result<_, _>>()?,
        ),
        _ => match value.data_type() {
            t if t.is_numeric() => {
                let text = text();
                match parse_json(&text) {
                    Ok(number @ Json::Number(_)) => number,
                    _ => Json::String(text),
                }
            }
            DataType::Timestamp => Json::String(text().replacen(' ', "T", 1)),
            DataType::Timestamptz => Json::String(iso_offset(&text().replacen(' ', "T", 1))),
            // Everything else as its text, as PostgreSQL's output function
            // writes it (a date is ISO 8601 already).
            _ => Json::String(text()),
        },
    })
}

/// A timestamptz's text with its zone offset as ISO 8601 writes it: `+01`
/// becomes `+01:00` (`+05:30` stays), before any ` BC`.
fn iso_offset(timestamp: &str) -> String {
    let (time, era) = match timestamp.strip_suffix(" BC") {
        Some(time) => (time, " BC"),
        None => (timestamp, ""),
    };
    match time.rfind(['+', '-']).filter(|&i| i > 10) {
        Some(sign) if time[sign + 1..].len() == 2 => format!("{time}:00{era}"),
        _ => timestamp.to_owned(),
    }
}

/// `jsonb_set(document, path, new, create)`: the value at `path` replaced by
/// `new`, or, when `create` and only the last step is missing, added (a key
/// of an object; an index past either end of an array adds at that end). A
/// missing step before the last, or a scalar on the way, leaves the document
/// as it is; 22023 for a scalar document, 22P02 for a step into an array that
/// is not an integer, 22004 for a NULL step.
pub fn set(
    document_text: &str,
    path: &[Value],
    new: &str,
    create: bool,
) -> Result<Value, TypeError> {
    let mut json = parse_json(document_text)?;
    if is_scalar(&json) {
        return Err(TypeError::InvalidParameterValue(
            "cannot set path in scalar".into(),
        ));
    }
    // PostgreSQL returns an empty document as it is when nothing may be
    // added, without reading the path.
    let empty = matches!(&json, Json::Array(items) if items.is_empty())
        || matches!(&json, Json::Object(members) if members.is_empty());
    if empty && !create {
        return Ok(Value::Jsonb(document_text.to_owned()));
    }
    set_at(&mut json, path, 0, parse_json(new)?, create)?;
    document(&json)
}

/// [`set`] from step `level` of `path` on, at `json`.
fn set_at(
    json: &mut Json,
    path: &[Value],
    level: usize,
    new: Json,
    create: bool,
) -> Result<(), TypeError> {
    let Some(step) = path.get(level) else {
        return Ok(());
    };
    let Value::Text(key) = step else {
        return Err(TypeError::NullValueNotAllowed(format!(
            "path element at position {} is null",
            level + 1
        )));
    };
    let last = level + 1 == path.len();
    match json {
        Json::Object(members) => match members.iter_mut().find(|(k, _)| k == key) {
            Some((_, value)) if last => *value = new,
            Some((_, value)) => set_at(value, path, level + 1, new, create)?,
            None if last && create => members.push((key.clone(), new)),
            None => {}
        },
        Json::Array(items) => {
            // An int4, as PostgreSQL reads it.
            let index: i32 = key.trim_start().parse().map_err(|_| {
                TypeError::InvalidTextRepresentation(format!(
                    "path element at position {} is not an integer: \"{key}\"",
                    level + 1
                ))
            })?;
            match position(items.len(), &Value::Int4(index)) {
                Some(i) if last => items[i] = new,
                Some(i) => set_at(&mut items[i], path, level + 1, new, create)?,
                None if last && create && index < 0 => items.insert(0, new),
                None if last && create => items.push(new),
                None => {}
            }
        }
        _ => {}
    }
    Ok(())
}

/// The elements of a jsonb array, as an array of jsonb or (`as_text`) of text
/// (strings unquoted, JSON null as NULL), for `jsonb_array_elements[_text]`;
/// 22023 for an object or a scalar.
pub fn elements(document: &str, as_text: bool) -> Result<Value, TypeError> {
    match parse_json(document)? {
        Json::Array(items) => Ok(Value::Array(
            items
                .iter()
                .map(|item| output(Some(item), as_text))
                .collect(),
        )),
        Json::Object(_) => Err(TypeError::InvalidParameterValue(
            "cannot extract elements from an object".into(),
        )),
        _ => Err(TypeError::InvalidParameterValue(
            "cannot extract elements from a scalar".into(),
        )),
    }
}

/// The fields of a jsonb object, in jsonb's key order, as an array of `[key,
/// value]` arrays (the value jsonb, or `as_text` as `->>` gives it), for
/// `jsonb_each[_text]`; 22023 for anything but an object.
pub fn each(document: &str, as_text: bool) -> Result<Value, TypeError> {
    let Json::Object(members) = parse_json(document)? else {
        let function = if as_text {
            "jsonb_each_text"
        } else {
            "jsonb_each"
        };
        return Err(TypeError::InvalidParameterValue(format!(
            "cannot call {function} on a non-object"
        )));
    };
    Ok(Value::Array(
        members
            .iter()
            .map(|(key, value)| {
                Value::Array(vec![Value::Text(key.clone()), output(Some(value), as_text)])
            })
            .collect(),
    ))
}

/// The keys of a jsonb object, in jsonb's order, as a text array, for
/// `jsonb_object_keys`; 22023 for an array or a scalar.
pub fn object_keys(document: &str) -> Result<Value, TypeError> {
    match parse_json(document)? {
        Json::Object(members) => Ok(Value::Array(
            members.into_iter().map(|(k, _)| Value::Text(k)).collect(),
        )),
        Json::Array(_) => Err(TypeError::InvalidParameterValue(
            "cannot call jsonb_object_keys on an array".into(),
        )),
        _ => Err(TypeError::InvalidParameterValue(
            "cannot call jsonb_object_keys on a scalar".into(),
        )),
    }
}

fn without_keys(json: Json, keys: &[&str]) -> Json {
    match json {
        Json::Object(members) => Json::Object(
            members
                .into_iter()
                .filter(|(k, _)| !keys.contains(&k.as_str()))
                .collect(),
        ),
        Json::Array(items) => Json::Array(
            items
                .into_iter()
                .filter(|item| !matches!(item, Json::String(s) if keys.contains(&s.as_str())))
                .collect(),
        ),
        other => other,
    }
}

/// A document as a `Value::Jsonb`, in jsonb's normal form (keys sorted).
fn document(json: &Json) -> Result<Value, TypeError> {
    let mut text = String::new();
    json.write(&mut text);
    normalize_jsonb(&text).map(Value::Jsonb)
}

/// One step of `->`: a key of an object, or an index of an array.
fn step_into<'j>(json: &'j Json, step: &Value) -> Option<&'j Json> {
    match (json, step) {
        (Json::Object(members), Value::Text(key)) => {
            members.iter().find(|(k, _)| k == key).map(|(_, v)| v)
        }
        (Json::Array(items), index) => position(items.len(), index).map(|i| &items[i]),
        _ => None,
    }
}

/// The element an integer index names in an array of `len` elements
/// (negative: from the end), if there is one.
fn position(len: usize, index: &Value) -> Option<usize> {
    let index = match index {
        Value::Int2(i) => i64::from(*i),
        Value::Int4(i) => i64::from(*i),
        Value::Int8(i) => *i,
        _ => return None,
    };
    let len = i64::try_from(len).ok()?;
    let i = if index < 0 { len + index } else { index };
    usize::try_from(i).ok().filter(|_| (0..len).contains(&i))
}

/// What `->` (a jsonb) or `->>` (text) gives for what a step found.
fn output(found: Option<&Json>, as_text: bool) -> Value {
    match (found, as_text) {
        (None, _) | (Some(Json::Null), true) => Value::Null,
        (Some(Json::String(s)), true) => Value::Text(s.clone()),
        (Some(json), as_text) => {
            let mut text = String::new();
            json.write(&mut text);
            if as_text {
                Value::Text(text)
            } else {
                Value::Jsonb(text)
            }
        }
    }
}

fn exists(json: &Json, key: &str) -> bool {
    match json {
        Json::Object(members) => members.iter().any(|(k, _)| k == key),
        Json::Array(items) => items
            .iter()
            .any(|item| matches!(item, Json::String(s) if s == key)),
        Json::String(s) => s == key,
        _ => false,
    }
}

fn is_scalar(json: &Json) -> bool {
    !matches!(json, Json::Array(_) | Json::Object(_))
}

fn same_scalar(a: &Json, b: &Json) -> bool {
    is_scalar(a) && is_scalar(b) && compare_json(a, b) == Ordering::Equal
}

fn deep_contains(container: &Json, contained: &Json) -> bool {
    match (container, contained) {
        (Json::Object(have), Json::Object(want)) => want.iter().all(|(key, value)| {
            have.iter()
                .find(|(k, _)| k == key)
                .is_some_and(|(_, v)| element_contains(v, value))
        }),
        (Json::Array(have), Json::Array(want)) => want
            .iter()
            .all(|value| have.iter().any(|v| element_contains(v, value))),
        (a, b) => same_scalar(a, b),
    }
}

/// A value inside a container contains another of the same kind only.
fn element_contains(have: &Json, want: &Json) -> bool {
    match (have, want) {
        (Json::Object(_), Json::Object(_)) | (Json::Array(_), Json::Array(_)) => {
            deep_contains(have, want)
        }
        _ => same_scalar(have, want),
    }
}
