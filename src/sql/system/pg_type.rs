//! `pg_type`: the built-in types Turnstile has, with PostgreSQL's OIDs and names,
//! and the array types of them.

use crate::types::{DataType, OidAlias, Value};

use super::catalog::{self as c, CHAR, NAME, OID, REGPROC, TEXT_ARRAY};
use super::registry::{Schema, SystemRelation};
use super::SystemSnapshot;

pub const RELATION: SystemRelation = SystemRelation {
    name: "pg_type",
    schema: Schema::PgCatalog,
    columns: &[
        ("oid", OID),
        ("typname", NAME),
        ("typnamespace", OID),
        ("typowner", OID),
        ("typlen", DataType::Int2),
        ("typbyval", DataType::Bool),
        ("typtype", CHAR),
        ("typcategory", CHAR),
        ("typispreferred", DataType::Bool),
        ("typisdefined", DataType::Bool),
        ("typdelim", CHAR),
        ("typrelid", OID),
        ("typelem", OID),
        ("typarray", OID),
        ("typinput", REGPROC),
        ("typoutput", REGPROC),
        ("typreceive", REGPROC),
        ("typsend", REGPROC),
        ("typalign", CHAR),
        ("typstorage", CHAR),
        ("typnotnull", DataType::Bool),
        ("typbasetype", OID),
        ("typtypmod", DataType::Int4),
        ("typndims", DataType::Int4),
        ("typcollation", OID),
        ("typdefault", DataType::Text),
        ("typacl", TEXT_ARRAY),
    ],
    rows,
};

/// `pg_type.typname`: the internal name, `_` before an array's element's.
pub fn type_name(ty: DataType) -> String {
    match ty {
        DataType::Array(element) => format!("_{}", element.internal_name().unwrap_or("")),
        other => other.internal_name().unwrap_or("unknown").to_owned(),
    }
}

/// PostgreSQL's `typcategory`.
fn category(ty: DataType) -> &'static str {
    match ty {
        DataType::Array(_) | DataType::Vector(_) => "A",
        DataType::Bool => "B",
        DataType::Date | DataType::Timestamp | DataType::Timestamptz => "D",
        DataType::Interval => "T",
        t if t.is_numeric() || matches!(t, DataType::Oid(_)) => "N",
        DataType::Text | DataType::Varchar(_) | DataType::Bpchar(_) | DataType::Name => "S",
        // PostgreSQL's "internal use" category.
        DataType::InternalChar => "Z",
        DataType::Unknown => "X",
        DataType::Void => "P",
        _ => "U",
    }
}

/// `typarray`: the OID of PostgreSQL's array type of `ty`; 0 for an array or
/// `unknown`. Turnstile holds arrays of some types only (`DataType::array_of`,
/// whose arrays have rows here) and makes `oid[]` of any OID alias, but a client
/// reading the catalog expects PostgreSQL's OID either way (`date` → `_date`).
fn array_type_oid(ty: DataType) -> u32 {
    match ty {
        DataType::Bytea => 1001,
        DataType::Bpchar(_) => 1014,
        DataType::Timestamp => 1115,
        DataType::Date => 1182,
        DataType::Timestamptz => 1185,
        DataType::Numeric(_) => 1231,
        DataType::Uuid => 2951,
        DataType::Jsonb => 3807,
        DataType::Oid(OidAlias::RegProc) => 1008,
        DataType::Oid(OidAlias::RegClass) => 2210,
        DataType::Oid(OidAlias::RegType) => 2211,
        DataType::Oid(OidAlias::RegNamespace) => 4090,
        DataType::Oid(OidAlias::RegRole) => 4097,
        DataType::Vector(DataType::Int2) => 1006,
        DataType::Vector(_) => 1013,
        other => other.array_of().map_or(0, DataType::oid),
    }
}

/// `typelem`: an array's element type; and `name`'s, `"char"`: PostgreSQL stores a
/// name as a fixed-length array of them.
fn element_type_oid(ty: DataType) -> u32 {
    match ty {
        DataType::Array(element) | DataType::Vector(element) => element.oid(),
        DataType::Name => DataType::InternalChar.oid(),
        _ => 0,
    }
}

/// `typispreferred`: the type an expression of its category resolves to when in
/// doubt, as PostgreSQL marks them.
fn is_preferred(ty: DataType) -> bool {
    matches!(
        ty,
        DataType::Bool
            | DataType::Text
            | DataType::Float8
            | DataType::Timestamptz
            | DataType::Interval
            | DataType::Oid(OidAlias::Oid)
    )
}

/// `typalign`: `c`har, `s`hort, `i`nt or `d`ouble, from the size as PostgreSQL
/// sets it (variable-length types are int-aligned; `name`, `uuid` and `unknown`
/// byte-aligned); an array is int-aligned unless its element is double-aligned.
pub(super) fn alignment(ty: DataType) -> &'static str {
    if let DataType::Array(element) = ty {
        return if alignment(*element) == "d" { "d" } else { "i" };
    }
    match ty.type_size() {
        // interval's three fields hold an int8.
        _ if ty == DataType::Interval => "d",
        8 => "d",
        4 | -1 => "i",
        2 => "s",
        _ => "c",
    }
}

/// `typstorage`: `p`lain for fixed-size types; variable-length ones may be
/// compressed and moved out of line (`x`), `numeric` only compressed (`m`).
pub(super) fn storage(ty: DataType) -> &'static str {
    match ty {
        DataType::Numeric(_) => "m",
        DataType::Vector(_) => "p",
        _ if ty.type_size() == -1 => "x",
        _ => "p",
    }
}

fn rows(_: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    DataType::builtin()
        .map(|ty| {
            let size = ty.type_size();
            vec![
                c::oid(ty.oid()),
                c::name(&type_name(ty)),
                c::oid(c::PG_CATALOG_OID),
                c::oid(c::OWNER_OID),
                Value::Int2(size),
                c::boolean((1..=8).contains(&size)),
                c::name(if matches!(ty, DataType::Unknown | DataType::Void) {
                    "p"
                } else {
                    "b"
                }),
                c::name(category(ty)),
                c::boolean(is_preferred(ty)),
                c::boolean(true),
                c::name(","),
                c::oid(0),
                c::oid(element_type_oid(ty)),
                c::oid(array_type_oid(ty)),
                c::oid(0),
                c::oid(0),
                c::oid(0),
                c::oid(0),
                c::name(alignment(ty)),
                c::name(storage(ty)),
                c::boolean(false),
                c::oid(0),
                c::int4(-1),
                c::int4(0),
                c::oid(c::collation_of(ty)),
                Value::Null,
                Value::Null,
            ]
        })
        .collect()
}
