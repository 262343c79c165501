//! The `turnstile` command line: parses flags, sets up logging and signals, and runs
//! `turnstile::server::run` on a bound listener.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;
use turnstile::server::{self, Config, MAX_CONNECTIONS_DEFAULT};
use turnstile::wire::{
    Limits, MESSAGE_BYTES_MAX_DEFAULT, ROWS_PER_STATEMENT_MAX_DEFAULT, STATEMENT_BYTES_MAX_DEFAULT,
};

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
    /// Data directory, created if missing (data stays in memory in this version).
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
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    std::panic::set_hook(Box::new(|info| tracing::error!(%info, "panic")));
    let Command::Serve(args) = Cli::parse().command;
    match serve(args).await {
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
    let config = Config {
        data_dir: args.data_dir,
        max_connections: args.max_connections,
        reader_threads: args.reader_threads.unwrap_or(defaults.reader_threads),
        statement_timeout_ms,
        log_min_duration_statement_ms: u64::try_from(args.log_min_duration_statement).ok(),
        limits: Limits {
            message_bytes_max: args.max_message_bytes,
            statement_bytes_max: args.max_statement_bytes,
            rows_per_statement_max: args.max_rows_per_statement,
            ..Limits::default()
        },
    };
    let listener = TcpListener::bind(&args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    server::run(listener, config, shutdown_signal())
        .await
        .map_err(|e| format!("server failed: {e}"))
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
