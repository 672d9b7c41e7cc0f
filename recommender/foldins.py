"""The fold store that serving plugs in (``recommender.algorithms.folding``): Django's ``folds`` cache.

With ``REDIS_URL`` set that cache is Redis, so a person's fold-in into each active model is
computed by the first web process that serves them after a rating, and read by every other
process and host until their history or the model changes (the key holds both) or
``FOLD_IN_TTL_SECONDS`` passes. Without Redis (``make demo``) it is the process's memory.

An outage must cost a request at most one timeout, not one per model: after an error the store
answers "not kept" for ``RETRY_SECONDS`` and every fold is computed locally, as offline.

A new version makes every fold of its family's old one useless, so after an activation the
training worker folds the most recently active people in ahead of their next visit
(:func:`folds_warm`): people who existed at training time find theirs waiting.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.db.models import Max

from ratings.models import Rating
from recommender import selectors
from recommender.algorithms.folding import fold_store
from recommender.artifacts import active_models
from recommender.families import FAMILIES
from recommender.rows.person import fold_in_history

logger = logging.getLogger(__name__)

ALIAS = "folds"
#: After a failed read or write, the store is left alone this long.
RETRY_SECONDS = 30.0
#: ``folds_warm`` says how far it is at most this often.
WARM_PROGRESS_SECONDS = 10.0


class CacheFoldStore:
    """A :class:`~recommender.algorithms.folding.FoldStore` on a Django cache, with a circuit breaker."""

    def __init__(self, alias: str = ALIAS) -> None:
        self.alias = alias
        self._lock = threading.Lock()
        self._down_until = 0.0

    def get(self, key: str) -> bytes | None:
        if self._resting():
            return None
        try:
            return caches[self.alias].get(key)
        except Exception as error:  # any backend error: fold here instead
            self._trip(error)
            return None

    def set(self, key: str, value: bytes) -> None:
        if self._resting():
            return
        try:
            caches[self.alias].set(key, value)
        except Exception as error:  # any backend error: fold here instead
            self._trip(error)

    def _resting(self) -> bool:
        return time.monotonic() < self._down_until

    def _trip(self, error: Exception) -> None:
        with self._lock:
            if self._resting():
                return
            self._down_until = time.monotonic() + RETRY_SECONDS
        logger.warning("Fold store %r unavailable (%s); folding locally for %.0f s", self.alias, error, RETRY_SECONDS)


_store: CacheFoldStore | None = None


def serving_fold_store() -> CacheFoldStore | None:
    """This process's fold store; None when ``FOLD_IN_TTL_SECONDS`` is 0 or there is no ``folds`` cache."""
    global _store
    if settings.FOLD_IN_TTL_SECONDS <= 0 or ALIAS not in settings.CACHES:
        return None
    if _store is None:
        _store = CacheFoldStore()
    return _store


@dataclass(frozen=True)
class Warmed:
    people: int
    models: int
    seconds: float


def folds_warm(
    *, families: Sequence[str] | None = None, people: int | None = None, say: Callable[[str], None] | None = None
) -> Warmed:
    """Fold the ``people`` most recently active people (default FOLD_WARM_PEOPLE) into the active models of
    ``families`` (default all), so that their next page reads each fold instead of computing it.

    1. Load the families' active models, named by their artifacts' checksums as every web process names them.
    2. Take the people whose latest rating is the newest.
    3. Score each person's fold-in history (as a Taste builds it) with every model, the store plugged in: a
       fold already kept is read, any other is computed and kept. A model that fails is logged and skipped.
    """
    started = time.perf_counter()
    store = serving_fold_store()
    limit = settings.FOLD_WARM_PEOPLE if people is None else people
    models = [model for family in families or FAMILIES for model in active_models(family).values()]
    if store is None or not models or limit <= 0:
        return Warmed(0, len(models), 0.0)
    user_ids = recently_active(limit)
    User = get_user_model()
    last_said = started
    for done, user_id in enumerate(user_ids, start=1):
        history = fold_in_history(selectors.person_state(User(pk=user_id)))
        with fold_store(store):
            for model in models:
                try:
                    model.score(history)
                except Exception:
                    logger.exception("%s could not fold in user %s; skipped", model.name, user_id)
        if say is not None and time.perf_counter() - last_said >= WARM_PROGRESS_SECONDS:
            last_said = time.perf_counter()
            say(f"folds: {done}/{len(user_ids)} people, {last_said - started:.0f} s")
    return Warmed(len(user_ids), len(models), time.perf_counter() - started)


def recently_active(limit: int) -> list[int]:
    """The ids of the ``limit`` people whose latest rating is the newest, newest first."""
    newest = Rating.objects.values("user_id").annotate(last=Max("updated")).order_by("-last", "-user_id")
    return list(newest.values_list("user_id", flat=True)[:limit])
