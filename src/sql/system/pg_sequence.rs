//! `pg_sequence`, `pg_sequences` and `information_schema.sequences`: every
//! sequence with its type, bounds and step (psql's `\d` of a sequence reads the
//! first, tools the others).

use crate::db::{Database, Sequence};
use crate::types::{DataType, OidAlias, Value};

use super::catalog::{self as c, NAME, OID};
use super::registry::{Schema, SystemRelation};
use super::SystemSnapshot;

const INT8: DataType = DataType::Int8;
const BOOL: DataType = DataType::Bool;
const TEXT: DataType = DataType::Text;
const INT4: DataType = DataType::Int4;

pub const CATALOG: SystemRelation = SystemRelation {
    name: "pg_sequence",
    schema: Schema::PgCatalog,
    columns: &[
        ("seqrelid", OID),
        ("seqtypid", OID),
        ("seqstart", INT8),
        ("seqincrement", INT8),
        ("seqmax", INT8),
        ("seqmin", INT8),
        ("seqcache", INT8),
        ("seqcycle", BOOL),
    ],
    rows: catalog_rows,
};

pub const VIEW: SystemRelation = SystemRelation {
    name: "pg_sequences",
    schema: Schema::PgCatalog,
    columns: &[
        ("schemaname", NAME),
        ("sequencename", NAME),
        ("sequenceowner", NAME),
        ("data_type", DataType::Oid(OidAlias::RegType)),
        ("start_value", INT8),
        ("min_value", INT8),
        ("max_value", INT8),
        ("increment_by", INT8),
        ("cycle", BOOL),
        ("cache_size", INT8),
        ("last_value", INT8),
    ],
    rows: view_rows,
};

pub const STANDARD: SystemRelation = SystemRelation {
    name: "sequences",
    schema: Schema::Standard,
    columns: &[
        ("sequence_catalog", NAME),
        ("sequence_schema", NAME),
        ("sequence_name", NAME),
        ("data_type", TEXT),
        ("numeric_precision", INT4),
        ("numeric_precision_radix", INT4),
        ("numeric_scale", INT4),
        ("start_value", TEXT),
        ("minimum_value", TEXT),
        ("maximum_value", TEXT),
        ("increment", TEXT),
        ("cycle_option", TEXT),
    ],
    rows: standard_rows,
};

/// True if `sequence` belongs to an identity column.
pub(super) fn owner_is_identity(db: &Database, sequence: &Sequence) -> bool {
    sequence.schema().owned_by.is_some_and(|(table, position)| {
        db.find_table(table)
            .and_then(|t| t.schema().columns.get(position))
            .is_some_and(|column| column.identity.is_some())
    })
}

fn catalog_rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    snapshot
        .db
        .sequences()
        .map(|sequence| {
            let s = sequence.schema();
            vec![
                c::oid(s.id),
                c::oid(s.data_type.oid()),
                Value::Int8(s.start),
                Value::Int8(s.increment),
                Value::Int8(s.max),
                Value::Int8(s.min),
                Value::Int8(s.cache),
                Value::Bool(s.cycle),
            ]
        })
        .collect()
}

fn view_rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    snapshot
        .db
        .sequences()
        .map(|sequence| {
            let (s, state) = (sequence.schema(), sequence.state());
            vec![
                c::name("public"),
                c::name(&s.name),
                c::name(snapshot.user),
                c::oid(s.data_type.oid()),
                Value::Int8(s.start),
                Value::Int8(s.min),
                Value::Int8(s.max),
                Value::Int8(s.increment),
                Value::Bool(s.cycle),
                Value::Int8(s.cache),
                // NULL until the first nextval, as PostgreSQL shows it.
                if state.is_called {
                    Value::Int8(state.last_value)
                } else {
                    Value::Null
                },
            ]
        })
        .collect()
}

/// As PostgreSQL 15 lists them: not those of identity columns.
fn standard_rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    let db = snapshot.db;
    db.sequences()
        .filter(|sequence| !owner_is_identity(db, sequence))
        .map(|sequence| {
            let s = sequence.schema();
            let bits = match s.data_type {
                DataType::Int2 => 16,
                DataType::Int4 => 32,
                _ => 64,
            };
            let text = |n: i64| Value::Text(n.to_string());
            vec![
                c::name(snapshot.database),
                c::name("public"),
                c::name(&s.name),
                Value::Text(s.data_type.to_string()),
                c::int4(bits),
                c::int4(2),
                c::int4(0),
                text(s.start),
                text(s.min),
                text(s.max),
                text(s.increment),
                Value::Text(if s.cycle { "YES" } else { "NO" }.into()),
            ]
        })
        .collect()
}
