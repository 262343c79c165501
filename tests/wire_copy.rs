//! COPY FROM STDIN / TO STDOUT through real clients: tokio-postgres (extended
//! protocol) in text, CSV and binary, psql's `\copy` (simple protocol), errors
//! that name their line and leave the connection usable, and the NOTICE and
//! WARNING messages statements raise.

mod common;

use bytes::Bytes;
use futures::{SinkExt, StreamExt, TryStreamExt};
use tokio::sync::mpsc;
use tokio_postgres::binary_copy::{BinaryCopyInWriter, BinaryCopyOutStream};
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{AsyncMessage, Client, NoTls};

use common::pg_tools;

/// Sends `data` with `COPY … FROM STDIN` (`sql`) in chunks of `chunk` bytes;
/// returns the row count, or the error.
async fn copy_in(
    client: &Client,
    sql: &str,
    data: &[u8],
    chunk: usize,
) -> Result<u64, tokio_postgres::Error> {
    let sink = client.copy_in(sql).await?;
    futures::pin_mut!(sink);
    for part in data.chunks(chunk) {
        sink.send(Bytes::copy_from_slice(part)).await?;
    }
    sink.finish().await
}

/// The bytes `COPY … TO STDOUT` (`sql`) sends.
async fn copy_out(client: &Client, sql: &str) -> Vec<u8> {
    let stream = client.copy_out(sql).await.expect("copy out");
    let chunks: Vec<Bytes> = stream.try_collect().await.expect("copy data");
    chunks.concat()
}

/// The SQLSTATE, message and CONTEXT line of a database error.
fn db_error(e: &tokio_postgres::Error) -> (String, String, String) {
    let db = e
        .as_db_error()
        .unwrap_or_else(|| panic!("not a database error: {e}"));
    (
        db.code().code().to_owned(),
        db.message().to_owned(),
        db.where_().unwrap_or("").to_owned(),
    )
}

/// Text and CSV round trips with tokio-postgres: escapes, NULLs, quotes, a value
/// split across CopyData messages, a column list, the header; what comes back out
/// is byte for byte what PostgreSQL 15 sends for the same rows.
#[tokio::test]
async fn copy_round_trips_in_text_and_csv() {
    let server = common::TestServer::start_with_args(&["--no-modules"]);
    let client = server.connect().await;
    client
        .batch_execute("create table t (a int primary key, b text, c char(4), d numeric)")
        .await
        .unwrap();
    let text = b"1\tplain\tx\t1.5\n2\ttab\\there\\\\\t\\N\t\\N\n3\t\\N\tabcd\t-2\n";
    assert_eq!(
        copy_in(&client, "copy t from stdin", text, 7)
            .await
            .unwrap(),
        3
    );
    let csv = b"a,b,c\n4,\"say \"\"hi\"\", ok\",,0\n5,\"\",\"z  \",\n";
    let n = copy_in(
        &client,
        "copy t from stdin with (format csv, header)",
        csv,
        1000,
    );
    assert_eq!(n.await.unwrap(), 2);
    let n = copy_in(&client, "copy t (b, a) from stdin", b"only b\t6\n", 1000);
    assert_eq!(n.await.unwrap(), 1);

    let out = copy_out(&client, "copy t to stdout").await;
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "1\tplain\tx   \t1.5\n\
         2\ttab\\there\\\\\t\\N\t\\N\n\
         3\t\\N\tabcd\t-2\n\
         4\tsay \"hi\", ok\t\\N\t0\n\
         5\t\tz   \t\\N\n\
         6\tonly b\t\\N\t\\N\n"
    );
    let out = copy_out(
        &client,
        "copy (select a, b from t where a >= 4 order by a) to stdout with csv header",
    )
    .await;
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "a,b\n4,\"say \"\"hi\"\", ok\"\n5,\"\"\n6,only b\n"
    );
    // Floats follow extra_float_digits, as every text the client receives does.
    client
        .batch_execute("set extra_float_digits = 0")
        .await
        .unwrap();
    let out = copy_out(
        &client,
        "copy (select 1/3::float8, 0.1::float8 + 0.2::float8) to stdout",
    )
    .await;
    assert_eq!(String::from_utf8(out).unwrap(), "0.333333333333333\t0.3\n");
    client
        .batch_execute("reset extra_float_digits")
        .await
        .unwrap();
    let row = client
        .query_one("select b, c, length(c) from t where a = 2", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, &str>(0), "tab\there\\");
    assert_eq!(row.get::<_, Option<&str>>(1), None);
    // A column named twice is 42701 out as in: PostgreSQL refuses the list.
    let err = client
        .copy_out("copy t (a, A) to stdout")
        .await
        .err()
        .expect("a repeated column is refused");
    assert_eq!(err.code().map(|c| c.code()), Some("42701"), "{err}");
}

/// A bad value, a wrong field count and a duplicate key each answer PostgreSQL's
/// SQLSTATE with a CONTEXT naming the line (and column), load nothing (not even
/// the good lines before), and the same connection goes on working — the rest of
/// the data was read and dropped.
#[tokio::test]
async fn copy_errors_name_the_line_and_load_nothing() {
    let server = common::TestServer::start_with_args(&["--no-modules"]);
    let client = server.connect().await;
    client
        .batch_execute("create table t (a int primary key, b text not null)")
        .await
        .unwrap();
    let bad_value = b"1\tx\n2\ty\nthree\tz\n4\tw\n";
    let e = copy_in(&client, "copy t from stdin", bad_value, 5)
        .await
        .unwrap_err();
    assert_eq!(
        db_error(&e),
        (
            "22P02".into(),
            "invalid input syntax for type integer: \"three\"".into(),
            "COPY t, line 3, column a: \"three\"".into()
        )
    );
    let e = copy_in(&client, "copy t from stdin", b"1\tx\n2\n", 100)
        .await
        .unwrap_err();
    assert_eq!(
        db_error(&e),
        (
            "22P04".into(),
            "missing data for column \"b\"".into(),
            "COPY t, line 2: \"2\"".into()
        )
    );
    let e = copy_in(&client, "copy t from stdin", b"1\tx\n1\ty\n", 100)
        .await
        .unwrap_err();
    let (code, _, context) = db_error(&e);
    assert_eq!(
        (code.as_str(), context.as_str()),
        ("23505", "COPY t, line 2")
    );
    let e = copy_in(&client, "copy t from stdin", b"1\t\\N\n", 100)
        .await
        .unwrap_err();
    assert_eq!(db_error(&e).0, "23502");
    // An unknown table is answered before copy mode starts (simple protocol here:
    // tokio-postgres's copy_in sends a Sync after a failed start that would answer
    // a second ReadyForQuery, from PostgreSQL too).
    let e = client
        .batch_execute("copy nosuch from stdin")
        .await
        .unwrap_err();
    assert_eq!(db_error(&e).0, "42P01");
    let count: i64 = client
        .query_one("select count(*) from t", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 0);
    assert_eq!(
        copy_in(&client, "copy t from stdin", b"1\tx\n", 100)
            .await
            .unwrap(),
        1
    );
}

/// Binary COPY with tokio-postgres's binary copy writer and reader (what pgx's
/// CopyFrom and Npgsql's binary import send): every type and NULL go in and come
/// back out as the same values, and what COPY TO sends is byte for byte what
/// PostgreSQL 15 sends for the same rows.
#[tokio::test]
async fn copy_round_trips_in_binary() {
    let server = common::TestServer::start_with_args(&["--no-modules"]);
    let client = server.connect().await;
    client
        .batch_execute(
            "create table t (a int8 primary key, b text, c varchar(5), d float8, \
             e bool, f bytea, g timestamptz, h uuid, i jsonb, j int4[])",
        )
        .await
        .unwrap();
    let types = [
        Type::INT8,
        Type::TEXT,
        Type::VARCHAR,
        Type::FLOAT8,
        Type::BOOL,
        Type::BYTEA,
        Type::TIMESTAMPTZ,
        Type::UUID,
        Type::JSONB,
        Type::INT4_ARRAY,
    ];
    let when = chrono::DateTime::parse_from_rfc3339("2026-12-02T10:30:00.123456Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let id = uuid::Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
    let json = serde_json::json!({"k": [1, "two", null]});
    let array = vec![Some(1i32), None, Some(-3)];
    let sink = client
        .copy_in("copy t from stdin (format binary)")
        .await
        .unwrap();
    let writer = BinaryCopyInWriter::new(sink, &types);
    futures::pin_mut!(writer);
    let full: [&(dyn ToSql + Sync); 10] = [
        &1i64,
        &"héllo\ttab",
        &"five!",
        &-2.5f64,
        &true,
        &vec![0u8, 255, 10],
        &when,
        &id,
        &json,
        &array,
    ];
    writer.as_mut().write(&full).await.unwrap();
    let nulls: [&(dyn ToSql + Sync); 10] = [
        &2i64,
        &None::<&str>,
        &None::<&str>,
        &None::<f64>,
        &None::<bool>,
        &None::<Vec<u8>>,
        &None::<chrono::DateTime<chrono::Utc>>,
        &None::<uuid::Uuid>,
        &None::<serde_json::Value>,
        &None::<Vec<i32>>,
    ];
    writer.as_mut().write(&nulls).await.unwrap();
    assert_eq!(writer.finish().await.unwrap(), 2);

    let row = client
        .query_one("select b, c, d, e, f, g, h, i, j from t where a = 1", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, &str>(0), "héllo\ttab");
    assert_eq!(row.get::<_, &str>(1), "five!");
    assert_eq!(row.get::<_, f64>(2), -2.5);
    assert!(row.get::<_, bool>(3));
    assert_eq!(row.get::<_, Vec<u8>>(4), vec![0, 255, 10]);
    assert_eq!(row.get::<_, chrono::DateTime<chrono::Utc>>(5), when);
    assert_eq!(row.get::<_, uuid::Uuid>(6), id);
    assert_eq!(row.get::<_, serde_json::Value>(7), json);
    assert_eq!(row.get::<_, Vec<Option<i32>>>(8), array);

    let stream = client
        .copy_out("copy t to stdout with binary")
        .await
        .unwrap();
    let rows: Vec<_> = BinaryCopyOutStream::new(stream, &types)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].get::<i64>(0), 1);
    assert_eq!(rows[0].get::<&str>(1), "héllo\ttab");
    assert_eq!(rows[0].get::<chrono::DateTime<chrono::Utc>>(6), when);
    assert_eq!(rows[0].get::<serde_json::Value>(8), json);
    assert_eq!(rows[0].get::<Vec<Option<i32>>>(9), array);
    assert_eq!(rows[1].get::<i64>(0), 2);
    assert_eq!(rows[1].get::<Option<&str>>(1), None);
    assert_eq!(rows[1].get::<Option<Vec<Option<i32>>>>(9), None);

    // PostgreSQL 15's bytes for these rows (`COPY b TO STDOUT (FORMAT binary)`).
    client
        .batch_execute(
            "create table b (id int primary key, name varchar(3), n numeric(5,2), \
             j jsonb, t text not null); \
             insert into b values (1, 'abc', 1.5, '{\"a\":1}', 'hi'), \
             (2, null, null, null, 'yo')",
        )
        .await
        .unwrap();
    let postgres = "5047434f50590aff0d0a00 00000000 00000000 \
        0005 00000004 00000001 00000003 616263 0000000c 0002 0000 0000 0002 0001 1388 \
        00000009 01 7b2261223a20317d 00000002 6869 \
        0005 00000004 00000002 ffffffff ffffffff ffffffff 00000002 796f \
        ffff";
    let out = copy_out(&client, "copy b to stdout (format binary)").await;
    assert_eq!(hex(&out), postgres.replace(' ', ""));
    // And those bytes load back as the same rows.
    client.batch_execute("truncate b").await.unwrap();
    assert_eq!(
        copy_in(&client, "copy b from stdin binary", &out, 10)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        copy_out(&client, "copy b to stdout (format binary)").await,
        out
    );
}

/// Binary COPY data that is not what the table needs: PostgreSQL's SQLSTATEs and
/// contexts, nothing loaded, and the connection goes on.
#[tokio::test]
async fn binary_copy_errors_load_nothing() {
    let server = common::TestServer::start_with_args(&["--no-modules"]);
    let client = server.connect().await;
    client
        .batch_execute("create table t (a int primary key, b text not null)")
        .await
        .unwrap();
    let header = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0".to_vec();
    let tuple = |a: i32, b: &[u8]| {
        let mut t = 2i16.to_be_bytes().to_vec();
        t.extend_from_slice(&4i32.to_be_bytes());
        t.extend_from_slice(&a.to_be_bytes());
        t.extend_from_slice(&(b.len() as i32).to_be_bytes());
        t.extend_from_slice(b);
        t
    };
    let duplicate = [header.clone(), tuple(1, b"x"), tuple(1, b"y")].concat();
    let e = copy_in(&client, "copy t from stdin (format binary)", &duplicate, 3)
        .await
        .unwrap_err();
    let (code, _, context) = db_error(&e);
    assert_eq!(
        (code.as_str(), context.as_str()),
        ("23505", "COPY t, line 2")
    );
    let e = copy_in(&client, "copy t from stdin (format binary)", b"1\tx\n", 100)
        .await
        .unwrap_err();
    assert_eq!(
        db_error(&e),
        (
            "22P04".into(),
            "COPY file signature not recognized".into(),
            "".into()
        )
    );
    let cut = [header.clone(), tuple(1, b"x"), tuple(2, b"y")[..9].to_vec()].concat();
    let e = copy_in(&client, "copy t from stdin (format binary)", &cut, 100)
        .await
        .unwrap_err();
    assert_eq!(
        db_error(&e),
        (
            "22P04".into(),
            "unexpected EOF in COPY data".into(),
            "COPY t, line 2, column a".into()
        )
    );
    let e = client
        .batch_execute("copy t from stdin (format binary, null 'x')")
        .await
        .unwrap_err();
    assert_eq!(db_error(&e).0, "42601");
    let count: i64 = client
        .query_one("select count(*) from t", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 0);
    let good = [header, tuple(1, b"x"), (-1i16).to_be_bytes().to_vec()].concat();
    assert_eq!(
        copy_in(&client, "copy t from stdin (format binary)", &good, 100)
            .await
            .unwrap(),
        1
    );
}

/// Lower-case hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// 100,000 rows go in as one COPY (one transaction), all of them, and survive a
/// restart from the log.
#[tokio::test]
async fn copy_loads_100k_rows_in_one_transaction() {
    let dir = common::DataDir::new();
    let mut server = common::TestServer::start_in(&dir, &["--no-modules"]);
    let client = server.connect().await;
    client
        .batch_execute("create table big (id bigint primary key, n int, filler char(20))")
        .await
        .unwrap();
    let mut data = Vec::new();
    for i in 0..100_000 {
        data.extend_from_slice(format!("{i}\t{}\t\n", i % 7).as_bytes());
    }
    let n = copy_in(&client, "copy big from stdin", &data, 64 * 1024);
    assert_eq!(n.await.unwrap(), 100_000);
    drop(client);
    server.stop();
    let server = common::TestServer::start_in(&dir, &["--no-modules"]);
    let client = server.connect().await;
    let row = client
        .query_one("select count(*), sum(n)::bigint from big", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 100_000);
    assert_eq!(
        row.get::<_, i64>(1),
        (0..100_000i64).map(|i| i % 7).sum::<i64>()
    );
}

/// psql's `\copy` to a file and back (the simple protocol, with psql's own
/// end-of-data handling), in CSV with a header and in binary.
#[test]
fn psql_copy_round_trip() {
    if !pg_tools::have("psql") {
        return;
    }
    let server = common::TestServer::start_with_args(&["--no-modules"]);
    let dir = std::env::temp_dir().join(format!("turnstile-copy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("rows.csv");
    let script = format!(
        "create table src (id int, name text, note varchar(10));\n\
         insert into src values (1, 'alice', 'a,b'), (2, 'bob \"b\"', null), (3, '', 'x');\n\
         \\copy src to '{f}' with (format csv, header)\n\
         create table dst (id int, name text, note varchar(10));\n\
         \\copy dst from '{f}' with (format csv, header)\n\
         select * from dst order by id;\n\
         \\copy src to '{b}' with (format binary)\n\
         truncate dst;\n\
         \\copy dst from '{b}' with binary\n\
         select * from dst order by id;\n",
        f = file.display(),
        b = dir.join("rows.bin").display()
    );
    let (ok, out, err) = pg_tools::psql(
        &server,
        &["-v", "ON_ERROR_STOP=1", "-A", "-t", "-q"],
        Some(&script),
    );
    let written = std::fs::read_to_string(&file).unwrap_or_default();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(ok, "psql failed: {err}\n{}", server.log());
    assert_eq!(
        written,
        "id,name,note\n1,alice,\"a,b\"\n2,\"bob \"\"b\"\"\",\n3,\"\",x\n"
    );
    let rows = "1|alice|a,b\n2|bob \"b\"|\n3||x\n";
    assert_eq!(out, format!("{rows}{rows}"), "CSV, then binary");
}

/// Connects and forwards every NoticeResponse (NOTICE or WARNING) to a channel.
async fn connect_with_notices(
    server: &common::TestServer,
) -> (Client, mpsc::UnboundedReceiver<(String, String, String)>) {
    let (client, mut connection) = tokio_postgres::connect(&server.psql_url(), NoTls)
        .await
        .expect("connect");
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(Ok(message)) = messages.next().await {
            if let AsyncMessage::Notice(n) = message {
                let notice = (
                    n.severity().to_owned(),
                    n.code().code().to_owned(),
                    n.message().to_owned(),
                );
                let _ = tx.send(notice);
            }
        }
    });
    (client, rx)
}

/// Notices as (severity, SQLSTATE, message).
type Notices = &'static [(&'static str, &'static str, &'static str)];

/// The notices PostgreSQL sends reach the client, with its severity, SQLSTATE and
/// text: IF [NOT] EXISTS that finds nothing to do, transaction commands where they
/// change nothing; and only those (a plain statement raises none).
#[tokio::test]
async fn notices_and_warnings_reach_the_client() {
    let server = common::TestServer::start_with_args(&["--no-modules"]);
    let (client, mut notices) = connect_with_notices(&server).await;
    let steps: [(&str, Notices); 9] = [
        ("create table t (a int)", &[]),
        (
            "create table if not exists t (a int)",
            &[("NOTICE", "42P07", "relation \"t\" already exists, skipping")],
        ),
        (
            "drop table if exists t, nosuch",
            &[(
                "NOTICE",
                "00000",
                "table \"nosuch\" does not exist, skipping",
            )],
        ),
        (
            "drop index if exists nosuch",
            &[(
                "NOTICE",
                "00000",
                "index \"nosuch\" does not exist, skipping",
            )],
        ),
        (
            "commit",
            &[("WARNING", "25P01", "there is no transaction in progress")],
        ),
        (
            "set local statement_timeout = 5",
            &[(
                "WARNING",
                "25P01",
                "SET LOCAL can only be used in transaction blocks",
            )],
        ),
        (
            "set constraints all deferred",
            &[(
                "WARNING",
                "25P01",
                "SET CONSTRAINTS can only be used in transaction blocks",
            )],
        ),
        ("begin", &[]),
        (
            "begin",
            &[(
                "WARNING",
                "25001",
                "there is already a transaction in progress",
            )],
        ),
    ];
    for (sql, expected) in steps {
        client.batch_execute(sql).await.unwrap();
        // A query after the statement: its answer comes after every notice the
        // statement raised, so they are all in the channel by then.
        client.batch_execute("select 1").await.unwrap();
        let mut got = Vec::new();
        while let Ok(n) = notices.try_recv() {
            got.push(n);
        }
        let expected: Vec<(String, String, String)> = expected
            .iter()
            .map(|(s, c, m)| (s.to_string(), c.to_string(), m.to_string()))
            .collect();
        assert_eq!(got, expected, "{sql}");
    }
    client.batch_execute("rollback").await.unwrap();
    client
        .execute("drop table if exists gone", &[])
        .await
        .unwrap();
    client.batch_execute("select 1").await.unwrap();
    let n = notices
        .try_recv()
        .expect("a notice in the extended protocol");
    assert_eq!(n.2, "table \"gone\" does not exist, skipping");
}
