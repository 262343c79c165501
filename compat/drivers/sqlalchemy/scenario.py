"""The driver scenario (compat/drivers/README.md) with SQLAlchemy 2 Core on psycopg 3:
the table from MetaData (create_all checks the catalog first), executemany inserts,
typed selects, a statement executed 200 times (psycopg prepares it after 5), errors
and the connection's transaction, a Session transaction, and a serialization
failure retried; then what Alembic reads of a table through SQLAlchemy's
inspector. Every statement runs in a transaction block: that is SQLAlchemy's
(and psycopg's) default. Usage: python3 scenario.py POSTGRES_URL"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import compat_common as cc  # noqa: E402

try:
    import sqlalchemy as sa
    from sqlalchemy.dialects import postgresql as pg
    from sqlalchemy.orm import Session
    import psycopg  # noqa: F401 - the dialect's driver
except ImportError as e:
    sys.exit(f"sqlalchemy or psycopg is not installed ({e}): run .ci/run, which installs the drivers")

T = "compat_sqlalchemy"
ACCT_A, ACCT_B = cc.accounts(9000)
URL = cc.url_from_argv()
if URL.startswith("postgres://"):
    URL = "postgresql://" + URL[len("postgres://"):]
URL = URL.replace("postgresql://", "postgresql+psycopg://", 1)
steps = cc.Steps("sqlalchemy")

metadata = sa.MetaData()
SA_TYPES = {
    "boolean": sa.Boolean(),
    "smallint": sa.SmallInteger(),
    "integer": sa.Integer(),
    "bigint": sa.BigInteger(),
    "real": sa.REAL(),
    "double precision": sa.DOUBLE_PRECISION(),
    "numeric": sa.Numeric(),
    "text": sa.Text(),
    "varchar(20)": sa.String(20),
    "bytea": sa.LargeBinary(),
    "timestamp": sa.DateTime(),
    "timestamptz": sa.DateTime(timezone=True),
    "date": sa.Date(),
    "uuid": sa.Uuid(),
    "jsonb": pg.JSONB(none_as_null=True),
}
table = sa.Table(
    T,
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    *[sa.Column(name, SA_TYPES[sql_type]) for name, sql_type in cc.COLUMNS],
)
engine = sa.create_engine(URL, poolclass=sa.pool.NullPool)
state = {}


def sqlstate(e):
    return getattr(getattr(e, "orig", None), "sqlstate", None)


def scalar(sql, **params):
    with engine.connect() as c:
        return c.execute(sa.text(sql), params).one()


def connect():
    state["conn"] = engine.connect()
    assert state["conn"].execute(sa.text("SELECT 1")).scalar() == 1


if not steps.run("connect", connect):
    steps.finish()
conn = state["conn"]


def create_table():
    metadata.drop_all(engine)
    metadata.create_all(engine)


def insert_params():
    rows = []
    for row in cc.ROWS:
        values = dict(zip(["id"] + cc.COLUMN_NAMES, row))
        if row[cc.JSONB_INDEX] is not None:
            values["c_jsonb"] = cc.JSON_PARSED[row[0]]
        rows.append(values)
    with engine.begin() as c:
        c.execute(table.insert(), rows)  # executemany: its rowcount is not reported
    assert tuple(scalar(f"SELECT count(*) FROM {T}")) == (3,)


def read_text():
    with engine.connect() as c:
        rows = c.execute(sa.select(table).where(table.c.id < 10).order_by(table.c.id)).all()
    cc.assert_rows(rows, json_as_text=False)


def prepared_reuse():
    insert = table.insert()
    select = sa.select(table.c.c_int4, table.c.c_text).where(table.c.id == sa.bindparam("id"))
    ids = range(cc.REUSE_FIRST, cc.REUSE_FIRST + cc.REUSE_COUNT)
    with engine.begin() as c:
        for i in ids:
            c.execute(insert, {"id": i, "c_int4": i * 2, "c_text": f"row-{i}"})
    with engine.connect() as c:
        for i in ids:
            got = c.execute(select, {"id": i}).all()
            assert [tuple(r) for r in got] == [(i * 2, f"row-{i}")], f"id {i}: {got!r}"
    got = scalar(f"SELECT count(*), sum(c_int4) FROM {T} WHERE id >= :first", first=cc.REUSE_FIRST)
    assert tuple(got) == (200, 439800), f"count, sum: {got!r}"


def update_delete_counts():
    with engine.begin() as c:
        result = c.execute(table.update().where(table.c.id >= 1000, table.c.id < 1100).values(c_int8=7))
        assert result.rowcount == 100, f"UPDATE rowcount {result.rowcount}"
        result = c.execute(table.delete().where(table.c.id >= 1150))
        assert result.rowcount == 50, f"DELETE rowcount {result.rowcount}"
    assert tuple(scalar(f"SELECT count(*) FROM {T} WHERE id >= 1000")) == (150,)


def error_step(code, sql):
    def run():
        try:
            cc.expect_error(sqlstate, code, lambda: conn.execute(sa.text(sql)))
        finally:
            conn.rollback()
        assert conn.execute(sa.text("SELECT 1")).scalar() == 1
        conn.rollback()

    return run


def balances():
    with engine.connect() as c:
        rows = c.execute(sa.text("SELECT balance FROM accounts WHERE id IN (:a, :b) ORDER BY id"), {"a": ACCT_A, "b": ACCT_B})
        return [r[0] for r in rows]


def call_transfer():
    with engine.begin() as c:
        c.execute(sa.text("DELETE FROM accounts WHERE id IN (:a, :b)"), {"a": ACCT_A, "b": ACCT_B})
        c.execute(sa.text("CALL open_account(:id, :owner, :balance)"), {"id": ACCT_A, "owner": "alice", "balance": 100})
        c.execute(sa.text("CALL open_account(:id, :owner, :balance)"), {"id": ACCT_B, "owner": "bob", "balance": 50})
    with engine.begin() as c:
        c.execute(sa.text("CALL transfer(:a, :b, :amount)"), {"a": ACCT_A, "b": ACCT_B, "amount": 30})
    assert balances() == [70, 80], balances()


def call_insufficient_funds():
    call = sa.text("CALL transfer(:a, :b, :amount)")
    try:
        e = cc.expect_error(sqlstate, "P0001", lambda: conn.execute(call, {"a": ACCT_B, "b": ACCT_A, "amount": 1000}))
    finally:
        conn.rollback()
    assert e.orig.diag.message_primary.startswith("insufficient funds"), e.orig.diag.message_primary
    assert balances() == [70, 80], balances()
    assert conn.execute(sa.text("SELECT 1")).scalar() == 1
    conn.rollback()


def tx_commit():
    with Session(engine) as session, session.begin():
        session.execute(table.insert().values(id=20, c_text="committed"))
        session.execute(table.update().where(table.c.id == 20).values(c_int4=5))
        got = session.execute(sa.select(table.c.c_int4).where(table.c.id == 20)).scalar()
        assert got == 5, "the block does not read its own write"
        assert tuple(scalar(f"SELECT count(*) FROM {T} WHERE id = 20")) == (0,), "uncommitted row visible"
    assert tuple(scalar(f"SELECT count(*), max(c_int4) FROM {T} WHERE id = 20")) == (1, 5)


def tx_rollback():
    with engine.connect() as c:
        c.execute(table.insert().values(id=21, c_text="rolled back"))
        c.execute(table.update().where(table.c.id == 20).values(c_int4=6))
        assert c.execute(sa.text(f"SELECT count(*) FROM {T} WHERE id = 21")).scalar() == 1
        c.rollback()
    assert tuple(scalar(f"SELECT count(*), sum(c_int4) FROM {T} WHERE id IN (20, 21)")) == (1, 5)


def increment(c, interfere=None):
    """Reads row 30 and writes it back plus one, in one serializable block."""
    with c.begin():
        value = c.execute(sa.select(table.c.c_int8).where(table.c.id == 30)).scalar()
        if interfere:
            interfere()
        c.execute(table.update().where(table.c.id == 30).values(c_int8=value + 1))


def reflection():
    """What Alembic's autogenerate reads of a table: SQLAlchemy's inspector over
    pg_catalog (generate_subscripts over pg_index.indkey, pg_collation_is_visible)."""
    child = f"{T}_child"
    with engine.begin() as c:
        c.execute(sa.text(f"DROP TABLE IF EXISTS {child}"))
        c.execute(sa.text(
            f"CREATE TABLE {child} (id bigint PRIMARY KEY, "
            f"parent integer REFERENCES {T} (id) ON DELETE CASCADE, "
            f"code varchar(8) NOT NULL UNIQUE, note text DEFAULT 'none')"
        ))
        c.execute(sa.text(f"CREATE INDEX {child}_parent_note ON {child} (parent, note)"))
    try:
        inspector = sa.inspect(engine)
        assert {T, child} <= set(inspector.get_table_names()), inspector.get_table_names()
        columns = [
            (col["name"], str(col["type"]), col["nullable"], col["default"])
            for col in inspector.get_columns(child)
        ]
        assert columns == [
            ("id", "BIGINT", False, None),
            ("parent", "INTEGER", True, None),
            ("code", "VARCHAR(8)", False, None),
            ("note", "TEXT", True, "'none'::text"),
        ], columns
        assert inspector.get_pk_constraint(child)["constrained_columns"] == ["id"]
        foreign_keys = [
            (fk["constrained_columns"], fk["referred_table"], fk["referred_columns"], fk["options"])
            for fk in inspector.get_foreign_keys(child)
        ]
        assert foreign_keys == [(["parent"], T, ["id"], {"ondelete": "CASCADE"})], foreign_keys
        indexes = sorted(
            (i["name"], i["column_names"], i["unique"]) for i in inspector.get_indexes(child)
        )
        assert indexes == [
            (f"{child}_code_key", ["code"], True),
            (f"{child}_parent_note", ["parent", "note"], False),
        ], indexes
        uniques = [(u["name"], u["column_names"]) for u in inspector.get_unique_constraints(child)]
        assert uniques == [(f"{child}_code_key", ["code"])], uniques
        reflected = sa.Table(T, sa.MetaData(), autoload_with=engine)
        assert [c.name for c in reflected.columns] == [c.name for c in table.columns]
        assert [c.name for c in reflected.primary_key] == ["id"]
    finally:
        with engine.begin() as c:
            c.execute(sa.text(f"DROP TABLE {child}"))


def serialization_retry():
    with engine.begin() as c:
        c.execute(table.insert().values(id=30, c_int8=100))
    serializable = engine.execution_options(isolation_level="SERIALIZABLE")
    with serializable.connect() as a, serializable.connect() as b:
        failures = []
        for attempt in range(3):
            try:
                increment(a, (lambda: increment(b)) if attempt == 0 else None)
                break
            except sa.exc.OperationalError as e:
                if sqlstate(e) != "40001":
                    raise
                failures.append(sqlstate(e))
        assert failures == ["40001"], f"serialization failures: {failures}"
    assert tuple(scalar(f"SELECT c_int8 FROM {T} WHERE id = 30")) == (102,)


steps.run("create_table", create_table)
steps.run("insert_params", insert_params)
steps.run("read_text", read_text)
steps.run("prepared_reuse", prepared_reuse)
steps.run("update_delete_counts", update_delete_counts)
steps.run("reflection", reflection)
steps.run("error_42601", error_step("42601", "SELEC 1"))
steps.run("error_42P01", error_step("42P01", f"SELECT * FROM {T}_missing"))
steps.run("error_23505", error_step("23505", f"INSERT INTO {T} (id) VALUES (2)"))
steps.run("error_22012", error_step("22012", "SELECT 1 / 0"))
steps.run("call_transfer", call_transfer)
steps.run("call_insufficient_funds", call_insufficient_funds)
steps.run("tx_commit", tx_commit)
steps.run("tx_rollback", tx_rollback)
steps.run("serialization_retry", serialization_retry)
conn.close()
steps.finish()
