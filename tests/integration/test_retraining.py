"""Retraining end to end: ratings through the service, Redis, a real worker, PostgreSQL, artifacts on disk."""

from __future__ import annotations

import logging
import time

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.utils import timezone

from catalog.models import Movie
from ratings.models import Rating
from ratings.services import rating_upsert
from recommender import artifacts, services, training
from recommender.data import history_for_user
from recommender.families import FAMILIES
from recommender.models import ModelVersion, TrainingState

from .conftest import broker_point, redis_url
from .support import active_version, seed, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

#: Seconds a worker gets to finish one family's fast training on the small seed (generous for a busy CI box).
TRAIN_TIMEOUT = 60


def person(name: str):
    return get_user_model().objects.create(username=name)


def top_ids(model, history, n: int = 10) -> list[int]:
    return [item for item, _ in model.recommend(history, n=n)]


def settled() -> bool:
    """No run queued, claimed or training, and nothing pending: the system is at rest."""
    busy = TrainingState.objects.filter(pending_changes__gt=0) | TrainingState.objects.exclude(queued_at=None)
    busy |= TrainingState.objects.exclude(claimed_at=None)
    return not busy.exists() and not ModelVersion.objects.filter(status=ModelVersion.Status.TRAINING).exists()


def test_ratings_through_the_service_train_and_activate_a_version_that_changes_recommendations(
    start_worker, fast_training
):
    # given an active collaborative version and a movie nobody has rated yet
    seed()
    fresh = Movie.objects.create(title="Fresh Hit", year=1995)
    first = training.family_train(family="collaborative", force=True)
    assert first.status == ModelVersion.Status.ACTIVE
    bystander = history_for_user(person("bystander"))
    before = {name: top_ids(model, bystander) for name, model in artifacts.active_models("collaborative").items()}
    worker = start_worker()

    # when more people than rated any other movie rate it, through the rating service
    most_rated = Movie.objects.annotate(n=Count("ratings")).order_by("-n").values_list("n", flat=True).first()
    for number in range(most_rated + 3):
        rating_upsert(user=person(f"fan{number}"), movie=fresh, score=5)

    # then the worker trains and activates a newer version, which knows about those ratings
    second = wait_for(
        lambda: active_version("collaborative", other_than=first.pk),
        timeout=TRAIN_TIMEOUT,
        what="a new active version",
        log=worker.output,
    )
    assert second.last_rating_id == Rating.objects.latest("id").pk
    assert second.n_ratings == first.n_ratings + most_rated + 3
    # and this process notices within seconds, and the same person's recommendations change: the hit leads
    wait_for(
        lambda: artifacts.active_models("collaborative") and artifacts.active_version_id("collaborative") == second.pk,
        timeout=5,
        what="this process to notice and load it",
    )
    after = {name: top_ids(model, bystander) for name, model in artifacts.active_models("collaborative").items()}
    assert fresh.pk not in before["popularity"]
    assert after["popularity"][0] == fresh.pk


def test_a_burst_of_500_ratings_trains_each_family_once_and_a_rating_during_training_once_more(start_worker, settings):
    # given a worker that debounces for 3 seconds
    by_genre = seed()
    settings.RETRAIN_DEBOUNCE_SECONDS = 3
    worker = start_worker(RETRAIN_DEBOUNCE_SECONDS=3)
    seeded = Rating.objects.count()
    movies = [movie for movies in by_genre.values() for movie in movies]

    # when 50 people rate 10 movies each, as fast as the service takes them
    for number in range(50):
        rater = person(f"burst{number}")
        for movie in movies[number % 20 : number % 20 + 10]:
            rating_upsert(user=rater, movie=movie, score=4)
    burst_end = Rating.objects.count()
    assert burst_end == seeded + 500

    # and one more rating arrives while some family is training
    training_now = wait_for(
        lambda: ModelVersion.objects.filter(status=ModelVersion.Status.TRAINING).first(),
        timeout=TRAIN_TIMEOUT,
        what="a run to start",
        log=worker.output,
    )
    rating_upsert(user=person("late"), movie=movies[0], score=5)
    wait_for(settled, timeout=4 * TRAIN_TIMEOUT, what="every family to finish", log=worker.output)

    # then each family's first run saw the whole burst (nobody trained on half of it) ...
    for family in FAMILIES:
        versions = list(ModelVersion.objects.filter(family=family).order_by("created"))
        assert 1 <= len(versions) <= 2, f"{family}: {len(versions)} runs"
        assert versions[0].n_ratings >= burst_end, f"{family} trained on a partial burst"
    # ... and the family that was training when the late rating came got exactly one follow-up, after it
    caught = list(ModelVersion.objects.filter(family=training_now.family).order_by("created"))
    assert len(caught) == 2
    assert caught[1].started >= caught[0].finished
    assert caught[1].n_ratings == burst_end + 1


def test_ratings_made_while_redis_is_down_are_kept_and_trained_once_it_is_back(start_worker, settings):
    # given the broker unreachable (a closed port) from this web process
    seed()
    broker_point(redis_url(port=1))
    movie = Movie.objects.first()

    # when twenty people rate a movie
    slowest = 0.0
    for number in range(20):
        started = time.perf_counter()
        rating_upsert(user=person(f"outage{number}"), movie=movie, score=4.5)
        slowest = max(slowest, time.perf_counter() - started)

    # then every rating is stored, responses stayed quick, and the durable counter remembers them
    assert Rating.objects.filter(user__username__startswith="outage").count() == 20
    assert slowest < 2.0
    assert set(TrainingState.objects.values_list("pending_changes", flat=True)) == {20}
    assert not TrainingState.objects.exclude(queued_at=None).exists()
    assert not ModelVersion.objects.exists()

    # when Redis is reachable again and the worker's beat runs the sweep
    broker_point(redis_url())
    worker = start_worker(beat=True, RETRAIN_SWEEP_SECONDS=1)

    # then every family trains on those ratings
    wait_for(settled, timeout=4 * TRAIN_TIMEOUT, what="the sweep's runs to finish", log=worker.output)
    for family in FAMILIES:
        version = ModelVersion.objects.filter(family=family).latest("created")
        assert version.status == ModelVersion.Status.ACTIVE, f"{family}: {version.status} {version.error}"
        assert version.n_ratings == Rating.objects.count()


def test_a_worker_killed_mid_training_leaves_the_old_version_serving_and_the_run_is_reclaimed(
    start_worker, fast_training
):
    # given an active NCF version served by this process
    seed()
    first = training.family_train(family="ncf", force=True)
    assert first.status == ModelVersion.Status.ACTIVE
    assert artifacts.active_models("ncf")
    worker = start_worker(TRAINING_STALE_SECONDS=3)

    # when a retrain starts and its worker is SIGKILLed mid-fit
    training.training_request(family="ncf")
    doomed = wait_for(
        lambda: ModelVersion.objects.filter(family="ncf", status=ModelVersion.Status.TRAINING).first(),
        timeout=TRAIN_TIMEOUT,
        what="the retrain to start",
        log=worker.output,
    )
    worker.kill()

    # then the old version is still the one serving
    assert active_version("ncf") == first
    assert artifacts.active_version_id("ncf") == first.pk and artifacts.active_models("ncf")

    # when a new worker (with beat) comes up, the sweep notices the silent heartbeat and retries the run
    replacement = start_worker(beat=True, RETRAIN_SWEEP_SECONDS=1, TRAINING_STALE_SECONDS=3)
    second = wait_for(
        lambda: active_version("ncf", other_than=first.pk),
        timeout=2 * TRAIN_TIMEOUT,
        what="the retried run",
        log=replacement.output,
    )

    # then the killed run is recorded as failed with the reason, and the retry activated
    doomed.refresh_from_db()
    assert doomed.status == ModelVersion.Status.FAILED and "heartbeat" in doomed.error
    assert second.pk > doomed.pk
    wait_for(
        lambda: TrainingState.objects.filter(family="ncf", claimed_at=None).exists(),
        timeout=10,
        what="the retry to release its claim",
    )


def test_a_corrupted_artifact_is_refused_and_serving_falls_back_to_the_previous_version_then_popularity(
    start_worker, fast_training, monkeypatch, caplog
):
    # given version 1 served by this process, and version 2 trained and activated by the worker
    seed()
    viewer = person("viewer")
    # Through the ORM: a rating through the service would queue every family, and their models would join the blend.
    Rating.objects.create(user=viewer, movie=Movie.objects.first(), score=5.0, created=timezone.now())
    first = training.family_train(family="collaborative", force=True)
    assert set(artifacts.active_models("collaborative")) == set(FAMILIES["collaborative"].members)
    worker = start_worker()
    training.training_request(family="collaborative")
    second = wait_for(
        lambda: active_version("collaborative", other_than=first.pk),
        timeout=TRAIN_TIMEOUT,
        what="version 2",
        log=worker.output,
    )

    # when version 2's files are damaged on disk before this process loads them
    victim = next((artifacts.model_dir() / second.artifact_path).rglob("*.npy"))
    victim.write_bytes(victim.read_bytes()[:-16] + b"\0" * 16)
    monkeypatch.setattr(artifacts, "CHECK_INTERVAL_SECONDS", 0.0)
    with caplog.at_level(logging.ERROR, logger="recommender.artifacts"):
        served = artifacts.active_models("collaborative")

    # then it is refused with a logged error naming it, and version 1 keeps serving
    assert second.label in caplog.text and "checksum mismatch" in caplog.text
    assert artifacts.active_version_id("collaborative") == first.pk and served

    # when a process that never loaded version 1 starts (nothing loadable is active)
    artifacts.cache_clear()
    services.clear_caches()
    assert artifacts.active_models("collaborative") == {}
    cards = services.recommend_top(user=viewer, limit=5)

    # then it still recommends: the most rated movies, straight from the database
    counts = dict(Movie.objects.annotate(n=Count("ratings")).values_list("pk", "n"))
    rated = set(Rating.objects.filter(user=viewer).values_list("movie_id", flat=True))
    assert cards and all(card.movie.pk not in rated for card in cards)
    assert counts[cards[0].movie.pk] == max(n for pk, n in counts.items() if pk not in rated)


def test_a_movie_added_in_the_admin_is_recommended_by_content_after_the_content_family_retrains(
    start_worker, fast_training, client
):
    # given an active content version and a person who loves Action films (rated through the ORM, so that
    # only the admin's edit below triggers a retrain)
    by_genre = seed()
    fan = person("action-fan")
    for movie in by_genre["Action"][:3]:
        Rating.objects.create(user=fan, movie=movie, score=5.0, created=timezone.now())
    for movie in by_genre["Romance"][:3]:
        Rating.objects.create(user=fan, movie=movie, score=1.0, created=timezone.now())
    first = training.family_train(family="content", force=True)
    assert first.status == ModelVersion.Status.ACTIVE
    worker = start_worker()
    admin = get_user_model().objects.create_superuser("admin", "admin@example.org", "a-good-passphrase-42")
    client.force_login(admin)

    # when an admin adds a new Action film
    action = by_genre["Action"][0].genres.get()
    response = client.post(
        "/admin/catalog/movie/add/",
        {
            "title": "Brand New Blockbuster",
            "year": 1995,
            "genres": [action.pk],
            "movie_tags-TOTAL_FORMS": 0,
            "movie_tags-INITIAL_FORMS": 0,
            "movie_tags-MIN_NUM_FORMS": 0,
            "movie_tags-MAX_NUM_FORMS": 1000,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    new = Movie.objects.get(title="Brand New Blockbuster")
    assert np.isnan(artifacts.active_models("content")["content"].score(history_for_user(fan), np.array([new.pk]))[0])

    # then the content family retrains on its own, and the new film is among the fan's content picks
    second = wait_for(
        lambda: active_version("content", other_than=first.pk),
        timeout=TRAIN_TIMEOUT,
        what="a content retrain",
        log=worker.output,
    )
    assert second.n_items == first.n_items + 1
    artifacts.cache_clear()
    picks = top_ids(artifacts.active_models("content")["content"], history_for_user(fan))
    assert new.pk in picks
