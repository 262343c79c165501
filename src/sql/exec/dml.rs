//! INSERT, UPDATE and DELETE, through a [`RowWriter`]: the store under the write
//! lock, or a transaction block's overlay under the read lock (`sql::overlay`).
//!
//! Each statement first computes everything it will write (the rows to insert,
//! or the keys and new values of the rows to change), then writes. Reading all
//! targets before the first write means a statement never sees its own changes
//! (no Halloween problem), and an error anywhere rolls back the whole transaction.

use std::collections::HashSet;
use std::sync::Arc;

use crate::db::{Database, Key, TableId, WriteTxn};
use crate::sql::binder::{Conflict, Delete, Insert, Returning, Update};
use crate::sql::plan::Plan;
use crate::sql::{CommandTag, Output, QueryContext, SqlError};
use crate::types::Value;

use super::expr::Env;
use super::query::{run, tick};
use super::scan::{for_each_row, note_scan};

/// Where a write statement's rows go.
///
/// [`WriteTxn`] writes the store itself, under the write lock. A transaction
/// block's `OverlayTxn` writes the block's overlay under the read lock, and hands
/// back ([`SqlError::NeedsRehearsal`]) what it cannot check there.
pub trait RowWriter<'db> {
    /// The database reads go to (with the writes made so far, for a [`WriteTxn`]).
    fn db(&self) -> &Database;

    /// Called before a statement reads the rows it will write to `table`.
    fn check_table(&self, table: TableId) -> Result<(), SqlError>;

    /// Inserts a row whose values have the column types, checking constraints.
    fn insert(&mut self, table: TableId, values: Vec<Value>) -> Result<(), SqlError>;

    /// Replaces the row under `key`, checking constraints.
    fn update(&mut self, table: TableId, key: &Key, values: Vec<Value>) -> Result<(), SqlError>;

    /// Deletes the row under `key`, which the statement just read.
    fn delete(&mut self, table: TableId, key: &Key) -> Result<(), SqlError>;

    /// The store itself, for what only it can do: DDL, CALL, `ON CONFLICT`.
    fn store(&mut self) -> Result<&mut WriteTxn<'db>, SqlError>;
}

impl<'db> RowWriter<'db> for WriteTxn<'db> {
    fn db(&self) -> &Database {
        WriteTxn::db(self)
    }

    fn check_table(&self, _: TableId) -> Result<(), SqlError> {
        Ok(())
    }

    fn insert(&mut self, table: TableId, values: Vec<Value>) -> Result<(), SqlError> {
        WriteTxn::insert(self, table, values)?;
        Ok(())
    }

    fn update(&mut self, table: TableId, key: &Key, values: Vec<Value>) -> Result<(), SqlError> {
        WriteTxn::update(self, table, key, values)?;
        Ok(())
    }

    fn delete(&mut self, table: TableId, key: &Key) -> Result<(), SqlError> {
        WriteTxn::delete(self, table, key);
        Ok(())
    }

    fn store(&mut self) -> Result<&mut WriteTxn<'db>, SqlError> {
        Ok(self)
    }
}

/// Runs a bound INSERT whose source plan is optimized.
pub fn insert<'db>(
    txn: &mut impl RowWriter<'db>,
    bound: &Insert,
    params: &[Value],
    ctx: &QueryContext,
) -> Result<Output, SqlError> {
    txn.check_table(bound.table)?;
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
        let row = match &bound.conflict {
            None => {
                txn.insert(bound.table, row.clone())?;
                Some(row)
            }
            Some(conflict) => insert_on_conflict(
                txn.store()?,
                bound.table,
                row,
                conflict,
                params,
                ctx,
                &mut touched,
            )?,
        };
        if bound.returning.is_some() {
            written.extend(row);
        } else if row.is_some() {
            written.push(Vec::new());
        }
    }
    finish(
        txn.db(),
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
    // NOT NULL first, as in PostgreSQL: a NULL is an error even where the row
    // would conflict and be skipped.
    txn.db().table(table).check_not_null(&row)?;
    // Whether a conflicting row exists, and what it holds, is a read of the table
    // that a transaction block must validate (see `sql::block`).
    note_scan(txn.db(), ctx, txn.db().table(table))?;
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
    let new_key = txn.update(table, &key, new.clone())?;
    touched.insert(new_key);
    Ok(Some(new))
}

/// Runs a bound UPDATE whose scan is optimized.
pub fn update<'db>(
    txn: &mut impl RowWriter<'db>,
    bound: &Update,
    params: &[Value],
    ctx: &QueryContext,
) -> Result<Output, SqlError> {
    txn.check_table(bound.table)?;
    let changes = targets(txn.db(), &bound.scan, params, ctx, |old, env| {
        let mut new = old.clone();
        for (position, e) in &bound.assignments {
            new[*position] = e.eval(&old, env)?;
        }
        Ok(new)
    })?;
    let mut written = Vec::with_capacity(changes.len());
    for (key, new) in changes {
        txn.update(bound.table, &key, new.clone())?;
        written.push(new);
    }
    finish(
        txn.db(),
        "UPDATE",
        written,
        bound.returning.as_ref(),
        params,
        ctx,
    )
}

/// Runs a bound DELETE whose scan is optimized.
pub fn delete<'db>(
    txn: &mut impl RowWriter<'db>,
    bound: &Delete,
    params: &[Value],
    ctx: &QueryContext,
) -> Result<Output, SqlError> {
    txn.check_table(bound.table)?;
    let doomed = targets(txn.db(), &bound.scan, params, ctx, |old, _| Ok(old))?;
    let mut written = Vec::with_capacity(doomed.len());
    for (key, old) in doomed {
        txn.delete(bound.table, &key)?;
        written.push(old);
    }
    finish(
        txn.db(),
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
    db: &Database,
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
    let env = Env::new(db, params, ctx);
    let mut out = Vec::new();
    for_each_row(&env, *table, access, filter.as_ref(), |key, values| {
        out.push((key.clone(), f(values, &env)?));
        Ok(())
    })?;
    Ok(out)
}

/// The command's output: the RETURNING rows, or the count.
fn finish(
    db: &Database,
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
    let env = Env::new(db, params, ctx);
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
