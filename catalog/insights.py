"""The Insights page's charts: data from catalog.selectors drawn as SVG, cached and redrawn in the background.

The drawing is kept with the data's version (rating count, newest rating change,
profile count). A visit whose version matches reads it. After a change the page
keeps showing the last drawing, with the time it was drawn, and asks a worker to
redraw once it is INSIGHTS_REFRESH_SECONDS old: at MovieLens 25M's size the
monthly and per-person counts take seconds, which no visit should wait for, and a
busy site changes on every request. Only the very first visit draws in the request.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from catalog import selectors
from movierec.lib.charts import bar_chart, hbar_chart, line_chart, monthly_chart

logger = logging.getLogger(__name__)

CACHE_SECONDS = 24 * 3600
#: A long-tail curve needs no more points than the chart is wide.
CURVE_POINTS = 120


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    note: str
    svg: SafeString


DRAWING_KEY = "insights:drawing"
REDRAW_LOCK = "insights:redraw"


def charts() -> dict[str, object]:
    """The last drawing (``drawn_at`` says when); drawn now only when there is none at all.

    1. The drawing matches the data's version, or is younger than INSIGHTS_REFRESH_SECONDS: it is shown.
    2. Otherwise it is shown too, and one redraw is enqueued (a lock in the cache lets one visit send it).
       When the broker cannot take it, the lock is let go and a later visit asks again.
    """
    version = cache_key_part(selectors.data_version())
    drawing = cache.get(DRAWING_KEY)
    if drawing is None:
        return charts_redraw(version=version)
    drawn_version, drawn_at, data = drawing
    stale = drawn_version != version and time.time() - drawn_at >= settings.INSIGHTS_REFRESH_SECONDS
    if stale and cache.add(REDRAW_LOCK, 1, timeout=max(60, settings.INSIGHTS_REFRESH_SECONDS)):
        from catalog.tasks import insights_redraw_task  # the task module imports this one

        try:
            insights_redraw_task.apply_async(retry=False)
        except Exception:
            logger.warning("Could not enqueue an Insights redraw; showing the drawing of %s", data["drawn_at"])
            cache.delete(REDRAW_LOCK)
    return data


def charts_redraw(*, version: str | None = None) -> dict[str, object]:
    """Draw the charts from the data now, keep the drawing, and let the next redraw be asked for."""
    version = version or cache_key_part(selectors.data_version())
    data = {**_build(), "drawn_at": timezone.now()}
    cache.set(DRAWING_KEY, (version, time.time(), data), CACHE_SECONDS)
    cache.delete(REDRAW_LOCK)
    return data


def cache_key_part(values: Iterable[object]) -> str:
    """A short digest of ``values`` for a cache key: timestamps hold spaces, which memcached keys must not."""
    return hashlib.sha1(repr(tuple(values)).encode()).hexdigest()


def _sample(counts: list[int]) -> list[tuple[str, float]]:
    """Rank-ordered counts thinned to at most CURVE_POINTS points, keeping the first and the last."""
    if not counts:
        return []
    step = max(1, len(counts) // CURVE_POINTS)
    indices = [*range(0, len(counts), step)]
    if indices[-1] != len(counts) - 1:
        indices.append(len(counts) - 1)
    return [(f"#{index + 1}", counts[index]) for index in indices]


def svg(markup: str) -> SafeString:
    return mark_safe(markup)


def _build() -> dict[str, object]:
    distribution = selectors.rating_distribution()
    per_user = selectors.ratings_per_user()
    per_movie = selectors.ratings_per_movie()
    genres = selectors.genre_numbers()
    months = selectors.ratings_per_month()
    people = selectors.demographics()
    total = sum(n for _, n in distribution)
    rated_genres = [(name, n, mean) for name, n, mean in genres if n]

    found = [
        Chart(
            "distribution",
            "Rating distribution",
            f"{total:,} ratings in all.",
            svg(bar_chart([(f"{score:g}★", n) for score, n in distribution], label="Ratings by score")),
        ),
        Chart(
            "per-user",
            "Ratings per person",
            _tail_note(per_user, "people"),
            svg(line_chart(_sample(per_user), label="Ratings per person, most active first", log_scale=True)),
        ),
        Chart(
            "per-movie",
            "Ratings per movie",
            _tail_note(per_movie, "movies"),
            svg(line_chart(_sample(per_movie), label="Ratings per movie, most rated first", log_scale=True)),
        ),
        Chart(
            "genre-popularity",
            "Genre popularity",
            "Ratings given to movies of each genre (a movie counts for each of its genres).",
            svg(hbar_chart([(name, n) for name, n, _ in rated_genres], label="Ratings per genre")),
        ),
        Chart(
            "genre-mean",
            "Mean rating per genre",
            "Average score of the ratings in each genre.",
            svg(
                hbar_chart(
                    sorted(((name, round(mean, 2)) for name, _, mean in rated_genres), key=lambda pair: -pair[1]),
                    label="Mean rating per genre",
                    max_value=5,
                )
            ),
        ),
        Chart(
            "over-time",
            "Ratings over time",
            "Ratings made per month.",
            svg(monthly_chart(months, label="Ratings per month")),
        ),
    ]
    if people["age"]:
        found.append(Chart("age", "Age", "People by age group.", svg(bar_chart(people["age"], label="People by age"))))
    if people["gender"]:
        found.append(
            Chart("gender", "Gender", "As given in the data.", svg(hbar_chart(people["gender"], label="Gender")))
        )
    if people["occupation"]:
        found.append(
            Chart(
                "occupation",
                "Occupation",
                "As given in the data.",
                svg(hbar_chart(people["occupation"], label="People by occupation")),
            )
        )
    return {"total": total, "people": len(per_user), "movies": len(per_movie), "charts": found}


def _tail_note(counts: list[int], noun: str) -> str:
    """One sentence on how skewed the counts are, e.g. "The top 20% of people made 55% of the ratings"."""
    if not counts:
        return "No ratings yet."
    top = counts[: max(1, len(counts) // 5)]
    share = 100 * sum(top) / sum(counts)
    median = counts[len(counts) // 2]
    return f"{len(counts):,} {noun}; the top 20% account for {share:.0f}% of the ratings; median {median:,}."
