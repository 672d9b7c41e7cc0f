"""SequenceGRU: learns what comes next from each person's time-ordered ratings, and reads only the latest ones."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.algorithms.interactions import History, Interactions
from recommender.algorithms.sequence import SequenceConfig, SequenceGRU, training_windows
from tests.unit.recommender.margins import Check

RING = 12  # movies 100, 101, ... 111, watched in this cyclic order


def ring_walks(users: int = 48, length: int = 8, seed: int = 0) -> Interactions:
    """Each person watches ``length`` consecutive movies of the ring from a random starting point."""
    rng = np.random.default_rng(seed)
    rows, items, stamps = [], [], []
    for user in range(users):
        start = rng.integers(RING)
        for step in range(length):
            rows.append(user), items.append(100 + (start + step) % RING), stamps.append(1_000 * user + step)
    return Interactions.from_ids(rows, items, np.full(len(rows), 4.0), stamps)


def ring_model(seed: int = 0) -> SequenceGRU:
    config = SequenceConfig(epochs=30, batch_size=8, factors=16, hidden=32, max_length=5, seed=seed)
    return SequenceGRU(config).fit(ring_walks(seed=seed))


def walk(*items: int) -> History:
    return History.from_arrays(list(items), [4.0] * len(items), np.arange(len(items), dtype=float))


def next_on_ring(model: SequenceGRU) -> float:
    """Share of two-step walks whose top pick is the ring's next movie."""
    picks = [model.recommend(walk(100 + k, 100 + (k + 1) % RING), n=1)[0][0] for k in range(RING)]
    return float(np.mean([pick == 100 + (k + 2) % RING for k, pick in enumerate(picks)]))


CHECKS = {"ring": Check("sequence next movie on the ring", lambda seed: next_on_ring(ring_model(seed)), 0.9, True)}


@pytest.fixture(scope="module")
def model() -> SequenceGRU:
    return ring_model()


def test_the_next_movie_on_the_ring_comes_first(model):
    CHECKS["ring"].assert_passes(next_on_ring(model))


def test_time_order_decides_not_the_set_of_movies(model):
    forwards = History.from_arrays([103, 104], [4.0, 4.0], [1.0, 2.0])
    backwards = History.from_arrays([103, 104], [4.0, 4.0], [2.0, 1.0])
    # The best score, rated movies included: what follows the latest one
    assert model.item_ids[np.argmax(model.score(forwards))] == 105
    assert model.item_ids[np.argmax(model.score(backwards))] == 104


def test_only_the_latest_max_length_ratings_count(model):
    latest = [104, 105, 106, 107, 108]
    np.testing.assert_array_equal(model.score(walk(101, 102, 103, *latest)), model.score(walk(*latest)))


def test_movies_the_model_never_saw_are_skipped_in_a_history(model):
    np.testing.assert_array_equal(model.score(walk(103, 999_999, 104)), model.score(walk(103, 104)))


def test_an_empty_history_scores_from_the_start_state():
    # Given sequences that all begin with movie 111
    data = Interactions.from_ids([1, 1, 2, 2, 3, 3], [111, 105, 111, 107, 111, 102], [4.0] * 6, [1, 2, 1, 2, 1, 2])
    model = SequenceGRU(SequenceConfig(epochs=40, batch_size=2, factors=8, hidden=8)).fit(data)
    # Then a person with no ratings yet is offered the usual first movie
    assert model.recommend(History.empty(), n=1)[0][0] == 111


def test_windows_cut_from_the_end_with_the_next_movies_as_targets():
    # One person rated positions 0..4 in this time order (ids 10..14)
    data = Interactions.from_ids([7] * 5, [14, 10, 13, 11, 12], [4.0] * 5, [5, 1, 4, 2, 3])
    start, pad = 5, 6
    inputs, targets = training_windows(data, max_length=3, horizon=2, start=start, pad=pad)
    # The latest three steps get a full window; the first two get what is left, padded
    assert inputs.tolist() == [[start, 2, 3], [start, 0, pad]]
    assert targets.tolist() == [[[2, 3], [3, 4], [4, pad]], [[0, 1], [1, 2], [pad, pad]]]


@pytest.mark.parametrize(("field", "value"), [("max_length", 0), ("horizon", 0), ("dropout", -0.1), ("device", "gpu")])
def test_bad_settings_are_refused_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        SequenceConfig(**{field: value})
