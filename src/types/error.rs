//! Errors of values: bad input and arithmetic that PostgreSQL refuses.

use thiserror::Error;

/// What went wrong computing, parsing or encoding a value. Every variant but
/// `Internal` is the caller's input at fault (fix the input and retry); none of
/// them leaves anything changed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum TypeError {
    /// Text that is not a valid literal of the type (22P02).
    #[error("invalid input syntax for type {type_name}: \"{input}\"")]
    InvalidText { type_name: String, input: String },
    /// A result or conversion outside the type's range (22003), e.g. "integer out of range".
    #[error("{0}")]
    OutOfRange(String),
    /// A value too large for a `NUMERIC(p, s)` column or cast (22003); the detail
    /// gives the bound, as PostgreSQL's does.
    #[error("numeric field overflow")]
    NumericFieldOverflow { detail: String },
    /// Division or modulo by zero (22012).
    #[error("division by zero")]
    DivisionByZero,
    /// A string longer than a `VARCHAR(n)` allows (22001).
    #[error("value too long for type character varying({max})")]
    StringTooLong { max: u32 },
    /// A string longer than a `CHAR(n)` allows (22001).
    #[error("value too long for type character({max})")]
    CharTooLong { max: u32 },
    /// A date or time literal whose fields are out of range (22008).
    #[error("date/time field value out of range: \"{0}\"")]
    DatetimeFieldOverflow(String),
    /// An argument a function does not accept (22023), e.g. a negative `repeat` count.
    #[error("{0}")]
    InvalidParameterValue(String),
    /// A result over a size limit (54000, program_limit_exceeded), e.g. a `repeat`
    /// longer than 1 GiB. Values are built in memory; the client must ask for less.
    #[error("{0}")]
    ProgramLimitExceeded(String),
    /// Text that is not a valid date/time literal (22007, invalid_datetime_format);
    /// PostgreSQL reports bad dates with this code, not with 22P02.
    #[error("invalid input syntax for type {type_name}: \"{input}\"")]
    InvalidDatetime { type_name: String, input: String },
    /// A date or timestamp outside the type's range (22008), with PostgreSQL's whole
    /// message, e.g. `timestamp out of range: "300000-01-01"` or `date out of range`.
    #[error("{0}")]
    DatetimeOutOfRange(String),
    /// Text that is not valid JSON (22P02). PostgreSQL's message has no input in it;
    /// the detail says where the parser stopped.
    #[error("invalid input syntax for type json")]
    InvalidJson { detail: String },
    /// A JSON `\u0000` escape, which jsonb cannot store as text (22P05,
    /// untranslatable_character).
    #[error("unsupported Unicode escape sequence")]
    UntranslatableCharacter { detail: String },
    /// A LIKE pattern or bytea escape that is malformed (22025,
    /// invalid_escape_sequence), e.g. a pattern ending in the escape character.
    #[error("{0}")]
    InvalidEscapeSequence(String),
    /// A `SIMILAR TO` pattern with more than two escape-double-quote
    /// separators (2200C, invalid_use_of_escape_character).
    #[error("{0}")]
    InvalidUseOfEscapeCharacter(String),
    /// A negative length given to `substring` (22011, substring_error).
    #[error("{0}")]
    SubstringError(String),
    /// The logarithm of zero or of a negative number (2201E).
    #[error("{0}")]
    InvalidLogarithm(String),
    /// A square root or power PostgreSQL leaves undefined (2201F), e.g. a negative
    /// number to a fractional power.
    #[error("{0}")]
    InvalidPower(String),
    /// Text that is not a valid array literal (22P02); the detail says why.
    #[error("malformed array literal: \"{input}\"")]
    MalformedArray { input: String, detail: String },
    /// A regular expression that does not compile (2201B).
    #[error("invalid regular expression: {0}")]
    InvalidRegex(String),
    /// A position outside a value (2202E, array_subscript_error), e.g. `get_byte`
    /// past the end of a bytea.
    #[error("{0}")]
    SubscriptOutOfRange(String),
    /// Valid input that Turnstile does not implement (0A000, feature_not_supported),
    /// e.g. numeric `NaN`; the message names what is missing.
    #[error("{0}")]
    Unsupported(String),
    /// A NULL where the operation needs a value (22004), as `format('%I', NULL)`.
    #[error("{0}")]
    NullValueNotAllowed(String),
    /// Text that is not what its place needs, worded by that place (22P02), as
    /// a jsonb path's step that must be an integer.
    #[error("{0}")]
    InvalidTextRepresentation(String),
    /// Bytes that are not a valid binary encoding of the type (22P03), in a binary
    /// parameter or binary COPY data.
    #[error("incorrect binary data format for type {type_name}: {reason}")]
    InvalidBinary { type_name: String, reason: String },
    /// Text that is not UTF-8, or holds a NUL (22021); names the offending bytes
    /// (`0xe2 0x28 0xa1`) as PostgreSQL does.
    #[error("invalid byte sequence for encoding \"UTF8\": {0}")]
    InvalidUtf8(String),
    /// 0A000: a `regclass`-like value to send in binary, as a name: a query's
    /// result columns of these types are printed as names under the lock, where
    /// the catalog is (see `sql::binder::select`), and the OID binary output needs
    /// is gone by then. A write's `RETURNING` is refused so before it runs.
    #[error(
        "binary output of {type_name} names is not supported; cast the column to oid \
         or text, or ask for it in text format"
    )]
    BinaryOutputUnsupported { type_name: String },
    /// XX000: a bug, such as a value to send that does not match its column's type.
    #[error("internal error: {0}")]
    Internal(String),
}
