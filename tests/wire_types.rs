//! Every type through both formats: tokio-postgres sends parameters and reads results
//! in binary; `simple_query` reads the text format. The real binary on a free port.

mod common;

use std::error::Error as StdError;
use std::str::FromStr;

use bytes::BytesMut;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use tokio_postgres::types::{to_sql_checked, FromSql, IsNull, ToSql, Type};
use tokio_postgres::SimpleQueryMessage;
use turnstile::types::binary::{receive_numeric, send_numeric};

/// NUMERIC in binary through Turnstile's own codec (tokio-postgres has no numeric type).
#[derive(Debug, PartialEq)]
struct Numeric(Decimal);

impl ToSql for Numeric {
    fn to_sql(
        &self,
        _: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        send_numeric(self.0, out);
        Ok(IsNull::No)
    }
    fn accepts(ty: &Type) -> bool {
        *ty == Type::NUMERIC
    }
    to_sql_checked!();
}

impl<'a> FromSql<'a> for Numeric {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn StdError + Sync + Send>> {
        receive_numeric(raw)
            .map(Numeric)
            .map_err(|e| e.to_string().into())
    }
    fn accepts(ty: &Type) -> bool {
        *ty == Type::NUMERIC
    }
}

/// Sends `value` as a binary parameter cast to `ty` and reads it back in binary.
async fn echo<T>(client: &tokio_postgres::Client, ty: &str, value: T) -> T
where
    T: ToSql + Sync + for<'a> FromSql<'a>,
{
    let row = client
        .query_one(&format!("select $1::{ty}"), &[&value])
        .await
        .unwrap_or_else(|e| panic!("{ty}: {e}"));
    row.get(0)
}

/// Binary parameters and results round-trip for every type, with edge values and NULL.
#[tokio::test]
async fn binary_round_trip_every_type() {
    let server = common::TestServer::start();
    let c = server.connect().await;
    for v in [true, false] {
        assert_eq!(echo(&c, "boolean", v).await, v);
    }
    for v in [i16::MIN, 0, i16::MAX] {
        assert_eq!(echo(&c, "smallint", v).await, v);
    }
    for v in [i32::MIN, -1, i32::MAX] {
        assert_eq!(echo(&c, "integer", v).await, v);
    }
    for v in [i64::MIN, 0, i64::MAX] {
        assert_eq!(echo(&c, "bigint", v).await, v);
    }
    for v in [1.5f32, f32::INFINITY, f32::NEG_INFINITY] {
        assert_eq!(echo(&c, "real", v).await, v);
    }
    assert!(echo(&c, "real", f32::NAN).await.is_nan());
    for v in [0.1f64, -1e300, f64::INFINITY, f64::NEG_INFINITY] {
        assert_eq!(echo(&c, "double precision", v).await, v);
    }
    assert!(echo(&c, "double precision", f64::NAN).await.is_nan());
    for v in ["", "unicode ✓ ünï", "quote ' and \\ backslash"] {
        assert_eq!(echo(&c, "text", v.to_owned()).await, v);
        assert_eq!(echo(&c, "varchar", v.to_owned()).await, v);
    }
    for v in [vec![], vec![0u8, 1, 0, 255]] {
        assert_eq!(echo(&c, "bytea", v.clone()).await, v);
    }
    for text in [
        "0",
        "-12345.678",
        "0.0001",
        "1.50",
        "79228162514264337593543950335",
    ] {
        let v = Numeric(Decimal::from_str(text).unwrap());
        assert_eq!(echo(&c, "numeric", v).await.0.to_string(), text);
    }
    let ts = NaiveDateTime::parse_from_str("1999-12-31 23:59:59.123456", "%Y-%m-%d %H:%M:%S%.f")
        .unwrap();
    assert_eq!(echo(&c, "timestamp", ts).await, ts);
    let tstz: DateTime<Utc> = DateTime::from_str("2024-02-29T12:34:56.5Z").unwrap();
    assert_eq!(echo(&c, "timestamptz", tstz).await, tstz);
    for d in ["2000-01-01", "1970-01-01", "2099-12-31"] {
        let d = NaiveDate::from_str(d).unwrap();
        assert_eq!(echo(&c, "date", d).await, d);
    }
    let uuid = uuid::Uuid::parse_str("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11").unwrap();
    assert_eq!(echo(&c, "uuid", uuid).await, uuid);
    let json = serde_json::json!({"a": [1, 2.5, null, "x"], "b": {"c": true}});
    assert_eq!(echo(&c, "jsonb", json.clone()).await, json);
    assert_eq!(echo(&c, "json", json.clone()).await, json);
    assert_eq!(echo::<Option<i32>>(&c, "integer", None).await, None);
    assert_eq!(echo::<Option<String>>(&c, "text", None).await, None);
    // Arrays, in PostgreSQL's binary array layout both ways.
    let ints = vec![Some(1), None, Some(i32::MIN)];
    assert_eq!(echo(&c, "integer[]", ints.clone()).await, ints);
    let bigints: Vec<i64> = vec![];
    assert_eq!(echo(&c, "bigint[]", bigints.clone()).await, bigints);
    let texts = vec!["a".to_owned(), "".to_owned(), "ü,{}\"".to_owned()];
    assert_eq!(echo(&c, "text[]", texts.clone()).await, texts);
    let row = c
        .query_one("SELECT ARRAY[1.5::float8, 2.5::float8]", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, Vec<f64>>(0), vec![1.5, 2.5]);
}

/// Text results print as PostgreSQL prints them, NULL included, and timestamptz
/// follows the session's TimeZone.
#[tokio::test]
async fn text_format_matches_postgres() {
    let server = common::TestServer::start();
    let c = server.connect().await;
    let sql = "select true, 32767::smallint, '-9223372036854775808'::bigint, 1.5::real, 'NaN'::float8, \
               '-Infinity'::float8, 12.340::numeric, ''::text, 'ü'::varchar(3), '\\x00ff'::bytea, \
               '2024-01-31 12:34:56.5'::timestamp, '2024-06-01 12:00:00+00'::timestamptz, '2024-01-31'::date, \
               'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'::uuid, '{\"b\": 1, \"a\": [true]}'::jsonb, null";
    let expected = [
        Some("t"),
        Some("32767"),
        Some("-9223372036854775808"),
        Some("1.5"),
        Some("NaN"),
        Some("-Infinity"),
        Some("12.340"),
        Some(""),
        Some("ü"),
        Some("\\x00ff"),
        Some("2024-01-31 12:34:56.5"),
        Some("2024-06-01 12:00:00+00"),
        Some("2024-01-31"),
        Some("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
        Some("{\"a\": [true], \"b\": 1}"),
        None,
    ];
    let messages = c.simple_query(sql).await.unwrap();
    let SimpleQueryMessage::Row(row) = &messages[1] else {
        panic!("expected a row: {messages:?}")
    };
    let got: Vec<Option<&str>> = (0..row.len()).map(|i| row.get(i)).collect();
    assert_eq!(got, expected);
    c.batch_execute("set timezone = 'America/New_York'")
        .await
        .unwrap();
    let messages = c
        .simple_query("select '2024-01-15 12:00:00+00'::timestamptz")
        .await
        .unwrap();
    let SimpleQueryMessage::Row(row) = &messages[1] else {
        panic!("expected a row")
    };
    assert_eq!(row.get(0), Some("2024-01-15 07:00:00-05"));
}

/// A table of every type, written with binary parameters and read back in binary.
#[tokio::test]
async fn table_round_trip_with_parameters() {
    let server = common::TestServer::start();
    let c = server.connect().await;
    c.batch_execute(
        "create table every (id bigint primary key, b boolean, i2 smallint, f8 double precision, n numeric, \
         t text, v varchar(5), by bytea, ts timestamp, tz timestamptz, d date, u uuid, j jsonb)",
    )
    .await
    .unwrap();
    let ts = NaiveDateTime::parse_from_str("2020-05-05 05:05:05", "%Y-%m-%d %H:%M:%S").unwrap();
    let tz: DateTime<Utc> = DateTime::from_str("2020-05-05T05:05:05Z").unwrap();
    let d = NaiveDate::from_str("2020-05-05").unwrap();
    let u = uuid::Uuid::nil();
    let j = serde_json::json!([1, "two"]);
    let n = Numeric(Decimal::from_str("3.14").unwrap());
    let insert =
        "insert into every values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
    c.execute(
        insert,
        &[
            &1i64,
            &true,
            &7i16,
            &2.5f64,
            &n,
            &"txt",
            &"abc",
            &vec![0u8, 0],
            &ts,
            &tz,
            &d,
            &u,
            &j,
        ],
    )
    .await
    .unwrap();
    c.execute(
        insert,
        &[
            &2i64,
            &None::<bool>,
            &None::<i16>,
            &None::<f64>,
            &None::<Numeric>,
            &None::<String>,
            &None::<String>,
            &None::<Vec<u8>>,
            &None::<NaiveDateTime>,
            &None::<DateTime<Utc>>,
            &None::<NaiveDate>,
            &None::<uuid::Uuid>,
            &None::<serde_json::Value>,
        ],
    )
    .await
    .unwrap();
    let row = c
        .query_one("select * from every where id = $1", &[&1i64])
        .await
        .unwrap();
    assert!(row.get::<_, bool>(1));
    assert_eq!(row.get::<_, i16>(2), 7);
    assert_eq!(row.get::<_, Numeric>(4), n);
    assert_eq!(row.get::<_, String>(6), "abc");
    assert_eq!(row.get::<_, Vec<u8>>(7), vec![0, 0]);
    assert_eq!(
        (
            row.get::<_, NaiveDateTime>(8),
            row.get::<_, DateTime<Utc>>(9),
            row.get::<_, NaiveDate>(10)
        ),
        (ts, tz, d)
    );
    assert_eq!(
        (
            row.get::<_, uuid::Uuid>(11),
            row.get::<_, serde_json::Value>(12)
        ),
        (u, j)
    );
    let row = c
        .query_one("select * from every where id = 2", &[])
        .await
        .unwrap();
    assert!((1..13).all(|i| row
        .try_get::<_, Option<String>>(i)
        .map_or(true, |v| v.is_none())));
    assert_eq!(row.get::<_, Option<i16>>(2), None);
}

/// Array columns take and return arrays in binary (tokio-postgres's `Vec<T>`,
/// with NULL elements as `Option`s), and a parameter's array type is inferred
/// from the column it is stored into or compared with.
#[tokio::test]
async fn array_columns_round_trip_in_binary() {
    let server = common::TestServer::start();
    let c = server.connect().await;
    c.batch_execute(
        "create table arrays (id int primary key, tags text[], scores int8[], days date[], \
         ids uuid[], amounts numeric[])",
    )
    .await
    .unwrap();
    let tags = vec![Some("a b".to_string()), None, Some(String::new())];
    let scores = vec![i64::MIN, 0, i64::MAX];
    let days = vec![NaiveDate::from_str("2024-02-29").unwrap()];
    let ids = vec![uuid::Uuid::nil()];
    let amounts = vec![Numeric(Decimal::from_str("-1.50").unwrap())];
    c.execute(
        "insert into arrays values ($1, $2, $3, $4, $5, $6)",
        &[&1i32, &tags, &scores, &days, &ids, &amounts],
    )
    .await
    .unwrap();
    c.execute(
        "insert into arrays (id, tags, scores) values ($1, $2, $3)",
        &[&2i32, &Vec::<String>::new(), &None::<Vec<i64>>],
    )
    .await
    .unwrap();
    let row = c
        .query_one("select * from arrays where scores = $1", &[&scores])
        .await
        .unwrap();
    assert_eq!(row.get::<_, Vec<Option<String>>>(1), tags);
    assert_eq!(row.get::<_, Vec<i64>>(2), scores);
    assert_eq!(row.get::<_, Vec<NaiveDate>>(3), days);
    assert_eq!(row.get::<_, Vec<uuid::Uuid>>(4), ids);
    assert_eq!(row.get::<_, Vec<Numeric>>(5), amounts);
    let row = c
        .query_one("select tags, scores, days from arrays where id = 2", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, Vec<String>>(0), Vec::<String>::new());
    assert_eq!(row.get::<_, Option<Vec<i64>>>(1), None);
    assert_eq!(row.get::<_, Option<Vec<NaiveDate>>>(2), None);
}

/// Window functions' values travel in binary as the types they are declared:
/// `ntile` an int4, the ranks int8, `cume_dist` a float8, `lag` its value's type
/// with a parameter for the offset.
#[tokio::test]
async fn window_function_results_in_binary() {
    let server = common::TestServer::start();
    let c = server.connect().await;
    c.batch_execute(
        "create table w (id int primary key, v int2); \
         insert into w values (1, 10), (2, 20), (3, 30)",
    )
    .await
    .unwrap();
    let rows = c
        .query(
            "select ntile(2) over (order by id), rank() over (order by id), \
             cume_dist() over (order by id), lag(v, $1) over (order by id) from w order by id",
            &[&2i32],
        )
        .await
        .unwrap();
    let got: Vec<(i32, i64, f64, Option<i16>)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, 1, 1.0 / 3.0, None),
            (1, 2, 2.0 / 3.0, None),
            (2, 3, 1.0, Some(10))
        ]
    );
}

/// NUMERIC(p, s) applies to binary parameters as to literals: a parameter stored into
/// a `numeric(5,2)` column or cast with `$1::numeric(5,2)` is rounded to the scale,
/// and one whose integer part does not fit is 22003 with PostgreSQL's detail.
#[tokio::test]
async fn numeric_typmod_applies_to_parameters() {
    let server = common::TestServer::start();
    let c = server.connect().await;
    c.batch_execute("create table money (id int primary key, amount numeric(5,2))")
        .await
        .unwrap();
    let dec = |s: &str| Numeric(Decimal::from_str(s).unwrap());
    c.execute("insert into money values ($1, $2)", &[&1i32, &dec("1.005")])
        .await
        .unwrap();
    let row = c
        .query_one("select amount, $1::numeric(5,2) from money", &[&dec("4.5")])
        .await
        .unwrap();
    assert_eq!(row.get::<_, Numeric>(0).0.to_string(), "1.01");
    assert_eq!(row.get::<_, Numeric>(1).0.to_string(), "4.50");
    let err = c
        .execute("insert into money values ($1, $2)", &[&2i32, &dec("1000")])
        .await
        .unwrap_err();
    let db = err.as_db_error().expect("a server error");
    assert_eq!(db.code().code(), "22003");
    assert_eq!(db.message(), "numeric field overflow");
    assert_eq!(
        db.detail(),
        Some("A field with precision 5, scale 2 must round to an absolute value less than 10^3.")
    );
}

/// A `regclass` value read in binary, which only NULL can be: the server
/// refuses a name in binary (below).
struct RegClassInBinary;

impl<'a> FromSql<'a> for RegClassInBinary {
    fn from_sql(_: &Type, _: &'a [u8]) -> Result<Self, Box<dyn StdError + Sync + Send>> {
        Err("a regclass value came in binary".into())
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::REGCLASS
    }
}

/// A query's `regclass` column prints as a name, which the executor looks up in
/// the catalog: asked for in binary (an OID), a name is refused with 0A000 that
/// says what works instead, and the connection goes on. What holds no name is
/// sent: no rows, NULL, and a `RETURNING` column, which keeps its OID.
#[tokio::test]
async fn regclass_in_binary_is_refused_with_what_works_instead() {
    let server = common::TestServer::start();
    let c = server.connect().await;
    let err = c
        .query("select 'pg_class'::regclass as rel, 1 as one", &[])
        .await
        .unwrap_err();
    let db = err.as_db_error().expect("a server error");
    assert_eq!(db.code().code(), "0A000");
    assert_eq!(
        db.message(),
        "binary output of regclass names is not supported; cast the column to oid \
         or text, or ask for it in text format"
    );
    let oid: u32 = c
        .query_one("select oid from pg_class where relname = 'pg_class'", &[])
        .await
        .unwrap()
        .get(0);
    let row = c
        .query_one(
            "select 'pg_class'::regclass::oid, 'pg_class'::regclass::text",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, u32>(0), oid);
    assert_eq!(row.get::<_, String>(1), "pg_class");
    let none = c
        .query("select 'pg_class'::regclass where false", &[])
        .await
        .unwrap();
    assert!(none.is_empty());
    let null = c.query_one("select null::regclass", &[]).await.unwrap();
    assert!(null.get::<_, Option<RegClassInBinary>>(0).is_none());
    c.batch_execute("create table rel_log (id int primary key)")
        .await
        .unwrap();
    // RETURNING prints a regclass as its name too, so it is refused in binary
    // as a query's is, and gives the name in text.
    let err = c
        .query_one(
            "insert into rel_log values (1) returning 'pg_class'::regclass",
            &[],
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.as_db_error().expect("a server error").code().code(),
        "0A000"
    );
    // Refused before it ran: the row is not there.
    let inserted = c.query("select id from rel_log", &[]).await.unwrap();
    assert!(inserted.is_empty());
    let returned = c
        .simple_query("insert into rel_log values (2) returning 'pg_class'::regclass")
        .await
        .unwrap();
    match &returned[1] {
        SimpleQueryMessage::Row(row) => assert_eq!(row.get(0), Some("pg_class")),
        other => panic!("expected a row, got {other:?}"),
    }
    let text = c.simple_query("select 'pg_class'::regclass").await.unwrap();
    match &text[1] {
        SimpleQueryMessage::Row(row) => assert_eq!(row.get(0), Some("pg_class")),
        other => panic!("expected a row, got {other:?}"),
    }
}
