"""``make bench`` (``python -m scripts.bench.accuracy``): the full benchmark on MovieLens 100k, without Django.

1. ml-100k's own five folds (u1..u5 base/test) for every explicit algorithm: mean RMSE, MAE, fit and
   predict seconds over the folds.
2. Temporal leave-last-out for every algorithm: HR@10 and NDCG@10 of each user's latest movie, ranked among
   every movie they did not rate in training.
3. With ``--rows``, the home page's personal rows (Top picks, Because you rated, Fans like you, Up next,
   Popular in, Hidden gems, New in the catalog), each built by the site's own row builder from the temporal
   training part and measured like the temporal protocol (``recommender.evaluation.served``).
4. When the anchor libraries' environment exists (``make anchors``, or ``--anchors-python`` /
   ``ANCHORS_PYTHON``), Surprise's SVD, SVD++ and KNNBaseline on the folds and implicit's ALS and BPR on the
   temporal protocol, each tuned with the same budget on the same inner validation splits as ours
   (``scripts.bench.anchors``), in the same tables.

Each of our algorithms runs with ``--seeds`` seeds (3 by default): every figure is the mean ± sd over them,
and for the temporal protocol each seed also breaks the ties in time its own way. Under each table, the
best RMSE and NDCG@10, and which algorithms are a tie with it (a difference under 2 sd).

Each table is printed with the data set, the protocol and the machine, and written to ``--output-dir``
as JSON. An algorithm that fails is reported and the run goes on; the exit status is then 1.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from recommender.algorithms import ALGORITHMS, build
from recommender.algorithms.base import set_progress
from recommender.evaluation.report import format_table, format_ties, machine_description, results_document
from recommender.evaluation.runner import (
    PROTOCOLS,
    SplitsBySeed,
    available_algorithms,
    evaluate,
    make_splits,
    summary_line,
)
from recommender.evaluation.served import DESCRIPTION as SERVED_DESCRIPTION
from recommender.evaluation.served import ROW_COLUMNS, evaluate_served
from recommender.evaluation.splitting import Split
from recommender.movielens import read_ml100k_folds, read_movielens
from scripts.bench import ROOT, default_path

#: The separately installed environment with the anchor libraries (``make anchors``).
ANCHORS_PYTHON = ROOT / ".venv-anchors" / "bin" / "python"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    started = time.perf_counter()
    path = args.path.expanduser()
    if not (path / "u.data").is_file():
        print(f"MovieLens 100k not found at {path} (pass --path or set MOVIELENS_DIR)", file=sys.stderr)
        return 2
    if args.seeds < 1:
        print(f"--seeds must be at least 1, got {args.seeds}", file=sys.stderr)
        return 2
    requested = args.algorithms.split(",") if args.algorithms else list(ALGORITHMS)
    unknown = [name for name in requested if name not in ALGORITHMS]
    if unknown:
        print(f"Unknown algorithm(s): {', '.join(unknown)}; known: {', '.join(ALGORITHMS)}", file=sys.stderr)
        return 2
    names, missing = available_algorithms(requested)
    for name, reason in missing.items():
        print(f"skipping {name}: {reason}", file=sys.stderr)
    data = read_movielens(path)
    set_progress(sys.stderr.isatty())
    machine = machine_description()
    print(f"MovieLens 100k at {path}: {data.n_users} users, {data.n_items} movies, {len(data)} ratings\n{machine}\n")
    args.output_dir.mkdir(parents=True, exist_ok=True)
    failed: list[str] = []
    seeds = list(range(args.seeds))
    anchors_python = args.anchors_python or (str(ANCHORS_PYTHON) if ANCHORS_PYTHON.is_file() else None)
    anchors = _anchors(anchors_python, path, args.seeds) if anchors_python and not args.no_anchors else {}

    if "folds" in args.protocols:
        explicit = [name for name in names if build(name).explicit]
        splits = make_splits("folds", data, folds=read_ml100k_folds(path))
        results = _run("folds", explicit, splits, failed, seeds=seeds) | anchors.get("folds", {})
        _report("folds", results, args.output_dir, note="mean over the five folds; explicit algorithms only")

    if "temporal" in args.protocols:
        # Each seed breaks the ties in time its own way, so the spread covers which movie is held out too.
        def splits(seed: int) -> list[Split]:
            return make_splits("temporal", data, seed=seed)

        results = _run("temporal", names, splits, failed, seeds=seeds) | anchors.get("temporal", {})
        _report("temporal", results, args.output_dir, note="every algorithm")
        if args.new_people:
            results = _run("temporal", names, splits, failed, seeds=seeds, new_people=True)
            note = "every algorithm, each person folded in from their ratings with the user id withheld"
            _report("temporal", results, args.output_dir, note=note, name="temporal-new-people")
        if args.rows:
            _report_rows(splits, seeds, args.output_dir, new_people=(False, True) if args.new_people else (False,))

    print(f"Benchmark done in {time.perf_counter() - started:.0f} s; results in {args.output_dir}/")
    if failed:
        print(f"Failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def _run(
    protocol: str,
    names: list[str],
    splits: SplitsBySeed,
    failed: list[str],
    *,
    seeds: list[int],
    new_people: bool = False,
) -> dict[str, dict[str, Any]]:
    results = evaluate(
        names, splits, PROTOCOLS[protocol], seeds=seeds, log=_print, keep_going=True, new_people=new_people
    )
    failed += [f"{name} ({protocol})" for name, result in results.items() if "error" in result]
    return results


def _print(line: str) -> None:
    print(line, flush=True)


def _report(
    protocol: str, results: dict[str, dict[str, Any]], output_dir: Path, *, note: str, name: str | None = None
) -> None:
    description = PROTOCOLS[protocol].description
    print(f"\nml-100k, protocol {protocol} ({description}); {note}\n{machine_description()}")
    print(format_table(results), flush=True)
    print(format_ties(results) + "\n", flush=True)
    document = results_document(results, dataset="ml-100k", protocol=protocol, description=description)
    (output_dir / f"{name or protocol}.json").write_text(json.dumps(document, indent=2))


def _report_rows(splits: SplitsBySeed, seeds: list[int], output_dir: Path, *, new_people: tuple[bool, ...]) -> None:
    """The home page's personal rows, replayed on the temporal splits (``recommender.evaluation.served``)."""
    measured = evaluate_served(splits, seeds, new_people=new_people, log=_print)
    for who, results in measured.items():
        people = "brand-new people (user id withheld)" if who else "trained people"
        print(f"\nml-100k, protocol served rows ({SERVED_DESCRIPTION}), {people}; mean ± sd over {len(seeds)} seed(s)")
        print(machine_description())
        print(format_table(results, ROW_COLUMNS, first="row") + "\n", flush=True)
        name = "served-rows-new-people" if who else "served-rows"
        document = results_document(results, dataset="ml-100k", protocol="served", description=SERVED_DESCRIPTION)
        (output_dir / f"{name}.json").write_text(json.dumps(document, indent=2))


def _anchors(python: str, path: Path, seeds: int) -> dict[str, dict[str, Any]]:
    """Surprise's and implicit's figures, tuned on the same inner splits (``scripts.bench.anchors``), run by
    ``python``; {} when it cannot run (the benchmark goes on without them)."""
    print(f"The anchor libraries, tuned on the same inner splits, with {python} ...", flush=True)
    try:
        finished = subprocess.run(
            [python, "-m", "scripts.bench.anchors", "--path", str(path), "--seeds", str(seeds)],
            capture_output=True,
            text=True,
            check=True,
            timeout=4 * 3600,  # KNNBaseline scores one (person, movie) pair at a time: the slow part
            cwd=ROOT,
        )
        results = json.loads(finished.stdout)
    except (OSError, subprocess.SubprocessError, json.JSONDecodeError) as error:
        stderr = getattr(error, "stderr", "") or ""
        print(f"The anchors could not run: {error} {stderr.strip()[-500:]}", file=sys.stderr)
        return {}
    for protocol, figures in results.items():
        for name, result in figures.items():
            print(f"{summary_line(name, result)} [{protocol}; chosen on validation: {result.get('params')}]")
    return results


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench.accuracy", description=__doc__.split("\n\n")[0])
    parser.add_argument("--path", type=Path, default=default_path(), help="The ml-100k folder.")
    parser.add_argument("--output-dir", type=Path, default=Path("bench-results"), help="Where the JSON goes.")
    parser.add_argument("--algorithms", default="", help="Comma-separated names (default: every registered one).")
    parser.add_argument(
        "--protocols",
        default="folds,temporal",
        type=lambda text: set(text.split(",")),
        help="folds, temporal or both (default).",
    )
    parser.add_argument(
        "--seeds",
        type=int,
        default=3,
        help="Runs per algorithm, with seeds 0, 1, ...: every figure is their mean ± sd (default 3).",
    )
    parser.add_argument(
        "--new-people",
        action="store_true",
        help="Also run the temporal protocol with every user id withheld (fold-in, as for people who sign up).",
    )
    parser.add_argument(
        "--rows",
        action="store_true",
        help="Also replay the home page's personal rows on the temporal splits and measure each one.",
    )
    parser.add_argument(
        "--anchors-python",
        default=os.environ.get("ANCHORS_PYTHON"),
        help=f"A Python with Surprise and implicit (default: $ANCHORS_PYTHON, or {ANCHORS_PYTHON} if present).",
    )
    parser.add_argument("--no-anchors", action="store_true", help="Leave the anchor libraries out.")
    return parser


if __name__ == "__main__":
    sys.exit(main())
