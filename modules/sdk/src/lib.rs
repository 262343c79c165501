//! Write Turnstile modules in Rust: reducers (stored procedures, `CALL name(…)`) and
//! views (table functions, `SELECT * FROM name(…)`) that run inside the database as
//! WebAssembly.
//!
//! A module is a `cdylib` crate built with
//! `cargo build --release --target wasm32-unknown-unknown`. It imports nothing but
//! the `turnstile:module` interfaces of `modules/wit/turnstile.wit`, whose bindings
//! this crate hides:
//!
//! ```ignore
//! use turnstile_sdk::{reducer, view, Error, Row, Tx};
//!
//! #[derive(Row)]
//! #[row(table = "accounts")]
//! pub struct Account {
//!     #[primary_key]
//!     pub id: i64,
//!     pub owner: String,
//!     pub balance: i64,
//! }
//!
//! #[reducer]
//! fn deposit(tx: &mut Tx, id: i64, amount: i64) -> Result<(), Error> {
//!     let Some(mut account) = tx.get::<Account>(&id)? else {
//!         return Err(Error::raise(format!("no account {id}")));
//!     };
//!     account.balance += amount;
//!     tx.update(&account)?;
//!     Ok(())
//! }
//!
//! #[view]
//! fn first(tx: &Tx, n: i32) -> Result<Vec<Account>, Error> {
//!     tx.scan::<Account>(.., n as u32)
//! }
//!
//! turnstile_sdk::module! {
//!     schema: "CREATE TABLE IF NOT EXISTS accounts \
//!              (id BIGINT PRIMARY KEY, owner TEXT NOT NULL, balance BIGINT NOT NULL)",
//!     tables: [Account],
//!     reducers: [deposit],
//!     views: [first],
//! }
//! ```
//!
//! - [`Row`] (derived) maps a struct to a row: field names are the column names, in
//!   the table's column order; see [`value`] for the Rust type of each SQL type.
//! - [`reducer`] and [`view`] mark the entry points; their parameters after the
//!   [`Tx`] become the SQL parameters.
//! - [`module!`] lists the tables, reducers and views; their positions in the lists
//!   are the ids the host calls them by.
//! - An [`Error`] carries a SQLSTATE and a message to the client. A panic traps the
//!   call, and its message and location reach the client too (SQLSTATE 38000), as
//!   does a failed allocation's size. The SDK sets the `#[global_allocator]` for
//!   that, so a module cannot set its own.

// Public only so that `module!`'s output can reach it through `__private`.
#[doc(hidden)]
pub mod bindings;
pub mod codec;
mod error;
pub mod log;
mod module;
mod row;
#[cfg(test)]
mod tests;
mod trap;
mod tx;
pub mod value;

// The macros' output names this crate `turnstile_sdk`; this lets the SDK's own
// generated bindings use the same paths.
extern crate self as turnstile_sdk;

pub use error::Error;
pub use row::{Key, Row, Table, TableHandle};
pub use tx::Tx;
pub use value::{Column, Date, Jsonb, SqlType, Timestamp, TimestampTz, Uuid, Value};

/// `#[derive(Row)]`: implements [`Row`] for a struct with named fields, and
/// [`Table`] as well with `#[row(table = "name")]` and `#[primary_key]` on the key
/// field(s).
pub use turnstile_sdk_macros::Row;

/// `#[reducer]` on `fn name(tx: &mut Tx, a: A, …) -> Result<(), Error>`: a reducer
/// callable as `CALL name(a, …)`. List it in [`module!`].
pub use turnstile_sdk_macros::reducer;

/// `#[view]` on `fn name(tx: &Tx, a: A, …) -> Result<Vec<R>, Error>`, where `R` is a
/// [`Row`]: a view callable as `SELECT * FROM name(a, …)`. List it in [`module!`].
pub use turnstile_sdk_macros::view;

/// Declares the module, once per crate:
///
/// ```ignore
/// turnstile_sdk::module! {
///     schema: include_str!("../schema.sql"), // SQL run at load; optional
///     tables: [Account],                     // row types bound to tables
///     reducers: [deposit, transfer],         // #[reducer] functions
///     views: [richest],                      // #[view] functions
/// }
/// ```
///
/// Every key is optional. It exports the `guest` interface, and gives each table
/// its [`TableHandle`].
pub use turnstile_sdk_macros::module;

/// What the macros' output refers to. Not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::bindings;
    pub use crate::bindings::exports::turnstile::module::guest::Guest;
    pub use crate::bindings::turnstile::module::types::{Description, Failure};
    pub use crate::module::{Module, Reducer, TableUse, View, ViewOutput};
    pub use wit_bindgen;
}
