//! SQL type names to Turnstile's types.

use sqlparser::ast::{self, CharacterLength, ExactNumberInfo, TimezoneInfo};

use crate::sql::SqlError;
use crate::types::{DataType, NumericTypmod, OidAlias, INT2_VECTOR, OID_VECTOR};

use super::names;

/// The type a column definition or a cast names, or 0A000 for types Turnstile does
/// not have (the message names the type).
pub fn data_type(ty: &ast::DataType) -> Result<DataType, SqlError> {
    use ast::DataType as A;
    Ok(match ty {
        A::Bool | A::Boolean => DataType::Bool,
        A::SmallInt(_) | A::Int2(_) => DataType::Int2,
        A::Int(_) | A::Integer(_) | A::Int4(_) => DataType::Int4,
        A::BigInt(_) | A::Int8(_) => DataType::Int8,
        A::Real | A::Float4 => DataType::Float4,
        A::DoublePrecision | A::Float8 | A::Double(ExactNumberInfo::None) => DataType::Float8,
        // PostgreSQL: float(1..24) is real, float(25..53) and plain float are double.
        A::Float(ExactNumberInfo::Precision(p)) if *p <= 24 => DataType::Float4,
        A::Float(_) => DataType::Float8,
        A::Numeric(info) | A::Decimal(info) | A::Dec(info) => {
            DataType::Numeric(numeric_typmod(info)?)
        }
        A::Text => DataType::Text,
        A::Varchar(len) | A::CharacterVarying(len) | A::CharVarying(len) => {
            DataType::Varchar(varchar_len(len)?)
        }
        // Plain `char` is char(1), as in PostgreSQL.
        A::Char(len) | A::Character(len) => DataType::Bpchar(Some(varchar_len(len)?.unwrap_or(1))),
        A::Bytea => DataType::Bytea,
        // Timestamps are kept in microseconds, which is precision 6 (and what
        // PostgreSQL reduces a larger one to); a smaller one would have to round
        // every value, which Turnstile does not do: refused rather than ignored.
        A::Timestamp(Some(p), _) if *p < 6 => {
            return Err(SqlError::Unsupported(format!(
                "timestamp({p}) (Turnstile keeps timestamps in microseconds: use timestamp \
                 or timestamp(6), and date_trunc to round)"
            )))
        }
        A::Timestamp(_, TimezoneInfo::None | TimezoneInfo::WithoutTimeZone) => DataType::Timestamp,
        A::Timestamp(_, TimezoneInfo::WithTimeZone | TimezoneInfo::Tz) => DataType::Timestamptz,
        A::Date => DataType::Date,
        A::Uuid => DataType::Uuid,
        A::Interval {
            fields: None,
            precision: None,
        } => DataType::Interval,
        A::JSONB => DataType::Jsonb,
        A::JSON => DataType::Json,
        A::Regclass => DataType::Oid(OidAlias::RegClass),
        A::Custom(name, modifiers) if modifiers.is_empty() => custom(name)?,
        A::Array(_) if element_type(ty).is_some() => {
            let element = data_type(element_type(ty).expect("the guard checked it"))?;
            // An array type has no room for its elements' modifier: dropping it
            // would leave `varchar(2)[]` unchecked and `numeric(5,1)[]` unrounded.
            if element != element.without_typmod() {
                return Err(SqlError::Unsupported(format!(
                    "type {ty} (arrays keep no length or precision modifier of their \
                     elements; use {}[])",
                    element.without_typmod()
                )));
            }
            element
                .array_of()
                .ok_or_else(|| SqlError::Unsupported(format!("arrays of type {element}")))?
        }
        other => return Err(SqlError::Unsupported(format!("type {other}"))),
    })
}

/// The type of a column of a user table: [`data_type`] without the catalog types
/// (oid, name, "char" and arrays of them), which tables do not store (0A000).
pub fn column_type(ty: &ast::DataType) -> Result<DataType, SqlError> {
    let t = data_type(ty)?;
    if t.is_catalog_only() {
        return Err(SqlError::Unsupported(format!(
            "columns of type {t} (it is used by the system catalogs only); use bigint, text or a table"
        )));
    }
    Ok(t)
}

/// The element type an array type is written with: `text[]`, or the
/// standard's `text ARRAY` (TypeORM writes it).
fn element_type(ty: &ast::DataType) -> Option<&ast::DataType> {
    match ty {
        ast::DataType::Array(
            ast::ArrayElemTypeDef::SquareBracket(element, _)
            | ast::ArrayElemTypeDef::AngleBracket(element)
            | ast::ArrayElemTypeDef::Qualified(element, _),
        ) => Some(element),
        _ => None,
    }
}

fn varchar_len(len: &Option<CharacterLength>) -> Result<Option<u32>, SqlError> {
    match len {
        None | Some(CharacterLength::Max) => Ok(None),
        Some(CharacterLength::IntegerLength { length, .. }) => match u32::try_from(*length) {
            Ok(n) if (1..=10_485_760).contains(&n) => Ok(Some(n)),
            _ => Err(SqlError::InvalidParameterValue(
                "length for type varchar must be between 1 and 10485760".into(),
            )),
        },
    }
}

/// `NUMERIC(p)` is `NUMERIC(p, 0)`, as in PostgreSQL; bad modifiers are 22023 or,
/// beyond what our 28-digit storage holds, 0A000 (see `NumericTypmod::new`).
fn numeric_typmod(info: &ExactNumberInfo) -> Result<Option<NumericTypmod>, SqlError> {
    let (precision, scale) = match *info {
        ExactNumberInfo::None => return Ok(None),
        ExactNumberInfo::Precision(p) => (p, 0),
        ExactNumberInfo::PrecisionAndScale(p, s) => (p, s),
    };
    // A precision too large for i64 is out of PostgreSQL's range all the same.
    let precision = i64::try_from(precision).unwrap_or(i64::MAX);
    Ok(Some(NumericTypmod::new(precision, scale)?))
}

/// Type names sqlparser does not know as keywords, and keyword types written
/// quoted or qualified (`"numeric"`, `pg_catalog.timestamp`), which are then their
/// catalog names (`pg_type.typname`), as in PostgreSQL.
fn custom(name: &ast::ObjectName) -> Result<DataType, SqlError> {
    let parts = names::parts(name)?;
    let last = parts.last().map(String::as_str).unwrap_or("");
    Ok(match last {
        "numeric" => DataType::Numeric(None),
        "bytea" => DataType::Bytea,
        "date" => DataType::Date,
        "timestamp" => DataType::Timestamp,
        "uuid" => DataType::Uuid,
        "interval" => DataType::Interval,
        "jsonb" => DataType::Jsonb,
        "json" => DataType::Json,
        "timestamptz" => DataType::Timestamptz,
        "int2" => DataType::Int2,
        "int4" => DataType::Int4,
        "int8" => DataType::Int8,
        "float4" => DataType::Float4,
        "float8" => DataType::Float8,
        "bool" => DataType::Bool,
        "varchar" => DataType::Varchar(None),
        "text" => DataType::Text,
        "bpchar" => DataType::Bpchar(None),
        "name" => DataType::Name,
        // Only the quoted spelling reaches here: unquoted CHAR is character(n).
        "char" => DataType::InternalChar,
        "int2vector" => INT2_VECTOR,
        "oidvector" => OID_VECTOR,
        other if OidAlias::from_name(other).is_some() => {
            DataType::Oid(OidAlias::from_name(other).expect("checked in the guard"))
        }
        _ => {
            return Err(SqlError::UndefinedObject(format!(
                "type \"{last}\" does not exist"
            )))
        }
    })
}

/// 42883 unless values of `ty` can be told equal (DISTINCT, GROUP BY, UNION,
/// an aggregate's DISTINCT, PARTITION BY, IN): json (and json[]) has no
/// equality, as in PostgreSQL.
pub(super) fn require_equality(ty: DataType) -> Result<(), SqlError> {
    if !ty.has_order() {
        return Err(SqlError::UndefinedFunction(format!(
            "could not identify an equality operator for type {ty}"
        )));
    }
    Ok(())
}

/// 42883 unless values of `ty` can be ordered (ORDER BY): json cannot.
pub(super) fn require_ordering(ty: DataType) -> Result<(), SqlError> {
    if !ty.has_order() {
        return Err(SqlError::UndefinedFunction(format!(
            "could not identify an ordering operator for type {ty}"
        )));
    }
    Ok(())
}
