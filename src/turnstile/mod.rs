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
//! - **Writes** (DML, DDL, later reducer calls and validated transaction blocks) run
//!   on the one writer thread. It takes the write lock, then runs every write request
//!   already queued (up to [`WRITE_BATCH_MAX`]) one after another, each as its own
//!   atomic [`WriteTxn`](crate::db::WriteTxn) that commits or rolls back on its own; it releases the lock
//!   and only then delivers the replies. Batching amortizes the lock hand-over
//!   without letting one transaction's failure touch another.
//!
//! Admission is first come, first served on each queue for now; the lock-policy
//! issue turns this into configurable policies with wait-time metrics, and because
//! every acquisition already goes through [`Turnstile::read`] and
//! [`Turnstile::write`], that change stays inside this module.
//!
//! A read may be *confirmed* ([`Turnstile::read_confirmed`], the session setting
//! `turnstile.confirmed_reads`): it notes the log's written LSN under the same read
//! lock — exact, because every append happens under the write lock — and, after the
//! lock is released, waits until the log is durable up to it, so its rows never show
//! a commit a crash could still lose (invariant 4). The wait is on the log, never on
//! the lock, and there is none when everything it saw is already durable.
//!
//! A *short* read — a cached plan that looks up a few rows by primary key — first
//! tries the read lock on the session's own task ([`Turnstile::read_short`]):
//! `try_read` never blocks and fails while a writer holds or awaits the lock, so no
//! tokio worker waits on it and no queued writer is overtaken; if it fails, the read
//! goes to the pool like any other. The pool's two thread hand-offs cost more than a
//! primary key lookup (measured with callgrind and pgbench).
//!
//! A request that panics (a bug) is caught: a write's transaction is rolled back by
//! its drop, the caller gets [`TurnstileError::Panicked`], and the threads go on.

mod error;
mod scheduler;
mod snapshotter;

pub use error::TurnstileError;
pub use scheduler::{
    Durability, Durable, Turnstile, TurnstileConfig, TurnstileStatus, WRITE_BATCH_MAX,
};
pub use snapshotter::{LastSnapshot, SnapshotInfo, SnapshotPolicy, SNAPSHOT_BATCH_ROWS};

#[cfg(test)]
mod tests;
