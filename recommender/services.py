"""Recommendations for the website and the API: rows, top picks, similar movies and explanations.

Reads only. Every call reads the person's current ratings and feedback and folds
them into the active models (``recommender.data.history_for_user``), so a rating
committed earlier in the same request already shapes what comes back.

The expensive part, every active model's scores for the person over the whole
catalog, lives in a :class:`~recommender.rows.Taste` that this module keeps in a
small per-process cache keyed by (person, history version, model versions,
catalog, statistics). A new rating or feedback changes the history version, so a
cached Taste is never served after it; the cache only saves work between the
lazily loaded rows of one page, and between pages until the person acts again.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from catalog.models import Movie
from ratings.choices import FeedbackKind
from ratings.services import feedback_add
from recommender import selectors
from recommender.algorithms.groups import TasteGroup, seed_history
from recommender.algorithms.groups import taste_groups as make_taste_groups
from recommender.artifacts import active_models
from recommender.families import FAMILIES
from recommender.rows import COLLABORATIVE, Card, Pick, Row, ServingModels, Taste, UnknownRowError, rank, similar_to

__all__ = [
    "Card",
    "Row",
    "UnknownRowError",
    "anonymous_rows",
    "clear_caches",
    "explain",
    "recommend_row",
    "recommend_rows",
    "recommend_top",
    "recommend_top_rendered",
    "row_specs",
    "similar_movies",
]

#: Memory for cached Tastes per process. A Taste holds about VECTORS_PER_TASTE float64 vectors over the
#: catalog (some 200 KB on ml-100k's 1,682 movies, 8 MB on ml-25m's 62,000), so how many fit follows the catalog.
TASTE_CACHE_BYTES = 256 * 2**20
VECTORS_PER_TASTE = 16

_tastes: OrderedDict[tuple, Taste] = OrderedDict()
_tastes_lock = threading.Lock()

#: Rendered top picks kept per process (a few KB each), keyed by person, their fingerprint, models and limit.
RENDERED_TOP_CACHE_SIZE = 2048
_rendered_top: OrderedDict[tuple, tuple[Any, ...]] = OrderedDict()

User = AbstractBaseUser | AnonymousUser | None


def _is_person(user: User) -> bool:
    return user is not None and user.is_authenticated


def serving_models() -> ServingModels:
    """The active models of every family, as this process has them loaded."""
    return ServingModels({family: active_models(family) for family in FAMILIES})


def taste_for(user: User, *, source: str | None = None) -> Taste:
    """The Taste of ``user`` (or of anyone, for None / anonymous) against the current models and catalog.

    ``source`` makes this one Taste's Top picks with another switcher choice than the saved one (the API's
    ``?source=``); nothing is saved, and the dials stay the person's own.

    1. Read the catalog and statistics (cached, behind one fingerprint query), the active models,
       and the person's ratings, feedback and favourite genres (three queries, never cached).
    2. Return the cached Taste for exactly these inputs, if any.
    3. Otherwise make a new one (it scores lazily, on first use) and cache it, dropping the least recent.
    """
    catalog, stats = selectors.catalog_and_stats()
    models = serving_models()
    state = selectors.person_state(user) if _is_person(user) else None
    if state is not None and source is not None:
        state = dataclasses.replace(state, preferences=dataclasses.replace(state.preferences, source=source))
    person = (state.user_id, state.digest) if state is not None else None
    # Identities are safe keys: the cached Taste holds the catalog, statistics and models it names alive.
    key = (person, models.key, id(catalog), id(stats))
    with _tastes_lock:
        taste = _tastes.get(key)
        if taste is not None:
            _tastes.move_to_end(key)
            return taste
    taste = Taste(catalog=catalog, stats=stats, models=models, state=state)
    with _tastes_lock:
        taste = _tastes.setdefault(key, taste)
        capacity = max(16, TASTE_CACHE_BYTES // (8 * VECTORS_PER_TASTE * max(len(catalog), 1)))
        while len(_tastes) > capacity:
            _tastes.popitem(last=False)
    return taste


def _cards(picks: list[Pick], movies: dict[int, Movie] | None = None) -> list[Card]:
    """Picks as Cards, their movies fetched in one go unless given; a movie deleted meanwhile is skipped."""
    if movies is None:
        movies = selectors.movies_by_id([pick.movie_id for pick in picks])
    return [
        Card(
            movie=movies[pick.movie_id],
            score=pick.score,
            predicted_rating=pick.predicted_rating,
            reason=pick.reason,
            average=pick.average,
        )
        for pick in picks
        if pick.movie_id in movies
    ]


def row_specs(*, user: User) -> list[tuple[str, str]]:
    """(key, title) of each row of ``user``'s home page in order; cheap, no model scores are computed."""
    return [(spec.key, spec.title) for spec in taste_for(user).specs]


def recommend_row(*, user: User, key: str, limit: int = 12, source: str | None = None) -> Row:
    """One row of the page, de-duplicated against every row before it; ``UnknownRowError`` (a 404) for a bad key.

    ``source``, here and below, overrides the person's saved switcher choice for this call (see ``taste_for``).
    """
    taste = taste_for(user, source=source)
    picks = taste.page(limit).row(key)
    title = next(spec.title for spec in taste.specs if spec.key == key)
    return Row(key=key, title=title, cards=_cards(picks))


def recommend_rows(*, user: User, limit: int = 12, source: str | None = None) -> list[Row]:
    """Every row of the page, no movie twice, empty rows dropped; the anonymous page for None / anonymous."""
    rows = taste_for(user, source=source).page(limit).rows()
    movies = selectors.movies_by_id([pick.movie_id for _, picks in rows for pick in picks])
    built = [Row(key=spec.key, title=spec.title, cards=_cards(picks, movies)) for spec, picks in rows]
    return [row for row in built if row.cards]


def recommend_top(*, user: User, limit: int = 20, source: str | None = None) -> list[Card]:
    """Top picks (the hybrid blend) for a person; the most popular movies for anyone else."""
    key = "top-picks" if _is_person(user) else "popular"
    return _cards(taste_for(user, source=source).page(limit).row(key))


def recommend_top_rendered(
    *, user: User, limit: int = 20, render: Callable[[list[Card]], Any], source: str | None = None
) -> Any:
    """``render(recommend_top(user=user, limit=limit))``, reused while nothing it depends on has changed.

    1. Read the catalog and statistics (one fingerprint query) and the person's fingerprint (one query).
    2. Return the cached rendering for exactly these inputs and the same loaded models, if any: an unchanged
       person costs two queries and no scoring, fetching or serializing.
    3. Otherwise recommend and render as usual and cache the result, dropping the least recent.

    A new rating or feedback changes the fingerprint, so the next call renders afresh. The fingerprint is read
    before recommending: a write landing in between is cached under the older fingerprint, never served after it.
    """
    if not _is_person(user):
        return render(recommend_top(user=user, limit=limit))
    catalog, stats = selectors.catalog_and_stats()
    models = serving_models()
    key = (user.pk, selectors.person_fingerprint(user), models.key, limit, source)
    with _tastes_lock:
        hit = _rendered_top.get(key)
        # Identity, not id(): the entry keeps its catalog, statistics and models alive, so ids are never reused.
        if hit is not None and hit[0] is catalog and hit[1] is stats:
            _rendered_top.move_to_end(key)
            return hit[3]
    rendered = render(recommend_top(user=user, limit=limit, source=source))
    with _tastes_lock:
        _rendered_top[key] = (catalog, stats, models, rendered)
        _rendered_top.move_to_end(key)
        while len(_rendered_top) > RENDERED_TOP_CACHE_SIZE:
            _rendered_top.popitem(last=False)
    return rendered


def anonymous_rows(*, limit: int = 12) -> list[Row]:
    """Popular, trending and the biggest genres, for people who are not signed in."""
    return recommend_rows(user=None, limit=limit)


def similar_movies(*, movie: Movie, kind: str = COLLABORATIVE, limit: int = 12, user: User = None) -> list[Card]:
    """Movies like ``movie`` by ``kind`` ("collaborative" or "content"), leaving out what ``user`` rated or rejected."""
    taste = taste_for(user)
    candidates = similar_to(taste, movie.pk, kind)
    return _cards(rank(taste, candidates, candidates.allowed, limit))


def explain(*, user: User, movie: Movie) -> str | None:
    """Why ``movie`` suits ``user`` ("Because you rated Heat 5 stars"); None when nothing personal says so.

    None as well for a movie the person rated or marked not interested: it is never recommended to them.
    """
    if not _is_person(user):
        return None
    taste = taste_for(user)
    positions, known = taste.catalog.positions([movie.pk])
    if not known[0] or taste.excluded[positions[0]]:
        return None
    return taste.personal_reason(int(positions[0]))


def clear_caches() -> None:
    """Forget every cached Taste, the catalog snapshot and the statistics (tests; after a bulk import)."""
    with _tastes_lock:
        _tastes.clear()
        _rendered_top.clear()
    selectors.clear_caches()


# -- taste groups for onboarding ---------------------------------------------------------------------------------

_groups: dict[tuple, list[TasteGroup]] = {}


def taste_groups() -> list[TasteGroup]:
    """The onboarding groups of the active models (computed once per set of active models and catalog)."""
    models = serving_models()
    model = models.item_factors
    if model is None:
        return []
    catalog, stats = selectors.catalog_and_stats()
    key = (models.key, id(catalog))
    with _tastes_lock:
        if key in _groups:
            return _groups[key]
    positions, known = catalog.positions(model.item_ids)
    groups = make_taste_groups(
        model.item_ids[known],
        model.item_factors[known],
        catalog.genres[positions[known]],
        catalog.genre_names,
        stats.counts[positions[known]],
    )
    with _tastes_lock:
        _groups.clear()  # only the current models' groups are kept
        _groups[key] = groups
    return groups


def taste_groups_pick(*, user: AbstractBaseUser, keys: list[int]) -> list[int]:
    """Onboard ``user`` from the groups they picked: each group's best-known members become "more like this"
    (their fold-in history and the reasons on their rows). Returns the movie ids added."""
    chosen = [group for group in taste_groups() if group.key in set(keys)]
    movie_ids = seed_history(chosen)
    movies = Movie.objects.in_bulk(movie_ids)
    for movie_id in movie_ids:
        if movie_id in movies:
            feedback_add(user=user, movie=movies[movie_id], kind=FeedbackKind.MORE_LIKE_THIS)
    return movie_ids
