"""implicit_als, the ``implicit`` library behind our contract: ranking, fold-in, negative feedback, settings."""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pytest

from recommender.algorithms.implicit_als import ImplicitALS, ImplicitALSConfig
from recommender.algorithms.interactions import History, Interactions
from tests.unit.recommender.margins import FAST, Check
from tests.unit.recommender.planted import planted
from tests.unit.recommender.synthetic import split, structured_ratings

#: What the planted data calls a like: its planted dislikes (of other groups' movies) are rated below this.
LIKE = 3.5
#: The contract suite's settings for planted data (``margins.FAST`` says why they differ from the defaults).
PLANTED = ImplicitALSConfig(**FAST["implicit_als"])


def implicit_auc(seed: int) -> float:
    """Given one in five interactions held out, how often a held-out like outscores a never-touched movie."""
    data, _, _ = planted(seed=seed)
    train, test = split(data)
    model = ImplicitALS(replace(PLANTED, seed=seed)).fit(train)
    histories, touched = train.histories(), data.matrix.toarray() > 0
    liked = test.ratings >= LIKE
    wins = []
    for u in np.unique(test.users[liked]):
        scores = model.score(histories[u])
        positives = scores[test.items[(test.users == u) & liked]]
        negatives = scores[~touched[u] & model.rated]
        wins.append((positives[:, None] > negatives[None, :]).mean())
    return float(np.mean(wins))


def similar_in_group(seed: int) -> float:
    """Share of a movie's five most similar movies (by item factors) from its own planted group."""
    data, _, item_group = planted(seed=seed)
    model = ImplicitALS(replace(PLANTED, seed=seed)).fit(data)
    item = int(data.item_ids[0])
    similar = model.similar_items(item, 5)
    assert item not in [i for i, _ in similar]
    groups = dict(zip(data.item_ids.tolist(), item_group.tolist(), strict=True))
    return float(np.mean([groups[i] == groups[item] for i, _ in similar]))


CHECKS = {
    "auc": Check("implicit_als held-out likes AUC", implicit_auc, 0.75, above=True),
    "similar": Check("implicit_als similar movies from the same group", similar_in_group, 0.8, above=True),
}


def test_implicit_als_ranks_held_out_likes_above_other_items():
    # Given who-rated-what with planted taste groups, then held-out likes beat the never-touched items (AUC)
    CHECKS["auc"].assert_at()


def test_similar_items_by_factors_come_from_the_same_taste_group():
    CHECKS["similar"].assert_at()


def test_the_fold_in_of_a_trained_person_is_the_librarys_own_solution_for_them():
    # Given a model trained to convergence, then solving a training user from their history (what the
    # site does for everyone) gives the user factors the library learned for them
    data, _ = structured_ratings(factors=2, users=40, items=30, per_user=12)
    model = ImplicitALS(ImplicitALSConfig(factors=4, epochs=60, reg=1.0)).fit(data)
    trained = np.asarray(model._model.user_factors)
    for user in (0, 7, 39):
        np.testing.assert_allclose(model.user_vector(data.history(user)), trained[user], rtol=1e-2, atol=1e-3)


def test_a_person_unknown_at_training_is_scored_from_their_history():
    data, _ = structured_ratings(factors=2, users=40, items=30, per_user=12)
    model = ImplicitALS(ImplicitALSConfig(factors=4)).fit(data)
    stranger = History(item_ids=data.item_ids[:5], ratings=np.full(5, 5.0, dtype=np.float32))
    assert np.isfinite(model.score(stranger)).all()
    assert not np.allclose(model.score(stranger), model.score(History.empty()))


def test_a_rating_under_the_like_threshold_pushes_similar_movies_down():
    # Given one person's history in which movie A is either loved or panned, then with like_threshold set
    # the panned version ranks A's nearest neighbour lower; with 0, the two histories score the same
    data, _, _ = planted(seed=0)
    for threshold, differs in ((2.5, True), (0.0, False)):
        model = ImplicitALS(ImplicitALSConfig(like_threshold=threshold)).fit(data)
        seed_movie = int(data.item_ids[0])
        neighbour = model.similar_items(seed_movie, 1)[0][0]
        others = [int(i) for i in data.item_ids[1:6] if int(i) != neighbour]
        loved = History(item_ids=np.array([seed_movie, *others]), ratings=np.array([5.0] + [4.0] * len(others)))
        panned = History(item_ids=loved.item_ids, ratings=np.array([1.0] + [4.0] * len(others)))
        at = np.array([neighbour])
        if differs:
            assert model.score(panned, at)[0] < model.score(loved, at)[0]
        else:
            assert model.score(panned, at)[0] == pytest.approx(model.score(loved, at)[0])


def test_training_and_scoring_raise_no_thread_pool_warning():
    data, _ = structured_ratings(factors=2, users=40, items=30, per_user=12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = ImplicitALS(ImplicitALSConfig(factors=4)).fit(data)
        model.score(data.history(0))


def test_a_pair_rated_twice_is_refused():
    data = Interactions.from_ids([1, 1, 2], [10, 10, 10], [4.0, 5.0, 3.0])
    with pytest.raises(ValueError, match="rated twice"):
        ImplicitALS().fit(data)


@pytest.mark.parametrize(("field", "value"), [("factors", 0), ("alpha", 0.0), ("reg", -1.0), ("like_threshold", -1)])
def test_bad_settings_are_refused_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        ImplicitALSConfig(**{field: value})
