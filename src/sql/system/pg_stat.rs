//! `pg_stat_user_tables` (and `pg_stat_all_tables`), `pg_stat_database` and
//! `pg_stat_bgwriter`: the statistics views monitoring tools read, with what
//! Turnstile knows and NULL for what it does not count. A table's live rows
//! are its rows, and it has no dead ones (updates and deletes are made in
//! place, there is nothing to vacuum); the database's sessions, committed
//! transactions (since the server started) and deadlocks (advisory locks', see
//! `sql::advisory`) are counted. Scans, block reads, row traffic, vacuum runs
//! and the background writer's work are not: NULL, as PostgreSQL shows a
//! statistic it does not keep.

use crate::types::{DataType, Value};

use super::catalog::{self as c, NAME, OID};
use super::registry::{Schema, SystemRelation};
use super::{pg_class, SystemSnapshot};

const INT8: DataType = DataType::Int8;
const TIMESTAMPTZ: DataType = DataType::Timestamptz;

pub const USER_TABLES: SystemRelation = SystemRelation {
    name: "pg_stat_user_tables",
    schema: Schema::PgCatalog,
    columns: TABLE_COLUMNS,
    rows: table_rows,
};

/// `pg_stat_all_tables`: the same rows, every table being a user's (the
/// system catalogs are views here, see `pg_class`'s `relkind`).
pub const ALL_TABLES: SystemRelation = SystemRelation {
    name: "pg_stat_all_tables",
    ..USER_TABLES
};

const TABLE_COLUMNS: &[(&str, DataType)] = &[
    ("relid", OID),
    ("schemaname", NAME),
    ("relname", NAME),
    ("seq_scan", INT8),
    ("seq_tup_read", INT8),
    ("idx_scan", INT8),
    ("idx_tup_fetch", INT8),
    ("n_tup_ins", INT8),
    ("n_tup_upd", INT8),
    ("n_tup_del", INT8),
    ("n_tup_hot_upd", INT8),
    ("n_live_tup", INT8),
    ("n_dead_tup", INT8),
    ("n_mod_since_analyze", INT8),
    ("n_ins_since_vacuum", INT8),
    ("last_vacuum", TIMESTAMPTZ),
    ("last_autovacuum", TIMESTAMPTZ),
    ("last_analyze", TIMESTAMPTZ),
    ("last_autoanalyze", TIMESTAMPTZ),
    ("vacuum_count", INT8),
    ("autovacuum_count", INT8),
    ("analyze_count", INT8),
    ("autoanalyze_count", INT8),
];

fn table_rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    snapshot
        .db
        .tables()
        .map(|table| {
            let mut row = pg_class::table_statistics_row(table.schema(), TABLE_COLUMNS.len());
            row[11] = Value::Int8(table.len() as i64);
            row[12] = Value::Int8(0);
            row
        })
        .collect()
}

pub const DATABASE: SystemRelation = SystemRelation {
    name: "pg_stat_database",
    schema: Schema::PgCatalog,
    columns: &[
        ("datid", OID),
        ("datname", NAME),
        ("numbackends", DataType::Int4),
        ("xact_commit", INT8),
        ("xact_rollback", INT8),
        ("blks_read", INT8),
        ("blks_hit", INT8),
        ("tup_returned", INT8),
        ("tup_fetched", INT8),
        ("tup_inserted", INT8),
        ("tup_updated", INT8),
        ("tup_deleted", INT8),
        ("conflicts", INT8),
        ("temp_files", INT8),
        ("temp_bytes", INT8),
        ("deadlocks", INT8),
        ("checksum_failures", INT8),
        ("checksum_last_failure", TIMESTAMPTZ),
        ("blk_read_time", DataType::Float8),
        ("blk_write_time", DataType::Float8),
        ("session_time", DataType::Float8),
        ("active_time", DataType::Float8),
        ("idle_in_transaction_time", DataType::Float8),
        ("sessions", INT8),
        ("sessions_abandoned", INT8),
        ("sessions_fatal", INT8),
        ("sessions_killed", INT8),
        ("stats_reset", TIMESTAMPTZ),
    ],
    rows: |snapshot: &SystemSnapshot<'_>| {
        let sessions = snapshot.activities.map_or(0, |a| a.sessions().len());
        let deadlocks = snapshot.advisory.map_or(0, |a| a.deadlocks());
        let mut row = vec![
            c::oid(c::DATABASE_OID),
            c::name(snapshot.database),
            c::int4(sessions as i64),
            Value::Int8(snapshot.db.commits() as i64),
        ];
        row.resize(12, Value::Null);
        // Turnstile makes no replication conflicts and no temporary files.
        row.extend([Value::Int8(0), Value::Int8(0), Value::Int8(0)]);
        row.push(Value::Int8(deadlocks as i64));
        // Data checksums (PostgreSQL's page checksums) are not there: NULL, as
        // PostgreSQL shows without them. The log and snapshots have their own.
        row.resize(28, Value::Null);
        vec![row]
    },
};

/// One row, as in PostgreSQL. Turnstile has no buffer pool and no background
/// writer, and does not count its snapshots (its checkpoints) here; their
/// state is in `turnstile_wal`. So every counter is NULL.
pub const BGWRITER: SystemRelation = SystemRelation {
    name: "pg_stat_bgwriter",
    schema: Schema::PgCatalog,
    columns: &[
        ("checkpoints_timed", INT8),
        ("checkpoints_req", INT8),
        ("checkpoint_write_time", DataType::Float8),
        ("checkpoint_sync_time", DataType::Float8),
        ("buffers_checkpoint", INT8),
        ("buffers_clean", INT8),
        ("maxwritten_clean", INT8),
        ("buffers_backend", INT8),
        ("buffers_backend_fsync", INT8),
        ("buffers_alloc", INT8),
        ("stats_reset", TIMESTAMPTZ),
    ],
    rows: |_: &SystemSnapshot<'_>| vec![vec![Value::Null; 11]],
};
