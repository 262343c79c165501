//! `pg_tables`, `pg_indexes` and `pg_views`: PostgreSQL's convenience views over
//! the catalog, which scripts and tools query for a table's existence, its
//! indexes or a view's definition (`SELECT tablename FROM pg_tables WHERE
//! schemaname = 'public'`). They list the user's tables, indexes and views; the
//! system relations, views here (see `pg_class`), have no SQL definition to show.

use crate::types::{DataType, Value};

use super::catalog::{self as c, NAME};
use super::registry::{Schema, SystemRelation};
use super::SystemSnapshot;

pub const TABLES: SystemRelation = SystemRelation {
    name: "pg_tables",
    schema: Schema::PgCatalog,
    columns: &[
        ("schemaname", NAME),
        ("tablename", NAME),
        ("tableowner", NAME),
        ("tablespace", NAME),
        ("hasindexes", DataType::Bool),
        ("hasrules", DataType::Bool),
        ("hastriggers", DataType::Bool),
        ("rowsecurity", DataType::Bool),
    ],
    rows: table_rows,
};

pub const INDEXES: SystemRelation = SystemRelation {
    name: "pg_indexes",
    schema: Schema::PgCatalog,
    columns: &[
        ("schemaname", NAME),
        ("tablename", NAME),
        ("indexname", NAME),
        ("tablespace", NAME),
        ("indexdef", DataType::Text),
    ],
    rows: index_rows,
};

pub const VIEWS: SystemRelation = SystemRelation {
    name: "pg_views",
    schema: Schema::PgCatalog,
    columns: &[
        ("schemaname", NAME),
        ("viewname", NAME),
        ("viewowner", NAME),
        ("definition", DataType::Text),
    ],
    rows: view_rows,
};

fn table_rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    snapshot
        .db
        .tables()
        .map(|table| {
            let schema = table.schema();
            vec![
                c::name("public"),
                c::name(&schema.name),
                c::name(snapshot.user),
                Value::Null,
                Value::Bool(schema.primary_key.is_some() || !table.indexes().is_empty()),
                Value::Bool(false),
                Value::Bool(false),
                Value::Bool(false),
            ]
        })
        .collect()
}

fn index_rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    c::indexes(snapshot.db)
        .iter()
        .map(|index| {
            vec![
                c::name("public"),
                c::name(&index.table.name),
                c::name(&index.name),
                Value::Null,
                Value::Text(c::index_definition(index)),
            ]
        })
        .collect()
}

fn view_rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    snapshot
        .db
        .views()
        .map(|view| {
            vec![
                c::name("public"),
                c::name(&view.name),
                c::name(snapshot.user),
                Value::Text(c::view_definition(&view.query)),
            ]
        })
        .collect()
}
