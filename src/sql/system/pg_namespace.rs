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

fn rows(_: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    SCHEMAS
        .iter()
        .map(|(oid, name, owner)| vec![c::oid(*oid), c::name(name), c::oid(*owner), Value::Null])
        .collect()
}
