//! A single SQL value.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};

use rust_decimal::Decimal;

use super::interval::Interval;
use super::jsonb_order::{canonical_jsonb, compare_jsonb};
use super::DataType;

/// One SQL value, or NULL. The variant is the runtime type; `Text` also carries
/// `VARCHAR` values (the column's declared length is checked on assignment).
///
/// Equality, ordering and hashing are the ones PostgreSQL's btree and hash operator
/// classes use, so that indexes, `ORDER BY`, `DISTINCT` and `GROUP BY` agree:
/// integers of any width compare by value; floats order NaN above every number and
/// treat -0 as 0; numerics compare by value (1.0 = 1.00); NULL sorts after
/// everything (PostgreSQL's default `NULLS LAST` for ascending order). Values of
/// different type families never meet in a well-typed plan (the binder inserts casts);
/// between them, the order is by family so that the order stays total.
#[derive(Debug, Clone)]
pub enum Value {
    Null,
    Bool(bool),
    Int2(i16),
    Int4(i32),
    Int8(i64),
    Float4(f32),
    Float8(f64),
    Numeric(Decimal),
    Text(String),
    Bytea(Vec<u8>),
    /// Microseconds since 2000-01-01 00:00:00 (PostgreSQL's epoch).
    Timestamp(i64),
    /// Microseconds since 2000-01-01 00:00:00 UTC.
    Timestamptz(i64),
    /// Days since 2000-01-01.
    Date(i32),
    Uuid([u8; 16]),
    /// Normalized JSON text (see `types::text` for the normalization).
    Jsonb(String),
    /// JSON text as it was written (see `types::json_text`).
    Json(String),
    /// Months, days and microseconds (see `types::interval`).
    Interval(Interval),
    /// A one-dimensional array. Its element type is the expression's (or the
    /// column's), which the binder knows.
    Array(Vec<Value>),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The value's runtime type; `Unknown` for NULL, which has every type.
    pub fn data_type(&self) -> DataType {
        match self {
            Value::Null => DataType::Unknown,
            Value::Bool(_) => DataType::Bool,
            Value::Int2(_) => DataType::Int2,
            Value::Int4(_) => DataType::Int4,
            Value::Int8(_) => DataType::Int8,
            Value::Float4(_) => DataType::Float4,
            Value::Float8(_) => DataType::Float8,
            Value::Numeric(_) => DataType::Numeric(None),
            Value::Text(_) => DataType::Text,
            Value::Bytea(_) => DataType::Bytea,
            Value::Timestamp(_) => DataType::Timestamp,
            Value::Timestamptz(_) => DataType::Timestamptz,
            Value::Date(_) => DataType::Date,
            Value::Uuid(_) => DataType::Uuid,
            Value::Jsonb(_) => DataType::Jsonb,
            Value::Json(_) => DataType::Json,
            Value::Interval(_) => DataType::Interval,
            Value::Array(_) => DataType::Array(&DataType::Unknown),
        }
    }

    /// The integer inside an `Int2`, `Int4` or `Int8`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int2(v) => Some(i64::from(*v)),
            Value::Int4(v) => Some(i64::from(*v)),
            Value::Int8(v) => Some(*v),
            _ => None,
        }
    }

    /// The float inside a `Float4` or `Float8`.
    fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Float4(v) => Some(f64::from(*v)),
            Value::Float8(v) => Some(*v),
            _ => None,
        }
    }

    /// SQL truth: `Some(b)` for a boolean, `None` for NULL (unknown).
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The type family rank used to order values of different families.
    fn family(&self) -> u8 {
        match self {
            Value::Bool(_) => 0,
            Value::Int2(_) | Value::Int4(_) | Value::Int8(_) => 1,
            Value::Float4(_) | Value::Float8(_) => 2,
            Value::Numeric(_) => 3,
            Value::Text(_) => 4,
            Value::Bytea(_) => 5,
            Value::Timestamp(_) => 6,
            Value::Timestamptz(_) => 7,
            Value::Date(_) => 8,
            Value::Uuid(_) => 9,
            Value::Jsonb(_) => 10,
            Value::Array(_) => 11,
            Value::Interval(_) => 12,
            Value::Json(_) => 13,
            Value::Null => u8::MAX,
        }
    }
}

/// Float order as PostgreSQL's btree opclass: NaN is equal to NaN and greater than
/// every other value; -0 equals 0.
fn compare_floats(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        // Neither is NaN, so partial_cmp is total here.
        (false, false) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

impl Ord for Value {
    fn cmp(&self, other: &Self) -> Ordering {
        if let (Some(a), Some(b)) = (self.as_i64(), other.as_i64()) {
            return a.cmp(&b);
        }
        if let (Some(a), Some(b)) = (self.as_f64(), other.as_f64()) {
            return compare_floats(a, b);
        }
        match (self, other) {
            (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
            (Value::Numeric(a), Value::Numeric(b)) => a.cmp(b),
            (Value::Text(a), Value::Text(b)) => a.cmp(b),
            (Value::Bytea(a), Value::Bytea(b)) => a.cmp(b),
            (Value::Timestamp(a), Value::Timestamp(b)) => a.cmp(b),
            (Value::Timestamptz(a), Value::Timestamptz(b)) => a.cmp(b),
            (Value::Date(a), Value::Date(b)) => a.cmp(b),
            (Value::Uuid(a), Value::Uuid(b)) => a.cmp(b),
            (Value::Jsonb(a), Value::Jsonb(b)) => compare_jsonb(a, b),
            (Value::Array(a), Value::Array(b)) => a.cmp(b),
            (Value::Interval(a), Value::Interval(b)) => a.compare(b),
            // SQL never compares json (the binder refuses it, 42883); this order
            // is only for Rust's collections (a constant's key in a plan cache).
            (Value::Json(a), Value::Json(b)) => a.cmp(b),
            _ => self.family().cmp(&other.family()),
        }
    }
}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Value {}

impl Hash for Value {
    /// Consistent with `Eq`: integers hash by value whatever their width, floats by
    /// their normalized bits, numerics by their normalized form.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.family().hash(state);
        match self {
            Value::Null => {}
            Value::Bool(b) => b.hash(state),
            Value::Int2(_) | Value::Int4(_) | Value::Int8(_) => self.as_i64().hash(state),
            Value::Float4(_) | Value::Float8(_) => {
                let f = self.as_f64().unwrap_or(0.0);
                let normalized = if f.is_nan() {
                    f64::NAN.to_bits()
                } else if f == 0.0 {
                    0
                } else {
                    f.to_bits()
                };
                normalized.hash(state)
            }
            Value::Numeric(d) => d.normalize().hash(state),
            Value::Text(s) | Value::Json(s) => s.hash(state),
            Value::Jsonb(s) => canonical_jsonb(s).hash(state),
            Value::Bytea(b) => b.hash(state),
            Value::Timestamp(t) | Value::Timestamptz(t) => t.hash(state),
            Value::Date(d) => d.hash(state),
            Value::Uuid(u) => u.hash(state),
            Value::Array(items) => items.hash(state),
            // By length, as they compare: '1 mon' and '30 days' are equal.
            Value::Interval(i) => i.comparison_key().hash(state),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Integers of different widths are equal by value and hash alike, as the
    /// `Hash`/`Eq` contract requires for hash aggregation.
    #[test]
    fn integers_compare_across_widths() {
        use std::collections::hash_map::DefaultHasher;
        let hash = |v: &Value| {
            let mut h = DefaultHasher::new();
            v.hash(&mut h);
            h.finish()
        };
        assert_eq!(Value::Int2(7), Value::Int8(7));
        assert_eq!(hash(&Value::Int2(7)), hash(&Value::Int8(7)));
        assert!(Value::Int4(-1) < Value::Int8(0));
    }

    /// NaN sorts above infinity and -0 equals 0, as in PostgreSQL.
    #[test]
    fn float_order_matches_postgres() {
        assert!(Value::Float8(f64::NAN) > Value::Float8(f64::INFINITY));
        assert_eq!(Value::Float8(f64::NAN), Value::Float8(f64::NAN));
        assert_eq!(Value::Float8(-0.0), Value::Float8(0.0));
    }

    /// NULL sorts after every value (ascending NULLS LAST).
    #[test]
    fn null_sorts_last() {
        assert!(Value::Null > Value::Int8(i64::MAX));
        assert!(Value::Null > Value::Text("zzz".into()));
    }
}
