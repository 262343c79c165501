#!/usr/bin/env bash
# Writes, Turnstile and PostgreSQL 15 side by side (issue 4), same client (pgbench),
# same data, same durability, both on loopback:
#   1. builds Turnstile in release mode and starts it on a free loopback port with a
#      temporary data dir; initdb's a throwaway PostgreSQL 15 (as the `postgres` OS
#      user when run as root) on another free port, default settings (fsync on);
#   2. loads accounts(id BIGINT PRIMARY KEY, owner TEXT NOT NULL, balance BIGINT NOT
#      NULL) with BENCH_ROWS rows into both from one generated file of INSERTs;
#   3. runs pgbench -n -M prepared with one atomic statement that moves money between
#      two random accounts:
#        UPDATE accounts SET balance = balance + CASE WHEN id = :a THEN -1 ELSE 1 END
#        WHERE id IN (:a, :b)
#      with uniform random(1, ROWS) accounts and synchronous_commit on and off, and
#      with skewed random_zipfian(1, ROWS, 1.1) accounts and synchronous_commit on,
#      at 1 and 16 clients. synchronous_commit is set per session the same way on both
#      systems: PGOPTIONS='-c synchronous_commit=off' (libpq's startup options).
#      Prints TPS, average latency and the Turnstile/PostgreSQL TPS ratio, and the
#      WAL bytes per transaction of both (Turnstile: log_bytes of turnstile_wal, or
#      the growth of its segment files; PostgreSQL: pg_current_wal_lsn() before and
#      after);
#   4. restart and snapshot with BENCH_RESTART_ROWS rows in a fresh Turnstile: the time
#      from process start to accepting connections after a kill -9 (recovery replays
#      the log) and after a clean stop (recovery loads the shutdown snapshot), read from
#      the server log's timestamps; and the time of a snapshot taken while the server
#      runs (CHECKPOINT, or the shutdown snapshot where CHECKPOINT is not available) with
#      the longest lock hold during it, from the log line "snapshot written …
#      duration_ms=… longest_lock_hold_us=…".
# Both servers are stopped by pid and their directories removed on exit, whatever
# happens. It prints figures; it does not judge them and it is not a test.
#
# Settings (environment):
#   BENCH_SECONDS       pgbench -T per run                       (default 10)
#   BENCH_CLIENTS       client counts to run                     (default "1 16")
#   BENCH_THREADS       pgbench -j, capped at the clients        (default 2)
#   BENCH_ROWS          rows in accounts for pgbench             (default 100000)
#   BENCH_RESTART_ROWS  rows for the restart and snapshot figures (default 1000000; 0 skips)
#   BENCH_SKIP_BUILD    set to 1 to use an existing binary
#   TURNSTILE_BIN       the server binary (default target/release/turnstile)
set -euo pipefail

SECONDS_PER_RUN=${BENCH_SECONDS:-10}
CLIENTS=${BENCH_CLIENTS:-"1 16"}
THREADS=${BENCH_THREADS:-2}
ROWS=${BENCH_ROWS:-100000}
RESTART_ROWS=${BENCH_RESTART_ROWS:-1000000}
BATCH_ROWS=1000

REPO=$(cd "$(dirname "$0")/../.." && pwd)
TURNSTILE_BIN=${TURNSTILE_BIN:-$REPO/target/release/turnstile}
PGBIN=$(pg_config --bindir)
WORK=$(mktemp -d /tmp/turnstile-bench-writes.XXXXXX)
chmod 755 "$WORK"
TS_PID=""
PG_PID=""

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
trap cleanup EXIT

# Bytes of WAL Turnstile on PORT has written: `log_bytes` of its turnstile_wal view
# (it only grows), or where the view is missing the size of the segment files in
# data dir DIR (which a snapshot may shrink).
ts_wal_bytes() {
    local port=$1 dir=$2 bytes
    if bytes=$(q "$port" 'SELECT log_bytes FROM turnstile_wal' 2>/dev/null) && [ -n "$bytes" ]; then
        echo "$bytes"
    else
        find "$dir/wal" -name '*.wal' -printf '%s\n' 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'
    fi
}

# Bytes of WAL PostgreSQL has written since initdb.
pg_wal_bytes() {
    q "$1" "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint"
}

per_txn() {
    awk -v bytes="$1" -v n="$2" 'BEGIN { if (n + 0 > 0) printf "%.0f", bytes / n; else print "-" }'
}

# Seconds (with fractions) of an ISO timestamp in a log line, or of now.
epoch_of() {
    date -d "$1" +%s.%N
}

# The timestamp (first field, colours removed) of the last log line matching PATTERN.
log_time() {
    local file=$1 pattern=$2
    sed 's/\x1b\[[0-9;]*m//g' "$file" | grep -- "$pattern" | tail -1 | awk '{ print $1 }'
}

# The value of field NAME=… in the last log line matching PATTERN.
log_field() {
    local file=$1 pattern=$2 name=$3
    sed 's/\x1b\[[0-9;]*m//g' "$file" | grep -- "$pattern" | tail -1 |
        grep -o "$name=[0-9]*" | head -1 | cut -d= -f2
}

run_writes() {
    local ts_port=$1 pg_port=$2 ts_dir=$3
    printf '\\set a random(1, %d)\n\\set b random(1, %d)\nUPDATE accounts SET balance = balance + CASE WHEN id = :a THEN -1 ELSE 1 END WHERE id IN (:a, :b);\n' \
        "$ROWS" "$ROWS" >"$WORK/transfer.sql"
    printf '\\set a random_zipfian(1, %d, 1.1)\n\\set b random_zipfian(1, %d, 1.1)\nUPDATE accounts SET balance = balance + CASE WHEN id = :a THEN -1 ELSE 1 END WHERE id IN (:a, :b);\n' \
        "$ROWS" "$ROWS" >"$WORK/transfer_zipf.sql"

    printf '\npgbench -n -M prepared, -T %s s, -j %s, loopback, %s accounts; TPS (higher is better), average latency in ms, WAL bytes per transaction\n\n' \
        "$SECONDS_PER_RUN" "$THREADS" "$ROWS"
    printf '%-14s %-5s %7s | %10s %8s %7s | %10s %8s %7s | %9s\n' workload sync clients \
        "turnstile" "lat ms" "wal B" "postgres" "lat ms" "wal B" "ts/pg tps"
    printf '%s\n' "-----------------------------------------------------------------------------------------------------"
    local workload sync clients opts ts pg ts_wal pg_wal
    for spec in transfer:on transfer:off transfer_zipf:on; do
        workload=${spec%%:*}
        sync=${spec##*:}
        opts=""
        [ "$sync" = off ] && opts="-c synchronous_commit=off"
        for clients in $CLIENTS; do
            ts_wal=$(ts_wal_bytes "$ts_port" "$ts_dir")
            ts=$(run_pgbench "$ts_port" "$WORK/$workload.sql" prepared "$clients" turnstile "$opts")
            ts_wal=$(($(ts_wal_bytes "$ts_port" "$ts_dir") - ts_wal))
            pg_wal=$(pg_wal_bytes "$pg_port")
            pg=$(run_pgbench "$pg_port" "$WORK/$workload.sql" prepared "$clients" postgres "$opts")
            pg_wal=$(($(pg_wal_bytes "$pg_port") - pg_wal))
            # shellcheck disable=SC2086
            set -- $ts $pg
            printf '%-14s %-5s %7s | %10s %8s %7s | %10s %8s %7s | %9s\n' \
                "$workload" "$sync" "$clients" "$1" "$2" "$(per_txn "$ts_wal" "$3")" \
                "$6" "$7" "$(per_txn "$pg_wal" "$8")" "$(ratio "$1" "$6")"
        done
    done
}

# Starts Turnstile on DIR, prints the seconds from process start to "accepting
# connections" and how it recovered.
timed_start() {
    local port=$1 dir=$2 what=$3
    local started ready
    started=$(date +%s.%N)
    start_turnstile "$port" "$dir"
    ready=$(epoch_of "$(log_time "$dir.log" 'accepting connections')")
    printf '  restart %-34s %6.2f s to accepting connections (snapshot_lsn=%s, records_replayed=%s, rows=%s)\n' \
        "$what" "$(awk -v a="$ready" -v b="$started" 'BEGIN { print a - b }')" \
        "$(log_field "$dir.log" 'recovered' snapshot_lsn)" \
        "$(log_field "$dir.log" 'recovered' records_replayed)" \
        "$(q "$port" 'SELECT count(*) FROM accounts')"
}

snapshot_line() {
    local dir=$1 what=$2
    printf '  snapshot %-33s %6s ms, longest lock hold %s us, %s bytes, %s rows\n' "$what" \
        "$(log_field "$dir.log" 'snapshot written' duration_ms)" \
        "$(log_field "$dir.log" 'snapshot written' longest_lock_hold_us)" \
        "$(log_field "$dir.log" 'snapshot written' bytes)" \
        "$(log_field "$dir.log" 'snapshot written' rows)"
}

run_restart() {
    local dir="$WORK/turnstile-restart" port
    log "restart and snapshot with $RESTART_ROWS rows…"
    write_load_sql "$RESTART_ROWS" "$WORK/load-restart.sql"
    port=$(free_port)
    start_turnstile "$port" "$dir"
    load "$port" "$WORK/load-restart.sql"
    printf '\nrestart and snapshot, %s rows of (BIGINT PK, 10-char TEXT, BIGINT), WAL %s bytes:\n' \
        "$RESTART_ROWS" "$(ts_wal_bytes "$port" "$dir")"

    # A crash: the next start replays the whole log.
    stop_pid "$TS_PID" KILL
    TS_PID=""
    timed_start "$port" "$dir" "after kill -9 (log only)"

    # A snapshot while the server runs.
    if q "$port" 'CHECKPOINT' >/dev/null 2>&1; then
        snapshot_line "$dir" "CHECKPOINT"
    fi
    # A clean stop writes the shutdown snapshot; the next start loads it.
    stop_pid "$TS_PID" TERM
    TS_PID=""
    snapshot_line "$dir" "at shutdown"
    timed_start "$port" "$dir" "after SIGTERM (snapshot)"
    stop_pid "$TS_PID" TERM
    TS_PID=""
}

main() {
    build_turnstile
    local ts_dir="$WORK/turnstile-data"
    start_both_with_accounts "$ROWS" "$ts_dir"
    local ts_port=$TS_PORT pg_port=$PG_PORT

    run_writes "$ts_port" "$pg_port" "$ts_dir"

    stop_pid "$TS_PID" TERM
    TS_PID=""
    stop_pid "$PG_PID" INT
    PG_PID=""

    if [ "$RESTART_ROWS" -gt 0 ]; then
        run_restart
    fi
}

main "$@"
