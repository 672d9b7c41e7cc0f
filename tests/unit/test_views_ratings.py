"""Rating and feedback controls, My ratings, export, delete, and the lists page."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client
from django.urls import reverse

from ratings.models import Feedback, Rating
from tests.factories import FeedbackFactory, MovieFactory, RatingFactory, UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def movie(db):
    return MovieFactory(title="Heat")


@pytest.fixture
def owner_client(client, user):
    client.force_login(user)
    return client


# --- rate / unrate ------------------------------------------------------------------------------------------------


def test_htmx_rating_saves_and_answers_with_the_control_and_an_event(owner_client, user, movie):
    response = owner_client.post(reverse("ratings:rate"), {"movie": movie.pk, "score": "3.5"}, **HTMX)

    assert response.status_code == 200
    assert Rating.objects.get(user=user, movie=movie).score == 3.5
    body = response.content.decode()
    assert body.lstrip().startswith('<form class="stars"') and "<html" not in body
    assert 'aria-pressed="true"' in body and "Remove" in body
    assert "ratings-changed" in response.headers["HX-Trigger"]


def test_plain_rating_post_redirects_back_with_a_message(owner_client, user, movie):
    response = owner_client.post(
        reverse("ratings:rate"), {"movie": movie.pk, "score": "5", "next": "/movies/"}, follow=True
    )

    assert response.redirect_chain[-1] == ("/movies/", 302)
    assert "You rated Heat (1995) 5 stars." in response.content.decode()
    assert Rating.objects.get(user=user, movie=movie).score == 5.0


def test_rating_redirect_never_leaves_the_site(owner_client, movie):
    response = owner_client.post(
        reverse("ratings:rate"), {"movie": movie.pk, "score": "4", "next": "https://evil.example/"}
    )
    assert response.headers["Location"] == movie.get_absolute_url()


def test_changing_a_rating_updates_it_in_place(owner_client, user, movie):
    RatingFactory(user=user, movie=movie, score=2.0)
    owner_client.post(reverse("ratings:rate"), {"movie": movie.pk, "score": "4.5"}, **HTMX)
    assert list(Rating.objects.filter(user=user).values_list("score", flat=True)) == [4.5]


@pytest.mark.parametrize("score", ["3.3", "0", "5.5", "abc", ""])
def test_bad_score_is_a_400_naming_the_field_and_stores_nothing(owner_client, user, movie, score):
    response = owner_client.post(reverse("ratings:rate"), {"movie": movie.pk, "score": score})

    assert response.status_code == 400
    assert "Score:" in response.content.decode()
    assert not Rating.objects.filter(user=user).exists()


def test_bad_score_over_htmx_redraws_the_control_with_the_error(owner_client, movie):
    response = owner_client.post(reverse("ratings:rate"), {"movie": movie.pk, "score": "3.3"}, **HTMX)

    assert response.status_code == 400
    body = response.content.decode()
    assert 'class="stars"' in body and "half steps" in body
    assert "HX-Trigger" not in response.headers


@pytest.mark.parametrize("movie_id", ["999999", "9" * 30, "-1", "heat"])
def test_unknown_movie_is_a_400_naming_the_field(owner_client, movie_id):
    response = owner_client.post(reverse("ratings:rate"), {"movie": movie_id, "score": "4"}, **HTMX)

    assert response.status_code == 400
    assert "Movie: There is no movie with that id." in response.content.decode()


def test_removing_a_rating(owner_client, user, movie):
    RatingFactory(user=user, movie=movie, score=3.0)
    response = owner_client.post(reverse("ratings:unrate"), {"movie": movie.pk}, **HTMX)

    assert response.status_code == 200
    assert not Rating.objects.filter(user=user, movie=movie).exists()
    assert "ratings-changed" in response.headers["HX-Trigger"]
    assert "Remove" not in response.content.decode()


def test_removing_touches_only_my_own_rating(owner_client, user, other_user, movie):
    RatingFactory(user=other_user, movie=movie, score=3.0)
    owner_client.post(reverse("ratings:unrate"), {"movie": movie.pk})
    assert Rating.objects.filter(user=other_user, movie=movie).exists()


@pytest.mark.parametrize("name", ["ratings:rate", "ratings:unrate", "ratings:feedback_add", "ratings:feedback_remove"])
def test_anonymous_writes_go_to_login(client, movie, name):
    response = client.post(reverse(name), {"movie": movie.pk, "score": "4", "kind": "watchlist"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("login"))
    assert not Rating.objects.exists() and not Feedback.objects.exists()


def test_a_post_without_csrf_token_is_refused(user, movie):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(reverse("ratings:rate"), {"movie": movie.pk, "score": "4"})
    assert response.status_code == 403
    assert "That form could not be checked" in response.content.decode()
    assert not Rating.objects.exists()


def test_get_is_not_allowed_on_writes(owner_client):
    assert owner_client.get(reverse("ratings:rate")).status_code == 405


# --- feedback -----------------------------------------------------------------------------------------------------


def test_not_interested_in_a_card_leaves_an_undo_that_restores_the_card(owner_client, user, movie):
    fields = {"movie": movie.pk, "kind": "not_interested", "card": "1", "reason": "Because you rated Alien 5 stars"}

    hidden = owner_client.post(reverse("ratings:feedback_add"), {**fields, "predicted": "4.20"}, **HTMX)
    assert hidden.status_code == 200
    assert Feedback.objects.filter(user=user, movie=movie, kind="not_interested").exists()
    assert "movie-card-hidden" in hidden.content.decode() and "Undo" in hidden.content.decode()
    # The undo must survive: nothing may make the rows re-render under it.
    assert "HX-Trigger" not in hidden.headers

    restored = owner_client.post(reverse("ratings:feedback_remove"), {**fields, "predicted": "4.20"}, **HTMX)
    body = restored.content.decode()
    assert not Feedback.objects.filter(user=user, movie=movie).exists()
    assert "movie-card-hidden" not in body and "Because you rated Alien 5 stars" in body and "4.2" in body


def test_watchlist_toggle_redraws_the_controls_and_tells_the_rows(owner_client, user, movie):
    added = owner_client.post(reverse("ratings:feedback_add"), {"movie": movie.pk, "kind": "watchlist"}, **HTMX)

    assert added.content.decode().lstrip().startswith('<form class="feedback')
    assert 'value="watchlist" class="chip-button active" aria-pressed="true"' in added.content.decode()
    assert "watchlist-changed" in added.headers["HX-Trigger"]
    assert Feedback.objects.filter(user=user, kind="watchlist").count() == 1

    removed = owner_client.post(reverse("ratings:feedback_remove"), {"movie": movie.pk, "kind": "watchlist"}, **HTMX)
    assert 'value="watchlist" class="chip-button" aria-pressed="false"' in removed.content.decode()
    assert not Feedback.objects.filter(user=user).exists()


@pytest.mark.parametrize("kind", ["more_like_this", "less_like_this"])
def test_more_or_less_like_this_shifts_the_rows_at_once(owner_client, movie, kind):
    response = owner_client.post(reverse("ratings:feedback_add"), {"movie": movie.pk, "kind": kind}, **HTMX)
    assert "ratings-changed" in response.headers["HX-Trigger"]


def test_more_like_this_replaces_less_like_this(owner_client, user, movie):
    FeedbackFactory(user=user, movie=movie, kind="less_like_this")
    owner_client.post(reverse("ratings:feedback_add"), {"movie": movie.pk, "kind": "more_like_this"})
    assert list(Feedback.objects.filter(user=user).values_list("kind", flat=True)) == ["more_like_this"]


def test_feedback_plain_post_redirects_with_a_message(owner_client, movie):
    response = owner_client.post(reverse("ratings:feedback_add"), {"movie": movie.pk, "kind": "watchlist"}, follow=True)
    assert "Added Heat (1995) to your watchlist." in response.content.decode()


def test_unknown_feedback_kind_is_a_400_naming_the_field(owner_client, movie):
    response = owner_client.post(reverse("ratings:feedback_add"), {"movie": movie.pk, "kind": "love_it"})
    assert response.status_code == 400
    assert "Kind:" in response.content.decode()


# --- My ratings, export, delete ---------------------------------------------------------------------------------


def test_my_ratings_lists_only_my_ratings(owner_client, user, other_user):
    RatingFactory(user=user, movie=MovieFactory(title="Mine"), score=4.0)
    RatingFactory(user=other_user, movie=MovieFactory(title="Theirs"), score=2.0)

    body = owner_client.get(reverse("ratings:my_ratings")).content.decode()

    assert "Mine" in body and "Theirs" not in body
    assert "<html" in body


def test_my_ratings_sorts_and_answers_htmx_with_the_list_only(owner_client, user):
    RatingFactory(user=user, movie=MovieFactory(title="Zodiac"), score=5.0)
    RatingFactory(user=user, movie=MovieFactory(title="Alien"), score=1.0)

    response = owner_client.get(reverse("ratings:my_ratings"), {"sort": "title"}, **HTMX)

    body = response.content.decode()
    assert "<html" not in body and body.index("Alien") < body.index("Zodiac")
    assert "HX-Request" in response.headers["Vary"]
    best = owner_client.get(reverse("ratings:my_ratings"), {"sort": "worst"}).content.decode()
    assert best.index("Alien") < best.index("Zodiac")


@pytest.mark.parametrize(
    ("query", "field"), [({"sort": "sideways"}, "Sort:"), ({"page": "0"}, "Page:"), ({"page": "x"}, "Page:")]
)
def test_my_ratings_bad_input_is_a_400_naming_the_field(owner_client, query, field):
    response = owner_client.get(reverse("ratings:my_ratings"), query)
    assert response.status_code == 400
    assert field in response.content.decode()


def test_my_ratings_page_past_the_end_is_a_400(owner_client, user):
    RatingFactory(user=user)
    response = owner_client.get(reverse("ratings:my_ratings"), {"page": "3"})
    assert response.status_code == 400
    assert "Page: Page 3 does not exist; the last page is 1." in response.content.decode()


@pytest.mark.parametrize(
    "name", ["ratings:my_ratings", "ratings:lists", "ratings:delete_data", "ratings:welcome", "ratings:welcome_rate"]
)
def test_private_pages_send_anonymous_people_to_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response.headers["Location"].startswith(reverse("login"))


def test_export_csv_holds_my_ratings_and_feedback_only(owner_client, user, other_user, movie):
    RatingFactory(user=user, movie=movie, score=4.5)
    FeedbackFactory(user=user, movie=MovieFactory(title="Later"), kind="watchlist")
    RatingFactory(user=other_user, movie=MovieFactory(title="Not mine"))

    response = owner_client.get(reverse("ratings:export", args=["csv"]))

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    movies = [row for row in rows if row["type"] in ("rating", "feedback")]  # the account's own rows come first
    assert [(row["type"], row["title"], row["score"], row["kind"]) for row in movies] == [
        ("rating", "Heat", "4.5", ""),
        ("feedback", "Later", "", "watchlist"),
    ]


def test_export_json(owner_client, user, movie):
    RatingFactory(user=user, movie=movie, score=3.0)
    data = json.loads(owner_client.get(reverse("ratings:export", args=["json"])).content)
    assert data["username"] == user.username
    assert [(row["title"], row["score"]) for row in data["ratings"]] == [("Heat", 3.0)]
    assert data["feedback"] == []


def test_export_of_an_unknown_format_is_404(owner_client):
    assert owner_client.get("/me/ratings/export.xml").status_code == 404


def test_delete_asks_first_and_deletes_only_when_confirmed(owner_client, user, other_user, movie):
    RatingFactory(user=user, movie=movie)
    FeedbackFactory(user=user, movie=movie)
    RatingFactory(user=other_user, movie=movie)

    page = owner_client.get(reverse("ratings:delete_data"))
    assert page.status_code == 200 and "1 rating" in page.content.decode()

    unconfirmed = owner_client.post(reverse("ratings:delete_data"), {})
    assert unconfirmed.status_code == 400
    assert "Tick the box to confirm" in unconfirmed.content.decode()
    assert Rating.objects.filter(user=user).exists()

    done = owner_client.post(reverse("ratings:delete_data"), {"confirm": "on"}, follow=True)
    assert "Deleted 1 ratings and 1 feedback entries." in done.content.decode()
    assert not Rating.objects.filter(user=user).exists() and not Feedback.objects.filter(user=user).exists()
    assert Rating.objects.filter(user=other_user).exists()


def test_lists_page_shows_my_watchlist_and_hidden_movies(owner_client, user, other_user):
    FeedbackFactory(user=user, movie=MovieFactory(title="Watch me"), kind="watchlist")
    FeedbackFactory(user=user, movie=MovieFactory(title="Hide me"), kind="not_interested")
    FeedbackFactory(user=other_user, movie=MovieFactory(title="Someone else's"), kind="watchlist")

    body = owner_client.get(reverse("ratings:lists")).content.decode()

    assert "Watch me" in body and "Hide me" in body and "Someone else" not in body
    assert "is hidden and will not be suggested again" in body


def test_another_persons_rating_is_never_shown_as_mine(client, other_user, movie):
    RatingFactory(user=other_user, movie=movie, score=5.0)
    stranger = UserFactory()
    client.force_login(stranger)
    body = client.get(movie.get_absolute_url()).content.decode()
    assert 'aria-pressed="true"' not in body.split('class="stars"')[1].split("</form>")[0]


# --- not now, and don't recommend from this -------------------------------------------------------------------


def test_not_now_hides_a_movie_for_30_days_everywhere_and_shows_on_my_lists(owner_client, user, movie):
    from datetime import timedelta

    from django.utils import timezone

    response = owner_client.post(
        reverse("ratings:feedback_add"), {"movie": movie.pk, "kind": "snoozed", "card": "1"}, **HTMX
    )
    assert "is hidden for 30 days" in response.content.decode()
    assert "ratings-changed" not in response.headers.get("HX-Trigger", "")  # the undo stays under the pointer

    assert movie.title not in owner_client.get(reverse("catalog:browse")).content.decode()
    lists = owner_client.get(reverse("ratings:lists")).content.decode()
    assert "Not now" in lists and f'data-movie="{movie.pk}"' in lists

    # Thirty-one days later the movie may return
    Feedback.objects.filter(user=user, kind="snoozed").update(created=timezone.now() - timedelta(days=31))
    assert movie.title in owner_client.get(reverse("catalog:browse")).content.decode()
    assert f'data-movie="{movie.pk}"' not in owner_client.get(reverse("ratings:lists")).content.decode()


def test_dont_recommend_from_this_keeps_the_rating_and_can_be_undone_from_my_ratings(owner_client, user, movie):
    RatingFactory(user=user, movie=movie, score=5.0)

    marked = owner_client.post(reverse("ratings:feedback_add"), {"movie": movie.pk, "kind": "not_a_seed"}, **HTMX)
    ratings_page = owner_client.get(reverse("ratings:my_ratings")).content.decode()
    lists = owner_client.get(reverse("ratings:lists")).content.decode()

    assert "ratings-changed" in marked.headers["HX-Trigger"]  # the rows re-read the person's taste
    assert Rating.objects.get(user=user, movie=movie).score == 5.0
    assert "Recommend from this again" in ratings_page
    assert "Not used for recommendations" in lists and movie.title in lists

    owner_client.post(reverse("ratings:feedback_remove"), {"movie": movie.pk, "kind": "not_a_seed"})
    assert "Don't recommend from this" in owner_client.get(reverse("ratings:my_ratings")).content.decode()
    assert not Feedback.objects.filter(user=user, kind="not_a_seed").exists()


def test_each_star_names_movies_i_gave_that_score_so_my_ratings_stay_consistent(owner_client, user, movie):
    RatingFactory(user=user, movie=MovieFactory(title="Alien"), score=4.0)
    RatingFactory(user=user, movie=MovieFactory(title="Brazil"), score=4.0)
    RatingFactory(user=user, movie=MovieFactory(title="Cats"), score=1.0)

    body = owner_client.get(movie.get_absolute_url()).content.decode()
    stars = body.split('class="stars-buttons"')[1].split("</span>")[0]

    assert 'title="4 stars, like your ' in stars and "Alien" in stars and "Brazil" in stars
    assert 'title="1 star, like your Cats"' in stars
    assert 'title="2.5 stars"' in stars  # no example for a score never given


def test_the_star_hints_are_the_viewers_own_never_someone_elses(client, other_user, movie):
    RatingFactory(user=other_user, movie=MovieFactory(title="Secret Favourite"), score=5.0)
    client.force_login(UserFactory())

    assert "Secret Favourite" not in client.get(movie.get_absolute_url()).content.decode()
