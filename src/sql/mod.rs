//! The SQL layer: from a statement's text to its rows.
//!
//! # Life of a query
//!
//! 1. **Parse** ([`parse()`]): sqlparser's PostgreSQL dialect turns the text into
//!    statements; a parse error is 42601 with the parser's message. The session
//!    handles SET/SHOW/BEGIN/COMMIT itself and hands everything else to [`Engine`].
//! 2. **Choose the lock** ([`Engine::is_write`]): a query or EXPLAIN is a read and
//!    goes to a reader thread under the read lock; DML and DDL are writes and go to
//!    the write lock, each as its own transaction, on the one writer thread (a
//!    short write on a session's task, see `turnstile`). Sessions only await. A
//!    query that reads no table (`SELECT 1`) needs no lock and runs on the session's
//!    task (see [`Engine`]). A query, DML statement or CALL that ran before reuses
//!    its plan while the catalog is unchanged, skipping steps 3 and 4 (see
//!    `plan_cache`); simple-query
//!    texts that differ only in integer literals share one parse and one plan, the
//!    literals becoming parameters (see `template`).
//! 3. **Bind** (`binder`): under the lock, names are resolved against the catalog
//!    (unquoted identifiers fold to lower case, `public.` is accepted; system
//!    relations such as `turnstile_wal` come first, see `system`), every
//!    expression is typed as PostgreSQL types it (literals, implicit and
//!    assignment casts, `$n` inferred from context), and the statement becomes a
//!    plan as written: scans, joins, filters, aggregation, projection, sort, limit.
//!    Views are expanded here from their stored SQL. Describe stops after this step.
//! 4. **Plan** (`plan::optimize`): filters move down to the scans and joins they
//!    concern; each scan picks an access path (primary key point lookup, unique or
//!    plain index lookup, index range, or full scan) and each equi-join an index
//!    nested loop or a hash join. `EXPLAIN` prints this plan.
//! 5. **Execute** (`exec`): the plan runs to completion and its rows are
//!    materialized, checking the statement's interrupt every 1024 rows so that
//!    statement_timeout (57014) stops it. A write computes all the rows it will
//!    change before it changes any, then writes through `db::WriteTxn`; any error
//!    rolls the whole statement back before the lock is released.
//! 6. **Release**: the turnstile releases the lock, then delivers the result.
//! 7. **Send**: the session encodes the materialized rows for the client, with no
//!    lock held (invariant 2).

pub mod activity;
mod advisory;
mod binder;
mod block;
mod context;
pub mod copy;
mod engine;
mod error;
mod exec;
mod notify;
mod output;
mod overlay;
mod parse;
mod plan;
mod plan_cache;
mod session;
mod settings;
mod system;
mod template;

#[cfg(test)]
mod tests;

pub(crate) use binder::number_value;
pub use binder::{data_type, ident};
pub use context::{Interrupt, QueryContext};
pub use engine::Engine;
pub use error::SqlError;
pub use exec::SqlChecks;
pub use notify::Notification;
pub use output::{same_result_type, ColumnInfo, CommandTag, Description, Notice, Output, Severity};
pub use parse::{parse, STATEMENT_THREAD_STACK_BYTES};
pub use plan_cache::{
    is_planned, ParsedText, PreparedStatement, TEXT_CACHE_ENTRIES_MAX, TEXT_CACHE_SQL_BYTES_MAX,
};
pub use session::{CancelHandle, Session, TransactionState};
pub use settings::{
    builtin_defaults, format_millis, parse_millis, SessionDefaults, SettingValue, Settings,
    SERVER_VERSION,
};
