//! Errors of the wire layer: protocol violations, limits, bad parameter encodings.

use thiserror::Error;

/// What went wrong between the client and the server, above a single statement.
/// Variants that leave the byte stream untrustworthy ([`WireError::is_fatal`]) end the
/// connection, as PostgreSQL does; the others answer an ErrorResponse and the
/// session goes on. SQLSTATEs are assigned in `crate::error`.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum WireError {
    /// A malformed or unexpected message (08P01, FATAL): the stream cannot be trusted.
    #[error("{0}")]
    Protocol(String),
    /// A message longer than the limit (54000, FATAL): we cannot skip it safely.
    #[error("message of {len} bytes exceeds the limit of {max} bytes")]
    MessageTooLarge { len: usize, max: usize },
    /// Over `--max-connections` (53300, FATAL).
    #[error("sorry, too many clients already")]
    TooManyConnections,
    /// The client left its session idle inside a transaction block for longer
    /// than `idle_in_transaction_session_timeout` (25P03, FATAL).
    #[error("terminating connection due to idle-in-transaction timeout")]
    IdleInTransactionTimeout,
    /// The client left its session idle outside a transaction block for longer
    /// than `idle_session_timeout` (57P05, FATAL).
    #[error("terminating connection due to idle-session timeout")]
    IdleSessionTimeout,
    /// Another session's `pg_terminate_backend` ended this one (57P01, FATAL).
    #[error("terminating connection due to administrator command")]
    Terminated,
    /// Only loopback clients are accepted until authentication exists (28000, FATAL).
    #[error("connections are accepted from loopback addresses only (trust authentication); {0} is not one")]
    NotLoopback(String),
    /// SQL text longer than the limit (54000); fix the input.
    #[error("statement of {len} bytes exceeds the limit of {max} bytes")]
    StatementTooLong { len: usize, max: usize },
    /// More parameters than the limit (54000).
    #[error("statement has {count} parameters; the limit is {max}")]
    TooManyParameters { count: usize, max: usize },
    /// 26000
    #[error("prepared statement \"{0}\" does not exist")]
    UnknownStatement(String),
    /// 34000
    #[error("portal \"{0}\" does not exist")]
    UnknownPortal(String),
    /// 42P05
    #[error("prepared statement \"{0}\" already exists")]
    DuplicateStatement(String),
    /// 42P03
    #[error("cursor \"{0}\" already exists")]
    DuplicatePortal(String),
    /// 42601
    #[error("cannot insert multiple commands into a prepared statement")]
    MultipleStatements,
    /// 08P01: Bind's parameter count differs from the statement's.
    #[error("bind message supplies {given} parameters, but prepared statement \"{name}\" requires {needed}")]
    ParameterCount {
        name: String,
        given: usize,
        needed: usize,
    },
    /// 42601: SQL's EXECUTE with more or fewer arguments than the statement has
    /// parameters.
    #[error("wrong number of parameters for prepared statement \"{name}\": expected {needed}, got {given}")]
    ExecuteParameterCount {
        name: String,
        given: usize,
        needed: usize,
    },
    /// 08P01: a format code list of the wrong length.
    #[error("bind message has {formats} {what} formats but {items} {what}s")]
    FormatCount {
        what: &'static str,
        formats: usize,
        items: usize,
    },
    /// 22023
    #[error("unsupported format code: {0}")]
    UnsupportedFormat(i16),
    /// 22021: text that is not UTF-8, or holds a NUL; names the offending bytes
    /// (`0xe2 0x28 0xa1`) as PostgreSQL does.
    #[error("invalid byte sequence for encoding \"UTF8\": {0}")]
    InvalidUtf8(String),

    /// 54011: a result wider than the protocol and PostgreSQL allow.
    #[error("target lists can have at most {0} entries")]
    TooManyColumns(usize),
    /// 0A000: a parameter type OID Turnstile has no type for.
    #[error("parameter type with OID {0} is not supported")]
    UnsupportedType(u32),
    /// 57014: the client gave up a COPY FROM STDIN with CopyFail; nothing was loaded.
    #[error("COPY from stdin failed: {0}")]
    CopyFailed(String),
    /// XX000: a bug (a value that does not match its column's type); logged.
    #[error("internal error: {0}")]
    Internal(String),
}

impl WireError {
    /// True for errors after which the connection is closed.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            WireError::Protocol(_)
                | WireError::MessageTooLarge { .. }
                | WireError::TooManyConnections
                | WireError::IdleInTransactionTimeout
                | WireError::IdleSessionTimeout
                | WireError::Terminated
                | WireError::NotLoopback(_)
        )
    }
}
