"""Generated explicit ratings with known structure, and a held-out RMSE, for the classic algorithms' unit tests."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recommender.algorithms.base import Recommender
from recommender.algorithms.interactions import Interactions


@dataclass(frozen=True)
class Truth:
    """What generated the ratings, by position (user ids are positions + 1, item ids positions + 1)."""

    user_offset: np.ndarray
    item_offset: np.ndarray
    user_factors: np.ndarray
    item_factors: np.ndarray


def structured_ratings(
    *, seed: int = 0, users: int = 120, items: int = 80, per_user: int = 30, factors: int = 0, noise: float = 0.3
) -> tuple[Interactions, Truth]:
    """Half-star ratings from mean 3.5 + user offset + item offset + a ``factors``-rank taste term + noise."""
    rng = np.random.default_rng(seed)
    truth = Truth(
        user_offset=rng.normal(0, 0.5, users),
        item_offset=rng.normal(0, 0.5, items),
        user_factors=rng.normal(0, 1.0, (users, factors)),
        item_factors=rng.normal(0, 1.0 / max(factors, 1) ** 0.5, (items, factors)),
    )
    rows = np.repeat(np.arange(users), per_user)
    cols = np.concatenate([rng.choice(items, per_user, replace=False) for _ in range(users)])
    taste = np.einsum("nf,nf->n", truth.user_factors[rows], truth.item_factors[cols])
    raw = 3.5 + truth.user_offset[rows] + truth.item_offset[cols] + taste + rng.normal(0, noise, len(rows))
    ratings = np.clip(np.round(raw * 2) / 2, 0.5, 5.0)
    stamps = np.arange(len(rows), dtype=float)
    return Interactions.from_ids(rows + 1, cols + 1, ratings, stamps, catalog=np.arange(1, items + 1)), truth


def split(data: Interactions, every: int = 5) -> tuple[Interactions, Interactions]:
    """(train, test): every ``every``-th rating is held out."""
    held_out = np.arange(len(data)) % every == 0
    return data.select(~held_out), data.select(held_out)


def held_out_rmse(model: Recommender, train: Interactions, test: Interactions) -> float:
    """RMSE of ``model`` (fitted on ``train``) predicting ``test`` from each user's training history."""
    histories = train.histories()
    errors = []
    for u in np.unique(test.users):
        mask = test.users == u
        errors.append(model.predict(histories[u], test.item_ids[test.items[mask]]) - test.ratings[mask])
    return float(np.sqrt(np.mean(np.concatenate(errors) ** 2)))
