"""What the Python scenarios (psycopg, asyncpg, sqlalchemy) share: the step runner,
the table of every type, the rows with their expected values, and the constants of
the scenario described in compat/drivers/README.md."""

import asyncio
import datetime
import decimal
import struct
import sys
import traceback
import uuid

COLUMNS = [
    ("c_bool", "boolean"),
    ("c_int2", "smallint"),
    ("c_int4", "integer"),
    ("c_int8", "bigint"),
    ("c_float4", "real"),
    ("c_float8", "double precision"),
    ("c_numeric", "numeric"),
    ("c_text", "text"),
    ("c_varchar", "varchar(20)"),
    ("c_bytea", "bytea"),
    ("c_timestamp", "timestamp"),
    ("c_timestamptz", "timestamptz"),
    ("c_date", "date"),
    ("c_uuid", "uuid"),
    ("c_jsonb", "jsonb"),
]
COLUMN_NAMES = [name for name, _ in COLUMNS]


def create_table_sql(table):
    cols = ", ".join(f"{name} {sql_type}" for name, sql_type in COLUMNS)
    return f"CREATE TABLE {table} (id integer PRIMARY KEY, {cols})"


def insert_sql(table, placeholders):
    """`INSERT INTO table VALUES (…)` with the 16 placeholders given, e.g. ["%s"] * 16."""
    return f"INSERT INTO {table} VALUES ({', '.join(placeholders)})"


def select_all_sql(table):
    return f"SELECT id, {', '.join(COLUMN_NAMES)} FROM {table} WHERE id < 10 ORDER BY id"


JSON_TEXT = '{"b": null, "aa": [1, 2.5, "x"], "é": "🐘"}'
JSON_VALUE = {"b": None, "aa": [1, 2.5, "x"], "é": "🐘"}
IST = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
PST = datetime.timezone(datetime.timedelta(hours=-8))

# Rows as Python values; the jsonb column holds its text, which every driver
# compares exactly (as returned) or after parsing.
ROWS = [
    (1,) + (None,) * 15,
    (
        2,
        True,
        -32768,
        -2147483648,
        -9223372036854775808,
        -1.5,
        -2.2250738585072014e-308,
        decimal.Decimal("-12345678901234567890.12345678"),
        "héllo wörld ✓ 日本語 🐘🚀 it's \"quoted\" back\\slash",
        "ünïcødé 🎉",
        b"\x00\x01\x02\x00\xff\x00",
        datetime.datetime(2024, 2, 29, 23, 59, 59, 123456),
        datetime.datetime(2024, 6, 30, 12, 34, 56, 789000, tzinfo=IST),
        datetime.date(2000, 2, 29),
        uuid.UUID("00000000-0000-0000-0000-000000000000"),
        JSON_TEXT,
    ),
    (
        3,
        False,
        32767,
        2147483647,
        9223372036854775807,
        3.4028234663852886e38,  # the largest real
        1.7976931348623157e308,
        decimal.Decimal("0.0000000000000000000000000001"),
        "",
        "abcdefghijklmnopqrs🐘",
        bytes(range(256)),
        datetime.datetime(1970, 1, 1),
        datetime.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=PST),
        datetime.date(9999, 12, 31),
        uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
        "[]",
    ),
]
JSONB_INDEX = 15
JSON_PARSED = {2: JSON_VALUE, 3: []}

REUSE_FIRST = 1000
# A generous bound on one step of an async scenario: it guards against a server that
# never answers, it measures nothing.
STEP_TIMEOUT_S = 60
REUSE_COUNT = 200


def exact(value):
    """A value made comparable exactly: a Decimal keeps its scale (1.50 != 1.5),
    a float its sign and bits, an aware datetime its instant."""
    if isinstance(value, decimal.Decimal):
        return ("numeric", str(value))
    if isinstance(value, float):
        return ("float", value.hex())
    if isinstance(value, (bytes, bytearray, memoryview)):
        return ("bytes", bytes(value))
    return (type(value).__name__, value)


def as_float4(value):
    return struct.unpack("<f", struct.pack("<f", value))[0]


def assert_rows(got_rows, json_as_text):
    """Compares rows read back with ROWS, column by column; the jsonb column as text
    (json_as_text) or as the parsed value."""
    got_rows = [tuple(r) for r in got_rows]
    assert len(got_rows) == len(ROWS), f"expected {len(ROWS)} rows, got {len(got_rows)}: {got_rows!r}"
    for want, got in zip(ROWS, got_rows):
        for i, (w, g) in enumerate(zip(want, got)):
            if i == JSONB_INDEX and w is not None and not json_as_text:
                w = JSON_PARSED[want[0]]
            name = "id" if i == 0 else COLUMN_NAMES[i - 1]
            if name == "c_float4" and isinstance(g, float):
                # A real read as text ("3.4028235e+38") parses to the nearest double,
                # not the real's exact value: compare as 32-bit floats.
                w, g = as_float4(w), as_float4(g)
            assert exact(w) == exact(g), f"row {want[0]} column {name}: expected {w!r}, got {g!r}"
        assert len(want) == len(got), f"row {want[0]}: expected {len(want)} columns, got {len(got)}"


def accounts(base):
    """The two bank accounts a driver's scenario opens."""
    return base + 1, base + 2


class Steps:
    """Runs named steps, each on its own: a failing step prints FAIL with its error
    and the next step still runs. finish() prints the tally and exits 1 if any failed."""

    def __init__(self, driver):
        self.driver = driver
        self.ok = 0
        self.failed = 0

    def _report(self, name, error):
        if error is None:
            print(f"PASS {name}", flush=True)
            self.ok += 1
        else:
            detail = "".join(traceback.format_exception_only(type(error), error)).strip()
            where = traceback.extract_tb(error.__traceback__)
            line = next((f" (line {f.lineno})" for f in reversed(where) if "scenario" in f.filename), "")
            print(f"FAIL {name}{line}: {detail}", flush=True)
            self.failed += 1

    def run(self, name, fn):
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - every failure is reported
            self._report(name, e)
            return False
        self._report(name, None)
        return True

    async def run_async(self, name, fn, on_timeout=None):
        """Like run, for a coroutine function. A step the server leaves unanswered for
        STEP_TIMEOUT_S fails (a hang must not stall the matrix), and then
        on_timeout() (e.g. a reconnect) lets the next steps run."""
        try:
            try:
                await asyncio.wait_for(fn(), STEP_TIMEOUT_S)
            except asyncio.TimeoutError:
                raise AssertionError(f"no answer from the server within {STEP_TIMEOUT_S} s") from None
        except Exception as e:  # noqa: BLE001
            self._report(name, e)
            if on_timeout is not None and isinstance(e, AssertionError) and "no answer" in str(e):
                await on_timeout()
            return False
        self._report(name, None)
        return True

    def finish(self):
        print(f"{self.driver}: {self.ok} steps passed, {self.failed} steps failed", flush=True)
        sys.exit(1 if self.failed else 0)


def expect_error(sqlstate_of, code, fn):
    """Runs fn, which must raise an error whose SQLSTATE (sqlstate_of(error)) is code;
    returns the error."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        got = sqlstate_of(e)
        assert got == code, f"expected SQLSTATE {code}, got {got}: {e!r}"
        return e
    raise AssertionError(f"expected an error with SQLSTATE {code}, got none")


async def expect_error_async(sqlstate_of, code, coro_fn):
    try:
        await coro_fn()
    except Exception as e:  # noqa: BLE001
        got = sqlstate_of(e)
        assert got == code, f"expected SQLSTATE {code}, got {got}: {e!r}"
        return e
    raise AssertionError(f"expected an error with SQLSTATE {code}, got none")


def url_from_argv():
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} POSTGRES_URL")
    return sys.argv[1]
