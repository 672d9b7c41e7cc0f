"""``manage.py warm_folds [--family NAME ...] [--people N]``: fold the recently active people in now, and keep
their Top picks."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from recommender.families import FAMILIES
from recommender.foldins import folds_warm, recently_active, serving_fold_store
from recommender.services import top_picks_warm


class Command(BaseCommand):
    help = (
        "Fold the most recently active people into the active models and keep the folds in the shared "
        "'folds' cache (Redis with REDIS_URL), then compute their Top picks and keep them there too, so their "
        "next page and API Top picks read them. The training worker does this "
        "after each activation; run it after flushing Redis or raising folding.FOLD_VERSION."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--family",
            action="append",
            choices=list(FAMILIES),
            dest="families",
            help="A family whose active models to fold into (repeatable). Default: all of them.",
        )
        parser.add_argument("--people", type=int, help="How many people (default: FOLD_WARM_PEOPLE).")

    def handle(self, *args, families: list[str] | None, people: int | None, **options) -> None:
        if people is not None and people < 0:
            raise CommandError("--people must be 0 or more")
        if serving_fold_store() is None:
            raise CommandError("FOLD_IN_TTL_SECONDS is 0: there is no fold store to fill")
        warmed = folds_warm(families=families, people=people, say=self.stdout.write)
        self.stdout.write(f"Folded {warmed.people} people into {warmed.models} active models in {warmed.seconds:.1f} s")
        started = time.perf_counter()
        picks = top_picks_warm(user_ids=recently_active(warmed.people), say=self.stdout.write) if warmed.people else 0
        self.stdout.write(f"Kept the Top picks of {picks} people in {time.perf_counter() - started:.1f} s")
