"""``manage.py warm_folds [--family NAME ...] [--people N]``: fold the recently active people in now."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from recommender.families import FAMILIES
from recommender.foldins import folds_warm, serving_fold_store


class Command(BaseCommand):
    help = (
        "Fold the most recently active people into the active models and keep the folds in the shared "
        "'folds' cache (Redis with REDIS_URL), so their next page reads them. The training worker does this "
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
