//! Errors of the log: I/O failures and damage found at recovery.

use std::path::PathBuf;

use thiserror::Error;

/// Why the log could not do what was asked.
#[derive(Debug, Clone, Error)]
pub enum WalError {
    /// A write or fsync failed. Not deterministic and not the client's fault: the
    /// server stops taking writes (58030) and keeps serving reads; the operator must
    /// fix the disk and restart.
    #[error("could not make the write-ahead log durable: {0}; the server no longer accepts writes, fix the disk (space, permissions, hardware) and restart it")]
    Io(String),
    /// Recovery found damage before the end of the log and refuses to guess.
    #[error("write-ahead log damaged in {file} at byte {offset}: {reason}; to start anyway and lose every transaction from that point on, restart with --recovery-truncate-corrupt")]
    Damaged {
        file: PathBuf,
        offset: usize,
        reason: String,
    },
    /// Another server holds the data directory.
    #[error("data directory {dir} is in use by another Turnstile server (pid {holder}); stop it first or use another --data-dir")]
    Locked { dir: PathBuf, holder: String },
    /// The server is shutting down; nothing more is written.
    #[error("the write-ahead log is shut down")]
    ShutDown,
}

impl WalError {
    pub(crate) fn io(context: &str, error: std::io::Error) -> WalError {
        WalError::Io(format!("{context}: {error}"))
    }
}
