"""Template context every page needs from the catalog."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def tmdb(request: HttpRequest) -> dict[str, bool]:
    """Whether the TMDB attribution (which TMDB's terms require wherever its data is shown) goes in the footer."""
    return {"tmdb_enabled": bool(settings.TMDB_API_KEY)}
