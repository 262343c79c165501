//! The `turnstile` command line: parses flags, sets up logging and signals, and runs
//! `turnstile::server::run` on a bound listener.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;
use turnstile::module::Budgets;
use turnstile::server::{
    self, Config, DurabilityConfig, ModuleSource, MAX_CONNECTIONS_DEFAULT,
    WAL_FLUSH_INTERVAL_MS_DEFAULT, WAL_SEGMENT_BYTES_DEFAULT,
};
use turnstile::sql::STATEMENT_THREAD_STACK_BYTES;
use turnstile::turnstile::{AdmissionConfig, LockPolicy};
use turnstile::wal::{OnDamage, WalFaults};
use turnstile::wire::{
    Limits, BLOCK_CHANGES_MAX_DEFAULT, COPY_BYTES_MAX_DEFAULT, MESSAGE_BYTES_MAX_DEFAULT,
    ROWS_PER_STATEMENT_MAX_DEFAULT, STATEMENT_BYTES_MAX_DEFAULT,
};

/// jemalloc rather than the system allocator: a statement allocates a few dozen
/// short-lived buffers (protocol messages, values, rows, redo), and jemalloc's
/// per-thread caches serve them in about a third of glibc's instructions. Measured
/// with callgrind over `pgbench -M prepared` (instructions per transaction): the
/// point select 20.3k → 19.1k, the issue-4 UPDATE 31.8k → 29.5k. The price is
/// resident memory: 1,000,000 accounts take 116 bytes a row instead of 106 (the
/// target is 120). mimalloc was measured too: 128 bytes a row.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(
    name = "turnstile",
    version,
    about = "An in-memory relational database that speaks the PostgreSQL protocol"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve PostgreSQL clients. Log level: RUST_LOG (default info).
    Serve(ServeArgs),
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:5433")]
    listen: String,
    /// Data directory (WAL, snapshots, lock file), created if missing.
    #[arg(long, default_value = "./turnstile-data")]
    data_dir: PathBuf,
    /// Most concurrent sessions; one more is refused with SQLSTATE 53300.
    #[arg(long, default_value_t = MAX_CONNECTIONS_DEFAULT)]
    max_connections: usize,
    /// Reader threads (SELECTs running at once); default: the number of CPUs.
    #[arg(long)]
    reader_threads: Option<usize>,
    /// Default statement_timeout of every session: milliseconds or with a unit ("5s"); 0 = off.
    #[arg(long, default_value = "0")]
    statement_timeout: String,
    /// Default synchronous_commit of every session: on (acknowledge a write once its
    /// WAL record is fsynced) or off (once it is visible; a crash may lose up to
    /// --wal-flush-interval of acknowledged writes). Sessions may SET it.
    #[arg(long, default_value = "on", value_name = "on|off", action = clap::ArgAction::Set, value_parser = parse_synchronous_commit)]
    synchronous_commit: bool,
    /// Log statements that take at least this many milliseconds; -1 = off.
    #[arg(long, default_value_t = 1000, allow_negative_numbers = true)]
    log_min_duration_statement: i64,
    /// Largest protocol message accepted, in bytes.
    #[arg(long, default_value_t = MESSAGE_BYTES_MAX_DEFAULT)]
    max_message_bytes: usize,
    /// Longest SQL text accepted, in bytes.
    #[arg(long, default_value_t = STATEMENT_BYTES_MAX_DEFAULT)]
    max_statement_bytes: usize,
    /// Most rows one statement may return.
    #[arg(long, default_value_t = ROWS_PER_STATEMENT_MAX_DEFAULT)]
    max_rows_per_statement: usize,
    /// Most bytes of data one COPY … FROM STDIN may send.
    #[arg(long, default_value_t = COPY_BYTES_MAX_DEFAULT)]
    max_copy_bytes: usize,
    /// Most rows one transaction block (BEGIN … COMMIT) may change.
    #[arg(long, default_value_t = BLOCK_CHANGES_MAX_DEFAULT)]
    max_block_changes: usize,
    /// Longest that commits wait for the WAL flusher when no session waits for them,
    /// in milliseconds (what synchronous_commit = off can lose in a crash).
    #[arg(long, default_value_t = WAL_FLUSH_INTERVAL_MS_DEFAULT)]
    wal_flush_interval: u64,
    /// Size at which a WAL segment file is closed and the next started, in bytes.
    #[arg(long, default_value_t = WAL_SEGMENT_BYTES_DEFAULT)]
    wal_segment_bytes: u64,
    /// Take a background snapshot after this much WAL ("256MiB", "1GB") or this
    /// much time ("10min", "30s"); the other trigger keeps its default.
    #[arg(long)]
    snapshot_every: Option<String>,
    /// At start, cut the log at damage found before its end (and skip damaged
    /// snapshots) instead of refusing to start: every later transaction is lost.
    #[arg(long)]
    recovery_truncate_corrupt: bool,
    /// A WebAssembly module to load (repeatable); without one, the embedded bank
    /// example (modules/bank) is loaded.
    #[arg(long = "module", value_name = "PATH", conflicts_with = "no_modules")]
    modules: Vec<PathBuf>,
    /// Load no module, not even the embedded bank example: a plain SQL server.
    #[arg(long)]
    no_modules: bool,
    /// Wall-clock budget of every reducer and view call ("100ms", "1s"); a call over
    /// it is rolled back with SQLSTATE 57014. A session's statement_timeout lowers it.
    #[arg(long, default_value = "100ms")]
    reducer_time_limit: String,
    /// Memory budget of every module instance ("64MiB"); a call that needs more is
    /// rolled back with SQLSTATE 53200.
    #[arg(long, default_value = "64MiB")]
    reducer_memory_limit: String,
    /// A reducer whose last 16 calls each ended normally within this ("100us") runs
    /// its calls on a session's task (the caller's when the write lock is free, the
    /// holder's when it is not), which saves the writer thread's two hand-offs; a
    /// longer, stopped or trapped call sends it back to the writer thread. 0 keeps
    /// every call on the writer thread.
    #[arg(long, default_value = "100us")]
    reducer_short_call: String,
    /// Who is admitted to the global lock first when reads and writes both wait:
    /// fair (phases alternate), read-first, write-first, deadline (writes first
    /// until a read waits --max-read-wait), or rwlock (no policy: the baseline).
    #[arg(long, default_value = "fair", value_parser = parse_lock_policy)]
    lock_policy: LockPolicy,
    /// The most requests one lock phase admits; the write lock is taken once for
    /// up to this many writes (writer batching). 1 = one write per acquisition.
    #[arg(long, default_value_t = AdmissionConfig::default().batch_max)]
    lock_batch: usize,
    /// How long after it begins a lock phase stops admitting ("1ms", "500us").
    #[arg(long, default_value = "1ms")]
    lock_batch_time: String,
    /// read-first / write-first: the longest the other class waits before its
    /// turn is forced ("10ms").
    #[arg(long, default_value = "10ms")]
    starvation_bound: String,
    /// deadline: the target for the longest wait of a read for the lock ("1ms").
    #[arg(long, default_value = "1ms")]
    max_read_wait: String,
    /// Log every request that holds the lock this long or longer ("10ms").
    #[arg(long, default_value = "10ms")]
    slow_lock_threshold: String,
    /// Serve the lock's metrics in Prometheus's text format at http://ADDR/metrics
    /// (e.g. 127.0.0.1:9187); off by default.
    #[arg(long, value_name = "ADDR")]
    metrics_listen: Option<SocketAddr>,
    /// Tests only: sleep this many milliseconds before every WAL fsync (a slow disk).
    #[arg(long, hide = true, default_value_t = 0)]
    fault_wal_fsync_delay_ms: u64,
    /// Tests only: fail every WAL write after this many bytes (a full disk).
    #[arg(long, hide = true)]
    fault_wal_fail_after_bytes: Option<u64>,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    std::panic::set_hook(Box::new(|info| tracing::error!(%info, "panic")));
    let Command::Serve(args) = Cli::parse().command;
    // Sessions parse, bind and often run their statements on tokio's threads.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(STATEMENT_THREAD_STACK_BYTES)
        .build();
    let outcome = match runtime {
        Ok(runtime) => runtime.block_on(serve(args)),
        Err(e) => Err(format!("could not start the async runtime: {e}")),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    let statement_timeout_ms =
        turnstile::sql::parse_millis("statement_timeout", &args.statement_timeout)
            .map_err(|e| e.to_string())?;
    let defaults = Config::default();
    let durability = durability_config(&args)?;
    let module_budgets = module_budgets(&args)?;
    let admission = admission_config(&args)?;
    let slow_lock_hold = parse_duration("--slow-lock-threshold", &args.slow_lock_threshold)?;
    let config = Config {
        data_dir: args.data_dir,
        max_connections: args.max_connections,
        reader_threads: args.reader_threads.unwrap_or(defaults.reader_threads),
        statement_timeout_ms,
        synchronous_commit: args.synchronous_commit,
        log_min_duration_statement_ms: u64::try_from(args.log_min_duration_statement).ok(),
        limits: Limits {
            message_bytes_max: args.max_message_bytes,
            statement_bytes_max: args.max_statement_bytes,
            rows_per_statement_max: args.max_rows_per_statement,
            block_changes_max: args.max_block_changes,
            copy_bytes_max: args.max_copy_bytes,
            ..Limits::default()
        },
        durability,
        modules: if args.no_modules {
            ModuleSource::None
        } else if args.modules.is_empty() {
            ModuleSource::EmbeddedBank
        } else {
            ModuleSource::Files(args.modules)
        },
        module_budgets,
        admission,
        slow_lock_hold,
        metrics_listen: args.metrics_listen,
    };
    let listener = TcpListener::bind(&args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    server::run(listener, config, shutdown_signal())
        .await
        .map_err(|e| format!("server failed: {e}"))
}

fn durability_config(args: &ServeArgs) -> Result<DurabilityConfig, String> {
    let mut durability = DurabilityConfig {
        wal_flush_interval: Duration::from_millis(args.wal_flush_interval.max(1)),
        wal_segment_bytes: args.wal_segment_bytes,
        on_damage: if args.recovery_truncate_corrupt {
            OnDamage::Truncate
        } else {
            OnDamage::Refuse
        },
        faults: WalFaults {
            fsync_delay: Duration::from_millis(args.fault_wal_fsync_delay_ms),
            fail_after_bytes: args.fault_wal_fail_after_bytes,
        },
        ..DurabilityConfig::default()
    };
    if let Some(every) = &args.snapshot_every {
        match parse_amount("--snapshot-every", every)? {
            Amount::Bytes(bytes) => durability.snapshot_policy.every_bytes = bytes,
            Amount::Time(time) => durability.snapshot_policy.every = time,
        }
    }
    Ok(durability)
}

fn admission_config(args: &ServeArgs) -> Result<AdmissionConfig, String> {
    if args.lock_batch == 0 {
        return Err("--lock-batch must be at least 1".into());
    }
    Ok(AdmissionConfig {
        policy: args.lock_policy,
        batch_max: args.lock_batch,
        batch_time: parse_duration("--lock-batch-time", &args.lock_batch_time)?,
        starvation_bound: parse_duration("--starvation-bound", &args.starvation_bound)?,
        max_read_wait: parse_duration("--max-read-wait", &args.max_read_wait)?,
    })
}

fn parse_lock_policy(text: &str) -> Result<LockPolicy, String> {
    text.parse()
}

/// Parses a length of time for `flag`: "500us", "2ms", "1s"; a zero needs no unit.
fn parse_duration(flag: &str, text: &str) -> Result<Duration, String> {
    match parse_amount(flag, text)? {
        Amount::Time(time) => Ok(time),
        Amount::Bytes(0) => Ok(Duration::ZERO),
        Amount::Bytes(_) => Err(format!(
            "{flag} {text:?}: expected a length of time with a unit, e.g. 500us, 2ms or 1s"
        )),
    }
}

fn module_budgets(args: &ServeArgs) -> Result<Budgets, String> {
    let time_ms = turnstile::sql::parse_millis("reducer_time_limit", &args.reducer_time_limit)
        .map_err(|e| e.to_string())?;
    if time_ms == 0 {
        return Err("--reducer-time-limit must be more than 0".into());
    }
    let memory_bytes = match parse_amount("--reducer-memory-limit", &args.reducer_memory_limit)? {
        Amount::Bytes(bytes) if bytes >= 1 << 20 => usize::try_from(bytes).unwrap_or(usize::MAX),
        _ => return Err("--reducer-memory-limit takes a size of at least 1MiB, e.g. 64MiB".into()),
    };
    Ok(Budgets {
        time: Duration::from_millis(time_ms),
        memory_bytes,
        short_call: parse_duration("--reducer-short-call", &args.reducer_short_call)?,
    })
}

/// An amount of bytes or of time, as `--snapshot-every` and
/// `--reducer-memory-limit` take them.
#[derive(Debug, PartialEq)]
enum Amount {
    Bytes(u64),
    Time(Duration),
}

/// Parses "256MiB", "1GB", "4096" (bytes), "10min", "30s", "500ms", "250us", "2h".
fn parse_amount(flag: &str, text: &str) -> Result<Amount, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits.parse().map_err(|_| {
        format!("{flag} {text:?}: expected a number and a unit, e.g. 256MiB or 10min")
    })?;
    let bytes = |scale: u64| Ok(Amount::Bytes(n.saturating_mul(scale)));
    let time = |us: u64| Ok(Amount::Time(Duration::from_micros(n.saturating_mul(us))));
    match unit.trim() {
        "" | "B" => bytes(1),
        "kB" | "KB" => bytes(1_000),
        "KiB" => bytes(1 << 10),
        "MB" => bytes(1_000_000),
        "MiB" => bytes(1 << 20),
        "GB" => bytes(1_000_000_000),
        "GiB" => bytes(1 << 30),
        "us" => time(1),
        "ms" => time(1_000),
        "s" => time(1_000_000),
        "min" | "m" => time(60_000_000),
        "h" => time(3_600_000_000),
        other => Err(format!("{flag} {text:?}: unknown unit {other:?} (use B, kB, MB, MiB, GB, GiB, us, ms, s, min or h)")),
    }
}

/// `--synchronous-commit`: PostgreSQL's values; `local`, `remote_write` and
/// `remote_apply` mean `on` on a single server.
fn parse_synchronous_commit(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "local" | "remote_write" | "remote_apply" => Ok(true),
        "off" | "false" => Ok(false),
        _ => Err(format!("expected on or off, not {text:?}")),
    }
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("shutdown signal received");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--snapshot-every` takes an amount of log or of time, with units.
    #[test]
    fn snapshot_every_units() {
        assert_eq!(
            parse_amount("--snapshot-every", "256MiB"),
            Ok(Amount::Bytes(256 << 20))
        );
        assert_eq!(
            parse_amount("--snapshot-every", "4096"),
            Ok(Amount::Bytes(4096))
        );
        assert_eq!(
            parse_amount("--snapshot-every", "10min"),
            Ok(Amount::Time(Duration::from_secs(600)))
        );
        assert_eq!(
            parse_amount("--snapshot-every", "500ms"),
            Ok(Amount::Time(Duration::from_millis(500)))
        );
        assert!(parse_amount("--snapshot-every", "ten").is_err());
        assert!(parse_amount("--snapshot-every", "5 parsecs").is_err());
    }

    /// Lengths of time take a unit, except a zero.
    #[test]
    fn durations_take_a_unit_or_are_zero() {
        let flag = "--reducer-short-call";
        assert_eq!(
            parse_duration(flag, "100us"),
            Ok(Duration::from_micros(100))
        );
        assert_eq!(parse_duration(flag, "0"), Ok(Duration::ZERO));
        assert!(parse_duration(flag, "100").is_err());
        assert!(parse_duration(flag, "64MiB").is_err());
    }

    /// `--synchronous-commit` takes PostgreSQL's values.
    #[test]
    fn synchronous_commit_values() {
        assert_eq!(parse_synchronous_commit("on"), Ok(true));
        assert_eq!(parse_synchronous_commit("remote_apply"), Ok(true));
        assert_eq!(parse_synchronous_commit("OFF"), Ok(false));
        assert!(parse_synchronous_commit("maybe").is_err());
    }
}
