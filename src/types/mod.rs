//! Values and their SQL types: the vocabulary every other layer speaks.
//!
//! This is the leaf of the dependency graph. The store keeps [`Value`]s (encoded
//! compactly, see `db::row`), the SQL layer computes with them, and the wire layer
//! turns them into PostgreSQL's text and binary formats. Each [`DataType`] carries the
//! PostgreSQL type OID that clients see, so a driver that asks "what is column 3?"
//! gets the same answer from Turnstile as from PostgreSQL 15.
//!
//! Semantics follow PostgreSQL: `NULL` is a value of every type, integers overflow
//! with SQLSTATE 22003 instead of wrapping, text input that does not parse is 22P02.

mod datatype;
mod error;
mod text;
mod value;

pub use datatype::DataType;
pub use error::TypeError;
pub use value::Value;
