//! Building backend messages from the SQL layer's values: row descriptions, data
//! rows, command tags, errors. Free of tokio, like `codec`.

use bytes::{BufMut, BytesMut};
use pgwire::error::ErrorInfo;
use pgwire::messages::data::{DataRow, FieldDescription, ParameterDescription, RowDescription};
use pgwire::messages::response::{CommandComplete, ErrorResponse};

use super::codec::{self, Format};
use super::WireError;
use crate::sql::{ColumnInfo, CommandTag};
use crate::types::{DataType, TimeZone, Value};
use crate::Error;

pub const SEVERITY_ERROR: &str = "ERROR";
pub const SEVERITY_FATAL: &str = "FATAL";

/// A RowDescription: source table and column, type OID, size, modifier and format
/// for each column.
pub fn row_description(columns: &[ColumnInfo], formats: &[Format]) -> RowDescription {
    let fields = columns
        .iter()
        .zip(formats)
        .map(|(c, f)| {
            let ty = codec::wire_type(c.data_type);
            FieldDescription::new(
                c.name.clone(),
                c.table_oid as i32,
                c.column_number,
                ty.oid(),
                ty.type_size(),
                ty.type_modifier(),
                f.code(),
            )
        })
        .collect();
    RowDescription::new(fields)
}

/// The ParameterDescription of a statement; a type still unknown is sent as text,
/// so the client sends its value as text and the engine reads it.
pub fn parameter_description(params: &[DataType]) -> ParameterDescription {
    ParameterDescription::new(params.iter().map(|t| codec::wire_type(*t).oid()).collect())
}

/// One DataRow: per column a length word (-1 for NULL) and the encoded value.
pub fn data_row(
    row: &[Value],
    columns: &[ColumnInfo],
    formats: &[Format],
    tz: &TimeZone,
) -> Result<DataRow, WireError> {
    if row.len() != columns.len() {
        return Err(WireError::Internal(format!(
            "a row of {} values for {} columns",
            row.len(),
            columns.len()
        )));
    }
    let mut data = BytesMut::with_capacity(row.len() * 12);
    for ((value, column), format) in row.iter().zip(columns).zip(formats) {
        if value.is_null() {
            data.put_i32(-1);
            continue;
        }
        let at = data.len();
        data.put_i32(0);
        codec::encode(value, column.data_type, *format, tz, &mut data)?;
        let len = (data.len() - at - 4) as i32;
        data[at..at + 4].copy_from_slice(&len.to_be_bytes());
    }
    Ok(DataRow::new(data, row.len() as i16))
}

/// A CommandComplete tag as PostgreSQL prints it: `INSERT 0 n`, `SELECT n`,
/// `CREATE TABLE`. `rows` overrides the tag's count (a SELECT fetched in parts
/// reports the rows of the last Execute, as PostgreSQL does).
pub fn command_complete(tag: &CommandTag, rows: Option<usize>) -> CommandComplete {
    let text = match (tag.command, rows.or(tag.rows)) {
        ("INSERT", Some(n)) => format!("INSERT 0 {n}"),
        (command, Some(n)) => format!("{command} {n}"),
        (command, None) => command.to_owned(),
    };
    CommandComplete::new(text)
}

/// An ErrorResponse with the error's SQLSTATE, message and detail.
pub fn error_response(err: &Error, severity: &str) -> ErrorResponse {
    let mut info = ErrorInfo::new(
        severity.to_owned(),
        err.sqlstate().to_owned(),
        err.to_string(),
    );
    info.detail = err.detail().map(str::to_owned);
    info.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// NULL is a -1 length; values are length-prefixed in their column's format.
    #[test]
    fn data_row_layout() {
        let columns = vec![
            ColumnInfo::computed("a", DataType::Int4),
            ColumnInfo::computed("b", DataType::Text),
        ];
        let row = data_row(
            &[Value::Int4(1), Value::Null],
            &columns,
            &[Format::Binary, Format::Text],
            &TimeZone::Utc,
        )
        .unwrap();
        assert_eq!(row.field_count, 2);
        assert_eq!(
            &row.data[..],
            &[0, 0, 0, 4, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff]
        );
    }

    /// Tags follow PostgreSQL, including INSERT's legacy OID field.
    #[test]
    fn tags() {
        assert_eq!(
            command_complete(&CommandTag::with_rows("INSERT", 2), None).tag,
            "INSERT 0 2"
        );
        assert_eq!(
            command_complete(&CommandTag::with_rows("SELECT", 9), Some(3)).tag,
            "SELECT 3"
        );
        assert_eq!(
            command_complete(&CommandTag::new("CREATE TABLE"), None).tag,
            "CREATE TABLE"
        );
    }
}
