//! `ALTER TABLE`: columns added, dropped and renamed; the table renamed; a
//! column's type, NOT NULL and DEFAULT; primary keys, UNIQUE and CHECK
//! constraints added, validated and dropped. And `OWNER TO` of any relation
//! (`ALTER TABLE`, `ALTER VIEW`, `ALTER SEQUENCE`), which Turnstile's one role
//! already owns.
//!
//! The operations of one statement run in PostgreSQL's order (see `pass`),
//! each on the table as the one before left it, in the statement's one write
//! transaction: all or nothing.
//!
//! # Rebuilding the rows
//!
//! `ADD COLUMN`, `DROP COLUMN`, `ALTER COLUMN … TYPE`, `ADD PRIMARY KEY` and
//! dropping the primary key rebuild the table: every row is decoded, changed, checked and stored again
//! under the write lock (`WriteTxn::add_column` and the like), and the log gets
//! the table's new schema and every row. That holds the lock for a time that
//! grows with the table, as an `UPDATE` of every row would. (PostgreSQL adds a
//! column with a non-volatile DEFAULT without touching the rows; Turnstile does
//! not.) A new column's DEFAULT is evaluated once for all the rows, or once for
//! each row if it calls a volatile function (`nextval`, so a new `serial` column
//! numbers the rows; `random()`), as in PostgreSQL. Inside a transaction block
//! such a statement reads the whole table, so the block fails with 40001 if
//! another transaction changes the table before its COMMIT.
//!
//! # Views
//!
//! A view is kept as the SQL text it was created with, and bound where it is
//! used. PostgreSQL's views follow a renamed table or column; Turnstile's would
//! stop working. So after each operation every view that reads the table is
//! bound again, and the statement is refused if one no longer binds, or has a
//! different number of columns (a `SELECT *` over a table that gained or lost
//! one, whose columns PostgreSQL would keep as they were): 2BP01 for a dropped
//! column, as PostgreSQL refuses that too, and 0A000 otherwise, saying to drop
//! the view and create it again.

use std::ops::ControlFlow;

use sqlparser::ast::{
    self, AlterColumnOperation, AlterTableOperation, DropBehavior, RenameTableNameKind,
    TableConstraint,
};

use super::checks::{self, CheckDefinition};
use super::ddl::{
    add_unique_constraint, check_definition, check_names, column_definition, column_position,
    default_text, multiple_primary_keys, primary_key_constraint_name, primary_key_name,
    refuse_system, view_dependencies, ColumnDefinition,
};
use super::expr::Env;
use super::foreign_keys::{self, ForeignKeyDefinition};
use super::sequences::{self, SequenceColumn};
use crate::db::{ColumnFill, Identity, IndexSchema, TableId, TableSchema, WriteTxn};
use crate::sql::binder::{column_type, ident, relation, Binder};
use crate::sql::system::{is_reserved, pg_opclass};
use crate::sql::{CommandTag, Notice, Output, QueryContext, SqlError};
use crate::types::DataType;

pub fn alter_table(
    txn: &mut WriteTxn<'_>,
    a: &ast::AlterTable,
    ctx: &QueryContext,
) -> Result<Output, SqlError> {
    let name = relation(&a.name)?;
    refuse_system(&name, "altered")?;
    let mut tag = CommandTag::new("ALTER TABLE");
    // ALTER TABLE gives any relation a new owner, as in PostgreSQL.
    if let [AlterTableOperation::OwnerTo { new_owner }] = a.operations.as_slice() {
        return change_owner(txn, &name, None, a.if_exists, new_owner, ctx, tag);
    }
    let Some(table) = txn.db().get_table(&name) else {
        if let Some(kind) = other_relation_kind(txn, &name) {
            return Err(SqlError::WrongObjectType(format!(
                "\"{name}\" is not a table (it is a {kind}); ALTER TABLE changes tables"
            )));
        }
        return missing_relation(tag, name, a.if_exists);
    };
    let id = table.schema().id;
    if a.operations.len() > 1 && a.operations.iter().any(is_rename) {
        // RENAME is a statement of its own in PostgreSQL's grammar.
        return Err(SqlError::Syntax(
            "syntax error at or near \"RENAME\"".into(),
        ));
    }
    let mut operations: Vec<&AlterTableOperation> = a.operations.iter().collect();
    operations.sort_by_key(|op| pass(op));
    for op in operations {
        let views = ViewShapes::reading(txn, id);
        for notice in alter(txn, id, op, ctx)? {
            tag = tag.with_notice(notice);
        }
        views.refuse_changed(txn, op)?;
    }
    Ok(Output::Command(tag))
}

/// When PostgreSQL runs an operation of a statement that has several: it runs
/// them in passes, everything dropped first, then new types, new columns,
/// NOT NULL, new keys, new defaults; in the order written within a pass. So
/// `ADD UNIQUE (c), ADD COLUMN c int` works, and `ADD COLUMN a int, DROP
/// COLUMN a` does not (42703).
fn pass(op: &AlterTableOperation) -> u8 {
    match op {
        AlterTableOperation::DropColumn { .. }
        | AlterTableOperation::DropConstraint { .. }
        | AlterTableOperation::AlterColumn {
            op: AlterColumnOperation::DropNotNull | AlterColumnOperation::DropDefault,
            ..
        } => 0,
        AlterTableOperation::AlterColumn {
            op: AlterColumnOperation::SetDataType { .. },
            ..
        } => 1,
        AlterTableOperation::AddColumn { .. } => 2,
        AlterTableOperation::AlterColumn {
            op: AlterColumnOperation::SetNotNull,
            ..
        } => 3,
        AlterTableOperation::AddConstraint { .. } => 4,
        AlterTableOperation::AlterColumn {
            op: AlterColumnOperation::SetDefault { .. },
            ..
        } => 5,
        _ => 6,
    }
}

fn is_rename(op: &AlterTableOperation) -> bool {
    matches!(
        op,
        AlterTableOperation::RenameColumn { .. }
            | AlterTableOperation::RenameTable { .. }
            | AlterTableOperation::RenameConstraint { .. }
    )
}

/// `ALTER VIEW`: only `OWNER TO`.
pub fn alter_view(
    txn: &mut WriteTxn<'_>,
    a: &ast::AlterView,
    ctx: &QueryContext,
) -> Result<Output, SqlError> {
    let name = relation(&a.name)?;
    refuse_system(&name, "altered")?;
    match &a.operation {
        ast::AlterViewOperation::OwnerTo(owner) if !a.materialized => {
            let tag = CommandTag::new("ALTER VIEW");
            change_owner(txn, &name, Some("view"), a.if_exists, owner, ctx, tag)
        }
        other => Err(SqlError::Unsupported(format!(
            "ALTER VIEW … {other} (Turnstile changes a view's owner only; to change \
             anything else, drop the view and create it again)"
        ))),
    }
}

/// `OWNER TO role` of relation `name`, which must be a `expected` if given
/// (`ALTER SEQUENCE`, `ALTER VIEW`; `ALTER TABLE` takes any relation).
/// Turnstile has one role, the session's user, which owns every relation (see
/// `system::pg_roles`): giving a relation to it changes nothing, and any other
/// role does not exist, 42704, as PostgreSQL answers for a role it lacks.
pub(super) fn change_owner(
    txn: &WriteTxn<'_>,
    name: &str,
    expected: Option<&'static str>,
    if_exists: bool,
    owner: &ast::Owner,
    ctx: &QueryContext,
    tag: CommandTag,
) -> Result<Output, SqlError> {
    let kind = match txn.db().get_table(name) {
        Some(_) => Some("table"),
        None => other_relation_kind(txn, name),
    };
    let Some(kind) = kind else {
        return missing_relation(tag, name.to_owned(), if_exists);
    };
    if let Some(expected) = expected.filter(|expected| *expected != kind) {
        return Err(SqlError::WrongObjectType(format!(
            "\"{name}\" is not a {expected}"
        )));
    }
    check_owner(owner, ctx)?;
    Ok(Output::Command(tag))
}

/// What an ALTER of relation `name`, which does not exist, answers: with `IF
/// EXISTS`, its `tag` and PostgreSQL's notice; else 42P01.
pub(super) fn missing_relation(
    tag: CommandTag,
    name: String,
    if_exists: bool,
) -> Result<Output, SqlError> {
    if !if_exists {
        return Err(SqlError::UndefinedTable(name));
    }
    Ok(Output::Command(tag.with_notice(
        Notice::DoesNotExistSkipping {
            kind: "relation",
            name,
        },
    )))
}

/// 42704 unless `owner` is the session's user (see [`change_owner`]).
fn check_owner(owner: &ast::Owner, ctx: &QueryContext) -> Result<(), SqlError> {
    match owner {
        ast::Owner::Ident(role) if ident(role) != *ctx.user => Err(SqlError::UndefinedObject(
            format!("role \"{}\" does not exist", ident(role)),
        )),
        _ => Ok(()),
    }
}

/// What relation other than a table `name` is, if any.
fn other_relation_kind(txn: &WriteTxn<'_>, name: &str) -> Option<&'static str> {
    let db = txn.db();
    if db.get_view(name).is_some() {
        Some("view")
    } else if db.get_sequence(name).is_some() {
        Some("sequence")
    } else if db.get_index(name).is_some() {
        Some("index")
    } else {
        None
    }
}

/// Runs one operation on table `id`; returns the notices it gives (`IF EXISTS`
/// and `IF NOT EXISTS` that found nothing to do).
fn alter(
    txn: &mut WriteTxn<'_>,
    id: TableId,
    op: &AlterTableOperation,
    ctx: &QueryContext,
) -> Result<Vec<Notice>, SqlError> {
    let schema = txn.db().table(id).schema().clone();
    match op {
        AlterTableOperation::AddColumn {
            if_not_exists,
            column_def,
            column_position: None,
            ..
        } => add_column(txn, &schema, column_def, *if_not_exists, ctx),
        AlterTableOperation::DropColumn {
            column_names,
            if_exists,
            ..
        } => {
            let mut notices = Vec::new();
            for column in column_names {
                notices.extend(drop_column(txn, id, &ident(column), *if_exists, ctx)?);
            }
            Ok(notices)
        }
        AlterTableOperation::RenameColumn {
            old_column_name,
            new_column_name,
        } => {
            let (old, new) = (ident(old_column_name), ident(new_column_name));
            let position = schema
                .column_index(&old)
                .ok_or_else(|| SqlError::UndefinedColumn(old.clone()))?;
            refuse_existing_column(&schema, &new)?;
            let mut renamed = schema.as_ref().clone();
            for check in &mut renamed.checks {
                check.expr = checks::rename_column(&check.expr, &old, &new)?;
            }
            renamed.columns[position].name = new;
            txn.alter_table(renamed)?;
            Ok(Vec::new())
        }
        AlterTableOperation::RenameTable {
            table_name: RenameTableNameKind::To(new) | RenameTableNameKind::As(new),
        } => {
            let new = relation(new)?;
            if is_reserved(&new) || new == schema.name {
                return Err(crate::db::DbError::DuplicateRelation(new).into());
            }
            let mut renamed = schema.as_ref().clone();
            // The key keeps the name it had, as in PostgreSQL.
            if renamed.primary_key.is_some() {
                renamed.primary_key_constraint = Some(renamed.primary_key_name());
            }
            renamed.name = new;
            txn.alter_table(renamed)?;
            Ok(Vec::new())
        }
        AlterTableOperation::RenameConstraint { old_name, new_name } => {
            rename_constraint(txn, &schema, &ident(old_name), ident(new_name))?;
            Ok(Vec::new())
        }
        AlterTableOperation::AlterColumn { column_name, op } => {
            alter_column(txn, &schema, column_name, op, ctx)?;
            Ok(Vec::new())
        }
        AlterTableOperation::AddConstraint {
            constraint,
            not_valid,
        } => {
            add_constraint(txn, &schema, constraint, *not_valid, ctx)?;
            Ok(Vec::new())
        }
        AlterTableOperation::ValidateConstraint { name } => {
            validate_constraint(txn, &schema, &ident(name))?;
            Ok(Vec::new())
        }
        AlterTableOperation::OwnerTo { new_owner } => {
            check_owner(new_owner, ctx)?;
            Ok(Vec::new())
        }
        // Nothing depends on a constraint, so CASCADE drops no more than RESTRICT.
        AlterTableOperation::DropConstraint {
            if_exists, name, ..
        } => drop_constraint(txn, &schema, &ident(name), *if_exists, ctx),
        other => Err(SqlError::Unsupported(format!(
            "ALTER TABLE … {other} (Turnstile alters tables with ADD COLUMN, DROP COLUMN, \
             RENAME, RENAME COLUMN, RENAME CONSTRAINT, ALTER COLUMN … TYPE, SET or DROP NOT \
             NULL and DEFAULT, ADD PRIMARY KEY, UNIQUE, CHECK or FOREIGN KEY, VALIDATE \
             CONSTRAINT and DROP CONSTRAINT)"
        ))),
    }
}

/// `ADD [COLUMN] [IF NOT EXISTS] name type [options]`: the column as `CREATE
/// TABLE` defines one (a serial or identity column gets its sequence), each row
/// getting its DEFAULT; then its PRIMARY KEY and UNIQUE constraints.
fn add_column(
    txn: &mut WriteTxn<'_>,
    schema: &TableSchema,
    def: &ast::ColumnDef,
    if_not_exists: bool,
    ctx: &QueryContext,
) -> Result<Vec<Notice>, SqlError> {
    let ColumnDefinition {
        mut column,
        own_sequence,
        primary_key,
        uniques,
        checks: column_checks,
        references,
    } = column_definition(def, &schema.name, ctx)?;
    if if_not_exists && schema.column_index(&column.name).is_some() {
        return Ok(vec![Notice::ColumnAlreadyExistsSkipping {
            name: column.name,
            relation: schema.name.clone(),
        }]);
    }
    refuse_existing_column(schema, &column.name)?;
    let position = schema.columns.len();
    let mut with_column = schema.clone();
    let sequence = own_sequence.map(|options| {
        let name = sequences::column_sequence_name(txn.db(), &schema.name, &column.name, &[]);
        column.default = Some(sequences::nextval_default(&name));
        (name, SequenceColumn { position, options })
    });
    with_column.columns.push(column.clone());
    if let Some((name, sequence)) = sequence {
        sequences::create_column_sequences(txn, &with_column, vec![sequence], vec![name])?;
    }
    note_rows_read(txn, schema.id, ctx);
    let fill = column_fill(txn, &with_column, position, ctx)?;
    txn.add_column(schema.id, column, fill)?;
    let with_column = txn.db().table(schema.id).schema().clone();
    if let Some(key_name) = primary_key {
        add_primary_key(txn, &with_column, key_name, vec![position], ctx)?;
    }
    for given in uniques {
        add_unique_constraint(txn, &with_column, given, vec![position])?;
    }
    for definition in column_checks {
        let with_column = txn.db().table(schema.id).schema().clone();
        add_check(txn, &with_column, &definition, false)?;
    }
    for (name, constraint) in references {
        let with_column = txn.db().table(schema.id).schema().clone();
        let definition = ForeignKeyDefinition {
            name,
            columns: vec![position],
            constraint,
        };
        add_foreign_key(txn, &with_column, &definition, false)?;
    }
    Ok(Vec::new())
}

/// What the rows get in new column `position` of `schema`: its DEFAULT (NULL
/// without one), evaluated once, or once per row, in key order, if volatile.
fn column_fill(
    txn: &WriteTxn<'_>,
    schema: &TableSchema,
    position: usize,
    ctx: &QueryContext,
) -> Result<ColumnFill, SqlError> {
    let (default, volatile) = Binder::new(txn.db(), &[]).check_default(schema, position)?;
    let env = Env::new(txn.db(), &[], ctx);
    if !volatile {
        return Ok(ColumnFill::Same(default.eval(&[], &env)?));
    }
    let rows = txn.db().table(schema.id).len();
    let values = (0..rows)
        .map(|_| default.eval(&[], &env))
        .collect::<Result<_, _>>()?;
    Ok(ColumnFill::PerRow(values))
}

/// `DROP [COLUMN] [IF EXISTS] name`, with the indexes and sequences that depend
/// on it (see `WriteTxn::drop_column`); 2BP01 if another column's DEFAULT calls
/// a sequence it owns.
fn drop_column(
    txn: &mut WriteTxn<'_>,
    id: TableId,
    column: &str,
    if_exists: bool,
    ctx: &QueryContext,
) -> Result<Option<Notice>, SqlError> {
    let schema = txn.db().table(id).schema().clone();
    let Some(position) = schema.column_index(column) else {
        if if_exists {
            return Ok(Some(Notice::OfRelationDoesNotExistSkipping {
                kind: "column",
                name: column.to_owned(),
                relation: schema.name.clone(),
            }));
        }
        return Err(undefined_column(&schema, column));
    };
    sequences::refuse_users_of_column(txn.db(), &schema, position)?;
    let lines: Vec<String> = txn
        .db()
        .references_to(id)
        .into_iter()
        .filter(|(_, key)| key.referenced_columns.contains(&position))
        .map(|(referencing, key)| {
            format!(
                "constraint {} on table {} depends on column {column} of table {}",
                key.name,
                txn.db().table(referencing).schema().name,
                schema.name
            )
        })
        .collect();
    super::refuse_if_depended_on(format!("column {column} of table {}", schema.name), lines)?;
    // The CHECK constraints and foreign keys that name it go with it, as in
    // PostgreSQL.
    let mut without = schema.as_ref().clone();
    without
        .checks
        .retain(|c| !checks::columns_named(&schema, &c.expr).contains(&position));
    without
        .foreign_keys
        .retain(|k| !k.columns.contains(&position));
    if without != *schema {
        txn.alter_table(without)?;
    }
    note_rows_read(txn, id, ctx);
    txn.drop_column(id, position)?;
    Ok(None)
}

/// `ALTER [COLUMN] name SET NOT NULL | DROP NOT NULL | SET DEFAULT e | DROP
/// DEFAULT`.
fn alter_column(
    txn: &mut WriteTxn<'_>,
    schema: &TableSchema,
    column: &ast::Ident,
    op: &AlterColumnOperation,
    ctx: &QueryContext,
) -> Result<(), SqlError> {
    let name = ident(column);
    let position = schema
        .column_index(&name)
        .ok_or_else(|| undefined_column(schema, &name))?;
    let nullable = match op {
        AlterColumnOperation::SetNotNull => false,
        AlterColumnOperation::DropNotNull => {
            if schema
                .primary_key
                .as_ref()
                .is_some_and(|pk| pk.contains(&position))
            {
                return Err(SqlError::InvalidTableDefinition(format!(
                    "column \"{name}\" is in a primary key"
                )));
            }
            if schema.columns[position].identity.is_some() {
                return Err(identity_column(schema, &name));
            }
            true
        }
        AlterColumnOperation::SetDefault { value } => {
            return set_default(txn, schema, position, Some(value), ctx)
        }
        AlterColumnOperation::DropDefault => return set_default(txn, schema, position, None, ctx),
        AlterColumnOperation::SetDataType {
            data_type, using, ..
        } => return set_type(txn, schema, position, data_type, using.as_ref(), ctx),
        AlterColumnOperation::AddGenerated {
            generated_as,
            sequence_options,
        } => {
            let options = sequence_options.clone().unwrap_or_default();
            return add_identity(txn, schema, position, *generated_as, options);
        }
        other => {
            return Err(SqlError::Unsupported(format!(
                "ALTER TABLE … ALTER COLUMN … {other} (SET or DROP NOT NULL and DEFAULT, \
                 TYPE and ADD GENERATED … AS IDENTITY are supported)"
            )))
        }
    };
    if schema.columns[position].nullable != nullable {
        let mut changed = schema.clone();
        changed.columns[position].nullable = nullable;
        txn.alter_table(changed)?;
    }
    Ok(())
}

/// `ADD GENERATED { ALWAYS | BY DEFAULT } AS IDENTITY [(options)]`: the
/// column takes its values from a new sequence of its own, as one declared so
/// by `CREATE TABLE`. Checked in PostgreSQL's order: the type (22023, when the
/// sequence is made), then NOT NULL, not an identity already, no DEFAULT
/// (55000).
fn add_identity(
    txn: &mut WriteTxn<'_>,
    schema: &TableSchema,
    position: usize,
    generated_as: Option<ast::GeneratedAs>,
    options: Vec<ast::SequenceOptions>,
) -> Result<(), SqlError> {
    let identity = match generated_as {
        Some(ast::GeneratedAs::Always) => Identity::Always,
        Some(ast::GeneratedAs::ByDefault) => Identity::ByDefault,
        _ => {
            return Err(SqlError::Syntax(
                "syntax error at or near \"AS\" (ADD GENERATED ALWAYS or BY DEFAULT AS \
                 IDENTITY)"
                    .into(),
            ))
        }
    };
    let column = &schema.columns[position];
    let name = sequences::column_sequence_name(txn.db(), &schema.name, &column.name, &[]);
    let mut changed = schema.clone();
    changed.columns[position].identity = Some(identity);
    changed.columns[position].default = Some(sequences::nextval_default(&name));
    let sequence = SequenceColumn { position, options };
    sequences::create_column_sequences(txn, &changed, vec![sequence], vec![name])?;
    let refused = |why: &str| {
        Err(SqlError::ObjectNotInPrerequisiteState(format!(
            "column \"{}\" of relation \"{}\" {why}",
            column.name, schema.name
        )))
    };
    if column.nullable {
        return refused("must be declared NOT NULL before identity can be added");
    }
    if column.identity.is_some() {
        return refused("is already an identity column");
    }
    if column.default.is_some() {
        return refused("already has a default value");
    }
    txn.alter_table(changed)?;
    Ok(())
}

/// `SET DEFAULT value` (`Some`) or `DROP DEFAULT`: the new default is read and
/// bound as CREATE TABLE reads one; an identity column's sequence is no default
/// to change (42601, as PostgreSQL).
fn set_default(
    txn: &mut WriteTxn<'_>,
    schema: &TableSchema,
    position: usize,
    value: Option<&ast::Expr>,
    ctx: &QueryContext,
) -> Result<(), SqlError> {
    if schema.columns[position].identity.is_some() {
        return Err(identity_column(schema, &schema.columns[position].name));
    }
    let default = value
        .map(|e| default_text(e, schema.columns[position].data_type, ctx))
        .transpose()?;
    let mut changed = schema.clone();
    changed.columns[position].default = default.clone();
    Binder::new(txn.db(), &[]).check_default(&changed, position)?;
    txn.set_column_default(schema.id, position, default);
    Ok(())
}

/// `[SET DATA] TYPE type [USING expression]`: each row's value converted as an
/// assignment converts it, or computed from the row by `USING` (see
/// `Binder::column_conversion`), then stored in the new type, which checks it
/// (22001 for a string too long, 22003 out of range); indexes on the column are
/// rebuilt. A DEFAULT must convert too (42804), as in PostgreSQL; a sequence
/// the column owns keeps its type.
fn set_type(
    txn: &mut WriteTxn<'_>,
    schema: &TableSchema,
    position: usize,
    data_type: &ast::DataType,
    using: Option<&ast::Expr>,
    ctx: &QueryContext,
) -> Result<(), SqlError> {
    let target = column_type(data_type)?;
    let in_own_key = schema
        .foreign_keys
        .iter()
        .any(|k| k.columns.contains(&position));
    let referenced = txn
        .db()
        .references_to(schema.id)
        .iter()
        .any(|(_, k)| k.referenced_columns.contains(&position));
    if in_own_key || referenced {
        return Err(SqlError::Unsupported(format!(
            "changing the type of column \"{}\", which a foreign key uses (drop the foreign \
             key, change the type, and add it again)",
            schema.columns[position].name
        )));
    }
    // An index's operator class must still take the column (42804 for
    // text_pattern_ops of a column made integer), as in PostgreSQL.
    for index in txn.db().table(schema.id).indexes() {
        let index = &index.schema;
        for (&column, &class) in index.columns.iter().zip(&index.operator_classes) {
            if column == position {
                pg_opclass::check_class_of(class, target)?;
            }
        }
    }
    let mut binder = Binder::new(txn.db(), &[]);
    let conversion = binder.column_conversion(schema, position, target, using)?;
    binder.check_default_conversion(schema, position, target)?;
    let mut column = schema.columns[position].clone();
    column.data_type = target;
    // The CHECK constraints must still make sense of the column (42883 for
    // `a > 0` of a column made text), rows or none, as in PostgreSQL.
    let mut changed = schema.clone();
    changed.columns[position] = column.clone();
    checks::bind_all(txn.db(), &changed)?;
    let env = Env::new(txn.db(), &[], ctx);
    let table = txn.db().table(schema.id);
    let values = table
        .scan()
        .map(|(_, row)| conversion.eval(&table.decode(row), &env))
        .collect::<Result<Vec<_>, _>>()?;
    drop(env);
    note_rows_read(txn, schema.id, ctx);
    txn.alter_column_type(schema.id, position, column, values)?;
    Ok(())
}

/// `ADD [CONSTRAINT name] PRIMARY KEY (columns)`, `UNIQUE (columns)` or `CHECK
/// (condition) [NOT VALID]`.
fn add_constraint(
    txn: &mut WriteTxn<'_>,
    schema: &TableSchema,
    constraint: &TableConstraint,
    not_valid: bool,
    ctx: &QueryContext,
) -> Result<(), SqlError> {
    let kind = match constraint {
        TableConstraint::PrimaryKey(_) => Some("PRIMARY KEY"),
        TableConstraint::Unique(_) => Some("UNIQUE"),
        _ => None,
    };
    if let (true, Some(kind)) = (not_valid, kind) {
        return Err(SqlError::UnsupportedMessage(format!(
            "{kind} constraints cannot be marked NOT VALID"
        )));
    }
    let positions = |columns: &[ast::IndexColumn]| -> Result<Vec<usize>, SqlError> {
        let mut positions = Vec::new();
        for column in columns {
            let position = column_position(&schema.columns, column)?;
            if positions.contains(&position) {
                return Err(SqlError::DuplicateColumn(
                    schema.columns[position].name.clone(),
                ));
            }
            positions.push(position);
        }
        Ok(positions)
    };
    match constraint {
        TableConstraint::PrimaryKey(pk) => {
            let name = primary_key_constraint_name(pk)?;
            add_primary_key(txn, schema, name, positions(&pk.columns)?, ctx)
        }
        TableConstraint::Unique(u) => {
            super::ddl::refuse_deferrable_unique(u)?;
            add_unique_constraint(
                txn,
                schema,
                u.name.as_ref().map(ident),
                positions(&u.columns)?,
            )
        }
        TableConstraint::Check(check) => {
            add_check(txn, schema, &check_definition(None, check)?, not_valid)
        }
        TableConstraint::ForeignKey(reference) => {
            let definition = ForeignKeyDefinition {
                name: reference.name.as_ref().map(ident),
                columns: reference
                    .columns
                    .iter()
                    .map(|column| {
                        let name = ident(column);
                        schema.column_index(&name).ok_or_else(|| {
                            SqlError::UndefinedColumnMessage(format!(
                                "column \"{name}\" referenced in foreign key constraint does \
                                 not exist"
                            ))
                        })
                    })
                    .collect::<Result<_, _>>()?,
                constraint: reference.clone(),
            };
            add_foreign_key(txn, schema, &definition, not_valid)
        }
        other => Err(SqlError::Unsupported(format!("table constraint {other}"))),
    }
}

/// Adds a CHECK constraint (see `checks::check_constraint`): every row must
/// keep it (23514) unless it is `NOT VALID`.
fn add_check(
    txn: &mut WriteTxn<'_>,
    schema: &TableSchema,
    definition: &CheckDefinition,
    not_valid: bool,
) -> Result<(), SqlError> {
    let taken = checks::constraint_names(txn.db());
    let on_table = checks::table_constraint_names(txn.db(), schema);
    let mut check =
        checks::check_constraint(txn.db(), schema, definition, &on_table, &taken, false)?;
    check.validated = !not_valid;
    let mut changed = schema.clone();
    changed.checks.push(check);
    txn.alter_table(changed)?;
    Ok(())
}

/// Adds a foreign key (see `foreign_keys::foreign_key`): every row must
/// reference a row (23503) unless it is `NOT VALID`.
fn add_foreign_key(
    txn: &mut WriteTxn<'_>,
    schema: &TableSchema,
    definition: &ForeignKeyDefinition,
    not_valid: bool,
) -> Result<(), SqlError> {
    let taken = checks::constraint_names(txn.db());
    let on_table = checks::table_constraint_names(txn.db(), schema);
    let mut key = foreign_keys::foreign_key(txn.db(), schema, definition, None, &on_table, &taken)?;
    key.validated = !not_valid;
    let mut changed = schema.clone();
    changed.foreign_keys.push(key);
    txn.alter_table(changed)?;
    Ok(())
}

/// `VALIDATE CONSTRAINT name`: a CHECK constraint or foreign key added `NOT
/// VALID` is checked on every row (23514, 23503), and is valid from then on.
fn validate_constraint(
    txn: &mut WriteTxn<'_>,
    schema: &TableSchema,
    name: &str,
) -> Result<(), SqlError> {
    let mut changed = schema.clone();
    if let Some(key) = changed.foreign_keys.iter_mut().find(|k| k.name == name) {
        key.validated = true;
        if changed != *schema {
            txn.alter_table(changed)?;
        }
        return Ok(());
    }
    let Some(position) = schema.checks.iter().position(|c| c.name == name) else {
        if constraint_kind(txn, schema, name).is_some() {
            return Err(SqlError::WrongObjectType(format!(
                "constraint \"{name}\" of relation \"{}\" is not a foreign key or check \
                 constraint",
                schema.name
            )));
        }
        return Err(undefined_constraint(schema, name));
    };
    changed.checks[position].validated = true;
    if changed != *schema {
        txn.alter_table(changed)?;
    }
    Ok(())
}

/// Gives the table the primary key `columns` (see `WriteTxn::add_primary_key`):
/// it then behaves exactly as if it had been created with that key.
fn add_primary_key(
    txn: &mut WriteTxn<'_>,
    schema: &TableSchema,
    name: Option<String>,
    columns: Vec<usize>,
    ctx: &QueryContext,
) -> Result<(), SqlError> {
    if schema.primary_key.is_some() {
        return Err(multiple_primary_keys(&schema.name));
    }
    let name = primary_key_name(txn, &schema.name, name, &check_names(schema));
    note_rows_read(txn, schema.id, ctx);
    txn.add_primary_key(schema.id, columns, name)?;
    Ok(())
}

/// What kind of constraint of table `schema` is called `name`, if one is.
enum ConstraintKind {
    PrimaryKey,
    Unique,
    Check(usize),
    ForeignKey(usize),
}

fn constraint_kind(txn: &WriteTxn<'_>, schema: &TableSchema, name: &str) -> Option<ConstraintKind> {
    if schema.primary_key.is_some() && schema.primary_key_name() == name {
        return Some(ConstraintKind::PrimaryKey);
    }
    let unique = txn
        .db()
        .table(schema.id)
        .indexes()
        .iter()
        .any(|i| i.schema.constraint && i.schema.name == name);
    if unique {
        return Some(ConstraintKind::Unique);
    }
    if let Some(position) = schema.checks.iter().position(|c| c.name == name) {
        return Some(ConstraintKind::Check(position));
    }
    schema
        .foreign_keys
        .iter()
        .position(|k| k.name == name)
        .map(ConstraintKind::ForeignKey)
}

/// `DROP CONSTRAINT [IF EXISTS] name`: the primary key (the rows are then keyed
/// by hidden row ids), a UNIQUE constraint (its index goes) or a CHECK
/// constraint. A unique index made by `CREATE UNIQUE INDEX` is not a
/// constraint, as in PostgreSQL.
fn drop_constraint(
    txn: &mut WriteTxn<'_>,
    schema: &TableSchema,
    name: &str,
    if_exists: bool,
    ctx: &QueryContext,
) -> Result<Vec<Notice>, SqlError> {
    match constraint_kind(txn, schema, name) {
        Some(ConstraintKind::PrimaryKey) => {
            let key = schema.primary_key.clone().unwrap_or_default();
            let object = format!("constraint {name} on table {}", schema.name);
            foreign_keys::refuse_dropping_key(txn.db(), schema, name, &key, object)?;
            note_rows_read(txn, schema.id, ctx);
            txn.drop_primary_key(schema.id)?;
        }
        Some(ConstraintKind::Unique) => {
            let (table, position) = txn
                .db()
                .get_index(name)
                .expect("a UNIQUE constraint's index");
            let columns = table.indexes()[position].schema.columns.clone();
            let object = format!("constraint {name} on table {}", schema.name);
            foreign_keys::refuse_dropping_key(txn.db(), schema, name, &columns, object)?;
            txn.drop_index(name)?
        }
        Some(ConstraintKind::Check(position)) => {
            let mut changed = schema.clone();
            changed.checks.remove(position);
            txn.alter_table(changed)?;
        }
        Some(ConstraintKind::ForeignKey(position)) => {
            let mut changed = schema.clone();
            changed.foreign_keys.remove(position);
            txn.alter_table(changed)?;
        }
        None if if_exists => {
            return Ok(vec![Notice::OfRelationDoesNotExistSkipping {
                kind: "constraint",
                name: name.to_owned(),
                relation: schema.name.clone(),
            }])
        }
        None => return Err(undefined_constraint(schema, name)),
    }
    Ok(Vec::new())
}

/// `RENAME CONSTRAINT old TO new`: 42710 if the table has a constraint called
/// `new`, 42P07 if a key's index would take a relation's name (a primary key
/// or UNIQUE constraint is its index's name, as in PostgreSQL).
fn rename_constraint(
    txn: &mut WriteTxn<'_>,
    schema: &TableSchema,
    old: &str,
    new: String,
) -> Result<(), SqlError> {
    let kind = constraint_kind(txn, schema, old).ok_or_else(|| {
        SqlError::UndefinedObject(format!(
            "constraint \"{old}\" for table \"{}\" does not exist",
            schema.name
        ))
    })?;
    if checks::table_constraint_names(txn.db(), schema).contains(&new) {
        return Err(SqlError::DuplicateObject(format!(
            "constraint \"{new}\" for relation \"{}\" already exists",
            schema.name
        )));
    }
    let mut changed = schema.clone();
    match kind {
        ConstraintKind::Check(position) => changed.checks[position].name = new,
        ConstraintKind::ForeignKey(position) => changed.foreign_keys[position].name = new,
        ConstraintKind::PrimaryKey => {
            txn.db().check_name_free(&new)?;
            changed.primary_key_constraint = Some(new);
        }
        ConstraintKind::Unique => {
            let (table, position) = txn
                .db()
                .get_index(old)
                .expect("a UNIQUE constraint's index");
            let index = IndexSchema {
                name: new,
                ..table.indexes()[position].schema.clone()
            };
            txn.drop_index(old)?;
            txn.create_index(index)?;
            return Ok(());
        }
    }
    txn.alter_table(changed)?;
    Ok(())
}

fn undefined_constraint(schema: &TableSchema, name: &str) -> SqlError {
    SqlError::UndefinedObject(format!(
        "constraint \"{name}\" of relation \"{}\" does not exist",
        schema.name
    ))
}

/// Inside a transaction block, notes that the statement read every row of
/// table `id`: it rebuilds them, and COMMIT must not keep what it made of them
/// if another transaction has changed them since.
fn note_rows_read(txn: &WriteTxn<'_>, id: TableId, ctx: &QueryContext) {
    if let Some(reads) = &ctx.reads {
        reads.scan(txn.db(), txn.db().table(id));
    }
}

fn refuse_existing_column(schema: &TableSchema, name: &str) -> Result<(), SqlError> {
    if schema.column_index(name).is_some() {
        return Err(SqlError::DuplicateColumnMessage(format!(
            "column \"{name}\" of relation \"{}\" already exists",
            schema.name
        )));
    }
    Ok(())
}

fn undefined_column(schema: &TableSchema, name: &str) -> SqlError {
    SqlError::UndefinedColumnMessage(format!(
        "column \"{name}\" of relation \"{}\" does not exist",
        schema.name
    ))
}

fn identity_column(schema: &TableSchema, name: &str) -> SqlError {
    SqlError::InvalidStatement(format!(
        "column \"{name}\" of relation \"{}\" is an identity column",
        schema.name
    ))
}

/// The views that read a table, with the types of their columns, to tell after
/// an operation which ones it changed (see the module doc).
struct ViewShapes {
    /// The table's name before the operation.
    table: String,
    views: Vec<(String, Vec<DataType>)>,
}

impl ViewShapes {
    fn reading(txn: &WriteTxn<'_>, table: TableId) -> ViewShapes {
        let table = txn.db().table(table).schema().name.clone();
        let views = view_dependencies(txn.db())
            .into_iter()
            .filter(|(_, referenced)| referenced.contains(&table))
            .filter_map(|(view, _)| Some((view.clone(), view_shape(txn, &view)?)))
            .collect();
        ViewShapes { table, views }
    }

    /// Refuses `op` if a view that read the table no longer binds or has other
    /// columns, or if it may have changed what the view reads without either:
    /// a new type for a column the view names (PostgreSQL refuses it too), a
    /// new column of a name the view uses unqualified (which would now
    /// find the new column instead of what it found before).
    fn refuse_changed(&self, txn: &WriteTxn<'_>, op: &AlterTableOperation) -> Result<(), SqlError> {
        let view_names = |view: &str, column: &ast::Ident, qualified: bool| {
            txn.db()
                .get_view(view)
                .is_some_and(|v| names_column(&v.query, &ident(column), qualified))
        };
        let changed: Vec<&String> = self
            .views
            .iter()
            .filter(|(view, shape)| {
                view_shape(txn, view).as_ref() != Some(shape)
                    || match op {
                        AlterTableOperation::AlterColumn {
                            column_name,
                            op: AlterColumnOperation::SetDataType { .. },
                        } => view_names(view, column_name, true),
                        AlterTableOperation::AddColumn { column_def, .. } => {
                            view_names(view, &column_def.name, false)
                        }
                        _ => false,
                    }
            })
            .map(|(view, _)| view)
            .collect();
        let Some(view) = changed.first() else {
            return Ok(());
        };
        let table = &self.table;
        match op {
            AlterTableOperation::DropColumn {
                drop_behavior: Some(DropBehavior::Cascade),
                ..
            } => Err(SqlError::Unsupported(format!(
                "DROP COLUMN … CASCADE that would drop view \"{view}\" (drop the view first)"
            ))),
            AlterTableOperation::DropColumn { column_names, .. } => {
                let columns: Vec<String> = column_names.iter().map(ident).collect();
                let column = columns.join(", ");
                let detail: Vec<String> = changed
                    .iter()
                    .map(|view| format!("view {view} depends on column {column} of table {table}"))
                    .collect();
                Err(SqlError::DependentObjectsStillExist {
                    object: format!("column {column} of table {table}"),
                    detail: detail.join("\n"),
                })
            }
            AlterTableOperation::AlterColumn {
                op: AlterColumnOperation::SetDataType { .. },
                ..
            } => Err(SqlError::UnsupportedMessage(format!(
                "cannot alter type of a column used by a view or rule (view \"{view}\")"
            ))),
            AlterTableOperation::AddColumn { column_def, .. } => {
                Err(SqlError::Unsupported(format!(
                    "adding column \"{}\" to table \"{table}\" while view \"{view}\" reads it \
                     and names \"{0}\" or selects * (a view is kept as the SQL text it was \
                     created with, which would then read the new column: drop the view, add \
                     the column, and create the view again)",
                    ident(&column_def.name)
                )))
            }
            _ => Err(SqlError::Unsupported(format!(
                "changing table \"{table}\" under view \"{view}\", which it would break (a \
                 view is kept as the SQL text it was created with: drop the view, alter the \
                 table, and create the view again)"
            ))),
        }
    }
}

/// True if the query `sql` names `column` anywhere: bare, or also qualified
/// (`t.column`) if `qualified`.
fn names_column(sql: &str, column: &str, qualified: bool) -> bool {
    let Ok(statements) = crate::sql::parse(sql) else {
        return false;
    };
    ast::visit_expressions(&statements, |e| match e {
        ast::Expr::Identifier(id) if ident(id) == column => ControlFlow::Break(()),
        ast::Expr::CompoundIdentifier(parts)
            if qualified && parts.last().is_some_and(|id| ident(id) == column) =>
        {
            ControlFlow::Break(())
        }
        _ => ControlFlow::Continue(()),
    })
    .is_break()
}

/// The types of view `name`'s columns as its query binds now; None if it does
/// not bind.
fn view_shape(txn: &WriteTxn<'_>, name: &str) -> Option<Vec<DataType>> {
    let view = txn.db().get_view(name)?;
    let bound = Binder::new(txn.db(), &[])
        .bind_view(name, &view.query, &view.column_names)
        .ok()?;
    Some(bound.columns.iter().map(|c| c.data_type).collect())
}
