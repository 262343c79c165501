//! CREATE/DROP TABLE, INDEX and VIEW, TRUNCATE, and the maintenance commands
//! that have nothing to do here (VACUUM, ANALYZE). ALTER TABLE is `alter`.
//!
//! `IF EXISTS` / `IF NOT EXISTS` that find nothing to do answer with PostgreSQL's
//! NOTICE (`table "t" does not exist, skipping`). Storage parameters are about
//! PostgreSQL's heap pages, which Turnstile does not have: `WITH (fillfactor = n)`
//! is checked and accepted as a no-op (pgbench sends it); any other is 0A000.
//! `VACUUM` and `ANALYZE` check that their table exists and do nothing else: there
//! are no dead rows to reclaim and no planner statistics.

use std::ops::ControlFlow;

use sqlparser::ast::{
    self, ColumnOption, CreateTableOptions, GeneratedAs, ObjectType, SequenceOptions, Spanned,
    SqlOption, Statement, TableConstraint,
};

use super::checks::{self, CheckDefinition};
use super::foreign_keys::{self, ForeignKeyDefinition};
use super::sequences::{self, SequenceColumn};
use crate::db::{
    ColumnSchema, Database, Identity, IndexSchema, KeyOrder, OperatorClass, TableSchema,
    ViewSchema, WriteTxn,
};
use crate::sql::binder::{column_type, ident, qualified, relation, Binder};
use crate::sql::parse;
use crate::sql::system::{is_reserved, pg_opclass};
use crate::sql::{CommandTag, Notice, Output, QueryContext, SqlError};
use crate::types::{DataType, TimeZone, Value};

/// True for the schema statements this module runs.
pub fn is_ddl(stmt: &Statement) -> bool {
    matches!(
        stmt,
        Statement::CreateTable(_)
            | Statement::CreateSequence { .. }
            | Statement::CreateIndex(_)
            | Statement::CreateView(_)
            | Statement::Drop { .. }
            | Statement::Truncate(_)
            | Statement::AlterTable(_)
            | Statement::AlterView(_)
            | Statement::Vacuum(_)
            | Statement::Analyze(_)
            | Statement::CreateExtension(_)
            | Statement::DropExtension(_)
            | Statement::CreateRole(_)
            | Statement::AlterRole { .. }
            | Statement::CreateSchema { .. }
    ) || parse::alter_sequence(stmt).is_some()
}

pub fn execute(
    txn: &mut WriteTxn<'_>,
    stmt: &Statement,
    ctx: &QueryContext,
) -> Result<Output, SqlError> {
    if let Some(alter) = parse::alter_sequence(stmt) {
        return sequences::alter_sequence(txn, &alter?, ctx);
    }
    match stmt {
        Statement::CreateTable(c) => create_table(txn, c, ctx),
        Statement::CreateSequence { .. } => sequences::create_sequence(txn, stmt),
        Statement::CreateIndex(c) => create_index(txn, c),
        Statement::CreateView(v) => create_view(txn, v),
        Statement::CreateExtension(e) => create_extension(e, ctx),
        Statement::DropExtension(d) => drop_extension(d, ctx),
        Statement::CreateRole(c) => create_role(c, ctx),
        Statement::CreateSchema {
            schema_name,
            if_not_exists,
            or_replace: false,
            with: None,
            options: None,
            default_collate_spec: None,
            clone: None,
        } => create_schema(schema_name, *if_not_exists),
        // Other dialects' forms (OR REPLACE, WITH, OPTIONS, CLONE, DEFAULT
        // COLLATE), which PostgreSQL does not parse.
        Statement::CreateSchema { .. } => Err(SqlError::Syntax(
            "CREATE SCHEMA takes a name, AUTHORIZATION and IF NOT EXISTS only".into(),
        )),
        Statement::AlterRole { name, operation } => alter_role(name, operation, ctx),
        Statement::Drop {
            object_type,
            if_exists,
            names,
            cascade,
            ..
        } => drop(txn, *object_type, *if_exists, names, *cascade),
        Statement::Truncate(t) => truncate(txn, t),
        Statement::AlterTable(a) => super::alter::alter_table(txn, a, ctx),
        Statement::AlterView(a) => super::alter::alter_view(txn, a, ctx),
        Statement::Vacuum(v) => {
            if v.full || v.sort_only || v.delete_only || v.reindex || v.recluster {
                return Err(SqlError::Unsupported("these VACUUM options".into()));
            }
            maintenance(txn, v.table_name.as_ref(), "VACUUM")
        }
        Statement::Analyze(a) => {
            if a.partitions.is_some() || a.for_columns || a.noscan || a.compute_statistics {
                return Err(SqlError::Unsupported("these ANALYZE options".into()));
            }
            maintenance(txn, a.table_name.as_ref(), "ANALYZE")
        }
        _ => unreachable!("is_ddl admits only the statements above"),
    }
}

fn create_table(
    txn: &mut WriteTxn<'_>,
    c: &ast::CreateTable,
    ctx: &QueryContext,
) -> Result<Output, SqlError> {
    if c.like.is_some()
        || c.clone.is_some()
        || c.temporary
        || c.or_replace
        || c.partition_of.is_some()
        || c.inherits.is_some()
    {
        return Err(SqlError::Unsupported(
            "this form of CREATE TABLE (LIKE, TEMPORARY, INHERITS, …)".into(),
        ));
    }
    check_storage_parameters(&c.table_options)?;
    let name = relation(&c.name)?;
    if relation_exists(txn, &name) {
        if c.if_not_exists {
            let tag = CommandTag::new(if c.query.is_some() {
                "CREATE TABLE AS"
            } else {
                "CREATE TABLE"
            });
            return Ok(Output::Command(
                tag.with_notice(Notice::AlreadyExistsSkipping(name)),
            ));
        }
        return Err(crate::db::DbError::DuplicateRelation(name).into());
    }
    if let Some(query) = &c.query {
        return create_table_as(txn, c, name, query, ctx);
    }
    let mut columns: Vec<ColumnSchema> = Vec::new();
    // The primary key: its constraint's name if given, and its columns.
    let mut primary_key: Option<(Option<String>, Vec<usize>)> = None;
    // Each UNIQUE constraint: its name if given, and its columns.
    let mut uniques: Vec<(Option<String>, Vec<usize>)> = Vec::new();
    // The columns that take their values from a sequence of their own, and the
    // names those get.
    let mut sequence_columns = Vec::new();
    let mut sequence_names: Vec<String> = Vec::new();
    // Each CHECK constraint, column or table one, as written.
    let mut check_definitions: Vec<CheckDefinition> = Vec::new();
    // Each foreign key, column or table one, as written.
    let mut reference_definitions: Vec<ForeignKeyDefinition> = Vec::new();
    for def in &c.columns {
        let position = columns.len();
        let ColumnDefinition {
            mut column,
            own_sequence,
            primary_key: column_key,
            uniques: column_uniques,
            checks: column_checks,
            references: column_references,
        } = column_definition(def, &name, ctx)?;
        check_definitions.extend(column_checks);
        for (given, constraint) in column_references {
            reference_definitions.push(ForeignKeyDefinition {
                name: given,
                columns: vec![position],
                constraint,
            });
        }
        if columns.iter().any(|c| c.name == column.name) {
            return Err(SqlError::DuplicateColumn(column.name));
        }
        if let Some(key_name) = column_key {
            set_primary_key(&name, &mut primary_key, key_name, vec![position])?;
        }
        uniques.extend(column_uniques.into_iter().map(|u| (u, vec![position])));
        if let Some(options) = own_sequence {
            let sequence =
                sequences::column_sequence_name(txn.db(), &name, &column.name, &sequence_names);
            column.default = Some(sequences::nextval_default(&sequence));
            sequence_names.push(sequence);
            sequence_columns.push(SequenceColumn { position, options });
        }
        columns.push(column);
    }
    let find = |n: &ast::IndexColumn| -> Result<usize, SqlError> { column_position(&columns, n) };
    for constraint in &c.constraints {
        match constraint {
            TableConstraint::PrimaryKey(pk) => set_primary_key(
                &name,
                &mut primary_key,
                primary_key_constraint_name(pk)?,
                pk.columns.iter().map(find).collect::<Result<_, _>>()?,
            )?,
            TableConstraint::Unique(u) => {
                refuse_deferrable_unique(u)?;
                uniques.push((
                    u.name.as_ref().map(ident),
                    u.columns.iter().map(find).collect::<Result<_, _>>()?,
                ))
            }
            TableConstraint::Check(check) => check_definitions.push(check_definition(None, check)?),
            TableConstraint::ForeignKey(reference) => {
                reference_definitions.push(ForeignKeyDefinition {
                    name: reference.name.as_ref().map(ident),
                    columns: reference_columns(&columns, &reference.columns)?,
                    constraint: reference.clone(),
                })
            }
            other => return Err(SqlError::Unsupported(format!("table constraint {other}"))),
        }
    }
    let (key_name, primary_key) = match primary_key {
        Some((given, key)) => (given, Some(key)),
        None => (None, None),
    };
    for &p in primary_key.iter().flatten() {
        columns[p].nullable = false;
    }
    let mut schema = TableSchema {
        id: 0,
        name: name.clone(),
        columns,
        primary_key,
        primary_key_constraint: None,
        checks: Vec::new(),
        foreign_keys: Vec::new(),
    };
    // In the order written, columns' and the table's mixed, as PostgreSQL
    // names them; the keys' names then keep clear of theirs.
    check_definitions.sort_by_key(|definition| definition.expr.span().start);
    let taken = checks::constraint_names(txn.db());
    let mut on_table = Vec::new();
    for definition in &check_definitions {
        let check =
            checks::check_constraint(txn.db(), &schema, definition, &on_table, &taken, true)?;
        on_table.push(check.name.clone());
        schema.checks.push(check);
    }
    // A key referencing the table itself may name its primary key or any of
    // its UNIQUE constraints.
    let keys: Vec<Vec<usize>> = schema
        .primary_key
        .iter()
        .cloned()
        .chain(uniques.iter().map(|(_, columns)| columns.clone()))
        .collect();
    // Foreign keys are named last, clear of the keys' names too, as in
    // PostgreSQL.
    let mut named = on_table.clone();
    if schema.primary_key.is_some() {
        named.push(
            key_name
                .clone()
                .unwrap_or_else(|| TableSchema::default_primary_key_name(&name)),
        );
    }
    for (given, columns) in &uniques {
        let names: Vec<&str> = columns
            .iter()
            .map(|&p| schema.columns[p].name.as_str())
            .collect();
        named.push(
            given
                .clone()
                .unwrap_or_else(|| format!("{name}_{}_key", names.join("_"))),
        );
    }
    for definition in &reference_definitions {
        let key =
            foreign_keys::foreign_key(txn.db(), &schema, definition, Some(&keys), &named, &taken)?;
        named.push(key.name.clone());
        on_table.push(key.name.clone());
        schema.foreign_keys.push(key);
    }
    if schema.primary_key.is_some() {
        schema.primary_key_constraint = primary_key_name(txn, &name, key_name, &on_table);
    }
    check_defaults(txn, &schema, &sequence_columns)?;
    let id = txn.next_table_id();
    for key in &mut schema.foreign_keys {
        // A key referencing the table itself was given the schema's id, 0.
        if key.referenced_table == 0 {
            key.referenced_table = id;
        }
    }
    let created_id = txn.create_table(schema.clone())?;
    debug_assert_eq!(created_id, id);
    let created = TableSchema {
        id,
        ..schema.clone()
    };
    sequences::create_column_sequences(txn, &created, sequence_columns, sequence_names)?;
    for (given, cols) in uniques {
        // One on the primary key's columns adds nothing, as PostgreSQL finds.
        if schema.primary_key.as_ref() != Some(&cols) {
            add_unique_constraint(txn, &created, given, cols)?;
        }
    }
    Ok(Output::Command(CommandTag::new("CREATE TABLE")))
}

/// The positions of a table constraint's `FOREIGN KEY (columns)` among
/// `columns` (42703 for one the table lacks).
fn reference_columns(
    columns: &[ColumnSchema],
    names: &[ast::Ident],
) -> Result<Vec<usize>, SqlError> {
    names
        .iter()
        .map(|column| {
            let name = ident(column);
            columns.iter().position(|c| c.name == name).ok_or_else(|| {
                SqlError::UndefinedColumnMessage(format!(
                    "column \"{name}\" referenced in foreign key constraint does not exist"
                ))
            })
        })
        .collect()
}

/// A UNIQUE constraint on `columns` of table `schema`: a unique index called
/// `given`, or `<table>_<columns>_key` (`…_key1` if taken) as PostgreSQL names
/// it. 23505 if the rows already break it, 42P07 if the name is taken.
pub(super) fn add_unique_constraint(
    txn: &mut WriteTxn<'_>,
    schema: &TableSchema,
    given: Option<String>,
    columns: Vec<usize>,
) -> Result<(), SqlError> {
    let name = match given {
        Some(given) => given,
        None => {
            let names: Vec<&str> = columns
                .iter()
                .map(|&p| schema.columns[p].name.as_str())
                .collect();
            let base = format!("{}_{}_key", schema.name, names.join("_"));
            free_name(txn, &base, &check_names(schema))
        }
    };
    txn.create_index(IndexSchema {
        name,
        table: schema.id,
        key_orders: KeyOrder::ascending(columns.len()),
        operator_classes: OperatorClass::defaults(columns.len()),
        columns,
        unique: true,
        constraint: true,
    })?;
    Ok(())
}

/// A column as `CREATE TABLE` or `ALTER TABLE … ADD COLUMN` defines it.
pub(super) struct ColumnDefinition {
    pub column: ColumnSchema,
    /// The options of the sequence a serial or identity column takes its values
    /// from, if it is one: the caller names and creates the sequence, and
    /// gives the column its DEFAULT.
    pub own_sequence: Option<Vec<SequenceOptions>>,
    /// `PRIMARY KEY`, with the constraint's name if one is given.
    pub primary_key: Option<Option<String>>,
    /// Each `UNIQUE`, with the constraint's name if one is given.
    pub uniques: Vec<Option<String>>,
    /// Each `CHECK`.
    pub checks: Vec<CheckDefinition>,
    /// Each `REFERENCES`, with the constraint's name if one is given.
    pub references: Vec<(Option<String>, ast::ForeignKeyConstraint)>,
}

/// A `[CONSTRAINT name] CHECK (condition) [NO INHERIT]` as written, named by
/// `outer` (the `CONSTRAINT` before a column option) or its own name. `NO
/// INHERIT` is kept and shown, and changes nothing where no table inherits;
/// `NOT ENFORCED` is 0A000.
pub(super) fn check_definition(
    outer: Option<&ast::Ident>,
    check: &ast::CheckConstraint,
) -> Result<CheckDefinition, SqlError> {
    if check.enforced == Some(false) {
        return Err(SqlError::Unsupported(
            "CHECK constraints that are NOT ENFORCED".into(),
        ));
    }
    Ok(CheckDefinition {
        name: outer.or(check.name.as_ref()).map(ident),
        expr: (*check.expr).clone(),
        no_inherit: check.no_inherit,
    })
}

/// Reads the definition of a column of table `table`: its type, NULL or NOT
/// NULL, DEFAULT, serial or identity, PRIMARY KEY and UNIQUE; 0A000 for CHECK,
/// REFERENCES and the other options.
pub(super) fn column_definition(
    def: &ast::ColumnDef,
    table: &str,
    ctx: &QueryContext,
) -> Result<ColumnDefinition, SqlError> {
    let serial = sequences::serial_type(&def.data_type);
    let mut column = ColumnSchema {
        name: ident(&def.name),
        data_type: match serial {
            Some(integer) => integer,
            None => column_type(&def.data_type)?,
        },
        nullable: serial.is_none(),
        default: None,
        identity: None,
    };
    let mut own_sequence = serial.map(|_| Vec::new());
    let mut primary_key = None;
    let mut uniques = Vec::new();
    let mut checks = Vec::new();
    let mut references = Vec::new();
    let mut explicit_null = false;
    for option in &def.options {
        match &option.option {
            ColumnOption::Null => explicit_null = true,
            ColumnOption::NotNull => column.nullable = false,
            ColumnOption::Default(_) if own_sequence.is_some() => {
                return Err(SqlError::InvalidStatement(format!(
                    "multiple default values specified for column \"{}\" of table \"{table}\"",
                    column.name
                )))
            }
            ColumnOption::Default(e) => {
                column.default = Some(default_text(e, column.data_type, ctx)?)
            }
            ColumnOption::Generated {
                generated_as: kind @ (GeneratedAs::Always | GeneratedAs::ByDefault),
                sequence_options,
                generation_expr: None,
                ..
            } => {
                if own_sequence.is_some() || column.default.is_some() {
                    return Err(SqlError::InvalidStatement(format!(
                        "multiple default values specified for column \"{}\" of table \"{table}\"",
                        column.name
                    )));
                }
                column.identity = Some(match kind {
                    GeneratedAs::Always => Identity::Always,
                    _ => Identity::ByDefault,
                });
                column.nullable = false;
                own_sequence = Some(sequence_options.clone().unwrap_or_default());
            }
            ColumnOption::PrimaryKey(pk) => {
                if primary_key.is_some() {
                    return Err(multiple_primary_keys(table));
                }
                // `CONSTRAINT name` before the option names it, as within it.
                let within = primary_key_constraint_name(pk)?;
                primary_key = Some(option.name.as_ref().map(ident).or(within));
            }
            ColumnOption::Unique(u) => {
                refuse_deferrable_unique(u)?;
                uniques.push(option.name.as_ref().map(ident))
            }
            ColumnOption::Check(check) => {
                checks.push(check_definition(option.name.as_ref(), check)?)
            }
            ColumnOption::ForeignKey(reference) => references.push((
                option.name.as_ref().or(reference.name.as_ref()).map(ident),
                reference.clone(),
            )),
            other => return Err(SqlError::Unsupported(format!("column option {other}"))),
        }
    }
    if explicit_null && (own_sequence.is_some() || !column.nullable) {
        // A serial or identity column is NOT NULL, whatever the order.
        return Err(SqlError::InvalidStatement(format!(
            "conflicting NULL/NOT NULL declarations for column \"{}\" of table \"{table}\"",
            column.name
        )));
    }
    Ok(ColumnDefinition {
        column,
        own_sequence,
        primary_key,
        uniques,
        checks,
        references,
    })
}

/// `CREATE TABLE name AS query`: a table with the query's columns (their names
/// and types; no constraints and no key, as in PostgreSQL) holding its rows.
/// Answers `SELECT n` (`CREATE TABLE AS` for `WITH NO DATA`, which keeps no rows), as
/// PostgreSQL does. (The form that names the columns,
/// `CREATE TABLE t (a, b) AS …`, is one sqlparser does not read: 42601.)
fn create_table_as(
    txn: &mut WriteTxn<'_>,
    c: &ast::CreateTable,
    name: String,
    query: &ast::Query,
    ctx: &QueryContext,
) -> Result<Output, SqlError> {
    if !c.columns.is_empty() || !c.constraints.is_empty() {
        return Err(SqlError::InvalidStatement(
            "CREATE TABLE … AS takes no column definitions or constraints".into(),
        ));
    }
    let statement = Statement::Query(Box::new(query.clone()));
    let version = Some(txn.db().catalog_version());
    let planned =
        super::statement::plan_query(txn.db(), &statement, &[], version).expect("a query plans")?;
    // `WITH NO DATA`: the query is planned for its columns, not run.
    let with_data = c.with_data.is_none_or(|w| w.data);
    let rows = if with_data {
        match super::statement::run_plan(txn.db(), &planned, &[], ctx)? {
            Output::Rows { rows, .. } => rows,
            Output::Command(_) => unreachable!("a query answers rows"),
        }
    } else {
        Vec::new()
    };
    let columns = planned.columns.clone();
    let mut schema_columns: Vec<ColumnSchema> = Vec::new();
    for column in columns.iter() {
        let column_name = column.name.clone();
        if schema_columns.iter().any(|c| c.name == column_name) {
            return Err(SqlError::DuplicateColumn(column_name));
        }
        let data_type = match column.data_type {
            // An untyped literal's column is text, as PostgreSQL makes it.
            DataType::Unknown => DataType::Text,
            DataType::Void => {
                return Err(SqlError::InvalidTableDefinition(format!(
                    "column \"{column_name}\" has pseudo-type void"
                )))
            }
            other if other.is_catalog_only() => {
                return Err(SqlError::Unsupported(format!(
                    "a table column of type {other} (cast \"{column_name}\" to text or bigint)"
                )))
            }
            other => other,
        };
        schema_columns.push(ColumnSchema {
            name: column_name,
            data_type,
            nullable: true,
            default: None,
            identity: None,
        });
    }
    let schema = TableSchema {
        id: 0,
        name,
        columns: schema_columns,
        primary_key: None,
        primary_key_constraint: None,
        checks: Vec::new(),
        foreign_keys: Vec::new(),
    };
    let id = txn.create_table(schema)?;
    if !with_data {
        return Ok(Output::Command(CommandTag::new("CREATE TABLE AS")));
    }
    let count = rows.len();
    for row in rows {
        txn.insert(id, row)?;
    }
    Ok(Output::Command(CommandTag::with_rows("SELECT", count)))
}

/// `WITH (fillfactor = n)`, 10 ≤ n ≤ 100, as PostgreSQL checks it; a no-op here
/// (rows are not stored in pages). Any other storage parameter is 0A000.
fn check_storage_parameters(options: &CreateTableOptions) -> Result<(), SqlError> {
    let parameters = match options {
        CreateTableOptions::None => return Ok(()),
        CreateTableOptions::With(parameters) => parameters,
        other => return Err(SqlError::Unsupported(format!("the table options {other}"))),
    };
    for parameter in parameters {
        let SqlOption::KeyValue { key, value } = parameter else {
            return Err(SqlError::Unsupported(format!(
                "the storage parameter {parameter}"
            )));
        };
        if !key.to_string().eq_ignore_ascii_case("fillfactor") {
            return Err(SqlError::Unsupported(format!(
                "the storage parameter \"{key}\" (only fillfactor is accepted, and ignored)"
            )));
        }
        let text = value.to_string();
        let fillfactor: i64 = text.parse().map_err(|_| {
            SqlError::InvalidParameterValue(format!(
                "invalid value for integer option \"fillfactor\": {text}"
            ))
        })?;
        if !(10..=100).contains(&fillfactor) {
            return Err(SqlError::InvalidParameterValue(format!(
                "value {fillfactor} out of bounds for option \"fillfactor\""
            )));
        }
    }
    Ok(())
}

/// True if `name` is taken by a table, a view or a system relation.
fn relation_exists(txn: &WriteTxn<'_>, name: &str) -> bool {
    is_reserved(name) || txn.db().get_table(name).is_some() || txn.db().get_view(name).is_some()
}

/// 42809 for schema changes to a system relation: it is not a table.
pub(super) fn refuse_system(name: &str, what: &str) -> Result<(), SqlError> {
    if is_reserved(name) {
        return Err(SqlError::WrongObjectType(format!(
            "\"{name}\" is a system relation and cannot be {what}"
        )));
    }
    Ok(())
}

fn set_primary_key(
    table: &str,
    pk: &mut Option<(Option<String>, Vec<usize>)>,
    name: Option<String>,
    columns: Vec<usize>,
) -> Result<(), SqlError> {
    if pk.is_some() {
        return Err(multiple_primary_keys(table));
    }
    *pk = Some((name, columns));
    Ok(())
}

pub(super) fn multiple_primary_keys(table: &str) -> SqlError {
    SqlError::InvalidTableDefinition(format!(
        "multiple primary keys for table \"{table}\" are not allowed"
    ))
}

/// The name to keep for table `table`'s primary key: the given one, else none
/// (`<table>_pkey`) if that is free, else the first free `<table>_pkey<n>`, as
/// PostgreSQL chooses.
pub(super) fn primary_key_name(
    txn: &WriteTxn<'_>,
    table: &str,
    given: Option<String>,
    checks: &[String],
) -> Option<String> {
    let default = TableSchema::default_primary_key_name(table);
    given.or_else(|| Some(free_name(txn, &default, checks)).filter(|chosen| *chosen != default))
}

/// The names of table `schema`'s CHECK constraints, which its keys' names keep
/// clear of.
pub(super) fn check_names(schema: &TableSchema) -> Vec<String> {
    schema.checks.iter().map(|c| c.name.clone()).collect()
}

/// The name a `[CONSTRAINT name] PRIMARY KEY (columns)` gives its key; 0A000 for
/// what Turnstile's keys do not have (INCLUDE, index options, DEFERRABLE).
pub(super) fn primary_key_constraint_name(
    pk: &ast::PrimaryKeyConstraint,
) -> Result<Option<String>, SqlError> {
    if pk.index_name.is_some() || pk.index_type.is_some() {
        return Err(SqlError::Unsupported(
            "choosing the primary key's index".into(),
        ));
    }
    if !pk.include.is_empty() || !pk.index_options.is_empty() || pk.characteristics.is_some() {
        return Err(SqlError::Unsupported(
            "INCLUDE, index options and constraint characteristics".into(),
        ));
    }
    Ok(pk.name.as_ref().map(ident))
}

pub(super) fn column_position(
    columns: &[ColumnSchema],
    c: &ast::IndexColumn,
) -> Result<usize, SqlError> {
    let ast::Expr::Identifier(id) = &c.column.expr else {
        return Err(SqlError::Unsupported("expressions in a key".into()));
    };
    let name = ident(id);
    columns.iter().position(|c| c.name == name).ok_or_else(|| {
        SqlError::UndefinedColumnMessage(format!("column \"{name}\" named in key does not exist"))
    })
}

/// A column DEFAULT as stored: its text, except that a date or time literal is
/// read now, in the session that defines it, as PostgreSQL reads it (its
/// `TimeZone` decides what `'2024-06-15 12:00'` means for a timestamptz, and
/// `'now'` is the moment of the CREATE). It is stored as its value written in UTC
/// with its type (`'2024-06-15 03:00:00+00'::timestamp with time zone`), so that
/// every session's INSERT gets the same value. A literal is the whole default,
/// bare (read as the column's type) or cast (read as the cast's); anything else,
/// `now()` included, is kept as written and computed at each INSERT.
pub(super) fn default_text(
    e: &ast::Expr,
    column: DataType,
    ctx: &QueryContext,
) -> Result<String, SqlError> {
    let (literal, ty) = match e {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) => (s, column),
            _ => return Ok(expression_text(e)),
        },
        ast::Expr::Cast {
            expr, data_type, ..
        } => match &**expr {
            ast::Expr::Value(v) => match &v.value {
                ast::Value::SingleQuotedString(s) => (s, column_type(data_type)?),
                _ => return Ok(expression_text(e)),
            },
            _ => return Ok(expression_text(e)),
        },
        _ => return Ok(expression_text(e)),
    };
    if !matches!(
        ty,
        DataType::Timestamptz | DataType::Timestamp | DataType::Date
    ) {
        return Ok(expression_text(e));
    }
    let value: Value = ty.parse_text_in(literal, &ctx.time_zone)?;
    let mut text = String::new();
    value.write_text(&mut text, &TimeZone::Utc);
    Ok(format!("'{text}'::{ty}"))
}

/// An expression as it is stored, the text sqlparser prints, but with the
/// types of its casts in lower case as PostgreSQL prints them
/// (`nextval('s'::regclass)`, not `::REGCLASS`): psql's `\d` and pg_dump show
/// the text.
fn expression_text(e: &ast::Expr) -> String {
    let mut e = e.clone();
    let _ = ast::visit_expressions_mut(&mut e, |e| {
        if let ast::Expr::Cast { data_type, .. } = e {
            let name = data_type.to_string().to_lowercase();
            *data_type =
                ast::DataType::Custom(ast::ObjectName::from(vec![ast::Ident::new(name)]), vec![]);
        }
        ControlFlow::<()>::Continue(())
    });
    e.to_string()
}

/// Binds every DEFAULT once, so a bad one fails the CREATE TABLE, not each
/// INSERT; but those of columns with a sequence of their own, which is created
/// after the table.
fn check_defaults(
    txn: &WriteTxn<'_>,
    schema: &TableSchema,
    sequence_columns: &[SequenceColumn],
) -> Result<(), SqlError> {
    let mut binder = Binder::new(txn.db(), &[]);
    for position in 0..schema.columns.len() {
        if !sequence_columns.iter().any(|c| c.position == position) {
            binder.check_default(schema, position)?;
        }
    }
    Ok(())
}

/// `name`, or `name1`, `name2`, … if taken (by a relation, or one of `also`),
/// as PostgreSQL picks index names.
pub(super) fn free_name(txn: &WriteTxn<'_>, name: &str, also: &[String]) -> String {
    let taken = |n: &str| txn.db().check_name_free(n).is_err() || also.iter().any(|a| a == n);
    if !taken(name) {
        return name.to_owned();
    }
    (1..)
        .map(|i| format!("{name}{i}"))
        .find(|n| !taken(n))
        .expect("some suffix is free")
}

fn create_index(txn: &mut WriteTxn<'_>, c: &ast::CreateIndex) -> Result<Output, SqlError> {
    // Every index is a B-tree (`USING btree`, which pg_dump writes, says so).
    if c.using
        .as_ref()
        .is_some_and(|m| *m != ast::IndexType::BTree)
    {
        return Err(SqlError::Unsupported(format!(
            "index method {} (Turnstile's indexes are B-trees: USING btree)",
            c.using
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default()
        )));
    }
    if !c.include.is_empty()
        || c.predicate.is_some()
        || c.nulls_distinct.is_some()
        || !c.with.is_empty()
    {
        return Err(SqlError::Unsupported(
            "INCLUDE, WITH, NULLS DISTINCT and partial indexes".into(),
        ));
    }
    let table_name = relation(&c.table_name)?;
    refuse_system(&table_name, "indexed")?;
    let table = txn
        .db()
        .get_table(&table_name)
        .ok_or_else(|| SqlError::UndefinedTable(table_name.clone()))?;
    let schema = table.schema().clone();
    let mut cols = Vec::new();
    let mut key_orders = Vec::new();
    let mut operator_classes = Vec::new();
    for column in &c.columns {
        let position = column_position(&schema.columns, column)?;
        operator_classes.push(match &column.operator_class {
            Some(name) => {
                let (class_schema, class) = qualified(name)?;
                if class_schema.is_some_and(|s| s != "pg_catalog") {
                    return Err(SqlError::UndefinedObject(format!(
                        "operator class \"{name}\" does not exist for access method \"btree\""
                    )));
                }
                pg_opclass::named(&class, schema.columns[position].data_type)?
            }
            None => OperatorClass::Default,
        });
        let options = &column.column.options;
        let descending = match &options.sort {
            None | Some(ast::OrderBySort::Asc) => false,
            Some(ast::OrderBySort::Desc) => true,
            Some(ast::OrderBySort::Using(_)) => {
                return Err(SqlError::Syntax("syntax error at or near \"USING\"".into()))
            }
        };
        // NULLS FIRST is the default of DESC, as in PostgreSQL.
        let nulls_first = options.nulls_first.unwrap_or(descending);
        key_orders.push(KeyOrder {
            descending,
            nulls_first,
        });
        cols.push(position);
    }
    let name = match &c.name {
        Some(n) => relation(n)?,
        None => {
            let names: Vec<&str> = cols
                .iter()
                .map(|&p| schema.columns[p].name.as_str())
                .collect();
            free_name(
                txn,
                // `_idx` for every CREATE INDEX, unique or not, as PostgreSQL
                // names them; `_key` is for UNIQUE constraints.
                &format!("{table_name}_{}_idx", names.join("_")),
                &[],
            )
        }
    };
    let exists = txn.db().get_index(&name).is_some() || relation_exists(txn, &name);
    if exists && c.if_not_exists {
        let tag = CommandTag::new("CREATE INDEX");
        return Ok(Output::Command(
            tag.with_notice(Notice::AlreadyExistsSkipping(name)),
        ));
    }
    if is_reserved(&name) {
        return Err(crate::db::DbError::DuplicateRelation(name).into());
    }
    txn.create_index(IndexSchema {
        name,
        table: schema.id,
        columns: cols,
        unique: c.unique,
        constraint: false,
        key_orders,
        operator_classes,
    })?;
    Ok(Output::Command(CommandTag::new("CREATE INDEX")))
}

/// `CREATE EXTENSION name`: Turnstile's extensions are the WebAssembly
/// modules the server was started with (`pg_extension` lists them, see
/// `sql::system::pg_depend`), so creating one succeeds only as a no-op, with
/// `IF NOT EXISTS`, for a module that is loaded: what a dump of a database with
/// a module restores (pg_dump writes `CREATE EXTENSION IF NOT EXISTS bank`).
fn create_extension(e: &ast::CreateExtension, ctx: &QueryContext) -> Result<Output, SqlError> {
    let name = ident(&e.name);
    if let Some(schema) = e.schema.as_ref().map(ident).filter(|s| s != "public") {
        return Err(SqlError::UndefinedSchema(schema));
    }
    if !module_loaded(ctx, &name) {
        return Err(SqlError::UnsupportedMessage(format!(
            "extension \"{name}\" is not available: Turnstile's extensions are the \
             WebAssembly modules it was started with (turnstile serve --module {name}.wasm)"
        )));
    }
    if !e.if_not_exists {
        return Err(SqlError::DuplicateObject(format!(
            "extension \"{name}\" already exists"
        )));
    }
    Ok(Output::Command(
        CommandTag::new("CREATE EXTENSION").with_notice(Notice::ExtensionExistsSkipping(name)),
    ))
}

/// `DROP EXTENSION`: a loaded module stays until the server restarts without
/// it (0A000); one that is not loaded does not exist (42704, or a notice with
/// `IF EXISTS`).
fn drop_extension(d: &ast::DropExtension, ctx: &QueryContext) -> Result<Output, SqlError> {
    let mut notices = Vec::new();
    for name in d.names.iter().map(ident) {
        if module_loaded(ctx, &name) {
            return Err(SqlError::UnsupportedMessage(format!(
                "extension \"{name}\" is a module the server was started with; it cannot be \
                 dropped while the server runs (restart the server without --module)"
            )));
        }
        if !d.if_exists {
            return Err(SqlError::UndefinedObject(format!(
                "extension \"{name}\" does not exist"
            )));
        }
        notices.push(Notice::DoesNotExistSkipping {
            kind: "extension",
            name,
        });
    }
    let mut tag = CommandTag::new("DROP EXTENSION");
    for notice in notices {
        tag = tag.with_notice(notice);
    }
    Ok(Output::Command(tag))
}

/// `CREATE ROLE`: Turnstile has one role, the session's user (any user name
/// connects on loopback), so creating it is 42710, as creating an existing
/// role is in PostgreSQL (a pg_dumpall script's `CREATE ROLE` of its own
/// user), and creating any other is 0A000.
fn create_role(c: &ast::CreateRole, ctx: &QueryContext) -> Result<Output, SqlError> {
    for name in &c.names {
        let name = match name.0.as_slice() {
            [part] => part.as_ident().map(ident).unwrap_or_default(),
            _ => String::new(),
        };
        if name == *ctx.user {
            return Err(SqlError::DuplicateObject(format!(
                "role \"{name}\" already exists"
            )));
        }
    }
    Err(SqlError::UnsupportedMessage(
        "creating roles: Turnstile has one role, the user a session connects as \
         (any user name connects on loopback)"
            .into(),
    ))
}

/// `ALTER ROLE`: of the session's user, with attributes it already has (a
/// superuser that logs in: what pg_dumpall writes for it), a no-op; another
/// role is 42704; any other change 0A000.
fn alter_role(
    name: &ast::Ident,
    operation: &ast::AlterRoleOperation,
    ctx: &QueryContext,
) -> Result<Output, SqlError> {
    let name = ident(name);
    if name != *ctx.user && name != "current_user" && name != "session_user" {
        return Err(SqlError::UndefinedObject(format!(
            "role \"{name}\" does not exist"
        )));
    }
    let already = |option: &ast::RoleOption| {
        matches!(
            option,
            ast::RoleOption::BypassRLS(true)
                | ast::RoleOption::CreateDB(true)
                | ast::RoleOption::CreateRole(true)
                | ast::RoleOption::Inherit(true)
                | ast::RoleOption::Login(true)
                | ast::RoleOption::Replication(true)
                | ast::RoleOption::SuperUser(true)
        )
    };
    match operation {
        ast::AlterRoleOperation::WithOptions { options } if options.iter().all(already) => {
            Ok(Output::Command(CommandTag::new("ALTER ROLE")))
        }
        other => Err(SqlError::UnsupportedMessage(format!(
            "ALTER ROLE … {other}: Turnstile's one role is a superuser that logs in, \
             and stays one"
        ))),
    }
}

/// True if the server loaded a module called `name`.
fn module_loaded(ctx: &QueryContext, name: &str) -> bool {
    ctx.modules
        .as_ref()
        .is_some_and(|host| host.get(name).is_some())
}

fn create_view(txn: &mut WriteTxn<'_>, v: &ast::CreateView) -> Result<Output, SqlError> {
    if v.materialized || v.or_alter || v.temporary || v.to.is_some() {
        return Err(SqlError::Unsupported(
            "materialized, temporary and OR ALTER views".into(),
        ));
    }
    let name = relation(&v.name)?;
    let column_names: Vec<String> = v.columns.iter().map(|c| ident(&c.name)).collect();
    // Binding checks the query now, as PostgreSQL does, and gives its columns.
    let bound = Binder::new(txn.db(), &[]).bind_query(&v.query)?;
    if column_names.len() > bound.columns.len() {
        return Err(SqlError::InvalidStatement(
            "CREATE VIEW specifies more column names than columns".into(),
        ));
    }
    let mut all_names: Vec<String> = bound.columns.iter().map(|c| c.name.clone()).collect();
    all_names[..column_names.len()].clone_from_slice(&column_names);
    // A view's columns are a relation's: each name once (`SELECT * FROM a JOIN b`
    // of two tables with an `id` is 42701, as in PostgreSQL).
    let mut seen = std::collections::HashSet::new();
    if let Some(twice) = all_names.iter().find(|name| !seen.insert(name.as_str())) {
        return Err(SqlError::DuplicateColumn(twice.clone()));
    }
    if is_reserved(&name) && !v.if_not_exists {
        return Err(crate::db::DbError::DuplicateRelation(name).into());
    }
    if v.if_not_exists && relation_exists(txn, &name) {
        return Ok(Output::Command(CommandTag::new("CREATE VIEW")));
    }
    if v.or_replace && txn.db().get_view(&name).is_some() {
        let new_types: Vec<_> = bound.columns.iter().map(|c| c.data_type).collect();
        check_replacement(txn, &name, &all_names, &new_types)?;
        txn.drop_view(&name)?;
    }
    txn.create_view(ViewSchema {
        name,
        query: v.query.to_string(),
        column_names: all_names,
    })?;
    Ok(Output::Command(CommandTag::new("CREATE VIEW")))
}

/// CREATE OR REPLACE VIEW may only add columns at the end, as in PostgreSQL (42P16):
/// views reading this one keep the columns they were created with.
fn check_replacement(
    txn: &WriteTxn<'_>,
    name: &str,
    names: &[String],
    types: &[crate::types::DataType],
) -> Result<(), SqlError> {
    let db = txn.db();
    let view = db
        .get_view(name)
        .expect("the caller checked that the view exists");
    let mut binder = Binder::new(db, &[]);
    // A view that no longer binds has no columns anyone could still be reading.
    let Ok(old) = binder.bind_view(name, &view.query, &view.column_names) else {
        return Ok(());
    };
    if old.columns.len() > names.len() {
        return Err(SqlError::InvalidTableDefinition(
            "cannot drop columns from view".into(),
        ));
    }
    for (i, column) in old.columns.iter().enumerate() {
        if column.name != names[i] {
            return Err(SqlError::InvalidTableDefinition(format!(
                "cannot change name of view column \"{}\" to \"{}\"",
                column.name, names[i]
            )));
        }
        if column.data_type != types[i] {
            return Err(SqlError::InvalidTableDefinition(format!(
                "cannot change data type of view column \"{}\" from {} to {}",
                column.name, column.data_type, types[i]
            )));
        }
    }
    Ok(())
}

/// `DROP TABLE | VIEW | INDEX | SEQUENCE`, several names at once. Objects
/// that depend on one of them and are not dropped with it refuse the drop
/// (2BP01), or with `cascade` are dropped first (see [`Dependent`]), as a
/// NOTICE says.
/// `CREATE SCHEMA`: Turnstile has PostgreSQL's schemas and no others (every
/// table is in `public`), so only `IF NOT EXISTS` of one of them succeeds,
/// changing nothing, as PostgreSQL's does (migration tools begin with `CREATE
/// SCHEMA IF NOT EXISTS "public"`). A name with PostgreSQL's reserved prefix is
/// 42939, an existing one 42P06, any other 0A000.
fn create_schema(name: &ast::SchemaName, if_not_exists: bool) -> Result<Output, SqlError> {
    let name = match name {
        ast::SchemaName::Simple(name) | ast::SchemaName::NamedAuthorization(name, _) => {
            relation(name)?
        }
        ast::SchemaName::UnnamedAuthorization(role) => ident(role),
    };
    if name.starts_with("pg_") {
        return Err(SqlError::ReservedSchemaName(name));
    }
    if !crate::sql::system::schema_exists(&name) {
        return Err(SqlError::Unsupported(format!(
            "CREATE SCHEMA {name} (Turnstile keeps every table in the schema public)"
        )));
    }
    if !if_not_exists {
        return Err(SqlError::DuplicateSchema(name));
    }
    Ok(Output::Command(
        CommandTag::new("CREATE SCHEMA").with_notice(Notice::SchemaExistsSkipping(name)),
    ))
}

/// `DROP SCHEMA`: of a schema that is not there, 3F000 (or a notice with `IF
/// EXISTS`); `pg_catalog` never goes (2BP01, as in PostgreSQL), and Turnstile's
/// other schemas stay (0A000), where PostgreSQL could drop them.
fn drop_schema(names: &[ast::ObjectName], if_exists: bool) -> Result<Output, SqlError> {
    let mut tag = CommandTag::new("DROP SCHEMA");
    for name in names {
        let name = relation(name)?;
        if name == "pg_catalog" {
            return Err(SqlError::RequiredBySystem(format!("schema {name}")));
        }
        if crate::sql::system::schema_exists(&name) {
            return Err(SqlError::Unsupported(format!(
                "DROP SCHEMA {name} (Turnstile's schemas are PostgreSQL's own; every \
                 table is in public: drop the tables)"
            )));
        }
        if !if_exists {
            return Err(SqlError::UndefinedSchema(name));
        }
        tag = tag.with_notice(Notice::DoesNotExistSkipping {
            kind: "schema",
            name,
        });
    }
    Ok(Output::Command(tag))
}

fn drop(
    txn: &mut WriteTxn<'_>,
    kind: ObjectType,
    if_exists: bool,
    names: &[ast::ObjectName],
    cascade: bool,
) -> Result<Output, SqlError> {
    let (tag, wanted) = match kind {
        ObjectType::Schema => return drop_schema(names, if_exists),
        ObjectType::Table => ("DROP TABLE", "table"),
        ObjectType::Index => ("DROP INDEX", "index"),
        ObjectType::View => ("DROP VIEW", "view"),
        ObjectType::Sequence => ("DROP SEQUENCE", "sequence"),
        other => return Err(SqlError::Unsupported(format!("DROP {other}"))),
    };
    let dropping = names.iter().map(relation).collect::<Result<Vec<_>, _>>()?;
    let mut dependencies = None;
    let mut done = CommandTag::new(tag);
    let mut cascaded: Vec<String> = Vec::new();
    for (position, name) in dropping.iter().enumerate() {
        // A name given twice is dropped once, as in PostgreSQL.
        if dropping[..position].contains(name) {
            continue;
        }
        let name = name.as_str();
        refuse_system(name, "dropped")?;
        let db = txn.db();
        if kind == ObjectType::Index {
            refuse_dropping_constraint_index(db, name)?;
        }
        let found = if db.get_table(name).is_some() {
            Some("table")
        } else if db.get_view(name).is_some() {
            Some("view")
        } else if db.get_index(name).is_some() {
            Some("index")
        } else if db.get_sequence(name).is_some() {
            Some("sequence")
        } else {
            None
        };
        match found {
            Some(what) if what == wanted => {}
            Some(found) => {
                return Err(SqlError::DropWrongKind {
                    name: name.to_owned(),
                    wanted,
                    found,
                })
            }
            None if if_exists => {
                done = done.with_notice(Notice::DoesNotExistSkipping {
                    kind: wanted,
                    name: name.to_owned(),
                });
                continue;
            }
            None if kind == ObjectType::Index => {
                return Err(SqlError::UndefinedObject(format!(
                    "index \"{name}\" does not exist"
                )))
            }
            None => {
                return Err(SqlError::UndefinedTableMessage(format!(
                    "{wanted} \"{name}\" does not exist"
                )))
            }
        }
        if kind == ObjectType::Sequence {
            sequences::refuse_dropping_identity(txn.db(), name)?;
        }
        if cascade {
            let deps = dependencies.get_or_insert_with(|| view_dependencies(txn.db()));
            let found = dependents(txn, deps, kind, name, &dropping);
            if !found.is_empty() {
                // Read again for the refusals below, without what goes now.
                dependencies = None;
            }
            for dependent in found {
                dependent.drop(txn)?;
                cascaded.push(dependent.to_string());
            }
        }
        if matches!(
            kind,
            ObjectType::Table | ObjectType::View | ObjectType::Sequence
        ) {
            // Everything that would have to go too, in one refusal.
            let deps = dependencies.get_or_insert_with(|| view_dependencies(txn.db()));
            let mut lines = view_lines(txn, deps, &view_roots(txn, kind, name), &dropping);
            let db = txn.db();
            match kind {
                ObjectType::Table => {
                    lines.extend(sequences::owned_users_lines(db, name, &dropping));
                    lines.extend(foreign_keys::drop_lines(db, name, &dropping));
                }
                ObjectType::Sequence => lines.extend(sequences::users_lines(db, name)),
                _ => {}
            }
            super::refuse_if_depended_on(format!("{wanted} {name}"), lines)?;
        }
        match kind {
            ObjectType::Table => txn.drop_table(name)?,
            ObjectType::View => txn.drop_view(name)?,
            ObjectType::Index => {
                let (table, position) = txn.db().get_index(name).expect("found above");
                let (schema, columns) = (
                    table.schema().clone(),
                    table.indexes()[position].schema.columns.clone(),
                );
                let object = format!("index {name}");
                foreign_keys::refuse_dropping_key(txn.db(), &schema, name, &columns, object)?;
                txn.drop_index(name)?
            }
            _ => txn.drop_sequence(name)?,
        }
    }
    if !cascaded.is_empty() {
        done = done.with_notice(Notice::DropCascades(cascaded));
    }
    Ok(Output::Command(done))
}

/// 2BP01 for `DROP INDEX` of the index of a table's primary key or UNIQUE
/// constraint: it goes with its constraint (`ALTER TABLE … DROP CONSTRAINT`).
fn refuse_dropping_constraint_index(db: &crate::db::Database, name: &str) -> Result<(), SqlError> {
    let constraint_table = match db.get_index(name) {
        Some((table, position)) => table.indexes()[position]
            .schema
            .constraint
            .then(|| table.schema().name.clone()),
        None => db
            .tables()
            .map(|t| t.schema())
            .find(|s| s.primary_key.is_some() && s.primary_key_name() == name)
            .map(|s| s.name.clone()),
    };
    match constraint_table {
        Some(table) => Err(SqlError::RequiredBy {
            object: format!("index {name}"),
            required_by: format!("constraint {name} on table {table}"),
        }),
        None => Ok(()),
    }
}

/// An object that depends on one a DROP names and is not dropped with it:
/// what RESTRICT refuses over (2BP01) and `DROP … CASCADE` drops first.
#[derive(PartialEq)]
enum Dependent {
    /// A view that reads it, or reads such a view.
    View(String),
    /// A foreign key of another table that references the table, or the key
    /// or unique index it references.
    ForeignKey { table: String, key: String },
    /// A column DEFAULT that calls the sequence (or one the table owns): the
    /// column stays, without a default.
    Default { table: String, column: String },
}

impl std::fmt::Display for Dependent {
    /// As PostgreSQL names it ("drop cascades to …").
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dependent::View(view) => write!(f, "view {view}"),
            Dependent::ForeignKey { table, key } => write!(f, "constraint {key} on table {table}"),
            Dependent::Default { table, column } => {
                write!(f, "default value for column {column} of table {table}")
            }
        }
    }
}

impl Dependent {
    fn drop(&self, txn: &mut WriteTxn<'_>) -> Result<(), SqlError> {
        let table_schema = |txn: &WriteTxn<'_>, table: &str| -> TableSchema {
            let table = txn.db().get_table(table).expect("a dependent's table");
            TableSchema::clone(table.schema())
        };
        match self {
            Dependent::View(view) => txn.drop_view(view)?,
            Dependent::ForeignKey { table, key } => {
                let mut schema = table_schema(txn, table);
                schema.foreign_keys.retain(|k| k.name != *key);
                txn.alter_table(schema)?;
            }
            Dependent::Default { table, column } => {
                let schema = table_schema(txn, table);
                let position = schema.column_index(column).expect("a dependent's column");
                txn.set_column_default(schema.id, position, None);
            }
        }
        Ok(())
    }
}

/// What views may read when `name`, a `kind`, is dropped: the object, and
/// for a table the sequences it owns, which go with it.
fn view_roots(txn: &WriteTxn<'_>, kind: ObjectType, name: &str) -> Vec<String> {
    let db = txn.db();
    let mut roots = vec![name.to_owned()];
    if let (ObjectType::Table, Some(table)) = (kind, db.get_table(name)) {
        let id = table.schema().id;
        roots.extend(
            db.sequences()
                .filter(|s| s.schema().owned_by.is_some_and(|(owner, _)| owner == id))
                .map(|s| s.schema().name.clone()),
        );
    }
    roots
}

/// What depends on `name`, a `kind` the statement drops along with the others
/// in `dropping`, and is not among them: views that read it (through other
/// views too), foreign keys of other tables that reference it, defaults that
/// call it or a sequence it owns, in that order (PostgreSQL's, mostly), a
/// view after those it reads.
fn dependents(
    txn: &WriteTxn<'_>,
    view_dependencies: &[(String, Vec<String>)],
    kind: ObjectType,
    name: &str,
    dropping: &[String],
) -> Vec<Dependent> {
    let db = txn.db();
    let mut dependents = Vec::new();
    let keys = match kind {
        ObjectType::Table => foreign_keys::keys_referencing(db, name, dropping),
        ObjectType::Index => match db.get_index(name) {
            Some((table, position)) => {
                let columns = &table.indexes()[position].schema.columns;
                foreign_keys::keys_on(db, table.schema(), name, columns)
            }
            None => Vec::new(),
        },
        _ => Vec::new(),
    };
    dependents.extend(
        keys.into_iter()
            .map(|(table, key)| Dependent::ForeignKey { table, key }),
    );
    if matches!(
        kind,
        ObjectType::Table | ObjectType::View | ObjectType::Sequence
    ) {
        let roots = view_roots(txn, kind, name);
        let mut reached = roots.clone();
        let mut next = 0;
        while let Some(object) = reached.get(next).cloned() {
            next += 1;
            for (view, referenced) in view_dependencies {
                let dependent = referenced.contains(&object)
                    && !reached.contains(view)
                    && !dropping.contains(view)
                    && db.get_view(view).is_some();
                if dependent {
                    reached.push(view.clone());
                }
            }
        }
        dependents.extend(reached.into_iter().skip(roots.len()).map(Dependent::View));
    }
    let defaults = match kind {
        ObjectType::Table => sequences::users_of_owned(db, name, dropping)
            .into_iter()
            .map(|(_, user)| user)
            .collect(),
        ObjectType::Sequence => sequences::users(db, name),
        _ => Vec::new(),
    };
    for (table, column) in defaults {
        // A default that calls two sequences the table owns is one object.
        let dependent = Dependent::Default { table, column };
        if !dependents.contains(&dependent) {
            dependents.push(dependent);
        }
    }
    dependents
}

/// Each view with the tables and views its query names (not those inside the views
/// it names). Computed from the stored query at DROP time rather than stored: the
/// binder is the one authority on what a name resolves to (a CTE may shadow a table).
/// A view whose query no longer binds depends on nothing it could still lose.
pub fn view_dependencies(db: &Database) -> Vec<(String, Vec<String>)> {
    db.views()
        .map(|view| {
            let mut binder = Binder::new(db, &[]);
            let bound = crate::sql::parse(&view.query)
                .ok()
                .and_then(|statements| match statements.first() {
                    Some(Statement::Query(query)) => binder.bind_query(query).ok(),
                    _ => None,
                });
            let referenced = match bound {
                Some(_) => binder.referenced_relations().to_vec(),
                None => Vec::new(),
            };
            (view.name.clone(), referenced)
        })
        .collect()
}

/// PostgreSQL's DETAIL lines for the views not dropped by the same statement
/// that depend on one of `roots` (what goes: the object named first, see
/// [`view_roots`]): one line per dependent, following views of views.
fn view_lines(
    txn: &WriteTxn<'_>,
    dependencies: &[(String, Vec<String>)],
    roots: &[String],
    dropping: &[String],
) -> Vec<String> {
    let kind_of = |n: &str| {
        if txn.db().get_view(n).is_some() {
            "view"
        } else if txn.db().get_sequence(n).is_some() {
            "sequence"
        } else {
            "table"
        }
    };
    // Depth first, in name order, as PostgreSQL lists them.
    let mut lines = Vec::new();
    let mut seen = roots.to_vec();
    let mut pending: Vec<(String, usize)> = roots.iter().map(|r| (r.clone(), 0)).collect();
    while let Some((object, next)) = pending.pop() {
        let found = dependencies
            .iter()
            .enumerate()
            .skip(next)
            .find(|(_, (view, referenced))| {
                !dropping.contains(view) && referenced.contains(&object)
            });
        let Some((position, (view, _))) = found else {
            continue;
        };
        pending.push((object.clone(), position + 1));
        lines.push(format!(
            "view {view} depends on {} {object}",
            kind_of(&object)
        ));
        if !seen.contains(view) {
            seen.push(view.clone());
            pending.push((view.clone(), 0));
        }
    }
    lines
}

/// 0A000 for a `DEFERRABLE` UNIQUE constraint: Turnstile checks a unique
/// index as each row is written, so it cannot wait for COMMIT (declared
/// `NOT DEFERRABLE` or `INITIALLY IMMEDIATE` is what it does).
pub(super) fn refuse_deferrable_unique(u: &ast::UniqueConstraint) -> Result<(), SqlError> {
    let deferrable = u.characteristics.as_ref().is_some_and(|c| {
        c.deferrable == Some(true) || c.initially == Some(ast::DeferrableInitial::Deferred)
    });
    if deferrable {
        return Err(SqlError::Unsupported(
            "DEFERRABLE UNIQUE constraints (a unique index is checked as each row is written)"
                .into(),
        ));
    }
    Ok(())
}

/// VACUUM and ANALYZE (see the module doc): 42P01 for a table that does not exist.
fn maintenance(
    txn: &WriteTxn<'_>,
    table: Option<&ast::ObjectName>,
    command: &'static str,
) -> Result<Output, SqlError> {
    if let Some(table) = table {
        let name = relation(table)?;
        let db = txn.db();
        if db.get_table(&name).is_none() && db.get_view(&name).is_none() && !is_reserved(&name) {
            return Err(SqlError::UndefinedTable(name));
        }
    }
    Ok(Output::Command(CommandTag::new(command)))
}

/// TRUNCATE of one or more tables; with CASCADE, also of the tables that
/// reference them through foreign keys (with PostgreSQL's NOTICE for each);
/// with RESTART IDENTITY, the sequences their columns own (`serial`, identity)
/// start again, with the transaction (see [`WriteTxn::restart_sequence`]).
fn truncate(txn: &mut WriteTxn<'_>, t: &ast::Truncate) -> Result<Output, SqlError> {
    if t.partitions.is_some() {
        return Err(SqlError::Unsupported("TRUNCATE of partitions".into()));
    }
    let mut ids = Vec::new();
    let mut names = Vec::new();
    for target in &t.table_names {
        let name = relation(&target.name)?;
        refuse_system(&name, "truncated")?;
        match txn.db().get_table(&name) {
            Some(table) => ids.push(table.schema().id),
            None if t.if_exists => {}
            None => return Err(SqlError::UndefinedTable(name)),
        }
        names.push(name);
    }
    let mut tag = CommandTag::new("TRUNCATE TABLE");
    if t.cascade == Some(ast::CascadeOption::Cascade) {
        for name in foreign_keys::truncated_with(txn.db(), &names) {
            ids.extend(txn.db().get_table(&name).map(|t| t.schema().id));
            tag = tag.with_notice(Notice::TruncateCascades(name.clone()));
            names.push(name);
        }
    }
    for name in &names {
        foreign_keys::refuse_truncate(txn.db(), name, &names)?;
    }
    if t.identity == Some(ast::TruncateIdentityOption::Restart) {
        let owned: Vec<String> = txn
            .db()
            .sequences()
            .filter(|s| matches!(s.schema().owned_by, Some((table, _)) if ids.contains(&table)))
            .map(|s| s.schema().name.clone())
            .collect();
        for name in owned {
            txn.restart_sequence(&name)?;
        }
    }
    for id in ids {
        txn.truncate(id);
    }
    Ok(Output::Command(tag))
}
