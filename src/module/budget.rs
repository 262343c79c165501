//! Budgets for user code: the wall-clock limit and cancel requests, enforced by
//! wasmtime's epoch interruption, and the memory cap, enforced by a resource limiter.
//!
//! # Time and cancel
//!
//! The engine's epoch is a counter that `EpochTicker`'s thread increments every
//! [`TICK`] while calls run; once no call has run for [`IDLE_TICKS`] ticks it
//! sleeps until the next call starts (an idle server does not wake a thousand
//! times a second). Compiled code checks the epoch at function entries and loop back-edges;
//! every store's deadline is always one tick ahead, so once a tick the running call
//! lands in `Watch::check`, which ends it if its deadline has passed or its session
//! asked to cancel, and otherwise lets it run one more tick. A module in an infinite
//! loop therefore traps within a tick of its deadline (or of a cancel request), and
//! the write lock is released right after, once the call's transaction has been
//! rolled back. Time spent inside a host function (a scan) is not interrupted; host
//! functions are bounded by the memory budget instead.
//!
//! # Memory
//!
//! `MemoryCap` refuses to grow an instance's linear memory past the cap. The
//! module's allocator then fails and (in Rust) aborts with a trap; the flag the
//! limiter sets tells the caller that the trap was the budget (53200), not a bug.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::{JoinHandle, Thread};
use std::time::{Duration, Instant};

use wasmtime::ResourceLimiter;

/// How often the epoch advances: the granularity of time budgets.
pub const TICK: Duration = Duration::from_millis(1);

/// The limits every reducer and view call runs under.
#[derive(Debug, Clone, Copy)]
pub struct Budgets {
    /// Wall-clock time per call (`--reducer-time-limit`); the session's
    /// `statement_timeout` lowers it for that session's calls.
    pub time: Duration,
    /// Linear memory per instance (`--reducer-memory-limit`).
    pub memory_bytes: usize,
    /// A reducer call that ends sooner, and normally, is *short*; a reducer with a
    /// run of short calls runs its calls on a session's task
    /// (`--reducer-short-call`; see `module::loaded`, "Short reducers").
    /// Zero: no call is short, every call goes to the writer thread.
    pub short_call: Duration,
}

impl Default for Budgets {
    fn default() -> Self {
        Budgets {
            time: Duration::from_millis(100),
            memory_bytes: 64 << 20,
            short_call: Duration::from_micros(100),
        }
    }
}

/// How many ticks without a call the ticker runs before it sleeps. Calls that
/// come more often than this keep it running, so a busy server never pays for
/// waking it.
pub const IDLE_TICKS: u32 = 100;

/// The thread that advances the engine's epoch every [`TICK`] while calls run;
/// stopped and joined on drop.
pub(super) struct EpochTicker {
    shared: Arc<TickerShared>,
    thread: Option<JoinHandle<()>>,
}

/// What the ticker and the calls share.
#[derive(Debug)]
struct TickerShared {
    stop: AtomicBool,
    /// Calls started so far: the ticker sees that one started since it looked.
    started: AtomicU64,
    /// Calls running now: the ticker never sleeps under a running call.
    running: AtomicUsize,
    /// Set while the ticker sleeps (or is about to): a call that starts then
    /// wakes it.
    asleep: AtomicBool,
    /// The ticker's thread, to wake; set by the thread as it starts.
    thread: OnceLock<Thread>,
}

impl EpochTicker {
    /// Starts the ticker of `engine`; it sleeps after `idle_ticks` ticks without
    /// a call ([`IDLE_TICKS`] in a server).
    pub(super) fn start(engine: wasmtime::Engine, idle_ticks: u32) -> std::io::Result<EpochTicker> {
        let shared = Arc::new(TickerShared {
            stop: AtomicBool::new(false),
            started: AtomicU64::new(0),
            running: AtomicUsize::new(0),
            asleep: AtomicBool::new(false),
            thread: OnceLock::new(),
        });
        let ticker = shared.clone();
        let thread = std::thread::Builder::new()
            .name("turnstile-epoch".into())
            .spawn(move || ticker.run(&engine, idle_ticks))?;
        Ok(EpochTicker {
            shared,
            thread: Some(thread),
        })
    }

    /// A handle the calls hold to keep the ticker running.
    pub(super) fn handle(&self) -> TickerHandle {
        TickerHandle(self.shared.clone())
    }
}

impl TickerShared {
    fn run(&self, engine: &wasmtime::Engine, idle_ticks: u32) {
        // Set before this thread can ever sleep, so a call can always wake it.
        let _ = self.thread.set(std::thread::current());
        let mut seen = self.started.load(Ordering::SeqCst);
        let mut idle = 0;
        while !self.stop.load(Ordering::SeqCst) {
            std::thread::sleep(TICK);
            engine.increment_epoch();
            let started = self.started.load(Ordering::SeqCst);
            if started != seen || self.running.load(Ordering::SeqCst) > 0 {
                (seen, idle) = (started, 0);
                continue;
            }
            idle += 1;
            if idle < idle_ticks {
                continue;
            }
            // Asleep is set before `started` is looked at again, and a call bumps
            // `started` before it looks at `asleep` (both SeqCst): either this
            // thread sees the call, or the call sees this thread asleep and wakes
            // it. An unpark that comes before the park makes the park return.
            self.asleep.store(true, Ordering::SeqCst);
            while self.started.load(Ordering::SeqCst) == seen && !self.stop.load(Ordering::SeqCst) {
                std::thread::park();
            }
            self.asleep.store(false, Ordering::SeqCst);
            idle = 0;
        }
    }

    fn wake(&self) {
        if let Some(thread) = self.thread.get() {
            thread.unpark();
        }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.wake();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Keeps the ticker of a module's engine running for the calls that hold what
/// [`TickerHandle::ticking`] gives.
#[derive(Debug, Clone)]
pub(super) struct TickerHandle(Arc<TickerShared>);

impl TickerHandle {
    /// Called as a call starts: the epoch advances until the result is dropped.
    pub(super) fn ticking(&self) -> Ticking {
        let shared = &self.0;
        shared.started.fetch_add(1, Ordering::SeqCst);
        shared.running.fetch_add(1, Ordering::SeqCst);
        if shared.asleep.load(Ordering::SeqCst) {
            shared.wake();
        }
        Ticking(shared.clone())
    }

    /// Whether the ticker sleeps now (for tests).
    #[cfg(test)]
    pub(super) fn is_asleep(&self) -> bool {
        self.0.asleep.load(Ordering::SeqCst)
    }
}

/// A running call, as the ticker counts it.
pub(super) struct Ticking(Arc<TickerShared>);

impl Drop for Ticking {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What stops a running call: its deadline and its session's cancel flag.
#[derive(Debug, Default)]
pub(super) struct Watch {
    /// When the call's time is up; None between calls, when nothing may run.
    pub(super) deadline: Option<Instant>,
    /// The time the call was given, for the error that says it ran over.
    pub(super) limit: Duration,
    /// Set by the session when its client sends a cancel request.
    pub(super) cancel: Option<Arc<AtomicBool>>,
    /// Why the call was stopped, once it was.
    pub(super) stopped: Option<Stopped>,
}

/// Why [`Watch::check`] stopped a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stopped {
    TimeBudget,
    Cancelled,
}

impl Watch {
    /// Arms the watch for a call that started at `started` (the caller's clock
    /// reading, which it also times the call by) and may run for `limit`.
    pub(super) fn arm(
        &mut self,
        started: Instant,
        limit: Duration,
        cancel: Option<Arc<AtomicBool>>,
    ) {
        *self = Watch {
            deadline: Some(started + limit),
            limit,
            cancel,
            stopped: None,
        };
    }

    /// Called once a tick while the call runs: whether it must stop now (and why,
    /// remembered for the error).
    pub(super) fn check(&mut self) -> Option<Stopped> {
        let stopped = self.expired();
        self.stopped = self.stopped.or(stopped);
        stopped
    }

    /// Whether the call must stop now, without remembering it.
    pub(super) fn expired(&self) -> Option<Stopped> {
        let cancelled = self
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed));
        if cancelled {
            Some(Stopped::Cancelled)
        } else if self
            .deadline
            .is_none_or(|deadline| Instant::now() >= deadline)
        {
            Some(Stopped::TimeBudget)
        } else {
            None
        }
    }
}

/// The memory cap of one instance, and whether a call hit it. A module may declare
/// several memories: the cap is on their total, and their numbers are bounded too,
/// so no count of memories multiplies it.
#[derive(Debug)]
pub(super) struct MemoryCap {
    pub(super) limit_bytes: usize,
    /// Bytes of linear memory the instance's memories hold together.
    pub(super) used_bytes: usize,
    /// Set when a growth was refused; reset at the start of every call.
    pub(super) exceeded: bool,
}

impl MemoryCap {
    pub(super) fn new(limit_bytes: usize) -> MemoryCap {
        MemoryCap {
            limit_bytes,
            used_bytes: 0,
            exceeded: false,
        }
    }
}

/// Most instances, memories and tables one module instance may create: a Rust
/// module has one of each.
const PIECES_MAX: usize = 16;

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let used = self.used_bytes - current.min(self.used_bytes) + desired;
        if used > self.limit_bytes {
            self.exceeded = true;
            return Ok(false);
        }
        self.used_bytes = used;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Function tables hold one pointer-sized entry each; bound them like memory.
        Ok(desired <= self.limit_bytes / 8)
    }

    fn instances(&self) -> usize {
        PIECES_MAX
    }

    fn memories(&self) -> usize {
        PIECES_MAX
    }

    fn tables(&self) -> usize {
        PIECES_MAX
    }
}
