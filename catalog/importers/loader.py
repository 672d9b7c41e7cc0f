"""Write a MovieLens data set to the database: the importer's service."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils.text import slugify
from tqdm import tqdm

from catalog.importers.bulk import BATCH_SIZE, rows_load_fresh, rows_upsert, tables_analyze
from catalog.importers.preprocess import CleanDataset, dataset_clean
from catalog.importers.readers import read_dataset
from catalog.importers.report import ImportReport
from catalog.importers.signals import movielens_imported
from catalog.importers.variants import Layout, Variant
from catalog.models import Genre, Movie, MovieTag, Tag
from catalog.titles import sort_title
from movierec.lib.db import in_batches
from ratings.columns import rating_columns
from ratings.models import SCORES, MovieRatingStats, Profile, Rating

#: MovieLens user 42 becomes the Django user "ml_42" (a name sign-up refuses); Profile.movielens_id says who it is.
USERNAME_PREFIX = "ml_"
_DELETE_CHUNK = 500


def movielens_username(movielens_id: int) -> str:
    return f"{USERNAME_PREFIX}{movielens_id}"


def movielens_import(*, variant: Variant, directory: Path, progress: bool = False) -> ImportReport:
    """Import the data set in ``directory``; return what was done. Running it again changes nothing.

    1. Parse every file. A malformed line raises ``MalformedFile`` here, before anything is written.
    2. Clean: reject bad scores and unknown movies, drop duplicate ratings, aggregate tags (see preprocess).
    3. In one transaction, upsert: genres, movies (by movielens_id), each movie's genres, users (by username)
       and profiles, ratings (by user and movie: the file's score and time replace an earlier import's),
       tags and per-movie tag counts. Any error rolls all of it back.
    4. Refresh PostgreSQL's planner statistics of the tables written (ANALYZE, inside the transaction).
    5. After commit, send ``movielens_imported``: the bulk writes fire no per-row signals or listeners.
    """
    started = time.perf_counter()
    report = ImportReport(variant=variant.name)
    with _bar(progress, f"Reading {variant.name}", "ratings") as bar:
        dataset = read_dataset(variant, directory, progress=bar.update)
    clean = dataset_clean(dataset=dataset, allowed_scores=SCORES, report=report)

    with transaction.atomic():
        genre_ids = _genres_upsert(clean)
        movie_ids = _movies_upsert(clean, with_release_dates=variant.layout is Layout.ML100K)
        _movie_genres_sync(clean, movie_ids, genre_ids)
        user_ids = _users_upsert(clean)
        _profiles_upsert(clean, user_ids)
        with _bar(progress, "Writing ratings", "ratings", total=len(clean.ratings)) as bar:
            _ratings_upsert(clean, user_ids, movie_ids, report=report, progress=bar.update)
        _tags_upsert(clean, movie_ids)
        # The planner's statistics describe the tables before the load (an empty ratings table, say), which
        # turns a person's ratings into a scan of the whole catalog until autovacuum gets round to them.
        tables_analyze(models=[Movie, Movie.genres.through, get_user_model(), Profile, Rating, MovieRatingStats])
        transaction.on_commit(lambda: movielens_imported.send(sender=movielens_import, report=report))

    report.genres = len(genre_ids)
    report.movies, report.users = len(clean.movies), len(clean.users)
    report.ratings, report.tags = len(clean.ratings), len(clean.movie_tags)
    report.seconds = time.perf_counter() - started
    return report


def _bar(enabled: bool, description: str, unit: str, total: int | None = None) -> tqdm:
    return tqdm(
        total=total, desc=description, unit=f" {unit}", unit_scale=True, file=sys.stderr, disable=not enabled,
        leave=False, dynamic_ncols=True,
    )  # fmt: skip


def _genres_upsert(clean: CleanDataset) -> dict[str, int]:
    names = sorted({genre for movie in clean.movies for genre in movie.genres})
    existing = dict(Genre.objects.values_list("name", "id"))
    slugs = set(Genre.objects.values_list("slug", flat=True))
    new = []
    for name in names:
        if name in existing:
            continue
        slug = base = slugify(name) or "genre"
        suffix = 2
        while slug in slugs:
            slug, suffix = f"{base}-{suffix}", suffix + 1
        slugs.add(slug)
        new.append(Genre(name=name, slug=slug))
    Genre.objects.bulk_create(new)
    all_ids = dict(Genre.objects.values_list("name", "id"))
    return {name: all_ids[name] for name in names}


def _movies_upsert(clean: CleanDataset, *, with_release_dates: bool) -> dict[int, int]:
    """Upsert by movielens_id; returns movielens id -> primary key for every movie in the file."""
    fields = ["movielens_id", "title", "sort_title", "year"]
    if with_release_dates:
        fields.append("release_date")
    if clean.has_links:
        fields += ["imdb_id", "tmdb_id"]

    def row(movie) -> tuple:
        values = [movie.movielens_id, movie.title, sort_title(movie.title)[:255], movie.year]
        if with_release_dates:
            values.append(movie.release_date)
        if clean.has_links:
            values += [movie.imdb_id, movie.tmdb_id]
        return tuple(values)

    # Unchanged movies are not written again, so their auto_now ``updated`` keeps meaning "last changed".
    stored = {values[0]: values for values in Movie.objects.filter(movielens_id__isnull=False).values_list(*fields)}
    rows_upsert(
        model=Movie,
        fields=fields,
        rows=(values for movie in clean.movies if stored.get((values := row(movie))[0]) != values),
        unique_fields=["movielens_id"],
        update_fields=fields[1:],
    )
    ids = dict(Movie.objects.filter(movielens_id__isnull=False).values_list("movielens_id", "id"))
    return {movie.movielens_id: ids[movie.movielens_id] for movie in clean.movies}


def _movie_genres_sync(clean: CleanDataset, movie_ids: dict[int, int], genre_ids: dict[str, int]) -> None:
    """Make each imported movie's genres exactly the file's: add the missing links, remove the others."""
    through = Movie.genres.through
    wanted = {(movie_ids[movie.movielens_id], genre_ids[genre]) for movie in clean.movies for genre in movie.genres}
    imported = set(movie_ids.values())
    have: set[tuple[int, int]] = set()
    stale: list[int] = []
    for pk, movie_id, genre_id in through.objects.filter(movie__movielens_id__isnull=False).values_list(
        "pk", "movie_id", "genre_id"
    ):
        if movie_id not in imported:
            continue
        if (movie_id, genre_id) in wanted:
            have.add((movie_id, genre_id))
        else:
            stale.append(pk)
    for start in range(0, len(stale), _DELETE_CHUNK):
        through.objects.filter(pk__in=stale[start : start + _DELETE_CHUNK]).delete()
    rows_upsert(
        model=through, fields=["movie_id", "genre_id"], rows=sorted(wanted - have), unique_fields=["movie", "genre"]
    )


def _movielens_user_queryset() -> QuerySet:
    return Profile.objects.filter(movielens_id__isnull=False).values("user_id")


def _movielens_user_ids() -> dict[int, int]:
    """MovieLens id -> user pk. The identity is ``Profile.movielens_id`` only, never a username: anyone could
    have signed up as "ml_5" before an import (sign-up now refuses such names, but older accounts may hold one)."""
    return dict(Profile.objects.filter(movielens_id__isnull=False).values_list("movielens_id", "user_id"))


def _free_usernames(movielens_ids: list[int]) -> dict[int, str]:
    """A username per new MovieLens person: "ml_<id>", or "ml_<id>-2" and on if an account already has it."""
    User = get_user_model()
    field = User.USERNAME_FIELD
    wanted = {movielens_id: movielens_username(movielens_id) for movielens_id in movielens_ids}
    taken = set(
        User.objects.filter(**{f"{field}__startswith": USERNAME_PREFIX}).values_list(field, flat=True).iterator()
    )
    for movielens_id, name in wanted.items():
        suffix = 2
        while name in taken:
            name, suffix = f"{movielens_username(movielens_id)}-{suffix}", suffix + 1
        wanted[movielens_id] = name
        taken.add(name)
    return wanted


def _users_upsert(clean: CleanDataset) -> dict[int, int]:
    """Create the users that do not exist yet; returns movielens id -> user pk. Existing users are left alone."""
    User = get_user_model()
    existing = _movielens_user_ids()
    names = _free_usernames([user.movielens_id for user in clean.users if user.movielens_id not in existing])
    # make_password(None) is exactly what set_unusable_password() stores: these people cannot log in.
    rows_upsert(
        model=User,
        fields=[User.USERNAME_FIELD, "password"],
        rows=((name, make_password(None)) for name in names.values()),
        unique_fields=[User.USERNAME_FIELD],
    )
    created = {}
    for batch in in_batches(list(names.values())):
        users = User.objects.filter(**{f"{User.USERNAME_FIELD}__in": batch})
        created.update(users.values_list(User.USERNAME_FIELD, "pk"))
    ids = {**existing, **{movielens_id: created[name] for movielens_id, name in names.items()}}
    return {user.movielens_id: ids[user.movielens_id] for user in clean.users}


def _profiles_upsert(clean: CleanDataset, user_ids: dict[int, int]) -> None:
    fields = ["user_id", "movielens_id"]
    if clean.has_demographics:
        fields += ["age", "gender", "occupation", "zip_code"]

    def row(user) -> tuple:
        if clean.has_demographics:
            return (
                user_ids[user.movielens_id],
                user.movielens_id,
                user.age,
                user.gender,
                user.occupation,
                user.zip_code,
            )
        return (user_ids[user.movielens_id], user.movielens_id)

    # Without demographics (the CSV variants) only movielens_id is refreshed, so onboarding answers survive.
    rows_upsert(
        model=Profile,
        fields=fields,
        rows=(row(user) for user in clean.users),
        unique_fields=["user"],
        update_fields=fields[1:],
    )


def _primary_keys(movielens_ids: np.ndarray, mapping: dict[int, int]) -> np.ndarray:
    """Vectorized dict lookup; every id is known to be in ``mapping`` (preprocess made sure)."""
    keys = np.fromiter(mapping.keys(), dtype=np.int64, count=len(mapping))
    values = np.fromiter(mapping.values(), dtype=np.int64, count=len(mapping))
    order = np.argsort(keys)
    return values[order][np.searchsorted(keys[order], movielens_ids)]


def _ratings_upsert(
    clean: CleanDataset,
    user_ids: dict[int, int],
    movie_ids: dict[int, int],
    *,
    report: ImportReport,
    progress: Callable[[int], None],
) -> None:
    ratings = clean.ratings
    if not len(ratings):
        return
    users = _primary_keys(ratings.users, user_ids)
    movies = _primary_keys(ratings.movies, movie_ids)
    changed = _changed_ratings(users, movies, ratings.scores, ratings.timestamps)
    if changed is not None:  # else every rating is new: no copies of 25 million rows
        report.ratings_unchanged = len(ratings) - len(changed)
        progress(report.ratings_unchanged)
        if not len(changed):
            return
        users, movies, ratings = users[changed], movies[changed], ratings.take(changed)

    def rows() -> Iterator[tuple]:
        for start in range(0, len(ratings), BATCH_SIZE):
            window = slice(start, start + BATCH_SIZE)
            for user, movie, score, timestamp in zip(
                users[window].tolist(),
                movies[window].tolist(),
                ratings.scores[window].tolist(),
                ratings.timestamps[window].tolist(),
                strict=True,
            ):
                yield user, movie, score, datetime.fromtimestamp(timestamp, tz=UTC)

    fields = ["user_id", "movie_id", "score", "created"]
    if connection.vendor == "postgresql" and not Rating.objects.exists():  # a first import: load, then index
        rows_load_fresh(model=Rating, fields=fields, rows=rows(), progress=progress)
        return
    rows_upsert(
        model=Rating,
        fields=fields,
        rows=rows(),
        unique_fields=["user", "movie"],
        update_fields=["score", "created"],
        progress=progress,
    )


def _tags_upsert(clean: CleanDataset, movie_ids: dict[int, int]) -> None:
    if not clean.movie_tags:
        return
    names = sorted({name for _, name in clean.movie_tags})
    rows_upsert(model=Tag, fields=["name"], rows=((name,) for name in names), unique_fields=["name"])
    tag_ids = dict(Tag.objects.values_list("name", "id"))
    counts: Iterable[tuple[int, int, int]] = (
        (movie_ids[movie], tag_ids[name], count) for (movie, name), count in sorted(clean.movie_tags.items())
    )
    rows_upsert(
        model=MovieTag,
        fields=["movie_id", "tag_id", "count"],
        rows=counts,
        unique_fields=["movie", "tag"],
        update_fields=["count"],
    )


def _changed_ratings(
    users: np.ndarray, movies: np.ndarray, scores: np.ndarray, timestamps: np.ndarray
) -> np.ndarray | None:
    """Indexes of the ratings that are new or differ from what is stored; None when nothing is stored (all are).

    The stored ratings are read as numpy columns (COPY on PostgreSQL), never one Python tuple each.
    A re-import then leaves unchanged rows alone: their ``updated`` stays put, so nothing downstream mistakes
    a re-run for fresh activity, and the second run writes almost nothing.
    """
    stored = rating_columns(Rating.objects.filter(user_id__in=_movielens_user_queryset()))
    if not len(stored):
        return None
    stored_keys = (stored.users << 32) | stored.movies
    stored_scores, stored_times = stored.scores.astype(np.float64), stored.stamps.astype(np.int64)
    order = np.argsort(stored_keys)
    stored_keys, stored_scores, stored_times = stored_keys[order], stored_scores[order], stored_times[order]

    keys = (users << 32) | movies
    position = np.minimum(np.searchsorted(stored_keys, keys), len(stored_keys) - 1)
    same = (
        (stored_keys[position] == keys) & (stored_scores[position] == scores) & (stored_times[position] == timestamps)
    )
    return np.flatnonzero(~same)
