//! `turnstile_routines`: the reducers and views of the loaded modules, one row each,
//! with their signatures, the budgets their calls run under and whether a reducer's
//! calls run on the session's task.

use crate::db::{RoutineColumn, RoutineKind};
use crate::types::{quote_ident, DataType, Value};

use super::registry::{Schema, SystemRelation};
use super::SystemSnapshot;

pub const RELATION: SystemRelation = SystemRelation {
    name: "turnstile_routines",
    schema: Schema::Turnstile,
    columns: &[
        ("name", DataType::Text),
        // `reducer` (CALL name(…)) or `view` (SELECT * FROM name(…)).
        ("kind", DataType::Text),
        // The parameters as a declaration: `src bigint, dst bigint, amount bigint`.
        ("arguments", DataType::Text),
        // A view's result, `TABLE(id bigint, …)`; NULL for a reducer.
        ("result", DataType::Text),
        ("module", DataType::Text),
        // Wall-clock budget of every call, before statement_timeout lowers it.
        ("time_budget_ms", DataType::Int8),
        // Memory budget of the module's instances.
        ("memory_budget_mib", DataType::Int8),
        // A reducer's: true while its last calls were short, so that its calls run
        // on the calling session's task when the write lock is free (see
        // `module::loaded`, "Short reducers"); NULL for a view.
        ("runs_short", DataType::Bool),
    ],
    rows,
};

fn rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    snapshot
        .db
        .routines()
        .map(|routine| {
            let module = snapshot.modules.and_then(|host| host.get(&routine.module));
            let budgets = module.map(|module| module.budgets());
            let runs_short = match (routine.kind, module) {
                (RoutineKind::Reducer, Some(module)) => Value::Bool(module.runs_short(routine)),
                _ => Value::Null,
            };
            let result = match routine.kind {
                RoutineKind::Reducer => Value::Null,
                RoutineKind::View => {
                    Value::Text(format!("TABLE({})", declaration(&routine.returns)))
                }
            };
            vec![
                Value::Text(routine.name.clone()),
                Value::Text(match routine.kind {
                    RoutineKind::Reducer => "reducer".into(),
                    RoutineKind::View => "view".into(),
                }),
                Value::Text(declaration(&routine.params)),
                result,
                Value::Text(routine.module.clone()),
                budgets.map_or(Value::Null, |b| Value::Int8(b.time.as_millis() as i64)),
                budgets.map_or(Value::Null, |b| Value::Int8((b.memory_bytes >> 20) as i64)),
                runs_short,
            ]
        })
        .collect()
}

/// `name type, …`, as PostgreSQL's `pg_get_function_arguments` shows them (names
/// quoted where SQL needs it: `"order" integer`).
pub(super) fn declaration(columns: &[RoutineColumn]) -> String {
    columns
        .iter()
        .map(|c| format!("{} {}", quote_ident(&c.name), c.data_type))
        .collect::<Vec<_>>()
        .join(", ")
}
