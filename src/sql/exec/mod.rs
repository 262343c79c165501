//! The executor: runs bound statements against the database, under the lock the
//! turnstile holds for it.

mod aggregate;
mod alter;
mod call;
mod checks;
mod copy;
mod ddl;
mod dml;
mod expr;
mod foreign_keys;
mod query;
mod scan;
mod sequences;
mod statement;
mod window;

pub use checks::{columns_named, SqlChecks};
pub use copy::write as write_copy;
pub use dml::RowWriter;
pub use expr::Env;
pub use foreign_keys::set_constraint_modes;
pub use query::run;
pub use statement::{
    describe, describe_without_catalog, execute_read, execute_write, plan_query, read_with_plan,
    run_plan, write_with_plan,
};
