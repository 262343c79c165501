//! Crash tests of issue 4: the server process is really killed (SIGKILL, by pid)
//! while 8 connections write, then started again on the same data directory.
//!
//! - With `synchronous_commit = on` (the default) every acknowledged commit must be
//!   there after the restart, and no transaction may be there in part.
//! - With `synchronous_commit = off` acknowledged commits may be lost, but what is
//!   recovered must be a prefix of the commit order, again with no partial
//!   transaction.
//!
//! The kill comes after a given number of acknowledged commits (counted by the
//! clients), never after a sleep, so it lands while the writers are busy.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use common::{DataDir, TestServer};
use tokio::sync::watch;
use tokio_postgres::Client;

/// Concurrent writing connections.
const CLIENTS: usize = 8;
/// Acknowledged commits (all clients together) after which the server is killed.
const KILL_AFTER_ACKS: usize = 400;

/// What one writer saw: the transactions the server acknowledged, and the one it
/// sent last without an answer (the kill cut it off), if any.
#[derive(Debug, Default)]
struct Outcome {
    acked: BTreeSet<i64>,
    in_flight: Option<i64>,
}

/// Rows per transaction: 3 to 6, varying so that a partial transaction cannot look
/// like a whole smaller one (each row also carries the count).
fn rows_in(seq: i64) -> i64 {
    3 + seq % 4
}

/// One writer: `INSERT`s transaction after transaction (each one statement of
/// `rows_in(seq)` rows tagged `(client, seq, part, total)`), counting acknowledgements
/// in `acks`, until the server goes away.
async fn write_until_killed(
    client: Client,
    id: i64,
    acks: Arc<watch::Sender<usize>>,
    outcome: Arc<Mutex<Outcome>>,
) {
    for seq in 1.. {
        let total = rows_in(seq);
        let values: Vec<String> = (1..=total)
            .map(|part| {
                format!("({id}, {seq}, {part}, {total}, 'client {id} txn {seq} row {part}')")
            })
            .collect();
        let sql = format!("INSERT INTO txns VALUES {}", values.join(", "));
        outcome.lock().unwrap().in_flight = Some(seq);
        match client.simple_query(&sql).await {
            Ok(_) => {
                let mut outcome = outcome.lock().unwrap();
                outcome.in_flight = None;
                outcome.acked.insert(seq);
                drop(outcome);
                acks.send_modify(|n| *n += 1);
            }
            Err(_) => return, // The server was killed.
        }
    }
}

/// Kill -9 while 8 connections commit with `synchronous_commit = on`; after the
/// restart each client's recovered transactions are exactly its acknowledged ones,
/// plus possibly the one that was in flight at the kill, and every recovered
/// transaction has all its rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_loses_no_acknowledged_synchronous_commit() {
    let dir = DataDir::new();
    let mut server = TestServer::start_in(&dir, &[]);
    let setup = server.connect().await;
    setup
        .simple_query("CREATE TABLE txns (client INT, seq BIGINT, part INT, total INT, note TEXT NOT NULL, PRIMARY KEY (client, seq, part))")
        .await
        .unwrap();
    let (acks, mut acked_count) = watch::channel(0usize);
    let acks = Arc::new(acks);
    let mut writers = Vec::new();
    let mut outcomes = Vec::new();
    for id in 0..CLIENTS as i64 {
        let client = server.connect().await;
        let show = client
            .query_one("SHOW synchronous_commit", &[])
            .await
            .unwrap();
        assert_eq!(show.get::<_, &str>(0), "on", "the default");
        let outcome = Arc::new(Mutex::new(Outcome::default()));
        outcomes.push(outcome.clone());
        writers.push(tokio::spawn(write_until_killed(
            client,
            id,
            acks.clone(),
            outcome,
        )));
    }
    acked_count
        .wait_for(|n| *n >= KILL_AFTER_ACKS)
        .await
        .unwrap();
    server.kill_9();
    for writer in writers {
        writer.await.unwrap();
    }
    drop(server);

    let server = TestServer::start_in(&dir, &[]);
    let client = server.connect().await;
    let recovered = recovered_txns(&client).await;
    let mut total_acked = 0;
    for (id, outcome) in outcomes.iter().enumerate() {
        let outcome = outcome.lock().unwrap();
        let got = recovered.get(&(id as i64)).cloned().unwrap_or_default();
        total_acked += outcome.acked.len();
        let missing: Vec<_> = outcome.acked.difference(&got).collect();
        assert!(
            missing.is_empty(),
            "client {id}: acknowledged but lost: {missing:?}"
        );
        let extra: Vec<_> = got
            .difference(&outcome.acked)
            .filter(|seq| Some(**seq) != outcome.in_flight)
            .collect();
        assert!(
            extra.is_empty(),
            "client {id}: recovered but never sent: {extra:?}"
        );
    }
    assert!(total_acked >= KILL_AFTER_ACKS);
    // The recovered database takes writes again.
    client
        .simple_query("INSERT INTO txns VALUES (99, 1, 1, 1, 'after the crash')")
        .await
        .unwrap();
}

/// Every `(client, seq)` transaction in `txns`, checked to be whole: its rows are
/// parts `1..=total` with one `total`. Returns each client's transactions.
async fn recovered_txns(client: &Client) -> BTreeMap<i64, BTreeSet<i64>> {
    let rows = client
        .query(
            "SELECT client, seq, part, total FROM txns ORDER BY client, seq, part",
            &[],
        )
        .await
        .unwrap();
    let mut txns: BTreeMap<(i64, i64), Vec<(i64, i64)>> = BTreeMap::new();
    for row in rows {
        let (client, seq): (i32, i64) = (row.get(0), row.get(1));
        let (part, total): (i32, i32) = (row.get(2), row.get(3));
        txns.entry((client as i64, seq))
            .or_default()
            .push((part as i64, total as i64));
    }
    let mut by_client: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    for ((client, seq), parts) in txns {
        let whole: Vec<(i64, i64)> = (1..=rows_in(seq)).map(|p| (p, rows_in(seq))).collect();
        assert_eq!(parts, whole, "client {client} txn {seq} is partial");
        by_client.entry(client).or_default().insert(seq);
    }
    by_client
}

/// Kill -9 while 8 connections commit with `synchronous_commit = off`. Each
/// transaction is one statement that takes the next number after the largest in the
/// table and inserts it as 3 rows, so the numbers are the commit order. After the
/// restart the numbers form `1..=m` with every number whole (a prefix of the commit
/// order, no partial transaction), and each recovered number belongs to the client
/// the server told it to (through RETURNING), or to the one in flight at the kill.
/// Before the kill, the test waits (with no session waiting for durability) until
/// `turnstile_wal` shows the log durable up to what was written after the first
/// 400 acknowledgements: those must all be recovered.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_with_synchronous_commit_off_recovers_a_prefix() {
    let dir = DataDir::new();
    let mut server = TestServer::start_in(&dir, &[]);
    let setup = server.connect().await;
    setup
        .simple_query(
            "CREATE TABLE seqs (n BIGINT, part INT, client INT NOT NULL, PRIMARY KEY (n, part))",
        )
        .await
        .unwrap();
    let (acks, mut acked_count) = watch::channel(0usize);
    let acks = Arc::new(acks);
    let mut writers = Vec::new();
    let mut acked_numbers = Vec::new();
    for id in 0..CLIENTS as i64 {
        let client = server.connect().await;
        client
            .simple_query("SET synchronous_commit = off")
            .await
            .unwrap();
        let numbers = Arc::new(Mutex::new(BTreeMap::<i64, i64>::new()));
        acked_numbers.push(numbers.clone());
        let acks = acks.clone();
        writers.push(tokio::spawn(async move {
            let statement = client
                .prepare(&format!(
                    "INSERT INTO seqs SELECT m + 1, p, {id} \
                     FROM (SELECT coalesce(max(n), 0) AS m FROM seqs) AS cur, \
                     (VALUES (1), (2), (3)) AS parts(p) RETURNING n"
                ))
                .await
                .unwrap();
            while let Ok(rows) = client.query(&statement, &[]).await {
                let n: i64 = rows[0].get(0);
                assert!(rows.iter().all(|r| r.get::<_, i64>(0) == n));
                numbers.lock().unwrap().insert(n, id);
                acks.send_modify(|count| *count += 1);
            }
        }));
    }
    acked_count
        .wait_for(|n| *n >= KILL_AFTER_ACKS)
        .await
        .unwrap();
    // Nobody waits for durability, yet the flusher must flush within its interval:
    // once the durable LSN reaches the LSN written after these acknowledgements,
    // they survive the crash. (The deadline is a liveness bound, 600 times the
    // default 50 ms flush interval, not a measurement.)
    let flushed_before = acked_numbers
        .iter()
        .filter_map(|numbers| numbers.lock().unwrap().keys().max().copied())
        .max()
        .expect("acknowledged numbers");
    let watcher = server.connect().await;
    let written = wal_lsn(&watcher, "written_lsn").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while wal_lsn(&watcher, "durable_lsn").await < written {
        assert!(
            std::time::Instant::now() < deadline,
            "synchronous_commit = off commits were not flushed within 30 s"
        );
        tokio::task::yield_now().await;
    }
    server.kill_9();
    for writer in writers {
        writer.await.unwrap();
    }
    drop(server);

    let server = TestServer::start_in(&dir, &[]);
    let client = server.connect().await;
    let rows = client
        .query("SELECT n, part, client FROM seqs ORDER BY n, part", &[])
        .await
        .unwrap();
    let mut recovered: BTreeMap<i64, (Vec<i32>, BTreeSet<i32>)> = BTreeMap::new();
    for row in &rows {
        let entry = recovered.entry(row.get(0)).or_default();
        entry.0.push(row.get(1));
        entry.1.insert(row.get(2));
    }
    let m = recovered.len() as i64;
    let numbers: Vec<i64> = recovered.keys().copied().collect();
    assert_eq!(numbers, (1..=m).collect::<Vec<_>>(), "not a prefix");
    assert!(
        m >= flushed_before,
        "{flushed_before} transactions were flushed before the kill, {m} recovered"
    );
    let acked: BTreeMap<i64, i64> = acked_numbers
        .iter()
        .flat_map(|numbers| numbers.lock().unwrap().clone())
        .collect();
    for (n, (parts, clients)) in &recovered {
        assert_eq!(parts, &vec![1, 2, 3], "txn {n} is partial");
        assert_eq!(clients.len(), 1, "txn {n} has rows of several clients");
        if let Some(client) = acked.get(n) {
            assert!(clients.contains(&(*client as i32)), "txn {n} changed hands");
        }
    }
    // At most one unacknowledged transaction per client can have been in flight.
    let unacked = recovered.keys().filter(|n| !acked.contains_key(n)).count();
    assert!(
        unacked <= CLIENTS,
        "{unacked} recovered numbers nobody was told"
    );
    // The recovered database takes writes again, after the recovered prefix.
    let next = client
        .query_one(
            "INSERT INTO seqs SELECT coalesce(max(n), 0) + 1, 1, 99 FROM seqs RETURNING n",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(next.get::<_, i64>(0), m + 1);
}

/// A column of the `turnstile_wal` system view, as a number.
async fn wal_lsn(client: &Client, column: &str) -> i64 {
    let messages = client
        .simple_query(&format!("SELECT {column} FROM turnstile_wal"))
        .await
        .unwrap();
    messages
        .iter()
        .find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
            _ => None,
        })
        .expect("one row in turnstile_wal")
        .parse()
        .expect("an LSN")
}
