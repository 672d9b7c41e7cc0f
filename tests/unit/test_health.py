"""/healthz and a Redis outage: the site degrades (no throttles, no cached pages) and keeps every rating."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from movierec import health
from ratings.models import Rating
from tests.factories import MovieFactory

pytestmark = pytest.mark.django_db

#: Nothing listens on port 1: connections are refused at once, as when Redis is stopped.
DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_down(settings):
    """The settings a process with REDIS_URL set gets (django-redis, exceptions ignored), with Redis stopped."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.3, "SOCKET_TIMEOUT": 0.5},
        }
    }
    settings.CELERY_BROKER_URL = DEAD_REDIS
    yield
    cache.close()


def test_healthz_reports_each_dependency(client):
    response = client.get("/healthz")

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok" and body["ready"] is True
    assert set(body["checks"]) == {"database", "cache", "broker", "model_store"}
    assert all(check["ok"] for check in body["checks"].values())


def test_with_redis_down_healthz_is_degraded_but_ready(client, redis_down):
    body = client.get("/healthz").json()

    assert body["status"] == "degraded" and body["ready"] is True
    assert body["checks"]["cache"]["ok"] is False and body["checks"]["broker"]["ok"] is False
    assert "Connection" in body["checks"]["cache"]["detail"]


def test_without_a_model_store_the_site_still_serves_degraded(client, settings, tmp_path):
    # (before the first training, or a mount gone missing: rows fall back to popularity)
    settings.MODEL_DIR = tmp_path / "missing"

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["model_store"]["ok"] is False


def test_without_the_database_healthz_is_503_so_a_load_balancer_takes_it_out(client, monkeypatch):
    def down() -> str:
        raise OSError("connection refused")

    monkeypatch.setitem(health.CHECKS, "database", down)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable" and response.json()["ready"] is False
    assert "connection refused" in response.json()["checks"]["database"]["detail"]


def test_with_redis_down_ratings_are_stored_and_reads_answer(client, user, api_as, redis_down, caplog):
    movie = MovieFactory()
    api = api_as(user)

    rated = api.put(f"/api/v1/me/ratings/{movie.pk}/", {"score": 4.5}, format="json")
    movies = api.get("/api/v1/movies/")
    client.force_login(user)
    insights = client.get("/insights/")
    home = client.get("/")

    assert rated.status_code == 200
    assert Rating.objects.get(user=user, movie=movie).score == 4.5
    assert movies.status_code == 200 and insights.status_code == 200 and home.status_code == 200
    # and the outage is in the log, not hidden
    assert any("movierec.cache" in record.name for record in caplog.records)
