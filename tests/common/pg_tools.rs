//! PostgreSQL's own client programs (psql, pgbench) against a test server. They
//! come from `pg_config --bindir` when it is there (the real binaries of the
//! installed version), else from PATH. A missing program fails the test, so these
//! tests cannot pass without running; TURNSTILE_SKIP_PSQL_TESTS=1 skips them on
//! purpose.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::TestServer;

/// The path of PostgreSQL's `program` (`psql`, `pgbench`).
pub fn pg_program(program: &str) -> PathBuf {
    let bindir = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    match bindir {
        Some(dir) if dir.join(program).exists() => dir.join(program),
        _ => PathBuf::from(program),
    }
}

/// True if `program` runs; false only when TURNSTILE_SKIP_PSQL_TESTS=1 says to
/// skip. A missing program without that opt-out panics, so the test fails.
pub fn have(program: &str) -> bool {
    if std::env::var("TURNSTILE_SKIP_PSQL_TESTS").is_ok_and(|v| v == "1") {
        eprintln!("TURNSTILE_SKIP_PSQL_TESTS=1: skipping");
        return false;
    }
    let found = Command::new(pg_program(program))
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "{program} is not installed; install it or set TURNSTILE_SKIP_PSQL_TESTS=1 to skip"
    );
    true
}

/// Runs `program` (psql or pgbench) with the server's host, port and a user, then
/// `args`, feeding `stdin` if given. Returns (success, stdout, stderr).
pub fn run(
    server: &TestServer,
    program: &str,
    args: &[&str],
    stdin: Option<&str>,
) -> (bool, String, String) {
    let port = server.port().to_string();
    let mut cmd = Command::new(pg_program(program));
    cmd.args(["-h", "127.0.0.1", "-p", &port, "-U", "x"])
        .args(args)
        .env("PGCONNECT_TIMEOUT", "10")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {program}: {e}"));
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).expect("write stdin");
    }
    drop(input);
    let output = child.wait_with_output().expect("program output");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `psql -X -d y` with `args` (see [`run`]).
pub fn psql(server: &TestServer, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut all = vec!["-X", "-d", "y"];
    all.extend_from_slice(args);
    run(server, "psql", &all, stdin)
}
