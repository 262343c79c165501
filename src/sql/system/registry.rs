//! The registry of system relations: their names, columns and row functions.

use crate::types::{DataType, Value};

use super::{
    information_schema, pg_attribute, pg_class, pg_empty, pg_index, pg_namespace, pg_proc,
    pg_roles, pg_sequence, pg_settings, pg_type, pg_views, turnstile_lock, turnstile_routines,
    turnstile_wal, SystemSnapshot,
};

/// The schema a system relation is in, which decides how it is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// Turnstile's own (`turnstile_wal`): unqualified or `public.`; the name is
    /// reserved.
    Turnstile,
    /// `pg_catalog`: unqualified (pg_catalog is first on the search path, as in
    /// PostgreSQL) or `pg_catalog.`; the name is reserved.
    PgCatalog,
    /// `information_schema`: only qualified, so its names stay free for user tables.
    Standard,
}

/// One system relation.
pub struct SystemRelation {
    /// The name it is referred to by (lower case).
    pub name: &'static str,
    /// Where it lives, see [`Schema`].
    pub schema: Schema,
    /// Its columns, in order.
    pub columns: &'static [(&'static str, DataType)],
    /// Computes its rows, one value per column each.
    pub rows: fn(&SystemSnapshot<'_>) -> Vec<Vec<Value>>,
}

/// Every system relation. Its position is its [`SystemRelationId`].
const RELATIONS: &[SystemRelation] = &[
    turnstile_wal::RELATION,
    turnstile_routines::RELATION,
    pg_class::RELATION,
    pg_namespace::RELATION,
    pg_attribute::RELATION,
    pg_attribute::ATTRDEF,
    pg_type::RELATION,
    pg_index::RELATION,
    pg_index::CONSTRAINT,
    pg_proc::RELATION,
    pg_roles::DATABASE,
    pg_roles::ROLES,
    pg_roles::USER,
    pg_roles::AUTH_MEMBERS,
    pg_settings::RELATION,
    pg_empty::AM,
    pg_empty::TABLESPACE,
    pg_empty::COLLATION,
    pg_empty::DESCRIPTION,
    pg_empty::INHERITS,
    pg_empty::PARTITIONED_TABLE,
    pg_empty::TRIGGER,
    pg_empty::POLICY,
    pg_empty::REWRITE,
    pg_empty::EXTENSION,
    pg_empty::STATISTIC_EXT,
    pg_empty::PUBLICATION,
    pg_empty::PUBLICATION_NAMESPACE,
    pg_empty::PUBLICATION_REL,
    information_schema::TABLES,
    information_schema::COLUMNS,
    information_schema::SCHEMATA,
    information_schema::ROUTINES,
    turnstile_lock::STATS,
    turnstile_lock::PHASES,
    // Appended: a relation's position is its OID.
    pg_views::TABLES,
    pg_views::INDEXES,
    information_schema::TABLE_CONSTRAINTS,
    information_schema::KEY_COLUMN_USAGE,
    information_schema::CHECK_CONSTRAINTS,
    information_schema::REFERENTIAL_CONSTRAINTS,
    pg_empty::RANGE,
    pg_sequence::CATALOG,
    pg_sequence::VIEW,
    pg_sequence::STANDARD,
    pg_sequence::DEPEND,
    pg_views::VIEWS,
];

/// A system relation, as a plan refers to it: a position in the registry, fixed
/// for the life of the binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SystemRelationId(usize);

impl SystemRelationId {
    /// The relation this id names.
    pub fn relation(self) -> &'static SystemRelation {
        &RELATIONS[self.0]
    }

    /// Its `pg_class` OID: fixed for the binary, below the OIDs of user objects.
    pub fn oid(self) -> u32 {
        SYSTEM_OID_BASE + self.0 as u32
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

/// Where the `pg_class` OIDs of system relations start (PostgreSQL assigns those
/// of its initdb-time objects in 10000..16384 too).
const SYSTEM_OID_BASE: u32 = 12_000;

/// Every system relation, with its id.
pub fn all() -> impl Iterator<Item = SystemRelationId> {
    (0..RELATIONS.len()).map(SystemRelationId)
}

/// The system relation `schema.name` (already folded), if there is one; without a
/// schema, the ones on the search path.
pub fn find(schema: Option<&str>, name: &str) -> Option<SystemRelationId> {
    let in_schema = |r: &SystemRelation| match schema {
        None => r.schema != Schema::Standard,
        Some("public") => r.schema == Schema::Turnstile,
        Some("pg_catalog") => r.schema != Schema::Standard,
        Some("information_schema") => r.schema == Schema::Standard,
        Some(_) => false,
    };
    RELATIONS
        .iter()
        .position(|r| r.name == name && in_schema(r))
        .map(SystemRelationId)
}

/// True if `name` belongs to a system relation on the search path and so cannot
/// name a user table, view or index.
pub fn is_reserved(name: &str) -> bool {
    find(None, name).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names are unique, lower case, and found; others are not.
    #[test]
    fn names_are_unique_and_found() {
        for (i, r) in RELATIONS.iter().enumerate() {
            let schema = match r.schema {
                Schema::Turnstile => "public",
                Schema::PgCatalog => "pg_catalog",
                Schema::Standard => "information_schema",
            };
            assert_eq!(find(Some(schema), r.name), Some(SystemRelationId(i)));
            assert_eq!(r.name, r.name.to_lowercase());
        }
        assert_eq!(find(None, "Turnstile_WAL"), None);
        assert!(is_reserved("pg_class"));
        assert!(!is_reserved("accounts"));
        // information_schema's names are free for user tables.
        assert!(!is_reserved("tables"));
    }
}
