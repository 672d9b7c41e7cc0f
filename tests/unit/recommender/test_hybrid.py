"""Hybrid: weights learned on held-out data, components refitted on everything, saved in sub-folders."""

from __future__ import annotations

from pathlib import Path
from typing import Self

import numpy as np
import pytest

from recommender.algorithms import ALGORITHMS, build
from recommender.algorithms.base import Recommender, load_arrays, save_arrays
from recommender.algorithms.hybrid import DEFAULT_COMPONENTS, Hybrid, HybridConfig
from recommender.algorithms.interactions import History, Interactions
from tests.unit.recommender.margins import Check
from tests.unit.recommender.planted import planted
from tests.unit.recommender.synthetic import held_out_rmse, split, structured_ratings


class UserMean(Recommender):
    """Estimates every rating as the person's own damped mean; remembers how many ratings it was fitted on."""

    name = "user_mean"
    estimates_ratings = True

    def fit(self, data: Interactions) -> Self:
        self.fitted_on = len(data)
        self.mean = data.global_mean
        self._set_items(data.item_ids)
        return self

    def score(self, history: History, items: np.ndarray | None = None) -> np.ndarray:
        positions, known = self.positions(items)
        return np.where(known, self.predict(history, self.item_ids[positions]), np.nan)

    def predict(self, history: History, items: np.ndarray) -> np.ndarray:
        estimate = (history.ratings.sum() + 3 * self.mean) / (len(history) + 3)
        return np.full(len(items), estimate)

    def save_state(self, directory: Path) -> None:
        save_arrays(directory, item_ids=self.item_ids, mean=np.array(self.mean), fitted_on=np.array(self.fitted_on))

    def load_state(self, directory: Path) -> None:
        arrays = load_arrays(directory)
        self.mean, self.fitted_on = float(arrays["mean"]), int(arrays["fitted_on"])
        self._set_items(arrays["item_ids"])


class Noise(UserMean):
    """Estimates that have nothing to do with the ratings."""

    name = "noise"

    def predict(self, history: History, items: np.ndarray) -> np.ndarray:
        return 1.0 + (np.asarray(items) * 7919 % 41) / 10


@pytest.fixture(autouse=True)
def test_components(monkeypatch):
    monkeypatch.setitem(ALGORITHMS, "user_mean", (f"{__name__}:UserMean", {}))
    monkeypatch.setitem(ALGORITHMS, "noise", (f"{__name__}:Noise", {}))


def blend_gain(seed: int) -> float:
    """How much lower the blend's held-out RMSE is than its better component's."""
    # Ratings are mean + user offset + item offset: one component knows the people, the other the movies.
    train, test = split(structured_ratings(seed=seed, users=200, items=100, per_user=30)[0])
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(ALGORITHMS, "user_mean", (f"{__name__}:UserMean", {}))
        config = HybridConfig(components=["user_mean", "popularity"], validation_share=0.2, seed=seed)
        hybrid = Hybrid(config).fit(train)
        alone = [held_out_rmse(build(name).fit(train), train, test) for name in ("user_mean", "popularity")]
    return min(alone) - held_out_rmse(hybrid, train, test)


def useless_component(seed: int) -> tuple[float, float]:
    """(the blend's held-out RMSE over the baseline's alone, the noise component's weight over the baseline's)."""
    train, test = split(structured_ratings(seed=seed)[0])
    alone = held_out_rmse(build("baseline").fit(train), train, test)
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(ALGORITHMS, "noise", (f"{__name__}:Noise", {}))
        config = HybridConfig(components=["baseline", "noise"], support_features=False, validation_share=0.2, seed=seed)
        hybrid = Hybrid(config).fit(train)
    baseline_weight, noise_weight = np.abs(hybrid.weights[1:])
    return held_out_rmse(hybrid, train, test) - alone, noise_weight / baseline_weight


CHECKS = {
    "gain": Check("hybrid RMSE gain over its better component", blend_gain, 0.05, above=True),
    "harm": Check("hybrid RMSE added by a noise component", lambda seed: useless_component(seed)[0], 0.02, False),
    "weight": Check("hybrid noise weight / baseline's", lambda seed: useless_component(seed)[1], 0.2, above=False),
}


def test_the_blend_beats_each_of_its_components():
    CHECKS["gain"].assert_at()


def test_a_useless_component_gets_little_weight_and_does_no_harm():
    harm, weight = useless_component(0)
    CHECKS["harm"].assert_passes(harm)
    CHECKS["weight"].assert_passes(weight)


def test_components_are_refitted_on_all_the_data_after_the_weights_are_learned():
    data, _ = structured_ratings(seed=4)
    hybrid = Hybrid(HybridConfig(components=["user_mean", "baseline"])).fit(data)
    assert hybrid.components[0].fitted_on == len(data)


def test_save_puts_each_component_in_its_own_folder(tmp_path):
    data, _ = structured_ratings(seed=5)
    hybrid = Hybrid(HybridConfig(components=["baseline", "user_mean"])).fit(data)
    hybrid.save(tmp_path)
    assert (tmp_path / "components" / "0-baseline" / "meta.json").is_file()
    assert (tmp_path / "components" / "1-user_mean" / "arrays" / "item_ids.npy").is_file()
    loaded = Hybrid.load(tmp_path)
    np.testing.assert_allclose(load_arrays(tmp_path)["weights"], hybrid.weights)
    items = data.item_ids[:5]
    np.testing.assert_allclose(loaded.predict(data.history(0), items), hybrid.predict(data.history(0), items))


def test_config_defaults_and_refusals():
    assert HybridConfig().components == list(DEFAULT_COMPONENTS)
    with pytest.raises(ValueError, match="unknown: \\['nope'\\]"):
        HybridConfig(components=["baseline", "nope"])
    with pytest.raises(ValueError, match="cannot hold a hybrid or a blend"):
        HybridConfig(components=["baseline", "blend"])
    with pytest.raises(ValueError, match="validation_share"):
        HybridConfig(validation_share=1.0)


def test_a_movie_nobody_rated_gets_the_baselines_estimate_not_an_extrapolation():
    # Given the default hybrid fitted on a planted set whose catalog has two movies nobody rated
    data, _, _ = planted(seed=1)
    model = build("hybrid", overrides={"item_knn": {"shrinkage": 10.0}}, seed=1).fit(data)
    baseline = next(c for n, c in zip(model.config.components, model.components, strict=True) if n == "baseline")
    unrated = np.setdiff1d(data.item_ids, data.item_ids[data.items])
    assert len(unrated) == 2

    # Then, for a newcomer with six likes, those movies are estimated as the baseline estimates them (this
    # person's offset on an average movie), not above every movie the blend knows
    history = data.history(0)
    history = History.from_arrays(history.item_ids[:6], history.ratings[:6], history.timestamps[:6])
    np.testing.assert_allclose(model.predict(history, unrated), baseline.predict(history, unrated))
    rated = np.setdiff1d(data.item_ids[data.items], history.item_ids)
    assert model.predict(history, unrated).max() <= model.predict(history, rated).max()


def test_a_refit_keeps_the_tuned_ridge_and_fits_the_components_on_all_the_data():
    # given a hybrid tuned on part of the ratings
    data, _ = structured_ratings(seed=6)
    config = HybridConfig(components=["user_mean", "baseline"])
    tuned = Hybrid(config).fit(data.select(np.arange(len(data)) % 4 != 0))

    # when the same settings are refitted on everything
    served = Hybrid(config).refit(data, tuned=tuned)

    # then the ridge is the tuned one, the components and movie counts are everything's
    np.testing.assert_array_equal(served.weights, tuned.weights)
    np.testing.assert_array_equal(served.feature_mean, tuned.feature_mean)
    assert served.components[0].fitted_on == len(data) > tuned.components[0].fitted_on
    np.testing.assert_array_equal(served.item_counts, np.bincount(data.items, minlength=data.n_items))
    items = data.item_ids[:5]
    assert not np.allclose(served.predict(data.history(0), items), tuned.predict(data.history(0), items))


def test_a_refit_refuses_a_tuned_fit_of_other_settings():
    data, _ = structured_ratings(seed=6)
    tuned = Hybrid(HybridConfig(components=["user_mean", "baseline"])).fit(data)

    with pytest.raises(ValueError, match="same settings"):
        Hybrid(HybridConfig(components=["baseline", "user_mean"])).refit(data, tuned=tuned)


def test_at_most_max_validation_ratings_are_held_out_and_a_sliver_held_out_is_not_fitted_again():
    data, _ = structured_ratings(seed=7)
    config = dict(components=["user_mean", "baseline"], max_validation_ratings=30)

    # given a validation part of at most 30 ratings, which is more than the refit share
    refitted = Hybrid(HybridConfig(**config, refit_share=0.0)).fit(data)
    # and the same with a refit share above it
    kept = Hybrid(HybridConfig(**config, refit_share=0.5)).fit(data)

    # then the first fitted the components again on everything, the second kept those the ridge was learned on
    held_out = len(data) - kept.components[0].fitted_on
    assert 0 < held_out <= 60  # 30 expected, drawn at random
    assert refitted.components[0].fitted_on == len(data)
    np.testing.assert_array_equal(refitted.weights, kept.weights)
    np.testing.assert_array_equal(kept.item_counts, np.bincount(data.items, minlength=data.n_items))


def test_a_limited_validation_part_is_the_share_of_a_sample_of_peoples_ratings():
    data, _ = structured_ratings(seed=8)
    per_person = len(data) / data.n_users
    hybrid = Hybrid(HybridConfig(components=["baseline"], validation_share=0.5, max_validation_ratings=100))

    held_out = hybrid._validation_ratings(data)

    # about 100 ratings, half the ratings of each of the people drawn, and nobody else's
    people = np.unique(data.users[held_out])
    assert len(people) <= round(100 / (0.5 * per_person)) < data.n_users
    assert 50 <= held_out.sum() <= 150
    of_those = np.isin(data.users, people)
    assert 0.35 < held_out[of_those].mean() < 0.65
    # and without a limit, the share of everyone's
    everyone = Hybrid(HybridConfig(components=["baseline"], validation_share=0.5, max_validation_ratings=0))
    assert len(np.unique(data.users[everyone._validation_ratings(data)])) == data.n_users
