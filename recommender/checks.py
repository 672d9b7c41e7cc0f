"""System checks: invariants the recommender relies on, reported at start instead of failing mid-training."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.conf import settings
from django.core.checks import Error


def model_dir_writable(app_configs: object = None, **kwargs: object) -> list[Error]:
    """MODEL_DIR must exist (or be creatable) and accept files, or no model version can ever be saved."""
    path = Path(settings.MODEL_DIR)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".check-"):
            pass
    except OSError as error:
        return [
            Error(
                f"MODEL_DIR {path} is not writable: {error}",
                hint="Point MODEL_DIR at a folder this process can write, or fix its permissions.",
                id="recommender.E001",
            )
        ]
    return []
