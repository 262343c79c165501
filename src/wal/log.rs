//! The log writer: an in-memory buffer filled under the database lock, and the
//! flusher thread that writes and fsyncs it outside the lock.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use tokio::sync::{watch, Notify};

use super::segment::{encode_header, encode_record, segment_file_name, RECORD_PAYLOAD_MAX};
use super::WalError;

/// The largest written buffer the flusher hands back to the appenders for reuse:
/// ordinary batches (a few KiB) are kept, a bulk load's megabytes are freed.
const SPARE_BUFFER_BYTES_MAX: usize = 1 << 20;

/// How the log is written.
#[derive(Debug, Clone)]
pub struct WalConfig {
    /// The directory of segment files (`<data dir>/wal`).
    pub dir: PathBuf,
    /// A segment is closed and a new one started once it holds this many bytes
    /// (checked between flushes, so a segment can exceed it by one flush).
    pub segment_size_bytes: u64,
    /// How long appended records may wait for a flush when no session is waiting
    /// for durability: the most a crash can lose with `synchronous_commit = off`.
    pub flush_interval: Duration,
    /// Once this many bytes wait unflushed, new writes are held back before they
    /// take the database lock, so a slow disk slows writers instead of growing
    /// memory without bound.
    pub buffer_cap_bytes: usize,
    /// Faults to inject, for tests of slow and failing disks.
    pub faults: WalFaults,
}

/// Faults the flusher injects on purpose, so that tests can show what a slow or
/// failing disk does (`turnstile serve --fault-…`, hidden flags). Both off by
/// default.
#[derive(Debug, Clone, Default)]
pub struct WalFaults {
    /// Sleep this long before every fdatasync, as a slow disk would.
    pub fsync_delay: Duration,
    /// Fail every write once this many bytes were written by this process, as a
    /// full disk would.
    pub fail_after_bytes: Option<u64>,
}

/// What the flusher has done, for `turnstile_wal` and the logs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WalStats {
    /// The LSN of the last record appended (visible, maybe not durable).
    pub written_lsn: u64,
    /// Every record up to this LSN is on disk and fsynced.
    pub durable_lsn: u64,
    /// How long the last write + fdatasync took.
    pub last_flush: Duration,
    /// Bytes in segment files written by this process plus those found at start.
    pub log_bytes: u64,
    /// Flushes (write + fdatasync) done by this process: fewer than commits when
    /// group commit works.
    pub flushes: u64,
}

/// The log. Cheap to share; dropping the last handle flushes what is buffered
/// and stops the flusher (a clean shutdown loses nothing).
pub struct Wal {
    /// Everything appenders, waiters and the flusher share.
    shared: Arc<Shared>,
    /// The flusher thread, joined on drop after it flushed what was buffered.
    flusher: Option<JoinHandle<()>>,
}

/// State shared by appenders, waiters and the flusher thread.
struct Shared {
    /// Where and how to write.
    config: WalConfig,
    /// Records appended and not yet taken by the flusher; held only for a copy.
    buffer: Mutex<Buffer>,
    /// Wakes the flusher: a record arrived that someone waits for, or shutdown.
    wake: Condvar,
    /// The durable LSN, watched by sessions waiting for their commit to be durable.
    durable: watch::Sender<u64>,
    /// Signalled after every flush, for writers held back by a full buffer.
    room: Notify,
    /// Set once a write or fsync failed; from then on nothing is acknowledged.
    failure: Mutex<Option<WalError>>,
    /// What `stats()` reports; updated by appends and flushes.
    stats: Mutex<WalStats>,
}

/// Records appended but not yet handed to the flusher.
struct Buffer {
    /// Encoded records, back to back, as they will be written.
    bytes: Vec<u8>,
    /// The LSN of the first record in `bytes` (meaningful when non-empty).
    first_lsn: u64,
    /// The LSN the next appended record gets.
    next_lsn: u64,
    /// A session waits for durability: flush now rather than at the interval.
    urgent: bool,
    /// The log is being dropped: flush what is left, then stop.
    shutting_down: bool,
}

impl Wal {
    /// Starts a log whose next record is `next_lsn`, in a new segment file (recovery
    /// has already read, and if needed cut, the existing ones).
    pub fn start(config: WalConfig, next_lsn: u64, existing_bytes: u64) -> Result<Wal, WalError> {
        std::fs::create_dir_all(&config.dir)
            .map_err(|e| WalError::io("creating the WAL directory", e))?;
        let (durable, _) = watch::channel(next_lsn - 1);
        let stats = WalStats {
            written_lsn: next_lsn - 1,
            durable_lsn: next_lsn - 1,
            log_bytes: existing_bytes,
            ..WalStats::default()
        };
        let shared = Arc::new(Shared {
            buffer: Mutex::new(Buffer {
                bytes: Vec::new(),
                first_lsn: next_lsn,
                next_lsn,
                urgent: false,
                shutting_down: false,
            }),
            wake: Condvar::new(),
            durable,
            room: Notify::new(),
            failure: Mutex::new(None),
            stats: Mutex::new(stats),
            config,
        });
        let flusher = std::thread::Builder::new()
            .name("turnstile-wal-flusher".into())
            .spawn({
                let shared = shared.clone();
                move || {
                    Flusher {
                        shared,
                        segment: None,
                        written: 0,
                    }
                    .run()
                }
            })
            .map_err(|e| WalError::io("starting the WAL flusher thread", e))?;
        Ok(Wal {
            shared,
            flusher: Some(flusher),
        })
    }

    /// Appends one transaction's redo and returns its LSN. Called with the database
    /// write lock held, so it does nothing but copy bytes into memory.
    pub fn append(&self, payload: &[u8]) -> Result<u64, WalError> {
        if payload.len() > RECORD_PAYLOAD_MAX {
            return Err(WalError::Io(format!("a transaction's redo of {} bytes is over the {RECORD_PAYLOAD_MAX}-byte record limit", payload.len())));
        }
        self.check_failure()?;
        let mut buffer = self.shared.buffer.lock();
        if buffer.bytes.is_empty() {
            buffer.first_lsn = buffer.next_lsn;
            // The flusher sleeps without a deadline while the buffer is empty: start
            // its flush interval, or commits nobody waits for would never be flushed.
            self.shared.wake.notify_one();
        }
        let lsn = buffer.next_lsn;
        buffer.next_lsn += 1;
        encode_record(&mut buffer.bytes, lsn, payload);
        drop(buffer);
        self.shared.stats.lock().written_lsn = lsn;
        Ok(lsn)
    }

    /// Waits until every record up to `lsn` is durable, asking for a flush now
    /// (group commit: every commit that arrives while a flush runs shares the next).
    pub async fn wait_durable(&self, lsn: u64) -> Result<(), WalError> {
        let mut durable = self.shared.durable.subscribe();
        if *durable.borrow() >= lsn {
            return Ok(());
        }
        {
            let mut buffer = self.shared.buffer.lock();
            buffer.urgent = true;
        }
        self.shared.wake.notify_one();
        loop {
            self.check_failure()?;
            if *durable.borrow_and_update() >= lsn {
                return Ok(());
            }
            if durable.changed().await.is_err() {
                return Err(WalError::ShutDown);
            }
        }
    }

    /// Holds a writer back, before it takes the database lock, while the buffer is
    /// over its cap. Fails at once if the log has failed.
    pub async fn wait_for_room(&self) -> Result<(), WalError> {
        loop {
            self.check_failure()?;
            let notified = self.shared.room.notified();
            if self.shared.buffer.lock().bytes.len() < self.shared.config.buffer_cap_bytes {
                return Ok(());
            }
            self.shared.wake.notify_one();
            notified.await;
        }
    }

    /// The error that stopped the log, if one did.
    pub fn check_failure(&self) -> Result<(), WalError> {
        match &*self.shared.failure.lock() {
            Some(error) => Err(error.clone()),
            None => Ok(()),
        }
    }

    pub fn stats(&self) -> WalStats {
        self.shared.stats.lock().clone()
    }

    /// The directory of segment files.
    pub fn dir(&self) -> &Path {
        &self.shared.config.dir
    }

    pub fn durable_lsn(&self) -> u64 {
        *self.shared.durable.borrow()
    }
}

impl Drop for Wal {
    fn drop(&mut self) {
        self.shared.buffer.lock().shutting_down = true;
        self.shared.wake.notify_one();
        if let Some(flusher) = self.flusher.take() {
            let _ = flusher.join();
        }
    }
}

/// The flusher thread's state: the segment it appends to.
struct Flusher {
    shared: Arc<Shared>,
    segment: Option<OpenSegment>,
    /// Bytes of records this flusher wrote (for the injected disk-full fault).
    written: u64,
}

/// The segment file being appended to.
struct OpenSegment {
    /// Opened for appending.
    file: File,
    /// Bytes in the file, header included, to know when it is full.
    len: u64,
}

impl Flusher {
    fn run(mut self) {
        // The buffer of the batch written last, emptied, becomes the appenders'
        // next buffer: an append (under the database's write lock) then copies its
        // record into memory already there instead of growing a new vector from
        // nothing, which took a few reallocations for every record while commits
        // were flushed one by one.
        let mut spare = Vec::new();
        while let Some((mut bytes, first_lsn, last_lsn)) = self.next_batch(spare) {
            let started = Instant::now();
            if let Err(error) = self.write_batch(&bytes, first_lsn) {
                tracing::error!(%error, "WAL write failed; refusing writes from now on, reads go on");
                *self.shared.failure.lock() = Some(error);
                // Wake every waiter so each learns of the failure.
                self.shared.durable.send_modify(|_| {});
                self.shared.room.notify_waiters();
                return;
            }
            let elapsed = started.elapsed();
            {
                let mut stats = self.shared.stats.lock();
                stats.durable_lsn = last_lsn;
                stats.last_flush = elapsed;
                stats.log_bytes += bytes.len() as u64;
                stats.flushes += 1;
            }
            self.shared.durable.send_replace(last_lsn);
            self.shared.room.notify_waiters();
            bytes.clear();
            // A batch far larger than usual (a bulk load) is not kept for good.
            if bytes.capacity() > SPARE_BUFFER_BYTES_MAX {
                bytes = Vec::new();
            }
            spare = bytes;
        }
    }

    /// Waits for the next batch to flush: at once if someone waits for it or the
    /// log is shutting down, otherwise once the flush interval has passed. Returns
    /// the bytes and their first and last LSN, or `None` at shutdown; `spare`, an
    /// empty buffer, takes their place.
    fn next_batch(&self, spare: Vec<u8>) -> Option<(Vec<u8>, u64, u64)> {
        let interval = self.shared.config.flush_interval;
        let mut buffer = self.shared.buffer.lock();
        let mut waiting_since = Instant::now();
        loop {
            if buffer.bytes.is_empty() {
                if buffer.shutting_down {
                    return None;
                }
                self.shared.wake.wait(&mut buffer);
                waiting_since = Instant::now();
                continue;
            }
            let due = buffer.urgent || buffer.shutting_down || waiting_since.elapsed() >= interval;
            if due {
                break;
            }
            let remaining = interval.saturating_sub(waiting_since.elapsed());
            self.shared.wake.wait_for(&mut buffer, remaining);
        }
        buffer.urgent = false;
        let bytes = std::mem::replace(&mut buffer.bytes, spare);
        Some((bytes, buffer.first_lsn, buffer.next_lsn - 1))
    }

    /// Writes one batch to the current segment (starting a new one when the current
    /// is full) and fdatasyncs it.
    fn write_batch(&mut self, bytes: &[u8], first_lsn: u64) -> Result<(), WalError> {
        let full = self
            .segment
            .as_ref()
            .is_some_and(|s| s.len >= self.shared.config.segment_size_bytes);
        if self.segment.is_none() || full {
            self.segment = Some(create_segment(&self.shared.config.dir, first_lsn)?);
        }
        let faults = &self.shared.config.faults;
        if let Some(limit) = faults.fail_after_bytes {
            if self.written + bytes.len() as u64 > limit {
                return Err(WalError::Io(format!(
                    "injected fault: no space left after {limit} bytes"
                )));
            }
        }
        let segment = self.segment.as_mut().expect("a segment was just opened");
        segment
            .file
            .write_all(bytes)
            .map_err(|e| WalError::io("writing a WAL segment", e))?;
        if !faults.fsync_delay.is_zero() {
            std::thread::sleep(faults.fsync_delay);
        }
        segment
            .file
            .sync_data()
            .map_err(|e| WalError::io("fsyncing a WAL segment", e))?;
        segment.len += bytes.len() as u64;
        self.written += bytes.len() as u64;
        Ok(())
    }
}

/// Creates a segment whose first record will be `first_lsn`: the header is written
/// and fsynced, then the directory, so the file's existence is durable before any
/// record in it is acknowledged.
fn create_segment(dir: &Path, first_lsn: u64) -> Result<OpenSegment, WalError> {
    let path = dir.join(segment_file_name(first_lsn));
    let mut file = OpenOptions::new()
        .create_new(true)
        .append(true)
        .open(&path)
        .map_err(|e| WalError::io(&format!("creating {}", path.display()), e))?;
    let header = encode_header(first_lsn);
    file.write_all(&header)
        .map_err(|e| WalError::io("writing a segment header", e))?;
    file.sync_all()
        .map_err(|e| WalError::io("fsyncing a new segment", e))?;
    fsync_dir(dir)?;
    Ok(OpenSegment {
        file,
        len: header.len() as u64,
    })
}

/// Fsyncs a directory so that files created, renamed or removed in it stay so.
pub fn fsync_dir(dir: &Path) -> Result<(), WalError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| WalError::io(&format!("fsyncing directory {}", dir.display()), e))
}
