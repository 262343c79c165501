//! The row encoding of `turnstile.wit`, which rows, keys and argument lists share.
//!
//! Layout, for `n` values:
//!
//! 1. A null bitmap of `ceil(n / 8)` bytes; bit `i % 8` of byte `i / 8` set means
//!    value `i` is NULL and has no bytes below.
//! 2. Each non-NULL value in order (see [`Value`](crate::Value) for each type):
//!    booleans as one byte, integers and dates zigzag-encoded as LEB128 varints,
//!    floats as little-endian IEEE 754, UUIDs as 16 bytes, and text, bytea and jsonb
//!    as a LEB128 length followed by the bytes.
//!
//! The host encodes rows the same way (`src/db/row.rs`). Bytes that come from the
//! host are still decoded with every read checked: a mismatch between a module's row
//! types and a table must become an [`Error`], never a trap that hides the cause.

use crate::error::Error;
use crate::value::Value;

// The small functions here are `#[inline]` because they run for every value of every
// call, and without it a module's crate (no LTO) could only call them.

/// SQLSTATE `XX000` (internal_error): bytes from the host that do not decode are a
/// mismatch between the module and the host, not something the client can fix.
const MALFORMED_SQLSTATE: &str = "XX000";

/// SQLSTATE `22004` (null_value_not_allowed), for a NULL argument to a parameter
/// whose Rust type is not an `Option`.
const NULL_ARGUMENT_SQLSTATE: &str = "22004";

/// Writes one encoded row (or key, or argument list) onto the end of a buffer.
pub struct RowWriter<'a> {
    /// The buffer being written; it may already hold other bytes before the row.
    out: &'a mut Vec<u8>,
    /// Offset in `out` of the row's null bitmap, reserved up front because a value's
    /// NULL bit is only known once the value is written.
    bitmap: usize,
    /// Index of the next value to write.
    column: usize,
}

impl<'a> RowWriter<'a> {
    /// Starts a row of `columns` values at the end of `out`.
    #[inline]
    pub fn new(out: &'a mut Vec<u8>, columns: usize) -> Self {
        let bitmap = out.len();
        out.resize(bitmap + columns.div_ceil(8), 0);
        RowWriter {
            out,
            bitmap,
            column: 0,
        }
    }

    /// Writes the next value.
    #[inline]
    pub fn put<T: Value>(&mut self, value: &T) {
        if !value.encode(self.out) {
            self.out[self.bitmap + self.column / 8] |= 1 << (self.column % 8);
        }
        self.column += 1;
    }
}

/// A cursor over one encoded row, reading its values in order.
pub struct Reader<'a> {
    /// The encoded row.
    bytes: &'a [u8],
    /// How many values the row holds, which fixes the size of the bitmap.
    columns: usize,
    /// Index of the next value to read.
    column: usize,
    /// Offset of the next value's bytes.
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Starts reading a row of `columns` values.
    #[inline]
    pub fn new(bytes: &'a [u8], columns: usize) -> Result<Self, Error> {
        let bitmap_len = columns.div_ceil(8);
        if bytes.len() < bitmap_len {
            return Err(malformed(format!(
                "a row of {columns} values needs a {bitmap_len}-byte null bitmap, got {} bytes",
                bytes.len()
            )));
        }
        Ok(Reader {
            bytes,
            columns,
            column: 0,
            pos: bitmap_len,
        })
    }

    /// Reads the next value of a row the host handed over: a NULL where `T` allows
    /// none means the module's row type does not match the table.
    #[inline]
    pub fn column<T: Value>(&mut self, name: &str) -> Result<T, Error> {
        match self.next::<T>() {
            Ok(Some(value)) => Ok(value),
            Ok(None) => Err(null_column(name)),
            Err(e) => Err(in_value("column", name, e)),
        }
    }

    /// Reads the next argument of a call: a NULL where `T` allows none is the
    /// caller's mistake, so it gets PostgreSQL's `null_value_not_allowed`.
    #[inline]
    pub fn arg<T: Value>(&mut self, name: &str) -> Result<T, Error> {
        match self.next::<T>() {
            Ok(Some(value)) => Ok(value),
            Ok(None) => Err(null_argument(name)),
            Err(e) => Err(in_value("argument", name, e)),
        }
    }

    /// Checks that the row ended exactly after its last value.
    #[inline]
    pub fn finish(self) -> Result<(), Error> {
        if self.column != self.columns || self.pos != self.bytes.len() {
            return Err(unfinished(&self));
        }
        Ok(())
    }

    /// The next value, or `Ok(None)` for a NULL that `T` cannot hold.
    #[inline]
    fn next<T: Value>(&mut self) -> Result<Option<T>, Error> {
        let column = self.column;
        if column >= self.columns {
            return Err(too_few_values(self.columns));
        }
        self.column += 1;
        if self.bytes[column / 8] & (1 << (column % 8)) != 0 {
            return Ok(T::null());
        }
        T::decode(self).map(Some)
    }

    /// The next `n` bytes of the current value.
    #[inline]
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| malformed("the row ends inside a value".to_string()))?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    /// The next `N` bytes, for fixed-size values.
    #[inline]
    pub fn take_array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let mut array = [0u8; N];
        array.copy_from_slice(self.take(N)?);
        Ok(array)
    }

    /// An unsigned LEB128 varint.
    #[inline]
    pub fn varint(&mut self) -> Result<u64, Error> {
        // Most varints are one byte (small integers, short strings' lengths): skip the
        // loop for them.
        if let Some(&byte) = self.bytes.get(self.pos) {
            if byte < 0x80 {
                self.pos += 1;
                return Ok(u64::from(byte));
            }
        }
        let mut value = 0u64;
        // A u64 takes at most 10 groups of 7 bits; the tenth may only hold bit 63.
        for shift in (0..64).step_by(7) {
            let byte = self.take(1)?[0];
            let group = u64::from(byte & 0x7f);
            if shift == 63 && group > 1 {
                break;
            }
            value |= group << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(malformed("a varint longer than 64 bits".to_string()))
    }

    /// A zigzag-encoded integer.
    #[inline]
    pub fn int(&mut self) -> Result<i64, Error> {
        self.varint().map(unzigzag)
    }

    /// A length-prefixed byte string.
    #[inline]
    pub fn bytes(&mut self) -> Result<&'a [u8], Error> {
        let len = self.varint()?;
        let len =
            usize::try_from(len).map_err(|_| malformed(format!("a length of {len} bytes")))?;
        self.take(len)
    }
}

/// Appends `value` as an unsigned LEB128 varint.
#[inline]
pub fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Appends a length-prefixed byte string.
#[inline]
pub fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Maps small magnitudes of either sign to small unsigned numbers:
/// 0, -1, 1, -2, … → 0, 1, 2, 3, …
#[inline]
pub fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

/// The inverse of [`zigzag`].
#[inline]
pub fn unzigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

// The errors below are built only on failure: `#[cold]` keeps their formatting out
// of the hot decoding paths.

/// The error for bytes that do not decode.
#[cold]
pub(crate) fn malformed(message: String) -> Error {
    Error::new(MALFORMED_SQLSTATE, message)
}

#[cold]
fn null_column(name: &str) -> Error {
    malformed(format!(
        "column {name} is NULL, but its Rust type is not an Option"
    ))
}

#[cold]
fn null_argument(name: &str) -> Error {
    Error::new(
        NULL_ARGUMENT_SQLSTATE,
        format!("argument {name} must not be NULL"),
    )
}

#[cold]
fn in_value(kind: &str, name: &str, error: Error) -> Error {
    malformed(format!("{kind} {name}: {}", error.message()))
}

#[cold]
fn unfinished(reader: &Reader<'_>) -> Error {
    if reader.column != reader.columns {
        malformed(format!(
            "read {} of the row's {} values",
            reader.column, reader.columns
        ))
    } else {
        malformed(format!(
            "{} bytes left after the last of {} values",
            reader.bytes.len() - reader.pos,
            reader.columns
        ))
    }
}

#[cold]
fn too_few_values(columns: usize) -> Error {
    malformed(format!("the row has only {columns} values"))
}
