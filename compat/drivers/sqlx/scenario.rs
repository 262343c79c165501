//! The driver scenario (compat/drivers/README.md) with sqlx 0.8 (features
//! runtime-tokio and postgres only, so values without a Rust type of their own are
//! bound and read as their binary encoding): parameters and results in binary
//! (`query`, statements cached and reused), results in text (`raw_sql`, the simple
//! protocol), `begin()` transactions with `SET TRANSACTION ISOLATION LEVEL SERIALIZABLE`
//! and a serialization failure retried. Run by tests/compat_drivers.rs.

use crate::compat_common::{
    compare_rows, create_table_sql, ensure, expect_eq, expect_sqlstate, insert_sql, rows,
    select_all_sql, Fail, RawCell, Steps,
};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::types::Oid;
use sqlx::postgres::{PgArgumentBuffer, PgConnection, PgRow, PgTypeInfo, Postgres};
use sqlx::{Column, Connection, Encode, Row, Type, ValueRef};

const T: &str = "compat_sqlx";
const ACCT_A: i64 = 4001;
const ACCT_B: i64 = 4002;

/// A parameter given as its type OID and binary encoding (None: NULL of that type).
struct Raw {
    oid: u32,
    bytes: Option<Vec<u8>>,
}

impl Type<Postgres> for Raw {
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_oid(Oid(0))
    }

    fn compatible(_: &PgTypeInfo) -> bool {
        true
    }
}

impl<'q> Encode<'q, Postgres> for Raw {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        match &self.bytes {
            Some(bytes) => {
                buf.extend_from_slice(bytes);
                Ok(IsNull::No)
            }
            None => Ok(IsNull::Yes),
        }
    }

    fn produces(&self) -> Option<PgTypeInfo> {
        Some(PgTypeInfo::with_oid(Oid(self.oid)))
    }
}

async fn answers(c: &mut PgConnection) -> Result<(), Fail> {
    let one: i32 = sqlx::query_scalar("SELECT 1").fetch_one(c).await?;
    expect_eq(one, 1, "SELECT 1")
}

/// Every column of every row as (type OID, raw bytes).
fn raw_rows(rows: &[PgRow]) -> Result<Vec<Vec<RawCell>>, Fail> {
    let mut got = Vec::new();
    for row in rows {
        let mut cells = Vec::new();
        for i in 0..row.len() {
            let value = row.try_get_raw(i)?;
            let oid = row.column(i).type_info().oid().map(|o| o.0);
            let bytes = if value.is_null() {
                None
            } else {
                Some(value.as_bytes().map_err(|e| Fail(e.to_string()))?.to_vec())
            };
            cells.push((oid, bytes));
        }
        got.push(cells);
    }
    Ok(got)
}

async fn ints(c: &mut PgConnection, sql: &str) -> Result<Vec<i64>, Fail> {
    let row = sqlx::query(sql).fetch_one(c).await?;
    let mut out = Vec::new();
    for i in 0..row.len() {
        out.push(row.try_get::<Option<i64>, _>(i)?.unwrap_or(-1));
    }
    Ok(out)
}

/// Reads row 30 and writes it back plus one in one serializable transaction; with
/// `interfere`, that connection does the same in between.
async fn increment(
    c: &mut PgConnection,
    interfere: Option<&mut PgConnection>,
) -> Result<(), sqlx::Error> {
    let mut tx = c.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")
        .execute(&mut *tx)
        .await?;
    let value: i64 = sqlx::query_scalar(&format!("SELECT c_int8 FROM {T} WHERE id = 30"))
        .fetch_one(&mut *tx)
        .await?;
    if let Some(other) = interfere {
        Box::pin(increment(other, None)).await?;
    }
    sqlx::query(&format!("UPDATE {T} SET c_int8 = $1 WHERE id = 30"))
        .bind(value + 1)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

pub async fn run(url: &str) {
    let mut steps = Steps::new("sqlx");
    let mut conns = Vec::new();
    let connected = steps
        .run("connect", async {
            conns.push(PgConnection::connect(url).await?);
            conns.push(PgConnection::connect(url).await?);
            answers(&mut conns[0]).await
        })
        .await;
    if !connected {
        return steps.finish();
    }
    let mut other = conns.pop().unwrap();
    let mut conn = conns.pop().unwrap();

    steps
        .run("create_table", async {
            sqlx::raw_sql(&format!("DROP TABLE IF EXISTS {T}"))
                .execute(&mut conn)
                .await?;
            sqlx::raw_sql(&create_table_sql(T))
                .execute(&mut conn)
                .await?;
            Ok(())
        })
        .await;

    steps
        .run("insert_params", async {
            let sql = insert_sql(T);
            let types = rows();
            for row in rows() {
                let mut query = sqlx::query(&sql);
                // Booleans, integers, floats, text and bytea as sqlx's own types; the
                // rest (no feature for them here) as their binary encoding.
                for (i, cell) in row.iter().enumerate() {
                    let oid = types[1][i].as_ref().unwrap().oid;
                    let bytes = cell.as_ref().map(|c| c.binary.clone());
                    query = match (oid, &bytes) {
                        (16, b) => query.bind(b.as_ref().map(|b| b[0] == 1)),
                        (21, b) => query.bind(b.as_ref().map(|b| i16::from_be_bytes([b[0], b[1]]))),
                        (23, b) => query.bind(
                            b.as_ref()
                                .map(|b| i32::from_be_bytes(b[..4].try_into().unwrap())),
                        ),
                        (20, b) => query.bind(
                            b.as_ref()
                                .map(|b| i64::from_be_bytes(b[..8].try_into().unwrap())),
                        ),
                        (700, b) => query.bind(
                            b.as_ref()
                                .map(|b| f32::from_be_bytes(b[..4].try_into().unwrap())),
                        ),
                        (701, b) => query.bind(
                            b.as_ref()
                                .map(|b| f64::from_be_bytes(b[..8].try_into().unwrap())),
                        ),
                        (25 | 1043, b) => {
                            query.bind(b.as_ref().map(|b| String::from_utf8(b.clone()).unwrap()))
                        }
                        (17, b) => query.bind(b.clone()),
                        _ => query.bind(Raw { oid, bytes }),
                    };
                }
                let done = query.execute(&mut conn).await?;
                expect_eq(done.rows_affected(), 1, "rows inserted")?;
            }
            Ok(())
        })
        .await;

    steps
        .run("read_text", async {
            sqlx::raw_sql("SET TimeZone = 'UTC'")
                .execute(&mut conn)
                .await?;
            let rows = sqlx::raw_sql(&select_all_sql(T))
                .fetch_all(&mut conn)
                .await?;
            compare_rows(&raw_rows(&rows)?, false)
        })
        .await;

    steps
        .run("read_binary", async {
            let rows = sqlx::query(&select_all_sql(T)).fetch_all(&mut conn).await?;
            compare_rows(&raw_rows(&rows)?, true)
        })
        .await;

    steps
        .run("prepared_reuse", async {
            let insert = format!("INSERT INTO {T} (id, c_int4, c_text) VALUES ($1, $2, $3)");
            let select = format!("SELECT c_int4, c_text FROM {T} WHERE id = $1");
            for i in 1000..1200i32 {
                sqlx::query(&insert)
                    .bind(i)
                    .bind(i * 2)
                    .bind(format!("row-{i}"))
                    .execute(&mut conn)
                    .await?;
            }
            for i in 1000..1200i32 {
                let got: Vec<(i32, String)> =
                    sqlx::query_as(&select).bind(i).fetch_all(&mut conn).await?;
                expect_eq(got, vec![(i * 2, format!("row-{i}"))], &format!("id {i}"))?;
            }
            expect_eq(
                ints(
                    &mut conn,
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
            let updated = sqlx::query(&format!(
                "UPDATE {T} SET c_int8 = 7 WHERE id >= 1000 AND id < 1100"
            ))
            .execute(&mut conn)
            .await?;
            expect_eq(updated.rows_affected(), 100, "UPDATE count")?;
            let deleted = sqlx::query(&format!("DELETE FROM {T} WHERE id >= $1"))
                .bind(1150i32)
                .execute(&mut conn)
                .await?;
            expect_eq(deleted.rows_affected(), 50, "DELETE count")?;
            expect_eq(
                ints(
                    &mut conn,
                    &format!("SELECT count(*) FROM {T} WHERE id >= 1000"),
                )
                .await?,
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
                expect_sqlstate(
                    sqlx::query(&sql)
                        .execute(&mut conn)
                        .await
                        .map(|d| d.rows_affected()),
                    code,
                )?;
                answers(&mut conn).await
            })
            .await;
    }

    let balances =
        format!("SELECT balance FROM accounts WHERE id IN ({ACCT_A}, {ACCT_B}) ORDER BY id");
    steps
        .run("call_transfer", async {
            sqlx::query("DELETE FROM accounts WHERE id IN ($1, $2)")
                .bind(ACCT_A)
                .bind(ACCT_B)
                .execute(&mut conn)
                .await?;
            for (id, owner, balance) in [(ACCT_A, "alice", 100i64), (ACCT_B, "bob", 50)] {
                sqlx::query("CALL open_account($1, $2, $3)")
                    .bind(id)
                    .bind(owner)
                    .bind(balance)
                    .execute(&mut conn)
                    .await?;
            }
            sqlx::query("CALL transfer($1, $2, $3)")
                .bind(ACCT_A)
                .bind(ACCT_B)
                .bind(30i64)
                .execute(&mut conn)
                .await?;
            let got: Vec<i64> = sqlx::query_scalar(&balances).fetch_all(&mut other).await?;
            expect_eq(got, vec![70, 80], "balances")
        })
        .await;

    steps
        .run("call_insufficient_funds", async {
            let result = sqlx::query("CALL transfer($1, $2, $3)")
                .bind(ACCT_B)
                .bind(ACCT_A)
                .bind(1000i64)
                .execute(&mut conn)
                .await;
            let message = expect_sqlstate(result.map(|d| d.rows_affected()), "P0001")?;
            ensure(message.contains("insufficient funds"), || message.clone())?;
            let got: Vec<i64> = sqlx::query_scalar(&balances).fetch_all(&mut other).await?;
            expect_eq(got, vec![70, 80], "balances")?;
            answers(&mut conn).await
        })
        .await;

    steps
        .run("tx_commit", async {
            let mut tx = conn.begin().await?;
            sqlx::query(&format!("INSERT INTO {T} (id, c_text) VALUES ($1, $2)"))
                .bind(20i32)
                .bind("committed")
                .execute(&mut *tx)
                .await?;
            sqlx::query(&format!("UPDATE {T} SET c_int4 = 5 WHERE id = 20"))
                .execute(&mut *tx)
                .await?;
            let own: i32 = sqlx::query_scalar(&format!("SELECT c_int4 FROM {T} WHERE id = 20"))
                .fetch_one(&mut *tx)
                .await?;
            expect_eq(own, 5, "the block reads its own write")?;
            expect_eq(
                ints(
                    &mut other,
                    &format!("SELECT count(*) FROM {T} WHERE id = 20"),
                )
                .await?,
                vec![0],
                "uncommitted rows seen by the other connection",
            )?;
            tx.commit().await?;
            expect_eq(
                ints(
                    &mut other,
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
            let mut tx = conn.begin().await?;
            sqlx::query(&format!("INSERT INTO {T} (id, c_text) VALUES ($1, $2)"))
                .bind(21i32)
                .bind("rolled back")
                .execute(&mut *tx)
                .await?;
            sqlx::query(&format!("UPDATE {T} SET c_int4 = 6 WHERE id = 20"))
                .execute(&mut *tx)
                .await?;
            expect_eq(
                ints(&mut tx, &format!("SELECT count(*) FROM {T} WHERE id = 21")).await?,
                vec![1],
                "own insert",
            )?;
            tx.rollback().await?;
            for c in [&mut conn, &mut other] {
                expect_eq(
                    ints(
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
            sqlx::query(&format!("INSERT INTO {T} (id, c_int8) VALUES (30, 100)"))
                .execute(&mut conn)
                .await?;
            let mut failures = Vec::new();
            for attempt in 0..3 {
                let interfere = if attempt == 0 { Some(&mut other) } else { None };
                match increment(&mut conn, interfere).await {
                    Ok(()) => break,
                    Err(e) if crate::compat_common::sqlstate(&e).as_deref() == Some("40001") => {
                        failures.push("40001")
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            expect_eq(failures, vec!["40001"], "serialization failures")?;
            expect_eq(
                ints(&mut other, &format!("SELECT c_int8 FROM {T} WHERE id = 30")).await?,
                vec![102],
                "final value",
            )
        })
        .await;

    steps.finish();
}
