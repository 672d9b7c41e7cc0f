"""One contract, every algorithm: the promises in recommender/algorithms/base.py, checked for each name."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.algorithms import ALGORITHMS, build
from recommender.algorithms.base import Recommender
from recommender.algorithms.interactions import History, Interactions
from tests.unit.recommender.planted import planted

#: Small settings so the whole contract runs in seconds; each algorithm's entry is its own business.
FAST: dict[str, dict] = {
    # Torch models: ml-100k batch sizes would leave a couple of steps per epoch on this small set.
    "ncf": {"epochs": 10, "batch_size": 64},
    "ncf_implicit": {"epochs": 10, "batch_size": 64},
    # Here the next movie is one exact ring successor: learning a few steps ahead fills the top 5 with taste.
    "sequence": {"epochs": 30, "batch_size": 8, "horizon": 10},
    "classifier": {"epochs": 30, "batch_size": 64},
}
# The ranking hybrid's sequence component needs its small settings too.
FAST["hybrid_ranking"] = {"overrides": {"sequence": FAST["sequence"]}}

#: Models that rank every person alike by design (a rating offset at most): the planted-taste checks do not apply.
NOT_PERSONAL = {"popularity", "baseline"}


@pytest.fixture(scope="module")
def dataset() -> tuple[Interactions, np.ndarray, np.ndarray]:
    return planted()


@pytest.fixture(scope="module", params=sorted(ALGORITHMS))
def fitted(request, dataset) -> Recommender:
    data, _, _ = dataset
    return build(request.param, **FAST.get(request.param, {})).fit(data)


def _holdout_history(data: Interactions, user_position: int, keep: int = 6) -> History:
    """The user's first ``keep`` ratings in time order, as a brand-new person would have them."""
    full = data.history(user_position)
    return History.from_arrays(full.item_ids[:keep], full.ratings[:keep], full.timestamps[:keep])


def test_fit_then_score_gives_one_score_per_catalog_item(fitted, dataset):
    data, _, _ = dataset
    history = data.history(0)
    scores = fitted.score(history)
    assert scores.shape == (data.n_items,)
    rated = np.isin(data.item_ids, data.item_ids[data.items])
    assert np.isfinite(scores[rated & ~np.isin(data.item_ids, history.item_ids)]).mean() > 0.9
    picks = fitted.recommend(history, n=5)
    assert len(picks) == 5
    assert not {item for item, _ in picks} & set(history.item_ids.tolist())


def test_scores_for_chosen_items_match_the_full_scores(fitted, dataset):
    data, _, _ = dataset
    history = data.history(3)
    chosen = data.item_ids[[5, 1, 17]]
    np.testing.assert_allclose(fitted.score(history, chosen), fitted.score(history)[[5, 1, 17]], rtol=1e-5)


def test_unknown_user_is_scored_from_their_ratings(fitted, dataset):
    data, _, _ = dataset
    stranger = History.from_arrays(data.item_ids[[0, 3]], [5.0, 4.5], [1.0, 2.0], user_id=987_654)
    scores = fitted.score(stranger)
    assert scores.shape == (data.n_items,)
    assert np.isfinite(scores).any()


def test_empty_history_does_not_fail(fitted, dataset):
    data, _, _ = dataset
    scores = fitted.score(History.empty())
    assert scores.shape == (data.n_items,)
    if fitted.explicit:
        assert np.isfinite(fitted.predict(History.empty(), data.item_ids[:4])).all()


def test_a_movie_nobody_rated_and_an_unknown_id_do_not_fail(fitted, dataset):
    data, _, _ = dataset
    never_rated = data.item_ids[-1]
    assert never_rated not in set(data.item_ids[data.items].tolist())
    history = data.history(2)
    scores = fitted.score(history, np.array([never_rated, 999_999_999]))
    assert scores.shape == (2,)
    assert np.isnan(scores[1])
    if fitted.explicit:
        predicted = fitted.predict(history, np.array([never_rated, 999_999_999]))
        assert np.isfinite(predicted).all()
        assert ((predicted >= 0.5) & (predicted <= 5.0)).all()


def test_save_and_load_give_identical_scores(fitted, dataset, tmp_path):
    data, _, _ = dataset
    fitted.save(tmp_path / "model")
    loaded = type(fitted).load(tmp_path / "model")
    history = _holdout_history(data, 7)
    np.testing.assert_array_equal(loaded.item_ids, fitted.item_ids)
    np.testing.assert_allclose(loaded.score(history), fitted.score(history), rtol=1e-6, equal_nan=True)
    if fitted.explicit:
        items = data.item_ids[:10]
        np.testing.assert_allclose(loaded.predict(history, items), fitted.predict(history, items), rtol=1e-6)


def test_finds_the_planted_taste_groups(fitted, dataset):
    """A person who liked a few movies of one group gets that group's other movies on top."""
    data, user_group, item_group = dataset
    if fitted.name in NOT_PERSONAL:
        # These rank everyone alike by design; what they promise instead is exactly that: one order for all.
        orders = [np.argsort(-fitted.score(_holdout_history(data, u)), kind="stable") for u in (0, 1, 2)]
        assert all(np.array_equal(orders[0], order) for order in orders[1:])
        return
    catalog_group = dict(zip(data.item_ids.tolist(), item_group.tolist(), strict=True))
    hits = []
    for u in range(0, data.n_users, 5):
        history = _holdout_history(data, u)
        picks = [item for item, _ in fitted.recommend(history, n=5)]
        hits.append(np.mean([catalog_group[item] == user_group[u] for item in picks]))
    # Three groups: chance is 1/3; every algorithm that learns anything personal clears 0.6.
    assert np.mean(hits) >= 0.6, f"{fitted.name} precision on planted groups {np.mean(hits):.2f}"


def test_explicit_models_predict_the_planted_ratings(fitted, dataset):
    if not fitted.explicit:
        pytest.skip(f"{fitted.name} ranks items and does not estimate ratings")
    if fitted.name in NOT_PERSONAL:
        pytest.skip(f"{fitted.name} estimates the same taste for everyone; the planted ratings need a personal one")
    data, _, _ = dataset
    errors = []
    for u in range(0, data.n_users, 3):
        full = data.history(u)
        # A random half, not every other rating in time order: planted() interleaves likes and dislikes in
        # time, so that would put only likes in the history and only dislikes (mostly) in the held-out half.
        order = np.random.default_rng(u).permutation(len(full))
        kept, held_out = np.sort(order[::2]), np.sort(order[1::2])
        history = History.from_arrays(full.item_ids[kept], full.ratings[kept], full.timestamps[kept], user_id=None)
        predicted = fitted.predict(history, full.item_ids[held_out])
        errors.append(predicted - full.ratings[held_out])
    rmse = float(np.sqrt(np.mean(np.concatenate(errors) ** 2)))
    baseline = float(np.std(data.ratings))  # what always predicting the mean would score
    assert rmse < 0.75 * baseline, f"{fitted.name} RMSE {rmse:.3f} vs mean-only {baseline:.3f}"
