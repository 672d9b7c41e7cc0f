"""Experiments' arithmetic: stable arms, team-draft interleaving, and telling a real difference from noise."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.experiments import Rate, arm_for, compare_rates, compare_wins, team_draft, winner


def test_a_person_always_gets_the_same_arm_and_the_arms_are_even():
    arms = [arm_for(7, user) for user in range(10_000)]

    assert arms == [arm_for(7, user) for user in range(10_000)]
    assert 0.48 < arms.count("a") / len(arms) < 0.52
    other = [arm_for(8, user) for user in range(10_000)]
    assert 0.48 < np.mean([x == y for x, y in zip(arms, other, strict=True)]) < 0.52  # independent experiments


def test_team_draft_keeps_each_arms_order_shows_each_movie_once_and_credits_its_team():
    a, b = [1, 2, 3, 4, 5, 6], [4, 7, 1, 8, 9, 2]

    row = team_draft(a, b, 6, seed="x")

    movies = [movie for movie, _ in row]
    assert len(movies) == len(set(movies)) == 6
    for arm, ranking in (("a", a), ("b", b)):
        mine = [movie for movie, team in row if team == arm]
        assert mine == sorted(mine, key=ranking.index)  # in that arm's own order
    counts = [team for _, team in row]
    assert abs(counts.count("a") - counts.count("b")) <= 1  # the draft stays balanced
    assert row == team_draft(a, b, 6, seed="x")  # the same person sees the same row
    assert [movie for movie, _ in team_draft(a, a, 4, seed="y")] == a[:4]  # identical arms: that ranking


def test_a_row_is_won_by_the_arm_whose_cards_drew_more_interactions():
    assert winner(["a", "b", "b"]) == "b"
    assert winner(["a"]) == "a"
    assert winner(["a", "b"]) is None and winner([]) is None


def simulate_interleaving(rng: np.random.Generator, rows: int, better: float) -> tuple[int, int]:
    """People click a card with a chance that grows with how much they like it; arm b ranks the liked ones first
    with probability ``better`` per row (0.5: the arms are equally good)."""
    wins = {"a": 0, "b": 0}
    for row in range(rows):
        liked = set(rng.choice(40, size=5, replace=False).tolist())
        good = sorted(range(40), key=lambda m: (m not in liked, rng.random()))
        noisy = list(rng.permutation(40))
        b_good = rng.random() < better
        a_rank, b_rank = (noisy, good) if b_good else (good, noisy)
        shown = team_draft(a_rank, b_rank, 10, seed=str(row))
        clicked = [team for movie, team in shown if rng.random() < (0.3 if movie in liked else 0.02)]
        if (won := winner(clicked)) is not None:
            wins[won] += 1
    return wins["a"], wins["b"]


def test_an_interleaved_experiment_detects_the_arm_that_is_better_by_construction():
    rng = np.random.default_rng(0)
    better = compare_wins(*simulate_interleaving(rng, 400, better=0.7))
    same = compare_wins(*simulate_interleaving(rng, 400, better=0.5))

    assert better.significant and better.leader == "b"
    assert better.b.interval[0] > 0.5
    assert not same.significant


def test_a_split_experiment_compares_interaction_rates_with_intervals():
    rng = np.random.default_rng(1)
    clicks_a, clicks_b = rng.binomial(5000, 0.05), rng.binomial(5000, 0.08)

    result = compare_rates(Rate(int(clicks_a), 5000), Rate(int(clicks_b), 5000))
    tie = compare_rates(Rate(250, 5000), Rate(262, 5000))

    assert result.significant and result.leader == "b"
    low, high = result.b.interval
    assert low < result.b.value < high and high < 0.1
    assert not tie.significant
    assert compare_rates(Rate(0, 0), Rate(3, 10)).p_value is None


def test_the_wilson_interval_matches_the_textbook_value():
    # 8 of 20 by hand: centre (0.4 + 1.96²/40) / (1 + 1.96²/20) = 0.4161, half-width 0.1973.
    assert Rate(8, 20).interval == pytest.approx((0.2188, 0.6134), abs=1e-4)
