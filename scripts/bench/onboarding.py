"""How good are a newcomer's first Top picks after picking 3 taste groups, against after rating 10 movies?

``python -m scripts.bench.onboarding [--path ml-100k] [--seeds 1]`` on MovieLens 100k, without Django:

1. Temporal split (each person's latest rating held out, ties in time shuffled with the seed); the served
   ``blend`` is fitted on the training part, and the taste groups are made from its implicit ALS item factors
   exactly as the site makes them (``recommender.algorithms.groups``).
2. Every person is then scored as a newcomer, their user id withheld, from one of three histories:
   - **10 ratings**: their first 10 training ratings, as onboarding by rating would give;
   - **3 groups**: the 3 groups holding the most of their liked (4+ stars) training movies, seeded as the site
     seeds a pick (each group's SEEDED best-known members as "more like this", 4.5 stars);
   - **nothing**: an empty history (what Top picks are before onboarding).
3. NDCG@10 and HR@10 of the held-out movie among every movie not in that history, mean over people.

The person's own training ratings also trained the model, equally for the three histories: the comparison
between them is fair, the absolute figures are a little optimistic for a true newcomer.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

from recommender.algorithms import build
from recommender.algorithms.groups import SEEDED, seed_history, taste_groups
from recommender.algorithms.interactions import History
from recommender.evaluation import metrics
from recommender.evaluation.runner import ranking
from recommender.evaluation.splitting import inner_validation, temporal_leave_last_out
from recommender.movielens import read_movielens
from scripts.bench import default_path

K = 10
SEED_RATING = 4.5  # as "more like this" enters the fold-in history (recommender.rows.person)
PICKED_GROUPS = 3
FIRST_RATINGS = 10


def run(
    path: Path,
    seed: int,
    *,
    seeded: int = SEEDED,
    validation: bool = False,
    order: str = "popular",
    keep_seeds: bool = False,
) -> dict[str, dict[str, float]]:
    data = read_movielens(path)
    split = temporal_leave_last_out(data, seed=seed)
    if validation:  # each person's second-to-last rating; the test part is never read
        split = inner_validation(split, temporal=True, seed=seed)
    train, test = split.train, split.test
    blend = build("blend", seed=seed).fit(train)
    factors = next(component for component in blend.components if component.name == "implicit_als")
    features = train.item_features
    genre_names = sorted({genre for genres in features.genres for genre in genres})
    genres = np.array([[name in item for name in genre_names] for item in features.genres], dtype=bool)
    counts = np.bincount(train.items, minlength=train.n_items)
    position = {int(item): index for index, item in enumerate(train.item_ids)}
    aligned = np.array([position[int(item)] for item in factors.item_ids])
    groups = taste_groups(factors.item_ids, factors.item_factors, genres[aligned], genre_names, counts[aligned])
    group_of = {movie: group for group in groups for movie in group.members}

    histories = train.histories()
    figures: dict[str, list[tuple[float, float]]] = {"10 ratings": [], "3 groups": [], "nothing": []}
    for row in range(len(test)):
        user = int(test.users[row])
        target = int(test.item_ids[test.items[row]])
        history = histories[user]
        liked = [int(m) for m, r in zip(history.item_ids, history.ratings, strict=True) if r >= 4.0]
        votes: dict[int, int] = {}
        for movie in liked:
            if movie in group_of:
                votes[group_of[movie].key] = votes.get(group_of[movie].key, 0) + 1
        picked = [g for g in groups if g.key in sorted(votes, key=lambda k: -votes[k])[:PICKED_GROUPS]]
        seeds = seed_history(picked, per_group=seeded, order=order)
        first = History.from_arrays(history.item_ids[:FIRST_RATINGS], history.ratings[:FIRST_RATINGS],
                                    history.timestamps[:FIRST_RATINGS])  # fmt: skip
        stamp = float(history.timestamps[0]) if len(history) else 0.0
        grouped = History.from_arrays(seeds, np.full(len(seeds), SEED_RATING), np.full(len(seeds), stamp))
        for name, given in (("10 ratings", first), ("3 groups", grouped), ("nothing", History.empty())):
            # A picked group is not a watch: with keep_seeds its members stay candidates.
            unseen = keep_seeds and name == "3 groups"
            candidates = train.item_ids if unseen else train.item_ids[~np.isin(train.item_ids, given.item_ids)]
            ranked = ranking(candidates, blend.score(given, candidates))
            figures[name].append((metrics.ndcg_at_k(ranked, [target], K), metrics.hit_rate_at_k(ranked, [target], K)))
    return {
        name: {
            "ndcg@10": float(np.mean([n for n, _ in values])),
            "hr@10": float(np.mean([h for _, h in values])),
            "people": len(values),
        }
        for name, values in figures.items()
    }


def spread(values: list[float]) -> str:
    """Mean ± sample sd over the seeds."""
    return f"{np.mean(values):.4f} ± {np.std(values, ddof=1) if len(values) > 1 else 0.0:.4f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench.onboarding", description=__doc__.split("\n\n")[0])
    parser.add_argument("--path", type=Path, default=default_path(), help="The ml-100k folder.")
    parser.add_argument("--seeds", type=int, default=1, help="Runs with seeds 0, 1, ...: mean ± sd.")
    parser.add_argument("--seeded", type=int, default=SEEDED, help="Members of each picked group seeded.")
    parser.add_argument("--validation", action="store_true", help="Score the inner validation split, not the test.")
    parser.add_argument("--order", choices=["popular", "central"], default="popular", help="Which members to seed.")
    parser.add_argument(
        "--keep-seeds", action="store_true", help="Leave the seeded members recommendable (a pick is not a watch)."
    )
    args = parser.parse_args(argv)
    if not (args.path / "u.data").is_file():
        print(f"MovieLens 100k not found at {args.path} (pass --path or set MOVIELENS_DIR)", file=sys.stderr)
        return 2
    started = time.perf_counter()
    options = {"seeded": args.seeded, "validation": args.validation, "order": args.order, "keep_seeds": args.keep_seeds}
    runs = [run(args.path, seed, **options) for seed in range(args.seeds)]
    print(f"MovieLens 100k at {args.path}; {platform.processor() or platform.machine()}, {platform.system()}")
    part = "inner validation (second-to-last ratings)" if args.validation else "test (latest ratings)"
    print(
        f"first Top picks of a newcomer (the served blend, user id withheld), temporal, {part}; "
        f"{args.seeded} seeded, {args.order}" + (", seeds left recommendable" if args.keep_seeds else "")
    )
    for name in runs[0]:
        ndcg = [r[name]["ndcg@10"] for r in runs]
        hr = [r[name]["hr@10"] for r in runs]
        print(f"  {name:<11} NDCG@10 {spread(ndcg)}  HR@10 {spread(hr)}  ({runs[0][name]['people']} people)")
    print(f"done in {time.perf_counter() - started:.0f} s over {args.seeds} seed(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
