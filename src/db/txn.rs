//! Write transactions: every change goes through here, with its undo.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::catalog::{ColumnSchema, IndexSchema, RoutineSchema, TableId, TableSchema, ViewSchema};
use super::foreign_key::Pending;
use super::key::Key;
use super::redo::{Redo, RedoOp};
use super::row::Row;
use super::sequence::{Sequence, SequenceSchema, SequenceState, SequenceStorage};
use super::table::{Index, Table, TableContents};
use super::{Database, DbError};
use crate::types::Value;
use crate::wal::{Wal, WalError};

/// What must be done to take one change back. Applied newest first on rollback.
#[derive(Debug)]
enum Undo {
    Insert {
        table: TableId,
        key: Key,
    },
    Update {
        table: TableId,
        new_key: Key,
        old_key: Key,
        old: Row,
    },
    Delete {
        table: TableId,
        key: Key,
        old: Row,
    },
    CreateTable {
        table: TableId,
    },
    DropTable {
        table: Box<Table>,
    },
    CreateIndex {
        table: TableId,
        name: String,
    },
    DropIndex {
        table: TableId,
        position: usize,
        index: Box<Index>,
    },
    Truncate {
        table: TableId,
        contents: TableContents,
    },
    CreateView {
        name: String,
    },
    DropView {
        view: ViewSchema,
    },
    InstallRoutines {
        previous: BTreeMap<String, Arc<RoutineSchema>>,
    },
    CreateSequence {
        name: String,
    },
    DropSequence {
        sequence: Box<Sequence>,
    },
    /// `ALTER SEQUENCE`: the sequence now called `name` was `previous`; with
    /// `SequenceStorage::Same`, where it stands now stays.
    AlterSequence {
        name: String,
        previous: Box<Sequence>,
        storage: SequenceStorage,
    },
    SetColumnDefault {
        table: TableId,
        column: usize,
        previous: Option<String>,
    },
    /// `ADD PRIMARY KEY`, `ADD COLUMN` or `DROP COLUMN` rebuilt the table: the
    /// table as it was.
    ReplaceTable {
        table: Box<Table>,
    },
    /// `ALTER TABLE` changed a schema but not the rows: the schema as it was.
    AlterTable {
        schema: Arc<TableSchema>,
    },
    /// A sequence whose state changes with the transaction (see
    /// [`WriteTxn::restart_sequence`]) was set: its state before.
    SequenceState {
        name: String,
        before: SequenceState,
    },
}

/// One change as a statement made it, kept by a transaction block so that COMMIT
/// can make the same change again on the state committed by then (see
/// [`WriteTxn::replay`] and `sql::block`). Unlike a `RedoOp` it says whether a
/// row was inserted or updated, so a replay that finds the world changed under it
/// (the row gone, the key taken) fails instead of overwriting.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Insert {
        table: TableId,
        values: Vec<Value>,
    },
    Update {
        table: TableId,
        key: Key,
        values: Vec<Value>,
    },
    Delete {
        table: TableId,
        key: Key,
    },
    Truncate(TableId),
    CreateTable(TableSchema),
    DropTable(String),
    CreateIndex(IndexSchema),
    DropIndex(String),
    CreateView(ViewSchema),
    DropView(String),
    AddPrimaryKey {
        table: TableId,
        columns: Vec<usize>,
        name: Option<String>,
    },
    CreateSequence(SequenceSchema),
    DropSequence(String),
    /// `ALTER SEQUENCE` (see [`WriteTxn::alter_sequence`]).
    AlterSequence {
        name: String,
        schema: SequenceSchema,
        storage: SequenceStorage,
    },
    SetColumnDefault {
        table: TableId,
        column: usize,
        default: Option<String>,
    },
    /// `ALTER TABLE` that keeps the rows: a rename, a column's NOT NULL.
    AlterTable(TableSchema),
    AddColumn {
        table: TableId,
        column: ColumnSchema,
        fill: ColumnFill,
        /// The table's version when the values were made (see `replay`).
        version: u64,
    },
    DropColumn {
        table: TableId,
        column: usize,
    },
    DropPrimaryKey(TableId),
    AlterColumnType {
        table: TableId,
        position: usize,
        column: ColumnSchema,
        /// The column's new value in each row, in key order.
        values: Vec<Value>,
        /// The table's version when the values were made (see `replay`).
        version: u64,
    },
    /// Where a sequence the block created stands after the statement: a
    /// sequence that existed before the block changes outside it (see
    /// `db::sequence`), one it created only with it.
    SetSequence {
        name: String,
        state: SequenceState,
    },
    /// `TRUNCATE … RESTART IDENTITY` restarted the sequence (see
    /// [`WriteTxn::restart_sequence`]); where it went from there follows as a
    /// `SetSequence`.
    RestartSequence(String),
}

/// What the rows a table had get in a column `ALTER TABLE … ADD COLUMN` adds:
/// its DEFAULT, evaluated once (or NULL), or, for a volatile one (`nextval`,
/// `random()`), evaluated for each row, in key order.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnFill {
    Same(Value),
    PerRow(Vec<Value>),
}

impl Change {
    /// True for a change of the schema rather than of rows.
    pub fn is_schema(&self) -> bool {
        !matches!(
            self,
            Change::Insert { .. }
                | Change::Update { .. }
                | Change::Delete { .. }
                | Change::Truncate(_)
                | Change::SetSequence { .. }
                | Change::RestartSequence(_)
        )
    }
}

/// A write transaction in progress on the database, under the write lock.
///
/// Changes are made in place, so the transaction reads its own writes through
/// [`WriteTxn::db`]; each one records its undo first. [`WriteTxn::commit`] keeps
/// them, [`WriteTxn::rollback`] undoes them all, newest first, restoring the database
/// to exactly the state it had at the start. Dropping a transaction without either
/// rolls it back, so that a panic unwinding through a statement changes nothing.
pub struct WriteTxn<'db> {
    pub(super) db: &'db mut Database,
    undo: Vec<Undo>,
    /// The changes as the log will replay them, collected alongside the undo.
    redo: Redo,
    /// The changes as a transaction block replays them; None (the usual case)
    /// records nothing. See [`WriteTxn::record_changes`].
    changes: Option<Vec<Change>>,
    /// The sequences whose states change with this transaction, not outside
    /// it (see `db::sequence`): those it created, and those it restarted
    /// ([`WriteTxn::restart_sequence`]).
    /// By id: a name may be dropped, or renamed away, and then name another.
    transactional_sequences: Vec<TableId>,
    /// The references its writes may have broken, checked when the statement
    /// or the transaction ends (see `foreign_key`).
    pub(super) pending_references: Vec<Pending>,
    /// True while [`WriteTxn::replay`] makes recorded changes again: those
    /// include what foreign keys' actions did, so the actions are not taken
    /// again.
    replaying: bool,
    finished: bool,
}

impl<'db> WriteTxn<'db> {
    pub(crate) fn begin(db: &'db mut Database) -> Self {
        db.in_write_transaction = true;
        WriteTxn {
            db,
            undo: Vec::new(),
            redo: Redo::default(),
            changes: None,
            transactional_sequences: Vec::new(),
            pending_references: Vec::new(),
            replaying: false,
            finished: false,
        }
    }

    /// From now on, also records every change as a [`Change`] (or stops, and
    /// drops what was recorded).
    pub fn record_changes(&mut self, on: bool) {
        self.changes = on.then(Vec::new);
    }

    /// The changes recorded since the last call (none if not recording), with
    /// the states of the sequences this transaction created or restarted and
    /// has moved.
    pub fn take_changes(&mut self) -> Vec<Change> {
        let Some(changes) = &mut self.changes else {
            return Vec::new();
        };
        for touched in self.db.touched_sequences.lock().iter() {
            let Some(sequence) = self.db.touched_sequence(touched) else {
                continue;
            };
            let schema = sequence.schema();
            if self.transactional_sequences.contains(&schema.id) {
                changes.push(Change::SetSequence {
                    name: schema.name.clone(),
                    state: sequence.state(),
                });
            }
        }
        std::mem::take(changes)
    }

    fn record(&mut self, change: impl FnOnce() -> Change) {
        if let Some(changes) = &mut self.changes {
            changes.push(change());
        }
    }

    /// The values a block's record of its changes keeps for the row just stored
    /// under `key`: the writer's, or decoded from the row; None when nothing is
    /// recorded (the usual case), and then nothing is decoded.
    fn values_to_record(
        &self,
        table: TableId,
        key: &Key,
        values: Option<Vec<Value>>,
    ) -> Option<Vec<Value>> {
        self.changes.as_ref()?;
        Some(values.unwrap_or_else(|| {
            let t = self.db.table(table);
            t.decode(t.get(key).expect("the row was just stored"))
        }))
    }

    /// Makes `change` again, with every check a first-time change gets. Ok(false)
    /// if the row an update or delete names is gone. What foreign keys' actions
    /// did is among the changes recorded, so they are not taken again: every
    /// reference is checked instead.
    ///
    /// `observed`: the client saw what came of the change as it was made, so it
    /// must be made exactly so. That matters for an `ALTER SEQUENCE` that kept
    /// the state it found: if the sequence has moved since, an observed one
    /// fails with [`DbError::SequenceMoved`] (the values drawn after it came
    /// from the old state, and someone else has drawn from there too), and
    /// any other keeps the state the sequence has now, as the ALTER run now
    /// would.
    pub fn replay(&mut self, change: &Change, observed: bool) -> Result<bool, DbError> {
        self.replaying = true;
        let result = self.make_again(change, observed);
        self.replaying = false;
        result
    }

    fn make_again(&mut self, change: &Change, observed: bool) -> Result<bool, DbError> {
        match change {
            Change::Insert { table, values } => {
                self.insert(*table, values.clone())?;
            }
            Change::Update { table, key, values } => {
                if self.db.table(*table).get(key).is_none() {
                    return Ok(false);
                }
                self.update(*table, key, values.clone())?;
            }
            Change::Delete { table, key } => return self.delete(*table, key),
            Change::Truncate(table) => self.truncate(*table),
            Change::CreateTable(schema) => {
                self.create_table(schema.clone())?;
            }
            Change::DropTable(name) => self.drop_table(name)?,
            Change::CreateIndex(schema) => self.create_index(schema.clone())?,
            Change::DropIndex(name) => self.drop_index(name)?,
            Change::CreateView(view) => self.create_view(view.clone())?,
            Change::DropView(name) => self.drop_view(name)?,
            Change::AddPrimaryKey {
                table,
                columns,
                name,
            } => self.add_primary_key(*table, columns.clone(), name.clone())?,
            Change::CreateSequence(schema) => {
                self.create_sequence(schema.clone())?;
            }
            Change::DropSequence(name) => self.drop_sequence(name)?,
            Change::AlterSequence {
                name,
                schema,
                storage,
            } => {
                let now = self.db.get_sequence(name).map(|s| s.state());
                let storage = match (storage, now) {
                    (SequenceStorage::Kept(then), Some(now)) if now != *then => {
                        if observed {
                            return Err(DbError::SequenceMoved(name.clone()));
                        }
                        SequenceStorage::Kept(now)
                    }
                    _ => *storage,
                };
                self.alter_sequence(name, schema.clone(), storage)?
            }
            Change::SetColumnDefault {
                table,
                column,
                default,
            } => self.set_column_default(*table, *column, default.clone()),
            Change::SetSequence { name, state } => self.set_sequence_state(name, *state)?,
            Change::RestartSequence(name) => self.restart_sequence(name)?,
            Change::AlterTable(schema) => self.alter_table(schema.clone())?,
            // Values made one per row fit only the rows they were made from: a
            // commit that changed the table since (its version moved) fails
            // the replay, as a row gone would.
            Change::AddColumn {
                table,
                column,
                fill,
                version,
            } => {
                let per_row = matches!(fill, ColumnFill::PerRow(_));
                if per_row && self.db.table(*table).version() != *version {
                    return Ok(false);
                }
                self.add_column(*table, column.clone(), fill.clone())?
            }
            Change::DropColumn { table, column } => self.drop_column(*table, *column)?,
            Change::DropPrimaryKey(table) => self.drop_primary_key(*table)?,
            Change::AlterColumnType {
                table,
                position,
                column,
                values,
                version,
            } => {
                if self.db.table(*table).version() != *version {
                    return Ok(false);
                }
                self.alter_column_type(*table, *position, column.clone(), values.clone())?
            }
        }
        Ok(true)
    }

    /// The database as this transaction sees it, its own changes included.
    pub fn db(&self) -> &Database {
        self.db
    }

    /// Keeps every change and returns their redo, for the write-ahead log.
    pub fn commit(mut self) -> Redo {
        self.log_touched_sequences();
        self.finish_commit()
    }

    fn finish_commit(&mut self) -> Redo {
        self.finished = true;
        self.undo.clear();
        self.db.touched_sequences.get_mut().clear();
        let redo = std::mem::take(&mut self.redo);
        self.db.note_commit(&redo);
        redo
    }

    /// Appends the redo to `wal` (if any), then keeps every change; returns the
    /// commit's LSN (none for a transaction that changed nothing). If the append
    /// fails (the log has failed), rolls back instead: nothing is kept that could
    /// not be made durable.
    pub fn commit_to(mut self, wal: Option<&Wal>) -> Result<Option<u64>, WalError> {
        self.log_touched_sequences();
        let (Some(wal), false) = (wal, self.redo.is_empty()) else {
            self.finish_commit();
            return Ok(None);
        };
        match wal.append(self.redo.payload()) {
            Ok(lsn) => {
                self.finish_commit();
                Ok(Some(lsn))
            }
            Err(error) => {
                self.rollback();
                Err(error)
            }
        }
    }

    /// Undoes every change, newest first, sequences included: for a transaction
    /// nothing of which may reach the log.
    pub fn rollback(mut self) {
        self.undo_all();
        self.finished = true;
    }

    /// Undoes every change but the sequences it moved, whose new states it
    /// appends to `wal` (if any) as a record of their own (see `db::sequence`).
    /// If that append fails, puts them back too.
    pub fn rollback_to(mut self, wal: Option<&Wal>) -> Result<(), WalError> {
        self.undo_changes();
        self.redo = Redo::default();
        self.log_touched_sequences();
        if let (Some(wal), false) = (wal, self.redo.is_empty()) {
            if let Err(error) = wal.append(self.redo.payload()) {
                self.rollback();
                return Err(error);
            }
        }
        self.finished = true;
        self.db.touched_sequences.get_mut().clear();
        Ok(())
    }

    /// Undoes every change, newest first, but the sequences' moves.
    fn undo_changes(&mut self) {
        while let Some(undo) = self.undo.pop() {
            self.db.apply_undo(undo);
        }
    }

    fn undo_all(&mut self) {
        self.undo_changes();
        let touched = std::mem::take(self.db.touched_sequences.get_mut());
        for touched in touched.iter().rev() {
            if let Some(sequence) = self.db.touched_sequence(touched) {
                sequence.set_state(touched.before);
            }
        }
    }

    /// Adds the states of the sequences this transaction moved, as they are now,
    /// to its redo (after the op that created one, if it did).
    fn log_touched_sequences(&mut self) {
        for touched in self.db.touched_sequences.lock().iter() {
            if let Some(sequence) = self.db.touched_sequence(touched) {
                self.redo.push(&RedoOp::SequenceState {
                    name: sequence.schema().name.clone(),
                    state: sequence.state(),
                });
            }
        }
    }

    /// The id the next table created gets (a table whose foreign key
    /// references itself names its own id).
    pub fn next_table_id(&self) -> TableId {
        self.db.next_table_id
    }

    /// Creates a table from `schema` (whose `id` is ignored and assigned here).
    /// 42P07 if the table's name or its primary key's is taken.
    pub fn create_table(&mut self, mut schema: TableSchema) -> Result<TableId, DbError> {
        self.db.check_name_free(&schema.name)?;
        if let Some(key) = &schema.primary_key {
            super::table::check_key_types(&schema, key)?;
            let key_name = schema.primary_key_name();
            if key_name == schema.name {
                return Err(DbError::DuplicateRelation(key_name));
            }
            self.db.check_name_free(&key_name)?;
        }
        schema.id = self.db.next_table_id;
        self.db.next_table_id += 1;
        let id = schema.id;
        self.db.table_names.insert(schema.name.clone(), id);
        self.redo.push(&RedoOp::CreateTable(schema.clone()));
        self.record(|| Change::CreateTable(schema.clone()));
        self.db.tables.insert(id, Table::new(schema));
        self.db.catalog_version += 1;
        self.undo.push(Undo::CreateTable { table: id });
        Ok(id)
    }

    pub fn drop_table(&mut self, name: &str) -> Result<(), DbError> {
        let id = *self
            .db
            .table_names
            .get(name)
            .ok_or_else(|| DbError::UndefinedTable(name.to_owned()))?;
        self.db.table_names.remove(name);
        let table = self.db.tables.remove(&id).expect("named tables exist");
        self.db.catalog_version += 1;
        self.redo.push(&RedoOp::DropTable(id));
        self.record(|| Change::DropTable(name.to_owned()));
        self.undo.push(Undo::DropTable {
            table: Box::new(table),
        });
        // Its columns' sequences go with it (a replay of the DROP drops them too).
        let owned: Vec<String> = self
            .db
            .sequences
            .values()
            .filter(|s| s.schema().owned_by.is_some_and(|(table, _)| table == id))
            .map(|s| s.schema().name.clone())
            .collect();
        for sequence in owned {
            self.remove_sequence(&sequence)?;
        }
        Ok(())
    }

    /// Creates and fills a secondary index (23505 if a unique one finds duplicates).
    pub fn create_index(&mut self, schema: IndexSchema) -> Result<(), DbError> {
        self.db.check_name_free(&schema.name)?;
        let (table, name) = (schema.table, schema.name.clone());
        self.db.table_mut(table).add_index(schema.clone())?;
        self.record(|| Change::CreateIndex(schema.clone()));
        self.redo.push(&RedoOp::CreateIndex(schema));
        self.db.catalog_version += 1;
        self.undo.push(Undo::CreateIndex { table, name });
        Ok(())
    }

    pub fn drop_index(&mut self, name: &str) -> Result<(), DbError> {
        let (table, position, index) = self
            .db
            .tables
            .iter_mut()
            .find_map(|(id, t)| t.take_index(name).map(|(pos, index)| (*id, pos, index)))
            .ok_or_else(|| DbError::UndefinedIndex(name.to_owned()))?;
        self.db.catalog_version += 1;
        self.redo.push(&RedoOp::DropIndex(name.to_owned()));
        self.record(|| Change::DropIndex(name.to_owned()));
        self.undo.push(Undo::DropIndex {
            table,
            position,
            index: Box::new(index),
        });
        Ok(())
    }

    pub fn create_view(&mut self, view: ViewSchema) -> Result<(), DbError> {
        self.db.check_name_free(&view.name)?;
        let name = view.name.clone();
        self.redo.push(&RedoOp::CreateView(view.clone()));
        self.record(|| Change::CreateView(view.clone()));
        self.db.views.insert(name.clone(), view);
        self.db.catalog_version += 1;
        self.undo.push(Undo::CreateView { name });
        Ok(())
    }

    pub fn drop_view(&mut self, name: &str) -> Result<(), DbError> {
        let view = self
            .db
            .views
            .remove(name)
            .ok_or_else(|| DbError::UndefinedView(name.to_owned()))?;
        self.db.catalog_version += 1;
        self.redo.push(&RedoOp::DropView(view.name.clone()));
        self.record(|| Change::DropView(view.name.clone()));
        self.undo.push(Undo::DropView { view });
        Ok(())
    }

    /// Gives a table the primary key `columns` (`ALTER TABLE … ADD PRIMARY KEY`),
    /// re-keying every row: 23502 for a NULL in a key column, 23505 for a
    /// duplicate key, 42P07 if the key's name (`name`, or `<table>_pkey`) is
    /// taken. The redo holds the new key and every row under it, so recovery
    /// needs no checks and is exact whatever a fuzzy snapshot copied of the table
    /// before or after.
    pub fn add_primary_key(
        &mut self,
        table: TableId,
        columns: Vec<usize>,
        name: Option<String>,
    ) -> Result<(), DbError> {
        let rebuilt = self
            .db
            .table(table)
            .with_primary_key(&columns, name.clone())?;
        self.db
            .check_name_free(&rebuilt.schema().primary_key_name())?;
        self.redo.push(&RedoOp::AddPrimaryKey {
            table,
            columns: columns.clone(),
            name: name.clone(),
        });
        self.replace_table(rebuilt);
        self.record(|| Change::AddPrimaryKey {
            table,
            columns,
            name,
        });
        Ok(())
    }

    /// Gives table `schema.id` the schema `schema`, keeping its rows and indexes
    /// (a rename of the table or of a column, a column's NOT NULL set or
    /// dropped, CHECK constraints added or dropped): the column types and the
    /// primary key must be the ones it has. 42P07 if a new name is taken, 23502
    /// if a column made NOT NULL holds a NULL, 23514 if a row breaks a new
    /// (validated) CHECK constraint. The SQL layer checks the rest (names, what
    /// depends on them).
    pub fn alter_table(&mut self, schema: TableSchema) -> Result<(), DbError> {
        let t = self.db.table(schema.id);
        let old = t.schema();
        if schema.name != old.name {
            self.db.check_name_free(&schema.name)?;
        }
        for (position, column) in schema.columns.iter().enumerate() {
            if !column.nullable && old.columns[position].nullable {
                t.check_no_nulls(position)?;
            }
        }
        let new_checks: Vec<_> = schema
            .checks
            .iter()
            .filter(|c| c.validated && !old.checks.contains(c))
            .collect();
        self.db.check_rows(t, &schema, &new_checks)?;
        for key in &schema.foreign_keys {
            if key.validated && !old.foreign_keys.contains(key) {
                for (_, row) in t.scan() {
                    self.db.check_referencing_values(t, key, &t.decode(row))?;
                }
            }
        }
        self.redo.push(&RedoOp::AlterTable(schema.clone()));
        self.record(|| Change::AlterTable(schema.clone()));
        let old = self.db.set_table_schema(Arc::new(schema));
        self.db.catalog_version += 1;
        self.undo.push(Undo::AlterTable { schema: old });
        Ok(())
    }

    /// Adds `column` after table `table`'s last column, each row getting its value
    /// from `fill`: 23502 if that is NULL in a NOT NULL column. The table is
    /// rebuilt, and logged as its new schema and every row (see
    /// `WriteTxn::install_rebuilt`).
    pub fn add_column(
        &mut self,
        table: TableId,
        column: ColumnSchema,
        fill: ColumnFill,
    ) -> Result<(), DbError> {
        let mut schema = self.db.table(table).schema().as_ref().clone();
        schema.columns.push(column.clone());
        let position = schema.columns.len() - 1;
        let version = self.rebuild_with_column(schema, position, &fill)?;
        self.record(|| Change::AddColumn {
            table,
            column,
            fill,
            version,
        });
        Ok(())
    }

    /// Gives column `position` of table `table` the definition `column` (a new
    /// type) and each row the value in `values` (one per row, in key order):
    /// every index on it is rebuilt, and checked, with the new values; 23502 and
    /// 23505 as an insert's. Logged as [`WriteTxn::add_column`] is.
    pub fn alter_column_type(
        &mut self,
        table: TableId,
        position: usize,
        column: ColumnSchema,
        values: Vec<Value>,
    ) -> Result<(), DbError> {
        let mut schema = self.db.table(table).schema().as_ref().clone();
        schema.columns[position] = column.clone();
        if let Some(key) = &schema.primary_key {
            super::table::check_key_types(&schema, key)?;
        }
        let fill = ColumnFill::PerRow(values);
        let version = self.rebuild_with_column(schema, position, &fill)?;
        let ColumnFill::PerRow(values) = fill else {
            unreachable!("made per row above")
        };
        self.record(|| Change::AlterColumnType {
            table,
            position,
            column,
            values,
            version,
        });
        Ok(())
    }

    /// Rebuilds table `schema.id` with `schema`, in which column `position` is
    /// either new (one past the table's columns) or replaced, its value in each
    /// row coming from `fill`. Returns the table's version (which a rebuild
    /// keeps).
    fn rebuild_with_column(
        &mut self,
        schema: TableSchema,
        position: usize,
        fill: &ColumnFill,
    ) -> Result<u64, DbError> {
        let t = self.db.table(schema.id);
        let adding = position == t.column_types().len();
        let indexes = t.indexes().iter().map(|i| i.schema.clone()).collect();
        let mut per_row = match fill {
            ColumnFill::Same(_) => None,
            ColumnFill::PerRow(values) => {
                assert_eq!(values.len(), t.len(), "a value for every row");
                Some(values.iter())
            }
        };
        let rebuilt = t.rebuilt(schema, indexes, |mut values| {
            let value = match (fill, &mut per_row) {
                (ColumnFill::Same(value), _) => value.clone(),
                (_, Some(next)) => next.next().expect("a value for every row").clone(),
                (ColumnFill::PerRow(_), None) => unreachable!("per-row values are iterated"),
            };
            if adding {
                values.push(value);
            } else {
                values[position] = value;
            }
            values
        })?;
        let version = rebuilt.version();
        self.install_rebuilt(rebuilt)?;
        Ok(version)
    }

    /// Drops column `column` of table `table`, with the indexes that include it
    /// (the primary key too, leaving the rows keyed by hidden row ids) and the
    /// sequences it owns, as PostgreSQL drops what depends on a column; the
    /// columns after it move one place down, in indexes and sequence owners too.
    /// The SQL layer refuses first what PostgreSQL refuses (a view or another
    /// column's DEFAULT that uses it).
    pub fn drop_column(&mut self, table: TableId, column: usize) -> Result<(), DbError> {
        let t = self.db.table(table);
        let mut schema = t.schema().as_ref().clone();
        schema.columns.remove(column);
        let moved = |c: usize| if c > column { c - 1 } else { c };
        let kept = |columns: &[usize]| -> Option<Vec<usize>> {
            (!columns.contains(&column)).then(|| columns.iter().map(|&c| moved(c)).collect())
        };
        schema.primary_key = schema.primary_key.as_deref().and_then(kept);
        if schema.primary_key.is_none() {
            schema.primary_key_constraint = None;
        }
        // Its own foreign keys on the column go (the SQL layer refuses to drop
        // a column another key references); the others' columns move.
        schema
            .foreign_keys
            .retain(|key| !key.columns.contains(&column));
        for key in &mut schema.foreign_keys {
            key.columns = kept(&key.columns).expect("kept above");
            if key.referenced_table == table {
                key.referenced_columns = key.referenced_columns.iter().map(|&c| moved(c)).collect();
            }
        }
        let indexes = t
            .indexes()
            .iter()
            .filter_map(|i| {
                Some(IndexSchema {
                    columns: kept(&i.schema.columns)?,
                    ..i.schema.clone()
                })
            })
            .collect();
        let rebuilt = t.rebuilt(schema, indexes, |mut values| {
            values.remove(column);
            values
        })?;
        self.install_rebuilt(rebuilt)?;
        let owned: Vec<(String, Option<usize>)> = self
            .db
            .sequences
            .values()
            .filter_map(|s| match s.schema().owned_by {
                Some((owner, c)) if owner == table && c >= column => {
                    Some((s.schema().name.clone(), (c > column).then(|| c - 1)))
                }
                _ => None,
            })
            .collect();
        for (name, moved_to) in owned {
            match moved_to {
                None => self.remove_sequence(&name)?,
                Some(position) => self.reown_sequence(&name, table, position),
            }
        }
        // The keys of other tables that reference its columns after it.
        let mut referencing_tables: Vec<TableId> = self
            .db
            .references_to(table)
            .into_iter()
            .map(|(referencing, _)| referencing)
            .filter(|&referencing| referencing != table)
            .collect();
        referencing_tables.dedup();
        for referencing in referencing_tables {
            let mut schema = self.db.table(referencing).schema().as_ref().clone();
            for key in &mut schema.foreign_keys {
                if key.referenced_table == table {
                    key.referenced_columns =
                        key.referenced_columns.iter().map(|&c| moved(c)).collect();
                }
            }
            self.alter_table(schema)?;
        }
        self.record(|| Change::DropColumn { table, column });
        Ok(())
    }

    /// Drops table `table`'s primary key (`ALTER TABLE … DROP CONSTRAINT
    /// t_pkey`): its rows are keyed by hidden row ids from then on, and its key
    /// columns stay NOT NULL, as in PostgreSQL.
    pub fn drop_primary_key(&mut self, table: TableId) -> Result<(), DbError> {
        let t = self.db.table(table);
        let mut schema = t.schema().as_ref().clone();
        schema.primary_key = None;
        schema.primary_key_constraint = None;
        let indexes = t.indexes().iter().map(|i| i.schema.clone()).collect();
        let rebuilt = t.rebuilt(schema, indexes, |values| values)?;
        self.install_rebuilt(rebuilt)?;
        self.record(|| Change::DropPrimaryKey(table));
        Ok(())
    }

    /// Puts `rebuilt` in the place of the table of its id, once its rows keep
    /// its (validated) CHECK constraints (23514). The log gets its schema (which replaces the table's, rows and indexes too), its indexes,
    /// and every row: recovery needs no checks, and is exact whatever a fuzzy
    /// snapshot copied of the table before or after.
    fn install_rebuilt(&mut self, rebuilt: Table) -> Result<(), DbError> {
        let checks: Vec<_> = rebuilt
            .schema()
            .checks
            .iter()
            .filter(|c| c.validated)
            .collect();
        self.db.check_rows(&rebuilt, rebuilt.schema(), &checks)?;
        self.redo
            .push(&RedoOp::CreateTable(rebuilt.schema().as_ref().clone()));
        for index in rebuilt.indexes() {
            self.redo.push(&RedoOp::CreateIndex(index.schema.clone()));
        }
        self.replace_table(rebuilt);
        Ok(())
    }

    /// Puts `rebuilt` in the place of the table of its id, its rows logged
    /// after the op that says what it is (see its callers).
    fn replace_table(&mut self, rebuilt: Table) {
        let table = rebuilt.schema().id;
        for (key, row) in rebuilt.scan() {
            self.redo.put(table, &key, row);
        }
        let old = std::mem::replace(self.db.table_mut(table), rebuilt);
        self.db.catalog_version += 1;
        self.undo.push(Undo::ReplaceTable {
            table: Box::new(old),
        });
    }

    /// Makes sequence `name` owned by column `column` of `table` (a column before
    /// it was dropped), keeping its state.
    fn reown_sequence(&mut self, name: &str, table: TableId, column: usize) {
        let old = self
            .db
            .sequences
            .remove(name)
            .expect("an owned sequence exists");
        let mut schema = old.schema().clone();
        schema.owned_by = Some((table, column));
        let state = old.state();
        self.redo.push(&RedoOp::CreateSequence {
            schema: schema.clone(),
            state,
        });
        self.db
            .sequences
            .insert(name.to_owned(), Sequence::new(schema, state));
        self.db.catalog_version += 1;
        // Putting the old one back under its name replaces the new one.
        self.undo.push(Undo::DropSequence {
            sequence: Box::new(old),
        });
    }

    /// `ALTER TABLE … ALTER COLUMN … SET DEFAULT` (`Some`) or `DROP DEFAULT`
    /// (`None`): the text is the SQL layer's, checked by it.
    pub fn set_column_default(&mut self, table: TableId, column: usize, default: Option<String>) {
        let previous = self
            .db
            .table_mut(table)
            .replace_default(column, default.clone());
        self.redo.push(&RedoOp::SetColumnDefault {
            table,
            column,
            default: default.clone(),
        });
        self.record(|| Change::SetColumnDefault {
            table,
            column,
            default,
        });
        self.db.catalog_version += 1;
        self.undo.push(Undo::SetColumnDefault {
            table,
            column,
            previous,
        });
    }

    /// Creates a sequence from `schema` (whose `id` is assigned here); 42P07 if
    /// its name is taken.
    pub fn create_sequence(&mut self, mut schema: SequenceSchema) -> Result<TableId, DbError> {
        self.db.check_name_free(&schema.name)?;
        schema.id = self.db.next_table_id;
        self.db.next_table_id += 1;
        let sequence = Sequence::fresh(schema.clone());
        self.redo.push(&RedoOp::CreateSequence {
            schema: schema.clone(),
            state: sequence.state(),
        });
        self.record(|| Change::CreateSequence(schema.clone()));
        let (id, name) = (schema.id, schema.name);
        self.db.sequences.insert(name.clone(), sequence);
        self.transactional_sequences.push(id);
        self.db.catalog_version += 1;
        self.undo.push(Undo::CreateSequence { name });
        Ok(id)
    }

    /// `TRUNCATE … RESTART IDENTITY`: puts the sequence called `name` back
    /// at its start. Unlike `setval`, and as in PostgreSQL (which gives the
    /// sequence new storage), this is transactional: a rollback puts back the
    /// state the sequence had, and its moves after the restart change with the
    /// transaction, as a sequence it created does (a block records them as
    /// changes).
    pub fn restart_sequence(&mut self, name: &str) -> Result<(), DbError> {
        let start = self
            .db
            .get_sequence(name)
            .ok_or_else(|| DbError::UndefinedSequence(name.to_owned()))?
            .schema()
            .start;
        self.set_sequence_state(
            name,
            SequenceState {
                last_value: start,
                is_called: false,
            },
        )?;
        self.record(|| Change::RestartSequence(name.to_owned()));
        Ok(())
    }

    /// `ALTER SEQUENCE`: the sequence called `name` takes `schema` (its id
    /// kept; its name may be new) and the state `storage` says. As in
    /// PostgreSQL, which gives a sequence new storage unless only its name or
    /// owner changes, a new storage is transactional, and so are the
    /// sequence's moves after it: a rollback puts back the sequence as it was
    /// when altered (see `db::sequence`). The log gets the sequence dropped
    /// and created again, state and all.
    pub fn alter_sequence(
        &mut self,
        name: &str,
        schema: SequenceSchema,
        storage: SequenceStorage,
    ) -> Result<(), DbError> {
        let live = self
            .db
            .get_sequence(name)
            .ok_or_else(|| DbError::UndefinedSequence(name.to_owned()))?
            .state();
        let state = match storage {
            SequenceStorage::Same => live,
            SequenceStorage::Kept(state) | SequenceStorage::Restarted(state) => state,
        };
        if schema.name != name {
            self.db.check_name_free(&schema.name)?;
        }
        let previous = self
            .db
            .sequences
            .remove(name)
            .expect("the sequence was just found");
        debug_assert_eq!(
            previous.schema().id,
            schema.id,
            "an altered sequence keeps its id"
        );
        self.redo.push(&RedoOp::DropSequence(name.to_owned()));
        self.redo.push(&RedoOp::CreateSequence {
            schema: schema.clone(),
            state,
        });
        self.record(|| Change::AlterSequence {
            name: name.to_owned(),
            schema: schema.clone(),
            storage,
        });
        let (id, new_name) = (schema.id, schema.name.clone());
        self.db
            .sequences
            .insert(new_name.clone(), Sequence::new(schema, state));
        if storage != SequenceStorage::Same {
            self.make_transactional(id);
        }
        self.db.catalog_version += 1;
        self.undo.push(Undo::AlterSequence {
            name: new_name,
            previous: Box::new(previous),
            storage,
        });
        Ok(())
    }

    /// Sets the state of the sequence called `name` as part of this
    /// transaction: undone with it, and from now on one of its
    /// `transactional_sequences`.
    fn set_sequence_state(&mut self, name: &str, state: SequenceState) -> Result<(), DbError> {
        let sequence = self
            .db
            .get_sequence(name)
            .ok_or_else(|| DbError::UndefinedSequence(name.to_owned()))?;
        let (id, before) = (sequence.schema().id, sequence.state());
        self.db
            .set_sequence(name, state.last_value, state.is_called)?;
        self.undo.push(Undo::SequenceState {
            name: name.to_owned(),
            before,
        });
        self.make_transactional(id);
        Ok(())
    }

    /// From now on the moves of sequence `id` change with this transaction.
    fn make_transactional(&mut self, id: TableId) {
        if !self.transactional_sequences.contains(&id) {
            self.transactional_sequences.push(id);
        }
    }

    pub fn drop_sequence(&mut self, name: &str) -> Result<(), DbError> {
        self.remove_sequence(name)?;
        self.record(|| Change::DropSequence(name.to_owned()));
        Ok(())
    }

    fn remove_sequence(&mut self, name: &str) -> Result<(), DbError> {
        let sequence = self
            .db
            .sequences
            .remove(name)
            .ok_or_else(|| DbError::UndefinedSequence(name.to_owned()))?;
        self.db.catalog_version += 1;
        self.redo.push(&RedoOp::DropSequence(name.to_owned()));
        self.undo.push(Undo::DropSequence {
            sequence: Box::new(sequence),
        });
        Ok(())
    }

    /// Installs the reducers and views of a loaded module, replacing any routines of
    /// the same names. Routines are not data (see [`RoutineSchema`]): this records
    /// an undo but no redo, so the log never holds them.
    pub fn install_routines(&mut self, routines: Vec<RoutineSchema>) {
        let previous = self.db.routines.clone();
        for routine in routines {
            self.db
                .routines
                .insert(routine.name.clone(), Arc::new(routine));
        }
        self.db.catalog_version += 1;
        self.undo.push(Undo::InstallRoutines { previous });
    }

    /// Inserts a row whose values already have the column types. Checks NOT NULL,
    /// the primary key and unique indexes. Returns the row's key.
    pub fn insert(&mut self, table: TableId, values: Vec<Value>) -> Result<Key, DbError> {
        let row = Row::encode(&values);
        self.insert_encoded(table, row, Some(values))
    }

    /// [`WriteTxn::insert`] of a row as encoded: `Row::encode` of `values`, or the
    /// checked bytes a module sent (see `Row::check_untrusted`), with their values
    /// if the caller has them. Values are decoded from the row only for what needs
    /// them (an index, a block's record of its changes), so a module's insert into
    /// a table without secondary indexes decodes nothing.
    pub fn insert_encoded(
        &mut self,
        table: TableId,
        row: Row,
        values: Option<Vec<Value>>,
    ) -> Result<Key, DbError> {
        self.db.table(table).check_not_null_stored(&row)?;
        self.check_constraints(table, &row, values.as_deref())?;
        let t = self.db.table_mut(table);
        let key = t.key_for_insert(&row);
        t.check_unique(&key, &row, values.as_deref(), None)?;
        self.redo.put(table, &key, &row);
        t.put(key.clone(), row, values.as_deref());
        self.undo.push(Undo::Insert {
            table,
            key: key.clone(),
        });
        self.note_referencing_row(table, &key, None);
        if let Some(values) = self.values_to_record(table, &key, values) {
            self.record(|| Change::Insert { table, values });
        }
        Ok(key)
    }

    /// Replaces the row under `key` with `values` (which may change its primary key).
    /// Returns the row's new key, or None, changing nothing, if there is no row
    /// under `key`. The new values are checked first: a row that breaks a
    /// constraint is an error whether or not `key` has a row.
    pub fn update(
        &mut self,
        table: TableId,
        key: &Key,
        values: Vec<Value>,
    ) -> Result<Option<Key>, DbError> {
        let row = Row::encode(&values);
        self.update_encoded(table, key, row, Some(values))
    }

    /// [`WriteTxn::update`] of a row as encoded, with its values if the caller has
    /// them (see [`WriteTxn::insert_encoded`]).
    pub fn update_encoded(
        &mut self,
        table: TableId,
        key: &Key,
        row: Row,
        values: Option<Vec<Value>>,
    ) -> Result<Option<Key>, DbError> {
        let t = self.db.table(table);
        t.check_not_null_stored(&row)?;
        let new_key = t.key_for_update(key, &row);
        self.check_constraints(table, &row, values.as_deref())?;
        self.replace_encoded(table, key, new_key, row, values)
    }

    /// [`WriteTxn::update_encoded`] of the row stored under `row`'s own primary
    /// key (a module names the row it updates by the key in it), computed once.
    /// `Ok(None)`, changing nothing, if a key column is NULL or no row has that
    /// key; a table without a primary key has no row to name.
    pub fn update_encoded_by_own_key(
        &mut self,
        table: TableId,
        row: Row,
        values: Option<Vec<Value>>,
    ) -> Result<Option<Key>, DbError> {
        let t = self.db.table(table);
        let Some(key) = t.primary_key_of_stored(&row) else {
            return Ok(None);
        };
        t.check_not_null_stored(&row)?;
        self.check_constraints(table, &row, values.as_deref())?;
        self.replace_encoded(table, &key, key.clone(), row, values)
    }

    /// 23514 if `row` (with its `values`, if the caller has them) makes one of
    /// table `table`'s CHECK constraints false (see `check`).
    fn check_constraints(
        &self,
        table: TableId,
        row: &Row,
        values: Option<&[Value]>,
    ) -> Result<(), DbError> {
        let t = self.db.table(table);
        if t.schema().checks.is_empty() {
            return Ok(());
        }
        match values {
            Some(values) => self.db.check_row(t.schema(), values),
            None => self.db.check_row(t.schema(), &t.decode(row)),
        }
    }

    /// Replaces the row under `key` with `row`, stored under `new_key`: the tail
    /// of an update, once NOT NULL is checked and the new key known.
    fn replace_encoded(
        &mut self,
        table: TableId,
        key: &Key,
        new_key: Key,
        row: Row,
        values: Option<Vec<Value>>,
    ) -> Result<Option<Key>, DbError> {
        let referenced = !self.db.references_to(table).is_empty();
        let referencing = !self.db.table(table).schema().foreign_keys.is_empty();
        let t = self.db.table_mut(table);
        t.check_unique(&new_key, &row, values.as_deref(), Some(key))?;
        // The probe that replaces the row is also the one that finds it: a caller
        // that does not know whether the row exists (a module) pays no other.
        let Some((old, stored)) = t.replace(key, new_key.clone(), row, values.as_deref()) else {
            return Ok(None);
        };
        if new_key != *key {
            self.redo.remove(table, key);
        }
        self.redo.put(table, &new_key, stored);
        let changed_reference = referenced.then(|| (old.clone(), stored.clone()));
        let old_referencing = referencing.then(|| old.clone());
        self.undo.push(Undo::Update {
            table,
            new_key: new_key.clone(),
            old_key: key.clone(),
            old,
        });
        if let Some(values) = self.values_to_record(table, &new_key, values) {
            self.record(|| Change::Update {
                table,
                key: key.clone(),
                values,
            });
        }
        if let Some(old) = old_referencing {
            self.note_referencing_row(table, &new_key, Some(&old));
        }
        if let Some((old, new)) = changed_reference {
            self.referenced_row_changed(table, &old, Some(&new), self.replaying)?;
        }
        Ok(Some(new_key))
    }

    /// Deletes the row under `key`; false if there was none. The foreign keys
    /// that reference the row act on the rows that reference it (see
    /// `foreign_key`), which may fail.
    pub fn delete(&mut self, table: TableId, key: &Key) -> Result<bool, DbError> {
        let Some(old) = self.db.table_mut(table).remove(key) else {
            return Ok(false);
        };
        self.redo.remove(table, key);
        let referenced = !self.db.references_to(table).is_empty();
        let changed_reference = referenced.then(|| old.clone());
        self.undo.push(Undo::Delete {
            table,
            key: key.clone(),
            old,
        });
        self.record(|| Change::Delete {
            table,
            key: key.clone(),
        });
        if let Some(old) = changed_reference {
            self.referenced_row_changed(table, &old, None, self.replaying)?;
        }
        Ok(true)
    }

    /// Removes every row of the table at once.
    pub fn truncate(&mut self, table: TableId) {
        let contents = self.db.table_mut(table).take_contents();
        self.redo.push(&RedoOp::Truncate(table));
        self.undo.push(Undo::Truncate { table, contents });
        self.record(|| Change::Truncate(table));
    }
}

impl Drop for WriteTxn<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.undo_all();
        }
        self.db.in_write_transaction = false;
    }
}

impl Database {
    /// Counts a committed transaction in the versions of the tables whose rows it
    /// changed and, if it changed the schema, in `schema_commits`.
    fn note_commit(&mut self, redo: &Redo) {
        self.commits += 1;
        for table in redo.changed_tables() {
            if let Some(t) = self.tables.get_mut(table) {
                t.note_commit();
            }
        }
        if redo.changed_schema() {
            self.schema_commits += 1;
        }
    }

    fn apply_undo(&mut self, undo: Undo) {
        match undo {
            Undo::Insert { table, key } => {
                let t = self.table_mut(table);
                t.remove(&key);
                t.forget_key(&key);
            }
            Undo::Update {
                table,
                new_key,
                old_key,
                old,
            } => {
                self.table_mut(table)
                    .replace(&new_key, old_key, old, None)
                    .expect("an undone update's row is where the update put it");
            }
            Undo::Delete { table, key, old } => self.table_mut(table).put(key, old, None),
            Undo::CreateTable { table } => {
                let t = self.tables.remove(&table).expect("created table exists");
                self.table_names.remove(&t.schema().name);
                if table + 1 == self.next_table_id {
                    self.next_table_id = table;
                }
                self.catalog_version += 1;
            }
            Undo::ReplaceTable { table } => {
                let id = table.schema().id;
                self.tables.insert(id, *table);
                self.catalog_version += 1;
            }
            Undo::AlterTable { schema } => {
                self.set_table_schema(schema);
                self.catalog_version += 1;
            }
            Undo::DropTable { table } => {
                let id = table.schema().id;
                self.table_names.insert(table.schema().name.clone(), id);
                self.tables.insert(id, *table);
                self.catalog_version += 1;
            }
            Undo::CreateIndex { table, name } => {
                self.table_mut(table).take_index(&name);
                self.catalog_version += 1;
            }
            Undo::DropIndex {
                table,
                position,
                index,
            } => {
                self.table_mut(table).restore_index(position, *index);
                self.catalog_version += 1;
            }
            Undo::Truncate { table, contents } => self.table_mut(table).restore_contents(contents),
            Undo::SequenceState { name, before } => {
                if let Some(sequence) = self.sequences.get(&name) {
                    sequence.set_state(before);
                }
            }
            Undo::CreateView { name } => {
                self.views.remove(&name);
                self.catalog_version += 1;
            }
            Undo::DropView { view } => {
                self.views.insert(view.name.clone(), view);
                self.catalog_version += 1;
            }
            Undo::CreateSequence { name } => {
                let sequence = self
                    .sequences
                    .remove(&name)
                    .expect("created sequence exists");
                let id = sequence.schema().id;
                if id + 1 == self.next_table_id {
                    self.next_table_id = id;
                }
                self.catalog_version += 1;
            }
            Undo::SetColumnDefault {
                table,
                column,
                previous,
            } => {
                self.table_mut(table).replace_default(column, previous);
                self.catalog_version += 1;
            }
            Undo::DropSequence { sequence } => {
                self.sequences
                    .insert(sequence.schema().name.clone(), *sequence);
                self.catalog_version += 1;
            }
            Undo::AlterSequence {
                name,
                previous,
                storage,
            } => {
                let altered = self.sequences.remove(&name).expect("altered sequence");
                let previous = match storage {
                    // Same storage: what was drawn since stays drawn.
                    SequenceStorage::Same => {
                        Sequence::new(previous.schema().clone(), altered.state())
                    }
                    SequenceStorage::Kept(_) | SequenceStorage::Restarted(_) => *previous,
                };
                self.sequences
                    .insert(previous.schema().name.clone(), previous);
                self.catalog_version += 1;
            }
            Undo::InstallRoutines { previous } => {
                self.routines = previous;
                self.catalog_version += 1;
            }
        }
    }
}
