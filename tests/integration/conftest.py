"""Real PostgreSQL, real Redis and a real ``celery worker`` subprocess.

The tests are transactional (``django_db(transaction=True)``) so the worker, a
separate process, sees what they write: it gets DATABASE_URL pointing at
pytest-django's test database, a Redis database of its own (REDIS_TEST_DB), the
test's MODEL_DIR, a one-second debounce and RECOMMENDER_FAST=1 (few epochs,
small factors) so every family trains in seconds.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest
import redis
from django.db import connection
from kombu import pools

from movierec.celery import app as celery_app
from movierec.lib.net import tcp_reachable
from recommender import artifacts

ROOT = Path(__file__).resolve().parents[2]
#: The Redis database the integration tests own (flushed before each test); the site uses 0.
REDIS_TEST_DB = 13
WORKER_START_TIMEOUT = 60.0


def redis_url(db: int = REDIS_TEST_DB, *, port: int | None = None) -> str:
    parsed = urlparse(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    netloc = parsed.netloc if port is None else f"{parsed.hostname}:{port}"
    return urlunparse(parsed._replace(netloc=netloc, path=f"/{db}"))


def broker_point(url: str) -> None:
    """Make this process publish to ``url`` from now on."""
    # Celery caches kombu's connection and producer pools on first publish; resetting kombu's registry and
    # dropping the app's references makes the next publish connect to the new URL.
    celery_app.conf.broker_url = url
    pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def services() -> None:
    """Skip, saying why, when PostgreSQL or Redis is not there (CI has both)."""
    if connection.vendor != "postgresql":
        pytest.skip("integration tests need PostgreSQL: set DATABASE_URL=postgres://... (CI does)")
    if not tcp_reachable(redis_url()):
        pytest.skip(f"integration tests need Redis at {redis_url()}: set REDIS_URL (CI does)")


@pytest.fixture
def model_dir(settings, tmp_path) -> Path:
    settings.MODEL_DIR = tmp_path / "models"
    settings.MODEL_DIR.mkdir()
    artifacts.cache_clear()
    yield settings.MODEL_DIR
    artifacts.cache_clear()


@pytest.fixture
def broker(services, settings) -> Iterator[redis.Redis]:
    """This process publishes to the test Redis database, emptied first; the previous broker comes back after."""
    client = redis.Redis.from_url(redis_url())
    client.flushdb()
    previous = celery_app.conf.broker_url
    settings.RETRAIN_DEBOUNCE_SECONDS = 1
    broker_point(redis_url())
    yield client
    broker_point(previous)
    client.flushdb()
    client.close()


def _die_with_parent() -> None:
    # A worker outliving an interrupted pytest would keep consuming the test queue with stale settings.
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


@dataclass
class Worker:
    process: subprocess.Popen
    log: Path

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as when a machine dies."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def start_worker(transactional_db, broker, model_dir, tmp_path) -> Iterator[Callable[..., Worker]]:
    """Start ``celery worker`` subprocesses on the test database and Redis; all are stopped at the end.

    Requesting ``transactional_db`` first makes the workers stop before pytest-django empties the tables.
    """
    workers: list[Worker] = []
    database = connection.settings_dict
    database_url = f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/"
    database_url += database["NAME"]

    def start(*, beat: bool = False, **env: str | int) -> Worker:
        log = tmp_path / f"worker-{len(workers) + 1}.log"
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "movierec.settings",
            "DEBUG": "false",
            "SECRET_KEY": "integration-test",
            "DATABASE_URL": database_url,
            "DB_CONN_MAX_AGE": "0",
            "REDIS_URL": redis_url(),
            "MODEL_DIR": str(model_dir),
            "VAR_DIR": str(tmp_path / "var"),
            "RETRAIN_DEBOUNCE_SECONDS": "1",
            "RECOMMENDER_FAST": "1",
            "LOG_LEVEL": "INFO",
            **{key: str(value) for key, value in env.items()},
        }
        command = [sys.executable, "-m", "celery", "-A", "movierec", "worker", "-Q", "default,training",
                   "--pool=solo", "--without-gossip", "--without-mingle", "--loglevel=INFO",
                   f"--hostname=test-{uuid.uuid4().hex[:6]}@%h"]  # fmt: skip
        if beat:
            command += ["--beat", f"--schedule={tmp_path / f'beat-{len(workers) + 1}'}"]
        with log.open("wb") as handle:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=environment,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        worker = Worker(process=process, log=log)
        workers.append(worker)
        deadline = time.monotonic() + WORKER_START_TIMEOUT
        while " ready." not in worker.output():
            if process.poll() is not None or time.monotonic() > deadline:
                worker.kill()
                pytest.fail(f"the celery worker did not start:\n{worker.output()[-3000:]}")
            time.sleep(0.1)
        return worker

    yield start
    for worker in workers:
        worker.kill()  # nothing a test checks happens after this, so no need to wait for a warm shutdown


@pytest.fixture
def fast_training(settings) -> None:
    """Train in this process with the same quick settings the worker gets."""
    settings.RECOMMENDER_FAST = True
    settings.RETRAIN_DEBOUNCE_SECONDS = 1
