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

use bytes::Bytes;
use futures::SinkExt;
use pgwire::messages::copy::{CopyData, CopyDone, CopyInResponse, CopyOutResponse};
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};

use super::connection::{io, next_message, Connection, Fault};
use super::WireError;
use crate::sql::copy::{encode_header, encode_row, CopyCommand, CopyDecoder, CopyOptions};
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
        let response = CopyOutResponse::new(0, count, vec![0; columns.len()]);
        self.feed(PgWireBackendMessage::CopyOutResponse(response))
            .await?;
        let mut line = Vec::new();
        if options.header {
            encode_header(&columns, options, &mut line);
            self.feed_copy_data(&line).await?;
        }
        // Copied out of the settings: `feed_copy_data` borrows the connection.
        let settings = self.session.settings();
        let time_zone = settings.time_zone().clone();
        let style = TextStyle {
            time_zone: &time_zone,
            extra_float_digits: settings.text_style().extra_float_digits,
        };
        for row in &rows {
            line.clear();
            encode_row(row, &columns, options, style, &mut line);
            self.feed_copy_data(&line).await?;
        }
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
        let response = CopyInResponse::new(0, width, vec![0; count]);
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

    async fn feed_copy_data(&mut self, line: &[u8]) -> Result<(), Fault> {
        let message = CopyData::new(Bytes::copy_from_slice(line));
        self.feed(PgWireBackendMessage::CopyData(message)).await
    }

    async fn feed(&mut self, message: PgWireBackendMessage) -> Result<(), Fault> {
        self.socket.feed(message).await.map_err(io)
    }
}
