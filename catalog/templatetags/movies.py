"""Template helpers for movie cards: the generated poster and star display."""

from __future__ import annotations

import zlib

from django import template

from catalog.models import Movie
from ratings.models import SCORES

register = template.Library()

_SKIP = {"the", "a", "an", "of", "and", "le", "la", "les", "el", "il", "der", "die", "das"}


@register.filter
def poster_hues(movie: Movie) -> str:
    """Two hues from a stable hash of the title (crc32: Python's hash() changes per process)."""
    digest = zlib.crc32(movie.title.encode("utf-8"))
    first = digest % 360
    second = (first + 40 + (digest >> 9) % 120) % 360
    return f"--hue-a: {first}; --hue-b: {second};"


@register.filter
def initials(movie: Movie) -> str:
    words = [word for word in movie.title.split() if word[:1].isalnum()]
    significant = [word for word in words if word.lower() not in _SKIP] or words
    return "".join(word[0] for word in significant[:2]).upper()


@register.simple_tag
def half_stars() -> tuple[float, ...]:
    """The ten scores a star control offers, 0.5 to 5."""
    return SCORES


@register.filter
def stars_text(score: float | None) -> str:
    """``4.0`` -> ``"4"``, ``3.5`` -> ``"3.5"``: how scores read in running text."""
    return "" if score is None else f"{score:g}"
