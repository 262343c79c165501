//! Running a plan: every node materializes its rows.
//!
//! Materializing keeps the executor small and makes each node's cost obvious;
//! rows are materialized anyway before the read lock is released (invariant 2).

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use crate::db::TableId;
use crate::sql::plan::{Access, Expr, JoinKind, Plan, SetFunction, SetOpKind, SortKey};
use crate::sql::system::SystemSnapshot;
use crate::sql::SqlError;
use crate::types::{Interval, TimeZone, Value};

use super::expr::Env;
use super::scan::{for_each_row_while, lookup_join_rows};

/// Rows between interrupt checks in every loop, so that statement_timeout and
/// cancel stop a long statement promptly and release the lock.
pub const CHECK_EVERY_ROWS: usize = 1024;

pub type Rows = Vec<Vec<Value>>;

/// Runs `plan` to completion.
pub fn run(plan: &Plan, env: &Env<'_>) -> Result<Rows, SqlError> {
    run_at_most(plan, env, None)
}

/// Runs `plan`, stopping early where a node can once it has `wanted` rows
/// (a LIMIT above it); nodes that cannot stop early run to completion and the
/// caller truncates.
fn run_at_most(plan: &Plan, env: &Env<'_>, wanted: Option<usize>) -> Result<Rows, SqlError> {
    match plan {
        Plan::Scan {
            table,
            access,
            filter,
            decoded,
            ..
        } => {
            let decoded = decoded.as_deref();
            scan(*table, access, filter.as_ref(), decoded, None, env, wanted)
        }
        Plan::SystemScan { relation, .. } => {
            if let Some(reads) = &env.ctx.reads {
                reads.catalog(env.db);
            }
            let snapshot = SystemSnapshot::gather(env.db, env.ctx);
            Ok(relation.rows(&snapshot))
        }
        Plan::CallView { routine, args, .. } => {
            let args = eval_without_row(args, env)?;
            let module = super::call::module_of(env.ctx, routine)?;
            if env.ctx.reads.is_some() || env.ctx.overlay.is_some() {
                // A view reads through the module host, which notes nothing, so a
                // block counts it as a scan of every table its module declares.
                for &table in module.tables(env.db, &routine.name)?.iter() {
                    super::scan::note_scan(env.db, env.ctx, env.db.table(table))?;
                }
            }
            Ok(module.call_view(env.db, routine, &args, &super::call::call_info(env.ctx))?)
        }
        Plan::Values { rows, .. } => values(rows, env),
        Plan::Series { start, stop, step } => series(start, stop, step, env),
        Plan::Unnest { array, width } => unnest(array, *width, env),
        Plan::ProjectSet { input, functions } => project_set(run(input, env)?, functions, env),
        Plan::Filter { input, predicate } => filter(run(input, env)?, predicate, env),
        Plan::Project { input, exprs } => match &**input {
            Plan::Scan {
                table,
                access,
                filter,
                decoded,
                ..
            } => {
                let decoded = decoded.as_deref();
                scan(
                    *table,
                    access,
                    filter.as_ref(),
                    decoded,
                    Some(exprs),
                    env,
                    wanted,
                )
            }
            _ => project(&run_at_most(input, env, wanted)?, exprs, env),
        },
        Plan::NestedLoop {
            left,
            right,
            kind,
            on,
        } => nested_loop(left, right, *kind, on.as_ref(), env),
        Plan::LateralJoin {
            left,
            right,
            kind,
            on,
        } => lateral_join(left, right, *kind, on.as_ref(), env),
        Plan::IndexJoin { .. } => index_join(plan, env),
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
        Plan::Window { input, functions } => {
            super::window::compute(run(input, env)?, functions, env)
        }
        Plan::Distinct { input } => distinct(run(input, env)?, env),
        Plan::Ordinality { input } => {
            let mut rows = run(input, env)?;
            for (row, number) in rows.iter_mut().zip(1_i64..) {
                row.push(Value::Int8(number));
            }
            Ok(rows)
        }
        Plan::DistinctOn { input, columns } => Ok(distinct_on(run(input, env)?, columns)),
        Plan::Sort { input, keys } => sort(run(input, env)?, keys, env),
        Plan::Limit {
            input,
            limit,
            offset,
        } => limit_rows(input, limit.as_ref(), offset.as_ref(), wanted, env),
        Plan::SetOp {
            left,
            right,
            op,
            all,
        } => set_op(run(left, env)?, run(right, env)?, *op, *all, env),
        Plan::RecursiveUnion {
            id,
            anchor,
            recursive,
            all,
        } => recursive_union(*id, anchor, recursive, *all, env),
        Plan::WorkingTable { id, .. } => Ok(env.working_table(*id).as_ref().clone()),
    }
}

/// `WITH RECURSIVE`: the anchor's rows, then, as long as the last round found
/// any, the rows the recursive term makes of them. Without `all`, rows found
/// before (or twice in one round) are dropped, as UNION drops them. Every row
/// counts against the statement's row limit, which with `statement_timeout` is
/// what stops a recursion that never ends (PostgreSQL runs one until it is
/// cancelled).
fn recursive_union(
    id: usize,
    anchor: &Plan,
    recursive: &Plan,
    all: bool,
    env: &Env<'_>,
) -> Result<Rows, SqlError> {
    let mut seen = HashSet::new();
    let mut keep = |rows: Rows| -> Result<Rows, SqlError> {
        let mut kept = Vec::with_capacity(rows.len());
        for (i, row) in rows.into_iter().enumerate() {
            tick(i, env)?;
            if all || seen.insert(row.clone()) {
                kept.push(row);
            }
        }
        Ok(kept)
    };
    let rows_max = env.ctx.rows_max;
    let over_limit = || {
        SqlError::ProgramLimitExceeded(format!(
            "a WITH RECURSIVE query found more than {rows_max} rows; the limit is the \
             server's --max-rows-per-statement (add a condition that ends the recursion)"
        ))
    };
    let mut found = keep(run(anchor, env)?)?;
    let mut last = Rc::new(found.clone());
    while !last.is_empty() {
        if found.len() > rows_max {
            return Err(over_limit());
        }
        env.ctx.interrupt.check()?;
        let made = keep(env.run_recursive_term(recursive, id, last)?)?;
        found.extend(made.iter().cloned());
        last = Rc::new(made);
    }
    Ok(found)
}

/// The rows a scan of `table` finds, at most `wanted`. With `exprs` (a projection
/// over the scan), each row is projected as it is read: no copy of the rows the
/// scan found (a point select's one row is decoded once, then projected).
fn scan(
    table: TableId,
    access: &Access,
    filter: Option<&Expr>,
    decoded: Option<&[bool]>,
    exprs: Option<&[Expr]>,
    env: &Env<'_>,
    wanted: Option<usize>,
) -> Result<Rows, SqlError> {
    let mut rows = Vec::new();
    for_each_row_while(env, table, access, filter, decoded, |_, values| {
        rows.push(match exprs {
            Some(exprs) => project_row(&values, exprs, env)?,
            None => values,
        });
        Ok(wanted.is_none_or(|n| rows.len() < n))
    })?;
    Ok(rows)
}

/// `generate_series(start, stop)`'s rows, of the bounds' type (int4 or int8).
fn series(start: &Expr, stop: &Expr, step: &Expr, env: &Env<'_>) -> Result<Rows, SqlError> {
    let bounds = eval_without_row(&[start.clone(), stop.clone(), step.clone()], env)?;
    function_rows(
        "generate_series",
        series_values(&bounds[0], &bounds[1], &bounds[2], &env.ctx.time_zone)?,
        env,
    )
}

/// `generate_series(start, stop, step)`'s values (none if any is NULL), of
/// the bounds' type: each the last plus the step, up to `stop` (down to it
/// for a negative step) and never past the type's range (int4 bounds keep
/// every value in range). A timestamp steps by an interval, a timestamptz's
/// months and days on the wall clock of `time_zone`, as PostgreSQL does. A
/// step of 0 is 22023, as in PostgreSQL.
fn series_values(
    start: &Value,
    stop: &Value,
    step: &Value,
    time_zone: &TimeZone,
) -> Result<impl Iterator<Item = Value>, SqlError> {
    let zero_step = || SqlError::InvalidParameterValue("step size cannot equal zero".into());
    type Next = Box<dyn Fn(i64) -> Option<i64>>;
    let (from, to, forward, next, value): (i64, i64, bool, Next, fn(i64) -> Value) =
        match (start, stop, step) {
            (
                Value::Timestamp(from) | Value::Timestamptz(from),
                Value::Timestamp(to) | Value::Timestamptz(to),
                Value::Interval(by),
            ) => {
                let forward = match by.compare(&Interval::default()) {
                    Ordering::Equal => return Err(zero_step()),
                    direction => direction == Ordering::Greater,
                };
                let by = *by;
                if matches!(start, Value::Timestamptz(_)) {
                    let zone = time_zone.clone();
                    let next = move |t| by.add_to_timestamptz(t, &zone).ok();
                    (*from, *to, forward, Box::new(next), Value::Timestamptz)
                } else {
                    let next = move |t| by.add_to_timestamp(t).ok();
                    (*from, *to, forward, Box::new(next), Value::Timestamp)
                }
            }
            _ => match (start.as_i64(), stop.as_i64(), step.as_i64()) {
                (Some(_), Some(_), Some(0)) => return Err(zero_step()),
                (Some(from), Some(to), Some(by)) => {
                    let value: fn(i64) -> Value = match start {
                        Value::Int8(_) => Value::Int8,
                        _ => |n| Value::Int4(n as i32),
                    };
                    let next = move |n: i64| n.checked_add(by);
                    (from, to, by > 0, Box::new(next), value)
                }
                // A NULL bound or step: no values.
                _ => (1, 0, true, Box::new(|_| None), Value::Int8),
            },
        };
    Ok(std::iter::successors(Some(from), move |&n| next(n))
        .take_while(move |&n| if forward { n <= to } else { n >= to })
        .map(value))
}

/// Set-returning functions of a select list (see `Plan::ProjectSet`), within
/// the statement's row limit.
fn project_set(rows: Rows, functions: &[SetFunction], env: &Env<'_>) -> Result<Rows, SqlError> {
    let mut out = Vec::new();
    for row in rows {
        let mut columns = Vec::with_capacity(functions.len());
        for function in functions {
            columns.push(match function {
                SetFunction::Elements(array) => match array.eval(&row, env)? {
                    Value::Array(items) => items,
                    _ => Vec::new(),
                },
                SetFunction::Series { start, stop, step } => {
                    let (start, stop) = (start.eval(&row, env)?, stop.eval(&row, env)?);
                    let step = step.eval(&row, env)?;
                    let values = series_values(&start, &stop, &step, &env.ctx.time_zone)?;
                    function_rows("generate_series", values, env)?
                        .into_iter()
                        .flatten()
                        .collect()
                }
            });
        }
        let longest = columns.iter().map(Vec::len).max().unwrap_or(0);
        for i in 0..longest {
            tick(out.len(), env)?;
            if out.len() >= env.ctx.rows_max {
                return Err(SqlError::ProgramLimitExceeded(format!(
                    "set-returning functions in the select list returned more than {} rows \
                     (--max-rows-per-statement)",
                    env.ctx.rows_max
                )));
            }
            let mut projected = row.clone();
            projected.extend(
                columns
                    .iter()
                    .map(|values| values.get(i).cloned().unwrap_or(Value::Null)),
            );
            out.push(projected);
        }
    }
    Ok(out)
}

/// `unnest(array)`'s rows: its elements in order (each an array of the row's
/// values when `width` is more than 1).
fn unnest(array: &Expr, width: usize, env: &Env<'_>) -> Result<Rows, SqlError> {
    let Value::Array(items) = array.eval(&[], env)? else {
        return Ok(Vec::new());
    };
    let mut rows = function_rows("unnest", items.into_iter(), env)?;
    if width > 1 {
        for row in &mut rows {
            if let [Value::Array(values)] = row.as_mut_slice() {
                *row = std::mem::take(values);
            }
        }
    }
    Ok(rows)
}

/// One row per value of a function in FROM, within the statement's row limit.
fn function_rows(
    function: &str,
    values: impl Iterator<Item = Value>,
    env: &Env<'_>,
) -> Result<Rows, SqlError> {
    let mut rows = Vec::new();
    for (i, value) in values.enumerate() {
        tick(i, env)?;
        if rows.len() >= env.ctx.rows_max {
            return Err(SqlError::ProgramLimitExceeded(format!(
                "{function} returned more than {} rows (--max-rows-per-statement)",
                env.ctx.rows_max
            )));
        }
        rows.push(vec![value]);
    }
    Ok(rows)
}

fn values(rows: &[Vec<Expr>], env: &Env<'_>) -> Result<Rows, SqlError> {
    rows.iter().map(|r| eval_without_row(r, env)).collect()
}

/// Evaluates expressions that refer to no column (literals, parameters, functions
/// of them): a `VALUES` row, or the arguments of a routine call.
pub(super) fn eval_without_row(exprs: &[Expr], env: &Env<'_>) -> Result<Vec<Value>, SqlError> {
    let empty: [Value; 0] = [];
    exprs.iter().map(|e| e.eval(&empty, env)).collect()
}

fn filter(rows: Rows, predicate: &Expr, env: &Env<'_>) -> Result<Rows, SqlError> {
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.into_iter().enumerate() {
        tick(i, env)?;
        if predicate.holds(&row, env)? {
            out.push(row);
        }
    }
    Ok(out)
}

fn project(rows: &Rows, exprs: &[Expr], env: &Env<'_>) -> Result<Rows, SqlError> {
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        tick(i, env)?;
        out.push(project_row(row, exprs, env)?);
    }
    Ok(out)
}

/// `exprs` evaluated over one row.
fn project_row(row: &[Value], exprs: &[Expr], env: &Env<'_>) -> Result<Vec<Value>, SqlError> {
    exprs.iter().map(|e| e.eval(row, env)).collect()
}

/// OFFSET then LIMIT. The input is asked for no more than offset + limit rows
/// (and no more than an enclosing LIMIT wants), so `SELECT … LIMIT n` over a
/// scan reads n rows, not the table.
fn limit_rows(
    input: &Plan,
    limit: Option<&Expr>,
    offset: Option<&Expr>,
    wanted: Option<usize>,
    env: &Env<'_>,
) -> Result<Rows, SqlError> {
    let limit = count(limit, env, "LIMIT")?;
    let offset = count(offset, env, "OFFSET")?.unwrap_or(0);
    let limit = match (limit, wanted) {
        (Some(l), Some(w)) => Some(l.min(w)),
        (l, w) => l.or(w),
    };
    let needed = limit.map(|l| l.saturating_add(offset));
    let mut rows = run_at_most(input, env, needed)?;
    env.ctx.interrupt.check()?;
    // `drain` drops the skipped rows without moving the kept ones one by one.
    rows.drain(..offset.min(rows.len()));
    if let Some(n) = limit {
        rows.truncate(n);
    }
    Ok(rows)
}

fn index_join(plan: &Plan, env: &Env<'_>) -> Result<Rows, SqlError> {
    let Plan::IndexJoin {
        left,
        table,
        index,
        keys,
        kind,
        on,
        right_width,
        ..
    } = plan
    else {
        unreachable!("index_join is called for index joins only");
    };
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
                env.count_joined_row()?;
                out.push(row);
            }
            Ok(())
        })?;
        if *kind == JoinKind::Left && out.len() == matched_before {
            env.count_joined_row()?;
            out.push(pad(&l, *right_width));
        }
    }
    Ok(out)
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
    let mut join = LoopJoin::new(right.width(), kind, on);
    let mut right_matched = vec![false; rights.len()];
    for l in &lefts {
        join.add(l, &rights, Some(&mut right_matched), env)?;
    }
    let mut out = join.out;
    if kind == JoinKind::Full {
        add_unmatched_rights(&mut out, left.width(), rights, &right_matched, env)?;
    }
    Ok(out)
}

/// A full join's right rows that no left row matched, padded with NULLs on the
/// left, after the joined rows (where PostgreSQL's hash full join puts them).
fn add_unmatched_rights(
    out: &mut Rows,
    left_width: usize,
    rights: Rows,
    matched: &[bool],
    env: &Env<'_>,
) -> Result<(), SqlError> {
    for (i, (r, &matched)) in rights.into_iter().zip(matched).enumerate() {
        tick(i, env)?;
        if !matched {
            env.count_joined_row()?;
            let mut row = vec![Value::Null; left_width];
            row.extend(r);
            out.push(row);
        }
    }
    Ok(())
}

/// Runs `right` once per left row, with that row as its innermost enclosing row.
fn lateral_join(
    left: &Plan,
    right: &Plan,
    kind: JoinKind,
    on: Option<&Expr>,
    env: &Env<'_>,
) -> Result<Rows, SqlError> {
    let lefts = run(left, env)?;
    let mut join = LoopJoin::new(right.width(), kind, on);
    for (i, l) in lefts.iter().enumerate() {
        tick(i, env)?;
        let rights = env.run_for_row(right, l)?;
        join.add(l, &rights, None, env)?;
    }
    Ok(join.out)
}

/// The output of a nested loop join, built one left row at a time.
struct LoopJoin<'a> {
    right_width: usize,
    kind: JoinKind,
    on: Option<&'a Expr>,
    /// Pairs compared so far, for the interrupt checks.
    compared: usize,
    out: Rows,
}

impl<'a> LoopJoin<'a> {
    fn new(right_width: usize, kind: JoinKind, on: Option<&'a Expr>) -> LoopJoin<'a> {
        LoopJoin {
            right_width,
            kind,
            on,
            compared: 0,
            out: Vec::new(),
        }
    }

    /// Joins `l` with each of `rights` that satisfies the condition, marking
    /// those in `right_matched` (a full join's); a left or full join keeps `l`,
    /// padded with NULLs, when none does.
    fn add(
        &mut self,
        l: &[Value],
        rights: &Rows,
        mut right_matched: Option<&mut [bool]>,
        env: &Env<'_>,
    ) -> Result<(), SqlError> {
        let mut matched = false;
        for (j, r) in rights.iter().enumerate() {
            self.compared += 1;
            tick(self.compared, env)?;
            let row = concat(l, r.clone());
            if self.on.map_or(Ok(true), |c| c.holds(&row, env))? {
                matched = true;
                if let Some(right_matched) = right_matched.as_deref_mut() {
                    right_matched[j] = true;
                }
                env.count_joined_row()?;
                self.out.push(row);
            }
        }
        if self.kind != JoinKind::Inner && !matched {
            env.count_joined_row()?;
            self.out.push(pad(l, self.right_width));
        }
        Ok(())
    }
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
    let mut right_matched = vec![false; rights.len()];
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
                    right_matched[j] = true;
                    env.count_joined_row()?;
                    out.push(row);
                }
            }
        }
        if kind != JoinKind::Inner && !matched {
            env.count_joined_row()?;
            out.push(pad(l, width));
        }
    }
    if kind == JoinKind::Full {
        add_unmatched_rights(&mut out, left.width(), rights, &right_matched, env)?;
    }
    Ok(out)
}

/// Removes duplicate rows (NULLs equal each other here, as in DISTINCT), keeping
/// the first of each.
fn distinct(rows: Rows, env: &Env<'_>) -> Result<Rows, SqlError> {
    let mut seen = HashSet::with_capacity(rows.len());
    let mut out = Vec::new();
    for (i, r) in rows.into_iter().enumerate() {
        tick(i, env)?;
        if seen.insert(r.clone()) {
            out.push(r);
        }
    }
    Ok(out)
}

/// The first row of each run of rows equal in `columns` (the rows come sorted
/// on them).
fn distinct_on(rows: Rows, columns: &[usize]) -> Rows {
    let same = |a: &[Value], b: &[Value]| columns.iter().all(|&c| a[c] == b[c]);
    let mut out: Rows = Vec::new();
    for row in rows {
        if out.last().is_none_or(|last| !same(last, &row)) {
            out.push(row);
        }
    }
    out
}

/// Sorts by the keys; the sort is stable. `Value`'s order puts NULL last, which
/// NULLS FIRST and DESC adjust.
pub fn sort(rows: Rows, keys: &[SortKey], env: &Env<'_>) -> Result<Rows, SqlError> {
    Ok(sort_keyed(rows, keys, env)?
        .into_iter()
        .map(|(_, r)| r)
        .collect())
}

/// Rows, each beside its sort key values.
pub(super) type KeyedRows = Vec<(Vec<Value>, Vec<Value>)>;

/// The rows sorted (stably) by `keys`, each beside its key values.
pub(super) fn sort_keyed(
    rows: Rows,
    keys: &[SortKey],
    env: &Env<'_>,
) -> Result<KeyedRows, SqlError> {
    let mut keyed: Vec<(Vec<Value>, Vec<Value>)> = Vec::with_capacity(rows.len());
    for (i, row) in rows.into_iter().enumerate() {
        tick(i, env)?;
        let k = keys
            .iter()
            .map(|k| k.expr.eval(&row, env))
            .collect::<Result<_, _>>()?;
        keyed.push((k, row));
    }
    env.ctx.interrupt.check()?;
    // The comparator checks the interrupt every so many comparisons; once it
    // fires, the remaining comparisons are skipped (answered Equal) so the sort
    // ends quickly, and the statement fails with the interrupt's error.
    let mut compared = 0usize;
    let mut interrupted = None;
    keyed.sort_by(|(a, _), (b, _)| {
        if interrupted.is_some() {
            return std::cmp::Ordering::Equal;
        }
        compared += 1;
        if let Err(e) = tick(compared, env) {
            interrupted = Some(e);
            return std::cmp::Ordering::Equal;
        }
        compare_keys(keys, a, b)
    });
    if let Some(e) = interrupted {
        return Err(e);
    }
    Ok(keyed)
}

/// The order of two rows' sort keys.
pub(super) fn compare_keys(keys: &[SortKey], a: &[Value], b: &[Value]) -> std::cmp::Ordering {
    {
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
    }
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

fn set_op(
    left: Rows,
    right: Rows,
    op: SetOpKind,
    all: bool,
    env: &Env<'_>,
) -> Result<Rows, SqlError> {
    Ok(match (op, all) {
        (SetOpKind::Union, true) => left.into_iter().chain(right).collect(),
        (SetOpKind::Union, false) => distinct(left.into_iter().chain(right).collect(), env)?,
        (SetOpKind::Intersect | SetOpKind::Except, _) => {
            let mut counts: HashMap<Vec<Value>, usize> = HashMap::new();
            for (i, r) in right.into_iter().enumerate() {
                tick(i, env)?;
                *counts.entry(r).or_default() += 1;
            }
            let mut out = Vec::new();
            let mut emitted: HashSet<Vec<Value>> = HashSet::new();
            for (i, r) in left.into_iter().enumerate() {
                tick(i, env)?;
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
