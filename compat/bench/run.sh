#!/usr/bin/env bash
# The benchmark of the project (issue 7): Turnstile and a throwaway PostgreSQL 15 side
# by side on this machine, with the same client (pgbench -n -M prepared, the same -j),
# the same data and the same durability setting (synchronous_commit, set per session
# on both with PGOPTIONS), both on loopback.
#   1. builds Turnstile in release mode (in $CARGO_TARGET_DIR if set) and the chart
#      drawer (compat/bench/chart, a standalone crate, in $BENCH_CHART_TARGET_DIR);
#   2. starts Turnstile with its embedded bank module (whose schema creates
#      `accounts` and whose reducer is `transfer(from, to, amount)`) on a free loopback
#      port with a temporary data dir, and initdb's a PostgreSQL 15 (as the `postgres`
#      OS user when run as root; default settings, fsync on) on another, with the same
#      table and `transfer` as the PL/pgSQL procedure of compat/drivers/postgres_bank.sql;
#      loads the same BENCH_ROWS accounts into both and gives every account a balance
#      no run can exhaust (pgbench ends a client at its first error);
#   3. for each synchronous_commit setting, runs on both: `SELECT 1`; a point select
#      by primary key; `CALL transfer(:a, :b, 1)` with uniform random accounts; the
#      same with random_zipfian(1, ROWS, 1.1) accounts (SpacetimeDB's "keynote-2");
#   4. the mixed workload: BENCH_WRITERS clients run uniform transfers while
#      BENCH_READERS other clients run point selects, two pgbench processes started
#      together with the same -T; against PostgreSQL, then against Turnstile restarted
#      with each `--lock-policy` of BENCH_POLICIES (`default` passes no flag);
#   5. writer batching: uniform transfers on Turnstile with its default batch and with
#      `--lock-batch 1` (no batching).
# Every pgbench run logs each transaction (-l); p50/p99/max are nearest-rank
# percentiles of those latencies. Writes a Markdown report (the machine, the settings,
# the tables) to BENCH_OUT/latest.md, prints it, and draws the mixed workload's reader
# latencies to BENCH_OUT/mixed.png. Both servers are stopped by pid and the temporary
# directory removed on exit, whatever happens. It prints figures; it does not judge
# them and it is not a test. About 6 minutes with the defaults, plus the builds.
#
# Settings (environment):
#   BENCH_SECONDS        pgbench -T per run                               (default 10)
#   BENCH_CLIENTS        client counts for workloads 1-4 and batching     (default "16")
#   BENCH_THREADS        pgbench -j per process, capped at its clients    (default 2)
#   BENCH_ROWS           accounts                                         (default 100000)
#   BENCH_SYNC           synchronous_commit settings to run               (default "on off")
#   BENCH_MIXED_SYNC     the same, for the mixed workload only            (default BENCH_SYNC)
#   BENCH_POLICIES       Turnstile lock policies for the mixed workload;
#                        `default` starts the server without --lock-policy
#                        (default "fair read-first write-first deadline rwlock")
#   BENCH_WRITERS        transfer clients in the mixed workload           (default 16)
#   BENCH_READERS        point-select clients in the mixed workload       (default 8)
#   BENCH_OUT            directory for latest.md, mixed.tsv, mixed.png    (default compat/bench/results)
#   BENCH_FONT           TrueType font for the chart   (default DejaVu Sans, fonts-dejavu-core)
#   BENCH_SKIP_BUILD     set to 1 to use existing binaries
#   CARGO_TARGET_DIR     where cargo builds Turnstile                     (default target)
#   BENCH_CHART_TARGET_DIR  where cargo builds the chart drawer   (default $CARGO_TARGET_DIR/bench-chart)
#   TURNSTILE_BIN        the server binary        (default $CARGO_TARGET_DIR/release/turnstile)
set -euo pipefail

SECONDS_PER_RUN=${BENCH_SECONDS:-10}
CLIENTS=${BENCH_CLIENTS:-16}
THREADS=${BENCH_THREADS:-2}
ROWS=${BENCH_ROWS:-100000}
SYNCS=${BENCH_SYNC:-"on off"}
MIXED_SYNCS=${BENCH_MIXED_SYNC:-$SYNCS}
POLICIES=${BENCH_POLICIES:-"fair read-first write-first deadline rwlock"}
WRITERS=${BENCH_WRITERS:-16}
READERS=${BENCH_READERS:-8}
FONT=${BENCH_FONT:-/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf}
BATCH_ROWS=1000
START_BALANCE=1000000000

REPO=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${BENCH_OUT:-$REPO/compat/bench/results}
TARGET=${CARGO_TARGET_DIR:-$REPO/target}
TURNSTILE_BIN=${TURNSTILE_BIN:-$TARGET/release/turnstile}
CHART_TARGET=${BENCH_CHART_TARGET_DIR:-$TARGET/bench-chart}
CHART_BIN=$CHART_TARGET/release/turnstile-bench-chart
PGBIN=$(pg_config --bindir)
WORK=$(mktemp -d /tmp/turnstile-bench.XXXXXX)
chmod 755 "$WORK"
TS_PID=""
PG_PID=""
REPORT=$WORK/report.md
TS_DIR=$WORK/turnstile-data

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
trap cleanup EXIT

# Builds the chart drawer in its own target directory, unless BENCH_SKIP_BUILD=1.
build_chart() {
    if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
        log "building the chart drawer…"
        CARGO_TARGET_DIR=$CHART_TARGET cargo build --release --locked --quiet \
            --manifest-path "$REPO/compat/bench/chart/Cargo.toml"
    fi
}

# Whether this Turnstile binary knows serve flag FLAG (the lock flags came with issue 7).
ts_supports() {
    # Not grep -q: it would stop reading early, and pipefail would see the SIGPIPE.
    "$TURNSTILE_BIN" serve --help | grep -- "$1" >/dev/null
}

# Stops Turnstile and starts it again on the same data (a clean stop writes a
# snapshot, the start loads it) on a new free port, with the given flags.
restart_turnstile() {
    stop_pid "$TS_PID" TERM
    TS_PORT=$(free_port)
    start_turnstile "$TS_PORT" "$TS_DIR" "$@"
}

# The PGOPTIONS of a synchronous_commit setting.
sync_opts() {
    echo "-c synchronous_commit=$1"
}

# Nearest-rank p50, p99 and max in ms of the latencies in the pgbench logs PREFIX.*
# (one file per pgbench thread; third field: the transaction's latency in µs, or
# "failed"/"skipped"), three significant digits: "P50 P99 MAX".
latency_percentiles() {
    local prefix=$1
    cat "$prefix".* | awk '$3 ~ /^[0-9]+$/ { print $3 }' | sort -n | awk '
        { us[NR] = $1 }
        function ms(us) { return us >= 100000 ? sprintf("%.0f", us / 1000) : sprintf("%.3g", us / 1000) }
        function rank(p,   r) { r = int(p * NR); if (r < p * NR) r++; return ms(us[r < 1 ? 1 : r]) }
        END { if (NR == 0) print "- - -"; else print rank(0.50), rank(0.99), ms(us[NR]) }'
}

# Runs pgbench (lib.sh's run_pgbench, -M prepared) with SCRIPT and CLIENTS against
# PORT, logging every transaction, and prints "TPS P50 P99 MAX" (ms). NAME labels
# its files; OPTS is the PGOPTIONS.
run_logged() {
    local port=$1 script=$2 clients=$3 name=$4 opts=$5
    local prefix result tps
    prefix="$WORK/txlog-$name-$(basename "$script" .sql)"
    rm -f "$prefix".*
    result=$(PGBENCH_FLAGS="-l --log-prefix=$prefix" run_pgbench "$port" "$script" prepared "$clients" "$name" "$opts")
    tps=${result%% *}
    # shellcheck disable=SC2046
    set -- $(latency_percentiles "$prefix")
    rm -f "$prefix".*
    echo "$tps $1 $2 $3"
}

# Writes the pgbench scripts of the workloads into $WORK. pgbench 15 reads the clock
# once per pass through a client's state machine, and a meta-command clears that
# reading: without the \set, a SELECT 1 whose answer is already there when pgbench
# first looks is logged with its start time as its end time, 0 µs. The \set costs
# the server nothing.
write_scripts() {
    printf '\\set nothing 0\nSELECT 1;\n' >"$WORK/select1.sql"
    printf '\\set id random(1, %d)\nSELECT balance FROM accounts WHERE id = :id;\n' "$ROWS" >"$WORK/point.sql"
    printf '\\set a random(1, %d)\n\\set b random(1, %d)\nCALL transfer(:a, :b, 1);\n' \
        "$ROWS" "$ROWS" >"$WORK/transfer.sql"
    printf '\\set a random_zipfian(1, %d, 1.1)\n\\set b random_zipfian(1, %d, 1.1)\nCALL transfer(:a, :b, 1);\n' \
        "$ROWS" "$ROWS" >"$WORK/transfer_zipf.sql"
}

# Starts both servers with the accounts and PostgreSQL's `transfer`.
setup() {
    start_both_with_accounts "$ROWS" "$TS_DIR"
    load "$PG_PORT" "$REPO/compat/drivers/postgres_bank.sql"
    local port
    for port in "$TS_PORT" "$PG_PORT"; do
        q "$port" "UPDATE accounts SET balance = $START_BALANCE" >/dev/null
    done
    q "$PG_PORT" 'VACUUM ANALYZE accounts' >/dev/null
}

# The machine's load average over 1, 5 and 15 minutes.
load_average() {
    cut -d' ' -f1-3 /proc/loadavg
}

# Writes the report's header: when, what, on which machine, with which settings.
report_header() {
    local origin
    origin="commit \`$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)\`"
    [ -z "$(git -C "$REPO" status --porcelain --untracked-files=no -- src modules Cargo.toml Cargo.lock build.rs 2>/dev/null)" ] \
        || origin="$origin with uncommitted changes"
    if [ "${BENCH_SKIP_BUILD:-0}" = 1 ]; then
        origin="the binary \`$TURNSTILE_BIN\` as it was (not built by this run; the tree is at $origin)"
    fi
    cat <<EOF
# Turnstile and PostgreSQL 15 side by side

$(date -u '+%Y-%m-%d %H:%M UTC'), Turnstile from $origin, by \`compat/bench/run.sh\`
(method and caveats: [\`compat/bench/README.md\`](../README.md)).

- Machine: $(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p' | head -1)), $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) memory, Linux $(uname -r); pgbench runs on the same CPUs as the server. Load average (1, 5, 15 min) before the runs: $(load_average) (other work on the machine shows here).
- PostgreSQL: $("$PGBIN/postgres" --version | sed 's/^postgres (PostgreSQL) //'), default settings (fsync on, shared_buffers $(q "$PG_PORT" 'SHOW shared_buffers')); client: $("$PGBIN/pgbench" --version | sed 's/^pgbench (PostgreSQL) //').
- Every run: \`pgbench -n -M prepared -T $SECONDS_PER_RUN -j min($THREADS, clients)\` on loopback, \`PGOPTIONS='-c synchronous_commit=…'\` on both, $ROWS accounts.
- Latencies in ms, nearest-rank percentiles of every transaction pgbench logged (\`-l\`).
EOF
}

# Section 1-4: each workload at each client count and sync setting, on both.
workloads_table() {
    printf '\n## Workloads\n\nTurnstile with its default lock policy and batching.\n\n'
    echo '| workload | sync | clients | Turnstile TPS | p50 | p99 | PostgreSQL TPS | p50 | p99 | TPS ratio |'
    echo '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|'
    local sync workload clients ts pg
    for sync in $SYNCS; do
        for workload in select1 point transfer transfer_zipf; do
            for clients in $CLIENTS; do
                log "$workload, synchronous_commit=$sync, $clients clients…"
                ts=$(run_logged "$TS_PORT" "$WORK/$workload.sql" "$clients" turnstile "$(sync_opts "$sync")")
                pg=$(run_logged "$PG_PORT" "$WORK/$workload.sql" "$clients" postgres "$(sync_opts "$sync")")
                # shellcheck disable=SC2086
                set -- $ts $pg
                echo "| $workload | $sync | $clients | $1 | $2 | $3 | $5 | $6 | $7 | $(ratio "$1" "$5") |"
            done
        done
    done
}

# One mixed run against PORT: writers and readers started together. Prints
# "WRITER_TPS W_P50 W_P99 READER_TPS R_P50 R_P99 R_MAX".
run_mixed() {
    local port=$1 name=$2 opts=$3
    run_logged "$port" "$WORK/transfer.sql" "$WRITERS" "$name-writers" "$opts" >"$WORK/mixed-writers.out" &
    local writers=$!
    run_logged "$port" "$WORK/point.sql" "$READERS" "$name-readers" "$opts" >"$WORK/mixed-readers.out" &
    local readers=$!
    wait "$writers" "$readers"
    local w r
    read -ra w <"$WORK/mixed-writers.out"
    read -ra r <"$WORK/mixed-readers.out"
    echo "${w[0]} ${w[1]} ${w[2]} ${r[0]} ${r[1]} ${r[2]} ${r[3]}"
}

# Appends one mixed run's row to the table (stdout) and to the chart's data, where
# LABEL names the bar group.
mixed_row() {
    local sync=$1 system=$2 policy=$3 label=$4 result=$5
    # shellcheck disable=SC2086
    set -- $result
    echo "| $sync | $system | $policy | $1 | $2 | $3 | $4 | $5 | $6 | $7 |"
    [ "$5" = - ] || printf '%s\t%s\t%s\t%s\t%s\n' "$sync" "$label" "$5" "$6" "$7" >>"$WORK/mixed.tsv"
}

# Appends Turnstile's own view of the last run's lock waits and holds (the
# turnstile_lock_stats view, counted since the server started) to $WORK/lockstats.md,
# as a Markdown table; nothing when the server has no such view.
save_lock_stats() {
    local title=$1 rows
    rows=$(psql -h 127.0.0.1 -p "$TS_PORT" -U postgres -d postgres -qA -F ' | ' -P footer=off \
        -c 'SELECT * FROM turnstile_lock_stats' 2>/dev/null) || return 0
    {
        printf '\n### %s\n\n' "$title"
        # Fractions rounded to one decimal; a separator line after the header.
        echo "$rows" | awk -F ' [|] ' -v OFS=' | ' '
            { for (i = 1; i <= NF; i++) if ($i ~ /^-?[0-9]+[.][0-9]+$/) $i = sprintf("%.1f", $i) }
            { print "| " $0 " |" }
            NR == 1 { s = "|"; for (i = 1; i <= NF; i++) s = s "---|"; print s }'
    } >>"$WORK/lockstats.md"
}

# Section 5: the mixed workload on PostgreSQL and on Turnstile under each policy.
mixed_table() {
    printf '\n## Mixed workload\n\n%s clients run uniform transfers as fast as they can while %s others run point selects, ' "$WRITERS" "$READERS"
    printf 'two pgbench processes started together.\n\n'
    echo '| sync | system | lock policy | writer TPS | writer p50 | writer p99 | reader TPS | reader p50 | reader p99 | reader max |'
    echo '|---|---|---|---:|---:|---:|---:|---:|---:|---:|'
    printf 'sync\tsystem\tp50_ms\tp99_ms\tmax_ms\n' >"$WORK/mixed.tsv"
    local sync policy
    for sync in $MIXED_SYNCS; do
        log "mixed workload, PostgreSQL, synchronous_commit=$sync…"
        mixed_row "$sync" PostgreSQL - PostgreSQL "$(run_mixed "$PG_PORT" postgres "$(sync_opts "$sync")")"
        for policy in $POLICIES; do
            if [ "$policy" = default ]; then
                restart_turnstile
            elif ts_supports --lock-policy; then
                restart_turnstile --lock-policy "$policy"
            else
                echo "| $sync | Turnstile | $policy | this Turnstile has no \`--lock-policy\` | | | | | | |"
                continue
            fi
            log "mixed workload, Turnstile $policy, synchronous_commit=$sync…"
            mixed_row "$sync" Turnstile "$policy" "$policy" "$(run_mixed "$TS_PORT" "turnstile-$policy" "$(sync_opts "$sync")")"
            save_lock_stats "$policy, synchronous_commit=$sync"
        done
    done
}

# Section 6: uniform transfers with the default writer batch and with none.
batching_table() {
    cat <<'EOF'

## Writer batching

Uniform transfers on Turnstile (default lock policy): its default writer batch, and
`--lock-batch 1` (one write transaction per lock acquisition).

| sync | clients | batch | TPS | p50 | p99 |
|---|---:|---|---:|---:|---:|
EOF
    local sync clients batch ts
    for sync in $SYNCS; do
        for batch in default 1; do
            if [ "$batch" = default ]; then
                restart_turnstile
            elif ts_supports --lock-batch; then
                restart_turnstile --lock-batch "$batch"
            else
                echo "| $sync | | \`--lock-batch 1\` | this Turnstile has no \`--lock-batch\` | | |"
                continue
            fi
            for clients in $CLIENTS; do
                log "batching $batch, synchronous_commit=$sync, $clients clients…"
                ts=$(run_logged "$TS_PORT" "$WORK/transfer.sql" "$clients" "turnstile-batch$batch" "$(sync_opts "$sync")")
                # shellcheck disable=SC2086
                set -- $ts
                echo "| $sync | $clients | $batch | $1 | $2 | $3 |"
            done
        done
    done
}

# The closing check: transfers move money, they never make or lose any.
balance_check() {
    printf '\nCheck: sum of balances, Turnstile %s, PostgreSQL %s (loaded: %s).\n' \
        "$(q "$TS_PORT" 'SELECT sum(balance) FROM accounts')" \
        "$(q "$PG_PORT" 'SELECT sum(balance) FROM accounts')" \
        "$((ROWS * START_BALANCE))"
}

# The lock metrics save_lock_stats collected, if any.
lock_stats_appendix() {
    [ -s "$WORK/lockstats.md" ] || return 0
    cat <<'EOF'

## Appendix: Turnstile's lock metrics after each mixed run

`SELECT * FROM turnstile_lock_stats` as the server answered it right after the run
(it counts from the server's start, which was just before the run): the lock's wait
and hold per class and request, measured inside the server, without the client and
the network.
EOF
    cat "$WORK/lockstats.md"
}

# Draws the mixed workload's reader latencies, when there is a font and data.
draw_chart() {
    if [ ! -x "$CHART_BIN" ]; then
        log "no chart: $CHART_BIN is missing (run without BENCH_SKIP_BUILD once)"
    elif [ ! -f "$FONT" ]; then
        log "no chart: no font at $FONT (apt-get install fonts-dejavu-core, or set BENCH_FONT)"
    elif [ "$(wc -l <"$WORK/mixed.tsv")" -lt 2 ]; then
        log "no chart: no mixed run finished"
    else
        "$CHART_BIN" "$WORK/mixed.tsv" "$OUT/mixed.png" "$FONT"
        cp "$WORK/mixed.tsv" "$OUT/mixed.tsv"
        printf '\n![Mixed workload: reader latency](mixed.png)\n' >>"$REPORT"
    fi
}

main() {
    [ -f "$FONT" ] || log "warning: no font at $FONT, so no chart (apt-get install fonts-dejavu-core, or set BENCH_FONT)"
    build_turnstile
    build_chart
    local started=$SECONDS
    setup
    write_scripts
    mkdir -p "$OUT"
    # A group, not a subshell: restarting Turnstile sets TS_PID, which cleanup needs.
    {
        report_header
        workloads_table
        mixed_table
        batching_table
        balance_check
        printf '\nThe runs took %d s, after the builds; load average at the end: %s.\n' \
            $((SECONDS - started)) "$(load_average)"
        lock_stats_appendix
    } >"$REPORT"
    draw_chart
    cp "$REPORT" "$OUT/latest.md"
    cat "$REPORT"
    log "written: $OUT/latest.md"
}

main "$@"
