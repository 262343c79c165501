//! INSERT, UPDATE and DELETE: the target table, the rows to write, RETURNING.

use sqlparser::ast::{
    self, AssignmentTarget, ConflictTarget, FromTable, InsertOverriding, OnConflictAction,
    OnInsert, SelectItem, TableFactor, TableWithJoins, UpdateTableFromKind,
};

use crate::db::{ColumnSchema, Identity, TableId, TableSchema};
use crate::sql::plan::{Access, Expr, Plan};
use crate::sql::{ColumnInfo, SqlError};
use crate::types::{CastKind, DataType};

use super::scope::Scope;
use super::select::printed_as_name;
use super::{names, Binder};

/// A bound INSERT.
#[derive(Debug, Clone)]
pub struct Insert {
    pub table: TableId,
    /// Produces whole rows of the table, already of the column types.
    pub source: InsertSource,
    pub conflict: Option<Conflict>,
    pub returning: Option<Returning>,
}

/// Where inserted rows come from.
#[derive(Debug, Clone)]
pub struct InsertSource {
    pub plan: Plan,
}

/// `ON CONFLICT`.
#[derive(Debug, Clone)]
pub struct Conflict {
    /// The conflict target's columns, or None for any unique constraint.
    pub columns: Option<Vec<usize>>,
    /// None for DO NOTHING. Otherwise the new values, over the row
    /// `existing ++ excluded`, and the optional WHERE over the same row.
    pub update: Option<ConflictUpdate>,
}

/// `DO UPDATE SET …`: the new column values and the optional WHERE.
pub type ConflictUpdate = (Vec<(usize, Expr)>, Option<Expr>);

/// `RETURNING`: expressions over the written row and their columns.
#[derive(Debug, Clone)]
pub struct Returning {
    pub exprs: Vec<Expr>,
    pub columns: Vec<ColumnInfo>,
}

/// A bound UPDATE: the rows to change are the ones `scan` finds.
///
/// `scan` is a scan of the target table, or for `UPDATE … FROM` the target
/// joined with the FROM items: each row is the target's columns followed by
/// theirs, and SET, WHERE and RETURNING see all of them. A target row the join
/// gives more than once is changed once, with the first of its rows (PostgreSQL
/// uses one of them, which one "not readily predictable"); the executor tells the
/// target's rows apart by primary key.
#[derive(Debug, Clone)]
pub struct Update {
    pub table: TableId,
    pub scan: Plan,
    /// New values of the assigned columns, over the (joined) old row.
    pub assignments: Vec<(usize, Expr)>,
    pub returning: Option<Returning>,
}

/// A bound DELETE: the rows to delete are the ones `scan` finds, a scan of the
/// target or for `DELETE … USING` a join, as for [`Update`].
#[derive(Debug, Clone)]
pub struct Delete {
    pub table: TableId,
    pub scan: Plan,
    pub returning: Option<Returning>,
}

impl Binder<'_> {
    /// The target table of a write, with its scope under `alias`.
    fn target(
        &self,
        name: &ast::ObjectName,
        alias: Option<String>,
    ) -> Result<(TableId, std::sync::Arc<TableSchema>, Scope), SqlError> {
        let relation = names::relation(name)?;
        if crate::sql::system::is_reserved(&relation) {
            return Err(SqlError::WrongObjectType(format!(
                "cannot change system relation \"{relation}\""
            )));
        }
        let Some(table) = self.db.get_table(&relation) else {
            if self.db.get_view(&relation).is_some() {
                return Err(SqlError::Unsupported(format!(
                    "writing to view \"{relation}\" (views are read-only)"
                )));
            }
            if self.db.get_sequence(&relation).is_some() {
                return Err(SqlError::WrongObjectType(format!(
                    "cannot change sequence \"{relation}\""
                )));
            }
            return Err(SqlError::UndefinedTable(relation));
        };
        let schema = table.schema().clone();
        let scope = Scope::of_table(&schema, alias.unwrap_or_else(|| relation.clone()));
        Ok((schema.id, schema, scope))
    }

    pub fn bind_insert(&mut self, insert: &ast::Insert) -> Result<Insert, SqlError> {
        let ast::TableObject::TableName(name) = &insert.table else {
            return Err(SqlError::Unsupported("INSERT into a table function".into()));
        };
        let alias = insert.table_alias.as_ref().map(|a| names::ident(&a.alias));
        let (table, schema, scope) = self.target(name, alias)?;
        let targets = self.insert_targets(&schema, &insert.columns)?;
        let target = InsertTarget {
            schema: &schema,
            columns: targets,
            listed: !insert.columns.is_empty(),
            overriding: insert.overriding,
        };
        let source = match &insert.source {
            Some(query) => self.insert_source(query, target)?,
            // `DEFAULT VALUES`: one row of the defaults.
            None => Plan::Values {
                rows: vec![(0..schema.columns.len())
                    .map(|position| self.default_value(&schema, position))
                    .collect::<Result<_, _>>()?],
                width: schema.columns.len(),
            },
        };
        let conflict = match &insert.on {
            None => None,
            Some(OnInsert::OnConflict(c)) => Some(self.bind_conflict(c, &schema, &scope)?),
            Some(_) => return Err(SqlError::Unsupported("ON DUPLICATE KEY".into())),
        };
        let returning = self.bind_returning(insert.returning.as_deref(), &scope)?;
        Ok(Insert {
            table,
            source: InsertSource { plan: source },
            conflict,
            returning,
        })
    }

    /// The positions named in `INSERT INTO t (a, b)`, or every column.
    fn insert_targets(
        &self,
        schema: &TableSchema,
        columns: &[ast::ObjectName],
    ) -> Result<Vec<usize>, SqlError> {
        if columns.is_empty() {
            return Ok((0..schema.columns.len()).collect());
        }
        let mut targets = Vec::new();
        for c in columns {
            let name = names::parts(c)?.pop().unwrap_or_default();
            let position = schema.column_index(&name).ok_or_else(|| {
                SqlError::UndefinedColumnMessage(format!(
                    "column \"{name}\" of relation \"{}\" does not exist",
                    schema.name
                ))
            })?;
            if targets.contains(&position) {
                return Err(SqlError::DuplicateColumn(name));
            }
            targets.push(position);
        }
        Ok(targets)
    }

    /// A plan producing whole table rows from VALUES or a query.
    fn insert_source(
        &mut self,
        query: &ast::Query,
        mut target: InsertTarget<'_>,
    ) -> Result<Plan, SqlError> {
        let schema = target.schema;
        if let (ast::SetExpr::Values(values), None, None, None) = (
            &*query.body,
            &query.order_by,
            &query.limit_clause,
            &query.fetch,
        ) {
            if let Some(first) = values.rows.first() {
                target.fit(first.content.len());
            }
            let mut rows = Vec::new();
            for row in &values.rows {
                rows.push(self.insert_row(&row.content, &target)?);
            }
            return Ok(Plan::Values {
                rows,
                width: schema.columns.len(),
            });
        }
        let mut bound = self.bind_query(query)?;
        target.fit(bound.columns.len());
        let targets = &target.columns;
        check_arity(bound.columns.len(), targets.len())?;
        let mut exprs = Vec::new();
        for (position, column) in schema.columns.iter().enumerate() {
            let expr = match targets.iter().position(|t| *t == position) {
                Some(i) if !target.takes_default(column)? => {
                    // An untyped parameter or literal in the query's select list
                    // takes the column's type, as in PostgreSQL (`INSERT INTO t
                    // SELECT $1, $2 WHERE NOT EXISTS …`).
                    let mut ty = bound.columns[i].data_type;
                    if let Some(output) = output_exprs(&mut bound.plan).and_then(|e| e.get_mut(i)) {
                        if output.ty() == DataType::Unknown {
                            let untyped = std::mem::replace(output, Expr::boolean(true));
                            *output = self.assign(untyped, column.data_type, &column.name)?;
                            ty = output.ty();
                        }
                    }
                    self.assign(
                        Expr::Column { index: i, ty },
                        column.data_type,
                        &column.name,
                    )?
                }
                _ => self.default_value(schema, position)?,
            };
            exprs.push(expr);
        }
        Ok(Plan::Project {
            input: Box::new(bound.plan),
            exprs,
        })
    }

    fn insert_row(
        &mut self,
        values: &[ast::Expr],
        target: &InsertTarget<'_>,
    ) -> Result<Vec<Expr>, SqlError> {
        let (schema, targets) = (target.schema, &target.columns);
        check_arity(values.len(), targets.len())?;
        let empty = Scope::default();
        let mut row = Vec::with_capacity(schema.columns.len());
        for (position, column) in schema.columns.iter().enumerate() {
            let expr = match targets
                .iter()
                .position(|t| *t == position)
                .map(|i| &values[i])
            {
                Some(e) if !is_default(e) && !target.takes_default(column)? => {
                    let bound = self.bind_expr(e, &empty)?;
                    self.assign(bound, column.data_type, &column.name)?
                }
                _ => self.default_value(schema, position)?,
            };
            row.push(expr);
        }
        Ok(row)
    }

    /// A column's DEFAULT (stored as SQL text), or NULL.
    pub fn default_value(
        &mut self,
        schema: &TableSchema,
        position: usize,
    ) -> Result<Expr, SqlError> {
        let column = &schema.columns[position];
        let Some(sql) = &column.default else {
            return Ok(Expr::Const(crate::types::Value::Null, column.data_type));
        };
        let expr = crate::sql::parse::parse_expr(sql)?;
        let bound = self.bind_expr(&expr, &Scope::default())?;
        self.assign(bound, column.data_type, &column.name)
    }

    /// Binds a column's DEFAULT, to refuse a bad one at CREATE TABLE (or ALTER
    /// COLUMN … SET DEFAULT): one that names a parameter (42P02, there is none
    /// there) or holds a subquery (0A000), as PostgreSQL refuses them. Returns
    /// it bound, and whether it calls a volatile function (`nextval`, `random()`).
    pub fn check_default(
        &mut self,
        schema: &TableSchema,
        position: usize,
    ) -> Result<(Expr, bool), SqlError> {
        let volatile_before = std::mem::replace(&mut self.binds_volatile, false);
        let bound = self.default_value(schema, position)?;
        if let Some(number) = self.first_named_parameter() {
            return Err(SqlError::UndefinedParameter(number));
        }
        if bound.has_subquery() {
            return Err(SqlError::Unsupported(
                "a subquery in a DEFAULT expression (PostgreSQL refuses it too)".into(),
            ));
        }
        let volatile = std::mem::replace(&mut self.binds_volatile, volatile_before);
        Ok((bound, volatile))
    }

    /// Binds CHECK constraint `expr` over a row of table `schema`: 42804 unless
    /// it is boolean, 0A000 for a subquery and 42P02 for a parameter, as
    /// PostgreSQL refuses them (42803 and 42P20 for aggregate and window calls,
    /// which have no rows to run over here). Returns it bound, and whether it
    /// calls a volatile function.
    pub fn bind_check(
        &mut self,
        schema: &TableSchema,
        expr: &ast::Expr,
    ) -> Result<(Expr, bool), SqlError> {
        let scope = Scope::of_table(schema, schema.name.clone());
        let volatile_before = std::mem::replace(&mut self.binds_volatile, false);
        let bound = self.bind_expr(expr, &scope)?;
        let volatile = std::mem::replace(&mut self.binds_volatile, volatile_before);
        if let Some(number) = self.first_named_parameter() {
            return Err(SqlError::UndefinedParameter(number));
        }
        if bound.has_subquery() {
            return Err(SqlError::UnsupportedMessage(
                "cannot use subquery in check constraint".into(),
            ));
        }
        let check = self
            .convert(bound, DataType::Bool, CastKind::Implicit)
            .map_err(|from| {
                SqlError::DatatypeMismatch(format!(
                    "argument of CHECK must be type boolean, not type {from}"
                ))
            })?;
        Ok((check, volatile))
    }

    /// The value column `position` of `schema` takes in each row when `ALTER
    /// TABLE … ALTER COLUMN … TYPE target [USING using]` changes its type: the
    /// column, or `using` over the table's row, converted to `target` as an
    /// assignment converts (PostgreSQL's rule). 42804 if it cannot be, 0A000 for
    /// a subquery and 42P02 for a parameter, as PostgreSQL refuses them.
    pub fn column_conversion(
        &mut self,
        schema: &TableSchema,
        position: usize,
        target: DataType,
        using: Option<&ast::Expr>,
    ) -> Result<Expr, SqlError> {
        let column = &schema.columns[position].name;
        let scope = Scope::of_table(schema, schema.name.clone());
        let itself = ast::Expr::Identifier(ast::Ident::with_quote('"', column.as_str()));
        let source = self.bind_expr(using.unwrap_or(&itself), &scope)?;
        if let Some(number) = self.first_named_parameter() {
            return Err(SqlError::UndefinedParameter(number));
        }
        if source.has_subquery() {
            return Err(SqlError::Unsupported(
                "a subquery in ALTER COLUMN … TYPE … USING (PostgreSQL refuses it too)".into(),
            ));
        }
        self.convert(source, target, CastKind::Assignment)
            .map_err(|_| match using {
                None => SqlError::ColumnCannotBeCast {
                    column: column.clone(),
                    target,
                },
                Some(_) => SqlError::DatatypeMismatch(format!(
                    "result of USING clause for column \"{column}\" cannot be cast \
                     automatically to type {target}"
                )),
            })
    }

    /// 42804 if the DEFAULT of column `position` of `schema`, read as the
    /// column's type reads it now, does not convert to `target` as an
    /// assignment converts: `ALTER COLUMN … TYPE` would leave a default no
    /// INSERT could use (PostgreSQL refuses it too).
    pub fn check_default_conversion(
        &mut self,
        schema: &TableSchema,
        position: usize,
        target: DataType,
    ) -> Result<(), SqlError> {
        let default = self.default_value(schema, position)?;
        self.convert(default, target, CastKind::Assignment)
            .map(|_| ())
            .map_err(|_| {
                SqlError::DatatypeMismatch(format!(
                    "default for column \"{}\" cannot be cast automatically to type {target}",
                    schema.columns[position].name
                ))
            })
    }

    fn bind_conflict(
        &mut self,
        c: &ast::OnConflict,
        schema: &TableSchema,
        scope: &Scope,
    ) -> Result<Conflict, SqlError> {
        let columns = match &c.conflict_target {
            None => None,
            Some(ConflictTarget::Columns {
                columns,
                predicate: None,
            }) => {
                let mut positions = Vec::new();
                for c in columns {
                    let name = names::ident(c);
                    positions.push(
                        schema
                            .column_index(&name)
                            .ok_or(SqlError::UndefinedColumn(name))?,
                    );
                }
                let table = self.db.table(schema.id);
                let matches = |p: &[usize]| table.has_unique_constraint_on(p);
                let mut sorted = positions.clone();
                sorted.sort_unstable();
                let found = matches(&positions) || permutations_match(&positions, &matches);
                if !found {
                    return Err(SqlError::InvalidColumnReference(
                        "there is no unique or exclusion constraint matching the ON CONFLICT specification".into(),
                    ));
                }
                Some(positions)
            }
            Some(ConflictTarget::Columns {
                predicate: Some(_), ..
            }) => {
                return Err(SqlError::Unsupported(
                    "ON CONFLICT with a WHERE on the target".into(),
                ))
            }
            Some(ConflictTarget::OnConstraint(_)) => {
                return Err(SqlError::Unsupported("ON CONFLICT ON CONSTRAINT".into()))
            }
        };
        let update = match &c.action {
            OnConflictAction::DoNothing => None,
            OnConflictAction::DoUpdate(u) => {
                if columns.is_none() {
                    return Err(SqlError::InvalidStatement(
                        "ON CONFLICT DO UPDATE requires inference specification or constraint name"
                            .into(),
                    ));
                }
                let mut both = scope.clone();
                both.extend(Scope::of_table(schema, "excluded".into()));
                let assignments = self.bind_assignments(&u.assignments, schema, &both)?;
                let filter = match &u.selection {
                    Some(w) => Some(self.bind_condition(w, &both, "WHERE")?),
                    None => None,
                };
                Some((assignments, filter))
            }
        };
        Ok(Conflict { columns, update })
    }

    /// `SET a = e, …`: positions and values (with assignment casts).
    fn bind_assignments(
        &mut self,
        assignments: &[ast::Assignment],
        schema: &TableSchema,
        scope: &Scope,
    ) -> Result<Vec<(usize, Expr)>, SqlError> {
        let mut out: Vec<(usize, Expr)> = Vec::new();
        for a in assignments {
            let AssignmentTarget::ColumnName(name) = &a.target else {
                return Err(SqlError::Unsupported("assigning a tuple of columns".into()));
            };
            // `SET t.c` names field `c` of a composite column `t` in
            // PostgreSQL, never the table's column `c`; there are no composite
            // columns here.
            let mut parts = names::parts(name)?.into_iter();
            let name = parts.next().unwrap_or_default();
            if let (Some(field), Some(position)) = (parts.next(), schema.column_index(&name)) {
                return Err(SqlError::DatatypeMismatch(format!(
                    "cannot assign to field \"{field}\" of column \"{name}\" because its \
                     type {} is not a composite type",
                    schema.columns[position].data_type
                )));
            }
            let position = schema.column_index(&name).ok_or_else(|| {
                SqlError::UndefinedColumnMessage(format!(
                    "column \"{name}\" of relation \"{}\" does not exist",
                    schema.name
                ))
            })?;
            if out.iter().any(|(p, _)| *p == position) {
                // 42601, as PostgreSQL words and classes it.
                return Err(SqlError::InvalidStatement(format!(
                    "multiple assignments to same column \"{name}\""
                )));
            }
            let value = if is_default(&a.value) {
                self.default_value(schema, position)?
            } else if schema.columns[position].identity == Some(Identity::Always) {
                return Err(SqlError::GeneratedAlways {
                    column: name,
                    update: true,
                });
            } else {
                let bound = self.bind_expr(&a.value, scope)?;
                self.assign(bound, schema.columns[position].data_type, &name)?
            };
            out.push((position, value));
        }
        Ok(out)
    }

    pub fn bind_update(&mut self, update: &ast::Update) -> Result<Update, SqlError> {
        let from = match &update.from {
            None => &[][..],
            Some(UpdateTableFromKind::AfterSet(from)) => from.as_slice(),
            Some(UpdateTableFromKind::BeforeSet(_)) => {
                return Err(SqlError::Syntax(
                    "FROM goes after SET: UPDATE table SET … FROM …".into(),
                ))
            }
        };
        if !update.table.joins.is_empty() || !update.order_by.is_empty() || update.limit.is_some() {
            return Err(SqlError::Unsupported(
                "UPDATE with joins, ORDER BY or LIMIT".into(),
            ));
        }
        let TableFactor::Table { name, alias, .. } = &update.table.relation else {
            return Err(SqlError::Unsupported("UPDATE of this target".into()));
        };
        let (table, schema, scope) =
            self.target(name, alias.as_ref().map(|a| names::ident(&a.name)))?;
        let (scan, scope) = self.write_scan(&schema, scope, from, update.selection.as_ref())?;
        let assignments = self.bind_assignments(&update.assignments, &schema, &scope)?;
        let returning = self.bind_returning(update.returning.as_deref(), &scope)?;
        Ok(Update {
            table,
            scan,
            assignments,
            returning,
        })
    }

    pub fn bind_delete(&mut self, delete: &ast::Delete) -> Result<Delete, SqlError> {
        let from = match &delete.from {
            FromTable::WithFromKeyword(f) | FromTable::WithoutKeyword(f) => f,
        };
        if !delete.tables.is_empty() || !delete.order_by.is_empty() || delete.limit.is_some() {
            return Err(SqlError::Unsupported(
                "DELETE with ORDER BY or LIMIT".into(),
            ));
        }
        let [item] = from.as_slice() else {
            return Err(SqlError::Unsupported(
                "DELETE from several tables (name the others in USING)".into(),
            ));
        };
        let TableFactor::Table { name, alias, .. } = &item.relation else {
            return Err(SqlError::Unsupported("DELETE from this target".into()));
        };
        if !item.joins.is_empty() {
            return Err(SqlError::Unsupported(
                "DELETE with joins (name the other tables in USING)".into(),
            ));
        }
        let (table, schema, scope) =
            self.target(name, alias.as_ref().map(|a| names::ident(&a.name)))?;
        let using = delete.using.as_deref().unwrap_or_default();
        let (scan, scope) = self.write_scan(&schema, scope, using, delete.selection.as_ref())?;
        let returning = self.bind_returning(delete.returning.as_deref(), &scope)?;
        Ok(Delete {
            table,
            scan,
            returning,
        })
    }

    /// The rows an UPDATE or DELETE changes, and the scope its SET, WHERE and
    /// RETURNING see: a scan of the target, or, with `UPDATE … FROM` or
    /// `DELETE … USING` items, the target joined with them (see [`Update`]).
    /// Those need the target's primary key to tell its rows apart in the join.
    fn write_scan(
        &mut self,
        schema: &TableSchema,
        scope: Scope,
        from: &[TableWithJoins],
        selection: Option<&ast::Expr>,
    ) -> Result<(Plan, Scope), SqlError> {
        let scan = |filter| Plan::Scan {
            table: schema.id,
            name: schema.name.clone(),
            access: Access::Full,
            filter,
            width: schema.columns.len(),
            decoded: None,
        };
        if from.is_empty() {
            let filter = match selection {
                Some(w) => Some(self.bind_condition(w, &scope, "WHERE")?),
                None => None,
            };
            return Ok((scan(filter), scope));
        }
        if schema.primary_key.is_none() {
            return Err(SqlError::Unsupported(format!(
                "UPDATE … FROM and DELETE … USING of table \"{}\", which has no primary key \
                 (use WHERE … IN (SELECT …) instead)",
                schema.name
            )));
        }
        let (joined, scope) = self.join_from_list((scan(None), scope), from)?;
        let plan = match selection {
            Some(w) => Plan::Filter {
                predicate: self.bind_condition(w, &scope, "WHERE")?,
                input: Box::new(joined),
            },
            None => joined,
        };
        Ok((plan, scope))
    }

    fn bind_returning(
        &mut self,
        items: Option<&[SelectItem]>,
        scope: &Scope,
    ) -> Result<Option<Returning>, SqlError> {
        let Some(items) = items else {
            return Ok(None);
        };
        let items = self.bind_items_public(items, scope)?;
        // A `regclass` comes back as its name, as a query's does.
        let (exprs, columns) = items
            .into_iter()
            .map(|(expr, column)| (printed_as_name(expr), column))
            .unzip();
        Ok(Some(Returning { exprs, columns }))
    }
}

/// The width of the rows an INSERT's VALUES gives (the first row's), if VALUES.
/// The columns an INSERT gives values for, and how it treats identity columns.
struct InsertTarget<'a> {
    schema: &'a TableSchema,
    /// The positions of the columns given, in the order given.
    columns: Vec<usize>,
    /// True if the statement lists them (`INSERT INTO t (a, b)`).
    listed: bool,
    overriding: Option<InsertOverriding>,
}

impl InsertTarget<'_> {
    /// Without a column list, a source of `width` columns fills the leading
    /// ones (PostgreSQL's rule; a wider one is then an error of arity).
    fn fit(&mut self, width: usize) {
        if !self.listed && width < self.columns.len() {
            self.columns.truncate(width);
        }
    }

    /// True if `column` takes its default whatever value the statement gives
    /// it (`OVERRIDING USER VALUE` of an identity column); 428C9 for a value
    /// given to a `GENERATED ALWAYS` column without `OVERRIDING SYSTEM VALUE`.
    fn takes_default(&self, column: &ColumnSchema) -> Result<bool, SqlError> {
        match (column.identity, self.overriding) {
            (Some(_), Some(InsertOverriding::User)) => Ok(true),
            (Some(Identity::Always), Some(InsertOverriding::System)) => Ok(false),
            (Some(Identity::Always), _) => Err(SqlError::GeneratedAlways {
                column: column.name.clone(),
                update: false,
            }),
            _ => Ok(false),
        }
    }
}

fn permutations_match(positions: &[usize], matches: &dyn Fn(&[usize]) -> bool) -> bool {
    // Constraints are matched as sets of columns, as PostgreSQL's inference does.
    let mut sorted = positions.to_vec();
    sorted.sort_unstable();
    let mut p = sorted.clone();
    loop {
        if matches(&p) {
            return true;
        }
        if !next_permutation(&mut p) {
            return false;
        }
    }
}

fn next_permutation(p: &mut [usize]) -> bool {
    let Some(i) = (1..p.len()).rev().find(|&i| p[i - 1] < p[i]) else {
        return false;
    };
    let j = (i..p.len())
        .rev()
        .find(|&j| p[j] > p[i - 1])
        .expect("exists by the choice of i");
    p.swap(i - 1, j);
    p[i..].reverse();
    true
}

/// The select-list expressions of a bound query, where they are the plan's last
/// projection (under a LIMIT at most): None for set operations and the like.
fn output_exprs(plan: &mut Plan) -> Option<&mut Vec<Expr>> {
    match plan {
        Plan::Project { exprs, .. } => Some(exprs),
        Plan::Limit { input, .. } => output_exprs(input),
        _ => None,
    }
}

fn check_arity(values: usize, targets: usize) -> Result<(), SqlError> {
    if values > targets {
        return Err(SqlError::InvalidStatement(
            "INSERT has more expressions than target columns".into(),
        ));
    }
    if values < targets {
        return Err(SqlError::InvalidStatement(
            "INSERT has more target columns than expressions".into(),
        ));
    }
    Ok(())
}

/// The `DEFAULT` keyword in VALUES or SET (sqlparser reads it as an identifier).
fn is_default(e: &ast::Expr) -> bool {
    matches!(e, ast::Expr::Identifier(id) if id.quote_style.is_none() && id.value.eq_ignore_ascii_case("default"))
}
