//! What a statement needs to know about the moment and the session it runs in.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use super::block::ReadLog;
use super::overlay::Overlay;
use super::SqlError;
use crate::module::ModuleHost;
use crate::turnstile::{Durability, TurnstileStatus};
use crate::types::{TimeZone, DEFAULT_EXTRA_FLOAT_DIGITS};

/// Per-statement context, built by the session for each statement it runs.
#[derive(Debug, Clone)]
pub struct QueryContext {
    /// The statement's start time in microseconds since 2000-01-01 UTC: `now()` and
    /// `current_timestamp` return it for the whole statement, as in PostgreSQL.
    pub statement_time_us: i64,
    /// Stops the statement when its time is up or the client cancels.
    pub interrupt: Interrupt,
    /// The session's `TimeZone` setting: how `timestamptz` values are read from
    /// literals without an offset and how `now()`-relative dates are computed.
    pub time_zone: TimeZone,
    /// The session's `extra_float_digits`: how a float cast to text is written.
    pub extra_float_digits: i32,
    /// The session's `synchronous_commit`: whether a write is acknowledged once
    /// durable or once visible.
    pub durability: Durability,
    /// The session's `turnstile.confirmed_reads`: whether a query's rows wait until
    /// everything it could see is durable.
    pub confirmed_reads: bool,
    /// Where system relations (`turnstile_wal`) get the log's and snapshots'
    /// state. The engine fills it in; None shows no log.
    pub status: Option<TurnstileStatus>,
    /// Most rows the statement's result may hold (`--max-rows-per-statement`). The
    /// executor fails with 54000 once a result goes over it, inside the statement, so
    /// a write over the limit rolls back instead of committing a result nobody gets.
    pub rows_max: usize,
    /// The session's user: who a reducer's `caller()` says is calling.
    pub user: Arc<str>,
    /// The database the session connected to (`current_database()`).
    pub database: Arc<str>,
    /// The process id the session's BackendKeyData carried (`pg_backend_pid()`);
    /// 0 for the server's own statements.
    pub backend_pid: i32,
    /// The loaded modules, whose reducers and views the statement may call. The
    /// engine fills it in; None has none.
    pub modules: Option<Arc<ModuleHost>>,
    /// Inside a transaction block: where the scan layer notes what the statement
    /// reads, for the block's validation at COMMIT. None outside blocks.
    pub reads: Option<Arc<ReadLog>>,
    /// A block's statement run under the read lock: the block's own writes, which
    /// the scan layer reads rows through (see `sql::overlay`). None otherwise.
    pub overlay: Option<Arc<Overlay>>,
}

impl QueryContext {
    /// The context of a statement the server runs itself (a module's schema SQL):
    /// no session, no limits, UTC.
    pub fn internal() -> QueryContext {
        QueryContext {
            statement_time_us: crate::types::now_us(),
            interrupt: Interrupt::default(),
            time_zone: TimeZone::Utc,
            extra_float_digits: DEFAULT_EXTRA_FLOAT_DIGITS,
            durability: Durability::Durable,
            confirmed_reads: false,
            status: None,
            rows_max: usize::MAX,
            user: "turnstile".into(),
            database: "turnstile".into(),
            backend_pid: 0,
            modules: None,
            reads: None,
            overlay: None,
        }
    }
}

/// How a running statement learns that it must stop: a deadline
/// (`statement_timeout`) and a flag a cancel request sets. Executors call
/// [`Interrupt::check`] every so many rows, so a long scan under the read lock
/// stops promptly and releases the lock; a write still queued for the lock waits
/// on [`Interrupt::stopped`] to withdraw.
#[derive(Debug, Clone, Default)]
pub struct Interrupt {
    deadline: Option<Instant>,
    cancelled: Arc<AtomicBool>,
    /// Wakes what waits in [`Interrupt::stopped`] when the flag is set. Shared by
    /// a session's statements (one at a time), so that each does not allocate its
    /// own.
    cancel_notify: Arc<Notify>,
}

impl Interrupt {
    /// An interrupt whose cancel wakes waiters through `cancel_notify`, which the
    /// session's earlier statements used too: a wake-up that is not this
    /// statement's is told apart by its flag.
    pub fn with_notify(deadline: Option<Instant>, cancel_notify: Arc<Notify>) -> Interrupt {
        Interrupt {
            deadline,
            cancelled: Arc::default(),
            cancel_notify,
        }
    }

    /// Asks the statement to stop at its next check (a client's cancel request).
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
        self.cancel_notify.notify_waiters();
    }

    /// Completes once the statement must stop: when it is cancelled or its
    /// deadline passes (never, if neither happens).
    pub async fn stopped(&self) {
        loop {
            let notified = self.cancel_notify.notified();
            tokio::pin!(notified);
            // Registered before the flag is read, so a cancel in between still
            // wakes it.
            notified.as_mut().enable();
            if self.cancelled.load(Ordering::Relaxed) {
                return;
            }
            match self.deadline {
                Some(deadline) => {
                    tokio::select! {
                        () = notified => {}
                        () = tokio::time::sleep_until(deadline.into()) => return,
                    }
                }
                None => notified.await,
            }
        }
    }

    /// The flag [`Interrupt::cancel`] sets, for code that watches it from elsewhere
    /// (a module call's epoch callback).
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        self.cancelled.clone()
    }

    /// The time left before the deadline, if there is one.
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|deadline| deadline.saturating_duration_since(Instant::now()))
    }

    /// 57014 if the statement was cancelled or ran past its deadline.
    pub fn check(&self) -> Result<(), SqlError> {
        if self.cancelled.load(Ordering::Relaxed) {
            return Err(SqlError::QueryCanceled("user request".into()));
        }
        match self.deadline {
            Some(deadline) if Instant::now() >= deadline => {
                Err(SqlError::QueryCanceled("statement timeout".into()))
            }
            _ => Ok(()),
        }
    }
}
