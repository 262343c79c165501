//! Why a turnstile request did not run.

use thiserror::Error;

use crate::db::DbError;
use crate::wal::WalError;

/// Why a request did not run.
#[derive(Debug, Error)]
pub enum TurnstileError {
    /// The request panicked; it changed nothing (53000-class internal error, XX000).
    #[error("internal error: {0}")]
    Panicked(String),
    /// The queue for this kind of request is full (53000); retry later.
    #[error("server is overloaded: {0} requests are already queued; retry later")]
    Overloaded(usize),
    /// The request was given up while it was still queued, before it ran: its
    /// caller stopped waiting (a statement cancelled or out of time), so it changed
    /// nothing (57014).
    #[error("canceling statement: it was withdrawn before it ran")]
    Withdrawn,
    /// The server is shutting down (57P01).
    #[error("terminating connection due to administrator command")]
    ShuttingDown,
    /// The write-ahead log failed: writes are refused, reads go on (58030).
    #[error(transparent)]
    Durability(#[from] WalError),
    /// The write broke a foreign key, found when it was about to commit (see
    /// `db::foreign_key`); it was rolled back.
    #[error(transparent)]
    Constraint(DbError),
}
