"""Ratings, feedback and personal data through the API: own data only, validation naming the field."""

from __future__ import annotations

import pytest

from ratings import services
from ratings.models import Feedback, Rating
from tests.factories import FeedbackFactory, MovieFactory, RatingFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_put_rating_creates_then_updates_one_rating(user, api_as):
    # Given a movie the person has not rated
    movie = MovieFactory()
    api = api_as(user)

    # When they rate it, then change their mind
    first = api.put(f"/api/v1/me/ratings/{movie.pk}/", {"score": 4.5}, format="json")
    second = api.put(f"/api/v1/me/ratings/{movie.pk}/", {"score": 2}, format="json")

    # Then one rating holds the latest score, and the answer shows the movie
    assert first.status_code == 200 and second.status_code == 200
    assert second.json()["score"] == 2.0
    assert second.json()["movie"]["id"] == movie.pk
    assert list(Rating.objects.filter(user=user).values_list("score", flat=True)) == [2.0]


def test_a_rating_through_the_api_fires_the_retrain_trigger_after_commit(
    user, api_as, monkeypatch, django_capture_on_commit_callbacks
):
    # Given a listener standing in for the recommender's retrain trigger
    changed: list[int] = []
    monkeypatch.setattr(services, "change_listeners", [changed.append])
    movie = MovieFactory()

    # When the person rates through the API
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(user).put(f"/api/v1/me/ratings/{movie.pk}/", {"score": 5}, format="json")

    # Then the same trigger as on the site ran, for this person
    assert response.status_code == 200
    assert changed == [user.pk]


@pytest.mark.parametrize(
    "body",
    [
        {"score": 0},
        {"score": 5.5},
        {"score": 4.25},
        {"score": -1},
        {"score": "4.5"},
        {"score": True},
        {"score": None},
        {"score": [4]},
        {},
        {"stars": 4},
    ],
    ids=["zero", "above-5", "off-half-step", "negative", "string", "boolean", "null", "list", "empty", "wrong-name"],
)
def test_bad_scores_are_400_naming_the_score_field_and_store_nothing(user, api_as, body):
    # Given a movie
    movie = MovieFactory()

    # When the person sends a bad score
    response = api_as(user).put(f"/api/v1/me/ratings/{movie.pk}/", body, format="json")

    # Then the error names the score field and nothing was stored
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "score" in error["fields"]
    assert "score" in error["message"]
    assert not Rating.objects.exists()


def test_malformed_json_is_400_in_the_error_format(user, api_as):
    movie = MovieFactory()

    response = api_as(user).put(f"/api/v1/me/ratings/{movie.pk}/", data='{"score": 4', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


@pytest.mark.parametrize("method", ["get", "put", "delete"])
@pytest.mark.parametrize("movie_id", ["999999", "abc", "-1", str(2**70)])
def test_an_unknown_movie_is_404_naming_movie_id(user, api_as, method, movie_id):
    response = getattr(api_as(user), method)(f"/api/v1/me/ratings/{movie_id}/", {"score": 3}, format="json")

    assert response.status_code == 404
    assert response.json()["error"]["message"].startswith("movie_id:")


def test_delete_rating_removes_it_and_a_second_delete_is_404(user, api_as):
    # Given a rating
    rating = RatingFactory(user=user)
    api = api_as(user)

    # When it is deleted twice
    first = api.delete(f"/api/v1/me/ratings/{rating.movie_id}/")
    second = api.delete(f"/api/v1/me/ratings/{rating.movie_id}/")

    # Then it is gone, and the second delete says there was nothing to remove
    assert first.status_code == 204
    assert second.status_code == 404
    assert not Rating.objects.exists()


def test_rating_list_shows_only_my_ratings_sorted_as_asked(user, other_user, api_as):
    # Given my two ratings and someone else's
    low = RatingFactory(user=user, score=1.5)
    high = RatingFactory(user=user, score=5.0)
    RatingFactory(user=other_user)

    # When I list them best first
    response = api_as(user).get("/api/v1/me/ratings/?sort=best")

    # Then I see only mine, in that order, paginated
    body = response.json()
    assert response.status_code == 200
    assert body["count"] == 2
    assert [item["movie"]["id"] for item in body["results"]] == [high.movie_id, low.movie_id]


def test_someone_elses_rating_is_404_and_untouched(user, other_user, api_as):
    # Given someone else's rating
    theirs = RatingFactory(user=other_user)

    # When I read or delete "my" rating of that movie
    read = api_as(user).get(f"/api/v1/me/ratings/{theirs.movie_id}/")
    delete = api_as(user).delete(f"/api/v1/me/ratings/{theirs.movie_id}/")

    # Then I get 404 both times and their rating stays
    assert read.status_code == 404 and delete.status_code == 404
    assert Rating.objects.filter(pk=theirs.pk).exists()


def test_feedback_add_list_and_remove(user, api_as):
    # Given a movie
    movie = MovieFactory()
    api = api_as(user)

    # When I mark it not interested, list my feedback, then take it back
    created = api.post("/api/v1/me/feedback/", {"movie": movie.pk, "kind": "not_interested"}, format="json")
    listed = api.get("/api/v1/me/feedback/?kind=not_interested")
    removed = api.delete(f"/api/v1/me/feedback/{created.json()['id']}/")

    # Then each step answers as documented and the feedback is gone at the end
    assert created.status_code == 201
    assert created.json()["kind"] == "not_interested"
    assert [item["movie"]["id"] for item in listed.json()["results"]] == [movie.pk]
    assert removed.status_code == 204
    assert not Feedback.objects.exists()


def test_more_like_this_replaces_less_like_this_as_on_the_site(user, api_as):
    movie = MovieFactory()
    FeedbackFactory(user=user, movie=movie, kind=Feedback.Kind.LESS_LIKE_THIS)

    response = api_as(user).post("/api/v1/me/feedback/", {"movie": movie.pk, "kind": "more_like_this"}, format="json")

    assert response.status_code == 201
    assert list(Feedback.objects.filter(user=user).values_list("kind", flat=True)) == ["more_like_this"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"movie": 999999, "kind": "watchlist"}, "movie"),
        ({"movie": "x", "kind": "watchlist"}, "movie"),
        ({"kind": "watchlist"}, "movie"),
        ({"movie": None, "kind": "loved"}, "kind"),
    ],
)
def test_bad_feedback_is_400_naming_the_field(user, api_as, body, field):
    if body.get("movie") is None and "movie" in body:
        body = {**body, "movie": MovieFactory().pk}

    response = api_as(user).post("/api/v1/me/feedback/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Feedback.objects.exists()


def test_someone_elses_feedback_id_is_404_and_untouched(user, other_user, api_as):
    theirs = FeedbackFactory(user=other_user)

    response = api_as(user).delete(f"/api/v1/me/feedback/{theirs.pk}/")

    assert response.status_code == 404
    assert Feedback.objects.filter(pk=theirs.pk).exists()


def test_export_holds_my_ratings_and_feedback_only(user, other_user, api_as):
    # Given my rating and feedback, and someone else's rating
    mine = RatingFactory(user=user, score=3.5)
    FeedbackFactory(user=user, kind=Feedback.Kind.WATCHLIST)
    RatingFactory(user=other_user)

    # When I export my data
    response = api_as(user).get("/api/v1/me/export/")

    # Then it holds exactly mine
    body = response.json()
    assert response.status_code == 200
    assert body["username"] == user.username
    assert [(item["movie_id"], item["score"]) for item in body["ratings"]] == [(mine.movie_id, 3.5)]
    assert [item["kind"] for item in body["feedback"]] == ["watchlist"]


def test_delete_my_data_removes_only_mine_and_keeps_the_account(user, other_user, api_as):
    # Given two ratings and a feedback of mine, and someone else's rating
    RatingFactory.create_batch(2, user=user)
    FeedbackFactory(user=user)
    theirs = RatingFactory(user=other_user)

    # When I delete my data
    response = api_as(user).delete("/api/v1/me/data/")

    # Then mine are gone with counts reported, theirs stays, and I can still sign in
    assert response.json() == {"ratings_deleted": 2, "feedback_deleted": 1}
    assert list(Rating.objects.values_list("pk", flat=True)) == [theirs.pk]
    assert api_as(user).get("/api/v1/me/").status_code == 200


# --- my Top picks controls ------------------------------------------------------------------------------------


def test_preferences_are_read_set_in_part_validated_by_field_and_reset(api_as):
    client = api_as(UserFactory())
    url = "/api/v1/me/preferences/"

    assert client.get(url).json() == {
        "top_picks_source": "balanced",
        "dial_popularity": 0.0,
        "dial_adventure": 0.0,
        "dial_recency": 0.0,
    }
    changed = client.patch(url, {"top_picks_source": "content", "dial_recency": -0.5}, format="json")
    assert changed.status_code == 200 and changed.json()["top_picks_source"] == "content"
    assert changed.json()["dial_recency"] == -0.5 and changed.json()["dial_popularity"] == 0.0

    wrong = client.patch(url, {"dial_adventure": 3, "top_picks_source": "astrology"}, format="json")
    assert wrong.status_code == 400
    body = str(wrong.json())
    assert "dial_adventure" in body and "top_picks_source" in body
    assert client.get(url).json()["dial_adventure"] == 0.0  # nothing half-written

    assert client.delete(url).json()["top_picks_source"] == "balanced"


def test_the_api_serves_the_same_switched_top_picks_as_the_site(api_as, seed):
    person = seed.people[0]
    client = api_as(person)
    client.patch("/api/v1/me/preferences/", {"dial_popularity": 1.0}, format="json")

    rows = client.get("/api/v1/me/rows/").json()

    assert rows[0]["title"] == "Top picks for you · more hidden gems"
