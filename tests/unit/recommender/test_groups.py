"""Taste groups for onboarding: k-means on the collaborative item factors, named by genre, seeding a history."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.algorithms.groups import TasteGroup, seed_history, taste_groups
from recommender.algorithms.implicit_als import ImplicitALS, ImplicitALSConfig
from tests.unit.recommender.margins import FAST
from tests.unit.recommender.planted import planted

GENRES = ["Action", "Romance", "Documentary"]


@pytest.fixture(scope="module")
def grouped():
    data, _, item_group = planted(seed=0)
    model = ImplicitALS(ImplicitALSConfig(**FAST["implicit_als"])).fit(data)
    genres = np.zeros((len(model.item_ids), len(GENRES)), dtype=bool)
    genres[np.arange(len(model.item_ids)), item_group[: len(model.item_ids)]] = True
    counts = np.bincount(data.items, minlength=data.n_items)
    groups = taste_groups(model.item_ids, model.item_factors, genres, GENRES, counts, groups=3, min_ratings=5)
    return groups, dict(zip(model.item_ids.tolist(), item_group.tolist(), strict=False))


def test_the_groups_recover_the_planted_tastes_and_are_named_by_their_genre(grouped):
    groups, planted_group = grouped

    assert len(groups) == 3
    for group in groups:
        shares = np.bincount([planted_group[m] for m in group.members], minlength=3) / len(group.members)
        assert shares.max() >= 0.9, group
        assert group.name.split(" & ")[0] == GENRES[int(np.argmax(shares))]


def test_members_are_listed_most_rated_first_and_every_movie_is_in_one_group(grouped):
    groups, _ = grouped
    everyone = [m for group in groups for m in group.members]

    assert len(everyone) == len(set(everyone))


def test_too_few_rated_movies_give_no_groups():
    assert taste_groups(np.arange(3), np.ones((3, 2)), np.ones((3, 1), bool), ["Drama"], np.full(3, 50), groups=5) == []


def test_picked_groups_seed_their_best_known_members_once_each():
    a, b = TasteGroup(0, "Action", (1, 2, 3, 4)), TasteGroup(1, "Romance", (3, 5, 6, 7))

    assert seed_history([a, b], per_group=3) == [1, 2, 3, 5, 6]
