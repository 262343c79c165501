//! Evaluating bound expressions over a row.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use crate::db::Database;
use crate::sql::plan::{Expr, Plan, Subquery};
use crate::sql::{QueryContext, SqlError};
use crate::types::{
    cast_in, eval_binary, eval_binary_in, eval_function, eval_unary, like, BinaryOp, CastKind,
    DataType, FunctionContext, FunctionId, TextStyle, TimeZone, UnaryOp, Value,
};

use super::query::{run, Rows};
use crate::sql::system::eval_catalog_function;

/// Everything a running statement reads besides the row at hand.
pub struct Env<'a> {
    pub db: &'a Database,
    pub params: &'a [Value],
    pub ctx: &'a QueryContext,
    pub functions: FunctionContext,
    /// The current rows of the enclosing queries, innermost last, while a
    /// correlated subquery runs.
    outer: RefCell<Vec<Vec<Value>>>,
    /// Results of uncorrelated subqueries, computed once per statement.
    cache: RefCell<HashMap<usize, Rc<Vec<Vec<Value>>>>>,
    /// The rows each running `WITH RECURSIVE` query found last, by its id, for its
    /// recursive term to read (see `Plan::WorkingTable`).
    working_tables: RefCell<Vec<(usize, Rc<Rows>)>>,
    /// Rows joins have produced so far in this statement. Every plan node
    /// materializes its rows under the lock, and a join's output can be the
    /// product of its inputs, so this is what bounds a statement's memory (see
    /// [`Env::count_joined_row`]).
    joined_rows: Cell<usize>,
}

impl<'a> Env<'a> {
    pub fn new(db: &'a Database, params: &'a [Value], ctx: &'a QueryContext) -> Env<'a> {
        let functions = FunctionContext {
            statement_timestamp: ctx.statement_time_us,
            time_zone: session_zone(ctx),
            extra_float_digits: ctx.extra_float_digits,
        };
        Env {
            db,
            params,
            ctx,
            functions,
            outer: RefCell::default(),
            cache: RefCell::default(),
            working_tables: RefCell::default(),
            joined_rows: Cell::new(0),
        }
    }

    /// Runs `plan`, the recursive term of `WITH RECURSIVE` query `id`, reading
    /// `rows` as the rows that query found last.
    pub fn run_recursive_term(
        &self,
        plan: &Plan,
        id: usize,
        rows: Rc<Rows>,
    ) -> Result<Rows, SqlError> {
        self.working_tables.borrow_mut().push((id, rows));
        let result = run(plan, self);
        self.working_tables.borrow_mut().pop();
        result
    }

    /// The rows `WITH RECURSIVE` query `id` found last (see
    /// [`Env::run_recursive_term`]).
    pub fn working_table(&self, id: usize) -> Rc<Rows> {
        let tables = self.working_tables.borrow();
        let found = tables.iter().rev().find(|(running, _)| *running == id);
        Rc::clone(
            &found
                .expect("a working table is read only by its recursive term")
                .1,
        )
    }

    /// Counts one row a join produced; 54000 once the statement's joins have
    /// produced more than `ctx.rows_max` rows. Scans, filters, sorts and
    /// aggregates produce at most as many rows as the tables hold, so only joins
    /// can make a statement's intermediate results grow without bound.
    pub fn count_joined_row(&self) -> Result<(), SqlError> {
        let n = self.joined_rows.get() + 1;
        self.joined_rows.set(n);
        if n > self.ctx.rows_max {
            return Err(SqlError::ProgramLimitExceeded(format!(
                "statement joined more than {} rows; the limit is the server's \
                 --max-rows-per-statement, which also bounds intermediate join results",
                self.ctx.rows_max
            )));
        }
        Ok(())
    }

    pub fn time_zone(&self) -> &TimeZone {
        &self.functions.time_zone
    }

    /// How values are written as text in this session (a cast to text, an
    /// aggregate's text).
    pub fn text_style(&self) -> TextStyle<'_> {
        self.functions.text_style()
    }

    /// Runs `plan` (a correlated subquery, or the right side of a lateral join)
    /// with `row` as its innermost enclosing row. The rows its joins produce are
    /// not counted against the statement: they are dropped when the run ends, and
    /// the caller counts what it keeps; only one run's are in memory at a time.
    pub fn run_for_row(&self, plan: &Plan, row: &[Value]) -> Result<Vec<Vec<Value>>, SqlError> {
        // Each run may read too few rows for its own interrupt checks (every
        // 1,024 rows) to come, while nested runs multiply: a statement of
        // correlated subqueries over small tables must stop too.
        self.ctx.interrupt.check()?;
        self.outer.borrow_mut().push(row.to_vec());
        let joined_before = self.joined_rows.get();
        let result = run(plan, self);
        self.joined_rows.set(joined_before);
        self.outer.borrow_mut().pop();
        result
    }
}

/// The session's time zone, for timestamptz conversions and functions.
fn session_zone(ctx: &QueryContext) -> TimeZone {
    ctx.time_zone.clone()
}

/// SQL truth of a value: only TRUE passes a WHERE.
pub fn is_true(v: &Value) -> bool {
    matches!(v, Value::Bool(true))
}

impl Expr {
    /// The value of the expression for `row`.
    ///
    /// A flat dispatcher: each arm with more than a line of work calls a helper, so
    /// this frame, which every nesting level of an expression adds to the stack,
    /// stays small (the binder caps the nesting, see `EXPR_DEPTH_MAX`).
    pub fn eval(&self, row: &[Value], env: &Env<'_>) -> Result<Value, SqlError> {
        match self {
            Expr::Const(v, _) => Ok(v.clone()),
            Expr::Column { index, .. } => Ok(row[*index].clone()),
            Expr::Outer { depth, index, .. } => Ok(outer_value(*depth, *index, env)),
            Expr::Param { index, .. } => param_value(*index, env),
            Expr::Binary {
                op, left, right, ..
            } => eval_binary_expr(*op, left, right, row, env),
            Expr::Negate(e) => Ok(eval_unary(UnaryOp::Neg, &e.eval(row, env)?)?),
            Expr::Not(e) => eval_not(e, row, env),
            Expr::And(l, r) => eval_and(l, r, row, env),
            Expr::Or(l, r) => eval_or(l, r, row, env),
            Expr::IsNull { expr, negated } => {
                Ok(Value::Bool(expr.eval(row, env)?.is_null() != *negated))
            }
            Expr::IsBool {
                expr,
                value,
                negated,
            } => eval_is_bool(expr, *value, *negated, row, env),
            Expr::IsDistinct {
                left,
                right,
                negated,
            } => eval_is_distinct(left, right, *negated, row, env),
            Expr::Cast { expr, ty } => eval_cast(expr, *ty, CastKind::Assignment, row, env),
            Expr::ExplicitCast { expr, ty } => eval_cast(expr, *ty, CastKind::Explicit, row, env),
            Expr::Function {
                function,
                strict,
                args,
                ..
            } => eval_call(function, *strict, args, row, env),
            Expr::Case {
                branches,
                otherwise,
                ..
            } => eval_case(branches, otherwise.as_deref(), row, env),
            Expr::InList {
                expr,
                list,
                negated,
            } => eval_in_list(expr, list, *negated, row, env),
            Expr::Like {
                expr,
                pattern,
                escape,
                case_insensitive,
                negated,
            } => eval_like(
                expr,
                pattern,
                escape.as_deref(),
                *case_insensitive,
                *negated,
                row,
                env,
            ),
            Expr::Coalesce { args, .. } => eval_coalesce(args, row, env),
            Expr::NullIf { left, right, .. } => eval_nullif(left, right, row, env),
            Expr::Extreme { args, greatest, .. } => eval_extreme(args, *greatest, row, env),
            Expr::ScalarSubquery(s) => eval_scalar_subquery(s, row, env),
            Expr::ArraySubquery(s) => Ok(Value::Array(
                subquery_rows(s, row, env)?
                    .iter()
                    .map(|r| r[0].clone())
                    .collect(),
            )),
            Expr::Exists { subquery, negated } => Ok(Value::Bool(
                subquery_rows(subquery, row, env)?.is_empty() == *negated,
            )),
            Expr::InSubquery {
                expr,
                subquery,
                negated,
            } => eval_in_subquery(expr, subquery, *negated, row, env),
        }
    }

    /// True if the condition holds (NULL and FALSE do not).
    pub fn holds(&self, row: &[Value], env: &Env<'_>) -> Result<bool, SqlError> {
        Ok(is_true(&self.eval(row, env)?))
    }
}

fn outer_value(depth: usize, index: usize, env: &Env<'_>) -> Value {
    let outer = env.outer.borrow();
    outer[outer.len() - depth][index].clone()
}

fn param_value(index: usize, env: &Env<'_>) -> Result<Value, SqlError> {
    env.params
        .get(index)
        .cloned()
        .ok_or(SqlError::UndefinedParameter(index + 1))
}

fn eval_binary_expr(
    op: BinaryOp,
    left: &Expr,
    right: &Expr,
    row: &[Value],
    env: &Env<'_>,
) -> Result<Value, SqlError> {
    let l = left.eval(row, env)?;
    let r = right.eval(row, env)?;
    Ok(eval_binary_in(op, &l, &r, env.time_zone())?)
}

fn eval_not(e: &Expr, row: &[Value], env: &Env<'_>) -> Result<Value, SqlError> {
    Ok(match e.eval(row, env)? {
        Value::Bool(b) => Value::Bool(!b),
        _ => Value::Null,
    })
}

/// AND with SQL's three-valued logic; FALSE on the left skips the right.
fn eval_and(l: &Expr, r: &Expr, row: &[Value], env: &Env<'_>) -> Result<Value, SqlError> {
    Ok(match l.eval(row, env)? {
        Value::Bool(false) => Value::Bool(false),
        lv => match (lv, r.eval(row, env)?) {
            (_, Value::Bool(false)) => Value::Bool(false),
            (Value::Bool(true), Value::Bool(true)) => Value::Bool(true),
            _ => Value::Null,
        },
    })
}

/// OR with SQL's three-valued logic; TRUE on the left skips the right.
fn eval_or(l: &Expr, r: &Expr, row: &[Value], env: &Env<'_>) -> Result<Value, SqlError> {
    Ok(match l.eval(row, env)? {
        Value::Bool(true) => Value::Bool(true),
        lv => match (lv, r.eval(row, env)?) {
            (_, Value::Bool(true)) => Value::Bool(true),
            (Value::Bool(false), Value::Bool(false)) => Value::Bool(false),
            _ => Value::Null,
        },
    })
}

fn eval_is_bool(
    expr: &Expr,
    value: bool,
    negated: bool,
    row: &[Value],
    env: &Env<'_>,
) -> Result<Value, SqlError> {
    let v = expr.eval(row, env)?;
    Ok(Value::Bool((v.as_bool() == Some(value)) != negated))
}

fn eval_is_distinct(
    left: &Expr,
    right: &Expr,
    negated: bool,
    row: &[Value],
    env: &Env<'_>,
) -> Result<Value, SqlError> {
    let (l, r) = (left.eval(row, env)?, right.eval(row, env)?);
    let distinct = match (l.is_null(), r.is_null()) {
        (true, true) => false,
        (true, false) | (false, true) => true,
        (false, false) => !is_true(&eval_binary(BinaryOp::Eq, &l, &r)?),
    };
    Ok(Value::Bool(distinct != negated))
}

fn eval_cast(
    expr: &Expr,
    ty: DataType,
    kind: CastKind,
    row: &[Value],
    env: &Env<'_>,
) -> Result<Value, SqlError> {
    Ok(cast_in(expr.eval(row, env)?, ty, kind, env.text_style())?)
}

fn eval_call(
    function: &FunctionId,
    strict: bool,
    args: &[Expr],
    row: &[Value],
    env: &Env<'_>,
) -> Result<Value, SqlError> {
    let values = args
        .iter()
        .map(|a| a.eval(row, env))
        .collect::<Result<Vec<_>, _>>()?;
    if strict && values.iter().any(Value::is_null) {
        return Ok(Value::Null);
    }
    if let FunctionId::Catalog(f) = function {
        return eval_catalog_function(*f, &values, env.db, env.ctx);
    }
    // The statement's pg_sleep calls are slept once it is done (see
    // `Session::run_engine`): the clock counts them as slept already.
    if let (FunctionId::ClockTimestamp, Some(session)) = (function, &env.ctx.session) {
        let owed = session.calls.sleep.owed_micros();
        if owed > 0 {
            let now = crate::types::now_us();
            return Ok(Value::Timestamptz(now.saturating_add_unsigned(owed)));
        }
    }
    Ok(eval_function(function, &values, &env.functions)?)
}

fn eval_case(
    branches: &[(Expr, Expr)],
    otherwise: Option<&Expr>,
    row: &[Value],
    env: &Env<'_>,
) -> Result<Value, SqlError> {
    for (condition, result) in branches {
        if is_true(&condition.eval(row, env)?) {
            return result.eval(row, env);
        }
    }
    match otherwise {
        Some(e) => e.eval(row, env),
        None => Ok(Value::Null),
    }
}

fn eval_in_list(
    expr: &Expr,
    list: &[Expr],
    negated: bool,
    row: &[Value],
    env: &Env<'_>,
) -> Result<Value, SqlError> {
    let v = expr.eval(row, env)?;
    let mut items = Vec::with_capacity(list.len());
    for item in list {
        items.push(item.eval(row, env)?);
    }
    in_values(&v, items.iter(), negated)
}

fn eval_coalesce(args: &[Expr], row: &[Value], env: &Env<'_>) -> Result<Value, SqlError> {
    for a in args {
        let v = a.eval(row, env)?;
        if !v.is_null() {
            return Ok(v);
        }
    }
    Ok(Value::Null)
}

fn eval_nullif(left: &Expr, right: &Expr, row: &[Value], env: &Env<'_>) -> Result<Value, SqlError> {
    let l = left.eval(row, env)?;
    let r = right.eval(row, env)?;
    if is_true(&eval_binary(BinaryOp::Eq, &l, &r)?) {
        Ok(Value::Null)
    } else {
        Ok(l)
    }
}

/// GREATEST or LEAST: NULLs are skipped; all NULL gives NULL.
fn eval_extreme(
    args: &[Expr],
    greatest: bool,
    row: &[Value],
    env: &Env<'_>,
) -> Result<Value, SqlError> {
    let mut best = Value::Null;
    for a in args {
        let v = a.eval(row, env)?;
        if v.is_null() {
            continue;
        }
        let better = best.is_null() || if greatest { v > best } else { v < best };
        if better {
            best = v;
        }
    }
    Ok(best)
}

fn eval_scalar_subquery(s: &Subquery, row: &[Value], env: &Env<'_>) -> Result<Value, SqlError> {
    let rows = subquery_rows(s, row, env)?;
    match rows.len() {
        0 => Ok(Value::Null),
        1 => Ok(rows[0][0].clone()),
        _ => Err(SqlError::CardinalityViolation(
            "more than one row returned by a subquery used as an expression".into(),
        )),
    }
}

fn eval_in_subquery(
    expr: &Expr,
    subquery: &Subquery,
    negated: bool,
    row: &[Value],
    env: &Env<'_>,
) -> Result<Value, SqlError> {
    let v = expr.eval(row, env)?;
    let rows = subquery_rows(subquery, row, env)?;
    in_values(&v, rows.iter().map(|r| &r[0]), negated)
}

/// `v IN (items)` with SQL's NULL rules: TRUE on a match; else NULL if `v` or any
/// item is NULL; else FALSE. NOT IN negates that (so NULL stays NULL).
fn in_values<'v>(
    v: &Value,
    mut items: impl Iterator<Item = &'v Value>,
    negated: bool,
) -> Result<Value, SqlError> {
    if v.is_null() {
        // Nothing is in the empty set, not even NULL.
        return Ok(if items.next().is_none() {
            Value::Bool(negated)
        } else {
            Value::Null
        });
    }
    let mut saw_null = false;
    for item in items {
        if item.is_null() {
            saw_null = true;
            continue;
        }
        if is_true(&eval_binary(BinaryOp::Eq, v, item)?) {
            return Ok(Value::Bool(!negated));
        }
    }
    Ok(if saw_null {
        Value::Null
    } else {
        Value::Bool(negated)
    })
}

fn eval_like(
    expr: &Expr,
    pattern: &Expr,
    escape: Option<&Expr>,
    case_insensitive: bool,
    negated: bool,
    row: &[Value],
    env: &Env<'_>,
) -> Result<Value, SqlError> {
    let (Value::Text(text), Value::Text(pattern)) = (expr.eval(row, env)?, pattern.eval(row, env)?)
    else {
        return Ok(Value::Null);
    };
    let escape = match escape {
        None => Some(crate::types::DEFAULT_LIKE_ESCAPE),
        Some(e) => match e.eval(row, env)? {
            Value::Text(s) => crate::types::like_escape(&s)?,
            _ => return Ok(Value::Null),
        },
    };
    let matched = crate::types::like_with_escape(&text, &pattern, escape, case_insensitive)?;
    let _ = like;
    Ok(Value::Bool(matched != negated))
}

/// The rows of a subquery for the current row: computed once if uncorrelated
/// (it then refers to no enclosing row), otherwise with the current row as the
/// innermost enclosing row.
fn subquery_rows(
    s: &Subquery,
    row: &[Value],
    env: &Env<'_>,
) -> Result<Rc<Vec<Vec<Value>>>, SqlError> {
    if s.correlated {
        return Ok(Rc::new(env.run_for_row(&s.plan, row)?));
    }
    if let Some(rows) = env.cache.borrow().get(&s.id) {
        return Ok(rows.clone());
    }
    let rows = Rc::new(run(&s.plan, env)?);
    env.cache.borrow_mut().insert(s.id, rows.clone());
    Ok(rows)
}
