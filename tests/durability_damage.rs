//! Damaged logs and failing disks, at the level of the real server process
//! (issue 4). The byte-level tests in `src/wal` cut and flip every byte of a small
//! log; these check what an operator sees:
//!
//! - a WAL whose last record was torn by a crash: the server starts, says in its log
//!   how many bytes it dropped, and has every earlier commit;
//! - a WAL damaged before its end: the server refuses to start, naming the file, the
//!   offset and `--recovery-truncate-corrupt`; with that flag it starts with the
//!   prefix before the damage;
//! - a second server on a data directory in use refuses, naming the holder's pid;
//! - a slow fsync (`--fault-wal-fsync-delay-ms`) delays only the commits waiting for
//!   it: SELECTs and `synchronous_commit = off` writes go on meanwhile;
//! - a full disk (`--fault-wal-fail-after-bytes`): writes fail with 58030 and a
//!   message saying what to do, reads go on, and after a restart every acknowledged
//!   commit is there and nothing is partial.
//!
//! The servers here load no module (`--no-modules`): the bank example's schema would
//! add a record to every fresh log, and these tests count records.
//!
//! Segment files are edited in place between runs, using the documented layout
//! (`src/wal/segment.rs`): a 24-byte file header, then records of a 20-byte header
//! (payload length u32 LE first) and the payload.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::{DataDir, TestServer};
use tokio_postgres::Client;

/// Bytes of a segment's file header.
const SEGMENT_HEADER_LEN: usize = 24;
/// Bytes of a record's header.
const RECORD_HEADER_LEN: usize = 20;

/// The WAL segment files of a data directory, oldest first.
fn segments(dir: &DataDir) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.path().join("wal"))
        .expect("list the WAL directory")
        .map(|entry| entry.expect("a WAL directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "wal"))
        .collect();
    files.sort();
    files
}

/// `(offset, payload length)` of every record of a segment file.
fn records(path: &Path) -> Vec<(usize, usize)> {
    let bytes = std::fs::read(path).expect("read a segment");
    let mut offset = SEGMENT_HEADER_LEN;
    let mut found = Vec::new();
    while offset + RECORD_HEADER_LEN <= bytes.len() {
        let len = u32::from_le_bytes(bytes[offset..offset + 4].try_into().unwrap()) as usize;
        found.push((offset, len));
        offset += RECORD_HEADER_LEN + len;
    }
    assert_eq!(
        offset,
        bytes.len(),
        "{} ends inside a record",
        path.display()
    );
    found
}

/// Flips every bit of one byte of a file.
fn flip_byte(path: &Path, offset: usize) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[offset] ^= 0xff;
    std::fs::write(path, bytes).unwrap();
}

/// Cuts a file to `len` bytes.
fn cut(path: &Path, len: usize) {
    let file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    file.set_len(len as u64).unwrap();
}

/// The ids in table `t`, in order.
async fn ids(client: &Client) -> Vec<i32> {
    client
        .query("SELECT id FROM t ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

/// Table `t` and the rows `ids`, each its own acknowledged (durable) transaction;
/// then the server is killed, so everything is in the log and nothing in a snapshot.
async fn write_then_crash(dir: &DataDir, rows: std::ops::RangeInclusive<i32>, create: bool) {
    let mut server = TestServer::start_in(dir, &["--no-modules"]);
    let client = server.connect().await;
    if create {
        client
            .simple_query("CREATE TABLE t (id INT PRIMARY KEY, note TEXT)")
            .await
            .unwrap();
    }
    for id in rows {
        client
            .simple_query(&format!(
                "INSERT INTO t VALUES ({id}, 'a note long enough to cut in the middle {id}')"
            ))
            .await
            .unwrap();
    }
    server.kill_9();
}

/// Cuts the last segment in the middle of its last record's payload (a crash in the
/// middle of an append): the server starts, warns how many bytes it dropped, has
/// every earlier commit, and takes writes that survive the next crash. Then the same
/// when the torn record was the only one of its segment (a segment started by the
/// restart).
#[tokio::test]
async fn torn_tail_is_cut_with_a_warning() {
    let dir = DataDir::new();
    write_then_crash(&dir, 1..=10, true).await;
    let last = segments(&dir).pop().expect("a segment");
    let (offset, len) = *records(&last).last().unwrap();
    let cut_at = offset + RECORD_HEADER_LEN + len / 2;
    cut(&last, cut_at);

    let mut server = TestServer::start_in(&dir, &["--no-modules"]);
    let client = server.connect().await;
    assert_eq!(ids(&client).await, (1..=9).collect::<Vec<_>>());
    let log = server.log_plain();
    let dropped = cut_at - offset;
    assert!(
        log.contains("torn WAL tail") && log.contains(&format!("{dropped} bytes")),
        "expected a warning about {dropped} dropped bytes:\n{log}"
    );
    client
        .simple_query("INSERT INTO t VALUES (11, 'after the cut')")
        .await
        .unwrap();
    server.kill_9();
    drop(server);

    // Every start begins a new segment: the next one holds one record (id 12).
    // Cut that one in the middle.
    write_then_crash(&dir, 12..=12, false).await;
    let last = segments(&dir).pop().expect("a segment");
    let in_last = records(&last);
    assert_eq!(in_last.len(), 1, "one record in {}", last.display());
    let (offset, len) = in_last[0];
    cut(&last, offset + RECORD_HEADER_LEN + len / 2);

    let mut server = TestServer::start_in(&dir, &["--no-modules"]);
    let client = server.connect().await;
    let mut expected: Vec<i32> = (1..=9).collect();
    expected.push(11);
    assert_eq!(ids(&client).await, expected);
    client
        .simple_query("INSERT INTO t VALUES (13, 'after the second cut')")
        .await
        .unwrap_or_else(|e| panic!("a write after the cut failed: {e}\n{}", server.log()));
    server.kill_9();
    drop(server);
    let server = TestServer::start_in(&dir, &["--no-modules"]);
    let client = server.connect().await;
    expected.push(13);
    assert_eq!(ids(&client).await, expected);
}

/// Damages an early record (its payload, then in a second directory its header) of
/// a segment followed by more records: the server refuses to start with a non-zero
/// exit and a message naming the file, the record's offset and
/// `--recovery-truncate-corrupt`; with that flag it starts with the commits before
/// the damage, takes writes, and the cut is durable (a plain start afterwards works).
#[tokio::test]
async fn damage_before_the_tail_refuses_to_start() {
    for (what, byte_in_record) in [("payload", RECORD_HEADER_LEN + 3), ("header", 1)] {
        let dir = DataDir::new();
        write_then_crash(&dir, 1..=10, true).await;
        let segment = segments(&dir).pop().expect("a segment");
        let in_segment = records(&segment);
        assert_eq!(in_segment.len(), 11, "CREATE TABLE and 10 INSERTs");
        // Records: LSN 1 the CREATE TABLE, LSN 2 id 1, LSN 3 id 2 (damaged here).
        let (offset, _) = in_segment[2];
        flip_byte(&segment, offset + byte_in_record);

        let (status, log) = TestServer::start_in_expecting_refusal(&dir, &["--no-modules"]);
        assert!(
            !status.success(),
            "{what}: started on a damaged log:\n{log}"
        );
        let name = segment.file_name().unwrap().to_str().unwrap();
        for needle in [
            name,
            &format!("at byte {offset}"),
            "--recovery-truncate-corrupt",
        ] {
            assert!(log.contains(needle), "{what}: no {needle:?} in:\n{log}");
        }

        let mut server =
            TestServer::start_in(&dir, &["--no-modules", "--recovery-truncate-corrupt"]);
        let client = server.connect().await;
        assert_eq!(
            ids(&client).await,
            vec![1],
            "{what}: the prefix before the damage"
        );
        assert!(server.log_plain().contains("--recovery-truncate-corrupt"));
        client
            .simple_query("INSERT INTO t VALUES (20, 'after the damage')")
            .await
            .unwrap();
        server.kill_9();
        drop(server);
        let server = TestServer::start_in(&dir, &["--no-modules"]);
        let client = server.connect().await;
        assert_eq!(
            ids(&client).await,
            vec![1, 20],
            "{what}: after a plain restart"
        );
    }
}

/// A second server on a data directory in use exits with an error naming the pid of
/// the server holding it; the first goes on serving reads and writes.
#[tokio::test]
async fn second_server_on_the_same_data_dir_refuses() {
    let dir = DataDir::new();
    let server = TestServer::start_in(&dir, &["--no-modules"]);
    let client = server.connect().await;
    client
        .simple_query("CREATE TABLE t (id INT PRIMARY KEY, note TEXT)")
        .await
        .unwrap();
    let (status, log) = TestServer::start_in_expecting_refusal(&dir, &["--no-modules"]);
    assert!(!status.success(), "a second server started:\n{log}");
    let holder = format!("in use by another Turnstile server (pid {})", server.pid());
    assert!(log.contains(&holder), "no {holder:?} in:\n{log}");
    client
        .simple_query("INSERT INTO t VALUES (1, 'still mine')")
        .await
        .unwrap();
    assert_eq!(ids(&client).await, vec![1]);
}

/// An fsync stuck for 5 s (`--fault-wal-fsync-delay-ms 5000`) holds back only the
/// commit waiting for it. A `synchronous_commit = on` INSERT is started on one
/// connection; once its row is visible (so it is past the lock and waiting for the
/// fsync), SELECTs on another connection, `synchronous_commit = off` INSERTs on a
/// third and a new connection all complete, and only then is the synchronous INSERT
/// checked: it has not finished yet (its fsync cannot end before 5 s have passed).
/// It then completes normally.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_fsync_delays_neither_readers_nor_asynchronous_writers() {
    let server =
        TestServer::start_with_args(&["--no-modules", "--fault-wal-fsync-delay-ms", "5000"]);
    let writer_off = server.connect().await;
    writer_off
        .simple_query("SET synchronous_commit = off")
        .await
        .unwrap();
    writer_off
        .simple_query("CREATE TABLE t (id INT PRIMARY KEY, note TEXT)")
        .await
        .unwrap();
    writer_off
        .simple_query("INSERT INTO t VALUES (1, 'setup')")
        .await
        .unwrap();

    let writer_on = server.connect().await;
    let pending = tokio::spawn(async move {
        writer_on
            .simple_query("INSERT INTO t VALUES (100, 'synchronous')")
            .await
            .map(|_| ())
    });
    let reader = server.connect().await;
    // Visible means committed under the lock: the INSERT now waits for its fsync.
    while ids(&reader).await.last() != Some(&100) {
        tokio::task::yield_now().await;
    }

    for _ in 0..20 {
        let count: i64 = reader
            .query_one("SELECT count(*) FROM t", &[])
            .await
            .unwrap()
            .get(0);
        assert!(count >= 2);
    }
    for id in 101..=110 {
        writer_off
            .simple_query(&format!("INSERT INTO t VALUES ({id}, 'asynchronous')"))
            .await
            .unwrap();
    }
    let late_reader = server.connect().await;
    let async_rows: i64 = late_reader
        .query_one("SELECT count(*) FROM t WHERE id > 100", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(async_rows, 10);
    assert!(
        !pending.is_finished(),
        "the synchronous INSERT finished before its 5 s fsync could have"
    );
    pending
        .await
        .unwrap()
        .expect("the synchronous INSERT commits once its fsync returns");
}

/// Rows per transaction in the disk-full test, varying so a partial transaction
/// cannot look whole.
fn rows_in(seq: i64) -> i64 {
    2 + seq % 3
}

/// A full disk (`--fault-wal-fail-after-bytes 8192`): transactions of several rows
/// commit until the log cannot be written; that commit and every later write fail
/// with 58030 (or 53100) and a message saying what to do, while reads go on. After a
/// restart without the fault every acknowledged transaction is there, whole, nothing
/// unacknowledged is, and the server takes writes again.
#[tokio::test]
async fn full_disk_refuses_writes_keeps_reads_and_loses_nothing_acknowledged() {
    let dir = DataDir::new();
    let mut server = TestServer::start_in(
        &dir,
        &["--no-modules", "--fault-wal-fail-after-bytes", "8192"],
    );
    let client = server.connect().await;
    client
        .simple_query("CREATE TABLE txns (seq BIGINT, part INT, total INT, note TEXT, PRIMARY KEY (seq, part))")
        .await
        .unwrap();
    let mut acked = BTreeSet::new();
    let mut failed_seq = None;
    for seq in 1..=10_000i64 {
        let total = rows_in(seq);
        let values: Vec<String> = (1..=total)
            .map(|part| format!("({seq}, {part}, {total}, 'txn {seq} row {part}')"))
            .collect();
        let sql = format!("INSERT INTO txns VALUES {}", values.join(", "));
        match client.simple_query(&sql).await {
            Ok(_) => {
                acked.insert(seq);
            }
            Err(error) => {
                check_disk_error(&error);
                failed_seq = Some(seq);
                break;
            }
        }
    }
    let failed_seq = failed_seq.expect("the injected full disk never failed a write");
    assert!(!acked.is_empty(), "the first commits fit in 8192 bytes");

    for sql in [
        "INSERT INTO txns VALUES (1000000, 1, 1, 'refused')",
        "CREATE TABLE refused (x INT)",
    ] {
        let error = client.simple_query(sql).await.expect_err(sql);
        check_disk_error(&error);
    }
    let count: i64 = client
        .query_one("SELECT count(*) FROM txns", &[])
        .await
        .expect("reads go on after the log failed")
        .get(0);
    assert!(count as usize >= acked.len());
    let log = server.log_plain();
    assert!(log.contains("WAL write failed"), "{log}");
    server.stop();
    drop(server);

    let server = TestServer::start_in(&dir, &["--no-modules"]);
    let client = server.connect().await;
    let rows = client
        .query("SELECT seq, part, total FROM txns ORDER BY seq, part", &[])
        .await
        .unwrap();
    let mut recovered: std::collections::BTreeMap<i64, Vec<(i32, i32)>> = Default::default();
    for row in &rows {
        recovered
            .entry(row.get(0))
            .or_default()
            .push((row.get(1), row.get(2)));
    }
    for (seq, parts) in &recovered {
        let total = rows_in(*seq) as i32;
        let whole: Vec<(i32, i32)> = (1..=total).map(|p| (p, total)).collect();
        assert_eq!(parts, &whole, "txn {seq} is partial");
        assert!(
            acked.contains(seq) || *seq == failed_seq,
            "txn {seq} was never acknowledged"
        );
    }
    let recovered: BTreeSet<i64> = recovered.keys().copied().collect();
    let lost: Vec<_> = acked.difference(&recovered).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    client
        .simple_query("INSERT INTO txns VALUES (2000000, 1, 1, 'the disk has room again')")
        .await
        .unwrap_or_else(|e| panic!("a write after the restart failed: {e}\n{}", server.log()));
}

/// The disk fills up at the very first write of a fresh server: after a restart
/// without the fault the server takes writes (the segment file the failed write
/// left behind must not be in the way).
#[tokio::test]
async fn full_disk_at_the_first_write_then_restart() {
    let dir = DataDir::new();
    let mut server =
        TestServer::start_in(&dir, &["--no-modules", "--fault-wal-fail-after-bytes", "0"]);
    let client = server.connect().await;
    let error = client
        .simple_query("CREATE TABLE t (id INT PRIMARY KEY, note TEXT)")
        .await
        .expect_err("nothing fits on the disk");
    check_disk_error(&error);
    server.kill_9();
    drop(server);

    let server = TestServer::start_in(&dir, &["--no-modules"]);
    let client = server.connect().await;
    assert_eq!(
        client
            .simple_query("SELECT * FROM t")
            .await
            .expect_err("the CREATE TABLE was never acknowledged")
            .code()
            .map(|c| c.code().to_owned()),
        Some("42P01".to_owned())
    );
    client
        .simple_query("CREATE TABLE t (id INT PRIMARY KEY, note TEXT)")
        .await
        .unwrap_or_else(|e| panic!("a write after the restart failed: {e}\n{}", server.log()));
    client
        .simple_query("INSERT INTO t VALUES (1, 'fits now')")
        .await
        .unwrap();
    assert_eq!(ids(&client).await, vec![1]);
}

/// A write refused because the log cannot be written: SQLSTATE 58030 (io_error) or
/// 53100 (disk_full), and a message that tells the operator what to do.
fn check_disk_error(error: &tokio_postgres::Error) {
    let db = error
        .as_db_error()
        .unwrap_or_else(|| panic!("not a server error: {error}"));
    assert!(
        ["58030", "53100"].contains(&db.code().code()),
        "SQLSTATE {}: {}",
        db.code().code(),
        db.message()
    );
    assert!(
        db.message().contains("fix the disk") && db.message().contains("restart"),
        "the message should say what to do: {}",
        db.message()
    );
}
