"""``manage.py enrich_tmdb``: posters, overviews, runtimes, directors and cast from TMDB (needs TMDB_API_KEY).

Resumable: run it again after a stop and it goes on with the movies not yet asked about.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from catalog.enrichment import catalog_enrich
from catalog.models import Movie
from catalog.tmdb import client_from_settings


class Command(BaseCommand):
    help = "Fetch posters, overviews, runtimes, directors and cast from TMDB for the movies not yet enriched."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Ask again about movies already enriched.")
        parser.add_argument("--limit", type=int, default=None, help="At most this many movies.")

    def handle(self, *args, force: bool, limit: int | None, **options) -> None:
        client = client_from_settings()
        if client is None:
            raise CommandError("TMDB_API_KEY is not set: get a key at themoviedb.org and put it in .env.")
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1")
        todo = Movie.objects.all() if force else Movie.objects.filter(enriched_at__isnull=True)
        total = min(todo.count(), limit) if limit is not None else todo.count()
        show = options["verbosity"] > 0 and sys.stderr.isatty()
        with tqdm(total=total, desc="TMDB", unit=" movies", disable=not show, leave=False) as bar:
            report = catalog_enrich(client=client, force=force, limit=limit, progress=bar.update)
        for line in report.lines():
            self.stdout.write(line)
        if report.stopped:
            raise CommandError(report.stopped)
