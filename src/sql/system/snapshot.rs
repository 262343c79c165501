//! What system relations are computed from.

use crate::db::Database;
use crate::module::ModuleHost;
use crate::sql::activity::Activities;
use crate::sql::advisory::AdvisoryLocks;
use crate::sql::QueryContext;
use crate::turnstile::{LastSnapshot, LockMetrics, TurnstileStatus};
use crate::wal::WalStats;

/// The server's state at the moment a system relation is scanned.
pub struct SystemSnapshot<'a> {
    /// The database the statement reads (under its read lock), for catalog
    /// relations.
    pub db: &'a Database,
    /// The log's counters; None for a server that keeps data in memory only.
    pub wal: Option<WalStats>,
    /// The last snapshot this process finished, if any.
    pub last_snapshot: Option<LastSnapshot>,
    /// The lock's metrics; None where no turnstile is behind the statement.
    pub lock_metrics: Option<&'a LockMetrics>,
    /// The loaded modules, for their budgets; None without any.
    pub modules: Option<&'a ModuleHost>,
    /// The session's user, who owns every object as far as the catalogs show.
    pub user: &'a str,
    /// The database the session connected to, the one row of `pg_database`.
    pub database: &'a str,
    /// Every session's activity; None where no engine is behind the statement.
    pub activities: Option<&'a Activities>,
    /// Every session's advisory locks; None where no session is behind the
    /// statement.
    pub advisory: Option<&'a AdvisoryLocks>,
}

impl<'a> SystemSnapshot<'a> {
    /// Gathers the state now, for the statement of `ctx`. Its `status` is None where
    /// the statement runs without a turnstile behind it (planning tests); then there
    /// is no log to show.
    pub fn gather(db: &'a Database, ctx: &'a QueryContext) -> SystemSnapshot<'a> {
        let status = ctx.status.as_ref();
        SystemSnapshot {
            db,
            modules: ctx.modules.as_deref(),
            user: &ctx.user,
            database: &ctx.database,
            activities: ctx.activities.as_deref(),
            advisory: ctx.session.as_ref().map(|s| s.locks.registry()),
            wal: status.and_then(TurnstileStatus::wal_stats),
            last_snapshot: status.and_then(TurnstileStatus::last_snapshot),
            lock_metrics: status.map(TurnstileStatus::lock_metrics),
        }
    }
}
