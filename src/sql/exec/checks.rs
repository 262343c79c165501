//! CHECK constraints, the SQL side: reading one from a statement into the text
//! the catalog keeps, and evaluating a table's constraints for the store (the
//! [`CheckEvaluator`] of `db::check`, which says where they are enforced).
//!
//! # The text kept
//!
//! A constraint is bound once when it is defined, against the table it is on:
//! that refuses one that is not boolean (42804), names a column the table lacks
//! (42703), holds a subquery (0A000) or a parameter (42P02), or calls an
//! aggregate (42803), as PostgreSQL refuses them. It is kept as the parser
//! writes it back, with the table's name taken off its columns (`t.a > 0`
//! becomes `a > 0`, so a renamed table keeps working) and outer parentheses
//! dropped. `pg_get_constraintdef` shows it as `CHECK ((a > 0))`, psql as `CHECK
//! (a > 0)`; PostgreSQL would print its own deparse (`''::text` for `''`).
//! Renaming a column rewrites the names in it; dropping a column drops the
//! constraints that name it, as PostgreSQL does.
//!
//! # Evaluation
//!
//! The evaluator binds each table's constraints once per schema (a new schema,
//! after an `ALTER TABLE`, binds them again) and evaluates them over the row. It
//! runs them as the server's own statements run: in UTC, whatever the session's
//! TimeZone (PostgreSQL asks constraints to be immutable, and for those it makes
//! no difference), with `now()` the moment of the check.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::Arc;

use parking_lot::Mutex;
use sqlparser::ast::{self, visit_expressions, visit_expressions_mut};

use super::expr::{is_true, Env};
use crate::db::{CheckConstraint, CheckEvaluator, Database, DbError, TableId, TableSchema};
use crate::sql::binder::object_name;
use crate::sql::binder::{ident, Binder};
use crate::sql::parse::parse_expr;
use crate::sql::plan::Expr;
use crate::sql::{QueryContext, SqlError};
use crate::types::{now_us, quote_ident, Value};

/// A `[CONSTRAINT name] CHECK (condition) [NO INHERIT]` as a statement
/// writes it.
pub struct CheckDefinition {
    pub name: Option<String>,
    pub expr: ast::Expr,
    pub no_inherit: bool,
}

/// The CHECK constraint `definition` defines on table `schema` (see the module
/// doc). A given name is 42710 if `on_table`, the names of the table's other
/// constraints (or, `creating` the table, of the CHECK constraints defined
/// before it in the statement), has it; a name made up is the first of
/// PostgreSQL's that neither `on_table` nor `taken` (see [`constraint_names`])
/// has.
pub fn check_constraint(
    db: &Database,
    schema: &TableSchema,
    definition: &CheckDefinition,
    on_table: &[String],
    taken: &[String],
    creating: bool,
) -> Result<CheckConstraint, SqlError> {
    let (bound, volatile) = Binder::new(db, &[]).bind_check(schema, &definition.expr)?;
    if !volatile {
        // PostgreSQL folds the parts that read no column when it defines the
        // constraint: one that fails (`'x'` read as an integer) fails now.
        fold_constants(&bound, &Env::new(db, &[], &QueryContext::internal()))?;
    }
    let mut kept = definition.expr.clone();
    let _ = visit_expressions_mut(&mut kept, |e| {
        if let ast::Expr::CompoundIdentifier(parts) = e {
            // `t.a` and `public.t.a` are the table's `a` (the binder took them).
            if let [.., relation, column] = parts.as_slice() {
                if (2..=3).contains(&parts.len()) && ident(relation) == schema.name {
                    *e = ast::Expr::Identifier(column.clone());
                }
            }
        }
        ControlFlow::<()>::Continue(())
    });
    while let ast::Expr::Nested(inner) = kept {
        kept = *inner;
    }
    let expr = kept.to_string();
    let name = match &definition.name {
        Some(name) if on_table.contains(name) => {
            return Err(SqlError::DuplicateObject(if creating {
                format!("check constraint \"{name}\" already exists")
            } else {
                format!(
                    "constraint \"{name}\" for relation \"{}\" already exists",
                    schema.name
                )
            }))
        }
        Some(name) => name.clone(),
        None => {
            // PostgreSQL's `<table>_<column>_check` for a constraint on one
            // column, `<table>_check` otherwise.
            let columns = columns_named(schema, &expr);
            let column = match columns.as_slice() {
                [one] => Some(schema.columns[*one].name.as_str()),
                _ => None,
            };
            std::iter::once("check".to_owned())
                .chain((1..).map(|i| format!("check{i}")))
                .map(|label| object_name(&schema.name, column, &label))
                .find(|name| !taken.contains(name) && !on_table.contains(name))
                .expect("some numbered name is free")
        }
    };
    Ok(CheckConstraint {
        name,
        expr,
        validated: true,
        no_inherit: definition.no_inherit,
    })
}

/// Binds every CHECK constraint of `schema` (after an `ALTER TABLE` changed
/// a column's type): the error of the first that no longer binds.
pub fn bind_all(db: &Database, schema: &TableSchema) -> Result<(), SqlError> {
    for check in &schema.checks {
        Binder::new(db, &[]).bind_check(schema, &parse_expr(&check.expr)?)?;
    }
    Ok(())
}

/// Evaluates, once, each greatest part of `check` that reads no column.
fn fold_constants(check: &Expr, env: &Env<'_>) -> Result<(), SqlError> {
    if !check.references_columns() && !check.has_subquery() {
        check.eval(&[], env)?;
        return Ok(());
    }
    check
        .children()
        .into_iter()
        .try_for_each(|child| fold_constants(child, env))
}

/// The names of the constraints of table `schema` (its primary key, UNIQUE,
/// CHECK and FOREIGN KEY constraints): a new one may not take one.
pub fn table_constraint_names(db: &Database, schema: &TableSchema) -> Vec<String> {
    let mut names: Vec<String> = schema.checks.iter().map(|c| c.name.clone()).collect();
    names.extend(schema.foreign_keys.iter().map(|k| k.name.clone()));
    if schema.primary_key.is_some() {
        names.push(schema.primary_key_name());
    }
    if let Some(table) = db.find_table(schema.id) {
        names.extend(
            table
                .indexes()
                .iter()
                .filter(|i| i.schema.constraint)
                .map(|i| i.schema.name.clone()),
        );
    }
    names
}

/// Every constraint name in the database: a constraint named for its table and
/// columns is given the first of these names none has, as PostgreSQL chooses
/// one free in the schema.
pub fn constraint_names(db: &Database) -> Vec<String> {
    db.tables()
        .flat_map(|table| table_constraint_names(db, table.schema()))
        .collect()
}

/// The positions of the columns of `schema` that the kept text `expr` names,
/// each once, in the order it first names them (PostgreSQL's `conkey`).
pub fn columns_named(schema: &TableSchema, expr: &str) -> Vec<usize> {
    let mut columns = Vec::new();
    if let Ok(expr) = parse_expr(expr) {
        let _ = visit_expressions(&expr, |e| {
            if let ast::Expr::Identifier(id) = e {
                if let Some(position) = schema.column_index(&ident(id)) {
                    if !columns.contains(&position) {
                        columns.push(position);
                    }
                }
            }
            ControlFlow::<()>::Continue(())
        });
    }
    columns
}

/// The kept text `expr` with column `old` called `new`.
pub fn rename_column(expr: &str, old: &str, new: &str) -> Result<String, SqlError> {
    let mut expr = parse_expr(expr)?;
    let renamed = if quote_ident(new) == new {
        ast::Ident::new(new)
    } else {
        ast::Ident::with_quote('"', new)
    };
    let _ = visit_expressions_mut(&mut expr, |e| {
        if let ast::Expr::Identifier(id) = e {
            if ident(id) == old {
                *id = renamed.clone();
            }
        }
        ControlFlow::<()>::Continue(())
    });
    Ok(expr.to_string())
}

/// The SQL layer's [`CheckEvaluator`], which the server gives the database.
pub struct SqlChecks {
    /// Each table's constraints as bound for its schema then (kept, so that the
    /// schema's address cannot be reused by another while it is here).
    bound: Mutex<HashMap<TableId, Arc<BoundChecks>>>,
    /// What the checks run with (see the module doc).
    ctx: QueryContext,
}

struct BoundChecks {
    schema: Arc<TableSchema>,
    /// Each constraint's position in the schema and its condition, in the
    /// order of their names: PostgreSQL checks them in that order, so that a
    /// row breaking several is refused in the name of the first.
    checks: Vec<(usize, Expr)>,
}

impl SqlChecks {
    pub fn new() -> SqlChecks {
        SqlChecks {
            bound: Mutex::default(),
            ctx: QueryContext::internal(),
        }
    }

    fn bound(&self, db: &Database, table: &Arc<TableSchema>) -> Result<Arc<BoundChecks>, SqlError> {
        if let Some(bound) = self.bound.lock().get(&table.id) {
            if Arc::ptr_eq(&bound.schema, table) {
                return Ok(Arc::clone(bound));
            }
        }
        let mut order: Vec<usize> = (0..table.checks.len()).collect();
        order.sort_by(|&a, &b| table.checks[a].name.cmp(&table.checks[b].name));
        let checks = order
            .into_iter()
            .map(|position| {
                let expr = parse_expr(&table.checks[position].expr)?;
                let (bound, _) = Binder::new(db, &[]).bind_check(table, &expr)?;
                Ok((position, bound))
            })
            .collect::<Result<_, SqlError>>()?;
        let bound = Arc::new(BoundChecks {
            schema: Arc::clone(table),
            checks,
        });
        self.bound.lock().insert(table.id, Arc::clone(&bound));
        Ok(bound)
    }
}

impl Default for SqlChecks {
    fn default() -> Self {
        SqlChecks::new()
    }
}

impl CheckEvaluator for SqlChecks {
    fn first_violated(
        &self,
        db: &Database,
        table: &Arc<TableSchema>,
        values: &[Value],
    ) -> Result<Option<usize>, DbError> {
        let failed = |e: SqlError| DbError::CheckExpression(Box::new(e));
        let bound = self.bound(db, table).map_err(failed)?;
        let ctx = QueryContext {
            statement_time_us: now_us(),
            ..self.ctx.clone()
        };
        let env = Env::new(db, &[], &ctx);
        for (position, check) in &bound.checks {
            let value = check.eval(values, &env).map_err(failed)?;
            if !is_true(&value) && !value.is_null() {
                return Ok(Some(*position));
            }
        }
        Ok(None)
    }
}
