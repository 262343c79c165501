#!/usr/bin/env bash
# The driver scenario (compat/drivers/README.md) with psql: every step is one psql
# session (`psql -X -At -v ON_ERROR_STOP=1 -f -`) whose output is compared exactly with
# the text PostgreSQL 15 prints; error steps turn ON_ERROR_STOP off and print
# :LAST_ERROR_SQLSTATE, then prove the same session still answers.
# Usage: scenario.sh POSTGRES_URL. Prints PASS/FAIL per step; exits 1 if any failed.
set -u
URL=${1:?usage: scenario.sh POSTGRES_URL}
export COMPAT_URL=$URL
T=compat_psql
ACCT_A=1001
ACCT_B=1002
SCRATCH=$(mktemp -d /tmp/compat-psql.XXXXXX)
trap 'rm -rf "$SCRATCH"' EXIT
OK=0
FAILED=0

# step NAME EXPECTED SQL: runs SQL in one psql session, compares its stdout with EXPECTED.
step() {
    local name=$1 expected=$2 sql=$3 out rc
    out=$(psql -X -q -At -v ON_ERROR_STOP=1 "$URL" -f - 2>"$SCRATCH/stderr" <<<"$sql")
    rc=$?
    if [ "$rc" = 0 ] && [ "$out" = "$expected" ]; then
        echo "PASS $name"
        OK=$((OK + 1))
    else
        echo "FAIL $name: psql exited $rc; stderr: $(cat "$SCRATCH/stderr")"
        diff <(printf '%s\n' "$expected") <(printf '%s\n' "$out") | sed 's/^/    /' | head -12
        FAILED=$((FAILED + 1))
    fi
}

# error_step NAME SQLSTATE SQL: SQL must fail with SQLSTATE, then `SELECT 1` answers.
error_step() {
    step "$1" "$2
1" "\\set ON_ERROR_STOP 0
$3;
\\echo :LAST_ERROR_SQLSTATE
\\set ON_ERROR_STOP 1
SELECT 1;"
}

step connect "1" "SELECT 1;"

step create_table "" "DROP TABLE IF EXISTS $T;
CREATE TABLE $T (id integer PRIMARY KEY, c_bool boolean, c_int2 smallint, c_int4 integer,
    c_int8 bigint, c_float4 real, c_float8 double precision, c_numeric numeric, c_text text,
    c_varchar varchar(20), c_bytea bytea, c_timestamp timestamp, c_timestamptz timestamptz,
    c_date date, c_uuid uuid, c_jsonb jsonb);"

ALL_BYTES=$(for i in $(seq 0 255); do printf '%02x' "$i"; done)
# psql's parameters are its variables, quoted by psql (`:'name'`); the driver-side
# prepared statement is the prepared_reuse step (PREPARE / EXECUTE).
step insert_params "" "\\set txt 'héllo wörld ✓ 日本語 🐘🚀 it''s \"quoted\" back\\\\slash'
\\set vc 'ünïcødé 🎉'
\\set json '{\"b\": null, \"aa\": [1, 2.5, \"x\"], \"é\": \"🐘\"}'
INSERT INTO $T VALUES (1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO $T VALUES (2, true, -32768, -2147483648, -9223372036854775808, -1.5, -2.2250738585072014e-308,
    -12345678901234567890.12345678, :'txt', :'vc', '\\x00010200ff00', '2024-02-29 23:59:59.123456',
    '2024-06-30 12:34:56.789+05:30', '2000-02-29', '00000000-0000-0000-0000-000000000000', :'json');
INSERT INTO $T VALUES (3, false, 32767, 2147483647, 9223372036854775807, 3.4028235e+38, 1.7976931348623157e+308,
    0.0000000000000000000000000001, '', 'abcdefghijklmnopqrs🐘', '\\x$ALL_BYTES',
    '1970-01-01 00:00:00', '1999-12-31 23:59:59.999999-08:00', '9999-12-31',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '[]');"

step read_text "1|||||||||||||||
2|t|-32768|-2147483648|-9223372036854775808|-1.5|-2.2250738585072014e-308|-12345678901234567890.12345678|héllo wörld ✓ 日本語 🐘🚀 it's \"quoted\" back\\slash|ünïcødé 🎉|\\x00010200ff00|2024-02-29 23:59:59.123456|2024-06-30 07:04:56.789+00|2000-02-29|00000000-0000-0000-0000-000000000000|{\"b\": null, \"aa\": [1, 2.5, \"x\"], \"é\": \"🐘\"}
3|f|32767|2147483647|9223372036854775807|3.4028235e+38|1.7976931348623157e+308|0.0000000000000000000000000001||abcdefghijklmnopqrs🐘|\\x$ALL_BYTES|1970-01-01 00:00:00|2000-01-01 07:59:59.999999+00|9999-12-31|a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|[]" \
    "SET TimeZone = 'UTC';
SELECT * FROM $T ORDER BY id;"

INSERTS=""
SELECTS=""
EXPECTED_ROWS=""
for i in $(seq 1000 1199); do
    INSERTS+="EXECUTE ins_reuse($i, $((i * 2)), 'row-$i');"$'\n'
    SELECTS+="EXECUTE sel_reuse($i);"$'\n'
    EXPECTED_ROWS+=$((i * 2))"|row-$i"$'\n'
done
step prepared_reuse "${EXPECTED_ROWS}200|439800" \
    "PREPARE ins_reuse (integer, integer, text) AS INSERT INTO $T (id, c_int4, c_text) VALUES (\$1, \$2, \$3);
PREPARE sel_reuse (integer) AS SELECT c_int4, c_text FROM $T WHERE id = \$1;
$INSERTS$SELECTS
SELECT count(*), sum(c_int4) FROM $T WHERE id >= 1000;"

step update_delete_counts "100
50
150" "UPDATE $T SET c_int8 = 7 WHERE id >= 1000 AND id < 1100;
\\echo :ROW_COUNT
DELETE FROM $T WHERE id >= 1150;
\\echo :ROW_COUNT
SELECT count(*) FROM $T WHERE id >= 1000;"

error_step error_42601 42601 "SELEC 1"
error_step error_42P01 42P01 "SELECT * FROM ${T}_missing"
error_step error_23505 23505 "INSERT INTO $T (id) VALUES (2)"
error_step error_22012 22012 "SELECT 1 / 0"

step call_transfer "70
80" "DELETE FROM accounts WHERE id IN ($ACCT_A, $ACCT_B);
CALL open_account($ACCT_A, 'alice', 100);
CALL open_account($ACCT_B, 'bob', 50);
CALL transfer($ACCT_A, $ACCT_B, 30);
SELECT balance FROM accounts WHERE id IN ($ACCT_A, $ACCT_B) ORDER BY id;"

step call_insufficient_funds "P0001
t
70
80" "\\set ON_ERROR_STOP 0
CALL transfer($ACCT_B, $ACCT_A, 1000);
\\echo :LAST_ERROR_SQLSTATE
\\set ON_ERROR_STOP 1
SELECT :'LAST_ERROR_MESSAGE' LIKE 'insufficient funds%';
SELECT balance FROM accounts WHERE id IN ($ACCT_A, $ACCT_B) ORDER BY id;"

# The second connection is a psql run by `\!` while the block is open.
OTHER="psql -X -q -At -v ON_ERROR_STOP=1 \"\$COMPAT_URL\""
step tx_commit "5
0
1|5" "BEGIN;
INSERT INTO $T (id, c_text) VALUES (20, 'committed');
UPDATE $T SET c_int4 = 5 WHERE id = 20;
SELECT c_int4 FROM $T WHERE id = 20;
\\! $OTHER -c 'SELECT count(*) FROM $T WHERE id = 20'
COMMIT;
\\! $OTHER -c 'SELECT count(*), max(c_int4) FROM $T WHERE id = 20'"

step tx_rollback "1
1|5" "BEGIN;
INSERT INTO $T (id, c_text) VALUES (21, 'rolled back');
UPDATE $T SET c_int4 = 6 WHERE id = 20;
SELECT count(*) FROM $T WHERE id = 21;
ROLLBACK;
\\! $OTHER -c 'SELECT count(*), sum(c_int4) FROM $T WHERE id IN (20, 21)'"

# Both sessions read row 30 in a block and update it; the other commits first, so
# this session's block fails with 40001 (PostgreSQL says so at the UPDATE,
# an optimistic server at COMMIT: either is a serialization failure), and its retry
# succeeds.
step serialization_retry "100
100
40001
101
102" "INSERT INTO $T (id, c_int8) VALUES (30, 100);
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT c_int8 FROM $T WHERE id = 30;
\\! $OTHER -c 'BEGIN ISOLATION LEVEL SERIALIZABLE' -c 'SELECT c_int8 FROM $T WHERE id = 30' -c 'UPDATE $T SET c_int8 = 101 WHERE id = 30' -c 'COMMIT'
\\set ON_ERROR_STOP 0
UPDATE $T SET c_int8 = 101 WHERE id = 30;
COMMIT;
\\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
\\set ON_ERROR_STOP 1
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT c_int8 FROM $T WHERE id = 30;
UPDATE $T SET c_int8 = 102 WHERE id = 30;
COMMIT;
\\! $OTHER -c 'SELECT c_int8 FROM $T WHERE id = 30'"

echo "psql: $OK steps passed, $FAILED steps failed"
[ "$FAILED" = 0 ]
