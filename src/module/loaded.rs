//! A loaded module: its description, its compiled code ready to instantiate, and
//! the live instances calls reuse.
//!
//! # Instances
//!
//! Compiling happens once, at load (`InstancePre`). Instantiating costs tens of
//! microseconds, far more than a call, so instances live on between calls in an
//! idle list: a call takes one (or makes one if none is idle), and gives it back
//! when it returns normally. Reducers run one at a time (under the write lock) and
//! views at most one per reader thread, so the list stays that small. An instance
//! that trapped is dropped instead: its memory may be in any state, and wasmtime
//! refuses to enter it again; the next call makes a fresh one from the
//! `InstancePre`. An instance whose call returned an error goes back to
//! the list: its writes were rolled back, but its own memory is not transactional,
//! so a module must keep no state between calls (the SDK keeps none).
//!
//! # Short reducers
//!
//! Every reducer call is timed. A reducer whose last [`SHORT_CALLS_IN_A_ROW`]
//! calls each ended normally (with its result or its own error, not stopped or
//! trapped) in less than [`Budgets::short_call`] (100 µs unless
//! `--reducer-short-call` says otherwise) is *short*
//! ([`LoadedModule::runs_short`]), and its calls may run on a session's task —
//! the caller's when the write lock is free, or the one holding the lock when it
//! is not — instead of being handed to the writer thread and back (see
//! `Turnstile::write_maybe_short`): those two hand-offs cost more than such a call
//! (one client's `CALL transfer`: 15k TPS through the writer thread, 24k on its
//! session). A call that takes longer, or is stopped, or traps, makes the reducer
//! not short until it has as many short calls in a row again (which then run on
//! the writer thread). So a tokio worker runs user code only for a reducer with a
//! record of short calls. A call queued while the record still said short may
//! run on a session's task after it changed, but a session's task takes no
//! queued write once the lock batch's time (`--lock-batch-time`) is up, so at
//! worst one call that runs long (within its budgets, like any) holds a tokio
//! worker. Calls run one at a time under the write lock, so the record needs no
//! more than relaxed atomics.

use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use wasmtime::{InstancePre, Store, UpdateDeadline};

use super::abi::{Description, Failure, GuestExports};
use super::budget::{Budgets, MemoryCap, Stopped, TickerHandle, Watch};
use super::host::{checked_value, Access, ActiveCall, HostState};
use super::shape::ModuleShape;
use super::ModuleError;
use crate::db::{Database, RoutineSchema, Row, TableId, WriteTxn};
use crate::types::Value;

/// How many short calls in a row make a reducer short (see the module doc).
pub const SHORT_CALLS_IN_A_ROW: u32 = 16;

/// Who is calling, and when: what a call's `context` imports answer.
#[derive(Debug, Clone)]
pub struct CallInfo {
    /// The transaction's timestamp, microseconds since 2000-01-01 UTC.
    pub timestamp_us: i64,
    /// The session's user name.
    pub caller: Arc<str>,
    /// The session's limit on the call's time (`statement_timeout`), or
    /// `Duration::MAX`; the module's budget applies when it is lower.
    pub time_limit: Duration,
    /// Set when the client asks to cancel the statement: the call stops within a tick.
    pub cancel: Option<Arc<AtomicBool>>,
    /// Most rows a view may return (`--max-rows-per-statement`).
    pub rows_max: usize,
}

/// A module ready to be called.
pub struct LoadedModule {
    name: String,
    description: Description,
    shape: Arc<ModuleShape>,
    pre: InstancePre<HostState>,
    engine: wasmtime::Engine,
    budgets: Budgets,
    /// Keeps the engine's epoch advancing while a call runs.
    ticker: TickerHandle,
    /// Instances not in a call; boxed, so that a call takes one and gives it
    /// back by moving a pointer, not the instance.
    #[allow(
        clippy::vec_box,
        reason = "moving an unboxed instance in and out was three memcpys per call (callgrind)"
    )]
    idle: Mutex<Vec<Box<Instance>>>,
    /// The table ids the declared tables resolved to, and the catalog version they
    /// were resolved at: reused while the catalog does not change.
    resolved: Mutex<Option<(u64, Arc<[TableId]>)>>,
    /// Per reducer (by id), how many of its last calls in a row were short, up to
    /// [`SHORT_CALLS_IN_A_ROW`].
    short_calls: Box<[AtomicU32]>,
}

/// One live instance and its store.
struct Instance {
    store: Store<HostState>,
    guest: GuestExports,
}

impl LoadedModule {
    /// Makes a module ready from its compiled code and asks it for its
    /// description, on an instance made for that alone.
    pub(super) fn new(
        name: &str,
        engine: &wasmtime::Engine,
        pre: InstancePre<HostState>,
        budgets: Budgets,
        ticker: TickerHandle,
    ) -> Result<LoadedModule, ModuleError> {
        let mut module = LoadedModule {
            name: name.into(),
            description: Description::default(),
            shape: Arc::new(ModuleShape {
                module: name.into(),
                tables: Vec::new(),
            }),
            pre,
            engine: engine.clone(),
            budgets,
            ticker,
            idle: Mutex::new(Vec::new()),
            resolved: Mutex::new(None),
            short_calls: Box::default(),
        };
        let _ticking = module.ticker.ticking();
        let mut instance = module.instantiate("describe", Instant::now(), budgets.time, None)?;
        let description = instance
            .guest
            .describe(&mut instance.store)
            .map_err(|e| module.trap_error("describe", e, &mut instance.store))?;
        module.shape = Arc::new(ModuleShape {
            module: name.into(),
            tables: description.tables.clone(),
        });
        module.short_calls = description
            .reducers
            .iter()
            .map(|_| AtomicU32::new(0))
            .collect();
        module.description = description;
        Ok(module)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn description(&self) -> &Description {
        &self.description
    }

    pub fn budgets(&self) -> Budgets {
        self.budgets
    }

    /// Checks the declared tables against `db`'s catalog.
    pub fn check_catalog(&self, db: &Database) -> Result<(), ModuleError> {
        self.shape.resolve(db).map(drop)
    }

    /// Runs reducer `routine` with `args` as part of `txn`. On `Err`, the caller
    /// must roll `txn` back: the reducer may have written before it failed.
    pub fn call_reducer(
        &self,
        txn: &mut WriteTxn<'_>,
        routine: &RoutineSchema,
        args: &[Value],
        info: &CallInfo,
    ) -> Result<(), ModuleError> {
        check_args(routine, args)?;
        let tables = self.tables(txn.db(), &routine.name)?;
        let args = Row::encode(args);
        let access = Access::Write(NonNull::from(txn).cast());
        let started = Instant::now();
        let outcome = self.call(routine, access, tables, info, started, |guest, store| {
            guest.call_reducer(store, routine.id, args.as_bytes())
        });
        let short = outcome.is_ok() && started.elapsed() < self.budgets.short_call;
        if let Some(in_a_row) = self.short_calls.get(routine.id as usize) {
            // Calls run one at a time, under the write lock: no update is lost.
            let now = in_a_row.load(Ordering::Relaxed);
            in_a_row.store(short_calls_in_a_row(now, short), Ordering::Relaxed);
        }
        outcome?.map_err(raised)
    }

    /// True if reducer `routine`'s last 16 (`SHORT_CALLS_IN_A_ROW`) calls were
    /// short (see `module::loaded`, "Short reducers").
    pub fn runs_short(&self, routine: &RoutineSchema) -> bool {
        self.short_calls
            .get(routine.id as usize)
            .is_some_and(|n| n.load(Ordering::Relaxed) >= SHORT_CALLS_IN_A_ROW)
    }

    /// Runs view `routine` with `args` under the read lock; returns its rows,
    /// checked against the view's declared result columns as a client's values
    /// would be.
    pub fn call_view(
        &self,
        db: &Database,
        routine: &RoutineSchema,
        args: &[Value],
        info: &CallInfo,
    ) -> Result<Vec<Vec<Value>>, ModuleError> {
        check_args(routine, args)?;
        let tables = self.tables(db, &routine.name)?;
        let args = Row::encode(args);
        let access = Access::Read(NonNull::from(db));
        let rows = self
            .call(
                routine,
                access,
                tables,
                info,
                Instant::now(),
                |guest, store| guest.call_view(store, routine.id, args.as_bytes()),
            )?
            .map_err(raised)?;
        if rows.len() > info.rows_max {
            return Err(ModuleError::TooManyRows {
                routine: routine.name.clone(),
                rows: rows.len(),
                max: info.rows_max,
            });
        }
        // Decoded, a value takes 32 bytes whatever its encoded size: refuse a result
        // that would take more host memory than the module was allowed.
        let decoded_bytes = rows.len().saturating_mul(routine.returns.len().max(1) * 32);
        if decoded_bytes > self.budgets.memory_bytes {
            return Err(ModuleError::MemoryBudget {
                routine: routine.name.clone(),
                limit_mib: (self.budgets.memory_bytes >> 20) as u64,
            });
        }
        let types: Vec<_> = routine.returns.iter().map(|c| c.data_type).collect();
        let malformed = |what: String| ModuleError::Trapped {
            routine: routine.name.clone(),
            message: format!("it returned {what}"),
        };
        rows.iter()
            .map(|row| {
                let values = Row::decode_untrusted(row, &types)
                    .map_err(|e| malformed(format!("a malformed row: {e}")))?;
                values
                    .into_iter()
                    .zip(&routine.returns)
                    .map(|(value, column)| match value {
                        Value::Null if !column.nullable => Err(malformed(format!(
                            "NULL in column {}, declared not null",
                            column.name
                        ))),
                        value => checked_value(value, column.data_type).map_err(|f| {
                            malformed(format!(
                                "an invalid value in column {}: {}",
                                column.name, f.message
                            ))
                        }),
                    })
                    .collect()
            })
            .collect()
    }

    /// The declared tables' ids in `db`, resolved again only if the catalog changed.
    pub fn tables(&self, db: &Database, routine: &str) -> Result<Arc<[TableId]>, ModuleError> {
        let version = db.catalog_version();
        let mut resolved = self.resolved.lock();
        if let Some((at, tables)) = &*resolved {
            if *at == version {
                return Ok(tables.clone());
            }
        }
        let tables = self
            .shape
            .resolve(db)
            .map_err(|e| ModuleError::CatalogChanged {
                routine: routine.into(),
                reason: e.to_string(),
            })?;
        *resolved = Some((version, tables.clone()));
        Ok(tables)
    }

    /// Runs `f` on an instance with `access` in reach of the imports and the
    /// budgets armed from `started`. The instance goes back to the idle list
    /// unless it trapped.
    fn call<R>(
        &self,
        routine: &RoutineSchema,
        access: Access,
        tables: Arc<[TableId]>,
        info: &CallInfo,
        started: Instant,
        f: impl FnOnce(&GuestExports, &mut Store<HostState>) -> wasmtime::Result<R>,
    ) -> Result<R, ModuleError> {
        let time_limit = info.time_limit.min(self.budgets.time);
        let _ticking = self.ticker.ticking();
        let idle = self.idle.lock().pop();
        let mut instance = match idle {
            Some(mut instance) => {
                let watch = &mut instance.store.data_mut().watch;
                watch.arm(started, time_limit, info.cancel.clone());
                instance
            }
            // A fresh instance runs its start code within the call's own budget.
            None => self.instantiate(&routine.name, started, time_limit, info.cancel.clone())?,
        };
        let state = instance.store.data_mut();
        state.enter(ActiveCall {
            access,
            tables,
            timestamp_us: info.timestamp_us,
            caller: info.caller.clone(),
            routine: routine.name.clone(),
            log_lines: 0,
        });
        let result = f(&instance.guest, &mut instance.store);
        instance.store.data_mut().leave();
        match result {
            Ok(value) => {
                self.idle.lock().push(instance);
                Ok(value)
            }
            Err(error) => {
                let error = self.trap_error(&routine.name, error, &mut instance.store);
                tracing::warn!(module = %self.name, "{error}");
                Err(error)
            }
        }
    }

    /// A new instance, its start code (if any) run within `time_limit` from
    /// `started` and `cancel`; the watch stays armed for the call that follows.
    fn instantiate(
        &self,
        routine: &str,
        started: Instant,
        time_limit: Duration,
        cancel: Option<Arc<AtomicBool>>,
    ) -> Result<Box<Instance>, ModuleError> {
        let state = HostState {
            shape: self.shape.clone(),
            call: None,
            memory: MemoryCap::new(self.budgets.memory_bytes),
            watch: Watch::default(),
            panic_message: None,
            imports: None,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.memory);
        // The deadline is always the next tick; each tick, the watch decides.
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|mut store| match store.data_mut().watch.check() {
            None => Ok(UpdateDeadline::Continue(1)),
            Some(stopped) => Err(wasmtime::format_err!("stopped: {stopped:?}")),
        });
        store.data_mut().watch.arm(started, time_limit, cancel);
        let guest = self
            .pre
            .instantiate(&mut store)
            .and_then(|instance| GuestExports::new(&mut store, &instance));
        match guest {
            Ok(guest) => Ok(Box::new(Instance { store, guest })),
            Err(error) => Err(self.trap_error(routine, error, &mut store)),
        }
    }

    /// What a failed call means: the memory budget, the time budget, or a trap
    /// (with the panic message the module reported, if it did).
    fn trap_error(
        &self,
        routine: &str,
        error: wasmtime::Error,
        store: &mut Store<HostState>,
    ) -> ModuleError {
        let state = store.data_mut();
        if state.memory.exceeded {
            return ModuleError::MemoryBudget {
                routine: routine.into(),
                limit_mib: (self.budgets.memory_bytes >> 20) as u64,
            };
        }
        match state.watch.stopped {
            Some(Stopped::TimeBudget) => {
                return ModuleError::TimeBudget {
                    routine: routine.into(),
                    // Rounded up: a statement_timeout of 10 ms leaves a call a
                    // little less, which is still the client's 10 ms.
                    limit_ms: (state.watch.limit.as_micros() as u64).div_ceil(1000),
                };
            }
            Some(Stopped::Cancelled) => return ModuleError::Cancelled,
            None => {}
        }
        let message = match state.panic_message.take() {
            Some(panic) => format!("module panicked: {panic}"),
            None => format!("{error:#}"),
        };
        ModuleError::Trapped {
            routine: routine.into(),
            message,
        }
    }
}

/// A reducer's run of short calls after one more call: one longer if the call was
/// short, up to [`SHORT_CALLS_IN_A_ROW`], else none.
pub(super) fn short_calls_in_a_row(before: u32, short: bool) -> u32 {
    if short {
        (before + 1).min(SHORT_CALLS_IN_A_ROW)
    } else {
        0
    }
}

/// NULL arguments are refused for parameters the routine does not accept NULL for.
fn check_args(routine: &RoutineSchema, args: &[Value]) -> Result<(), ModuleError> {
    match args
        .iter()
        .zip(&routine.params)
        .find(|(arg, param)| arg.is_null() && !param.nullable)
    {
        Some((_, param)) => Err(ModuleError::NullArgument {
            routine: routine.name.clone(),
            param: param.name.clone(),
        }),
        None => Ok(()),
    }
}

/// An error the module returned, with its SQLSTATE if it is one an error may carry:
/// five digits or capitals, not a success or warning class (00, 01, 02), and not one
/// that tells a client its connection is gone (08, 57P0x).
fn raised(failure: Failure) -> ModuleError {
    let code = failure.sqlstate.as_str();
    let well_formed = code.len() == 5
        && code
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
    let reserved = ["00", "01", "02", "08", "57P0"]
        .iter()
        .any(|class| code.starts_with(class));
    if well_formed && !reserved {
        return ModuleError::Raised {
            sqlstate: failure.sqlstate,
            message: failure.message,
        };
    }
    ModuleError::Raised {
        sqlstate: "P0001".into(),
        message: format!(
            "{} (the module gave the SQLSTATE {code:?}, which an error cannot carry)",
            failure.message
        ),
    }
}
