"""Taste groups for onboarding: clusters of movies that belong together, by the collaborative item factors.

k-means (scikit-learn) on the L2-normalised item factors of the collaborative model (implicit ALS), over the
movies enough people rated to have a reliable factor. Each group is named by the genres over-represented in
it (lift over the catalog), and shown by its most rated members. Picking groups gives a new person a
synthetic history (``seed_history``): their best-known members, which every model folds in like ratings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans

#: Groups offered at onboarding.
GROUPS = 12
#: A movie needs this many ratings to be placed in a group (fewer give a noisy factor).
MIN_RATINGS = 20
#: Members shown on a group's card.
SHOWN = 4
#: Members a pick adds to the person's history. Chosen on ml-100k's temporal inner validation split (each person's
#: second-to-last rating, seed 0; `python -m scripts.bench.onboarding --validation --seeded N`): NDCG@10 of
#: the first Top picks after 3 groups 0.0226 at 8, 0.0218 at 1, 0.0179 at 3 (no history at all: 0.0214; ten
#: ratings: 0.0298). All within the noise of one another. On the same split, at 8: seeding each group's most
#: typical members (nearest its centre, ``--order central``) gave 0.0167, and leaving the seeded members
#: recommendable (``--keep-seeds``, a pick is not a watch) 0.0203, or 0.0155 with both; the best-known members,
#: banned as "more like this" is, stay.
SEEDED = 8


@dataclass(frozen=True)
class TasteGroup:
    key: int
    name: str
    #: Movie ids, most rated first.
    members: tuple[int, ...]
    #: The same movies, nearest the group's centre first (its most typical members).
    typical: tuple[int, ...] = ()


def taste_groups(
    item_ids: np.ndarray,
    item_factors: np.ndarray,
    genres: np.ndarray,
    genre_names: list[str],
    counts: np.ndarray,
    *,
    groups: int = GROUPS,
    min_ratings: int = MIN_RATINGS,
    seed: int = 0,
) -> list[TasteGroup]:
    """Cluster the movies with at least ``min_ratings`` ratings into ``groups`` taste groups.

    ``item_ids``, ``item_factors`` (items x k), ``genres`` (items x genres, bool) and ``counts`` are aligned.
    Groups come back largest first; a group is named by its two genres with the highest lift.
    """
    usable = np.flatnonzero(counts >= min_ratings)
    if len(usable) < groups:
        return []
    vectors = item_factors[usable].astype(np.float64)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    kmeans = KMeans(n_clusters=groups, n_init=4, random_state=seed).fit(vectors)
    labels = kmeans.labels_
    base = genres[usable].mean(axis=0) + 1e-9
    found = []
    for label in range(groups):
        members = usable[labels == label]
        if len(members) == 0:
            continue
        lift = genres[members].mean(axis=0) / base
        top = [genre_names[g] for g in np.argsort(-lift)[:2] if genres[members, g].mean() >= 0.2]
        by_count = members[np.lexsort((item_ids[members], -counts[members]))]
        closeness = vectors[labels == label] @ kmeans.cluster_centers_[label]
        by_centre = members[np.lexsort((item_ids[members], -closeness))]
        named = " & ".join(top) or "A mix"
        found.append(
            (len(members), named, tuple(int(m) for m in item_ids[by_count]), tuple(int(m) for m in item_ids[by_centre]))
        )
    found.sort(key=lambda entry: -entry[0])
    return [
        TasteGroup(key=index, name=name, members=members, typical=typical)
        for index, (_, name, members, typical) in enumerate(found)
    ]


def seed_history(picked: list[TasteGroup], per_group: int = SEEDED, *, order: str = "popular") -> list[int]:
    """The movies a new person's picks stand for: each picked group's best-known members ("popular") or its
    most typical ones ("central")."""
    seen: dict[int, None] = {}
    for group in picked:
        for movie in (group.members if order == "popular" else group.typical)[:per_group]:
            seen.setdefault(movie, None)
    return list(seen)
