//! Admission: who gets the global lock next, and for how long.
//!
//! Every acquisition of the database lock is granted here first. Requests wait in
//! two queues, one per class (reads, writes), in arrival order; the reader threads,
//! the writer thread and the short paths on sessions' tasks ask this scheduler, and
//! only take the lock once it admits them. Because the scheduler already decided,
//! that acquisition never waits, except under [`LockPolicy::RwLock`], the baseline
//! with no policy, where the lock's own order decides.
//!
//! # Phases
//!
//! The lock is held in *phases*. A read phase admits reads, any number at once; a
//! write phase is one acquisition of the write lock, by the writer thread or by a
//! session's task (below), which runs write requests one after another in it
//! (*writer batching*: each stays its own atomic transaction with its own log
//! record and acknowledgement). When a phase opens, the requests of its class
//! already queued are its *cohort*. A phase ends when it admits no more (see each
//! policy) and what it admitted has left; then the policy chooses the next phase
//! from who is waiting. While the other class has nobody waiting, a phase admits
//! every newcomer: there is nobody to be fair to.
//!
//! Every phase is bounded by the *batch* (`--lock-batch N`, `--lock-batch-time T`):
//! once it admitted N requests, or T has passed since it opened, it admits nothing
//! more. The first request of a phase is always admitted, so everything progresses.
//! A write phase ends at the batch bound even when no reader waits, because the
//! replies of its writes are delivered when the lock is released.
//!
//! # Policies (`--lock-policy`)
//!
//! - **`fair`** (default): when both classes wait, phases alternate. While the other
//!   class waits, a phase admits only its cohort. A request therefore waits for at
//!   most the phase running when it arrived and one phase of the other class: it is
//!   admitted within two phases, each at most one batch long (if more than a batch
//!   of its class is queued ahead of it, one more round per batch).
//! - **`read-first`**: reads are admitted whenever no write is running, even past
//!   waiting writers, until the oldest waiting write has waited the starvation bound
//!   (`--starvation-bound`, default 10 ms); then no read is admitted until a write
//!   phase has run its cohort. A write phase ends as soon as a read waits, unless it
//!   was opened for a starved write. A write waits at most the bound plus the
//!   longest read running then.
//! - **`write-first`**: the mirror image: write phases run back to back while writes
//!   wait, until the oldest waiting read has waited the starvation bound; then the
//!   running write phase stops after its current write and a read phase runs its
//!   cohort. A read waits at most the bound plus one write.
//! - **`deadline`**: a latency target for reads (`--max-read-wait`, default 1 ms:
//!   the target bounds the wait for the lock, and a client also sees the read
//!   itself and the round trip, so 1 ms keeps a 2 ms end-to-end p99 on the
//!   benchmark machine; 2 ms there gave about 2.5 ms).
//!   Writes run back to back, and a write phase stops before the write that would
//!   make the oldest waiting read pass the target (predicted with a moving average
//!   of recent writes' lock hold); then a read phase runs its cohort. Writes cannot
//!   starve: while a write waits, a read phase admits only its cohort.
//! - **`rwlock`**: no policy, the baseline the benchmark compares with (it is what a
//!   plain `parking_lot::RwLock` gives, as SpacetimeDB uses it): every request takes
//!   the lock as soon as a thread picks it up, one write per acquisition, and the
//!   lock's own order (writer-preferring, eventually fair) decides who waits.
//!
//! # What is a request
//!
//! Reads queued here run on the reader pool; a *short* read (a point lookup), a
//! short write (a point UPDATE, a small block's COMMIT, a call of a reducer whose
//! calls are short) or a short rehearsal is first offered to the scheduler on the
//! session's own task and runs there only if it is admitted at once, as a
//! newcomer, without overtaking anyone queued; otherwise it is queued like the
//! rest. That keeps the cheap paths cheap without a side door around the policy.
//!
//! A session's task admitted with a short write holds a write phase like the
//! writer thread's, and the phase goes on the same way: once its own write is
//! done it runs the queued writes the phase admits next, as long as they are
//! short too (*combining*: the session holding the lock does the others' short
//! writes, so a stream of them never wakes the writer thread). A queued write
//! that is not short ends such a phase, and the writer thread takes the next
//! one. The batch bound keeps what a session's task runs for others short:
//! after `--lock-batch-time` it admits no more, so at worst one write that
//! turned out long runs past it.
//!
//! The decisions are made by [`Admission`], a plain state machine that is told the
//! time, so tests drive it through exact schedules; [`Gate`] wraps it in a mutex and
//! condition variables for the threads.

use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, MutexGuard};

use super::metrics::LockMetrics;

/// Who goes first when readers and writers both wait (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockPolicy {
    /// Phases alternate; each admits what was queued when it began.
    Fair,
    /// Reads first, writes after at most the starvation bound.
    ReadFirst,
    /// Writes first, reads after at most the starvation bound.
    WriteFirst,
    /// Writes first until the oldest read would wait longer than its target.
    Deadline,
    /// No policy: the lock's own order (the benchmark's baseline).
    RwLock,
}

impl LockPolicy {
    /// Every policy, in the order the docs list them.
    pub const ALL: [LockPolicy; 5] = [
        LockPolicy::Fair,
        LockPolicy::ReadFirst,
        LockPolicy::WriteFirst,
        LockPolicy::Deadline,
        LockPolicy::RwLock,
    ];

    /// The name `--lock-policy` takes.
    pub fn name(self) -> &'static str {
        match self {
            LockPolicy::Fair => "fair",
            LockPolicy::ReadFirst => "read-first",
            LockPolicy::WriteFirst => "write-first",
            LockPolicy::Deadline => "deadline",
            LockPolicy::RwLock => "rwlock",
        }
    }
}

impl fmt::Display for LockPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for LockPolicy {
    type Err = String;

    fn from_str(text: &str) -> Result<LockPolicy, String> {
        LockPolicy::ALL
            .into_iter()
            .find(|policy| policy.name() == text)
            .ok_or_else(|| {
                let names: Vec<&str> = LockPolicy::ALL.iter().map(|p| p.name()).collect();
                format!(
                    "unknown lock policy {text:?}; choose one of {}",
                    names.join(", ")
                )
            })
    }
}

/// The scheduler's settings.
#[derive(Debug, Clone)]
pub struct AdmissionConfig {
    /// Who goes first.
    pub policy: LockPolicy,
    /// The most requests one phase admits (`--lock-batch`); 1 turns writer batching
    /// off.
    pub batch_max: usize,
    /// How long after it opens a phase stops admitting (`--lock-batch-time`).
    pub batch_time: Duration,
    /// `read-first` / `write-first`: the longest the other class waits before its
    /// turn is forced (`--starvation-bound`).
    pub starvation_bound: Duration,
    /// `deadline`: the target for the longest read wait (`--max-read-wait`).
    pub max_read_wait: Duration,
}

impl Default for AdmissionConfig {
    fn default() -> AdmissionConfig {
        AdmissionConfig {
            policy: LockPolicy::Fair,
            batch_max: 64,
            batch_time: Duration::from_millis(1),
            starvation_bound: Duration::from_millis(10),
            max_read_wait: Duration::from_millis(1),
        }
    }
}

/// The two classes of request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockClass {
    Read,
    Write,
}

impl LockClass {
    /// The label metrics and the system view use.
    pub fn name(self) -> &'static str {
        match self {
            LockClass::Read => "read",
            LockClass::Write => "write",
        }
    }
}

/// A queued request: the job, its place in the arrival order, and when it arrived.
pub(super) struct Queued<J> {
    pub job: J,
    ticket: u64,
    pub since: Instant,
}

/// Why a request was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    /// Its queue holds `capacity` requests already.
    Full,
    /// The turnstile is shutting down.
    Closed,
}

/// An open phase.
#[derive(Debug, Clone, Copy)]
struct Phase {
    class: LockClass,
    opened: Instant,
    /// Requests with a ticket below this were queued when the phase opened.
    cohort_end: u64,
    /// Requests this phase admitted so far.
    admitted: usize,
    /// Opened because the other class was starved or past its deadline, not by
    /// the class's own priority: it runs its cohort even though the class that
    /// normally goes first waits.
    forced: bool,
}

/// The scheduler's state and decisions, driven by the caller's clock (see the
/// module doc). `R` and `W` are what the read and write queues hold.
pub(super) struct Admission<R, W> {
    config: AdmissionConfig,
    capacity: usize,
    reads: VecDeque<Queued<R>>,
    writes: VecDeque<Queued<W>>,
    next_ticket: u64,
    /// Reads holding the lock now.
    readers_inside: usize,
    /// A write phase's holder (the writer thread, or a session's task with a short
    /// write or rehearsal) has it.
    writer_inside: bool,
    phase: Option<Phase>,
    /// The class of the last phase, for `fair`'s alternation.
    last_class: LockClass,
    /// Moving average of a write's lock hold, for `deadline`'s prediction.
    write_estimate: Duration,
    /// Phases opened so far: instrumentation for the policy tests.
    #[cfg(test)]
    phases_opened: u64,
    closed: bool,
    metrics: Arc<LockMetrics>,
}

/// A newcomer's ticket: later than anyone queued, so in no phase's cohort.
const NEWCOMER: u64 = u64::MAX;

impl<R, W> Admission<R, W> {
    pub fn new(config: AdmissionConfig, capacity: usize, metrics: Arc<LockMetrics>) -> Self {
        Admission {
            config,
            capacity,
            reads: VecDeque::new(),
            writes: VecDeque::new(),
            next_ticket: 0,
            readers_inside: 0,
            writer_inside: false,
            phase: None,
            last_class: LockClass::Write,
            write_estimate: Duration::ZERO,
            #[cfg(test)]
            phases_opened: 0,
            closed: false,
            metrics,
        }
    }

    /// Queues a read.
    pub fn push_read(&mut self, job: R, now: Instant) -> Result<(), Refusal> {
        let queued = self.ticket(job, now, self.reads.len())?;
        self.reads.push_back(queued);
        self.queue_changed(LockClass::Read);
        self.advance(now);
        Ok(())
    }

    /// Queues a write; its ticket names it to [`Admission::withdraw_write`].
    pub fn push_write(&mut self, job: W, now: Instant) -> Result<u64, Refusal> {
        let queued = self.ticket(job, now, self.writes.len())?;
        let ticket = queued.ticket;
        self.writes.push_back(queued);
        self.queue_changed(LockClass::Write);
        self.advance(now);
        Ok(ticket)
    }

    /// Takes the write with `ticket` out of the queue, if it is still there: its
    /// caller gave it up before it was admitted. A write phase opened for writes
    /// of which none is left closes, so that the reads it held back go on.
    pub fn withdraw_write(&mut self, ticket: u64, now: Instant) -> Option<W> {
        let position = self.writes.iter().position(|q| q.ticket == ticket)?;
        let withdrawn = self.writes.remove(position)?;
        self.queue_changed(LockClass::Write);
        let idle_write_phase =
            matches!(self.phase, Some(p) if p.class == LockClass::Write) && !self.writer_inside;
        if idle_write_phase && self.writes.is_empty() {
            self.close(now);
        }
        Some(withdrawn.job)
    }

    fn ticket<J>(&mut self, job: J, now: Instant, queued: usize) -> Result<Queued<J>, Refusal> {
        if self.closed {
            return Err(Refusal::Closed);
        }
        if queued >= self.capacity {
            return Err(Refusal::Full);
        }
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        Ok(Queued {
            job,
            ticket,
            since: now,
        })
    }

    /// Admits the first queued read if the policy lets it in now.
    pub fn admit_read(&mut self, now: Instant) -> Option<Queued<R>> {
        let ticket = self.reads.front()?.ticket;
        if !self.read_may_enter(ticket, now) {
            self.close_read_phase_if_idle(now);
            return None;
        }
        let queued = self.reads.pop_front()?;
        self.queue_changed(LockClass::Read);
        self.enter_read();
        Some(queued)
    }

    /// Admits a short read that is not queued, if it may enter at once without
    /// overtaking anyone.
    pub fn try_enter_read(&mut self, now: Instant) -> bool {
        if !self.reads.is_empty() || !self.read_may_enter(NEWCOMER, now) {
            return false;
        }
        if self.phase.is_none() && self.config.policy != LockPolicy::RwLock {
            self.open(LockClass::Read, false, now);
        }
        self.enter_read();
        true
    }

    /// A read left the lock. Returns the next read the same thread may run in the
    /// same phase, if any: handing it over directly keeps the phase open for the
    /// rest of its cohort.
    pub fn read_done(&mut self, now: Instant, next: bool) -> Option<Queued<R>> {
        if next {
            if let Some(ticket) = self.reads.front().map(|q| q.ticket) {
                if self.read_may_enter(ticket, now) {
                    let queued = self.reads.pop_front()?;
                    self.queue_changed(LockClass::Read);
                    if let Some(phase) = &mut self.phase {
                        phase.admitted += 1;
                    }
                    return Some(queued);
                }
            }
        }
        self.readers_inside -= 1;
        self.close_read_phase_if_idle(now);
        None
    }

    /// Starts a write phase with the first queued write, if the policy has opened
    /// one (or, under `rwlock`, whenever one is queued).
    pub fn begin_write(&mut self) -> Option<Queued<W>> {
        if self.writer_inside {
            return None;
        }
        if self.config.policy != LockPolicy::RwLock {
            match self.phase {
                Some(Phase {
                    class: LockClass::Write,
                    ..
                }) => {}
                _ => return None,
            }
        }
        let queued = self.writes.pop_front()?;
        self.queue_changed(LockClass::Write);
        self.writer_inside = true;
        if let Some(phase) = &mut self.phase {
            phase.admitted += 1;
        }
        Some(queued)
    }

    /// Starts a write phase for a short write or rehearsal that is not queued, if
    /// nobody waits and nobody holds the lock.
    pub fn try_enter_write(&mut self, now: Instant) -> bool {
        let idle = self.phase.is_none() && self.readers_inside == 0 && !self.writer_inside;
        if !idle || !self.reads.is_empty() || !self.writes.is_empty() {
            return false;
        }
        if self.config.policy != LockPolicy::RwLock {
            self.open(LockClass::Write, false, now);
        }
        self.writer_inside = true;
        if let Some(phase) = &mut self.phase {
            phase.admitted += 1;
        }
        true
    }

    /// Inside a write phase: the write that ran last held the lock for `held`.
    /// Returns the next write the phase admits, if any and if the phase's holder
    /// `may_run` it (a session's task runs only short writes, see
    /// `Turnstile::write_maybe_short`); a write it may not run ends the phase,
    /// and waits for the next, the writer thread's.
    pub fn continue_write(
        &mut self,
        now: Instant,
        held: Duration,
        may_run: impl FnOnce(&W) -> bool,
    ) -> Option<Queued<W>> {
        // An exponentially weighted average, weight 1/8 for the newest.
        self.write_estimate = (self.write_estimate * 7 + held) / 8;
        let next = self.writes.front()?;
        let ticket = next.ticket;
        if !may_run(&next.job) {
            return None;
        }
        let phase = self.phase?;
        if !self.write_phase_admits(&phase, ticket, now) {
            return None;
        }
        let queued = self.writes.pop_front()?;
        self.queue_changed(LockClass::Write);
        if let Some(phase) = &mut self.phase {
            phase.admitted += 1;
        }
        Some(queued)
    }

    /// The write phase's holder released the lock.
    pub fn end_write(&mut self, now: Instant) {
        self.writer_inside = false;
        self.close(now);
    }

    /// Stops queueing: later requests are refused, queued ones still run.
    pub fn close_queues(&mut self) {
        self.closed = true;
    }

    /// Whether the turnstile is shutting down and no read is left to run.
    pub fn reads_finished(&self) -> bool {
        self.closed && self.reads.is_empty()
    }

    /// Whether the turnstile is shutting down and no write is left to run.
    pub fn writes_finished(&self) -> bool {
        self.closed && self.writes.is_empty()
    }

    /// Whether a sleeping reader thread would be admitted now.
    pub fn reader_may_wake(&self, now: Instant) -> bool {
        self.reads
            .front()
            .is_some_and(|q| self.read_may_enter(q.ticket, now))
    }

    /// Whether the sleeping writer thread could begin a phase now.
    pub fn writer_may_wake(&self) -> bool {
        !self.writes.is_empty()
            && !self.writer_inside
            && (self.config.policy == LockPolicy::RwLock
                || matches!(self.phase, Some(p) if p.class == LockClass::Write))
    }

    /// How many phases have opened so far (each a serial number).
    #[cfg(test)]
    pub fn phases_opened(&self) -> u64 {
        self.phases_opened
    }

    fn enter_read(&mut self) {
        self.readers_inside += 1;
        if let Some(phase) = &mut self.phase {
            phase.admitted += 1;
        }
    }

    /// Whether a read with `ticket` (queued, or [`NEWCOMER`]) may enter now.
    fn read_may_enter(&self, ticket: u64, now: Instant) -> bool {
        if self.config.policy == LockPolicy::RwLock {
            return true;
        }
        match self.phase {
            Some(phase) if phase.class == LockClass::Read => {
                self.read_phase_admits(&phase, ticket, now)
            }
            Some(_) => false,
            // No phase is open only while nobody waits (see `advance`): a
            // newcomer gets the idle lock.
            None => self.writes.is_empty() && !self.writer_inside,
        }
    }

    fn read_phase_admits(&self, phase: &Phase, ticket: u64, now: Instant) -> bool {
        if self.writes.is_empty() {
            return true;
        }
        let cohort = ticket < phase.cohort_end && self.within_batch(phase, now);
        match self.config.policy {
            LockPolicy::Fair => cohort,
            LockPolicy::ReadFirst => !self.starved(LockClass::Write, now),
            LockPolicy::WriteFirst | LockPolicy::Deadline => phase.forced && cohort,
            LockPolicy::RwLock => true,
        }
    }

    fn write_phase_admits(&self, phase: &Phase, ticket: u64, now: Instant) -> bool {
        if !self.within_batch(phase, now) {
            return false;
        }
        if self.reads.is_empty() {
            return true;
        }
        let cohort = ticket < phase.cohort_end;
        match self.config.policy {
            LockPolicy::Fair => cohort,
            LockPolicy::ReadFirst => phase.forced && cohort,
            LockPolicy::WriteFirst => !self.starved(LockClass::Read, now),
            LockPolicy::Deadline => !self.read_deadline_near(now),
            // One write per acquisition: that is what the baseline does.
            LockPolicy::RwLock => false,
        }
    }

    fn within_batch(&self, phase: &Phase, now: Instant) -> bool {
        phase.admitted == 0
            || (phase.admitted < self.config.batch_max
                && now.saturating_duration_since(phase.opened) < self.config.batch_time)
    }

    /// How long the oldest waiting request of `class` has waited.
    fn oldest_wait(&self, class: LockClass, now: Instant) -> Option<Duration> {
        let since = match class {
            LockClass::Read => self.reads.front()?.since,
            LockClass::Write => self.writes.front()?.since,
        };
        Some(now.saturating_duration_since(since))
    }

    fn starved(&self, class: LockClass, now: Instant) -> bool {
        self.oldest_wait(class, now)
            .is_some_and(|wait| wait >= self.config.starvation_bound)
    }

    /// `deadline`: one more write would make the oldest read pass its target.
    fn read_deadline_near(&self, now: Instant) -> bool {
        self.oldest_wait(LockClass::Read, now)
            .is_some_and(|wait| wait + self.write_estimate >= self.config.max_read_wait)
    }

    /// A read phase whose readers have all left and that admits nobody queued
    /// closes, and the next phase is chosen.
    fn close_read_phase_if_idle(&mut self, now: Instant) {
        let Some(phase) = self.phase else { return };
        if phase.class != LockClass::Read || self.readers_inside > 0 {
            return;
        }
        let admits_next = self
            .reads
            .front()
            .is_some_and(|q| self.read_phase_admits(&phase, q.ticket, now));
        if !admits_next {
            self.close(now);
        }
    }

    fn close(&mut self, now: Instant) {
        if let Some(phase) = self.phase.take() {
            self.last_class = phase.class;
            self.metrics
                .phase_ended(phase.class, now.saturating_duration_since(phase.opened));
        }
        self.advance(now);
    }

    /// With no phase open, opens the one the policy chooses for who waits.
    fn advance(&mut self, now: Instant) {
        if self.config.policy == LockPolicy::RwLock
            || self.phase.is_some()
            || self.readers_inside > 0
            || self.writer_inside
        {
            return;
        }
        let (class, forced) = match (self.reads.is_empty(), self.writes.is_empty()) {
            (true, true) => return,
            (false, true) => (LockClass::Read, false),
            (true, false) => (LockClass::Write, false),
            (false, false) => match self.config.policy {
                LockPolicy::Fair => match self.last_class {
                    LockClass::Read => (LockClass::Write, false),
                    LockClass::Write => (LockClass::Read, false),
                },
                LockPolicy::ReadFirst if self.starved(LockClass::Write, now) => {
                    (LockClass::Write, true)
                }
                LockPolicy::ReadFirst => (LockClass::Read, false),
                LockPolicy::WriteFirst if self.starved(LockClass::Read, now) => {
                    (LockClass::Read, true)
                }
                LockPolicy::WriteFirst => (LockClass::Write, false),
                LockPolicy::Deadline if self.read_deadline_near(now) => (LockClass::Read, true),
                LockPolicy::Deadline => (LockClass::Write, false),
                LockPolicy::RwLock => return,
            },
        };
        self.open(class, forced, now);
    }

    fn open(&mut self, class: LockClass, forced: bool, now: Instant) {
        #[cfg(test)]
        {
            self.phases_opened += 1;
        }
        self.phase = Some(Phase {
            class,
            opened: now,
            cohort_end: self.next_ticket,
            admitted: 0,
            forced,
        });
    }

    fn queue_changed(&self, class: LockClass) {
        let len = match class {
            LockClass::Read => self.reads.len(),
            LockClass::Write => self.writes.len(),
        };
        self.metrics.queue_length(class, len);
    }
}

/// [`Admission`] behind a mutex, with condition variables the reader threads and
/// the writer thread sleep on until they are admitted.
pub(super) struct Gate<R, W> {
    state: Mutex<Admission<R, W>>,
    readers: Condvar,
    writer: Condvar,
}

impl<R, W> Gate<R, W> {
    pub fn new(admission: Admission<R, W>) -> Self {
        Gate {
            state: Mutex::new(admission),
            readers: Condvar::new(),
            writer: Condvar::new(),
        }
    }

    pub fn push_read(&self, job: R) -> Result<(), Refusal> {
        let mut state = self.state.lock();
        let now = Instant::now();
        state.push_read(job, now)?;
        self.wake(&state, now);
        Ok(())
    }

    pub fn push_write(&self, job: W) -> Result<u64, Refusal> {
        let mut state = self.state.lock();
        let now = Instant::now();
        let ticket = state.push_write(job, now)?;
        self.wake(&state, now);
        Ok(ticket)
    }

    /// Takes the queued write with `ticket` out, if no one has taken it to run;
    /// the threads its absence lets go on are woken.
    pub fn withdraw_write(&self, ticket: u64) -> Option<W> {
        let mut state = self.state.lock();
        let now = Instant::now();
        let withdrawn = state.withdraw_write(ticket, now);
        if withdrawn.is_some() {
            self.wake(&state, now);
        }
        withdrawn
    }

    /// Blocks a reader thread until a read is admitted; None once the turnstile
    /// shuts down with no read left.
    pub fn wait_read(&self) -> Option<Queued<R>> {
        let mut state = self.state.lock();
        loop {
            let now = Instant::now();
            if let Some(queued) = state.admit_read(now) {
                self.wake(&state, now);
                return Some(queued);
            }
            if state.reads_finished() {
                return None;
            }
            self.wake(&state, now);
            self.readers.wait(&mut state);
        }
    }

    /// A read left the lock at `now`: the next read of the same phase, if `next`
    /// (a reader thread asks) and one is admitted at once.
    pub fn read_done(&self, next: bool, now: Instant) -> Option<Queued<R>> {
        let mut state = self.state.lock();
        let queued = state.read_done(now, next);
        self.wake(&state, now);
        queued
    }

    /// A short read arriving at `now` asks to enter at once.
    pub fn try_enter_read(&self, now: Instant) -> bool {
        self.state.lock().try_enter_read(now)
    }

    /// Blocks the writer thread until a write phase is its; None once the
    /// turnstile shuts down with no write left.
    pub fn wait_write(&self) -> Option<Queued<W>> {
        let mut state = self.state.lock();
        loop {
            if let Some(queued) = state.begin_write() {
                return Some(queued);
            }
            if state.writes_finished() {
                return None;
            }
            self.wake(&state, Instant::now());
            self.writer.wait(&mut state);
        }
    }

    /// The write that ended at `now` held the lock for `held`: the next write of
    /// the phase, if it admits one and its holder `may_run` it.
    pub fn continue_write(
        &self,
        now: Instant,
        held: Duration,
        may_run: impl FnOnce(&W) -> bool,
    ) -> Option<Queued<W>> {
        self.state.lock().continue_write(now, held, may_run)
    }

    /// The write phase's holder released the lock at `now`.
    pub fn end_write(&self, now: Instant) {
        let mut state = self.state.lock();
        state.end_write(now);
        self.wake(&state, now);
    }

    /// A short write or rehearsal arriving at `now` asks to enter at once (see
    /// [`Admission::try_enter_write`]).
    pub fn try_enter_write(&self, now: Instant) -> bool {
        self.state.lock().try_enter_write(now)
    }

    /// Refuses new requests and wakes every thread, so that each finishes what is
    /// queued for it and ends.
    pub fn close(&self) {
        self.state.lock().close_queues();
        self.readers.notify_all();
        self.writer.notify_all();
    }

    /// Wakes a thread that could make progress now. A woken reader that is
    /// admitted wakes the next (see `wait_read`), so one notification suffices.
    fn wake(&self, state: &MutexGuard<'_, Admission<R, W>>, now: Instant) {
        if state.reads_finished() {
            self.readers.notify_all();
        } else if state.reader_may_wake(now) {
            self.readers.notify_one();
        }
        if state.writer_may_wake() || state.writes_finished() {
            self.writer.notify_one();
        }
    }
}
