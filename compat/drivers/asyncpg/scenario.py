"""The driver scenario (compat/drivers/README.md) with asyncpg: the extended protocol
only, every value in binary (asyncpg has no text mode for results, so there is no
read_text step), named prepared statements, transaction blocks and a serialization
failure retried. Usage: python3 scenario.py POSTGRES_URL"""

import asyncio
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import compat_common as cc  # noqa: E402

try:
    import asyncpg
except ImportError as e:
    sys.exit(f"asyncpg is not installed ({e}): run .ci/run, which installs the drivers")

T = "compat_asyncpg"
ACCT_A, ACCT_B = cc.accounts(6000)
URL = cc.url_from_argv()
steps = cc.Steps("asyncpg")


def sqlstate(e):
    return getattr(e, "sqlstate", None)


async def assert_answers(conn):
    assert await conn.fetchval("SELECT 1") == 1, "the connection does not answer SELECT 1"


async def main():
    state = {}

    async def connect():
        state["conn"] = await asyncpg.connect(URL)
        state["other"] = await asyncpg.connect(URL)
        await assert_answers(state["conn"])

    if not await steps.run_async("connect", connect):
        steps.finish()

    async def reconnect():
        state["conn"].terminate()
        state["conn"] = await asyncpg.connect(URL)

    class Conn:
        """The current main connection: a step that hung gets a fresh one."""

        def __getattr__(self, name):
            return getattr(state["conn"], name)

    conn, other = Conn(), state["other"]

    async def session_settings():
        """What asyncpg sends before it introspects a type it has no codec for (an
        array of anything but text or oid, an enum, …), since the server reports
        version 15: jit turned off with set_config, for the session."""
        row = await conn.fetchrow("SELECT current_setting('jit'), set_config('jit', 'off', false)")
        assert tuple(row) == ("on", "off"), tuple(row)
        assert await conn.fetchval("SHOW jit") == "off"
        assert await conn.fetchval("SELECT current_setting($1)", "JIT") == "off"
        await conn.execute("RESET jit")

    async def introspected_arrays():
        """An int[] and a bigint[] parameter and result: asyncpg has no built-in
        codec for them and introspects the types with its WITH RECURSIVE query over
        pg_type, pg_range and array_agg(… ORDER BY …) first."""
        assert await conn.fetchval("SELECT $1::int[]", [1, 2, None]) == [1, 2, None]
        got = await conn.fetchval(
            "SELECT array_agg(x ORDER BY x DESC) FROM unnest($1::bigint[]) x", [5, 7, 6]
        )
        assert got == [7, 6, 5], got

    async def array_columns():
        """text[] and bigint[] columns through asyncpg's binary codecs, NULL
        elements as None, and a list parameter compared with = ANY."""
        await conn.execute(f"DROP TABLE IF EXISTS {T}_arrays")
        await conn.execute(f"CREATE TABLE {T}_arrays (id int PRIMARY KEY, tags text[], scores bigint[])")
        await conn.execute(f"INSERT INTO {T}_arrays VALUES ($1, $2, $3)", 1, ["a b", None, ""], [2**63 - 1, -1])
        await conn.execute(f"INSERT INTO {T}_arrays VALUES ($1, $2, $3)", 2, [], None)
        got = [tuple(r) for r in await conn.fetch(f"SELECT tags, scores FROM {T}_arrays ORDER BY id")]
        assert got == [(["a b", None, ""], [2**63 - 1, -1]), ([], None)], got
        got = await conn.fetchval(f"SELECT id FROM {T}_arrays WHERE $1 = ANY(tags)", "a b")
        assert got == 1, got
        await conn.execute(f"DROP TABLE {T}_arrays")

    async def interval_values():
        """datetime.timedelta as interval parameters and results (binary)."""
        import datetime
        span = datetime.timedelta(days=-1, hours=2, microseconds=5)
        got = tuple(await conn.fetchrow("SELECT $1::interval, interval '1 day 02:00:00.5'", span))
        assert got == (span, datetime.timedelta(days=1, hours=2, milliseconds=500)), got

    async def create_table():
        await conn.execute(f"DROP TABLE IF EXISTS {T}")
        await conn.execute(cc.create_table_sql(T))

    async def insert_params():
        placeholders = [f"${i}" for i in range(1, 17)]
        for row in cc.ROWS:
            status = await conn.execute(cc.insert_sql(T, placeholders), *row)
            assert status == "INSERT 0 1", status

    async def read_binary():
        cc.assert_rows(await conn.fetch(cc.select_all_sql(T)), json_as_text=True)

    async def prepared_reuse():
        insert = await conn.prepare(f"INSERT INTO {T} (id, c_int4, c_text) VALUES ($1, $2, $3)")
        select = await conn.prepare(f"SELECT c_int4, c_text FROM {T} WHERE id = $1")
        for i in range(cc.REUSE_FIRST, cc.REUSE_FIRST + cc.REUSE_COUNT):
            await insert.fetch(i, i * 2, f"row-{i}")
        for i in range(cc.REUSE_FIRST, cc.REUSE_FIRST + cc.REUSE_COUNT):
            got = [tuple(r) for r in await select.fetch(i)]
            assert got == [(i * 2, f"row-{i}")], f"id {i}: {got!r}"
        got = tuple(await conn.fetchrow(f"SELECT count(*), sum(c_int4) FROM {T} WHERE id >= $1", cc.REUSE_FIRST))
        assert got == (200, 439800), f"count, sum: {got!r}"

    async def update_delete_counts():
        status = await conn.execute(f"UPDATE {T} SET c_int8 = 7 WHERE id >= 1000 AND id < 1100")
        assert status == "UPDATE 100", status
        status = await conn.execute(f"DELETE FROM {T} WHERE id >= $1", 1150)
        assert status == "DELETE 50", status
        assert await conn.fetchval(f"SELECT count(*) FROM {T} WHERE id >= 1000") == 150

    async def copy_binary():
        """Binary COPY both ways (asyncpg's copy API speaks only binary): the
        scenario's rows (every type, the extremes) out with copy_from_query and,
        as those bytes, into a twin table with copy_to_table; then rows written
        with copy_records_to_table, which first prepares `SELECT … LIMIT 1` on
        the table to learn its column types."""
        import decimal
        import io

        twin = f"{T}_copy"
        await conn.execute(f"DROP TABLE IF EXISTS {twin}")
        await conn.execute(cc.create_table_sql(twin))
        out = io.BytesIO()
        status = await conn.copy_from_query(f"SELECT * FROM {T} WHERE id < 10", output=out, format="binary")
        assert status == f"COPY {len(cc.ROWS)}", status
        status = await conn.copy_to_table(twin, source=io.BytesIO(out.getvalue()), format="binary")
        assert status == f"COPY {len(cc.ROWS)}", status
        cc.assert_rows(await conn.fetch(cc.select_all_sql(twin)), json_as_text=True)
        await conn.execute(f"TRUNCATE {twin}")
        rows = [(1, 2**63 - 1, "h\u00e9llo\ttab", decimal.Decimal("-1.50")), (2, None, None, None)]
        columns = ["id", "c_int8", "c_text", "c_numeric"]
        status = await conn.copy_records_to_table(twin, records=rows, columns=columns)
        assert status == "COPY 2", status
        got = [tuple(r) for r in await conn.fetch(f"SELECT {', '.join(columns)} FROM {twin} ORDER BY id")]
        assert got == rows, got
        await conn.execute(f"DROP TABLE {twin}")

    def error_step(code, sql):
        async def run():
            await cc.expect_error_async(sqlstate, code, lambda: conn.fetch(sql))
            await assert_answers(conn)

        return run

    async def balances():
        return [r[0] for r in await other.fetch("SELECT balance FROM accounts WHERE id IN ($1, $2) ORDER BY id", ACCT_A, ACCT_B)]

    async def call_transfer():
        await conn.execute("DELETE FROM accounts WHERE id IN ($1, $2)", ACCT_A, ACCT_B)
        await conn.execute("CALL open_account($1, $2, $3)", ACCT_A, "alice", 100)
        await conn.execute("CALL open_account($1, $2, $3)", ACCT_B, "bob", 50)
        await conn.execute("CALL transfer($1, $2, $3)", ACCT_A, ACCT_B, 30)
        assert await balances() == [70, 80], await balances()

    async def call_insufficient_funds():
        e = await cc.expect_error_async(sqlstate, "P0001", lambda: conn.execute("CALL transfer($1, $2, $3)", ACCT_B, ACCT_A, 1000))
        assert e.message.startswith("insufficient funds"), e.message
        assert await balances() == [70, 80], await balances()
        await assert_answers(conn)

    async def tx_commit():
        async with conn.transaction():
            await conn.execute(f"INSERT INTO {T} (id, c_text) VALUES ($1, $2)", 20, "committed")
            await conn.execute(f"UPDATE {T} SET c_int4 = 5 WHERE id = 20")
            assert await conn.fetchval(f"SELECT c_int4 FROM {T} WHERE id = 20") == 5, "the block does not read its own write"
            assert await other.fetchval(f"SELECT count(*) FROM {T} WHERE id = 20") == 0, "uncommitted row visible"
        assert tuple(await other.fetchrow(f"SELECT count(*), max(c_int4) FROM {T} WHERE id = 20")) == (1, 5)

    async def tx_rollback():
        tx = conn.transaction()
        await tx.start()
        try:
            await conn.execute(f"INSERT INTO {T} (id, c_text) VALUES ($1, $2)", 21, "rolled back")
            await conn.execute(f"UPDATE {T} SET c_int4 = 6 WHERE id = 20")
            assert await conn.fetchval(f"SELECT count(*) FROM {T} WHERE id = 21") == 1
        finally:
            await tx.rollback()
        for c in (conn, other):
            got = tuple(await c.fetchrow(f"SELECT count(*), sum(c_int4) FROM {T} WHERE id IN (20, 21)"))
            assert got == (1, 5), got

    async def increment(c, interfere=None):
        """Reads row 30 and writes it back plus one, in one serializable block."""
        async with c.transaction(isolation="serializable"):
            value = await c.fetchval(f"SELECT c_int8 FROM {T} WHERE id = 30")
            if interfere:
                await interfere()
            await c.execute(f"UPDATE {T} SET c_int8 = $1 WHERE id = 30", value + 1)

    async def serialization_retry():
        await conn.execute(f"INSERT INTO {T} (id, c_int8) VALUES (30, 100)")
        failures = []
        for attempt in range(3):
            try:
                await increment(conn, (lambda: increment(other)) if attempt == 0 else None)
                break
            except asyncpg.exceptions.SerializationError as e:
                failures.append(e.sqlstate)
        assert failures == ["40001"], f"serialization failures: {failures}"
        assert await other.fetchval(f"SELECT c_int8 FROM {T} WHERE id = 30") == 102

    async def notifications():
        """add_listener: the callback gets what another connection notifies in a
        committed transaction (with its pid), and nothing of a rolled-back one."""
        channel = "compat_asyncpg_events"
        got = asyncio.Queue()
        listener = await asyncpg.connect(URL)
        try:
            await listener.add_listener(channel, lambda _c, pid, ch, payload: got.put_nowait((pid, ch, payload)))
            sender_pid = await other.fetchval("SELECT pg_backend_pid()")
            async with other.transaction():
                await other.execute(f"NOTIFY {channel}, 'committed'")
            tx = other.transaction()
            await tx.start()
            await other.execute("SELECT pg_notify($1, $2)", channel, "rolled back")
            await tx.rollback()
            await other.execute("SELECT pg_notify($1, $2)", channel, "last")
            received = [await asyncio.wait_for(got.get(), 30) for _ in range(2)]
            assert received == [(sender_pid, channel, "committed"), (sender_pid, channel, "last")], received
        finally:
            await listener.close()

    await steps.run_async("session_settings", session_settings, on_timeout=reconnect)
    await steps.run_async("introspected_arrays", introspected_arrays, on_timeout=reconnect)
    await steps.run_async("create_table", create_table, on_timeout=reconnect)
    await steps.run_async("insert_params", insert_params, on_timeout=reconnect)
    await steps.run_async("read_binary", read_binary, on_timeout=reconnect)
    await steps.run_async("prepared_reuse", prepared_reuse, on_timeout=reconnect)
    await steps.run_async("update_delete_counts", update_delete_counts, on_timeout=reconnect)
    await steps.run_async("copy_binary", copy_binary, on_timeout=reconnect)
    await steps.run_async("error_42601", error_step("42601", "SELEC 1"), on_timeout=reconnect)
    await steps.run_async("error_42P01", error_step("42P01", f"SELECT * FROM {T}_missing"), on_timeout=reconnect)
    await steps.run_async("error_23505", error_step("23505", f"INSERT INTO {T} (id) VALUES (2)"), on_timeout=reconnect)
    await steps.run_async("error_22012", error_step("22012", "SELECT 1 / 0"), on_timeout=reconnect)
    await steps.run_async("array_columns", array_columns, on_timeout=reconnect)
    await steps.run_async("interval_values", interval_values, on_timeout=reconnect)
    await steps.run_async("call_transfer", call_transfer, on_timeout=reconnect)
    await steps.run_async("call_insufficient_funds", call_insufficient_funds, on_timeout=reconnect)
    await steps.run_async("tx_commit", tx_commit, on_timeout=reconnect)
    await steps.run_async("tx_rollback", tx_rollback, on_timeout=reconnect)
    await steps.run_async("serialization_retry", serialization_retry, on_timeout=reconnect)
    await steps.run_async("notifications", notifications, on_timeout=reconnect)
    await state["conn"].close()
    await other.close()


asyncio.run(main())
steps.finish()
