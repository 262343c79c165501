//! Cancel requests: a client opens a second connection and sends the process id and
//! secret key it got in BackendKeyData; the session with that pair stops its
//! running statement (57014).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
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
    /// Registers a session until the returned guard is dropped.
    pub fn register(
        self: &Arc<Self>,
        pid: i32,
        secret: &SecretKey,
        handle: Arc<CancelHandle>,
    ) -> Registration {
        self.lock().insert(pid, (secret.to_bytes(), handle));
        Registration {
            registry: self.clone(),
            pid,
        }
    }

    /// Cancels the running statement of the session with this key; false if there is
    /// none (a wrong key is ignored silently, as PostgreSQL does).
    pub fn cancel(&self, pid: i32, secret: &SecretKey) -> bool {
        let handle = match self.lock().get(&pid) {
            Some((key, handle)) if *key == secret.to_bytes() => handle.clone(),
            _ => return false,
        };
        handle.cancel();
        true
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<i32, (Bytes, Arc<CancelHandle>)>> {
        // The map stays consistent even if a holder panicked: every operation on it
        // is a single insert, remove or lookup.
        self.sessions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
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
        self.registry.lock().remove(&self.pid);
    }
}
