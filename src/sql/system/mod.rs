//! System relations: read-only relations whose rows are computed when they are
//! scanned, from the server's state rather than from stored rows.
//!
//! `turnstile_wal` (the write-ahead log and the last snapshot) is the first; the
//! pg_catalog and information_schema tables that psql's `\d` needs are meant to be
//! added the same way: one file per relation holding its columns and a function
//! from a [`SystemSnapshot`] to its rows, and one line in the registry.
//!
//! - **Names.** A system relation's name is reserved: it is resolved before user
//!   tables and views, and `CREATE TABLE`/`VIEW`/`INDEX` of that name answers 42P07
//!   as if the relation existed (it does). So a name always means the same relation,
//!   whichever catalog it is bound against — which matters because a query that
//!   looks table-free is planned against an empty catalog (see `Engine`).
//! - **Binding.** The binder turns a reference into a `Plan::SystemScan`; filters,
//!   projections, joins and aggregates apply above it as to any other relation, and
//!   EXPLAIN shows `System Scan on <name>`.
//! - **Rows.** The executor asks the registry for the rows when the scan runs. They
//!   are computed from a [`SystemSnapshot`] gathered at that moment: the database
//!   the statement reads (under its read lock) and the turnstile's status, which the
//!   engine puts in the statement's `QueryContext`. Nothing is cached, so two scans
//!   in one statement may see numbers a moment apart, as PostgreSQL's statistics
//!   views may.
//! - **Writes.** INSERT, UPDATE, DELETE, TRUNCATE and DROP of a system relation
//!   answer 42809 (wrong object type): it is not a table.

mod registry;
mod snapshot;
mod turnstile_routines;
mod turnstile_wal;

pub use registry::{find, is_reserved, SystemRelationId};
pub use snapshot::SystemSnapshot;
