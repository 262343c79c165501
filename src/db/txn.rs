//! Write transactions: every change goes through here, with its undo.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::catalog::{IndexSchema, RoutineSchema, TableId, TableSchema, ViewSchema};
use super::key::Key;
use super::redo::{Redo, RedoOp};
use super::row::Row;
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
}

/// A write transaction in progress on the database, under the write lock.
///
/// Changes are made in place, so the transaction reads its own writes through
/// [`WriteTxn::db`]; each one records its undo first. [`WriteTxn::commit`] keeps
/// them, [`WriteTxn::rollback`] undoes them all, newest first, restoring the database
/// to exactly the state it had at the start. Dropping a transaction without either
/// rolls it back, so that a panic unwinding through a statement changes nothing.
pub struct WriteTxn<'db> {
    db: &'db mut Database,
    undo: Vec<Undo>,
    /// The changes as the log will replay them, collected alongside the undo.
    redo: Redo,
    finished: bool,
}

impl<'db> WriteTxn<'db> {
    pub(crate) fn begin(db: &'db mut Database) -> Self {
        WriteTxn {
            db,
            undo: Vec::new(),
            redo: Redo::default(),
            finished: false,
        }
    }

    /// The database as this transaction sees it, its own changes included.
    pub fn db(&self) -> &Database {
        self.db
    }

    /// Keeps every change and returns their redo, for the write-ahead log.
    pub fn commit(mut self) -> Redo {
        self.finished = true;
        self.undo.clear();
        std::mem::take(&mut self.redo)
    }

    /// Appends the redo to `wal` (if any), then keeps every change; returns the
    /// commit's LSN (none for a transaction that changed nothing). If the append
    /// fails (the log has failed), rolls back instead: nothing is kept that could
    /// not be made durable.
    pub fn commit_to(self, wal: Option<&Wal>) -> Result<Option<u64>, WalError> {
        let (Some(wal), false) = (wal, self.redo.is_empty()) else {
            self.commit();
            return Ok(None);
        };
        match wal.append(&self.redo.encode()) {
            Ok(lsn) => {
                self.commit();
                Ok(Some(lsn))
            }
            Err(error) => {
                self.rollback();
                Err(error)
            }
        }
    }

    /// Undoes every change, newest first.
    pub fn rollback(mut self) {
        self.undo_all();
        self.finished = true;
    }

    fn undo_all(&mut self) {
        while let Some(undo) = self.undo.pop() {
            self.db.apply_undo(undo);
        }
    }

    /// Creates a table from `schema` (whose `id` is ignored and assigned here).
    pub fn create_table(&mut self, mut schema: TableSchema) -> Result<TableId, DbError> {
        self.db.check_name_free(&schema.name)?;
        schema.id = self.db.next_table_id;
        self.db.next_table_id += 1;
        let id = schema.id;
        self.db.table_names.insert(schema.name.clone(), id);
        self.redo.ops.push(RedoOp::CreateTable(schema.clone()));
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
        self.redo.ops.push(RedoOp::DropTable(id));
        self.undo.push(Undo::DropTable {
            table: Box::new(table),
        });
        Ok(())
    }

    /// Creates and fills a secondary index (23505 if a unique one finds duplicates).
    pub fn create_index(&mut self, schema: IndexSchema) -> Result<(), DbError> {
        self.db.check_name_free(&schema.name)?;
        let (table, name) = (schema.table, schema.name.clone());
        self.db.table_mut(table).add_index(schema.clone())?;
        self.redo.ops.push(RedoOp::CreateIndex(schema));
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
        self.redo.ops.push(RedoOp::DropIndex(name.to_owned()));
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
        self.redo.ops.push(RedoOp::CreateView(view.clone()));
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
        self.redo.ops.push(RedoOp::DropView(view.name.clone()));
        self.undo.push(Undo::DropView { view });
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
        let t = self.db.table_mut(table);
        t.check_not_null(&values)?;
        let key = t.key_for_insert(&values);
        t.check_unique(&key, &values, None)?;
        let row = Row::encode(&values);
        t.put(key.clone(), &values, row.clone());
        self.redo.ops.push(RedoOp::Put {
            table,
            key: key.clone(),
            row,
        });
        self.undo.push(Undo::Insert {
            table,
            key: key.clone(),
        });
        Ok(key)
    }

    /// Replaces the row under `key` with `values` (which may change its primary key).
    /// Returns the row's new key.
    pub fn update(
        &mut self,
        table: TableId,
        key: &Key,
        values: Vec<Value>,
    ) -> Result<Key, DbError> {
        let t = self.db.table_mut(table);
        t.check_not_null(&values)?;
        let new_key = t.key_for_update(key, &values);
        t.check_unique(&new_key, &values, Some(key))?;
        let old = t.remove(key).expect("updated rows exist");
        let row = Row::encode(&values);
        t.put(new_key.clone(), &values, row.clone());
        if new_key != *key {
            self.redo.ops.push(RedoOp::Remove {
                table,
                key: key.clone(),
            });
        }
        self.redo.ops.push(RedoOp::Put {
            table,
            key: new_key.clone(),
            row,
        });
        self.undo.push(Undo::Update {
            table,
            new_key: new_key.clone(),
            old_key: key.clone(),
            old,
        });
        Ok(new_key)
    }

    /// Deletes the row under `key`; false if there was none.
    pub fn delete(&mut self, table: TableId, key: &Key) -> bool {
        match self.db.table_mut(table).remove(key) {
            Some(old) => {
                self.redo.ops.push(RedoOp::Remove {
                    table,
                    key: key.clone(),
                });
                self.undo.push(Undo::Delete {
                    table,
                    key: key.clone(),
                    old,
                });
                true
            }
            None => false,
        }
    }

    /// Removes every row of the table at once.
    pub fn truncate(&mut self, table: TableId) {
        let contents = self.db.table_mut(table).take_contents();
        self.redo.ops.push(RedoOp::Truncate(table));
        self.undo.push(Undo::Truncate { table, contents });
    }

    /// The table's key of a stored row that `values` would conflict with (see
    /// [`Table::find_conflict`]).
    pub fn find_conflict(
        &mut self,
        table: TableId,
        values: &[Value],
        columns: Option<&[usize]>,
    ) -> Option<Key> {
        self.db.table_mut(table).find_conflict(values, columns)
    }
}

impl Drop for WriteTxn<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.undo_all();
        }
    }
}

impl Database {
    fn apply_undo(&mut self, undo: Undo) {
        match undo {
            Undo::Insert { table, key } => {
                self.table_mut(table).remove(&key);
            }
            Undo::Update {
                table,
                new_key,
                old_key,
                old,
            } => {
                let t = self.table_mut(table);
                t.remove(&new_key);
                let values = t.decode(&old);
                t.put(old_key, &values, old);
            }
            Undo::Delete { table, key, old } => {
                let t = self.table_mut(table);
                let values = t.decode(&old);
                t.put(key, &values, old);
            }
            Undo::CreateTable { table } => {
                let t = self.tables.remove(&table).expect("created table exists");
                self.table_names.remove(&t.schema().name);
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
            Undo::CreateView { name } => {
                self.views.remove(&name);
                self.catalog_version += 1;
            }
            Undo::DropView { view } => {
                self.views.insert(view.name.clone(), view);
                self.catalog_version += 1;
            }
            Undo::InstallRoutines { previous } => {
                self.routines = previous;
                self.catalog_version += 1;
            }
        }
    }
}
