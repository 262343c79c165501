//! The SQL layer: from a statement's text to its rows.
//!
//! (The life-of-a-query essay lands with the planner and executor.)

mod context;
mod error;
mod output;

pub use context::{Interrupt, QueryContext};
pub use error::SqlError;
pub use output::{ColumnInfo, CommandTag, Description, Output};
