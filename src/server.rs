//! The server: accepts connections on an already-bound listener and serves each on
//! its own task until the shutdown future completes (the shape of mini-redis's
//! `server::run`, so tests can bind port 0 and stop the server when they like).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch, Semaphore};

use crate::db::{recover, snapshot_dir, wal_dir};
use crate::metrics_endpoint;
use crate::module::{Budgets, ModuleError, ModuleHost};
use crate::sql::{Engine, SqlChecks};
use crate::turnstile::{AdmissionConfig, Durable, SnapshotPolicy, Turnstile, TurnstileConfig};
use crate::wal::{DataDirLock, OnDamage, Wal, WalConfig, WalError, WalFaults};
use crate::wire::{self, CancelRegistry, Limits, WireContext};

/// Default for [`Config::max_connections`].
pub const MAX_CONNECTIONS_DEFAULT: usize = 100;
/// How long shutdown waits for running statements before it gives up on them.
pub const SHUTDOWN_GRACE_MS: u64 = 10_000;
/// Room for connections besides `--max-connections` sessions: those still in
/// their handshake (a client that has not sent its startup packet yet holds no
/// session slot), cancel requests, and startups refused with 53300. Connections are
/// bounded at `--max-connections` plus the larger of this and `--max-connections`
/// (PostgreSQL bounds its backends, sessions or not, at about twice
/// `max_connections`); a socket over that is closed without an answer, so a flood
/// cannot spawn unbounded tasks.
pub const HANDSHAKE_ROOM_MIN: usize = 16;
/// Default of `--wal-flush-interval`: what `synchronous_commit = off` can lose.
pub const WAL_FLUSH_INTERVAL_MS_DEFAULT: u64 = 50;
/// Default WAL segment size.
pub const WAL_SEGMENT_BYTES_DEFAULT: u64 = 64 << 20;
/// Default cap on unflushed log bytes before writers are held back.
pub const WAL_BUFFER_CAP_BYTES_DEFAULT: usize = 64 << 20;
/// Default: a background snapshot after this many bytes of log.
pub const SNAPSHOT_EVERY_BYTES_DEFAULT: u64 = 256 << 20;
/// Default: a background snapshot after this long, if anything was written.
pub const SNAPSHOT_EVERY_SECS_DEFAULT: u64 = 600;
/// Pause after a failed accept (e.g. out of file descriptors) before trying again.
const ACCEPT_RETRY_MS: u64 = 100;

/// Everything `turnstile serve` can be told.
#[derive(Debug, Clone)]
pub struct Config {
    /// The data directory: WAL segments, snapshots, the lock file. Created if missing.
    pub data_dir: PathBuf,
    /// Most concurrent sessions; one more gets FATAL 53300.
    pub max_connections: usize,
    /// Reader threads: how many SELECTs run at once under the read lock.
    pub reader_threads: usize,
    /// Each session's starting `statement_timeout`, in milliseconds (0 = off).
    pub statement_timeout_ms: u64,
    /// Each session's starting `synchronous_commit`: true acknowledges writes once
    /// durable (`on`, PostgreSQL's default), false once visible (`off`).
    pub synchronous_commit: bool,
    /// Statements taking at least this long are logged with their text; None = off.
    pub log_min_duration_statement_ms: Option<u64>,
    /// Message, statement, parameter and row limits per connection.
    pub limits: Limits,
    /// How the write-ahead log and snapshots are written.
    pub durability: DurabilityConfig,
    /// The modules to load.
    pub modules: ModuleSource,
    /// Time and memory budgets of every reducer and view call.
    pub module_budgets: Budgets,
    /// Who is admitted to the global lock when (`--lock-policy` and its bounds).
    pub admission: AdmissionConfig,
    /// A request holding the lock this long or longer is logged.
    pub slow_lock_hold: Duration,
    /// Where to serve the lock's metrics in Prometheus's text format; None = off.
    pub metrics_listen: Option<SocketAddr>,
}

/// The write-ahead log and snapshot settings (see `wal` for what they mean).
#[derive(Debug, Clone)]
pub struct DurabilityConfig {
    /// The longest unflushed commits wait when no session waits for them.
    pub wal_flush_interval: Duration,
    /// Segment files are closed at about this size.
    pub wal_segment_bytes: u64,
    /// Unflushed log bytes beyond which writers are held back before the lock.
    pub wal_buffer_cap_bytes: usize,
    /// When background snapshots are taken.
    pub snapshot_policy: SnapshotPolicy,
    /// What recovery does with damage before the end of the log.
    pub on_damage: OnDamage,
    /// Disk faults to inject (tests only; off by default).
    pub faults: WalFaults,
}

impl Default for DurabilityConfig {
    fn default() -> DurabilityConfig {
        DurabilityConfig {
            wal_flush_interval: Duration::from_millis(WAL_FLUSH_INTERVAL_MS_DEFAULT),
            wal_segment_bytes: WAL_SEGMENT_BYTES_DEFAULT,
            wal_buffer_cap_bytes: WAL_BUFFER_CAP_BYTES_DEFAULT,
            snapshot_policy: SnapshotPolicy {
                every_bytes: SNAPSHOT_EVERY_BYTES_DEFAULT,
                every: Duration::from_secs(SNAPSHOT_EVERY_SECS_DEFAULT),
            },
            on_damage: OnDamage::Refuse,
            faults: WalFaults::default(),
        }
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            data_dir: PathBuf::from("./turnstile-data"),
            max_connections: MAX_CONNECTIONS_DEFAULT,
            reader_threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            statement_timeout_ms: 0,
            synchronous_commit: true,
            log_min_duration_statement_ms: Some(1000),
            limits: Limits::default(),
            durability: DurabilityConfig::default(),
            modules: ModuleSource::EmbeddedBank,
            module_budgets: Budgets::default(),
            admission: AdmissionConfig::default(),
            slow_lock_hold: TurnstileConfig::default().slow_lock_hold,
            metrics_listen: None,
        }
    }
}

/// Which modules `turnstile serve` loads.
#[derive(Debug, Clone)]
pub enum ModuleSource {
    /// The bank example, embedded in the binary (no `--module`).
    EmbeddedBank,
    /// The files given with `--module`.
    Files(Vec<PathBuf>),
    /// None (`--no-modules`): a plain SQL server.
    None,
}

/// The bank example (`modules/bank`), built for wasm32 by `build.rs`: what
/// `turnstile serve` loads when no `--module` is given.
pub const BANK_MODULE: &[u8] = include_bytes!(concat!(
    env!("TURNSTILE_MODULES_DIR"),
    "/turnstile_bank.wasm"
));

/// Serves clients on `listener` until `shutdown` completes, then stops accepting,
/// lets running statements finish (up to [`SHUTDOWN_GRACE_MS`]), closes the idle
/// sessions with FATAL 57P01 and returns.
pub async fn run(listener: TcpListener, config: Config, shutdown: impl Future) -> io::Result<()> {
    let (turnstile, _lock) = open_data_dir(&config).await?;
    let metrics_endpoint = match config.metrics_listen {
        Some(addr) => Some(metrics_endpoint::start(addr, turnstile.status()).await?),
        None => None,
    };
    let modules = load_modules(&config).await?;
    let engine = Arc::new(Engine::new(turnstile.clone(), Some(modules.clone())));
    for module in modules.modules() {
        engine
            .install_module(module.clone())
            .await
            .map_err(io::Error::other)?;
        tracing::info!(
            module = module.name(),
            reducers = module.description().reducers.len(),
            views = module.description().views.len(),
            "module loaded"
        );
    }
    let (stop_snapshots_tx, stop_snapshots_rx) = tokio::sync::oneshot::channel::<()>();
    let periodic = tokio::spawn({
        let turnstile = turnstile.clone();
        let policy = config.durability.snapshot_policy.clone();
        async move {
            let stop = async move {
                let _ = stop_snapshots_rx.await;
            };
            turnstile.snapshot_periodically(policy, stop).await
        }
    });
    let ctx = Arc::new(WireContext {
        engine,
        limits: config.limits.clone(),
        statement_timeout_ms: config.statement_timeout_ms,
        max_connections: config.max_connections,
        synchronous_commit: config.synchronous_commit,
        slow_statement: config
            .log_min_duration_statement_ms
            .map(Duration::from_millis),
        sessions: Arc::new(Semaphore::new(config.max_connections)),
        cancels: Arc::new(CancelRegistry::default()),
        keys: Default::default(),
    });
    tracing::info!(addr = %listener.local_addr()?, max_connections = config.max_connections, "turnstile is accepting connections");
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    // Every connection task holds a sender; recv() returns None once all are gone.
    let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
    let connections = Arc::new(Semaphore::new(
        config.max_connections + config.max_connections.max(HANDSHAKE_ROOM_MIN),
    ));
    tokio::pin!(shutdown);
    loop {
        let tcp = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(ACCEPT_RETRY_MS)).await;
                    continue;
                }
            },
        };
        if let Ok(permit) = connections.clone().try_acquire_owned() {
            let (ctx, shutdown_rx, done) = (ctx.clone(), shutdown_rx.clone(), done_tx.clone());
            tokio::spawn(async move {
                guarded(wire::serve(tcp, ctx, shutdown_rx)).await;
                drop((permit, done));
            });
        }
    }
    drop(listener);
    tracing::info!("shutting down: no new connections; waiting for running statements");
    let _ = shutdown_tx.send(true);
    drop(done_tx);
    if tokio::time::timeout(Duration::from_millis(SHUTDOWN_GRACE_MS), done_rx.recv())
        .await
        .is_err()
    {
        tracing::warn!(
            grace_ms = SHUTDOWN_GRACE_MS,
            "some connections did not finish in time"
        );
    }
    let _ = stop_snapshots_tx.send(());
    let _ = periodic.await;
    if let Some(endpoint) = metrics_endpoint {
        endpoint.abort();
    }
    // A clean shutdown leaves a snapshot, so the next start replays nothing.
    if let Err(error) = turnstile.snapshot().await {
        tracing::error!(%error, "the shutdown snapshot failed; the log still holds every commit");
    }
    // The turnstile's drop joins its threads and flushes the log: do it off the
    // async workers, on a plain thread (outside the runtime's context, where the
    // drop joins rather than handing the joins to a detached thread).
    let last = std::thread::spawn(move || drop((ctx, turnstile)));
    let _ = tokio::task::spawn_blocking(move || last.join()).await;
    tracing::info!("shut down");
    Ok(())
}

/// Locks the data directory, recovers its database (newest snapshot, then the log)
/// and starts the turnstile with a write-ahead log.
async fn open_data_dir(config: &Config) -> io::Result<(Turnstile, DataDirLock)> {
    let data_dir = config.data_dir.clone();
    let on_damage = config.durability.on_damage;
    let (lock, recovered) = tokio::task::spawn_blocking(move || {
        let lock = DataDirLock::acquire(&data_dir)?;
        let recovered = recover(&data_dir, on_damage)?;
        Ok::<_, WalError>((lock, recovered))
    })
    .await
    .map_err(io::Error::other)?
    .map_err(io::Error::other)?;
    tracing::info!(data_dir = %config.data_dir.display(), snapshot_lsn = recovered.snapshot_lsn, records_replayed = recovered.records_replayed, next_lsn = recovered.next_lsn, "recovered");
    let wal = Wal::start(
        WalConfig {
            dir: wal_dir(&config.data_dir),
            segment_size_bytes: config.durability.wal_segment_bytes,
            flush_interval: config.durability.wal_flush_interval,
            buffer_cap_bytes: config.durability.wal_buffer_cap_bytes,
            faults: config.durability.faults.clone(),
        },
        recovered.next_lsn,
        recovered.log_bytes,
    )
    .map_err(io::Error::other)?;
    let mut db = recovered.db;
    db.set_check_evaluator(Arc::new(SqlChecks::new()));
    let turnstile = Turnstile::start_with_wal(
        db,
        TurnstileConfig {
            reader_threads: config.reader_threads,
            queue_capacity: (config.max_connections * 2).max(1),
            admission: config.admission.clone(),
            slow_lock_hold: config.slow_lock_hold,
        },
        Some(Durable {
            wal: Arc::new(wal),
            snapshot_dir: snapshot_dir(&config.data_dir),
        }),
    )?;
    Ok((turnstile, lock))
}

/// Compiles the modules `config` names (or the embedded bank example), off the
/// async workers: compiling takes a while.
async fn load_modules(config: &Config) -> io::Result<Arc<ModuleHost>> {
    let (source, budgets) = (config.modules.clone(), config.module_budgets);
    tokio::task::spawn_blocking(move || {
        let mut host = ModuleHost::new(budgets)?;
        let paths = match source {
            ModuleSource::EmbeddedBank => {
                host.load("bank", BANK_MODULE)?;
                Vec::new()
            }
            ModuleSource::Files(paths) => paths,
            ModuleSource::None => Vec::new(),
        };
        for path in &paths {
            let bytes = std::fs::read(path).map_err(|e| ModuleError::Invalid {
                module: path.display().to_string(),
                reason: format!("cannot read it: {e}"),
            })?;
            let name = path.file_stem().map_or_else(
                || path.display().to_string(),
                |stem| stem.to_string_lossy().into_owned(),
            );
            host.load(&name, &bytes)?;
        }
        Ok::<_, ModuleError>(Arc::new(host))
    })
    .await
    .map_err(io::Error::other)?
    .map_err(io::Error::other)
}

/// Runs a connection task, logging a panic instead of losing it silently.
async fn guarded(task: impl Future<Output = ()>) {
    if let Err(panic) = std::panic::AssertUnwindSafe(task).catch_unwind().await {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        tracing::error!(%message, "a connection task panicked; the connection was closed");
    }
}
