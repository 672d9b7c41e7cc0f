"""The served blend's parts: feature transforms, the weighted mean, the weight search, the recency window."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.algorithms import build
from recommender.algorithms.blend import DAY, combine, coordinate_ascent, percentile_rows, zscore_rows
from recommender.algorithms.interactions import History, Interactions
from recommender.evaluation.runner import PROTOCOLS, evaluate_split
from recommender.evaluation.splitting import temporal_leave_last_out
from tests.unit.recommender.planted import planted


def test_transforms_work_per_row_and_leave_missing_values_missing():
    values = np.array([[1.0, 2.0, np.nan, 3.0], [np.nan] * 4, [5.0, 5.0, 5.0, 5.0]])

    np.testing.assert_allclose(percentile_rows(values)[0], [0.0, 0.5, np.nan, 1.0])
    np.testing.assert_allclose(zscore_rows(values)[0], [-1.2247449, 0.0, np.nan, 1.2247449], rtol=1e-6)
    assert np.isnan(zscore_rows(values)[1]).all() and (zscore_rows(values)[2] == 0).all()
    np.testing.assert_allclose(percentile_rows(values)[2], [0.5] * 4)


def test_combine_is_a_weighted_mean_counting_a_missing_feature_as_neutral_and_nan_where_all_are_missing():
    features = np.array([[1.0, np.nan, np.nan], [0.0, 1.0, np.nan]])

    mixed = combine(features, np.array([3.0, 1.0]), neutral=0.5)

    np.testing.assert_allclose(mixed[:2], [0.75, 0.375 + 0.25])
    assert np.isnan(mixed[2])


def test_the_weight_search_keeps_the_feature_that_finds_the_held_out_movie_and_drops_the_noise():
    rng = np.random.default_rng(0)
    people, movies = 200, 50
    targets = rng.integers(0, movies, size=people)
    signal = rng.normal(size=(people, movies))
    signal[np.arange(people), targets] += 3.0
    noise = rng.normal(size=(people, movies))
    features = np.stack([noise, signal], axis=1).astype(np.float32)

    weights = coordinate_ascent(features, targets, np.zeros((people, movies), dtype=bool), rounds=2, seed=0)

    assert weights[1] == 1.0 and weights[0] < 0.5


def test_recency_counts_the_ratings_in_the_window_before_the_persons_latest_rating():
    day0 = 1_000_000.0
    # Movie 1 was popular long ago, movie 2 in the last days before the person's latest rating.
    users = [1, 2, 3, 4, 5, 6, 7, 8]
    items = [1, 1, 1, 1, 2, 2, 3, 3]
    stamps = [day0, day0, day0, day0, day0 + 99 * DAY, day0 + 99 * DAY, day0 + 99 * DAY, day0 + 120 * DAY]
    data = Interactions.from_ids(users, items, [4.0] * 8, stamps)
    blend = build("blend", components=["popularity"], recent_days=10.0, search_rounds=0).fit(data)

    then = History.from_arrays([3], [4.0], [day0 + 100 * DAY])
    recency = blend.features(then)[-1]

    assert recency[data.item_index[2]] > recency[data.item_index[1]]
    # No search (search_rounds=0): equal weights, each a third of the score.
    assert blend.weight_table == pytest.approx(
        {"popularity": 1 / 3, "rating count": 1 / 3, "recent ratings": 1 / 3}, abs=1e-4
    )


def test_the_blend_leans_on_the_component_that_finds_the_held_out_movies():
    # The likes only: planted() puts each person's dislikes last, and the held-out movie should be one of taste.
    everything = planted(users=120)[0]
    data = everything.select(everything.ratings >= 4)
    blend = build("blend", components=["popularity", "content"]).fit(data)
    popularity_weight, content_weight = blend.weights[:2]
    assert content_weight > popularity_weight
    held_out = temporal_leave_last_out(data)
    blended = evaluate_split(blend.fit(held_out.train), held_out, PROTOCOLS["temporal"])
    alone = evaluate_split(build("popularity").fit(held_out.train), held_out, PROTOCOLS["temporal"])
    assert blended["ndcg@10"] > alone["ndcg@10"]


def test_the_weights_can_learn_from_each_persons_latest_ratings_each_ranked_from_the_history_before_it(monkeypatch):
    data = planted(users=40)[0]
    seen = {}

    def spy(features, targets, excluded, *, rounds, seed):
        seen.update(targets=targets, excluded=excluded)
        return np.ones(features.shape[1])

    monkeypatch.setattr("recommender.algorithms.blend.coordinate_ascent", spy)
    build("blend", components=["popularity"], validation_ratings=3, target_min_rating=None).fit(data)
    histories = data.histories()
    expected_targets, expected_excluded = [], []
    for user in range(data.n_users):
        history = histories[user]
        for place in range(max(len(history) - 3, 1), len(history)):
            expected_targets.append(data.item_index[int(history.item_ids[place])])
            expected_excluded.append(sorted(data.item_index[int(item)] for item in history.item_ids[:place]))
    assert sorted(seen["targets"].tolist()) == sorted(expected_targets)
    assert len(seen["targets"]) == len(expected_targets) == 3 * data.n_users
    pairs = zip(seen["targets"], seen["excluded"], strict=True)
    got = sorted((int(target), np.flatnonzero(row).tolist()) for target, row in pairs)
    assert got == sorted(zip(expected_targets, expected_excluded, strict=True))


def test_a_refit_blends_the_components_fitted_on_everything_with_the_tuned_weights():
    # given a blend tuned on the likes but each person's latest
    everything = planted(users=60)[0]
    data = everything.select(everything.ratings >= 4)
    held_out = temporal_leave_last_out(data)
    tuned = build("blend", components=["popularity", "content"]).fit(held_out.train)

    # when the same settings are refitted on everything
    served = build("blend", components=["popularity", "content"]).refit(data, tuned=tuned)

    # then the weights are the tuned ones, and the rest is what a fit on everything learns
    fresh = build("blend", components=["popularity", "content"]).fit(data)
    np.testing.assert_array_equal(served.weights, tuned.weights)
    np.testing.assert_array_equal(served.log_counts, fresh.log_counts)
    history = data.history(0)
    np.testing.assert_allclose(served.features(history), fresh.features(history))
    np.testing.assert_allclose(served.score(history), combine(fresh.features(history), tuned.weights, 0.0))


def test_a_refit_refuses_a_tuned_fit_of_other_settings():
    data = planted(users=20)[0]
    tuned = build("blend", components=["popularity"], search_rounds=0).fit(data)

    with pytest.raises(ValueError, match="same settings"):
        build("blend", components=["popularity"], search_rounds=1).refit(data, tuned=tuned)


def test_only_the_people_the_search_ranks_are_held_out_and_a_sliver_held_out_is_not_fitted_again(monkeypatch):
    # given a blend whose weight search ranks 5 people
    data = planted(users=60)[0]
    seen = []
    monkeypatch.setattr(
        "recommender.algorithms.blend.coordinate_ascent",
        lambda features, targets, *_, **__: seen.append(len(targets)) or np.ones(features.shape[1]),
    )
    settings = dict(components=["popularity"], search_people=5, target_min_rating=None)

    refitted = build("blend", **settings, refit_share=0.0).fit(data)
    kept = build("blend", **settings, refit_share=0.5).fit(data)

    # then 5 ratings were held out, one each of 5 people, and the weights learned from them
    assert seen == [5, 5]
    assert kept.components[0].counts.sum() == len(data) - 5
    # and only the refit share that 5 ratings exceed fitted the components again on everything
    assert refitted.components[0].counts.sum() == len(data)
    np.testing.assert_array_equal(kept.log_counts, refitted.log_counts)  # the context is everything's either way
