"""The model families, defined in one place.

A family is the unit of training, evaluation, activation and rollback: its member
algorithms are fitted together from one snapshot, evaluated on one holdout, and
activated (or rejected by the guardrail) as one version. This module says, for
each family, which algorithms it holds, which changes make it stale, and which
part each member plays when a page is served. Everything else (training, the
serving cache, the rows, the API's choices) reads it from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Change(StrEnum):
    """What happened on the site, as far as retraining cares."""

    RATINGS = "ratings"  # a rating or a piece of feedback was written or removed
    CATALOG = "catalog"  # a movie, its genres or its tags changed
    IMPORT = "import"  # a bulk MovieLens import committed ratings and movies without per-row signals


class Role(StrEnum):
    """The part a member algorithm plays when rows are served."""

    TOP_PICKS = "top-picks"  # ranks Top picks, and is what "Because you rated" and the watchlist order by
    STARS = "stars"  # the predicted stars on every card, and the hidden gems it finds
    POPULARITY = "popularity"  # the non-personal fallback and the tie-break
    SIMILAR = "similar"  # "people who liked X also liked Y": Because-you-rated rows, reasons, More like this
    CONTENT = "content"  # similarity by what a movie is, and the New-in-the-catalog affinity
    FANS = "fans-like-you"  # the "Fans like you also loved" row
    UP_NEXT = "up-next"  # the "Up next for you" row


@dataclass(frozen=True)
class Family:
    name: str
    #: Registered algorithm names (recommender.algorithms.ALGORITHMS) -> the serving role each plays.
    roles: dict[str, Role]
    #: Changes that make this family's active version stale.
    stale_after: frozenset[Change]

    @property
    def members(self) -> list[str]:
        return list(self.roles)


_ALL_CHANGES = frozenset(Change)

#: Quickest first: that is the order training falls due when every family goes stale at once.
FAMILIES: dict[str, Family] = {
    family.name: family
    for family in (
        Family(
            "collaborative",
            {"popularity": Role.POPULARITY, "item_knn": Role.SIMILAR},
            frozenset({Change.RATINGS, Change.IMPORT}),
        ),
        Family("content", {"content": Role.CONTENT}, _ALL_CHANGES),
        # Up next: item transitions beat the GRU on the temporal inner validation split (NDCG@10 0.1244 ± 0.0039
        # against 0.1068 ± 0.0078, seeds 0-2; `make tune TUNE_ARGS="--algorithm transitions --seeds 3"`, then
        # "--algorithm sequence") and fit in seconds, not minutes; the GRU lives on as a component of the blend.
        Family("sequence", {"transitions": Role.UP_NEXT}, frozenset({Change.RATINGS, Change.IMPORT})),
        # The blend's default components (sequence, implicit ALS, item kNN, transitions) learn from ratings alone.
        Family("blend", {"blend": Role.TOP_PICKS}, frozenset({Change.RATINGS, Change.IMPORT})),
        # The star predictor stacks the content model among others, so a catalog edit reaches it too.
        Family("stars", {"hybrid": Role.STARS}, _ALL_CHANGES),
        Family("ncf", {"ncf_implicit": Role.FANS}, frozenset({Change.RATINGS, Change.IMPORT})),
    )
}


def families_stale_after(change: Change) -> list[str]:
    """The families that ``change`` makes stale, in FAMILIES order."""
    return [name for name, family in FAMILIES.items() if change in family.stale_after]
