from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache.backends.locmem import LocMemCache
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from movierec.accounts.services import token_issue
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def insights_drawing(monkeypatch):
    """Cache keys of this test's own for the Insights drawing and its redraw lock (catalog.insights): the cache
    outlives each test's database, and another test's drawing would be shown as this one's."""
    from catalog import insights

    test = uuid.uuid4().hex
    monkeypatch.setattr(insights, "DRAWING_KEY", f"insights:test-drawing:{test}")
    monkeypatch.setattr(insights, "REDRAW_LOCK", f"insights:test-redraw:{test}")


@pytest.fixture(autouse=True)
def impressions_buffer(monkeypatch):
    """A Redis list of this test's own for buffered impressions (recommender.online), deleted after it."""
    from recommender import online

    key = f"movierec:test-impressions:{uuid.uuid4().hex}"
    monkeypatch.setattr(online, "IMPRESSIONS_KEY", key)
    online.forget()
    yield key
    online.forget()
    client = online.buffer_client()
    if client is not None:
        with contextlib.suppress(Exception):  # Redis is down: the key is the test's own, nothing else reads it
            client.delete(key)


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def staff_user(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def api_client() -> APIClient:
    """An anonymous API client."""
    return APIClient()


@pytest.fixture
def api_as(db) -> Callable[[AbstractBaseUser], APIClient]:
    """``api_as(user)``: an API client that sends the user's token, as a mobile client does."""

    def make(user: AbstractBaseUser) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=user)[1]}")
        return client

    return make


@pytest.fixture
def rates(monkeypatch):
    """``rates(anon=..., user=..., auth=..., signup=...)``: throttle rates for this test, counted in a fresh cache;
    a scope not named is not throttled."""
    # A name of its own: local-memory caches of one name share their entries.
    monkeypatch.setattr(SimpleRateThrottle, "cache", LocMemCache(f"throttle-test-{uuid.uuid4()}", {}))
    # A clock that stands still, halfway through a minute and an hour: no rate's window turns during a test.
    monkeypatch.setattr(SimpleRateThrottle, "timer", lambda self: 1_800_001_830.0)

    def set_rates(**scopes: str) -> None:
        unlimited = {"anon": None, "user": None, "auth": None, "signup": None}
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**unlimited, **scopes})

    return set_rates


@pytest.fixture(scope="session")
def ml100k_dir() -> Path:
    """The real MovieLens 100k folder; tests that need it skip with the reason when it is absent."""
    path = Path(settings.MOVIELENS_DIR) / "ml-100k"
    if not (path / "u.data").exists():
        pytest.skip(f"MovieLens 100k not found at {path} (set MOVIELENS_DIR to the folder holding ml-100k/)")
    return path
