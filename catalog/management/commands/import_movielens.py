"""``manage.py import_movielens VARIANT [--path DIR_OR_ZIP] [--download]``: load a MovieLens data set."""

from __future__ import annotations

import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from tqdm import tqdm

from catalog.importers import VARIANTS, ImportFailed, sources
from catalog.importers.loader import movielens_import


class Command(BaseCommand):
    help = (
        "Import a MovieLens data set: movies, genres, users with profiles, ratings, tags and links. "
        "Safe to run again: existing rows are updated, not duplicated."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("variant", choices=sorted(VARIANTS), help="Which MovieLens data set.")
        source = parser.add_mutually_exclusive_group()
        source.add_argument(
            "--path", type=Path, help="The data set's folder (or its parent) or the official .zip archive."
        )
        source.add_argument(
            "--download", action="store_true", help="Download the official archive from GroupLens and verify it."
        )
        parser.add_argument("--quiet", action="store_true", help="No progress bar and no report, only the summary.")

    def handle(self, *args, variant: str, path: Path | None, download: bool, quiet: bool, **options) -> None:
        verbosity = options["verbosity"]
        show_progress = not quiet and verbosity > 0 and sys.stderr.isatty()
        chosen = VARIANTS[variant]
        with tqdm(
            desc=f"Downloading {chosen.archive_name}", unit="B", unit_scale=True, file=sys.stderr,
            disable=not (show_progress and download), leave=False,
        ) as bar:  # fmt: skip

            def on_download(received: int, total: int | None) -> None:
                bar.total = total
                bar.update(received - bar.n)

            try:
                with sources.dataset_directory(
                    variant=chosen,
                    path=path,
                    download=download,
                    default_root=Path(settings.MOVIELENS_DIR),
                    base_url=sources.GROUPLENS_BASE_URL,
                    on_download=on_download,
                ) as directory:
                    bar.close()
                    report = movielens_import(variant=chosen, directory=directory, progress=show_progress)
            except ImportFailed as error:
                raise CommandError(str(error)) from None
            except DatabaseError as error:
                # Say so plainly: the transaction was rolled back, so a fix and a re-run start from a clean state.
                raise CommandError(f"The database refused the import, nothing was written: {error}") from error

        if verbosity > 0 and not quiet:
            for line in report.details():
                self.stdout.write(line)
        if verbosity > 0:
            self.stdout.write(self.style.SUCCESS(report.summary()))
