"""The printed benchmark: figures with their spread, and which differences are a tie."""

from __future__ import annotations

from recommender.evaluation.report import format_table, format_ties, ties_with_best


def test_a_figure_over_seeds_is_printed_with_its_spread():
    table = format_table({"svd": {"rmse": 0.91234, "rmse_sd": 0.00212, "ndcg@10": None}})
    assert "0.9123 ± 0.0021" in table
    assert "-" in table.splitlines()[-1]


def test_a_difference_under_two_sd_of_the_difference_is_a_tie():
    # sd of the difference: sqrt(0.003² + 0.004²) = 0.005, so within 0.01 of the best is a tie
    results = {
        "best": {"ndcg@10": 0.100, "ndcg@10_sd": 0.003},
        "close": {"ndcg@10": 0.091, "ndcg@10_sd": 0.004},
        "behind": {"ndcg@10": 0.089, "ndcg@10_sd": 0.004},
        "ranks only": {"ndcg@10": None},
    }
    assert ties_with_best(results, "ndcg@10", lower_is_better=False) == ("best", ["close"])
    assert format_ties(results) == "best NDCG@10: best; a tie with it (under 2 sd): close"


def test_lower_is_better_for_errors_and_a_single_run_ties_only_when_equal():
    results = {"a": {"rmse": 0.90}, "b": {"rmse": 0.90}, "c": {"rmse": 0.9001}}
    assert ties_with_best(results, "rmse", lower_is_better=True) == ("a", ["b"])
    assert ties_with_best({"x": {"rmse": None}}, "rmse", lower_is_better=True) is None
