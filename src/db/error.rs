//! Errors of the store: constraint violations and catalog conflicts.

use crate::types::DataType;
use thiserror::Error;

/// Why the store refused a change. Every variant is deterministic: the same
/// statement against the same data fails the same way, and the transaction that
/// raised it is rolled back in full before the write lock is released.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum DbError {
    /// A row would duplicate a primary key or unique index (23505).
    #[error("duplicate key value violates unique constraint \"{constraint}\"")]
    UniqueViolation {
        table: String,
        constraint: String,
        detail: String,
    },
    /// A unique index or primary key being built (CREATE UNIQUE INDEX, ALTER
    /// TABLE) over rows two of which share a key (23505).
    #[error("could not create unique index \"{index}\"")]
    DuplicateInNewIndex {
        table: String,
        index: String,
        detail: String,
    },
    /// A row that makes a CHECK constraint false (23514).
    #[error("new row for relation \"{table}\" violates check constraint \"{constraint}\"")]
    CheckViolation {
        table: String,
        constraint: String,
        detail: String,
    },
    /// A row already stored that makes false a CHECK constraint an `ALTER
    /// TABLE` adds, or keeps while it rebuilds the rows (23514).
    #[error("check constraint \"{constraint}\" of relation \"{table}\" is violated by some row")]
    CheckViolatedByRow { table: String, constraint: String },
    /// A CHECK constraint's expression failed on a row: its error (a division
    /// by zero is 22012).
    #[error("{0}")]
    CheckExpression(Box<crate::sql::SqlError>),
    /// A row that references no row through a foreign key (23503).
    #[error(
        "insert or update on table \"{table}\" violates foreign key constraint \"{constraint}\""
    )]
    ForeignKeyViolation {
        table: String,
        constraint: String,
        detail: String,
    },
    /// A referenced row deleted, or its key changed, while a row still
    /// references it (23503).
    #[error("update or delete on table \"{table}\" violates foreign key constraint \"{constraint}\" on table \"{referencing}\"")]
    ForeignKeyStillReferenced {
        table: String,
        constraint: String,
        referencing: String,
        detail: String,
    },
    /// A value the store had to convert (a key given to referencing rows by
    /// ON UPDATE CASCADE) does not fit (22003).
    #[error(transparent)]
    Value(#[from] crate::types::TypeError),
    /// NULL in a NOT NULL column (23502).
    #[error(
        "null value in column \"{column}\" of relation \"{table}\" violates not-null constraint"
    )]
    NotNullViolation { table: String, column: String },
    /// A column an `ALTER TABLE` makes NOT NULL holds a NULL in some row (23502).
    #[error("column \"{column}\" of relation \"{table}\" contains null values")]
    ColumnContainsNulls { table: String, column: String },
    /// A table, index or view name already in use (42P07).
    #[error("relation \"{0}\" already exists")]
    DuplicateRelation(String),
    /// No table of that name (42P01).
    #[error("table \"{0}\" does not exist")]
    UndefinedTable(String),
    /// No view of that name (42P01).
    #[error("view \"{0}\" does not exist")]
    UndefinedView(String),
    /// No sequence of that name (42P01).
    #[error("sequence \"{0}\" does not exist")]
    UndefinedSequence(String),
    /// A transaction block's `ALTER SEQUENCE`, made again, finds that another
    /// transaction drew from the sequence since (40001): the block handed out
    /// values from where it stood before.
    #[error("sequence \"{0}\" was drawn from by another transaction after this block altered it")]
    SequenceMoved(String),
    /// `nextval` past the last value of a sequence that does not cycle (2200H).
    #[error("nextval: reached {} value of sequence \"{name}\" ({bound})", if *ascending { "maximum" } else { "minimum" })]
    SequenceLimit {
        name: String,
        ascending: bool,
        bound: i64,
    },
    /// `setval` outside the sequence's bounds (22003).
    #[error("setval: value {value} is out of bounds for sequence \"{name}\" ({min}..{max})")]
    SequenceValueOutOfBounds {
        name: String,
        value: i64,
        min: i64,
        max: i64,
    },
    /// No index of that name (42704).
    #[error("index \"{0}\" does not exist")]
    UndefinedIndex(String),
    /// A key (primary key, UNIQUE, an index) over a column whose type has no
    /// order (json; 42704, PostgreSQL's words).
    #[error("data type {0} has no default operator class for access method \"btree\"")]
    NoKeyOrder(DataType),
}
