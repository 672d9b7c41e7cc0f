"""Splits keep their invariants: disjoint parts, nothing lost, the right rating held out."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.algorithms.interactions import Interactions
from recommender.evaluation.splitting import kfold, leave_one_out_sampled, predefined_folds, temporal_leave_last_out
from tests.unit.recommender.planted import planted


@pytest.fixture(scope="module")
def data() -> Interactions:
    return planted()[0]


def _keys(data: Interactions) -> set[tuple[int, int]]:
    return set(zip(data.user_ids[data.users].tolist(), data.item_ids[data.items].tolist(), strict=True))


def test_kfold_test_parts_partition_the_ratings(data):
    splits = kfold(data, 5, seed=3)
    tests = [_keys(split.test) for split in splits]
    assert set().union(*tests) == _keys(data)
    assert sum(len(test) for test in tests) == len(data)
    assert max(map(len, tests)) - min(map(len, tests)) <= 1
    for split in splits:
        assert not _keys(split.train) & _keys(split.test)
        assert len(split.train) + len(split.test) == len(data)
        np.testing.assert_array_equal(split.train.item_ids, data.item_ids)  # positions stay comparable


def test_kfold_is_seeded(data):
    first, again, other = kfold(data, 5, seed=1), kfold(data, 5, seed=1), kfold(data, 5, seed=2)
    assert _keys(first[0].test) == _keys(again[0].test)
    assert _keys(first[0].test) != _keys(other[0].test)


def test_kfold_needs_two_folds(data):
    with pytest.raises(ValueError, match="k >= 2"):
        kfold(data, 1)


def test_predefined_folds_follow_the_given_pairs():
    data = Interactions.from_ids([1, 1, 2, 2], [10, 20, 10, 30], [4, 3, 5, 2])
    train_pairs = (np.array([1, 2]), np.array([10, 30]))
    test_pairs = (np.array([1, 2]), np.array([20, 10]))
    (split,) = predefined_folds(data, [(train_pairs, test_pairs)])
    assert _keys(split.train) == {(1, 10), (2, 30)}
    assert _keys(split.test) == {(1, 20), (2, 10)}
    assert sorted(split.test.ratings.tolist()) == [3.0, 5.0]


def test_predefined_folds_reject_pairs_that_are_not_ratings():
    data = Interactions.from_ids([1, 2], [10, 20], [4, 3])
    with pytest.raises(ValueError, match=r"fold 1 test: 1 .* not among the ratings"):
        predefined_folds(data, [((np.array([1]), np.array([10])), (np.array([2]), np.array([10])))])


def test_temporal_split_holds_out_each_users_latest_rating_ties_to_the_largest_item():
    # User 1's latest is item 30 (time 9); user 2 rated 10 and 20 at the same last moment: 20 wins.
    data = Interactions.from_ids([1, 1, 1, 2, 2, 2], [10, 30, 20, 5, 10, 20], [4, 3, 5, 1, 2, 3], [1, 9, 5, 1, 7, 7])
    split = temporal_leave_last_out(data)
    assert _keys(split.test) == {(1, 30), (2, 20)}
    assert _keys(split.train) == _keys(data) - _keys(split.test)


def test_temporal_split_on_a_larger_set_gives_one_latest_rating_per_user(data):
    split = temporal_leave_last_out(data)
    assert np.array_equal(np.sort(split.test.users), np.arange(data.n_users))
    for user, stamp in zip(split.test.users, split.test.timestamps, strict=True):
        assert stamp >= split.train.timestamps[split.train.users == user].max()


def test_sampled_negatives_are_unrated_distinct_and_seeded(data):
    split = leave_one_out_sampled(data, negatives=20, seed=5)
    rated = data.matrix.tolil().rows
    for row, (user, item) in enumerate(zip(split.test.users, split.test.items, strict=True)):
        candidates = split.candidates[row]
        assert candidates[0] == item
        assert len(candidates) == 21 and len(set(candidates.tolist())) == 21
        assert not set(candidates[1:].tolist()) & set(rated[user])
    again = leave_one_out_sampled(data, negatives=20, seed=5)
    assert all(np.array_equal(a, b) for a, b in zip(split.candidates, again.candidates, strict=True))


def test_sampled_negatives_stop_when_the_catalog_runs_out():
    data = Interactions.from_ids([1, 1, 2], [10, 20, 10], [4, 3, 5], [1, 2, 3], catalog=[10, 20, 30])
    split = leave_one_out_sampled(data, negatives=99)
    by_user = {int(data.user_ids[u]): c for u, c in zip(split.test.users, split.candidates, strict=True)}
    assert sorted(by_user[1].tolist()) == [1, 2]  # the held-out item (position 1) and the one unrated (30)
    assert sorted(by_user[2].tolist()) == [0, 1, 2]
