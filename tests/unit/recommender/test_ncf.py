"""NCF: NeuMF for ratings and for top-N; fold-in of fresh ratings; reproducible, device-aware training."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from recommender.algorithms.interactions import History, Interactions, rating_digests
from recommender.algorithms.ncf import NCF, TUNED_L2, NCFConfig
from recommender.algorithms.torch.device import choose_device
from recommender.algorithms.torch.training import fold_in, sample_negatives
from tests.unit.recommender.margins import Check, rmse_ratio
from tests.unit.recommender.planted import planted
from tests.unit.recommender.synthetic import split, structured_ratings

#: Small batches: the generated sets are a few thousand ratings, the tuned batch size is for ml-100k.
FAST = {"epochs": 10, "batch_size": 64}


def low_rank(seed: int = 0) -> tuple[Interactions, Interactions]:
    return split(structured_ratings(seed=seed, factors=2)[0])


def explicit_ratio(seed: int) -> float:
    train, test = low_rank(seed)
    return rmse_ratio(NCF(NCFConfig(seed=seed, **FAST)).fit(train), train, test)


def held_out_likes_auc(seed: int) -> float:
    """Given each person's last two liked movies held out, how often they outscore other groups' unrated movies."""
    data, user_group, item_group = planted(seed=seed)
    held_out = np.zeros(len(data), dtype=bool)
    for user in range(data.n_users):
        mine = np.flatnonzero((data.users == user) & (data.ratings >= 4))
        held_out[mine[np.argsort(data.timestamps[mine])[-2:]]] = True
    # Implicit feedback is what people chose to watch and liked: trained on every rating, the planted dislikes (a
    # third of each person's ratings, all in other groups) taught the model that other groups were watched too,
    # and the AUC was 0.663 +- 0.070 over 20 seeds against the 0.6 bar. On the likes: 0.983 +- 0.009 (8 seeds).
    train = data.select(~held_out & (data.ratings >= 4))
    # Few factors: with 16 the tiny planted set is simply memorized, which leaves nothing to generalize from.
    # 20 epochs: at 10 the AUC was 0.645 +- 0.074 over 20 seeds, against the 0.6 bar.
    config = NCFConfig(objective="implicit", factors=4, layers=(8, 4), seed=seed, **{**FAST, "epochs": 20})
    model = NCF(config).fit(train)
    histories = train.histories()
    wins = []
    for user in range(data.n_users):
        scores = model.score(histories[user])
        hidden = data.items[held_out & (data.users == user)]
        others = np.setdiff1d(np.flatnonzero(item_group != user_group[user]), data.items[data.users == user])
        wins.append(np.mean(scores[hidden][:, None] > scores[others][None, :]))
    return float(np.mean(wins))


CHECKS = {
    "explicit": Check("ncf held-out RMSE / mean-only", explicit_ratio, 0.8, above=False),
    # Chance is 0.5; a model that learns the groups ranks nearly every held-out like first.
    "implicit": Check("ncf_implicit held-out likes AUC", held_out_likes_auc, 0.9, above=True),
}


@pytest.fixture(scope="module")
def ratings() -> tuple[Interactions, Interactions]:
    return low_rank()


@pytest.fixture(scope="module")
def explicit(ratings) -> NCF:
    return NCF(NCFConfig(seed=0, **FAST)).fit(ratings[0])


@pytest.fixture(scope="module")
def implicit() -> NCF:
    data, _, _ = planted()
    return NCF(NCFConfig(objective="implicit", **FAST)).fit(data)


def test_explicit_predictions_beat_the_global_mean_on_held_out_ratings(explicit, ratings):
    CHECKS["explicit"].assert_passes(rmse_ratio(explicit, *ratings))


def test_only_the_explicit_objective_estimates_ratings(explicit, implicit):
    assert explicit.explicit and not implicit.explicit
    with pytest.raises(NotImplementedError):
        implicit.predict(History.empty(), implicit.item_ids[:3])


def test_implicit_ranks_a_persons_own_taste_group_first():
    # The held-out movies beat the other groups' movies the person never rated
    CHECKS["implicit"].assert_at()


def test_each_objective_gets_its_tuned_l2_unless_told_otherwise():
    for objective, tuned in TUNED_L2.items():
        config = NCFConfig(objective=objective)
        assert (config.reg, config.weight_decay) == (tuned["reg"], tuned["weight_decay"])
    assert NCFConfig(objective="implicit", reg=0.3).reg == 0.3
    # The filled-in values are what a saved model's meta.json records, so loading gives the same config.
    assert NCFConfig.from_dict(NCFConfig(objective="implicit").to_dict()) == NCFConfig(objective="implicit")


def test_a_fresh_rating_counts_at_once(explicit, ratings):
    # Given a new person's ratings and a movie they have not rated
    train, _ = ratings
    history = train.history(5)
    movie = np.setdiff1d(train.item_ids, history.item_ids)[:1]

    def rated(score: float) -> History:
        return History.from_arrays(np.append(history.item_ids, movie), np.append(history.ratings, score))

    # When they rate it 5 stars, or half a star, then the very next prediction follows
    assert explicit.predict(rated(5.0), movie)[0] > explicit.predict(rated(0.5), movie)[0] + 0.2


def test_implicit_fold_in_weighs_every_unrated_movie_by_its_expected_negative_draws(implicit):
    # Given a person who rated three movies
    rated = torch.tensor([0, 4, 9])
    # When the fold-in examples are built, twice
    items, targets, weights = implicit.fold_in_examples(rated, torch.ones(3))
    again = implicit.fold_in_examples(rated, torch.ones(3))
    # Then the positives come first, every other movie is a negative, and together the negatives weigh what
    # training's `negatives` draws per positive do; nothing is random
    n_items = len(implicit.item_ids)
    assert torch.equal(items[:3], rated) and sorted(items.tolist()) == list(range(n_items))
    assert torch.equal(targets, (torch.arange(n_items) < 3).float()) and torch.equal(weights[:3], torch.ones(3))
    assert weights[3:].sum().item() == pytest.approx(implicit.config.negatives * 3)
    assert all(torch.equal(a, b) for a, b in zip((items, targets, weights), again, strict=True))


def test_a_training_user_starts_from_what_was_learned_about_them(ratings):
    train, _ = ratings
    model = NCF(NCFConfig(fold_in_steps=0, **FAST)).fit(train)
    history = train.history(3)
    known = History(history.item_ids, history.ratings, history.timestamps, user_id=int(train.user_ids[3]))
    stranger = History(history.item_ids, history.ratings, history.timestamps)
    # Without fold-in steps a stranger is the average person; a known user keeps their learned taste.
    np.testing.assert_array_equal(model.score(stranger), model.score(History.empty()))
    assert not np.allclose(model.score(known), model.score(stranger))


def test_someone_who_rated_nothing_since_training_is_scored_from_their_learned_rows_without_a_fold_in(
    ratings, monkeypatch, tmp_path
):
    # Given a model, and a person it was trained on, as the site knows them
    train, _ = ratings
    model = NCF(NCFConfig(**FAST)).fit(train)
    history = train.history(3)
    known = History(history.item_ids[::-1], history.ratings[::-1], user_id=int(train.user_ids[3]))  # any order
    learned = model.score(known)
    folds = []
    real_fold_in = fold_in

    def counted(*args, **kwargs):
        folds.append(1)
        return real_fold_in(*args, **kwargs)

    monkeypatch.setattr("recommender.algorithms.torch.base.fold_in", counted)
    # When they are scored again, by this model or by the same model saved and loaded
    model.save(tmp_path / "ncf")
    loaded = type(model).load(tmp_path / "ncf")
    np.testing.assert_allclose(loaded.score(known), learned, rtol=1e-6)
    np.testing.assert_allclose(model.score(known), learned, rtol=1e-6)
    # Then no fold-in ran; their training rows are the answer
    assert folds == []
    with torch.no_grad():
        rows = model.net.user_rows(torch.tensor([3]))
        items = torch.arange(len(model.item_ids))
        expected = model.net.combine([row.expand(len(items), -1) for row in rows], model.net.item_rows(items))
    np.testing.assert_allclose(learned, model.estimate(expected).numpy(), rtol=1e-5)

    # When they change one rating, or rate one more movie, they are folded in again
    lowered = history.ratings.copy()
    lowered[0] = 1.0 if lowered[0] != 1.0 else 2.0
    changed = History(history.item_ids, lowered, user_id=known.user_id)
    movie = np.setdiff1d(train.item_ids, history.item_ids)[:1]
    more = History(np.append(history.item_ids, movie), np.append(history.ratings, 4.0), user_id=known.user_id)
    model.score(changed)
    model.score(more)
    assert len(folds) == 2


def test_rating_digests_tell_any_change_of_a_persons_ratings_and_ignore_their_order():
    users, items, ratings = np.array([0, 0, 1, 1]), np.array([5, 7, 5, 7]), np.array([4.0, 3.5, 3.5, 4.0])
    digests = rating_digests(users, items, ratings, 3)
    assert digests[0] != digests[1] and digests[2] == 0  # same movies, other ratings; someone with none
    assert rating_digests(np.zeros(2), items[1::-1], ratings[1::-1], 1)[0] == digests[0]
    assert rating_digests(np.zeros(2), np.array([5, 8]), ratings[:2], 1)[0] != digests[0]
    assert rating_digests(np.zeros(1), items[:1], ratings[:1], 1)[0] != digests[0]


def test_a_movie_nobody_rated_is_estimated_like_an_unknown_id():
    # structured_ratings' catalog holds every item; drop one from training to leave it unrated
    data, _ = structured_ratings(seed=3)
    unrated = data.item_ids[-1]
    model = NCF(NCFConfig(**FAST)).fit(data.select(data.items != data.n_items - 1))
    predicted = model.predict(data.history(0), np.array([unrated, 999_999]))
    assert predicted[0] == pytest.approx(predicted[1])
    assert np.isnan(model.score(data.history(0), np.array([999_999])))[0]


def test_same_seed_same_model_and_the_callers_random_state_is_untouched(ratings):
    train, _ = ratings
    state = torch.get_rng_state()
    first = NCF(NCFConfig(objective="implicit", epochs=2, batch_size=256, seed=7)).fit(train)
    assert torch.equal(torch.get_rng_state(), state)
    second = NCF(NCFConfig(objective="implicit", epochs=2, batch_size=256, seed=7)).fit(train)
    other = NCF(NCFConfig(objective="implicit", epochs=2, batch_size=256, seed=8)).fit(train)
    history = train.history(0)
    np.testing.assert_array_equal(first.score(history), second.score(history))
    assert not np.allclose(first.score(history), other.score(history))


def test_scores_do_not_depend_on_what_was_scored_before(implicit):
    # Implicit fold-in samples negatives: from a generator seeded afresh on every call
    data, _, _ = planted()
    first = implicit.score(data.history(1))
    implicit.score(data.history(2))
    np.testing.assert_array_equal(implicit.score(data.history(1)), first)


def test_sampled_negatives_avoid_each_users_positives():
    users = torch.tensor([0, 0, 1, 1] * 50)
    positives = torch.tensor([0 * 10 + 1, 0 * 10 + 2, 1 * 10 + 3])  # user * n_items + item
    draws = sample_negatives(users, positives, torch.arange(10), 10, torch.Generator().manual_seed(0))
    assert not torch.isin(users * 10 + draws, positives).any()
    assert set(draws.tolist()) <= set(range(10))
    again = sample_negatives(users, positives, torch.arange(10), 10, torch.Generator().manual_seed(0))
    assert torch.equal(draws, again)


def test_cuda_asked_for_without_cuda_runs_on_the_cpu_and_says_so(monkeypatch, caplog):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with caplog.at_level(logging.WARNING):
        assert choose_device("cuda").type == "cpu"
    assert "CUDA" in caplog.text
    assert choose_device("auto").type == "cpu"
    assert NCF(NCFConfig(device="cuda")).device.type == "cpu"


@pytest.mark.parametrize(
    ("field", "value"),
    [("objective", "both"), ("layers", (33, 16)), ("device", "tpu"), ("negatives", -1), ("fold_in_steps", -1)],
)
def test_bad_settings_are_refused_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        NCFConfig(**{field: value})
