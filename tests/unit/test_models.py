from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from ratings.models import Feedback
from tests.factories import FeedbackFactory, MovieFactory, RatingFactory


@pytest.mark.django_db
@pytest.mark.parametrize("score", [6.0, 3.3, 0.0, -1.0, 5.5])
def test_database_rejects_scores_off_the_half_star_scale(score):
    with pytest.raises(IntegrityError), transaction.atomic():
        RatingFactory(score=score)


@pytest.mark.django_db
@pytest.mark.parametrize("score", [0.5, 3.0, 3.5, 5.0])
def test_database_accepts_half_star_scores(score):
    assert RatingFactory(score=score).pk is not None


@pytest.mark.django_db
def test_one_rating_per_user_and_movie(user):
    movie = MovieFactory()
    RatingFactory(user=user, movie=movie)
    with pytest.raises(IntegrityError), transaction.atomic():
        RatingFactory(user=user, movie=movie, score=2.0)


@pytest.mark.django_db
def test_feedback_is_unique_per_kind_and_kind_must_be_known(user):
    movie = MovieFactory()
    FeedbackFactory(user=user, movie=movie, kind=Feedback.Kind.WATCHLIST)
    FeedbackFactory(user=user, movie=movie, kind=Feedback.Kind.SEEN)
    with pytest.raises(IntegrityError), transaction.atomic():
        FeedbackFactory(user=user, movie=movie, kind=Feedback.Kind.WATCHLIST)
    with pytest.raises(IntegrityError), transaction.atomic():
        FeedbackFactory(user=user, movie=movie, kind="love_it")


@pytest.mark.django_db
def test_movie_keeps_sort_title_in_step_with_title():
    movie = MovieFactory(title="The Matrix")
    assert movie.sort_title == "matrix"
    movie.title = "A Bug's Life"
    movie.save(update_fields=["title"])
    movie.refresh_from_db()
    assert movie.sort_title == "bug s life"


@pytest.mark.django_db
def test_implausible_year_is_rejected():
    with pytest.raises(IntegrityError), transaction.atomic():
        MovieFactory(year=3020)
