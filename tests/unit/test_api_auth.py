"""Signing in from a mobile client (tokens) and from the browser (session + CSRF)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from tests.factories import MovieFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-passphrase-9"


def with_token(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_register_returns_a_token_that_works(api_client):
    # When a newcomer registers
    response = api_client.post(
        "/api/v1/auth/register/", {"username": "ada", "email": "ada@example.org", "password": PASSWORD}, format="json"
    )

    # Then the account exists and the token it came with signs them in
    assert response.status_code == 201
    assert response.json()["user"]["username"] == "ada"
    me = with_token(response.json()["token"]).get("/api/v1/me/")
    assert me.json()["email"] == "ada@example.org"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "taken", "password": PASSWORD}, "username"),
        ({"username": "no spaces!", "password": PASSWORD}, "username"),
        ({"username": "ada", "password": "short"}, "password"),
        ({"username": "ada", "password": "password123"}, "password"),
        ({"username": "ada", "password": PASSWORD, "email": "not-an-address"}, "email"),
        ({"password": PASSWORD}, "username"),
    ],
)
def test_register_rejects_bad_input_naming_the_field(api_client, body, field):
    # Given someone already called "taken"
    UserFactory(username="taken")

    # When registering with a bad field
    response = api_client.post("/api/v1/auth/register/", body, format="json")

    # Then it is a 400 naming that field, and no account was made
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert get_user_model().objects.count() == 1


def test_token_for_username_and_password_and_wrong_password_is_400(api_client):
    # Given an account with a password
    UserFactory(username="grace", password=PASSWORD)

    # When signing in right, then wrong
    right = api_client.post("/api/v1/auth/token/", {"username": "grace", "password": PASSWORD}, format="json")
    wrong = api_client.post("/api/v1/auth/token/", {"username": "grace", "password": "nope"}, format="json")

    # Then the right password gets a working token, the wrong one a 400 with a message
    assert with_token(right.json()["token"]).get("/api/v1/me/").status_code == 200
    assert wrong.status_code == 400
    assert "Unable to log in" in wrong.json()["error"]["message"]


def test_refresh_rotates_the_token(user, api_as):
    # Given a signed-in client
    old = api_as(user)

    # When it rotates its token
    response = old.post("/api/v1/auth/token/refresh/")

    # Then the new token works and the old one is refused
    assert with_token(response.json()["token"]).get("/api/v1/me/").status_code == 200
    assert old.get("/api/v1/me/").status_code == 401


def test_revoke_signs_the_token_out(user, api_as):
    client = api_as(user)

    revoked = client.delete("/api/v1/auth/token/")

    assert revoked.status_code == 204
    assert client.get("/api/v1/me/").status_code == 401


def test_an_unknown_token_is_401_even_on_public_reads():
    response = with_token("0" * 40).get("/api/v1/movies/")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_browser_session_reads_and_writes_with_csrf_only(user):
    # Given a browser signed in with a session, CSRF checks on as in production
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(user)
    movie = MovieFactory()

    # When it reads, writes without a CSRF token, then writes with one
    read = browser.get("/api/v1/me/")
    forged = browser.put(f"/api/v1/me/ratings/{movie.pk}/", {"score": 4}, format="json")
    browser.get("/accounts/login/")  # any page that renders a form sets the CSRF cookie
    csrf = browser.cookies["csrftoken"].value
    allowed = browser.put(f"/api/v1/me/ratings/{movie.pk}/", {"score": 4}, format="json", HTTP_X_CSRFTOKEN=csrf)

    # Then the read works, the write without the token is 403, the one with it succeeds
    assert read.status_code == 200
    assert forged.status_code == 403
    assert "CSRF" in forged.json()["error"]["message"]
    assert allowed.status_code == 200
