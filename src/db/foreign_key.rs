//! Foreign keys: how the store keeps every reference pointing at a row.
//!
//! A table's foreign keys are part of its schema ([`ForeignKey`]): columns of
//! its own whose values name a row of a table (another, or itself) by that
//! table's primary key or the columns of one of its UNIQUE constraints. The store
//! enforces them on every write, whoever makes it (a statement, a reducer, a
//! block's COMMIT), with key lookups and scans only: no SQL runs.
//!
//! # When they are checked
//!
//! PostgreSQL checks a foreign key at the end of the statement, and one declared
//! `DEFERRABLE INITIALLY DEFERRED` at COMMIT: a statement may delete a
//! referenced row and the rows that reference it in any order, and a block may
//! insert a row before the row it references. The store does the same. Each
//! write notes in its transaction what may have broken a reference
//! ([`Pending`]): a row stored in a referencing table (the row it references
//! must exist), or a referenced key that went away (no row may reference it
//! any more). [`WriteTxn::check_references`] checks them when the caller says
//! the statement is over: all of them at the end of an autocommit statement, a
//! reducer call or a block's COMMIT, and all but the deferred ones at the end of
//! a statement in a block. Which keys a block defers is its
//! [`ConstraintModes`]: those declared `INITIALLY DEFERRED`, unless `SET
//! CONSTRAINTS` said otherwise. Each is checked against the state then, so a row
//! deleted again, or a key put back, is no failure. RESTRICT is checked there too
//! (PostgreSQL checks it as the row changes; the outcomes differ only for a
//! statement that removes a referenced key and puts it back).
//!
//! # Actions
//!
//! `ON DELETE` / `ON UPDATE` CASCADE and SET NULL act when the statement ends,
//! before the checks, as PostgreSQL's run after the statement's own row
//! changes (so `UPDATE tree SET id = id * 10` of a table referencing itself
//! gives every row its parent's new key), and never later, even for a deferred
//! key. Each deleted referenced row, or changed referenced key, notes its
//! action; at the statement's end the rows that reference the old key then are
//! deleted, given the new key, or given NULLs, through the same transaction,
//! with their own checks and their own keys' actions, so a cascade follows a
//! chain of tables (and a table referencing itself) to its end. SET DEFAULT is
//! refused when the key is defined (0A000): a default is SQL, which the store
//! does not run. A RESTRICT key is checked at the statement's end even when it
//! is deferred, as PostgreSQL never defers RESTRICT.
//!
//! # Cost
//!
//! Checking a referencing row is one lookup in the referenced table. Finding the
//! rows that reference a key that went away scans the referencing table, as
//! PostgreSQL does when no index starts with the referencing columns; Turnstile
//! does so even when one does. Tables without foreign keys pay nothing: the
//! writes that could involve one look for them only when the schema has some.

use std::sync::Arc;

use super::catalog::{ForeignKey, ReferentialAction, TableId};
use super::key::Key;
use super::row::Row;
use super::{Database, DbError, Table, WriteTxn};
use crate::types::{cast, CastKind, DataType, Value};

/// Which deferrable foreign keys a transaction checks at COMMIT rather than at
/// each statement's end: `SET CONSTRAINTS { ALL | name, … } { DEFERRED |
/// IMMEDIATE }` as a transaction block has said so far. A key that is not
/// `DEFERRABLE` is never deferred.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConstraintModes {
    /// The last `SET CONSTRAINTS ALL`: deferred (true) or immediate.
    all: Option<bool>,
    /// `SET CONSTRAINTS name` since then, by constraint name (every key of
    /// that name, whatever its table, as in PostgreSQL).
    named: Vec<(String, bool)>,
}

impl ConstraintModes {
    /// `SET CONSTRAINTS ALL`: overrides what was said of single keys.
    pub fn set_all(&mut self, deferred: bool) {
        self.all = Some(deferred);
        self.named.clear();
    }

    /// `SET CONSTRAINTS name`.
    pub fn set(&mut self, name: &str, deferred: bool) {
        self.named.retain(|(n, _)| n != name);
        self.named.push((name.to_owned(), deferred));
    }

    /// True if `foreign_key` is checked at COMMIT.
    pub fn deferred(&self, foreign_key: &ForeignKey) -> bool {
        foreign_key.deferrable
            && self
                .named
                .iter()
                .find(|(name, _)| *name == foreign_key.name)
                .map(|(_, deferred)| *deferred)
                .or(self.all)
                .unwrap_or(foreign_key.initially_deferred)
    }
}

/// A reference a write may have broken, to check when the statement ends.
#[derive(Debug, Clone)]
pub(super) enum Pending {
    /// The row under `key` of `table` was stored: what its foreign key
    /// `constraint` references must exist.
    Referencing {
        table: TableId,
        constraint: String,
        key: Key,
    },
    /// A row referenced through foreign key `constraint` of table `table` by
    /// the values `key` went away, or its key changed: no row of `table` may
    /// still reference them. `restrict`: the key's action is RESTRICT, which is
    /// never deferred.
    Referenced {
        table: TableId,
        constraint: String,
        key: Vec<Value>,
        restrict: bool,
    },
    /// The same, for a key whose action is CASCADE or SET NULL: what is done
    /// to the rows of `table` that reference `key` when the statement ends.
    Act {
        table: TableId,
        constraint: String,
        key: Vec<Value>,
        action: Action,
    },
}

/// What a CASCADE or SET NULL does to a row that references a key gone.
#[derive(Debug, Clone)]
pub(super) enum Action {
    /// ON DELETE CASCADE.
    Delete,
    /// ON UPDATE CASCADE: the new key.
    SetKey(Vec<Value>),
    SetNull,
}

impl Database {
    /// Foreign key `name` of table `table`, if both are there.
    fn foreign_key(&self, table: TableId, name: &str) -> Option<ForeignKey> {
        let t = self.find_table(table)?;
        t.schema()
            .foreign_keys
            .iter()
            .find(|k| k.name == name)
            .cloned()
    }

    /// Every foreign key that references table `table`, with the table that
    /// has it.
    pub fn references_to(&self, table: TableId) -> Vec<(TableId, ForeignKey)> {
        self.tables
            .values()
            .flat_map(|t| {
                let schema = t.schema();
                schema
                    .foreign_keys
                    .iter()
                    .filter(move |key| key.referenced_table == table)
                    .map(move |key| (schema.id, key.clone()))
            })
            .collect()
    }

    /// True if some row of table `referenced` has `values` in `columns` (a key
    /// a foreign key may name): the values are converted to those columns'
    /// types first, as PostgreSQL compares an integer key with a bigint one.
    pub fn referenced_row_exists(
        &self,
        referenced: TableId,
        columns: &[usize],
        values: &[Value],
    ) -> bool {
        let Some(table) = self.find_table(referenced) else {
            return false;
        };
        let types = table.column_types();
        let mut row = vec![Value::Null; types.len()];
        for (&column, value) in columns.iter().zip(values) {
            match converted_exactly(value, types[column]) {
                Some(value) => row[column] = value,
                None => return false,
            }
        }
        let mut sorted = columns.to_vec();
        sorted.sort_unstable();
        let constraint = unique_columns(table, &sorted);
        table.find_conflict(&row, constraint.as_deref()).is_some()
    }

    /// The keys of the rows of table `referencing` whose foreign key `key`
    /// references `values`.
    pub fn referencing_rows(
        &self,
        referencing: TableId,
        key: &ForeignKey,
        values: &[Value],
    ) -> Vec<Key> {
        let Some(table) = self.find_table(referencing) else {
            return Vec::new();
        };
        let mut wanted = vec![false; table.column_types().len()];
        for &c in &key.columns {
            wanted[c] = true;
        }
        table
            .scan()
            .filter(|(_, row)| {
                let row = table.decode_only(row, &wanted);
                key.columns
                    .iter()
                    .zip(values)
                    .all(|(&c, v)| !row[c].is_null() && same_key_value(&row[c], v))
            })
            .map(|(key, _)| key)
            .collect()
    }
}

/// The columns of the primary key or UNIQUE constraint of `table` whose
/// columns are `sorted` in some order, in that constraint's order.
fn unique_columns(table: &Table, sorted: &[usize]) -> Option<Vec<usize>> {
    let schema = table.schema();
    let indexes = table.indexes().iter().filter(|i| i.schema.unique);
    schema
        .primary_key
        .iter()
        .chain(indexes.map(|i| &i.schema.columns))
        .find(|columns| {
            let mut them = columns.to_vec();
            them.sort_unstable();
            them == sorted
        })
        .cloned()
}

/// True if a referencing value and a referenced one are the same key: equal
/// once the first is converted to the second's type without a loss.
fn same_key_value(referencing: &Value, referenced: &Value) -> bool {
    converted_exactly(referencing, referenced.data_type()).as_ref() == Some(referenced)
}

/// `value` in type `ty`, if it converts there; a number or a time only if it
/// converts back to itself: a float8 0.1 is no real, a timestamp at 10:00 no
/// date, as PostgreSQL compares them in the wider type. (Text converts as
/// PostgreSQL compares it: `'ab '` is the `char(3)` `'ab'`.)
fn converted_exactly(value: &Value, ty: DataType) -> Option<Value> {
    let converted = cast(value.clone(), ty, CastKind::Assignment).ok()?;
    if value.data_type().is_text() {
        return Some(converted);
    }
    let back = cast(converted.clone(), value.data_type(), CastKind::Explicit).ok()?;
    (back == *value).then_some(converted)
}

/// The values of `columns` in `values`.
fn picked(values: &[Value], columns: &[usize]) -> Vec<Value> {
    columns.iter().map(|&c| values[c].clone()).collect()
}

impl WriteTxn<'_> {
    /// Notes the foreign keys of table `table` that the row just stored under
    /// `key` must keep: all of them for a new row, those whose columns changed
    /// for one that replaced `old` (PostgreSQL checks no other: an UPDATE of
    /// other columns passes even over a row a NOT VALID key does not hold).
    pub(super) fn note_referencing_row(&mut self, table: TableId, key: &Key, old: Option<&Row>) {
        let t = self.db.table(table);
        let schema = Arc::clone(t.schema());
        if schema.foreign_keys.is_empty() {
            return;
        }
        let changed = old.map(|old| {
            let new = t.get(key).expect("the row was just stored");
            (t.decode(old), t.decode(new))
        });
        for foreign_key in &schema.foreign_keys {
            if let Some((old, new)) = &changed {
                if picked(old, &foreign_key.columns) == picked(new, &foreign_key.columns) {
                    continue;
                }
            }
            self.pending_references.push(Pending::Referencing {
                table,
                constraint: foreign_key.name.clone(),
                key: key.clone(),
            });
        }
    }

    /// Does what the foreign keys that reference table `table` do when its row
    /// `old` is deleted (`new` None) or replaced by `new`: nothing if no
    /// referenced key changed; else cascade or set NULL at once, or note the
    /// key that went away to check when the statement ends. A replay of
    /// recorded changes (`replaying`) takes no action (its changes include
    /// what the actions did): it notes the key to check.
    pub(super) fn referenced_row_changed(
        &mut self,
        table: TableId,
        old: &Row,
        new: Option<&Row>,
        replaying: bool,
    ) -> Result<(), DbError> {
        let references = self.db.references_to(table);
        if references.is_empty() {
            return Ok(());
        }
        let t = self.db.table(table);
        let old = t.decode(old);
        let new = new.map(|row| t.decode(row));
        for (referencing, foreign_key) in references {
            let key = picked(&old, &foreign_key.referenced_columns);
            if key.iter().any(Value::is_null) {
                continue;
            }
            let new_key = new
                .as_ref()
                .map(|new| picked(new, &foreign_key.referenced_columns));
            if new_key.as_ref() == Some(&key) {
                continue;
            }
            let action = match (&new_key, replaying) {
                (_, true) => ReferentialAction::NoAction,
                (None, false) => foreign_key.on_delete,
                (Some(_), false) => foreign_key.on_update,
            };
            let constraint = foreign_key.name.clone();
            self.pending_references.push(match action {
                ReferentialAction::NoAction | ReferentialAction::Restrict => Pending::Referenced {
                    table: referencing,
                    constraint,
                    key,
                    restrict: action == ReferentialAction::Restrict,
                },
                ReferentialAction::Cascade => Pending::Act {
                    table: referencing,
                    constraint,
                    key,
                    action: match new_key {
                        None => Action::Delete,
                        Some(new_key) => Action::SetKey(new_key),
                    },
                },
                ReferentialAction::SetNull => Pending::Act {
                    table: referencing,
                    constraint,
                    key,
                    action: Action::SetNull,
                },
            });
        }
        Ok(())
    }

    /// Runs an action noted by [`WriteTxn::referenced_row_changed`] on the rows
    /// of table `table` that reference `key` through `foreign_key` now; nothing
    /// if a row with `key` is there again.
    fn act(
        &mut self,
        table: TableId,
        foreign_key: &ForeignKey,
        key: &[Value],
        action: &Action,
    ) -> Result<(), DbError> {
        if self.db.referenced_row_exists(
            foreign_key.referenced_table,
            &foreign_key.referenced_columns,
            key,
        ) {
            return Ok(());
        }
        for row_key in self.db.referencing_rows(table, foreign_key, key) {
            let t = self.db.table(table);
            // An earlier action may have deleted it already (a table that
            // references itself).
            let Some(row) = t.get(&row_key) else {
                continue;
            };
            let mut values = t.decode(row);
            match action {
                Action::Delete => {
                    self.delete(table, &row_key)?;
                    continue;
                }
                Action::SetKey(new_key) => {
                    for (&c, v) in foreign_key.columns.iter().zip(new_key) {
                        values[c] = cast(v.clone(), t.column_types()[c], CastKind::Assignment)?;
                    }
                }
                Action::SetNull => {
                    for &c in &foreign_key.columns {
                        values[c] = Value::Null;
                    }
                }
            }
            self.update(table, &row_key, values)?;
        }
        Ok(())
    }

    /// Forgets the references noted so far, unchecked: those of a block's
    /// earlier statements, made again for a rehearsal of the next one (see
    /// `sql::block`).
    pub fn forget_references(&mut self) {
        self.pending_references.clear();
    }

    /// Checks the references the transaction's writes may have broken (see the
    /// module doc): every one (`deferring` None: the end of an autocommit
    /// statement, a reducer call or a block's COMMIT), or all but those of the
    /// foreign keys `deferring` defers, which stay noted (the end of a block's
    /// statement). 23503 for the first that does not hold.
    pub fn check_references(&mut self, deferring: Option<&ConstraintModes>) -> Result<(), DbError> {
        // The actions first, in the order noted; each may note more.
        while let Some(i) = self
            .pending_references
            .iter()
            .position(|p| matches!(p, Pending::Act { .. }))
        {
            let Pending::Act {
                table,
                constraint,
                key,
                action,
            } = self.pending_references.remove(i)
            else {
                unreachable!("found above")
            };
            if let Some(foreign_key) = self.db.foreign_key(table, &constraint) {
                self.act(table, &foreign_key, &key, &action)?;
            }
        }
        let pending = std::mem::take(&mut self.pending_references);
        for (i, check) in pending.iter().enumerate() {
            let (table, constraint, restrict) = match check {
                Pending::Referencing {
                    table, constraint, ..
                } => (table, constraint, false),
                Pending::Referenced {
                    table,
                    constraint,
                    restrict,
                    ..
                } => (table, constraint, *restrict),
                Pending::Act { .. } => unreachable!("the actions ran above"),
            };
            let Some(foreign_key) = self.db.foreign_key(*table, constraint) else {
                continue;
            };
            if !restrict && deferring.is_some_and(|modes| modes.deferred(&foreign_key)) {
                self.pending_references.push(check.clone());
                continue;
            }
            let result = match check {
                Pending::Referencing { table, key, .. } => {
                    self.db.check_referencing_row(*table, key, &foreign_key)
                }
                Pending::Referenced { table, key, .. } => {
                    self.db.check_unreferenced(*table, &foreign_key, key)
                }
                Pending::Act { .. } => unreachable!("the actions ran above"),
            };
            if let Err(error) = result {
                self.pending_references
                    .extend(pending[i + 1..].iter().cloned());
                return Err(error);
            }
        }
        Ok(())
    }
}

impl Database {
    /// 23503 unless the row under `key` of table `table` (if it is still there)
    /// references a row that exists through `foreign_key`.
    pub(super) fn check_referencing_row(
        &self,
        table: TableId,
        key: &Key,
        foreign_key: &ForeignKey,
    ) -> Result<(), DbError> {
        let t = self.table(table);
        let Some(row) = t.get(key) else {
            return Ok(());
        };
        self.check_referencing_values(t, foreign_key, &t.decode(row))
    }

    /// 23503 unless `values`, a row of `t`, reference a row that exists through
    /// `foreign_key` (or reference nothing: a NULL among them under MATCH
    /// SIMPLE, all NULL under MATCH FULL).
    pub(super) fn check_referencing_values(
        &self,
        t: &Table,
        foreign_key: &ForeignKey,
        values: &[Value],
    ) -> Result<(), DbError> {
        let key = picked(values, &foreign_key.columns);
        let nulls = key.iter().filter(|v| v.is_null()).count();
        let violation = |detail: String| DbError::ForeignKeyViolation {
            table: t.schema().name.clone(),
            constraint: foreign_key.name.clone(),
            detail,
        };
        if nulls == key.len() {
            return Ok(());
        }
        if nulls > 0 {
            if foreign_key.match_full {
                return Err(violation(
                    "MATCH FULL does not allow mixing of null and nonnull key values.".into(),
                ));
            }
            return Ok(());
        }
        if self.referenced_row_exists(
            foreign_key.referenced_table,
            &foreign_key.referenced_columns,
            &key,
        ) {
            return Ok(());
        }
        let referenced = self
            .find_table(foreign_key.referenced_table)
            .map_or_else(String::new, |r| r.schema().name.clone());
        Err(violation(format!(
            "Key {} is not present in table \"{referenced}\".",
            t.key_values_text(&foreign_key.columns, &key)
        )))
    }

    /// 23503 if, the referenced row gone (or its key changed), a row of table
    /// `table` still references `key` through `foreign_key`, unless a row with
    /// that key is there again.
    fn check_unreferenced(
        &self,
        table: TableId,
        foreign_key: &ForeignKey,
        key: &[Value],
    ) -> Result<(), DbError> {
        let referenced = foreign_key.referenced_table;
        if self.referenced_row_exists(referenced, &foreign_key.referenced_columns, key) {
            return Ok(());
        }
        if self.referencing_rows(table, foreign_key, key).is_empty() {
            return Ok(());
        }
        let referenced = self.table(referenced);
        Err(DbError::ForeignKeyStillReferenced {
            table: referenced.schema().name.clone(),
            constraint: foreign_key.name.clone(),
            referencing: self.table(table).schema().name.clone(),
            detail: format!(
                "Key {} is still referenced from table \"{}\".",
                referenced.key_values_text(&foreign_key.referenced_columns, key),
                self.table(table).schema().name
            ),
        })
    }
}
