//! jsonb's btree order, as PostgreSQL's `compareJsonbContainers` defines it.
//!
//! Values of different kinds order Null < String < Number < Boolean < Array < Object.
//! An array with more elements is greater than one with fewer, whatever they hold;
//! likewise an object with more pairs. Equal-sized arrays compare element by element;
//! equal-sized objects compare key, value, key, value… in jsonb's storage order of
//! keys (shorter first, then bytewise), each key compared as a string. Strings
//! compare bytewise (Turnstile's one collation is "C"); numbers compare as numerics,
//! so `1.5` equals `1.50`. A top-level scalar is less than any array but the empty
//! one, as it is in PostgreSQL, which stores it as a one-element "raw scalar" array
//! (and an array with fewer elements is less). Equality follows
//! from the order, and [`canonical_jsonb`] gives a text equal for equal documents, to
//! hash by.

use std::cmp::Ordering;

use super::json::{parse_json, Json};

/// Compares two normalized jsonb texts. Both come from `Value::Jsonb`, so they
/// parse; if one somehow does not, the texts are compared instead.
pub fn compare_jsonb(a: &str, b: &str) -> Ordering {
    match (parse_json(a), parse_json(b)) {
        (Ok(a), Ok(b)) => match (&a, &b) {
            (Json::Array(items), other) if items.is_empty() && is_scalar(other) => Ordering::Less,
            (other, Json::Array(items)) if items.is_empty() && is_scalar(other) => {
                Ordering::Greater
            }
            _ => compare_json(&a, &b),
        },
        _ => a.cmp(b),
    }
}

fn is_scalar(json: &Json) -> bool {
    !matches!(json, Json::Array(_) | Json::Object(_))
}

/// A text equal for documents that compare equal: numbers without trailing
/// fractional zeros (`1.50` is `1.5`, `-0.0` is `0`).
pub fn canonical_jsonb(text: &str) -> String {
    let Ok(mut json) = parse_json(text) else {
        return text.to_owned();
    };
    canonicalize(&mut json);
    let mut out = String::with_capacity(text.len());
    json.write(&mut out);
    out
}

fn canonicalize(json: &mut Json) {
    match json {
        Json::Number(n) => {
            let (negative, int, frac) = number_parts(n);
            let sign = if negative { "-" } else { "" };
            let int = if int.is_empty() { "0" } else { int };
            *n = if frac.is_empty() {
                format!("{sign}{int}")
            } else {
                format!("{sign}{int}.{frac}")
            };
        }
        Json::Array(items) => items.iter_mut().for_each(canonicalize),
        Json::Object(members) => members.iter_mut().for_each(|(_, v)| canonicalize(v)),
        Json::Null | Json::Bool(_) | Json::String(_) => {}
    }
}

/// PostgreSQL's `jbvType` order of the kinds.
fn rank(json: &Json) -> u8 {
    match json {
        Json::Null => 0,
        Json::String(_) => 1,
        Json::Number(_) => 2,
        Json::Bool(_) => 3,
        Json::Array(_) => 4,
        Json::Object(_) => 5,
    }
}

/// jsonb's order of two documents (numbers by value).
pub(super) fn compare_json(a: &Json, b: &Json) -> Ordering {
    match (a, b) {
        (Json::Null, Json::Null) => Ordering::Equal,
        (Json::Bool(a), Json::Bool(b)) => a.cmp(b),
        (Json::String(a), Json::String(b)) => a.as_bytes().cmp(b.as_bytes()),
        (Json::Number(a), Json::Number(b)) => compare_numbers(a, b),
        (Json::Array(a), Json::Array(b)) => a.len().cmp(&b.len()).then_with(|| {
            a.iter()
                .zip(b)
                .map(|(x, y)| compare_json(x, y))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        }),
        (Json::Object(a), Json::Object(b)) => a.len().cmp(&b.len()).then_with(|| {
            a.iter()
                .zip(b)
                .map(|((ka, va), (kb, vb))| {
                    ka.as_bytes()
                        .cmp(kb.as_bytes())
                        .then_with(|| compare_json(va, vb))
                })
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        }),
        _ => rank(a).cmp(&rank(b)),
    }
}

/// The sign, the integer digits without leading zeros and the fraction digits
/// without trailing zeros of a normalized number (plain decimal text, no exponent).
fn number_parts(text: &str) -> (bool, &str, &str) {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (int, frac) = rest.split_once('.').unwrap_or((rest, ""));
    let int = int.trim_start_matches('0');
    let frac = frac.trim_end_matches('0');
    let zero = int.is_empty() && frac.is_empty();
    (negative && !zero, int, frac)
}

/// Numeric order of two decimal texts of any length.
fn compare_numbers(a: &str, b: &str) -> Ordering {
    let (a_negative, a_int, a_frac) = number_parts(a);
    let (b_negative, b_int, b_frac) = number_parts(b);
    let magnitude = a_int
        .len()
        .cmp(&b_int.len())
        .then_with(|| a_int.cmp(b_int))
        .then_with(|| a_frac.cmp(b_frac));
    match (a_negative, b_negative) {
        (false, false) => magnitude,
        (true, true) => magnitude.reverse(),
        (false, true) => Ordering::Greater,
        (true, false) => Ordering::Less,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::json::normalize_jsonb;

    fn cmp(a: &str, b: &str) -> Ordering {
        let (a, b) = (normalize_jsonb(a).unwrap(), normalize_jsonb(b).unwrap());
        compare_jsonb(&a, &b)
    }

    #[test]
    fn orders_as_postgres() {
        use Ordering::*;
        assert_eq!(cmp("10", "9"), Greater);
        assert_eq!(cmp("1.5", "1.50"), Equal);
        assert_eq!(cmp("-0.0", "0"), Equal);
        assert_eq!(cmp("-2", "-10"), Greater);
        assert_eq!(cmp("0.05", "0.1"), Less);
        assert_eq!(cmp(r#""b""#, r#""aa""#), Greater);
        assert_eq!(cmp(r#"{"b": 1}"#, r#"{"aa": 1}"#), Greater);
        assert_eq!(cmp("[]", "{}"), Less);
        assert_eq!(cmp("true", "1"), Greater);
        assert_eq!(cmp("null", r#""""#), Less);
        assert_eq!(cmp("[1, 2]", "[3]"), Greater);
        assert_eq!(cmp("{}", "[1, 2, 3]"), Greater);
        assert_eq!(cmp("[1.0, {\"a\": 2}]", "[1, {\"a\": 2.00}]"), Equal);
        assert_eq!(
            canonical_jsonb(&normalize_jsonb("[1.50, -0.0, 100]").unwrap()),
            "[1.5, 0, 100]"
        );
    }
}
