//! `pg_namespace`: the schemas — `pg_catalog`, `public`, `information_schema` and
//! an empty `pg_toast`, with PostgreSQL's OIDs and privileges; and
//! `pg_init_privs`, their privileges as initdb left them.

use crate::types::{DataType, Value};

use super::catalog::{self as c, CHAR, NAME, OID, TEXT_ARRAY};
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

/// `pg_init_privs`: the privileges objects had after initdb, which pg_dump
/// compares with to dump only what changed since; the two schemas with
/// privileges of their own that pg_dump dumps, `pg_catalog` and `public`.
pub const INIT_PRIVS: SystemRelation = SystemRelation {
    name: "pg_init_privs",
    schema: Schema::PgCatalog,
    columns: &[
        ("objoid", OID),
        ("classoid", OID),
        ("objsubid", DataType::Int4),
        ("privtype", CHAR),
        ("initprivs", TEXT_ARRAY),
    ],
    rows: |snapshot: &SystemSnapshot<'_>| {
        let pg_namespace = super::find(None, "pg_namespace").map_or(0, |id| id.oid());
        SCHEMAS
            .iter()
            .filter(|(oid, _, _)| [c::PG_CATALOG_OID, c::PUBLIC_OID].contains(oid))
            .map(|(oid, _, owner)| {
                vec![
                    c::oid(*oid),
                    c::oid(pg_namespace),
                    c::int4(0),
                    // Set by initdb.
                    c::name("i"),
                    privileges(*oid, *owner, snapshot.user),
                ]
            })
            .collect()
    },
};

/// PostgreSQL's comments on its schemas (`pg_description`, `obj_description`).
pub const SCHEMA_COMMENTS: &[(u32, &str)] = &[
    (c::PG_CATALOG_OID, "system catalog schema"),
    (99, "reserved schema for TOAST tables"),
    (c::PUBLIC_OID, "standard public schema"),
];

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

/// True if `name` is one of the schemas.
pub fn schema_exists(name: &str) -> bool {
    SCHEMAS.iter().any(|(_, schema, _)| *schema == name)
}

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

fn rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    SCHEMAS
        .iter()
        .map(|(oid, name, owner)| {
            vec![
                c::oid(*oid),
                c::name(name),
                c::oid(*owner),
                privileges(*oid, *owner, snapshot.user),
            ]
        })
        .collect()
}

/// `nspacl`: PostgreSQL's after initdb, its owner's `USAGE` and `CREATE` and
/// everyone's `USAGE` (none for `pg_toast`). pg_dump writes GRANTs and
/// REVOKEs for any difference from them.
fn privileges(oid: u32, owner: u32, user: &str) -> Value {
    if oid == 99 {
        return Value::Null;
    }
    let owner = super::pg_roles::acl_role(user, owner);
    Value::Array(vec![
        Value::Text(format!("{owner}=UC/{owner}")),
        Value::Text(format!("=U/{owner}")),
    ])
}
