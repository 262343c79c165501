#!/usr/bin/env bash
# Runs the driver matrix against a throwaway PostgreSQL 15 instead of Turnstile, to
# show the scenarios themselves are right (compat/drivers/README.md): starts it on a
# free loopback port (as the postgres OS user when run as root), loads
# postgres_bank.sql (the bank module's table and reducers as PL/pgSQL), runs
# `cargo test --test compat_drivers` with TURNSTILE_COMPAT_URL pointing at it (extra
# arguments after `--` go to the test binary, e.g. `-- psycopg`), then stops it by
# pid and removes its directory.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
PGBIN=$(pg_config --bindir)
WORK=$(mktemp -d /tmp/turnstile-compat-pg.XXXXXX)
chmod 755 "$WORK"
TS_PID=""
PG_PID=""
# shellcheck source=../bench/lib.sh
source "$REPO/compat/bench/lib.sh"
trap cleanup EXIT

[ "${1:-}" = "--" ] && shift
PORT=$(free_port)
start_postgres "$PORT"
URL="postgres://postgres@127.0.0.1:$PORT/postgres"
psql -X -q -v ON_ERROR_STOP=1 "$URL" -f "$REPO/compat/drivers/postgres_bank.sql"
log "PostgreSQL on 127.0.0.1:$PORT (pid $PG_PID)"
cd "$REPO"
TURNSTILE_COMPAT_URL=$URL cargo test --test compat_drivers -- "$@"
