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
pub use ddl::view_dependencies;
pub use dml::RowWriter;
pub use expr::Env;
pub use foreign_keys::set_constraint_modes;
pub use query::run;
pub use statement::{
    describe, describe_without_catalog, execute_read, execute_write, plan_query, read_with_plan,
    run_plan, write_with_plan,
};

/// Ok if nothing depends on `object`, which a statement would drop, else
/// 2BP01 with a DETAIL line per dependent (`view v depends on table t`), as
/// PostgreSQL's.
fn refuse_if_depended_on(object: String, lines: Vec<String>) -> Result<(), super::SqlError> {
    if lines.is_empty() {
        return Ok(());
    }
    Err(super::SqlError::DependentObjectsStillExist {
        object,
        detail: lines.join("\n"),
    })
}
