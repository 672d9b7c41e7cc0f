"""Metrics against small cases worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from recommender.evaluation import metrics

# One list used throughout: items 3 and 1 are hits at ranks 2 and 4; item 7 is relevant but never shown.
RANKED = [5, 3, 9, 1]
RELEVANT = {3, 1, 7}


def test_rating_errors():
    predicted, actual = np.array([3.0, 4.0]), np.array([4.0, 2.0])
    assert metrics.mse(predicted, actual) == pytest.approx((1 + 4) / 2)
    assert metrics.rmse(predicted, actual) == pytest.approx(math.sqrt(2.5))
    assert metrics.mae(predicted, actual) == pytest.approx(1.5)


def test_rating_errors_refuse_mismatched_or_empty_arrays():
    with pytest.raises(ValueError):
        metrics.rmse(np.array([1.0]), np.array([1.0, 2.0]))
    with pytest.raises(ValueError):
        metrics.mae(np.array([]), np.array([]))


def test_precision_and_recall():
    assert metrics.precision_at_k(RANKED, RELEVANT, 2) == pytest.approx(1 / 2)
    assert metrics.precision_at_k(RANKED, RELEVANT, 10) == pytest.approx(2 / 10)  # a short list still has 10 slots
    assert metrics.recall_at_k(RANKED, RELEVANT, 4) == pytest.approx(2 / 3)
    assert metrics.recall_at_k(RANKED, set(), 4) == 0.0


def test_hit_rate():
    assert metrics.hit_rate_at_k(RANKED, RELEVANT, 1) == 0.0
    assert metrics.hit_rate_at_k(RANKED, RELEVANT, 2) == 1.0


def test_ndcg_divides_by_the_best_possible_list():
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)  # three relevant items could fill ranks 1-3
    assert metrics.ndcg_at_k(RANKED, RELEVANT, 4) == pytest.approx(dcg / ideal)
    assert metrics.ndcg_at_k(RANKED, RELEVANT, 1) == 0.0


def test_ndcg_with_one_held_out_item_is_the_discount_of_its_rank():
    # The temporal protocol: a single relevant movie at rank 3 gains 1/log2(3 + 1).
    assert metrics.ndcg_at_k([8, 6, 4, 2], {4}, 10) == pytest.approx(0.5)
    assert metrics.ndcg_at_k([8, 6, 4, 2], {4}, 2) == 0.0


def test_average_precision_and_reciprocal_rank():
    # Hits at ranks 2 and 4: precision 1/2 and 2/4 there, over min(3 relevant, k=4).
    assert metrics.average_precision_at_k(RANKED, RELEVANT, 4) == pytest.approx((1 / 2 + 2 / 4) / 3)
    assert metrics.reciprocal_rank(RANKED, RELEVANT) == pytest.approx(1 / 2)
    assert metrics.reciprocal_rank(RANKED, {42}) == 0.0


def test_catalog_coverage_counts_distinct_items_shown():
    assert metrics.catalog_coverage([[1, 2], [2, 3]], 10) == pytest.approx(0.3)


def test_recommendation_counts_follow_the_catalog_and_count_every_list():
    assert metrics.recommendation_counts([[1, 2], [2, 9]], [1, 2, 3]).tolist() == [1.0, 2.0, 0.0]


def test_gini_is_zero_when_every_item_is_shown_alike_and_near_one_when_one_takes_all():
    assert metrics.gini_index(np.array([4.0, 4.0, 4.0, 4.0])) == pytest.approx(0.0)
    assert metrics.gini_index(np.array([0.0, 0.0, 0.0, 12.0])) == pytest.approx(0.75)  # (n - 1) / n
    assert metrics.gini_index(np.array([1.0, 2.0, 3.0])) == pytest.approx(2 / 9)
    assert metrics.gini_index(np.zeros(3)) == 0.0


def test_effective_catalog_size_counts_equally_shown_items():
    assert metrics.effective_catalog_size(np.array([5.0, 5.0, 0.0, 0.0])) == pytest.approx(2.0)
    assert metrics.effective_catalog_size(np.array([9.0, 1.0])) < 2.0


def test_popular_share_is_the_slots_taken_by_the_most_rated_fraction():
    counts = np.array([6.0, 1.0, 1.0, 2.0] * 25)  # 100 items: the 1% is one item
    popularity = np.arange(100, dtype=float)  # item 99 is the most rated
    assert metrics.popular_share(counts, popularity, 0.01) == pytest.approx(2.0 / counts.sum())
    assert metrics.popular_share(np.zeros(4), np.arange(4.0), 0.5) == 0.0


def test_novelty_is_the_mean_self_information():
    # An item half the users rated carries 1 bit, one a quarter rated carries 2.
    assert metrics.novelty([[1, 2]], {1: 0.5, 2: 0.25}) == pytest.approx(1.5)


def test_intra_list_diversity_uses_genre_cosine():
    genres = {1: ["Action", "Drama"], 2: ["Action"], 3: ["Comedy"]}
    # Pairs (1,2): 1/sqrt(2); (1,3) and (2,3): 0.
    assert metrics.intra_list_diversity([1, 2, 3], genres) == pytest.approx(1 - (1 / math.sqrt(2)) / 3)
    assert metrics.intra_list_diversity([2, 2], genres) == pytest.approx(0.0)
    assert math.isnan(metrics.intra_list_diversity([1], genres))
