"""Popularity: the same list for everyone, by rating count or by damped mean rating; also per genre."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Self

import numpy as np

from recommender.algorithms.base import Config, Recommender, load_arrays, save_arrays, top_n
from recommender.algorithms.baseline import clip_ratings, require_choice, require_non_negative
from recommender.algorithms.interactions import History, Interactions

KINDS = ("count", "damped_mean")


@dataclass
class PopularityConfig(Config):
    #: "count" ranks by how many people rated an item; "damped_mean" by its mean pulled towards the global mean.
    kind: str = "count"
    #: How many global-mean ratings the damped mean starts from, so one 5-star rating does not top the chart.
    damping: float = 5.0

    def __post_init__(self) -> None:
        require_choice(self, "kind", KINDS)
        require_non_negative(self, "damping")


class Popularity(Recommender):
    """Scores do not depend on the person; ``predict`` is the item's damped mean rating."""

    name = "popularity"
    config_class = PopularityConfig
    estimates_ratings = True

    config: PopularityConfig

    def fit(self, data: Interactions) -> Self:
        damping = self.config.damping
        counts = np.bincount(data.items, minlength=data.n_items)
        sums = np.bincount(data.items, data.ratings.astype(np.float64), minlength=data.n_items)
        self.global_mean = data.global_mean
        # An item nobody rated has no mean of its own (even undamped): the global mean is the honest guess.
        damped_mean = np.divide(
            sums + damping * self.global_mean,
            counts + damping,
            out=np.full(data.n_items, self.global_mean),
            where=counts + damping > 0,
        )
        self.counts = counts.astype(np.int64)
        self.damped_mean = damped_mean.astype(np.float32)
        self.genre_names, self.genre_items, self.genre_codes = _genre_pairs(data)
        self._set_items(data.item_ids)
        return self

    def score(self, history: History, items: np.ndarray | None = None) -> np.ndarray:
        positions, known = self.positions(items)
        scores = self._scores()[positions]
        return np.where(known, scores, np.nan)

    def predict(self, history: History, items: np.ndarray) -> np.ndarray:
        positions, known = self.positions(items)
        return clip_ratings(np.where(known, self.damped_mean[positions], self.global_mean))

    def top_in_genre(self, genre: str, n: int) -> list[tuple[int, float]]:
        """The ``n`` most popular items of ``genre`` (case-insensitive) as (item id, score); [] for an unknown genre."""
        self._require_fitted()
        wanted = np.flatnonzero(np.char.lower(self.genre_names) == genre.lower())
        if len(wanted) == 0:
            return []
        positions = self.genre_items[np.isin(self.genre_codes, wanted)]
        return top_n(self.item_ids[positions], self._scores()[positions], n)

    def _scores(self) -> np.ndarray:
        return self.counts.astype(np.float64) if self.config.kind == "count" else self.damped_mean.astype(np.float64)

    def save_state(self, directory: Path) -> None:
        save_arrays(
            directory,
            item_ids=self.item_ids,
            global_mean=np.array(self.global_mean),
            counts=self.counts,
            damped_mean=self.damped_mean,
            genre_names=self.genre_names,
            genre_items=self.genre_items,
            genre_codes=self.genre_codes,
        )

    def load_state(self, directory: Path) -> None:
        arrays = load_arrays(directory)
        self.global_mean = float(arrays["global_mean"])
        self.counts = arrays["counts"]
        self.damped_mean = arrays["damped_mean"]
        self.genre_names = arrays["genre_names"]
        self.genre_items = arrays["genre_items"]
        self.genre_codes = arrays["genre_codes"]
        self._set_items(arrays["item_ids"])


def _genre_pairs(data: Interactions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The genre vocabulary and one (item position, genre code) pair per genre an item has."""
    if data.item_features is None:
        return np.array([], dtype=str), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    names = sorted({genre for genres in data.item_features.genres for genre in genres})
    code = {genre: k for k, genre in enumerate(names)}
    items = [position for position, genres in enumerate(data.item_features.genres) for _ in genres]
    codes = [code[genre] for genres in data.item_features.genres for genre in genres]
    return np.array(names, dtype=str), np.array(items, dtype=np.int64), np.array(codes, dtype=np.int64)
