"""The importer's PostgreSQL paths: a first import COPYs ratings straight in and indexes afterwards; later imports
COPY into a staging table, then INSERT ... ON CONFLICT."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from catalog.models import Movie, MovieTag
from ratings.models import Rating
from tests.movielens_samples import write_csv

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://...)")


def _import(variant: str, path) -> str:
    out = StringIO()
    call_command("import_movielens", variant, "--path", str(path), "--quiet", stdout=out)
    return out.getvalue()


def test_a_first_import_loads_then_indexes_and_a_later_one_goes_through_staging_and_on_conflict(tmp_path):
    folder = write_csv(tmp_path)
    with CaptureQueriesContext(connection) as first:
        _import("ml-latest-small", folder)
    (folder / "ratings.csv").write_text(
        (folder / "ratings.csv").read_text().replace("1,1,3,964982703", "1,1,4,964982703")
    )
    with CaptureQueriesContext(connection) as later:
        _import("ml-latest-small", folder)

    def statements(queries, prefix: str) -> list[str]:
        return [query["sql"] for query in queries.captured_queries if query["sql"].startswith(prefix)]

    assert not statements(first, 'INSERT INTO "ratings_rating"')  # COPY straight in, not through staging
    dropped = statements(first, 'ALTER TABLE "ratings_rating" DROP CONSTRAINT')
    assert dropped and len(statements(first, 'ALTER TABLE "ratings_rating" ADD CONSTRAINT')) == len(dropped)
    rating_inserts = statements(later, 'INSERT INTO "ratings_rating"')
    assert len(rating_inserts) == 1
    assert 'FROM "import_stage_ratings_rating" ON CONFLICT ("user_id", "movie_id") DO UPDATE' in rating_inserts[0]
    assert (
        Rating.objects.count() == 6
        and Rating.objects.get(user__profile__movielens_id=1, movie__movielens_id=1).score == 4
    )
    assert MovieTag.objects.get(movie__movielens_id=1, tag__name="funny").count == 3


def test_an_import_leaves_the_planner_knowing_how_big_the_tables_are(tmp_path):
    # given tables the planner has never measured (an empty, never analyzed table reads as -1 rows)
    folder = write_csv(tmp_path)

    # when the data set is imported
    _import("ml-latest-small", folder)

    # then each table written was analyzed in the import's transaction: its row estimate is its size
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples FROM pg_class WHERE relname IN ('ratings_rating', 'catalog_movie') ORDER BY 1"
        )
        assert cursor.fetchall() == [("catalog_movie", 4.0), ("ratings_rating", 6.0)]


def test_two_imports_in_one_transaction_reuse_the_staging_tables(tmp_path):
    folder = write_csv(tmp_path)

    with transaction.atomic():
        _import("ml-latest-small", folder)
        _import("ml-latest-small", folder)

    assert (Movie.objects.count(), Rating.objects.count()) == (4, 6)


def test_the_real_ml100k_on_postgresql(ml100k_dir):
    output = _import("ml-100k", ml100k_dir)

    assert (Rating.objects.count(), get_user_model().objects.count(), Movie.objects.count()) == (100_000, 943, 1_682)
    assert "Imported ml-100k: 1682 movies, 943 users, 100000 ratings" in output
    updated = Rating.objects.order_by("pk").values_list("updated", flat=True).first()

    _import("ml-100k", ml100k_dir)

    assert Rating.objects.count() == 100_000
    assert Rating.objects.order_by("pk").values_list("updated", flat=True).first() == updated, "unchanged rows stay put"
