//! `pgbench -i`, PostgreSQL 15's own initialization, against a real Turnstile: it
//! drops and creates its four tables (`WITH (fillfactor=100)`, `char(n)` fillers),
//! truncates them and loads them in a transaction block (INSERTs and `COPY … FROM
//! STDIN WITH (FREEZE on)`), then runs `VACUUM ANALYZE` and `ALTER TABLE … ADD
//! PRIMARY KEY` on each. A missing pgbench fails the test; set
//! TURNSTILE_SKIP_PSQL_TESTS=1 to skip it on purpose.

mod common;

use common::pg_tools;

/// `pgbench -i -s 1` succeeds and leaves what it loads: 100,000 accounts with
/// balance 0, 10 tellers, 1 branch; the keys are real primary keys (a duplicate
/// is refused) and point lookups use them.
#[tokio::test]
async fn pgbench_initializes_scale_1() {
    if !pg_tools::have("pgbench") {
        return;
    }
    let server = common::TestServer::start_with_args(&["--no-modules"]);
    let (ok, out, err) = pg_tools::run(&server, "pgbench", &["-i", "-s", "1", "y"], None);
    assert!(
        ok,
        "pgbench -i failed:\n{out}\n{err}\nserver log:\n{}",
        server.log()
    );
    let client = server.connect().await;
    let count = |sql: &'static str| {
        let client = &client;
        async move { client.query_one(sql, &[]).await.unwrap().get::<_, i64>(0) }
    };
    assert_eq!(
        count("select count(*) from pgbench_accounts").await,
        100_000
    );
    assert_eq!(count("select count(*) from pgbench_tellers").await, 10);
    assert_eq!(count("select count(*) from pgbench_branches").await, 1);
    assert_eq!(
        count("select count(*) from pgbench_accounts where abalance <> 0").await,
        0
    );
    let e = client
        .execute(
            "insert into pgbench_accounts (aid, bid, abalance) values (7, 1, 0)",
            &[],
        )
        .await
        .unwrap_err();
    assert_eq!(e.as_db_error().map(|d| d.code().code()), Some("23505"));
    let plan = client
        .query_one(
            "explain select abalance from pgbench_accounts where aid = 7",
            &[],
        )
        .await
        .unwrap();
    assert!(plan.get::<_, &str>(0).contains("pgbench_accounts_pkey"));
}
