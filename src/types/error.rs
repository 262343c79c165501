//! Errors of values: bad input and arithmetic that PostgreSQL refuses.

use thiserror::Error;

/// What went wrong computing or parsing a value. Every variant is the caller's input
/// at fault (fix the input and retry); none of them leaves anything changed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum TypeError {
    /// Text that is not a valid literal of the type (22P02).
    #[error("invalid input syntax for type {type_name}: \"{input}\"")]
    InvalidText { type_name: String, input: String },
    /// A result or conversion outside the type's range (22003), e.g. "integer out of range".
    #[error("{0}")]
    OutOfRange(String),
    /// Division or modulo by zero (22012).
    #[error("division by zero")]
    DivisionByZero,
    /// A string longer than a `VARCHAR(n)` allows (22001).
    #[error("value too long for type character varying({max})")]
    StringTooLong { max: u32 },
    /// A date or time literal whose fields are out of range (22008).
    #[error("date/time field value out of range: \"{0}\"")]
    DatetimeFieldOverflow(String),
    /// An argument a function does not accept (22023), e.g. a negative `repeat` count.
    #[error("{0}")]
    InvalidParameterValue(String),
}
