//! COPY `FROM STDIN` and `TO STDOUT`: what a COPY statement asks for, and
//! PostgreSQL's text, CSV and binary formats, both ways.
//!
//! # Life of a COPY FROM
//! 1. [`CopyCommand::from_statement`] reads the statement: the table, the column
//!    list, the options (0A000 for what Turnstile does not take: files, programs,
//!    the FORCE_* options).
//! 2. The session looks the table up under the read lock and gets its schema
//!    (`Session::start_copy_in`); with it, a [`CopyDecoder`]. An unknown table or
//!    column is answered now, before the client is asked for data, as PostgreSQL
//!    does.
//! 3. The wire layer sends CopyInResponse and hands every CopyData message to
//!    [`CopyDecoder::feed`], which cuts the bytes into lines, splits and unescapes
//!    the fields and converts each with its column type's input function (in the
//!    binary format: cuts them into tuples and fields and converts each with its
//!    type's binary receive function, `types::binary`) — on the session's task,
//!    with no lock held. The first error is kept (with the line and
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
//! and confirmed reads apply), and [`encode_row`] writes each row in the format,
//! between what [`encode_start`] and [`encode_end`] write.
//!
//! # The binary format
//! PostgreSQL's (its documentation, "Binary Format" under COPY): an 11-byte
//! signature `PGCOPY\n\xff\r\n\0`, an i32 of flags (bit 16 means OIDs follow, which
//! Turnstile refuses as PostgreSQL 12 and later do; bits 17 to 31 are critical,
//! refused when unknown; bits 0 to 15 are ignored), an i32 length of a header
//! extension that is skipped; then each row as an i16 field count and each field
//! as an i32 length (-1 for NULL) and that many bytes of the value's binary
//! encoding; then an i16 -1. All integers are big-endian. A stream may end
//! without the -1, as PostgreSQL accepts; bytes after it are refused.
//!
//! # Limits
//! The data of one COPY FROM is held in memory until it is written, so its size is
//! bounded (`--max-copy-bytes`, 54000 beyond it); so is the row count, by the
//! session's rows-per-statement limit.

use std::ops::Range;
use std::sync::Arc;

use sqlparser::ast::{
    CopyLegacyCsvOption, CopyLegacyOption, CopyOption, CopySource, CopyTarget, Statement,
};

use super::binder::{ident, relation};
use bytes::{BufMut, BytesMut};

use super::{ColumnInfo, SqlError};
use crate::db::{DbError, TableSchema};
use crate::types::binary;
use crate::types::{cast_in, CastKind, DataType, TextStyle, TimeZone, TypeError, Value};

/// Most bytes of a field or line quoted in an error's context, as PostgreSQL's
/// `limit_printout_length`: a bad value in a long line must not flood the log.
const CONTEXT_CHARS_MAX: usize = 100;

/// The first bytes of the binary format: `PGCOPY`, newline, 0xff, CR, LF, NUL.
const BINARY_SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";
/// The binary header's flag bit that says rows carry OIDs (refused).
const BINARY_FLAG_OIDS: u32 = 1 << 16;
/// The binary header's critical flag bits: a reader must refuse those it does not
/// know. Turnstile knows none but the OID bit.
const BINARY_FLAGS_CRITICAL: u32 = 0xffff_0000;
/// The field count that ends binary data.
const BINARY_TRAILER: i16 = -1;

/// The three formats Turnstile reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyFormat {
    /// Tab-separated, `\N` for NULL, backslash escapes.
    Text,
    /// Comma-separated, empty for NULL, double-quoted fields.
    Csv,
    /// PostgreSQL's binary format (see the module doc).
    Binary,
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
                    "binary" => CopyFormat::Binary,
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
                once("format")?;
                format = Some(CopyFormat::Binary);
            }
            other => return Err(SqlError::Unsupported(format!("the COPY option {other}"))),
        }
    }
    let format = format.unwrap_or(CopyFormat::Text);
    if format == CopyFormat::Binary {
        // What the binary format has no use for, refused as PostgreSQL does.
        for (given, name) in [
            (delimiter.is_some(), "DELIMITER"),
            (null.is_some(), "NULL"),
            (header, "HEADER"),
        ] {
            if given {
                return Err(SqlError::Syntax(format!(
                    "cannot specify {name} in BINARY mode"
                )));
            }
        }
    }
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
    /// Received bytes not yet cut into lines (or binary tuples): the start of an
    /// unfinished one.
    pending: Vec<u8>,
    /// Lines consumed so far (PostgreSQL counts a CSV record with quoted newlines
    /// as one line, and a binary tuple, or the binary trailer, as one).
    line: u64,
    /// Binary format: whether the header has been read.
    binary_header_read: bool,
    /// Set by the end-of-data marker (`\.`, or the binary trailer): in text and
    /// CSV the rest is ignored; binary data after its trailer is an error.
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
            binary_header_read: false,
            ended: false,
            rows: Vec::new(),
            error: None,
        })
    }

    /// How many columns each line holds (CopyInResponse announces it).
    pub fn column_count(&self) -> usize {
        self.columns.len()
    }

    /// The format of the data (CopyInResponse announces it).
    pub fn format(&self) -> CopyFormat {
        self.options.format
    }

    /// Takes one CopyData message's bytes: decodes every line (or binary tuple)
    /// they complete.
    pub fn feed(&mut self, data: &[u8]) {
        // After the end marker, text and CSV ignore the rest; binary refuses it
        // (`take_binary`).
        if self.error.is_some() || (self.ended && self.options.format != CopyFormat::Binary) {
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
        if self.options.format == CopyFormat::Binary {
            let used = self.take_binary(&pending);
            self.pending = pending;
            self.pending.drain(..used);
            return;
        }
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
        if self.options.format == CopyFormat::Binary {
            if self.error.is_none() && !self.ended {
                self.error = self.binary_end_error();
            }
        } else if self.error.is_none() && !self.ended && !self.pending.is_empty() {
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
            CopyFormat::Binary => unreachable!("binary data is cut into tuples, not lines"),
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
        self.check_row_limit()?;
        let fields = match self.options.format {
            CopyFormat::Text => split_text(line, &self.options),
            CopyFormat::Csv => split_csv(line, &self.options),
            CopyFormat::Binary => unreachable!("binary data is cut into tuples, not lines"),
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
                None => self
                    .null_for(position)
                    .map_err(|e| self.line_error(e, line))?,
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

    /// 54000 once the rows reach the session's rows-per-statement limit.
    fn check_row_limit(&self) -> Result<(), SqlError> {
        if self.rows.len() >= self.rows_max {
            return Err(SqlError::ProgramLimitExceeded(format!(
                "COPY of more than {} rows; the limit is {} rows per statement",
                self.rows_max, self.rows_max
            )));
        }
        Ok(())
    }

    /// NULL for the column at table position `position`; 23502 if it is NOT NULL.
    fn null_for(&self, position: usize) -> Result<Value, SqlError> {
        let column = &self.schema.columns[position];
        if !column.nullable {
            return Err(DbError::NotNullViolation {
                table: self.table.clone(),
                column: column.name.clone(),
            }
            .into());
        }
        Ok(Value::Null)
    }

    /// Binary format: reads the header and every whole tuple at the start of
    /// `data`; returns how many bytes it used (the rest waits for more data). The
    /// first error is kept in `self.error`.
    fn take_binary(&mut self, data: &[u8]) -> usize {
        let mut used = 0;
        while self.error.is_none() {
            let rest = &data[used..];
            if self.ended {
                if !rest.is_empty() {
                    self.error = Some(self.after_trailer_error());
                }
                break;
            }
            let step = if self.binary_header_read {
                self.take_tuple(rest)
            } else {
                self.take_binary_header(rest)
            };
            match step {
                Ok(Some(n)) => used += n,
                Ok(None) => break,
                Err(e) => self.error = Some(e),
            }
        }
        used
    }

    /// Reads the binary header at the start of `data`: its length, or None if it
    /// is not whole yet.
    fn take_binary_header(&mut self, data: &[u8]) -> Result<Option<usize>, SqlError> {
        let len = binary_header_len(data, false)?;
        self.binary_header_read = len.is_some();
        Ok(len)
    }

    /// Reads one tuple (or the trailer) at the start of `data` into a row: how
    /// many bytes it took, or None if the tuple is not whole yet.
    fn take_tuple(&mut self, data: &[u8]) -> Result<Option<usize>, SqlError> {
        let (fields, len) = match cut_tuple(data, self.columns.len()) {
            Ok(Tuple::Whole { fields, len }) => (fields, len),
            Ok(Tuple::Trailer) => {
                self.line += 1;
                self.ended = true;
                return Ok(Some(2));
            }
            Ok(Tuple::Partial { .. }) => return Ok(None),
            Err(e) => return Err(self.tuple_error(self.line + 1, e)),
        };
        self.line += 1;
        self.check_row_limit()?;
        let mut row = Vec::with_capacity(fields.len());
        for (i, field) in fields.into_iter().enumerate() {
            let position = self.columns[i];
            let value = match field {
                None => self.null_for(position).map_err(TupleError::Row),
                Some(range) => {
                    let ty = self.schema.columns[position].data_type;
                    binary_field_value(&data[range], ty, &self.time_zone)
                        .map_err(|e| TupleError::Column(i, e.into()))
                }
            };
            row.push(value.map_err(|e| self.tuple_error(self.line, e))?);
        }
        self.rows.push(row);
        Ok(Some(len))
    }

    /// Binary format, at CopyDone before the trailer: what is wrong with the
    /// bytes left over, if anything (a stream may end after a whole tuple).
    fn binary_end_error(&self) -> Option<SqlError> {
        if !self.binary_header_read {
            return binary_header_len(&self.pending, true).err();
        }
        if self.pending.is_empty() {
            return None;
        }
        let eof = SqlError::BadCopyData("unexpected EOF in COPY data".into());
        let error = match cut_tuple(&self.pending, self.columns.len()) {
            Ok(Tuple::Partial { column: Some(i) }) => TupleError::Column(i, eof),
            // Whole tuples and errors were taken when their bytes came.
            _ => TupleError::Row(eof),
        };
        Some(self.tuple_error(self.line + 1, error))
    }

    /// 22P04 for binary data after the trailer (whose line it names).
    fn after_trailer_error(&self) -> SqlError {
        let error = SqlError::BadCopyData("received copy data after EOF marker".into());
        self.tuple_error(self.line, TupleError::Row(error))
    }

    /// A binary tuple's error with PostgreSQL's context: `COPY t, line n` for the
    /// row, `COPY t, line n, column c` for one of its fields.
    fn tuple_error(&self, line: u64, error: TupleError) -> SqlError {
        let (context, error) = match error {
            TupleError::Row(e) => (format!("COPY {}, line {line}", self.table), e),
            TupleError::Column(i, e) => {
                let name = &self.schema.columns[self.columns[i]].name;
                (
                    format!("COPY {}, line {line}, column {name}", self.table),
                    e,
                )
            }
        };
        SqlError::Copy {
            context,
            error: Box::new(error),
        }
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

/// What [`cut_tuple`] found at the start of binary data.
enum Tuple {
    /// A whole tuple, `len` bytes: each field's bytes (None for NULL), in data order.
    Whole {
        fields: Vec<Option<Range<usize>>>,
        len: usize,
    },
    /// The trailer (a field count of -1), two bytes.
    Trailer,
    /// Not whole yet: more bytes are needed to read the field at data position
    /// `column` (None: to read the field count).
    Partial { column: Option<usize> },
}

/// A binary tuple's error, for the context it gets: the row's, or the field's at
/// data position `.0`.
enum TupleError {
    Row(SqlError),
    Column(usize, SqlError),
}

/// Cuts the binary tuple at the start of `data`, whose rows have `columns` fields:
/// 22P04 for another field count or a length under -1, as soon as the bytes that
/// say so are there.
fn cut_tuple(data: &[u8], columns: usize) -> Result<Tuple, TupleError> {
    let Some(count) = data.first_chunk::<2>().map(|b| i16::from_be_bytes(*b)) else {
        return Ok(Tuple::Partial { column: None });
    };
    if count == BINARY_TRAILER {
        return Ok(Tuple::Trailer);
    }
    if usize::try_from(count) != Ok(columns) {
        return Err(TupleError::Row(SqlError::BadCopyData(format!(
            "row field count is {count}, expected {columns}"
        ))));
    }
    let mut fields = Vec::with_capacity(columns);
    let mut at = 2;
    for column in 0..columns {
        let Some(len) = data[at..]
            .first_chunk::<4>()
            .map(|b| i32::from_be_bytes(*b))
        else {
            return Ok(Tuple::Partial {
                column: Some(column),
            });
        };
        at += 4;
        if len == -1 {
            fields.push(None);
            continue;
        }
        let len = usize::try_from(len).map_err(|_| {
            TupleError::Column(column, SqlError::BadCopyData("invalid field size".into()))
        })?;
        if data.len() - at < len {
            return Ok(Tuple::Partial {
                column: Some(column),
            });
        }
        fields.push(Some(at..at + len));
        at += len;
    }
    Ok(Tuple::Whole { fields, len: at })
}

/// The length of the binary format's header at the start of `data`, once it is
/// whole (None before, unless `at_end`); 22P04 with PostgreSQL's messages for a
/// header that is not one, as soon as the bytes that show it are there.
fn binary_header_len(data: &[u8], at_end: bool) -> Result<Option<usize>, SqlError> {
    let bad = |what: &str| Err(SqlError::BadCopyData(what.into()));
    let signature = BINARY_SIGNATURE.len();
    let Some(head) = data.get(..signature) else {
        if at_end || !BINARY_SIGNATURE.starts_with(data) {
            return bad("COPY file signature not recognized");
        }
        return Ok(None);
    };
    if head != BINARY_SIGNATURE {
        return bad("COPY file signature not recognized");
    }
    let word = |at: usize| {
        data.get(at..at + 4)
            .map(|b| u32::from_be_bytes(b.try_into().expect("four bytes")))
    };
    let Some(flags) = word(signature) else {
        return if at_end {
            bad("invalid COPY file header (missing flags)")
        } else {
            Ok(None)
        };
    };
    if flags & BINARY_FLAG_OIDS != 0 {
        return bad("invalid COPY file header (WITH OIDS)");
    }
    if flags & BINARY_FLAGS_CRITICAL != 0 {
        return bad("unrecognized critical flags in COPY file header");
    }
    let Some(extension) = word(signature + 4) else {
        return if at_end {
            bad("invalid COPY file header (missing length)")
        } else {
            Ok(None)
        };
    };
    let Ok(extension) = usize::try_from(extension as i32) else {
        return bad("invalid COPY file header (missing length)");
    };
    let len = signature + 8 + extension;
    if data.len() < len {
        return if at_end {
            bad("invalid COPY file header (wrong length)")
        } else {
            Ok(None)
        };
    }
    Ok(Some(len))
}

/// A binary field as a value of its column's type: the type's binary receive
/// function, and for the string types the assignment rules of text input (22001
/// when too long), as PostgreSQL applies the column's modifier.
fn binary_field_value(bytes: &[u8], ty: DataType, tz: &TimeZone) -> Result<Value, TypeError> {
    if ty.is_text() {
        let text = binary::utf8(bytes)?.to_owned();
        cast_in(Value::Text(text), ty, CastKind::Assignment, tz)
    } else {
        binary::receive(ty, bytes)
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
fn utf8(bytes: &[u8]) -> Result<String, SqlError> {
    Ok(binary::utf8(bytes)?.to_owned())
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
        return utf8(raw);
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
    utf8(&out)
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
            Some(utf8(&value)?)
        });
        if i >= line.len() {
            return Ok(fields);
        }
        i += 1;
    }
}

/// What a COPY TO sends before its rows: the binary format's header, or with
/// HEADER the column names as a line of text.
pub fn encode_start(columns: &[ColumnInfo], o: &CopyOptions, out: &mut BytesMut) {
    if o.format == CopyFormat::Binary {
        out.extend_from_slice(BINARY_SIGNATURE);
        out.put_u32(0); // flags
        out.put_u32(0); // header extension length
        return;
    }
    if !o.header {
        return;
    }
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            out.put_u8(o.delimiter);
        }
        encode_field(&column.name, o, columns.len() == 1, out);
    }
    out.put_u8(b'\n');
}

/// One row of a COPY TO appended to `out`. Text and CSV: NULL as the NULL string,
/// every other value in its type's text output in the session's `style` (a bare
/// time zone means the default float output), escaped or quoted, then a newline.
/// Binary: the field count, then each value's length (-1 for NULL) and binary
/// encoding.
pub fn encode_row<'a>(
    row: &[Value],
    columns: &[ColumnInfo],
    o: &CopyOptions,
    style: impl Into<TextStyle<'a>>,
    out: &mut BytesMut,
) -> Result<(), TypeError> {
    if o.format == CopyFormat::Binary {
        let count = i16::try_from(row.len())
            .map_err(|_| TypeError::Internal("a COPY row of more than 32767 columns".into()))?;
        out.put_i16(count);
        for (value, column) in row.iter().zip(columns) {
            if value.is_null() {
                out.put_i32(-1);
                continue;
            }
            let start = out.len();
            out.put_i32(0);
            binary::send(value, column.data_type, out)?;
            let len = i32::try_from(out.len() - start - 4)
                .map_err(|_| TypeError::Internal("a COPY field of more than 2 GiB".into()))?;
            out[start..start + 4].copy_from_slice(&len.to_be_bytes());
        }
        return Ok(());
    }
    let style = style.into();
    let mut text = String::new();
    for (i, (value, column)) in row.iter().zip(columns).enumerate() {
        if i > 0 {
            out.put_u8(o.delimiter);
        }
        if value.is_null() {
            out.extend_from_slice(o.null.as_bytes());
            continue;
        }
        text.clear();
        column.data_type.write_output(value, &mut text, style);
        encode_field(&text, o, row.len() == 1, out);
    }
    out.put_u8(b'\n');
    Ok(())
}

/// What a COPY TO sends after its rows: the binary format's trailer.
pub fn encode_end(o: &CopyOptions, out: &mut BytesMut) {
    if o.format == CopyFormat::Binary {
        out.put_i16(BINARY_TRAILER);
    }
}

/// One non-NULL field: text format escapes backslashes, control characters and the
/// delimiter; CSV quotes a field that holds the delimiter, the quote, a line break,
/// equals the NULL string, or (alone on its line) is `\.`.
fn encode_field(text: &str, o: &CopyOptions, alone: bool, out: &mut BytesMut) {
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
                        out.put_u8(b);
                        continue;
                    }
                };
                out.put_u8(b'\\');
                out.put_u8(escaped);
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
            out.put_u8(o.quote);
            for &b in bytes {
                if b == o.quote || b == o.escape {
                    out.put_u8(o.escape);
                }
                out.put_u8(b);
            }
            out.put_u8(o.quote);
        }
        CopyFormat::Binary => unreachable!("binary values are not written as text fields"),
    }
}

#[cfg(test)]
mod tests;
