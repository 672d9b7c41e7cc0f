"""Start-up checks on the model store: web processes only read it, workers write it.

A web process (and ``migrate``) needs to read MODEL_DIR, which may be a read-only mount; a worker needs to write
it, and checks so when it starts, not after a full fit.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Warning


def model_dir_readable(app_configs: object = None, **kwargs: object) -> list[Error | Warning]:
    """System check: MODEL_DIR must be readable where it exists (a web process only loads versions from it)."""
    path = Path(settings.MODEL_DIR)
    if not path.exists():
        return [
            Warning(
                f"MODEL_DIR {path} does not exist yet; the site serves popularity until a worker saves a model there.",
                id="recommender.W001",
            )
        ]
    if not os.access(path, os.R_OK | os.X_OK):
        return [
            Error(
                f"MODEL_DIR {path} is not readable by this process.",
                hint="Point MODEL_DIR at the folder workers save models to, and let this process read it.",
                id="recommender.E001",
            )
        ]
    return []


def model_dir_writable_problem() -> str | None:
    """Why a worker could not save a model version to MODEL_DIR, or None if it can."""
    path = Path(settings.MODEL_DIR)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".check-"):
            pass
    except OSError as error:
        return f"MODEL_DIR {path} is not writable: {error}. Point MODEL_DIR at a folder the worker can write."
    return None
