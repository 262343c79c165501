//! Errors of the module host: refusing a module at load, and the ways a call can end
//! other than in success. `crate::error` maps each to its SQLSTATE.

use thiserror::Error;

/// Why a module was refused, or why a call into it failed. A failed call has
/// changed nothing: the caller rolls its transaction back.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ModuleError {
    /// The bytes are not a core WebAssembly module, do not compile, or lack an
    /// export the interface needs.
    #[error("module {module} is not a valid WebAssembly module: {reason}")]
    Invalid { module: String, reason: String },
    /// The module imports something beyond the Turnstile interface (WASI, `env`, …).
    #[error(
        "module {module} imports {import}, which Turnstile does not provide: a module may \
         import only the turnstile:module interfaces (build it for wasm32-unknown-unknown, \
         without WASI)"
    )]
    ForbiddenImport { module: String, import: String },
    /// A table the module uses does not exist or does not have the shape the module
    /// expects; `what` names the column or constraint.
    #[error("module {module} does not match table {table}: {what}")]
    TableMismatch {
        module: String,
        table: String,
        what: String,
    },
    /// Two routines of the loaded modules share a name.
    #[error("module {module} defines {routine}, which is already defined")]
    DuplicateRoutine { module: String, routine: String },
    /// The module's schema SQL failed, or its description is unusable.
    #[error("module {module} could not be set up: {reason}")]
    Setup { module: String, reason: String },
    /// NULL for a parameter the routine does not accept NULL for (22004).
    #[error("{routine}: NULL is not allowed for parameter {param}")]
    NullArgument { routine: String, param: String },
    /// A view returned more rows than a statement may hold (54000).
    #[error(
        "{routine} returned {rows} rows; the limit is {max} rows per statement \
         (--max-rows-per-statement)"
    )]
    TooManyRows {
        routine: String,
        rows: usize,
        max: usize,
    },
    /// The module returned an error: its SQLSTATE and message reach the client.
    #[error("{message}")]
    Raised { sqlstate: String, message: String },
    /// The module trapped (a Rust panic, an `unreachable`, a bad host call).
    #[error("{routine} failed: {message}")]
    Trapped { routine: String, message: String },
    /// The call ran past its wall-clock budget and was stopped.
    #[error("{routine} was stopped after running over its time budget of {limit_ms} ms")]
    TimeBudget { routine: String, limit_ms: u64 },
    /// The client cancelled the statement while the call ran (PostgreSQL's message).
    #[error("canceling statement due to user request")]
    Cancelled,
    /// The call's instance tried to grow its memory past the cap.
    #[error("{routine} ran out of memory: the memory budget is {limit_mib} MiB")]
    MemoryBudget { routine: String, limit_mib: u64 },
    /// A table the module uses was dropped or changed after the module was loaded.
    #[error("{routine} cannot run: {reason}")]
    CatalogChanged { routine: String, reason: String },
}
