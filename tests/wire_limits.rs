//! Limits, raw protocol edge cases and the lock rule, against the real binary on a
//! free loopback port. Raw sockets speak bytes for what a driver would never send.

mod common;

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A v3 StartupMessage for user `raw`.
fn startup_message() -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&196_608i32.to_be_bytes());
    body.extend_from_slice(b"user\0raw\0database\0raw\0\0");
    let mut message = ((body.len() + 4) as i32).to_be_bytes().to_vec();
    message.extend(body);
    message
}

/// Reads backend messages until one with tag `until`; returns (tag, body) pairs.
async fn read_until(socket: &mut TcpStream, until: u8) -> Vec<(u8, Vec<u8>)> {
    let mut messages = Vec::new();
    loop {
        let tag = socket.read_u8().await.expect("read a message tag");
        let len = socket.read_i32().await.expect("read a length") as usize;
        let mut body = vec![0; len - 4];
        socket.read_exact(&mut body).await.expect("read a body");
        messages.push((tag, body));
        if tag == until {
            return messages;
        }
    }
}

/// The SQLSTATE (field `C`) of an ErrorResponse body.
fn sqlstate(body: &[u8]) -> String {
    body.split(|b| *b == 0)
        .find_map(|f| f.strip_prefix(b"C"))
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .unwrap_or_default()
}

async fn raw_session(port: u16) -> TcpStream {
    let mut socket = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    socket.write_all(&startup_message()).await.unwrap();
    read_until(&mut socket, b'Z').await;
    socket
}

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
    assert_eq!(
        client
            .query_one("select 1", &[])
            .await
            .unwrap()
            .get::<_, i32>(0),
        1
    );
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
    assert_eq!(
        client
            .query_one("select 1", &[])
            .await
            .unwrap()
            .get::<_, i32>(0),
        1
    );
    let mut socket = raw_session(server.port()).await;
    let mut huge = vec![b'Q'];
    huge.extend_from_slice(&200_000i32.to_be_bytes());
    socket.write_all(&huge).await.unwrap();
    let messages = read_until(&mut socket, b'E').await;
    assert_eq!(sqlstate(&messages.last().unwrap().1), "54000");
    assert_eq!(
        client
            .query_one("select 2", &[])
            .await
            .unwrap()
            .get::<_, i32>(0),
        2
    );
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

/// The lock rule: a slow SELECT and streams of single-row INSERTs on other
/// connections all finish, and while a slow writer holds the write lock the server
/// still answers `SELECT 1` on another connection (it reads no table, so it takes no
/// lock, and no tokio worker blocks on the lock). No timing assertions: only
/// "finishes" and "answers".
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
    let observer = server.connect().await;
    let mut answered = 0;
    while !write.is_finished() {
        observer.simple_query("select 1").await.unwrap();
        answered += 1;
    }
    assert!(answered > 0);
    assert_eq!(write.await.unwrap().unwrap(), 3 * 300 * 300);
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
