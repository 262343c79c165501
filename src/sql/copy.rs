//! COPY `FROM STDIN` and `TO STDOUT`: what a COPY statement asks for, and
//! PostgreSQL's text and CSV formats, both ways.
//!
//! # Life of a COPY FROM
//! 1. [`CopyCommand::from_statement`] reads the statement: the table, the column
//!    list, the options (0A000 for what Turnstile does not take: files, programs,
//!    the binary format, the FORCE_* options).
//! 2. The session looks the table up under the read lock and gets its schema
//!    (`Session::start_copy_in`); with it, a [`CopyDecoder`]. An unknown table or
//!    column is answered now, before the client is asked for data, as PostgreSQL
//!    does.
//! 3. The wire layer sends CopyInResponse and hands every CopyData message to
//!    [`CopyDecoder::feed`], which cuts the bytes into lines, splits and unescapes
//!    the fields and converts each with its column type's input function — on the
//!    session's task, with no lock held. The first error is kept (with the line and
//!    column it came from) and everything after it is read and dropped, so the
//!    connection stays in step with the client.
//! 4. At CopyDone, [`CopyDecoder::finish`] yields a [`CopyIn`]: the table, the
//!    schema the rows were decoded against, the columns and the rows. The engine
//!    writes it as ONE write transaction (`exec::copy::write`): one turn of the
//!    write lock, one WAL record, all rows or none.
//!
//! # COPY TO
//! `COPY t (a, b) TO STDOUT` is the query `SELECT a, b FROM t`, and `COPY (q) TO
//! STDOUT` is `q`: the session runs it like any statement (so transaction blocks
//! and confirmed reads apply), and [`encode_row`] writes each row in the format.
//!
//! # Limits
//! The data of one COPY FROM is held in memory until it is written, so its size is
//! bounded (`--max-copy-bytes`, 54000 beyond it); so is the row count, by the
//! session's rows-per-statement limit.

use std::sync::Arc;

use sqlparser::ast::{
    CopyLegacyCsvOption, CopyLegacyOption, CopyOption, CopySource, CopyTarget, Statement,
};

use super::binder::{ident, relation};
use super::{ColumnInfo, SqlError};
use crate::db::{DbError, TableSchema};
use crate::types::{cast_in, CastKind, DataType, TextStyle, TimeZone, TypeError, Value};

/// Most bytes of a field or line quoted in an error's context, as PostgreSQL's
/// `limit_printout_length`: a bad value in a long line must not flood the log.
const CONTEXT_CHARS_MAX: usize = 100;

/// The two formats Turnstile reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyFormat {
    /// Tab-separated, `\N` for NULL, backslash escapes.
    Text,
    /// Comma-separated, empty for NULL, double-quoted fields.
    Csv,
}

/// The options of a COPY statement, defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct CopyOptions {
    pub format: CopyFormat,
    /// The byte between fields (one ASCII character).
    pub delimiter: u8,
    /// The text that stands for NULL.
    pub null: String,
    /// Whether the first line holds column names (skipped on input, written on output).
    pub header: bool,
    /// CSV: the quote character.
    pub quote: u8,
    /// CSV: the character that escapes a quote inside a quoted field.
    pub escape: u8,
}

/// What a COPY statement asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum CopyCommand {
    /// `COPY t [(columns)] FROM STDIN`: rows from the client into `table`.
    From {
        table: String,
        /// The listed columns, in data order; empty for all of them.
        columns: Vec<String>,
        options: CopyOptions,
    },
    /// `COPY … TO STDOUT`: the rows of `query` to the client.
    To {
        query: Box<Statement>,
        options: CopyOptions,
    },
}

/// True for a COPY statement (which the wire layer runs with its sub-protocol).
pub fn is_copy(stmt: &Statement) -> bool {
    matches!(stmt, Statement::Copy { .. })
}

impl CopyCommand {
    /// Reads a COPY statement. 0A000 for files and programs (use STDIN/STDOUT, e.g.
    /// psql's `\copy`), 22023 and 0A000 for options PostgreSQL refuses too.
    pub fn from_statement(stmt: &Statement) -> Result<CopyCommand, SqlError> {
        let Statement::Copy {
            source,
            to,
            target,
            options,
            legacy_options,
            payload,
        } = stmt
        else {
            panic!("CopyCommand::from_statement called with a statement that is not COPY");
        };
        if !matches!(target, CopyTarget::Stdin | CopyTarget::Stdout) {
            return Err(SqlError::Unsupported(
                "COPY to or from a file or program (use STDIN or STDOUT, e.g. psql's \\copy)"
                    .into(),
            ));
        }
        if payload.is_some() {
            return Err(SqlError::Unsupported(
                "COPY data inside the query text (send it as COPY data, as psql does)".into(),
            ));
        }
        let options = copy_options(options, legacy_options)?;
        match (source, *to) {
            (
                CopySource::Table {
                    table_name,
                    columns,
                },
                false,
            ) => Ok(CopyCommand::From {
                table: relation(table_name)?,
                columns: columns.iter().map(ident).collect(),
                options,
            }),
            (
                CopySource::Table {
                    table_name,
                    columns,
                },
                true,
            ) => {
                // The SELECT below would repeat a column named twice; PostgreSQL
                // refuses the list, as COPY FROM does.
                let mut seen = Vec::with_capacity(columns.len());
                for column in columns {
                    let name = super::ident(column);
                    if seen.contains(&name) {
                        return Err(SqlError::DuplicateColumn(name));
                    }
                    seen.push(name);
                }
                let list = if columns.is_empty() {
                    "*".to_owned()
                } else {
                    columns
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let mut statements = super::parse(&format!("SELECT {list} FROM {table_name}"))?;
                let query = statements.pop().expect("a SELECT parses to one statement");
                Ok(CopyCommand::To {
                    query: Box::new(query),
                    options,
                })
            }
            (CopySource::Query(query), true) => Ok(CopyCommand::To {
                query: Box::new(Statement::Query(query.clone())),
                options,
            }),
            (CopySource::Query(_), false) => Err(SqlError::Syntax(
                "COPY FROM takes a table, not a query".into(),
            )),
        }
    }
}

/// The options of a statement, with PostgreSQL's defaults and checks
/// (`ProcessCopyOptions`). The pre-9.0 syntax (`WITH CSV HEADER`) is read too.
fn copy_options(
    options: &[CopyOption],
    legacy: &[CopyLegacyOption],
) -> Result<CopyOptions, SqlError> {
    let mut seen: Vec<&'static str> = Vec::new();
    let mut once = |name: &'static str| {
        if seen.contains(&name) {
            return Err(SqlError::Syntax("conflicting or redundant options".into()));
        }
        seen.push(name);
        Ok(())
    };
    let mut format = None;
    let (mut delimiter, mut null, mut header, mut quote, mut escape) =
        (None, None, false, None, None);
    for option in options {
        match option {
            CopyOption::Format(name) => {
                once("format")?;
                format = Some(match name.value.to_ascii_lowercase().as_str() {
                    "text" => CopyFormat::Text,
                    "csv" => CopyFormat::Csv,
                    "binary" => {
                        return Err(SqlError::Unsupported(
                            "COPY in the binary format (use text or csv)".into(),
                        ))
                    }
                    other => {
                        return Err(SqlError::InvalidParameterValue(format!(
                            "COPY format \"{other}\" not recognized"
                        )))
                    }
                });
            }
            // Rows are visible when the COPY commits whatever this says: nothing to do.
            CopyOption::Freeze(_) => once("freeze")?,
            CopyOption::Delimiter(c) => {
                once("delimiter")?;
                delimiter = Some(one_byte(*c, "delimiter")?);
            }
            CopyOption::Null(s) => {
                once("null")?;
                null = Some(s.clone());
            }
            CopyOption::Header(h) => {
                once("header")?;
                header = *h;
            }
            CopyOption::Quote(c) => {
                once("quote")?;
                quote = Some(one_byte(*c, "quote")?);
            }
            CopyOption::Escape(c) => {
                once("escape")?;
                escape = Some(one_byte(*c, "escape")?);
            }
            CopyOption::Encoding(e) => {
                once("encoding")?;
                let e = e.to_ascii_lowercase().replace(['-', '_'], "");
                if e != "utf8" && e != "unicode" {
                    return Err(SqlError::Unsupported(
                        "COPY encodings other than UTF8".into(),
                    ));
                }
            }
            CopyOption::ForceQuote(_) | CopyOption::ForceNotNull(_) | CopyOption::ForceNull(_) => {
                return Err(SqlError::Unsupported(format!("the COPY option {option}")))
            }
        }
    }
    for option in legacy {
        match option {
            CopyLegacyOption::Csv(csv) => {
                once("format")?;
                format = Some(CopyFormat::Csv);
                for c in csv {
                    match c {
                        CopyLegacyCsvOption::Header => header = true,
                        CopyLegacyCsvOption::Quote(q) => quote = Some(one_byte(*q, "quote")?),
                        CopyLegacyCsvOption::Escape(e) => escape = Some(one_byte(*e, "escape")?),
                        other => {
                            return Err(SqlError::Unsupported(format!("the COPY option {other}")))
                        }
                    }
                }
            }
            CopyLegacyOption::Delimiter(c) => {
                once("delimiter")?;
                delimiter = Some(one_byte(*c, "delimiter")?);
            }
            CopyLegacyOption::Null(s) => {
                once("null")?;
                null = Some(s.clone());
            }
            CopyLegacyOption::Header => header = true,
            CopyLegacyOption::Binary => {
                return Err(SqlError::Unsupported(
                    "COPY in the binary format (use text or csv)".into(),
                ))
            }
            other => return Err(SqlError::Unsupported(format!("the COPY option {other}"))),
        }
    }
    let format = format.unwrap_or(CopyFormat::Text);
    let csv = format == CopyFormat::Csv;
    if !csv && quote.is_some() {
        return Err(SqlError::Unsupported(
            "COPY's QUOTE option outside the CSV format".into(),
        ));
    }
    if !csv && escape.is_some() {
        return Err(SqlError::Unsupported(
            "COPY's ESCAPE option outside the CSV format".into(),
        ));
    }
    let options = CopyOptions {
        format,
        delimiter: delimiter.unwrap_or(if csv { b',' } else { b'\t' }),
        null: null.unwrap_or_else(|| if csv { String::new() } else { "\\N".into() }),
        header,
        quote: quote.unwrap_or(b'"'),
        escape: escape.or(quote).unwrap_or(b'"'),
    };
    check_options(&options)?;
    Ok(options)
}

/// The checks of PostgreSQL's `ProcessCopyOptions` that concern the options together.
fn check_options(o: &CopyOptions) -> Result<(), SqlError> {
    let invalid = |m: &str| Err(SqlError::InvalidParameterValue(m.into()));
    if matches!(o.delimiter, b'\n' | b'\r') {
        return invalid("COPY delimiter cannot be newline or carriage return");
    }
    if o.null.contains(['\n', '\r']) {
        return invalid("COPY null representation cannot use newline or carriage return");
    }
    if o.format == CopyFormat::Text
        && (o.delimiter == b'\\' || o.delimiter.is_ascii_alphanumeric() || o.delimiter == b'.')
    {
        return invalid(&format!(
            "COPY delimiter cannot be \"{}\"",
            char::from(o.delimiter)
        ));
    }
    if o.null.as_bytes().contains(&o.delimiter) {
        return Err(SqlError::Unsupported(
            "a COPY delimiter that appears in the NULL string".into(),
        ));
    }
    if o.format == CopyFormat::Csv {
        if o.delimiter == o.quote {
            return Err(SqlError::Unsupported(
                "the same character as COPY delimiter and quote".into(),
            ));
        }
        if o.null.as_bytes().contains(&o.quote) {
            return Err(SqlError::Unsupported(
                "a COPY quote character that appears in the NULL string".into(),
            ));
        }
    }
    Ok(())
}

/// 0A000 unless `c` is a single one-byte character, as PostgreSQL requires.
fn one_byte(c: char, what: &str) -> Result<u8, SqlError> {
    u8::try_from(c).ok().filter(u8::is_ascii).ok_or_else(|| {
        SqlError::Unsupported(format!(
            "a COPY {what} other than a single one-byte character"
        ))
    })
}

/// The rows of one COPY FROM, decoded and checked, ready to be written in one
/// transaction. Self-contained: it names its table and holds the schema it was
/// decoded against, so it can be written later (at a block's COMMIT) as well as now.
#[derive(Debug, Clone)]
pub struct CopyIn {
    /// The target table's name, for lookups and messages.
    pub table: String,
    /// The schema the rows were decoded against; the write refuses to go on if the
    /// table is no longer exactly this (it was dropped or altered in between).
    pub schema: Arc<TableSchema>,
    /// The table position of each value in a row, in data order.
    pub columns: Vec<usize>,
    /// The rows, each value already of its column's type.
    pub rows: Vec<Vec<Value>>,
    /// The line of the data the first row came from (2 after a header line), so
    /// that an error found at write time names the right line.
    pub first_line: u64,
}

impl CopyIn {
    /// `COPY t, line n`: where an error in the `i`th row came from.
    pub fn context(&self, i: usize) -> String {
        format!("COPY {}, line {}", self.table, self.first_line + i as u64)
    }
}

/// Turns the bytes of CopyData messages into checked rows (see the module doc).
#[derive(Debug)]
pub struct CopyDecoder {
    table: String,
    schema: Arc<TableSchema>,
    /// Table positions of the data's columns, in data order.
    columns: Vec<usize>,
    options: CopyOptions,
    /// The session's time zone, for timestamptz input without an offset.
    time_zone: TimeZone,
    /// Bytes a COPY may send in all ([`CopyDecoder::feed`] fails beyond it).
    bytes_max: usize,
    /// Rows a COPY may load (the session's rows-per-statement limit).
    rows_max: usize,
    /// Bytes received so far.
    bytes: usize,
    /// Received bytes not yet cut into lines: the start of an unfinished line.
    pending: Vec<u8>,
    /// Lines consumed so far (PostgreSQL counts a CSV record with quoted newlines
    /// as one line).
    line: u64,
    /// Set by the end-of-data marker `\.`: the rest is ignored.
    ended: bool,
    rows: Vec<Vec<Value>>,
    /// The first error; once set, data is read and dropped.
    error: Option<SqlError>,
}

impl CopyDecoder {
    /// A decoder for `COPY table (columns) FROM STDIN` with `options`, checking the
    /// columns against `schema` (42703 for an unknown one, 42701 for a repeat).
    pub fn new(
        table: String,
        schema: Arc<TableSchema>,
        column_names: &[String],
        options: CopyOptions,
        time_zone: TimeZone,
        bytes_max: usize,
        rows_max: usize,
    ) -> Result<CopyDecoder, SqlError> {
        let mut columns = Vec::with_capacity(column_names.len());
        for name in column_names {
            let position = schema.column_index(name).ok_or_else(|| {
                SqlError::UndefinedColumnMessage(format!(
                    "column \"{name}\" of relation \"{table}\" does not exist"
                ))
            })?;
            if columns.contains(&position) {
                return Err(SqlError::DuplicateColumn(name.clone()));
            }
            columns.push(position);
        }
        if columns.is_empty() {
            columns = (0..schema.columns.len()).collect();
        }
        Ok(CopyDecoder {
            table,
            schema,
            columns,
            options,
            time_zone,
            bytes_max,
            rows_max,
            bytes: 0,
            pending: Vec::new(),
            line: 0,
            ended: false,
            rows: Vec::new(),
            error: None,
        })
    }

    /// How many columns each line holds (CopyInResponse announces it).
    pub fn column_count(&self) -> usize {
        self.columns.len()
    }

    /// Takes one CopyData message's bytes: decodes every line they complete.
    pub fn feed(&mut self, data: &[u8]) {
        if self.error.is_some() || self.ended {
            return;
        }
        self.bytes += data.len();
        if self.bytes > self.bytes_max {
            self.error = Some(SqlError::ProgramLimitExceeded(format!(
                "COPY data of more than {} bytes; the limit is {} bytes (--max-copy-bytes): \
                 load the data in parts",
                self.bytes_max, self.bytes_max
            )));
            return;
        }
        self.pending.extend_from_slice(data);
        let pending = std::mem::take(&mut self.pending);
        let mut start = 0;
        while let Some(end) = self.line_end(&pending[start..]) {
            let line = &pending[start..start + end];
            start += end + 1;
            if let Err(e) = self.take_line(line.strip_suffix(b"\r").unwrap_or(line)) {
                self.error = Some(e);
            }
            if self.error.is_some() || self.ended {
                return;
            }
        }
        self.pending = pending;
        self.pending.drain(..start);
    }

    /// The rows, once the client has sent CopyDone; or the first error. A last
    /// line without a newline counts, as in PostgreSQL.
    pub fn finish(mut self) -> Result<CopyIn, SqlError> {
        if self.error.is_none() && !self.ended && !self.pending.is_empty() {
            let last = std::mem::take(&mut self.pending);
            if let Err(e) = self.take_line(last.strip_suffix(b"\r").unwrap_or(&last)) {
                self.error = Some(e);
            }
        }
        if let Some(e) = self.error {
            return Err(e);
        }
        Ok(CopyIn {
            table: self.table,
            schema: self.schema,
            columns: self.columns,
            rows: self.rows,
            first_line: if self.options.header { 2 } else { 1 },
        })
    }

    /// Where the first line in `data` ends (the position of its newline), if it is
    /// complete: a backslash escapes the next byte in text, and in CSV a newline
    /// inside quotes belongs to the field.
    fn line_end(&self, data: &[u8]) -> Option<usize> {
        let o = &self.options;
        match o.format {
            CopyFormat::Text => {
                let mut i = 0;
                while i < data.len() {
                    match data[i] {
                        b'\\' => i += 2,
                        b'\n' => return Some(i),
                        _ => i += 1,
                    }
                }
                None
            }
            CopyFormat::Csv => {
                let mut quoted = false;
                let mut i = 0;
                while i < data.len() {
                    let b = data[i];
                    if quoted && b == o.escape && o.escape != o.quote {
                        i += 2;
                        continue;
                    }
                    if b == o.quote {
                        quoted = !quoted;
                    } else if b == b'\n' && !quoted {
                        return Some(i);
                    }
                    i += 1;
                }
                None
            }
        }
    }

    /// Decodes one line (without its line ending) into a row.
    fn take_line(&mut self, line: &[u8]) -> Result<(), SqlError> {
        self.line += 1;
        if line == b"\\." {
            self.ended = true;
            return Ok(());
        }
        if self.options.header && self.line == 1 {
            return Ok(());
        }
        if self.rows.len() >= self.rows_max {
            return Err(SqlError::ProgramLimitExceeded(format!(
                "COPY of more than {} rows; the limit is {} rows per statement",
                self.rows_max, self.rows_max
            )));
        }
        let fields = match self.options.format {
            CopyFormat::Text => split_text(line, &self.options),
            CopyFormat::Csv => split_csv(line, &self.options),
        }
        .map_err(|e| self.line_error(e, line))?;
        if fields.len() < self.columns.len() {
            let missing = &self.schema.columns[self.columns[fields.len()]].name;
            return Err(self.line_error(
                SqlError::BadCopyData(format!("missing data for column \"{missing}\"")),
                line,
            ));
        }
        if fields.len() > self.columns.len() {
            return Err(self.line_error(
                SqlError::BadCopyData("extra data after last expected column".into()),
                line,
            ));
        }
        let mut row = Vec::with_capacity(fields.len());
        for (field, &position) in fields.into_iter().zip(&self.columns) {
            let column = &self.schema.columns[position];
            let value = match field {
                None if !column.nullable => {
                    let e = DbError::NotNullViolation {
                        table: self.table.clone(),
                        column: column.name.clone(),
                    };
                    return Err(self.line_error(e.into(), line));
                }
                None => Value::Null,
                Some(text) => {
                    field_value(&text, column.data_type, &self.time_zone).map_err(|e| {
                        SqlError::Copy {
                            context: format!(
                                "COPY {}, line {}, column {}: \"{}\"",
                                self.table,
                                self.line,
                                column.name,
                                shorten(&text)
                            ),
                            error: Box::new(e.into()),
                        }
                    })?
                }
            };
            row.push(value);
        }
        self.rows.push(row);
        Ok(())
    }

    /// `error` with the context `COPY t, line n: "<line>"`.
    fn line_error(&self, error: SqlError, line: &[u8]) -> SqlError {
        SqlError::Copy {
            context: format!(
                "COPY {}, line {}: \"{}\"",
                self.table,
                self.line,
                shorten(&String::from_utf8_lossy(line))
            ),
            error: Box::new(error),
        }
    }
}

/// `text` cut to [`CONTEXT_CHARS_MAX`] characters, with `...` if it was longer.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(CONTEXT_CHARS_MAX) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}

/// A field's text as a value of its column's type: the type's input function, and
/// for the string types the assignment rules (22001 when too long).
fn field_value(text: &str, ty: DataType, tz: &TimeZone) -> Result<Value, TypeError> {
    if ty.is_text() {
        cast_in(Value::Text(text.to_owned()), ty, CastKind::Assignment, tz)
    } else {
        ty.parse_text_in(text, tz)
    }
}

/// `bytes` as a string: UTF-8 without NUL, as every text value must be (22021).
fn utf8(bytes: Vec<u8>) -> Result<String, SqlError> {
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bad: Vec<String> = e.as_bytes()[at..]
            .iter()
            .take(1)
            .map(|b| format!("0x{b:02x}"))
            .collect();
        SqlError::InvalidByteSequence(bad.join(" "))
    })?;
    if text.contains('\0') {
        return Err(SqlError::InvalidByteSequence("0x00".into()));
    }
    Ok(text)
}

/// The fields of a text-format line: None for the NULL marker (compared before
/// unescaping, as PostgreSQL does), else the unescaped text.
fn split_text(line: &[u8], o: &CopyOptions) -> Result<Vec<Option<String>>, SqlError> {
    let mut fields = Vec::new();
    let mut start = 0;
    let mut i = 0;
    loop {
        if i >= line.len() || line[i] == o.delimiter {
            let raw = &line[start..i.min(line.len())];
            fields.push(if raw == o.null.as_bytes() {
                None
            } else {
                Some(unescape_text(raw)?)
            });
            if i >= line.len() {
                return Ok(fields);
            }
            start = i + 1;
            i += 1;
        } else if line[i] == b'\\' {
            i += 2;
        } else {
            i += 1;
        }
    }
}

/// PostgreSQL's text-format escapes: `\b \f \n \r \t \v`, `\\`, octal `\123`, hex
/// `\x7f`; a backslash before any other character stands for that character.
fn unescape_text(raw: &[u8]) -> Result<String, SqlError> {
    if !raw.contains(&b'\\') {
        return utf8(raw.to_vec());
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        i += 1;
        if b != b'\\' || i == raw.len() {
            out.push(b);
            continue;
        }
        let c = raw[i];
        i += 1;
        match c {
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(0x0b),
            b'0'..=b'7' => {
                let mut value = u32::from(c - b'0');
                for _ in 0..2 {
                    match raw.get(i) {
                        Some(d @ b'0'..=b'7') => {
                            value = value * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                out.push((value & 0xff) as u8);
            }
            b'x' if raw.get(i).is_some_and(u8::is_ascii_hexdigit) => {
                let mut value = 0u32;
                for _ in 0..2 {
                    match raw.get(i).and_then(|d| char::from(*d).to_digit(16)) {
                        Some(d) => {
                            value = value * 16 + d;
                            i += 1;
                        }
                        None => break,
                    }
                }
                out.push(value as u8);
            }
            other => out.push(other),
        }
    }
    utf8(out)
}

/// The fields of a CSV line: None for an unquoted field equal to the NULL string;
/// quotes removed and escaped quotes unescaped. An unterminated quote is 22P04.
fn split_csv(line: &[u8], o: &CopyOptions) -> Result<Vec<Option<String>>, SqlError> {
    let mut fields = Vec::new();
    let mut i = 0;
    loop {
        let mut value = Vec::new();
        let mut was_quoted = false;
        loop {
            if i >= line.len() || line[i] == o.delimiter {
                break;
            }
            if line[i] != o.quote {
                value.push(line[i]);
                i += 1;
                continue;
            }
            was_quoted = true;
            i += 1;
            loop {
                let Some(&b) = line.get(i) else {
                    return Err(SqlError::BadCopyData(
                        "unterminated CSV quoted field".into(),
                    ));
                };
                if b == o.escape
                    && line
                        .get(i + 1)
                        .is_some_and(|n| *n == o.quote || *n == o.escape)
                {
                    value.push(line[i + 1]);
                    i += 2;
                } else if b == o.quote {
                    i += 1;
                    break;
                } else {
                    value.push(b);
                    i += 1;
                }
            }
        }
        fields.push(if !was_quoted && value == o.null.as_bytes() {
            None
        } else {
            Some(utf8(value)?)
        });
        if i >= line.len() {
            return Ok(fields);
        }
        i += 1;
    }
}

/// The header line of a COPY TO: the column names, as a row of text.
pub fn encode_header(columns: &[ColumnInfo], o: &CopyOptions, out: &mut Vec<u8>) {
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            out.push(o.delimiter);
        }
        encode_field(&column.name, o, columns.len() == 1, out);
    }
    out.push(b'\n');
}

/// One row of a COPY TO, with its newline, appended to `out`: NULL as the NULL
/// string, every other value in its type's text output in the session's `style`
/// (a bare time zone means the default float output), escaped or quoted.
pub fn encode_row<'a>(
    row: &[Value],
    columns: &[ColumnInfo],
    o: &CopyOptions,
    style: impl Into<TextStyle<'a>>,
    out: &mut Vec<u8>,
) {
    let style = style.into();
    let mut text = String::new();
    for (i, (value, column)) in row.iter().zip(columns).enumerate() {
        if i > 0 {
            out.push(o.delimiter);
        }
        if value.is_null() {
            out.extend_from_slice(o.null.as_bytes());
            continue;
        }
        text.clear();
        column.data_type.write_output(value, &mut text, style);
        encode_field(&text, o, row.len() == 1, out);
    }
    out.push(b'\n');
}

/// One non-NULL field: text format escapes backslashes, control characters and the
/// delimiter; CSV quotes a field that holds the delimiter, the quote, a line break,
/// equals the NULL string, or (alone on its line) is `\.`.
fn encode_field(text: &str, o: &CopyOptions, alone: bool, out: &mut Vec<u8>) {
    match o.format {
        CopyFormat::Text => {
            for &b in text.as_bytes() {
                let escaped = match b {
                    b'\\' => b'\\',
                    b'\n' => b'n',
                    b'\r' => b'r',
                    b'\t' => b't',
                    0x08 => b'b',
                    0x0c => b'f',
                    0x0b => b'v',
                    b if b == o.delimiter => b,
                    _ => {
                        out.push(b);
                        continue;
                    }
                };
                out.push(b'\\');
                out.push(escaped);
            }
        }
        CopyFormat::Csv => {
            let bytes = text.as_bytes();
            let quote = text == o.null
                || (alone && text == "\\.")
                || bytes
                    .iter()
                    .any(|&b| b == o.delimiter || b == o.quote || b == b'\n' || b == b'\r');
            if !quote {
                out.extend_from_slice(bytes);
                return;
            }
            out.push(o.quote);
            for &b in bytes {
                if b == o.quote || b == o.escape {
                    out.push(o.escape);
                }
                out.push(b);
            }
            out.push(o.quote);
        }
    }
}

#[cfg(test)]
mod tests;
