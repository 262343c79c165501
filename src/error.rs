//! The top-level error, and the one place where errors become SQLSTATEs.
//!
//! Every layer has its own error enum saying what went wrong in its terms. The wire
//! layer turns an [`enum@Error`] into an ErrorResponse with [`Error::sqlstate`]. The
//! matches below are exhaustive with no catch-all arm on purpose: a new variant
//! does not compile until someone decides which SQLSTATE a client should see.

use thiserror::Error;

use crate::db::DbError;
use crate::module::ModuleError;
use crate::sql::SqlError;
use crate::turnstile::TurnstileError;
use crate::types::{quote_ident, TypeError};
use crate::wal::WalError;
use crate::wire::WireError;

/// Any error a client can be told about.
#[derive(Debug, Error)]
pub enum Error {
    #[error(transparent)]
    Sql(#[from] SqlError),
    #[error(transparent)]
    Turnstile(TurnstileError),
    #[error(transparent)]
    Wire(#[from] WireError),
}

impl From<TurnstileError> for Error {
    /// A constraint the turnstile found broken at commit is the store's error,
    /// as if the statement had found it (its SQLSTATE, DETAIL and names).
    fn from(e: TurnstileError) -> Self {
        match e {
            TurnstileError::Constraint(e) => Error::Sql(SqlError::Db(e)),
            e => Error::Turnstile(e),
        }
    }
}

impl From<DbError> for Error {
    fn from(e: DbError) -> Self {
        Error::Sql(SqlError::Db(e))
    }
}

impl From<TypeError> for Error {
    fn from(e: TypeError) -> Self {
        Error::Sql(SqlError::Type(e))
    }
}

/// What [`Error::object`] names; every table is in the one schema, `public`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ErrorObject<'a> {
    pub table: Option<&'a str>,
    pub column: Option<&'a str>,
    pub constraint: Option<&'a str>,
}

impl Error {
    /// The five-character SQLSTATE PostgreSQL would send for this error (or the one
    /// a module raised).
    pub fn sqlstate(&self) -> &str {
        match self {
            Error::Sql(e) => sql_sqlstate(e),
            Error::Turnstile(e) => turnstile_sqlstate(e),
            Error::Wire(e) => wire_sqlstate(e),
        }
    }

    /// The table, column and constraint the error is about, where PostgreSQL names
    /// them in the ErrorResponse (its `t`, `c` and `n` fields, read by drivers:
    /// psycopg's `diag.constraint_name`, asyncpg's `constraint_name`).
    pub fn object(&self) -> ErrorObject<'_> {
        match self {
            Error::Sql(SqlError::Db(
                DbError::UniqueViolation {
                    table, constraint, ..
                }
                | DbError::DuplicateInNewIndex {
                    table,
                    index: constraint,
                    ..
                },
            )) => ErrorObject {
                table: Some(table),
                constraint: Some(constraint),
                ..ErrorObject::default()
            },
            Error::Sql(SqlError::Db(
                DbError::CheckViolation {
                    table, constraint, ..
                }
                | DbError::CheckViolatedByRow { table, constraint }
                | DbError::ForeignKeyViolation {
                    table, constraint, ..
                }
                // PostgreSQL names the referencing table here too.
                | DbError::ForeignKeyStillReferenced {
                    referencing: table,
                    constraint,
                    ..
                },
            )) => ErrorObject {
                table: Some(table),
                constraint: Some(constraint),
                ..ErrorObject::default()
            },
            Error::Sql(SqlError::Db(
                DbError::NotNullViolation { table, column }
                | DbError::ColumnContainsNulls { table, column },
            )) => ErrorObject {
                table: Some(table),
                column: Some(column),
                ..ErrorObject::default()
            },
            _ => ErrorObject::default(),
        }
    }

    /// The DETAIL line, where PostgreSQL sends one.
    pub fn detail(&self) -> Option<&str> {
        match self {
            Error::Sql(SqlError::ReservedSchemaName(_)) => {
                Some("The prefix \"pg_\" is reserved for system schemas.")
            }
            Error::Sql(SqlError::Db(
                DbError::UniqueViolation { detail, .. }
                | DbError::DuplicateInNewIndex { detail, .. }
                | DbError::CheckViolation { detail, .. }
                | DbError::ForeignKeyViolation { detail, .. }
                | DbError::ForeignKeyStillReferenced { detail, .. },
            ))
            | Error::Sql(SqlError::Type(TypeError::InvalidJson { detail }))
            | Error::Sql(SqlError::Type(TypeError::UntranslatableCharacter { detail }))
            | Error::Sql(SqlError::Type(TypeError::NumericFieldOverflow { detail }))
            | Error::Sql(SqlError::Type(TypeError::MalformedArray { detail, .. }))
            | Error::Sql(SqlError::DependentObjectsStillExist { detail, .. })
            | Error::Sql(SqlError::TruncateReferenced { detail, .. })
            | Error::Sql(SqlError::SerializationFailure { detail })
            | Error::Sql(SqlError::Deadlock { detail })
            | Error::Sql(SqlError::IdentitySequenceOwner { detail }) => Some(detail),
            _ => None,
        }
    }

    /// The HINT line, where PostgreSQL sends one: what the client can do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Sql(SqlError::StackDepthExceeded(max)) => Some(format!(
                "Turnstile allows expressions nested at most {max} levels deep \
                 (operators, function calls, casts and subqueries each add one); \
                 simplify the expression, e.g. use IN (...) instead of a chain of ORs."
            )),
            Error::Sql(SqlError::SetOperationsTooDeep(max)) => Some(format!(
                "Turnstile allows at most {max} UNION, INTERSECT or EXCEPT in a row; \
                 use one VALUES list, or split the query."
            )),
            // The message names the operator or function, as PostgreSQL's does.
            Error::Sql(SqlError::AmbiguousFunction(message)) => Some(format!(
                "Could not choose a best candidate {}. \
                 You might need to add explicit type casts.",
                message.split(' ').next().unwrap_or("function")
            )),
            Error::Sql(SqlError::UndefinedRoutine { kind, .. }) => Some(format!(
                "No {kind} matches the given name and argument types. \
                 You might need to add explicit type casts. \
                 SELECT * FROM turnstile_routines lists the loaded reducers and views."
            )),
            Error::Sql(SqlError::SerializationFailure { .. }) => {
                Some("The transaction might succeed if retried.".into())
            }
            Error::Sql(SqlError::Deadlock { .. }) => {
                Some("See server log for query details.".into())
            }
            Error::Sql(SqlError::CursorForwardOnly) => {
                Some("Declare it with SCROLL option to enable backward scan.".into())
            }
            Error::Sql(SqlError::BlockTooLarge(_)) => {
                Some("Commit in smaller blocks, or raise --max-block-changes.".into())
            }
            Error::Sql(SqlError::ColumnCannotBeCast { column, target }) => Some(format!(
                "You might need to specify \"USING {}::{target}\".",
                quote_ident(column)
            )),
            Error::Sql(SqlError::DropWrongKind { found, .. }) => Some(format!(
                "Use DROP {} to remove a {found}.",
                found.to_uppercase()
            )),
            Error::Sql(SqlError::DependentObjectsStillExist { .. }) => {
                Some("Use DROP ... CASCADE to drop the dependent objects too.".into())
            }
            Error::Sql(SqlError::RequiredBy { required_by, .. }) => {
                Some(format!("You can drop {required_by} instead."))
            }
            Error::Sql(SqlError::TruncateReferenced { referencing, .. }) => Some(format!(
                "Truncate table \"{referencing}\" at the same time, or use TRUNCATE ... CASCADE."
            )),
            Error::Sql(SqlError::GeneratedAlways { update: false, .. }) => {
                Some("Use OVERRIDING SYSTEM VALUE to override.".into())
            }
            _ => None,
        }
    }
}

fn sql_sqlstate(e: &SqlError) -> &str {
    match e {
        SqlError::Syntax(_) | SqlError::InvalidStatement(_) => "42601",
        SqlError::Unsupported(_)
        | SqlError::UnsupportedMessage(_)
        | SqlError::IdentitySequenceOwner { .. }
        | SqlError::TruncateReferenced { .. }
        | SqlError::ResultTypeChanged => "0A000",
        SqlError::UndefinedTable(_) => "42P01",
        SqlError::UndefinedColumn(_) => "42703",
        SqlError::AmbiguousColumn(_) => "42702",
        SqlError::DuplicateColumn(_) | SqlError::DuplicateColumnMessage(_) => "42701",
        SqlError::UndefinedFunction(_) | SqlError::UndefinedRoutine { .. } => "42883",
        SqlError::AmbiguousFunction(_) => "42725",
        SqlError::DatatypeMismatch(_) => "42804",
        SqlError::InvalidRecursion(_) => "42P19",
        SqlError::UndefinedParameter(_) => "42P02",
        SqlError::IndeterminateDatatype(_) => "42P18",
        SqlError::Grouping(_) => "42803",
        SqlError::CardinalityViolation(_) => "21000",
        SqlError::InvalidColumnReference(_) => "42P10",
        SqlError::WrongObjectType(_) | SqlError::DropWrongKind { .. } => "42809",
        SqlError::ObjectNotInPrerequisiteState(_) => "55000",
        SqlError::GeneratedAlways { .. } => "428C9",
        SqlError::Windowing(_) => "42P20",
        SqlError::InvalidNtileArgument => "22014",
        SqlError::InvalidNthValueArgument => "22016",
        SqlError::NullFrameOffset(_) => "22004",
        SqlError::NegativeFrameOffset(_) => "22013",
        SqlError::QueryCanceled(_) => "57014",
        SqlError::LockTimeout | SqlError::AdvisoryLockBusy(_) => "55P03",
        SqlError::Deadlock { .. } => "40P01",
        SqlError::UndefinedObject(_) => "42704",
        SqlError::InvalidParameterValue(_) => "22023",
        SqlError::InFailedTransaction => "25P02",
        SqlError::ProgramLimitExceeded(_) => "54000",
        SqlError::StackDepthExceeded(_) | SqlError::SetOperationsTooDeep(_) => "54001",
        SqlError::CantChangeParameter(_) => "55P02",
        SqlError::SerializationFailure { .. } => "40001",
        SqlError::BlockTooLarge(_) => "54000",
        // Caught by the engine, which rehearses the statement; a client seeing it
        // is a bug, reported as one.
        SqlError::NeedsRehearsal => "XX000",
        SqlError::ReadOnlyTransaction(_) => "25006",
        SqlError::UndefinedSavepoint(_) => "3B001",
        SqlError::NoActiveTransaction(_) => "25P01",
        SqlError::DuplicateCursor(_) => "42P03",
        SqlError::UndefinedCursor(_) => "34000",
        SqlError::CursorForwardOnly => "55000",
        SqlError::ActiveTransactionBlock(_) => "25001",
        SqlError::UndefinedSchema(_) => "3F000",
        SqlError::DuplicateSchema(_) => "42P06",
        SqlError::ReservedSchemaName(_) => "42939",
        SqlError::DuplicateAlias(_) => "42712",
        SqlError::InvalidTableDefinition(_) => "42P16",
        SqlError::InvalidRowCount(m) => {
            if m.starts_with("OFFSET") {
                "2201X"
            } else {
                "2201W"
            }
        }
        SqlError::UndefinedTableMessage(_) => "42P01",
        SqlError::UndefinedColumnMessage(_) => "42703",
        SqlError::CannotCoerce(_) => "42846",
        SqlError::ColumnCannotBeCast { .. } => "42804",
        SqlError::DuplicateObject(_) => "42710",
        SqlError::InvalidForeignKey(_) => "42830",
        SqlError::DependentObjectsStillExist { .. }
        | SqlError::RequiredBy { .. }
        | SqlError::RequiredBySystem(_) => "2BP01",
        SqlError::BadCopyData(_) => "22P04",
        SqlError::Copy { error, .. } => sql_sqlstate(error),
        SqlError::Type(e) => type_sqlstate(e),
        SqlError::Db(e) => db_sqlstate(e),
        SqlError::Module(e) => module_sqlstate(e),
    }
}

fn module_sqlstate(e: &ModuleError) -> &str {
    match e {
        ModuleError::Invalid { .. } | ModuleError::ForbiddenImport { .. } => "42P17",
        ModuleError::TableMismatch { .. } => "42804",
        ModuleError::DuplicateRoutine { .. } => "42723",
        ModuleError::Setup { .. } => "55000",
        ModuleError::NullArgument { .. } => "22004",
        ModuleError::TooManyRows { .. } => "54000",
        ModuleError::Raised { sqlstate, .. } => sqlstate,
        ModuleError::Trapped { .. } => "38000",
        ModuleError::TimeBudget { .. } | ModuleError::Cancelled => "57014",
        ModuleError::MemoryBudget { .. } => "53200",
        ModuleError::CatalogChanged { .. } => "55000",
    }
}

fn type_sqlstate(e: &TypeError) -> &'static str {
    match e {
        TypeError::InvalidText { .. } => "22P02",
        TypeError::OutOfRange(_) => "22003",
        TypeError::NumericFieldOverflow { .. } => "22003",
        TypeError::DivisionByZero => "22012",
        TypeError::StringTooLong { .. } | TypeError::CharTooLong { .. } => "22001",
        TypeError::DatetimeFieldOverflow(_) => "22008",
        TypeError::InvalidParameterValue(_) => "22023",
        TypeError::ProgramLimitExceeded(_) => "54000",
        TypeError::InvalidDatetime { .. } => "22007",
        TypeError::DatetimeOutOfRange(_) => "22008",
        TypeError::InvalidJson { .. } => "22P02",
        TypeError::UntranslatableCharacter { .. } => "22P05",
        TypeError::InvalidEscapeSequence(_) => "22025",
        TypeError::InvalidUseOfEscapeCharacter(_) => "2200C",
        TypeError::SubstringError(_) => "22011",
        TypeError::InvalidLogarithm(_) => "2201E",
        TypeError::InvalidPower(_) => "2201F",
        TypeError::MalformedArray { .. } => "22P02",
        TypeError::InvalidRegex(_) => "2201B",
        TypeError::SubscriptOutOfRange(_) => "2202E",
        TypeError::Unsupported(_) => "0A000",
        TypeError::NullValueNotAllowed(_) => "22004",
        TypeError::InvalidTextRepresentation(_) => "22P02",
        TypeError::InvalidBinary { .. } => "22P03",
        TypeError::InvalidUtf8(_) => "22021",
        TypeError::BinaryOutputUnsupported { .. } => "0A000",
        TypeError::Internal(_) => "XX000",
    }
}

fn db_sqlstate(e: &DbError) -> &str {
    match e {
        DbError::CheckViolation { .. } | DbError::CheckViolatedByRow { .. } => "23514",
        DbError::ForeignKeyViolation { .. } | DbError::ForeignKeyStillReferenced { .. } => "23503",
        DbError::Value(e) => type_sqlstate(e),
        DbError::CheckExpression(e) => sql_sqlstate(e),
        DbError::UniqueViolation { .. } | DbError::DuplicateInNewIndex { .. } => "23505",
        DbError::NotNullViolation { .. } | DbError::ColumnContainsNulls { .. } => "23502",
        DbError::DuplicateRelation(_) => "42P07",
        DbError::UndefinedTable(_) | DbError::UndefinedView(_) | DbError::UndefinedSequence(_) => {
            "42P01"
        }
        DbError::SequenceLimit { .. } => "2200H",
        DbError::SequenceMoved(_) => "40001",
        DbError::SequenceValueOutOfBounds { .. } => "22003",
        DbError::UndefinedIndex(_) | DbError::NoKeyOrder(_) => "42704",
    }
}

fn wire_sqlstate(e: &WireError) -> &'static str {
    match e {
        WireError::Protocol(_) => "08P01",
        WireError::MessageTooLarge { .. } => "54000",
        WireError::TooManyConnections => "53300",
        WireError::IdleInTransactionTimeout => "25P03",
        WireError::IdleSessionTimeout => "57P05",
        WireError::Terminated => "57P01",
        WireError::NotLoopback(_) => "28000",
        WireError::StatementTooLong { .. } => "54000",
        WireError::TooManyParameters { .. } => "54000",
        WireError::UnknownStatement(_) => "26000",
        WireError::UnknownPortal(_) => "34000",
        WireError::DuplicateStatement(_) => "42P05",
        WireError::DuplicatePortal(_) => "42P03",
        WireError::MultipleStatements => "42601",
        WireError::ParameterCount { .. } => "08P01",
        WireError::ExecuteParameterCount { .. } => "42601",
        WireError::FormatCount { .. } => "08P01",
        WireError::UnsupportedFormat(_) => "22023",
        WireError::InvalidUtf8(_) => "22021",
        WireError::UnsupportedType(_) => "0A000",
        WireError::TooManyColumns(_) => "54011",
        WireError::CopyFailed(_) => "57014",
        WireError::Internal(_) => "XX000",
    }
}

fn wal_sqlstate(e: &WalError) -> &'static str {
    match e {
        WalError::Io(_) => "58030",
        WalError::Damaged { .. } => "XX001",
        WalError::Locked { .. } => "55006",
        WalError::ShutDown => "57P01",
    }
}

fn turnstile_sqlstate(e: &TurnstileError) -> &str {
    match e {
        TurnstileError::Panicked(_) => "XX000",
        TurnstileError::Overloaded(_) => "53000",
        TurnstileError::Withdrawn => "57014",
        TurnstileError::ShuttingDown => "57P01",
        TurnstileError::Durability(e) => wal_sqlstate(e),
        TurnstileError::Constraint(e) => db_sqlstate(e),
    }
}
