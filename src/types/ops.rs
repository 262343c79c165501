//! Operators: how PostgreSQL picks an operator's operand types, and what it computes.
//!
//! Resolution ([`binary_signature`]) copies the outcome of PostgreSQL's operator
//! lookup for the built-in operators on our types: mixed integer widths widen to the
//! wider one, integers meet numeric as numeric, anything meeting a float is float8
//! (float4 only with float4), an untyped literal takes the other side's type, `||`
//! is text when either side is text. The binder casts the operands to the signature's
//! types; evaluation ([`eval_binary`]) then has PostgreSQL's semantics: 22003 on
//! overflow instead of wrapping, 22012 on division by zero (floats included),
//! integer division truncating toward zero, `%` taking the dividend's sign, and
//! numeric division with PostgreSQL's result scale (see [`numeric_div`]).

use std::cmp::Ordering;
use std::collections::HashSet;

use rust_decimal::{Decimal, MathematicalOps, RoundingStrategy};

use super::cast::{cast_number, decimal_to_f64, int_to, out_of_range};
use super::interval::Interval;
use super::json_text;
use super::jsonb_ops;
use super::math_functions::fractional_power;
use super::numeric::value_overflows_numeric;
use super::time::{
    date_in_range, date_to_timestamp, DATE_NEG_INFINITY, DATE_POS_INFINITY, TS_POS_INFINITY,
};
use super::timezone::TimeZone;
use super::{DataType, TypeError, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    /// `^`: always float8 or numeric, as in PostgreSQL.
    Pow,
    /// Integers' bitwise `&`, `|` and `#` (xor), in their common type.
    BitAnd,
    BitOr,
    BitXor,
    /// Integers' `<<` and `>>` by an int4 count, in the left operand's type;
    /// the count is taken modulo the type's width and bits shifted out are
    /// lost, as PostgreSQL's C shifts do on the machines it runs on.
    ShiftLeft,
    ShiftRight,
    /// `||`
    Concat,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    And,
    Or,
    /// `@>`: the left array holds every element of the right one (or the left
    /// jsonb contains the right one).
    Contains,
    /// `<@`: the left array's elements are all in the right one (or the left
    /// jsonb is contained in the right one).
    ContainedBy,
    /// `&&`: the arrays have an element in common.
    Overlap,
    /// jsonb `->` (a field or element) and `->>` (the same as text).
    JsonField {
        as_text: bool,
    },
    /// jsonb `#>` and `#>>`: along a `text[]` path.
    JsonPath {
        as_text: bool,
    },
    /// jsonb `?`: the key is there.
    JsonHasKey,
    /// jsonb `?|` (`all` false) and `?&` (`all` true): of a `text[]` of keys.
    JsonHasKeys {
        all: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Neg,
    Plus,
    Not,
}

/// The operand types an operator call is evaluated at, and its result type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BinarySignature {
    pub left: DataType,
    pub right: DataType,
    pub result: DataType,
}

impl BinaryOp {
    /// The operator as written in SQL, for messages such as 42883
    /// "operator does not exist: integer || integer".
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
            BinaryOp::Pow => "^",
            BinaryOp::BitAnd => "&",
            BinaryOp::BitOr => "|",
            BinaryOp::BitXor => "#",
            BinaryOp::ShiftLeft => "<<",
            BinaryOp::ShiftRight => ">>",
            BinaryOp::Concat => "||",
            BinaryOp::Eq => "=",
            BinaryOp::NotEq => "<>",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::And => "AND",
            BinaryOp::Or => "OR",
            BinaryOp::Contains => "@>",
            BinaryOp::ContainedBy => "<@",
            BinaryOp::Overlap => "&&",
            BinaryOp::JsonField { as_text: false } => "->",
            BinaryOp::JsonField { as_text: true } => "->>",
            BinaryOp::JsonPath { as_text: false } => "#>",
            BinaryOp::JsonPath { as_text: true } => "#>>",
            BinaryOp::JsonHasKey => "?",
            BinaryOp::JsonHasKeys { all: false } => "?|",
            BinaryOp::JsonHasKeys { all: true } => "?&",
        }
    }

    pub fn is_comparison(self) -> bool {
        use BinaryOp::*;
        matches!(self, Eq | NotEq | Lt | LtEq | Gt | GtEq)
    }
}

/// Resolves `left op right`; `None` when PostgreSQL has no such operator (42883).
pub fn binary_signature(op: BinaryOp, left: DataType, right: DataType) -> Option<BinarySignature> {
    use DataType as T;
    // varchar, char(n), name and "char" compare and concatenate as text.
    let norm = |t: DataType| {
        if t.is_text() && t != T::Unknown {
            T::Text
        } else {
            t
        }
    };
    let (l, r) = (norm(left), norm(right));
    if let Some(signature) = jsonb_signature(op, l, r) {
        return Some(signature);
    }
    if l == T::Json {
        return json_signature(op, r);
    }
    match op {
        BinaryOp::JsonField { .. }
        | BinaryOp::JsonPath { .. }
        | BinaryOp::JsonHasKey
        | BinaryOp::JsonHasKeys { .. } => None,
        BinaryOp::And | BinaryOp::Or => {
            let ok = |t| matches!(t, T::Bool | T::Unknown);
            (ok(l) && ok(r)).then_some(BinarySignature {
                left: T::Bool,
                right: T::Bool,
                result: T::Bool,
            })
        }
        BinaryOp::Concat => match (l, r) {
            (T::Bytea, T::Bytea | T::Unknown) | (T::Unknown, T::Bytea) => {
                sig(T::Bytea, T::Bytea, T::Bytea)
            }
            (T::Text | T::Unknown, _) | (_, T::Text | T::Unknown) => sig(T::Text, T::Text, T::Text),
            _ => None,
        },
        _ if op.is_comparison() => {
            let common = comparison_type(l, r)?;
            sig(common, common, T::Bool)
        }
        // Arrays of one element type (an untyped literal takes the other's).
        BinaryOp::Contains | BinaryOp::ContainedBy | BinaryOp::Overlap => {
            let array = match (l, r) {
                // anyarray: both of one type, as PostgreSQL resolves it.
                (T::Array(a), T::Array(b)) if a == b => l,
                (T::Array(_), T::Unknown) => l,
                (T::Unknown, T::Array(_)) => r,
                _ => return None,
            };
            // json[] has no equality to compare elements with.
            if !array.has_order() {
                return None;
            }
            sig(array, array, T::Bool)
        }
        BinaryOp::BitAnd | BinaryOp::BitOr | BinaryOp::BitXor => {
            // An untyped literal takes the other side's type.
            let (l, r) = match (l, r) {
                (T::Unknown, t) | (t, T::Unknown) => (t, t),
                other => other,
            };
            let common = common_numeric(l, r);
            (l.is_integer() && r.is_integer()).then_some(BinarySignature {
                left: common,
                right: common,
                result: common,
            })
        }
        BinaryOp::ShiftLeft | BinaryOp::ShiftRight => {
            // The count is an int4 (an int2 widens); an untyped left operand
            // is taken for an int4, as PostgreSQL resolves `'3' << 1`.
            let left = match (l, r) {
                (T::Unknown, T::Unknown) => return None,
                (T::Unknown, _) => T::Int4,
                _ => l,
            };
            let count = matches!(r, T::Int2 | T::Int4 | T::Unknown);
            (left.is_integer() && count).then_some(BinarySignature {
                left,
                right: T::Int4,
                result: left,
            })
        }
        _ => arithmetic_signature(op, l, r),
    }
}

/// jsonb's operators (see `jsonb_ops`): a jsonb on the left, and on the right
/// what each takes (an untyped literal becomes it). `jsonb || text` is text's
/// `||`, and the rest of jsonb is the other operators' (42883).
fn jsonb_signature(op: BinaryOp, l: DataType, r: DataType) -> Option<BinarySignature> {
    use DataType as T;
    const TEXT_ARRAY: DataType = T::Array(&T::Text);
    let key = |result| match r {
        T::Text | T::Unknown => sig(T::Jsonb, T::Text, result),
        T::Int2 | T::Int4 => sig(T::Jsonb, T::Int4, result),
        _ => None,
    };
    // A varchar[] (or name[], …) is cast to text[], as PostgreSQL casts it.
    let text_array = matches!(r, T::Array(element) if element.is_text());
    let keys =
        |result| (text_array || r == T::Unknown).then(|| sig(T::Jsonb, TEXT_ARRAY, result))?;
    let both = |result| {
        matches!(
            (l, r),
            (T::Jsonb, T::Jsonb | T::Unknown) | (T::Unknown, T::Jsonb)
        )
        .then(|| sig(T::Jsonb, T::Jsonb, result))?
    };
    match op {
        BinaryOp::Contains | BinaryOp::ContainedBy => both(T::Bool),
        BinaryOp::Concat => both(T::Jsonb),
        _ if l != T::Jsonb => None,
        BinaryOp::JsonField { as_text } => key(if as_text { T::Text } else { T::Jsonb }),
        BinaryOp::JsonPath { as_text } => keys(if as_text { T::Text } else { T::Jsonb }),
        BinaryOp::JsonHasKey => {
            matches!(r, T::Text | T::Unknown).then(|| sig(T::Jsonb, T::Text, T::Bool))?
        }
        BinaryOp::JsonHasKeys { .. } => keys(T::Bool),
        BinaryOp::Sub if text_array => keys(T::Jsonb),
        BinaryOp::Sub => key(T::Jsonb),
        _ => None,
    }
}

/// json's operators: `->`, `->>`, `#>` and `#>>` as jsonb has them (see
/// `json_text`); `json || text` is text's. json has no other operator, no
/// comparison among them.
fn json_signature(op: BinaryOp, r: DataType) -> Option<BinarySignature> {
    use DataType as T;
    let result = |as_text| if as_text { T::Text } else { T::Json };
    match (op, r) {
        (BinaryOp::JsonField { as_text }, T::Text | T::Unknown) => {
            sig(T::Json, T::Text, result(as_text))
        }
        (BinaryOp::JsonField { as_text }, T::Int2 | T::Int4) => {
            sig(T::Json, T::Int4, result(as_text))
        }
        (BinaryOp::JsonPath { as_text }, T::Unknown) => {
            sig(T::Json, T::Array(&T::Text), result(as_text))
        }
        (BinaryOp::JsonPath { as_text }, T::Array(element)) if element.is_text() => {
            sig(T::Json, T::Array(&T::Text), result(as_text))
        }
        (BinaryOp::Concat, T::Text | T::Unknown) => sig(T::Text, T::Text, T::Text),
        _ => None,
    }
}

/// The type both sides of a comparison are cast to.
fn comparison_type(l: DataType, r: DataType) -> Option<DataType> {
    use DataType as T;
    match (l, r) {
        (a, b) if !a.has_order() || !b.has_order() => None,
        (T::Unknown, T::Unknown) => Some(T::Text),
        (T::Unknown, t) | (t, T::Unknown) => Some(t),
        (a, b) if a.is_numeric() && b.is_numeric() => Some(common_numeric(a, b)),
        // PostgreSQL's integers cast to oid implicitly; the aliases compare as oids.
        (T::Oid(_), t) | (t, T::Oid(_)) if t.is_integer() || matches!(t, T::Oid(_)) => {
            Some(T::Oid(super::OidAlias::Oid))
        }
        // A date is compared as its midnight, converted once by the binder: the
        // comparison is then one of timestamps, which an index on either side can
        // answer (`created_at >= current_date`). A date past the timestamp range
        // is 22008 then, where PostgreSQL's date_cmp_timestamp orders it after
        // every timestamp.
        (T::Date, T::Timestamp) | (T::Timestamp, T::Date) => Some(T::Timestamp),
        (T::Date | T::Timestamp, T::Timestamptz) | (T::Timestamptz, T::Date | T::Timestamp) => {
            Some(T::Timestamptz)
        }
        (a, b) if a == b => Some(a),
        _ => None,
    }
}

/// The wider of two numeric types, as PostgreSQL's operator choice works out:
/// int2 < int4 < int8 < numeric, and any float makes float8 unless both are float4.
/// A `NUMERIC(p, s)` operand computes as plain numeric: results carry no modifier.
pub fn common_numeric(a: DataType, b: DataType) -> DataType {
    use DataType as T;
    let (a, b) = (a.without_typmod(), b.without_typmod());
    let rank = |t| match t {
        T::Int2 => 0,
        T::Int4 => 1,
        T::Int8 => 2,
        _ => 3,
    };
    match (a, b) {
        (T::Float4, T::Float4) => T::Float4,
        (T::Float4 | T::Float8, _) | (_, T::Float4 | T::Float8) => T::Float8,
        _ if rank(a) >= rank(b) => a,
        _ => b,
    }
}

/// The signature of operands `left` and `right` giving `result`.
fn sig(left: DataType, right: DataType, result: DataType) -> Option<BinarySignature> {
    Some(BinarySignature {
        left,
        right,
        result,
    })
}

fn arithmetic_signature(op: BinaryOp, l: DataType, r: DataType) -> Option<BinarySignature> {
    use DataType as T;
    // An untyped literal beside a date is taken for a date first, as PostgreSQL
    // resolves it: `date - '2024-01-01'` subtracts dates, and `date + '1'` is no
    // operator (PostgreSQL: not unique), not date + integer.
    let small_int = |t| matches!(t, T::Int2 | T::Int4);
    if let Some(signature) = interval_signature(op, l, r) {
        return Some(signature);
    }
    match (op, l, r) {
        (BinaryOp::Add, T::Date, t) if small_int(t) => sig(T::Date, T::Int4, T::Date),
        (BinaryOp::Add, t, T::Date) if small_int(t) => sig(T::Int4, T::Date, T::Date),
        (BinaryOp::Add, T::Date, T::Unknown) | (BinaryOp::Add, T::Unknown, T::Date) => None,
        (BinaryOp::Sub, T::Date | T::Unknown, T::Date) | (BinaryOp::Sub, T::Date, T::Unknown) => {
            sig(T::Date, T::Date, T::Int4)
        }
        (BinaryOp::Sub, T::Date, t) if small_int(t) => sig(T::Date, T::Int4, T::Date),
        _ => {
            // An untyped literal takes the other side's type (numeric if both are).
            let (l, r) = match (l, r) {
                (T::Unknown, T::Unknown) => return None,
                (T::Unknown, t) => (t, t),
                (t, T::Unknown) => (t, t),
                other => other,
            };
            if !(l.is_numeric() && r.is_numeric()) {
                return None;
            }
            let common = common_numeric(l, r);
            match op {
                BinaryOp::Pow if common == T::Numeric(None) => {
                    sig(T::Numeric(None), T::Numeric(None), T::Numeric(None))
                }
                BinaryOp::Pow => sig(T::Float8, T::Float8, T::Float8),
                BinaryOp::Mod if matches!(common, T::Float4 | T::Float8) => None,
                _ => sig(common, common, common),
            }
        }
    }
}

/// The operators of intervals: with each other, with timestamps (a date is
/// read as its midnight), `timestamp - timestamp`, and scaling by a number. An
/// untyped literal added to a timestamp is an interval (the only `+` a timestamp
/// has); subtracted, it is a timestamp, as PostgreSQL resolves it.
fn interval_signature(op: BinaryOp, l: DataType, r: DataType) -> Option<BinarySignature> {
    use DataType as T;
    // The timestamp type `t` computes in beside `other`, when `other` is the
    // interval: a date is read as its midnight; an untyped literal is the
    // interval beside a timestamp (a date has `+ integer` too: no operator).
    let interval_beside = |t: DataType, other: DataType| {
        let stamp = match t {
            T::Date | T::Timestamp => T::Timestamp,
            T::Timestamptz => T::Timestamptz,
            _ => return None,
        };
        (other == T::Interval || (other == T::Unknown && t != T::Date)).then_some(stamp)
    };
    let number = |t: DataType| t.is_numeric() || t == T::Unknown;
    match (op, l, r) {
        (BinaryOp::Add | BinaryOp::Sub, T::Interval, T::Interval | T::Unknown)
        | (BinaryOp::Add | BinaryOp::Sub, T::Unknown, T::Interval) => {
            sig(T::Interval, T::Interval, T::Interval)
        }
        // `timestamp - 'text'` is a timestamp minus a timestamp (below).
        (BinaryOp::Add, t, other) | (BinaryOp::Sub, t, other @ T::Interval)
            if interval_beside(t, other).is_some() =>
        {
            let t = interval_beside(t, other)?;
            sig(t, T::Interval, t)
        }
        (BinaryOp::Add, other, t) if interval_beside(t, other).is_some() => {
            let t = interval_beside(t, other)?;
            sig(T::Interval, t, t)
        }
        (BinaryOp::Sub, T::Timestamp | T::Unknown, T::Timestamp)
        | (BinaryOp::Sub, T::Timestamp, T::Unknown) => sig(T::Timestamp, T::Timestamp, T::Interval),
        (BinaryOp::Sub, T::Timestamptz | T::Unknown | T::Timestamp | T::Date, T::Timestamptz)
        | (BinaryOp::Sub, T::Timestamptz, T::Unknown | T::Timestamp | T::Date) => {
            sig(T::Timestamptz, T::Timestamptz, T::Interval)
        }
        (BinaryOp::Sub, T::Date, T::Timestamp) | (BinaryOp::Sub, T::Timestamp, T::Date) => {
            sig(T::Timestamp, T::Timestamp, T::Interval)
        }
        (BinaryOp::Mul | BinaryOp::Div, T::Interval, t) if number(t) => {
            sig(T::Interval, T::Float8, T::Interval)
        }
        (BinaryOp::Mul, t, T::Interval) if number(t) => sig(T::Float8, T::Interval, T::Interval),
        _ => None,
    }
}

/// The result type of a unary operator, `None` if PostgreSQL has none for the type.
pub fn unary_signature(op: UnaryOp, operand: DataType) -> Option<DataType> {
    match op {
        UnaryOp::Not => {
            matches!(operand, DataType::Bool | DataType::Unknown).then_some(DataType::Bool)
        }
        UnaryOp::Neg | UnaryOp::Plus if operand == DataType::Interval => Some(operand),
        UnaryOp::Neg | UnaryOp::Plus => operand.is_numeric().then_some(operand.without_typmod()),
    }
}

/// Three-valued AND: false wins over NULL (`NULL AND false` is false).
pub fn and3(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

/// Three-valued OR: true wins over NULL (`NULL OR true` is true).
pub fn or3(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}

/// Evaluates `l op r` on operands already cast to the signature's types (mixed
/// numeric types are also accepted and widened). NULL in gives NULL out, except for
/// the three-valued AND/OR. A timestamptz plus an interval's days and months is
/// computed in UTC here; [`eval_binary_in`] takes the session's zone.
pub fn eval_binary(op: BinaryOp, l: &Value, r: &Value) -> Result<Value, TypeError> {
    eval_binary_in(op, l, r, &TimeZone::Utc)
}

/// [`eval_binary`] with the session's zone, in which a timestamptz plus (or
/// minus) an interval adds its days and months to the wall-clock time.
pub fn eval_binary_in(
    op: BinaryOp,
    l: &Value,
    r: &Value,
    tz: &TimeZone,
) -> Result<Value, TypeError> {
    match op {
        BinaryOp::And => return Ok(bool_value(and3(l.as_bool(), r.as_bool()))),
        BinaryOp::Or => return Ok(bool_value(or3(l.as_bool(), r.as_bool()))),
        _ if l.is_null() || r.is_null() => return Ok(Value::Null),
        _ => {}
    }
    if let (
        BinaryOp::Contains | BinaryOp::ContainedBy | BinaryOp::Overlap,
        Value::Array(a),
        Value::Array(b),
    ) = (op, l, r)
    {
        return array_containment(op, a, b).map(Value::Bool);
    }
    if let Value::Jsonb(document) = l {
        if let Some(result) = jsonb_operator(op, document, r) {
            return result;
        }
    }
    if let Value::Json(document) = l {
        match op {
            BinaryOp::JsonField { as_text } => return json_text::field_op(document, r, as_text),
            BinaryOp::JsonPath { as_text } => return json_text::path_op(document, r, as_text),
            _ => {}
        }
    }
    if op.is_comparison() {
        let ord = compare(l, r)?;
        return Ok(Value::Bool(match op {
            BinaryOp::Eq => ord == Ordering::Equal,
            BinaryOp::NotEq => ord != Ordering::Equal,
            BinaryOp::Lt => ord == Ordering::Less,
            BinaryOp::LtEq => ord != Ordering::Greater,
            BinaryOp::Gt => ord == Ordering::Greater,
            _ => ord != Ordering::Less,
        }));
    }
    match (op, l, r) {
        (BinaryOp::Concat, Value::Bytea(a), Value::Bytea(b)) => {
            Ok(Value::Bytea([a.as_slice(), b].concat()))
        }
        (BinaryOp::Concat, _, _) => Ok(Value::Text(concat_text(l, r))),
        (_, Value::Interval(_), _) | (_, _, Value::Interval(_)) => interval_arith(op, l, r, tz),
        (BinaryOp::Sub, Value::Timestamp(a), Value::Timestamp(b))
        | (BinaryOp::Sub, Value::Timestamptz(a), Value::Timestamptz(b)) => {
            Interval::between(*a, *b).map(Value::Interval)
        }
        (_, Value::Date(_), _) | (_, _, Value::Date(_)) => date_arith(op, l, r),
        (BinaryOp::ShiftLeft | BinaryOp::ShiftRight, _, _) => shift(op, l, r),
        _ => arithmetic(op, l, r),
    }
}

/// A jsonb operator on `document` (see `jsonb_ops`); None for an operator
/// that is not one of jsonb's (a comparison, `||` as text).
fn jsonb_operator(op: BinaryOp, document: &str, r: &Value) -> Option<Result<Value, TypeError>> {
    let keys = |v: &Value| match v {
        Value::Array(items) => items.clone(),
        _ => Vec::new(),
    };
    Some(match (op, r) {
        (BinaryOp::JsonField { as_text }, _) => jsonb_ops::field(document, r, as_text),
        (BinaryOp::JsonPath { as_text }, _) => jsonb_ops::path(document, &keys(r), as_text),
        (BinaryOp::JsonHasKey, Value::Text(key)) => {
            jsonb_ops::has_key(document, key).map(Value::Bool)
        }
        (BinaryOp::JsonHasKeys { all }, _) => {
            jsonb_ops::has_keys(document, &keys(r), all).map(Value::Bool)
        }
        (BinaryOp::Contains, Value::Jsonb(other)) => {
            jsonb_ops::contains(document, other).map(Value::Bool)
        }
        (BinaryOp::ContainedBy, Value::Jsonb(other)) => {
            jsonb_ops::contains(other, document).map(Value::Bool)
        }
        (BinaryOp::Concat, Value::Jsonb(other)) => jsonb_ops::concat(document, other),
        (BinaryOp::Sub, _) => jsonb_ops::delete(document, r),
        _ => return None,
    })
}

fn bool_value(b: Option<bool>) -> Value {
    b.map_or(Value::Null, Value::Bool)
}

fn concat_text(l: &Value, r: &Value) -> String {
    let mut out = String::new();
    for v in [l, r] {
        match v {
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            other => other.write_text(&mut out, &super::TimeZone::Utc),
        }
    }
    out
}

/// Orders two non-NULL values of comparable types, widening numbers first. A date
/// meets a timestamp at its midnight (a date compared with a timestamptz is read as
/// UTC midnight here; the binder casts it in the session zone before it gets here).
pub fn compare(l: &Value, r: &Value) -> Result<Ordering, TypeError> {
    let (lt, rt) = (l.data_type(), r.data_type());
    if lt.is_numeric() && rt.is_numeric() && lt != rt {
        let common = common_numeric(lt, rt);
        return Ok(cast_number(l.clone(), common)?.cmp(&cast_number(r.clone(), common)?));
    }
    Ok(match (l, r) {
        (Value::Date(d), Value::Timestamp(us) | Value::Timestamptz(us)) => {
            compare_date_timestamp(*d, *us)
        }
        (Value::Timestamp(us) | Value::Timestamptz(us), Value::Date(d)) => {
            compare_date_timestamp(*d, *us).reverse()
        }
        (Value::Timestamp(a), Value::Timestamptz(b))
        | (Value::Timestamptz(a), Value::Timestamp(b)) => a.cmp(b),
        _ => l.cmp(r),
    })
}

/// A date against a timestamp, as PostgreSQL's `date_cmp_timestamp`: a date past
/// the timestamp range is later than every finite timestamp, earlier than infinity.
fn compare_date_timestamp(days: i32, us: i64) -> Ordering {
    match date_to_timestamp(days) {
        Some(midnight) => midnight.cmp(&us),
        None if us == TS_POS_INFINITY => Ordering::Less,
        None => Ordering::Greater,
    }
}

/// `@>`, `<@` and `&&` as PostgreSQL's `array_contain_compare`: elements are
/// compared with `=`, and a NULL element matches nothing (so `'{NULL}' @>
/// '{NULL}'` is false). Both arrays are of one type (the signature's), whose
/// equality `Value`'s hash agrees with: one side is hashed, so the time is linear
/// in the elements (a nested loop over two large arrays would run for minutes
/// with nothing to interrupt it).
fn array_containment(op: BinaryOp, a: &[Value], b: &[Value]) -> Result<bool, TypeError> {
    let set = |items: &[Value]| -> HashSet<Value> {
        items.iter().filter(|v| !v.is_null()).cloned().collect()
    };
    let all_in = |inner: &[Value], outer: &[Value]| {
        let outer = set(outer);
        inner.iter().all(|v| outer.contains(v))
    };
    Ok(match op {
        BinaryOp::Contains => all_in(b, a),
        BinaryOp::ContainedBy => all_in(a, b),
        _ => {
            let b = set(b);
            a.iter().any(|v| b.contains(v))
        }
    })
}

/// The operators [`interval_signature`] resolves, on operands cast to its types.
fn interval_arith(op: BinaryOp, l: &Value, r: &Value, tz: &TimeZone) -> Result<Value, TypeError> {
    let factor = |v: &Value| match v {
        Value::Float8(f) => Some(*f),
        Value::Float4(f) => Some(f64::from(*f)),
        other => other.as_i64().map(|i| i as f64),
    };
    let shifted = |us: i64, i: Interval, tz: Option<&TimeZone>| match tz {
        Some(tz) => i.add_to_timestamptz(us, tz).map(Value::Timestamptz),
        None => i.add_to_timestamp(us).map(Value::Timestamp),
    };
    match (op, l, r) {
        (BinaryOp::Add, Value::Interval(a), Value::Interval(b)) => {
            a.checked_add(*b).map(Value::Interval)
        }
        (BinaryOp::Sub, Value::Interval(a), Value::Interval(b)) => {
            a.checked_sub(*b).map(Value::Interval)
        }
        (BinaryOp::Add, Value::Timestamp(us), Value::Interval(i))
        | (BinaryOp::Add, Value::Interval(i), Value::Timestamp(us)) => shifted(*us, *i, None),
        (BinaryOp::Add, Value::Timestamptz(us), Value::Interval(i))
        | (BinaryOp::Add, Value::Interval(i), Value::Timestamptz(us)) => shifted(*us, *i, Some(tz)),
        (BinaryOp::Sub, Value::Timestamp(us), Value::Interval(i)) => {
            shifted(*us, i.checked_neg()?, None)
        }
        (BinaryOp::Sub, Value::Timestamptz(us), Value::Interval(i)) => {
            shifted(*us, i.checked_neg()?, Some(tz))
        }
        (BinaryOp::Mul, Value::Interval(i), n) | (BinaryOp::Mul, n, Value::Interval(i))
            if factor(n).is_some() =>
        {
            i.checked_mul(factor(n).unwrap_or(1.0)).map(Value::Interval)
        }
        (BinaryOp::Div, Value::Interval(i), n) if factor(n).is_some() => {
            i.checked_div(factor(n).unwrap_or(1.0)).map(Value::Interval)
        }
        _ => Err(no_operator(op, l, r)),
    }
}

/// `date ± integer` and `date - date`.
fn date_arith(op: BinaryOp, l: &Value, r: &Value) -> Result<Value, TypeError> {
    let infinite = |d: i32| d == DATE_NEG_INFINITY || d == DATE_POS_INFINITY;
    let shift = |d: i32, n: i64| -> Result<Value, TypeError> {
        if infinite(d) {
            return Ok(Value::Date(d));
        }
        let days = i64::from(d) + n;
        if !date_in_range(days) {
            return Err(TypeError::DatetimeOutOfRange(
                "date out of range".to_owned(),
            ));
        }
        Ok(Value::Date(days as i32))
    };
    match (op, l, r) {
        (BinaryOp::Sub, Value::Date(a), Value::Date(b)) => {
            if infinite(*a) || infinite(*b) {
                return Err(TypeError::DatetimeOutOfRange(
                    "cannot subtract infinite dates".to_owned(),
                ));
            }
            Ok(Value::Int4(a - b))
        }
        (BinaryOp::Add, Value::Date(d), n) | (BinaryOp::Add, n, Value::Date(d))
            if n.as_i64().is_some() =>
        {
            shift(*d, n.as_i64().unwrap_or(0))
        }
        (BinaryOp::Sub, Value::Date(d), n) if n.as_i64().is_some() => {
            shift(*d, -n.as_i64().unwrap_or(0))
        }
        _ => Err(no_operator(op, l, r)),
    }
}

fn no_operator(op: BinaryOp, l: &Value, r: &Value) -> TypeError {
    TypeError::Unsupported(format!(
        "operator does not exist: {} {} {}",
        l.data_type(),
        op.symbol(),
        r.data_type()
    ))
}

/// Arithmetic on numbers, in the wider of the two operand types.
fn arithmetic(op: BinaryOp, l: &Value, r: &Value) -> Result<Value, TypeError> {
    // Two integers of one width, the common case (`balance + 1`), need no cast.
    let same_width = match (l, r) {
        (Value::Int2(_), Value::Int2(_)) => Some(DataType::Int2),
        (Value::Int4(_), Value::Int4(_)) => Some(DataType::Int4),
        (Value::Int8(_), Value::Int8(_)) => Some(DataType::Int8),
        _ => None,
    };
    if let (Some(t), Some(a), Some(b)) = (same_width, l.as_i64(), r.as_i64()) {
        if op != BinaryOp::Pow {
            return int_to(int_op(op, a, b, t)?, t);
        }
    }
    let (lt, rt) = (l.data_type(), r.data_type());
    if !(lt.is_numeric() && rt.is_numeric()) {
        return Err(no_operator(op, l, r));
    }
    let common = match (op, common_numeric(lt, rt)) {
        (BinaryOp::Pow, DataType::Numeric(_)) => DataType::Numeric(None),
        (BinaryOp::Pow, _) => DataType::Float8,
        (_, t) => t,
    };
    let (a, b) = (
        cast_number(l.clone(), common)?,
        cast_number(r.clone(), common)?,
    );
    match (a, b) {
        (Value::Float4(x), Value::Float4(y)) => float_op(op, f64::from(x), f64::from(y), true),
        (Value::Float8(x), Value::Float8(y)) => float_op(op, x, y, false),
        (Value::Numeric(x), Value::Numeric(y)) => numeric_op(op, x, y).map(Value::Numeric),
        (a, b) => {
            let v = int_op(op, a.as_i64().unwrap_or(0), b.as_i64().unwrap_or(0), common)?;
            int_to(v, common)
        }
    }
}

/// Integer arithmetic in i64; the caller narrows the result (22003 if it does not
/// fit), which is exact because int2/int4 results always fit an i64 first.
fn int_op(op: BinaryOp, a: i64, b: i64, t: DataType) -> Result<i64, TypeError> {
    let overflow = || out_of_range(t);
    match op {
        BinaryOp::Add => a.checked_add(b).ok_or_else(overflow),
        BinaryOp::Sub => a.checked_sub(b).ok_or_else(overflow),
        BinaryOp::Mul => a.checked_mul(b).ok_or_else(overflow),
        BinaryOp::Div if b == 0 => Err(TypeError::DivisionByZero),
        // Rust's `/` truncates toward zero like C; only MIN / -1 overflows.
        BinaryOp::Div => a.checked_div(b).ok_or_else(overflow),
        BinaryOp::Mod if b == 0 => Err(TypeError::DivisionByZero),
        // MIN % -1 is 0 in PostgreSQL (it special-cases -1 to avoid the trap).
        BinaryOp::Mod => Ok(a.checked_rem(b).unwrap_or(0)),
        // Both fit the type, so the result does too.
        BinaryOp::BitAnd => Ok(a & b),
        BinaryOp::BitOr => Ok(a | b),
        BinaryOp::BitXor => Ok(a ^ b),
        _ => Err(TypeError::Unsupported(format!(
            "operator {} on integers",
            op.symbol()
        ))),
    }
}

/// `l << r` and `l >> r` (see [`BinaryOp::ShiftLeft`]): in the left integer's
/// type, the count modulo its width (an int2 shifts as an int4 and keeps the
/// low 16 bits, as PostgreSQL's `int2shl` does).
fn shift(op: BinaryOp, l: &Value, r: &Value) -> Result<Value, TypeError> {
    let count = r.as_i64().ok_or_else(|| no_operator(op, l, r))? as u32;
    let left = op == BinaryOp::ShiftLeft;
    Ok(match l {
        Value::Int2(a) => {
            let a = i32::from(*a);
            Value::Int2(if left {
                a.wrapping_shl(count)
            } else {
                a.wrapping_shr(count)
            } as i16)
        }
        Value::Int4(a) => Value::Int4(if left {
            a.wrapping_shl(count)
        } else {
            a.wrapping_shr(count)
        }),
        Value::Int8(a) => Value::Int8(if left {
            a.wrapping_shl(count)
        } else {
            a.wrapping_shr(count)
        }),
        _ => return Err(no_operator(op, l, r)),
    })
}

/// Float arithmetic with PostgreSQL's checks: an infinite result from finite inputs
/// is "overflow", a zero result from non-zero inputs "underflow", x/0 is 22012.
fn float_op(op: BinaryOp, a: f64, b: f64, single: bool) -> Result<Value, TypeError> {
    let r = match op {
        BinaryOp::Add => a + b,
        BinaryOp::Sub => a - b,
        BinaryOp::Mul => a * b,
        // NaN / 0 is NaN in PostgreSQL, every other x / 0 an error.
        BinaryOp::Div if b == 0.0 && !a.is_nan() => return Err(TypeError::DivisionByZero),
        BinaryOp::Div => a / b,
        BinaryOp::Pow => float_pow(a, b)?,
        _ => {
            return Err(TypeError::Unsupported(format!(
                "operator {} on floats",
                op.symbol()
            )))
        }
    };
    let r_checked = if single { f64::from(r as f32) } else { r };
    if r_checked.is_infinite() && a.is_finite() && b.is_finite() {
        return Err(float_overflow());
    }
    let zero_from_nonzero = match op {
        BinaryOp::Mul => a != 0.0 && b != 0.0,
        BinaryOp::Div => a != 0.0 && b.is_finite(),
        BinaryOp::Pow => a != 0.0 && b.is_finite() && a.is_finite(),
        _ => false,
    };
    if r_checked == 0.0 && zero_from_nonzero {
        return Err(float_underflow());
    }
    Ok(if single {
        Value::Float4(r as f32)
    } else {
        Value::Float8(r)
    })
}

/// 22003 for a float result too large for its type, in PostgreSQL's words.
pub(crate) fn float_overflow() -> TypeError {
    TypeError::OutOfRange("value out of range: overflow".to_owned())
}

/// 22003 for a float result that came out 0 although the exact one is not, in
/// PostgreSQL's words: printing 0 would be a wrong answer.
pub(crate) fn float_underflow() -> TypeError {
    TypeError::OutOfRange("value out of range: underflow".to_owned())
}

/// `float8 ^ float8` with PostgreSQL's 2201F errors for undefined powers.
pub fn float_pow(a: f64, b: f64) -> Result<f64, TypeError> {
    if a == 0.0 && b < 0.0 {
        return Err(TypeError::InvalidPower(
            "zero raised to a negative power is undefined".to_owned(),
        ));
    }
    if a < 0.0 && b.is_finite() && b.fract() != 0.0 {
        return Err(TypeError::InvalidPower(
            "a negative number raised to a non-integer power yields a complex result".to_owned(),
        ));
    }
    Ok(a.powf(b))
}

/// Numeric arithmetic. Sum and difference keep the larger scale (see
/// [`numeric_sum`]), product the sum of the scales (see [`numeric_mul`]); see
/// [`numeric_div`] for quotients.
fn numeric_op(op: BinaryOp, a: Decimal, b: Decimal) -> Result<Decimal, TypeError> {
    match op {
        BinaryOp::Add => numeric_sum(a, b, false),
        BinaryOp::Sub => numeric_sum(a, b, true),
        BinaryOp::Mul => numeric_mul(a, b),
        BinaryOp::Div => numeric_div(a, b),
        BinaryOp::Mod if b.is_zero() => Err(TypeError::DivisionByZero),
        // The remainder has the larger scale of the two, as in PostgreSQL (0.0 % 5
        // is 0.0; rust_decimal drops the scale of a zero).
        BinaryOp::Mod => {
            let r = a.checked_rem(b).ok_or_else(value_overflows_numeric)?;
            Ok(with_scale(r, a.scale().max(b.scale())))
        }
        BinaryOp::Pow => numeric_pow(a, b),
        _ => Err(TypeError::Unsupported(format!(
            "operator {} on numerics",
            op.symbol()
        ))),
    }
}

/// The exact `a + b`, or `a - b` when `subtract`, with the larger scale of the two
/// as in PostgreSQL (`0.0 - 1` is -1.0); 22003 if that needs more digits than a
/// rust_decimal holds.
fn numeric_sum(a: Decimal, b: Decimal, subtract: bool) -> Result<Decimal, TypeError> {
    let sum = if subtract {
        a.checked_sub(b)
    } else {
        a.checked_add(b)
    };
    let sum = sum.ok_or_else(value_overflows_numeric)?;
    let scale = a.scale().max(b.scale());
    // rust_decimal returns the other operand as it is when one is zero, at that
    // operand's scale. Padding it changes no digit; any other sum short of the
    // scale was rounded to fit.
    let sum = if a.is_zero() || b.is_zero() {
        with_scale(sum, scale)
    } else {
        sum
    };
    exact(sum, scale)
}

/// The exact product, with scale s1 + s2 as in PostgreSQL; 22003 if it needs more
/// digits than a rust_decimal holds (more than 28 after the point included:
/// `0.123456789012345 * 0.123456789012345` has 30 in PostgreSQL).
fn numeric_mul(a: Decimal, b: Decimal) -> Result<Decimal, TypeError> {
    let p = a.checked_mul(b).ok_or_else(value_overflows_numeric)?;
    check_underflow(p, a, b)?;
    let scale = a.scale() + b.scale();
    // rust_decimal drops the scale of a zero product; PostgreSQL keeps s1 + s2.
    // A non-zero product has it unless rust_decimal rounded it to fit.
    let p = if p.is_zero() { with_scale(p, scale) } else { p };
    exact(p, scale)
}

/// The power of ten of a non-zero decimal's leading digit (2 for 345.6, -2 for 0.01).
pub(crate) fn decimal_weight(d: Decimal) -> i64 {
    let m = d.mantissa().unsigned_abs();
    m.checked_ilog10().map_or(0, i64::from) - i64::from(d.scale())
}

/// The weight (power of 10000) of a non-zero decimal's leading base-10000 digit, and
/// that digit: PostgreSQL's numerics are base 10000 and its scale rules use both.
pub(crate) fn nbase_lead(d: Decimal) -> (i64, u128) {
    let m = d.mantissa().unsigned_abs();
    let scale = i64::from(d.scale());
    let weight = decimal_weight(d).div_euclid(4);
    let k = 4 * weight + scale;
    let first = if k >= 0 {
        m / 10u128.pow(k as u32)
    } else {
        m * 10u128.pow((-k) as u32)
    };
    (weight, first)
}

/// Numeric division with PostgreSQL's `select_div_scale`: at least 16 significant
/// digits, and at least the scale of either operand. Capped at 28 fractional digits,
/// the most a rust_decimal holds (PostgreSQL allows up to 1000), so quotients
/// smaller than about 1e-12 show fewer digits than PostgreSQL's.
pub fn numeric_div(a: Decimal, b: Decimal) -> Result<Decimal, TypeError> {
    if b.is_zero() {
        return Err(TypeError::DivisionByZero);
    }
    let q = a.checked_div(b).ok_or_else(value_overflows_numeric)?;
    check_underflow(q, a, b)?;
    // PostgreSQL weighs a zero dividend as weight 0, leading digit 0.
    let (w1, d1) = if a.is_zero() { (0, 0) } else { nbase_lead(a) };
    let (w2, d2) = nbase_lead(b);
    let qweight = w1 - w2 - i64::from(d1 <= d2);
    let rscale = (16 - qweight * 4)
        .max(i64::from(a.scale()))
        .max(i64::from(b.scale()))
        .clamp(0, 28) as u32;
    // A quotient whose digits at PostgreSQL's scale exceed the 28-29 that
    // Decimal holds (`1000006 / 0.999999999999999999999999`) was rounded short
    // by the division: 22003, as for sums and products.
    exact(with_scale(q, rscale), rscale)
}

/// `result` if it kept `scale` digits after the point; 22003 if rust_decimal had to
/// drop some to stay within its 28-29 significant digits (`1e20 + 1e-10`), which
/// PostgreSQL's numeric keeps, or that a Decimal's 28 places cannot hold
/// (`round(1.5, 40)`). Printing the rounded result would be a wrong answer.
pub(crate) fn exact(result: Decimal, scale: u32) -> Result<Decimal, TypeError> {
    if result.scale() < scale {
        return Err(TypeError::OutOfRange(
            "numeric result is out of range: Turnstile's numeric holds at most 28 \
             significant digits"
                .to_owned(),
        ));
    }
    Ok(result)
}

/// 22003 for a product or quotient of non-zero numerics that came out zero: its
/// digits all lie beyond the 28th after the point, which PostgreSQL's numeric shows
/// and ours cannot hold (`1e-15 / 1e15`). Printing 0 would be a wrong answer.
fn check_underflow(result: Decimal, a: Decimal, b: Decimal) -> Result<(), TypeError> {
    if result.is_zero() && !a.is_zero() && !b.is_zero() {
        return Err(TypeError::OutOfRange(
            "numeric result is out of range: Turnstile's numeric holds at most 28 digits \
             after the decimal point"
                .to_owned(),
        ));
    }
    Ok(())
}

/// Rounds (half away from zero) or pads to exactly `scale` digits, as far as the
/// 96-bit mantissa and the 28 places of a Decimal allow.
pub fn with_scale(d: Decimal, scale: u32) -> Decimal {
    let rounded = d.round_dp_with_strategy(scale, RoundingStrategy::MidpointAwayFromZero);
    let mut padded = rounded;
    // rescale would pad a non-zero value past 28 places, a Decimal that panics when
    // printed.
    padded.rescale(scale.min(Decimal::MAX_SCALE));
    // rescale keeps a smaller scale when the mantissa would overflow; that is fine,
    // but it must never have changed the value.
    if padded == rounded {
        padded
    } else {
        rounded
    }
}

/// `numeric ^ numeric`. An integer exponent (PostgreSQL's `power_var_int`) gives
/// the power rounded to max(16, base scale) digits after the point: exactly when
/// the exact power fits a rust_decimal; else from a power computed to its 28
/// significant digits, when enough of those lie past the rounding point to round
/// as PostgreSQL does (`1.05 ^ 30`); else 22003, as is a power whose PostgreSQL
/// scale does not fit (`10::numeric ^ 20` is 100000000000000000000.0000000000000000
/// there) or whose digits would all be needed (`90677543.37146308 ^ 2`). Any other
/// exponent is PostgreSQL's `power_var`, see [`fractional_power`].
fn numeric_pow(a: Decimal, b: Decimal) -> Result<Decimal, TypeError> {
    float_pow(decimal_to_f64(a), decimal_to_f64(b))?;
    if b.fract().is_zero() {
        // The exponent has no fraction (whatever its scale: 3.0 is 3).
        let exp =
            rust_decimal::prelude::ToPrimitive::to_i64(&b).ok_or_else(value_overflows_numeric)?;
        let rscale = a.scale().max(16);
        let magnitude = match integer_power(a, exp.unsigned_abs()) {
            Ok(exact_power) => exact_power,
            Err(e) => rounded_power(a, exp.unsigned_abs(), rscale).ok_or(e)?,
        };
        // A negative power is a quotient, rounded like PostgreSQL's 1 / a^-n.
        let p = if exp < 0 {
            Decimal::ONE
                .checked_div(magnitude)
                .ok_or_else(value_overflows_numeric)?
        } else {
            magnitude
        };
        return exact(with_scale(p, rscale), rscale);
    }
    // float_pow refused a negative base and a zero one with a negative exponent.
    fractional_power(a, b)
}

/// `base ^ exp` to rust_decimal's 28 significant digits (each product rounded),
/// if that is enough to round it to `rscale` digits after the point: the digits
/// shown must leave as many past them as rounding errors could reach (about one
/// in the last place per product, so the exponent's own digits), and two more.
/// None if not, or if it overflows.
fn rounded_power(base: Decimal, exp: u64, rscale: u32) -> Option<Decimal> {
    let power = base.checked_powi(i64::try_from(exp).ok()?)?;
    let integer_digits = power
        .trunc()
        .abs()
        .mantissa()
        .checked_ilog10()
        .map_or(0, |d| d + 1);
    let guard_digits = exp.checked_ilog10().map_or(1, |d| d + 1) + 2;
    (integer_digits + rscale + guard_digits <= 28).then_some(power)
}

/// `base ^ exp` by repeated squaring, every step an exact [`numeric_mul`].
fn integer_power(base: Decimal, mut exp: u64) -> Result<Decimal, TypeError> {
    let mut result = Decimal::ONE;
    let mut square = base;
    loop {
        if exp & 1 == 1 {
            result = numeric_mul(result, square)?;
        }
        exp >>= 1;
        if exp == 0 {
            return Ok(result);
        }
        square = numeric_mul(square, square)?;
    }
}

/// Evaluates a unary operator; NULL in gives NULL out.
pub fn eval_unary(op: UnaryOp, v: &Value) -> Result<Value, TypeError> {
    match (op, v) {
        (_, Value::Null) => Ok(Value::Null),
        (UnaryOp::Not, Value::Bool(b)) => Ok(Value::Bool(!b)),
        (UnaryOp::Plus, v) if v.data_type().is_numeric() => Ok(v.clone()),
        (UnaryOp::Neg, Value::Int2(x)) => x
            .checked_neg()
            .map(Value::Int2)
            .ok_or_else(|| out_of_range(DataType::Int2)),
        (UnaryOp::Neg, Value::Int4(x)) => x
            .checked_neg()
            .map(Value::Int4)
            .ok_or_else(|| out_of_range(DataType::Int4)),
        (UnaryOp::Neg, Value::Int8(x)) => x
            .checked_neg()
            .map(Value::Int8)
            .ok_or_else(|| out_of_range(DataType::Int8)),
        (UnaryOp::Neg, Value::Float4(x)) => Ok(Value::Float4(-x)),
        (UnaryOp::Neg, Value::Float8(x)) => Ok(Value::Float8(-x)),
        (UnaryOp::Neg, Value::Numeric(x)) if x.is_zero() => Ok(Value::Numeric(*x)),
        (UnaryOp::Neg, Value::Numeric(x)) => Ok(Value::Numeric(-*x)),
        (UnaryOp::Plus, Value::Interval(_)) => Ok(v.clone()),
        (UnaryOp::Neg, Value::Interval(i)) => i.checked_neg().map(Value::Interval),
        _ => Err(TypeError::Unsupported(format!(
            "operator does not exist: {op:?} {}",
            v.data_type()
        ))),
    }
}

#[cfg(test)]
mod tests;
