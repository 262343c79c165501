//! The host's checks of what a module hands it, and its budgets' bookkeeping.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::ResourceLimiter;

use super::budget::{EpochTicker, MemoryCap, Stopped, TickerHandle, Watch};
use super::host::checked_value;
use super::{routines, Budgets, CallInfo, LoadedModule, ModuleError, ModuleHost};
use crate::db::Database;
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
    watch.arm(
        Instant::now(),
        Duration::from_secs(3600),
        Some(cancel.clone()),
    );
    assert_eq!(watch.check(), None);
    cancel.store(true, Ordering::Relaxed);
    assert_eq!(watch.check(), Some(Stopped::Cancelled));
    assert_eq!(watch.stopped, Some(Stopped::Cancelled));

    let mut over = Watch::default();
    over.arm(Instant::now(), Duration::ZERO, None);
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

/// A module written by hand against the canonical ABI of `turnstile.wit`, with two
/// reducers that break it: `log_outside` logs a message that lies past its memory,
/// `bad_level` logs at a level the enum does not have. Its description is a data
/// segment: at 16 the record (no schema, no tables, two reducers at 64, no views),
/// at 64 the two function records, at 128 and 144 their names. `REALLOC_BODY` is
/// spliced into its `cabi_realloc`, a bump allocator.
const ABI_PROBE: &str = r#"(module
  (import "turnstile:module/context@0.1.0" "log" (func $log (param i32 i32 i32)))
  (import "turnstile:module/context@0.1.0" "timestamp" (func $timestamp (result i64)))
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 1024))
  (data (i32.const 16) "\00\00\00\00\00\00\00\00\04\00\00\00\00\00\00\00\40\00\00\00\02\00\00\00\04\00\00\00\00\00\00\00")
  (data (i32.const 64) "\80\00\00\00\0b\00\00\00\04\00\00\00\00\00\00\00\04\00\00\00\00\00\00\00")
  (data (i32.const 88) "\90\00\00\00\09\00\00\00\04\00\00\00\00\00\00\00\04\00\00\00\00\00\00\00")
  (data (i32.const 128) "log_outside")
  (data (i32.const 144) "bad_level")
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $at i32)
    REALLOC_BODY
    (local.set $at (global.get $next))
    (global.set $next (i32.and (i32.add (i32.add (global.get $next) (local.get 3)) (i32.const 7)) (i32.const -8)))
    (local.get $at))
  (func (export "turnstile:module/guest@0.1.0#describe") (result i32) (i32.const 16))
  (func (export "turnstile:module/guest@0.1.0#call-reducer") (param $id i32) (param i32 i32) (result i32)
    (if (i32.eqz (local.get $id)) (then (call $log (i32.const 2) (i32.const 70000) (i32.const 4))))
    (if (i32.eq (local.get $id) (i32.const 1)) (then (call $log (i32.const 7) (i32.const 128) (i32.const 3))))
    (i32.const 256))
  (func (export "turnstile:module/guest@0.1.0#call-view") (param i32 i32 i32) (result i32) unreachable)
)"#;

/// Loads `wat` as module `probe`.
fn load_probe(wat: &str) -> Result<(ModuleHost, Arc<LoadedModule>), ModuleError> {
    let bytes = wat::parse_str(wat).expect("the test module is valid WAT");
    let mut host = ModuleHost::new(Budgets::default()).expect("a module host");
    let module = host.load("probe", &bytes)?;
    Ok((host, module))
}

/// Calls reducer `name` of `module` in a transaction of its own; the message of
/// the error it ends with.
fn call_probe(module: &LoadedModule, name: &str) -> String {
    let routine = routines(module.name(), module.description())
        .into_iter()
        .find(|r| r.name == name)
        .expect("the probe declares the reducer");
    let mut db = Database::new();
    let mut txn = db.begin_write();
    let info = CallInfo {
        timestamp_us: 0,
        caller: "test".into(),
        time_limit: Duration::MAX,
        cancel: None,
        rows_max: usize::MAX,
    };
    let error = module
        .call_reducer(&mut txn, &routine, &[], &info)
        .expect_err("the call breaks the ABI");
    error.to_string()
}

/// What a module passes the host is checked as the canonical ABI says: a pointer
/// past its memory or an enum case that does not exist traps the call with a
/// message saying so, and the next call runs on a fresh instance.
#[test]
fn a_module_breaking_the_abi_traps_with_the_reason() {
    let (_host, module) = load_probe(&ABI_PROBE.replace("REALLOC_BODY", "")).expect("it loads");
    let outside = call_probe(&module, "log_outside");
    assert!(
        outside.contains("4 bytes at 70000 lie outside its memory"),
        "{outside}"
    );
    let level = call_probe(&module, "bad_level");
    assert!(level.contains("log-level has no case 7"), "{level}");
}

/// While the host runs a module's `cabi_realloc` (to copy a call's arguments in),
/// the module may not call the host: the call traps instead of re-entering it.
#[test]
fn a_module_calling_the_host_from_its_allocator_traps() {
    let reentrant = ABI_PROBE.replace("REALLOC_BODY", "(drop (call $timestamp))");
    let (_host, module) = load_probe(&reentrant).expect("it loads");
    let message = call_probe(&module, "bad_level");
    assert!(message.contains("from cabi_realloc"), "{message}");
}

/// A component, or a module missing an export the world needs, is refused at
/// load with a message naming what is wrong.
#[test]
fn a_component_or_a_module_without_the_exports_is_refused() {
    let refusal = |wat: &str| match load_probe(wat) {
        Err(ModuleError::Invalid { reason, .. }) => reason,
        other => panic!("expected a refusal, got {:?}", other.map(|_| ())),
    };
    let probe = ABI_PROBE.replace("REALLOC_BODY", "");
    let cases = [
        ("(component)".to_owned(), "it is a component"),
        (
            probe.replace("(export \"cabi_realloc\")", ""),
            "does not export `cabi_realloc`",
        ),
        (
            probe.replace("(result i32) (i32.const 16)", "(result i64) (i64.const 16)"),
            "`turnstile:module/guest@0.1.0#describe` is () -> (i64)",
        ),
    ];
    for (wat, expected) in cases {
        let reason = refusal(&wat);
        assert!(reason.contains(expected), "{reason}");
    }
}

/// A reducer's run of short calls grows by one per short call up to the run that
/// makes it short, and any other call ends it.
#[test]
fn a_run_of_short_calls_grows_to_its_cap_and_one_long_call_ends_it() {
    use super::loaded::{short_calls_in_a_row, SHORT_CALLS_IN_A_ROW};
    let mut run = 0;
    for expected in 1..=SHORT_CALLS_IN_A_ROW {
        run = short_calls_in_a_row(run, true);
        assert_eq!(run, expected);
    }
    assert_eq!(short_calls_in_a_row(run, true), SHORT_CALLS_IN_A_ROW);
    assert_eq!(short_calls_in_a_row(run, false), 0);
}
