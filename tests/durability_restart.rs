//! Restart tests of issue 4: what was written through SQL is all there after the
//! server stops and starts again on the same data directory, whichever way it comes
//! back — from the log alone, from a snapshot alone, or from a snapshot plus the log
//! after it — and the indexes still work (EXPLAIN shows them, a duplicate key still
//! raises 23505).
//!
//! Each test drives the real `turnstile` binary (tests/common), compares a
//! fingerprint of the database (the text of a fixed set of queries) taken before the
//! stop with the one taken after the start, and reads the server's "recovered" log
//! line to make sure recovery took the path the phase is about.

mod common;

use common::{DataDir, TestServer};
use tokio_postgres::{Client, SimpleQueryMessage};

/// The rows of `sql` (simple protocol, so every value is the server's text).
async fn rows(client: &Client, sql: &str) -> Vec<Vec<Option<String>>> {
    let messages = client
        .simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    messages
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(
                (0..row.len())
                    .map(|i| row.get(i).map(str::to_owned))
                    .collect(),
            ),
            _ => None,
        })
        .collect()
}

/// The one value of a one-row, one-column query.
async fn value(client: &Client, sql: &str) -> Option<String> {
    let rows = rows(client, sql).await;
    assert_eq!(rows.len(), 1, "{sql}: {rows:?}");
    rows[0][0].clone()
}

/// Runs statements one by one, each its own transaction.
async fn run(client: &Client, statements: &[&str]) {
    for sql in statements {
        client
            .simple_query(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

/// The SQLSTATE `sql` fails with.
async fn error_code(client: &Client, sql: &str) -> String {
    let error = client
        .simple_query(sql)
        .await
        .expect_err(&format!("{sql} should fail"));
    error
        .code()
        .unwrap_or_else(|| panic!("{sql}: no SQLSTATE in {error}"))
        .code()
        .to_owned()
}

/// A multi-row INSERT of `many` rows `first..=last`.
fn insert_many(first: u32, last: u32) -> String {
    let values: Vec<String> = (first..=last)
        .map(|i| format!("({i}, 'row {i:05}', {})", i % 13))
        .collect();
    format!("INSERT INTO many VALUES {}", values.join(", "))
}

/// The first writes: several column types with NULLs, indexes, a view, updates,
/// deletes, a truncate and a dropped table; and 5,000 rows so that a snapshot copies
/// more than one batch.
async fn write_first(client: &Client) {
    run(client, &[
        "CREATE TABLE kinds (id BIGINT PRIMARY KEY, name TEXT, amount NUMERIC(12,2), at TIMESTAMPTZ, payload BYTEA, flag BOOLEAN, ratio DOUBLE PRECISION, small INT)",
        "CREATE UNIQUE INDEX kinds_name ON kinds (name)",
        "CREATE INDEX kinds_amount ON kinds (amount)",
        "INSERT INTO kinds VALUES \
            (1, 'alpha', 1.25, '2024-01-02 03:04:05.123456+00', '\\xdeadbeef', true, 1.5, 7), \
            (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL), \
            (3, 'gamma', -3.50, '1999-12-31 23:59:59+05', '\\x00ff', false, -0.25, -1), \
            (4, 'dé jà ☃ ''quoted''', 99999.99, '2038-01-19 03:14:08+00', '\\x', true, 1e300, 2147483647), \
            (5, 'five', 0, '1970-01-01 00:00:00+00', '\\x05', NULL, 0, 0)",
        "UPDATE kinds SET amount = amount * 2, name = name || '!' WHERE id = 1",
        "DELETE FROM kinds WHERE id = 5",
        "CREATE VIEW positive AS SELECT id, name, amount FROM kinds WHERE amount > 0",
        "CREATE TABLE scratch (x INT PRIMARY KEY, y TEXT)",
        "INSERT INTO scratch VALUES (1, 'a'), (2, 'b')",
        "TRUNCATE scratch",
        "INSERT INTO scratch VALUES (3, 'c')",
        "CREATE TABLE dropped (x INT PRIMARY KEY)",
        "INSERT INTO dropped VALUES (1)",
        "DROP TABLE dropped",
        "CREATE TABLE named_key (id INT, CONSTRAINT named_key_custom PRIMARY KEY (id))",
        "CREATE TABLE keyed_later (id INT NOT NULL)",
        "ALTER TABLE keyed_later ADD CONSTRAINT keyed_later_custom PRIMARY KEY (id)",
        // Keys of the other form (not one integer); one table gets its key after
        // it has rows, so recovery rekeys them from hidden row ids to text.
        "CREATE TABLE pairs (a INT, b TEXT, v INT, PRIMARY KEY (a, b))",
        "INSERT INTO pairs VALUES (2, 'x', 1), (1, 'y', 2), (1, 'x', 3), (2, 'a', 4)",
        "DELETE FROM pairs WHERE a = 2 AND b = 'x'",
        "CREATE TABLE keyed_by_name (name TEXT NOT NULL, n INT)",
        "INSERT INTO keyed_by_name VALUES ('b', 2), ('a', 1), ('c', 3)",
        "ALTER TABLE keyed_by_name ADD PRIMARY KEY (name)",
        "INSERT INTO keyed_by_name VALUES ('aa', 4)",
        "UPDATE keyed_by_name SET n = n * 10 WHERE name = 'b'",
        "DELETE FROM keyed_by_name WHERE name = 'c'",
        "CREATE TABLE tagged (id INT PRIMARY KEY, tags TEXT[], scores BIGINT[] NOT NULL)",
        "CREATE INDEX tagged_tags ON tagged (tags)",
        "INSERT INTO tagged VALUES (1, '{a,\"b c\",NULL,\"\"}', '{1,-2}'), (2, NULL, '{}'), (3, '{}', ARRAY[9223372036854775807])",
        "UPDATE tagged SET tags = array_append(tags, 'new') WHERE id = 1",
        // json keeps its text as written, jsonb its normal form.
        "CREATE TABLE documents (id INT PRIMARY KEY, body JSON, doc JSONB)",
        r#"INSERT INTO documents VALUES (1, ' {"b": 1,  "a": [1, 2], "b": 2} ', '{"b": 1, "a": 2}'), (2, NULL, NULL)"#,
        r#"UPDATE documents SET body = '[ "x" ,1e3 ]' WHERE id = 2"#,
        "CREATE TABLE many (id BIGINT PRIMARY KEY, label TEXT NOT NULL, bucket INT)",
        "CREATE INDEX many_label ON many (label)",
        "CREATE INDEX many_desc ON many (bucket DESC, label NULLS FIRST)",
        "CREATE INDEX many_label_like ON many (label text_pattern_ops DESC)",
        // Sequences: a serial and an identity column, and one of their own.
        "CREATE TABLE numbered (id SERIAL PRIMARY KEY, tag TEXT UNIQUE)",
        "CREATE TABLE ident (id BIGINT GENERATED ALWAYS AS IDENTITY (START WITH 100 INCREMENT BY 10), v TEXT)",
        "CREATE SEQUENCE counter START 5 INCREMENT 5 CACHE 20",
        "CREATE SEQUENCE gone",
        "DROP SEQUENCE gone",
        // ALTER SEQUENCE is logged as the sequence dropped and created again:
        // options, a restart and a new name survive; a rolled-back one does not.
        "CREATE SEQUENCE altered",
        "SELECT nextval('altered')",
        "ALTER SEQUENCE altered INCREMENT 3 MAXVALUE 1000 RESTART WITH 50",
        "SELECT nextval('altered'), nextval('altered')",
        "ALTER SEQUENCE altered RENAME TO altered_renamed",
        "SELECT nextval('altered_renamed')",
        // An identity column added by ALTER TABLE, as pg_dump writes one.
        "CREATE TABLE late_ident (id INT NOT NULL, v TEXT)",
        "ALTER TABLE late_ident ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (START WITH 7)",
        "INSERT INTO late_ident (v) VALUES ('first')",
        "BEGIN",
        "ALTER SEQUENCE altered_renamed RESTART WITH 900",
        "SELECT nextval('altered_renamed')",
        "ROLLBACK",
        "ALTER TABLE scratch ALTER COLUMN y SET DEFAULT 'later'",
        "ALTER TABLE numbered ALTER COLUMN tag SET DEFAULT 'untagged'",
        "ALTER TABLE numbered ALTER COLUMN tag DROP DEFAULT",
        "INSERT INTO numbered (tag) VALUES ('a'), ('b')",
        "INSERT INTO ident (v) VALUES ('x')",
        "SELECT nextval('counter'), nextval('counter')",
        // A rolled-back block still used its value: the log must say so.
        "BEGIN",
        "INSERT INTO numbered (tag) VALUES ('rolled back') RETURNING id",
        "ROLLBACK",
        // TRUNCATE … RESTART IDENTITY puts a serial back at its start with
        // its transaction: one rolled back leaves it where it was, and the
        // values taken after the restart go back with it.
        "CREATE TABLE restarted (id SERIAL PRIMARY KEY, v TEXT)",
        "INSERT INTO restarted (v) VALUES ('a'), ('b'), ('c')",
        "TRUNCATE restarted RESTART IDENTITY",
        "INSERT INTO restarted (v) VALUES ('after')",
        "BEGIN",
        "TRUNCATE restarted RESTART IDENTITY",
        "INSERT INTO restarted (v) VALUES ('rolled back')",
        "ROLLBACK",
    ])
    .await;
    // So did a failed statement.
    assert_eq!(
        error_code(client, "INSERT INTO numbered (tag) VALUES ('a')").await,
        "23505"
    );
    run(client, &[&insert_many(1, 2500), &insert_many(2501, 5000)]).await;
    run(
        client,
        &[
            "DELETE FROM many WHERE bucket = 3",
            "UPDATE many SET label = label || '+' WHERE bucket = 4",
            // ALTER TABLE: the rebuilt rows of a table of several snapshot
            // batches, columns added (one numbering the rows), dropped and
            // renamed, a rename, NOT NULL, a UNIQUE constraint, a dropped key.
            "ALTER TABLE many ADD COLUMN extra INT DEFAULT 3",
            "CREATE TABLE altered (id INT PRIMARY KEY, gone TEXT, old_name TEXT, n INT)",
            "INSERT INTO altered VALUES (1, 'g', 'a', NULL), (2, 'h', 'b', 5)",
            "ALTER TABLE altered ADD COLUMN added TEXT DEFAULT 'filled', ADD COLUMN num SERIAL",
            "ALTER TABLE altered DROP COLUMN gone",
            "ALTER TABLE altered RENAME COLUMN old_name TO new_name",
            "ALTER TABLE altered RENAME TO altered_table",
            "ALTER TABLE altered_table ALTER COLUMN added SET NOT NULL",
            "ALTER TABLE altered_table ADD UNIQUE (new_name)",
            "ALTER TABLE altered_table ALTER COLUMN n TYPE bigint USING n * 100",
            "ALTER TABLE altered_table ALTER COLUMN new_name TYPE varchar(10)",
            "INSERT INTO altered_table (id, new_name) VALUES (3, 'c')",
            "CREATE TABLE unkeyed_later (id INT PRIMARY KEY, v TEXT)",
            "INSERT INTO unkeyed_later VALUES (1, 'one'), (2, 'two')",
            "ALTER TABLE unkeyed_later DROP CONSTRAINT unkeyed_later_pkey",
            "INSERT INTO unkeyed_later VALUES (1, 'one again')",
            // CHECK constraints: of a column, of the table, one added NOT VALID,
            // one renamed with its column, in a table rebuilt after.
            "CREATE TABLE checked (id INT PRIMARY KEY, lo INT CHECK (lo >= 0), hi INT, \
             CONSTRAINT ordered CHECK (lo <= hi))",
            "INSERT INTO checked VALUES (1, 0, 5), (2, NULL, 1)",
            "ALTER TABLE checked ADD CONSTRAINT small CHECK (hi < 100) NOT VALID",
            "ALTER TABLE checked RENAME COLUMN hi TO top",
            "ALTER TABLE checked ADD COLUMN note TEXT DEFAULT 'n' CHECK (note <> '')",
            // Foreign keys: of a column, composite, self-referencing, added by
            // ALTER TABLE; a cascade.
            "CREATE TABLE fk_parent (id INT PRIMARY KEY, code TEXT UNIQUE)",
            "CREATE TABLE fk_child (id INT PRIMARY KEY, \
             parent_id INT REFERENCES fk_parent ON DELETE CASCADE, \
             up INT REFERENCES fk_child DEFERRABLE INITIALLY DEFERRED)",
            "INSERT INTO fk_parent VALUES (1, 'a'), (2, 'b')",
            "INSERT INTO fk_child VALUES (10, 1, NULL), (11, 1, 10), (20, 2, NULL)",
            "ALTER TABLE fk_child ADD COLUMN code TEXT",
            "ALTER TABLE fk_child ADD CONSTRAINT by_code FOREIGN KEY (code) REFERENCES fk_parent (code) NOT VALID",
            "DELETE FROM fk_parent WHERE id = 2",
            "UPDATE fk_child SET code = 'a' WHERE id = 10",
        ],
    )
    .await;
}

/// More writes of every kind, made after a restart.
async fn write_more(client: &Client, round: u32) {
    let id = 100 + round;
    run(client, &[
        &format!("INSERT INTO kinds VALUES ({id}, 'round {round}', {round}.5, '2025-06-0{round} 12:00:00+02', '\\x0{round}', true, 0.5, {round})"),
        "UPDATE kinds SET flag = NOT flag WHERE flag IS NOT NULL",
        "DELETE FROM many WHERE bucket = 5 AND id % 2 = 0",
        &format!("UPDATE many SET bucket = bucket + {round} WHERE id < 100"),
        "TRUNCATE scratch",
        &format!("INSERT INTO scratch VALUES ({id}, 'after round {round}')"),
        &format!("UPDATE tagged SET scores = scores || {round}::bigint WHERE id < 3"),
        &format!("CREATE TABLE round_{round} (k INT PRIMARY KEY, v TEXT)"),
        &format!("INSERT INTO round_{round} VALUES (1, 'one'), (2, NULL)"),
        &format!("ALTER TABLE round_{round} ADD COLUMN r INT DEFAULT {round}, DROP COLUMN v"),
        &format!("ALTER TABLE altered_table ADD COLUMN round_{round} TEXT DEFAULT 'r{round}'"),
        "DROP TABLE IF EXISTS round_1",
        &format!("INSERT INTO numbered (tag) VALUES ('round {round}')"),
        &format!("INSERT INTO ident (v) VALUES ('round {round}')"),
        &format!("INSERT INTO late_ident (v) VALUES ('round {round}')"),
        "SELECT nextval('counter')",
    ])
    .await;
}

/// The text of every query whose answer must survive a restart.
async fn fingerprint(client: &Client) -> Vec<Vec<Vec<Option<String>>>> {
    let mut all = Vec::new();
    for sql in [
        "SELECT * FROM kinds ORDER BY id",
        "SELECT * FROM positive ORDER BY id",
        "SELECT * FROM scratch ORDER BY x",
        "SELECT * FROM tagged ORDER BY id",
        "SELECT id, body::text, doc FROM documents ORDER BY id",
        "SELECT * FROM pairs WHERE a = 1",
        "SELECT * FROM keyed_by_name",
        "SELECT id FROM tagged WHERE tags = '{}'",
        "SELECT count(*), sum(id), min(label), max(label), sum(bucket) FROM many",
        "SELECT * FROM many WHERE id % 97 = 0 ORDER BY id",
        // Primary keys keep the names they were given.
        "SELECT conname FROM pg_constraint WHERE contype = 'p' ORDER BY 1",
        // Sequences stand where they stood, values used by failed and
        // rolled-back statements included.
        "SELECT * FROM numbered ORDER BY id",
        "SELECT * FROM ident ORDER BY id",
        "SELECT * FROM late_ident ORDER BY id",
        "SELECT column_name, is_identity, identity_generation FROM information_schema.columns \
         WHERE table_name = 'late_ident' ORDER BY ordinal_position",
        "SELECT last_value, is_called FROM numbered_id_seq",
        "SELECT last_value, is_called FROM counter",
        "SELECT last_value, increment_by, max_value FROM pg_sequences \
         WHERE sequencename = 'altered_renamed'",
        "SELECT * FROM restarted ORDER BY id",
        "SELECT last_value, is_called FROM restarted_id_seq",
        "SELECT relname FROM pg_class WHERE relkind = 'S' ORDER BY 1",
        "SELECT seqstart, seqincrement, seqmin, seqmax, seqcache FROM pg_sequence ORDER BY seqstart",
        // Tables changed by ALTER TABLE, and their catalog.
        "SELECT * FROM altered_table ORDER BY id",
        "SELECT * FROM unkeyed_later ORDER BY id, v",
        "SELECT count(*), sum(extra) FROM many",
        "SELECT table_name, column_name, is_nullable, column_default \
         FROM information_schema.columns \
         WHERE table_name IN ('altered_table', 'unkeyed_later') OR table_name LIKE 'round%' \
         ORDER BY 1, ordinal_position",
        "SELECT indexname FROM pg_indexes WHERE tablename IN ('altered_table', 'unkeyed_later') ORDER BY 1",
        "SELECT indexdef FROM pg_indexes WHERE indexname IN ('many_desc', 'many_label_like') \
         ORDER BY 1",
        "SELECT conrelid::regclass::text, conname, convalidated, pg_get_constraintdef(oid) \
         FROM pg_constraint WHERE contype IN ('c', 'f') ORDER BY 1, 2",
        "SELECT * FROM fk_child ORDER BY id",
        // Defaults set and dropped after CREATE TABLE.
        "SELECT table_name, column_name, column_default FROM information_schema.columns \
         WHERE table_name IN ('scratch', 'numbered') ORDER BY 1, 2",
    ] {
        all.push(rows(client, sql).await);
    }
    all
}

/// What must hold after every restart besides the fingerprint: the types came back
/// exactly, the dropped table is gone, the indexes are used and still enforce
/// uniqueness.
async fn check_invariants(client: &Client) {
    assert_eq!(
        rows(
            client,
            "SELECT conname FROM pg_constraint WHERE conname LIKE '%_custom' ORDER BY 1"
        )
        .await,
        vec![
            vec![Some("keyed_later_custom".to_owned())],
            vec![Some("named_key_custom".to_owned())],
        ],
        "primary keys named by CREATE TABLE and ALTER TABLE keep their names"
    );
    assert_eq!(
        value(
            client,
            "SELECT last_value || ' ' || increment_by || ' ' || max_value FROM pg_sequences \
             WHERE sequencename = 'altered_renamed'"
        )
        .await
        .as_deref(),
        Some("56 3 1000"),
        "an altered, renamed sequence goes on from its restart; the rolled-back restart is gone"
    );
    let alpha = rows(
        client,
        "SELECT name, amount, at, payload, ratio, small FROM kinds WHERE id = 1",
    )
    .await;
    let expected: Vec<Option<String>> = [
        "alpha!",
        "2.50",
        "2024-01-02 03:04:05.123456+00",
        "\\xdeadbeef",
        "1.5",
        "7",
    ]
    .iter()
    .map(|s| Some(s.to_string()))
    .collect();
    assert_eq!(alpha, vec![expected]);
    assert_eq!(
        rows(client, "SELECT * FROM kinds WHERE id = 2").await,
        vec![vec![
            Some("2".to_owned()),
            None,
            None,
            None,
            None,
            None,
            None,
            None
        ]]
    );
    assert_eq!(
        value(client, "SELECT name FROM kinds WHERE id = 4").await,
        Some("dé jà ☃ 'quoted'".to_owned())
    );
    assert_eq!(
        value(client, "SELECT count(*) FROM kinds WHERE id = 5").await,
        Some("0".to_owned())
    );
    assert_eq!(error_code(client, "SELECT * FROM dropped").await, "42P01");
    for (sql, index) in [
        (
            "EXPLAIN SELECT id FROM kinds WHERE name = 'gamma'",
            "kinds_name",
        ),
        (
            "EXPLAIN SELECT id FROM many WHERE label = 'row 00040'",
            "many_label",
        ),
    ] {
        let plan: Vec<String> = rows(client, sql)
            .await
            .into_iter()
            .map(|r| r[0].clone().unwrap_or_default())
            .collect();
        assert!(
            plan.iter().any(|line| line.contains(index)),
            "{sql} should use {index}: {plan:?}"
        );
    }
    assert_eq!(
        value(client, "SELECT id FROM kinds WHERE name = 'gamma'").await,
        Some("3".to_owned())
    );
    assert_eq!(
        value(client, "SELECT id FROM many WHERE label = 'row 00040'").await,
        Some("40".to_owned())
    );
    assert_eq!(
        error_code(
            client,
            "INSERT INTO kinds (id, name) VALUES (1000, 'gamma')"
        )
        .await,
        "23505"
    );
    assert_eq!(
        error_code(
            client,
            "INSERT INTO kinds (id, name) VALUES (3, 'new name')"
        )
        .await,
        "23505"
    );
    assert_eq!(
        error_code(client, "INSERT INTO scratch (x) SELECT x FROM scratch").await,
        "23505"
    );
    assert_eq!(
        value(client, "SELECT n FROM keyed_by_name WHERE name = 'b'").await,
        Some("20".to_owned())
    );
    assert_eq!(
        error_code(client, "INSERT INTO keyed_by_name VALUES ('aa', 5)").await,
        "23505"
    );
    assert_eq!(
        value(client, "SELECT v FROM pairs WHERE a = 1 AND b = 'x'").await,
        Some("3".to_owned())
    );
    // CHECK constraints still hold, the one added NOT VALID for new rows too.
    for bad in [
        "INSERT INTO checked VALUES (3, -1, 1)",
        "INSERT INTO checked VALUES (3, 5, 1)",
        "INSERT INTO checked VALUES (3, 0, 100)",
        "INSERT INTO checked VALUES (3, 0, 1, '')",
        "UPDATE checked SET top = -1 WHERE id = 1",
    ] {
        assert_eq!(error_code(client, bad).await, "23514", "{bad}");
    }
    // Foreign keys still hold, and still act.
    for bad in [
        "INSERT INTO fk_child VALUES (30, 3, NULL, NULL)",
        "INSERT INTO fk_child VALUES (30, 1, 99, NULL)",
        "INSERT INTO fk_child VALUES (30, 1, NULL, 'zz')",
        "UPDATE fk_parent SET code = 'c' WHERE id = 1",
    ] {
        assert_eq!(error_code(client, bad).await, "23503", "{bad}");
    }
    // The constraints ALTER TABLE added still hold, and those it dropped are gone.
    assert_eq!(
        error_code(
            client,
            "INSERT INTO altered_table (id, new_name) VALUES (9, 'a')"
        )
        .await,
        "23505"
    );
    assert_eq!(
        error_code(
            client,
            "INSERT INTO altered_table (id, added) VALUES (9, NULL)"
        )
        .await,
        "23502"
    );
    assert_eq!(
        value(client, "SELECT count(*) FROM unkeyed_later WHERE id = 1").await,
        Some("2".to_owned())
    );
    assert_eq!(
        rows(client, "SELECT id, v FROM restarted").await,
        vec![vec![Some("1".to_owned()), Some("after".to_owned())]],
        "TRUNCATE … RESTART IDENTITY restarted the serial; the rolled-back one did not"
    );
    assert_eq!(
        rows(client, "SELECT last_value, is_called FROM restarted_id_seq").await,
        vec![vec![Some("1".to_owned()), Some("t".to_owned())]]
    );
    // The identity column is still GENERATED ALWAYS (refused before any
    // nextval, so this changes nothing).
    assert_eq!(
        error_code(client, "INSERT INTO ident VALUES (1, 'explicit')").await,
        "428C9"
    );
}

/// `(snapshot_lsn, records_replayed)` from the server's "recovered" log line.
fn recovery_path(server: &TestServer) -> (u64, u64) {
    let log = server.log_plain();
    let line = log
        .lines()
        .find(|l| l.contains("recovered") && l.contains("snapshot_lsn="))
        .unwrap_or_else(|| panic!("no 'recovered' line in the log:\n{log}"));
    let field = |name: &str| -> u64 {
        let rest = &line[line
            .find(name)
            .unwrap_or_else(|| panic!("{name} in {line}"))
            + name.len()..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits
            .parse()
            .unwrap_or_else(|_| panic!("{name} in {line}"))
    };
    (field("snapshot_lsn="), field("records_replayed="))
}

/// Restarts on the same directory: log only (kill -9 after acknowledged commits),
/// snapshot only (SIGTERM writes a shutdown snapshot), snapshot + log (writes after
/// that restart, then kill -9), and once more a clean stop after all that. After
/// each start the fingerprint equals the one taken before the stop, and the
/// recovered-from line shows the path taken.
#[tokio::test]
async fn restart_from_log_from_snapshot_and_from_both() {
    let dir = DataDir::new();

    // 1. The log alone: every commit was acknowledged (synchronous_commit = on),
    //    then the process is killed without any shutdown work.
    let mut server = TestServer::start_in(&dir, &[]);
    let client = server.connect().await;
    write_first(&client).await;
    check_invariants(&client).await;
    let before = fingerprint(&client).await;
    server.kill_9();
    drop(server);

    let mut server = TestServer::start_in(&dir, &[]);
    let client = server.connect().await;
    assert_eq!(
        fingerprint(&client).await,
        before,
        "after replaying the log"
    );
    check_invariants(&client).await;
    let (snapshot_lsn, replayed) = recovery_path(&server);
    assert_eq!(snapshot_lsn, 0, "no snapshot was written yet");
    assert!(replayed >= 15, "the log was replayed: {replayed} records");

    // 2. A clean stop writes a snapshot; the next start replays nothing after it.
    let status = server.stop();
    assert!(status.success(), "SIGTERM exit: {status}\n{}", server.log());
    assert!(server.log_plain().contains("snapshot written"));
    drop(server);

    let mut server = TestServer::start_in(&dir, &[]);
    let client = server.connect().await;
    assert_eq!(
        fingerprint(&client).await,
        before,
        "after loading the snapshot"
    );
    check_invariants(&client).await;
    let (snapshot_lsn, replayed) = recovery_path(&server);
    assert!(snapshot_lsn > 0, "recovered from the shutdown snapshot");
    assert_eq!(replayed, 0, "nothing after the shutdown snapshot");

    // 3. Snapshot + more log: writes after the snapshot, then a crash.
    write_more(&client, 1).await;
    write_more(&client, 2).await;
    let before = fingerprint(&client).await;
    server.kill_9();
    drop(server);

    let mut server = TestServer::start_in(&dir, &[]);
    let client = server.connect().await;
    assert_eq!(fingerprint(&client).await, before, "snapshot + log");
    check_invariants(&client).await;
    assert_eq!(error_code(&client, "SELECT * FROM round_1").await, "42P01");
    assert_eq!(
        rows(&client, "SELECT * FROM round_2 ORDER BY k").await,
        vec![
            vec![Some("1".to_owned()), Some("2".to_owned())],
            vec![Some("2".to_owned()), Some("2".to_owned())],
        ],
        "v dropped, r added with the round's number"
    );
    let (snapshot_lsn_now, replayed) = recovery_path(&server);
    assert_eq!(
        snapshot_lsn_now, snapshot_lsn,
        "the same snapshot as before"
    );
    assert!(replayed >= 10, "the log after it: {replayed} records");

    // 4. A clean stop after all that, and a last start.
    write_more(&client, 3).await;
    let before = fingerprint(&client).await;
    assert!(server.stop().success());
    drop(server);
    let server = TestServer::start_in(&dir, &[]);
    let client = server.connect().await;
    assert_eq!(
        fingerprint(&client).await,
        before,
        "after the last clean stop"
    );
    check_invariants(&client).await;
}

/// `CHECKPOINT` writes a snapshot while the server runs: writes, CHECKPOINT, more
/// writes, kill -9, start. The start loads the checkpoint's snapshot (its LSN is in
/// the "recovered" line) and replays the log after it, and the fingerprint is the one
/// taken before the kill.
#[tokio::test]
async fn checkpoint_then_more_log_then_crash() {
    let dir = DataDir::new();
    let mut server = TestServer::start_in(&dir, &[]);
    let client = server.connect().await;
    write_first(&client).await;
    run(&client, &["CHECKPOINT"]).await;
    let log = server.log_plain();
    assert!(log.contains("snapshot written"), "{log}");
    write_more(&client, 1).await;
    let before = fingerprint(&client).await;
    server.kill_9();
    drop(server);

    let server = TestServer::start_in(&dir, &[]);
    let client = server.connect().await;
    assert_eq!(fingerprint(&client).await, before, "checkpoint + log");
    check_invariants(&client).await;
    let (snapshot_lsn, replayed) = recovery_path(&server);
    assert!(snapshot_lsn > 0, "recovered from the checkpoint's snapshot");
    assert!(replayed > 0, "and the log after it");
}
