//! Cancel requests: a client opens a second connection and sends the process id and
//! secret key it got in BackendKeyData; the session with that pair stops its
//! running statement (57014).

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;
use pgwire::messages::startup::SecretKey;

use crate::sql::CancelHandle;

/// Every live session's key, so a cancel request can find it.
#[derive(Debug, Default)]
pub struct CancelRegistry {
    /// Process id to (secret key bytes, the session's handle). A std mutex: held for
    /// a map operation only.
    sessions: Mutex<HashMap<i32, (Bytes, Arc<CancelHandle>)>>,
}

impl CancelRegistry {
    /// Registers a session under a key from `generate` that no live session has,
    /// generating again on a collision: a repeated process id would make one
    /// session's registration replace (and, when dropped, remove) another's.
    pub fn register_unique(
        self: &Arc<Self>,
        mut generate: impl FnMut() -> (i32, SecretKey),
        handle: Arc<CancelHandle>,
    ) -> (Registration, i32, SecretKey) {
        loop {
            let (pid, secret) = generate();
            let mut sessions = self.sessions.lock();
            if sessions.contains_key(&pid) {
                continue;
            }
            sessions.insert(pid, (secret.to_bytes(), handle));
            let registration = Registration {
                registry: self.clone(),
                pid,
            };
            return (registration, pid, secret);
        }
    }

    /// Cancels the running statement of the session with this key; false if there is
    /// none (a wrong key is ignored silently, as PostgreSQL does).
    pub fn cancel(&self, pid: i32, secret: &SecretKey) -> bool {
        let handle = match self.sessions.lock().get(&pid) {
            Some((key, handle)) if *key == secret.to_bytes() => handle.clone(),
            _ => return false,
        };
        handle.cancel();
        true
    }
}

/// Removes a session from the registry when its connection ends.
pub struct Registration {
    /// The registry to remove from.
    registry: Arc<CancelRegistry>,
    /// The session's process id.
    pid: i32,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.registry.sessions.lock().remove(&self.pid);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A generated pid that a live session already has is generated again, so
    /// every live session keeps its own entry (before, the second registration
    /// replaced the first, and dropping either removed both).
    #[test]
    fn colliding_pids_are_generated_again() {
        let registry = Arc::new(CancelRegistry::default());
        let key = |n: u8| SecretKey::I32(n.into());
        let mut pids = [7, 7, 7, 8].into_iter();
        let (first, pid1, _) = registry.register_unique(|| (7, key(1)), Arc::default());
        let (_second, pid2, _) = registry.register_unique(
            || (pids.next().expect("a fresh pid in time"), key(2)),
            Arc::default(),
        );
        assert_eq!((pid1, pid2), (7, 8));
        drop(first);
        assert!(registry.cancel(8, &key(2)));
        assert!(!registry.cancel(7, &key(1)));
    }
}
