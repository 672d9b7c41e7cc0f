"""The served ranking: Top picks, with weights learned on data the components did not see.

This is the one ranking people get on the home page and from ``/api/v1/me/recommendations/``,
and the one ``make bench``, ``evaluate``, the training holdout and the guardrail measure:
the site calls :meth:`Blend.score` on the active blend, the harness calls it on a fitted one.

Each movie is described for a person by a few features:

- one per component: the component's score for this person;
- ``rating count``: log(1 + the movie's number of ratings), its popularity;
- ``recent ratings``: log(1 + its number of ratings in the ``recent_days`` before the person's latest rating),
  which at serving time is what people watch now.

Each feature is standardized over the catalog for this person (``transform="zscore"``; or ranked into
percentiles), so models with counts, cosines and logits mix on one scale. A feature the movie lacks (a
component that cannot score it) counts as no opinion either way. The score is the weighted mean.

The weights are learned listwise: hold out the latest rating of each person the search ranks (as the
temporal protocol does), fit the components on the rest, and search the weights that give the held-out
movies the best NDCG@10, one weight at a time (coordinate ascent, Metzler & Croft 2007). Then the
components are refitted on all the data, and the weights carry over; when the held-out ratings are a
sliver of the data (``refit_share``), the components the weights were learned with are kept instead.

The defaults were chosen on ml-100k's temporal protocol, on the inner validation split only (each
person's second-to-last rating; see ``python -m scripts.bench.tune``), never on its test movies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import numpy as np
from scipy.stats import rankdata

from recommender.algorithms.base import Config, Recommender, load_arrays, progress, save_arrays
from recommender.algorithms.baseline import require_choice, require_non_negative, require_positive
from recommender.algorithms.components import (
    components_fit,
    components_load,
    components_save,
    require_components,
    require_same_settings,
)
from recommender.algorithms.interactions import History, Interactions

#: The components. Inner validation NDCG@10 on ml-100k (temporal, seed 0): sequence alone 0.1110, implicit_als
#: alone 0.0790; blended with the rating count and recent ratings, sequence + implicit_als 0.1250, + item_knn
#: 0.1186, + item_knn + content 0.1181: ties (a standard error is about 0.008). Over seeds 0-2 (`make tune
#: TUNE_ARGS='--algorithm blend --seeds 3 --set components=["sequence","implicit_als"]|["sequence","implicit_als",
#: "item_knn"]'`): 0.1315 ± 0.0050 without item_knn, 0.1303 ± 0.0019 with it, a tie again. item_knn stays: it is
#: the one component that reads the rating values, and on a small catalog with quick training (a first `make
#: demo`; tests/integration/test_api_flow.py) the blend without it put a horror fan's picks in another genre.
#: Adding transitions (`--set components=[...]|["sequence","implicit_als","item_knn","transitions"]`, seeds 0-2):
#: 0.1345 ± 0.0031 against 0.1303 ± 0.0019, the best mean yet for a few seconds of fitting (transitions alone:
#: 0.1244 ± 0.0039). Without the GRU (["transitions","implicit_als","item_knn"]) 0.1274 ± 0.0038; with svd,
#: content or user_knn added to that, 0.1234 to 0.1273: more components, noisier weights.
DEFAULT_COMPONENTS = ("sequence", "implicit_als", "item_knn", "transitions")
CONTEXT_FEATURES = ("rating count", "recent ratings")
#: The recency feature counts ratings per item in this many equal slices of the data's time span.
TIME_SLICES = 256
#: Weights tried for one feature, relative to the largest of the others (which stay put meanwhile).
SEARCH_STEPS = (0.0, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0)
NDCG_AT = 10
#: The weight search holds people x features x movies in memory: at most this many cells (float32).
SEARCH_CELLS = 40_000_000
DAY = 86_400.0


@dataclass
class BlendConfig(Config):
    #: Registered algorithm names whose scores are features.
    components: list[str] = field(default_factory=lambda: list(DEFAULT_COMPONENTS))
    #: Config overrides per component name, e.g. {"implicit_als": {"factors": 32}}.
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The window of the recency feature, back from the person's latest rating (at serving time: about now).
    #: On ml-100k's temporal inner validation split (`make tune TUNE_ARGS='--algorithm blend --seeds 3 --set
    #: recent_days=7|30|90'`): NDCG@10 0.1306 ± 0.0017 at 7 days, 0.1303 ± 0.0019 at 30, 0.1273 ± 0.0009 at 90,
    #: ties; a month stays.
    recent_days: float = 30.0
    #: How a component's scores become a feature: "percentile" over the catalog, or "zscore" (standardized).
    #: "zscore" scored 0.0806 on the inner validation split against 0.0701 for "percentile" (implicit_als, item_knn
    #: and content as components): ranks flatten the few movies a model is sure about.
    transform: str = "zscore"
    #: Learn only from held-out ratings at least this high (None: every held-out rating, as the temporal
    #: protocol counts them).
    #: 4.0 and None tie on the inner validation split (0.0809 and 0.0806, with implicit_als, item_knn and content),
    #: and again with today's components (`make tune TUNE_ARGS='--algorithm blend --seeds 3 --set
    #: target_min_rating=4.0|null'`: 0.1307 ± 0.0015 against 0.1297 ± 0.0027); 4.0 learns what people enjoy next.
    target_min_rating: float | None = 4.0
    #: Passes of the coordinate search over the features.
    search_rounds: int = 3
    #: At most this many validation people in the search (drawn at random); fewer when the catalog is large.
    search_people: int = 2000
    #: Each person's latest this many ratings are held out to learn the weights (a person keeps at least one
    #: to train on). Each is a target with the history before it, as the site would have shown the picks then.
    #: More targets did not help on ml-100k's temporal inner validation split (`make tune TUNE_ARGS='--algorithm
    #: blend --seeds 3 --set validation_ratings=1|3|5'`): NDCG@10 0.1303 ± 0.0019 at 1, 0.1286 ± 0.0012 at 3,
    #: 0.1280 ± 0.0024 at 5, ties; the latest rating alone is the closest to what the blend is asked to find.
    validation_ratings: int = 1
    #: The components are fitted again on all the data after the weights are learned, unless the ratings held
    #: out to learn them are at most this share of the data; then the components the weights were learned with
    #: are the ones kept. ml-100k's validation people hold out 0.94% of its ratings, so everything measured
    #: there refits; at the 1M shape the 1,798 people searched hold out 0.18%, at the 25M shape 0.0004%, and a
    #: second fit of every component (minutes each at 25M) would add only those.
    refit_share: float = 0.005

    def __post_init__(self) -> None:
        require_components("BlendConfig", self.components, self.overrides)
        require_choice(self, "transform", tuple(TRANSFORMS))
        require_positive(self, "recent_days", "search_people", "validation_ratings")
        require_non_negative(self, "search_rounds", "refit_share")


def percentile_rows(values: np.ndarray) -> np.ndarray:
    """Each row's finite values ranked into 0..1 (ties share their mean rank, a lone value is 0.5); NaN stays."""
    values = np.atleast_2d(np.asarray(values, dtype=np.float64))
    out = np.full(values.shape, np.nan)
    for row, scores in enumerate(values):
        finite = np.isfinite(scores)
        count = int(finite.sum())
        if count == 1:
            out[row, finite] = 0.5
        elif count > 1:
            out[row, finite] = (rankdata(scores[finite]) - 1.0) / (count - 1.0)
    return out


def zscore_rows(values: np.ndarray) -> np.ndarray:
    """Each row's finite values standardized (a row without spread is all 0); NaN stays."""
    values = np.atleast_2d(np.asarray(values, dtype=np.float64))
    finite = np.isfinite(values)
    count = np.maximum(finite.sum(axis=1, keepdims=True), 1)
    known = np.where(finite, values, 0.0)
    mean = known.sum(axis=1, keepdims=True) / count
    spread = np.sqrt((np.where(finite, values - mean, 0.0) ** 2).sum(axis=1, keepdims=True) / count)
    return np.where(finite, (known - mean) / np.where(spread > 0, spread, np.inf), np.nan)


#: transform -> (the function, the value of a missing feature: no opinion either way).
TRANSFORMS = {"percentile": (percentile_rows, 0.5), "zscore": (zscore_rows, 0.0)}


def combine(features: np.ndarray, weights: np.ndarray, neutral: float) -> np.ndarray:
    """The weighted mean of ``features`` (features x movies, NaN = missing, counted as ``neutral``).

    NaN where every feature is missing: no model knows the movie, so it ranks last.
    """
    known = np.isfinite(features).any(axis=0)
    total = float(weights.sum()) or 1.0
    mixed = (weights / total) @ np.where(np.isfinite(features), features, neutral)
    return np.where(known, mixed, np.nan)


def coordinate_ascent(
    features: np.ndarray, targets: np.ndarray, excluded: np.ndarray, *, rounds: int, seed: int
) -> np.ndarray:
    """Non-negative weights (largest 1) that maximize the mean NDCG@10 of each person's target movie.

    ``features`` is people x features x movies (the neutral value where missing), ``targets`` the position of each
    person's held-out movie, ``excluded`` people x movies (what they rated in training: out of the running).
    A held-out movie's rank counts the movies scored above it, and those scored the same that come first
    in one seeded random order, as the evaluation breaks ties.
    """
    people = np.arange(len(targets))
    tie_order = np.random.default_rng(seed).permutation(features.shape[2])
    first_in_ties = tie_order[None, :] < tie_order[targets][:, None]
    at_target = features[people, :, targets]  # people x features

    def ndcg(weights: np.ndarray) -> float:
        blended = np.einsum("pfm,f->pm", features, weights.astype(np.float32))
        target = (at_target @ weights.astype(np.float32))[:, None]
        ahead = ((blended > target) | ((blended == target) & first_in_ties)) & ~excluded
        rank = ahead.sum(axis=1) + 1
        return float(np.where(rank <= NDCG_AT, 1.0 / np.log2(rank + 1), 0.0).mean())

    weights = np.ones(features.shape[1])
    best = ndcg(weights)
    for _ in range(rounds):
        for k in range(len(weights)):
            scale = np.delete(weights, k).max(initial=0.0) or 1.0
            for step in SEARCH_STEPS:
                trial = weights.copy()
                trial[k] = step * scale
                if trial.any() and (value := ndcg(trial)) > best:
                    best, weights = value, trial
    return weights / weights.max()


class Blend(Recommender):
    """Top picks: a learned weighted mean of the components' scores, the rating count and the recent ratings."""

    name = "blend"
    config_class = BlendConfig

    config: BlendConfig

    @property
    def feature_names(self) -> list[str]:
        return [*self.config.components, *CONTEXT_FEATURES]

    def fit(self, data: Interactions) -> Self:
        """1. Hold out the latest ``validation_ratings`` ratings of the people the weight search can hold (a
           seeded sample of those with a rating to learn from; everyone keeps one rating for training).
        2. Fit the components on the rest and learn the weights on the held-out movies.
        3. Refit the components on all of ``data``, unless what was held out is at most ``refit_share`` of it.
        """
        self._set_items(data.item_ids)
        held_out = self._validation_people(data, data.latest(more_than=1, count=self.config.validation_ratings))
        train = data.select(~held_out)
        self.components = self._fit_components(train, "validation")
        self._context(train)
        self.weights = self._learn_weights(data, held_out)
        if held_out.sum() > self.config.refit_share * len(data):
            self.components = self._fit_components(data, "final")
        self._context(data)
        return self

    def refit(self, data: Interactions, *, tuned: Blend) -> Self:
        """The components fitted on all of ``data``, blended with the weights ``tuned`` learned."""
        require_same_settings(self, tuned)
        self._set_items(data.item_ids)
        self.components = self._fit_components(data, "final")
        self._context(data)
        self.weights = tuned.weights.copy()
        return self

    def features(self, history: History) -> np.ndarray:
        """features x ``item_ids`` for this person, transformed (NaN = missing): what the score is a weighted
        mean of."""
        self._require_fitted()
        raw = [component.score(history, self.item_ids) for component in self.components]
        raw += [self.log_counts, self._log_recent_counts(history)]
        transform, _ = TRANSFORMS[self.config.transform]
        return transform(np.vstack(raw))

    def score(self, history: History, items: np.ndarray | None = None) -> np.ndarray:
        positions, known = self.positions(items)
        _, neutral = TRANSFORMS[self.config.transform]
        return np.where(known, combine(self.features(history), self.weights, neutral)[positions], np.nan)

    def _log_recent_counts(self, history: History) -> np.ndarray:
        """log(1 + ratings per movie in the ``recent_days`` before the person's latest rating), NaN where nobody
        rated the movie at all. A person with no dated rating is placed at the newest rating in the data."""
        stamps = history.timestamps if history.timestamps is not None and len(history) else None
        at = float(np.max(stamps)) if stamps is not None and np.max(stamps) > 0 else float(self.slice_edges[-1])
        window = [at - self.config.recent_days * DAY, at]
        start, end = np.clip(np.searchsorted(self.slice_edges, window, side="right"), 0, len(self.slice_edges) - 1)
        recent = (self.cumulative[end] - self.cumulative[start]).astype(np.float64)
        return np.where(np.isfinite(self.log_counts), np.log1p(recent), np.nan)

    @property
    def weight_table(self) -> dict[str, float]:
        """Each feature's share of the score (the weights sum to 1), for the models page and the inspector."""
        shares = self.weights / (self.weights.sum() or 1.0)
        return {name: round(float(share), 4) for name, share in zip(self.feature_names, shares, strict=True)}

    # -- learning -------------------------------------------------------------------------------------------------

    def _context(self, data: Interactions) -> None:
        """Learn the popularity and recency inputs: log rating counts, and cumulative counts per time slice."""
        counts = np.bincount(data.items, minlength=data.n_items).astype(np.float64)
        self.log_counts = np.where(counts > 0, np.log1p(counts), np.nan)
        low, high = (float(data.timestamps.min()), float(data.timestamps.max())) if len(data) else (0.0, 0.0)
        self.slice_edges = np.linspace(low, high + 1.0, TIME_SLICES + 1)
        slices = np.clip(np.searchsorted(self.slice_edges, data.timestamps, side="right") - 1, 0, TIME_SLICES - 1)
        per_slice = np.zeros((TIME_SLICES + 1, data.n_items), dtype=np.int32)
        np.add.at(per_slice, (slices + 1, data.items), 1)
        self.cumulative = np.cumsum(per_slice, axis=0, dtype=np.int32)

    def _search_size(self) -> int:
        """How many held-out ratings the weight search may rank: ``search_people``, fewer for a large catalog."""
        n_features, n_items = len(self.feature_names), len(self.item_ids)
        return min(self.config.search_people, max(1, SEARCH_CELLS // (n_features * n_items)))

    def _targets(self, data: Interactions, held_out: np.ndarray) -> np.ndarray:
        """The positions of the ``held_out`` ratings the weights may learn from (high enough, if asked)."""
        rows = np.flatnonzero(held_out)
        if self.config.target_min_rating is not None:
            rows = rows[data.ratings[rows] >= self.config.target_min_rating]
        return rows

    def _validation_people(self, data: Interactions, held_out: np.ndarray) -> np.ndarray:
        """``held_out``, narrowed to a seeded sample of the people the search can hold, among those with a target:
        nobody else's ratings need be kept from the components."""
        candidates = np.unique(data.users[self._targets(data, held_out)])
        people = self._search_size()
        if len(candidates) <= people:
            return held_out
        chosen = np.zeros(data.n_users, dtype=bool)
        chosen[np.random.default_rng(self.config.seed).choice(candidates, people, replace=False)] = True
        return held_out & chosen[data.users]

    def _learn_weights(self, data: Interactions, held_out: np.ndarray) -> np.ndarray:
        """Search the weights on the ``held_out`` ratings of ``data``, each ranked from the ratings before it."""
        n_items = len(self.item_ids)
        people = self._search_size()
        rows = self._targets(data, held_out)
        if len(rows) == 0:
            return np.ones(len(self.feature_names))
        rng = np.random.default_rng(self.config.seed)
        if len(rows) > people:
            rows = np.sort(rng.choice(rows, people, replace=False))
        histories, places = data.histories(), data.positions_in_history()
        before = [histories[user].first(place) for user, place in zip(data.users[rows], places[rows], strict=True)]
        features = np.stack([self.features(history) for history in progress(before, desc="blend · validation")])
        _, neutral = TRANSFORMS[self.config.transform]
        features = np.where(np.isfinite(features), features, neutral).astype(np.float32)
        excluded = np.zeros((len(rows), n_items), dtype=bool)
        for row, history in enumerate(before):
            positions, known = self.positions(history.item_ids)
            excluded[row, positions[known]] = True
        targets = data.items[rows]
        return coordinate_ascent(features, targets, excluded, rounds=self.config.search_rounds, seed=self.config.seed)

    def _fit_components(self, data: Interactions, stage: str) -> list[Recommender]:
        desc = f"blend · fit components ({stage})"
        return components_fit(self.config.components, self.config.overrides, data, desc=desc)

    # -- saving and loading ---------------------------------------------------------------------------------------

    def save_state(self, directory: Path) -> None:
        components_save(directory, self.config.components, self.components)
        save_arrays(
            directory,
            item_ids=self.item_ids,
            weights=self.weights,
            log_counts=self.log_counts,
            slice_edges=self.slice_edges,
            cumulative=self.cumulative,
        )

    def load_state(self, directory: Path) -> None:
        arrays = load_arrays(directory)
        self.components = components_load(directory, self.config.components)
        self.weights, self.log_counts = arrays["weights"], arrays["log_counts"]
        self.slice_edges, self.cumulative = arrays["slice_edges"], arrays["cumulative"]
        self._set_items(arrays["item_ids"])
