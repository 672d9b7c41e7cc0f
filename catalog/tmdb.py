"""A small client for The Movie Database's API (v3), used by the optional enrichment (catalog/enrichment.py).

Only what the enrichment needs: search a movie by title and year, read its details with credits, and fetch a
poster. It is polite by construction:

- at most ``requests_per_second`` requests, spaced evenly, from this client;
- a 429 waits for the ``Retry-After`` the server gives (or a second), up to ``retries`` times;
- a timeout, a refused connection or a 5xx is retried the same way, then raised as :class:`TMDBError`;
- a 404 is not an error: the movie is simply not there (``None``).

Stdlib only (urllib): the enrichment is optional and adds no dependency.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

#: The poster width the cards and the movie page use (TMDB's sizes: w92, w154, w185, w342, w500, w780).
POSTER_SIZE = "w185"


class TMDBError(RuntimeError):
    """TMDB could not be reached, or kept refusing, after the retries."""


@dataclass
class TMDBClient:
    api_key: str
    api_url: str = "https://api.themoviedb.org/3"
    image_url: str = "https://image.tmdb.org/t/p"
    requests_per_second: float = 20.0
    timeout: float = 10.0
    retries: int = 3
    #: Longest wait this client accepts from a Retry-After header.
    max_wait: float = 30.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _next_at: float = field(default=0.0, repr=False)

    def search_movie(self, title: str, year: int | None) -> dict[str, Any] | None:
        """The best search result for ``title`` in ``year`` (TMDB's first), or None when nothing matches."""
        params = {"query": title, "include_adult": "false"}
        if year:
            params["year"] = str(year)
        found = self._json("/search/movie", params)
        results = (found or {}).get("results") or []
        if not results and year:  # a year off by one (release date versus festival date) is common
            found = self._json("/search/movie", {"query": title, "include_adult": "false"})
            results = [r for r in (found or {}).get("results") or [] if _year(r) in (year - 1, year + 1)]
        return results[0] if results else None

    def movie(self, tmdb_id: int) -> dict[str, Any] | None:
        """A movie's details with its credits; None when TMDB has no such movie."""
        return self._json(f"/movie/{int(tmdb_id)}", {"append_to_response": "credits"})

    def poster(self, poster_path: str) -> bytes | None:
        """The poster image at ``POSTER_SIZE``; None when it is gone."""
        return self._get(f"{self.image_url.rstrip('/')}/{POSTER_SIZE}/{poster_path.lstrip('/')}")

    # -- plumbing -------------------------------------------------------------------------------------------------

    def _json(self, path: str, params: dict[str, str]) -> dict[str, Any] | None:
        query = urllib.parse.urlencode({**params, "api_key": self.api_key})
        body = self._get(f"{self.api_url.rstrip('/')}{path}?{query}")
        return None if body is None else json.loads(body)

    def _get(self, url: str) -> bytes | None:
        problem = "no attempt"
        for attempt in range(self.retries + 1):
            self._wait_turn()
            try:
                with urllib.request.urlopen(url, timeout=self.timeout) as response:
                    return response.read()
            except urllib.error.HTTPError as error:
                if error.code == 404:
                    return None
                if error.code != 429 and error.code < 500:
                    raise TMDBError(f"TMDB answered {error.code} for {_safe(url)}") from None
                problem = f"TMDB answered {error.code}"
                wait = _retry_after(error.headers.get("Retry-After"), default=2.0**attempt)
            except (TimeoutError, urllib.error.URLError, ConnectionError) as error:
                problem = f"TMDB did not answer ({getattr(error, 'reason', error)})"
                wait = 2.0**attempt
            if attempt < self.retries:
                time.sleep(min(wait, self.max_wait))
        raise TMDBError(f"{problem} for {_safe(url)}, {self.retries + 1} attempts")

    def _wait_turn(self) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next_at)
            self._next_at = start + 1.0 / self.requests_per_second
        if start > now:
            time.sleep(start - now)


def _year(result: dict[str, Any]) -> int | None:
    date = result.get("release_date") or ""
    return int(date[:4]) if date[:4].isdigit() else None


def _retry_after(value: str | None, *, default: float) -> float:
    try:
        return max(float(value), 0.0) if value is not None else default
    except ValueError:
        return default


def _safe(url: str) -> str:
    """The URL without its api_key, for messages and logs."""
    parts = urllib.parse.urlsplit(url)
    query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k != "api_key"]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def client_from_settings() -> TMDBClient | None:
    """The client configured in settings, or None when no TMDB_API_KEY is set (enrichment off)."""
    from django.conf import settings

    if not settings.TMDB_API_KEY:
        return None
    return TMDBClient(
        api_key=settings.TMDB_API_KEY,
        api_url=settings.TMDB_API_URL,
        image_url=settings.TMDB_IMAGE_URL,
        requests_per_second=settings.TMDB_REQUESTS_PER_SECOND,
        timeout=settings.TMDB_TIMEOUT_SECONDS,
    )
