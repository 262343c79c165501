//! The SQL surface of durability, against the real server binary with tokio-postgres:
//! `synchronous_commit` (session setting and `--synchronous-commit`),
//! `turnstile.confirmed_reads`, `CHECKPOINT`, the `turnstile_wal` system relation,
//! and writes refused with 58030 once the log has failed while reads go on.
//!
//! Whether an acknowledgement came before or after the fsync is observed without
//! timing: the servers here flush every hour (`--wal-flush-interval`) unless a
//! session waits for durability, so after an acknowledged write `turnstile_wal`
//! shows `durable_lsn < written_lsn` exactly when nobody waited for the fsync.

mod common;

use common::{DataDir, TestServer};
use tokio_postgres::{Client, SimpleQueryMessage};

/// A flush interval no test outlives: only a session waiting for durability
/// (synchronous_commit = on, a confirmed read, CHECKPOINT) makes the log flush.
const FLUSH_NEVER_MS: &str = "3600000";

/// `(written_lsn, durable_lsn)` from `turnstile_wal`.
async fn lsns(client: &Client) -> (i64, i64) {
    let row = client
        .query_one("SELECT written_lsn, durable_lsn FROM turnstile_wal", &[])
        .await
        .unwrap();
    (row.get(0), row.get(1))
}

/// The single text value a simple query returns (SHOW, or one column of one row).
async fn text(client: &Client, sql: &str) -> String {
    let messages = client.simple_query(sql).await.unwrap();
    let rows: Vec<String> = messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
            _ => None,
        })
        .collect();
    assert_eq!(rows.len(), 1, "{sql}: {rows:?}");
    rows[0].clone()
}

/// SHOW, SET and RESET of synchronous_commit: PostgreSQL's values are accepted and
/// shown, a bad one is 22023, and RESET returns to the server's default, which
/// `--synchronous-commit` sets (on unless told otherwise).
#[tokio::test]
async fn synchronous_commit_setting_and_server_flag() {
    let server = TestServer::start();
    let client = server.connect().await;
    assert_eq!(text(&client, "SHOW synchronous_commit").await, "on");
    client
        .batch_execute("SET synchronous_commit = off")
        .await
        .unwrap();
    assert_eq!(text(&client, "SHOW synchronous_commit").await, "off");
    client
        .batch_execute("SET synchronous_commit TO remote_apply")
        .await
        .unwrap();
    assert_eq!(
        text(&client, "SHOW synchronous_commit").await,
        "remote_apply"
    );
    let bad = client
        .batch_execute("SET synchronous_commit = sometimes")
        .await
        .unwrap_err();
    assert_eq!(bad.code().unwrap().code(), "22023");
    client
        .batch_execute("RESET synchronous_commit")
        .await
        .unwrap();
    assert_eq!(text(&client, "SHOW synchronous_commit").await, "on");

    let off_server = TestServer::start_with_args(&["--synchronous-commit", "off"]);
    let client = off_server.connect().await;
    assert_eq!(text(&client, "SHOW synchronous_commit").await, "off");
    client
        .batch_execute("SET synchronous_commit = on")
        .await
        .unwrap();
    assert_eq!(text(&client, "SHOW synchronous_commit").await, "on");
    client
        .batch_execute("RESET synchronous_commit")
        .await
        .unwrap();
    assert_eq!(text(&client, "SHOW synchronous_commit").await, "off");
}

/// With `on` a write's acknowledgement comes after the fsync covering it: right
/// after it the durable LSN has reached the written one. With `off` it comes at
/// visibility: with no flush for an hour, the durable LSN stays behind. Then a
/// confirmed read sees those rows and answers only once they are durable, which
/// `turnstile_wal` shows afterwards; a table-free SELECT with confirmed reads on
/// answers at once, and the setting shows and resets like any other.
#[tokio::test]
async fn acknowledgement_follows_synchronous_commit_and_confirmed_reads() {
    let server = TestServer::start_with_args(&["--wal-flush-interval", FLUSH_NEVER_MS]);
    let client = server.connect().await;
    client
        .batch_execute(
            "CREATE TABLE t (id INT PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'on')",
        )
        .await
        .unwrap();
    let (written, durable) = lsns(&client).await;
    assert!(durable >= written, "on: {durable} >= {written}");

    client
        .batch_execute("SET synchronous_commit = off")
        .await
        .unwrap();
    client
        .execute("INSERT INTO t VALUES (2, 'off'), (3, 'off')", &[])
        .await
        .unwrap();
    let (written_off, durable_off) = lsns(&client).await;
    assert_eq!(written_off, written + 1);
    assert!(
        durable_off < written_off,
        "off: {durable_off} < {written_off}"
    );

    assert_eq!(text(&client, "SHOW turnstile.confirmed_reads").await, "off");
    client
        .batch_execute("SET turnstile.confirmed_reads = on")
        .await
        .unwrap();
    assert_eq!(text(&client, "SHOW turnstile.confirmed_reads").await, "on");
    let rows = client
        .query("SELECT id, v FROM t ORDER BY id", &[])
        .await
        .unwrap();
    let got: Vec<(i32, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(
        got,
        vec![(1, "on".into()), (2, "off".into()), (3, "off".into())]
    );
    client
        .batch_execute("RESET turnstile.confirmed_reads")
        .await
        .unwrap();
    let (_, durable_after) = lsns(&client).await;
    assert!(
        durable_after >= written_off,
        "confirmed: {durable_after} >= {written_off}"
    );

    // A table-free query sees no commit: with another unflushed write pending it
    // still answers, and the log stays behind.
    client
        .execute("INSERT INTO t VALUES (4, 'off')", &[])
        .await
        .unwrap();
    client
        .batch_execute("SET turnstile.confirmed_reads = on")
        .await
        .unwrap();
    assert_eq!(text(&client, "SELECT 40 + 2").await, "42");
    client
        .batch_execute("SET turnstile.confirmed_reads = off")
        .await
        .unwrap();
    let (written_4, durable_4) = lsns(&client).await;
    assert!(
        durable_4 < written_4,
        "table-free: {durable_4} < {written_4}"
    );
}

/// `turnstile_wal` is a relation: typed columns through the extended protocol,
/// projection and WHERE with parameters, NULL snapshot columns before any snapshot
/// this run, and counters that move as writes happen (one LSN per statement, more
/// flushes and log bytes). CHECKPOINT (simple and extended protocol) fills in the
/// snapshot columns.
#[tokio::test]
async fn turnstile_wal_columns_move_with_writes() {
    let server = TestServer::start();
    let client = server.connect().await;
    let before = client
        .query_one("SELECT * FROM turnstile_wal", &[])
        .await
        .unwrap();
    let columns: Vec<&str> = before.columns().iter().map(|c| c.name()).collect();
    assert_eq!(
        columns,
        [
            "written_lsn",
            "durable_lsn",
            "last_flush_ms",
            "flushes",
            "log_bytes",
            "last_snapshot_lsn",
            "last_snapshot_at",
            "last_snapshot_ms",
            "last_snapshot_longest_lock_hold_us"
        ]
    );
    assert_eq!(before.get::<_, Option<i64>>("last_snapshot_lsn"), None);
    assert_eq!(before.get::<_, Option<f64>>("last_snapshot_ms"), None);
    let (written0, flushes0, bytes0): (i64, i64, i64) = (
        before.get("written_lsn"),
        before.get("flushes"),
        before.get("log_bytes"),
    );
    // Three commits: one Query string of them would be one implicit transaction.
    for sql in [
        "CREATE TABLE n (i INT)",
        "INSERT INTO n VALUES (1)",
        "INSERT INTO n VALUES (2)",
    ] {
        client.batch_execute(sql).await.unwrap();
    }
    let after = client
        .query_one(
            "SELECT written_lsn, flushes, log_bytes, last_flush_ms FROM turnstile_wal WHERE written_lsn > $1",
            &[&written0],
        )
        .await
        .unwrap();
    assert_eq!(after.get::<_, i64>(0), written0 + 3);
    assert!(after.get::<_, i64>(1) > flushes0);
    assert!(after.get::<_, i64>(2) > bytes0);
    assert!(after.get::<_, f64>(3) >= 0.0);
    let none = client
        .query("SELECT 1 FROM turnstile_wal WHERE written_lsn < 0", &[])
        .await
        .unwrap();
    assert!(none.is_empty());

    client.batch_execute("CHECKPOINT").await.unwrap();
    assert_eq!(client.execute("checkpoint;", &[]).await.unwrap(), 0);
    let snap = client
        .query_one(
            "SELECT last_snapshot_lsn, last_snapshot_at IS NOT NULL, last_snapshot_ms, \
             last_snapshot_longest_lock_hold_us, written_lsn FROM turnstile_wal",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(snap.get::<_, i64>(0), snap.get::<_, i64>(4));
    assert!(snap.get::<_, bool>(1));
    assert!(snap.get::<_, f64>(2) >= 0.0);
    assert!(snap.get::<_, i64>(3) >= 0);
}

/// CHECKPOINT (here inside a transaction block, which PostgreSQL allows) writes a
/// snapshot file into `snapshots/`, covering every commit so far. After more writes and a kill -9 (no shutdown snapshot), a server on the
/// same data directory recovers the snapshot plus the log after it: every row.
#[tokio::test]
async fn checkpoint_then_restart_keeps_everything() {
    let dir = DataDir::new();
    let mut server = TestServer::start_in(&dir, &[]);
    let client = server.connect().await;
    client
        .batch_execute("CREATE TABLE k (id INT PRIMARY KEY); INSERT INTO k VALUES (1), (2), (3)")
        .await
        .unwrap();
    // Inside a transaction block too, as PostgreSQL allows: it changes no data.
    client.batch_execute("BEGIN").await.unwrap();
    client.batch_execute("CHECKPOINT").await.unwrap();
    client.batch_execute("COMMIT").await.unwrap();
    let snapshots = std::fs::read_dir(dir.path().join("snapshots"))
        .unwrap()
        .count();
    assert!(snapshots >= 1, "no snapshot file after CHECKPOINT");
    client
        .batch_execute("INSERT INTO k VALUES (4), (5)")
        .await
        .unwrap();
    server.kill_9();
    drop(client);

    let server = TestServer::start_in(&dir, &[]);
    let client = server.connect().await;
    let ids: Vec<i32> = client
        .query("SELECT id FROM k ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(ids, vec![1, 2, 3, 4, 5]);
}

/// Once the log fails (a full disk: writes fail after 2000 bytes), every write is
/// refused with 58030 and the log's message, none is acknowledged, and reads —
/// of tables and of `turnstile_wal` — keep answering; a confirmed read, which would
/// vouch for the commit that never became durable, answers 58030.
#[tokio::test]
async fn writes_fail_with_58030_after_a_wal_failure_and_reads_go_on() {
    let server = TestServer::start_with_args(&["--fault-wal-fail-after-bytes", "2000"]);
    let client = server.connect().await;
    client
        .batch_execute("CREATE TABLE f (id INT PRIMARY KEY, pad TEXT)")
        .await
        .unwrap();
    let mut acknowledged = 0;
    let mut failure = None;
    // Each insert logs well over 20 bytes, so the 2000-byte budget runs out long
    // before 1000 inserts.
    for id in 0..1000 {
        let pad = "x".repeat(100);
        match client
            .execute("INSERT INTO f VALUES ($1, $2)", &[&id, &pad])
            .await
        {
            Ok(_) => acknowledged += 1,
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    let failure = failure.expect("the log never failed");
    let db_error = failure.as_db_error().expect("an ErrorResponse");
    assert_eq!(db_error.code().code(), "58030", "{db_error:?}");
    assert!(
        db_error
            .message()
            .starts_with("could not make the write-ahead log durable"),
        "{db_error:?}"
    );
    let again = client
        .execute("INSERT INTO f VALUES (-1, 'no')", &[])
        .await
        .unwrap_err();
    assert_eq!(again.code().unwrap().code(), "58030");
    let ddl = client
        .batch_execute("CREATE TABLE g (a INT)")
        .await
        .unwrap_err();
    assert_eq!(ddl.code().unwrap().code(), "58030");

    let count: i64 = client
        .query_one("SELECT count(*) FROM f WHERE id >= 0", &[])
        .await
        .unwrap()
        .get(0);
    assert!(count >= acknowledged, "{count} >= {acknowledged}");
    let (written, durable) = lsns(&client).await;
    assert!(
        durable < written,
        "the failed commit is visible, not durable"
    );
    let other = server.connect().await;
    assert_eq!(
        text(&other, "SELECT count(*) FROM f WHERE id = 0").await,
        "1"
    );
    // A confirmed read sees that commit, which will never be durable: it answers
    // 58030 rather than rows that a restart would not bring back.
    other
        .batch_execute("SET turnstile.confirmed_reads = on")
        .await
        .unwrap();
    let confirmed = other
        .query_one("SELECT count(*) FROM f", &[])
        .await
        .unwrap_err();
    assert_eq!(confirmed.code().unwrap().code(), "58030", "{confirmed:?}");
}
