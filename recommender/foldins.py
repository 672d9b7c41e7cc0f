"""The fold store that serving plugs in (``recommender.algorithms.folding``): Django's ``folds`` cache.

With ``REDIS_URL`` set that cache is Redis, so a person's fold-in into each active model is
computed by the first web process that serves them after a rating, and read by every other
process and host until their history or the model changes (the key holds both) or
``FOLD_IN_TTL_SECONDS`` passes. Without Redis (``make demo``) it is the process's memory.

An outage must cost a request at most one timeout, not one per model: after an error the store
answers "not kept" for ``RETRY_SECONDS`` and every fold is computed locally, as offline.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.core.cache import caches

logger = logging.getLogger(__name__)

ALIAS = "folds"
#: After a failed read or write, the store is left alone this long.
RETRY_SECONDS = 30.0


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
