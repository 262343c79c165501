//! Schemas: what tables, indexes and views exist and what they look like.
//!
//! Schemas are plain data owned by the [`Database`](super::Database). Default
//! expressions and view bodies are kept as SQL text: the store never evaluates SQL,
//! the SQL layer parses and binds them when it uses them (and the WAL can log them
//! as they are).

use crate::types::DataType;

/// A table's identity, stable for its lifetime and never reused by the process.
pub type TableId = u32;

/// One column of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnSchema {
    /// The column name, already case-folded by the SQL layer.
    pub name: String,
    pub data_type: DataType,
    /// False for `NOT NULL` and primary key columns; the store enforces it (23502).
    pub nullable: bool,
    /// The `DEFAULT` expression as SQL text, evaluated by the SQL layer on insert.
    pub default: Option<String>,
}

/// A table's shape and constraints.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSchema {
    pub id: TableId,
    pub name: String,
    pub columns: Vec<ColumnSchema>,
    /// The primary key's column positions, if the table has one. Without one, rows
    /// are keyed by a hidden, increasing row id.
    pub primary_key: Option<Vec<usize>>,
    /// The primary key constraint's name where it is not `<table>_pkey`: given
    /// (`CONSTRAINT name PRIMARY KEY`), or the free name chosen because that one
    /// was taken, as PostgreSQL chooses.
    pub primary_key_constraint: Option<String>,
}

impl TableSchema {
    /// The position of the column called `name`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The column types in order, the layout of every stored row.
    pub fn column_types(&self) -> Vec<DataType> {
        self.columns.iter().map(|c| c.data_type).collect()
    }

    /// The primary key constraint's name (and its index's): PostgreSQL's
    /// `<table>_pkey` unless another was given or chosen.
    pub fn primary_key_name(&self) -> String {
        match &self.primary_key_constraint {
            Some(name) => name.clone(),
            None => TableSchema::default_primary_key_name(&self.name),
        }
    }

    /// The name PostgreSQL gives table `table`'s primary key when it is free.
    pub fn default_primary_key_name(table: &str) -> String {
        format!("{table}_pkey")
    }
}

/// A secondary index: unique or not, over one or more columns.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexSchema {
    pub name: String,
    pub table: TableId,
    /// Column positions in the indexed table, in index order.
    pub columns: Vec<usize>,
    /// Unique indexes refuse a second row with the same non-NULL key (23505); as in
    /// PostgreSQL, keys containing NULL never conflict.
    pub unique: bool,
    /// True for the unique index of a `UNIQUE` constraint of CREATE TABLE, which
    /// PostgreSQL lists as a constraint (`pg_constraint`, information_schema);
    /// false for `CREATE [UNIQUE] INDEX`, which is an index only.
    pub constraint: bool,
}

/// A plain view: a named query expanded where it is used.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewSchema {
    pub name: String,
    /// The view's `SELECT` as SQL text.
    pub query: String,
    /// Column names given in `CREATE VIEW v (a, b)`, or empty to use the query's.
    pub column_names: Vec<String>,
}

/// Whether a routine is a reducer (called with `CALL`, writes under the write lock)
/// or a view (a read-only table function, `SELECT … FROM name(args)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoutineKind {
    Reducer,
    View,
}

/// A parameter of a routine, or a column of a view's result.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutineColumn {
    pub name: String,
    pub data_type: DataType,
    /// Whether the module accepts NULL here (an argument) or may return it (a
    /// view's column); the host holds it to that.
    pub nullable: bool,
}

/// A reducer or view of a loaded module: what SQL needs to bind a call to it.
///
/// Routines are not data: they come with the module the server loads at start and
/// are installed in the catalog then (see `WriteTxn::install_routines`), never
/// logged or snapshotted, so a restart with another module shows that module's.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutineSchema {
    pub name: String,
    pub kind: RoutineKind,
    pub params: Vec<RoutineColumn>,
    /// A view's result columns; empty for a reducer.
    pub returns: Vec<RoutineColumn>,
    /// The module that implements it.
    pub module: String,
    /// Its position in the module's list of reducers or of views: the id the host
    /// calls it by.
    pub id: u32,
}
