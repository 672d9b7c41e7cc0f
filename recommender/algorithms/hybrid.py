"""Hybrid: a blend of other registered algorithms, with weights learned on data the components did not see.

Two objectives:

- ``"explicit"`` estimates ratings. The blend is a ridge regression of held-out ratings on the components'
  estimates (a component that only ranks contributes its score). With ``support_features`` each weight may
  also move with how many ratings the person and the movie have, and how spread out the person's ratings
  are, since a neighbourhood model is worth more for a well-rated movie and a bias model for a newcomer
  (feature-weighted linear stacking, Sill et al. 2009).
- ``"ranking"`` orders movies for a top-N list. Each component's scores are standardized per person, and the
  weights maximize NDCG@10 of each person's held-out latest movie, found by coordinate search.

In both, the components are then refitted on all the data, and the learned weights blend the refitted ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import numpy as np

from recommender.algorithms import ALGORITHMS, algorithm_class, build
from recommender.algorithms.base import Config, Recommender, load_arrays, progress, save_arrays
from recommender.algorithms.baseline import clip_ratings, require_choice, require_non_negative
from recommender.algorithms.interactions import History, Interactions

OBJECTIVES = ("explicit", "ranking")
#: Default components per objective, chosen on ml-100k (see recommender.bench).
#: Explicit: mean RMSE over the five folds 0.8857 (bpmf alone 0.8962). implicit_als contributes which movies
#: a person chose to rate (worth 0.003, as in SVD++), content their taste in genres (0.003); user_knn, als,
#: svd, popularity and classifier add at most 0.0003 each for their fitting time.
#: Ranking: popularity, content and item_knn get (near) zero weight beside these two. implicit_als gains 0.01
#: NDCG@10 on the validation movies (each person's second-to-last), but on the temporal test the blend has
#: scored 0.087 to 0.089 against sequence's own 0.088 to 0.090: within the noise of refitting the GRU.
DEFAULT_COMPONENTS: dict[str, tuple[str, ...]] = {
    "explicit": ("bpmf", "item_knn", "implicit_als", "content", "baseline"),
    "ranking": ("sequence", "implicit_als"),
}
COMPONENTS_DIR = "components"
#: Weights the ranking search tries for one component, relative to the others' (which stay put meanwhile).
_SEARCH_STEPS = (0.0, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0)
_NDCG_AT = 10
#: The ranking search scores every movie for each validation person; past this many people it samples.
_SEARCH_PEOPLE = 2000


@dataclass
class HybridConfig(Config):
    objective: str = "explicit"
    #: Registered algorithm names; None takes ``DEFAULT_COMPONENTS[objective]``.
    components: list[str] | None = None
    #: Config overrides per component name, e.g. {"svd": {"factors": 50}}.
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Explicit: the share of ratings held out (at random) to learn the blend from.
    validation_share: float = 0.2
    #: Explicit: the ridge penalty on the (standardized) blend weights.
    reg: float = 1.0
    #: Explicit: let each component's weight depend on the person's and the movie's number of ratings and on
    #: how spread out the person's ratings are.
    support_features: bool = True
    #: Ranking: passes of the coordinate search over the components.
    search_rounds: int = 3

    def __post_init__(self) -> None:
        require_choice(self, "objective", OBJECTIVES)
        if self.components is None:
            self.components = list(DEFAULT_COMPONENTS[self.objective])
        unknown = [name for name in self.components if name not in ALGORITHMS]
        if unknown or not self.components:
            raise ValueError(f"HybridConfig.components must be registered algorithm names; unknown: {unknown}")
        # A hybrid inside a hybrid would fit its own components twice over for no gain.
        if any(ALGORITHMS[name][0].endswith(":Hybrid") for name in self.components):
            raise ValueError("HybridConfig.components cannot hold a hybrid")
        if not 0 < self.validation_share < 1:
            raise ValueError(f"HybridConfig.validation_share must be between 0 and 1, got {self.validation_share}")
        require_non_negative(self, "reg", "search_rounds")


class Hybrid(Recommender):
    """A weighted blend of components; ``explicit`` follows the configured objective."""

    name = "hybrid"
    config_class = HybridConfig

    config: HybridConfig

    @property
    def explicit(self) -> bool:
        return self.config.objective == "explicit"

    def fit(self, data: Interactions) -> Self:
        """1. Hold out validation data from ``data``: a random share of ratings (explicit), or each person's
           latest rating (ranking, as the temporal protocol does).
        2. Fit every component on the rest and learn the blend weights on the held-out part.
        3. Refit every component on all of ``data``.
        """
        held_out = self._validation_mask(data)
        train, validation = data.select(~held_out), data.select(held_out)
        self.components = self._fit_components(train, "validation")
        self.item_counts = np.bincount(train.items, minlength=train.n_items).astype(np.float64)
        self._set_items(data.item_ids)
        if self.explicit:
            self._learn_ridge(train, validation)
        else:
            self._search_ranking_weights(train, validation)
        self.components = self._fit_components(data, "final")
        self.item_counts = np.bincount(data.items, minlength=data.n_items).astype(np.float64)
        return self

    def score(self, history: History, items: np.ndarray | None = None) -> np.ndarray:
        positions, known = self.positions(items)
        if self.explicit:
            scores = self._blend_ratings(history, self.item_ids)[positions]
        else:
            scores = self._blend_ranks(history)[positions]
        return np.where(known, scores, np.nan)

    def predict(self, history: History, items: np.ndarray) -> np.ndarray:
        if not self.explicit:
            return super().predict(history, items)
        return self._blend_ratings(history, np.asarray(items, dtype=np.int64))

    # -- explicit: ridge over the components' estimates ----------------------------------------------------------

    def _learn_ridge(self, train: Interactions, validation: Interactions) -> None:
        """Ridge regression of the validation ratings (minus the global mean) on standardized features; the
        intercept is not penalized."""
        histories = train.histories()
        rows, targets = [], []
        for user in progress(np.unique(validation.users), desc="hybrid · blend features"):
            mask = validation.users == user
            rows.append(self._raw_features(histories[user], validation.item_ids[validation.items[mask]]))
            targets.append(validation.ratings[mask])
        features, y = np.vstack(rows), np.concatenate(targets).astype(np.float64)
        self.mean = train.global_mean
        self.feature_mean = features.mean(axis=0)
        self.feature_scale = np.where(features.std(axis=0) > 0, features.std(axis=0), 1.0)
        design = np.hstack([np.ones((len(y), 1)), (features - self.feature_mean) / self.feature_scale])
        penalty = self.config.reg * np.eye(design.shape[1])
        penalty[0, 0] = 0.0
        self.weights = np.linalg.solve(design.T @ design + penalty, design.T @ (y - self.mean))

    def _raw_features(self, history: History, items: np.ndarray) -> np.ndarray:
        """One row per item: each component's estimate (a ranking component's score, 0 where it has none) and,
        with support features, the log numbers of ratings of the person and the movie, the spread of the
        person's ratings, and each estimate times each of those three."""
        columns = [
            component.predict(history, items) if component.explicit else np.nan_to_num(component.score(history, items))
            for component in self.components
        ]
        estimates = np.column_stack(columns).astype(np.float64)
        if not self.config.support_features:
            return estimates
        positions, known = self.positions(items)
        spread = float(np.std(history.ratings)) if len(history) else 0.0
        support = np.column_stack(
            [
                np.full(len(items), np.log1p(len(history))),
                np.log1p(np.where(known, self.item_counts[positions], 0.0)),
                np.full(len(items), spread),
            ]
        )
        interactions = (estimates[:, :, None] * support[:, None, :]).reshape(len(items), -1)
        return np.hstack([estimates, support, interactions])

    def _blend_ratings(self, history: History, items: np.ndarray) -> np.ndarray:
        features = (self._raw_features(history, items) - self.feature_mean) / self.feature_scale
        return clip_ratings(self.mean + self.weights[0] + features @ self.weights[1:])

    # -- ranking: a weight search over standardized scores --------------------------------------------------------

    def _search_ranking_weights(self, train: Interactions, validation: Interactions) -> None:
        """Coordinate search for the weights with the best NDCG@10 of the held-out movies.

        1. For each validation person (at most ``_SEARCH_PEOPLE``, drawn at random), standardize each
           component's scores over the catalog; the movies they rated in training are out of the running.
        2. A held-out movie's rank counts the movies scored above it, and those scored the same with a
           smaller id, as ``Recommender.recommend`` breaks ties.
        3. Starting from equal weights, try each step of ``_SEARCH_STEPS`` for one component at a time, keep
           the best, and go over all components ``search_rounds`` times.
        """
        rng = np.random.default_rng(self.config.seed)
        rows = np.arange(len(validation))
        if len(rows) > _SEARCH_PEOPLE:
            rows = np.sort(rng.choice(rows, _SEARCH_PEOPLE, replace=False))
        users, items = validation.users[rows], validation.items[rows]
        histories = train.histories()
        standardized = np.stack(
            [self._standardized(histories[user])[0] for user in progress(users, desc="hybrid · blend features")]
        ).astype(np.float32)  # people x components x items
        target = standardized[np.arange(len(users)), :, items]  # people x components
        rated = train.matrix[users].toarray() > 0
        smaller_id = self.item_ids[None, :] < self.item_ids[items][:, None]

        def ndcg(weights: np.ndarray) -> float:
            blended = np.einsum("uci,c->ui", standardized, weights.astype(np.float32))
            held_out = (target @ weights)[:, None]
            ahead = ((blended > held_out) | ((blended == held_out) & smaller_id)) & ~rated
            rank = ahead.sum(axis=1) + 1
            return float(np.where(rank <= _NDCG_AT, 1.0 / np.log2(rank + 1), 0.0).mean())

        weights = np.ones(len(self.components))
        best = ndcg(weights)
        for _ in range(self.config.search_rounds):
            for k in range(len(weights)):
                others = np.delete(weights, k).max(initial=0.0) or 1.0
                for step in _SEARCH_STEPS:
                    trial = weights.copy()
                    trial[k] = step * others
                    if trial.any() and (value := ndcg(trial)) > best:
                        best, weights = value, trial
        self.weights = weights / weights.max()

    def _standardized(self, history: History) -> tuple[np.ndarray, np.ndarray]:
        """(components x items z-scores, items any component can score): each component's scores standardized
        over the items it can score, 0 (no opinion) elsewhere."""
        rows = []
        scorable = np.zeros(len(self.item_ids), dtype=bool)
        for component in self.components:
            scores = component.score(history).astype(np.float64)
            finite = np.isfinite(scores)
            scorable |= finite
            spread = scores[finite].std() if finite.any() else 0.0
            z = (scores - scores[finite].mean()) / spread if spread > 0 else np.zeros_like(scores)
            rows.append(np.where(finite, z, 0.0))
        return np.vstack(rows), scorable

    def _blend_ranks(self, history: History) -> np.ndarray:
        standardized, scorable = self._standardized(history)
        return np.where(scorable, self.weights @ standardized, np.nan)

    # -- fitting, saving, loading ---------------------------------------------------------------------------------

    def _validation_mask(self, data: Interactions) -> np.ndarray:
        if self.explicit:
            rng = np.random.default_rng(self.config.seed)
            return rng.random(len(data)) < self.config.validation_share
        # Someone with a single rating keeps it for training: holding it out would leave them nothing.
        return data.latest(more_than=1)

    def _fit_components(self, data: Interactions, stage: str) -> list[Recommender]:
        return [
            build(name, **self.config.overrides.get(name, {})).fit(data)
            for name in progress(self.config.components, desc=f"hybrid · fit components ({stage})")
        ]

    def save_state(self, directory: Path) -> None:
        for index, component in enumerate(self.components):
            component.save(directory / COMPONENTS_DIR / f"{index}-{self.config.components[index]}")
        arrays = {"item_ids": self.item_ids, "item_counts": self.item_counts, "weights": self.weights}
        if self.explicit:
            arrays |= {"mean": np.array(self.mean), "feature_mean": self.feature_mean, "scale": self.feature_scale}
        save_arrays(directory, **arrays)

    def load_state(self, directory: Path) -> None:
        arrays = load_arrays(directory)
        self.components = [
            algorithm_class(name).load(directory / COMPONENTS_DIR / f"{index}-{name}")
            for index, name in enumerate(self.config.components)
        ]
        self.item_counts, self.weights = arrays["item_counts"], arrays["weights"]
        if self.explicit:
            self.mean = float(arrays["mean"])
            self.feature_mean, self.feature_scale = arrays["feature_mean"], arrays["scale"]
        self._set_items(arrays["item_ids"])
