"""``python -m scripts.bench.enrichment``: do TMDB's credits and overviews make content recommendations better?

Run it on a site's database after ``manage.py enrich_tmdb``. It exports the ratings and the catalog as a
retrain would, splits them with the temporal protocol (each person's latest rating held out, ties in time
broken by a seeded random order), and keeps only the people whose held-out movie was enriched (it has a
director, cast or an overview). The content model is fitted twice on the same training part:

- **catalog only**: genres, tags, title words and year, with the credits and overviews taken out;
- **with enrichment**: the same, plus the directors, cast and overview words.

Both are measured on the same people (HR@10, NDCG@10 of the held-out movie among everything they did not
rate), mean ± sd over ``--seeds``; a difference under 2 sd is printed as a tie. ``--validation`` measures on
each person's second-to-last rating instead, for choosing the weights (``--set overview_weight=...``)
without reading the test part.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from typing import Any

import numpy as np

from recommender.algorithms.interactions import Interactions, ItemFeatures
from recommender.evaluation.report import format_table, format_ties, machine_description
from recommender.evaluation.runner import PROTOCOLS, evaluate_algorithm, make_splits
from recommender.evaluation.splitting import Split, inner_validation
from scripts.bench import django_setup
from scripts.bench.tune import parse_choice

#: The content terms that enrichment adds beside MovieLens' own tags (recommender.data).
CREDIT_PREFIXES = ("director: ", "cast: ")
VARIANTS = ("catalog only", "with enrichment")


def enriched(features: ItemFeatures) -> np.ndarray:
    """Per item: whether enrichment gave it a credit or an overview."""
    found = np.zeros(len(features.titles), dtype=bool)
    for position, tags in enumerate(features.tags):
        found[position] = any(term.startswith(CREDIT_PREFIXES) for term in tags)
    for position, text in enumerate(features.overviews):
        found[position] |= bool(text)
    return found


def catalog_only(features: ItemFeatures) -> ItemFeatures:
    """The same features without what enrichment added: no credit terms, no overviews."""
    tags = [{term: n for term, n in tags.items() if not term.startswith(CREDIT_PREFIXES)} for tags in features.tags]
    return dataclasses.replace(features, tags=tags, overviews=[])


def splits_on_enriched(data: Interactions, *, validation: bool) -> tuple[Any, Any]:
    """Two functions of the seed, one per variant: the temporal splits (or their inner validation), the test
    part cut down to the ratings of enriched movies, the same people and movies for both variants."""
    assert data.item_features is not None
    wanted = enriched(data.item_features)
    stripped = catalog_only(data.item_features)

    def split(seed: int) -> Split:
        (outer,) = make_splits("temporal", data, seed=seed)
        chosen = inner_validation(outer, temporal=True, seed=seed) if validation else outer
        return Split(
            f"{chosen.name}, enriched movies held out", chosen.train, chosen.test.select(wanted[chosen.test.items])
        )

    def without(seed: int) -> list[Split]:
        kept = split(seed)
        train = dataclasses.replace(kept.train, item_features=stripped)
        return [Split(kept.name, train, dataclasses.replace(kept.test, item_features=stripped))]

    return without, lambda seed: [split(seed)]


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    started = time.perf_counter()
    django_setup()
    from recommender.data import interactions_from_db

    data = interactions_from_db()
    if data.item_features is None or not enriched(data.item_features).any():
        print("No movie here is enriched: run manage.py enrich_tmdb with TMDB_API_KEY set first.", file=sys.stderr)
        return 2
    count = int(enriched(data.item_features).sum())
    part = "validation (each person's second-to-last rating)" if args.validation else "test (each person's latest)"
    print(f"The site's database: {data.n_users} people, {data.n_items} movies ({count} enriched), {len(data)} ratings")
    print(f"protocol temporal, {part}, only people whose held-out movie is enriched; {machine_description()}")
    overrides = dict(args.set)
    seeds = list(range(args.seeds))
    variants = dict(zip(VARIANTS, splits_on_enriched(data, validation=args.validation), strict=True))
    results = {
        variant: evaluate_algorithm("content", splits, PROTOCOLS["temporal"], overrides=overrides, seeds=seeds)
        for variant, splits in variants.items()
    }
    people = len(np.unique(variants[VARIANTS[1]](0)[0].test.users))
    print(format_table(results))
    print(format_ties(results))
    print(f"{people} people measured (seed 0); done in {time.perf_counter() - started:.0f} s")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench.enrichment", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3, help="Runs with seeds 0, 1, ...: mean ± sd (default 3).")
    parser.add_argument("--validation", action="store_true", help="Measure on the inner validation split instead.")
    parser.add_argument("--set", action="append", type=lambda text: _single(parse_choice(text)), default=[])
    return parser


def _single(choice: tuple[str, list[Any]]) -> tuple[str, Any]:
    name, values = choice
    if len(values) != 1:
        raise argparse.ArgumentTypeError(f"--set {name}: one value here (make tune searches several)")
    return name, values[0]


if __name__ == "__main__":
    sys.exit(main())
