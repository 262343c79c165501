//! Budgets for user code: the wall-clock limit and cancel requests, enforced by
//! wasmtime's epoch interruption, and the memory cap, enforced by a resource limiter.
//!
//! # Time and cancel
//!
//! The engine's epoch is a counter that `EpochTicker`'s thread increments every
//! [`TICK`]. Compiled code checks the epoch at function entries and loop back-edges;
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

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
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
}

impl Default for Budgets {
    fn default() -> Self {
        Budgets {
            time: Duration::from_millis(100),
            memory_bytes: 64 << 20,
        }
    }
}

/// The thread that advances the engine's epoch every [`TICK`]; stopped and joined
/// on drop.
pub(super) struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    pub(super) fn start(engine: wasmtime::Engine) -> std::io::Result<EpochTicker> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("turnstile-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(TICK);
                    engine.increment_epoch();
                }
            })?;
        Ok(EpochTicker {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
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
    /// Arms the watch for a call that may run for `limit` from now.
    pub(super) fn arm(&mut self, limit: Duration, cancel: Option<Arc<AtomicBool>>) {
        *self = Watch {
            deadline: Some(Instant::now() + limit),
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

/// The memory cap of one instance, and whether a call hit it. A component may hold
/// several core instances and memories: the cap is on their total, and their
/// numbers are bounded too, so no count of memories multiplies it.
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

/// Most core instances, memories and tables one module instance may create: a
/// Rust module made a component has a handful of each.
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
