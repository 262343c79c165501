//! What a statement produces, in the terms the wire layer sends: rows or a command
//! tag, and the notices (NOTICE and WARNING messages) to send before the tag.

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

/// True if the result columns of a run (`now`, planned again after the schema
/// changed) still match the RowDescription the client got (`described`): same names
/// and wire types, as PostgreSQL 15 compares them (a renamed column is a change
/// too). Wire types, because a column described as unknown was sent as text and is
/// text when it runs. Source table OIDs may differ: a table recreated alike is fine.
pub fn same_result_type(now: &[ColumnInfo], described: &[ColumnInfo]) -> bool {
    let wire_type = |ty: DataType| match ty {
        DataType::Unknown => DataType::Text,
        other => other,
    };
    now.len() == described.len()
        && now
            .iter()
            .zip(described)
            .all(|(a, b)| a.name == b.name && wire_type(a.data_type) == wire_type(b.data_type))
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

impl Output {
    /// Adds `notices` to those the wire layer sends before the output's end.
    pub fn add_notices(&mut self, notices: Vec<Notice>) {
        if notices.is_empty() {
            return;
        }
        match self {
            Output::Command(tag) | Output::Rows { tag, .. } => tag.notices.extend(notices),
        }
    }

    /// Takes the notices out of the output's tag, for the wire layer to send first.
    pub fn take_notices(&mut self) -> Vec<Notice> {
        match self {
            Output::Command(tag) | Output::Rows { tag, .. } => std::mem::take(&mut tag.notices),
        }
    }
}

/// A CommandComplete tag: the command's name and, for commands that count rows,
/// the count (`INSERT` gets PostgreSQL's extra `0` OID field), with the notices the
/// command raised.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandTag {
    pub command: &'static str,
    pub rows: Option<usize>,
    /// Sent as NoticeResponses, in order, before the CommandComplete. Kept on the
    /// tag because every output, rows or not, ends with one; empty (no allocation)
    /// for almost every statement.
    pub notices: Vec<Notice>,
}

impl CommandTag {
    pub fn new(command: &'static str) -> CommandTag {
        CommandTag {
            command,
            rows: None,
            notices: Vec::new(),
        }
    }

    pub fn with_rows(command: &'static str, rows: usize) -> CommandTag {
        CommandTag {
            command,
            rows: Some(rows),
            notices: Vec::new(),
        }
    }

    /// The same tag with `notice` sent before it.
    pub fn with_notice(mut self, notice: Notice) -> CommandTag {
        self.notices.push(notice);
        self
    }
}

/// How serious a [`Notice`] is: PostgreSQL's NOTICE or WARNING severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Notice,
    Warning,
}

impl Severity {
    /// The severity as the NoticeResponse's `S` and `V` fields spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Notice => "NOTICE",
            Severity::Warning => "WARNING",
        }
    }
}

/// A message that is not an error: the statement succeeded, and the client is told
/// something it may want to know (psql prints it; drivers hand it to a callback).
/// One variant per message, so the severity and SQLSTATE are fixed by the type and
/// match PostgreSQL's.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    /// `DROP … IF EXISTS` of an object that is not there. `kind` is `table`,
    /// `view` or `index`.
    DoesNotExistSkipping { kind: &'static str, name: String },
    /// `CREATE … IF NOT EXISTS` of a relation whose name is taken.
    AlreadyExistsSkipping(String),
    /// `CREATE EXTENSION IF NOT EXISTS` of a module that is loaded.
    ExtensionExistsSkipping(String),
    /// `CREATE SCHEMA IF NOT EXISTS` of a schema there is.
    SchemaExistsSkipping(String),
    /// `ALTER TABLE … DROP COLUMN IF EXISTS` or `DROP CONSTRAINT IF EXISTS` of
    /// one the table does not have. `kind` is `column` or `constraint`.
    OfRelationDoesNotExistSkipping {
        kind: &'static str,
        name: String,
        relation: String,
    },
    /// `ALTER TABLE … ADD COLUMN IF NOT EXISTS` of a column the table has.
    ColumnAlreadyExistsSkipping { name: String, relation: String },
    /// `TRUNCATE … CASCADE` truncating a table that references one named.
    TruncateCascades(String),
    /// `DROP … CASCADE` dropping these objects (or a column's default) first,
    /// named as PostgreSQL names them.
    DropCascades(Vec<String>),
    /// `BEGIN` inside a transaction block: it changes nothing.
    TransactionInProgress,
    /// `COMMIT` or `ROLLBACK` outside a transaction block: nothing to end.
    NoTransactionInProgress,
    /// `SET LOCAL` or `SET CONSTRAINTS` (the command) outside a transaction
    /// block: it would last no time at all.
    OnlyInBlock(&'static str),
    /// `pg_advisory_unlock` of a lock the session does not hold in that mode
    /// (PostgreSQL's name for the mode).
    DoNotOwnLock(&'static str),
    /// `pg_cancel_backend` or `pg_terminate_backend` of a pid no session has.
    NotABackend(i64),
}

impl Notice {
    pub fn severity(&self) -> Severity {
        match self {
            Notice::DoesNotExistSkipping { .. }
            | Notice::AlreadyExistsSkipping(_)
            | Notice::ExtensionExistsSkipping(_)
            | Notice::SchemaExistsSkipping(_)
            | Notice::OfRelationDoesNotExistSkipping { .. }
            | Notice::ColumnAlreadyExistsSkipping { .. }
            | Notice::TruncateCascades(_)
            | Notice::DropCascades(_) => Severity::Notice,
            Notice::TransactionInProgress
            | Notice::NoTransactionInProgress
            | Notice::OnlyInBlock(_)
            | Notice::DoNotOwnLock(_)
            | Notice::NotABackend(_) => Severity::Warning,
        }
    }

    /// The DETAIL that goes with the message, if any: each object a `DROP …
    /// CASCADE` of several dropped, a line each.
    pub fn detail(&self) -> Option<String> {
        match self {
            Notice::DropCascades(objects) if objects.len() > 1 => Some(
                objects
                    .iter()
                    .map(|object| format!("drop cascades to {object}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            _ => None,
        }
    }

    /// PostgreSQL's SQLSTATE for the message (00000 is "successful completion").
    pub fn sqlstate(&self) -> &'static str {
        match self {
            Notice::DoesNotExistSkipping { .. }
            | Notice::OfRelationDoesNotExistSkipping { .. }
            | Notice::TruncateCascades(_)
            | Notice::DropCascades(_) => "00000",
            Notice::AlreadyExistsSkipping(_) => "42P07",
            Notice::ExtensionExistsSkipping(_) => "42710",
            Notice::SchemaExistsSkipping(_) => "42P06",
            Notice::ColumnAlreadyExistsSkipping { .. } => "42701",
            Notice::TransactionInProgress => "25001",
            Notice::NoTransactionInProgress | Notice::OnlyInBlock(_) => "25P01",
            Notice::DoNotOwnLock(_) | Notice::NotABackend(_) => "01000",
        }
    }
}

impl std::fmt::Display for Notice {
    /// The message text, PostgreSQL's word for word.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Notice::DoesNotExistSkipping { kind, name } => {
                write!(f, "{kind} \"{name}\" does not exist, skipping")
            }
            Notice::AlreadyExistsSkipping(name) => {
                write!(f, "relation \"{name}\" already exists, skipping")
            }
            Notice::ExtensionExistsSkipping(name) => {
                write!(f, "extension \"{name}\" already exists, skipping")
            }
            Notice::SchemaExistsSkipping(name) => {
                write!(f, "schema \"{name}\" already exists, skipping")
            }
            Notice::OfRelationDoesNotExistSkipping {
                kind,
                name,
                relation,
            } => write!(
                f,
                "{kind} \"{name}\" of relation \"{relation}\" does not exist, skipping"
            ),
            Notice::ColumnAlreadyExistsSkipping { name, relation } => write!(
                f,
                "column \"{name}\" of relation \"{relation}\" already exists, skipping"
            ),
            Notice::TruncateCascades(table) => write!(f, "truncate cascades to table \"{table}\""),
            Notice::DropCascades(objects) => match objects.as_slice() {
                [object] => write!(f, "drop cascades to {object}"),
                _ => write!(f, "drop cascades to {} other objects", objects.len()),
            },
            Notice::TransactionInProgress => {
                f.write_str("there is already a transaction in progress")
            }
            Notice::NoTransactionInProgress => f.write_str("there is no transaction in progress"),
            Notice::OnlyInBlock(command) => {
                write!(f, "{command} can only be used in transaction blocks")
            }
            Notice::DoNotOwnLock(mode) => write!(f, "you don't own a lock of type {mode}"),
            Notice::NotABackend(pid) => write!(f, "PID {pid} is not a PostgreSQL backend process"),
        }
    }
}
