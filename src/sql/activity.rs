//! What every session is doing, for `pg_stat_activity`, `pg_cancel_backend`
//! and `pg_terminate_backend`.
//!
//! The wire layer registers each session when it starts and tells its activity
//! what it runs: the text of each query message (`running`) and, at each
//! ReadyForQuery, what it waits in (`ready`). A session's entry is its own small
//! mutex, taken for a field update only, never across an await; the registry's
//! mutex is taken to add, remove or list entries. Nothing here touches the
//! database lock.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::Poll;

use futures::task::AtomicWaker;
use parking_lot::Mutex;

use super::session::{CancelHandle, TransactionState};
use crate::types::now_us;

/// Every live session's activity.
#[derive(Debug)]
pub struct Activities {
    sessions: Mutex<BTreeMap<i32, Arc<SessionActivity>>>,
    /// When the server started, µs since 2000 (`pg_postmaster_start_time()`).
    started_us: i64,
}

impl Default for Activities {
    fn default() -> Activities {
        Activities {
            sessions: Mutex::default(),
            started_us: now_us(),
        }
    }
}

impl Activities {
    /// When the server started (made its engine), µs since 2000.
    pub fn started_us(&self) -> i64 {
        self.started_us
    }

    /// The session `pid`, if it is live.
    pub fn session(&self, pid: i32) -> Option<Arc<SessionActivity>> {
        self.sessions.lock().get(&pid).cloned()
    }

    /// Adds `activity` under its process id until the returned registration is
    /// dropped.
    pub fn register(
        self: &Arc<Self>,
        activity: SessionActivity,
    ) -> (Arc<SessionActivity>, ActivityRegistration) {
        let pid = activity.pid;
        let activity = Arc::new(activity);
        self.sessions.lock().insert(pid, activity.clone());
        let registration = ActivityRegistration {
            activities: self.clone(),
            pid,
        };
        (activity, registration)
    }

    /// The sessions now, by process id.
    pub fn sessions(&self) -> Vec<Arc<SessionActivity>> {
        self.sessions.lock().values().cloned().collect()
    }

    /// `pg_cancel_backend(pid)`: asks the session's running statement to stop
    /// (57014), as a cancel request does; false if no session has that pid.
    pub fn cancel(&self, pid: i32) -> bool {
        let Some(session) = self.session(pid) else {
            return false;
        };
        session.cancel.cancel();
        true
    }

    /// `pg_terminate_backend(pid)`: ends the session, stopping its running
    /// statement first (see [`SessionActivity::terminate`]); false if no
    /// session has that pid.
    pub fn terminate(&self, pid: i32) -> bool {
        let Some(session) = self.session(pid) else {
            return false;
        };
        session.terminate();
        true
    }
}

/// Removes a session's activity when its connection ends.
#[derive(Debug)]
pub struct ActivityRegistration {
    activities: Arc<Activities>,
    pid: i32,
}

impl Drop for ActivityRegistration {
    fn drop(&mut self) {
        self.activities.sessions.lock().remove(&self.pid);
    }
}

/// One session: who and where it is, fixed, and what it does now.
#[derive(Debug)]
pub struct SessionActivity {
    pub pid: i32,
    pub user: String,
    pub database: String,
    /// Where the client connects from (`inet_client_addr()`).
    pub client: SocketAddr,
    /// The server address it connected to (`inet_server_addr()`).
    pub server: SocketAddr,
    /// When the connection started, µs since 2000 (as a timestamptz).
    pub backend_start_us: i64,
    cancel: Arc<CancelHandle>,
    now: Mutex<Now>,
    /// Wakes the wire layer waiting for its client when the session is
    /// terminated: the one waiter there is, polled at every wait for a
    /// message, which a `Notify` made cost ~300 instructions a statement.
    terminated: AtomicWaker,
}

/// What a session does now, as `pg_stat_activity` shows it.
#[derive(Debug, Clone)]
pub struct Now {
    pub state: SessionState,
    /// The text of the query message running, or of the last one.
    pub query: Arc<str>,
    pub application_name: String,
    /// When the query, the transaction block and the state began, µs since
    /// 2000; None before the first query and outside a block.
    pub query_start_us: Option<i64>,
    pub xact_start_us: Option<i64>,
    pub state_change_us: i64,
    /// What an active session waits for, if anything.
    pub wait_event: Option<WaitEvent>,
}

/// What an active session waits for, by PostgreSQL's names for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitEvent {
    /// Another session's advisory lock (`sql::advisory`).
    AdvisoryLock,
    /// `pg_sleep`'s time.
    Sleep,
}

impl WaitEvent {
    /// `pg_stat_activity`'s `wait_event_type` and `wait_event`.
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            WaitEvent::AdvisoryLock => ("Lock", "advisory"),
            WaitEvent::Sleep => ("Timeout", "PgSleep"),
        }
    }
}

/// `pg_stat_activity.state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    Active,
    Idle,
    IdleInTransaction,
    IdleInTransactionAborted,
}

impl SessionState {
    pub fn name(self) -> &'static str {
        match self {
            SessionState::Active => "active",
            SessionState::Idle => "idle",
            SessionState::IdleInTransaction => "idle in transaction",
            SessionState::IdleInTransactionAborted => "idle in transaction (aborted)",
        }
    }
}

impl SessionActivity {
    /// A session that has just connected: idle, no query yet.
    pub fn new(
        pid: i32,
        user: String,
        database: String,
        (client, server): (SocketAddr, SocketAddr),
        application_name: String,
        cancel: Arc<CancelHandle>,
    ) -> SessionActivity {
        let started = now_us();
        SessionActivity {
            pid,
            user,
            database,
            client,
            server,
            backend_start_us: started,
            cancel,
            terminated: AtomicWaker::new(),
            now: Mutex::new(Now {
                state: SessionState::Idle,
                query: Arc::from(""),
                application_name,
                query_start_us: None,
                xact_start_us: None,
                state_change_us: started,
                wait_event: None,
            }),
        }
    }

    /// The session runs the query message `query` (a query string, or an
    /// Execute of a prepared statement's text), kept to its first
    /// [`QUERY_BYTES_MAX`] bytes.
    pub fn running(&self, query: &Arc<str>) {
        let query = if query.len() > QUERY_BYTES_MAX {
            Arc::from(truncated(query, QUERY_BYTES_MAX))
        } else {
            query.clone()
        };
        let at = now_us();
        let mut now = self.now.lock();
        now.state = SessionState::Active;
        now.query = query;
        now.query_start_us = Some(at);
        now.xact_start_us.get_or_insert(at);
        now.state_change_us = at;
        now.wait_event = None;
    }

    /// The running statement starts (`Some`) or stops (`None`) waiting.
    pub fn set_wait_event(&self, wait_event: Option<WaitEvent>) {
        self.now.lock().wait_event = wait_event;
    }

    /// [`SessionActivity::running`] of a query string the session does not keep
    /// (a simple Query's): only what is kept is copied.
    pub fn running_text(&self, query: &str) {
        self.running(&Arc::from(truncated(query, QUERY_BYTES_MAX)));
    }

    /// The session waits for its client, in `transaction`'s state.
    pub fn ready(&self, transaction: TransactionState) {
        let at = now_us();
        let mut now = self.now.lock();
        now.wait_event = None;
        now.state = match transaction {
            TransactionState::Idle => {
                now.xact_start_us = None;
                SessionState::Idle
            }
            TransactionState::InBlock => SessionState::IdleInTransaction,
            // PostgreSQL shows no transaction start for a failed block.
            TransactionState::Failed => {
                now.xact_start_us = None;
                SessionState::IdleInTransactionAborted
            }
        };
        now.state_change_us = at;
    }

    /// The client set `application_name`.
    pub fn set_application_name(&self, name: &str) {
        self.now.lock().application_name = name.to_owned();
    }

    /// What the session does now.
    pub fn now(&self) -> Now {
        self.now.lock().clone()
    }

    /// Ends the session: its running statement stops (57014), and the wire
    /// layer closes the connection with FATAL 57P01 once it has answered.
    /// It is sticky: a statement that starts after it is stopped at once, so
    /// none runs on, whenever the call comes.
    pub fn terminate(&self) {
        self.cancel.terminate();
        self.terminated.wake();
    }

    /// True once [`SessionActivity::terminate`] was called.
    pub fn is_terminating(&self) -> bool {
        self.cancel.is_terminating()
    }

    /// Completes once the session is to end. One task at a time may wait
    /// (the connection's).
    pub fn terminated(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(|cx| {
            if self.is_terminating() {
                return Poll::Ready(());
            }
            self.terminated.register(cx.waker());
            // Read again once registered, so a terminate in between is seen.
            if self.is_terminating() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
    }
}

/// How much of a query's text `pg_stat_activity` keeps, as PostgreSQL's
/// `track_activity_query_size` (1024 bytes by default): a session's entry holds
/// no more than this whatever it sent.
pub const QUERY_BYTES_MAX: usize = 1024;

/// The longest prefix of `text` within `max` bytes that ends on a character.
fn truncated(text: &str, max: usize) -> &str {
    if text.len() <= max {
        // Past the end is no character boundary: stepping back from `max` one
        // byte at a time cost a simple query 6,000 instructions (callgrind).
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A long query is kept to its first 1024 bytes, cut on a character.
    #[test]
    fn long_queries_are_truncated_on_a_character() {
        let activity = SessionActivity::new(
            1,
            "u".into(),
            "d".into(),
            (
                "127.0.0.1:1".parse().unwrap(),
                "127.0.0.1:2".parse().unwrap(),
            ),
            String::new(),
            Arc::default(),
        );
        let long: Arc<str> = Arc::from(format!("{}é{}", "a".repeat(1023), "b".repeat(10)));
        activity.running(&long);
        assert_eq!(&*activity.now().query, "a".repeat(1023));
        let short: Arc<str> = Arc::from("select 1");
        activity.running(&short);
        assert_eq!(&*activity.now().query, "select 1");
    }
}
