//! The extended query protocol: Parse, Bind, Describe, Execute, Close.
//!
//! Every answer is queued with `feed` and the socket is flushed once, at Sync or
//! Flush: pgwire's default handlers flush after each message, which costs a system
//! call and a TCP segment each (pgbench -M prepared: ~20k TPS flushing per message,
//! ~32k flushing per Sync on the same machine).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use futures::SinkExt;
use pgwire::messages::data::NoData;
use pgwire::messages::extendedquery::{
    Bind, BindComplete, Close, CloseComplete, Describe, Execute, Parse, ParseComplete,
    PortalSuspended, TARGET_TYPE_BYTE_PORTAL, TARGET_TYPE_BYTE_STATEMENT,
};
use pgwire::messages::response::EmptyQueryResponse;
use pgwire::messages::PgWireBackendMessage;
use sqlparser::ast::Statement;

use super::codec::{self, Format};
use super::connection::{feed_encoded, io, Connection, Fault};
use super::messages::{command_complete, data_row, encoded_row_description, parameter_description};
use super::WireError;
use crate::sql::copy::is_copy;
use crate::sql::{
    is_planned, same_result_type, ColumnInfo, CommandTag, Description, Output, PreparedStatement,
    SqlError, TransactionState, TEXT_CACHE_ENTRIES_MAX, TEXT_CACHE_SQL_BYTES_MAX,
};
use crate::types::{DataType, TypeError, Value};
use crate::Error;

/// A parsed statement with its parameter and result types, from Parse.
pub(super) struct Prepared {
    /// The SQL text, for logs and `pg_stat_activity` (shared, not copied, by
    /// each Execute).
    sql: Arc<str>,
    /// None for an empty query, which executes as EmptyQueryResponse. Keeps its
    /// plan between executions (the plan cache).
    pub(super) statement: Option<PreparedStatement>,
    /// One type per parameter: the client's declared OID, else the inferred type.
    pub(super) params: Vec<DataType>,
    /// The result columns (empty: the statement returns no rows).
    pub(super) columns: Vec<ColumnInfo>,
    /// The encoded RowDescription for the first result formats it was described
    /// with. libpq (pgbench -M prepared) describes the portal before every Execute,
    /// and building that message anew cost ~700 instructions each time.
    row_description: OnceLock<(Vec<Format>, Bytes)>,
}

impl Prepared {
    /// The encoded RowDescription of the result columns in `formats`, from the
    /// cache when the formats are the ones it holds.
    fn row_description(&self, formats: &[Format]) -> Result<Bytes, WireError> {
        if let Some((cached, bytes)) = self.row_description.get() {
            if cached == formats {
                return Ok(bytes.clone());
            }
        }
        let bytes = encoded_row_description(&self.columns, formats)?;
        // Losing the race to fill the cache is fine: both encodings are the same.
        let _ = self.row_description.set((formats.to_vec(), bytes.clone()));
        Ok(bytes)
    }
}

/// A connection's recent Parse results, by query text and declared parameter
/// types, each with the catalog version it was described at. A driver that sends
/// every statement anew as an unnamed one (node-postgres; JDBC and psycopg before
/// their prepare thresholds; `pgbench -M extended`) gets the same statement back,
/// described and with the plan of its last run, instead of a new parse,
/// description and plan each time, so its runs can take the short paths too. Only
/// queries, DML and CALL outside a transaction block are kept: their description
/// comes from the catalog alone, so it holds while the version does. Bounded as the
/// simple-query text cache is (as many entries, texts as long): when full, it
/// starts over.
#[derive(Default)]
pub(super) struct RecentParses {
    entries: HashMap<ParseKey, (u64, Arc<Prepared>)>,
}

/// What a Parse result is kept by: the query text and the declared parameter types.
type ParseKey = (String, Vec<Option<DataType>>);

impl RecentParses {
    /// The statement `sql` with `hints` was parsed into, and the catalog version
    /// it was described at.
    fn get(&self, sql: &str, hints: &[Option<DataType>]) -> Option<(u64, Arc<Prepared>)> {
        // The key is owned; a lookup by borrowed parts would need a custom key
        // type, and the text is short next to the parse this saves.
        let (version, prepared) = self.entries.get(&(sql.to_owned(), hints.to_vec()))?;
        Some((*version, prepared.clone()))
    }

    fn insert(&mut self, hints: Vec<Option<DataType>>, version: u64, prepared: Arc<Prepared>) {
        if prepared.sql.len() > TEXT_CACHE_SQL_BYTES_MAX {
            return;
        }
        if self.entries.len() >= TEXT_CACHE_ENTRIES_MAX {
            self.entries.clear();
        }
        self.entries
            .insert((prepared.sql.to_string(), hints), (version, prepared));
    }
}

/// A bound statement, from Bind, and how far its Execute got.
pub(super) struct Portal {
    /// The statement it runs.
    prepared: Arc<Prepared>,
    /// The decoded parameter values.
    params: Vec<Value>,
    /// One format per result column of the description.
    formats: Vec<Format>,
    /// Not yet run, or its remaining rows.
    state: PortalState,
}

enum PortalState {
    /// Execute has not run it yet.
    Ready,
    /// Rows left to send after a PortalSuspended.
    Running {
        columns: Arc<Vec<ColumnInfo>>,
        rows: std::vec::IntoIter<Vec<Value>>,
        tag: CommandTag,
    },
    /// Finished; another Execute completes with no rows.
    Done(CommandTag),
}

fn portal_name(name: Option<String>) -> String {
    name.unwrap_or_default()
}

impl Connection {
    pub(super) async fn on_parse(&mut self, parse: Parse) -> Result<(), Fault> {
        // A Parse into the unnamed statement drops the old one first, as in
        // PostgreSQL, so that one that fails leaves no unnamed statement behind for
        // a pipelined Bind to run by mistake.
        if parse.name.as_deref().unwrap_or_default().is_empty() {
            self.statements.remove("");
        }
        let limits = &self.ctx.limits;
        if parse.query.len() > limits.statement_bytes_max {
            return Err(WireError::StatementTooLong {
                len: parse.query.len(),
                max: limits.statement_bytes_max,
            }
            .into());
        }
        check_parameter_count(parse.type_oids.len(), limits.parameters_max)?;
        let hints = parse
            .type_oids
            .iter()
            .map(|oid| type_hint(*oid))
            .collect::<Result<Vec<_>, _>>()?;
        let name = portal_name(parse.name);
        let idle = self.session.transaction_state() == TransactionState::Idle;
        if let Some((version, prepared)) = self.recent_parses.get(&parse.query, &hints) {
            if idle && self.session.catalog_version().await? == version {
                self.check_statement_name_free(&name)?;
                self.statements.insert(name, prepared);
                return self.parse_complete().await;
            }
        }
        let mut statements = crate::sql::parse(&parse.query)?;
        if statements.len() > 1 {
            return Err(WireError::MultipleStatements.into());
        }
        let statement = statements.pop();
        // Read before the statement is described: a schema change in between makes
        // the kept description look older than it is, never newer.
        let version = match statement.as_ref() {
            Some(statement) if idle && is_planned(statement) => {
                Some(self.session.catalog_version().await?)
            }
            _ => None,
        };
        let prepared = self
            .prepare(name, parse.query, statement, hints.clone())
            .await?;
        if let Some(version) = version {
            self.recent_parses.insert(hints, version, prepared);
        }
        self.parse_complete().await
    }

    /// Answers a Parse that succeeded.
    async fn parse_complete(&mut self) -> Result<(), Fault> {
        self.socket
            .feed(PgWireBackendMessage::ParseComplete(ParseComplete::new()))
            .await
            .map_err(io)
    }

    /// A new prepared statement may take `name`: "" (the unnamed one, which a new
    /// one replaces) or a name not in use.
    fn check_statement_name_free(&self, name: &str) -> Result<(), WireError> {
        if !name.is_empty() && self.statements.contains_key(name) {
            return Err(WireError::DuplicateStatement(name.to_owned()));
        }
        Ok(())
    }

    /// Describes `statement` and keeps it as the prepared statement `name` (""
    /// is the unnamed one, which a new one replaces): the work of Parse, and of
    /// SQL's `PREPARE`, which shares the names. `hints` are the declared parameter
    /// types (None: infer it). Returns what it keeps.
    pub(super) async fn prepare(
        &mut self,
        name: String,
        sql: String,
        statement: Option<Statement>,
        hints: Vec<Option<DataType>>,
    ) -> Result<Arc<Prepared>, Error> {
        self.check_statement_name_free(&name)?;
        let params_max = self.ctx.limits.parameters_max;
        check_parameter_count(hints.len(), params_max)?;
        let description = match &statement {
            Some(stmt) => self.describe_statement(stmt, &hints).await?,
            None => Description::default(),
        };
        let count = hints.len().max(description.params.len());
        check_parameter_count(count, params_max)?;
        let params: Vec<DataType> = (0..count)
            .map(|i| {
                hints
                    .get(i)
                    .copied()
                    .flatten()
                    .or(description.params.get(i).copied())
                    .map(codec::wire_type)
                    // A parameter nothing gives a type to (`SELECT $1`) is text, as
                    // PostgreSQL resolves it at Parse.
                    .unwrap_or(DataType::Text)
            })
            .collect();
        // Every plan of the statement is bound with the parameter types the client
        // was told, as PostgreSQL fixes them at Parse.
        let param_types = params.iter().map(|t| Some(*t)).collect();
        let prepared = Prepared {
            sql: sql.into(),
            statement: statement.map(|s| {
                PreparedStatement::new(s, param_types)
                    .with_described_columns(description.columns.clone())
            }),
            params,
            columns: description.columns,
            row_description: OnceLock::new(),
        };
        let prepared = Arc::new(prepared);
        self.statements.insert(name, prepared.clone());
        Ok(prepared)
    }

    pub(super) async fn on_bind(&mut self, bind: Bind) -> Result<(), Fault> {
        let statement_name = portal_name(bind.statement_name);
        let portal_name = portal_name(bind.portal_name);
        let prepared = self
            .statements
            .get(&statement_name)
            .cloned()
            .ok_or_else(|| WireError::UnknownStatement(statement_name.clone()))?;
        if !portal_name.is_empty() && self.portals.contains_key(&portal_name) {
            return Err(WireError::DuplicatePortal(portal_name).into());
        }
        if bind.parameters.len() != prepared.params.len() {
            let (given, needed) = (bind.parameters.len(), prepared.params.len());
            return Err(WireError::ParameterCount {
                name: statement_name,
                given,
                needed,
            }
            .into());
        }
        let param_formats = codec::expand_formats(
            &bind.parameter_format_codes,
            bind.parameters.len(),
            "parameter",
        )?;
        let formats = codec::expand_formats(
            &bind.result_column_format_codes,
            prepared.columns.len(),
            "result",
        )?;
        let tz = self.session.settings().time_zone();
        let mut params = Vec::with_capacity(bind.parameters.len());
        for ((bytes, ty), format) in bind
            .parameters
            .iter()
            .zip(&prepared.params)
            .zip(&param_formats)
        {
            params.push(match bytes {
                None => Value::Null,
                Some(bytes) => codec::decode(*ty, *format, bytes, tz)?,
            });
        }
        let portal = Portal {
            prepared,
            params,
            formats,
            state: PortalState::Ready,
        };
        self.portals.insert(portal_name, portal);
        self.socket
            .feed(PgWireBackendMessage::BindComplete(BindComplete::new()))
            .await
            .map_err(io)
    }

    pub(super) async fn on_describe(&mut self, describe: Describe) -> Result<(), Fault> {
        let name = portal_name(describe.name);
        // Borrowed, not cloned: the columns and formats were cloned for every
        // Describe, which libpq sends before each Execute.
        let statement_formats;
        let (prepared, formats) = match describe.target_type {
            TARGET_TYPE_BYTE_STATEMENT => {
                let prepared = self
                    .statements
                    .get(&name)
                    .ok_or(WireError::UnknownStatement(name))?;
                let message = parameter_description(&prepared.params);
                self.socket
                    .feed(PgWireBackendMessage::ParameterDescription(message))
                    .await
                    .map_err(io)?;
                // A statement's formats are not known until Bind: describe them as text.
                statement_formats = vec![Format::Text; prepared.columns.len()];
                (prepared, statement_formats.as_slice())
            }
            TARGET_TYPE_BYTE_PORTAL => match self.portals.get(&name) {
                Some(portal) => (&portal.prepared, portal.formats.as_slice()),
                // A cursor DECLAREd in SQL is a portal too (psycopg's named
                // cursors describe theirs so); its rows go out as text.
                None => {
                    let columns = self
                        .session
                        .cursor_columns(&name)
                        .ok_or(WireError::UnknownPortal(name))?;
                    if columns.is_empty() {
                        let message = PgWireBackendMessage::NoData(NoData::new());
                        return self.socket.feed(message).await.map_err(io);
                    }
                    let formats = vec![Format::Text; columns.len()];
                    let encoded = encoded_row_description(&columns, &formats)?;
                    return feed_encoded(&mut self.socket, &encoded).await;
                }
            },
            other => {
                return Err(WireError::Protocol(format!(
                    "invalid DESCRIBE message subtype {other}"
                ))
                .into())
            }
        };
        if prepared.columns.is_empty() {
            let message = PgWireBackendMessage::NoData(NoData::new());
            return self.socket.feed(message).await.map_err(io);
        }
        let encoded = prepared.row_description(formats)?;
        feed_encoded(&mut self.socket, &encoded).await
    }

    pub(super) async fn on_close(&mut self, close: Close) -> Result<(), Fault> {
        let name = portal_name(close.name);
        match close.target_type {
            TARGET_TYPE_BYTE_STATEMENT => self.statements.remove(&name).map(drop),
            TARGET_TYPE_BYTE_PORTAL => self.portals.remove(&name).map(drop),
            other => {
                return Err(
                    WireError::Protocol(format!("invalid CLOSE message subtype {other}")).into(),
                )
            }
        };
        self.socket
            .feed(PgWireBackendMessage::CloseComplete(CloseComplete::new()))
            .await
            .map_err(io)
    }

    /// Runs the portal the first time, then sends up to `max_rows` rows (0: all);
    /// PortalSuspended if rows remain for the next Execute.
    pub(super) async fn on_execute(&mut self, execute: Execute) -> Result<(), Fault> {
        let name = portal_name(execute.name);
        let portal = self
            .portals
            .get_mut(&name)
            .ok_or_else(|| WireError::UnknownPortal(name.clone()))?;
        if matches!(portal.state, PortalState::Ready) {
            // Taken out for the run and put back after it, not cloned (a clone per
            // Execute showed in the profile): a portal whose run failed can be
            // executed again and needs its parameters then.
            let prepared = portal.prepared.clone();
            let Some(statement) = &prepared.statement else {
                return self
                    .socket
                    .feed(PgWireBackendMessage::EmptyQueryResponse(
                        EmptyQueryResponse::new(),
                    ))
                    .await
                    .map_err(io);
            };
            self.activity.running(&prepared.sql);
            if is_copy(statement.statement()) {
                let tag = self.run_copy(statement).await?;
                let message = command_complete(&tag, None);
                if let Some(portal) = self.portals.get_mut(&name) {
                    portal.state = PortalState::Done(tag);
                }
                return self
                    .socket
                    .feed(PgWireBackendMessage::CommandComplete(message))
                    .await
                    .map_err(io);
            }
            // The statements between two Syncs are one implicit transaction, as
            // in PostgreSQL: a write that more messages follow opens it (an error
            // then rolls back the batch's writes, and Sync commits them). A write
            // followed at once by Sync — every round trip of pgbench and most
            // drivers — commits alone, which is the same thing, without a block.
            // A write's rows go out after it commits: a regclass-like column
            // asked for in binary (see `TypeError::BinaryOutputUnsupported`) is
            // refused before the write runs, not after.
            if statement.is_write() {
                let binary_name = prepared
                    .columns
                    .iter()
                    .zip(&portal.formats)
                    .find(|(c, f)| **f == Format::Binary && c.data_type.is_oid_alias());
                if let Some((column, _)) = binary_name {
                    let type_name = column.data_type.to_string();
                    return Err(TypeError::BinaryOutputUnsupported { type_name }.into());
                }
            }
            let params = std::mem::take(&mut portal.params);
            if !self.sync_is_next() && self.session.opens_implicit_transaction(statement) {
                self.session.begin_implicit();
            }
            let result = self.run_statement(statement, &params, Some(&name)).await;
            self.feed_setting_changes().await?;
            // One lookup both puts the parameters back and records the outcome.
            let portal = self.portals.get_mut(&name);
            let mut output = match result {
                Ok(output) => output,
                Err(e) => {
                    if let Some(portal) = portal {
                        portal.params = params;
                    }
                    tracing::debug!(sql = %prepared.sql, error = %e, "statement failed");
                    return Err(e.into());
                }
            };
            let portal = portal.ok_or_else(|| WireError::UnknownPortal(name.clone()))?;
            portal.params = params;
            // Notices go before the rows; the portal is looked up again only then.
            let notices = output.take_notices();
            let portal = if notices.is_empty() {
                portal
            } else {
                self.feed_notices(notices).await?;
                self.portals
                    .get_mut(&name)
                    .ok_or_else(|| WireError::UnknownPortal(name.clone()))?
            };
            portal.state = match output {
                Output::Command(tag) => {
                    let message = command_complete(&tag, None);
                    portal.state = PortalState::Done(tag);
                    return self
                        .socket
                        .feed(PgWireBackendMessage::CommandComplete(message))
                        .await
                        .map_err(io);
                }
                Output::Rows { columns, rows, tag } => {
                    // A write checked this before it committed (see
                    // `PreparedStatement::with_described_columns`). A FETCH
                    // returns what its cursor has now, whatever it was
                    // described with.
                    let fetch = matches!(statement.statement(), Statement::Fetch { .. });
                    if !fetch && !same_result_type(&columns, &prepared.columns) {
                        return Err(SqlError::ResultTypeChanged.into());
                    }
                    PortalState::Running {
                        columns,
                        rows: rows.into_iter(),
                        tag,
                    }
                }
            };
        }
        self.send_portal_rows(&name, execute.max_rows).await
    }

    async fn send_portal_rows(&mut self, name: &str, max_rows: i32) -> Result<(), Fault> {
        // The session's text style, the portal and the socket are borrowed side by
        // side rather than cloned, and rows are sent straight from the portal's
        // iterator: the clones and the batch vector cost an allocation each per
        // Execute.
        let style = self.session.settings().text_style();
        let socket = &mut self.socket;
        let portal = self
            .portals
            .get_mut(name)
            .ok_or_else(|| WireError::UnknownPortal(name.to_owned()))?;
        let limit = if max_rows <= 0 {
            usize::MAX
        } else {
            max_rows as usize
        };
        let (columns, rows, tag) = match &mut portal.state {
            PortalState::Running { columns, rows, tag } => (columns, rows, tag.clone()),
            PortalState::Done(tag) => {
                let message = command_complete(tag, tag.rows.map(|_| 0));
                return socket
                    .feed(PgWireBackendMessage::CommandComplete(message))
                    .await
                    .map_err(io);
            }
            PortalState::Ready => {
                unreachable!("on_execute runs a Ready portal before sending its rows")
            }
        };
        let mut sent = 0;
        for row in rows.by_ref().take(limit) {
            let message = data_row(&row, columns, &portal.formats, style)?;
            socket
                .feed(PgWireBackendMessage::DataRow(message))
                .await
                .map_err(io)?;
            sent += 1;
        }
        let suspended = rows.len() > 0;
        let message = if suspended {
            PgWireBackendMessage::PortalSuspended(PortalSuspended::new())
        } else {
            // A SELECT reports the rows this Execute sent, as PostgreSQL does; a
            // RETURNING command reports the rows it changed.
            let rows = (tag.command == "SELECT").then_some(sent);
            let message = PgWireBackendMessage::CommandComplete(command_complete(&tag, rows));
            portal.state = PortalState::Done(tag);
            message
        };
        socket.feed(message).await.map_err(io)
    }
}

/// 54000 if a statement has more parameters than the limit.
fn check_parameter_count(count: usize, max: usize) -> Result<(), WireError> {
    if count > max {
        return Err(WireError::TooManyParameters { count, max });
    }
    Ok(())
}

/// The type a client declared for a parameter: None for "infer it" (0 or unknown).
fn type_hint(oid: u32) -> Result<Option<DataType>, WireError> {
    match oid {
        0 => Ok(None),
        oid => match DataType::from_oid(oid) {
            Some(DataType::Unknown) => Ok(None),
            Some(ty) => Ok(Some(ty)),
            None => Err(WireError::UnsupportedType(oid)),
        },
    }
}
