//! Copying the database out in pieces for a snapshot, and loading one back.
//!
//! A snapshot is written as chunks of redo (see [`super::redo`]): first the whole
//! catalog, copied under one read lock, then each table's rows in batches of at
//! most a few thousand, each batch under its own read lock, so that taking a
//! snapshot never holds the lock for more than about a millisecond whatever the
//! database size. Loading applies the chunks in order to an empty database.

use std::ops::Bound;
use std::sync::Arc;

use super::key::Key;
use super::redo::{Redo, RedoOp};
use super::{CodecError, Database, TableId, TableSchema};

impl Database {
    /// The catalog as redo: every table's schema, its indexes, every view and
    /// every sequence with its state.
    pub fn snapshot_catalog(&self) -> Vec<u8> {
        let mut redo = Redo::default();
        for table in self.tables.values() {
            redo.push(&RedoOp::CreateTable(table.schema().as_ref().clone()));
            for index in table.indexes() {
                redo.push(&RedoOp::CreateIndex(index.schema.clone()));
            }
        }
        for view in self.views.values() {
            redo.push(&RedoOp::CreateView(view.clone()));
        }
        for sequence in self.sequences.values() {
            redo.push(&RedoOp::CreateSequence {
                schema: sequence.schema().clone(),
                state: sequence.state(),
            });
        }
        redo.into_payload()
    }

    /// Every table, in id order, with its schema as [`Database::snapshot_catalog`]
    /// describes it.
    pub fn snapshot_tables(&self) -> Vec<(TableId, Arc<TableSchema>)> {
        self.tables
            .iter()
            .map(|(id, table)| (*id, Arc::clone(table.schema())))
            .collect()
    }

    /// Up to `max_rows` rows of `table` after the key `after` (from the first row
    /// when `None`), as redo, with the last key copied and the number of rows. The
    /// key is `None` when the table has no more rows or no longer exists.
    ///
    /// None if the table's rows no longer have the layout `schema`, the one the
    /// snapshot's catalog gave it, has (its primary key and column types): an
    /// ALTER TABLE committed since rebuilt them (ADD PRIMARY KEY, ADD or DROP
    /// COLUMN), and that catalog could not load them. Every other change between
    /// batches leaves the rows loadable, and the log replays it.
    pub fn snapshot_rows(
        &self,
        table: TableId,
        schema: &TableSchema,
        after: Option<&Key>,
        max_rows: usize,
    ) -> Option<(Vec<u8>, Option<Key>, usize)> {
        let Some(t) = self.tables.get(&table) else {
            return Some((Vec::new(), None, 0));
        };
        if t.schema().primary_key != schema.primary_key
            || *t.column_types() != *schema.column_types()
        {
            return None;
        }
        let start = after.map_or(Bound::Unbounded, Bound::Excluded);
        let mut redo = Redo::default();
        let mut last = None;
        for (key, row) in t.range_from(start).take(max_rows) {
            redo.put(table, &key, row);
            last = Some(key);
        }
        let count = redo.len();
        Some((redo.into_payload(), last, count))
    }

    /// Builds a database from snapshot chunks (catalog first, then rows).
    pub fn load_snapshot(chunks: &[Vec<u8>]) -> Result<Database, CodecError> {
        let mut db = Database::new();
        for chunk in chunks {
            db.apply_redo(chunk)?;
        }
        Ok(db)
    }
}

#[cfg(test)]
mod tests {
    use crate::db::{ColumnSchema, Database, IndexSchema, TableSchema, ViewSchema};
    use crate::types::{DataType, Value};

    /// A snapshot taken in small batches while other transactions change the data
    /// between batches, plus the redo of those transactions replayed on top, gives
    /// exactly the final state (the fuzzy-snapshot rule).
    #[test]
    fn fuzzy_snapshot_plus_redo_is_exact() {
        let mut db = Database::new();
        let mut txn = db.begin_write();
        let column = |name: &str, data_type| ColumnSchema {
            name: name.into(),
            data_type,
            nullable: false,
            default: None,
            identity: None,
        };
        let t = txn
            .create_table(TableSchema {
                id: 0,
                name: "t".into(),
                columns: vec![column("id", DataType::Int8), column("tag", DataType::Text)],
                primary_key: Some(vec![0]),
                primary_key_constraint: None,
                checks: Vec::new(),
                foreign_keys: Vec::new(),
            })
            .unwrap();
        txn.create_index(IndexSchema {
            name: "t_tag_key".into(),
            table: t,
            columns: vec![1],
            key_orders: vec![crate::db::KeyOrder {
                descending: true,
                nulls_first: false,
            }],
            operator_classes: vec![crate::db::OperatorClass::TextPattern],
            unique: true,
            constraint: true,
        })
        .unwrap();
        txn.create_view(ViewSchema {
            name: "v".into(),
            query: "select * from t".into(),
            column_names: vec![],
        })
        .unwrap();
        for i in 0..100 {
            txn.insert(t, vec![Value::Int8(i), Value::Text(format!("tag{i}"))])
                .unwrap();
        }
        txn.commit();
        let mut chunks = vec![db.snapshot_catalog()];
        let mut log = Vec::new();
        let mut after = None;
        let mut step = 0i64;
        let schema = db.table(t).schema().clone();
        loop {
            let (chunk, last, _) = db.snapshot_rows(t, &schema, after.as_ref(), 7).unwrap();
            chunks.push(chunk);
            let Some(last) = last else { break };
            after = Some(last);
            // Between the first batches: move a tag from a row not yet copied to one
            // copied, delete a row, insert a row, as concurrent writers would.
            step += 1;
            if step > 10 {
                continue;
            }
            let mut txn = db.begin_write();
            let victim = txn
                .db()
                .table(t)
                .primary_key_of(&[Value::Int8(99 - step)])
                .unwrap();
            txn.delete(t, &victim).unwrap();
            let moved = txn
                .db()
                .table(t)
                .primary_key_of(&[Value::Int8(step)])
                .unwrap();
            txn.update(
                t,
                &moved,
                vec![Value::Int8(step), Value::Text(format!("tag{}", 99 - step))],
            )
            .unwrap();
            txn.insert(
                t,
                vec![Value::Int8(1000 + step), Value::Text(format!("new{step}"))],
            )
            .unwrap();
            log.push(txn.commit().into_payload());
        }
        let mut restored = Database::load_snapshot(&chunks).unwrap();
        for payload in &log {
            restored.apply_redo(payload).unwrap();
        }
        let rows = |db: &Database| {
            let table = db.must_get_table("t").unwrap();
            table
                .scan()
                .map(|(_, r)| table.decode(r))
                .collect::<Vec<_>>()
        };
        assert_eq!(rows(&restored), rows(&db));
        assert_eq!(restored.get_view("v"), db.get_view("v"));
        // Row 5 took the tag of the deleted row 94: the rebuilt unique index finds
        // it there and only there.
        let (table, index) = restored.get_index("t_tag_key").unwrap();
        assert!(
            table.indexes()[index].schema.constraint,
            "a UNIQUE constraint stays one"
        );
        let (written, written_index) = db.get_index("t_tag_key").unwrap();
        assert_eq!(
            table.indexes()[index].schema,
            written.indexes()[written_index].schema,
            "its key order and operator class survive"
        );
        let tag = [Value::Text("tag94".into())];
        let found: Vec<_> = table
            .index_range(
                index,
                std::ops::Bound::Included(&tag[..]),
                std::ops::Bound::Included(&tag[..]),
            )
            .map(|(_, row)| table.decode(row)[0].clone())
            .collect();
        assert_eq!(found, vec![Value::Int8(5)]);
    }
}
