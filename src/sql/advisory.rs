//! Advisory locks: `pg_advisory_lock` and its family, PostgreSQL's locks on
//! numbers whose meaning is the application's (a migration tool's "one
//! migrator at a time", a job queue's "one worker per job").
//!
//! A lock is named by one `bigint` or by two `integer`s (two separate key
//! spaces, as in PostgreSQL) and is taken exclusive or shared: an exclusive hold
//! conflicts with any other session's hold, a shared one with other sessions'
//! exclusive holds; a session never conflicts with itself. A session-level hold
//! (`pg_advisory_lock`) lasts until `pg_advisory_unlock` or the session's end,
//! whatever happens to the transaction that took it, and counts: taken twice, it
//! is released by two unlocks. A transaction-level hold
//! (`pg_advisory_xact_lock`) lasts until the transaction ends: the statement's
//! own end outside a block, COMMIT or ROLLBACK in one. Every session's holds are
//! one registry ([`AdvisoryLocks`]) behind a mutex taken for a few map updates,
//! never across an await nor with anything else held; `pg_locks` lists it.
//!
//! # Waiting without the database lock
//! The functions run inside statements, and statements run under the database
//! lock. A session that waited there for another to unlock would hold the read
//! lock for as long as it waited, and a queued writer behind it would stop every
//! other session (invariants 1 and 2). So a statement never waits: a lock it
//! cannot take at once fails it with [`SqlError::AdvisoryLockBusy`], which
//! reaches the session, not the client. The session gives back what the
//! statement took (it will take it again), waits for the lock with no database
//! lock held ([`SessionLocks::wait`]), takes it the moment it is free (a
//! *pending* hold, so that nobody takes it in between), and runs the statement
//! again from the start; the call that failed finds the pending hold and makes
//! it its own. Running a statement again repeats nothing else of it: a query
//! has only reads; a data-modifying statement outside a block was rolled back
//! (all or nothing); and one inside a block, which COMMIT runs again, may not
//! call these functions at all (see `context::SessionCalls`). What a statement
//! took, gave back and was told is its own ([`StatementLocks`]), kept across
//! its runs.
//!
//! The wait ends with the lock, with 57014 (a cancel request, `statement_timeout`),
//! 55P03 (`lock_timeout`), or 40P01 when the session that starts to wait closes a
//! cycle of sessions each waiting for the next (deadlock). A cycle can only close
//! when a wait starts (a hold that blocks a waiter is taken only by a session
//! that is not waiting), so checking there finds every deadlock, at once rather
//! than after PostgreSQL's `deadlock_timeout`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::Notify;

use super::{Interrupt, SqlError};
use crate::types::now_us;

/// What an advisory lock is named by: one `bigint`, or two `integer`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AdvisoryKey {
    Int8(i64),
    Pair(i32, i32),
}

impl AdvisoryKey {
    /// `pg_locks`' `classid`, `objid` and `objsubid` for the lock: a `bigint`'s
    /// high and low 32 bits and 1, or the two `integer`s and 2, as PostgreSQL
    /// shows them.
    pub fn locktag(self) -> (u32, u32, i16) {
        match self {
            // The halves of the bit pattern: truncation is the point.
            AdvisoryKey::Int8(key) => ((key >> 32) as u32, key as u32, 1),
            AdvisoryKey::Pair(high, low) => (high as u32, low as u32, 2),
        }
    }
}

impl std::fmt::Display for AdvisoryKey {
    /// PostgreSQL's name for the lock in a deadlock's detail: `advisory lock
    /// [database,classid,objid,objsubid]`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (classid, objid, objsubid) = self.locktag();
        write!(
            f,
            "advisory lock [{},{classid},{objid},{objsubid}]",
            super::system::DATABASE_OID
        )
    }
}

/// Exclusive or shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    Exclusive,
    Shared,
}

impl LockMode {
    /// PostgreSQL's name for the mode (`pg_locks.mode`).
    pub fn name(self) -> &'static str {
        match self {
            LockMode::Exclusive => "ExclusiveLock",
            LockMode::Shared => "ShareLock",
        }
    }

    fn index(self) -> usize {
        match self {
            LockMode::Exclusive => 0,
            LockMode::Shared => 1,
        }
    }
}

/// How long a hold lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockScope {
    /// Until unlocked or the session ends.
    Session,
    /// Until the transaction ends.
    Transaction,
}

/// One lock call that could not take its lock: what the session waits for
/// before it runs the statement again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockWanted {
    pub key: AdvisoryKey,
    pub mode: LockMode,
}

/// One session's holds on one lock, by mode (exclusive, shared).
#[derive(Debug, Default, Clone, Copy)]
struct Holds {
    session: [u32; 2],
    transaction: [u32; 2],
    /// Taken for the session when its wait ended, for the call that waited to
    /// make its own when its statement runs again (see the module's doc).
    pending: [bool; 2],
}

impl Holds {
    fn holds(&self, mode: LockMode) -> bool {
        let i = mode.index();
        self.session[i] > 0 || self.transaction[i] > 0 || self.pending[i]
    }

    fn is_empty(&self) -> bool {
        !self.holds(LockMode::Exclusive) && !self.holds(LockMode::Shared)
    }

    fn count(&mut self, scope: LockScope) -> &mut [u32; 2] {
        match scope {
            LockScope::Session => &mut self.session,
            LockScope::Transaction => &mut self.transaction,
        }
    }
}

/// A session's transaction-level holds at one moment (a savepoint), by lock:
/// what `ROLLBACK TO SAVEPOINT` returns them to.
#[derive(Debug, Clone, Default)]
pub struct TransactionHolds(Vec<(AdvisoryKey, [u32; 2])>);

/// A session waiting for a lock, for `pg_locks` and the deadlock check.
#[derive(Debug, Clone, Copy)]
struct Waiting {
    wanted: LockWanted,
    /// When the wait began, µs since 2000 (`pg_locks.waitstart`).
    since_us: i64,
}

#[derive(Debug, Default)]
struct State {
    /// Every lock somebody holds: its holders by process id.
    locks: HashMap<AdvisoryKey, BTreeMap<i32, Holds>>,
    /// The sessions waiting, by process id.
    waiting: BTreeMap<i32, Waiting>,
}

impl State {
    /// The sessions other than `pid` whose holds keep it from taking `wanted`.
    fn blockers(&self, pid: i32, wanted: LockWanted) -> Vec<i32> {
        let Some(holders) = self.locks.get(&wanted.key) else {
            return Vec::new();
        };
        holders
            .iter()
            .filter(|(holder, holds)| {
                **holder != pid
                    && (holds.holds(LockMode::Exclusive)
                        || (wanted.mode == LockMode::Exclusive && holds.holds(LockMode::Shared)))
            })
            .map(|(holder, _)| *holder)
            .collect()
    }

    fn holds_mut(&mut self, pid: i32, key: AdvisoryKey) -> &mut Holds {
        self.locks.entry(key).or_default().entry(pid).or_default()
    }

    /// Changes `pid`'s holds on `key` and forgets them if none are left; true if
    /// a hold ended, which may let a waiter go on.
    fn change(&mut self, pid: i32, key: AdvisoryKey, change: impl FnOnce(&mut Holds)) -> bool {
        let Some(holders) = self.locks.get_mut(&key) else {
            return false;
        };
        let Some(holds) = holders.get_mut(&pid) else {
            return false;
        };
        let before = *holds;
        change(holds);
        let ended = [LockMode::Exclusive, LockMode::Shared]
            .iter()
            .any(|mode| before.holds(*mode) && !holds.holds(*mode));
        if holds.is_empty() {
            holders.remove(&pid);
            if holders.is_empty() {
                self.locks.remove(&key);
            }
        }
        ended
    }

    /// If `pid`, about to wait for `wanted`, would close a cycle of waits: the
    /// cycle, one `(waiter, what it waits for, a blocker)` per session in it.
    fn deadlock(&self, pid: i32, wanted: LockWanted) -> Option<Vec<(i32, LockWanted, i32)>> {
        // A depth-first walk along "waits for a lock held by", from pid's
        // blockers back to pid. Each session waits for one lock at a time, so
        // the walk visits each session once.
        let mut path = Vec::new();
        let mut visited = Vec::new();
        self.find_cycle(pid, pid, wanted, &mut path, &mut visited)
            .then_some(path)
    }

    fn find_cycle(
        &self,
        start: i32,
        waiter: i32,
        wanted: LockWanted,
        path: &mut Vec<(i32, LockWanted, i32)>,
        visited: &mut Vec<i32>,
    ) -> bool {
        for blocker in self.blockers(waiter, wanted) {
            path.push((waiter, wanted, blocker));
            if blocker == start {
                return true;
            }
            if !visited.contains(&blocker) {
                visited.push(blocker);
                if let Some(next) = self.waiting.get(&blocker) {
                    if self.find_cycle(start, blocker, next.wanted, path, visited) {
                        return true;
                    }
                }
            }
            path.pop();
        }
        false
    }
}

/// Every session's advisory locks.
#[derive(Debug, Default)]
pub struct AdvisoryLocks {
    state: Mutex<State>,
    /// Wakes the waiting sessions whenever a hold ends; each looks again.
    released: Notify,
    /// How many waits ended in a deadlock (`pg_stat_database.deadlocks`).
    deadlocks: AtomicU64,
}

/// One row of `pg_locks`: a session's hold on a lock, or its wait for one.
#[derive(Debug, Clone)]
pub struct LockRow {
    pub key: AdvisoryKey,
    pub pid: i32,
    pub mode: LockMode,
    pub granted: bool,
    /// When a wait began, µs since 2000; None for a hold.
    pub wait_start_us: Option<i64>,
}

impl AdvisoryLocks {
    /// How many waits ended in a deadlock since the server started.
    pub fn deadlocks(&self) -> u64 {
        self.deadlocks.load(Ordering::Relaxed)
    }

    /// Every hold and wait, for `pg_locks`: one row per lock, session and mode.
    pub fn rows(&self) -> Vec<LockRow> {
        let state = self.state.lock();
        let mut rows = Vec::new();
        for (key, holders) in &state.locks {
            for (pid, holds) in holders {
                for mode in [LockMode::Exclusive, LockMode::Shared] {
                    if holds.holds(mode) {
                        rows.push(LockRow {
                            key: *key,
                            pid: *pid,
                            mode,
                            granted: true,
                            wait_start_us: None,
                        });
                    }
                }
            }
        }
        for (pid, waiting) in &state.waiting {
            rows.push(LockRow {
                key: waiting.wanted.key,
                pid: *pid,
                mode: waiting.wanted.mode,
                granted: false,
                wait_start_us: Some(waiting.since_us),
            });
        }
        rows.sort_by_key(|row| (row.key, row.pid, !row.granted));
        rows
    }
}

/// One session's door to the registry. Dropped with the session, which
/// releases all it holds.
#[derive(Debug)]
pub struct SessionLocks {
    registry: Arc<AdvisoryLocks>,
    pid: i32,
    /// The locks the session has any hold on (a pending one included), so
    /// that the end of a statement or transaction of a session that holds none
    /// (almost every one) touches nothing shared.
    keys: Mutex<BTreeSet<AdvisoryKey>>,
}

/// What one statement did to its session's locks. Each statement has its own
/// (see `Session`), so that a run still going on after its statement was
/// answered (a read that timed out, on its reader thread) records nothing in
/// the next statement's.
#[derive(Debug, Default)]
pub struct StatementLocks(Mutex<Journal>);

#[derive(Debug, Default)]
struct Journal {
    /// The holds it took, given back if it must run again.
    taken: Vec<(AdvisoryKey, LockMode, LockScope)>,
    /// The session-level holds it gave back that it had not taken itself.
    /// They stay given back when it must run again (another session may have
    /// taken the lock since); they become `already_unlocked`, which its next
    /// run's same unlocks use instead of unlocking again (answering true).
    unlocked: Vec<LockWanted>,
    already_unlocked: Vec<LockWanted>,
}

impl SessionLocks {
    pub fn new(registry: Arc<AdvisoryLocks>, pid: i32) -> SessionLocks {
        SessionLocks {
            registry,
            pid,
            keys: Mutex::default(),
        }
    }

    /// Every session's locks.
    pub fn registry(&self) -> &AdvisoryLocks {
        &self.registry
    }

    /// `pg_[try_]advisory[_xact]_lock[_shared]` in `statement`: takes the lock
    /// for `scope`, or answers [`SqlError::AdvisoryLockBusy`] if another
    /// session's hold conflicts (a `try_` function's false).
    pub fn lock(
        &self,
        statement: &StatementLocks,
        key: AdvisoryKey,
        mode: LockMode,
        scope: LockScope,
    ) -> Result<(), SqlError> {
        let wanted = LockWanted { key, mode };
        let mut state = self.registry.state.lock();
        let holds = state.holds_mut(self.pid, key);
        let pending = std::mem::take(&mut holds.pending[mode.index()]);
        if !pending && !state.blockers(self.pid, wanted).is_empty() {
            // holds_mut may have made an empty entry.
            state.change(self.pid, key, |_| {});
            return Err(SqlError::AdvisoryLockBusy(wanted));
        }
        state.holds_mut(self.pid, key).count(scope)[mode.index()] += 1;
        drop(state);
        self.keys.lock().insert(key);
        statement.0.lock().taken.push((key, mode, scope));
        Ok(())
    }

    /// `pg_advisory_unlock[_shared]` in `statement`: gives back one
    /// session-level hold; false if the session had none (PostgreSQL warns,
    /// `Notice::DoNotOwnLock`).
    pub fn unlock(&self, statement: &StatementLocks, key: AdvisoryKey, mode: LockMode) -> bool {
        let unlock = LockWanted { key, mode };
        let mut journal = statement.0.lock();
        if let Some(at) = journal.already_unlocked.iter().position(|u| *u == unlock) {
            // Done by an earlier run; should this one run again too, so is it.
            journal.already_unlocked.swap_remove(at);
            journal.unlocked.push(unlock);
            return true;
        }
        let i = mode.index();
        let mut had = false;
        let ended = self.registry.state.lock().change(self.pid, key, |holds| {
            had = holds.session[i] > 0;
            holds.session[i] = holds.session[i].saturating_sub(1);
        });
        if ended {
            self.registry.released.notify_waiters();
        }
        let taken_here = journal
            .taken
            .iter()
            .rposition(|t| *t == (key, mode, LockScope::Session));
        match taken_here {
            // Taken and given back by this run: a run again does both again.
            Some(at) if had => {
                journal.taken.remove(at);
            }
            None if had => journal.unlocked.push(unlock),
            _ => {}
        }
        had
    }

    /// `pg_advisory_unlock_all()`: gives back every session-level hold.
    pub fn unlock_all(&self) {
        self.change_own(|_, holds| holds.session = [0, 0]);
    }

    /// The transaction ended: its holds end with it.
    pub fn end_transaction(&self) {
        self.change_own(|_, holds| holds.transaction = [0, 0]);
    }

    /// The session's transaction-level holds now, for a savepoint.
    pub fn transaction_holds(&self) -> TransactionHolds {
        let keys: Vec<AdvisoryKey> = self.keys.lock().iter().copied().collect();
        if keys.is_empty() {
            return TransactionHolds::default();
        }
        let state = self.registry.state.lock();
        let holds = keys
            .into_iter()
            .filter_map(|key| {
                let counts = state.locks.get(&key)?.get(&self.pid)?.transaction;
                (counts != [0, 0]).then_some((key, counts))
            })
            .collect();
        TransactionHolds(holds)
    }

    /// `ROLLBACK TO SAVEPOINT`: the transaction-level holds taken since `mark`
    /// end, as a rolled-back subtransaction's do in PostgreSQL. Session-level
    /// holds stay, whenever they were taken or given back: they are not
    /// transactional.
    pub fn roll_back_to(&self, mark: &TransactionHolds) {
        self.change_own(|key, holds| {
            holds.transaction = mark
                .0
                .iter()
                .find(|(held, _)| *held == key)
                .map_or([0, 0], |(_, counts)| *counts);
        });
    }

    /// `statement` ended, for good: what it took stays taken, and a pending
    /// hold it did not claim is given back.
    pub fn end_statement(&self, statement: &StatementLocks) {
        *statement.0.lock() = Journal::default();
        self.change_own(|_, holds| holds.pending = [false, false]);
    }

    /// `statement` will run again: gives back what it took (and any pending
    /// hold it did not claim), and keeps what it gave back given back. With
    /// `keep`, what it took
    /// stays the session's, pending, for the next run to claim (a block's
    /// statement rehearsed after a try on its overlay: nobody may take the
    /// lock in between); without, it is free (the session is about to wait for
    /// another lock, and holding one meanwhile could only make a deadlock).
    pub fn run_again(&self, statement: &StatementLocks, keep: bool) {
        let taken = {
            let mut journal = statement.0.lock();
            let unlocked = std::mem::take(&mut journal.unlocked);
            journal.already_unlocked.extend(unlocked);
            std::mem::take(&mut journal.taken)
        };
        {
            let mut state = self.registry.state.lock();
            for (key, mode, scope) in taken {
                state.change(self.pid, key, |holds| {
                    let count = &mut holds.count(scope)[mode.index()];
                    *count = count.saturating_sub(1);
                    holds.pending[mode.index()] |= keep;
                });
            }
        }
        if !keep {
            self.change_own(|_, holds| holds.pending = [false, false]);
        }
        // Other sessions may have waited for what was given back.
        self.registry.released.notify_waiters();
    }

    /// Changes the session's holds on every lock it holds; forgets the locks
    /// it holds no more, and wakes the waiters if a hold ended.
    fn change_own(&self, change: impl Fn(AdvisoryKey, &mut Holds)) {
        let keys: Vec<AdvisoryKey> = {
            let keys = self.keys.lock();
            if keys.is_empty() {
                return;
            }
            keys.iter().copied().collect()
        };
        let mut state = self.registry.state.lock();
        let mut ended = false;
        let mut released = Vec::new();
        for key in keys {
            ended |= state.change(self.pid, key, |holds| change(key, holds));
            if !state
                .locks
                .get(&key)
                .is_some_and(|h| h.contains_key(&self.pid))
            {
                released.push(key);
            }
        }
        drop(state);
        let mut keys = self.keys.lock();
        for key in released {
            keys.remove(&key);
        }
        drop(keys);
        if ended {
            self.registry.released.notify_waiters();
        }
    }

    /// The statement must run again for `wanted` (see [`Self::run_again`],
    /// which the caller has done): waits with no lock held until `wanted` can
    /// be taken, and takes it (pending) for the statement's next run. See the
    /// module's doc for how the wait ends otherwise.
    pub async fn wait(&self, wanted: LockWanted, interrupt: &Interrupt) -> Result<(), SqlError> {
        // One lock_timeout for the whole wait, however often it wakes.
        let mut over = pin!(interrupt.lock_wait_over());
        let since_us = now_us();
        loop {
            let mut released = pin!(self.registry.released.notified());
            // Registered before the look, so a release in between still wakes it.
            released.as_mut().enable();
            {
                let mut state = self.registry.state.lock();
                if state.blockers(self.pid, wanted).is_empty() {
                    state.waiting.remove(&self.pid);
                    state.holds_mut(self.pid, wanted.key).pending[wanted.mode.index()] = true;
                    drop(state);
                    self.keys.lock().insert(wanted.key);
                    return Ok(());
                }
                if let Some(cycle) = state.deadlock(self.pid, wanted) {
                    state.waiting.remove(&self.pid);
                    drop(state);
                    self.registry.deadlocks.fetch_add(1, Ordering::Relaxed);
                    let detail = deadlock_detail(&cycle);
                    tracing::info!(pid = self.pid, %detail, "deadlock detected");
                    return Err(SqlError::Deadlock { detail });
                }
                state.waiting.insert(self.pid, Waiting { wanted, since_us });
            }
            tokio::select! {
                () = released.as_mut() => {}
                () = over.as_mut() => {
                    self.registry.state.lock().waiting.remove(&self.pid);
                    return Err(interrupt.check().err().unwrap_or(SqlError::LockTimeout));
                }
            }
        }
    }
}

impl Drop for SessionLocks {
    /// The session ended: every hold it had ends, as does any wait.
    fn drop(&mut self) {
        self.registry.state.lock().waiting.remove(&self.pid);
        self.change_own(|_, holds| *holds = Holds::default());
    }
}

/// PostgreSQL's DETAIL of a deadlock: who waits for what, blocked by whom.
fn deadlock_detail(cycle: &[(i32, LockWanted, i32)]) -> String {
    cycle
        .iter()
        .map(|(waiter, wanted, blocker)| {
            format!(
                "Process {waiter} waits for {} on {}; blocked by process {blocker}.",
                wanted.mode.name(),
                wanted.key
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A session of `registry`, and one statement's journal.
    struct Session(SessionLocks, StatementLocks);

    impl Session {
        fn new(registry: &Arc<AdvisoryLocks>, pid: i32) -> Session {
            Session(
                SessionLocks::new(registry.clone(), pid),
                StatementLocks::default(),
            )
        }

        fn lock(&self, key: AdvisoryKey, mode: LockMode, scope: LockScope) -> Result<(), SqlError> {
            self.0.lock(&self.1, key, mode, scope)
        }

        fn unlock(&self, key: AdvisoryKey, mode: LockMode) -> bool {
            self.0.unlock(&self.1, key, mode)
        }

        /// Ends the statement; the next one has a journal of its own.
        fn end_statement(&mut self) {
            self.0.end_statement(&self.1);
            self.1 = StatementLocks::default();
        }
    }

    const ONE: AdvisoryKey = AdvisoryKey::Int8(1);
    const TWO: AdvisoryKey = AdvisoryKey::Int8(2);
    const X: LockMode = LockMode::Exclusive;
    const SESSION: LockScope = LockScope::Session;

    fn waiting(registry: &AdvisoryLocks, pid: i32) -> bool {
        registry
            .rows()
            .iter()
            .any(|row| row.pid == pid && !row.granted)
    }

    #[test]
    fn exclusive_conflicts_with_others_shared_only_with_exclusive() {
        let registry = Arc::default();
        let (a, b) = (Session::new(&registry, 1), Session::new(&registry, 2));
        a.lock(ONE, LockMode::Shared, SESSION).unwrap();
        b.lock(ONE, LockMode::Shared, SESSION).unwrap();
        let busy = b.lock(ONE, X, SESSION);
        assert!(matches!(busy, Err(SqlError::AdvisoryLockBusy(_))));
        // A session never conflicts with itself.
        a.unlock(ONE, LockMode::Shared);
        b.lock(ONE, X, SESSION).unwrap();
        assert!(a.lock(ONE, LockMode::Shared, SESSION).is_err());
        // The two key spaces are apart.
        a.lock(AdvisoryKey::Pair(0, 1), X, SESSION).unwrap();
    }

    #[test]
    fn session_holds_count_and_transaction_holds_end_with_it() {
        let registry = Arc::default();
        let (mut a, b) = (Session::new(&registry, 1), Session::new(&registry, 2));
        a.lock(ONE, X, SESSION).unwrap();
        a.lock(ONE, X, SESSION).unwrap();
        a.lock(ONE, X, LockScope::Transaction).unwrap();
        assert!(a.unlock(ONE, X));
        assert!(a.unlock(ONE, X));
        // The transaction's hold is not the session's to unlock.
        assert!(!a.unlock(ONE, X));
        a.end_statement();
        assert!(b.lock(ONE, LockMode::Shared, SESSION).is_err());
        a.0.end_transaction();
        b.lock(ONE, LockMode::Shared, SESSION).unwrap();
        drop(b);
        assert!(registry.rows().is_empty());
    }

    #[tokio::test]
    async fn a_wait_takes_the_lock_when_freed_and_the_rerun_claims_it() {
        let registry = Arc::default();
        let (mut a, mut b) = (Session::new(&registry, 1), Session::new(&registry, 2));
        a.lock(ONE, X, SESSION).unwrap();
        a.end_statement();
        // b's statement takes 2, then finds 1 busy.
        b.lock(TWO, X, SESSION).unwrap();
        let Err(SqlError::AdvisoryLockBusy(wanted)) = b.lock(ONE, X, SESSION) else {
            panic!("session 1 holds the lock");
        };
        b.0.run_again(&b.1, false);
        let interrupt = Interrupt::default();
        let waited = b.0.wait(wanted, &interrupt);
        let releasing = async {
            while !waiting(&registry, 2) {
                tokio::task::yield_now().await;
            }
            // What b's statement took was given back: 2 is free.
            a.lock(TWO, X, SESSION).unwrap();
            a.unlock(TWO, X);
            a.unlock(ONE, X);
        };
        let (waited, ()) = tokio::join!(waited, releasing);
        waited.unwrap();
        // Pending for b: a cannot take it back before b's statement runs again.
        assert!(a.lock(ONE, LockMode::Shared, SESSION).is_err());
        // The run again takes both, once each.
        b.lock(TWO, X, SESSION).unwrap();
        b.lock(ONE, X, SESSION).unwrap();
        b.end_statement();
        for key in [ONE, TWO] {
            assert!(b.unlock(key, X));
            assert!(!b.unlock(key, X));
        }
    }

    #[test]
    fn a_statement_run_again_unlocks_once() {
        let registry = Arc::default();
        let (mut a, mut b) = (Session::new(&registry, 1), Session::new(&registry, 2));
        b.lock(ONE, X, SESSION).unwrap();
        b.end_statement();
        // `SELECT pg_advisory_unlock(1), pg_advisory_lock(3), pg_advisory_lock(2)`
        // where 2 is busy on the first run and 3 on the second.
        a.lock(TWO, X, SESSION).unwrap();
        a.end_statement();
        let three = AdvisoryKey::Int8(3);
        assert!(b.unlock(ONE, X));
        b.lock(three, X, SESSION).unwrap();
        assert!(b.lock(TWO, X, SESSION).is_err());
        b.0.run_again(&b.1, false);
        a.lock(three, X, SESSION).unwrap();
        assert!(b.unlock(ONE, X), "done by the first run");
        assert!(b.lock(three, X, SESSION).is_err());
        b.0.run_again(&b.1, false);
        assert!(b.unlock(ONE, X), "still done by the first run");
        b.end_statement();
        // `SELECT pg_advisory_lock(1), pg_advisory_unlock(1), pg_advisory_lock(2)`
        // run again: 1 is taken and given back again, and ends up not held.
        b.lock(ONE, X, SESSION).unwrap();
        assert!(b.unlock(ONE, X));
        assert!(b.lock(TWO, X, SESSION).is_err());
        b.0.run_again(&b.1, false);
        b.lock(ONE, X, SESSION).unwrap();
        assert!(b.unlock(ONE, X));
        b.end_statement();
        assert!(!registry
            .rows()
            .iter()
            .any(|row| row.pid == 2 && row.key == ONE));
    }

    #[tokio::test]
    async fn the_wait_that_closes_a_cycle_is_a_deadlock() {
        let registry = Arc::default();
        let (mut a, mut b) = (Session::new(&registry, 1), Session::new(&registry, 2));
        a.lock(ONE, X, SESSION).unwrap();
        b.lock(TWO, X, SESSION).unwrap();
        a.end_statement();
        b.end_statement();
        let interrupt = Interrupt::default();
        let a_waits = a.0.wait(LockWanted { key: TWO, mode: X }, &interrupt);
        let b_closes_the_cycle = async {
            while !waiting(&registry, 1) {
                tokio::task::yield_now().await;
            }
            let deadlock = b.0.wait(LockWanted { key: ONE, mode: X }, &interrupt).await;
            // b gives up: its hold on 2 ends, and a gets it.
            b.unlock(TWO, X);
            deadlock
        };
        let (a_waited, deadlock) = tokio::join!(a_waits, b_closes_the_cycle);
        a_waited.unwrap();
        let Err(SqlError::Deadlock { detail }) = deadlock else {
            panic!("expected a deadlock, got {deadlock:?}");
        };
        assert!(detail.starts_with("Process 2 waits for ExclusiveLock on advisory lock"));
        assert!(detail.contains("Process 1 waits for ExclusiveLock"));
        assert_eq!(registry.deadlocks(), 1);
    }
}
