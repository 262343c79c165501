//! Running a plan: every node materializes its rows.
//!
//! Materializing keeps the executor small and makes each node's cost obvious;
//! rows are materialized anyway before the read lock is released (invariant 2).

use std::collections::{HashMap, HashSet};

use crate::sql::plan::{Expr, JoinKind, Plan, SetOpKind, SortKey};
use crate::sql::SqlError;
use crate::types::Value;

use super::expr::Env;
use super::scan::{for_each_row, lookup_join_rows};

/// Rows between interrupt checks in every loop, so that statement_timeout and
/// cancel stop a long statement promptly and release the lock.
pub const CHECK_EVERY_ROWS: usize = 1024;

pub type Rows = Vec<Vec<Value>>;

/// Runs `plan` to completion.
pub fn run(plan: &Plan, env: &Env<'_>) -> Result<Rows, SqlError> {
    match plan {
        Plan::Scan {
            table,
            access,
            filter,
            ..
        } => {
            let mut rows = Vec::new();
            for_each_row(env, *table, access, filter.as_ref(), |_, values| {
                rows.push(values);
                Ok(())
            })?;
            Ok(rows)
        }
        Plan::Values { rows, .. } => {
            let empty: [Value; 0] = [];
            rows.iter()
                .map(|r| r.iter().map(|e| e.eval(&empty, env)).collect())
                .collect()
        }
        Plan::Filter { input, predicate } => {
            let rows = run(input, env)?;
            let mut out = Vec::with_capacity(rows.len());
            for (i, row) in rows.into_iter().enumerate() {
                tick(i, env)?;
                if predicate.holds(&row, env)? {
                    out.push(row);
                }
            }
            Ok(out)
        }
        Plan::Project { input, exprs } => {
            let rows = run(input, env)?;
            let mut out = Vec::with_capacity(rows.len());
            for (i, row) in rows.iter().enumerate() {
                tick(i, env)?;
                out.push(
                    exprs
                        .iter()
                        .map(|e| e.eval(row, env))
                        .collect::<Result<Vec<_>, _>>()?,
                );
            }
            Ok(out)
        }
        Plan::NestedLoop {
            left,
            right,
            kind,
            on,
        } => nested_loop(left, right, *kind, on.as_ref(), env),
        Plan::IndexJoin {
            left,
            table,
            index,
            keys,
            kind,
            on,
            right_width,
            ..
        } => {
            let lefts = run(left, env)?;
            let mut out = Vec::new();
            for (i, l) in lefts.into_iter().enumerate() {
                tick(i, env)?;
                let key: Vec<Value> = keys
                    .iter()
                    .map(|k| k.eval(&l, env))
                    .collect::<Result<_, _>>()?;
                let matched_before = out.len();
                lookup_join_rows(env, *table, *index, &key, |r| {
                    let row = concat(&l, r);
                    if on.as_ref().map_or(Ok(true), |c| c.holds(&row, env))? {
                        out.push(row);
                    }
                    Ok(())
                })?;
                if *kind == JoinKind::Left && out.len() == matched_before {
                    out.push(pad(&l, *right_width));
                }
            }
            Ok(out)
        }
        Plan::HashJoin {
            left,
            right,
            left_keys,
            right_keys,
            kind,
            on,
        } => hash_join(left, right, left_keys, right_keys, *kind, on.as_ref(), env),
        Plan::Aggregate {
            input,
            group_by,
            aggregates,
        } => {
            let rows = run(input, env)?;
            super::aggregate::aggregate(rows, group_by, aggregates, env)
        }
        Plan::Distinct { input } => Ok(distinct(run(input, env)?)),
        Plan::Sort { input, keys } => {
            let rows = run(input, env)?;
            sort(rows, keys, env)
        }
        Plan::Limit {
            input,
            limit,
            offset,
        } => {
            let limit = count(limit.as_ref(), env, "LIMIT")?;
            let offset = count(offset.as_ref(), env, "OFFSET")?.unwrap_or(0);
            let rows = run(input, env)?;
            let rows = rows.into_iter().skip(offset);
            Ok(match limit {
                Some(n) => rows.take(n).collect(),
                None => rows.collect(),
            })
        }
        Plan::SetOp {
            left,
            right,
            op,
            all,
        } => set_op(run(left, env)?, run(right, env)?, *op, *all),
    }
}

/// Checks for cancellation every [`CHECK_EVERY_ROWS`] rows.
pub fn tick(i: usize, env: &Env<'_>) -> Result<(), SqlError> {
    if i % CHECK_EVERY_ROWS == CHECK_EVERY_ROWS - 1 {
        env.ctx.interrupt.check()?;
    }
    Ok(())
}

fn concat(l: &[Value], r: Vec<Value>) -> Vec<Value> {
    let mut row = Vec::with_capacity(l.len() + r.len());
    row.extend_from_slice(l);
    row.extend(r);
    row
}

fn pad(l: &[Value], width: usize) -> Vec<Value> {
    let mut row = l.to_vec();
    row.resize(l.len() + width, Value::Null);
    row
}

fn nested_loop(
    left: &Plan,
    right: &Plan,
    kind: JoinKind,
    on: Option<&Expr>,
    env: &Env<'_>,
) -> Result<Rows, SqlError> {
    let lefts = run(left, env)?;
    let rights = run(right, env)?;
    let width = right.width();
    let mut out = Vec::new();
    let mut n = 0;
    for l in &lefts {
        let mut matched = false;
        for r in &rights {
            n += 1;
            tick(n, env)?;
            let row = concat(l, r.clone());
            if on.map_or(Ok(true), |c| c.holds(&row, env))? {
                matched = true;
                out.push(row);
            }
        }
        if kind == JoinKind::Left && !matched {
            out.push(pad(l, width));
        }
    }
    Ok(out)
}

fn hash_join(
    left: &Plan,
    right: &Plan,
    left_keys: &[Expr],
    right_keys: &[Expr],
    kind: JoinKind,
    on: Option<&Expr>,
    env: &Env<'_>,
) -> Result<Rows, SqlError> {
    let rights = run(right, env)?;
    let width = right.width();
    let mut table: HashMap<Vec<Value>, Vec<usize>> = HashMap::new();
    for (i, r) in rights.iter().enumerate() {
        tick(i, env)?;
        let key: Vec<Value> = right_keys
            .iter()
            .map(|k| k.eval(r, env))
            .collect::<Result<_, _>>()?;
        if key.iter().any(Value::is_null) {
            continue;
        }
        table.entry(key).or_default().push(i);
    }
    let lefts = run(left, env)?;
    let mut out = Vec::new();
    for (i, l) in lefts.iter().enumerate() {
        tick(i, env)?;
        let key: Vec<Value> = left_keys
            .iter()
            .map(|k| k.eval(l, env))
            .collect::<Result<_, _>>()?;
        let mut matched = false;
        if !key.iter().any(Value::is_null) {
            for &j in table.get(&key).map(Vec::as_slice).unwrap_or(&[]) {
                let row = concat(l, rights[j].clone());
                if on.map_or(Ok(true), |c| c.holds(&row, env))? {
                    matched = true;
                    out.push(row);
                }
            }
        }
        if kind == JoinKind::Left && !matched {
            out.push(pad(l, width));
        }
    }
    Ok(out)
}

/// Removes duplicate rows (NULLs equal each other here, as in DISTINCT), keeping
/// the first of each.
fn distinct(rows: Rows) -> Rows {
    let mut seen = HashSet::with_capacity(rows.len());
    rows.into_iter()
        .filter(|r| seen.insert(r.clone()))
        .collect()
}

/// Sorts by the keys; the sort is stable. `Value`'s order puts NULL last, which
/// NULLS FIRST and DESC adjust.
pub fn sort(rows: Rows, keys: &[SortKey], env: &Env<'_>) -> Result<Rows, SqlError> {
    let mut keyed: Vec<(Vec<Value>, Vec<Value>)> = Vec::with_capacity(rows.len());
    for (i, row) in rows.into_iter().enumerate() {
        tick(i, env)?;
        let k = keys
            .iter()
            .map(|k| k.expr.eval(&row, env))
            .collect::<Result<_, _>>()?;
        keyed.push((k, row));
    }
    keyed.sort_by(|(a, _), (b, _)| {
        for (key, (x, y)) in keys.iter().zip(a.iter().zip(b)) {
            let ord = match (x.is_null(), y.is_null()) {
                (true, true) => std::cmp::Ordering::Equal,
                (true, false) => {
                    if key.nulls_first {
                        std::cmp::Ordering::Less
                    } else {
                        std::cmp::Ordering::Greater
                    }
                }
                (false, true) => {
                    if key.nulls_first {
                        std::cmp::Ordering::Greater
                    } else {
                        std::cmp::Ordering::Less
                    }
                }
                (false, false) => {
                    let o = x.cmp(y);
                    if key.descending {
                        o.reverse()
                    } else {
                        o
                    }
                }
            };
            if ord != std::cmp::Ordering::Equal {
                return ord;
            }
        }
        std::cmp::Ordering::Equal
    });
    Ok(keyed.into_iter().map(|(_, r)| r).collect())
}

/// A LIMIT or OFFSET count: NULL means none; negative is 2201W/2201X.
fn count(e: Option<&Expr>, env: &Env<'_>, what: &str) -> Result<Option<usize>, SqlError> {
    let Some(e) = e else {
        return Ok(None);
    };
    match e.eval(&[], env)? {
        Value::Null => Ok(None),
        v => match v.as_i64() {
            Some(n) if n >= 0 => Ok(Some(usize::try_from(n).unwrap_or(usize::MAX))),
            _ => Err(SqlError::InvalidRowCount(format!(
                "{what} must not be negative"
            ))),
        },
    }
}

fn set_op(left: Rows, right: Rows, op: SetOpKind, all: bool) -> Result<Rows, SqlError> {
    Ok(match (op, all) {
        (SetOpKind::Union, true) => left.into_iter().chain(right).collect(),
        (SetOpKind::Union, false) => distinct(left.into_iter().chain(right).collect()),
        (SetOpKind::Intersect | SetOpKind::Except, _) => {
            let mut counts: HashMap<Vec<Value>, usize> = HashMap::new();
            for r in right {
                *counts.entry(r).or_default() += 1;
            }
            let mut out = Vec::new();
            let mut emitted: HashSet<Vec<Value>> = HashSet::new();
            for r in left {
                let present = counts.get(&r).copied().unwrap_or(0) > 0;
                let keep = (op == SetOpKind::Intersect) == present;
                if all {
                    if keep {
                        if op == SetOpKind::Intersect {
                            *counts.get_mut(&r).expect("present") -= 1;
                        }
                        out.push(r);
                    } else if op == SetOpKind::Except {
                        *counts.get_mut(&r).expect("present when not kept by EXCEPT") -= 1;
                    }
                } else if keep && emitted.insert(r.clone()) {
                    out.push(r);
                }
            }
            out
        }
    })
}
