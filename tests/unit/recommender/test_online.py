"""Online experiments end to end: impressions, interactions, arms served on the site and in the API, results."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from ratings.models import Rating
from recommender import online, services
from recommender.algorithms.popularity import Popularity
from recommender.data import interactions_from_db
from recommender.experiments import arm_for
from recommender.models import Experiment, Impression, Interaction, ModelVersion
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

needs_redis = pytest.mark.skipif(not django_settings.REDIS_URL, reason="REDIS_URL is not set: no buffer to test")


@pytest.fixture(autouse=True)
def fresh_caches():
    services.clear_caches()
    yield
    services.clear_caches()


def blend_version(number: int) -> ModelVersion:
    return ModelVersion.objects.create(
        family="blend", algorithms=["blend"], status=ModelVersion.Status.READY, artifact_path=f"blend/{number}",
        checksum="x",
    )  # fmt: skip


@pytest.fixture
def arms(serving, monkeypatch):
    """Arm a: the world's blend; arm b: a challenger that ranks Top picks by popularity alone."""
    a, b = blend_version(1), blend_version(2)
    models = {a.pk: serving.models["blend"], b.pk: {"blend": Popularity().fit(interactions_from_db())}}
    monkeypatch.setattr(online, "arm_models", lambda version: models[version.pk])
    return a, b


def top_ids(person, limit=6) -> list[int]:
    return [card.movie.pk for card in services.recommend_top(user=person, limit=limit)]


def most_rated_unrated(person, limit) -> list[int]:
    from django.db.models import Count

    from catalog.models import Movie

    rated = set(Rating.objects.filter(user=person).values_list("movie_id", flat=True))
    order = Movie.objects.annotate(n=Count("ratings")).order_by("-n", "pk").values_list("pk", flat=True)
    return [movie for movie in order if movie not in rated][:limit]


def test_a_split_experiment_serves_each_person_their_arm_alike_on_the_site_and_in_the_api(
    serving, arms, alice, api_as, client
):
    people = [alice, *UserFactory._meta.model.objects.filter(username__startswith="fan").order_by("pk")[:11]]
    before = {person.pk: top_ids(person) for person in people}

    experiment = online.experiment_start(name="popularity?", kind=Experiment.Kind.SPLIT, arm_a=arms[0], arm_b=arms[1])
    services.clear_caches()

    seen = {"a": 0, "b": 0}
    for person in people:
        arm = arm_for(experiment.pk, person.pk)
        seen[arm] += 1
        expected = before[person.pk] if arm == "a" else most_rated_unrated(person, 6)
        assert top_ids(person) == expected, arm
        api = [card["movie"]["id"] for card in api_as(person).get("/api/v1/me/recommendations/", {"limit": 6}).json()]
        assert api == expected  # the API serves the same arm
    assert seen["a"] and seen["b"]

    online.experiment_stop(experiment)
    services.clear_caches()
    assert {person.pk: top_ids(person) for person in people} == before  # everyone back on the active model


def test_interleaved_top_picks_draw_from_both_arms_and_a_rating_credits_the_arm_that_showed_it(
    serving, arms, alice, api_as, django_capture_on_commit_callbacks
):
    experiment = online.experiment_start(name="mix", kind=Experiment.Kind.INTERLEAVE, arm_a=arms[0], arm_b=arms[1])
    mine = services.taste_for(alice, arm="a").page(8).row("top-picks")
    theirs = services.taste_for(alice, arm="b").page(8).row("top-picks")

    api = api_as(alice)
    rows = api.get("/api/v1/me/rows/", {"limit": 8}).json()
    top = services.recommend_row(user=alice, key="top-picks", limit=8)

    ids = [card["movie"]["id"] for row in rows for card in row["cards"]]
    assert len(ids) == len(set(ids))  # no movie twice on the page
    assert [card["movie"]["id"] for card in rows[0]["cards"]] == [card.movie.pk for card in top.cards]
    assert set(top.arms.values()) == {"a", "b"}
    for movie, arm in top.arms.items():
        assert movie in [pick.movie_id for pick in (mine if arm == "a" else theirs)]

    from_b = next(movie for movie, arm in top.arms.items() if arm == "b")
    with django_capture_on_commit_callbacks(execute=True):
        api.put(f"/api/v1/me/ratings/{from_b}/", {"score": 4.5}, format="json")

    interaction = Interaction.objects.get()
    assert interaction.kind == "rating" and interaction.impression.movie_id == from_b
    assert (interaction.impression.arm, interaction.impression.experiment_id) == ("b", experiment.pk)
    results = online.experiment_results(experiment)
    assert (results["wins"].b.successes, results["wins"].a.successes) == (1, 0)
    assert results["rates"]["b"].successes == 1 and results["rates"]["a"].successes == 0


def test_impressions_record_row_place_and_version_and_without_redis_are_written_at_once(
    serving, alice, api_as, settings
):
    settings.REDIS_URL = ""

    rows = api_as(alice).get("/api/v1/me/rows/", {"limit": 4}).json()

    stored = list(
        Impression.objects.filter(user=alice).order_by("row", "position").values_list("row", "position", "movie_id")
    )
    expected = sorted(
        (row["key"], place, card["movie"]["id"]) for row in rows for place, card in enumerate(row["cards"], 1)
    )
    assert stored == expected


@needs_redis
def test_buffered_impressions_survive_a_flusher_that_dies_between_insert_and_trim(serving, alice, monkeypatch):
    online.impressions_log(user_id=alice.pk, row="top-picks", movie_ids=[1, 2, 3])
    online.impressions_log(user_id=alice.pk, row="up-next", movie_ids=[4, 5])
    assert not Impression.objects.exists()  # buffered, not written by the request

    client = online.buffer_client()
    real = type(client).ltrim

    def dies(self, *args):
        raise ConnectionError("worker killed")

    monkeypatch.setattr(type(client), "ltrim", dies)
    online.flush_impressions()  # inserted, then died before trimming
    monkeypatch.setattr(type(client), "ltrim", real)
    assert online.flush_impressions() == 5  # the next flusher inserts the same batch again

    assert Impression.objects.filter(user=alice).count() == 5  # each exactly once
    assert client.llen(online.IMPRESSIONS_KEY) == 0


@needs_redis
def test_a_row_is_buffered_as_one_entry_and_flushed_as_its_cards_in_order_with_their_arms(serving, alice):
    bob = UserFactory()
    online.impressions_log(user_id=alice.pk, row="top-picks", movie_ids=[7, 3, 9], arms={3: "b", 7: "a"})
    online.impressions_log(user_id=bob.pk, row="up-next", movie_ids=[3])
    client = online.buffer_client()
    assert client.llen(online.IMPRESSIONS_KEY) == 2  # one entry (one RPUSH) per row, not per card

    assert online.flush_impressions() == 4

    stored = Impression.objects.order_by("user_id", "position").values_list(
        "user_id", "row", "position", "movie_id", "arm"
    )
    assert list(stored) == [
        (alice.pk, "top-picks", 1, 7, "a"),
        (alice.pk, "top-picks", 2, 3, "b"),
        (alice.pk, "top-picks", 3, 9, ""),
        (bob.pk, "up-next", 1, 3, ""),
    ]
    assert len({key for key in Impression.objects.values_list("key", flat=True)}) == 4


def test_a_buffered_rows_card_keys_are_the_same_each_time_it_is_read_and_differ_between_rows():
    entry = {"key": "0" * 31 + "1", "user_id": 1, "row": "top-picks", "version_id": None, "experiment_id": None,
             "shown": "2026-12-07T06:00:00+00:00", "movies": [5, 6], "arms": {}}  # fmt: skip
    other = {**entry, "key": "0" * 31 + "2"}

    keys = [event["key"] for event in online.row_impressions(entry)]

    assert keys == [event["key"] for event in online.row_impressions(dict(entry))]
    assert len(set(keys) | {event["key"] for event in online.row_impressions(other)}) == 4


@needs_redis
def test_an_impression_buffered_one_card_per_entry_by_an_earlier_release_is_still_flushed(serving, alice):
    import json
    import uuid

    card = {"key": uuid.uuid4().hex, "user_id": alice.pk, "movie_id": 4, "row": "popular", "position": 2,
            "version_id": None, "experiment_id": None, "arm": "", "shown": "2026-12-07T06:00:00+00:00"}  # fmt: skip
    online.buffer_client().rpush(online.IMPRESSIONS_KEY, json.dumps(card))

    assert online.flush_impressions() == 1
    assert list(Impression.objects.values_list("user_id", "row", "position", "movie_id")) == [
        (alice.pk, "popular", 2, 4)
    ]


@needs_redis
def test_an_impression_of_a_deleted_person_does_not_block_the_buffer(serving, alice):
    gone = UserFactory()
    online.impressions_log(user_id=gone.pk, row="top-picks", movie_ids=[1])
    gone.delete()
    online.impressions_log(user_id=alice.pk, row="top-picks", movie_ids=[2])

    online.flush_impressions()

    assert list(Impression.objects.values_list("user_id", "movie_id")) == [(alice.pk, 2)]


def test_an_experiment_needs_two_saved_blend_versions_and_only_one_runs(arms):
    a, b = arms
    with pytest.raises(ValueError, match="arm_b"):
        online.experiment_start(name="same", kind="split", arm_a=a, arm_b=a)
    online.experiment_start(name="one", kind="split", arm_a=a, arm_b=b)
    with pytest.raises(ValueError, match="running"):
        online.experiment_start(name="two", kind="split", arm_a=b, arm_b=a)


def test_the_results_page_shows_each_arm_and_stopping_needs_the_change_permission(client, arms):
    experiment = online.experiment_start(name="one", kind="split", arm_a=arms[0], arm_b=arms[1])
    url = reverse("recommender:experiment", args=[experiment.pk])
    viewer = UserFactory(is_staff=True, permissions=("recommender.view_experiment",))
    client.force_login(viewer)

    page = client.get(url)
    refused = client.post(url)

    assert page.status_code == 200 and "Not enough data yet" in page.content.decode()
    assert refused.status_code == 403
    client.force_login(
        UserFactory(is_staff=True, permissions=("recommender.view_experiment", "recommender.change_experiment"))
    )
    assert client.post(url).status_code == 302
    assert Experiment.objects.get().status == Experiment.Status.STOPPED


def test_the_inspector_shows_the_interleaved_row_the_person_is_served_with_each_cards_arm(serving, arms, alice):
    from recommender import inspector

    online.experiment_start(name="mix", kind=Experiment.Kind.INTERLEAVE, arm_a=arms[0], arm_b=arms[1])
    served = services.recommend_row(user=alice, key="top-picks", limit=8)

    inspected = inspector.person_page(alice, limit=8).rows[0]

    assert [(card.movie_id, card.arm) for card in inspected.cards] == [
        (card.movie.pk, served.arms[card.movie.pk]) for card in served.cards
    ]
