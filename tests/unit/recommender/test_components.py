"""Fitting the blends' components: one fit per algorithm, settings and data inside ``fits_shared``."""

from __future__ import annotations

import pytest

from recommender.algorithms import algorithm_class
from recommender.algorithms.components import fits_shared, fitted
from recommender.evaluation.served import fit_families
from tests.unit.recommender.margins import FAST
from tests.unit.recommender.planted import planted


@pytest.fixture
def fits(monkeypatch):
    """The data objects each item kNN fit was given."""
    seen = []
    knn = algorithm_class("item_knn")
    fit = knn.fit

    def counted(self, data):
        seen.append(data)
        return fit(self, data)

    monkeypatch.setattr(knn, "fit", counted)
    return seen


def test_inside_the_block_one_model_per_algorithm_settings_and_data(fits):
    data, other = planted(users=30)[0], planted(users=30)[0]

    with fits_shared():
        first = fitted("item_knn", data, neighbours=10)
        again = fitted("item_knn", data, neighbours=10)
        other_settings = fitted("item_knn", data, neighbours=20)
        other_data = fitted("item_knn", other, neighbours=10)

    assert again is first
    assert other_settings is not first and other_data is not first
    assert [id(seen) for seen in fits] == [id(data), id(data), id(other)]


def test_outside_the_block_every_call_fits(fits):
    data = planted(users=30)[0]
    with fits_shared():
        fitted("item_knn", data)

    fitted("item_knn", data)
    fitted("item_knn", data)

    assert len(fits) == 3


def test_the_replayed_families_share_the_blends_components_fitted_on_the_same_data(fits):
    data = planted(users=40)[0]
    # The blend's item kNN with the collaborative family's settings, as training gives every member its own.
    overrides = {**FAST, "blend": {"overrides": {**FAST["blend"]["overrides"], "item_knn": FAST["item_knn"]}}}

    with fits_shared():
        families = fit_families(data, overrides=overrides)

    knn = families["collaborative"]["item_knn"]
    blend, hybrid = families["blend"]["blend"], families["stars"]["hybrid"]
    assert blend.components[blend.config.components.index("item_knn")] is knn
    assert hybrid.components[hybrid.config.components.index("item_knn")] is knn
    assert families["sequence"]["transitions"] is blend.components[blend.config.components.index("transitions")]
    # item kNN fitted on the whole training part once; the blend's and the hybrid's validation parts apart
    assert sum(seen is data for seen in fits) == 1 and len(fits) == 3
