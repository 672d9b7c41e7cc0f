"""MovieRatingStats: kept by the database's triggers through every kind of write, equal to a fresh count."""

from __future__ import annotations

import random

import pytest
from django.core.management import call_command
from django.db.models import Count, Sum

from catalog.models import Movie
from ratings import services
from ratings.models import SCORES, MovieRatingStats, Rating, stars_column
from ratings.stats import movie_stats_rebuild
from tests.factories import MovieFactory, RatingFactory, UserFactory
from tests.movielens_samples import write_csv

pytestmark = pytest.mark.django_db


def counted() -> dict[int, tuple]:
    """What the stats should say, counted from the ratings now: movie -> (count, sum, histogram)."""
    found: dict[int, tuple] = {}
    totals = Rating.objects.values("movie_id").annotate(n=Count("id"), total=Sum("score"))
    per_score = Rating.objects.values_list("movie_id", "score").annotate(n=Count("id"))
    hist: dict[int, dict[float, int]] = {}
    for movie_id, score, n in per_score:
        hist.setdefault(movie_id, {})[score] = n
    for row in totals:
        found[row["movie_id"]] = (
            row["n"],
            row["total"],
            tuple(hist[row["movie_id"]].get(score, 0) for score in SCORES),
        )
    return found


def kept() -> dict[int, tuple]:
    """What the stats table says, leaving out movies whose every rating went (count 0)."""
    return {
        stats.movie_id: (stats.count, stats.score_sum, tuple(n for _, n in stats.histogram()))
        for stats in MovieRatingStats.objects.filter(count__gt=0)
    }


def test_rating_changing_and_removing_through_the_services_keeps_the_stats():
    # given a movie and three people
    movie = MovieFactory()
    ann, bob, cat = UserFactory.create_batch(3)

    # when they rate, one changes their mind, one takes it back
    services.rating_upsert(user=ann, movie=movie, score=4.5)
    services.rating_upsert(user=bob, movie=movie, score=2.0)
    services.rating_upsert(user=cat, movie=movie, score=4.5)
    services.rating_upsert(user=bob, movie=movie, score=3.0)
    services.rating_delete(user=cat, movie=movie)

    # then the row counts two ratings, a 4.5 and a 3.0
    stats = MovieRatingStats.objects.get(movie=movie)
    assert (stats.count, stats.score_sum, stats.mean) == (2, 7.5, 3.75)
    assert dict(stats.histogram()) == {score: int(score in (3.0, 4.5)) for score in SCORES}
    assert getattr(stats, stars_column(4.5)) == 1


def test_bulk_writes_moves_and_cascades_keep_the_stats_equal_to_a_fresh_count():
    # given ratings made one by one and in bulk
    rng = random.Random(5)
    movies = MovieFactory.create_batch(6)
    people = UserFactory.create_batch(8)
    for person in people[:4]:
        for movie in rng.sample(movies, 4):
            RatingFactory(user=person, movie=movie, score=rng.choice(SCORES))
    services.ratings_import(user=people[4], scores=[(movie.pk, rng.choice(SCORES)) for movie in movies])
    assert kept() == counted()

    # when scores change in one statement, a rating moves to another movie, a person and a movie are deleted
    Rating.objects.filter(score__lt=3).update(score=3.5)
    newcomer = UserFactory()
    RatingFactory(user=newcomer, movie=movies[1], score=1.0)
    Rating.objects.filter(user=newcomer).update(movie=movies[2])
    people[1].delete()
    movies[0].delete()
    services.user_data_delete(user=people[2])

    # then the table still equals a count made from scratch, and the deleted movie has no row
    assert kept() == counted()
    assert not MovieRatingStats.objects.filter(movie_id=movies[0].pk).exists()


def test_a_random_run_of_writes_never_lets_the_stats_drift():
    rng = random.Random(11)
    movies = MovieFactory.create_batch(5)
    people = UserFactory.create_batch(6)
    for _ in range(120):
        person, movie = rng.choice(people), rng.choice(movies)
        if rng.random() < 0.7:
            services.rating_upsert(user=person, movie=movie, score=rng.choice(SCORES))
        else:
            services.rating_delete(user=person, movie=movie)
    assert kept() == counted()


def test_an_import_keeps_the_stats_and_the_rebuild_repairs_a_damaged_row(tmp_path):
    # given a MovieLens CSV release imported
    call_command("import_movielens", "ml-latest-small", path=write_csv(tmp_path), quiet=True)
    assert Rating.objects.exists()
    assert kept() == counted()

    # when a row is damaged by hand and the table rebuilt
    damaged = MovieRatingStats.objects.first()
    MovieRatingStats.objects.filter(pk=damaged.pk).update(count=999)
    rows = movie_stats_rebuild()

    # then it equals a fresh count again, one row per rated movie
    assert kept() == counted()
    assert rows == Movie.objects.filter(ratings__isnull=False).distinct().count()
