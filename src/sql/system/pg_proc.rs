//! `pg_proc`: the reducers and views of the loaded modules. A reducer is a
//! procedure (`prokind` `p`, called with `CALL`); a view is a set-returning
//! function (`f`, `RETURNS TABLE(…)`). Built-in functions are not listed.

use crate::db::{Database, RoutineKind, RoutineSchema};
use crate::types::{quote_ident, DataType, Value, OID_VECTOR};

use super::catalog::{self as c, Kind, CHAR, NAME, OID, OID_ARRAY, TEXT_ARRAY};
use super::registry::{Schema, SystemRelation};
use super::turnstile_routines::declaration;
use super::SystemSnapshot;

pub const RELATION: SystemRelation = SystemRelation {
    name: "pg_proc",
    schema: Schema::PgCatalog,
    columns: &[
        ("oid", OID),
        ("proname", NAME),
        ("pronamespace", OID),
        ("proowner", OID),
        ("prolang", OID),
        ("procost", DataType::Float4),
        ("prorows", DataType::Float4),
        ("provariadic", OID),
        ("prokind", CHAR),
        ("prosecdef", DataType::Bool),
        ("proleakproof", DataType::Bool),
        ("proisstrict", DataType::Bool),
        ("proretset", DataType::Bool),
        ("provolatile", CHAR),
        ("proparallel", CHAR),
        ("pronargs", DataType::Int2),
        ("pronargdefaults", DataType::Int2),
        ("prorettype", OID),
        ("proargtypes", OID_VECTOR),
        ("proallargtypes", OID_ARRAY),
        ("proargmodes", DataType::Array(&CHAR)),
        ("proargnames", TEXT_ARRAY),
        ("prosrc", DataType::Text),
        ("proconfig", TEXT_ARRAY),
        ("proacl", TEXT_ARRAY),
    ],
    rows,
};

/// `record`, what a set-returning function with OUT columns returns.
const RECORD_OID: u32 = 2249;
/// `void`.
const VOID_OID: u32 = 2278;

pub fn routine_oid(routine: &RoutineSchema) -> u32 {
    c::oid_of(Kind::Routine, &routine.name)
}

/// The routine with OID `oid`.
pub fn routine_by_oid(db: &Database, oid: u32) -> Option<&RoutineSchema> {
    db.routines()
        .find(|r| routine_oid(r) == oid)
        .map(|r| r.as_ref())
}

/// `pg_get_function_arguments`: `IN src bigint, …` for a procedure (PostgreSQL
/// names the mode there), `n integer` for a function.
pub fn arguments(routine: &RoutineSchema) -> String {
    match routine.kind {
        RoutineKind::Reducer => routine
            .params
            .iter()
            .map(|p| format!("IN {} {}", quote_ident(&p.name), p.data_type))
            .collect::<Vec<_>>()
            .join(", "),
        RoutineKind::View => declaration(&routine.params),
    }
}

/// `pg_get_function_result`: `TABLE(…)` for a view; NULL for a procedure.
pub fn result(routine: &RoutineSchema) -> Value {
    match routine.kind {
        RoutineKind::Reducer => Value::Null,
        RoutineKind::View => Value::Text(format!("TABLE({})", declaration(&routine.returns))),
    }
}

fn rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    snapshot
        .db
        .routines()
        .map(|routine| {
            let view = routine.kind == RoutineKind::View;
            let arg_types: Vec<Value> = routine
                .params
                .iter()
                .map(|p| c::oid(p.data_type.oid()))
                .collect();
            let mut all = arg_types.clone();
            let mut modes = vec![c::name("i"); routine.params.len()];
            let mut names: Vec<Value> = routine.params.iter().map(|p| c::name(&p.name)).collect();
            for column in &routine.returns {
                all.push(c::oid(column.data_type.oid()));
                modes.push(c::name("t"));
                names.push(c::name(&column.name));
            }
            vec![
                c::oid(routine_oid(routine)),
                c::name(&routine.name),
                c::oid(c::PUBLIC_OID),
                c::oid(c::OWNER_OID),
                c::oid(0),
                Value::Float4(100.0),
                Value::Float4(if view { 1000.0 } else { 0.0 }),
                c::oid(0),
                c::name(if view { "f" } else { "p" }),
                c::boolean(false),
                c::boolean(false),
                c::boolean(false),
                c::boolean(view),
                c::name(if view { "s" } else { "v" }),
                c::name("u"),
                c::int2(routine.params.len()),
                c::int2(0),
                c::oid(if view { RECORD_OID } else { VOID_OID }),
                Value::Array(arg_types),
                if view { Value::Array(all) } else { Value::Null },
                if view {
                    Value::Array(modes)
                } else {
                    Value::Null
                },
                Value::Array(names),
                c::name(&routine.module),
                Value::Null,
                Value::Null,
            ]
        })
        .collect()
}
