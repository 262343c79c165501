"""The driver scenario (compat/drivers/README.md) with Django's ORM on psycopg 3:
`migrate` of Django's auth and contenttypes apps and of this scenario's app
(compat_app: an author and its items, a field of each kind), bulk_create, typed
reads, the ORM's lookups, aggregates, joins and subqueries, errors inside
atomic blocks, CALL through a cursor, transactions, and the introspection
`inspectdb` and `migrate` rely on. Usage: python3 scenario.py POSTGRES_URL"""

import datetime
import decimal
import io
import os
import sys
import urllib.parse
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
sys.path.insert(0, HERE)
import compat_common as cc  # noqa: E402

try:
    import django
    from django.conf import settings
    import psycopg  # noqa: F401 - the backend's driver
except ImportError as e:
    sys.exit(f"django or psycopg is not installed ({e}): run .ci/run, which installs the drivers")

URL = urllib.parse.urlparse(cc.url_from_argv())
settings.configure(
    DATABASES={
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": URL.path.lstrip("/") or "postgres",
            "USER": URL.username or "postgres",
            "PASSWORD": URL.password or "",
            "HOST": URL.hostname,
            "PORT": str(URL.port or 5432),
        }
    },
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "compat_app"],
    USE_TZ=True,
    TIME_ZONE="UTC",
    DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
)
django.setup()

from django.contrib.auth.models import Permission, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import DataError, IntegrityError, connection, transaction  # noqa: E402
from django.db.models import Count, Exists, F, OuterRef, Q, Sum  # noqa: E402

from compat_app.models import Author, Item  # noqa: E402

ACCT_A, ACCT_B = cc.accounts(10000)
steps = cc.Steps("django")
CREATED = datetime.datetime(2024, 6, 30, 12, 34, 56, 789000, tzinfo=datetime.timezone.utc)
TOKEN = uuid.UUID("12345678-1234-5678-1234-567812345678")


def sqlstate(e):
    cause = e.__cause__ if e.__cause__ is not None else e
    return getattr(getattr(cause, "diag", None), "sqlstate", None)


def connect():
    with connection.cursor() as c:
        c.execute("SELECT 1")
        assert c.fetchone() == (1,)


def migrate():
    # Run again, the scenario starts from no tables of its own.
    call_command("migrate", "compat_app", "zero", verbosity=0)
    call_command("migrate", verbosity=0)
    tables = connection.introspection.table_names()
    for table in ["compat_django_author", "compat_django_item", "auth_user", "django_migrations"]:
        assert table in tables, tables
    # migrate's post-migrate step bulk-inserted the permissions of every model.
    assert Permission.objects.filter(codename="add_item").exists()
    call_command("makemigrations", "compat_app", check=True, dry_run=True, verbosity=0)


def bulk_create():
    authors = Author.objects.bulk_create(
        [Author(name=f"author {i}", email=f"a{i}@example.com") for i in range(3)]
    )
    assert all(a.pk is not None for a in authors), "bulk_create returns the ids"
    items = [
        Item(author=authors[i % 3], title=f"title {i:03}", count=i, big=i * 10**12, small=i,
             ratio=i / 4, price=decimal.Decimal(i) / 4, flag=i % 2 == 0)
        for i in range(100)
    ]
    Item.objects.bulk_create(items)
    assert Item.objects.count() == 100
    assert Author.objects.get(name="author 1").items.count() == 33


def typed_values():
    author = Author.objects.create(name="typed", email="typed@example.com")
    extra = {"b": None, "aa": [1, 2.5, "x"], "é": "🐘"}
    item = Item.objects.create(
        author=author, title="héllo 🐘 it's", body="back\\slash", count=-2147483648,
        big=-9223372036854775808, small=32767, ratio=-2.5e-300,
        price=decimal.Decimal("-1234567890.99"), flag=True, created=CREATED,
        day=datetime.date(2000, 2, 29), token=TOKEN, extra=extra, blob=bytes(range(256)),
    )
    got = Item.objects.get(pk=item.pk)
    assert (got.title, got.body, got.count, got.big, got.small) == (
        "héllo 🐘 it's", "back\\slash", -2147483648, -9223372036854775808, 32767)
    assert (got.ratio, got.price, got.flag) == (-2.5e-300, decimal.Decimal("-1234567890.99"), True)
    assert (got.created, got.day, got.token, got.extra) == (
        CREATED, datetime.date(2000, 2, 29), TOKEN, extra)
    assert bytes(got.blob) == bytes(range(256))
    assert Item.objects.filter(extra__aa__1=2.5).count() == 1, "a jsonb path lookup"
    assert Item.objects.filter(token=TOKEN, created__date=datetime.date(2024, 6, 30)).count() == 1


def queries():
    assert Item.objects.filter(title__startswith="title 01").count() == 10
    assert Item.objects.filter(title__icontains="TITLE 09").count() == 10
    assert Author.objects.filter(name__iexact="AUTHOR 2").get().email == "a2@example.com"
    counts = dict(Author.objects.annotate(n=Count("items")).values_list("name", "n"))
    assert counts["author 0"] == 34 and counts["author 1"] == 33, counts
    total = Item.objects.filter(title__startswith="title").aggregate(s=Sum("count"))["s"]
    assert total == sum(range(100)), total
    page = list(Item.objects.filter(title__startswith="title").order_by("-count")
                .values_list("count", flat=True)[10:13])
    assert page == [89, 88, 87], page
    joined = Item.objects.select_related("author").get(title="title 042")
    assert joined.author.name == "author 0"
    busy = Author.objects.filter(Exists(Item.objects.filter(author=OuterRef("pk"), count__gt=97)))
    assert sorted(a.name for a in busy) == ["author 0", "author 2"]
    titled = Item.objects.filter(title__startswith="title")
    either = titled.filter(Q(count__lt=2) | Q(title="title 099")).order_by("count")
    assert list(either.values_list("count", flat=True)) == [0, 1, 99]
    assert Item.objects.filter(count__in=[3, 5, 700]).count() == 2
    assert Item.objects.filter(price__gte=decimal.Decimal("24.5")).count() == 2


def update_delete_counts():
    assert Item.objects.filter(flag=True, title__startswith="title").update(count=F("count") + 1000) == 50
    assert Item.objects.filter(count__gte=1000).count() == 50
    deleted, per_model = Item.objects.filter(count__gte=1050).delete()
    assert deleted == 25 and per_model == {"compat_app.Item": 25}, (deleted, per_model)


def errors():
    try:
        with transaction.atomic():
            Author.objects.create(name="author 0", email="dup@example.com")
        raise AssertionError("a duplicate name was accepted")
    except IntegrityError as e:
        assert sqlstate(e) == "23505", sqlstate(e)
    try:
        with transaction.atomic():
            Author.objects.create(name="x" * 41, email="long@example.com")
        raise AssertionError("a 41-character name was accepted")
    except DataError as e:
        assert sqlstate(e) == "22001", sqlstate(e)
    assert not Author.objects.filter(email__in=["dup@example.com", "long@example.com"]).exists()


def balances():
    with connection.cursor() as c:
        c.execute("SELECT balance FROM accounts WHERE id IN (%s, %s) ORDER BY id", [ACCT_A, ACCT_B])
        return [r[0] for r in c.fetchall()]


def call_transfer():
    with connection.cursor() as c:
        c.execute("DELETE FROM accounts WHERE id IN (%s, %s)", [ACCT_A, ACCT_B])
        c.execute("CALL open_account(%s, %s, %s)", [ACCT_A, "alice", 100])
        c.execute("CALL open_account(%s, %s, %s)", [ACCT_B, "bob", 50])
        c.execute("CALL transfer(%s, %s, %s)", [ACCT_A, ACCT_B, 30])
    assert balances() == [70, 80], balances()
    try:
        with connection.cursor() as c:
            c.execute("CALL transfer(%s, %s, %s)", [ACCT_B, ACCT_A, 1000])
        raise AssertionError("an overdraft was accepted")
    except Exception as e:  # noqa: BLE001 - Django maps P0001 to InternalError
        assert sqlstate(e) == "P0001", (sqlstate(e), e)
    assert balances() == [70, 80], balances()


def tx_commit_rollback():
    author = Author.objects.get(name="author 2")
    with transaction.atomic():
        Item.objects.create(author=author, title="committed")
        Item.objects.filter(title="committed").update(count=7)
        assert Item.objects.get(title="committed").count == 7, "a block reads its own write"
    assert Item.objects.get(title="committed").count == 7
    try:
        with transaction.atomic():
            Item.objects.create(author=author, title="rolled back")
            with transaction.atomic():  # a savepoint
                Item.objects.create(author=author, title="inner")
            raise RuntimeError("undo")
    except RuntimeError:
        pass
    assert not Item.objects.filter(title__in=["rolled back", "inner"]).exists()
    with transaction.atomic():
        Item.objects.create(author=author, title="kept")
        try:
            with transaction.atomic():  # a savepoint rolled back alone
                Item.objects.create(author=author, title="released")
                raise RuntimeError("undo the savepoint")
        except RuntimeError:
            pass
    assert list(Item.objects.filter(title__in=["kept", "released"]).values_list("title", flat=True)) == ["kept"]


def auth_user():
    User.objects.filter(username="compat").delete()
    user = User.objects.create_user("compat", "compat@example.com", "s3cret")
    assert User.objects.get(username="compat").check_password("s3cret")
    user.user_permissions.add(Permission.objects.get(codename="add_item"))
    assert User.objects.get(pk=user.pk).has_perm("compat_app.add_item")


def inspectdb():
    out = io.StringIO()
    call_command("inspectdb", "compat_django_item", "compat_django_author", stdout=out)
    text = out.getvalue()
    for line in [
        "class CompatDjangoItem(models.Model):",
        "author = models.ForeignKey('CompatDjangoAuthor', models.DO_NOTHING)",
        "title = models.CharField(max_length=100)",
        "price = models.DecimalField(max_digits=12, decimal_places=2, blank=True, null=True)",
        "token = models.UUIDField(blank=True, null=True)",
        "extra = models.JSONField(blank=True, null=True)",
        "name = models.CharField(unique=True, max_length=40)",
    ]:
        assert line in text, f"{line!r} not in:\n{text}"
    with connection.cursor() as c:
        constraints = connection.introspection.get_constraints(c, "compat_django_item")
    index = constraints["compat_django_item_ac"]
    assert index["columns"] == ["author_id", "count"] and index["orders"] == ["ASC", "DESC"], index


steps.run("connect", connect)
steps.run("migrate", migrate)
steps.run("bulk_create", bulk_create)
steps.run("typed_values", typed_values)
steps.run("queries", queries)
steps.run("update_delete_counts", update_delete_counts)
steps.run("errors", errors)
steps.run("call_transfer", call_transfer)
steps.run("tx_commit_rollback", tx_commit_rollback)
steps.run("auth_user", auth_user)
steps.run("inspectdb", inspectdb)
steps.finish()
