"""A person's Top picks, kept for every web process in the fold store (``recommender.foldins``).

The API's Top picks cost a person's first request some 25 ms of scoring, ranking, stars and
reasons. The process that serves them keeps them in memory (``services.recommend_top_rendered``),
but another worker, another host, or this one after a restart would compute them again. So the
picks are also kept in the fold store, Redis in production, and read by everyone:

- The key holds everything Top picks are computed from: the person and their fingerprint (a new
  rating, feedback, favourite genre or dial changes it), the served models by their artifacts'
  checksums, the catalog's fingerprint, the request (limit, source, running experiment), and
  everyone's rating statistics where Top picks read them (no blend trained yet, or the
  popularity dial turned). So a kept pick is never served after a change it does not know.
- Kept picks live ``FOLD_IN_TTL_SECONDS`` (a day). Time alone changes nothing in Top picks but the end of a
  30-day "Not now", so a snoozed movie may come back up to a day late.
- What is kept is the row before its movies are fetched (``recommender.rows.Pick``): each
  process draws the cards from its own movie cache and renders them its own way.
- After an activation the training worker computes them for the most recently active people
  (``recommender.foldins.folds_warm``): people who existed at training time find them waiting.

Models fitted in this process have no checksum, and nothing is kept for them.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field

from recommender.foldins import serving_fold_store
from recommender.rows import Pick, ServingModels
from recommender.rows.inputs import CatalogSnapshot, RatingStats
from recommender.selectors import PersonFingerprint

logger = logging.getLogger(__name__)

#: Part of every key: raise it when what Top picks are made of changes (ranking, reasons, stars), so no process
#: serves picks an older release computed.
PICKS_VERSION = 1


@dataclass(frozen=True)
class KeptRow:
    """A served row without its movies: what a process needs to draw and render it."""

    title: str
    picks: list[Pick]
    experiment_id: int | None = None
    arms: dict[int, str] = field(default_factory=dict)

    def encode(self) -> bytes:
        picks = [[p.movie_id, p.score, p.predicted_rating, p.reason, p.average] for p in self.picks]
        arms = {str(movie): arm for movie, arm in self.arms.items()}
        return json.dumps([self.title, picks, self.experiment_id, arms], separators=(",", ":")).encode()

    @classmethod
    def decode(cls, value: bytes) -> KeptRow:
        title, picks, experiment_id, arms = json.loads(value)
        return cls(
            title=title,
            picks=[
                Pick(movie_id, score, predicted, reason, tuple(average) if average is not None else None)
                for movie_id, score, predicted, reason, average in picks
            ],
            experiment_id=experiment_id,
            arms={int(movie): arm for movie, arm in arms.items()},
        )


def picks_key(
    *,
    user_id: int,
    fingerprint: PersonFingerprint,
    models: ServingModels,
    catalog: CatalogSnapshot,
    stats: RatingStats,
    limit: int,
    source: str | None,
    experiment_id: int | None,
) -> str | None:
    """The key a person's Top picks are kept under, or None when a served model has no checksum to name it by."""
    names = models.names
    if names is None:
        return None
    reads_stats = models.blend is None or bool(fingerprint.dial_popularity)
    parts = (
        user_id,
        tuple(fingerprint),
        names,
        catalog.fingerprint,
        stats.fingerprint[1:] if reads_stats else None,
        limit,
        source,
        experiment_id,
    )
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
    return f"picks{PICKS_VERSION}:{user_id}:{digest}"


def picks_get(key: str) -> KeptRow | None:
    """The row kept under ``key``; None when there is none, the store is down, or what is there does not decode."""
    store = serving_fold_store()
    value = store.get(key) if store is not None else None
    if value is None:
        return None
    try:
        return KeptRow.decode(value)
    except (ValueError, TypeError):  # a torn write, or another release's layout: compute afresh
        logger.warning("Kept Top picks %s do not decode; computing them again", key)
        return None


def picks_put(key: str, row: KeptRow) -> None:
    """Keep ``row`` under ``key`` for every process (a lost write costs the next process a computation)."""
    store = serving_fold_store()
    if store is not None:
        store.set(key, row.encode())
