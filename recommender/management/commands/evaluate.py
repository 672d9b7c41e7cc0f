"""``manage.py evaluate``: offline evaluation of recommendation algorithms on MovieLens files (or the database)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.importers import VARIANTS, ImportFailed, sources
from recommender.algorithms import ALGORITHMS
from recommender.algorithms.base import set_progress
from recommender.algorithms.interactions import Interactions
from recommender.evaluation.report import format_table, format_ties, results_document
from recommender.evaluation.runner import PROTOCOLS, available_algorithms, evaluate, make_splits
from recommender.evaluation.splitting import Pairs
from recommender.movielens import read_ml100k_folds, read_movielens


class Command(BaseCommand):
    help = (
        "Fit algorithms on train/test splits and report RMSE, MAE (explicit models only; '-' for models that "
        "only rank), HR@10, NDCG@10, coverage and fit/predict seconds. Protocols: "
        + "; ".join(f"{name}: {protocol.description}" for name, protocol in PROTOCOLS.items())
        + ". Reads the MovieLens files directly; the database is used only with --from-db."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dataset", default="ml-100k", choices=sorted(VARIANTS), help="Which MovieLens data set.")
        parser.add_argument(
            "--path", type=Path, help="The data set's folder or its parent (default: MOVIELENS_DIR/<dataset>)."
        )
        parser.add_argument("--protocol", default="folds", choices=sorted(PROTOCOLS), help="How to split the data.")
        parser.add_argument("--algorithms", default="all", help="Comma-separated registered names, or 'all' (default).")
        parser.add_argument("--output", type=Path, help="Also write the results as JSON to this file.")
        parser.add_argument("--seed", type=int, default=42, help="Seed of the kfold and sampled splits.")
        parser.add_argument(
            "--from-db", action="store_true", help="Evaluate the ratings in the database instead of the files."
        )

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        names = self._algorithm_names(options["algorithms"])
        protocol = PROTOCOLS[options["protocol"]]
        data, folds, dataset = self._load(options)
        splits = make_splits(protocol.name, data, folds=folds, seed=options["seed"])

        token = set_progress(options["verbosity"] > 0 and sys.stderr.isatty())
        try:
            results = evaluate(names, splits, protocol, log=self.stdout.write)
        finally:
            token.var.reset(token)

        document = results_document(results, dataset=dataset, protocol=protocol.name, description=protocol.description)
        self.stdout.write(f"\n{dataset}, protocol {protocol.name} ({protocol.description})\n{document['machine']}")
        self.stdout.write(format_table(results))
        self.stdout.write(format_ties(results))
        if options["output"]:
            options["output"].parent.mkdir(parents=True, exist_ok=True)
            options["output"].write_text(json.dumps(document, indent=2))
        written = f"; results in {options['output']}" if options["output"] else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Evaluated {len(names)} algorithm(s) on {dataset} ({protocol.name}, {len(splits)} split(s)) "
                f"in {time.perf_counter() - started:.1f} s{written}"
            )
        )

    def _algorithm_names(self, spec: str) -> list[str]:
        if spec.strip() == "all":
            available, missing = available_algorithms()
            if missing:
                self.stderr.write(f"Skipping algorithms whose code is not here yet: {', '.join(missing)}")
            return available
        names = [name.strip() for name in spec.split(",") if name.strip()]
        unknown = [name for name in names if name not in ALGORITHMS]
        if unknown or not names:
            raise CommandError(
                f"Unknown algorithm(s): {', '.join(unknown) or '(none given)'}; known: {', '.join(ALGORITHMS)}"
            )
        _, missing = available_algorithms(names)
        if missing:
            raise CommandError(
                f"Algorithm(s) that cannot be loaded: {'; '.join(f'{n} ({e})' for n, e in missing.items())}"
            )
        return names

    def _load(self, options: dict) -> tuple[Interactions, list[tuple[Pairs, Pairs]] | None, str]:
        """(interactions, the data set's own folds when the protocol needs them, a label for the data)."""
        wants_folds = options["protocol"] == "folds"
        if wants_folds and (options["from_db"] or options["dataset"] != "ml-100k"):
            raise CommandError("--protocol folds needs ml-100k's own u1..u5 files; use --protocol kfold instead")
        if options["from_db"]:
            from recommender.data import interactions_from_db

            return interactions_from_db(), None, "database"
        variant = VARIANTS[options["dataset"]]
        try:
            with sources.dataset_directory(
                variant=variant, path=options["path"], download=False, default_root=Path(settings.MOVIELENS_DIR)
            ) as directory:
                return (
                    read_movielens(directory, variant.name),
                    read_ml100k_folds(directory) if wants_folds else None,
                    variant.name,
                )
        except ImportFailed as error:
            raise CommandError(str(error)) from None
