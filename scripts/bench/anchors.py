"""The anchor libraries, Surprise and implicit, tuned with the same budget on the same inner splits as ours.

Run by the separately installed interpreter that has them (``make anchors`` makes ``.venv-anchors``; ``make
bench`` calls it when it exists). Each anchor is wrapped in the Recommender contract and registered under
an ``anchor:`` name for this process only, so that it goes through exactly our splits, inner validation
splits, ranking, tie-breaking and metrics:

1. For each anchor, every setting of its grid (``GRIDS``, at most ``BUDGET`` settings, the same number
   ``make tune`` gets) is scored on the inner validation splits with seed 0: for the folds, a seeded 10%
   of each ``uK.base``; for the temporal protocol, each person's second-to-last rating.
2. The best setting is fitted on each whole training part and measured once on its test part, for each
   of ``--seeds`` seeds.

Surprise estimates ratings, so it runs on the folds; implicit ranks, so it runs on the temporal protocol.
Neither folds a new person in, so they are measured for trained people only.

    .venv-anchors/bin/python -m scripts.bench.anchors --path ../shared/datasets/ml-100k --seeds 3

prints one JSON document: {protocol: {name: figures, with "params", "validation"}}.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import numpy as np
import scipy.sparse as sp

from recommender.algorithms import ALGORITHMS
from recommender.algorithms.base import Config, Recommender
from recommender.algorithms.interactions import History, Interactions
from recommender.evaluation.runner import PROTOCOLS, evaluate_algorithm, make_splits
from recommender.evaluation.tuning import grid, tune
from recommender.movielens import read_ml100k_folds, read_movielens

#: Settings tried per algorithm, anchors and ours alike.
BUDGET = 4


@dataclass
class SurpriseConfig(Config):
    algorithm: str = "SVD"  # SVD, SVDpp or KNNBaseline
    n_factors: int = 100
    n_epochs: int = 20
    reg_all: float = 0.02
    lr_all: float = 0.005
    k: int = 40  # KNNBaseline's neighbours
    shrinkage: int = 100  # KNNBaseline's pearson_baseline shrinkage


class SurpriseModel(Recommender):
    """A Surprise algorithm: trained people's estimates; a person it never saw gets its global estimate."""

    name = "anchor:surprise"
    config_class = SurpriseConfig
    estimates_ratings = True

    config: SurpriseConfig

    def fit(self, data: Interactions) -> Self:
        import surprise

        triples = zip(
            data.user_ids[data.users].tolist(), data.item_ids[data.items].tolist(), data.ratings.tolist(), strict=True
        )
        rows = [(str(user), str(item), float(rating), None) for user, item, rating in triples]
        dataset = surprise.Dataset(surprise.Reader(rating_scale=(0.5, 5.0)))
        trainset = dataset.construct_trainset(rows)
        config = self.config
        if config.algorithm == "KNNBaseline":
            similarity = {"name": "pearson_baseline", "user_based": False, "shrinkage": config.shrinkage}
            self.model = surprise.KNNBaseline(k=config.k, sim_options=similarity, verbose=False)
        else:
            options = {
                "n_factors": config.n_factors,
                "n_epochs": config.n_epochs,
                "reg_all": config.reg_all,
                "lr_all": config.lr_all,
                "random_state": config.seed,
            }
            if config.algorithm == "SVDpp":
                # Same results, five times faster: the implicit-feedback sums are computed once per person.
                self.model = surprise.SVDpp(cache_ratings=True, **options)
            else:
                self.model = surprise.SVD(**options)
        self.model.fit(trainset)
        self._set_items(data.item_ids)
        return self

    def predict(self, history: History, items: np.ndarray) -> np.ndarray:
        items = np.asarray(items, dtype=np.int64)
        if self.config.algorithm == "KNNBaseline":
            user = str(history.user_id)
            return np.array([self.model.predict(user, str(int(item))).est for item in items])
        return self._factor_estimates(history.user_id, items)

    def _factor_estimates(self, user_id: int | None, items: np.ndarray) -> np.ndarray:
        """SVD's and SVD++'s estimates for many movies at once, the arithmetic of their ``predict``: the global
        mean, the known biases, and the factors' dot product when both are known, clipped to the scale."""
        trainset, model = self.model.trainset, self.model
        user = _inner(trainset.to_inner_uid, user_id)
        inner = np.array([_inner(trainset.to_inner_iid, int(item)) for item in items])
        known = inner >= 0
        estimates = np.full(len(items), trainset.global_mean)
        if user >= 0:
            estimates += model.bu[user]
        estimates[known] += model.bi[inner[known]]
        if user >= 0 and known.any():
            taste = model.pu[user]
            if self.config.algorithm == "SVDpp":
                rated = [j for j, _ in trainset.ur[user]]
                taste = taste + model.yj[rated].sum(axis=0) / np.sqrt(len(rated))
            estimates[known] += model.qi[inner[known]] @ taste
        return np.clip(estimates, 0.5, 5.0)

    def score(self, history: History, items: np.ndarray | None = None) -> np.ndarray:
        return self.predict(history, self.item_ids if items is None else items)


def _inner(to_inner, raw: int | None) -> int:
    """Surprise's inner id for an outside id, or -1 when it never saw it."""
    if raw is None:
        return -1
    try:
        return int(to_inner(str(raw)))
    except ValueError:
        return -1


@dataclass
class ImplicitConfig(Config):
    algorithm: str = "ALS"  # ALS or BPR
    factors: int = 64
    regularization: float = 0.01
    iterations: int = 15
    alpha: float = 1.0  # ALS: confidence per rating
    learning_rate: float = 0.01  # BPR


class ImplicitModel(Recommender):
    """An implicit model over who rated what: trained people's scores (a stranger gets none)."""

    name = "anchor:implicit"
    config_class = ImplicitConfig

    config: ImplicitConfig

    def fit(self, data: Interactions) -> Self:
        from implicit.bpr import BayesianPersonalizedRanking
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        seen = sp.csr_matrix(
            (np.ones(len(data), dtype=np.float32), (data.users, data.items)), shape=(data.n_users, data.n_items)
        )
        with threadpool_limits(1, "blas"):  # the library's threads do the work (it warns unless BLAS's are off)
            self._fit(seen, AlternatingLeastSquares, BayesianPersonalizedRanking)
        self.user_index = {int(user): position for position, user in enumerate(data.user_ids)}
        self._set_items(data.item_ids)
        return self

    def _fit(self, seen: sp.csr_matrix, als: type, bpr: type) -> None:
        config = self.config
        if config.algorithm == "ALS":
            model = als(
                factors=config.factors,
                regularization=config.regularization,
                iterations=config.iterations,
                alpha=config.alpha,
                random_state=config.seed,
            )
        else:
            model = bpr(
                factors=config.factors,
                regularization=config.regularization,
                iterations=config.iterations,
                learning_rate=config.learning_rate,
                random_state=config.seed,
            )
        model.fit(seen, show_progress=False)
        self.user_factors, self.item_factors = np.asarray(model.user_factors), np.asarray(model.item_factors)

    def score(self, history: History, items: np.ndarray | None = None) -> np.ndarray:
        positions, known = self.positions(items)
        user = self.user_index.get(int(history.user_id)) if history.user_id is not None else None
        if user is None:
            return np.full(len(positions), np.nan)
        return np.where(known, self.item_factors[positions] @ self.user_factors[user], np.nan)


#: name -> (module:class, defaults) for this process's ALGORITHMS, and each one's grid (BUDGET settings).
ANCHORS: dict[str, tuple[str, dict[str, Any], str, dict[str, list[Any]]]] = {
    "surprise SVD": (
        "scripts.bench.anchors:SurpriseModel",
        {"algorithm": "SVD"},
        "folds",
        {"n_factors": [50, 100], "reg_all": [0.02, 0.05]},
    ),
    "surprise SVD++": (
        "scripts.bench.anchors:SurpriseModel",
        {"algorithm": "SVDpp"},
        "folds",
        {"n_factors": [20, 50], "reg_all": [0.02, 0.05]},
    ),
    "surprise KNNBaseline": (
        "scripts.bench.anchors:SurpriseModel",
        {"algorithm": "KNNBaseline"},
        "folds",
        {"k": [20, 40], "shrinkage": [50, 100]},
    ),
    "implicit ALS": (
        "scripts.bench.anchors:ImplicitModel",
        {"algorithm": "ALS"},
        "temporal",
        {"factors": [32, 64], "regularization": [0.01, 0.1]},
    ),
    "implicit BPR": (
        "scripts.bench.anchors:ImplicitModel",
        {"algorithm": "BPR"},
        "temporal",
        {"factors": [32, 64], "learning_rate": [0.01, 0.05]},
    ),
}


def run(path: Path, seeds: list[int], names: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """{protocol: {anchor: test figures of its best validation setting, with "params" and "validation"}}."""
    data = read_movielens(path)
    folds = make_splits("folds", data, folds=read_ml100k_folds(path))

    def temporal(seed: int):
        return make_splits("temporal", data, seed=seed)

    results: dict[str, dict[str, Any]] = {"folds": {}, "temporal": {}}
    for name, (target, defaults, protocol_name, choices) in ANCHORS.items():
        if names and name not in names:
            continue
        ALGORITHMS[name] = (target, defaults)
        settings = grid(choices)[:BUDGET]
        outer = folds if protocol_name == "folds" else temporal
        protocol = PROTOCOLS[protocol_name]
        metric = "rmse" if protocol_name == "folds" else "ndcg@10"
        ranked = tune(name, outer, protocol, settings, metric=metric, seeds=[0], log=_log)
        best = ranked[0]["params"]
        figures = evaluate_algorithm(name, outer, protocol, overrides=best, seeds=seeds)
        figures.pop("seeds", None)
        results[protocol_name][name] = figures | {"params": best, "validation": ranked}
        _log(f"{name}: {metric} {figures.get(metric)} ± {figures.get(metric + '_sd')} with {best}")
    return results


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench.anchors", description=__doc__.split("\n\n")[0])
    parser.add_argument("--path", type=Path, required=True, help="The ml-100k folder.")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--only", action="append", help="Run just this anchor (repeatable).")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.path, list(range(args.seeds)), args.only), default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
