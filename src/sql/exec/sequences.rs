//! Sequence DDL: `CREATE SEQUENCE`, `ALTER SEQUENCE`, the sequences of
//! `serial` and identity columns, and what `DROP SEQUENCE` must refuse. How a sequence moves, and why
//! it is not transactional, is `db::sequence`'s.

use std::ops::ControlFlow;

use sqlparser::ast::{self, SequenceOptions, Statement};

use super::alter::{change_owner, missing_relation};
use crate::db::{Database, SequenceSchema, SequenceState, SequenceStorage, TableSchema, WriteTxn};
use crate::sql::binder::{column_type, ident, object_name, relation};
use crate::sql::parse::{parse_expr, AlterSequence, AlterSequenceAction};
use crate::sql::system::is_reserved;
use crate::sql::{CommandTag, Notice, Output, QueryContext, SqlError};
use crate::types::{quote_ident, DataType};

/// A column whose default is its own sequence's `nextval`: `serial` or identity.
pub struct SequenceColumn {
    pub position: usize,
    pub options: Vec<SequenceOptions>,
}

/// `CREATE SEQUENCE [IF NOT EXISTS] name [options]`.
pub fn create_sequence(txn: &mut WriteTxn<'_>, stmt: &Statement) -> Result<Output, SqlError> {
    let Statement::CreateSequence {
        temporary,
        if_not_exists,
        name,
        sequence_options,
    } = stmt
    else {
        unreachable!("called for CREATE SEQUENCE only")
    };
    if *temporary {
        return Err(SqlError::Unsupported("temporary sequences".into()));
    }
    let name = relation(name)?;
    if is_reserved(&name) {
        return Err(crate::db::DbError::DuplicateRelation(name).into());
    }
    if txn.db().check_name_free(&name).is_err() && *if_not_exists {
        let tag = CommandTag::new("CREATE SEQUENCE");
        return Ok(Output::Command(
            tag.with_notice(Notice::AlreadyExistsSkipping(name)),
        ));
    }
    let schema = sequence_schema(txn.db(), name, DataType::Int8, sequence_options, true)?;
    txn.create_sequence(schema)?;
    Ok(Output::Command(CommandTag::new("CREATE SEQUENCE")))
}

/// Creates the sequence of each column of the just created table `table` that
/// `columns` lists, owned by it, under the name its default calls.
pub fn create_column_sequences(
    txn: &mut WriteTxn<'_>,
    table: &TableSchema,
    columns: Vec<SequenceColumn>,
    names: Vec<String>,
) -> Result<(), SqlError> {
    for (column, name) in columns.into_iter().zip(names) {
        let data_type = table.columns[column.position].data_type;
        let mut schema = sequence_schema(txn.db(), name, data_type, &column.options, false)?;
        schema.owned_by = Some((table.id, column.position));
        txn.create_sequence(schema)?;
    }
    Ok(())
}

/// The name PostgreSQL gives the sequence of column `column` of table `table`:
/// `<table>_<column>_seq`, or `…_seq1`, `…_seq2` if that is taken (also by an
/// earlier column of the same table, `taken`), the table and column names cut
/// (the longer first) so that the whole fits in 63 bytes, as PostgreSQL's
/// `ChooseRelationName` does.
pub fn column_sequence_name(db: &Database, table: &str, column: &str, taken: &[String]) -> String {
    let free = |n: &String| db.check_name_free(n).is_ok() && !taken.contains(n);
    std::iter::once("seq".to_owned())
        .chain((1..).map(|i| format!("seq{i}")))
        .map(|label| object_name(table, Some(column), &label))
        .find(free)
        .expect("some numbered name is free")
}

/// The DEFAULT of a column that takes its values from sequence `name`, quoted
/// as PostgreSQL writes it (`nextval('"Bar_id_seq"'::regclass)`).
pub fn nextval_default(name: &str) -> String {
    format!(
        "nextval('{}'::regclass)",
        quote_ident(name).replace('\'', "''")
    )
}

/// The integer type a `serial` type name stands for, if it is one.
pub fn serial_type(ty: &ast::DataType) -> Option<DataType> {
    let ast::DataType::Custom(name, modifiers) = ty else {
        return None;
    };
    if !modifiers.is_empty() || name.0.len() != 1 {
        return None;
    }
    let word = name.0[0].as_ident()?.value.to_lowercase();
    match word.as_str() {
        "smallserial" | "serial2" => Some(DataType::Int2),
        "serial" | "serial4" => Some(DataType::Int4),
        "bigserial" | "serial8" => Some(DataType::Int8),
        _ => None,
    }
}

/// A sequence's schema from its options (see [`apply_options`]). `data_type`
/// is the column's for `serial` and identity columns (`standalone` false,
/// where `AS` and `OWNED BY` may not be given), else `bigint` unless `AS` says
/// otherwise.
fn sequence_schema(
    db: &Database,
    name: String,
    data_type: DataType,
    options: &[SequenceOptions],
    standalone: bool,
) -> Result<SequenceSchema, SqlError> {
    if !is_sequence_type(data_type) {
        return Err(SqlError::InvalidParameterValue(
            "identity column type must be smallint, integer, or bigint".into(),
        ));
    }
    let mut schema = SequenceSchema {
        id: 0,
        created_as: name.clone(),
        name,
        data_type,
        start: 1,
        increment: 1,
        min: 1,
        max: i64::MAX,
        cycle: false,
        cache: 1,
        owned_by: None,
    };
    apply_options(db, &mut schema, options, standalone, true)?;
    Ok(schema)
}

fn is_sequence_type(data_type: DataType) -> bool {
    matches!(data_type, DataType::Int2 | DataType::Int4 | DataType::Int8)
}

/// The smallest and largest values of a sequence type.
fn type_bounds(data_type: DataType) -> (i64, i64) {
    match data_type {
        DataType::Int2 => (i64::from(i16::MIN), i64::from(i16::MAX)),
        DataType::Int4 => (i64::from(i32::MIN), i64::from(i32::MAX)),
        _ => (i64::MIN, i64::MAX),
    }
}

/// Sets `schema` from `options`, checked as PostgreSQL's `init_params` checks
/// them (22023). A new sequence (`init`) gives every option not named its
/// default; `ALTER SEQUENCE` keeps its value, but for `NO MINVALUE` and `NO
/// MAXVALUE`, and for bounds that were the old type's defaults when `AS`
/// changes the type.
fn apply_options(
    db: &Database,
    schema: &mut SequenceSchema,
    options: &[SequenceOptions],
    standalone: bool,
    init: bool,
) -> Result<(), SqlError> {
    // For the bounds, None is "not named" and Some(None) `NO MINVALUE`.
    let (mut data_type, mut increment, mut min, mut max, mut start, mut cycle, mut owned_by) =
        (None, None, None, None, None, None, None);
    let mut seen = Vec::new();
    for option in options {
        let kind = std::mem::discriminant(option);
        if seen.contains(&kind) {
            return Err(SqlError::InvalidStatement(
                "conflicting or redundant options".into(),
            ));
        }
        seen.push(kind);
        match option {
            SequenceOptions::DataType(ty) if standalone => {
                let ty = column_type(ty)?;
                if !is_sequence_type(ty) {
                    return Err(SqlError::InvalidParameterValue(
                        "sequence type must be smallint, integer, or bigint".into(),
                    ));
                }
                data_type = Some(ty);
            }
            SequenceOptions::IncrementBy(e, _) => increment = Some(integer(e)?),
            SequenceOptions::MinValue(e) => min = Some(e.as_ref().map(integer).transpose()?),
            SequenceOptions::MaxValue(e) => max = Some(e.as_ref().map(integer).transpose()?),
            SequenceOptions::StartWith(e, _) => start = Some(integer(e)?),
            SequenceOptions::Cache(e) => {
                // Kept for the catalog; each backend caches nothing here, since
                // every nextval is a memory update under the write lock anyway.
                let cache = integer(e)?;
                if cache <= 0 {
                    return Err(SqlError::InvalidParameterValue(format!(
                        "CACHE ({cache}) must be greater than zero"
                    )));
                }
                schema.cache = cache;
            }
            SequenceOptions::Cycle(no) => cycle = Some(!no),
            SequenceOptions::OwnedBy(target) if standalone => {
                owned_by = Some(target.as_ref().map(|t| owner(db, t)).transpose()?)
            }
            other => {
                return Err(SqlError::InvalidStatement(format!(
                    "the option {other} is not allowed here"
                )))
            }
        }
    }
    // A new type resets a bound that was the old type's limit to the new
    // type's, whichever way the sequence goes, as PostgreSQL does: any other
    // value the user chose, and stays. A new sequence's bounds are defaults.
    let (old_min, old_max) = type_bounds(schema.data_type);
    let retyped = !init && data_type.is_some();
    let type_max_again = retyped && schema.max == old_max;
    let type_min_again = retyped && schema.min == old_min;
    if let Some(data_type) = data_type {
        schema.data_type = data_type;
    }
    if let Some(increment) = increment {
        if increment == 0 {
            return Err(SqlError::InvalidParameterValue(
                "INCREMENT must not be zero".into(),
            ));
        }
        schema.increment = increment;
    }
    if let Some(cycle) = cycle {
        schema.cycle = cycle;
    }
    let (type_min, type_max) = type_bounds(schema.data_type);
    let ascending = schema.increment > 0;
    let default_max = if ascending { type_max } else { -1 };
    let default_min = if ascending { 1 } else { type_min };
    schema.max = match max {
        Some(Some(max)) => max,
        None if type_max_again => type_max,
        None if !init => schema.max,
        Some(None) | None => default_max,
    };
    schema.min = match min {
        Some(Some(min)) => min,
        None if type_min_again => type_min,
        None if !init => schema.min,
        Some(None) | None => default_min,
    };
    let type_name = schema.data_type.to_string();
    for (what, value) in [("MAXVALUE", schema.max), ("MINVALUE", schema.min)] {
        if !(type_min..=type_max).contains(&value) {
            return Err(SqlError::InvalidParameterValue(format!(
                "{what} ({value}) is out of range for sequence data type {type_name}"
            )));
        }
    }
    if schema.min >= schema.max {
        return Err(SqlError::InvalidParameterValue(format!(
            "MINVALUE ({}) must be less than MAXVALUE ({})",
            schema.min, schema.max
        )));
    }
    schema.start = match start {
        Some(start) => start,
        None if init => {
            if ascending {
                schema.min
            } else {
                schema.max
            }
        }
        None => schema.start,
    };
    check_within(schema, "START", schema.start)?;
    if let Some(owned_by) = owned_by {
        schema.owned_by = owned_by;
    }
    Ok(())
}

/// 22023 unless `value`, the sequence's `what` value (START, RESTART), is
/// within its bounds.
fn check_within(schema: &SequenceSchema, what: &str, value: i64) -> Result<(), SqlError> {
    if value < schema.min {
        return Err(SqlError::InvalidParameterValue(format!(
            "{what} value ({value}) cannot be less than MINVALUE ({})",
            schema.min
        )));
    }
    if value > schema.max {
        return Err(SqlError::InvalidParameterValue(format!(
            "{what} value ({value}) cannot be greater than MAXVALUE ({})",
            schema.max
        )));
    }
    Ok(())
}

/// `ALTER SEQUENCE` (see `parse::AlterSequence`).
pub fn alter_sequence(
    txn: &mut WriteTxn<'_>,
    alter: &AlterSequence,
    ctx: &QueryContext,
) -> Result<Output, SqlError> {
    let tag = CommandTag::new("ALTER SEQUENCE");
    let name = relation(&alter.name)?;
    if let AlterSequenceAction::OwnerTo(owner) = &alter.action {
        return change_owner(
            txn,
            &name,
            Some("sequence"),
            alter.if_exists,
            owner,
            ctx,
            tag,
        );
    }
    let Some(sequence) = txn.db().get_sequence(&name) else {
        if txn.db().check_name_free(&name).is_err() {
            return Err(SqlError::WrongObjectType(format!(
                "\"{name}\" is not a sequence"
            )));
        }
        return missing_relation(tag, name, alter.if_exists);
    };
    let mut schema = sequence.schema().clone();
    let state = sequence.state();
    let storage = match &alter.action {
        AlterSequenceAction::OwnerTo(_) => unreachable!("answered above"),
        AlterSequenceAction::RenameTo(new) => {
            let new = ident(new);
            if is_reserved(&new) || new == name {
                return Err(crate::db::DbError::DuplicateRelation(new).into());
            }
            refuse_rename_of_called(txn.db(), &name)?;
            schema.name = new;
            SequenceStorage::Same
        }
        AlterSequenceAction::Options { options, restart } => {
            if options
                .iter()
                .any(|o| matches!(o, SequenceOptions::OwnedBy(_)))
            {
                refuse_identity_owner_change(txn.db(), &schema)?;
            }
            apply_options(txn.db(), &mut schema, options, true, false)?;
            let restart = match restart {
                Some(value) => Some(SequenceState {
                    last_value: value
                        .as_deref()
                        .map(integer)
                        .transpose()?
                        .unwrap_or(schema.start),
                    is_called: false,
                }),
                None => None,
            };
            // PostgreSQL checks where the sequence stands against its new
            // bounds, restarted or not, and words it as a restart either way.
            check_within(&schema, "RESTART", restart.unwrap_or(state).last_value)?;
            // And gives it new storage unless only its owner changes.
            let only_owner = options
                .iter()
                .all(|o| matches!(o, SequenceOptions::OwnedBy(_)));
            match restart {
                Some(state) => SequenceStorage::Restarted(state),
                None if only_owner => SequenceStorage::Same,
                None => SequenceStorage::Kept(state),
            }
        }
    };
    txn.alter_sequence(&name, schema, storage)?;
    Ok(Output::Command(tag))
}

/// 0A000 for `OWNED BY` on the sequence of an identity column, which belongs
/// to its column for good, as PostgreSQL says.
fn refuse_identity_owner_change(db: &Database, sequence: &SequenceSchema) -> Result<(), SqlError> {
    let Some((table, column)) = sequence.owned_by else {
        return Ok(());
    };
    let Some(table) = db.find_table(table) else {
        return Ok(());
    };
    let table = table.schema();
    if table.columns[column].identity.is_none() {
        return Ok(());
    }
    Err(SqlError::IdentitySequenceOwner {
        detail: format!(
            "Sequence \"{}\" is linked to table \"{}\".",
            sequence.name, table.name
        ),
    })
}

/// 0A000 if a column's DEFAULT calls sequence `name`: Turnstile keeps a
/// DEFAULT as text, which names the sequence, where PostgreSQL keeps its OID
/// and so follows a rename.
fn refuse_rename_of_called(db: &Database, name: &str) -> Result<(), SqlError> {
    let caller = db.tables().find_map(|table| {
        let schema = table.schema();
        schema
            .columns
            .iter()
            .find(|c| c.default.as_deref().is_some_and(|d| default_calls(d, name)))
            .map(|c| format!("column {} of table {}", c.name, schema.name))
    });
    match caller {
        Some(caller) => Err(SqlError::Unsupported(format!(
            "renaming sequence {name}, which the DEFAULT of {caller} calls (Turnstile's \
             defaults name their sequence; drop the DEFAULT, rename the sequence, and set \
             the DEFAULT again)"
        ))),
        None => Ok(()),
    }
}

/// An integer option value: a literal, maybe negative.
fn integer(e: &ast::Expr) -> Result<i64, SqlError> {
    let text = e.to_string().replace(' ', "");
    text.parse().map_err(|_| {
        SqlError::Syntax(format!(
            "at or near \"{e}\" (a sequence option takes an integer)"
        ))
    })
}

/// `OWNED BY table.column`: the table's id and the column's position.
fn owner(db: &Database, target: &ast::ObjectName) -> Result<(u32, usize), SqlError> {
    let parts: Vec<String> = target
        .0
        .iter()
        .filter_map(|p| p.as_ident().map(ident))
        .collect();
    let [table @ .., column] = parts.as_slice() else {
        unreachable!("a name has a part")
    };
    let table = match table {
        [table] => table,
        [schema, table] if schema == "public" => table,
        _ => {
            return Err(SqlError::InvalidStatement(
                "invalid OWNED BY option (specify OWNED BY table.column or OWNED BY NONE)".into(),
            ))
        }
    };
    let schema = db
        .get_table(table)
        .ok_or_else(|| SqlError::UndefinedTable(table.clone()))?
        .schema();
    let position = schema.column_index(column).ok_or_else(|| {
        SqlError::UndefinedColumnMessage(format!(
            "column \"{column}\" of relation \"{table}\" does not exist"
        ))
    })?;
    Ok((schema.id, position))
}

/// 2BP01 if sequence `name` is an identity column's: it goes only with its
/// column, as in PostgreSQL, even with CASCADE.
pub fn refuse_dropping_identity(db: &Database, name: &str) -> Result<(), SqlError> {
    let owner = db.get_sequence(name).and_then(|s| s.schema().owned_by);
    let Some((table, column)) = owner else {
        return Ok(());
    };
    let schema = db.table(table).schema();
    let column = &schema.columns[column];
    if column.identity.is_none() {
        return Ok(());
    }
    Err(SqlError::RequiredBy {
        object: format!("sequence {name}"),
        required_by: format!("column {} of table {}", column.name, schema.name),
    })
}

/// The columns whose DEFAULT calls sequence `name`, as (table name, column
/// name).
pub fn users(db: &Database, name: &str) -> Vec<(String, String)> {
    default_users(db, name, |_, _| false)
}

/// The columns of tables not in `dropping` whose DEFAULT calls a sequence
/// table `table` owns, as (sequence name, (table name, column name)).
pub fn users_of_owned(
    db: &Database,
    table: &str,
    dropping: &[String],
) -> Vec<(String, (String, String))> {
    let Some(id) = db.get_table(table).map(|t| t.schema().id) else {
        return Vec::new();
    };
    db.sequences()
        .filter(|s| s.schema().owned_by.is_some_and(|(owner, _)| owner == id))
        .flat_map(|s| {
            let sequence = &s.schema().name;
            default_users(db, sequence, |schema, _| dropping.contains(&schema.name))
                .into_iter()
                .map(|user| (sequence.clone(), user))
        })
        .collect()
}

/// PostgreSQL's DETAIL lines for the columns whose DEFAULT calls sequence
/// `name`: what a `DROP SEQUENCE` without CASCADE is refused for.
pub fn users_lines(db: &Database, name: &str) -> Vec<String> {
    users(db, name)
        .into_iter()
        .map(|user| default_depends_on(name, user))
        .collect()
}

/// PostgreSQL's DETAIL lines for the columns of tables not in `dropping`
/// whose DEFAULT calls a sequence table `table` owns: dropping the table drops
/// the sequence.
pub fn owned_users_lines(db: &Database, table: &str, dropping: &[String]) -> Vec<String> {
    users_of_owned(db, table, dropping)
        .into_iter()
        .map(|(sequence, user)| default_depends_on(&sequence, user))
        .collect()
}

/// 2BP01 if column `column` of table `table` owns a sequence that another
/// column calls in its DEFAULT: dropping the column drops the sequence.
pub fn refuse_users_of_column(
    db: &Database,
    table: &TableSchema,
    column: usize,
) -> Result<(), SqlError> {
    for sequence in db.sequences() {
        if sequence.schema().owned_by == Some((table.id, column)) {
            refuse_dependents(
                db,
                &sequence.schema().name,
                &format!(
                    "column {} of table {}",
                    table.columns[column].name, table.name
                ),
                |schema, c| schema.id == table.id && c == column,
            )?;
        }
    }
    Ok(())
}

/// 2BP01 naming `object` if the DEFAULT of a column that is not `spared` (a
/// table and a column position: one dropped along) calls sequence `name`
/// (those of `serial` and identity columns do; a column that merely owns it
/// does not need it).
fn refuse_dependents(
    db: &Database,
    name: &str,
    object: &str,
    spared: impl Fn(&TableSchema, usize) -> bool,
) -> Result<(), SqlError> {
    let lines = default_users(db, name, spared)
        .into_iter()
        .map(|user| default_depends_on(name, user))
        .collect();
    super::refuse_if_depended_on(object.to_owned(), lines)
}

/// PostgreSQL's DETAIL line for the DEFAULT of `(table, column)` that calls
/// `sequence`.
fn default_depends_on(sequence: &str, (table, column): (String, String)) -> String {
    format!("default value for column {column} of table {table} depends on sequence {sequence}")
}

/// The columns that are not `spared` whose DEFAULT calls sequence `name`, as
/// (table name, column name).
fn default_users(
    db: &Database,
    name: &str,
    spared: impl Fn(&TableSchema, usize) -> bool,
) -> Vec<(String, String)> {
    let mut users = Vec::new();
    for table in db.tables() {
        let schema = table.schema();
        for (position, column) in schema.columns.iter().enumerate() {
            let calls = column
                .default
                .as_deref()
                .is_some_and(|d| default_calls(d, name));
            if calls && !spared(schema, position) {
                users.push((schema.name.clone(), column.name.clone()));
            }
        }
    }
    users
}

/// True if the DEFAULT text `default` calls `nextval` on sequence `name` by a
/// constant name.
fn default_calls(default: &str, name: &str) -> bool {
    let Ok(expr) = parse_expr(default) else {
        return false;
    };
    ast::visit_expressions(&expr, |e| match e {
        ast::Expr::Function(f)
            if sequence_argument(f).is_some_and(|arg| relation_name_is(&arg, name)) =>
        {
            ControlFlow::Break(())
        }
        _ => ControlFlow::Continue(()),
    })
    .is_break()
}

/// The constant name `nextval('name')` (or `currval`, `setval`) is called
/// with, if `f` is such a call.
fn sequence_argument(f: &ast::Function) -> Option<String> {
    let called = f.name.0.last()?.as_ident()?.value.to_ascii_lowercase();
    if !matches!(called.as_str(), "nextval" | "currval" | "setval") {
        return None;
    }
    let ast::FunctionArguments::List(list) = &f.args else {
        return None;
    };
    match list.args.first()? {
        ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => constant_name(e),
        _ => None,
    }
}

/// The string of `'name'`, `'name'::regclass` or `('name')::regclass`.
fn constant_name(e: &ast::Expr) -> Option<String> {
    match e {
        ast::Expr::Cast { expr, .. } | ast::Expr::Nested(expr) => constant_name(expr),
        ast::Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) => Some(s.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// True if the text `'…'` names relation `name` as `regclass` reads it:
/// `name` or `public.name`, each part quoted or not.
fn relation_name_is(text: &str, name: &str) -> bool {
    let parts: Vec<String> = match parse_expr(text) {
        Ok(ast::Expr::Identifier(id)) => vec![ident(&id)],
        Ok(ast::Expr::CompoundIdentifier(ids)) => ids.iter().map(ident).collect(),
        _ => return false,
    };
    match parts.as_slice() {
        [bare] => bare == name,
        [schema, bare] => schema == "public" && bare == name,
        _ => false,
    }
}
