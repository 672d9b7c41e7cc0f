"""What the active models think of one person right now: a :class:`Taste`.

Every score is computed once over the whole catalog (vectorized, with the person's
current ratings folded in) and kept for as long as the Taste lives; the rows of a
page (``recommender.rows.builders``, ``recommender.rows.page``) all read from it.

No Django queries happen here: the catalog, the statistics and the person's state
arrive as arrays from ``recommender.selectors``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from ratings.choices import SNOOZE, FeedbackKind
from recommender.algorithms.base import Recommender
from recommender.algorithms.folding import FoldStore, fold_store
from recommender.algorithms.interactions import History
from recommender.rows.builders import BECAUSE_ROWS, RowSpec, anonymous_specs, signed_in_specs
from recommender.rows.inputs import Preferences
from recommender.rows.page import Page
from recommender.rows.reasons import LIKED_RATING, personal_reason, stars
from recommender.rows.serving import COLLABORATIVE, CONTENT, GENRES, ServingModels, percentiles, scatter

if TYPE_CHECKING:
    from recommender.rows.inputs import CatalogSnapshot, PersonState, RatingStats

#: The middle of the 0.5-5 scale: a rating above it draws the person towards the movie's genres, the more the higher.
NEUTRAL_RATING = 2.5
#: "More like this" enters the fold-in history as this rating, so every model moves towards the movie.
MORE_LIKE_THIS_RATING = 4.5
#: How far one "more / less like this" moves a movie in Top picks, per unit of similarity (Top picks are 0..1).
FEEDBACK_WEIGHT = 1.0
#: Only the most recent feedback of each kind shifts Top picks (each one costs a similarity lookup).
FEEDBACK_SEEDS = 20
#: How far a taste dial at its end moves a movie on Top picks' 0..1 scale: by its log rating count over the most
#: rated movie's (so "hidden gems" at full sinks the blockbusters), and by its release year's percentile.
POPULARITY_DIAL_WEIGHT = 1.0
RECENCY_DIAL_WEIGHT = 0.5

logger = logging.getLogger(__name__)


def fold_in_history(state: PersonState | None) -> History:
    """The history the models fold in: the ratings (less the ones marked not to recommend from), plus "more
    like this" as a positive rating at the time it was given. Empty for a visitor."""
    if state is None:
        return History.empty()
    history = state.history
    not_seeds = state.feedback_ids(FeedbackKind.NOT_A_SEED)
    if not_seeds:  # rated, but not to be recommended from: the models never see these ratings
        keep = ~np.isin(history.item_ids, not_seeds)
        stamps = history.timestamps[keep] if history.timestamps is not None else None
        history = History(history.item_ids[keep], history.ratings[keep], stamps, history.user_id)
    rated = set(history.item_ids.tolist())
    more = [(movie, at) for movie, at in state.feedback.get(FeedbackKind.MORE_LIKE_THIS, ()) if movie not in rated]
    if not more:
        return history
    stamps = history.timestamps if history.timestamps is not None else np.zeros(len(history))
    return History.from_arrays(
        np.concatenate([history.item_ids, [movie for movie, _ in more]]),
        np.concatenate([history.ratings, np.full(len(more), MORE_LIKE_THIS_RATING)]),
        np.concatenate([stamps, [at for _, at in more]]),
        user_id=history.user_id,
    )


class Taste:
    """What the active models think of one person (or of anyone, when ``state`` is None), over the whole catalog.

    Everything is computed on first use and kept: the services cache a Taste per
    (person, history version, model versions, catalog), so it never outlives a rating.
    ``folds`` shares the person's fold-in into each model with other processes
    (``recommender.algorithms.folding``); the scores are the same with or without it.
    """

    def __init__(
        self,
        *,
        catalog: CatalogSnapshot,
        stats: RatingStats,
        models: ServingModels,
        state: PersonState | None,
        folds: FoldStore | None = None,
    ) -> None:
        self.catalog = catalog
        self.stats = stats
        self.models = models
        self.state = state
        self.folds = folds
        self.lock = threading.Lock()
        self._scores: dict[int, np.ndarray] = {}
        self._stars: dict[int, float] = {}  # catalog position -> predicted stars (NaN: none), movie by movie
        self._similarities: dict[tuple, tuple[np.ndarray, str]] = {}
        self._reasons: dict[int, str | None] = {}
        self._pages: dict[int, Page] = {}

    def kept_bytes(self) -> int:
        """The bytes of the arrays this Taste has computed and keeps, not counting the catalog, statistics, models
        and state it shares with others: what ``services.VECTORS_PER_TASTE`` stands for."""
        seen = {id(self.catalog), id(self.stats), id(self.models), id(self.state), id(self.folds)}

        def held(value: object) -> int:
            if id(value) in seen:
                return 0
            seen.add(id(value))
            if isinstance(value, np.ndarray):
                return value.nbytes
            if isinstance(value, dict):
                return sum(held(item) for item in value.values())
            if isinstance(value, list | tuple | set):
                return sum(held(item) for item in value)
            if type(value).__module__.startswith("recommender.rows") and hasattr(value, "__dict__"):
                return held(vars(value))
            return 0

        return held(vars(self))

    # -- the person ------------------------------------------------------------------------------------------------

    def feedback_ids(self, kind: str) -> list[int]:
        return self.state.feedback_ids(kind) if self.state else []

    def said(self, movie_ids: Iterable[int]) -> dict[int, tuple[float | None, frozenset[str]]]:
        """(rating, feedback kinds) for each of ``movie_ids`` the person said anything about, a snooze over being
        none (``snoozed_ids``): what ``ratings.selectors.movie_states`` reads, from the state this Taste was made
        from."""
        if self.state is None:
            return {}
        snoozed = set(self.snoozed_ids)
        said = {}
        for movie in movie_ids:
            rating = self._ratings.get(movie)
            kinds = frozenset(
                kind for kind in self._kinds.get(movie, ()) if kind != FeedbackKind.SNOOZED or movie in snoozed
            )
            if rating is not None or kinds:
                said[movie] = (rating, kinds)
        return said

    @cached_property
    def _ratings(self) -> dict[int, float]:
        return dict(zip(self.state.history.item_ids.tolist(), self.state.history.ratings.tolist(), strict=True))

    @cached_property
    def _kinds(self) -> dict[int, list[str]]:
        """Movie id -> the kinds of feedback the person gave it."""
        by_movie: dict[int, list[str]] = {}
        for kind, given in self.state.feedback.items():
            for movie, _ in given:
                by_movie.setdefault(movie, []).append(kind)
        return by_movie

    @cached_property
    def history(self) -> History:
        """What every model folds in: :func:`fold_in_history` of the person."""
        return fold_in_history(self.state)

    @cached_property
    def excluded(self) -> np.ndarray:
        """Never shown anywhere: what the person rated, marked not interested, or snoozed in the last SNOOZE."""
        ids = list(self.state.history.item_ids) if self.state else []
        return self.catalog.mask(ids + self.feedback_ids(FeedbackKind.NOT_INTERESTED) + self.snoozed_ids)

    @cached_property
    def snoozed_ids(self) -> list[int]:
        """Movies marked "Not now" less than SNOOZE ago."""
        since = time.time() - SNOOZE.total_seconds()
        snoozed = self.state.feedback.get(FeedbackKind.SNOOZED, ()) if self.state else ()
        return [movie for movie, at in snoozed if at >= since]

    @cached_property
    def banned(self) -> np.ndarray:
        """Not recommended: the excluded, plus what they have seen, saved for later, or already judged."""
        kinds = (FeedbackKind.SEEN, FeedbackKind.WATCHLIST, FeedbackKind.MORE_LIKE_THIS, FeedbackKind.LESS_LIKE_THIS)
        return self.excluded | self.catalog.mask([movie for kind in kinds for movie in self.feedback_ids(kind)])

    @cached_property
    def liked(self) -> dict[int, str]:
        """Catalog position of each liked movie -> how to say why it counts: high ratings newest first, then
        the movies marked "more like this"."""
        liked: dict[int, str] = {}
        if self.state is None:
            return liked
        history = self.state.history
        not_seeds = set(self.feedback_ids(FeedbackKind.NOT_A_SEED))
        for movie, rating in zip(history.item_ids[::-1].tolist(), history.ratings[::-1].tolist(), strict=True):
            if rating >= LIKED_RATING and movie not in not_seeds:
                liked[movie] = f"Because you rated {{title}} {stars(rating)}"
        for movie in self.feedback_ids(FeedbackKind.MORE_LIKE_THIS):
            liked.setdefault(movie, "Because you asked for more like {title}")
        positions, known = self.catalog.positions(list(liked))
        return {int(position): text for position, ok, text in zip(positions, known, liked.values(), strict=True) if ok}

    @cached_property
    def genre_preference(self) -> np.ndarray:
        """Per genre: how far above NEUTRAL_RATING the person rates its movies, summed, plus one per onboarding
        favourite (so a cold start has a taste too, and a long history outweighs the onboarding choice)."""
        preference = np.zeros(len(self.catalog.genre_ids))
        if self.state is None:
            return preference
        positions, known = self.catalog.positions(self.history.item_ids)
        weights = np.clip(self.history.ratings[known] - NEUTRAL_RATING, 0.0, None)
        preference += weights @ self.catalog.genres[positions[known]]
        for genre in self.state.favourite_genres:
            if genre in self.catalog.genre_index:
                preference[self.catalog.genre_index[genre]] += 1.0
        return preference

    @cached_property
    def top_genres(self) -> list[int]:
        """Genre columns the person likes, most liked first (ties by name)."""
        preference = self.genre_preference
        return [int(g) for g in np.lexsort((np.arange(len(preference)), -preference)) if preference[g] > 0]

    @cached_property
    def because_seeds(self) -> list[int]:
        """Catalog positions of the most recent highly rated movies (real ratings only, not the ones the person
        said not to recommend from), newest first."""
        if self.state is None:
            return []
        history = self.state.history
        not_seeds = set(self.feedback_ids(FeedbackKind.NOT_A_SEED))
        newest_first = zip(history.item_ids[::-1].tolist(), history.ratings[::-1].tolist(), strict=True)
        recent = [movie for movie, rating in newest_first if rating >= LIKED_RATING and movie not in not_seeds]
        positions, known = self.catalog.positions(recent)
        return [int(p) for p in positions[known][:BECAUSE_ROWS]]

    # -- model scores over the catalog ------------------------------------------------------------------------------

    def scores(self, model: Recommender) -> np.ndarray:
        """``model``'s scores for this person over the catalog (NaN where it cannot score, or when it fails)."""
        key = id(model)
        if key not in self._scores:
            self._scores[key] = self._scatter_safely(model, "score", lambda: model.score(self.history))
        return self._scores[key]

    def _scatter_safely(self, model: Recommender, what: str, call: Callable[[], np.ndarray]) -> np.ndarray:
        # One model failing must not take the page down: its part drops out and the others still serve.
        try:
            with fold_store(self.folds):
                return scatter(model, self.catalog, call())
        except Exception:
            user = self.state.user_id if self.state else None
            logger.exception("%s failed to %s for user %s; serving without it", model.name, what, user)
            return np.full(len(self.catalog), np.nan)

    @cached_property
    def popularity(self) -> np.ndarray:
        """The popularity model's scores, or rating counts from the database when no model is active."""
        if self.models.popularity is not None:
            return self.scores(self.models.popularity)
        return self.stats.counts.astype(np.float64)

    @cached_property
    def rated_popularity(self) -> np.ndarray:
        """Popularity where anyone rated the movie at all (a movie nobody rated is not "popular"), NaN elsewhere."""
        return np.where(self.stats.counts > 0, self.popularity, np.nan)

    @cached_property
    def tiebreak(self) -> np.ndarray:
        """Equal scores go to the more popular movie (a movie the models cannot score counts as least popular)."""
        return np.nan_to_num(self.popularity, nan=-1.0)

    @cached_property
    def predicted(self) -> np.ndarray | None:
        """The predicted stars over the whole catalog: what rows that choose by them (Hidden gems) need."""
        model = self.models.predictor
        if model is None:
            return None
        return self._scatter_safely(model, "predict", lambda: model.predict(self.history, model.item_ids))

    def predict_positions(self, positions: Iterable[int]) -> None:
        """Predict the stars of the movies at ``positions`` in one call, ahead of ``predicted_at`` for each.

        A request for one row (the API's Top picks) needs a dozen predictions, not the catalog's: at 60,000
        movies, predicting them all would be most of its cost. A second row of the same page predicts the whole
        catalog once instead, which costs less than one call per row from then on (each call has a fixed cost).
        A movie the model does not know gets none, as in the whole catalog's.
        """
        model = self.models.predictor
        if model is None or self.state is None or "predicted" in self.__dict__:
            return
        wanted = np.fromiter((p for p in positions if p not in self._stars), dtype=np.int64)
        if len(wanted) == 0:
            return
        if self._stars and self.predicted is not None:
            return  # a later row: the whole catalog's predictions are kept from now on
        ids = self.catalog.ids[wanted]
        _, known = model.positions(ids)
        values = np.full(len(wanted), np.nan)
        try:
            if known.any():
                with fold_store(self.folds):
                    values[known] = model.predict(self.history, ids[known])
        except Exception:
            logger.exception("%s failed to predict for user %s; serving without it", model.name, self.state.user_id)
        self._stars.update(zip(wanted.tolist(), values.tolist(), strict=True))

    def predicted_at(self, position: int) -> float | None:
        """The stars this person would give, as a card shows them; None for a visitor (predicted for whom?)."""
        if self.state is None or self.models.predictor is None:
            return None
        self.predict_positions([position])
        value = self.predicted[position] if "predicted" in self.__dict__ else self._stars[position]
        return round(float(value), 2) if np.isfinite(value) else None

    def average_at(self, position: int) -> tuple[float, int] | None:
        """Everyone's mean rating and how many rated it: what a visitor's card shows instead of a prediction."""
        count = int(self.stats.counts[position])
        return (round(float(self.stats.means[position]), 2), count) if count else None

    @cached_property
    def blend_scores(self) -> np.ndarray:
        """The served blend's scores over the catalog: exactly what ``evaluate`` and the guardrail measure.

        Until a blend has been trained (a fresh install), the popular movies stand in.
        """
        if self.models.blend is not None:
            return self.scores(self.models.blend)
        return self.rated_popularity

    @property
    def preferences(self) -> Preferences:
        return self.state.preferences if self.state is not None else Preferences()

    @cached_property
    def top_picks_source(self) -> str:
        """The switcher's choice, or "balanced" when the model it names is not active (said in the row's title)."""
        wanted = self.preferences.source
        return wanted if wanted == "balanced" or self._source_model(wanted) is not None else "balanced"

    def _source_model(self, source: str) -> Recommender | None:
        models = self.models
        return {
            "people": models.ncf,
            "loved": models.collaborative_similarity,
            "next": models.sequence,
            "content": models.content,
        }.get(source)

    @cached_property
    def top_picks(self) -> np.ndarray:
        """Top picks' scores: the blend (or the switcher's model), shifted by the taste dials.

        With every dial at 0 and the source "balanced" this is exactly ``blend``: what is measured is served.
        Popularity and recency move each movie by up to their DIAL_WEIGHT of the 0..1 scale.
        """
        source = self.top_picks_source
        if source == "balanced":
            base = self.blend
        else:
            base = percentiles(self.scores(self._source_model(source))) + self.feedback_shift
        prefs = self.preferences
        if prefs.popularity:
            counts = np.log1p(self.stats.counts.astype(np.float64))
            popularity = counts / counts.max() if counts.max() > 0 else counts
            base = base - prefs.popularity * POPULARITY_DIAL_WEIGHT * popularity
        if prefs.recency and self.catalog.years is not None:
            years = np.nan_to_num(percentiles(self.catalog.years), nan=0.5)
            base = base + prefs.recency * RECENCY_DIAL_WEIGHT * years
        return base

    @cached_property
    def blend(self) -> np.ndarray:
        """Top picks on 0..1: the blend's percentiles (the same order), shifted by more / less like this."""
        return percentiles(self.blend_scores) + self.feedback_shift

    @cached_property
    def feedback_shift(self) -> np.ndarray:
        """+similarity to the movies marked "more like this", -similarity to "less like this" (the nearest counts)."""
        shift = np.zeros(len(self.catalog))
        for kind, sign in ((FeedbackKind.MORE_LIKE_THIS, 1.0), (FeedbackKind.LESS_LIKE_THIS, -1.0)):
            seeds = self.feedback_ids(kind)[:FEEDBACK_SEEDS]
            if seeds:
                nearest = np.max([self.similarity(movie, (CONTENT, COLLABORATIVE))[0] for movie in seeds], axis=0)
                shift += sign * FEEDBACK_WEIGHT * np.clip(nearest, 0.0, 1.0)
        return shift

    # -- similarity ----------------------------------------------------------------------------------------------

    def similarity(
        self, movie_id: int, sources: tuple[str, ...], n: int | None = None, *, keep: bool = True
    ) -> tuple[np.ndarray, str]:
        """How similar each catalog movie is to ``movie_id`` (0 = not at all, the movie itself 0), and by what.

        The first of ``sources`` ("collaborative", "content") with an active model that knows the movie
        answers, looking at its ``n`` nearest (all by default); the genres shared answer when none does.
        ``keep=False`` for one-off questions (a card's reason, a movie page), which would only fill the cache.
        """
        key = (movie_id, sources, n)
        if key in self._similarities:
            return self._similarities[key]
        found = self._similarity(movie_id, sources, n)
        if keep:
            self._similarities[key] = found
        return found

    def _similarity(self, movie_id: int, sources: tuple[str, ...], n: int | None) -> tuple[np.ndarray, str]:
        models = {COLLABORATIVE: self.models.collaborative_similarity, CONTENT: self.models.content_similarity}
        for source in sources:
            model = models[source]
            neighbours = model.similar_items(movie_id, n or len(model.item_ids)) if model is not None else []
            if neighbours:
                vector = np.zeros(len(self.catalog))
                positions, known = self.catalog.positions([item for item, _ in neighbours])
                vector[positions[known]] = np.array([value for _, value in neighbours])[known]
                return vector, source
        return self._genre_similarity(movie_id), GENRES

    def _genre_similarity(self, movie_id: int) -> np.ndarray:
        """Jaccard overlap of genre sets."""
        positions, known = self.catalog.positions([movie_id])
        vector = np.zeros(len(self.catalog))
        if not known[0]:
            return vector
        genres = self.catalog.genres.astype(np.float64)
        seed = genres[positions[0]]
        shared = genres @ seed
        union = genres.sum(axis=1) + seed.sum() - shared
        np.divide(shared, union, out=vector, where=union > 0)
        vector[positions[0]] = 0.0
        return vector

    def shared_genres(self, a: int, b: int) -> list[str]:
        both = np.flatnonzero(self.catalog.genres[a] & self.catalog.genres[b])
        return [self.catalog.genre_names[g] for g in both]

    # -- reasons -------------------------------------------------------------------------------------------------

    def personal_reason(self, position: int) -> str | None:
        """Why this person would like the movie at ``position`` (``recommender.rows.reasons``), kept."""
        if position not in self._reasons:
            self._reasons[position] = personal_reason(self, position)
        return self._reasons[position]

    @cached_property
    def specs(self) -> list[RowSpec]:
        """This page's rows in order: the anonymous page when there is no person."""
        return anonymous_specs(self) if self.state is None else signed_in_specs(self)

    def page(self, limit: int) -> Page:
        """The de-duplicated layout at ``limit`` cards per row (kept: lazily loaded rows share it)."""
        with self.lock:
            if limit not in self._pages:
                self._pages[limit] = Page(self, self.specs, limit)
            return self._pages[limit]
