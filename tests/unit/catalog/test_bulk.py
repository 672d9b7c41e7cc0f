"""A first import into an empty ratings table loads first and indexes afterwards, and leaves the table as it was."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from catalog.importers.synthetic import Shape, generate
from ratings.models import Rating

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the load-then-index path is PostgreSQL's"),
]


def table_layout() -> tuple[list, list]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
            "ORDER BY conname",
            [Rating._meta.db_table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s ORDER BY indexname",
            [Rating._meta.db_table],
        )
        return constraints, cursor.fetchall()


def test_a_first_import_rebuilds_every_index_and_constraint_and_a_second_upserts(tmp_path):
    generate(tmp_path, Shape(users=30, movies=100, ratings=900), seed=2)
    before = table_layout()
    assert not Rating.objects.exists()

    call_command("import_movielens", "ml-latest", "--path", str(tmp_path), stdout=StringIO())

    assert Rating.objects.count() == 900
    assert table_layout() == before  # the same indexes and constraints, by name and definition
    first = Rating.objects.order_by("pk").first()
    with pytest.raises(IntegrityError), transaction.atomic():  # uniqueness holds again
        Rating.objects.create(user=first.user, movie=first.movie, score=1.0, created=first.created)

    call_command("import_movielens", "ml-latest", "--path", str(tmp_path), stdout=StringIO())  # the upsert path
    assert Rating.objects.count() == 900
