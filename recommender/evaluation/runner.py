"""Fit algorithms on splits and measure them: the harness behind ``manage.py evaluate`` and ``make bench``.

Results are plain dicts (JSON-ready): one per algorithm, the mean over splits of every metric plus the
per-split figures. A metric that does not apply (RMSE of a model that only ranks) is None.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from recommender.algorithms import ALGORITHMS, algorithm_class, build
from recommender.algorithms.base import Recommender, progress
from recommender.algorithms.interactions import Interactions
from recommender.evaluation import metrics
from recommender.evaluation.splitting import (
    Pairs,
    Split,
    kfold,
    leave_one_out_sampled,
    predefined_folds,
    temporal_leave_last_out,
)

logger = logging.getLogger(__name__)

#: Length of the recommendation lists the ranking metrics look at.
K = 10

#: The splits every seed uses, or the splits of each seed (a protocol whose split is seeded, such as temporal ties).
SplitsBySeed = Sequence[Split] | Callable[[int], Sequence[Split]]


@dataclass(frozen=True)
class Protocol:
    name: str
    description: str
    #: A held-out rating at least this high counts as a hit for the ranking metrics; None: every one does.
    min_relevant: float | None


PROTOCOLS: dict[str, Protocol] = {
    protocol.name: protocol
    for protocol in (
        Protocol(
            "folds",
            "the data set's own five folds (ml-100k u1..u5 base/test); ranking metrics rank every movie the user "
            "did not rate in training, and the user's test movies rated 4 or more are the relevant ones",
            4.0,
        ),
        Protocol(
            "kfold",
            "a seeded random 5-fold split of the ratings; ranking metrics as for folds (test ratings >= 4 relevant)",
            4.0,
        ),
        Protocol(
            "temporal",
            "temporal leave-last-out: each user's latest rating (ties in time: a seeded random one) is the test, "
            "every movie the user did not rate in training is ranked, the held-out movie is the one relevant item",
            None,
        ),
        Protocol(
            "sampled",
            "leave-one-out with 99 sampled negatives (the NCF protocol): each user's latest rating is ranked "
            "against 99 movies the user never rated",
            None,
        ),
    )
}


def make_splits(
    protocol: str, data: Interactions, *, folds: Sequence[tuple[Pairs, Pairs]] | None = None, seed: int = 42
) -> list[Split]:
    """The splits of ``protocol``; "folds" needs the data set's own ``folds`` (see ``recommender.movielens``)."""
    if protocol == "folds":
        if folds is None:
            raise ValueError("the folds protocol needs the data set's predefined folds")
        return predefined_folds(data, folds)
    if protocol == "kfold":
        return kfold(data, 5, seed=seed)
    if protocol == "temporal":
        return [temporal_leave_last_out(data, seed=seed)]
    if protocol == "sampled":
        return [leave_one_out_sampled(data, 99, seed=seed)]
    raise ValueError(f"unknown protocol {protocol!r}; known: {', '.join(PROTOCOLS)}")


def available_algorithms(names: Iterable[str] = ALGORITHMS) -> tuple[list[str], dict[str, str]]:
    """Those of ``names`` (registered ones) whose code imports here, and for the others why not."""
    available, missing = [], {}
    for name in names:
        try:
            algorithm_class(name)
        except (ImportError, AttributeError) as error:
            missing[name] = str(error)
        else:
            available.append(name)
    return available, missing


def evaluate(
    algorithms: Sequence[str],
    splits: SplitsBySeed,
    protocol: Protocol,
    *,
    seeds: Sequence[int] | None = None,
    log: Callable[[str], None] | None = None,
    keep_going: bool = False,
    new_people: bool = False,
) -> dict[str, dict[str, Any]]:
    """Every algorithm on every split: {name: mean metrics, with "splits" or "seeds" holding the parts}.

    See :func:`evaluate_algorithm` for ``seeds``. With ``keep_going`` an algorithm that raises gets
    {"error": "..."} and the others still run: one broken model must not cost the rest of a long benchmark.
    """
    results: dict[str, dict[str, Any]] = {}
    for name in algorithms:
        try:
            results[name] = evaluate_algorithm(name, splits, protocol, seeds=seeds, new_people=new_people)
        except Exception as error:
            if not keep_going:
                raise
            logger.exception("%s failed on the %s protocol", name, protocol.name)
            results[name] = {"error": f"{type(error).__name__}: {error}"}
        if log is not None:
            log(summary_line(name, results[name]))
    return results


def evaluate_algorithm(
    name: str,
    splits: SplitsBySeed,
    protocol: Protocol,
    *,
    overrides: Mapping[str, Any] | None = None,
    seeds: Sequence[int] | None = None,
    new_people: bool = False,
) -> dict[str, Any]:
    """Fit a fresh ``name`` on each split's training part and measure it on the test part (see evaluate_split).

    Without ``seeds``: one run with the model's own seed, the mean over the splits. With them: one run per
    seed (the model's seed, and the splits of that seed when ``splits`` is a function of it), each figure
    the mean over the seeds with its standard deviation beside it as ``<figure>_sd``, and "seeds" holding
    each run.
    """
    if seeds is None:
        return _one_run(name, _splits_for(splits, None), protocol, overrides, new_people)
    runs = []
    for seed in seeds:
        seeded = {**(overrides or {}), "seed": seed}
        runs.append({"seed": seed, **_one_run(name, _splits_for(splits, seed), protocol, seeded, new_people)})
    return {**spread_over_seeds(runs), "seeds": runs}


def _splits_for(splits: SplitsBySeed, seed: int | None) -> Sequence[Split]:
    if not callable(splits):
        return splits
    if seed is None:
        raise ValueError("splits made per seed need the seeds to make them with")
    return splits(seed)


def _one_run(
    name: str, splits: Sequence[Split], protocol: Protocol, overrides: Mapping[str, Any] | None, new_people: bool
) -> dict[str, Any]:
    per_split = []
    for split in splits:
        model = build(name, **(overrides or {}))
        started = time.perf_counter()
        model.fit(split.train)
        fit_seconds = time.perf_counter() - started
        figures = evaluate_split(model, split, protocol, new_people=new_people)
        per_split.append({"split": split.name, "fit_seconds": fit_seconds, **figures})
    return {**_mean_over_splits(per_split), "splits": per_split}


def evaluate_split(model: Recommender, split: Split, protocol: Protocol, *, new_people: bool = False) -> dict[str, Any]:
    """Metrics of a fitted ``model`` on ``split``.

    1. For each user with held-out ratings, the History is their training ratings, with their user id; with
       ``new_people`` without it, so each person is folded in from their ratings alone, as the site does for
       everyone who signed up after the last training.
    2. Explicit models predict the held-out ratings: RMSE and MAE over all of them.
    3. The candidates are every movie the user did not rate in training (or the sampled ones); they are
       all ranked by score, NaN (cannot score) last, ties by a fixed hash of the id (:func:`ranking`).
    4. Ranking metrics compare that list with the relevant held-out movies, per user, then average; the
       top-K lists also give catalog coverage, novelty and genre diversity.
    ``predict_seconds`` is the time spent inside ``predict`` and ``score``.
    """
    train, test = split.train, split.test
    # Only the people evaluated: a holdout samples 5,000 of MovieLens 25M's 162,000.
    histories = train.histories(np.unique(test.users))
    if new_people:
        histories = {user: dataclasses.replace(history, user_id=None) for user, history in histories.items()}
    # The item positions each user rated in training: indices[indptr[u] : indptr[u + 1]].
    indptr, indices = train.matrix.indptr, train.matrix.indices
    same_items = np.array_equal(model.item_ids, train.item_ids)
    shares = popularity_shares(train)
    genres = _genres_by_item(train)
    test_rows = np.argsort(test.users, kind="stable")
    bounds = np.searchsorted(test.users[test_rows], np.arange(test.n_users + 1))

    predicted: list[np.ndarray] = []
    actual: list[np.ndarray] = []
    per_user: dict[str, list[float]] = {key: [] for key in _RANKING_KEYS}
    top_lists: list[np.ndarray] = []
    inference = 0.0
    users = np.flatnonzero(np.diff(bounds))
    for user in progress(users, desc=f"{model.name} · {split.name}", total=len(users)):
        rows = test_rows[bounds[user] : bounds[user + 1]]
        history = histories[user]
        items = test.item_ids[test.items[rows]]
        if model.explicit:
            started = time.perf_counter()
            predicted.append(model.predict(history, items))
            inference += time.perf_counter() - started
            actual.append(test.ratings[rows])

        relevant = items if protocol.min_relevant is None else items[test.ratings[rows] >= protocol.min_relevant]
        if len(relevant) == 0:
            continue
        started = time.perf_counter()
        if split.candidates is not None:
            candidates = train.item_ids[np.concatenate([split.candidates[row] for row in rows])]
            scores = model.score(history, candidates)
        else:
            unrated = np.ones(train.n_items, dtype=bool)
            unrated[indices[indptr[user] : indptr[user + 1]]] = False
            candidates = train.item_ids[unrated]
            # Scoring the model's whole vocabulary skips an id lookup per candidate; the result is the same.
            scores = (model.score(history) if same_items else model.score(history, train.item_ids))[unrated]
        inference += time.perf_counter() - started
        top = ranking_head(candidates, scores, K)
        top_lists.append(top)
        found = np.isin(relevant, candidates)
        first = int(ranks_in_ranking(candidates, scores, relevant[found]).min()) if found.any() else None
        for key, value in _ranking_metrics(top, relevant, first, genres).items():
            per_user[key].append(value)

    result: dict[str, Any] = {"rmse": None, "mae": None}
    if predicted:
        result["rmse"] = metrics.rmse(np.concatenate(predicted), np.concatenate(actual))
        result["mae"] = metrics.mae(np.concatenate(predicted), np.concatenate(actual))
    for key, values in per_user.items():
        finite = [value for value in values if not np.isnan(value)]
        result[key] = float(np.mean(finite)) if finite else None
    for key in (f"ndcg@{K}", f"hr@{K}"):
        # The standard error of the mean over people: what one holdout's figure is worth.
        values = per_user.get(key, [])
        result[f"{key}_se"] = float(np.std(values, ddof=1) / np.sqrt(len(values))) if len(values) > 1 else None
    result["coverage"] = metrics.catalog_coverage(top_lists, train.n_items)
    result["novelty"] = metrics.novelty(top_lists, shares) if top_lists else None
    # How concentrated the top-K lists are: over the catalog (Gini, effective size), and on its most popular 1%.
    counts = metrics.recommendation_counts(top_lists, train.item_ids)
    result["gini"] = metrics.gini_index(counts) if top_lists else None
    result["effective_catalog"] = metrics.effective_catalog_size(counts) if top_lists else None
    trained_counts = np.bincount(train.items, minlength=train.n_items)
    result["top1_share"] = metrics.popular_share(counts, trained_counts, 0.01) if top_lists else None
    result["ranked_users"] = len(top_lists)
    result["test_ratings"] = len(test)
    result["predict_seconds"] = inference
    return result


_RANKING_KEYS = (f"precision@{K}", f"recall@{K}", f"hr@{K}", f"ndcg@{K}", f"map@{K}", "mrr", "diversity")


def _ranking_metrics(
    top: np.ndarray, relevant: np.ndarray, first_place: int | None, genres: dict[int, list[str]] | None
) -> dict[str, float]:
    """The metrics of one person's ranking, from its ``top`` K and the place of its first relevant movie
    (None: none is among the candidates), which is all that reciprocal rank reads of the rest."""
    return {
        f"precision@{K}": metrics.precision_at_k(top, relevant, K),
        f"recall@{K}": metrics.recall_at_k(top, relevant, K),
        f"hr@{K}": metrics.hit_rate_at_k(top, relevant, K),
        f"ndcg@{K}": metrics.ndcg_at_k(top, relevant, K),
        f"map@{K}": metrics.average_precision_at_k(top, relevant, K),
        "mrr": 0.0 if first_place is None else 1.0 / (first_place + 1),
        "diversity": metrics.intra_list_diversity(top[:K], genres) if genres is not None else float("nan"),
    }


def ranking(items: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Every one of ``items``, best first by score; NaN (cannot score) ranks last, and ties go by a hash of the id.

    A NaN item is ranked, not dropped: dropping it would lift the held-out movie whenever a model cannot
    score the movies around it. Ties go by :func:`tiebreak` rather than by id, because ids carry meaning
    (ml-100k numbers older, more popular movies first), which would reward or punish a tie for no reason.
    """
    if scores.shape != items.shape:
        raise ValueError(f"a model scored {scores.shape[0]} of {items.shape[0]} candidate movies")
    return items[np.lexsort((tiebreak(items), -np.nan_to_num(scores, nan=0.0), np.isnan(scores)))]


def ranking_head(items: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
    """``ranking(items, scores)[:k]``, exactly, sorting only the items that can be in it.

    The k-th best score is found by a partition; every item scoring at least that much (ties included) is
    sorted as :func:`ranking` sorts, and the rest never are. At MovieLens 25M a whole catalog's sort was
    12 ms per person, most of an evaluation's time.
    """
    if scores.shape != items.shape:
        raise ValueError(f"a model scored {scores.shape[0]} of {items.shape[0]} candidate movies")
    scored = np.flatnonzero(~np.isnan(scores))
    if k <= 0 or len(scored) <= k:
        return ranking(items, scores)[:k]
    values = np.nan_to_num(scores[scored], nan=0.0)  # as ranking's key: an infinity is the largest float
    threshold = np.partition(values, len(values) - k)[len(values) - k]
    head = scored[values >= threshold]
    return ranking(items[head], scores[head])[:k]


def ranks_in_ranking(items: np.ndarray, scores: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """The places (0 for the first) that ``ranking(items, scores)`` gives the ``wanted`` ones of ``items``,
    found by counting what ranks before each, not by sorting everything."""
    if scores.shape != items.shape:
        raise ValueError(f"a model scored {scores.shape[0]} of {items.shape[0]} candidate movies")
    missing = np.isnan(scores)
    values = np.nan_to_num(scores, nan=0.0)
    keys = tiebreak(items)
    places = []
    for item in np.asarray(wanted).tolist():
        at = np.flatnonzero(items == item)
        if len(at) == 0:
            raise ValueError(f"movie {item} is not among the candidates")
        at = at[0]
        if missing[at]:
            before = np.count_nonzero(~missing) + np.count_nonzero(missing & (keys < keys[at]))
        else:
            better = (values > values[at]) | ((values == values[at]) & (keys < keys[at]))
            before = np.count_nonzero(better & ~missing)
        places.append(before)
    return np.array(places, dtype=np.int64)


def tiebreak(items: np.ndarray) -> np.ndarray:
    """A fixed pseudo-random key per item id (splitmix64), the same for every model and run."""
    z = np.asarray(items, dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def popularity_shares(data: Interactions) -> dict[int, float]:
    """Item id -> share of users who rated it. An item nobody rated counts as rated by one person, so its
    novelty is large but finite."""
    counts = np.bincount(data.items, minlength=data.n_items)
    users = max(data.n_users, 1)
    return dict(zip(data.item_ids.tolist(), (np.maximum(counts, 1) / users).tolist(), strict=True))


def _genres_by_item(data: Interactions) -> dict[int, list[str]] | None:
    if data.item_features is None:
        return None
    return dict(zip(data.item_ids.tolist(), data.item_features.genres, strict=True))


def spread_over_seeds(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The mean of every numeric figure over the runs, and its sample standard deviation as ``<figure>_sd``."""
    keys = [key for key, value in runs[0].items() if key != "seed" and (value is None or isinstance(value, float))]
    spread: dict[str, Any] = {}
    for key in keys:
        values = [run[key] for run in runs]
        if any(value is None for value in values):
            spread[key] = spread[f"{key}_sd"] = None
            continue
        spread[key] = float(np.mean(values))
        spread[f"{key}_sd"] = float(np.std(values, ddof=1)) if len(values) > 1 else None
    return spread


def _mean_over_splits(per_split: list[dict[str, Any]]) -> dict[str, Any]:
    """The mean of every numeric figure; a figure that is None in any split is None."""
    keys = [key for key in per_split[0] if key != "split"]
    mean = {}
    for key in keys:
        values = [result[key] for result in per_split]
        mean[key] = None if any(value is None for value in values) else float(np.mean(values))
    return mean


def format_figure(value: float, digits: int, spread: float | None = None) -> str:
    """``value`` to ``digits`` places, with ``± spread`` when it was measured over several seeds."""
    return f"{value:.{digits}f}" + (f" ± {spread:.{digits}f}" if spread is not None else "")


def summary_line(name: str, result: Mapping[str, Any]) -> str:
    """One line per algorithm for the end of a run."""
    if "error" in result:
        return f"{name}: FAILED: {result['error']}"
    parts = [name]
    for key, label, digits in (
        ("rmse", "RMSE", 4),
        ("mae", "MAE", 4),
        (f"hr@{K}", f"HR@{K}", 4),
        (f"ndcg@{K}", f"NDCG@{K}", 4),
    ):
        if result.get(key) is not None:
            parts.append(f"{label} {format_figure(result[key], digits, result.get(f'{key}_sd'))}")
    if "seeds" in result:
        over = f"mean of {len(result['seeds'])} seed(s)"
    else:
        over = f"mean of {len(result.get('splits', ())) or 1} split(s)"
    parts.append(f"fit {result['fit_seconds']:.1f} s, predict {result['predict_seconds']:.1f} s ({over})")
    return ": ".join([parts[0], ", ".join(parts[1:])])
