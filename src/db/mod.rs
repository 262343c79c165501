//! The store: the in-memory `Database` of tables, indexes, views and sequences, and the write
//! transactions that change it.
//!
//! # Life of a write transaction
//!
//! 1. The turnstile takes the global write lock — on its writer thread, or on a
//!    session's task for a short write (see `turnstile`) — and opens a
//!    [`WriteTxn`] on the [`Database`]. Nothing else can read or write until step 4.
//! 2. The statement (or, later, a reducer or a validated transaction block) calls
//!    `insert`, `update`, `delete` and the DDL methods. Each one checks its
//!    constraints first, then changes the tables *in place* and pushes an `Undo`
//!    entry that says how to take the change back. Reads through [`WriteTxn::db`] see
//!    the transaction's own changes, because they are already there.
//! 3. If anything fails (a constraint, a type error, a trap in user code, a budget),
//!    the caller rolls back: the undo entries are applied newest first, which puts
//!    every row, index entry and catalog entry back exactly as it was. Dropping an
//!    unfinished transaction (a panic unwinding) rolls back too. Otherwise it commits,
//!    which only discards the undo log. The one exception is a sequence's position,
//!    which a rollback keeps and logs, as PostgreSQL never takes back a `nextval`
//!    (see `sequence`).
//! 4. The lock's holder releases it, after the other transactions of its write
//!    phase (each committed or rolled back on its own). The session hears the
//!    outcome once the next transaction of the phase has begun, or the lock is
//!    released; a read it sends then waits for the release, so nobody sees a
//!    commit before the lock is released, and no client is waited on while the
//!    lock is held.
//!
//! Readers hold the read lock while they execute and never see step 2 or 3 in
//! progress, so a transaction is visible all at once or not at all (invariant 3).
//!
//! Rows are stored encoded (see `row`) under a [`Key`]; see `table` for how the
//! primary key and secondary indexes find them.

mod bptree;
mod catalog;
mod check;
mod codec;
mod database;
mod error;
mod foreign_key;
mod key;
mod recovery;
mod redo;
mod row;
mod sequence;
mod snapshot;
mod table;
mod txn;

pub use catalog::{
    CheckConstraint, ColumnSchema, ForeignKey, Identity, IndexSchema, KeyOrder, OperatorClass,
    ReferentialAction, RoutineColumn, RoutineKind, RoutineSchema, TableId, TableSchema, ViewSchema,
};
pub use check::CheckEvaluator;
pub use codec::CodecError;
pub use database::Database;
pub use error::DbError;
pub use foreign_key::ConstraintModes;
pub use key::{CompositeKey, Key};
pub use recovery::{recover, snapshot_dir, wal_dir, Recovered};
pub use redo::Redo;
pub(crate) use row::CheckedColumn;
pub use row::Row;
pub use sequence::{Sequence, SequenceSchema, SequenceState, SequenceStorage};
pub use table::{Index, PrefixBound, Table};
pub use txn::{Change, ColumnFill, WriteTxn};

#[cfg(test)]
mod tests;
