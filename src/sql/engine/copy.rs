//! The engine's side of COPY FROM: the target's schema under the read lock (in
//! a block that changed the schema, on top of its changes), then
//! the decoded rows written under the write lock as one transaction (see
//! `sql::copy` for the whole life of a COPY).

use std::sync::Arc;

use super::{stopped_error, Engine};
use crate::db::{Database, TableSchema};
use crate::sql::block::{Block, Ran};
use crate::sql::copy::CopyIn;
use crate::sql::system::is_reserved;
use crate::sql::{exec, Output, QueryContext, SqlError};

impl Engine {
    /// The schema of `table`, the target of a COPY FROM: 42P01 if there is no such
    /// table, 42809 for a view or a system relation, which take no rows. In a
    /// block that changed the schema, as the block sees it (a table it created
    /// or altered; `psql -1` and `pg_restore --single-transaction` create and
    /// load in one block), from its changes rehearsed under the write lock.
    pub async fn copy_target(
        &self,
        block: Option<&Block>,
        table: &str,
    ) -> Result<Arc<TableSchema>, crate::Error> {
        let name = table.to_owned();
        let schema = match block.filter(|block| block.changed_schema()) {
            None => {
                self.turnstile
                    .read("COPY", move |db| copy_target_in(db, name))
                    .await?
            }
            Some(block) => {
                let run = block.run();
                let small = block.is_small();
                self.turnstile
                    .rehearse("COPY in block", small, std::future::pending(), move |txn| {
                        run.replay(txn)?;
                        copy_target_in(txn.db(), name)
                    })
                    .await?
            }
        };
        Ok(schema?)
    }

    /// Writes the rows of `copy` as ONE write transaction on the writer thread (one
    /// turn of the write lock, one WAL record), acknowledged as `ctx.durability`
    /// says; any error loads nothing.
    pub async fn copy_in(
        &self,
        copy: Arc<CopyIn>,
        ctx: &QueryContext,
    ) -> Result<Output, crate::Error> {
        let ctx = self.with_server_state(ctx.clone());
        let durability = ctx.durability;
        let interrupt = ctx.interrupt.clone();
        let result = self
            .turnstile
            .write_with("COPY", durability, interrupt.lock_wait_over(), move |txn| {
                exec::write_copy(txn, &copy, &ctx)
            })
            .await
            .map_err(|e| stopped_error(&interrupt, e))?;
        Ok(result?)
    }

    /// COPY FROM as the next write of `block` (see `sql::block`):
    /// rehearsed under the write lock on top of the block's changes, made again at
    /// COMMIT. The caller hands the outcome to `Block::absorb`.
    pub async fn copy_in_block(
        &self,
        block: &Block,
        copy: Arc<CopyIn>,
        ctx: &QueryContext,
    ) -> Result<Ran, crate::Error> {
        let run = block.run();
        let ctx = self.with_server_state(run.context(ctx));
        let interrupt = ctx.interrupt.clone();
        let ran = self
            .turnstile
            .rehearse(
                "rehearse COPY",
                false,
                interrupt.lock_wait_over(),
                move |txn| {
                    run.rehearse(txn, true, |txn| {
                        exec::write_copy(txn, &copy, &ctx).map(|output| (output, None))
                    })
                },
            )
            .await
            .map_err(|e| stopped_error(&interrupt, e))?;
        Ok(ran?)
    }
}

/// The schema of table `name` of `db` (see [`Engine::copy_target`]).
fn copy_target_in(db: &Database, name: String) -> Result<Arc<TableSchema>, SqlError> {
    match db.get_table(&name) {
        Some(t) => Ok(t.schema().clone()),
        None if is_reserved(&name) || db.get_view(&name).is_some() => Err(
            SqlError::WrongObjectType(format!("cannot copy to relation \"{name}\"")),
        ),
        None => Err(SqlError::UndefinedTable(name)),
    }
}
