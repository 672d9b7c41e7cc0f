"""The anchor libraries behind our contract (they live in .venv-anchors, made by `make anchors`)."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.algorithms import ALGORITHMS
from recommender.algorithms.interactions import History
from recommender.evaluation.tuning import grid
from scripts.bench.anchors import ANCHORS, BUDGET, ImplicitConfig, ImplicitModel, SurpriseConfig, SurpriseModel
from tests.unit.recommender.planted import planted


def test_every_anchor_gets_the_tuning_budget_ours_get_and_is_not_registered_for_the_site():
    assert all(len(grid(choices)) == BUDGET for _, _, _, choices in ANCHORS.values())
    assert not set(ANCHORS) & set(ALGORITHMS)


def test_a_surprise_model_estimates_ratings_for_trained_people_and_strangers_alike():
    pytest.importorskip("surprise", reason="Surprise is installed in .venv-anchors only (make anchors)")
    data, _, _ = planted(seed=0)
    model = SurpriseModel(SurpriseConfig(algorithm="SVD", n_factors=8, n_epochs=30)).fit(data)

    trained = model.predict(data.history(0), data.item_ids[:5])
    stranger = model.predict(type(data.history(0))(np.array([], dtype=np.int64), np.array([])), data.item_ids[:2])

    assert np.all((trained >= 0.5) & (trained <= 5.0)) and np.unique(trained).size > 1
    assert np.all((stranger >= 0.5) & (stranger <= 5.0))  # Surprise keeps the movie's bias for a stranger


def test_an_implicit_anchor_finds_the_planted_taste_groups_for_trained_people():
    # implicit is a runtime dependency (our implicit_als is the library's ALS), so this runs everywhere. The
    # anchor keeps the user factors it trained and folds no one in: it is measured on trained people only.
    # It reads who rated what, and every planted dislike is a movie of another group: it is given the likes.
    data, user_group, item_group = planted(seed=0)
    data = data.select(data.ratings >= 3.5)
    model = ImplicitModel(ImplicitConfig(factors=8, iterations=20)).fit(data)
    groups = dict(zip(data.item_ids.tolist(), item_group.tolist(), strict=True))

    hits = [
        np.mean([groups[item] == user_group[u] for item, _ in model.recommend(data.history(u), n=5)])
        for u in range(0, data.n_users, 5)
    ]

    assert np.mean(hits) > 0.6
    assert np.isnan(model.score(History.empty())).all()
