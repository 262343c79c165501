//! The write-ahead log: every committed write transaction, durable on disk.
//!
//! # What is logged
//!
//! One record per committed write transaction, holding its *redo*: the row images
//! and catalog changes it made, encoded by the store (`db`). Never the statement or
//! reducer call that produced them: recovery replays row changes only, runs no user
//! code, and is deterministic (invariant 5). To this layer a record is an opaque
//! payload with a log sequence number (LSN): 1 for the first record ever written,
//! then one more for each record, across segment files and restarts.
//!
//! # Who writes, and when it is durable
//!
//! Whoever holds the database write lock (the turnstile's writer thread, or a
//! session's task with a short write) [`Wal::append`]s the record: a copy into an
//! in-memory buffer, nothing more. It releases the lock; the transaction is now
//! *visible*. The flusher thread, which never takes the database
//! lock, writes the buffer to the current segment file and `fdatasync`s it; every
//! record up to the last one written is then *durable* (invariant 4). It flushes
//! every `flush_interval` when nobody is waiting, and at once when a session waits
//! in [`Wal::wait_durable`] (`synchronous_commit = on`). While one fsync runs, new
//! records collect in the buffer and all go out with the next one: group commit.
//! When the buffer holds more than `buffer_cap_bytes` (a slow disk), writers wait in
//! [`Wal::wait_for_room`] *before* they take the lock, never inside it.
//!
//! If a write or fsync fails, the log records the failure and from then on refuses
//! appends and durability waits with [`WalError::Io`]: the server stops taking
//! writes, acknowledges nothing it could not make durable, and keeps serving reads.
//!
//! # Files
//!
//! Segment files in `<data dir>/wal/`, their byte layout documented in [`segment`].
//! A new segment's header is fsynced, then the directory, before any record in it is
//! acknowledged. See `recovery` for how the log is read back: a torn tail is cut
//! with a warning; damage before the tail refuses to start, naming the file and the
//! offset, unless `--recovery-truncate-corrupt` accepts the loss (invariant 6).

mod error;
mod header;
mod lock;
mod log;
mod recovery;
pub mod segment;
pub mod snapshot;

pub use error::WalError;
pub use lock::DataDirLock;
pub use log::{fsync_dir, Wal, WalConfig, WalFaults, WalStats};
pub use recovery::{replay, OnDamage, Replayed};

#[cfg(test)]
mod tests;
