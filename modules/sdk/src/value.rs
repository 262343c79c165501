//! The Rust types a module can use for columns, arguments and results, and the SQL
//! type each one stands for.
//!
//! | Rust              | SQL                |
//! |-------------------|--------------------|
//! | `bool`            | `boolean`          |
//! | `i16`             | `smallint`         |
//! | `i32`             | `integer`          |
//! | `i64`             | `bigint`           |
//! | `f32`             | `real`             |
//! | `f64`             | `double precision` |
//! | `String`          | `text`             |
//! | `Vec<u8>`         | `bytea`            |
//! | [`Timestamp`]     | `timestamp`        |
//! | [`TimestampTz`]   | `timestamptz`      |
//! | [`Date`]          | `date`             |
//! | [`Uuid`]          | `uuid`             |
//! | [`Jsonb`]         | `jsonb`            |
//! | `Option<T>`       | `T`'s type, nullable |

use crate::codec::{malformed, put_bytes, put_varint, zigzag, Reader};
use crate::error::Error;

/// The SQL types of `turnstile.wit`'s `sql-type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SqlType {
    Boolean,
    Smallint,
    Integer,
    Bigint,
    Real,
    DoublePrecision,
    Text,
    Bytea,
    Timestamp,
    Timestamptz,
    Date,
    Uuid,
    Jsonb,
}

/// A column of a table or a view's result, or a parameter of a reducer or view, as
/// the module's description gives it to the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The column's (or parameter's) name: the Rust field or argument name.
    pub name: &'static str,
    /// The SQL type that the Rust type stands for.
    pub sql_type: SqlType,
    /// Whether the Rust type is an `Option`, so the module accepts NULL here.
    pub nullable: bool,
}

impl Column {
    /// The column `name` of Rust type `T`.
    pub const fn of<T: Value>(name: &'static str) -> Column {
        Column {
            name,
            sql_type: T::SQL_TYPE,
            nullable: T::NULLABLE,
        }
    }
}

/// A Rust type that stands for one SQL type in the row encoding.
pub trait Value: Sized {
    /// The SQL type of the column, parameter or result.
    const SQL_TYPE: SqlType;
    /// Whether the type holds NULL (only `Option` does).
    const NULLABLE: bool = false;

    /// Appends the value's bytes to `out`, or returns false, writing nothing, for
    /// NULL (the caller sets the value's bit in the null bitmap).
    fn encode(&self, out: &mut Vec<u8>) -> bool;

    /// Reads a non-NULL value.
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error>;

    /// The value that stands for NULL, or None when the type has none.
    fn null() -> Option<Self> {
        None
    }
}

impl<T: Value> Value for Option<T> {
    const SQL_TYPE: SqlType = T::SQL_TYPE;
    const NULLABLE: bool = true;

    #[inline]
    fn encode(&self, out: &mut Vec<u8>) -> bool {
        match self {
            Some(value) => value.encode(out),
            None => false,
        }
    }

    #[inline]
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        T::decode(reader).map(Some)
    }

    fn null() -> Option<Self> {
        Some(None)
    }
}

impl Value for bool {
    const SQL_TYPE: SqlType = SqlType::Boolean;

    #[inline]
    fn encode(&self, out: &mut Vec<u8>) -> bool {
        out.push(u8::from(*self));
        true
    }

    #[inline]
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        match reader.take(1)?[0] {
            0 => Ok(false),
            1 => Ok(true),
            byte => Err(malformed(format!("boolean byte {byte}"))),
        }
    }
}

/// Integers narrower than 64 bits travel as zigzag varints too; the host only hands
/// over values of the column's type, so a wider one means a type mismatch.
macro_rules! narrow_int_value {
    ($rust:ty, $sql:ident, $name:literal) => {
        impl Value for $rust {
            const SQL_TYPE: SqlType = SqlType::$sql;

            #[inline]
            fn encode(&self, out: &mut Vec<u8>) -> bool {
                put_varint(out, zigzag(i64::from(*self)));
                true
            }

            #[inline]
            fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
                let value = reader.int()?;
                <$rust>::try_from(value)
                    .map_err(|_| malformed(format!("{value} is out of range for {}", $name)))
            }
        }
    };
}

narrow_int_value!(i16, Smallint, "smallint");
narrow_int_value!(i32, Integer, "integer");

impl Value for i64 {
    const SQL_TYPE: SqlType = SqlType::Bigint;

    #[inline]
    fn encode(&self, out: &mut Vec<u8>) -> bool {
        put_varint(out, zigzag(*self));
        true
    }

    #[inline]
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        reader.int()
    }
}

impl Value for f32 {
    const SQL_TYPE: SqlType = SqlType::Real;

    #[inline]
    fn encode(&self, out: &mut Vec<u8>) -> bool {
        out.extend_from_slice(&self.to_le_bytes());
        true
    }

    #[inline]
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        reader.take_array().map(f32::from_le_bytes)
    }
}

impl Value for f64 {
    const SQL_TYPE: SqlType = SqlType::DoublePrecision;

    #[inline]
    fn encode(&self, out: &mut Vec<u8>) -> bool {
        out.extend_from_slice(&self.to_le_bytes());
        true
    }

    #[inline]
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        reader.take_array().map(f64::from_le_bytes)
    }
}

impl Value for String {
    const SQL_TYPE: SqlType = SqlType::Text;

    #[inline]
    fn encode(&self, out: &mut Vec<u8>) -> bool {
        put_bytes(out, self.as_bytes());
        true
    }

    #[inline]
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        utf8(reader.bytes()?)
    }
}

impl Value for Vec<u8> {
    const SQL_TYPE: SqlType = SqlType::Bytea;

    #[inline]
    fn encode(&self, out: &mut Vec<u8>) -> bool {
        put_bytes(out, self);
        true
    }

    #[inline]
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        reader.bytes().map(<[u8]>::to_vec)
    }
}

/// A `timestamp` (without time zone): microseconds since 2000-01-01 00:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

/// A `timestamptz`: microseconds since 2000-01-01 00:00 UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TimestampTz(pub i64);

/// A `date`: days since 2000-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Date(pub i32);

/// A `uuid`: its 16 bytes, most significant first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Uuid(pub [u8; 16]);

/// A `jsonb` value as JSON text. The host parses and normalizes it; the SDK does not
/// carry a JSON parser so that modules that do not need one stay small.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Jsonb(pub String);

/// The integer newtypes share the integer encoding of their inner type.
macro_rules! int_newtype_value {
    ($newtype:ident, $inner:ty, $sql:ident) => {
        impl Value for $newtype {
            const SQL_TYPE: SqlType = SqlType::$sql;

            #[inline]
            fn encode(&self, out: &mut Vec<u8>) -> bool {
                self.0.encode(out)
            }

            #[inline]
            fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
                <$inner>::decode(reader).map($newtype)
            }
        }
    };
}

int_newtype_value!(Timestamp, i64, Timestamp);
int_newtype_value!(TimestampTz, i64, Timestamptz);
int_newtype_value!(Date, i32, Date);

impl Value for Uuid {
    const SQL_TYPE: SqlType = SqlType::Uuid;

    #[inline]
    fn encode(&self, out: &mut Vec<u8>) -> bool {
        out.extend_from_slice(&self.0);
        true
    }

    #[inline]
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        reader.take_array().map(Uuid)
    }
}

impl Value for Jsonb {
    const SQL_TYPE: SqlType = SqlType::Jsonb;

    #[inline]
    fn encode(&self, out: &mut Vec<u8>) -> bool {
        self.0.encode(out)
    }

    #[inline]
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        utf8(reader.bytes()?).map(Jsonb)
    }
}

#[inline]
fn utf8(bytes: &[u8]) -> Result<String, Error> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_owned()),
        Err(e) => Err(malformed(format!("text that is not UTF-8: {e}"))),
    }
}
