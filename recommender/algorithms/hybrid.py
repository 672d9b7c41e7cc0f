"""Hybrid: the served star predictor, a stacked blend of other registered algorithms' rating estimates.

The blend is a ridge regression of held-out ratings on the components' estimates (a component that only
ranks contributes its score), learned on a random share of the ratings the components did not see. With
``support_features`` each weight may also move with how many ratings the person and the movie have, and
how spread out the person's ratings are, since a neighbourhood model is worth more for a well-rated movie
and a bias model for a newcomer (feature-weighted linear stacking, Sill et al. 2009). The components are
then refitted on all the data, and the learned weights blend the refitted ones.

Top picks are ranked by ``recommender.algorithms.blend``, not here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import numpy as np

from recommender.algorithms.base import Config, Recommender, load_arrays, progress, save_arrays
from recommender.algorithms.baseline import clip_ratings, require_non_negative
from recommender.algorithms.components import (
    components_fit,
    components_load,
    components_save,
    require_components,
    require_same_settings,
)
from recommender.algorithms.interactions import History, Interactions

#: The components. Validation RMSE on ml-100k's folds (a seeded 10% of each uK.base; `make tune TUNE_ARGS=
#: "--algorithm hybrid --protocol folds --set components=..."`): 0.8916 for these, 0.8945 without content,
#: 0.8987 with bpmf, item_knn and baseline alone, 0.8999 with svd for bpmf. implicit_als contributes
#: which movies a person chose to rate (as in SVD++), content their taste in genres.
DEFAULT_COMPONENTS: tuple[str, ...] = ("bpmf", "item_knn", "implicit_als", "content", "baseline")


@dataclass
class HybridConfig(Config):
    #: Registered algorithm names; None takes DEFAULT_COMPONENTS.
    components: list[str] | None = None
    #: Config overrides per component name, e.g. {"svd": {"factors": 50}}.
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The share of ratings held out (at random) to learn the blend from ...
    validation_share: float = 0.2
    #: ... but at most about this many: a ridge over a few dozen features needs no more (0: no limit). ml-100k's
    #: 20% is 20,000 ratings, so nothing measured there changes; at the 25M shape it is 0.4% of the ratings. When
    #: the limit binds, the share is held out of the ratings of a random sample of people rather than of
    #: everyone's (each rating is still as likely to be held out as any other): the features cost a fold-in per
    #: person, and at 25M 100,000 random ratings belong to 42,746 people, nine minutes of features.
    max_validation_ratings: int = 100_000
    #: As the blend's: the components are fitted again on all the data unless what was held out is at most this
    #: share of it (at the 25M shape it is 0.4%, and a second fit of every component takes many minutes).
    refit_share: float = 0.005
    #: The ridge penalty on the (standardized) blend weights.
    reg: float = 1.0
    #: Let each component's weight depend on the person's and the movie's number of ratings and on
    #: how spread out the person's ratings are.
    support_features: bool = True

    def __post_init__(self) -> None:
        if self.components is None:
            self.components = list(DEFAULT_COMPONENTS)
        require_components("HybridConfig", self.components, self.overrides)
        if not 0 < self.validation_share < 1:
            raise ValueError(f"HybridConfig.validation_share must be between 0 and 1, got {self.validation_share}")
        require_non_negative(self, "reg", "max_validation_ratings", "refit_share")


class Hybrid(Recommender):
    """A stacked blend of the components' rating estimates."""

    name = "hybrid"
    config_class = HybridConfig

    config: HybridConfig
    estimates_ratings = True

    def fit(self, data: Interactions) -> Self:
        """1. Hold out a random share of the ratings in ``data`` (at most ``max_validation_ratings``).
        2. Fit every component on the rest and learn the blend weights on the held-out part.
        3. Refit every component on all of ``data``, unless what was held out is at most ``refit_share`` of it.
        """
        held_out = self._validation_ratings(data)
        train, validation = data.select(~held_out), data.select(held_out)
        self.components = self._fit_components(train, "validation")
        self.item_counts = np.bincount(train.items, minlength=train.n_items).astype(np.float64)
        self._set_items(data.item_ids)
        self._learn_ridge(train, validation)
        if held_out.sum() > self.config.refit_share * len(data):
            self.components = self._fit_components(data, "final")
        self.item_counts = np.bincount(data.items, minlength=data.n_items).astype(np.float64)
        return self

    def refit(self, data: Interactions, *, tuned: Hybrid) -> Self:
        """The components fitted on all of ``data``, blended by the ridge ``tuned`` learned."""
        require_same_settings(self, tuned)
        self._set_items(data.item_ids)
        self.components = self._fit_components(data, "final")
        self.item_counts = np.bincount(data.items, minlength=data.n_items).astype(np.float64)
        self.mean, self.weights = tuned.mean, tuned.weights.copy()
        self.feature_mean, self.feature_scale = tuned.feature_mean.copy(), tuned.feature_scale.copy()
        return self

    def score(self, history: History, items: np.ndarray | None = None) -> np.ndarray:
        positions, known = self.positions(items)
        return np.where(known, self._blend_ratings(history, self.item_ids)[positions], np.nan)

    def _validation_ratings(self, data: Interactions) -> np.ndarray:
        """A mask of the ratings the ridge learns from: ``validation_share`` of them at random, or, when that is
        more than ``max_validation_ratings``, the same share of the ratings of a sample of people that holds
        about that many."""
        rng = np.random.default_rng(self.config.seed)
        share, limit = self.config.validation_share, self.config.max_validation_ratings
        drawn = rng.random(len(data)) < share
        if not limit or share * len(data) <= limit:
            return drawn
        counts = np.bincount(data.users, minlength=data.n_users)
        raters = np.flatnonzero(counts)
        people = min(len(raters), max(1, round(limit / (share * counts[raters].mean()))))
        chosen = np.zeros(data.n_users, dtype=bool)
        chosen[rng.choice(raters, people, replace=False)] = True
        return drawn & chosen[data.users]

    def predict(self, history: History, items: np.ndarray) -> np.ndarray:
        return self._blend_ratings(history, np.asarray(items, dtype=np.int64))

    # -- ridge over the components' estimates ---------------------------------------------------------------------

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
        blended = clip_ratings(self.mean + self.weights[0] + features @ self.weights[1:])
        # The ridge learned only from movies with ratings. For one nobody rated, the components have no estimate
        # of their own (0 from a ranking component) and log(1 + 0 ratings) lies outside every value it saw, so the
        # blend extrapolates: on the planted set an unrated movie was estimated 5.0 stars and topped everyone's
        # list. Such a movie gets the baseline's estimate instead: this person's offset on the average movie.
        positions, known = self.positions(items)
        cold = ~known | (self.item_counts[np.where(known, positions, 0)] == 0)
        if cold.any():
            blended[cold] = self._cold_estimates(history, items[cold])
        return blended

    def _cold_estimates(self, history: History, items: np.ndarray) -> np.ndarray:
        for name, component in zip(self.config.components, self.components, strict=True):
            if name == "baseline":
                return clip_ratings(component.predict(history, items))
        offset = float(np.mean(history.ratings)) - self.mean if len(history) else 0.0
        return clip_ratings(np.full(len(items), self.mean + offset))

    # -- fitting, saving, loading ---------------------------------------------------------------------------------

    def _fit_components(self, data: Interactions, stage: str) -> list[Recommender]:
        desc = f"hybrid · fit components ({stage})"
        return components_fit(self.config.components, self.config.overrides, data, desc=desc)

    def save_state(self, directory: Path) -> None:
        components_save(directory, self.config.components, self.components)
        save_arrays(
            directory,
            item_ids=self.item_ids,
            item_counts=self.item_counts,
            weights=self.weights,
            mean=np.array(self.mean),
            feature_mean=self.feature_mean,
            scale=self.feature_scale,
        )

    def load_state(self, directory: Path) -> None:
        arrays = load_arrays(directory)
        self.components = components_load(directory, self.config.components)
        self.item_counts, self.weights = arrays["item_counts"], arrays["weights"]
        self.mean = float(arrays["mean"])
        self.feature_mean, self.feature_scale = arrays["feature_mean"], arrays["scale"]
        self._set_items(arrays["item_ids"])
