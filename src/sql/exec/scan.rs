//! Reading a table through its access path.
//!
//! Inside a transaction block, every read of a table goes through here: it is
//! noted in the statement's read log (see `sql::block`), and a statement run on
//! the block's overlay reads rows by key through it (see `sql::overlay`).

use std::collections::HashSet;
use std::ops::Bound;

use smallvec::SmallVec;

use crate::db::{Database, Key, Row, Table, TableId};
use crate::sql::plan::{Access, Expr, IndexRef};
use crate::sql::{QueryContext, SqlError};
use crate::types::Value;

use super::expr::Env;
use super::query::tick;

/// Calls `f` with the key and values of every row of `table` that `access` finds
/// and `filter` keeps. Point lookups probe the maps; nothing here scans more than
/// the access path says.
pub fn for_each_row(
    env: &Env<'_>,
    table: TableId,
    access: &Access,
    filter: Option<&Expr>,
    mut f: impl FnMut(&Key, Vec<Value>) -> Result<(), SqlError>,
) -> Result<(), SqlError> {
    for_each_row_while(env, table, access, filter, None, |key, values| {
        f(key, values).map(|()| true)
    })
}

/// `keys` without repeats, each where it first occurs: a key listed twice
/// (`id IN (1, 1)`) finds its rows once. Lists are short as a rule (two keys of
/// a transfer): those are compared pairwise, which costs less than hashing.
fn first_occurrences(keys: Vec<Vec<Value>>) -> Vec<Vec<Value>> {
    const PAIRWISE_MAX: usize = 8;
    if keys.len() <= PAIRWISE_MAX {
        let mut unique: Vec<Vec<Value>> = Vec::with_capacity(keys.len());
        for key in keys {
            if !unique.contains(&key) {
                unique.push(key);
            }
        }
        return unique;
    }
    let mut seen = HashSet::with_capacity(keys.len());
    keys.into_iter()
        .filter(|key| seen.insert(key.clone()))
        .collect()
}

/// [`for_each_row`] that stops as soon as `f` returns false (a LIMIT that has
/// its rows), so a limited scan reads no further than it needs. With `decoded`,
/// only those columns are decoded and the others are NULL (see
/// [`Plan::Scan`](crate::sql::plan::Plan::Scan)).
pub fn for_each_row_while(
    env: &Env<'_>,
    table: TableId,
    access: &Access,
    filter: Option<&Expr>,
    decoded: Option<&[bool]>,
    mut f: impl FnMut(&Key, Vec<Value>) -> Result<bool, SqlError>,
) -> Result<(), SqlError> {
    let t = env.db.table(table);
    if !matches!(access, Access::Lookup { .. }) {
        // A lookup notes its keys itself (see `lookup`).
        note_scan(env.db, env.ctx, t)?;
    }
    let mut n = 0;
    let mut visit = |key: &Key, row: &Row| -> Result<bool, SqlError> {
        n += 1;
        tick(n, env)?;
        let values = match decoded {
            Some(columns) => t.decode_only(row, columns),
            None => t.decode(row),
        };
        if filter.map_or(Ok(true), |c| c.holds(&values, env))? {
            return f(key, values);
        }
        Ok(true)
    };
    match access {
        Access::Full => {
            for (key, row) in t.scan() {
                if !visit(&key, row)? {
                    break;
                }
            }
        }
        Access::Lookup { index, keys } => {
            // Lookups find few rows; after a stop the rest are skipped, not read.
            let mut more = true;
            if let [key] = &keys[..] {
                // The point lookup: one key, nothing to deduplicate. A plain
                // loop: collecting the `Result`s costs more than the evaluation
                // of a parameter (callgrind).
                let mut values = SmallVec::<[Value; 2]>::new();
                for k in key {
                    values.push(k.eval(&[], env)?);
                }
                return lookup(env, t, *index, &values, &mut |key, row| {
                    if more {
                        more = visit(key, row)?;
                    }
                    Ok(())
                });
            }
            let keys = keys
                .iter()
                .map(|key| key.iter().map(|k| k.eval(&[], env)).collect())
                .collect::<Result<Vec<Vec<Value>>, _>>()?;
            for values in first_occurrences(keys) {
                lookup(env, t, *index, &values, &mut |key, row| {
                    if more {
                        more = visit(key, row)?;
                    }
                    Ok(())
                })?;
                if !more {
                    break;
                }
            }
        }
        Access::Range {
            index,
            lower,
            upper,
        } => {
            let lower = bound_value(lower, env)?;
            let upper = bound_value(upper, env)?;
            let (Some(lower), Some(upper)) = (lower, upper) else {
                // A NULL bound: no comparison with it is true.
                return Ok(());
            };
            let lower = as_prefix(&lower);
            let upper = as_prefix(&upper);
            match index {
                IndexRef::PrimaryKey => {
                    for (key, row) in t.primary_key_range(lower, upper) {
                        if !visit(&key, row)? {
                            break;
                        }
                    }
                }
                IndexRef::Secondary(i) => {
                    for (key, row) in t.index_range(*i, lower, upper) {
                        if !visit(&key, row)? {
                            break;
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// Before a statement reads more of `t` than one key: inside a transaction block,
/// notes the read in the statement's read log, and hands a statement run on the
/// block's overlay back for a rehearsal if the block wrote the table.
pub fn note_scan(db: &Database, ctx: &QueryContext, t: &Table) -> Result<(), SqlError> {
    if let Some(overlay) = &ctx.overlay {
        overlay.check_scan(t.schema().id)?;
    }
    if let Some(reads) = &ctx.reads {
        reads.scan(db, t);
    }
    Ok(())
}

/// Rows whose index key starts with `prefix` (a NULL in it matches nothing).
/// Inside a transaction block, notes what it read in the statement's read log,
/// and reads a row by key from the block's overlay where it has one.
fn lookup(
    env: &Env<'_>,
    t: &Table,
    index: IndexRef,
    prefix: &[Value],
    visit: &mut impl FnMut(&Key, &Row) -> Result<(), SqlError>,
) -> Result<(), SqlError> {
    if prefix.iter().any(Value::is_null) {
        return Ok(());
    }
    match index {
        IndexRef::PrimaryKey => {
            let pk_len = t.schema().primary_key.as_ref().map_or(0, Vec::len);
            if prefix.len() == pk_len {
                if let Some(key) = t.primary_key_of(prefix) {
                    let overlaid = match &env.ctx.overlay {
                        Some(overlay) => overlay.row(t.schema().id, &key)?,
                        None => None,
                    };
                    let row = overlaid.unwrap_or_else(|| t.get(&key));
                    if let Some(reads) = &env.ctx.reads {
                        reads.row(env.db, t, &key, row);
                    }
                    if let Some(row) = row {
                        visit(&key, row)?;
                    }
                }
                return Ok(());
            }
            note_scan(env.db, env.ctx, t)?;
            for (key, row) in t.primary_key_range(Bound::Included(prefix), Bound::Included(prefix))
            {
                visit(&key, row)?;
            }
        }
        IndexRef::Secondary(i) => {
            note_scan(env.db, env.ctx, t)?;
            for (key, row) in t.index_range(i, Bound::Included(prefix), Bound::Included(prefix)) {
                visit(&key, row)?;
            }
        }
    }
    Ok(())
}

/// The right rows of an index join for one left row's key values.
pub fn lookup_join_rows(
    env: &Env<'_>,
    table: TableId,
    index: IndexRef,
    key: &[Value],
    mut f: impl FnMut(Vec<Value>) -> Result<(), SqlError>,
) -> Result<(), SqlError> {
    let t = env.db.table(table);
    lookup(env, t, index, key, &mut |_, row| f(t.decode(row)))
}

/// A bound's value: Some(Unbounded) when open, None when the bound is NULL.
fn bound_value(bound: &Bound<Expr>, env: &Env<'_>) -> Result<Option<Bound<Vec<Value>>>, SqlError> {
    Ok(match bound {
        Bound::Unbounded => Some(Bound::Unbounded),
        Bound::Included(e) | Bound::Excluded(e) => {
            let v = e.eval(&[], env)?;
            if v.is_null() {
                return Ok(None);
            }
            Some(match bound {
                Bound::Included(_) => Bound::Included(vec![v]),
                _ => Bound::Excluded(vec![v]),
            })
        }
    })
}

fn as_prefix(bound: &Bound<Vec<Value>>) -> Bound<&[Value]> {
    match bound {
        Bound::Unbounded => Bound::Unbounded,
        Bound::Included(v) => Bound::Included(v),
        Bound::Excluded(v) => Bound::Excluded(v),
    }
}
