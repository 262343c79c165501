//! `pg_opclass`: the btree operator classes of the types Turnstile has, with
//! PostgreSQL 15's OIDs, and what `CREATE INDEX` may name of them (see
//! `db::OperatorClass`): a column's default class, or a `*_pattern_ops` class
//! of a text column. `pg_index.indclass` and `pg_get_indexdef` show them.

use crate::db::OperatorClass;
use crate::sql::SqlError;
use crate::types::{DataType, Value};

use super::catalog::{self as c, NAME, OID};
use super::registry::{Schema, SystemRelation};
use super::SystemSnapshot;

pub const RELATION: SystemRelation = SystemRelation {
    name: "pg_opclass",
    schema: Schema::PgCatalog,
    columns: &[
        ("oid", OID),
        ("opcmethod", OID),
        ("opcname", NAME),
        ("opcnamespace", OID),
        ("opcowner", OID),
        ("opcfamily", OID),
        ("opcintype", OID),
        ("opcdefault", DataType::Bool),
        ("opckeytype", OID),
    ],
    rows,
};

/// One btree operator class.
struct BtreeClass {
    oid: u32,
    name: &'static str,
    /// The OID of the type it takes (`opcintype`).
    input: u32,
    family: u32,
    /// The default class of its input type.
    default: bool,
    /// What an index column of this class is here; None for a class that
    /// `CREATE INDEX` refuses (0A000).
    class: Option<OperatorClass>,
}

const TEXT: u32 = 25;
const BPCHAR: u32 = 1042;
const ANYARRAY: u32 = 2277;

const fn class(oid: u32, name: &'static str, input: u32, family: u32) -> BtreeClass {
    BtreeClass {
        oid,
        name,
        input,
        family,
        default: true,
        class: Some(OperatorClass::Default),
    }
}

const fn other(
    oid: u32,
    name: &'static str,
    input: u32,
    family: u32,
    class: Option<OperatorClass>,
) -> BtreeClass {
    BtreeClass {
        oid,
        name,
        input,
        family,
        default: false,
        class,
    }
}

/// PostgreSQL 15's btree classes of the types Turnstile has.
const CLASSES: &[BtreeClass] = &[
    class(1978, "int4_ops", 23, 1976),
    class(1979, "int2_ops", 21, 1976),
    class(1981, "oid_ops", 26, 1989),
    class(3122, "date_ops", 1082, 434),
    class(3123, "float8_ops", 701, 1970),
    class(3124, "int8_ops", 20, 1976),
    class(3125, "numeric_ops", 1700, 1988),
    class(3126, "text_ops", TEXT, 1994),
    class(3127, "timestamptz_ops", 1184, 434),
    class(3128, "timestamp_ops", 1114, 434),
    other(
        4217,
        "text_pattern_ops",
        TEXT,
        2095,
        Some(OperatorClass::TextPattern),
    ),
    other(
        4218,
        "varchar_pattern_ops",
        TEXT,
        2095,
        Some(OperatorClass::VarcharPattern),
    ),
    other(
        4219,
        "bpchar_pattern_ops",
        BPCHAR,
        2097,
        Some(OperatorClass::BpcharPattern),
    ),
    class(10000, "array_ops", ANYARRAY, 397),
    class(10003, "bool_ops", 16, 424),
    class(10004, "bpchar_ops", BPCHAR, 426),
    class(10006, "bytea_ops", 17, 428),
    class(10007, "char_ops", 18, 429),
    class(10012, "float4_ops", 700, 1970),
    class(10022, "interval_ops", 1186, 1982),
    class(10028, "name_ops", 19, 1994),
    other(10044, "varchar_ops", TEXT, 1994, None),
    class(10065, "uuid_ops", 2950, 2968),
    class(10088, "jsonb_ops", 3802, 4033),
];

/// The type a column of `ty` offers a class: varchar is read as text (binary
/// coercible, as in PostgreSQL), an array as any array.
fn class_input(ty: DataType) -> u32 {
    match ty {
        DataType::Varchar(_) => TEXT,
        DataType::Array(_) => ANYARRAY,
        other => other.oid(),
    }
}

/// The class `CREATE INDEX` names as `name` for a column of `ty`: 42704 if no
/// btree class has that name, 42804 if it does not take the type (a class of
/// `bpchar` takes text and varchar too, which are binary coercible to it, as in
/// PostgreSQL), 0A000 for a class that is neither the column's default nor a
/// pattern class (`varchar_ops`, `bpchar_ops` of a text column).
pub fn named(name: &str, ty: DataType) -> Result<OperatorClass, SqlError> {
    let found = CLASSES.iter().find(|c| c.name == name).ok_or_else(|| {
        SqlError::UndefinedObject(format!(
            "operator class \"{name}\" does not exist for access method \"btree\""
        ))
    })?;
    accepts(found, ty)?;
    let input = class_input(ty);
    match found.class {
        Some(OperatorClass::Default) if found.input != input => None,
        class => class,
    }
    .ok_or_else(|| {
        SqlError::Unsupported(format!(
            "operator class {name} for a column of type {ty} (its type's default \
             class, text_pattern_ops, varchar_pattern_ops and bpchar_pattern_ops are \
             supported)"
        ))
    })
}

/// 42804 unless `class` takes a column of `ty`: its input type, or text or
/// varchar for a class of `bpchar`, which they are binary coercible to.
fn accepts(class: &BtreeClass, ty: DataType) -> Result<(), SqlError> {
    let input = class_input(ty);
    if class.input == input || (class.input == BPCHAR && input == TEXT) {
        return Ok(());
    }
    Err(SqlError::DatatypeMismatch(format!(
        "operator class \"{}\" does not accept data type {}",
        class.name,
        ty.without_typmod()
    )))
}

/// 42804 unless an index column of `class` may have the type `ty`, as
/// `ALTER COLUMN … TYPE` must check; the default class always may.
pub fn check_class_of(class: OperatorClass, ty: DataType) -> Result<(), SqlError> {
    match CLASSES
        .iter()
        .find(|c| class != OperatorClass::Default && c.class == Some(class))
    {
        Some(named) => accepts(named, ty),
        None => Ok(()),
    }
}

/// The `pg_index.indclass` entry of a column of `ty` with `class`: 0 for a type
/// with no btree class here.
pub fn oid_of(class: OperatorClass, ty: DataType) -> u32 {
    let input = class_input(ty);
    CLASSES
        .iter()
        .find(|c| match class {
            OperatorClass::Default => c.default && c.input == input,
            named => c.class == Some(named),
        })
        .map_or(0, |c| c.oid)
}

/// What `pg_get_indexdef` writes after a column of `class`: nothing for the
/// default, ` varchar_pattern_ops` for another.
pub fn suffix(class: OperatorClass) -> String {
    CLASSES
        .iter()
        .find(|c| class != OperatorClass::Default && c.class == Some(class))
        .map_or_else(String::new, |c| format!(" {}", c.name))
}

fn rows(_: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    CLASSES
        .iter()
        .map(|class| {
            vec![
                c::oid(class.oid),
                c::oid(c::BTREE_AM_OID),
                c::name(class.name),
                c::oid(c::PG_CATALOG_OID),
                c::oid(c::OWNER_OID),
                c::oid(class.family),
                c::oid(class.input),
                c::boolean(class.default),
                c::oid(0),
            ]
        })
        .collect()
}
