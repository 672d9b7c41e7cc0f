"""The Celery app. Broker and queues come from settings (Redis or the embedded transport)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "movierec.settings")

app = Celery("movierec")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
