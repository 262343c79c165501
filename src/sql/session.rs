//! One client's session: its settings, its transaction block state, and the
//! statement runner that applies both around the engine.
//!
//! The wire layer owns one [`Session`] per connection and hands it parsed statements.
//! Session commands (`SET`, `SHOW`, `RESET`, `BEGIN`, `COMMIT`, `ROLLBACK`, …) are
//! answered here; everything else goes to the [`Engine`], with a [`QueryContext`]
//! carrying the session's time zone and an [`Interrupt`] armed with
//! `statement_timeout`.
//!
//! # Transaction blocks
//! Between `BEGIN` and `COMMIT` the session keeps a [`Block`]: the block's writes,
//! what it read, and who observed what. No lock is held between statements; COMMIT
//! validates and applies the block as one write transaction or answers 40001 (see
//! [`super::block`] for the whole story). As in PostgreSQL, once a statement in a
//! block fails, everything but `ROLLBACK`/`COMMIT` answers 25P02 until the block
//! ends, `COMMIT` of a failed block answers `ROLLBACK`, and a COMMIT that fails
//! ends the block. As in PostgreSQL, `SET` is transactional: `ROLLBACK` (or `COMMIT`
//! of a failed block) restores the settings of `BEGIN`, and `SET LOCAL` lasts until
//! the block ends. A statement's `set_config` calls change settings as `SET` and
//! `SET LOCAL` do, applied when the statement succeeds (see `StatementSettings`);
//! a string or batch that calls it is an implicit transaction, as one with `SET`.
//! A block's cursors (`DECLARE`, `FETCH`, `MOVE`, `CLOSE`) are the session's too,
//! closed at its end but for those declared `WITH HOLD` (see `cursor`).
//!
//! # Statement timeout
//! `statement_timeout` applies to every statement. The executor checks the interrupt
//! as it runs, so a long scan stops and releases the read lock, and a long write stops
//! and is rolled back before the write lock is released (it has not committed, so
//! 57014 is the truth). For reads the session also races the reply against the
//! deadline so the client hears 57014 on time even while the statement is still
//! queued. A write is raced only while it waits for the lock: the turnstile
//! withdraws it when its interrupt fires (a cancel request or the deadline) before
//! it has started, so it never runs; once it has started it may commit, and
//! reporting 57014 for a committed write would be a lie, so from then on a write's
//! 57014 comes from the executor only.
//!
//! # Calls that act on the session
//! Advisory locks, `pg_notify` and `pg_sleep` act on the session, not on the
//! data, and the session does what they ask once the statement is done, with no
//! lock held: it waits for a busy advisory lock and runs the statement again
//! (`sql::advisory`), sleeps (`run_engine`), and sends notifications when the
//! statement's transaction commits (`sql::notify`). Each statement records what
//! its calls asked in a `StatementCalls` of its own; which statements may call
//! them at all is `SessionCalls`.

mod copy;
mod cursor;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlparser::ast::{
    ContextModifier, Expr, Lock, LockTableMode, ObjectName, Set, Statement, TransactionAccessMode,
    TransactionMode, UnaryOperator, Value as AstValue,
};

use super::activity::{SessionActivity, WaitEvent};
use super::advisory::{LockWanted, SessionLocks};
use super::block::{Block, BlockStatement, SessionAtSavepoint};
use super::context::{SessionCalls, SessionHandles, StatementCalls};
use super::context::{SessionSequences, StatementSettings};
use super::notify::{self, ListenChange, Listener, Notification, PendingNotify};
use super::parse::{self, calls_function};
use super::plan_cache::{ParsedText, PreparedStatement, TextCache};
use super::settings::{SettingValue, Settings};
use super::{
    ident, ColumnInfo, CommandTag, Description, Engine, Interrupt, Notice, Output, QueryContext,
    SqlError,
};
use crate::types::{cast, CastKind, DataType, TimeZone, Value};
use crate::Error;
use cursor::{cursor_command, CursorCommand, Cursors};

/// Where the session is with respect to a transaction block; the wire layer turns it
/// into ReadyForQuery's status byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionState {
    /// No block: every statement commits on its own (`I`).
    Idle,
    /// Inside `BEGIN … COMMIT` (`T`).
    InBlock,
    /// A statement in the block failed; only `ROLLBACK`/`COMMIT` are accepted (`E`).
    Failed,
}

/// Lets a cancel request, which arrives on another connection, stop this session's
/// running statement.
#[derive(Debug, Default)]
pub struct CancelHandle {
    /// The running statement's interrupt, or None between statements. Held
    /// only to swap or copy the value, never across an await.
    current: parking_lot::Mutex<Option<Interrupt>>,
    /// What every interrupt of this session wakes its waiters through.
    notify: Arc<tokio::sync::Notify>,
    /// Set by `pg_terminate_backend`: from then on every statement is stopped
    /// as it starts, while the wire layer ends the session.
    terminating: AtomicBool,
}

impl CancelHandle {
    /// A new statement's interrupt, with `deadline` if it has one, and the
    /// `lock_timeout` of `settings`.
    fn interrupt(&self, deadline: Option<Instant>, settings: &Settings) -> Interrupt {
        let interrupt =
            Interrupt::with_notify(deadline, settings.lock_timeout(), self.notify.clone());
        if self.is_terminating() {
            interrupt.cancel();
        }
        interrupt
    }

    /// `pg_terminate_backend`: stops the running statement and every one
    /// after it (see `SessionActivity::terminate`).
    pub fn terminate(&self) {
        self.terminating.store(true, Ordering::Relaxed);
        self.cancel();
    }

    pub fn is_terminating(&self) -> bool {
        self.terminating.load(Ordering::Relaxed)
    }

    /// The running statement's interrupt from now on; None between statements.
    fn set_running(&self, interrupt: Option<Interrupt>) {
        *self.current.lock() = interrupt;
    }

    /// Asks the running statement, if any, to stop with 57014.
    pub fn cancel(&self) {
        if let Some(interrupt) = self.current.lock().as_ref() {
            interrupt.cancel();
        }
    }
}

/// A session command, recognized before anything reaches the engine.
enum Command {
    Set(String, SettingValue),
    /// `SET LOCAL`: lasts until the end of the block; outside one it does nothing,
    /// as in PostgreSQL (which also warns).
    SetLocal(String, SettingValue),
    Show(String),
    ShowAll,
    Reset(String),
    ResetAll,
    /// `BEGIN` or `START TRANSACTION` (the tag), `READ ONLY` or not.
    Begin(&'static str, bool),
    Commit,
    Rollback,
    Savepoint(String),
    Release(String),
    RollbackTo(String),
    /// `SET TRANSACTION …`: `READ ONLY` makes the current block read-only; every
    /// isolation level is served as serializable, so nothing else changes.
    SetTransaction(bool),
    /// `SET CONSTRAINTS`: the foreign keys `names` (None for all) deferred or
    /// not for the rest of the block. In a block the engine runs it (see
    /// `Session::set_constraints`); outside one it does nothing, as in
    /// PostgreSQL, which also warns.
    SetConstraints {
        names: Option<Vec<String>>,
        deferred: bool,
    },
    /// `LOCK TABLE … IN ACCESS SHARE MODE`: in a block the engine checks the
    /// names (see `Session::lock_tables`); outside one it is 25P01, as in
    /// PostgreSQL.
    LockTables(Vec<ObjectName>),
    /// `DECLARE … CURSOR`, `FETCH`, `MOVE`, `CLOSE`: run by `Session::execute`
    /// (see `session::cursor`).
    Cursor(CursorCommand),
    /// `LISTEN`, `UNLISTEN`, `NOTIFY`: at once outside a block, at its COMMIT
    /// inside one (see `sql::notify`).
    Notify(PendingNotify),
    /// Recognized, valid PostgreSQL, not implemented: the message for 0A000.
    Unsupported(String),
}

impl Command {
    /// `SET`, `SET LOCAL`, `RESET`: what a transaction's end keeps or undoes.
    fn changes_settings(&self) -> bool {
        matches!(
            self,
            Command::Set(..) | Command::SetLocal(..) | Command::Reset(_) | Command::ResetAll
        )
    }
}

/// Functions whose effect depends on how their transaction ends: `set_config`
/// (what it sets, a later error undoes, as `SET`'s), `pg_notify` (sent when it
/// commits) and the transaction-level advisory locks (held to its end). A query
/// string or extended-protocol batch calling one is one implicit transaction,
/// as in PostgreSQL, so that the effect spans the whole of it.
const TRANSACTION_FUNCTIONS: &[&str] = &[
    "set_config",
    "pg_notify",
    "pg_advisory_xact_lock",
    "pg_advisory_xact_lock_shared",
    "pg_try_advisory_xact_lock",
    "pg_try_advisory_xact_lock_shared",
];

/// What a string of several statements holds (see `Session::string_kinds`).
#[derive(Default)]
struct StringKinds {
    /// Statements that change data or schema.
    writes: bool,
    /// Session commands (SET, SHOW, BEGIN, …).
    commands: bool,
    /// Session commands that change settings (SET, RESET).
    settings: bool,
    /// Statements that live in a transaction block: a cursor's (a string that
    /// declares one and fetches from it is one implicit block), LOCK TABLE
    /// (which holds its lock to the string's end), the notifications' (sent
    /// when the string's transaction commits), and those calling one of
    /// [`TRANSACTION_FUNCTIONS`].
    block_statements: bool,
}

/// One connection's state above the wire protocol.
pub struct Session {
    /// The shared SQL engine; sessions never touch the database lock themselves.
    engine: Arc<Engine>,
    /// SET/SHOW/RESET state.
    settings: Settings,
    /// Block state, for ReadyForQuery and for refusing statements in a failed block.
    transaction: TransactionState,
    /// Shared with the server's cancel registry.
    cancel: Arc<CancelHandle>,
    /// Recent simple-query texts, parsed and planned, so that a repeated text skips
    /// the parser, the binder and the planner.
    texts: TextCache,
    /// Most rows one statement's result may hold, handed to the executor in every
    /// [`QueryContext`] (the server's `--max-rows-per-statement`).
    rows_max: usize,
    /// Inside a block: the settings as they were at BEGIN, which ROLLBACK (and
    /// COMMIT of a failed block) restores, since SET is transactional in PostgreSQL.
    /// What COMMIT keeps, the settings hold themselves (see `Settings::set_local`).
    settings_at_begin: Option<Settings>,
    /// Inside a block: its writes and reads, for COMMIT.
    block: Option<Block>,
    /// Most rows a block may change (`--max-block-changes`).
    block_changes_max: usize,
    /// The block is a query string's implicit transaction (see
    /// [`Session::begin_implicit`]), not one the client opened with BEGIN.
    implicit: bool,
    /// The process id the client got in BackendKeyData, for `pg_backend_pid()`.
    backend_pid: i32,
    /// What the session's `nextval` calls gave, for `currval` and `lastval`.
    sequences: Arc<SessionSequences>,
    /// The open cursors (see `session::cursor`).
    cursors: Cursors,
    /// The advisory locks the session holds (see `sql::advisory`).
    locks: Arc<SessionLocks>,
    /// The session's queue of notifications and the channels it listens on
    /// (see `sql::notify`).
    listener: Listener,
    /// The channels it listens on, for `pg_listening_channels()`.
    listening: Arc<[String]>,
    /// What the running (or last) statement's calls asked of the session;
    /// each statement gets its own (see `StatementCalls`).
    statement_calls: Arc<StatementCalls>,
    /// Where `pg_stat_activity` learns what the session waits for; None for a
    /// session the wire layer did not register.
    activity: Option<Arc<SessionActivity>>,
    /// Inside a block: its LISTEN, UNLISTEN and NOTIFY, each with the number of
    /// savepoints open when it ran (as cursors keep theirs), for COMMIT.
    pending_notify: Vec<(usize, PendingNotify)>,
    /// The bytes of the notifications in `pending_notify`.
    pending_notify_bytes: usize,
    /// The warnings a statement raised before it failed, for the wire layer to
    /// send ahead of its error, as PostgreSQL sends them as they happen.
    warnings_of_failed: Vec<Notice>,
}

impl Session {
    pub fn new(engine: Arc<Engine>, settings: Settings) -> Session {
        Session {
            settings,
            transaction: TransactionState::Idle,
            cancel: Arc::default(),
            texts: TextCache::default(),
            rows_max: usize::MAX,
            settings_at_begin: None,
            block: None,
            block_changes_max: usize::MAX,
            implicit: false,
            backend_pid: 0,
            sequences: Arc::default(),
            cursors: Cursors::default(),
            locks: Arc::new(engine.session_locks(0)),
            listener: engine.notify_hub().listener(0),
            listening: Arc::from([]),
            statement_calls: Arc::default(),
            activity: None,
            pending_notify: Vec::new(),
            pending_notify_bytes: 0,
            warnings_of_failed: Vec::new(),
            engine,
        }
    }

    /// Sets the process id the wire layer gave the client (BackendKeyData).
    pub fn set_backend_pid(&mut self, pid: i32) {
        self.backend_pid = pid;
        self.locks = Arc::new(self.engine.session_locks(pid));
        self.listener = self.engine.notify_hub().listener(pid);
    }

    /// Where the session's waits are shown (`pg_stat_activity`).
    pub fn set_activity(&mut self, activity: Arc<SessionActivity>) {
        self.activity = Some(activity);
    }

    /// The running statement starts (`Some`) or stops (`None`) waiting.
    fn set_wait_event(&self, wait_event: Option<WaitEvent>) {
        if let Some(activity) = &self.activity {
            activity.set_wait_event(wait_event);
        }
    }

    /// Sleeps what the statement's `pg_sleep` calls asked, unless `interrupt`
    /// stops it first.
    async fn sleep(&self, owed: Duration, interrupt: &Interrupt) -> Result<(), Error> {
        self.set_wait_event(Some(WaitEvent::Sleep));
        let slept = tokio::select! {
            () = tokio::time::sleep(owed) => Ok(()),
            () = interrupt.stopped() => Err(interrupt
                .check()
                .err()
                .unwrap_or_else(|| SqlError::QueryCanceled("statement timeout".into()))
                .into()),
        };
        self.set_wait_event(None);
        slept
    }

    /// Waits for another session's advisory lock (see `sql::advisory`).
    async fn wait_for_lock(&self, wanted: LockWanted, interrupt: &Interrupt) -> Result<(), Error> {
        self.statement_calls.run_again(&self.locks, false);
        self.set_wait_event(Some(WaitEvent::AdvisoryLock));
        let waited = self.locks.wait(wanted, interrupt).await;
        self.set_wait_event(None);
        Ok(waited?)
    }

    /// True if the session listens on a channel (`LISTEN`).
    pub fn listens(&self) -> bool {
        !self.listening.is_empty()
    }

    /// The next notification for the client, once one is queued. The wire
    /// layer sends them only between transactions (see `sql::notify`).
    pub async fn next_notification(&mut self) -> Notification {
        self.listener.next().await
    }

    /// The next notification queued, if one is.
    pub fn try_next_notification(&mut self) -> Option<Notification> {
        if !self.listener.has_listened() {
            return None;
        }
        self.listener.try_next()
    }

    /// Caps the rows one transaction block may change (54000 over it).
    pub fn set_block_changes_max(&mut self, changes_max: usize) {
        self.block_changes_max = changes_max;
    }

    /// Caps the rows of every statement's result from now on (54000 over it).
    pub fn set_rows_max(&mut self, rows_max: usize) {
        self.rows_max = rows_max;
    }

    /// The statements of a simple-query text, from the session's cache of recent
    /// texts or parsed now, with the parameters of a templated one.
    pub fn parse_cached(&mut self, sql: &str) -> Result<ParsedText, SqlError> {
        self.texts.get_or_parse(sql)
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn settings_mut(&mut self) -> &mut Settings {
        &mut self.settings
    }

    pub fn transaction_state(&self) -> TransactionState {
        self.transaction
    }

    /// The catalog's version now (see [`Engine::catalog_version`]).
    pub async fn catalog_version(&self) -> Result<u64, Error> {
        self.engine.catalog_version().await
    }

    /// The handle a cancel request for this session uses.
    pub fn cancel_handle(&self) -> Arc<CancelHandle> {
        self.cancel.clone()
    }

    /// Marks the block failed after an error the session did not see (a protocol-level
    /// error in an extended-query batch, e.g. a bad Bind), as PostgreSQL does.
    pub fn fail_block(&mut self) {
        if self.transaction == TransactionState::InBlock {
            self.transaction = TransactionState::Failed;
        }
    }

    /// The parameter and result types of `stmt`, without running it (Describe).
    pub async fn describe(
        &self,
        stmt: &Statement,
        param_hints: &[Option<DataType>],
    ) -> Result<Description, Error> {
        match command(stmt)? {
            Some(Command::Show(name)) => {
                let (name, _) = self.settings.show(&name)?;
                Ok(Description {
                    params: vec![],
                    columns: vec![ColumnInfo::computed(name, DataType::Text)],
                })
            }
            Some(Command::ShowAll) => Ok(Description {
                params: vec![],
                columns: show_all_columns(),
            }),
            Some(Command::Cursor(cursor)) => {
                self.describe_cursor_command(cursor, param_hints).await
            }
            Some(_) => Ok(Description::default()),
            None => self.describe_engine(stmt, param_hints).await,
        }
    }

    /// The parameter and result types of `stmt`, a statement the engine runs.
    async fn describe_engine(
        &self,
        stmt: &Statement,
        param_hints: &[Option<DataType>],
    ) -> Result<Description, Error> {
        if self.transaction == TransactionState::Failed {
            return Err(SqlError::InFailedTransaction.into());
        }
        match &self.block {
            Some(block) => {
                self.engine
                    .describe_in_block(block, stmt, param_hints)
                    .await
            }
            None => self.engine.describe(stmt, param_hints).await,
        }
    }

    /// Runs one statement with its bound parameters.
    pub async fn execute(
        &mut self,
        prepared: &PreparedStatement,
        params: &[Value],
    ) -> Result<Output, Error> {
        let result = match command(prepared.statement()) {
            // Boxed, as is every path a plain statement does not take: a
            // future is moved whole, at its largest state's size, so the
            // rarer paths' states would cost every statement its copies.
            Ok(Some(Command::Commit)) if self.transaction == TransactionState::InBlock => {
                Box::pin(self.commit()).await
            }
            Ok(Some(Command::SetConstraints { names, deferred }))
                if self.transaction == TransactionState::InBlock =>
            {
                Box::pin(self.set_constraints(names, deferred)).await
            }
            Ok(Some(Command::LockTables(names)))
                if self.transaction == TransactionState::InBlock =>
            {
                Box::pin(self.lock_tables(names)).await
            }
            Ok(Some(Command::Cursor(cursor))) => {
                Box::pin(self.run_cursor_command(cursor, prepared, params)).await
            }
            Ok(Some(cmd)) => self.run_command(cmd),
            Ok(None) => self.run_engine(prepared, params).await,
            Err(e) => Err(e.into()),
        };
        if result.is_err() {
            self.fail_block();
        }
        result
    }

    /// COMMIT of a block that has not failed: the engine validates and applies
    /// it; either way the block is over (a COMMIT that fails rolls it back, as in
    /// PostgreSQL).
    async fn commit(&mut self) -> Result<Output, Error> {
        let block = self.block.take().unwrap_or_default();
        let created_sequences = block.created_sequences();
        let interrupt = self.cancel.interrupt(None, &self.settings);
        // A write made again here made its `set_config` changes when it first
        // ran: what it changes now is not kept.
        let ctx = self.context(&interrupt);
        // Blocks with notifications commit and send them one at a time, so
        // that listeners get them in commit order (see `sql::notify`).
        let notifies = self
            .pending_notify
            .iter()
            .any(|(_, pending)| matches!(pending, PendingNotify::Notify { .. }));
        let _in_order = if notifies {
            Some(self.listener.hub().commit_order().await)
        } else {
            None
        };
        match self.engine.commit_block(block, &ctx).await {
            Ok(()) => self.run_command(Command::Commit),
            Err(e) => {
                self.sequences.forget(&created_sequences);
                self.end_block(false);
                Err(e)
            }
        }
    }

    /// `SET CONSTRAINTS` in a block that has not failed: the engine checks the
    /// names, and the keys made immediate, and the block keeps the new modes.
    async fn set_constraints(
        &mut self,
        names: Option<Vec<String>>,
        deferred: bool,
    ) -> Result<Output, Error> {
        let Some(block) = &mut self.block else {
            return self.run_command(Command::SetConstraints { names, deferred });
        };
        let modes = self.engine.set_constraints(block, names, deferred).await?;
        block.set_constraint_modes(modes);
        Ok(Output::Command(CommandTag::new("SET CONSTRAINTS")))
    }

    /// `LOCK TABLE … IN ACCESS SHARE MODE` in a block that has not failed. The
    /// lock keeps others from altering or dropping the tables until the block
    /// ends; a block already fails (40001) if any schema change commits during
    /// it, so the lock needs only the tables to exist, and to mark where the
    /// block's view of the schema starts.
    async fn lock_tables(&mut self, names: Vec<ObjectName>) -> Result<Output, Error> {
        let interrupt = self.statement_interrupt();
        let Some(block) = &mut self.block else {
            return self.run_command(Command::LockTables(names));
        };
        self.cancel.set_running(Some(interrupt.clone()));
        let locked = self.engine.lock_tables(block, names, &interrupt).await;
        self.cancel.set_running(None);
        block.note_schema_commits(locked?);
        Ok(Output::Command(CommandTag::new("LOCK TABLE")))
    }

    async fn run_engine(
        &mut self,
        prepared: &PreparedStatement,
        params: &[Value],
    ) -> Result<Output, Error> {
        if self.transaction == TransactionState::Failed {
            return Err(SqlError::InFailedTransaction.into());
        }
        if self.block.is_some() && matches!(prepared.statement(), Statement::Vacuum(_)) {
            return Err(SqlError::ActiveTransactionBlock("VACUUM").into());
        }
        if prepared.is_write() && self.block.as_ref().is_some_and(Block::is_read_only) {
            return Err(SqlError::ReadOnlyTransaction(command_name(prepared.statement())).into());
        }
        let interrupt = self.statement_interrupt();
        self.cancel.set_running(Some(interrupt.clone()));
        self.begin_statement_calls();
        let result = loop {
            match self.run_engine_once(prepared, params, &interrupt).await {
                // Another session holds an advisory lock the statement takes:
                // wait for it with no lock held, then run the statement again.
                Err(Error::Sql(SqlError::AdvisoryLockBusy(wanted))) => {
                    if let Err(e) = Box::pin(self.wait_for_lock(wanted, &interrupt)).await {
                        break Err(e);
                    }
                }
                result => break result,
            }
        };
        // pg_sleep: the statement is done, and only a query may sleep (see
        // `SessionCalls`), so a cancel or the timeout meanwhile undoes nothing
        // the client would not be told of.
        let owed = self.statement_calls.sleep.take();
        let result = match result {
            Ok(output) if !owed.is_zero() => Box::pin(self.sleep(owed, &interrupt))
                .await
                .map(|()| output),
            result => result,
        };
        self.cancel.set_running(None);
        let warnings = self.end_statement(result.is_ok());
        match result {
            Ok(mut output) => {
                output.add_notices(warnings);
                Ok(output)
            }
            Err(e) => {
                self.warnings_of_failed = warnings;
                Err(e)
            }
        }
    }

    /// The warnings the statement that failed last raised before its error
    /// (taken once).
    pub fn take_warnings_of_failed(&mut self) -> Vec<Notice> {
        std::mem::take(&mut self.warnings_of_failed)
    }

    /// A statement (or a string's statements) begins: a fresh record of what
    /// its calls ask of the session. The last statement's is reset in place
    /// when no run of it is still going on (as almost always), saving an
    /// allocation per statement.
    fn begin_statement_calls(&mut self) {
        match Arc::get_mut(&mut self.statement_calls) {
            Some(calls) if !calls.used() => {}
            Some(calls) => *calls = StatementCalls::default(),
            None => self.statement_calls = Arc::default(),
        }
    }

    /// Ends a statement (or a string's statements), which succeeded if `ok`:
    /// its `pg_notify` calls join its transaction's notifications (and are
    /// sent, if it was a transaction of its own, whose transaction-level
    /// advisory locks then end). Hands over the warnings its calls made,
    /// for its output.
    fn end_statement(&mut self, ok: bool) -> Vec<Notice> {
        let mut warnings = Vec::new();
        if self.statement_calls.used() {
            self.locks.end_statement(&self.statement_calls.locks);
            warnings = std::mem::take(&mut *self.statement_calls.warnings.lock());
            let notified = self.statement_calls.notifications.take();
            if ok {
                for (channel, payload) in notified {
                    self.notify(PendingNotify::Notify { channel, payload });
                }
            }
        }
        if self.block.is_none() {
            self.locks.end_transaction();
        }
        warnings
    }

    /// A LISTEN, UNLISTEN or NOTIFY of the transaction now: done at once
    /// outside a block, at its COMMIT inside one.
    fn notify(&mut self, pending: PendingNotify) {
        match &self.block {
            Some(block) => {
                self.pending_notify_bytes += notify::bytes(std::iter::once(&pending));
                self.pending_notify.push((block.savepoints_open(), pending));
            }
            None => self.commit_notify(vec![pending]),
        }
    }

    /// Its transaction committed: the LISTENs and UNLISTENs take effect, then
    /// the notifications are sent (to the session too, if it listens).
    fn commit_notify(&mut self, committed: Vec<PendingNotify>) {
        let mut notifications = Vec::new();
        let mut listening_changed = false;
        for pending in committed {
            match pending {
                PendingNotify::Listen(change) => {
                    self.listener.apply(change);
                    listening_changed = true;
                }
                PendingNotify::Notify { channel, payload } => notifications.push(Notification {
                    pid: self.backend_pid,
                    channel,
                    payload,
                }),
            }
        }
        if listening_changed {
            self.listening = self.listener.channels().map(str::to_owned).collect();
        }
        if !notifications.is_empty() {
            self.listener.hub().send(notifications);
        }
    }

    /// Runs a statement once: what the client gets, unless it must wait for an
    /// advisory lock and run again (see [`Session::run_engine`]).
    async fn run_engine_once(
        &mut self,
        prepared: &PreparedStatement,
        params: &[Value],
        interrupt: &Interrupt,
    ) -> Result<Output, Error> {
        let is_write = prepared.is_write();
        let mut ctx = self.context(interrupt);
        let settings = ctx.settings.clone();
        ctx.session_calls = match (is_write, &self.block) {
            (false, _) => SessionCalls::All,
            (true, None) => SessionCalls::NoSleep,
            (true, Some(_)) => SessionCalls::None,
        };
        if let Some(block) = &mut self.block {
            // In a block every statement reports back to it, so it is never raced
            // against the deadline: the executor's own 57014 fails the block.
            let result =
                match Box::pin(self.engine.execute_in_block(block, prepared, params, &ctx)).await {
                    Ok(ran) => {
                        let statement = BlockStatement::Sql {
                            statement: prepared.shared_statement(),
                            params: params.into(),
                            param_types: prepared.param_types(),
                            plan: ran.write_plan(),
                        };
                        block.absorb(ran, statement, &ctx).map_err(Error::from)
                    }
                    Err(e) => Err(e),
                };
            let output = result?;
            self.keep_setting_changes(&settings)?;
            return Ok(output);
        }
        let running = self.engine.execute(prepared, params, ctx);
        let result = match interrupt.deadline() {
            Some(deadline) if !is_write => {
                match tokio::time::timeout_at(deadline.into(), running).await {
                    Ok(result) => result,
                    Err(_) => {
                        // The executor sees the same deadline and stops on its own; this
                        // makes sure it does even if it has not checked yet.
                        interrupt.cancel();
                        Err(SqlError::QueryCanceled("statement timeout".into()).into())
                    }
                }
            }
            _ => running.await,
        };
        let output = result?;
        self.keep_setting_changes(&settings)?;
        Ok(output)
    }

    /// Applies what a statement that succeeded changed with `set_config` (the
    /// `settings` of its context), as `SET` and `SET LOCAL` apply it. A failed
    /// statement's changes are dropped, as PostgreSQL rolls back what a failed
    /// transaction set.
    fn keep_setting_changes(&mut self, settings: &StatementSettings) -> Result<(), SqlError> {
        for change in settings.take_changes() {
            if change.local {
                self.settings.set_local(&change.name, change.value)?;
            } else {
                self.settings.set(&change.name, change.value)?;
            }
        }
        Ok(())
    }

    /// The context of a statement run now under `interrupt`.
    fn context(&self, interrupt: &Interrupt) -> QueryContext {
        QueryContext {
            statement_time_us: crate::types::now_us(),
            interrupt: interrupt.clone(),
            time_zone: self.settings.time_zone().clone(),
            extra_float_digits: self.settings.text_style().extra_float_digits,
            durability: self.settings.durability(),
            confirmed_reads: self.settings.confirmed_reads(),
            settings: StatementSettings::new(self.settings.clone()),
            status: None,
            activities: None,
            rows_max: self.rows_max,
            user: self.settings.user().clone(),
            database: self.settings.database().clone(),
            backend_pid: self.backend_pid,
            modules: None,
            reads: None,
            overlay: None,
            sequences: self.sequences.clone(),
            session: Some(SessionHandles {
                locks: self.locks.clone(),
                notify_hub: self.listener.hub().clone(),
                pending_notify_bytes: self.pending_notify_bytes,
                listening: self.listening.clone(),
                calls: self.statement_calls.clone(),
            }),
            // What may call them says so (`run_engine`, `execute_batch`).
            session_calls: SessionCalls::None,
        }
    }

    /// True if the statements of one simple-query string must run as one implicit
    /// transaction in one write request ([`Session::execute_batch`]): several
    /// statements, at least one of them a write and none a session command,
    /// outside a block, as PostgreSQL runs such a string. Session commands
    /// (transaction control, SET, SHOW, RESET) cannot run inside the write
    /// request on the writer thread; a string that mixes them with writes runs
    /// statement by statement in an implicit block instead
    /// ([`Session::wants_implicit_block`]).
    pub fn needs_implicit_transaction(
        &self,
        statements: &[Arc<PreparedStatement>],
    ) -> Result<bool, SqlError> {
        let kinds = self.string_kinds(statements)?;
        Ok(kinds.writes && !kinds.commands)
    }

    /// True if a simple-query string run statement by statement must still be
    /// one implicit transaction, as PostgreSQL runs it: several statements, at
    /// least one a write, a change of settings (`SET`, `RESET`, which an error
    /// later in the string undoes, and a `SET LOCAL`, which lasts to its end), a
    /// cursor statement (a cursor lives in a block) or LOCK TABLE, outside a
    /// block. See
    /// [`Session::begin_implicit`].
    pub fn wants_implicit_block(
        &self,
        statements: &[Arc<PreparedStatement>],
    ) -> Result<bool, SqlError> {
        let kinds = self.string_kinds(statements)?;
        Ok(kinds.writes || kinds.settings || kinds.block_statements)
    }

    /// What a string of several statements, sent outside a block, holds; nothing
    /// for anything else.
    fn string_kinds(&self, statements: &[Arc<PreparedStatement>]) -> Result<StringKinds, SqlError> {
        let mut kinds = StringKinds::default();
        if statements.len() < 2 || self.transaction != TransactionState::Idle {
            return Ok(kinds);
        }
        for prepared in statements {
            match command(prepared.statement())? {
                Some(command) => {
                    kinds.commands = true;
                    kinds.settings |= command.changes_settings();
                    kinds.block_statements |= matches!(
                        command,
                        Command::Cursor(_) | Command::LockTables(_) | Command::Notify(_)
                    );
                }
                None => {
                    kinds.writes |= prepared.is_write();
                    kinds.block_statements |=
                        calls_function(prepared.statement(), TRANSACTION_FUNCTIONS);
                }
            }
        }
        Ok(kinds)
    }

    /// True if no block is open and `prepared` changes data or schema (DML, DDL,
    /// CALL) or settings (SET, SET LOCAL, RESET), or calls one of
    /// [`TRANSACTION_FUNCTIONS`], or is LISTEN, UNLISTEN or NOTIFY (not another
    /// session command, nor a malformed one, which fails when it runs):
    /// in an extended-protocol batch that more statements follow before Sync, it
    /// opens the batch's implicit transaction (see [`Session::begin_implicit`]),
    /// which an error before the Sync rolls back, settings included.
    pub fn opens_implicit_transaction(&self, prepared: &PreparedStatement) -> bool {
        self.transaction == TransactionState::Idle
            && match command(prepared.statement()) {
                Ok(None) => {
                    prepared.is_write()
                        || calls_function(prepared.statement(), TRANSACTION_FUNCTIONS)
                }
                Ok(Some(command)) => {
                    command.changes_settings() || matches!(command, Command::Notify(_))
                }
                Err(_) => false,
            }
    }

    /// Opens a query string's implicit transaction if no block is open: a block
    /// that [`Session::end_implicit`] commits when the string ends and rolls back
    /// at its first error, as PostgreSQL runs a string of several statements. A
    /// BEGIN in the string makes it an ordinary block (the statements before it
    /// included); a COMMIT or ROLLBACK in it ends it, and the caller opens the
    /// next for the statements after.
    pub fn begin_implicit(&mut self) {
        if self.transaction == TransactionState::Idle {
            self.open_block();
            self.implicit = true;
        }
    }

    /// Ends the implicit transaction, if one is open: commits it (`ok`) or rolls
    /// it back. Any failure to commit is the string's error.
    pub async fn end_implicit(&mut self, ok: bool) -> Result<(), Error> {
        if !self.implicit {
            return Ok(());
        }
        self.implicit = false;
        if ok && self.transaction == TransactionState::InBlock {
            self.commit().await.map(drop)
        } else {
            self.end_block(false);
            Ok(())
        }
    }

    /// Runs the statements of one simple-query string as one write transaction
    /// (see [`Engine::execute_batch`]): the outputs of those that ran, and the error
    /// of the one that failed, after which nothing of the string is committed.
    /// `statement_timeout` covers the whole string, as PostgreSQL applies it to each
    /// query message; a cancel request reaches every statement of it.
    pub async fn execute_batch(
        &mut self,
        statements: &[Arc<PreparedStatement>],
    ) -> (Vec<Output>, Option<Error>) {
        let interrupt = self.statement_interrupt();
        self.cancel.set_running(Some(interrupt.clone()));
        self.begin_statement_calls();
        let (outputs, error) = loop {
            let mut ctx = self.context(&interrupt);
            ctx.session_calls = SessionCalls::NoSleep;
            match self.engine.execute_batch(statements, &ctx).await {
                // As in `run_engine`; nothing of the string committed.
                (_, Some(Error::Sql(SqlError::AdvisoryLockBusy(wanted)))) => {
                    if let Err(e) = Box::pin(self.wait_for_lock(wanted, &interrupt)).await {
                        break (Vec::new(), Some(e));
                    }
                }
                (outputs, Some(e)) => break (outputs, Some(e)),
                (outputs, None) => match self.keep_setting_changes(&ctx.settings) {
                    Ok(()) => break (outputs, None),
                    Err(e) => break (outputs, Some(e.into())),
                },
            }
        };
        self.cancel.set_running(None);
        let warnings = self.end_statement(error.is_none());
        let mut outputs = outputs;
        match (&error, outputs.last_mut()) {
            (Some(_), _) => self.warnings_of_failed = warnings,
            (None, Some(last)) => last.add_notices(warnings),
            (None, None) => {}
        }
        (outputs, error)
    }

    fn run_command(&mut self, cmd: Command) -> Result<Output, Error> {
        let state = self.transaction;
        let ends_block = matches!(
            cmd,
            Command::Commit | Command::Rollback | Command::RollbackTo(_)
        );
        if state == TransactionState::Failed && !ends_block {
            return Err(SqlError::InFailedTransaction.into());
        }
        // A query string's implicit transaction has no savepoints (25P01).
        if self.implicit {
            match &cmd {
                Command::Savepoint(_) => {
                    return Err(SqlError::NoActiveTransaction("SAVEPOINT").into())
                }
                Command::Release(_) => {
                    return Err(SqlError::NoActiveTransaction("RELEASE SAVEPOINT").into())
                }
                Command::RollbackTo(_) => {
                    return Err(SqlError::NoActiveTransaction("ROLLBACK TO SAVEPOINT").into())
                }
                _ => {}
            }
        }
        // What PostgreSQL warns about: block commands where they change nothing.
        let idle = state == TransactionState::Idle;
        let notice = match &cmd {
            // BEGIN in a query string's implicit transaction makes it explicit.
            Command::Begin(..) if self.implicit => None,
            Command::Begin(..) if !idle => Some(Notice::TransactionInProgress),
            // Also in an implicit transaction, which they do end, as PostgreSQL warns.
            Command::Commit | Command::Rollback if idle || self.implicit => {
                Some(Notice::NoTransactionInProgress)
            }
            Command::SetLocal(..) if idle => Some(Notice::OnlyInBlock("SET LOCAL")),
            Command::SetConstraints { .. } if idle => Some(Notice::OnlyInBlock("SET CONSTRAINTS")),
            _ => None,
        };
        let tag = match cmd {
            Command::Set(name, value) => {
                self.settings.set(&name, value)?;
                "SET"
            }
            Command::SetLocal(name, value) => {
                self.settings.set_local(&name, value)?;
                "SET"
            }
            Command::Reset(name) => {
                self.settings.reset(&name)?;
                "RESET"
            }
            Command::ResetAll => {
                self.settings.reset_all();
                "RESET"
            }
            Command::Show(name) => return Ok(self.show(&name)?),
            Command::ShowAll => return Ok(self.show_all()),
            Command::SetTransaction(read_only) => {
                if read_only {
                    self.set_read_only();
                }
                "SET"
            }
            Command::Begin(tag, read_only) => {
                // PostgreSQL accepts BEGIN inside a block with a warning; so do we.
                if state == TransactionState::Idle {
                    self.open_block();
                }
                self.implicit = false;
                if read_only {
                    self.set_read_only();
                }
                self.transaction = TransactionState::InBlock;
                tag
            }
            Command::Commit => self.end_block(state != TransactionState::Failed),
            Command::Rollback => self.end_block(false),
            Command::Savepoint(name) => {
                let Some(block) = &mut self.block else {
                    return Err(SqlError::NoActiveTransaction("SAVEPOINT").into());
                };
                let session = SessionAtSavepoint {
                    settings: self.settings.clone(),
                    advisory: self.locks.transaction_holds(),
                };
                block.savepoint(name, session);
                "SAVEPOINT"
            }
            Command::Release(name) => {
                let Some(block) = &mut self.block else {
                    return Err(SqlError::NoActiveTransaction("RELEASE SAVEPOINT").into());
                };
                block.release(&name)?;
                let open = block.savepoints_open();
                self.cursors_release(open);
                for (depth, _) in &mut self.pending_notify {
                    *depth = (*depth).min(open);
                }
                "RELEASE"
            }
            Command::RollbackTo(name) => {
                let Some(block) = &mut self.block else {
                    return Err(SqlError::NoActiveTransaction("ROLLBACK TO SAVEPOINT").into());
                };
                let mut created_before = block.created_sequences();
                let at_savepoint = block.rollback_to(&name)?;
                let open = block.savepoints_open();
                let created_after = block.created_sequences();
                created_before.retain(|id| !created_after.contains(id));
                self.sequences.forget(&created_before);
                self.settings.restore(&at_savepoint.settings);
                self.locks.roll_back_to(&at_savepoint.advisory);
                self.cursors_roll_back(open);
                self.pending_notify.retain(|(depth, _)| *depth < open);
                self.pending_notify_bytes =
                    notify::bytes(self.pending_notify.iter().map(|(_, p)| p));
                self.transaction = TransactionState::InBlock;
                "ROLLBACK"
            }
            // In a block it went to the engine (see `execute`).
            Command::SetConstraints { .. } => "SET CONSTRAINTS",
            Command::LockTables(_) => {
                return Err(SqlError::NoActiveTransaction("LOCK TABLE").into())
            }
            Command::Cursor(_) => unreachable!("Session::execute runs cursor statements"),
            Command::Notify(pending) => {
                let tag = match &pending {
                    PendingNotify::Listen(ListenChange::Listen(_)) => "LISTEN",
                    PendingNotify::Listen(_) => "UNLISTEN",
                    PendingNotify::Notify { channel, payload } => {
                        let hub = self.listener.hub();
                        notify::admit(hub, self.pending_notify_bytes, channel, payload)?;
                        "NOTIFY"
                    }
                };
                self.notify(pending);
                tag
            }
            Command::Unsupported(what) => return Err(SqlError::Unsupported(what).into()),
        };
        let tag = CommandTag::new(tag);
        Ok(Output::Command(match notice {
            Some(notice) => tag.with_notice(notice),
            None => tag,
        }))
    }

    /// A new statement's interrupt: its `statement_timeout` deadline from now
    /// and the session's `lock_timeout`.
    fn statement_interrupt(&self) -> Interrupt {
        let deadline = self
            .settings
            .statement_timeout()
            .map(|timeout| Instant::now() + timeout);
        self.cancel.interrupt(deadline, &self.settings)
    }

    /// Makes the open block, if any, read-only (`transaction_read_only` shows it).
    fn set_read_only(&mut self) {
        if let Some(block) = &mut self.block {
            block.set_read_only();
            self.settings.set_transaction_read_only();
        }
    }

    /// Opens a block, keeping the settings of its start.
    fn open_block(&mut self) {
        self.settings_at_begin = Some(self.settings.clone());
        self.settings.begin_block();
        self.block = Some(Block::new(self.block_changes_max));
        self.transaction = TransactionState::InBlock;
    }

    /// Ends the block (COMMIT, ROLLBACK) and its settings: a commit keeps its SETs
    /// and drops its SET LOCALs; a rollback, or a commit of a failed block (which
    /// answers ROLLBACK, as in PostgreSQL), restores the settings of BEGIN and
    /// forgets what the sequences the block created gave the session. Outside a
    /// block there is nothing to restore. Returns the command tag.
    fn end_block(&mut self, commit: bool) -> &'static str {
        self.implicit = false;
        self.locks.end_transaction();
        let pending = std::mem::take(&mut self.pending_notify);
        self.pending_notify_bytes = 0;
        if commit {
            self.commit_notify(pending.into_iter().map(|(_, p)| p).collect());
        }
        self.close_block_cursors(commit);
        let at_begin = self.settings_at_begin.take();
        let block = self.block.take();
        self.transaction = TransactionState::Idle;
        if commit {
            self.settings.commit_block();
        } else {
            if let Some(at_begin) = at_begin {
                self.settings.restore(&at_begin);
            }
            if let Some(block) = block {
                self.sequences.forget(&block.created_sequences());
            }
        }
        if commit {
            "COMMIT"
        } else {
            "ROLLBACK"
        }
    }

    fn show(&self, name: &str) -> Result<Output, SqlError> {
        let (name, value) = self.settings.show(name)?;
        Ok(Output::Rows {
            columns: Arc::new(vec![ColumnInfo::computed(name, DataType::Text)]),
            rows: vec![vec![Value::Text(value)]],
            tag: CommandTag::new("SHOW"),
        })
    }

    fn show_all(&self) -> Output {
        let rows = self
            .settings
            .show_all()
            .into_iter()
            .map(|(name, value, description)| {
                vec![
                    Value::Text(name),
                    Value::Text(value),
                    Value::Text(description),
                ]
            })
            .collect();
        Output::Rows {
            columns: Arc::new(show_all_columns()),
            rows,
            tag: CommandTag::new("SHOW"),
        }
    }
}

fn show_all_columns() -> Vec<ColumnInfo> {
    ["name", "setting", "description"]
        .into_iter()
        .map(|n| ColumnInfo::computed(n, DataType::Text))
        .collect()
}

/// Recognizes session commands; None for statements the engine runs.
fn command(stmt: &Statement) -> Result<Option<Command>, SqlError> {
    if let Some((names, deferred)) = parse::set_constraints(stmt) {
        return Ok(Some(Command::SetConstraints { names, deferred }));
    }
    // The stand-in of ALTER SEQUENCE is a SET only in form.
    if parse::alter_sequence(stmt).is_some() {
        return Ok(None);
    }
    Ok(Some(match stmt {
        Statement::Set(set) => set_command(set)?,
        Statement::ShowVariable { variable } => show_command(variable),
        Statement::Reset(reset) => match &reset.reset {
            sqlparser::ast::Reset::ALL => Command::ResetAll,
            sqlparser::ast::Reset::ConfigurationParameter(name) => {
                Command::Reset(object_name(name))
            }
            sqlparser::ast::Reset::SessionAuthorization => {
                Command::Unsupported("RESET SESSION AUTHORIZATION".into())
            }
        },
        Statement::StartTransaction {
            modes,
            begin,
            statements,
            ..
        } => {
            if !statements.is_empty() {
                return Ok(None);
            }
            Command::Begin(
                if *begin { "BEGIN" } else { "START TRANSACTION" },
                read_only(modes),
            )
        }
        Statement::Commit { chain: false, .. } => Command::Commit,
        Statement::Rollback {
            chain: false,
            savepoint: None,
        } => Command::Rollback,
        Statement::Commit { chain: true, .. } | Statement::Rollback { chain: true, .. } => {
            Command::Unsupported("AND CHAIN".into())
        }
        Statement::Rollback {
            chain: false,
            savepoint: Some(name),
        } => Command::RollbackTo(identifier(name)),
        Statement::Savepoint { name } => Command::Savepoint(identifier(name)),
        Statement::ReleaseSavepoint { name } => Command::Release(identifier(name)),
        Statement::Lock(lock) => lock_command(lock),
        Statement::LISTEN { channel } => {
            Command::Notify(PendingNotify::Listen(ListenChange::Listen(ident(channel))))
        }
        // sqlparser reads `UNLISTEN *` as the unquoted name `*`.
        Statement::UNLISTEN { channel }
            if channel.quote_style.is_none() && channel.value == "*" =>
        {
            Command::Notify(PendingNotify::Listen(ListenChange::UnlistenAll))
        }
        Statement::UNLISTEN { channel } => Command::Notify(PendingNotify::Listen(
            ListenChange::Unlisten(ident(channel)),
        )),
        Statement::NOTIFY { channel, payload } => Command::Notify(PendingNotify::Notify {
            channel: ident(channel),
            payload: payload.clone().unwrap_or_default(),
        }),
        other => match cursor_command(other)? {
            Some(cursor) => Command::Cursor(cursor),
            None => return Ok(None),
        },
    }))
}

/// `LOCK TABLE`: only `ACCESS SHARE`, which conflicts with nothing but schema
/// changes (see `Session::lock_tables`), is served. The stronger modes exist to
/// make other writers wait; Turnstile's blocks never wait for each other, they
/// fail at COMMIT with 40001 instead, so a lock that promised waiting would
/// not be kept.
fn lock_command(lock: &Lock) -> Command {
    match &lock.lock_mode {
        Some(LockTableMode::AccessShare) => {
            Command::LockTables(lock.tables.iter().map(|t| t.name.clone()).collect())
        }
        mode => Command::Unsupported(format!(
            "LOCK TABLE IN {} MODE (only ACCESS SHARE MODE is: Turnstile's transaction \
             blocks do not wait for each other's locks, a conflicting block fails at \
             COMMIT with 40001 and is retried)",
            mode.as_ref()
                .map_or_else(|| "ACCESS EXCLUSIVE".to_owned(), ToString::to_string)
        )),
    }
}

fn set_command(set: &Set) -> Result<Command, SqlError> {
    Ok(match set {
        Set::SingleAssignment {
            variable,
            values,
            scope: Some(ContextModifier::Local),
            ..
        } => Command::SetLocal(object_name(variable), setting_value(values)?),
        Set::SingleAssignment {
            variable, values, ..
        } => Command::Set(object_name(variable), setting_value(values)?),
        Set::SetTimeZone { value, local } => {
            let value = match value {
                Expr::Identifier(id)
                    if id.quote_style.is_none()
                        && matches!(
                            id.value.to_ascii_lowercase().as_str(),
                            "local" | "default"
                        ) =>
                {
                    SettingValue::Default
                }
                Expr::Interval(interval) => SettingValue::Text(interval_time_zone(interval)?),
                other => setting_value(std::slice::from_ref(other))?,
            };
            if *local {
                Command::SetLocal("TimeZone".into(), value)
            } else {
                Command::Set("TimeZone".into(), value)
            }
        }
        Set::SetNames { charset_name, .. } => Command::Set(
            "client_encoding".into(),
            SettingValue::Text(charset_name.value.clone()),
        ),
        // SESSION CHARACTERISTICS set the defaults of later transactions, as the
        // settings of those names do (and are refused as they are: a read-only
        // default is 0A000).
        Set::SetTransaction {
            modes,
            session: true,
            ..
        } => match (read_only(modes), isolation(modes)) {
            (false, Some(level)) => Command::Set(
                "default_transaction_isolation".into(),
                SettingValue::Text(level),
            ),
            (read_only, _) => Command::Set(
                "default_transaction_read_only".into(),
                SettingValue::Text(if read_only { "on" } else { "off" }.into()),
            ),
        },
        Set::SetTransaction { modes, .. } => Command::SetTransaction(read_only(modes)),
        other => Command::Unsupported(
            format!("{}", other)
                .split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" "),
        ),
    })
}

fn show_command(variable: &[sqlparser::ast::Ident]) -> Command {
    let words: Vec<String> = variable
        .iter()
        .map(|i| i.value.to_ascii_lowercase())
        .collect();
    match words.join(" ").as_str() {
        "all" => Command::ShowAll,
        "time zone" => Command::Show("TimeZone".into()),
        "transaction isolation level" => Command::Show("transaction_isolation".into()),
        "session authorization" => Command::Show("session_authorization".into()),
        _ => Command::Show(
            variable
                .iter()
                .map(|i| i.value.as_str())
                .collect::<Vec<_>>()
                .join("."),
        ),
    }
}

/// True if `modes` say `READ ONLY`. Every isolation level is accepted and served as
/// serializable, the strongest.
fn read_only(modes: &[TransactionMode]) -> bool {
    modes.iter().any(|m| {
        matches!(
            m,
            TransactionMode::AccessMode(TransactionAccessMode::ReadOnly)
        )
    })
}

fn isolation(modes: &[TransactionMode]) -> Option<String> {
    modes.iter().find_map(|m| match m {
        TransactionMode::IsolationLevel(level) => Some(level.to_string().to_ascii_lowercase()),
        _ => None,
    })
}

/// An identifier as PostgreSQL folds it: unquoted to lower case.
fn identifier(ident: &sqlparser::ast::Ident) -> String {
    match ident.quote_style {
        None => ident.value.to_lowercase(),
        Some(_) => ident.value.clone(),
    }
}

fn object_name(name: &ObjectName) -> String {
    name.0
        .iter()
        .map(|part| part.to_string().trim_matches('"').to_owned())
        .collect::<Vec<_>>()
        .join(".")
}

/// The text of a `SET` value list, as PostgreSQL flattens it: unquoted words are
/// lowercased, strings and numbers kept, several values joined by ", ".
/// `SET TIME ZONE INTERVAL '+05:30' HOUR TO MINUTE` (Sequelize sends it when it
/// connects): the zone of that fixed offset east of UTC, named as PostgreSQL
/// names it (`<+05:30>-05:30`). An interval of months or days is 22023; `HOUR
/// TO MINUTE` drops the seconds.
fn interval_time_zone(interval: &sqlparser::ast::Interval) -> Result<String, SqlError> {
    use sqlparser::ast::DateTimeField;
    let invalid = |detail: &str| {
        SqlError::InvalidParameterValue(format!(
            "invalid value for parameter \"TimeZone\": \"{interval}\": {detail}"
        ))
    };
    let text = match interval.value.as_ref() {
        Expr::Value(v) => match &v.value {
            AstValue::SingleQuotedString(s) => s.clone(),
            _ => return Err(invalid("the interval is not a string literal")),
        },
        _ => return Err(invalid("the interval is not a string literal")),
    };
    // A bare number counts the leading field (`INTERVAL '3' HOUR`).
    let text = match (&interval.leading_field, &interval.last_field) {
        (Some(unit), None) if text.trim().parse::<i64>().is_ok() => format!("{text} {unit}"),
        _ => text,
    };
    let Value::Interval(value) = cast(Value::Text(text), DataType::Interval, CastKind::Explicit)?
    else {
        return Err(invalid("not an interval"));
    };
    if value.months != 0 {
        return Err(invalid("cannot specify months in time zone interval"));
    }
    if value.days != 0 {
        return Err(invalid("cannot specify days in time zone interval"));
    }
    let mut seconds = value.micros / 1_000_000;
    if interval.last_field == Some(DateTimeField::Minute) {
        seconds -= seconds % 60;
    }
    let seconds = i32::try_from(seconds).map_err(|_| invalid("out of range"))?;
    Ok(TimeZone::of_offset(seconds).name())
}

fn setting_value(values: &[Expr]) -> Result<SettingValue, SqlError> {
    if let [Expr::Identifier(id)] = values {
        if id.quote_style.is_none() && id.value.eq_ignore_ascii_case("default") {
            return Ok(SettingValue::Default);
        }
    }
    let parts: Result<Vec<String>, SqlError> = values.iter().map(value_text).collect();
    Ok(SettingValue::Text(parts?.join(", ")))
}

fn value_text(expr: &Expr) -> Result<String, SqlError> {
    match expr {
        Expr::Identifier(id) if id.quote_style.is_none() => Ok(id.value.to_ascii_lowercase()),
        Expr::Identifier(id) => Ok(id.value.clone()),
        Expr::Value(v) => match &v.value {
            AstValue::SingleQuotedString(s)
            | AstValue::DoubleQuotedString(s)
            | AstValue::EscapedStringLiteral(s) => Ok(s.clone()),
            AstValue::Number(n, _) => Ok(n.to_string()),
            AstValue::Boolean(b) => Ok(if *b { "on" } else { "off" }.to_owned()),
            other => Err(SqlError::InvalidParameterValue(format!(
                "invalid value in SET: {other}"
            ))),
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => Ok(format!("-{}", value_text(expr)?)),
        Expr::UnaryOp {
            op: UnaryOperator::Plus,
            expr,
        } => value_text(expr),
        other => Err(SqlError::Unsupported(format!(
            "SET to the expression {other}"
        ))),
    }
}

/// A statement's command name as PostgreSQL's messages spell it (`INSERT`,
/// `CREATE INDEX`, `TRUNCATE TABLE`).
fn command_name(statement: &Statement) -> String {
    if parse::alter_sequence(statement).is_some() {
        return "ALTER SEQUENCE".into();
    }
    let text = statement.to_string();
    let mut words = text.split_whitespace().map(str::to_ascii_uppercase);
    let first = words.next().unwrap_or_default();
    match first.as_str() {
        "CREATE" | "ALTER" | "DROP" => {
            let object = words
                .find(|w| {
                    !matches!(
                        w.as_str(),
                        "OR" | "REPLACE" | "UNIQUE" | "TEMP" | "TEMPORARY" | "UNLOGGED"
                    )
                })
                .unwrap_or_default();
            match object.as_str() {
                "MATERIALIZED" => format!("{first} MATERIALIZED VIEW"),
                _ => format!("{first} {object}"),
            }
        }
        "TRUNCATE" => "TRUNCATE TABLE".into(),
        _ => first,
    }
}
