//! SQL cursors: `DECLARE name CURSOR FOR query`, `FETCH`, `MOVE` and `CLOSE`
//! (pg_dump's `--inserts` reads tables through one; psycopg's named cursors are
//! these).
//!
//! A cursor's query runs at DECLARE as any query of the session runs (in a
//! transaction block, its reads noted and confirmed by the block: see
//! `sql::block`), and its rows stay in the session; FETCH and MOVE move over
//! them in memory, with no lock. PostgreSQL computes a cursor's rows as they are
//! fetched, from the snapshot DECLARE took; the rows are the same, but
//! Turnstile holds them all from the start (at most `--max-rows-per-statement`,
//! as any query's). Every direction works on any cursor but one declared `NO
//! SCROLL`, which goes forward only (55000 otherwise, as in PostgreSQL).
//!
//! A cursor lasts until CLOSE or the end of the transaction block it was
//! declared in (or a ROLLBACK TO a savepoint made before it); one declared
//! `WITH HOLD` outlives a COMMIT and lasts until CLOSE or the end of the
//! session. Outside a block only a holdable cursor may
//! be declared (25P01, as in PostgreSQL). `BINARY` cursors answer 0A000.

use std::collections::HashMap;
use std::sync::Arc;

use sqlparser::ast::{self, CloseCursor, DeclareType, FetchDirection, Statement};

use super::{Session, TransactionState};
use crate::sql::binder::ident;
use crate::sql::plan_cache::PreparedStatement;
use crate::sql::{ColumnInfo, CommandTag, Description, Output, SqlError};
use crate::types::{DataType, Value};
use crate::Error;

/// A cursor statement, as the session runs it.
pub(super) enum CursorCommand {
    Declare {
        name: String,
        query: Box<ast::Query>,
        hold: bool,
        /// `NO SCROLL`: forward only.
        forward_only: bool,
    },
    /// `FETCH` (or `MOVE`, which moves as FETCH does and returns no rows).
    Fetch {
        name: String,
        step: Step,
        moving: bool,
    },
    /// `CLOSE name`, or `CLOSE ALL` (None).
    Close(Option<String>),
}

/// Where a FETCH goes from the cursor's position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// The next `n` rows (`NEXT`, `FORWARD n`, `n`, `ALL`); 0 is the current
    /// row again. Negative is backward.
    By(i64),
    /// The one row `n` (`ABSOLUTE n`, `FIRST`, `LAST`: from the end when
    /// negative, before the first row when 0).
    Absolute(i64),
    /// The one row `n` from the current one (`RELATIVE n`, 0 the current one).
    Relative(i64),
}

/// A declared cursor: its rows, and where it stands among them.
pub(super) struct Cursor {
    columns: Arc<Vec<ColumnInfo>>,
    rows: Vec<Vec<Value>>,
    /// 0 before the first row, `rows.len() + 1` after the last, else the
    /// current row's number from 1.
    position: usize,
    hold: bool,
    /// Declared in the open block: a ROLLBACK closes it even if it holds.
    pending: bool,
    /// How many of the block's savepoints were open when it was declared: a
    /// ROLLBACK TO one of them closes it (see `Session::cursors_roll_back`).
    depth: usize,
    forward_only: bool,
}

/// A session's cursors by name.
pub(super) type Cursors = HashMap<String, Cursor>;

/// The cursor statement `stmt` is, if it is one: `FETCH` stands for `MOVE`
/// too (see `parse`: a `FETCH … INTO turnstile:move`).
pub(super) fn cursor_command(stmt: &Statement) -> Result<Option<CursorCommand>, SqlError> {
    Ok(Some(match stmt {
        Statement::Declare { stmts, .. } => {
            let [declare] = stmts.as_slice() else {
                return Err(SqlError::Syntax("DECLARE one cursor at a time".into()));
            };
            let (Some(DeclareType::Cursor), Some(query), [name]) = (
                &declare.declare_type,
                &declare.for_query,
                declare.names.as_slice(),
            ) else {
                return Ok(None);
            };
            if declare.binary == Some(true) {
                return Err(SqlError::Unsupported(
                    "BINARY cursors (declare the cursor without BINARY)".into(),
                ));
            }
            CursorCommand::Declare {
                name: ident(name),
                query: query.clone(),
                hold: declare.hold == Some(true),
                forward_only: declare.scroll == Some(false),
            }
        }
        Statement::Fetch {
            name,
            direction,
            into,
            ..
        } => {
            let moving = match into {
                None => false,
                Some(marker) if crate::sql::parse::is_move_marker(marker) => true,
                // Other dialects' FETCH … INTO; PostgreSQL's SQL has none.
                Some(_) => return Err(SqlError::Syntax("syntax error at or near \"INTO\"".into())),
            };
            CursorCommand::Fetch {
                name: ident(name),
                step: step(direction)?,
                moving,
            }
        }
        Statement::Close { cursor } => CursorCommand::Close(match cursor {
            CloseCursor::All => None,
            CloseCursor::Specific { name } => Some(ident(name)),
        }),
        _ => return Ok(None),
    }))
}

/// What FETCH's direction asks for.
fn step(direction: &FetchDirection) -> Result<Step, SqlError> {
    let count = |limit: &ast::ValueWithSpan| match &limit.value {
        ast::Value::Number(n, _) => n
            .parse::<i64>()
            .map_err(|_| SqlError::Syntax(format!("FETCH count {n} is not an integer"))),
        other => Err(SqlError::Syntax(format!(
            "FETCH count {other} is not an integer"
        ))),
    };
    Ok(match direction {
        FetchDirection::Next | FetchDirection::Forward { limit: None } => Step::By(1),
        FetchDirection::Prior | FetchDirection::Backward { limit: None } => Step::By(-1),
        FetchDirection::Count { limit } | FetchDirection::Forward { limit: Some(limit) } => {
            Step::By(count(limit)?)
        }
        // BACKWARD -n is FORWARD n.
        FetchDirection::Backward { limit: Some(limit) } => Step::By(count(limit)?.saturating_neg()),
        FetchDirection::All | FetchDirection::ForwardAll => Step::By(i64::MAX),
        FetchDirection::BackwardAll => Step::By(-i64::MAX),
        FetchDirection::First => Step::Absolute(1),
        FetchDirection::Last => Step::Absolute(-1),
        FetchDirection::Absolute { limit } => Step::Absolute(count(limit)?),
        FetchDirection::Relative { limit } => Step::Relative(count(limit)?),
    })
}

impl Cursor {
    /// Moves as `step` says and returns the rows it passed over (the row it
    /// lands on, for ABSOLUTE and RELATIVE), in the order it met them.
    fn fetch(&mut self, step: Step) -> Result<Vec<Vec<Value>>, SqlError> {
        let last = self.rows.len() as i64;
        let position = self.position as i64;
        // What PostgreSQL cannot do without moving back: any step back, a
        // fetch of the current row again, an absolute row at or before it, or
        // one counted from the end.
        let on_a_row = (1..=last).contains(&position);
        let backward = match step {
            Step::By(n) | Step::Relative(n) => n < 0 || (n == 0 && on_a_row),
            Step::Absolute(n) => n < 0 || (n <= position && position > 0),
        };
        if backward && self.forward_only {
            return Err(SqlError::CursorForwardOnly);
        }
        let row = |n: i64| self.rows[(n - 1) as usize].clone();
        let (rows, landed) = match step {
            Step::By(0) => (
                (1..=last)
                    .contains(&position)
                    .then(|| row(position))
                    .into_iter()
                    .collect(),
                position,
            ),
            Step::By(n) if n > 0 => {
                let end = position.saturating_add(n);
                let rows = (position + 1..=end.min(last)).map(row).collect();
                (rows, if end > last { last + 1 } else { end })
            }
            Step::By(n) => {
                let end = position.saturating_add(n);
                let rows = (end.max(1)..position.min(last + 1))
                    .rev()
                    .map(row)
                    .collect();
                (rows, end.max(0))
            }
            Step::Absolute(n) => self.land(if n >= 0 { n } else { last + 1 + n }),
            Step::Relative(n) => self.land(position.saturating_add(n)),
        };
        self.position = landed as usize;
        Ok(rows)
    }

    /// The row `target` (from 1) and the position it leaves the cursor at:
    /// before the first row or after the last, with no row, if it is not one.
    fn land(&self, target: i64) -> (Vec<Vec<Value>>, i64) {
        let last = self.rows.len() as i64;
        match target {
            t if t < 1 => (Vec::new(), 0),
            t if t > last => (Vec::new(), last + 1),
            t => (vec![self.rows[(t - 1) as usize].clone()], t),
        }
    }
}

impl Session {
    /// Runs a cursor statement (see the module doc).
    pub(super) async fn run_cursor_command(
        &mut self,
        command: CursorCommand,
        prepared: &PreparedStatement,
        params: &[Value],
    ) -> Result<Output, Error> {
        if self.transaction == TransactionState::Failed {
            return Err(SqlError::InFailedTransaction.into());
        }
        match command {
            CursorCommand::Declare {
                name,
                query,
                hold,
                forward_only,
            } => {
                if self.block.is_none() && !hold {
                    return Err(SqlError::NoActiveTransaction("DECLARE CURSOR").into());
                }
                if self.cursors.contains_key(&name) {
                    return Err(SqlError::DuplicateCursor(name).into());
                }
                let query = PreparedStatement::new(
                    Statement::Query(query),
                    prepared.param_types().to_vec(),
                );
                let Output::Rows { columns, rows, .. } = self.run_engine(&query, params).await?
                else {
                    return Err(
                        SqlError::Unsupported("a cursor over other than a query".into()).into(),
                    );
                };
                let cursor = Cursor {
                    columns,
                    rows,
                    position: 0,
                    hold,
                    pending: self.block.is_some(),
                    depth: self.block.as_ref().map_or(0, |b| b.savepoints_open()),
                    forward_only,
                };
                self.cursors.insert(name, cursor);
                Ok(Output::Command(CommandTag::new("DECLARE CURSOR")))
            }
            CursorCommand::Fetch { name, step, moving } => {
                let cursor = self
                    .cursors
                    .get_mut(&name)
                    .ok_or_else(|| SqlError::UndefinedCursor(name.clone()))?;
                let rows = cursor.fetch(step)?;
                if moving {
                    return Ok(Output::Command(CommandTag::with_rows("MOVE", rows.len())));
                }
                let tag = CommandTag::with_rows("FETCH", rows.len());
                Ok(Output::Rows {
                    columns: cursor.columns.clone(),
                    rows,
                    tag,
                })
            }
            CursorCommand::Close(None) => {
                self.cursors.clear();
                Ok(Output::Command(CommandTag::new("CLOSE CURSOR ALL")))
            }
            CursorCommand::Close(Some(name)) => {
                self.cursors
                    .remove(&name)
                    .ok_or(SqlError::UndefinedCursor(name))?;
                Ok(Output::Command(CommandTag::new("CLOSE CURSOR")))
            }
        }
    }

    /// What a cursor statement returns, for Describe: FETCH the cursor's
    /// columns, DECLARE its query's parameters.
    pub(super) async fn describe_cursor_command(
        &self,
        command: CursorCommand,
        param_hints: &[Option<DataType>],
    ) -> Result<Description, Error> {
        match command {
            CursorCommand::Declare { query, .. } => {
                let described = self
                    .describe_engine(&Statement::Query(query), param_hints)
                    .await?;
                Ok(Description {
                    params: described.params,
                    columns: Vec::new(),
                })
            }
            // As PostgreSQL describes it: the cursor's columns if it is open
            // now, else no rows (FETCH of it then fails with 34000).
            CursorCommand::Fetch {
                name,
                moving: false,
                ..
            } => Ok(Description {
                params: Vec::new(),
                columns: self
                    .cursors
                    .get(&name)
                    .map(|cursor| cursor.columns.to_vec())
                    .unwrap_or_default(),
            }),
            CursorCommand::Fetch { .. } | CursorCommand::Close(_) => Ok(Description::default()),
        }
    }

    /// The columns of the open cursor `name`, for a Describe of it as a portal.
    pub fn cursor_columns(&self, name: &str) -> Option<Arc<Vec<ColumnInfo>>> {
        self.cursors.get(name).map(|cursor| cursor.columns.clone())
    }

    /// `ROLLBACK TO SAVEPOINT` left `open` savepoints (the one rolled back to
    /// the last): the cursors declared after it close, as in PostgreSQL.
    pub(super) fn cursors_roll_back(&mut self, open: usize) {
        self.cursors.retain(|_, cursor| cursor.depth < open);
    }

    /// `RELEASE SAVEPOINT` left `open` savepoints: the cursors declared after
    /// the released one now belong to the level around it.
    pub(super) fn cursors_release(&mut self, open: usize) {
        for cursor in self.cursors.values_mut() {
            cursor.depth = cursor.depth.min(open);
        }
    }

    /// The block ends: the cursors declared without `WITH HOLD` close, and so
    /// do those declared in it if it rolls back.
    pub(super) fn close_block_cursors(&mut self, commit: bool) {
        self.cursors
            .retain(|_, cursor| cursor.hold && (commit || !cursor.pending));
        for cursor in self.cursors.values_mut() {
            cursor.pending = false;
        }
    }
}
