//! What the size functions (`pg_relation_size`, `pg_table_size`,
//! `pg_indexes_size`, `pg_total_relation_size`, `pg_database_size`) measure.
//!
//! Turnstile keeps no pages, so a size is the bytes of the data as Turnstile
//! encodes it (`db::Row`: the bytes a snapshot writes for a row), counted when
//! the function is called:
//! - a table: the encoded bytes of every row;
//! - an index (the primary key's included): the values of its columns for every
//!   row, in the same encoding. Each entry also refers to its row, which is not
//!   counted.
//!
//! Neither counts what the in-memory maps spend per row besides the encoded bytes
//! (a few dozen bytes a row: `compat/bench/pgbench_side_by_side.sh` measures the
//! resident memory per row), so a size is a lower bound of the memory a relation
//! takes, comparable between relations but not with PostgreSQL's pages (an empty
//! table is 0 bytes, not 8 kB). Views and system relations hold no data: 0.

use crate::db::{Database, Row, Table};
use crate::types::RelationPart;

use super::catalog::{self as c, IndexInfo};
use super::pg_class;

/// The bytes of `part` of the relation `oid`; None if no relation has that OID.
pub fn relation_size(db: &Database, oid: u32, part: RelationPart) -> Option<i64> {
    if let Some(table) = db.find_table(oid) {
        let indexes = || -> i64 {
            c::indexes(db)
                .iter()
                .filter(|index| index.table.id == oid)
                .map(|index| index_bytes(table, index))
                .sum()
        };
        return Some(match part {
            RelationPart::Own => table_bytes(table),
            RelationPart::Indexes => indexes(),
            RelationPart::Total => table_bytes(table) + indexes(),
        });
    }
    if let Some(index) = c::indexes(db).iter().find(|index| index.oid() == oid) {
        return Some(match part {
            RelationPart::Indexes => 0,
            RelationPart::Own | RelationPart::Total => index_bytes(db.table(index.table.id), index),
        });
    }
    pg_class::relations(db)
        .iter()
        .any(|r| r.oid == oid)
        .then_some(0)
}

/// The bytes of every table and index of the database.
pub fn database_size(db: &Database) -> i64 {
    db.tables()
        .filter_map(|table| relation_size(db, table.schema().id, RelationPart::Total))
        .sum()
}

fn table_bytes(table: &Table) -> i64 {
    table.scan().map(|(_, row)| row.encoded_len() as i64).sum()
}

fn index_bytes(table: &Table, index: &IndexInfo<'_>) -> i64 {
    let mut wanted = vec![false; table.column_types().len()];
    for &column in &index.columns {
        wanted[column] = true;
    }
    table
        .scan()
        .map(|(_, row)| {
            let values = table.decode_only(row, &wanted);
            let key: Vec<_> = index.columns.iter().map(|&c| values[c].clone()).collect();
            Row::encode(&key).encoded_len() as i64
        })
        .sum()
}
