"""``manage.py demo_setup``: everything ``make demo`` needs after migrate. Safe and quick to run again.

1. If the catalog is empty, import MovieLens 100k from ``MOVIELENS_DIR/ml-100k``; failing that, download it;
   failing that, say how to get it and go on with an empty catalog.
2. Make sure the accounts below exist (a password is set only when the account is created).
3. Give ``demo`` ratings of popular movies if it has none, so the pages have something to show.
"""

from __future__ import annotations

import random
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Count

from catalog.importers.sources import GROUPLENS_BASE_URL
from catalog.models import Movie
from ratings.services import rating_upsert

VARIANT = "ml-100k"
#: The demo accounts; the README documents these passwords. They exist only on demo machines.
ADMIN_USERNAME, ADMIN_PASSWORD = "admin", "movierec-admin"
DEMO_USERNAME, DEMO_PASSWORD = "demo", "movierec-demo"
DEMO_RATING_COUNT = 20
#: Fixed, so every demo shows the same starting profile.
DEMO_SEED = 20240601
DEMO_SCORES = (2.5, 3.0, 3.5, 4.0, 4.0, 4.5, 4.5, 5.0)


class Command(BaseCommand):
    help = "Prepare the demo: MovieLens 100k in the catalog, an admin and a demo account with some ratings."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-download", action="store_true", help="Never try to download MovieLens when it is not on disk."
        )

    def handle(self, *args, no_download: bool, **options) -> None:
        self.verbosity = options["verbosity"]
        if Movie.objects.exists():
            self._say(f"Catalog already has {Movie.objects.count()} movies; import skipped.")
        else:
            self._import(allow_download=not no_download)

        admin_note = self._account(ADMIN_USERNAME, ADMIN_PASSWORD, superuser=True)
        demo_note = self._account(DEMO_USERNAME, DEMO_PASSWORD, superuser=False)
        demo_ratings = self._demo_ratings()

        self.stdout.write(self.style.SUCCESS("Demo accounts:"))
        self.stdout.write(f"  {ADMIN_USERNAME} / {ADMIN_PASSWORD}   superuser, admin at /admin/{admin_note}")
        self.stdout.write(f"  {DEMO_USERNAME}  / {DEMO_PASSWORD}    {demo_ratings} ratings{demo_note}")

    def _say(self, message: str) -> None:
        if self.verbosity > 0:
            self.stdout.write(message)

    def _import(self, *, allow_download: bool) -> None:
        folder = Path(settings.MOVIELENS_DIR) / VARIANT
        attempts: list[dict[str, object]] = [{}]
        if allow_download:
            attempts.append({"download": True})
        problems = []
        for extra in attempts:
            try:
                call_command(
                    "import_movielens", VARIANT, stdout=self.stdout, stderr=self.stderr, verbosity=self.verbosity,
                    **extra,
                )  # fmt: skip
                return
            except CommandError as error:
                problems.append(str(error))
        self.stderr.write(
            self.style.WARNING(
                "MovieLens 100k could not be imported, so the catalog stays empty:\n  - "
                + "\n  - ".join(problems)
                + f"\nTo fix it: download {GROUPLENS_BASE_URL}{VARIANT}.zip, unzip it so that {folder}/u.data "
                f"exists (or set MOVIELENS_DIR to the folder holding {VARIANT}/), then run "
                f"`manage.py import_movielens {VARIANT}` (or `--path /path/to/{VARIANT}.zip`)."
            )
        )

    def _account(self, username: str, password: str, *, superuser: bool) -> str:
        """Create the account if missing; returns a note for the closing lines when its password was changed."""
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"email": f"{username}@movierec.local", "is_staff": superuser, "is_superuser": superuser},
        )
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
            self._say(f"Created the {'superuser' if superuser else 'user'} {username}.")
            return ""
        if superuser and not (user.is_staff and user.is_superuser):
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        return "" if user.check_password(password) else "   (password was changed since; this one no longer works)"

    def _demo_ratings(self) -> int:
        demo = get_user_model().objects.get(username=DEMO_USERNAME)
        existing = demo.ratings.count()
        if existing:
            return existing
        popular = list(
            Movie.objects.annotate(rating_count=Count("ratings"))
            .filter(rating_count__gt=0)
            .order_by("-rating_count", "pk")[: DEMO_RATING_COUNT * 3]
        )
        if not popular:
            self._say("No rated movies in the catalog, so the demo account starts without ratings.")
            return 0
        rng = random.Random(DEMO_SEED)
        chosen = rng.sample(popular, min(DEMO_RATING_COUNT, len(popular)))
        with transaction.atomic():
            for movie in chosen:
                rating_upsert(user=demo, movie=movie, score=rng.choice(DEMO_SCORES))
        self._say(f"Gave {DEMO_USERNAME} {len(chosen)} ratings of popular movies.")
        return len(chosen)
