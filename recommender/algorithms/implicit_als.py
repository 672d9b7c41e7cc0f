"""``implicit_als``: weighted ALS on who rated what (Hu, Koren and Volinsky 2008), by the ``implicit`` library.

The library trains the item factors (conjugate gradient, in parallel). We keep only the item side: a
person's vector is solved from their current ratings each time they are scored, with the library's exact
least-squares fold-in (``recalculate_user``). A rating made a second ago counts at once, and a person who
signed up after training is scored exactly like one who was there.

A rating at or above ``like_threshold`` is a positive with confidence ``alpha``; one below it is
implicit's negative feedback (a confident zero). With ``like_threshold`` 0 every rating is a positive.

This module replaced our own conjugate-gradient implementation, which the library beat on the same
validation splits and budget: ours 0.0790 against its 0.0841 validation NDCG@10, and 0.0561 ± 0.0015
against 0.0691 ± 0.0016 on the temporal test part (``scripts.bench.anchors``, 3 seeds).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from recommender.algorithms.base import Config, Recommender, load_arrays, save_arrays
from recommender.algorithms.baseline import require_non_negative, require_positive, require_unique_pairs
from recommender.algorithms.folding import folded
from recommender.algorithms.interactions import History, Interactions
from recommender.algorithms.mf import similar_by_cosine


@dataclass
class ImplicitALSConfig(Config):
    # Chosen on ml-100k's temporal inner validation split (each person's second-to-last rating, seed 0), with
    # the anchors' grid: `make tune TUNE_ARGS="--algorithm implicit_als --set factors=32|64 --set reg=0.01|0.1"`
    # gave NDCG@10 0.0844 at 32 and 0.1, 0.0839 at 32 and 0.01, 0.0755 and 0.0727 at 64. Then
    # `--set like_threshold=0|2.5|3.5 --set alpha=1|5` (at 32, 0.01): 0.0839 at 0 and 1, 0.0823 at 2.5 and 1,
    # 0.0752 at 3.5, 0.0614 to 0.0755 at alpha 5. The library's anchor chose 32 and 0.01 (0.0841): a tie.
    factors: int = 32
    epochs: int = 15
    reg: float = 0.1
    #: Confidence of one rating.
    alpha: float = 1.0
    #: A rating below this says "seen it, not for me": implicit's negative feedback (0: every rating likes).
    like_threshold: float = 0.0

    def __post_init__(self) -> None:
        require_positive(self, "factors", "epochs", "alpha")
        require_non_negative(self, "reg", "like_threshold")


class ImplicitALS(Recommender):
    """``implicit.cpu.als.AlternatingLeastSquares`` behind our contract, with fold-in for everyone."""

    name = "implicit_als"
    config_class = ImplicitALSConfig
    config: ImplicitALSConfig

    def fit(self, data: Interactions) -> Self:
        require_unique_pairs(data)
        seen = sp.csr_matrix((self._values(data.ratings), (data.users, data.items)), shape=(data.n_users, data.n_items))
        # The library's own threads do the work, and BLAS's would fight them (it warns unless they are off).
        with threadpool_limits(1, "blas"):
            model = self._library_model()
            model.fit(seen, show_progress=False)
        self._model = _serving(model)
        self.rated = np.bincount(data.items, minlength=data.n_items) > 0
        self._set_items(data.item_ids)
        return self

    @property
    def item_factors(self) -> np.ndarray:
        return np.asarray(self._model.item_factors)

    def _library_model(self):
        from implicit.cpu.als import AlternatingLeastSquares

        cfg = self.config
        return AlternatingLeastSquares(
            factors=cfg.factors,
            regularization=cfg.reg,
            iterations=cfg.epochs,
            alpha=cfg.alpha,
            random_state=cfg.seed,
        )

    def _values(self, ratings: np.ndarray) -> np.ndarray:
        """One per rating: +1 for a like, -1 (implicit's negative feedback) for a rating under the threshold."""
        return np.where(np.asarray(ratings) >= self.config.like_threshold, 1.0, -1.0).astype(np.float32)

    def user_vector(self, history: History) -> np.ndarray:
        """The library's exact least-squares solve for this history against the item factors."""
        (vector,) = folded(self, history, lambda: (self._solve(history),))
        return vector

    def _solve(self, history: History) -> np.ndarray:
        rated, ratings = self.history_positions(history)
        row = sp.csr_matrix(
            (self._values(ratings), (np.zeros(len(rated), dtype=np.int64), rated)), shape=(1, len(self.item_ids))
        )
        # float64, as the scores are: a subset of the items then scores exactly as the whole catalog does.
        return np.asarray(self._model.recalculate_user(0, row), dtype=np.float64)

    def score(self, history: History, items: np.ndarray | None = None) -> np.ndarray:
        positions, known = self.positions(items)
        return np.where(known, self.item_factors[positions] @ self.user_vector(history), np.nan)

    def similar_items(self, item_id: int, n: int) -> list[tuple[int, float]]:
        """The ``n`` items whose factors point the most the same way as ``item_id``'s (rated items only)."""
        return similar_by_cosine(self, self.item_factors[None], self.rated, item_id, n)

    def save_state(self, directory: Path) -> None:
        save_arrays(directory, item_ids=self.item_ids, item_factors=self.item_factors, rated=self.rated)

    def load_state(self, directory: Path) -> None:
        arrays = load_arrays(directory)
        with threadpool_limits(1, "blas"):
            self._model = _serving(self._library_model())
        self._model.item_factors = arrays["item_factors"].astype(np.float32)
        self.rated = arrays["rated"]
        self._set_items(arrays["item_ids"])


def _serving(model: Any) -> Any:
    """``model``, set to solve one person at a time on one thread. The library runs each solve in an OpenMP
    parallel region on every core: for a single person that costs more than it saves, and in a web process its
    threads fight torch's and BLAS's for the cores. At the 25M shape, in a process that had just run the GRU, a
    person's solve took 7 ms on every core against 0.02 ms on one."""
    model.num_threads = 1
    return model
