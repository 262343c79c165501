//! Sequences: named counters for `nextval`, `serial` columns and identity columns.
//!
//! # Why a sequence is not transactional
//!
//! PostgreSQL never takes a `nextval` back: a value handed out stays used even if
//! the transaction that asked for it rolls back, so that concurrent transactions
//! never wait for each other to learn the next value. Turnstile keeps that
//! promise, and it matters more here than there: a transaction block's statements
//! are rehearsed and rolled back (see `sql::block`), and the ids a rehearsed
//! `INSERT … RETURNING id` showed the client must still be the block's at COMMIT
//! and nobody else's.
//!
//! So a sequence's state lives beside the transactional data. It changes only
//! under the write lock (the SQL layer refuses `nextval` anywhere else), through
//! [`Database::advance_sequence`] and [`Database::set_sequence`], which note the
//! sequence as touched. The write transaction that ends — committed or rolled
//! back — logs the touched sequences' states as they are then: in its own commit
//! record, or in a record of their own after a rollback. Log order is therefore
//! the order of the changes in memory, and recovery ends with exactly the states
//! the server had (invariant 6). Only a transaction dropped without an ending (a
//! panic) or whose log append failed puts the states back, since nothing of it
//! reaches the log.
//!
//! A sequence created in a transaction that rolls back is gone with it, its
//! advances too; one created in a transaction block has its state recorded as a
//! block change, so that COMMIT recreates it where the block's statements left it.
//! `TRUNCATE … RESTART IDENTITY` and `ALTER SEQUENCE` are the transactional
//! changes of an existing sequence, as in PostgreSQL (which gives the sequence
//! new storage): the change and the advances after it are undone with the
//! transaction and recorded by a block like those of a sequence it created
//! (`WriteTxn::restart_sequence`, `WriteTxn::alter_sequence`).

use std::sync::atomic::Ordering;

use parking_lot::Mutex;

use super::catalog::TableId;
use super::Database;
use super::DbError;
use crate::types::DataType;

/// What `CREATE SEQUENCE` fixed: the type, the step and the bounds.
#[derive(Debug, Clone, PartialEq)]
pub struct SequenceSchema {
    /// Its OID, from the same counter as table ids (both are `pg_class` rows).
    pub id: TableId,
    pub name: String,
    /// The name it was created with, which a rename keeps. With the id, what
    /// tells it apart from a sequence that took the id of one whose creation
    /// was rolled back (ids are given back so that a transaction block's
    /// creations, made again at COMMIT, get the ids they had): sessions keep
    /// `currval` by both. Not logged: after a restart no session has one.
    pub created_as: String,
    /// `smallint`, `integer` or `bigint`: what `AS` said, bounding the defaults.
    pub data_type: DataType,
    pub start: i64,
    pub increment: i64,
    pub min: i64,
    pub max: i64,
    pub cycle: bool,
    /// `CACHE`: shown by the catalog and kept by `pg_dump`; a session draws
    /// one value at a time whatever it says, as each `nextval` is a memory
    /// update anyway.
    pub cache: i64,
    /// The table and column the sequence belongs to (`serial`, identity, `OWNED
    /// BY`): dropped with the table, and not droppable on its own.
    pub owned_by: Option<(TableId, usize)>,
}

/// Where a sequence stands: `last_value` is the next value to hand out while
/// `is_called` is false (a fresh or `setval(…, false)` sequence), else the last
/// one handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SequenceState {
    pub last_value: i64,
    pub is_called: bool,
}

/// What `ALTER SEQUENCE` does to where a sequence stands (see
/// [`WriteTxn::alter_sequence`](super::WriteTxn::alter_sequence)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequenceStorage {
    /// `RENAME TO`, `OWNED BY`: the sequence keeps its storage, and its moves
    /// stay outside transactions.
    Same,
    /// Any other option: new storage, at the state the sequence had (this
    /// one; made again for a transaction block that drew from the sequence
    /// after it, it must still have it, see `WriteTxn::replay`).
    Kept(SequenceState),
    /// `RESTART`: new storage at this state.
    Restarted(SequenceState),
}

/// A sequence: its schema and its state, which changes behind a shared
/// reference (see the module doc for when).
#[derive(Debug)]
pub struct Sequence {
    schema: SequenceSchema,
    state: Mutex<SequenceState>,
}

impl Clone for Sequence {
    fn clone(&self) -> Sequence {
        Sequence::new(self.schema.clone(), self.state())
    }
}

impl Sequence {
    pub fn new(schema: SequenceSchema, state: SequenceState) -> Sequence {
        Sequence {
            schema,
            state: Mutex::new(state),
        }
    }

    /// A fresh sequence: its first `nextval` is `start`.
    pub fn fresh(schema: SequenceSchema) -> Sequence {
        let state = SequenceState {
            last_value: schema.start,
            is_called: false,
        };
        Sequence::new(schema, state)
    }

    pub fn schema(&self) -> &SequenceSchema {
        &self.schema
    }

    pub fn state(&self) -> SequenceState {
        *self.state.lock()
    }

    pub(super) fn set_state(&self, state: SequenceState) {
        *self.state.lock() = state;
    }

    fn replace_state(&self, state: SequenceState) -> SequenceState {
        std::mem::replace(&mut self.state.lock(), state)
    }

    /// The value the next `nextval` returns, as PostgreSQL's `nextval_internal`
    /// computes it: 2200H past a bound unless the sequence cycles.
    fn next_state(&self) -> Result<SequenceState, DbError> {
        let SequenceState {
            last_value,
            is_called,
        } = self.state();
        let s = &self.schema;
        if !is_called {
            return Ok(SequenceState {
                last_value,
                is_called: true,
            });
        }
        let next = last_value
            .checked_add(s.increment)
            .filter(|n| (s.min..=s.max).contains(n));
        let value = match next {
            Some(n) => n,
            None if s.cycle => {
                if s.increment > 0 {
                    s.min
                } else {
                    s.max
                }
            }
            None => {
                return Err(DbError::SequenceLimit {
                    name: s.name.clone(),
                    ascending: s.increment > 0,
                    bound: if s.increment > 0 { s.max } else { s.min },
                })
            }
        };
        Ok(SequenceState {
            last_value: value,
            is_called: true,
        })
    }
}

impl Database {
    /// The sequence called `name`.
    pub fn get_sequence(&self, name: &str) -> Option<&Sequence> {
        self.sequences.get(name)
    }

    /// The sequence whose OID is `id`.
    pub fn sequence_by_id(&self, id: TableId) -> Option<&Sequence> {
        self.sequences.values().find(|s| s.schema.id == id)
    }

    /// Every sequence, by name.
    pub fn sequences(&self) -> impl Iterator<Item = &Sequence> + '_ {
        self.sequences.values()
    }

    /// `nextval`: advances the sequence called `name` and returns its new value.
    /// Only the holder of the write lock may call it; the write transaction it
    /// runs in logs the change however it ends (see the module doc).
    pub fn advance_sequence(&self, name: &str) -> Result<i64, DbError> {
        debug_assert!(self.in_write_transaction, "nextval outside a write");
        let sequence = self.must_get_sequence(name)?;
        let next = sequence.next_state()?;
        self.touch_sequence(sequence, next);
        Ok(next.last_value)
    }

    /// `setval`: sets the sequence called `name` to `value`, which must lie within
    /// its bounds (22003); under the write lock, like
    /// [`Database::advance_sequence`].
    pub fn set_sequence(&self, name: &str, value: i64, is_called: bool) -> Result<(), DbError> {
        debug_assert!(self.in_write_transaction, "setval outside a write");
        let sequence = self.must_get_sequence(name)?;
        let s = &sequence.schema;
        if !(s.min..=s.max).contains(&value) {
            return Err(DbError::SequenceValueOutOfBounds {
                name: s.name.clone(),
                value,
                min: s.min,
                max: s.max,
            });
        }
        let state = SequenceState {
            last_value: value,
            is_called,
        };
        self.touch_sequence(sequence, state);
        Ok(())
    }

    fn must_get_sequence(&self, name: &str) -> Result<&Sequence, DbError> {
        self.get_sequence(name)
            .ok_or_else(|| DbError::UndefinedTable(name.to_owned()))
    }

    /// Sets `sequence`'s state, noting its state before the transaction's first
    /// change of it.
    /// How many times sequences have moved (by `nextval` or `setval`) since the
    /// server started.
    pub fn sequence_moves(&self) -> u64 {
        self.sequence_moves.load(Ordering::Relaxed)
    }

    fn touch_sequence(&self, sequence: &Sequence, state: SequenceState) {
        self.sequence_moves.fetch_add(1, Ordering::Relaxed);
        let before = sequence.replace_state(state);
        let mut touched = self.touched_sequences.lock();
        if !touched.iter().any(|t| t.id == sequence.schema.id) {
            touched.push(Touched {
                id: sequence.schema.id,
                name: sequence.schema.name.clone(),
                before,
            });
        }
    }

    /// The sequence that `touched` moved, if it still exists (not dropped, nor
    /// dropped and created again under its name): by the name it had, or, if
    /// `ALTER SEQUENCE … RENAME` gave it another since, by its id.
    pub(super) fn touched_sequence(&self, touched: &Touched) -> Option<&Sequence> {
        let same = |s: &&Sequence| s.schema.id == touched.id;
        self.sequences
            .get(&touched.name)
            .filter(same)
            .or_else(|| self.sequences.values().find(same))
    }
}

/// A sequence the running write transaction moved, and its state before.
#[derive(Debug)]
pub(super) struct Touched {
    id: TableId,
    pub(super) name: String,
    pub(super) before: SequenceState,
}
