//! `LISTEN`, `UNLISTEN`, `NOTIFY` and `pg_notify`: messages between sessions,
//! sent when the sender's transaction commits, as PostgreSQL sends them.
//!
//! A session listens on channels (identifiers; `LISTEN` in a block takes effect
//! at its COMMIT). A `NOTIFY channel, 'payload'` (or `pg_notify(channel,
//! payload)` in a query) is held until its transaction commits — the statement
//! itself outside a block, the block's COMMIT inside one — and is then sent to
//! every session listening on the channel, the sender included; a transaction
//! that fails or rolls back sends nothing, and `ROLLBACK TO SAVEPOINT` takes back
//! what was asked after the savepoint. Within one transaction a notification
//! identical to an earlier one (channel and payload) is sent once, and a
//! transaction's notifications reach every listener together and in order.
//! Transaction blocks send in the order they commit (they take turns, see
//! `NotifyHub::commit_order`); a statement outside a block that calls
//! `pg_notify` sends when its session gets its answer, which for two such
//! statements committing at nearly the same moment may be in either order.
//!
//! # Delivery
//! Each session has a queue ([`Listener`]) the [`NotifyHub`] sends into at the
//! sender's commit, under the hub's mutex (so every listener gets each commit's
//! notifications in the same order), never under the database lock. The wire
//! layer sends what is queued as NotificationResponse messages only while the
//! session is between transactions: before ReadyForQuery, and while it waits for
//! its client outside a block. Inside a block they wait for the block's end, as
//! PostgreSQL holds them back.
//!
//! # Bounds
//! A payload is shorter than 8000 bytes, a channel name at most 63 (22023, as
//! PostgreSQL's). What all the queues hold together is bounded by
//! [`QUEUE_BYTES_MAX`]: a listener that does not read its socket keeps its
//! notifications queued, and once the queues are full a NOTIFY fails (54000,
//! PostgreSQL's "too many notifications in the NOTIFY queue") instead of the
//! server's memory growing without end. `pg_notification_queue_usage()` says how
//! full they are.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::mpsc;

use super::SqlError;

/// PostgreSQL's limit: a payload must be shorter than 8000 bytes.
pub const PAYLOAD_BYTES_MAX: usize = 7999;

/// A channel name is an identifier: at most 63 bytes.
pub const CHANNEL_BYTES_MAX: usize = 63;

/// The most bytes (channel names and payloads) all sessions' queues hold
/// together.
pub const QUEUE_BYTES_MAX: usize = 64 << 20;

/// One notification, as NotificationResponse carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The sending session's process id.
    pub pid: i32,
    pub channel: String,
    pub payload: String,
}

impl Notification {
    /// What it counts for in the queues' bound.
    fn size(&self) -> usize {
        self.channel.len() + self.payload.len()
    }
}

/// Admits a NOTIFY (or `pg_notify`) of `channel` and `payload` in a
/// transaction whose notifications so far come to `bytes_before`: checks them
/// as PostgreSQL does (22023), and that the queues have room for the
/// transaction's all (54000).
pub fn admit(
    hub: &NotifyHub,
    bytes_before: usize,
    channel: &str,
    payload: &str,
) -> Result<(), SqlError> {
    check(channel, payload)?;
    hub.check_room(bytes_before + channel.len() + payload.len())
}

/// Checks a notification's channel and payload as PostgreSQL does (22023).
fn check(channel: &str, payload: &str) -> Result<(), SqlError> {
    if channel.is_empty() {
        return Err(SqlError::InvalidParameterValue(
            "channel name cannot be empty".into(),
        ));
    }
    if channel.len() > CHANNEL_BYTES_MAX {
        return Err(SqlError::InvalidParameterValue(
            "channel name too long".into(),
        ));
    }
    if payload.len() > PAYLOAD_BYTES_MAX {
        return Err(SqlError::InvalidParameterValue(
            "payload string too long".into(),
        ));
    }
    Ok(())
}

/// Every session's channels and queues.
#[derive(Debug, Default)]
pub struct NotifyHub {
    state: Mutex<HubState>,
    /// The bytes queued for all sessions and not yet taken by their wire layer.
    queued_bytes: AtomicUsize,
    /// Held by a transaction block with notifications from before its COMMIT
    /// until it has sent them, so that blocks send in the order they commit
    /// (as PostgreSQL, whose NOTIFY takes a lock at commit, does). An async
    /// mutex: a session waits for it on its own task, holding nothing another
    /// needs (a COMMIT waits for the write lock and the log, never for a
    /// session).
    commit_order: Arc<tokio::sync::Mutex<()>>,
}

#[derive(Debug, Default)]
struct HubState {
    /// The sessions listening on each channel, by process id.
    listeners: BTreeMap<String, BTreeSet<i32>>,
    /// Each session's queue.
    queues: HashMap<i32, mpsc::UnboundedSender<Notification>>,
}

impl NotifyHub {
    /// A queue for the session `pid`, listening on nothing yet.
    pub fn listener(self: &Arc<Self>, pid: i32) -> Listener {
        let (sender, receiver) = mpsc::unbounded_channel();
        Listener {
            hub: self.clone(),
            pid,
            sender,
            receiver,
            channels: BTreeSet::new(),
            has_listened: false,
        }
    }

    /// The turn of a transaction block with notifications to commit and send
    /// them (see `commit_order`).
    pub async fn commit_order(&self) -> tokio::sync::OwnedMutexGuard<()> {
        self.commit_order.clone().lock_owned().await
    }

    /// 54000 if the queues have no room for `bytes` more.
    fn check_room(&self, bytes: usize) -> Result<(), SqlError> {
        let queued = self.queued_bytes.load(Ordering::Relaxed);
        if queued.saturating_add(bytes) > QUEUE_BYTES_MAX {
            return Err(SqlError::ProgramLimitExceeded(
                "too many notifications in the NOTIFY queue".into(),
            ));
        }
        Ok(())
    }

    /// `pg_notification_queue_usage()`: how full the queues are, from 0 to 1.
    pub fn usage(&self) -> f64 {
        self.queued_bytes.load(Ordering::Relaxed) as f64 / QUEUE_BYTES_MAX as f64
    }

    /// A transaction committed: sends its notifications, each identical one
    /// once, to every session listening on their channels.
    pub fn send(&self, notifications: Vec<Notification>) {
        let mut seen = HashSet::with_capacity(notifications.len());
        let distinct: Vec<&Notification> = notifications
            .iter()
            .filter(|n| seen.insert((&n.channel, &n.payload)))
            .collect();
        let state = self.state.lock();
        for notification in distinct {
            let Some(listeners) = state.listeners.get(&notification.channel) else {
                continue;
            };
            for pid in listeners {
                let Some(queue) = state.queues.get(pid) else {
                    continue;
                };
                // Counted before it is queued: the listener's wire layer may
                // take it (and uncount it) at once.
                let size = notification.size();
                self.queued_bytes.fetch_add(size, Ordering::Relaxed);
                if queue.send(notification.clone()).is_err() {
                    self.queued_bytes.fetch_sub(size, Ordering::Relaxed);
                }
            }
        }
    }
}

/// One session's queue and the channels it listens on. Dropped with the
/// session, which stops listening.
#[derive(Debug)]
pub struct Listener {
    hub: Arc<NotifyHub>,
    pid: i32,
    /// The queue's sending end, which the hub keeps while the session listens
    /// on any channel.
    sender: mpsc::UnboundedSender<Notification>,
    receiver: mpsc::UnboundedReceiver<Notification>,
    channels: BTreeSet<String>,
    has_listened: bool,
}

impl Listener {
    pub fn hub(&self) -> &Arc<NotifyHub> {
        &self.hub
    }

    /// The process id notifications from this session carry.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// True once the session has listened on a channel: only then may its
    /// queue hold notifications.
    pub fn has_listened(&self) -> bool {
        self.has_listened
    }

    /// The channels the session listens on (`pg_listening_channels()`).
    pub fn channels(&self) -> impl Iterator<Item = &str> {
        self.channels.iter().map(String::as_str)
    }

    /// Makes a committed `LISTEN` or `UNLISTEN` take effect.
    pub fn apply(&mut self, change: ListenChange) {
        let mut state = self.hub.state.lock();
        let stop = |channel: &str, state: &mut HubState| {
            if let Some(listeners) = state.listeners.get_mut(channel) {
                listeners.remove(&self.pid);
                if listeners.is_empty() {
                    state.listeners.remove(channel);
                }
            }
        };
        let listened = !self.channels.is_empty();
        match change {
            ListenChange::Listen(channel) => {
                state.queues.insert(self.pid, self.sender.clone());
                self.has_listened = true;
                state
                    .listeners
                    .entry(channel.clone())
                    .or_default()
                    .insert(self.pid);
                self.channels.insert(channel);
            }
            ListenChange::Unlisten(channel) => {
                stop(&channel, &mut state);
                self.channels.remove(&channel);
            }
            ListenChange::UnlistenAll => {
                for channel in std::mem::take(&mut self.channels) {
                    stop(&channel, &mut state);
                }
            }
        }
        // A session that listens on nothing has no queue in the hub (a session
        // that never listens never had one).
        if listened && self.channels.is_empty() {
            state.queues.remove(&self.pid);
        }
    }

    /// The next notification queued, once there is one.
    pub async fn next(&mut self) -> Notification {
        let notification = self
            .receiver
            .recv()
            .await
            .expect("the hub keeps the session's sender while the listener lives");
        self.taken(&notification);
        notification
    }

    /// The next notification queued, if one is.
    pub fn try_next(&mut self) -> Option<Notification> {
        let notification = self.receiver.try_recv().ok()?;
        self.taken(&notification);
        Some(notification)
    }

    fn taken(&self, notification: &Notification) {
        self.hub
            .queued_bytes
            .fetch_sub(notification.size(), Ordering::Relaxed);
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.apply(ListenChange::UnlistenAll);
        // What the session never took no longer counts.
        while let Ok(notification) = self.receiver.try_recv() {
            self.taken(&notification);
        }
    }
}

/// A `LISTEN`, `UNLISTEN` or `NOTIFY` (or `pg_notify` call) of a transaction,
/// done when it commits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PendingNotify {
    Listen(ListenChange),
    Notify { channel: String, payload: String },
}

/// The bytes of the notifications among `pending`, as the queues' bound
/// counts them.
pub fn bytes<'a>(pending: impl Iterator<Item = &'a PendingNotify>) -> usize {
    pending
        .map(|p| match p {
            PendingNotify::Notify { channel, payload } => channel.len() + payload.len(),
            PendingNotify::Listen(_) => 0,
        })
        .sum()
}

/// `LISTEN` or `UNLISTEN`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenChange {
    Listen(String),
    Unlisten(String),
    UnlistenAll,
}

/// The `pg_notify` calls of a statement: they join its transaction's
/// notifications if it succeeds.
#[derive(Debug, Default)]
pub struct StatementNotifications(Mutex<Vec<(String, String)>>);

impl StatementNotifications {
    /// `pg_notify(channel, payload)`, in a transaction whose notifications so
    /// far (before this statement's) come to `pending_bytes`: 54000 if the
    /// queues would have no room for them all.
    pub fn notify(
        &self,
        hub: &NotifyHub,
        pending_bytes: usize,
        channel: String,
        payload: String,
    ) -> Result<(), SqlError> {
        let mut notifications = self.0.lock();
        let own: usize = notifications.iter().map(|(c, p)| c.len() + p.len()).sum();
        admit(hub, pending_bytes + own, &channel, &payload)?;
        notifications.push((channel, payload));
        Ok(())
    }

    /// What the statement asked for, taken.
    pub fn take(&self) -> Vec<(String, String)> {
        std::mem::take(&mut *self.0.lock())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notification(pid: i32, channel: &str, payload: &str) -> Notification {
        Notification {
            pid,
            channel: channel.into(),
            payload: payload.into(),
        }
    }

    #[test]
    fn listeners_get_each_distinct_notification_once_in_order() {
        let hub = Arc::new(NotifyHub::default());
        let (mut a, mut b) = (hub.listener(1), hub.listener(2));
        a.apply(ListenChange::Listen("jobs".into()));
        b.apply(ListenChange::Listen("jobs".into()));
        b.apply(ListenChange::Listen("other".into()));
        hub.send(vec![
            notification(1, "jobs", "x"),
            notification(1, "other", "y"),
            notification(1, "jobs", "x"),
            notification(1, "jobs", "z"),
        ]);
        let payloads = |listener: &mut Listener| {
            std::iter::from_fn(|| listener.try_next())
                .map(|n| n.payload)
                .collect::<Vec<_>>()
        };
        assert_eq!(payloads(&mut a), ["x", "z"]);
        assert_eq!(payloads(&mut b), ["x", "y", "z"]);
        assert_eq!(hub.usage(), 0.0);
        b.apply(ListenChange::UnlistenAll);
        hub.send(vec![notification(1, "other", "y")]);
        assert!(b.try_next().is_none());
        // A session that ends takes its queued bytes with it.
        hub.send(vec![notification(2, "jobs", "w")]);
        assert!(hub.usage() > 0.0);
        drop(a);
        assert_eq!(hub.usage(), 0.0);
    }

    #[test]
    fn channels_and_payloads_are_checked() {
        assert!(check("c", &"x".repeat(PAYLOAD_BYTES_MAX)).is_ok());
        let too_long = check("c", &"x".repeat(PAYLOAD_BYTES_MAX + 1));
        assert_eq!(
            too_long,
            Err(SqlError::InvalidParameterValue(
                "payload string too long".into()
            ))
        );
        assert!(check("", "").is_err());
        assert!(check(&"c".repeat(64), "").is_err());
    }
}
