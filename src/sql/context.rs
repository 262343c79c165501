//! What a statement needs to know about the moment and the session it runs in.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::sync::Notify;

use super::activity::Activities;
use super::advisory::{SessionLocks, StatementLocks};
use super::block::ReadLog;
use super::notify::{NotifyHub, StatementNotifications};
use super::overlay::Overlay;
use super::settings::{SessionDefaults, SettingValue, Settings};
use super::{Notice, SqlError};
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
    /// The session's settings, for `current_setting` and `set_config`.
    pub settings: StatementSettings,
    /// Where system relations (`turnstile_wal`) get the log's and snapshots'
    /// state. The engine fills it in; None shows no log.
    pub status: Option<TurnstileStatus>,
    /// Every session's activity, for `pg_stat_activity` and
    /// `pg_cancel_backend`. The engine fills it in; None shows none.
    pub activities: Option<Arc<Activities>>,
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
    /// What `nextval` gave the session, for `currval` and `lastval`: shared with
    /// the session, and kept even if the statement fails, since a sequence never
    /// takes a value back (see `db::sequence`).
    pub sequences: Arc<SessionSequences>,
    /// What the statement's functions reach of its session: its advisory
    /// locks and its notifications. None for the server's own statements.
    pub session: Option<SessionHandles>,
    /// Which of the functions that act on the session the statement may call.
    pub session_calls: SessionCalls,
}

/// Which functions that act on the session (advisory locks, `pg_notify`,
/// `pg_sleep`) a statement may call; the others answer 0A000.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionCalls {
    /// A query: all of them.
    All,
    /// A data-modifying statement outside a transaction block: all but
    /// `pg_sleep`, whose sleep comes once the statement is done (see
    /// `Session::run_engine`), that is after it committed, when a cancel
    /// could no longer undo it.
    NoSleep,
    /// A data-modifying statement in a transaction block, which COMMIT runs
    /// again: none, as they would act twice.
    None,
}

/// What the statement's `pg_sleep` calls asked for, in microseconds: its
/// session sleeps that long once the statement is done, holding no lock.
#[derive(Debug, Default)]
pub struct StatementSleep(AtomicU64);

impl StatementSleep {
    pub fn add(&self, micros: u64) {
        let _ = self
            .0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |owed| {
                Some(owed.saturating_add(micros))
            });
    }

    /// What is owed so far: `clock_timestamp()` counts it as slept.
    pub fn owed_micros(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    /// What is owed, taken.
    pub fn take(&self) -> Duration {
        Duration::from_micros(self.0.swap(0, Ordering::Relaxed))
    }
}

/// The parts of a session a statement's functions reach.
#[derive(Debug, Clone)]
pub struct SessionHandles {
    /// The session's advisory locks (see `sql::advisory`), and through them
    /// every session's, which `pg_locks` lists.
    pub locks: Arc<SessionLocks>,
    /// Where notifications go (see `sql::notify`).
    pub notify_hub: Arc<NotifyHub>,
    /// The bytes of the notifications the statement's transaction had asked
    /// for when the statement began, which its own count against the
    /// queues' bound with.
    pub pending_notify_bytes: usize,
    /// The channels the session listens on (`pg_listening_channels()`).
    pub listening: Arc<[String]>,
    /// What the statement's calls asked of the session.
    pub calls: Arc<StatementCalls>,
}

impl SessionHandles {
    /// A block's statement tried on its overlay is rehearsed instead: forgets
    /// what the try asked, which the rehearsal asks again; the advisory locks
    /// it took stay the session's for the rehearsal to claim.
    pub fn run_again(&self) {
        self.calls.run_again(&self.locks, true);
    }
}

/// What one statement's functions asked of its session: the advisory locks
/// it took and gave back, its `pg_notify` calls, its `pg_sleep` time. Each
/// statement has its own (the session makes it when the statement begins),
/// kept across its runs, so that a run still going on after its statement was
/// answered (a read that timed out, on its reader thread) records nothing in
/// the next statement's.
#[derive(Debug, Default)]
pub struct StatementCalls {
    pub locks: StatementLocks,
    pub notifications: StatementNotifications,
    pub sleep: StatementSleep,
    /// The warnings its calls made (an unlock of a lock not held, a signal to
    /// a pid no session has), sent before its answer.
    pub warnings: Mutex<Vec<Notice>>,
    /// Set by the first call that acts on the session: a statement that made
    /// none (almost every one) has nothing to end and its record nothing to
    /// reset.
    used: AtomicBool,
}

impl StatementCalls {
    /// A call that acts on the session is about to record what it asks.
    pub fn mark_used(&self) {
        self.used.store(true, Ordering::Relaxed);
    }

    /// True once a call acted on the session.
    pub fn used(&self) -> bool {
        self.used.load(Ordering::Relaxed)
    }

    /// The statement will run again: forgets what its run asked, which the
    /// next run asks again; `keep_locks` as in [`SessionLocks::run_again`].
    pub fn run_again(&self, locks: &SessionLocks, keep_locks: bool) {
        locks.run_again(&self.locks, keep_locks);
        self.notifications.take();
        self.sleep.take();
        // The next run warns again.
        self.warnings.lock().clear();
    }
}

/// The values the session's sequences gave it, by sequence OID and the name
/// the sequence was created with (`SequenceSchema::created_as`): an OID a
/// rolled-back `CREATE SEQUENCE` gave back can name another sequence later,
/// and that one has given this session nothing; a renamed one has. The
/// session forgets what a creation it rolled back gave it ([`Self::forget`]),
/// so that a sequence created again under the same name, which takes the same
/// OID, has given it nothing either.
#[derive(Debug, Default)]
pub struct SessionSequences(Mutex<SequenceValues>);

type SequenceKey = (u32, String);

#[derive(Debug, Default)]
struct SequenceValues {
    /// What `currval` answers.
    current: HashMap<SequenceKey, i64>,
    /// The sequence of the session's last `nextval`, for `lastval`.
    last: Option<SequenceKey>,
}

impl SessionSequences {
    /// `nextval` of sequence `key` gave `value`.
    pub fn advanced(&self, key: SequenceKey, value: i64) {
        let mut values = self.0.lock();
        values.current.insert(key.clone(), value);
        values.last = Some(key);
    }

    /// `setval(key, value, true)`: `currval` answers `value`, `lastval` is
    /// unchanged.
    pub fn set(&self, key: SequenceKey, value: i64) {
        self.0.lock().current.insert(key, value);
    }

    /// Forgets what the sequences `ids` gave the session: their creation was
    /// rolled back, so they never existed, as in PostgreSQL, whose `currval`
    /// knows sequences by OID, and OIDs are never given back.
    pub fn forget(&self, ids: &[u32]) {
        if ids.is_empty() {
            return;
        }
        let mut values = self.0.lock();
        values.current.retain(|(id, _), _| !ids.contains(id));
        if values.last.as_ref().is_some_and(|(id, _)| ids.contains(id)) {
            values.last = None;
        }
    }

    /// `currval` of sequence `key`, if the session has one.
    pub fn current(&self, key: &SequenceKey) -> Option<i64> {
        self.0.lock().current.get(key).copied()
    }

    /// `lastval`: the sequence of the last `nextval` and its `currval`.
    pub fn last(&self) -> Option<(SequenceKey, i64)> {
        let values = self.0.lock();
        let key = values.last.clone()?;
        let value = *values.current.get(&key)?;
        Some((key, value))
    }
}

impl QueryContext {
    /// The context of a statement the server runs itself (a module's schema SQL):
    /// no session, no limits, UTC.
    pub fn internal() -> QueryContext {
        let defaults = SessionDefaults {
            user: "turnstile".into(),
            statement_timeout_ms: 0,
            max_connections: 0,
            synchronous_commit: true,
        };
        let settings = Settings::new(&defaults, []).expect("no startup parameters to refuse");
        QueryContext {
            statement_time_us: crate::types::now_us(),
            interrupt: Interrupt::default(),
            time_zone: TimeZone::Utc,
            extra_float_digits: DEFAULT_EXTRA_FLOAT_DIGITS,
            durability: Durability::Durable,
            confirmed_reads: false,
            settings: StatementSettings::new(settings),
            status: None,
            activities: None,
            rows_max: usize::MAX,
            user: "turnstile".into(),
            database: "turnstile".into(),
            backend_pid: 0,
            modules: None,
            reads: None,
            overlay: None,
            sequences: Arc::default(),
            session: None,
            session_calls: SessionCalls::None,
        }
    }
}

/// The session's settings as one statement (or one query string run as a single
/// write) sees them: `current_setting` reads them and `set_config` changes them at
/// once, as in PostgreSQL, so a later call in the same statement sees the change.
/// The statement's changes reach the session only if it succeeds: the session
/// takes them ([`StatementSettings::take_changes`]) and applies each as `SET` or
/// `SET LOCAL` would. Shared by the clones of one statement's context; a
/// statement that goes on after its session gave up on it (a read past its
/// timeout) changes only its own copy.
#[derive(Debug, Clone)]
pub struct StatementSettings(Arc<Mutex<SettingsInStatement>>);

#[derive(Debug)]
struct SettingsInStatement {
    settings: Settings,
    changes: Vec<SettingChange>,
}

/// One `set_config(name, value, is_local)` call.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingChange {
    pub name: String,
    pub value: SettingValue,
    /// `is_local`: as `SET LOCAL`, until the end of the transaction.
    pub local: bool,
}

impl StatementSettings {
    pub fn new(settings: Settings) -> StatementSettings {
        StatementSettings(Arc::new(Mutex::new(SettingsInStatement {
            settings,
            changes: Vec::new(),
        })))
    }

    /// `current_setting(name [, missing_ok])`: the value `SHOW name` shows; None
    /// for an unknown name when `missing_ok`, 42704 otherwise.
    pub fn current(&self, name: &str, missing_ok: bool) -> Result<Option<String>, SqlError> {
        match self.0.lock().settings.show(name) {
            Ok((_, value)) => Ok(Some(value)),
            Err(SqlError::UndefinedObject(_)) if missing_ok => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `set_config(name, value, is_local)`: checks and makes the change as `SET`
    /// does, and returns the new value as `SHOW` shows it.
    pub fn set(&self, change: SettingChange) -> Result<String, SqlError> {
        let mut state = self.0.lock();
        // Local or not, the change lasts as long as this copy: to the statement's
        // end, or further once the session applies it.
        state.settings.set(&change.name, change.value.clone())?;
        let (_, value) = state.settings.show(&change.name)?;
        state.changes.push(change);
        Ok(value)
    }

    /// The changes made so far, in order, for the session to keep.
    pub fn take_changes(&self) -> Vec<SettingChange> {
        std::mem::take(&mut self.0.lock().changes)
    }
}

/// How a running statement learns that it must stop: a deadline
/// (`statement_timeout`) and a flag a cancel request sets. Executors call
/// [`Interrupt::check`] every so many rows, so a long scan under the read lock
/// stops promptly and releases the lock; a write still queued for the lock waits
/// on [`Interrupt::lock_wait_over`] to withdraw, which `lock_timeout` also ends.
#[derive(Debug, Clone, Default)]
pub struct Interrupt {
    deadline: Option<Instant>,
    /// `lock_timeout`: how long a write may wait for the write lock.
    lock_timeout: Option<Duration>,
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
    pub fn with_notify(
        deadline: Option<Instant>,
        lock_timeout: Option<Duration>,
        cancel_notify: Arc<Notify>,
    ) -> Interrupt {
        Interrupt {
            deadline,
            lock_timeout,
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

    /// Completes once a wait for the write lock that starts when this is first
    /// polled must end: when the statement must stop ([`Interrupt::stopped`]),
    /// or once `lock_timeout` has passed. A write queued for the lock withdraws
    /// then (see [`stopped_error`](super::engine::stopped_error) for the answer).
    pub async fn lock_wait_over(&self) {
        match self.lock_timeout {
            Some(timeout) => {
                let _ = tokio::time::timeout(timeout, self.stopped()).await;
            }
            None => self.stopped().await,
        }
    }

    /// The flag [`Interrupt::cancel`] sets, for code that watches it from elsewhere
    /// (a module call's epoch callback).
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        self.cancelled.clone()
    }

    /// The `statement_timeout` deadline, if there is one.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
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
