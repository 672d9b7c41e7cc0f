"""Writes for ratings and feedback. Views and API classes call these; nothing else writes."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from catalog.models import Genre, Movie
from movierec.lib.db import in_batches
from ratings.choices import PREFERENCE_DEFAULTS
from ratings.models import SCORES, Feedback, Profile, Rating

#: Called after commit with the user id whenever their ratings or feedback
#: change. The recommender registers its trigger here (see recommender.apps),
#: so this app does not import the recommender.
change_listeners: list[Callable[[int], None]] = []
#: Called after commit with (user id, movie id, what happened: "rating" or the feedback kind) for each rating and
#: feedback added: the recommender credits it to the impression that showed the movie (recommender.online).
interaction_listeners: list[Callable[[int, int, str], None]] = []

_OPPOSITE = {
    Feedback.Kind.MORE_LIKE_THIS: Feedback.Kind.LESS_LIKE_THIS,
    Feedback.Kind.LESS_LIKE_THIS: Feedback.Kind.MORE_LIKE_THIS,
}


def score_validate(score: float | str) -> float:
    """Return ``score`` as a float on the half-star scale, or raise ``ValidationError`` naming the field."""
    try:
        value = float(score)
    except (TypeError, ValueError):
        raise ValidationError({"score": f"Score must be a number, got {score!r}."}) from None
    if value not in SCORES:
        raise ValidationError({"score": f"Score must be 0.5 to 5 in half steps, got {score!r}."})
    return value


def _changed(user_id: int) -> None:
    for listener in change_listeners:
        transaction.on_commit(lambda listener=listener: listener(user_id))


def _interacted(user_id: int, movie_id: int, kind: str) -> None:
    for listener in interaction_listeners:
        transaction.on_commit(lambda listener=listener: listener(user_id, movie_id, kind))


@transaction.atomic
def rating_upsert(*, user: AbstractBaseUser, movie: Movie, score: float | str) -> Rating:
    value = score_validate(score)
    rating, _ = Rating.objects.update_or_create(
        user=user, movie=movie, defaults={"score": value}, create_defaults={"score": value, "created": timezone.now()}
    )
    _changed(user.pk)
    _interacted(user.pk, movie.pk, "rating")
    return rating


@transaction.atomic
def rating_delete(*, user: AbstractBaseUser, movie: Movie) -> bool:
    deleted, _ = Rating.objects.filter(user=user, movie=movie).delete()
    if deleted:
        _changed(user.pk)
    return bool(deleted)


@transaction.atomic
def feedback_add(*, user: AbstractBaseUser, movie: Movie, kind: str) -> Feedback:
    if kind not in Feedback.Kind.values:
        raise ValidationError(
            {"kind": f"Unknown feedback kind {kind!r}; expected one of {', '.join(Feedback.Kind.values)}."}
        )
    opposite = _OPPOSITE.get(kind)
    if opposite:
        Feedback.objects.filter(user=user, movie=movie, kind=opposite).delete()
    feedback, _ = Feedback.objects.get_or_create(user=user, movie=movie, kind=kind)
    _changed(user.pk)
    _interacted(user.pk, movie.pk, kind)
    return feedback


@transaction.atomic
def feedback_remove(*, user: AbstractBaseUser, movie: Movie, kind: str) -> bool:
    deleted, _ = Feedback.objects.filter(user=user, movie=movie, kind=kind).delete()
    if deleted:
        _changed(user.pk)
    return bool(deleted)


@transaction.atomic
def user_data_delete(*, user: AbstractBaseUser) -> tuple[int, int]:
    """Delete every rating and feedback of ``user``; returns (ratings, feedback) deleted."""
    ratings, _ = Rating.objects.filter(user=user).delete()
    feedback, _ = Feedback.objects.filter(user=user).delete()
    if ratings or feedback:
        _changed(user.pk)
    return ratings, feedback


@transaction.atomic
def profile_genres_set(*, user: AbstractBaseUser, genres: Iterable[Genre]) -> Profile:
    """Store the favourite genres picked during onboarding (replacing earlier picks)."""
    profile, _ = Profile.objects.get_or_create(user=user)
    profile.favourite_genres.set(genres)
    # Favourite genres steer rows such as "Popular in <your top genre>", so listeners hear about them too.
    _changed(user.pk)
    return profile


def profile_onboarded(*, user: AbstractBaseUser) -> Profile:
    """Mark onboarding finished (or skipped); the first time counts, so a second call changes nothing."""
    profile, _ = Profile.objects.get_or_create(user=user)
    Profile.objects.filter(pk=profile.pk, onboarded_at__isnull=True).update(onboarded_at=timezone.now())
    profile.refresh_from_db(fields=["onboarded_at"])
    return profile


def preferences_set(*, user: AbstractBaseUser, **values: object) -> Profile:
    """Store some of the person's Top picks controls (validated by the form or serializer that calls this)."""
    unknown = set(values) - set(PREFERENCE_DEFAULTS)
    if unknown:
        raise ValueError(f"unknown preference(s): {', '.join(sorted(unknown))}")
    profile, _ = Profile.objects.get_or_create(user=user)
    for name, value in values.items():
        setattr(profile, name, value)
    profile.full_clean(exclude=["user", "movielens_id"])
    profile.save(update_fields=list(values) or None)
    _changed(user.pk)
    return profile


def preferences_reset(*, user: AbstractBaseUser) -> Profile:
    return preferences_set(user=user, **PREFERENCE_DEFAULTS)


@transaction.atomic
def ratings_import(*, user: AbstractBaseUser, scores: Iterable[tuple[int, float]]) -> tuple[int, int]:
    """Add ratings brought from elsewhere, all or none; a movie the person already rated here keeps that rating.

    Returns (added, kept). Listeners hear once, after the commit.
    """
    wanted = {int(movie): score_validate(score) for movie, score in scores}
    existing, known = set(), set()
    for batch in in_batches(list(wanted)):
        existing.update(Rating.objects.filter(user=user, movie_id__in=batch).values_list("movie_id", flat=True))
        known.update(Movie.objects.filter(pk__in=batch).values_list("pk", flat=True))
    now = timezone.now()
    new = [
        Rating(user=user, movie_id=movie, score=score, created=now)
        for movie, score in wanted.items()
        if movie in known and movie not in existing
    ]
    Rating.objects.bulk_create(new)
    if new:
        _changed(user.pk)
    return len(new), len(existing)
