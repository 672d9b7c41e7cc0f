"""Item transitions: what people rate soon after what this person rated last."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.algorithms.interactions import History, Interactions
from recommender.algorithms.transitions import ItemTransitions, TransitionsConfig, _strongest

CATALOG = np.arange(1, 10)


def runs(sequences: list[list[int]]) -> Interactions:
    """One person per sequence, rating its movies one second apart, in order."""
    users = [person for person, sequence in enumerate(sequences) for _ in sequence]
    items = [item for sequence in sequences for item in sequence]
    stamps = [float(step) for sequence in sequences for step in range(len(sequence))]
    return Interactions.from_ids(users, items, np.full(len(items), 4.0), stamps, catalog=CATALOG)


def ranked(model: ItemTransitions, history: History) -> list[int]:
    return [item for item, _ in model.recommend(history, n=len(CATALOG))]


def test_the_movie_people_rate_next_comes_first():
    # given three people who rated 2 right after 1, and one who rated 3 after 1
    model = ItemTransitions(TransitionsConfig(window=1)).fit(runs([[1, 2], [1, 2], [1, 2], [1, 3]]))

    # when someone's latest rating is 1, then 2 leads, 3 follows, and movies no run leads to score 0
    scores = model.score(History.from_arrays([1], [5.0], [0.0]))
    assert ranked(model, History.from_arrays([1], [5.0], [0.0]))[:2] == [2, 3]
    assert scores[CATALOG == 9] == 0.0


def test_order_matters_what_came_before_is_not_what_comes_next():
    model = ItemTransitions(TransitionsConfig(window=1)).fit(runs([[1, 2], [1, 2]]))

    after_two = model.score(History.from_arrays([2], [5.0], [0.0]))

    assert after_two[CATALOG == 1] == 0.0


def test_the_latest_rating_weighs_most():
    # given runs 1 -> 2 and 3 -> 4, equally often
    model = ItemTransitions(TransitionsConfig(window=1, decay=0.5)).fit(runs([[1, 2], [3, 4]]))

    # when a person rated 1 and then 3, then what follows 3 ranks above what follows 1
    assert ranked(model, History.from_arrays([1, 3], [5.0, 5.0], [0.0, 1.0]))[:2] == [4, 2]
    # and with history read from the latest rating only, what follows 1 is not there at all
    latest_only = ItemTransitions(TransitionsConfig(window=1, steps=1)).fit(runs([[1, 2], [3, 4]]))
    assert latest_only.score(History.from_arrays([1, 3], [5.0, 5.0], [0.0, 1.0]))[CATALOG == 2] == 0.0


def test_a_pair_counts_only_within_the_window():
    sequences = [[1, 5, 6, 2]]  # 2 comes three steps after 1

    near = ItemTransitions(TransitionsConfig(window=2)).fit(runs(sequences))
    far = ItemTransitions(TransitionsConfig(window=3)).fit(runs(sequences))

    history = History.from_arrays([1], [5.0], [0.0])
    assert near.score(history)[CATALOG == 2] == 0.0
    assert far.score(history)[CATALOG == 2] > 0.0


def test_a_run_does_not_cross_from_one_person_to_the_next():
    # person 0 ends with 1, person 1 starts with 7: nobody rated 7 after 1
    model = ItemTransitions(TransitionsConfig(window=3)).fit(runs([[3, 1], [7, 8]]))

    assert model.score(History.from_arrays([1], [5.0], [0.0]))[CATALOG == 7] == 0.0


def test_alpha_one_favours_the_common_successor_and_zero_the_rare_one():
    # given 2 often follows 1 but follows everything else too, while 3 follows only 1, once
    sequences = [[1, 2], [1, 2], [1, 3], [4, 2], [5, 2], [6, 2], [7, 2]]

    conditional = ItemTransitions(TransitionsConfig(window=1, alpha=1.0)).fit(runs(sequences))
    specific = ItemTransitions(TransitionsConfig(window=1, alpha=0.0)).fit(runs(sequences))

    history = History.from_arrays([1], [5.0], [0.0])
    assert ranked(conditional, history)[0] == 2
    assert ranked(specific, history)[0] == 3


def test_empty_history_scores_zero_and_unknown_ids_nan():
    model = ItemTransitions().fit(runs([[1, 2, 3]]))

    assert (model.score(History.empty()) == 0.0).all()
    assert np.isnan(model.score(History.from_arrays([1], [4.0]), np.array([2, 999]))[1])


@pytest.mark.parametrize("block", [1, 2, 4096])
def test_only_the_strongest_successors_are_kept_whatever_the_block_of_rows(block):
    matrix = sp.csr_matrix(np.array([[0.0, 3.0, 1.0, 2.0], [5.0, 0.0, 0.0, 0.0], [1.0, 1.0, 0.0, 1.0]]))

    kept = _strongest(matrix, 2, block=block).toarray()

    np.testing.assert_array_equal(kept, [[0.0, 3.0, 0.0, 2.0], [5.0, 0.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0]])


@pytest.mark.parametrize(
    "bad", [{"window": 0}, {"steps": 0}, {"neighbours": 0}, {"decay": -0.1}, {"alpha": 1.5}, {"alpha": -1.0}]
)
def test_bad_settings_are_refused_naming_the_field(bad):
    (field,) = bad
    with pytest.raises(ValueError, match=field):
        TransitionsConfig(**bad)
