//! The turnstile: the one place that takes the global database lock.
//!
//! The [`Database`](crate::db::Database) lives behind a single `parking_lot::RwLock`, and only this
//! module can reach it. Sessions (tokio tasks) never touch the lock: they hand a
//! request to the turnstile and await the reply on a oneshot channel, so no tokio
//! worker thread ever blocks on it (invariant 1).
//!
//! - **Reads** (a `SELECT` that reads a table, later a module view) run on a small
//!   pool of reader threads. Each takes the read lock, runs the request to completion
//!   with its rows materialized, releases the lock, and only then delivers the reply
//!   (invariant 2). A `SELECT` that reads no table (`SELECT 1`) never comes here: it
//!   needs no lock, and the SQL engine runs it on the session's task.
//! - **Writes** (DML, DDL, reducer calls and validated transaction blocks) run
//!   on the one writer thread, or, when short, on a session's task (below). The
//!   holder takes the write lock once per *write phase* and runs the write
//!   requests the phase admits one after another (writer batching),
//!   each as its own atomic [`WriteTxn`](crate::db::WriteTxn) that commits or rolls
//!   back on its own with its own log record. A reply is handed to its session
//!   (an in-memory send that never waits) once the next write of the phase is
//!   admitted, or after the release for the phase's last write; so no reply
//!   waits for the rest of the batch, and a client's next write can join the
//!   phase while no reader waits. Others see a commit once the lock is
//!   released, which no reader can precede. One transaction's failure never
//!   touches another.
//!
//! Who takes the lock when is decided by one admission scheduler
//! (`admission`, which has the essay on the policies): the reader threads, the
//! writer thread and the short paths below ask it, and take the lock only once it
//! admits them. The policy is configurable (`--lock-policy`), and every request's
//! wait and hold are measured (`metrics`: the system views `turnstile_lock_stats`
//! and `turnstile_lock_phases`, and the Prometheus endpoint).
//!
//! A read may be *confirmed* ([`Turnstile::read_confirmed`], the session setting
//! `turnstile.confirmed_reads`): it notes the log's written LSN under the same read
//! lock — exact, because every append happens under the write lock — and, after the
//! lock is released, waits until the log is durable up to it, so its rows never show
//! a commit a crash could still lose (invariant 4). The wait is on the log, never on
//! the lock, and there is none when everything it saw is already durable.
//!
//! A *short* read — a cached plan that looks up a few rows by primary key — is
//! first offered to the scheduler on the session's own task
//! ([`Turnstile::read_short`]): if it is admitted at once, as a newcomer that
//! overtakes nobody, it runs there; asking never blocks, so no tokio worker waits
//! on the lock. Otherwise it goes to the pool like any other read. The pool's two
//! thread hand-offs cost more than a primary key lookup (measured with callgrind
//! and pgbench). A *short* write — a cached plan that changes a few rows by
//! primary key or inserts a few rows of values, or the COMMIT of a small block
//! ([`Turnstile::write_maybe_short`]) — does the same with the write lock, when
//! nobody holds it and nobody waits: it commits on the session's task exactly as
//! on the writer thread, its log record appended under the lock, so commits keep
//! the log's order (pgbench's point UPDATE: context switches per transaction went
//! from 0.79 to 0.47). So does a CALL of a reducer whose last calls were all short
//! (`module::loaded`, "Short reducers"): one client's `CALL transfer` went from
//! 15k to 24k TPS. Short rehearsals of transaction blocks do the same.
//!
//! A short write that finds the lock busy is queued, and whoever holds the
//! write phase runs it: the writer thread, or the session's task that holds it,
//! which after its own write runs the short writes queued meanwhile (*combining*,
//! see `admission`). So a stream of short writes from many sessions is run by
//! them in turn, and the writer thread — a third thread that had to be woken,
//! and on two cores preempted a session's worker to run — only sees the writes
//! that are not short (16 clients of a reducer that does nothing: context
//! switches per call 0.48 → 0.22, 60k → 73k TPS; medians of three runs).
//!
//! A request that panics (a bug) is caught: a write's transaction is rolled back by
//! its drop, the caller gets [`TurnstileError::Panicked`], and the threads go on.

mod admission;
mod error;
mod metrics;
mod scheduler;
mod snapshotter;

pub use admission::{AdmissionConfig, LockClass, LockPolicy};
pub use error::TurnstileError;
pub use metrics::{LockMetrics, PhaseStats, RequestName, RequestStats, Summary};
pub use scheduler::{Durability, Durable, Turnstile, TurnstileConfig, TurnstileStatus};
pub use snapshotter::{LastSnapshot, SnapshotInfo, SnapshotPolicy, SNAPSHOT_BATCH_ROWS};

#[cfg(test)]
mod policy_tests;
#[cfg(test)]
mod tests;
