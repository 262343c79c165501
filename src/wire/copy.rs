//! The COPY sub-protocol, in the simple and the extended query protocol alike.
//!
//! - `COPY … TO STDOUT`: the session runs the equivalent query like any statement;
//!   then CopyOutResponse, one CopyData per row (and one for the header line), and
//!   CopyDone. The caller sends CommandComplete `COPY n`.
//! - `COPY … FROM STDIN`: the session checks the target first (an unknown table
//!   is an ErrorResponse and no copy mode at all); then CopyInResponse, flushed,
//!   and every CopyData is fed to the decoder until CopyDone. Flush and Sync are
//!   ignored meanwhile, as PostgreSQL does for clients that send them without
//!   noticing the command was a COPY. CopyFail ends it with 57014. An error in the
//!   data does not end copy mode early: the rest of the stream is read and
//!   dropped, then the error is answered, so the connection stays in step.
//!
//! See `sql::copy` for the formats and for how the rows reach the table.

use std::io;

use bytes::BytesMut;
use futures::SinkExt;
use pgwire::messages::copy::{CopyData, CopyDone, CopyInResponse, CopyOutResponse};
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};

use super::connection::{io, next_message, Connection, Fault};
use super::WireError;
use crate::sql::copy::{
    encode_end, encode_row, encode_start, CopyCommand, CopyDecoder, CopyFormat, CopyOptions,
};
use crate::sql::{CommandTag, Output, PreparedStatement};
use crate::types::TextStyle;

impl Connection {
    /// Runs the COPY statement `prepared` with its sub-protocol; returns the tag of
    /// its CommandComplete (which the caller sends). An error fails the block.
    pub(super) async fn run_copy(
        &mut self,
        prepared: &PreparedStatement,
    ) -> Result<CommandTag, Fault> {
        let result = match CopyCommand::from_statement(prepared.statement()) {
            Ok(CopyCommand::To { query, options }) => self.copy_out(query, &options).await,
            Ok(CopyCommand::From {
                table,
                columns,
                options,
            }) => self.copy_in(&table, &columns, options).await,
            Err(e) => Err(e.into()),
        };
        if result.is_err() {
            self.session.fail_block();
        }
        result
    }

    /// COPY TO STDOUT: the query's rows as CopyData.
    async fn copy_out(
        &mut self,
        query: Box<sqlparser::ast::Statement>,
        options: &CopyOptions,
    ) -> Result<CommandTag, Fault> {
        let query = PreparedStatement::new(*query, Vec::new());
        let output = self.run_statement(&query, &[], None).await?;
        let Output::Rows {
            columns,
            rows,
            mut tag,
        } = output
        else {
            return Err(WireError::Internal("COPY's query returned no rows".into()).into());
        };
        self.feed_notices(std::mem::take(&mut tag.notices)).await?;
        let count = i16::try_from(columns.len())
            .map_err(|_| WireError::TooManyColumns(super::messages::COLUMNS_MAX))?;
        let format = format_code(options.format);
        let response = CopyOutResponse::new(format, count, vec![format.into(); columns.len()]);
        self.feed(PgWireBackendMessage::CopyOutResponse(response))
            .await?;
        // What comes before the rows goes out with the first of them, and the end
        // in a message of its own, as PostgreSQL sends them: tokio-postgres's
        // binary reader takes the header from the message of the first row.
        let mut line = BytesMut::new();
        encode_start(&columns, options, &mut line);
        // Copied out of the settings: `feed_copy_data` borrows the connection.
        let settings = self.session.settings();
        let time_zone = settings.time_zone().clone();
        let style = TextStyle {
            time_zone: &time_zone,
            extra_float_digits: settings.text_style().extra_float_digits,
        };
        for row in &rows {
            encode_row(row, &columns, options, style, &mut line)?;
            self.feed_copy_data(&mut line).await?;
        }
        encode_end(options, &mut line);
        self.feed_copy_data(&mut line).await?;
        self.feed(PgWireBackendMessage::CopyDone(CopyDone::new()))
            .await?;
        Ok(CommandTag::with_rows("COPY", rows.len()))
    }

    /// COPY FROM STDIN: reads the client's data to its end, then writes the rows.
    async fn copy_in(
        &mut self,
        table: &str,
        columns: &[String],
        options: CopyOptions,
    ) -> Result<CommandTag, Fault> {
        let bytes_max = self.ctx.limits.copy_bytes_max;
        let mut decoder = self
            .session
            .start_copy_in(table, columns, options, bytes_max)
            .await?;
        let count = decoder.column_count();
        let width = i16::try_from(count)
            .map_err(|_| WireError::TooManyColumns(super::messages::COLUMNS_MAX))?;
        let format = format_code(decoder.format());
        let response = CopyInResponse::new(format, width, vec![format.into(); count]);
        self.feed(PgWireBackendMessage::CopyInResponse(response))
            .await?;
        self.socket.flush().await.map_err(io)?;
        self.receive_copy_data(&mut decoder).await?;
        let copy = decoder.finish()?;
        match self.session.copy_in(copy).await? {
            Output::Command(tag) | Output::Rows { tag, .. } => Ok(tag),
        }
    }

    /// Feeds CopyData to `decoder` until CopyDone; CopyFail is 57014.
    async fn receive_copy_data(&mut self, decoder: &mut CopyDecoder) -> Result<(), Fault> {
        use PgWireFrontendMessage as M;
        loop {
            match next_message(&mut self.socket).await? {
                Some(M::CopyData(data)) => decoder.feed(&data.data),
                Some(M::CopyDone(_)) => return Ok(()),
                Some(M::CopyFail(fail)) => return Err(WireError::CopyFailed(fail.message).into()),
                Some(M::Flush(_) | M::Sync(_)) => {}
                Some(M::Terminate(_)) | None => {
                    return Err(Fault::Io(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the client ended the connection during COPY FROM STDIN",
                    )))
                }
                Some(other) => {
                    let name = format!("{other:?}");
                    let name = name.split(['(', ' ']).next().unwrap_or("").to_owned();
                    return Err(WireError::Protocol(format!(
                        "unexpected {name} message during COPY from stdin"
                    ))
                    .into());
                }
            }
        }
    }

    /// Sends what `data` holds as one CopyData message (none if it is empty) and
    /// leaves it empty.
    async fn feed_copy_data(&mut self, data: &mut BytesMut) -> Result<(), Fault> {
        if data.is_empty() {
            return Ok(());
        }
        let message = CopyData::new(data.split().freeze());
        self.feed(PgWireBackendMessage::CopyData(message)).await
    }

    async fn feed(&mut self, message: PgWireBackendMessage) -> Result<(), Fault> {
        self.socket.feed(message).await.map_err(io)
    }
}

/// The format code CopyInResponse and CopyOutResponse announce: 0 for text and
/// CSV, 1 for binary (for the whole copy and for every column alike).
fn format_code(format: CopyFormat) -> i8 {
    match format {
        CopyFormat::Text | CopyFormat::Csv => 0,
        CopyFormat::Binary => 1,
    }
}
