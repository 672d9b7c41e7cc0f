"""recommender.training: debounce arithmetic, guardrail, claim, counter bookkeeping, sweep, activation.

These run on SQLite with the broker replaced by a list of sent messages; tests/integration
drives the same code through Redis, PostgreSQL and a real worker.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from django.utils import timezone

from movierec.permissions import RETRAIN
from recommender import artifacts, training
from recommender.algorithms import build
from recommender.algorithms.interactions import Interactions
from recommender.families import FAMILIES, Change, Family, Role
from recommender.models import ModelVersion, TrainingState
from recommender.tasks import folds_warm_task
from tests.factories import MovieFactory, RatingFactory, UserFactory
from tests.movielens_samples import write_ml100k
from tests.unit.recommender.planted import planted

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


# -- debounce ----------------------------------------------------------------------------------------------------------


def seconds_later(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_debounce_waits_until_the_burst_has_been_quiet_for_the_debounce():
    remaining = training.debounce_remaining(
        now=seconds_later(20), last_change_at=seconds_later(15), queued_at=T0, debounce=30
    )

    assert remaining == pytest.approx(25)


def test_debounce_is_over_once_the_last_change_is_old_enough():
    assert (
        training.debounce_remaining(now=seconds_later(46), last_change_at=seconds_later(15), queued_at=T0, debounce=30)
        == 0
    )


def test_debounce_never_waits_past_the_cap_however_long_the_burst():
    # given ratings arriving every few seconds for much longer than the cap
    remaining = training.debounce_remaining(
        now=seconds_later(299), last_change_at=seconds_later(298), queued_at=T0, debounce=30
    )

    # then the run is due at queued_at + MAX_WAIT_FACTOR debounces
    assert remaining == pytest.approx(30 * training.MAX_WAIT_FACTOR - 299)


@pytest.mark.parametrize(("last_change_at", "debounce"), [(None, 30), (T0, 0)])
def test_no_change_recorded_or_no_debounce_means_run_now(last_change_at, debounce):
    assert training.debounce_remaining(now=T0, last_change_at=last_change_at, queued_at=T0, debounce=debounce) == 0


# -- guardrail ---------------------------------------------------------------------------------------------------------


def figures(ndcg: float, *, users: int = 5000, rmse: float | None = None) -> dict:
    return {"ndcg@10": ndcg, "hr@10": ndcg * 2, "rmse": rmse, "ranked_users": users, "test_ratings": users}


def test_guardrail_accepts_the_first_version():
    assert training.guardrail_verdict(candidate={"svd": figures(0.01)}, active=None).accept


def test_guardrail_compares_a_family_of_one_across_a_change_of_algorithm():
    # given Up next served by the GRU, and a retrain whose one member is item transitions
    active = {"sequence": figures(0.10)}

    worse = training.guardrail_verdict(candidate={"transitions": figures(0.05)}, active=active)
    better = training.guardrail_verdict(candidate={"transitions": figures(0.11)}, active=active)

    # then the new algorithm must do the part at least as well as the one it replaces
    assert not worse.accept and "against the active sequence" in worse.reason
    assert (
        better.accept and "transitions ndcg@10 0.1100 vs active 0.1000 (against the active sequence)" in better.reason
    )


def test_guardrail_compares_only_shared_algorithms_in_a_family_of_several():
    active = {"popularity": figures(0.10), "item_knn": figures(0.10)}

    verdict = training.guardrail_verdict(candidate={"popularity": figures(0.10), "svd": figures(0.01)}, active=active)

    assert verdict.accept and "svd" not in verdict.reason


def test_guardrail_rejects_a_clearly_worse_candidate_and_names_the_figures():
    verdict = training.guardrail_verdict(candidate={"svd": figures(0.05)}, active={"svd": figures(0.10)})

    assert not verdict.accept
    assert "svd ndcg@10 0.0500 vs active 0.1000" in verdict.reason


def test_guardrail_tolerates_a_small_drop_within_the_tolerance():
    verdict = training.guardrail_verdict(
        candidate={"svd": figures(0.097, users=10**6)}, active={"svd": figures(0.10, users=10**6)}, tolerance=0.05
    )

    assert verdict.accept


def test_guardrail_knows_lower_rmse_is_better():
    worse = training.guardrail_verdict(
        candidate={"svd": figures(0.1, rmse=1.05)}, active={"svd": figures(0.1, rmse=0.90)}
    )
    better = training.guardrail_verdict(
        candidate={"svd": figures(0.1, rmse=0.85)}, active={"svd": figures(0.1, rmse=0.90)}
    )

    assert not worse.accept and "rmse" in worse.reason
    assert better.accept


def test_the_same_drop_is_noise_on_a_small_holdout_and_a_regression_on_a_large_one():
    # given a drop from 0.40 to 0.33 NDCG@10
    small = training.guardrail_verdict(
        candidate={"svd": figures(0.33, users=60)}, active={"svd": figures(0.40, users=60)}
    )
    large = training.guardrail_verdict(
        candidate={"svd": figures(0.33, users=6000)}, active={"svd": figures(0.40, users=6000)}
    )

    # then 60 people cannot tell it from noise, 6000 can
    assert small.accept
    assert not large.accept


def concentrated(gini: float, top1: float) -> dict:
    return {**figures(0.1), "gini": gini, "top1_share": top1}


def test_a_version_that_narrows_what_people_see_is_flagged_and_refused_only_when_set_to(settings):
    narrower = {"blend": concentrated(0.95, 0.40)}
    active = {"blend": concentrated(0.80, 0.20)}

    settings.GUARDRAIL_REFUSE_CONCENTRATION = False
    warned = training.guardrail_verdict(candidate=narrower, active=active)
    settings.GUARDRAIL_REFUSE_CONCENTRATION = True
    refused = training.guardrail_verdict(candidate=narrower, active=active)
    similar = training.guardrail_verdict(candidate={"blend": concentrated(0.82, 0.22)}, active=active)

    assert warned.accept and "blend gini 0.950 vs active 0.800" in warned.reason
    assert not refused.accept and refused.reason.startswith("concentrates recommendations more")
    assert "top1_share 0.400 vs active 0.200" in refused.reason
    assert similar.accept  # within CONCENTRATION_TOLERANCE


def test_a_collapse_is_caught_even_on_a_small_holdout():
    verdict = training.guardrail_verdict(
        candidate={"svd": figures(0.0, users=30)}, active={"svd": figures(0.5, users=30)}
    )

    assert not verdict.accept


def test_fast_params_only_name_fields_the_algorithm_has():
    assert training.algorithm_params("popularity", fast=True) == {}
    assert training.algorithm_params("popularity", fast=False) == {}


def test_the_sites_time_budget_reaches_every_neural_model_and_the_blends_neural_components(settings):
    settings.TRAINING_TIME_BUDGET_SECONDS = 120

    assert training.algorithm_params("sequence", fast=False) == {"time_budget": 120.0}
    assert training.algorithm_params("popularity", fast=False) == {}
    blend = training.algorithm_params("blend", fast=False)["overrides"]
    assert blend["sequence"] == {"time_budget": 120.0} and "popularity" not in blend

    settings.TRAINING_TIME_BUDGET_SECONDS = 0
    assert training.algorithm_params("sequence", fast=False) == {}


def test_a_neural_fit_past_its_time_budget_stops_and_says_so():
    data, _, _ = planted(seed=0)
    model = build("ncf_implicit", epochs=10_000, factors=8, time_budget=0.5)

    started = time.perf_counter()
    model.fit(data)

    # then it stopped long before 10,000 epochs, still fitted, and recorded where it stopped
    assert time.perf_counter() - started < 30
    assert model.is_fitted
    curve = model.training_curve
    assert curve["stopped_after_seconds"] == 0.5
    assert 0 < curve["epochs_run"] < 10_000 and len(curve["loss"]) == math.ceil(curve["epochs_run"])


def test_every_family_member_fits_with_the_fast_params_a_blend_passing_them_to_its_components():
    data, _, _ = planted(seed=0)
    names = [name for family in FAMILIES.values() for name in family.members]

    fitted = {name: build(name, **training.algorithm_params(name, fast=True)).fit(data) for name in names}

    assert all(model.is_fitted for model in fitted.values())
    sequence = next(c for c in fitted["blend"].components if c.name == "sequence")
    assert sequence.config.epochs == training.FAST_OVERRIDES["epochs"]


# -- the database side -------------------------------------------------------------------------------------------------


@pytest.fixture
def sent(monkeypatch) -> list[dict]:
    """Messages the services would have published, instead of a broker."""
    messages: list[dict] = []

    def send(*, family: str, countdown: float, force: bool) -> bool:
        messages.append({"family": family, "countdown": countdown, "force": force})
        return True

    monkeypatch.setattr(training, "_send", send)
    return messages


@pytest.fixture
def popularity_only(monkeypatch, settings, tmp_path):
    """Every family trains popularity alone (quick, and independent of which algorithms exist yet)."""
    settings.MODEL_DIR = tmp_path
    for family in FAMILIES:
        monkeypatch.setitem(FAMILIES, family, Family(family, {"popularity": Role.POPULARITY}, frozenset(Change)))
    artifacts.cache_clear()


def state(family: str = "collaborative") -> TrainingState:
    return TrainingState.objects.get(family=family)


def some_ratings(*, people: int = 3, each: int = 8) -> None:
    """``people`` who each rated ``each`` movies (enough to be held out), one second apart."""
    movies = MovieFactory.create_batch(each + 2)
    for number in range(people):
        someone = UserFactory()
        for order in range(each):
            movie = movies[(number + order) % len(movies)]
            RatingFactory(user=someone, movie=movie, created=T0 + timedelta(seconds=order))


@pytest.mark.django_db
def test_a_burst_of_changes_counts_every_one_and_sends_one_message_per_family(sent, settings):
    settings.RETRAIN_DEBOUNCE_SECONDS = 30

    for _ in range(500):
        training.training_mark_dirty(families=training.RATING_FAMILIES)

    assert sorted(message["family"] for message in sent) == sorted(training.RATING_FAMILIES)
    # the quick families fall due first, the neural ones a little later
    countdowns = {message["family"]: message["countdown"] for message in sent}
    assert countdowns["collaborative"] == 30 < countdowns["content"] < countdowns["sequence"] < countdowns["ncf"]
    assert all(row.pending_changes == 500 for row in TrainingState.objects.all())


@pytest.mark.django_db
def test_a_failed_send_keeps_the_counter_and_frees_the_queue_slot_for_the_sweep(monkeypatch):
    monkeypatch.setattr(training, "_send", lambda **kwargs: False)

    training.training_mark_dirty(families=["collaborative"])

    assert state().pending_changes == 1 and state().queued_at is None


@pytest.mark.django_db
def test_only_one_claim_at_a_time():
    training.states_ensure()

    first = training._claim(family="collaborative")
    second = training._claim(family="collaborative")

    assert first is not None and second is None
    training._release(first, trained=False)
    assert training._claim(family="collaborative") is not None


@pytest.mark.django_db
def test_release_subtracts_only_the_snapshot_taken_at_the_start(sent):
    # given three changes counted before the run claimed, and two more during it
    for _ in range(3):
        training.training_mark_dirty(families=["collaborative"])
    claim = training._claim(family="collaborative")
    for _ in range(2):
        training.training_mark_dirty(families=["collaborative"])

    # when the run releases its claim
    pending = training._release(claim, trained=True)

    # then the two late ones are still pending
    assert claim.snapshot == 3 and pending == 2 == state().pending_changes


@pytest.mark.django_db
def test_a_run_trains_saves_and_activates_the_first_version(popularity_only, sent):
    some_ratings()
    training.training_mark_dirty(families=["collaborative"])

    version = training.family_train(family="collaborative", force=True)

    assert version.status == ModelVersion.Status.ACTIVE
    assert version.n_ratings == 24 and version.metrics["popularity"]["ranked_users"] == 3
    assert version.fit_seconds is not None and version.eval_seconds is not None
    assert artifacts.active_models("collaborative").keys() == {"popularity"}
    assert state().pending_changes == 0 and state().claimed_at is None


@pytest.mark.django_db
def test_a_neural_models_training_curve_is_kept_with_its_version(monkeypatch, settings, tmp_path, sent):
    settings.MODEL_DIR, settings.RECOMMENDER_FAST = tmp_path, True
    monkeypatch.setitem(FAMILIES, "sequence", Family("sequence", {"sequence": Role.UP_NEXT}, frozenset(Change)))
    artifacts.cache_clear()
    some_ratings(people=4, each=10)

    version = training.family_train(family="sequence", force=True)

    curve = version.metrics["sequence"]["training_curve"]
    loss, validation = curve["loss"], curve["validation_loss"]
    assert len(loss) == len(validation) == training.FAST_OVERRIDES["epochs"]
    assert all(np.isfinite(loss)) and all(np.isfinite(validation)) and min(validation) > 0
    stored = ModelVersion.objects.get(pk=version.pk).metrics["sequence"]["training_curve"]
    assert stored == {"loss": loss, "validation_loss": validation}


@pytest.mark.django_db
def test_a_duplicate_delivery_with_nothing_pending_does_nothing(popularity_only, sent, settings):
    settings.RETRAIN_DEBOUNCE_SECONDS = 0
    some_ratings()
    training.family_train(family="collaborative", force=True)

    assert training.family_train(family="collaborative") is None
    assert ModelVersion.objects.count() == 1


@pytest.mark.django_db
def test_a_queued_run_re_enqueues_itself_while_changes_keep_coming(popularity_only, sent, settings):
    settings.RETRAIN_DEBOUNCE_SECONDS = 30
    training.training_mark_dirty(families=["collaborative"])
    sent.clear()

    assert training.family_train(family="collaborative") is None

    assert sent == [{"family": "collaborative", "countdown": pytest.approx(30, abs=1), "force": False}]
    assert ModelVersion.objects.count() == 0 and state().queued_at is not None


@pytest.mark.django_db
def test_changes_during_a_run_queue_exactly_one_follow_up(popularity_only, sent, settings, monkeypatch):
    settings.RETRAIN_DEBOUNCE_SECONDS = 0
    some_ratings()
    training.training_mark_dirty(families=["collaborative"])
    sent.clear()
    export = training.snapshot_from_db

    def export_while_people_rate(**options):
        snapshot = export(**options)
        for _ in range(3):  # ratings committed while the run fits
            training.training_mark_dirty(families=["collaborative"])
        return snapshot

    monkeypatch.setattr(training, "snapshot_from_db", export_while_people_rate)

    training.family_train(family="collaborative")

    assert [message["family"] for message in sent] == ["collaborative"]
    assert state().pending_changes == 3 and state().queued_at is not None


@pytest.mark.django_db
def test_a_failed_run_keeps_the_previous_version_and_records_why(popularity_only, sent, monkeypatch):
    some_ratings()
    good = training.family_train(family="collaborative", force=True)
    training.training_mark_dirty(families=["collaborative"])
    roles = {"popularity": Role.POPULARITY, "no_such_algorithm": Role.SIMILAR}
    monkeypatch.setitem(FAMILIES, "collaborative", Family("collaborative", roles, frozenset(Change)))

    broken = training.family_train(family="collaborative", force=True)

    assert broken.status == ModelVersion.Status.FAILED and "no_such_algorithm" in broken.error
    good.refresh_from_db()
    assert good.status == ModelVersion.Status.ACTIVE
    assert state().pending_changes == 1 and state().backoff_until > timezone.now()


@pytest.mark.django_db
def test_a_candidate_failing_the_guardrail_is_rejected_with_the_figures(popularity_only, sent, monkeypatch):
    some_ratings()
    good = training.family_train(family="collaborative", force=True)
    monkeypatch.setattr(
        training, "guardrail_verdict", lambda **kwargs: training.Verdict(False, "ndcg@10 0.01 vs active 0.20")
    )

    rejected = training.family_train(family="collaborative", force=True)

    assert rejected.status == ModelVersion.Status.REJECTED and "0.01 vs active 0.20" in rejected.error
    good.refresh_from_db()
    assert good.status == ModelVersion.Status.ACTIVE


@pytest.fixture
def warms(monkeypatch) -> list[dict]:
    """Folding-in runs the training would have published after an activation."""
    published: list[dict] = []
    monkeypatch.setattr(folds_warm_task, "apply_async", lambda **options: published.append(options["kwargs"]))
    return published


@pytest.mark.django_db
def test_an_activation_sends_people_to_be_folded_into_the_new_models_and_a_rejection_does_not(
    popularity_only, sent, warms, monkeypatch
):
    some_ratings()

    training.family_train(family="collaborative", force=True)
    assert warms == [{"family": "collaborative"}]

    monkeypatch.setattr(training, "guardrail_verdict", lambda **kwargs: training.Verdict(False, "worse"))
    training.family_train(family="collaborative", force=True)
    assert warms == [{"family": "collaborative"}]


@pytest.mark.django_db
def test_a_broker_down_after_an_activation_costs_only_the_head_start(popularity_only, sent, monkeypatch, caplog):
    some_ratings()

    def down(**options):
        raise ConnectionError("broker down")

    monkeypatch.setattr(folds_warm_task, "apply_async", down)

    version = training.family_train(family="collaborative", force=True)

    assert version.status == ModelVersion.Status.ACTIVE
    assert "Could not enqueue folding people into the new collaborative models" in caplog.text


@pytest.mark.django_db
def test_rollback_reactivates_the_previous_version(popularity_only, sent):
    some_ratings()
    first = training.family_train(family="collaborative", force=True)
    second = training.family_train(family="collaborative", force=True)

    restored = training.family_rollback(family="collaborative")

    assert restored == first
    first.refresh_from_db(), second.refresh_from_db()
    assert first.status == ModelVersion.Status.ACTIVE and second.status == ModelVersion.Status.RETIRED


@pytest.mark.django_db
def test_sweep_enqueues_pending_families_that_have_no_run_queued(sent):
    training.states_ensure()
    TrainingState.objects.filter(family="ncf").update(pending_changes=4)
    TrainingState.objects.filter(family="sequence").update(pending_changes=2, queued_at=timezone.now())
    TrainingState.objects.filter(family="content").update(
        pending_changes=1, backoff_until=timezone.now() + timedelta(minutes=5)
    )

    report = training.training_sweep()

    assert report.enqueued == ["ncf"] and [message["family"] for message in sent] == ["ncf"]


@pytest.mark.django_db
def test_sweep_reclaims_a_run_whose_worker_stopped_sending_heartbeats(sent, settings):
    # given a claim whose last heartbeat is older than the stale timeout, and its half-done version
    settings.TRAINING_STALE_SECONDS = 60
    training.states_ensure()
    long_ago = timezone.now() - timedelta(minutes=5)
    TrainingState.objects.filter(family="content").update(
        claimed_at=long_ago, claimed_by="dead-worker", last_heartbeat=long_ago, pending_changes=3
    )
    orphan = ModelVersion.objects.create(family="content", algorithms=["content"], heartbeat=long_ago)
    TrainingState.objects.filter(family="ncf").update(
        claimed_at=long_ago, claimed_by="live-worker", last_heartbeat=timezone.now()
    )

    # when the sweep runs
    report = training.training_sweep()

    # then only the dead one is reclaimed and retried at once, and its version says why it failed
    assert report.reclaimed == ["content"]
    assert {"family": "content", "countdown": 0, "force": True} in sent
    assert state("content").claimed_at is None and state("ncf").claimed_by == "live-worker"
    orphan.refresh_from_db()
    assert orphan.status == ModelVersion.Status.FAILED and "heartbeat" in orphan.error


@pytest.mark.django_db
def test_a_rating_through_the_service_counts_for_every_family(sent, django_capture_on_commit_callbacks):
    from ratings.services import rating_upsert

    person, movie = UserFactory(), MovieFactory()  # their on-commit callbacks never run in this test transaction

    with django_capture_on_commit_callbacks(execute=True):
        rating_upsert(user=person, movie=movie, score=4)

    assert {row.family: row.pending_changes for row in TrainingState.objects.all()} == dict.fromkeys(
        training.RATING_FAMILIES, 1
    )


@pytest.mark.django_db
def test_a_catalog_edit_marks_only_the_families_that_read_the_catalog(sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        MovieFactory(title="Brand New")

    # content, and the star predictor, which blends the content model in; not the rating-only families.
    marked = TrainingState.objects.filter(pending_changes__gt=0).values_list("family", flat=True)
    assert sorted(marked) == ["content", "stars"]


def test_the_holdout_is_each_experienced_persons_latest_rating_and_newcomers_train_only():
    # given a person with 8 ratings and a newcomer with 2
    users = [1] * 8 + [2] * 2
    items = [10, 11, 12, 13, 14, 15, 16, 17, 10, 11]
    stamps = [1, 2, 3, 4, 5, 6, 8, 7, 1, 2]
    data = Interactions.from_ids(users, items, [4.0] * 10, stamps)

    # when split
    split = training.holdout_split(data, min_history=5)

    # then only the experienced person's latest rating is held out, and nothing is lost
    assert split.test.user_ids[split.test.users].tolist() == [1]
    assert split.test.item_ids[split.test.items].tolist() == [16]
    assert len(split.train) + len(split.test) == len(data)


def test_a_large_holdout_is_a_seeded_sample_of_people_and_the_rest_keep_their_latest_rating():
    # given 40 people with 7 ratings each
    rng = np.random.default_rng(3)
    users = np.repeat(np.arange(40), 7)
    items = np.concatenate([rng.choice(100, size=7, replace=False) for _ in range(40)])
    data = Interactions.from_ids(users, items, np.full(len(users), 4.0), np.tile(np.arange(7), 40))

    # when split with room for 10 people, twice
    first = training.holdout_split(data, min_history=5, max_people=10)
    again = training.holdout_split(data, min_history=5, max_people=10)

    # then 10 different people hold out one rating each, the same 10 both times, and nothing is lost
    held = first.test.user_ids[first.test.users]
    assert len(held) == 10 and len(set(held.tolist())) == 10
    assert held.tolist() == again.test.user_ids[again.test.users].tolist()
    assert len(first.train) + len(first.test) == len(data)
    assert "sample of 10 of 40" in first.name
    # and with no limit, all 40 are held out
    assert len(training.holdout_split(data, min_history=5, max_people=None).test) == 40


@pytest.mark.django_db
def test_a_retrain_request_sends_a_forced_run_unless_a_queued_run_will_train_pending_changes(sent):
    # given nothing pending: the request sends a forced run
    assert training.training_request(family="ncf")
    assert sent == [{"family": "ncf", "countdown": 0, "force": True}]

    # given a debounced run already queued for pending changes: the request relies on it
    sent.clear()
    training.training_mark_dirty(families=["ncf"])
    sent.clear()
    assert training.training_request(family="ncf")
    assert sent == []


@pytest.mark.django_db
def test_forced_requests_for_a_family_already_queued_or_training_coalesce_into_one_run(sent, settings):
    # given five forced requests in a row: one run is sent
    assert all(training.training_request(family="ncf") for _ in range(5))
    assert sent == [{"family": "ncf", "countdown": 0, "force": True}]

    # given that run has started training: more requests still join it
    claim = training._claim(family="ncf")
    assert training.training_request(family="ncf")
    assert len(sent) == 1

    # once it is over, the next request sends a new run
    training._release(claim, trained=True)
    assert training.training_request(family="ncf")
    assert len(sent) == 2


@pytest.mark.django_db
def test_a_forced_request_whose_message_was_lost_is_sent_again_after_the_stale_limit(sent, settings):
    assert training.training_request(family="ncf")
    TrainingState.objects.filter(family="ncf").update(
        forced_at=timezone.now() - timedelta(seconds=settings.TRAINING_STALE_SECONDS + 1)
    )

    assert training.training_request(family="ncf")

    assert len(sent) == 2


@pytest.mark.django_db
def test_five_retrain_calls_through_the_api_queue_one_run(sent, api_as):
    staff = UserFactory(is_staff=True, permissions=[RETRAIN])

    answers = [api_as(staff).post("/api/v1/models/retrain/", {"families": ["ncf"]}, format="json") for _ in range(5)]

    assert [answer.status_code for answer in answers] == [202] * 5
    assert sent == [{"family": "ncf", "countdown": 0, "force": True}]


# -- the command and the admin -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_train_sync_trains_the_named_families_and_ends_with_a_summary(popularity_only, sent):
    some_ratings()
    out = StringIO()

    call_command("train", "--sync", "--family", "collaborative", "--family", "content", stdout=out)

    trained = set(ModelVersion.objects.values_list("family", "status"))
    assert trained == {("collaborative", "active"), ("content", "active")}
    assert out.getvalue().splitlines()[-1].startswith("Trained collaborative v")


@pytest.mark.django_db
def test_train_missing_skips_families_that_have_an_active_version(popularity_only, sent):
    some_ratings()
    training.family_train(family="collaborative", force=True)

    call_command("train", "--missing", stdout=StringIO())

    assert sorted(message["family"] for message in sent) == ["blend", "content", "ncf", "sequence", "stars"]


@pytest.mark.django_db
def test_admin_lists_versions_and_rolls_back(popularity_only, sent, admin_client):
    some_ratings()
    first = training.family_train(family="collaborative", force=True)
    second = training.family_train(family="collaborative", force=True)

    listing = admin_client.get("/admin/recommender/modelversion/")
    response = admin_client.post(
        "/admin/recommender/modelversion/", {"action": "roll_back", "_selected_action": [second.pk]}, follow=True
    )

    assert listing.status_code == 200 and b"popularity" in listing.content
    assert response.status_code == 200
    first.refresh_from_db()
    assert first.status == ModelVersion.Status.ACTIVE


@pytest.mark.django_db
def test_a_movielens_import_marks_every_family_for_retraining(sent, tmp_path, django_capture_on_commit_callbacks):
    # given a small ml-100k folder (the import writes in bulk, so no per-rating listener fires)
    folder = write_ml100k(tmp_path / "ml-100k")

    # when it is imported and the transaction commits
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_movielens", "ml-100k", "--path", str(folder), "--quiet", stdout=StringIO())

    # then every family has the change counted and a run on its way
    assert {row.family: row.pending_changes for row in TrainingState.objects.all()} == dict.fromkeys(FAMILIES, 1)
    assert sorted(message["family"] for message in sent) == sorted(FAMILIES)


@pytest.mark.django_db
def test_a_site_without_ratings_has_nothing_to_train_and_fails_nothing(popularity_only, sent):
    # given a catalog nobody has rated yet
    MovieFactory.create_batch(3)

    # when a forced run is asked for
    version = training.family_train(family="collaborative", force=True)

    # then no version is made, none failed, and the claim is free again
    assert version is None
    assert not ModelVersion.objects.exists()
    assert state().claimed_at is None


@pytest.mark.django_db
def test_a_blend_retrain_fits_each_model_once_per_data_and_serves_the_weights_it_measured(
    settings, tmp_path, monkeypatch
):
    # given ratings, fast settings, and the rows replayed on the holdout
    settings.MODEL_DIR, settings.RECOMMENDER_FAST, settings.MEASURE_SERVED_ROWS = tmp_path, True, True
    some_ratings(people=6)
    blend, knn = type(build("blend")), type(build("item_knn"))
    calls: dict[str, list] = {"fit": [], "refit": [], "knn": []}
    fit, refit, knn_fit = blend.fit, blend.refit, knn.fit

    def counted_fit(self, data):
        calls["fit"].append(len(data))
        return fit(self, data)

    def counted_refit(self, data, *, tuned):
        calls["refit"].append((len(data), tuned))
        return refit(self, data, tuned=tuned)

    def counted_knn(self, data):
        calls["knn"].append(data)
        return knn_fit(self, data)

    monkeypatch.setattr(blend, "fit", counted_fit)
    monkeypatch.setattr(blend, "refit", counted_refit)
    monkeypatch.setattr(knn, "fit", counted_knn)

    # when the blend family retrains
    version = training.family_train(family="blend", force=True)

    # then the blend was fitted on the holdout's training part, and refitted on everything with that fit's
    # weights; the rows' replay reused the holdout fit
    assert version.row_metrics
    assert calls["fit"][0] < version.n_ratings and len(calls["fit"]) == 1
    [(refitted_on, tuned)] = calls["refit"]
    assert refitted_on == version.n_ratings
    served = artifacts.artifact_load(version)["blend"]
    np.testing.assert_array_equal(served.weights, tuned.weights)
    # item kNN, held by the blend, the collaborative family and the star predictor, was fitted once per data
    # set: the blend's validation part, the holdout's training part, the star predictor's validation part,
    # and everything
    assert len(calls["knn"]) == len({id(data) for data in calls["knn"]}) == 4


@pytest.mark.django_db
def test_when_the_holdout_is_a_sliver_of_the_ratings_the_models_measured_are_the_models_served(
    settings, tmp_path, monkeypatch
):
    # given a site that serves the holdout fit when at most all of the ratings are held out
    settings.MODEL_DIR, settings.RECOMMENDER_FAST, settings.TRAINING_REFIT_SHARE = tmp_path, True, 1.0
    some_ratings(people=6)
    blend = type(build("blend"))
    fitted = []
    fit = blend.fit

    def counted_fit(self, data):
        fitted.append(self)
        return fit(self, data)

    monkeypatch.setattr(blend, "fit", counted_fit)
    monkeypatch.setattr(blend, "refit", lambda self, data, *, tuned: pytest.fail("refitted"))

    # when the blend family retrains
    version = training.family_train(family="blend", force=True)

    # then the one blend fitted, on the holdout's training part, is the one saved, weights and components alike
    [measured] = fitted
    served = artifacts.artifact_load(version)["blend"]
    assert version.status == ModelVersion.Status.ACTIVE
    np.testing.assert_array_equal(served.weights, measured.weights)
    np.testing.assert_array_equal(served.log_counts, measured.log_counts)
    history = Interactions.from_ids([1, 1], [1, 2], [4.0, 5.0]).history(0)
    np.testing.assert_allclose(served.score(history, measured.item_ids), measured.score(history, measured.item_ids))


@pytest.mark.django_db
@pytest.mark.parametrize(("share", "served_holdout"), [(0.0, False), (1.0, True)])
def test_the_refit_share_decides_whether_the_served_models_learned_from_the_held_out_ratings(
    settings, tmp_path, share, served_holdout
):
    settings.MODEL_DIR, settings.RECOMMENDER_FAST, settings.TRAINING_REFIT_SHARE = tmp_path, True, share
    some_ratings(people=6)

    version = training.family_train(family="collaborative", force=True)

    popularity = artifacts.artifact_load(version)["popularity"]
    held_out = version.metrics["popularity"]["ranked_users"]  # one rating each
    assert held_out > 0
    assert popularity.counts.sum() == version.n_ratings - (held_out if served_holdout else 0)
