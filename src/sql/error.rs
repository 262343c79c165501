//! Errors of the SQL layer: parsing, binding, planning, executing, session commands.

use thiserror::Error;

use super::advisory::{LockMode, LockWanted};
use crate::db::DbError;
use crate::module::ModuleError;
use crate::types::{DataType, TypeError};

/// Why a statement failed. All of these are the client's input at fault or a
/// deliberate limit: fix the statement and retry. The statement changed nothing.
/// SQLSTATEs are assigned in one place, `crate::error`.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SqlError {
    /// The text is not SQL we can parse (42601).
    #[error("syntax error: {0}")]
    Syntax(String),
    /// Valid SQL that Turnstile does not support (0A000). The message names the
    /// feature and, where there is one, what to use instead.
    #[error("{0} is not supported")]
    Unsupported(String),
    /// 42804: `ALTER COLUMN … TYPE` without `USING` of a column whose type has
    /// no assignment cast to the new one.
    #[error("column \"{column}\" cannot be cast automatically to type {target}")]
    ColumnCannotBeCast { column: String, target: DataType },
    /// A foreign key whose referenced columns are not a key of the referenced
    /// table, or not as many as its own (42830).
    #[error("{0}")]
    InvalidForeignKey(String),
    /// An object of that name exists already (42710): a table's constraint.
    #[error("{0}")]
    DuplicateObject(String),
    /// 0A000 with PostgreSQL's own message for a refusal it makes too.
    #[error("{0}")]
    UnsupportedMessage(String),
    /// 0A000: `OWNED BY` on the sequence of an identity column; `detail`
    /// names the sequence and its table.
    #[error("cannot change ownership of identity sequence")]
    IdentitySequenceOwner { detail: String },
    /// 42P01
    #[error("relation \"{0}\" does not exist")]
    UndefinedTable(String),
    /// 42703
    #[error("column \"{0}\" does not exist")]
    UndefinedColumn(String),
    /// 42702
    #[error("column reference \"{0}\" is ambiguous")]
    AmbiguousColumn(String),
    /// 42701
    #[error("column \"{0}\" specified more than once")]
    DuplicateColumn(String),
    /// 42701 with PostgreSQL's message for ALTER TABLE (`column "c" of relation
    /// "t" already exists`).
    #[error("{0}")]
    DuplicateColumnMessage(String),
    /// 42883, the full PostgreSQL message (e.g. "function foo(integer) does not exist").
    #[error("{0}")]
    UndefinedFunction(String),
    /// 42725, e.g. "operator is not unique: unknown + unknown": the client must cast.
    #[error("{0}")]
    AmbiguousFunction(String),
    /// 42P19, a `WITH RECURSIVE` query that does not recurse as PostgreSQL allows
    /// (its reference to itself in a subquery, twice, or in its first term).
    #[error("{0}")]
    InvalidRecursion(String),
    /// 42804, e.g. "argument of WHERE must be type boolean, not type integer".
    #[error("{0}")]
    DatatypeMismatch(String),
    /// 42P02
    #[error("there is no parameter ${0}")]
    UndefinedParameter(usize),
    /// 42P18
    #[error("could not determine data type of parameter ${0}")]
    IndeterminateDatatype(usize),
    /// 42803, e.g. a column neither grouped nor aggregated.
    #[error("{0}")]
    Grouping(String),
    /// 21000, e.g. "more than one row returned by a subquery used as an expression".
    #[error("{0}")]
    CardinalityViolation(String),
    /// 42P10, e.g. an ORDER BY position out of range, or an ON CONFLICT target with
    /// no matching unique constraint.
    #[error("{0}")]
    InvalidColumnReference(String),
    /// 428C9: a value for a `GENERATED ALWAYS` identity column.
    #[error("{}", if *update { format!("column \"{column}\" can only be updated to DEFAULT") } else { format!("cannot insert a non-DEFAULT value into column \"{column}\"") })]
    GeneratedAlways { column: String, update: bool },
    /// 55000, e.g. `currval` of a sequence the session has not used.
    #[error("{0}")]
    ObjectNotInPrerequisiteState(String),
    /// 42809, e.g. `ALTER TABLE` of a system relation.
    #[error("{0}")]
    WrongObjectType(String),
    /// 42809: `DROP TABLE` of a view, `DROP INDEX` of a table, …; the HINT
    /// names the DROP that would do.
    #[error("\"{name}\" is not {} {wanted}", if wanted == &"index" { "an" } else { "a" })]
    DropWrongKind {
        name: String,
        wanted: &'static str,
        found: &'static str,
    },
    /// 42P20: a window function where none may be, or inside another.
    #[error("{0}")]
    Windowing(String),
    /// 22014: `ntile` of zero or fewer buckets.
    #[error("argument of ntile must be greater than zero")]
    InvalidNtileArgument,
    /// 22004: a window frame's offset is NULL.
    #[error("frame {0} offset must not be null")]
    NullFrameOffset(&'static str),
    /// 22013: a window frame's offset is negative.
    #[error("frame {0} offset must not be negative")]
    NegativeFrameOffset(&'static str),
    /// 22016: `nth_value` of a position below one.
    #[error("argument of nth_value must be greater than zero")]
    InvalidNthValueArgument,
    /// 42601 raised after parsing, e.g. "INSERT has more expressions than target columns".
    #[error("{0}")]
    InvalidStatement(String),
    /// 57014: statement_timeout expired or the client cancelled.
    #[error("canceling statement due to {0}")]
    QueryCanceled(String),
    /// 55P03: a write waited for the write lock longer than `lock_timeout`.
    #[error("canceling statement due to lock timeout")]
    LockTimeout,
    /// 42704, e.g. `SHOW` of an unknown setting.
    #[error("{0}")]
    UndefinedObject(String),
    /// 22023, e.g. a bad value for a setting.
    #[error("{0}")]
    InvalidParameterValue(String),
    /// 25P02: a statement in a transaction block that already failed.
    #[error("current transaction is aborted, commands ignored until end of transaction block")]
    InFailedTransaction,
    /// 54000: input over one of the server's limits (statement length, parameters…).
    #[error("{0}")]
    ProgramLimitExceeded(String),
    /// 54001: an expression nested deeper than the binder allows (its argument);
    /// evaluating it could overflow the stack. The client must simplify it.
    #[error("stack depth limit exceeded")]
    StackDepthExceeded(usize),
    /// 0A000: the schema changed since the client was sent a statement's
    /// RowDescription, so its rows would no longer match it; nothing ran (a write
    /// is rolled back). Prepare the statement again.
    #[error("cached plan must not change result type")]
    ResultTypeChanged,
    /// 54001: a query chaining more set operations than allowed (its argument).
    #[error("stack depth limit exceeded")]
    SetOperationsTooDeep(usize),
    /// 55P02: `SET` of a setting fixed for the server's lifetime, e.g. `server_version`.
    #[error("parameter \"{0}\" cannot be changed")]
    CantChangeParameter(String),
    /// 40001: a transaction block's COMMIT found that something the block read (or
    /// a row count it reported) changed since, so committing it would not be
    /// serializable. Nothing of the block is kept; the detail says what changed.
    #[error("could not serialize access due to concurrent update")]
    SerializationFailure { detail: String },
    /// 25001: a command PostgreSQL runs only outside transaction blocks (`VACUUM`).
    #[error("{0} cannot run inside a transaction block")]
    ActiveTransactionBlock(&'static str),
    /// 3B001: `RELEASE` or `ROLLBACK TO` a savepoint the block does not have.
    #[error("savepoint \"{0}\" does not exist")]
    UndefinedSavepoint(String),
    /// 42P03: `DECLARE` of a cursor name the session has open.
    #[error("cursor \"{0}\" already exists")]
    DuplicateCursor(String),
    /// 55000: a backward move of a cursor declared `NO SCROLL`.
    #[error("cursor can only scan forward")]
    CursorForwardOnly,
    /// 34000: a cursor name the session has not open.
    #[error("cursor \"{0}\" does not exist")]
    UndefinedCursor(String),
    /// 25P01: a savepoint command outside a transaction block.
    #[error("{0} can only be used in transaction blocks")]
    NoActiveTransaction(&'static str),
    /// 25006: a write inside `BEGIN READ ONLY`.
    #[error("cannot execute {0} in a read-only transaction")]
    ReadOnlyTransaction(String),
    /// Not an answer: a block's statement run on the block's overlay met something
    /// only a rehearsal can do (see `sql::overlay`). The engine rehearses it
    /// instead; this never reaches a client.
    #[error("internal: the statement must be rehearsed")]
    NeedsRehearsal,
    /// Not an answer: an advisory lock the statement calls for is another
    /// session's. The session waits for it and runs the statement again (see
    /// `sql::advisory`); every statement that can call for one runs so, and
    /// a client seeing this 55P03 is a bug.
    #[error("could not obtain {} advisory lock held by another session", if .0.mode == LockMode::Shared { "shared" } else { "exclusive" })]
    AdvisoryLockBusy(LockWanted),
    /// 40P01: the wait for an advisory lock would never end: each session in
    /// `detail` waits for the next. This statement's wait is given up; the
    /// client retries it once the others have gone on.
    #[error("deadlock detected")]
    Deadlock { detail: String },
    /// 54000: a transaction block holds more changes than `--max-block-changes`.
    #[error("transaction block too large: more than {0} changed rows")]
    BlockTooLarge(usize),
    /// 42P06: `CREATE SCHEMA` of one that exists.
    #[error("schema \"{0}\" already exists")]
    DuplicateSchema(String),
    /// 42939: `CREATE SCHEMA` of a name with the prefix `pg_`.
    #[error("unacceptable schema name \"{0}\"")]
    ReservedSchemaName(String),
    /// 3F000, a schema qualifier other than `public`.
    #[error("schema \"{0}\" does not exist")]
    UndefinedSchema(String),
    /// 42P01 with PostgreSQL's whole message, e.g. "missing FROM-clause entry for table".
    #[error("{0}")]
    UndefinedTableMessage(String),
    /// 2201W/2201X: a negative LIMIT or OFFSET.
    #[error("{0}")]
    InvalidRowCount(String),
    /// 42P16, e.g. two primary keys.
    #[error("{0}")]
    InvalidTableDefinition(String),
    /// 42712, e.g. the same table name twice in one FROM clause.
    #[error("{0}")]
    DuplicateAlias(String),
    /// 42703 with PostgreSQL's whole message, e.g. a USING column missing on one side.
    #[error("{0}")]
    UndefinedColumnMessage(String),
    /// 42846, e.g. "cannot cast type uuid to integer".
    #[error("{0}")]
    CannotCoerce(String),
    /// 2BP01: DROP of a table or view that views still read. `object` is e.g.
    /// `table t`; `detail` has one line per dependent, e.g. `view v depends on table t`.
    /// The client must drop the dependent views first.
    #[error("cannot drop {object} because other objects depend on it")]
    DependentObjectsStillExist { object: String, detail: String },
    /// 2BP01: DROP of an object that goes only with the one that requires it,
    /// even with CASCADE: an identity column's sequence (`object` `sequence
    /// s`, `required_by` `column id of table t`), a constraint's index.
    #[error("cannot drop {object} because {required_by} requires it")]
    RequiredBy { object: String, required_by: String },
    /// 2BP01: DROP of what the system itself needs: the schema `pg_catalog`.
    #[error("cannot drop {0} because it is required by the database system")]
    RequiredBySystem(String),
    /// 0A000: TRUNCATE of a table another table's foreign key references, without
    /// that table or CASCADE. `detail` names the two, as PostgreSQL's does.
    #[error("cannot truncate a table referenced in a foreign key constraint")]
    TruncateReferenced { referencing: String, detail: String },
    /// 22P04: COPY data that does not fit the table's columns (too few or too many
    /// fields, an unterminated CSV quote).
    #[error("{0}")]
    BadCopyData(String),
    /// An error in one line of COPY data: `error` says what, with its own SQLSTATE,
    /// and `context` where, as PostgreSQL's CONTEXT line does (`COPY t, line 3,
    /// column b: "x"`). Nothing of the COPY was loaded; fix that line and resend.
    #[error("{error}")]
    Copy {
        context: String,
        error: Box<SqlError>,
    },
    /// A value could not be parsed or computed (22xxx).
    #[error(transparent)]
    Type(#[from] TypeError),
    /// The store refused a change (23xxx, 42P07, …).
    #[error(transparent)]
    Db(#[from] DbError),
    /// 42883 for a CALL or a view in FROM that matches no routine: `kind` is
    /// `procedure` or `function`, `signature` the name and argument types given.
    #[error("{kind} {signature} does not exist")]
    UndefinedRoutine {
        kind: &'static str,
        signature: String,
    },
    /// A reducer or view failed: its own error, a trap, or a budget.
    #[error(transparent)]
    Module(#[from] ModuleError),
}
