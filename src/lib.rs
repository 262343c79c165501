//! Turnstile: an in-memory relational database and application server that speaks
//! the PostgreSQL wire protocol. See ARCHITECTURE.md for the layers and invariants.

pub mod db;
pub mod error;
pub mod metrics_endpoint;
pub mod module;
pub mod server;
pub mod sql;
pub mod turnstile;
pub mod types;
pub mod wal;
pub mod wire;

pub use error::Error;
