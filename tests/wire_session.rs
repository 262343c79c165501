//! Session semantics against the real binary: implicit transactions of
//! multi-statement Query strings, transactional SET, portals and transaction ends,
//! untyped parameters. Compared with PostgreSQL 15's answers to the same input.

mod common;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use common::raw::{raw_session, read_until, sqlstate};

/// A simple Query message.
fn query(sql: &str) -> Vec<u8> {
    let mut message = vec![b'Q'];
    message.extend_from_slice(&((sql.len() + 5) as i32).to_be_bytes());
    message.extend_from_slice(sql.as_bytes());
    message.push(0);
    message
}

async fn count(client: &tokio_postgres::Client, table: &str) -> i64 {
    client
        .query_one(&format!("select count(*) from {table}"), &[])
        .await
        .unwrap()
        .get(0)
}

/// A server with the table `t (a int primary key)`, a client of it, and a raw
/// session for messages the client cannot send.
async fn server_with_table_t() -> (
    common::TestServer,
    tokio_postgres::Client,
    tokio::net::TcpStream,
) {
    let server = common::TestServer::start();
    let client = server.connect().await;
    client
        .batch_execute("create table t (a int primary key)")
        .await
        .unwrap();
    let socket = raw_session(server.port()).await;
    (server, client, socket)
}

/// A Query string of several statements with a write is one implicit transaction,
/// as in PostgreSQL: `insert …; select 1/0` sends the INSERT's results, then 22012,
/// and the insert is rolled back (counted afterwards); queries in the string see
/// the writes before them; a string without an error commits everything.
#[tokio::test]
async fn multi_statement_query_is_one_transaction() {
    let (_server, client, mut socket) = server_with_table_t().await;
    socket
        .write_all(&query("insert into t values (1) returning a; select 1/0"))
        .await
        .unwrap();
    let messages = read_until(&mut socket, b'Z').await;
    let tags: Vec<u8> = messages.iter().map(|(t, _)| *t).collect();
    assert_eq!(tags, b"TDCEZ", "the INSERT's rows and tag, then the error");
    assert_eq!(sqlstate(&messages[3].1), "22012");
    assert_eq!(count(&client, "t").await, 0, "the insert was rolled back");

    let rows = client
        .simple_query("insert into t values (1), (2); update t set a = a + 10 where a = 2; select count(*) from t where a = 12")
        .await
        .unwrap();
    let seen = rows.iter().find_map(|m| match m {
        tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_owned),
        _ => None,
    });
    assert_eq!(seen.as_deref(), Some("1"), "the select saw the update");
    assert_eq!(count(&client, "t").await, 2, "committed together");

    let err = client
        .batch_execute("create table u (a int); insert into u values (1); insert into t values (1)")
        .await
        .expect_err("duplicate key");
    assert_eq!(err.code().unwrap().code(), "23505");
    let err = client
        .query("select * from u", &[])
        .await
        .expect_err("DDL rolled back too");
    assert_eq!(err.code().unwrap().code(), "42P01");

    // A string with its own BEGIN … COMMIT runs statement by statement, the block
    // making its writes atomic.
    client
        .batch_execute("begin; insert into t values (5); insert into t values (6); commit")
        .await
        .unwrap();
    assert_eq!(count(&client, "t").await, 4);
    let err = client
        .batch_execute("begin; insert into t values (7); insert into t values (5); commit")
        .await
        .expect_err("duplicate key inside the block");
    assert_eq!(err.code().unwrap().code(), "23505");
    client.batch_execute("rollback").await.unwrap();
    assert_eq!(
        count(&client, "t").await,
        4,
        "the failed block kept nothing"
    );
}

/// One frontend message: tag, length word, body.
fn message(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![tag];
    m.extend_from_slice(&((body.len() + 4) as i32).to_be_bytes());
    m.extend_from_slice(body);
    m
}

/// Parse of the statement `name`, no declared types.
fn parse(name: &str, sql: &str) -> Vec<u8> {
    let mut body = name.as_bytes().to_vec();
    body.push(0);
    body.extend_from_slice(sql.as_bytes());
    body.extend_from_slice(b"\0\0\0");
    message(b'P', &body)
}

/// Parse (unnamed statement, no declared types) + Bind into `portal`, no parameters.
fn parse_bind(sql: &str, portal: &str) -> Vec<u8> {
    let mut bind = portal.as_bytes().to_vec();
    bind.extend_from_slice(b"\0\0\0\0\0\0\0\0");
    let mut out = parse("", sql);
    out.extend(message(b'B', &bind));
    out
}

/// Describe of the statement `name`.
fn describe_statement(name: &str) -> Vec<u8> {
    let mut body = vec![b'S'];
    body.extend_from_slice(name.as_bytes());
    body.push(0);
    message(b'D', &body)
}

fn flush() -> Vec<u8> {
    message(b'H', &[])
}

fn execute(portal: &str) -> Vec<u8> {
    let mut body = portal.as_bytes().to_vec();
    body.extend_from_slice(b"\0\0\0\0\0");
    message(b'E', &body)
}

fn sync() -> Vec<u8> {
    message(b'S', &[])
}

/// Parse, Bind and Execute of `sql` (unnamed statement and portal).
fn run(sql: &str) -> Vec<u8> {
    let mut out = parse_bind(sql, "");
    out.extend(execute(""));
    out
}

/// The statements of an extended-protocol batch (up to Sync) are one implicit
/// transaction, as in PostgreSQL (what makes JDBC's batches and asyncpg's
/// executemany atomic): an error rolls back the batch's earlier writes, a batch
/// without one commits them all at Sync, and a batch of one write commits alone.
/// Before, every Execute committed on its own. PostgreSQL 15 gives the same
/// messages and counts for the same bytes.
#[tokio::test]
async fn an_extended_batch_is_one_implicit_transaction() {
    let (_server, client, mut socket) = server_with_table_t().await;
    let batch = |statements: &[&str]| {
        let mut out: Vec<u8> = statements.iter().flat_map(|sql| run(sql)).collect();
        out.extend(sync());
        out
    };

    let answers = {
        socket
            .write_all(&batch(&[
                "insert into t values (1)",
                "insert into t values (1)",
            ]))
            .await
            .unwrap();
        read_until(&mut socket, b'Z').await
    };
    let tags: Vec<u8> = answers.iter().map(|m| m.0).collect();
    assert_eq!(tags, b"12C12EZ", "{answers:?}");
    assert_eq!(sqlstate(&answers[5].1), "23505");
    assert_eq!(answers[6].1, b"I", "the batch's transaction is over");
    assert_eq!(
        count(&client, "t").await,
        0,
        "the first insert was rolled back"
    );

    let tags = answer_tags(
        &mut socket,
        &batch(&["insert into t values (2)", "select 1/(a - a) from t"]),
    )
    .await;
    assert_eq!(tags, b"12C12EZ");
    assert_eq!(
        count(&client, "t").await,
        0,
        "a failed query rolls back too"
    );

    let tags = answer_tags(
        &mut socket,
        &batch(&[
            "insert into t values (2)",
            "update t set a = 3 where a = 2",
            "insert into t values (2)",
        ]),
    )
    .await;
    assert_eq!(tags, b"12C12C12CZ");
    assert_eq!(count(&client, "t").await, 2, "committed together at Sync");

    let tags = answer_tags(&mut socket, &batch(&["insert into t values (4)"])).await;
    assert_eq!(tags, b"12CZ");
    assert_eq!(count(&client, "t").await, 3);
}

/// A batch's implicit transaction is validated when Sync commits it, like any
/// block: a row the batch read and another session changed before the Sync makes
/// the commit fail with 40001, answered before ReadyForQuery, and the batch's
/// write is not kept.
#[tokio::test]
async fn a_batch_whose_read_changed_before_sync_fails_at_sync() {
    let (_server, client, mut socket) = server_with_table_t().await;
    client
        .batch_execute("insert into t values (1)")
        .await
        .unwrap();
    let mut batch = run("insert into t values (9)");
    batch.extend(run("select a from t where a = 1"));
    batch.extend(flush());
    socket.write_all(&batch).await.unwrap();
    let first = read_until(&mut socket, b'C').await;
    let second = read_until(&mut socket, b'C').await;
    let tags: Vec<u8> = first.iter().chain(&second).map(|m| m.0).collect();
    assert_eq!(tags, b"12C12DC", "both ran, the batch still open");
    client
        .batch_execute("update t set a = 2 where a = 1")
        .await
        .unwrap();
    socket.write_all(&sync()).await.unwrap();
    let answers = read_until(&mut socket, b'Z').await;
    let tags: Vec<u8> = answers.iter().map(|m| m.0).collect();
    assert_eq!(tags, b"EZ", "{answers:?}");
    assert_eq!(sqlstate(&answers[0].1), "40001");
    assert_eq!(answers[1].1, b"I");
    assert_eq!(count(&client, "t").await, 1, "the insert was not kept");
}

/// A named portal bound inside a block ends with the block, as in PostgreSQL 15:
/// after ROLLBACK (or COMMIT) executing it answers 34000 `portal "p" does not exist`.
/// Before the fix it still ran after the ROLLBACK.
#[tokio::test]
async fn portals_end_with_their_block() {
    let server = common::TestServer::start();
    let mut socket = raw_session(server.port()).await;
    for end in ["rollback", "commit"] {
        socket.write_all(&query("begin")).await.unwrap();
        read_until(&mut socket, b'Z').await;
        let mut batch = parse_bind("select 1", "p");
        batch.extend(sync());
        socket.write_all(&batch).await.unwrap();
        let tags: Vec<u8> = read_until(&mut socket, b'Z')
            .await
            .iter()
            .map(|m| m.0)
            .collect();
        assert_eq!(tags, b"12Z");
        socket.write_all(&query(end)).await.unwrap();
        read_until(&mut socket, b'Z').await;
        let mut batch = execute("p");
        batch.extend(sync());
        socket.write_all(&batch).await.unwrap();
        let messages = read_until(&mut socket, b'Z').await;
        assert_eq!(messages[0].0, b'E', "after {end}: {messages:?}");
        assert_eq!(sqlstate(&messages[0].1), "34000");
    }
}

/// The tags of the messages that answer `batch`, up to ReadyForQuery.
async fn answer_tags(socket: &mut tokio::net::TcpStream, batch: &[u8]) -> Vec<u8> {
    socket.write_all(batch).await.unwrap();
    read_until(socket, b'Z').await.iter().map(|m| m.0).collect()
}

/// Flush sends everything queued, an ErrorResponse included, as PostgreSQL 15 does
/// (same bytes, same answers): asyncpg sends Parse, Describe, Flush and waits for
/// the answer before it sends Sync. Parse of a statement naming a missing table,
/// Describe and Flush, no Sync: the ErrorResponse (42P01) arrives; it used to be
/// held until Sync, and the client waited forever. (The read is bounded so that a
/// regression fails instead of hanging; the bound is not a timing claim.) Messages
/// after the error are still skipped until Sync: Describe, Flush, Sync answer
/// ReadyForQuery alone. A good statement is answered on Flush alone too.
#[tokio::test]
async fn flush_sends_a_pending_error() {
    let server = common::TestServer::start();
    let mut socket = raw_session(server.port()).await;
    let mut batch = parse("", "select * from missing");
    batch.extend(describe_statement(""));
    batch.extend(flush());
    socket.write_all(&batch).await.unwrap();
    let hang_guard = std::time::Duration::from_secs(60);
    let messages = tokio::time::timeout(hang_guard, read_until(&mut socket, b'E'))
        .await
        .expect("the ErrorResponse is sent on Flush, without a Sync");
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(sqlstate(&messages[0].1), "42P01");
    let mut batch = describe_statement("");
    batch.extend(flush());
    batch.extend(sync());
    assert_eq!(answer_tags(&mut socket, &batch).await, b"Z");
    let mut batch = parse("", "select 1 as a");
    batch.extend(describe_statement(""));
    batch.extend(flush());
    socket.write_all(&batch).await.unwrap();
    let messages = tokio::time::timeout(hang_guard, read_until(&mut socket, b'T'))
        .await
        .expect("the answers are sent on Flush");
    let tags: Vec<u8> = messages.iter().map(|m| m.0).collect();
    assert_eq!(tags, b"1tT");
    assert_eq!(answer_tags(&mut socket, &sync()).await, b"Z");
}

/// SQL's PREPARE/EXECUTE/DEALLOCATE share their names with the protocol's, as in
/// PostgreSQL 15 (same bytes, same answers): a statement PREPAREd in SQL is bound
/// by Bind (its declared int parameter read from text) and executed; one made by
/// Parse runs with SQL's EXECUTE, and PREPARE of its name is 42P05; DEALLOCATE
/// drops it for Describe too (26000).
#[tokio::test]
async fn sql_and_protocol_statements_share_names() {
    let server = common::TestServer::start();
    let mut socket = raw_session(server.port()).await;
    let prepare = query("prepare p (int) as select $1 + 1 as n");
    assert_eq!(answer_tags(&mut socket, &prepare).await, b"CZ");
    // Bind: portal "", statement "p", no parameter formats (text), one parameter
    // "41", no result formats (text).
    let mut batch = message(b'B', b"\0p\0\0\0\0\x01\0\0\0\x0241\0\0");
    batch.extend(execute(""));
    batch.extend(sync());
    socket.write_all(&batch).await.unwrap();
    let messages = read_until(&mut socket, b'Z').await;
    let tags: Vec<u8> = messages.iter().map(|m| m.0).collect();
    assert_eq!(tags, b"2DCZ");
    assert!(messages[1].1.ends_with(b"42"), "{messages:?}");
    let mut batch = parse("q", "select 'x' as v");
    batch.extend(sync());
    assert_eq!(answer_tags(&mut socket, &batch).await, b"1Z");
    assert_eq!(answer_tags(&mut socket, &query("execute q")).await, b"TDCZ");
    socket
        .write_all(&query("prepare q as select 1"))
        .await
        .unwrap();
    let messages = read_until(&mut socket, b'Z').await;
    assert_eq!(sqlstate(&messages[0].1), "42P05");
    assert_eq!(
        answer_tags(&mut socket, &query("deallocate q")).await,
        b"CZ"
    );
    let mut batch = describe_statement("q");
    batch.extend(sync());
    socket.write_all(&batch).await.unwrap();
    let messages = read_until(&mut socket, b'Z').await;
    assert_eq!(sqlstate(&messages[0].1), "26000");
}

/// A statement parsed again from the same text is the one parsed before (see
/// `wire::extended::RecentParses`), under each name it is given: both names run it,
/// closing one leaves the other, a name in use is still 42P05, and inside a
/// transaction block a Parse of the same text works as any.
#[tokio::test]
async fn a_text_parsed_under_two_names_is_two_statements_to_the_client() {
    let server = common::TestServer::start();
    let mut socket = raw_session(server.port()).await;
    let text = "select 'x' as v";
    let mut batch = parse("q", text);
    batch.extend(parse("r", text));
    batch.extend(sync());
    assert_eq!(answer_tags(&mut socket, &batch).await, b"11Z");
    let mut batch = parse("q", text);
    batch.extend(sync());
    socket.write_all(&batch).await.unwrap();
    let messages = read_until(&mut socket, b'Z').await;
    assert_eq!(sqlstate(&messages[0].1), "42P05");
    // Close statement "q"; "r" still runs, and so does "q" parsed again.
    let mut batch = message(b'C', b"Sq\0");
    batch.extend(sync());
    assert_eq!(answer_tags(&mut socket, &batch).await, b"3Z");
    assert_eq!(answer_tags(&mut socket, &query("execute r")).await, b"TDCZ");
    let mut batch = parse("q", text);
    batch.extend(sync());
    assert_eq!(answer_tags(&mut socket, &batch).await, b"1Z");
    assert_eq!(answer_tags(&mut socket, &query("execute q")).await, b"TDCZ");
    assert_eq!(answer_tags(&mut socket, &query("begin")).await, b"CZ");
    let mut batch = run(text);
    batch.extend(sync());
    assert_eq!(answer_tags(&mut socket, &batch).await, b"12DCZ");
    assert_eq!(answer_tags(&mut socket, &query("commit")).await, b"CZ");
}

/// Encoding names are compared as PostgreSQL compares them, case and punctuation
/// ignored: asyncpg's startup packet says `client_encoding='utf-8'`, quotes
/// included, and the session starts with ParameterStatus client_encoding=UTF8 (it
/// used to be refused with FATAL 22023). SET takes the other spellings, SHOW
/// answers UTF8; an encoding Turnstile does not speak is still 22023.
#[tokio::test]
async fn client_encoding_spellings() {
    let server = common::TestServer::start();
    let mut socket = tokio::net::TcpStream::connect(("127.0.0.1", server.port()))
        .await
        .unwrap();
    let startup = common::raw::startup_message_with(&[("client_encoding", "'utf-8'")]);
    socket.write_all(&startup).await.unwrap();
    let messages = read_until(&mut socket, b'Z').await;
    assert!(
        messages
            .iter()
            .any(|(tag, body)| *tag == b'S' && body == b"client_encoding\0UTF8\0"),
        "{messages:?}"
    );
    let client = server.connect().await;
    for set in [
        "set client_encoding = 'utf-8'",
        "set client_encoding to unicode",
        "set client_encoding = 'UTF_8'",
        "set names 'utf8'",
    ] {
        client.batch_execute(set).await.unwrap();
        assert_eq!(show(&client, "client_encoding").await, "UTF8", "{set}");
    }
    for set in [
        "set client_encoding = 'LATIN1'",
        "set client_encoding = 'utf-16'",
    ] {
        let err = client.batch_execute(set).await.expect_err(set);
        assert_eq!(err.code().map(|c| c.code()), Some("22023"), "{set}");
    }
}

/// A parameter nothing gives a type to is text, as PostgreSQL resolves it at Parse:
/// `SELECT $1` describes a text parameter and a text column, and runs (it used to
/// fail every time with 0A000 "cached plan must not change result type").
#[tokio::test]
async fn untyped_parameter_is_text() {
    let server = common::TestServer::start();
    let client = server.connect().await;
    let statement = client.prepare("select $1").await.unwrap();
    assert_eq!(statement.params(), &[tokio_postgres::types::Type::TEXT]);
    assert_eq!(
        statement.columns()[0].type_(),
        &tokio_postgres::types::Type::TEXT
    );
    for value in ["x", "hello"] {
        let row = client.query_one(&statement, &[&value]).await.unwrap();
        assert_eq!(row.get::<_, String>(0), value);
    }
    let row = client
        .query_one("select $1 as a, $2::int + 1 as b", &[&"y", &41i32])
        .await
        .unwrap();
    assert_eq!(
        (row.get::<_, String>(0), row.get::<_, i32>(1)),
        ("y".into(), 42)
    );
}

async fn show(client: &tokio_postgres::Client, name: &str) -> String {
    client
        .query_one(&format!("show {name}"), &[])
        .await
        .unwrap()
        .get(0)
}

/// SET is transactional, as in PostgreSQL 15 (same script, same answers): ROLLBACK
/// and COMMIT of a failed block restore the settings of BEGIN; SET LOCAL ends with
/// its block, and a plain SET after it in the block is what COMMIT keeps; SET LOCAL
/// outside a block changes nothing. Each checked with SHOW.
#[tokio::test]
async fn set_is_transactional() {
    let server = common::TestServer::start();
    let client = server.connect().await;
    let start = show(&client, "statement_timeout").await;
    let script = |body: &str| format!("begin; {body}");
    for (body, after) in [
        ("set statement_timeout = '7s'; rollback", start.as_str()),
        ("set local statement_timeout = '5s'; commit", start.as_str()),
        (
            "set local statement_timeout = '5s'; rollback",
            start.as_str(),
        ),
        (
            "set statement_timeout = '6s'; set local statement_timeout = '3s'; commit",
            "6s",
        ),
        (
            "set local statement_timeout = '3s'; set statement_timeout = '8s'; commit",
            "8s",
        ),
        ("set statement_timeout = '9s'; rollback", "8s"),
    ] {
        client.batch_execute(&script(body)).await.unwrap();
        assert_eq!(
            show(&client, "statement_timeout").await,
            after,
            "after {body}"
        );
    }
    client
        .batch_execute("begin; set statement_timeout = '4s'")
        .await
        .unwrap();
    client
        .batch_execute("select 1/0")
        .await
        .expect_err("fails the block");
    client.batch_execute("commit").await.unwrap();
    assert_eq!(
        show(&client, "statement_timeout").await,
        "8s",
        "failed block"
    );
    client
        .batch_execute("set local statement_timeout = '2s'")
        .await
        .unwrap();
    assert_eq!(
        show(&client, "statement_timeout").await,
        "8s",
        "SET LOCAL outside a block"
    );
    client
        .batch_execute("begin; set local time zone 'Europe/Paris'")
        .await
        .unwrap();
    assert_eq!(show(&client, "timezone").await, "Europe/Paris");
    client.batch_execute("commit").await.unwrap();
    assert_eq!(show(&client, "timezone").await, "UTC");
}

/// Bad text is refused as PostgreSQL 15 refuses it (same bytes, same answers), and
/// the connection goes on: a Query with invalid UTF-8 is 22021 naming the bytes
/// (pgwire's decoder used to replace them with U+FFFD and run the query), and a
/// text parameter holding a NUL is 22021. A Query without its terminator or with a
/// NUL inside is 08P01 as in PostgreSQL (it used to run as empty), but FATAL:
/// pgwire's decoder loses the message boundary after it, so the stream is over.
#[tokio::test]
async fn bad_text_is_refused() {
    let server = common::TestServer::start();
    let mut socket = raw_session(server.port()).await;
    for (body, code, text) in [
        (&b"select '\xff'\0"[..], "22021", "0xff"),
        (b"select '\xe2\x28\xa1'\0", "22021", "0xe2 0x28 0xa1"),
    ] {
        socket.write_all(&message(b'Q', body)).await.unwrap();
        let messages = read_until(&mut socket, b'Z').await;
        let tags: Vec<u8> = messages.iter().map(|m| m.0).collect();
        assert_eq!(tags, b"EZ", "{body:?}");
        assert_eq!(sqlstate(&messages[0].1), code, "{body:?}");
        let message = String::from_utf8_lossy(&messages[0].1).into_owned();
        assert!(message.contains(text), "{message}");
    }
    socket.write_all(&query("select 'ok'")).await.unwrap();
    let tags: Vec<u8> = read_until(&mut socket, b'Z')
        .await
        .iter()
        .map(|m| m.0)
        .collect();
    assert_eq!(tags, b"TDCZ", "the connection goes on");
    for (body, text) in [
        (&b"select 1"[..], "invalid string in message"),
        (b"select 1\0x\0", "invalid message format"),
    ] {
        let mut socket = raw_session(server.port()).await;
        socket.write_all(&message(b'Q', body)).await.unwrap();
        let messages = read_until(&mut socket, b'E').await;
        let error = String::from_utf8_lossy(&messages.last().unwrap().1).into_owned();
        assert!(error.contains("C08P01") && error.contains(text), "{error}");
        assert_eq!(socket.read(&mut [0; 16]).await.unwrap(), 0, "closed");
    }

    let client = server.connect().await;
    let err = client
        .query("select $1::text", &[&"a\0b"])
        .await
        .expect_err("NUL in a text parameter");
    assert_eq!(err.code().unwrap().code(), "22021", "{err}");
}

/// The text check follows every Query and Parse, even one that is skipped after an
/// error (until Sync) or refused during COPY: a skipped Query with bad text used to
/// leave its verdict queued for the next Query, which then failed (or, the other
/// way round, ran its own bad text, storing U+FFFD). A Parse's text is checked as a
/// Query's: invalid UTF-8 is 22021 and nothing is stored. A Parse into the unnamed
/// statement that fails drops the old unnamed statement, as in PostgreSQL, so a
/// later Bind of it is 26000 rather than a run of the statement before.
#[tokio::test]
async fn every_query_and_parse_has_its_own_text_check() {
    let server = common::TestServer::start();
    let mut socket = raw_session(server.port()).await;
    socket
        .write_all(&query("create table texts (id int primary key, t text)"))
        .await
        .unwrap();
    read_until(&mut socket, b'Z').await;

    let tags = |messages: &[(u8, Vec<u8>)]| messages.iter().map(|m| m.0).collect::<Vec<u8>>();
    // An error, then a Query with bad text that is skipped until Sync.
    let mut batch = parse("", "selec");
    batch.extend(message(b'Q', b"select 'a\xff'\0"));
    batch.extend(sync());
    socket.write_all(&batch).await.unwrap();
    let messages = read_until(&mut socket, b'Z').await;
    assert_eq!(tags(&messages), b"EZ");
    assert_eq!(sqlstate(&messages[0].1), "42601");
    socket.write_all(&query("select 'ok'")).await.unwrap();
    assert_eq!(tags(&read_until(&mut socket, b'Z').await), b"TDCZ");
    // The other way round: a sound Query skipped, then one with bad text.
    let mut batch = parse("", "selec");
    batch.extend(query("select 'skipped'"));
    batch.extend(sync());
    socket.write_all(&batch).await.unwrap();
    read_until(&mut socket, b'Z').await;
    socket
        .write_all(&message(b'Q', b"insert into texts values (1, 'a\xffb')\0"))
        .await
        .unwrap();
    let messages = read_until(&mut socket, b'Z').await;
    assert_eq!(sqlstate(&messages[0].1), "22021");

    // A Parse with bad text: 22021, skip to Sync, nothing stored.
    let mut body = b"\0insert into texts values (2, 'a\xffb')\0".to_vec();
    body.extend_from_slice(&[0, 0]);
    let mut batch = message(b'P', &body);
    batch.extend(message(b'B', b"\0\0\0\0\0\0\0\0"));
    batch.extend(execute(""));
    batch.extend(sync());
    socket.write_all(&batch).await.unwrap();
    let messages = read_until(&mut socket, b'Z').await;
    assert_eq!(tags(&messages), b"EZ");
    assert_eq!(sqlstate(&messages[0].1), "22021");
    socket
        .write_all(&query("select count(*) from texts"))
        .await
        .unwrap();
    let messages = read_until(&mut socket, b'Z').await;
    assert_eq!(messages[1].1, b"\0\x01\0\0\0\x010", "no row stored");

    // A failed Parse into the unnamed statement leaves none behind.
    socket
        .write_all(&[parse("", "select 1"), sync()].concat())
        .await
        .unwrap();
    read_until(&mut socket, b'Z').await;
    socket
        .write_all(&[parse("", "selec 2"), sync()].concat())
        .await
        .unwrap();
    read_until(&mut socket, b'Z').await;
    let mut batch = message(b'B', b"\0\0\0\0\0\0\0\0");
    batch.extend(execute(""));
    batch.extend(sync());
    socket.write_all(&batch).await.unwrap();
    let messages = read_until(&mut socket, b'Z').await;
    assert_eq!(tags(&messages), b"EZ");
    assert_eq!(sqlstate(&messages[0].1), "26000");
}

/// `SHOW statement_timeout` over a raw socket.
async fn raw_statement_timeout(socket: &mut tokio::net::TcpStream) -> String {
    socket
        .write_all(&query("show statement_timeout"))
        .await
        .unwrap();
    let messages = read_until(socket, b'Z').await;
    let row = messages.iter().find(|m| m.0 == b'D').expect("a row");
    // A DataRow of one column: the column count (2 bytes), its length (4), its text.
    String::from_utf8_lossy(&row.1[6..]).into_owned()
}

/// An extended-protocol batch that changes settings is one implicit transaction,
/// as in PostgreSQL: an error before its Sync undoes its SET, a batch without one
/// keeps it, and a SET LOCAL lasts until the Sync (a SHOW in the batch sees it).
#[tokio::test]
async fn a_failed_extended_batch_undoes_its_set() {
    let server = common::TestServer::start();
    let mut socket = raw_session(server.port()).await;
    let batch = [
        run("set statement_timeout = '5s'"),
        run("select 1/0"),
        sync(),
    ]
    .concat();
    socket.write_all(&batch).await.unwrap();
    let messages = read_until(&mut socket, b'Z').await;
    assert!(messages
        .iter()
        .any(|m| m.0 == b'E' && sqlstate(&m.1) == "22012"));
    assert_eq!(
        raw_statement_timeout(&mut socket).await,
        "0",
        "the failed batch's SET is undone"
    );

    let batch = [run("set statement_timeout = '6s'"), run("select 1"), sync()].concat();
    socket.write_all(&batch).await.unwrap();
    read_until(&mut socket, b'Z').await;
    assert_eq!(
        raw_statement_timeout(&mut socket).await,
        "6s",
        "a batch without an error keeps it"
    );

    let batch = [
        run("set local statement_timeout = '7s'"),
        run("show statement_timeout"),
        sync(),
    ]
    .concat();
    socket.write_all(&batch).await.unwrap();
    let messages = read_until(&mut socket, b'Z').await;
    let row = messages.iter().find(|m| m.0 == b'D').expect("SHOW's row");
    assert_eq!(&row.1[6..], b"7s", "SET LOCAL lasts until the Sync");
    assert_eq!(raw_statement_timeout(&mut socket).await, "6s");
}

/// `client_min_messages` decides which notices reach the client, as in
/// PostgreSQL: at `notice` both NOTICEs (DROP … IF EXISTS of nothing) and WARNINGs
/// (COMMIT outside a block), at `warning` the WARNINGs only, at `error` neither.
#[tokio::test]
async fn client_min_messages_filters_notices() {
    let server = common::TestServer::start();
    let mut socket = raw_session(server.port()).await;
    for (level, expected) in [
        ("notice", vec!["NOTICE", "WARNING"]),
        ("warning", vec!["WARNING"]),
        ("error", vec![]),
        ("debug1", vec!["NOTICE", "WARNING"]),
    ] {
        socket
            .write_all(&query(&format!(
                "set client_min_messages = {level}; drop table if exists missing; commit"
            )))
            .await
            .unwrap();
        let severities: Vec<String> = read_until(&mut socket, b'Z')
            .await
            .into_iter()
            .filter(|(tag, _)| *tag == b'N')
            .map(|(_, body)| {
                body.split(|b| *b == 0)
                    .find_map(|f| f.strip_prefix(b"V"))
                    .map(|v| String::from_utf8_lossy(v).into_owned())
                    .unwrap_or_default()
            })
            .collect();
        assert_eq!(severities, expected, "client_min_messages = {level}");
    }
}

/// A raw binary value for a parameter of type `ty`, to send out-of-range encodings.
#[derive(Debug)]
struct RawBinary(Vec<u8>);

impl tokio_postgres::types::ToSql for RawBinary {
    fn to_sql(
        &self,
        _: &tokio_postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        out.extend_from_slice(&self.0);
        Ok(tokio_postgres::types::IsNull::No)
    }
    fn accepts(ty: &tokio_postgres::types::Type) -> bool {
        matches!(
            *ty,
            tokio_postgres::types::Type::TIMESTAMP | tokio_postgres::types::Type::DATE
        )
    }
    tokio_postgres::types::to_sql_checked!();
}

/// Binary timestamps and dates are range-checked as PostgreSQL's `timestamp_recv`
/// and `date_recv` check them: out of range is 22008, the infinities and the range's
/// ends are accepted (they used to be stored as they came).
#[tokio::test]
async fn binary_datetimes_are_range_checked() {
    use tokio_postgres::types::Type;
    let server = common::TestServer::start();
    let client = server.connect().await;
    let ts = client
        .prepare_typed("select $1::text", &[Type::TIMESTAMP])
        .await
        .unwrap();
    let date = client
        .prepare_typed("select $1::text", &[Type::DATE])
        .await
        .unwrap();
    for (statement, bytes, expected) in [
        (&ts, (i64::MAX - 1).to_be_bytes().to_vec(), Err("22008")),
        (&ts, (i64::MIN + 1).to_be_bytes().to_vec(), Err("22008")),
        (&ts, i64::MAX.to_be_bytes().to_vec(), Ok("infinity")),
        (&ts, 0i64.to_be_bytes().to_vec(), Ok("2000-01-01 00:00:00")),
        (&date, (i32::MAX - 1).to_be_bytes().to_vec(), Err("22008")),
        (&date, i32::MIN.to_be_bytes().to_vec(), Ok("-infinity")),
        (&date, 1i32.to_be_bytes().to_vec(), Ok("2000-01-02")),
    ] {
        let result = client.query_one(statement, &[&RawBinary(bytes)]).await;
        match expected {
            Ok(text) => assert_eq!(result.unwrap().get::<_, String>(0), text),
            Err(code) => assert_eq!(result.unwrap_err().code().unwrap().code(), code),
        }
    }
}

/// A session left idle past `idle_in_transaction_session_timeout` (inside a
/// block, failed or not) or `idle_session_timeout` (outside one) is ended with
/// FATAL 25P03 or 57P05, as in PostgreSQL: the abandoned block's writes are
/// gone and the server goes on. Each case waits for the server to end the
/// connection, not for a time; where both timeouts are set, the shorter one
/// would end the session first if it applied.
#[tokio::test]
async fn idle_sessions_past_their_timeout_are_ended() {
    let server = common::TestServer::start_with_args(&["--no-modules"]);
    let client = server.connect().await;
    client
        .batch_execute("create table t (a int primary key)")
        .await
        .unwrap();
    for (setup, code) in [
        (
            "set idle_in_transaction_session_timeout = 20; begin; insert into t values (1)",
            "25P03",
        ),
        (
            "set idle_session_timeout = 10; set idle_in_transaction_session_timeout = 40; \
             begin; insert into t values (2)",
            "25P03",
        ),
        (
            "set idle_in_transaction_session_timeout = '20ms'; begin; select 1/0",
            "25P03",
        ),
        (
            "set idle_in_transaction_session_timeout = 10; set idle_session_timeout = 40",
            "57P05",
        ),
    ] {
        let (idle, connection) = tokio_postgres::connect(&server.psql_url(), tokio_postgres::NoTls)
            .await
            .unwrap();
        let ended = tokio::spawn(connection);
        let _ = idle.batch_execute(setup).await;
        // A guard, not a measurement: without the timeouts this would hang.
        let err = tokio::time::timeout(std::time::Duration::from_secs(60), ended)
            .await
            .expect("the server ends the idle session")
            .unwrap()
            .expect_err("the server ends the idle session with an error");
        assert_eq!(err.code().map(|c| c.code()), Some(code), "{setup}: {err}");
        assert!(idle.is_closed(), "{setup}");
    }
    assert_eq!(count(&client, "t").await, 0, "no abandoned block committed");
    assert!(server.log().contains("closing an idle session"));
}

/// DROP … CASCADE says what it dropped along, as PostgreSQL does: one object
/// in the NOTICE's message, several counted there and listed in its DETAIL.
#[tokio::test]
async fn drop_cascade_notices_name_what_went() {
    let server = common::TestServer::start_with_args(&["--no-modules"]);
    let mut socket = raw_session(server.port()).await;
    // The message and DETAIL of each NoticeResponse (or, for `b'E'`,
    // ErrorResponse).
    let of_kind = |kind: u8, messages: Vec<(u8, Vec<u8>)>| -> Vec<(String, String)> {
        messages
            .into_iter()
            .filter(|(tag, _)| *tag == kind)
            .map(|(_, body)| {
                let field = |code: u8| {
                    body.split(|b| *b == 0)
                        .find_map(|f| f.strip_prefix(&[code][..]))
                        .map(|v| String::from_utf8_lossy(v).into_owned())
                        .unwrap_or_default()
                };
                (field(b'M'), field(b'D'))
            })
            .collect()
    };
    let notices = |messages| of_kind(b'N', messages);
    socket
        .write_all(&query(
            "create table p (id int primary key); create view v as select id from p; \
             create table c (pid int references p); drop table p cascade",
        ))
        .await
        .unwrap();
    assert_eq!(
        notices(read_until(&mut socket, b'Z').await),
        [(
            "drop cascades to 2 other objects".to_owned(),
            "drop cascades to constraint c_pid_fkey on table c\ndrop cascades to view v".to_owned()
        )]
    );
    socket
        .write_all(&query(
            "create view cv as select pid from c; drop table c cascade",
        ))
        .await
        .unwrap();
    assert_eq!(
        notices(read_until(&mut socket, b'Z').await),
        [("drop cascades to view cv".to_owned(), String::new())]
    );
    // Without CASCADE, the refusal's DETAIL names what depends on the
    // sequence the table owns.
    socket
        .write_all(&query(
            "create table s (id serial); \
             create table u (a int default nextval('s_id_seq')); drop table s",
        ))
        .await
        .unwrap();
    assert_eq!(
        of_kind(b'E', read_until(&mut socket, b'Z').await),
        [(
            "cannot drop table s because other objects depend on it".to_owned(),
            "default value for column a of table u depends on sequence s_id_seq".to_owned()
        )]
    );
    // One refusal names everything that depends on what goes: views, the
    // defaults that call its sequences, the foreign keys that reference it.
    // (The string before was one transaction, which its error rolled back.)
    socket
        .write_all(&query(
            "create table s (id serial primary key); \
             create table u (a int default nextval('s_id_seq')); \
             create view sv as select id from s; \
             create table r (sid int references s); drop table s",
        ))
        .await
        .unwrap();
    assert_eq!(
        of_kind(b'E', read_until(&mut socket, b'Z').await),
        [(
            "cannot drop table s because other objects depend on it".to_owned(),
            "view sv depends on table s\n\
             default value for column a of table u depends on sequence s_id_seq\n\
             constraint r_sid_fkey on table r depends on table s"
                .to_owned()
        )]
    );
}

/// DROP of an object of another kind is 42809 with PostgreSQL's message and a
/// HINT naming the DROP that would do, and changes nothing.
#[tokio::test]
async fn drop_of_the_wrong_kind_says_which_drop_would_do() {
    let server = common::TestServer::start_with_args(&["--no-modules"]);
    let client = server.connect().await;
    client
        .batch_execute("CREATE TABLE wt (a int); CREATE VIEW wv AS SELECT 1 AS x")
        .await
        .unwrap();
    for (statement, message, hint) in [
        (
            "DROP TABLE wv",
            "\"wv\" is not a table",
            "Use DROP VIEW to remove a view.",
        ),
        (
            "DROP VIEW wt",
            "\"wt\" is not a view",
            "Use DROP TABLE to remove a table.",
        ),
        (
            "DROP INDEX wt",
            "\"wt\" is not an index",
            "Use DROP TABLE to remove a table.",
        ),
        (
            "DROP SEQUENCE IF EXISTS wt",
            "\"wt\" is not a sequence",
            "Use DROP TABLE to remove a table.",
        ),
    ] {
        let err = client.batch_execute(statement).await.unwrap_err();
        let db_error = err.as_db_error().expect("a server error");
        assert_eq!(db_error.code().code(), "42809", "{statement}");
        assert_eq!(db_error.message(), message, "{statement}");
        assert_eq!(db_error.hint(), Some(hint), "{statement}");
    }
    let left = client
        .query_one(
            "SELECT count(*) FROM pg_class WHERE relname IN ('wt', 'wv')",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(left.get::<_, i64>(0), 2);
}

/// Turnstile's one role is the user a session connects as: `CREATE ROLE` of
/// it answers 42710 (it exists), of another 0A000; `ALTER ROLE` of it with
/// the attributes it has (what pg_dumpall writes) is a no-op, with others
/// 0A000, and of another role 42704.
#[tokio::test]
async fn the_one_role_is_the_session_user() {
    let server = common::TestServer::start_with_args(&["--no-modules"]);
    let client = server.connect().await;
    for (statement, code) in [
        ("CREATE ROLE turnstile", "42710"),
        ("CREATE ROLE alice LOGIN", "0A000"),
        ("ALTER ROLE turnstile WITH NOLOGIN", "0A000"),
        ("ALTER ROLE alice WITH LOGIN", "42704"),
    ] {
        let err = client.batch_execute(statement).await.unwrap_err();
        let db_error = err.as_db_error().expect("a server error");
        assert_eq!(db_error.code().code(), code, "{statement}: {db_error:?}");
    }
    client
        .batch_execute(
            "ALTER ROLE turnstile WITH SUPERUSER INHERIT CREATEROLE CREATEDB LOGIN REPLICATION BYPASSRLS",
        )
        .await
        .unwrap();
    let roles = client
        .query("SELECT rolname FROM pg_authid WHERE rolcanlogin", &[])
        .await
        .unwrap();
    let names: Vec<String> = roles.iter().map(|r| r.get(0)).collect();
    assert_eq!(names, ["turnstile"]);
}

/// `pg_locks`' advisory rows: (pid, objid, mode, granted), by lock and pid.
async fn advisory_locks(client: &tokio_postgres::Client) -> Vec<(i32, String, String, bool)> {
    client
        .query(
            "select pid, objid::text, mode, granted from pg_locks \
             where locktype = 'advisory' order by objid, pid",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2), row.get(3)))
        .collect()
}

/// Returns once `pg_locks` shows the session `pid` waiting for an advisory lock.
async fn until_waiting(watcher: &tokio_postgres::Client, pid: i32) {
    while !advisory_locks(watcher)
        .await
        .iter()
        .any(|(waiter, _, _, granted)| *waiter == pid && !granted)
    {
        tokio::task::yield_now().await;
    }
}

/// The SQLSTATE and DETAIL of a statement's error.
fn state_and_detail<T: std::fmt::Debug>(
    result: Result<T, tokio_postgres::Error>,
) -> (String, String) {
    let error = result.expect_err("the statement fails");
    let db_error = error.as_db_error().expect("a server error");
    (
        db_error.code().code().to_owned(),
        db_error.detail().unwrap_or_default().to_owned(),
    )
}

/// A session waiting for another's advisory lock holds no lock on the
/// database: others read and write meanwhile; pg_locks and pg_stat_activity
/// show the wait; the unlock lets it go on, and its statement, which gave back
/// the lock it had taken before it had to wait, holds each of its locks once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_advisory_lock_wait_holds_no_database_lock_and_ends_at_the_unlock() {
    let server = common::TestServer::start_with_args(&["--no-modules"]);
    let holder = server.connect().await;
    let waiter = server.connect().await;
    let other = server.connect().await;
    let (holder_pid, waiter_pid) = (
        common::backend_pid(&holder).await,
        common::backend_pid(&waiter).await,
    );
    holder
        .batch_execute("select pg_advisory_lock(42)")
        .await
        .unwrap();
    let waiting = tokio::spawn(async move {
        let row = waiter
            .query_one(
                "select pg_advisory_lock(7), pg_advisory_lock(42), 'got it'::text",
                &[],
            )
            .await?;
        Ok::<_, tokio_postgres::Error>((waiter, row.get::<_, String>(2)))
    });
    until_waiting(&other, waiter_pid).await;
    other
        .batch_execute("create table t (a int primary key); insert into t values (1)")
        .await
        .unwrap();
    assert_eq!(count(&other, "t").await, 1);
    let activity = other
        .query_one(
            "select state, wait_event_type, wait_event from pg_stat_activity where pid = $1",
            &[&waiter_pid],
        )
        .await
        .unwrap();
    assert_eq!(
        (activity.get(0), activity.get(1), activity.get(2)),
        ("active", "Lock", "advisory")
    );
    let exclusive = || "ExclusiveLock".to_owned();
    assert_eq!(
        advisory_locks(&other).await,
        vec![
            (holder_pid, "42".into(), exclusive(), true),
            (waiter_pid, "42".into(), exclusive(), false),
        ]
    );
    holder
        .batch_execute("select pg_advisory_unlock(42)")
        .await
        .unwrap();
    let (waiter, answer) = waiting.await.unwrap().unwrap();
    assert_eq!(answer, "got it");
    let unlocked = waiter
        .query_one(
            "select pg_advisory_unlock(7), pg_advisory_unlock(7), \
             pg_advisory_unlock(42), pg_advisory_unlock(42)",
            &[],
        )
        .await
        .unwrap();
    let unlocked: Vec<bool> = (0..4).map(|i| unlocked.get(i)).collect();
    assert_eq!(unlocked, [true, false, true, false]);
    assert_eq!(advisory_locks(&other).await, vec![]);
}

/// A wait for an advisory lock ends with 40P01 for the session that would
/// close a cycle of waits (the other gets its lock once that one lets go),
/// 55P03 at lock_timeout, 57014 at statement_timeout or a cancel request; the
/// session goes on after each. A transaction-level lock taken in a block lasts
/// until the block ends, and a session's locks end with its connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn advisory_lock_waits_end_in_deadlock_timeouts_and_cancels() {
    let server = common::TestServer::start_with_args(&["--no-modules"]);
    let a = server.connect().await;
    let b = server.connect().await;
    let watcher = server.connect().await;
    let (a_pid, b_pid) = (common::backend_pid(&a).await, common::backend_pid(&b).await);
    a.batch_execute("select pg_advisory_lock(1)").await.unwrap();
    b.batch_execute("select pg_advisory_lock(2)").await.unwrap();
    let a_waits = tokio::spawn(async move {
        a.batch_execute("select pg_advisory_lock(2)").await?;
        Ok::<_, tokio_postgres::Error>(a)
    });
    until_waiting(&watcher, a_pid).await;
    let (state, detail) = state_and_detail(b.query("select pg_advisory_lock(1)", &[]).await);
    assert_eq!(state, "40P01");
    assert!(
        detail.starts_with(&format!(
            "Process {b_pid} waits for ExclusiveLock on advisory lock [5,0,1,1]; \
             blocked by process {a_pid}."
        )),
        "{detail}"
    );
    b.batch_execute("select pg_advisory_unlock(2)")
        .await
        .unwrap();
    let a = a_waits.await.unwrap().unwrap();
    let deadlocks: i64 = watcher
        .query_one("select deadlocks from pg_stat_database", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(deadlocks, 1);

    for (setting, expected) in [
        ("lock_timeout = '20ms'", "55P03"),
        ("statement_timeout = '20ms'", "57014"),
    ] {
        b.batch_execute(&format!("set {setting}")).await.unwrap();
        let (state, _) = state_and_detail(b.query("select pg_advisory_lock_shared(2)", &[]).await);
        assert_eq!(state, expected, "{setting}");
        b.batch_execute("reset all").await.unwrap();
    }
    let cancel = b.cancel_token();
    let b_waits = tokio::spawn(async move {
        let result = b.query("select pg_advisory_xact_lock(1)", &[]).await;
        (b, result)
    });
    until_waiting(&watcher, b_pid).await;
    common::cancel_until_finished(&cancel, &b_waits).await;
    let (b, result) = b_waits.await.unwrap();
    assert_eq!(state_and_detail(result).0, "57014");
    assert_eq!(advisory_locks(&watcher).await.len(), 2, "a holds 1 and 2");

    // A block's transaction-level lock is held until the block ends.
    a.batch_execute("select pg_advisory_unlock_all()")
        .await
        .unwrap();
    let try_lock = "select pg_try_advisory_lock(3)";
    b.batch_execute("begin; select pg_advisory_xact_lock(3)")
        .await
        .unwrap();
    assert!(!a.query_one(try_lock, &[]).await.unwrap().get::<_, bool>(0));
    b.batch_execute("commit").await.unwrap();
    assert!(a.query_one(try_lock, &[]).await.unwrap().get::<_, bool>(0));

    // A data-modifying statement in a block, which COMMIT runs again, may
    // not take advisory locks.
    b.batch_execute("create table t (a int primary key); begin")
        .await
        .unwrap();
    let (state, _) = state_and_detail(
        b.query("insert into t select 1 where pg_try_advisory_lock(4)", &[])
            .await,
    );
    assert_eq!(state, "0A000");
    b.batch_execute("rollback").await.unwrap();

    // The session's locks end with its connection.
    drop(a);
    while !b.query_one(try_lock, &[]).await.unwrap().get::<_, bool>(0) {
        tokio::task::yield_now().await;
    }
}

/// pg_advisory_unlock of a lock the session does not hold, and a
/// pg_cancel_backend or pg_terminate_backend of a pid no session has, answer
/// false with PostgreSQL's warning.
#[tokio::test]
async fn calls_that_change_nothing_warn() {
    let server = common::TestServer::start_with_args(&["--no-modules"]);
    let mut socket = raw_session(server.port()).await;
    for (sql, warning) in [
        (
            "select pg_advisory_unlock_shared(1)",
            "Myou don't own a lock of type ShareLock",
        ),
        (
            "select pg_cancel_backend(12345)",
            "MPID 12345 is not a PostgreSQL backend process",
        ),
        (
            "select pg_terminate_backend(12345)",
            "MPID 12345 is not a PostgreSQL backend process",
        ),
    ] {
        socket.write_all(&query(sql)).await.unwrap();
        let messages = read_until(&mut socket, b'Z').await;
        let notice = messages
            .iter()
            .find(|(tag, _)| *tag == b'N')
            .map(|(_, body)| String::from_utf8_lossy(body).into_owned())
            .expect("a warning");
        assert!(notice.contains("VWARNING"), "{notice}");
        assert!(notice.contains("C01000"), "{notice}");
        assert!(notice.contains(warning), "{sql}: {notice}");
        let row = messages
            .iter()
            .find(|(tag, _)| *tag == b'D')
            .expect("a row");
        assert!(row.1.ends_with(b"f"), "false: {:?}", row.1);
    }
}

/// A statement that warns and then fails sends its warning before its error,
/// as PostgreSQL sends a warning as it happens: over the simple protocol, in a
/// string of several statements, and over the extended protocol.
#[tokio::test]
async fn a_failed_statement_still_sends_its_warnings_first() {
    let server = common::TestServer::start_with_args(&["--no-modules"]);
    let mut socket = raw_session(server.port()).await;
    let failing = "select pg_advisory_unlock(5), 1 / (random() * 0)::int";
    let mut extended = run(failing);
    extended.extend(sync());
    for request in [
        query(failing),
        query(&format!("select 1; {failing}; select 2")),
        extended,
    ] {
        socket.write_all(&request).await.unwrap();
        let kinds: Vec<u8> = read_until(&mut socket, b'Z')
            .await
            .into_iter()
            .map(|(tag, _)| tag)
            .filter(|tag| matches!(tag, b'N' | b'E'))
            .collect();
        assert_eq!(kinds, b"NE", "{request:?}");
    }
    // Taken once: the next error comes alone.
    socket
        .write_all(&query("select 1 / (random() * 0)::int"))
        .await
        .unwrap();
    let messages = read_until(&mut socket, b'Z').await;
    assert!(!messages.iter().any(|(tag, _)| *tag == b'N'));
    assert!(messages.iter().any(|(tag, _)| *tag == b'E'));
}

/// A set_config of application_name in a string with a write, which runs as
/// one transaction, is reported when the string ends: a ParameterStatus before
/// ReadyForQuery, and pg_stat_activity shows the new name at once.
#[tokio::test]
async fn a_setting_changed_in_a_write_string_is_reported_with_it() {
    let server = common::TestServer::start_with_args(&["--no-modules"]);
    let watcher = server.connect().await;
    watcher
        .batch_execute("create table named (a int)")
        .await
        .unwrap();
    let mut socket = raw_session(server.port()).await;
    socket
        .write_all(&query(
            "insert into named values (1); select set_config('application_name', 'renamed', false)",
        ))
        .await
        .unwrap();
    let messages = read_until(&mut socket, b'Z').await;
    let reported = messages
        .iter()
        .filter(|(tag, _)| *tag == b'S')
        .any(|(_, body)| body.as_slice() == b"application_name\0renamed\0");
    assert!(reported, "{messages:?}");
    let names = watcher
        .query(
            "select application_name from pg_stat_activity where application_name = 'renamed'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(names.len(), 1);
}

/// The (channel, payload) of each notification queued for a client now.
fn notifications_now(
    queue: &mut tokio::sync::mpsc::UnboundedReceiver<tokio_postgres::Notification>,
) -> Vec<(String, String)> {
    std::iter::from_fn(|| queue.try_recv().ok())
        .map(|n| (n.channel().to_owned(), n.payload().to_owned()))
        .collect()
}

/// NOTIFY and pg_notify reach every session listening on the channel when
/// the sender's transaction commits, each identical one once, in order, with
/// the sender's pid; a rolled-back block, a savepoint rolled back to and a
/// failed query string send nothing. A listener inside a block gets them when
/// its block ends, before the ReadyForQuery that ends it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_reach_listeners_when_the_sender_commits() {
    let server = common::TestServer::start_with_args(&["--no-modules"]);
    let (listener, mut queue) = server.connect_listening().await;
    let (other_listener, mut other_queue) = server.connect_listening().await;
    let sender = server.connect().await;
    let sender_pid = common::backend_pid(&sender).await;
    listener
        .batch_execute("listen jobs; listen \"Other\"")
        .await
        .unwrap();
    other_listener.batch_execute("listen jobs").await.unwrap();
    sender
        .batch_execute(
            "notify jobs, 'one';
             begin;
             notify jobs, 'two';
             notify jobs, 'two';
             select pg_notify('Other', 'three');
             savepoint s;
             notify jobs, 'taken back';
             rollback to s;
             commit;
             begin;
             notify jobs, 'rolled back';
             rollback",
        )
        .await
        .unwrap();
    let failed = sender
        .batch_execute("notify jobs, 'in a failed string'; select 1/0")
        .await;
    assert_eq!(state_and_detail(failed).0, "22012");
    // The last one: once it arrives, every one before it has.
    sender.batch_execute("notify jobs, 'end'").await.unwrap();
    let mut received = Vec::new();
    while received
        .last()
        .map(|(_, payload): &(String, String)| payload.as_str())
        != Some("end")
    {
        let notification = queue.recv().await.expect("the connection is open");
        assert_eq!(notification.process_id(), sender_pid);
        received.push((
            notification.channel().to_owned(),
            notification.payload().to_owned(),
        ));
    }
    let pair = |channel: &str, payload: &str| (channel.to_owned(), payload.to_owned());
    assert_eq!(
        received,
        [
            pair("jobs", "one"),
            pair("jobs", "two"),
            pair("Other", "three"),
            pair("jobs", "end"),
        ]
    );

    // A listener in a block: held back until the block ends. (What came
    // before is taken first: once the block begins, it would be held back too.)
    while other_queue.recv().await.map(|n| n.payload().to_owned()) != Some("end".into()) {}
    other_listener.batch_execute("begin").await.unwrap();
    sender.batch_execute("notify jobs, 'later'").await.unwrap();
    other_listener.batch_execute("select 1").await.unwrap();
    assert_eq!(notifications_now(&mut other_queue), vec![]);
    other_listener.batch_execute("commit").await.unwrap();
    assert_eq!(
        notifications_now(&mut other_queue),
        vec![pair("jobs", "later")]
    );

    // A session's own notification reaches it before its ReadyForQuery.
    listener
        .batch_execute("unlisten \"Other\"; select pg_notify('Other', 'unheard')")
        .await
        .unwrap();
    listener.batch_execute("notify jobs, 'self'").await.unwrap();
    let mine = notifications_now(&mut queue);
    assert_eq!(mine.last(), Some(&pair("jobs", "self")));
    assert!(!mine.contains(&pair("Other", "unheard")), "{mine:?}");
}

/// A query string calling pg_advisory_xact_lock is one transaction, as in
/// PostgreSQL: the lock is held to the string's end, not its statement's.
#[tokio::test]
async fn a_transaction_lock_lasts_to_the_end_of_its_query_string() {
    let server = common::TestServer::start_with_args(&["--no-modules"]);
    let client = server.connect().await;
    let rows = client
        .simple_query(
            "select pg_advisory_xact_lock(9); \
             select count(*) from pg_locks where locktype = 'advisory'",
        )
        .await
        .unwrap();
    let counted: Vec<&str> = rows
        .iter()
        .filter_map(|message| match message {
            tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0),
            _ => None,
        })
        .collect();
    assert_eq!(counted, ["", "1"]);
    assert_eq!(advisory_locks(&client).await, vec![]);
}
