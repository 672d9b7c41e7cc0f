"""Content-based: taste profiles over TF-IDF features, cold-start movies, similar movies."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.algorithms.content import ContentBased, ContentConfig
from recommender.algorithms.interactions import History, Interactions, ItemFeatures

# Movies 1-2 are space adventures, 3-4 romances, 5 a space adventure nobody has rated yet.
FEATURES = ItemFeatures(
    titles=["Star Voyage", "Star Voyage II", "Paris Love", "Love Letters", "Galaxy Quest"],
    genres=[["Sci-Fi", "Adventure"], ["Sci-Fi", "Adventure"], ["Romance"], ["Romance", "Drama"], ["Sci-Fi"]],
    years=np.array([1980.0, 1983.0, 1995.0, 1996.0, np.nan]),
    tags=[{"space": 4}, {"space": 2, "sequel": 1}, {"paris": 1}, {}, {"space": 1}],
)


@pytest.fixture
def model() -> ContentBased:
    data = Interactions.from_ids(
        [7, 7, 8, 8], [1, 3, 2, 4], [5.0, 2.0, 4.0, 4.0], catalog=[1, 2, 3, 4, 5], item_features=FEATURES
    )
    return ContentBased().fit(data)


def test_fit_without_item_features_says_what_is_missing():
    data = Interactions.from_ids([1], [10], [4.0])
    with pytest.raises(ValueError, match="item features"):
        ContentBased().fit(data)


def test_one_liked_movie_puts_its_kind_first_even_a_movie_nobody_rated(model):
    scores = dict(zip(model.item_ids.tolist(), model.score(History.from_mapping({1: 5.0})).tolist(), strict=True))
    assert np.isfinite(scores[5])
    assert min(scores[2], scores[5]) > max(scores[3], scores[4])
    assert [item for item, _ in model.recommend(History.from_mapping({1: 5.0}), n=2)] == [2, 5]


def test_a_disliked_movie_pushes_its_kind_away(model):
    scores = model.score(History.from_mapping({1: 1.0}), np.array([2, 5, 3]))
    assert scores[0] < 0 and scores[1] < 0
    assert scores[2] > scores[0]


def test_likes_and_dislikes_are_measured_from_the_persons_own_mean(model):
    # Everything rated 4 or more, but the romance less than the space movies: romance ends up below.
    history = History.from_mapping({1: 5.0, 2: 5.0, 3: 4.0})
    scores = model.score(history, np.array([5, 4]))
    assert scores[0] > 0 > scores[1]


def test_empty_history_scores_every_movie_alike(model):
    np.testing.assert_array_equal(model.score(History.empty()), np.zeros(5))


def test_similar_items_by_cosine_of_features(model):
    similar = model.similar_items(1, n=3)
    assert [item for item, _ in similar][:2] == [2, 5]
    assert 1 not in [item for item, _ in similar]
    assert all(-1e-9 <= score <= 1 + 1e-9 for _, score in similar)
    assert model.similar_items(999) == []


def test_a_feature_family_with_zero_weight_is_left_out():
    # Only years: movies 1 and 2 share a decade (and no half-decade), 3 and 4 share both.
    data = Interactions.from_ids([7], [1], [5.0], catalog=[1, 2, 3, 4, 5], item_features=FEATURES)
    config = ContentConfig(genre_weight=0, tag_weight=0, title_weight=0, year_weight=1)
    years_only = ContentBased(config).fit(data)
    assert [item for item, _ in years_only.similar_items(3, n=1)] == [4]
    assert years_only.similar_items(5, n=1)[0][1] == 0.0  # no year, nothing in common


def test_config_needs_some_feature_and_no_negative_weights():
    with pytest.raises(ValueError, match="at least one"):
        ContentConfig(genre_weight=0, tag_weight=0, title_weight=0, year_weight=0, overview_weight=0)
    with pytest.raises(ValueError, match="title_weight"):
        ContentConfig(title_weight=-1)


def test_the_overviews_words_make_movies_alike_and_their_stop_words_do_not():
    # Given four dramas alike in everything but their overviews, which pair 1 with 2 and 3 with 4
    features = ItemFeatures(
        titles=["A", "B", "C", "D"],
        genres=[["Drama"]] * 4,
        years=np.full(4, 1990.0),
        overviews=[
            "The heist of a casino in the desert",
            "A casino heist goes wrong",
            "A shipwreck and the survivors on an island",
            "Survivors of a shipwreck on a desert island",
        ],
    )
    data = Interactions.from_ids([7, 8], [1, 3], [5.0, 3.0], catalog=[1, 2, 3, 4], item_features=features)
    with_overviews = ContentBased().fit(data)
    without = ContentBased(ContentConfig(overview_weight=0.0)).fit(data)

    # Then a heist lover is shown the other heist first, which the same catalog without overviews cannot tell
    assert [item for item, _ in with_overviews.recommend(History.from_mapping({1: 5.0}), n=1)] == [2]
    assert len(set(without.score(History.from_mapping({1: 5.0}), np.array([2, 3, 4])).round(12))) == 1
    assert with_overviews.similar_items(3, n=1)[0][0] == 4


def test_overviews_sharing_only_stop_words_say_nothing():
    features = ItemFeatures(
        titles=["A", "B", "C"],
        genres=[["Drama"]] * 3,
        years=np.full(3, 1990.0),
        overviews=["The story of a man and the sea", "The end of it all and of them", "Robots"],
    )
    data = Interactions.from_ids([7], [1], [5.0], catalog=[1, 2, 3], item_features=features)
    config = ContentConfig(genre_weight=0, tag_weight=0, title_weight=0, year_weight=0, overview_weight=1)

    assert dict(ContentBased(config).fit(data).similar_items(1, n=2)) == {2: 0.0, 3: 0.0}


def test_overviews_must_be_one_per_movie_when_given():
    with pytest.raises(ValueError, match="one entry per item"):
        ItemFeatures(titles=["A", "B"], genres=[[], []], years=np.full(2, 1990.0), overviews=["only one"])
