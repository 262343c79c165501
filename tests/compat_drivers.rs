//! The driver matrix (compat/drivers/README.md): one test per driver, each running
//! the same scenario against a real server — psql, pgbench, psycopg 3, asyncpg,
//! SQLAlchemy, node-postgres and pgJDBC as child processes given the server's URL,
//! and tokio-postgres and sqlx in process — and the ORMs Django, Sequelize and
//! TypeORM, each running a scenario of its own. A failing scenario fails its test with the
//! driver's output (PASS/FAIL per step). A driver whose interpreter or package is
//! missing fails too, saying to run `.ci/run`, which installs them all.
//!
//! Each test starts its own server on a free loopback port. With
//! `TURNSTILE_COMPAT_URL=postgres://…` set, every test targets that server instead
//! (compat/drivers/against-postgres.sh uses this to check the scenarios against
//! PostgreSQL 15).

mod common;

#[path = "../compat/drivers/rust/common.rs"]
mod compat_common;
#[path = "../compat/drivers/sqlx/scenario.rs"]
mod sqlx_scenario;
#[path = "../compat/drivers/tokio-postgres/scenario.rs"]
mod tokio_postgres_scenario;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::TestServer;

/// The longest a driver's scenario may run: a hang must fail the test, not stall CI.
/// Healthy scenarios take seconds; this measures nothing.
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(600);
/// How often a running scenario is polled for its exit.
const POLL: Duration = Duration::from_millis(50);

/// The server a scenario talks to: a fresh Turnstile, or TURNSTILE_COMPAT_URL.
struct Target {
    url: String,
    _server: Option<TestServer>,
}

fn target() -> Target {
    match std::env::var("TURNSTILE_COMPAT_URL") {
        Ok(url) if !url.is_empty() => Target { url, _server: None },
        _ => {
            let server = TestServer::start();
            Target {
                url: server.psql_url(),
                _server: Some(server),
            }
        }
    }
}

fn drivers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("compat/drivers")
}

/// A directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(driver: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("turnstile-compat-{driver}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Fails the test unless `program args…` runs and exits 0: the driver's interpreter
/// or package is there.
fn require(driver: &str, what: &str, program: &str, args: &[&str]) {
    let outcome = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output();
    let why = match outcome {
        Ok(out) if out.status.success() => return,
        Ok(out) => format!(
            "`{program} {}` exited with {}: {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => format!("cannot run `{program}`: {e}"),
    };
    panic!("{driver}: {what} is missing ({why}); run .ci/run, which installs what the driver matrix needs");
}

/// Runs one scenario as a child process and fails the test with its output unless it
/// exits 0. The child is killed by its pid if it outlives SCENARIO_TIMEOUT.
fn run_scenario(driver: &str, command: &mut Command, scratch: &TempDir) {
    let log_path = scratch.0.join("scenario.log");
    let log = std::fs::File::create(&log_path).expect("create the scenario log");
    let mut child = command
        .current_dir(drivers_dir())
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("clone the log handle"))
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("{driver}: cannot start {command:?}: {e}; run .ci/run"));
    let deadline = Instant::now() + SCENARIO_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("poll the scenario") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(POLL);
    };
    let output = std::fs::read_to_string(&log_path).unwrap_or_default();
    match status {
        Some(status) if status.success() => println!("{output}"),
        Some(status) => panic!("the {driver} scenario failed ({status}):\n{output}"),
        None => panic!(
            "the {driver} scenario did not finish within {} s and was killed:\n{output}",
            SCENARIO_TIMEOUT.as_secs()
        ),
    }
}

fn python_scenario(driver: &str, modules: &str) {
    require(driver, "python3", "python3", &["--version"]);
    require(
        driver,
        &format!("the Python package(s) {modules}"),
        "python3",
        &["-c", &format!("import {modules}")],
    );
    let target = target();
    let scratch = TempDir::new(driver);
    run_scenario(
        driver,
        Command::new("python3")
            .arg(format!("{driver}/scenario.py"))
            .arg(&target.url),
        &scratch,
    );
}

#[test]
fn psql() {
    require("psql", "psql", "psql", &["--version"]);
    let target = target();
    let scratch = TempDir::new("psql");
    run_scenario(
        "psql",
        Command::new("bash")
            .arg("psql/scenario.sh")
            .arg(&target.url),
        &scratch,
    );
}

#[test]
fn pgbench() {
    require("pgbench", "pgbench", "pgbench", &["--version"]);
    require("pgbench", "psql", "psql", &["--version"]);
    let target = target();
    let scratch = TempDir::new("pgbench");
    run_scenario(
        "pgbench",
        Command::new("bash")
            .arg("pgbench/scenario.sh")
            .arg(&target.url),
        &scratch,
    );
}

#[test]
fn psycopg() {
    python_scenario("psycopg", "psycopg");
}

#[test]
fn asyncpg() {
    python_scenario("asyncpg", "asyncpg");
}

#[test]
fn sqlalchemy() {
    python_scenario("sqlalchemy", "sqlalchemy, psycopg");
}

#[test]
fn django() {
    python_scenario("django", "django, psycopg");
}

/// Runs `node/<script>` against the target, `package` being the npm package
/// (in compat/drivers/node) the script drives.
fn node_scenario(driver: &str, package: &str, script: &str) {
    require(driver, "node", "node", &["--version"]);
    let installed = drivers_dir().join(format!("node/node_modules/{package}/package.json"));
    assert!(
        installed.exists(),
        "{driver}: {} is missing; run .ci/run, which installs it (npm ci in compat/drivers/node)",
        installed.display()
    );
    let target = target();
    let scratch = TempDir::new(driver);
    run_scenario(
        driver,
        Command::new("node")
            .arg(format!("node/{script}"))
            .arg(&target.url),
        &scratch,
    );
}

#[test]
fn node_postgres() {
    node_scenario("node-postgres", "pg", "scenario.js");
}

#[test]
fn sequelize() {
    node_scenario("sequelize", "sequelize", "sequelize.js");
}

#[test]
fn typeorm() {
    node_scenario("typeorm", "typeorm", "typeorm.js");
}

#[test]
fn node_pg_migrate() {
    node_scenario("node-pg-migrate", "node-pg-migrate", "pg_migrate.js");
}

/// Debian's libpostgresql-jdbc-java.
const PGJDBC_JAR: &str = "/usr/share/java/postgresql.jar";

#[test]
fn pgjdbc() {
    require("pgjdbc", "a JDK (javac)", "javac", &["-version"]);
    require("pgjdbc", "a Java runtime", "java", &["-version"]);
    assert!(
        Path::new(PGJDBC_JAR).exists(),
        "pgjdbc: {PGJDBC_JAR} is missing; run .ci/run, which installs libpostgresql-jdbc-java"
    );
    let target = target();
    let scratch = TempDir::new("pgjdbc");
    let classes = scratch.0.join("classes");
    let javac = Command::new("javac")
        .arg("-d")
        .arg(&classes)
        .arg("-cp")
        .arg(PGJDBC_JAR)
        .arg(drivers_dir().join("jdbc/Scenario.java"))
        .output()
        .expect("run javac");
    assert!(
        javac.status.success(),
        "pgjdbc: javac failed:\n{}",
        String::from_utf8_lossy(&javac.stderr)
    );
    run_scenario(
        "pgjdbc",
        Command::new("java")
            .arg("-cp")
            .arg(format!("{}:{PGJDBC_JAR}", classes.display()))
            .arg("-Duser.timezone=UTC")
            .arg("Scenario")
            .arg(&target.url),
        &scratch,
    );
}

#[tokio::test]
async fn tokio_postgres() {
    let target = target();
    tokio_postgres_scenario::run(&target.url).await;
}

#[tokio::test]
async fn sqlx() {
    let target = target();
    sqlx_scenario::run(&target.url).await;
}
