//! Grouping and aggregate functions, with PostgreSQL's result types and overflow
//! checks.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use rust_decimal::Decimal;

use crate::sql::plan::{Aggregate, AggregateFunc, Expr};
use crate::sql::SqlError;
use rust_decimal::MathematicalOps;

use crate::types::{
    cast, eval_binary, json_text, jsonb_build_array, jsonb_build_object, with_scale, BinaryOp,
    CastKind, DataType, FunctionId, TypeError, Value,
};

use super::expr::{is_true, Env};
use super::query::{sort, tick, Rows};

/// The running state of one aggregate in one group.
#[derive(Clone)]
struct State {
    count: i64,
    /// The sum so far (in the result's arithmetic type), or the min/max.
    value: Value,
    /// For the variances: the sum of squares (numeric), or of squared differences
    /// from the running mean (double precision, as PostgreSQL's float8_accum
    /// keeps it, after Youngs and Cramer).
    squares: Value,
    /// Values already seen, for `DISTINCT` aggregates.
    seen: Option<HashSet<Value>>,
    /// A `DISTINCT` aggregate's distinct inputs (with their second argument), fed
    /// in sorted order at the end, as PostgreSQL sorts them
    /// (`string_agg(DISTINCT k, ',')` lists the values in order).
    distinct: Vec<(Value, Value)>,
    /// An aggregate with `ORDER BY`: its group's input rows, fed in that order at
    /// the end.
    ordered: Option<Rows>,
}

/// Groups `rows` by `group_by` and computes `aggregates` per group. Output rows
/// are the group values then the aggregate values, in first-seen group order.
pub fn aggregate(
    rows: Rows,
    group_by: &[Expr],
    aggregates: &[Aggregate],
    env: &Env<'_>,
) -> Result<Rows, SqlError> {
    let fresh: Vec<State> = aggregates.iter().map(State::new).collect();
    let mut groups: HashMap<Vec<Value>, usize> = HashMap::new();
    let mut states: Vec<(Vec<Value>, Vec<State>)> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        tick(i, env)?;
        let key: Vec<Value> = group_by
            .iter()
            .map(|g| g.eval(row, env))
            .collect::<Result<_, _>>()?;
        let slot = match groups.get(&key) {
            Some(&s) => s,
            None => {
                groups.insert(key.clone(), states.len());
                states.push((key, fresh.clone()));
                states.len() - 1
            }
        };
        for (a, state) in aggregates.iter().zip(states[slot].1.iter_mut()) {
            add_row(a, state, row, env)?;
        }
    }
    if states.is_empty() && group_by.is_empty() {
        states.push((Vec::new(), fresh));
    }
    let mut out = Vec::with_capacity(states.len());
    for (key, group) in states {
        let mut row = key;
        for (a, mut state) in aggregates.iter().zip(group) {
            if let Some(rows) = state.ordered.take() {
                for row in sort(rows, &a.order_by, env)? {
                    accumulate(a, &mut state, &row, env)?;
                }
            }
            let mut distinct = std::mem::take(&mut state.distinct);
            // Sorted by all the arguments, as PostgreSQL sorts them.
            distinct.sort_by(|(x, x2), (y, y2)| {
                x.partial_cmp(y)
                    .unwrap_or(Ordering::Equal)
                    .then_with(|| x2.partial_cmp(y2).unwrap_or(Ordering::Equal))
            });
            for (v, second) in distinct {
                fold(a, &mut state, v, second, env)?;
            }
            row.push(finish(a, state, env)?);
        }
        out.push(row);
    }
    Ok(out)
}

impl State {
    fn new(a: &Aggregate) -> State {
        State {
            count: 0,
            value: Value::Null,
            squares: Value::Null,
            seen: a.distinct.then(HashSet::new),
            distinct: Vec::new(),
            ordered: (!a.order_by.is_empty()).then(Vec::new),
        }
    }
}

/// One aggregate over a set of rows that grows (a window frame from the
/// partition's start): rows are added one at a time and the value read between.
/// Window aggregates are never DISTINCT or ordered within (the binder refuses
/// them, as PostgreSQL does), so every row is folded as it comes.
pub(super) struct RunningAggregate<'a> {
    aggregate: &'a Aggregate,
    state: State,
}

impl<'a> RunningAggregate<'a> {
    pub(super) fn new(aggregate: &'a Aggregate) -> Self {
        debug_assert!(!aggregate.distinct && aggregate.order_by.is_empty());
        RunningAggregate {
            aggregate,
            state: State::new(aggregate),
        }
    }

    pub(super) fn add(&mut self, row: &[Value], env: &Env<'_>) -> Result<(), SqlError> {
        add_row(self.aggregate, &mut self.state, row, env)
    }

    /// The aggregate of the rows added so far.
    pub(super) fn value(&self, env: &Env<'_>) -> Result<Value, SqlError> {
        finish(self.aggregate, self.state.clone(), env)
    }
}

/// Adds `row` to the aggregate's state, if it passes the aggregate's FILTER.
fn add_row(a: &Aggregate, state: &mut State, row: &[Value], env: &Env<'_>) -> Result<(), SqlError> {
    if let Some(filter) = &a.filter {
        if !is_true(&filter.eval(row, env)?) {
            return Ok(());
        }
    }
    accumulate(a, state, row, env)
}

fn accumulate(
    a: &Aggregate,
    state: &mut State,
    row: &[Value],
    env: &Env<'_>,
) -> Result<(), SqlError> {
    if let Some(rows) = &mut state.ordered {
        rows.push(row.to_vec());
        return Ok(());
    }
    let v = match &a.arg {
        None => {
            state.count += 1;
            return Ok(());
        }
        Some(e) => e.eval(row, env)?,
    };
    // Every aggregate but array_agg and the jsonb ones skips NULL inputs.
    match a.func {
        AggregateFunc::ArrayAgg | AggregateFunc::JsonbAgg | AggregateFunc::JsonAgg => {}
        AggregateFunc::JsonbObjectAgg | AggregateFunc::JsonObjectAgg if v.is_null() => {
            return Err(
                TypeError::InvalidParameterValue("field name must not be null".into()).into(),
            )
        }
        _ if v.is_null() => return Ok(()),
        _ => {}
    }
    let second = match &a.second {
        Some(e) => e.eval(row, env)?,
        None => Value::Null,
    };
    if let Some(seen) = &mut state.seen {
        // DISTINCT is of all the arguments: (value, separator) of string_agg,
        // (key, value) of jsonb_object_agg.
        let key = match a.second {
            Some(_) => Value::Array(vec![v.clone(), second.clone()]),
            None => v.clone(),
        };
        if seen.insert(key) {
            state.distinct.push((v, second));
        }
        return Ok(());
    }
    fold(a, state, v, second, env)
}

/// Adds one input `v` (with its `second` argument: string_agg's separator,
/// jsonb_object_agg's value) to the state.
fn fold(
    a: &Aggregate,
    state: &mut State,
    v: Value,
    second: Value,
    env: &Env<'_>,
) -> Result<(), SqlError> {
    state.count += 1;
    state.value = match a.func {
        AggregateFunc::Count => Value::Null,
        AggregateFunc::Min => pick(std::mem::replace(&mut state.value, Value::Null), v, false),
        AggregateFunc::Max => pick(std::mem::replace(&mut state.value, Value::Null), v, true),
        AggregateFunc::StringAgg => {
            let mut text = match std::mem::replace(&mut state.value, Value::Null) {
                Value::Text(t) => t,
                _ => String::new(),
            };
            if state.count > 1 {
                if let Value::Text(sep) = second {
                    text.push_str(&sep);
                }
            }
            v.write_text(&mut text, env.text_style());
            Value::Text(text)
        }
        AggregateFunc::ArrayAgg
        | AggregateFunc::JsonbAgg
        | AggregateFunc::JsonbObjectAgg
        | AggregateFunc::JsonAgg
        | AggregateFunc::JsonObjectAgg => {
            let mut items = match std::mem::replace(&mut state.value, Value::Null) {
                Value::Array(items) => items,
                _ => Vec::new(),
            };
            items.push(v);
            // jsonb_object_agg's pairs one after the other, as
            // jsonb_build_object takes them.
            if matches!(
                a.func,
                AggregateFunc::JsonbObjectAgg | AggregateFunc::JsonObjectAgg
            ) {
                items.push(second);
            }
            Value::Array(items)
        }
        AggregateFunc::BoolAnd | AggregateFunc::BoolOr => match (&state.value, &v) {
            (Value::Bool(seen), Value::Bool(b)) if a.func == AggregateFunc::BoolAnd => {
                Value::Bool(*seen && *b)
            }
            (Value::Bool(seen), Value::Bool(b)) => Value::Bool(*seen || *b),
            _ => v,
        },
        AggregateFunc::Variance { .. } => {
            let v = widen(v, sum_type(a))?;
            let (sum, squares) = match v {
                Value::Float8(x) => accumulate_float_variance(state, x)?,
                v => {
                    let square = eval_binary(BinaryOp::Mul, &v, &v)?;
                    let add = |total: &Value, x: Value| match total {
                        Value::Null => Ok(x),
                        total => eval_binary(BinaryOp::Add, total, &x),
                    };
                    (add(&state.value, v)?, add(&state.squares, square)?)
                }
            };
            state.squares = squares;
            sum
        }
        AggregateFunc::Sum | AggregateFunc::Avg => {
            let v = widen(v, sum_type(a))?;
            if state.value.is_null() {
                v
            } else {
                eval_binary(BinaryOp::Add, &state.value, &v)?
            }
        }
    };
    Ok(())
}

fn pick(current: Value, v: Value, max: bool) -> Value {
    if current.is_null() {
        return v;
    }
    // On a tie the later value wins, as in PostgreSQL's `numeric_larger` and
    // the like (max of 1.0 and 1 is 1): equal values can still print differently.
    let better = if max { v >= current } else { v <= current };
    if better {
        v
    } else {
        current
    }
}

/// The type a sum is accumulated in: the result type for sum, and for avg the
/// numeric or float8 its result is computed in.
fn sum_type(a: &Aggregate) -> DataType {
    match (a.func, a.ty) {
        (AggregateFunc::Avg, DataType::Numeric(_)) => DataType::Numeric(None),
        (AggregateFunc::Avg, DataType::Interval) => DataType::Interval,
        (AggregateFunc::Avg, _) => DataType::Float8,
        (_, t) => t,
    }
}

fn widen(v: Value, to: DataType) -> Result<Value, TypeError> {
    if v.data_type() == to {
        return Ok(v);
    }
    cast(v, to, CastKind::Implicit)
}

fn finish(a: &Aggregate, state: State, env: &Env<'_>) -> Result<Value, SqlError> {
    Ok(match a.func {
        AggregateFunc::JsonbAgg => match state.value {
            Value::Array(items) => jsonb_build_array(&items, env.text_style())?,
            other => other,
        },
        AggregateFunc::JsonbObjectAgg => match state.value {
            Value::Array(pairs) => jsonb_build_object(&pairs, env.text_style())?,
            other => other,
        },
        AggregateFunc::JsonAgg => match state.value {
            Value::Array(items) => {
                // Whole rows (`json_agg(t)`), as the binder marks them.
                let rows = matches!(
                    a.arg,
                    Some(Expr::Function {
                        function: FunctionId::JsonRow { record: true },
                        ..
                    })
                );
                json_text::agg(&items, rows, env.text_style())?
            }
            other => other,
        },
        AggregateFunc::JsonObjectAgg => match state.value {
            Value::Array(pairs) => json_text::object_agg(&pairs, env.text_style())?,
            other => other,
        },
        AggregateFunc::Count => Value::Int8(state.count),
        AggregateFunc::Min
        | AggregateFunc::Max
        | AggregateFunc::StringAgg
        | AggregateFunc::ArrayAgg
        | AggregateFunc::BoolAnd
        | AggregateFunc::BoolOr => state.value,
        AggregateFunc::Sum => state.value,
        AggregateFunc::Variance { population, root } => variance(&state, population, root)?,
        AggregateFunc::Avg => {
            if state.count == 0 {
                return Ok(Value::Null);
            }
            let n = match a.ty {
                DataType::Numeric(_) => Value::Numeric(Decimal::from(state.count)),
                _ => Value::Float8(state.count as f64),
            };
            eval_binary(BinaryOp::Div, &state.value, &n)?
        }
    })
}

/// One double precision input of a variance: PostgreSQL's float8_accum, which
/// keeps the sum and the sum of squared differences from the running mean
/// (Youngs and Cramer), so that large values with a small spread keep their
/// digits. An infinite or NaN input makes the variance NaN; finite inputs whose
/// sums overflow are 22003.
fn accumulate_float_variance(state: &State, x: f64) -> Result<(Value, Value), TypeError> {
    let as_float = |v: &Value| match v {
        Value::Float8(f) => *f,
        _ => 0.0,
    };
    let (previous_sum, previous_squares) = (as_float(&state.value), as_float(&state.squares));
    let n = state.count as f64;
    let sum = previous_sum + x;
    let squares = if state.count > 1 {
        let difference = x * n - sum;
        let squares = previous_squares + difference * difference / (n * (n - 1.0));
        if sum.is_infinite() || squares.is_infinite() {
            if !previous_sum.is_infinite() && !x.is_infinite() {
                return Err(TypeError::OutOfRange("value out of range: overflow".into()));
            }
            f64::NAN
        } else {
            squares
        }
    } else if x.is_finite() {
        0.0
    } else {
        f64::NAN
    };
    Ok((Value::Float8(sum), Value::Float8(squares)))
}

/// The sample or population variance, or its square root, of the inputs folded
/// into `state`: NULL for none (or one, for the sample). Numeric as PostgreSQL's
/// numeric_stddev_internal: (n Σx² − (Σx)²) / (n (n − 1)) at the division's scale,
/// 0 if rounding made the numerator negative, the root at that scale too.
fn variance(state: &State, population: bool, root: bool) -> Result<Value, TypeError> {
    let n = state.count;
    if n == 0 || (n == 1 && !population) {
        return Ok(Value::Null);
    }
    let divisor = if population { n } else { n - 1 };
    match (&state.value, &state.squares) {
        (Value::Float8(_), Value::Float8(squares)) => {
            let variance = squares / divisor as f64;
            Ok(Value::Float8(if root { variance.sqrt() } else { variance }))
        }
        (sum, squares) => {
            let count = Value::Numeric(Decimal::from(n));
            let numerator = eval_binary(
                BinaryOp::Sub,
                &eval_binary(BinaryOp::Mul, &count, squares)?,
                &eval_binary(BinaryOp::Mul, sum, sum)?,
            )?;
            let Value::Numeric(numerator) = numerator else {
                return Ok(Value::Null);
            };
            if numerator <= Decimal::ZERO {
                return Ok(Value::Numeric(Decimal::ZERO));
            }
            let denominator = eval_binary(BinaryOp::Mul, &count, &Value::Numeric(divisor.into()))?;
            let Value::Numeric(variance) =
                eval_binary(BinaryOp::Div, &Value::Numeric(numerator), &denominator)?
            else {
                return Ok(Value::Null);
            };
            if !root {
                return Ok(Value::Numeric(variance));
            }
            let root = variance
                .sqrt()
                .ok_or_else(|| TypeError::OutOfRange("numeric value out of range".into()))?;
            Ok(Value::Numeric(with_scale(root, variance.scale())))
        }
    }
}
