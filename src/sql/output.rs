//! What a statement produces, in the terms the wire layer sends.

use std::sync::Arc;

use crate::types::{DataType, Value};

/// One result column, as a RowDescription field describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnInfo {
    pub name: String,
    pub data_type: DataType,
    /// The OID of the table the column comes from, or 0 for a computed column.
    pub table_oid: u32,
    /// The column's position (1-based) in that table, or 0.
    pub column_number: i16,
}

impl ColumnInfo {
    /// A computed column: no source table.
    pub fn computed(name: impl Into<String>, data_type: DataType) -> ColumnInfo {
        ColumnInfo {
            name: name.into(),
            data_type,
            table_oid: 0,
            column_number: 0,
        }
    }
}

/// The parameters a statement takes and the columns it returns, known before it
/// runs (the answer to Describe). No columns means the statement returns no rows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Description {
    pub params: Vec<DataType>,
    pub columns: Vec<ColumnInfo>,
}

/// The outcome of one statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Rows, materialized, and the command tag to end them with (`SELECT 3`,
    /// `INSERT 0 2` for `INSERT … RETURNING`).
    Rows {
        columns: Arc<Vec<ColumnInfo>>,
        rows: Vec<Vec<Value>>,
        tag: CommandTag,
    },
    /// A command without rows.
    Command(CommandTag),
}

/// A CommandComplete tag: the command's name and, for commands that count rows,
/// the count (`INSERT` gets PostgreSQL's extra `0` OID field).
#[derive(Debug, Clone, PartialEq)]
pub struct CommandTag {
    pub command: &'static str,
    pub rows: Option<usize>,
}

impl CommandTag {
    pub fn new(command: &'static str) -> CommandTag {
        CommandTag {
            command,
            rows: None,
        }
    }

    pub fn with_rows(command: &'static str, rows: usize) -> CommandTag {
        CommandTag {
            command,
            rows: Some(rows),
        }
    }
}
