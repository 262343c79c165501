//! The lock's admission policies and metrics, against the real server: every
//! policy serves a mixed workload correctly; the system views and the Prometheus
//! endpoint count known work exactly; slow lock holds are logged by name; a bad
//! policy is refused at start with the choices named.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use common::{DataDir, TestServer};

/// `METHOD path` on the metrics endpoint: the status line and the body.
fn http(port: u16, method: &str, path: &str) -> (String, String) {
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).expect("connect to the metrics endpoint");
    write!(tcp, "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let mut response = String::new();
    tcp.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("a response head");
    (head.lines().next().unwrap().to_owned(), body.to_owned())
}

/// The `requests` of one row of `turnstile_lock_stats`, 0 if it has none.
async fn requests(client: &tokio_postgres::Client, class: &str, request: &str) -> i64 {
    requests_and_on_session(client, class, request).await.0
}

/// The `requests` and `on_session` of one row of `turnstile_lock_stats`, zeros if
/// it has none.
async fn requests_and_on_session(
    client: &tokio_postgres::Client,
    class: &str,
    request: &str,
) -> (i64, i64) {
    client
        .query_opt(
            "SELECT requests, on_session FROM turnstile_lock_stats \
             WHERE class = $1 AND request = $2",
            &[&class, &request],
        )
        .await
        .unwrap()
        .map_or((0, 0), |row| (row.get(0), row.get(1)))
}

/// With nothing else running, a prepared point select or single-row write by
/// primary key takes a short path, on the session's own task, from its second
/// run (its first makes the plan the next ones check); a scan, the view's own
/// query and DDL are handed to a reader thread or the writer thread.
/// `on_session` counts exactly the former.
#[tokio::test]
async fn on_session_counts_the_requests_that_took_a_short_path() {
    let server = TestServer::start();
    let client = server.connect().await;
    client
        .batch_execute("CREATE TABLE t (id int PRIMARY KEY, v int)")
        .await
        .unwrap();
    let insert = client
        .prepare("INSERT INTO t VALUES ($1, $2)")
        .await
        .unwrap();
    for i in 1..=4 {
        client.execute(&insert, &[&i, &i]).await.unwrap();
    }
    let point = client
        .prepare("SELECT v FROM t WHERE id = $1")
        .await
        .unwrap();
    for i in 1..=4 {
        client.query_one(&point, &[&i]).await.unwrap();
    }
    let count: i64 = client
        .query_one("SELECT count(*) FROM t", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 4);
    // Three point selects ran on the session; the first, and the scan, on a
    // reader thread.
    assert_eq!(
        requests_and_on_session(&client, "read", "SELECT").await,
        (5, 3)
    );
    // This view's first query counted too, on a reader thread.
    assert_eq!(
        requests_and_on_session(&client, "read", "SELECT").await,
        (6, 3)
    );
    assert_eq!(
        requests_and_on_session(&client, "write", "INSERT").await,
        (4, 3)
    );
    assert_eq!(
        requests_and_on_session(&client, "write", "CREATE TABLE").await,
        (1, 0)
    );
    // Describing a statement binds it, which reads no row: the two prepares, the
    // unprepared count(*) and the view's own queries were described on the session.
    let (describes, on_session) = requests_and_on_session(&client, "read", "describe").await;
    assert!(describes >= 4, "{describes}");
    assert_eq!(on_session, describes);
}

/// A statement parsed again from the same text is the statement parsed before, with
/// its plan: a driver that prepares every query anew (as tokio-postgres's
/// `query(&str, …)` does) runs its point selects on the session from the second
/// on. A schema change in between describes and plans it anew; inside a block
/// the text is described against the block's schema, and in a failed block it is
/// refused like any statement.
#[tokio::test]
async fn a_statement_parsed_again_keeps_its_plan_until_the_schema_changes() {
    let server = TestServer::start();
    let client = server.connect().await;
    client
        .batch_execute(
            "CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 10), (2, 20)",
        )
        .await
        .unwrap();
    let point = "SELECT * FROM t WHERE id = $1";
    for id in [1, 2, 1] {
        let row = client.query_one(point, &[&id]).await.unwrap();
        assert_eq!(row.len(), 2);
        assert_eq!(row.get::<_, i32>(1), id * 10);
    }
    // The first run made the plan; the next two used it, on the session.
    assert_eq!(
        requests_and_on_session(&client, "read", "SELECT").await,
        (3, 2)
    );
    client
        .batch_execute(
            "DROP TABLE t; CREATE TABLE t (id int PRIMARY KEY, v int, w text); \
             INSERT INTO t VALUES (1, 11, 'x')",
        )
        .await
        .unwrap();
    let row = client.query_one(point, &[&1]).await.unwrap();
    assert_eq!(row.len(), 3, "described anew after the schema changed");
    assert_eq!(
        (row.get::<_, i32>(1), row.get::<_, String>(2)),
        (11, "x".to_owned())
    );
    // The view's first query counted one more; the select after the change
    // planned anew on a reader thread.
    assert_eq!(
        requests_and_on_session(&client, "read", "SELECT").await,
        (5, 2)
    );
    // Inside a block that changes the schema, the text is described against the
    // block's schema; after its ROLLBACK, against the committed one again.
    client
        .batch_execute(
            "BEGIN; DROP TABLE t; CREATE TABLE t (id int PRIMARY KEY); \
             INSERT INTO t VALUES (1)",
        )
        .await
        .unwrap();
    let row = client.query_one(point, &[&1]).await.unwrap();
    assert_eq!(row.len(), 1, "the block's table");
    client.batch_execute("ROLLBACK").await.unwrap();
    let row = client.query_one(point, &[&1]).await.unwrap();
    assert_eq!(row.len(), 3, "the committed table");
    // In a failed block a kept text is refused like any statement (25P02).
    client.batch_execute("BEGIN").await.unwrap();
    client
        .batch_execute("SELECT 1 / 0")
        .await
        .expect_err("division by zero");
    let error = client
        .query_one(point, &[&1])
        .await
        .expect_err("a failed block refuses it");
    assert_eq!(
        error.code(),
        Some(&tokio_postgres::error::SqlState::IN_FAILED_SQL_TRANSACTION),
        "{error}"
    );
    client.batch_execute("ROLLBACK").await.unwrap();
}

/// Five INSERTs, three point SELECTs and two transfers: the view and the
/// endpoint count exactly those, by class and name; waits and holds are
/// non-negative and p50 ≤ p99; the phases view names the policy.
#[tokio::test]
async fn the_view_and_the_endpoint_count_known_work() {
    let server = TestServer::start_with_args(&["--metrics-listen", "127.0.0.1:0"]);
    // The endpoint is bound before the server accepts connections, so its line is
    // already in the log.
    let metrics_port = server
        .logged_port("serving lock metrics at /metrics")
        .expect("the metrics endpoint logs its address");
    let client = server.connect().await;
    client
        .batch_execute("CREATE TABLE t (id int PRIMARY KEY, v int)")
        .await
        .unwrap();
    for i in 1..=5 {
        client
            .execute("INSERT INTO t VALUES ($1, $2)", &[&i, &(i * 10)])
            .await
            .unwrap();
    }
    for i in 1..=3 {
        let row = client
            .query_one("SELECT v FROM t WHERE id = $1", &[&i])
            .await
            .unwrap();
        assert_eq!(row.get::<_, i32>(0), i * 10);
    }
    client
        .batch_execute("CALL open_account(1, 'alice', 100)")
        .await
        .unwrap();
    client
        .batch_execute("CALL open_account(2, 'bob', 100)")
        .await
        .unwrap();
    for _ in 0..2 {
        client
            .batch_execute("CALL transfer(1, 2, 10)")
            .await
            .unwrap();
    }

    // Before any query of the views, which are reads themselves.
    let (status, body) = http(metrics_port, "GET", "/metrics");
    assert_eq!(status, "HTTP/1.1 200 OK");
    for line in [
        "turnstile_lock_policy_info{policy=\"fair\"} 1",
        "turnstile_lock_hold_seconds_count{class=\"write\",request=\"INSERT\"} 5",
        "turnstile_lock_wait_seconds_count{class=\"write\",request=\"CALL transfer\"} 2",
        "turnstile_lock_hold_seconds_count{class=\"read\",request=\"SELECT\"} 3",
        "turnstile_lock_queue_length{class=\"read\"} 0",
    ] {
        assert!(body.lines().any(|l| l == line), "no {line:?} in:\n{body}");
    }
    // Queries of the view are reads too: this first one counts only the three.
    assert_eq!(requests(&client, "read", "SELECT").await, 3);
    assert_eq!(requests(&client, "write", "INSERT").await, 5);
    assert_eq!(requests(&client, "write", "CALL transfer").await, 2);
    assert_eq!(requests(&client, "write", "CALL open_account").await, 2);
    assert_eq!(requests(&client, "write", "CREATE TABLE").await, 1);
    let rows = client
        .query(
            "SELECT wait_avg_us, wait_p50_us, wait_p99_us, hold_avg_us, hold_p50_us, \
             hold_p99_us, hold_total_ms FROM turnstile_lock_stats",
            &[],
        )
        .await
        .unwrap();
    assert!(!rows.is_empty());
    for row in &rows {
        let values: Vec<f64> = (0..7).map(|i| row.get(i)).collect();
        assert!(values.iter().all(|v| *v >= 0.0), "{values:?}");
        assert!(
            values[1] <= values[2] && values[4] <= values[5],
            "{values:?}"
        );
    }
    let phases = client
        .query(
            "SELECT policy, class, phases, queued FROM turnstile_lock_phases ORDER BY class",
            &[],
        )
        .await
        .unwrap();
    let phases: Vec<(String, String, i64, i64)> = phases
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    assert_eq!(phases.len(), 2, "{phases:?}");
    assert!(
        phases.iter().all(|p| p.0 == "fair" && p.3 == 0),
        "{phases:?}"
    );
    // At least one write phase per write request above (none ran concurrently).
    assert!(phases[1].1 == "write" && phases[1].2 >= 10, "{phases:?}");

    let (status, _) = http(metrics_port, "GET", "/elsewhere");
    assert_eq!(status, "HTTP/1.1 404 Not Found");
    let (status, _) = http(metrics_port, "POST", "/metrics");
    assert_eq!(status, "HTTP/1.1 405 Method Not Allowed");
    common::assert_answers(&client).await;
}

/// Every policy serves writers and readers at once correctly: concurrent
/// transfers keep the total, each ran exactly once, reads see consistent totals,
/// and the view says which policy ran. Every call counts as short, even in a
/// debug build, so calls run on sessions' tasks, queued ones by the session
/// holding the lock (combining), beside the writer thread's batches.
#[tokio::test]
async fn every_policy_serves_a_mixed_workload() {
    for policy in ["fair", "read-first", "write-first", "deadline", "rwlock"] {
        // A generous reducer budget: a loaded machine must not turn this into a
        // test of the clock.
        let server = TestServer::start_with_args(&[
            "--lock-policy",
            policy,
            "--lock-batch",
            "4",
            "--reducer-time-limit",
            "60s",
            "--reducer-short-call",
            "60s",
        ]);
        let setup = server.connect().await;
        for id in 1..=10 {
            setup
                .execute("CALL open_account($1, 'owner', 1000)", &[&(id as i64)])
                .await
                .unwrap();
        }
        let transfer = |w: i64, i: i64| ((w + i) % 10 + 1, (w * 3 + i * 7 + 1) % 10 + 1);
        let transfers = (0..4)
            .flat_map(|w| (0..40).map(move |i| transfer(w, i)))
            .filter(|(from, to)| from != to)
            .count();
        let mut tasks = Vec::new();
        for w in 0..4i64 {
            let client = server.connect().await;
            tasks.push(tokio::spawn(async move {
                for i in 0..40i64 {
                    let (from, to) = transfer(w, i);
                    if from != to {
                        client
                            .execute("CALL transfer($1, $2, 1)", &[&from, &to])
                            .await
                            .unwrap();
                    }
                }
            }));
        }
        for _ in 0..2 {
            let client = server.connect().await;
            tasks.push(tokio::spawn(async move {
                for _ in 0..40 {
                    let row = client
                        .query_one("SELECT sum(balance)::bigint FROM accounts", &[])
                        .await
                        .unwrap();
                    assert_eq!(
                        row.get::<_, i64>(0),
                        10_000,
                        "a read saw a partial transfer"
                    );
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let total: i64 = setup
            .query_one("SELECT sum(balance)::bigint FROM accounts", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(total, 10_000, "{policy}");
        assert_eq!(
            requests(&setup, "write", "CALL transfer").await,
            transfers as i64,
            "{policy}: every call ran once"
        );
        let shown: String = setup
            .query_one("SELECT policy FROM turnstile_lock_phases LIMIT 1", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(shown, policy);
    }
}

/// With a threshold of zero every hold is "slow": each is logged with its
/// request name and duration (the plumbing, not the clock, is under test).
#[tokio::test]
async fn slow_lock_holds_are_logged_by_name() {
    let server = TestServer::start_with_args(&["--slow-lock-threshold", "0us"]);
    let client = server.connect().await;
    client
        .batch_execute("CALL open_account(7, 'carol', 5)")
        .await
        .unwrap();
    let line = server.log_line("request=\"CALL open_account\"");
    assert!(line.contains("held the write lock for"), "{line}");
    assert!(line.contains("held_ms="), "{line}");
}

/// A policy that does not exist is refused at start, naming the choices; so is
/// a batch of zero.
#[test]
fn bad_lock_settings_are_refused_at_start() {
    let data_dir = DataDir::new();
    let (status, log) =
        TestServer::start_in_expecting_refusal(&data_dir, &["--lock-policy", "fastest"]);
    assert!(!status.success());
    assert!(
        log.contains("fair, read-first, write-first, deadline, rwlock"),
        "{log}"
    );
    let (status, log) = TestServer::start_in_expecting_refusal(&data_dir, &["--lock-batch", "0"]);
    assert!(!status.success());
    assert!(log.contains("--lock-batch must be at least 1"), "{log}");
}
