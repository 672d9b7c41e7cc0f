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
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils.functional import SimpleLazyObject

from catalog.models import Movie
from ratings.choices import FeedbackKind
from ratings.selectors import MovieState
from ratings.services import feedback_add
from recommender import online, selectors
from recommender.algorithms.groups import TasteGroup, seed_history
from recommender.algorithms.groups import taste_groups as make_taste_groups
from recommender.artifacts import ArtifactError, active_models
from recommender.experiments import arm_for, team_draft
from recommender.families import FAMILIES
from recommender.foldins import serving_fold_store
from recommender.models import Experiment
from recommender.rows import (
    COLLABORATIVE,
    Card,
    Pick,
    Row,
    RowSpec,
    ServingModels,
    Taste,
    UnknownRowError,
    rank,
    similar_to,
)
from recommender.shared_picks import KeptRow, picks_get, picks_key, picks_put

if TYPE_CHECKING:
    from recommender.rows.inputs import CatalogSnapshot, RatingStats
    from recommender.selectors import PersonFingerprint

logger = logging.getLogger(__name__)

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
    "top_picks_warm",
]

#: Memory for cached Tastes per process. A Taste holds about VECTORS_PER_TASTE float64 vectors over the
#: catalog, so how many fit follows the catalog. After a home page with every row and the API's Top picks, one
#: held 11.5 MB at the 25M shape's 59,047 movies, 24 vectors' worth: counted as 16, a web process kept 35 of
#: them and grew past 1.5 GB (tests/unit/recommender/test_services.py holds the figure to this bound).
TASTE_CACHE_BYTES = 256 * 2**20
VECTORS_PER_TASTE = 28

_tastes: OrderedDict[tuple, Taste] = OrderedDict()
_tastes_lock = threading.Lock()

#: Rendered top picks kept per process (a few KB each), keyed by person, their fingerprint, models and limit.
RENDERED_TOP_CACHE_SIZE = 2048
_rendered_top: OrderedDict[tuple, tuple[Any, ...]] = OrderedDict()

#: How many Top picks the API serves when no ``?limit=`` is given: what ``top_picks_warm`` computes ahead.
TOP_PICKS_LIMIT = 20
#: ``top_picks_warm`` says how far it is at most this often.
WARM_PROGRESS_SECONDS = 10.0

User = AbstractBaseUser | AnonymousUser | None


def _is_person(user: User) -> bool:
    return user is not None and user.is_authenticated


def serving_models() -> ServingModels:
    """The active models of every family, as this process has them loaded."""
    return ServingModels({family: active_models(family) for family in FAMILIES})


def _experiment_arm(user: User) -> tuple[Experiment | None, str | None]:
    """The running experiment and this person's arm in it (split: by hash; interleave: "a" lays out the page)."""
    if not _is_person(user):
        return None, None
    experiment = online.running_experiment()
    if experiment is None:
        return None, None
    arm = arm_for(experiment.pk, user.pk) if experiment.kind == Experiment.Kind.SPLIT else "a"
    return experiment, arm


def _arm_serving(models: ServingModels, experiment: Experiment, arm: str) -> ServingModels:
    """The served models with the arm's blend version in place of the active one (the active, if it cannot load)."""
    version = experiment.arm_a if arm == "a" else experiment.arm_b
    try:
        return ServingModels({**models.families, "blend": online.arm_models(version)})
    except ArtifactError:
        logger.exception(
            "Experiment %s: arm %s (%s) cannot load; serving the active blend", experiment.pk, arm, version
        )
        return models


def taste_for(
    user: User,
    *,
    source: str | None = None,
    arm: str | None = None,
    read: tuple[CatalogSnapshot, RatingStats, PersonFingerprint] | None = None,
) -> Taste:
    """The Taste of ``user`` (or of anyone, for None / anonymous) against the current models and catalog.

    ``source`` makes this one Taste's Top picks with another switcher choice than the saved one (the API's
    ``?source=``); nothing is saved, and the dials stay the person's own. During an experiment the person's arm
    (or ``arm``, for interleaving's other side) supplies the blend.

    1. Read the catalog and statistics (cached) and the person's fingerprint (never cached;
       ``selectors.person_fingerprint``), behind one query (``selectors.serving_inputs``), and the active models.
    2. Return the cached Taste for exactly these inputs, if any: the rows of one page, loaded one request each,
       read the person's ratings and feedback once between them.
    3. Otherwise read the person's ratings, feedback and favourite genres (never cached), make a new Taste (it
       scores lazily, on first use) and cache it, dropping the least recent. Its fold-ins go through the shared
       fold store: another process that served this history already left them there.

    The fingerprint is read before the state: a write landing in between is cached under the older fingerprint,
    which no later request presents, so a Taste is never served after a change it does not know. ``read`` is
    (catalog, statistics, the person's fingerprint) when the caller has just read them: they are not read twice.
    """
    catalog, stats, fingerprint = read or selectors.serving_inputs(user if _is_person(user) else None)
    models = serving_models()
    experiment, person_arm = _experiment_arm(user)
    if experiment is not None:
        models = _arm_serving(models, experiment, arm or person_arm)
    person = (user.pk, fingerprint, source) if _is_person(user) else None
    # Identities are safe keys: the cached Taste holds the catalog, statistics and models it names alive.
    key = (person, models.key, id(catalog), id(stats))
    with _tastes_lock:
        taste = _tastes.get(key)
        if taste is not None:
            _tastes.move_to_end(key)
            return taste
    state = selectors.person_state(user) if person is not None else None
    if state is not None and source is not None:
        state = dataclasses.replace(state, preferences=dataclasses.replace(state.preferences, source=source))
    taste = Taste(catalog=catalog, stats=stats, models=models, state=state, folds=serving_fold_store())
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
    kept, taste = _row_picks(user=user, key=key, limit=limit, source=source)
    row = _drawn(key, kept)
    if taste is None or taste.state is None:
        return row
    # What the person said about these movies and their star hints come with the row: the cards need them, and
    # the state the row was ranked from has them, so drawing a row reads neither (two queries per row before).
    said = taste.said(card.movie.pk for card in row.cards)
    state = taste.state
    return dataclasses.replace(
        row,
        said={movie: MovieState(rating=rating, kinds=kinds) for movie, (rating, kinds) in said.items()},
        star_hints=SimpleLazyObject(lambda: state.star_hints),
    )


def _row_picks(
    *,
    user: User,
    key: str,
    limit: int,
    source: str | None,
    read: tuple[CatalogSnapshot, RatingStats, PersonFingerprint] | None = None,
) -> tuple[KeptRow, Taste | None]:
    """``recommend_row`` before its movies are fetched (what ``recommender.shared_picks`` keeps), and the Taste
    it was ranked from (None during an interleaving experiment, which merges two)."""
    experiment, arm = _experiment_arm(user)
    if experiment is not None and experiment.kind == Experiment.Kind.INTERLEAVE:
        rows = _interleaved_rows(user, limit, source, experiment)
        spec, picks, arms = next(((spec, picks, arms) for spec, picks, arms in rows if spec.key == key), (None,) * 3)
        if spec is None:
            raise UnknownRowError(key)
        return KeptRow(title=spec.title, picks=picks, experiment_id=experiment.pk, arms=arms), None
    taste = taste_for(user, source=source, read=read)
    picks = taste.page(limit).row(key)
    title = next(spec.title for spec in taste.specs if spec.key == key)
    return KeptRow(title=title, picks=picks, **_split_arms(experiment, arm, picks)), taste


def _drawn(key: str, kept: KeptRow) -> Row:
    return Row(key=key, title=kept.title, cards=_cards(kept.picks), experiment_id=kept.experiment_id, arms=kept.arms)


def page_picks(
    *, user: User, limit: int = 12, source: str | None = None
) -> list[tuple[RowSpec, list[Pick], dict[int, str] | None]]:
    """The page as served, before movies are fetched: (row, picks, the arm of each pick while an interleaving
    experiment runs, else None). The inspector reads this too, so it shows exactly what the person sees."""
    experiment, _ = _experiment_arm(user)
    if experiment is not None and experiment.kind == Experiment.Kind.INTERLEAVE:
        return _interleaved_rows(user, limit, source, experiment)
    return [(spec, picks, None) for spec, picks in taste_for(user, source=source).page(limit).rows()]


def recommend_rows(*, user: User, limit: int = 12, source: str | None = None) -> list[Row]:
    """Every row of the page, no movie twice, empty rows dropped; the anonymous page for None / anonymous."""
    experiment, arm = _experiment_arm(user)
    rows = page_picks(user=user, limit=limit, source=source)
    movies = selectors.movies_by_id([pick.movie_id for _, picks, _ in rows for pick in picks])
    built = []
    for spec, picks, arms in rows:
        interleaved = arms is not None
        fields = {"experiment_id": experiment.pk, "arms": arms} if interleaved else _split_arms(experiment, arm, picks)
        built.append(Row(key=spec.key, title=spec.title, cards=_cards(picks, movies), **fields))
    return [row for row in built if row.cards]


def _split_arms(experiment: Experiment | None, arm: str | None, picks: list[Pick]) -> dict[str, Any]:
    """Row fields for a split experiment: every card of the person's page comes from their arm."""
    if experiment is None:
        return {}
    return {"experiment_id": experiment.pk, "arms": {pick.movie_id: arm for pick in picks}}


def _interleaved_rows(
    user: User, limit: int, source: str | None, experiment: Experiment
) -> list[tuple[RowSpec, list[Pick], dict[int, str]]]:
    """The page of arm a with Top picks team-drafted from both arms' Top picks; later rows leave out what Top
    picks now shows, so no movie appears twice. The draft is seeded by person and history: stable between loads."""
    taste_a, taste_b = taste_for(user, source=source, arm="a"), taste_for(user, source=source, arm="b")
    rows = taste_a.page(limit).rows()
    ours = dict(rows)
    top_spec = next((spec for spec in ours if spec.key == "top-picks"), None)
    if top_spec is None:
        return [(spec, picks, {}) for spec, picks in rows]
    mine, theirs = ours[top_spec], taste_b.page(limit).row("top-picks")
    by_movie = {pick.movie_id: pick for pick in theirs} | {pick.movie_id: pick for pick in mine}
    seed = f"{experiment.pk}:{user.pk}:{taste_a.state.digest if taste_a.state else ''}"
    drafted = team_draft([p.movie_id for p in mine], [p.movie_id for p in theirs], limit, seed=seed)
    shown = {movie for movie, _ in drafted}
    result = []
    for spec, picks in rows:
        if spec is top_spec:
            result.append((spec, [by_movie[movie] for movie, _ in drafted], dict(drafted)))
        else:
            kept = [pick for pick in picks if pick.movie_id not in shown]
            result.append((spec, kept, {pick.movie_id: "a" for pick in kept}))
    return result


def recommend_top(*, user: User, limit: int = TOP_PICKS_LIMIT, source: str | None = None) -> list[Card]:
    """Top picks (the hybrid blend) for a person; the most popular movies for anyone else."""
    if not _is_person(user):
        return _cards(taste_for(user).page(limit).row("popular"))
    return recommend_row(user=user, key="top-picks", limit=limit, source=source).cards


def recommend_top_rendered(
    *,
    user: User,
    limit: int = TOP_PICKS_LIMIT,
    render: Callable[[list[Card]], Any],
    source: str | None = None,
    shown: Callable[[Row], None] | None = None,
) -> Any:
    """``render(recommend_top(user=user, limit=limit))``, reused while nothing it depends on has changed.

    ``shown`` is called with the Top picks row served (cards, and arms during an experiment), cached or not: the
    API logs its impressions with it.

    1. Read the catalog and statistics and the person's fingerprint, in one query (``selectors.serving_inputs``).
    2. Return this process's rendering for exactly these inputs and the same loaded models, if any: an unchanged
       person costs that query and no scoring, fetching or serializing.
    3. Otherwise take the picks another process (or the training worker's warm-up) kept for these inputs
       (``recommender.shared_picks``), or compute them and keep them for the others; draw the cards, render
       them, and remember the rendering here, dropping the least recent.

    A new rating or feedback changes the fingerprint, so the next call renders afresh. The fingerprint is read
    before recommending: a write landing in between is cached under the older fingerprint, never served after it.
    """
    if not _is_person(user):
        return render(recommend_top(user=user, limit=limit))
    catalog, stats, fingerprint = selectors.serving_inputs(user)
    models = serving_models()
    experiment = online.running_experiment()
    key = (user.pk, fingerprint, models.key, limit, source, experiment and experiment.pk)
    with _tastes_lock:
        hit = _rendered_top.get(key)
        # Identity, not id(): the entry keeps its catalog, statistics and models alive, so ids are never reused.
        if hit is not None and hit[0] is catalog and hit[1] is stats:
            _rendered_top.move_to_end(key)
            if shown is not None:
                shown(hit[4])
            return hit[3]
    kept = _kept_top_picks(
        user,
        read=(catalog, stats, fingerprint),
        models=models,
        limit=limit,
        source=source,
        experiment_id=experiment and experiment.pk,
    )
    row = _drawn("top-picks", kept)
    rendered = render(row.cards)
    if shown is not None:
        shown(row)
    with _tastes_lock:
        _rendered_top[key] = (catalog, stats, models, rendered, row)
        _rendered_top.move_to_end(key)
        while len(_rendered_top) > RENDERED_TOP_CACHE_SIZE:
            _rendered_top.popitem(last=False)
    return rendered


def _kept_top_picks(
    user: AbstractBaseUser,
    *,
    read: tuple[CatalogSnapshot, RatingStats, PersonFingerprint],
    models: ServingModels,
    limit: int,
    source: str | None,
    experiment_id: int | None,
) -> KeptRow:
    """The Top picks some process kept for exactly these inputs, or computed now and kept for the others.

    ``read`` is (catalog, statistics, the person's fingerprint), read before anything is computed.
    """
    catalog, stats, fingerprint = read
    shared = picks_key(
        user_id=user.pk,
        fingerprint=fingerprint,
        models=models,
        catalog=catalog,
        stats=stats,
        limit=limit,
        source=source,
        experiment_id=experiment_id,
    )
    kept = picks_get(shared) if shared is not None else None
    if kept is None:
        kept, _ = _row_picks(user=user, key="top-picks", limit=limit, source=source, read=read)
        if shared is not None:
            picks_put(shared, kept)
    return kept


def top_picks_warm(*, user_ids: list[int], say: Callable[[str], None] | None = None) -> int:
    """Compute the API's Top picks of ``user_ids`` and keep them for every process (``recommender.shared_picks``),
    after an activation, so that their next request reads them; returns how many were computed.

    Each person goes through the very function a request does, so what is kept is what would be served.
    Nothing is kept for models without a checksum (fitted in this process), and a person who fails is logged
    and skipped.
    """
    started = last_said = time.perf_counter()
    User = get_user_model()
    computed = 0
    for done, user_id in enumerate(user_ids, start=1):
        models = serving_models()
        if models.names is None:
            return computed
        user = User(pk=user_id)
        try:
            experiment = online.running_experiment()
            read = selectors.serving_inputs(user)
            experiment_id = experiment and experiment.pk
            _kept_top_picks(
                user, read=read, models=models, limit=TOP_PICKS_LIMIT, source=None, experiment_id=experiment_id
            )
            computed += 1
        except Exception:
            logger.exception("Could not compute the Top picks of user %s; skipped", user_id)
        if say is not None and time.perf_counter() - last_said >= WARM_PROGRESS_SECONDS:
            last_said = time.perf_counter()
            say(f"top picks: {done}/{len(user_ids)} people, {last_said - started:.0f} s")
    return computed


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
    """Forget every cached Taste, the catalog snapshot, the statistics and the card movies (tests; after a bulk
    import)."""
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
