//! The module host's limits and failure modes over real sockets with tokio-postgres,
//! against a server started with `--module <testkit>` (`modules/testkit`):
//!
//! - the time budget: a reducer or view in an infinite loop is stopped with 57014
//!   naming the routine and the budget, releases the write lock so that other
//!   sessions go on, and a session's `statement_timeout` lowers the budget;
//! - the memory budget: an allocation bomb is stopped with 53200 and the next call
//!   gets a fresh instance;
//! - panics (38000 with the panic's message) and the trapped instance's replacement;
//! - all or nothing: a reducer that fails or traps after writing changes nothing,
//!   not in memory and not in the WAL (a crash and restart recovers only the
//!   successful writes);
//! - errors a module raises, with its own SQLSTATE or, if that is not a valid one,
//!   P0001 with a note;
//! - the `echo` view round-tripping every supported type and NULL exactly, and the
//!   `items_between` view's key-range scan;
//! - modules refused at load: a forbidden import, a table that does not match the
//!   catalog, and a file that is not WebAssembly.
//!
//! After every error the test checks that the connection still answers.

mod common;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use common::{assert_answers, DataDir, TestServer};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::Type;
use tokio_postgres::Client;

/// The path of a module `build.rs` built, e.g. `turnstile_testkit`.
fn module_path(name: &str) -> String {
    format!("{}/{name}.wasm", env!("TURNSTILE_MODULES_DIR"))
}

/// The time budget of servers whose tests are not about time. The budget is wall
/// clock, so it also counts time the machine spends on other processes: on a loaded
/// machine the default 100 ms can stop a call that would otherwise fail (or succeed)
/// for the reason under test.
const UNHURRIED_TIME_LIMIT: &str = "60s";

/// Starts a server with the testkit module loaded and `extra_args` after it; with
/// [`UNHURRIED_TIME_LIMIT`] unless `extra_args` sets `--reducer-time-limit`.
fn start_testkit(extra_args: &[&str]) -> TestServer {
    let testkit = module_path("turnstile_testkit");
    let mut args = vec!["--module", testkit.as_str()];
    if !extra_args.contains(&"--reducer-time-limit") {
        args.extend_from_slice(&["--reducer-time-limit", UNHURRIED_TIME_LIMIT]);
    }
    args.extend_from_slice(extra_args);
    TestServer::start_with_args(&args)
}

/// The SQLSTATE and message of a statement that must fail.
async fn error_of(client: &Client, sql: &str) -> (String, String) {
    let error = client
        .simple_query(sql)
        .await
        .expect_err(&format!("{sql} must fail"));
    let db = error
        .as_db_error()
        .unwrap_or_else(|| panic!("{sql}: expected a server error, got {error}"));
    (db.code().code().to_owned(), db.message().to_owned())
}

/// `SELECT count(*) FROM testkit_items`.
async fn count_items(client: &Client) -> i64 {
    client
        .query_one("SELECT count(*) FROM testkit_items", &[])
        .await
        .expect("count testkit_items")
        .get(0)
}

/// Every row of `testkit_items`, by id.
async fn all_items(client: &Client) -> Vec<(i64, Option<String>)> {
    client
        .query("SELECT id, note FROM testkit_items ORDER BY id", &[])
        .await
        .expect("read testkit_items")
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect()
}

/// The number of milliseconds in a time-budget message ("… of 300 ms").
fn budget_ms_in(message: &str) -> u64 {
    let before_ms = message
        .strip_suffix(" ms")
        .unwrap_or_else(|| panic!("the message does not end with the budget in ms: {message}"));
    let digits = before_ms
        .rsplit(' ')
        .next()
        .expect("rsplit yields at least one part");
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no budget in ms at the end of: {message}"))
}

/// `runs_short` of a reducer in `turnstile_routines`.
async fn runs_short(client: &Client, reducer: &str) -> bool {
    client
        .query_one(
            "SELECT runs_short FROM turnstile_routines WHERE name = $1",
            &[&reducer],
        )
        .await
        .expect("read turnstile_routines")
        .get(0)
}

/// How many calls of `reducer` took the lock, and how many of them ran on their
/// session's own task (`turnstile_lock_stats`).
async fn calls_on_session(client: &Client, reducer: &str) -> (i64, i64) {
    let row = client
        .query_one(
            "SELECT requests, on_session FROM turnstile_lock_stats WHERE request = $1",
            &[&format!("CALL {reducer}")],
        )
        .await
        .expect("read turnstile_lock_stats");
    (row.get(0), row.get(1))
}

/// A reducer runs on the calling session's task once its last 16 calls were short
/// (`turnstile_routines` says so) and its statement has a plan (from its first
/// run); a call stopped by its budget there is rolled back like any, and makes the
/// reducer not short: its next calls go to the writer thread until it has 16 short
/// calls in a row again. `turnstile_lock_stats.on_session` shows where each ran.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reducer_is_short_after_a_run_of_short_calls_and_not_after_a_stopped_one() {
    // Every call that ends normally counts as short, however fast this machine is.
    let server = start_testkit(&["--reducer-short-call", "1h"]);
    let client = server.connect().await;
    let reducer = "put_item_then_spin";
    let call = client
        .prepare("CALL put_item_then_spin($1, $2)")
        .await
        .unwrap();
    for id in 1..=16_i64 {
        assert!(
            !runs_short(&client, reducer).await,
            "short before call {id}"
        );
        client
            .execute(&call, &[&id, &false])
            .await
            .expect("a short call");
    }
    assert!(runs_short(&client, reducer).await, "short after 16 calls");
    assert_eq!(calls_on_session(&client, reducer).await, (16, 0));
    // Nobody holds the lock: this call runs on the session's task, and spins.
    client
        .batch_execute("SET statement_timeout = '50ms'")
        .await
        .unwrap();
    let error = client
        .execute(&call, &[&17_i64, &true])
        .await
        .expect_err("a call stopped by statement_timeout");
    assert_eq!(error.code(), Some(&SqlState::QUERY_CANCELED), "{error}");
    client
        .batch_execute("RESET statement_timeout")
        .await
        .unwrap();
    assert_eq!(count_items(&client).await, 16, "its insert was rolled back");
    assert_eq!(calls_on_session(&client, reducer).await, (17, 1));
    assert!(!runs_short(&client, reducer).await, "not short after it");
    client
        .execute(&call, &[&17_i64, &false])
        .await
        .expect("the next call runs on the writer thread");
    assert_eq!(count_items(&client).await, 17);
    assert_eq!(calls_on_session(&client, reducer).await, (18, 1));
    assert!(
        !runs_short(&client, reducer).await,
        "one short call is not a run"
    );
    // Views have no such record.
    let view: Option<bool> = client
        .query_one(
            "SELECT runs_short FROM turnstile_routines WHERE name = 'echo'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(view, None);
}

/// With `--reducer-short-call 0` no call is short: every call stays on the writer
/// thread.
#[tokio::test]
async fn a_zero_short_call_keeps_every_reducer_on_the_writer_thread() {
    let server = start_testkit(&["--reducer-short-call", "0"]);
    let client = server.connect().await;
    let call = client
        .prepare("CALL put_item_then_spin($1, false)")
        .await
        .unwrap();
    for id in 1..=20_i64 {
        client.execute(&call, &[&id]).await.expect("a call");
    }
    assert!(!runs_short(&client, "put_item_then_spin").await);
    assert_eq!(count_items(&client).await, 20);
    assert_eq!(
        calls_on_session(&client, "put_item_then_spin").await,
        (20, 0)
    );
}

/// An infinite loop in a reducer or a view is stopped with 57014 naming the routine
/// and its budget in ms, and the server goes on serving.
#[tokio::test]
async fn an_infinite_loop_is_stopped_at_the_time_budget() {
    let server = start_testkit(&["--reducer-time-limit", "300ms"]);
    let client = server.connect().await;

    let (code, message) = error_of(&client, "CALL spin()").await;
    assert_eq!(code, "57014", "{message}");
    assert!(message.contains("spin"), "{message}");
    assert_eq!(budget_ms_in(&message), 300, "{message}");
    assert_answers(&client).await;

    client.batch_execute("CALL put_item(1, 'a')").await.unwrap();
    assert_eq!(all_items(&client).await, vec![(1, Some("a".to_owned()))]);

    let (code, message) = error_of(&client, "SELECT * FROM spin_view()").await;
    assert_eq!(code, "57014", "{message}");
    assert!(message.contains("spin_view"), "{message}");
    assert_eq!(budget_ms_in(&message), 300, "{message}");
    assert_answers(&client).await;

    // The server still serves new sessions and writes after both stopped calls.
    let other = server.connect().await;
    other.batch_execute("CALL put_item(2, 'b')").await.unwrap();
    assert_eq!(count_items(&other).await, 2);
}

/// A reducer spinning on one connection does not stop another connection's SELECT
/// and reducer call from completing: the write lock is released when the budget fires.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spinning_reducer_releases_the_lock_for_other_sessions() {
    let server = start_testkit(&["--reducer-time-limit", "500ms"]);
    let spinner = server.connect().await;
    let reader = server.connect().await;

    let spin = tokio::spawn(async move {
        let (code, message) = error_of(&spinner, "CALL spin()").await;
        (spinner, code, message)
    });
    // Lets the spawned task send its CALL before this task sends its SELECT.
    tokio::task::yield_now().await;

    assert_eq!(count_items(&reader).await, 0);
    reader
        .batch_execute("CALL put_item(7, 'after')")
        .await
        .unwrap();
    assert_eq!(count_items(&reader).await, 1);

    let (spinner, code, message) = spin.await.expect("the spinning task");
    assert_eq!(code, "57014", "{message}");
    assert!(message.contains("spin"), "{message}");
    assert_answers(&spinner).await;
    assert_eq!(count_items(&spinner).await, 1);
}

/// A session's `statement_timeout` below the module's budget is the call's budget.
#[tokio::test]
async fn statement_timeout_lowers_the_time_budget() {
    let server = start_testkit(&["--reducer-time-limit", "10s"]);
    let client = server.connect().await;
    client
        .batch_execute("SET statement_timeout = '200ms'")
        .await
        .unwrap();

    let (code, message) = error_of(&client, "CALL spin()").await;
    assert_eq!(code, "57014", "{message}");
    assert!(message.contains("spin"), "{message}");
    let budget_ms = budget_ms_in(&message);
    assert!(
        budget_ms <= 200,
        "the budget must be the statement_timeout's, not the 10 s limit: {message}"
    );
    assert_answers(&client).await;

    // A read has the session's own statement timer too, racing the module's budget
    // of the same length: either may answer, both with 57014.
    let (code, message) = error_of(&client, "SELECT * FROM spin_view()").await;
    assert_eq!(code, "57014", "{message}");
    assert!(
        message == "canceling statement due to statement timeout"
            || (message.contains("spin_view") && budget_ms_in(&message) <= 200),
        "{message}"
    );
    assert_answers(&client).await;
}

/// `statement_timeout` covers a whole query string, reducer calls in it included:
/// the string's implicit transaction is stopped and rolled back.
#[tokio::test]
async fn statement_timeout_covers_a_query_string_with_calls() {
    let server = start_testkit(&["--reducer-time-limit", "10s"]);
    let client = server.connect().await;
    client
        .batch_execute("SET statement_timeout = '200ms'")
        .await
        .unwrap();
    let (code, message) = error_of(&client, "CALL put_item(1, 'x'); CALL spin()").await;
    assert_eq!(code, "57014", "{message}");
    assert!(budget_ms_in(&message) <= 200, "{message}");
    assert_eq!(
        count_items(&client).await,
        0,
        "the string is rolled back whole"
    );
    assert_answers(&client).await;
}

/// A cancel request stops a running reducer at once (57014, PostgreSQL's message),
/// long before its budget, and rolls it back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_request_stops_a_running_reducer() {
    let server = start_testkit(&[]);
    let client = server.connect().await;
    let cancel = client.cancel_token();
    let call = tokio::spawn(async move {
        let result = client.simple_query("CALL spin()").await;
        (client, result)
    });
    common::cancel_until_finished(&cancel, &call).await;
    let (client, result) = call.await.unwrap();
    let error = result.expect_err("a cancelled call fails");
    let db = error.as_db_error().expect("a server error");
    assert_eq!(db.code().code(), "57014");
    assert_eq!(db.message(), "canceling statement due to user request");
    assert_answers(&client).await;
}

/// An allocation past the memory budget is stopped with 53200 naming the budget,
/// and the next call runs on a fresh instance.
#[tokio::test]
async fn a_memory_bomb_is_stopped_at_the_memory_budget() {
    let server = start_testkit(&["--reducer-memory-limit", "16MiB"]);
    let client = server.connect().await;

    let (code, message) = error_of(&client, "CALL allocate(64)").await;
    assert_eq!(code, "53200", "{message}");
    assert!(message.contains("allocate"), "{message}");
    assert!(message.contains("16 MiB"), "{message}");
    assert_answers(&client).await;

    client.batch_execute("CALL allocate(1)").await.unwrap();
    client.batch_execute("CALL put_item(1, 'a')").await.unwrap();
    assert_eq!(count_items(&client).await, 1);

    // The budget holds on the fresh instance too.
    let (code, message) = error_of(&client, "CALL allocate(64)").await;
    assert_eq!(code, "53200", "{message}");
    assert_answers(&client).await;
}

/// A panic answers 38000 with the panic's message, and the trapped instance is
/// replaced so that the next panic is reported the same way.
#[tokio::test]
async fn a_panic_answers_38000_with_its_message() {
    let server = start_testkit(&[]);
    let client = server.connect().await;

    let (code, message) = error_of(&client, "CALL boom('kaboom')").await;
    assert_eq!(code, "38000", "{message}");
    assert!(message.contains("kaboom"), "{message}");
    assert_answers(&client).await;

    let (code, message) = error_of(&client, "CALL boom('again')").await;
    assert_eq!(code, "38000", "{message}");
    assert!(message.contains("again"), "{message}");
    assert!(
        !message.contains("kaboom"),
        "a stale panic message: {message}"
    );
    assert_answers(&client).await;

    client.batch_execute("CALL put_item(1, 'a')").await.unwrap();
    assert_eq!(count_items(&client).await, 1);
}

/// A reducer that fails or traps after writing changes nothing, in memory or in the
/// WAL: after a crash the restarted server has only the successful write.
#[tokio::test]
async fn failed_reducers_change_nothing_even_after_a_restart() {
    // testkit has no reducer that writes and then runs over a budget, so that case
    // is not covered here.
    let data = DataDir::new();
    let testkit = module_path("turnstile_testkit");
    let mut server = TestServer::start_in(
        &data,
        &[
            "--module",
            &testkit,
            "--reducer-time-limit",
            UNHURRIED_TIME_LIMIT,
        ],
    );
    let client = server.connect().await;
    assert_eq!(count_items(&client).await, 0);

    let (code, message) = error_of(&client, "CALL write_then_fail(5)").await;
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("P0001", "write_then_fail: failing after 5 inserts")
    );
    assert_answers(&client).await;
    assert_eq!(count_items(&client).await, 0);

    let (code, message) = error_of(&client, "CALL write_then_trap(5)").await;
    assert_eq!(code, "38000", "{message}");
    assert!(
        message.contains("write_then_trap: trapping after 5 inserts"),
        "{message}"
    );
    assert_answers(&client).await;
    assert_eq!(count_items(&client).await, 0);

    client
        .batch_execute("CALL put_item(1, 'kept')")
        .await
        .unwrap();
    // The rolled-back rows had ids -1..-5: had any stayed, the same inserts would
    // now fail with 23505 instead of reaching the reducer's own error.
    let (code, message) = error_of(&client, "CALL write_then_fail(5)").await;
    assert_eq!(code, "P0001", "{message}");
    assert_eq!(all_items(&client).await, vec![(1, Some("kept".to_owned()))]);

    // A crash, with no shutdown snapshot: the restarted server has what the WAL
    // recorded.
    server.kill_9();
    let server = TestServer::start_in(
        &data,
        &[
            "--module",
            &testkit,
            "--reducer-time-limit",
            UNHURRIED_TIME_LIMIT,
        ],
    );
    let client = server.connect().await;
    assert_eq!(all_items(&client).await, vec![(1, Some("kept".to_owned()))]);
    // And the reducers still work after recovery.
    let (code, _) = error_of(&client, "CALL write_then_trap(3)").await;
    assert_eq!(code, "38000");
    assert_answers(&client).await;
    assert_eq!(count_items(&client).await, 1);
}

/// A module's row is checked as a client's would be: its JSON is stored normalized
/// (the host re-encodes such a row rather than keeping the module's bytes), and a
/// string too long for its `varchar(3)` is 22001, with nothing written.
#[tokio::test]
async fn a_modules_rows_are_checked_and_normalized_like_a_clients() {
    let server = start_testkit(&[]);
    let client = server.connect().await;
    client.batch_execute("CALL put_doc(1)").await.unwrap();
    let doc: String = client
        .query_one("SELECT doc::text FROM testkit_docs WHERE id = 1", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(doc, r#"{"a": [2, 3], "b": 1}"#);
    client
        .batch_execute("CALL put_code(1, 'abc')")
        .await
        .unwrap();
    let (code, message) = error_of(&client, "CALL put_code(2, 'abcd')").await;
    assert_eq!(code, "22001", "{message}");
    assert_answers(&client).await;
    let codes: Vec<String> = client
        .query("SELECT code FROM testkit_codes", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(codes, ["abc"]);
}

/// Text a module writes is checked where it lies in the row the module sent, as a
/// client's text is: a NUL byte is 22021 for an insert and for an update, and
/// neither changes anything.
#[tokio::test]
async fn a_modules_text_with_a_nul_byte_is_refused() {
    let server = start_testkit(&[]);
    let client = server.connect().await;
    let (code, message) = error_of(&client, r"CALL set_item_note(1, '\x610062')").await;
    assert_eq!(code, "22021", "{message}");
    assert_eq!(count_items(&client).await, 0);
    client
        .batch_execute(r"CALL set_item_note(1, '\x6869')")
        .await
        .unwrap();
    let (code, message) = error_of(&client, r"CALL set_item_note(1, '\x00')").await;
    assert_eq!(code, "22021", "{message}");
    assert_answers(&client).await;
    assert_eq!(all_items(&client).await, vec![(1, Some("hi".to_owned()))]);
}

/// A module's error reaches the client with the module's SQLSTATE and message; a
/// SQLSTATE an error cannot carry (malformed, a success or warning class, or one that
/// means a lost connection) becomes P0001 with a note naming it.
#[tokio::test]
async fn raised_errors_carry_the_modules_sqlstate() {
    let server = start_testkit(&[]);
    let client = server.connect().await;

    let (code, message) = error_of(&client, "CALL raise('22012', 'custom division')").await;
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("22012", "custom division")
    );
    assert_answers(&client).await;

    let error = client
        .execute("CALL raise($1, $2)", &[&"23505", &"made-up duplicate"])
        .await
        .expect_err("raise always fails");
    let db = error.as_db_error().expect("a server error");
    assert_eq!(db.code().code(), "23505");
    assert_eq!(db.message(), "made-up duplicate");
    assert_answers(&client).await;

    for bogus in ["bogus", "00000", "01000", "2201", "22p02", "08006", "57P01"] {
        let sql = format!("CALL raise('{bogus}', 'x')");
        let (code, message) = error_of(&client, &sql).await;
        assert_eq!(code, "P0001", "{sql}: {message}");
        assert!(message.starts_with('x'), "{sql}: {message}");
        assert!(
            message.contains("which an error cannot carry") && message.contains(bogus),
            "{sql}: {message}"
        );
        assert_answers(&client).await;
    }
}

/// One row of `echo`'s result, with the Rust type tokio-postgres gives each column.
#[derive(Debug, PartialEq)]
struct EchoRow {
    v_bool: Option<bool>,
    v_int2: Option<i16>,
    v_int4: Option<i32>,
    v_int8: Option<i64>,
    v_float4: Option<f32>,
    v_float8: Option<f64>,
    v_text: Option<String>,
    v_bytea: Option<Vec<u8>>,
    v_timestamp: Option<NaiveDateTime>,
    v_timestamptz: Option<DateTime<Utc>>,
    v_date: Option<NaiveDate>,
    v_uuid: Option<uuid::Uuid>,
    v_jsonb: Option<serde_json::Value>,
}

impl EchoRow {
    /// Calls `echo` with this row's values as typed parameters and reads its one
    /// result row back.
    async fn round_trip(&self, client: &Client) -> Vec<EchoRow> {
        let statement = client
            .prepare("SELECT * FROM echo($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
            .await
            .unwrap();
        let types = [
            Type::BOOL,
            Type::INT2,
            Type::INT4,
            Type::INT8,
            Type::FLOAT4,
            Type::FLOAT8,
            Type::TEXT,
            Type::BYTEA,
            Type::TIMESTAMP,
            Type::TIMESTAMPTZ,
            Type::DATE,
            Type::UUID,
            Type::JSONB,
        ];
        assert_eq!(statement.params(), &types);
        let columns: Vec<(&str, &Type)> = statement
            .columns()
            .iter()
            .map(|c| (c.name(), c.type_()))
            .collect();
        let names = [
            "v_bool",
            "v_int2",
            "v_int4",
            "v_int8",
            "v_float4",
            "v_float8",
            "v_text",
            "v_bytea",
            "v_timestamp",
            "v_timestamptz",
            "v_date",
            "v_uuid",
            "v_jsonb",
        ];
        assert_eq!(
            columns,
            names.iter().copied().zip(types.iter()).collect::<Vec<_>>()
        );
        let rows = client
            .query(
                &statement,
                &[
                    &self.v_bool,
                    &self.v_int2,
                    &self.v_int4,
                    &self.v_int8,
                    &self.v_float4,
                    &self.v_float8,
                    &self.v_text,
                    &self.v_bytea,
                    &self.v_timestamp,
                    &self.v_timestamptz,
                    &self.v_date,
                    &self.v_uuid,
                    &self.v_jsonb,
                ],
            )
            .await
            .unwrap();
        rows.iter()
            .map(|row| EchoRow {
                v_bool: row.get(0),
                v_int2: row.get(1),
                v_int4: row.get(2),
                v_int8: row.get(3),
                v_float4: row.get(4),
                v_float8: row.get(5),
                v_text: row.get(6),
                v_bytea: row.get(7),
                v_timestamp: row.get(8),
                v_timestamptz: row.get(9),
                v_date: row.get(10),
                v_uuid: row.get(11),
                v_jsonb: row.get(12),
            })
            .collect()
    }

    fn nulls() -> EchoRow {
        EchoRow {
            v_bool: None,
            v_int2: None,
            v_int4: None,
            v_int8: None,
            v_float4: None,
            v_float8: None,
            v_text: None,
            v_bytea: None,
            v_timestamp: None,
            v_timestamptz: None,
            v_date: None,
            v_uuid: None,
            v_jsonb: None,
        }
    }
}

/// The `echo` view hands back one value of every supported type exactly (extremes,
/// values before 2000-01-01, unicode, zero bytes), and NULL for every type.
#[tokio::test]
async fn echo_round_trips_every_type_and_null() {
    let server = start_testkit(&[]);
    let client = server.connect().await;
    let timestamp = NaiveDate::from_ymd_opt(1999, 12, 31)
        .unwrap()
        .and_hms_micro_opt(23, 59, 59, 999_999)
        .unwrap();
    let timestamptz = NaiveDate::from_ymd_opt(2038, 1, 19)
        .unwrap()
        .and_hms_micro_opt(3, 14, 8, 123_456)
        .unwrap()
        .and_utc();
    let cases = [
        EchoRow {
            v_bool: Some(true),
            v_int2: Some(i16::MIN),
            v_int4: Some(i32::MIN),
            v_int8: Some(i64::MIN),
            v_float4: Some(0.1),
            v_float8: Some(-0.1),
            v_text: Some("héllo, 世界 🦀 \"quoted\" \\ tab\t".to_owned()),
            v_bytea: Some(vec![0, 1, 0, 255, 0, 0]),
            v_timestamp: Some(timestamp),
            v_timestamptz: Some(timestamptz),
            v_date: Some(NaiveDate::from_ymd_opt(1900, 2, 28).unwrap()),
            v_uuid: Some(uuid::Uuid::from_u128(
                0x0123_4567_89ab_cdef_fedc_ba98_7654_3210,
            )),
            v_jsonb: Some(serde_json::json!({
                "a": [1, 2.5, null, true],
                "ünïcode": "✓",
                "nested": {"empty": {}, "list": []}
            })),
        },
        EchoRow {
            v_bool: Some(false),
            v_int2: Some(i16::MAX),
            v_int4: Some(i32::MAX),
            v_int8: Some(i64::MAX),
            v_float4: Some(f32::MAX),
            v_float8: Some(f64::MIN_POSITIVE),
            v_text: Some(String::new()),
            v_bytea: Some(Vec::new()),
            v_timestamp: Some(
                NaiveDate::from_ymd_opt(2000, 1, 1)
                    .unwrap()
                    .and_hms_opt(0, 0, 0)
                    .unwrap(),
            ),
            v_timestamptz: Some(
                NaiveDate::from_ymd_opt(1970, 1, 1)
                    .unwrap()
                    .and_hms_micro_opt(0, 0, 0, 1)
                    .unwrap()
                    .and_utc(),
            ),
            v_date: Some(NaiveDate::from_ymd_opt(2000, 1, 1).unwrap()),
            v_uuid: Some(uuid::Uuid::nil()),
            v_jsonb: Some(serde_json::json!("just a string")),
        },
        EchoRow::nulls(),
    ];
    for case in cases {
        let got = case.round_trip(&client).await;
        assert_eq!(got, vec![case]);
    }
    assert_answers(&client).await;
}

/// `items_between(lo, hi)` returns exactly the items with `lo <= id <= hi`, in key
/// order, whatever order they were put in.
#[tokio::test]
async fn items_between_scans_a_key_range_in_order() {
    let server = start_testkit(&[]);
    let client = server.connect().await;
    let put = client.prepare("CALL put_item($1, $2)").await.unwrap();
    for (id, note) in [
        (10i64, Some("ten")),
        (3, Some("three")),
        (-2, Some("minus two")),
        (7, None),
        (5, Some("five")),
        (1, Some("one")),
        (8, Some("eight")),
    ] {
        client.execute(&put, &[&id, &note]).await.unwrap();
    }
    let between = client
        .prepare("SELECT id, note FROM items_between($1, $2)")
        .await
        .unwrap();
    assert_eq!(between.params(), &[Type::INT8, Type::INT8]);
    let range = |lo: i64, hi: i64| {
        let client = &client;
        let between = &between;
        async move {
            client
                .query(between, &[&lo, &hi])
                .await
                .unwrap()
                .iter()
                .map(|row| (row.get::<_, i64>(0), row.get::<_, Option<String>>(1)))
                .collect::<Vec<_>>()
        }
    };
    let item = |id: i64, note: Option<&str>| (id, note.map(str::to_owned));

    assert_eq!(
        range(3, 8).await,
        vec![
            item(3, Some("three")),
            item(5, Some("five")),
            item(7, None),
            item(8, Some("eight")),
        ]
    );
    assert_eq!(
        range(-5, 2).await,
        vec![item(-2, Some("minus two")), item(1, Some("one"))]
    );
    assert_eq!(range(4, 4).await, vec![]);
    assert_eq!(range(10, 10).await, vec![item(10, Some("ten"))]);
    assert_eq!(range(9, 2).await, vec![]);
    assert_eq!(range(i64::MIN, i64::MAX).await.len(), 7);
    assert_answers(&client).await;
}

/// Starts a server with `args` that must refuse to start: checks that it exited
/// unsuccessfully without ever accepting connections, and returns its log.
fn refusal_log(args: &[&str]) -> String {
    let (status, log) = TestServer::start_in_expecting_refusal(&DataDir::new(), args);
    assert!(
        !status.success(),
        "the server must refuse to start; log:\n{log}"
    );
    assert!(
        !log.contains("turnstile is accepting connections"),
        "log:\n{log}"
    );
    log
}

/// A module importing WASI is refused at load, naming the import.
#[test]
fn a_forbidden_import_is_refused_at_load() {
    let path = module_path("turnstile_testkit_forbidden_import");
    let log = refusal_log(&["--module", &path]);
    assert!(
        log.contains("wasi_snapshot_preview1::random_get"),
        "the refusal must name the import; log:\n{log}"
    );
}

/// A module whose row type does not match the catalog is refused at load, naming
/// the table and the column.
#[test]
fn a_table_mismatch_is_refused_at_load() {
    let path = module_path("turnstile_testkit_bad_row");
    let log = refusal_log(&["--module", &path]);
    assert!(
        log.contains("table accounts") && log.contains("column balance"),
        "the refusal must name table accounts and column balance; log:\n{log}"
    );
}

/// A file that is not WebAssembly is refused at load, saying so and naming it.
#[test]
fn a_file_that_is_not_wasm_is_refused_at_load() {
    let dir = DataDir::new();
    let path = dir.path().join("garbage.wasm");
    std::fs::write(&path, b"this is not a WebAssembly module\0\x01\x02\xff").unwrap();
    let path = path.to_str().expect("a UTF-8 temp path").to_owned();
    let log = refusal_log(&["--module", &path]);
    assert!(
        log.contains("not a valid WebAssembly module") && log.contains("garbage"),
        "the refusal must say the file is not WebAssembly and name it; log:\n{log}"
    );
}

/// Two modules of one name (modules are named after their file) are refused at
/// load rather than one silently replacing the other.
#[test]
fn two_modules_of_one_name_are_refused_at_load() {
    let testkit = module_path("turnstile_testkit");
    let log = refusal_log(&["--module", &testkit, "--module", &testkit]);
    assert!(
        log.contains("another module of that name is loaded"),
        "log:\n{log}"
    );
}

/// A module learns who called (the session's user) and when (the statement's
/// timestamp, the one `now()` gives), and nothing else about the outside world.
#[tokio::test]
async fn a_module_sees_the_caller_and_the_transaction_timestamp() {
    let server = start_testkit(&[]);
    let url = format!("postgres://alice@127.0.0.1:{}/bank", server.port());
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("connect as alice");
    tokio::spawn(connection);
    let row = client
        .query_one("SELECT caller, at = now() FROM whoami()", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "alice");
    assert!(
        row.get::<_, bool>(1),
        "the module's timestamp is the statement's"
    );
}
