"""Item transitions: the movies people rated soon after the ones this person rated last.

A person who has just rated three Hitchcock films is likely to rate another one next: what people
rate comes in runs (a season of one director, a sequel after its original). The GRU of ``sequence``
learns such runs; this model counts them, which needs no training loop and reads any history at once.

1. Order each person's ratings by time (ties keep their order in the data, as
   :meth:`Interactions.histories` does).
2. Count every pair (a, b) where b follows a within ``window`` steps of the same person.
3. Normalize each count by how often a and b take part in such pairs at all
   (``count(a -> b) / (out(a) ** alpha * in(b) ** (1 - alpha))``), so that a film everyone rates next
   does not follow everything, and keep each film's ``neighbours`` strongest successors.
4. A person's score for b is the sum over their latest ``steps`` ratings a, the latest weighing most
   (``decay`` per step back), of the normalized count of a -> b.

Scores are finite for every movie the model knows (0: no run leads there), NaN for movies it has never seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Self

import numpy as np
import scipy.sparse as sp

from recommender.algorithms.base import Config, Recommender, load_arrays, save_arrays
from recommender.algorithms.baseline import require_non_negative, require_positive
from recommender.algorithms.interactions import History, Interactions


@dataclass
class TransitionsConfig(Config):
    # Validation NDCG@10 on ml-100k's temporal protocol (each person's second-to-last rating, seeds 0-2; `make tune
    # TUNE_ARGS="--algorithm transitions --seeds 3 --set window=5|7 --set alpha=0.6|0.7 --set steps=20 --set
    # decay=0.85|0.9 --set neighbours=100|200|1000"`, after coarser grids over window 1-10, alpha 0.5-1, steps
    # 3-40 and decay 0.5-0.95): 0.1244 ± 0.0039 here, the best 0.1249 ± 0.0061 (window 7, alpha 0.6, decay 0.85,
    # 1000 neighbours), a tie; window 1 with alpha 1 (a first-order Markov chain) 0.0990 ± 0.0054.
    #: A pair counts when the second rating comes at most this many steps after the first.
    window: int = 5
    #: How many of the person's latest ratings their scores are read from.
    steps: int = 20
    #: The weight of each step back from the latest rating (the latest weighs 1).
    decay: float = 0.9
    #: 1: a successor's share of everything that follows a (P(b | a)); 0: of everything that comes before b;
    #: 0.5: the geometric mean of the two (a cosine of the pair counts).
    alpha: float = 0.7
    #: The strongest successors kept per movie (the rest are dropped to keep the model small at 60,000 movies).
    neighbours: int = 200

    def __post_init__(self) -> None:
        require_positive(self, "window", "steps", "neighbours")
        require_non_negative(self, "decay", "alpha")
        if self.alpha > 1.0:
            raise ValueError(f"TransitionsConfig.alpha must be between 0 and 1, got {self.alpha}")


class ItemTransitions(Recommender):
    """Scores are the normalized counts of runs from the person's latest ratings to each movie."""

    name = "transitions"
    config_class = TransitionsConfig
    estimates_ratings = False

    config: TransitionsConfig

    def fit(self, data: Interactions) -> Self:
        cfg = self.config
        order = np.lexsort((data.timestamps, data.users))  # stable: ties keep their order in data
        users, items = data.users[order], data.items[order]
        n = data.n_items
        # One gap at a time, so memory holds one set of pairs (25M at MovieLens 25M), not ``window`` of them.
        counts = sp.csr_matrix((n, n), dtype=np.float32)
        for gap in range(1, cfg.window + 1):
            same_person = users[gap:] == users[:-gap]
            pairs = (items[:-gap][same_person], items[gap:][same_person])
            counts = counts + sp.csr_matrix((np.ones(len(pairs[0]), dtype=np.float32), pairs), shape=(n, n))
        outgoing = np.asarray(counts.sum(axis=1)).ravel()
        incoming = np.asarray(counts.sum(axis=0)).ravel()
        with np.errstate(divide="ignore"):
            row_scale = np.where(outgoing > 0, outgoing**-cfg.alpha, 0.0)
            column_scale = np.where(incoming > 0, incoming ** -(1.0 - cfg.alpha), 0.0)
        weights = sp.diags(row_scale.astype(np.float32)) @ counts @ sp.diags(column_scale.astype(np.float32))
        self.successors = _strongest(weights.tocsr(), cfg.neighbours)
        self._set_items(data.item_ids)
        return self

    def score(self, history: History, items: np.ndarray | None = None) -> np.ndarray:
        positions, known = self.positions(items)
        rated, _ = self.history_positions(history)
        latest = rated[::-1][: self.config.steps]  # the latest first
        step_weights = self.config.decay ** np.arange(len(latest), dtype=np.float64)
        scores = np.zeros(len(self.item_ids))
        if len(latest):
            scores = np.asarray(self.successors[latest].T @ step_weights, dtype=np.float64).ravel()
        return np.where(known, scores[positions], np.nan)

    def save_state(self, directory: Path) -> None:
        save_arrays(
            directory,
            item_ids=self.item_ids,
            data=self.successors.data,
            indices=self.successors.indices,
            indptr=self.successors.indptr,
        )

    def load_state(self, directory: Path) -> None:
        arrays = load_arrays(directory)
        n = len(arrays["item_ids"])
        self.successors = sp.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=(n, n))
        self._set_items(arrays["item_ids"])


def _strongest(matrix: sp.csr_matrix, keep: int, *, block: int = 4096) -> sp.csr_matrix:
    """Each row's ``keep`` largest entries (ties by column), the rest dropped; ``block`` rows at a time, so the
    sort's memory is a block's, not the whole matrix's."""
    if np.diff(matrix.indptr).max(initial=0) <= keep:
        return matrix
    parts = []
    for start in range(0, matrix.shape[0], block):
        rows = matrix[start : start + block]
        lengths = np.diff(rows.indptr)
        row_of = np.repeat(np.arange(rows.shape[0], dtype=np.int32), lengths)
        # Within each row, order by value, largest first; an entry's place in its row says whether it stays.
        order = np.lexsort((rows.indices, -rows.data, row_of))
        place = np.arange(len(order)) - rows.indptr[row_of[order]]
        kept = np.sort(order[place < keep])
        parts.append(sp.csr_matrix((rows.data[kept], (row_of[kept], rows.indices[kept])), shape=rows.shape))
    return sp.vstack(parts, format="csr")
