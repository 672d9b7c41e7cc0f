"""``/healthz``: each dependency's state, and whether this process can serve (for a load balancer's readiness).

The site serves while the cache, the broker or the model store is down (throttles and caching are skipped,
retrains wait for the sweep, rows fall back to popularity), so those make it "degraded", still 200. Without the
database it cannot answer at all: "unavailable", 503.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import redis
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

#: Without these this process cannot serve.
REQUIRED = ("database",)
TIMEOUT_SECONDS = 0.5


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return connection.vendor


def _cache() -> str:
    backend = caches["default"]
    if type(backend).__module__.startswith("django_redis"):
        # django-redis ignores (and logs) failures for the site's sake; a health check must see them.
        backend.client.get_client(write=True).ping()
        return "redis"
    return type(backend).__name__


def _broker() -> str:
    url = settings.CELERY_BROKER_URL
    if url.startswith(("redis://", "rediss://")):
        redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS).ping()
        return "redis"
    if url.startswith("filesystem://"):
        folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]
        if not os.access(folder, os.W_OK):
            raise OSError(f"{folder} is not writable")
        return "embedded (files)"
    return url.split("://", 1)[0]


def _model_store() -> str:
    folder = settings.MODEL_DIR
    if not os.access(folder, os.R_OK | os.X_OK):
        raise OSError(f"{folder} is not readable")
    return "readable"


CHECKS: dict[str, Callable[[], str]] = {
    "database": _database,
    "cache": _cache,
    "broker": _broker,
    "model_store": _model_store,
}


def dependencies() -> dict[str, dict[str, object]]:
    report = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            detail, ok = check(), True
        except Exception as error:  # any failure of a dependency is its state, not this view's
            detail, ok = f"{type(error).__name__}: {error}", False
        report[name] = {"ok": ok, "detail": detail, "ms": round((time.perf_counter() - started) * 1000, 1)}
    return report


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = dependencies()
    ready = all(checks[name]["ok"] for name in REQUIRED)
    status = "ok" if all(check["ok"] for check in checks.values()) else "degraded" if ready else "unavailable"
    return JsonResponse({"status": status, "ready": ready, "checks": checks}, status=200 if ready else 503)
