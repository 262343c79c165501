//! The PostgreSQL protocol (v3) over TCP, with pgwire for message framing.
//!
//! # Life of a connection
//! 1. `server` accepts a socket and spawns [`serve`] for it, up to a bound on
//!    connections that counts those still in their handshake as well as sessions.
//! 2. SSLRequest and GSSENCRequest are answered `N` (pgwire's negotiation with no TLS
//!    acceptor). From here on a `frame::FrameLimit` watches every message header
//!    and refuses a message over the size limit before buffering it.
//! 3. Startup: a session slot (`--max-connections` of them; with none free, FATAL
//!    53300), trust authentication for any user on loopback; ParameterStatus for
//!    every reported setting; BackendKeyData, registered so cancel requests can find
//!    the session; ReadyForQuery.
//! 4. The message loop: Query (`simple`) or Parse/Bind/Describe/Execute/Close/Sync/
//!    Flush (`extended`). Statements go through the [`crate::sql::Session`], which
//!    handles SET/SHOW/BEGIN/… itself and passes the rest to the engine, except
//!    SQL's PREPARE/EXECUTE/DEALLOCATE, which work on this connection's named
//!    statements, the ones Parse makes (`prepare`). COPY runs
//!    its own sub-protocol (`copy`) in either. The notices a statement raised
//!    (NOTICE, WARNING) go before its CommandComplete. Answers are queued and
//!    flushed once per Query, Sync or Flush (and before a COPY waits for data).
//! 5. Errors: a statement error is an ErrorResponse and the session goes on (in an
//!    extended batch, later messages but Flush are skipped until Sync, as PostgreSQL
//!    does; Flush still sends what is queued, the ErrorResponse included). A
//!    malformed or oversized message is FATAL for this connection only.
//! 6. The connection ends on Terminate, EOF, a fatal error, or server shutdown (which
//!    waits for the running statement, then sends FATAL 57P01).
//!
//! We use pgwire's codec and message types but not its query handler traits: owning
//! the loop lets us choose when to flush, keep one transaction state (the
//! session's), send FATAL for malformed input instead of dropping the socket, and
//! bound message sizes.

mod by_name;
mod cancel;
pub mod codec;
mod connection;
mod copy;
mod error;
mod extended;
mod frame;
mod limits;
mod messages;
mod prepare;
mod simple;
mod stream;

pub use cancel::CancelRegistry;
pub use connection::{serve, WireContext};
pub use error::WireError;
pub use limits::{
    Limits, BLOCK_CHANGES_MAX_DEFAULT, COPY_BYTES_MAX_DEFAULT, MESSAGE_BYTES_MAX_DEFAULT,
    PARAMETERS_MAX_DEFAULT, ROWS_PER_STATEMENT_MAX_DEFAULT, STARTUP_TIMEOUT_MS,
    STATEMENT_BYTES_MAX_DEFAULT,
};
