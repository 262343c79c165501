//! `pg_index` and `pg_constraint`: every index (primary keys included); the
//! constraints indexes back, primary keys and UNIQUE constraints (a `CREATE
//! UNIQUE INDEX` is an index only, as in PostgreSQL; see
//! `IndexInfo::is_constraint`); CHECK constraints and foreign keys.

use crate::types::{DataType, Value, INT2_VECTOR, OID_VECTOR};

use super::catalog::{self as c, Kind, CHAR, INT2_ARRAY, NAME, OID};
use super::pg_opclass;
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
        ("indkey", INT2_VECTOR),
        ("indcollation", OID_VECTOR),
        ("indclass", OID_VECTOR),
        ("indoption", INT2_VECTOR),
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
            let types = index
                .columns
                .iter()
                .map(|&p| index.table.columns[p].data_type);
            let collations = types
                .clone()
                .map(|ty| c::oid(c::collation_of(ty)))
                .collect();
            let classes = types
                .zip(&index.operator_classes)
                .map(|(ty, &class)| c::oid(pg_opclass::oid_of(class, ty)))
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
                Value::Array(classes),
                Value::Array(
                    index
                        .key_orders
                        .iter()
                        .map(|o| c::int2(usize::from(o.indoption())))
                        .collect(),
                ),
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

/// What one row of `pg_constraint` says; the other columns are the same for
/// every constraint here (no inheritance, no domains, no partitions).
struct ConstraintRow<'a> {
    oid: u32,
    name: &'a str,
    /// `contype`: `p`, `u`, `c` or `f`.
    kind: &'a str,
    table: u32,
    /// The index it is (a key) or references (a foreign key); 0 for none.
    index: u32,
    deferrable: bool,
    deferred: bool,
    validated: bool,
    no_inherit: bool,
    /// `conkey`.
    columns: Value,
    /// A foreign key's `confrelid`, `confupdtype`, `confdeltype`,
    /// `confmatchtype` and `confkey`.
    references: Option<(u32, &'a str, &'a str, &'a str, Value)>,
    /// `conbin`: PostgreSQL's is a node tree; a CHECK's text stands in for it.
    expression: Value,
}

impl ConstraintRow<'_> {
    fn values(self) -> Vec<Value> {
        let (referenced, on_update, on_delete, matching, referenced_columns) =
            self.references.unwrap_or((0, " ", " ", " ", Value::Null));
        vec![
            c::oid(self.oid),
            c::name(self.name),
            c::oid(c::PUBLIC_OID),
            c::name(self.kind),
            c::boolean(self.deferrable),
            c::boolean(self.deferred),
            c::boolean(self.validated),
            c::oid(self.table),
            c::oid(0),
            c::oid(self.index),
            c::oid(0),
            c::oid(referenced),
            c::name(on_update),
            c::name(on_delete),
            c::name(matching),
            c::boolean(true),
            c::int4(0),
            c::boolean(self.no_inherit),
            self.columns,
            referenced_columns,
            self.expression,
        ]
    }
}

fn constraint_rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    let keys = c::indexes(snapshot.db)
        .into_iter()
        .filter(|index| index.is_constraint());
    let keys = keys.map(|index| {
        ConstraintRow {
            oid: constraint_oid(&index.name),
            name: &index.name,
            kind: index.constraint_type().1,
            table: index.table.id,
            index: index.oid(),
            deferrable: false,
            deferred: false,
            validated: true,
            // A key cannot be inherited, so PostgreSQL says it is not.
            no_inherit: true,
            columns: c::column_numbers(&index.columns),
            references: None,
            expression: Value::Null,
        }
        .values()
    });
    let checks = c::checks(snapshot.db).into_iter().map(|check| {
        ConstraintRow {
            oid: check.oid(),
            name: &check.check.name,
            kind: "c",
            table: check.table.id,
            index: 0,
            deferrable: false,
            deferred: false,
            validated: check.check.validated,
            no_inherit: check.check.no_inherit,
            columns: check.column_numbers(),
            references: None,
            expression: Value::Text(check.check.expr.clone()),
        }
        .values()
    });
    let foreign_keys = c::foreign_keys(snapshot.db).into_iter().map(|info| {
        let key = info.key;
        let index = info.unique_index(snapshot.db).map_or(0, |i| i.oid());
        ConstraintRow {
            oid: info.oid(),
            name: &key.name,
            kind: "f",
            table: info.table.id,
            index,
            deferrable: key.deferrable,
            deferred: key.initially_deferred,
            validated: key.validated,
            no_inherit: true,
            columns: c::column_numbers(&key.columns),
            references: Some((
                info.referenced.id,
                c::action_code(key.on_update),
                c::action_code(key.on_delete),
                if key.match_full { "f" } else { "s" },
                c::column_numbers(&key.referenced_columns),
            )),
            expression: Value::Null,
        }
        .values()
    });
    keys.chain(checks).chain(foreign_keys).collect()
}
