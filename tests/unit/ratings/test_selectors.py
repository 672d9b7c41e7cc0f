"""The ratings selectors that pages read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ratings.models import Rating
from ratings.selectors import EXAMPLES_PER_SCORE, rating_examples
from tests.factories import MovieFactory, RatingFactory, UserFactory

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
