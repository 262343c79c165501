//! The simple query protocol: one Query message, possibly several statements.
//!
//! Statements run in order and each sends its results as it completes; at the first
//! error the rest are skipped and the ErrorResponse follows the results of the
//! statements before it, then ReadyForQuery.
//!
//! As in PostgreSQL, a string of several statements with at least one write, sent
//! outside a block, is one implicit transaction: an error rolls back every
//! statement of the string; the results of the statements before the error are
//! still sent. A string of writes and queries runs as one write request (its
//! queries see the writes before them). One that also holds session commands
//! (BEGIN, COMMIT, SET, …, which cannot run on the writer thread) or PREPARE,
//! EXECUTE, DEALLOCATE (run by this layer, see `prepare`) runs statement by
//! statement in an implicit transaction block (`Session::begin_implicit`): a
//! COMMIT or ROLLBACK in it ends the transaction so far, a BEGIN makes it an
//! ordinary block, and the end of the string commits it. A string of reads and
//! session commands runs statement by statement. COPY, which talks with the
//! client in the middle of the string, must be sent on its own (0A000).

use std::sync::Arc;

use futures::SinkExt;
use pgwire::messages::response::EmptyQueryResponse;
use pgwire::messages::PgWireBackendMessage;

use super::codec::Format;
use super::connection::{feed_encoded, io, Connection, Fault};
use super::messages::{command_complete, data_row, encoded_row_description};
use super::prepare::is_sql_command;
use super::WireError;
use crate::sql::copy::is_copy;
use crate::sql::{Output, ParsedText, SqlError};
use crate::types::TypeError;
use crate::Error;

impl Connection {
    /// Answers one Query message, ending with ReadyForQuery and one flush.
    /// `verdict` is the frame layer's finding on its text (invalid UTF-8), which
    /// pgwire's lossy decoding hides: then nothing runs.
    pub(super) async fn simple_query(
        &mut self,
        sql: &str,
        verdict: Option<TypeError>,
    ) -> Result<(), Fault> {
        self.activity.running_text(sql);
        let mut literals = Vec::new();
        let result = match verdict {
            Some(e) => Err(e.into()),
            None => self.run_query_string(sql, &mut literals).await,
        };
        if let Err(e) = result {
            match e {
                Fault::Client(e) => self.feed_error_with_literals(&e, sql, &literals).await?,
                io @ Fault::Io(_) => return Err(io),
            }
        }
        self.feed_ready().await?;
        self.socket.flush().await.map_err(io)
    }

    /// Runs the statements of `sql`; `literals` gets the parameters of a templated
    /// text, for an error message to show as the client wrote them.
    async fn run_query_string(
        &mut self,
        sql: &str,
        literals: &mut Vec<crate::types::Value>,
    ) -> Result<(), Fault> {
        let max = self.ctx.limits.statement_bytes_max;
        if sql.len() > max {
            return Err(WireError::StatementTooLong {
                len: sql.len(),
                max,
            }
            .into());
        }
        let ParsedText { statements, params } = self.session.parse_cached(sql)?;
        literals.clone_from(&params);
        if statements.is_empty() {
            let message = PgWireBackendMessage::EmptyQueryResponse(EmptyQueryResponse::new());
            return self.socket.feed(message).await.map_err(io);
        }
        if statements.len() > 1 && statements.iter().any(|s| is_copy(s.statement())) {
            return Err(Error::from(SqlError::Unsupported(
                "COPY in a query string with other statements (send it on its own)".into(),
            ))
            .into());
        }
        // PREPARE, EXECUTE and DEALLOCATE run here, not on the writer thread: a
        // string holding one runs statement by statement, like one holding SET.
        let sql_commands = statements.iter().any(|s| is_sql_command(s.statement()));
        if !sql_commands && self.session.needs_implicit_transaction(&statements)? {
            let (outputs, error) = self.session.execute_batch(&statements).await;
            for output in outputs {
                self.send_output(output).await?;
            }
            // What a set_config in the string changed, kept only if it all ran.
            self.feed_setting_changes().await?;
            return error.map_or(Ok(()), |e| Err(e.into()));
        }
        // Writes mixed with session commands: statement by statement, but still
        // one implicit transaction, as PostgreSQL runs the string (see
        // `Session::begin_implicit`).
        let implicit = self.session.wants_implicit_block(&statements)?;
        for statement in statements.iter() {
            if is_copy(statement.statement()) {
                let tag = self.run_copy(statement).await?;
                let message = command_complete(&tag, None);
                return self
                    .socket
                    .feed(PgWireBackendMessage::CommandComplete(message))
                    .await
                    .map_err(io);
            }
            if implicit {
                self.session.begin_implicit();
            }
            let output = self.run_statement(statement, &params, None).await;
            if output.is_err() {
                self.session.end_implicit(false).await?;
            }
            self.feed_setting_changes().await?;
            self.send_output(output?).await?;
        }
        self.session.end_implicit(true).await?;
        self.feed_setting_changes().await
    }

    /// Sends one statement's notices, then its results in text format, with their
    /// RowDescription.
    async fn send_output(&mut self, mut output: Output) -> Result<(), Fault> {
        self.feed_notices(output.take_notices()).await?;
        let (columns, rows, tag) = match output {
            Output::Command(tag) => {
                let message = command_complete(&tag, None);
                return self
                    .socket
                    .feed(PgWireBackendMessage::CommandComplete(message))
                    .await
                    .map_err(io);
            }
            Output::Rows { columns, rows, tag } => (columns, rows, tag),
        };
        let formats = vec![Format::Text; columns.len()];
        // The RowDescription encoded last time is reused when the columns are the
        // same (a cached plan hands out the very same ones; another text of the same
        // query shape equal ones): building and encoding it cost ~600 instructions
        // a query (callgrind, pgbench -M simple point select).
        let encoded = match &self.row_description {
            Some((cached, encoded)) if Arc::ptr_eq(cached, &columns) || **cached == *columns => {
                encoded.clone()
            }
            _ => {
                let encoded = encoded_row_description(&columns, &formats).map_err(Error::from)?;
                self.row_description = Some((columns.clone(), encoded.clone()));
                encoded
            }
        };
        feed_encoded(&mut self.socket, &encoded).await?;
        // Borrowed beside the socket, not cloned.
        let style = self.session.settings().text_style();
        for row in &rows {
            let message = data_row(row, &columns, &formats, style)?;
            self.socket
                .feed(PgWireBackendMessage::DataRow(message))
                .await
                .map_err(io)?;
        }
        let message = command_complete(&tag, None);
        self.socket
            .feed(PgWireBackendMessage::CommandComplete(message))
            .await
            .map_err(io)
    }
}
