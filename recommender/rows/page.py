"""A page of rows: each row ranks its candidates and takes the best that no earlier row has shown.

Any one row can be built alone (the home page loads rows lazily) and still matches the page it belongs to.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from django.http import Http404

from recommender.rows.builders import BUILDERS, Candidates, RowSpec

if TYPE_CHECKING:
    from collections.abc import Mapping

    from catalog.models import Movie
    from ratings.selectors import MovieState
    from recommender.rows.person import Taste


@dataclass(frozen=True)
class Card:
    movie: Movie  # with genres prefetched
    score: float  # the score the row was ranked by
    predicted_rating: float | None  # stars 0.5..5 when an explicit model can say (signed-in people)
    reason: str
    average: tuple[float, int] | None = None  # (mean rating, ratings): shown to visitors instead


@dataclass(frozen=True)
class Row:
    key: str
    title: str
    cards: list[Card]
    #: During an experiment: its id, and the arm ("a" or "b") that put each movie in this row.
    experiment_id: int | None = None
    arms: dict[int, str] = field(default_factory=dict)
    #: For a signed-in person, from the state the row was ranked from, so that drawing its cards reads neither
    #: again: what they said about each card's movie (by movie id; none said, none there) and their star hints
    #: (read when first drawn). None: not known here (``ratings.selectors.card_tiles`` reads them).
    said: Mapping[int, MovieState] | None = None
    star_hints: Mapping[float, list[str]] | None = None

    @property
    def seed_movie_id(self) -> int | None:
        """The movie a "Because you rated" row grows from (the person may stop it being a seed)."""
        prefix, _, movie = self.key.partition("-")
        return int(movie) if prefix == "because" and movie.isdigit() else None


@dataclass(frozen=True)
class Pick:
    """A card before its Movie is fetched."""

    movie_id: int
    score: float
    predicted_rating: float | None
    reason: str
    average: tuple[float, int] | None = None


class UnknownRowError(KeyError, Http404):
    """No row with that key on this person's page (a view that lets it escape answers 404)."""


def rank(taste: Taste, candidates: Candidates, allowed: np.ndarray, limit: int) -> list[Pick]:
    """The ``limit`` best allowed candidates (ties: more popular, then lower pk), with predicted stars and reasons."""
    scores = candidates.scores
    eligible = np.flatnonzero(np.isfinite(scores) & allowed)
    # An adventurous row chooses among the best ADVENTURE_POOL x limit; a plain one takes the best limit.
    pool = limit * ADVENTURE_POOL if candidates.adventure > 0 else limit
    if len(eligible) > pool > 0:
        # Only scores at least as good as the pool-th best can make the row; keeping all of them keeps ties exact.
        threshold = np.partition(scores[eligible], len(eligible) - pool)[len(eligible) - pool]
        eligible = eligible[scores[eligible] >= threshold]
    order = np.lexsort((taste.catalog.ids[eligible], -taste.tiebreak[eligible], -scores[eligible]))
    ranked = eligible[order]
    if candidates.adventure > 0 and len(ranked) > 1:
        chosen = _diversified(taste, ranked[: max(pool, 0)], scores, candidates.adventure, limit)
    else:
        chosen = ranked[: max(limit, 0)]
    taste.predict_positions(chosen.tolist())
    return [
        Pick(
            int(taste.catalog.ids[p]),
            float(scores[p]),
            taste.predicted_at(p),
            candidates.reason(int(p)),
            None if taste.state is not None else taste.average_at(p),
        )
        for p in chosen
    ]


#: Maximal marginal relevance looks this many times the row's length down the ranking for varied picks.
ADVENTURE_POOL = 4


def _diversified(taste: Taste, pool: np.ndarray, scores: np.ndarray, weight: float, limit: int) -> np.ndarray:
    """Maximal marginal relevance (Carbonell and Goldstein 1998) over ``pool``, the best candidates in rank order:
    each next pick maximises (1 - weight) x relevance - weight x its greatest genre similarity to the picks so far."""
    genres = taste.catalog.genres[pool].astype(np.float64)
    norms = np.linalg.norm(genres, axis=1)
    similarity = np.divide(
        genres @ genres.T,
        np.outer(norms, norms),
        out=np.zeros((len(pool), len(pool))),
        where=np.outer(norms, norms) > 0,
    )
    relevance = scores[pool]
    spread = relevance.max() - relevance.min()
    relevance = (relevance - relevance.min()) / spread if spread > 0 else np.ones(len(pool))
    picked: list[int] = []
    closest = np.zeros(len(pool))
    available = np.ones(len(pool), dtype=bool)
    for _ in range(min(limit, len(pool))):
        value = np.where(available, (1 - weight) * relevance - weight * closest, -np.inf)
        best = int(np.argmax(value))
        picked.append(best)
        available[best] = False
        closest = np.maximum(closest, similarity[best])
    return pool[picked]


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
