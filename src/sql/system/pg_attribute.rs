//! `pg_attribute` and `pg_attrdef`: the columns of tables, views and indexes, and
//! the columns' defaults (kept as their SQL text, which `pg_get_expr` returns).

use crate::db::{Database, Identity};
use crate::sql::binder::Binder;
use crate::types::{DataType, Value};

use super::catalog::{self as c, Kind, CHAR, NAME, OID, TEXT_ARRAY};
use super::registry::{Schema, SystemRelation};
use super::{pg_type, SystemSnapshot};

pub const RELATION: SystemRelation = SystemRelation {
    name: "pg_attribute",
    schema: Schema::PgCatalog,
    columns: &[
        ("attrelid", OID),
        ("attname", NAME),
        ("atttypid", OID),
        ("attstattarget", DataType::Int4),
        ("attlen", DataType::Int2),
        ("attnum", DataType::Int2),
        ("attndims", DataType::Int4),
        ("attcacheoff", DataType::Int4),
        ("atttypmod", DataType::Int4),
        ("attbyval", DataType::Bool),
        ("attalign", CHAR),
        ("attstorage", CHAR),
        ("attcompression", CHAR),
        ("attnotnull", DataType::Bool),
        ("atthasdef", DataType::Bool),
        ("atthasmissing", DataType::Bool),
        ("attidentity", CHAR),
        ("attgenerated", CHAR),
        ("attisdropped", DataType::Bool),
        ("attislocal", DataType::Bool),
        ("attinhcount", DataType::Int4),
        ("attcollation", OID),
        // Column privileges, options and foreign-data options: Turnstile has
        // none of them, so all three are NULL.
        ("attacl", TEXT_ARRAY),
        ("attoptions", TEXT_ARRAY),
        ("attfdwoptions", TEXT_ARRAY),
        // `anyarray` in PostgreSQL: the value rows stored before the column
        // was added have. Always NULL (`atthasmissing` false): adding a column
        // rewrites the rows (see `sql::exec::alter`).
        ("attmissingval", TEXT_ARRAY),
    ],
    rows,
};

pub const ATTRDEF: SystemRelation = SystemRelation {
    name: "pg_attrdef",
    schema: Schema::PgCatalog,
    columns: &[
        ("oid", OID),
        ("adrelid", OID),
        ("adnum", DataType::Int2),
        ("adbin", DataType::Text),
    ],
    rows: attrdef_rows,
};

/// One column as pg_attribute shows it.
struct Column<'a> {
    relation: u32,
    name: &'a str,
    ty: DataType,
    number: usize,
    not_null: bool,
    has_default: bool,
    /// `a` for `GENERATED ALWAYS AS IDENTITY`, `d` for `BY DEFAULT`, else empty.
    identity: &'static str,
}

/// The columns of the view `name`, from binding its query now; none if it no
/// longer binds (a table it reads was dropped).
pub fn view_columns(db: &Database, name: &str) -> Vec<(String, DataType)> {
    let Some(view) = db.get_view(name) else {
        return Vec::new();
    };
    match Binder::new(db, &[]).bind_view(name, &view.query, &view.column_names) {
        Ok(bound) => bound
            .columns
            .into_iter()
            .map(|c| (c.name, c.data_type))
            .collect(),
        Err(_) => Vec::new(),
    }
}

fn rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    let db = snapshot.db;
    let mut columns = Vec::new();
    for table in db.tables() {
        let schema = table.schema();
        for (i, col) in schema.columns.iter().enumerate() {
            columns.push(Column {
                relation: schema.id,
                name: &col.name,
                ty: col.data_type,
                number: i + 1,
                not_null: !col.nullable,
                has_default: c::column_default(col).is_some(),
                identity: identity_code(col.identity),
            });
        }
    }
    let indexes = c::indexes(db);
    for index in &indexes {
        for (i, &position) in index.columns.iter().enumerate() {
            let col = &index.table.columns[position];
            columns.push(Column {
                relation: index.oid(),
                name: &col.name,
                ty: col.data_type,
                number: i + 1,
                not_null: false,
                has_default: false,
                identity: "",
            });
        }
    }
    let views: Vec<(u32, Vec<(String, DataType)>)> = db
        .views()
        .map(|v| (c::oid_of(Kind::View, &v.name), view_columns(db, &v.name)))
        .collect();
    for (oid, view_columns) in &views {
        for (i, (name, ty)) in view_columns.iter().enumerate() {
            columns.push(Column {
                relation: *oid,
                name,
                ty: *ty,
                number: i + 1,
                not_null: false,
                has_default: false,
                identity: "",
            });
        }
    }
    for id in super::all() {
        for (i, (name, ty)) in id.relation().columns.iter().enumerate() {
            columns.push(Column {
                relation: id.oid(),
                name,
                ty: *ty,
                number: i + 1,
                not_null: false,
                has_default: false,
                identity: "",
            });
        }
    }
    columns.iter().map(attribute_row).collect()
}

fn attribute_row(col: &Column<'_>) -> Vec<Value> {
    let size = col.ty.type_size();
    vec![
        c::oid(col.relation),
        c::name(col.name),
        c::oid(col.ty.oid()),
        c::int4(-1),
        Value::Int2(size),
        c::int2(col.number),
        c::int4(i64::from(matches!(col.ty, DataType::Array(_)))),
        c::int4(-1),
        c::int4(i64::from(col.ty.type_modifier())),
        c::boolean((1..=8).contains(&size)),
        // As PostgreSQL copies them from the type.
        c::name(pg_type::alignment(col.ty)),
        c::name(pg_type::storage(col.ty)),
        c::name(""),
        c::boolean(col.not_null),
        c::boolean(col.has_default),
        c::boolean(false),
        c::name(col.identity),
        c::name(""),
        c::boolean(false),
        c::boolean(true),
        c::int4(0),
        c::oid(c::collation_of(col.ty)),
        Value::Null,
        Value::Null,
        Value::Null,
        Value::Null,
    ]
}

/// `attidentity`'s code for a column's identity.
fn identity_code(identity: Option<Identity>) -> &'static str {
    match identity {
        None => "",
        Some(Identity::Always) => "a",
        Some(Identity::ByDefault) => "d",
    }
}

/// The OID of the default of `table`'s `column` (in pg_attrdef).
pub fn attrdef_oid(table: &str, column: &str) -> u32 {
    c::oid_of(Kind::Constraint, &format!("{table}.{column}"))
}

fn attrdef_rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    let mut rows = Vec::new();
    for table in snapshot.db.tables() {
        let schema = table.schema();
        for (i, col) in schema.columns.iter().enumerate() {
            if let Some(default) = c::column_default(col) {
                rows.push(vec![
                    c::oid(attrdef_oid(&schema.name, &col.name)),
                    c::oid(schema.id),
                    c::int2(i + 1),
                    Value::Text(default),
                ]);
            }
        }
    }
    rows
}
