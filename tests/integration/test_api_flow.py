"""A mobile client's first session, through the API only, against trained models on PostgreSQL.

Register, get a token, rate five movies, see recommendations that follow those
ratings (fold-in: no retraining in between), mark the top pick not interested,
and see it gone from the picks and from every home row.
"""

from __future__ import annotations

from collections import Counter

import pytest
from rest_framework.test import APIClient

from catalog.models import Movie
from recommender import services, training
from recommender.models import ModelVersion

from .support import seed

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

PASSWORD = "popcorn-and-a-long-passphrase"


@pytest.fixture
def trained(model_dir, fast_training):
    """The planted-taste catalog (four genres, people who each love one) with every family trained on it."""
    services.clear_caches()
    by_genre = seed()
    for family in ("collaborative", "content", "blend"):
        version = training.family_train(family=family, force=True)
        assert version is not None and version.status == ModelVersion.Status.ACTIVE, version and version.error
    yield by_genre
    services.clear_caches()


def genres_of(cards: list[dict]) -> Counter:
    return Counter(genre["name"] for card in cards for genre in card["movie"]["genres"])


def test_register_rate_get_picks_hide_one(trained):
    client = APIClient()

    # Given a newcomer who registers and signs in for a token
    registered = client.post("/api/v1/auth/register/", {"username": "mo", "password": PASSWORD}, format="json")
    token = client.post("/api/v1/auth/token/", {"username": "mo", "password": PASSWORD}, format="json")
    assert registered.status_code == 201 and token.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")

    # When they rate five horror films 5 stars
    rated = trained["Horror"][:5]
    for movie in rated:
        response = client.put(f"/api/v1/me/ratings/{movie.pk}/", {"score": 5}, format="json")
        assert response.status_code == 200

    # Then their top picks lean to horror, leave out what they rated, and each says why
    picks = client.get("/api/v1/me/recommendations/", {"limit": 5}).json()
    assert len(picks) == 5
    assert genres_of(picks).most_common(1)[0][0] == "Horror"
    assert not {card["movie"]["id"] for card in picks} & {movie.pk for movie in rated}
    assert all(card["reason"] for card in picks)

    # When they mark the top pick not interested
    hidden = picks[0]["movie"]["id"]
    marked = client.post("/api/v1/me/feedback/", {"movie": hidden, "kind": "not_interested"}, format="json")
    assert marked.status_code == 201

    # Then it is gone from the picks and from every row, and no row repeats a movie
    after = client.get("/api/v1/me/recommendations/", {"limit": 20}).json()
    rows = client.get("/api/v1/me/rows/").json()
    shown = [card["movie"]["id"] for row in rows for card in row["cards"]]
    assert hidden not in {card["movie"]["id"] for card in after}
    assert hidden not in shown
    assert len(shown) == len(set(shown))
    assert Movie.objects.filter(pk=hidden).exists()


def test_training_the_blend_measured_the_home_rows_on_its_holdout(trained):
    blend = ModelVersion.objects.get(family="blend", status=ModelVersion.Status.ACTIVE)

    rows = blend.row_metrics
    assert {"top-picks", "because", "popular-in"} <= set(rows)
    assert rows["top-picks"]["ndcg@10"] == pytest.approx(blend.metrics["blend"]["ndcg@10"])
    assert rows["top-picks"]["users"] == blend.metrics["blend"]["ranked_users"]
