"""The harness: what it ranks, what it counts as a hit, and how it averages."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Self

import numpy as np
import pytest

from recommender.algorithms import ALGORITHMS
from recommender.algorithms.base import Recommender
from recommender.algorithms.interactions import History, Interactions
from recommender.evaluation import metrics
from recommender.evaluation.runner import (
    PROTOCOLS,
    available_algorithms,
    evaluate,
    evaluate_split,
    make_splits,
    ranking,
    ranking_head,
    ranks_in_ranking,
    summary_line,
)
from recommender.evaluation.splitting import temporal_leave_last_out
from tests.unit.recommender.planted import planted


class SmallIdsFirst(Recommender):
    """Ranks by item id, smallest first, and always estimates 3 stars."""

    name = "small_ids_first"
    explicit = True

    def fit(self, data: Interactions) -> Self:
        self._set_items(data.item_ids)
        return self

    def score(self, history: History, items: np.ndarray | None = None) -> np.ndarray:
        positions, known = self.positions(items)
        return np.where(known, -self.item_ids[positions].astype(float), np.nan)

    def predict(self, history: History, items: np.ndarray) -> np.ndarray:
        return np.full(len(items), 3.0)

    def save_state(self, directory: Path) -> None:
        raise NotImplementedError

    def load_state(self, directory: Path) -> None:
        raise NotImplementedError


class RanksOnly(SmallIdsFirst):
    name = "ranks_only"
    explicit = False


class Broken(SmallIdsFirst):
    name = "broken"

    def fit(self, data: Interactions) -> Self:
        raise RuntimeError("out of cheese")


@pytest.fixture
def two_users() -> Interactions:
    """User 1 rated movies 1 and 2, then 5 (rated 4); user 2 rated 3, then 15 (rated 1). Catalog: 1..20."""
    return Interactions.from_ids(
        [1, 1, 1, 2, 2], [1, 2, 5, 3, 15], [5, 4, 4, 3, 1], [1, 2, 3, 1, 2], catalog=np.arange(1, 21)
    )


def test_temporal_protocol_ranks_every_unrated_movie(two_users):
    split = temporal_leave_last_out(two_users)
    result = evaluate_split(SmallIdsFirst().fit(split.train), split, PROTOCOLS["temporal"])
    # User 1: candidates 3, 4, 5, ... so movie 5 is 3rd. User 2: 1, 2, 4, ..., 15 puts movie 15 14th.
    assert result["hr@10"] == pytest.approx(0.5)
    assert result["ndcg@10"] == pytest.approx((1 / math.log2(4) + 0) / 2)
    assert result["mrr"] == pytest.approx((1 / 3 + 1 / 14) / 2)
    # Predicting 3 stars for ratings 4 and 1.
    assert result["rmse"] == pytest.approx(math.sqrt((1 + 4) / 2))
    assert result["mae"] == pytest.approx(1.5)
    # Top-10 lists 3..12 and 1, 2, 4..11 show movies 1..12 of 20.
    assert result["coverage"] == pytest.approx(12 / 20)
    assert result["ranked_users"] == 2
    # Model health over those lists: movies 4..11 are in both, 1, 2, 3 and 12 in one, 13..20 in none
    shown = np.array([1, 1, 1] + [2] * 8 + [1] + [0] * 8, dtype=float)
    assert result["gini"] == pytest.approx(metrics.gini_index(shown)) and 0.4 < result["gini"] < 0.6
    assert result["effective_catalog"] == pytest.approx(metrics.effective_catalog_size(shown))
    # The most rated 1% of 20 movies is one: movie 1 (three movies tie at one rating; the first wins), in 1 of 20 slots
    assert result["top1_share"] == pytest.approx(1 / 20)


def test_a_model_that_only_ranks_has_no_rating_errors(two_users):
    split = temporal_leave_last_out(two_users)
    result = evaluate_split(RanksOnly().fit(split.train), split, PROTOCOLS["temporal"])
    assert result["rmse"] is None and result["mae"] is None
    assert result["hr@10"] == pytest.approx(0.5)


def test_fold_protocols_count_only_high_ratings_as_relevant(two_users):
    # User 2's held-out 1-star rating is no hit to find, so only user 1 is ranked.
    split = temporal_leave_last_out(two_users)
    result = evaluate_split(SmallIdsFirst().fit(split.train), split, PROTOCOLS["folds"])
    assert result["ranked_users"] == 1
    assert result["hr@10"] == pytest.approx(1.0)
    assert result["rmse"] == pytest.approx(math.sqrt((1 + 4) / 2))  # every held-out rating is still predicted


def test_ranking_puts_unscorable_items_last_and_keeps_every_candidate():
    items = np.array([30, 10, 20, 40, 50])
    ranked = ranking(items, np.array([1.0, np.nan, 1.0, 2.0, -5.0]))
    assert ranked[0] == 40 and set(ranked[1:3]) == {20, 30} and ranked[3:].tolist() == [50, 10]


def test_ties_go_by_a_fixed_hash_not_by_the_id():
    # Given 1,000 movies that all score alike
    items = np.arange(1, 1001)
    ranked = ranking(items, np.zeros(1000))
    # Then the order is the same every time, and the smaller id of a pair comes first about half the time
    assert np.array_equal(ranked, ranking(items[::-1], np.zeros(1000)))
    assert 0.45 < np.mean(ranked[:-1] < ranked[1:]) < 0.55


def test_a_model_that_skips_candidates_is_refused():
    with pytest.raises(ValueError, match="scored 2 of 3"):
        ranking(np.array([1, 2, 3]), np.array([0.5, 0.2]))


def test_evaluate_averages_the_splits_and_logs_one_line_per_algorithm():
    data = planted()[0]
    splits = make_splits("kfold", data, seed=1)
    lines: list[str] = []
    results = evaluate(["popularity", "content"], splits, PROTOCOLS["kfold"], log=lines.append)
    assert [line.split(":")[0] for line in lines] == ["popularity", "content"]
    popularity = results["popularity"]
    assert len(popularity["splits"]) == 5
    assert popularity["rmse"] == pytest.approx(np.mean([s["rmse"] for s in popularity["splits"]]))
    assert results["content"]["rmse"] is None
    assert "RMSE" in summary_line("popularity", popularity) and "RMSE" not in summary_line(
        "content", results["content"]
    )


def test_keep_going_records_a_failing_algorithm_and_runs_the_rest(monkeypatch):
    monkeypatch.setitem(ALGORITHMS, "broken", (f"{__name__}:Broken", {}))
    splits = [temporal_leave_last_out(planted()[0])]
    lines: list[str] = []
    results = evaluate(["broken", "popularity"], splits, PROTOCOLS["temporal"], log=lines.append, keep_going=True)
    assert results["broken"] == {"error": "RuntimeError: out of cheese"}
    assert results["popularity"]["hr@10"] is not None
    assert lines[0] == "broken: FAILED: RuntimeError: out of cheese"
    with pytest.raises(RuntimeError, match="cheese"):
        evaluate(["broken"], splits, PROTOCOLS["temporal"])


def test_folds_protocol_needs_the_data_sets_folds():
    with pytest.raises(ValueError, match="predefined folds"):
        make_splits("folds", planted()[0])
    with pytest.raises(ValueError, match="unknown protocol"):
        make_splits("bogus", planted()[0])


def test_available_algorithms_lists_what_imports():
    available, missing = available_algorithms()
    assert {"popularity", "baseline", "content", "hybrid"} <= set(available)
    assert not set(available) & set(missing)


class KnowsTrainedPeople(Recommender):
    """Finds the held-out movie only for people it was trained on (by user id), as learned user rows do."""

    name = "knows_trained_people"

    def fit(self, data: Interactions) -> Self:
        self._set_items(data.item_ids)
        return self

    def score(self, history: History, items: np.ndarray | None = None) -> np.ndarray:
        positions, known = self.positions(items)
        scores = np.zeros(len(self.item_ids))
        scores[self.item_ids == 30] = 1.0 if history.user_id is not None else -1.0
        return np.where(known, scores[positions], np.nan)

    def save_state(self, directory) -> None:
        raise NotImplementedError

    def load_state(self, directory) -> None:
        raise NotImplementedError


def test_new_people_are_scored_from_their_ratings_alone():
    # Given two people whose latest movie is 30
    data = Interactions.from_ids([1, 1, 2, 2], [10, 30, 20, 30], [4, 5, 3, 4], [1, 2, 1, 2], catalog=[10, 20, 30, 40])
    split = temporal_leave_last_out(data)
    model = KnowsTrainedPeople().fit(split.train)
    # Then trained people find it, and the same people withheld their user id do not
    assert evaluate_split(model, split, PROTOCOLS["temporal"])["mrr"] == pytest.approx(1.0)
    assert evaluate_split(model, split, PROTOCOLS["temporal"], new_people=True)["mrr"] < 1.0


def test_seeds_give_each_figure_its_mean_and_spread():
    # Given a temporal split made per seed (each seed breaks the ties in time its own way)
    data = planted()[0]
    asked: list[int] = []

    def splits(seed: int) -> list:
        asked.append(seed)
        return make_splits("temporal", data, seed=seed)

    # When an algorithm is evaluated with three seeds
    result = evaluate(["svd"], splits, PROTOCOLS["temporal"], seeds=[3, 4, 5])["svd"]
    # Then each seed made its own splits and its own model, and each figure is their mean with its sd beside it
    assert asked == [3, 4, 5]
    runs = [run["ndcg@10"] for run in result["seeds"]]
    assert [run["seed"] for run in result["seeds"]] == [3, 4, 5]
    assert result["ndcg@10"] == pytest.approx(np.mean(runs))
    assert result["ndcg@10_sd"] == pytest.approx(np.std(runs, ddof=1))
    assert result["rmse_sd"] > 0
    assert "±" in summary_line("svd", result) and "mean of 3 seed(s)" in summary_line("svd", result)


def test_splits_made_per_seed_need_the_seeds():
    with pytest.raises(ValueError, match="need the seeds"):
        evaluate(["popularity"], lambda seed: [], PROTOCOLS["temporal"])


@pytest.mark.parametrize("k", [1, 10, 40])
def test_the_ranking_head_and_the_ranks_are_those_of_the_whole_ranking(k):
    rng = np.random.default_rng(k)
    items = rng.permutation(np.arange(1, 301))
    # Many ties (scores on a coarse grid), unscorable movies, infinities and signed zeros.
    scores = np.round(rng.normal(0, 1, 300), 1)
    scores[rng.random(300) < 0.2] = np.nan
    scores[:4] = [np.inf, -np.inf, 0.0, -0.0]
    whole = ranking(items, scores)
    np.testing.assert_array_equal(ranking_head(items, scores, k), whole[:k])
    wanted = rng.choice(items, 25, replace=False)
    expected = [int(np.flatnonzero(whole == item)[0]) for item in wanted]
    assert ranks_in_ranking(items, scores, wanted).tolist() == expected


def test_the_ranking_head_of_a_model_that_scores_little_ranks_the_unscorable_by_their_hash():
    items = np.arange(1, 51)
    scores = np.full(50, np.nan)
    scores[[3, 7]] = [0.5, 0.1]
    np.testing.assert_array_equal(ranking_head(items, scores, 10), ranking(items, scores)[:10])
