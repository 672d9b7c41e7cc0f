"""The row generator: candidates -> reasons -> filter -> rank -> de-duplicate across rows.

- ``serving``: which active model plays which part, and how scores are laid onto the catalog;
- ``person``: the :class:`Taste`, what the models think of one person, computed once per history;
- ``reasons``: why a card is there, in words;
- ``builders``: one function per row, from a Taste to scored candidates;
- ``page``: ranking, de-duplication across rows, and lazily built pages.

Top picks are the served blend (``recommender.algorithms.blend``): the same scorer that
``make bench``, ``evaluate``, the training holdout and the guardrail measure.
"""

from __future__ import annotations

from recommender.rows.builders import BUILDERS, Candidates, RowSpec, anonymous_specs, signed_in_specs, similar_to
from recommender.rows.page import Card, Page, Pick, Row, UnknownRowError, rank
from recommender.rows.person import MORE_LIKE_THIS_RATING, Taste
from recommender.rows.reasons import LIKED_RATING
from recommender.rows.serving import COLLABORATIVE, CONTENT, GENRES, ServingModels, percentiles, scatter

__all__ = [
    "BUILDERS",
    "COLLABORATIVE",
    "CONTENT",
    "GENRES",
    "LIKED_RATING",
    "MORE_LIKE_THIS_RATING",
    "Candidates",
    "Card",
    "Page",
    "Pick",
    "Row",
    "RowSpec",
    "ServingModels",
    "Taste",
    "UnknownRowError",
    "anonymous_specs",
    "percentiles",
    "rank",
    "scatter",
    "signed_in_specs",
    "similar_to",
]
