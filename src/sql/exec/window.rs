//! Window functions: each row gets a value computed over its partition.
//!
//! A function's rows are sorted (stably, so rows its keys do not order keep
//! their input order) by its partition keys, then its ORDER BY; each partition is
//! then walked once. The ranking functions and `lag`/`lead` see the partition;
//! the aggregates and `first_value`/`last_value`/`nth_value` see each row's frame.
//! Without a frame clause that is PostgreSQL's default: from the partition's
//! first row through the row's last peer, the peers being the rows its ORDER BY
//! does not tell apart (the whole partition when it has none). So `sum(x) OVER
//! (ORDER BY d)` is a running sum that counts rows of equal `d` together, and
//! `last_value` is the last peer.
//!
//! An aggregate's state grows with its frame while the frame's start stays put
//! (the default frame, `ROWS UNBOUNDED PRECEDING`: linear in the partition); a
//! frame whose start moves (`ROWS 3 PRECEDING`) is aggregated afresh for each
//! row, so its cost is the partition's rows times the frame's.

use std::cmp::Ordering;

use crate::sql::plan::{Frame, FrameBound, SortKey, WindowFunction, WindowKind};
use crate::sql::SqlError;
use crate::types::Value;

use super::aggregate::RunningAggregate;
use super::expr::Env;
use super::query::{compare_keys, sort_keyed, tick, Rows};

/// Appends each function's value to every row; the rows come out in the order of
/// the last function's window.
pub fn compute(
    mut rows: Rows,
    functions: &[WindowFunction],
    env: &Env<'_>,
) -> Result<Rows, SqlError> {
    // Counts the statement's rows and aggregate steps across partitions, so the
    // interrupt is checked however small the partitions are.
    let mut work = 0;
    for function in functions {
        let partition_keys = function.partition_by.len();
        let keys: Vec<SortKey> = function
            .partition_by
            .iter()
            .map(|expr| SortKey {
                expr: expr.clone(),
                descending: false,
                nulls_first: false,
            })
            .chain(function.order_by.iter().cloned())
            .collect();
        let offsets = FrameOffsets::of(&function.frame, env)?;
        let sorted = sort_keyed(rows, &keys, env)?;
        let mut out = Vec::with_capacity(sorted.len());
        let mut start = 0;
        while start < sorted.len() {
            let first = &sorted[start].0;
            let end = start
                + sorted[start..]
                    .iter()
                    .position(|(k, _)| {
                        compare_keys(&keys[..partition_keys], k, first) != Ordering::Equal
                    })
                    .unwrap_or(sorted.len() - start);
            let partition = &sorted[start..end];
            let values = over_partition(function, partition, &keys, offsets, &mut work, env)?;
            out.extend(values);
            start = end;
        }
        rows = sorted
            .into_iter()
            .zip(out)
            .map(|((_, mut row), value)| {
                row.push(value);
                row
            })
            .collect();
    }
    Ok(rows)
}

/// The function's value for each row of one partition (sorted, with its keys).
fn over_partition(
    function: &WindowFunction,
    partition: &[(Vec<Value>, Vec<Value>)],
    keys: &[SortKey],
    offsets: FrameOffsets,
    work: &mut usize,
    env: &Env<'_>,
) -> Result<Vec<Value>, SqlError> {
    let mut step = || {
        tick(*work, env)?;
        *work += 1;
        Ok::<_, SqlError>(())
    };
    let n = partition.len();
    // peer_end[i]: one past the last peer of row i; group_start[i]: its first.
    let mut peer_end = vec![n; n];
    let mut group_start = vec![0; n];
    let mut begin = 0;
    for i in 1..=n {
        if i == n || compare_keys(keys, &partition[i].0, &partition[begin].0) != Ordering::Equal {
            for j in begin..i {
                group_start[j] = begin;
                peer_end[j] = i;
            }
            begin = i;
        }
    }
    // frames[i]: the rows `start..end` row i's frame holds.
    let frame = &function.frame;
    let frames: Vec<(usize, usize)> = (0..n)
        .map(|i| {
            let start = match frame.start {
                FrameBound::UnboundedPreceding => 0,
                FrameBound::Preceding(_) => i.saturating_sub(offsets.start),
                FrameBound::CurrentRow if frame.rows => i,
                FrameBound::CurrentRow => group_start[i],
                FrameBound::Following(_) => i.saturating_add(offsets.start).min(n),
                FrameBound::UnboundedFollowing => n,
            };
            let end = match frame.end {
                FrameBound::UnboundedPreceding => 0,
                FrameBound::Preceding(_) => (i + 1).saturating_sub(offsets.end),
                FrameBound::CurrentRow if frame.rows => i + 1,
                FrameBound::CurrentRow => peer_end[i],
                FrameBound::Following(_) => i.saturating_add(offsets.end).saturating_add(1).min(n),
                FrameBound::UnboundedFollowing => n,
            };
            (start, end.max(start))
        })
        .collect();
    let row = |i: usize| partition[i].1.as_slice();
    let arg = |a: usize, i: usize| function.args[a].eval(row(i), env);
    let mut values = Vec::with_capacity(n);
    match &function.kind {
        WindowKind::Aggregate(aggregate) => {
            // The state covers rows `from..added`; a frame starting elsewhere, or
            // ending before what was added, starts a new one. A row whose frame is
            // the previous row's gets its value without finishing the state again.
            let mut running = RunningAggregate::new(aggregate);
            let (mut from, mut added) = (0, 0);
            let mut last: Option<((usize, usize), Value)> = None;
            for &(start, end) in &frames {
                step()?;
                if let Some((frame, value)) = &last {
                    if *frame == (start, end) {
                        values.push(value.clone());
                        continue;
                    }
                }
                if start != from || end < added {
                    running = RunningAggregate::new(aggregate);
                    (from, added) = (start, start);
                }
                while added < end {
                    step()?;
                    running.add(row(added), env)?;
                    added += 1;
                }
                let value = running.value(env)?;
                values.push(value.clone());
                last = Some(((start, end), value));
            }
        }
        WindowKind::RowNumber => values.extend((1..=n as i64).map(Value::Int8)),
        WindowKind::Rank => values.extend(group_start.iter().map(|&s| Value::Int8(s as i64 + 1))),
        WindowKind::DenseRank => {
            let mut rank = 0;
            for (i, &start) in group_start.iter().enumerate() {
                if start == i {
                    rank += 1;
                }
                values.push(Value::Int8(rank));
            }
        }
        WindowKind::PercentRank => values.extend(group_start.iter().map(|&s| {
            Value::Float8(if n > 1 {
                s as f64 / (n - 1) as f64
            } else {
                0.0
            })
        })),
        WindowKind::CumeDist => {
            values.extend(peer_end.iter().map(|&e| Value::Float8(e as f64 / n as f64)))
        }
        WindowKind::Ntile => {
            // As PostgreSQL's window_ntile: the bucket count is read row by row
            // until one is not NULL (those rows are NULL); the buckets fill from
            // that row on, sized from the whole partition's count, the first
            // `n % buckets` of them one row larger.
            let mut buckets: Option<Ntile> = None;
            for i in 0..n {
                step()?;
                let ntile = match &mut buckets {
                    Some(ntile) => ntile,
                    None => match arg(0, i)? {
                        Value::Null => {
                            values.push(Value::Null);
                            continue;
                        }
                        count => buckets.insert(Ntile::new(n, count.as_i64())?),
                    },
                };
                values.push(Value::Int4(ntile.next()));
            }
        }
        WindowKind::Lag | WindowKind::Lead => {
            for i in 0..n {
                step()?;
                let offset = match function.args.get(1) {
                    None => Some(1),
                    Some(_) => arg(1, i)?.as_i64(),
                };
                let Some(offset) = offset else {
                    values.push(Value::Null);
                    continue;
                };
                let offset = if function.kind == WindowKind::Lag {
                    -offset
                } else {
                    offset
                };
                let target = (i as i64)
                    .checked_add(offset)
                    .filter(|&t| t >= 0 && t < n as i64);
                values.push(match (target, function.args.get(2)) {
                    (Some(t), _) => arg(0, t as usize)?,
                    (None, Some(_)) => arg(2, i)?,
                    (None, None) => Value::Null,
                });
            }
        }
        WindowKind::FirstValue => {
            for &(start, end) in &frames {
                step()?;
                values.push(if start < end {
                    arg(0, start)?
                } else {
                    Value::Null
                });
            }
        }
        WindowKind::LastValue => {
            for &(start, end) in &frames {
                step()?;
                values.push(if start < end {
                    arg(0, end - 1)?
                } else {
                    Value::Null
                });
            }
        }
        WindowKind::NthValue => {
            for (i, &(start, end)) in frames.iter().enumerate() {
                step()?;
                let position = match arg(1, i)? {
                    Value::Null => {
                        values.push(Value::Null);
                        continue;
                    }
                    v => match v.as_i64() {
                        Some(p) if p > 0 => p as usize,
                        _ => return Err(SqlError::InvalidNthValueArgument),
                    },
                };
                values.push(match start.checked_add(position - 1) {
                    Some(at) if at < end => arg(0, at)?,
                    _ => Value::Null,
                });
            }
        }
    }
    Ok(values)
}

/// `ntile`'s progress through a partition of `n` rows.
struct Ntile {
    bucket: i32,
    /// Rows given the current bucket so far.
    rows: usize,
    /// Rows the current bucket holds.
    size: usize,
    /// Buckets left that hold a row more than the rest.
    larger: usize,
}

impl Ntile {
    fn new(n: usize, buckets: Option<i64>) -> Result<Ntile, SqlError> {
        let buckets = match buckets {
            Some(b) if b > 0 => b as usize,
            _ => return Err(SqlError::InvalidNtileArgument),
        };
        let (size, larger) = match (n / buckets, n % buckets) {
            // Fewer rows than buckets: a row each.
            (0, _) => (1, 0),
            (size, 0) => (size, 0),
            (size, larger) => (size + 1, larger),
        };
        Ok(Ntile {
            bucket: 1,
            rows: 0,
            size,
            larger,
        })
    }

    /// The next row's bucket.
    fn next(&mut self) -> i32 {
        self.rows += 1;
        if self.rows > self.size {
            if self.larger != 0 && self.bucket as usize == self.larger {
                self.larger = 0;
                self.size -= 1;
            }
            self.bucket += 1;
            self.rows = 1;
        }
        self.bucket
    }
}

/// A `ROWS` frame's offsets (`3 PRECEDING`), evaluated once per statement as
/// PostgreSQL does; zero where the bound has none.
#[derive(Clone, Copy)]
struct FrameOffsets {
    start: usize,
    end: usize,
}

impl FrameOffsets {
    fn of(frame: &Frame, env: &Env<'_>) -> Result<FrameOffsets, SqlError> {
        let offset = |bound: &FrameBound, which: &'static str| -> Result<usize, SqlError> {
            let (FrameBound::Preceding(e) | FrameBound::Following(e)) = bound else {
                return Ok(0);
            };
            match e.eval(&[], env)? {
                Value::Null => Err(SqlError::NullFrameOffset(which)),
                v => match v.as_i64() {
                    Some(o) if o >= 0 => Ok(usize::try_from(o).unwrap_or(usize::MAX)),
                    _ => Err(SqlError::NegativeFrameOffset(which)),
                },
            }
        };
        Ok(FrameOffsets {
            start: offset(&frame.start, "starting")?,
            end: offset(&frame.end, "ending")?,
        })
    }
}
