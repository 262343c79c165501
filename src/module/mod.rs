//! The module host: WebAssembly modules whose reducers run as stored procedures
//! under the write lock and whose views run under the read lock.
//!
//! # The module ABI
//!
//! The interface is one WIT file, `modules/wit/turnstile.wit`, and it is the
//! documentation: what a module exports (`describe`, `call-reducer`, `call-view`)
//! and the only things it may import (table access, logging, the transaction's
//! timestamp, the caller). A module is the core WebAssembly module wit-bindgen
//! builds from it; the host speaks that world's canonical ABI itself rather than
//! through wasmtime's component runtime, which cost a fifth of a call (`abi.rs`
//! has the essay and the figures). Nothing crosses by name on the hot path: tables are
//! `u32` handles (positions in the module's description, resolved to table ids
//! once per catalog version), reducers and views are ids, and rows, keys and
//! arguments travel as bytes in the store's own compact row encoding, so a row a
//! module reads is a copy of the stored bytes and a row it writes is checked and
//! decoded once, exactly as an INSERT's values are.
//!
//! # Loading
//!
//! `--module PATH` (or the embedded bank example) is compiled once
//! ([`ModuleHost::load`]): the core module wit-bindgen builds for
//! wasm32-unknown-unknown. An import beyond the interface (WASI, `env`), or an
//! export the interface needs that is missing or has another type, refuses it,
//! naming the import or export. The host asks
//! the module for its description, runs its schema SQL, checks every table it
//! declares against the catalog (a mismatch refuses it, naming table and column,
//! before any call runs) and installs its reducers and views in the catalog.
//!
//! # Life of a call
//!
//! `CALL transfer(1, 2, 100)` is bound like a function call (arguments coerced to
//! the declared types), then runs under the write lock as one write transaction,
//! on the turnstile's writer thread (or on a session's task for a reducer whose
//! calls are short, see `loaded`): [`LoadedModule::call_reducer`] takes an idle
//! instance, points its host state at the transaction, arms the budgets and
//! enters the module. Every
//! insert, update and delete the module makes goes through the transaction, with
//! its undo and redo, so an error, a trap or a budget overrun rolls everything
//! back before the lock is released (invariant 3), and the log records the row
//! changes, never the call (invariant 5). A view runs the same way on a reader
//! thread, with the database under the read lock and no way to write.
//!
//! # Budgets
//!
//! See [`budget`]: a wall-clock limit per call (epoch interruption) and a memory
//! cap per instance. A module can loop forever or allocate without end; it cannot
//! keep the lock past its budget or take the server down.

mod abi;
pub mod budget;
mod error;
mod host;
mod loaded;
mod registry;
mod shape;

pub use budget::Budgets;
pub use error::ModuleError;
pub use loaded::{CallInfo, LoadedModule};
pub use registry::ModuleHost;
pub use shape::routines;

#[cfg(test)]
mod tests;
