//! The simple query protocol: one Query message, possibly several statements.
//!
//! Statements run in order and each sends its results as it completes; at the first
//! error the rest are skipped and the ErrorResponse follows the results of the
//! statements before it, then ReadyForQuery.
//!
//! Difference from PostgreSQL: PostgreSQL runs a multi-statement Query outside a
//! block as one implicit transaction, so an error rolls back the statements before
//! it in the same string. Turnstile has no multi-statement write transactions yet:
//! each statement commits on its own, and those before the error stay committed.

use futures::SinkExt;
use pgwire::messages::response::EmptyQueryResponse;
use pgwire::messages::PgWireBackendMessage;

use super::codec::Format;
use super::connection::{io, Connection, Fault};
use super::messages::{command_complete, data_row, row_description};
use super::WireError;
use crate::sql::Output;
use crate::Error;

impl Connection {
    /// Answers one Query message, ending with ReadyForQuery and one flush.
    pub(super) async fn simple_query(&mut self, sql: &str) -> Result<(), Fault> {
        if let Err(e) = self.run_query_string(sql).await {
            match e {
                Fault::Client(e) => self.feed_error(&e, sql).await?,
                io @ Fault::Io(_) => return Err(io),
            }
        }
        self.feed_ready().await?;
        self.socket.flush().await.map_err(io)
    }

    async fn run_query_string(&mut self, sql: &str) -> Result<(), Fault> {
        let max = self.ctx.limits.statement_bytes_max;
        if sql.len() > max {
            return Err(WireError::StatementTooLong {
                len: sql.len(),
                max,
            }
            .into());
        }
        let statements = self.session.parse_cached(sql)?;
        if statements.is_empty() {
            let message = PgWireBackendMessage::EmptyQueryResponse(EmptyQueryResponse::new());
            return self.socket.feed(message).await.map_err(io);
        }
        for statement in statements.iter() {
            let output = self.run_statement(statement, &[]).await;
            self.feed_setting_changes().await?;
            self.send_output(output?).await?;
        }
        Ok(())
    }

    /// Sends one statement's results in text format, with their RowDescription.
    async fn send_output(&mut self, output: Output) -> Result<(), Fault> {
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
        let description = row_description(&columns, &formats);
        self.socket
            .feed(PgWireBackendMessage::RowDescription(description))
            .await
            .map_err(io)?;
        let tz = self.session.settings().time_zone().clone();
        for row in &rows {
            let message = data_row(row, &columns, &formats, &tz).map_err(Error::from)?;
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
