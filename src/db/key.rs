//! Row keys: how a table and its indexes order and find rows.

use std::cmp::Ordering;
use std::sync::Arc;

use crate::types::Value;

/// The key a table stores a row under: its primary key, or a hidden row id for a
/// table without one.
///
/// A single integer column (the common `id BIGINT PRIMARY KEY`) is kept inline as
/// `Int`, so the key costs 16 bytes and compares as one integer; every other primary
/// key keeps its values behind one shared pointer, so handing a key out of a scan
/// costs a reference count, not a copy. A table uses one form for all its rows,
/// so the two forms never meet in one map.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    Int(i64),
    Composite(Arc<CompositeKey>),
}

/// The values of a primary key that is not a single integer.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CompositeKey(pub Vec<Value>);

impl Key {
    /// Compares the first `prefix.len()` key columns with `prefix`. Used to walk a
    /// range of a primary key given bounds on its leading columns.
    pub fn compare_prefix(&self, prefix: &[Value]) -> Ordering {
        match self {
            Key::Int(i) => match prefix.first() {
                None => Ordering::Equal,
                Some(v) => Value::Int8(*i).cmp(v),
            },
            Key::Composite(c) => compare_prefix(&c.0, prefix),
        }
    }

    /// The smallest key of either form, the start of a scan from the beginning.
    pub fn min() -> Key {
        Key::Int(i64::MIN)
    }
}

/// Lexicographic comparison of `values[..prefix.len()]` with `prefix`.
pub fn compare_prefix(values: &[Value], prefix: &[Value]) -> Ordering {
    for (v, p) in values.iter().zip(prefix) {
        match v.cmp(p) {
            Ordering::Equal => continue,
            other => return other,
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The inline form keeps the primary key map small: 16 bytes a key.
    #[test]
    fn key_is_two_words() {
        assert_eq!(std::mem::size_of::<Key>(), 16);
    }
}
