"""Interactions: each person's latest ratings, and where each rating stands in its person's history."""

from __future__ import annotations

import numpy as np

from recommender.algorithms.interactions import Interactions


def _person(data: Interactions, mask: np.ndarray, user: int) -> list[int]:
    rows = mask & (data.user_ids[data.users] == user)
    return sorted(data.item_ids[data.items[rows]].tolist())


def _sample() -> Interactions:
    # Person 1 rated five movies (two in the same second), person 2 two, person 3 one; shuffled rows.
    users = [1, 2, 1, 3, 1, 1, 2, 1]
    items = [14, 21, 11, 31, 15, 13, 22, 12]
    stamps = [40, 5, 10, 7, 40, 30, 6, 20]
    return Interactions.from_ids(users, items, [4] * len(users), stamps)


def test_latest_marks_each_persons_newest_count_ratings_in_history_order():
    data = _sample()
    histories = data.histories()
    latest = data.latest(count=2)
    for user in (1, 2, 3):
        history = histories[data.user_index[user]]
        assert _person(data, latest, user) == sorted(history.item_ids[-2:].tolist())
    assert latest.sum() == 2 + 2 + 1


def test_latest_leaves_more_than_ratings_to_train_on():
    data = _sample()
    latest = data.latest(more_than=1, count=3)
    assert _person(data, latest, 1) == [13, 14, 15]
    assert _person(data, latest, 2) == [22]  # two ratings: one held out, one kept
    assert _person(data, latest, 3) == []  # a single rating stays for training
    np.testing.assert_array_equal(data.latest(more_than=1), data.latest(more_than=1, count=1))


def test_positions_in_history_say_how_many_ratings_came_before():
    data = _sample()
    histories = data.histories()
    places = data.positions_in_history()
    for row in range(len(data)):
        history = histories[int(data.users[row])]
        place = int(places[row])
        assert history.item_ids[place] == data.item_ids[data.items[row]]
        before = history.first(place)
        assert len(before) == place and before.user_id == history.user_id
        assert np.all(before.timestamps <= data.timestamps[row])


def test_the_histories_of_some_people_are_theirs_in_the_whole_build_ties_in_time_included():
    data = _sample()
    everyone = data.histories()
    some = data.histories(np.array([data.user_index[1], data.user_index[3], data.user_index[1]]))
    assert sorted(some) == sorted([data.user_index[1], data.user_index[3]])
    for position, history in some.items():
        np.testing.assert_array_equal(history.item_ids, everyone[position].item_ids)  # 14 and 15 tie at 40
        np.testing.assert_array_equal(history.timestamps, everyone[position].timestamps)
        assert history.user_id == everyone[position].user_id


def test_the_latest_rating_alone_is_the_one_the_whole_ordering_puts_last_ties_in_time_included():
    rng = np.random.default_rng(7)
    users = rng.integers(0, 40, 600)
    data = Interactions.from_ids(users, rng.integers(0, 10_000, 600), rng.random(600), rng.integers(0, 6, 600))
    histories = data.histories()
    for more_than in (0, 3, 15):
        latest = data.latest(more_than=more_than)
        for user in range(data.n_users):
            history, rows = histories[user], np.flatnonzero(latest & (data.users == user))
            if len(history) > more_than:  # the last of the person's history, which ties in time kept in order
                assert data.item_ids[data.items[rows]].tolist() == [history.item_ids[-1]]
            else:
                assert len(rows) == 0
