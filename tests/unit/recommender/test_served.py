"""The served protocol: the site's own row builder, replayed on a split, measures what people see."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.evaluation import served
from recommender.evaluation.runner import PROTOCOLS, evaluate_split
from recommender.evaluation.served import catalog_from, evaluate_rows, fit_families, stats_from
from recommender.evaluation.splitting import temporal_leave_last_out
from tests.unit.recommender.margins import FAST
from tests.unit.recommender.planted import planted


@pytest.fixture(scope="module")
def split():
    data, _, _ = planted(seed=0)
    return temporal_leave_last_out(data, seed=0)


@pytest.fixture(scope="module")
def families(split):
    return fit_families(split.train, overrides=FAST)


def test_the_catalog_and_statistics_come_from_the_training_part_alone(split):
    catalog = catalog_from(split.train)
    stats = stats_from(split.train, catalog)

    assert np.array_equal(catalog.ids, np.sort(split.train.item_ids))
    assert stats.counts.sum() == len(split.train)
    assert set(catalog.genre_names) == {"Action", "Romance", "Documentary"}
    assert catalog.genres.sum(axis=1).tolist() == [1] * len(catalog)


def test_every_personal_row_is_measured_for_every_test_person_who_gets_it(families, split):
    rows = evaluate_rows(families, split)

    people = split.test.n_users
    assert {"top-picks", "fans-like-you", "up-next", "popular-in", "hidden-gems", "new-in-catalog"} <= set(rows)
    assert rows["top-picks"]["users"] == people
    assert all(0.0 <= figures["ndcg@10"] <= figures["hr@10"] <= 1.0 for figures in rows.values())


def test_the_top_picks_row_scores_what_evaluating_the_blend_scores(families, split):
    """Served equals evaluated: the row builder's Top picks are the blend's ranking, so the figures agree."""
    rows = evaluate_rows(families, split)
    evaluated = evaluate_split(families["blend"]["blend"], split, PROTOCOLS["temporal"])

    assert rows["top-picks"]["ndcg@10"] == pytest.approx(evaluated["ndcg@10"], abs=1e-9)
    assert rows["top-picks"]["hr@10"] == pytest.approx(evaluated["hr@10"], abs=1e-9)


def test_brand_new_people_are_folded_in_from_their_ratings(families, split):
    trained = evaluate_rows(families, split)
    new = evaluate_rows(families, split, new_people=True)

    assert new.keys() == trained.keys()
    assert new["popular-in"] == {**trained["popular-in"], "seconds": new["popular-in"]["seconds"]}


def test_the_benchmark_fits_the_families_once_per_seed_and_measures_both_kinds_of_people(families, split, monkeypatch):
    fits = []

    def counting(train, *, overrides=None):
        fits.append(overrides["blend"]["seed"])
        return families  # fitted once for the module: what is tested here is the bookkeeping around the fits

    monkeypatch.setattr(served, "fit_families", counting)

    measured = served.evaluate_served(lambda seed: [split], [0, 1], new_people=(False, True))

    assert fits == [0, 1]
    assert measured.keys() == {False, True}
    top = measured[False]["row top-picks"]
    assert top["seeds"] == 2 and top["ndcg@10_sd"] is not None
