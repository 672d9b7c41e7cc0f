"""Guessing passwords and making accounts in bulk: django-axes lockouts, trusted proxies, the sign-up throttle."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-passphrase-9"


def log_in(client, password: str, username: str = "grace", **headers):
    return client.post("/accounts/login/", {"username": username, "password": password}, **headers)


def api_sign_in(password: str, username: str = "grace", **headers):
    return APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json", **headers
    )


def test_the_login_page_locks_an_account_after_repeated_failures(client, settings):
    # Given an account, and as many wrong passwords as the limit allows
    UserFactory(username="grace", password=PASSWORD)
    wrong = [log_in(client, f"guess-{n}") for n in range(settings.AXES_FAILURE_LIMIT)]

    # When the right password comes next
    right = log_in(client, PASSWORD)

    # Then the guesses were refused, and now even the right password is: 429 with how long to wait
    assert all(response.status_code == 200 for response in wrong[:-1])  # the form again, with its error
    assert right.status_code == 429
    assert "Too many attempts" in right.content.decode()
    assert int(right.headers["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert "_auth_user_id" not in client.session


def test_a_locked_account_is_locked_from_every_address_and_the_api_too(client, settings):
    UserFactory(username="grace", password=PASSWORD)
    for n in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, f"guess-{n}", REMOTE_ADDR=f"10.0.0.{n + 1}")

    response = api_sign_in(PASSWORD, REMOTE_ADDR="10.9.9.9")

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "locked_out"
    assert "Retry-After" in response.headers


def test_one_address_guessing_many_accounts_is_locked_out(client, settings):
    UserFactory(username="grace", password=PASSWORD)
    for n in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "guess", username=f"someone-{n}")

    assert log_in(client, PASSWORD).status_code == 429


def test_a_success_before_the_limit_resets_the_count(client, settings):
    UserFactory(username="grace", password=PASSWORD)
    for _ in range(2):
        for n in range(settings.AXES_FAILURE_LIMIT - 1):
            log_in(client, f"guess-{n}")
        assert log_in(client, PASSWORD).status_code == 302
        client.post("/accounts/logout/")


def test_forged_forwarded_for_headers_do_not_make_new_clients(settings):
    # Given no trusted proxy (the default), and an attacker who sends a new X-Forwarded-For with every guess
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == 0
    UserFactory(username="grace", password=PASSWORD)
    for n in range(settings.AXES_FAILURE_LIMIT):
        api_sign_in("guess", username=f"someone-{n}", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")

    # Then they are still one client, locked out
    assert api_sign_in(PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429


def test_with_one_trusted_proxy_the_address_it_saw_is_the_client(settings):
    # Given one proxy in front of the site: it appends the address it saw to X-Forwarded-For
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    UserFactory(username="grace", password=PASSWORD)
    for n in range(settings.AXES_FAILURE_LIMIT):
        api_sign_in("guess", username=f"someone-{n}", HTTP_X_FORWARDED_FOR=f"forged-{n}, 203.0.113.5")

    # Then that address is locked out, whatever the client put before it, and another address is not
    assert api_sign_in(PASSWORD, HTTP_X_FORWARDED_FOR="anything, 203.0.113.5").status_code == 429
    assert api_sign_in(PASSWORD, HTTP_X_FORWARDED_FOR="anything, 203.0.113.6").status_code == 200


def test_the_api_throttle_ignores_forged_forwarded_for(rates):
    rates(anon="3/minute")
    answers = [APIClient().get("/api/v1/genres/", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(5)]

    assert answers == [200, 200, 200, 429, 429]


def test_sign_up_is_throttled_per_client_on_the_site_and_the_api(client, rates):
    # Given a sign-up budget of 3 per hour per client, shared by the page and the API
    rates(signup="3/hour")

    def page(n: int):
        body = {"username": f"page{n}", "email": "", "password1": PASSWORD, "password2": PASSWORD}
        response = client.post("/accounts/signup/", body)
        client.logout()
        return response.status_code

    def api(n: int):
        body = {"username": f"api{n}", "password": PASSWORD}
        return APIClient().post("/api/v1/auth/register/", body, format="json").status_code

    # When one client makes accounts in bulk
    answers = [page(0), page(1), api(2), page(3), api(4)]

    # Then the first three are made and the rest refused
    assert answers == [302, 302, 201, 429, 429]
    assert get_user_model().objects.count() == 3
