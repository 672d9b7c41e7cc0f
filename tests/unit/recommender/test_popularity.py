"""Popularity: by count or damped mean, the same for everyone, and per genre."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.algorithms.interactions import History, Interactions, ItemFeatures
from recommender.algorithms.popularity import Popularity, PopularityConfig

# item id -> ratings it got; item 40 is in the catalog but nobody rated it
RATINGS = {10: [4.0, 4.0, 5.0, 3.0, 4.0, 4.5], 20: [5.0], 30: [2.0, 3.0, 2.5, 3.0]}
CATALOG = np.array([10, 20, 30, 40])
GENRES = [["Drama", "Comedy"], ["Comedy"], ["Horror"], ["Drama"]]


def small_data() -> Interactions:
    items = [item for item, values in RATINGS.items() for _ in values]
    ratings = [value for values in RATINGS.values() for value in values]
    features = ItemFeatures(titles=[f"movie {i}" for i in CATALOG], genres=GENRES, years=np.full(len(CATALOG), 2000.0))
    return Interactions.from_ids(np.arange(len(items)), items, ratings, catalog=CATALOG, item_features=features)


def test_count_ranks_the_most_rated_first():
    model = Popularity(PopularityConfig(kind="count")).fit(small_data())
    assert [item for item, _ in model.recommend(History.empty(), n=4)] == [10, 30, 20, 40]


def test_damping_keeps_a_single_five_star_rating_off_the_top():
    data = small_data()
    damped = Popularity(PopularityConfig(kind="damped_mean", damping=5.0)).fit(data)
    raw = Popularity(PopularityConfig(kind="damped_mean", damping=0.0)).fit(data)
    assert damped.recommend(History.empty(), n=1)[0][0] == 10
    assert raw.recommend(History.empty(), n=1)[0][0] == 20


def test_scores_are_the_same_for_everyone():
    model = Popularity().fit(small_data())
    someone = History.from_mapping({10: 1.0, 30: 5.0})
    np.testing.assert_array_equal(model.score(someone), model.score(History.empty()))


def test_predict_is_the_damped_mean_and_the_global_mean_for_the_unknown():
    data = small_data()
    model = Popularity(PopularityConfig(damping=2.0)).fit(data)
    predicted = model.predict(History.empty(), np.array([30, 40, 999]))
    expected_30 = (sum(RATINGS[30]) + 2.0 * data.global_mean) / (len(RATINGS[30]) + 2.0)
    np.testing.assert_allclose(predicted, [expected_30, data.global_mean, data.global_mean], rtol=1e-6)


def test_top_in_genre_lists_only_that_genre_most_popular_first():
    model = Popularity().fit(small_data())
    assert [item for item, _ in model.top_in_genre("Drama", 5)] == [10, 40]
    assert [item for item, _ in model.top_in_genre("comedy", 1)] == [10]
    assert model.top_in_genre("Western", 5) == []


def test_top_in_genre_survives_save_and_load(tmp_path):
    model = Popularity().fit(small_data())
    model.save(tmp_path)
    assert Popularity.load(tmp_path).top_in_genre("Comedy", 5) == model.top_in_genre("Comedy", 5)


def test_an_unknown_kind_is_refused_naming_the_field():
    with pytest.raises(ValueError, match="kind"):
        PopularityConfig(kind="trending")
