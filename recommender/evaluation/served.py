"""The ``served`` protocol: the home page's personal rows, replayed offline on a split, each measured.

For every test person the real row builder (``recommender.rows``) runs on the split's training part:
the catalog and statistics come from the training ratings, the person's state is their training
history (with no feedback, and with or without their user id), and the models are each family's
members fitted on the training part. Each row is ranked alone, as the page ranks it before removing
what an earlier row showed, and scored like the temporal protocol: HR@10 and NDCG@10 of the held-out
movie. A row a person does not get (no liked movie to be "because" of) does not count for them.

Rows that show only a slice of the catalog (a genre, movies with few ratings, the newest) rarely hold
the next movie a person rates, whatever their order. For them the figures that say whether the row's
order is any good are the ``in_row`` ones: over the people whose held-out movie is one of the row's
candidates, NDCG@10 of the row's order, beside popularity's order of the very same candidates.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from recommender.algorithms.base import Recommender, progress
from recommender.algorithms.components import fits_shared, fitted
from recommender.algorithms.interactions import History, Interactions
from recommender.evaluation import metrics
from recommender.evaluation.runner import spread_over_seeds
from recommender.evaluation.splitting import Split
from recommender.families import FAMILIES
from recommender.rows import BUILDERS, Candidates, ServingModels, Taste, rank
from recommender.rows.inputs import DAMPING, TRENDING_WINDOW, CatalogSnapshot, PersonState, RatingStats

K = 10
DESCRIPTION = (
    "temporal leave-last-out; each row built by the site's row builder from the training part, ranked alone, "
    "the held-out movie the one relevant item"
)
#: The table the benchmark prints: (key, heading, digits).
ROW_COLUMNS: tuple[tuple[str, str, int], ...] = (
    (f"hr@{K}", f"HR@{K}", 4),
    (f"ndcg@{K}", f"NDCG@{K}", 4),
    (f"ndcg@{K}_in_row", f"NDCG@{K} in row", 4),
    (f"popularity_ndcg@{K}_in_row", "popularity's order", 4),
    ("users", "people", 0),
    ("users_in_row", "in row", 0),
)


def catalog_from(data: Interactions) -> CatalogSnapshot:
    """The catalog as the site would have it: every movie of ``data``'s vocabulary, newest release first."""
    features = data.item_features
    if features is None:
        raise ValueError("the served rows need item features (titles and genres)")
    order = np.argsort(data.item_ids, kind="stable")
    ids = data.item_ids[order]
    names = sorted({genre for genres in features.genres for genre in genres})
    column = {name: index for index, name in enumerate(names)}
    genres = np.zeros((len(ids), len(names)), dtype=bool)
    for row, position in enumerate(order):
        for genre in features.genres[position]:
            genres[row, column[genre]] = True
    years = np.nan_to_num(np.asarray(features.years, dtype=np.float64)[order], nan=0.0)
    return CatalogSnapshot(
        fingerprint=("split",),
        ids=ids,
        titles=[features.titles[position] for position in order],
        genre_ids=np.arange(1, len(names) + 1, dtype=np.int64),
        genre_names=names,
        genre_slugs=[name.lower().replace(" ", "-").replace("'", "") for name in names],
        genres=genres,
        newest_first=np.lexsort((-ids, -years)),
        built_at=0.0,
        years=np.where(years > 0, years, np.nan),
    )


def stats_from(data: Interactions, catalog: CatalogSnapshot) -> RatingStats:
    """Everyone's rating statistics over ``catalog``, from ``data``'s ratings, as the selectors compute them."""
    positions, _ = catalog.positions(data.item_ids[data.items])
    counts = np.bincount(positions, minlength=len(catalog)).astype(np.int64)
    sums = np.bincount(positions, weights=data.ratings, minlength=len(catalog))
    damped = (sums + DAMPING * data.global_mean) / (counts + DAMPING)
    newest = float(data.timestamps.max()) if len(data) else 0.0
    recent = data.timestamps >= newest - TRENDING_WINDOW.total_seconds()
    recent_counts = np.bincount(positions[recent], minlength=len(catalog)).astype(np.int64)
    means = np.divide(sums, counts, out=np.full(len(catalog), np.nan), where=counts > 0)
    return RatingStats(("split",), counts, damped, means, recent_counts, built_at=0.0, build_seconds=0.0)


def fit_families(
    train: Interactions,
    *,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    leave_out: Iterable[str] = (),
) -> dict:
    """Every family's members fitted on ``train``: {family: {algorithm: model}}, as training activates them.

    The families in ``leave_out`` are not fitted (a caller that already has their models). Inside
    ``fits_shared``, a member that a blend already holds with the same settings (item kNN, transitions) is
    that model, not a second fit."""
    overrides = overrides or {}
    skipped = set(leave_out)
    return {
        family.name: {name: fitted(name, train, **overrides.get(name, {})) for name in family.members}
        for family in FAMILIES.values()
        if family.name not in skipped
    }


def evaluate_rows(
    families: Mapping[str, Mapping[str, Recommender]], split: Split, *, new_people: bool = False
) -> dict[str, dict[str, float]]:
    """{row kind: {"hr@10", "ndcg@10", "users", "seconds"}} for every personal row kind some test person gets."""
    train, test = split.train, split.test
    catalog = catalog_from(train)
    stats = stats_from(train, catalog)
    models = ServingModels({family: dict(members) for family, members in families.items()})
    histories = train.histories()
    per_row: dict[str, list[dict[str, float]]] = defaultdict(list)
    seconds: dict[str, float] = defaultdict(float)
    for user in progress(np.unique(test.users), desc="served rows"):
        trained = histories[user]
        history = History(
            trained.item_ids, trained.ratings, trained.timestamps, None if new_people else trained.user_id
        )
        held_out = test.item_ids[test.items[test.users == user]]
        state = PersonState(user_id=int(train.user_ids[user]), history=history, feedback={}, favourite_genres=())
        taste = Taste(catalog=catalog, stats=stats, models=models, state=state)
        seen: set[str] = set()
        for spec in taste.specs:
            if spec.kind in seen or spec.kind == "watchlist":
                continue
            seen.add(spec.kind)
            started = time.perf_counter()
            candidates = BUILDERS[spec.kind](taste, spec)
            allowed = ~taste.banned if candidates.allowed is None else candidates.allowed
            ranked = _ids(rank(taste, candidates, allowed, K))
            seconds[spec.kind] += time.perf_counter() - started
            figures = {f"hr@{K}": metrics.hit_rate_at_k(ranked, held_out, K)}
            figures[f"ndcg@{K}"] = metrics.ndcg_at_k(ranked, held_out, K)
            eligible = np.isfinite(candidates.scores) & allowed
            if eligible[catalog.positions(held_out)[0]].any():
                by_popularity = Candidates(np.where(eligible, taste.popularity, np.nan), candidates.reason)
                figures[f"ndcg@{K}_in_row"] = figures[f"ndcg@{K}"]
                popular_order = _ids(rank(taste, by_popularity, allowed, K))
                figures[f"popularity_ndcg@{K}_in_row"] = metrics.ndcg_at_k(popular_order, held_out, K)
            per_row[spec.kind].append(figures)
    return {kind: _summarize(values, seconds[kind]) for kind, values in per_row.items()}


def _summarize(values: list[dict[str, float]], seconds: float) -> dict[str, float]:
    summary = {key: float(np.mean([v[key] for v in values])) for key in (f"hr@{K}", f"ndcg@{K}")}
    in_row = [v for v in values if f"ndcg@{K}_in_row" in v]
    for key in (f"ndcg@{K}_in_row", f"popularity_ndcg@{K}_in_row"):
        summary[key] = float(np.mean([v[key] for v in in_row])) if in_row else None
    return summary | {"users": float(len(values)), "users_in_row": float(len(in_row)), "seconds": seconds}


def _ids(picks) -> np.ndarray:
    return np.array([pick.movie_id for pick in picks], dtype=np.int64)


def evaluate_served(
    splits_for: Callable[[int], list[Split]],
    seeds: list[int],
    *,
    new_people: tuple[bool, ...] = (False,),
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    log: Callable[[str], None] | None = None,
) -> dict[bool, dict[str, dict[str, Any]]]:
    """{new_people: {"row <kind>": figures}}, each figure the mean ± sd over ``seeds`` (the families fitted
    once per seed and split, then measured for trained people, brand-new people, or both)."""
    runs: dict[bool, dict[str, list[dict[str, float]]]] = {who: defaultdict(list) for who in new_people}
    names = [name for family in FAMILIES.values() for name in family.members]
    for seed in seeds:
        for split in splits_for(seed):
            seeded = {name: {"seed": seed, **(overrides or {}).get(name, {})} for name in names}
            started = time.perf_counter()
            with fits_shared():
                families = fit_families(split.train, overrides=seeded)
            if log is not None:
                log(f"served rows, seed {seed}: families fitted in {time.perf_counter() - started:.0f} s")
            for who in new_people:
                for kind, figures in evaluate_rows(families, split, new_people=who).items():
                    runs[who][kind].append(figures)
    return {
        who: {f"row {kind}": {**spread_over_seeds(values), "seeds": len(values)} for kind, values in kinds.items()}
        for who, kinds in runs.items()
    }
