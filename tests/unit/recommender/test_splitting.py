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


def test_temporal_split_holds_out_each_users_latest_rating():
    # User 1's latest is item 30 (time 9); user 2's is item 20 (time 8)
    data = Interactions.from_ids([1, 1, 1, 2, 2, 2], [10, 30, 20, 5, 10, 20], [4, 3, 5, 1, 2, 3], [1, 9, 5, 1, 7, 8])
    split = temporal_leave_last_out(data)
    assert _keys(split.test) == {(1, 30), (2, 20)}
    assert _keys(split.train) == _keys(data) - _keys(split.test)


def test_ties_in_time_are_broken_by_a_seeded_random_choice_not_by_id():
    # Given 400 people who each rated movies 10 and 20 in the same last second
    people = np.repeat(np.arange(400), 3)
    data = Interactions.from_ids(people, np.tile([5, 10, 20], 400), np.full(1200, 4.0), np.tile([1.0, 7.0, 7.0], 400))
    # When splitting, then either tied movie is held out, about as often, and the same seed picks the same ones
    held_out = [_keys(temporal_leave_last_out(data, seed=seed).test) for seed in (1, 1, 2)]
    larger = sum(item == 20 for _, item in held_out[0]) / 400
    assert 0.4 < larger < 0.6
    assert held_out[0] == held_out[1] != held_out[2]


def test_training_ratings_made_in_the_same_second_are_in_no_id_order():
    # Given 400 people who rated movies 10, 20 and 30 in one second, listed by id as the data files list them
    people = np.repeat(np.arange(400), 4)
    stamps = np.tile([1.0, 7.0, 7.0, 7.0], 400)
    data = Interactions.from_ids(people, np.tile([5, 10, 20, 30], 400), np.full(1600, 4.0), stamps)
    # When a model reads each person's training history in time order
    histories = temporal_leave_last_out(data, seed=3).train.histories()
    # Then the two tied training movies come in a random order: "the next id is larger" is no lesson to learn
    ascending = np.mean([history.item_ids[1] < history.item_ids[2] for history in histories.values()])
    assert 0.4 < ascending < 0.6


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
