//! The session's side of COPY FROM: the checks a statement gets (a failed block
//! refuses it, `statement_timeout` and cancel requests reach its write), around the
//! engine's two steps (see `sql::copy` for the whole life of a COPY).

use std::sync::Arc;

use super::{Session, TransactionState};
use crate::sql::block::BlockStatement;
use crate::sql::copy::{CopyDecoder, CopyIn, CopyOptions};
use crate::sql::{Output, SqlError};
use crate::Error;

impl Session {
    /// Starts `COPY table (columns) FROM STDIN`: looks the table up and returns the
    /// decoder the wire layer feeds the client's data to. Errors come before the
    /// client is asked for data (42P01, 42703, 25P02 in a failed block).
    /// `bytes_max` bounds the data (`--max-copy-bytes`).
    pub async fn start_copy_in(
        &mut self,
        table: &str,
        columns: &[String],
        options: CopyOptions,
        bytes_max: usize,
    ) -> Result<CopyDecoder, Error> {
        let result = self.copy_decoder(table, columns, options, bytes_max).await;
        if result.is_err() {
            self.fail_block();
        }
        result
    }

    async fn copy_decoder(
        &mut self,
        table: &str,
        columns: &[String],
        options: CopyOptions,
        bytes_max: usize,
    ) -> Result<CopyDecoder, Error> {
        if self.transaction == TransactionState::Failed {
            return Err(SqlError::InFailedTransaction.into());
        }
        let schema = self.engine.copy_target(self.block.as_ref(), table).await?;
        Ok(CopyDecoder::new(
            table.to_owned(),
            schema,
            columns,
            options,
            self.settings.time_zone().clone(),
            bytes_max,
            self.rows_max,
        )?)
    }

    /// Writes the decoded rows of a COPY FROM as one transaction: `COPY n`, or the
    /// error of the line that failed and nothing loaded. In a transaction block it
    /// is the block's next write, committed with the block.
    pub async fn copy_in(&mut self, copy: CopyIn) -> Result<Output, Error> {
        let interrupt = self.statement_interrupt();
        let ctx = self.context(&interrupt);
        self.cancel.set_running(Some(interrupt));
        let copy = Arc::new(copy);
        let result = match &mut self.block {
            Some(block) if block.is_read_only() => {
                Err(SqlError::ReadOnlyTransaction("COPY FROM".into()).into())
            }
            Some(block) => match self.engine.copy_in_block(block, copy.clone(), &ctx).await {
                Ok(ran) => block
                    .absorb(ran, BlockStatement::Copy(copy), &ctx)
                    .map_err(Error::from),
                Err(e) => Err(e),
            },
            None => self.engine.copy_in(copy, &ctx).await,
        };
        self.cancel.set_running(None);
        if result.is_err() {
            self.fail_block();
        }
        result
    }
}
