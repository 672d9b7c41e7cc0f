"""``manage.py generate_movielens DIR``: a synthetic MovieLens in the ml-25m CSV format (catalog.importers.synthetic).

Then ``manage.py import_movielens ml-latest --path DIR`` imports it like the real thing.
"""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.importers.synthetic import ML25M, Shape, generate

#: Named shapes of the real releases (people, movies, ratings).
SHAPES = {
    "ml-1m": {"users": 6_040, "movies": 3_706, "ratings": 1_000_209},
    "ml-10m": {"users": 69_878, "movies": 10_677, "ratings": 10_000_054},
    "ml-25m": ML25M,
}


class Command(BaseCommand):
    help = "Write a seeded synthetic MovieLens (movies, ratings, tags, links CSVs) shaped like a real release."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path, help="Where the CSV files go (created if missing).")
        parser.add_argument("--shape", choices=sorted(SHAPES), default="ml-25m", help="The release to imitate.")
        parser.add_argument("--users", type=int, help="People (default: the shape's).")
        parser.add_argument("--movies", type=int, help="Movies (default: the shape's).")
        parser.add_argument("--ratings", type=int, help="Ratings (default: the shape's).")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, directory: Path, shape: str, seed: int, **options) -> None:
        sizes = {key: options[key] if options[key] is not None else SHAPES[shape][key] for key in SHAPES[shape]}
        try:
            wanted = Shape(**sizes)
        except ValueError as error:
            raise CommandError(str(error)) from None
        started = time.perf_counter()
        last = [started]

        def progress(done: int, total: int) -> None:
            if options["verbosity"] > 0 and time.perf_counter() - last[0] >= 10:
                last[0] = time.perf_counter()
                self.stderr.write(f"  {done:,} of {total:,} people written")

        counts = generate(directory, wanted, seed=seed, progress=progress)
        self.stdout.write(
            f"Wrote {counts['ratings']:,} ratings by {counts['users']:,} people of {counts['movies']:,} movies "
            f"and {counts['tags']:,} tags to {directory} in {time.perf_counter() - started:.0f} s (seed {seed}). "
            f"Import it with: manage.py import_movielens ml-latest --path {directory}"
        )
