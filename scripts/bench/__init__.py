"""Benchmarks and tuning. ``recommender/`` holds the product; what measures it lives here.

Run each as a module from the repository root (``python -m scripts.bench.web``). The ones that need
the site's database call :func:`django_setup` first; the accuracy benchmarks run without Django.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The repository root.
ROOT = Path(__file__).resolve().parents[2]


def default_path() -> Path:
    """``$MOVIELENS_DIR/ml-100k``, else ``shared/datasets/ml-100k`` beside the repository (as the settings do)."""
    root = os.environ.get("MOVIELENS_DIR")
    base = Path(root) if root else ROOT.parent / "shared" / "datasets"
    return base / "ml-100k"


def django_setup() -> None:
    """Set Django up for a benchmark run with ``python -m`` (no manage.py): the site's own settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "movierec.settings")
    import django

    django.setup()
