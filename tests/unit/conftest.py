from __future__ import annotations

import pytest

from tests.seed import Seed, seed_catalog


@pytest.fixture
def seed(db) -> Seed:
    """A small catalog with genres, tags, profiles and ratings (see tests/seed.py)."""
    return seed_catalog()
