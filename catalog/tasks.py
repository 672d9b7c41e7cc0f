"""Celery tasks of the catalog: enrich a movie added after the catalog was enriched; redraw the Insights."""

from __future__ import annotations

import logging

from celery import shared_task

from catalog.enrichment import movie_enrich
from catalog.models import Movie
from catalog.tmdb import TMDBError, client_from_settings

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=3, default_retry_delay=300, ignore_result=True)
def movie_enrich_task(self, movie_id: int) -> None:
    """Ask TMDB about one movie; retried later when TMDB cannot be reached, a no-op without a key."""
    client = client_from_settings()
    movie = Movie.objects.filter(pk=movie_id).first()
    if client is None or movie is None:
        return
    try:
        movie_enrich(movie=movie, client=client)
    except TMDBError as error:
        logger.warning("TMDB enrichment of movie %s failed, retrying later: %s", movie_id, error)
        raise self.retry(exc=error) from None


@shared_task(ignore_result=True, soft_time_limit=600, time_limit=660)
def insights_redraw_task() -> None:
    """Draw the Insights charts from the current data (catalog.insights), for the visits after this one."""
    from catalog.insights import charts_redraw

    charts_redraw()
