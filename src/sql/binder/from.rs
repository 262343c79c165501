//! The FROM clause: tables, views, subqueries and joins.

use sqlparser::ast::{self, JoinConstraint, JoinOperator, TableFactor, TableWithJoins};

use crate::sql::plan::{Access, Expr, JoinKind, Plan};
use crate::sql::{system, SqlError};
use crate::types::DataType;

use super::scope::{Lookup, Scope};
use super::state::VIEW_DEPTH_MAX;
use super::{names, Binder, BoundQuery};

impl Binder<'_> {
    /// Binds a FROM list; comma-separated items are cross joined. An empty FROM is
    /// one row of no columns, so `SELECT 1` returns one row.
    pub(super) fn bind_from(&mut self, from: &[TableWithJoins]) -> Result<(Plan, Scope), SqlError> {
        let mut result: Option<(Plan, Scope)> = None;
        for item in from {
            let (plan, scope) = self.bind_table_with_joins(item)?;
            result = Some(match result {
                None => (plan, scope),
                Some((left, mut left_scope)) => {
                    check_duplicate_relations(&left_scope, &scope)?;
                    left_scope.extend(scope);
                    let plan = Plan::NestedLoop {
                        left: Box::new(left),
                        right: Box::new(plan),
                        kind: JoinKind::Inner,
                        on: None,
                    };
                    (plan, left_scope)
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

    fn bind_table_with_joins(&mut self, item: &TableWithJoins) -> Result<(Plan, Scope), SqlError> {
        let (mut plan, mut scope) = self.bind_factor(&item.relation)?;
        for join in &item.joins {
            let (right, right_scope) = self.bind_factor(&join.relation)?;
            check_duplicate_relations(&scope, &right_scope)?;
            (plan, scope) = self.bind_join(plan, scope, right, right_scope, &join.join_operator)?;
        }
        Ok((plan, scope))
    }

    fn bind_join(
        &mut self,
        left: Plan,
        left_scope: Scope,
        right: Plan,
        right_scope: Scope,
        op: &JoinOperator,
    ) -> Result<(Plan, Scope), SqlError> {
        let (kind, constraint, swap) = match op {
            JoinOperator::Join(c) | JoinOperator::Inner(c) => (JoinKind::Inner, c, false),
            JoinOperator::CrossJoin(c) => (JoinKind::Inner, c, false),
            JoinOperator::Left(c) | JoinOperator::LeftOuter(c) => (JoinKind::Left, c, false),
            JoinOperator::Right(c) | JoinOperator::RightOuter(c) => (JoinKind::Left, c, true),
            JoinOperator::FullOuter(_) => {
                return Err(SqlError::Unsupported("FULL OUTER JOIN".into()))
            }
            _ => return Err(SqlError::Unsupported("this kind of join".into())),
        };
        let (left_width, right_width) = (left_scope.width(), right_scope.width());
        let mut scope = left_scope.clone();
        scope.extend(right_scope.clone());
        let on = match constraint {
            JoinConstraint::None => None,
            JoinConstraint::On(e) => Some(self.bind_condition(e, &scope, "JOIN/ON")?),
            JoinConstraint::Using(columns) => {
                Some(self.bind_using(columns, &left_scope, &right_scope, &mut scope)?)
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
        if !swap {
            let plan = Plan::NestedLoop {
                left: Box::new(left),
                right: Box::new(right),
                kind,
                on,
            };
            return Ok((plan, scope));
        }
        // A right join is a left join with the inputs swapped; the projection puts
        // the columns back in the order the query sees them.
        let on = on.map(|mut e| {
            swap_columns(&mut e, left_width, right_width);
            e
        });
        let joined = Plan::NestedLoop {
            left: Box::new(right),
            right: Box::new(left),
            kind,
            on,
        };
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
        Ok((
            Plan::Project {
                input: Box::new(joined),
                exprs,
            },
            scope,
        ))
    }

    /// `USING (a, b)`: equality of the same-named columns; the right-hand copies
    /// are hidden from `*` and from unqualified names.
    fn bind_using(
        &mut self,
        columns: &[ast::ObjectName],
        left: &Scope,
        right: &Scope,
        scope: &mut Scope,
    ) -> Result<Expr, SqlError> {
        let mut conjuncts = Vec::new();
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
                index: l,
                ty: left.columns[l].ty,
            };
            let rhs = Expr::Column {
                index: left.width() + r,
                ty: right.columns[r].ty,
            };
            conjuncts.push(self.comparison(ast::BinaryOperator::Eq, lhs, rhs)?);
            scope.columns[left.width() + r].hidden = true;
        }
        Ok(Expr::conjunction(conjuncts).unwrap_or_else(|| Expr::boolean(true)))
    }

    fn bind_factor(&mut self, factor: &TableFactor) -> Result<(Plan, Scope), SqlError> {
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
                self.bind_relation(name, alias.as_ref())
            }
            TableFactor::Derived {
                lateral: false,
                subquery,
                alias,
                sample: None,
            } => {
                let Some(alias) = alias else {
                    return Err(SqlError::InvalidStatement(
                        "subquery in FROM must have an alias".into(),
                    ));
                };
                let bound = self.bind_query(subquery)?;
                let scope = derived_scope(&bound, &names::ident(&alias.name), alias)?;
                Ok((bound.plan, scope))
            }
            TableFactor::Derived { lateral: true, .. } => {
                Err(SqlError::Unsupported("LATERAL".into()))
            }
            TableFactor::NestedJoin {
                table_with_joins,
                alias: None,
            } => self.bind_table_with_joins(table_with_joins),
            TableFactor::Table {
                name,
                alias,
                args: Some(args),
                with_ordinality: false,
                ..
            } if is_generate_series(name) => self.bind_series(args, alias.as_ref()),
            TableFactor::Table {
                name,
                alias,
                args: Some(args),
                with_hints,
                version: None,
                partitions,
                sample: None,
                with_ordinality: false,
                ..
            } if with_hints.is_empty()
                && partitions.is_empty()
                && self.db.get_routine(&names::relation(name)?).is_some() =>
            {
                self.bind_view_call(name, args, alias.as_ref())
            }
            TableFactor::Function { .. } | TableFactor::Table { args: Some(_), .. } => {
                Err(SqlError::Unsupported(
                    "functions in FROM other than a module's view (without WITH ORDINALITY \
                     or TABLESAMPLE)"
                        .into(),
                ))
            }
            other => Err(SqlError::Unsupported(format!("FROM item {other}"))),
        }
    }

    /// `generate_series(start, stop)` of integers; its column is named after the
    /// alias, as PostgreSQL names a scalar function's column.
    fn bind_series(
        &mut self,
        args: &ast::TableFunctionArgs,
        alias: Option<&ast::TableAlias>,
    ) -> Result<(Plan, Scope), SqlError> {
        let [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(start)), ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(stop))] =
            args.args.as_slice()
        else {
            return Err(SqlError::Unsupported(
                "generate_series other than over two integers".into(),
            ));
        };
        let empty = Scope::default();
        let (start, stop) = (
            self.bind_expr(start, &empty)?,
            self.bind_expr(stop, &empty)?,
        );
        let ty = match (start.ty(), stop.ty()) {
            (DataType::Int8, _) | (_, DataType::Int8) => DataType::Int8,
            (a, b)
                if [a, b]
                    .iter()
                    .all(|t| matches!(t, DataType::Int2 | DataType::Int4 | DataType::Unknown)) =>
            {
                DataType::Int4
            }
            (a, b) => {
                return Err(SqlError::Unsupported(format!(
                    "generate_series({a}, {b}); only integer series are supported"
                )))
            }
        };
        let start = self.coerce(start, ty, "generate_series")?;
        let stop = self.coerce(stop, ty, "generate_series")?;
        let shown = alias.map_or_else(|| "generate_series".to_owned(), |a| names::ident(&a.name));
        let mut scope = Scope::computed(Some(shown.clone()), [(shown, ty)]);
        if let Some(alias) = alias {
            rename_columns(&mut scope, alias)?;
        }
        Ok((Plan::Series { start, stop }, scope))
    }

    /// A system relation, table or view by name. System relations come first: their
    /// names are reserved (see `sql::system`).
    fn bind_relation(
        &mut self,
        name: &ast::ObjectName,
        alias: Option<&ast::TableAlias>,
    ) -> Result<(Plan, Scope), SqlError> {
        let (schema, relation) = names::qualified(name)?;
        let shown = alias.map_or_else(|| relation.clone(), |a| names::ident(&a.name));
        if let Some(id) = system::find(schema.as_deref(), &relation) {
            let columns = id.relation().columns.iter();
            let mut scope = Scope::computed(Some(shown), columns.map(|(n, t)| ((*n).into(), *t)));
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
            };
            return Ok((plan, scope));
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
        let outer = std::mem::take(&mut self.outer);
        let agg = self.agg.take();
        self.view_depth += 1;
        let result = self.bind_query(query);
        self.view_depth -= 1;
        self.outer = outer;
        self.agg = agg;
        let mut bound = result?;
        for (c, n) in bound.columns.iter_mut().zip(column_names) {
            c.name = n.clone();
        }
        Ok(bound)
    }
}

/// True for `generate_series` and `pg_catalog.generate_series`.
fn is_generate_series(name: &ast::ObjectName) -> bool {
    matches!(
        names::qualified(name),
        Ok((schema, n)) if n == "generate_series" && schema.as_deref() != Some("information_schema")
    )
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

/// Renumbers columns of a condition bound over (left, right) to (right, left).
fn swap_columns(e: &mut Expr, left_width: usize, right_width: usize) {
    if let Expr::Column { index, .. } = e {
        *index = if *index < left_width {
            right_width + *index
        } else {
            *index - left_width
        };
    }
    for c in e.children_mut() {
        swap_columns(c, left_width, right_width);
    }
}
