"""RatingClassifier: ten half-star classes, the expected rating as the estimate, fold-in like NCF."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from recommender.algorithms.classifier import HALF_STARS, RatingClassifier, RatingClassifierConfig
from recommender.algorithms.interactions import History, Interactions
from tests.unit.recommender.margins import FAST, Check, rmse_ratio
from tests.unit.recommender.synthetic import split, structured_ratings


def low_rank(seed: int = 0) -> tuple[Interactions, Interactions]:
    return split(structured_ratings(seed=seed, factors=2)[0])


def quick(seed: int = 0) -> RatingClassifier:
    # No L2 on a set this small: the tuned weight decay (1.0) collapses the dense layers on some seeds (see
    # margins.FAST), and at 15 epochs the held-out RMSE / mean-only was 0.59 +- 0.10 against the 0.8 bar.
    return RatingClassifier(RatingClassifierConfig(**FAST["classifier"], seed=seed))


def held_out_ratio(seed: int) -> float:
    train, test = low_rank(seed)
    return rmse_ratio(quick(seed).fit(train), train, test)


def fresh_rating_effect(model: RatingClassifier, train: Interactions, people: int = 10) -> float:
    """How much higher a movie is estimated just after rating it 5 stars than after half a star (mean of people)."""
    effects = []
    for person in range(people):
        history = train.history(person)
        movie = np.setdiff1d(train.item_ids, history.item_ids)[:1]

        def rated(score: float, history: History = history, movie: np.ndarray = movie) -> History:
            return History.from_arrays(np.append(history.item_ids, movie), np.append(history.ratings, score))

        effects.append(model.predict(rated(5.0), movie)[0] - model.predict(rated(0.5), movie)[0])
    return float(np.mean(effects))


def fresh_effect_at(seed: int) -> float:
    train, _ = low_rank(seed)
    return fresh_rating_effect(quick(seed).fit(train), train)


CHECKS = {
    "rmse": Check("classifier held-out RMSE / mean-only", held_out_ratio, 0.8, above=False),
    "fresh": Check("classifier 5 stars minus half a star, fresh", fresh_effect_at, 0.2, above=True),
}


@pytest.fixture(scope="module")
def ratings() -> tuple[Interactions, Interactions]:
    return low_rank()


@pytest.fixture(scope="module")
def model(ratings) -> RatingClassifier:
    return quick().fit(ratings[0])


def test_each_half_star_is_its_own_class():
    classifier = RatingClassifier()
    ratings = torch.tensor([0.5, 1.0, 3.5, 5.0])
    np.testing.assert_array_equal(HALF_STARS[classifier.targets(ratings)].numpy(), ratings.numpy())


def test_the_estimate_is_the_expected_rating():
    classifier = RatingClassifier()
    certain = torch.full((1, 10), -50.0)
    certain[0, 7] = 50.0
    torn = torch.zeros(1, 10)
    torn[0, [1, 9]] = 50.0  # half "1 star", half "5 stars"
    assert classifier.estimate(certain).item() == pytest.approx(HALF_STARS[7].item())
    assert classifier.estimate(torn).item() == pytest.approx(3.0)


def test_predictions_beat_the_global_mean_on_held_out_ratings(model, ratings):
    CHECKS["rmse"].assert_passes(rmse_ratio(model, *ratings))


def test_ranking_follows_the_predicted_ratings(model, ratings):
    history = ratings[0].history(2)
    items = model.item_ids[:20]
    np.testing.assert_allclose(model.score(history, items), model.predict(history, items), rtol=1e-6)


def test_a_fresh_rating_counts_at_once(model, ratings):
    train, _ = ratings
    CHECKS["fresh"].assert_passes(fresh_rating_effect(model, train))


def test_an_unknown_id_gets_the_average_movie_on_the_rating_scale(model, ratings):
    history = ratings[0].history(0)
    predicted = model.predict(history, np.array([999_999, 999_998]))
    assert predicted[0] == predicted[1]
    assert 0.5 <= predicted[0] <= 5.0
    assert np.isnan(model.score(history, np.array([999_999]))).all()


def test_save_and_load_keep_the_config_and_the_scores(model, ratings, tmp_path):
    model.save(tmp_path)
    loaded = RatingClassifier.load(tmp_path)
    assert loaded.config == model.config
    history = ratings[0].history(4)
    np.testing.assert_array_equal(loaded.score(history), model.score(history))
