//! [`Tx`], a call's access to the database.
//!
//! Every method is one call of `turnstile.wit`'s `tables` or `context` interface.
//! Keys and rows are encoded into one buffer that the instance keeps from call to
//! call ([`SCRATCH`]): the host copies the bytes before an import returns, so the
//! buffer is free again at once, and a call allocates nothing to encode its keys and
//! rows once the buffer has grown to fit them.

use std::cell::Cell;
use std::ops::{Bound, RangeBounds};

use crate::bindings::turnstile::module::{context, tables, types};
use crate::error::Error;
use crate::row::{Key, Row, TableHandle};

/// Room for a key of one or two integer columns (a bitmap byte and at most 10 bytes
/// per varint) without growing.
const KEY_CAPACITY_BYTES: usize = 24;

/// Room for a typical row (a few integers and a short text) without growing.
const ROW_CAPACITY_BYTES: usize = 64;

/// The largest scratch buffer kept for the next call: one grown for a rare large
/// row is given back rather than held for the instance's life.
const SCRATCH_KEPT_MAX_BYTES: usize = 64 << 10;

thread_local! {
    /// The buffer every key and row is encoded into. An instance runs one call at a
    /// time on its one thread, and no import is running while a method holds it.
    static SCRATCH: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// The current call's transaction. A reducer gets `&mut Tx` and may write; a view
/// gets `&Tx`, which has only the read methods, so writing from a view does not
/// compile.
///
/// A reducer's writes are all undone if it returns an error or traps.
pub struct Tx {
    /// Private, which keeps `Tx` from being built outside the SDK: only the host's
    /// call makes one.
    _call: (),
}

impl Tx {
    pub(crate) fn new() -> Tx {
        Tx { _call: () }
    }

    /// The row of table `R` whose primary key is `key`, if any.
    pub fn get<R: TableHandle>(&self, key: &R::Key) -> Result<Option<R>, Error> {
        let found = self.with_encoded(|b| key.encode_key(b), |b| tables::get(R::HANDLE, b));
        match found {
            Some(bytes) => R::decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    /// At most `limit` rows of table `R` whose primary keys are in `range`, in key
    /// order: `tx.scan::<Account>(.., 100)` for the first 100, `lo..=hi` for a range.
    pub fn scan<R: TableHandle>(
        &self,
        range: impl RangeBounds<R::Key>,
        limit: u32,
    ) -> Result<Vec<R>, Error> {
        self.scan_index::<R, R::Key>(None, range, limit)
    }

    /// At most `limit` rows of table `R` in the order of the secondary index named
    /// `index` (or of the primary key, for None), between the bounds of `range`. A
    /// bound may be a whole key of that order's columns, or a prefix of them (a
    /// tuple of the first few columns' values), which bounds every key starting with
    /// it.
    pub fn scan_index<R: TableHandle, K: Key>(
        &self,
        index: Option<&str>,
        range: impl RangeBounds<K>,
        limit: u32,
    ) -> Result<Vec<R>, Error> {
        let lower = bound(range.start_bound());
        let upper = bound(range.end_bound());
        let rows =
            tables::scan(R::HANDLE, index, &lower, &upper, limit).map_err(Error::from_failure)?;
        rows.iter().map(|bytes| R::decode(bytes)).collect()
    }

    /// Inserts `row`. Fails with SQLSTATE 23505 when its primary key (or a unique
    /// index's key) is taken, 23502 for a NULL in a NOT NULL column.
    pub fn insert<R: TableHandle>(&mut self, row: &R) -> Result<(), Error> {
        self.with_encoded(|b| row.encode(b), |b| tables::insert(R::HANDLE, b))
            .map_err(Error::from_failure)
    }

    /// Replaces the row with `row`'s primary key by `row`; false if there is none.
    /// `row` is checked as [`Tx::insert`] checks it, first: one that breaks a
    /// constraint is an error whether or not its key has a row.
    pub fn update<R: TableHandle>(&mut self, row: &R) -> Result<bool, Error> {
        self.with_encoded(|b| row.encode(b), |b| tables::update(R::HANDLE, b))
            .map_err(Error::from_failure)
    }

    /// Deletes the row of table `R` whose primary key is `key`; false if there was
    /// none.
    pub fn delete<R: TableHandle>(&mut self, key: &R::Key) -> Result<bool, Error> {
        self.with_encoded(|b| key.encode_key(b), |b| tables::delete(R::HANDLE, b))
            .map_err(Error::from_failure)
    }

    /// The transaction's timestamp, fixed for the call: microseconds since
    /// 2000-01-01 00:00 UTC (PostgreSQL's `now()`). A module has no other clock, so
    /// that a call does the same thing whenever it runs.
    pub fn timestamp(&self) -> i64 {
        context::timestamp()
    }

    /// The user name of the session that made the call.
    pub fn caller(&self) -> String {
        context::caller()
    }

    /// Encodes into the scratch buffer and passes the bytes to `call`.
    fn with_encoded<T>(
        &self,
        encode: impl FnOnce(&mut Vec<u8>),
        call: impl FnOnce(&[u8]) -> T,
    ) -> T {
        let mut buffer = SCRATCH.take();
        buffer.clear();
        if buffer.capacity() == 0 {
            buffer.reserve_exact(ROW_CAPACITY_BYTES);
        }
        encode(&mut buffer);
        let result = call(&buffer);
        if buffer.capacity() <= SCRATCH_KEPT_MAX_BYTES {
            SCRATCH.set(buffer);
        }
        result
    }
}

/// A key in a buffer of its own, for a scan's bounds, which the bindings take by
/// value.
fn encode_key<K: Key>(key: &K) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(KEY_CAPACITY_BYTES);
    key.encode_key(&mut bytes);
    bytes
}

pub(crate) fn encode_row<R: Row>(row: &R) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(ROW_CAPACITY_BYTES);
    row.encode(&mut bytes);
    bytes
}

fn bound<K: Key>(bound: Bound<&K>) -> types::Bound {
    let prefix = |key: &K| types::KeyPrefix {
        columns: K::COLUMNS,
        values: encode_key(key),
    };
    match bound {
        Bound::Unbounded => types::Bound::Unbounded,
        Bound::Included(key) => types::Bound::Included(prefix(key)),
        Bound::Excluded(key) => types::Bound::Excluded(prefix(key)),
    }
}
