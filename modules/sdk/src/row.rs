//! Rows, the tables they belong to, and primary keys.
//!
//! `#[derive(Row)]` implements [`Row`] (and [`Table`] with `#[row(table = "…")]`);
//! `module!` implements [`TableHandle`] for each table it lists. Hand-written impls
//! must keep the same rules: fields in the table's column order, and the key encoded
//! as the row of the primary key's columns.

use crate::codec::RowWriter;
use crate::error::Error;
use crate::value::{Column, Value};

/// A struct that is one row of a table or of a view's result.
pub trait Row: Sized {
    /// The columns in order: one per field, named after it.
    const COLUMNS: &'static [Column];

    /// Appends the row's encoding to `out`.
    fn encode(&self, out: &mut Vec<u8>);

    /// Decodes a row the host handed over.
    fn decode(bytes: &[u8]) -> Result<Self, Error>;
}

/// A row type bound to a table of the database.
pub trait Table: Row {
    /// The table's name in the catalog.
    const NAME: &'static str;
    /// Positions in [`Row::COLUMNS`] of the primary key's columns, in key order.
    const PRIMARY_KEY: &'static [u32];
    /// The primary key: the key column's type, or a tuple of them in key order.
    type Key: Key;

    /// This row's primary key.
    fn key(&self) -> Self::Key;
}

/// A table a module listed in `module!`: its handle is its position in that list,
/// fixed at compile time so that no table name crosses the boundary on a call.
pub trait TableHandle: Table {
    /// The table's position in the module's `tables` list.
    const HANDLE: u32;
}

/// The values of a key's columns: all of them or a prefix (for range bounds), encoded
/// as a row of those columns.
pub trait Key {
    /// How many columns of the key the value holds.
    const COLUMNS: u32;

    /// Appends the key's encoding to `out`.
    fn encode_key(&self, out: &mut Vec<u8>);
}

impl<T: Value> Key for T {
    const COLUMNS: u32 = 1;

    fn encode_key(&self, out: &mut Vec<u8>) {
        RowWriter::new(out, 1).put(self);
    }
}

/// A composite key is a tuple of its column values.
macro_rules! tuple_key {
    ($count:literal: $($name:ident),+) => {
        impl<$($name: Value),+> Key for ($($name,)+) {
            const COLUMNS: u32 = $count;

            #[allow(non_snake_case)]
            fn encode_key(&self, out: &mut Vec<u8>) {
                let ($($name,)+) = self;
                let mut writer = RowWriter::new(out, $count);
                $(writer.put($name);)+
            }
        }
    };
}

tuple_key!(1: A);
tuple_key!(2: A, B);
tuple_key!(3: A, B, C);
tuple_key!(4: A, B, C, D);
tuple_key!(5: A, B, C, D, E);
tuple_key!(6: A, B, C, D, E, F);
