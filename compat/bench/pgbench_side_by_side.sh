#!/usr/bin/env bash
# Turnstile and PostgreSQL 15 side by side, same client (pgbench), same data, same
# settings, both on loopback:
#   1. builds Turnstile in release mode and starts it on a free loopback port with a
#      temporary data dir;
#   2. initdb's a throwaway PostgreSQL 15 (as the `postgres` OS user when run as root,
#      since PostgreSQL refuses to run as root) on another free port, default settings;
#   3. loads the same table into both from one generated SQL file of multi-row INSERTs:
#      accounts(id BIGINT PRIMARY KEY, owner TEXT NOT NULL, balance BIGINT NOT NULL);
#   4. runs pgbench -n -f SCRIPT for `SELECT 1` (the protocol ceiling) and a point select
#      by primary key, with -M simple, -M extended (an unnamed statement parsed anew
#      every time, as many drivers send) and -M prepared, at 1 and 16 clients, and
#      prints TPS, average latency and the Turnstile/PostgreSQL ratio;
#   5. measures Turnstile's resident memory per row: RSS before and after loading
#      1,000,000 rows into a fresh server.
# Both servers are stopped by pid and their directories removed on exit, whatever happens.
#
# Settings (environment):
#   BENCH_SECONDS    pgbench -T per run                  (default 10)
#   BENCH_CLIENTS    client counts to run                (default "1 16")
#   BENCH_MODES      pgbench -M protocols to run         (default "simple extended prepared")
#   BENCH_THREADS    pgbench -j, capped at the clients   (default 2)
#   BENCH_ROWS       rows in accounts for pgbench        (default 100000)
#   BENCH_MEM_ROWS   rows for the memory measurement     (default 1000000; 0 skips it)
#   BENCH_SKIP_BUILD set to 1 to use an existing binary
#   TURNSTILE_BIN    the server binary (default target/release/turnstile)
set -euo pipefail

SECONDS_PER_RUN=${BENCH_SECONDS:-10}
CLIENTS=${BENCH_CLIENTS:-"1 16"}
MODES=${BENCH_MODES:-"simple extended prepared"}
THREADS=${BENCH_THREADS:-2}
ROWS=${BENCH_ROWS:-100000}
MEM_ROWS=${BENCH_MEM_ROWS:-1000000}
BATCH_ROWS=1000

REPO=$(cd "$(dirname "$0")/../.." && pwd)
TURNSTILE_BIN=${TURNSTILE_BIN:-$REPO/target/release/turnstile}
PGBIN=$(pg_config --bindir)
WORK=$(mktemp -d /tmp/turnstile-bench.XXXXXX)
chmod 755 "$WORK"
TS_PID=""
PG_PID=""

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
trap cleanup EXIT

# Kilobytes of resident memory of a pid.
rss_kb() {
    awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

main() {
    build_turnstile
    start_both_with_accounts "$ROWS" "$WORK/turnstile-data"
    local ts_port=$TS_PORT pg_port=$PG_PORT

    echo 'SELECT 1;' >"$WORK/select1.sql"
    printf '\\set id random(1, %d)\nSELECT balance FROM accounts WHERE id = :id;\n' "$ROWS" >"$WORK/point.sql"

    printf '\npgbench -n, -T %s s, -j %s, loopback; TPS (higher is better), average latency in ms\n\n' "$SECONDS_PER_RUN" "$THREADS"
    printf '%-12s %-9s %7s | %12s %9s | %12s %9s | %9s\n' workload mode clients \
        "turnstile" "lat ms" "postgres" "lat ms" "ts/pg tps"
    printf '%s\n' "------------------------------------------------------------------------------------------"
    local workload mode clients ts pg
    for workload in select1 point; do
        for mode in $MODES; do
            for clients in $CLIENTS; do
                ts=$(run_pgbench "$ts_port" "$WORK/$workload.sql" "$mode" "$clients" turnstile)
                pg=$(run_pgbench "$pg_port" "$WORK/$workload.sql" "$mode" "$clients" postgres)
                # shellcheck disable=SC2086
                set -- $ts $pg
                printf '%-12s %-9s %7s | %12s %9s | %12s %9s | %9s\n' \
                    "$workload" "$mode" "$clients" "$1" "$2" "$6" "$7" "$(ratio "$1" "$6")"
            done
        done
    done

    stop_pid "$TS_PID" TERM
    TS_PID=""
    stop_pid "$PG_PID" INT
    PG_PID=""

    if [ "$MEM_ROWS" -gt 0 ]; then
        log "measuring memory with $MEM_ROWS rows…"
        write_load_sql "$MEM_ROWS" "$WORK/load-mem.sql"
        ts_port=$(free_port)
        start_turnstile "$ts_port" "$WORK/turnstile-mem-data"
        local before after
        before=$(rss_kb "$TS_PID")
        load "$ts_port" "$WORK/load-mem.sql"
        after=$(rss_kb "$TS_PID")
        printf '\nmemory: Turnstile RSS %s kB before, %s kB after loading %s rows of (BIGINT PK, 10-char TEXT, BIGINT): %s bytes/row\n' \
            "$before" "$after" "$MEM_ROWS" \
            "$(awk -v a="$after" -v b="$before" -v n="$MEM_ROWS" 'BEGIN { printf "%.1f", (a - b) * 1024 / n }')"
    fi
}

main "$@"
