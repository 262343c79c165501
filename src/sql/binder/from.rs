//! The FROM clause: tables, views, subqueries and joins.

use sqlparser::ast::{self, JoinConstraint, JoinOperator, TableFactor, TableWithJoins};

use crate::sql::plan::{side, Access, Expr, JoinKind, Plan, Side};
use crate::sql::{system, SqlError};
use crate::types::{BinaryOp, CatalogFunction, DataType, FunctionId, OidAlias, Value};

use super::array::vector_as_array;
use super::scope::{Lookup, Scope, ScopeColumn, StoredRelation};
use super::select::unknown_outputs_as_text;
use super::state::VIEW_DEPTH_MAX;
use super::{names, Binder, BoundQuery};

/// A bound FROM item.
struct Item {
    plan: Plan,
    scope: Scope,
    /// True if it refers to the items on its left, or to an enclosing query
    /// (which it then sees past them): it runs once per left row, in a
    /// [`Plan::LateralJoin`].
    lateral: bool,
}

impl Item {
    fn plain((plan, scope): (Plan, Scope)) -> Item {
        Item {
            plan,
            scope,
            lateral: false,
        }
    }
}

/// A function call in FROM, whichever syntax spelled it.
struct FunctionCall<'a> {
    /// The schema, if one was written.
    schema: Option<String>,
    name: String,
    args: Vec<&'a ast::Expr>,
    alias: Option<&'a ast::TableAlias>,
    /// `WITH ORDINALITY`: a last column numbering the rows.
    with_ordinality: bool,
}

impl Binder<'_> {
    /// Binds a FROM list; comma-separated items are cross joined. An empty FROM is
    /// one row of no columns, so `SELECT 1` returns one row.
    ///
    /// An item that may refer to the items before it (see [`joins_laterally`])
    /// continues their plan: `FROM a, b JOIN LATERAL (…) s` is bound as
    /// `(a × b) ⋈ s`, which is the same for inner and left joins, so `s` sees `a`.
    pub(super) fn bind_from(&mut self, from: &[TableWithJoins]) -> Result<(Plan, Scope), SqlError> {
        let mut result: Option<(Plan, Scope)> = None;
        for item in from {
            result = Some(match result {
                None => self.bind_table_with_joins(item, None)?,
                Some(before) if joins_laterally(item) => {
                    self.bind_table_with_joins(item, Some(before))?
                }
                Some((left, left_scope)) => {
                    let right = Item::plain(self.bind_table_with_joins(item, None)?);
                    cross_join(left, left_scope, right)?
                }
            });
        }
        Ok(result.unwrap_or_else(|| {
            (
                Plan::Values {
                    rows: vec![vec![]],
                    width: 0,
                },
                Scope::default(),
            )
        }))
    }

    /// `left` (an UPDATE's or DELETE's target) cross joined with the items of
    /// `UPDATE … FROM` or `DELETE … USING`, which do not see it: its columns
    /// first, then theirs. A name used by both is 42712, as in PostgreSQL.
    pub(super) fn join_from_list(
        &mut self,
        (left, left_scope): (Plan, Scope),
        from: &[TableWithJoins],
    ) -> Result<(Plan, Scope), SqlError> {
        let right = Item::plain(self.bind_from(from)?);
        cross_join(left, left_scope, right)
    }

    /// Binds `a JOIN b …`, continuing `before` (the comma-list items before it)
    /// if given: its LATERAL items then see those columns too, while its ON and
    /// USING conditions do not, as in PostgreSQL.
    fn bind_table_with_joins(
        &mut self,
        item: &TableWithJoins,
        before: Option<(Plan, Scope)>,
    ) -> Result<(Plan, Scope), SqlError> {
        let (mut plan, mut scope, hidden) = match before {
            None => {
                let first = self.bind_factor(&item.relation, None)?;
                (first.plan, first.scope, 0)
            }
            Some((left, left_scope)) => {
                let first = self.bind_factor(&item.relation, Some(&left_scope))?;
                let hidden = left_scope.width();
                let (plan, scope) = cross_join(left, left_scope, first)?;
                (plan, scope, hidden)
            }
        };
        for join in &item.joins {
            let right = match join.join_operator {
                JoinOperator::FullOuter(_) => self.bind_full_join_right(&join.relation, &scope)?,
                _ => self.bind_factor(&join.relation, Some(&scope))?,
            };
            check_duplicate_relations(&scope, &right.scope)?;
            (plan, scope) = self.bind_join(plan, scope, right, &join.join_operator, hidden)?;
        }
        Ok((plan, scope))
    }

    /// Joins `right` to `left`. The first `hidden` columns of the left side come
    /// from before the join chain: its condition cannot name them.
    fn bind_join(
        &mut self,
        left: Plan,
        left_scope: Scope,
        right: Item,
        op: &JoinOperator,
        hidden: usize,
    ) -> Result<(Plan, Scope), SqlError> {
        let (kind, constraint, swap) = match op {
            JoinOperator::Join(c) | JoinOperator::Inner(c) => (JoinKind::Inner, c, false),
            JoinOperator::CrossJoin(c) => (JoinKind::Inner, c, false),
            JoinOperator::Left(c) | JoinOperator::LeftOuter(c) => (JoinKind::Left, c, false),
            JoinOperator::Right(c) | JoinOperator::RightOuter(c) => (JoinKind::Left, c, true),
            JoinOperator::FullOuter(c) => (JoinKind::Full, c, false),
            _ => return Err(SqlError::Unsupported("this kind of join".into())),
        };
        if swap && right.lateral {
            return Err(SqlError::Unsupported(
                "RIGHT JOIN to a LATERAL subquery or function in FROM that refers to other \
                 FROM items or an outer query"
                    .into(),
            ));
        }
        let Item {
            plan: right,
            scope: right_scope,
            lateral,
        } = right;
        match kind {
            JoinKind::Inner => {}
            JoinKind::Left => self.check_outer_join_side(if swap { &left } else { &right })?,
            JoinKind::Full => {
                self.check_outer_join_side(&left)?;
                self.check_outer_join_side(&right)?;
            }
        }
        let left_width = left_scope.width();
        let mut scope = left_scope.clone();
        scope.extend(right_scope.clone());
        let nullable: &[&Scope] = match (kind, swap) {
            (JoinKind::Inner, _) => &[],
            (JoinKind::Left, false) => &[&right_scope],
            (JoinKind::Left, true) => &[&left_scope],
            (JoinKind::Full, _) => &[&left_scope, &right_scope],
        };
        let null_extended: Vec<String> = nullable
            .iter()
            .flat_map(|s| s.columns.iter().filter_map(|c| c.relation.clone()))
            .collect();
        scope.null_extended.extend(null_extended);
        let mut using_merged = Vec::new();
        let on = match constraint {
            JoinConstraint::None => None,
            JoinConstraint::On(e) => {
                // Bound over the row the join evaluates it on, which for a RIGHT
                // JOIN has the right side first (see `right_join`): then its
                // column positions, and those its subqueries see as outer
                // references, need no renumbering.
                let visible = if swap {
                    let mut swapped = right_scope.clone();
                    swapped.extend(hide_leading(left_scope.clone(), hidden));
                    swapped
                } else {
                    hide_leading(scope.clone(), hidden)
                };
                Some(self.bind_condition(e, &visible, "JOIN/ON")?)
            }
            JoinConstraint::Using(columns) => {
                let left_visible = hide_leading(left_scope, hidden);
                let (on, merged) =
                    self.bind_using(columns, &left_visible, &right_scope, swap, &mut scope)?;
                // `*` lists the merged columns first among the join's, after
                // the FROM items before the join chain.
                let shown: Vec<usize> = merged.iter().map(|&(shown, _)| shown).collect();
                let (before, rest): (Vec<usize>, Vec<usize>) = scope
                    .star_order()
                    .into_iter()
                    .filter(|i| !shown.contains(i))
                    .partition(|&i| i < hidden);
                scope.set_star_order(&[before, shown, rest].concat());
                using_merged = merged;
                Some(on)
            }
            JoinConstraint::Natural => {
                return Err(SqlError::Unsupported(
                    "NATURAL JOIN; use JOIN … USING".into(),
                ))
            }
            JoinConstraint::UsingAlias(..) => {
                return Err(SqlError::Unsupported("JOIN … USING … AS".into()))
            }
        };
        if kind == JoinKind::Full {
            check_full_join_condition(on.as_ref(), left_width)?;
        }
        let plan = if swap {
            right_join(left, right, on, &scope, left_width)
        } else {
            join_plan(left, right, kind, on, lateral)
        };
        if kind == JoinKind::Full && !using_merged.is_empty() {
            return self.full_join_using(plan, scope, &using_merged);
        }
        Ok((plan, scope))
    }

    /// The right side of a FULL JOIN, which cannot see the FROM items on its
    /// left (42P10 if it names them, as in PostgreSQL: a full join has no rows to
    /// run it once per); an enclosing query's columns it sees as any item does.
    fn bind_full_join_right(
        &mut self,
        factor: &TableFactor,
        left: &Scope,
    ) -> Result<Item, SqlError> {
        match self.bind_factor(factor, None) {
            Ok(item) => Ok(item),
            Err(e) => match self.bind_factor(factor, Some(left)) {
                Ok(_) => Err(SqlError::InvalidColumnReference(
                    "a LATERAL subquery or function in FROM cannot refer to the FROM items on \
                     its left in a FULL JOIN: the combining JOIN type must be INNER or LEFT for \
                     a LATERAL reference"
                        .into(),
                )),
                Err(_) => Err(e),
            },
        }
    }

    /// A `FULL JOIN … USING`'s merged columns: either side's copy may be the
    /// NULL padding, so each is `COALESCE(left, right)`, a column appended to the
    /// join's row that takes the place (name and `*` rank) the left copy had;
    /// both copies stay reachable by their qualified names.
    fn full_join_using(
        &mut self,
        plan: Plan,
        mut scope: Scope,
        merged: &[(usize, usize)],
    ) -> Result<(Plan, Scope), SqlError> {
        let column = |scope: &Scope, index: usize| Expr::Column {
            index,
            ty: scope.columns[index].ty,
        };
        let mut exprs: Vec<Expr> = (0..scope.width()).map(|i| column(&scope, i)).collect();
        for &(left, right) in merged {
            let coalesced =
                self.bind_coalesce(vec![column(&scope, left), column(&scope, right)])?;
            let copy = &mut scope.columns[left];
            let shown = ScopeColumn {
                relation: None,
                ty: coalesced.ty(),
                table_oid: 0,
                column_number: 0,
                table_row: false,
                ..copy.clone()
            };
            copy.hidden = true;
            copy.star_rank = 0;
            scope.columns.push(shown);
            exprs.push(coalesced);
        }
        let plan = Plan::Project {
            input: Box::new(plan),
            exprs,
        };
        Ok((plan, scope))
    }

    /// `USING (a, b)`: equality of the same-named columns. One copy of each is the
    /// merged column that unqualified names and `*` see (the caller puts it
    /// first for `*`), returned with the other copy's position: the left
    /// one, or for a RIGHT JOIN the right one, which every row has; the other copy
    /// is hidden, still reachable by its qualified name. The condition is over the
    /// row the join evaluates it on: (right, left) for a RIGHT JOIN, as ON's.
    fn bind_using(
        &mut self,
        columns: &[ast::ObjectName],
        left: &Scope,
        right: &Scope,
        right_join: bool,
        scope: &mut Scope,
    ) -> Result<(Expr, Vec<(usize, usize)>), SqlError> {
        let (left_at, right_at) = if right_join {
            (right.width(), 0)
        } else {
            (0, left.width())
        };
        let mut conjuncts = Vec::new();
        let mut merged_columns = Vec::new();
        for column in columns {
            let name = names::parts(column)?.pop().unwrap_or_default();
            let l = match left.lookup(None, &name)? {
                Lookup::Found(i) => i,
                Lookup::NotFound => {
                    return Err(SqlError::UndefinedColumnMessage(format!(
                        "column \"{name}\" specified in USING clause does not exist in left table"
                    )))
                }
            };
            let r = match right.lookup(None, &name)? {
                Lookup::Found(i) => i,
                Lookup::NotFound => {
                    return Err(SqlError::UndefinedColumnMessage(format!(
                        "column \"{name}\" specified in USING clause does not exist in right table"
                    )))
                }
            };
            let lhs = Expr::Column {
                index: left_at + l,
                ty: left.columns[l].ty,
            };
            let rhs = Expr::Column {
                index: right_at + r,
                ty: right.columns[r].ty,
            };
            conjuncts.push(self.comparison(ast::BinaryOperator::Eq, lhs, rhs)?);
            let (merged, other) = if right_join {
                (left.width() + r, l)
            } else {
                (l, left.width() + r)
            };
            scope.columns[other].hidden = true;
            scope.columns[merged].hidden = false;
            merged_columns.push((merged, other));
        }
        let on = Expr::conjunction(conjuncts).unwrap_or_else(|| Expr::boolean(true));
        Ok((on, merged_columns))
    }

    /// Binds one FROM item. `left` is the scope of the items on its left, which a
    /// LATERAL subquery or a function call (always LATERAL in PostgreSQL) may name.
    fn bind_factor(
        &mut self,
        factor: &TableFactor,
        left: Option<&Scope>,
    ) -> Result<Item, SqlError> {
        if let Some(call) = function_call(factor)? {
            return self.bind_lateral(left, |b| b.bind_function_call(&call));
        }
        match factor {
            TableFactor::Table {
                name,
                alias,
                args: None,
                with_hints,
                version: None,
                partitions,
                sample: None,
                ..
            } if with_hints.is_empty() && partitions.is_empty() => {
                Ok(Item::plain(self.bind_relation(name, alias.as_ref())?))
            }
            TableFactor::Derived {
                lateral,
                subquery,
                alias,
                sample: None,
            } => {
                let Some(alias) = alias else {
                    return Err(SqlError::InvalidStatement(
                        "subquery in FROM must have an alias".into(),
                    ));
                };
                let bind = |b: &mut Self| {
                    let bound = unknown_outputs_as_text(b.bind_query(subquery)?)?;
                    let scope = derived_scope(&bound, &names::ident(&alias.name), alias)?;
                    Ok((bound.plan, scope))
                };
                if *lateral {
                    self.bind_lateral(left, bind)
                } else {
                    Ok(Item::plain(bind(self)?))
                }
            }
            TableFactor::NestedJoin {
                table_with_joins,
                alias: None,
            } => {
                let bound = self.bind_table_with_joins(table_with_joins, None);
                match (bound, left) {
                    // Say so when the LATERAL items inside would bind had they seen
                    // the items on the left.
                    (Err(e), Some(left)) if joins_laterally(table_with_joins) => {
                        let seeing_left =
                            self.nested(left, |b| b.bind_table_with_joins(table_with_joins, None));
                        Err(match seeing_left {
                            Ok(_) => SqlError::Unsupported(
                                "LATERAL references from inside parentheses to FROM items \
                                 outside them; write the joins without the parentheses"
                                    .into(),
                            ),
                            Err(_) => e,
                        })
                    }
                    (bound, _) => Ok(Item::plain(bound?)),
                }
            }
            other => Err(SqlError::Unsupported(format!("FROM item {other}"))),
        }
    }

    /// Binds an item that may refer to the items on its `left`, whose scope is the
    /// innermost enclosing one while it binds; see [`Item::lateral`].
    fn bind_lateral(
        &mut self,
        left: Option<&Scope>,
        bind: impl FnOnce(&mut Self) -> Result<(Plan, Scope), SqlError>,
    ) -> Result<Item, SqlError> {
        let Some(left) = left else {
            return Ok(Item::plain(bind(self)?));
        };
        let ((plan, scope), lateral) = self.nested(left, bind)?;
        Ok(Item {
            plan,
            scope,
            lateral,
        })
    }

    /// `generate_series`, `unnest` or a module's view in FROM. Their arguments bind
    /// in an empty scope: they are computed once per run of the item.
    fn bind_function_call(&mut self, call: &FunctionCall<'_>) -> Result<(Plan, Scope), SqlError> {
        let builtin = matches!(call.schema.as_deref(), None | Some("pg_catalog"));
        let user = matches!(call.schema.as_deref(), None | Some("public"));
        if call.with_ordinality && !(builtin && call.name == "pg_partition_ancestors") {
            return self.bind_with_ordinality(call);
        }
        match call.name.as_str() {
            "generate_series" if builtin => self.bind_series(&call.args, call.alias),
            "generate_subscripts" if builtin => {
                let args = self.bind_args_as_written(&call.args)?;
                let (start, stop, step) = self.subscript_series(args)?;
                let scope = function_scope(&call.name, DataType::Int4, call.alias)?;
                Ok((Plan::Series { start, stop, step }, scope))
            }
            "unnest" if builtin => self.bind_unnest(&call.args, call.alias),
            "regexp_split_to_table"
            | "string_to_table"
            | "regexp_matches"
            | "pg_listening_channels"
                if builtin =>
            {
                let args = self.bind_function_args(&call.args)?;
                let (array, element) = self.rows_array(&call.name, args)?;
                let scope = function_scope(&call.name, element, call.alias)?;
                Ok((Plan::Unnest { array, width: 1 }, scope))
            }
            "jsonb_array_elements"
            | "jsonb_array_elements_text"
            | "jsonb_object_keys"
            | "json_array_elements"
            | "json_array_elements_text"
            | "json_object_keys"
                if builtin =>
            {
                self.bind_json_rows(call.name.as_str(), &call.args, call.alias)
            }
            "jsonb_each" | "jsonb_each_text" | "json_each" | "json_each_text" if builtin => {
                self.bind_json_each(call.name.as_str(), &call.args, call.alias)
            }
            "pg_partition_ancestors" if builtin => {
                self.bind_partition_ancestors(&call.args, call.alias, call.with_ordinality)
            }
            "pg_options_to_table" if builtin => self.bind_options_to_table(&call.args, call.alias),
            name if user && self.db.get_routine(name).is_some() => {
                self.bind_view_call(name, &call.args, call.alias)
            }
            _ => self.bind_scalar_call(call),
        }
    }

    /// Any other function in FROM, called as in an expression: one row of its
    /// value, a column named after the function or the alias, as in PostgreSQL
    /// (TypeORM reads `SELECT * FROM current_schema()`). An aggregate or window
    /// function is 42803, as PostgreSQL answers; a set-returning function
    /// Turnstile runs only in a select list, 0A000; an unknown one, 42883.
    fn bind_scalar_call(&mut self, call: &FunctionCall<'_>) -> Result<(Plan, Scope), SqlError> {
        let name_parts = call.schema.iter().chain([&call.name]);
        let function = ast::Function {
            name: ast::ObjectName::from(name_parts.map(ast::Ident::new).collect::<Vec<_>>()),
            uses_odbc_syntax: false,
            parameters: ast::FunctionArguments::None,
            args: ast::FunctionArguments::List(ast::FunctionArgumentList {
                duplicate_treatment: None,
                args: call
                    .args
                    .iter()
                    .map(|&e| ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e.clone())))
                    .collect(),
                clauses: Vec::new(),
            }),
            within_group: Vec::new(),
            filter: None,
            null_treatment: None,
            over: None,
        };
        let expr = self.bind_expr(&ast::Expr::Function(function), &Scope::default())?;
        let scope = function_scope(&call.name, expr.ty(), call.alias)?;
        let plan = Plan::Values {
            rows: vec![vec![expr]],
            width: 1,
        };
        Ok((plan, scope))
    }

    /// `call` `WITH ORDINALITY`: the function's columns, then `ordinality`,
    /// the row's number from 1. The alias's name names a one-column function's
    /// column, as without ordinality; its column list names them all.
    fn bind_with_ordinality(&mut self, call: &FunctionCall<'_>) -> Result<(Plan, Scope), SqlError> {
        let name_only = call.alias.map(|alias| ast::TableAlias {
            columns: Vec::new(),
            ..alias.clone()
        });
        let (plan, scope) = self.bind_function_call(&FunctionCall {
            schema: call.schema.clone(),
            name: call.name.clone(),
            args: call.args.clone(),
            alias: name_only.as_ref(),
            with_ordinality: false,
        })?;
        let shown = scope.columns.first().and_then(|c| c.relation.clone());
        let columns = scope
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.ty))
            .chain([("ordinality".to_owned(), DataType::Int8)]);
        let mut scope = Scope::computed(shown, columns);
        if let Some(alias) = call.alias {
            rename_columns(&mut scope, alias)?;
        }
        let plan = Plan::Ordinality {
            input: Box::new(plan),
        };
        Ok((plan, scope))
    }

    /// `generate_series(start, stop[, step])` of integers.
    fn bind_series(
        &mut self,
        args: &[&ast::Expr],
        alias: Option<&ast::TableAlias>,
    ) -> Result<(Plan, Scope), SqlError> {
        let empty = Scope::default();
        let args = args
            .iter()
            .map(|a| self.bind_expr(a, &empty))
            .collect::<Result<Vec<_>, _>>()?;
        let (start, stop, step, ty) = self.series_bounds(args)?;
        let scope = function_scope("generate_series", ty, alias)?;
        Ok((Plan::Series { start, stop, step }, scope))
    }

    /// The bounds of `generate_series(start, stop)`, of their common integer
    /// type; 0A000 for any other series.
    pub(super) fn series_bounds(
        &mut self,
        args: Vec<Expr>,
    ) -> Result<(Expr, Expr, Expr, DataType), SqlError> {
        let mut args = args.into_iter();
        let (Some(start), Some(stop), step, None) =
            (args.next(), args.next(), args.next(), args.next())
        else {
            return Err(SqlError::Unsupported(
                "generate_series other than over two integers and a step".into(),
            ));
        };
        if let Some(step) = step {
            if let Some(ty) = timestamp_series_type(start.ty(), stop.ty(), step.ty()) {
                let start = self.coerce(start, ty, "generate_series")?;
                let stop = self.coerce(stop, ty, "generate_series")?;
                let step = self.coerce(step, DataType::Interval, "generate_series")?;
                return Ok((start, stop, step, ty));
            }
            return self.integer_series(start, stop, step);
        }
        self.integer_series(start, stop, Expr::Const(Value::Int4(1), DataType::Int4))
    }

    /// `generate_subscripts(array, dimension [, reverse])` as the series it is:
    /// from `array_lower` to `array_upper` of the dimension, or back when
    /// `reverse`, a constant (0A000 otherwise). A vector's subscripts start at 0.
    pub(super) fn subscript_series(
        &mut self,
        args: Vec<Expr>,
    ) -> Result<(Expr, Expr, Expr), SqlError> {
        let types: Vec<String> = args.iter().map(|a| a.ty().to_string()).collect();
        let undefined = || {
            SqlError::UndefinedFunction(format!(
                "function generate_subscripts({}) does not exist",
                types.join(", ")
            ))
        };
        let mut args = args.into_iter();
        let (Some(array), Some(dimension), reverse, None) =
            (args.next(), args.next(), args.next(), args.next())
        else {
            return Err(undefined());
        };
        let first = match array.ty() {
            DataType::Vector(_) => 0,
            DataType::Array(_) => 1,
            _ => return Err(undefined()),
        };
        if !matches!(
            dimension.ty(),
            DataType::Int2 | DataType::Int4 | DataType::Unknown
        ) {
            return Err(undefined());
        }
        let dimension = self.coerce(dimension, DataType::Int4, "generate_subscripts")?;
        let bound = |function| Expr::Function {
            function,
            strict: true,
            args: vec![array.clone(), dimension.clone()],
            ty: DataType::Int4,
        };
        let lower = bound(FunctionId::ArrayLower { first });
        let upper = bound(FunctionId::ArrayUpper { first });
        let forward = |step: i32| Expr::Const(Value::Int4(step), DataType::Int4);
        let Some(reverse) = reverse else {
            return Ok((lower, upper, forward(1)));
        };
        match self.coerce(reverse, DataType::Bool, "generate_subscripts")? {
            Expr::Const(Value::Bool(false), _) => Ok((lower, upper, forward(1))),
            Expr::Const(Value::Bool(true), _) => Ok((upper, lower, forward(-1))),
            // Strict, as in PostgreSQL: no rows.
            Expr::Const(Value::Null, _) => {
                Ok((lower, upper, Expr::Const(Value::Null, DataType::Int4)))
            }
            _ => Err(SqlError::Unsupported(
                "generate_subscripts whose reverse argument is not a constant".into(),
            )),
        }
    }

    /// The bounds and step of an integer `generate_series`, of their common
    /// integer type; 0A000 for any other type.
    fn integer_series(
        &mut self,
        start: Expr,
        stop: Expr,
        step: Expr,
    ) -> Result<(Expr, Expr, Expr, DataType), SqlError> {
        let types = [start.ty(), stop.ty(), step.ty()];
        let ty = if types.contains(&DataType::Int8) {
            DataType::Int8
        } else {
            DataType::Int4
        };
        let integer = |t: &DataType| {
            matches!(
                t,
                DataType::Int2 | DataType::Int4 | DataType::Int8 | DataType::Unknown
            )
        };
        if !types.iter().all(integer) {
            let [a, b, c] = types;
            return Err(SqlError::Unsupported(format!(
                "generate_series({a}, {b}, {c}); only series of integers and of \
                 timestamps by an interval are supported"
            )));
        }
        let start = self.coerce(start, ty, "generate_series")?;
        let stop = self.coerce(stop, ty, "generate_series")?;
        let step = self.coerce(step, ty, "generate_series")?;
        Ok((start, stop, step, ty))
    }

    /// `pg_partition_ancestors(relation) [WITH ORDINALITY]` (psql's `\d` reads
    /// it): there are no partitions, and PostgreSQL lists no ancestors for a
    /// table that is not one: no rows of `relid` (and `ordinality`).
    fn bind_partition_ancestors(
        &mut self,
        args: &[&ast::Expr],
        alias: Option<&ast::TableAlias>,
        with_ordinality: bool,
    ) -> Result<(Plan, Scope), SqlError> {
        let [relation] = args else {
            return Err(SqlError::UndefinedFunction(format!(
                "function pg_partition_ancestors with {} arguments does not exist",
                args.len()
            )));
        };
        let regclass = DataType::Oid(OidAlias::RegClass);
        // Bound for its errors (a name that is no relation); no row uses it.
        let relation = self.bind_expr(relation, &Scope::default())?;
        self.coerce(relation, regclass, "pg_partition_ancestors")?;
        let mut columns = vec![("relid".to_owned(), regclass)];
        if with_ordinality {
            columns.push(("ordinality".to_owned(), DataType::Int8));
        }
        let width = columns.len();
        let shown = alias.map_or_else(
            || "pg_partition_ancestors".into(),
            |a| names::ident(&a.name),
        );
        let mut scope = Scope::computed(Some(shown), columns);
        if let Some(alias) = alias {
            rename_columns(&mut scope, alias)?;
        }
        let plan = Plan::Values {
            rows: Vec::new(),
            width,
        };
        Ok((plan, scope))
    }

    /// `unnest(array)`: one row per element.
    fn bind_unnest(
        &mut self,
        args: &[&ast::Expr],
        alias: Option<&ast::TableAlias>,
    ) -> Result<(Plan, Scope), SqlError> {
        let args = self.bind_function_args(args)?;
        if args.len() > 1 {
            return self.bind_unnest_rows(args, alias);
        }
        let (array, element) = self.unnested_array(args)?;
        let scope = function_scope("unnest", element, alias)?;
        Ok((Plan::Unnest { array, width: 1 }, scope))
    }

    /// `unnest(a, b, …)` in FROM: a column `unnest` per array, rows as many as
    /// the longest array has elements, NULL where a shorter one has none.
    /// Django's `bulk_create` inserts from it.
    fn bind_unnest_rows(
        &mut self,
        arrays: Vec<Expr>,
        alias: Option<&ast::TableAlias>,
    ) -> Result<(Plan, Scope), SqlError> {
        // Each array is unnested as on its own, with its errors, as PostgreSQL
        // makes `unnest(a, b)` of `unnest(a)` and `unnest(b)`.
        let mut columns = Vec::with_capacity(arrays.len());
        let mut checked = Vec::with_capacity(arrays.len());
        for array in arrays {
            let (array, element) = self.unnested_array(vec![array])?;
            columns.push(("unnest".to_owned(), element));
            checked.push(array);
        }
        let arrays = checked;
        let width = arrays.len();
        let array = Expr::Function {
            function: FunctionId::UnnestRows,
            strict: false,
            // An array of arrays of mixed types, read only by the unnest.
            ty: arrays[0].ty(),
            args: arrays,
        };
        let shown = alias.map_or_else(|| "unnest".to_owned(), |a| names::ident(&a.name));
        let mut scope = Scope::computed(Some(shown), columns);
        if let Some(alias) = alias {
            rename_columns(&mut scope, alias)?;
        }
        Ok((Plan::Unnest { array, width }, scope))
    }

    /// The array whose elements `regexp_split_to_table`, `string_to_table`,
    /// `regexp_matches` or `pg_listening_channels` returns (the same call of
    /// `regexp_split_to_array` or `string_to_array`; every match's groups; the
    /// channels), and its element type.
    pub(super) fn rows_array(
        &mut self,
        name: &str,
        args: Vec<Expr>,
    ) -> Result<(Expr, DataType), SqlError> {
        let array_function = match name {
            "regexp_split_to_table" => "regexp_split_to_array",
            // An array of its rows, each the text[] of a match.
            "regexp_matches" => {
                let array = self.bind_library_call(name, args)?;
                return Ok((array, DataType::Array(&DataType::Text)));
            }
            // The array of the channels.
            "pg_listening_channels" => {
                return Ok((self.bind_library_call(name, args)?, DataType::Text));
            }
            _ => "string_to_array",
        };
        let mut array = self.bind_library_call(array_function, args)?;
        // Its errors name the function called.
        if let Expr::Function {
            function: FunctionId::RegexpSplit { table },
            ..
        } = &mut array
        {
            *table = true;
        }
        Ok((array, DataType::Text))
    }

    /// The arguments of a function in FROM, bound (a LATERAL reference is an
    /// outer one), a vector as the array it is.
    fn bind_function_args(&mut self, args: &[&ast::Expr]) -> Result<Vec<Expr>, SqlError> {
        Ok(self
            .bind_args_as_written(args)?
            .into_iter()
            .map(vector_as_array)
            .collect())
    }

    /// [`Binder::bind_function_args`] keeping a vector a vector, for what its
    /// subscripts from 0 matter to.
    fn bind_args_as_written(&mut self, args: &[&ast::Expr]) -> Result<Vec<Expr>, SqlError> {
        let empty = Scope::default();
        args.iter().map(|a| self.bind_expr(a, &empty)).collect()
    }

    /// `unnest(array)`'s array and its element type.
    pub(super) fn unnested_array(&self, args: Vec<Expr>) -> Result<(Expr, DataType), SqlError> {
        let Ok([array]) = <[Expr; 1]>::try_from(args) else {
            return Err(SqlError::Unsupported(
                "unnest of other than one array".into(),
            ));
        };
        let element = match array.ty() {
            DataType::Array(element) => *element,
            DataType::Unknown => {
                return Err(SqlError::AmbiguousFunction(
                    "function unnest(unknown) is not unique".into(),
                ))
            }
            other => {
                return Err(SqlError::UndefinedFunction(format!(
                    "function unnest({other}) does not exist"
                )))
            }
        };
        Ok((array, element))
    }

    /// `json[b]_array_elements[_text](document)` (a column `value`) and
    /// `json[b]_object_keys(document)`: one row per element or key, an unnest of
    /// the array the function makes of the document (see `types::jsonb_ops`
    /// and `types::json_text`).
    fn bind_json_rows(
        &mut self,
        name: &str,
        args: &[&ast::Expr],
        alias: Option<&ast::TableAlias>,
    ) -> Result<(Plan, Scope), SqlError> {
        let args = self.bind_function_args(args)?;
        let (array, element) = self.json_rows_array(name, args)?;
        let mut scope = function_scope(name, element, alias)?;
        // The array functions' column is `value` (their OUT parameter), unless
        // the alias names the columns; `json[b]_object_keys`' is named by the
        // alias, as a scalar function's is.
        if !name.ends_with("_object_keys") {
            if alias.is_none_or(|a| a.columns.is_empty()) {
                scope.columns[0].name = "value".to_owned();
            }
            scope
                .scalar_relations
                .extend(scope.columns[0].relation.clone());
        }
        Ok((Plan::Unnest { array, width: 1 }, scope))
    }

    /// The one argument of the json or jsonb function `name` in FROM, as the
    /// type the name says, and that type.
    fn json_document(&mut self, name: &str, args: Vec<Expr>) -> Result<(Expr, DataType), SqlError> {
        let Ok([document]) = <[Expr; 1]>::try_from(args) else {
            return Err(SqlError::UndefinedFunction(format!(
                "function {name} with other than one argument does not exist"
            )));
        };
        let ty = if name.starts_with("jsonb") {
            DataType::Jsonb
        } else {
            DataType::Json
        };
        Ok((self.coerce(document, ty, name)?, ty))
    }

    /// `json[b]_each[_text](document)`: one row per field of the object, its
    /// `key` and its `value` (of the document's type, or text), an unnest of
    /// `[key, value]` arrays.
    fn bind_json_each(
        &mut self,
        name: &str,
        args: &[&ast::Expr],
        alias: Option<&ast::TableAlias>,
    ) -> Result<(Plan, Scope), SqlError> {
        let args = self.bind_function_args(args)?;
        let (document, document_type) = self.json_document(name, args)?;
        let as_text = name.ends_with("_text");
        let value = if as_text {
            DataType::Text
        } else {
            document_type
        };
        let array = Expr::Function {
            function: FunctionId::JsonEach { as_text },
            strict: true,
            args: vec![document],
            ty: DataType::Text.array_of().expect("text[] exists"),
        };
        let shown = alias.map_or_else(|| name.to_owned(), |a| names::ident(&a.name));
        let mut scope = Scope::computed(
            Some(shown),
            [
                ("key".to_owned(), DataType::Text),
                ("value".to_owned(), value),
            ],
        );
        if let Some(alias) = alias {
            rename_columns(&mut scope, alias)?;
        }
        Ok((Plan::Unnest { array, width: 2 }, scope))
    }

    /// `pg_options_to_table(options)`: a catalog's `name=value` options array
    /// (`attfdwoptions`, `reloptions`, …) as rows of `option_name` and
    /// `option_value`.
    fn bind_options_to_table(
        &mut self,
        args: &[&ast::Expr],
        alias: Option<&ast::TableAlias>,
    ) -> Result<(Plan, Scope), SqlError> {
        let text_array = DataType::Text.array_of().expect("text[] exists");
        let options = match self.bind_function_args(args)?.as_slice() {
            [options]
                if matches!(options.ty(), DataType::Unknown) || options.ty() == text_array =>
            {
                self.coerce(options.clone(), text_array, "pg_options_to_table")?
            }
            other => {
                let types: Vec<String> = other.iter().map(|a| a.ty().to_string()).collect();
                return Err(SqlError::UndefinedFunction(format!(
                    "function pg_options_to_table({}) does not exist",
                    types.join(", ")
                )));
            }
        };
        let array = Expr::Function {
            function: FunctionId::OptionsToTable,
            strict: true,
            args: vec![options],
            ty: text_array,
        };
        let shown = alias.map_or_else(
            || "pg_options_to_table".to_owned(),
            |a| names::ident(&a.name),
        );
        let mut scope = Scope::computed(
            Some(shown),
            [
                ("option_name".to_owned(), DataType::Text),
                ("option_value".to_owned(), DataType::Text),
            ],
        );
        if let Some(alias) = alias {
            rename_columns(&mut scope, alias)?;
        }
        Ok((Plan::Unnest { array, width: 2 }, scope))
    }

    /// The array of elements (of the document's type, or text for `…_text`)
    /// or keys (text) that `json[b]_array_elements[_text]` or
    /// `json[b]_object_keys` (`name`) returns as rows, and its element type.
    pub(super) fn json_rows_array(
        &mut self,
        name: &str,
        args: Vec<Expr>,
    ) -> Result<(Expr, DataType), SqlError> {
        let (document, document_type) = self.json_document(name, args)?;
        let (function, element) = if name.ends_with("_object_keys") {
            (FunctionId::JsonObjectKeys, DataType::Text)
        } else if name.ends_with("_text") {
            (FunctionId::JsonElements { as_text: true }, DataType::Text)
        } else {
            (FunctionId::JsonElements { as_text: false }, document_type)
        };
        let array = Expr::Function {
            function,
            strict: true,
            args: vec![document],
            ty: element
                .array_of()
                .expect("json[], jsonb[] and text[] exist"),
        };
        Ok((array, element))
    }

    /// A system relation, table or view by name. System relations come first: their
    /// names are reserved (see `sql::system`).
    fn bind_relation(
        &mut self,
        name: &ast::ObjectName,
        alias: Option<&ast::TableAlias>,
    ) -> Result<(Plan, Scope), SqlError> {
        let (schema, relation) = names::qualified(name)?;
        if schema.is_none() {
            if let Some(bound) = self.bind_with_reference(&relation, alias)? {
                return Ok(bound);
            }
        }
        let shown = alias.map_or_else(|| relation.clone(), |a| names::ident(&a.name));
        if let Some(id) = system::find(schema.as_deref(), &relation) {
            // Its rows come from the catalog: a query without a table of its own
            // (`SELECT (SELECT count(*) FROM pg_class …)`) must still run under the
            // lock, on the real catalog.
            self.reads_catalog = true;
            let columns = id.relation().columns;
            let mut scope = Scope::computed(
                Some(shown.clone()),
                columns.iter().map(|(n, t)| ((*n).into(), *t)),
            );
            // A catalog's `oid` is never NULL.
            scope.stored_relations.push(StoredRelation {
                relation: shown,
                oid: id.oid(),
                never_null: columns.iter().position(|(n, _)| *n == "oid"),
            });
            if let Some(alias) = alias {
                rename_columns(&mut scope, alias)?;
            }
            let width = scope.width();
            return Ok((
                Plan::SystemScan {
                    relation: id,
                    width,
                },
                scope,
            ));
        }
        if let Some(schema) = schema.filter(|s| s != "public") {
            return Err(SqlError::UndefinedTable(format!("{schema}.{relation}")));
        }
        if let Some(table) = self.db.get_table(&relation) {
            self.note_reference(&relation);
            let schema = table.schema();
            let mut scope = Scope::of_table(schema, shown.clone());
            if let Some(alias) = alias {
                rename_columns(&mut scope, alias)?;
            }
            let plan = Plan::Scan {
                table: schema.id,
                name: schema.name.clone(),
                access: Access::Full,
                filter: None,
                width: scope.width(),
                decoded: None,
            };
            return Ok((plan, scope));
        }
        if let Some(sequence) = self.db.get_sequence(&relation) {
            self.note_reference(&relation);
            return self.bind_sequence(sequence.schema().id, shown, alias);
        }
        if let Some(view) = self.db.get_view(&relation) {
            self.note_reference(&relation);
            let (query, column_names) = (view.query.clone(), view.column_names.clone());
            let bound = self.bind_view(&relation, &query, &column_names)?;
            let mut scope = Scope::computed(
                Some(shown),
                bound.columns.iter().map(|c| (c.name.clone(), c.data_type)),
            );
            for (s, c) in scope.columns.iter_mut().zip(&bound.columns) {
                (s.table_oid, s.column_number) = (c.table_oid, c.column_number);
            }
            if let Some(alias) = alias {
                rename_columns(&mut scope, alias)?;
            }
            return Ok((bound.plan, scope));
        }
        Err(SqlError::UndefinedTable(relation))
    }

    /// `FROM` a sequence: one row of its state, read when the query runs, with
    /// the columns PostgreSQL's sequence relations have (`log_cnt`, the values
    /// logged ahead, is always 0: every change is logged as it is made).
    fn bind_sequence(
        &mut self,
        id: u32,
        shown: String,
        alias: Option<&ast::TableAlias>,
    ) -> Result<(Plan, Scope), SqlError> {
        // Read under the lock, from the real catalog.
        self.reads_catalog = true;
        let state = |function, ty| Expr::Function {
            function: FunctionId::Catalog(function),
            strict: true,
            args: vec![Expr::Const(Value::Int8(i64::from(id)), DataType::Int8)],
            ty,
        };
        let row = vec![
            state(CatalogFunction::SequenceLastValue, DataType::Int8),
            Expr::Const(Value::Int8(0), DataType::Int8),
            state(CatalogFunction::SequenceIsCalled, DataType::Bool),
        ];
        let columns = [
            ("last_value", DataType::Int8),
            ("log_cnt", DataType::Int8),
            ("is_called", DataType::Bool),
        ];
        let mut scope = Scope::computed(Some(shown), columns.map(|(n, t)| (n.into(), t)));
        if let Some(alias) = alias {
            rename_columns(&mut scope, alias)?;
        }
        let plan = Plan::Values {
            rows: vec![row],
            width: 3,
        };
        Ok((plan, scope))
    }

    /// Expands a view: parses and binds its stored query, without access to the
    /// scopes around the place it is used.
    pub fn bind_view(
        &mut self,
        name: &str,
        sql: &str,
        column_names: &[String],
    ) -> Result<BoundQuery, SqlError> {
        if self.view_depth >= VIEW_DEPTH_MAX {
            return Err(SqlError::InvalidStatement(format!(
                "infinite recursion detected in rules for relation \"{name}\""
            )));
        }
        let statements = crate::sql::parse(sql)?;
        let Some(ast::Statement::Query(query)) = statements.first() else {
            return Err(SqlError::InvalidStatement(format!(
                "view \"{name}\" does not hold a query"
            )));
        };
        // A view sees neither the columns nor the WITH queries of the statement
        // that names it.
        let outer = std::mem::take(&mut self.outer);
        let with_queries = std::mem::take(&mut self.with_queries);
        let referenced_levels = std::mem::take(&mut self.referenced_levels);
        let agg = self.agg.take();
        self.view_depth += 1;
        let result = self.bind_query(query);
        self.view_depth -= 1;
        self.outer = outer;
        self.with_queries = with_queries;
        // The view's levels are its own, counted from its query.
        self.referenced_levels = referenced_levels;
        self.agg = agg;
        let mut bound = result?;
        for (c, n) in bound.columns.iter_mut().zip(column_names) {
            c.name = n.clone();
        }
        Ok(bound)
    }
}

/// The function call `factor` is, if it is one. Only plain positional arguments
/// are taken, and no `WITH ORDINALITY` (0A000).
fn function_call(factor: &TableFactor) -> Result<Option<FunctionCall<'_>>, SqlError> {
    let (name, args, alias, with_ordinality) = match factor {
        TableFactor::Table {
            name,
            alias,
            args: Some(args),
            with_hints,
            version: None,
            partitions,
            sample: None,
            with_ordinality,
            ..
        } if with_hints.is_empty() && partitions.is_empty() => {
            (name, &args.args, alias, *with_ordinality)
        }
        TableFactor::Function {
            name,
            args,
            alias,
            with_ordinality,
            ..
        } => (name, args, alias, *with_ordinality),
        TableFactor::UNNEST {
            alias,
            array_exprs,
            with_offset: false,
            with_ordinality,
            ..
        } => {
            return Ok(Some(FunctionCall {
                schema: None,
                name: "unnest".into(),
                args: array_exprs.iter().collect(),
                alias: alias.as_ref(),
                with_ordinality: *with_ordinality,
            }));
        }
        _ => return Ok(None),
    };
    let args = args
        .iter()
        .map(|arg| match arg {
            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Ok(e),
            _ => Err(SqlError::Unsupported(format!(
                "named or wildcard arguments of {name} in FROM"
            ))),
        })
        .collect::<Result<_, _>>()?;
    let (schema, name) = names::qualified(name)?;
    Ok(Some(FunctionCall {
        schema,
        name,
        args,
        alias: alias.as_ref(),
        with_ordinality,
    }))
}

/// True if a comma-list item may refer to the items before it: it holds a
/// LATERAL subquery or a function call, and no right or full join (continuing
/// the chain from the items before would change what those return).
fn joins_laterally(item: &TableWithJoins) -> bool {
    let may_refer = |f: &TableFactor| {
        matches!(
            f,
            TableFactor::Derived { lateral: true, .. }
                | TableFactor::Function { .. }
                | TableFactor::UNNEST { .. }
                | TableFactor::Table { args: Some(_), .. }
        )
    };
    let right_or_full = item.joins.iter().any(|j| {
        matches!(
            j.join_operator,
            JoinOperator::Right(_) | JoinOperator::RightOuter(_) | JoinOperator::FullOuter(_)
        )
    });
    !right_or_full
        && (may_refer(&item.relation) || item.joins.iter().any(|j| may_refer(&j.relation)))
}

/// `left` then `right`, every pair of rows.
fn cross_join(left: Plan, mut left_scope: Scope, right: Item) -> Result<(Plan, Scope), SqlError> {
    check_duplicate_relations(&left_scope, &right.scope)?;
    left_scope.extend(right.scope);
    let plan = join_plan(left, right.plan, JoinKind::Inner, None, right.lateral);
    Ok((plan, left_scope))
}

/// A nested loop, or a lateral join if the right side refers to the left row.
fn join_plan(left: Plan, right: Plan, kind: JoinKind, on: Option<Expr>, lateral: bool) -> Plan {
    let (left, right) = (Box::new(left), Box::new(right));
    if lateral {
        Plan::LateralJoin {
            left,
            right,
            kind,
            on,
        }
    } else {
        Plan::NestedLoop {
            left,
            right,
            kind,
            on,
        }
    }
}

/// `left RIGHT JOIN right ON on`, `on` over the row (right, left), `scope` the
/// columns of (left, right): a left join with the inputs swapped, and a projection
/// that puts the columns back in the order the query sees them.
fn right_join(left: Plan, right: Plan, on: Option<Expr>, scope: &Scope, left_width: usize) -> Plan {
    let right_width = right.width();
    let joined = join_plan(right, left, JoinKind::Left, on, false);
    let exprs = scope
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let index = if i < left_width {
                right_width + i
            } else {
                i - left_width
            };
            Expr::Column { index, ty: c.ty }
        })
        .collect();
    Plan::Project {
        input: Box::new(joined),
        exprs,
    }
}

/// PostgreSQL runs a full join as a merge or hash join only, so it refuses one
/// whose condition reads columns without an equality between the two sides
/// (0A000); Turnstile refuses the same rather than answer what it would not.
fn check_full_join_condition(on: Option<&Expr>, left_width: usize) -> Result<(), SqlError> {
    let mut conjuncts = Vec::new();
    if let Some(on) = on {
        on.clone().into_conjuncts(&mut conjuncts);
    }
    // `l = r`, one side reading only the left row's columns, the other only the
    // right row's (some of them each).
    let joins_sides = |c: &Expr| match c {
        Expr::Binary {
            op: BinaryOp::Eq,
            left,
            right,
            ..
        } if !c.has_subquery() && left.references_columns() && right.references_columns() => {
            matches!(
                (side(left, left_width), side(right, left_width)),
                (Side::Left, Side::Right) | (Side::Right, Side::Left)
            )
        }
        _ => false,
    };
    if conjuncts.iter().any(Expr::references_columns) && !conjuncts.iter().any(joins_sides) {
        return Err(SqlError::Unsupported(
            "FULL JOIN without an equality between its two sides (PostgreSQL runs full joins \
             as merge or hash joins only)"
                .into(),
        ));
    }
    Ok(())
}

/// `scope` with its first `n` columns out of reach of names.
fn hide_leading(mut scope: Scope, n: usize) -> Scope {
    for c in &mut scope.columns[..n] {
        c.relation = None;
        c.hidden = true;
    }
    scope
}

/// The one column of a function in FROM, named after its alias if it has one,
/// as PostgreSQL names a scalar function's column.
fn function_scope(
    function: &str,
    ty: DataType,
    alias: Option<&ast::TableAlias>,
) -> Result<Scope, SqlError> {
    let shown = alias.map_or_else(|| function.to_owned(), |a| names::ident(&a.name));
    let mut scope = Scope::computed(Some(shown.clone()), [(shown, ty)]);
    if let Some(alias) = alias {
        rename_columns(&mut scope, alias)?;
    }
    Ok(scope)
}

/// A derived table's scope: its output columns under the alias.
fn derived_scope(
    bound: &BoundQuery,
    relation: &str,
    alias: &ast::TableAlias,
) -> Result<Scope, SqlError> {
    let mut scope = Scope::computed(
        Some(relation.to_owned()),
        bound.columns.iter().map(|c| (c.name.clone(), c.data_type)),
    );
    rename_columns(&mut scope, alias)?;
    Ok(scope)
}

/// `AS t (a, b)`: renames the first columns.
pub(super) fn rename_columns(scope: &mut Scope, alias: &ast::TableAlias) -> Result<(), SqlError> {
    if alias.columns.len() > scope.width() {
        let relation = names::ident(&alias.name);
        return Err(SqlError::InvalidStatement(format!(
            "table \"{relation}\" has {} columns available but {} columns specified",
            scope.width(),
            alias.columns.len()
        )));
    }
    for (c, a) in scope.columns.iter_mut().zip(&alias.columns) {
        if a.data_type.is_some() {
            return Err(SqlError::Unsupported(
                "column types in a table alias".into(),
            ));
        }
        c.name = names::ident(&a.name);
    }
    Ok(())
}

/// PostgreSQL refuses the same relation name twice in one FROM (42712).
fn check_duplicate_relations(left: &Scope, right: &Scope) -> Result<(), SqlError> {
    for c in &right.columns {
        if let Some(r) = &c.relation {
            if left.has_relation(r) {
                return Err(SqlError::DuplicateAlias(format!(
                    "table name \"{r}\" specified more than once"
                )));
            }
        }
    }
    Ok(())
}

/// The type of `generate_series(start, stop, step)` over timestamps, as
/// PostgreSQL resolves it: `timestamp` if a bound is one (and none is a
/// `timestamptz`), else `timestamptz`, the preferred type, for timestamptz,
/// date or untyped bounds (a date reads as its midnight in the session's time
/// zone); the step an interval, or an untyped literal read as one if a bound
/// is typed. None for other types, left to the integer series.
fn timestamp_series_type(start: DataType, stop: DataType, step: DataType) -> Option<DataType> {
    let bounds = [start, stop];
    let timestamp_like = |t: &DataType| {
        matches!(
            t,
            DataType::Timestamp | DataType::Timestamptz | DataType::Date | DataType::Unknown
        )
    };
    let typed = bounds.iter().any(|t| *t != DataType::Unknown);
    let step_fits = step == DataType::Interval || (step == DataType::Unknown && typed);
    if !step_fits || !bounds.iter().all(timestamp_like) {
        return None;
    }
    if bounds.contains(&DataType::Timestamp) && !bounds.contains(&DataType::Timestamptz) {
        Some(DataType::Timestamp)
    } else {
        Some(DataType::Timestamptz)
    }
}
