//! Reading the log back at start: every valid record after a given LSN, in order.

use std::fs::OpenOptions;
use std::path::Path;
use std::time::Instant;

use super::log::fsync_dir;
use super::segment::{list_segments, read_segment, SegmentEnd, HEADER_LEN};
use super::WalError;

/// What to do with damage found before the end of the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDamage {
    /// Refuse to start (the default): an operator decides.
    Refuse,
    /// Cut the log at the damage and start with what precedes it
    /// (`--recovery-truncate-corrupt`): every later transaction is lost.
    Truncate,
}

/// What replaying the log found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replayed {
    /// The LSN the next record must get.
    pub next_lsn: u64,
    /// Records handed to the caller.
    pub records: u64,
    /// Bytes of segment files kept.
    pub log_bytes: u64,
}

/// Hands every record with an LSN above `after_lsn` to `apply`, in LSN order, then
/// cuts a torn tail off the last segment (with a warning saying how many bytes) so
/// that appending can go on after it. Damage before the tail is an error unless
/// `on_damage` says to cut there too. `apply` errors stop recovery.
pub fn replay(
    dir: &Path,
    after_lsn: u64,
    on_damage: OnDamage,
    mut apply: impl FnMut(u64, &[u8]) -> Result<(), WalError>,
) -> Result<Replayed, WalError> {
    std::fs::create_dir_all(dir).map_err(|e| WalError::io("creating the WAL directory", e))?;
    let segments = list_segments(dir).map_err(|e| WalError::io("listing WAL segments", e))?;
    let mut replayed = Replayed {
        next_lsn: after_lsn + 1,
        records: 0,
        log_bytes: 0,
    };
    let progress = Progress::new(segments.len());
    for (index, (first_lsn, path)) in segments.iter().enumerate() {
        let bytes = std::fs::read(path)
            .map_err(|e| WalError::io(&format!("reading {}", path.display()), e))?;
        let contents = read_segment(&bytes, *first_lsn);
        let is_last = index + 1 == segments.len();
        for record in &contents.records {
            if record.lsn < replayed.next_lsn {
                continue;
            }
            if record.lsn != replayed.next_lsn {
                let reason = format!(
                    "record LSN {} follows {}: records are missing",
                    record.lsn,
                    replayed.next_lsn - 1
                );
                return Err(WalError::Damaged {
                    file: path.clone(),
                    offset: record.offset,
                    reason,
                });
            }
            apply(record.lsn, &record.payload)?;
            replayed.records += 1;
            replayed.next_lsn += 1;
        }
        let kept = match contents.end {
            SegmentEnd::Clean => bytes.len(),
            SegmentEnd::TornTail { offset, dropped } if is_last => {
                tracing::warn!(file = %path.display(), offset, dropped, "cutting off a torn WAL tail: {dropped} bytes of an interrupted append are dropped");
                cut_segment(dir, path, offset)?;
                offset
            }
            SegmentEnd::TornTail { offset, .. } => {
                let reason = "an incomplete record before the last segment".to_owned();
                damage(dir, path, offset, reason, on_damage, &segments[index + 1..])?
            }
            SegmentEnd::Damaged { offset, reason } => {
                damage(dir, path, offset, reason, on_damage, &segments[index + 1..])?
            }
        };
        replayed.log_bytes += if kept > HEADER_LEN { kept as u64 } else { 0 };
        progress.segment_done(index, replayed.records);
        let stops_here = kept < bytes.len() && !is_last; // `damage` removed the rest.
        if is_last || stops_here {
            remove_if_empty(dir, path, kept)?;
        }
        if stops_here {
            break;
        }
    }
    Ok(replayed)
}

/// Removes the last segment if it holds no record (only a header, left by a crash
/// or a failed write right after it was created): the log goes on with a new
/// segment named by the next LSN, which is this one's name.
fn remove_if_empty(dir: &Path, path: &Path, kept: usize) -> Result<(), WalError> {
    if kept > HEADER_LEN || !path.exists() {
        return Ok(());
    }
    std::fs::remove_file(path)
        .map_err(|e| WalError::io(&format!("removing {}", path.display()), e))?;
    tracing::info!(file = %path.display(), "removed a WAL segment that holds no record");
    fsync_dir(dir)
}

/// Refuses, or (when told to) cuts the log at the damage and removes every later
/// segment. Returns the bytes kept of the damaged segment.
fn damage(
    dir: &Path,
    path: &Path,
    offset: usize,
    reason: String,
    on_damage: OnDamage,
    later: &[(u64, std::path::PathBuf)],
) -> Result<usize, WalError> {
    if on_damage == OnDamage::Refuse {
        return Err(WalError::Damaged {
            file: path.to_owned(),
            offset,
            reason,
        });
    }
    tracing::warn!(file = %path.display(), offset, %reason, later_segments = later.len(), "--recovery-truncate-corrupt: cutting the WAL at the damage; every later transaction is lost");
    cut_segment(dir, path, offset.max(HEADER_LEN))?;
    for (_, later_path) in later {
        std::fs::remove_file(later_path)
            .map_err(|e| WalError::io(&format!("removing {}", later_path.display()), e))?;
    }
    fsync_dir(dir)?;
    Ok(offset)
}

/// Truncates a segment to `len` bytes, durably.
fn cut_segment(dir: &Path, path: &Path, len: usize) -> Result<(), WalError> {
    if len <= HEADER_LEN {
        // No record left: remove the file, so that the next segment, which starts
        // at the same LSN and so has the same name, can be created.
        std::fs::remove_file(path)
            .map_err(|e| WalError::io(&format!("removing {}", path.display()), e))?;
        return fsync_dir(dir);
    }
    let file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| WalError::io(&format!("opening {}", path.display()), e))?;
    file.set_len(len as u64)
        .map_err(|e| WalError::io(&format!("truncating {}", path.display()), e))?;
    file.sync_all()
        .map_err(|e| WalError::io(&format!("fsyncing {}", path.display()), e))
}

/// Logs the progress of a long recovery so an operator knows it is alive.
struct Progress {
    segments: usize,
    started: Instant,
}

impl Progress {
    fn new(segments: usize) -> Progress {
        Progress {
            segments,
            started: Instant::now(),
        }
    }

    fn segment_done(&self, index: usize, records: u64) {
        let elapsed = self.started.elapsed().as_secs_f64();
        if elapsed >= 1.0 || index + 1 == self.segments {
            let percent = 100.0 * (index + 1) as f64 / self.segments as f64;
            let rate = records as f64 / elapsed.max(1e-6);
            tracing::info!(
                records,
                percent = format!("{percent:.0}"),
                rate = format!("{rate:.0}/s"),
                "replaying the WAL"
            );
        }
    }
}
