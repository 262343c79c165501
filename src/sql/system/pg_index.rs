//! `pg_index` and `pg_constraint`: every index (primary keys included); the
//! constraints indexes back, primary keys and UNIQUE constraints (a `CREATE
//! UNIQUE INDEX` is an index only, as in PostgreSQL; see
//! `IndexInfo::is_constraint`); CHECK constraints and foreign keys.

use crate::types::{DataType, Value};

use super::catalog::{self as c, Kind, CHAR, INT2_ARRAY, NAME, OID, OID_ARRAY};
use super::registry::{Schema, SystemRelation};
use super::SystemSnapshot;

pub const RELATION: SystemRelation = SystemRelation {
    name: "pg_index",
    schema: Schema::PgCatalog,
    columns: &[
        ("indexrelid", OID),
        ("indrelid", OID),
        ("indnatts", DataType::Int2),
        ("indnkeyatts", DataType::Int2),
        ("indisunique", DataType::Bool),
        ("indnullsnotdistinct", DataType::Bool),
        ("indisprimary", DataType::Bool),
        ("indisexclusion", DataType::Bool),
        ("indimmediate", DataType::Bool),
        ("indisclustered", DataType::Bool),
        ("indisvalid", DataType::Bool),
        ("indcheckxmin", DataType::Bool),
        ("indisready", DataType::Bool),
        ("indislive", DataType::Bool),
        ("indisreplident", DataType::Bool),
        // int2vector in PostgreSQL, shown here as int2[] (so subscripts start at 1).
        ("indkey", INT2_ARRAY),
        ("indcollation", OID_ARRAY),
        ("indclass", OID_ARRAY),
        ("indoption", INT2_ARRAY),
        ("indexprs", DataType::Text),
        ("indpred", DataType::Text),
    ],
    rows,
};

pub const CONSTRAINT: SystemRelation = SystemRelation {
    name: "pg_constraint",
    schema: Schema::PgCatalog,
    columns: &[
        ("oid", OID),
        ("conname", NAME),
        ("connamespace", OID),
        ("contype", CHAR),
        ("condeferrable", DataType::Bool),
        ("condeferred", DataType::Bool),
        ("convalidated", DataType::Bool),
        ("conrelid", OID),
        ("contypid", OID),
        ("conindid", OID),
        ("conparentid", OID),
        ("confrelid", OID),
        ("confupdtype", CHAR),
        ("confdeltype", CHAR),
        ("confmatchtype", CHAR),
        ("conislocal", DataType::Bool),
        ("coninhcount", DataType::Int4),
        ("connoinherit", DataType::Bool),
        ("conkey", INT2_ARRAY),
        ("confkey", INT2_ARRAY),
        ("conbin", DataType::Text),
    ],
    rows: constraint_rows,
};

fn rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    c::indexes(snapshot.db)
        .iter()
        .map(|index| {
            let n = index.columns.len();
            let collations = index
                .columns
                .iter()
                .map(|&p| c::oid(c::collation_of(index.table.columns[p].data_type)))
                .collect();
            vec![
                c::oid(index.oid()),
                c::oid(index.table.id),
                c::int2(n),
                c::int2(n),
                c::boolean(index.unique),
                c::boolean(false),
                c::boolean(index.primary),
                c::boolean(false),
                c::boolean(true),
                c::boolean(false),
                c::boolean(true),
                c::boolean(false),
                c::boolean(true),
                c::boolean(true),
                c::boolean(false),
                c::column_numbers(&index.columns),
                Value::Array(collations),
                Value::Array(vec![c::oid(0); n]),
                Value::Array(vec![c::int2(0); n]),
                Value::Null,
                Value::Null,
            ]
        })
        .collect()
}

/// The OID of the constraint called `constraint_name`.
pub fn constraint_oid(constraint_name: &str) -> u32 {
    c::oid_of(Kind::Constraint, constraint_name)
}

fn constraint_rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    let checks = c::checks(snapshot.db).into_iter().map(|check| {
        vec![
            c::oid(check.oid()),
            c::name(&check.check.name),
            c::oid(c::PUBLIC_OID),
            c::name("c"),
            c::boolean(false),
            c::boolean(false),
            c::boolean(check.check.validated),
            c::oid(check.table.id),
            c::oid(0),
            c::oid(0),
            c::oid(0),
            c::oid(0),
            c::name(" "),
            c::name(" "),
            c::name(" "),
            c::boolean(true),
            c::int4(0),
            c::boolean(check.check.no_inherit),
            check.column_numbers(),
            Value::Null,
            // PostgreSQL's is a node tree; the condition's text stands in for it.
            Value::Text(check.check.expr.clone()),
        ]
    });
    let foreign_keys = c::foreign_keys(snapshot.db).into_iter().map(|info| {
        let key = info.key;
        let index = info
            .unique_constraint(snapshot.db)
            .map_or(0, |(name, _)| c::oid_of(Kind::Index, &name));
        vec![
            c::oid(info.oid()),
            c::name(&key.name),
            c::oid(c::PUBLIC_OID),
            c::name("f"),
            c::boolean(key.deferrable),
            c::boolean(key.initially_deferred),
            c::boolean(key.validated),
            c::oid(info.table.id),
            c::oid(0),
            c::oid(index),
            c::oid(0),
            c::oid(info.referenced.id),
            c::name(c::action_code(key.on_update)),
            c::name(c::action_code(key.on_delete)),
            c::name(if key.match_full { "f" } else { "s" }),
            c::boolean(true),
            c::int4(0),
            c::boolean(true),
            c::column_numbers(&key.columns),
            c::column_numbers(&key.referenced_columns),
            Value::Null,
        ]
    });
    let keys = c::indexes(snapshot.db)
        .iter()
        .filter(|index| index.is_constraint())
        .map(|index| {
            vec![
                c::oid(constraint_oid(&index.name)),
                c::name(&index.name),
                c::oid(c::PUBLIC_OID),
                c::name(index.constraint_type().1),
                c::boolean(false),
                c::boolean(false),
                c::boolean(true),
                c::oid(index.table.id),
                c::oid(0),
                c::oid(index.oid()),
                c::oid(0),
                c::oid(0),
                c::name(" "),
                c::name(" "),
                c::name(" "),
                c::boolean(true),
                c::int4(0),
                c::boolean(true),
                c::column_numbers(&index.columns),
                Value::Null,
                Value::Null,
            ]
        })
        .collect::<Vec<_>>();
    keys.into_iter().chain(checks).chain(foreign_keys).collect()
}
