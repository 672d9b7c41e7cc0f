"""The ratings selectors that pages read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ratings.choices import SNOOZE
from ratings.models import Feedback, Rating
from ratings.selectors import EXAMPLES_PER_SCORE, MovieState, movie_states, rating_examples
from tests.factories import FeedbackFactory, MovieFactory, RatingFactory, UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_each_scores_examples_are_the_persons_most_recently_rated_movies_newest_first():
    # given someone who gave 4 stars three times and 2 stars once, and someone else
    person = UserFactory()
    for minutes, title in enumerate(("Alien", "Brazil", "Cats")):
        rating = RatingFactory(user=person, movie=MovieFactory(title=title), score=4.0)
        Rating.objects.filter(pk=rating.pk).update(updated=T0 + timedelta(minutes=minutes))
    RatingFactory(user=person, movie=MovieFactory(title="Dune"), score=2.0)
    RatingFactory(user=UserFactory(), movie=MovieFactory(title="Someone else's"), score=4.0)

    # when the star hints are read
    examples = rating_examples(user=person)

    # then each score names at most two of the person's own, the newest first
    assert EXAMPLES_PER_SCORE == 2
    assert examples == {4.0: ["Cats", "Brazil"], 2.0: ["Dune"]}


def test_movie_states_read_the_viewers_own_ratings_and_feedback_in_one_query_and_an_old_snooze_is_none():
    # given movies the person rated, gave feedback on (one both), snoozed long ago and just now, and never touched
    person, other = UserFactory(), UserFactory()
    rated, both, watchlisted, old_snooze, new_snooze, untouched = (MovieFactory() for _ in range(6))
    RatingFactory(user=person, movie=rated, score=4.5)
    RatingFactory(user=person, movie=both, score=2.0)
    FeedbackFactory(user=person, movie=both, kind=Feedback.Kind.MORE_LIKE_THIS)
    FeedbackFactory(user=person, movie=both, kind=Feedback.Kind.WATCHLIST)
    FeedbackFactory(user=person, movie=watchlisted, kind=Feedback.Kind.WATCHLIST)
    for movie in (old_snooze, new_snooze):
        FeedbackFactory(user=person, movie=movie, kind=Feedback.Kind.SNOOZED)
    Feedback.objects.filter(movie=old_snooze).update(created=timezone.now() - SNOOZE - timedelta(days=1))
    RatingFactory(user=other, movie=untouched, score=1.0)  # someone else's say is not the viewer's
    FeedbackFactory(user=other, movie=rated, kind=Feedback.Kind.NOT_INTERESTED)
    movies = [rated, both, watchlisted, old_snooze, new_snooze, untouched, rated]  # a movie twice is read once

    # when their states are read
    with CaptureQueriesContext(connection) as queries:
        states = movie_states(user=person, movie_ids=[movie.pk for movie in movies])

    # then each movie the person said something about (that still holds) has it, in one query
    assert len(queries) == 1
    assert states == {
        rated.pk: MovieState(rating=4.5),
        both.pk: MovieState(rating=2.0, kinds=frozenset({Feedback.Kind.MORE_LIKE_THIS, Feedback.Kind.WATCHLIST})),
        watchlisted.pk: MovieState(kinds=frozenset({Feedback.Kind.WATCHLIST})),
        new_snooze.pk: MovieState(kinds=frozenset({Feedback.Kind.SNOOZED})),
    }
    assert isinstance(states[rated.pk].rating, float)
    # and a visitor, or no movies, costs nothing
    with CaptureQueriesContext(connection) as queries:
        assert movie_states(user=AnonymousUser(), movie_ids=[rated.pk]) == {}
        assert movie_states(user=person, movie_ids=[]) == {}
    assert len(queries) == 0
