//! The binder: resolves the names in a sqlparser AST against the catalog, types
//! every expression the way PostgreSQL does, and builds a [`Plan`](super::plan::Plan).
//!
//! Binding and planning are one pass over the AST: each query becomes a tree of
//! scans, joins, filters, aggregates and projections exactly as written, which
//! [`plan::optimize`](super::plan::optimize) then improves. Parameter types are
//! inferred here, from the context each `$n` appears in, so the same code answers
//! Describe (without running anything) and Execute.

mod array;
mod datatype;
mod dml;
mod expr;
mod from;
mod function;
mod names;
mod operator;
mod routine;
mod scope;
mod select;
mod state;
mod window;
mod with;

pub use datatype::{column_type, data_type};
pub use dml::{Conflict, Delete, Insert, Returning, Update};
pub(crate) use expr::number_value;
pub use names::{ident, object_name, qualified, relation};
pub use routine::BoundCall;
pub use state::{Binder, BoundQuery, EXPR_DEPTH_MAX, SET_OPERATIONS_DEPTH_MAX};
