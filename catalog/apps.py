from __future__ import annotations

import logging

from django.apps import AppConfig
from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save

logger = logging.getLogger(__name__)


def movie_added(sender: type, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """A movie added one by one (the admin, the API) is enriched from TMDB by the worker, when a key is set.

    The MovieLens importer creates movies in bulk, without this signal: ``manage.py enrich_tmdb`` does those.
    """
    if not created or raw or not settings.TMDB_API_KEY:
        return

    def enqueue() -> None:
        from catalog.tasks import movie_enrich_task

        try:
            movie_enrich_task.delay(instance.pk)
        except Exception:  # the broker is down: the movie is saved; enrich_tmdb picks it up later
            logger.exception("Could not enqueue the TMDB enrichment of movie %s", instance.pk)

    transaction.on_commit(enqueue)


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalog"

    def ready(self) -> None:
        from catalog.models import Movie

        post_save.connect(movie_added, sender=Movie, dispatch_uid="catalog-movie-added-enrich")
