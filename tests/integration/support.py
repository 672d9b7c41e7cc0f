"""Helpers for the integration tests: waiting on the worker, and a catalog with planted tastes."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.contrib.auth import get_user_model

from catalog.models import Genre, Movie
from ratings.models import Rating
from recommender.models import ModelVersion

GENRES = ("Action", "Romance", "Comedy", "Horror")
START = datetime(2020, 1, 1, tzinfo=UTC)


def wait_for(condition: Callable[[], object], *, timeout: float, what: str, log: Callable[[], str] | None = None):
    """Poll ``condition`` until it returns something truthy and return that; fail naming ``what`` otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    tail = f"\n--- worker log ---\n{log()[-6000:]}" if log else ""
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}{tail}")


def active_version(family: str, *, other_than: int | None = None) -> ModelVersion | None:
    found = ModelVersion.objects.filter(family=family, status=ModelVersion.Status.ACTIVE).exclude(pk=other_than)
    return found.first()


def seed(
    *, movies_per_genre: int = 10, people: int = 60, per_person: int = 15, rng_seed: int = 0
) -> dict[str, list[Movie]]:
    """Movies in four genres and people who each love one genre: 5 stars for it, 1 to 2.5 for the others.

    Written with bulk_create, so no change listener fires: the seed is the state before the test acts.
    Returns the movies by genre name.
    """
    rng = np.random.default_rng(rng_seed)
    genres = Genre.objects.bulk_create([Genre(name=name, slug=name.lower()) for name in GENRES])
    by_genre: dict[str, list[Movie]] = {}
    for genre in genres:
        movies = Movie.objects.bulk_create(
            [
                Movie(title=f"{genre.name} Film {n}", sort_title=f"{genre.name.lower()} film {n}", year=1995)
                for n in range(movies_per_genre)
            ]
        )
        Movie.genres.through.objects.bulk_create([Movie.genres.through(movie=m, genre=genre) for m in movies])
        by_genre[genre.name] = movies
    catalog = [movie for movies in by_genre.values() for movie in movies]
    User = get_user_model()
    users = User.objects.bulk_create([User(username=f"seed{n}") for n in range(people)])
    ratings = []
    for number, user in enumerate(users):
        favourite = GENRES[number % len(GENRES)]
        chosen = rng.choice(len(catalog), size=per_person, replace=False)
        for order, index in enumerate(chosen):
            movie = catalog[index]
            loved = movie in by_genre[favourite]
            score = 5.0 if loved else float(rng.choice([1.0, 1.5, 2.0, 2.5]))
            created = START + timedelta(days=number, minutes=order)
            ratings.append(Rating(user=user, movie=movie, score=score, created=created))
    Rating.objects.bulk_create(ratings)
    return by_genre
