"""Template context every page needs from the catalog."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def tmdb(request: HttpRequest) -> dict[str, bool]:
    """Whether the TMDB attribution (which TMDB's terms require wherever its data is shown) goes in the footer."""
    return {"tmdb_enabled": bool(settings.TMDB_API_KEY)}


def rating_examples(request: HttpRequest) -> dict[str, object]:
    """For the star controls' hints: up to two movies the signed-in person gave each score (queried only when a
    page draws stars)."""
    from django.utils.functional import SimpleLazyObject

    from ratings.selectors import rating_examples as examples

    if not request.user.is_authenticated:
        return {}
    return {"rating_examples": SimpleLazyObject(lambda: examples(user=request.user))}
