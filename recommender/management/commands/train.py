"""``manage.py train [--family NAME ...] [--sync]``: retrain model families now."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from recommender.families import FAMILIES
from recommender.models import ModelVersion
from recommender.training import families_train_sync, training_request


class Command(BaseCommand):
    help = (
        "Retrain recommendation model families. Without --sync the runs are enqueued for a Celery worker "
        "(queue 'training'); with --sync they run here, with progress, one after the other."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--family",
            action="append",
            choices=list(FAMILIES),
            dest="families",
            help="A family to train (repeatable). Default: all of them.",
        )
        parser.add_argument("--sync", action="store_true", help="Train in this process instead of enqueueing.")
        parser.add_argument(
            "--missing", action="store_true", help="Only the families that have no active version (first start)."
        )

    def handle(self, *args, families: list[str] | None, sync: bool, missing: bool, **options) -> None:
        families = families or list(FAMILIES)
        if missing:
            active = ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE)
            trained = set(active.values_list("family", flat=True))
            families = [family for family in families if family not in trained]
            if not families:
                self.stdout.write("Every family has an active version; nothing to train.")
                return
        if not sync:
            sent = [family for family in families if training_request(family=family)]
            if len(sent) < len(families):
                raise CommandError(
                    f"Could not enqueue {', '.join(sorted(set(families) - set(sent)))}: is the broker running? "
                    "Use --sync to train in this process."
                )
            self.stdout.write(f"Enqueued training of {', '.join(sent)} on the 'training' queue.")
            return

        started = time.perf_counter()
        versions = families_train_sync(families=families, log=lambda message: self.stdout.write(message))
        outcome = ", ".join(f"{version.label} {version.status}" for version in versions) or "nothing"
        skipped = sorted(set(families) - {version.family for version in versions})
        summary = f"Trained {outcome} in {time.perf_counter() - started:.1f}s" + (
            f"; skipped {', '.join(skipped)} (reasons above)" if skipped else ""
        )
        failed = [version for version in versions if version.status == "failed"]
        if failed:
            raise CommandError(summary + f"; {len(failed)} failed (see the admin's model versions for why)")
        self.stdout.write(self.style.SUCCESS(summary))
