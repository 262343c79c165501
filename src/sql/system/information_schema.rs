//! `information_schema.tables`, `columns`, `schemata`, `routines`,
//! `table_constraints`, `check_constraints`, `referential_constraints` and
//! `key_column_usage`: the SQL standard's view of the same catalog, for tools
//! that read it instead of pg_catalog. Only the user's objects (schema
//! `public`) and the schemas are listed; the standard's domain types are shown
//! as their base types (`name`, `text`, `integer`).
//!
//! The constraints are those `pg_constraint` lists (primary keys, UNIQUE,
//! CHECK and FOREIGN KEY constraints, see `IndexInfo::is_constraint`) and, as
//! PostgreSQL 15 shows them here and nowhere else, one `CHECK` per `NOT NULL`
//! column, named `<namespace oid>_<table oid>_<column number>_not_null`.

use crate::db::{ColumnSchema, Identity, RoutineKind, TableSchema};
use crate::types::{quote_ident, DataType, Value};

use super::catalog::{self as c, IndexInfo, NAME};
use super::registry::{Schema, SystemRelation};
use super::SystemSnapshot;

const TEXT: DataType = DataType::Text;
const INT: DataType = DataType::Int4;

pub const TABLES: SystemRelation = SystemRelation {
    name: "tables",
    schema: Schema::Standard,
    columns: &[
        ("table_catalog", NAME),
        ("table_schema", NAME),
        ("table_name", NAME),
        ("table_type", TEXT),
        ("self_referencing_column_name", NAME),
        ("reference_generation", TEXT),
        ("user_defined_type_catalog", NAME),
        ("user_defined_type_schema", NAME),
        ("user_defined_type_name", NAME),
        ("is_insertable_into", TEXT),
        ("is_typed", TEXT),
        ("commit_action", TEXT),
    ],
    rows: table_rows,
};

pub const COLUMNS: SystemRelation = SystemRelation {
    name: "columns",
    schema: Schema::Standard,
    columns: &[
        ("table_catalog", NAME),
        ("table_schema", NAME),
        ("table_name", NAME),
        ("column_name", NAME),
        ("ordinal_position", INT),
        ("column_default", TEXT),
        ("is_nullable", TEXT),
        ("data_type", TEXT),
        ("character_maximum_length", INT),
        ("numeric_precision", INT),
        ("numeric_scale", INT),
        ("udt_catalog", NAME),
        ("udt_schema", NAME),
        ("udt_name", NAME),
        ("is_identity", TEXT),
        ("identity_generation", TEXT),
        ("is_generated", TEXT),
        ("is_updatable", TEXT),
    ],
    rows: column_rows,
};

pub const SCHEMATA: SystemRelation = SystemRelation {
    name: "schemata",
    schema: Schema::Standard,
    columns: &[
        ("catalog_name", NAME),
        ("schema_name", NAME),
        ("schema_owner", NAME),
        ("default_character_set_catalog", NAME),
        ("default_character_set_schema", NAME),
        ("default_character_set_name", NAME),
        ("sql_path", TEXT),
    ],
    rows: schema_rows,
};

pub const ROUTINES: SystemRelation = SystemRelation {
    name: "routines",
    schema: Schema::Standard,
    columns: &[
        ("specific_catalog", NAME),
        ("specific_schema", NAME),
        ("specific_name", NAME),
        ("routine_catalog", NAME),
        ("routine_schema", NAME),
        ("routine_name", NAME),
        ("routine_type", TEXT),
        ("data_type", TEXT),
        ("routine_body", TEXT),
        ("external_language", TEXT),
    ],
    rows: routine_rows,
};

pub const TABLE_CONSTRAINTS: SystemRelation = SystemRelation {
    name: "table_constraints",
    schema: Schema::Standard,
    columns: &[
        ("constraint_catalog", NAME),
        ("constraint_schema", NAME),
        ("constraint_name", NAME),
        ("table_catalog", NAME),
        ("table_schema", NAME),
        ("table_name", NAME),
        ("constraint_type", TEXT),
        ("is_deferrable", TEXT),
        ("initially_deferred", TEXT),
        ("enforced", TEXT),
        ("nulls_distinct", TEXT),
    ],
    rows: table_constraint_rows,
};

pub const CHECK_CONSTRAINTS: SystemRelation = SystemRelation {
    name: "check_constraints",
    schema: Schema::Standard,
    columns: &[
        ("constraint_catalog", NAME),
        ("constraint_schema", NAME),
        ("constraint_name", NAME),
        ("check_clause", TEXT),
    ],
    rows: check_constraint_rows,
};

pub const REFERENTIAL_CONSTRAINTS: SystemRelation = SystemRelation {
    name: "referential_constraints",
    schema: Schema::Standard,
    columns: &[
        ("constraint_catalog", NAME),
        ("constraint_schema", NAME),
        ("constraint_name", NAME),
        ("unique_constraint_catalog", NAME),
        ("unique_constraint_schema", NAME),
        ("unique_constraint_name", NAME),
        ("match_option", TEXT),
        ("update_rule", TEXT),
        ("delete_rule", TEXT),
    ],
    rows: referential_constraint_rows,
};

pub const KEY_COLUMN_USAGE: SystemRelation = SystemRelation {
    name: "key_column_usage",
    schema: Schema::Standard,
    columns: &[
        ("constraint_catalog", NAME),
        ("constraint_schema", NAME),
        ("constraint_name", NAME),
        ("table_catalog", NAME),
        ("table_schema", NAME),
        ("table_name", NAME),
        ("column_name", NAME),
        ("ordinal_position", INT),
        ("position_in_unique_constraint", INT),
    ],
    rows: key_column_rows,
};

/// The columns each constraint uses: a key's own, a foreign key's referenced
/// ones (Sequelize and other ORMs read the referenced table here), those a CHECK
/// names.
pub const CONSTRAINT_COLUMN_USAGE: SystemRelation = SystemRelation {
    name: "constraint_column_usage",
    schema: Schema::Standard,
    columns: &[
        ("table_catalog", NAME),
        ("table_schema", NAME),
        ("table_name", NAME),
        ("column_name", NAME),
        ("constraint_catalog", NAME),
        ("constraint_schema", NAME),
        ("constraint_name", NAME),
    ],
    rows: constraint_column_rows,
};

fn table_rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    let db = snapshot.db;
    let tables = db
        .tables()
        .map(|t| (t.schema().name.as_str(), "BASE TABLE"));
    let views = db.views().map(|v| (v.name.as_str(), "VIEW"));
    tables
        .chain(views)
        .map(|(name, kind)| {
            let insertable = if kind == "VIEW" { "NO" } else { "YES" };
            vec![
                c::name(snapshot.database),
                c::name("public"),
                c::name(name),
                c::name(kind),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                c::name(insertable),
                c::name("NO"),
                Value::Null,
            ]
        })
        .collect()
}

/// `numeric_precision` and `numeric_scale` as the standard reports them.
fn precision(ty: DataType) -> (Value, Value) {
    match ty {
        DataType::Int2 => (c::int4(16), c::int4(0)),
        DataType::Int4 => (c::int4(32), c::int4(0)),
        DataType::Int8 => (c::int4(64), c::int4(0)),
        DataType::Float4 => (c::int4(24), Value::Null),
        DataType::Float8 => (c::int4(53), Value::Null),
        DataType::Numeric(Some(t)) => (c::int4(t.precision().into()), c::int4(t.scale().into())),
        _ => (Value::Null, Value::Null),
    }
}

/// One row of `columns`: a column of a table or view.
struct ColumnRow<'a> {
    relation: &'a str,
    position: usize,
    name: &'a str,
    data_type: DataType,
    nullable: bool,
    default: Option<String>,
    identity: Option<Identity>,
    /// Views are read-only.
    updatable: bool,
}

fn column_rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    let db = snapshot.db;
    let mut rows = Vec::new();
    for table in db.tables() {
        let schema = table.schema();
        for (i, col) in schema.columns.iter().enumerate() {
            rows.push(column_row(
                snapshot,
                ColumnRow {
                    relation: &schema.name,
                    position: i + 1,
                    name: &col.name,
                    data_type: col.data_type,
                    nullable: col.nullable,
                    default: c::column_default(col),
                    identity: col.identity,
                    updatable: true,
                },
            ));
        }
    }
    // A view's columns as binding its query gives them now, as pg_attribute
    // lists them.
    for view in db.views() {
        let columns = super::pg_attribute::view_columns(db, &view.name);
        for (i, (name, data_type)) in columns.iter().enumerate() {
            rows.push(column_row(
                snapshot,
                ColumnRow {
                    relation: &view.name,
                    position: i + 1,
                    name,
                    data_type: *data_type,
                    nullable: true,
                    default: None,
                    identity: None,
                    updatable: false,
                },
            ));
        }
    }
    rows
}

fn column_row(snapshot: &SystemSnapshot<'_>, column: ColumnRow<'_>) -> Vec<Value> {
    let (numeric_precision, numeric_scale) = precision(column.data_type);
    let length = match column.data_type {
        DataType::Varchar(Some(n)) | DataType::Bpchar(Some(n)) => c::int4(n.into()),
        _ => Value::Null,
    };
    let data_type = match column.data_type.without_typmod() {
        DataType::Varchar(_) => "character varying".to_owned(),
        DataType::Bpchar(_) => "character".to_owned(),
        // The element type is in udt_name (`_int4`), as ORMs read it.
        DataType::Array(_) => "ARRAY".to_owned(),
        other => other.to_string(),
    };
    let yes_no = |b: bool| c::name(if b { "YES" } else { "NO" });
    vec![
        c::name(snapshot.database),
        c::name("public"),
        c::name(column.relation),
        c::name(column.name),
        c::int4(column.position as i64),
        column.default.map_or(Value::Null, Value::Text),
        yes_no(column.nullable),
        c::name(&data_type),
        length,
        numeric_precision,
        numeric_scale,
        c::name(snapshot.database),
        c::name("pg_catalog"),
        c::name(&super::pg_type::type_name(column.data_type)),
        yes_no(column.identity.is_some()),
        match column.identity {
            None => Value::Null,
            Some(Identity::Always) => c::name("ALWAYS"),
            Some(Identity::ByDefault) => c::name("BY DEFAULT"),
        },
        c::name("NEVER"),
        yes_no(column.updatable),
    ]
}

fn schema_rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    super::pg_namespace::SCHEMAS
        .iter()
        .map(|(_, name, owner)| {
            vec![
                c::name(snapshot.database),
                c::name(name),
                c::name(&super::pg_roles::role_name(snapshot.user, *owner)),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
            ]
        })
        .collect()
}

fn routine_rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    snapshot
        .db
        .routines()
        .map(|r| {
            let (kind, data_type) = match r.kind {
                RoutineKind::Reducer => ("PROCEDURE", Value::Null),
                RoutineKind::View => ("FUNCTION", c::name("record")),
            };
            let specific = format!("{}_{}", r.name, super::pg_proc::routine_oid(r));
            vec![
                c::name(snapshot.database),
                c::name("public"),
                c::name(&specific),
                c::name(snapshot.database),
                c::name("public"),
                c::name(&r.name),
                c::name(kind),
                data_type,
                c::name("EXTERNAL"),
                c::name("WASM"),
            ]
        })
        .collect()
}

/// The columns that begin a row of `table_constraints` and `key_column_usage`:
/// which constraint, on which table.
fn constraint_of(snapshot: &SystemSnapshot<'_>, constraint: &str, table: &str) -> Vec<Value> {
    vec![
        c::name(snapshot.database),
        c::name("public"),
        c::name(constraint),
        c::name(snapshot.database),
        c::name("public"),
        c::name(table),
    ]
}

fn table_constraint_rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    let yes_no = |b: bool| if b { "YES" } else { "NO" };
    let deferrable_row = |constraint: &str, table: &str, kind: &str, deferrable, deferred| {
        let mut row = constraint_of(snapshot, constraint, table);
        row.extend([kind, yes_no(deferrable), yes_no(deferred), "YES"].map(c::name));
        // `nulls_distinct` is for UNIQUE only (NULLs are distinct: no NULLS NOT
        // DISTINCT here).
        row.push(if kind == "UNIQUE" {
            c::name("YES")
        } else {
            Value::Null
        });
        row
    };
    // Only a foreign key can be deferred.
    let row = |constraint: &str, table: &str, kind: &str| {
        deferrable_row(constraint, table, kind, false, false)
    };
    let foreign_keys = c::foreign_keys(snapshot.db).into_iter().map(|info| {
        deferrable_row(
            &info.key.name,
            &info.table.name,
            "FOREIGN KEY",
            info.key.deferrable,
            info.key.initially_deferred,
        )
    });
    let keys = c::indexes(snapshot.db)
        .into_iter()
        .filter(IndexInfo::is_constraint)
        .map(|index| row(&index.name, &index.table.name, index.constraint_type().0));
    let checks = c::checks(snapshot.db)
        .into_iter()
        .map(|check| row(&check.check.name, &check.table.name, "CHECK"));
    let not_nulls = not_null_checks(snapshot)
        .into_iter()
        .map(|(name, table, _)| row(&name, table, "CHECK"));
    keys.chain(checks)
        .chain(foreign_keys)
        .chain(not_nulls)
        .collect()
}

/// The CHECK that PostgreSQL 15 shows here for each NOT NULL column: its name,
/// its table's, and its condition.
fn not_null_checks<'a>(snapshot: &SystemSnapshot<'a>) -> Vec<(String, &'a str, String)> {
    snapshot
        .db
        .tables()
        .flat_map(|table| {
            let schema = table.schema();
            let not_null = |(i, col): (usize, &ColumnSchema)| {
                let name = format!("{}_{}_{}_not_null", c::PUBLIC_OID, schema.id, i + 1);
                let condition = format!("{} IS NOT NULL", quote_ident(&col.name));
                (!col.nullable).then(|| (name, schema.name.as_str(), condition))
            };
            schema.columns.iter().enumerate().filter_map(not_null)
        })
        .collect()
}

fn check_constraint_rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    let row = |name: &str, clause: String| {
        vec![
            c::name(snapshot.database),
            c::name("public"),
            c::name(name),
            Value::Text(clause),
        ]
    };
    let checks = c::checks(snapshot.db).into_iter().map(|check| {
        let definition = check.definition(false);
        let clause = definition.strip_prefix("CHECK ").unwrap_or(&definition);
        row(&check.check.name, clause.to_owned())
    });
    let not_nulls = not_null_checks(snapshot)
        .into_iter()
        .map(|(name, _, condition)| row(&name, condition));
    // PostgreSQL's view is a UNION: one row for a name and condition that
    // tables share.
    let mut rows: Vec<Vec<Value>> = Vec::new();
    for row in checks.chain(not_nulls) {
        if !rows.contains(&row) {
            rows.push(row);
        }
    }
    rows
}

fn key_column_rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    let mut rows = Vec::new();
    for index in c::indexes(snapshot.db) {
        if !index.is_constraint() {
            continue;
        }
        for (i, &position) in index.columns.iter().enumerate() {
            let mut row = constraint_of(snapshot, &index.name, &index.table.name);
            row.push(c::name(&index.table.columns[position].name));
            row.push(c::int4(i as i64 + 1));
            // It names a column of the referenced key only for a foreign key.
            row.push(Value::Null);
            rows.push(row);
        }
    }
    for info in c::foreign_keys(snapshot.db) {
        let unique = info.unique_index(snapshot.db);
        for (i, (&position, referenced)) in info
            .key
            .columns
            .iter()
            .zip(&info.key.referenced_columns)
            .enumerate()
        {
            let mut row = constraint_of(snapshot, &info.key.name, &info.table.name);
            row.push(c::name(&info.table.columns[position].name));
            row.push(c::int4(i as i64 + 1));
            row.push(
                unique
                    .as_ref()
                    .and_then(|index| index.columns.iter().position(|c| c == referenced))
                    .map_or(Value::Null, |p| c::int4(p as i64 + 1)),
            );
            rows.push(row);
        }
    }
    rows
}

fn constraint_column_rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    let db = snapshot.db;
    let mut rows = Vec::new();
    let mut push = |table: &TableSchema, columns: &[usize], constraint: &str| {
        for &position in columns {
            rows.push(vec![
                c::name(snapshot.database),
                c::name("public"),
                c::name(&table.name),
                c::name(&table.columns[position].name),
                c::name(snapshot.database),
                c::name("public"),
                c::name(constraint),
            ]);
        }
    };
    for index in c::indexes(db).iter().filter(|i| i.is_constraint()) {
        push(index.table, &index.columns, &index.name);
    }
    for info in c::foreign_keys(db) {
        push(
            info.referenced,
            &info.key.referenced_columns,
            &info.key.name,
        );
    }
    for info in c::checks(db) {
        let columns = crate::sql::exec::columns_named(info.table, &info.check.expr);
        push(info.table, &columns, &info.check.name);
    }
    rows
}

fn referential_constraint_rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    c::foreign_keys(snapshot.db)
        .into_iter()
        .map(|info| {
            // Only a constraint is named here: a plain unique index is not one.
            let unique = info
                .unique_index(snapshot.db)
                .filter(IndexInfo::is_constraint);
            let key = info.key;
            vec![
                c::name(snapshot.database),
                c::name("public"),
                c::name(&key.name),
                c::name(snapshot.database),
                unique.as_ref().map_or(Value::Null, |_| c::name("public")),
                unique.map_or(Value::Null, |index| c::name(&index.name)),
                c::name(if key.match_full { "FULL" } else { "NONE" }),
                c::name(c::action_name(key.on_update)),
                c::name(c::action_name(key.on_delete)),
            ]
        })
        .collect()
}
