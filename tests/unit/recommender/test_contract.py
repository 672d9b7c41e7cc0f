"""One contract, every algorithm: the promises in recommender/algorithms/base.py, checked for each name."""

from __future__ import annotations

import mmap
from pathlib import Path
from typing import Self

import numpy as np
import pytest
import torch

from recommender.algorithms import ALGORITHMS
from recommender.algorithms.base import Recommender
from recommender.algorithms.folding import decode, encode, fold_store, name_folds
from recommender.algorithms.interactions import History, Interactions
from recommender.evaluation.leakage import LeakageError, LeakageGuard
from recommender.evaluation.runner import PROTOCOLS, evaluate_split
from recommender.evaluation.splitting import Split, temporal_leave_last_out
from tests.unit.recommender.margins import (
    NOT_PERSONAL,
    PLANTED_DATA,
    PLANTED_PRECISION,
    PLANTED_RMSE,
    fast,
    holdout_history,
    planted_precision,
    planted_rmse_ratio,
)
from tests.unit.recommender.planted import planted

#: The seed of the data and of every model here; margins.py measures the threshold checks over many.
SEED = 0


@pytest.fixture(scope="module")
def dataset() -> tuple[Interactions, np.ndarray, np.ndarray]:
    return planted(seed=SEED)


@pytest.fixture(scope="module", params=sorted(ALGORITHMS))
def name(request) -> str:
    """The registered name: one class may serve several (ncf and ncf_implicit), each with its own checks."""
    return request.param


@pytest.fixture(scope="module")
def model_data(name) -> tuple[Interactions, np.ndarray, np.ndarray]:
    """The planted set this algorithm is checked on (a larger one where margins.PLANTED_DATA says so)."""
    return planted(seed=SEED, **PLANTED_DATA.get(name, {}))


@pytest.fixture(scope="module")
def fitted(name, model_data) -> Recommender:
    data, _, _ = model_data
    return fast(name, SEED).fit(data)


def test_fit_then_score_gives_one_score_per_catalog_item(fitted, model_data):
    data, _, _ = model_data
    history = data.history(0)
    scores = fitted.score(history)
    assert scores.shape == (data.n_items,)
    rated = np.isin(data.item_ids, data.item_ids[data.items])
    assert np.isfinite(scores[rated & ~np.isin(data.item_ids, history.item_ids)]).mean() > 0.9
    picks = fitted.recommend(history, n=5)
    assert len(picks) == 5
    assert not {item for item, _ in picks} & set(history.item_ids.tolist())


def test_scores_for_chosen_items_match_the_full_scores(fitted, model_data):
    data, _, _ = model_data
    history = data.history(3)
    chosen = data.item_ids[[5, 1, 17]]
    np.testing.assert_allclose(fitted.score(history, chosen), fitted.score(history)[[5, 1, 17]], rtol=1e-5)


def test_unknown_user_is_scored_from_their_ratings(fitted, model_data):
    data, _, _ = model_data
    stranger = History.from_arrays(data.item_ids[[0, 3]], [5.0, 4.5], [1.0, 2.0], user_id=987_654)
    scores = fitted.score(stranger)
    assert scores.shape == (data.n_items,)
    assert np.isfinite(scores).any()


def test_empty_history_does_not_fail(fitted, model_data):
    data, _, _ = model_data
    scores = fitted.score(History.empty())
    assert scores.shape == (data.n_items,)
    if fitted.explicit:
        assert np.isfinite(fitted.predict(History.empty(), data.item_ids[:4])).all()


def test_a_movie_nobody_rated_and_an_unknown_id_do_not_fail(fitted, model_data):
    data, _, _ = model_data
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


def mapped(value: np.ndarray | torch.Tensor) -> bool:
    """Whether an array or tensor reads from a memory-mapped file rather than from the heap."""
    if isinstance(value, torch.Tensor):
        # torch.load(mmap=True) leaves no mark on the tensor: find the mapping its data lies in.
        address = value.untyped_storage().data_ptr()
        for line in Path("/proc/self/maps").read_text().splitlines():
            span, *rest = line.split()
            start, end = (int(part, 16) for part in span.split("-"))
            if start <= address < end:
                return bool(rest[4:]) and rest[-1].startswith("/")
        return False
    while isinstance(value, np.ndarray):
        if isinstance(value, np.memmap):
            return True
        value = value.base
    return isinstance(value, mmap.mmap)


def test_save_and_load_give_identical_scores_from_memory_mapped_arrays(fitted, model_data, tmp_path):
    data, _, _ = model_data
    fitted.save(tmp_path / "model")
    loaded = type(fitted).load(tmp_path / "model")
    history = holdout_history(data, 7)
    np.testing.assert_array_equal(loaded.item_ids, fitted.item_ids)
    # bit for bit: a mapped array holds the same bytes as the one that was saved
    np.testing.assert_array_equal(loaded.score(history), fitted.score(history))
    if fitted.explicit:
        items = data.item_ids[:10]
        np.testing.assert_array_equal(loaded.predict(history, items), fitted.predict(history, items))
    # and the model reads its learned arrays (and a torch model its weights) from the files, not from copies
    assert mapped(loaded.item_ids)
    if isinstance(getattr(loaded, "net", None), torch.nn.Module):
        assert all(mapped(parameter) for parameter in loaded.net.parameters())


class DictFoldStore(dict):
    """A fold store in a dict: what ``recommender.foldins`` does with Redis, minus the network."""

    def set(self, key: str, value: bytes) -> None:
        self[key] = value


#: The algorithms that fold a person in before scoring (the others read the history directly, at little cost).
FOLDING = {"svd", "als", "bpmf", "implicit_als", "ncf", "ncf_implicit", "sequence", "classifier", "autorec"}
FOLDING_BLENDS = {"hybrid", "blend"}  # through their folding components


def test_a_shared_fold_scores_exactly_like_a_fresh_one_and_is_read_back(name, fitted, model_data, tmp_path):
    # given a loaded copy, named as a served artifact is, and a shared store
    data, _, _ = model_data
    fitted.save(tmp_path / "model")
    served = type(fitted).load(tmp_path / "model")
    name_folds(served, f"checksum/{name}")
    history, items = holdout_history(data, 7), data.item_ids[:10]
    fresh = fitted.score(history)
    store = DictFoldStore()

    # when it scores the person twice with the store plugged in
    with fold_store(store):
        first = served.score(history)
        kept = dict(store)
        second = served.score(history)
        predicted = served.predict(history, items) if fitted.explicit else None

    # then both are the fresh scores bit for bit, and the folding models kept the fold once
    np.testing.assert_array_equal(first, fresh)
    np.testing.assert_array_equal(second, fresh)
    if fitted.explicit:
        np.testing.assert_array_equal(predicted, fitted.predict(history, items))
    assert bool(kept) == (name in FOLDING | FOLDING_BLENDS)
    assert store == kept
    if not kept:
        return
    # and the kept fold is what the second call read: another process's zeroed fold changes the scores
    for key in store:
        store[key] = encode(tuple(np.zeros_like(array) for array in decode(store[key])))
    with fold_store(store):
        assert not np.array_equal(served.score(history), fresh, equal_nan=True)
    # while another history is folded afresh, under its own key
    other = holdout_history(data, 8)
    with fold_store(store):
        np.testing.assert_array_equal(served.score(other), fitted.score(other))
    assert len(store) == 2 * len(kept)


def test_finds_the_planted_taste_groups(name, fitted, model_data):
    """A person who liked a few movies of one group gets that group's other movies on top."""
    data, user_group, item_group = model_data
    if name in NOT_PERSONAL:
        # These rank everyone alike by design; what they promise instead is exactly that: one order for all.
        orders = [np.argsort(-fitted.score(holdout_history(data, u)), kind="stable") for u in (0, 1, 2)]
        assert all(np.array_equal(orders[0], order) for order in orders[1:])
        return
    PLANTED_PRECISION[name].assert_passes(planted_precision(fitted, data, user_group, item_group))


def test_explicit_models_predict_the_planted_ratings(name, fitted, model_data):
    if not fitted.explicit:
        pytest.skip(f"{name} ranks items and does not estimate ratings")
    if name in NOT_PERSONAL:
        pytest.skip(f"{name} estimates the same taste for everyone; the planted ratings need a personal one")
    data, _, _ = model_data
    PLANTED_RMSE[name].assert_passes(planted_rmse_ratio(fitted, data))


class Untrained(Recommender):
    """Learns nothing: random scores and the global mean. The threshold checks must fail it."""

    name = "untrained"
    estimates_ratings = True

    def fit(self, data: Interactions) -> Self:
        self.mean = data.global_mean
        self._set_items(data.item_ids)
        return self

    def score(self, history: History, items: np.ndarray | None = None) -> np.ndarray:
        positions, known = self.positions(items)
        noise = np.random.default_rng(len(history)).random(len(self.item_ids))
        return np.where(known, noise[positions], np.nan)

    def predict(self, history: History, items: np.ndarray) -> np.ndarray:
        return np.full(len(items), self.mean)

    def save_state(self, directory) -> None:
        raise NotImplementedError

    def load_state(self, directory) -> None:
        raise NotImplementedError


def test_a_model_that_learns_nothing_fails_the_planted_checks(dataset):
    data, user_group, item_group = dataset
    untrained = Untrained().fit(data)
    assert not PLANTED_PRECISION["ncf_implicit"].passes(planted_precision(untrained, data, user_group, item_group))
    assert not PLANTED_RMSE["svd"].passes(planted_rmse_ratio(untrained, data))


# -- no test data reaches an algorithm -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def temporal_split(dataset) -> Split:
    data, _, _ = dataset
    return temporal_leave_last_out(data, seed=SEED)


def test_the_evaluation_never_gives_an_algorithm_test_data(name, temporal_split):
    """Fitted and evaluated behind the guard, as trained people and as brand-new ones: nothing raises."""
    guarded = LeakageGuard(fast(name, SEED), temporal_split, temporal=True)

    guarded.fit(temporal_split.train)
    for new_people in (False, True):
        figures = evaluate_split(guarded, temporal_split, PROTOCOLS["temporal"], new_people=new_people)
        assert figures["ranked_users"] == temporal_split.test.n_users


def test_the_guard_catches_each_kind_of_leak(temporal_split, dataset):
    data, _, _ = dataset
    guarded = LeakageGuard(fast("popularity", SEED), temporal_split, temporal=True)
    with pytest.raises(LeakageError, match=r"popularity\.fit was given 90 test rating"):
        guarded.fit(data)

    guarded.fit(temporal_split.train)
    with pytest.raises(LeakageError, match=r"popularity\.score was given 1 test rating"):
        guarded.score(data.history(0))
    test = temporal_split.test
    person, item = int(test.user_ids[test.users[0]]), int(test.item_ids[test.items[0]])
    with pytest.raises(LeakageError, match=r"popularity\.predict was given 1 test rating"):
        guarded.predict(History.from_arrays([item], [4.0], [0.0], user_id=person), np.array([item]))
    other_item = next(item for item in data.item_ids.tolist() if (person, item) not in guarded.test_pairs)
    after = History.from_arrays([other_item], [4.0], [test.timestamps[0] + 1.0], user_id=person)
    with pytest.raises(LeakageError, match="made after a test rating"):
        guarded.score(after)
