//! Tests of the log: durability waits, group commit, restarts across segments, torn
//! tails, damage and I/O failure.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;

/// A directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("turnstile-wal-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn config(dir: &Path, segment_size_bytes: u64) -> WalConfig {
    WalConfig {
        dir: dir.to_owned(),
        segment_size_bytes,
        flush_interval: Duration::from_secs(3600),
        buffer_cap_bytes: 1 << 20,
        faults: WalFaults::default(),
    }
}

/// Replays the log in `dir` and returns its payloads as strings.
fn read_all(dir: &Path, on_damage: OnDamage) -> Result<Vec<String>, WalError> {
    let mut payloads = Vec::new();
    replay(dir, 0, on_damage, |_, payload| {
        payloads.push(String::from_utf8(payload.to_vec()).unwrap());
        Ok(())
    })?;
    Ok(payloads)
}

fn names(range: std::ops::RangeInclusive<u32>) -> Vec<String> {
    range.map(|i| format!("txn {i}")).collect()
}

/// Records appended and waited for are durable in a segment file; a wait for many
/// records appended together is served by one flush (group commit), with the
/// flush interval far away, so only the waiter could have triggered it.
#[tokio::test]
async fn waiting_flushes_and_groups_commits() {
    let tmp = TempDir::new("group");
    let wal = Wal::start(config(&tmp.0, 1 << 20), 1, 0).unwrap();
    let mut last = 0;
    for payload in names(1..=50) {
        last = wal.append(payload.as_bytes()).unwrap();
    }
    assert_eq!(last, 50);
    wal.wait_durable(last).await.unwrap();
    let stats = wal.stats();
    assert_eq!((stats.durable_lsn, stats.flushes), (50, 1));
    assert_eq!(read_all(&tmp.0, OnDamage::Refuse).unwrap(), names(1..=50));
}

/// A clean stop flushes what is buffered; a restart continues the LSN sequence in a
/// new segment, and replay reads every segment in order. Small segments make the
/// log roll over to new files along the way.
#[tokio::test]
async fn restart_continues_across_segments() {
    let tmp = TempDir::new("restart");
    {
        let wal = Wal::start(config(&tmp.0, 64), 1, 0).unwrap();
        for payload in names(1..=5) {
            let lsn = wal.append(payload.as_bytes()).unwrap();
            wal.wait_durable(lsn).await.unwrap();
        }
        wal.append(b"txn 6").unwrap(); // not waited for: the drop must flush it
    }
    let mut replayed = Vec::new();
    let found = replay(&tmp.0, 0, OnDamage::Refuse, |lsn, p| {
        replayed.push((lsn, p.to_vec()));
        Ok(())
    })
    .unwrap();
    assert_eq!(found.next_lsn, 7);
    assert!(
        segment::list_segments(&tmp.0).unwrap().len() > 1,
        "small segments roll over"
    );
    let wal = Wal::start(config(&tmp.0, 64), found.next_lsn, found.log_bytes).unwrap();
    let lsn = wal.append(b"txn 7").unwrap();
    wal.wait_durable(lsn).await.unwrap();
    drop(wal);
    assert_eq!(read_all(&tmp.0, OnDamage::Refuse).unwrap(), names(1..=7));
    let mut after_three = Vec::new();
    replay(&tmp.0, 3, OnDamage::Refuse, |lsn, _| {
        after_three.push(lsn);
        Ok(())
    })
    .unwrap();
    assert_eq!(
        after_three,
        vec![4, 5, 6, 7],
        "replay starts after the given LSN"
    );
}

/// An interrupted append at the end of the last segment is cut off, and the log
/// goes on after it without being taken for damage at the next start.
#[tokio::test]
async fn torn_tail_is_cut() {
    let tmp = TempDir::new("torn");
    {
        let wal = Wal::start(config(&tmp.0, 1 << 20), 1, 0).unwrap();
        for payload in names(1..=3) {
            wal.append(payload.as_bytes()).unwrap();
        }
    }
    let (_, last) = segment::list_segments(&tmp.0).unwrap().pop().unwrap();
    let len = std::fs::metadata(&last).unwrap().len();
    let file = std::fs::OpenOptions::new().write(true).open(&last).unwrap();
    file.set_len(len - 3).unwrap(); // the last record loses its last bytes
    let found = replay(&tmp.0, 0, OnDamage::Refuse, |_, _| Ok(())).unwrap();
    assert_eq!((found.next_lsn, found.records), (3, 2));
    let wal = Wal::start(config(&tmp.0, 1 << 20), found.next_lsn, found.log_bytes).unwrap();
    let lsn = wal.append(b"txn 3 again").unwrap();
    wal.wait_durable(lsn).await.unwrap();
    drop(wal);
    let mut expected = names(1..=2);
    expected.push("txn 3 again".into());
    assert_eq!(read_all(&tmp.0, OnDamage::Refuse).unwrap(), expected);
}

/// Damage before the tail refuses recovery, naming the file and offset and the
/// flag that accepts the loss; with that flag, the log is cut at the damage and
/// later segments are removed.
#[tokio::test]
async fn damage_refuses_unless_truncation_is_accepted() {
    let tmp = TempDir::new("damage");
    {
        let wal = Wal::start(config(&tmp.0, 64), 1, 0).unwrap();
        for payload in names(1..=6) {
            let lsn = wal.append(payload.as_bytes()).unwrap();
            wal.wait_durable(lsn).await.unwrap();
        }
    }
    let segments = segment::list_segments(&tmp.0).unwrap();
    assert!(segments.len() >= 3);
    let (_, second) = &segments[1];
    let mut bytes = std::fs::read(second).unwrap();
    let at = segment::HEADER_LEN + segment::RECORD_HEADER_LEN; // the first payload byte
    bytes[at] ^= 0x40;
    std::fs::write(second, &bytes).unwrap();
    let err = read_all(&tmp.0, OnDamage::Refuse).unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(err, WalError::Damaged { ref file, offset, .. } if file == second && offset == segment::HEADER_LEN)
    );
    assert!(message.contains("--recovery-truncate-corrupt"), "{message}");
    let kept = read_all(&tmp.0, OnDamage::Truncate).unwrap();
    assert_eq!(kept, names(1..=segments[1].0 as u32 - 1));
    assert_eq!(
        segment::list_segments(&tmp.0).unwrap().len(),
        1,
        "later segments, and the damaged one left without a record, are removed"
    );
    assert_eq!(
        read_all(&tmp.0, OnDamage::Refuse).unwrap(),
        kept,
        "the cut log is clean"
    );
}

/// When a write fails (here: the WAL directory vanished, so the next segment cannot
/// be created), waiters and later appends get an I/O error, never a false success.
#[tokio::test]
async fn io_failure_stops_acknowledging() {
    let tmp = TempDir::new("failure");
    let wal = Wal::start(config(&tmp.0, 1), 1, 0).unwrap();
    let lsn = wal.append(b"txn 1").unwrap();
    wal.wait_durable(lsn).await.unwrap();
    std::fs::remove_dir_all(&tmp.0).unwrap();
    let lsn = wal.append(b"txn 2").unwrap();
    assert!(matches!(wal.wait_durable(lsn).await, Err(WalError::Io(_))));
    assert!(matches!(wal.append(b"txn 3"), Err(WalError::Io(_))));
    assert!(matches!(wal.wait_for_room().await, Err(WalError::Io(_))));
    assert_eq!(wal.durable_lsn(), 1);
}

/// A failed first write leaves a segment with only its header; recovery removes it,
/// so the restarted log can create the segment for the same next LSN and write.
#[tokio::test]
async fn header_only_segment_does_not_block_the_next_start() {
    let tmp = TempDir::new("header-only");
    let mut failing = config(&tmp.0, 1 << 20);
    failing.faults.fail_after_bytes = Some(0);
    {
        let wal = Wal::start(failing, 1, 0).unwrap();
        let lsn = wal.append(b"txn 1").unwrap();
        assert!(matches!(wal.wait_durable(lsn).await, Err(WalError::Io(_))));
    }
    assert_eq!(
        segment::list_segments(&tmp.0).unwrap().len(),
        1,
        "the header-only segment is there"
    );
    let found = replay(&tmp.0, 0, OnDamage::Refuse, |_, _| Ok(())).unwrap();
    assert_eq!((found.next_lsn, found.records), (1, 0));
    let wal = Wal::start(config(&tmp.0, 1 << 20), found.next_lsn, found.log_bytes).unwrap();
    let lsn = wal.append(b"txn 1 again").unwrap();
    wal.wait_durable(lsn).await.unwrap();
    drop(wal);
    assert_eq!(
        read_all(&tmp.0, OnDamage::Refuse).unwrap(),
        vec!["txn 1 again".to_owned()]
    );
}
