//! `turnstile_wal`: the write-ahead log and the last snapshot, one row.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::types::{DataType, Value};

use super::registry::{Schema, SystemRelation};
use super::SystemSnapshot;

/// Seconds from 1970-01-01 to 2000-01-01, PostgreSQL's epoch for timestamps.
const POSTGRES_EPOCH_UNIX_SECS: i64 = 946_684_800;

pub const RELATION: SystemRelation = SystemRelation {
    name: "turnstile_wal",
    schema: Schema::Turnstile,
    columns: &[
        // The LSN of the last record appended: visible, maybe not durable.
        ("written_lsn", DataType::Int8),
        // Every record up to here is fsynced.
        ("durable_lsn", DataType::Int8),
        // How long the last write + fdatasync took.
        ("last_flush_ms", DataType::Float8),
        // Flushes by this process: fewer than commits when group commit works.
        ("flushes", DataType::Int8),
        // Bytes in the log's segment files.
        ("log_bytes", DataType::Int8),
        // The last snapshot this process took (NULL if none yet).
        ("last_snapshot_lsn", DataType::Int8),
        ("last_snapshot_at", DataType::Timestamptz),
        ("last_snapshot_ms", DataType::Float8),
        ("last_snapshot_longest_lock_hold_us", DataType::Int8),
    ],
    rows,
};

/// One row while there is a log; none for a server that keeps data in memory only,
/// which has no log to describe.
fn rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    let Some(wal) = &snapshot.wal else {
        return Vec::new();
    };
    let mut row = vec![
        int8(wal.written_lsn),
        int8(wal.durable_lsn),
        Value::Float8(millis(wal.last_flush)),
        int8(wal.flushes),
        int8(wal.log_bytes),
    ];
    match &snapshot.last_snapshot {
        Some(last) => row.extend([
            int8(last.info.lsn),
            Value::Timestamptz(postgres_micros(last.finished_at)),
            Value::Float8(millis(last.info.duration)),
            int8(last.info.longest_batch.as_micros() as u64),
        ]),
        None => row.extend(std::iter::repeat_n(Value::Null, 4)),
    }
    vec![row]
}

/// Counters are u64 but never near 2^63; saturate rather than wrap if one were.
pub(super) fn int8(n: u64) -> Value {
    Value::Int8(i64::try_from(n).unwrap_or(i64::MAX))
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Microseconds since 2000-01-01 UTC, as timestamptz stores them.
fn postgres_micros(at: SystemTime) -> i64 {
    let unix_us = match at.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_micros() as i64,
        Err(before) => -(before.duration().as_micros() as i64),
    };
    unix_us - POSTGRES_EPOCH_UNIX_SECS * 1_000_000
}
