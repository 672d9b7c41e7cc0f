"""Writes to the catalog made by staff through the API (the importer has its own bulk path)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from catalog.models import Genre, Movie

# Filled in by Movie.save(), so it is blank until then.
_DERIVED = ["sort_title"]


@transaction.atomic
def movie_create(
    *,
    title: str,
    year: int | None = None,
    release_date: datetime.date | None = None,
    genres: Iterable[Genre] = (),
    movielens_id: int | None = None,
    imdb_id: str = "",
    tmdb_id: int | None = None,
) -> Movie:
    movie = Movie(
        title=title,
        year=year,
        release_date=release_date,
        movielens_id=movielens_id,
        imdb_id=imdb_id,
        tmdb_id=tmdb_id,
    )
    movie.full_clean(exclude=_DERIVED)
    movie.save()
    movie.genres.set(genres)
    return movie


@transaction.atomic
def movie_update(*, movie: Movie, genres: Iterable[Genre] | None = None, **changes: Any) -> Movie:
    """Apply ``changes`` (model field names) and, when given, replace the genres."""
    for name, value in changes.items():
        setattr(movie, name, value)
    movie.full_clean(exclude=_DERIVED)
    movie.save()
    if genres is not None:
        movie.genres.set(genres)
    return movie
