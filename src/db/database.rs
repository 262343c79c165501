//! The `Database`: every table, index and view, and lookups by name and id.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use parking_lot::Mutex;

use super::sequence::{Sequence, Touched};
use super::{
    CheckEvaluator, DbError, RoutineSchema, Table, TableId, TableSchema, ViewSchema, WriteTxn,
};

/// Every table, index and view: the one structure behind the global lock.
#[derive(Debug, Default)]
pub struct Database {
    /// Every table by id; ids order tables by creation.
    pub(super) tables: BTreeMap<TableId, Table>,
    /// Table names to ids. Tables, indexes and views share one namespace, as
    /// relations do in PostgreSQL's `pg_class`.
    pub(super) table_names: HashMap<String, TableId>,
    /// Views by name (their names are in the same namespace as tables).
    pub(super) views: BTreeMap<String, ViewSchema>,
    /// Sequences by name (in the same namespace as tables).
    pub(super) sequences: BTreeMap<String, Sequence>,
    /// The sequences the running write transaction has advanced or set, each
    /// with its state before the first change: what the transaction logs when it
    /// ends (see `sequence`). Empty between transactions.
    pub(super) touched_sequences: Mutex<Vec<Touched>>,
    /// How many times a sequence has moved since the server started: a
    /// transaction block tells by it whether a statement drew a value.
    pub(super) sequence_moves: AtomicU64,
    /// The reducers and views of the loaded modules, by name (a namespace of its
    /// own, as functions are in PostgreSQL). Not data: see [`RoutineSchema`].
    pub(super) routines: BTreeMap<String, Arc<RoutineSchema>>,
    /// The id the next created table gets. Ids are never reused once committed
    /// (a rolled-back `CREATE TABLE` gives its id back; nothing outside the
    /// transaction ever saw it).
    pub(super) next_table_id: TableId,
    /// Incremented by every schema change, so that anything derived from the
    /// catalog (a cached plan, a prepared statement's description) can tell it is stale.
    pub(super) catalog_version: u64,
    /// True while a write transaction is open on the database, which then holds
    /// the write lock: only then may sequences move (see `sequence`).
    pub(super) in_write_transaction: bool,
    /// How many committed transactions have changed the schema. Unlike
    /// `catalog_version`, a rolled-back change does not count, so a transaction
    /// block can tell at COMMIT whether the schema it ran against is still the one
    /// committed (see `sql::block`).
    pub(super) schema_commits: u64,
    /// How many transactions have committed: while it stays the same, nothing
    /// anyone read has changed (a transaction block confirms its reads only when
    /// it moved, see `sql::block`).
    pub(super) commits: u64,
    /// Decides whether rows keep their table's CHECK constraints (see `check`).
    pub(super) check_evaluator: Option<Arc<dyn CheckEvaluator>>,
}

impl Database {
    pub fn new() -> Database {
        Database {
            // Start above PostgreSQL's reserved OIDs so a table id can double as a
            // `pg_class` OID without colliding with a built-in one.
            next_table_id: 16384,
            ..Database::default()
        }
    }

    /// Opens a write transaction. Only the holder of the turnstile's write lock
    /// calls this (its writer thread, or a session's task with a short write).
    pub fn begin_write(&mut self) -> WriteTxn<'_> {
        WriteTxn::begin(self)
    }

    /// True while a write transaction is open, under the write lock.
    pub fn in_write_transaction(&self) -> bool {
        self.in_write_transaction
    }

    /// How many committed transactions have changed the schema.
    pub fn schema_commits(&self) -> u64 {
        self.schema_commits
    }

    /// How many transactions have committed.
    pub fn commits(&self) -> u64 {
        self.commits
    }

    pub fn catalog_version(&self) -> u64 {
        self.catalog_version
    }

    /// The table called `name`.
    pub fn get_table(&self, name: &str) -> Option<&Table> {
        self.table_names.get(name).map(|id| &self.tables[id])
    }

    /// The table called `name`, or 42P01.
    pub fn must_get_table(&self, name: &str) -> Result<&Table, DbError> {
        self.get_table(name)
            .ok_or_else(|| DbError::UndefinedTable(name.to_owned()))
    }

    /// The table with id `id`, if it exists.
    pub fn find_table(&self, id: TableId) -> Option<&Table> {
        self.tables.get(&id)
    }

    /// The table with id `id`. Ids come from this database's own catalog, so a
    /// missing one is a bug.
    pub fn table(&self, id: TableId) -> &Table {
        self.tables
            .get(&id)
            .expect("table ids refer to existing tables")
    }

    pub(super) fn table_mut(&mut self, id: TableId) -> &mut Table {
        self.tables
            .get_mut(&id)
            .expect("table ids refer to existing tables")
    }

    /// Every table, in creation order.
    pub fn tables(&self) -> impl Iterator<Item = &Table> + '_ {
        self.tables.values()
    }

    pub fn get_view(&self, name: &str) -> Option<&ViewSchema> {
        self.views.get(name)
    }

    pub fn views(&self) -> impl Iterator<Item = &ViewSchema> + '_ {
        self.views.values()
    }

    /// The reducer or view called `name`.
    pub fn get_routine(&self, name: &str) -> Option<&Arc<RoutineSchema>> {
        self.routines.get(name)
    }

    /// Every reducer and view, by name.
    pub fn routines(&self) -> impl Iterator<Item = &Arc<RoutineSchema>> + '_ {
        self.routines.values()
    }

    /// The table that owns the index called `name`, and the index's position.
    pub fn get_index(&self, name: &str) -> Option<(&Table, usize)> {
        self.tables.values().find_map(|t| {
            let position = t.indexes().iter().position(|i| i.schema.name == name)?;
            Some((t, position))
        })
    }

    /// Gives table `schema.id` the schema `schema`, which keeps its row layout (a
    /// rename of it or of a column, a column's NOT NULL), and its new name if it
    /// has one; returns the schema it had.
    pub(super) fn set_table_schema(&mut self, schema: Arc<TableSchema>) -> Arc<TableSchema> {
        let id = schema.id;
        let name = schema.name.clone();
        let old = self.table_mut(id).set_schema(schema);
        if old.name != name {
            self.table_names.remove(&old.name);
            self.table_names.insert(name, id);
        }
        old
    }

    /// Recreates a table from its schema (recovery), keeping its id and the id
    /// counter above it.
    pub(super) fn restore_table(&mut self, schema: TableSchema) {
        self.next_table_id = self.next_table_id.max(schema.id + 1);
        self.table_names.insert(schema.name.clone(), schema.id);
        self.tables.insert(schema.id, Table::new(schema));
    }

    /// Fails with 42P07 if a table, index, view or sequence is already called
    /// `name`.
    pub fn check_name_free(&self, name: &str) -> Result<(), DbError> {
        let primary_key_taken = self
            .tables
            .values()
            .any(|t| t.schema().primary_key.is_some() && t.schema().primary_key_name() == name);
        if self.table_names.contains_key(name)
            || self.views.contains_key(name)
            || self.sequences.contains_key(name)
            || self.get_index(name).is_some()
            || primary_key_taken
        {
            return Err(DbError::DuplicateRelation(name.to_owned()));
        }
        Ok(())
    }
}
