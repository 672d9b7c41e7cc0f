"""Impressions, interactions and the running experiment: the Django side of ``recommender.experiments``.

- **Impressions** are buffered, not written by the request: with ``REDIS_URL`` set, one RPUSH per row onto a
  Redis list, one JSON entry holding the row's cards in order; ``flush_impressions`` (a Celery beat task every
  few seconds, and before an interaction is attributed) moves them into the database in batches under a lock.
  Each row carries a UUID and each card's key is derived from it (``row_impressions``), so a flusher that dies
  between its insert and its trim loses nothing and duplicates nothing: the next one inserts the same batch
  again and the unique key drops the copies. Without Redis (``make demo``), or when Redis is
  down, they are written at once: an outage costs a few milliseconds, never an event.
- **Interactions**: a rating, a watchlist add or a hide is credited to the newest impression of that movie to
  that person within ATTRIBUTION_WINDOW.
- **The running experiment** is read at most every EXPERIMENT_TTL seconds per process; an arm's blend version is
  loaded once (checksum verified) and kept while the experiment runs.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from recommender.artifacts import active_version_id, artifact_load
from recommender.models import Experiment, Impression, Interaction, ModelVersion

logger = logging.getLogger(__name__)

IMPRESSIONS_KEY = "movierec:impressions"
FLUSH_LOCK = "movierec:impressions:flush"
#: Rows moved per insert (a row is up to a page's worth of cards).
FLUSH_BATCH = 200
ATTRIBUTION_WINDOW = timedelta(days=1)
EXPERIMENT_TTL = 5.0

#: The family whose model ranks each row (by key prefix), recorded as the impression's version.
ROW_FAMILIES = {
    "top-picks": "blend",
    "watchlist": "blend",
    "because": "collaborative",
    "fans-like-you": "ncf",
    "up-next": "sequence",
    "hidden-gems": "stars",
    "new-in-catalog": "content",
}

_experiment: tuple[float, Experiment | None] = (0.0, None)
_arm_models: dict[int, dict] = {}
_lock = threading.Lock()


# -- the running experiment --------------------------------------------------------------------------------------


def running_experiment() -> Experiment | None:
    """The experiment now running, if any (re-read every EXPERIMENT_TTL seconds)."""
    global _experiment
    checked, experiment = _experiment
    if time.monotonic() - checked < EXPERIMENT_TTL:
        return experiment
    experiment = Experiment.objects.filter(status=Experiment.Status.RUNNING).select_related("arm_a", "arm_b").first()
    with _lock:
        _experiment = (time.monotonic(), experiment)
        live = {experiment.arm_a_id, experiment.arm_b_id} if experiment else set()
        for version_id in set(_arm_models) - live:
            del _arm_models[version_id]  # a stopped experiment's models are let go
    return experiment


def arm_models(version: ModelVersion) -> dict:
    """The loaded models of an arm's version (loaded once per process while its experiment runs)."""
    with _lock:
        if version.pk in _arm_models:
            return _arm_models[version.pk]
    models = artifact_load(version)
    with _lock:
        return _arm_models.setdefault(version.pk, models)


def forget() -> None:
    """Drop the cached experiment and arm models (tests; an experiment started or stopped in this process)."""
    global _experiment
    with _lock:
        _experiment = (0.0, None)
        _arm_models.clear()


def experiment_start(*, name: str, kind: str, arm_a: ModelVersion, arm_b: ModelVersion, by=None) -> Experiment:
    """Start an experiment between two blend versions with saved artifacts (ValueError says why not)."""
    for arm, version in (("arm_a", arm_a), ("arm_b", arm_b)):
        if version.family != "blend" or not version.artifact_path:
            raise ValueError(f"{arm}: {version.label} is not a saved blend version")
    if arm_a.pk == arm_b.pk:
        raise ValueError("arm_b: the two arms must be different versions")
    if Experiment.objects.filter(status=Experiment.Status.RUNNING).exists():
        raise ValueError("name: another experiment is running; stop it first")
    experiment = Experiment.objects.create(name=name, kind=kind, arm_a=arm_a, arm_b=arm_b, created_by=by)
    forget()
    return experiment


def experiment_stop(experiment: Experiment) -> None:
    """Stop it: from the next request on (EXPERIMENT_TTL at most in other processes) everyone sees the active model."""
    Experiment.objects.filter(pk=experiment.pk, status=Experiment.Status.RUNNING).update(
        status=Experiment.Status.STOPPED, stopped=timezone.now()
    )
    forget()


# -- impressions ---------------------------------------------------------------------------------------------------


_clients: dict[str, object] = {}


def buffer_client():
    """The Redis client impressions are buffered in (one connection pool per process); None without REDIS_URL."""
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return None
    if url not in _clients:
        import redis

        _clients[url] = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
    return _clients[url]


def impressions_log(*, user_id: int, row: str, movie_ids: list[int], arms: dict[int, str] | None = None,
                    experiment_id: int | None = None, version_id: int | None = None) -> None:  # fmt: skip
    """Record that ``movie_ids`` were shown in ``row``, in that order (buffered; see the module's docstring)."""
    if not movie_ids:
        return
    if version_id is None:
        family = ROW_FAMILIES.get(row.split("-", 1)[0] if row.startswith("because") else row)
        version_id = active_version_id(family) if family else None
    entry = {
        "key": uuid.uuid4().hex,
        "user_id": user_id,
        "row": row,
        "version_id": version_id,
        "experiment_id": experiment_id,
        "shown": timezone.now().isoformat(),
        "movies": [int(movie) for movie in movie_ids],
        "arms": {str(movie): arm for movie, arm in (arms or {}).items()},
    }
    client = buffer_client()
    if client is not None:
        try:
            client.rpush(IMPRESSIONS_KEY, json.dumps(entry))
            return
        except Exception:  # Redis is down: write them now rather than lose them
            logger.warning("Redis unavailable for impressions; writing %d directly", len(movie_ids))
    _write(row_impressions(entry))


def row_impressions(entry: dict) -> list[dict]:
    """A buffered row's impressions, one per card in order; each card's key is derived from the row's key, so the
    same entry flushed twice gives the same keys. An entry buffered one card at a time passes through."""
    if "movies" not in entry:
        return [entry]
    row_key = uuid.UUID(entry["key"])
    fields = {name: entry[name] for name in ("user_id", "row", "version_id", "experiment_id", "shown")}
    arms = entry["arms"]
    return [
        {
            **fields,
            "key": uuid.uuid5(row_key, str(position)).hex,
            "movie_id": movie,
            "position": position,
            "arm": arms.get(str(movie), ""),
        }
        for position, movie in enumerate(entry["movies"], start=1)
    ]


def row_shown(user, row) -> None:
    """Log a served Row's cards as impressions (``recommender.rows.Row``; nothing for visitors)."""
    if user is None or not user.is_authenticated:
        return
    impressions_log(user_id=user.pk, row=row.key, movie_ids=[card.movie.pk for card in row.cards], arms=row.arms,
                    experiment_id=row.experiment_id)  # fmt: skip


def _write(events: list[dict]) -> None:
    """Insert the events; a copy already stored is skipped, and one whose person (or version, or experiment) was
    deleted meanwhile is dropped, so one stale event never blocks the buffer behind it."""
    try:
        with transaction.atomic():
            _insert(events, check_now=True)
        return
    except IntegrityError:
        pass
    people = set(get_user_model().objects.filter(pk__in={e["user_id"] for e in events}).values_list("pk", flat=True))
    versions = set(ModelVersion.objects.values_list("pk", flat=True))
    experiments = set(Experiment.objects.values_list("pk", flat=True))
    kept = [
        {**event, "version_id": event["version_id"] if event["version_id"] in versions else None}
        for event in events
        if event["user_id"] in people and event["experiment_id"] in experiments | {None}
    ]
    logger.warning("Dropped %d impression(s) of deleted people or experiments", len(events) - len(kept))
    _insert(kept)


def _insert(events: list[dict], *, check_now: bool = False) -> None:
    # PostgreSQL checks Django's foreign keys at commit; inside a caller's transaction that is too late to catch.
    immediate = check_now and connection.vendor == "postgresql"
    if immediate:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    Impression.objects.bulk_create(
        [Impression(**{**event, "shown": datetime.fromisoformat(event["shown"])}) for event in events],
        ignore_conflicts=True,
    )
    if immediate:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def flush_impressions() -> int:
    """Move buffered impressions into the database, a batch at a time; returns how many were moved."""
    client = buffer_client()
    if client is None:
        return 0
    moved = 0
    try:
        with client.lock(FLUSH_LOCK, timeout=60, blocking_timeout=5):
            while batch := client.lrange(IMPRESSIONS_KEY, 0, FLUSH_BATCH - 1):
                events = [event for item in batch for event in row_impressions(json.loads(item))]
                _write(events)
                client.ltrim(IMPRESSIONS_KEY, len(batch), -1)  # only after the insert committed
                moved += len(events)
    except Exception:
        logger.exception("Could not flush impressions (they stay buffered in Redis)")
    return moved


# -- interactions ----------------------------------------------------------------------------------------------------

#: Feedback kinds that count as an interaction, and as which.
FEEDBACK_INTERACTIONS = {
    "watchlist": Interaction.Kind.WATCHLIST,
    "not_interested": Interaction.Kind.HIDE,
    "snoozed": Interaction.Kind.HIDE,
}


def interaction_record(user_id: int, movie_id: int, kind: str) -> Interaction | None:
    """Credit a rating, watchlist add or hide to the newest impression of the movie to the person (after commit)."""
    kind = FEEDBACK_INTERACTIONS.get(kind, kind)
    if kind not in Interaction.Kind.values:
        return None
    flush_impressions()
    impression = (
        Impression.objects.filter(user_id=user_id, movie_id=movie_id, shown__gte=timezone.now() - ATTRIBUTION_WINDOW)
        .order_by("-shown", "-id")
        .first()
    )
    if impression is None:
        return None
    interaction, _ = Interaction.objects.get_or_create(impression=impression, kind=kind)
    return interaction


# -- results ---------------------------------------------------------------------------------------------------------


def experiment_results(experiment: Experiment) -> dict:
    """Per arm: impressions, those followed by an interaction, the rate with its interval; and the comparison.

    Interleaving also counts rows won: one interleaved Top picks row is one impression batch (a person, a moment);
    the arm whose cards drew more of that row's interactions wins it (``experiments.winner``).
    """
    from django.db.models import Count, Exists, OuterRef

    from recommender.experiments import Rate, compare_rates, compare_wins, winner

    impressions = Impression.objects.filter(experiment=experiment)
    if experiment.kind == Experiment.Kind.INTERLEAVE:
        impressions = impressions.filter(row="top-picks")
    engaged = impressions.annotate(hit=Exists(Interaction.objects.filter(impression=OuterRef("pk"))))
    counts = {
        row["arm"]: row
        for row in engaged.values("arm").annotate(shown=Count("id"), hits=Count("id", filter=Q(hit=True)))
    }
    rates = {arm: Rate(counts.get(arm, {}).get("hits", 0), counts.get(arm, {}).get("shown", 0)) for arm in ("a", "b")}
    result = {"rates": rates, "comparison": compare_rates(rates["a"], rates["b"]), "wins": None}
    if experiment.kind == Experiment.Kind.INTERLEAVE:
        credited: dict[tuple, list[str]] = {}
        for user_id, shown, arm in Interaction.objects.filter(impression__in=impressions).values_list(
            "impression__user_id", "impression__shown", "impression__arm"
        ):
            credited.setdefault((user_id, shown), []).append(arm)
        outcomes = [winner(arms) for arms in credited.values()]
        result["wins"] = compare_wins(outcomes.count("a"), outcomes.count("b"))
        result["rows"] = impressions.values("user_id", "shown").distinct().count()
    return result
