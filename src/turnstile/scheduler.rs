//! The turnstile's machinery: the lock, the reader pool, the writer thread, and the
//! handle sessions use to reach them (see the module doc of `turnstile`).

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Mutex, RwLock};
use tokio::sync::oneshot;

use super::admission::{Admission, AdmissionConfig, Gate, LockClass, Queued, Refusal};
use super::error::TurnstileError;
use super::metrics::{LockMetrics, RanOn, RequestName};
use super::snapshotter::LastSnapshot;
use crate::db::{Database, WriteTxn};
use crate::sql::STATEMENT_THREAD_STACK_BYTES;
use crate::wal::{Wal, WalStats};

/// When a write's caller hears back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Once the commit is on disk (`synchronous_commit = on`).
    Durable,
    /// Once the commit is visible (`synchronous_commit = off`): a crash may lose
    /// the last flush interval's commits, never part of one.
    Visible,
}

/// The files that make a turnstile durable.
#[derive(Clone)]
pub struct Durable {
    /// The write-ahead log every commit goes to.
    pub wal: Arc<Wal>,
    /// The directory snapshots are written to (see [`Turnstile::snapshot`]).
    pub snapshot_dir: PathBuf,
}

/// How many threads, how much queueing and which admission policy the turnstile
/// has.
#[derive(Debug, Clone)]
pub struct TurnstileConfig {
    /// Reader threads: how many SELECTs can run at once.
    pub reader_threads: usize,
    /// The most requests waiting in each queue; a request beyond it is refused
    /// (53000) instead of growing memory without bound.
    pub queue_capacity: usize,
    /// Who is admitted to the lock when (see `turnstile::admission`).
    pub admission: AdmissionConfig,
    /// A request holding the lock this long or longer is logged.
    pub slow_lock_hold: Duration,
}

impl Default for TurnstileConfig {
    fn default() -> TurnstileConfig {
        TurnstileConfig {
            reader_threads: 2,
            queue_capacity: 256,
            admission: AdmissionConfig::default(),
            slow_lock_hold: Duration::from_millis(10),
        }
    }
}

/// A request for a reader thread: runs under the read lock and returns the
/// delivery of its reply, which runs after the lock is released.
struct ReadRequest {
    name: RequestName,
    run: Box<dyn FnOnce(&Database) -> Delivery + Send>,
}

/// A queued write, likewise under the write lock (see `run_write_phase` for when
/// its reply is delivered).
struct WriteRequest {
    name: RequestName,
    /// Short (see [`Turnstile::write_maybe_short`]): a session's task that holds
    /// the lock may run it; any other write waits for the writer thread.
    short: bool,
    run: Box<dyn FnOnce(&mut Database) -> Delivery + Send>,
}

impl WriteRequest {
    /// Whether a session's task holding the lock may run it.
    fn is_short(&self) -> bool {
        self.short
    }
}

/// Sends a reply to a waiting session.
type Delivery = Box<dyn FnOnce() + Send>;

/// The admission scheduler, holding the queued requests.
type LockGate = Gate<ReadRequest, WriteRequest>;

/// A handle to the turnstile; cheap to clone, shared by every session.
#[derive(Clone)]
pub struct Turnstile {
    pub(super) shared: Arc<Shared>,
}

pub(super) struct Shared {
    /// The database, for point reads run on the caller's task (see
    /// [`Turnstile::read_short`]); the threads hold their own handles. Nobody
    /// takes its lock without being admitted by `gate` first.
    db: Arc<RwLock<Database>>,
    /// The admission scheduler: the queues, and who takes the lock next.
    gate: Arc<LockGate>,
    metrics: Arc<LockMetrics>,
    /// The write-ahead log every commit is appended to; `None` keeps data in memory
    /// only (unit tests).
    wal: Option<Arc<Wal>>,
    /// Where snapshots go (with a log only).
    pub(super) snapshot_dir: Option<PathBuf>,
    /// The last snapshot this process finished, shared with every
    /// [`TurnstileStatus`] so that `turnstile_wal` can show it.
    pub(super) last_snapshot: Arc<Mutex<Option<LastSnapshot>>>,
    queue_capacity: usize,
    /// The reader and writer threads, joined when the last handle is dropped so that
    /// shutdown waits for requests already running.
    threads: Vec<JoinHandle<()>>,
}

impl Turnstile {
    /// Starts the reader threads and the writer thread around `db`, with no
    /// write-ahead log: commits are visible and never durable.
    pub fn start(db: Database, config: TurnstileConfig) -> std::io::Result<Turnstile> {
        Turnstile::start_with_wal(db, config, None)
    }

    /// Starts the turnstile around `db`, appending every commit's redo to the log of
    /// `durable` and writing snapshots where it says.
    pub fn start_with_wal(
        db: Database,
        config: TurnstileConfig,
        durable: Option<Durable>,
    ) -> std::io::Result<Turnstile> {
        let (wal, snapshot_dir) = match durable {
            Some(Durable { wal, snapshot_dir }) => (Some(wal), Some(snapshot_dir)),
            None => (None, None),
        };
        let db = Arc::new(RwLock::new(db));
        let metrics = Arc::new(LockMetrics::new(
            config.admission.policy,
            config.slow_lock_hold,
        ));
        let gate = Arc::new(Gate::new(Admission::new(
            config.admission.clone(),
            config.queue_capacity,
            metrics.clone(),
        )));
        let mut threads = Vec::new();
        for i in 0..config.reader_threads.max(1) {
            let (db, gate, metrics) = (db.clone(), gate.clone(), metrics.clone());
            let thread = std::thread::Builder::new()
                .name(format!("turnstile-reader-{i}"))
                .stack_size(STATEMENT_THREAD_STACK_BYTES)
                .spawn(move || run_reader(&db, &gate, &metrics))?;
            threads.push(thread);
        }
        let writer = {
            let (db, gate, metrics) = (db.clone(), gate.clone(), metrics.clone());
            std::thread::Builder::new()
                .name("turnstile-writer".into())
                .stack_size(STATEMENT_THREAD_STACK_BYTES)
                .spawn(move || run_writer(&db, &gate, &metrics))?
        };
        threads.push(writer);
        Ok(Turnstile {
            shared: Arc::new(Shared {
                db,
                gate,
                metrics,
                wal,
                snapshot_dir,
                last_snapshot: Arc::default(),
                queue_capacity: config.queue_capacity,
                threads,
            }),
        })
    }

    /// Runs `f` under the read lock on a reader thread, once admitted, and returns
    /// its result. `name` says what it is, for metrics and logs.
    pub async fn read<R, F>(&self, name: impl Into<RequestName>, f: F) -> Result<R, TurnstileError>
    where
        R: Send + 'static,
        F: FnOnce(&Database) -> R + Send + 'static,
    {
        let (reply_tx, reply_rx) = oneshot::channel();
        let request = ReadRequest {
            name: name.into(),
            run: Box::new(move |db| {
                let result = catch_unwind(AssertUnwindSafe(|| f(db))).map_err(panic_message);
                Box::new(move || {
                    let _ = reply_tx.send(result);
                })
            }),
        };
        self.shared
            .gate
            .push_read(request)
            .map_err(|refusal| self.refused(refusal))?;
        reply_rx.await.map_err(|_| TurnstileError::ShuttingDown)?
    }

    /// Runs a *short* read — one whose cost is bounded and tiny, like a point
    /// lookup by primary key — on the caller's task if the scheduler admits it at
    /// once ([`Turnstile::try_read_now`]), else like [`Turnstile::read`]. Asking
    /// never blocks, so a short read never blocks a tokio worker. It saves the two
    /// thread hand-offs of the reader pool, which cost more than the lookup.
    pub async fn read_short<R, F>(
        &self,
        name: impl Into<RequestName>,
        f: F,
    ) -> Result<R, TurnstileError>
    where
        R: Send + 'static,
        F: FnOnce(&Database) -> R + Send + 'static,
    {
        let name = name.into();
        match self.try_read_now(&name, f) {
            Ok(result) => result,
            Err(f) => self.read(name, f).await,
        }
    }

    /// Runs `f` under the read lock on the caller's thread if the scheduler
    /// admits it at once, as a newcomer that overtakes nobody queued; else gives
    /// `f` back without running it. Asking never blocks. `f` runs here or not at
    /// all, so it may borrow what the caller has (no `'static` closure, no
    /// context moved into it): the engine's point reads call this first.
    pub fn try_read_now<R, F>(&self, name: &str, f: F) -> Result<Result<R, TurnstileError>, F>
    where
        F: FnOnce(&Database) -> R,
    {
        let arrived = Instant::now();
        let shared = &self.shared;
        if !shared.gate.try_enter_read(arrived) {
            return Err(f);
        }
        // Admitted, the lock is free, except under the `rwlock` baseline, where
        // the lock's own order decides and `try_read` may fail.
        let Some(guard) = shared.db.try_read() else {
            shared.gate.read_done(false, arrived);
            return Err(f);
        };
        let result = catch_unwind(AssertUnwindSafe(|| f(&guard))).map_err(panic_message);
        drop(guard);
        let released = Instant::now();
        shared.gate.read_done(false, released);
        // Admitted at once, it waited for nothing; its hold counts from its
        // arrival, which saves a clock read on the hottest path there is.
        let hold = released - arrived;
        shared
            .metrics
            .request(LockClass::Read, name, RanOn::Session, Duration::ZERO, hold);
        Ok(result)
    }

    /// Runs `f` under the read lock like [`Turnstile::read`] (or like
    /// [`Turnstile::read_short`] when `short`), and returns only once every commit
    /// it could see is durable: the log's written LSN is read under the same lock,
    /// and the wait for its fsync happens after the lock is released. Without a log
    /// there is nothing to wait for.
    pub async fn read_confirmed<R, F>(
        &self,
        name: impl Into<RequestName>,
        short: bool,
        f: F,
    ) -> Result<R, TurnstileError>
    where
        R: Send + 'static,
        F: FnOnce(&Database) -> R + Send + 'static,
    {
        let Some(wal) = self.shared.wal.clone() else {
            return self.read_maybe_short(name, short, f).await;
        };
        let reader_wal = wal.clone();
        let (result, lsn) = self
            .read_maybe_short(name, short, move |db| {
                (f(db), reader_wal.stats().written_lsn)
            })
            .await?;
        wal.wait_durable(lsn).await?;
        Ok(result)
    }

    /// [`Turnstile::read_short`] when `short`, else [`Turnstile::read`].
    pub async fn read_maybe_short<R, F>(
        &self,
        name: impl Into<RequestName>,
        short: bool,
        f: F,
    ) -> Result<R, TurnstileError>
    where
        R: Send + 'static,
        F: FnOnce(&Database) -> R + Send + 'static,
    {
        if short {
            self.read_short(name, f).await
        } else {
            self.read(name, f).await
        }
    }

    /// Runs `f` as one write transaction under the write lock on the writer thread,
    /// and returns once it is durable (`synchronous_commit = on`).
    pub async fn write<R, E, F>(
        &self,
        name: impl Into<RequestName>,
        f: F,
    ) -> Result<Result<R, E>, TurnstileError>
    where
        R: Send + 'static,
        E: Send + 'static,
        F: FnOnce(&mut WriteTxn<'_>) -> Result<R, E> + Send + 'static,
    {
        self.write_with(name, Durability::Durable, std::future::pending(), f)
            .await
    }

    /// Runs `f` as one write transaction under the write lock on the writer thread.
    /// `Ok` commits (appending the redo to the log) and `Err` rolls back, before the
    /// lock is released; the result comes back after the release, and with
    /// [`Durability::Durable`] only once the log's fsync covers the commit — a wait
    /// on the log, never on the lock (invariants 1 and 4).
    ///
    /// If `withdraw` completes while the write is still queued, the write is given
    /// up: it will not run, and this returns [`TurnstileError::Withdrawn`] at once.
    /// Once it has started it is not withdrawn (it may commit); its outcome is the
    /// answer. A statement passes its interrupt here, so that a cancel or a
    /// `statement_timeout` stops it while it waits for the lock.
    pub async fn write_with<R, E, F>(
        &self,
        name: impl Into<RequestName>,
        durability: Durability,
        withdraw: impl Future<Output = ()>,
        f: F,
    ) -> Result<Result<R, E>, TurnstileError>
    where
        R: Send + 'static,
        E: Send + 'static,
        F: FnOnce(&mut WriteTxn<'_>) -> Result<R, E> + Send + 'static,
    {
        self.write_maybe_short(name, false, durability, withdraw, f)
            .await
    }

    /// [`Turnstile::write_with`], except that a *short* write — one whose cost is
    /// bounded and tiny, like an UPDATE of a few rows by primary key or the COMMIT
    /// of a small block, or has been, like a reducer whose last calls were all
    /// short — runs on the caller's task if the scheduler admits it at once:
    /// nobody holds the lock and nobody waits, so it overtakes no one, and asking
    /// never blocks. It commits there exactly as on the writer thread (its log
    /// record is appended under the lock, so commits keep the log's order); what
    /// it saves is the two thread hand-offs of the writer queue, which cost more
    /// than the write. Then, still holding the lock, the task runs the short writes
    /// queued meanwhile that the phase admits (combining, see `admission`), and
    /// delivers their replies. A short write that finds the lock taken is queued,
    /// for whoever holds the phase then, and batched; `withdraw` gives it up while
    /// it is queued, as in [`Turnstile::write_with`].
    pub async fn write_maybe_short<R, E, F>(
        &self,
        name: impl Into<RequestName>,
        short: bool,
        durability: Durability,
        withdraw: impl Future<Output = ()>,
        f: F,
    ) -> Result<Result<R, E>, TurnstileError>
    where
        R: Send + 'static,
        E: Send + 'static,
        F: FnOnce(&mut WriteTxn<'_>) -> Result<R, E> + Send + 'static,
    {
        if let Some(wal) = &self.shared.wal {
            // Back-pressure from a slow disk is applied here, before admission.
            wal.wait_for_room().await?;
        }
        let name = name.into();
        let f = if short {
            let wal = self.shared.wal.as_deref();
            let now = self.write_lock_now(&name, f, |db, f| {
                // A panic drops the transaction, which rolls it back, as on the
                // writer thread.
                catch_unwind(AssertUnwindSafe(|| run_write(db, wal, f)))
                    .unwrap_or_else(|panic| Err(panic_message(panic)))
            });
            match now {
                Ok(outcome) => return self.acknowledge(outcome?, durability).await,
                Err(f) => f,
            }
        } else {
            f
        };
        let outcome = self.queue_write(name, short, withdraw, f).await?;
        self.acknowledge(outcome, durability).await
    }

    /// A write's result, once it is as durable as `durability` asks.
    async fn acknowledge<T>(
        &self,
        (result, lsn): (T, Option<u64>),
        durability: Durability,
    ) -> Result<T, TurnstileError> {
        if let (Some(wal), Some(lsn), Durability::Durable) = (&self.shared.wal, lsn, durability) {
            wal.wait_durable(lsn).await?;
        }
        Ok(result)
    }

    /// Runs `run(db, job)` under the write lock on this thread if the scheduler
    /// admits a write at once (nobody holds the lock, nobody waits), and after it
    /// the short writes queued meanwhile that the phase admits; gives `job` back
    /// if not admitted. Asking never blocks.
    fn write_lock_now<J, T>(
        &self,
        name: &str,
        job: J,
        run: impl FnOnce(&mut Database, J) -> T,
    ) -> Result<T, J> {
        let shared = &self.shared;
        let arrived = Instant::now();
        if !shared.gate.try_enter_write(arrived) {
            return Err(job);
        }
        // Admitted, the lock is free, except under the `rwlock` baseline.
        let Some(mut guard) = shared.db.try_write() else {
            shared.gate.end_write(arrived);
            return Err(job);
        };
        let acquired = Instant::now();
        let result = run(&mut guard, job);
        let ended = Instant::now();
        let hold = ended - acquired;
        let mut finished = Vec::new();
        let last_delivery = shared
            .gate
            .continue_write(ended, hold, WriteRequest::is_short)
            .map(|next| {
                run_write_phase(
                    &mut guard,
                    &shared.gate,
                    next,
                    WriteRequest::is_short,
                    &mut finished,
                )
            });
        drop(guard);
        shared.gate.end_write(Instant::now());
        if let Some(delivery) = last_delivery {
            delivery();
        }
        let metrics = &shared.metrics;
        metrics.request(
            LockClass::Write,
            name,
            RanOn::Session,
            acquired - arrived,
            hold,
        );
        for (name, wait, hold) in finished {
            metrics.request(LockClass::Write, &name, RanOn::Session, wait, hold);
        }
        Ok(result)
    }

    /// Queues `f` for the writer thread and waits for its outcome and LSN, or
    /// until `withdraw` completes while it is still queued.
    ///
    /// Withdrawing takes the write out of the queue under the gate's lock, where
    /// the lock's holders take writes to run them, so exactly one of the two gets
    /// it: a write withdrawn never runs and holds back nothing (the policy sees it
    /// gone), and one already taken runs to its end and answers.
    async fn queue_write<R, E, F>(
        &self,
        name: RequestName,
        short: bool,
        withdraw: impl Future<Output = ()>,
        f: F,
    ) -> Result<(Result<R, E>, Option<u64>), TurnstileError>
    where
        R: Send + 'static,
        E: Send + 'static,
        F: FnOnce(&mut WriteTxn<'_>) -> Result<R, E> + Send + 'static,
    {
        let (reply_tx, mut reply_rx) = oneshot::channel();
        let wal = self.shared.wal.clone();
        let request = WriteRequest {
            name,
            short,
            run: Box::new(move |db| {
                let result = catch_unwind(AssertUnwindSafe(|| run_write(db, wal.as_deref(), f)))
                    .unwrap_or_else(|panic| Err(panic_message(panic)));
                Box::new(move || {
                    let _ = reply_tx.send(result);
                })
            }),
        };
        let ticket = self
            .shared
            .gate
            .push_write(request)
            .map_err(|refusal| self.refused(refusal))?;
        tokio::pin!(withdraw);
        let reply = tokio::select! {
            biased;
            reply = &mut reply_rx => reply,
            () = &mut withdraw => {
                if let Some(withdrawn) = self.shared.gate.withdraw_write(ticket) {
                    // Dropped here, out of the gate's lock: it owns the statement.
                    drop(withdrawn);
                    return Err(TurnstileError::Withdrawn);
                }
                reply_rx.await
            }
        };
        reply.map_err(|_| TurnstileError::ShuttingDown)?
    }

    /// Runs `f` on a write transaction under the write lock, then always rolls it
    /// back: nothing `f` does is kept, logged or seen by anyone else. A transaction
    /// block rehearses each of its statements this way to learn what the statement
    /// does on top of the block's earlier changes (see `sql::block`); the lock is
    /// held for that one statement only.
    ///
    /// A *short* rehearsal (a small block, a statement whose cost is bounded: a
    /// point read, a few rows by primary key; never a COPY or a reducer call) runs
    /// on the caller's task if the scheduler admits it at once —
    /// nobody holds the lock and nobody waits — as [`Turnstile::read_short`] does
    /// for reads; asking never blocks. That saves the two thread hand-offs of the
    /// writer queue, which cost more than a rehearsal of a point update; nothing is
    /// committed, so the order of commits is untouched. Otherwise it is queued,
    /// like a short write, for whoever holds the write phase then; `withdraw`
    /// gives it up while it is queued, as in [`Turnstile::write_with`].
    pub async fn rehearse<R, F>(
        &self,
        name: impl Into<RequestName>,
        short: bool,
        withdraw: impl Future<Output = ()>,
        f: F,
    ) -> Result<R, TurnstileError>
    where
        R: Send + 'static,
        F: FnOnce(&mut WriteTxn<'_>) -> R + Send + 'static,
    {
        let name = name.into();
        let f = if short {
            let wal = self.shared.wal.clone();
            let now = self.write_lock_now(&name, f, |db, f| {
                let mut txn = db.begin_write();
                let result = catch_unwind(AssertUnwindSafe(|| f(&mut txn))).map_err(panic_message);
                // A rehearsal changes nothing but the sequences it moved, which
                // stay moved (see `db::sequence`).
                txn.rollback_to(wal.as_deref())?;
                result
            });
            match now {
                Ok(result) => return result,
                Err(f) => f,
            }
        } else {
            f
        };
        let (outcome, _) = self
            .queue_write(name, short, withdraw, move |txn| {
                Err::<std::convert::Infallible, R>(f(txn))
            })
            .await?;
        match outcome {
            Err(result) => Ok(result),
            Ok(never) => match never {},
        }
    }

    /// The write-ahead log, if this turnstile has one.
    pub fn wal(&self) -> Option<&Arc<Wal>> {
        self.shared.wal.as_ref()
    }

    /// The last snapshot this process finished, if any.
    pub fn last_snapshot(&self) -> Option<LastSnapshot> {
        self.shared.last_snapshot.lock().clone()
    }

    /// A handle for reading the log's, snapshots' and lock's state from anywhere,
    /// without the database lock and without keeping the turnstile's threads alive.
    pub fn status(&self) -> TurnstileStatus {
        TurnstileStatus {
            wal: self.shared.wal.clone(),
            last_snapshot: self.shared.last_snapshot.clone(),
            metrics: self.shared.metrics.clone(),
        }
    }

    fn refused(&self, refusal: Refusal) -> TurnstileError {
        match refusal {
            Refusal::Full => TurnstileError::Overloaded(self.shared.queue_capacity),
            Refusal::Closed => TurnstileError::ShuttingDown,
        }
    }
}

/// The state of the log and of snapshots, readable without the database lock (for
/// `turnstile_wal`). It holds the log and the snapshot record, not the turnstile:
/// a query holding it on a reader thread never keeps the reader threads alive, so
/// the turnstile's drop can never end up joining the thread it runs on.
#[derive(Clone)]
pub struct TurnstileStatus {
    /// The log, or None for a turnstile that keeps data in memory only.
    wal: Option<Arc<Wal>>,
    /// Shared with the turnstile, which updates it after each snapshot.
    last_snapshot: Arc<Mutex<Option<LastSnapshot>>>,
    /// The lock's metrics.
    metrics: Arc<LockMetrics>,
}

impl TurnstileStatus {
    /// The lock's metrics (for `turnstile_lock_stats` and the Prometheus endpoint).
    pub fn lock_metrics(&self) -> &LockMetrics {
        &self.metrics
    }

    /// The log's counters, or None without a log.
    pub fn wal_stats(&self) -> Option<WalStats> {
        self.wal.as_ref().map(|wal| wal.stats())
    }

    /// The last snapshot this process finished, if any.
    pub fn last_snapshot(&self) -> Option<LastSnapshot> {
        self.last_snapshot.lock().clone()
    }
}

impl std::fmt::Debug for TurnstileStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TurnstileStatus")
            .field("wal", &self.wal.is_some())
            .field("last_snapshot", &self.last_snapshot())
            .finish()
    }
}

/// Runs one write transaction: `Ok` appends its redo to the log and commits, `Err`
/// (or a failed append) rolls back, logging only the sequences it moved. Returns
/// the result and the commit's LSN. Before the commit, the references its
/// writes may have broken are checked, the deferred ones too (see
/// `db::foreign_key`): a broken one rolls it back and is the error.
fn run_write<R, E, F>(
    db: &mut Database,
    wal: Option<&Wal>,
    f: F,
) -> Result<(Result<R, E>, Option<u64>), TurnstileError>
where
    F: FnOnce(&mut WriteTxn<'_>) -> Result<R, E>,
{
    let mut txn = db.begin_write();
    let result = f(&mut txn);
    if result.is_err() {
        txn.rollback_to(wal)?;
        return Ok((result, None));
    }
    if let Err(broken) = txn.check_references(None) {
        txn.rollback_to(wal)?;
        return Err(TurnstileError::Constraint(broken));
    }
    let lsn = txn.commit_to(wal)?;
    Ok((result, lsn))
}

/// A reader thread: runs each read the scheduler admits under the read lock,
/// reports it to the scheduler as soon as the lock is released (which may hand it
/// the next read of the same phase), and only then delivers the reply.
fn run_reader(db: &RwLock<Database>, gate: &LockGate, metrics: &LockMetrics) {
    let mut admitted = gate.wait_read();
    while let Some(queued) = admitted {
        let (delivery, acquired) = {
            let guard = db.read();
            let acquired = Instant::now();
            ((queued.job.run)(&guard), acquired)
        };
        let released = Instant::now();
        admitted = gate.read_done(true, released);
        metrics.request(
            LockClass::Read,
            &queued.job.name,
            RanOn::LockThread,
            acquired - queued.since,
            released - acquired,
        );
        delivery();
        if admitted.is_none() {
            admitted = gate.wait_read();
        }
    }
}

/// The writer thread: takes the write lock once per write phase the scheduler
/// grants and runs the writes the phase admits one after another, each its own
/// transaction. A write's reply is delivered once the phase's next write has been
/// admitted — a send on a channel, which never waits — so no reply is held back
/// by the writes after it, and the client's next request can join the phase
/// while no reader waits; the last write's reply is delivered after the lock is
/// released, so a client that reads right after it finds the lock free. What
/// may block (the metrics, which can log a slow hold) waits for the release.
fn run_writer(db: &RwLock<Database>, gate: &LockGate, metrics: &LockMetrics) {
    let mut finished: Vec<(RequestName, Duration, Duration)> = Vec::new();
    while let Some(first) = gate.wait_write() {
        let last_delivery = {
            let mut guard = db.write();
            run_write_phase(&mut guard, gate, first, |_| true, &mut finished)
        };
        gate.end_write(Instant::now());
        last_delivery();
        for (name, wait, hold) in finished.drain(..) {
            metrics.request(LockClass::Write, &name, RanOn::LockThread, wait, hold);
        }
    }
}

/// Runs `first` and then each write the phase admits after it that its holder
/// `may_run`, one after another under the write lock, each its own transaction.
/// A write's reply is delivered once the next write is admitted; the last one's
/// delivery is returned, for after the release. Each write's name, wait and
/// hold go to `finished`, for the metrics once the lock is released.
fn run_write_phase(
    db: &mut Database,
    gate: &LockGate,
    first: Queued<WriteRequest>,
    may_run: fn(&WriteRequest) -> bool,
    finished: &mut Vec<(RequestName, Duration, Duration)>,
) -> Delivery {
    let mut queued = first;
    loop {
        let started = Instant::now();
        let delivery = (queued.job.run)(db);
        let ended = Instant::now();
        let held = ended - started;
        finished.push((queued.job.name, started - queued.since, held));
        match gate.continue_write(ended, held, may_run) {
            Some(next) => {
                delivery();
                queued = next;
            }
            None => return delivery,
        }
    }
}

fn panic_message(payload: Box<dyn Any + Send>) -> TurnstileError {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a request panicked".to_owned());
    tracing::error!(%message, "request panicked; its transaction was rolled back");
    TurnstileError::Panicked(message)
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Closing the queues ends the threads once they finish what is queued.
        self.gate.close();
        let threads = std::mem::take(&mut self.threads);
        let wal = self.wal.take();
        let finish = move || {
            for thread in threads {
                let _ = thread.join();
            }
            // The log's drop joins its flusher after a last flush; after the
            // threads, so that it covers their last commits.
            drop(wal);
        };
        // Joining blocks until running requests end. Inside a tokio runtime (the
        // last handle dropped by a session task that outlived the shutdown grace
        // period) that would stall a worker and every session on it, so the joins
        // move to a thread of their own. The server makes its own final drop on a
        // plain thread, where this joins before shutdown completes.
        if tokio::runtime::Handle::try_current().is_ok() {
            let joiner = std::thread::Builder::new()
                .name("turnstile-drop".into())
                .spawn(finish);
            if let Err(error) = joiner {
                tracing::warn!(%error, "could not start a thread to join the turnstile's threads; they end on their own");
            }
        } else {
            finish();
        }
    }
}
