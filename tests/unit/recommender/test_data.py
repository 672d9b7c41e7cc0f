"""recommender.data: the ORM -> Interactions/History boundary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from movierec.lib import db
from ratings import columns as columns_module
from ratings.models import Rating
from recommender.data import history_for_user, interactions_from_db, snapshot_from_db
from tests.factories import GenreFactory, MovieFactory, MovieTagFactory, RatingFactory, UserFactory

pytestmark = pytest.mark.django_db

START = datetime(2024, 1, 1, tzinfo=UTC)


def test_export_uses_pks_as_ids_and_keeps_unrated_movies_with_their_features():
    # given two people, two rated movies and one movie nobody rated yet
    drama, crime = GenreFactory(name="Drama"), GenreFactory(name="Crime")
    heat = MovieFactory(title="Heat", year=1995, genres=[crime, drama])
    fargo = MovieFactory(title="Fargo", year=None, genres=[crime])
    fresh = MovieFactory(title="Just Added", year=2025)
    MovieTagFactory(movie=heat, tag__name="heist", count=3)
    ann, bob = UserFactory(), UserFactory()
    RatingFactory(user=ann, movie=heat, score=5.0, created=START)
    RatingFactory(user=bob, movie=fargo, score=3.5, created=START + timedelta(seconds=60))

    # when the catalog and ratings are exported
    data = interactions_from_db()

    # then ids are primary keys, the unrated movie is in the vocabulary, and features line up with it
    assert sorted(data.user_ids.tolist()) == sorted([ann.pk, bob.pk])
    assert data.item_ids.tolist() == sorted([heat.pk, fargo.pk, fresh.pk])
    position = data.item_index
    features = data.item_features
    assert features.titles[position[heat.pk]] == "Heat"
    assert features.genres[position[heat.pk]] == ["Crime", "Drama"]
    assert features.tags[position[heat.pk]] == {"heist": 3}
    assert np.isnan(features.years[position[fargo.pk]])
    assert features.years[position[fresh.pk]] == 2025
    ann_history = data.history(data.user_index[ann.pk])
    assert ann_history.item_ids.tolist() == [heat.pk]
    assert ann_history.timestamps.tolist() == [START.timestamp()]


def test_export_can_leave_unrated_movies_out():
    rated = RatingFactory().movie
    MovieFactory()

    data = interactions_from_db(include_unrated_movies=False)

    assert data.item_ids.tolist() == [rated.pk]


def test_export_runs_a_fixed_number_of_queries_whatever_the_size():
    # given a catalog where every movie has genres and tags
    genre = GenreFactory()
    for _ in range(15):
        movie = MovieFactory(genres=[genre])
        MovieTagFactory(movie=movie)
        RatingFactory(movie=movie)

    # when exported
    with CaptureQueriesContext(connection) as queries:
        snapshot = snapshot_from_db()

    # then a handful of queries did it all (no N+1), and the newest rating id is reported
    assert len(queries) <= 8
    assert len(snapshot.interactions) == 15
    assert snapshot.last_rating_id == max(RatingFactory._meta.model.objects.values_list("id", flat=True))


def exported(snapshot) -> list[tuple]:
    """Every exported rating as (person, movie, score, time), sorted."""
    data = snapshot.interactions
    return sorted(
        zip(
            data.user_ids[data.users].tolist(),
            data.item_ids[data.items].tolist(),
            data.ratings.tolist(),
            data.timestamps.tolist(),
            strict=True,
        )
    )


def test_export_in_small_chunks_gives_every_rating_exactly(monkeypatch):
    # given 30 ratings with times to the microsecond, read a few lines (PostgreSQL) or rows at a time
    monkeypatch.setattr(columns_module, "COPY_CHUNK_BYTES", 100)
    monkeypatch.setattr(columns_module, "BATCH_ROWS", 7)
    people, films = UserFactory.create_batch(5), MovieFactory.create_batch(6)
    for i, (person, film) in enumerate((p, f) for p in people for f in films):
        RatingFactory(
            user=person, movie=film, score=0.5 + (i % 10) / 2, created=START + timedelta(microseconds=i * 1_234_567)
        )

    # when exported
    snapshot = snapshot_from_db()

    # then each rating arrives once, with its score and its time to the microsecond
    stored = sorted(
        (user, movie, score, created.timestamp())
        for user, movie, score, created in Rating.objects.values_list("user_id", "movie_id", "score", "created")
    )
    assert exported(snapshot) == stored and len(stored) == 30
    assert snapshot.last_rating_id == Rating.objects.order_by("-id").values_list("id", flat=True)[0]


@pytest.mark.parametrize("counted", [0, 4, 30, 50])
def test_export_is_exact_however_far_the_count_taken_first_is_off(monkeypatch, counted):
    # given 30 ratings, read a few lines at a time, and a first count that ratings written or deleted since the
    # count (outside a consistent read) made wrong
    monkeypatch.setattr(columns_module, "COPY_CHUNK_BYTES", 100)
    filling = columns_module._Filling
    monkeypatch.setattr(columns_module, "_Filling", lambda expected: filling(counted))
    for i, person in enumerate(UserFactory.create_batch(30)):
        RatingFactory(user=person, score=0.5 + (i % 10) / 2, created=START + timedelta(seconds=i))

    # when the ratings are read as columns
    columns = columns_module.rating_columns()

    # then every rating is there once, exactly
    stored = sorted(Rating.objects.values_list("id", "user_id", "score"))
    assert sorted(zip(columns.ids.tolist(), columns.users.tolist(), columns.scores.tolist(), strict=True)) == stored


def test_empty_database_exports_empty_interactions():
    snapshot = snapshot_from_db()

    assert len(snapshot.interactions) == 0 and snapshot.last_rating_id is None


def test_history_for_user_is_in_time_order_and_names_the_user():
    person = UserFactory()
    later = RatingFactory(user=person, score=2.0, created=START + timedelta(days=1))
    earlier = RatingFactory(user=person, score=4.5, created=START)
    RatingFactory()  # someone else's

    history = history_for_user(person)

    assert history.user_id == person.pk
    assert history.item_ids.tolist() == [earlier.movie_id, later.movie_id]
    assert history.ratings.tolist() == [4.5, 2.0]


def test_history_times_are_exactly_the_ratings_timestamps_and_ties_keep_the_order_they_were_stored_in():
    # given ratings with microseconds, two of them at the same moment (folds are keyed by these floats, so the
    # database's seconds must be bit for bit what datetime.timestamp() gives)
    person = UserFactory()
    moments = [START + timedelta(days=3, microseconds=999_999), START + timedelta(seconds=1, microseconds=1)]
    ratings = [RatingFactory(user=person, created=moment) for moment in moments]
    ratings.append(RatingFactory(user=person, created=moments[1]))

    history = history_for_user(person)

    stored = sorted(Rating.objects.filter(user=person), key=lambda rating: (rating.created, rating.pk))
    assert history.timestamps.tolist() == [rating.created.timestamp() for rating in stored]
    assert history.item_ids.tolist() == [rating.movie_id for rating in stored]
    assert history.ratings.tolist() == [np.float32(rating.score) for rating in stored]


def test_history_for_someone_without_ratings_is_empty():
    assert len(history_for_user(UserFactory())) == 0


@pytest.mark.parametrize("batch", [None, 2], ids=["one query", "movies read again in batches of two"])
def test_the_incremental_snapshot_equals_a_full_export_after_ratings_are_added_changed_and_deleted(
    settings, tmp_path, monkeypatch, batch
):
    # given a saved snapshot of ten people's ratings of thirty movies
    settings.MODEL_DIR = tmp_path
    if batch:
        monkeypatch.setattr(db, "IN_BATCH", batch)
    people, films = UserFactory.create_batch(10), MovieFactory.create_batch(30)
    for i, person in enumerate(people):
        for k in range(10):
            RatingFactory(user=person, movie=films[(i * 3 + k) % 30], score=3.0, created=START + timedelta(minutes=i))
    first = snapshot_from_db(incremental=True)
    assert exported(first) == exported(snapshot_from_db())

    # when ratings are added, changed and deleted, a person leaves, and one change slips past the time window
    RatingFactory(user=people[0], movie=films[20], score=4.5, created=START + timedelta(days=1))
    for rating in Rating.objects.filter(user=people[1])[:2]:
        rating.score = 1.0
        rating.save()
    Rating.objects.filter(user=people[2], movie=films[6]).delete()
    people[3].delete()
    Rating.objects.filter(user=people[4], movie=films[12]).update(score=5.0, updated=START)  # "committed late"
    again = snapshot_from_db(incremental=True)

    # then the update equals a full export, rating for rating
    assert exported(again) == exported(snapshot_from_db())
    if connection.vendor == "postgresql":
        assert first.how.startswith("full export") and again.how.startswith("updated:")
        assert "movies read again" in again.how  # the deletions and the late change, found by the statistics
        # and a third export with nothing changed reads only the window's few ratings, and needs no repair
        assert snapshot_from_db(incremental=True).how.startswith("updated:")
