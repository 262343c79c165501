#!/usr/bin/env bash
# Where a transaction's CPU goes, on Turnstile alone: for each workload, its TPS and
# the CPU time per transaction of the server and of pgbench, which share this
# machine's cores. On a machine whose cores are all busy, TPS is (cores / CPU per
# transaction), so a workload's TPS relative to `SELECT 1` is set by how much CPU it
# adds to `SELECT 1`'s, the server's and the client's. This is the table that says
# how far a target such as "point selects within 10% of SELECT 1" is from what this
# machine can do: the client's own extra work for a workload counts against it too.
#
#   1. builds Turnstile in release mode (in $CARGO_TARGET_DIR if set), unless
#      BENCH_SKIP_BUILD=1;
#   2. starts it on a free loopback port with a temporary data dir, the bank module
#      and the test module `testkit` (for `allocate(0)`, a reducer that does nothing:
#      the cost of a call alone), and loads BENCH_ROWS accounts;
#   3. runs each workload with pgbench -n -M prepared, BENCH_CLIENTS clients, for
#      BENCH_SECONDS, with synchronous_commit=off (BENCH_SYNC), reading the server's
#      CPU time (user + system, every thread, /proc/PID/stat) before and after, and
#      pgbench's from the shell's `time`;
#   4. writes a Markdown table to BENCH_OUT/cpu_per_txn.md and prints it: TPS, TPS
#      relative to `SELECT 1`, server and pgbench CPU µs per transaction, the server's
#      context switches per transaction.
# The server is stopped by pid and the temporary directory removed on exit. It
# prints figures; it does not judge them, and it is not a test. About a minute.
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
TS_PID=""
# shellcheck disable=SC2034 # No PostgreSQL here; lib.sh's cleanup reads it.
PG_PID=""

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
trap cleanup EXIT

# The server's CPU time so far, user + system of every thread, in clock ticks.
server_ticks() {
    # Fields 14 and 15 of /proc/PID/stat; the command name (field 2) has no spaces.
    awk '{ print $14 + $15 }' "/proc/$TS_PID/stat"
}

# The server's context switches so far, voluntary and not, summed over its threads.
server_switches() {
    cat "/proc/$TS_PID"/task/*/status 2>/dev/null \
        | awk '/^(voluntary|nonvoluntary)_ctxt_switches:/ { n += $2 } END { print n + 0 }'
}

build_turnstile
TS_PORT=$(free_port)
start_turnstile "$TS_PORT" "$WORK/turnstile-data" \
    --module "$MODULES/turnstile_bank.wasm" --module "$MODULES/turnstile_testkit.wasm"
log "Turnstile on 127.0.0.1:$TS_PORT (pid $TS_PID); loading $ROWS accounts…"
q "$TS_PORT" "INSERT INTO accounts SELECT g, 'acct' || g, 1000000000 FROM generate_series(1, $ROWS) g" >/dev/null

# name | what it is | pgbench script
WORKLOADS=(
    "select1|\`SELECT 1\`: protocol only, no lock, no table|\\set nothing 0
SELECT 1;"
    "point|point select by primary key (read lock, one probe)|\\set id random(1, $ROWS)
SELECT balance FROM accounts WHERE id = :id;"
    "update|point \`UPDATE\` by primary key (write lock, one row, a log record)|\\set id random(1, $ROWS)
UPDATE accounts SET balance = balance + 1 WHERE id = :id;"
    "noop_call|\`CALL allocate(0)\`: a reducer that does nothing|\\set nothing 0
CALL allocate(0);"
    "deposit|\`CALL deposit(:id, 1)\`: a reducer that reads and writes one row|\\set id random(1, $ROWS)
CALL deposit(:id, 1);"
    "transfer|\`CALL transfer(:a, :b, 1)\`: two rows read and written|\\set a random(1, $ROWS)
\\set b random(1, $ROWS)
CALL transfer(:a, :b, 1);"
)

TICKS_PER_SECOND=$(getconf CLK_TCK)
threads=$((THREADS < CLIENTS ? THREADS : CLIENTS))
TIMEFORMAT='%3U %3S'
{
    echo "## CPU per transaction on Turnstile"
    echo
    echo "$(nproc) cores ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), load average before: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo "pgbench -n -M prepared -c $CLIENTS -j $threads -T $SECONDS_PER_RUN, synchronous_commit=$SYNC, $ROWS accounts."
    echo
    echo "| workload | what | TPS | TPS / SELECT 1 | server CPU µs/txn | pgbench CPU µs/txn | total µs/txn | server context switches/txn |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|"
} >"$WORK/report.md"
select1_tps=""
for workload in "${WORKLOADS[@]}"; do
    # `read` would stop at the script's first line.
    name=${workload%%|*}
    rest=${workload#*|}
    what=${rest%%|*}
    script=${rest#*|}
    printf '%s\n' "$script" >"$WORK/$name.sql"
    log "running $name…"
    ticks_before=$(server_ticks)
    switches_before=$(server_switches)
    # `time` reports pgbench's own CPU (user and system seconds) on stderr.
    { time PGOPTIONS="-c synchronous_commit=$SYNC" "$PGBIN/pgbench" -n -h 127.0.0.1 -p "$TS_PORT" \
        -U postgres -f "$WORK/$name.sql" -M prepared -c "$CLIENTS" -j "$threads" \
        -T "$SECONDS_PER_RUN" postgres >"$WORK/$name.log" 2>&1; } 2>"$WORK/$name.time"
    ticks=$(($(server_ticks) - ticks_before))
    switches=$(($(server_switches) - switches_before))
    tps=$(awk '/^tps = / { printf "%.0f", $3; exit }' "$WORK/$name.log")
    txns=$(awk '/^number of transactions actually processed: / { split($6, a, "/"); print a[1]; exit }' "$WORK/$name.log")
    if [ -z "$tps" ] || [ "${txns:-0}" -eq 0 ]; then
        log "pgbench failed on $name:"
        tail -5 "$WORK/$name.log" >&2
        exit 1
    fi
    [ "$name" = select1 ] && select1_tps=$tps
    read -r user system <"$WORK/$name.time"
    awk -v name="$name" -v what="$what" -v tps="$tps" -v base="$select1_tps" -v txns="$txns" \
        -v ticks="$ticks" -v hz="$TICKS_PER_SECOND" -v user_s="$user" -v system_s="$system" -v switches="$switches" 'BEGIN {
        server = ticks / hz * 1e6 / txns
        client = (user_s + system_s) * 1e6 / txns
        printf "| %s | %s | %d | %.2f | %.1f | %.1f | %.1f | %.2f |\n",
            name, what, tps, tps / base, server, client, server + client, switches / txns
    }' >>"$WORK/report.md"
done
mkdir -p "$OUT"
cp "$WORK/report.md" "$OUT/cpu_per_txn.md"
cat "$WORK/report.md"
