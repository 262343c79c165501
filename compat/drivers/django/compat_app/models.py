"""The Django scenario's models (see scenario.py): an author and the items it
writes, with a field of each kind Django maps to a PostgreSQL type."""

from django.db import models


class Author(models.Model):
    # A CharField with db_index or unique gets a second, varchar_pattern_ops
    # index for LIKE 'prefix%' (Django's PostgreSQL backend).
    name = models.CharField(max_length=40, unique=True)
    email = models.EmailField(db_index=True)

    class Meta:
        db_table = "compat_django_author"


class Item(models.Model):
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="items")
    title = models.CharField(max_length=100)
    body = models.TextField(default="")
    count = models.IntegerField(default=0)
    big = models.BigIntegerField(null=True)
    small = models.SmallIntegerField(null=True)
    ratio = models.FloatField(null=True)
    price = models.DecimalField(max_digits=12, decimal_places=2, null=True)
    flag = models.BooleanField(default=False)
    created = models.DateTimeField(null=True)
    day = models.DateField(null=True)
    token = models.UUIDField(null=True)
    extra = models.JSONField(null=True)
    blob = models.BinaryField(null=True)

    class Meta:
        db_table = "compat_django_item"
        indexes = [models.Index(fields=["author", "-count"], name="compat_django_item_ac")]
