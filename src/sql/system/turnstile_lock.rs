//! `turnstile_lock_stats` and `turnstile_lock_phases`: the lock's metrics (see
//! `turnstile::metrics`), the same numbers the Prometheus endpoint serves.
//! Percentiles are estimated from histogram buckets (1-2-5 per decade), times are
//! in microseconds unless the column says otherwise.

use crate::turnstile::Summary;
use crate::types::{DataType, Value};

use super::registry::{Schema, SystemRelation};
use super::turnstile_wal::int8;
use super::SystemSnapshot;

/// One row per class (`read`, `write`) and request name (`SELECT`, `INSERT`,
/// `CALL transfer`, `COMMIT`, `rehearse UPDATE`, …) that has taken the lock.
pub const STATS: SystemRelation = SystemRelation {
    name: "turnstile_lock_stats",
    schema: Schema::Turnstile,
    columns: &[
        ("class", DataType::Text),
        ("request", DataType::Text),
        ("requests", DataType::Int8),
        // Of `requests`, those that ran on the session's own task (a short read or
        // write admitted at once) rather than on a reader thread or the writer.
        ("on_session", DataType::Int8),
        // From arrival at the turnstile to holding the lock.
        ("wait_avg_us", DataType::Float8),
        ("wait_p50_us", DataType::Float8),
        ("wait_p99_us", DataType::Float8),
        // Holding the lock.
        ("hold_avg_us", DataType::Float8),
        ("hold_p50_us", DataType::Float8),
        ("hold_p99_us", DataType::Float8),
        ("hold_total_ms", DataType::Float8),
    ],
    rows: stats_rows,
};

/// One row per class: the admission policy, its phases so far and the queue now.
pub const PHASES: SystemRelation = SystemRelation {
    name: "turnstile_lock_phases",
    schema: Schema::Turnstile,
    columns: &[
        ("policy", DataType::Text),
        ("class", DataType::Text),
        ("phases", DataType::Int8),
        ("phase_avg_us", DataType::Float8),
        ("phase_p50_us", DataType::Float8),
        ("phase_p99_us", DataType::Float8),
        ("queued", DataType::Int8),
    ],
    rows: phase_rows,
};

fn stats_rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    let Some(metrics) = snapshot.lock_metrics else {
        return Vec::new();
    };
    let mut stats = metrics.request_stats();
    stats.sort_by(|a, b| (&a.class, &a.request).cmp(&(&b.class, &b.request)));
    stats
        .into_iter()
        .map(|s| {
            let mut row = vec![
                Value::Text(s.class),
                Value::Text(s.request),
                int8(s.wait.count),
                int8(s.on_session),
            ];
            row.extend(micros(&s.wait));
            row.extend(micros(&s.hold));
            row.push(Value::Float8(s.hold.sum * 1e3));
            row
        })
        .collect()
}

fn phase_rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    let Some(metrics) = snapshot.lock_metrics else {
        return Vec::new();
    };
    metrics
        .phase_stats()
        .into_iter()
        .map(|p| {
            let mut row = vec![
                Value::Text(metrics.policy().name().into()),
                Value::Text(p.class.name().into()),
                int8(p.length.count),
            ];
            row.extend(micros(&p.length));
            row.push(int8(p.queued as u64));
            row
        })
        .collect()
}

/// Average, p50 and p99 in microseconds.
fn micros(summary: &Summary) -> [Value; 3] {
    let average = if summary.count == 0 {
        0.0
    } else {
        summary.sum / summary.count as f64
    };
    [average, summary.p50, summary.p99].map(|seconds| Value::Float8(seconds * 1e6))
}
