#!/usr/bin/env bash
# Reducers, Turnstile and PostgreSQL 15 side by side (issue 5), same client
# (pgbench -M prepared), same data, same durability, both on loopback:
#   1. builds Turnstile in release mode and starts it with its embedded default (the
#      bank module, whose schema creates accounts) on a free loopback port with a
#      temporary data dir; initdb's a throwaway PostgreSQL 15 (as the `postgres` OS
#      user when run as root) on another free port, default settings (fsync on), and
#      creates there the same table and `transfer` as a PL/pgSQL procedure with the
#      bank's semantics (unknown account and insufficient funds raise; the two rows
#      are locked in id order, so concurrent transfers cannot deadlock);
#   2. loads BENCH_ROWS accounts into both from one generated file of INSERTs;
#   3. runs `CALL transfer(:a, :b, 1)` with uniform random(1, ROWS) accounts and with
#      skewed random_zipfian(1, ROWS, 1.1) accounts, synchronous_commit on and off
#      (set per session on both: PGOPTIONS='-c synchronous_commit=off'), at 1 and 16
#      clients; and `SELECT 1` on Turnstile, the ceiling of its request path, to show
#      how close a reducer call comes to it.
# Prints TPS, average latency and the Turnstile/PostgreSQL TPS ratio. Both servers
# are stopped by pid and their directories removed on exit, whatever happens. It
# prints figures; it does not judge them and it is not a test.
#
# Settings (environment):
#   BENCH_SECONDS       pgbench -T per run                       (default 10)
#   BENCH_CLIENTS       client counts to run                     (default "1 16")
#   BENCH_THREADS       pgbench -j, capped at the clients        (default 2)
#   BENCH_ROWS          accounts                                 (default 100000)
#   BENCH_SKIP_BUILD    set to 1 to use an existing binary
#   TURNSTILE_BIN       the server binary (default target/release/turnstile)
set -euo pipefail

SECONDS_PER_RUN=${BENCH_SECONDS:-10}
CLIENTS=${BENCH_CLIENTS:-"1 16"}
THREADS=${BENCH_THREADS:-2}
ROWS=${BENCH_ROWS:-100000}
BATCH_ROWS=1000
START_BALANCE=1000000000

REPO=$(cd "$(dirname "$0")/../.." && pwd)
TURNSTILE_BIN=${TURNSTILE_BIN:-$REPO/target/release/turnstile}
PGBIN=$(pg_config --bindir)
WORK=$(mktemp -d /tmp/turnstile-bench-reducers.XXXXXX)
chmod 755 "$WORK"
TS_PID=""
PG_PID=""

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
trap cleanup EXIT

main() {
    build_turnstile
    start_both_with_accounts "$ROWS" "$WORK/turnstile-data"
    local ts_port=$TS_PORT pg_port=$PG_PORT
    # The bank module's reducers as PL/pgSQL, shared with the driver matrix.
    load "$pg_port" "$REPO/compat/drivers/postgres_bank.sql"
    # pgbench ends a client at its first error, so no transfer may be refused:
    # every account gets a balance no run of 1-unit transfers can exhaust.
    for port in "$ts_port" "$pg_port"; do
        q "$port" "UPDATE accounts SET balance = $START_BALANCE" >/dev/null
    done
    q "$pg_port" 'VACUUM ANALYZE accounts' >/dev/null

    printf '\\set a random(1, %d)\n\\set b random(1, %d)\nCALL transfer(:a, :b, 1);\n' \
        "$ROWS" "$ROWS" >"$WORK/transfer.sql"
    printf '\\set a random_zipfian(1, %d, 1.1)\n\\set b random_zipfian(1, %d, 1.1)\nCALL transfer(:a, :b, 1);\n' \
        "$ROWS" "$ROWS" >"$WORK/transfer_zipf.sql"
    echo 'SELECT 1;' >"$WORK/select1.sql"

    printf '\npgbench -n -M prepared, -T %s s, -j %s, loopback, %s accounts; TPS (higher is better), average latency in ms\n\n' \
        "$SECONDS_PER_RUN" "$THREADS" "$ROWS"
    printf '%-14s %-5s %7s | %10s %8s | %10s %8s | %9s\n' workload sync clients \
        "turnstile" "lat ms" "postgres" "lat ms" "ts/pg tps"
    printf '%s\n' "-------------------------------------------------------------------------------"
    local workload sync clients opts ts pg
    for spec in transfer:on transfer:off transfer_zipf:on transfer_zipf:off; do
        workload=${spec%%:*}
        sync=${spec##*:}
        opts=""
        [ "$sync" = off ] && opts="-c synchronous_commit=off"
        for clients in $CLIENTS; do
            ts=$(run_pgbench "$ts_port" "$WORK/$workload.sql" prepared "$clients" turnstile "$opts")
            pg=$(run_pgbench "$pg_port" "$WORK/$workload.sql" prepared "$clients" postgres "$opts")
            # shellcheck disable=SC2086
            set -- $ts $pg
            printf '%-14s %-5s %7s | %10s %8s | %10s %8s | %9s\n' \
                "$workload" "$sync" "$clients" "$1" "$2" "$6" "$7" "$(ratio "$1" "$6")"
        done
    done
    printf '\nTurnstile'"'"'s own ceiling, SELECT 1 (no lock, no table):\n'
    for clients in $CLIENTS; do
        ts=$(run_pgbench "$ts_port" "$WORK/select1.sql" prepared "$clients" turnstile "")
        # shellcheck disable=SC2086
        set -- $ts
        printf '%-14s %-5s %7s | %10s %8s\n' select1 - "$clients" "$1" "$2"
    done
    printf '\nCheck: sum of balances, Turnstile %s, PostgreSQL %s (loaded: %s)\n' \
        "$(q "$ts_port" 'SELECT sum(balance) FROM accounts')" \
        "$(q "$pg_port" 'SELECT sum(balance) FROM accounts')" \
        "$((ROWS * START_BALANCE))"
}

main "$@"
