"""Training services: mark work after a change, debounce, claim, fit, evaluate, guard, activate, sweep.

The lifecycle of one family's retrain:

1. ``training_mark_dirty`` (after a rating or catalog change commits) bumps the
   family's durable ``pending_changes`` counter with F() and, unless a run is
   already queued, enqueues one with a countdown of RETRAIN_DEBOUNCE_SECONDS (plus
   a small per-family stagger, quickest family first).
2. ``family_train`` waits out the debounce (re-enqueueing itself while changes
   keep coming, never past MAX_WAIT_FACTOR debounces), claims the family with a
   conditional UPDATE, snapshots the counter, exports, fits, evaluates on a
   temporal holdout, saves, and activates only if the guardrail passes.
3. At the end it subtracts the snapshot; if changes arrived meanwhile it enqueues one follow-up.
4. ``training_sweep`` (beat, every RETRAIN_SWEEP_SECONDS) re-enqueues what a broker
   outage dropped and reclaims runs whose worker stopped sending heartbeats.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone

from ratings.models import Rating
from recommender import artifacts
from recommender.algorithms import build, components
from recommender.algorithms.base import Recommender, set_progress
from recommender.algorithms.interactions import Interactions
from recommender.data import snapshot_from_db
from recommender.evaluation import served
from recommender.evaluation.runner import PROTOCOLS, evaluate_split
from recommender.evaluation.splitting import Split, shuffle_ties
from recommender.families import FAMILIES, Change, Role, families_stale_after
from recommender.models import ModelVersion, TrainingState

logger = logging.getLogger(__name__)

Log = Callable[[str], None]

#: Families retrained when ratings or feedback change, and when the catalog changes.
RATING_FAMILIES: tuple[str, ...] = tuple(families_stale_after(Change.RATINGS))
CATALOG_FAMILIES: tuple[str, ...] = tuple(families_stale_after(Change.CATALOG))
IMPORT_FAMILIES: tuple[str, ...] = tuple(families_stale_after(Change.IMPORT))

#: A queued run waits for RETRAIN_DEBOUNCE_SECONDS of quiet, but never longer than this many debounces,
#: so a site where people rate all the time still retrains.
MAX_WAIT_FACTOR = 10
#: Families fall due this many seconds apart, in FAMILIES order (quickest first), so that when a burst makes
#: every family due at once, scarce worker slots go to the quick families before the long neural fits.
STAGGER_SECONDS = 2.0
#: Holdout metrics the guardrail compares: whether higher is better, and the figure counting their sample.
GUARDED_METRICS: dict[str, tuple[bool, str]] = {
    "ndcg@10": (True, "ranked_users"),
    "hr@10": (True, "ranked_users"),
    "rmse": (False, "test_ratings"),
}
#: Model health: a candidate "concentrates" when it raises one of these figures (ranked lists' Gini over the
#: catalog, and the share of slots the most popular 1% take) by more than this, absolute, over the active version.
#: The models page warns; with GUARDRAIL_REFUSE_CONCENTRATION the guardrail also refuses it.
CONCENTRATION_METRICS = ("gini", "top1_share")
CONCENTRATION_TOLERANCE = 0.05
#: A candidate may be this much (relative) worse than the active version on a guarded metric and still activate.
GUARDRAIL_TOLERANCE = 0.05
#: ... or this many standard errors of the difference, when that is more (small holdouts are noisy).
GUARDRAIL_STANDARD_ERRORS = 2.0
#: After a failed run, automatic (non-forced) runs of the family wait this long.
FAILURE_BACKOFF = timedelta(minutes=10)
#: Artifacts kept per family besides the active one (rollback targets); older ones are deleted.
KEEP_ARTIFACTS = 5
#: Hyper-parameters that make every algorithm quick, for tests and the first `make demo` (RECOMMENDER_FAST=1).
FAST_OVERRIDES: dict[str, Any] = {
    "epochs": 2,
    "burn_in": 1,
    "samples": 1,
    "factors": 8,
    "hidden": 16,
    "layers": (16, 8),
    "fold_in_steps": 5,
}
#: Only people with more ratings than this are held out, so the holdout measures the same kind of person
#: from run to run (a wave of newcomers with one rating each would otherwise swing every metric).
HOLDOUT_MIN_HISTORY = 5
#: At most this many people are held out, a seeded sample of those eligible, so the guardrail's evaluation
#: costs the same at 100k and at 25M ratings. Its figures carry their standard errors (``ndcg@10_se``),
#: and the guardrail's margin grows with them: 5,000 people put NDCG@10's standard error near 0.004.
HOLDOUT_MAX_PEOPLE = 5_000
HOLDOUT_SEED = 0
#: Holdout figures stored on a version (the harness computes more).
STORED_METRICS = (
    "ndcg@10",
    "ndcg@10_se",
    "hr@10",
    "hr@10_se",
    "rmse",
    "mae",
    "coverage",
    "novelty",
    "diversity",
    "gini",
    "effective_catalog",
    "top1_share",
    "ranked_users",
    "test_ratings",
)


# -- pure rules ------------------------------------------------------------------------------------------------------


def debounce_remaining(
    *, now: datetime, last_change_at: datetime | None, queued_at: datetime | None, debounce: float
) -> float:
    """Seconds a queued run should still wait: until ``debounce`` seconds after the last change, capped at
    ``MAX_WAIT_FACTOR * debounce`` after it was queued. 0 means run now."""
    if last_change_at is None or debounce <= 0:
        return 0.0
    due = last_change_at + timedelta(seconds=debounce)
    if queued_at is not None:
        due = min(due, queued_at + timedelta(seconds=debounce * MAX_WAIT_FACTOR))
    return max(0.0, (due - now).total_seconds())


@dataclass(frozen=True)
class Verdict:
    accept: bool
    reason: str


def family_debounce(family: str) -> float:
    """Seconds of quiet ``family`` waits for after the last change: the debounce plus its place in the order
    (no debounce configured means no waiting at all)."""
    debounce = settings.RETRAIN_DEBOUNCE_SECONDS
    return debounce + list(FAMILIES).index(family) * STAGGER_SECONDS if debounce > 0 else 0.0


def guardrail_verdict(
    *,
    candidate: Mapping[str, Mapping[str, Any]],
    active: Mapping[str, Mapping[str, Any]] | None,
    tolerance: float = GUARDRAIL_TOLERANCE,
) -> Verdict:
    """Accept ``candidate`` (holdout metrics per algorithm) unless a guarded metric of an algorithm both
    versions have is worse than the active one's beyond the allowed margin (see ``regression_margin``).

    Two versions of one member each are compared even when their algorithms differ: in a family of one, the
    member plays the family's one part whatever its algorithm (Up next went from a GRU to item transitions), so
    a new algorithm must do that part at least as well on the site's own ratings.
    """
    if not active:
        return Verdict(True, "no active version to compare with")
    if len(candidate) == len(active) == 1 and candidate.keys() != active.keys():
        (name,), ((former, former_figures),) = candidate, active.items()
        active = {name: former_figures}
        replaced = f" (against the active {former})"
    else:
        replaced = ""
    worse, compared = [], []
    for algorithm, figures in candidate.items():
        previous = active.get(algorithm)
        if not previous:
            continue
        for metric, (higher_is_better, sample) in GUARDED_METRICS.items():
            new, old = figures.get(metric), previous.get(metric)
            if new is None or old is None:
                continue
            margin = regression_margin(
                metric=metric,
                old=old,
                new=new,
                n_old=previous.get(sample) or 1,
                n_new=figures.get(sample) or 1,
                tolerance=tolerance,
            )
            drop = (old - new) if higher_is_better else (new - old)
            line = f"{algorithm} {metric} {new:.4f} vs active {old:.4f}{replaced} (allowed ±{margin:.4f})"
            (worse if drop > margin else compared).append(line)
    if worse:
        return Verdict(False, "worse than the active version: " + "; ".join(worse))
    concentrated = concentration_increase(candidate=candidate, active=active)
    if concentrated and settings.GUARDRAIL_REFUSE_CONCENTRATION:
        return Verdict(False, "concentrates recommendations more than the active version: " + "; ".join(concentrated))
    return Verdict(True, "; ".join(compared + concentrated) or "no metric in common with the active version")


def concentration_increase(
    *, candidate: Mapping[str, Mapping[str, Any]], active: Mapping[str, Mapping[str, Any]] | None
) -> list[str]:
    """Where ``candidate`` narrows what people see noticeably more than ``active`` (see CONCENTRATION_METRICS)."""
    found = []
    for algorithm, figures in candidate.items():
        previous = (active or {}).get(algorithm) or {}
        for metric in CONCENTRATION_METRICS:
            new, old = figures.get(metric), previous.get(metric)
            if new is not None and old is not None and new - old > CONCENTRATION_TOLERANCE:
                found.append(f"{algorithm} {metric} {new:.3f} vs active {old:.3f}")
    return found


def regression_margin(*, metric: str, old: float, new: float, n_old: int, n_new: int, tolerance: float) -> float:
    """How much worse ``new`` may be than ``old`` before it counts as a regression.

    The larger of ``tolerance`` (relative to ``old``) and GUARDRAIL_STANDARD_ERRORS standard errors of
    the difference of two independent holdout means. Ranking metrics are per-user values in [0, 1], so
    a mean m over n users has variance at most m(1-m)/n; RMSE's standard error is about RMSE/sqrt(2n).
    """
    if metric == "rmse":
        variance = old**2 / (2 * n_old) + new**2 / (2 * n_new)
    else:
        variance = old * (1 - old) / n_old + new * (1 - new) / n_new
    return max(tolerance * abs(old), GUARDRAIL_STANDARD_ERRORS * math.sqrt(max(variance, 0.0)))


def holdout_split(
    data: Interactions, *, min_history: int = HOLDOUT_MIN_HISTORY, max_people: int | None = HOLDOUT_MAX_PEOPLE
) -> Split:
    """Temporal leave-last-out, holding out only people with more than ``min_history`` ratings, and of
    those at most ``max_people``, a sample seeded by HOLDOUT_SEED (None: everyone eligible).

    The people left out of the sample keep their latest rating in training, so every model still learns
    from all the data; only the evaluation is sampled.
    """
    # Ties in time are broken at random, as in the benchmark's temporal protocol (see shuffle_ties).
    shuffled = shuffle_ties(data)
    held_out = shuffled.latest(more_than=min_history)
    name = f"temporal leave-last-out, people with more than {min_history} ratings"
    eligible = np.unique(shuffled.users[held_out])
    if max_people is not None and len(eligible) > max_people:
        chosen = np.zeros(shuffled.n_users, dtype=bool)
        chosen[np.random.default_rng(HOLDOUT_SEED).choice(eligible, size=max_people, replace=False)] = True
        held_out &= chosen[shuffled.users]
        name += f", a seeded sample of {max_people:,} of {len(eligible):,}"
    return Split(name, shuffled.select(~held_out), shuffled.select(held_out))


def algorithm_params(name: str, *, fast: bool) -> dict[str, Any]:
    """Config overrides for ``name``: the site's time budget for a neural model (TRAINING_TIME_BUDGET_SECONDS);
    the fast settings its config knows when ``fast``; for a blend or hybrid, those of each of its components."""
    config = build(name).config
    fields = {field.name for field in dataclasses.fields(config)}
    params = {key: value for key, value in FAST_OVERRIDES.items() if key in fields} if fast else {}
    if "time_budget" in fields and settings.TRAINING_TIME_BUDGET_SECONDS:
        params["time_budget"] = float(settings.TRAINING_TIME_BUDGET_SECONDS)
    if "components" in fields and "overrides" in fields:
        overrides = {component: algorithm_params(component, fast=fast) for component in config.components}
        if any(overrides.values()):
            params["overrides"] = {component: found for component, found in overrides.items() if found}
    return params


# -- marking work and enqueueing -------------------------------------------------------------------------------------


def states_ensure(*, families: Iterable[str] = FAMILIES) -> None:
    """Create the missing TrainingState rows (idempotent, safe under concurrency)."""
    TrainingState.objects.bulk_create([TrainingState(family=family) for family in families], ignore_conflicts=True)


def training_mark_dirty(*, families: Iterable[str]) -> None:
    """Count one change for each of ``families`` and make sure a debounced run is on its way.

    Runs after the change committed. The counter is durable, so when the broker is
    down the change is only logged here and the sweep enqueues the run later.
    """
    families = list(families)
    now = timezone.now()
    bump = {"pending_changes": F("pending_changes") + 1, "last_change_at": now}
    if TrainingState.objects.filter(family__in=families).update(**bump) < len(families):
        states_ensure(families=families)
        TrainingState.objects.filter(family__in=families).update(**bump)
    idle = TrainingState.objects.filter(family__in=families, queued_at=None).values_list("family", flat=True)
    for family in list(idle):
        training_enqueue(family=family, countdown=family_debounce(family))


def training_enqueue(*, family: str, countdown: float = 0) -> bool:
    """Enqueue a run of ``family`` unless one is already queued; True when this call sent one.

    ``queued_at`` is taken with a conditional UPDATE so concurrent callers send one
    message between them. If sending fails it is released again, for the sweep.
    """
    now = timezone.now()
    if not TrainingState.objects.filter(family=family, queued_at=None).update(queued_at=now):
        return False
    if _send(family=family, countdown=countdown, force=False):
        return True
    TrainingState.objects.filter(family=family, queued_at=now).update(queued_at=None)
    return False


def training_request(*, family: str) -> bool:
    """Make sure ``family`` retrains soon even with nothing pending (admin, CLI, reclaim): enqueue a forced
    run that skips the debounce, unless a queued run will train pending changes anyway."""
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; known: {', '.join(FAMILIES)}")
    states_ensure(families=[family])
    now = timezone.now()
    # A queued run with changes pending trains anyway; a forced one beside it would only repeat its work.
    queued = TrainingState.objects.filter(family=family, pending_changes__gt=0, queued_at__isnull=False).filter(
        Q(backoff_until__isnull=True) | Q(backoff_until__lte=now)
    )
    if queued.exists():
        return True
    # Requests while a forced run is queued or a run is training coalesce into it: one conditional UPDATE lets
    # exactly one of several concurrent requests enqueue. A mark older than the stale limit is a lost message.
    stale = now - timedelta(seconds=settings.TRAINING_STALE_SECONDS)
    running = Q(claimed_at__isnull=False, last_heartbeat__gte=stale)
    waiting = Q(forced_at__isnull=False, forced_at__gte=stale)
    if not TrainingState.objects.filter(family=family).exclude(running | waiting).update(forced_at=now):
        return True
    if _send(family=family, countdown=0, force=True):
        return True
    TrainingState.objects.filter(family=family, forced_at=now).update(forced_at=None)
    return False


def _send(*, family: str, countdown: float, force: bool) -> bool:
    from recommender.tasks import family_retrain_task  # the task module imports this one

    try:
        # No publish retries: a rating's response must not wait on a dead broker; the sweep catches up.
        family_retrain_task.apply_async(kwargs={"family": family, "force": force}, countdown=countdown, retry=False)
    except Exception:
        logger.exception("Could not enqueue a %s retrain; the sweep will enqueue it once the broker is back", family)
        return False
    return True


def _send_folds_warm(*, family: str) -> None:
    from recommender.tasks import folds_warm_task

    if settings.FOLD_WARM_PEOPLE <= 0:
        return
    try:
        folds_warm_task.apply_async(kwargs={"family": family}, retry=False)
    except Exception:  # only a head start is lost: each person is folded on their next visit instead
        logger.exception("Could not enqueue folding people into the new %s models", family)


# -- one run ---------------------------------------------------------------------------------------------------------


@dataclass
class _Claim:
    family: str
    token: str
    snapshot: int


def _claim(*, family: str) -> _Claim | None:
    """Take the family's claim with a conditional UPDATE; None when another run holds it."""
    now = timezone.now()
    token = f"{socket.gethostname()[:40]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    claimed = TrainingState.objects.filter(family=family, claimed_at=None).update(
        claimed_at=now, claimed_by=token, last_heartbeat=now, queued_at=None, forced_at=None
    )
    if not claimed:
        return None
    # Read after claiming and before exporting: every change counted here committed before the export starts.
    snapshot = TrainingState.objects.values_list("pending_changes", flat=True).get(family=family)
    return _Claim(family=family, token=token, snapshot=snapshot)


def _release(claim: _Claim, *, trained: bool, failed: bool = False) -> int:
    """Give the claim back; ``trained`` subtracts the snapshot. Returns the changes still pending."""
    changes: dict[str, Any] = {"claimed_at": None, "claimed_by": "", "last_heartbeat": None}
    if trained:
        changes["pending_changes"] = Greatest(F("pending_changes") - claim.snapshot, 0)
        changes["backoff_until"] = None
    if failed:
        changes["backoff_until"] = timezone.now() + FAILURE_BACKOFF
    if not TrainingState.objects.filter(family=claim.family, claimed_by=claim.token).update(**changes):
        logger.warning("The %s claim %s was taken over before the run ended", claim.family, claim.token)
        return 0
    return TrainingState.objects.values_list("pending_changes", flat=True).get(family=claim.family)


def _heartbeat_interval() -> float:
    return max(0.5, min(30.0, settings.TRAINING_STALE_SECONDS / 6))


@contextmanager
def _heartbeat(claim: _Claim, version: ModelVersion) -> Iterator[None]:
    """Write heartbeats from a side thread while the main thread fits (algorithms know nothing of Django)."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(_heartbeat_interval()):
                now = timezone.now()
                try:
                    if not TrainingState.objects.filter(family=claim.family, claimed_by=claim.token).update(
                        last_heartbeat=now
                    ):
                        logger.warning("%s run %s lost its claim", claim.family, claim.token)
                    ModelVersion.objects.filter(pk=version.pk).update(heartbeat=now)
                except Exception:
                    logger.exception("Could not write the %s training heartbeat", claim.family)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"heartbeat-{claim.family}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def family_train(*, family: str, force: bool = False, log: Log | None = None) -> ModelVersion | None:
    """One retrain of ``family`` (see the module docstring). Returns the new version, or None when it did not run.

    Without ``force`` it honours the debounce, a failure back-off and an empty counter
    (a duplicate delivery is then a no-op); with it, it trains whenever the claim is free.
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; known: {', '.join(FAMILIES)}")
    say = log or (lambda message: logger.info("%s", message))
    states_ensure(families=[family])
    now = timezone.now()
    state = TrainingState.objects.get(family=family)
    if not force:
        wait = debounce_remaining(
            now=now,
            last_change_at=state.last_change_at,
            queued_at=state.queued_at,
            debounce=family_debounce(family),
        )
        if wait > 0.5:
            # Changes are still coming: run later, keeping queued_at so no second run gets queued meanwhile.
            if not _send(family=family, countdown=wait, force=False):
                TrainingState.objects.filter(family=family).update(queued_at=None)
            return None
        if state.backoff_until and state.backoff_until > now:
            TrainingState.objects.filter(family=family).update(queued_at=None)
            say(f"{family}: last run failed, automatic retries wait until {state.backoff_until:%H:%M:%S}")
            return None

    claim = _claim(family=family)
    if claim is None:
        # A run is in progress; it enqueues the follow-up itself when it ends. Only clear queued_at while that
        # run still holds the claim: if it released the claim just now, take it instead.
        if TrainingState.objects.filter(family=family, claimed_at__isnull=False).update(queued_at=None):
            say(f"{family}: already training elsewhere; it will queue the follow-up")
            return None
        claim = _claim(family=family)
        if claim is None:
            return None
    if not Rating.objects.exists():
        # An empty site (a fresh install, a demo without data) has nothing to learn; serving falls back to
        # popularity. The counter is kept, so the first ratings start a run as usual.
        _release(claim, trained=False)
        say(f"{family}: no ratings yet, nothing to learn")
        return None
    has_active = ModelVersion.objects.filter(family=family, status=ModelVersion.Status.ACTIVE).exists()
    if not force and claim.snapshot == 0 and has_active:
        _release(claim, trained=False)
        say(f"{family}: nothing changed since the last training")
        return None
    version = _version_train(claim, say=say)
    failed = version.status == ModelVersion.Status.FAILED
    pending = _release(claim, trained=not failed, failed=failed)
    if pending and not failed:
        training_enqueue(family=family, countdown=family_debounce(family))
    if version.status == ModelVersion.Status.ACTIVE:
        _send_folds_warm(family=family)
    return version


def _version_train(claim: _Claim, *, say: Log) -> ModelVersion:
    """Fit, evaluate, save and (guardrail permitting) activate one version under ``claim``."""
    family = claim.family
    names = FAMILIES[family].members
    fast = settings.RECOMMENDER_FAST
    version = ModelVersion.objects.create(
        family=family,
        algorithms=names,
        status=ModelVersion.Status.TRAINING,
        started=timezone.now(),
        heartbeat=timezone.now(),
    )
    try:
        with _heartbeat(claim, version):
            # Incremental: a retrain reads what changed since this host's last export, checked against the
            # per-movie statistics, instead of every rating again.
            snapshot = snapshot_from_db(incremental=True)
            data = snapshot.interactions
            version.n_ratings, version.n_users, version.n_items = len(data), data.n_users, data.n_items
            version.last_rating_id = snapshot.last_rating_id
            if len(data):
                version.last_rated_at = datetime.fromtimestamp(float(data.timestamps.max()), tz=UTC)
            say(f"{version.label}: {len(data)} ratings, {data.n_users} people, {data.n_items} movies ({snapshot.how})")
            params = {name: algorithm_params(name, fast=fast) for name in names}

            started = time.perf_counter()
            split = holdout_split(data)
            metrics, holdout_models = {}, {}
            # A component fitted on the holdout's training part is fitted once, however many of the blends and
            # the replayed families hold it.
            with components.fits_shared():
                for name in names:
                    holdout_models[name] = build(name, **params[name])
                    holdout_models[name].validation = split.test  # torch models report their loss on it per epoch
                    holdout_models[name].fit(split.train)
                    result = evaluate_split(holdout_models[name], split, PROTOCOLS["temporal"])
                    metrics[name] = {key: result.get(key) for key in STORED_METRICS}
                    say(f"{version.label}: {name} holdout " + _figures(metrics[name]))
                if Role.TOP_PICKS in FAMILIES[family].roles.values() and settings.MEASURE_SERVED_ROWS:
                    version.row_metrics = _served_rows(family, holdout_models, split, fast=fast)
                    say(f"{version.label}: rows on the holdout: " + _row_figures(version.row_metrics))
            version.eval_seconds = time.perf_counter() - started

            # Refit on everything: the newest ratings are the reason this run exists. A stacked model keeps the
            # weights its holdout fit learned (and was measured with), and fits its components once more. When the
            # holdout kept back only a sliver of the ratings, the holdout fit is served instead: a refit would
            # double the run for ratings the models still read from each person's history when they serve them.
            started = time.perf_counter()
            share = len(split.test) / max(len(data), 1)
            serve_holdout = share <= settings.TRAINING_REFIT_SHARE
            if serve_holdout:
                say(f"{version.label}: serving the models measured ({len(split.test):,} ratings held out, {share:.2%})")
            models: dict[str, Recommender] = {}
            for name in names:
                if serve_holdout:
                    models[name], holdout_models[name].validation = holdout_models[name], None
                else:
                    models[name] = build(name, **params[name]).refit(data, tuned=holdout_models[name])
                if models[name].training_curve:  # kept with the version: the models page plots it
                    # The loss of the fit that is served; the validation loss of the same settings' holdout fit.
                    held_out = holdout_models[name].training_curve.get("validation_loss")
                    metrics[name]["training_curve"] = {
                        **models[name].training_curve,
                        **({"validation_loss": held_out} if held_out else {}),
                    }
                say(f"{version.label}: fitted {name}")
            version.fit_seconds = time.perf_counter() - started
            version.params = {name: models[name].config.to_dict() for name in names}
            version.metrics = metrics
            version.save()
            artifacts.artifact_save(version=version, models=models)
    except Exception as error:
        version.status = ModelVersion.Status.FAILED
        version.error = "".join(traceback.format_exception(error))[-4000:]
        version.finished = timezone.now()
        version.save()
        logger.exception("Training %s failed; the active version keeps serving", version.label)
        say(f"{version.label}: FAILED: {error}")
        return version

    version.status = ModelVersion.Status.READY
    version.finished = timezone.now()
    version.save(update_fields=["status", "finished"])
    active = ModelVersion.objects.filter(family=family, status=ModelVersion.Status.ACTIVE).first()
    verdict = guardrail_verdict(candidate=version.metrics, active=active.metrics if active else None)
    if verdict.accept and version_activate(version=version, claim_token=claim.token):
        say(f"{version.label}: activated ({verdict.reason})")
    else:
        reason = verdict.reason if not verdict.accept else "the claim was taken over during training"
        ModelVersion.objects.filter(pk=version.pk).update(status=ModelVersion.Status.REJECTED, error=reason)
        version.refresh_from_db()
        say(f"{version.label}: rejected: {reason}")
    artifacts_prune(family=family)
    return version


def _served_rows(family: str, own: dict[str, Recommender], split: Split, *, fast: bool) -> dict[str, dict[str, float]]:
    """The home page's rows replayed on the holdout: this family's holdout models, every other family's
    members fitted on the same training part (``recommender.evaluation.served``)."""
    others = [name for other in FAMILIES.values() if other.name != family for name in other.members]
    # This family's holdout models are already fitted: fitting them again (without the site's time budget) only
    # doubled the cost.
    overrides = {name: algorithm_params(name, fast=fast) for name in others}
    models = served.fit_families(split.train, overrides=overrides, leave_out=[family])
    models[family] = own
    rows = served.evaluate_rows(models, split)
    return {kind: {key: value for key, value in figures.items() if key != "seconds"} for kind, figures in rows.items()}


def _row_figures(rows: Mapping[str, Mapping[str, Any]]) -> str:
    return ", ".join(f"{kind} {figures['ndcg@10']:.4f}" for kind, figures in rows.items()) or "-"


def _figures(metrics: Mapping[str, Any]) -> str:
    return ", ".join(f"{key} {value:.4f}" for key, value in metrics.items() if isinstance(value, float)) or "-"


# -- activation and rollback -----------------------------------------------------------------------------------------


def version_activate(*, version: ModelVersion, claim_token: str | None = None) -> bool:
    """Make ``version`` its family's active version, retiring the current one; False if it cannot be.

    The family's TrainingState row is locked first so two activations of one family
    serialize (the partial unique constraint would otherwise fail one of them). With
    ``claim_token`` the activation only happens while that run still holds the claim.
    """
    with transaction.atomic():
        state = TrainingState.objects.select_for_update().filter(family=version.family).first()
        if claim_token is not None and (state is None or state.claimed_by != claim_token):
            return False
        current = ModelVersion.objects.select_for_update().get(pk=version.pk)
        if current.status == ModelVersion.Status.ACTIVE:
            return True
        if not current.artifact_path or current.status in (ModelVersion.Status.TRAINING, ModelVersion.Status.FAILED):
            return False
        ModelVersion.objects.filter(family=version.family, status=ModelVersion.Status.ACTIVE).update(
            status=ModelVersion.Status.RETIRED
        )
        ModelVersion.objects.filter(pk=version.pk).update(status=ModelVersion.Status.ACTIVE, activated=timezone.now())
    version.refresh_from_db()
    return True


def family_rollback(*, family: str) -> ModelVersion | None:
    """Re-activate the version that was active before the current one; None when there is none with files."""
    states_ensure(families=[family])
    current = ModelVersion.objects.filter(family=family, status=ModelVersion.Status.ACTIVE).first()
    previous = (
        ModelVersion.objects.filter(family=family, status=ModelVersion.Status.RETIRED, activated__isnull=False)
        .exclude(artifact_path="")
        .exclude(pk=getattr(current, "pk", None))
        .order_by("-activated")
        .first()
    )
    if previous is None or not version_activate(version=previous):
        return None
    return previous


def artifacts_prune(*, family: str, keep: int = KEEP_ARTIFACTS) -> int:
    """Delete the files of all but the newest ``keep`` inactive versions of ``family``; returns how many."""
    stale = list(
        ModelVersion.objects.filter(family=family)
        .exclude(status__in=[ModelVersion.Status.ACTIVE, ModelVersion.Status.TRAINING])
        .exclude(artifact_path="")
        .order_by("-created", "-id")[keep:]
    )
    for version in stale:
        artifacts.artifact_delete(version)
    ModelVersion.objects.filter(pk__in=[version.pk for version in stale]).update(artifact_path="")
    return len(stale)


# -- the sweep -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepReport:
    enqueued: list[str]
    reclaimed: list[str]


def training_sweep() -> SweepReport:
    """Catch up on what the trigger could not do.

    1. Reclaim: a claim whose heartbeat is older than TRAINING_STALE_SECONDS belongs
       to a dead worker; it is released (conditionally on still being stale), its
       version marked failed, and a forced run enqueued at once.
    2. Lost messages: a ``queued_at`` older than the longest debounce plus the stale
       timeout never reached a worker (a broker restart); it is cleared.
    3. Pending changes with no run queued or claimed, outside a failure back-off: enqueued now.
    """
    states_ensure()
    now = timezone.now()
    stale = now - timedelta(seconds=settings.TRAINING_STALE_SECONDS)
    reclaimed = []
    for state in TrainingState.objects.filter(claimed_at__isnull=False, last_heartbeat__lt=stale):
        released = TrainingState.objects.filter(
            pk=state.pk, claimed_by=state.claimed_by, last_heartbeat__lt=stale
        ).update(claimed_at=None, claimed_by="", last_heartbeat=None, queued_at=None)
        if not released:
            continue
        ModelVersion.objects.filter(family=state.family, status=ModelVersion.Status.TRAINING).filter(
            Q(heartbeat__lt=stale) | Q(heartbeat__isnull=True)
        ).update(
            status=ModelVersion.Status.FAILED,
            finished=now,
            error=f"The worker stopped sending heartbeats (last {state.last_heartbeat:%Y-%m-%d %H:%M:%S} UTC); "
            "the run was reclaimed and retried.",
        )
        logger.error(
            "Reclaimed the %s training claim of %s (no heartbeat since %s)",
            state.family,
            state.claimed_by,
            state.last_heartbeat,
        )
        if training_request(family=state.family):
            reclaimed.append(state.family)

    lost = now - timedelta(
        seconds=settings.RETRAIN_DEBOUNCE_SECONDS * MAX_WAIT_FACTOR + settings.TRAINING_STALE_SECONDS
    )
    TrainingState.objects.filter(queued_at__lt=lost, claimed_at=None).update(queued_at=None)

    enqueued = []
    waiting = TrainingState.objects.filter(pending_changes__gt=0, queued_at=None, claimed_at=None).filter(
        Q(backoff_until__isnull=True) | Q(backoff_until__lte=now)
    )
    for family in waiting.values_list("family", flat=True):
        if family in FAMILIES and training_enqueue(family=family, countdown=0):
            enqueued.append(family)
    if enqueued or reclaimed:
        logger.info("Training sweep: enqueued %s, reclaimed %s", enqueued or "-", reclaimed or "-")
    return SweepReport(enqueued=enqueued, reclaimed=reclaimed)


def families_train_sync(*, families: Iterable[str], log: Log) -> list[ModelVersion]:
    """Train ``families`` in this process, one after the other, with progress bars (``manage.py train --sync``)."""
    token = set_progress(True)
    try:
        return [version for family in families if (version := family_train(family=family, force=True, log=log))]
    finally:
        token.var.reset(token)
