//! Transaction blocks with two sessions interleaving: what one block sees of its own
//! writes and of others', when COMMIT answers 40001, and that an open block holds
//! no lock. Each test drives two real connections step by step, so the interleaving
//! is exact (no timing involved).

mod common;

use common::TestServer;
use tokio_postgres::{Client, SimpleQueryMessage};

/// The SQLSTATE of a failed statement.
fn sqlstate(result: Result<impl std::fmt::Debug, tokio_postgres::Error>) -> String {
    match result {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e
            .code()
            .unwrap_or_else(|| panic!("no SQLSTATE in {e}"))
            .code()
            .to_owned(),
    }
}

async fn balance(client: &Client, id: i32) -> i64 {
    client
        .query_one("SELECT balance FROM acct WHERE id = $1", &[&id])
        .await
        .unwrap()
        .get(0)
}

/// The one bigint value `sql` returns on `client`.
async fn scalar(client: &Client, sql: &str) -> i64 {
    client.query_one(sql, &[]).await.unwrap().get(0)
}

/// `SELECT count(*) FROM table` on `client`.
async fn count_rows(client: &Client, table: &str) -> i64 {
    scalar(client, &format!("SELECT count(*) FROM {table}")).await
}

/// A server with `acct(id, balance)` holding ids 1..=3 with balance 100, and two
/// sessions.
async fn two_sessions() -> (TestServer, Client, Client) {
    let server = TestServer::start_with_args(&["--no-modules"]);
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute(
        "CREATE TABLE acct (id integer PRIMARY KEY, balance bigint NOT NULL, on_call boolean);
         INSERT INTO acct VALUES (1, 100, true), (2, 100, true), (3, 100, false)",
    )
    .await
    .unwrap();
    (server, a, b)
}

#[tokio::test]
async fn a_block_reads_its_own_writes_and_others_see_them_only_after_commit() {
    let (_server, a, b) = two_sessions().await;
    a.batch_execute("BEGIN").await.unwrap();
    a.execute("UPDATE acct SET balance = balance - 30 WHERE id = 1", &[])
        .await
        .unwrap();
    a.execute("INSERT INTO acct VALUES (4, 30, false)", &[])
        .await
        .unwrap();
    assert_eq!(balance(&a, 1).await, 70);
    assert_eq!(balance(&a, 4).await, 30);
    let total = scalar(&a, "SELECT sum(balance)::bigint FROM acct").await;
    assert_eq!(total, 300, "the block sees its update and its insert");

    assert_eq!(
        balance(&b, 1).await,
        100,
        "nobody else sees the block before COMMIT"
    );
    assert!(b
        .query_opt("SELECT balance FROM acct WHERE id = 4", &[])
        .await
        .unwrap()
        .is_none());

    a.batch_execute("COMMIT").await.unwrap();
    assert_eq!(balance(&b, 1).await, 70);
    assert_eq!(balance(&b, 4).await, 30);
}

/// The lock each kind of request took in this server so far, from
/// `turnstile_lock_stats`: (class, request) for requests named like `pattern`.
async fn lock_requests(client: &Client, pattern: &str) -> Vec<(String, String)> {
    client
        .query(
            "SELECT class, request FROM turnstile_lock_stats WHERE request LIKE $1 ORDER BY request",
            &[&pattern],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect()
}

/// A block's point reads and writes run under the read lock on the block's
/// overlay (see src/sql/overlay.rs), and still see the block's own writes; only
/// COMMIT takes the write lock. What the overlay cannot answer, a scan of a table
/// the block wrote, is rehearsed under the write lock, with the same answer; so is
/// a statement that fails, whose error the rehearsal confirms.
#[tokio::test]
async fn a_blocks_point_statements_take_only_the_read_lock() {
    let (_server, a, b) = two_sessions().await;
    a.batch_execute("BEGIN").await.unwrap();
    a.execute("UPDATE acct SET balance = balance - 30 WHERE id = 1", &[])
        .await
        .unwrap();
    assert_eq!(balance(&a, 1).await, 70);
    a.execute("INSERT INTO acct VALUES (4, 30, false)", &[])
        .await
        .unwrap();
    assert_eq!(balance(&a, 4).await, 30);
    a.execute("DELETE FROM acct WHERE id = 2", &[])
        .await
        .unwrap();
    let gone = a
        .query_opt("SELECT balance FROM acct WHERE id = 2", &[])
        .await
        .unwrap();
    assert!(gone.is_none(), "the block's delete hides the row");
    a.execute("INSERT INTO acct VALUES (2, 5, true)", &[])
        .await
        .unwrap();
    assert_eq!(balance(&a, 2).await, 5);
    assert_eq!(
        lock_requests(&a, "rehearse%").await,
        Vec::<(String, String)>::new(),
        "no statement so far needed the write lock"
    );
    let block: Vec<(String, String)> = lock_requests(&a, "block%").await;
    for kind in ["DELETE", "INSERT", "SELECT", "UPDATE"] {
        let request = format!("block {kind}");
        assert!(
            block.contains(&("read".to_owned(), request.clone())),
            "{request} ran under the read lock: {block:?}"
        );
    }

    let total = scalar(&a, "SELECT sum(balance)::bigint FROM acct").await;
    assert_eq!(total, 205, "a scan sees the block's writes");
    assert_eq!(
        lock_requests(&a, "rehearse%").await,
        vec![("write".to_owned(), "rehearse SELECT".to_owned())],
        "a scan of a table the block wrote is rehearsed"
    );
    assert_eq!(
        sqlstate(
            a.execute("INSERT INTO acct VALUES (4, 1, false)", &[])
                .await
        ),
        "23505",
        "the block's own insert holds the key"
    );
    a.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(balance(&b, 1).await, 100);
    assert_eq!(balance(&b, 2).await, 100);
}

/// A block that changed a row another transaction then deleted cannot commit. A
/// statement that fails on the block's own image of that row (a duplicate key
/// for a row that is gone) answers 40001, which clients retry, not the error.
#[tokio::test]
async fn an_error_on_a_row_someone_else_deleted_is_a_serialization_failure() {
    let (_server, a, b) = two_sessions().await;
    a.batch_execute("BEGIN").await.unwrap();
    a.execute("UPDATE acct SET balance = balance + 1 WHERE id = 1", &[])
        .await
        .unwrap();
    b.execute("DELETE FROM acct WHERE id = 1", &[])
        .await
        .unwrap();
    assert_eq!(
        sqlstate(
            a.execute("INSERT INTO acct VALUES (1, 0, false)", &[])
                .await
        ),
        "40001"
    );
    a.batch_execute("ROLLBACK").await.unwrap();
    assert!(b
        .query_opt("SELECT balance FROM acct WHERE id = 1", &[])
        .await
        .unwrap()
        .is_none());
}

/// A query string of several statements with a write is one implicit transaction
/// even when it holds transaction control or SET, as in PostgreSQL: an error
/// rolls back everything since the string's start or its last COMMIT, a
/// ROLLBACK in it rolls back what came before, SAVEPOINT is 25P01, and a BEGIN
/// makes it an ordinary block that takes in the statements before it.
#[tokio::test]
async fn a_query_string_with_transaction_control_is_one_implicit_transaction() {
    let (_server, a, b) = two_sessions().await;
    let count = || async {
        let n = count_rows(&b, "acct").await;
        n
    };
    let run = |sql: &'static str| a.batch_execute(sql);
    assert_eq!(
        sqlstate(run("INSERT INTO acct VALUES (10, 1, true); SELECT 1/0; COMMIT").await),
        "22012"
    );
    assert_eq!(count().await, 3, "the error rolled back the insert");
    run("INSERT INTO acct VALUES (11, 1, true); ROLLBACK")
        .await
        .unwrap();
    assert_eq!(
        count().await,
        3,
        "ROLLBACK rolled back the insert before it"
    );
    assert_eq!(
        sqlstate(run("INSERT INTO acct VALUES (12, 1, true); SAVEPOINT s").await),
        "25P01"
    );
    assert_eq!(count().await, 3);
    assert_eq!(
        sqlstate(
            run("SET statement_timeout = 1000; INSERT INTO acct VALUES (13, 1, true); SELECT 1/0")
                .await
        ),
        "22012"
    );
    assert_eq!(count().await, 3);
    let timeout: String = a
        .query_one("SHOW statement_timeout", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(timeout, "0", "the SET was rolled back with the rest");
    assert_eq!(
        sqlstate(
            run("INSERT INTO acct VALUES (14, 1, true); COMMIT; INSERT INTO acct VALUES (15, 1, true); SELECT 1/0")
                .await
        ),
        "22012"
    );
    assert_eq!(count().await, 4, "what came before the COMMIT stays");
    run("INSERT INTO acct VALUES (16, 1, true); BEGIN; INSERT INTO acct VALUES (17, 1, true)")
        .await
        .unwrap();
    assert_eq!(count().await, 4, "the block BEGIN opened is still open");
    run("ROLLBACK").await.unwrap();
    assert_eq!(count().await, 4, "and it took in the insert before BEGIN");
}

#[tokio::test]
async fn rollback_leaves_nothing() {
    let (_server, a, b) = two_sessions().await;
    a.batch_execute(
        "BEGIN;
         UPDATE acct SET balance = 0;
         DELETE FROM acct WHERE id = 2;
         CREATE TABLE scratch (x integer);
         INSERT INTO scratch VALUES (1)",
    )
    .await
    .unwrap();
    a.batch_execute("ROLLBACK").await.unwrap();
    for id in 1..=3 {
        assert_eq!(balance(&b, id).await, 100);
    }
    assert_eq!(
        sqlstate(b.query("SELECT * FROM scratch", &[]).await),
        "42P01"
    );
}

#[tokio::test]
async fn lost_update_is_prevented() {
    let (_server, a, b) = two_sessions().await;
    // Both read the balance and write back what they computed from it.
    a.batch_execute("BEGIN").await.unwrap();
    b.batch_execute("BEGIN").await.unwrap();
    let seen_a = balance(&a, 1).await;
    let seen_b = balance(&b, 1).await;
    a.execute(
        "UPDATE acct SET balance = $1 WHERE id = 1",
        &[&(seen_a + 10)],
    )
    .await
    .unwrap();
    b.execute(
        "UPDATE acct SET balance = $1 WHERE id = 1",
        &[&(seen_b + 20)],
    )
    .await
    .unwrap();
    a.batch_execute("COMMIT").await.unwrap();
    assert_eq!(sqlstate(b.batch_execute("COMMIT").await), "40001");
    assert_eq!(balance(&a, 1).await, 110, "b's update was not applied");
    // The failed COMMIT ended b's block: b goes on in autocommit.
    assert_eq!(balance(&b, 1).await, 110);
}

#[tokio::test]
async fn blind_relative_updates_of_one_row_all_commit() {
    // What pgbench's branch updates do: nobody reads the row back, so neither
    // block depends on the other's value and both commit, in either order.
    let (_server, a, b) = two_sessions().await;
    a.batch_execute("BEGIN").await.unwrap();
    b.batch_execute("BEGIN").await.unwrap();
    let updated = a
        .execute("UPDATE acct SET balance = balance + 1 WHERE id = 1", &[])
        .await
        .unwrap();
    assert_eq!(updated, 1);
    b.execute("UPDATE acct SET balance = balance + 2 WHERE id = 1", &[])
        .await
        .unwrap();
    b.batch_execute("COMMIT").await.unwrap();
    a.batch_execute("COMMIT").await.unwrap();
    assert_eq!(balance(&a, 1).await, 103);
}

#[tokio::test]
async fn reading_back_a_blind_update_makes_it_validated() {
    // a reads the row it updated: its answer depends on the committed balance, so
    // a concurrent change to that balance must fail a's COMMIT.
    let (_server, a, b) = two_sessions().await;
    a.batch_execute("BEGIN").await.unwrap();
    a.execute("UPDATE acct SET balance = balance + 1 WHERE id = 1", &[])
        .await
        .unwrap();
    assert_eq!(balance(&a, 1).await, 101);
    b.execute("UPDATE acct SET balance = balance + 5 WHERE id = 1", &[])
        .await
        .unwrap();
    assert_eq!(sqlstate(a.batch_execute("COMMIT").await), "40001");
    assert_eq!(balance(&b, 1).await, 105);
}

#[tokio::test]
async fn write_skew_is_prevented() {
    // The on-call rule: at least one of 1 and 2 stays on call. Each block checks
    // that the other is still on call, then takes itself off; committing both would
    // leave nobody.
    let (_server, a, b) = two_sessions().await;
    a.batch_execute("BEGIN").await.unwrap();
    b.batch_execute("BEGIN").await.unwrap();
    let count = "SELECT count(*) FROM acct WHERE on_call";
    let on_call_a: i64 = a.query_one(count, &[]).await.unwrap().get(0);
    let on_call_b: i64 = b.query_one(count, &[]).await.unwrap().get(0);
    assert_eq!((on_call_a, on_call_b), (2, 2));
    a.execute("UPDATE acct SET on_call = false WHERE id = 1", &[])
        .await
        .unwrap();
    b.execute("UPDATE acct SET on_call = false WHERE id = 2", &[])
        .await
        .unwrap();
    a.batch_execute("COMMIT").await.unwrap();
    assert_eq!(sqlstate(b.batch_execute("COMMIT").await), "40001");
    let on_call: i64 = a.query_one(count, &[]).await.unwrap().get(0);
    assert_eq!(on_call, 1);
}

#[tokio::test]
async fn a_row_count_that_changed_by_commit_is_a_serialization_failure() {
    let (_server, a, b) = two_sessions().await;
    a.batch_execute("BEGIN").await.unwrap();
    let updated = a
        .execute("UPDATE acct SET balance = balance + 1 WHERE id = 3", &[])
        .await
        .unwrap();
    assert_eq!(updated, 1);
    b.execute("DELETE FROM acct WHERE id = 3", &[])
        .await
        .unwrap();
    let err = a.batch_execute("COMMIT").await.unwrap_err();
    let db_error = err.as_db_error().expect("a server error");
    assert_eq!(db_error.code().code(), "40001");
    assert!(
        db_error.detail().is_some_and(|d| d.contains("rows")),
        "the detail says what changed: {db_error:?}"
    );
    assert_eq!(
        db_error.hint(),
        Some("The transaction might succeed if retried.")
    );
}

/// A block that has not written answers as of one moment, statement by
/// statement: each statement confirms what the block read before it, so once
/// another session changes that, the block's next statement answers 40001,
/// whether or not the client would ever commit (pg_dump reads a database in
/// such a block and disconnects). A block whose reads held at its last
/// statement is serializable at that moment: its COMMIT succeeds even if the
/// data changes afterwards, as PostgreSQL's read-only transactions do.
#[tokio::test]
async fn a_read_only_block_is_consistent_at_each_statement() {
    let (_server, a, b) = two_sessions().await;
    b.batch_execute("CREATE TABLE audit (id integer PRIMARY KEY)")
        .await
        .unwrap();
    a.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await
        .unwrap();
    assert_eq!(balance(&a, 1).await, 100);
    assert_eq!(count_rows(&a, "audit").await, 0);
    // A change to a row the block has not read confirms nothing away.
    b.execute("UPDATE acct SET balance = 50 WHERE id = 2", &[])
        .await
        .unwrap();
    assert_eq!(balance(&a, 1).await, 100);
    // One it read does: answering now would mix two moments.
    b.execute("UPDATE acct SET balance = 90 WHERE id = 1", &[])
        .await
        .unwrap();
    assert_eq!(
        sqlstate(a.query_one("SELECT count(*) FROM audit", &[]).await),
        "40001"
    );
    a.batch_execute("ROLLBACK").await.unwrap();

    a.batch_execute("BEGIN READ ONLY").await.unwrap();
    assert_eq!(count_rows(&a, "acct").await, 3);
    assert_eq!(balance(&a, 1).await, 90);
    b.execute("UPDATE acct SET balance = 80 WHERE id = 1", &[])
        .await
        .unwrap();
    a.batch_execute("COMMIT").await.unwrap();
    assert_eq!(balance(&a, 1).await, 80);

    // The schema counts as read from a LOCK TABLE or a catalog query on (as
    // pg_dump reads the catalog, then each table): a schema change after it
    // fails the block's next statement.
    for first in [
        "LOCK TABLE acct IN ACCESS SHARE MODE",
        "SELECT count(*) FROM pg_attribute WHERE attrelid = 'acct'::regclass",
    ] {
        a.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await
            .unwrap();
        a.batch_execute(first).await.unwrap();
        b.batch_execute("ALTER TABLE audit ADD COLUMN note text")
            .await
            .unwrap();
        assert_eq!(
            sqlstate(a.query_one("SELECT count(*) FROM acct", &[]).await),
            "40001",
            "after {first}"
        );
        a.batch_execute("ROLLBACK").await.unwrap();
        b.batch_execute("ALTER TABLE audit DROP COLUMN note")
            .await
            .unwrap();
    }
    // A query string of several statements is an implicit block, where LOCK
    // TABLE may run (alone it answers 25P01); the lock ends with the string.
    let rows = a
        .simple_query("LOCK TABLE acct IN ACCESS SHARE MODE; SELECT count(*) FROM acct")
        .await
        .expect("LOCK TABLE in a string of several statements");
    assert!(rows
        .iter()
        .any(|m| matches!(m, SimpleQueryMessage::Row(r) if r.get(0) == Some("3"))));
    assert_eq!(
        sqlstate(
            a.batch_execute("LOCK TABLE acct IN ACCESS SHARE MODE")
                .await
        ),
        "25P01"
    );
}

#[tokio::test]
async fn an_idle_open_block_does_not_block_other_writers() {
    let (_server, a, b) = two_sessions().await;
    a.batch_execute("BEGIN").await.unwrap();
    a.execute("UPDATE acct SET balance = balance + 1 WHERE id = 2", &[])
        .await
        .unwrap();
    let _ = balance(&a, 3).await;
    // a is now idle inside its block. If it held a lock, these would never return.
    for _ in 0..10 {
        b.execute("UPDATE acct SET balance = balance + 1 WHERE id = 2", &[])
            .await
            .unwrap();
    }
    b.batch_execute("CREATE TABLE other (x integer); DROP TABLE other")
        .await
        .unwrap();
    assert_eq!(balance(&b, 2).await, 110);
    // b's DDL committed during a's block: a's COMMIT must fail, changing nothing.
    assert_eq!(sqlstate(a.batch_execute("COMMIT").await), "40001");
    assert_eq!(balance(&b, 2).await, 110);
}

#[tokio::test]
async fn a_failed_block_refuses_statements_until_rollback() {
    let (_server, a, _b) = two_sessions().await;
    a.batch_execute("BEGIN").await.unwrap();
    a.execute("UPDATE acct SET balance = 0 WHERE id = 1", &[])
        .await
        .unwrap();
    assert_eq!(
        sqlstate(
            a.execute("INSERT INTO acct VALUES (1, 5, false)", &[])
                .await
        ),
        "23505"
    );
    assert_eq!(sqlstate(a.query("SELECT 1", &[]).await), "25P02");
    assert_eq!(
        sqlstate(a.execute("UPDATE acct SET balance = 1", &[]).await),
        "25P02"
    );
    // COMMIT of a failed block is accepted and rolls it back.
    a.batch_execute("COMMIT").await.unwrap();
    assert_eq!(
        balance(&a, 1).await,
        100,
        "nothing of the failed block is kept"
    );
}

#[tokio::test]
async fn returned_values_are_the_committed_ones() {
    // A write whose result the client saw is applied as it was rehearsed, not run
    // again: a random value it returned is the one stored.
    let (_server, a, b) = two_sessions().await;
    a.batch_execute("CREATE TABLE tokens (id integer PRIMARY KEY, token uuid)")
        .await
        .unwrap();
    a.batch_execute("BEGIN").await.unwrap();
    let returned: uuid::Uuid = a
        .query_one(
            "INSERT INTO tokens VALUES (1, gen_random_uuid()) RETURNING token",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    a.batch_execute("COMMIT").await.unwrap();
    let stored: uuid::Uuid = b
        .query_one("SELECT token FROM tokens WHERE id = 1", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, returned);
}

#[tokio::test]
async fn isolation_level_is_serializable() {
    let (_server, a, _b) = two_sessions().await;
    let level: String = a
        .query_one("SHOW transaction_isolation", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(level, "serializable");
}

async fn bank_balance(client: &Client, id: i64) -> i64 {
    client
        .query_one("SELECT balance FROM accounts WHERE id = $1", &[&id])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn reducer_calls_in_a_block_commit_with_it_or_not_at_all() {
    let server = TestServer::start();
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute(
        "INSERT INTO accounts (id, owner, balance) VALUES (1, 'ann', 100), (2, 'bob', 0)",
    )
    .await
    .unwrap();
    a.batch_execute("BEGIN; CALL transfer(1, 2, 30)")
        .await
        .unwrap();
    assert_eq!(
        bank_balance(&a, 1).await,
        70,
        "the block sees the call's writes"
    );
    assert_eq!(bank_balance(&b, 1).await, 100);
    a.batch_execute("COMMIT").await.unwrap();
    assert_eq!(bank_balance(&b, 1).await, 70);
    assert_eq!(bank_balance(&b, 2).await, 30);

    // A call that fails fails the block; nothing of it is kept.
    a.batch_execute("BEGIN; CALL transfer(1, 2, 10)")
        .await
        .unwrap();
    let err = a
        .batch_execute("CALL transfer(1, 2, 1000)")
        .await
        .unwrap_err();
    assert_eq!(err.code().unwrap().code(), "P0001", "{err:?}");
    a.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(bank_balance(&b, 1).await, 70);

    // Another session drains the account after the call was rehearsed: the call
    // fails when made again at COMMIT, so the block fails.
    a.batch_execute("BEGIN; CALL transfer(1, 2, 60)")
        .await
        .unwrap();
    b.batch_execute("CALL transfer(1, 2, 50)").await.unwrap();
    assert_eq!(sqlstate(a.batch_execute("COMMIT").await), "40001");
    assert_eq!(bank_balance(&b, 1).await, 20);
}

/// Sends `data` with `COPY … FROM STDIN` and returns the row count.
async fn copy_in(client: &Client, sql: &str, data: &'static [u8]) -> u64 {
    use futures::SinkExt;
    let sink = client.copy_in(sql).await.unwrap();
    futures::pin_mut!(sink);
    sink.send(bytes::Bytes::from_static(data)).await.unwrap();
    sink.finish().await.unwrap()
}

#[tokio::test]
async fn copy_inside_a_block_commits_or_rolls_back_with_it() {
    // What `pgbench -i` does: TRUNCATE and COPY in one block.
    let (_server, a, b) = two_sessions().await;
    let count = |client| async move {
        let client: &Client = client;
        let n: i64 = client
            .query_one("SELECT count(*) FROM acct", &[])
            .await
            .unwrap()
            .get(0);
        n
    };
    a.batch_execute("BEGIN; TRUNCATE acct").await.unwrap();
    let copied = copy_in(&a, "COPY acct (id, balance) FROM STDIN", b"7\t1\n8\t2\n").await;
    assert_eq!(copied, 2);
    assert_eq!(
        count(&a).await,
        2,
        "the block sees its TRUNCATE and its COPY"
    );
    assert_eq!(count(&b).await, 3);
    a.batch_execute("COMMIT").await.unwrap();
    assert_eq!(count(&b).await, 2);
    assert_eq!(balance(&b, 8).await, 2);

    a.batch_execute("BEGIN").await.unwrap();
    copy_in(&a, "COPY acct (id, balance) FROM STDIN", b"9\t3\n").await;
    a.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(count(&b).await, 2, "a rolled-back COPY loads nothing");
}

#[tokio::test]
async fn a_block_over_its_change_limit_fails_and_keeps_nothing() {
    let server = TestServer::start_with_args(&["--no-modules", "--max-block-changes", "2"]);
    let a = server.connect().await;
    a.batch_execute("CREATE TABLE small (id integer PRIMARY KEY)")
        .await
        .unwrap();
    a.batch_execute("BEGIN; INSERT INTO small VALUES (1), (2)")
        .await
        .unwrap();
    assert_eq!(
        sqlstate(a.execute("INSERT INTO small VALUES (3)", &[]).await),
        "54000"
    );
    a.batch_execute("ROLLBACK").await.unwrap();
    let n = count_rows(&a, "small").await;
    assert_eq!(n, 0);
}

/// A write nobody observed runs again at COMMIT. If the catalog changed in
/// between (here by another session's rolled-back DDL), its plan is made again
/// with the parameter types it was prepared with, not guessed from the values: a
/// NULL `$1` declared int stays an int, so COMMIT writes what the rehearsal did.
#[tokio::test]
async fn a_write_planned_again_at_commit_keeps_its_parameter_types() {
    let (_server, a, b) = two_sessions().await;
    a.batch_execute("CREATE TABLE tagged (id integer PRIMARY KEY, tag text, n integer)")
        .await
        .unwrap();
    a.batch_execute("INSERT INTO tagged VALUES (1, NULL, 0)")
        .await
        .unwrap();
    let tag = a
        .prepare_typed(
            "UPDATE tagged SET tag = pg_typeof($1)::text WHERE id = 1",
            &[tokio_postgres::types::Type::INT4],
        )
        .await
        .unwrap();
    a.batch_execute("BEGIN").await.unwrap();
    assert_eq!(a.execute(&tag, &[&None::<i32>]).await.unwrap(), 1);
    b.batch_execute("BEGIN; CREATE TABLE scratch (x integer); ROLLBACK")
        .await
        .unwrap();
    b.batch_execute("UPDATE tagged SET n = 5 WHERE id = 1")
        .await
        .unwrap();
    a.batch_execute("COMMIT").await.unwrap();
    let row = b
        .query_one("SELECT tag, n FROM tagged WHERE id = 1", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, Option<String>>(0).as_deref(), Some("integer"));
    assert_eq!(row.get::<_, i32>(1), 5);
}

/// A write nobody observed runs again at COMMIT, and may then change other rows
/// than it did. A later statement of the block that read or wrote those rows saw
/// them as they were without it: replaying what that statement did would undo or
/// ignore the new change, so COMMIT answers 40001 instead (it used to keep the
/// later statement's image and lose the first write's change).
#[tokio::test]
async fn a_write_that_changes_other_rows_at_commit_fails_later_statements_that_read_them() {
    let (_server, a, b) = two_sessions().await;
    a.batch_execute(
        "CREATE TABLE picked (id integer PRIMARY KEY);
         INSERT INTO picked VALUES (1)",
    )
    .await
    .unwrap();
    a.batch_execute("BEGIN").await.unwrap();
    let updated = a
        .execute(
            "UPDATE acct SET balance = balance + 1 WHERE id IN (SELECT id FROM picked)",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(updated, 1);
    a.execute("UPDATE acct SET on_call = false WHERE id = 2", &[])
        .await
        .unwrap();
    // Reading the row back makes the second UPDATE's image something the client saw.
    assert_eq!(balance(&a, 2).await, 100);
    b.batch_execute("DELETE FROM picked; INSERT INTO picked VALUES (2)")
        .await
        .unwrap();
    assert_eq!(sqlstate(a.batch_execute("COMMIT").await), "40001");
    for id in [1, 2] {
        assert_eq!(balance(&b, id).await, 100, "nothing of the block stays");
    }

    // The same with a query in between: the block was told row 2 of `copied` did
    // not exist, and the INSERT run again at COMMIT would create it.
    a.batch_execute(
        "CREATE TABLE copied (id integer PRIMARY KEY, balance bigint);
         UPDATE acct SET on_call = (id = 1)",
    )
    .await
    .unwrap();
    a.batch_execute("BEGIN").await.unwrap();
    a.execute(
        "INSERT INTO copied SELECT id, balance FROM acct WHERE on_call AND id < 3",
        &[],
    )
    .await
    .unwrap();
    let absent = a
        .query("SELECT * FROM copied WHERE id = 2", &[])
        .await
        .unwrap();
    assert!(absent.is_empty());
    b.batch_execute(
        "UPDATE acct SET on_call = false WHERE id = 1; UPDATE acct SET on_call = true WHERE id = 2",
    )
    .await
    .unwrap();
    assert_eq!(sqlstate(a.batch_execute("COMMIT").await), "40001");
    let copied = count_rows(&b, "copied").await;
    assert_eq!(copied, 0);

    // Run again at COMMIT on rows no later statement read, the same write commits.
    b.batch_execute("UPDATE acct SET on_call = true WHERE id IN (1, 2)")
        .await
        .unwrap();
    a.batch_execute("BEGIN").await.unwrap();
    a.execute(
        "INSERT INTO copied SELECT id, balance FROM acct WHERE on_call AND id = 1",
        &[],
    )
    .await
    .unwrap();
    assert_eq!(balance(&a, 3).await, 100);
    b.batch_execute("UPDATE acct SET balance = 7 WHERE id = 1")
        .await
        .unwrap();
    a.batch_execute("COMMIT").await.unwrap();
    let row = b
        .query_one("SELECT id, balance FROM copied", &[])
        .await
        .unwrap();
    assert_eq!((row.get::<_, i32>(0), row.get::<_, i64>(1)), (1, 7));
}

/// A write run again at COMMIT computes what it computed when it ran: in the time
/// zone and with the settings of that moment, not those the block changed to
/// since (it used to store the later ones).
#[tokio::test]
async fn a_write_made_again_at_commit_uses_the_settings_it_ran_with() {
    let (_server, a, b) = two_sessions().await;
    a.batch_execute("CREATE TABLE noted (id integer PRIMARY KEY, at text, who text, n integer)")
        .await
        .unwrap();
    a.batch_execute("INSERT INTO noted VALUES (1, NULL, NULL, 0)")
        .await
        .unwrap();
    a.batch_execute("BEGIN; SET LOCAL TimeZone = 'UTC'; SET LOCAL app.user = 'alice'")
        .await
        .unwrap();
    a.execute(
        "UPDATE noted SET at = '2024-01-01 00:00+00'::timestamptz::text, \
         who = current_setting('app.user') WHERE id = 1",
        &[],
    )
    .await
    .unwrap();
    a.batch_execute("SET LOCAL TimeZone = 'Asia/Tokyo'; SET LOCAL app.user = 'bob'")
        .await
        .unwrap();
    // Another session changes the row: the UPDATE runs again at COMMIT.
    b.batch_execute("UPDATE noted SET n = 5 WHERE id = 1")
        .await
        .unwrap();
    a.batch_execute("COMMIT").await.unwrap();
    let row = b
        .query_one("SELECT at, who, n FROM noted WHERE id = 1", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "2024-01-01 00:00:00+00");
    assert_eq!(row.get::<_, String>(1), "alice");
    assert_eq!(row.get::<_, i32>(2), 5);
}

/// A block's INSERT that drew an id from a sequence keeps that id at COMMIT even
/// when it returned nothing and read a table another session then changed: the
/// client can have learned the id through `currval` (PHP's `lastInsertId()`), and
/// rows it wrote with it must still point at the same row. A statement that
/// draws a value is replayed at COMMIT, not run again, so its reads are validated
/// instead: here they changed, and COMMIT answers 40001.
#[tokio::test]
async fn ids_a_block_drew_are_the_ones_it_commits() {
    let (_server, a, b) = two_sessions().await;
    a.batch_execute(
        "CREATE TABLE parent (id serial PRIMARY KEY, name text);
         CREATE TABLE child (parent_id int, note text)",
    )
    .await
    .unwrap();
    a.batch_execute("BEGIN").await.unwrap();
    // A scan, not a read by primary key, so COMMIT cannot tell that running it
    // again would make the same changes.
    a.execute(
        "INSERT INTO parent (name) SELECT 'p' FROM acct WHERE balance = 100 AND id < 2",
        &[],
    )
    .await
    .unwrap();
    let drawn = scalar(&a, "SELECT currval('parent_id_seq')").await;
    a.execute("INSERT INTO child VALUES (lastval(), 'child')", &[])
        .await
        .unwrap();
    a.batch_execute("COMMIT").await.unwrap();
    let parent: i32 = b
        .query_one("SELECT id FROM parent", &[])
        .await
        .unwrap()
        .get(0);
    let child: i32 = b
        .query_one("SELECT parent_id FROM child", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!((i64::from(parent), i64::from(child)), (drawn, drawn));

    // The same, but the table the INSERT read changes before COMMIT.
    a.batch_execute("BEGIN").await.unwrap();
    a.execute(
        "INSERT INTO parent (name) SELECT 'q' FROM acct WHERE id = 1",
        &[],
    )
    .await
    .unwrap();
    b.execute("UPDATE acct SET balance = 0 WHERE id = 1", &[])
        .await
        .unwrap();
    assert_eq!(sqlstate(a.batch_execute("COMMIT").await), "40001");
    let parents = count_rows(&b, "parent").await;
    assert_eq!(parents, 1);
}

/// ALTER SEQUENCE in a block keeps the values other sessions draw meanwhile: a
/// rename carries the sequence's state as it is at COMMIT, RESTART starts it
/// over as asked, and new options apply at COMMIT to the state then — unless
/// the block drew from the sequence after altering it: those values came from
/// the state the block saw, so once someone else has drawn from it too, COMMIT
/// answers 40001 (keeping the block's state would hand out their values again).
#[tokio::test]
async fn alter_sequence_in_a_block_never_hands_out_a_value_twice() {
    let (_server, a, b) = two_sessions().await;
    a.batch_execute("CREATE SEQUENCE s").await.unwrap();
    assert_eq!(scalar(&b, "SELECT nextval('s')").await, 1);

    a.batch_execute("BEGIN; ALTER SEQUENCE s RENAME TO s2")
        .await
        .unwrap();
    assert_eq!(scalar(&b, "SELECT nextval('s')").await, 2);
    a.batch_execute("COMMIT").await.unwrap();
    assert_eq!(scalar(&b, "SELECT nextval('s2')").await, 3);

    a.batch_execute("BEGIN; ALTER SEQUENCE s2 RESTART WITH 100")
        .await
        .unwrap();
    assert_eq!(scalar(&b, "SELECT nextval('s2')").await, 4);
    a.batch_execute("COMMIT").await.unwrap();
    assert_eq!(scalar(&b, "SELECT nextval('s2')").await, 100);

    a.batch_execute("BEGIN; ALTER SEQUENCE s2 INCREMENT 10")
        .await
        .unwrap();
    assert_eq!(scalar(&b, "SELECT nextval('s2')").await, 101);
    a.batch_execute("COMMIT").await.unwrap();
    assert_eq!(scalar(&b, "SELECT nextval('s2')").await, 111);

    a.batch_execute("BEGIN; ALTER SEQUENCE s2 INCREMENT 1")
        .await
        .unwrap();
    assert_eq!(scalar(&a, "SELECT nextval('s2')").await, 112);
    assert_eq!(scalar(&b, "SELECT nextval('s2')").await, 121);
    assert_eq!(sqlstate(a.batch_execute("COMMIT").await), "40001");
    assert_eq!(
        scalar(&b, "SELECT nextval('s2')").await,
        131,
        "the failed block changed nothing"
    );

    // Nobody draws in between: the block's options and draws commit.
    a.batch_execute("BEGIN; ALTER SEQUENCE s2 INCREMENT 1")
        .await
        .unwrap();
    assert_eq!(scalar(&a, "SELECT nextval('s2')").await, 132);
    a.batch_execute("COMMIT").await.unwrap();
    assert_eq!(scalar(&b, "SELECT nextval('s2')").await, 133);

    // Altered and not drawn from: the block's later statements, rehearsed on
    // its changes, take the sequence where it is then.
    a.batch_execute("BEGIN; ALTER SEQUENCE s2 INCREMENT 2")
        .await
        .unwrap();
    assert_eq!(scalar(&b, "SELECT nextval('s2')").await, 134);
    assert_eq!(count_rows(&a, "acct").await, 3);
    a.batch_execute("COMMIT").await.unwrap();
    assert_eq!(scalar(&b, "SELECT nextval('s2')").await, 136);

    // A rename onto a name the block freed does not make the renamed
    // sequence's draws the block's own.
    a.batch_execute(
        "BEGIN; CREATE SEQUENCE freed; DROP SEQUENCE freed; ALTER SEQUENCE s2 RENAME TO freed",
    )
    .await
    .unwrap();
    assert_eq!(scalar(&a, "SELECT nextval('freed')").await, 138);
    assert_eq!(scalar(&b, "SELECT nextval('s2')").await, 140);
    a.batch_execute("COMMIT").await.unwrap();
    assert_eq!(scalar(&b, "SELECT nextval('freed')").await, 142);
}

/// Drivers describe every statement (asyncpg, SQLAlchemy's `create_all` inside a
/// transaction): DDL after DDL in a block describes as it does outside one, and
/// a sequence named by a text parameter is read as `regclass` reads it.
#[tokio::test]
async fn a_block_prepares_ddl_after_ddl_and_names_sequences_by_text() {
    let (_server, a, _b) = two_sessions().await;
    a.batch_execute("BEGIN").await.unwrap();
    a.batch_execute("CREATE TABLE first (id serial PRIMARY KEY)")
        .await
        .unwrap();
    let second = a
        .prepare("CREATE TABLE second (id bigserial PRIMARY KEY, v text)")
        .await
        .unwrap();
    a.execute(&second, &[]).await.unwrap();
    a.batch_execute("COMMIT").await.unwrap();
    let nextval = a.prepare("SELECT nextval($1)").await.unwrap();
    let name = "second_id_seq";
    let values: Vec<i64> = [
        a.query_one(&nextval, &[&name]).await.unwrap().get(0),
        a.query_one(&nextval, &[&name]).await.unwrap().get(0),
    ]
    .to_vec();
    assert_eq!(values, [1, 2]);
    assert_eq!(
        sqlstate(a.query_one(&nextval, &[&"acct"]).await),
        "42809",
        "a table is not a sequence"
    );
}

/// A migration in a block, as Django, Rails and Alembic run them: ALTER TABLE
/// then writes that use the new column commit together or not at all. A block
/// that rebuilt a table another session then changed commits if nothing it
/// returned depended on the rebuild (the ALTER runs again at COMMIT, on the rows
/// committed by then), and fails with 40001 if it read the rebuilt rows or drew
/// their values from a sequence.
#[tokio::test]
async fn alter_table_in_a_block_commits_with_it_or_not_at_all() {
    let (_server, a, b) = two_sessions().await;
    a.batch_execute(
        "CREATE TABLE items (id int PRIMARY KEY, name text);
         INSERT INTO items VALUES (1, 'one'), (2, 'two')",
    )
    .await
    .unwrap();
    a.batch_execute(
        "BEGIN;
         ALTER TABLE items ADD COLUMN price int NOT NULL DEFAULT 5, DROP COLUMN name;
         INSERT INTO items VALUES (3, 7);
         ROLLBACK",
    )
    .await
    .unwrap();
    let columns = scalar(
        &b,
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'items'",
    )
    .await;
    assert_eq!(columns, 2, "the rolled-back ALTER left the table as it was");

    a.batch_execute("BEGIN").await.unwrap();
    a.batch_execute("ALTER TABLE items ADD COLUMN price int NOT NULL DEFAULT 5")
        .await
        .unwrap();
    a.execute(
        "INSERT INTO items (id, name, price) VALUES (3, 'three', 7)",
        &[],
    )
    .await
    .unwrap();
    // Another session's row, committed before the block's COMMIT: the ALTER
    // made again at COMMIT gives it the default too.
    b.execute("INSERT INTO items VALUES (4, 'four')", &[])
        .await
        .unwrap();
    a.batch_execute("COMMIT").await.unwrap();
    let prices: Vec<(i32, i32)> = b
        .query("SELECT id, price FROM items ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(prices, [(1, 5), (2, 5), (3, 7), (4, 5)]);

    // The block reads the rebuilt rows, then someone changes one: what it read
    // is no longer so at COMMIT.
    a.batch_execute("BEGIN").await.unwrap();
    a.batch_execute("ALTER TABLE items ADD COLUMN n serial")
        .await
        .unwrap();
    let numbered = scalar(&a, "SELECT count(DISTINCT n) FROM items").await;
    assert_eq!(numbered, 4);
    b.execute("UPDATE items SET price = 6 WHERE id = 1", &[])
        .await
        .unwrap();
    assert_eq!(sqlstate(a.batch_execute("COMMIT").await), "40001");
    let columns = scalar(
        &b,
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'items'",
    )
    .await;
    assert_eq!(columns, 3, "the failed block added no column");

    // A new type's values were made from the rows as they were: once another
    // session changes the table, the block's next statement (rehearsed on the
    // block's changes made again) cannot use them.
    a.batch_execute("BEGIN").await.unwrap();
    a.batch_execute("ALTER TABLE items ALTER COLUMN price TYPE bigint USING price * 2")
        .await
        .unwrap();
    b.execute("UPDATE items SET price = 100 WHERE id = 1", &[])
        .await
        .unwrap();
    assert_eq!(
        sqlstate(
            a.execute("INSERT INTO items VALUES (5, 'five', 1)", &[])
                .await
        ),
        "40001"
    );
    a.batch_execute("ROLLBACK").await.unwrap();
    let price: i32 = b
        .query_one("SELECT price FROM items WHERE id = 1", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(price, 100, "still an integer, as the other session left it");
}

/// A row a statement in a block writes is checked against the table's CHECK
/// constraints when the statement runs, on the block's overlay as in a
/// rehearsal: the error comes at once, not at COMMIT.
#[tokio::test]
async fn check_constraints_fail_a_blocks_statement_at_once() {
    let (_server, a, b) = two_sessions().await;
    a.batch_execute(
        "CREATE TABLE stock (id int PRIMARY KEY, qty int CHECK (qty >= 0));
         INSERT INTO stock VALUES (1, 5)",
    )
    .await
    .unwrap();
    a.batch_execute("BEGIN").await.unwrap();
    a.execute("UPDATE stock SET qty = qty - 5 WHERE id = 1", &[])
        .await
        .unwrap();
    assert_eq!(
        sqlstate(
            a.execute("UPDATE stock SET qty = qty - 1 WHERE id = 1", &[])
                .await
        ),
        "23514"
    );
    assert_eq!(
        sqlstate(a.execute("SELECT 1", &[]).await),
        "25P02",
        "the block failed with its statement"
    );
    a.batch_execute("ROLLBACK").await.unwrap();
    a.batch_execute("BEGIN").await.unwrap();
    a.execute("INSERT INTO stock VALUES (2, 3)", &[])
        .await
        .unwrap();
    assert_eq!(
        sqlstate(a.execute("INSERT INTO stock VALUES (3, -3)", &[]).await),
        "23514"
    );
    a.batch_execute("ROLLBACK").await.unwrap();
    let qty: i32 = b
        .query_one("SELECT sum(qty)::int FROM stock", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(qty, 5);
}

/// Foreign keys in blocks: a statement that breaks one fails at once (its
/// checks run at the statement's end), one declared DEFERRABLE INITIALLY
/// DEFERRED is checked at COMMIT (a child may come before its parent, and an
/// unfixed one fails the COMMIT with 23503), and a cascade a statement made is
/// seen by the next statements and committed once.
#[tokio::test]
async fn foreign_keys_in_a_block() {
    let (_server, a, b) = two_sessions().await;
    a.batch_execute(
        "CREATE TABLE parent (id int PRIMARY KEY);
         CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent ON DELETE CASCADE);
         CREATE TABLE late (id int PRIMARY KEY,
             parent_id int REFERENCES parent DEFERRABLE INITIALLY DEFERRED);
         INSERT INTO parent VALUES (1), (2);
         INSERT INTO child VALUES (10, 1), (11, 1), (20, 2)",
    )
    .await
    .unwrap();

    a.batch_execute("BEGIN").await.unwrap();
    assert_eq!(
        sqlstate(a.execute("INSERT INTO child VALUES (30, 3)", &[]).await),
        "23503"
    );
    a.batch_execute("ROLLBACK").await.unwrap();

    a.batch_execute("BEGIN").await.unwrap();
    a.execute("INSERT INTO late VALUES (1, 3)", &[])
        .await
        .unwrap();
    a.execute("INSERT INTO parent VALUES (3)", &[])
        .await
        .unwrap();
    a.batch_execute("COMMIT").await.unwrap();

    a.batch_execute("BEGIN").await.unwrap();
    a.execute("INSERT INTO late VALUES (2, 4)", &[])
        .await
        .unwrap();
    assert_eq!(sqlstate(a.batch_execute("COMMIT").await), "23503");
    let late = count_rows(&b, "late").await;
    assert_eq!(late, 1);

    a.batch_execute("BEGIN").await.unwrap();
    a.execute("DELETE FROM parent WHERE id = 1", &[])
        .await
        .unwrap();
    let children = count_rows(&a, "child").await;
    assert_eq!(children, 1, "the cascade is seen in the block");
    a.execute("INSERT INTO child VALUES (21, 2)", &[])
        .await
        .unwrap();
    a.batch_execute("COMMIT").await.unwrap();
    let children: Vec<i32> = b
        .query("SELECT id FROM child ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(children, [20, 21]);
}

/// `SET CONSTRAINTS` in a block: a DEFERRABLE key made deferred lets a child
/// wait for a parent that another session commits before the COMMIT (the
/// statement made again at COMMIT keeps the mode it ran with), and made
/// immediate again it checks at once what the block left to COMMIT.
#[tokio::test]
async fn set_constraints_in_a_block() {
    let (_server, a, b) = two_sessions().await;
    a.batch_execute(
        "CREATE TABLE parent (id int PRIMARY KEY);
         CREATE TABLE child (id int PRIMARY KEY,
             parent_id int CONSTRAINT child_parent REFERENCES parent DEFERRABLE)",
    )
    .await
    .unwrap();

    a.batch_execute("BEGIN").await.unwrap();
    a.batch_execute("SET CONSTRAINTS child_parent DEFERRED")
        .await
        .unwrap();
    a.execute("INSERT INTO child VALUES (1, 1)", &[])
        .await
        .unwrap();
    b.execute("INSERT INTO parent VALUES (1)", &[])
        .await
        .unwrap();
    a.batch_execute("COMMIT").await.unwrap();
    let children = count_rows(&b, "child").await;
    assert_eq!(children, 1);

    assert_eq!(
        lock_requests(&a, "SET CONSTRAINTS").await,
        [("read".to_owned(), "SET CONSTRAINTS".to_owned())],
        "naming keys before the block wrote needs only the read lock"
    );

    a.batch_execute("BEGIN").await.unwrap();
    a.batch_execute("SET CONSTRAINTS ALL DEFERRED")
        .await
        .unwrap();
    a.execute("INSERT INTO child VALUES (2, 2)", &[])
        .await
        .unwrap();
    assert_eq!(
        sqlstate(a.batch_execute("SET CONSTRAINTS ALL IMMEDIATE").await),
        "23503"
    );
    assert_eq!(sqlstate(a.batch_execute("SELECT 1").await), "25P02");
    a.batch_execute("ROLLBACK").await.unwrap();
    assert!(
        lock_requests(&a, "SET CONSTRAINTS")
            .await
            .contains(&("write".to_owned(), "SET CONSTRAINTS".to_owned())),
        "checking the block's writes at once took the write lock"
    );
    let children = count_rows(&b, "child").await;
    assert_eq!(children, 1);

    // Among other statements of one query string, as clients send it.
    a.batch_execute(
        "BEGIN; SET CONSTRAINTS child_parent DEFERRED; INSERT INTO child VALUES (3, 3);
         INSERT INTO parent VALUES (3); COMMIT",
    )
    .await
    .unwrap();
    assert_eq!(count_rows(&b, "child").await, 2);
}
