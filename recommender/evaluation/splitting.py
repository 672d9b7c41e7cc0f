"""Train/test splits of an Interactions: random k-fold, predefined folds, temporal leave-last-out,
leave-one-out with sampled negatives, and inner validation splits carved from a training part alone.

Every split keeps both vocabularies of the data it came from (``Interactions.select``), so a position means
the same user or movie in train and test.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from recommender.algorithms.interactions import Interactions

#: (user ids, item ids) naming ratings by their outside ids.
Pairs = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True, eq=False)
class Split:
    name: str
    train: Interactions
    test: Interactions
    #: Sampled protocol only: for each test rating (in ``test`` order), the item positions to rank, the
    #: held-out item first and then the sampled negatives. None: rank the whole catalog.
    candidates: list[np.ndarray] | None = None


def kfold(data: Interactions, k: int = 5, *, seed: int = 42) -> list[Split]:
    """``k`` splits whose test parts are a seeded random partition of the ratings into near-equal folds."""
    if k < 2:
        raise ValueError(f"k-fold needs k >= 2, got {k}")
    fold = np.empty(len(data), dtype=np.int64)
    fold[np.random.default_rng(seed).permutation(len(data))] = np.arange(len(data)) % k
    return [Split(f"fold {i + 1}/{k}", data.select(fold != i), data.select(fold == i)) for i in range(k)]


def predefined_folds(data: Interactions, folds: Sequence[tuple[Pairs, Pairs]]) -> list[Split]:
    """Splits named by the data set itself (ml-100k's uK.base / uK.test): each fold is (train pairs, test pairs)."""
    keys = _rating_keys(data)
    splits = []
    for number, (train_pairs, test_pairs) in enumerate(folds, start=1):
        in_train = np.isin(keys, _pair_keys(data, train_pairs, f"fold {number} training"))
        in_test = np.isin(keys, _pair_keys(data, test_pairs, f"fold {number} test"))
        if (in_train & in_test).any():
            raise ValueError(f"fold {number}: {int((in_train & in_test).sum())} ratings are both training and test")
        splits.append(Split(f"fold {number}", data.select(in_train), data.select(in_test)))
    return splits


def shuffle_ties(data: Interactions, *, seed: int = 42) -> Interactions:
    """The same ratings in a seeded random order, so that ratings made in the same second follow no id.

    Everything downstream orders a person's ratings by a stable sort on time (``Interactions.histories``,
    the GRU's training windows, the hybrid's validation movie), so ties keep this order. On ml-100k half of
    the consecutive ratings share a second; the order the files list them in (by movie id) would otherwise
    decide which one is "latest" and teach a sequence model that the next id is larger.
    """
    return data.select(np.random.default_rng(seed).permutation(len(data)))


def temporal_leave_last_out(data: Interactions, *, seed: int = 42) -> Split:
    """Each user's latest rating is the test, everything else trains.

    The latest is the largest timestamp; among equal timestamps a seeded random one, the same for every
    model. The training part keeps that shuffled order, so the held-out rating also comes after the
    training ratings of its second wherever a model orders a history by time.
    """
    shuffled = shuffle_ties(data, seed=seed)
    test = shuffled.latest()
    return Split("temporal leave-last-out", shuffled.select(~test), shuffled.select(test))


def leave_one_out_sampled(data: Interactions, negatives: int = 99, *, seed: int = 42) -> Split:
    """The NCF protocol: each user's latest rating is ranked against ``negatives`` items they never rated.

    1. Hold out each user's latest rating as :func:`temporal_leave_last_out` does.
    2. For each held-out rating, draw ``negatives`` distinct catalog items the user rated neither in
       training nor in test (fewer when the catalog runs out), seeded so every model sees the same ones.
    """
    split = temporal_leave_last_out(data, seed=seed)
    rng = np.random.default_rng(seed)
    rated = data.matrix.tolil().rows  # per user position, the item positions they rated
    candidates = []
    for user, item in zip(split.test.users, split.test.items, strict=True):
        unrated = np.setdiff1d(np.arange(data.n_items), rated[user], assume_unique=True)
        drawn = rng.choice(unrated, size=min(negatives, len(unrated)), replace=False)
        candidates.append(np.concatenate(([item], drawn)).astype(np.int64))
    return Split(f"leave-one-out, {negatives} sampled negatives", split.train, split.test, candidates)


#: The share of a fold's training ratings that its inner validation split holds out.
INNER_SHARE = 0.1


def inner_validation(split: Split, *, temporal: bool, seed: int = 42) -> Split:
    """A validation split made from ``split.train`` only, for choosing hyper-parameters without the test part.

    Temporal: each person's latest training rating (their second-to-last overall), for people with more
    than one. Otherwise: a seeded random INNER_SHARE of the training ratings.
    """
    train = split.train
    random_share = np.random.default_rng(seed).random(len(train)) < INNER_SHARE
    held_out = train.latest(more_than=1) if temporal else random_share
    return Split(f"inner validation of {split.name}", train.select(~held_out), train.select(held_out))


def _rating_keys(data: Interactions) -> np.ndarray:
    return data.users.astype(np.int64) * data.n_items + data.items


def _pair_keys(data: Interactions, pairs: Pairs, what: str) -> np.ndarray:
    users, items = (np.asarray(ids, dtype=np.int64) for ids in pairs)
    user_positions = np.array([data.user_index.get(int(user), -1) for user in users], dtype=np.int64)
    item_positions = np.array([data.item_index.get(int(item), -1) for item in items], dtype=np.int64)
    unknown = (user_positions < 0) | (item_positions < 0)
    keys = user_positions * data.n_items + item_positions
    found = np.isin(keys, _rating_keys(data))
    if unknown.any() or not found.all():
        missing = ~found | unknown
        first = [(int(u), int(i)) for u, i in zip(users[missing][:3], items[missing][:3], strict=True)]
        raise ValueError(f"{what}: {int(missing.sum())} (user, item) pairs are not among the ratings, e.g. {first}")
    return keys
