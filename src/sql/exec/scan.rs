//! Reading a table through its access path.

use std::ops::Bound;

use crate::db::{Key, Row, Table, TableId};
use crate::sql::plan::{Access, Expr, IndexRef};
use crate::sql::SqlError;
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
    for_each_row_while(env, table, access, filter, |key, values| {
        f(key, values).map(|()| true)
    })
}

/// [`for_each_row`] that stops as soon as `f` returns false (a LIMIT that has
/// its rows), so a limited scan reads no further than it needs.
pub fn for_each_row_while(
    env: &Env<'_>,
    table: TableId,
    access: &Access,
    filter: Option<&Expr>,
    mut f: impl FnMut(&Key, Vec<Value>) -> Result<bool, SqlError>,
) -> Result<(), SqlError> {
    let t = env.db.table(table);
    let reads = env.ctx.reads.as_deref();
    if let (Some(reads), false) = (reads, matches!(access, Access::Lookup { .. })) {
        // A lookup notes its keys itself (see `lookup`).
        reads.scan(env.db, t);
    }
    let mut n = 0;
    let mut visit = |key: &Key, row: &Row| -> Result<bool, SqlError> {
        n += 1;
        tick(n, env)?;
        let values = t.decode(row);
        if filter.map_or(Ok(true), |c| c.holds(&values, env))? {
            return f(key, values);
        }
        Ok(true)
    };
    match access {
        Access::Full => {
            for (key, row) in t.scan() {
                if !visit(key, row)? {
                    break;
                }
            }
        }
        Access::Lookup { index, keys } => {
            // Lookups find few rows; after a stop the rest are skipped, not read.
            let mut more = true;
            for key in keys {
                let values: Vec<Value> = key
                    .iter()
                    .map(|k| k.eval(&[], env))
                    .collect::<Result<_, _>>()?;
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
                        if !visit(key, row)? {
                            break;
                        }
                    }
                }
                IndexRef::Secondary(i) => {
                    for (key, row) in t.index_range(*i, lower, upper) {
                        if !visit(key, row)? {
                            break;
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// Rows whose index key starts with `prefix` (a NULL in it matches nothing).
/// Inside a transaction block, notes what it read in the statement's read log.
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
                    let row = t.get(&key);
                    if let Some(reads) = &env.ctx.reads {
                        reads.row(env.db, t, &key, row);
                    }
                    if let Some(row) = row {
                        visit(&key, row)?;
                    }
                }
                return Ok(());
            }
            if let Some(reads) = &env.ctx.reads {
                reads.scan(env.db, t);
            }
            for (key, row) in t.primary_key_range(Bound::Included(prefix), Bound::Included(prefix))
            {
                visit(key, row)?;
            }
        }
        IndexRef::Secondary(i) => {
            if let Some(reads) = &env.ctx.reads {
                reads.scan(env.db, t);
            }
            for (key, row) in t.index_range(i, Bound::Included(prefix), Bound::Included(prefix)) {
                visit(key, row)?;
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
