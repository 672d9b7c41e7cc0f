"""Neighbourhood models: item-item and user-user cosine similarity on baseline residuals.

Both estimate a rating as the baseline (mean + user bias + item bias) plus the
similarity-weighted mean residual of the neighbours, as Surprise's KNNBaseline
does, and rank for top-N by the similarity-weighted sum of those residuals.

Similarities are cosines over co-rated entries of the rating matrix after
``centering`` ("none": raw ratings; "item": minus the item mean; "user": minus
the user mean, the adjusted cosine; "baseline": minus the baseline estimate),
shrunk by ``(n - 1) / (n - 1 + shrinkage)`` for ``n`` co-ratings so that a
similarity resting on two ratings does not count like one resting on two hundred.
Nothing is ever dense over items x items or users x users: item similarities are
computed a block of rows at a time and only the top ``neighbours`` per item are
kept; user similarities are computed for the one person asked about, on the fly.
"""

from __future__ import annotations

import os
from abc import abstractmethod
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Self

import numpy as np
import scipy.sparse as sp

from recommender.algorithms.base import Config, Recommender, load_arrays, progress, save_arrays
from recommender.algorithms.baseline import (
    BaselineConfig,
    Biases,
    clip_ratings,
    fit_biases,
    fold_in_user_bias,
    require_choice,
    require_non_negative,
    require_positive,
    require_unique_pairs,
)
from recommender.algorithms.interactions import History, Interactions

CENTERINGS = ("none", "item", "user", "baseline")
#: Dense cells per block of the item-item computation: 32 MB per float64 array, about fifteen alive at once.
BLOCK_CELLS = 1 << 22
#: At most this many blocks are computed at once, whatever the cores: each holds about half a GB at its peak.
MAX_BLOCK_THREADS = 8
#: User kNN looks for each item's neighbours among this many most similar people, which bounds the work per request.
CANDIDATE_USERS = 2000


@dataclass
class KNNConfig(Config):
    #: Neighbours per item (item kNN: kept per item at fit time) or per estimate (user kNN).
    neighbours: int = 40
    shrinkage: float = 100.0
    centering: str = "baseline"
    #: Added to the sum of the neighbours' similarities in an estimate, so that one resting on a few weak
    #: neighbours stays near the baseline instead of copying their residual.
    damping: float = 0.0

    def __post_init__(self) -> None:
        require_positive(self, "neighbours")
        require_non_negative(self, "shrinkage", "damping")
        require_choice(self, "centering", CENTERINGS)


@dataclass
class ItemKNNConfig(KNNConfig):
    # Validation RMSE on ml-100k's folds (a seeded 10% of each uK.base; `make tune TUNE_ARGS="--algorithm item_knn
    # --protocol folds --set neighbours=50|100 --set damping=0.0|0.3"`): 0.9207 here, 0.9227 at 50 neighbours,
    # 0.9341 without damping.
    neighbours: int = 100
    damping: float = 0.3
    #: The similarities learn from at most this many of each person's latest ratings (0: all of them). Their
    #: cost grows with the square of each person's count, so the few people with tens of thousands of
    #: ratings (MovieLens 25M has them) would dominate a fit. On the synthetic 25M shape, a cap of 1,000
    #: cuts that sum of squares 18-fold and keeps 70% of the ratings. Nobody in ml-100k has more than 737,
    #: so no figure measured there changes. Biases and predictions still use every rating.
    max_user_ratings: int = 1000

    def __post_init__(self) -> None:
        super().__post_init__()
        require_non_negative(self, "max_user_ratings")


@dataclass
class UserKNNConfig(KNNConfig):
    # Confirmed on validation only: make tune TUNE_ARGS="--algorithm user_knn --protocol folds
    # --set 'neighbours=20|40|80'" gives RMSE 0.9240 here (20: 0.9252, 80: 0.9245). Damping as item kNN's.
    neighbours: int = 40
    damping: float = 0.3


def shrunk_cosine(
    dot: np.ndarray,
    left_squares: np.ndarray,
    right_squares: np.ndarray,
    count: np.ndarray,
    shrinkage: float,
    *,
    in_place: bool = False,
) -> np.ndarray:
    """Cosine over co-rated entries, shrunk towards 0 when few entries are shared (0 where undefined).

    ``in_place`` computes it in the four float64 arrays given, which it overwrites, and returns ``dot``: an
    item kNN block is a few dozen MB per array, and allocating a fresh one per step was a third of its time.
    """
    if not in_place:
        dot, left_squares, right_squares, count = (
            np.array(values, dtype=np.float64) for values in (dot, left_squares, right_squares, count)
        )
    norms = np.multiply(left_squares, right_squares, out=left_squares)
    np.sqrt(norms, out=norms)
    cosine = np.divide(dot, norms, out=dot, where=norms > 0)
    cosine[norms <= 0] = 0.0
    support = np.subtract(count, 1.0, out=count)
    np.maximum(support, 0.0, out=support)
    shrunk = np.add(support, shrinkage, out=right_squares)
    np.divide(support, shrunk, out=shrunk, where=support > 0)
    shrunk[support <= 0] = 0.0
    return np.multiply(cosine, shrunk, out=cosine)


class _Neighbourhood(Recommender):
    """What item and user kNN share: baselines, the centering of ratings, and the residual-weighted estimate."""

    estimates_ratings: ClassVar[bool] = True
    config: KNNConfig

    def _fit_baseline(self, data: Interactions) -> np.ndarray:
        """Fit biases and item means; returns the training users' biases."""
        require_unique_pairs(data)
        defaults = BaselineConfig()
        self.biases, user_bias = fit_biases(
            data, reg_user=defaults.reg_user, reg_item=defaults.reg_item, epochs=defaults.epochs
        )
        counts = np.bincount(data.items, minlength=data.n_items)
        sums = np.bincount(data.items, data.ratings.astype(np.float64), minlength=data.n_items)
        self.item_mean = np.divide(sums, counts, out=np.full(data.n_items, data.global_mean), where=counts > 0).astype(
            np.float32
        )
        return user_bias

    def _offsets(self, users: np.ndarray, items: np.ndarray, ratings: np.ndarray, user_bias: np.ndarray) -> np.ndarray:
        """What ``centering`` subtracts from each rating (users/items are positions; user_bias by user position)."""
        centering = self.config.centering
        if centering == "none":
            return np.zeros(len(ratings))
        if centering == "item":
            return self.item_mean[items].astype(np.float64)
        if centering == "user":
            sums = np.bincount(users, ratings.astype(np.float64), minlength=len(user_bias))
            counts = np.bincount(users, minlength=len(user_bias))
            return (sums / np.maximum(counts, 1))[users]
        return self._baseline(users, items, user_bias)

    def _baseline(self, users: np.ndarray, items: np.ndarray, user_bias: np.ndarray) -> np.ndarray:
        return self.biases.mean + user_bias[users] + self.biases.item[items].astype(np.float64)

    def _fold_in(self, history: History) -> tuple[np.ndarray, np.ndarray, float]:
        """The person's known rated positions, their baseline residuals, and their folded-in bias."""
        rated, ratings = self.history_positions(history)
        bias = fold_in_user_bias(self.biases, rated, ratings, BaselineConfig().reg_user)
        return rated, ratings - (self.biases.mean + bias + self.biases.item[rated]), bias

    @abstractmethod
    def _weighted_residuals(self, history: History, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """(sum of similarity x residual, sum of similarities, folded-in user bias) for the items at ``positions``."""

    def score(self, history: History, items: np.ndarray | None = None) -> np.ndarray:
        positions, known = self.positions(items)
        weighted, _, _ = self._weighted_residuals(history, positions)
        return np.where(known, weighted, np.nan)

    def predict(self, history: History, items: np.ndarray) -> np.ndarray:
        positions, known = self.positions(items)
        weighted, weights, user_bias = self._weighted_residuals(history, positions)
        weights = weights + self.config.damping
        deviation = np.divide(weighted, weights, out=np.zeros(len(positions)), where=weights > 0)
        estimate = self.biases.mean + user_bias + np.where(known, self.biases.item[positions] + deviation, 0.0)
        return clip_ratings(estimate)


class ItemKNN(_Neighbourhood):
    """Item-item kNN: a person's rated items vote for their most similar items."""

    name = "item_knn"
    config_class = ItemKNNConfig
    config: ItemKNNConfig

    def fit(self, data: Interactions) -> Self:
        user_bias = self._fit_baseline(data)
        values = data.ratings - self._offsets(data.users, data.items, data.ratings, user_bias)
        kept = latest_per_user(data, self.config.max_user_ratings)
        shape = (data.n_users, data.n_items)
        centered = sp.csr_matrix((values[kept], (data.users[kept], data.items[kept])), shape=shape)
        rated = sp.csr_matrix((data.ratings[kept], (data.users[kept], data.items[kept])), shape=shape)
        self.similarity = item_neighbours(
            centered, rated, shrinkage=self.config.shrinkage, neighbours=self.config.neighbours
        )
        self.voters = self.similarity.T.tocsr()
        self._set_items(data.item_ids)
        return self

    def _weighted_residuals(self, history: History, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        rated, residuals, user_bias = self._fold_in(history)
        # Only the rated movies' columns of the similarities: each votes for the movies that keep it as a
        # neighbour. A product with the whole matrix read every row of it, 70 MB per person at the 25M shape;
        # a few hundred ratings touch a sliver of that.
        votes = self.voters[rated].T @ np.column_stack([residuals, np.ones(len(rated))])
        return votes[positions, 0], votes[positions, 1], user_bias

    def similar_items(self, item_id: int, n: int) -> list[tuple[int, float]]:
        """The ``n`` items most similar to ``item_id``, most similar first; [] for an item the model does not know."""
        positions, known = self.positions(np.array([item_id]))
        if not known[0]:
            return []
        # The row's slice of the CSR arrays: a quarter of the time of ``similarity[p]``, which builds a matrix.
        start, end = self.similarity.indptr[positions[0]], self.similarity.indptr[positions[0] + 1]
        neighbours, values = self.similarity.indices[start:end], self.similarity.data[start:end]
        order = np.lexsort((self.item_ids[neighbours], -values))[:n]
        return list(zip(self.item_ids[neighbours[order]].tolist(), values[order].tolist(), strict=True))

    def save_state(self, directory: Path) -> None:
        save_arrays(
            directory,
            item_ids=self.item_ids,
            mean=np.array(self.biases.mean),
            item_bias=self.biases.item,
            item_mean=self.item_mean,
            indptr=self.similarity.indptr,
            indices=self.similarity.indices,
            similarity=self.similarity.data,
            voters_indptr=self.voters.indptr,
            voters_indices=self.voters.indices,
            voters=self.voters.data,
        )

    def load_state(self, directory: Path) -> None:
        arrays = load_arrays(directory)
        self.biases = Biases(mean=float(arrays["mean"]), item=arrays["item_bias"])
        self.item_mean = arrays["item_mean"]
        n = len(arrays["item_ids"])
        self.similarity = sp.csr_matrix((arrays["similarity"], arrays["indices"], arrays["indptr"]), shape=(n, n))
        if "voters" in arrays:
            self.voters = sp.csr_matrix(
                (arrays["voters"], arrays["voters_indices"], arrays["voters_indptr"]), shape=(n, n)
            )
        else:  # saved before the columns were kept: each process transposes its own copy
            self.voters = self.similarity.T.tocsr()
        self._set_items(arrays["item_ids"])


def latest_per_user(data: Interactions, limit: int) -> np.ndarray:
    """A mask of each person's ``limit`` latest ratings (0: every rating), ties in time by their order here."""
    if limit <= 0 or len(data) == 0 or np.bincount(data.users).max() <= limit:
        return np.ones(len(data), dtype=bool)
    order = np.lexsort((-data.timestamps, data.users))  # each person's ratings, newest first
    users = data.users[order]
    starts = np.searchsorted(users, users, side="left")
    keep = np.zeros(len(data), dtype=bool)
    keep[order[np.arange(len(order)) - starts < limit]] = True
    return keep


def item_neighbours(
    centered: sp.csr_matrix, rated: sp.csr_matrix, *, shrinkage: float, neighbours: int, threads: int | None = None
) -> sp.csr_matrix:
    """Items x items shrunk cosine similarities, keeping each item's top ``neighbours`` positive ones.

    1. Take a block of items (rows) so that a dense block x all-items array stays under BLOCK_CELLS.
    2. Three sparse products give, for every pair, the dot product of centered ratings, the number
       of people who rated both, and each side's squared norm over those people only.
    3. Shrink, drop the item itself, keep the top ``neighbours`` positive similarities of each row.

    Blocks are independent, and scipy's sparse products and numpy's array passes let go of the GIL, so
    ``threads`` blocks (default: one per core this process may use, at most MAX_BLOCK_THREADS) are computed
    at once. The result is the same whatever the number of threads.
    """
    n_items = centered.shape[1]
    centered = centered.tocsr().astype(np.float64)
    indicator = rated.tocsr().astype(np.float64)
    indicator.data[:] = 1.0
    squared = centered.multiply(centered).tocsr()
    centered_t, indicator_t, squared_t = (m.T.tocsr() for m in (centered, indicator, squared))
    # Co-rating counts and the other side's squared norms share their left operand: one product gives both.
    counted_and_squared = sp.hstack([indicator, squared], format="csr")
    block = max(1, BLOCK_CELLS // max(n_items, 1))
    keep = min(neighbours, max(n_items - 1, 1))

    def top_of_block(start: int) -> tuple[np.ndarray, np.ndarray]:
        stop = min(start + block, n_items)
        both = (indicator_t[start:stop] @ counted_and_squared).toarray()
        sim = shrunk_cosine(
            (centered_t[start:stop] @ centered).toarray(),
            (squared_t[start:stop] @ indicator).toarray(),
            both[:, n_items:],
            both[:, :n_items],
            shrinkage,
            in_place=True,
        )
        del both
        sim[np.arange(stop - start), np.arange(start, stop)] = 0.0
        if keep < n_items:
            # A copy, not a view: a view would keep the whole block's ordering alive until the end.
            top = np.argpartition(-sim, keep - 1, axis=1)[:, :keep].copy()
        else:
            top = np.tile(np.arange(n_items), (stop - start, 1))
        return top, np.take_along_axis(sim, top, axis=1)

    starts = range(0, n_items, block)
    with ThreadPoolExecutor(max_workers=threads or min(usable_cores(), MAX_BLOCK_THREADS)) as pool:
        blocks = list(progress(pool.map(top_of_block, starts), desc="item similarities", total=len(starts)))
    top_columns = np.concatenate([top for top, _ in blocks]) if blocks else np.empty((0, keep), dtype=np.int64)
    top_values = np.concatenate([values for _, values in blocks]) if blocks else np.empty((0, keep))
    del blocks
    rows = np.repeat(np.arange(n_items), top_columns.shape[1])
    positive = top_values.ravel() > 0
    return sp.csr_matrix(
        (top_values.ravel()[positive].astype(np.float32), (rows[positive], top_columns.ravel()[positive])),
        shape=(n_items, n_items),
    )


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, where the platform tells it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


class UserKNN(_Neighbourhood):
    """User-user kNN: the people whose ratings agree with this person's vote for what they liked."""

    name = "user_knn"
    config_class = UserKNNConfig
    config: UserKNNConfig

    def fit(self, data: Interactions) -> Self:
        self.user_bias = self._fit_baseline(data)
        self.user_ids = data.user_ids
        self._prepare(data.matrix.tocoo())
        self._set_items(data.item_ids)
        return self

    def _prepare(self, ratings: sp.coo_matrix) -> None:
        """Derive the centered matrix (for similarity) and the residual matrix (for estimates) from the ratings."""
        users, items, values = ratings.row, ratings.col, ratings.data.astype(np.float64)
        shape = ratings.shape
        self.ratings = ratings.tocsr()
        self.centered = sp.csc_matrix(
            (values - self._offsets(users, items, values, self.user_bias), (users, items)), shape=shape
        )
        self.indicator = sp.csc_matrix((np.ones(len(values)), (users, items)), shape=shape)
        residual = values - self._baseline(users, items, self.user_bias)
        self.residual = sp.csr_matrix((residual, (users, items)), shape=shape)
        self._user_index = {int(user): position for position, user in enumerate(self.user_ids)}

    def user_similarities(self, history: History) -> np.ndarray:
        """Shrunk cosine between ``history`` and every training user (0 for the person themself)."""
        rated, ratings = self.history_positions(history)
        if len(rated) == 0:
            return np.zeros(len(self.user_ids))
        offsets = self._history_offsets(rated, ratings)
        own = (ratings - offsets).astype(np.float64)
        centered, indicator = self.centered[:, rated], self.indicator[:, rated]
        sims = shrunk_cosine(
            centered @ own,
            centered.multiply(centered) @ np.ones(len(rated)),
            indicator @ (own * own),
            indicator @ np.ones(len(rated)),
            self.config.shrinkage,
        )
        # Their training ratings are an older copy of this history: never their own neighbour.
        if history.user_id is not None and int(history.user_id) in self._user_index:
            sims[self._user_index[int(history.user_id)]] = 0.0
        return sims

    def _history_offsets(self, rated: np.ndarray, ratings: np.ndarray) -> np.ndarray:
        """The centering of the person's own ratings, their bias folded in the same way as at training time."""
        bias = np.array([fold_in_user_bias(self.biases, rated, ratings, BaselineConfig().reg_user)])
        return self._offsets(np.zeros(len(rated), dtype=np.int64), rated, ratings, bias)

    def _weighted_residuals(self, history: History, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """Each item's ``neighbours`` most similar people who rated it, among the CANDIDATE_USERS most similar.

        1. Similarities to every training user; keep the positive ones, at most CANDIDATE_USERS.
        2. Their residuals on the asked items, ordered by item then by similarity (best first).
        3. Rank within each item, keep the first ``neighbours``, and sum similarity x residual per item.
        """
        _, _, user_bias = self._fold_in(history)
        sims = self.user_similarities(history)
        candidates = np.flatnonzero(sims > 0)
        if len(candidates) > CANDIDATE_USERS:
            candidates = candidates[np.argpartition(-sims[candidates], CANDIDATE_USERS - 1)[:CANDIDATE_USERS]]
        block = self.residual[candidates][:, positions].tocoo()
        weight = sims[candidates][block.row]
        order = np.lexsort((-weight, block.col))
        columns, weight, residual = block.col[order], weight[order], block.data[order]
        starts = np.searchsorted(columns, columns, side="left")
        chosen = np.arange(len(columns)) - starts < self.config.neighbours
        n = len(positions)
        weighted = np.bincount(columns[chosen], weight[chosen] * residual[chosen], minlength=n)
        weights = np.bincount(columns[chosen], weight[chosen], minlength=n)
        return weighted, weights, user_bias

    def save_state(self, directory: Path) -> None:
        coo = self.ratings.tocoo()
        save_arrays(
            directory,
            item_ids=self.item_ids,
            user_ids=self.user_ids,
            mean=np.array(self.biases.mean),
            item_bias=self.biases.item,
            item_mean=self.item_mean,
            user_bias=self.user_bias,
            users=coo.row,
            items=coo.col,
            ratings=coo.data,
        )

    def load_state(self, directory: Path) -> None:
        arrays = load_arrays(directory)
        self.biases = Biases(mean=float(arrays["mean"]), item=arrays["item_bias"])
        self.item_mean = arrays["item_mean"]
        self.user_bias = arrays["user_bias"]
        self.user_ids = arrays["user_ids"]
        shape = (len(self.user_ids), len(arrays["item_ids"]))
        self._prepare(sp.coo_matrix((arrays["ratings"], (arrays["users"], arrays["items"])), shape=shape))
        self._set_items(arrays["item_ids"])
