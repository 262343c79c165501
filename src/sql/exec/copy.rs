//! COPY FROM's write: the decoded rows of a [`CopyIn`] inserted as one transaction.
//!
//! Everything that can be checked without the table (splitting, unescaping, types,
//! NOT NULL of the listed columns) was checked while the data arrived, with no lock
//! held (see `sql::copy`). What is left runs here under the write lock: defaults of
//! the columns the data leaves out, the primary key and unique indexes. Any error
//! rolls back every row, and names the line it came from.

use crate::db::WriteTxn;
use crate::sql::binder::Binder;
use crate::sql::copy::CopyIn;
use crate::sql::{CommandTag, Output, QueryContext, SqlError};
use crate::types::Value;

use super::expr::Env;
use super::query::CHECK_EVERY_ROWS;

/// Inserts every row of `copy` into its table (the caller commits or rolls back).
/// 40001 if the table is no longer the one the rows were decoded against (dropped
/// or altered since): the client can run the COPY again.
pub fn write(
    txn: &mut WriteTxn<'_>,
    copy: &CopyIn,
    ctx: &QueryContext,
) -> Result<Output, SqlError> {
    let table = txn
        .db()
        .get_table(&copy.table)
        .ok_or_else(|| SqlError::UndefinedTable(copy.table.clone()))?;
    let schema = table.schema().clone();
    if *schema != *copy.schema {
        return Err(SqlError::SerializationFailure {
            detail: format!(
                "table \"{}\" was changed while its COPY data was being read",
                copy.table
            ),
        });
    }
    // The columns the data leaves out get their DEFAULT, bound once.
    let mut binder = Binder::new(txn.db(), &[]);
    let defaults = (0..schema.columns.len())
        .filter(|p| !copy.columns.contains(p))
        .map(|p| binder.default_value(&schema, p).map(|e| (p, e)))
        .collect::<Result<Vec<_>, _>>()?;
    let width = schema.columns.len();
    let identity = defaults.is_empty() && copy.columns.iter().enumerate().all(|(i, &p)| i == p);
    for (i, values) in copy.rows.iter().enumerate() {
        if i % CHECK_EVERY_ROWS == 0 {
            ctx.interrupt.check()?;
        }
        let row = if identity {
            values.clone()
        } else {
            let mut row = vec![Value::Null; width];
            let env = Env::new(txn.db(), &[], ctx);
            for (p, default) in &defaults {
                row[*p] = default.eval(&[], &env).map_err(|e| in_line(copy, i, e))?;
            }
            for (value, &p) in values.iter().zip(&copy.columns) {
                row[p] = value.clone();
            }
            row
        };
        txn.insert(schema.id, row)
            .map_err(|e| in_line(copy, i, e.into()))?;
    }
    Ok(Output::Command(CommandTag::with_rows(
        "COPY",
        copy.rows.len(),
    )))
}

/// `error` as it happened in the `i`th row of `copy`.
fn in_line(copy: &CopyIn, i: usize, error: SqlError) -> SqlError {
    SqlError::Copy {
        context: copy.context(i),
        error: Box::new(error),
    }
}
