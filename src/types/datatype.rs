//! The SQL types Turnstile stores, with PostgreSQL's OIDs and names.

use std::fmt;

use super::NumericTypmod;

/// A column or expression type. Every variant is a PostgreSQL type with the same
/// name, OID and semantics, so drivers need no Turnstile-specific code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataType {
    Bool,
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    /// Exact decimal. Stored as a 96-bit mantissa with a scale (up to 28 fractional
    /// digits); values outside that range are 22003, never rounded silently.
    /// `NUMERIC(p, s)` carries its modifier so that storing into a column or casting
    /// rounds to the scale and checks the precision; expressions computed from it
    /// (arithmetic, functions) are plain `numeric`, as in PostgreSQL.
    Numeric(Option<NumericTypmod>),
    Text,
    /// `VARCHAR(n)`: text with an optional maximum length in characters (22001 when
    /// an assignment is longer, as PostgreSQL does).
    Varchar(Option<u32>),
    /// `CHAR(n)` (`character(n)`, `bpchar`): text blank-padded to `n` characters.
    /// Values are kept without their trailing spaces, which PostgreSQL ignores in
    /// every comparison, in `length` and when casting to text; the padding is added
    /// back when a value is sent (see `write_output`). An assignment longer than
    /// `n` is 22001 unless only spaces would be cut. None is `bpchar` without a
    /// length.
    Bpchar(Option<u32>),
    Bytea,
    /// Microseconds since 2000-01-01 00:00:00, without a time zone.
    Timestamp,
    /// Microseconds since 2000-01-01 00:00:00 UTC.
    Timestamptz,
    /// Days since 2000-01-01.
    Date,
    Uuid,
    /// JSON stored as normalized text; compared by that text.
    Jsonb,
    /// The type of a bare `NULL` literal or an untyped parameter before inference;
    /// it never reaches a column and is sent to clients as `text`.
    Unknown,
}

impl DataType {
    /// The PostgreSQL type OID (`pg_type.oid`).
    pub fn oid(self) -> u32 {
        match self {
            DataType::Bool => 16,
            DataType::Bytea => 17,
            DataType::Int8 => 20,
            DataType::Int2 => 21,
            DataType::Int4 => 23,
            DataType::Text => 25,
            DataType::Float4 => 700,
            DataType::Float8 => 701,
            DataType::Varchar(_) => 1043,
            DataType::Bpchar(_) => 1042,
            DataType::Date => 1082,
            DataType::Timestamp => 1114,
            DataType::Timestamptz => 1184,
            DataType::Numeric(_) => 1700,
            DataType::Uuid => 2950,
            DataType::Jsonb => 3802,
            DataType::Unknown => 705,
        }
    }

    /// The type with the given OID, if Turnstile supports it.
    pub fn from_oid(oid: u32) -> Option<DataType> {
        Some(match oid {
            16 => DataType::Bool,
            17 => DataType::Bytea,
            20 => DataType::Int8,
            21 => DataType::Int2,
            23 => DataType::Int4,
            25 => DataType::Text,
            700 => DataType::Float4,
            701 => DataType::Float8,
            1043 => DataType::Varchar(None),
            1042 => DataType::Bpchar(None),
            1082 => DataType::Date,
            1114 => DataType::Timestamp,
            1184 => DataType::Timestamptz,
            1700 => DataType::Numeric(None),
            2950 => DataType::Uuid,
            3802 => DataType::Jsonb,
            705 => DataType::Unknown,
            _ => return None,
        })
    }

    /// `pg_type.typlen`: the fixed size in bytes, or -1 for variable length.
    pub fn type_size(self) -> i16 {
        match self {
            DataType::Bool => 1,
            DataType::Int2 => 2,
            DataType::Int4 | DataType::Float4 | DataType::Date => 4,
            DataType::Int8 | DataType::Float8 | DataType::Timestamp | DataType::Timestamptz => 8,
            DataType::Uuid => 16,
            DataType::Unknown => -2,
            DataType::Numeric(_)
            | DataType::Text
            | DataType::Varchar(_)
            | DataType::Bpchar(_)
            | DataType::Bytea
            | DataType::Jsonb => -1,
        }
    }

    /// The `atttypmod` clients see in a RowDescription: `n + 4` for `VARCHAR(n)`,
    /// `((p << 16) | s) + 4` for `NUMERIC(p, s)`, -1 otherwise (PostgreSQL's
    /// convention).
    pub fn type_modifier(self) -> i32 {
        match self {
            DataType::Varchar(Some(n)) | DataType::Bpchar(Some(n)) => n as i32 + 4,
            DataType::Numeric(Some(typmod)) => typmod.to_pg_typmod(),
            _ => -1,
        }
    }

    /// The type without its modifier: what an expression computed from a value of
    /// this type has (PostgreSQL's operators and functions return typmod -1).
    pub fn without_typmod(self) -> DataType {
        match self {
            DataType::Numeric(Some(_)) => DataType::Numeric(None),
            DataType::Varchar(Some(_)) => DataType::Varchar(None),
            DataType::Bpchar(Some(_)) => DataType::Bpchar(None),
            other => other,
        }
    }

    pub fn is_integer(self) -> bool {
        matches!(self, DataType::Int2 | DataType::Int4 | DataType::Int8)
    }

    pub fn is_numeric(self) -> bool {
        self.is_integer()
            || matches!(
                self,
                DataType::Float4 | DataType::Float8 | DataType::Numeric(_)
            )
    }

    pub fn is_text(self) -> bool {
        matches!(
            self,
            DataType::Text | DataType::Varchar(_) | DataType::Bpchar(_) | DataType::Unknown
        )
    }
}

impl fmt::Display for DataType {
    /// The name PostgreSQL prints in messages and `format_type`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataType::Bool => f.write_str("boolean"),
            DataType::Int2 => f.write_str("smallint"),
            DataType::Int4 => f.write_str("integer"),
            DataType::Int8 => f.write_str("bigint"),
            DataType::Float4 => f.write_str("real"),
            DataType::Float8 => f.write_str("double precision"),
            DataType::Numeric(None) => f.write_str("numeric"),
            DataType::Numeric(Some(t)) => write!(f, "numeric({},{})", t.precision(), t.scale()),
            DataType::Text => f.write_str("text"),
            DataType::Varchar(None) => f.write_str("character varying"),
            DataType::Varchar(Some(n)) => write!(f, "character varying({n})"),
            DataType::Bpchar(None) => f.write_str("bpchar"),
            DataType::Bpchar(Some(n)) => write!(f, "character({n})"),
            DataType::Bytea => f.write_str("bytea"),
            DataType::Timestamp => f.write_str("timestamp without time zone"),
            DataType::Timestamptz => f.write_str("timestamp with time zone"),
            DataType::Date => f.write_str("date"),
            DataType::Uuid => f.write_str("uuid"),
            DataType::Jsonb => f.write_str("jsonb"),
            DataType::Unknown => f.write_str("unknown"),
        }
    }
}
