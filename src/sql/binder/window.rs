//! Window function calls: `f(…) OVER (PARTITION BY … ORDER BY …)`.
//!
//! A call may stand in a query's select list or ORDER BY (elsewhere it is 42P20,
//! as in PostgreSQL). It is bound over the rows the query projects — its FROM and
//! WHERE, or in a grouped query its groups (after HAVING) — into a
//! [`WindowFunction`], and stands in the expression for the column a
//! [`Plan::Window`] between those rows and the projection appends for it. What is
//! not supported answers 0A000: named windows (`WINDOW w AS`) and frame clauses
//! (`ROWS`/`RANGE`/`GROUPS`; the default frame is the one every call gets).
//!
//! A grouped query's row width is known only once every aggregate in its outputs
//! is bound, so there a call's column is first numbered from [`OVER_GROUPS_BASE`]
//! and moved after the aggregates by [`WindowContext::place`].

use sqlparser::ast::{self, Expr as A, WindowType};

use crate::sql::plan::{Expr, Plan, SortKey, WindowFunction, WindowKind, WINDOW_FUNCTIONS};
use crate::sql::SqlError;
use crate::types::DataType;

use super::function::{aggregate_func, call_args};
use super::scope::Scope;
use super::Binder;

/// Where a grouped query's window columns are numbered from until they are placed:
/// far beyond any row's width.
const OVER_GROUPS_BASE: usize = usize::MAX / 2;

/// The window function calls of the query being bound.
pub(super) struct WindowContext {
    /// The width of the rows the window node reads: its calls' columns follow.
    /// [`OVER_GROUPS_BASE`] over groups.
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

    /// For the outputs of a grouped query, whose width is not known yet.
    pub(super) fn over_groups() -> Self {
        WindowContext::new(OVER_GROUPS_BASE)
    }

    fn is_over_groups(&self) -> bool {
        self.input_width == OVER_GROUPS_BASE
    }

    /// Moves the columns of a grouped query's calls in `exprs` to follow its
    /// groups' `width` columns.
    pub(super) fn place<'e>(
        &mut self,
        width: usize,
        exprs: impl IntoIterator<Item = &'e mut Expr>,
    ) {
        fn place_in(expr: &mut Expr, width: usize) {
            if let Expr::Column { index, .. } = expr {
                if *index >= OVER_GROUPS_BASE {
                    *index = *index - OVER_GROUPS_BASE + width;
                }
            }
            for child in expr.children_mut() {
                place_in(child, width);
            }
        }
        if self.is_over_groups() {
            for expr in exprs {
                place_in(expr, width);
            }
            self.input_width = width;
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
            // Over groups, the grouped context is set aside only to bind an
            // aggregate's arguments, or to try an output over the ungrouped rows
            // (`bind_over_groups`, which then binds it over the groups).
            Some(ctx) if ctx.is_over_groups() && self.agg.is_none() => {
                return Err(SqlError::Grouping(
                    "aggregate function calls cannot contain window function calls".into(),
                ))
            }
            Some(_) => {}
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
                // A function that does not exist is 42883 first, as in PostgreSQL.
                self.bind_named_call(name, &call.args, scope)?;
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
                return Err(SqlError::UndefinedFunction(format!(
                    "function {name}(*) does not exist"
                )));
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
        let types: Vec<String> = bound.iter().map(|a| a.ty().to_string()).collect();
        let no_such_function = || {
            SqlError::UndefinedFunction(format!(
                "function {name}({}) does not exist",
                types.join(", ")
            ))
        };
        use WindowKind as K;
        if matches!(kind, K::Rank | K::DenseRank | K::PercentRank | K::CumeDist)
            && !bound.is_empty()
        {
            // With arguments these are PostgreSQL's hypothetical-set aggregates.
            return Err(SqlError::WrongObjectType(format!(
                "WITHIN GROUP is required for ordered-set aggregate {name}"
            )));
        }
        // An untyped value is text, as PostgreSQL resolves `anyelement`.
        let value_type = match bound.first().map(Expr::ty) {
            Some(DataType::Unknown) => DataType::Text,
            ty => ty.unwrap_or(DataType::Unknown),
        };
        let ty = match (kind, bound.len()) {
            (K::RowNumber | K::Rank | K::DenseRank, 0) => DataType::Int8,
            (K::PercentRank | K::CumeDist, 0) => DataType::Float8,
            (K::Ntile, 1) => DataType::Int4,
            (K::FirstValue | K::LastValue, 1) | (K::NthValue, 2) | (K::Lag | K::Lead, 1 | 2) => {
                value_type
            }
            // `lag(anycompatible, integer, anycompatible)`: the value and the
            // default share a type.
            (K::Lag | K::Lead, 3) => match self.common_type_of([&bound[0], &bound[2]], name) {
                Ok(DataType::Unknown) => DataType::Text,
                Ok(common) => common,
                Err(_) => return Err(no_such_function()),
            },
            _ => return Err(no_such_function()),
        };
        // An argument that does not convert implicitly matches no signature.
        let mut args = Vec::with_capacity(bound.len());
        for (i, arg) in bound.into_iter().enumerate() {
            let converted = match (kind, i) {
                (K::Ntile, 0) | (K::NthValue | K::Lag | K::Lead, 1) => {
                    self.coerce(arg, DataType::Int4, name)
                }
                (K::Lag | K::Lead, 2) | (_, 0) => self.coerce_result(arg, ty, name),
                _ => Ok(arg),
            };
            args.push(converted.map_err(|_| no_such_function())?);
        }
        Ok((args, ty))
    }
}
