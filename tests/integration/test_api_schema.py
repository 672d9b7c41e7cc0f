"""Schemathesis against /api/schema/: generated requests to every operation, as a signed-in staff member.

No response may be a 5xx, and every response (status, content type, headers,
body) must match what the schema documents, errors included. Staff, so the
staff-only writes are exercised too; their retrain call is stubbed so no
message reaches a broker.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from movierec.accounts.services import token_issue
from ratings.models import Feedback
from recommender import api as recommender_api
from recommender import services as recommender_services
from tests.factories import FeedbackFactory, GenreFactory, MovieFactory, RatingFactory, UserFactory

pytestmark = pytest.mark.django_db

#: Examples per operation: enough to reach every status the schema documents, small enough for about a minute.
EXAMPLES = 12


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """Stop Django closing the database connection after each request, as its own test client does.

    Schemathesis calls the WSGI app directly, and closing the connection would drop the test's transaction.
    """
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def auth_header(db, monkeypatch) -> dict[str, str]:
    """A small catalog, a staff member with ratings and feedback, and their token header."""
    monkeypatch.setattr(recommender_api.training, "training_request", lambda *, family: True)
    recommender_services.clear_caches()
    genres = [GenreFactory(name=name, slug=name.lower()) for name in ("Action", "Drama", "Comedy")]
    movies = [MovieFactory(genres=[genres[n % 3]], year=1980 + n) for n in range(12)]
    staff = UserFactory(is_staff=True)
    for person in [staff, *UserFactory.create_batch(3)]:
        for movie in movies[:6]:
            RatingFactory(user=person, movie=movie, score=4.0)
    FeedbackFactory(user=staff, movie=movies[7], kind=Feedback.Kind.WATCHLIST)
    return {"Authorization": f"Token {token_issue(user=staff)[1]}"}


# Loaded at collection (the schema view needs no database); from_fixture would defer it, but it does not run
# under pytest 9. Rotating or revoking the token would turn every later example into a 401: unit tests cover both.
schema = (
    schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    .exclude(path="/api/v1/auth/token/", method="DELETE")
    .exclude(path="/api/v1/auth/token/refresh/")
)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_response_matches_the_schema(case, auth_header):
    # Left out: whether the API accepts every schema-valid request and rejects every invalid one. A valid-looking
    # movie id may not exist, a username may be taken, a password too common (400s naming the field, asserted by
    # the unit tests); and DRF is lenient by design: 0 becomes "0" for a text field, an empty query parameter
    # counts as absent, a page_size that is not a number falls back to the default. What is checked: no 5xx, and
    # every status, content type, header and body is the documented one.
    case.call_and_validate(headers=auth_header, excluded_checks=[positive_data_acceptance, negative_data_rejection])
