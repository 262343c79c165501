//! Calls of module routines: `CALL reducer(args)` and a view in FROM,
//! `SELECT … FROM view(args)`. Arguments are bound like a function call's: each
//! must convert implicitly to its parameter's type (an untyped literal or `$n`
//! takes it), else no routine matches, as PostgreSQL answers (42883).

use std::sync::Arc;

use sqlparser::ast;

use crate::db::{RoutineKind, RoutineSchema};
use crate::sql::plan::{Expr, Plan};
use crate::sql::SqlError;

use super::function::call_args;
use super::scope::Scope;
use super::{names, Binder};

/// A bound `CALL`: the reducer and its arguments, of its parameter types.
#[derive(Debug, Clone)]
pub struct BoundCall {
    pub routine: Arc<RoutineSchema>,
    pub args: Vec<Expr>,
}

impl Binder<'_> {
    /// `CALL name(args)`.
    pub fn bind_call(&mut self, call: &ast::Function) -> Result<BoundCall, SqlError> {
        let name = names::relation(&call.name)?;
        let call = call_args(call)?;
        if call.distinct || call.star || !call.order_by.is_empty() {
            return Err(SqlError::Syntax(format!(
                "DISTINCT, * and ORDER BY are not allowed in CALL {name}"
            )));
        }
        let args = self.bind_args(&call.args)?;
        let routine = self.routine(&name, RoutineKind::Reducer, &args)?;
        let args = self.convert_args(&routine, args)?;
        Ok(BoundCall { routine, args })
    }

    /// A module view in FROM: its rows, under `alias` or its own name.
    pub(super) fn bind_view_call(
        &mut self,
        name: &str,
        args: &[&ast::Expr],
        alias: Option<&ast::TableAlias>,
    ) -> Result<(Plan, Scope), SqlError> {
        let args = self.bind_args(args)?;
        let routine = self.routine(name, RoutineKind::View, &args)?;
        let args = self.convert_args(&routine, args)?;
        let shown = alias.map_or_else(|| name.to_owned(), |a| names::ident(&a.name));
        let columns = routine
            .returns
            .iter()
            .map(|c| (c.name.clone(), c.data_type));
        let mut scope = Scope::computed(Some(shown), columns);
        if let Some(alias) = alias {
            super::from::rename_columns(&mut scope, alias)?;
        }
        let width = scope.width();
        Ok((
            Plan::CallView {
                routine,
                args,
                width,
            },
            scope,
        ))
    }

    /// Arguments bind in an empty scope: they are computed once, before the call,
    /// so they cannot refer to the columns of its own query level (a view in FROM
    /// may name the items on its left, which are an enclosing scope then).
    fn bind_args(&mut self, args: &[&ast::Expr]) -> Result<Vec<Expr>, SqlError> {
        let scope = Scope::default();
        args.iter().map(|a| self.bind_expr(a, &scope)).collect()
    }

    /// The routine called `name` of `kind` taking as many arguments as given.
    fn routine(
        &self,
        name: &str,
        kind: RoutineKind,
        args: &[Expr],
    ) -> Result<Arc<RoutineSchema>, SqlError> {
        let signature = || signature(name, args.iter().map(|a| a.ty().to_string()));
        let Some(routine) = self.db.get_routine(name) else {
            return Err(no_such_routine(kind, signature()));
        };
        match (kind, routine.kind) {
            (RoutineKind::Reducer, RoutineKind::View) => {
                return Err(SqlError::WrongObjectType(format!(
                    "{} is not a procedure: it is a view of module {}; \
                     call it with SELECT * FROM {name}(…)",
                    signature(),
                    routine.module
                )))
            }
            (RoutineKind::View, RoutineKind::Reducer) => {
                return Err(SqlError::WrongObjectType(format!(
                    "{} is a procedure (a reducer of module {}); call it with CALL",
                    signature(),
                    routine.module
                )))
            }
            _ => {}
        }
        if routine.params.len() != args.len() {
            return Err(no_such_routine(kind, signature()));
        }
        Ok(routine.clone())
    }

    /// The arguments converted to the parameter types, or 42883 if one cannot be.
    fn convert_args(
        &mut self,
        routine: &RoutineSchema,
        args: Vec<Expr>,
    ) -> Result<Vec<Expr>, SqlError> {
        let given: Vec<String> = args.iter().map(|a| a.ty().to_string()).collect();
        args.into_iter()
            .zip(&routine.params)
            .map(|(arg, param)| {
                self.convert_implicit(arg, param.data_type).map_err(|_| {
                    no_such_routine(
                        routine.kind,
                        signature(&routine.name, given.iter().cloned()),
                    )
                })
            })
            .collect()
    }
}

fn signature(name: &str, types: impl Iterator<Item = String>) -> String {
    format!("{name}({})", types.collect::<Vec<_>>().join(", "))
}

fn no_such_routine(kind: RoutineKind, signature: String) -> SqlError {
    SqlError::UndefinedRoutine {
        kind: match kind {
            RoutineKind::Reducer => "procedure",
            RoutineKind::View => "function",
        },
        signature,
    }
}
