"""Top picks kept for every process: computed once per person and inputs, never served after a change."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from django.core.cache import caches

from recommender import foldins, services, shared_picks
from recommender.algorithms.folding import name_folds
from recommender.rows import Pick
from recommender.shared_picks import KeptRow
from tests.factories import RatingFactory
from tests.unit.recommender.test_foldins import BROKEN_REDIS


def movie_ids(cards: list[services.Card]) -> list[int]:
    return [card.movie.pk for card in cards]


def top_picks(user, **query) -> list[int]:
    """What the API's Top picks return, with the movie ids as the rendering."""
    return services.recommend_top_rendered(user=user, render=movie_ids, **query)


@pytest.fixture
def named(serving, monkeypatch):
    """The served models named as a fresh artifact's are (nothing another test kept can match); the warm-up loads
    the active models as the services do."""
    checksum = uuid.uuid4().hex
    for family, models in serving.models.items():
        for name, model in models.items():
            name_folds(model, f"{checksum}/{family}/{name}")
    monkeypatch.setattr(foldins, "active_models", services.active_models)
    services.clear_caches()
    yield serving
    services.clear_caches()


@pytest.fixture
def computations(monkeypatch):
    """Counts the Top picks computed in this process (each kept row read instead is one fewer)."""
    calls: list[int] = []
    compute = services._row_picks

    def counted(**kwargs):
        calls.append(kwargs["user"].pk)
        return compute(**kwargs)

    monkeypatch.setattr(services, "_row_picks", counted)
    return calls


def another_process() -> None:
    """Forget everything this process kept; the fold store (another process's view of Redis) stays."""
    services.clear_caches()


def test_another_process_serves_the_top_picks_the_first_one_kept(named, alice, computations):
    # given one process served alice's Top picks
    first = top_picks(alice)
    assert computations == [alice.pk]

    # when another process serves her
    another_process()

    # then it serves exactly the same picks, computing nothing
    assert top_picks(alice) == first
    assert computations == [alice.pk]


def test_a_new_rating_is_never_answered_with_the_picks_kept_before_it(named, alice, computations):
    # given alice's Top picks were kept, with a movie she has not rated among them
    first = top_picks(alice)
    rated = (
        named.action_movies[0]
        if named.action_movies[0].pk in first
        else next(movie for movie in named.action_movies + named.drama_movies if movie.pk in first)
    )

    # when she rates it, and another process serves her
    RatingFactory(user=alice, movie=rated, score=5.0)
    another_process()

    # then her picks are computed afresh and leave the rated movie out
    assert rated.pk not in top_picks(alice)
    assert computations == [alice.pk, alice.pk]


def test_each_request_shape_is_kept_apart(named, alice, computations):
    twelve = top_picks(alice, limit=12)
    three = top_picks(alice, limit=3)
    another_process()

    assert top_picks(alice, limit=3) == three == twelve[:3]
    assert top_picks(alice, limit=12) == twelve
    assert len(computations) == 2


def test_nothing_is_kept_for_models_fitted_in_this_process(serving, alice, computations):
    # given served models without an artifact's checksum
    first = top_picks(alice)
    another_process()

    # then another process computes them again, and gets the same
    assert top_picks(alice) == first
    assert computations == [alice.pk, alice.pk]


def test_a_store_outage_still_serves_the_computed_picks(named, alice, settings, computations, monkeypatch):
    # given the fold store's Redis is down
    expected = top_picks(alice)
    another_process()
    settings.CACHES = {**settings.CACHES, "folds": BROKEN_REDIS}
    monkeypatch.setattr(foldins, "_store", None)  # a new process's store; the tripped one goes with this test

    # then Top picks are computed here, the same as before
    assert top_picks(alice) == expected
    assert computations == [alice.pk, alice.pk]


def test_kept_picks_that_do_not_decode_are_computed_again(named, alice, computations):
    # given alice's kept picks were overwritten by something that is not a kept row (a torn write, another layout)
    first = top_picks(alice)
    kept = [raw.split(":", 2)[2] for raw in caches["folds"]._cache if ":picks" in raw]  # locmem's "prefix:1:key"
    assert kept
    for key in kept:
        caches["folds"].set(key, b"not a kept row")
    another_process()

    assert top_picks(alice) == first
    assert computations == [alice.pk, alice.pk]


def test_the_warm_up_computes_top_picks_that_a_request_then_reads(named, alice, computations):
    # given the training worker warmed alice's Top picks after an activation
    assert services.top_picks_warm(user_ids=[alice.pk]) == 1

    # when she asks for them in a web process
    another_process()
    served = top_picks(alice)

    # then they are read, not computed, and they are what a computation gives
    assert computations == [alice.pk]
    caches["folds"].clear()
    another_process()
    assert top_picks(alice) == served


def test_the_warm_up_keeps_nothing_for_models_without_a_checksum(serving, alice, computations):
    assert services.top_picks_warm(user_ids=[alice.pk]) == 0
    assert computations == []


def test_the_warm_up_skips_a_person_who_fails_and_goes_on(named, alice, monkeypatch, caplog):
    compute = services._row_picks

    def failing_for_alice(**kwargs):
        if kwargs["user"].pk == alice.pk:
            raise RuntimeError("corrupt")
        return compute(**kwargs)

    monkeypatch.setattr(services, "_row_picks", failing_for_alice)
    fan = type(alice).objects.get(username="fan0-0")

    assert services.top_picks_warm(user_ids=[alice.pk, fan.pk]) == 1
    assert f"Could not compute the Top picks of user {alice.pk}" in caplog.text


def test_everyones_ratings_key_the_picks_only_where_top_picks_read_them(named, alice):
    # given the inputs of alice's Top picks, and the same after someone else rated
    catalog, stats = services.selectors.catalog_and_stats()
    models = services.serving_models()
    fingerprint = services.selectors.person_fingerprint(alice)
    later = dataclasses.replace(stats, fingerprint=(stats.fingerprint[0], 10**9, "later"))
    common = {"user_id": alice.pk, "catalog": catalog, "limit": 20, "source": None, "experiment_id": None}

    def key(fingerprint, models, stats):
        return shared_picks.picks_key(fingerprint=fingerprint, models=models, stats=stats, **common)

    # then with the blend served and the dials at rest, other people's ratings do not change the key
    assert key(fingerprint, models, stats) == key(fingerprint, models, later)
    # but with the popularity dial turned they do (it reads everyone's rating counts)
    dialled = fingerprint._replace(dial_popularity=0.5)
    assert key(dialled, models, stats) != key(dialled, models, later)
    # and so they do before any blend is trained (the popular movies stand in)
    unblended = services.ServingModels({family: m for family, m in models.families.items() if family != "blend"})
    assert key(fingerprint, unblended, stats) != key(fingerprint, unblended, later)
    # and a person's own change, another model version or another request shape is another key
    assert key(fingerprint._replace(ratings=fingerprint.ratings + 1), models, stats) != key(fingerprint, models, stats)
    renamed = services.ServingModels(dict(models.families))
    for model in renamed.families["blend"].values():
        name_folds(model, f"{uuid.uuid4().hex}/blend")
    assert key(fingerprint, renamed, stats) != key(fingerprint, models, stats)


def test_a_kept_row_decodes_to_exactly_what_was_kept():
    row = KeptRow(
        title="Top picks for you",
        picks=[
            Pick(3, 0.8125, 4.37, "Because you rated Heat 5 stars"),
            Pick(11, 0.1 + 0.2, None, "Popular right now", (3.91, 120)),
        ],
        experiment_id=4,
        arms={3: "a", 11: "b"},
    )
    assert KeptRow.decode(row.encode()) == row
