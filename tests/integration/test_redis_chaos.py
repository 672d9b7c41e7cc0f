"""Chaos: API traffic while Redis (cache, throttles and broker) is stopped and started again.

A Redis server of the test's own, on a free port, so stopping it disturbs nothing else. Reads must never answer
5xx; every rating write must be stored (or refused with 503 and Retry-After, so a client knows to retry); after
Redis is back, a worker trains on the ratings made during the outage.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.contrib.auth import get_user_model
from django.core.cache import cache
from rest_framework.test import APIClient

from catalog.models import Movie
from movierec.accounts.services import token_issue
from ratings.models import Rating
from recommender.families import FAMILIES
from recommender.models import ModelVersion

from .conftest import broker_point
from .support import seed, wait_for
from .test_retraining import TRAIN_TIMEOUT, settled

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """``redis-server`` in the foreground on one port, stopped and started by the test."""

    def __init__(self, folder: Path) -> None:
        self.port = _free_port()
        self.folder = folder
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, cwd=self.folder, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_for(self._answers, timeout=10, what="the test's Redis to start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def _answers(self) -> bool:
        try:
            return redis.Redis.from_url(self.url, socket_connect_timeout=0.2).ping()
        except redis.ConnectionError:
            return False


@pytest.fixture
def chaos_redis(services, tmp_path, settings) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.skip("the chaos test starts a redis-server of its own; none is installed here")
    server = RedisServer(tmp_path)
    server.start()
    # This process as the site runs it with REDIS_URL set: django-redis for the cache and throttles, Redis broker.
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.3, "SOCKET_TIMEOUT": 0.5},
        }
    }
    settings.RETRAIN_DEBOUNCE_SECONDS = 1
    broker_point(server.url)
    yield server
    cache.close()
    server.stop()


def traffic(api: APIClient, movies: list[int], round_: int) -> tuple[list[int], dict[int, float], list[int]]:
    """One round of a client's traffic: three reads, and a rating per movie. Returns (read statuses,
    {movie: score} the server said it stored, write statuses)."""
    reads = [
        api.get("/api/v1/movies/").status_code,
        api.get("/api/v1/me/recommendations/", {"limit": 5}).status_code,
        api.get(f"/api/v1/movies/{movies[0]}/similar/").status_code,
    ]
    stored, writes = {}, []
    for index, movie in enumerate(movies):
        score = 1.0 + (round_ + index) % 9 / 2
        response = api.put(f"/api/v1/me/ratings/{movie}/", {"score": score}, format="json")
        writes.append(response.status_code)
        if response.status_code == 200:
            stored[movie] = score
        else:
            assert response.status_code == 503 and "Retry-After" in response.headers, response.content
    return reads, stored, writes


def test_api_traffic_through_a_redis_outage_loses_no_rating_and_training_catches_up(chaos_redis, start_worker):
    seed()
    movies = list(Movie.objects.order_by("pk").values_list("pk", flat=True)[:6])
    people = [get_user_model().objects.create(username=f"chaos{n}") for n in range(3)]
    clients = []
    for person in people:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=person, device='chaos')[1]}")
        clients.append(client)

    expected: dict[tuple[int, int], float] = {}
    all_reads, all_writes = [], []

    def run(rounds: range) -> None:
        for round_ in rounds:
            for person, client in zip(people, clients, strict=True):
                reads, stored, writes = traffic(client, movies, round_)
                all_reads.extend(reads)
                all_writes.extend(writes)
                expected.update({(person.pk, movie): score for movie, score in stored.items()})

    # Redis up, then down (killed mid-traffic, as a crash would), then back on the same port
    run(range(0, 2))
    chaos_redis.stop()
    outage_started = time.monotonic()
    run(range(2, 6))
    outage_seconds = time.monotonic() - outage_started
    chaos_redis.start()
    run(range(6, 8))

    # Reads: never a 5xx. Writes: each one stored, and the database holds exactly what the server said it stored
    assert all(status < 500 for status in all_reads), all_reads
    assert set(all_writes) <= {200, 503}
    stored = {(r.user_id, r.movie_id): r.score for r in Rating.objects.filter(user__in=people)}
    assert stored == expected
    assert all_writes.count(200) >= len(all_writes) - all_writes.count(503)
    # and the outage cost time per request, not minutes (socket timeouts, no hang)
    assert outage_seconds < 4 * 3 * (3 + len(movies)) * 1.0

    # When a worker (with its beat's sweep) runs against the Redis that came back. Redis came back empty, so
    # messages sent before any worker declared the queues again went nowhere (kombu's bindings live in Redis):
    # the sweep finds such a run queued for longer than the stale limit and sends it again.
    worker = start_worker(beat=True, RETRAIN_SWEEP_SECONDS=1, TRAINING_STALE_SECONDS=3, REDIS_URL=chaos_redis.url)

    # Then every family trains, on every rating, those of the outage included
    wait_for(settled, timeout=4 * TRAIN_TIMEOUT * len(FAMILIES), what="the catch-up runs to finish", log=worker.output)
    for family in FAMILIES:
        version = ModelVersion.objects.filter(family=family).latest("created")
        assert version.n_ratings == Rating.objects.count(), f"{family}: {version.status} {version.error}"
