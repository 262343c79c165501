//! pgbench 15 against a real Turnstile. `pgbench -i`, its own initialization,
//! drops and creates its four tables (`WITH (fillfactor=100)`, `char(n)` fillers),
//! truncates them and loads them in a transaction block (INSERTs and `COPY … FROM
//! STDIN WITH (FREEZE on)`), then runs `VACUUM ANALYZE` and `ALTER TABLE … ADD
//! PRIMARY KEY` on each. A benchmark run first reads the scale and the partitioning
//! of `pgbench_accounts` (a catalog query with `CROSS JOIN LATERAL`), then runs its
//! transaction blocks. A missing pgbench fails the test; set
//! TURNSTILE_SKIP_PSQL_TESTS=1 to skip it on purpose.

mod common;

use common::pg_tools;

/// The query pgbench 15 runs before a benchmark (`GetTableInfo` in pgbench.c),
/// word for word. pgbench takes a failure of it for "not partitioned" and goes
/// on, so the run alone would not show that it works.
const TABLE_INFO_QUERY: &str = "select o.n, p.partstrat, pg_catalog.count(i.inhparent) \
     from pg_catalog.pg_class as c \
     join pg_catalog.pg_namespace as n on (n.oid = c.relnamespace) \
     cross join lateral (select pg_catalog.array_position(pg_catalog.current_schemas(true), n.nspname)) as o(n) \
     left join pg_catalog.pg_partitioned_table as p on (p.partrelid = c.oid) \
     left join pg_catalog.pg_inherits as i on (c.oid = i.inhparent) \
     where c.relname = 'pgbench_accounts' and o.n is not null \
     group by 1, 2 \
     order by 1 asc \
     limit 1";

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

/// After `pgbench -i -s 1`, pgbench's table-info query answers as PostgreSQL's
/// does (found in schema 2 of the search path, not partitioned, no partitions),
/// and a TPC-B-like run of two clients with 20 transactions each completes every
/// transaction (a serialization failure is retried, up to 10 tries).
#[tokio::test]
async fn pgbench_runs_tpcb_like() {
    if !pg_tools::have("pgbench") {
        return;
    }
    let server = common::TestServer::start_with_args(&["--no-modules"]);
    let (ok, out, err) = pg_tools::run(&server, "pgbench", &["-i", "-s", "1", "y"], None);
    assert!(ok, "pgbench -i failed:\n{out}\n{err}");
    let client = server.connect().await;
    let info = client.query_one(TABLE_INFO_QUERY, &[]).await.unwrap();
    assert_eq!(info.get::<_, Option<i32>>(0), Some(2));
    assert_eq!(info.get::<_, Option<i8>>(1), None, "partstrat (\"char\")");
    assert_eq!(info.get::<_, i64>(2), 0);
    let args = [
        "-n",
        "-c",
        "2",
        "-t",
        "20",
        "-b",
        "tpcb-like",
        "--max-tries=10",
        "y",
    ];
    let (ok, out, err) = pg_tools::run(&server, "pgbench", &args, None);
    assert!(
        ok,
        "pgbench failed:\n{out}\n{err}\nserver log:\n{}",
        server.log()
    );
    assert!(
        out.contains("number of transactions actually processed: 40/40"),
        "{out}"
    );
    let history = client
        .query_one("select count(*) from pgbench_history", &[])
        .await
        .unwrap();
    assert_eq!(history.get::<_, i64>(0), 40);
}
