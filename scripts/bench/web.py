"""Server time and queries of the signed-in home page and its row partials, through Django's full request path.

Run it against a database with MovieLens imported and the models trained::

    export DEBUG=1 DATABASE_URL=sqlite:////tmp/web.sqlite3 MODEL_DIR=/tmp/web-models
    .venv/bin/python manage.py migrate -v0
    .venv/bin/python manage.py import_movielens ml-100k --path /work/shared/datasets/ml-100k
    .venv/bin/python manage.py train --sync
    .venv/bin/python -m scripts.bench.web [--requests 200] [--row top-picks] [--seed 7]

What it measures, with ``django.test.Client`` (URL routing, middleware, sessions, the view, the templates
and every query; no network), p50 / p95 / max over ``--requests`` requests, wall and CPU time:

1. page: ``GET /`` for a signed-in person (the page with its row placeholders).
2. first row: ``GET /recommendations/rows/<--row>/`` as HTMX, right after that person's page. It is the
   request that scores every active model for the person (fold-in of their current ratings).
3. later rows: the next row of the same page, which reuses those scores as the browser's other lazy loads do.
4. slider: a taste dial moved, as the home page's controls do it: ``POST /me/preferences/`` over HTMX, then
   the Top picks row it makes the browser reload, timed together (what the person waits for).
5. switch: the same for the recommender switcher, to a choice other than the one in use.
6. impressions: the part of each row request spent logging the row's impressions (``recommender.online``),
   timed inside the requests above: an RPUSH to Redis with REDIS_URL set, else an INSERT of the row's cards.

Each request is a different MovieLens person, so nothing of theirs is cached before their page (their first
visit). Then it counts the queries of one page and of every row of a few people's pages, to show a row costs
a constant number of queries however many cards it has (the registry's periodic "is there a newer model?"
check is shown apart: it lands on whichever request comes due). The only writes are the controls' own,
and each person's controls are reset afterwards.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from typing import TYPE_CHECKING

from scripts.bench import django_setup

if TYPE_CHECKING:  # Django is set up in main(), after the settings module is chosen.
    from django.http import HttpResponse
    from django.test import Client

ROW_URL = re.compile(r'hx-get="/recommendations/rows/([\w-]+)/')
#: Requests before timing starts: the first loads the models from disk and the catalog snapshot.
WARMUP = 3
TARGETS_MS = {
    "page": 150.0,
    "first row": 50.0,
    "later rows": 50.0,
    "slider": 150.0,
    "switch": 150.0,
    "impressions": 5.0,
}
#: The switcher's choices the "switch" requests move between (balanced is everyone's default).
SWITCH_TO = ("people", "loved", "next", "content")


class Timings:
    def __init__(self, name: str) -> None:
        self.name = name
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def get(self, client: Client, url: str, *, timed: bool, **headers: str) -> HttpResponse:
        """``client.get(url)``, timed unless this is a warm-up request."""
        return self.steps(client, [("get", url, None)], timed=timed, **headers)

    def steps(
        self, client: Client, calls: list[tuple[str, str, dict | None]], *, timed: bool, **headers: str
    ) -> HttpResponse:
        """Each (method, url, data) in turn, timed together; the first answer that is not a 200, else the last."""
        wall, cpu = time.perf_counter(), time.process_time()
        for method, url, data in calls:
            response = (
                getattr(client, method)(url, data, **headers) if data else getattr(client, method)(url, **headers)
            )
            if response.status_code != 200:
                return response
        if timed:
            self.wall.append(time.perf_counter() - wall)
            self.cpu.append(time.process_time() - cpu)
        return response

    def line(self) -> str:
        import numpy as np

        wall, cpu = np.array(self.wall) * 1000, np.array(self.cpu) * 1000
        p50, p95 = np.percentile(wall, [50, 95])
        target = TARGETS_MS.get(self.name)
        verdict = "" if target is None else ("  ok" if p95 <= target else f"  OVER {target:.0f} ms")
        return (
            f"{self.name:<11} n={len(wall):<4} wall p50 {p50:6.1f}  p95 {p95:6.1f}  max {wall.max():6.1f} ms"
            f"   cpu p50 {np.percentile(cpu, 50):6.1f}  p95 {np.percentile(cpu, 95):6.1f} ms{verdict}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="Timed requests of each kind (default 200).")
    parser.add_argument("--row", default="top-picks", help="The row timed as the first row (default top-picks).")
    parser.add_argument("--seed", type=int, default=7, help="Seed for picking people (default 7).")
    args = parser.parse_args(argv)

    django_setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from recommender import online, services

    logging_times = Timings("impressions")
    log = online.impressions_log

    def timed_log(**kwargs) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        log(**kwargs)
        logging_times.wall.append(time.perf_counter() - wall)
        logging_times.cpu.append(time.process_time() - cpu)

    online.impressions_log = timed_log
    started = time.perf_counter()
    people = list(get_user_model().objects.annotate(n=Count("ratings")).filter(n__gt=0).order_by("pk"))
    needed = args.requests + WARMUP
    if len(people) < needed:
        print(f"Needs {needed} people with ratings; the database has {len(people)}.", file=sys.stderr)
        return 2
    random.Random(args.seed).shuffle(people)
    # The host the settings allow; the test client would otherwise say "testserver".
    host = {"HTTP_HOST": "localhost"}
    htmx = {"HTTP_HX_REQUEST": "true", **host}

    page, first_row, later_rows = Timings("page"), Timings("first row"), Timings("later rows")
    slider, switch = Timings("slider"), Timings("switch")
    rng = random.Random(args.seed)
    top_picks = f"/recommendations/rows/{args.row}/"
    for index, person in enumerate(people[:needed]):
        client = Client(**host)
        client.force_login(person)
        timed = index >= WARMUP
        home = page.get(client, "/", timed=timed)
        # The later row is the first other row the page lists, read from the page as the browser does.
        keys = ROW_URL.findall(home.content.decode())
        later = next((key for key in keys if key != args.row), None)
        calls = [(first_row, f"/recommendations/rows/{args.row}/"), (later_rows, f"/recommendations/rows/{later}/")]
        for timings, url in calls[: 2 if later else 1]:
            response = timings.get(client, url, timed=timed, **htmx)
            if response.status_code != 200:
                print(f"{url}: HTTP {response.status_code} for {person}", file=sys.stderr)
                return 1
        dial = {"top_picks_source": "balanced", "dial_popularity": round(rng.uniform(-1, 1), 2)}
        dial |= {"dial_adventure": 0, "dial_recency": 0}
        for timings, data in [(slider, dial), (switch, dial | {"top_picks_source": rng.choice(SWITCH_TO)})]:
            calls = [("post", "/me/preferences/", data), ("get", top_picks, None)]
            response = timings.steps(client, calls, timed=timed, **htmx)
            if response.status_code != 200:
                print(f"controls: HTTP {response.status_code} for {person}", file=sys.stderr)
                return 1
        client.post("/me/preferences/", {"reset": "1"}, **htmx)

    print(f"ml: {len(people)} people with ratings; {args.requests} timed requests of each kind, one person each")
    print("slider and switch: POST /me/preferences/ and the Top picks row it reloads, timed together")
    for timings in (page, first_row, later_rows, slider, switch):
        print(timings.line())
    buffer = "Redis" if getattr(settings, "REDIS_URL", "") else "the database (no REDIS_URL)"
    print(f"{logging_times.line()}   (inside every row request above, into {buffer})")

    print("\nqueries (one person's page, then each of their rows as the browser loads them;")
    print("  +N: the registry's periodic check for a newly activated model, one query per family every few seconds):")
    for person in people[needed : needed + 3]:
        client = Client(**host)
        client.force_login(person)
        counts = []
        for name, url, headers in [("page", "/", host)] + [
            (key, f"/recommendations/rows/{key}/", htmx) for key, _ in services.row_specs(user=person)
        ]:
            with CaptureQueriesContext(connection) as queries:
                body = client.get(url, **headers).content.decode()
            registry = sum("recommender_modelversion" in query["sql"] for query in queries.captured_queries)
            extra = f"+{registry}" if registry else ""
            cards = body.count('class="movie-card')
            counts.append(f"{name} {len(queries) - registry}{extra}" + (f" ({cards} cards)" if name != "page" else ""))
        print(f"  {person}: " + ", ".join(counts))

    print(f"\nscripts.bench.web: {5 * args.requests} timed requests in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
