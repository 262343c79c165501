#!/usr/bin/env bash
# The driver scenario for pgbench (compat/drivers/README.md): `pgbench -i -s 1`, its
# built-in TPC-B-like script (transaction blocks of three UPDATEs, a SELECT and an
# INSERT) with -M simple and -M prepared, a fixed number of transactions and
# --max-tries=10 (serialization failures are retried), checked for the TPC-B
# invariants; then a custom script of `CALL transfer(:a, :b, 1)` between ten accounts
# of the bank module, checked for the sum of their balances.
# Usage: scenario.sh POSTGRES_URL. Prints PASS/FAIL per step; exits 1 if any failed.
set -u
URL=${1:?usage: scenario.sh POSTGRES_URL}
CLIENTS=2
TXNS=25
ACCT_LOW=2001
ACCT_HIGH=2010
SCRATCH=$(mktemp -d /tmp/compat-pgbench.XXXXXX)
trap 'rm -rf "$SCRATCH"' EXIT
OK=0
FAILED=0

pass() {
    echo "PASS $1"
    OK=$((OK + 1))
}

fail() {
    echo "FAIL $1: $2"
    FAILED=$((FAILED + 1))
}

# q SQL: one query through psql, unaligned; stderr goes to $SCRATCH/q.err.
q() {
    psql -X -q -At -v ON_ERROR_STOP=1 "$URL" -c "$1" 2>"$SCRATCH/q.err"
}

# check NAME EXPECTED SQL: the query's output must be EXPECTED.
check() {
    local got
    got=$(q "$3")
    if [ "$got" = "$2" ]; then
        pass "$1"
    else
        fail "$1" "$3 gave '$got', expected '$2'; $(cat "$SCRATCH/q.err")"
    fi
}

# run_pgbench NAME ARGS...: pgbench must exit 0 having processed every transaction
# without a failed one; its output goes to $SCRATCH/NAME.log.
run_pgbench() {
    local name=$1 log=$SCRATCH/$1.log
    shift
    if ! pgbench "$@" "$URL" >"$log" 2>&1; then
        fail "$name" "pgbench $* exited non-zero: $(tail -15 "$log")"
        return 1
    fi
    local want=$((CLIENTS * TXNS))
    if ! grep -q "^number of transactions actually processed: $want/$want\$" "$log" \
        || grep -q '^number of failed transactions: [1-9]' "$log"; then
        fail "$name" "not every transaction went through: $(grep -E '^number of (transactions|failed)' "$log")"
        return 1
    fi
    pass "$name"
    grep -E '^number of transactions retried' "$log" | sed 's/^/    /'
}

# The TPC-B invariants after N transactions: one history row each, and every table's
# balances add up to the sum of the history's deltas.
tpcb_invariants() {
    check "$1_invariants" "$2|t" "SELECT count(*), (SELECT coalesce(sum(abalance), 0) FROM pgbench_accounts) = coalesce(sum(delta), 0)
    AND (SELECT coalesce(sum(bbalance), 0) FROM pgbench_branches) = coalesce(sum(delta), 0)
    AND (SELECT coalesce(sum(tbalance), 0) FROM pgbench_tellers) = coalesce(sum(delta), 0) FROM pgbench_history"
}

if pgbench -i -s 1 -q "$URL" >"$SCRATCH/init.log" 2>&1; then
    pass pgbench_init
else
    fail pgbench_init "pgbench -i -s 1 exited non-zero: $(tail -15 "$SCRATCH/init.log")"
fi
check pgbench_init_rows "100000|10|1|0" "SELECT (SELECT count(*) FROM pgbench_accounts), (SELECT count(*) FROM pgbench_tellers), (SELECT count(*) FROM pgbench_branches), (SELECT count(*) FROM pgbench_history)"

run_pgbench tpcb_simple -n -M simple -c "$CLIENTS" -j 1 -t "$TXNS" --max-tries=10
tpcb_invariants tpcb_simple $((CLIENTS * TXNS))
run_pgbench tpcb_prepared -n -M prepared -c "$CLIENTS" -j 1 -t "$TXNS" --max-tries=10
tpcb_invariants tpcb_prepared $((2 * CLIENTS * TXNS))

{
    echo "DELETE FROM accounts WHERE id BETWEEN $ACCT_LOW AND $ACCT_HIGH;"
    for id in $(seq "$ACCT_LOW" "$ACCT_HIGH"); do
        echo "CALL open_account($id, 'pgbench $id', 1000);"
    done
} >"$SCRATCH/accounts.sql"
if psql -X -q -v ON_ERROR_STOP=1 "$URL" -f "$SCRATCH/accounts.sql" >"$SCRATCH/accounts.log" 2>&1; then
    pass call_open_accounts
else
    fail call_open_accounts "$(cat "$SCRATCH/accounts.log")"
fi
printf '\\set a random(%d, %d)\n\\set b random(%d, %d)\nCALL transfer(:a, :b, 1);\n' \
    "$ACCT_LOW" "$ACCT_HIGH" "$ACCT_LOW" "$ACCT_HIGH" >"$SCRATCH/transfer.sql"
run_pgbench call_transfer -n -M prepared -f "$SCRATCH/transfer.sql" -c "$CLIENTS" -j 1 -t "$TXNS" --max-tries=10
check call_transfer_balances "10|10000" "SELECT count(*), sum(balance) FROM accounts WHERE id BETWEEN $ACCT_LOW AND $ACCT_HIGH"

echo "pgbench: $OK steps passed, $FAILED steps failed"
[ "$FAILED" = 0 ]
