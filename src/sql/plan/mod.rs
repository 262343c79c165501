//! Plans: the tree of operators a bound statement runs as, with the access path
//! each table scan uses.
//!
//! The binder builds a plan whose scans all read whole tables and whose filters sit
//! where the SQL put them; [`optimize()`] then pushes predicates down to the scans and
//! joins they concern and picks, for each scan, the cheapest access path its
//! predicates allow (primary key point lookup, unique index lookup, index lookup,
//! range, full scan), and for each equi-join an index nested loop or a hash join.
//! [`explain()`] prints the result the way `EXPLAIN` shows it.

mod access;
mod explain;
mod expr;
mod node;
mod optimize;

pub use explain::explain;
pub use expr::{Expr, Subquery};
pub use node::{
    Access, Aggregate, AggregateFunc, Frame, FrameBound, IndexRef, JoinKind, Plan, SetFunction,
    SetOpKind, SortKey, WindowFunction, WindowKind, WINDOW_FUNCTIONS,
};
pub use optimize::optimize;
pub(crate) use optimize::{side, Side};

#[cfg(test)]
mod tests;
