"""Celery tasks: thin wrappers that call one training service each.

Heavy work goes to the ``training`` queue (see CELERY_TASK_ROUTES), the rest to
``default``. Every task is idempotent: a duplicate delivery finds nothing to do.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError

from recommender import training

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(DatabaseError,),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=5,
    # A long fit is fine (heartbeats show it is alive); a hung one is stopped, and the sweep retries it.
    soft_time_limit=3 * 3600,
    time_limit=3 * 3600 + 300,
)
def family_retrain_task(family: str, force: bool = False) -> int | None:
    """Retrain ``family`` (debounced unless ``force``); returns the new version's id, if one was trained."""
    if family not in training.FAMILIES:
        logger.warning("Ignoring a retrain of the unknown family %r", family)
        return None
    version = training.family_train(family=family, force=force)
    return version.pk if version else None


@shared_task(autoretry_for=(DatabaseError,), retry_backoff=5, max_retries=3, soft_time_limit=60, time_limit=90)
def training_sweep_task() -> dict[str, list[str]]:
    """Enqueue families with pending changes that have no run queued, and reclaim runs of dead workers."""
    report = training.training_sweep()
    return {"enqueued": report.enqueued, "reclaimed": report.reclaimed}


@shared_task(soft_time_limit=60, time_limit=90)
def impressions_flush_task() -> int:
    """Move buffered impressions from Redis into the database (recommender.online); returns how many."""
    from recommender.online import flush_impressions

    return flush_impressions()


@shared_task(soft_time_limit=2 * 3600, time_limit=2 * 3600 + 300)
def folds_warm_task(family: str) -> int:
    """Fold the most recently active people into ``family``'s newly active models (recommender.foldins), then
    compute their Top picks with them for every web process (recommender.shared_picks)."""
    from recommender.foldins import folds_warm, recently_active
    from recommender.services import top_picks_warm

    warmed = folds_warm(families=[family])
    logger.info("Folded %d people into %d %s models in %.0f s", warmed.people, warmed.models, family, warmed.seconds)
    if warmed.people:
        picks = top_picks_warm(user_ids=recently_active(warmed.people))
        logger.info("Computed the Top picks of %d people after %s's activation", picks, family)
    return warmed.people
