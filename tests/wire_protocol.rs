//! The protocol through a real client: tokio-postgres against the real `turnstile`
//! binary on a free loopback port (tests/common's TestServer).

mod common;

use tokio_postgres::types::Type;
use tokio_postgres::{Client, SimpleQueryMessage};

/// The SQLSTATE of a failed call, for assertions.
fn code<T: std::fmt::Debug>(result: Result<T, tokio_postgres::Error>) -> String {
    let err = result.expect_err("expected an error");
    err.code()
        .map(|c| c.code().to_owned())
        .unwrap_or_else(|| panic!("no SQLSTATE in {err}"))
}

fn rows_of(messages: &[SimpleQueryMessage]) -> Vec<Vec<Option<String>>> {
    messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => {
                Some((0..r.len()).map(|i| r.get(i).map(str::to_owned)).collect())
            }
            _ => None,
        })
        .collect()
}

async fn scalar(client: &Client, sql: &str) -> Option<String> {
    rows_of(&client.simple_query(sql).await.unwrap())
        .remove(0)
        .remove(0)
}

/// Several statements in one simple Query run in order and each answers; an error
/// stops the rest. Each statement autocommits (a documented difference from
/// PostgreSQL's implicit transaction), so the insert before the error stays.
#[tokio::test]
async fn simple_query_runs_statements_in_order() {
    let server = common::TestServer::start();
    let client = server.connect().await;
    let messages = client
        .simple_query("create table t (a int primary key, b text); insert into t values (1, 'x'), (2, 'y'); select a, b from t order by a")
        .await
        .unwrap();
    let completes: Vec<u64> = messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::CommandComplete(n) => Some(*n),
            _ => None,
        })
        .collect();
    assert_eq!(completes, vec![0, 2, 2]);
    assert_eq!(
        rows_of(&messages),
        vec![
            vec![Some("1".into()), Some("x".into())],
            vec![Some("2".into()), Some("y".into())]
        ]
    );
    assert_eq!(
        code(
            client
                .batch_execute(
                    "insert into t values (3, 'z'); select 1/0; insert into t values (4, 'w')"
                )
                .await
        ),
        "22012"
    );
    // As in PostgreSQL, the string was one implicit transaction: the insert before
    // the error was rolled back with it.
    assert_eq!(
        scalar(&client, "select count(*) from t").await.as_deref(),
        Some("2")
    );
    client.simple_query("").await.unwrap();
}

/// Describe returns the exact parameter and column types, NoData for a statement
/// without rows; client-declared parameter types are honoured.
#[tokio::test]
async fn describe_gives_exact_types() {
    let server = common::TestServer::start();
    let client = server.connect().await;
    client
        .batch_execute("create table t (a int primary key, b text, c bigint, d varchar(10))")
        .await
        .unwrap();
    let select = client
        .prepare("select a, b, c, d from t where a = $1")
        .await
        .unwrap();
    assert_eq!(select.params(), &[Type::INT4]);
    let types: Vec<Type> = select.columns().iter().map(|c| c.type_().clone()).collect();
    assert_eq!(
        types,
        vec![Type::INT4, Type::TEXT, Type::INT8, Type::VARCHAR]
    );
    let names: Vec<&str> = select.columns().iter().map(|c| c.name()).collect();
    assert_eq!(names, vec!["a", "b", "c", "d"]);
    let insert = client
        .prepare("insert into t (a, b) values ($1, $2)")
        .await
        .unwrap();
    assert_eq!(insert.params(), &[Type::INT4, Type::TEXT]);
    assert!(insert.columns().is_empty());
    let typed = client
        .prepare_typed("select $1 = a from t", &[Type::INT8])
        .await
        .unwrap();
    assert_eq!(typed.params(), &[Type::INT8]);
    client.execute(&insert, &[&7i32, &"seven"]).await.unwrap();
    let row = client.query_one(&select, &[&7i32]).await.unwrap();
    assert_eq!(row.get::<_, String>(1), "seven");
}

/// A portal bound once and executed with a row limit returns the rows in parts
/// (PortalSuspended in between), inside a read-only transaction block.
#[tokio::test]
async fn portal_with_row_limit() {
    let server = common::TestServer::start();
    let mut client = server.connect().await;
    client
        .batch_execute(
            "create table t (a int primary key); insert into t values (1), (2), (3), (4), (5)",
        )
        .await
        .unwrap();
    let tx = client.transaction().await.unwrap();
    let portal = tx.bind("select a from t order by a", &[]).await.unwrap();
    let mut seen = Vec::new();
    for expected_len in [2, 2, 1, 0] {
        let rows = tx.query_portal(&portal, 2).await.unwrap();
        assert_eq!(rows.len(), expected_len);
        seen.extend(rows.iter().map(|r| r.get::<_, i32>(0)));
    }
    assert_eq!(seen, vec![1, 2, 3, 4, 5]);
    tx.commit().await.unwrap();
}

/// Each error answers its PostgreSQL SQLSTATE, through both protocols, and the
/// connection answers the next query.
#[tokio::test]
async fn errors_carry_sqlstate_and_the_connection_goes_on() {
    let server = common::TestServer::start();
    let client = server.connect().await;
    client
        .batch_execute("create table t (a int primary key)")
        .await
        .unwrap();
    client
        .batch_execute("insert into t values (1)")
        .await
        .unwrap();
    let cases = [
        ("selec 1", "42601"),
        ("select * from no_such_table", "42P01"),
        ("insert into t values (1)", "23505"),
        ("select 1 / 0", "22012"),
        ("select 'abc'::int", "22P02"),
        ("select 2147483647::int + 1", "22003"),
        ("savepoint s", "25P01"),
        ("select no_such_function(1)", "42883"),
    ];
    for (sql, expected) in cases {
        assert_eq!(
            code(client.batch_execute(sql).await),
            expected,
            "simple: {sql}"
        );
        assert_eq!(scalar(&client, "select 1").await.as_deref(), Some("1"));
        assert_eq!(
            code(client.query(sql, &[]).await),
            expected,
            "extended: {sql}"
        );
        common::assert_answers(&client).await;
    }
}

/// A constraint violation names its schema, table, column and constraint in the
/// ErrorResponse's own fields, as PostgreSQL's does (drivers expose them: psycopg's
/// `diag.constraint_name`); every error carries the severity PostgreSQL never
/// translates (`V`), which libpq reads first.
#[tokio::test]
async fn constraint_violations_name_their_objects() {
    let server = common::TestServer::start();
    let client = server.connect().await;
    client
        .batch_execute(
            "create table t (a int primary key, b text not null); insert into t values (1, 'x')",
        )
        .await
        .unwrap();
    // The SQLSTATE, schema, table, column and constraint of `sql`'s error, and
    // whether its severity came as `V`.
    let fields = |sql: &'static str| {
        let client = &client;
        async move {
            let err = client.execute(sql, &[]).await.unwrap_err();
            let db = err.as_db_error().expect("a server error").clone();
            let severity = db.parsed_severity() == Some(tokio_postgres::error::Severity::Error);
            let owned = |s: Option<&str>| s.map(str::to_owned);
            (
                db.code().code().to_owned(),
                owned(db.schema()),
                owned(db.table()),
                owned(db.column()),
                owned(db.constraint()),
                severity,
            )
        }
    };
    let some = |s: &str| Some(s.to_owned());
    assert_eq!(
        fields("insert into t values (1, 'y')").await,
        (
            "23505".into(),
            some("public"),
            some("t"),
            None,
            some("t_pkey"),
            true
        )
    );
    assert_eq!(
        fields("insert into t values (2, null)").await,
        (
            "23502".into(),
            some("public"),
            some("t"),
            some("b"),
            None,
            true
        )
    );
    assert_eq!(
        fields("select 1 / 0").await,
        ("22012".into(), None, None, None, None, true)
    );
}

/// SET, SHOW and RESET of the settings drivers use; unknown names are 42704, custom
/// dotted names are accepted, server-fixed ones are 55P02.
#[tokio::test]
async fn set_show_reset() {
    let server = common::TestServer::start();
    let client = server.connect().await;
    assert_eq!(
        scalar(&client, "show server_version").await.as_deref(),
        Some("15.0 (Turnstile 0.1.0)")
    );
    assert_eq!(
        scalar(&client, "show timezone").await.as_deref(),
        Some("UTC")
    );
    client
        .batch_execute("set application_name = 'wire test'; set time zone 'Europe/Paris'")
        .await
        .unwrap();
    assert_eq!(
        scalar(&client, "show application_name").await.as_deref(),
        Some("wire test")
    );
    assert_eq!(
        scalar(&client, "show TimeZone").await.as_deref(),
        Some("Europe/Paris")
    );
    client
        .batch_execute("set statement_timeout = 5000")
        .await
        .unwrap();
    assert_eq!(
        scalar(&client, "show statement_timeout").await.as_deref(),
        Some("5s")
    );
    client
        .batch_execute("reset statement_timeout; reset all")
        .await
        .unwrap();
    assert_eq!(
        scalar(&client, "show statement_timeout").await.as_deref(),
        Some("0")
    );
    assert_eq!(
        scalar(&client, "show timezone").await.as_deref(),
        Some("UTC")
    );
    client
        .batch_execute("set myapp.tenant = 'acme'")
        .await
        .unwrap();
    assert_eq!(
        scalar(&client, "show myapp.tenant").await.as_deref(),
        Some("acme")
    );
    assert_eq!(
        code(client.batch_execute("set no_such_setting = 1").await),
        "42704"
    );
    assert_eq!(
        code(client.batch_execute("show no_such_setting").await),
        "42704"
    );
    assert_eq!(
        code(client.batch_execute("set server_version = '16'").await),
        "55P02"
    );
    assert_eq!(
        code(client.batch_execute("set client_encoding = 'LATIN1'").await),
        "22023"
    );
    assert_eq!(
        client
            .query_one("show extra_float_digits", &[])
            .await
            .unwrap()
            .get::<_, String>(0),
        "1"
    );
}

/// A statement that fails inside a block (here a duplicate key) fails the block,
/// which then answers 25P02 until ROLLBACK (or COMMIT, which rolls back); the
/// block's earlier writes are not kept.
#[tokio::test]
async fn a_failed_block_answers_25p02_until_it_ends() {
    let server = common::TestServer::start();
    let client = server.connect().await;
    client
        .batch_execute("create table t (a int primary key); insert into t values (1)")
        .await
        .unwrap();
    client
        .batch_execute("begin; select * from t; select 1; commit")
        .await
        .unwrap();
    client
        .batch_execute("start transaction isolation level serializable")
        .await
        .unwrap();
    assert_eq!(
        scalar(&client, "select count(*) from t").await.as_deref(),
        Some("1")
    );
    client
        .batch_execute("insert into t values (2)")
        .await
        .unwrap();
    assert_eq!(
        code(client.batch_execute("insert into t values (1)").await),
        "23505"
    );
    assert_eq!(code(client.batch_execute("select 1").await), "25P02");
    assert_eq!(code(client.query("select 1", &[]).await), "25P02");
    client.batch_execute("rollback").await.unwrap();
    assert_eq!(
        scalar(&client, "select count(*) from t").await.as_deref(),
        Some("1")
    );
    client.batch_execute("begin").await.unwrap();
    assert_eq!(
        code(client.batch_execute("select * from no_such_table").await),
        "42P01"
    );
    client.batch_execute("commit").await.unwrap();
    client
        .batch_execute("insert into t values (2)")
        .await
        .unwrap();
    assert_eq!(
        scalar(&client, "select count(*) from t").await.as_deref(),
        Some("2")
    );
}

/// Creates `big` with the 1000 rows 0..=999 (a cross join of three is a billion
/// rows: a statement that runs until stopped), then runs `more`.
async fn create_big(client: &tokio_postgres::Client, more: &str) {
    let values: Vec<String> = (0..1000).map(|i| format!("({i})")).collect();
    client
        .batch_execute(&format!(
            "create table big (a int primary key); insert into big values {}; {more}",
            values.join(", ")
        ))
        .await
        .unwrap();
}

/// Runs a scan of `big` (see `create_big`) that takes far longer than any
/// test: a statement to stop.
fn spawn_big_scan(client: Client) -> tokio::task::JoinHandle<Result<(), tokio_postgres::Error>> {
    tokio::spawn(async move {
        client
            .query("select count(*) from big x, big y, big z", &[])
            .await
            .map(|_| ())
    })
}

/// statement_timeout cancels a slow SELECT with 57014; the read lock is released
/// (a write on another connection completes) and the session answers again.
#[tokio::test]
async fn statement_timeout_cancels_a_slow_select() {
    let server = common::TestServer::start();
    let client = server.connect().await;
    let other = server.connect().await;
    create_big(&client, "").await;
    client
        .batch_execute("set statement_timeout = '200ms'")
        .await
        .unwrap();
    let slow = client
        .query("select count(*) from big x, big y, big z", &[])
        .await;
    assert_eq!(code(slow), "57014");
    other
        .batch_execute("insert into big values (1000)")
        .await
        .unwrap();
    assert_eq!(
        scalar(&client, "select count(*) from big").await.as_deref(),
        Some("1001")
    );
}

/// statement_timeout stops a statement whose time goes into correlated subqueries
/// over a small table (no run of one reaches the executor's row-count checks),
/// and releases the lock: a write on another connection then completes. Found by
/// a differential fuzzer: the statement ran on for minutes, holding the lock.
#[tokio::test]
async fn statement_timeout_stops_nested_correlated_subqueries() {
    let server = common::TestServer::start();
    let client = server.connect().await;
    let other = server.connect().await;
    client
        .batch_execute(
            "create table small (x int primary key); \
             insert into small select * from generate_series(1, 40); \
             set statement_timeout = '200ms'",
        )
        .await
        .unwrap();
    // 40^5 = 100 million innermost rows: it runs until stopped.
    let slow = client
        .query(
            "select count(*) from small a where exists (select 1 from small b where exists \
             (select 1 from small c where exists (select 1 from small d where exists \
             (select 1 from small e where a.x + b.x + c.x + d.x + e.x < 0))))",
            &[],
        )
        .await;
    assert_eq!(code(slow), "57014");
    other
        .batch_execute("create table after_timeout (x int); insert into small values (41)")
        .await
        .unwrap();
    assert_eq!(
        scalar(&client, "select count(*) from small")
            .await
            .as_deref(),
        Some("41")
    );
}

/// A cancel request (psql's Ctrl-C) stops a running SELECT with 57014; the read
/// lock is released and the session answers again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_request_stops_a_running_select() {
    let server = common::TestServer::start_with_args(&["--no-modules"]);
    let client = server.connect().await;
    let other = server.connect().await;
    create_big(&client, "").await;
    let cancel = client.cancel_token();
    let query = tokio::spawn(async move {
        // A billion rows: it runs until cancelled.
        let result = client
            .query("select count(*) from big x, big y, big z", &[])
            .await;
        (client, result)
    });
    common::cancel_until_finished(&cancel, &query).await;
    let (client, result) = query.await.unwrap();
    let error = result.expect_err("a cancelled query fails");
    let db = error.as_db_error().expect("a server error");
    assert_eq!(db.code().code(), "57014");
    assert_eq!(db.message(), "canceling statement due to user request");
    other
        .batch_execute("insert into big values (1000)")
        .await
        .unwrap();
    assert_eq!(
        scalar(&client, "select count(*) from big").await.as_deref(),
        Some("1001")
    );
}

/// statement_timeout applies to writes too: a slow INSERT … SELECT stops with
/// 57014 from the executor's own interrupt check and is rolled back (no row of it
/// is visible), and the session and the writer go on.
#[tokio::test]
async fn statement_timeout_cancels_a_slow_write() {
    let server = common::TestServer::start();
    let client = server.connect().await;
    create_big(&client, "create table copy (a bigint primary key)").await;
    client
        .batch_execute("set statement_timeout = '100ms'")
        .await
        .unwrap();
    let slow = client
        .batch_execute("insert into copy select x.a * 1000 + y.a from big x, big y")
        .await;
    assert_eq!(code(slow), "57014");
    client
        .batch_execute("reset statement_timeout")
        .await
        .unwrap();
    assert_eq!(
        scalar(&client, "select count(*) from copy")
            .await
            .as_deref(),
        Some("0")
    );
    client
        .batch_execute("insert into copy values (1)")
        .await
        .unwrap();
}

/// A write waiting for the write lock behind a long SELECT is stopped by its
/// statement_timeout and by a cancel request while it waits (it used to hear its
/// 57014 only once the SELECT let the lock go): each answers 57014 while the SELECT
/// is still running. Its lock_timeout stops it with 55P03, as it stops a
/// block's COMMIT and its LOCK TABLE after its own DDL. No stopped row is
/// written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_waiting_for_the_lock_is_stopped_by_timeout_and_cancel() {
    let server = common::TestServer::start_with_args(&["--no-modules"]);
    let reader = server.connect().await;
    let writer = server.connect().await;
    create_big(&reader, "create table w (a int primary key)").await;
    // A block whose DDL ran before the scan: its LOCK TABLE is rehearsed on top
    // of that DDL, under the write lock.
    let locker = server.connect().await;
    locker
        .batch_execute("begin; create table w_locked (a int)")
        .await
        .unwrap();
    let reader_cancel = reader.cancel_token();
    let scan = tokio::spawn(async move {
        // A billion rows: it holds the read lock until cancelled.
        reader
            .query("select count(*) from big x, big y, big z", &[])
            .await
            .map(|_| ())
    });
    // Once the scan holds the lock, a write waits; until then it may run at once,
    // so each try writes a row of its own, until one is stopped.
    writer
        .batch_execute("set statement_timeout = '200ms'")
        .await
        .unwrap();
    let mut timed_out = 1;
    while writer
        .batch_execute(&format!("insert into w values ({timed_out})"))
        .await
        .map_err(|e| assert_eq!(code::<()>(Err(e)), "57014"))
        .is_ok()
    {
        timed_out += 1;
    }
    assert!(!scan.is_finished(), "stopped while the scan holds the lock");
    // The write it gave up holds nothing back: a read joins the scan's phase.
    let other_reader = server.connect().await;
    scalar(&other_reader, "select count(*) from w").await;
    assert!(!scan.is_finished(), "read while the scan holds the lock");

    // lock_timeout ends the wait with 55P03, for a statement on its own and for
    // the COMMIT of a block (whose insert ran beside the scan, on the block's
    // own changes), which then has rolled back.
    writer
        .batch_execute("reset statement_timeout; set lock_timeout = '50ms'")
        .await
        .unwrap();
    let error = writer
        .batch_execute("insert into w values (-1)")
        .await
        .expect_err("a write waiting past lock_timeout");
    let db_error = error.as_db_error().expect("a server error");
    assert_eq!(db_error.code().code(), "55P03");
    assert_eq!(
        db_error.message(),
        "canceling statement due to lock timeout"
    );
    writer
        .batch_execute("begin; insert into w values (-2)")
        .await
        .unwrap();
    assert_eq!(code(writer.batch_execute("commit").await), "55P03");
    // The block is over: a statement is not refused with 25P02.
    assert_eq!(scalar(&writer, "select 1").await.as_deref(), Some("1"));
    locker
        .batch_execute("set local lock_timeout = '50ms'")
        .await
        .unwrap();
    let lock = locker
        .batch_execute("lock table w_locked in access share mode")
        .await;
    assert_eq!(code(lock), "55P03");
    locker.batch_execute("rollback").await.unwrap();
    assert!(
        !scan.is_finished(),
        "timed out while the scan holds the lock"
    );

    writer.batch_execute("reset lock_timeout").await.unwrap();
    let writer_cancel = writer.cancel_token();
    let insert = tokio::spawn(async move {
        let result = writer.batch_execute("insert into w values (0)").await;
        (writer, result)
    });
    common::cancel_until_finished(&writer_cancel, &insert).await;
    let (writer, result) = insert.await.unwrap();
    assert_eq!(code(result), "57014");
    assert!(
        !scan.is_finished(),
        "cancelled while the scan holds the lock"
    );

    common::cancel_until_finished(&reader_cancel, &scan).await;
    assert_eq!(code(scan.await.unwrap()), "57014");
    assert_eq!(
        scalar(
            &writer,
            &format!("select count(*) from w where a in (-2, -1, 0, {timed_out})")
        )
        .await
        .as_deref(),
        Some("0"),
        "no stopped write wrote its row"
    );
}

/// An unaliased column is named as PostgreSQL names it (checked against it): a
/// cast of a cast takes the outer type's name, a cast of a column or a function
/// keeps that name, a CASE takes its ELSE's column name or `case`.
#[tokio::test]
async fn unaliased_columns_are_named_as_in_postgresql() {
    let server = common::TestServer::start_with_args(&["--no-modules"]);
    let client = server.connect().await;
    let statement = client
        .prepare(
            "select 1::int::text, 3.5::float8::int, 1::int8::int4::int2, \
             'pg_class'::regclass::text, (case when true then 1 else 2 end)::text, \
             true::text, date '2020-01-01'::text, a::text::int, length('x')::text, \
             (select 1 as q)::text, case when true then 1 else a end, \
             case when true then a end from (select 1 as a) t",
        )
        .await
        .unwrap();
    let names: Vec<&str> = statement.columns().iter().map(|c| c.name()).collect();
    assert_eq!(
        names,
        ["text", "int4", "int2", "text", "text", "text", "text", "a", "length", "q", "a", "case"]
    );
}

/// A prepared statement keeps its plan across DDL only as PostgreSQL 15 allows
/// (checked against it): t dropped and recreated with other columns, or with a
/// renamed column, answers 0A000 "cached plan must not change result type"; t
/// missing answers 42P01; t recreated as it was answers with the new rows.
#[tokio::test]
async fn prepared_statement_across_ddl() {
    let server = common::TestServer::start();
    let client = server.connect().await;
    let ddl = server.connect().await;
    ddl.batch_execute(
        "create table t (id bigint primary key, a text); insert into t values (1, 'x')",
    )
    .await
    .unwrap();
    let select = client
        .prepare("select * from t where id = $1")
        .await
        .unwrap();
    let row = client.query_one(&select, &[&1i64]).await.unwrap();
    assert_eq!(row.get::<_, String>(1), "x");
    let recreate = |columns: &'static str, row: &'static str| {
        format!("drop table t; create table t ({columns}); insert into t values {row}")
    };
    ddl.batch_execute(&recreate(
        "id bigint primary key, b int, c text",
        "(1, 5, 'y')",
    ))
    .await
    .unwrap();
    assert_eq!(code(client.query(&select, &[&1i64]).await), "0A000");
    ddl.batch_execute(&recreate("id bigint primary key, z text", "(1, 'renamed')"))
        .await
        .unwrap();
    assert_eq!(code(client.query(&select, &[&1i64]).await), "0A000");
    ddl.batch_execute("drop table t").await.unwrap();
    assert_eq!(code(client.query(&select, &[&1i64]).await), "42P01");
    ddl.batch_execute(
        "create table t (id bigint primary key, a text); insert into t values (1, 'back')",
    )
    .await
    .unwrap();
    let row = client.query_one(&select, &[&1i64]).await.unwrap();
    assert_eq!(row.get::<_, String>(1), "back");
}

/// A prepared `INSERT … RETURNING` whose table was recreated with other columns
/// answers 0A000 and inserts nothing, as in PostgreSQL: the result type is checked
/// inside the write's transaction, before it commits (it used to be checked after,
/// and the row stayed).
#[tokio::test]
async fn a_write_whose_result_type_changed_changes_nothing() {
    let server = common::TestServer::start();
    let client = server.connect().await;
    let ddl = server.connect().await;
    ddl.batch_execute("create table rt (id int primary key, v text)")
        .await
        .unwrap();
    let insert = client
        .prepare("insert into rt values ($1, 'x') returning *")
        .await
        .unwrap();
    ddl.batch_execute("drop table rt; create table rt (id int primary key, v text, w int)")
        .await
        .unwrap();
    assert_eq!(code(client.query(&insert, &[&2i32]).await), "0A000");
    let rows: i64 = ddl
        .query_one("select count(*) from rt", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 0, "the failed INSERT left nothing");
    // The same columns again: the statement runs.
    ddl.batch_execute("drop table rt; create table rt (id int primary key, v text)")
        .await
        .unwrap();
    let row = client.query_one(&insert, &[&3i32]).await.unwrap();
    assert_eq!(row.get::<_, i32>(0), 3);
}

/// SQL's PREPARE, EXECUTE and DEALLOCATE through tokio-postgres, in both protocols
/// (checked against PostgreSQL 15): EXECUTE in a simple query answers the prepared
/// statement's rows as text; sent through the extended protocol it is described
/// with that statement's columns and answers in binary; a PREPAREd INSERT reports
/// its row count; a name in use is 42P05 and an unknown one 26000; DEALLOCATE ALL
/// also drops the statements the driver made with Parse (26000 when it uses one
/// again), since they share one namespace.
#[tokio::test]
async fn sql_prepare_execute_deallocate() {
    let server = common::TestServer::start();
    let client = server.connect().await;
    client
        .batch_execute(
            "create table t (a int primary key, b text); \
             prepare ins (int, text) as insert into t values ($1, $2); \
             prepare get as select a, b from t where a = $1",
        )
        .await
        .unwrap();
    let inserted = client.execute("execute ins(1, 'one')", &[]).await.unwrap();
    assert_eq!(inserted, 1);
    let messages = client
        .simple_query("execute ins(2, 'two'); execute get(2)")
        .await
        .unwrap();
    assert_eq!(
        rows_of(&messages),
        vec![vec![Some("2".into()), Some("two".into())]]
    );
    let get_one = client.prepare("execute get(1)").await.unwrap();
    assert!(get_one.params().is_empty());
    assert_eq!(get_one.columns()[0].type_(), &Type::INT4);
    let row = client.query_one(&get_one, &[]).await.unwrap();
    assert_eq!(
        (row.get::<_, i32>(0), row.get::<_, String>(1)),
        (1, "one".into())
    );
    assert_eq!(
        code(client.batch_execute("prepare get as select 1").await),
        "42P05"
    );
    assert_eq!(code(client.batch_execute("execute nope").await), "26000");
    let count = client.prepare("select count(*) from t").await.unwrap();
    client.batch_execute("deallocate all").await.unwrap();
    assert_eq!(code(client.query(&count, &[]).await), "26000");
    assert_eq!(code(client.query(&get_one, &[]).await), "26000");
    assert_eq!(code(client.batch_execute("execute get(1)").await), "26000");
}

/// pg_stat_activity shows each session: its application name, state (active,
/// idle, idle in transaction), its running or last query and when its block
/// began; pg_cancel_backend stops another session's running statement with
/// 57014, and answers false for a pid no session has.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_stat_activity_shows_sessions_and_pg_cancel_backend_stops_one() {
    let server = common::TestServer::start_with_args(&["--no-modules"]);
    let watcher = server.connect().await;
    let worker = server.connect().await;
    create_big(&worker, "set application_name = 'worker'").await;
    let pid = common::backend_pid(&worker).await;
    let row_of = |pid: i32| {
        let watcher = &watcher;
        async move {
            watcher
                .query_one(
                    "select application_name, state, query, xact_start is not null, usename::text \
                     from pg_stat_activity where pid = $1",
                    &[&pid],
                )
                .await
                .expect("a row for the session")
        }
    };
    let row = row_of(pid).await;
    assert_eq!(row.get::<_, &str>(0), "worker");
    assert_eq!(row.get::<_, &str>(1), "idle");
    assert_eq!(row.get::<_, &str>(2), "select pg_backend_pid()");
    assert!(!row.get::<_, bool>(3));

    worker.batch_execute("begin").await.unwrap();
    worker.batch_execute("select 1").await.unwrap();
    let row = row_of(pid).await;
    assert_eq!(row.get::<_, &str>(1), "idle in transaction");
    assert_eq!(row.get::<_, &str>(2), "select 1");
    assert!(row.get::<_, bool>(3), "xact_start is set in a block");
    // A failed block shows no transaction start, as in PostgreSQL.
    assert_eq!(code(worker.batch_execute("select 1/0").await), "22012");
    let row = row_of(pid).await;
    assert_eq!(row.get::<_, &str>(1), "idle in transaction (aborted)");
    assert!(!row.get::<_, bool>(3));
    worker.batch_execute("rollback").await.unwrap();
    assert_eq!(row_of(pid).await.get::<_, &str>(1), "idle");

    // The watcher sees itself running the query it runs.
    let own = common::backend_pid(&watcher).await;
    let row = row_of(own).await;
    assert_eq!(row.get::<_, &str>(1), "active");
    assert!(row.get::<_, &str>(2).contains("pg_stat_activity"));

    let scan = spawn_big_scan(worker);
    while !scan.is_finished() {
        watcher
            .query_one("select pg_cancel_backend($1)", &[&pid])
            .await
            .expect("pg_cancel_backend answers");
        tokio::task::yield_now().await;
    }
    assert_eq!(code(scan.await.unwrap()), "57014");
    assert_eq!(
        scalar(&watcher, "select pg_cancel_backend(12345)::text")
            .await
            .as_deref(),
        Some("false")
    );
}

/// inet_server_addr() and inet_server_port() name the address the client
/// connected to, inet_client_addr() and inet_client_port() the one it came from.
#[tokio::test]
async fn inet_functions_name_both_ends_of_the_connection() {
    let server = common::TestServer::start_with_args(&["--no-modules"]);
    let client = server.connect().await;
    let row = client
        .query_one(
            "select inet_server_addr(), inet_server_port(), inet_client_addr(), \
             inet_client_port() from pg_stat_activity where pid = pg_backend_pid()",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, &str>(0), "127.0.0.1");
    assert_eq!(row.get::<_, i32>(1), i32::from(server.port()));
    assert_eq!(row.get::<_, &str>(2), "127.0.0.1");
    assert_ne!(row.get::<_, i32>(3), i32::from(server.port()));
}

/// pg_terminate_backend ends a session with FATAL 57P01: an idle one at once,
/// a running one by stopping its statement (whose answer is that FATAL, as
/// PostgreSQL's); it answers false for a pid no session has, and the sessions
/// it ended leave pg_stat_activity.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_terminate_backend_ends_idle_and_running_sessions() {
    use tokio::io::AsyncReadExt;
    let server = common::TestServer::start_with_args(&["--no-modules"]);
    let admin = server.connect().await;
    let mut idle = common::raw::raw_session(server.port()).await;
    let idle_pid: i32 = admin
        .query_one(
            "select pid from pg_stat_activity where usename = 'raw'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let terminate = |pid: i32| {
        let admin = &admin;
        async move {
            admin
                .query_one("select pg_terminate_backend($1)", &[&pid])
                .await
                .unwrap()
                .get::<_, bool>(0)
        }
    };
    assert!(terminate(idle_pid).await);
    let messages = common::raw::read_until(&mut idle, b'E').await;
    let (_, fatal) = messages.last().expect("an ErrorResponse");
    assert_eq!(common::raw::sqlstate(fatal), "57P01");
    assert!(String::from_utf8_lossy(fatal)
        .contains("terminating connection due to administrator command"));
    assert_eq!(
        idle.read(&mut [0u8; 1]).await.unwrap(),
        0,
        "the server closed it"
    );

    let worker = server.connect().await;
    create_big(&worker, "").await;
    let worker_pid = common::backend_pid(&worker).await;
    let scan = spawn_big_scan(worker);
    while !scan.is_finished() {
        terminate(worker_pid).await;
        tokio::task::yield_now().await;
    }
    assert_eq!(code(scan.await.unwrap()), "57P01");
    let remaining = "select count(*) from pg_stat_activity where pid in ($1, $2)";
    while admin
        .query_one(remaining, &[&idle_pid, &worker_pid])
        .await
        .unwrap()
        .get::<_, i64>(0)
        > 0
    {
        tokio::task::yield_now().await;
    }
    assert!(!terminate(12345).await);
}

/// pg_sleep sleeps once its query is done, holding no lock: pg_stat_activity
/// shows the session waiting (Timeout, PgSleep) while another session writes;
/// statement_timeout and a cancel request end the sleep with 57014 and the
/// session answers again; a data-modifying statement may not sleep (its
/// sleep would come after it committed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_sleep_holds_no_lock_and_is_stopped_by_timeouts_and_cancels() {
    let server = common::TestServer::start_with_args(&["--no-modules"]);
    let sleeper = server.connect().await;
    let other = server.connect().await;
    other
        .batch_execute("create table t (a int primary key)")
        .await
        .unwrap();
    let pid = common::backend_pid(&sleeper).await;
    let cancel = sleeper.cancel_token();
    let sleeping = tokio::spawn(async move {
        let result = sleeper.query("select 'before', pg_sleep(600)", &[]).await;
        (sleeper, result.map(|_| ()))
    });
    let wait_event = "select wait_event_type || '/' || wait_event from pg_stat_activity \
                      where pid = $1 and state = 'active'";
    while other
        .query_opt(wait_event, &[&pid])
        .await
        .unwrap()
        .and_then(|row| row.get::<_, Option<String>>(0))
        .as_deref()
        != Some("Timeout/PgSleep")
    {
        tokio::task::yield_now().await;
    }
    other
        .batch_execute("insert into t values (1)")
        .await
        .unwrap();
    common::cancel_until_finished(&cancel, &sleeping).await;
    let (sleeper, result) = sleeping.await.unwrap();
    assert_eq!(code(result), "57014");

    sleeper
        .batch_execute("set statement_timeout = '20ms'")
        .await
        .unwrap();
    assert_eq!(
        code(sleeper.query("select pg_sleep(600)", &[]).await),
        "57014"
    );
    sleeper
        .batch_execute("reset statement_timeout")
        .await
        .unwrap();
    assert_eq!(
        code(
            sleeper
                .query("insert into t select 2 from (select pg_sleep(1)) s", &[])
                .await
        ),
        "0A000"
    );
    assert_eq!(
        scalar(&sleeper, "select count(*) from t").await.as_deref(),
        Some("1")
    );
}

/// The statistics views monitoring tools read: pg_stat_user_tables counts a
/// table's live rows (and no dead ones), pg_stat_database the sessions and
/// committed transactions; what Turnstile does not count is NULL.
#[tokio::test]
async fn statistics_views_count_rows_sessions_and_commits() {
    let server = common::TestServer::start_with_args(&["--no-modules"]);
    let client = server.connect().await;
    let _other = server.connect().await;
    client
        .batch_execute(
            "create table counted (a int primary key);
             insert into counted select g from generate_series(1, 10) g;
             delete from counted where a > 7",
        )
        .await
        .unwrap();
    let row = client
        .query_one(
            "select n_live_tup, n_dead_tup, seq_scan from pg_stat_user_tables \
             where relname = 'counted'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 7);
    assert_eq!(row.get::<_, i64>(1), 0);
    assert_eq!(row.get::<_, Option<i64>>(2), None);
    let stats = "select numbackends, xact_commit from pg_stat_database \
                 where datname = current_database()";
    let before = client.query_one(stats, &[]).await.unwrap();
    assert_eq!(before.get::<_, i32>(0), 2);
    client
        .batch_execute("insert into counted values (100)")
        .await
        .unwrap();
    let after = client.query_one(stats, &[]).await.unwrap();
    assert_eq!(after.get::<_, i64>(1), before.get::<_, i64>(1) + 1);
}
