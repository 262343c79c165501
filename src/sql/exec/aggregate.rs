//! Grouping and aggregate functions, with PostgreSQL's result types and overflow
//! checks.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use rust_decimal::Decimal;

use crate::sql::plan::{Aggregate, AggregateFunc, Expr};
use crate::sql::SqlError;
use crate::types::{cast, eval_binary, BinaryOp, CastKind, DataType, TypeError, Value};

use super::expr::{is_true, Env};
use super::query::{sort, tick, Rows};

/// The running state of one aggregate in one group.
#[derive(Clone)]
struct State {
    count: i64,
    /// The sum so far (in the result's arithmetic type), or the min/max.
    value: Value,
    /// Values already seen, for `DISTINCT` aggregates.
    seen: Option<HashSet<Value>>,
    /// A `DISTINCT` aggregate's distinct inputs (with string_agg's separator), fed
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
            distinct.sort_by(|(x, _), (y, _)| x.partial_cmp(y).unwrap_or(Ordering::Equal));
            for (v, separator) in distinct {
                fold(a, &mut state, v, separator, env)?;
            }
            row.push(finish(a, state)?);
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
    pub(super) fn value(&self) -> Result<Value, SqlError> {
        finish(self.aggregate, self.state.clone())
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
    // Every aggregate but array_agg skips NULL inputs.
    if v.is_null() && a.func != AggregateFunc::ArrayAgg {
        return Ok(());
    }
    let separator = match &a.separator {
        Some(e) => e.eval(row, env)?,
        None => Value::Null,
    };
    if let Some(seen) = &mut state.seen {
        if seen.insert(v.clone()) {
            state.distinct.push((v, separator));
        }
        return Ok(());
    }
    fold(a, state, v, separator, env)
}

/// Adds one non-NULL input `v` (with string_agg's `separator`) to the state.
fn fold(
    a: &Aggregate,
    state: &mut State,
    v: Value,
    separator: Value,
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
                if let Value::Text(sep) = separator {
                    text.push_str(&sep);
                }
            }
            v.write_text(&mut text, env.text_style());
            Value::Text(text)
        }
        AggregateFunc::ArrayAgg => {
            let mut items = match std::mem::replace(&mut state.value, Value::Null) {
                Value::Array(items) => items,
                _ => Vec::new(),
            };
            items.push(v);
            Value::Array(items)
        }
        AggregateFunc::BoolAnd | AggregateFunc::BoolOr => match (&state.value, &v) {
            (Value::Bool(seen), Value::Bool(b)) if a.func == AggregateFunc::BoolAnd => {
                Value::Bool(*seen && *b)
            }
            (Value::Bool(seen), Value::Bool(b)) => Value::Bool(*seen || *b),
            _ => v,
        },
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

fn finish(a: &Aggregate, state: State) -> Result<Value, SqlError> {
    Ok(match a.func {
        AggregateFunc::Count => Value::Int8(state.count),
        AggregateFunc::Min
        | AggregateFunc::Max
        | AggregateFunc::StringAgg
        | AggregateFunc::ArrayAgg
        | AggregateFunc::BoolAnd
        | AggregateFunc::BoolOr => state.value,
        AggregateFunc::Sum => state.value,
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
