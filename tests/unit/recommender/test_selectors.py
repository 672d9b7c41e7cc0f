"""recommender.selectors: what every recommendation request reads before it serves, and how little it costs."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ratings.models import Feedback, Profile
from recommender import selectors
from tests.factories import GenreFactory, MovieFactory, RatingFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def person():
    person = UserFactory()
    for score in (4.0, 2.5):
        RatingFactory(user=person, movie=MovieFactory(), score=score)
    return person


def test_a_request_reads_the_catalog_the_statistics_and_the_person_in_one_query(person):
    selectors.clear_caches()
    catalog, stats = selectors.catalog_and_stats()  # builds the snapshot and statistics (their own queries)

    with CaptureQueriesContext(connection) as queries:
        read = selectors.serving_inputs(person)

    assert len(queries) == 1
    assert read[0] is catalog and read[1] is stats
    assert read[2] == selectors.person_fingerprint(person)
    assert read[2].ratings == 2
    # No person: the same catalog and statistics, no fingerprint, still one query.
    with CaptureQueriesContext(connection) as queries:
        assert selectors.serving_inputs(None) == (catalog, stats, None)
    assert len(queries) == 1


def test_what_the_one_query_reads_changes_with_the_catalog_the_ratings_and_the_person(person):
    catalog, stats, before = selectors.serving_inputs(person)

    RatingFactory(user=person, movie=MovieFactory(), score=5.0)
    _, stats_after, after_rating = selectors.serving_inputs(person)
    assert after_rating != before and after_rating.ratings == before.ratings + 1
    assert stats_after is not stats and stats_after.counts.sum() == stats.counts.sum() + 1

    Feedback.objects.create(user=person, movie=MovieFactory(), kind="watchlist")
    catalog_after, _, after_feedback = selectors.serving_inputs(person)
    assert after_feedback.feedback == 1 and after_feedback != after_rating
    assert catalog_after is not catalog and len(catalog_after) == len(catalog) + 2

    profile, _ = Profile.objects.get_or_create(user=person)
    profile.favourite_genres.add(GenreFactory())
    _, _, after_genre = selectors.serving_inputs(person)
    assert after_genre.genres == 1 and after_genre != after_feedback

    # Someone else's rating changes the statistics, not this person's fingerprint.
    RatingFactory(user=UserFactory(), movie=MovieFactory(), score=3.0)
    assert selectors.serving_inputs(person)[2] == after_genre
