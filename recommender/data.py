"""The one boundary between the ORM and the algorithms: querysets in, Interactions and History out.

Every export reads with a handful of queries (no model instances, no per-row
queries) inside one read-only transaction, so ratings, movies, genres and tags
come from the same moment even while people keep rating. On PostgreSQL the
ratings arrive through ``COPY ... TO STDOUT`` straight into numpy columns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction

from catalog.models import Credit, Movie, MovieTag
from ratings.columns import NAMES, rating_columns
from ratings.models import Rating
from recommender.algorithms.interactions import History, Interactions, ItemFeatures
from recommender.snapshots import ratings_refresh

#: How much a credit counts as a content term, in "times a tag was applied".
CREDIT_WEIGHTS = {"director": 3, "actor": 1}


@dataclass(frozen=True)
class Snapshot:
    """Interactions plus where they end, so a model version can say what it was trained on."""

    interactions: Interactions
    last_rating_id: int | None
    #: How the ratings were read: "full export", or what an incremental update read (recommender.snapshots).
    how: str = "full export"


@contextmanager
def _consistent_read() -> Iterator[None]:
    # PostgreSQL's default READ COMMITTED gives each query its own snapshot; REPEATABLE READ makes the
    # ratings and the catalog agree. It can only be set as a transaction's first statement, so inside a
    # caller's transaction we read in theirs. SQLite's read transaction already keeps one snapshot.
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def snapshot_from_db(*, include_unrated_movies: bool = True, incremental: bool = False) -> Snapshot:
    """Every rating as Interactions (user and movie pks as outside ids) with item features, and the newest rating id.

    ``include_unrated_movies`` keeps the whole catalog in the item vocabulary, so a
    movie nobody rated yet (one just added in the admin) can still be recommended by content.
    ``incremental`` (PostgreSQL; a retrain) reads only the ratings that changed since the last
    export this host saved, and checks the rest against the per-movie statistics (``recommender.snapshots``).
    """
    with _consistent_read():
        if incremental and connection.vendor == "postgresql":
            refresh = ratings_refresh()
            columns, how = refresh.columns, refresh.how
            del refresh
        else:
            columns, how = rating_columns(), "full export"
        ids, users, movies_rated, scores, stamps = (getattr(columns, name) for name in NAMES)
        last_rating_id = int(ids.max()) if len(ids) else None
        del columns, ids  # past the newest one, the ids are 200 MB at 25M that the peak below need not hold
        if include_unrated_movies:
            movies = list(Movie.objects.order_by("pk").values_list("pk", "title", "year", "overview"))
        else:
            rated = Movie.objects.filter(ratings__isnull=False).distinct().order_by("pk")
            movies = list(rated.values_list("pk", "title", "year", "overview"))
        genres = Movie.genres.through.objects.order_by().values_list("movie_id", "genre__name")
        tags = MovieTag.objects.order_by().values_list("movie_id", "tag__name", "count")
        genres_of: dict[int, list[str]] = defaultdict(list)
        for movie_id, name in genres:
            genres_of[movie_id].append(name)
        tags_of: dict[int, dict[str, int]] = defaultdict(dict)
        for movie_id, name, count in tags:
            tags_of[movie_id][name] = count
        # Directors and the top-billed cast (TMDB enrichment) are content terms beside the tags, a director
        # weighing as much as a tag applied three times: "directed by" says more than one actor of eight.
        for movie_id, name, role in Credit.objects.order_by().values_list("movie_id", "person__name", "role"):
            term = f"director: {name}" if role == Credit.Role.DIRECTOR else f"cast: {name}"
            tags_of[movie_id][term] = CREDIT_WEIGHTS[role]

    catalog = np.fromiter((pk for pk, *_ in movies), dtype=np.int64, count=len(movies))
    overviews = [overview for *_, overview in movies]
    features = ItemFeatures(
        titles=[title for _, title, *_ in movies],
        genres=[sorted(genres_of.get(pk, ())) for pk, *_ in movies],
        years=np.array([np.nan if year is None else year for _, _, year, _ in movies], dtype=np.float64),
        tags=[tags_of.get(pk, {}) for pk, *_ in movies],
        overviews=overviews if any(overviews) else [],
    )
    interactions = Interactions.from_ids(users, movies_rated, scores, stamps, catalog=catalog, item_features=features)
    return Snapshot(interactions=interactions, last_rating_id=last_rating_id, how=how)


def interactions_from_db(*, include_unrated_movies: bool = True) -> Interactions:
    """Every rating as Interactions with ItemFeatures for the catalog (see ``snapshot_from_db``)."""
    return snapshot_from_db(include_unrated_movies=include_unrated_movies).interactions


def history_for_user(user: AbstractBaseUser) -> History:
    """The person's current ratings in time order, ``user_id`` set: what every model folds in when serving.

    On PostgreSQL the times arrive as seconds from the database, the very floats ``datetime.timestamp()``
    gives, without a datetime object per rating: a quarter of the ORM's time for the 200 ratings of a typical
    person at the 1M shape (0.44 against 1.85 ms).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT movie_id, score, EXTRACT(EPOCH FROM created)::float8 FROM {Rating._meta.db_table} "
                "WHERE user_id = %s ORDER BY created, id",
                [user.pk],
            )
            columns = np.array(cursor.fetchall(), dtype=np.float64).reshape(-1, 3)
        return History.from_arrays(columns[:, 0], columns[:, 1], columns[:, 2], user_id=user.pk)
    rows = list(
        Rating.objects.filter(user_id=user.pk).order_by("created", "id").values_list("movie_id", "score", "created")
    )
    return History.from_arrays(
        [movie_id for movie_id, _, _ in rows],
        [score for _, score, _ in rows],
        [created.timestamp() for _, _, created in rows],
        user_id=user.pk,
    )
