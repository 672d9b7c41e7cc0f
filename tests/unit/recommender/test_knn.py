"""Item and user kNN: similarities equal a brute-force computation, stay sparse, shrink, and predict well."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.algorithms import knn
from recommender.algorithms.interactions import History, Interactions
from recommender.algorithms.knn import ItemKNN, ItemKNNConfig, KNNConfig, UserKNN, UserKNNConfig, item_neighbours
from tests.unit.recommender.margins import Check, rmse_ratio_to_baseline
from tests.unit.recommender.synthetic import split, structured_ratings


def brute_force(centered: np.ndarray, rated: np.ndarray, shrinkage: float) -> np.ndarray:
    """Column x column shrunk cosine over co-rated rows, one pair at a time."""
    n = centered.shape[1]
    sims = np.zeros((n, n))
    for a in range(n):
        for b in range(n):
            both = rated[:, a] & rated[:, b]
            x, y = centered[both, a], centered[both, b]
            norm = np.sqrt((x * x).sum() * (y * y).sum())
            if a != b and norm > 0 and both.sum() > 1:
                sims[a, b] = (x * y).sum() / norm * (both.sum() - 1) / (both.sum() - 1 + shrinkage)
    return sims


def tiny(seed: int = 0, users: int = 12, items: int = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    rated = rng.random((users, items)) < 0.6
    centered = np.where(rated, rng.normal(0, 1, (users, items)), 0.0)
    return centered, rated


@pytest.mark.parametrize("block_cells", [1 << 24, 10])  # one block, and one row per block
def test_item_similarities_equal_the_brute_force_ones(monkeypatch, block_cells):
    monkeypatch.setattr(knn, "BLOCK_CELLS", block_cells)
    centered, rated = tiny()
    kept = item_neighbours(sp.csr_matrix(centered), sp.csr_matrix(rated), shrinkage=3.0, neighbours=100).toarray()
    expected = brute_force(centered, rated, 3.0)
    np.testing.assert_allclose(kept, np.where(expected > 0, expected, 0.0), rtol=1e-5, atol=1e-7)


def test_item_similarities_are_the_same_bits_however_many_threads_compute_their_blocks(monkeypatch):
    monkeypatch.setattr(knn, "BLOCK_CELLS", 40)  # two items per block: many blocks, finishing out of order
    centered, rated = tiny(seed=3, users=60, items=20)
    one, many = (
        item_neighbours(sp.csr_matrix(centered), sp.csr_matrix(rated), shrinkage=2.0, neighbours=5, threads=threads)
        for threads in (1, 4)
    )
    assert one.nnz > 0
    for part in ("indptr", "indices", "data"):
        np.testing.assert_array_equal(getattr(one, part), getattr(many, part))


def test_the_shrunk_cosine_is_the_same_in_place_and_leaves_its_inputs_alone_otherwise():
    rng = np.random.default_rng(4)
    count = rng.integers(0, 4, (6, 9)).astype(float)
    dot, left, right = (np.where(count > 0, rng.normal(0, 1, (6, 9)), 0.0) for _ in range(3))
    left, right = left**2, right**2
    left[0, :3] = 0.0  # no norm on one side: a cosine of 0, not a division by zero
    with np.errstate(divide="ignore", invalid="ignore"):
        norms = np.sqrt(left * right)
        support = np.maximum(count - 1, 0)
        expected = np.where(norms > 0, dot / norms, 0.0) * np.where(support > 0, support / (support + 2.5), 0.0)
    given = [array.copy() for array in (dot, left, right, count)]
    np.testing.assert_allclose(knn.shrunk_cosine(dot, left, right, count, 2.5), expected, rtol=1e-12, atol=0)
    for before, after in zip(given, (dot, left, right, count), strict=True):
        np.testing.assert_array_equal(before, after)
    np.testing.assert_array_equal(knn.shrunk_cosine(dot, left, right, count, 2.5, in_place=True), expected)


def test_only_the_top_neighbours_of_each_item_are_kept():
    centered, rated = tiny(seed=1, users=30, items=12)
    kept = item_neighbours(sp.csr_matrix(centered), sp.csr_matrix(rated), shrinkage=1.0, neighbours=3)
    expected = brute_force(centered, rated, 1.0)
    assert (np.diff(kept.indptr) <= 3).all()
    for item in range(12):
        row = kept[item].toarray().ravel()
        best = np.sort(expected[item][expected[item] > 0])[::-1][:3]
        np.testing.assert_allclose(np.sort(row[row > 0])[::-1], best, rtol=1e-5)


def test_shrinkage_shrinks_pairs_with_few_co_ratings_the_most():
    centered, rated = tiny(seed=2, users=40, items=8)
    light = brute_force(centered, rated, 0.0)
    heavy = item_neighbours(sp.csr_matrix(centered), sp.csr_matrix(rated), shrinkage=20.0, neighbours=100).toarray()
    both = (rated.T.astype(int) @ rated.astype(int)).astype(float)
    shown = heavy > 0
    assert (heavy[shown] < light[shown]).all()
    ratio = heavy[shown] / light[shown]
    np.testing.assert_allclose(ratio, (both[shown] - 1) / (both[shown] - 1 + 20.0), rtol=1e-5)


def test_item_knn_with_item_centering_uses_the_item_means():
    data, _ = structured_ratings(users=30, items=10, per_user=6)
    model = ItemKNN(ItemKNNConfig(centering="item", shrinkage=2.0, neighbours=100)).fit(data)
    ratings = data.matrix.toarray()
    rated = ratings > 0
    means = ratings.sum(0) / np.maximum(rated.sum(0), 1)
    expected = brute_force(np.where(rated, ratings - means, 0.0), rated, 2.0)
    np.testing.assert_allclose(model.similarity.toarray(), np.where(expected > 0, expected, 0.0), rtol=1e-4, atol=1e-6)


def test_similar_items_come_most_similar_first_without_the_item_itself():
    data, _ = structured_ratings(factors=2)
    model = ItemKNN().fit(data)
    similar = model.similar_items(int(data.item_ids[0]), 5)
    assert len(similar) == 5
    assert int(data.item_ids[0]) not in [item for item, _ in similar]
    scores = [score for _, score in similar]
    assert scores == sorted(scores, reverse=True)
    assert model.similar_items(999_999, 5) == []


def test_user_similarities_equal_the_brute_force_ones_and_exclude_the_person():
    # Given ratings centered by nothing, so the brute force needs no baseline
    data, _ = structured_ratings(users=15, items=8, per_user=5)
    model = UserKNN(UserKNNConfig(centering="none", shrinkage=2.0)).fit(data)
    ratings = data.matrix.toarray()
    own = data.history(3)
    # When comparing their ratings with everyone's
    sims = model.user_similarities(own)
    # Then it is the co-rated cosine against each row, and they are not their own neighbour
    person = np.zeros(data.n_items)
    person[[data.item_index[int(i)] for i in own.item_ids]] = own.ratings
    stacked = np.vstack([person, ratings]).T
    expected = brute_force(stacked, stacked > 0, 2.0)[0, 1:]
    expected[3] = 0.0
    np.testing.assert_allclose(sims, expected, rtol=1e-5, atol=1e-7)
    assert model.user_similarities(History.from_arrays(own.item_ids, own.ratings))[3] > 0


def neighbours_over_baseline(cls: type) -> Callable[[int], float]:
    def measure(seed: int) -> float:
        train, test = split(structured_ratings(seed=seed, factors=2, noise=0.2)[0])
        return rmse_ratio_to_baseline(cls(cls.config_class(seed=seed)).fit(train), train, test)

    return measure


CHECKS = {
    cls: Check(f"{cls.name} held-out RMSE / baseline's", neighbours_over_baseline(cls), 0.9, above=False)
    for cls in (ItemKNN, UserKNN)
}


@pytest.mark.parametrize("cls", [ItemKNN, UserKNN])
def test_neighbours_improve_on_the_baseline_when_tastes_differ(cls):
    CHECKS[cls].assert_at()


@pytest.mark.parametrize("cls", [ItemKNN, UserKNN])
def test_heavy_damping_falls_back_to_the_baseline(cls):
    train, _ = split(structured_ratings(factors=2)[0])
    config = cls.config_class(damping=1e9)
    history, items = train.history(0), train.item_ids[:20]
    baseline = cls(config).fit(train)
    no_neighbours = cls(cls.config_class(damping=1e9, neighbours=1)).fit(train)
    np.testing.assert_allclose(baseline.predict(history, items), no_neighbours.predict(history, items), atol=1e-6)
    assert not np.allclose(cls().fit(train).predict(history, items), baseline.predict(history, items), atol=1e-3)


@pytest.mark.parametrize("cls", [ItemKNN, UserKNN])
def test_the_scores_rank_what_like_minded_people_liked_first(cls):
    # Given two camps: one loves items 1 and 2 and hates 3 and 4, the other the reverse
    camp = np.repeat([0, 1], 10)
    users = np.repeat(np.arange(20), 4)
    items = np.tile([1, 2, 3, 4], 20)
    ratings = np.where((items <= 2) == (camp[users] == 0), 5.0, 1.0) - (users % 3) * 0.5
    model = cls(cls.config_class(shrinkage=0.0)).fit(Interactions.from_ids(users, items, ratings))
    # When a newcomer loves item 1 and hates item 3
    scores = model.score(History.from_mapping({1: 5.0, 3: 1.0}), np.array([2, 4]))
    # Then item 2 (the first camp's) outranks item 4
    assert scores[0] > scores[1]


@pytest.mark.parametrize("cls", [ItemKNN, UserKNN])
def test_a_pair_rated_twice_is_refused(cls):
    data = Interactions.from_ids([1, 1, 2], [10, 10, 10], [4.0, 5.0, 3.0])
    with pytest.raises(ValueError, match="rated twice"):
        cls().fit(data)


@pytest.mark.parametrize(("field", "value"), [("centering", "median"), ("neighbours", 0), ("shrinkage", -1.0)])
def test_bad_settings_are_refused_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        KNNConfig(**{field: value})


def test_latest_per_user_keeps_each_persons_newest_ratings_up_to_the_limit():
    # a heavy rater with 6 ratings (times out of order) and a light one with 2
    data = Interactions.from_ids(
        [1] * 6 + [2] * 2, [10, 11, 12, 13, 14, 15, 10, 11], [4.0] * 8, [5, 1, 6, 2, 4, 3, 1, 2]
    )

    kept = knn.latest_per_user(data, 3)

    assert sorted(data.item_ids[data.items[kept]][data.users[kept] == 0].tolist()) == [10, 12, 14]  # times 5, 6, 4
    assert kept[data.users == 1].all()
    assert knn.latest_per_user(data, 0).all() and knn.latest_per_user(data, 6).all()


def test_capping_heavy_raters_changes_nothing_below_the_cap_and_only_their_share_above_it():
    data, _ = structured_ratings(seed=3)
    most = int(np.bincount(data.users).max())
    everyone = ItemKNN(ItemKNNConfig(max_user_ratings=0)).fit(data)
    at_most = ItemKNN(ItemKNNConfig(max_user_ratings=most)).fit(data)
    capped = ItemKNN(ItemKNNConfig(max_user_ratings=max(2, most // 4))).fit(data)

    assert (everyone.similarity != at_most.similarity).nnz == 0
    assert (everyone.similarity != capped.similarity).nnz > 0


def test_item_knn_scores_are_the_similarity_weighted_residuals_of_the_rated_movies(tmp_path):
    # Given a fitted item kNN and a person with some ratings
    train, _ = split(structured_ratings(seed=5, factors=2)[0])
    model = ItemKNN(ItemKNNConfig(neighbours=8)).fit(train)
    history = train.history(2)
    rated = np.array([train.item_index[int(item)] for item in history.item_ids])
    # When the whole catalog, and then a few movies, are scored
    residual = np.zeros(train.n_items)
    residual[rated] = history.ratings - (model.biases.mean + model._fold_in(history)[2] + model.biases.item[rated])
    expected = model.similarity.toarray() @ residual  # each movie: its neighbours' residuals, by similarity
    # Then each is the sum over its neighbours of similarity x residual, from the columns of the rated movies
    np.testing.assert_allclose(model.score(history), expected, rtol=1e-6, atol=1e-9)
    few = train.item_ids[[4, 0, 9]]
    np.testing.assert_allclose(model.score(history, few), expected[[4, 0, 9]], rtol=1e-6, atol=1e-9)
    # And an artifact saved before the columns were kept scores the same once loaded
    model.save_state(tmp_path)
    for name in ("voters", "voters_indices", "voters_indptr"):
        (tmp_path / "arrays" / f"{name}.npy").unlink()
    older = ItemKNN(model.config)
    older.load_state(tmp_path)
    np.testing.assert_array_equal(older.score(history), model.score(history))


@pytest.mark.parametrize(("cores", "expected"), [(1, 1), (2, 2), (64, knn.MAX_BLOCK_THREADS)])
def test_item_similarities_use_a_thread_per_core_up_to_a_memory_bound(monkeypatch, cores, expected):
    started = []

    class Recording(knn.ThreadPoolExecutor):
        def __init__(self, max_workers: int) -> None:
            started.append(max_workers)
            super().__init__(max_workers=max_workers)

    monkeypatch.setattr(knn, "ThreadPoolExecutor", Recording)
    monkeypatch.setattr(knn, "usable_cores", lambda: cores)
    centered, rated = tiny()
    item_neighbours(sp.csr_matrix(centered), sp.csr_matrix(rated), shrinkage=1.0, neighbours=3)
    assert started == [expected]
