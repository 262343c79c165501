//! Opening a data directory: the newest valid snapshot, then every WAL record
//! after it.

use std::path::{Path, PathBuf};

use super::Database;
use crate::wal::{self, snapshot, OnDamage, WalError};

/// Where a recovered database left off.
#[derive(Debug)]
pub struct Recovered {
    pub db: Database,
    /// The LSN the next WAL record gets.
    pub next_lsn: u64,
    /// The LSN of the snapshot recovery started from (0: none, the log from its start).
    pub snapshot_lsn: u64,
    /// Bytes of WAL kept on disk.
    pub log_bytes: u64,
    /// WAL records replayed on top of the snapshot.
    pub records_replayed: u64,
}

/// The WAL directory of a data directory.
pub fn wal_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("wal")
}

/// The snapshot directory of a data directory.
pub fn snapshot_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("snapshots")
}

/// Recovers the database in `data_dir` (invariant 6): loads the newest snapshot
/// that is intact, falling back to older ones, then replays every WAL record after
/// it. Recovery runs no user code: records are row changes (invariant 5).
///
/// A damaged snapshot is skipped for an older one only with `OnDamage::Truncate`
/// (`--recovery-truncate-corrupt`) or when an older intact one exists; with none to
/// fall back to, recovery refuses and the error names the file and offset.
pub fn recover(data_dir: &Path, on_damage: OnDamage) -> Result<Recovered, WalError> {
    let (mut db, snapshot_lsn) = load_newest_snapshot(&snapshot_dir(data_dir), on_damage)?;
    let wal_dir = wal_dir(data_dir);
    let replayed = wal::replay(&wal_dir, snapshot_lsn, on_damage, |lsn, payload| {
        db.apply_redo(payload).map_err(|e| WalError::Damaged {
            file: wal_dir.clone(),
            offset: 0,
            reason: format!("record {lsn} does not apply: {}", e.0),
        })
    })?;
    Ok(Recovered {
        db,
        next_lsn: replayed.next_lsn,
        snapshot_lsn,
        log_bytes: replayed.log_bytes,
        records_replayed: replayed.records,
    })
}

/// The newest intact snapshot as a database, with its LSN; an empty database at
/// LSN 0 when there is none.
fn load_newest_snapshot(dir: &Path, on_damage: OnDamage) -> Result<(Database, u64), WalError> {
    let snapshots = snapshot::list_snapshots(dir)?;
    let mut first_damage = None;
    for (index, (lsn, path)) in snapshots.iter().enumerate() {
        let loaded = snapshot::read_snapshot(path).and_then(|(read_lsn, chunks)| {
            let db = Database::load_snapshot(&chunks).map_err(|e| WalError::Damaged {
                file: path.clone(),
                offset: 0,
                reason: format!("snapshot content does not load: {}", e.0),
            })?;
            Ok((db, read_lsn))
        });
        match loaded {
            Ok((db, read_lsn)) if read_lsn == *lsn => {
                tracing::info!(file = %path.display(), lsn, "loaded snapshot");
                return Ok((db, *lsn));
            }
            Ok(_) => {
                first_damage.get_or_insert(WalError::Damaged {
                    file: path.clone(),
                    offset: 12,
                    reason: "snapshot LSN does not match its file name".into(),
                });
            }
            Err(error) => {
                let has_older = index + 1 < snapshots.len();
                tracing::warn!(%error, has_older, "skipping a damaged snapshot");
                first_damage.get_or_insert(error);
            }
        }
    }
    match first_damage {
        Some(error) if on_damage == OnDamage::Refuse => Err(error),
        Some(_) => {
            tracing::warn!(
                "--recovery-truncate-corrupt: no intact snapshot; recovering from the log alone"
            );
            Ok((Database::new(), 0))
        }
        None => Ok((Database::new(), 0)),
    }
}
