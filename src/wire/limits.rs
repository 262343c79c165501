//! The bounds on what one client can send or ask for (ARCHITECTURE.md, invariant 8).

/// Default for [`Limits::message_bytes_max`]: 64 MiB.
pub const MESSAGE_BYTES_MAX_DEFAULT: usize = 64 << 20;
/// Default for [`Limits::statement_bytes_max`]: 1 MiB of SQL text.
pub const STATEMENT_BYTES_MAX_DEFAULT: usize = 1 << 20;
/// Default for [`Limits::parameters_max`]: the protocol's own bound (a u16 count).
pub const PARAMETERS_MAX_DEFAULT: usize = 65_535;
/// Default for [`Limits::rows_per_statement_max`].
pub const ROWS_PER_STATEMENT_MAX_DEFAULT: usize = 10_000_000;
/// Default for [`Limits::copy_bytes_max`]: 256 MiB of COPY data.
pub const COPY_BYTES_MAX_DEFAULT: usize = 256 << 20;
/// Default for [`Limits::block_changes_max`]: enough for `pgbench -i -s 50` in one
/// block.
pub const BLOCK_CHANGES_MAX_DEFAULT: usize = 10_000_000;
/// How long a new connection may take to finish its startup handshake.
pub const STARTUP_TIMEOUT_MS: u64 = 60_000;

/// Per-connection limits. Going over one is an ErrorResponse naming the limit; only
/// an oversized message also closes the connection, because its bytes cannot be
/// skipped without reading them.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest protocol message accepted, in bytes (length word included). Checked as
    /// the header arrives, before the body is buffered.
    pub message_bytes_max: usize,
    /// Longest SQL text in a Query or Parse message, in bytes (54000 over it).
    pub statement_bytes_max: usize,
    /// Most parameters one statement may declare or bind (54000 over it).
    pub parameters_max: usize,
    /// Most rows one statement may return (54000 over it). Rows are materialized
    /// before they are sent (the read lock is released first), so this bounds memory.
    pub rows_per_statement_max: usize,
    /// Most bytes of data one `COPY … FROM STDIN` may send (54000 over it, and
    /// nothing is loaded). The rows are held in memory until they are written as
    /// one transaction, so this bounds that memory.
    pub copy_bytes_max: usize,
    /// Most rows one transaction block may change (54000 over it, and the block
    /// fails). A block keeps its changes in memory until COMMIT, and every
    /// statement in it replays them (see `sql::block`), so this bounds both.
    pub block_changes_max: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            message_bytes_max: MESSAGE_BYTES_MAX_DEFAULT,
            statement_bytes_max: STATEMENT_BYTES_MAX_DEFAULT,
            parameters_max: PARAMETERS_MAX_DEFAULT,
            rows_per_statement_max: ROWS_PER_STATEMENT_MAX_DEFAULT,
            copy_bytes_max: COPY_BYTES_MAX_DEFAULT,
            block_changes_max: BLOCK_CHANGES_MAX_DEFAULT,
        }
    }
}
