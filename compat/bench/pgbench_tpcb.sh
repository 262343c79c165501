#!/usr/bin/env bash
# Transaction blocks, Turnstile and PostgreSQL 15 side by side (issue 6): pgbench's
# own TPC-B-like script, which wraps five statements in BEGIN … END, on the tables
# `pgbench -i` creates and loads on each server.
#   1. builds Turnstile in release mode and starts it (no modules) on a free loopback
#      port with a temporary data dir; initdb's a throwaway PostgreSQL 15 (as the
#      `postgres` OS user when run as root) on another free port, default settings
#      (fsync on);
#   2. runs `pgbench -i -s SCALE` against both (COPY, ALTER TABLE … ADD PRIMARY KEY);
#   3. runs `pgbench -b tpcb-like -M prepared --max-tries=10` at each client count,
#      synchronous_commit on and off (set per session on both with PGOPTIONS).
# Every block updates one of the SCALE branch rows, so blocks conflict all the time
# on the branches; Turnstile commits them without failing each other because nobody
# reads a branch row back (see src/sql/block.rs), and validates the account row
# the script does read back. Prints TPS, average latency, the share of
# transactions that failed after 10 tries and that were retried, and the
# Turnstile/PostgreSQL TPS ratio. Both servers are stopped by pid and their
# directories removed on exit, whatever happens. It prints figures; it does not
# judge them and it is not a test.
#
# Settings (environment):
#   BENCH_SECONDS       pgbench -T per run                       (default 30)
#   BENCH_CLIENTS       client counts to run                     (default "16")
#   BENCH_THREADS       pgbench -j, capped at the clients        (default 2)
#   BENCH_SCALE         pgbench -i -s                            (default 16)
#   BENCH_SKIP_BUILD    set to 1 to use an existing binary
#   TURNSTILE_BIN       the server binary (default target/release/turnstile)
set -euo pipefail

SECONDS_PER_RUN=${BENCH_SECONDS:-30}
CLIENTS=${BENCH_CLIENTS:-"16"}
THREADS=${BENCH_THREADS:-2}
SCALE=${BENCH_SCALE:-16}
PGBENCH_FLAGS="--max-tries=10"

REPO=$(cd "$(dirname "$0")/../.." && pwd)
TURNSTILE_BIN=${TURNSTILE_BIN:-$REPO/target/release/turnstile}
PGBIN=$(pg_config --bindir)
WORK=$(mktemp -d /tmp/turnstile-bench-tpcb.XXXXXX)
chmod 755 "$WORK"
TS_PID=""
PG_PID=""

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
trap cleanup EXIT

# pgbench -i against the server on PORT; its timing line on stderr.
initialize() {
    local port=$1 name=$2
    log "pgbench -i -s $SCALE on $name…"
    "$PGBIN/pgbench" -i -s "$SCALE" -h 127.0.0.1 -p "$port" -U postgres postgres >"$WORK/init-$name.log" 2>&1 \
        || { log "pgbench -i failed on $name:"; tail -5 "$WORK/init-$name.log" >&2; exit 1; }
    grep '^done in' "$WORK/init-$name.log" | sed "s/^/  $name: /" >&2
}

main() {
    build_turnstile
    local ts_port pg_port
    ts_port=$(free_port)
    start_turnstile "$ts_port" "$WORK/turnstile" --no-modules
    pg_port=$(free_port)
    start_postgres "$pg_port"
    log "Turnstile on 127.0.0.1:$ts_port (pid $TS_PID), PostgreSQL on 127.0.0.1:$pg_port (pid $PG_PID)"
    initialize "$ts_port" turnstile
    initialize "$pg_port" postgres

    printf '\npgbench -b tpcb-like -M prepared --max-tries=10, scale %s, %ss per run, %s\n' \
        "$SCALE" "$SECONDS_PER_RUN" "$(nproc) cores"
    printf '%-5s %7s | %10s %8s %7s %7s | %10s %8s %7s %7s | %9s\n' \
        sync clients "TS tps" "TS ms" "fail%" "retry%" "PG tps" "PG ms" "fail%" "retry%" "TS/PG"
    printf '%s\n' "----------------------------------------------------------------------------------------------"
    local sync clients opts ts pg
    for sync in on off; do
        opts=""
        [ "$sync" = off ] && opts="-c synchronous_commit=off"
        for clients in $CLIENTS; do
            ts=$(run_pgbench "$ts_port" builtin:tpcb-like prepared "$clients" turnstile "$opts")
            pg=$(run_pgbench "$pg_port" builtin:tpcb-like prepared "$clients" postgres "$opts")
            # shellcheck disable=SC2086
            set -- $ts $pg
            printf '%-5s %7s | %10s %8s %7s %7s | %10s %8s %7s %7s | %9s\n' \
                "$sync" "$clients" "$1" "$2" "$4" "$5" "$6" "$7" "$9" "${10}" "$(ratio "$1" "$6")"
        done
    done
    # TPC-B's invariant: every delta went to one account, one teller and one branch.
    local sums="SELECT (SELECT sum(abalance) FROM pgbench_accounts) || ' ' || (SELECT sum(tbalance) FROM pgbench_tellers) || ' ' || (SELECT sum(bbalance) FROM pgbench_branches)"
    printf '\nCheck: sums of account, teller and branch balances (all equal on each server)\n'
    printf '  Turnstile:  %s\n  PostgreSQL: %s\n' "$(q "$ts_port" "$sums")" "$(q "$pg_port" "$sums")"
}

main "$@"
