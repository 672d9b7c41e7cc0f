"""The one error format, throttling, and the schema and docs pages."""

from __future__ import annotations

import uuid

import pytest
from django.core.cache.backends.locmem import LocMemCache
from rest_framework.throttling import SimpleRateThrottle

from catalog import api as catalog_api
from movierec.lib.env import EnvError, env_rate
from tests.factories import MovieFactory

pytestmark = pytest.mark.django_db


def test_not_found_has_exactly_the_documented_keys(api_client):
    response = api_client.get("/api/v1/movies/424242/")

    assert response.status_code == 404
    assert response.json() == {
        "error": {"status": 404, "code": "not_found", "message": "No Movie matches the given query."}
    }


def test_method_not_allowed_uses_the_format(api_client):
    response = api_client.delete("/api/v1/genres/")

    assert response.status_code == 405
    assert set(response.json()["error"]) == {"status", "code", "message"}


def test_an_unexpected_failure_is_a_500_in_the_format_and_logged(api_client, monkeypatch, caplog):
    # Given a read that breaks
    def broken():
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(catalog_api.selectors, "genre_list", broken)

    # When it is called
    response = api_client.get("/api/v1/genres/")

    # Then the client gets the format without internals, and the log gets the traceback
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
    assert "disk on fire" not in response.content.decode()
    assert any(record.exc_info and "disk on fire" in str(record.exc_info[1]) for record in caplog.records)


def test_anonymous_requests_are_throttled_with_retry_after(api_client, rates):
    # Given two anonymous requests a minute
    rates(anon="2/minute")
    MovieFactory()

    # When a third comes
    statuses = [api_client.get("/api/v1/genres/").status_code for _ in range(3)]
    third = api_client.get("/api/v1/genres/")

    # Then it is refused with how long to wait
    assert statuses == [200, 200, 429]
    assert third.json()["error"]["code"] == "throttled"
    assert int(third.headers["Retry-After"]) > 0


def test_signed_in_requests_have_their_own_budget(user, api_as, api_client, rates):
    # Given anonymous traffic has used up the anonymous budget
    rates(anon="1/minute", user="3/minute")
    api_client.get("/api/v1/genres/")
    client = api_as(user)

    # When a signed-in person makes four requests
    statuses = [client.get("/api/v1/me/").status_code for _ in range(4)]

    # Then they get their own three before being throttled
    assert statuses == [200, 200, 200, 429]


def _counted(name: str):
    """``LocMemCache``'s operation ``name``, counted in the cache's ``operations``."""

    def operation(cache: CountingCache, *args, **kwargs):
        cache.operations += 1
        return getattr(LocMemCache, name)(cache, *args, **kwargs)

    return operation


class CountingCache(LocMemCache):
    """A local-memory cache that counts the operations a request makes on it."""

    def __init__(self) -> None:
        super().__init__(f"throttle-count-{uuid.uuid4()}", {})
        self.operations = 0

    get, set, add, incr = _counted("get"), _counted("set"), _counted("add"), _counted("incr")


def test_a_signed_in_request_costs_the_throttles_one_cache_operation(user, api_as, rates, monkeypatch):
    rates(anon="100/minute", user="100/minute")
    counting = CountingCache()
    monkeypatch.setattr(SimpleRateThrottle, "cache", counting)
    client = api_as(user)
    client.get("/api/v1/me/")  # the window's first request also creates its counter

    counting.operations = 0
    client.get("/api/v1/me/")
    client.get("/api/v1/me/")

    assert counting.operations == 2


def test_a_spent_budget_comes_back_when_the_rates_period_turns(user, api_as, rates, monkeypatch):
    rates(user="2/minute")
    client = api_as(user)
    statuses = [client.get("/api/v1/me/").status_code for _ in range(3)]
    refused = client.get("/api/v1/me/")

    monkeypatch.setattr(SimpleRateThrottle, "timer", lambda self: 1_800_001_860.0)  # 30 s later: the next minute

    assert statuses == [200, 200, 429]
    assert int(refused.headers["Retry-After"]) == 30  # until the minute turns
    assert [client.get("/api/v1/me/").status_code for _ in range(3)] == [200, 200, 429]


def test_sign_in_attempts_have_a_tighter_scope(api_client, rates):
    rates(auth="2/minute")

    statuses = [
        api_client.post("/api/v1/auth/token/", {"username": "x", "password": "y"}, format="json").status_code
        for _ in range(3)
    ]

    assert statuses == [400, 400, 429]


@pytest.mark.parametrize("value", ["100", "100/fortnight", "0/minute", "many/minute"])
def test_throttle_rates_from_the_environment_fail_loudly(monkeypatch, value):
    monkeypatch.setenv("API_THROTTLE_USER", value)

    with pytest.raises(EnvError, match="API_THROTTLE_USER must look like 100/minute"):
        env_rate("API_THROTTLE_USER", "600/minute")


def test_schema_documents_every_endpoint_and_the_error_format(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    schema = response.json()
    assert response.status_code == 200
    assert "Error" in schema["components"]["schemas"]
    expected = {
        "/api/v1/auth/register/",
        "/api/v1/auth/token/",
        "/api/v1/auth/token/refresh/",
        "/api/v1/me/",
        "/api/v1/movies/",
        "/api/v1/movies/{id}/",
        "/api/v1/movies/{movie_id}/similar/",
        "/api/v1/genres/",
        "/api/v1/me/ratings/",
        "/api/v1/me/ratings/{movie_id}/",
        "/api/v1/me/ratings/import/",
        "/api/v1/me/ratings/import/preview/",
        "/api/v1/me/feedback/",
        "/api/v1/me/feedback/{id}/",
        "/api/v1/me/preferences/",
        "/api/v1/me/recommendations/",
        "/api/v1/me/rows/",
        "/api/v1/me/rows/{key}/",
        "/api/v1/me/export/",
        "/api/v1/me/data/",
        "/api/v1/me/delete/",
        "/api/v1/me/devices/",
        "/api/v1/me/devices/{token_key}/",
        "/api/v1/models/",
        "/api/v1/models/retrain/",
    }
    assert set(schema["paths"]) == expected
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert {"401", "429"} <= set(operation["responses"]), f"{method} {path}"


def test_docs_page_serves_swagger_ui_from_this_site_not_a_cdn(api_client):
    response = api_client.get("/api/docs/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()


def test_a_body_over_the_limit_is_413_in_the_format(api_client, settings, caplog):
    body = b'{"username": "' + b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10) + b'", "password": "p"}'

    response = api_client.generic("POST", "/api/v1/auth/token/", body, content_type="application/json")

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert not [record for record in caplog.records if record.levelname == "ERROR"]


def test_json_nested_too_deeply_is_400_in_the_format(api_client, caplog):
    body = "[" * 50_000 + "]" * 50_000

    response = api_client.generic("POST", "/api/v1/auth/token/", body, content_type="application/json")

    assert response.status_code == 400
    assert "nested too deeply" in response.json()["error"]["message"]
    assert not [record for record in caplog.records if record.levelname == "ERROR"]


@pytest.mark.parametrize("body", ["{not json", '{"score": NaN}', b"\xff\xfe"])
def test_malformed_json_is_400_naming_the_problem(user, api_as, body):
    movie = MovieFactory()

    response = api_as(user).generic("PUT", f"/api/v1/me/ratings/{movie.pk}/", body, content_type="application/json")

    assert response.status_code == 400
    assert (
        "JSON parse error" in response.json()["error"]["message"] or "not valid" in response.json()["error"]["message"]
    )
