"""Long IN lists asked in batches: PostgreSQL's server-side binding takes at most 65,535 parameters a query
(the 70,000-movie import below fails there without them, and passes on SQLite either way)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from movierec.lib import db
from movierec.lib.db import in_batches
from ratings.models import Profile, Rating
from ratings.services import ratings_import
from tests.factories import MovieFactory, RatingFactory, UserFactory
from tests.movielens_samples import write_ml100k


def test_batches_are_consecutive_slices_of_at_most_the_size():
    assert [list(batch) for batch in in_batches(range(7), 3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(in_batches([], 3)) == []
    assert [len(batch) for batch in in_batches(list(range(25_000)))] == [10_000, 10_000, 5_000]


@pytest.mark.django_db
def test_importing_more_movies_than_a_query_may_name_adds_the_known_ones_and_keeps_those_rated_here():
    # given a person who rated one of three movies here
    person, movies = UserFactory(), MovieFactory.create_batch(3)
    RatingFactory(user=person, movie=movies[0], score=2.0)
    known = {movie.pk for movie in movies}
    unknown = [pk for pk in range(1, 70_004) if pk not in known][:70_000]

    # when an export names 70,000 movies nobody here has, and the three
    added, kept = ratings_import(user=person, scores=[(pk, 4.0) for pk in [*unknown, *known]])

    # then the two new ones are added and the one rated here is kept
    assert (added, kept) == (2, 1)
    assert dict(Rating.objects.filter(user=person).values_list("movie_id", "score")) == {
        movies[0].pk: 2.0,
        movies[1].pk: 4.0,
        movies[2].pk: 4.0,
    }


@pytest.mark.django_db
def test_an_import_finds_every_new_persons_account_when_they_are_looked_up_in_batches(tmp_path, monkeypatch):
    monkeypatch.setattr(db, "IN_BATCH", 1)

    call_command("import_movielens", "ml-100k", "--path", str(write_ml100k(tmp_path)), stdout=StringIO())

    accounts = dict(Profile.objects.values_list("movielens_id", "user__username"))
    assert accounts == {1: "ml_1", 2: "ml_2", 3: "ml_3"}
    assert get_user_model().objects.count() == 3
