//! The SQL engine: the entry point the session layer calls for every statement.

use std::sync::Arc;

use sqlparser::ast::Statement;

use crate::turnstile::Turnstile;
use crate::types::{DataType, Value};

use super::{Description, Output, QueryContext};

/// Runs statements against the database through the turnstile: reads under the
/// read lock on a reader thread, writes as one atomic transaction on the writer.
#[derive(Clone)]
pub struct Engine {
    /// The only way to reach the database (ARCHITECTURE.md, "Execution model").
    turnstile: Turnstile,
}

impl Engine {
    pub fn new(turnstile: Turnstile) -> Engine {
        Engine { turnstile }
    }

    /// The parameter types and result columns of `stmt`, without running it
    /// (binds it under the read lock). `param_hints[i]` is the type the client
    /// declared for `$i+1`, or None to infer it from the context.
    pub async fn describe(
        &self,
        stmt: &Statement,
        param_hints: &[Option<DataType>],
    ) -> Result<Description, crate::Error> {
        if let Some(description) = super::exec::describe_without_catalog(stmt, param_hints) {
            return Ok(description);
        }
        let stmt = Arc::new(stmt.clone());
        let hints = param_hints.to_vec();
        let result = self
            .turnstile
            .read(move |db| super::exec::describe(db, &stmt, &hints))
            .await?;
        Ok(result?)
    }

    /// Runs `stmt` with its parameter values (already of the described types).
    /// Queries run under the read lock; DML and DDL under the write lock, each as
    /// one transaction that changes nothing if it fails.
    pub async fn execute(
        &self,
        stmt: &Statement,
        params: &[Value],
        ctx: &QueryContext,
    ) -> Result<Output, crate::Error> {
        let stmt = Arc::new(stmt.clone());
        let params: Arc<[Value]> = params.into();
        let ctx = ctx.clone();
        if Engine::is_write(&stmt) {
            let result = self
                .turnstile
                .write(move |txn| super::exec::execute_write(txn, &stmt, &params, &ctx))
                .await?;
            Ok(result?)
        } else {
            let result = self
                .turnstile
                .read(move |db| super::exec::execute_read(db, &stmt, &params, &ctx))
                .await?;
            Ok(result?)
        }
    }

    /// True for statements that change data or schema.
    pub fn is_write(stmt: &Statement) -> bool {
        match stmt {
            Statement::Query(_) => false,
            Statement::Explain {
                statement, analyze, ..
            } => *analyze && Engine::is_write(statement),
            _ => true,
        }
    }
}
