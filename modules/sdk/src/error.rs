//! The error a reducer or view returns, as the client will see it.

use std::fmt;

use crate::bindings::turnstile::module::types::Failure;

/// SQLSTATE `P0001` (raise_exception): what PL/pgSQL's `RAISE EXCEPTION` sends, the
/// natural code for a rule of the application that a call broke.
const RAISE_SQLSTATE: &str = "P0001";

/// An error with a SQLSTATE and a message. Returning one from a reducer rolls back
/// everything the call wrote; the client receives both parts unchanged.
///
/// Errors from the host (a duplicate key on insert, say) arrive as an `Error` with
/// the host's SQLSTATE, so `?` passes them on to the client as they are.
///
/// Boxed so that an `Error` is one pointer: every decode and table call returns a
/// `Result`, and a small one is returned in registers instead of through memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(Box<Inner>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Inner {
    /// A five-character SQLSTATE, e.g. `P0001` or `23505`.
    sqlstate: String,
    /// The message the client sees.
    message: String,
}

impl Error {
    /// An error with SQLSTATE P0001 (`raise_exception`), like PL/pgSQL's
    /// `RAISE EXCEPTION 'message'`.
    pub fn raise(message: impl Into<String>) -> Error {
        Error::new(RAISE_SQLSTATE, message)
    }

    /// An error with any SQLSTATE, e.g. `Error::new("22003", "bigint out of range")`.
    /// The host checks that the SQLSTATE is five characters.
    pub fn new(sqlstate: impl Into<String>, message: impl Into<String>) -> Error {
        Error(Box::new(Inner {
            sqlstate: sqlstate.into(),
            message: message.into(),
        }))
    }

    /// The SQLSTATE.
    pub fn sqlstate(&self) -> &str {
        &self.0.sqlstate
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    pub(crate) fn from_failure(failure: Failure) -> Error {
        Error::new(failure.sqlstate, failure.message)
    }

    pub(crate) fn into_failure(self) -> Failure {
        let Inner { sqlstate, message } = *self.0;
        Failure { sqlstate, message }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (SQLSTATE {})", self.0.message, self.0.sqlstate)
    }
}

impl std::error::Error for Error {}
