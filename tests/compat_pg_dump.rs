//! A plain-format `pg_dump` of a PostgreSQL 15 database restores into Turnstile with
//! `psql -v ON_ERROR_STOP=1 -f dump.sql`, and the data comes back as PostgreSQL had
//! it. The fixture is in compat/pg_dump (see its README.md): `dump.sql` is what
//! pg_dump 15 wrote, with its default options, for the database `source.sql` makes
//! (session SETs, `\restrict`, owner statements, serial and identity sequences,
//! COPY blocks, `setval`, then the keys, indexes and foreign keys), and
//! `expected.txt` is the output of `check.sql` on the PostgreSQL database the dump
//! came from.
//!
//! The test restores the dump into a fresh server with psql stopping at the first
//! error, then runs `check.sql` and compares its output with PostgreSQL's byte for
//! byte: every row of every table and of the view, the constraints and indexes by
//! name, the sequences' owners and where they go on, the defaults of new rows, the
//! cascade, and the SQLSTATE with which each constraint refuses a row.
//!
//! The other way, pg_dump of a Turnstile database: source.sql run on Turnstile,
//! dumped by PostgreSQL 15's pg_dump, restores into a fresh Turnstile where
//! check.sql answers as PostgreSQL did, and dumping that server gives the same
//! dump. A database with a module dumps the module as an extension (see
//! `sql::system::pg_extension`) and restores into a server with that module.
//!
//! After a change to source.sql or check.sql, regenerate the fixture with
//! `bash compat/pg_dump/make_dump.sh` (it needs PostgreSQL 15's server binaries,
//! from `pg_config --bindir`). The dump begins with `\restrict`, which psql knows
//! from 15.14 on. A missing psql fails the test; TURNSTILE_SKIP_PSQL_TESTS=1 skips
//! it on purpose.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::pg_tools::{have, pg_program};
use common::{DataDir, TestServer};

/// A file of the fixture.
fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("compat/pg_dump")
        .join(name)
}

/// Runs `psql -X -v ON_ERROR_STOP=1 FLAGS -f FILE` against the server. It connects
/// as `postgres`, the owner the dump's `ALTER … OWNER TO` statements name, as a user
/// restoring their own dump would. The environment variables that would change
/// what psql prints (a client encoding, a date style, a time zone, options) are set
/// or removed, so that the caller's shell cannot change the output.
fn psql_file(server: &TestServer, flags: &[&str], file: &Path) -> Output {
    let port = server.port().to_string();
    Command::new(pg_program("psql"))
        .args(["-h", "127.0.0.1", "-p", &port])
        .args(["-U", "postgres", "-d", "postgres"])
        .args(["-X", "-v", "ON_ERROR_STOP=1"])
        .args(flags)
        .arg("-f")
        .arg(file)
        .env("PGCONNECT_TIMEOUT", "10")
        .env("PGCLIENTENCODING", "UTF8")
        .env_remove("PGDATESTYLE")
        .env_remove("PGTZ")
        .env_remove("PGOPTIONS")
        .output()
        .expect("run psql")
}

/// The last `n` lines of `text`: where a script stopped.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The 1-based number of the first line where `a` and `b` differ.
fn first_different_line(a: &str, b: &str) -> usize {
    let same = a.split('\n').zip(b.split('\n')).take_while(|(x, y)| x == y);
    same.count() + 1
}

/// dump.sql restores without an error and check.sql then prints exactly what it
/// printed on PostgreSQL 15.
#[test]
fn pg_dump_plain_restores_with_psql() {
    restore_and_check(|server| psql_file(server, &[], &fixture("dump.sql")));
}

/// The same, restored as one transaction (`psql -1`): every table is created
/// and loaded by COPY in one block, committed at the end.
#[test]
fn pg_dump_plain_restores_in_one_transaction() {
    restore_and_check(|server| psql_file(server, &["--single-transaction"], &fixture("dump.sql")));
}

/// The custom-format archive of the same database, restored by pg_restore as
/// one transaction. pg_restore sends each object's statements as one string
/// (`CREATE TABLE …; ALTER TABLE … OWNER TO …`).
#[test]
fn pg_dump_custom_format_restores_with_pg_restore() {
    if !have("pg_restore") {
        return;
    }
    restore_and_check(|server| {
        let target = format!(
            "host=127.0.0.1 port={} user=postgres dbname=postgres connect_timeout=10",
            server.port()
        );
        Command::new(pg_program("pg_restore"))
            .args(["--exit-on-error", "--single-transaction", "-d", &target])
            .arg(fixture("dump.custom"))
            .output()
            .expect("run pg_restore")
    });
}

/// Restores the fixture into a fresh server with `restore` (psql or
/// pg_restore), which must succeed, then compares check.sql's output with
/// PostgreSQL's.
fn restore_and_check(restore: impl FnOnce(&TestServer) -> Output) {
    if !have("psql") {
        return;
    }
    // No modules: the dump goes into an empty database, as into a fresh `createdb`.
    let server = TestServer::start_with_args(&["--no-modules"]);

    let restore = restore(&server);
    assert!(
        restore.status.success(),
        "the restore failed ({}):\n{}\nlast output:\n{}\nserver log:\n{}",
        restore.status,
        String::from_utf8_lossy(&restore.stderr),
        tail(&String::from_utf8_lossy(&restore.stdout), 10),
        server.log()
    );

    let check = psql_file(&server, &["-A", "-t"], &fixture("check.sql"));
    // check.sql's refused statements print their errors on stderr on purpose.
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert!(
        check.status.success(),
        "psql -f compat/pg_dump/check.sql failed ({}):\n{stderr}",
        check.status
    );
    let expected =
        std::fs::read_to_string(fixture("expected.txt")).expect("read compat/pg_dump/expected.txt");
    let actual = String::from_utf8_lossy(&check.stdout);
    assert!(
        actual == expected,
        "check.sql's output differs from PostgreSQL's from line {}.\n\
         --- PostgreSQL 15 (compat/pg_dump/expected.txt):\n{expected}\n\
         --- Turnstile:\n{actual}\n\
         --- psql's stderr on Turnstile:\n{stderr}",
        first_different_line(&expected, &actual)
    );
}

/// A fresh server (no modules) holding what compat/pg_dump/source.sql makes.
fn source_server() -> TestServer {
    let source = TestServer::start_with_args(&["--no-modules"]);
    let load = psql_file(&source, &[], &fixture("source.sql"));
    assert!(
        load.status.success(),
        "source.sql failed on Turnstile:\n{}",
        String::from_utf8_lossy(&load.stderr)
    );
    source
}

/// check.sql's output on `server` is PostgreSQL's for the fixture's database.
fn assert_checks_as_postgresql(server: &TestServer) {
    let check = psql_file(server, &["-A", "-t"], &fixture("check.sql"));
    let expected =
        std::fs::read_to_string(fixture("expected.txt")).expect("read compat/pg_dump/expected.txt");
    let actual = String::from_utf8_lossy(&check.stdout);
    assert!(
        actual == expected,
        "check.sql's output on the restored server differs from PostgreSQL's from line {}:\n{actual}",
        first_different_line(&expected, &actual)
    );
}

/// `pg_dump` of the server's database with its default options (plain SQL),
/// connected as `postgres`, the owner its `OWNER TO` lines then name. Panics
/// with pg_dump's error and the server's log if it fails.
fn pg_dump(server: &TestServer) -> String {
    pg_dump_with(server, &[])
}

/// [`pg_dump`] with more options.
fn pg_dump_with(server: &TestServer, options: &[&str]) -> String {
    let port = server.port().to_string();
    let dump = Command::new(pg_program("pg_dump"))
        .args(["-h", "127.0.0.1", "-p", &port, "-U", "postgres"])
        .args(options)
        .arg("postgres")
        .env("PGCONNECT_TIMEOUT", "10")
        .output()
        .expect("run pg_dump");
    assert!(
        dump.status.success(),
        "pg_dump failed ({}):\n{}\nserver log:\n{}",
        dump.status,
        String::from_utf8_lossy(&dump.stderr),
        server.log()
    );
    String::from_utf8(dump.stdout).expect("pg_dump writes UTF-8")
}

/// A dump without its `\restrict` and `\unrestrict` lines, whose keys are
/// random: what two dumps of the same database share.
fn without_restrict_keys(dump: &str) -> String {
    dump.lines()
        .filter(|line| !line.starts_with("\\restrict") && !line.starts_with("\\unrestrict"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Restores `dump` into `server` with psql stopping at its first error, from
/// a file in `dir`; panics with psql's error and the server's log if it fails.
fn restore_dump(server: &TestServer, dir: &DataDir, dump: &str) {
    let file = dir.path().join("dump.sql");
    std::fs::create_dir_all(dir.path()).expect("create the dump's directory");
    std::fs::write(&file, dump).expect("write the dump");
    let restore = psql_file(server, &[], &file);
    assert!(
        restore.status.success(),
        "restoring Turnstile's dump failed ({}):\n{}\nlast output:\n{}\nserver log:\n{}",
        restore.status,
        String::from_utf8_lossy(&restore.stderr),
        tail(&String::from_utf8_lossy(&restore.stdout), 10),
        server.log()
    );
}

#[test]
fn pg_dump_of_turnstile_restores_into_turnstile() {
    if !have("psql") || !have("pg_dump") {
        return;
    }
    let source = source_server();
    let dump = pg_dump(&source);
    // The serial's default follows its sequence, which follows the table.
    assert!(
        dump.contains(
            "ALTER TABLE ONLY public.customer ALTER COLUMN id SET DEFAULT \
             nextval('public.customer_id_seq'::regclass);"
        ),
        "the dump sets customer.id's default after creating its sequence:\n{dump}"
    );

    let dir = DataDir::new();
    let restored = TestServer::start_with_args(&["--no-modules"]);
    restore_dump(&restored, &dir, &dump);
    let again = pg_dump(&restored);
    assert_eq!(
        without_restrict_keys(&again),
        without_restrict_keys(&dump),
        "a dump of the restored server differs from the dump it was restored from"
    );

    assert_checks_as_postgresql(&restored);
}

/// The same database dumped as a custom-format archive, restored with
/// pg_restore as one transaction, and dumped as INSERT statements (read
/// through a cursor), restored with psql: check.sql answers as PostgreSQL did
/// after either.
#[test]
fn pg_dump_archives_and_inserts_of_turnstile_restore() {
    if !have("psql") || !have("pg_dump") || !have("pg_restore") {
        return;
    }
    let source = source_server();
    let dir = DataDir::new();
    std::fs::create_dir_all(dir.path()).expect("create the archive's directory");
    let archive = dir.path().join("dump.custom");
    let archive_arg = archive.to_str().expect("a UTF-8 path");
    pg_dump_with(&source, &["-Fc", "-f", archive_arg]);
    let inserts = pg_dump_with(&source, &["--inserts"]);
    assert!(
        inserts.contains("INSERT INTO public.customer VALUES (1, 'ada@example.com'"),
        "{inserts}"
    );

    let from_archive = TestServer::start_with_args(&["--no-modules"]);
    let target = format!(
        "host=127.0.0.1 port={} user=postgres dbname=postgres connect_timeout=10",
        from_archive.port()
    );
    let restore = Command::new(pg_program("pg_restore"))
        .args(["--exit-on-error", "--single-transaction", "-d", &target])
        .arg(&archive)
        .output()
        .expect("run pg_restore");
    assert!(
        restore.status.success(),
        "pg_restore of Turnstile's archive failed:\n{}",
        String::from_utf8_lossy(&restore.stderr)
    );
    let from_inserts = TestServer::start_with_args(&["--no-modules"]);
    restore_dump(&from_inserts, &dir, &inserts);
    for restored in [&from_archive, &from_inserts] {
        assert_checks_as_postgresql(restored);
    }
}

/// pg_dumpall of a Turnstile server: its one role, then its database. Its
/// script restores into a fresh server as into PostgreSQL: the one error is
/// the `CREATE ROLE` of the user that runs it, which exists; then check.sql
/// answers as PostgreSQL did.
#[test]
fn pg_dumpall_of_turnstile_restores() {
    if !have("psql") || !have("pg_dumpall") {
        return;
    }
    let source = source_server();
    let port = source.port().to_string();
    let all = Command::new(pg_program("pg_dumpall"))
        .args(["-h", "127.0.0.1", "-p", &port, "-U", "postgres"])
        .env("PGCONNECT_TIMEOUT", "10")
        .output()
        .expect("run pg_dumpall");
    assert!(
        all.status.success(),
        "pg_dumpall failed:\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&all.stderr),
        source.log()
    );
    let script = String::from_utf8(all.stdout).expect("UTF-8");
    assert!(
        script.contains("ALTER ROLE postgres WITH SUPERUSER"),
        "{script}"
    );

    let dir = DataDir::new();
    std::fs::create_dir_all(dir.path()).expect("create the script's directory");
    let file = dir.path().join("all.sql");
    std::fs::write(&file, &script).expect("write the script");
    let restored = TestServer::start_with_args(&["--no-modules"]);
    let port = restored.port().to_string();
    let restore = Command::new(pg_program("psql"))
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-X",
            "-q",
        ])
        .arg("-f")
        .arg(&file)
        .env("PGCONNECT_TIMEOUT", "10")
        .output()
        .expect("run psql");
    let errors: Vec<String> = String::from_utf8_lossy(&restore.stderr)
        .lines()
        .filter(|line| line.contains("ERROR"))
        .map(str::to_owned)
        .collect();
    assert!(
        errors.len() == 1 && errors[0].contains("role \"postgres\" already exists"),
        "restoring pg_dumpall's script: {errors:?}"
    );
    assert_checks_as_postgresql(&restored);
}

#[test]
fn pg_dump_of_a_module_database_restores_with_the_module() {
    if !have("psql") || !have("pg_dump") {
        return;
    }
    // The default server loads the bank module, whose schema makes `accounts`.
    let source = TestServer::start();
    let statements = "CALL open_account(1, 'ann', 100);\n\
                      CALL open_account(2, 'bob', 50);\n\
                      CALL transfer(1, 2, 30);\n\
                      CREATE TABLE note (id int PRIMARY KEY, account bigint REFERENCES accounts (id), body text);\n\
                      INSERT INTO note VALUES (1, 2, 'paid back');\n";
    let (ok, _, stderr) =
        common::pg_tools::psql(&source, &["-v", "ON_ERROR_STOP=1"], Some(statements));
    assert!(ok, "setting up the bank failed:\n{stderr}");
    let dump = pg_dump(&source);
    assert!(
        dump.contains("CREATE EXTENSION IF NOT EXISTS bank WITH SCHEMA public;"),
        "the module is dumped as an extension:\n{dump}"
    );
    // Its reducers and its table's definition come with the module; the rows
    // are the user's.
    assert!(!dump.contains("CREATE TABLE public.accounts"), "{dump}");
    assert!(!dump.contains("FUNCTION"), "{dump}");
    assert!(
        dump.contains(
            "COPY public.accounts (id, owner, balance) FROM stdin;\n1\tann\t70\n2\tbob\t80\n\\."
        ),
        "{dump}"
    );

    let dir = DataDir::new();
    let restored = TestServer::start();
    restore_dump(&restored, &dir, &dump);
    let query = "SELECT a.id, a.owner, a.balance, n.body FROM accounts a LEFT JOIN note n ON n.account = a.id ORDER BY a.id;\n\
                 CALL transfer(2, 1, 80);\n\
                 SELECT balance FROM accounts ORDER BY id;\n";
    let (ok, out, stderr) = common::pg_tools::psql(
        &restored,
        &["-A", "-t", "-v", "ON_ERROR_STOP=1"],
        Some(query),
    );
    assert!(ok, "the restored bank does not answer:\n{stderr}");
    assert_eq!(out, "1|ann|70|\n2|bob|80|paid back\nCALL\n150\n0\n");
}
