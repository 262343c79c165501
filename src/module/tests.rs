//! The host's checks of what a module hands it, and its budgets' bookkeeping.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::ResourceLimiter;

use super::budget::{EpochTicker, MemoryCap, Stopped, TickerHandle, Watch};
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

/// `(module (func (export "spin") (loop (br 0))))`: runs until interrupted.
const SPIN_MODULE: &[u8] = &[
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
    0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // types: () -> ()
    0x03, 0x02, 0x01, 0x00, // functions: one of type 0
    0x07, 0x08, 0x01, 0x04, b's', b'p', b'i', b'n', 0x00, 0x00, // export "spin"
    0x0a, 0x09, 0x01, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b, // loop { br 0 }
];

/// Waits (without sleeping) until the ticker's sleep is `asleep`.
fn wait_until_asleep_is(ticker: &TickerHandle, asleep: bool) {
    let give_up = Instant::now() + Duration::from_secs(60);
    while ticker.is_asleep() != asleep {
        assert!(
            Instant::now() < give_up,
            "the ticker never became asleep={asleep}"
        );
        std::thread::yield_now();
    }
}

/// An idle ticker sleeps; a call that starts then wakes it, so the call still
/// stops at its deadline; and once calls stop it sleeps again.
#[test]
fn a_call_wakes_the_sleeping_ticker_and_still_stops_at_its_deadline() {
    let mut config = wasmtime::Config::new();
    config.epoch_interruption(true);
    let engine = wasmtime::Engine::new(&config).expect("an engine");
    let ticker = EpochTicker::start(engine.clone(), 1).expect("the ticker starts");
    let handle = ticker.handle();
    wait_until_asleep_is(&handle, true);

    let module = wasmtime::Module::new(&engine, SPIN_MODULE).expect("the module compiles");
    let mut store = wasmtime::Store::new(&engine, ());
    // Three ticks from now; a sleeping ticker would never get there.
    store.set_epoch_deadline(3);
    let instance = wasmtime::Instance::new(&mut store, &module, &[]).expect("an instance");
    let spin = instance
        .get_typed_func::<(), ()>(&mut store, "spin")
        .expect("spin is exported");
    let ticking = handle.ticking();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done_tx.send(spin.call(&mut store, ()).is_err());
    });
    assert_eq!(
        done_rx.recv_timeout(Duration::from_secs(60)),
        Ok(true),
        "the endless call was interrupted"
    );
    drop(ticking);
    wait_until_asleep_is(&handle, true);
}
