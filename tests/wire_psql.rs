//! psql, the reference client, against the real binary: a one-off `-c` and a script
//! with ON_ERROR_STOP. A missing psql fails these tests, so they cannot pass without
//! running; set TURNSTILE_SKIP_PSQL_TESTS=1 to skip them on purpose.

mod common;

use std::process::Command;

fn psql(server: &common::TestServer, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let port = server.port().to_string();
    let mut cmd = Command::new("psql");
    cmd.args(["-X", "-h", "127.0.0.1", "-p", &port, "-U", "x", "-d", "y"])
        .args(args)
        .env("PGCONNECT_TIMEOUT", "10");
    let output = if let Some(input) = stdin {
        use std::io::Write;
        let mut child = cmd
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn psql");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write the script");
        child.wait_with_output().expect("psql output")
    } else {
        cmd.output().expect("run psql")
    };
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// True if psql is installed; false only when TURNSTILE_SKIP_PSQL_TESTS=1 says to
/// skip. A missing psql without that opt-out panics, so the test fails.
fn have_psql() -> bool {
    if std::env::var("TURNSTILE_SKIP_PSQL_TESTS").is_ok_and(|v| v == "1") {
        eprintln!("TURNSTILE_SKIP_PSQL_TESTS=1: skipping");
        return false;
    }
    let found = Command::new("psql")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "psql is not installed; install it or set TURNSTILE_SKIP_PSQL_TESTS=1 to skip"
    );
    true
}

/// `psql -c 'select 1'` prints the one-row table.
#[test]
fn psql_select_one() {
    if !have_psql() {
        return;
    }
    let server = common::TestServer::start();
    let (ok, out, err) = psql(&server, &["-c", "select 1"], None);
    assert!(ok, "{err}");
    assert_eq!(out, " ?column? \n----------\n        1\n(1 row)\n\n");
}

/// A create/insert/select script runs under ON_ERROR_STOP; an error stops it with
/// exit status 3 after the statements before it.
#[test]
fn psql_script() {
    if !have_psql() {
        return;
    }
    let server = common::TestServer::start();
    let script =
        "create table ledger (id bigint primary key, owner text not null, balance bigint);\n\
                  insert into ledger values (1, 'ada', 100), (2, 'bob', 50);\n\
                  select owner, balance from ledger order by id;\n";
    let (ok, out, err) = psql(
        &server,
        &["-v", "ON_ERROR_STOP=1", "-A", "-t"],
        Some(script),
    );
    assert!(ok, "{err}");
    assert_eq!(out, "CREATE TABLE\nINSERT 0 2\nada|100\nbob|50\n");
    let (ok, out, err) = psql(
        &server,
        &["-v", "ON_ERROR_STOP=1", "-A", "-t"],
        Some("select 1;\nselect 1/0;\nselect 2;\n"),
    );
    assert!(!ok);
    assert_eq!(out, "1\n");
    assert!(err.contains("division by zero"), "{err}");
}
