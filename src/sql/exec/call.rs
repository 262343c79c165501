//! `CALL reducer(args)`: bound, its arguments computed, and the reducer run as
//! part of the statement's write transaction (see `crate::module`, "Life of a
//! call"). The caller rolls the transaction back on any error.

use std::sync::Arc;
use std::time::Duration;

use super::query::eval_without_row;
use super::Env;
use crate::db::{RoutineSchema, WriteTxn};
use crate::module::{CallInfo, LoadedModule};
use crate::sql::binder::BoundCall;
use crate::sql::{CommandTag, Output, QueryContext, SqlError};
use crate::types::Value;

/// Runs a bound `CALL` inside `txn`.
pub fn call(
    txn: &mut WriteTxn<'_>,
    bound: &BoundCall,
    params: &[Value],
    ctx: &QueryContext,
) -> Result<Output, SqlError> {
    let args = eval_without_row(&bound.args, &Env::new(txn.db(), params, ctx))?;
    let module = module_of(ctx, &bound.routine)?;
    module.call_reducer(txn, &bound.routine, &args, &call_info(ctx))?;
    Ok(Output::Command(CommandTag::new("CALL")))
}

/// The loaded module that implements `routine`.
pub fn module_of(
    ctx: &QueryContext,
    routine: &RoutineSchema,
) -> Result<Arc<LoadedModule>, SqlError> {
    ctx.modules
        .as_ref()
        .and_then(|host| host.get(&routine.module))
        .cloned()
        .ok_or_else(|| {
            SqlError::UndefinedObject(format!(
                "module {} of {} is not loaded",
                routine.module, routine.name
            ))
        })
}

/// What a call learns about its statement: the statement's timestamp (the
/// transaction's, as `now()` gives it), the session's user, and how much of
/// `statement_timeout` is left, and the flag a cancel request sets.
pub fn call_info(ctx: &QueryContext) -> CallInfo {
    CallInfo {
        timestamp_us: ctx.statement_time_us,
        caller: ctx.user.clone(),
        time_limit: ctx.interrupt.remaining().unwrap_or(Duration::MAX),
        cancel: Some(ctx.interrupt.cancel_flag()),
        rows_max: ctx.rows_max,
    }
}
