"""Celery tasks of the accounts app: thin wrappers that call one service each."""

from __future__ import annotations

import logging

from celery import shared_task

from movierec.accounts.services import tokens_expired_delete

logger = logging.getLogger(__name__)


@shared_task(soft_time_limit=300, time_limit=360)
def tokens_expired_delete_task() -> int:
    """Delete every expired API token (they no longer sign in; this keeps the table small); returns how many."""
    deleted = tokens_expired_delete()
    if deleted:
        logger.info("Deleted %d expired API tokens", deleted)
    return deleted
