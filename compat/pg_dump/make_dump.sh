#!/usr/bin/env bash
# Regenerates the pg_dump fixture of tests/compat_pg_dump.rs from PostgreSQL 15:
#   1. initdb's a throwaway PostgreSQL 15 (as the `postgres` OS user when run as root)
#      on a free loopback port in a temporary directory;
#   2. creates the database `shop` (UTF8, collation C, so that ORDER BY on text
#      sorts bytewise as Turnstile does) and loads source.sql into it;
#   3. writes dump.sql with plain `pg_dump` and its default options, owner
#      statements included, as a user would make it, and dump.custom, the same
#      in pg_dump's custom format (`-Fc`), for pg_restore;
#   4. runs check.sql on `shop` itself, whose sequences are where the dump left them,
#      and writes its output to expected.txt.
# The server is stopped by pid and the directory removed on exit, whatever happens.
# Usage: bash compat/pg_dump/make_dump.sh
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
PGBIN=$(pg_config --bindir)
WORK=$(mktemp -d /tmp/turnstile-pg-dump.XXXXXX)
# initdb runs as the postgres user, which must reach the directories inside.
chmod 755 "$WORK"
TS_PID=""
PG_PID=""
# What the caller's shell sets must not change what psql prints (the test clears
# the same variables).
unset PGDATESTYLE PGTZ PGOPTIONS
export PGCLIENTENCODING=UTF8

# shellcheck source-path=SCRIPTDIR source=../bench/lib.sh
source "$HERE/../bench/lib.sh"
trap cleanup EXIT

version=$("$PGBIN/pg_dump" --version)
case "$version" in
    *" 15."*) ;;
    *) log "expected pg_dump 15, found: $version"; exit 1 ;;
esac

port=$(free_port)
start_postgres "$port"
log "PostgreSQL on 127.0.0.1:$port (pid $PG_PID)"
"$PGBIN/createdb" -h 127.0.0.1 -p "$port" -U postgres -T template0 -E UTF8 --locale=C shop
"$PGBIN/psql" -h 127.0.0.1 -p "$port" -U postgres -d shop -X -q -v ON_ERROR_STOP=1 \
    -f "$HERE/source.sql"
"$PGBIN/pg_dump" -h 127.0.0.1 -p "$port" -U postgres -f "$HERE/dump.sql" shop
"$PGBIN/pg_dump" -h 127.0.0.1 -p "$port" -U postgres -Fc -f "$HERE/dump.custom" shop
# check.sql's refused statements print their errors on stderr; only stdout is kept.
"$PGBIN/psql" -h 127.0.0.1 -p "$port" -U postgres -d shop -X -At -v ON_ERROR_STOP=1 \
    -f "$HERE/check.sql" >"$HERE/expected.txt" 2>"$WORK/check.stderr" \
    || { cat "$WORK/check.stderr" >&2; exit 1; }
log "wrote $HERE/dump.sql, $HERE/dump.custom and $HERE/expected.txt (pg_dump: $version)"
