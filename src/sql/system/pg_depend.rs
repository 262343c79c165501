//! `pg_depend` and `pg_rewrite`: what depends on what, as pg_dump orders its
//! output by it (a sequence before the default that draws from it, a table
//! before the view that reads it) and psql shows a sequence's owner.
//!
//! The dependencies Turnstile lists:
//! - a sequence on the column that owns it: automatically (`a`) for `serial`
//!   and `OWNED BY`, internally (`i`) for an identity column;
//! - a column's default on its column (`a`), and on each sequence it names
//!   (`n`, the `s` of `nextval('s')`);
//! - a view's rule on the view (`i`, and `n` as in PostgreSQL), and on each
//!   table, view and sequence its query names (`n`), as PostgreSQL keeps a view's query as the `_RETURN`
//!   rule that `pg_rewrite` lists;
//! - a module's routines and declared tables on the module, its members (`e`,
//!   see `pg_extension`).
//!
//! Constraints and indexes depend on their tables too in PostgreSQL; pg_dump
//! puts them after every table anyway, and nothing else reads those rows, so
//! they are not listed.

use crate::sql::binder::Binder;
use crate::types::{DataType, Value};

use super::catalog::{self as c, Kind, CHAR, NAME, OID};
use super::pg_attribute::attrdef_oid;
use super::pg_extension::{module_oid, module_tables};
use super::pg_proc::routine_oid;
use super::registry::{Schema, SystemRelation};
use super::SystemSnapshot;

pub const DEPEND: SystemRelation = SystemRelation {
    name: "pg_depend",
    schema: Schema::PgCatalog,
    columns: &[
        ("classid", OID),
        ("objid", OID),
        ("objsubid", DataType::Int4),
        ("refclassid", OID),
        ("refobjid", OID),
        ("refobjsubid", DataType::Int4),
        ("deptype", CHAR),
    ],
    rows: depend_rows,
};

pub const REWRITE: SystemRelation = SystemRelation {
    name: "pg_rewrite",
    schema: Schema::PgCatalog,
    columns: &[
        ("oid", OID),
        ("rulename", NAME),
        ("ev_class", OID),
        ("ev_type", CHAR),
        ("ev_enabled", CHAR),
        ("is_instead", DataType::Bool),
        // pg_node_tree in PostgreSQL, its internal form of the rule: not kept.
        ("ev_qual", DataType::Text),
        ("ev_action", DataType::Text),
    ],
    rows: rewrite_rows,
};

/// The OID of view `view`'s `_RETURN` rule.
fn rule_oid(view: &str) -> u32 {
    c::oid_of(Kind::Constraint, &format!("{view}._RETURN"))
}

/// Each view's `_RETURN` rule: a `SELECT` (`ev_type` 1) done instead.
fn rewrite_rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    snapshot
        .db
        .views()
        .map(|view| {
            vec![
                c::oid(rule_oid(&view.name)),
                c::name("_RETURN"),
                c::oid(c::oid_of(Kind::View, &view.name)),
                c::name("1"),
                c::name("O"),
                c::boolean(true),
                Value::Null,
                Value::Null,
            ]
        })
        .collect()
}

/// One `pg_depend` row: `object` (a catalog's OID, the object's, its column)
/// depends on `referenced` as `kind` says.
struct Dependency {
    object: (u32, u32, i64),
    referenced: (u32, u32, i64),
    kind: &'static str,
}

fn depend_rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    let db = snapshot.db;
    let catalog = |name: &str| super::find(None, name).map_or(0, |id| id.oid());
    let (pg_class, pg_attrdef, pg_rewrite) = (
        catalog("pg_class"),
        catalog("pg_attrdef"),
        catalog("pg_rewrite"),
    );
    let relation_oid = |name: &str| super::pg_class::relation_oid(db, name);
    let mut dependencies = Vec::new();
    for sequence in db.sequences() {
        let s = sequence.schema();
        if let Some((table, position)) = s.owned_by {
            let identity = super::pg_sequence::owner_is_identity(db, sequence);
            dependencies.push(Dependency {
                object: (pg_class, s.id, 0),
                referenced: (pg_class, table, position as i64 + 1),
                kind: if identity { "i" } else { "a" },
            });
        }
    }
    for table in db.tables() {
        let schema = table.schema();
        for (i, column) in schema.columns.iter().enumerate() {
            if column.default.is_none() || column.identity.is_some() {
                continue;
            }
            let object = (pg_attrdef, attrdef_oid(&schema.name, &column.name), 0);
            dependencies.push(Dependency {
                object,
                referenced: (pg_class, schema.id, i as i64 + 1),
                kind: "a",
            });
            // The relations it names, as the binder resolves them (the
            // sequence of `nextval('s')`).
            let mut binder = Binder::new(db, &[]);
            if binder.check_default(schema, i).is_ok() {
                for oid in binder
                    .referenced_relations()
                    .iter()
                    .filter_map(|n| relation_oid(n))
                {
                    dependencies.push(Dependency {
                        object,
                        referenced: (pg_class, oid, 0),
                        kind: "n",
                    });
                }
            }
        }
    }
    if let Some(host) = snapshot.modules {
        let pg_proc = catalog("pg_proc");
        let pg_extension = catalog("pg_extension");
        for module in host.modules() {
            let extension = (pg_extension, module_oid(module.name()), 0);
            let routines = db
                .routines()
                .filter(|r| r.module == module.name())
                .map(|r| (pg_proc, routine_oid(r), 0));
            let tables = module_tables(snapshot, module)
                .into_iter()
                .map(|oid| (pg_class, oid, 0));
            for object in routines.chain(tables) {
                dependencies.push(Dependency {
                    object,
                    referenced: extension,
                    kind: "e",
                });
            }
        }
    }
    for (view, reads) in crate::sql::exec::view_dependencies(db) {
        let object = (pg_rewrite, rule_oid(&view), 0);
        let view_oid = c::oid_of(Kind::View, &view);
        dependencies.push(Dependency {
            object,
            referenced: (pg_class, view_oid, 0),
            kind: "i",
        });
        // As in PostgreSQL, the rule's query also reads the view it defines.
        let relations = reads.iter().filter_map(|name| relation_oid(name));
        for oid in std::iter::once(view_oid).chain(relations) {
            dependencies.push(Dependency {
                object,
                referenced: (pg_class, oid, 0),
                kind: "n",
            });
        }
    }
    dependencies
        .into_iter()
        .map(|d| {
            vec![
                c::oid(d.object.0),
                c::oid(d.object.1),
                c::int4(d.object.2),
                c::oid(d.referenced.0),
                c::oid(d.referenced.1),
                c::int4(d.referenced.2),
                c::name(d.kind),
            ]
        })
        .collect()
}
