//! A table's rows and its secondary indexes.
//!
//! Rows live in a [`BPlusTree`] ordered by [`Key`] (the primary key, or a hidden
//! row id), so a primary key lookup is one descent of the tree and a primary key
//! range is one walk along it. A table keyed by one integer keeps the bare `i64`
//! in the tree rather than the 16-byte `Key`: half the cache lines a node search
//! touches, and comparisons the processor does without branching (half the
//! lookup time at 100,000 rows). The key is made whole again as rows are
//! handed out. Each secondary index is a `BTreeSet` of (index key, row key) entries:
//! an index lookup finds row keys, then the rows.
//!
//! The methods here that change data are crate-private and check nothing but what
//! they must to keep the structure consistent: constraint checks and undo logging
//! belong to [`WriteTxn`](super::WriteTxn), the only way to write.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::ops::Bound;
use std::sync::Arc;

use super::bptree::{BPlusTree, Range};
use super::catalog::{IndexSchema, TableSchema};
use super::codec::CodecError;
use super::key::{compare_prefix, CompositeKey, Key};
use super::row::Row;
use super::DbError;
use crate::types::{DataType, Value};

/// One entry of a secondary index. Ordered by the indexed values, then by row key,
/// so that equal index keys (in a non-unique index) are distinct entries.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct IndexEntry {
    /// The indexed columns' values, in index order.
    values: Box<[Value]>,
    /// The key of the row these values belong to.
    row: Key,
}

/// A secondary index and its entries.
#[derive(Debug, Clone)]
pub struct Index {
    /// The index's name, table, columns and uniqueness.
    pub schema: IndexSchema,
    /// One entry per stored row, ordered by indexed values.
    entries: BTreeSet<IndexEntry>,
}

/// A table: schema, rows, indexes.
#[derive(Debug, Clone)]
pub struct Table {
    /// Shared with plans and descriptions, which keep it without copying.
    schema: Arc<TableSchema>,
    /// The column types, cached from the schema because every row decode needs them.
    types: Arc<[DataType]>,
    /// The rows, by primary key (or hidden row id).
    rows: Rows,
    /// Secondary indexes, in creation order (their positions are `IndexRef`s).
    indexes: Vec<Index>,
    /// The next hidden row id, for tables without a primary key.
    next_row_id: i64,
    /// How many committed transactions have changed this table's rows: a
    /// transaction block that scanned the table checks at COMMIT that it has not
    /// moved (see `sql::block`). Rolled-back changes do not count.
    version: u64,
}

/// Bounds on the leading columns of a key, as used by range scans. A bound of `n`
/// values constrains the first `n` key columns; `Unbounded` is open on that side.
pub type PrefixBound<'a> = Bound<&'a [Value]>;

impl Table {
    pub(crate) fn new(schema: TableSchema) -> Table {
        let types = schema.column_types().into();
        let schema = Arc::new(schema);
        Table {
            rows: Rows::new(&schema),
            schema,
            types,
            indexes: Vec::new(),
            next_row_id: 1,
            version: 0,
        }
    }

    /// How many committed transactions have changed this table's rows.
    pub fn version(&self) -> u64 {
        self.version
    }

    pub(crate) fn note_commit(&mut self) {
        self.version += 1;
    }

    /// Gives column `column` the DEFAULT `default` (SQL text), returning the one
    /// it had. Rows are not touched: a default is read only by INSERTs.
    pub(super) fn replace_default(
        &mut self,
        column: usize,
        default: Option<String>,
    ) -> Option<String> {
        let mut schema = self.schema.as_ref().clone();
        let previous = std::mem::replace(&mut schema.columns[column].default, default);
        self.schema = Arc::new(schema);
        previous
    }

    pub fn schema(&self) -> &Arc<TableSchema> {
        &self.schema
    }

    pub fn column_types(&self) -> &[DataType] {
        &self.types
    }

    pub fn indexes(&self) -> &[Index] {
        &self.indexes
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.len() == 0
    }

    /// Decodes a stored row into values.
    pub fn decode(&self, row: &Row) -> Vec<Value> {
        row.decode(&self.types)
    }

    /// Decodes the columns of a stored row marked in `columns`; the others are NULL.
    pub fn decode_only(&self, row: &Row, columns: &[bool]) -> Vec<Value> {
        row.decode_only(&self.types, columns)
    }

    /// The row stored under `key`.
    pub fn get(&self, key: &Key) -> Option<&Row> {
        self.rows.get(key)
    }

    /// Every row, in key order.
    pub fn scan(&self) -> RowsRange<'_> {
        self.rows.range_from(Bound::Unbounded)
    }

    /// Rows from a key bound on, in key order (snapshot batches resume here).
    pub(crate) fn range_from(&self, start: Bound<&Key>) -> RowsRange<'_> {
        self.rows.range_from(start)
    }

    /// The key for a primary key given as values (for point lookups). `None` if the
    /// table has no primary key or the values are not its full key.
    pub fn primary_key_of(&self, pk_values: &[Value]) -> Option<Key> {
        let pk = self.schema.primary_key.as_ref()?;
        if pk.len() != pk_values.len() || pk_values.iter().any(Value::is_null) {
            return None;
        }
        Some(self.make_key(pk, |i| pk_values[i].clone()))
    }

    /// The primary key of a whole row given as values. `None` if the table has no
    /// primary key or a key column is NULL.
    pub fn primary_key_of_row(&self, values: &[Value]) -> Option<Key> {
        let pk = self.schema.primary_key.as_ref()?;
        if pk.iter().any(|&c| values[c].is_null()) {
            return None;
        }
        Some(self.make_key(pk, |i| values[pk[i]].clone()))
    }

    /// The primary key of a stored row (or one checked to be, see
    /// `Row::check_untrusted`). `None` if the table has no primary key or a key
    /// column is NULL.
    pub fn primary_key_of_stored(&self, row: &Row) -> Option<Key> {
        let pk = self.schema.primary_key.as_ref()?;
        if pk.iter().any(|&c| row.is_null(c)) {
            return None;
        }
        Some(self.stored_key(pk, row))
    }

    /// The key a module names a row by: the values of the primary key's columns,
    /// encoded as a row of those columns, from an untrusted source and checked as
    /// such. `Ok(None)` if the table has no primary key or a value is NULL. The
    /// common key of one integer column is read without decoding values.
    pub fn primary_key_of_untrusted(&self, bytes: &[u8]) -> Result<Option<Key>, CodecError> {
        let Some(pk) = &self.schema.primary_key else {
            return Ok(None);
        };
        if let [column] = pk[..] {
            if self.types[column].is_integer() {
                return Ok(Row::untrusted_integer(bytes, self.types[column])?.map(Key::Int));
            }
        }
        let types: Vec<DataType> = pk.iter().map(|&c| self.types[c]).collect();
        Ok(self.primary_key_of(&Row::decode_untrusted(bytes, &types)?))
    }

    /// Rows whose primary key's leading columns lie within the bounds, in key order.
    /// Rows with a NULL in a bounded column cannot exist (primary keys are NOT NULL).
    pub fn primary_key_range<'a>(
        &'a self,
        lower: PrefixBound<'a>,
        upper: PrefixBound<'a>,
    ) -> impl Iterator<Item = (Key, &'a Row)> + 'a {
        let start = match lower {
            Bound::Unbounded => Bound::Unbounded,
            Bound::Included(prefix) | Bound::Excluded(prefix) => {
                Bound::Included(self.range_start(prefix))
            }
        };
        self.rows
            .range_from(start.as_ref())
            .skip_while(move |(key, _)| match lower {
                Bound::Excluded(prefix) => key.compare_prefix(prefix) != Ordering::Greater,
                Bound::Included(prefix) => key.compare_prefix(prefix) == Ordering::Less,
                Bound::Unbounded => false,
            })
            .take_while(move |(key, _)| within_upper(key.compare_prefix_upper(upper), upper))
    }

    /// Rows whose index key's leading columns lie within the bounds, in index order.
    /// Entries with NULL in a bounded column are skipped: no comparison is true of NULL.
    pub fn index_range<'a>(
        &'a self,
        index: usize,
        lower: PrefixBound<'a>,
        upper: PrefixBound<'a>,
    ) -> impl Iterator<Item = (Key, &'a Row)> + 'a {
        let bounded = bound_len(lower).max(bound_len(upper));
        let start = match lower {
            Bound::Unbounded => Bound::Unbounded,
            Bound::Included(prefix) | Bound::Excluded(prefix) => Bound::Included(IndexEntry {
                values: prefix.into(),
                row: Key::min(),
            }),
        };
        self.indexes[index]
            .entries
            .range((start, Bound::Unbounded))
            .skip_while(move |entry| match lower {
                Bound::Excluded(prefix) => {
                    compare_prefix(&entry.values, prefix) != Ordering::Greater
                }
                Bound::Included(prefix) => compare_prefix(&entry.values, prefix) == Ordering::Less,
                Bound::Unbounded => false,
            })
            .take_while(move |entry| match upper {
                Bound::Unbounded => true,
                Bound::Included(prefix) => {
                    compare_prefix(&entry.values, prefix) != Ordering::Greater
                }
                Bound::Excluded(prefix) => compare_prefix(&entry.values, prefix) == Ordering::Less,
            })
            .filter(move |entry| !entry.values[..bounded].iter().any(Value::is_null))
            .map(|entry| {
                let row = self
                    .rows
                    .get(&entry.row)
                    .expect("index entries point at stored rows");
                (entry.row.clone(), row)
            })
    }

    /// The first key at or after the start of a prefix range.
    fn range_start(&self, prefix: &[Value]) -> Key {
        match (self.keyed_by_integer(), prefix.first()) {
            (true, Some(v)) => Key::Int(v.as_i64().unwrap_or(i64::MIN)),
            _ => Key::Composite(Arc::new(CompositeKey(prefix.to_vec()))),
        }
    }

    /// True when rows are keyed by a single integer (an integer primary key or the
    /// hidden row id).
    pub(crate) fn keyed_by_integer(&self) -> bool {
        matches!(self.rows, Rows::Int(_))
    }

    /// The key whose `i`th column is `key_value(i)`. A single integer column is kept
    /// inline, with no allocation: the common `id BIGINT PRIMARY KEY`.
    fn make_key(&self, pk: &[usize], key_value: impl Fn(usize) -> Value) -> Key {
        if self.keyed_by_integer() {
            // An integer column holds an integer: the SQL layer coerced it.
            Key::Int(key_value(0).as_i64().expect("integer primary key value"))
        } else {
            Key::Composite(Arc::new(CompositeKey(
                (0..pk.len()).map(key_value).collect(),
            )))
        }
    }

    /// The key of `row`, whose primary key columns are not NULL: only those
    /// columns are decoded.
    fn stored_key(&self, pk: &[usize], row: &Row) -> Key {
        self.make_key(pk, |i| row.decode_column(&self.types, pk[i]))
    }

    /// The key a new row is stored under. Its NOT NULL columns were checked.
    pub(crate) fn key_for_insert(&mut self, row: &Row) -> Key {
        match &self.schema.primary_key {
            Some(pk) => self.stored_key(pk, row),
            None => {
                let id = self.next_row_id;
                self.next_row_id += 1;
                Key::Int(id)
            }
        }
    }

    /// Keeps the hidden row id counter above a key replayed from the log, so rows
    /// inserted after recovery never reuse one.
    pub(crate) fn note_key(&mut self, key: &Key) {
        if let (None, Key::Int(id)) = (&self.schema.primary_key, key) {
            self.next_row_id = self.next_row_id.max(id.saturating_add(1));
        }
    }

    /// Takes back the hidden row id of a rolled-back insert if it was the last one
    /// given out, so that a statement rehearsed and rolled back (see `sql::block`)
    /// leaves the counter where it was and its replay at COMMIT gets the same ids.
    pub(crate) fn forget_key(&mut self, key: &Key) {
        if let (None, Key::Int(id)) = (&self.schema.primary_key, key) {
            if *id == self.next_row_id - 1 {
                self.next_row_id = *id;
            }
        }
    }

    /// The key an updated row moves to: its new primary key, or the same row id.
    /// Its NOT NULL columns were checked.
    pub(crate) fn key_for_update(&self, old: &Key, row: &Row) -> Key {
        match &self.schema.primary_key {
            Some(pk) => self.stored_key(pk, row),
            None => old.clone(),
        }
    }

    /// Checks NOT NULL. Runs before the row's key is computed, because a primary
    /// key column is NOT NULL and a key cannot be made of a NULL.
    pub(crate) fn check_not_null(&self, values: &[Value]) -> Result<(), DbError> {
        self.check_not_null_where(|column| values[column].is_null())
    }

    /// [`Table::check_not_null`] of an encoded row, from its null bitmap.
    pub(crate) fn check_not_null_stored(&self, row: &Row) -> Result<(), DbError> {
        self.check_not_null_where(|column| row.is_null(column))
    }

    fn check_not_null_where(&self, is_null: impl Fn(usize) -> bool) -> Result<(), DbError> {
        match self.first_null_violation(is_null) {
            Some(column) => Err(DbError::NotNullViolation {
                table: self.schema.name.clone(),
                column: self.schema.columns[column].name.clone(),
            }),
            None => Ok(()),
        }
    }

    /// The first NOT NULL column for which `is_null` holds.
    fn first_null_violation(&self, is_null: impl Fn(usize) -> bool) -> Option<usize> {
        (0..self.schema.columns.len()).find(|&i| !self.schema.columns[i].nullable && is_null(i))
    }

    /// Checks the primary key and unique indexes for `row` (of `values`, if the
    /// caller has them) about to be stored under `key`, ignoring the row currently
    /// at `replacing` (an update).
    pub(crate) fn check_unique(
        &self,
        key: &Key,
        row: &Row,
        values: Option<&[Value]>,
        replacing: Option<&Key>,
    ) -> Result<(), DbError> {
        if self.schema.primary_key.is_some()
            && replacing != Some(key)
            && self.rows.contains_key(key)
        {
            return Err(self.primary_key_violation(&values_of(&self.types, row, values)));
        }
        if !self.indexes.iter().any(|i| i.schema.unique) {
            return Ok(());
        }
        let values = values_of(&self.types, row, values);
        for index in self.indexes.iter().filter(|i| i.schema.unique) {
            if let Some(other) = self.conflict_in_index(index, &values) {
                if Some(other) != replacing {
                    return Err(self.unique_violation(
                        &index.schema.name,
                        &index.schema.columns,
                        &values,
                    ));
                }
            }
        }
        Ok(())
    }

    /// 23505 for a row with `values` whose primary key is taken.
    pub(crate) fn primary_key_violation(&self, values: &[Value]) -> DbError {
        let pk = self.schema.primary_key.as_deref().unwrap_or_default();
        self.unique_violation(&self.schema.primary_key_name(), pk, values)
    }

    /// The key of a stored row that a row with `values` would conflict with in the
    /// unique index `index`, if any.
    fn conflict_in_index<'a>(&'a self, index: &'a Index, values: &[Value]) -> Option<&'a Key> {
        let key_values = index_values(&index.schema.columns, values);
        if key_values.iter().any(Value::is_null) {
            return None;
        }
        let start = IndexEntry {
            values: key_values,
            row: Key::min(),
        };
        let entry = index.entries.range(&start..).next()?;
        (entry.values == start.values).then_some(&entry.row)
    }

    /// The key of a stored row that `values` conflict with on the primary key or any
    /// unique index, with the constraint's name (for `INSERT … ON CONFLICT`).
    /// `columns`, when given, restricts the search to the constraint on exactly those
    /// columns (`ON CONFLICT (a, b)`).
    pub fn find_conflict(&self, values: &[Value], columns: Option<&[usize]>) -> Option<Key> {
        let wanted = |cols: &[usize]| columns.is_none_or(|c| c == cols);
        if let Some(pk) = self.schema.primary_key.clone() {
            // A NULL can never equal a stored key (and the insert will fail NOT NULL).
            if wanted(&pk) && pk.iter().all(|&c| !values[c].is_null()) {
                let key = self.make_key(&pk, |i| values[pk[i]].clone());
                if self.rows.contains_key(&key) {
                    return Some(key);
                }
            }
        }
        self.indexes
            .iter()
            .filter(|i| i.schema.unique && wanted(&i.schema.columns))
            .find_map(|i| self.conflict_in_index(i, values).cloned())
    }

    /// True if the table has a primary key or unique index on exactly `columns`.
    pub fn has_unique_constraint_on(&self, columns: &[usize]) -> bool {
        self.schema.primary_key.as_deref() == Some(columns)
            || self
                .indexes
                .iter()
                .any(|i| i.schema.unique && i.schema.columns == columns)
    }

    fn unique_violation(&self, constraint: &str, columns: &[usize], values: &[Value]) -> DbError {
        DbError::UniqueViolation {
            table: self.schema.name.clone(),
            constraint: constraint.to_owned(),
            detail: format!("Key {} already exists.", self.key_text(columns, values)),
        }
    }

    /// 23505 for a unique index (or primary key) being built over rows of
    /// which two have `values` in `columns`, in PostgreSQL's words.
    fn duplicate_in_new_index(&self, index: &str, columns: &[usize], values: &[Value]) -> DbError {
        DbError::DuplicateInNewIndex {
            table: self.schema.name.clone(),
            index: index.to_owned(),
            detail: format!("Key {} is duplicated.", self.key_text(columns, values)),
        }
    }

    /// `(a, b)=(1, x)`: the columns of a key and their values in `values`, a
    /// row of the table.
    fn key_text(&self, columns: &[usize], values: &[Value]) -> String {
        let key: Vec<Value> = columns.iter().map(|&c| values[c].clone()).collect();
        self.key_values_text(columns, &key)
    }

    /// `(a, b)=(1, null)`: the columns of a key and its `key` values, as
    /// PostgreSQL's DETAILs write them.
    pub(super) fn key_values_text(&self, columns: &[usize], key: &[Value]) -> String {
        let names: Vec<&str> = columns
            .iter()
            .map(|&c| self.schema.columns[c].name.as_str())
            .collect();
        format!("({})=({})", names.join(", "), values_text(key))
    }

    /// Stores a row under `key`, maintaining every index. Constraints were checked.
    /// `values` are the row's, if the caller has them; a table with indexes
    /// decodes them otherwise, and one without needs none.
    pub(crate) fn put(&mut self, key: Key, row: Row, values: Option<&[Value]>) {
        if !self.indexes.is_empty() {
            let values = values_of(&self.types, &row, values);
            for index in &mut self.indexes {
                index.entries.insert(IndexEntry {
                    values: index_values(&index.schema.columns, &values),
                    row: key.clone(),
                });
            }
        }
        self.rows.insert(key, row);
    }

    /// Replaces the row under `old_key` with `row` under `new_key`, maintaining
    /// every index (from `values`, the row's, as [`Table::put`] takes them), and
    /// returns the old row and the new one as stored; None, changing nothing, if
    /// there is no row under `old_key`. Constraints were checked. A row that keeps
    /// its key is swapped in place: one probe of the map, which is also the check
    /// that the row exists, and only the indexes whose values changed are touched.
    pub(crate) fn replace(
        &mut self,
        old_key: &Key,
        new_key: Key,
        row: Row,
        values: Option<&[Value]>,
    ) -> Option<(Row, &Row)> {
        if new_key != *old_key {
            let old = self.remove(old_key)?;
            self.put(new_key.clone(), row, values);
            let new = self.rows.get(&new_key).expect("the row just stored");
            return Some((old, new));
        }
        let slot = self.rows.get_mut(old_key)?;
        let old = std::mem::replace(slot, row);
        if !self.indexes.is_empty() {
            let values = values_of(&self.types, slot, values);
            let old_values = old.decode(&self.types);
            for index in &mut self.indexes {
                let columns = &index.schema.columns;
                if columns.iter().all(|&c| old_values[c] == values[c]) {
                    continue;
                }
                index.entries.remove(&IndexEntry {
                    values: index_values(columns, &old_values),
                    row: new_key.clone(),
                });
                index.entries.insert(IndexEntry {
                    values: index_values(columns, &values),
                    row: new_key.clone(),
                });
            }
        }
        Some((old, slot))
    }

    /// Removes the row under `key` and its index entries, returning it.
    pub(crate) fn remove(&mut self, key: &Key) -> Option<Row> {
        let row = self.rows.remove(key)?;
        if !self.indexes.is_empty() {
            let values = row.decode(&self.types);
            for index in &mut self.indexes {
                index.entries.remove(&IndexEntry {
                    values: index_values(&index.schema.columns, &values),
                    row: key.clone(),
                });
            }
        }
        Some(row)
    }

    /// Builds a new index over the current rows; fails without change if a unique
    /// index would have duplicates.
    pub(crate) fn add_index(&mut self, schema: IndexSchema) -> Result<(), DbError> {
        check_key_types(&self.schema, &schema.columns)?;
        let index = self.fill_index(schema);
        if index.schema.unique {
            let mut entries = index.entries.iter().peekable();
            while let Some(entry) = entries.next() {
                let duplicate = entries
                    .peek()
                    .is_some_and(|next| next.values == entry.values);
                if duplicate && !entry.values.iter().any(Value::is_null) {
                    let row = self
                        .rows
                        .get(&entry.row)
                        .expect("index entries point at rows");
                    let values = self.decode(row);
                    return Err(self.duplicate_in_new_index(
                        &index.schema.name,
                        &index.schema.columns,
                        &values,
                    ));
                }
            }
        }
        self.indexes.push(index);
        Ok(())
    }

    /// Builds an index without checking uniqueness: recovery rebuilds indexes on
    /// states that are only consistent once the whole log is replayed.
    pub(crate) fn build_index_unchecked(&mut self, schema: IndexSchema) {
        let index = self.fill_index(schema);
        self.indexes.push(index);
    }

    fn fill_index(&self, schema: IndexSchema) -> Index {
        let entries = self
            .rows
            .range_from(Bound::Unbounded)
            .map(|(key, row)| IndexEntry {
                values: index_values(&schema.columns, &row.decode(&self.types)),
                row: key,
            })
            .collect();
        Index { schema, entries }
    }

    /// Removes the index called `name`, returning it and its position (for undo).
    pub(crate) fn take_index(&mut self, name: &str) -> Option<(usize, Index)> {
        let position = self.indexes.iter().position(|i| i.schema.name == name)?;
        Some((position, self.indexes.remove(position)))
    }

    pub(crate) fn restore_index(&mut self, position: usize, index: Index) {
        self.indexes.insert(position, index);
    }

    /// Empties the table, returning the old rows and index entries (for undo).
    pub(crate) fn take_contents(&mut self) -> TableContents {
        TableContents {
            rows: std::mem::replace(&mut self.rows, Rows::new(&self.schema)),
            index_entries: self
                .indexes
                .iter_mut()
                .map(|i| std::mem::take(&mut i.entries))
                .collect(),
        }
    }

    pub(crate) fn restore_contents(&mut self, contents: TableContents) {
        self.rows = contents.rows;
        for (index, entries) in self.indexes.iter_mut().zip(contents.index_entries) {
            index.entries = entries;
        }
    }

    /// This table with `columns` as its primary key (`ALTER TABLE … ADD PRIMARY
    /// KEY`): those columns NOT NULL, every row under its new key, every index
    /// rebuilt. 23502 if a key column holds NULL, 23505 if two rows share a key;
    /// `self` is left as it was either way.
    pub(crate) fn with_primary_key(
        &self,
        columns: &[usize],
        name: Option<String>,
    ) -> Result<Table, DbError> {
        check_key_types(&self.schema, columns)?;
        let indexes = self.indexes.iter().map(|i| i.schema.clone()).collect();
        self.rebuilt(
            self.schema_with_primary_key(columns, name),
            indexes,
            |values| values,
        )
    }

    /// A new table of `schema` with the secondary indexes `indexes`, holding
    /// `convert` of every row's values (`ALTER TABLE` changing the columns or the
    /// key): every row is checked as an insert is, and stored under the key its
    /// new values give it (a fresh hidden row id without a primary key). 23502
    /// (a column that "contains null values", as PostgreSQL says it of a column
    /// an `ALTER TABLE` made NOT NULL) and 23505 as an insert would fail; `self`
    /// is left as it was either way. The version carries over: a transaction block
    /// that scanned the table sees the rewrite as a change of it.
    pub(crate) fn rebuilt(
        &self,
        schema: TableSchema,
        indexes: Vec<IndexSchema>,
        mut convert: impl FnMut(Vec<Value>) -> Vec<Value>,
    ) -> Result<Table, DbError> {
        let mut table = Table::new(schema);
        table.version = self.version;
        for row in self.rows.values() {
            let values = convert(self.decode(row));
            if let Some(column) = table.first_null_violation(|c| values[c].is_null()) {
                return Err(DbError::ColumnContainsNulls {
                    table: table.schema.name.clone(),
                    column: table.schema.columns[column].name.clone(),
                });
            }
            let row = Row::encode(&values);
            let key = table.key_for_insert(&row);
            if table.rows.contains_key(&key) {
                let pk = table.schema.primary_key.as_deref().unwrap_or_default();
                let name = table.schema.primary_key_name();
                return Err(table.duplicate_in_new_index(&name, pk, &values));
            }
            table.rows.insert(key, row);
        }
        for index in indexes {
            table.add_index(index)?;
        }
        Ok(table)
    }

    /// Gives the table `schema`, which keeps its row layout (column types and
    /// primary key), returning the one it had. Rows and indexes are untouched.
    pub(super) fn set_schema(&mut self, schema: Arc<TableSchema>) -> Arc<TableSchema> {
        debug_assert!(
            schema.primary_key == self.schema.primary_key && *schema.column_types() == *self.types,
            "a schema change that keeps the rows keeps their layout"
        );
        std::mem::replace(&mut self.schema, schema)
    }

    /// 23502 if column `column` holds a NULL in some row (before an `ALTER TABLE`
    /// makes it NOT NULL).
    pub(crate) fn check_no_nulls(&self, column: usize) -> Result<(), DbError> {
        if self.rows.values().any(|row| row.is_null(column)) {
            return Err(DbError::ColumnContainsNulls {
                table: self.schema.name.clone(),
                column: self.schema.columns[column].name.clone(),
            });
        }
        Ok(())
    }

    /// Recovery's `ADD PRIMARY KEY`: the schema gets the key and every row goes;
    /// the row images logged with it put them back under their new keys.
    pub(crate) fn reset_with_primary_key(&mut self, columns: &[usize], name: Option<String>) {
        self.schema = Arc::new(self.schema_with_primary_key(columns, name));
        self.take_contents();
    }

    fn schema_with_primary_key(&self, columns: &[usize], name: Option<String>) -> TableSchema {
        let mut schema = self.schema.as_ref().clone();
        for &c in columns {
            schema.columns[c].nullable = false;
        }
        schema.primary_key = Some(columns.to_vec());
        schema.primary_key_constraint = name;
        schema
    }
}

/// 42704 if one of `columns` has a type no key can order (json, json[]).
pub(crate) fn check_key_types(schema: &TableSchema, columns: &[usize]) -> Result<(), DbError> {
    match columns
        .iter()
        .map(|&c| schema.columns[c].data_type)
        .find(|ty| !ty.has_order())
    {
        Some(ty) => Err(DbError::NoKeyOrder(ty)),
        None => Ok(()),
    }
}

/// A table's rows by key, in the form its keys take (see [`Key`]): every key of a
/// table has the form its primary key gives, so a key of the other form is in
/// none of its rows.
#[derive(Debug, Clone)]
enum Rows {
    Int(BPlusTree<i64, Row>),
    Composite(BPlusTree<Arc<CompositeKey>, Row>),
}

impl Rows {
    /// Empty rows for a table of `schema`: integer keys for a primary key of one
    /// integer column and for the hidden row id of a table without one.
    fn new(schema: &TableSchema) -> Rows {
        let int_keys = match &schema.primary_key {
            None => true,
            Some(pk) => pk.len() == 1 && schema.columns[pk[0]].data_type.is_integer(),
        };
        if int_keys {
            Rows::Int(BPlusTree::new())
        } else {
            Rows::Composite(BPlusTree::new())
        }
    }

    fn len(&self) -> usize {
        match self {
            Rows::Int(rows) => rows.len(),
            Rows::Composite(rows) => rows.len(),
        }
    }

    fn get(&self, key: &Key) -> Option<&Row> {
        match (self, key) {
            (Rows::Int(rows), Key::Int(i)) => rows.get(i),
            (Rows::Composite(rows), Key::Composite(c)) => rows.get(c),
            _ => None,
        }
    }

    fn get_mut(&mut self, key: &Key) -> Option<&mut Row> {
        match (self, key) {
            (Rows::Int(rows), Key::Int(i)) => rows.get_mut(i),
            (Rows::Composite(rows), Key::Composite(c)) => rows.get_mut(c),
            _ => None,
        }
    }

    fn contains_key(&self, key: &Key) -> bool {
        self.get(key).is_some()
    }

    /// Stores `row` under `key`, which has the table's form (the table made it).
    fn insert(&mut self, key: Key, row: Row) {
        match (self, key) {
            (Rows::Int(rows), Key::Int(i)) => rows.insert(i, row),
            (Rows::Composite(rows), Key::Composite(c)) => rows.insert(c, row),
            (_, key) => unreachable!("a key of the other form: {key:?}"),
        };
    }

    fn remove(&mut self, key: &Key) -> Option<Row> {
        match (self, key) {
            (Rows::Int(rows), Key::Int(i)) => rows.remove(i),
            (Rows::Composite(rows), Key::Composite(c)) => rows.remove(c),
            _ => None,
        }
    }

    /// The rows from `start` on, in key order. A start of the other form is before
    /// or after every key as `Key`'s order has it (integers first).
    fn range_from(&self, start: Bound<&Key>) -> RowsRange<'_> {
        match self {
            Rows::Int(rows) => RowsRange::Int(match start {
                Bound::Included(Key::Int(i)) => rows.range_from(Bound::Included(i)),
                Bound::Excluded(Key::Int(i)) => rows.range_from(Bound::Excluded(i)),
                Bound::Unbounded => rows.range_from(Bound::Unbounded),
                Bound::Included(Key::Composite(_)) | Bound::Excluded(Key::Composite(_)) => {
                    rows.range_from(Bound::Excluded(&i64::MAX))
                }
            }),
            Rows::Composite(rows) => RowsRange::Composite(match start {
                Bound::Included(Key::Composite(c)) => rows.range_from(Bound::Included(c)),
                Bound::Excluded(Key::Composite(c)) => rows.range_from(Bound::Excluded(c)),
                Bound::Unbounded | Bound::Included(Key::Int(_)) | Bound::Excluded(Key::Int(_)) => {
                    rows.range_from(Bound::Unbounded)
                }
            }),
        }
    }

    fn values(&self) -> impl Iterator<Item = &Row> + '_ {
        self.range_from(Bound::Unbounded).map(|(_, row)| row)
    }
}

/// A table's rows from some key on, in key order, each with its whole key.
pub enum RowsRange<'a> {
    Int(Range<'a, i64, Row>),
    Composite(Range<'a, Arc<CompositeKey>, Row>),
}

impl<'a> Iterator for RowsRange<'a> {
    type Item = (Key, &'a Row);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            RowsRange::Int(rows) => rows.next().map(|(&i, row)| (Key::Int(i), row)),
            RowsRange::Composite(rows) => {
                rows.next().map(|(c, row)| (Key::Composite(c.clone()), row))
            }
        }
    }
}

/// A table's data without its schema, as `TRUNCATE` takes it away.
#[derive(Debug)]
pub(crate) struct TableContents {
    rows: Rows,
    index_entries: Vec<BTreeSet<IndexEntry>>,
}

/// The values of `row` (of column types `types`), borrowed from `given` when the
/// caller has them, else decoded: only what needs values (an index, an error's
/// detail) asks for them.
/// `1, null, x`: values as PostgreSQL's DETAILs write them.
pub(super) fn values_text(values: &[Value]) -> String {
    let shown: Vec<String> = values
        .iter()
        .map(|v| match v {
            Value::Null => "null".to_owned(),
            v => v.to_text(),
        })
        .collect();
    shown.join(", ")
}

fn values_of<'a>(types: &[DataType], row: &Row, given: Option<&'a [Value]>) -> Cow<'a, [Value]> {
    match given {
        Some(values) => Cow::Borrowed(values),
        None => Cow::Owned(row.decode(types)),
    }
}

fn index_values(columns: &[usize], values: &[Value]) -> Box<[Value]> {
    columns.iter().map(|&c| values[c].clone()).collect()
}

fn bound_len(bound: PrefixBound<'_>) -> usize {
    match bound {
        Bound::Included(p) | Bound::Excluded(p) => p.len(),
        Bound::Unbounded => 0,
    }
}

impl Key {
    /// The comparison of this key with an upper bound's prefix (Equal if unbounded).
    fn compare_prefix_upper(&self, upper: PrefixBound<'_>) -> Ordering {
        match upper {
            Bound::Unbounded => Ordering::Equal,
            Bound::Included(p) | Bound::Excluded(p) => self.compare_prefix(p),
        }
    }
}

fn within_upper(ordering: Ordering, upper: PrefixBound<'_>) -> bool {
    match upper {
        Bound::Unbounded => true,
        Bound::Included(_) => ordering != Ordering::Greater,
        Bound::Excluded(_) => ordering == Ordering::Less,
    }
}
