//! The driver scenario (compat/drivers/README.md) with tokio-postgres: typed
//! parameters (binary), results in binary (`query`) and in text (`simple_query`)
//! compared byte for byte, a statement prepared once and executed 200 times,
//! transactions (`transaction()`, and `build_transaction()` with SERIALIZABLE, which
//! sends START TRANSACTION) and a serialization failure retried. Run by
//! tests/compat_drivers.rs.

use crate::compat_common::{
    compare_rows, create_table_sql, ensure, expect_eq, expect_sqlstate, insert_sql, select_all_sql,
    Fail, Steps, JSON, TEXT,
};
use bytes::BytesMut;
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use tokio_postgres::types::{to_sql_checked, FromSql, IsNull, ToSql, Type};
use tokio_postgres::{Client, GenericClient, IsolationLevel, NoTls, SimpleQueryMessage};

const T: &str = "compat_tokio_postgres";
const ACCT_A: i64 = 3001;
const ACCT_B: i64 = 3002;

type BoxError = Box<dyn std::error::Error + Sync + Send>;

/// A parameter given as its binary encoding (tokio-postgres has no type for numeric
/// without a decimal crate feature).
#[derive(Debug)]
struct RawParam(Vec<u8>);

impl ToSql for RawParam {
    fn to_sql(&self, _: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        out.extend_from_slice(&self.0);
        Ok(IsNull::No)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// A result value as the bytes the server sent.
struct RawValue(Vec<u8>);

impl<'a> FromSql<'a> for RawValue {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<RawValue, BoxError> {
        Ok(RawValue(raw.to_vec()))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

async fn connect(url: &str) -> Result<Client, Fail> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

async fn answers(c: &Client) -> Result<(), Fail> {
    expect_eq(
        c.query_one("SELECT 1", &[]).await?.get::<_, i32>(0),
        1,
        "SELECT 1",
    )
}

fn ts(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").unwrap()
}

fn tstz(text: &str) -> DateTime<chrono::FixedOffset> {
    DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%:z").unwrap()
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// The rows as typed parameters.
fn params() -> Vec<Vec<Box<dyn ToSql + Sync + Send>>> {
    let numeric = |text: &str| RawParam(crate::compat_common::numeric(text).unwrap().binary);
    let uuid = |text: &str| uuid::Uuid::parse_str(text).unwrap();
    let json = |text: &str| serde_json::from_str::<serde_json::Value>(text).unwrap();
    vec![
        vec![
            Box::new(1i32),
            Box::new(None::<bool>),
            Box::new(None::<i16>),
            Box::new(None::<i32>),
            Box::new(None::<i64>),
            Box::new(None::<f32>),
            Box::new(None::<f64>),
            Box::new(None::<RawParam>),
            Box::new(None::<String>),
            Box::new(None::<String>),
            Box::new(None::<Vec<u8>>),
            Box::new(None::<NaiveDateTime>),
            Box::new(None::<DateTime<chrono::FixedOffset>>),
            Box::new(None::<NaiveDate>),
            Box::new(None::<uuid::Uuid>),
            Box::new(None::<serde_json::Value>),
        ],
        vec![
            Box::new(2i32),
            Box::new(true),
            Box::new(i16::MIN),
            Box::new(i32::MIN),
            Box::new(i64::MIN),
            Box::new(-1.5f32),
            Box::new(-2.2250738585072014e-308f64),
            Box::new(numeric("-12345678901234567890.12345678")),
            Box::new(TEXT.to_string()),
            Box::new("ünïcødé 🎉".to_string()),
            Box::new(vec![0u8, 1, 2, 0, 255, 0]),
            Box::new(ts("2024-02-29 23:59:59.123456")),
            Box::new(tstz("2024-06-30 12:34:56.789+05:30")),
            Box::new(day("2000-02-29")),
            Box::new(uuid("00000000-0000-0000-0000-000000000000")),
            Box::new(json(JSON)),
        ],
        vec![
            Box::new(3i32),
            Box::new(false),
            Box::new(i16::MAX),
            Box::new(i32::MAX),
            Box::new(i64::MAX),
            Box::new(f32::MAX),
            Box::new(f64::MAX),
            Box::new(numeric("0.0000000000000000000000000001")),
            Box::new(String::new()),
            Box::new("abcdefghijklmnopqrs🐘".to_string()),
            Box::new((0..=255).collect::<Vec<u8>>()),
            Box::new(ts("1970-01-01 00:00:00")),
            Box::new(tstz("1999-12-31 23:59:59.999999-08:00")),
            Box::new(day("9999-12-31")),
            Box::new(uuid("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")),
            Box::new(json("[]")),
        ],
    ]
}

/// The single row of `sql`, its columns read as bigint (NULL as -1).
async fn count(c: &impl GenericClient, sql: &str) -> Result<Vec<i64>, Fail> {
    let row = c.query_one(sql, &[]).await?;
    Ok((0..row.len())
        .map(|i| row.get::<_, Option<i64>>(i).unwrap_or(-1))
        .collect())
}

/// Reads row 30 and writes it back plus one in one serializable transaction; with
/// `interfere`, that connection does the same in between.
async fn increment(
    c: &mut Client,
    interfere: Option<&mut Client>,
) -> Result<(), tokio_postgres::Error> {
    let tx = c
        .build_transaction()
        .isolation_level(IsolationLevel::Serializable)
        .start()
        .await?;
    let value: i64 = tx
        .query_one(&format!("SELECT c_int8 FROM {T} WHERE id = 30"), &[])
        .await?
        .get(0);
    if let Some(other) = interfere {
        Box::pin(increment(other, None)).await?;
    }
    tx.execute(
        &format!("UPDATE {T} SET c_int8 = $1 WHERE id = 30"),
        &[&(value + 1)],
    )
    .await?;
    tx.commit().await
}

pub async fn run(url: &str) {
    let mut steps = Steps::new("tokio-postgres");
    let mut clients = Vec::new();
    let connected = steps
        .run("connect", async {
            clients.push(connect(url).await?);
            clients.push(connect(url).await?);
            answers(&clients[0]).await
        })
        .await;
    if !connected {
        return steps.finish();
    }
    let mut other = clients.pop().unwrap();
    let mut conn = clients.pop().unwrap();

    steps
        .run("create_table", async {
            conn.batch_execute(&format!("DROP TABLE IF EXISTS {T}"))
                .await?;
            conn.batch_execute(&create_table_sql(T)).await?;
            Ok(())
        })
        .await;

    steps
        .run("insert_params", async {
            for row in params() {
                let refs: Vec<&(dyn ToSql + Sync)> = row
                    .iter()
                    .map(|p| p.as_ref() as &(dyn ToSql + Sync))
                    .collect();
                expect_eq(
                    conn.execute(&insert_sql(T), &refs).await?,
                    1,
                    "rows inserted",
                )?;
            }
            Ok(())
        })
        .await;

    steps
        .run("read_text", async {
            conn.batch_execute("SET TimeZone = 'UTC'").await?;
            let mut got = Vec::new();
            for message in conn.simple_query(&select_all_sql(T)).await? {
                if let SimpleQueryMessage::Row(row) = message {
                    got.push(
                        (0..row.len())
                            .map(|i| (None, row.get(i).map(|v| v.as_bytes().to_vec())))
                            .collect(),
                    );
                }
            }
            compare_rows(&got, false)
        })
        .await;

    steps
        .run("read_binary", async {
            let rows = conn.query(&select_all_sql(T), &[]).await?;
            let got: Vec<Vec<_>> = rows
                .iter()
                .map(|row| {
                    (0..row.len())
                        .map(|i| {
                            let value: Option<RawValue> = row.get(i);
                            (Some(row.columns()[i].type_().oid()), value.map(|v| v.0))
                        })
                        .collect()
                })
                .collect();
            compare_rows(&got, true)
        })
        .await;

    steps
        .run("prepared_reuse", async {
            let insert = conn
                .prepare(&format!(
                    "INSERT INTO {T} (id, c_int4, c_text) VALUES ($1, $2, $3)"
                ))
                .await?;
            let select = conn
                .prepare(&format!("SELECT c_int4, c_text FROM {T} WHERE id = $1"))
                .await?;
            for i in 1000..1200i32 {
                conn.execute(&insert, &[&i, &(i * 2), &format!("row-{i}")])
                    .await?;
            }
            for i in 1000..1200i32 {
                let rows = conn.query(&select, &[&i]).await?;
                let got: Vec<(i32, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
                expect_eq(got, vec![(i * 2, format!("row-{i}"))], &format!("id {i}"))?;
            }
            expect_eq(
                count(
                    &conn,
                    &format!("SELECT count(*), sum(c_int4) FROM {T} WHERE id >= 1000"),
                )
                .await?,
                vec![200, 439800],
                "count, sum",
            )
        })
        .await;

    steps
        .run("update_delete_counts", async {
            let updated = conn
                .execute(
                    &format!("UPDATE {T} SET c_int8 = 7 WHERE id >= 1000 AND id < 1100"),
                    &[],
                )
                .await?;
            expect_eq(updated, 100, "UPDATE count")?;
            let deleted = conn
                .execute(&format!("DELETE FROM {T} WHERE id >= $1"), &[&1150i32])
                .await?;
            expect_eq(deleted, 50, "DELETE count")?;
            expect_eq(
                count(&conn, &format!("SELECT count(*) FROM {T} WHERE id >= 1000")).await?,
                vec![150],
                "rows left",
            )
        })
        .await;

    for (code, sql) in [
        ("42601", "SELEC 1".to_string()),
        ("42P01", format!("SELECT * FROM {T}_missing")),
        ("23505", format!("INSERT INTO {T} (id) VALUES (2)")),
        ("22012", "SELECT 1 / 0".to_string()),
    ] {
        steps
            .run(&format!("error_{code}"), async {
                expect_sqlstate(conn.query(&sql, &[]).await, code)?;
                answers(&conn).await
            })
            .await;
    }

    let balances =
        format!("SELECT balance FROM accounts WHERE id IN ({ACCT_A}, {ACCT_B}) ORDER BY id");
    steps
        .run("call_transfer", async {
            conn.execute(
                "DELETE FROM accounts WHERE id IN ($1, $2)",
                &[&ACCT_A, &ACCT_B],
            )
            .await?;
            conn.execute(
                "CALL open_account($1, $2, $3)",
                &[&ACCT_A, &"alice", &100i64],
            )
            .await?;
            conn.execute("CALL open_account($1, $2, $3)", &[&ACCT_B, &"bob", &50i64])
                .await?;
            conn.execute("CALL transfer($1, $2, $3)", &[&ACCT_A, &ACCT_B, &30i64])
                .await?;
            let got: Vec<i64> = other
                .query(&balances, &[])
                .await?
                .iter()
                .map(|r| r.get(0))
                .collect();
            expect_eq(got, vec![70, 80], "balances")
        })
        .await;

    steps
        .run("call_insufficient_funds", async {
            let message = expect_sqlstate(
                conn.execute("CALL transfer($1, $2, $3)", &[&ACCT_B, &ACCT_A, &1000i64])
                    .await,
                "P0001",
            )?;
            ensure(message.contains("insufficient funds"), || message.clone())?;
            let got: Vec<i64> = other
                .query(&balances, &[])
                .await?
                .iter()
                .map(|r| r.get(0))
                .collect();
            expect_eq(got, vec![70, 80], "balances")?;
            answers(&conn).await
        })
        .await;

    steps
        .run("tx_commit", async {
            let tx = conn.transaction().await?;
            tx.execute(
                &format!("INSERT INTO {T} (id, c_text) VALUES ($1, $2)"),
                &[&20i32, &"committed"],
            )
            .await?;
            tx.execute(&format!("UPDATE {T} SET c_int4 = 5 WHERE id = 20"), &[])
                .await?;
            let own: i32 = tx
                .query_one(&format!("SELECT c_int4 FROM {T} WHERE id = 20"), &[])
                .await?
                .get(0);
            expect_eq(own, 5, "the block reads its own write")?;
            expect_eq(
                count(&other, &format!("SELECT count(*) FROM {T} WHERE id = 20")).await?,
                vec![0],
                "uncommitted rows seen by the other connection",
            )?;
            tx.commit().await?;
            expect_eq(
                count(
                    &other,
                    &format!("SELECT count(*), max(c_int4)::bigint FROM {T} WHERE id = 20"),
                )
                .await?,
                vec![1, 5],
                "committed row",
            )
        })
        .await;

    steps
        .run("tx_rollback", async {
            let tx = conn.transaction().await?;
            tx.execute(
                &format!("INSERT INTO {T} (id, c_text) VALUES ($1, $2)"),
                &[&21i32, &"rolled back"],
            )
            .await?;
            tx.execute(&format!("UPDATE {T} SET c_int4 = 6 WHERE id = 20"), &[])
                .await?;
            expect_eq(
                count(&tx, &format!("SELECT count(*) FROM {T} WHERE id = 21")).await?,
                vec![1],
                "own insert",
            )?;
            tx.rollback().await?;
            for c in [&conn, &other] {
                expect_eq(
                    count(
                        c,
                        &format!("SELECT count(*), sum(c_int4) FROM {T} WHERE id IN (20, 21)"),
                    )
                    .await?,
                    vec![1, 5],
                    "after ROLLBACK",
                )?;
            }
            Ok(())
        })
        .await;

    steps
        .run("serialization_retry", async {
            conn.execute(
                &format!("INSERT INTO {T} (id, c_int8) VALUES (30, 100)"),
                &[],
            )
            .await?;
            let mut failures = Vec::new();
            for attempt in 0..3 {
                let interfere = if attempt == 0 { Some(&mut other) } else { None };
                match increment(&mut conn, interfere).await {
                    Ok(()) => break,
                    Err(e) if e.code().map(|c| c.code()) == Some("40001") => failures.push("40001"),
                    Err(e) => return Err(e.into()),
                }
            }
            expect_eq(failures, vec!["40001"], "serialization failures")?;
            expect_eq(
                count(&other, &format!("SELECT c_int8 FROM {T} WHERE id = 30")).await?,
                vec![102],
                "final value",
            )
        })
        .await;

    steps.finish();
}
