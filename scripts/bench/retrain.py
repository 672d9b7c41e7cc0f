"""Time from the last rating of a burst to a new active version of each model family.

Run it against a database with MovieLens imported and every family trained, with a worker on the same
broker (Redis, so that this process and the worker share it)::

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/movierec_bench REDIS_URL=redis://127.0.0.1:6379/0
    celery -A movierec worker -Q default,training --concurrency 2 &
    DEBUG=0 SECRET_KEY=bench .venv/bin/python -m scripts.bench.retrain [--ratings 100] [--timeout 900]

1. Note the newest version of each family.
2. Commit ``--ratings`` ratings through ``ratings.services.rating_upsert`` (the path a person's rating takes,
   so the real trigger and debounce, ``RETRAIN_DEBOUNCE_SECONDS``, apply), spread over a few people.
3. Poll the registry until every family has a newer version that finished (active, or rejected by the
   guardrail, or failed), and print the seconds from the last committed rating to each.

The benchmark ratings stay: deleting them would count as changes and start another round of training.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from scripts.bench import django_setup


def run(*, ratings: int, people: int, timeout: float, seed: int) -> list[str]:
    """Measure (steps in the module docstring) and return the report lines."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db.models import Count, Max

    from catalog.models import Movie
    from ratings.services import rating_upsert
    from recommender.families import FAMILIES
    from recommender.models import ModelVersion

    rng = np.random.default_rng(seed)
    newest = dict(ModelVersion.objects.values_list("family").annotate(Max("pk")))
    users = list(get_user_model().objects.annotate(n=Count("ratings")).filter(n__gt=0).order_by("pk")[:people])
    movies = list(Movie.objects.annotate(n=Count("ratings")).order_by("-n", "pk")[: ratings * 2])
    if not users or len(movies) < ratings:
        raise SystemExit("needs a database with ratings: import MovieLens and train first (see the docstring)")

    for number in range(ratings):
        rating_upsert(
            user=users[number % len(users)],
            movie=movies[int(rng.integers(len(movies)))],
            score=float(rng.choice([3.0, 4.0, 4.5, 5.0])),
        )
    last_rating = time.time()
    lines = [f"{ratings} ratings by {len(users)} people committed; debounce {settings.RETRAIN_DEBOUNCE_SECONDS} s"]
    print(lines[0], flush=True)

    done: dict[str, ModelVersion] = {}
    finished = [ModelVersion.Status.ACTIVE, ModelVersion.Status.REJECTED, ModelVersion.Status.FAILED]
    while len(done) < len(FAMILIES) and time.time() - last_rating < timeout:
        for family in set(FAMILIES) - set(done):
            version = (
                ModelVersion.objects.filter(family=family, pk__gt=newest.get(family, 0), status__in=finished)
                .order_by("pk")
                .first()
            )
            if version is not None:
                done[family] = version
                seconds = version.finished.timestamp() - last_rating
                label = f"{family:<14} v{version.number}"
                lines.append(f"{label} {version.status:<9} {seconds:7.1f} s after the last rating")
                print(lines[-1], flush=True)
        time.sleep(1)
    missing = [f"{family:<14} no new version within {timeout:.0f} s" for family in sorted(set(FAMILIES) - set(done))]
    print("\n".join(missing), flush=True)
    return lines + missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench.retrain", description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=int, default=100, help="ratings in the burst (default 100)")
    parser.add_argument("--people", type=int, default=10, help="people the burst is spread over (default 10)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for every family (default 900)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    django_setup()
    lines = run(ratings=args.ratings, people=args.people, timeout=args.timeout, seed=args.seed)
    return 1 if any("no new version" in line for line in lines) else 0


if __name__ == "__main__":
    sys.exit(main())
