//! Taking snapshots while the database keeps serving.
//!
//! A snapshot is copied through the turnstile like any other reader: the catalog
//! and the current LSN under one read request, then each table in batches of
//! [`SNAPSHOT_BATCH_ROWS`] rows, each its own read request. Writers get the lock
//! between batches, so no single hold lasts longer than one batch (about a
//! millisecond) whatever the database size; the copy is fuzzy, which replaying the
//! log after its LSN makes exact (see `wal::snapshot`). Before the snapshot is given
//! its final name, the log is made durable up to the last commit any batch could
//! have seen, so a snapshot never holds a change the log could lose. Then old
//! snapshots and the log segments nobody needs any more are removed.
//!
//! The one change the fuzzy copy cannot absorb is a table rebuilt between its
//! batches (ALTER TABLE … ADD PRIMARY KEY, ADD COLUMN, DROP COLUMN): rows copied
//! after it carry keys or columns the snapshot's own catalog does not give the
//! table, so the snapshot could not be loaded. A batch that finds its table
//! rebuilt abandons the copy, and the snapshot starts again from a fresh catalog.
//! That ends unless such ALTERs of a table come faster than it is copied.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use super::{Turnstile, TurnstileError};
use crate::db::Key;
use crate::wal::snapshot::{list_snapshots, SnapshotWriter};
use crate::wal::{fsync_dir, segment, WalError};

/// Rows copied per read request: small enough that one request holds the read
/// lock for about a millisecond.
pub const SNAPSHOT_BATCH_ROWS: usize = 2_000;

/// Snapshots kept: the newest, and one older to fall back to if it is damaged.
const SNAPSHOTS_KEPT: usize = 2;

/// What a finished snapshot cost.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotInfo {
    /// Every commit up to this LSN is in the snapshot; recovery replays the log
    /// after it.
    pub lsn: u64,
    /// The snapshot file.
    pub path: PathBuf,
    /// The file's size.
    pub bytes: u64,
    /// Rows copied.
    pub rows: u64,
    /// From the first read to the file's rename.
    pub duration: Duration,
    /// The longest any one of its read requests ran (the longest lock hold).
    pub longest_batch: Duration,
}

/// The last snapshot a turnstile finished, for `turnstile_wal`.
#[derive(Debug, Clone, PartialEq)]
pub struct LastSnapshot {
    /// What it cost.
    pub info: SnapshotInfo,
    /// When it finished (wall clock, for `last_snapshot_at`).
    pub finished_at: SystemTime,
}

impl Turnstile {
    /// Writes a snapshot of the database (`CHECKPOINT`), then removes snapshots and
    /// log segments that are no longer needed. Requires a log.
    pub async fn snapshot(&self) -> Result<SnapshotInfo, TurnstileError> {
        let started = Instant::now();
        loop {
            match self.copy_snapshot(started).await? {
                Some(info) => return Ok(info),
                None => tracing::info!(
                    "a table was rebuilt by an ALTER TABLE while a snapshot was copied; \
                     copying the snapshot again"
                ),
            }
        }
    }

    /// One attempt of [`Turnstile::snapshot`]; None if a table was rebuilt during
    /// the copy (see the module doc), which then leaves nothing behind.
    async fn copy_snapshot(
        &self,
        started: Instant,
    ) -> Result<Option<SnapshotInfo>, TurnstileError> {
        let wal = self.wal().ok_or(WalError::ShutDown)?.clone();
        let snapshot_dir = self
            .shared
            .snapshot_dir
            .as_deref()
            .ok_or(WalError::ShutDown)?;
        let reader_wal = wal.clone();
        let (catalog, lsn, tables) = self
            .read("snapshot", move |db| {
                (
                    db.snapshot_catalog(),
                    reader_wal.stats().written_lsn,
                    db.snapshot_tables(),
                )
            })
            .await?;
        let mut writer = blocking({
            let dir = snapshot_dir.to_owned();
            move || {
                let mut writer = SnapshotWriter::create(&dir, lsn)?;
                writer.write_chunk(&catalog)?;
                Ok(writer)
            }
        })
        .await?;
        let (mut rows, mut longest_batch) = (0u64, Duration::ZERO);
        for (table, schema) in tables {
            let mut after: Option<Key> = None;
            loop {
                let schema = schema.clone();
                let (batch, held) = self
                    .read("snapshot", move |db| {
                        let begun = Instant::now();
                        let batch =
                            db.snapshot_rows(table, &schema, after.as_ref(), SNAPSHOT_BATCH_ROWS);
                        (batch, begun.elapsed())
                    })
                    .await?;
                longest_batch = longest_batch.max(held);
                let Some((chunk, last, count)) = batch else {
                    blocking(move || writer.abandon()).await?;
                    return Ok(None);
                };
                rows += count as u64;
                writer = blocking(move || writer.write_chunk(&chunk).map(|_| writer)).await?;
                match last {
                    Some(key) if count == SNAPSHOT_BATCH_ROWS => after = Some(key),
                    _ => break,
                }
            }
        }
        // Every change a batch could have copied is in a record up to here.
        wal.wait_durable(wal.stats().written_lsn).await?;
        let (path, bytes) = blocking(move || writer.finish()).await?;
        let dir = snapshot_dir.to_owned();
        let wal_dir = wal.dir().to_owned();
        blocking(move || remove_unneeded(&dir, &wal_dir)).await?;
        let info = SnapshotInfo {
            lsn,
            path,
            bytes,
            rows,
            duration: started.elapsed(),
            longest_batch,
        };
        tracing::info!(
            lsn,
            rows,
            bytes,
            duration_ms = info.duration.as_millis() as u64,
            longest_lock_hold_us = longest_batch.as_micros() as u64,
            "snapshot written"
        );
        *self.shared.last_snapshot.lock() = Some(LastSnapshot {
            info: info.clone(),
            finished_at: SystemTime::now(),
        });
        Ok(Some(info))
    }
}

/// Runs file work on a blocking thread: writes and fsyncs must not stall a tokio
/// worker.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, WalError> + Send + 'static,
) -> Result<T, TurnstileError> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => Ok(result?),
        Err(join_error) => Err(TurnstileError::Panicked(join_error.to_string())),
    }
}

/// Keeps the newest [`SNAPSHOTS_KEPT`] snapshots, removes older ones and their
/// temporary leftovers, and removes every log segment whose records all precede
/// the oldest snapshot kept (so that recovery can still fall back to it).
fn remove_unneeded(snapshot_dir: &Path, wal_dir: &Path) -> Result<(), WalError> {
    let snapshots = list_snapshots(snapshot_dir)?;
    for (_, path) in snapshots.iter().skip(SNAPSHOTS_KEPT) {
        std::fs::remove_file(path).map_err(|e| WalError::io("removing an old snapshot", e))?;
    }
    fsync_dir(snapshot_dir)?;
    if snapshots.len() < SNAPSHOTS_KEPT {
        return Ok(());
    }
    let oldest_kept = snapshots[SNAPSHOTS_KEPT - 1].0;
    let segments =
        segment::list_segments(wal_dir).map_err(|e| WalError::io("listing WAL segments", e))?;
    for pair in segments.windows(2) {
        let ((_, path), (next_first, _)) = (&pair[0], &pair[1]);
        if next_first - 1 <= oldest_kept {
            std::fs::remove_file(path).map_err(|e| WalError::io("removing a WAL segment", e))?;
        }
    }
    fsync_dir(wal_dir)
}

/// When background snapshots are taken.
#[derive(Debug, Clone)]
pub struct SnapshotPolicy {
    /// Take one once this many bytes of log were written since the last.
    pub every_bytes: u64,
    /// Or once this much time has passed since the last, if anything was written.
    pub every: Duration,
}

/// How often the periodic snapshotter looks at the log's size.
const SNAPSHOT_POLL_MS: u64 = 200;

impl Turnstile {
    /// Takes snapshots in the background as `policy` says until `stop` resolves.
    /// A failed snapshot is logged and retried at the next occasion: the log still
    /// holds everything, so nothing is lost.
    pub async fn snapshot_periodically(
        &self,
        policy: SnapshotPolicy,
        stop: impl std::future::Future<Output = ()>,
    ) {
        let Some(wal) = self.wal().cloned() else {
            return;
        };
        tokio::pin!(stop);
        let mut last_bytes = wal.stats().log_bytes;
        let mut last_at = Instant::now();
        let mut last_lsn = wal.stats().written_lsn;
        loop {
            tokio::select! {
                _ = &mut stop => return,
                _ = tokio::time::sleep(Duration::from_millis(SNAPSHOT_POLL_MS)) => {}
            }
            let stats = wal.stats();
            let grown = stats.log_bytes.saturating_sub(last_bytes) >= policy.every_bytes;
            let due = last_at.elapsed() >= policy.every && stats.written_lsn > last_lsn;
            if !(grown || due) {
                continue;
            }
            match self.snapshot().await {
                Ok(info) => {
                    (last_bytes, last_at, last_lsn) =
                        (wal.stats().log_bytes, Instant::now(), info.lsn);
                }
                Err(error) => tracing::error!(%error, "background snapshot failed; will retry"),
            }
        }
    }
}
