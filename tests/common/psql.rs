//! Running the real `psql` (the reference client) against a test server.

use std::process::Command;

use super::TestServer;

/// Runs `psql -X` against `server` as user `x` on database `y` with `args`, feeding
/// it `stdin` if given; returns (success, stdout, stderr).
pub fn psql(server: &TestServer, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
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
pub fn have_psql() -> bool {
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
