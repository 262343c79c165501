"""The driver scenario (compat/drivers/README.md) with psycopg 3: text and binary
results, text and binary parameters, server-side prepared statements, the driver's
default (non-autocommit) transactions, a serialization failure retried, a
server-side (named) cursor, notifications and an advisory lock waited for.
Usage: python3 scenario.py POSTGRES_URL"""

import os
import threading
from decimal import Decimal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import compat_common as cc  # noqa: E402

try:
    import psycopg
    from psycopg.types.json import Jsonb
except ImportError as e:
    sys.exit(f"psycopg is not installed ({e}): run .ci/run, which installs the drivers")

T = "compat_psycopg"
ACCT_A, ACCT_B = cc.accounts(5000)
URL = cc.url_from_argv()
steps = cc.Steps("psycopg")
state = {}


def sqlstate(e):
    return getattr(e, "sqlstate", None)


def one(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()


def assert_answers(conn):
    assert one(conn, "SELECT 1") == (1,), "the connection does not answer SELECT 1"


def connect():
    state["conn"] = psycopg.connect(URL, autocommit=True)
    state["other"] = psycopg.connect(URL, autocommit=True)
    assert_answers(state["conn"])


if not steps.run("connect", connect):
    steps.finish()
conn, other = state["conn"], state["other"]


def create_table():
    conn.execute(f"DROP TABLE IF EXISTS {T}")
    conn.execute(cc.create_table_sql(T))


def insert_params():
    def params(row):
        row = list(row)
        if row[cc.JSONB_INDEX] is not None:
            row[cc.JSONB_INDEX] = Jsonb(cc.JSON_PARSED[row[0]])
        return row

    rows = cc.ROWS
    # Row 1 and 2 with text parameters, row 3 with binary ones.
    with conn.cursor() as cur:
        for row in rows[:2]:
            cur.execute(cc.insert_sql(T, ["%t"] * 16), params(row))
            assert cur.rowcount == 1, f"rowcount {cur.rowcount}"
        cur.execute(cc.insert_sql(T, ["%b"] * 16), params(rows[2]))
        assert cur.rowcount == 1, f"rowcount {cur.rowcount}"


def read(binary):
    with conn.cursor(binary=binary) as cur:
        cur.execute(cc.select_all_sql(T))
        cc.assert_rows(cur.fetchall(), json_as_text=False)


def prepared_reuse():
    with conn.cursor() as cur:
        for i in range(cc.REUSE_FIRST, cc.REUSE_FIRST + cc.REUSE_COUNT):
            cur.execute(f"INSERT INTO {T} (id, c_int4, c_text) VALUES (%s, %s, %s)", (i, i * 2, f"row-{i}"), prepare=True)
        for i in range(cc.REUSE_FIRST, cc.REUSE_FIRST + cc.REUSE_COUNT):
            cur.execute(f"SELECT c_int4, c_text FROM {T} WHERE id = %s", (i,), prepare=True)
            got = cur.fetchall()
            assert got == [(i * 2, f"row-{i}")], f"id {i}: {got!r}"
    got = one(conn, f"SELECT count(*), sum(c_int4) FROM {T} WHERE id >= %s", (cc.REUSE_FIRST,))
    assert got == (200, 439800), f"count, sum: {got!r}"


def update_delete_counts():
    with conn.cursor() as cur:
        cur.execute(f"UPDATE {T} SET c_int8 = 7 WHERE id >= 1000 AND id < 1100")
        assert cur.rowcount == 100, f"UPDATE rowcount {cur.rowcount}"
        cur.execute(f"DELETE FROM {T} WHERE id >= %s", (1150,))
        assert cur.rowcount == 50, f"DELETE rowcount {cur.rowcount}"
    assert one(conn, f"SELECT count(*) FROM {T} WHERE id >= 1000") == (150,)


def copy_binary():
    """Binary COPY both ways: the scenario's rows (every type, the extremes) out
    with COPY TO and, as those bytes, into a twin table with COPY FROM; then rows
    written and read as Python values (set_types, write_row, rows)."""
    twin = f"{T}_copy"
    conn.execute(f"DROP TABLE IF EXISTS {twin}")
    conn.execute(cc.create_table_sql(twin))
    with conn.cursor() as cur:
        with cur.copy(f"COPY (SELECT * FROM {T} WHERE id < 10) TO STDOUT (FORMAT BINARY)") as copy:
            data = b"".join(bytes(chunk) for chunk in copy)
        with cur.copy(f"COPY {twin} FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(data)
        assert cur.rowcount == len(cc.ROWS), f"rowcount {cur.rowcount}"
        cur.execute(cc.select_all_sql(twin))
        cc.assert_rows(cur.fetchall(), json_as_text=False)
        cur.execute(f"TRUNCATE {twin}")
        columns = "id, c_int8, c_text, c_numeric"
        types = ["int4", "int8", "text", "numeric"]
        rows = [(1, 2**63 - 1, "h\u00e9llo\ttab", Decimal("-1.50")), (2, None, None, None)]
        with cur.copy(f"COPY {twin} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(types)
            for row in rows:
                copy.write_row(row)
        with cur.copy(f"COPY (SELECT {columns} FROM {twin} ORDER BY id) TO STDOUT (FORMAT BINARY)") as copy:
            copy.set_types(types)
            got = list(copy.rows())
        assert got == rows, got
    conn.execute(f"DROP TABLE {twin}")


def error_step(code, sql):
    def run():
        cc.expect_error(sqlstate, code, lambda: conn.execute(sql))
        assert_answers(conn)

    return run


def array_columns():
    """Python lists as text[] and bigint[] columns (NULL elements as None), read
    back in text and binary, and a list parameter compared with = ANY."""
    conn.execute(f"DROP TABLE IF EXISTS {T}_arrays")
    conn.execute(f"CREATE TABLE {T}_arrays (id int PRIMARY KEY, tags text[], scores bigint[])")
    conn.execute(f"INSERT INTO {T}_arrays VALUES (%s, %s, %s)", (1, ["a b", None, ""], [2**63 - 1, -1]))
    conn.execute(f"INSERT INTO {T}_arrays VALUES (%b, %b, %b)", (2, [], None))
    for binary in (False, True):
        with conn.cursor(binary=binary) as cur:
            cur.execute(f"SELECT tags, scores FROM {T}_arrays ORDER BY id")
            got = cur.fetchall()
            assert got == [(["a b", None, ""], [2**63 - 1, -1]), ([], None)], (binary, got)
    got = one(conn, f"SELECT id FROM {T}_arrays WHERE 'a b' = ANY(tags) AND scores = %s", ([2**63 - 1, -1],))
    assert got == (1,), got
    conn.execute(f"DROP TABLE {T}_arrays")


def interval_values():
    """datetime.timedelta as interval parameters and results, in text and
    binary; now() minus one, as apps filter on recent rows."""
    import datetime
    span = datetime.timedelta(days=-1, hours=2, microseconds=5)
    for binary in (False, True):
        with conn.cursor(binary=binary) as cur:
            cur.execute(
                "SELECT %s::interval, interval '1 day 02:00:00.5', now() - %s < now()",
                (span, datetime.timedelta(hours=1)),
            )
            got = cur.fetchone()
            assert got == (span, datetime.timedelta(days=1, hours=2, milliseconds=500), True), (binary, got)


def call_transfer():
    conn.execute("DELETE FROM accounts WHERE id IN (%s, %s)", (ACCT_A, ACCT_B))
    conn.execute("CALL open_account(%s, %s, %s)", (ACCT_A, "alice", 100))
    conn.execute("CALL open_account(%s, %s, %s)", (ACCT_B, "bob", 50))
    conn.execute("CALL transfer(%s, %s, %s)", (ACCT_A, ACCT_B, 30))
    assert balances() == [(70,), (80,)], balances()


def balances():
    with other.cursor() as cur:
        cur.execute("SELECT balance FROM accounts WHERE id IN (%s, %s) ORDER BY id", (ACCT_A, ACCT_B))
        return cur.fetchall()


def call_insufficient_funds():
    e = cc.expect_error(sqlstate, "P0001", lambda: conn.execute("CALL transfer(%s, %s, %s)", (ACCT_B, ACCT_A, 1000)))
    assert e.diag.message_primary.startswith("insufficient funds"), e.diag.message_primary
    assert balances() == [(70,), (80,)], balances()
    assert_answers(conn)


def tx_commit():
    # psycopg's default: every statement runs in a transaction block until commit().
    with psycopg.connect(URL) as tx:
        tx.execute(f"INSERT INTO {T} (id, c_text) VALUES (%s, %s)", (20, "committed"))
        tx.execute(f"UPDATE {T} SET c_int4 = 5 WHERE id = 20")
        assert one(tx, f"SELECT c_int4 FROM {T} WHERE id = 20") == (5,), "the block does not read its own write"
        assert one(other, f"SELECT count(*) FROM {T} WHERE id = 20") == (0,), "uncommitted row visible"
        tx.commit()
    assert one(other, f"SELECT count(*), max(c_int4) FROM {T} WHERE id = 20") == (1, 5)


def tx_rollback():
    with psycopg.connect(URL) as tx:
        tx.execute(f"INSERT INTO {T} (id, c_text) VALUES (%s, %s)", (21, "rolled back"))
        tx.execute(f"UPDATE {T} SET c_int4 = 6 WHERE id = 20")
        assert one(tx, f"SELECT count(*) FROM {T} WHERE id = 21") == (1,)
        tx.rollback()
        assert one(tx, f"SELECT count(*), sum(c_int4) FROM {T} WHERE id IN (20, 21)") == (1, 5)
    assert one(other, f"SELECT count(*), sum(c_int4) FROM {T} WHERE id IN (20, 21)") == (1, 5)


def increment(tx, interfere=None):
    """Reads row 30 and writes it back plus one, in one serializable block."""
    (value,) = one(tx, f"SELECT c_int8 FROM {T} WHERE id = 30")
    if interfere:
        interfere()
    tx.execute(f"UPDATE {T} SET c_int8 = %s WHERE id = 30", (value + 1,))
    tx.commit()


def serialization_retry():
    conn.execute(f"INSERT INTO {T} (id, c_int8) VALUES (30, 100)")
    serializable = psycopg.IsolationLevel.SERIALIZABLE
    with psycopg.connect(URL) as a, psycopg.connect(URL) as b:
        a.isolation_level = serializable
        b.isolation_level = serializable
        failures = []
        for attempt in range(3):
            try:
                increment(a, (lambda: increment(b)) if attempt == 0 else None)
                break
            except psycopg.errors.SerializationFailure as e:
                failures.append(e.sqlstate)
                a.rollback()
        assert failures == ["40001"], f"serialization failures: {failures}"
    assert one(other, f"SELECT c_int8 FROM {T} WHERE id = 30") == (102,)


def named_cursor():
    """A server-side cursor (DECLARE … CURSOR, FETCH, MOVE, CLOSE): fetched in
    parts, scrolled back, and held past its transaction."""
    with psycopg.connect(URL) as c:
        with c.cursor(name="compat_named") as cur:
            cur.execute("SELECT g, g * %s FROM generate_series(1, 10) g ORDER BY g", (10,))
            assert cur.fetchone() == (1, 10)
            assert cur.fetchmany(3) == [(2, 20), (3, 30), (4, 40)]
            assert len(cur.fetchall()) == 6
        with c.cursor(name="compat_scroll", scrollable=True, withhold=True) as cur:
            cur.execute("SELECT g FROM generate_series(1, 5) g")
            assert cur.fetchmany(3) == [(1,), (2,), (3,)]
            cur.scroll(-2)
            assert cur.fetchone() == (2,)
            cur.scroll(4, mode="absolute")
            assert cur.fetchone() == (5,)
            c.commit()
            cur.scroll(0, mode="absolute")
            assert cur.fetchall() == [(g,) for g in range(1, 6)]


def notifications():
    """LISTEN on one connection; NOTIFY in a committed transaction, in a rolled-back
    one (never delivered) and pg_notify with parameters on the other; the
    listener's notifies() generator yields them with the sender's pid."""
    channel = "compat_psycopg_events"
    conn.execute(f"LISTEN {channel}")
    with psycopg.connect(URL) as sender:
        sender.execute(f"NOTIFY {channel}, 'committed'")
        sender.commit()
        sender.execute(f"NOTIFY {channel}, 'rolled back'")
        sender.rollback()
        sender.execute("SELECT pg_notify(%s, %s)", (channel, "from pg_notify"))
        sender.commit()
        pid = sender.info.backend_pid
    got = [(n.channel, n.payload, n.pid) for n in conn.notifies(timeout=30, stop_after=2)]
    conn.execute(f"UNLISTEN {channel}")
    assert got == [(channel, "committed", pid), (channel, "from pg_notify", pid)], got


def advisory_lock():
    """pg_advisory_lock: the other connection waits for the lock this one holds
    (pg_locks shows it waiting), and gets it once it is unlocked."""
    key = ACCT_A
    conn.execute("SELECT pg_advisory_lock(%s)", (key,))
    waited = {}

    def wait():
        waited["row"] = one(other, "SELECT pg_advisory_lock(%s), 'locked'", (key,))

    waiter = threading.Thread(target=wait)
    waiter.start()
    other_pid = other.info.backend_pid
    waiting_sql = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = %s AND NOT granted"
    while one(conn, waiting_sql, (other_pid,)) != (1,):
        pass
    assert one(conn, "SELECT pg_advisory_unlock(%s)", (key,)) == (True,)
    waiter.join()
    assert waited["row"][1] == "locked", waited
    assert one(conn, "SELECT pg_try_advisory_lock(%s)", (key,)) == (False,)
    assert one(other, "SELECT pg_advisory_unlock(%s)", (key,)) == (True,)


steps.run("create_table", create_table)
steps.run("insert_params", insert_params)
steps.run("read_text", lambda: read(binary=False))
steps.run("read_binary", lambda: read(binary=True))
steps.run("prepared_reuse", prepared_reuse)
steps.run("update_delete_counts", update_delete_counts)
steps.run("copy_binary", copy_binary)
steps.run("error_42601", error_step("42601", "SELEC 1"))
steps.run("error_42P01", error_step("42P01", f"SELECT * FROM {T}_missing"))
steps.run("error_23505", error_step("23505", f"INSERT INTO {T} (id) VALUES (2)"))
steps.run("error_22012", error_step("22012", "SELECT 1 / 0"))
steps.run("array_columns", array_columns)
steps.run("interval_values", interval_values)
steps.run("call_transfer", call_transfer)
steps.run("call_insufficient_funds", call_insufficient_funds)
steps.run("tx_commit", tx_commit)
steps.run("tx_rollback", tx_rollback)
steps.run("serialization_retry", serialization_retry)
steps.run("named_cursor", named_cursor)
steps.run("notifications", notifications)
steps.run("advisory_lock", advisory_lock)
steps.finish()
