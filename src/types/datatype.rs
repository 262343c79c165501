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
    /// JSON kept as its input text, byte for byte (`types::json_text`); it has
    /// no equality or order.
    Json,
    /// A span of months, days and microseconds (`types::interval`).
    Interval,
    /// `void`: what a function that returns nothing returns
    /// (`pg_advisory_lock`). Its one value is `Value::Text("")`, sent as an
    /// empty string, as PostgreSQL's; no column has it.
    Void,
    /// The type of a bare `NULL` literal or an untyped parameter before inference;
    /// it never reaches a column and is sent to clients as `text`.
    Unknown,
    /// `oid` and its aliases (`regclass`, `regtype`, …): the id of a catalog object,
    /// an unsigned 32-bit number held in a `Value::Int8`. The aliases read and print
    /// names instead of numbers, which needs the catalog, so the SQL layer converts
    /// them (see `sql::system::functions`). The catalog types (this, `Name`,
    /// `InternalChar`, and arrays of them) appear in the system relations and in
    /// expressions; they are not column types of user tables.
    Oid(OidAlias),
    /// `name`: an identifier, held as text and compared as text.
    Name,
    /// `"char"`: PostgreSQL's one-byte internal type (`pg_class.relkind`), held as text.
    InternalChar,
    /// A one-dimensional array of the element type, held as `Value::Array`.
    Array(&'static DataType),
    /// PostgreSQL's `int2vector` and `oidvector` (the element `Int2` or
    /// `Oid(Oid)`): the catalogs' lists of column numbers and of OIDs
    /// (`pg_index.indkey`, `pg_proc.proargtypes`). Held as `Value::Array`, but
    /// printed and read as numbers separated by spaces (pg_dump parses them so)
    /// and subscripted from 0; where an array is wanted (`= ANY(indkey)`,
    /// `array_to_string`) it is one, as PostgreSQL casts it implicitly.
    Vector(&'static DataType),
}

/// `int2vector`.
pub const INT2_VECTOR: DataType = DataType::Vector(&DataType::Int2);
/// `oidvector`.
pub const OID_VECTOR: DataType = DataType::Vector(&DataType::Oid(OidAlias::Oid));

/// Which of PostgreSQL's OID types: they differ only in how they read and print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OidAlias {
    Oid,
    RegClass,
    RegType,
    RegProc,
    RegNamespace,
    RegRole,
}

impl OidAlias {
    /// The alias's type name and OID.
    fn describe(self) -> (&'static str, u32) {
        match self {
            OidAlias::Oid => ("oid", 26),
            OidAlias::RegProc => ("regproc", 24),
            OidAlias::RegClass => ("regclass", 2205),
            OidAlias::RegType => ("regtype", 2206),
            OidAlias::RegNamespace => ("regnamespace", 4089),
            OidAlias::RegRole => ("regrole", 4096),
        }
    }

    /// The alias called `name`, the way type names are written in SQL.
    pub fn from_name(name: &str) -> Option<OidAlias> {
        OidAlias::ALL.into_iter().find(|a| a.describe().0 == name)
    }

    const ALL: [OidAlias; 6] = [
        OidAlias::Oid,
        OidAlias::RegProc,
        OidAlias::RegClass,
        OidAlias::RegType,
        OidAlias::RegNamespace,
        OidAlias::RegRole,
    ];
}

/// PostgreSQL's array type OIDs for the element types Turnstile makes arrays of.
const ARRAY_TYPES: &[(DataType, u32)] = &[
    (DataType::Bool, 1000),
    (DataType::Bytea, 1001),
    (DataType::InternalChar, 1002),
    (DataType::Name, 1003),
    (DataType::Int2, 1005),
    (DataType::Int4, 1007),
    (DataType::Text, 1009),
    (DataType::Bpchar(None), 1014),
    (DataType::Varchar(None), 1015),
    (DataType::Int8, 1016),
    (DataType::Float4, 1021),
    (DataType::Float8, 1022),
    (DataType::Oid(OidAlias::Oid), 1028),
    (DataType::Timestamp, 1115),
    (DataType::Date, 1182),
    (DataType::Timestamptz, 1185),
    (DataType::Numeric(None), 1231),
    (DataType::Uuid, 2951),
    (DataType::Jsonb, 3807),
    (DataType::Json, 199),
    (DataType::Interval, 1187),
];

impl DataType {
    /// False for json and arrays of it, which PostgreSQL can neither compare
    /// nor order: no equality, no btree operator class.
    pub fn has_order(self) -> bool {
        match self {
            DataType::Json | DataType::Void => false,
            DataType::Array(element) => element.has_order(),
            _ => true,
        }
    }

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
            DataType::Json => 114,
            DataType::Interval => 1186,
            DataType::Unknown => 705,
            DataType::Void => 2278,
            DataType::Oid(alias) => alias.describe().1,
            DataType::Name => 19,
            DataType::InternalChar => 18,
            DataType::Array(element) => ARRAY_TYPES
                .iter()
                .find(|(t, _)| t == element)
                .map_or(2277, |(_, oid)| *oid),
            DataType::Vector(DataType::Int2) => 22,
            DataType::Vector(_) => 30,
        }
    }

    /// The array type whose elements are `self`, if Turnstile has it (modifiers are
    /// dropped: an array of `varchar(10)` is `varchar[]`).
    pub fn array_of(self) -> Option<DataType> {
        let element = match self.without_typmod() {
            DataType::Oid(_) => DataType::Oid(OidAlias::Oid),
            other => other,
        };
        ARRAY_TYPES
            .iter()
            .find(|(t, _)| *t == element)
            .map(|(t, _)| DataType::Array(t))
    }

    /// PostgreSQL's internal name (`pg_type.typname`): `int4` for integer; None for
    /// `unknown` and arrays, which have no name of their own here.
    pub fn internal_name(self) -> Option<&'static str> {
        Some(match self {
            DataType::Bool => "bool",
            DataType::Int2 => "int2",
            DataType::Int4 => "int4",
            DataType::Int8 => "int8",
            DataType::Float4 => "float4",
            DataType::Float8 => "float8",
            DataType::Numeric(_) => "numeric",
            DataType::Text => "text",
            DataType::Varchar(_) => "varchar",
            DataType::Bpchar(_) => "bpchar",
            DataType::Bytea => "bytea",
            DataType::Timestamp => "timestamp",
            DataType::Timestamptz => "timestamptz",
            DataType::Date => "date",
            DataType::Uuid => "uuid",
            DataType::Jsonb => "jsonb",
            DataType::Json => "json",
            DataType::Interval => "interval",
            DataType::Oid(alias) => alias.describe().0,
            DataType::Name => "name",
            DataType::InternalChar => "char",
            DataType::Vector(DataType::Int2) => "int2vector",
            DataType::Vector(_) => "oidvector",
            DataType::Void => "void",
            DataType::Unknown | DataType::Array(_) => return None,
        })
    }

    /// Every type with a `pg_type` row: the scalars, then the arrays of them.
    pub fn builtin() -> impl Iterator<Item = DataType> {
        const SCALARS: &[DataType] = &[
            DataType::Bool,
            DataType::Bytea,
            DataType::InternalChar,
            DataType::Name,
            DataType::Int8,
            DataType::Int2,
            DataType::Int4,
            DataType::Text,
            DataType::Float4,
            DataType::Float8,
            DataType::Bpchar(None),
            DataType::Varchar(None),
            DataType::Date,
            DataType::Timestamp,
            DataType::Timestamptz,
            DataType::Numeric(None),
            DataType::Uuid,
            DataType::Jsonb,
            DataType::Json,
            DataType::Interval,
            DataType::Unknown,
            DataType::Void,
        ];
        SCALARS
            .iter()
            .copied()
            .chain(OidAlias::ALL.into_iter().map(DataType::Oid))
            .chain([INT2_VECTOR, OID_VECTOR])
            .chain(ARRAY_TYPES.iter().map(|(t, _)| DataType::Array(t)))
    }

    /// True for the types of the system catalogs that user tables cannot have
    /// (and arrays of them).
    pub fn is_catalog_only(self) -> bool {
        match self {
            DataType::Oid(_)
            | DataType::Name
            | DataType::InternalChar
            | DataType::Vector(_)
            | DataType::Void => true,
            DataType::Array(element) => element.is_catalog_only(),
            _ => false,
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
            114 => DataType::Json,
            1186 => DataType::Interval,
            705 => DataType::Unknown,
            2278 => DataType::Void,
            26 => DataType::Oid(OidAlias::Oid),
            19 => DataType::Name,
            18 => DataType::InternalChar,
            22 => INT2_VECTOR,
            30 => OID_VECTOR,
            other => {
                return OidAlias::ALL
                    .into_iter()
                    .find(|a| a.describe().1 == other)
                    .map(DataType::Oid)
                    .or_else(|| {
                        ARRAY_TYPES
                            .iter()
                            .find(|(_, oid)| *oid == other)
                            .map(|(t, _)| DataType::Array(t))
                    })
            }
        })
    }

    /// `pg_type.typlen`: the fixed size in bytes, or -1 for variable length.
    pub fn type_size(self) -> i16 {
        match self {
            DataType::Bool => 1,
            DataType::Int2 => 2,
            DataType::Int4 | DataType::Float4 | DataType::Date | DataType::Void => 4,
            DataType::Int8 | DataType::Float8 | DataType::Timestamp | DataType::Timestamptz => 8,
            DataType::Uuid | DataType::Interval => 16,
            DataType::Unknown => -2,
            DataType::Oid(_) => 4,
            DataType::Name => 64,
            DataType::InternalChar => 1,
            DataType::Array(_) | DataType::Vector(_) => -1,
            DataType::Numeric(_)
            | DataType::Text
            | DataType::Varchar(_)
            | DataType::Bpchar(_)
            | DataType::Bytea
            | DataType::Jsonb
            | DataType::Json => -1,
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

    /// An OID alias other than `oid` itself (`regclass`, `regtype`, …): its values
    /// are OIDs that print as the names of what they refer to.
    pub fn is_oid_alias(self) -> bool {
        matches!(self, DataType::Oid(alias) if alias != OidAlias::Oid)
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
            DataType::Text
                | DataType::Varchar(_)
                | DataType::Bpchar(_)
                | DataType::Unknown
                | DataType::Name
                | DataType::InternalChar
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
            DataType::Json => f.write_str("json"),
            DataType::Interval => f.write_str("interval"),
            DataType::Unknown => f.write_str("unknown"),
            DataType::Void => f.write_str("void"),
            DataType::Oid(alias) => f.write_str(alias.describe().0),
            DataType::Name => f.write_str("name"),
            DataType::InternalChar => f.write_str("\"char\""),
            DataType::Array(element) => write!(f, "{element}[]"),
            DataType::Vector(_) => f.write_str(self.internal_name().unwrap_or_default()),
        }
    }
}
