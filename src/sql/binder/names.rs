//! Identifiers and object names, as PostgreSQL folds them.

use sqlparser::ast::{Ident, ObjectName, ObjectNamePart};

use crate::sql::SqlError;

/// An identifier's name: unquoted ones fold to lower case, quoted ones stay as written.
pub fn ident(ident: &Ident) -> String {
    let mut name = match ident.quote_style {
        Some(_) => ident.value.clone(),
        // PostgreSQL folds only ASCII letters in a UTF-8 database: `Ä` stays `Ä`.
        None => ident.value.to_ascii_lowercase(),
    };
    // And keeps the first NAMEDATALEN - 1 bytes of a longer name, whole characters.
    if name.len() > MAX_IDENTIFIER_BYTES {
        let mut end = MAX_IDENTIFIER_BYTES;
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        name.truncate(end);
    }
    name
}

/// PostgreSQL's NAMEDATALEN - 1: identifiers are cut to this many bytes.
const MAX_IDENTIFIER_BYTES: usize = 63;

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

/// The schemas there are: user objects live in `public`; `pg_catalog` and
/// `information_schema` hold the system relations (see `sql::system`).
const SYSTEM_SCHEMAS: [&str; 2] = ["pg_catalog", "information_schema"];

/// A name to look a relation up by: its schema if one was written, and the name.
/// An unknown schema is 3F000.
pub fn qualified(name: &ObjectName) -> Result<(Option<String>, String), SqlError> {
    let mut parts = parts(name)?;
    match parts.len() {
        1 => Ok((None, parts.remove(0))),
        2 if parts[0] == "public" || SYSTEM_SCHEMAS.contains(&parts[0].as_str()) => {
            let name = parts.remove(1);
            Ok((Some(parts.remove(0)), name))
        }
        2 => Err(SqlError::UndefinedSchema(parts[0].clone())),
        _ => Err(SqlError::Unsupported(format!(
            "cross-database reference {name}"
        ))),
    }
}

/// A user relation's name: `name` or `public.name`. The system schemas hold only
/// the system relations, which cannot be created, altered or written (0A000).
pub fn relation(name: &ObjectName) -> Result<String, SqlError> {
    match qualified(name)? {
        (Some(schema), _) if schema != "public" => Err(SqlError::Unsupported(format!(
            "objects in schema {schema} other than its system relations, or changing them"
        ))),
        (_, name) => Ok(name),
    }
}

/// `<name1>_<name2>_<label>` (or `<name1>_<label>`) in at most 63 bytes,
/// cutting the longer of the two names a character at a time (PostgreSQL's
/// `makeObjectName`).
pub fn object_name(name1: &str, name2: Option<&str>, label: &str) -> String {
    const MAX_BYTES: usize = 63;
    let separators = if name2.is_some() { 2 } else { 1 };
    let room = MAX_BYTES.saturating_sub(label.len() + separators);
    let (mut a, mut b) = (name1, name2.unwrap_or_default());
    fn cut(s: &str) -> &str {
        let mut end = s.len() - 1;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        &s[..end]
    }
    while a.len() + b.len() > room {
        if a.len() > b.len() {
            a = cut(a);
        } else {
            b = cut(b);
        }
    }
    match name2 {
        Some(_) => format!("{a}_{b}_{label}"),
        None => format!("{a}_{label}"),
    }
}
