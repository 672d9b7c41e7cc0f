"""Serving latency on a real database: fold-in after a rating, the signed-in home page, its lazily loaded rows.

Run it against a database with MovieLens imported and every family trained::

    export DATABASE_URL=sqlite:////tmp/serve.sqlite3 MODEL_DIR=/tmp/serve-models
    DEBUG=1 .venv/bin/python manage.py migrate -v0
    DEBUG=1 .venv/bin/python manage.py import_movielens ml-100k --path /work/shared/datasets/ml-100k
    DEBUG=1 .venv/bin/python manage.py train --sync
    DEBUG=0 SECRET_KEY=bench .venv/bin/python -m scripts.bench.serving [--ratings 200] [--people 10] [--pages 50]

DEBUG off, as in production: with it on, Django also records every query, which adds to the timings.

What it measures (server time in this process, database queries included, p50 / p95 / max):

1. fold-in: ``ratings.services.rating_upsert`` commits a rating, then the same "request" builds the
   person's updated Top picks row, then the rest of their home page. ``--ratings`` ratings spread over
   ``--people`` people, each a movie they had not rated, drawn by popularity.
2. home page: every row of ``--pages`` other people's pages, nothing of theirs cached (their first visit).
3. row partials: for ``--pages`` more people, each row requested alone in page order, as the home page's
   lazy loads do (the skeleton's ``row_specs`` call timed as its own request).
4. the anonymous home page.

The ratings it makes are deleted again at the end.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import TypeVar

import numpy as np

from scripts.bench import django_setup

T = TypeVar("T")

#: Half stars people actually give, weighted like MovieLens (many 3s and 4s, few 0.5s).
SCORES = np.array([1.0, 2.0, 3.0, 3.5, 4.0, 4.5, 5.0])
SCORE_WEIGHTS = np.array([0.06, 0.11, 0.27, 0.08, 0.3, 0.06, 0.12])


class Timings:
    """Wall-clock and CPU seconds of repeated calls.

    CPU time (``time.process_time``, all of this process's threads) is reported beside wall time because on
    a shared machine wall time also counts the waits for a core; the CPU figure is what the code costs.
    """

    def __init__(self, name: str, target_ms: float | None = None) -> None:
        self.name, self.target_ms = name, target_ms
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def time(self, call: Callable[[], T]) -> T:
        wall, cpu = time.perf_counter(), time.process_time()
        result = call()
        self.add(time.perf_counter() - wall, time.process_time() - cpu)
        return result

    def add(self, wall: float, cpu: float) -> None:
        self.wall.append(wall)
        self.cpu.append(cpu)

    def line(self) -> str:
        wall, cpu = np.asarray(self.wall) * 1000, np.asarray(self.cpu) * 1000
        (w50, w95), (c50, c95) = np.percentile(wall, [50, 95]), np.percentile(cpu, [50, 95])
        verdict = ""
        if self.target_ms is not None:
            wall_met, cpu_met = ("met" if p95 <= self.target_ms else "MISSED" for p95 in (w95, c95))
            verdict = f"  | target p95 <= {self.target_ms:.0f} ms: wall {wall_met}, cpu {cpu_met}"
        return (
            f"{self.name:<44} n={len(wall):>4}  wall p50 {w50:6.1f} p95 {w95:6.1f} max {wall.max():6.1f} ms"
            f"  cpu p50 {c50:6.1f} p95 {c95:6.1f} ms{verdict}"
        )


def run(*, ratings: int, people: int, pages: int, limit: int, seed: int) -> list[str]:
    """Measure everything (steps in the module docstring) and return the report lines."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Count

    from ratings.models import Rating
    from ratings.services import rating_delete, rating_upsert
    from recommender import selectors, services
    from recommender.artifacts import active_version_id
    from recommender.families import FAMILIES

    rng = np.random.default_rng(seed)
    lines = []
    models = services.serving_models()  # loads every active version once, outside the timings
    versions = {family: active_version_id(family) for family in FAMILIES}
    if not any(versions.values()):
        raise SystemExit("No active model version: run `manage.py train --sync` first (see this module's docstring).")
    catalog, stats = selectors.catalog_and_stats()
    lines.append(
        f"database {connection.vendor}, {len(catalog)} movies, {int(stats.counts.sum())} ratings; "
        f"active versions {versions}; models {[name for family in models.families.values() for name in family]}"
    )
    services.recommend_rows(user=None, limit=limit)  # warm the catalog snapshot and statistics

    users = list(
        get_user_model()
        .objects.annotate(n=Count("ratings"))
        .filter(n__gt=0)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    needed = people + 2 * pages
    if len(users) < needed:
        raise SystemExit(f"Need {needed} people with ratings, the database has {len(users)}.")
    chosen = rng.choice(users, size=needed, replace=False)
    by_pk = get_user_model().objects.in_bulk([int(pk) for pk in chosen])
    raters = [by_pk[int(pk)] for pk in chosen[:people]]
    page_people = [by_pk[int(pk)] for pk in chosen[people : people + pages]]
    lazy_people = [by_pk[int(pk)] for pk in chosen[people + pages :]]

    # 1. fold-in: each rating is of a movie the person had not rated, so undoing it is a delete.
    from catalog.models import Movie

    popularity = stats.counts / stats.counts.sum()
    made: list[tuple[object, Movie]] = []
    to_row = Timings("fold-in: rating -> updated Top picks row", 50)
    to_page = Timings("fold-in: rating -> updated whole home page", 150)
    for k in range(ratings):
        person = raters[k % people]
        rated = set(Rating.objects.filter(user=person).values_list("movie_id", flat=True))
        movie_pk = int(rng.choice(catalog.ids, p=popularity))
        while movie_pk in rated:
            movie_pk = int(rng.choice(catalog.ids, p=popularity))
        movie = Movie.objects.get(pk=movie_pk)
        made.append((person, movie))
        score = float(rng.choice(SCORES, p=SCORE_WEIGHTS))
        wall, cpu = time.perf_counter(), time.process_time()
        rating_upsert(user=person, movie=movie, score=score)
        row = services.recommend_row(user=person, key="top-picks", limit=limit)
        to_row.add(time.perf_counter() - wall, time.process_time() - cpu)
        services.recommend_rows(user=person, limit=limit)
        to_page.add(time.perf_counter() - wall, time.process_time() - cpu)
        if movie.pk in [card.movie.pk for card in row.cards]:
            raise AssertionError(f"{movie} was recommended right after {person} rated it")
    lines += [to_row.line(), to_page.line()]

    # 2. the whole home page on a first visit
    page = Timings("home page (all rows), first visit", 150)
    for person in page_people:
        page.time(lambda person=person: services.recommend_rows(user=person, limit=limit))
    lines.append(page.line())

    # 3. the skeleton, then each row alone in page order, as the lazy loads come
    skeleton = Timings("home page skeleton (row_specs)")
    first = Timings("row partial: the first (scores the person)", 50)
    others = Timings("row partial: each later one", 50)
    for person in lazy_people:
        specs = skeleton.time(lambda person=person: services.row_specs(user=person))
        for index, (key, _) in enumerate(specs):
            timings = first if index == 0 else others
            timings.time(lambda person=person, key=key: services.recommend_row(user=person, key=key, limit=limit))
    lines += [skeleton.line(), first.line(), others.line()]

    # 4. the anonymous page, once its Taste is cached
    anonymous = Timings("anonymous home page (warm)")
    for _ in range(20):
        anonymous.time(lambda: services.recommend_rows(user=None, limit=limit))
    lines.append(anonymous.line())

    for person, movie in made:
        rating_delete(user=person, movie=movie)
    lines.append(f"deleted the {len(made)} benchmark ratings again")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench.serving", description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=int, default=200, help="ratings for the fold-in timing (default 200)")
    parser.add_argument("--people", type=int, default=10, help="people those ratings are spread over (default 10)")
    parser.add_argument("--pages", type=int, default=50, help="people per home-page timing (default 50)")
    parser.add_argument("--limit", type=int, default=12, help="cards per row (default 12)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    django_setup()
    started = time.perf_counter()
    for line in run(ratings=args.ratings, people=args.people, pages=args.pages, limit=args.limit, seed=args.seed):
        print(line, flush=True)
    print(f"Benchmarked serving in {time.perf_counter() - started:.1f}s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
