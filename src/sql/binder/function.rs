//! Function calls: aggregates, the special forms (COALESCE, NULLIF, GREATEST,
//! LEAST), and the scalar library's functions.

use sqlparser::ast::{
    self, DuplicateTreatment, Expr as A, FunctionArg, FunctionArgExpr, FunctionArguments,
};

use crate::sql::plan::{Aggregate, AggregateFunc, Expr, SetFunction, SortKey, WINDOW_FUNCTIONS};
use crate::sql::SqlError;
use crate::types::{
    common_numeric, resolve_function, DataType, FunctionError, FunctionId, OidAlias, Value,
};

use super::array::vector_as_array;
use super::datatype::{require_equality, require_ordering};
use super::scope::{Lookup, Scope};
use super::state::position_or_push;
use super::{names, Binder};

impl Binder<'_> {
    pub(super) fn bind_function(
        &mut self,
        f: &ast::Function,
        scope: &Scope,
    ) -> Result<Expr, SqlError> {
        if !f.within_group.is_empty() || f.null_treatment.is_some() {
            return Err(SqlError::Unsupported(
                "WITHIN GROUP and IGNORE/RESPECT NULLS on function calls".into(),
            ));
        }
        let parts = names::parts(&f.name)?;
        if let FunctionArguments::Subquery(q) = &f.args {
            if parts == ["array"] {
                return self.bind_array_subquery(q, scope);
            }
        }
        let name = match parts.as_slice() {
            [name] => name.clone(),
            [schema, name] if schema == "pg_catalog" || schema == "public" => name.clone(),
            _ => {
                return Err(SqlError::UndefinedFunction(format!(
                    "function {} does not exist",
                    parts.join(".")
                )))
            }
        };
        if let Some(over) = &f.over {
            return self.bind_window_call(f, &name, over, scope);
        }
        if WINDOW_FUNCTIONS.iter().any(|(n, _)| *n == name) {
            return Err(SqlError::WrongObjectType(format!(
                "window function {name} requires an OVER clause"
            )));
        }
        let call = call_args(f)?;
        if let Some(func) = aggregate_func(&name) {
            return self.bind_aggregate(func, &name, &call, f.filter.as_deref());
        }
        let aggregate_clause = [
            (f.filter.is_some(), "FILTER"),
            (call.distinct || call.star, "DISTINCT/*"),
            (!call.order_by.is_empty(), "ORDER BY"),
        ]
        .into_iter()
        .find_map(|(present, clause)| present.then_some(clause));
        if let Some(clause) = aggregate_clause {
            return Err(SqlError::InvalidStatement(format!(
                "{clause} specified, but {name} is not an aggregate function"
            )));
        }
        if let ("row_to_json" | "to_json" | "to_jsonb", [arg]) = (name.as_str(), &call.args[..]) {
            if let Some(row) = self.whole_row(arg, scope, false)? {
                return Ok(if name == "to_jsonb" {
                    Expr::Function {
                        function: FunctionId::ToJsonb,
                        strict: true,
                        args: vec![row],
                        ty: DataType::Jsonb,
                    }
                } else {
                    row
                });
            }
        }
        self.bind_named_call(&name, &call.args, scope)
    }

    /// `t` in `row_to_json(t)`, `to_json[b](t)` or `json[b]_agg(t)`: a name
    /// that is no column but a relation in scope stands for that relation's
    /// whole row, which these functions write as a json object of its columns
    /// in order (`{"id":1,"name":"ann"}`, PostgreSQL's compact form; see
    /// `FunctionId::JsonRow`). None if `arg` is anything else.
    /// `in_aggregate`: the argument of `json[b]_agg`, which reads its input's
    /// columns and takes the row itself (`json_agg` writes each on a line of
    /// its own); otherwise the columns are read as the select list reads them.
    pub(super) fn whole_row(
        &mut self,
        arg: &A,
        scope: &Scope,
        in_aggregate: bool,
    ) -> Result<Option<Expr>, SqlError> {
        let A::Identifier(ident) = arg else {
            return Ok(None);
        };
        let relation = names::ident(ident);
        let is_column = !matches!(scope.lookup(None, &relation), Ok(Lookup::NotFound));
        if is_column || !scope.has_relation(&relation) {
            return Ok(None);
        }
        if scope.null_extended.contains(&relation) {
            // Its whole row is NULL where the join null-extends it, which a
            // row made of its columns cannot tell from a row of NULLs.
            return Err(SqlError::Unsupported(format!(
                "the whole row of \"{relation}\", which an outer join may null-extend \
                 (name its columns instead)"
            )));
        }
        let mut args = Vec::new();
        for (index, column) in scope.columns.iter().enumerate() {
            if column.relation.as_deref() != Some(relation.as_str()) {
                continue;
            }
            let value = Expr::Column {
                index,
                ty: column.ty,
            };
            args.push(Expr::Const(
                Value::Text(column.name.clone()),
                DataType::Text,
            ));
            args.push(if in_aggregate {
                value
            } else {
                self.over_groups(value)?
            });
        }
        Ok(Some(Expr::Function {
            function: FunctionId::JsonRow {
                record: in_aggregate,
            },
            strict: false,
            args,
            ty: DataType::Json,
        }))
    }

    /// A call of the non-aggregate function `name` on `args`.
    pub(super) fn bind_named_call(
        &mut self,
        name: &str,
        args: &[&A],
        scope: &Scope,
    ) -> Result<Expr, SqlError> {
        let mut bound = Vec::with_capacity(args.len());
        for a in args {
            bound.push(match name {
                "coalesce" => {
                    self.inside_conditional("COALESCE", |binder| binder.bind_expr(a, scope))?
                }
                // Its argument's own type, a vector's included; a vector's
                // subscripts start at 0, which its bounds tell.
                "pg_typeof"
                | "array_lower"
                | "array_upper"
                | "array_dims"
                | "generate_subscripts" => self.bind_expr(a, scope)?,
                _ => vector_as_array(self.bind_expr(a, scope)?),
            });
        }
        match name {
            "pg_typeof" if bound.len() == 1 => Ok(pg_typeof(&bound[0])),
            "coalesce" => self.bind_coalesce(bound),
            "nullif" => self.bind_nullif(bound),
            "greatest" | "least" => self.bind_extreme(bound, name == "greatest"),
            "array_cat" | "array_append" | "array_prepend" | "array_remove" if bound.len() == 2 => {
                self.bind_array_call(name, bound)
            }
            "unnest"
            | "generate_series"
            | "generate_subscripts"
            | "regexp_split_to_table"
            | "regexp_matches"
            | "pg_listening_channels"
            | "string_to_table"
            | "jsonb_array_elements"
            | "jsonb_array_elements_text"
            | "jsonb_object_keys"
            | "json_array_elements"
            | "json_array_elements_text"
            | "json_object_keys" => self.bind_set_function(name, bound),
            "json_each" | "json_each_text" | "jsonb_each" | "jsonb_each_text" => {
                Err(SqlError::Unsupported(format!(
                    "{name} in the select list (it returns records, which Turnstile has not; \
                     call it in FROM)"
                )))
            }
            _ => self.bind_library_call(name, bound),
        }
    }

    /// A set-returning function in a select list or a GROUP BY key: a column
    /// of the `Plan::ProjectSet` under the projection, or under the grouping
    /// (see `SetFunctions`). 0A000 anywhere else, and in another one's
    /// arguments or an aggregate's.
    fn bind_set_function(&mut self, name: &str, args: Vec<Expr>) -> Result<Expr, SqlError> {
        if let Some(what) = self.conditional {
            return Err(SqlError::UnsupportedMessage(format!(
                "set-returning functions are not allowed in {what}"
            )));
        }
        if self.in_aggregate_inputs > 0 {
            return Err(SqlError::UnsupportedMessage(
                "aggregate function calls cannot contain set-returning function calls".into(),
            ));
        }
        let Some(base) = self.set_functions.as_ref().map(|s| s.base) else {
            return Err(SqlError::Unsupported(format!(
                "set-returning function {name} here (Turnstile calls them in FROM, in a \
                 select list and in a GROUP BY key)"
            )));
        };
        let mut nested = false;
        for arg in &args {
            arg.walk_columns(&mut |column| nested |= column >= base);
        }
        if nested {
            return Err(SqlError::Unsupported(format!(
                "a set-returning function in the arguments of {name}"
            )));
        }
        let (function, ty) = match name {
            "unnest" => {
                let (array, element) = self.unnested_array(args)?;
                (SetFunction::Elements(array), element)
            }
            "generate_series" => {
                let (start, stop, step, ty) = self.series_bounds(args)?;
                (SetFunction::Series { start, stop, step }, ty)
            }
            "generate_subscripts" => {
                let (start, stop, step) = self.subscript_series(args)?;
                (SetFunction::Series { start, stop, step }, DataType::Int4)
            }
            "regexp_split_to_table"
            | "string_to_table"
            | "regexp_matches"
            | "pg_listening_channels" => {
                let (array, element) = self.rows_array(name, args)?;
                (SetFunction::Elements(array), element)
            }
            _ => {
                let (array, element) = self.json_rows_array(name, args)?;
                (SetFunction::Elements(array), element)
            }
        };
        let functions = &mut self
            .set_functions
            .as_mut()
            .expect("checked above")
            .functions;
        let index = base + position_or_push(functions, function);
        Ok(Expr::Column { index, ty })
    }

    pub(super) fn bind_coalesce(&mut self, args: Vec<Expr>) -> Result<Expr, SqlError> {
        if args.is_empty() {
            return Err(SqlError::Syntax("syntax error at or near \")\"".into()));
        }
        let ty = self.common_type_of(&args, "COALESCE")?;
        let args = args
            .into_iter()
            .map(|a| self.coerce_result(a, ty, "COALESCE"))
            .collect::<Result<_, _>>()?;
        Ok(Expr::Coalesce { args, ty })
    }

    fn bind_nullif(&mut self, mut args: Vec<Expr>) -> Result<Expr, SqlError> {
        if args.len() != 2 {
            return Err(SqlError::UndefinedFunction(
                "function nullif does not exist".into(),
            ));
        }
        let right = args.pop().expect("two arguments");
        let left = args.pop().expect("two arguments");
        let given = left.ty();
        let common = if given == DataType::Unknown {
            Some(self.common_type(&[given, right.ty()], "NULLIF")?)
        } else {
            None
        };
        // The comparison decides whether the operands are comparable at all.
        let other = right.ty();
        let Expr::Binary { left, right, .. } =
            self.comparison(ast::BinaryOperator::Eq, left, right)?
        else {
            return Err(SqlError::Unsupported("NULLIF on these types".into()));
        };
        // PostgreSQL returns the first input of its `=`: promoted when there is no
        // `=` for the two types as given (`NULLIF(1, 2.5)` is numeric), not between
        // integer widths, which PostgreSQL compares as they are.
        let ty = match common {
            Some(common) => common,
            None if given.is_integer() && other.is_integer() => given,
            None if given.is_numeric() && other.is_numeric() => common_numeric(given, other),
            None if matches!(given, DataType::Varchar(_)) => DataType::Text,
            None => left.ty(),
        };
        // The value returned is of that type (a promoted number is converted).
        let left = if ty.is_numeric() && left.ty() != ty {
            Box::new(self.coerce(*left, ty, "NULLIF")?)
        } else {
            left
        };
        Ok(Expr::NullIf { left, right, ty })
    }

    fn bind_extreme(&mut self, args: Vec<Expr>, greatest: bool) -> Result<Expr, SqlError> {
        let what = if greatest { "GREATEST" } else { "LEAST" };
        let ty = self.common_type_of(&args, what)?;
        if !ty.has_order() {
            return Err(SqlError::UndefinedFunction(format!(
                "could not identify a comparison function for type {ty}"
            )));
        }
        let args = args
            .into_iter()
            .map(|a| self.coerce_result(a, ty, what))
            .collect::<Result<_, _>>()?;
        Ok(Expr::Extreme { args, greatest, ty })
    }

    fn bind_aggregate(
        &mut self,
        func: AggregateFunc,
        name: &str,
        call: &CallArgs<'_>,
        filter: Option<&A>,
    ) -> Result<Expr, SqlError> {
        if self.window.as_ref().is_some_and(|w| w.binding_filter) {
            return Err(SqlError::Grouping(
                "aggregate functions are not allowed in FILTER".into(),
            ));
        }
        let Some(agg) = self.agg.take() else {
            self.saw_aggregate = true;
            return Err(SqlError::Grouping(
                "aggregate functions are not allowed here".into(),
            ));
        };
        if call.distinct && !call.order_by.is_empty() {
            self.agg = Some(agg);
            return Err(SqlError::Unsupported(format!(
                "DISTINCT with ORDER BY in a call of {name}"
            )));
        }
        // The argument is over the grouped rows, with no grouped context: an
        // aggregate inside it is a nested aggregate.
        let input = agg.input.clone();
        let saved = std::mem::replace(&mut self.saw_aggregate, false);
        self.in_aggregate_inputs += 1;
        let (inputs, levels) = self
            .levels_referenced_by(|b| b.bind_aggregate_inputs(func, name, call, filter, &input));
        self.in_aggregate_inputs -= 1;
        let nested = std::mem::replace(&mut self.saw_aggregate, saved);
        self.agg = Some(agg);
        let inputs = match inputs {
            Err(_) if nested => {
                return Err(SqlError::Grouping(
                    "aggregate function calls cannot be nested".into(),
                ))
            }
            Err(e) => return Err(e),
            Ok(inputs) => inputs,
        };
        // PostgreSQL's rule: an aggregate belongs to the innermost query level
        // whose columns its arguments read (through subqueries too), which
        // need not be this one. Such a call is an aggregate of an enclosing
        // query (over its rows, grouping it); here it would aggregate this
        // query's rows instead.
        let own_level = self.outer.len();
        let reads_own = levels.get(own_level) == Some(&true);
        if !reads_own && levels.iter().take(own_level).any(|&read| read) {
            return Err(SqlError::Unsupported(format!(
                "{name}() over the columns of an enclosing query only, inside a subquery \
                 (PostgreSQL computes it as that query's aggregate; compute it there)"
            )));
        }
        let aggregate = self.aggregate_of(func, name, call.distinct, inputs)?;
        let ty = aggregate.ty;
        let ctx = self.agg.as_mut().expect("restored above");
        let position = position_or_push(&mut ctx.aggregates, aggregate);
        Ok(Expr::Column {
            index: ctx.group_keys.len() + position,
            ty,
        })
    }

    /// The aggregate of a call whose inputs are bound: an untyped argument gets
    /// its type, and the result type is PostgreSQL's.
    pub(super) fn aggregate_of(
        &mut self,
        func: AggregateFunc,
        name: &str,
        distinct: bool,
        inputs: AggregateInputs,
    ) -> Result<Aggregate, SqlError> {
        let AggregateInputs {
            arg,
            second,
            order_by,
            filter,
        } = inputs;
        let arg = match arg {
            // PostgreSQL has array_agg of arrays too, so an untyped argument
            // does not pick one.
            Some(a) if a.ty() == DataType::Unknown && func == AggregateFunc::ArrayAgg => {
                return Err(SqlError::AmbiguousFunction(
                    "function array_agg(unknown) is not unique".into(),
                ))
            }
            // An untyped argument is text, or boolean for the boolean aggregates
            // (their only argument type).
            Some(a) if a.ty() == DataType::Unknown => {
                let ty = match func {
                    AggregateFunc::BoolAnd | AggregateFunc::BoolOr => DataType::Bool,
                    _ => DataType::Text,
                };
                Some(self.coerce(a, ty, name)?)
            }
            a => a,
        };
        if let (AggregateFunc::ArrayAgg, Some(element)) = (func, arg.as_ref().map(Expr::ty)) {
            if element.array_of().is_none() {
                return Err(SqlError::Unsupported(format!(
                    "array_agg of {element} (there are no arrays of it, and arrays have one \
                     dimension)"
                )));
            }
        }
        if let (true, Some(arg)) = (distinct, &arg) {
            require_equality(arg.ty())?;
        }
        let ty = aggregate_type(func, arg.as_ref().map(Expr::ty), name)?;
        Ok(Aggregate {
            func,
            arg,
            distinct,
            ty,
            second,
            order_by,
            filter,
        })
    }

    /// An aggregate call's inputs, bound over the rows being grouped.
    pub(super) fn bind_aggregate_inputs(
        &mut self,
        func: AggregateFunc,
        name: &str,
        call: &CallArgs<'_>,
        filter: Option<&A>,
        input: &Scope,
    ) -> Result<AggregateInputs, SqlError> {
        if call.star && !call.order_by.is_empty() {
            // PostgreSQL's grammar has no `f(* ORDER BY …)`.
            return Err(SqlError::Syntax("at or near \"ORDER\"".into()));
        }
        let mut second = None;
        let two_arguments = matches!(
            func,
            AggregateFunc::StringAgg | AggregateFunc::JsonbObjectAgg | AggregateFunc::JsonObjectAgg
        );
        let arg = match (call.star, &call.args[..]) {
            (true, []) if func == AggregateFunc::Count => None,
            (false, [a]) if !two_arguments => {
                let row = match func {
                    AggregateFunc::JsonAgg | AggregateFunc::JsonbAgg => {
                        self.whole_row(a, input, true)?
                    }
                    _ => None,
                };
                Some(match row {
                    Some(row) => row,
                    None => self.bind_expr(a, input)?,
                })
            }
            (false, [a, sep]) if func == AggregateFunc::StringAgg => {
                let sep = self.bind_expr(sep, input)?;
                second = Some(self.coerce(sep, DataType::Text, "string_agg")?);
                let a = self.bind_expr(a, input)?;
                Some(self.coerce(a, DataType::Text, "string_agg")?)
            }
            (false, [key, value]) if two_arguments => {
                // An untyped value is text, as the key is (below).
                let value = self.bind_expr(value, input)?;
                second = Some(if value.ty() == DataType::Unknown {
                    self.coerce(value, DataType::Text, name)?
                } else {
                    value
                });
                Some(self.bind_expr(key, input)?)
            }
            _ => {
                return Err(SqlError::UndefinedFunction(format!(
                    "function {name} with {} arguments does not exist",
                    call.args.len()
                )))
            }
        };
        let mut order_by = Vec::with_capacity(call.order_by.len());
        for o in call.order_by {
            let (descending, nulls_first) = super::select::sort_options(o)?;
            let expr = self.bind_expr(&o.expr, input)?;
            require_ordering(expr.ty())?;
            order_by.push(SortKey {
                expr,
                descending,
                nulls_first,
            });
        }
        let filter = match filter {
            Some(f) => {
                let bound = self.bind_expr(f, input)?;
                Some(self.coerce(bound, DataType::Bool, "FILTER")?)
            }
            None => None,
        };
        Ok(AggregateInputs {
            arg,
            second,
            order_by,
            filter,
        })
    }

    /// In a grouped query's outputs: a group key, an aggregate, or an expression
    /// without local columns becomes its value over the groups. None means "bind
    /// the node as usual and look at its children".
    pub(super) fn bind_over_groups(
        &mut self,
        expr: &A,
        scope: &Scope,
    ) -> Result<Option<Expr>, SqlError> {
        if let A::Function(f) = expr {
            let name = names::parts(&f.name)?.pop().unwrap_or_default();
            // An aggregate, or a window call (over the groups), binds as usual.
            if aggregate_func(&name).is_some() || f.over.is_some() {
                return Ok(None);
            }
        }
        let agg = self.agg.take().expect("called in a grouped context");
        if let Some(k) = agg.group_key_asts.iter().position(|key| key == expr) {
            let ty = agg.group_keys[k].ty();
            let returns_set = agg.key_returns_set(k);
            self.agg = Some(agg);
            // A key that calls a set-returning function is one still, as
            // written: where none may be, it is refused as the call would be.
            if let (Some(what), true) = (self.conditional, returns_set) {
                return Err(SqlError::UnsupportedMessage(format!(
                    "set-returning functions are not allowed in {what}"
                )));
            }
            return Ok(Some(Expr::Column { index: k, ty }));
        }
        let plain = self.bind_plain_quiet(expr, &agg.input);
        self.agg = Some(agg);
        let Ok(plain) = plain else {
            return match expr {
                A::Identifier(_) | A::CompoundIdentifier(_) => {
                    Err(plain.expect_err("checked just above"))
                }
                _ => Ok(None),
            };
        };
        let ctx = self.agg.as_ref().expect("restored above");
        if let Some(k) = ctx.group_keys.iter().position(|g| *g == plain) {
            return Ok(Some(Expr::Column {
                index: k,
                ty: plain.ty(),
            }));
        }
        if !plain.references_columns() && !plain.has_subquery() {
            return Ok(Some(plain));
        }
        match (expr, &plain) {
            (A::Identifier(_) | A::CompoundIdentifier(_), Expr::Column { index, .. }) => {
                Err(ungrouped(&ctx.input, *index))
            }
            _ => {
                let _ = scope;
                Ok(None)
            }
        }
    }

    /// Binds without the grouped context and without recording aggregates or
    /// set-returning functions (a result that calls one is never used as it
    /// is: the caller binds the expression again over the groups).
    fn bind_plain_quiet(&mut self, expr: &A, scope: &Scope) -> Result<Expr, SqlError> {
        let saved = self.saw_aggregate;
        let set_functions = self.set_functions.as_ref().map(|s| s.functions.len());
        let result = self.bind_expr(expr, scope);
        self.saw_aggregate = saved;
        if let (Some(recorded), Some(before)) = (&mut self.set_functions, set_functions) {
            recorded.functions.truncate(before);
        }
        result
    }

    /// A column of the grouped input, as the grouped outputs see it (`SELECT *`
    /// with GROUP BY): its group key, or 42803.
    pub(super) fn over_groups(&mut self, column: Expr) -> Result<Expr, SqlError> {
        let Some(ctx) = &self.agg else {
            return Ok(column);
        };
        match ctx.group_keys.iter().position(|g| *g == column) {
            Some(k) => Ok(Expr::Column {
                index: k,
                ty: column.ty(),
            }),
            None => match column {
                Expr::Column { index, .. } => Err(ungrouped(&ctx.input, index)),
                other => Ok(other),
            },
        }
    }
}

/// What an aggregate call aggregates: its argument (None for `count(*)`), its
/// second one (`string_agg`'s separator, `jsonb_object_agg`'s value), the
/// order of its `ORDER BY`, and its `FILTER (WHERE …)`.
pub(super) struct AggregateInputs {
    arg: Option<Expr>,
    second: Option<Expr>,
    order_by: Vec<SortKey>,
    pub(super) filter: Option<Expr>,
}

/// 42803 as PostgreSQL words it.
fn ungrouped(scope: &Scope, index: usize) -> SqlError {
    let c = &scope.columns[index];
    let name = match &c.relation {
        Some(r) => format!("{r}.{}", c.name),
        None => c.name.clone(),
    };
    SqlError::Grouping(format!(
        "column \"{name}\" must appear in the GROUP BY clause or be used in an aggregate function"
    ))
}

pub(super) fn aggregate_func(name: &str) -> Option<AggregateFunc> {
    Some(match name {
        "count" => AggregateFunc::Count,
        "sum" => AggregateFunc::Sum,
        "avg" => AggregateFunc::Avg,
        "min" => AggregateFunc::Min,
        "max" => AggregateFunc::Max,
        "string_agg" => AggregateFunc::StringAgg,
        "array_agg" => AggregateFunc::ArrayAgg,
        "jsonb_agg" => AggregateFunc::JsonbAgg,
        "jsonb_object_agg" => AggregateFunc::JsonbObjectAgg,
        "json_agg" => AggregateFunc::JsonAgg,
        "json_object_agg" => AggregateFunc::JsonObjectAgg,
        "bool_and" | "every" => AggregateFunc::BoolAnd,
        "bool_or" => AggregateFunc::BoolOr,
        "var_samp" | "variance" => AggregateFunc::Variance {
            population: false,
            root: false,
        },
        "var_pop" => AggregateFunc::Variance {
            population: true,
            root: false,
        },
        "stddev_samp" | "stddev" => AggregateFunc::Variance {
            population: false,
            root: true,
        },
        "stddev_pop" => AggregateFunc::Variance {
            population: true,
            root: true,
        },
        _ => return None,
    })
}

/// PostgreSQL's aggregate result types.
fn aggregate_type(
    func: AggregateFunc,
    arg: Option<DataType>,
    name: &str,
) -> Result<DataType, SqlError> {
    use DataType as T;
    let Some(arg) = arg else {
        return Ok(T::Int8);
    };
    let ty = match func {
        AggregateFunc::Count => Some(T::Int8),
        AggregateFunc::Sum => match arg {
            T::Int2 | T::Int4 => Some(T::Int8),
            T::Int8 | T::Numeric(_) => Some(T::Numeric(None)),
            T::Float4 => Some(T::Float4),
            T::Float8 => Some(T::Float8),
            T::Interval => Some(T::Interval),
            _ => None,
        },
        AggregateFunc::Avg => match arg {
            T::Int2 | T::Int4 | T::Int8 | T::Numeric(_) => Some(T::Numeric(None)),
            T::Float4 | T::Float8 => Some(T::Float8),
            T::Interval => Some(T::Interval),
            _ => None,
        },
        AggregateFunc::Variance { .. } => match arg {
            T::Int2 | T::Int4 | T::Int8 | T::Numeric(_) => Some(T::Numeric(None)),
            T::Float4 | T::Float8 => Some(T::Float8),
            _ => None,
        },
        AggregateFunc::StringAgg => Some(T::Text),
        AggregateFunc::ArrayAgg => arg.without_typmod().array_of(),
        AggregateFunc::JsonbAgg | AggregateFunc::JsonbObjectAgg => Some(T::Jsonb),
        AggregateFunc::JsonAgg | AggregateFunc::JsonObjectAgg => Some(T::Json),
        AggregateFunc::BoolAnd | AggregateFunc::BoolOr => (arg == T::Bool).then_some(T::Bool),
        AggregateFunc::Min | AggregateFunc::Max => match arg {
            T::Bool | T::Jsonb | T::Unknown => None,
            t if !t.has_order() => None,
            // max(bpchar) is a bpchar. PostgreSQL's has no length, but its values
            // keep their padding; Turnstile's are padded by the type when sent, so
            // the length stays.
            T::Bpchar(_) => Some(arg),
            // The other strings have no min and max of their own: they take text's.
            t if t.is_text() => Some(T::Text),
            // max(numeric) is plain numeric in PostgreSQL, whatever the column's scale.
            t => Some(t.without_typmod()),
        },
    };
    ty.ok_or_else(|| SqlError::UndefinedFunction(format!("function {name}({arg}) does not exist")))
}

/// `pg_typeof(x)`: x's type, known when binding, as a `regtype` (which prints as
/// the type's name: `character` for any `char(n)`).
fn pg_typeof(arg: &Expr) -> Expr {
    Expr::Const(
        Value::Int8(i64::from(arg.ty().oid())),
        DataType::Oid(OidAlias::RegType),
    )
}

/// PostgreSQL built-ins Turnstile does not have: calling one is 0A000, not 42883,
/// so a client can tell a missing feature from a typo.
const FUNCTIONS_NOT_SUPPORTED: &[&str] = &[
    "json_agg",
    "json_object_agg",
    "bit_and",
    "bit_or",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "variance",
    "var_pop",
    "var_samp",
    "percentile_cont",
    "percentile_disc",
    "mode",
    "row_number",
    "rank",
    "dense_rank",
    "percent_rank",
    "cume_dist",
    "ntile",
    "lag",
    "lead",
    "first_value",
    "last_value",
    "nth_value",
    "json_build_object",
    "json_build_array",
    "to_json",
    "row_to_json",
    "json_object",
    "jsonb_object",
    "jsonb_insert",
    "jsonb_pretty",
    "jsonb_each",
    "jsonb_each_text",
    "jsonb_path_query",
    "to_char",
    "to_date",
    "to_timestamp",
    "to_number",
    "date_bin",
    "make_timestamp",
    "make_timestamptz",
    "make_interval",
    "age",
    "justify_interval",
    "justify_days",
    "justify_hours",
    "regexp_replace",
    "string_to_array",
    "nextval",
    "currval",
    "setval",
    "lastval",
    "txid_current",
    "pg_current_xact_id",
    "pg_current_wal_lsn",
    "pg_current_wal_insert_lsn",
    "pg_current_wal_flush_lsn",
    "pg_wal_lsn_diff",
    "pg_switch_wal",
    "pg_walfile_name",
    "encode",
    "decode",
    "sha256",
    "sha512",
    "crc32",
    "width_bucket",
    "scale",
    "min_scale",
    "trim_scale",
    "gcd",
    "lcm",
    "factorial",
    "sin",
    "cos",
    "tan",
    "cot",
    "asin",
    "acos",
    "atan",
    "atan2",
    "sinh",
    "cosh",
    "tanh",
    "degrees",
    "radians",
    "random_normal",
    "translate",
    "bit_length",
    "overlay",
    "isfinite",
];

/// The arguments of a call, whether it said DISTINCT, whether it was `f(*)`, and
/// its `ORDER BY` (an aggregate's; empty for none).
pub(super) struct CallArgs<'f> {
    pub args: Vec<&'f A>,
    pub distinct: bool,
    pub star: bool,
    pub order_by: &'f [ast::OrderByExpr],
}

pub(super) fn call_args(f: &ast::Function) -> Result<CallArgs<'_>, SqlError> {
    let mut call = CallArgs {
        args: Vec::new(),
        distinct: false,
        star: false,
        order_by: &[],
    };
    match &f.args {
        FunctionArguments::None => Ok(call),
        FunctionArguments::Subquery(_) => Err(SqlError::Unsupported(
            "a subquery as function arguments".into(),
        )),
        FunctionArguments::List(list) => {
            for clause in &list.clauses {
                match clause {
                    ast::FunctionArgumentClause::OrderBy(order_by) if call.order_by.is_empty() => {
                        call.order_by = order_by
                    }
                    other => {
                        return Err(SqlError::Unsupported(format!(
                            "{other} inside function calls"
                        )))
                    }
                }
            }
            call.distinct = matches!(list.duplicate_treatment, Some(DuplicateTreatment::Distinct));
            for a in &list.args {
                match a {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => call.args.push(e),
                    FunctionArg::Unnamed(FunctionArgExpr::Wildcard) => call.star = true,
                    _ => {
                        return Err(SqlError::Unsupported(
                            "named or qualified-wildcard function arguments".into(),
                        ))
                    }
                }
            }
            Ok(call)
        }
    }
}

impl Binder<'_> {
    /// A function of the scalar library, its arguments cast to its signature.
    pub(super) fn bind_library_call(
        &mut self,
        name: &str,
        args: Vec<Expr>,
    ) -> Result<Expr, SqlError> {
        let types: Vec<DataType> = args.iter().map(Expr::ty).collect();
        let signature = resolve_function(name, &types).map_err(|e| match e {
            _ if FUNCTIONS_NOT_SUPPORTED.contains(&name) => {
                SqlError::Unsupported(format!("function {name}"))
            }
            FunctionError::NotUnique { .. } => SqlError::AmbiguousFunction(e.to_string()),
            FunctionError::UndefinedFunction { .. } => SqlError::UndefinedFunction(e.to_string()),
        })?;
        self.binds_volatile |= signature.id.is_volatile();
        let sees_padding = matches!(
            signature.id,
            FunctionId::OctetLength
                | FunctionId::Concat
                | FunctionId::ConcatWs
                | FunctionId::Format
        );
        let mut cast = Vec::with_capacity(args.len());
        for (a, t) in args.into_iter().zip(&signature.args) {
            let a = if sees_padding {
                super::expr::padded(a)
            } else {
                a
            };
            let from = a.ty();
            let converted = if from.is_text() && t.is_text() && from != DataType::Unknown {
                Ok(a)
            } else {
                self.convert_implicit(a, *t)
            };
            cast.push(converted.map_err(|_| {
                let shown: Vec<String> = types.iter().map(ToString::to_string).collect();
                SqlError::UndefinedFunction(format!(
                    "function {name}({}) does not exist",
                    shown.join(", ")
                ))
            })?);
        }
        if let FunctionId::Catalog(_) = signature.id {
            self.reads_catalog = true;
        }
        Ok(Expr::Function {
            function: signature.id,
            strict: signature.strict,
            args: cast,
            ty: signature.result,
        })
    }
}
