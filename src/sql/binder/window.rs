//! Window function calls: `f(…) OVER (PARTITION BY … ORDER BY …)`.
//!
//! A call may stand in a query's select list or ORDER BY (elsewhere it is 42P20,
//! as in PostgreSQL). It is bound over the rows the query projects — its FROM and
//! WHERE, or in a grouped query its groups (after HAVING) — into a
//! [`WindowFunction`], and stands in the expression for the column a
//! [`Plan::Window`] between those rows and the projection appends for it. Named
//! windows (`WINDOW w AS (…)`, `OVER w`, `OVER (w ORDER BY …)`) follow
//! PostgreSQL's rules for copying one. Frames are `ROWS` with any bounds and
//! `RANGE` without offsets; `RANGE` with an offset, `GROUPS` and `EXCLUDE` answer
//! 0A000.
//!
//! A grouped query's row width is known only once every aggregate in its outputs
//! is bound, so there a call's column is first numbered from [`OVER_GROUPS_BASE`]
//! and moved after the aggregates by [`WindowContext::place`].

use sqlparser::ast::{
    self, Expr as A, NamedWindowDefinition, NamedWindowExpr, WindowFrameBound, WindowFrameUnits,
    WindowSpec, WindowType,
};

use crate::sql::plan::{
    Expr, Frame, FrameBound, Plan, SortKey, WindowFunction, WindowKind, WINDOW_FUNCTIONS,
};
use crate::sql::SqlError;
use crate::types::{CastKind, DataType};

use super::datatype::{require_equality, require_ordering};
use super::function::{aggregate_func, call_args};
use super::scope::Scope;
use super::state::{place_columns, position_or_push};
use super::{names, Binder};

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
    /// Set while a window aggregate's FILTER is bound: no aggregate may be there.
    pub(super) binding_filter: bool,
    /// The query's `WINDOW` clause.
    named: Vec<NamedWindowDefinition>,
}

impl WindowContext {
    /// 42P20 if the WINDOW clause defines a name twice.
    pub(super) fn new(
        input_width: usize,
        named: &[NamedWindowDefinition],
    ) -> Result<Self, SqlError> {
        for (i, NamedWindowDefinition(name, _)) in named.iter().enumerate() {
            let name = names::ident(name);
            if named[..i].iter().any(|d| names::ident(&d.0) == name) {
                return Err(SqlError::Windowing(format!(
                    "window \"{name}\" is already defined"
                )));
            }
        }
        Ok(WindowContext {
            input_width,
            functions: Vec::new(),
            binding_call: false,
            binding_filter: false,
            named: named.to_vec(),
        })
    }

    /// For the outputs of a grouped query, whose width is not known yet.
    pub(super) fn over_groups(named: &[NamedWindowDefinition]) -> Result<Self, SqlError> {
        WindowContext::new(OVER_GROUPS_BASE, named)
    }

    /// The window a call's OVER names or writes, with a named window it copies
    /// filled in.
    fn resolve(&self, over: &WindowType) -> Result<WindowSpec, SqlError> {
        match over {
            WindowType::NamedWindow(name) => self.named(name, self.named.len()),
            WindowType::WindowSpec(spec) => self.copy(spec, self.named.len()),
        }
    }

    /// `spec`, which may copy a window defined among the first `defined`.
    fn copy(&self, spec: &WindowSpec, defined: usize) -> Result<WindowSpec, SqlError> {
        let Some(name) = &spec.window_name else {
            return Ok(spec.clone());
        };
        let base = self.named(name, defined)?;
        let name = names::ident(name);
        let refusal = if !spec.partition_by.is_empty() {
            Some(format!(
                "cannot override PARTITION BY clause of window \"{name}\""
            ))
        } else if !spec.order_by.is_empty() && !base.order_by.is_empty() {
            Some(format!(
                "cannot override ORDER BY clause of window \"{name}\""
            ))
        } else if base.window_frame.is_some() {
            Some(format!(
                "cannot copy window \"{name}\" because it has a frame clause"
            ))
        } else {
            None
        };
        if let Some(message) = refusal {
            return Err(SqlError::Windowing(message));
        }
        Ok(WindowSpec {
            window_name: None,
            partition_by: base.partition_by,
            order_by: if spec.order_by.is_empty() {
                base.order_by
            } else {
                spec.order_by.clone()
            },
            window_frame: spec.window_frame.clone(),
        })
    }

    /// The window called `name` among the first `defined` of the WINDOW clause
    /// (a definition may copy only those before it).
    fn named(&self, name: &ast::Ident, defined: usize) -> Result<WindowSpec, SqlError> {
        let wanted = names::ident(name);
        let Some(position) = self.named[..defined]
            .iter()
            .position(|NamedWindowDefinition(n, _)| names::ident(n) == wanted)
        else {
            return Err(SqlError::UndefinedObject(format!(
                "window \"{wanted}\" does not exist"
            )));
        };
        match &self.named[position].1 {
            NamedWindowExpr::WindowSpec(spec) => self.copy(spec, position),
            NamedWindowExpr::NamedWindow(other) => self.named(other, position),
        }
    }

    fn is_over_groups(&self) -> bool {
        self.input_width == OVER_GROUPS_BASE
    }

    /// Moves the columns of a grouped query's calls in `exprs` to follow its
    /// groups' `width` columns.
    pub(super) fn place<'e>(&self, width: usize, exprs: impl IntoIterator<Item = &'e mut Expr>) {
        debug_assert!(self.is_over_groups());
        place_columns(OVER_GROUPS_BASE, width, exprs);
    }

    /// Whether the select list calls any window function.
    pub(super) fn has_functions(&self) -> bool {
        !self.functions.is_empty()
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
        let ctx = self.window.as_mut().expect("checked above");
        let spec = ctx.resolve(over)?;
        ctx.binding_call = true;
        let function = self.bind_window_function(f, name, &spec, scope);
        let ctx = self.window.as_mut().expect("checked above");
        ctx.binding_call = false;
        let function = function?;
        let ty = function.ty;
        let position = position_or_push(&mut ctx.functions, function);
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
            let key = self.bind_expr(e, scope)?;
            require_equality(key.ty())?;
            partition_by.push(key);
        }
        let mut order_by = Vec::with_capacity(spec.order_by.len());
        for o in &spec.order_by {
            let (descending, nulls_first) = super::select::sort_options(o)?;
            let expr = self.bind_expr(&o.expr, scope)?;
            require_ordering(expr.ty())?;
            order_by.push(SortKey {
                expr,
                descending,
                nulls_first,
            });
        }
        let frame = match &spec.window_frame {
            None => Frame::default_range(),
            Some(frame) => self.bind_frame(frame, scope)?,
        };
        let (kind, args, ty) = if let Some(func) = aggregate_func(name) {
            let mut inputs = self.bind_aggregate_inputs(func, name, &call, None, scope)?;
            if let Some(filter) = f.filter.as_deref() {
                // Over groups, an aggregate here would be one of the groups'; as
                // in PostgreSQL, there may be none.
                let ctx = self.window.as_mut().expect("binding a window call");
                ctx.binding_filter = true;
                let bound = self.bind_expr(filter, scope);
                self.window
                    .as_mut()
                    .expect("binding a window call")
                    .binding_filter = false;
                inputs.filter = Some(self.coerce(bound?, DataType::Bool, "FILTER")?);
            }
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
            frame,
            ty,
        })
    }

    /// A frame clause, checked as PostgreSQL's grammar checks it (42P20).
    fn bind_frame(&mut self, frame: &ast::WindowFrame, scope: &Scope) -> Result<Frame, SqlError> {
        if frame.units == WindowFrameUnits::Groups {
            return Err(SqlError::Unsupported("GROUPS frames".into()));
        }
        let rows = frame.units == WindowFrameUnits::Rows;
        let start = self.bind_frame_bound(&frame.start_bound, rows, scope)?;
        let end = match &frame.end_bound {
            Some(end) => self.bind_frame_bound(end, rows, scope)?,
            None => FrameBound::CurrentRow,
        };
        use FrameBound as B;
        let refusal = match (&start, &end) {
            (B::UnboundedFollowing, _) => Some("frame start cannot be UNBOUNDED FOLLOWING"),
            (_, B::UnboundedPreceding) => Some("frame end cannot be UNBOUNDED PRECEDING"),
            (B::CurrentRow, B::Preceding(_)) => {
                Some("frame starting from current row cannot have preceding rows")
            }
            (B::Following(_), B::Preceding(_) | B::CurrentRow) => {
                Some("frame starting from following row cannot have preceding rows")
            }
            _ => None,
        };
        if let Some(message) = refusal {
            return Err(SqlError::Windowing(message.into()));
        }
        Ok(Frame { rows, start, end })
    }

    fn bind_frame_bound(
        &mut self,
        bound: &WindowFrameBound,
        rows: bool,
        scope: &Scope,
    ) -> Result<FrameBound, SqlError> {
        let offset = |b: &mut Self, e: &A| -> Result<Expr, SqlError> {
            if !rows {
                return Err(SqlError::Unsupported(
                    "RANGE frames with an offset (ROWS frames may have one)".into(),
                ));
            }
            let bound = b.bind_expr(e, scope)?;
            if bound.references_columns() || bound.has_subquery() {
                return Err(SqlError::InvalidColumnReference(
                    "argument of ROWS must not contain variables".into(),
                ));
            }
            // An assignment cast, as PostgreSQL's (`ROWS 1.5 PRECEDING` is 2).
            b.coerce_as(bound, DataType::Int8, CastKind::Assignment, "ROWS")
        };
        Ok(match bound {
            WindowFrameBound::CurrentRow => FrameBound::CurrentRow,
            WindowFrameBound::Preceding(None) => FrameBound::UnboundedPreceding,
            WindowFrameBound::Following(None) => FrameBound::UnboundedFollowing,
            WindowFrameBound::Preceding(Some(e)) => FrameBound::Preceding(offset(self, e)?),
            WindowFrameBound::Following(Some(e)) => FrameBound::Following(offset(self, e)?),
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
        let ty = match (kind, bound.len()) {
            (K::RowNumber | K::Rank | K::DenseRank, 0) => DataType::Int8,
            (K::PercentRank | K::CumeDist, 0) => DataType::Float8,
            (K::Ntile, 1) => DataType::Int4,
            // `anyelement`: an untyped value (`lag('x')`) gives it no type.
            (K::FirstValue | K::LastValue, 1) | (K::NthValue, 2) | (K::Lag | K::Lead, 1 | 2) => {
                match bound[0].ty() {
                    DataType::Unknown => {
                        return Err(SqlError::DatatypeMismatch(
                            "could not determine polymorphic type because input has type unknown"
                                .into(),
                        ))
                    }
                    ty => ty,
                }
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
