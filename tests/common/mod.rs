//! Starts the real `turnstile` binary for integration tests.
//!
//! `TestServer::start()` makes a fresh temporary data directory, spawns
//! `turnstile serve --listen 127.0.0.1:0 --data-dir DIR` and returns once the server has
//! logged the address it accepts connections on (polled against a deadline, never a
//! fixed sleep). Dropping the `TestServer` kills that child by its pid, waits for it,
//! and removes the directory. The server's stderr goes to a log file that is printed if
//! the server fails to come up, so a broken start says why.
//!
//! The server binds port 0 and the test reads the port from its log, because any port
//! picked by the test beforehand is a race: another process can take it, and a
//! readiness probe that connects to a port in the ephemeral range can connect to
//! *itself* (TCP simultaneous open when the probe's source port equals the
//! destination), which "succeeds" before the server listens.
//!
//! ```ignore
//! mod common;
//! let server = common::TestServer::start();
//! let client = server.connect().await;
//! client.simple_query("select 1").await.unwrap();
//! ```
#![allow(dead_code)] // Each test crate uses a different part of this helper.

pub mod pg_tools;
pub mod raw;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long a fresh server may take to accept connections. Generous because a loaded
/// CI machine may run many test binaries at once; a healthy in-memory server is ready
/// in milliseconds.
const READY_TIMEOUT_MS: u64 = 30_000;
/// How often readiness is polled.
const READY_POLL_MS: u64 = 10;
/// What the server logs, with `addr=IP:PORT`, once it accepts connections.
const ACCEPTING_MESSAGE: &str = "turnstile is accepting connections";

/// Tells the temporary directories of servers started by one test process apart.
static NEXT_SERVER: AtomicUsize = AtomicUsize::new(0);

/// A running `turnstile serve` child process, stopped and cleaned up on drop.
pub struct TestServer {
    /// The child process; killed by its pid on drop.
    child: Child,
    /// The loopback port the server listens on, read from its log once it is ready
    /// (0 until then).
    port: u16,
    /// The temporary directory holding `data/` and `server.log`; removed on drop.
    base_dir: PathBuf,
    /// A data directory that outlives this server (see [`TestServer::start_in`]),
    /// used instead of `base_dir/data` and not removed on drop.
    kept_data_dir: Option<PathBuf>,
}

impl TestServer {
    /// Starts a server with the default flags on a free loopback port.
    pub fn start() -> TestServer {
        TestServer::start_with_args(&[])
    }

    /// Starts a server with extra command-line flags after `serve --listen … --data-dir …`,
    /// for example `&["--max-connections", "2"]`.
    pub fn start_with_args(extra_args: &[&str]) -> TestServer {
        TestServer::start_ready(None, extra_args)
    }

    /// Spawns a server on `kept_data_dir` if given, else on a fresh `base_dir/data`,
    /// and waits until it accepts connections. Panics with its log if it exits first
    /// or is not ready in time.
    fn start_ready(kept_data_dir: Option<&Path>, extra_args: &[&str]) -> TestServer {
        let mut server = TestServer::spawn(kept_data_dir, extra_args);
        server.wait_ready();
        server
    }

    /// Spawns the child without waiting for it; Drop stops it and removes its
    /// `base_dir` (never a kept data directory).
    fn spawn(kept_data_dir: Option<&Path>, extra_args: &[&str]) -> TestServer {
        let base_dir = fresh_base_dir();
        let data_dir = kept_data_dir
            .map(Path::to_path_buf)
            .unwrap_or_else(|| base_dir.join("data"));
        let log_path = base_dir.join("server.log");
        let log = std::fs::File::create(&log_path).expect("create server log file");
        let child = Command::new(env!("CARGO_BIN_EXE_turnstile"))
            .arg("serve")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(&data_dir)
            .args(extra_args)
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone log file handle"))
            .stderr(log)
            .spawn()
            .expect("spawn the turnstile binary");
        // From here on, Drop stops the child and removes the directory on every path.
        TestServer {
            child,
            port: 0,
            base_dir,
            kept_data_dir: kept_data_dir.map(Path::to_path_buf),
        }
    }

    /// Polls the log until the server says which port it accepts connections on.
    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_millis(READY_TIMEOUT_MS);
        loop {
            if let Some(port) = self.logged_port(ACCEPTING_MESSAGE) {
                self.port = port;
                return;
            }
            if let Some(status) = self.child.try_wait().expect("poll the server child") {
                panic!(
                    "turnstile exited with {status} before it was ready; log:\n{}",
                    self.log()
                );
            }
            if Instant::now() > deadline {
                panic!(
                    "turnstile did not accept connections within {READY_TIMEOUT_MS} ms; log:\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(READY_POLL_MS));
        }
    }

    /// The first log line containing `needle`, waiting for the server to log it:
    /// some lines follow the reply they are about (the writer thread records a
    /// request's lock metrics, and logs a slow hold, after delivering its reply).
    /// Panics with the log if the line does not come in time.
    pub fn log_line(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_millis(READY_TIMEOUT_MS);
        loop {
            let log = self.log_plain();
            if let Some(line) = log.lines().find(|l| l.contains(needle)) {
                return line.to_owned();
            }
            if Instant::now() > deadline {
                panic!("no log line with {needle:?} within {READY_TIMEOUT_MS} ms; log:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(READY_POLL_MS));
        }
    }

    /// The port of the `addr=IP:PORT` field on the first log line containing
    /// `message`, if the server has logged it: how a test learns the port of a
    /// listener started on port 0 (`--metrics-listen 127.0.0.1:0` too).
    pub fn logged_port(&self, message: &str) -> Option<u16> {
        let log = self.log_plain();
        let line = log.lines().find(|line| line.contains(message))?;
        let addr = line
            .split_whitespace()
            .find_map(|field| field.strip_prefix("addr="))?;
        let addr: SocketAddr = addr.parse().ok()?;
        Some(addr.port())
    }

    /// The loopback port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The `--data-dir` the server was started with.
    pub fn data_dir(&self) -> PathBuf {
        match &self.kept_data_dir {
            Some(dir) => dir.clone(),
            None => self.base_dir.join("data"),
        }
    }

    /// What the server has logged so far (stdout and stderr).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.base_dir.join("server.log")).unwrap_or_default()
    }

    /// A libpq connection string, usable by `psql` and `tokio_postgres::connect`.
    pub fn psql_url(&self) -> String {
        format!("postgres://turnstile@127.0.0.1:{}/turnstile", self.port)
    }

    /// Connects a tokio-postgres client (no TLS) and drives its connection on a spawned
    /// task. Must be called inside a tokio runtime.
    pub async fn connect(&self) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::connect(&self.psql_url(), tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "connect to turnstile on port {}: {e}; log:\n{}",
                    self.port,
                    self.log()
                )
            });
        tokio::spawn(async move {
            // The connection ends with an error when the server goes away at the end
            // of a test; that is not a test failure.
            let _ = connection.await;
        });
        client
    }

    /// Connects a tokio-postgres client whose connection task hands the
    /// notifications it receives (NotificationResponse) to the returned queue,
    /// in the order they arrived.
    pub async fn connect_listening(
        &self,
    ) -> (
        tokio_postgres::Client,
        tokio::sync::mpsc::UnboundedReceiver<tokio_postgres::Notification>,
    ) {
        let (client, mut connection) =
            tokio_postgres::connect(&self.psql_url(), tokio_postgres::NoTls)
                .await
                .expect("connect to turnstile");
        let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
            while let Some(Ok(message)) = futures::StreamExt::next(&mut messages).await {
                if let tokio_postgres::AsyncMessage::Notification(notification) = message {
                    let _ = sender.send(notification);
                }
            }
        });
        (client, receiver)
    }
}

/// The process id of `client`'s session (`pg_backend_pid()`).
pub async fn backend_pid(client: &tokio_postgres::Client) -> i32 {
    client
        .query_one("select pg_backend_pid()", &[])
        .await
        .expect("pg_backend_pid() answers")
        .get(0)
}

/// How long a server may take to exit after SIGTERM, or to refuse to start: the
/// shutdown grace for running statements is 10 s, then a snapshot is written.
const EXIT_TIMEOUT_MS: u64 = 60_000;

impl TestServer {
    /// Starts a server on `data_dir`, which outlives it: restart tests start the
    /// next server on the same directory. Extra flags as in `start_with_args`.
    pub fn start_in(data_dir: &DataDir, extra_args: &[&str]) -> TestServer {
        TestServer::start_ready(Some(data_dir.path()), extra_args)
    }

    /// Starts a server on `data_dir` that is expected to refuse to start, waits for
    /// it to exit and returns its exit status and its log (ANSI colours removed).
    /// Panics if it is still running after [`EXIT_TIMEOUT_MS`].
    pub fn start_in_expecting_refusal(
        data_dir: &DataDir,
        extra_args: &[&str],
    ) -> (std::process::ExitStatus, String) {
        let mut server = TestServer::spawn(Some(data_dir.path()), extra_args);
        let status = server.wait_exit();
        (status, server.log_plain())
    }

    /// Kills the server with SIGKILL (by its pid: `Child::kill`) and waits until it
    /// is gone: a crash, with no shutdown work at all.
    pub fn kill_9(&mut self) {
        self.child.kill().expect("SIGKILL the server");
        self.child.wait().expect("reap the killed server");
    }

    /// Sends SIGTERM to the server's pid (a clean shutdown: running statements
    /// finish, a snapshot is written) and waits until it exits; returns its status.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let sent = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status()
            .expect("run kill -TERM");
        assert!(sent.success(), "kill -TERM {} failed", self.pid());
        self.wait_exit()
    }

    /// Waits for the child to exit by itself, polling against a deadline.
    fn wait_exit(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_millis(EXIT_TIMEOUT_MS);
        loop {
            if let Some(status) = self.child.try_wait().expect("poll the server child") {
                return status;
            }
            if Instant::now() > deadline {
                panic!(
                    "turnstile (pid {}) did not exit within {EXIT_TIMEOUT_MS} ms; log:\n{}",
                    self.pid(),
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(READY_POLL_MS));
        }
    }

    /// The log without the ANSI colour codes the server puts around field names,
    /// so that tests can look for `offset=24` and the like.
    pub fn log_plain(&self) -> String {
        strip_ansi(&self.log())
    }
}

/// Removes ANSI escape sequences (`ESC [ … letter`) from `text`.
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        for c in chars.by_ref() {
            if c.is_ascii_alphabetic() {
                break;
            }
        }
    }
    out
}

/// Asserts that `client`'s connection still answers a query: after an error, the
/// session must go on (ARCHITECTURE.md, invariant 7).
pub async fn assert_answers(client: &tokio_postgres::Client) {
    let row = client
        .query_one("select 1", &[])
        .await
        .expect("the connection answers");
    assert_eq!(row.get::<_, i32>(0), 1);
}

/// Sends `cancel` requests (psql's Ctrl-C) until `task`, which runs a statement,
/// has finished: a request that arrives before the statement starts finds nothing
/// to cancel, so another is sent. Each round waits for the server's answer.
pub async fn cancel_until_finished<T>(
    cancel: &tokio_postgres::CancelToken,
    task: &tokio::task::JoinHandle<T>,
) {
    while !task.is_finished() {
        cancel
            .cancel_query(tokio_postgres::NoTls)
            .await
            .expect("the cancel request is delivered");
        tokio::task::yield_now().await;
    }
}

/// A data directory that outlives the servers started on it (restart, crash and
/// damage tests start several servers on one directory); removed on drop.
pub struct DataDir {
    /// The directory, unique to this process and call.
    path: PathBuf,
}

impl DataDir {
    pub fn new() -> DataDir {
        DataDir {
            path: fresh_base_dir(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // Child::kill sends SIGKILL to this child's pid only; wait reaps it so no zombie
        // is left behind. Both fail harmlessly if the child already exited.
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.base_dir);
    }
}

/// A new, empty directory under the system temp dir, unique to this process and call.
fn fresh_base_dir() -> PathBuf {
    let n = NEXT_SERVER.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("turnstile-test-{}-{n}", std::process::id()));
    remove_if_present(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir for the test server");
    dir
}

/// Removes a directory left over from an earlier process that had the same pid.
fn remove_if_present(dir: &Path) {
    if dir.exists() {
        std::fs::remove_dir_all(dir).expect("remove stale temp dir");
    }
}
