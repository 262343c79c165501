//! Evaluating bound expressions over a row.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::db::Database;
use crate::sql::plan::{Expr, Subquery};
use crate::sql::{QueryContext, SqlError};
use crate::types::{
    cast_in, eval_binary, eval_function, eval_unary, like, CastKind, FunctionContext, TimeZone,
    UnaryOp, Value,
};

use super::query::run;

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
}

impl<'a> Env<'a> {
    pub fn new(db: &'a Database, params: &'a [Value], ctx: &'a QueryContext) -> Env<'a> {
        let functions = FunctionContext {
            statement_timestamp: ctx.statement_time_us,
            time_zone: session_zone(ctx),
        };
        Env {
            db,
            params,
            ctx,
            functions,
            outer: RefCell::default(),
            cache: RefCell::default(),
        }
    }

    pub fn time_zone(&self) -> &TimeZone {
        &self.functions.time_zone
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
    pub fn eval(&self, row: &[Value], env: &Env<'_>) -> Result<Value, SqlError> {
        Ok(match self {
            Expr::Const(v, _) => v.clone(),
            Expr::Column { index, .. } => row[*index].clone(),
            Expr::Outer { depth, index, .. } => {
                let outer = env.outer.borrow();
                outer[outer.len() - depth][*index].clone()
            }
            Expr::Param { index, .. } => env
                .params
                .get(*index)
                .cloned()
                .ok_or(SqlError::UndefinedParameter(index + 1))?,
            Expr::Binary {
                op, left, right, ..
            } => eval_binary(*op, &left.eval(row, env)?, &right.eval(row, env)?)?,
            Expr::Negate(e) => eval_unary(UnaryOp::Neg, &e.eval(row, env)?)?,
            Expr::Not(e) => match e.eval(row, env)? {
                Value::Bool(b) => Value::Bool(!b),
                _ => Value::Null,
            },
            Expr::And(l, r) => match l.eval(row, env)? {
                Value::Bool(false) => Value::Bool(false),
                lv => match (lv, r.eval(row, env)?) {
                    (_, Value::Bool(false)) => Value::Bool(false),
                    (Value::Bool(true), Value::Bool(true)) => Value::Bool(true),
                    _ => Value::Null,
                },
            },
            Expr::Or(l, r) => match l.eval(row, env)? {
                Value::Bool(true) => Value::Bool(true),
                lv => match (lv, r.eval(row, env)?) {
                    (_, Value::Bool(true)) => Value::Bool(true),
                    (Value::Bool(false), Value::Bool(false)) => Value::Bool(false),
                    _ => Value::Null,
                },
            },
            Expr::IsNull { expr, negated } => {
                Value::Bool(expr.eval(row, env)?.is_null() != *negated)
            }
            Expr::IsBool {
                expr,
                value,
                negated,
            } => {
                let v = expr.eval(row, env)?;
                Value::Bool((v.as_bool() == Some(*value)) != *negated)
            }
            Expr::IsDistinct {
                left,
                right,
                negated,
            } => {
                let (l, r) = (left.eval(row, env)?, right.eval(row, env)?);
                let distinct = match (l.is_null(), r.is_null()) {
                    (true, true) => false,
                    (true, false) | (false, true) => true,
                    (false, false) => !is_true(&eval_binary(crate::types::BinaryOp::Eq, &l, &r)?),
                };
                Value::Bool(distinct != *negated)
            }
            Expr::Cast { expr, ty } => cast_in(
                expr.eval(row, env)?,
                *ty,
                CastKind::Assignment,
                env.time_zone(),
            )?,
            Expr::ExplicitCast { expr, ty } => cast_in(
                expr.eval(row, env)?,
                *ty,
                CastKind::Explicit,
                env.time_zone(),
            )?,
            Expr::Function {
                function,
                strict,
                args,
                ..
            } => {
                let values = args
                    .iter()
                    .map(|a| a.eval(row, env))
                    .collect::<Result<Vec<_>, _>>()?;
                if *strict && values.iter().any(Value::is_null) {
                    Value::Null
                } else {
                    eval_function(function, &values, &env.functions)?
                }
            }
            Expr::Case {
                operand: _,
                branches,
                otherwise,
                ..
            } => {
                for (condition, result) in branches {
                    if is_true(&condition.eval(row, env)?) {
                        return result.eval(row, env);
                    }
                }
                match otherwise {
                    Some(e) => e.eval(row, env)?,
                    None => Value::Null,
                }
            }
            Expr::InList {
                expr,
                list,
                negated,
            } => {
                let v = expr.eval(row, env)?;
                let mut items = Vec::with_capacity(list.len());
                for item in list {
                    items.push(item.eval(row, env)?);
                }
                in_values(&v, items.iter(), *negated)?
            }
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
            )?,
            Expr::Coalesce { args, .. } => {
                for a in args {
                    let v = a.eval(row, env)?;
                    if !v.is_null() {
                        return Ok(v);
                    }
                }
                Value::Null
            }
            Expr::NullIf { left, right, .. } => {
                let l = left.eval(row, env)?;
                let r = right.eval(row, env)?;
                if is_true(&eval_binary(crate::types::BinaryOp::Eq, &l, &r)?) {
                    Value::Null
                } else {
                    l
                }
            }
            Expr::Extreme { args, greatest, .. } => {
                let mut best = Value::Null;
                for a in args {
                    let v = a.eval(row, env)?;
                    if v.is_null() {
                        continue;
                    }
                    let better = best.is_null() || if *greatest { v > best } else { v < best };
                    if better {
                        best = v;
                    }
                }
                best
            }
            Expr::ScalarSubquery(s) => {
                let rows = subquery_rows(s, row, env)?;
                match rows.len() {
                    0 => Value::Null,
                    1 => rows[0][0].clone(),
                    _ => {
                        return Err(SqlError::CardinalityViolation(
                            "more than one row returned by a subquery used as an expression".into(),
                        ))
                    }
                }
            }
            Expr::Exists { subquery, negated } => {
                Value::Bool(subquery_rows(subquery, row, env)?.is_empty() == *negated)
            }
            Expr::InSubquery {
                expr,
                subquery,
                negated,
            } => {
                let v = expr.eval(row, env)?;
                let rows = subquery_rows(subquery, row, env)?;
                in_values(&v, rows.iter().map(|r| &r[0]), *negated)?
            }
        })
    }

    /// True if the condition holds (NULL and FALSE do not).
    pub fn holds(&self, row: &[Value], env: &Env<'_>) -> Result<bool, SqlError> {
        Ok(is_true(&self.eval(row, env)?))
    }
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
        if is_true(&eval_binary(crate::types::BinaryOp::Eq, v, item)?) {
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

/// The rows of a subquery for the current row: computed once if uncorrelated,
/// otherwise with the current row pushed as the innermost outer row.
fn subquery_rows(
    s: &Subquery,
    row: &[Value],
    env: &Env<'_>,
) -> Result<Rc<Vec<Vec<Value>>>, SqlError> {
    if !s.correlated {
        if let Some(rows) = env.cache.borrow().get(&s.id) {
            return Ok(rows.clone());
        }
    }
    env.outer.borrow_mut().push(row.to_vec());
    let result = run(&s.plan, env);
    env.outer.borrow_mut().pop();
    let rows = Rc::new(result?);
    if !s.correlated {
        env.cache.borrow_mut().insert(s.id, rows.clone());
    }
    Ok(rows)
}
