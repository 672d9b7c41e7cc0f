"""Who may do what: every API endpoint as anonymous, the owner, another person, and staff without and with the
model permissions the endpoint needs.

The owner has a rating and a feedback entry; another person (and staff, who get no
special reach into people's data) asking for those ids gets 404. Anonymous gets 401
with a WWW-Authenticate header wherever signing in is needed; non-staff, and staff
without the permission, get 403 on staff endpoints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from movierec.accounts.services import token_issue
from movierec.permissions import RETRAIN
from ratings.models import Feedback
from recommender import api as recommender_api
from tests.factories import FeedbackFactory, MovieFactory, RatingFactory, UserFactory

ANON, OWNER, OTHER, STAFF, PERMITTED = "anonymous", "owner", "other", "staff", "staff with the permission"
WHO = (ANON, OWNER, OTHER, STAFF, PERMITTED)
#: What PERMITTED staff hold: each staff endpoint needs one of these, and no other endpoint needs any.
STAFF_PERMISSIONS = ("catalog.add_movie", "catalog.change_movie", "recommender.view_modelversion", RETRAIN)
PASSWORD = "a-good-passphrase-42"


def everyone(code: int) -> dict[str, int]:
    return dict.fromkeys(WHO, code)


def signed_in(code: int) -> dict[str, int]:
    return {ANON: 401, OWNER: code, OTHER: code, STAFF: code, PERMITTED: code}


def owner_only(code: int) -> dict[str, int]:
    return {ANON: 401, OWNER: code, OTHER: 404, STAFF: 404, PERMITTED: 404}


def staff_only(code: int) -> dict[str, int]:
    return {ANON: 401, OWNER: 403, OTHER: 403, STAFF: 403, PERMITTED: code}


# (method, path, body, expected status per person). {movie}, {rated} and {feedback} are filled in per test.
MATRIX: list[tuple[str, str, dict[str, Any] | None, dict[str, int]]] = [
    ("post", "/api/v1/auth/register/", {"username": "newcomer", "password": "a-long-passphrase-9"}, everyone(201)),
    ("post", "/api/v1/auth/token/", {"username": "owner", "password": PASSWORD}, everyone(200)),
    ("post", "/api/v1/auth/token/refresh/", None, signed_in(200)),
    ("delete", "/api/v1/auth/token/", None, signed_in(204)),
    ("get", "/api/v1/me/", None, signed_in(200)),
    ("get", "/api/v1/me/devices/", None, signed_in(200)),
    ("delete", "/api/v1/me/devices/{device}/", None, owner_only(204)),
    ("delete", "/api/v1/me/devices/", None, signed_in(204)),
    ("get", "/api/v1/movies/", None, everyone(200)),
    ("post", "/api/v1/movies/", {"title": "Brand New"}, staff_only(201)),
    ("get", "/api/v1/movies/{movie}/", None, everyone(200)),
    ("patch", "/api/v1/movies/{movie}/", {"year": 1999}, staff_only(200)),
    ("put", "/api/v1/movies/{movie}/", {"title": "Whole"}, {**staff_only(405), STAFF: 403}),
    # Nobody holds delete_movie here, so every staff member is refused before the method is.
    ("delete", "/api/v1/movies/{movie}/", None, staff_only(403)),
    ("get", "/api/v1/movies/{movie}/similar/", None, everyone(200)),
    ("get", "/api/v1/genres/", None, everyone(200)),
    ("get", "/api/v1/me/ratings/", None, signed_in(200)),
    ("get", "/api/v1/me/ratings/{rated}/", None, owner_only(200)),
    ("put", "/api/v1/me/ratings/{movie}/", {"score": 4.5}, signed_in(200)),
    ("delete", "/api/v1/me/ratings/{rated}/", None, owner_only(204)),
    ("get", "/api/v1/me/feedback/", None, signed_in(200)),
    ("post", "/api/v1/me/feedback/", {"movie": "{movie}", "kind": "watchlist"}, signed_in(201)),
    ("delete", "/api/v1/me/feedback/{feedback}/", None, owner_only(204)),
    ("get", "/api/v1/me/preferences/", None, signed_in(200)),
    ("patch", "/api/v1/me/preferences/", {"dial_popularity": 0.5}, signed_in(200)),
    ("put", "/api/v1/me/preferences/", {"top_picks_source": "content"}, signed_in(400)),
    ("delete", "/api/v1/me/preferences/", None, signed_in(200)),
    ("post", "/api/v1/me/ratings/import/preview/", {}, signed_in(415)),  # JSON, not the multipart upload it takes
    ("post", "/api/v1/me/ratings/import/", {"plan": "forged"}, signed_in(400)),  # a plan not signed here
    ("get", "/api/v1/me/recommendations/", None, signed_in(200)),
    ("get", "/api/v1/me/rows/", None, signed_in(200)),
    ("get", "/api/v1/me/rows/no-such-row/", None, signed_in(404)),
    ("get", "/api/v1/me/export/", None, signed_in(200)),
    ("delete", "/api/v1/me/data/", None, signed_in(200)),
    ("get", "/api/v1/models/", None, staff_only(200)),
    ("post", "/api/v1/models/retrain/", {}, staff_only(202)),
    # Last: each person deletes the account they are signed in with (never anyone else's: it is always "me").
    ("post", "/api/v1/me/delete/", {"password": PASSWORD}, signed_in(204)),
]


@dataclass
class World:
    movie: int
    rated: int
    feedback: int
    device: str

    def fill(self, value: Any) -> Any:
        if isinstance(value, str):
            filled = value.format(movie=self.movie, rated=self.rated, feedback=self.feedback, device=self.device)
            return int(filled) if filled.isdigit() and value.startswith("{") else filled
        if isinstance(value, dict):
            return {key: self.fill(item) for key, item in value.items()}
        return value


@pytest.fixture
def world(db, monkeypatch) -> World:
    # Staff retraining must not reach a real broker from a unit test.
    monkeypatch.setattr(recommender_api.training, "training_request", lambda *, family: True)
    owner = UserFactory(username="owner", password=PASSWORD)
    rating = RatingFactory(user=owner, score=4.0)
    feedback = FeedbackFactory(user=owner, kind=Feedback.Kind.SEEN)
    device, _ = token_issue(user=owner, device="Tablet")
    return World(movie=MovieFactory().pk, rated=rating.movie_id, feedback=feedback.pk, device=device.token_key)


@pytest.fixture
def as_person(api_client, api_as):
    def make(who: str):
        if who == ANON:
            return api_client
        people = {
            OWNER: lambda: UserFactory(username="owner"),
            OTHER: UserFactory,
            STAFF: lambda: UserFactory(is_staff=True),
            PERMITTED: lambda: UserFactory(is_staff=True, permissions=STAFF_PERMISSIONS),
        }
        return api_as(people[who]())

    return make


@pytest.mark.parametrize(
    ("method", "path", "body", "who", "expected"),
    [
        pytest.param(method, path, body, who, statuses[who], id=f"{method.upper()} {path} as {who}")
        for method, path, body, statuses in MATRIX
        for who in WHO
    ],
)
def test_access(world, as_person, method, path, body, who, expected):
    # Given the person, and the owner's rating and feedback
    client = as_person(who)

    # When they call the endpoint
    response = getattr(client, method)(world.fill(path), world.fill(body), format="json")

    # Then the status is the table's, errors come in the one format, and a 401 says how to sign in
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert response.json()["error"]["status"] == expected
    if expected == 401:
        assert response.headers["WWW-Authenticate"] == "Token"
