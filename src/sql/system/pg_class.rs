//! `pg_class`: every relation — tables, their indexes, views, sequences, and the system
//! relations (in `pg_catalog` or `information_schema`).

use crate::db::{Database, TableSchema};
use crate::types::{quote_ident, DataType, Value};

use super::catalog::{self as c, Kind, CHAR, NAME, OID, TEXT_ARRAY};
use super::registry::{Schema, SystemRelation};
use super::{all, pg_namespace, SystemSnapshot};

/// `pg_statio_all_tables`: a row per table (Sequelize's describeTable joins it
/// to find comments). Turnstile counts no block reads or hits, so the counters
/// are NULL: unknown, not zero.
pub const STATIO_ALL_TABLES: SystemRelation = SystemRelation {
    name: "pg_statio_all_tables",
    schema: Schema::PgCatalog,
    columns: STATIO_COLUMNS,
    rows: statio_rows,
};

/// `pg_statio_user_tables`: the same rows, every table being a user's (the
/// system catalogs are views here, see `pg_class`'s `relkind`).
pub const STATIO_USER_TABLES: SystemRelation = SystemRelation {
    name: "pg_statio_user_tables",
    ..STATIO_ALL_TABLES
};

const STATIO_COLUMNS: &[(&str, DataType)] = &[
    ("relid", OID),
    ("schemaname", NAME),
    ("relname", NAME),
    ("heap_blks_read", DataType::Int8),
    ("heap_blks_hit", DataType::Int8),
    ("idx_blks_read", DataType::Int8),
    ("idx_blks_hit", DataType::Int8),
    ("toast_blks_read", DataType::Int8),
    ("toast_blks_hit", DataType::Int8),
    ("tidx_blks_read", DataType::Int8),
    ("tidx_blks_hit", DataType::Int8),
];

fn statio_rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    snapshot
        .db
        .tables()
        .map(|table| table_statistics_row(table.schema(), STATIO_COLUMNS.len()))
        .collect()
}

/// A row of a per-table statistics view of `width` columns: the table's
/// `relid`, `schemaname` and `relname`, then NULL for every count.
pub(super) fn table_statistics_row(schema: &TableSchema, width: usize) -> Vec<Value> {
    let mut row = vec![c::oid(schema.id), c::name("public"), c::name(&schema.name)];
    row.resize(width, Value::Null);
    row
}

pub const RELATION: SystemRelation = SystemRelation {
    name: "pg_class",
    schema: Schema::PgCatalog,
    columns: &[
        ("oid", OID),
        ("relname", NAME),
        ("relnamespace", OID),
        ("reltype", OID),
        ("reloftype", OID),
        ("relowner", OID),
        ("relam", OID),
        ("relfilenode", OID),
        ("reltablespace", OID),
        ("relpages", DataType::Int4),
        ("reltuples", DataType::Float4),
        ("relallvisible", DataType::Int4),
        ("reltoastrelid", OID),
        ("relhasindex", DataType::Bool),
        ("relisshared", DataType::Bool),
        ("relpersistence", CHAR),
        ("relkind", CHAR),
        ("relnatts", DataType::Int2),
        ("relchecks", DataType::Int2),
        ("relhasrules", DataType::Bool),
        ("relhastriggers", DataType::Bool),
        ("relhassubclass", DataType::Bool),
        ("relrowsecurity", DataType::Bool),
        ("relforcerowsecurity", DataType::Bool),
        ("relispopulated", DataType::Bool),
        ("relreplident", CHAR),
        ("relispartition", DataType::Bool),
        ("relrewrite", OID),
        // `xid` in PostgreSQL, the oldest transaction ids a vacuum left in the
        // table; Turnstile's rows carry none, so they are 0 (as PostgreSQL's
        // are for a relation without storage), shown as `oid`.
        ("relfrozenxid", OID),
        ("relminmxid", OID),
        ("relacl", TEXT_ARRAY),
        ("reloptions", TEXT_ARRAY),
        ("relpartbound", DataType::Text),
    ],
    rows,
};

/// One relation as `pg_class` and the `regclass` conversions see it.
pub struct RelationInfo {
    pub oid: u32,
    pub name: String,
    pub namespace: u32,
    /// `r` table, `i` index, `v` view, `S` sequence.
    pub kind: char,
    pub columns: usize,
    /// Rows, for tables (`reltuples`); -1 otherwise ("never counted").
    pub tuples: f32,
    pub has_index: bool,
    /// How many CHECK constraints it has (psql lists them only if some).
    pub checks: usize,
    /// True for a table with a foreign key or referenced by one: PostgreSQL
    /// makes them of triggers, and psql lists them only if it has some.
    pub has_triggers: bool,
}

impl RelationInfo {
    /// `pg_table_is_visible`: true if the bare name finds this relation. Its schema
    /// must be on the search path; no relation earlier on the path can hide it,
    /// since the names of `pg_catalog`'s relations are reserved (see `registry`).
    pub fn is_visible(&self) -> bool {
        pg_namespace::is_on_search_path(self.namespace)
    }
}

/// Every relation: user tables with their indexes, user views, system relations.
pub fn relations(db: &Database) -> Vec<RelationInfo> {
    let mut out = Vec::new();
    for table in db.tables() {
        let schema = table.schema();
        out.push(RelationInfo {
            oid: schema.id,
            name: schema.name.clone(),
            namespace: c::PUBLIC_OID,
            kind: 'r',
            columns: schema.columns.len(),
            tuples: table.len() as f32,
            has_index: schema.primary_key.is_some() || !table.indexes().is_empty(),
            checks: schema.checks.len(),
            has_triggers: !schema.foreign_keys.is_empty()
                || !db.references_to(schema.id).is_empty(),
        });
    }
    for index in c::indexes(db) {
        out.push(RelationInfo {
            oid: index.oid(),
            name: index.name.clone(),
            namespace: c::PUBLIC_OID,
            kind: 'i',
            columns: index.columns.len(),
            tuples: -1.0,
            has_index: false,
            checks: 0,
            has_triggers: false,
        });
    }
    for view in db.views() {
        out.push(RelationInfo {
            oid: c::oid_of(Kind::View, &view.name),
            name: view.name.clone(),
            namespace: c::PUBLIC_OID,
            kind: 'v',
            columns: super::pg_attribute::view_columns(db, &view.name).len(),
            tuples: -1.0,
            has_index: false,
            checks: 0,
            has_triggers: false,
        });
    }
    for sequence in db.sequences() {
        out.push(RelationInfo {
            oid: sequence.schema().id,
            name: sequence.schema().name.clone(),
            namespace: c::PUBLIC_OID,
            kind: 'S',
            // last_value, log_cnt, is_called, as PostgreSQL's sequence relation.
            columns: 3,
            tuples: 1.0,
            has_index: false,
            checks: 0,
            has_triggers: false,
        });
    }
    for id in all() {
        let relation = id.relation();
        out.push(RelationInfo {
            oid: id.oid(),
            name: relation.name.to_owned(),
            namespace: match relation.schema {
                Schema::Standard => c::INFORMATION_SCHEMA_OID,
                Schema::Turnstile | Schema::PgCatalog => c::PG_CATALOG_OID,
            },
            kind: 'v',
            columns: relation.columns.len(),
            tuples: -1.0,
            has_index: false,
            checks: 0,
            has_triggers: false,
        });
    }
    out
}

/// The OID of the relation `name` (`'t'::regclass`): user objects, then system
/// relations on the search path or qualified.
pub fn relation_oid(db: &Database, name: &str) -> Option<u32> {
    let (schema, bare) = match name.split_once('.') {
        Some((s, n)) => (Some(s), n),
        None => (None, name),
    };
    if schema.is_none() || schema == Some("public") {
        if let Some(oid) = user_relation_oid(db, bare) {
            return Some(oid);
        }
    }
    super::find(schema, bare).map(|id| id.oid())
}

/// The OID of the user relation `name`, found by name: `nextval('t_id_seq')`
/// reads it on every call, so it does not list every relation (which binds
/// every view's query) as [`relations`] does.
fn user_relation_oid(db: &Database, name: &str) -> Option<u32> {
    if let Some(table) = db.get_table(name) {
        return Some(table.schema().id);
    }
    if let Some(sequence) = db.get_sequence(name) {
        return Some(sequence.schema().id);
    }
    if db.get_view(name).is_some() {
        return Some(c::oid_of(Kind::View, name));
    }
    c::indexes(db)
        .into_iter()
        .find(|index| index.name == name)
        .map(|index| index.oid())
}

/// The name of the relation with OID `oid` as `regclass` prints it: qualified if
/// it is not visible, each part quoted where SQL needs it (`"Q T"`,
/// `information_schema.tables`); None for an OID that is no relation.
pub fn relation_name(db: &Database, oid: u32) -> Option<String> {
    let r = relations(db).into_iter().find(|r| r.oid == oid)?;
    let name = quote_ident(&r.name);
    if r.is_visible() {
        return Some(name);
    }
    let schema = pg_namespace::schema_name(r.namespace)?;
    Some(format!("{}.{name}", quote_ident(schema)))
}

fn rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    relations(snapshot.db)
        .into_iter()
        .map(|r| {
            let am = match r.kind {
                'r' => c::HEAP_AM_OID,
                'i' => c::BTREE_AM_OID,
                _ => 0,
            };
            vec![
                c::oid(r.oid),
                c::name(&r.name),
                c::oid(r.namespace),
                c::oid(0),
                c::oid(0),
                c::oid(c::OWNER_OID),
                c::oid(am),
                c::oid(if r.kind == 'v' { 0 } else { r.oid }),
                c::oid(0),
                c::int4(0),
                Value::Float4(r.tuples),
                c::int4(0),
                c::oid(0),
                c::boolean(r.has_index),
                c::boolean(false),
                c::name("p"),
                c::name(&r.kind.to_string()),
                c::int2(r.columns),
                c::int2(r.checks),
                // A view is a rule in PostgreSQL.
                c::boolean(r.kind == 'v'),
                c::boolean(r.has_triggers),
                c::boolean(false),
                c::boolean(false),
                c::boolean(false),
                c::boolean(true),
                c::name(if r.kind == 'r' { "d" } else { "n" }),
                c::boolean(false),
                c::oid(0),
                c::oid(0),
                c::oid(0),
                Value::Null,
                Value::Null,
                Value::Null,
            ]
        })
        .collect()
}
