"""The home page, its lazily loaded rows, and onboarding."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ratings.models import Profile, Rating
from recommender import artifacts, selectors, services
from recommender.algorithms.groups import SEEDED, TasteGroup
from tests.factories import FeedbackFactory, GenreFactory, UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


def card_ids(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'class="movie-card[^"]*" id="card-\d+" data-movie="(\d+)"', html)]


def row_urls(html: str) -> list[str]:
    return re.findall(r'hx-get="(/recommendations/rows/[\w-]+/)" hx-trigger="revealed, intersect once"', html)


@pytest.fixture
def person(seed, client):
    person = seed.people[0]
    client.force_login(person)
    return person


# --- home ----------------------------------------------------------------------------------------------------------


def test_anonymous_home_has_rows_and_an_invitation(client, seed):
    body = client.get(reverse("home")).content.decode()

    assert "Create a free account" in body
    assert "Popular on MovieRec" in body and "Trending now" in body and "Popular in " in body
    ids = card_ids(body)
    assert ids and len(ids) == len(set(ids)), "no movie twice on a page"
    assert "Log in to rate" in body and 'class="stars"' not in body


def test_a_visitors_cards_show_everyones_average_not_a_prediction(client, seed):
    # Given a visitor (predicted for whom?), then each card's stars are the movie's mean rating, with its count
    body = client.get(reverse("home")).content.decode()

    assert "predicted" not in body and 'class="average"' in body
    averages = re.findall(r"★</span> ([\d.]+) <span class=\"muted\">average of (\d+) ratings?</span>", body)
    assert len(averages) == len(card_ids(body))
    first = card_ids(body)[0]
    scores = list(Rating.objects.filter(movie_id=first).values_list("score", flat=True))
    assert float(averages[0][0]) == pytest.approx(sum(scores) / len(scores), abs=0.05)
    assert int(averages[0][1]) == len(scores)


def test_signed_in_home_lists_lazy_rows_in_order(client, person):
    body = client.get(reverse("home")).content.decode()

    urls = row_urls(body)
    titles = [title for _, title in services.row_specs(user=person)]
    assert urls[0] == "/recommendations/rows/top-picks/"
    assert len(urls) == len(titles) and all(title in body for title in titles)
    assert any(url.startswith("/recommendations/rows/because-") for url in urls)
    assert "hidden-gems" in body and "new-in-catalog" in body
    assert 'hx-trigger="ratings-changed from:body"' in body


def test_a_watchlist_change_reloads_only_the_watchlist_row_at_the_end(client, person):
    # Given someone with nothing saved yet: the rows reload after ratings only, and an empty watchlist slot
    # at the end listens for watchlist changes
    body = client.get(reverse("home")).content.decode()
    rows_tag = re.search(r'<div id="rows"[^>]*>', body).group(0)
    assert "watchlist-changed" not in rows_tag
    slot = re.search(r'<div id="row-watchlist"[^>]*></div>', body)
    assert slot and 'hx-trigger="watchlist-changed from:body"' in slot.group(0)
    assert body.index('id="row-watchlist"') > body.index('id="row-new-in-catalog"')
    empty = client.get("/recommendations/rows/watchlist/", **HTMX)
    assert empty.status_code == 200 and 'id="row-watchlist"' in empty.content.decode()
    assert "movie-card" not in empty.content.decode()
    assert client.get("/recommendations/rows/watchlist/").status_code == 404  # no such page yet

    # When they save a movie, then the slot's request brings the row, which keeps listening
    movie = person.ratings.first().movie
    person.ratings.filter(movie=movie).delete()
    FeedbackFactory(user=person, movie=movie, kind="watchlist")
    row = client.get("/recommendations/rows/watchlist/", **HTMX).content.decode()
    assert card_ids(row) == [movie.pk]
    assert re.search(r'<section class="row" id="row-watchlist"[^>]*hx-trigger="watchlist-changed from:body"', row)


def test_rows_on_one_page_never_repeat_a_movie_and_every_card_says_why(client, person):
    seen: list[int] = []
    for url in row_urls(client.get(reverse("home")).content.decode()):
        body = client.get(url, **HTMX).content.decode()
        ids = card_ids(body)
        seen += ids
        assert body.count('<p class="reason">') == len(ids), url
    assert seen and len(seen) == len(set(seen))
    rated = set(person.ratings.values_list("movie_id", flat=True))
    assert not rated & set(seen), "nothing the person already rated is recommended"


def test_row_partial_and_row_page(client, person):
    partial = client.get("/recommendations/rows/top-picks/", **HTMX)
    page = client.get("/recommendations/rows/top-picks/")

    assert "<html" not in partial.content.decode() and partial.content.decode().lstrip().startswith("<section")
    assert "HX-Request" in partial.headers["Vary"]
    assert "<html" in page.content.decode() and "<h1>Top picks for you</h1>" in page.content.decode()
    assert card_ids(page.content.decode()) == card_ids(partial.content.decode())


def test_row_marked_updated_after_a_change(client, person):
    body = client.get("/recommendations/rows/top-picks/?updated=1", **HTMX).content.decode()
    assert '<span class="row-note">Updated</span>' in body
    rows = client.get(reverse("recommender:rows") + "?updated=1", **HTMX).content.decode()
    assert "Your rows were updated" in rows and "?updated=1" in rows


def test_rows_list_without_htmx_is_the_home_page(client, person):
    response = client.get(reverse("recommender:rows"))
    assert response.status_code == 302 and response.headers["Location"] == reverse("home")


def test_unknown_row_is_404(client, person):
    assert client.get("/recommendations/rows/no-such-row/", **HTMX).status_code == 404


@pytest.mark.parametrize("url", ["/recommendations/rows/", "/recommendations/rows/top-picks/"])
def test_rows_are_private(client, seed, url):
    response = client.get(url, **HTMX)
    assert response.status_code == 302 and response.headers["Location"].startswith(reverse("login"))


def test_a_rating_shapes_the_rows_at_once(client, person, seed):
    before = card_ids(client.get("/recommendations/rows/top-picks/", **HTMX).content.decode())
    client.post(reverse("ratings:rate"), {"movie": before[0], "score": "5"}, **HTMX)
    after = card_ids(client.get("/recommendations/rows/top-picks/", **HTMX).content.decode())
    assert before[0] not in after


def test_not_interested_movie_never_comes_back_until_undone(client, person):
    top = card_ids(client.get("/recommendations/rows/top-picks/", **HTMX).content.decode())
    FeedbackFactory(user=person, movie_id=top[0], kind="not_interested")

    everywhere = []
    for url in row_urls(client.get(reverse("home")).content.decode()):
        everywhere += card_ids(client.get(url, **HTMX).content.decode())
    assert top[0] not in everywhere

    client.post(reverse("ratings:feedback_remove"), {"movie": top[0], "kind": "not_interested"})
    assert top[0] in card_ids(client.get("/recommendations/rows/top-picks/", **HTMX).content.decode())


def test_watchlist_row_appears_once_something_is_on_it(client, person, seed):
    unrated = next(movie for movie in seed.movies if not person.ratings.filter(movie=movie).exists())
    client.post(reverse("ratings:feedback_add"), {"movie": unrated.pk, "kind": "watchlist"}, **HTMX)
    assert "/recommendations/rows/watchlist/" in client.get(reverse("home")).content.decode()
    assert unrated.pk in card_ids(client.get("/recommendations/rows/watchlist/", **HTMX).content.decode())


def test_a_row_costs_a_constant_number_of_queries(client, person, monkeypatch):
    # Every CHECK_INTERVAL_SECONDS each family's active version is looked up again (one query per family): on a
    # slow machine the loop below outlasted the 2 s and one row paid those 6 queries. That cost is the interval's,
    # not a row's, so the interval is kept out of this count.
    monkeypatch.setattr(artifacts, "CHECK_INTERVAL_SECONDS", 3600.0)
    # The first request warms the per-process catalog snapshot and the person's Taste; later rows pay only their
    # own reads.
    client.get("/recommendations/rows/top-picks/", **HTMX)
    counts, again = {}, {}
    for key, _ in services.row_specs(user=person):
        selectors.forget_movies()  # every row fetches its movies, however many cards it has
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/recommendations/rows/{key}/", **HTMX)
        if card_ids(response.content.decode()):
            counts[key] = len(queries)
    assert len(counts) >= 3 and len(set(counts.values())) == 1, counts
    # The session, the person, the catalog's and the person's fingerprints (one query), the movies and their
    # genres: what the person said about the movies and their star hints come with the row's state. Without
    # Redis a row's impressions are written to the database: one INSERT in its savepoint.
    assert max(counts.values()) == 5 + (0 if settings.REDIS_URL else 3), counts
    # Drawn again, the rows' movies come from the process's cache: the movies and their genres are two reads less.
    for key in counts:
        client.get(f"/recommendations/rows/{key}/", **HTMX)
    for key in counts:
        with CaptureQueriesContext(connection) as queries:
            client.get(f"/recommendations/rows/{key}/", **HTMX)
        again[key] = len(queries)
    assert again == {key: count - 2 for key, count in counts.items()}, (again, counts)


def test_home_offers_onboarding_until_it_is_done(client, person):
    assert "Pick your favourite genres" in client.get(reverse("home")).content.decode()
    client.post(reverse("ratings:welcome_done"))
    assert "Pick your favourite genres" not in client.get(reverse("home")).content.decode()


# --- onboarding ------------------------------------------------------------------------------------------------


def test_signup_leads_to_onboarding(client, db):
    response = client.post(
        reverse("signup"),
        {
            "username": "newbie",
            "email": "n@example.org",
            "password1": "a-good-passphrase-42",
            "password2": "a-good-passphrase-42",
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == reverse("ratings:welcome")


def test_onboarding_stores_favourite_genres_then_offers_groups_to_rate(client, seed):
    newbie = UserFactory()
    client.force_login(newbie)

    page = client.get(reverse("ratings:welcome"))
    assert page.status_code == 200 and "Sci-Fi" in page.content.decode()
    response = client.post(reverse("ratings:welcome"), {"genres": [seed.genres["Sci-Fi"].slug]})
    assert response.headers["Location"] == reverse("ratings:welcome_rate")
    assert list(Profile.objects.get(user=newbie).favourite_genres.values_list("name", flat=True)) == ["Sci-Fi"]

    body = client.get(reverse("ratings:welcome_rate")).content.decode()
    assert "Most rated overall" in body and "Popular in Sci-Fi" in body
    assert body.index("Popular in Sci-Fi") < body.index("Popular in Drama") if "Popular in Drama" in body else True
    ids = card_ids(body)
    assert len(ids) >= 10 and len(ids) == len(set(ids))
    assert "0 of 10" in body


def test_onboarding_bad_genre_is_a_400_naming_the_field(client, seed):
    client.force_login(UserFactory())
    response = client.post(reverse("ratings:welcome"), {"genres": ["no-such-genre", "9" * 30]})
    assert response.status_code == 400 and "field-error" in response.content.decode()


def test_onboarding_progress_counts_ratings(client, seed):
    newbie = UserFactory()
    client.force_login(newbie)
    for movie in seed.movies[:10]:
        client.post(reverse("ratings:rate"), {"movie": movie.pk, "score": "4"}, **HTMX)

    body = client.get(reverse("ratings:welcome_progress"), **HTMX).content.decode()
    assert "<html" not in body and "10 rated." in body and 'aria-valuenow="10"' in body
    assert client.get(reverse("ratings:welcome_progress")).status_code == 302


def test_finishing_onboarding_marks_the_profile_and_recommendations_are_ready(client, seed):
    newbie = UserFactory()
    client.force_login(newbie)
    GenreFactory(name="Documentary")
    for movie in seed.movies[:10]:
        client.post(reverse("ratings:rate"), {"movie": movie.pk, "score": "4.5"})

    response = client.post(reverse("ratings:welcome_done"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("home")
    assert Profile.objects.get(user=newbie).onboarded_at is not None
    assert "/recommendations/rows/because-" in response.content.decode(), "fold-in: personal rows at once"
    top = client.get("/recommendations/rows/top-picks/", **HTMX).content.decode()
    assert card_ids(top) and not set(card_ids(top)) & {movie.pk for movie in seed.movies[:10]}


def test_the_favicon_is_the_logo(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response.headers["Location"].endswith("icons/logo.svg")
    assert finders.find("icons/logo.svg")


def test_a_because_row_offers_dont_recommend_from_this_for_its_seed(client, person):
    url = next(u for u in row_urls(client.get(reverse("home")).content.decode()) if "/because-" in u)
    seed_id = int(url.rstrip("/").rsplit("-", 1)[1])
    body = client.get(url, **HTMX).content.decode()

    form = re.search(r'<form class="row-action".*?</form>', body, re.S).group(0)
    assert f'name="movie" value="{seed_id}"' in form and 'name="kind" value="not_a_seed"' in form

    # When the person uses it, the row for that seed is gone and the rating stays
    client.post(reverse("ratings:feedback_add"), {"movie": seed_id, "kind": "not_a_seed"}, **HTMX)
    assert url not in row_urls(client.get(reverse("home")).content.decode())
    assert person.ratings.filter(movie_id=seed_id).exists()


# --- the recommender switcher and taste dials -------------------------------------------------------------------


def test_the_home_page_offers_the_switcher_with_explanations_and_the_three_dials(client, person):
    body = client.get(reverse("home")).content.decode()

    assert "Tune your Top picks" in body
    for label in ("Balanced", "People like me", "Like what I loved", "What's next for me", "By content"):
        assert label in body or label.replace("'", "&#x27;") in body
    assert "Our learned blend of every model" in body
    assert body.count('type="range"') == 3


def test_changing_a_dial_saves_it_rerenders_the_rows_and_reset_is_one_click(client, person):
    fields = {"top_picks_source": "balanced", "dial_popularity": "1", "dial_adventure": "0", "dial_recency": "0"}

    response = client.post(reverse("ratings:preferences"), fields, **HTMX)

    assert response.status_code == 200 and "ratings-changed" in response.headers["HX-Trigger"]
    assert 'class="chip chip-ok">custom<' in response.content.decode()
    assert "Top picks for you · more hidden gems" in client.get(reverse("home")).content.decode()

    client.post(reverse("ratings:preferences"), {"reset": "1"}, **HTMX)
    home = client.get(reverse("home")).content.decode()
    assert "Top picks for you · " not in home and ">custom<" not in home


def test_a_bad_dial_is_a_400_naming_it_and_changes_nothing(client, person):
    fields = {"top_picks_source": "balanced", "dial_popularity": "9", "dial_adventure": "0", "dial_recency": "0"}

    response = client.post(reverse("ratings:preferences"), fields, **HTMX)

    assert response.status_code == 400 and "Popular or hidden gems: Ensure" in response.content.decode()
    assert "Top picks for you · " not in client.get(reverse("home")).content.decode()


def test_the_preferences_endpoint_needs_a_signed_in_person_and_a_post(client, seed):
    assert client.post(reverse("ratings:preferences"), {"reset": "1"}).status_code == 302  # to the login page
    client.force_login(seed.people[1])
    assert client.get(reverse("ratings:preferences")).status_code == 405


# --- onboarding by taste groups -------------------------------------------------------------------------------


@pytest.fixture
def groups(monkeypatch, seed):
    made = [
        TasteGroup(0, "Sci-Fi & Action", tuple(m.pk for m in seed.movies[:4])),
        TasteGroup(1, "Romance", tuple(m.pk for m in seed.movies[4:8])),
        TasteGroup(2, "Animation", tuple(m.pk for m in seed.movies[8:12])),
    ]
    monkeypatch.setattr(services, "taste_groups", lambda: made)
    return made


def test_picking_groups_gives_a_newcomer_personal_rows_at_once(client, groups, django_user_model):
    from ratings.models import Feedback

    newcomer = django_user_model.objects.create_user("newcomer", password="a-good-passphrase-42")
    client.force_login(newcomer)
    page = client.get(reverse("recommender:taste_groups"), **HTMX).content.decode()
    assert "Sci-Fi &amp; Action" in page and page.count('name="group"') == 3

    response = client.post(reverse("recommender:taste_groups"), {"group": ["0", "2"]})

    assert response.status_code == 302 and response["Location"] == reverse("home")
    seeded = set(Feedback.objects.filter(user=newcomer, kind="more_like_this").values_list("movie_id", flat=True))
    assert seeded == {*groups[0].members[:SEEDED], *groups[2].members[:SEEDED]}
    # Every model folds those movies in as liked: the newcomer's rows are personal without a single rating
    assert set(services.taste_for(newcomer).history.item_ids.tolist()) == seeded
    assert Profile.objects.get(user=newcomer).onboarded_at is not None


@pytest.mark.parametrize("picked", [["0"], ["0", "1", "2", "7"], ["x", "y"]])
def test_picking_too_few_too_many_or_unknown_groups_is_a_400_naming_the_field(client, person, groups, picked):
    response = client.post(reverse("recommender:taste_groups"), {"group": picked})

    assert response.status_code == 400 and "group: pick 2 or 3" in response.content.decode()


def test_without_a_collaborative_model_there_are_no_groups_to_show(client, person):
    assert client.get(reverse("recommender:taste_groups"), **HTMX).content.decode().strip() == ""
