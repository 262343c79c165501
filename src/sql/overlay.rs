//! A transaction block's own writes as row images, so that its statements run
//! under the read lock.
//!
//! # Why
//!
//! A statement in a block must see the block's earlier writes (read your own
//! writes). A *rehearsal* (see `sql::block`) does that in the store itself: under
//! the write lock it makes the block's changes again, runs the statement, and
//! rolls everything back. That takes the write lock for every statement of every
//! block, and a block of n statements replays O(n²) changes in all.
//!
//! The overlay gives the same answers under the read lock. It holds, for every
//! row the block wrote, the image the row has after the block's writes, or that
//! the block deleted it. A statement reads a row by its primary key from the
//! overlay when the overlay has it, and from the committed store otherwise (the
//! overlay travels to the scan layer in the statement's `QueryContext`). Its own
//! writes go to its [`OverlayTxn`], recorded as the same [`Change`]s a rehearsal
//! records, and join the block's overlay once it has succeeded. A statement never
//! reads its own writes: a write computes its targets and its RETURNING rows
//! before it writes (see `exec::dml`), as in PostgreSQL, where a statement sees
//! the state from before it. Only COMMIT takes the write lock.
//!
//! # What the overlay answers, and what it hands back
//!
//! The overlay knows rows by primary key. It does not know the store's ordering
//! or its secondary indexes. So a statement runs on it only while everything it
//! does is one of these:
//! - read a row by its whole primary key (the overlay first, then the store);
//! - read anything of a table that neither the block nor the statement wrote (the
//!   store is then the whole truth);
//! - INSERT, UPDATE or DELETE rows of a table without a unique secondary index,
//!   keeping each row's primary key. NOT NULL, CHECK constraints and the primary
//!   key are checked against the overlay, then the store, with the store's own
//!   errors.
//!
//! Anything else answers [`SqlError::NeedsRehearsal`] from the first place that
//! notices it:
//! - a scan, range or secondary-index read of a table written in the block;
//! - a write to a table with a unique secondary index or a foreign key (its
//!   own, or one referencing it), or one that moves a primary key;
//! - `ON CONFLICT`, `CALL`, `COPY`, DDL (they need the store itself: see
//!   [`RowWriter::store`]);
//! - any read of a table the block truncated, or wrote without a primary key.
//!
//! The engine then rehearses the statement, as before. Nothing has been sent or
//! kept by then: the overlay run's changes live only in its own [`OverlayTxn`].
//! A write's table and the columns it assigns are checked before it reads
//! anything ([`RowWriter::check_table`]), and `ON CONFLICT` asks for the store
//! before its source runs, so those are handed back having done no work; a read
//! is handed back when it first touches a written table (for RETURNING, before
//! anything is written).
//!
//! # Why the answers are the same
//!
//! A rehearsal runs the statement on the store after replaying the block's
//! changes. Under each key the block wrote, that replay leaves the image the
//! overlay holds: every change carries its whole row, so the image does not
//! depend on when it is replayed. (The overlay's images come from the store right
//! after each rehearsal, [`Overlay::of_changes`], or from the overlay runs
//! themselves.) Under every other key the replay leaves what is committed, which
//! is what the overlay run reads. Anything that is not a read by key is handed
//! back when it touches a written table. The read log sees the same keys and
//! images either way, so COMMIT validates the same reads.
//!
//! One thing differs: *when* a block learns that it cannot commit. A rehearsal
//! fails at once (40001) if another transaction deleted a row the block changed,
//! because its replay fails. The overlay run does not replay, so it answers as if
//! the block's image stood, and COMMIT's own replay then fails with 40001. The
//! block fails either way, and the answers it got before were all computed on the
//! block's own writes over one committed state. An *error* on the overlay is never
//! the answer, though: it could come from such a stale image (a 23505 for a row
//! another transaction has deleted, which a client would not retry), so the
//! engine rehearses the statement and answers what the rehearsal says: 40001 if
//! the block's changes no longer apply, else the same error. Only a cancel or
//! timeout (57014) is answered at once.

use std::collections::HashMap;

use crate::db::{Change, Database, Key, Row, Table, TableId};
use crate::types::Value;

use super::exec::RowWriter;
use super::SqlError;

/// Row images by table and primary key: what a block, or one statement of it,
/// wrote.
#[derive(Debug, Default, Clone)]
pub struct Overlay {
    tables: HashMap<TableId, OverlayTable>,
}

#[derive(Debug, Default, Clone)]
struct OverlayTable {
    /// The image under each written key, or None where the row was deleted.
    rows: HashMap<Key, Option<Row>>,
    /// The table was written in a way not kept by key (TRUNCATE, or rows of a table
    /// without a primary key): the overlay answers for none of its rows.
    opaque: bool,
}

impl Overlay {
    /// The images `changes` left in `db`, read right after they were made (under
    /// the write lock, at the end of a rehearsal). Schema changes leave none: a
    /// block that changed the schema is always rehearsed.
    pub fn of_changes(db: &Database, changes: &[Change]) -> Overlay {
        let mut overlay = Overlay::default();
        for change in changes {
            match change {
                Change::Insert { table, values } => overlay.copy_row(db, *table, values, None),
                Change::Update { table, key, values } => {
                    overlay.copy_row(db, *table, values, Some(key))
                }
                Change::Delete { table, key } => overlay.copy_key(db, *table, key.clone()),
                Change::Truncate(table) => overlay.table(*table).opaque = true,
                _ => {}
            }
        }
        overlay
    }

    /// Copies from `db` the image under the primary key of `values`, and under
    /// `old` (the key an update started from).
    fn copy_row(&mut self, db: &Database, table: TableId, values: &[Value], old: Option<&Key>) {
        let Some(t) = db.find_table(table) else {
            return;
        };
        match t.primary_key_of_row(values) {
            Some(key) => {
                self.copy_key(db, table, key);
                if let Some(old) = old {
                    self.copy_key(db, table, old.clone());
                }
            }
            None => self.table(table).opaque = true,
        }
    }

    fn copy_key(&mut self, db: &Database, table: TableId, key: Key) {
        let Some(t) = db.find_table(table) else {
            return;
        };
        if t.schema().primary_key.is_none() {
            self.table(table).opaque = true;
            return;
        }
        let image = t.get(&key).cloned();
        self.table(table).rows.insert(key, image);
    }

    fn table(&mut self, table: TableId) -> &mut OverlayTable {
        self.tables.entry(table).or_default()
    }

    /// Lays `later`'s images over these.
    pub fn merge(&mut self, later: &Overlay) {
        for (table, written) in &later.tables {
            let into = self.table(*table);
            into.opaque |= written.opaque;
            for (key, image) in &written.rows {
                into.rows.insert(key.clone(), image.clone());
            }
        }
    }

    /// The row under `key` if the overlay has it (Some(None): deleted); None
    /// means the store has the answer.
    pub fn row(&self, table: TableId, key: &Key) -> Result<Option<Option<&Row>>, SqlError> {
        let Some(written) = self.tables.get(&table) else {
            return Ok(None);
        };
        if written.opaque {
            return Err(SqlError::NeedsRehearsal);
        }
        Ok(written.rows.get(key).map(Option::as_ref))
    }

    /// Ok if a read of more of `table` than one key may go to the store alone:
    /// the overlay wrote nothing of the table.
    pub fn check_scan(&self, table: TableId) -> Result<(), SqlError> {
        if self.tables.contains_key(&table) {
            return Err(SqlError::NeedsRehearsal);
        }
        Ok(())
    }

    fn write(&mut self, table: TableId, key: Key, image: Option<Row>) {
        self.table(table).rows.insert(key, image);
    }

    fn write_unkeyed(&mut self, table: TableId) {
        self.table(table).opaque = true;
    }
}

/// The writes of one statement made on the overlay, under the read lock: the
/// [`RowWriter`] a block's INSERT, UPDATE or DELETE runs with when it is not
/// rehearsed. It checks what the store would check, against the overlay and then
/// the store, and records each change as a rehearsal records it.
pub struct OverlayTxn<'db> {
    db: &'db Database,
    /// The block's images.
    block: &'db Overlay,
    /// The images of this statement's writes so far.
    own: Overlay,
    changes: Vec<Change>,
}

impl<'db> OverlayTxn<'db> {
    pub fn new(db: &'db Database, block: &'db Overlay) -> OverlayTxn<'db> {
        OverlayTxn {
            db,
            block,
            own: Overlay::default(),
            changes: Vec::new(),
        }
    }

    /// The changes the statement made, and its own images (to lay over the
    /// block's).
    pub fn finish(self) -> (Vec<Change>, Overlay) {
        (self.changes, self.own)
    }

    /// The row under `key` after the block's writes and this statement's so far:
    /// None if neither wrote it.
    fn row(&self, table: TableId, key: &Key) -> Result<Option<Option<&Row>>, SqlError> {
        match self.own.row(table, key)? {
            Some(image) => Ok(Some(image)),
            None => self.block.row(table, key),
        }
    }

    /// The table `values` go to, after the NOT NULL and CHECK constraints every
    /// write checks first.
    fn writable(&self, table: TableId, values: &[Value]) -> Result<&'db Table, SqlError> {
        let t = self.db.table(table);
        t.check_not_null(values)?;
        self.db.check_row(t.schema(), values)?;
        Ok(t)
    }
}

impl<'db> RowWriter<'db> for OverlayTxn<'db> {
    fn db(&self) -> &Database {
        self.db
    }

    /// A unique secondary index would need the block's rows in it, a moved
    /// primary key every key the row could take, and a foreign key (of the
    /// table, or referencing it) the rows of another table and its actions:
    /// handed back.
    fn check_table(&self, table: TableId, assigned: &[usize]) -> Result<(), SqlError> {
        let t = self.db.table(table);
        let moves_key = t
            .schema()
            .primary_key
            .as_ref()
            .is_some_and(|pk| assigned.iter().any(|c| pk.contains(c)));
        let references =
            !t.schema().foreign_keys.is_empty() || !self.db.references_to(table).is_empty();
        if moves_key || references || t.indexes().iter().any(|i| i.schema.unique) {
            return Err(SqlError::NeedsRehearsal);
        }
        Ok(())
    }

    fn insert(&mut self, table: TableId, values: Vec<Value>) -> Result<(), SqlError> {
        let t = self.writable(table, &values)?;
        match t.primary_key_of_row(&values) {
            Some(key) => {
                let taken = match self.row(table, &key)? {
                    Some(image) => image.is_some(),
                    None => t.get(&key).is_some(),
                };
                if taken {
                    return Err(t.primary_key_violation(&values).into());
                }
                self.own.write(table, key, Some(Row::encode(&values)));
            }
            None => self.own.write_unkeyed(table),
        }
        self.changes.push(Change::Insert { table, values });
        Ok(())
    }

    fn update(&mut self, table: TableId, key: &Key, values: Vec<Value>) -> Result<(), SqlError> {
        let t = self.writable(table, &values)?;
        if t.schema().primary_key.is_none() {
            self.own.write_unkeyed(table);
        } else if t.primary_key_of_row(&values).as_ref() == Some(key) {
            self.own
                .write(table, key.clone(), Some(Row::encode(&values)));
        } else {
            // A moved key (which `check_table` hands back before it runs) must be
            // checked against every key the row could take.
            return Err(SqlError::NeedsRehearsal);
        }
        self.changes.push(Change::Update {
            table,
            key: key.clone(),
            values,
        });
        Ok(())
    }

    fn delete(&mut self, table: TableId, key: &Key) -> Result<(), SqlError> {
        if self.db.table(table).schema().primary_key.is_none() {
            self.own.write_unkeyed(table);
        } else {
            // As in the store, a row already gone is not deleted again.
            if let Some(None) = self.row(table, key)? {
                return Ok(());
            }
            self.own.write(table, key.clone(), None);
        }
        self.changes.push(Change::Delete {
            table,
            key: key.clone(),
        });
        Ok(())
    }

    fn store(&mut self) -> Result<&mut crate::db::WriteTxn<'db>, SqlError> {
        Err(SqlError::NeedsRehearsal)
    }
}
