//! Redo: what a committed transaction changed, as the write-ahead log keeps it.
//!
//! A write transaction encodes one op per change into its [`Redo`] as it makes
//! the change, next to its undo: a row's image is copied straight from the table
//! into the payload, with no copy of the row kept in between. At commit the
//! payload is one WAL record; recovery decodes payloads into [`RedoOp`]s and
//! applies them in LSN order. The ops are physical —
//! a row's full image under its key, a key removed, a schema created — never the
//! statement or reducer call, so recovery runs no user code (invariant 5).
//!
//! Applying an op is idempotent: `Put` stores the image whether or not a row was
//! there, `Remove` removes it if present, and catalog ops create or drop exactly
//! the named object. That lets recovery apply the log on top of a snapshot that was
//! taken while writes went on, and still end in the exact committed state.
//!
//! # Payload layout
//!
//! A sequence of ops, each a tag byte and its fields; integers are zigzag varints,
//! strings and byte strings a varint length and the bytes, rows the encoding of
//! [`Row`], keys a tag (0 = integer, 1 = composite) and the integer or the key's
//! values encoded as a row of the primary key's column types.
//!
//! | tag | op | fields |
//! |-----|----|--------|
//! | 1 | `CreateTable` | id, name, columns (count; each name, type, flags (1 = nullable, 2 = identity by default, 4 = identity always), default), primary key (count + 1, 0 = none; positions) |
//! | 2 | `DropTable` | id |
//! | 3 | `CreateIndex` | name, table id, columns (count; positions), kind (0 = index, 1 = unique index, 2 = unique index of a UNIQUE constraint; + 128 when an `indoption` byte per column follows: 1 = DESC, 2 = NULLS FIRST; + 64 when an operator class byte per column follows, after those: 0 = the type's default, 1 = `text_pattern_ops`, 2 = `varchar_pattern_ops`, 3 = `bpchar_pattern_ops`) |
//! | 4 | `DropIndex` | name |
//! | 5 | `CreateView` | name, query, column names (count; names) |
//! | 6 | `DropView` | name |
//! | 7 | `Put` | table id, key, row |
//! | 8 | `Remove` | table id, key |
//! | 9 | `Truncate` | table id |
//! | 10 | `AddPrimaryKey` | table id, columns (count; positions) |
//! | 11 | `CreateTable` of a primary key with a name of its own | as tag 1, then the key's name |
//! | 12 | `AddPrimaryKey` with a name of its own | as tag 10, then the key's name |
//! | 13 | `CreateSequence` | id, name, type, start, increment, min, max, cycle (0/1), owner (0 = none, else table id + 1, then column position), last value, is_called (0/1) |
//! | 14 | `DropSequence` | name |
//! | 15 | `SequenceState` | name, last value, is_called (0/1) |
//! | 16 | `SetColumnDefault` | table id, column position, default (0 = none, 1 then the text) |
//! | 17 | `AlterTable` | as tag 1, then the schema's extras (below) |
//! | 18 | `CreateTable` of a table with CHECK constraints or foreign keys | as tag 1, then the schema's extras |
//! | 19 | `CreateSequence` with a `CACHE` other than 1 | as tag 13, then the cache |
//!
//! Tags 11 and 12 came later: a key named `<table>_pkey` is still written with
//! tags 1 and 10, so older logs and snapshots read as they always did. So did
//! tag 18, for CHECK constraints and foreign keys, and tag 19, for a
//! sequence's `CACHE`. A schema's *extras*, after
//! tag 1's fields in tags 17 and 18: the primary key's name (0 =
//! `<table>_pkey`, 1 then the name), then the CHECK constraints (count; each
//! name, expression, flags (1 = validated, 2 = NO INHERIT)), then the foreign keys (count; each name,
//! columns (count; positions), referenced table id, referenced columns (count;
//! positions), ON DELETE and ON UPDATE actions (0 = NO ACTION, 1 = RESTRICT, 2
//! = CASCADE, 3 = SET NULL), flags (1 = MATCH FULL, 2 = DEFERRABLE, 4 =
//! INITIALLY DEFERRED, 8 = validated)).
//!
//! `AlterTable` gives an existing table a schema with the same column types and
//! primary key (a rename, a column's NOT NULL), keeping its rows. An `ALTER
//! TABLE` that changes the columns (`ADD COLUMN`, `DROP COLUMN`) is logged with
//! no op of its own: a `CreateTable` of the table's new schema under its id,
//! which replaces the table, rows and indexes too, then a `CreateIndex` for each
//! of its indexes and a `Put` of every row.
//!
//! `AddPrimaryKey` empties the table as it sets the key: the same record then holds
//! a `Put` of every row under its new key. Replaying it therefore needs no checks
//! and does not depend on the rows already there (a fuzzy snapshot may hold the
//! table's rows under either kind of key).
//!
//! A type is a tag byte in the order of [`DataType`]'s variants, then for
//! `VARCHAR` a varint (0 = no limit, else limit + 1). `NUMERIC(p, s)` came later
//! and has its own tag, 16, followed by a precision byte and a scale byte, so tag 6
//! (plain `NUMERIC`) reads as it always did. `CHAR(n)` has tag 17, followed by a
//! varint like `VARCHAR`'s. An array type has tag 18, followed by its element
//! type's tag (never another array's). `INTERVAL` has tag 19. The catalog types
//! (`oid` and its aliases, `name`, `"char"`, and arrays of them) have no tag: no
//! table column has them, so no record holds one.

use std::sync::Arc;

use smallvec::SmallVec;

use super::catalog::{
    CheckConstraint, ColumnSchema, ForeignKey, Identity, IndexSchema, KeyOrder, OperatorClass,
    ReferentialAction, TableId, TableSchema, ViewSchema,
};
use super::codec::{put_bytes, put_varint, zigzag, ByteReader, CodecError};
use super::key::{CompositeKey, Key};
use super::row::Row;
use super::sequence::{Sequence, SequenceSchema, SequenceState};
use super::Database;
use crate::types::{DataType, NumericTypmod};

/// One change, as recovery replays it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RedoOp {
    CreateTable(TableSchema),
    DropTable(TableId),
    CreateIndex(IndexSchema),
    DropIndex(String),
    CreateView(ViewSchema),
    DropView(String),
    /// Store `row` under `key`, replacing whatever is there.
    Put {
        table: TableId,
        key: Key,
        row: Row,
    },
    /// Remove the row under `key`, if there is one.
    Remove {
        table: TableId,
        key: Key,
    },
    Truncate(TableId),
    /// Key the table by `columns` and drop its rows (the `Put`s that follow in the
    /// same record bring them back).
    AddPrimaryKey {
        table: TableId,
        columns: Vec<usize>,
        /// The constraint's name, if not `<table>_pkey`.
        name: Option<String>,
    },
    /// Create (or replace) a sequence with this schema and state.
    CreateSequence {
        schema: SequenceSchema,
        state: SequenceState,
    },
    DropSequence(String),
    /// Give an existing table this schema, which keeps the column types and
    /// primary key it has (see the module doc).
    AlterTable(TableSchema),
    /// Give a column this DEFAULT (SQL text), or none.
    SetColumnDefault {
        table: TableId,
        column: usize,
        default: Option<String>,
    },
    /// Where a sequence stands after a `nextval` or `setval`: not a schema
    /// change, and not undone by a rollback (see `db::sequence`).
    SequenceState {
        name: String,
        state: SequenceState,
    },
}

/// Bits of a column's flags byte in `CreateTable`, besides bit 0 (nullable),
/// which was the whole byte before identity columns.
const COLUMN_IDENTITY_BY_DEFAULT: u8 = 2;
const COLUMN_IDENTITY_ALWAYS: u8 = 4;

/// The kind byte of `CreateIndex`: 0 and 1 were `unique` false and true before
/// UNIQUE constraints were told from unique indexes, and still read so.
const INDEX_PLAIN: u8 = 0;
const INDEX_UNIQUE: u8 = 1;
const INDEX_UNIQUE_CONSTRAINT: u8 = 2;
/// Set in the kind byte when each column's `indoption` byte follows (an index
/// with a DESC or NULLS FIRST column); logs from before it never set it.
const INDEX_KEY_ORDERS: u8 = 0x80;
/// Set in the kind byte when each column's operator class byte follows (an
/// index with a `*_pattern_ops` column); logs from before it never set it.
const INDEX_OPERATOR_CLASSES: u8 = 0x40;

/// The most bytes a row op takes besides its row when its key is an integer:
/// a tag, a table id, a key and a row length.
const OP_OVERHEAD_BYTES: usize = 1 + 5 + 11 + 5;

/// What a transaction's first row op reserves for the payload: room for a few
/// small rows' ops, so that a short transaction (a reducer updating two rows)
/// allocates once, not once per op.
const FIRST_RESERVE_BYTES: usize = 256;

/// The redo of one transaction: its ops, encoded as they are made.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Redo {
    payload: Vec<u8>,
    ops: usize,
    /// The tables whose rows the ops change (a table once per run of ops on
    /// it), and whether any op changes the schema: what a commit counts in the
    /// tables' versions and `schema_commits`.
    changed_tables: SmallVec<[TableId; 2]>,
    changed_schema: bool,
}

impl Redo {
    /// True for a transaction that changed nothing (it needs no log record).
    pub fn is_empty(&self) -> bool {
        self.ops == 0
    }

    /// How many ops it holds.
    pub fn len(&self) -> usize {
        self.ops
    }

    /// The WAL payload.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    pub fn into_payload(self) -> Vec<u8> {
        self.payload
    }

    pub(crate) fn changed_tables(&self) -> &[TableId] {
        &self.changed_tables
    }

    pub(crate) fn changed_schema(&self) -> bool {
        self.changed_schema
    }

    /// Adds `op`.
    pub(crate) fn push(&mut self, op: &RedoOp) {
        match op {
            RedoOp::Put { table, key, row } => return self.put(*table, key, row),
            RedoOp::Remove { table, key } => return self.remove(*table, key),
            RedoOp::Truncate(table) => self.rows_changed(*table),
            RedoOp::SequenceState { .. } => {}
            _ => self.changed_schema = true,
        }
        self.ops += 1;
        encode_op(&mut self.payload, op);
    }

    /// Adds a `Put` of `row` under `key`, copying the row's bytes once.
    pub(crate) fn put(&mut self, table: TableId, key: &Key, row: &Row) {
        self.rows_changed(table);
        self.ops += 1;
        // Room for the row and an integer key's op around it: one growth, not
        // one per byte pushed.
        self.reserve(row.as_bytes().len() + OP_OVERHEAD_BYTES);
        encode_put(&mut self.payload, table, key, row);
    }

    /// Adds a `Remove` of `key`.
    pub(crate) fn remove(&mut self, table: TableId, key: &Key) {
        self.rows_changed(table);
        self.ops += 1;
        self.reserve(OP_OVERHEAD_BYTES);
        encode_remove(&mut self.payload, table, key);
    }

    /// Room for `bytes` more, one growth for the op rather than one per byte.
    fn reserve(&mut self, bytes: usize) {
        if self.payload.capacity() == 0 {
            self.payload.reserve(bytes.max(FIRST_RESERVE_BYTES));
        } else {
            self.payload.reserve(bytes);
        }
    }

    fn rows_changed(&mut self, table: TableId) {
        if self.changed_tables.last() != Some(&table) {
            self.changed_tables.push(table);
        }
    }
}

fn encode_op(out: &mut Vec<u8>, op: &RedoOp) {
    match op {
        RedoOp::CreateTable(schema)
            if !schema.checks.is_empty() || !schema.foreign_keys.is_empty() =>
        {
            out.push(18);
            encode_table_schema(out, schema);
            encode_schema_extras(out, schema);
        }
        RedoOp::CreateTable(schema) => {
            out.push(if schema.primary_key_constraint.is_some() {
                11
            } else {
                1
            });
            encode_table_schema(out, schema);
            if let Some(name) = &schema.primary_key_constraint {
                put_bytes(out, name.as_bytes());
            }
        }
        RedoOp::DropTable(id) => {
            out.push(2);
            put_varint(out, u64::from(*id));
        }
        RedoOp::CreateIndex(index) => {
            out.push(3);
            put_bytes(out, index.name.as_bytes());
            put_varint(out, u64::from(index.table));
            put_positions(out, &index.columns);
            let kind = match (index.unique, index.constraint) {
                (false, _) => INDEX_PLAIN,
                (true, false) => INDEX_UNIQUE,
                (true, true) => INDEX_UNIQUE_CONSTRAINT,
            };
            let ordered = index.key_orders.iter().any(|o| *o != KeyOrder::default());
            let classed = index
                .operator_classes
                .iter()
                .any(|c| *c != OperatorClass::Default);
            let mut flags = kind;
            if ordered {
                flags |= INDEX_KEY_ORDERS;
            }
            if classed {
                flags |= INDEX_OPERATOR_CLASSES;
            }
            out.push(flags);
            if ordered {
                out.extend(index.key_orders.iter().map(|o| o.indoption()));
            }
            if classed {
                out.extend(index.operator_classes.iter().map(|c| c.code()));
            }
        }
        RedoOp::DropIndex(name) | RedoOp::DropView(name) => {
            out.push(if matches!(op, RedoOp::DropIndex(_)) {
                4
            } else {
                6
            });
            put_bytes(out, name.as_bytes());
        }
        RedoOp::CreateView(view) => {
            out.push(5);
            put_bytes(out, view.name.as_bytes());
            put_bytes(out, view.query.as_bytes());
            put_varint(out, view.column_names.len() as u64);
            for name in &view.column_names {
                put_bytes(out, name.as_bytes());
            }
        }
        RedoOp::Put { table, key, row } => encode_put(out, *table, key, row),
        RedoOp::Remove { table, key } => encode_remove(out, *table, key),
        RedoOp::Truncate(id) => {
            out.push(9);
            put_varint(out, u64::from(*id));
        }
        RedoOp::CreateSequence { schema, state } => {
            out.push(if schema.cache == 1 { 13 } else { 19 });
            put_varint(out, u64::from(schema.id));
            put_bytes(out, schema.name.as_bytes());
            encode_data_type(out, schema.data_type);
            for n in [schema.start, schema.increment, schema.min, schema.max] {
                put_varint(out, zigzag(n));
            }
            out.push(u8::from(schema.cycle));
            match schema.owned_by {
                None => put_varint(out, 0),
                Some((table, column)) => {
                    put_varint(out, u64::from(table) + 1);
                    put_varint(out, column as u64);
                }
            }
            encode_sequence_state(out, state);
            if schema.cache != 1 {
                put_varint(out, zigzag(schema.cache));
            }
        }
        RedoOp::DropSequence(name) => {
            out.push(14);
            put_bytes(out, name.as_bytes());
        }
        RedoOp::SetColumnDefault {
            table,
            column,
            default,
        } => {
            out.push(16);
            put_varint(out, u64::from(*table));
            put_varint(out, *column as u64);
            encode_optional_text(out, default.as_deref());
        }
        RedoOp::AlterTable(schema) => {
            out.push(17);
            encode_table_schema(out, schema);
            encode_schema_extras(out, schema);
        }
        RedoOp::SequenceState { name, state } => {
            out.push(15);
            put_bytes(out, name.as_bytes());
            encode_sequence_state(out, state);
        }
        RedoOp::AddPrimaryKey {
            table,
            columns,
            name,
        } => {
            out.push(if name.is_some() { 12 } else { 10 });
            put_varint(out, u64::from(*table));
            put_positions(out, columns);
            if let Some(name) = name {
                put_bytes(out, name.as_bytes());
            }
        }
    }
}

/// What tags 17 and 18 write after a schema's fields of tag 1 (see the module
/// doc).
fn encode_schema_extras(out: &mut Vec<u8>, schema: &TableSchema) {
    encode_optional_text(out, schema.primary_key_constraint.as_deref());
    put_varint(out, schema.checks.len() as u64);
    for check in &schema.checks {
        put_bytes(out, check.name.as_bytes());
        put_bytes(out, check.expr.as_bytes());
        out.push(u8::from(check.validated) | u8::from(check.no_inherit) << 1);
    }
    put_varint(out, schema.foreign_keys.len() as u64);
    for key in &schema.foreign_keys {
        put_bytes(out, key.name.as_bytes());
        put_positions(out, &key.columns);
        put_varint(out, u64::from(key.referenced_table));
        put_positions(out, &key.referenced_columns);
        out.push(action_tag(key.on_delete));
        out.push(action_tag(key.on_update));
        let flags = [
            (key.match_full, FOREIGN_KEY_MATCH_FULL),
            (key.deferrable, FOREIGN_KEY_DEFERRABLE),
            (key.initially_deferred, FOREIGN_KEY_INITIALLY_DEFERRED),
            (key.validated, FOREIGN_KEY_VALIDATED),
        ];
        out.push(
            flags
                .iter()
                .filter(|(set, _)| *set)
                .map(|(_, bit)| bit)
                .sum(),
        );
    }
}

const FOREIGN_KEY_MATCH_FULL: u8 = 1;
const FOREIGN_KEY_DEFERRABLE: u8 = 2;
const FOREIGN_KEY_INITIALLY_DEFERRED: u8 = 4;
const FOREIGN_KEY_VALIDATED: u8 = 8;

fn action_tag(action: ReferentialAction) -> u8 {
    match action {
        ReferentialAction::NoAction => 0,
        ReferentialAction::Restrict => 1,
        ReferentialAction::Cascade => 2,
        ReferentialAction::SetNull => 3,
    }
}

fn decode_action(reader: &mut ByteReader<'_>) -> Result<ReferentialAction, CodecError> {
    Ok(match reader.u8()? {
        0 => ReferentialAction::NoAction,
        1 => ReferentialAction::Restrict,
        2 => ReferentialAction::Cascade,
        3 => ReferentialAction::SetNull,
        other => return Err(CodecError(format!("referential action {other}"))),
    })
}

fn decode_schema_extras(
    reader: &mut ByteReader<'_>,
    schema: &mut TableSchema,
) -> Result<(), CodecError> {
    schema.primary_key_constraint = decode_optional_text(reader)?;
    for _ in 0..reader.varint()? {
        let (name, expr) = (reader.string()?, reader.string()?);
        let flags = reader.u8()?;
        if flags > 3 {
            return Err(CodecError(format!("a CHECK's flags {flags}")));
        }
        schema.checks.push(CheckConstraint {
            name,
            expr,
            validated: flags & 1 != 0,
            no_inherit: flags & 2 != 0,
        });
    }
    for _ in 0..reader.varint()? {
        let name = reader.string()?;
        let columns = positions(reader)?;
        let referenced_table = table_id(reader)?;
        let referenced_columns = positions(reader)?;
        let (on_delete, on_update) = (decode_action(reader)?, decode_action(reader)?);
        let flags = reader.u8()?;
        let valid = |p: &usize| *p < schema.columns.len();
        if columns.len() != referenced_columns.len() || !columns.iter().all(valid) {
            return Err(CodecError(format!(
                "foreign key {name} of table id {}",
                schema.id
            )));
        }
        schema.foreign_keys.push(ForeignKey {
            name,
            columns,
            referenced_table,
            referenced_columns,
            on_delete,
            on_update,
            match_full: flags & FOREIGN_KEY_MATCH_FULL != 0,
            deferrable: flags & FOREIGN_KEY_DEFERRABLE != 0,
            initially_deferred: flags & FOREIGN_KEY_INITIALLY_DEFERRED != 0,
            validated: flags & FOREIGN_KEY_VALIDATED != 0,
        });
    }
    Ok(())
}

/// Text that may be absent (a column's DEFAULT): 0 for none, else 1 and the
/// text.
fn encode_optional_text(out: &mut Vec<u8>, text: Option<&str>) {
    match text {
        None => out.push(0),
        Some(text) => {
            out.push(1);
            put_bytes(out, text.as_bytes());
        }
    }
}

fn decode_optional_text(reader: &mut ByteReader<'_>) -> Result<Option<String>, CodecError> {
    Ok(match reader.u8()? {
        0 => None,
        _ => Some(reader.string()?),
    })
}

fn encode_sequence_state(out: &mut Vec<u8>, state: &SequenceState) {
    put_varint(out, zigzag(state.last_value));
    out.push(u8::from(state.is_called));
}

fn decode_sequence_state(reader: &mut ByteReader<'_>) -> Result<SequenceState, CodecError> {
    Ok(SequenceState {
        last_value: reader.int()?,
        is_called: reader.u8()? != 0,
    })
}

fn encode_put(out: &mut Vec<u8>, table: TableId, key: &Key, row: &Row) {
    out.push(7);
    put_varint(out, u64::from(table));
    encode_key(out, key);
    put_bytes(out, row.as_bytes());
}

fn encode_remove(out: &mut Vec<u8>, table: TableId, key: &Key) {
    out.push(8);
    put_varint(out, u64::from(table));
    encode_key(out, key);
}

fn encode_key(out: &mut Vec<u8>, key: &Key) {
    match key {
        Key::Int(i) => {
            out.push(0);
            put_varint(out, zigzag(*i));
        }
        Key::Composite(values) => {
            out.push(1);
            put_bytes(out, Row::encode(&values.0).as_bytes());
        }
    }
}

fn put_positions(out: &mut Vec<u8>, positions: &[usize]) {
    put_varint(out, positions.len() as u64);
    for &p in positions {
        put_varint(out, p as u64);
    }
}

fn encode_table_schema(out: &mut Vec<u8>, schema: &TableSchema) {
    put_varint(out, u64::from(schema.id));
    put_bytes(out, schema.name.as_bytes());
    put_varint(out, schema.columns.len() as u64);
    for column in &schema.columns {
        put_bytes(out, column.name.as_bytes());
        encode_data_type(out, column.data_type);
        let identity = match column.identity {
            None => 0,
            Some(Identity::ByDefault) => COLUMN_IDENTITY_BY_DEFAULT,
            Some(Identity::Always) => COLUMN_IDENTITY_ALWAYS,
        };
        out.push(u8::from(column.nullable) | identity);
        encode_optional_text(out, column.default.as_deref());
    }
    match &schema.primary_key {
        None => put_varint(out, 0),
        Some(pk) => {
            put_varint(out, pk.len() as u64 + 1);
            for &p in pk {
                put_varint(out, p as u64);
            }
        }
    }
}

/// A type tag in the order of `DataType`'s variants.
fn encode_data_type(out: &mut Vec<u8>, data_type: DataType) {
    let (tag, limit) = match data_type {
        DataType::Bool => (0, None),
        DataType::Int2 => (1, None),
        DataType::Int4 => (2, None),
        DataType::Int8 => (3, None),
        DataType::Float4 => (4, None),
        DataType::Float8 => (5, None),
        DataType::Numeric(None) => (6, None),
        DataType::Numeric(Some(typmod)) => {
            out.extend_from_slice(&[16, typmod.precision(), typmod.scale()]);
            return;
        }
        DataType::Text => (7, None),
        DataType::Varchar(limit) => (8, Some(limit)),
        DataType::Bytea => (9, None),
        DataType::Timestamp => (10, None),
        DataType::Timestamptz => (11, None),
        DataType::Date => (12, None),
        DataType::Uuid => (13, None),
        DataType::Jsonb => (14, None),
        DataType::Unknown => (15, None),
        DataType::Bpchar(limit) => (17, Some(limit)),
        DataType::Interval => (19, None),
        DataType::Json => (20, None),
        DataType::Array(element) => {
            out.push(18);
            encode_data_type(out, *element);
            return;
        }
        DataType::Oid(_)
        | DataType::Name
        | DataType::InternalChar
        | DataType::Vector(_)
        | DataType::Void => {
            unreachable!("column definitions refuse the catalog type {data_type}")
        }
    };
    out.push(tag);
    if let Some(limit) = limit {
        put_varint(out, limit.map_or(0, |n| u64::from(n) + 1));
    }
}

fn decode_data_type(reader: &mut ByteReader<'_>) -> Result<DataType, CodecError> {
    match reader.u8()? {
        // An array's element is a scalar type without a modifier: read without
        // recursing, so that no run of array tags can exhaust the stack.
        18 => {
            let tag = reader.u8()?;
            let element = decode_scalar_type(reader, tag)?;
            if element != element.without_typmod() {
                return Err(CodecError(format!("an array of {element}")));
            }
            element
                .array_of()
                .ok_or_else(|| CodecError(format!("no array type of {element}")))
        }
        tag => decode_scalar_type(reader, tag),
    }
}

/// The type of tag `tag` (read), other than an array.
fn decode_scalar_type(reader: &mut ByteReader<'_>, tag: u8) -> Result<DataType, CodecError> {
    Ok(match tag {
        0 => DataType::Bool,
        1 => DataType::Int2,
        2 => DataType::Int4,
        3 => DataType::Int8,
        4 => DataType::Float4,
        5 => DataType::Float8,
        6 => DataType::Numeric(None),
        7 => DataType::Text,
        8 => match reader.varint()? {
            0 => DataType::Varchar(None),
            n => DataType::Varchar(Some(
                u32::try_from(n - 1).map_err(|_| CodecError("varchar limit".into()))?,
            )),
        },
        9 => DataType::Bytea,
        10 => DataType::Timestamp,
        11 => DataType::Timestamptz,
        12 => DataType::Date,
        13 => DataType::Uuid,
        14 => DataType::Jsonb,
        15 => DataType::Unknown,
        20 => DataType::Json,
        17 => DataType::Bpchar(match reader.varint()? {
            0 => None,
            n => Some(u32::try_from(n - 1).map_err(|_| CodecError("char length".into()))?),
        }),
        16 => {
            let (precision, scale) = (reader.u8()?, reader.u8()?);
            let typmod = NumericTypmod::new(i64::from(precision), i64::from(scale))
                .map_err(|e| CodecError(format!("numeric modifier: {e}")))?;
            DataType::Numeric(Some(typmod))
        }
        19 => DataType::Interval,
        tag => return Err(CodecError(format!("unknown type tag {tag}"))),
    })
}

impl Database {
    /// Applies one WAL payload during recovery. Fails, changing nothing further, on
    /// bytes that do not decode or ops that do not fit the catalog (a bug or a
    /// format mismatch: recovery stops and says so).
    pub fn apply_redo(&mut self, payload: &[u8]) -> Result<(), CodecError> {
        let mut reader = ByteReader::new(payload);
        while !reader.is_empty() {
            let op = decode_op(&mut reader, self)?;
            self.apply_op(op)?;
        }
        Ok(())
    }

    /// Applies one op. Every op is idempotent and tolerant of the state a fuzzy
    /// snapshot leaves (see the module doc): creating replaces, dropping what is
    /// not there is nothing, and indexes are built without uniqueness checks
    /// because a fuzzy copy may hold rows from either side of a later delete.
    fn apply_op(&mut self, op: RedoOp) -> Result<(), CodecError> {
        match op {
            RedoOp::CreateTable(schema) => {
                if let Some(old) = self.tables.remove(&schema.id) {
                    self.table_names.remove(&old.schema().name);
                }
                self.restore_table(schema);
            }
            RedoOp::DropTable(id) => {
                if let Some(table) = self.tables.remove(&id) {
                    self.table_names.remove(&table.schema().name);
                }
            }
            RedoOp::CreateIndex(index) => {
                let table = self
                    .tables
                    .get_mut(&index.table)
                    .ok_or_else(|| missing_table(index.table))?;
                if index
                    .columns
                    .iter()
                    .any(|&c| c >= table.column_types().len())
                {
                    return Err(CodecError(format!(
                        "index {} names a column the table lacks",
                        index.name
                    )));
                }
                table.take_index(&index.name);
                table.build_index_unchecked(index);
            }
            RedoOp::DropIndex(name) => {
                for table in self.tables.values_mut() {
                    table.take_index(&name);
                }
            }
            RedoOp::CreateView(view) => {
                self.views.insert(view.name.clone(), view);
            }
            RedoOp::DropView(name) => {
                self.views.remove(&name);
            }
            RedoOp::Put { table, key, row } => {
                let t = self
                    .tables
                    .get_mut(&table)
                    .ok_or_else(|| missing_table(table))?;
                t.remove(&key);
                t.note_key(&key);
                t.put(key, row, None);
            }
            RedoOp::Remove { table, key } => {
                let t = self
                    .tables
                    .get_mut(&table)
                    .ok_or_else(|| missing_table(table))?;
                t.remove(&key);
            }
            RedoOp::Truncate(table) => {
                let t = self
                    .tables
                    .get_mut(&table)
                    .ok_or_else(|| missing_table(table))?;
                t.take_contents();
            }
            RedoOp::AddPrimaryKey {
                table,
                columns,
                name,
            } => {
                let t = self
                    .tables
                    .get_mut(&table)
                    .ok_or_else(|| missing_table(table))?;
                if columns.is_empty() || columns.iter().any(|&c| c >= t.column_types().len()) {
                    return Err(CodecError(format!(
                        "primary key of table id {table} names a column it lacks"
                    )));
                }
                t.reset_with_primary_key(&columns, name);
            }
            RedoOp::CreateSequence { schema, state } => {
                self.next_table_id = self.next_table_id.max(schema.id + 1);
                self.sequences
                    .insert(schema.name.clone(), Sequence::new(schema, state));
            }
            RedoOp::DropSequence(name) => {
                self.sequences.remove(&name);
            }
            RedoOp::SetColumnDefault {
                table,
                column,
                default,
            } => {
                let t = self
                    .tables
                    .get_mut(&table)
                    .ok_or_else(|| missing_table(table))?;
                if column >= t.column_types().len() {
                    return Err(CodecError(format!(
                        "a default for a column table id {table} lacks"
                    )));
                }
                t.replace_default(column, default);
            }
            RedoOp::AlterTable(schema) => {
                let t = self
                    .tables
                    .get(&schema.id)
                    .ok_or_else(|| missing_table(schema.id))?;
                if t.schema().primary_key != schema.primary_key
                    || *t.column_types() != *schema.column_types()
                {
                    return Err(CodecError(format!(
                        "ALTER TABLE of table id {} changes its row layout",
                        schema.id
                    )));
                }
                self.set_table_schema(Arc::new(schema));
            }
            RedoOp::SequenceState { name, state } => {
                let sequence = self
                    .sequences
                    .get_mut(&name)
                    .ok_or_else(|| CodecError(format!("redo refers to unknown sequence {name}")))?;
                *sequence = Sequence::new(sequence.schema().clone(), state);
                // Not a schema change: nothing derived from the catalog goes stale.
                return Ok(());
            }
        }
        self.catalog_version += 1;
        Ok(())
    }
}

fn missing_table(id: TableId) -> CodecError {
    CodecError(format!("redo refers to unknown table id {id}"))
}

fn decode_op(reader: &mut ByteReader<'_>, db: &Database) -> Result<RedoOp, CodecError> {
    Ok(match reader.u8()? {
        1 => RedoOp::CreateTable(decode_table_schema(reader)?),
        11 => {
            let mut schema = decode_table_schema(reader)?;
            schema.primary_key_constraint = Some(reader.string()?);
            RedoOp::CreateTable(schema)
        }
        17 => {
            let mut schema = decode_table_schema(reader)?;
            decode_schema_extras(reader, &mut schema)?;
            RedoOp::AlterTable(schema)
        }
        18 => {
            let mut schema = decode_table_schema(reader)?;
            decode_schema_extras(reader, &mut schema)?;
            RedoOp::CreateTable(schema)
        }
        2 => RedoOp::DropTable(table_id(reader)?),
        3 => {
            let (name, table, columns) = (reader.string()?, table_id(reader)?, positions(reader)?);
            let flags = reader.u8()?;
            let kind = flags & !(INDEX_KEY_ORDERS | INDEX_OPERATOR_CLASSES);
            let key_orders = if flags & INDEX_KEY_ORDERS != 0 {
                (0..columns.len())
                    .map(|_| reader.u8().map(KeyOrder::from_indoption))
                    .collect::<Result<_, _>>()?
            } else {
                KeyOrder::ascending(columns.len())
            };
            let operator_classes = if flags & INDEX_OPERATOR_CLASSES != 0 {
                (0..columns.len())
                    .map(|_| {
                        let code = reader.u8()?;
                        OperatorClass::from_code(code)
                            .ok_or_else(|| CodecError(format!("an operator class {code}")))
                    })
                    .collect::<Result<_, _>>()?
            } else {
                OperatorClass::defaults(columns.len())
            };
            RedoOp::CreateIndex(IndexSchema {
                name,
                table,
                columns,
                unique: kind != INDEX_PLAIN,
                constraint: kind == INDEX_UNIQUE_CONSTRAINT,
                key_orders,
                operator_classes,
            })
        }
        4 => RedoOp::DropIndex(reader.string()?),
        5 => {
            let (name, query) = (reader.string()?, reader.string()?);
            let count = reader.varint()?;
            let column_names = (0..count)
                .map(|_| reader.string())
                .collect::<Result<_, _>>()?;
            RedoOp::CreateView(ViewSchema {
                name,
                query,
                column_names,
            })
        }
        6 => RedoOp::DropView(reader.string()?),
        7 => {
            let table = table_id(reader)?;
            let key = decode_key(reader, db, table)?;
            let types = db
                .tables
                .get(&table)
                .ok_or_else(|| missing_table(table))?
                .column_types();
            let row = Row::from_log(reader.bytes()?, types)?;
            RedoOp::Put { table, key, row }
        }
        8 => {
            let table = table_id(reader)?;
            RedoOp::Remove {
                table,
                key: decode_key(reader, db, table)?,
            }
        }
        9 => RedoOp::Truncate(table_id(reader)?),
        10 => RedoOp::AddPrimaryKey {
            table: table_id(reader)?,
            columns: positions(reader)?,
            name: None,
        },
        12 => RedoOp::AddPrimaryKey {
            table: table_id(reader)?,
            columns: positions(reader)?,
            name: Some(reader.string()?),
        },
        tag @ (13 | 19) => {
            let (id, name, data_type) = (
                table_id(reader)?,
                reader.string()?,
                decode_data_type(reader)?,
            );
            let (start, increment, min, max) =
                (reader.int()?, reader.int()?, reader.int()?, reader.int()?);
            let cycle = reader.u8()? != 0;
            let owned_by = match reader.varint()? {
                0 => None,
                n => Some((
                    TableId::try_from(n - 1)
                        .map_err(|_| CodecError("table id out of range".into()))?,
                    usize::try_from(reader.varint()?)
                        .map_err(|_| CodecError("column position out of range".into()))?,
                )),
            };
            let schema = SequenceSchema {
                id,
                created_as: name.clone(),
                name,
                data_type,
                start,
                increment,
                min,
                max,
                cycle,
                cache: 1,
                owned_by,
            };
            let state = decode_sequence_state(reader)?;
            let cache = if tag == 19 { reader.int()? } else { 1 };
            RedoOp::CreateSequence {
                schema: SequenceSchema { cache, ..schema },
                state,
            }
        }
        14 => RedoOp::DropSequence(reader.string()?),
        16 => RedoOp::SetColumnDefault {
            table: table_id(reader)?,
            column: usize::try_from(reader.varint()?)
                .map_err(|_| CodecError("column position out of range".into()))?,
            default: decode_optional_text(reader)?,
        },
        15 => RedoOp::SequenceState {
            name: reader.string()?,
            state: decode_sequence_state(reader)?,
        },
        tag => return Err(CodecError(format!("unknown redo op tag {tag}"))),
    })
}

fn table_id(reader: &mut ByteReader<'_>) -> Result<TableId, CodecError> {
    TableId::try_from(reader.varint()?).map_err(|_| CodecError("table id out of range".into()))
}

fn positions(reader: &mut ByteReader<'_>) -> Result<Vec<usize>, CodecError> {
    let count = reader.varint()?;
    (0..count)
        .map(|_| {
            usize::try_from(reader.varint()?)
                .map_err(|_| CodecError("column position out of range".into()))
        })
        .collect()
}

fn decode_key(
    reader: &mut ByteReader<'_>,
    db: &Database,
    table: TableId,
) -> Result<Key, CodecError> {
    let t = db.tables.get(&table).ok_or_else(|| missing_table(table))?;
    let tag = reader.u8()?;
    // A table keeps one form of key (see `Key`); a record with the other form
    // was not written for this table.
    if matches!(tag, 0 | 1) && (tag == 0) != t.keyed_by_integer() {
        return Err(CodecError(format!(
            "a key of the wrong form for table {}",
            t.schema().name
        )));
    }
    match tag {
        0 => Ok(Key::Int(reader.int()?)),
        1 => {
            let pk = t.schema().primary_key.as_ref().ok_or_else(|| {
                CodecError("composite key on a table without a primary key".into())
            })?;
            let types: Vec<DataType> = pk.iter().map(|&c| t.column_types()[c]).collect();
            let row = Row::from_log(reader.bytes()?, &types)?;
            Ok(Key::Composite(Arc::new(CompositeKey(row.decode(&types)))))
        }
        tag => Err(CodecError(format!("unknown key tag {tag}"))),
    }
}

fn decode_table_schema(reader: &mut ByteReader<'_>) -> Result<TableSchema, CodecError> {
    let id = table_id(reader)?;
    let name = reader.string()?;
    let count = reader.varint()?;
    let mut columns = Vec::new();
    for _ in 0..count {
        let name = reader.string()?;
        let data_type = decode_data_type(reader)?;
        let flags = reader.u8()?;
        let nullable = flags & 1 != 0;
        let identity = match flags & !1 {
            0 => None,
            COLUMN_IDENTITY_BY_DEFAULT => Some(Identity::ByDefault),
            COLUMN_IDENTITY_ALWAYS => Some(Identity::Always),
            _ => return Err(CodecError(format!("column flags {flags}"))),
        };
        let default = decode_optional_text(reader)?;
        columns.push(ColumnSchema {
            name,
            data_type,
            nullable,
            default,
            identity,
        });
    }
    let primary_key = match reader.varint()? {
        0 => None,
        n => Some(
            (1..n)
                .map(|_| reader.varint().map(|p| p as usize))
                .collect::<Result<_, _>>()?,
        ),
    };
    let schema = TableSchema {
        id,
        name,
        columns,
        primary_key,
        primary_key_constraint: None,
        checks: Vec::new(),
        foreign_keys: Vec::new(),
    };
    let valid = |p: &usize| *p < schema.columns.len();
    if !schema
        .primary_key
        .as_ref()
        .is_none_or(|pk| pk.iter().all(valid))
    {
        return Err(CodecError("primary key column out of range".into()));
    }
    Ok(schema)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Value;

    /// An array type is tag 18 and its element's tag; damaged bytes are refused
    /// with an error, never by exhausting the stack: a million array tags, an
    /// element with a modifier (varchar(4)), an element with no array type.
    #[test]
    fn array_type_tags_are_read_without_recursion() {
        let read = |bytes: &[u8]| decode_data_type(&mut ByteReader::new(bytes));
        assert_eq!(read(&[18, 2]).unwrap(), DataType::Array(&DataType::Int4));
        let mut tagged = Vec::new();
        encode_data_type(&mut tagged, DataType::Array(&DataType::Interval));
        assert_eq!(read(&tagged).unwrap(), DataType::Array(&DataType::Interval));
        assert!(read(&vec![18; 1_000_000]).is_err());
        assert!(read(&[18, 8, 5]).is_err(), "varchar(4)[]");
        assert!(read(&[18, 15]).is_err(), "unknown[]");
    }

    /// A record whose key has the other form than its table's keys is refused
    /// as damage (the table's map has no place for it).
    #[test]
    fn keys_of_the_wrong_form_are_refused() {
        let mut db = Database::new();
        let mut txn = db.begin_write();
        let schema = |name: &str, key: DataType| TableSchema {
            id: 0,
            name: name.into(),
            columns: vec![ColumnSchema {
                name: "k".into(),
                data_type: key,
                nullable: false,
                default: None,
                identity: None,
            }],
            primary_key: Some(vec![0]),
            primary_key_constraint: None,
            checks: Vec::new(),
            foreign_keys: Vec::new(),
        };
        let ints = txn.create_table(schema("ints", DataType::Int8)).unwrap();
        let texts = txn.create_table(schema("texts", DataType::Text)).unwrap();
        txn.commit();
        let text_key = Key::Composite(Arc::new(CompositeKey(vec![Value::Text("a".into())])));
        for (table, key, row) in [
            (ints, &text_key, Row::encode(&[Value::Int8(1)])),
            (texts, &Key::Int(1), Row::encode(&[Value::Text("a".into())])),
        ] {
            let mut redo = Redo::default();
            redo.put(table, key, &row);
            let error = db.apply_redo(redo.payload()).unwrap_err();
            assert!(error.0.contains("wrong form"), "{error:?}");
        }
        assert!(db.table(ints).is_empty() && db.table(texts).is_empty());
    }
}
