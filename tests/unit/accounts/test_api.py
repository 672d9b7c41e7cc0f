"""Signing in from a mobile client (tokens) and from the browser (session + CSRF)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from movierec.accounts.models import DeviceToken
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


def sign_in(device: str = "", password: str = PASSWORD, username: str = "grace", **extra):
    return APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": password, "device": device}, format="json", **extra
    )


def test_each_device_gets_a_token_of_its_own_stored_only_as_a_digest():
    # Given a person who signs in on a phone and a tablet
    person = UserFactory(username="grace", password=PASSWORD)
    phone, tablet = sign_in("Phone").json(), sign_in("Tablet").json()

    # Then the two tokens differ, both work, and the database holds neither token, only digests
    assert phone["token"] != tablet["token"]
    assert with_token(phone["token"]).get("/api/v1/me/").status_code == 200
    assert with_token(tablet["token"]).get("/api/v1/me/").status_code == 200
    stored = list(DeviceToken.objects.filter(user=person).values_list("digest", "token_key", "device"))
    assert sorted(device for *_, device in stored) == ["Phone", "Tablet"]
    for digest, token_key, _ in stored:
        assert digest not in (phone["token"], tablet["token"]) and len(digest) == 128
        assert token_key in (phone["token"][: len(token_key)], tablet["token"][: len(token_key)])


def test_a_token_expires(settings):
    # Given a token issued with the configured lifetime
    UserFactory(username="grace", password=PASSWORD)
    issued = sign_in("Phone").json()
    token = DeviceToken.objects.get()
    assert token.expiry is not None
    assert abs((token.expiry - timezone.now()).days - settings.REST_KNOX["TOKEN_TTL"].days) <= 1

    # When its expiry passes
    DeviceToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))

    # Then it no longer signs in, and it is gone
    assert with_token(issued["token"]).get("/api/v1/me/").status_code == 401
    assert not DeviceToken.objects.exists()


def test_signing_out_one_device_leaves_the_others_signed_in():
    UserFactory(username="grace", password=PASSWORD)
    phone, tablet = with_token(sign_in("Phone").json()["token"]), with_token(sign_in("Tablet").json()["token"])

    assert phone.delete("/api/v1/auth/token/").status_code == 204

    assert phone.get("/api/v1/me/").status_code == 401
    assert tablet.get("/api/v1/me/").status_code == 200


def test_my_devices_lists_and_revokes_them():
    # Given a person signed in on two devices
    UserFactory(username="grace", password=PASSWORD)
    phone = with_token(sign_in("Phone").json()["token"])
    tablet_token = sign_in("Tablet").json()

    # When the phone lists the devices and signs the tablet out
    listed = phone.get("/api/v1/me/devices/").json()
    revoked = phone.delete(f"/api/v1/me/devices/{tablet_token['device']}/")

    # Then both were listed (the phone marked as this one), with no token in the list, and the tablet is out
    assert {(device["device"], device["current"]) for device in listed} == {("Phone", True), ("Tablet", False)}
    assert tablet_token["token"] not in str(listed)
    assert revoked.status_code == 204
    assert with_token(tablet_token["token"]).get("/api/v1/me/").status_code == 401
    assert phone.get("/api/v1/me/").status_code == 200


def test_signing_every_device_out():
    UserFactory(username="grace", password=PASSWORD)
    phone, tablet = with_token(sign_in("Phone").json()["token"]), with_token(sign_in("Tablet").json()["token"])

    assert phone.delete("/api/v1/me/devices/").status_code == 204

    assert phone.get("/api/v1/me/").status_code == 401
    assert tablet.get("/api/v1/me/").status_code == 401


def test_a_new_password_signs_every_device_out(client):
    # Given a person signed in on a phone, and in the browser
    person = UserFactory(username="grace", password=PASSWORD)
    phone = with_token(sign_in("Phone").json()["token"])
    client.force_login(person)

    # When they change their password on the site
    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": "another-passphrase-77", "new_password2": "another-passphrase-77"},
    )

    # Then the phone's token no longer works, and a sign-in with the new password does
    assert response.status_code == 302
    assert phone.get("/api/v1/me/").status_code == 401
    assert sign_in("Phone", password="another-passphrase-77").status_code == 200


def test_other_saves_of_the_account_leave_its_tokens_alone():
    person = UserFactory(username="grace", password=PASSWORD)
    phone = with_token(sign_in("Phone").json()["token"])

    person.email = "grace@example.net"
    person.save()

    assert phone.get("/api/v1/me/").status_code == 200


def test_the_admin_shows_no_token_only_its_digest_and_prefix(admin_client):
    UserFactory(username="grace", password=PASSWORD)
    issued = sign_in("Phone").json()

    page = admin_client.get("/admin/accounts/devicetoken/")

    assert page.status_code == 200
    assert issued["token"] not in page.content.decode()
