//! Window function calls: `f(…) OVER (PARTITION BY … ORDER BY …)`.
//!
//! A call may stand in the select list or ORDER BY of a query without grouping
//! (elsewhere it is 42P20, as in PostgreSQL). It is bound over the query's input
//! rows (FROM and WHERE) into a [`WindowFunction`], and stands in the expression
//! for the column a [`Plan::Window`] between the input and the projection appends
//! for it. What is not supported answers 0A000: named windows (`WINDOW w AS`),
//! frame clauses (`ROWS`/`RANGE`/`GROUPS`; the default frame is the one every
//! call gets), and window functions in a grouped query (over the groups).

use sqlparser::ast::{self, Expr as A, WindowType};

use crate::sql::plan::{Expr, Plan, SortKey, WindowFunction, WindowKind, WINDOW_FUNCTIONS};
use crate::sql::SqlError;
use crate::types::DataType;

use super::function::{aggregate_func, call_args};
use super::scope::Scope;
use super::Binder;

/// The window function calls of the query being bound.
pub(super) struct WindowContext {
    /// The width of the rows the window node reads: its calls' columns follow.
    input_width: usize,
    functions: Vec<WindowFunction>,
    /// Set while a call's arguments and window are bound: a call there is nested.
    binding_call: bool,
}

impl WindowContext {
    pub(super) fn new(input_width: usize) -> Self {
        WindowContext {
            input_width,
            functions: Vec::new(),
            binding_call: false,
        }
    }

    /// `input` with the window node the calls need, if there were any.
    pub(super) fn plan(self, input: Plan) -> Plan {
        if self.functions.is_empty() {
            return input;
        }
        Plan::Window {
            input: Box::new(input),
            functions: self.functions,
        }
    }
}

impl Binder<'_> {
    pub(super) fn bind_window_call(
        &mut self,
        f: &ast::Function,
        name: &str,
        over: &WindowType,
        scope: &Scope,
    ) -> Result<Expr, SqlError> {
        match &self.window {
            Some(ctx) if ctx.binding_call => {
                return Err(SqlError::Windowing(
                    "window function calls cannot be nested".into(),
                ))
            }
            Some(_) => {}
            None if self.agg.is_some() => {
                return Err(SqlError::Unsupported(
                    "window functions in a query with GROUP BY, HAVING or aggregates".into(),
                ))
            }
            None => {
                return Err(SqlError::Windowing(
                    "window functions are not allowed here".into(),
                ))
            }
        }
        let spec = match over {
            WindowType::WindowSpec(spec) if spec.window_name.is_none() => spec,
            _ => return Err(SqlError::Unsupported("named windows (WINDOW … AS)".into())),
        };
        if spec.window_frame.is_some() {
            return Err(SqlError::Unsupported(
                "window frame clauses (ROWS, RANGE, GROUPS); without one, a window runs from \
                 the partition's first row through the current row's last peer"
                    .into(),
            ));
        }
        self.window.as_mut().expect("checked above").binding_call = true;
        let function = self.bind_window_function(f, name, spec, scope);
        let ctx = self.window.as_mut().expect("checked above");
        ctx.binding_call = false;
        let function = function?;
        let ty = function.ty;
        let position = match ctx.functions.iter().position(|w| *w == function) {
            Some(p) => p,
            None => {
                ctx.functions.push(function);
                ctx.functions.len() - 1
            }
        };
        Ok(Expr::Column {
            index: ctx.input_width + position,
            ty,
        })
    }

    fn bind_window_function(
        &mut self,
        f: &ast::Function,
        name: &str,
        spec: &ast::WindowSpec,
        scope: &Scope,
    ) -> Result<WindowFunction, SqlError> {
        let call = call_args(f)?;
        if call.distinct {
            return Err(SqlError::Unsupported(
                "DISTINCT in a window function call".into(),
            ));
        }
        if !call.order_by.is_empty() {
            return Err(SqlError::Unsupported(
                "ORDER BY within a window function's arguments".into(),
            ));
        }
        let mut partition_by = Vec::with_capacity(spec.partition_by.len());
        for e in &spec.partition_by {
            partition_by.push(self.bind_expr(e, scope)?);
        }
        let mut order_by = Vec::with_capacity(spec.order_by.len());
        for o in &spec.order_by {
            let (descending, nulls_first) = super::select::sort_options(o)?;
            order_by.push(SortKey {
                expr: self.bind_expr(&o.expr, scope)?,
                descending,
                nulls_first,
            });
        }
        let (kind, args, ty) = if let Some(func) = aggregate_func(name) {
            let inputs =
                self.bind_aggregate_inputs(func, name, &call, f.filter.as_deref(), scope)?;
            let aggregate = self.aggregate_of(func, name, false, inputs)?;
            let ty = aggregate.ty;
            (WindowKind::Aggregate(Box::new(aggregate)), Vec::new(), ty)
        } else {
            let Some((_, kind)) = WINDOW_FUNCTIONS.iter().find(|(n, _)| *n == name) else {
                return Err(SqlError::WrongObjectType(format!(
                    "OVER specified, but {name} is not a window function nor an aggregate \
                     function"
                )));
            };
            if f.filter.is_some() {
                return Err(SqlError::Unsupported(
                    "FILTER for non-aggregate window functions".into(),
                ));
            }
            if call.star {
                return Err(self.no_window_function(name, &call.args));
            }
            let (args, ty) = self.bind_window_arguments(kind, name, &call.args, scope)?;
            (kind.clone(), args, ty)
        };
        Ok(WindowFunction {
            kind,
            args,
            partition_by,
            order_by,
            ty,
        })
    }

    /// The arguments of a window function that is not an aggregate, coerced to
    /// its signature, and its result type.
    fn bind_window_arguments(
        &mut self,
        kind: &WindowKind,
        name: &str,
        given: &[&A],
        scope: &Scope,
    ) -> Result<(Vec<Expr>, DataType), SqlError> {
        let mut bound = Vec::with_capacity(given.len());
        for a in given {
            bound.push(self.bind_expr(a, scope)?);
        }
        // An untyped value is text, as PostgreSQL resolves `anyelement`.
        let value_type = match bound.first().map(Expr::ty) {
            Some(DataType::Unknown) => DataType::Text,
            ty => ty.unwrap_or(DataType::Unknown),
        };
        use WindowKind as K;
        let ty = match (kind, bound.len()) {
            (K::RowNumber | K::Rank | K::DenseRank, 0) => DataType::Int8,
            (K::PercentRank | K::CumeDist, 0) => DataType::Float8,
            (K::Ntile, 1) => DataType::Int4,
            (K::FirstValue | K::LastValue, 1) | (K::NthValue, 2) | (K::Lag | K::Lead, 1 | 2) => {
                value_type
            }
            // `lag(anycompatible, integer, anycompatible)`: the value and the
            // default share a type.
            (K::Lag | K::Lead, 3) => match self.common_type_of([&bound[0], &bound[2]], name)? {
                DataType::Unknown => DataType::Text,
                common => common,
            },
            _ => return Err(self.no_window_function(name, given)),
        };
        let mut args = Vec::with_capacity(bound.len());
        for (i, arg) in bound.into_iter().enumerate() {
            args.push(match (kind, i) {
                (K::Ntile, 0) | (K::NthValue | K::Lag | K::Lead, 1) => {
                    self.coerce(arg, DataType::Int4, name)?
                }
                (K::Lag | K::Lead, 2) | (_, 0) => self.coerce_result(arg, ty, name)?,
                _ => arg,
            });
        }
        Ok((args, ty))
    }

    fn no_window_function(&self, name: &str, args: &[&A]) -> SqlError {
        SqlError::UndefinedFunction(format!(
            "function {name} with {} arguments does not exist",
            args.len()
        ))
    }
}
