//! Identifiers and object names, as PostgreSQL folds them.

use sqlparser::ast::{Ident, ObjectName, ObjectNamePart};

use crate::sql::SqlError;

/// An identifier's name: unquoted ones fold to lower case, quoted ones stay as written.
pub fn ident(ident: &Ident) -> String {
    match ident.quote_style {
        Some(_) => ident.value.clone(),
        None => ident.value.to_lowercase(),
    }
}

/// The parts of an object name, folded.
pub fn parts(name: &ObjectName) -> Result<Vec<String>, SqlError> {
    name.0
        .iter()
        .map(|part| match part {
            ObjectNamePart::Identifier(i) => Ok(ident(i)),
            ObjectNamePart::Function(_) => {
                Err(SqlError::Unsupported(format!("object name {name}")))
            }
        })
        .collect()
}

/// A relation name: `name` or `public.name`. Other schemas do not exist yet; the
/// system catalogs are a later issue, so they answer 0A000 rather than 42P01.
pub fn relation(name: &ObjectName) -> Result<String, SqlError> {
    let mut parts = parts(name)?;
    match parts.len() {
        1 => Ok(parts.remove(0)),
        2 if parts[0] == "public" => Ok(parts.remove(1)),
        2 if parts[0] == "pg_catalog" || parts[0] == "information_schema" => {
            Err(SqlError::Unsupported(format!("the system catalog {name}")))
        }
        2 => Err(SqlError::UndefinedSchema(parts[0].clone())),
        _ => Err(SqlError::Unsupported(format!(
            "cross-database reference {name}"
        ))),
    }
}
