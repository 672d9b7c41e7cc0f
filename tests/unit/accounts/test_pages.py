"""The account pages: sign up, log in, log out, change and reset a password."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.core import mail
from django.urls import reverse

from movierec.accounts.models import DeviceToken
from movierec.accounts.services import token_issue
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()
PASSWORD = "a-good-passphrase-42"  # what UserFactory sets
NEW_PASSWORD = "an-even-better-one-77"


def _logged_in_user_id(client) -> str | None:
    return client.session.get(SESSION_KEY)


@pytest.mark.parametrize("name", ["signup", "login", "password_reset"])
def test_public_account_forms_render(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 200
    assert b"<form" in response.content
    assert b"csrfmiddlewaretoken" in response.content


@pytest.mark.parametrize("name", ["password_reset_done", "password_reset_complete"])
def test_public_account_notices_render(client, name):
    assert client.get(reverse(name)).status_code == 200


def test_sign_up_creates_the_account_and_logs_in(client):
    response = client.post(
        reverse("signup"),
        {"username": "newbie", "email": "newbie@example.org", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response.url == reverse("ratings:welcome"), "a new account starts onboarding"
    newbie = User.objects.get(username="newbie")
    assert newbie.email == "newbie@example.org"
    assert newbie.check_password(NEW_PASSWORD)
    assert _logged_in_user_id(client) == str(newbie.pk)


def test_sign_up_with_mismatched_passwords_shows_the_error_and_creates_nothing(client):
    response = client.post(
        reverse("signup"), {"username": "newbie", "password1": NEW_PASSWORD, "password2": "something-else-entirely"}
    )

    assert response.status_code == 400
    assert b"field-error" in response.content
    assert not User.objects.filter(username="newbie").exists()


def test_sign_up_page_sends_a_logged_in_person_home(client, user):
    client.force_login(user)

    assert client.get(reverse("signup")).url == reverse("home")


def test_log_in_and_out(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})

    assert response.status_code == 302
    assert _logged_in_user_id(client) == str(user.pk)

    response = client.post(reverse("logout"), follow=True)

    assert response.redirect_chain[0][1] == 302
    assert _logged_in_user_id(client) is None
    assert "You are logged out" in response.content.decode()


def test_log_in_with_a_wrong_password_fails(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": "not-it"})

    assert response.status_code == 200
    assert b"form-errors" in response.content
    assert _logged_in_user_id(client) is None


def test_log_out_needs_a_post(client, user):
    client.force_login(user)

    response = client.get(reverse("logout"))

    assert response.status_code == 405
    assert _logged_in_user_id(client) == str(user.pk)


def test_password_change(client, user):
    client.force_login(user)
    assert client.get(reverse("password_change")).status_code == 200

    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response.url == reverse("password_change_done")
    assert client.get(response.url).status_code == 200
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert _logged_in_user_id(client) == str(user.pk), "changing the password keeps the session"


def test_password_change_needs_a_login(client):
    response = client.get(reverse("password_change"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_password_reset_by_email(client):
    person = UserFactory(email="forgetful@example.org")

    response = client.post(reverse("password_reset"), {"email": "forgetful@example.org"})

    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["forgetful@example.org"]
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)

    # the emailed link redirects once to a URL without the token, which shows the form
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    assert form_page.context["validlink"]
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert response.status_code == 302
    assert response.url == reverse("password_reset_complete")
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)


def test_password_reset_for_an_unknown_address_sends_nothing_but_looks_the_same(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})

    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert mail.outbox == []


def test_a_used_reset_link_says_so(client):
    response = client.get(reverse("password_reset_confirm", args=["MQ", "not-a-token"]))

    assert response.status_code == 200
    assert not response.context["validlink"]
    assert b"no longer works" in response.content


# -- who may open the account pages: the owner, another person, staff with and without permissions, anonymous ----

WHO = ("anonymous", "owner", "other", "staff", "superuser")


def _as(client, who: str, owner):
    people = {
        "owner": lambda: owner,
        "other": UserFactory,
        "staff": lambda: UserFactory(is_staff=True),
        "superuser": lambda: UserFactory(is_staff=True, is_superuser=True),
    }
    if who != "anonymous":
        client.force_login(people[who]())
    return client


@pytest.mark.parametrize("who", WHO)
def test_my_account_page_shows_only_the_signed_in_persons_own_devices(client, who):
    owner = UserFactory(username="owner")
    token_issue(user=owner, device="Owner's phone")

    response = _as(client, who, owner).get("/accounts/me/")

    if who == "anonymous":
        assert response.status_code == 302 and response.headers["Location"].startswith("/accounts/login/")
        return
    assert response.status_code == 200
    assert (b"Owner&#x27;s phone" in response.content) == (who == "owner")


@pytest.mark.parametrize("who", WHO)
def test_only_the_owner_signs_their_device_out(client, who):
    owner = UserFactory(username="owner")
    token, _ = token_issue(user=owner, device="Phone")

    response = _as(client, who, owner).post(f"/accounts/devices/{token.token_key}/revoke/")

    assert response.status_code == 302
    assert DeviceToken.objects.filter(pk=token.pk).exists() == (who != "owner")


@pytest.mark.parametrize("who", WHO)
def test_deleting_an_account_deletes_only_ones_own(client, who):
    owner = UserFactory(username="owner")

    response = _as(client, who, owner).post("/accounts/me/", {"password": "a-good-passphrase-42"})

    assert response.status_code == 302
    assert get_user_model().objects.filter(pk=owner.pk).exists() == (who != "owner")
