#!/usr/bin/env bash
# Where a transaction's CPU goes: for each workload, its TPS and the CPU time per
# transaction of the server and of pgbench, which share this machine's cores, on
# Turnstile and, for the workloads both have, on a throwaway PostgreSQL 15. On a
# machine whose cores are all busy, TPS is (cores / CPU per transaction), so a
# workload's TPS relative to `SELECT 1`, or to PostgreSQL's, is set by the CPU it
# costs the server and the client. This is the table that says how far a target
# such as "point selects within 10% of SELECT 1" is from what this machine can do:
# the client's own extra work for a workload counts against it too.
#
#   1. builds Turnstile in release mode (in $CARGO_TARGET_DIR if set), unless
#      BENCH_SKIP_BUILD=1;
#   2. starts it on a free loopback port with a temporary data dir, the bank module
#      and the test module `testkit` (for `allocate(0)`, a reducer that does nothing:
#      the cost of a call alone), and initdb's a PostgreSQL 15 on another (as in
#      run.sh, with `transfer` in PL/pgSQL from compat/drivers/postgres_bank.sql);
#      loads BENCH_ROWS accounts into both;
#   3. runs each workload with pgbench -n -M prepared, BENCH_CLIENTS clients, for
#      BENCH_SECONDS, with synchronous_commit=off (BENCH_SYNC) on both, reading the
#      server's CPU time (user + system, /proc/PID/stat: Turnstile's every thread;
#      PostgreSQL's postmaster, its live processes and its exited backends) before
#      and after, and pgbench's from the shell's `time`;
#   4. writes a Markdown table to BENCH_OUT/cpu_per_txn.md and prints it: TPS, TPS
#      relative to `SELECT 1`, server and pgbench CPU µs per transaction, and
#      Turnstile's context switches per transaction.
# Both servers are stopped by pid and the temporary directory removed on exit. It
# prints figures; it does not judge them, and it is not a test. About two minutes.
#
# Settings (environment):
#   BENCH_SECONDS      pgbench -T per workload                  (default 10)
#   BENCH_CLIENTS      pgbench clients                          (default 16)
#   BENCH_THREADS      pgbench -j, capped at the clients        (default 2)
#   BENCH_ROWS         accounts                                 (default 100000)
#   BENCH_SYNC         synchronous_commit                       (default off)
#   BENCH_OUT          directory for cpu_per_txn.md             (default compat/bench/results)
#   BENCH_SKIP_BUILD   set to 1 to use an existing binary
#   CARGO_TARGET_DIR   where cargo builds Turnstile (and its modules) (default target)
#   TURNSTILE_BIN      the server binary    (default $CARGO_TARGET_DIR/release/turnstile)
set -euo pipefail

SECONDS_PER_RUN=${BENCH_SECONDS:-10}
CLIENTS=${BENCH_CLIENTS:-16}
THREADS=${BENCH_THREADS:-2}
ROWS=${BENCH_ROWS:-100000}
SYNC=${BENCH_SYNC:-off}

REPO=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${BENCH_OUT:-$REPO/compat/bench/results}
TARGET=${CARGO_TARGET_DIR:-$REPO/target}
TURNSTILE_BIN=${TURNSTILE_BIN:-$TARGET/release/turnstile}
MODULES=$TARGET/wasm-modules/wasm32-unknown-unknown/release
PGBIN=$(pg_config --bindir)
WORK=$(mktemp -d /tmp/turnstile-cpu.XXXXXX)
chmod 755 "$WORK"
TS_PID=""
PG_PID=""

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
trap cleanup EXIT

# Turnstile's CPU time so far, user + system of every thread, in clock ticks
# (fields 14 and 15 of /proc/PID/stat; the command name has no spaces).
turnstile_ticks() {
    awk '{ print $14 + $15 }' "/proc/$TS_PID/stat"
}

# PostgreSQL's CPU time so far, in clock ticks: the postmaster's own and that of its
# exited children (fields 16 and 17, once it has reaped them), and that of the
# children still running (its background processes).
postgres_ticks() {
    local ticks child
    ticks=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$PG_PID/stat")
    for child in $(pgrep -P "$PG_PID"); do
        ticks=$((ticks + $(awk '{ print $14 + $15 }' "/proc/$child/stat" 2>/dev/null || echo 0)))
    done
    echo "$ticks"
}

# Waits until PostgreSQL has no more processes than BASELINE: the backends of the
# last run have exited and been reaped, so their CPU time is counted.
wait_backends_gone() {
    local baseline=$1
    for _ in $(seq 1 100); do
        [ "$(pgrep -P "$PG_PID" -c)" -le "$baseline" ] && return 0
        sleep 0.1
    done
    log "PostgreSQL's backends did not exit; its CPU figures miss them"
}

# Turnstile's context switches so far, voluntary and not, summed over its threads.
turnstile_switches() {
    cat "/proc/$TS_PID"/task/*/status 2>/dev/null \
        | awk '/^(voluntary|nonvoluntary)_ctxt_switches:/ { n += $2 } END { print n + 0 }'
}

build_turnstile
TS_PORT=$(free_port)
start_turnstile "$TS_PORT" "$WORK/turnstile-data" \
    --module "$MODULES/turnstile_bank.wasm" --module "$MODULES/turnstile_testkit.wasm"
PG_PORT=$(free_port)
start_postgres "$PG_PORT"
log "Turnstile on 127.0.0.1:$TS_PORT (pid $TS_PID), PostgreSQL on 127.0.0.1:$PG_PORT (pid $PG_PID); loading $ROWS accounts…"
load "$PG_PORT" "$REPO/compat/drivers/postgres_bank.sql"
for port in "$TS_PORT" "$PG_PORT"; do
    q "$port" "INSERT INTO accounts SELECT g, 'acct' || g, 1000000000 FROM generate_series(1, $ROWS) g" >/dev/null
done
q "$PG_PORT" 'VACUUM ANALYZE accounts' >/dev/null
PG_BASELINE=$(pgrep -P "$PG_PID" -c)

# name | on PostgreSQL too | what it is | pgbench script
WORKLOADS=(
    "select1|yes|\`SELECT 1\`: protocol only, no lock, no table|\\set nothing 0
SELECT 1;"
    "param|yes|\`SELECT :id::bigint\`: protocol with a parameter, no lock, no table|\\set id random(1, $ROWS)
SELECT :id::bigint;"
    "point|yes|point select by primary key|\\set id random(1, $ROWS)
SELECT balance FROM accounts WHERE id = :id;"
    "update|yes|point \`UPDATE\` by primary key|\\set id random(1, $ROWS)
UPDATE accounts SET balance = balance + 1 WHERE id = :id;"
    "noop_call|no|\`CALL allocate(0)\`: a reducer that does nothing|\\set nothing 0
CALL allocate(0);"
    "deposit|no|\`CALL deposit(:id, 1)\`: a reducer that reads and writes one row|\\set id random(1, $ROWS)
CALL deposit(:id, 1);"
    "transfer|yes|\`CALL transfer(:a, :b, 1)\`: two rows read and written|\\set a random(1, $ROWS)
\\set b random(1, $ROWS)
CALL transfer(:a, :b, 1);"
)

TICKS_PER_SECOND=$(getconf CLK_TCK)
THREADS=$((THREADS < CLIENTS ? THREADS : CLIENTS))
TIMEFORMAT='%3U %3S'

# Runs workload NAME's script against PORT, reading the server's CPU with the
# function TICKS_OF; prints "TPS SERVER_US_PER_TXN PGBENCH_US_PER_TXN TRANSACTIONS",
# or nothing if pgbench failed.
measure() {
    local port=$1 name=$2 ticks_of=$3
    local before after tps txns user system
    before=$($ticks_of)
    # `time` reports pgbench's own CPU (user and system seconds) on stderr.
    { time PGOPTIONS="-c synchronous_commit=$SYNC" "$PGBIN/pgbench" -n -h 127.0.0.1 -p "$port" \
        -U postgres -f "$WORK/$name.sql" -M prepared -c "$CLIENTS" -j "$THREADS" \
        -T "$SECONDS_PER_RUN" postgres >"$WORK/$name-$port.log" 2>&1; } 2>"$WORK/$name-$port.time"
    [ "$ticks_of" = postgres_ticks ] && wait_backends_gone "$PG_BASELINE"
    after=$($ticks_of)
    tps=$(awk '/^tps = / { printf "%.0f", $3; exit }' "$WORK/$name-$port.log")
    txns=$(awk '/^number of transactions actually processed: / { split($6, a, "/"); print a[1]; exit }' "$WORK/$name-$port.log")
    if [ -z "$tps" ] || [ "${txns:-0}" -eq 0 ]; then
        log "pgbench failed on $name against port $port:"
        tail -5 "$WORK/$name-$port.log" >&2
        exit 1
    fi
    read -r user system <"$WORK/$name-$port.time"
    awk -v tps="$tps" -v txns="$txns" -v ticks=$((after - before)) -v hz="$TICKS_PER_SECOND" \
        -v user_s="$user" -v system_s="$system" 'BEGIN {
        printf "%d %.1f %.1f %d\n", tps, ticks / hz * 1e6 / txns, (user_s + system_s) * 1e6 / txns, txns
    }'
}

{
    echo "## CPU per transaction"
    echo
    echo "$(nproc) cores ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), load average before: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo "pgbench -n -M prepared -c $CLIENTS -j $THREADS -T $SECONDS_PER_RUN, synchronous_commit=$SYNC on both, $ROWS accounts."
    echo "CPU in µs per transaction; TS is Turnstile, PG PostgreSQL 15; ratios are Turnstile's TPS over the other's."
    echo
    echo "| workload | what | TS TPS | TS / TS \`SELECT 1\` | TS server CPU | TS pgbench CPU | TS context switches/txn | PG TPS | PG server CPU | PG pgbench CPU | TS / PG |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
} >"$WORK/report.md"
select1_tps=""
for workload in "${WORKLOADS[@]}"; do
    # `read` would stop at the script's first line.
    name=${workload%%|*}
    rest=${workload#*|}
    on_postgres=${rest%%|*}
    rest=${rest#*|}
    what=${rest%%|*}
    printf '%s\n' "${rest#*|}" >"$WORK/$name.sql"
    log "running $name…"
    switches_before=$(turnstile_switches)
    read -r tps server client txns < <(measure "$TS_PORT" "$name" turnstile_ticks)
    [ -n "$tps" ] || exit 1
    switches=$(($(turnstile_switches) - switches_before))
    [ "$name" = select1 ] && select1_tps=$tps
    pg="| - | - | - | -"
    if [ "$on_postgres" = yes ]; then
        read -r pg_tps pg_server pg_client _ < <(measure "$PG_PORT" "$name" postgres_ticks)
        [ -n "$pg_tps" ] || exit 1
        pg="| $pg_tps | $pg_server | $pg_client | $(ratio "$tps" "$pg_tps")"
    fi
    printf '| %s | %s | %s | %s | %s | %s | %s %s |\n' "$name" "$what" "$tps" "$(ratio "$tps" "$select1_tps")" \
        "$server" "$client" "$(awk -v s="$switches" -v n="$txns" 'BEGIN { printf "%.2f", s / n }')" "$pg" >>"$WORK/report.md"
done
mkdir -p "$OUT"
cp "$WORK/report.md" "$OUT/cpu_per_txn.md"
cat "$WORK/report.md"
