//! Limits, raw protocol edge cases and the lock rule, against the real binary on a
//! free loopback port. Raw sockets speak bytes for what a driver would never send.

mod common;

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use common::raw::{raw_session, read_until, sqlstate, startup_message};

/// SSLRequest and GSSENCRequest are answered 'N' and the startup proceeds in clear.
#[tokio::test]
async fn ssl_and_gssenc_requests_are_refused_with_n() {
    let server = common::TestServer::start();
    let mut socket = TcpStream::connect(("127.0.0.1", server.port()))
        .await
        .unwrap();
    for code in [80_877_103i32, 80_877_104] {
        let mut request = 8i32.to_be_bytes().to_vec();
        request.extend_from_slice(&code.to_be_bytes());
        socket.write_all(&request).await.unwrap();
        assert_eq!(socket.read_u8().await.unwrap(), b'N');
    }
    socket.write_all(&startup_message()).await.unwrap();
    let messages = read_until(&mut socket, b'Z').await;
    assert_eq!(
        messages[0],
        (b'R', vec![0, 0, 0, 0]),
        "AuthenticationOk first"
    );
    let statuses: Vec<String> = messages
        .iter()
        .filter(|(t, _)| *t == b'S')
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .collect();
    for expected in [
        "server_version\x0015.0 (Turnstile 0.1.0)",
        "client_encoding\0UTF8",
        "DateStyle\0ISO, MDY",
        "TimeZone\0UTC",
        "integer_datetimes\0on",
        "standard_conforming_strings\0on",
        "application_name\0",
    ] {
        assert!(
            statuses.iter().any(|s| s.starts_with(expected)),
            "missing {expected:?} in {statuses:?}"
        );
    }
    assert!(messages.iter().any(|(t, _)| *t == b'K'), "BackendKeyData");
}

/// A malformed message gets FATAL 08P01 and closes that connection only.
#[tokio::test]
async fn malformed_message_closes_only_that_connection() {
    let server = common::TestServer::start();
    let client = server.connect().await;
    let mut socket = raw_session(server.port()).await;
    // A Describe whose subtype byte is neither 'S' nor 'P', then a bogus message type.
    socket.write_all(&[b'!', 0, 0, 0, 4]).await.unwrap();
    let messages = read_until(&mut socket, b'E').await;
    assert_eq!(sqlstate(&messages.last().unwrap().1), "08P01");
    assert_eq!(
        socket.read(&mut [0; 16]).await.unwrap(),
        0,
        "the server closed the connection"
    );
    common::assert_answers(&client).await;
}

/// A message over --max-message-bytes is refused from its header (FATAL 54000) and
/// statements over --max-statement-bytes answer 54000 on a connection that goes on.
#[tokio::test]
async fn oversized_input_is_refused() {
    let server = common::TestServer::start_with_args(&[
        "--max-message-bytes",
        "100000",
        "--max-statement-bytes",
        "1000",
    ]);
    let client = server.connect().await;
    let long = format!("select '{}'", "x".repeat(2000));
    let err = client
        .simple_query(&long)
        .await
        .expect_err("statement over the limit");
    assert_eq!(err.code().unwrap().code(), "54000");
    common::assert_answers(&client).await;
    let mut socket = raw_session(server.port()).await;
    let mut huge = vec![b'Q'];
    huge.extend_from_slice(&200_000i32.to_be_bytes());
    socket.write_all(&huge).await.unwrap();
    let messages = read_until(&mut socket, b'E').await;
    assert_eq!(sqlstate(&messages.last().unwrap().1), "54000");
    common::assert_answers(&client).await;
}

/// One connection over --max-connections gets FATAL 53300; the others keep working
/// and a slot frees when a session ends.
#[tokio::test]
async fn max_connections_refuses_one_more() {
    let server = common::TestServer::start_with_args(&["--max-connections", "2"]);
    let a = server.connect().await;
    let b = server.connect().await;
    let err = tokio_postgres::connect(&server.psql_url(), tokio_postgres::NoTls)
        .await
        .err()
        .expect("third connection refused");
    assert_eq!(err.code().map(|c| c.code()), Some("53300"), "{err}");
    assert_eq!(
        a.query_one("select 1", &[]).await.unwrap().get::<_, i32>(0),
        1
    );
    assert_eq!(
        b.query_one("select 1", &[]).await.unwrap().get::<_, i32>(0),
        1
    );
    drop(a);
    // The slot frees when the server notices the close; retry against a deadline.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match tokio_postgres::connect(&server.psql_url(), tokio_postgres::NoTls).await {
            Ok(_) => break,
            Err(e) if tokio::time::Instant::now() < deadline => {
                assert_eq!(e.code().map(|c| c.code()), Some("53300"))
            }
            Err(e) => panic!("no slot freed: {e}"),
        }
        tokio::task::yield_now().await;
    }
}

/// A socket that has not sent its startup packet holds no session slot (it used to
/// hold one for the 60 s startup timeout, so a few silent sockets locked every
/// client out): with `--max-connections 2` and four silent sockets open, two
/// clients still connect, a third is refused with 53300, and a cancel request
/// still reaches a running query.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_sockets_hold_no_session_slot() {
    let server = common::TestServer::start_with_args(&["--max-connections", "2", "--no-modules"]);
    let mut silent = Vec::new();
    for _ in 0..4 {
        silent.push(
            tokio::net::TcpStream::connect(("127.0.0.1", server.port()))
                .await
                .unwrap(),
        );
    }
    let a = server.connect().await;
    let b = server.connect().await;
    let err = tokio_postgres::connect(&server.psql_url(), tokio_postgres::NoTls)
        .await
        .err()
        .expect("third session refused");
    assert_eq!(err.code().map(|c| c.code()), Some("53300"), "{err}");
    b.batch_execute(
        "create table n (a int primary key); insert into n select i from generate_series(0, 999) i",
    )
    .await
    .unwrap();
    let cancel = a.cancel_token();
    let query = tokio::spawn(async move {
        // A billion rows: it runs until cancelled.
        a.query("select count(*) from n x, n y, n z", &[]).await
    });
    common::cancel_until_finished(&cancel, &query).await;
    let error = query.await.unwrap().expect_err("a cancelled query fails");
    assert_eq!(error.code().map(|c| c.code()), Some("57014"), "{error}");
    drop(silent);
}

/// The lock rule: a slow SELECT and streams of single-row INSERTs on other
/// connections all finish; while a slow writer is in flight the server still
/// answers `SELECT 1` (no lock) and starts new connections (no tokio worker blocks
/// on the lock), and a point read queued behind the writer completes after it. The
/// only timing is a generous deadline per observation, so a blocked server fails
/// rather than hangs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_scans_and_writers_share_the_server() {
    let server = common::TestServer::start();
    let setup = server.connect().await;
    let values: Vec<String> = (0..300).map(|i| format!("({i})")).collect();
    setup.batch_execute(&format!("create table big (a int primary key); insert into big values {}; create table log (id int primary key)", values.join(", "))).await.unwrap();
    let reader = server.connect().await;
    let scan = tokio::spawn(async move {
        reader
            .query_one(
                "select count(*) from big x, big y, big z where x.a < 100",
                &[],
            )
            .await
            .map(|r| r.get::<_, i64>(0))
    });
    let mut writers = Vec::new();
    for w in 0..4 {
        let client = server.connect().await;
        writers.push(tokio::spawn(async move {
            for i in 0..50 {
                client
                    .execute("insert into log values ($1)", &[&(w * 1000 + i)])
                    .await
                    .unwrap();
            }
        }));
    }
    let slow_writer = server.connect().await;
    let write = tokio::spawn(async move {
        slow_writer.execute("insert into log select x.a * 1000000 + y.a * 1000 + z.a + 10000 from big x, big y, big z where x.a < 3", &[]).await
    });
    // While the slow write is in flight (it may hold the write lock for all of
    // these), lock-free work must still complete: `SELECT 1` on an open connection
    // and a new connection's startup. Each round has a deadline, so a blocked tokio
    // worker in the server fails the test instead of hanging it. A primary-key point
    // read started now rightly queues behind the writer; it must complete once the
    // writer is done.
    let observer = server.connect().await;
    let point_reader = server.connect().await;
    let point = tokio::spawn(async move {
        point_reader
            .query_one("select a from big where a = 7", &[])
            .await
            .map(|r| r.get::<_, i32>(0))
    });
    let round = Duration::from_secs(30);
    while !write.is_finished() {
        tokio::time::timeout(round, observer.simple_query("select 1"))
            .await
            .expect("SELECT 1 answered while a writer may hold the lock")
            .unwrap();
        let fresh = tokio::time::timeout(round, server.connect())
            .await
            .expect("a new connection starts while a writer may hold the lock");
        drop(fresh);
    }
    assert_eq!(write.await.unwrap().unwrap(), 3 * 300 * 300);
    let point = tokio::time::timeout(round, point)
        .await
        .expect("the point read completes once the writer is done");
    assert_eq!(point.unwrap().unwrap(), 7);
    for writer in writers {
        writer.await.unwrap();
    }
    assert_eq!(scan.await.unwrap().unwrap(), 100 * 300 * 300);
    assert_eq!(
        setup
            .query_one("select count(*) from log where id < 10000", &[])
            .await
            .unwrap()
            .get::<_, i64>(0),
        200
    );
}

/// --max-rows-per-statement is enforced inside the statement: a SELECT over it answers
/// 54000, and an `INSERT … RETURNING` over it answers 54000 AND changes nothing (it
/// used to be checked after the commit, so the rows stayed). Checked by counting the
/// table afterwards. A `WITH RECURSIVE` query that never ends stops at it.
#[tokio::test]
async fn row_limit_rolls_back_a_write_over_it() {
    let server = common::TestServer::start_with_args(&["--max-rows-per-statement", "3"]);
    let client = server.connect().await;
    client
        .batch_execute("create table t (a int primary key); insert into t values (1), (2)")
        .await
        .unwrap();
    let err = client
        .query(
            "insert into t values (10), (11), (12), (13) returning a",
            &[],
        )
        .await
        .expect_err("RETURNING over the limit");
    assert_eq!(err.code().unwrap().code(), "54000", "{err}");
    let err = client
        .simple_query("insert into t select a + 100 * x from t, (values (1), (2)) v(x) returning a")
        .await
        .expect_err("RETURNING over the limit, simple protocol");
    assert_eq!(err.code().unwrap().code(), "54000", "{err}");
    let count: i64 = client
        .query_one("select count(*) from t", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 2, "the writes over the limit rolled back");
    client
        .execute("insert into t values (3), (4), (5) returning a", &[])
        .await
        .expect("a RETURNING at the limit is fine");
    let err = client
        .query("select a from t", &[])
        .await
        .expect_err("SELECT over the limit");
    assert_eq!(err.code().unwrap().code(), "54000", "{err}");
    // A recursion that never ends stops at the limit too, however few rows it
    // returns, and the session goes on.
    let err = client
        .query(
            "with recursive r (n) as (select 1 union all select n + 1 from r) \
             select count(*) from r",
            &[],
        )
        .await
        .expect_err("a recursion without end");
    assert_eq!(err.code().unwrap().code(), "54000", "{err}");
    let ended: i64 = client
        .query_one(
            "with recursive r (n) as (select 1 union all select n + 1 from r where n < 3) \
             select sum(n) from r",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(ended, 6);
}

/// Invariant 2: rows are materialized and the read lock released before anything is
/// sent, so a client that stops reading a large result (a raw socket that sends the
/// query and reads nothing, leaving the server blocked on a full socket buffer)
/// does not stop a writer on another connection. The write must complete within a
/// generous deadline while the stalled client is still connected.
#[tokio::test]
async fn a_client_that_stops_reading_does_not_stop_writers() {
    let server = common::TestServer::start();
    let setup = server.connect().await;
    let values: Vec<String> = (0..300).map(|i| format!("({i})")).collect();
    setup
        .batch_execute(&format!(
            "create table big (a int primary key); insert into big values {}; create table log (id int primary key)",
            values.join(", ")
        ))
        .await
        .unwrap();
    let mut stalled = raw_session(server.port()).await;
    let sql = "select x.a, repeat('x', 500) from big x, big y\0";
    let mut message = vec![b'Q'];
    message.extend_from_slice(&((sql.len() + 4) as i32).to_be_bytes());
    message.extend_from_slice(sql.as_bytes());
    stalled.write_all(&message).await.unwrap();
    // Give the server time to run the query and fill the socket buffers.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let writer = server.connect().await;
    for id in 0..20 {
        tokio::time::timeout(
            Duration::from_secs(30),
            writer.execute("insert into log values ($1)", &[&id]),
        )
        .await
        .expect("the write completes while a client stalls on a large result")
        .unwrap();
    }
    let count: i64 = writer
        .query_one("select count(*) from log", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 20);
    drop(stalled);
}

/// A chain of operators or of set operations is parsed in a loop into a tree as
/// deep as the chain is long; everything after parsing walks that tree
/// recursively. A chain past the limits is 54001, through the simple and the
/// extended protocol, and no length of chain takes the server down (300 terms
/// used to overflow a session's stack and abort the process).
#[tokio::test]
async fn chains_past_the_nesting_limits_are_refused_not_fatal() {
    let server = common::TestServer::start_with_args(&["--no-modules"]);
    let client = server.connect().await;
    let plus = |n: usize| format!("SELECT 1{}", "+1".repeat(n));
    let unions = |n: usize| format!("SELECT 1{}", " UNION ALL SELECT 1".repeat(n));
    let deepest: i32 = client.query_one(&plus(198), &[]).await.unwrap().get(0);
    assert_eq!(deepest, 199);
    let rows = client.query(&unions(300), &[]).await.unwrap();
    assert_eq!(rows.len(), 301);
    for sql in [plus(300), plus(200_000), unions(301), unions(20_000)] {
        for extended in [false, true] {
            let error = if extended {
                client.query(&sql, &[]).await.map(drop).unwrap_err()
            } else {
                client.simple_query(&sql).await.map(drop).unwrap_err()
            };
            let code = error.code().map(|c| c.code());
            assert_eq!(code, Some("54001"), "{} bytes: {error}", sql.len());
        }
    }
    let alive: i32 = client.query_one("SELECT 42", &[]).await.unwrap().get(0);
    assert_eq!(alive, 42);
}

/// A tagged message: `tag`, the length word, `body`.
fn message(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![tag];
    m.extend_from_slice(&((body.len() + 4) as i32).to_be_bytes());
    m.extend_from_slice(body);
    m
}

fn query(sql: &str) -> Vec<u8> {
    message(b'Q', format!("{sql}\0").as_bytes())
}

/// Sends `bytes` on a fresh raw session and expects the answers whose tags are
/// `answered` (those of the messages before the faulty one), then FATAL 08P01
/// with `error`, then the end of the connection.
async fn assert_refused(port: u16, bytes: &[u8], answered: &[u8], error: &str) {
    let mut socket = raw_session(port).await;
    socket.write_all(bytes).await.unwrap();
    let messages = tokio::time::timeout(Duration::from_secs(10), read_until(&mut socket, b'E'))
        .await
        .unwrap_or_else(|_| panic!("{bytes:?}: no error within 10 s"));
    let tags: Vec<u8> = messages.iter().map(|m| m.0).collect();
    let fatal = String::from_utf8_lossy(&messages.last().unwrap().1).into_owned();
    assert_eq!(tags, [answered, b"E"].concat(), "{bytes:?}: {fatal}");
    assert!(
        fatal.contains("SFATAL\0") && fatal.contains("C08P01\0") && fatal.contains(error),
        "{bytes:?}: {fatal}"
    );
    assert_eq!(socket.read(&mut [0; 16]).await.unwrap(), 0, "closed");
}

/// A message whose body holds more than its fields is refused, never read as the
/// messages that follow its fields: a Sync, Flush or CopyDone (outside COPY) with
/// a body, a Describe, Close or CopyFail with bytes after its string, an Execute
/// with bytes after its row limit. Each of these used to run the Query hidden in
/// it. PostgreSQL answers 08P01 "invalid message format" (ERROR; the reasons it is
/// FATAL here are in `wire::frame`); the messages before it are answered first.
#[tokio::test]
async fn message_bodies_hide_no_messages() {
    let server = common::TestServer::start_with_args(&["--no-modules"]);
    let client = server.connect().await;
    client
        .batch_execute("create table smuggled (a int)")
        .await
        .unwrap();
    let hidden = query("insert into smuggled values (1)");
    let after = |fields: &[u8]| [fields, &hidden].concat();
    for (tag, body) in [
        (b'S', hidden.clone()),
        (b'H', hidden.clone()),
        (b'c', hidden.clone()),
        (b'D', after(b"S\0")),
        (b'C', after(b"P\0")),
        (b'f', after(b"reason\0")),
        (b'E', after(b"\0\0\0\0\0")),
    ] {
        let mut bytes = query("select 1");
        bytes.extend(message(tag, &body));
        bytes.extend(query("insert into smuggled values (2)"));
        assert_refused(server.port(), &bytes, b"TDCZ", "invalid message format").await;
    }
    let rows: i64 = client
        .query_one("select count(*) from smuggled", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 0, "nothing hidden in a message ran");
}

/// A message whose body is shorter than its fields is refused with PostgreSQL's
/// message, before pgwire's decoder reads the missing bytes from the next message.
#[tokio::test]
async fn message_bodies_short_of_their_fields_are_refused() {
    let server = common::TestServer::start_with_args(&["--no-modules"]);
    for (tag, body, error) in [
        (b'E', &b"\0\0\0"[..], "insufficient data left in message"),
        (b'E', b"portal", "invalid string in message"),
        (b'D', b"", "no data left in message"),
        (b'P', b"\0select 1\0", "insufficient data left in message"),
    ] {
        let mut bytes = message(tag, body);
        bytes.extend(query("select 1"));
        assert_refused(server.port(), &bytes, b"", error).await;
    }
}

/// A Bind parameter length below -1 is 08P01 "insufficient data left in message",
/// as in PostgreSQL (pgwire's decoder took any negative length as NULL); -1 is
/// NULL.
#[tokio::test]
async fn bind_lengths_below_minus_one_are_refused() {
    let server = common::TestServer::start_with_args(&["--no-modules"]);
    let batch = |length: i32| {
        let mut bytes = message(b'P', b"\0select $1::text\0\0\0");
        let mut bind = b"\0\0\0\0\0\x01".to_vec();
        bind.extend_from_slice(&length.to_be_bytes());
        bind.extend_from_slice(b"\0\0");
        bytes.extend(message(b'B', &bind));
        bytes.extend(message(b'E', b"\0\0\0\0\0"));
        bytes.extend(message(b'S', b""));
        bytes
    };
    let mut socket = raw_session(server.port()).await;
    socket.write_all(&batch(-1)).await.unwrap();
    let messages = read_until(&mut socket, b'Z').await;
    assert_eq!(messages[2], (b'D', vec![0, 1, 255, 255, 255, 255]), "NULL");
    for length in [-2, i32::MIN] {
        let bytes = batch(length);
        assert_refused(
            server.port(),
            &bytes,
            b"1",
            "insufficient data left in message",
        )
        .await;
    }
}
