"""Baseline: regularized biases that recover planted offsets and fold in a person's bias exactly."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.algorithms.baseline import Baseline, BaselineConfig, fit_biases
from recommender.algorithms.interactions import History, Interactions
from tests.unit.recommender.margins import Check, rmse_ratio
from tests.unit.recommender.synthetic import split, structured_ratings


def bias_correlations(seed: int) -> tuple[float, float]:
    """Correlation of the fitted item and user biases with the offsets that generated the ratings."""
    data, truth = structured_ratings(seed=seed)
    biases, user_bias = fit_biases(data, reg_user=1.0, reg_item=1.0, epochs=10)
    return np.corrcoef(biases.item, truth.item_offset)[0, 1], np.corrcoef(user_bias, truth.user_offset)[0, 1]


def held_out_ratio(seed: int) -> float:
    train, test = split(structured_ratings(seed=seed)[0])
    return rmse_ratio(Baseline(BaselineConfig(seed=seed)).fit(train), train, test)


CHECKS = {
    "item": Check("baseline item biases ~ planted offsets (r)", lambda seed: bias_correlations(seed)[0], 0.95, True),
    "user": Check("baseline user biases ~ planted offsets (r)", lambda seed: bias_correlations(seed)[1], 0.95, True),
    "rmse": Check("baseline held-out RMSE / mean-only", held_out_ratio, 0.7, above=False),
}


def test_fitted_biases_recover_the_planted_offsets():
    CHECKS["item"].assert_at()
    CHECKS["user"].assert_at()


def test_folding_in_a_training_users_ratings_gives_their_fitted_prediction():
    data, _ = structured_ratings()
    model = Baseline(BaselineConfig()).fit(data)
    biases, user_bias = fit_biases(data, reg_user=model.config.reg_user, reg_item=model.config.reg_item, epochs=10)
    history = data.history(4)
    expected = biases.mean + user_bias[4] + biases.item
    np.testing.assert_allclose(model.score(history), expected, rtol=1e-5)


def test_predictions_beat_the_global_mean_on_held_out_ratings():
    CHECKS["rmse"].assert_at()


def test_more_regularization_pulls_a_rarely_rated_item_towards_the_mean():
    # Given one 5-star rating for item 99 among otherwise average ratings
    data, _ = structured_ratings()
    rare = Interactions.from_ids(
        np.append(data.user_ids[data.users], 1), np.append(data.item_ids[data.items], 99), np.append(data.ratings, 5.0)
    )
    # When fitted with light and heavy item regularization
    light = Baseline(BaselineConfig(reg_item=0.5)).fit(rare)
    heavy = Baseline(BaselineConfig(reg_item=25.0)).fit(rare)
    # Then the heavy one trusts the single rating less
    item = np.array([99])
    assert (
        0
        < heavy.score(History.empty(), item)[0] - heavy.biases.mean
        < light.score(History.empty(), item)[0] - light.biases.mean
    )


def test_predictions_stay_on_the_rating_scale():
    # Given unregularized biases whose sum overshoots 5 stars for a fan of a top item
    data = Interactions.from_ids([1, 1, 2, 2], [10, 20, 10, 20], [5.0, 5.0, 5.0, 4.5])
    model = Baseline(BaselineConfig(reg_user=0.0, reg_item=0.0)).fit(data)
    fan = History.from_mapping({10: 5.0, 20: 5.0})
    assert model.score(fan, np.array([10]))[0] > 5.0
    # When predicting, then the estimate is clipped to the scale, for unknown items too
    predicted = model.predict(fan, np.array([10, 20, 777]))
    assert predicted[0] == 5.0
    assert ((predicted >= 0.5) & (predicted <= 5.0)).all()


@pytest.mark.parametrize("field", ["reg_item", "reg_user"])
def test_negative_regularization_is_refused_naming_the_field(field):
    with pytest.raises(ValueError, match=field):
        BaselineConfig(**{field: -1.0})
