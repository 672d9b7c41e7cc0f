"""What the row builder reads, as plain arrays: the catalog, everyone's rating statistics, and one person.

``recommender.selectors`` fills these from the database for the site; the served-rows evaluation
(``recommender.evaluation.served``) fills them from a split, so the same rows can be measured offline.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property

import numpy as np

from recommender.algorithms.interactions import History

#: "Trending" counts ratings made in this window before the newest rating (not before now: imported
#: data sets end years ago, and their last month is still the most recent activity they have).
TRENDING_WINDOW = timedelta(days=30)
#: A movie is trending only with at least this many ratings inside the window (one rating is not a trend).
TRENDING_MIN_RATINGS = 3
#: Damping of a movie's mean rating towards the global mean, as in the popularity model.
DAMPING = 5.0


@dataclass(frozen=True, eq=False)
class CatalogSnapshot:
    """Every movie as arrays aligned by position; ``ids`` are movie pks in ascending order."""

    fingerprint: tuple
    ids: np.ndarray  # int64, sorted
    titles: list[str]
    genre_ids: np.ndarray  # int64 genre pks, one per genre column
    genre_names: list[str]
    genre_slugs: list[str]
    genres: np.ndarray  # bool, movies x genres
    newest_first: np.ndarray  # positions, most recently created movie first
    built_at: float
    years: np.ndarray | None = None  # float64 release year per position, NaN when unknown

    def __len__(self) -> int:
        return len(self.ids)

    def positions(self, movie_ids: np.ndarray | list[int]) -> tuple[np.ndarray, np.ndarray]:
        """(positions, known) for ``movie_ids``; an id not in the catalog gets position 0 and known False."""
        wanted = np.asarray(movie_ids, dtype=np.int64)
        found = np.clip(np.searchsorted(self.ids, wanted), 0, max(len(self.ids) - 1, 0))
        known = self.ids[found] == wanted if len(self.ids) else np.zeros(len(wanted), dtype=bool)
        return np.where(known, found, 0), known

    def mask(self, movie_ids: np.ndarray | list[int]) -> np.ndarray:
        """A boolean vector over the catalog, True at ``movie_ids``."""
        positions, known = self.positions(movie_ids)
        out = np.zeros(len(self.ids), dtype=bool)
        out[positions[known]] = True
        return out

    @cached_property
    def genre_index(self) -> dict[int, int]:
        return {int(pk): column for column, pk in enumerate(self.genre_ids)}

    @cached_property
    def slug_index(self) -> dict[str, int]:
        return {slug: column for column, slug in enumerate(self.genre_slugs)}


@dataclass(frozen=True, eq=False)
class RatingStats:
    """What everyone's ratings say about each catalog position."""

    fingerprint: tuple  # (the CatalogSnapshot it is aligned with, newest rating id, newest rating update)
    counts: np.ndarray  # int64 ratings per movie
    damped_means: np.ndarray  # float64, mean pulled towards the global mean by DAMPING ratings
    means: np.ndarray  # float64, the plain mean rating people see on a card (NaN: no ratings)
    recent_counts: np.ndarray  # int64 ratings inside TRENDING_WINDOW
    built_at: float
    build_seconds: float

    @cached_property
    def rated_median(self) -> float:
        """The median rating count among movies that have any ratings (0 when none do)."""
        return self.rated_quantile(0.5)

    def rated_quantile(self, q: float) -> float:
        """The ``q`` quantile of the rating counts among movies that have any ratings (0 when none do)."""
        rated = self.counts[self.counts > 0]
        return float(np.quantile(rated, q)) if len(rated) else 0.0


@dataclass(frozen=True)
class Preferences:
    """A person's controls over Top picks: which model makes them, and three dials applied at ranking time.

    ``popularity`` -1 favours popular movies, 1 hidden gems; ``adventure`` 0..1 trades relevance for variety
    within the row; ``recency`` -1 favours classics, 1 recent films. The defaults leave the blend's ranking as is.
    """

    source: str = "balanced"
    popularity: float = 0.0
    adventure: float = 0.0
    recency: float = 0.0

    @property
    def neutral(self) -> bool:
        return self == Preferences()


@dataclass(frozen=True, eq=False)
class PersonState:
    """One person's ratings, feedback and onboarding genres, read fresh for this request."""

    user_id: int
    history: History  # the ratings, time order
    feedback: dict[str, list[tuple[int, float]]]  # kind -> [(movie id, timestamp)], newest first
    favourite_genres: tuple[int, ...]  # genre pks
    preferences: Preferences = field(default_factory=Preferences)
    #: Reads the person's star hints (score -> titles they gave it) when a card first needs them.
    star_hints_read: Callable[[], Mapping[float, list[str]]] | None = field(default=None, repr=False)

    @cached_property
    def star_hints(self) -> Mapping[float, list[str]]:
        """The star controls' hints, read once for every row drawn from this state (none when nothing reads them)."""
        return self.star_hints_read() if self.star_hints_read is not None else {}

    @cached_property
    def digest(self) -> str:
        """Changes whenever anything above changes: the history version that personal caches are keyed by."""
        hasher = hashlib.blake2b(digest_size=16)
        hasher.update(np.ascontiguousarray(self.history.item_ids).tobytes())
        hasher.update(np.ascontiguousarray(self.history.ratings).tobytes())
        for kind in sorted(self.feedback):
            hasher.update(f"|{kind}:{[movie for movie, _ in self.feedback[kind]]}".encode())
        hasher.update(f"|genres:{sorted(self.favourite_genres)}".encode())
        hasher.update(f"|preferences:{self.preferences}".encode())
        return hasher.hexdigest()

    def feedback_ids(self, kind: str) -> list[int]:
        return [movie for movie, _ in self.feedback.get(kind, ())]
