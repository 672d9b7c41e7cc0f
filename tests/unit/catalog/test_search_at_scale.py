"""Search and listings that stay cheap at 25M ratings: trigram indexes on PostgreSQL, counts from MovieRatingStats."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from catalog.models import Movie
from catalog.selectors import genre_numbers, global_mean_rating, movie_list, movie_stats, rating_distribution
from tests.factories import GenreFactory, MovieFactory, RatingFactory, UserFactory

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pg_trgm indexes exist on PostgreSQL only; SQLite scans, as before"
)


def plan(sql: str, params: tuple) -> str:
    """The plan with table scans and plain index scans priced out: only bitmap index scans are left, so an
    index shows up exactly when it can answer the condition (a handful of test rows would always be scanned)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@postgresql_only
def test_the_title_search_can_use_the_trigram_index():
    MovieFactory.create_batch(3)
    sql, params = movie_list(q="star").query.sql_with_params()

    assert "catalog_movie_title_trgm" in plan(sql, params)


@postgresql_only
def test_the_admin_search_over_all_its_fields_is_indexed():
    MovieFactory.create_batch(3)
    admin = site._registry[Movie]
    request = RequestFactory().get("/admin/catalog/movie/", {"q": "star"})
    queryset, _ = admin.get_search_results(request, Movie.objects.all(), "star")
    sql, params = queryset.query.sql_with_params()

    found = plan(sql, params)
    assert "catalog_movie_title_trgm" in found and "catalog_movie_sort_title_trgm" in found
    assert "Seq Scan on catalog_movie" not in found


def test_listings_read_counts_and_means_from_the_stats_not_the_ratings():
    # given two movies with ratings and one without
    drama = GenreFactory(name="Drama")
    heat, fargo = MovieFactory(title="Heat", genres=[drama]), MovieFactory(title="Fargo", genres=[drama])
    MovieFactory(title="Unseen")
    for score in (4.0, 5.0):
        RatingFactory(movie=heat, score=score)
    RatingFactory(movie=fargo, score=2.5)

    # when listed by popularity
    with CaptureQueriesContext(connection) as queries:
        movies = list(movie_list(ordering="-popularity"))

    # then counts and means come from the stats table, joined, and no query aggregates the ratings table
    assert [(m.title, m.rating_count, m.rating_mean) for m in movies] == [
        ("Heat", 2, 4.5),
        ("Fargo", 1, 2.5),
        ("Unseen", 0, None),
    ]
    assert not any("ratings_rating" in query["sql"] for query in queries.captured_queries)
    assert movie_stats(movie=heat).count == 2 and movie_stats(movie=heat).mean == 4.5
    assert global_mean_rating() == pytest.approx(11.5 / 3)
    assert genre_numbers() == [("Drama", 3, pytest.approx(11.5 / 3))]
    assert rating_distribution() == [(2.5, 1), (4.0, 1), (5.0, 1)]


def test_the_best_rated_order_damps_a_lone_rating():
    # given a site whose mean is near 3.5, a movie twelve people gave 4.5 and one a single person gave 5
    many, lone, usual = MovieFactory(title="Many"), MovieFactory(title="Lone"), MovieFactory(title="Usual")
    people = UserFactory.create_batch(30)
    for person in people[:12]:
        RatingFactory(user=person, movie=many, score=4.5)
    for person in people:
        RatingFactory(user=person, movie=usual, score=3.0)
    RatingFactory(movie=lone, score=5.0)

    # then best rated puts the well-attested 4.5 above the lone 5
    assert [movie.title for movie in movie_list(ordering="-rating")] == ["Many", "Lone", "Usual"]
