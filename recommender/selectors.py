"""Reads for serving recommendations: the catalog and rating statistics (cached per process) and one person's state.

The catalog snapshot and the rating statistics are the same for everyone, so each
process keeps one copy and checks a fingerprint (a one-row aggregate over indexed
columns) on every call to notice a changed catalog or new ratings. A person's
state is never cached here: it is three small queries, read fresh on every
request, so a rating made a moment ago always counts.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, defaultdict
from typing import NamedTuple

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import Count, Max, QuerySet, Sum

from catalog.models import Genre, Movie
from ratings.models import Feedback, Profile, Rating
from ratings.selectors import rating_examples
from recommender.data import history_for_user
from recommender.models import ModelVersion
from recommender.rows.inputs import DAMPING, TRENDING_WINDOW, CatalogSnapshot, PersonState, Preferences, RatingStats

#: A cached snapshot is rebuilt at least this often, which also catches what the fingerprints cannot
#: see (a genre added to a movie, a deleted rating).
MAX_AGE_SECONDS = 300.0
#: Rating statistics that took less than this to build are rebuilt on every new rating (small sites and
#: tests stay exact); slower ones wait for MAX_AGE_SECONDS, so a busy site does not re-aggregate per rating.
CHEAP_REBUILD_SECONDS = 0.02
#: Movies kept for drawing cards, per process: a page shows about 130, a whole ml-25m catalog is 62,000.
MOVIE_CACHE_SIZE = 4096


class _Cached:
    """One lazily rebuilt value per process, guarded so two threads do not rebuild it at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.value = None

    def clear(self) -> None:
        with self.lock:
            self.value = None


_catalog = _Cached()
_stats = _Cached()
#: (the catalog snapshot it belongs to, movie id -> Movie, least recently used first); see ``movies_by_id``.
_movies = _Cached()


def _fresh(value, fingerprint: tuple) -> bool:
    return value is not None and value.fingerprint == fingerprint and time.time() - value.built_at < MAX_AGE_SECONDS


def catalog_and_stats() -> tuple[CatalogSnapshot, RatingStats]:
    """The catalog snapshot and the rating statistics, rebuilt when the fingerprint query says they changed."""
    catalog, stats, _ = serving_inputs(None)
    return catalog, stats


def serving_inputs(user: AbstractBaseUser | None) -> tuple[CatalogSnapshot, RatingStats, PersonFingerprint | None]:
    """The catalog snapshot, the rating statistics and ``user``'s fingerprint (None for no user), in one query.

    Every recommendation request needs all three: reading them in one round trip instead of two saves a row of a
    home page, or an API call, a trip to the database (``person_fingerprint`` says what the person's part reads).
    """
    movie, rating = Movie._meta.db_table, Rating._meta.db_table
    # Each MAX is its own scalar subquery because SQLite answers a lone MAX over an indexed column from the index,
    # but scans the whole table for two MAXes side by side.
    sql = (
        f"SELECT (SELECT MAX(id) FROM {movie}), (SELECT MAX(created) FROM {movie}), "
        f"(SELECT MAX(id) FROM {rating}), (SELECT MAX(updated) FROM {rating})"
    )
    params: list[object] = []
    if user is not None:
        tables, params = _person_fingerprint_tables(user)
        sql = f"{sql}, r.*, f.*, fg.*, pp.* FROM {tables}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        top_movie, newest_movie, top_rating, newest_rating, *person = cursor.fetchone()
    movies = (top_movie, newest_movie)
    with _catalog.lock:
        if not _fresh(_catalog.value, movies):
            _catalog.value = _build_catalog(movies)
        catalog = _catalog.value
    stats = _rating_stats(catalog, (catalog, top_rating, newest_rating))
    return catalog, stats, PersonFingerprint(*person) if user is not None else None


def _build_catalog(fingerprint: tuple) -> CatalogSnapshot:
    movies = list(Movie.objects.order_by("pk").values_list("pk", "title", "created"))
    years = np.array(
        [np.nan if year is None else year for year in Movie.objects.order_by("pk").values_list("year", flat=True)],
        dtype=np.float64,
    )
    genres = list(Genre.objects.order_by("name").values_list("pk", "name", "slug"))
    pairs = list(Movie.genres.through.objects.values_list("movie_id", "genre_id"))
    ids = np.fromiter((pk for pk, _, _ in movies), dtype=np.int64, count=len(movies))
    genre_ids = np.fromiter((pk for pk, _, _ in genres), dtype=np.int64, count=len(genres))
    matrix = np.zeros((len(ids), len(genre_ids)), dtype=bool)
    if pairs and len(ids) and len(genre_ids):
        movie_pos = np.searchsorted(ids, np.fromiter((m for m, _ in pairs), dtype=np.int64, count=len(pairs)))
        genre_order = np.argsort(genre_ids)
        genre_col = genre_order[
            np.searchsorted(genre_ids, np.fromiter((g for _, g in pairs), dtype=np.int64), sorter=genre_order)
        ]
        matrix[movie_pos, genre_col] = True
    created = np.fromiter((stamp.timestamp() for _, _, stamp in movies), dtype=np.float64, count=len(movies))
    return CatalogSnapshot(
        fingerprint=fingerprint,
        ids=ids,
        titles=[title for _, title, _ in movies],
        genre_ids=genre_ids,
        genre_names=[name for _, name, _ in genres],
        genre_slugs=[slug for _, _, slug in genres],
        genres=matrix,
        newest_first=np.lexsort((-ids, -created)),
        built_at=time.time(),
        years=years,
    )


def _rating_stats(catalog: CatalogSnapshot, fingerprint: tuple) -> RatingStats:
    """Counts, damped means and recent counts per catalog position (see CHEAP_REBUILD_SECONDS for freshness)."""
    with _stats.lock:
        stats = _stats.value
        usable = (
            stats is not None
            # Built for this very snapshot: its arrays are aligned with the snapshot's positions.
            and stats.fingerprint[0] is catalog
            and time.time() - stats.built_at < MAX_AGE_SECONDS
            and (stats.fingerprint == fingerprint or stats.build_seconds >= CHEAP_REBUILD_SECONDS)
        )
        if not usable:
            _stats.value = _build_stats(catalog, fingerprint)
        return _stats.value


def _build_stats(catalog: CatalogSnapshot, fingerprint: tuple) -> RatingStats:
    started = time.perf_counter()
    n = len(catalog)
    counts, sums = np.zeros(n, dtype=np.int64), np.zeros(n)
    per_movie = list(Rating.objects.order_by().values("movie_id").annotate(n=Count("id"), total=Sum("score")))
    if per_movie:
        positions, known = catalog.positions([row["movie_id"] for row in per_movie])
        counts[positions[known]] = np.array([row["n"] for row in per_movie])[known]
        sums[positions[known]] = np.array([row["total"] for row in per_movie], dtype=np.float64)[known]
    global_mean = sums.sum() / counts.sum() if counts.sum() else 3.5
    damped = (sums + DAMPING * global_mean) / (counts + DAMPING)
    recent = np.zeros(n, dtype=np.int64)
    last = Rating.objects.aggregate(last=Max("created"))["last"]
    if last is not None:
        window = (
            Rating.objects.filter(created__gte=last - TRENDING_WINDOW)
            .order_by()
            .values("movie_id")
            .annotate(n=Count("id"))
        )
        rows = list(window)
        positions, known = catalog.positions([row["movie_id"] for row in rows])
        recent[positions[known]] = np.array([row["n"] for row in rows], dtype=np.int64)[known]
    return RatingStats(
        fingerprint=fingerprint,
        counts=counts,
        damped_means=damped,
        means=np.divide(sums, counts, out=np.full(n, np.nan), where=counts > 0),
        recent_counts=recent,
        built_at=time.time(),
        build_seconds=time.perf_counter() - started,
    )


def person_state(user: AbstractBaseUser) -> PersonState:
    """The person's current ratings, feedback and favourite genres: three queries, never cached (their star hints
    are a fourth, when first read)."""
    feedback: dict[str, list[tuple[int, float]]] = defaultdict(list)
    rows = (
        Feedback.objects.filter(user_id=user.pk).order_by("-created", "-id").values_list("movie_id", "kind", "created")
    )
    for movie_id, kind, created in rows:
        feedback[kind].append((movie_id, created.timestamp()))
    favourites = Profile.favourite_genres.through.objects.filter(profile__user_id=user.pk).values_list(
        "genre_id", flat=True
    )
    return PersonState(
        user_id=user.pk,
        history=history_for_user(user),
        feedback=dict(feedback),
        favourite_genres=tuple(sorted(favourites)),
        preferences=preferences_of(user),
        star_hints_read=lambda: rating_examples(user=user),
    )


def preferences_of(user: AbstractBaseUser) -> Preferences:
    """The person's Top picks controls (the defaults when they have no profile yet)."""
    row = (
        Profile.objects.filter(user_id=user.pk)
        .values_list("top_picks_source", "dial_popularity", "dial_adventure", "dial_recency")
        .first()
    )
    return Preferences(*row) if row else Preferences()


class PersonFingerprint(NamedTuple):
    """What ``person_fingerprint`` reads: per table, a count, the newest id and a checksum; then the dials."""

    ratings: int
    rating_newest_id: int | None
    rating_updated: object
    rating_sum: object
    feedback: int
    feedback_newest_id: int | None
    feedback_sum: object
    genres: int
    genre_newest_id: int | None
    genre_sum: object
    source: str | None
    dial_popularity: float | None
    dial_adventure: float | None
    dial_recency: float | None


def person_fingerprint(user: AbstractBaseUser) -> PersonFingerprint:
    """A cheap stand-in for ``person_state(user).digest`` in one query: changes whenever the person rates,
    re-rates, deletes a rating, gives or withdraws feedback, or changes their favourite genres.

    Counts catch deletions, the newest ids catch a deletion paired with an insert (ids are never reused),
    the sums catch edits that bypass ``updated`` (``QuerySet.update``) and a swapped genre.
    """
    tables, params = _person_fingerprint_tables(user)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {tables}", params)
        return PersonFingerprint(*cursor.fetchone())


def _person_fingerprint_tables(user: AbstractBaseUser) -> tuple[str, list[object]]:
    """The FROM list of ``person_fingerprint``'s query, four one-row tables r, f, fg and pp, and its parameters."""
    rating, feedback = Rating._meta.db_table, Feedback._meta.db_table
    genres, profile = Profile.favourite_genres.through._meta.db_table, Profile._meta.db_table
    # One aggregate row per table, each with a COUNT: a lone MAX(id) WHERE user_id = ... makes PostgreSQL walk
    # the whole primary key backwards looking for the person's newest row (tens of ms) instead of their index.
    tables = (
        f"(SELECT COUNT(*), MAX(id), MAX(updated), SUM(score * movie_id) FROM {rating} WHERE user_id = %s) r, "
        f"(SELECT COUNT(*), MAX(id), SUM(movie_id) FROM {feedback} WHERE user_id = %s) f, "
        f"(SELECT COUNT(*), MAX(g.id), SUM(g.genre_id * g.genre_id) FROM {genres} g "
        f"JOIN {profile} p ON g.profile_id = p.id WHERE p.user_id = %s) fg, "
        f"(SELECT MAX(top_picks_source), MAX(dial_popularity), MAX(dial_adventure), MAX(dial_recency) "
        f"FROM {profile} WHERE user_id = %s) pp"
    )
    return tables, [user.pk] * 4


def movies_by_id(movie_ids: list[int]) -> dict[int, Movie]:
    """The movies with their genres prefetched: at most two queries, however many ids; a deleted one is missing.

    They come from a per-process cache that lives as long as this process's catalog snapshot
    (``catalog_and_stats``): the cards of one page, and the popular movies on everyone's pages, are fetched once.
    An edit in this process empties it at once (``forget_movies``); one in another process shows within
    MAX_AGE_SECONDS, when the snapshot is rebuilt, as the snapshot's titles do. The instances are shared between
    requests: read them, never change them.
    """
    catalog = _catalog.value
    if not movie_ids or catalog is None:
        return _fetch_movies(movie_ids) if movie_ids else {}
    with _movies.lock:
        if _movies.value is None or _movies.value[0] is not catalog:
            _movies.value = (catalog, OrderedDict())
        cache = _movies.value[1]
        found = {pk: cache[pk] for pk in movie_ids if pk in cache}
        for pk in found:
            cache.move_to_end(pk)
    missing = [pk for pk in movie_ids if pk not in found]
    if not missing:
        return found
    fetched = _fetch_movies(missing)
    with _movies.lock:
        if _movies.value is not None and _movies.value[0] is catalog:
            cache = _movies.value[1]
            cache.update(fetched)
            while len(cache) > MOVIE_CACHE_SIZE:
                cache.popitem(last=False)
    return found | fetched


def _fetch_movies(movie_ids: list[int]) -> dict[int, Movie]:
    return {movie.pk: movie for movie in Movie.objects.filter(pk__in=movie_ids).prefetch_related("genres")}


def forget_movies() -> None:
    """Empty the card movies' cache: a movie, its genres or its tags changed (``recommender.apps``)."""
    _movies.clear()


def model_versions(*, family: str | None = None, status: str | None = None) -> QuerySet[ModelVersion]:
    """Trained versions, newest first, optionally of one family or status (the staff API's list)."""
    versions = ModelVersion.objects.order_by("-created", "-id")
    if family:
        versions = versions.filter(family=family)
    if status:
        versions = versions.filter(status=status)
    return versions


def clear_caches() -> None:
    """Forget the cached catalog, statistics and card movies (tests, and after a bulk import in this process)."""
    _catalog.clear()
    _stats.clear()
    _movies.clear()
