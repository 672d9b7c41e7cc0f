"""Sign-up cannot take over a MovieLens identity or pass for the site: normalised names, reserved names refused."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from catalog.importers.loader import movielens_import
from catalog.importers.variants import VARIANTS
from ratings.models import Profile, Rating
from tests.factories import UserFactory
from tests.movielens_samples import write_ml100k

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-passphrase-9"


def register(api_client, username: str):
    return api_client.post("/api/v1/auth/register/", {"username": username, "password": PASSWORD}, format="json")


@pytest.mark.parametrize("username", ["ml_5", "ML_5", "ml_٥", "admin", "Staff", "movierec"])
def test_reserved_names_are_refused_on_the_api(api_client, username):
    response = register(api_client, username)

    assert response.status_code == 400
    assert "username" in response.json()["error"]["fields"]
    assert not get_user_model().objects.exists()


@pytest.mark.parametrize("username", ["ml_5", "ml_٥"])
def test_reserved_names_are_refused_on_the_sign_up_page(client, username):
    body = {"username": username, "email": "", "password1": PASSWORD, "password2": PASSWORD}

    response = client.post("/accounts/signup/", body)

    assert response.status_code == 400
    assert not get_user_model().objects.exists()


@pytest.mark.parametrize(("typed", "other"), [("ａｄａ", "ada"), ("Ada", "ada")])
def test_names_are_normalised_and_compared_without_case(api_client, typed, other):
    # Given someone called "ada"
    UserFactory(username=other)

    # Then full-width letters or another case are the same name
    response = register(api_client, typed)

    assert response.status_code == 400
    assert "already exists" in response.json()["error"]["message"]


def test_letters_of_other_scripts_are_refused(api_client):
    # A Cyrillic "а" looks like the Latin one
    response = register(api_client, "grаce")

    assert response.status_code == 400
    assert "username" in response.json()["error"]["fields"]


def test_an_old_account_with_other_digits_no_longer_breaks_re_imports(tmp_path):
    # Given an account made before sign-up normalised names: "ml_" and an Arabic-Indic 1
    squatter = UserFactory(username="ml_١")

    # When MovieLens is imported twice (the second import used to fail on a unique constraint)
    folder = write_ml100k(tmp_path)
    movielens_import(variant=VARIANTS["ml-100k"], directory=folder)
    movielens_import(variant=VARIANTS["ml-100k"], directory=folder)

    # Then MovieLens user 1 is a person of the import's own, and the old account got nothing
    assert Profile.objects.get(movielens_id=1).user != squatter
    assert not Rating.objects.filter(user=squatter).exists()
