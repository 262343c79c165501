//! One-dimensional arrays, as the system catalogs and their queries use them:
//! PostgreSQL's text form (`{a,"b c",NULL}`), `= ANY(array)`, subscripts and the
//! array functions psql and drivers call.
//!
//! Arrays are values of expressions, of catalog columns and of table columns
//! (`text[]`, `bigint[]`, …; stored as `db::row` describes). Subscripts start at 1
//! and a subscript out of range is NULL, as in PostgreSQL. Multi-dimensional arrays and explicit lower bounds (`[0:1]={…}`) are
//! refused with 0A000.

use std::cmp::Ordering;

use super::ops::compare;
use super::text::TextStyle;
use super::timezone::TimeZone;
use super::{BinaryOp, DataType, TypeError, Value};

/// Appends `{a,b}`: elements in their text form, quoted where PostgreSQL's
/// `array_out` quotes them (empty, `NULL`, or holding `{},"\` or whitespace).
pub fn write_array(out: &mut String, items: &[Value], style: TextStyle<'_>) {
    out.push('{');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if item.is_null() {
            out.push_str("NULL");
            continue;
        }
        let mut text = String::new();
        item.write_text(&mut text, style);
        let quote = text.is_empty()
            || text.eq_ignore_ascii_case("null")
            || text
                .chars()
                .any(|c| matches!(c, '{' | '}' | ',' | '"' | '\\') || c.is_ascii_whitespace());
        if quote {
            out.push('"');
            for c in text.chars() {
                if matches!(c, '"' | '\\') {
                    out.push('\\');
                }
                out.push(c);
            }
            out.push('"');
        } else {
            out.push_str(&text);
        }
    }
    out.push('}');
}

/// Reads PostgreSQL's array literal `{…}` with elements of type `element`, as its
/// `array_in` reads one dimension: elements separated by commas, each quoted
/// (`"a,b"`, with `\` escaping the next character) or not (surrounding spaces
/// dropped, `\` escaping too; unquoted `NULL` is NULL). An empty element, a quote
/// or brace inside an unquoted one, or anything after the closing brace is 22P02;
/// a nested `{` (more dimensions) and explicit bounds (`[1:2]={…}`) are 0A000.
pub fn parse_array(text: &str, element: DataType, tz: &TimeZone) -> Result<Value, TypeError> {
    let invalid = |why: String| TypeError::MalformedArray {
        input: text.to_owned(),
        detail: why,
    };
    let unexpected = |c: Option<char>| match c {
        Some(c) => invalid(format!("Unexpected \"{c}\" character.")),
        None => invalid("Unexpected end of input.".to_owned()),
    };
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        return Err(TypeError::Unsupported(
            "arrays with explicit bounds ([1:2]={…})".to_owned(),
        ));
    }
    let mut chars = trimmed.chars().peekable();
    if chars.next() != Some('{') {
        return Err(invalid(
            "Array value must start with \"{\" or dimension information.".to_owned(),
        ));
    }
    let skip_spaces = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| {
        while chars.next_if(|c| c.is_ascii_whitespace()).is_some() {}
    };
    let mut items = Vec::new();
    skip_spaces(&mut chars);
    if chars.next_if_eq(&'}').is_none() {
        loop {
            skip_spaces(&mut chars);
            let (raw, may_be_null) = match chars.peek().copied() {
                Some('{') => {
                    return Err(TypeError::Unsupported(
                        "multi-dimensional arrays".to_owned(),
                    ))
                }
                Some('"') => {
                    chars.next();
                    let mut raw = String::new();
                    loop {
                        match chars.next() {
                            Some('"') => break,
                            Some('\\') => raw.push(chars.next().ok_or_else(|| unexpected(None))?),
                            Some(c) => raw.push(c),
                            None => return Err(unexpected(None)),
                        }
                    }
                    skip_spaces(&mut chars);
                    (raw, false)
                }
                Some(c @ (',' | '}')) => return Err(unexpected(Some(c))),
                None => return Err(unexpected(None)),
                Some(_) => {
                    // Trailing spaces are dropped unless escaped: `kept` is the
                    // length up to the last character that must stay.
                    let (mut raw, mut kept, mut escaped) = (String::new(), 0, false);
                    loop {
                        match chars.peek().copied() {
                            Some(',' | '}') => break,
                            Some(c @ ('"' | '{')) => return Err(unexpected(Some(c))),
                            Some('\\') => {
                                chars.next();
                                raw.push(chars.next().ok_or_else(|| unexpected(None))?);
                                kept = raw.len();
                                escaped = true;
                            }
                            Some(c) => {
                                chars.next();
                                raw.push(c);
                                if !c.is_ascii_whitespace() {
                                    kept = raw.len();
                                }
                            }
                            None => return Err(unexpected(None)),
                        }
                    }
                    raw.truncate(kept);
                    (raw, !escaped)
                }
            };
            items.push(if may_be_null && raw.eq_ignore_ascii_case("null") {
                Value::Null
            } else {
                element.parse_text_in(&raw, tz)?
            });
            match chars.next() {
                Some(',') => {}
                Some('}') => break,
                other => return Err(unexpected(other)),
            }
        }
    }
    if chars.any(|c| !c.is_ascii_whitespace()) {
        return Err(invalid("Junk after closing right brace.".to_owned()));
    }
    Ok(Value::Array(items))
}

/// The elements of an array value (NULL has none to give: the caller checks).
fn items(array: &Value) -> &[Value] {
    match array {
        Value::Array(items) => items,
        _ => &[],
    }
}

/// `left op ANY(array)` (or `ALL` when `all`), with SQL's three-valued logic: a
/// NULL comparison makes an undecided result NULL.
pub fn any_all(op: BinaryOp, left: &Value, array: &Value, all: bool) -> Result<Value, TypeError> {
    if array.is_null() {
        return Ok(Value::Null);
    }
    let mut saw_null = false;
    for item in items(array) {
        match super::eval_binary(op, left, item)? {
            Value::Bool(b) if b != all => return Ok(Value::Bool(!all)),
            Value::Bool(_) => {}
            _ => saw_null = true,
        }
    }
    Ok(if saw_null {
        Value::Null
    } else {
        Value::Bool(all)
    })
}

/// `array[i]`: 1-based; NULL out of range.
pub fn subscript(array: &Value, index: i64) -> Value {
    usize::try_from(index - 1)
        .ok()
        .and_then(|i| items(array).get(i))
        .cloned()
        .unwrap_or(Value::Null)
}

/// `array_to_string(array, separator [, null_text])`: NULL elements are skipped
/// unless `null_text` is given.
pub fn to_string(
    array: &Value,
    separator: &str,
    null_text: Option<&str>,
    style: TextStyle<'_>,
) -> Value {
    let mut parts = Vec::new();
    for item in items(array) {
        if item.is_null() {
            parts.extend(null_text.map(str::to_owned));
        } else {
            let mut text = String::new();
            item.write_text(&mut text, style);
            parts.push(text);
        }
    }
    Value::Text(parts.join(separator))
}

/// `array_position(array, value)`: the first 1-based position holding `value`
/// (NULL finds NULL, as IS NOT DISTINCT FROM), or NULL.
pub fn position(array: &Value, value: &Value) -> Result<Value, TypeError> {
    for (i, item) in items(array).iter().enumerate() {
        if not_distinct(item, value)? {
            return Ok(Value::Int4(i as i32 + 1));
        }
    }
    Ok(Value::Null)
}

/// `a IS NOT DISTINCT FROM b`: equal, or both NULL.
fn not_distinct(a: &Value, b: &Value) -> Result<bool, TypeError> {
    Ok(match (a.is_null(), b.is_null()) {
        (true, true) => true,
        (false, false) => compare(a, b)? == Ordering::Equal,
        _ => false,
    })
}

/// The number of elements of a one-dimensional `array` (Turnstile's only kind)
/// in `dimension`: None for an empty array or another dimension, where the
/// bound functions answer NULL.
fn length_in(array: &Value, dimension: i64) -> Option<i32> {
    match items(array).len() {
        n if n > 0 && dimension == 1 => i32::try_from(n).ok(),
        _ => None,
    }
}

/// `array_length(array, dimension)`.
pub fn length(array: &Value, dimension: i64) -> Value {
    length_in(array, dimension).map_or(Value::Null, Value::Int4)
}

/// `array_lower(array, dimension)` of an array whose subscripts start at
/// `first` (1; 0 for an `int2vector` or `oidvector`).
pub fn lower(array: &Value, dimension: i64, first: i8) -> Value {
    length_in(array, dimension).map_or(Value::Null, |_| Value::Int4(first.into()))
}

/// `array_upper(array, dimension)` of an array whose subscripts start at `first`.
pub fn upper(array: &Value, dimension: i64, first: i8) -> Value {
    length_in(array, dimension).map_or(Value::Null, |n| Value::Int4(n + i32::from(first) - 1))
}

/// `array_dims(array)` of an array whose subscripts start at `first`: `[1:3]`.
pub fn dims(array: &Value, first: i8) -> Value {
    length_in(array, 1).map_or(Value::Null, |n| {
        Value::Text(format!("[{first}:{}]", n + i32::from(first) - 1))
    })
}

/// `unnest(a, b, …)` in FROM: the arrays side by side as rows (each an array
/// of one element of each), as many as the longest has elements, NULL where a
/// shorter array, or a NULL one, has none.
pub fn zip(arrays: &[Value]) -> Value {
    let rows = arrays.iter().map(|a| items(a).len()).max().unwrap_or(0);
    Value::Array(
        (0..rows)
            .map(|i| {
                Value::Array(
                    arrays
                        .iter()
                        .map(|a| items(a).get(i).cloned().unwrap_or(Value::Null))
                        .collect(),
                )
            })
            .collect(),
    )
}

/// `array_cat(a, b)`: the elements of both; a NULL array counts as empty, so the
/// result is NULL only when both are.
pub fn cat(a: &Value, b: &Value) -> Value {
    if a.is_null() && b.is_null() {
        return Value::Null;
    }
    Value::Array(items(a).iter().chain(items(b)).cloned().collect())
}

/// `array_remove(array, value)`: the elements not equal to `value`; a NULL
/// `value` removes the NULLs (the comparison is IS NOT DISTINCT FROM).
pub fn remove(array: &Value, value: &Value) -> Result<Value, TypeError> {
    if array.is_null() {
        return Ok(Value::Null);
    }
    let mut kept = Vec::new();
    for item in items(array) {
        if !not_distinct(item, value)? {
            kept.push(item.clone());
        }
    }
    Ok(Value::Array(kept))
}

/// `cardinality(array)`: the number of elements.
pub fn cardinality(array: &Value) -> Value {
    Value::Int4(items(array).len() as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Text output quotes what PostgreSQL quotes, and reads back the same.
    #[test]
    fn text_round_trip() {
        let v = Value::Array(vec![
            Value::Text("a".into()),
            Value::Text("b c".into()),
            Value::Null,
            Value::Text("".into()),
            Value::Text("q\"".into()),
        ]);
        let mut out = String::new();
        write_array(&mut out, items(&v), TextStyle::from(&TimeZone::Utc));
        assert_eq!(out, r#"{a,"b c",NULL,"","q\""}"#);
        assert_eq!(
            parse_array(&out, DataType::Text, &TimeZone::Utc).unwrap(),
            v
        );
        assert_eq!(
            parse_array("{ 1 , 2 }", DataType::Int2, &TimeZone::Utc).unwrap(),
            Value::Array(vec![Value::Int2(1), Value::Int2(2)])
        );
        assert!(parse_array("1,2", DataType::Int2, &TimeZone::Utc).is_err());
    }

    /// The forms PostgreSQL's array_in reads, and what it refuses (found by
    /// review: an escaped comma split an element, a brace inside a quoted one was
    /// taken for a second dimension, empty elements and junk were accepted).
    #[test]
    fn literals_read_as_postgres_reads_them() {
        let texts = |literal: &str| {
            parse_array(literal, DataType::Text, &TimeZone::Utc).map(|v| match v {
                Value::Array(items) => items
                    .into_iter()
                    .map(|i| match i {
                        Value::Text(t) => Some(t),
                        _ => None,
                    })
                    .collect::<Vec<_>>(),
                _ => unreachable!("an array"),
            })
        };
        let some = |items: &[&str]| {
            items
                .iter()
                .map(|s| Some(s.to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(texts(r"{a\,b}").unwrap(), some(&["a,b"]));
        assert_eq!(texts(r#"{"{\"a\": 1}"}"#).unwrap(), some(&[r#"{"a": 1}"#]));
        assert_eq!(texts(r"{ a b , c\ }").unwrap(), some(&["a b", "c "]));
        assert_eq!(
            texts(r#"{NULL,"NULL",\NULL}"#).unwrap(),
            vec![None, Some("NULL".into()), Some("NULL".into())]
        );
        assert_eq!(texts(" {} ").unwrap(), Vec::<Option<String>>::new());
        for malformed in [
            "{a,}",
            "{,a}",
            r#"{a b" c"}"#,
            "{a} x",
            "{a",
            r#"{"a}"#,
            "{a{b}",
        ] {
            assert!(
                matches!(texts(malformed), Err(TypeError::MalformedArray { .. })),
                "{malformed}"
            );
        }
        assert!(matches!(texts("{{a}}"), Err(TypeError::Unsupported(_))));
        assert!(matches!(texts("[1:1]={a}"), Err(TypeError::Unsupported(_))));
    }

    /// ANY is true on a match, NULL when undecided with a NULL, false otherwise.
    #[test]
    fn any_follows_three_valued_logic() {
        let arr = Value::Array(vec![Value::Int4(1), Value::Null]);
        let any = |v| any_all(BinaryOp::Eq, &Value::Int4(v), &arr, false).unwrap();
        assert_eq!(any(1), Value::Bool(true));
        assert!(any(2).is_null());
        let empty = Value::Array(vec![]);
        assert_eq!(
            any_all(BinaryOp::Eq, &Value::Int4(1), &empty, false).unwrap(),
            Value::Bool(false)
        );
    }
}
