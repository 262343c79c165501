//! INSERT, UPDATE and DELETE, through a [`RowWriter`]: the store under the write
//! lock, or a transaction block's overlay under the read lock (`sql::overlay`).
//!
//! Each statement first computes everything it will write (the rows to insert,
//! or the keys and new values of the rows to change) and what its RETURNING
//! gives for them, then writes. Reading everything before the first write means a
//! statement never sees its own changes, as in PostgreSQL, where a statement and
//! the subqueries of its RETURNING see the state from before it (no Halloween
//! problem); an error anywhere rolls back the whole transaction. The exception is
//! `INSERT … ON CONFLICT`, whose rows decide one at a time, on what the rows before
//! them did, whether they insert, update or do nothing.

use std::collections::HashSet;
use std::sync::Arc;

use smallvec::SmallVec;

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

    /// Called before a statement reads anything, with the table it writes and
    /// the columns it assigns (an UPDATE's; none for INSERT and DELETE).
    fn check_table(&self, table: TableId, assigned: &[usize]) -> Result<(), SqlError>;

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

    fn check_table(&self, _: TableId, _: &[usize]) -> Result<(), SqlError> {
        Ok(())
    }

    fn insert(&mut self, table: TableId, values: Vec<Value>) -> Result<(), SqlError> {
        WriteTxn::insert(self, table, values)?;
        Ok(())
    }

    fn update(&mut self, table: TableId, key: &Key, values: Vec<Value>) -> Result<(), SqlError> {
        WriteTxn::update(self, table, key, values)?
            .expect("an updated row was found under this lock");
        Ok(())
    }

    fn delete(&mut self, table: TableId, key: &Key) -> Result<(), SqlError> {
        WriteTxn::delete(self, table, key)?;
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
    txn.check_table(bound.table, &[])?;
    let returning = bound.returning.as_ref();
    let source = |db: &Database| run(&bound.source.plan, &Env::new(db, params, ctx));
    let Some(conflict) = &bound.conflict else {
        let rows = source(txn.db())?;
        let returned = returning_rows(txn.db(), returning, &rows, params, ctx)?;
        let written = write_rows(rows, returned, ctx, |row| txn.insert(bound.table, row))?;
        return Ok(finish("INSERT", written, returning));
    };
    // Before the source runs, so that a statement handed back by a block's
    // overlay has done no work.
    let txn = txn.store()?;
    let rows = source(txn.db())?;
    let mut written = Vec::new();
    // The rows this statement inserted or updated, by key.
    let mut touched = HashSet::new();
    for (i, row) in rows.into_iter().enumerate() {
        if i % super::query::CHECK_EVERY_ROWS == 0 {
            ctx.interrupt.check()?;
        }
        let resolved = resolve_conflict(txn, bound.table, row, conflict, &touched, params, ctx)?;
        let (write, row) = match resolved {
            Upsert::Insert(row) => (None, row),
            Upsert::Update(key, new) => (Some(key), new),
            Upsert::Skip => continue,
        };
        // Before the row is written: the subqueries of RETURNING see this row as
        // it was (PostgreSQL's see none of the statement's rows; here they see the
        // ones written before this one).
        let returned =
            returning_rows(txn.db(), returning, std::slice::from_ref(&row), params, ctx)?;
        let key = match write {
            None => txn.insert(bound.table, row)?,
            Some(key) => txn
                .update(bound.table, &key, row)?
                .expect("the conflicting row was found under this lock"),
        };
        touched.insert(key);
        written.extend(returned.into_iter().collect::<Result<Vec<_>, _>>()?);
    }
    Ok(finish("INSERT", written, returning))
}

/// What an `INSERT … ON CONFLICT` does with one row.
enum Upsert {
    Insert(Vec<Value>),
    /// Replace the row under the key with these values.
    Update(Key, Vec<Value>),
    Skip,
}

/// Decides, without writing, what an `INSERT … ON CONFLICT` does with `row`:
/// insert it, update the row it conflicts with, or nothing. `touched` holds the
/// keys of the rows the statement wrote so far: updating one of them again is
/// 21000, before DO UPDATE's WHERE and SET run, as in PostgreSQL.
fn resolve_conflict(
    txn: &WriteTxn<'_>,
    table: TableId,
    row: Vec<Value>,
    conflict: &Conflict,
    touched: &HashSet<Key>,
    params: &[Value],
    ctx: &QueryContext,
) -> Result<Upsert, SqlError> {
    let db = txn.db();
    let t = db.table(table);
    // NOT NULL and CHECK first, as in PostgreSQL: a row that breaks one is an
    // error even where it would conflict and be skipped.
    t.check_not_null(&row)?;
    db.check_row(t.schema(), &row)?;
    // Whether a conflicting row exists, and what it holds, is a read of the table
    // that a transaction block must validate (see `sql::block`).
    note_scan(db, ctx, t)?;
    let Some(key) = t.find_conflict(&row, conflict.columns.as_deref()) else {
        return Ok(Upsert::Insert(row));
    };
    let Some((assignments, filter)) = &conflict.update else {
        return Ok(Upsert::Skip);
    };
    if touched.contains(&key) {
        return Err(SqlError::CardinalityViolation(
            "ON CONFLICT DO UPDATE command cannot affect row a second time".into(),
        ));
    }
    let existing = t.decode(t.get(&key).expect("a conflicting row exists"));
    let mut both = existing.clone();
    both.extend(row);
    let env = Env::new(db, params, ctx);
    if let Some(f) = filter {
        if !f.holds(&both, &env)? {
            return Ok(Upsert::Skip);
        }
    }
    let mut new = existing;
    for (position, e) in assignments {
        new[*position] = e.eval(&both, &env)?;
    }
    Ok(Upsert::Update(key, new))
}

/// Runs a bound UPDATE whose scan is optimized.
pub fn update<'db>(
    txn: &mut impl RowWriter<'db>,
    bound: &Update,
    params: &[Value],
    ctx: &QueryContext,
) -> Result<Output, SqlError> {
    let assigned: Vec<usize> = bound.assignments.iter().map(|(p, _)| *p).collect();
    txn.check_table(bound.table, &assigned)?;
    let (keys, rows): (Vec<Key>, Vec<Vec<Value>>) = targets(
        txn.db(),
        bound.table,
        &bound.scan,
        params,
        ctx,
        |mut row, env| {
            // Every SET expression sees the old row; the new one reuses it.
            let assigned: SmallVec<[Value; 4]> = bound
                .assignments
                .iter()
                .map(|(_, e)| e.eval(&row, env))
                .collect::<Result<_, _>>()?;
            for ((position, _), value) in bound.assignments.iter().zip(assigned) {
                row[*position] = value;
            }
            Ok(row)
        },
    )?
    .into_iter()
    .unzip();
    let returning = bound.returning.as_ref();
    let returned = returning_rows(txn.db(), returning, &rows, params, ctx)?;
    // A joined row carries the other items' columns after the target's.
    let width = txn.db().table(bound.table).schema().columns.len();
    let written = write_rows(keys.iter().zip(rows), returned, ctx, |(key, mut new)| {
        new.truncate(width);
        txn.update(bound.table, key, new)
    })?;
    Ok(finish("UPDATE", written, returning))
}

/// Runs a bound DELETE whose scan is optimized.
pub fn delete<'db>(
    txn: &mut impl RowWriter<'db>,
    bound: &Delete,
    params: &[Value],
    ctx: &QueryContext,
) -> Result<Output, SqlError> {
    txn.check_table(bound.table, &[])?;
    let (keys, rows): (Vec<Key>, Vec<Vec<Value>>) =
        targets(txn.db(), bound.table, &bound.scan, params, ctx, |old, _| {
            Ok(old)
        })?
        .into_iter()
        .unzip();
    let returning = bound.returning.as_ref();
    let returned = returning_rows(txn.db(), returning, &rows, params, ctx)?;
    let written = write_rows(&keys, returned, ctx, |key| txn.delete(bound.table, key))?;
    Ok(finish("DELETE", written, returning))
}

/// Makes a statement's writes, `write` on each item in order, checking for cancel
/// every so many rows, and collects each row's RETURNING result (see
/// [`returning_rows`]), raising its error right after that row's own write.
fn write_rows<T>(
    items: impl IntoIterator<Item = T>,
    returned: Vec<Result<Vec<Value>, SqlError>>,
    ctx: &QueryContext,
    mut write: impl FnMut(T) -> Result<(), SqlError>,
) -> Result<Vec<Vec<Value>>, SqlError> {
    let mut written = Vec::with_capacity(returned.len());
    for (i, (item, returned)) in items.into_iter().zip(returned).enumerate() {
        if i % super::query::CHECK_EVERY_ROWS == 0 {
            ctx.interrupt.check()?;
        }
        write(item)?;
        written.push(returned?);
    }
    Ok(written)
}

/// The keys of the rows `scan` finds in `table`, each with `f` of its values,
/// all computed before anything is written. A join (`UPDATE … FROM`, `DELETE
/// … USING`) gives rows of the target's columns and then the other items'; a
/// target row it gives more than once counts once, with its first row (see
/// [`Update`]).
fn targets(
    db: &Database,
    table: TableId,
    scan: &Plan,
    params: &[Value],
    ctx: &QueryContext,
    mut f: impl FnMut(Vec<Value>, &Env<'_>) -> Result<Vec<Value>, SqlError>,
) -> Result<Vec<(Key, Vec<Value>)>, SqlError> {
    let env = Env::new(db, params, ctx);
    let mut out = Vec::new();
    if let Plan::Scan { access, filter, .. } = scan {
        for_each_row(&env, table, access, filter.as_ref(), |key, values| {
            out.push((key.clone(), f(values, &env)?));
            Ok(())
        })?;
        return Ok(out);
    }
    let target = db.table(table);
    let width = target.schema().columns.len();
    let mut seen = HashSet::new();
    for row in run(scan, &env)? {
        let key = target.primary_key_of_row(&row[..width]).expect(
            "the binder joins only a target with a primary key, whose columns are never NULL",
        );
        if seen.insert(key.clone()) {
            out.push((key, f(row, &env)?));
        }
    }
    Ok(out)
}

/// What RETURNING gives for each of `rows` (the rows a statement is about to
/// write), computed on `db` before the statement writes them: in PostgreSQL, a
/// subquery in RETURNING sees the tables as they were before the statement. Each
/// row's result (an empty row without RETURNING, to be counted) is for the caller
/// to raise after that row's write, so that a row's own write error comes first,
/// as in PostgreSQL.
fn returning_rows(
    db: &Database,
    returning: Option<&Returning>,
    rows: &[Vec<Value>],
    params: &[Value],
    ctx: &QueryContext,
) -> Result<Vec<Result<Vec<Value>, SqlError>>, SqlError> {
    let Some(returning) = returning else {
        return Ok(rows.iter().map(|_| Ok(Vec::new())).collect());
    };
    let env = Env::new(db, params, ctx);
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        tick(i, &env)?;
        let returned = returning
            .exprs
            .iter()
            .map(|e| e.eval(row, &env))
            .collect::<Result<Vec<_>, _>>();
        // A block's overlay that cannot answer a subquery hands the statement
        // back now, before anything is written.
        if let Err(SqlError::NeedsRehearsal) = returned {
            return Err(SqlError::NeedsRehearsal);
        }
        out.push(returned);
    }
    Ok(out)
}

/// The command's output: the RETURNING rows, or the count of `written`.
fn finish(
    command: &'static str,
    written: Vec<Vec<Value>>,
    returning: Option<&Returning>,
) -> Output {
    let tag = CommandTag::with_rows(command, written.len());
    match returning {
        None => Output::Command(tag),
        Some(returning) => Output::Rows {
            columns: Arc::new(returning.columns.clone()),
            rows: written,
            tag,
        },
    }
}
