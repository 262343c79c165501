//! INSERT, UPDATE and DELETE under the write lock.
//!
//! Each statement first computes everything it will write (the rows to insert,
//! or the keys and new values of the rows to change), then writes. Reading all
//! targets before the first write means a statement never sees its own changes
//! (no Halloween problem), and an error anywhere rolls back the whole transaction.

use std::collections::HashSet;
use std::sync::Arc;

use crate::db::{DbError, Key, TableId, WriteTxn};
use crate::sql::binder::{Conflict, Delete, Insert, Returning, Update};
use crate::sql::plan::Plan;
use crate::sql::{CommandTag, Output, QueryContext, SqlError};
use crate::types::Value;

use super::expr::Env;
use super::query::{run, tick};
use super::scan::for_each_row;

/// Runs a bound INSERT whose source plan is optimized.
pub fn insert(
    txn: &mut WriteTxn<'_>,
    bound: &Insert,
    params: &[Value],
    ctx: &QueryContext,
) -> Result<Output, SqlError> {
    let rows = {
        let env = Env::new(txn.db(), params, ctx);
        run(&bound.source.plan, &env)?
    };
    let mut written = Vec::new();
    let mut touched = HashSet::new();
    for (i, row) in rows.into_iter().enumerate() {
        if i % super::query::CHECK_EVERY_ROWS == 0 {
            ctx.interrupt.check()?;
        }
        check_not_null(txn, bound.table, &row)?;
        let row = match &bound.conflict {
            None => {
                txn.insert(bound.table, row.clone())?;
                Some(row)
            }
            Some(conflict) => {
                insert_on_conflict(txn, bound.table, row, conflict, params, ctx, &mut touched)?
            }
        };
        if bound.returning.is_some() {
            written.extend(row);
        } else if row.is_some() {
            written.push(Vec::new());
        }
    }
    finish(
        txn,
        "INSERT",
        written,
        bound.returning.as_ref(),
        params,
        ctx,
    )
}

/// Inserts `row` unless it conflicts; on a conflict does nothing or updates the
/// existing row. Returns the row written, if any.
fn insert_on_conflict(
    txn: &mut WriteTxn<'_>,
    table: TableId,
    row: Vec<Value>,
    conflict: &Conflict,
    params: &[Value],
    ctx: &QueryContext,
    touched: &mut HashSet<Key>,
) -> Result<Option<Vec<Value>>, SqlError> {
    if let Some(reads) = &ctx.reads {
        // Whether a conflicting row exists, and what it holds, is a read of the
        // table that a transaction block must validate (see `sql::block`).
        reads.scan(txn.db(), txn.db().table(table));
    }
    let Some(key) = txn.find_conflict(table, &row, conflict.columns.as_deref()) else {
        let key = txn.insert(table, row.clone())?;
        touched.insert(key);
        return Ok(Some(row));
    };
    let Some((assignments, filter)) = &conflict.update else {
        return Ok(None);
    };
    if touched.contains(&key) {
        return Err(SqlError::CardinalityViolation(
            "ON CONFLICT DO UPDATE command cannot affect row a second time".into(),
        ));
    }
    let existing = {
        let t = txn.db().table(table);
        t.decode(t.get(&key).expect("a conflicting row exists"))
    };
    let mut both = existing.clone();
    both.extend(row);
    let new = {
        let env = Env::new(txn.db(), params, ctx);
        if let Some(f) = filter {
            if !f.holds(&both, &env)? {
                return Ok(None);
            }
        }
        let mut new = existing;
        for (position, e) in assignments {
            new[*position] = e.eval(&both, &env)?;
        }
        new
    };
    check_not_null(txn, table, &new)?;
    let new_key = txn.update(table, &key, new.clone())?;
    touched.insert(new_key);
    Ok(Some(new))
}

/// 23502 for a NULL in a NOT NULL column, checked before the store computes the
/// row's key (a primary key column is NOT NULL, and its key cannot hold NULL).
fn check_not_null(txn: &WriteTxn<'_>, table: TableId, row: &[Value]) -> Result<(), SqlError> {
    let schema = txn.db().table(table).schema();
    for (column, value) in schema.columns.iter().zip(row) {
        if value.is_null() && !column.nullable {
            return Err(DbError::NotNullViolation {
                table: schema.name.clone(),
                column: column.name.clone(),
            }
            .into());
        }
    }
    Ok(())
}

/// Runs a bound UPDATE whose scan is optimized.
pub fn update(
    txn: &mut WriteTxn<'_>,
    bound: &Update,
    params: &[Value],
    ctx: &QueryContext,
) -> Result<Output, SqlError> {
    let changes = targets(txn, &bound.scan, params, ctx, |old, env| {
        let mut new = old.clone();
        for (position, e) in &bound.assignments {
            new[*position] = e.eval(&old, env)?;
        }
        Ok(new)
    })?;
    let mut written = Vec::with_capacity(changes.len());
    for (key, new) in changes {
        check_not_null(txn, bound.table, &new)?;
        txn.update(bound.table, &key, new.clone())?;
        written.push(new);
    }
    finish(
        txn,
        "UPDATE",
        written,
        bound.returning.as_ref(),
        params,
        ctx,
    )
}

/// Runs a bound DELETE whose scan is optimized.
pub fn delete(
    txn: &mut WriteTxn<'_>,
    bound: &Delete,
    params: &[Value],
    ctx: &QueryContext,
) -> Result<Output, SqlError> {
    let doomed = targets(txn, &bound.scan, params, ctx, |old, _| Ok(old))?;
    let mut written = Vec::with_capacity(doomed.len());
    for (key, old) in doomed {
        txn.delete(bound.table, &key);
        written.push(old);
    }
    finish(
        txn,
        "DELETE",
        written,
        bound.returning.as_ref(),
        params,
        ctx,
    )
}

/// The keys of the rows `scan` finds, each with `f` of its values, all computed
/// before anything is written.
fn targets(
    txn: &WriteTxn<'_>,
    scan: &Plan,
    params: &[Value],
    ctx: &QueryContext,
    mut f: impl FnMut(Vec<Value>, &Env<'_>) -> Result<Vec<Value>, SqlError>,
) -> Result<Vec<(Key, Vec<Value>)>, SqlError> {
    let Plan::Scan {
        table,
        access,
        filter,
        ..
    } = scan
    else {
        unreachable!(
            "the binder plans UPDATE and DELETE targets as one scan and optimize keeps it one"
        );
    };
    let env = Env::new(txn.db(), params, ctx);
    let mut out = Vec::new();
    for_each_row(&env, *table, access, filter.as_ref(), |key, values| {
        out.push((key.clone(), f(values, &env)?));
        Ok(())
    })?;
    Ok(out)
}

/// The command's output: the RETURNING rows, or the count.
fn finish(
    txn: &WriteTxn<'_>,
    command: &'static str,
    written: Vec<Vec<Value>>,
    returning: Option<&Returning>,
    params: &[Value],
    ctx: &QueryContext,
) -> Result<Output, SqlError> {
    let tag = CommandTag::with_rows(command, written.len());
    let Some(returning) = returning else {
        return Ok(Output::Command(tag));
    };
    let env = Env::new(txn.db(), params, ctx);
    let mut rows = Vec::with_capacity(written.len());
    for (i, row) in written.iter().enumerate() {
        tick(i, &env)?;
        rows.push(
            returning
                .exprs
                .iter()
                .map(|e| e.eval(row, &env))
                .collect::<Result<Vec<_>, _>>()?,
        );
    }
    Ok(Output::Rows {
        columns: Arc::new(returning.columns.clone()),
        rows,
        tag,
    })
}
