//! Building backend messages from the SQL layer's values: row descriptions, data
//! rows, command tags, errors and notices. Free of tokio, like `codec`.

use bytes::{BufMut, Bytes, BytesMut};
use pgwire::error::ErrorInfo;
use pgwire::messages::data::{DataRow, FieldDescription, ParameterDescription, RowDescription};
use pgwire::messages::response::{CommandComplete, ErrorResponse, NoticeResponse};
use pgwire::messages::Message;

use super::codec::{self, Format};
use super::WireError;
use crate::sql::{ColumnInfo, CommandTag, Notice, SqlError};
use crate::types::{DataType, TextStyle, Value};
use crate::Error;

pub const SEVERITY_ERROR: &str = "ERROR";
pub const SEVERITY_FATAL: &str = "FATAL";

/// Most columns a result may have: PostgreSQL's limit on a target list
/// (MaxTupleAttributeNumber). The protocol's column count is an Int16, so without
/// this check a wider row would be sent with a wrapped count and corrupt the stream.
pub const COLUMNS_MAX: usize = 1664;

/// 54011 if a result has more columns than [`COLUMNS_MAX`].
fn check_columns(count: usize) -> Result<(), WireError> {
    if count > COLUMNS_MAX {
        return Err(WireError::TooManyColumns(COLUMNS_MAX));
    }
    Ok(())
}

/// A RowDescription: source table and column, type OID, size, modifier and format
/// for each column.
pub fn row_description(
    columns: &[ColumnInfo],
    formats: &[Format],
) -> Result<RowDescription, WireError> {
    check_columns(columns.len())?;
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
    Ok(RowDescription::new(fields))
}

/// A RowDescription encoded as it goes on the wire (type byte, length, body), for
/// a prepared statement to keep: libpq describes the portal at every execution, and
/// building and encoding the message each time cost ~700 instructions a statement.
pub fn encoded_row_description(
    columns: &[ColumnInfo],
    formats: &[Format],
) -> Result<Bytes, WireError> {
    let message = row_description(columns, formats)?;
    let mut buf = BytesMut::with_capacity(1 + message.message_length());
    message
        .encode(&mut buf)
        .map_err(|e| WireError::Internal(format!("encoding a RowDescription: {e}")))?;
    Ok(buf.freeze())
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
    style: TextStyle<'_>,
) -> Result<DataRow, Error> {
    if row.len() != columns.len() {
        return Err(WireError::Internal(format!(
            "a row of {} values for {} columns",
            row.len(),
            columns.len()
        ))
        .into());
    }
    check_columns(row.len())?;
    // Sized once: growing the buffer (a ten-digit bigint outgrew a guess of 12
    // bytes a column) cost more than encoding the row.
    let mut data = BytesMut::with_capacity(row.iter().map(encoded_size_estimate).sum());
    for ((value, column), format) in row.iter().zip(columns).zip(formats) {
        if value.is_null() {
            data.put_i32(-1);
            continue;
        }
        let at = data.len();
        data.put_i32(0);
        codec::encode(value, column.data_type, *format, style, &mut data)?;
        let len = (data.len() - at - 4) as i32;
        data[at..at + 4].copy_from_slice(&len.to_be_bytes());
    }
    // check_columns keeps the count within an i16.
    Ok(DataRow::new(data, row.len() as i16))
}

/// Room for a value in a DataRow: its length word and its text (or binary) form,
/// exact for text and enough for any number, date or time.
fn encoded_size_estimate(value: &Value) -> usize {
    4 + match value {
        Value::Text(s) | Value::Jsonb(s) | Value::Json(s) => s.len(),
        // Hex text: `\x` and two digits a byte.
        Value::Bytea(b) => 2 + 2 * b.len(),
        _ => 32,
    }
}

/// A CommandComplete tag as PostgreSQL prints it: `INSERT 0 n`, `SELECT n`,
/// `CREATE TABLE`. `rows` overrides the tag's count (a SELECT fetched in parts
/// reports the rows of the last Execute, as PostgreSQL does).
pub fn command_complete(tag: &CommandTag, rows: Option<usize>) -> CommandComplete {
    // Pushed piece by piece rather than with format!, which went through fmt::write
    // and cost ~650 instructions per statement (callgrind, pgbench `SELECT 1`).
    let mut text = String::with_capacity(tag.command.len() + 24);
    text.push_str(tag.command);
    if let Some(n) = rows.or(tag.rows) {
        if tag.command == "INSERT" {
            text.push_str(" 0");
        }
        text.push(' ');
        text.push_str(itoa::Buffer::new().format(n));
    }
    CommandComplete::new(text)
}

/// An ErrorResponse with the error's SQLSTATE, message, detail and hint, and for
/// an error in COPY data the CONTEXT line naming where (`COPY t, line 3, column b:
/// "x"`), as PostgreSQL sends it.
pub fn error_response(err: &Error, severity: &str) -> ErrorResponse {
    error_response_with_literals(err, severity, &[])
}

/// [`error_response`] for an error of a statement that ran as a template of the
/// client's text (see `sql::template`): its parameters `$1`, `$2`, … in the
/// message are shown as the literals they stand for, so that a message quoting
/// the statement (`expression … is not supported`) quotes what the client wrote.
/// A templated text holds no `$` of its own, so every `$n` the message quotes
/// from the statement is one of these.
pub fn error_response_with_literals(
    err: &Error,
    severity: &str,
    literals: &[Value],
) -> ErrorResponse {
    let mut info = match err {
        Error::Sql(SqlError::Copy { context, error }) => {
            let mut info = error_info(&Error::Sql((**error).clone()), severity);
            info.where_context = Some(context.clone());
            info
        }
        _ => error_info(err, severity),
    };
    if !literals.is_empty() {
        info.message = with_literals(&info.message, literals);
    }
    info.into()
}

/// `text` with each `$n` (1 ≤ n ≤ the number of literals) replaced by the n-th
/// literal's text.
fn with_literals(text: &str, literals: &[Value]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        match after[..digits].parse::<usize>() {
            Ok(n) if (1..=literals.len()).contains(&n) => out.push_str(&literals[n - 1].to_text()),
            _ => out.push_str(&rest[dollar..dollar + 1 + digits]),
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

/// The schema every table is in.
const PUBLIC_SCHEMA: &str = "public";

fn error_info(err: &Error, severity: &str) -> ErrorInfo {
    let mut info = ErrorInfo::new(
        severity.to_owned(),
        err.sqlstate().to_owned(),
        err.to_string(),
    );
    info.detail = err.detail().map(str::to_owned);
    info.hint = err.hint();
    info.severity_nonlocalized = Some(severity.to_owned());
    let object = err.object();
    if let Some(table) = object.table {
        info.schema = Some(PUBLIC_SCHEMA.to_owned());
        info.table = Some(table.to_owned());
    }
    info.column = object.column.map(str::to_owned);
    info.constraint = object.constraint.map(str::to_owned);
    info
}

/// A NoticeResponse: the notice's severity, SQLSTATE and message.
pub fn notice_response(notice: &Notice) -> NoticeResponse {
    let severity = notice.severity().as_str().to_owned();
    let mut info = ErrorInfo::new(
        severity.clone(),
        notice.sqlstate().to_owned(),
        notice.to_string(),
    );
    info.severity_nonlocalized = Some(severity);
    info.detail = notice.detail();
    info.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::TimeZone;

    /// `$n` becomes the n-th literal; other dollars, and numbers beyond the
    /// literals, stay as they are.
    #[test]
    fn parameters_in_a_message_show_their_literals() {
        let literals = [Value::Int4(5), Value::Int8(-2), Value::Int4(7)];
        assert_eq!(
            with_literals("expression CEIL($1, $2) is not supported", &literals),
            "expression CEIL(5, -2) is not supported"
        );
        assert_eq!(
            with_literals("$3$1 costs $ or $12 or $0", &literals),
            "75 costs $ or $12 or $0"
        );
    }

    /// A result wider than PostgreSQL's 1664 columns is refused with 54011 before
    /// anything is encoded: 70,000 columns used to be sent with the count cast to
    /// an i16 (4464), which corrupts the stream.
    #[test]
    fn too_many_columns_are_refused() {
        let columns = vec![ColumnInfo::computed("a", DataType::Int4); 70_000];
        let formats = vec![Format::Text; columns.len()];
        let row = vec![Value::Int4(1); columns.len()];
        let utc = TextStyle::from(&TimeZone::Utc);
        let err = row_description(&columns, &formats).unwrap_err();
        assert_eq!(err, WireError::TooManyColumns(COLUMNS_MAX));
        assert_eq!(Error::from(err).sqlstate(), "54011");
        let err = data_row(&row, &columns, &formats, utc).unwrap_err();
        assert!(matches!(
            err,
            Error::Wire(WireError::TooManyColumns(COLUMNS_MAX))
        ));
        let n = COLUMNS_MAX;
        assert!(row_description(&columns[..n], &formats[..n]).is_ok());
        assert!(data_row(&row[..n], &columns[..n], &formats[..n], utc).is_ok());
    }

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
            TextStyle::from(&TimeZone::Utc),
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
