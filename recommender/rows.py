"""The row generator: candidates -> reasons -> filter -> rank -> de-duplicate across rows.

A :class:`Taste` is what the active models think of one person right now: every
score is computed once over the whole catalog (vectorized, with the person's
current ratings folded in) and kept for as long as the Taste lives. A
:class:`Page` lays the rows out in order; each row takes the best candidates that
no earlier row has shown, so any one row can be built alone (the home page loads
rows lazily) and still matches the page it belongs to.

No Django queries happen here: the catalog, the statistics and the person's state
arrive as arrays from ``recommender.selectors``.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from django.http import Http404
from scipy.stats import rankdata

from catalog.models import Movie
from ratings.models import FeedbackKind
from recommender.algorithms.base import Recommender
from recommender.algorithms.interactions import History
from recommender.selectors import CatalogSnapshot, PersonState, RatingStats

#: A rating at or above this is "liked": it seeds "Because you rated" rows and explains picks.
LIKED_RATING = 4.0
#: The middle of the 0.5-5 scale: a rating above it draws the person towards the movie's genres, the more the higher.
NEUTRAL_RATING = 2.5
#: "More like this" enters the fold-in history as this rating, so every model moves towards the movie.
MORE_LIKE_THIS_RATING = 4.5
#: How far one "more / less like this" moves a movie in the blend, per unit of similarity (blend scores are 0..1).
FEEDBACK_WEIGHT = 1.0
#: Only the most recent feedback of each kind shifts the blend (each one costs a similarity lookup).
FEEDBACK_SEEDS = 20
#: Weights in the Top picks blend; every other model counts 1.
POPULARITY_WEIGHT = 0.25
CONTENT_WEIGHT = 0.5
BECAUSE_ROWS = 3
#: "Popular in <genre>" rows: fewer once other rows have the person's ratings to work from.
GENRE_ROWS_RATED, GENRE_ROWS_COLD = 2, 3
ANONYMOUS_GENRE_ROWS = 4
#: Neighbours looked at when explaining a pick by a liked movie.
REASON_NEIGHBOURS = 50
#: A reason may name one of the person's this many favourite genres (beyond them "your taste" would be a stretch).
TASTE_GENRES = 3
#: A hidden gem has at least this many ratings (fewer says nothing) and at most the median count.
GEM_MIN_RATINGS = 3
GEM_MIN_STARS = 3.5
#: "New in the catalog" considers this many most recently added movies having at most NEW_MAX_RATINGS ratings.
NEW_CANDIDATES = 200
NEW_MAX_RATINGS = 10

COLLABORATIVE, CONTENT, GENRES = "collaborative", "content", "genres"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Card:
    movie: Movie  # with genres prefetched
    score: float  # the score the row was ranked by
    predicted_rating: float | None  # stars 0.5..5 when an explicit model can say
    reason: str


@dataclass(frozen=True)
class Row:
    key: str
    title: str
    cards: list[Card]


@dataclass(frozen=True)
class RowSpec:
    key: str
    title: str
    kind: str
    seed: int | None = None  # the seed movie id ("because") or genre column ("popular-in", "genre")


@dataclass(frozen=True)
class Pick:
    """A card before its Movie is fetched."""

    movie_id: int
    score: float
    predicted_rating: float | None
    reason: str


class UnknownRowError(KeyError, Http404):
    """No row with that key on this person's page (a view that lets it escape answers 404)."""


class ServingModels:
    """The active models of every family, and which of them plays which part in serving."""

    def __init__(self, families: dict[str, dict[str, Recommender]]) -> None:
        self.families = families

    @cached_property
    def key(self) -> tuple[int, ...]:
        """Identity of the loaded models: a new version is a new object (the Taste keeps these alive)."""
        return tuple(id(model) for family in sorted(self.families) for model in self.families[family].values())

    def _all(self, family: str) -> list[tuple[str, Recommender]]:
        return list(self.families.get(family, {}).items())

    @cached_property
    def popularity(self) -> Recommender | None:
        return self.families.get(COLLABORATIVE, {}).get("popularity")

    @cached_property
    def personal_collaborative(self) -> list[Recommender]:
        return [model for name, model in self._all(COLLABORATIVE) if name != "popularity"]

    @cached_property
    def predictor(self) -> Recommender | None:
        """The explicit model whose estimates become the cards' predicted stars (popularity is not personal)."""
        return next((model for model in self.personal_collaborative if model.explicit), None)

    @cached_property
    def collaborative_similarity(self) -> Recommender | None:
        # Item kNN first: its neighbours are literally "people who liked X also liked Y", the easiest to explain.
        models = sorted(self.personal_collaborative, key=lambda model: model.name != "item_knn")
        return next((model for model in models if hasattr(model, "similar_items")), None)

    @cached_property
    def content(self) -> Recommender | None:
        return next((model for _, model in self._all(CONTENT)), None)

    @cached_property
    def content_similarity(self) -> Recommender | None:
        return self.content if hasattr(self.content, "similar_items") else None

    @cached_property
    def ncf(self) -> Recommender | None:
        return next((model for _, model in self._all("ncf")), None)

    @cached_property
    def sequence(self) -> Recommender | None:
        return next((model for _, model in self._all("sequence")), None)

    @cached_property
    def blend(self) -> list[tuple[Recommender, float]]:
        """The Top picks components and their weights (popularity is added by the Taste, from a model or the DB)."""
        parts = [(model, 1.0) for model in self.personal_collaborative]
        parts += [(model, 1.0) for _, model in self._all("ncf")]
        parts += [(model, CONTENT_WEIGHT) for _, model in self._all(CONTENT)]
        return parts


# model -> (catalog, positions of model.item_ids in it, known); weak so a retired model version is not kept alive.
_alignments: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_alignments_lock = threading.Lock()


def _alignment(model: Recommender, catalog: CatalogSnapshot) -> tuple[np.ndarray, np.ndarray]:
    with _alignments_lock:
        cached = _alignments.get(model)
        if cached is None or cached[0] is not catalog:
            cached = (catalog, *catalog.positions(model.item_ids))
            _alignments[model] = cached
    return cached[1], cached[2]


def scatter(model: Recommender, catalog: CatalogSnapshot, values: np.ndarray) -> np.ndarray:
    """``values`` given per ``model.item_ids`` as a vector over the catalog (NaN where the model has no value)."""
    positions, known = _alignment(model, catalog)
    out = np.full(len(catalog), np.nan)
    out[positions[known]] = np.asarray(values, dtype=np.float64)[known]
    return out


def percentiles(scores: np.ndarray) -> np.ndarray:
    """Each finite score's rank among the finite ones, scaled to 0..1 (ties share a rank); NaN stays NaN.

    Ranks make models with different score scales (counts, cosines, logits) blendable with plain weights.
    """
    out = np.full(len(scores), np.nan)
    finite = np.isfinite(scores)
    count = int(finite.sum())
    if count == 1:
        out[finite] = 0.5
    elif count > 1:
        out[finite] = (rankdata(scores[finite]) - 1.0) / (count - 1.0)
    return out


def stars(score: float) -> str:
    return f"{score:g} star" if score == 1 else f"{score:g} stars"


def join_names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


class Taste:
    """What the active models think of one person (or of anyone, when ``state`` is None), over the whole catalog.

    Everything is computed on first use and kept: the services cache a Taste per
    (person, history version, model versions, catalog), so it never outlives a rating.
    """

    def __init__(
        self,
        *,
        catalog: CatalogSnapshot,
        stats: RatingStats,
        models: ServingModels,
        state: PersonState | None,
    ) -> None:
        self.catalog = catalog
        self.stats = stats
        self.models = models
        self.state = state
        self.lock = threading.Lock()
        self._scores: dict[int, np.ndarray] = {}
        self._similarities: dict[tuple, tuple[np.ndarray, str]] = {}
        self._reasons: dict[int, str | None] = {}
        self._pages: dict[int, Page] = {}

    # -- the person ------------------------------------------------------------------------------------------------

    def feedback_ids(self, kind: str) -> list[int]:
        return self.state.feedback_ids(kind) if self.state else []

    @cached_property
    def history(self) -> History:
        """The fold-in history: the ratings, plus "more like this" as a positive rating at the time it was given."""
        if self.state is None:
            return History.empty()
        history = self.state.history
        rated = set(history.item_ids.tolist())
        more = [
            (movie, at) for movie, at in self.state.feedback.get(FeedbackKind.MORE_LIKE_THIS, ()) if movie not in rated
        ]
        if not more:
            return history
        stamps = history.timestamps if history.timestamps is not None else np.zeros(len(history))
        return History.from_arrays(
            np.concatenate([history.item_ids, [movie for movie, _ in more]]),
            np.concatenate([history.ratings, np.full(len(more), MORE_LIKE_THIS_RATING)]),
            np.concatenate([stamps, [at for _, at in more]]),
            user_id=history.user_id,
        )

    @cached_property
    def excluded(self) -> np.ndarray:
        """Never shown anywhere: what the person rated or marked not interested."""
        ids = list(self.state.history.item_ids) if self.state else []
        return self.catalog.mask(ids + self.feedback_ids(FeedbackKind.NOT_INTERESTED))

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
        for movie, rating in zip(history.item_ids[::-1].tolist(), history.ratings[::-1].tolist(), strict=True):
            if rating >= LIKED_RATING:
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
        """Catalog positions of the most recent highly rated movies (real ratings only), newest first."""
        if self.state is None:
            return []
        history = self.state.history
        newest_first = zip(history.item_ids[::-1].tolist(), history.ratings[::-1].tolist(), strict=True)
        recent = [movie for movie, rating in newest_first if rating >= LIKED_RATING]
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
        model = self.models.predictor
        if model is None:
            return None
        return self._scatter_safely(model, "predict", lambda: model.predict(self.history, model.item_ids))

    def predicted_at(self, position: int) -> float | None:
        if self.predicted is None or not np.isfinite(self.predicted[position]):
            return None
        return round(float(self.predicted[position]), 2)

    @cached_property
    def blend(self) -> np.ndarray:
        """Top picks: the weighted mean of each model's percentile scores, shifted by more / less like this."""
        parts = [(percentiles(self.scores(model)), weight) for model, weight in self.models.blend]
        parts.append((percentiles(self.popularity), POPULARITY_WEIGHT))
        values = np.stack([values for values, _ in parts])
        weights = np.array([weight for _, weight in parts])[:, None] * np.isfinite(values)
        total = weights.sum(axis=0)
        mixed = np.divide(
            (np.nan_to_num(values) * weights).sum(axis=0), total, out=np.full(values.shape[1], np.nan), where=total > 0
        )
        return mixed + self.feedback_shift

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
        """Why this person would like the movie at ``position``, or None when nothing personal says so.

        1. A liked movie among its nearest neighbours: "Because you rated Heat 5 stars".
        2. One of the person's TASTE_GENRES favourite genres: "Matches your taste for Drama".
        3. A high predicted rating: "We think you'll rate it 4.3 stars".
        """
        if position not in self._reasons:
            self._reasons[position] = self._personal_reason(position)
        return self._reasons[position]

    def _personal_reason(self, position: int) -> str | None:
        if self.liked:
            movie_id = int(self.catalog.ids[position])
            vector, _ = self.similarity(movie_id, (COLLABORATIVE, CONTENT), REASON_NEIGHBOURS, keep=False)
            liked = np.fromiter(self.liked, dtype=np.int64, count=len(self.liked))
            closeness = vector[liked]
            if closeness.max() > 0:
                # argmax takes the first of equals: liked is newest first, so the most recent liked movie wins.
                best = int(liked[np.argmax(closeness)])
                return self.liked[best].format(title=self.catalog.titles[best])
        for genre in self.top_genres[:TASTE_GENRES]:
            if self.catalog.genres[position, genre]:
                return f"Matches your taste for {self.catalog.genre_names[genre]}"
        predicted = self.predicted_at(position)
        if predicted is not None and predicted >= LIKED_RATING:
            return f"We think you'll rate it {predicted:.1f} stars"
        return None

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


# -- the rows ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidates:
    """One row before filtering: a score per catalog position (NaN = not a candidate) and how to explain each."""

    scores: np.ndarray
    reason: Callable[[int], str]
    #: False where this row may not show a movie even if it scores (default: Taste.banned).
    allowed: np.ndarray | None = None


def _top_picks(taste: Taste, spec: RowSpec) -> Candidates:
    return Candidates(taste.blend, lambda p: taste.personal_reason(p) or "Popular with MovieRec viewers")


def _because(taste: Taste, spec: RowSpec) -> Candidates:
    seed = int(spec.seed)
    vector, _ = taste.similarity(int(taste.catalog.ids[seed]), (COLLABORATIVE, CONTENT))
    text = taste.liked[seed].format(title=taste.catalog.titles[seed])
    # Similar to the seed first, but among equally similar movies the ones the blend expects this person to like:
    # a neighbour of a loved movie can still be one they would not enjoy (x0.5 at the blend's bottom, x1.5 at its top).
    fit = 0.5 + np.clip(np.nan_to_num(taste.blend, nan=0.5), 0.0, 1.0)
    return Candidates(np.where(vector > 0, vector * fit, np.nan), lambda p: text)


def _fans_like_you(taste: Taste, spec: RowSpec) -> Candidates:
    return Candidates(taste.scores(taste.models.ncf), lambda p: "Fans like you also loved it")


def _up_next(taste: Taste, spec: RowSpec) -> Candidates:
    last_positions, known = taste.catalog.positions(taste.history.item_ids[-1:])
    text = f"Up next after {taste.catalog.titles[int(last_positions[0])]}" if known.all() else "Up next for you"
    return Candidates(taste.scores(taste.models.sequence), lambda p: text)


def _popular_in(taste: Taste, spec: RowSpec) -> Candidates:
    genre = int(spec.seed)
    text = f"Popular in {taste.catalog.genre_names[genre]}"
    return Candidates(np.where(taste.catalog.genres[:, genre], taste.rated_popularity, np.nan), lambda p: text)


def _hidden_gems(taste: Taste, spec: RowSpec) -> Candidates:
    counts = taste.stats.counts
    few = (counts >= GEM_MIN_RATINGS) & (counts <= max(taste.stats.rated_median, GEM_MIN_RATINGS))
    predicted = taste.predicted
    base = predicted if predicted is not None else taste.stats.damped_means
    gems = few & (np.nan_to_num(base) >= GEM_MIN_STARS)

    def reason(position: int) -> str:
        if predicted is not None:
            return f"Only {counts[position]} ratings, and we think you'll give it {predicted[position]:.1f} stars"
        return f"Only {counts[position]} ratings, averaging {taste.stats.damped_means[position]:.1f} stars"

    return Candidates(np.where(gems, base + taste.feedback_shift, np.nan), reason)


def _new_in_catalog(taste: Taste, spec: RowSpec) -> Candidates:
    newest = taste.catalog.newest_first[:NEW_CANDIDATES]
    newest = newest[taste.stats.counts[newest] <= NEW_MAX_RATINGS]
    # Content similarity to the person's history where the content model knows the movie; otherwise (a movie
    # added after training, or no content model) how much of the person's genre taste it shares, on the same 0..1.
    affinity = taste.catalog.genres[newest] @ taste.genre_preference / max(taste.genre_preference.sum(), 1.0)
    if taste.models.content is not None:
        content = percentiles(taste.scores(taste.models.content))[newest]
        affinity = np.where(np.isfinite(content), content, affinity)
    scores = np.full(len(taste.catalog), np.nan)
    scores[newest] = affinity + taste.feedback_shift[newest]

    def reason(position: int) -> str:
        liked = [g for g in taste.top_genres[:TASTE_GENRES] if taste.catalog.genres[position, g]]
        return (
            f"New in the catalog, and you like {taste.catalog.genre_names[liked[0]]}" if liked else "New in the catalog"
        )

    return Candidates(scores, reason)


def _watchlist(taste: Taste, spec: RowSpec) -> Candidates:
    saved = taste.catalog.mask(taste.feedback_ids(FeedbackKind.WATCHLIST))
    # Ranked by what the person will most enjoy first; a movie no model can score still shows, last.
    scores = np.where(saved, np.nan_to_num(taste.blend, nan=-1.0), np.nan)
    return Candidates(scores, lambda p: "On your watchlist", allowed=~taste.excluded)


def _popular(taste: Taste, spec: RowSpec) -> Candidates:
    counts = taste.stats.counts
    return Candidates(taste.rated_popularity, lambda p: f"Rated by {counts[p]:,} people")


def _trending(taste: Taste, spec: RowSpec) -> Candidates:
    recent = taste.stats.recent_counts
    return Candidates(np.where(recent > 0, recent, np.nan), lambda p: f"Trending: {recent[p]:,} recent ratings")


BUILDERS: dict[str, Callable[[Taste, RowSpec], Candidates]] = {
    "top-picks": _top_picks,
    "because": _because,
    "fans-like-you": _fans_like_you,
    "up-next": _up_next,
    "popular-in": _popular_in,
    "hidden-gems": _hidden_gems,
    "new-in-catalog": _new_in_catalog,
    "watchlist": _watchlist,
    "popular": _popular,
    "trending": _trending,
    "genre": _popular_in,
}


def signed_in_specs(taste: Taste) -> list[RowSpec]:
    """The rows of a signed-in person's home page, in order; cheap (no model scores are computed)."""
    catalog, models = taste.catalog, taste.models
    specs = [RowSpec("top-picks", "Top picks for you", "top-picks")]
    for seed in taste.because_seeds:
        movie_id = int(catalog.ids[seed])
        specs.append(RowSpec(f"because-{movie_id}", f"Because you rated {catalog.titles[seed]}", "because", seed))
    if models.ncf is not None:
        specs.append(RowSpec("fans-like-you", "Fans like you also loved", "fans-like-you"))
    if models.sequence is not None and len(taste.history):
        specs.append(RowSpec("up-next", "Up next for you", "up-next"))
    genre_rows = GENRE_ROWS_RATED if len(taste.history) else GENRE_ROWS_COLD
    for genre in taste.top_genres[:genre_rows]:
        name, slug = catalog.genre_names[genre], catalog.genre_slugs[genre]
        specs.append(RowSpec(f"popular-in-{slug}", f"Popular in {name}", "popular-in", genre))
    specs.append(RowSpec("hidden-gems", "Hidden gems", "hidden-gems"))
    specs.append(RowSpec("new-in-catalog", "New in the catalog", "new-in-catalog"))
    if taste.feedback_ids(FeedbackKind.WATCHLIST):
        specs.append(RowSpec("watchlist", "Your watchlist", "watchlist"))
    return specs


def anonymous_specs(taste: Taste) -> list[RowSpec]:
    """Popular, trending, then the genres with the most ratings."""
    catalog = taste.catalog
    specs = [RowSpec("popular", "Popular on MovieRec", "popular"), RowSpec("trending", "Trending now", "trending")]
    volume = catalog.genres.T.astype(np.float64) @ taste.stats.counts
    for genre in np.lexsort((np.arange(len(volume)), -volume))[:ANONYMOUS_GENRE_ROWS]:
        if volume[genre] > 0:
            name, slug = catalog.genre_names[genre], catalog.genre_slugs[genre]
            specs.append(RowSpec(f"genre-{slug}", f"Popular in {name}", "genre", int(genre)))
    return specs


def rank(taste: Taste, candidates: Candidates, allowed: np.ndarray, limit: int) -> list[Pick]:
    """The ``limit`` best allowed candidates (ties: more popular, then lower pk), with predicted stars and reasons."""
    scores = candidates.scores
    eligible = np.flatnonzero(np.isfinite(scores) & allowed)
    if len(eligible) > limit > 0:
        # Only scores at least as good as the limit-th best can make the row; keeping all of them keeps ties exact.
        threshold = np.partition(scores[eligible], len(eligible) - limit)[len(eligible) - limit]
        eligible = eligible[scores[eligible] >= threshold]
    order = np.lexsort((taste.catalog.ids[eligible], -taste.tiebreak[eligible], -scores[eligible]))
    chosen = eligible[order][: max(limit, 0)]
    return [
        Pick(int(taste.catalog.ids[p]), float(scores[p]), taste.predicted_at(p), candidates.reason(int(p)))
        for p in chosen
    ]


class Page:
    """Rows in page order, each de-duplicated against every row before it; built up to the row asked for."""

    def __init__(self, taste: Taste, specs: list[RowSpec], limit: int) -> None:
        self.taste = taste
        self.specs = specs
        self.limit = limit
        self.lock = threading.Lock()
        self._rows: dict[str, list[Pick]] = {}
        self._shown = np.zeros(len(taste.catalog), dtype=bool)

    def row(self, key: str) -> list[Pick]:
        keys = [spec.key for spec in self.specs]
        if key not in keys:
            raise UnknownRowError(key)
        with self.lock:
            for spec in self.specs[: keys.index(key) + 1]:
                if spec.key not in self._rows:
                    self._rows[spec.key] = self._build(spec)
        return self._rows[key]

    def rows(self) -> list[tuple[RowSpec, list[Pick]]]:
        if self.specs:
            self.row(self.specs[-1].key)
        return [(spec, self._rows[spec.key]) for spec in self.specs]

    def _build(self, spec: RowSpec) -> list[Pick]:
        taste = self.taste
        candidates = BUILDERS[spec.kind](taste, spec)
        allowed = ~taste.banned if candidates.allowed is None else candidates.allowed
        picks = rank(taste, candidates, allowed & ~self._shown, self.limit)
        shown_ids = [pick.movie_id for pick in picks]
        self._shown |= taste.catalog.mask(shown_ids)
        return picks


def similar_to(taste: Taste, movie_id: int, kind: str) -> Candidates:
    """Movies like ``movie_id``: by who liked it ("collaborative") or by what it is ("content").

    Without an active model of that kind the genres shared stand in. What the person
    rated or marked not interested is left out, and so is the movie itself.
    """
    if kind not in (COLLABORATIVE, CONTENT):
        raise ValueError(f"kind must be {COLLABORATIVE!r} or {CONTENT!r}, got {kind!r}")
    vector, source = taste.similarity(movie_id, (kind,), keep=False)
    positions, known = taste.catalog.positions([movie_id])
    seed = int(positions[0]) if known[0] else None
    title = taste.catalog.titles[seed] if seed is not None else "this movie"
    allowed = ~taste.excluded
    if seed is not None:
        allowed[seed] = False

    def reason(position: int) -> str:
        if source == COLLABORATIVE:
            return f"Fans of {title} also liked it"
        shared = taste.shared_genres(seed, position) if seed is not None else []
        return f"Shares {join_names(shared)} with {title}" if shared else f"Similar in style and story to {title}"

    return Candidates(np.where(vector > 0, vector, np.nan), reason, allowed)
