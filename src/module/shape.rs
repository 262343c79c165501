//! What a module expects of the catalog, checked when it loads and again whenever
//! the catalog has changed since: every table it declares must exist with exactly
//! the columns, types, nullability and primary key its row types encode.

use std::sync::Arc;

use super::abi::{Column, Description, Function, TableUse};
use super::ModuleError;
use crate::db::{Database, RoutineColumn, RoutineKind, RoutineSchema, TableId, TableSchema};
use crate::types::DataType;

/// A module's expectations of the catalog.
#[derive(Debug)]
pub struct ModuleShape {
    pub module: String,
    pub tables: Vec<TableUse>,
}

impl ModuleShape {
    /// The ids of the declared tables, in handle order, or the first mismatch.
    pub fn resolve(&self, db: &Database) -> Result<Arc<[TableId]>, ModuleError> {
        self.tables
            .iter()
            .map(|expected| {
                let mismatch = |what: String| ModuleError::TableMismatch {
                    module: self.module.clone(),
                    table: expected.name.clone(),
                    what,
                };
                let table = db
                    .get_table(&expected.name)
                    .ok_or_else(|| mismatch("the table does not exist".into()))?;
                check_table(table.schema(), expected).map_err(mismatch)?;
                Ok(table.schema().id)
            })
            .collect()
    }
}

/// Compares a table with what the module expects of it; the message names the
/// column or constraint that differs.
fn check_table(schema: &TableSchema, expected: &TableUse) -> Result<(), String> {
    if schema.columns.len() != expected.columns.len() {
        return Err(format!(
            "the table has {} columns ({}), the module's row type has {} ({})",
            schema.columns.len(),
            column_list(schema.columns.iter().map(|c| c.name.as_str())),
            expected.columns.len(),
            column_list(expected.columns.iter().map(|c| c.name.as_str())),
        ));
    }
    for (i, (column, wanted)) in schema.columns.iter().zip(&expected.columns).enumerate() {
        if column.name != wanted.name {
            return Err(format!(
                "column {} is {}, the module expects {} there",
                i + 1,
                column.name,
                wanted.name
            ));
        }
        let compatible = match (column.data_type, wanted.data_type) {
            (DataType::Varchar(_), DataType::Text) => true,
            (actual, wanted) => actual == wanted,
        };
        if !compatible {
            return Err(format!(
                "column {} is {}, the module expects {}",
                column.name, column.data_type, wanted.data_type
            ));
        }
        if column.nullable && !wanted.nullable {
            return Err(format!(
                "column {} may be NULL, the module's field for it may not (use an Option)",
                column.name
            ));
        }
    }
    let primary_key: Vec<usize> = expected.primary_key.iter().map(|&c| c as usize).collect();
    if schema.primary_key.clone().unwrap_or_default() != primary_key {
        return Err(format!(
            "the primary key is ({}), the module expects ({})",
            column_list(
                schema
                    .primary_key
                    .iter()
                    .flatten()
                    .map(|&c| schema.columns[c].name.as_str())
            ),
            column_list(
                primary_key
                    .iter()
                    .filter_map(|&c| expected.columns.get(c))
                    .map(|c| c.name.as_str())
            ),
        ));
    }
    Ok(())
}

fn column_list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names.collect::<Vec<_>>().join(", ")
}

/// The catalog entries of a module's reducers and views.
pub fn routines(module: &str, description: &Description) -> Vec<RoutineSchema> {
    let entry = |kind, (id, function): (usize, &Function)| RoutineSchema {
        name: function.name.clone(),
        kind,
        params: routine_columns(&function.params),
        returns: routine_columns(&function.returns),
        module: module.to_owned(),
        id: id as u32,
    };
    let reducers = description.reducers.iter().enumerate();
    let views = description.views.iter().enumerate();
    reducers
        .map(|r| entry(RoutineKind::Reducer, r))
        .chain(views.map(|v| entry(RoutineKind::View, v)))
        .collect()
}

fn routine_columns(columns: &[Column]) -> Vec<RoutineColumn> {
    columns
        .iter()
        .map(|c| RoutineColumn {
            name: c.name.clone(),
            data_type: c.data_type,
            nullable: c.nullable,
        })
        .collect()
}
