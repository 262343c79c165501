//! FOREIGN KEY constraints, the SQL side: reading one from `CREATE TABLE` or
//! `ALTER TABLE` into the catalog's [`ForeignKey`], with PostgreSQL's checks
//! and names, and refusing what would leave one without the rows or the key it
//! references (`DROP TABLE`, `TRUNCATE`, `DROP COLUMN`, `DROP CONSTRAINT`). The
//! store enforces them on the rows (`db::foreign_key`). `SET CONSTRAINTS` names
//! the keys a transaction block defers ([`set_constraint_modes`]).

use sqlparser::ast::{self, ConstraintReferenceMatchKind, DeferrableInitial};

use super::checks::table_constraint_names;
use crate::db::{ConstraintModes, Database, ForeignKey, ReferentialAction, TableSchema};
use crate::sql::binder::object_name;
use crate::sql::binder::{ident, relation};
use crate::sql::SqlError;
use crate::types::DataType;

/// A `[CONSTRAINT name] FOREIGN KEY (columns) REFERENCES …` (or a column's
/// `REFERENCES …`) as a statement writes it, its columns found.
pub struct ForeignKeyDefinition {
    pub name: Option<String>,
    pub columns: Vec<usize>,
    pub constraint: ast::ForeignKeyConstraint,
}

/// The foreign key `definition` defines on table `schema`; `itself` is given
/// when the statement creates the table, with the column sets of its primary
/// key and UNIQUE constraints, for a key that references the table itself. 42P01 for a referenced table that does not exist, 42703 for a
/// column it lacks, 42830 unless the referenced columns are its primary key or
/// a UNIQUE constraint's (all of them, in any order) and as many as the
/// referencing ones, 42804 for types no equality compares, 0A000 for what
/// Turnstile does not do (SET DEFAULT, MATCH PARTIAL). Named as
/// `checks::check_constraint` names (`<table>_<columns>_fkey`).
pub fn foreign_key(
    db: &Database,
    schema: &TableSchema,
    definition: &ForeignKeyDefinition,
    itself: Option<&[Vec<usize>]>,
    on_table: &[String],
    taken: &[String],
) -> Result<ForeignKey, SqlError> {
    let c = &definition.constraint;
    if c.index_name.is_some() {
        return Err(SqlError::Unsupported(
            "an index name for a foreign key".into(),
        ));
    }
    let match_full = match c.match_kind {
        None | Some(ConstraintReferenceMatchKind::Simple) => false,
        Some(ConstraintReferenceMatchKind::Full) => true,
        Some(ConstraintReferenceMatchKind::Partial) => {
            return Err(SqlError::UnsupportedMessage(
                "MATCH PARTIAL not yet implemented".into(),
            ))
        }
    };
    let (deferrable, initially_deferred) = characteristics(c.characteristics.as_ref())?;
    let referenced_name = relation(&c.foreign_table)?;
    let (referenced, keys): (&TableSchema, Vec<Vec<usize>>) = match itself {
        Some(keys) if referenced_name == schema.name => (schema, keys.to_vec()),
        _ => {
            let table = db.get_table(&referenced_name).ok_or_else(|| {
                if db.get_view(&referenced_name).is_some()
                    || db.get_sequence(&referenced_name).is_some()
                {
                    SqlError::WrongObjectType(format!(
                        "referenced relation \"{referenced_name}\" is not a table"
                    ))
                } else {
                    SqlError::UndefinedTable(referenced_name.clone())
                }
            })?;
            let mut keys: Vec<Vec<usize>> = table
                .indexes()
                .iter()
                .filter(|i| i.schema.unique)
                .map(|i| i.schema.columns.clone())
                .collect();
            keys.extend(table.schema().primary_key.clone());
            (table.schema().as_ref(), keys)
        }
    };
    let referenced_columns = if c.referred_columns.is_empty() {
        referenced.primary_key.clone().ok_or_else(|| {
            SqlError::UndefinedObject(format!(
                "there is no primary key for referenced table \"{referenced_name}\""
            ))
        })?
    } else {
        c.referred_columns
            .iter()
            .map(|column| {
                let name = ident(column);
                referenced.column_index(&name).ok_or_else(|| {
                    SqlError::UndefinedColumnMessage(format!(
                        "column \"{name}\" referenced in foreign key constraint does not exist"
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?
    };
    if referenced_columns.len() != definition.columns.len() {
        return Err(SqlError::InvalidForeignKey(
            "number of referencing and referenced columns for foreign key disagree".into(),
        ));
    }
    let mut sorted = referenced_columns.clone();
    sorted.sort_unstable();
    let unique = keys.iter().any(|key| {
        let mut key = key.clone();
        key.sort_unstable();
        key == sorted
    });
    if !unique {
        return Err(SqlError::InvalidForeignKey(format!(
            "there is no unique constraint matching given keys for referenced table \
             \"{referenced_name}\""
        )));
    }
    let column_names: Vec<&str> = definition
        .columns
        .iter()
        .map(|&p| schema.columns[p].name.as_str())
        .collect();
    let name = match &definition.name {
        Some(name) if on_table.contains(name) => {
            return Err(SqlError::DuplicateObject(format!(
                "constraint \"{name}\" for relation \"{}\" already exists",
                schema.name
            )))
        }
        Some(name) => name.clone(),
        None => {
            let joined = column_names.join("_");
            std::iter::once("fkey".to_owned())
                .chain((1..).map(|i| format!("fkey{i}")))
                .map(|label| object_name(&schema.name, Some(&joined), &label))
                .find(|name| !taken.contains(name) && !on_table.contains(name))
                .expect("some numbered name is free")
        }
    };
    for (&mine, &theirs) in definition.columns.iter().zip(&referenced_columns) {
        let (a, b) = (
            schema.columns[mine].data_type,
            referenced.columns[theirs].data_type,
        );
        if !comparable(a, b) {
            return Err(SqlError::DatatypeMismatch(format!(
                "foreign key constraint \"{name}\" cannot be implemented: key columns \"{}\" \
                 and \"{}\" are of incompatible types: {a} and {b}",
                schema.columns[mine].name, referenced.columns[theirs].name
            )));
        }
    }
    Ok(ForeignKey {
        name,
        columns: definition.columns.clone(),
        referenced_table: referenced.id,
        referenced_columns,
        on_delete: action(c.on_delete, "DELETE")?,
        on_update: action(c.on_update, "UPDATE")?,
        match_full,
        deferrable,
        initially_deferred,
        validated: true,
    })
}

/// `DEFERRABLE` and `INITIALLY DEFERRED`: INITIALLY DEFERRED makes a key
/// DEFERRABLE unless it says NOT DEFERRABLE (42601), as in PostgreSQL.
fn characteristics(c: Option<&ast::ConstraintCharacteristics>) -> Result<(bool, bool), SqlError> {
    let Some(c) = c else {
        return Ok((false, false));
    };
    if c.enforced == Some(false) {
        return Err(SqlError::Unsupported(
            "FOREIGN KEY constraints that are NOT ENFORCED".into(),
        ));
    }
    let deferred = c.initially == Some(DeferrableInitial::Deferred);
    if deferred && c.deferrable == Some(false) {
        return Err(SqlError::Syntax(
            "constraint declared INITIALLY DEFERRED must be DEFERRABLE".into(),
        ));
    }
    Ok((c.deferrable.unwrap_or(deferred), deferred))
}

fn action(action: Option<ast::ReferentialAction>, on: &str) -> Result<ReferentialAction, SqlError> {
    Ok(match action {
        None | Some(ast::ReferentialAction::NoAction) => ReferentialAction::NoAction,
        Some(ast::ReferentialAction::Restrict) => ReferentialAction::Restrict,
        Some(ast::ReferentialAction::Cascade) => ReferentialAction::Cascade,
        Some(ast::ReferentialAction::SetNull) => ReferentialAction::SetNull,
        Some(ast::ReferentialAction::SetDefault) => {
            return Err(SqlError::Unsupported(format!(
                "ON {on} SET DEFAULT (Turnstile's store does not evaluate defaults; use SET NULL \
                 or CASCADE)"
            )))
        }
    })
}

/// True if PostgreSQL can compare a `referencing` value with a `referenced`
/// one for a foreign key: the same type (but its modifier), two of one btree
/// family (the integers, the floats, the text types, the date and time types),
/// or a referencing type that converts to the referenced one implicitly (an
/// integer to numeric or a float, numeric to a float). The store compares
/// them without a loss (see `db::foreign_key`).
fn comparable(referencing: DataType, referenced: DataType) -> bool {
    use DataType as T;
    let (a, b) = (referencing.without_typmod(), referenced.without_typmod());
    let integer = |t: T| matches!(t, T::Int2 | T::Int4 | T::Int8);
    let float = |t: T| matches!(t, T::Float4 | T::Float8);
    let text = |t: T| matches!(t, T::Text | T::Varchar(_) | T::Bpchar(_));
    let time = |t: T| matches!(t, T::Date | T::Timestamp | T::Timestamptz);
    let numeric = |t: T| matches!(t, T::Numeric(_));
    a == b
        || [integer, float, text, time]
            .iter()
            .any(|family| family(a) && family(b))
        || integer(a) && (numeric(b) || float(b))
        || numeric(a) && float(b)
}

/// The foreign keys of other tables that reference table `table`, as (the
/// referencing table's name, the key): what must go before it can.
pub fn references_from_others<'db>(
    db: &'db Database,
    table: &TableSchema,
) -> Vec<(&'db str, ForeignKey)> {
    db.references_to(table.id)
        .into_iter()
        .filter(|(referencing, _)| *referencing != table.id)
        .map(|(referencing, key)| (db.table(referencing).schema().name.as_str(), key))
        .collect()
}

/// The foreign keys of tables not in `dropping` that reference table `name`
/// (DROP TABLE), as (the referencing table's name, the key's name).
pub fn keys_referencing(db: &Database, name: &str, dropping: &[String]) -> Vec<(String, String)> {
    let Some(table) = db.get_table(name) else {
        return Vec::new();
    };
    references_from_others(db, table.schema())
        .into_iter()
        .filter(|(referencing, _)| !dropping.iter().any(|d| d == referencing))
        .map(|(referencing, key)| (referencing.to_owned(), key.name))
        .collect()
}

/// PostgreSQL's DETAIL lines for the foreign keys of tables not in
/// `dropping` that reference table `name`: what a `DROP TABLE` without
/// CASCADE is refused for.
pub fn drop_lines(db: &Database, name: &str, dropping: &[String]) -> Vec<String> {
    keys_referencing(db, name, dropping)
        .into_iter()
        .map(|(referencing, key)| {
            format!("constraint {key} on table {referencing} depends on table {name}")
        })
        .collect()
}

/// The foreign keys that reference `columns` of table `schema`, those of its
/// primary key or index `dropping`, and would have no key left to reference
/// without it: none if another unique index, or the primary key, has the same
/// columns (a plain index never backs a key). As (the referencing table's
/// name, the key's name).
pub fn keys_on(
    db: &Database,
    schema: &TableSchema,
    dropping: &str,
    columns: &[usize],
) -> Vec<(String, String)> {
    let sorted_of = |columns: &[usize]| {
        let mut sorted = columns.to_vec();
        sorted.sort_unstable();
        sorted
    };
    let sorted = sorted_of(columns);
    let primary_key_stays = schema
        .primary_key
        .as_deref()
        .is_some_and(|key| schema.primary_key_name() != dropping && sorted_of(key) == sorted);
    let index_stays = db.table(schema.id).indexes().iter().any(|index| {
        let index = &index.schema;
        index.unique && index.name != dropping && sorted_of(&index.columns) == sorted
    });
    if primary_key_stays || index_stays {
        return Vec::new();
    }
    db.references_to(schema.id)
        .into_iter()
        .filter(|(_, key)| {
            let mut referenced = key.referenced_columns.clone();
            referenced.sort_unstable();
            referenced == sorted
        })
        .map(|(referencing, key)| (db.table(referencing).schema().name.clone(), key.name))
        .collect()
}

/// 2BP01 naming `object` if a foreign key references `columns` of table
/// `schema`, the columns of its key or unique index `index` that a statement
/// would drop.
pub fn refuse_dropping_key(
    db: &Database,
    schema: &TableSchema,
    index: &str,
    columns: &[usize],
    object: String,
) -> Result<(), SqlError> {
    let lines: Vec<String> = keys_on(db, schema, index, columns)
        .into_iter()
        .map(|(referencing, key)| {
            format!("constraint {key} on table {referencing} depends on index {index}")
        })
        .collect();
    super::refuse_if_depended_on(object, lines)
}

/// The tables that reference the tables `truncating` through foreign keys,
/// and those that reference them, and so on: what `TRUNCATE … CASCADE`
/// truncates with them, in the order found.
pub fn truncated_with(db: &Database, truncating: &[String]) -> Vec<String> {
    let mut all: Vec<String> = truncating.to_vec();
    let mut added = Vec::new();
    let mut i = 0;
    while i < all.len() {
        if let Some(table) = db.get_table(&all[i]) {
            for (referencing, _) in references_from_others(db, table.schema()) {
                if !all.iter().any(|t| t == referencing) {
                    all.push(referencing.to_owned());
                    added.push(referencing.to_owned());
                }
            }
        }
        i += 1;
    }
    added
}

/// 0A000 if a foreign key of a table not in `truncating` references table
/// `name`, as PostgreSQL refuses TRUNCATE then (whether or not a row does).
pub fn refuse_truncate(db: &Database, name: &str, truncating: &[String]) -> Result<(), SqlError> {
    let Some(table) = db.get_table(name) else {
        return Ok(());
    };
    let others = references_from_others(db, table.schema());
    match others
        .iter()
        .find(|(referencing, _)| !truncating.iter().any(|t| t == referencing))
    {
        None => Ok(()),
        Some((referencing, _)) => Err(SqlError::TruncateReferenced {
            referencing: referencing.to_string(),
            detail: format!("Table \"{referencing}\" references \"{name}\"."),
        }),
    }
}

/// `SET CONSTRAINTS { ALL | names } { DEFERRED | IMMEDIATE }` on `modes`, with
/// PostgreSQL's errors: 42704 for a name no constraint has, 42809 for one that
/// is not deferrable (a foreign key not declared DEFERRABLE, a CHECK, a primary
/// key, a UNIQUE constraint). A name stands for every constraint of that name,
/// whatever its table; `public.` before it changes nothing.
pub fn set_constraint_modes(
    db: &Database,
    modes: &mut ConstraintModes,
    names: Option<&[String]>,
    deferred: bool,
) -> Result<(), SqlError> {
    let Some(names) = names else {
        modes.set_all(deferred);
        return Ok(());
    };
    for name in names {
        let name = name.strip_prefix("public.").unwrap_or(name);
        let mut found = false;
        for table in db.tables() {
            let schema = table.schema();
            if !table_constraint_names(db, schema).iter().any(|n| n == name) {
                continue;
            }
            let deferrable = schema
                .foreign_keys
                .iter()
                .any(|key| key.name == name && key.deferrable);
            if !deferrable {
                return Err(SqlError::WrongObjectType(format!(
                    "constraint \"{name}\" is not deferrable"
                )));
            }
            found = true;
        }
        if !found {
            return Err(SqlError::UndefinedObject(format!(
                "constraint \"{name}\" does not exist"
            )));
        }
        modes.set(name, deferred);
    }
    Ok(())
}
