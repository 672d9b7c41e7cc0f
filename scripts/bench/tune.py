"""``make tune`` (``python -m scripts.bench.tune``): choose an algorithm's hyper-parameters on validation data only.

For the temporal protocol the validation movie is each person's second-to-last rating (their last is the
test, which is never read); for ml-100k's folds it is a seeded 10% of each ``uK.base``. Every setting of
the grid is fitted on what remains and scored there, with the mean ± sd over ``--seeds``; the table is
printed best first with the data set, the protocol and the machine, and written to ``--output-dir``.

    python -m scripts.bench.tune --algorithm blend --protocol temporal \\
        --set 'components=["sequence", "implicit_als"]|["sequence", "implicit_als", "item_knn"]' \\
        --set 'transform="zscore"|"percentile"'

Each ``--set`` is one parameter and its candidate values, separated by ``|``, each value written as JSON.

``--rows`` instead replays the home page's personal rows (``recommender.evaluation.served``) on the temporal
inner validation split, so that a row builder's choices are made without the test part too:

    python -m scripts.bench.tune --rows --seeds 3
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from recommender.algorithms import ALGORITHMS, build
from recommender.algorithms.base import set_progress
from recommender.evaluation.report import format_table, machine_description
from recommender.evaluation.runner import PROTOCOLS, make_splits
from recommender.evaluation.served import DESCRIPTION as SERVED_DESCRIPTION
from recommender.evaluation.served import ROW_COLUMNS, evaluate_served
from recommender.evaluation.splitting import INNER_SHARE, inner_validation
from recommender.evaluation.tuning import OBJECTIVES, format_entry, format_params, grid, tune
from recommender.movielens import read_ml100k_folds, read_movielens
from scripts.bench import default_path

VALIDATION = {
    "temporal": "each person's second-to-last rating (the last is the untouched test)",
    "folds": f"a seeded {INNER_SHARE:.0%} of each uK.base (uK.test is untouched)",
}


def parse_choice(text: str) -> tuple[str, list[Any]]:
    """``name=v1|v2`` -> (name, [v1, v2]), each value JSON (a bare word is taken as a string)."""
    name, equals, values = text.partition("=")
    if not equals or not name.strip():
        raise argparse.ArgumentTypeError(f"expected name=value|value..., got {text!r}")
    parsed = []
    for value in values.split("|"):
        try:
            parsed.append(json.loads(value))
        except json.JSONDecodeError:
            parsed.append(value.strip())
    return name.strip(), parsed


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.rows and (args.algorithm or args.set or args.protocol != "temporal"):
        parser.error("--rows measures the rows as the site builds them: no --algorithm, --set or --protocol folds")
    if not args.rows and args.algorithm is None:
        parser.error("--algorithm is required (or --rows)")
    path = args.path.expanduser()
    if not (path / "u.data").is_file():
        print(f"MovieLens 100k not found at {path} (pass --path or set MOVIELENS_DIR)", file=sys.stderr)
        return 2
    if args.rows:
        return _rows(args, path)
    if args.algorithm not in ALGORITHMS:
        print(f"Unknown algorithm {args.algorithm!r}; known: {', '.join(ALGORITHMS)}", file=sys.stderr)
        return 2
    settings = grid(dict(args.set))
    for params in settings:
        try:
            build(args.algorithm, **params)
        except (TypeError, ValueError) as error:
            print(f"--set {format_params(params)}: {error}", file=sys.stderr)
            return 2
    metric = args.metric or ("ndcg@10" if args.protocol == "temporal" else "rmse")
    started = time.perf_counter()
    data = read_movielens(path)
    set_progress(sys.stderr.isatty())
    machine = machine_description()
    print(f"MovieLens 100k at {path}: {data.n_users} users, {data.n_items} movies, {len(data)} ratings\n{machine}")
    print(f"protocol {args.protocol}, validation: {VALIDATION[args.protocol]}; {metric}, mean ± sd over seeds")
    if args.protocol == "folds":
        outer = make_splits("folds", data, folds=read_ml100k_folds(path))
    else:

        def outer(seed: int):
            return make_splits("temporal", data, seed=seed)

    ranked = tune(
        args.algorithm,
        outer,
        PROTOCOLS[args.protocol],
        settings,
        metric=metric,
        seeds=list(range(args.seeds)),
        log=print,
        new_people=args.new_people,
    )
    print(f"\n{args.algorithm} on the {args.protocol} validation split, best first ({len(args.set)} parameter(s)):")
    for entry in ranked:
        print(f"  {metric} {format_entry(entry, metric)}  {format_params(entry['params'])}")
    args.output_dir.mkdir(parents=True, exist_ok=True)
    out = args.output_dir / f"tune-{args.algorithm}-{args.protocol}.json"
    document = {"algorithm": args.algorithm, "protocol": args.protocol, "validation": VALIDATION[args.protocol]}
    document |= {"metric": metric, "machine": machine, "ranked": ranked}
    out.write_text(json.dumps(document, indent=2, default=str))
    print(f"\nTuning done in {time.perf_counter() - started:.0f} s; results in {out}")
    return 0


def _rows(args: argparse.Namespace, path: Path) -> int:
    """The served rows on each seed's temporal inner validation split: the test movie is never read."""
    started = time.perf_counter()
    data = read_movielens(path)
    set_progress(sys.stderr.isatty())
    seeds = list(range(args.seeds))

    def splits(seed: int):
        return [inner_validation(split, temporal=True, seed=seed) for split in make_splits("temporal", data, seed=seed)]

    measured = evaluate_served(splits, seeds, new_people=(args.new_people,), log=print)[args.new_people]
    people = "brand-new people (user id withheld)" if args.new_people else "trained people"
    print(f"\nMovieLens 100k at {path}, served rows on the temporal validation split ({VALIDATION['temporal']}):")
    print(f"{SERVED_DESCRIPTION}; {people}; mean ± sd over {len(seeds)} seed(s)\n{machine_description()}")
    print(format_table(measured, ROW_COLUMNS, first="row"))
    args.output_dir.mkdir(parents=True, exist_ok=True)
    out = args.output_dir / "tune-rows-temporal.json"
    document = {"protocol": "served", "validation": VALIDATION["temporal"], "machine": machine_description()}
    out.write_text(json.dumps(document | {"rows": measured}, indent=2, default=str))
    print(f"\nRows measured in {time.perf_counter() - started:.0f} s; results in {out}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench.tune", description=__doc__.split("\n\n")[0])
    parser.add_argument("--algorithm", help="A registered algorithm name (required unless --rows).")
    parser.add_argument(
        "--rows", action="store_true", help="Measure the home page's personal rows on the validation split instead."
    )
    parser.add_argument("--protocol", choices=sorted(VALIDATION), default="temporal")
    parser.add_argument("--set", action="append", type=parse_choice, default=[], help="name=value|value ...")
    parser.add_argument("--metric", choices=sorted(OBJECTIVES), help="ndcg@10 (temporal) or rmse (folds) by default.")
    parser.add_argument("--seeds", type=int, default=1, help="Runs per setting, with seeds 0, 1, ... (default 1).")
    parser.add_argument(
        "--new-people", action="store_true", help="Score everyone folded in with the user id withheld (fold-in)."
    )
    parser.add_argument("--path", type=Path, default=default_path(), help="The ml-100k folder.")
    parser.add_argument("--output-dir", type=Path, default=Path("bench-results"), help="Where the JSON goes.")
    return parser


if __name__ == "__main__":
    sys.exit(main())
