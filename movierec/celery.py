"""The Celery app. Broker and queues come from settings (Redis or the embedded transport)."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "movierec.settings")

app = Celery("movierec")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _model_store_writable(**kwargs) -> None:
    """A worker that could never save a model stops at once, saying why, instead of failing after a full fit."""
    from recommender.checks import model_dir_writable_problem

    if problem := model_dir_writable_problem():
        raise SystemExit(problem)
