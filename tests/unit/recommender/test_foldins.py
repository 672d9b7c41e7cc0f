"""The shared fold store: a person is folded into a model once, and every process reads it after."""

from __future__ import annotations

import logging
import uuid
from io import StringIO

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.core.management.base import CommandError

from recommender import foldins, services
from recommender.algorithms import build
from recommender.algorithms.folding import FOLD_VERSION, history_digest, name_folds
from recommender.algorithms.implicit_als import ImplicitALS
from recommender.data import interactions_from_db
from tests.factories import RatingFactory

BROKEN_REDIS = {
    "BACKEND": "django_redis.cache.RedisCache",
    "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1: every call fails at once
    "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
}
WORKING = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "folds-after-the-outage"}


@pytest.fixture
def folding_blend(serving, monkeypatch):
    """The served blend, with a component that folds (implicit ALS), named as an artifact's models are; the
    warming loads the active models as the services do."""
    blend = build(
        "blend",
        components=["implicit_als", "item_knn"],
        overrides={"implicit_als": {"factors": 8, "epochs": 5}, "item_knn": {"neighbours": 10, "shrinkage": 0.0}},
        search_rounds=0,
        transform="percentile",
    ).fit(interactions_from_db())
    checksum = uuid.uuid4().hex  # a fresh artifact: nothing another test kept can match
    name_folds(blend, f"{checksum}/blend")
    serving.models["blend"] = {"blend": blend}
    monkeypatch.setattr(foldins, "active_models", services.active_models)
    yield checksum
    services.clear_caches()


def test_another_process_serves_a_person_from_the_fold_the_first_one_kept(folding_blend, alice, monkeypatch):
    # given one process served alice's Top picks
    first = [card.movie.pk for card in services.recommend_top(user=alice)]
    history = services.taste_for(user=alice).history
    key = f"fold{FOLD_VERSION}:{folding_blend}/blend/0-implicit_als:{history_digest(history)}"
    assert caches["folds"].get(key) is not None

    # when another process (no Taste of its own) serves her, and could not fold her in itself
    services.clear_caches()

    folded_again = []

    def cannot_fold(self, history):
        folded_again.append(history)
        raise RuntimeError("folded again")

    monkeypatch.setattr(ImplicitALS, "_solve", cannot_fold)

    # then it serves exactly the same picks from the kept fold, without folding
    assert [card.movie.pk for card in services.recommend_top(user=alice)] == first
    assert folded_again == []


def test_a_new_rating_is_folded_afresh(folding_blend, alice, serving):
    # given alice was served
    services.recommend_top(user=alice)
    before = services.taste_for(user=alice).history

    # when she rates another movie
    RatingFactory(user=alice, movie=serving.action_movies[7], score=5.0)

    # then her new history has a fold of its own, and the old one is not what she is served from
    after = services.taste_for(user=alice).history
    services.recommend_top(user=alice)
    assert history_digest(after) != history_digest(before)
    key = f"fold{FOLD_VERSION}:{folding_blend}/blend/0-implicit_als:{history_digest(after)}"
    assert caches["folds"].get(key) is not None


def test_an_unreachable_store_is_left_alone_for_a_while_then_asked_again(settings, monkeypatch, caplog):
    # given a fold store whose Redis is down
    settings.CACHES = {**settings.CACHES, "folds": BROKEN_REDIS}
    store = foldins.CacheFoldStore()
    clock = [1000.0]
    monkeypatch.setattr(foldins.time, "monotonic", lambda: clock[0])

    # when it is read and written
    with caplog.at_level(logging.WARNING, logger="recommender.foldins"):
        assert store.get("fold:a") is None
        store.set("fold:a", b"value")

    # then both quietly miss, and the outage is logged once
    assert [record.getMessage().split(" (")[0] for record in caplog.records] == ["Fold store 'folds' unavailable"]

    # when Redis is back, the store still rests for RETRY_SECONDS (a request never waits on each model)
    settings.CACHES = {**settings.CACHES, "folds": WORKING}
    caches["folds"].set("fold:a", b"kept")
    clock[0] += foldins.RETRY_SECONDS - 1
    assert store.get("fold:a") is None

    # and afterwards it is asked again
    clock[0] += 2
    assert store.get("fold:a") == b"kept"


def test_no_store_is_plugged_in_when_the_ttl_is_zero(settings):
    settings.FOLD_IN_TTL_SECONDS = 0
    assert foldins.serving_fold_store() is None
    settings.FOLD_IN_TTL_SECONDS = 60
    assert isinstance(foldins.serving_fold_store(), foldins.CacheFoldStore)


def test_warming_folds_the_most_recent_raters_into_the_active_models_ahead_of_their_visit(
    folding_blend, alice, serving, monkeypatch
):
    # given alice rated last, and the fold store is empty
    RatingFactory(user=alice, movie=serving.action_movies[9], score=4.0)
    caches["folds"].clear()

    # when the worker warms one person
    warmed = foldins.folds_warm(families=["blend"], people=1)

    # then alice's fold is kept, and her next page is served from it without folding
    assert (warmed.people, warmed.models) == (1, 1)
    history = services.taste_for(user=alice).history
    key = f"fold{FOLD_VERSION}:{folding_blend}/blend/0-implicit_als:{history_digest(history)}"
    assert caches["folds"].get(key) is not None
    services.clear_caches()
    monkeypatch.setattr(ImplicitALS, "_solve", lambda self, history: pytest.fail("folded at request time"))
    assert services.recommend_top(user=alice)


def test_warming_skips_a_model_that_fails_and_says_so(folding_blend, alice, monkeypatch, caplog):
    def broken(self, history):
        raise RuntimeError("corrupt")

    monkeypatch.setattr(ImplicitALS, "_solve", broken)

    warmed = foldins.folds_warm(families=["blend"], people=2)

    assert warmed.people == 2
    assert "blend could not fold in user" in caplog.text


def test_the_warm_folds_command_reports_what_it_did_and_refuses_bad_input(folding_blend, alice, settings):
    out = StringIO()
    call_command("warm_folds", "--family", "blend", "--people", "3", stdout=out)
    assert out.getvalue().strip().endswith("s") and "Folded 3 people into 1 active models" in out.getvalue()

    with pytest.raises(CommandError, match="--people"):
        call_command("warm_folds", "--people", "-1")
    settings.FOLD_IN_TTL_SECONDS = 0
    with pytest.raises(CommandError, match="no fold store"):
        call_command("warm_folds")
