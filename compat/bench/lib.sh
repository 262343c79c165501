# shellcheck shell=bash
# Shared by the benchmark scripts in this folder (sourced, not run): stopping servers
# by pid, free loopback ports, waiting for readiness, running PostgreSQL as its own
# user. A script sets WORK, TS_PID and PG_PID and installs `trap cleanup EXIT`; for
# run_pgbench also SECONDS_PER_RUN and THREADS.

log() { printf '%s\n' "$*" >&2; }

# Stops a process by pid and waits until it is gone (it may not be our child).
stop_pid() {
    local pid=$1 signal=$2
    [ -n "$pid" ] || return 0
    kill "-$signal" "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 600); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}

# Stops both servers by pid and removes the work directory.
cleanup() {
    stop_pid "$TS_PID" TERM
    # SIGINT is PostgreSQL's "fast shutdown".
    stop_pid "$PG_PID" INT
    rm -rf "$WORK"
}

# Runs a PostgreSQL server binary as the postgres user when we are root.
as_pg_user() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# A loopback port nobody listens on right now, below Linux's ephemeral range (32768
# and up), so that no client connection's own port can take it before the server
# binds it.
free_port() {
    local port
    for _ in $(seq 1 100); do
        port=$((20000 + RANDOM % 12000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    log "no free port found"
    return 1
}

# Waits until a server on PORT answers a query, for SECONDS at most (default 30;
# a restart with many rows recovers first and may want more), or until process PID
# (if given) has exited.
wait_ready() {
    local port=$1 name=$2 seconds=${3:-30} pid=${4:-}
    for _ in $(seq 1 $((seconds * 10))); do
        if psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -Atqc 'SELECT 1' >/dev/null 2>&1; then
            return 0
        fi
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            log "$name exited before it was ready on port $port"
            return 1
        fi
        sleep 0.1
    done
    log "$name did not become ready on port $port"
    return 1
}

# Starts Turnstile ($TURNSTILE_BIN) on PORT with data dir DIR, logging to DIR.log;
# extra flags after. It may recover many rows first, hence the long wait.
start_turnstile() {
    local port=$1 dir=$2
    shift 2
    "$TURNSTILE_BIN" serve --listen "127.0.0.1:$port" --data-dir "$dir" "$@" \
        >>"$dir.log" 2>&1 &
    TS_PID=$!
    wait_ready "$port" Turnstile 120 "$TS_PID" || { tail -20 "$dir.log" >&2; return 1; }
}

# initdb's and starts a throwaway PostgreSQL ($PGBIN) on PORT in $WORK/pg.
start_postgres() {
    local port=$1
    mkdir -p "$WORK/pg" "$WORK/pgrun"
    [ "$(id -u)" = 0 ] && chown postgres "$WORK/pg" "$WORK/pgrun"
    as_pg_user "$PGBIN/initdb" -D "$WORK/pg" -U postgres -A trust --locale=C.UTF-8 >"$WORK/initdb.log" 2>&1 \
        || as_pg_user "$PGBIN/initdb" -D "$WORK/pg" -U postgres -A trust >"$WORK/initdb.log" 2>&1
    as_pg_user "$PGBIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pgrun/pg.log" -w \
        -o "-p $port -k $WORK/pgrun -c listen_addresses=127.0.0.1" start >/dev/null
    PG_PID=$(head -1 "$WORK/pg/postmaster.pid")
    wait_ready "$port" PostgreSQL
}

# Writes the load file: CREATE TABLE and multi-row INSERTs of BATCH_ROWS rows each.
# Owners are 10 characters ("acct000042").
write_load_sql() {
    local rows=$1 file=$2
    {
        # IF NOT EXISTS: Turnstile's bank module (loaded by default) has created it.
        echo "CREATE TABLE IF NOT EXISTS accounts (id BIGINT PRIMARY KEY, owner TEXT NOT NULL, balance BIGINT NOT NULL);"
        awk -v rows="$rows" -v batch="$BATCH_ROWS" 'BEGIN {
            for (i = 1; i <= rows; i++) {
                if ((i - 1) % batch == 0) printf "INSERT INTO accounts VALUES ";
                printf "(%d,'"'"'acct%06d'"'"',%d)", i, i % 1000000, (i * 7919) % 100000;
                if (i % batch == 0 || i == rows) print ";"; else printf ",";
            }
        }'
    } >"$file"
}

# Runs a SQL file against the server on PORT.
load() {
    local port=$1 file=$2
    psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -q -v ON_ERROR_STOP=1 -f "$file" >/dev/null
}

# Runs a query on the server on PORT and prints the result unaligned.
q() {
    local port=$1 sql=$2
    psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -Atqc "$sql"
}

# Runs pgbench -n -f SCRIPT -M MODE with CLIENTS clients against PORT for
# $SECONDS_PER_RUN seconds ($THREADS threads at most), with PGOPTIONS=$6 (e.g.
# "-c synchronous_commit=off"). SCRIPT "builtin:NAME" runs pgbench's built-in NAME
# (-b NAME) instead of a file; $PGBENCH_FLAGS adds flags (e.g. --max-tries=10).
# Prints "TPS LATENCY_MS TRANSACTIONS FAILED_PCT RETRIED_PCT", or "error error 0 - -"
# with pgbench's last lines on stderr. NAME labels its log in $WORK.
run_pgbench() {
    local port=$1 script=$2 mode=$3 clients=$4 name=$5 opts=${6:-}
    # shellcheck disable=SC2153 # THREADS is the sourcing script's.
    local threads=$((THREADS < clients ? THREADS : clients))
    local source=(-f "$script")
    [[ "$script" == builtin:* ]] && source=(-b "${script#builtin:}")
    local out
    out="$WORK/pgbench-$name-$(basename "$script" .sql)-$mode-$clients-${opts//[^a-z=]/}.log"
    # shellcheck disable=SC2086
    if PGOPTIONS="$opts" "$PGBIN/pgbench" -n -h 127.0.0.1 -p "$port" -U postgres "${source[@]}" -M "$mode" \
        -c "$clients" -j "$threads" -T "$SECONDS_PER_RUN" ${PGBENCH_FLAGS:-} postgres >"$out" 2>&1; then
        local tps lat txns failed retried
        tps=$(awk '/^tps = / { printf "%.0f", $3; exit }' "$out")
        lat=$(awk '/^latency average = / { print $4; exit }' "$out")
        txns=$(awk '/^number of transactions actually processed: / { split($6, a, "/"); print a[1]; exit }' "$out")
        failed=$(awk -F'[()%]' '/^number of failed transactions: / { print $2; exit }' "$out")
        retried=$(awk -F'[()%]' '/^number of transactions retried: / { print $2; exit }' "$out")
        echo "${tps:-error} ${lat:-error} ${txns:-0} ${failed:-0} ${retried:-0}"
    else
        log "pgbench against $name failed:"
        tail -5 "$out" >&2
        echo "error error 0 - -"
    fi
}

# A / B with two decimals, or "-" when either is missing.
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "-" }'
}

# Builds Turnstile in release mode, unless BENCH_SKIP_BUILD=1; into $CARGO_TARGET_DIR
# when set (a separate directory keeps a long release build from locking target/).
build_turnstile() {
    if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
        log "building Turnstile (release)…"
        (cd "$REPO" && cargo build --release --locked --quiet)
    fi
}

# Starts Turnstile (data dir TS_DIR, its default modules) and a throwaway PostgreSQL
# on free loopback ports, sets TS_PORT and PG_PORT, loads ROWS accounts into both
# from one file of INSERTs, and checks that both have them.
start_both_with_accounts() {
    local rows=$1 ts_dir=$2
    TS_PORT=$(free_port)
    start_turnstile "$TS_PORT" "$ts_dir"
    PG_PORT=$(free_port)
    start_postgres "$PG_PORT"
    log "Turnstile on 127.0.0.1:$TS_PORT (pid $TS_PID), PostgreSQL on 127.0.0.1:$PG_PORT (pid $PG_PID)"
    log "loading $rows accounts into both…"
    write_load_sql "$rows" "$WORK/load.sql"
    load "$TS_PORT" "$WORK/load.sql"
    load "$PG_PORT" "$WORK/load.sql"
    q "$PG_PORT" 'VACUUM ANALYZE accounts' >/dev/null
    local port count
    for port in "$TS_PORT" "$PG_PORT"; do
        count=$(q "$port" 'SELECT count(*) FROM accounts')
        [ "$count" = "$rows" ] || { log "expected $rows rows on port $port, found $count"; exit 1; }
    done
}
