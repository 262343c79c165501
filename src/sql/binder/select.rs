//! Queries: SELECT, VALUES, set operations, ORDER BY and LIMIT.

use sqlparser::ast::{
    self, Distinct, GroupByExpr, LimitClause, OrderByKind, Query, Select, SelectItem,
    SelectItemQualifiedWildcardKind, SetExpr, SetOperator, SetQuantifier,
};

use crate::sql::{ColumnInfo, SqlError};
use crate::types::{CastKind, CatalogFunction, DataType, FunctionId, Value};

use super::datatype::{require_equality, require_ordering};
use super::scope::{Lookup, Scope};
use super::state::{place_columns, AggContext, SetFunctions};
use super::window::WindowContext;
use super::{names, Binder, BoundQuery};
use crate::sql::plan::{Expr, Plan, SetFunction, SetOpKind, SortKey};

/// One select-list entry after binding.
struct Item {
    expr: Expr,
    info: ColumnInfo,
}

impl Binder<'_> {
    /// Binds a whole query, with its ORDER BY and LIMIT.
    /// A statement's query: [`Binder::bind_query`], and its `regclass`-like output
    /// columns printed as names (their type stays, as in PostgreSQL, whose output
    /// function for them reads the catalog; ours runs here, under the lock).
    pub fn bind_statement_query(&mut self, query: &Query) -> Result<BoundQuery, SqlError> {
        let mut bound = self.bind_query(query)?;
        if !bound.columns.iter().any(|c| c.data_type.is_oid_alias()) {
            return Ok(bound);
        }
        self.reads_catalog = true;
        let exprs = bound
            .columns
            .iter()
            .enumerate()
            .map(|(index, c)| {
                printed_as_name(Expr::Column {
                    index,
                    ty: c.data_type,
                })
            })
            .collect();
        let plan = std::mem::replace(
            &mut bound.plan,
            Plan::Values {
                rows: vec![],
                width: 0,
            },
        );
        bound.plan = Plan::Project {
            input: Box::new(plan),
            exprs,
        };
        Ok(bound)
    }

    pub fn bind_query(&mut self, query: &Query) -> Result<BoundQuery, SqlError> {
        check_query_clauses(query)?;
        let Some(with) = &query.with else {
            return self.bind_query_body(query);
        };
        let outside = self.with_queries.len();
        let bound = self
            .define_with(with)
            .and_then(|()| self.bind_query_body(query));
        self.with_queries.truncate(outside);
        bound
    }

    /// [`Binder::bind_query`] past its `WITH`.
    fn bind_query_body(&mut self, query: &Query) -> Result<BoundQuery, SqlError> {
        let order_by = match &query.order_by {
            None => &[][..],
            Some(o) => match &o.kind {
                OrderByKind::Expressions(e) => &e[..],
                OrderByKind::All(_) => return Err(SqlError::Unsupported("ORDER BY ALL".into())),
            },
        };
        let bound = match &*query.body {
            SetExpr::Select(select) => self.bind_select(select, order_by)?,
            body => {
                let bound = self.bind_set_expr(body)?;
                self.order_outputs(bound, order_by)?
            }
        };
        self.bind_limit(bound, query.limit_clause.as_ref(), query.fetch.as_ref())
    }

    pub(super) fn bind_set_expr(&mut self, body: &SetExpr) -> Result<BoundQuery, SqlError> {
        match body {
            SetExpr::Select(select) => self.bind_select(select, &[]),
            SetExpr::Query(q) => self.bind_query(q),
            SetExpr::Values(values) => self.bind_values(values),
            SetExpr::SetOperation {
                left,
                op,
                set_quantifier,
                right,
            } => self.bind_set_operation(left, *op, *set_quantifier, right),
            other => Err(SqlError::Unsupported(format!(
                "query form {}",
                first_words(&other.to_string())
            ))),
        }
    }

    fn bind_set_operation(
        &mut self,
        left: &SetExpr,
        op: SetOperator,
        quantifier: SetQuantifier,
        right: &SetExpr,
    ) -> Result<BoundQuery, SqlError> {
        let (kind, name) = match op {
            SetOperator::Union => (SetOpKind::Union, "UNION"),
            SetOperator::Intersect => (SetOpKind::Intersect, "INTERSECT"),
            SetOperator::Except => (SetOpKind::Except, "EXCEPT"),
            other => return Err(SqlError::Unsupported(format!("set operation {other}"))),
        };
        let all = match quantifier {
            SetQuantifier::All => true,
            SetQuantifier::Distinct | SetQuantifier::None => false,
            other => return Err(SqlError::Unsupported(format!("{name} {other}"))),
        };
        let mut left = self.bind_set_expr(left)?;
        let mut right = self.bind_set_expr(right)?;
        if left.columns.len() != right.columns.len() {
            return Err(SqlError::InvalidStatement(format!(
                "each {name} query must have the same number of columns"
            )));
        }
        let mut types = Vec::new();
        for i in 0..left.columns.len() {
            let sides = [output_column(&left, i), output_column(&right, i)];
            types.push(self.common_type_of(&sides, name)?);
        }
        left = cast_outputs(left, &types)?;
        right = cast_outputs(right, &types)?;
        let columns = left
            .columns
            .iter()
            .map(|c| ColumnInfo::computed(c.name.clone(), c.data_type))
            .collect::<Vec<ColumnInfo>>();
        // UNION ALL only appends; INTERSECT and EXCEPT compare, ALL or not.
        if !all || kind != SetOpKind::Union {
            for column in &columns {
                require_equality(column.data_type)?;
            }
        }
        let plan = Plan::SetOp {
            left: Box::new(left.plan),
            right: Box::new(right.plan),
            op: kind,
            all,
        };
        Ok(BoundQuery { plan, columns })
    }

    /// `VALUES (…), (…)`: every row the same width; column types unified per column.
    pub(super) fn bind_values(&mut self, values: &ast::Values) -> Result<BoundQuery, SqlError> {
        let empty = Scope::default();
        let mut rows = Vec::new();
        for row in &values.rows {
            let bound: Vec<Expr> = row
                .content
                .iter()
                .map(|e| self.bind_expr(e, &empty))
                .collect::<Result<_, _>>()?;
            if let Some(first) = rows.first() {
                let first: &Vec<Expr> = first;
                if first.len() != bound.len() {
                    return Err(SqlError::InvalidStatement(
                        "VALUES lists must all be the same length".into(),
                    ));
                }
            }
            rows.push(bound);
        }
        let width = rows.first().map_or(0, Vec::len);
        let mut columns = Vec::new();
        for c in 0..width {
            let ty = self.common_type_of(rows.iter().map(|r| &r[c]), "VALUES")?;
            for row in &mut rows {
                let e = std::mem::replace(&mut row[c], Expr::boolean(false));
                row[c] = self.coerce(e, ty, "VALUES")?;
            }
            columns.push(ColumnInfo::computed(format!("column{}", c + 1), ty));
        }
        Ok(BoundQuery {
            plan: Plan::Values { rows, width },
            columns,
        })
    }

    fn bind_select(
        &mut self,
        select: &Select,
        order_by: &[ast::OrderByExpr],
    ) -> Result<BoundQuery, SqlError> {
        check_select_clauses(select)?;
        // DISTINCT ON's expressions resolve as ORDER BY's do (a position, an
        // output name, an expression over the input): they are bound as sort
        // keys in front of ORDER BY's, and `finish_projection` tells them apart.
        let with_distinct_on: Vec<ast::OrderByExpr>;
        let order_by = match &select.distinct {
            Some(Distinct::On(exprs)) => {
                with_distinct_on = exprs
                    .iter()
                    .map(|expr| ast::OrderByExpr {
                        expr: expr.clone(),
                        options: ast::OrderByOptions {
                            sort: None,
                            nulls_first: None,
                        },
                        with_fill: None,
                    })
                    .chain(order_by.iter().cloned())
                    .collect();
                &with_distinct_on[..]
            }
            _ => order_by,
        };
        let (mut plan, scope) = self.bind_from(&select.from)?;
        if let Some(selection) = &select.selection {
            let predicate =
                self.inside_conditional("WHERE", |b| b.bind_condition(selection, &scope, "WHERE"))?;
            plan = Plan::Filter {
                input: Box::new(plan),
                predicate,
            };
        }
        let group_by = match &select.group_by {
            GroupByExpr::Expressions(exprs, modifiers) if modifiers.is_empty() => exprs,
            _ => {
                return Err(SqlError::Unsupported(
                    "GROUP BY ALL, ROLLUP, CUBE and GROUPING SETS".into(),
                ))
            }
        };
        if !group_by.is_empty() || select.having.is_some() {
            return self.bind_grouped(select, plan, scope, group_by, order_by);
        }
        self.saw_aggregate = false;
        self.window = Some(WindowContext::new(
            scope.columns.len(),
            &select.named_window,
        )?);
        // A subquery in the select list has its own (see `Binder::nested`).
        self.set_functions = Some(SetFunctions {
            base: scope.width(),
            functions: Vec::new(),
        });
        let plain = self.bind_items(&select.projection, &scope);
        let found = self.saw_aggregate;
        self.saw_aggregate = false;
        // The items bound without grouping are kept: binding them a second time
        // would double the work at every level of nested subqueries.
        let items = match plain {
            Ok(items) => items,
            Err(_) if found => {
                self.window = None;
                self.set_functions = None;
                return self.bind_grouped(select, plan, scope, group_by, order_by);
            }
            Err(e) => {
                self.window = None;
                self.set_functions = None;
                return Err(e);
            }
        };
        let sort = self.bind_order_by(order_by, &items, &scope);
        let window = self.window.take().expect("set above");
        let set_functions = self.set_functions.take().expect("set above");
        let sort = sort?;
        let mut plan = window.plan(plan);
        if !set_functions.functions.is_empty() {
            if matches!(plan, Plan::Window { .. }) {
                return Err(SqlError::Unsupported(
                    "set-returning functions and window functions in one select list".into(),
                ));
            }
            plan = Plan::ProjectSet {
                input: Box::new(plan),
                functions: set_functions.functions,
            };
        }
        self.finish_projection(select, plan, items, sort)
    }

    /// A grouped select: aggregate, then HAVING, then the select list over groups.
    fn bind_grouped(
        &mut self,
        select: &Select,
        plan: Plan,
        scope: Scope,
        group_by: &[ast::Expr],
        order_by: &[ast::OrderByExpr],
    ) -> Result<BoundQuery, SqlError> {
        let window = WindowContext::over_groups(&select.named_window)?;
        let mut keys = Vec::new();
        let mut key_asts = Vec::new();
        // A set-returning function in a group key (`GROUP BY unnest(tags)`, or
        // its output's position) runs before the grouping, as in PostgreSQL:
        // a ProjectSet under the aggregation, whose rows are grouped.
        self.set_functions = Some(SetFunctions {
            base: scope.width(),
            functions: Vec::new(),
        });
        let bound_keys = group_by.iter().try_for_each(|g| {
            let ast = self.resolve_group_item(g, &select.projection, &scope)?;
            let key = self.bind_expr(ast, &scope)?;
            require_equality(key.ty())?;
            keys.push(key);
            key_asts.push(ast.clone());
            Ok::<(), SqlError>(())
        });
        let set_functions = self.set_functions.take().expect("set above");
        bound_keys?;
        let set_function_base = set_functions.base;
        let (plan, scope) = if set_functions.functions.is_empty() {
            (plan, scope)
        } else {
            // Their columns follow the FROM clause's, named by nothing: a key
            // is reached by the expression it was written as.
            let mut scope = scope;
            let types = set_functions.functions.iter().map(SetFunction::ty);
            scope.extend(Scope::computed(None, types.map(|ty| (String::new(), ty))));
            for column in &mut scope.columns[set_functions.base..] {
                column.hidden = true;
            }
            let plan = Plan::ProjectSet {
                input: Box::new(plan),
                functions: set_functions.functions,
            };
            (plan, scope)
        };
        // Columns a key determines are carried along, never compared.
        self.add_dependent_columns(&scope, &mut keys);
        self.agg = Some(AggContext {
            input: scope.clone(),
            group_keys: keys,
            group_key_asts: key_asts,
            aggregates: Vec::new(),
            set_function_base,
        });
        self.window = Some(window);
        // A set-returning function in the outputs runs after the grouping (a
        // ProjectSet over the groups), its column numbered from
        // `SET_FUNCTIONS_OVER_GROUPS` until the groups' width is known.
        self.set_functions = Some(SetFunctions {
            base: SET_FUNCTIONS_OVER_GROUPS,
            functions: Vec::new(),
        });
        let result = self.bind_grouped_outputs(select, &scope, order_by);
        let agg = self.agg.take().expect("the aggregate context set above");
        let window = self.window.take().expect("set above");
        let set_functions = self.set_functions.take().expect("set above");
        let (mut items, having, mut sort) = result?;
        let width = agg.group_keys.len() + agg.aggregates.len();
        let sort_exprs = sort.iter_mut().filter_map(|(target, _, _)| match target {
            SortTarget::Expr(e) => Some(e),
            SortTarget::Output(_) => None,
        });
        let mut outputs: Vec<&mut Expr> = items
            .iter_mut()
            .map(|i| &mut i.expr)
            .chain(sort_exprs)
            .collect();
        if !set_functions.functions.is_empty() && window.has_functions() {
            return Err(SqlError::Unsupported(
                "set-returning functions and window functions in one select list".into(),
            ));
        }
        // The set-returning functions' numbers first: the window's placing
        // would take them for its own.
        place_columns(
            SET_FUNCTIONS_OVER_GROUPS,
            width,
            outputs.iter_mut().map(|e| &mut **e),
        );
        window.place(width, outputs);
        let mut plan = Plan::Aggregate {
            input: Box::new(plan),
            group_by: agg.group_keys,
            aggregates: agg.aggregates,
        };
        if let Some(predicate) = having {
            plan = Plan::Filter {
                input: Box::new(plan),
                predicate,
            };
        }
        let mut plan = window.plan(plan);
        if !set_functions.functions.is_empty() {
            plan = Plan::ProjectSet {
                input: Box::new(plan),
                functions: set_functions.functions,
            };
        }
        self.finish_projection(select, plan, items, sort)
    }

    fn bind_grouped_outputs(
        &mut self,
        select: &Select,
        scope: &Scope,
        order_by: &[ast::OrderByExpr],
    ) -> Result<GroupedOutputs, SqlError> {
        let items = self.bind_items(&select.projection, scope)?;
        // HAVING is computed before the window functions and the set-returning
        // ones: none may stand in it.
        let window = self.window.take();
        let set_functions = self.set_functions.take();
        let having = select
            .having
            .as_ref()
            .map(|h| self.inside_conditional("HAVING", |b| b.bind_condition(h, scope, "HAVING")))
            .transpose();
        self.window = window;
        self.set_functions = set_functions;
        let sort = self.bind_order_by(order_by, &items, scope)?;
        Ok((items, having?, sort))
    }

    /// Grouping by a table's whole primary key determines its other columns, so
    /// PostgreSQL lets the select list use them; they become group keys too.
    fn add_dependent_columns(&self, scope: &Scope, keys: &mut Vec<Expr>) {
        let grouped: Vec<usize> = keys
            .iter()
            .filter_map(|k| match k {
                Expr::Column { index, .. } if scope.columns[*index].table_row => Some(*index),
                _ => None,
            })
            .collect();
        let mut extra = Vec::new();
        for &g in &grouped {
            let oid = scope.columns[g].table_oid;
            let relation = &scope.columns[g].relation;
            let Some(table) = self.db.tables().find(|t| t.schema().id == oid && oid != 0) else {
                continue;
            };
            let Some(pk) = &table.schema().primary_key else {
                continue;
            };
            let same_table: Vec<usize> = (0..scope.width())
                .filter(|&i| {
                    let c = &scope.columns[i];
                    c.table_row && c.table_oid == oid && c.relation == *relation
                })
                .collect();
            let covered = pk.iter().all(|p| {
                same_table.iter().any(|&i| {
                    scope.columns[i].column_number as usize == p + 1 && grouped.contains(&i)
                })
            });
            if covered {
                for i in same_table {
                    if !grouped.contains(&i) && !extra.contains(&i) {
                        extra.push(i);
                    }
                }
            }
        }
        for index in extra {
            keys.push(Expr::Column {
                index,
                ty: scope.columns[index].ty,
            });
        }
    }

    /// A GROUP BY entry: a select-list position, an output alias that is not an
    /// input column, or an expression over the input.
    fn resolve_group_item<'e>(
        &self,
        g: &'e ast::Expr,
        projection: &'e [SelectItem],
        scope: &Scope,
    ) -> Result<&'e ast::Expr, SqlError> {
        if let Some(i) = position(g, projection.len(), "GROUP BY")? {
            return match &projection[i] {
                SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => Ok(e),
                _ => Err(not_in_select_list("GROUP BY", i + 1)),
            };
        }
        if let ast::Expr::Identifier(id) = g {
            let name = names::ident(id);
            if matches!(scope.lookup(None, &name)?, Lookup::NotFound) {
                for item in projection {
                    if let SelectItem::ExprWithAlias { expr, alias } = item {
                        if names::ident(alias) == name {
                            return Ok(expr);
                        }
                    }
                }
            }
        }
        Ok(g)
    }

    /// Project (with hidden sort columns), DISTINCT, sort, DISTINCT ON, and trim
    /// the hidden columns. With DISTINCT ON, `sort` starts with its expressions.
    fn finish_projection(
        &mut self,
        select: &Select,
        plan: Plan,
        items: Vec<Item>,
        mut sort: Vec<(SortTarget, bool, bool)>,
    ) -> Result<BoundQuery, SqlError> {
        let (distinct, distinct_on) = match &select.distinct {
            None | Some(Distinct::All) => (false, 0),
            Some(Distinct::Distinct) => (true, 0),
            Some(Distinct::On(exprs)) => (false, exprs.len()),
        };
        let order = sort.split_off(distinct_on);
        let visible = items.len();
        let columns: Vec<ColumnInfo> = items.iter().map(|i| i.info.clone()).collect();
        let mut exprs: Vec<Expr> = items.into_iter().map(|i| i.expr).collect();
        // The column a sort key reads: a select-list one, or a hidden one
        // after them (which plain DISTINCT does not allow).
        let column_of = |target: SortTarget, exprs: &mut Vec<Expr>| match target {
            SortTarget::Output(i) => Ok(i),
            SortTarget::Expr(e) => match exprs.iter().position(|x| *x == e) {
                Some(i) => Ok(i),
                None if distinct => Err(SqlError::InvalidColumnReference(
                    "for SELECT DISTINCT, ORDER BY expressions must appear in select list".into(),
                )),
                None => {
                    exprs.push(e);
                    Ok(exprs.len() - 1)
                }
            },
        };
        let on: Vec<usize> = sort
            .into_iter()
            .map(|(target, _, _)| column_of(target, &mut exprs))
            .collect::<Result<_, _>>()?;
        let mut keys = Vec::new();
        for (target, descending, nulls_first) in order {
            let index = column_of(target, &mut exprs)?;
            keys.push((index, descending, nulls_first));
        }
        if !on.is_empty() {
            // PostgreSQL's rule: ORDER BY starts with the DISTINCT ON
            // expressions, in any order; those it leaves out sort after it.
            let mut covered = vec![false; on.len()];
            for (index, _, _) in &keys {
                if covered.iter().all(|c| *c) {
                    break;
                }
                if !on.contains(index) {
                    return Err(SqlError::InvalidColumnReference(
                        "SELECT DISTINCT ON expressions must match initial ORDER BY expressions"
                            .into(),
                    ));
                }
                // Every entry for it: `DISTINCT ON (a, a)` names one key twice.
                for (covered, column) in covered.iter_mut().zip(&on) {
                    *covered |= column == index;
                }
            }
            for (&index, covered) in on.iter().zip(covered) {
                if !covered {
                    keys.push((index, false, false));
                }
            }
        }
        let keys: Vec<SortKey> = keys
            .into_iter()
            .map(|(index, descending, nulls_first)| SortKey {
                expr: Expr::Column {
                    index,
                    ty: exprs[index].ty(),
                },
                descending,
                nulls_first,
            })
            .collect();
        if distinct {
            for expr in &exprs[..visible] {
                require_equality(expr.ty())?;
            }
        }
        let mut plan = Plan::Project {
            input: Box::new(plan),
            exprs,
        };
        if distinct {
            plan = Plan::Distinct {
                input: Box::new(plan),
            };
        }
        if !keys.is_empty() {
            for key in &keys {
                require_ordering(key.expr.ty())?;
            }
            plan = Plan::Sort {
                input: Box::new(plan),
                keys,
            };
        }
        if !on.is_empty() {
            plan = Plan::DistinctOn {
                input: Box::new(plan),
                columns: on,
            };
        }
        if plan.width() > visible {
            let exprs = columns
                .iter()
                .enumerate()
                .map(|(index, c)| Expr::Column {
                    index,
                    ty: c.data_type,
                })
                .collect();
            plan = Plan::Project {
                input: Box::new(plan),
                exprs,
            };
        }
        Ok(BoundQuery { plan, columns })
    }

    /// The select list, with `*` and `t.*` expanded.
    fn bind_items(
        &mut self,
        projection: &[SelectItem],
        scope: &Scope,
    ) -> Result<Vec<Item>, SqlError> {
        let mut items = Vec::new();
        for item in projection {
            match item {
                SelectItem::UnnamedExpr(e) => {
                    let expr = self.bind_expr(e, scope)?;
                    let name = column_name(e).unwrap_or_else(|| "?column?".into());
                    items.push(self.item(expr, name, scope));
                }
                SelectItem::ExprWithAlias { expr, alias } => {
                    let bound = self.bind_expr(expr, scope)?;
                    items.push(self.item(bound, names::ident(alias), scope));
                }
                SelectItem::Wildcard(options) => {
                    check_wildcard_options(options)?;
                    if scope.has_no_relations() && self.agg.is_none() {
                        return Err(SqlError::InvalidStatement(
                            "SELECT * with no tables specified is not valid".into(),
                        ));
                    }
                    self.expand_wildcard(None, scope, &mut items)?;
                }
                SelectItem::QualifiedWildcard(
                    SelectItemQualifiedWildcardKind::ObjectName(name),
                    options,
                ) => {
                    check_wildcard_options(options)?;
                    let parts = names::parts(name)?;
                    let relation = parts.last().cloned().unwrap_or_default();
                    if !scope.has_relation(&relation) {
                        return Err(SqlError::UndefinedTableMessage(format!(
                            "missing FROM-clause entry for table \"{relation}\""
                        )));
                    }
                    self.expand_wildcard(Some(&relation), scope, &mut items)?;
                }
                other => return Err(SqlError::Unsupported(format!("select item {other}"))),
            }
        }
        Ok(items)
    }

    /// The select list as (expression, column) pairs, for RETURNING.
    pub(super) fn bind_items_public(
        &mut self,
        projection: &[SelectItem],
        scope: &Scope,
    ) -> Result<Vec<(Expr, ColumnInfo)>, SqlError> {
        Ok(self
            .bind_items(projection, scope)?
            .into_iter()
            .map(|i| (i.expr, i.info))
            .collect())
    }

    fn expand_wildcard(
        &mut self,
        relation: Option<&str>,
        scope: &Scope,
        items: &mut Vec<Item>,
    ) -> Result<(), SqlError> {
        let order = match relation {
            // The merged columns of JOIN … USING where they go.
            None => scope.star_order(),
            Some(_) => (0..scope.width()).collect(),
        };
        for index in order {
            let c = &scope.columns[index];
            let wanted = match relation {
                Some(r) => c.relation.as_deref() == Some(r),
                None => !c.hidden,
            };
            if wanted {
                let column = Expr::Column { index, ty: c.ty };
                let expr = self.over_groups(column)?;
                items.push(Item {
                    expr,
                    info: scope.info(index, c.name.clone()),
                });
            }
        }
        Ok(())
    }

    /// A result column; plain column references keep their table and position.
    fn item(&self, expr: Expr, name: String, scope: &Scope) -> Item {
        let source = match (&expr, &self.agg) {
            (Expr::Column { index, .. }, None) => Some(*index),
            (Expr::Column { index, .. }, Some(agg)) => match agg.group_keys.get(*index) {
                Some(Expr::Column { index, .. }) => Some(*index),
                _ => None,
            },
            _ => None,
        };
        let info = match source {
            Some(i) if i < scope.width() => scope.info(i, name),
            _ => ColumnInfo::computed(name, expr.ty()),
        };
        Item { expr, info }
    }

    /// ORDER BY keys: an output name, a position, or an expression over the input.
    fn bind_order_by(
        &mut self,
        order_by: &[ast::OrderByExpr],
        items: &[Item],
        scope: &Scope,
    ) -> Result<Vec<(SortTarget, bool, bool)>, SqlError> {
        let mut keys = Vec::new();
        for o in order_by {
            let (descending, nulls_first) = sort_options(o)?;
            let target =
                match output_reference(&o.expr, items.iter().map(|i| i.info.name.as_str()))? {
                    Some(i) => SortTarget::Output(i),
                    None => SortTarget::Expr(self.bind_expr(&o.expr, scope)?),
                };
            keys.push((target, descending, nulls_first));
        }
        Ok(keys)
    }

    /// ORDER BY for a set operation or VALUES: output columns only.
    fn order_outputs(
        &mut self,
        bound: BoundQuery,
        order_by: &[ast::OrderByExpr],
    ) -> Result<BoundQuery, SqlError> {
        if order_by.is_empty() {
            return Ok(bound);
        }
        let mut keys = Vec::new();
        for o in order_by {
            let (descending, nulls_first) = sort_options(o)?;
            let index = output_reference(&o.expr, bound.columns.iter().map(|c| c.name.as_str()))?.ok_or_else(|| {
                SqlError::Unsupported(
                    "ORDER BY on a UNION/INTERSECT/EXCEPT result other than by a result column name or position".into(),
                )
            })?;
            let expr = Expr::Column {
                index,
                ty: bound.columns[index].data_type,
            };
            keys.push(SortKey {
                expr,
                descending,
                nulls_first,
            });
        }
        for key in &keys {
            require_ordering(key.expr.ty())?;
        }
        Ok(BoundQuery {
            plan: Plan::Sort {
                input: Box::new(bound.plan),
                keys,
            },
            columns: bound.columns,
        })
    }

    /// `LIMIT n OFFSET m`, or the standard's `OFFSET m ROWS FETCH FIRST n ROWS
    /// ONLY` (`FETCH FIRST ROW ONLY` is one row).
    fn bind_limit(
        &mut self,
        bound: BoundQuery,
        limit: Option<&LimitClause>,
        fetch: Option<&ast::Fetch>,
    ) -> Result<BoundQuery, SqlError> {
        let (limit, offset) = match limit {
            None => (None, None),
            Some(LimitClause::LimitOffset {
                limit,
                offset,
                limit_by,
            }) if limit_by.is_empty() => (limit.as_ref(), offset.as_ref().map(|o| &o.value)),
            Some(_) => {
                return Err(SqlError::Unsupported(
                    "this LIMIT syntax; use LIMIT n OFFSET m".into(),
                ))
            }
        };
        let one = ast::Expr::value(ast::Value::Number("1".into(), false));
        let limit = match fetch {
            None => limit,
            Some(fetch) if fetch.with_ties || fetch.percent => {
                return Err(SqlError::Unsupported(
                    "FETCH FIRST … WITH TIES or PERCENT".into(),
                ))
            }
            Some(_) if limit.is_some() => {
                return Err(SqlError::Syntax(
                    "LIMIT and FETCH FIRST in one query".into(),
                ))
            }
            Some(fetch) => Some(fetch.quantity.as_ref().unwrap_or(&one)),
        };
        let empty = Scope::default();
        let mut bind = |e: Option<&ast::Expr>, what: &str| -> Result<Option<Expr>, SqlError> {
            match e {
                None => Ok(None),
                Some(ast::Expr::Value(v)) if matches!(v.value, ast::Value::Null) => Ok(None),
                Some(e) => {
                    let bound = self.bind_expr(e, &empty)?;
                    if bound.references_columns() {
                        return Err(SqlError::InvalidStatement(format!(
                            "argument of {what} must not contain variables"
                        )));
                    }
                    Ok(Some(self.coerce_as(
                        bound,
                        DataType::Int8,
                        CastKind::Assignment,
                        what,
                    )?))
                }
            }
        };
        let limit = bind(limit, "LIMIT")?;
        let offset = bind(offset, "OFFSET")?;
        if limit.is_none() && offset.is_none() {
            return Ok(bound);
        }
        Ok(BoundQuery {
            plan: Plan::Limit {
                input: Box::new(bound.plan),
                limit,
                offset,
            },
            columns: bound.columns,
        })
    }
}

/// The select list, HAVING and ORDER BY keys of a grouped query.
type GroupedOutputs = (Vec<Item>, Option<Expr>, Vec<(SortTarget, bool, bool)>);

/// What an ORDER BY key sorts on.
enum SortTarget {
    /// A select-list column.
    Output(usize),
    /// An expression over the query's input (or its groups).
    Expr(Expr),
}

/// The select-list column an ORDER BY key names: a position, or a bare name equal
/// to an output name (SQL-92 rule, which PostgreSQL follows before input columns).
fn output_reference<'n>(
    expr: &ast::Expr,
    names: impl Iterator<Item = &'n str>,
) -> Result<Option<usize>, SqlError> {
    let names: Vec<&str> = names.collect();
    if let Some(i) = position(expr, names.len(), "ORDER BY")? {
        return Ok(Some(i));
    }
    if let ast::Expr::Identifier(id) = expr {
        let name = names::ident(id);
        let mut found = names
            .iter()
            .enumerate()
            .filter(|(_, n)| **n == name)
            .map(|(i, _)| i);
        if let Some(first) = found.next() {
            if found.next().is_some() {
                return Err(SqlError::AmbiguousColumn(name));
            }
            return Ok(Some(first));
        }
    }
    Ok(None)
}

/// A GROUP BY or ORDER BY key PostgreSQL's grammar reads as a constant. Only an
/// integer means something there (a select-list position); the others are
/// refused, as grouping or sorting by a constant would do nothing.
enum KeyConstant {
    /// An integer that fits `integer`.
    Integer(i32),
    /// Any other number.
    Number,
    /// A string, boolean or NULL.
    Other,
}

/// The constant `expr` is, if it is one: a literal in any parentheses
/// (`ORDER BY (2)` is a position), or a number under minus signs, which the
/// grammar folds into it (`ORDER BY -1` is position -1, out of range).
fn key_constant(expr: &ast::Expr) -> Option<KeyConstant> {
    match expr {
        ast::Expr::Nested(inner) => key_constant(inner),
        ast::Expr::Value(v) => match &v.value {
            ast::Value::Number(n, _) => {
                Some(n.parse().map_or(KeyConstant::Number, KeyConstant::Integer))
            }
            // A parameter is an expression, as in PostgreSQL.
            ast::Value::Placeholder(_) => None,
            _ => Some(KeyConstant::Other),
        },
        ast::Expr::UnaryOp {
            op: ast::UnaryOperator::Minus,
            expr,
        } => match key_constant(expr)? {
            KeyConstant::Integer(n) => Some(KeyConstant::Integer(-n)),
            KeyConstant::Number => Some(KeyConstant::Number),
            KeyConstant::Other => None,
        },
        _ => None,
    }
}

/// The select-list index (of `len` items) that a `clause` key names if it is a
/// constant: 42P10 for a position out of range, 42601 for a constant that is not
/// an integer, as in PostgreSQL.
fn position(expr: &ast::Expr, len: usize, clause: &str) -> Result<Option<usize>, SqlError> {
    match key_constant(expr) {
        None => Ok(None),
        Some(KeyConstant::Integer(n)) => match usize::try_from(n) {
            Ok(n) if (1..=len).contains(&n) => Ok(Some(n - 1)),
            _ => Err(not_in_select_list(clause, n)),
        },
        Some(KeyConstant::Number | KeyConstant::Other) => Err(SqlError::InvalidStatement(format!(
            "non-integer constant in {clause}"
        ))),
    }
}

/// 42P10 for a `clause` position `n` that names no select-list expression.
fn not_in_select_list(clause: &str, n: impl std::fmt::Display) -> SqlError {
    SqlError::InvalidColumnReference(format!("{clause} position {n} is not in select list"))
}

/// ASC/DESC and NULLS FIRST/LAST, with PostgreSQL's defaults: NULLs sort as if
/// larger than every value, so last ascending and first descending.
pub(super) fn sort_options(o: &ast::OrderByExpr) -> Result<(bool, bool), SqlError> {
    if o.with_fill.is_some() {
        return Err(SqlError::Unsupported("ORDER BY … WITH FILL".into()));
    }
    let descending = match &o.options.sort {
        None | Some(ast::OrderBySort::Asc) => false,
        Some(ast::OrderBySort::Desc) => true,
        Some(ast::OrderBySort::Using(_)) => {
            return Err(SqlError::Unsupported("ORDER BY … USING".into()))
        }
    };
    Ok((descending, o.options.nulls_first.unwrap_or(descending)))
}

/// The name PostgreSQL gives an unaliased select-list expression (FigureColname).
pub(super) fn column_name(expr: &ast::Expr) -> Option<String> {
    figure_name(expr).map(|(name, _)| name)
}

/// How firmly a figured name holds (PostgreSQL's FigureColnameInternal strength):
/// a cast's type name or `case` gives way to an enclosing cast's type name, a
/// column's or a function's name does not (`1::int::text` is `text`, `a::text` is
/// `a`).
#[derive(Clone, Copy, PartialEq)]
enum NameStrength {
    Weak,
    Strong,
}

fn figure_name(expr: &ast::Expr) -> Option<(String, NameStrength)> {
    use ast::Expr as E;
    use NameStrength::{Strong, Weak};
    let strong = |name: String| Some((name, Strong));
    match expr {
        E::Identifier(id) => strong(names::ident(id)),
        E::CompoundIdentifier(ids) => ids.last().map(|id| (names::ident(id), Strong)),
        E::Nested(inner) => figure_name(inner),
        // A subscript keeps the name of what it subscripts, as in PostgreSQL
        // (`(regexp_match(…))[2]` is `regexp_match`); a field its own.
        E::CompoundFieldAccess { root, access_chain } => match access_chain.last() {
            Some(ast::AccessExpr::Dot(E::Identifier(field))) => strong(names::ident(field)),
            _ => figure_name(root),
        },
        E::Function(f) => names::parts(&f.name)
            .ok()
            .and_then(|p| p.last().cloned())
            .map(|name| (name, Strong)),
        E::Cast {
            expr, data_type, ..
        } => match figure_name(expr) {
            Some(inner) if inner.1 == Strong => Some(inner),
            inner => type_column_name(data_type)
                .map(|name| (name, Weak))
                .or(inner),
        },
        E::Case { else_result, .. } => match else_result.as_deref().and_then(figure_name) {
            Some(named) if named.1 == Strong => Some(named),
            _ => Some(("case".into(), Weak)),
        },
        E::Exists { .. } => strong("exists".into()),
        E::Array(_) => strong("array".into()),
        E::Subquery(q) => match &*q.body {
            SetExpr::Select(s) => match s.projection.first() {
                Some(SelectItem::ExprWithAlias { alias, .. }) => strong(names::ident(alias)),
                Some(SelectItem::UnnamedExpr(e)) => column_name(e).map(|name| (name, Strong)),
                _ => None,
            },
            _ => None,
        },
        E::TypedString(t) => type_column_name(&t.data_type).map(|name| (name, Weak)),
        E::Substring { shorthand, .. } => {
            strong(if *shorthand { "substr" } else { "substring" }.into())
        }
        E::Trim { .. } => strong("btrim".into()),
        E::Position { .. } => strong("position".into()),
        E::Extract { .. } => strong("extract".into()),
        E::Ceil { .. } => strong("ceil".into()),
        E::Floor { .. } => strong("floor".into()),
        _ => None,
    }
}

/// The name of a cast's column when the casted expression has none: the type's
/// internal name, as PostgreSQL shows it (`'1'::int` is `int4`).
fn type_column_name(ty: &ast::DataType) -> Option<String> {
    let t = super::datatype::data_type(ty).ok()?;
    t.internal_name().map(str::to_owned)
}

/// Output column `i` of `bound`, for [`Binder::common_type_of`]: the NULL literal
/// when the select list computes it as one, else a column of its type.
pub(super) fn output_column(bound: &BoundQuery, i: usize) -> Expr {
    let null = Expr::Const(Value::Null, DataType::Unknown);
    match &bound.plan {
        Plan::Project { exprs, .. } if exprs[i] == null => null,
        _ => Expr::Column {
            index: i,
            ty: bound.columns[i].data_type,
        },
    }
}

/// `bound` with its untyped output columns (a quoted literal, NULL) made text, as
/// PostgreSQL resolves a subquery's outputs before anything above it reads them
/// (`(SELECT '1' AS v) s` then `v + 1` is text + integer, 42883).
pub(super) fn unknown_outputs_as_text(bound: BoundQuery) -> Result<BoundQuery, SqlError> {
    let types: Vec<DataType> = bound
        .columns
        .iter()
        .map(|c| match c.data_type {
            DataType::Unknown => DataType::Text,
            ty => ty,
        })
        .collect();
    cast_outputs(bound, &types)
}

pub(super) fn cast_outputs(
    mut bound: BoundQuery,
    types: &[DataType],
) -> Result<BoundQuery, SqlError> {
    if bound
        .columns
        .iter()
        .zip(types)
        .all(|(c, t)| c.data_type == *t)
    {
        return Ok(bound);
    }
    let exprs = bound
        .columns
        .iter()
        .zip(types)
        .enumerate()
        .map(|(index, (c, t))| {
            let column = Expr::Column {
                index,
                ty: c.data_type,
            };
            if c.data_type == *t {
                column
            } else {
                Expr::Cast {
                    expr: Box::new(column),
                    ty: *t,
                }
            }
        })
        .collect();
    for (c, t) in bound.columns.iter_mut().zip(types) {
        c.data_type = *t;
    }
    bound.plan = Plan::Project {
        input: Box::new(bound.plan),
        exprs,
    };
    Ok(bound)
}

pub(super) fn check_query_clauses(query: &Query) -> Result<(), SqlError> {
    if !query.locks.is_empty() {
        return Err(SqlError::Unsupported("SELECT … FOR UPDATE/SHARE".into()));
    }
    if query.for_clause.is_some()
        || query.settings.is_some()
        || query.format_clause.is_some()
        || !query.pipe_operators.is_empty()
    {
        return Err(SqlError::Unsupported("this query clause".into()));
    }
    Ok(())
}

fn check_select_clauses(select: &Select) -> Result<(), SqlError> {
    if select.into.is_some() {
        return Err(SqlError::Unsupported(
            "SELECT INTO; use CREATE TABLE … AS SELECT".into(),
        ));
    }
    if select.top.is_some()
        || !select.lateral_views.is_empty()
        || select.prewhere.is_some()
        || !select.connect_by.is_empty()
        || !select.cluster_by.is_empty()
        || !select.distribute_by.is_empty()
        || !select.sort_by.is_empty()
        || select.qualify.is_some()
        || select.value_table_mode.is_some()
    {
        return Err(SqlError::Unsupported("this SELECT clause".into()));
    }
    Ok(())
}

fn check_wildcard_options(options: &ast::WildcardAdditionalOptions) -> Result<(), SqlError> {
    if options.opt_exclude.is_some()
        || options.opt_except.is_some()
        || options.opt_replace.is_some()
        || options.opt_rename.is_some()
        || options.opt_ilike.is_some()
    {
        return Err(SqlError::Unsupported("wildcard options".into()));
    }
    Ok(())
}

/// The first few words of a statement, to name it in a message.
pub(super) fn first_words(sql: &str) -> String {
    sql.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

/// Where the columns of the set-returning functions of a grouped query's
/// outputs are numbered from while its aggregates are still being found (see
/// `state::place_columns`): above any real column, and above the window
/// functions' own placeholder numbers.
const SET_FUNCTIONS_OVER_GROUPS: usize = usize::MAX / 4 * 3;

/// `expr` printed as a name if it is a `regclass`-like output (see
/// [`Binder::bind_statement_query`]); anything else as it is.
pub(super) fn printed_as_name(expr: Expr) -> Expr {
    match expr.ty() {
        DataType::Oid(alias) if expr.ty().is_oid_alias() => Expr::Function {
            function: FunctionId::Catalog(CatalogFunction::RegOut(alias)),
            strict: true,
            ty: expr.ty(),
            args: vec![expr],
        },
        _ => expr,
    }
}
