"""The in-process steps of the scale benchmark (``scripts.bench.scale``), each run as its own process.

    python -m scripts.bench.scale_steps export|serve|admin   (hold: the second worker that serve starts)

Each prints ``RESULT`` lines that the benchmark collects.
"""

from __future__ import annotations

import contextlib
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

from scripts.bench import django_setup
from scripts.bench.scale import OWN_SECONDS
from scripts.bench.web import ROW_URL

#: Requests timed per figure, and different people for the serving figures.
REQUESTS = 20
PEOPLE = 200


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def _memory() -> str:
    """This process's resident and proportional set sizes (PSS splits shared pages among their sharers)."""
    fields = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
        name, value, *_ = line.split()
        fields[name.rstrip(":")] = int(value) / 1024
    return f"RSS {fields['Rss']:.0f} MB, PSS {fields['Pss']:.0f} MB"


def export() -> None:
    from recommender.data import snapshot_from_db
    from recommender.snapshots import snapshot_dir

    # What a worker's first export pays, saving the snapshot that its retrains then bring up to date with the
    # ratings changed since (recommender.snapshots), as the train step's do: so any snapshot an earlier run
    # saved goes first. The worker that exports is already running, so Django's start-up is not in it.
    shutil.rmtree(snapshot_dir(), ignore_errors=True)
    started = time.perf_counter()
    snapshot = snapshot_from_db(incremental=True)
    data = snapshot.interactions
    print(f"RESULT {OWN_SECONDS}{time.perf_counter() - started:.2f} s to export ({snapshot.how}), the snapshot saved")
    print(f"RESULT {len(data):,} ratings, {data.n_users:,} people, {data.n_items:,} movies")


def serve() -> None:
    """Load every active model as a web process does, then time rows and the API for many different people."""
    from django.contrib.auth import get_user_model
    from django.test import Client, override_settings

    from recommender import artifacts, foldins, services
    from recommender.families import FAMILIES

    started = time.perf_counter()
    loaded = {family: sorted(artifacts.active_models(family)) for family in FAMILIES}
    print(
        f"RESULT every model loaded in {time.perf_counter() - started:.1f} s ({sum(map(len, loaded.values()))} models)"
    )
    print(f"RESULT {_memory()} with every model loaded")
    # A second web worker on the same host loads the same artifacts: the mapped pages are shared, which the
    # proportional set size shows by splitting them between the two.
    command = [sys.executable, "-m", "scripts.bench.scale_steps", "hold"]
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as other:
        assert other.stdout is not None and other.stdin is not None
        other.stdout.readline()
        print(f"RESULT {_memory()} while a second worker holds the same models")
        other.stdin.close()
    # The most recent raters: the people ``warm_folds`` folded in after training, as a site's visitors would be.
    by_id = get_user_model().objects.in_bulk(foldins.recently_active(PEOPLE))
    people = list(by_id.values())
    client = Client(HTTP_HOST="localhost")
    afresh, kept, picked, home = [], [], [], []
    for number, person in enumerate(people):
        client.force_login(person)
        # A third fold every model in at request time (no store); a third read what warm_folds kept of their folds
        # but rank afresh; the others read the Top picks warm_folds kept, if it ran (recommender.shared_picks).
        group = (afresh, kept, picked)[number % 3]
        if group is afresh:
            reading = override_settings(FOLD_IN_TTL_SECONDS=0)
        elif group is kept:
            reading = mock.patch.object(services, "picks_get", return_value=None)
        else:
            reading = contextlib.nullcontext()
        with reading:
            started = time.perf_counter()
            response = client.get("/api/v1/me/recommendations/?limit=20")
            group.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    for person in people[-REQUESTS:]:
        client.force_login(person)
        started = time.perf_counter()
        page = client.get("/")
        assert page.status_code == 200
        for key in ROW_URL.findall(page.content.decode()):
            assert client.get(f"/recommendations/rows/{key}/", headers={"HX-Request": "true"}).status_code == 200
        home.append(time.perf_counter() - started)
    print(f"RESULT {_scoring(people[:REQUESTS])}")
    print(f"RESULT API recommendations, {len(afresh)} different people folded in afresh, one process: {_ms(afresh)}")
    print(f"RESULT API recommendations, {len(kept)} other people from their kept folds: {_ms(kept)}")
    print(f"RESULT API recommendations, {len(picked)} other people from their kept Top picks: {_ms(picked)}")
    print(f"RESULT home page with every row, {len(home)} other people: {_ms(home)}")
    print(f"RESULT {_memory()} after serving")
    print(f"RESULT {_taste_sizes(services)}")


def _taste_sizes(services) -> str:
    """What the Tastes cached in this process hold, against what the cache counts each for."""
    tastes = list(services._tastes.values())
    sizes = [taste.kept_bytes() for taste in tastes]
    catalog, largest = (len(tastes[0].catalog) if tastes else 1), max(sizes, default=0)
    return (
        f"{len(tastes)} Tastes cached, {sum(sizes) / 2**20:.0f} MB in all, the largest {largest / 2**20:.1f} MB"
        f" ({largest / (8 * catalog):.1f} vectors of the catalog; counted as {services.VECTORS_PER_TASTE})"
    )


def _scoring(people) -> str:
    """What scoring one person with every active model costs, folding them in afresh and from kept folds."""
    from recommender import artifacts, selectors
    from recommender.algorithms.folding import fold_store
    from recommender.families import FAMILIES
    from recommender.rows.person import fold_in_history

    class Kept(dict):
        def set(self, key: str, value: bytes) -> None:
            self[key] = value

    models = [model for family in FAMILIES for model in artifacts.active_models(family).values()]
    afresh, kept = [], []
    for person in people:
        history, store = fold_in_history(selectors.person_state(person)), Kept()
        for samples, plugged in ((afresh, store), (kept, store)):  # the first call keeps, the second reads
            started = time.perf_counter()
            with fold_store(plugged):
                for model in models:
                    model.score(history)
            samples.append(time.perf_counter() - started)
    return f"scoring one person with all {len(models)} models: afresh {_ms(afresh)}; from kept folds {_ms(kept)}"


def hold() -> None:
    """Load every active model, say so, and keep them until stdin closes (the second worker of ``serve``)."""
    from recommender import artifacts
    from recommender.families import FAMILIES

    for family in FAMILIES:
        artifacts.active_models(family)
    print("loaded", flush=True)
    sys.stdin.read()


def admin() -> None:
    """The admin movie changelist and a title search, as a superuser, through the full request path."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    staff, _ = get_user_model().objects.get_or_create(
        username="scale-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(staff)
    for label, url in (("changelist", "/admin/catalog/movie/"), ("title search", "/admin/catalog/movie/?q=star")):
        client.get(url)  # warm
        samples = []
        for _ in range(REQUESTS):
            started = time.perf_counter()
            assert client.get(url).status_code == 200
            samples.append(time.perf_counter() - started)
        print(f"RESULT admin {label}: {_ms(samples)}")


def main() -> int:
    django_setup()
    {"export": export, "serve": serve, "hold": hold, "admin": admin}[sys.argv[1]]()
    return 0


if __name__ == "__main__":
    sys.exit(main())
