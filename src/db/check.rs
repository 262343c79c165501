//! CHECK constraints: where the store enforces them.
//!
//! A table's CHECK constraints are part of its schema as SQL text
//! ([`CheckConstraint`]). The store keeps them and must refuse every row that
//! makes one false, whoever writes it — a SQL statement, a reducer through the
//! module host, a transaction block's COMMIT, an `ALTER TABLE` rebuilding the
//! rows — but evaluating SQL is the SQL layer's job, not the store's. So the
//! SQL layer gives the database a [`CheckEvaluator`] when the server starts
//! (`Database::set_check_evaluator`), and the store asks it about each row it
//! stores in a table that has constraints, after NOT NULL and before the keys,
//! as PostgreSQL orders its checks. A table without CHECK constraints never
//! asks.
//!
//! Recovery never asks: the log holds rows that passed when they were written,
//! and it replays them as they are (invariant 5).

use std::sync::Arc;

use super::catalog::{CheckConstraint, TableSchema};
use super::table::values_text;
use super::{Database, DbError, Table};
use crate::types::Value;

/// Decides which CHECK constraints a row breaks; the SQL layer's.
pub trait CheckEvaluator: Send + Sync {
    /// The position in `table.checks` of the first constraint `values` (a row of
    /// `table`) makes false, None if it makes none false. An expression that
    /// fails (a division by zero) fails the row with its error.
    fn first_violated(
        &self,
        db: &Database,
        table: &Arc<TableSchema>,
        values: &[Value],
    ) -> Result<Option<usize>, DbError>;
}

impl std::fmt::Debug for dyn CheckEvaluator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CheckEvaluator")
    }
}

impl Database {
    /// Gives the database the SQL layer's evaluator of CHECK constraints,
    /// before it serves anything.
    pub fn set_check_evaluator(&mut self, evaluator: Arc<dyn CheckEvaluator>) {
        self.check_evaluator = Some(evaluator);
    }

    /// 23514 if `values`, a row about to be stored in `table`, make one of its
    /// CHECK constraints false.
    pub fn check_row(&self, table: &Arc<TableSchema>, values: &[Value]) -> Result<(), DbError> {
        if table.checks.is_empty() {
            return Ok(());
        }
        match self.evaluator().first_violated(self, table, values)? {
            None => Ok(()),
            Some(position) => Err(DbError::CheckViolation {
                table: table.name.clone(),
                constraint: table.checks[position].name.clone(),
                detail: failing_row(values),
            }),
        }
    }

    /// 23514 if a row of `table`, read as a row of `schema` (the table's, or
    /// the one an `ALTER TABLE` is giving it, of the same layout), makes one of
    /// `checks` false: an `ALTER TABLE` adding them, or rebuilding the rows
    /// under them. In PostgreSQL's words for it.
    pub(super) fn check_rows(
        &self,
        table: &Table,
        schema: &TableSchema,
        checks: &[&CheckConstraint],
    ) -> Result<(), DbError> {
        if checks.is_empty() {
            return Ok(());
        }
        let evaluator = self.evaluator();
        // The evaluator is asked about all of a schema's constraints: this one
        // has only those to check.
        let only = Arc::new(TableSchema {
            checks: checks.iter().map(|&c| c.clone()).collect(),
            ..schema.clone()
        });
        for (_, row) in table.scan() {
            let values = table.decode(row);
            if let Some(position) = evaluator.first_violated(self, &only, &values)? {
                return Err(DbError::CheckViolatedByRow {
                    table: schema.name.clone(),
                    constraint: only.checks[position].name.clone(),
                });
            }
        }
        Ok(())
    }

    fn evaluator(&self) -> &dyn CheckEvaluator {
        self.check_evaluator
            .as_deref()
            .expect("the server installs the CHECK evaluator before any table can have one")
    }
}

/// `Failing row contains (1, null, x).`: the DETAIL of a 23514, as PostgreSQL
/// writes it.
fn failing_row(values: &[Value]) -> String {
    format!("Failing row contains ({}).", values_text(values))
}
