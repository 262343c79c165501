//! The compact in-memory encoding of a stored row.
//!
//! A table keeps every row as its encoded bytes rather than a vector of
//! [`Value`]s: a `Value` is 32 bytes whatever it holds, while a row of
//! `(BIGINT, TEXT of 10 characters, BIGINT)` encodes to about 20. A row of up to
//! [`INLINE_MAX`] bytes is kept inside the [`Row`] itself, so inside the table's map
//! entry: reading it costs no second memory access and writing it no allocation.
//! A longer row is one heap allocation of exactly its size. With the table's B+
//! tree (`bptree`), that keeps a million such rows at 47 bytes of resident memory
//! each, the tree included, loaded in key order as
//! `compat/bench/pgbench_side_by_side.sh` loads them, and 58 in random key order
//! (104 and 74 with `BTreeMap`; 115 when every row was also a heap allocation).
//! Rows are decoded on read; decoding is a linear walk with no branching on
//! anything but the column types.
//!
//! Layout, for a table of `n` columns:
//!
//! 1. A null bitmap of `ceil(n / 8)` bytes; bit `i % 8` of byte `i / 8` set means
//!    column `i` is NULL and has no bytes below.
//! 2. Each non-NULL column in order:
//!    - `BOOLEAN`: 1 byte (0 or 1).
//!    - `SMALLINT`, `INTEGER`, `BIGINT`, `DATE`, `TIMESTAMP[TZ]`: the integer
//!      zigzag-encoded (0, -1, 1, -2, … → 0, 1, 2, 3, …) as a LEB128 varint, so small
//!      magnitudes take 1–3 bytes instead of 8. This is what moves the example row
//!      from a 48-byte to a 32-byte allocation.
//!    - `REAL` 4, `DOUBLE PRECISION` 8 bytes, little-endian.
//!    - `NUMERIC`: its 16-byte serialization (`rust_decimal::Decimal::serialize`).
//!    - `UUID`: 16 bytes.
//!    - `INTERVAL`: 16 bytes: months (4), days (4), microseconds (8), little-endian.
//!    - `TEXT`, `VARCHAR`, `BYTEA`, `JSONB`: a LEB128 length, then that many bytes
//!      (UTF-8 for the text types).
//!    - An array (`integer[]`, `text[]`, …): a LEB128 length, then that many bytes:
//!      the number of elements `m` as a LEB128 varint, then the elements laid out
//!      as a row of `m` columns of the element type (a null bitmap, then each
//!      non-NULL element as above). Arrays have one dimension and no arrays as
//!      elements, so this nests once.

use rust_decimal::Decimal;

use super::codec::{put_bytes, put_varint, unzigzag, varint_len, zigzag, ByteReader, CodecError};
use crate::types::{DataType, Interval, Value};

/// The longest row kept inside its [`Row`], which is then as large as a pointer
/// and a length plus 8 bytes (24): the most that fits beside the length and the
/// variant's tag. The example `accounts` row takes 18 to 21 bytes.
pub const INLINE_MAX: usize = 22;

/// One stored row: the bytes described in the module documentation.
#[derive(Clone)]
pub struct Row(Stored);

/// Where a row's bytes are: inside the row if they fit, else on the heap. A row's
/// form follows from its length alone, so equal rows are stored alike.
#[derive(Clone)]
enum Stored {
    /// `len` bytes at the start of `bytes`; the rest are zero.
    Inline {
        len: u8,
        bytes: [u8; INLINE_MAX],
    },
    Heap(Box<[u8]>),
}

impl PartialEq for Row {
    fn eq(&self, other: &Row) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Row {}

impl std::fmt::Debug for Row {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Row").field(&self.as_bytes()).finish()
    }
}

impl Row {
    /// Encodes `values`, which must already have the column types (the SQL layer
    /// coerces before it writes; a mismatch is a bug and panics).
    pub fn encode(values: &[Value]) -> Row {
        let len = values.len().div_ceil(8) + encoded_len(values);
        if len <= INLINE_MAX {
            let mut inline = InlineWriter {
                len: 0,
                bytes: [0; INLINE_MAX],
            };
            encode_into(values, &mut inline);
            debug_assert_eq!(inline.len, len, "the size computation is exact");
            return Row(Stored::Inline {
                len: inline.len as u8,
                bytes: inline.bytes,
            });
        }
        // Allocate the exact size once: shrinking a larger buffer afterwards would
        // leave the allocator's larger block behind (glibc does not split it).
        let mut bytes = Vec::with_capacity(len);
        encode_into(values, &mut bytes);
        debug_assert_eq!(bytes.len(), len, "the size computation is exact");
        Row::from_vec(bytes)
    }

    /// A row of `bytes`, copied.
    fn from_bytes(bytes: &[u8]) -> Row {
        if bytes.len() <= INLINE_MAX {
            let mut inline = [0; INLINE_MAX];
            inline[..bytes.len()].copy_from_slice(bytes);
            Row(Stored::Inline {
                len: bytes.len() as u8,
                bytes: inline,
            })
        } else {
            Row(Stored::Heap(bytes.into()))
        }
    }

    /// A row of `bytes`, kept as the allocation it is when it does not fit inside.
    fn from_vec(bytes: Vec<u8>) -> Row {
        if bytes.len() <= INLINE_MAX {
            Row::from_bytes(&bytes)
        } else {
            Row(Stored::Heap(bytes.into_boxed_slice()))
        }
    }

    /// Decodes every column. `types` are the table's column types, in order.
    pub fn decode(&self, types: &[DataType]) -> Vec<Value> {
        let mut reader = Reader::new(self.as_bytes(), types.len());
        types
            .iter()
            .enumerate()
            .map(|(i, t)| reader.next(i, *t))
            .collect()
    }

    /// Decodes the columns marked in `columns` (one flag per column) and leaves
    /// the others NULL, skipping over their bytes without copying them.
    pub fn decode_only(&self, types: &[DataType], columns: &[bool]) -> Vec<Value> {
        debug_assert_eq!(types.len(), columns.len());
        let mut reader = Reader::new(self.as_bytes(), types.len());
        types
            .iter()
            .zip(columns)
            .enumerate()
            .map(|(i, (t, &wanted))| {
                if wanted {
                    reader.next(i, *t)
                } else {
                    reader.skip(i, *t);
                    Value::Null
                }
            })
            .collect()
    }

    /// Decodes only column `column`, skipping the ones before it.
    pub fn decode_column(&self, types: &[DataType], column: usize) -> Value {
        let mut reader = Reader::new(self.as_bytes(), types.len());
        for (i, t) in types.iter().enumerate().take(column) {
            reader.skip(i, *t);
        }
        reader.next(column, types[column])
    }

    /// The encoded bytes, as redo records and snapshots store them.
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Stored::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Stored::Heap(bytes) => bytes,
        }
    }

    /// A row read from the log or a snapshot, checked against the column types
    /// first: bytes from disk must never make a later decode panic.
    pub fn from_log(bytes: &[u8], types: &[DataType]) -> Result<Row, CodecError> {
        Row::check_untrusted(bytes, types, |_, _| {})
    }

    /// Decodes values encoded as a row from an untrusted source (a module's rows,
    /// keys and arguments), checking them against `types` as it goes.
    pub fn decode_untrusted(bytes: &[u8], types: &[DataType]) -> Result<Vec<Value>, CodecError> {
        let mut values = Vec::with_capacity(types.len());
        walk_checked(bytes, types, |data_type, column| {
            values.push(column.into_value(data_type))
        })?;
        Ok(values)
    }

    /// A row from an untrusted source, checked as by [`Row::decode_untrusted`] and
    /// kept as it is, without decoding it: bytes that pass the check are the one
    /// encoding of their values (shortest varints, booleans 0 or 1, no stray bitmap
    /// bits), so they are what [`Row::encode`] would make of them. `each` sees every
    /// column as checked (its integer, its text, its bytes), for what the caller
    /// checks beyond the encoding.
    pub(crate) fn check_untrusted(
        bytes: &[u8],
        types: &[DataType],
        each: impl FnMut(DataType, CheckedColumn<'_>),
    ) -> Result<Row, CodecError> {
        walk_checked(bytes, types, each)?;
        let row = Row::from_bytes(bytes);
        debug_assert_eq!(
            row,
            Row::encode(&row.decode(types)),
            "checked rows are canonical"
        );
        Ok(row)
    }

    /// The one integer of a key of one integer column from an untrusted source,
    /// checked as by [`Row::decode_untrusted`]; None if it is NULL.
    pub(crate) fn untrusted_integer(
        bytes: &[u8],
        data_type: DataType,
    ) -> Result<Option<i64>, CodecError> {
        let mut integer = None;
        walk_checked(bytes, &[data_type], |_, column| {
            if let CheckedColumn::Int(value) = column {
                integer = Some(value);
            }
        })?;
        Ok(integer)
    }

    /// True if column `column` is NULL.
    pub fn is_null(&self, column: usize) -> bool {
        self.as_bytes()[column / 8] & (1 << (column % 8)) != 0
    }

    /// The encoded size in bytes (for memory accounting).
    pub fn encoded_len(&self) -> usize {
        self.as_bytes().len()
    }
}

/// Writes a row's bytes straight into an inline row's array; the caller has
/// computed that they fit.
struct InlineWriter {
    len: usize,
    bytes: [u8; INLINE_MAX],
}

impl Extend<u8> for InlineWriter {
    fn extend<I: IntoIterator<Item = u8>>(&mut self, bytes: I) {
        for byte in bytes {
            self.bytes[self.len] = byte;
            self.len += 1;
        }
    }
}

impl AsMut<[u8]> for InlineWriter {
    fn as_mut(&mut self) -> &mut [u8] {
        &mut self.bytes[..self.len]
    }
}

/// Writes `values` as a row's bytes (see the module documentation) to `out`.
fn encode_into<B: Extend<u8> + AsMut<[u8]>>(values: &[Value], out: &mut B) {
    out.extend(std::iter::repeat_n(0, values.len().div_ceil(8)));
    for (i, value) in values.iter().enumerate() {
        match value {
            Value::Null => out.as_mut()[i / 8] |= 1 << (i % 8),
            Value::Bool(b) => out.extend([u8::from(*b)]),
            Value::Int2(v) => put_varint(out, zigzag(i64::from(*v))),
            Value::Int4(v) | Value::Date(v) => put_varint(out, zigzag(i64::from(*v))),
            Value::Int8(v) | Value::Timestamp(v) | Value::Timestamptz(v) => {
                put_varint(out, zigzag(*v))
            }
            Value::Float4(v) => out.extend(v.to_le_bytes()),
            Value::Float8(v) => out.extend(v.to_le_bytes()),
            Value::Numeric(d) => out.extend(d.serialize()),
            Value::Uuid(u) => out.extend(*u),
            Value::Interval(i) => out.extend(i.to_bytes()),
            Value::Text(s) | Value::Jsonb(s) | Value::Json(s) => put_bytes(out, s.as_bytes()),
            Value::Bytea(b) => put_bytes(out, b),
            Value::Array(items) => {
                // The elements first, on their own: their null bitmap is at the
                // start of the buffer `encode_into` writes.
                let mut elements = Vec::new();
                encode_into(items, &mut elements);
                let count = items.len() as u64;
                put_varint(out, (varint_len(count) + elements.len()) as u64);
                put_varint(out, count);
                out.extend(elements);
            }
        }
    }
}

/// The bytes an array's length prefix counts: its element count, then its
/// elements as a row.
fn array_payload_len(items: &[Value]) -> usize {
    varint_len(items.len() as u64) + items.len().div_ceil(8) + encoded_len(items)
}

/// The elements of an array of `element` from its payload (after the length
/// prefix), which was encoded from such an array or checked by
/// [`check_array`].
fn decode_array(payload: &[u8], element: DataType) -> Value {
    let mut count = Reader {
        bytes: payload,
        pos: 0,
    };
    let len = count.take_varint() as usize;
    let mut reader = Reader::new(&payload[count.pos..], len);
    Value::Array((0..len).map(|i| reader.next(i, element)).collect())
}

/// Checks an array payload from an untrusted source as [`walk_checked`] checks a
/// row: the count, then the elements as a row of that many columns.
fn check_array(payload: &[u8], element: DataType) -> Result<(), CodecError> {
    let mut reader = ByteReader::new(payload);
    let len = reader.varint()?;
    // The varint was in its shortest form (the reader insists), so it took
    // `varint_len` bytes.
    let elements = &payload[varint_len(len)..];
    // Each element takes at least its bit of the null bitmap: a larger count is
    // malformed, and must not size the allocation below.
    if len > elements.len() as u64 * 8 {
        return Err(CodecError(format!(
            "an array of {len} elements in {} bytes",
            elements.len()
        )));
    }
    walk_checked(elements, &vec![element; len as usize], |_, _| {})
}

/// One column of a row being checked: its bytes, or its integer, already
/// validated for the column's type.
pub(crate) enum CheckedColumn<'a> {
    Null,
    Int(i64),
    /// The fixed-size bytes of a boolean, float, numeric or uuid, or a `bytea`.
    Bytes(&'a [u8]),
    /// The characters of a text or jsonb column.
    Text(&'a str),
    /// The payload of an array column (see the module documentation).
    Array(&'a [u8]),
}

impl CheckedColumn<'_> {
    fn into_value(self, data_type: DataType) -> Value {
        match self {
            CheckedColumn::Null => Value::Null,
            CheckedColumn::Int(v) => match data_type {
                // The walk checked that the integer fits the type.
                DataType::Int2 => Value::Int2(v as i16),
                DataType::Int4 => Value::Int4(v as i32),
                DataType::Date => Value::Date(v as i32),
                DataType::Timestamp => Value::Timestamp(v),
                DataType::Timestamptz => Value::Timestamptz(v),
                _ => Value::Int8(v),
            },
            CheckedColumn::Text(text) => match data_type {
                DataType::Jsonb => Value::Jsonb(text.to_owned()),
                DataType::Json => Value::Json(text.to_owned()),
                _ => Value::Text(text.to_owned()),
            },
            CheckedColumn::Array(payload) => match data_type {
                DataType::Array(element) => decode_array(payload, *element),
                _ => unreachable!("only array columns are checked as arrays"),
            },
            CheckedColumn::Bytes(bytes) => {
                fn array<const N: usize>(bytes: &[u8]) -> [u8; N] {
                    bytes.try_into().expect("the walk checked the size")
                }
                match data_type {
                    DataType::Bool => Value::Bool(bytes[0] != 0),
                    DataType::Float4 => Value::Float4(f32::from_le_bytes(array(bytes))),
                    DataType::Float8 => Value::Float8(f64::from_le_bytes(array(bytes))),
                    DataType::Numeric(_) => Value::Numeric(Decimal::deserialize(array(bytes))),
                    DataType::Uuid => Value::Uuid(array(bytes)),
                    DataType::Interval => Value::Interval(Interval::from_bytes(array(bytes))),
                    _ => Value::Bytea(bytes.to_vec()),
                }
            }
        }
    }
}

/// Walks `bytes` as a row of `types`, handing each column to `each` once it is
/// checked, so that nothing decoded from them can panic: every column's bytes
/// present, integers within their type, text valid UTF-8, nothing after the last
/// column. It also insists on the one encoding [`Row::encode`] writes (shortest
/// varints, booleans 0 or 1, numerics as serialized, unused bitmap bits clear), so
/// checked bytes can be stored as they are ([`Row::check_untrusted`]).
fn walk_checked<'a>(
    bytes: &'a [u8],
    types: &[DataType],
    mut each: impl FnMut(DataType, CheckedColumn<'a>),
) -> Result<(), CodecError> {
    let mut reader = ByteReader::new(bytes);
    let bitmap = reader.take(types.len().div_ceil(8))?;
    if !types.len().is_multiple_of(8) && bitmap[types.len() / 8] >> (types.len() % 8) != 0 {
        return Err(CodecError(
            "null bitmap bits set past the last column".into(),
        ));
    }
    for (i, &data_type) in types.iter().enumerate() {
        if bitmap[i / 8] & (1 << (i % 8)) != 0 {
            each(data_type, CheckedColumn::Null);
            continue;
        }
        let column = match stored_size(data_type) {
            StoredSize::Fixed(size) => {
                let bytes = reader.take(size)?;
                let canonical = match data_type {
                    DataType::Bool => bytes[0] <= 1,
                    // Decoding drops unused flag bits and rescales past the
                    // largest scale: only what encoding writes comes back as is.
                    DataType::Numeric(_) => {
                        let array = bytes.try_into().expect("a numeric is 16 bytes");
                        Decimal::deserialize(array).serialize() == array
                    }
                    _ => true,
                };
                if !canonical {
                    return Err(CodecError(format!(
                        "column {i} is not a {data_type} as encoded"
                    )));
                }
                CheckedColumn::Bytes(bytes)
            }
            StoredSize::Varint => {
                let value = unzigzag(reader.varint()?);
                let fits = match data_type {
                    DataType::Int2 => i16::try_from(value).is_ok(),
                    DataType::Int4 | DataType::Date => i32::try_from(value).is_ok(),
                    _ => true,
                };
                if !fits {
                    return Err(CodecError(format!(
                        "column {i} is out of range for {data_type}"
                    )));
                }
                CheckedColumn::Int(value)
            }
            StoredSize::LengthPrefixed => {
                let value = reader.bytes()?;
                if let DataType::Array(element) = data_type {
                    check_array(value, *element)?;
                    CheckedColumn::Array(value)
                } else if data_type == DataType::Bytea {
                    CheckedColumn::Bytes(value)
                } else {
                    let text = std::str::from_utf8(value)
                        .map_err(|_| CodecError(format!("column {i} is not valid UTF-8")))?;
                    CheckedColumn::Text(text)
                }
            }
        };
        each(data_type, column);
    }
    if !reader.is_empty() {
        return Err(CodecError("trailing bytes after the last column".into()));
    }
    Ok(())
}

/// The encoded size of `values` after the null bitmap.
fn encoded_len(values: &[Value]) -> usize {
    values
        .iter()
        .map(|value| match value {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Int2(v) => varint_len(zigzag(i64::from(*v))),
            Value::Int4(v) | Value::Date(v) => varint_len(zigzag(i64::from(*v))),
            Value::Int8(v) | Value::Timestamp(v) | Value::Timestamptz(v) => varint_len(zigzag(*v)),
            Value::Float4(_) => 4,
            Value::Float8(_) => 8,
            Value::Numeric(_) | Value::Uuid(_) | Value::Interval(_) => 16,
            Value::Text(s) | Value::Jsonb(s) | Value::Json(s) => {
                varint_len(s.len() as u64) + s.len()
            }
            Value::Bytea(b) => varint_len(b.len() as u64) + b.len(),
            Value::Array(items) => {
                let payload = array_payload_len(items);
                varint_len(payload as u64) + payload
            }
        })
        .sum()
}

/// A cursor over an encoded row.
struct Reader<'a> {
    bytes: &'a [u8],
    /// Offset of the next column's bytes (just past the bitmap at the start).
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8], columns: usize) -> Self {
        Reader {
            bytes,
            pos: columns.div_ceil(8),
        }
    }

    fn is_null(&self, column: usize) -> bool {
        self.bytes[column / 8] & (1 << (column % 8)) != 0
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let slice = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        slice
    }

    fn take_array<const N: usize>(&mut self) -> [u8; N] {
        let mut array = [0u8; N];
        array.copy_from_slice(self.take(N));
        array
    }

    fn take_varint(&mut self) -> u64 {
        let mut value = 0u64;
        let mut shift = 0;
        loop {
            let byte = self.bytes[self.pos];
            self.pos += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return value;
            }
            shift += 7;
        }
    }

    /// A zigzag varint that was encoded from a value of the column's type, so it
    /// fits that type.
    fn take_int(&mut self) -> i64 {
        unzigzag(self.take_varint())
    }

    fn take_var(&mut self) -> &'a [u8] {
        let len = self.take_varint() as usize;
        self.take(len)
    }

    fn next(&mut self, column: usize, data_type: DataType) -> Value {
        if self.is_null(column) {
            return Value::Null;
        }
        match data_type {
            DataType::Bool => Value::Bool(self.take(1)[0] != 0),
            DataType::Int2 => Value::Int2(self.take_int() as i16),
            DataType::Int4 => Value::Int4(self.take_int() as i32),
            DataType::Int8 => Value::Int8(self.take_int()),
            DataType::Float4 => Value::Float4(f32::from_le_bytes(self.take_array())),
            DataType::Float8 => Value::Float8(f64::from_le_bytes(self.take_array())),
            DataType::Numeric(_) => Value::Numeric(Decimal::deserialize(self.take_array())),
            DataType::Timestamp => Value::Timestamp(self.take_int()),
            DataType::Timestamptz => Value::Timestamptz(self.take_int()),
            DataType::Date => Value::Date(self.take_int() as i32),
            DataType::Uuid => Value::Uuid(self.take_array()),
            DataType::Interval => Value::Interval(Interval::from_bytes(self.take_array())),
            DataType::Bytea => Value::Bytea(self.take_var().to_vec()),
            DataType::Text | DataType::Varchar(_) | DataType::Bpchar(_) | DataType::Unknown => {
                Value::Text(utf8(self.take_var()))
            }
            DataType::Jsonb => Value::Jsonb(utf8(self.take_var())),
            DataType::Json => Value::Json(utf8(self.take_var())),
            DataType::Array(element) => decode_array(self.take_var(), *element),
            DataType::Oid(_)
            | DataType::Name
            | DataType::InternalChar
            | DataType::Vector(_)
            | DataType::Void => {
                unreachable!("tables do not store the catalog type {data_type}")
            }
        }
    }

    fn skip(&mut self, column: usize, data_type: DataType) {
        if self.is_null(column) {
            return;
        }
        match stored_size(data_type) {
            StoredSize::Fixed(size) => {
                self.take(size);
            }
            StoredSize::Varint => {
                self.take_varint();
            }
            StoredSize::LengthPrefixed => {
                self.take_var();
            }
        }
    }
}

/// How a column of each type is laid out, for skipping over it.
enum StoredSize {
    Fixed(usize),
    Varint,
    LengthPrefixed,
}

fn stored_size(data_type: DataType) -> StoredSize {
    match data_type {
        DataType::Bool => StoredSize::Fixed(1),
        DataType::Float4 => StoredSize::Fixed(4),
        DataType::Float8 => StoredSize::Fixed(8),
        DataType::Numeric(_) | DataType::Uuid | DataType::Interval => StoredSize::Fixed(16),
        DataType::Int2
        | DataType::Int4
        | DataType::Int8
        | DataType::Date
        | DataType::Timestamp
        | DataType::Timestamptz => StoredSize::Varint,
        DataType::Text
        | DataType::Varchar(_)
        | DataType::Bpchar(_)
        | DataType::Unknown
        | DataType::Bytea
        | DataType::Jsonb
        | DataType::Json
        | DataType::Array(_) => StoredSize::LengthPrefixed,
        DataType::Oid(_)
        | DataType::Name
        | DataType::InternalChar
        | DataType::Vector(_)
        | DataType::Void => {
            unreachable!("tables do not store the catalog type {data_type}")
        }
    }
}

/// Text columns were encoded from Rust strings, so they are valid UTF-8; a failure
/// here means memory corruption, not bad input.
fn utf8(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("stored text is valid UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::NumericTypmod;

    /// Every type and NULL survive an encode/decode roundtrip, and single-column
    /// and partial decoding skip the columns they pass over correctly.
    #[test]
    fn roundtrip_every_type() {
        let types = [
            DataType::Bool,
            DataType::Int2,
            DataType::Int4,
            DataType::Int8,
            DataType::Float4,
            DataType::Float8,
            DataType::Numeric(None),
            DataType::Numeric(NumericTypmod::new(8, 2).ok()),
            DataType::Text,
            DataType::Bytea,
            DataType::Timestamp,
            DataType::Timestamptz,
            DataType::Date,
            DataType::Uuid,
            DataType::Jsonb,
            DataType::Json,
            DataType::Text,
            DataType::Array(&DataType::Int4),
            DataType::Array(&DataType::Text),
            DataType::Array(&DataType::Float8),
            DataType::Interval,
        ];
        let values = vec![
            Value::Bool(true),
            Value::Int2(-2),
            Value::Null,
            Value::Int8(i64::MIN),
            Value::Float4(1.5),
            Value::Float8(f64::NAN),
            Value::Numeric(Decimal::new(-12345, 3)),
            Value::Numeric(Decimal::new(450, 2)),
            Value::Text("x".repeat(300)),
            Value::Bytea(vec![0, 1, 0]),
            Value::Timestamp(1),
            Value::Timestamptz(-1),
            Value::Date(-730_000),
            Value::Uuid([7; 16]),
            Value::Jsonb("{\"a\": 1}".into()),
            Value::Json(" {\"a\":1,  \"a\": 2} ".into()),
            Value::Text("héllo".into()),
            Value::Array(vec![Value::Int4(-1), Value::Null, Value::Int4(i32::MAX)]),
            Value::Array((0..20).map(|i| Value::Text(format!("tag {i}"))).collect()),
            Value::Array(Vec::new()),
            Value::Interval(Interval {
                months: -1,
                days: 40,
                micros: i64::MIN,
            }),
        ];
        let row = Row::encode(&values);
        assert_eq!(row.decode(&types), values);
        // The same bytes from an untrusted source pass the checks and are kept.
        let untrusted = Row::check_untrusted(row.as_bytes(), &types, |_, _| {}).unwrap();
        assert_eq!(untrusted, row);
        assert_eq!(
            Row::decode_untrusted(row.as_bytes(), &types).unwrap(),
            values
        );
        for (i, v) in values.iter().enumerate() {
            assert_eq!(&row.decode_column(&types, i), v, "column {i}");
        }
        // Every other column, starting with the first and then the second.
        for first in [0, 1] {
            let wanted: Vec<bool> = (0..types.len()).map(|i| i % 2 == first).collect();
            let partial = row.decode_only(&types, &wanted);
            for (i, v) in values.iter().enumerate() {
                let expected = if wanted[i] { v } else { &Value::Null };
                assert_eq!(
                    &partial[i], expected,
                    "column {i} of every other from {first}"
                );
            }
        }
    }

    /// The row the memory target is about stays small: 1 bitmap byte, 3 bytes of id,
    /// 1 + 10 bytes of owner, 2 bytes of balance.
    #[test]
    fn account_row_is_compact() {
        let row = Row::encode(&[
            Value::Int8(999_999),
            Value::Text("owner-0001".into()),
            Value::Int8(100),
        ]);
        assert_eq!(row.encoded_len(), 17);
    }

    /// A row is three words, and up to `INLINE_MAX` bytes are kept inside it: rows
    /// on either side of the line round-trip alike and compare by their bytes.
    #[test]
    fn short_rows_are_kept_inside_the_row() {
        assert_eq!(std::mem::size_of::<Row>(), 24);
        let types = [DataType::Text];
        for len in [0, INLINE_MAX - 2, INLINE_MAX - 1, INLINE_MAX, 300] {
            // 1 bitmap byte, a varint length, then the text.
            let text = "x".repeat(len.saturating_sub(2));
            let other = Row::encode(&[Value::Text("y".repeat(text.len()))]);
            let values = vec![Value::Text(text)];
            let row = Row::encode(&values);
            let inline = matches!(row.0, Stored::Inline { .. });
            assert_eq!(inline, row.encoded_len() <= INLINE_MAX, "{len} bytes");
            assert_eq!(row.decode(&types), values);
            let from_log = Row::from_log(row.as_bytes(), &types).unwrap();
            let untrusted = Row::check_untrusted(row.as_bytes(), &types, |_, _| {}).unwrap();
            assert_eq!(from_log, row);
            assert_eq!(untrusted, row);
            assert_eq!(
                other == row,
                len < 2,
                "rows of the same length compare by bytes"
            );
        }
    }

    /// Untrusted bytes pass only in the one encoding `Row::encode` writes, so that
    /// a checked row can be stored as it came: a padded varint, a boolean other
    /// than 0 or 1, a bitmap bit past the last column, an int4 past its range or a
    /// trailing byte is refused; the canonical bytes come back as the same row.
    /// Checking without decoding (`check_untrusted`) refuses exactly the same.
    #[test]
    fn untrusted_rows_are_checked_and_canonical() {
        let types = [DataType::Int4, DataType::Bool, DataType::Text];
        let values = vec![Value::Int4(-3), Value::Bool(true), Value::Text("é".into())];
        let canonical = Row::encode(&values);
        let mut seen = Vec::new();
        let checked = Row::check_untrusted(canonical.as_bytes(), &types, |ty, column| {
            seen.push(column.into_value(ty))
        });
        assert_eq!(checked.unwrap(), canonical);
        assert_eq!(seen, values);
        assert_eq!(
            Row::decode_untrusted(canonical.as_bytes(), &types).unwrap(),
            values
        );

        let refused = |bytes: &[u8]| {
            let decoding = Row::decode_untrusted(bytes, &types).is_err();
            let checking = Row::check_untrusted(bytes, &types, |_, _| {}).is_err();
            assert_eq!(decoding, checking, "both checks agree on {bytes:?}");
            decoding
        };
        let bytes = canonical.as_bytes();
        // bitmap, zigzag(-3) = 5, true, length 2, "é"
        assert_eq!(bytes, &[0, 5, 1, 2, 0xc3, 0xa9]);
        assert!(refused(&[0, 0x85, 0x00, 1, 2, 0xc3, 0xa9]), "padded varint");
        assert!(refused(&[0, 5, 2, 2, 0xc3, 0xa9]), "boolean 2");
        // A numeric with a flag bit that decoding drops.
        let mut numeric = Decimal::new(12345, 2).serialize();
        assert!(Row::decode_untrusted(
            &[[0].as_slice(), &numeric].concat(),
            &[DataType::Numeric(None)]
        )
        .is_ok());
        numeric[0] = 1;
        assert!(
            Row::decode_untrusted(
                &[[0].as_slice(), &numeric].concat(),
                &[DataType::Numeric(None)]
            )
            .is_err(),
            "numeric with a stray flag bit"
        );
        assert!(
            refused(&[0b1000, 5, 1, 2, 0xc3, 0xa9]),
            "bitmap bit past the columns"
        );
        assert!(refused(&[0, 5, 1, 2, 0xc3]), "truncated text");
        assert!(refused(&[0, 5, 1, 2, 0xc3, 0x28]), "invalid UTF-8");
        assert!(refused(&[0, 5, 1, 2, 0xc3, 0xa9, 0]), "trailing byte");
        let mut too_big = vec![0];
        put_varint(&mut too_big, zigzag(i64::from(i32::MAX) + 1));
        too_big.extend_from_slice(&[1, 0]);
        assert!(refused(&too_big), "int4 out of range");
        // NULL in every column: the bitmap alone.
        assert_eq!(
            Row::decode_untrusted(&[0b111], &types).unwrap(),
            vec![Value::Null; 3]
        );
        let nulls = Row::check_untrusted(&[0b101], &types, |_, _| {});
        assert!(nulls.is_err(), "the text column's bytes are missing");
        let nulls = Row::check_untrusted(&[0b111], &types, |_, _| {}).unwrap();
        assert!((0..3).all(|column| nulls.is_null(column)));
        assert!(!canonical.is_null(0));

        // A key of one integer column is read without values, checked alike.
        let key = Row::encode(&[Value::Int8(-70_000)]);
        assert_eq!(
            Row::untrusted_integer(key.as_bytes(), DataType::Int8).unwrap(),
            Some(-70_000)
        );
        assert_eq!(Row::untrusted_integer(&[1], DataType::Int8).unwrap(), None);
        let mut int4_too_big = vec![0];
        put_varint(&mut int4_too_big, zigzag(i64::from(i32::MAX) + 1));
        assert!(Row::untrusted_integer(&int4_too_big, DataType::Int4).is_err());
        assert!(Row::untrusted_integer(&int4_too_big, DataType::Int8).is_ok());
        assert!(Row::untrusted_integer(&[0, 0x80], DataType::Int8).is_err());
    }

    /// An array column's payload from an untrusted source (a log, a snapshot) is
    /// checked like a row of its elements: a count its bytes cannot hold (which
    /// must not size an allocation), a truncated or trailing element, or an
    /// element out of its type's range is refused.
    #[test]
    fn untrusted_arrays_are_checked() {
        let types = [DataType::Array(&DataType::Int2)];
        let values = vec![Value::Array(vec![Value::Int2(5), Value::Null])];
        let canonical = Row::encode(&values);
        // row bitmap, payload length 3, count 2, element bitmap (second NULL), zigzag(5)
        assert_eq!(canonical.as_bytes(), &[0, 3, 2, 0b10, 10]);
        assert_eq!(
            Row::decode_untrusted(canonical.as_bytes(), &types).unwrap(),
            values
        );
        let refused = |bytes: &[u8]| Row::check_untrusted(bytes, &types, |_, _| {}).is_err();
        assert!(!refused(canonical.as_bytes()));
        let mut huge_count = vec![0, 11];
        put_varint(&mut huge_count, u64::MAX >> 1);
        huge_count.push(0);
        assert!(refused(&huge_count), "a count past what the bytes hold");
        assert!(refused(&[0, 3, 2, 0b00, 10]), "second element missing");
        assert!(
            refused(&[0, 4, 2, 0b10, 10, 0]),
            "a byte after the elements"
        );
        assert!(
            refused(&[0, 3, 2, 0b110, 10]),
            "element bitmap bit past the count"
        );
        let mut too_big = vec![0, 0, 1, 0];
        put_varint(&mut too_big, zigzag(i64::from(i16::MAX) + 1));
        too_big[1] = (too_big.len() - 2) as u8;
        assert!(refused(&too_big), "an int2 element out of range");
    }

    /// Extreme integers survive the zigzag varint encoding.
    #[test]
    fn integer_extremes_roundtrip() {
        let types = [
            DataType::Int8,
            DataType::Int8,
            DataType::Int4,
            DataType::Int2,
            DataType::Int8,
        ];
        let values = vec![
            Value::Int8(i64::MIN),
            Value::Int8(i64::MAX),
            Value::Int4(i32::MIN),
            Value::Int2(i16::MAX),
            Value::Int8(-1),
        ];
        assert_eq!(Row::encode(&values).decode(&types), values);
    }
}
