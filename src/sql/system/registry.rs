//! The registry of system relations: their names, columns and row functions.

use crate::types::{DataType, Value};

use super::{turnstile_routines, turnstile_wal, SystemSnapshot};

/// One system relation.
pub struct SystemRelation {
    /// The name it is referred to by (lower case, unqualified or `public.`).
    pub name: &'static str,
    /// Its columns, in order.
    pub columns: &'static [(&'static str, DataType)],
    /// Computes its rows, one value per column each.
    pub rows: fn(&SystemSnapshot<'_>) -> Vec<Vec<Value>>,
}

/// Every system relation. Its position is its [`SystemRelationId`].
const RELATIONS: &[SystemRelation] = &[turnstile_wal::RELATION, turnstile_routines::RELATION];

/// A system relation, as a plan refers to it: a position in the registry, fixed
/// for the life of the binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SystemRelationId(usize);

impl SystemRelationId {
    /// The relation this id names.
    pub fn relation(self) -> &'static SystemRelation {
        &RELATIONS[self.0]
    }

    /// Its rows, computed now from `snapshot`.
    pub fn rows(self, snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
        let relation = self.relation();
        let rows = (relation.rows)(snapshot);
        // A row function that disagrees with its own columns is a bug in it.
        assert!(
            rows.iter().all(|r| r.len() == relation.columns.len()),
            "system relation {} computed a row of the wrong width",
            relation.name
        );
        rows
    }
}

/// The system relation named `name` (already folded), if there is one.
pub fn find(name: &str) -> Option<SystemRelationId> {
    RELATIONS
        .iter()
        .position(|r| r.name == name)
        .map(SystemRelationId)
}

/// True if `name` belongs to a system relation and so cannot name a user table,
/// view or index.
pub fn is_reserved(name: &str) -> bool {
    find(name).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names are unique, lower case, and found; others are not.
    #[test]
    fn names_are_unique_and_found() {
        for (i, r) in RELATIONS.iter().enumerate() {
            assert_eq!(find(r.name), Some(SystemRelationId(i)));
            assert_eq!(r.name, r.name.to_lowercase());
        }
        assert_eq!(find("Turnstile_WAL"), None);
        assert!(!is_reserved("accounts"));
    }
}
