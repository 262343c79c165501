//! The host's checks of what a module hands it, and its budgets' bookkeeping.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use wasmtime::ResourceLimiter;

use super::budget::{MemoryCap, Stopped, Watch};
use super::host::checked_value;
use crate::types::{DataType, Value};

/// Values a module writes or a view returns are held to what a client's would be.
#[test]
fn module_values_are_checked_like_client_values() {
    let sqlstate = |value, ty| checked_value(value, ty).unwrap_err().sqlstate;
    assert_eq!(
        sqlstate(Value::Text("a\0b".into()), DataType::Text),
        "22021"
    );
    assert_eq!(
        sqlstate(Value::Jsonb("\"\0\"".into()), DataType::Jsonb),
        "22021"
    );
    assert_eq!(sqlstate(Value::Date(i32::MAX - 1), DataType::Date), "22008");
    assert_eq!(
        sqlstate(Value::Timestamptz(i64::MAX - 1), DataType::Timestamptz),
        "22008"
    );
    assert_eq!(sqlstate(Value::Jsonb("{".into()), DataType::Jsonb), "22P02");
    assert_eq!(
        sqlstate(Value::Text("abcd".into()), DataType::Varchar(Some(3))),
        "22001"
    );
    // Valid values pass; JSON comes back normalized, infinities are dates.
    let ok = |value, ty| checked_value(value, ty).ok();
    assert_eq!(
        ok(Value::Jsonb("{\"b\":1,  \"a\":2}".into()), DataType::Jsonb),
        Some(Value::Jsonb("{\"a\": 2, \"b\": 1}".into()))
    );
    assert_eq!(
        ok(Value::Date(i32::MAX), DataType::Date),
        Some(Value::Date(i32::MAX))
    );
    assert_eq!(
        ok(Value::Text("abc".into()), DataType::Varchar(Some(3))),
        Some(Value::Text("abc".into()))
    );
}

/// The memory cap is on all of an instance's memories together.
#[test]
fn the_memory_cap_counts_every_memory() {
    let mut cap = MemoryCap::new(10 << 20);
    assert!(cap.memory_growing(0, 6 << 20, None).unwrap());
    // A second memory of 6 MiB would pass a per-memory cap, not the total.
    assert!(!cap.memory_growing(0, 6 << 20, None).unwrap());
    assert!(cap.exceeded);
    // Growing the first memory counts only the growth.
    assert!(cap.memory_growing(6 << 20, 9 << 20, None).unwrap());
    assert_eq!(cap.used_bytes, 9 << 20);
}

/// A call stops at its deadline, or at once when its session cancels; between
/// calls nothing may run.
#[test]
fn the_watch_stops_calls_at_the_deadline_or_a_cancel() {
    let mut idle = Watch::default();
    assert_eq!(idle.check(), Some(Stopped::TimeBudget));

    let cancel = Arc::new(AtomicBool::new(false));
    let mut watch = Watch::default();
    watch.arm(Duration::from_secs(3600), Some(cancel.clone()));
    assert_eq!(watch.check(), None);
    cancel.store(true, Ordering::Relaxed);
    assert_eq!(watch.check(), Some(Stopped::Cancelled));
    assert_eq!(watch.stopped, Some(Stopped::Cancelled));

    let mut over = Watch::default();
    over.arm(Duration::ZERO, None);
    assert_eq!(over.check(), Some(Stopped::TimeBudget));
    assert_eq!(over.limit, Duration::ZERO);
}
