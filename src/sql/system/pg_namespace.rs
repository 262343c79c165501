//! `pg_namespace`: the schemas — `pg_catalog`, `public`, `information_schema` and
//! an empty `pg_toast`, with PostgreSQL's OIDs.

use crate::types::Value;

use super::catalog::{self as c, NAME, OID, TEXT_ARRAY};
use super::registry::{Schema, SystemRelation};
use super::SystemSnapshot;

pub const RELATION: SystemRelation = SystemRelation {
    name: "pg_namespace",
    schema: Schema::PgCatalog,
    columns: &[
        ("oid", OID),
        ("nspname", NAME),
        ("nspowner", OID),
        ("nspacl", TEXT_ARRAY),
    ],
    rows,
};

/// Every schema: (OID, name, owner).
pub const SCHEMAS: &[(u32, &str, u32)] = &[
    (c::PG_CATALOG_OID, "pg_catalog", c::OWNER_OID),
    (99, "pg_toast", c::OWNER_OID),
    (c::PUBLIC_OID, "public", c::DATABASE_OWNER_OID),
    (
        c::INFORMATION_SCHEMA_OID,
        "information_schema",
        c::OWNER_OID,
    ),
];

/// The schemas whose objects are found by their bare names, as PostgreSQL's
/// default search path (`pg_catalog` implicitly, then `"$user", public`) finds
/// them: `information_schema` is not among them, so `tables` never means
/// `information_schema.tables`.
pub fn is_on_search_path(namespace: u32) -> bool {
    namespace == c::PG_CATALOG_OID || namespace == c::PUBLIC_OID
}

/// The name of the schema with OID `oid`.
pub fn schema_name(oid: u32) -> Option<&'static str> {
    SCHEMAS
        .iter()
        .find(|(o, _, _)| *o == oid)
        .map(|(_, n, _)| *n)
}

fn rows(_: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    SCHEMAS
        .iter()
        .map(|(oid, name, owner)| vec![c::oid(*oid), c::name(name), c::oid(*owner), Value::Null])
        .collect()
}
