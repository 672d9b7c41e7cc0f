"""Recommendations through the API: top picks, rows, similar movies; staff model versions and retraining.

No model is trained here, so the picks come from the popularity fallback; the API's
part is validating input, passing it to recommender.services and shaping the answer.
"""

from __future__ import annotations

import pytest
from django.conf import settings

from ratings.models import Feedback
from recommender import api as recommender_api
from recommender import services
from recommender.models import ModelVersion
from tests.factories import FeedbackFactory, GenreFactory, MovieFactory, RatingFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_serving_caches():
    services.clear_caches()
    yield
    services.clear_caches()


@pytest.fixture
def catalog():
    """Eight movies in two genres; movie n is rated by 8 - n people, so the first is the most popular."""
    genres = [GenreFactory(name="Drama", slug="drama"), GenreFactory(name="Comedy", slug="comedy")]
    movies = [MovieFactory(title=f"Film {n}", genres=[genres[n % 2]]) for n in range(8)]
    raters = UserFactory.create_batch(8)
    for n, movie in enumerate(movies):
        for person in raters[: 8 - n]:
            RatingFactory(user=person, movie=movie, score=4.0)
    return movies


def ids(cards: list[dict]) -> list[int]:
    return [card["movie"]["id"] for card in cards]


def test_top_picks_respect_the_limit_and_say_why(user, api_as, catalog):
    response = api_as(user).get("/api/v1/me/recommendations/", {"limit": 3})

    cards = response.json()
    assert response.status_code == 200
    assert len(cards) == 3
    assert all(card["reason"] and card["movie"]["genres"] for card in cards)


@pytest.mark.parametrize("limit", ["0", "101", "many"])
def test_a_bad_limit_is_400_naming_it(user, api_as, limit):
    response = api_as(user).get("/api/v1/me/recommendations/", {"limit": limit})

    assert response.status_code == 400
    assert "limit" in response.json()["error"]["fields"]


def test_not_interested_movies_never_appear_in_picks_or_rows(user, api_as, catalog):
    # Given the most popular movie, which tops the picks
    api = api_as(user)
    top = catalog[0]
    assert top.pk in ids(api.get("/api/v1/me/recommendations/").json())

    # When the person marks it not interested
    api.post("/api/v1/me/feedback/", {"movie": top.pk, "kind": "not_interested"}, format="json")

    # Then it is gone from the picks and from every row
    rows = api.get("/api/v1/me/rows/").json()
    assert top.pk not in ids(api.get("/api/v1/me/recommendations/").json())
    assert top.pk not in [movie for row in rows for movie in ids(row["cards"])]


def test_rows_have_titles_and_no_movie_twice_and_one_row_reads_alone(user, api_as, catalog):
    # Given a person with one rating
    RatingFactory(user=user, movie=catalog[3], score=5.0)
    api = api_as(user)

    # When they read their rows, then the first row on its own
    rows = api.get("/api/v1/me/rows/", {"limit": 4}).json()
    first = api.get(f"/api/v1/me/rows/{rows[0]['key']}/", {"limit": 4}).json()

    # Then every row has a title and cards, no movie repeats, and the single row matches
    shown = [movie for row in rows for movie in ids(row["cards"])]
    assert rows and all(row["title"] and row["cards"] for row in rows)
    assert len(shown) == len(set(shown))
    assert (first["key"], first["title"], ids(first["cards"])) == (
        rows[0]["key"],
        rows[0]["title"],
        ids(rows[0]["cards"]),
    )


def test_an_unknown_row_is_404_naming_the_key(user, api_as):
    response = api_as(user).get("/api/v1/me/rows/no-such-row/")

    assert response.status_code == 404
    assert response.json()["error"]["message"].startswith("key:")


def test_similar_movies_for_anyone_leave_out_the_movie_itself(api_client, catalog):
    response = api_client.get(f"/api/v1/movies/{catalog[0].pk}/similar/", {"kind": "content", "limit": 4})

    assert response.status_code == 200
    assert 0 < len(response.json()) <= 4
    assert catalog[0].pk not in ids(response.json())


def test_similar_movies_leave_out_what_i_rejected(user, api_as, catalog):
    FeedbackFactory(user=user, movie=catalog[2], kind=Feedback.Kind.NOT_INTERESTED)

    response = api_as(user).get(f"/api/v1/movies/{catalog[0].pk}/similar/", {"kind": "content"})

    assert catalog[2].pk not in ids(response.json())


@pytest.mark.parametrize(
    ("path", "params", "status", "field"),
    [
        ("/api/v1/movies/999999/similar/", {}, 404, None),
        ("/api/v1/movies/{movie}/similar/", {"kind": "telepathic"}, 400, "kind"),
    ],
)
def test_similar_bad_input(api_client, catalog, path, params, status, field):
    response = api_client.get(path.format(movie=catalog[0].pk), params)

    assert response.status_code == status
    if field:
        assert field in response.json()["error"]["fields"]


def test_staff_list_model_versions_filtered_by_family(staff_user, api_as):
    ModelVersion.objects.create(
        family="collaborative", status=ModelVersion.Status.ACTIVE, metrics={"svd": {"rmse": 0.9}}
    )
    ModelVersion.objects.create(family="content", status=ModelVersion.Status.FAILED, error="out of memory")

    response = api_as(staff_user).get("/api/v1/models/", {"family": "content"})

    results = response.json()["results"]
    assert [(item["family"], item["status"], item["error"]) for item in results] == [
        ("content", "failed", "out of memory")
    ]


def test_staff_see_how_each_home_row_measured_on_the_blends_holdout(staff_user, api_as):
    rows = {"top-picks": {"ndcg@10": 0.093, "hr@10": 0.17, "users": 943.0}}
    ModelVersion.objects.create(family="blend", status=ModelVersion.Status.ACTIVE, row_metrics=rows)

    response = api_as(staff_user).get("/api/v1/models/", {"family": "blend"})

    assert response.json()["results"][0]["row_metrics"] == rows


def test_staff_retrain_requests_each_family_asked_for(staff_user, api_as, monkeypatch):
    # Given a training queue that takes the first request and cannot be reached for the second
    requested: list[str] = []

    def training_request(*, family: str) -> bool:
        requested.append(family)
        return family == "collaborative"

    monkeypatch.setattr(recommender_api.training, "training_request", training_request)

    # When staff ask for two families
    response = api_as(staff_user).post(
        "/api/v1/models/retrain/", {"families": ["collaborative", "content"]}, format="json"
    )

    # Then both were requested and the answer says which reached the queue
    assert response.status_code == 202
    assert requested == ["collaborative", "content"]
    assert response.json() == {"queued": {"collaborative": True, "content": False}}


def test_retrain_rejects_an_unknown_family_naming_the_field(staff_user, api_as):
    response = api_as(staff_user).post("/api/v1/models/retrain/", {"families": ["astrology"]}, format="json")

    assert response.status_code == 400
    assert "families.0" in response.json()["error"]["fields"]


def test_asking_again_unchanged_is_answered_from_cache_but_a_rating_or_feedback_counts_at_once(
    user, api_as, catalog, django_assert_max_num_queries
):
    api = api_as(user)
    first = api.get("/api/v1/me/recommendations/", {"limit": 3}).json()

    # given nothing changed: the token, then the catalog's and the person's fingerprints in one query, nothing
    # more; without Redis, the impressions of the answer are written to the database (one INSERT in its
    # savepoint) instead of buffered
    logged_here = 0 if settings.REDIS_URL else 3
    with django_assert_max_num_queries(2 + logged_here):
        again = api.get("/api/v1/me/recommendations/", {"limit": 3}).json()
    assert again == first

    # when the person rates their top pick and rejects the next one
    RatingFactory(user=user, movie_id=first[0]["movie"]["id"], score=2.0)
    api.post("/api/v1/me/feedback/", {"movie": first[1]["movie"]["id"], "kind": "not_interested"}, format="json")

    # then neither is recommended any more
    after = ids(api.get("/api/v1/me/recommendations/", {"limit": 3}).json())
    assert first[0]["movie"]["id"] not in after and first[1]["movie"]["id"] not in after
