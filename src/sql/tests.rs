//! End-to-end tests of the engine without the wire: statements through the
//! turnstile, results printed as text rows.

use std::sync::Arc;

use crate::db::Database;
use crate::sql::{parse, Engine, Output, PreparedStatement, QueryContext, SqlError};
use crate::turnstile::{Turnstile, TurnstileConfig};
use crate::types::{DataType, Value};
use crate::wire::STATEMENT_BYTES_MAX_DEFAULT;

fn engine() -> Engine {
    let turnstile = Turnstile::start(
        Database::new(),
        TurnstileConfig {
            reader_threads: 1,
            queue_capacity: 16,
            ..TurnstileConfig::default()
        },
    )
    .expect("threads start");
    Engine::new(turnstile, None)
}

fn context() -> QueryContext {
    QueryContext {
        statement_time_us: 0,
        ..QueryContext::internal()
    }
}

/// Runs every statement of `sql`; returns the last one's rows as `a|b` lines, or
/// its tag, or `ERROR <sqlstate>: message`.
fn run(engine: &Engine, sql: &str) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let statements = match parse(sql) {
        Ok(s) => s,
        Err(e) => {
            return vec![format!(
                "ERROR {}: {e}",
                crate::Error::from(e.clone()).sqlstate()
            )]
        }
    };
    let mut last = Vec::new();
    for stmt in statements {
        let prepared = PreparedStatement::new(stmt, Vec::new());
        last = match rt.block_on(engine.execute(&prepared, &[], context())) {
            Ok(Output::Rows { rows, .. }) => rows
                .iter()
                .map(|r| {
                    r.iter()
                        .map(|v| {
                            if v.is_null() {
                                "NULL".to_owned()
                            } else {
                                v.to_text()
                            }
                        })
                        .collect::<Vec<_>>()
                        .join("|")
                })
                .collect(),
            Ok(Output::Command(tag)) => vec![format!("{} {:?}", tag.command, tag.rows)],
            Err(e) => return vec![format!("ERROR {}: {e}", e.sqlstate())],
        };
    }
    last
}

fn check(engine: &Engine, sql: &str, expected: &[&str]) {
    assert_eq!(run(engine, sql), expected, "{sql}");
}

/// The basic loop: create, insert, select with a point lookup and a filter.
#[test]
fn create_insert_select() {
    let e = engine();
    check(&e, "CREATE TABLE accounts (id BIGINT PRIMARY KEY, owner TEXT NOT NULL, balance BIGINT DEFAULT 0)", &["CREATE TABLE None"]);
    check(
        &e,
        "INSERT INTO accounts VALUES (1, 'ann', 100), (2, 'bob', 50)",
        &["INSERT Some(2)"],
    );
    check(
        &e,
        "INSERT INTO accounts (id, owner) VALUES (3, 'cy')",
        &["INSERT Some(1)"],
    );
    check(&e, "SELECT balance FROM accounts WHERE id = 2", &["50"]);
    check(
        &e,
        "SELECT id, owner FROM accounts WHERE balance >= 50 ORDER BY id DESC",
        &["2|bob", "1|ann"],
    );
    check(&e, "SELECT * FROM accounts WHERE id = 3", &["3|cy|0"]);
    check(
        &e,
        "INSERT INTO accounts VALUES (1, 'dup', 0)",
        &["ERROR 23505: duplicate key value violates unique constraint \"accounts_pkey\""],
    );
    check(
        &e,
        "SELECT count(*), sum(balance), avg(balance), min(owner), max(id) FROM accounts",
        &["3|150|50.0000000000000000|ann|3"],
    );
}

/// UPDATE and DELETE with RETURNING, and the count tags.
#[test]
fn update_delete() {
    let e = engine();
    run(&e, "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)");
    run(&e, "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')");
    check(
        &e,
        "UPDATE t SET v = v || '!' WHERE id >= 2 RETURNING id, v",
        &["2|b!", "3|c!"],
    );
    check(&e, "DELETE FROM t WHERE id = 1", &["DELETE Some(1)"]);
    check(&e, "UPDATE t SET id = id + 10", &["UPDATE Some(2)"]);
    check(&e, "SELECT id FROM t ORDER BY 1", &["12", "13"]);
}

/// Joins (inner, left, right, USING, comma), grouping, HAVING, subqueries.
#[test]
fn queries() {
    let e = engine();
    run(&e, "CREATE TABLE a (id INT PRIMARY KEY, name TEXT); CREATE TABLE b (id INT PRIMARY KEY, a_id INT, amount NUMERIC)");
    run(&e, "INSERT INTO a VALUES (1, 'x'), (2, 'y'), (3, NULL)");
    run(
        &e,
        "INSERT INTO b VALUES (10, 1, 1.5), (11, 1, 2.5), (12, 2, 3), (13, NULL, 4)",
    );
    check(
        &e,
        "SELECT a.name, b.amount FROM a JOIN b ON b.a_id = a.id ORDER BY b.id",
        &["x|1.5", "x|2.5", "y|3"],
    );
    check(
        &e,
        "SELECT a.id, count(b.id) FROM a LEFT JOIN b ON b.a_id = a.id GROUP BY a.id ORDER BY a.id",
        &["1|2", "2|1", "3|0"],
    );
    check(
        &e,
        "SELECT b.id, a.name FROM a RIGHT JOIN b ON b.a_id = a.id ORDER BY 1",
        &["10|x", "11|x", "12|y", "13|NULL"],
    );
    check(&e, "SELECT count(*) FROM a, b WHERE a.id = b.a_id", &["3"]);
    check(
        &e,
        "SELECT a_id, sum(amount) AS s FROM b GROUP BY a_id HAVING sum(amount) > 3 ORDER BY s",
        &["1|4.0", "NULL|4"],
    );
    check(
        &e,
        "SELECT name FROM a WHERE id IN (SELECT a_id FROM b) ORDER BY name",
        &["x", "y"],
    );
    check(
        &e,
        "SELECT id FROM a WHERE NOT EXISTS (SELECT 1 FROM b WHERE b.a_id = a.id)",
        &["3"],
    );
    check(
        &e,
        "SELECT id FROM a WHERE id NOT IN (SELECT a_id FROM b)",
        &[] as &[&str],
    );
    check(
        &e,
        "SELECT (SELECT max(amount) FROM b WHERE b.a_id = a.id) FROM a ORDER BY id",
        &["2.5", "3", "NULL"],
    );
    check(
        &e,
        "SELECT (SELECT id FROM b)",
        &["ERROR 21000: more than one row returned by a subquery used as an expression"],
    );
    check(
        &e,
        "SELECT name, id FROM a ORDER BY name NULLS FIRST",
        &["NULL|3", "x|1", "y|2"],
    );
    check(
        &e,
        "SELECT id FROM a ORDER BY name DESC LIMIT 2 OFFSET 0",
        &["3", "2"],
    );
    check(
        &e,
        "SELECT DISTINCT a_id FROM b WHERE a_id IS NOT NULL ORDER BY a_id",
        &["1", "2"],
    );
    check(
        &e,
        "SELECT id FROM a UNION SELECT a_id FROM b ORDER BY 1",
        &["1", "2", "3", "NULL"],
    );
    check(&e, "SELECT name FROM a GROUP BY id", &["x", "y", "NULL"]);
    check(&e, "SELECT name, count(*) FROM a", &["ERROR 42803: column \"a.name\" must appear in the GROUP BY clause or be used in an aggregate function"]);
    check(&e, "SELECT count(*) FROM a WHERE false", &["0"]);
    check(&e, "SELECT CASE WHEN id > 1 THEN 'big' ELSE 'small' END, coalesce(name, '?') FROM a ORDER BY id", &["small|x", "big|y", "big|?"]);
    check(
        &e,
        "SELECT 1 + 'a'::text",
        &["ERROR 42883: operator does not exist: integer + text"],
    );
    check(
        &e,
        "SELECT * FROM nope",
        &["ERROR 42P01: relation \"nope\" does not exist"],
    );
    check(
        &e,
        "SELECT nope FROM a",
        &["ERROR 42703: column \"nope\" does not exist"],
    );
    check(
        &e,
        "SELECT id FROM a, b",
        &["ERROR 42702: column reference \"id\" is ambiguous"],
    );
    check(
        &e,
        "SELECT lower('AbC'), length('abc'), abs(-3), 7 / 2, 1 / 0",
        &["ERROR 22012: division by zero"],
    );
    check(
        &e,
        "SELECT lower('AbC'), length('abc'), abs(-3), 7 / 2",
        &["abc|3|3|3"],
    );
    check(
        &e,
        "SELECT id FROM a WHERE name LIKE 'x%' OR name ILIKE 'Y'",
        &["1", "2"],
    );
    check(
        &e,
        "SELECT id FROM a WHERE id BETWEEN 2 AND 3 AND name IS NULL",
        &["3"],
    );
    check(&e, "VALUES (1, 'a'), (2, 'b')", &["1|a", "2|b"]);
    check(
        &e,
        "SELECT * FROM (SELECT id * 2 AS d FROM a) s WHERE d > 2 ORDER BY d",
        &["4", "6"],
    );
    // What is not supported is named by its keywords, not by a cut of its text.
    check(
        &e,
        "EXPLAIN EXECUTE q(1, 2)",
        &["ERROR 0A000: EXPLAIN of EXECUTE is not supported"],
    );
}

/// ON CONFLICT, defaults, assignment casts, views, EXPLAIN.
#[test]
fn writes_and_views() {
    let e = engine();
    run(
        &e,
        "CREATE TABLE kv (k TEXT PRIMARY KEY, v INT NOT NULL DEFAULT 7, note VARCHAR(3) UNIQUE)",
    );
    check(
        &e,
        "INSERT INTO kv (k) VALUES ('a') RETURNING *",
        &["a|7|NULL"],
    );
    check(
        &e,
        "INSERT INTO kv VALUES ('a', 1) ON CONFLICT DO NOTHING",
        &["INSERT Some(0)"],
    );
    check(&e, "INSERT INTO kv VALUES ('a', 1) ON CONFLICT (k) DO UPDATE SET v = kv.v + excluded.v RETURNING v", &["8"]);
    check(&e, "INSERT INTO kv VALUES ('b', 1) ON CONFLICT (v) DO NOTHING", &["ERROR 42P10: there is no unique or exclusion constraint matching the ON CONFLICT specification"]);
    check(
        &e,
        "INSERT INTO kv VALUES ('c', 'x')",
        &["ERROR 22P02: invalid input syntax for type integer: \"x\""],
    );
    check(
        &e,
        "INSERT INTO kv VALUES ('c', 'x'::text)",
        &["ERROR 42804: column \"v\" is of type integer but expression is of type text"],
    );
    check(
        &e,
        "INSERT INTO kv VALUES ('c', 1, 'toolong')",
        &["ERROR 22001: value too long for type character varying(3)"],
    );
    check(
        &e,
        "INSERT INTO kv VALUES ('c', 3000000000)",
        &["ERROR 22003: integer out of range"],
    );
    check(&e, "INSERT INTO kv VALUES ('c', NULL)", &["ERROR 23502: null value in column \"v\" of relation \"kv\" violates not-null constraint"]);
    run(&e, "CREATE VIEW big AS SELECT k, v FROM kv WHERE v > 5");
    check(&e, "SELECT * FROM big", &["a|8"]);
    check(
        &e,
        "INSERT INTO big VALUES ('z', 1)",
        &["ERROR 0A000: writing to view \"big\" (views are read-only) is not supported"],
    );
    check(
        &e,
        "EXPLAIN SELECT v FROM kv WHERE k = 'a'",
        &["Index Scan using kv_pkey on kv (k = 'a')"],
    );
    check(&e, "CREATE INDEX ON kv (v)", &["CREATE INDEX None"]);
    check(
        &e,
        "EXPLAIN SELECT k FROM kv WHERE v = 3",
        &["Index Scan using kv_v_idx on kv (v = 3)"],
    );
    check(&e, "DROP INDEX kv_v_idx", &["DROP INDEX None"]);
    check(&e, "DROP VIEW big", &["DROP VIEW None"]);
    check(&e, "TRUNCATE kv", &["TRUNCATE TABLE None"]);
    check(&e, "SELECT count(*) FROM kv", &["0"]);
    check(
        &e,
        "DROP TABLE kv, nope",
        &["ERROR 42P01: table \"nope\" does not exist"],
    );
    check(&e, "SELECT count(*) FROM kv", &["0"]);
    check(&e, "DROP TABLE IF EXISTS kv, nope", &["DROP TABLE None"]);
}

/// Runs `prepared` once with `params` on `rt`.
fn execute_prepared(
    rt: &tokio::runtime::Runtime,
    engine: &Engine,
    prepared: &PreparedStatement,
    params: &[Value],
) -> Result<Output, crate::Error> {
    rt.block_on(engine.execute(prepared, params, context()))
}

/// The column names and first row of an output, as `name,name` and `v|v`.
fn columns_and_row(output: Output) -> (String, String) {
    let Output::Rows { columns, rows, .. } = output else {
        panic!("expected rows, got {output:?}");
    };
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    let row: Vec<String> = rows
        .first()
        .map(|r| r.iter().map(Value::to_text).collect())
        .unwrap_or_default();
    (names.join(","), row.join("|"))
}

/// The plan cache: a prepared query keeps the plan of its first run while the
/// catalog is unchanged (the same Arc comes back), and after DDL (t dropped and
/// recreated with other columns) it is planned again against the new schema and
/// returns the new columns. Refusing the changed result type is the wire layer's
/// job, tested in tests/wire_protocol.rs.
#[test]
fn prepared_query_is_replanned_after_ddl() {
    let e = engine();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    run(&e, "CREATE TABLE t (id BIGINT PRIMARY KEY, a TEXT)");
    run(&e, "INSERT INTO t VALUES (1, 'x')");
    let stmt = parse("SELECT * FROM t WHERE id = $1").unwrap().remove(0);
    let prepared = PreparedStatement::new(stmt, vec![Some(DataType::Int8)]);
    let first = execute_prepared(&rt, &e, &prepared, &[Value::Int8(1)]).unwrap();
    assert_eq!(columns_and_row(first), ("id,a".into(), "1|x".into()));
    let plan = prepared.cached_plan().expect("a plan is kept");
    assert!(plan.catalog_version.is_some());
    execute_prepared(&rt, &e, &prepared, &[Value::Int8(2)]).unwrap();
    let same = prepared.cached_plan().expect("still kept");
    assert!(Arc::ptr_eq(&plan, &same), "no DDL: the plan is reused");

    run(&e, "DROP TABLE t");
    let gone = execute_prepared(&rt, &e, &prepared, &[Value::Int8(1)]);
    assert_eq!(gone.unwrap_err().sqlstate(), "42P01");
    run(&e, "CREATE TABLE t (id BIGINT PRIMARY KEY, b INT, c TEXT)");
    run(&e, "INSERT INTO t VALUES (1, 5, 'y')");
    let after = execute_prepared(&rt, &e, &prepared, &[Value::Int8(1)]).unwrap();
    assert_eq!(columns_and_row(after), ("id,b,c".into(), "1|5|y".into()));
    let replanned = prepared.cached_plan().expect("a new plan is kept");
    assert!(!Arc::ptr_eq(&plan, &replanned));
    assert_ne!(replanned.catalog_version, plan.catalog_version);
}

/// Writes keep their plans too: a prepared UPDATE is bound once and reused with
/// new values while the catalog is unchanged; an index created in between makes it
/// plan again (the new plan can use the index), and a dropped column makes the
/// next run fail as a fresh bind would (42703), never run the stale plan.
#[test]
fn prepared_write_keeps_its_plan_until_ddl() {
    let e = engine();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    run(
        &e,
        "CREATE TABLE t (id BIGINT PRIMARY KEY, a BIGINT, b BIGINT)",
    );
    run(&e, "INSERT INTO t VALUES (1, 10, 0), (2, 20, 0)");
    let stmt = parse("UPDATE t SET b = b + $2 WHERE a = $1")
        .unwrap()
        .remove(0);
    let prepared = PreparedStatement::new(stmt, vec![]);
    // The rows the UPDATE changed.
    let add = |a: i64, by: i64| match execute_prepared(
        &rt,
        &e,
        &prepared,
        &[Value::Int8(a), Value::Int8(by)],
    ) {
        Ok(Output::Command(tag)) => Ok(tag.rows),
        Ok(other) => panic!("expected a command tag, got {other:?}"),
        Err(e) => Err(e.sqlstate().to_owned()),
    };
    assert_eq!(add(10, 5), Ok(Some(1)));
    let plan = prepared.cached_write().expect("a write plan is kept");
    assert_eq!(add(20, 7), Ok(Some(1)));
    let same = prepared.cached_write().expect("still kept");
    assert!(Arc::ptr_eq(&plan, &same), "no DDL: the plan is reused");
    check(&e, "SELECT id, b FROM t ORDER BY id", &["1|5", "2|7"]);

    run(&e, "CREATE INDEX t_a ON t (a)");
    assert_eq!(add(10, 1), Ok(Some(1)));
    let replanned = prepared.cached_write().expect("a new plan is kept");
    assert!(!Arc::ptr_eq(&plan, &replanned));
    check(&e, "SELECT b FROM t WHERE id = 1", &["6"]);

    run(&e, "DROP TABLE t");
    run(&e, "CREATE TABLE t (id BIGINT PRIMARY KEY, a BIGINT)");
    assert_eq!(add(10, 1), Err("42703".to_owned()));
}

/// Which cached write plans count as short (bounded work whatever the data, so a
/// block may rehearse them on the session's task): rows by primary key or a few
/// rows of values; never a scan, an INSERT … SELECT or a subquery.
#[test]
fn only_bounded_writes_are_short() {
    let e = engine();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    run(&e, "CREATE TABLE t (id BIGINT PRIMARY KEY, v BIGINT)");
    run(&e, "CREATE TABLE u (id BIGINT PRIMARY KEY)");
    let short = |sql: &str| {
        let prepared = PreparedStatement::new(parse(sql).unwrap().remove(0), vec![]);
        execute_prepared(&rt, &e, &prepared, &[]).unwrap();
        prepared.cached_write().expect("planned").plan.is_short()
    };
    assert!(short("INSERT INTO t VALUES (1, 10), (2, 20)"));
    assert!(short("UPDATE t SET v = v + 1 WHERE id = 1"));
    assert!(short("DELETE FROM t WHERE id IN (2, 3) RETURNING v"));
    assert!(!short("UPDATE t SET v = 0 WHERE v > 5"), "a scan");
    assert!(
        !short("INSERT INTO u SELECT id FROM t"),
        "a query as source"
    );
    assert!(
        !short("UPDATE t SET v = (SELECT count(*) FROM u) WHERE id = 1"),
        "a subquery"
    );
}

/// A query that reads no table is planned against the empty catalog, keeps a plan
/// that no catalog version invalidates, and answers while a writer holds the write
/// lock (it takes no lock). The writer is a write request that blocks on a channel
/// until the test releases it.
#[test]
fn select_without_table_takes_no_lock() {
    let turnstile = Turnstile::start(
        Database::new(),
        TurnstileConfig {
            reader_threads: 1,
            queue_capacity: 16,
            ..TurnstileConfig::default()
        },
    )
    .expect("threads start");
    let e = Engine::new(turnstile.clone(), None);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (held_tx, held_rx) = std::sync::mpsc::channel::<()>();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let writer = rt.spawn(async move {
        turnstile
            .write("test", move |_txn| {
                held_tx.send(()).expect("test waits");
                release_rx.recv().expect("test releases");
                Ok::<(), SqlError>(())
            })
            .await
    });
    held_rx.recv().expect("the writer holds the lock");
    let stmt = parse("SELECT 1 + $1, now() IS NOT NULL").unwrap().remove(0);
    let prepared = PreparedStatement::new(stmt, vec![Some(DataType::Int4)]);
    let answer = rt.block_on(async {
        tokio::time::timeout(
            std::time::Duration::from_secs(10),
            e.execute(&prepared, &[Value::Int4(41)], context()),
        )
        .await
    });
    let output = answer.expect("answered while the lock was held").unwrap();
    assert_eq!(columns_and_row(output).1, "42|t");
    let plan = prepared.cached_plan().expect("a plan is kept");
    assert_eq!(plan.catalog_version, None);
    release_tx.send(()).unwrap();
    rt.block_on(writer).unwrap().unwrap().unwrap();
}

/// `turnstile_wal` is a system relation the binder resolves (with projections,
/// filters, aliases and EXPLAIN); its name is reserved against CREATE, and writes
/// and schema changes to it are 42809. This engine has no log, so it has no row,
/// and CHECKPOINT is 0A000.
#[test]
fn system_relation_turnstile_wal() {
    let e = engine();
    check(&e, "SELECT * FROM turnstile_wal", &[]);
    check(
        &e,
        "SELECT count(*) FROM public.turnstile_wal w WHERE w.durable_lsn >= 0",
        &["0"],
    );
    check(
        &e,
        "EXPLAIN SELECT written_lsn FROM turnstile_wal WHERE flushes > 0",
        &[
            "Filter",
            "  Filter: (flushes > 0)",
            "  ->  System Scan on turnstile_wal",
        ],
    );
    check(
        &e,
        "SELECT nope FROM turnstile_wal",
        &["ERROR 42703: column \"nope\" does not exist"],
    );
    check(
        &e,
        "CREATE TABLE turnstile_wal (a INT)",
        &["ERROR 42P07: relation \"turnstile_wal\" already exists"],
    );
    check(
        &e,
        "CREATE TABLE IF NOT EXISTS turnstile_wal (a INT)",
        &["CREATE TABLE None"],
    );
    check(
        &e,
        "CREATE VIEW turnstile_wal AS SELECT 1",
        &["ERROR 42P07: relation \"turnstile_wal\" already exists"],
    );
    run(&e, "CREATE TABLE t (a INT)");
    check(
        &e,
        "CREATE INDEX turnstile_wal ON t (a)",
        &["ERROR 42P07: relation \"turnstile_wal\" already exists"],
    );
    for (sql, what) in [
        ("INSERT INTO turnstile_wal VALUES (1)", ""),
        ("UPDATE turnstile_wal SET flushes = 0", ""),
        ("DELETE FROM turnstile_wal", ""),
        ("DROP TABLE turnstile_wal", "dropped"),
        ("TRUNCATE turnstile_wal", "truncated"),
        ("CREATE INDEX ON turnstile_wal (flushes)", "indexed"),
    ] {
        let expected = if what.is_empty() {
            "ERROR 42809: cannot change system relation \"turnstile_wal\"".to_owned()
        } else {
            format!("ERROR 42809: \"turnstile_wal\" is a system relation and cannot be {what}")
        };
        check(&e, sql, &[expected.as_str()]);
    }
    check(
        &e,
        "checkpoint;",
        &["ERROR 0A000: CHECKPOINT without a data directory (this server keeps data in memory only) is not supported"],
    );
}

/// Parses, clones (as a template does), binds, plans, runs and drops `sql` on a
/// thread with a `stack_bytes` stack, as a session and a reader thread would (the
/// whole read path, without the turnstile).
fn read_on_stack(sql: &str, stack_bytes: usize) -> Result<Vec<Vec<Value>>, SqlError> {
    let sql = sql.to_owned();
    std::thread::Builder::new()
        .stack_size(stack_bytes)
        .spawn(move || {
            let db = Database::new();
            let statements = parse(&sql)?;
            let ctx = context();
            let mut rows = Vec::new();
            for stmt in &statements {
                drop(stmt.clone());
                if let Output::Rows { rows: r, .. } =
                    crate::sql::exec::execute_read(&db, stmt, &[], &ctx)?
                {
                    rows = r;
                }
            }
            Ok(rows)
        })
        .expect("thread starts")
        .join()
        .expect("no panic")
}

/// Every expression shape at the deepest nesting allowed runs on a thread with an
/// eighth of the stack of a thread that runs statements, and the longest chain
/// of set operations allowed on half of it, in whatever profile the test is built with (the
/// unoptimized one has the largest frames); one level deeper is 54001, and so is
/// a chain as long as a statement may be, which is dropped without overflowing
/// anything; nesting past sqlparser's own recursion limit (parentheses,
/// subqueries) is 42601.
#[test]
fn deep_statements_fit() {
    let max = crate::sql::binder::EXPR_DEPTH_MAX;
    let expr_stack_bytes = crate::sql::parse::STATEMENT_THREAD_STACK_BYTES / 8;
    // Each shape, for a number of operators; `depth` operators nest depth+1 levels.
    type Shape = fn(usize) -> String;
    let shapes: [(&str, Shape); 5] = [
        ("plus", |n| format!("select 1{}", "+1".repeat(n))),
        ("or", |n| format!("select 1=1{}", " or 1=1".repeat(n - 1))),
        ("concat", |n| format!("select 'a'{}", "||'a'".repeat(n))),
        ("cast", |n| format!("select 1{}", "::int4".repeat(n))),
        ("is null", |n| format!("select 1{}", " is null".repeat(n))),
    ];
    for (name, shape) in shapes {
        let deepest = read_on_stack(&shape(max - 1), expr_stack_bytes);
        assert!(deepest.is_ok(), "{name} at the limit: {deepest:?}");
        let deeper = read_on_stack(&shape(max), expr_stack_bytes);
        assert!(
            matches!(deeper, Err(SqlError::StackDepthExceeded(_))),
            "{name} past the limit: {deeper:?}"
        );
        let longest = read_on_stack(&shape(STATEMENT_BYTES_MAX_DEFAULT / 8), expr_stack_bytes);
        assert!(
            matches!(longest, Err(SqlError::StackDepthExceeded(_))),
            "{name} as long as a statement may be: {longest:?}"
        );
    }
    let unions = |n: usize| format!("select 1{}", " union all select 1".repeat(n));
    let set_max = crate::sql::binder::SET_OPERATIONS_DEPTH_MAX;
    // A level of a set operation takes 10 to 25 KiB of stack unoptimized.
    let set_stack_bytes = crate::sql::parse::STATEMENT_THREAD_STACK_BYTES / 2;
    let rows = read_on_stack(&unions(set_max), set_stack_bytes).unwrap();
    assert_eq!(rows.len(), set_max + 1);
    for n in [set_max + 1, STATEMENT_BYTES_MAX_DEFAULT / 20] {
        let deeper = read_on_stack(&unions(n), set_stack_bytes);
        assert!(
            matches!(deeper, Err(SqlError::SetOperationsTooDeep(_))),
            "{n} unions: {deeper:?}"
        );
    }
    // Subqueries as deep as sqlparser parses them, with a chain inside.
    let nested = |n: usize| {
        format!(
            "select {}1{}{}",
            "(select ".repeat(n),
            "+1".repeat(max - 2 * n - 2),
            ")".repeat(n)
        )
    };
    let mut deepest_parsed = 0;
    for n in 1..40 {
        match read_on_stack(&nested(n), expr_stack_bytes) {
            Ok(rows) => {
                assert_eq!(rows.len(), 1);
                deepest_parsed = n;
            }
            Err(SqlError::Syntax(_)) => break,
            Err(e) => panic!("{n} nested subqueries: {e:?}"),
        }
    }
    assert!(deepest_parsed >= 10, "{deepest_parsed}");
    let parens = format!("select {}1{}", "(".repeat(1000), ")".repeat(1000));
    let e = read_on_stack(&parens, expr_stack_bytes).unwrap_err();
    assert!(matches!(e, SqlError::Syntax(_)), "{e:?}");
    assert_eq!(
        crate::Error::from(SqlError::StackDepthExceeded(max)).sqlstate(),
        "54001"
    );
}

/// Runs `sql` (a query) directly on `db` with `ctx`, as a reader thread would.
fn read_with(db: &Database, sql: &str, ctx: &QueryContext) -> Result<Vec<Vec<Value>>, SqlError> {
    let stmt = parse(sql)?.remove(0);
    match crate::sql::exec::execute_read(db, &stmt, &[], ctx)? {
        Output::Rows { rows, .. } => Ok(rows),
        other => panic!("not rows: {other:?}"),
    }
}

/// A VALUES list of `n` one-column rows (VALUES itself never checks the interrupt,
/// so what is tested is the node above it).
fn values_rows(n: usize) -> String {
    let rows: Vec<String> = (0..n).map(|i| format!("({})", i % 700)).collect();
    format!("(values {}) v(a)", rows.join(", "))
}

/// Sort, DISTINCT, UNION, EXCEPT, INTERSECT and LIMIT check the interrupt
/// themselves: with a cancelled interrupt each fails 57014 even over an input that
/// did not check it (a VALUES list), so a cancelled or timed-out statement stops
/// and releases the lock instead of finishing its sort or set operation.
#[test]
fn sort_distinct_set_ops_and_limit_check_the_interrupt() {
    let db = Database::new();
    let ctx = context();
    ctx.interrupt.cancel();
    let v = values_rows(3000);
    for sql in [
        format!("select a from {v} order by a"),
        format!("select distinct a from {v}"),
        format!("select a from {v} union select a from {v}"),
        format!("select a from {v} except select a from {v}"),
        format!("select a from {v} intersect all select a from {v}"),
        format!("select a from {v} limit 5 offset 10"),
    ] {
        let result = read_with(&db, &sql, &ctx);
        assert!(
            matches!(result, Err(SqlError::QueryCanceled(_))),
            "{}: {result:?}",
            &sql[..40]
        );
    }
    // Without the cancel the same statements run.
    let ctx = context();
    let rows = read_with(&db, &format!("select distinct a from {v}"), &ctx).unwrap();
    assert_eq!(rows.len(), 700);
}

/// Joins count the rows they produce against the statement's row limit: a cross
/// join whose output would pass it fails 54000 naming the limit instead of
/// materializing it under the lock; under the limit it runs.
#[test]
fn joins_stop_at_the_row_limit() {
    let db = Database::new();
    let ctx = QueryContext {
        rows_max: 30_000,
        ..context()
    };
    let v = values_rows(150);
    let w = v.replace(") v(a)", ") w(b)");
    let x = v.replace(") v(a)", ") x(c)");
    let e = read_with(&db, &format!("select count(*) from {v}, {w}, {x}"), &ctx).unwrap_err();
    assert!(matches!(e, SqlError::ProgramLimitExceeded(_)), "{e:?}");
    assert!(e.to_string().contains("--max-rows-per-statement"), "{e}");
    let rows = read_with(&db, &format!("select count(*) from {v}, {w}"), &ctx).unwrap();
    assert_eq!(rows[0][0], Value::Int8(150 * 150));
}

/// `SELECT … LIMIT n` over a scan reads and projects n rows, not the table: the
/// select list divides by zero at the row 4000, which a limited query never
/// reaches (as in PostgreSQL, which runs the plan lazily); without the limit, or
/// with an OFFSET past that row, it does.
#[test]
fn limit_stops_a_scan_early() {
    let mut db = Database::new();
    let values: Vec<String> = (0..5000).map(|i| format!("({i})")).collect();
    let mut txn = db.begin_write();
    for sql in [
        "create table t (a int primary key)".to_owned(),
        format!("insert into t values {}", values.join(", ")),
    ] {
        let stmt = parse(&sql).unwrap().remove(0);
        crate::sql::exec::execute_write(&mut txn, &stmt, &[], &context()).unwrap();
    }
    txn.commit();
    let ctx = context();
    let rows = read_with(
        &db,
        "select 8000 / (a - 4000) from t limit 3 offset 2",
        &ctx,
    )
    .unwrap();
    assert_eq!(
        rows,
        vec![
            vec![Value::Int4(-2)],
            vec![Value::Int4(-2)],
            vec![Value::Int4(-2)]
        ]
    );
    for sql in [
        "select 8000 / (a - 4000) from t",
        "select 8000 / (a - 4000) from t limit 3 offset 3999",
    ] {
        let e = read_with(&db, sql, &ctx).unwrap_err();
        assert_eq!(crate::Error::from(e).sqlstate(), "22012", "{sql}");
    }
}

/// DROP of a relation a view reads: 2BP01 with PostgreSQL's DETAIL (every dependent,
/// depth first) and HINT.
#[test]
fn drop_with_dependent_views_is_refused() {
    let e = engine();
    run(&e, "CREATE TABLE t (a INT)");
    run(&e, "CREATE VIEW v AS SELECT * FROM t");
    run(&e, "CREATE VIEW w AS SELECT a FROM v");
    run(&e, "CREATE VIEW w0 AS SELECT a FROM t");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let drop = |sql: &str| {
        let stmt = parse(sql).expect("parses").remove(0);
        let prepared = PreparedStatement::new(stmt, Vec::new());
        rt.block_on(e.execute(&prepared, &[], context()))
            .expect_err("refused")
    };
    let err = drop("DROP TABLE t");
    assert_eq!(err.sqlstate(), "2BP01");
    assert_eq!(
        err.to_string(),
        "cannot drop table t because other objects depend on it"
    );
    assert_eq!(
        err.detail(),
        Some("view v depends on table t\nview w depends on view v\nview w0 depends on table t")
    );
    assert_eq!(
        err.hint().as_deref(),
        Some("Use DROP ... CASCADE to drop the dependent objects too.")
    );
    let err = drop("DROP VIEW v");
    assert_eq!(err.detail(), Some("view w depends on view v"));
    check(&e, "DROP VIEW w, v, w0", &["DROP VIEW None"]);
    check(&e, "DROP TABLE t", &["DROP TABLE None"]);
}

/// `BETWEEN SYMMETRIC` nested in its own low bound is rewritten in one pass:
/// thousands of levels (which a quadratic rewrite turned into gigabytes of
/// tokens, found by review) parse or fail as a statement, and two levels answer.
#[test]
fn nested_between_symmetric_is_rewritten_in_one_pass() {
    let deep = format!(
        "SELECT 1 WHERE {}1 AND 2",
        "a BETWEEN SYMMETRIC ".repeat(20_000)
    );
    let _ = crate::sql::parse(&deep);
    let nested = "SELECT 1 BETWEEN SYMMETRIC (SELECT 1 WHERE 1 BETWEEN SYMMETRIC 2 AND 0) AND 3";
    assert!(crate::sql::parse(nested).is_ok());
}
