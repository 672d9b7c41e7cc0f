"""Everything stored about me: a complete export, and deleting the account with all of it, on the site and the API."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.contrib.auth import get_user_model

from movierec.accounts.models import DeviceToken
from movierec.accounts.services import account_delete, token_issue
from ratings import services as ratings_services
from ratings.models import Feedback, Profile, Rating
from tests.factories import FeedbackFactory, GenreFactory, ProfileFactory, RatingFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-good-passphrase-42"  # the factory's


@pytest.fixture
def person(db):
    """Someone with ratings, feedback, a profile with favourite genres, and a signed-in phone."""
    user = UserFactory(username="grace", email="grace@example.org")
    profile = ProfileFactory(user=user, age=36, occupation="engineer", zip_code="02139")
    profile.favourite_genres.set([GenreFactory(name="Drama"), GenreFactory(name="Film-Noir")])
    RatingFactory(user=user, score=4.5)
    FeedbackFactory(user=user, kind=Feedback.Kind.WATCHLIST)
    token_issue(user=user, device="Phone")
    return user


def test_the_export_holds_everything_stored_about_me(client, person):
    client.force_login(person)

    data = json.loads(client.get("/me/ratings/export.json").content)

    assert data["username"] == "grace"
    assert data["account"]["email"] == "grace@example.org"
    assert data["profile"]["age"] == 36 and data["profile"]["occupation"] == "engineer"
    assert data["profile"]["favourite_genres"] == ["Drama", "Film-Noir"]
    assert [device["device"] for device in data["devices"]] == ["Phone"]
    assert len(data["ratings"]) == 1 and len(data["feedback"]) == 1


def test_the_csv_export_holds_the_same(client, person):
    client.force_login(person)

    rows = list(csv.DictReader(io.StringIO(client.get("/me/ratings/export.csv").content.decode())))

    by_type = {}
    for row in rows:
        by_type.setdefault(row["type"], []).append(row)
    assert {"account", "profile", "favourite_genre", "device", "rating", "feedback"} <= set(by_type)
    assert {"email": "grace@example.org"}.items() <= {r["field"]: r["value"] for r in by_type["account"]}.items()
    assert sorted(row["value"] for row in by_type["favourite_genre"]) == ["Drama", "Film-Noir"]


def test_the_api_export_is_the_same_as_the_download(client, api_as, person):
    client.force_login(person)

    api = api_as(person).get("/api/v1/me/export/").json()
    download = json.loads(client.get("/me/ratings/export.json").content)

    # api_as signed in one more device
    assert {key: value for key, value in api.items() if key != "devices"} == {
        key: value for key, value in download.items() if key != "devices"
    }


def _nothing_left_of(user_id: int) -> None:
    assert not get_user_model().objects.filter(pk=user_id).exists()
    assert not Rating.objects.filter(user_id=user_id).exists()
    assert not Feedback.objects.filter(user_id=user_id).exists()
    assert not Profile.objects.filter(user_id=user_id).exists()
    assert not DeviceToken.objects.filter(user_id=user_id).exists()
    assert not Profile.favourite_genres.through.objects.filter(profile__user_id=user_id).exists()


def test_deleting_my_account_on_the_site_removes_all_of_it(client, person):
    client.force_login(person)

    page = client.get("/accounts/me/")
    response = client.post("/accounts/me/", {"password": PASSWORD})

    assert page.status_code == 200 and b"Delete my account" in page.content
    assert response.status_code == 302
    _nothing_left_of(person.pk)
    assert "_auth_user_id" not in client.session


def test_the_recommender_hears_that_my_ratings_are_gone(person, django_capture_on_commit_callbacks, monkeypatch):
    heard = []
    monkeypatch.setattr(ratings_services, "change_listeners", [heard.append])
    person_id = person.pk

    with django_capture_on_commit_callbacks(execute=True):
        account_delete(user=person, password=PASSWORD)

    assert heard == [person_id]


def test_a_wrong_password_deletes_nothing(client, person):
    client.force_login(person)

    response = client.post("/accounts/me/", {"password": "not-my-password"})

    assert response.status_code == 400
    assert b"not your password" in response.content
    assert Rating.objects.filter(user=person).exists() and Profile.objects.filter(user=person).exists()


def test_deleting_my_account_through_the_api(api_as, person):
    api = api_as(person)

    wrong = api.post("/api/v1/me/delete/", {"password": "nope"}, format="json")
    missing = api.post("/api/v1/me/delete/", {}, format="json")
    right = api.post("/api/v1/me/delete/", {"password": PASSWORD}, format="json")

    assert wrong.status_code == 400 and "password" in wrong.json()["error"]["fields"]
    assert missing.status_code == 400 and "password" in missing.json()["error"]["fields"]
    assert right.status_code == 204
    _nothing_left_of(person.pk)
    assert api.get("/api/v1/me/").status_code == 401


def test_my_account_page_lists_and_signs_out_devices(client, person):
    client.force_login(person)
    phone = DeviceToken.objects.get(user=person)

    page = client.get("/accounts/me/")
    revoked = client.post(f"/accounts/devices/{phone.token_key}/revoke/")

    assert b"Phone" in page.content
    assert revoked.status_code == 302
    assert not DeviceToken.objects.filter(user=person).exists()


def test_no_one_signs_out_someone_elses_device(client, person):
    client.force_login(UserFactory())
    phone = DeviceToken.objects.get(user=person)

    client.post(f"/accounts/devices/{phone.token_key}/revoke/")

    assert DeviceToken.objects.filter(user=person).exists()
