//! System relations: read-only relations whose rows are computed when they are
//! scanned, from the server's state rather than from stored rows.
//!
//! Turnstile's own (`turnstile_wal`, `turnstile_routines`), PostgreSQL's catalogs
//! (`pg_class`, `pg_attribute`, `pg_proc`, …, in `pg_catalog`) and the standard's
//! `information_schema`, generated from the database's catalog: one file per
//! relation (or per family of small ones, as `pg_empty`) holding its columns and a
//! function from a [`SystemSnapshot`] to its rows, and one line in the registry.
//! `catalog` holds what they share (OIDs, see there); `functions` evaluates the
//! SQL functions that read the catalog (`pg_get_indexdef`, `'t'::regclass`, …).
//!
//! - **Names.** `pg_catalog` is implicitly first on the search path, as in
//!   PostgreSQL: its relations and Turnstile's are found unqualified or qualified
//!   (`pg_catalog.pg_class`, `public.turnstile_wal`); `information_schema`'s only
//!   qualified. A name found unqualified is reserved: it is resolved before user
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

mod catalog;
mod functions;
mod information_schema;
mod pg_attribute;
mod pg_class;
mod pg_depend;
mod pg_empty;
mod pg_extension;
mod pg_index;
mod pg_locks;
mod pg_namespace;
pub mod pg_opclass;
mod pg_proc;
mod pg_roles;
mod pg_sequence;
mod pg_settings;
mod pg_stat;
mod pg_stat_activity;
mod pg_type;
mod pg_views;
mod qualify;
mod registry;
mod sizes;
mod snapshot;
mod turnstile_lock;
mod turnstile_routines;
mod turnstile_wal;

pub use catalog::DATABASE_OID;
pub use functions::{eval_catalog_function, nextval_outside_write, regclass_constant_relation};
pub use pg_namespace::schema_exists;
pub use registry::{all, find, is_reserved, SystemRelationId};
pub use snapshot::SystemSnapshot;
