//! The SQL engine: the entry point the session layer calls for every statement.
//!
//! # Which statements take which lock
//!
//! - A query that reads a table (a `SELECT … FROM`, or EXPLAIN) is a read: it is
//!   bound, planned (or its cached plan checked) and run under the read lock on a
//!   reader thread, and its rows are materialized before the lock is released. A
//!   query whose cached plan is a point read (a few rows by primary key) first
//!   tries the read lock on the session's task without waiting
//!   (`Turnstile::read_short`), which saves the reader-thread hand-off.
//! - A query that reads no table (`SELECT 1`, `SELECT now()`, `VALUES (…)`) takes no
//!   lock at all: it is planned against an empty catalog and run on the session's
//!   own task. It reads nothing the lock protects, so no invariant is involved, and
//!   it answers even while a writer holds the lock. Its work is bounded by its text
//!   (no rows to scan), so it does not hold the tokio worker for long.
//! - Everything else (DML, DDL) is a write: one atomic transaction on the writer
//!   thread under the write lock.
//!
//! # When the client hears back
//!
//! A write is acknowledged as the session's `synchronous_commit` says: `on` once
//! the log's fsync covers its commit, `off` once it is visible (the turnstile waits
//! on the log after releasing the lock, never inside it). A read with
//! `turnstile.confirmed_reads` on is answered once every commit it could see is
//! durable (`Turnstile::read_confirmed`); a query that reads no table saw no commit
//! and never waits. `CHECKPOINT` writes a snapshot through the turnstile.
//!
//! Queries keep their plan between runs; see [`super::plan_cache`].

mod copy;

use std::sync::Arc;

use sqlparser::ast::{ObjectName, Statement};

use crate::db::{ConstraintModes, Database, WriteTxn};
use crate::module::{routines, LoadedModule, ModuleError, ModuleHost};
use crate::turnstile::{Turnstile, TurnstileError, TurnstileStatus};
use crate::types::{DataType, Value};

use super::activity::Activities;
use super::advisory::{AdvisoryLocks, SessionLocks};
use super::block::{self, Block, Ran};
use super::context::Interrupt;
use super::exec::RowWriter;
use super::notify::NotifyHub;
use super::parse::{calls_function, is_checkpoint};
use super::plan_cache::{
    may_read_no_table, request_name, CachedPlan, CachedWrite, PreparedStatement, UsedPlan,
};
use super::{
    binder, exec, same_result_type, system, CommandTag, Description, Output, QueryContext, SqlError,
};

/// Runs statements against the database through the turnstile: reads under the
/// read lock on a reader thread, writes as one atomic transaction on the writer.
#[derive(Clone)]
pub struct Engine {
    /// The only way to reach the database (ARCHITECTURE.md, "Execution model").
    turnstile: Turnstile,
    /// An empty catalog, never written: queries that read no table are described,
    /// planned and run against it on the session's task, without the lock.
    empty: Arc<Database>,
    /// The log's and snapshots' state, handed to every statement for the system
    /// relations (`turnstile_wal`).
    status: TurnstileStatus,
    /// The loaded modules, handed to every statement for `CALL` and views.
    modules: Option<Arc<ModuleHost>>,
    /// What every session does (`pg_stat_activity`, `pg_cancel_backend`): the
    /// wire layer registers its sessions here.
    activities: Arc<Activities>,
    /// Every session's advisory locks (`pg_advisory_lock`, `pg_locks`).
    advisory_locks: Arc<AdvisoryLocks>,
    /// Every session's channels and notification queues.
    notify_hub: Arc<NotifyHub>,
}

impl Engine {
    /// An engine over `turnstile` whose statements can call the reducers and views
    /// of `modules`.
    pub fn new(turnstile: Turnstile, modules: Option<Arc<ModuleHost>>) -> Engine {
        Engine {
            status: turnstile.status(),
            turnstile,
            empty: Arc::new(Database::new()),
            modules,
            activities: Arc::default(),
            advisory_locks: Arc::default(),
            notify_hub: Arc::default(),
        }
    }

    /// The advisory locks of the session `pid` (see `sql::advisory`).
    pub fn session_locks(&self, pid: i32) -> SessionLocks {
        SessionLocks::new(self.advisory_locks.clone(), pid)
    }

    /// Where every session's notifications go (see `sql::notify`).
    pub fn notify_hub(&self) -> &Arc<NotifyHub> {
        &self.notify_hub
    }

    /// The registry of the sessions' activity, where each session registers.
    pub fn activities(&self) -> &Arc<Activities> {
        &self.activities
    }

    /// `ctx` with what only the engine has: the log's state and the sessions'
    /// activity for the system relations, and the loaded modules for CALL and
    /// views.
    fn with_server_state(&self, ctx: QueryContext) -> QueryContext {
        QueryContext {
            status: Some(self.status.clone()),
            activities: Some(self.activities.clone()),
            modules: self.modules.clone(),
            ..ctx
        }
    }

    /// Applies `module`'s schema SQL, checks the tables it declares against the
    /// catalog and installs its reducers and views, as one write transaction:
    /// if any step fails, nothing changes and the module is refused.
    pub async fn install_module(&self, module: Arc<LoadedModule>) -> Result<(), crate::Error> {
        let statements = super::parse(&module.description().schema).map_err(|e| {
            SqlError::Module(ModuleError::Setup {
                module: module.name().into(),
                reason: format!("its schema SQL does not parse: {e}"),
            })
        })?;
        let ctx = QueryContext::internal();
        let result = self
            .turnstile
            .write("install module", move |txn| {
                for stmt in &statements {
                    exec::execute_write(txn, stmt, &[], &ctx).map_err(|e| ModuleError::Setup {
                        module: module.name().into(),
                        reason: format!("its schema SQL failed: {e}"),
                    })?;
                }
                module.check_catalog(txn.db())?;
                let routines = routines(module.name(), module.description());
                let mut names = std::collections::HashSet::new();
                for routine in &routines {
                    let taken = txn.db().get_routine(&routine.name).is_some();
                    if taken || !names.insert(routine.name.as_str()) {
                        return Err(ModuleError::DuplicateRoutine {
                            module: module.name().into(),
                            routine: routine.name.clone(),
                        });
                    }
                }
                txn.install_routines(routines);
                Ok(())
            })
            .await?;
        Ok(result.map_err(SqlError::Module)?)
    }

    /// The parameter types and result columns of `stmt`, without running it
    /// (binds it under the read lock, or against the empty catalog if it reads no
    /// table). `param_hints[i]` is the type the client declared for `$i+1`, or None
    /// to infer it from the context. Binding reads the catalog, never a row, so its
    /// cost is bounded by the statement's length: it is a short read, which runs
    /// on the session's task when the lock is free (a driver that sends every
    /// statement as a new unnamed one describes each).
    pub async fn describe(
        &self,
        stmt: &Statement,
        param_hints: &[Option<DataType>],
    ) -> Result<Description, crate::Error> {
        if is_checkpoint(stmt) {
            return Ok(Description::default());
        }
        if let Some(description) = exec::describe_without_catalog(stmt, param_hints) {
            return Ok(description);
        }
        if may_read_no_table(stmt) {
            if let Ok(description) = exec::describe(&self.empty, stmt, param_hints) {
                return Ok(description);
            }
        }
        let stmt = Arc::new(stmt.clone());
        let hints = param_hints.to_vec();
        let result = self
            .turnstile
            .read_short("describe", move |db| exec::describe(db, &stmt, &hints))
            .await?;
        Ok(result?)
    }

    /// The catalog's version now: what a description or a plan made from the
    /// catalog is good for (a short read: it reads one integer).
    pub async fn catalog_version(&self) -> Result<u64, crate::Error> {
        Ok(self
            .turnstile
            .read_short("catalog version", |db| db.catalog_version())
            .await?)
    }

    /// Runs `prepared` with its parameter values (already of its parameter types).
    /// Queries run under the read lock, or without a lock if they read no table;
    /// DML and DDL under the write lock, each as one transaction that changes
    /// nothing if it fails, acknowledged as `ctx.durability` says.
    pub async fn execute(
        &self,
        prepared: &PreparedStatement,
        params: &[Value],
        ctx: QueryContext,
    ) -> Result<Output, crate::Error> {
        // What is not a plain read runs as a boxed future: a future is moved
        // whole, at its largest state's size, into each caller's, and the
        // write path's states (a closure owning the context, the turnstile's
        // wait) would make every point select pay to copy them (callgrind).
        if is_checkpoint(prepared.statement()) {
            return Box::pin(self.checkpoint()).await;
        }
        let ctx = self.with_server_state(ctx);
        if prepared.is_write() {
            return Box::pin(self.run_write(prepared, params, ctx)).await;
        }
        let cached = prepared.cached_plan();
        if let Some(output) = self.run_without_lock(prepared, cached.as_ref(), params, &ctx) {
            return Ok(output?);
        }
        if let Some(output) = self.try_short_read(prepared, cached, params, &ctx) {
            return output;
        }
        Box::pin(self.run_read(prepared, params, ctx)).await
    }

    /// Runs DML or DDL as one write transaction (see [`Engine::execute`]).
    async fn run_write(
        &self,
        prepared: &PreparedStatement,
        params: &[Value],
        ctx: QueryContext,
    ) -> Result<Output, crate::Error> {
        let stmt = prepared.shared_statement();
        let params: Arc<[Value]> = params.into();
        let hints = prepared.param_types();
        let cached = prepared.cached_write();
        let short = cached
            .as_ref()
            .is_some_and(|c| c.short_write(ctx.modules.as_deref()));
        let durability = ctx.durability;
        let interrupt = ctx.interrupt.clone();
        let described = prepared.described_columns();
        // Boxed once here: the closure owns the context, hundreds of bytes,
        // and every future it passes through on the way to the lock (this one,
        // the turnstile's) would otherwise hold and move it by value (callgrind:
        // about 1,000 instructions of memcpy per CALL).
        let write: Box<WriteJob> = Box::new(move |txn| {
            let ran = exec::write_with_plan(txn, &stmt, &hints, cached, &params, &ctx)?;
            // Checked here, inside the transaction: an error rolls the write
            // back, where the wire layer's check after the run would come once
            // it had committed.
            if let (Output::Rows { columns, .. }, Some(described)) = (&ran.0, &described) {
                if !same_result_type(columns, described) {
                    return Err(SqlError::ResultTypeChanged);
                }
            }
            Ok(ran)
        });
        let (output, plan) = self
            .turnstile
            .write_maybe_short(
                prepared.request_name(),
                short,
                durability,
                interrupt.lock_wait_over(),
                write,
            )
            .await
            .map_err(|e| stopped_error(&interrupt, e))??;
        if let Some(plan) = plan {
            prepared.keep(UsedPlan::Write(plan));
        }
        Ok(output)
    }

    /// `CHECKPOINT`: writes a snapshot now (the log after it is then all recovery
    /// replays). A server without a data directory has nothing to write it to.
    async fn checkpoint(&self) -> Result<Output, crate::Error> {
        if self.turnstile.wal().is_none() {
            return Err(SqlError::Unsupported(
                "CHECKPOINT without a data directory (this server keeps data in memory only)"
                    .into(),
            )
            .into());
        }
        self.turnstile.snapshot().await?;
        Ok(Output::Command(CommandTag::new("CHECKPOINT")))
    }

    /// Runs a query that reads no table on the caller's task; None if the query
    /// may read a table and must go to a reader thread.
    fn run_without_lock(
        &self,
        prepared: &PreparedStatement,
        cached: Option<&Arc<CachedPlan>>,
        params: &[Value],
        ctx: &QueryContext,
    ) -> Option<Result<Output, SqlError>> {
        let planned;
        let cached = match cached {
            Some(cached) if cached.catalog_version.is_none() => cached,
            Some(_) => return None,
            None if prepared.may_read_no_table() => {
                let hints = prepared.param_types();
                let plan = exec::plan_query(&self.empty, prepared.statement(), &hints, None)?;
                // A failure (a table in a subquery, or an error) is planned again
                // under the lock, where it gets its real answer.
                planned = Arc::new(plan.ok()?);
                prepared.keep(UsedPlan::Query(planned.clone()));
                &planned
            }
            None => return None,
        };
        Some(exec::run_plan(&self.empty, cached, params, ctx))
    }

    /// Runs a query whose cached plan is short (a point read) on the caller's
    /// task if the scheduler admits it to the read lock at once
    /// (`Turnstile::try_read_now`), borrowing its statement, parameters and
    /// context; `None` if it is not short, must confirm what it read, or would
    /// have to wait, and then [`Engine::run_read`] queues it.
    fn try_short_read(
        &self,
        prepared: &PreparedStatement,
        cached: Option<Arc<CachedPlan>>,
        params: &[Value],
        ctx: &QueryContext,
    ) -> Option<Result<Output, crate::Error>> {
        let cached = cached.filter(|c| c.short && !ctx.confirmed_reads)?;
        let hints = prepared.param_types();
        let ran = self
            .turnstile
            .try_read_now(&prepared.request_name(), |db| {
                read_under_lock(db, prepared.statement(), &hints, Some(cached), params, ctx)
            })
            .ok()?;
        Some(match ran {
            Ok(Ok(ran)) => Ok(keep_query_plan(prepared, ran)),
            Ok(Err(e)) => Err(e.into()),
            Err(e) => Err(e.into()),
        })
    }

    /// Runs a query on a reader thread under the read lock, with its cached plan if
    /// the catalog has not changed since it was made, else with a new one that
    /// replaces it. With `ctx.confirmed_reads`, the rows come back once everything
    /// the query could see is durable.
    async fn run_read(
        &self,
        prepared: &PreparedStatement,
        params: &[Value],
        ctx: QueryContext,
    ) -> Result<Output, crate::Error> {
        let stmt = prepared.shared_statement();
        let hints = prepared.param_types();
        let cached = prepared.cached_plan();
        let short = cached.as_ref().is_some_and(|c| c.short);
        let params: Arc<[Value]> = params.into();
        let confirmed = ctx.confirmed_reads;
        let name = prepared.request_name();
        let read = move |db: &Database| read_under_lock(db, &stmt, &hints, cached, &params, &ctx);
        let ran = if confirmed {
            self.turnstile.read_confirmed(name, short, read).await??
        } else {
            // A short read was offered to the lock already (`try_short_read`).
            self.turnstile.read(name, read).await??
        };
        Ok(keep_query_plan(prepared, ran))
    }

    /// Runs `statements` (a simple-query string with writes, outside a block) as
    /// ONE write transaction, as PostgreSQL runs such a string as one implicit
    /// transaction: queries in it read the writes before them, and an error rolls
    /// back every statement of the string. Returns the outputs of the statements
    /// that ran and, if one failed, its error (the outputs before it are still
    /// sent, as PostgreSQL sends them).
    pub async fn execute_batch(
        &self,
        statements: &[Arc<PreparedStatement>],
        ctx: &QueryContext,
    ) -> (Vec<Output>, Option<crate::Error>) {
        let stmts: Vec<Arc<Statement>> = statements.iter().map(|p| p.shared_statement()).collect();
        let ctx = self.with_server_state(ctx.clone());
        let durability = ctx.durability;
        let interrupt = ctx.interrupt.clone();
        let result = self
            .turnstile
            .write_with(
                "query string",
                durability,
                interrupt.lock_wait_over(),
                move |txn| run_batch(txn, &stmts, &ctx),
            )
            .await;
        match result {
            Ok(Ok(outputs)) => (outputs, None),
            Ok(Err((outputs, e))) => (outputs, Some(e.into())),
            Err(e) => (Vec::new(), Some(stopped_error(&interrupt, e))),
        }
    }

    /// [`Engine::describe`] inside `block`: on top of the block's changes if it
    /// changed the schema (a table it created is described as it is in the block).
    pub async fn describe_in_block(
        &self,
        block: &Block,
        stmt: &Statement,
        param_hints: &[Option<DataType>],
    ) -> Result<Description, crate::Error> {
        if !block.changed_schema() {
            return self.describe(stmt, param_hints).await;
        }
        // DDL and COPY are described without the catalog, in a block as out of one.
        if let Some(description) = exec::describe_without_catalog(stmt, param_hints) {
            return Ok(description);
        }
        let run = block.run();
        let stmt = Arc::new(stmt.clone());
        let hints = param_hints.to_vec();
        let result = self
            .turnstile
            .rehearse(
                "describe in block",
                block.is_small(),
                std::future::pending(),
                move |txn| {
                    run.replay(txn)?;
                    exec::describe(txn.db(), &stmt, &hints)
                },
            )
            .await?;
        Ok(result?)
    }

    /// Runs `prepared` as the next statement of `block` (see `sql::block`): a
    /// read before the block's first write like any read, with its reads noted; a
    /// query or DML on the block's overlay under the read lock where the overlay
    /// can answer for it; anything else rehearsed under the write lock on top of
    /// the block's changes. The caller hands the outcome to `Block::absorb`.
    pub async fn execute_in_block(
        &self,
        block: &Block,
        prepared: &PreparedStatement,
        params: &[Value],
        ctx: &QueryContext,
    ) -> Result<Ran, crate::Error> {
        let stmt = prepared.shared_statement();
        let is_write = prepared.is_write();
        if is_checkpoint(&stmt) || (!is_write && !block.has_writes()) {
            let run = block.run();
            let output = self.execute(prepared, params, run.context(ctx)).await?;
            return Ok(run.read(output));
        }
        let ctx = self.with_server_state(ctx.clone());
        let statement = InBlock {
            stmt: stmt.clone(),
            hints: prepared.param_types(),
            params: params.into(),
            cached_write: prepared.cached_write(),
            cached_query: prepared.cached_plan(),
            is_write,
        };
        // Only a statement whose own cost is bounded (its last plan a point read or
        // a short write) may hold a lock on the session's task.
        let bounded = statement.is_bounded();
        let on_overlay = !block.changed_schema()
            && matches!(
                *stmt,
                Statement::Query(_)
                    | Statement::Insert(_)
                    | Statement::Update(_)
                    | Statement::Delete(_)
            );
        if on_overlay {
            let run = block.run();
            let (statement, overlay_ctx) = (statement.clone(), ctx.clone());
            let name = format!("block {}", request_name(&stmt));
            let result = self
                .turnstile
                .read_maybe_short(name, bounded, move |db| {
                    run.run_on_overlay(db, &overlay_ctx, is_write, |txn, ctx| {
                        statement.run(txn, ctx)
                    })
                })
                .await?;
            match result {
                Ok(ran) => {
                    if let Some(plan) = ran.plan() {
                        prepared.keep(plan.clone());
                    }
                    return Ok(ran);
                }
                // Stopped by its deadline or a cancel, or waiting for an
                // advisory lock (see `sql::advisory`): the same again.
                Err(e @ (SqlError::QueryCanceled(_) | SqlError::AdvisoryLockBusy(_))) => {
                    return Err(e.into())
                }
                // Handed back, or an error: a rehearsal gives the answer. An error
                // on the overlay may come from the block's image of a row that
                // another transaction has since changed or deleted (a 23505 on a
                // row that is gone); the rehearsal's replay then answers 40001,
                // which a client retries, and otherwise the same error.
                // What the try asked of the session, the rehearsal asks again.
                Err(_) => {
                    if let Some(session) = &ctx.session {
                        session.run_again();
                    }
                }
            }
        }
        let run = block.run();
        let ctx = run.context(&ctx);
        let short = block.is_small() && bounded;
        let name = format!("rehearse {}", request_name(&stmt));
        let interrupt = ctx.interrupt.clone();
        let ran = self
            .turnstile
            .rehearse(name, short, interrupt.lock_wait_over(), move |txn| {
                run.rehearse(txn, is_write, |txn| statement.run(txn, &ctx))
            })
            .await
            .map_err(|e| stopped_error(&interrupt, e))??;
        if let Some(plan) = ran.plan() {
            prepared.keep(plan.clone());
        }
        Ok(ran)
    }

    /// `SET CONSTRAINTS` in `block` (see `BlockRun::set_constraints`): the
    /// block's new modes, for the caller to keep. Only checks a key made
    /// immediate must make on top of the block's writes, or names its own DDL
    /// made, take the write lock; otherwise the names are looked up in the
    /// committed catalog under the read lock.
    pub async fn set_constraints(
        &self,
        block: &Block,
        names: Option<Vec<String>>,
        deferred: bool,
    ) -> Result<ConstraintModes, crate::Error> {
        let run = block.run();
        if !block.changed_schema() && (deferred || !block.has_writes()) {
            return Ok(self
                .turnstile
                .read("SET CONSTRAINTS", move |db| {
                    run.constraint_modes(db, names.as_deref(), deferred)
                })
                .await??);
        }
        Ok(self
            .turnstile
            .rehearse(
                "SET CONSTRAINTS",
                block.is_small(),
                std::future::pending(),
                move |txn| run.set_constraints(txn, names.as_deref(), deferred),
            )
            .await??)
    }

    /// `LOCK TABLE … IN ACCESS SHARE MODE` of `names` in `block` (see
    /// `Session::lock_tables`): each must be a table, a view or a system
    /// relation (42P01, 42809 for a sequence). Returns the schema's version
    /// found under the lock. Names the block's own DDL made are looked up on top
    /// of its changes, rehearsed under the write lock, a wait for which
    /// `interrupt` (a cancel, `statement_timeout`, `lock_timeout`) ends;
    /// otherwise in the committed catalog under the read lock.
    pub async fn lock_tables(
        &self,
        block: &Block,
        names: Vec<ObjectName>,
        interrupt: &Interrupt,
    ) -> Result<u64, crate::Error> {
        if block.changed_schema() {
            let run = block.run();
            return Ok(self
                .turnstile
                .rehearse(
                    "LOCK TABLE",
                    block.is_small(),
                    interrupt.lock_wait_over(),
                    move |txn| {
                        let schema_commits = txn.db().schema_commits();
                        run.replay(txn)?;
                        check_lockable(txn.db(), &names)?;
                        Ok::<_, SqlError>(schema_commits)
                    },
                )
                .await
                .map_err(|e| stopped_error(interrupt, e))??);
        }
        Ok(self
            .turnstile
            .read("LOCK TABLE", move |db| {
                check_lockable(db, &names)?;
                Ok::<_, SqlError>(db.schema_commits())
            })
            .await??)
    }

    /// COMMIT of `block`: validates what it read and makes its writes again, as
    /// one write transaction acknowledged as `ctx.durability` says, or 40001 and
    /// nothing changes. A block that wrote nothing needs only the read lock.
    pub async fn commit_block(&self, block: Block, ctx: &QueryContext) -> Result<(), crate::Error> {
        if !block.needs_commit() {
            return Ok(());
        }
        // The session keeps a reference and drops the block after the lock is
        // released: its maps and writes can be large.
        let block = Arc::new(block);
        let inside = block.clone();
        if !block.has_writes() {
            return Ok(self
                .turnstile
                .read("COMMIT", move |db| inside.validate_reads(db))
                .await??);
        }
        let ctx = self.with_server_state(ctx.clone());
        let durability = ctx.durability;
        let short = block.commit_is_short();
        let interrupt = ctx.interrupt.clone();
        Ok(self
            .turnstile
            .write_maybe_short(
                "COMMIT",
                short,
                durability,
                interrupt.lock_wait_over(),
                move |txn| block::commit(txn, &inside, &ctx),
            )
            .await
            .map_err(|e| stopped_error(&interrupt, e))??)
    }

    /// True for statements that change data or schema: a query only if it calls
    /// `nextval` or `setval`, which move sequences under the write lock.
    /// `CHECKPOINT` changes neither (it copies the database to a snapshot), so it
    /// is allowed inside a transaction block, as in PostgreSQL.
    pub fn is_write(stmt: &Statement) -> bool {
        match stmt {
            Statement::Query(_) => calls_function(stmt, &["nextval", "setval"]),
            _ if is_checkpoint(stmt) => false,
            Statement::Explain {
                statement, analyze, ..
            } => *analyze && Engine::is_write(statement),
            _ => true,
        }
    }
}

/// A block's statement with what it runs with: all shared, cheap to clone for
/// a try on the overlay before a rehearsal.
#[derive(Clone)]
struct InBlock {
    stmt: Arc<Statement>,
    hints: Arc<[Option<DataType>]>,
    params: Arc<[Value]>,
    cached_write: Option<Arc<CachedWrite>>,
    cached_query: Option<Arc<CachedPlan>>,
    is_write: bool,
}

impl InBlock {
    /// True if its last plan was a point read or a short write.
    fn is_bounded(&self) -> bool {
        if self.is_write {
            self.cached_write.as_ref().is_some_and(|c| c.short)
        } else {
            self.cached_query.as_ref().is_some_and(|c| c.short)
        }
    }

    /// Runs it on `txn` (the store in a rehearsal, the block's overlay under the
    /// read lock) with its cached plan: the block's changes are data, not schema,
    /// unless it made DDL, which moves the catalog version, so a plan made outside
    /// the block serves inside it, and the other way.
    fn run<'db>(
        self,
        txn: &mut impl RowWriter<'db>,
        ctx: &QueryContext,
    ) -> Result<(Output, Option<UsedPlan>), SqlError> {
        let InBlock {
            stmt,
            hints,
            params,
            cached_write,
            cached_query,
            is_write,
        } = self;
        if is_write {
            let (output, plan) =
                exec::write_with_plan(txn, &stmt, &hints, cached_write, &params, ctx)?;
            Ok((output, plan.map(UsedPlan::Write)))
        } else {
            let (output, fresh) =
                exec::read_with_plan(txn.db(), &stmt, &hints, cached_query, &params, ctx)?;
            Ok((output, fresh.map(UsedPlan::Query)))
        }
    }
}

/// A statement's write transaction, as [`Engine::run_write`] hands it to the
/// turnstile: its output and the plan it used.
type WriteJob =
    dyn FnOnce(&mut WriteTxn<'_>) -> Result<(Output, Option<Arc<CachedWrite>>), SqlError> + Send;

/// The error of a write its statement withdrew while the write was queued
/// ([`TurnstileError::Withdrawn`], see [`Interrupt::lock_wait_over`]): the 57014
/// the statement's interrupt gives (a cancel, or its timeout), as if it had run
/// and stopped; if neither, its `lock_timeout` ran out, 55P03. Any other error as
/// it is.
pub(super) fn stopped_error(interrupt: &Interrupt, e: TurnstileError) -> crate::Error {
    match (e, interrupt.check()) {
        (TurnstileError::Withdrawn, Err(stopped)) => stopped.into(),
        (TurnstileError::Withdrawn, Ok(())) => SqlError::LockTimeout.into(),
        (e, _) => e.into(),
    }
}

/// Under the read lock: a query with `cached` if it is still valid (else planned
/// again), and, in a block, the check that what the block read before is
/// unchanged. The rows and the new plan, if one was made.
fn read_under_lock(
    db: &Database,
    stmt: &Statement,
    hints: &[Option<DataType>],
    cached: Option<Arc<CachedPlan>>,
    params: &[Value],
    ctx: &QueryContext,
) -> Result<(Output, Option<Arc<CachedPlan>>), SqlError> {
    let ran = exec::read_with_plan(db, stmt, hints, cached, params, ctx)?;
    if let Some(log) = &ctx.reads {
        log.confirm_earlier(db)?;
    }
    Ok(ran)
}

/// A query's rows, keeping for its next run the plan it was planned with now.
fn keep_query_plan(
    prepared: &PreparedStatement,
    (output, fresh): (Output, Option<Arc<CachedPlan>>),
) -> Output {
    if let Some(plan) = fresh {
        prepared.keep(UsedPlan::Query(plan));
    }
    output
}

/// Under the write lock: the statements of [`Engine::execute_batch`] in order, in one
/// transaction. On an error, the outputs so far and the error; the caller's `Err`
/// makes the turnstile roll the whole transaction back.
fn run_batch(
    txn: &mut WriteTxn<'_>,
    stmts: &[Arc<Statement>],
    ctx: &QueryContext,
) -> Result<Vec<Output>, (Vec<Output>, SqlError)> {
    let mut outputs = Vec::with_capacity(stmts.len());
    for stmt in stmts {
        let output = if is_checkpoint(stmt) {
            Err(SqlError::Unsupported(
                "CHECKPOINT in a query string with writes (send it on its own)".into(),
            ))
        } else if Engine::is_write(stmt) {
            exec::execute_write(txn, stmt, &[], ctx)
        } else {
            exec::execute_read(txn.db(), stmt, &[], ctx)
        };
        match output {
            Ok(output) => outputs.push(output),
            Err(e) => return Err((outputs, e)),
        }
    }
    Ok(outputs)
}

/// Each of `names` can be locked by `LOCK TABLE`: a table, a view or a system
/// relation of `db` (42P01 if none, 42809 for a sequence).
fn check_lockable(db: &Database, names: &[ObjectName]) -> Result<(), SqlError> {
    for name in names {
        let (schema, relation) = binder::qualified(name)?;
        if system::find(schema.as_deref(), &relation).is_some() {
            continue;
        }
        if let Some(schema) = schema.filter(|s| s != "public") {
            return Err(SqlError::UndefinedTable(format!("{schema}.{relation}")));
        }
        if db.get_sequence(&relation).is_some() {
            return Err(SqlError::WrongObjectType(format!(
                "cannot lock relation \"{relation}\": it is a sequence, and \
                 LOCK TABLE locks tables and views"
            )));
        }
        if db.get_table(&relation).is_none() && db.get_view(&relation).is_none() {
            return Err(SqlError::UndefinedTable(relation));
        }
    }
    Ok(())
}
