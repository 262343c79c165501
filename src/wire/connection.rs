//! One client connection: negotiation, startup, and the message loop.

use std::io;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::{FutureExt, SinkExt, StreamExt};
use pgwire::api::{
    ClientInfo, PgWireConnectionState, PidSecretKeyGenerator, RandomPidSecretKeyGenerator,
};
use pgwire::error::PgWireError;
use pgwire::messages::response::{NotificationResponse, ReadyForQuery, TransactionStatus};
use pgwire::messages::startup::{Authentication, BackendKeyData, ParameterStatus, Startup};
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use pgwire::tokio::server::{negotiate_tls, MaybeTls, PgWireMessageServerCodec};
use tokio::net::TcpStream;
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio_util::codec::{Framed, FramedParts};

use super::by_name::ByName;
use super::cancel::{CancelRegistry, Registration};
use super::extended::{Portal, Prepared, RecentParses};
use super::frame::FrameLimit;
use super::limits::{Limits, STARTUP_TIMEOUT_MS};
use super::messages::{
    error_response, error_response_with_literals, notice_response, SEVERITY_ERROR, SEVERITY_FATAL,
};
use super::prepare::maybe_sql_command;
use super::stream::LimitedStream;
use super::WireError;
use crate::sql::activity::{ActivityRegistration, SessionActivity};
use crate::sql::{
    ColumnInfo, Engine, Notice, Notification, Output, Session, SessionDefaults, Settings, Severity,
    TransactionState,
};
use crate::turnstile::TurnstileError;
use crate::Error;

/// The framed client socket: pgwire's codec over our size-checking stream.
pub(super) type Socket = Framed<LimitedStream<MaybeTls>, PgWireMessageServerCodec<()>>;

/// What every connection shares: the engine, the limits, the cancel registry.
pub struct WireContext {
    /// The SQL engine all sessions run statements through.
    pub engine: Arc<Engine>,
    /// Per-connection limits.
    pub limits: Limits,
    /// `--statement-timeout` in milliseconds, each session's starting value.
    pub statement_timeout_ms: u64,
    /// `--max-connections`, shown by `SHOW max_connections`.
    pub max_connections: usize,
    /// `--synchronous-commit`: each session's starting `synchronous_commit` (true =
    /// on), which `RESET` returns to.
    pub synchronous_commit: bool,
    /// Statements slower than this are logged with their text (`--log-min-duration-statement`).
    pub slow_statement: Option<Duration>,
    /// A slot per session, `--max-connections` of them: a connection takes one with
    /// its startup packet (not at accept, so that sockets that have sent nothing
    /// yet, or only a cancel request, never crowd sessions out) and holds it until
    /// it ends. With none free, the startup is refused with 53300.
    pub sessions: Arc<Semaphore>,
    /// Where cancel requests find sessions.
    pub cancels: Arc<CancelRegistry>,
    /// Hands out BackendKeyData process ids and secrets.
    pub keys: RandomPidSecretKeyGenerator,
}

/// What a message handler reports when it cannot answer normally.
pub(super) enum Fault {
    /// An error to send to the client; the connection goes on unless it is fatal.
    Client(Error),
    /// The socket failed; the connection is over.
    Io(io::Error),
}

impl<E: Into<Error>> From<E> for Fault {
    fn from(e: E) -> Fault {
        Fault::Client(e.into())
    }
}

/// Converts a socket error, which cannot go through `From` beside the blanket impl.
pub(super) fn io(e: io::Error) -> Fault {
    Fault::Io(e)
}

/// Whether the loop goes on after a message.
#[derive(PartialEq)]
enum Flow {
    Continue,
    Close,
}

/// A session and its protocol state.
pub(super) struct Connection {
    /// The client socket.
    pub(super) socket: Socket,
    /// Shared server state.
    pub(super) ctx: Arc<WireContext>,
    /// Settings and transaction state; runs the statements.
    pub(super) session: Session,
    /// Prepared statements by name; "" is the unnamed one.
    pub(super) statements: ByName<Arc<Prepared>>,
    /// Recent Parse results, to give a statement parsed again back as it was.
    pub(super) recent_parses: RecentParses,
    /// Portals by name; "" is the unnamed one.
    pub(super) portals: ByName<Portal>,
    /// The RowDescription last sent by a simple query, encoded, with the columns it
    /// describes (see `send_output`).
    pub(super) row_description: Option<(Arc<Vec<ColumnInfo>>, Bytes)>,
    /// After an error in an extended-query batch, messages are discarded until Sync.
    pub(super) awaiting_sync: bool,
    /// Since when ReadyForQuery was the last thing sent: the session is idle,
    /// waiting for its client's next query, and the idle timeouts run from then
    /// (as in PostgreSQL, not in the middle of an extended-query batch; the
    /// notifications sent meanwhile do not restart them).
    awaiting_query_since: Option<Instant>,
    /// Keeps this session reachable by cancel requests while the connection lives.
    _registration: Registration,
    /// What the session does, for `pg_stat_activity`: told what each query
    /// message runs and what the session waits in at each ReadyForQuery.
    pub(super) activity: Arc<SessionActivity>,
    /// Keeps `activity` listed while the connection lives.
    _activity_registration: ActivityRegistration,
    /// This session's slot of `WireContext::sessions`, freed when it ends.
    _slot: OwnedSemaphorePermit,
}

/// Serves one client until it disconnects, breaks the protocol, or the server shuts
/// down. Logs the connection's opening and closing with its peer and duration.
pub async fn serve(tcp: TcpStream, ctx: Arc<WireContext>, shutdown: watch::Receiver<bool>) {
    let peer = tcp
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| "unknown".into());
    let started = Instant::now();
    tracing::info!(%peer, "connection opened");
    let outcome = match open(tcp, &ctx).await {
        Ok(Some(conn)) => conn.run(shutdown).await,
        Ok(None) => Ok(()),
        Err(e) => Err(e),
    };
    let duration_ms = started.elapsed().as_millis() as u64;
    match outcome {
        Ok(()) => tracing::info!(%peer, duration_ms, "connection closed"),
        Err(e) => {
            tracing::info!(%peer, duration_ms, error = %e, "connection closed by a socket error")
        }
    }
}

/// SSL/GSS negotiation (both refused with `N`), then the size-checking stream.
async fn negotiate(tcp: TcpStream, limits: &Limits) -> io::Result<Option<Socket>> {
    let negotiated = tokio::time::timeout(
        Duration::from_millis(STARTUP_TIMEOUT_MS),
        negotiate_tls::<()>(tcp, None),
    )
    .await;
    // None: a direct TLS handshake, which we cannot serve without a certificate.
    let Ok(Some(framed)) = negotiated? else {
        return Ok(None);
    };
    let parts = framed.into_parts();
    let mut limit = FrameLimit::new(limits.message_bytes_max);
    if limit.observe(&parts.read_buf).is_err() {
        return Ok(None);
    }
    let mut new_parts = FramedParts::new(LimitedStream::new(parts.io, limit), parts.codec);
    new_parts.read_buf = parts.read_buf;
    new_parts.write_buf = parts.write_buf;
    let mut socket = Framed::from_parts(new_parts);
    socket.set_state(PgWireConnectionState::AwaitingStartup);
    Ok(Some(socket))
}

/// The first message after negotiation, within the startup timeout.
async fn first_message(socket: &mut Socket) -> Option<PgWireFrontendMessage> {
    let next = tokio::time::timeout(
        Duration::from_millis(STARTUP_TIMEOUT_MS),
        next_message(socket),
    )
    .await;
    match next {
        Ok(Ok(message)) => message,
        Ok(Err(Fault::Client(e))) => {
            let _ = send_fatal(socket, &e).await;
            None
        }
        _ => None,
    }
}

/// Negotiation and startup: trust authentication, ParameterStatus, BackendKeyData,
/// ReadyForQuery. None when the connection ended during startup (a cancel request,
/// a refused startup, a client that went away).
async fn open(tcp: TcpStream, ctx: &Arc<WireContext>) -> io::Result<Option<Connection>> {
    let peer = tcp.peer_addr()?;
    let local = tcp.local_addr()?;
    let Some(mut socket) = negotiate(tcp, &ctx.limits).await? else {
        return Ok(None);
    };
    let startup = match first_message(&mut socket).await {
        Some(PgWireFrontendMessage::Startup(startup)) => startup,
        Some(PgWireFrontendMessage::CancelRequest(c)) => {
            let found = ctx.cancels.cancel(c.pid, &c.secret_key);
            tracing::info!(pid = c.pid, found, "cancel request");
            return Ok(None);
        }
        Some(_) => {
            send_fatal(
                &mut socket,
                &WireError::Protocol("expected a startup message".into()).into(),
            )
            .await?;
            return Ok(None);
        }
        None => return Ok(None),
    };
    let Ok(slot) = ctx.sessions.clone().try_acquire_owned() else {
        tracing::warn!(%peer, "connection refused: too many clients");
        send_fatal(&mut socket, &WireError::TooManyConnections.into()).await?;
        return Ok(None);
    };
    match start_session(&mut socket, ctx, (peer, local), &startup).await {
        Ok((session, registration, (activity, activity_registration))) => Ok(Some(Connection {
            socket,
            ctx: ctx.clone(),
            session,
            statements: ByName::default(),
            recent_parses: RecentParses::default(),
            portals: ByName::default(),
            row_description: None,
            awaiting_sync: false,
            awaiting_query_since: Some(Instant::now()),
            _registration: registration,
            activity,
            _activity_registration: activity_registration,
            _slot: slot,
        })),
        Err(Fault::Client(e)) => {
            tracing::info!(%peer, error = %e, "startup refused");
            send_fatal(&mut socket, &e).await?;
            Ok(None)
        }
        Err(Fault::Io(e)) => Err(e),
    }
}

async fn start_session(
    socket: &mut Socket,
    ctx: &Arc<WireContext>,
    (peer, local): (SocketAddr, SocketAddr),
    startup: &Startup,
) -> Result<
    (
        Session,
        Registration,
        (Arc<SessionActivity>, ActivityRegistration),
    ),
    Fault,
> {
    pgwire::api::auth::protocol_negotiation(socket, startup)
        .await
        .map_err(pgwire_fault)?;
    if !peer.ip().is_loopback() {
        return Err(WireError::NotLoopback(peer.ip().to_string()).into());
    }
    let user = startup.parameters.get("user").cloned().unwrap_or_default();
    if user.is_empty() {
        return Err(WireError::Protocol(
            "no PostgreSQL user name specified in startup packet".into(),
        )
        .into());
    }
    let defaults = SessionDefaults {
        user: user.clone(),
        statement_timeout_ms: ctx.statement_timeout_ms,
        max_connections: ctx.max_connections,
        synchronous_commit: ctx.synchronous_commit,
    };
    let settings = Settings::new(
        &defaults,
        startup
            .parameters
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str())),
    )?;
    let mut session = Session::new(ctx.engine.clone(), settings);
    session.set_rows_max(ctx.limits.rows_per_statement_max);
    session.set_block_changes_max(ctx.limits.block_changes_max);
    session.settings_mut().take_changes();
    let keys = &ctx.keys;
    let generate = || keys.generate(&*socket);
    let (registration, pid, secret) = ctx
        .cancels
        .register_unique(generate, session.cancel_handle());
    socket.set_pid_and_secret_key(pid, secret.clone());
    session.set_backend_pid(pid);
    let application_name = session
        .settings()
        .show("application_name")
        .map(|(_, name)| name)
        .unwrap_or_default();
    let activity = ctx.engine.activities().register(SessionActivity::new(
        pid,
        user.clone(),
        session.settings().database().to_string(),
        (peer, local),
        application_name,
        session.cancel_handle(),
    ));
    session.set_activity(activity.0.clone());
    socket
        .feed(PgWireBackendMessage::Authentication(Authentication::Ok))
        .await
        .map_err(io)?;
    for (name, value) in session.settings().reported() {
        socket
            .feed(PgWireBackendMessage::ParameterStatus(ParameterStatus::new(
                name.to_owned(),
                value,
            )))
            .await
            .map_err(io)?;
    }
    socket
        .feed(PgWireBackendMessage::BackendKeyData(BackendKeyData::new(
            pid, secret,
        )))
        .await
        .map_err(io)?;
    socket
        .feed(PgWireBackendMessage::ReadyForQuery(ReadyForQuery::new(
            TransactionStatus::Idle,
        )))
        .await
        .map_err(io)?;
    socket.flush().await.map_err(io)?;
    socket.set_state(PgWireConnectionState::ReadyForQuery);
    tracing::debug!(%peer, %user, database = startup.parameters.get("database").map(String::as_str).unwrap_or(""), "session started");
    Ok((session, registration, activity))
}

fn pgwire_fault(e: PgWireError) -> Fault {
    match e {
        PgWireError::IoError(e) => Fault::Io(e),
        other => Fault::Client(WireError::Protocol(other.to_string()).into()),
    }
}

/// Reads the next message. A decoding failure (including a panic in the decoder on
/// a malformed message) or an oversized message is a fatal [`WireError`]; None is
/// a clean end of the stream. The text verdict of a Query or Parse is taken here,
/// as the message is, so that the verdicts stay in step with the messages whatever
/// the caller does with them; whoever answers the message asks for it
/// (`LimitedStream::take_text_fault`).
pub(super) async fn next_message(
    socket: &mut Socket,
) -> Result<Option<PgWireFrontendMessage>, Fault> {
    match AssertUnwindSafe(socket.next()).catch_unwind().await {
        Err(_) => Err(WireError::Protocol("malformed message".into()).into()),
        Ok(None) => Ok(None),
        Ok(Some(Ok(message))) => {
            if matches!(
                message,
                PgWireFrontendMessage::Query(_) | PgWireFrontendMessage::Parse(_)
            ) {
                socket.get_mut().text_message_decoded();
            }
            Ok(Some(message))
        }
        Ok(Some(Err(PgWireError::IoError(e)))) => {
            let limit_error = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<WireError>())
                .cloned();
            match limit_error {
                Some(wire) => Err(wire.into()),
                None => Err(Fault::Io(e)),
            }
        }
        Ok(Some(Err(e))) => Err(WireError::Protocol(e.to_string()).into()),
    }
}

/// Queues a message that is already encoded (a cached RowDescription), behind
/// everything fed before it: `feed` encodes each message into the same write
/// buffer, and first flushes it once it has grown past the back-pressure
/// boundary, as this does.
pub(super) async fn feed_encoded(socket: &mut Socket, encoded: &[u8]) -> Result<(), Fault> {
    if socket.write_buffer().len() >= socket.backpressure_boundary() {
        socket.flush().await.map_err(io)?;
    }
    socket.write_buffer_mut().extend_from_slice(encoded);
    Ok(())
}

/// The error of an idle timeout once it expires; never without one.
async fn expire(timeout: Option<(Duration, WireError)>) -> WireError {
    match timeout {
        Some((after, err)) => {
            tokio::time::sleep(after).await;
            err
        }
        None => std::future::pending().await,
    }
}

/// Sends a FATAL ErrorResponse and flushes; the caller then drops the connection.
async fn send_fatal(socket: &mut Socket, err: &Error) -> io::Result<()> {
    socket
        .send(PgWireBackendMessage::ErrorResponse(error_response(
            err,
            SEVERITY_FATAL,
        )))
        .await
}

impl Connection {
    /// The message loop. Waits for shutdown only between messages, so a statement
    /// that is running finishes and its client gets the answer.
    async fn run(mut self, mut shutdown: watch::Receiver<bool>) -> io::Result<()> {
        // Armed once for the connection's life rather than in every wait for
        // the client: a `Notified` set up and dropped per message costs as
        // much as the shutdown watch's (below).
        let activity = self.activity.clone();
        let mut terminated = pin!(activity.terminated());
        loop {
            if self.activity.is_terminating() {
                return self.send_terminated().await;
            }
            // A message already buffered (the rest of a pipelined Bind/Describe/
            // Execute/Sync) is taken without arming the shutdown watch: setting up
            // and dropping its `Notified` for every message was ~4% of pgbench -M
            // prepared `SELECT 1`. Shutdown is still seen between messages: a
            // changed watch skips this path, and an idle socket waits on both.
            let ready = match shutdown.has_changed() {
                Ok(false) => next_message(&mut self.socket).now_or_never(),
                _ => None,
            };
            let next = match ready {
                Some(next) => next,
                None => {
                    let idle_timeout = self.idle_timeout();
                    // Notifications reach a client between transactions only;
                    // a session that listens on nothing has none to wait for.
                    let notifiable = self.awaiting_query_since.is_some()
                        && self.session.transaction_state() == TransactionState::Idle
                        && self.session.listens();
                    tokio::select! {
                        biased;
                        _ = shutdown.changed() => {
                            let err = Error::Turnstile(TurnstileError::ShuttingDown);
                            return send_fatal(&mut self.socket, &err).await;
                        }
                        () = &mut terminated => {
                            return self.send_terminated().await;
                        }
                        next = next_message(&mut self.socket) => next,
                        notification = self.session.next_notification(), if notifiable => {
                            self.feed_notification(notification).await?;
                            self.feed_notifications().await?;
                            self.socket.flush().await?;
                            continue;
                        }
                        err = expire(idle_timeout) => {
                            tracing::info!(peer = %self.socket.socket_addr(), error = %err, "closing an idle session");
                            return send_fatal(&mut self.socket, &err.into()).await;
                        }
                    }
                }
            };
            self.awaiting_query_since = None;
            let flow = match next {
                Ok(Some(message)) => self.dispatch(message).await,
                Ok(None) => Ok(Flow::Close),
                Err(fault) => Err(fault),
            };
            match flow {
                Ok(Flow::Continue) => {}
                Ok(Flow::Close) => return Ok(()),
                Err(Fault::Io(e)) => return Err(e),
                Err(Fault::Client(Error::Wire(WireError::Terminated))) => {
                    return self.send_terminated().await;
                }
                Err(Fault::Client(e)) => {
                    tracing::warn!(peer = %self.socket.socket_addr(), error = %e, "closing the connection after a protocol error");
                    return send_fatal(&mut self.socket, &e).await;
                }
            }
        }
    }

    /// Ends the session `pg_terminate_backend` ended: FATAL 57P01.
    async fn send_terminated(&mut self) -> io::Result<()> {
        tracing::info!(peer = %self.socket.socket_addr(), "terminating a session (pg_terminate_backend)");
        send_fatal(&mut self.socket, &WireError::Terminated.into()).await
    }

    /// How long the session may stay idle now, and the error that ends it
    /// then: none unless it waits for a query (see `awaiting_query_since`). A block
    /// holds no lock while it waits (see `sql::block`), so this bounds what an
    /// abandoned block keeps: its session slot and its changes in memory.
    fn idle_timeout(&self) -> Option<(Duration, WireError)> {
        let idle_since = self.awaiting_query_since?;
        let in_block = self.session.transaction_state() != TransactionState::Idle;
        let timeout = self.session.settings().idle_timeout(in_block)?;
        let err = if in_block {
            WireError::IdleInTransactionTimeout
        } else {
            WireError::IdleSessionTimeout
        };
        Some((timeout.saturating_sub(idle_since.elapsed()), err))
    }

    /// Routes one message. Errors of extended-query messages are answered here and
    /// start the skip-to-Sync; only fatal ones come back as `Err`. Flush is not
    /// skipped: it sends what is queued, the ErrorResponse included, as PostgreSQL
    /// does. asyncpg sends Parse, Describe, Flush and waits for the answer before
    /// it sends Sync, so holding the error until Sync left it waiting forever.
    async fn dispatch(&mut self, message: PgWireFrontendMessage) -> Result<Flow, Fault> {
        use PgWireFrontendMessage as M;
        if self.awaiting_sync && !matches!(message, M::Sync(_) | M::Flush(_) | M::Terminate(_)) {
            return Ok(Flow::Continue);
        }
        let result = match message {
            M::Query(query) => {
                let text_fault = self.socket.get_mut().take_text_fault();
                return self
                    .simple_query(&query.query, text_fault)
                    .await
                    .map(|()| Flow::Continue);
            }
            M::Parse(parse) => match self.socket.get_mut().take_text_fault() {
                Some(fault) => Err(fault.into()),
                None => self.on_parse(parse).await,
            },
            M::Bind(bind) => self.on_bind(bind).await,
            M::Describe(describe) => self.on_describe(describe).await,
            M::Execute(execute) => self.on_execute(execute).await,
            M::Close(close) => self.on_close(close).await,
            M::Sync(_) => return self.on_sync().await.map(|()| Flow::Continue),
            M::Flush(_) => {
                return self
                    .socket
                    .flush()
                    .await
                    .map(|()| Flow::Continue)
                    .map_err(io)
            }
            M::Terminate(_) => return Ok(Flow::Close),
            // Outside COPY these are ignored, as PostgreSQL does: they are left over
            // from a COPY that failed.
            M::CopyData(_) | M::CopyDone(_) | M::CopyFail(_) => return Ok(Flow::Continue),
            other => {
                let name = format!("{other:?}");
                let name = name.split(['(', ' ']).next().unwrap_or("");
                return Err(WireError::Protocol(format!("unexpected {name} message")).into());
            }
        };
        match result {
            Ok(()) => Ok(Flow::Continue),
            Err(Fault::Client(e)) if !is_fatal(&e) => {
                self.feed_error(&e, "").await?;
                self.awaiting_sync = true;
                self.session.fail_block();
                Ok(Flow::Continue)
            }
            Err(fault) => Err(fault),
        }
    }

    /// Sync ends an extended-query batch: ReadyForQuery and one flush for everything
    /// the batch produced. Outside a transaction block the batch's implicit
    /// transaction ends, and with it every portal, as in PostgreSQL.
    async fn on_sync(&mut self) -> Result<(), Fault> {
        let failed = std::mem::take(&mut self.awaiting_sync);
        // The batch's implicit transaction (see `on_execute`) ends here: committed,
        // or rolled back after an error; a failed commit is the batch's error.
        if let Err(e) = self.session.end_implicit(!failed).await {
            self.feed_error(&e, "COMMIT").await?;
        }
        if self.session.transaction_state() == TransactionState::Idle {
            self.portals.clear();
        }
        self.feed_ready().await?;
        self.socket.flush().await.map_err(io)
    }

    /// True if the next message, already received, is Sync: the statement being
    /// executed is the last of its batch.
    pub(super) fn sync_is_next(&self) -> bool {
        let buffered = self.socket.read_buffer();
        buffered.first() == Some(&b'S') && buffered.get(1..5) == Some(&4u32.to_be_bytes()[..])
    }

    /// Queues an ErrorResponse (sent at the next flush). Internal errors are logged
    /// with the statement they came from.
    pub(super) async fn feed_error(&mut self, err: &Error, statement: &str) -> Result<(), Fault> {
        self.feed_error_with_literals(err, statement, &[]).await
    }

    /// [`Connection::feed_error`] for a simple query that ran as a template with
    /// `literals` as its parameters (see `error_response_with_literals`).
    pub(super) async fn feed_error_with_literals(
        &mut self,
        err: &Error,
        statement: &str,
        literals: &[crate::types::Value],
    ) -> Result<(), Fault> {
        if err.sqlstate() == "XX000" {
            tracing::error!(peer = %self.socket.socket_addr(), error = %err, statement, "internal error");
        }
        // A statement pg_terminate_backend stopped: the session ends with its
        // FATAL, as PostgreSQL's does, not with the cancel's 57014.
        if err.sqlstate() == "57014" && self.activity.is_terminating() {
            return Err(WireError::Terminated.into());
        }
        let warnings = self.session.take_warnings_of_failed();
        self.feed_notices(warnings).await?;
        self.socket
            .feed(PgWireBackendMessage::ErrorResponse(
                error_response_with_literals(err, SEVERITY_ERROR, literals),
            ))
            .await
            .map_err(io)
    }

    pub(super) async fn feed_ready(&mut self) -> Result<(), Fault> {
        if self.session.transaction_state() == TransactionState::Idle {
            self.feed_notifications().await.map_err(io)?;
        }
        self.awaiting_query_since = Some(Instant::now());
        self.activity.ready(self.session.transaction_state());
        let status = match self.session.transaction_state() {
            TransactionState::Idle => TransactionStatus::Idle,
            TransactionState::InBlock => TransactionStatus::Transaction,
            TransactionState::Failed => TransactionStatus::Error,
        };
        self.socket
            .feed(PgWireBackendMessage::ReadyForQuery(ReadyForQuery::new(
                status,
            )))
            .await
            .map_err(io)
    }

    /// A NotificationResponse for each notification queued for the session.
    async fn feed_notifications(&mut self) -> io::Result<()> {
        while let Some(notification) = self.session.try_next_notification() {
            self.feed_notification(notification).await?;
        }
        Ok(())
    }

    async fn feed_notification(&mut self, notification: Notification) -> io::Result<()> {
        let Notification {
            pid,
            channel,
            payload,
        } = notification;
        self.socket
            .feed(PgWireBackendMessage::NotificationResponse(
                NotificationResponse::new(pid, channel, payload),
            ))
            .await
    }

    /// A NoticeResponse for each notice a statement raised that the session's
    /// `client_min_messages` lets through, in order.
    pub(super) async fn feed_notices(&mut self, notices: Vec<Notice>) -> Result<(), Fault> {
        for notice in &notices {
            if !self.client_wants(notice.severity()) {
                continue;
            }
            self.socket
                .feed(PgWireBackendMessage::NoticeResponse(notice_response(
                    notice,
                )))
                .await
                .map_err(io)?;
        }
        Ok(())
    }

    /// Whether `client_min_messages` sends messages of `severity`: it names the
    /// least severe level sent, in PostgreSQL's order (debug5 … debug1, log,
    /// notice, warning, error), each level sending those after it.
    fn client_wants(&self, severity: Severity) -> bool {
        let least = self
            .session
            .settings()
            .show("client_min_messages")
            .map(|(_, level)| level)
            .unwrap_or_default();
        match least.as_str() {
            "error" => false,
            "warning" => severity == Severity::Warning,
            _ => true,
        }
    }

    /// ParameterStatus for each reported setting the last statement changed.
    pub(super) async fn feed_setting_changes(&mut self) -> Result<(), Fault> {
        for (name, value) in self.session.settings_mut().take_changes() {
            if name == "application_name" {
                self.activity.set_application_name(&value);
            }
            let message = ParameterStatus::new(name.to_owned(), value);
            self.socket
                .feed(PgWireBackendMessage::ParameterStatus(message))
                .await
                .map_err(io)?;
        }
        Ok(())
    }

    /// Runs one statement: SQL's PREPARE, EXECUTE and DEALLOCATE here, on this
    /// connection's named statements (see `prepare`), everything else through the
    /// session. `portal` names the portal running it (extended protocol), which
    /// outlives the end of the block it ends; every other portal ends with the block.
    pub(super) async fn run_statement(
        &mut self,
        prepared: &crate::sql::PreparedStatement,
        params: &[crate::types::Value],
        portal: Option<&str>,
    ) -> Result<Output, Error> {
        let result = match maybe_sql_command(prepared.statement()) {
            Ok(None) => return self.run_in_session(prepared, params, portal).await,
            Ok(Some(command)) => self.run_sql_command(command, portal).await,
            Err(e) => Err(e.into()),
        };
        if result.is_err() {
            // As any failed statement does, this one fails the block it is in.
            self.session.fail_block();
        }
        result
    }

    /// Runs one statement through the session, logging it if it was slow. The row
    /// limit is the executor's (`QueryContext::rows_max`), so a write over it rolls back.
    pub(super) async fn run_in_session(
        &mut self,
        prepared: &crate::sql::PreparedStatement,
        params: &[crate::types::Value],
        portal: Option<&str>,
    ) -> Result<Output, Error> {
        let started = Instant::now();
        let before = self.session.transaction_state();
        let result = self.session.execute(prepared, params).await;
        if before != TransactionState::Idle
            && self.session.transaction_state() == TransactionState::Idle
        {
            // Portals live as long as their transaction, as in PostgreSQL (34000
            // after COMMIT or ROLLBACK).
            self.portals.retain(|name| Some(name) == portal);
        }
        let elapsed = started.elapsed();
        if self.ctx.slow_statement.is_some_and(|min| elapsed >= min) {
            let duration_ms = elapsed.as_secs_f64() * 1000.0;
            let statement = prepared.statement();
            if params.is_empty() {
                tracing::info!(duration_ms, %statement, "slow statement");
            } else {
                // A templated simple query logs as its template and its literals.
                tracing::info!(duration_ms, %statement, ?params, "slow statement");
            }
        }
        result
    }
}

fn is_fatal(e: &Error) -> bool {
    matches!(e, Error::Wire(w) if w.is_fatal())
}
