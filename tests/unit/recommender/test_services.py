"""Serving: rows, top picks, similar movies and explanations from models fitted on a small planted world.

The world has two taste groups: action fans rate Action movies high and Drama low,
drama fans the opposite. Models are fitted on it for real (``active_models`` is
replaced only to hand those fitted models to the services).
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Movie
from ratings.choices import SNOOZE
from ratings.models import Feedback, Rating
from ratings.selectors import movie_states, rating_examples
from ratings.services import feedback_add, rating_upsert
from recommender import services
from recommender.algorithms import build
from recommender.data import history_for_user, interactions_from_db
from tests.factories import FeedbackFactory, ProfileFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_caches():
    services.clear_caches()
    yield
    services.clear_caches()


def ids(cards) -> list[int]:
    return [card.movie.pk for card in cards]


def page_ids(rows) -> list[int]:
    return [card.movie.pk for row in rows for card in row.cards]


# -- the page as a whole ---------------------------------------------------------------------------------------------


def test_no_movie_appears_twice_on_the_page_and_every_card_says_why(serving, alice):
    FeedbackFactory(user=alice, movie=serving.drama_movies[5], kind=Feedback.Kind.WATCHLIST)

    rows = services.recommend_rows(user=alice, limit=6)

    shown = page_ids(rows)
    assert len(shown) == len(set(shown))
    assert [row.key for row in rows][:2] == ["top-picks", f"because-{serving.action_movies[1].pk}"]
    assert all(card.reason for row in rows for card in row.cards)
    assert all(row.cards for row in rows)


def test_rated_and_not_interested_movies_never_appear(serving, alice):
    rejected = serving.action_movies[6]
    FeedbackFactory(user=alice, movie=rejected, kind=Feedback.Kind.NOT_INTERESTED)
    hidden = {rejected.pk, *alice.ratings.values_list("movie_id", flat=True)}

    rows = services.recommend_rows(user=alice, limit=30)
    top = services.recommend_top(user=alice, limit=30)
    similar = [
        card
        for kind in ("collaborative", "content")
        for card in services.similar_movies(movie=serving.action_movies[1], kind=kind, limit=30, user=alice)
    ]

    assert hidden.isdisjoint(page_ids(rows))
    assert hidden.isdisjoint(ids(top))
    assert hidden.isdisjoint(ids(similar))


def test_a_lazily_loaded_row_matches_the_same_row_of_the_whole_page(serving, alice):
    keys = [key for key, _ in services.row_specs(user=alice)]
    whole = {row.key: ids(row.cards) for row in services.recommend_rows(user=alice, limit=5)}
    services.clear_caches()

    one_by_one = {key: ids(services.recommend_row(user=alice, key=key, limit=5).cards) for key in reversed(keys)}

    assert {key: cards for key, cards in one_by_one.items() if cards} == whole


def test_an_unknown_row_key_is_a_404(serving, alice):
    with pytest.raises(Http404):
        services.recommend_row(user=alice, key="because-999999")
    with pytest.raises(KeyError):
        services.recommend_row(user=alice, key="popular")  # an anonymous row, not on a signed-in page


# -- fold-in: the next call sees what the person just did ------------------------------------------------------------


def test_a_new_rating_changes_top_picks_in_the_very_next_call(serving, alice):
    before = services.recommend_top(user=alice, limit=8)
    first = before[0].movie

    rating_upsert(user=alice, movie=first, score=5.0)
    for movie in serving.drama_movies[2:6]:
        rating_upsert(user=alice, movie=movie, score=5.0)
    after = services.recommend_top(user=alice, limit=8)

    assert first.pk not in ids(after)
    drama = serving.drama_count
    assert drama(after) > drama(before)


def test_more_like_this_pulls_similar_movies_up_and_less_like_this_pushes_them_down(serving, alice):
    before = services.recommend_top(user=alice, limit=6)
    drama = serving.drama_count
    assert drama(before) <= 1

    feedback_add(user=alice, movie=serving.drama_movies[3], kind=Feedback.Kind.MORE_LIKE_THIS)
    more = services.recommend_top(user=alice, limit=6)
    feedback_add(user=alice, movie=serving.drama_movies[3], kind=Feedback.Kind.LESS_LIKE_THIS)
    less = services.recommend_top(user=alice, limit=6)

    assert drama(more) > drama(before)
    assert drama(less) < drama(more)
    assert serving.drama_movies[3].pk not in ids(more) + ids(less)


# -- reasons --------------------------------------------------------------------------------------------------------


def test_because_rows_name_the_seed_and_the_rating(serving, alice):
    seed = serving.action_movies[1]

    row = services.recommend_row(user=alice, key=f"because-{seed.pk}")

    assert row.title == f"Because you rated {seed.title}"
    assert row.cards
    assert {card.reason for card in row.cards} == {f"Because you rated {seed.title} 5 stars"}


def test_popular_in_rows_name_the_genre_the_person_likes_most(serving, alice):
    row = services.recommend_row(user=alice, key="popular-in-action")

    assert row.title == "Popular in Action"
    assert row.cards
    assert {card.reason for card in row.cards} == {"Popular in Action"}
    assert all(serving.action in card.movie.genres.all() for card in row.cards)


def test_explain_names_a_liked_movie_and_nothing_for_rated_movies(serving, alice):
    unrated_action = serving.action_movies[8]

    reason = services.explain(user=alice, movie=unrated_action)

    assert reason is not None and reason.startswith("Because you rated Action ")
    assert services.explain(user=alice, movie=serving.action_movies[1]) is None
    assert services.explain(user=None, movie=unrated_action) is None


def test_watchlist_row_lists_saved_movies_only_there(serving, alice):
    saved = serving.drama_movies[7]
    FeedbackFactory(user=alice, movie=saved, kind=Feedback.Kind.WATCHLIST)

    rows = {row.key: row for row in services.recommend_rows(user=alice, limit=30)}

    assert ids(rows["watchlist"].cards) == [saved.pk]
    assert rows["watchlist"].cards[0].reason == "On your watchlist"
    assert page_ids(rows.values()).count(saved.pk) == 1


def test_a_row_brings_what_the_person_said_about_its_movies_and_their_star_hints_as_the_database_has_them(
    serving, alice
):
    # given movies on alice's watchlist, one also marked more like this, one snoozed long ago, one just now
    saved, liked, old, new = (serving.drama_movies[i] for i in (7, 8, 9, 10))
    FeedbackFactory(user=alice, movie=saved, kind=Feedback.Kind.WATCHLIST)
    FeedbackFactory(user=alice, movie=liked, kind=Feedback.Kind.WATCHLIST)
    FeedbackFactory(user=alice, movie=liked, kind=Feedback.Kind.MORE_LIKE_THIS)
    FeedbackFactory(user=alice, movie=old, kind=Feedback.Kind.WATCHLIST)
    FeedbackFactory(user=alice, movie=old, kind=Feedback.Kind.SNOOZED)
    Feedback.objects.filter(movie=old, kind=Feedback.Kind.SNOOZED).update(
        created=timezone.now() - SNOOZE - timedelta(days=1)
    )
    FeedbackFactory(user=alice, movie=new, kind=Feedback.Kind.WATCHLIST)
    FeedbackFactory(user=alice, movie=new, kind=Feedback.Kind.SNOOZED)

    # when rows are drawn
    watchlist = services.recommend_row(user=alice, key="watchlist", limit=10)
    top = services.recommend_row(user=alice, key="top-picks", limit=10)

    # then each says what the database says about its movies, with no query to read it, and the star hints too
    for row in (watchlist, top):
        movies = ids(row.cards)
        with CaptureQueriesContext(connection) as queries:
            said = dict(row.said)
        assert len(queries) == 0
        assert said == movie_states(user=alice, movie_ids=movies)
    assert {saved.pk, liked.pk, old.pk} <= set(watchlist.said)
    assert watchlist.said[liked.pk].kinds == {Feedback.Kind.WATCHLIST, Feedback.Kind.MORE_LIKE_THIS}
    assert watchlist.said[old.pk].kinds == {Feedback.Kind.WATCHLIST}  # that snooze is over
    assert dict(top.star_hints) == rating_examples(user=alice) != {}
    # and a visitor's rows know nothing of the kind
    assert services.recommend_row(user=None, key="popular", limit=3).said is None


# -- cold start and fallbacks ----------------------------------------------------------------------------------------


def test_a_person_without_ratings_gets_popular_rows_for_their_onboarding_genres(serving):
    newcomer = UserFactory(username="newcomer")
    profile = ProfileFactory(user=newcomer)
    profile.favourite_genres.set([serving.drama, serving.comedy])

    rows = services.recommend_rows(user=newcomer, limit=4)

    keys = [row.key for row in rows]
    assert keys[0] == "top-picks"
    assert {"popular-in-drama", "popular-in-comedy"} <= set(keys)
    assert all(card.reason for row in rows for card in row.cards)


def test_without_any_active_model_everything_falls_back_to_popularity_from_the_database(no_models, alice):
    most_rated = no_models.action_movies[0]

    top = services.recommend_top(user=alice, limit=5)
    rows = services.recommend_rows(user=alice, limit=5)

    assert top[0].movie == most_rated
    assert all(card.predicted_rating is None for card in top)
    assert rows[0].key == "top-picks"
    assert len(page_ids(rows)) == len(set(page_ids(rows)))


def test_anonymous_rows_are_popular_trending_and_the_biggest_genres(serving):
    rows = services.anonymous_rows(limit=5)

    keys = [row.key for row in rows]
    assert keys[:2] == ["popular", "trending"]
    assert {"genre-action", "genre-drama"} <= set(keys)
    assert rows[0].cards[0].movie == serving.action_movies[0]
    assert rows[0].cards[0].reason == "Rated by 20 people"
    assert len(page_ids(rows)) == len(set(page_ids(rows)))


def test_fans_like_you_and_up_next_rows_come_from_the_ncf_and_sequence_families(serving, alice):
    data = interactions_from_db()
    serving.models["ncf"] = {"ncf_implicit": build("ncf_implicit", epochs=2, factors=8, fold_in_steps=5).fit(data)}
    serving.models["sequence"] = {"transitions": build("transitions").fit(data)}

    rows = {row.key: row for row in services.recommend_rows(user=alice, limit=3)}

    assert {card.reason for card in rows["fans-like-you"].cards} == {"Fans like you also loved it"}
    # Alice's latest rating is "Action 1".
    assert {card.reason for card in rows["up-next"].cards} == {"Up next after Action 1"}
    assert rows["fans-like-you"].title == "Fans like you also loved"
    assert rows["up-next"].title == "Up next for you"


# -- similar movies -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["collaborative", "content"])
def test_similar_movies_of_an_action_movie_are_action_movies(serving, kind):
    movie = serving.action_movies[2]

    cards = services.similar_movies(movie=movie, kind=kind, limit=4)

    assert cards and movie.pk not in ids(cards)
    assert {serving.genre_of(card.movie) for card in cards} == {"action"}
    assert all(movie.title in card.reason for card in cards)


def test_similar_movies_rejects_an_unknown_kind(serving):
    with pytest.raises(ValueError, match="kind"):
        services.similar_movies(movie=serving.action_movies[2], kind="telepathy")


# -- cost -------------------------------------------------------------------------------------------------------------


def test_a_row_costs_the_same_few_queries_whatever_its_length(serving, alice, django_assert_max_num_queries):
    services.recommend_row(user=alice, key="top-picks", limit=1)  # warm the shared catalog snapshot

    counts = []
    for limit in (2, 8):
        services.clear_caches()
        services.recommend_row(user=alice, key="top-picks", limit=1)
        with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(8):
            row = services.recommend_row(user=alice, key=f"because-{serving.action_movies[1].pk}", limit=limit)
        counts.append(len(queries))
        assert len(row.cards) > 1

    assert counts[0] == counts[1]


def test_the_rows_of_a_page_read_the_person_once_and_a_change_is_seen_by_the_next_row(serving, alice):
    services.recommend_row(user=alice, key="top-picks", limit=6)
    with CaptureQueriesContext(connection) as queries:
        services.recommend_row(user=alice, key=f"because-{serving.action_movies[1].pk}", limit=6)
    assert not any('"ratings_rating"."score"' in query["sql"] for query in queries.captured_queries)

    newly = next(card.movie for card in services.recommend_top(user=alice, limit=6))
    rating_upsert(user=alice, movie=newly, score=1.0)
    assert newly.pk not in ids(services.recommend_row(user=alice, key="top-picks", limit=6).cards)


def test_card_movies_are_fetched_once_and_an_edit_or_deletion_shows_at_once(
    serving, alice, django_capture_on_commit_callbacks
):
    first = services.recommend_top(user=alice, limit=6)
    with CaptureQueriesContext(connection) as queries:
        again = services.recommend_top(user=alice, limit=6)
    assert ids(again) == ids(first)
    assert not any('FROM "catalog_movie" WHERE' in query["sql"] for query in queries.captured_queries)

    # As the admin would: another instance of the same movie, saved and committed.
    with django_capture_on_commit_callbacks(execute=True):
        edited = Movie.objects.get(pk=again[0].movie.pk)
        edited.title = "Renamed While Cached"
        edited.save()
    assert services.recommend_top(user=alice, limit=6)[0].movie.title == "Renamed While Cached"

    gone = again[1].movie.pk
    with django_capture_on_commit_callbacks(execute=True):
        Movie.objects.filter(pk=gone).delete()
    assert gone not in ids(services.recommend_top(user=alice, limit=6))


# -- the command ---------------------------------------------------------------------------------------------------


def test_recommend_command_prints_top_picks_with_reasons(serving, alice):
    out = StringIO()

    call_command("recommend", "alice", "--limit", "3", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0] == "Top picks for alice"
    assert len([line for line in lines if line.lstrip()[:2] in {"1.", "2.", "3."}]) == 3
    assert "Because you rated" in out.getvalue()
    assert lines[-1].startswith("3 top picks for alice in ")


def test_recommend_command_prints_rows_and_refuses_an_unknown_user(serving, alice):
    out = StringIO()

    call_command("recommend", "alice", "--rows", "--limit", "2", stdout=out)

    assert "Top picks for you [top-picks]" in out.getvalue()
    assert f"Because you rated {serving.action_movies[1].title}" in out.getvalue()
    with pytest.raises(CommandError, match="nobody"):
        call_command("recommend", "nobody")


def test_a_model_that_fails_to_score_drops_out_and_the_page_still_serves(serving, alice, monkeypatch, caplog):
    content = serving.models["content"]["content"]

    def broken(history, items=None):
        raise RuntimeError("corrupt weights")

    monkeypatch.setattr(content, "score", broken)

    rows = services.recommend_rows(user=alice, limit=4)

    assert rows[0].key == "top-picks" and rows[0].cards
    assert "content failed to score" in caplog.text


def test_an_empty_catalog_gives_empty_pages_not_errors(db, monkeypatch):
    monkeypatch.setattr(services, "active_models", lambda family: {})
    person = UserFactory()

    assert services.anonymous_rows() == []
    assert services.recommend_rows(user=person) == []
    assert services.recommend_top(user=person) == []


# -- served equals evaluated -----------------------------------------------------------------------------------------


def test_top_picks_are_exactly_the_blend_scorers_top_n_after_the_pages_filters(serving, alice):
    """What the site shows is what `evaluate` measures: the served blend's own ranking, nothing mixed in."""
    blend = build("blend", components=["item_knn", "content"], overrides={"item_knn": {"neighbours": 10}}).fit(
        interactions_from_db()
    )
    serving.models["blend"] = {"blend": blend}
    watched = serving.drama_movies[7]
    FeedbackFactory(user=alice, movie=watched, kind=Feedback.Kind.SEEN)
    hidden = {watched.pk, *alice.ratings.values_list("movie_id", flat=True)}

    shown = ids(services.recommend_top(user=alice, limit=10))

    scores = blend.score(history_for_user(alice))
    popularity = dict(
        zip(*np.unique(Rating.objects.values_list("movie_id", flat=True), return_counts=True), strict=True)
    )
    candidates = [
        (-score, -popularity.get(int(movie), 0), int(movie))
        for movie, score in zip(blend.item_ids, scores, strict=True)
        if np.isfinite(score) and int(movie) not in hidden
    ]
    assert shown == [movie for *_, movie in sorted(candidates)[:10]]
    assert len(shown) == 10


# -- the switcher, per request ---------------------------------------------------------------------------------------


def test_a_per_request_source_ranks_like_the_saved_choice_and_saves_nothing(serving, alice, api_as):
    api = api_as(alice)
    balanced = api.get("/api/v1/me/rows/", {"limit": 6}).json()[0]
    asked = api.get("/api/v1/me/rows/", {"limit": 6, "source": "content"}).json()[0]
    picks = api.get("/api/v1/me/recommendations/", {"limit": 6, "source": "content"}).json()
    row = api.get("/api/v1/me/rows/top-picks/", {"limit": 6, "source": "content"}).json()

    assert api.get("/api/v1/me/preferences/").json()["top_picks_source"] == "balanced"  # nothing was saved
    api.patch("/api/v1/me/preferences/", {"top_picks_source": "content"}, format="json")
    saved = api.get("/api/v1/me/rows/", {"limit": 6}).json()[0]

    assert balanced["title"] == "Top picks for you" and asked["title"] == "Top picks for you · By content"
    assert asked == saved == row
    assert [card["movie"]["id"] for card in picks] == [card["movie"]["id"] for card in asked["cards"]]
    assert asked["cards"] != balanced["cards"]


def test_an_unknown_source_is_a_400_naming_it(alice, api_as):
    response = api_as(alice).get("/api/v1/me/recommendations/", {"source": "astrology"})

    assert response.status_code == 400 and "source" in response.json()["error"]["fields"]


def test_a_cached_taste_holds_no_more_than_the_cache_counts_it_for(serving, alice):
    # given a person's Taste after their whole home page and their Top picks
    services.recommend_rows(user=alice)
    services.recommend_top(user=alice)
    [taste] = [taste for key, taste in services._tastes.items() if key[0] and key[0][0] == alice.pk]

    # then the arrays it keeps (not the catalog, statistics and models it shares) are within the cache's estimate
    kept = taste.kept_bytes()
    assert 0 < kept <= 8 * services.VECTORS_PER_TASTE * len(taste.catalog)
    # and they are the arrays it computed: the scores of the blend it ranked by among them
    assert kept >= taste.blend_scores.nbytes + taste.blend.nbytes
