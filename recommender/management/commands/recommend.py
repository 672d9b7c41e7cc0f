"""``manage.py recommend USERNAME [--limit N] [--rows]``: what the site would show a person, with the reasons."""

from __future__ import annotations

import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from recommender.rows import Card
from recommender.services import recommend_rows, recommend_top, serving_models


class Command(BaseCommand):
    help = "Print a person's top picks with the reason for each (every home-page row with --rows)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--limit", type=int, default=10, help="Cards per list (default 10).")
        parser.add_argument("--rows", action="store_true", help="Print every row of the home page, not just top picks.")

    def handle(self, *args, username: str, limit: int, rows: bool, **options) -> None:
        if limit < 1:
            raise CommandError(f"--limit must be at least 1, got {limit}.")
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        started = time.perf_counter()
        serving_models()  # load the active versions first, so the timing below is what a warm web process spends
        loaded = time.perf_counter()
        if rows:
            page = recommend_rows(user=user, limit=limit)
            for row in page:
                self.stdout.write(f"{row.title} [{row.key}]")
                self._cards(row.cards)
            count, what = sum(len(row.cards) for row in page), f"movies in {len(page)} rows"
        else:
            cards = recommend_top(user=user, limit=limit)
            self.stdout.write(f"Top picks for {username}")
            self._cards(cards)
            count, what = len(cards), "top picks"
        elapsed, loading = (time.perf_counter() - loaded) * 1000, loaded - started
        self.stdout.write(
            self.style.SUCCESS(f"{count} {what} for {username} in {elapsed:.0f} ms (models loaded in {loading:.1f} s).")
        )

    def _cards(self, cards: list[Card]) -> None:
        if not cards:
            self.stdout.write("   (nothing to recommend)")
        for number, card in enumerate(cards, start=1):
            stars = f"  ~{card.predicted_rating:.1f} stars" if card.predicted_rating is not None else ""
            self.stdout.write(f"  {number:>2}. {card.movie}{stars} — {card.reason}")
