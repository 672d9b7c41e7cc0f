"""The API's per-person and per-client throttles: DRF's rates, counted in one cache operation per request.

DRF's ``UserRateThrottle`` and ``AnonRateThrottle`` keep each client's request times as a list: every request
reads the list from the cache and writes it back, two Redis round trips plus pickling on every API call. On the
API benchmark that was 12% of the throughput (`scripts/bench/api.sh`, 1,000 people at the 1M shape: 444 and
459 req/s with them, 499 and 519 req/s with no throttle at all). These count the requests of the current
window instead, one ``cache.incr`` each (a fixed window: the count starts again when the rate's period turns,
so a client can spend up to twice its budget around that moment, never more on average).

The sign-in and sign-up scopes keep DRF's exact sliding log (``ScopedRateThrottle``): they are rare, and they
are what guards against guessing.

When the cache is down (django-redis with IGNORE_EXCEPTIONS answers None), the request is let through, as DRF's
throttles do: an outage degrades the site to unthrottled, never to refusing everyone.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

if TYPE_CHECKING:  # DRF imports the throttles while rest_framework.views is loading
    from rest_framework.request import Request
    from rest_framework.views import APIView


class WindowCountThrottle(SimpleRateThrottle):
    """``num_requests`` per ``duration`` seconds, counted per window with one increment of a cache key."""

    def allow_request(self, request: Request, view: APIView) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        key = f"{self.key}:{int(self.now // self.duration)}"
        count = self._increment(key)
        return count is None or count <= self.num_requests

    def _increment(self, key: str) -> int | None:
        """The window's count after this request; None when the cache cannot say."""
        try:
            return self.cache.incr(key)
        except ValueError:  # the window's first request
            pass
        # A window key outlives its window by at most one period, and is never read after it.
        if self.cache.add(key, 1, self.duration):
            return 1
        try:
            return self.cache.incr(key)  # another process started the window meanwhile
        except ValueError:
            return None

    def wait(self) -> float:
        """Seconds until the window turns (DRF rounds it up for Retry-After)."""
        return max(1, math.ceil(self.duration - self.now % self.duration))


class UserWindowThrottle(WindowCountThrottle, UserRateThrottle):
    """``API_THROTTLE_USER`` per signed-in person, by user id (anonymous clients: by address)."""


class AnonWindowThrottle(WindowCountThrottle, AnonRateThrottle):
    """``API_THROTTLE_ANON`` per anonymous client address; signed-in people are not counted here."""
