//! The bank example module over real sockets with tokio-postgres: reducers called
//! with `CALL` (simple and extended protocol, literals, casts and parameters), their
//! errors with PostgreSQL's SQLSTATEs, the `richest` view, `turnstile_routines`,
//! durability of reducer writes across a restart without the module, and 16
//! sessions transferring concurrently without creating or losing money.

mod common;

use common::{assert_answers, DataDir, TestServer};

/// Servers here run the embedded bank module with a generous time budget: the budget
/// is wall clock, and on a loaded machine a descheduled writer thread could run a
/// transfer past the default 100 ms (the budgets have their own tests).
const UNHURRIED: &[&str] = &["--reducer-time-limit", "60s"];
use tokio_postgres::error::SqlState;
use tokio_postgres::types::Type;
use tokio_postgres::Client;

/// The balances of every account, by id.
async fn balances(client: &Client) -> Vec<(i64, i64)> {
    client
        .query("SELECT id, balance FROM accounts ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect()
}

/// The SQLSTATE and message of a statement that must fail.
async fn error_of(client: &Client, sql: &str) -> (String, String) {
    let error = client
        .simple_query(sql)
        .await
        .expect_err(&format!("{sql} must fail"));
    let db = error.as_db_error().expect("a server error");
    (db.code().code().to_owned(), db.message().to_owned())
}

async fn open_two_accounts(client: &Client) {
    client
        .batch_execute("CALL open_account(1, 'alice', 100); CALL open_account(2, 'bob', 50)")
        .await
        .unwrap();
}

#[tokio::test]
async fn transfers_move_money_and_refusals_change_nothing() {
    let server = TestServer::start_with_args(UNHURRIED);
    let client = server.connect().await;
    open_two_accounts(&client).await;
    client
        .batch_execute("CALL transfer(1, 2, 30)")
        .await
        .unwrap();
    assert_eq!(balances(&client).await, vec![(1, 70), (2, 80)]);

    let (code, message) = error_of(&client, "CALL transfer(2, 1, 81)").await;
    assert_eq!(code, "P0001");
    assert!(message.starts_with("insufficient funds"), "{message}");
    let (code, message) = error_of(&client, "CALL transfer(1, 99, 5)").await;
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("P0001", "no account 99")
    );
    let (code, message) = error_of(&client, "CALL transfer(98, 1, 5)").await;
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("P0001", "no account 98")
    );
    let (code, _) = error_of(&client, "CALL open_account(1, 'mallory', 1000000)").await;
    assert_eq!(code, "23505");
    assert_eq!(balances(&client).await, vec![(1, 70), (2, 80)]);

    client.batch_execute("CALL deposit(2, 20)").await.unwrap();
    let (code, message) = error_of(&client, "CALL deposit(3, 20)").await;
    assert_eq!((code.as_str(), message.as_str()), ("P0001", "no account 3"));
    // A transfer to oneself creates no money.
    client
        .batch_execute("CALL transfer(1, 1, 70)")
        .await
        .unwrap();
    assert_eq!(balances(&client).await, vec![(1, 70), (2, 100)]);
    assert_answers(&client).await;
}

/// A CHECK constraint holds for a reducer's writes as for SQL's: the module
/// gets 23514 from the host, the reducer's error carries it to the client, and
/// nothing the call wrote is kept.
#[tokio::test]
async fn reducer_writes_keep_check_constraints() {
    let server = TestServer::start_with_args(UNHURRIED);
    let client = server.connect().await;
    open_two_accounts(&client).await;
    client
        .batch_execute(
            "ALTER TABLE accounts ADD CONSTRAINT modest CHECK (balance <= 120);
             ALTER TABLE accounts ADD CONSTRAINT named CHECK (length(owner) > 1)",
        )
        .await
        .unwrap();
    let (code, message) = error_of(&client, "CALL transfer(1, 2, 80)").await;
    assert_eq!(code, "23514");
    assert!(message.contains("\"modest\""), "{message}");
    let (code, _) = error_of(&client, "CALL open_account(3, 'x', 5)").await;
    assert_eq!(code, "23514");
    let (code, _) = error_of(&client, "CALL deposit(2, 71)").await;
    assert_eq!(code, "23514");
    assert_eq!(balances(&client).await, vec![(1, 100), (2, 50)]);
    client
        .batch_execute("CALL transfer(1, 2, 70)")
        .await
        .unwrap();
    assert_eq!(balances(&client).await, vec![(1, 30), (2, 120)]);
}

/// A foreign key holds for a reducer's writes too: checked when the call ends,
/// a row that references nothing fails the call with 23503 and nothing it
/// wrote is kept; a reference that exists passes.
#[tokio::test]
async fn reducer_writes_keep_foreign_keys() {
    let server = TestServer::start_with_args(UNHURRIED);
    let client = server.connect().await;
    client
        .batch_execute(
            "CREATE TABLE owners (name text PRIMARY KEY);
             INSERT INTO owners VALUES ('alice'), ('bob');
             ALTER TABLE accounts ADD CONSTRAINT known_owner FOREIGN KEY (owner) REFERENCES owners",
        )
        .await
        .unwrap();
    open_two_accounts(&client).await;
    let (code, message) = error_of(&client, "CALL open_account(3, 'mallory', 5)").await;
    assert_eq!(code, "23503");
    assert!(message.contains("\"known_owner\""), "{message}");
    assert_eq!(balances(&client).await, vec![(1, 100), (2, 50)]);
    let (code, _) = error_of(&client, "DELETE FROM owners WHERE name = 'bob'").await;
    assert_eq!(code, "23503");
    client
        .batch_execute("CALL transfer(1, 2, 10)")
        .await
        .unwrap();
    assert_eq!(balances(&client).await, vec![(1, 90), (2, 60)]);
}

#[tokio::test]
async fn wrong_calls_answer_like_postgresql() {
    let server = TestServer::start_with_args(UNHURRIED);
    let client = server.connect().await;
    open_two_accounts(&client).await;
    let cases = [
        // No such procedure, or not with these arguments: 42883.
        ("CALL no_such_reducer(1)", "42883"),
        ("CALL transfer(1, 2)", "42883"),
        ("CALL transfer(1, 2, 3, 4)", "42883"),
        ("CALL transfer(1.5, 2, 3)", "42883"),
        ("CALL transfer(true, 2, 3)", "42883"),
        // A literal that is not a bigint: 22P02, as PostgreSQL.
        ("CALL transfer('one', 2, 3)", "22P02"),
        // A value out of the parameter's range.
        ("CALL transfer(1, 2, 99999999999999999999)", "42883"),
        // A view is not a procedure, and a reducer is not a table function.
        ("CALL richest(1)", "42809"),
        ("SELECT * FROM transfer(1, 2, 3)", "42809"),
        ("SELECT * FROM richest()", "42883"),
        ("CALL transfer(id, 2, 3)", "42703"),
        // NULL for a parameter the reducer does not take NULL for.
        ("CALL transfer(NULL, 2, 3)", "22004"),
    ];
    for (sql, expected) in cases {
        let (code, message) = error_of(&client, sql).await;
        assert_eq!(code, expected, "{sql}: {message}");
        assert_answers(&client).await;
    }
    // A view call WITH ORDINALITY numbers its rows, as any function in FROM.
    let numbered = client
        .query_one("SELECT ordinality FROM richest(1) WITH ORDINALITY", &[])
        .await
        .expect("a view call WITH ORDINALITY");
    assert_eq!(numbered.get::<_, i64>(0), 1);
    let (_, message) = error_of(&client, "CALL transfer(1, 2)").await;
    assert_eq!(
        message,
        "procedure transfer(integer, integer) does not exist"
    );
    // Casts are arguments like any other.
    client
        .batch_execute("CALL transfer('1'::bigint, CAST('2' AS int), 1::smallint)")
        .await
        .unwrap();
    assert_eq!(balances(&client).await, vec![(1, 99), (2, 51)]);
}

#[tokio::test]
async fn prepared_calls_take_parameters_of_the_declared_types() {
    let server = TestServer::start_with_args(UNHURRIED);
    let client = server.connect().await;
    open_two_accounts(&client).await;
    let transfer = client.prepare("CALL transfer($1, $2, $3)").await.unwrap();
    assert_eq!(transfer.params(), &[Type::INT8, Type::INT8, Type::INT8]);
    assert!(transfer.columns().is_empty());
    for _ in 0..10 {
        client
            .execute(&transfer, &[&1i64, &2i64, &5i64])
            .await
            .unwrap();
    }
    assert_eq!(balances(&client).await, vec![(1, 50), (2, 100)]);
    let error = client
        .execute(&transfer, &[&1i64, &2i64, &51i64])
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some(&SqlState::RAISE_EXCEPTION));
    // Text parameters of a typed statement, as `pgbench -M prepared` sends them.
    let open = client
        .prepare_typed(
            "CALL open_account($1, $2, $3)",
            &[Type::INT8, Type::TEXT, Type::INT8],
        )
        .await
        .unwrap();
    client
        .execute(&open, &[&3i64, &"carol", &7i64])
        .await
        .unwrap();
    assert_eq!(balances(&client).await, vec![(1, 50), (2, 100), (3, 7)]);
}

#[tokio::test]
async fn the_richest_view_returns_rows_under_the_read_lock() {
    let server = TestServer::start_with_args(UNHURRIED);
    let client = server.connect().await;
    client
        .batch_execute(
            "CALL open_account(1, 'alice', 100); CALL open_account(2, 'bob', 300);
             CALL open_account(3, 'carol', 200); CALL open_account(4, 'dave', 300)",
        )
        .await
        .unwrap();
    let rows = client
        .query("SELECT id, owner, balance FROM richest(3)", &[])
        .await
        .unwrap();
    let got: Vec<(i64, String, i64)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        got,
        vec![
            (2, "bob".into(), 300),
            (4, "dave".into(), 300),
            (3, "carol".into(), 200)
        ]
    );
    // A view is a relation like any other: filters, aliases, joins, parameters.
    let richest = client
        .prepare("SELECT r.owner FROM richest($1) AS r WHERE r.balance < 300")
        .await
        .unwrap();
    assert_eq!(richest.params(), &[Type::INT4]);
    let rows = client.query(&richest, &[&10i32]).await.unwrap();
    let owners: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(owners, vec!["carol".to_owned(), "alice".to_owned()]);
    let joined = client
        .query_one(
            "SELECT count(*) FROM richest(10) r JOIN accounts a ON a.id = r.id",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(joined.get::<_, i64>(0), 4);
    let explain = client
        .simple_query("EXPLAIN SELECT * FROM richest(2)")
        .await
        .unwrap();
    let plan: Vec<String> = explain
        .iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_owned),
            _ => None,
        })
        .collect();
    assert!(plan[0].contains("Function Scan on richest"), "{plan:?}");
}

/// A row of `turnstile_routines`: name, kind, arguments, result, module and budgets.
type RoutineRow = (String, String, String, Option<String>, String, i64, i64);

#[tokio::test]
async fn turnstile_routines_lists_reducers_and_views_with_budgets() {
    let server = TestServer::start_with_args(&["--reducer-time-limit", "250ms"]);
    let client = server.connect().await;
    let rows = client
        .query(
            "SELECT name, kind, arguments, result, module, time_budget_ms, memory_budget_mib \
             FROM turnstile_routines ORDER BY name",
            &[],
        )
        .await
        .unwrap();
    let got: Vec<RoutineRow> = rows
        .iter()
        .map(|r| {
            (
                r.get(0),
                r.get(1),
                r.get(2),
                r.get(3),
                r.get(4),
                r.get(5),
                r.get(6),
            )
        })
        .collect();
    let reducer = |name: &str, args: &str| {
        (
            name.to_owned(),
            "reducer".to_owned(),
            args.to_owned(),
            None,
            "bank".to_owned(),
            250,
            64,
        )
    };
    assert_eq!(
        got,
        vec![
            reducer("deposit", "id bigint, amount bigint"),
            reducer("open_account", "id bigint, owner text, balance bigint"),
            (
                "richest".into(),
                "view".into(),
                "n integer".into(),
                Some("TABLE(id bigint, owner text, balance bigint)".into()),
                "bank".into(),
                250,
                64
            ),
            reducer("transfer", "src bigint, dst bigint, amount bigint"),
        ]
    );
}

/// The loaded module is the extension `bank` (what pg_dump writes in place of
/// its reducers and tables): listed in pg_extension with its tables as
/// configuration tables, its reducers and tables its members in pg_depend,
/// created again only as a no-op (`IF NOT EXISTS`), never dropped while the
/// server runs; another extension is not available.
#[tokio::test]
async fn the_module_is_an_extension() {
    let server = TestServer::start();
    let client = server.connect().await;
    let row = client
        .query_one(
            "SELECT extname, extnamespace::regnamespace::text, \
                    (SELECT array_agg(c::regclass::text) FROM unnest(extconfig) c) \
             FROM pg_extension",
            &[],
        )
        .await
        .unwrap();
    let listed: (String, String, Vec<String>) = (row.get(0), row.get(1), row.get(2));
    assert_eq!(
        listed,
        ("bank".into(), "public".into(), vec!["accounts".into()])
    );
    let members: Vec<String> = client
        .query(
            "SELECT CASE WHEN d.classid = 'pg_proc'::regclass \
                         THEN (SELECT proname::text FROM pg_proc WHERE oid = d.objid) \
                         ELSE d.objid::regclass::text END \
             FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid \
             WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e' ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        members,
        ["accounts", "deposit", "open_account", "richest", "transfer"]
    );

    let created = client
        .simple_query("CREATE EXTENSION IF NOT EXISTS bank WITH SCHEMA public")
        .await
        .unwrap();
    assert!(matches!(
        created.last(),
        Some(tokio_postgres::SimpleQueryMessage::CommandComplete(0))
    ));
    assert_eq!(
        error_of(&client, "CREATE EXTENSION bank").await,
        ("42710".into(), "extension \"bank\" already exists".into())
    );
    let (code, message) = error_of(&client, "DROP EXTENSION bank").await;
    assert_eq!(code, "0A000", "{message}");
    let (code, message) = error_of(&client, "CREATE EXTENSION hstore").await;
    assert_eq!(code, "0A000", "{message}");
    assert!(message.contains("--module"), "{message}");
    assert_eq!(error_of(&client, "DROP EXTENSION hstore").await.0, "42704");
    client
        .batch_execute("DROP EXTENSION IF EXISTS hstore")
        .await
        .unwrap();
    assert_answers(&client).await;
}

/// Reducer writes are logged as row changes: a server restarted on the same data
/// directory with a different module (so the bank's code is not there to replay)
/// has every acknowledged transfer (invariant 5).
#[tokio::test]
async fn reducer_writes_survive_a_crash_without_the_module() {
    let data = DataDir::new();
    let mut server = TestServer::start_in(&data, UNHURRIED);
    let client = server.connect().await;
    open_two_accounts(&client).await;
    client
        .batch_execute("CALL transfer(1, 2, 30)")
        .await
        .unwrap();
    let _ = client.batch_execute("CALL transfer(2, 1, 1000)").await;
    server.kill_9();
    let testkit = format!("{}/turnstile_testkit.wasm", env!("TURNSTILE_MODULES_DIR"));
    let server = TestServer::start_in(&data, &["--module", &testkit]);
    let client = server.connect().await;
    assert_eq!(balances(&client).await, vec![(1, 70), (2, 80)]);
    let (code, _) = error_of(&client, "CALL transfer(1, 2, 1)").await;
    assert_eq!(code, "42883", "the bank's reducers are not loaded");
}

/// 16 sessions run random transfers among 10 accounts at once: every transfer is
/// all or nothing, so the total never changes and no balance goes negative.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_transfers_conserve_money() {
    const ACCOUNTS: i64 = 10;
    const START: i64 = 1_000;
    const SESSIONS: u64 = 16;
    const TRANSFERS: u64 = 150;
    let server = TestServer::start_with_args(UNHURRIED);
    let client = server.connect().await;
    for id in 1..=ACCOUNTS {
        client
            .execute(
                "CALL open_account($1, $2, $3)",
                &[&id, &format!("owner {id}"), &START],
            )
            .await
            .unwrap();
    }
    let mut tasks = Vec::new();
    for session in 0..SESSIONS {
        let client = server.connect().await;
        tasks.push(tokio::spawn(async move {
            let transfer = client.prepare("CALL transfer($1, $2, $3)").await.unwrap();
            let (mut ok, mut refused) = (0, 0);
            // A small deterministic generator per session: no shared state, no clock.
            let mut state = session.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            let mut next = move || {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state
            };
            for _ in 0..TRANSFERS {
                let src = (next() % ACCOUNTS as u64) as i64 + 1;
                let dst = (next() % ACCOUNTS as u64) as i64 + 1;
                let amount = (next() % 400) as i64;
                match client.execute(&transfer, &[&src, &dst, &amount]).await {
                    Ok(_) => ok += 1,
                    Err(e) => {
                        assert_eq!(e.code(), Some(&SqlState::RAISE_EXCEPTION), "{e}");
                        refused += 1;
                    }
                }
            }
            (ok, refused)
        }));
    }
    let mut completed = 0;
    for task in tasks {
        let (ok, refused) = task.await.unwrap();
        assert_eq!(ok + refused, TRANSFERS);
        completed += ok;
    }
    assert!(completed > 0);
    let balances = balances(&client).await;
    assert_eq!(balances.len(), ACCOUNTS as usize);
    assert!(balances.iter().all(|&(_, b)| b >= 0), "{balances:?}");
    let total: i64 = balances.iter().map(|&(_, b)| b).sum();
    assert_eq!(total, ACCOUNTS * START);
}
