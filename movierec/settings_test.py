"""Test settings: the real settings, made fast and isolated.

The database still comes from DATABASE_URL (PostgreSQL in CI, SQLite locally).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "test-secret-key")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("MODEL_DIR", tempfile.mkdtemp(prefix="movierec-models-"))
# High enough that no test is throttled by accident; the throttle tests set their own rates.
os.environ.setdefault("API_THROTTLE_ANON", "100000/minute")
os.environ.setdefault("API_THROTTLE_USER", "100000/minute")
os.environ.setdefault("API_THROTTLE_AUTH", "100000/minute")
os.environ.setdefault("API_THROTTLE_SIGNUP", "100000/minute")
# The test client speaks plain HTTP: production's redirect to HTTPS and HSTS are tested on their own.
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")

from movierec.settings import *  # noqa: F403  (the test settings extend the real ones)

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
MODEL_DIR = Path(os.environ["MODEL_DIR"])
# Unit tests never publish to a real broker (a captured on-commit retrain would land in the site's Redis);
# tests/integration points Celery at a Redis database of its own.
CELERY_BROKER_URL = "memory://"
# Tests never run collectstatic: serve straight from the finders, as DEBUG does.
WHITENOISE_AUTOREFRESH = True
# Folds are keyed by artifact checksum and history: a test's models are not versioned artifacts, so each test
# process keeps its own (tests/integration/test_fold_sharing.py shares them through Redis on purpose).
CACHES = {
    **CACHES,  # noqa: F405
    "folds": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "test-folds"},
}
