//! `pg_type`: the built-in types Turnstile has, with PostgreSQL's OIDs and names,
//! and the array types of them.

use crate::types::{DataType, Value};

use super::catalog::{self as c, CHAR, NAME, OID, REGPROC};
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
        DataType::Array(_) => "A",
        DataType::Bool => "B",
        DataType::Date | DataType::Timestamp | DataType::Timestamptz => "D",
        t if t.is_numeric() || matches!(t, DataType::Oid(_)) => "N",
        DataType::Text
        | DataType::Varchar(_)
        | DataType::Bpchar(_)
        | DataType::Name
        | DataType::InternalChar => "S",
        DataType::Unknown => "X",
        _ => "U",
    }
}

fn rows(_: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    DataType::builtin()
        .map(|ty| {
            let size = ty.type_size();
            let (element, array) = match ty {
                DataType::Array(element) => (element.oid(), 0),
                other => (0, other.array_of().map_or(0, DataType::oid)),
            };
            vec![
                c::oid(ty.oid()),
                c::name(&type_name(ty)),
                c::oid(c::PG_CATALOG_OID),
                c::oid(c::OWNER_OID),
                Value::Int2(size),
                c::boolean((1..=8).contains(&size)),
                c::name(if ty == DataType::Unknown { "p" } else { "b" }),
                c::name(category(ty)),
                c::boolean(matches!(
                    ty,
                    DataType::Text | DataType::Float8 | DataType::Bool
                )),
                c::boolean(true),
                c::name(","),
                c::oid(0),
                c::oid(element),
                c::oid(array),
                c::oid(0),
                c::oid(0),
                c::oid(0),
                c::oid(0),
                c::name(if size == 8 { "d" } else { "i" }),
                c::name(if size == -1 { "x" } else { "p" }),
                c::boolean(false),
                c::oid(0),
                c::int4(-1),
                c::int4(0),
                c::oid(c::collation_of(ty)),
                Value::Null,
            ]
        })
        .collect()
}
