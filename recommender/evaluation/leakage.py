"""A guard that makes test data leaking into an algorithm an error instead of a better score.

:class:`LeakageGuard` wraps an algorithm for one split. It raises :class:`LeakageError` when ``fit``
receives a test (user, movie) pair, or when ``score`` or ``predict`` receive a history holding one;
and, for a split whose test is each person's latest rating, when either receives a rating of a test
person made after their test rating. Everything else passes through unchanged, so a guarded
algorithm evaluates exactly as the bare one does.
"""

from __future__ import annotations

from typing import Self

import numpy as np

from recommender.algorithms.base import Recommender
from recommender.algorithms.interactions import History, Interactions
from recommender.evaluation.splitting import Split


class LeakageError(AssertionError):
    """An algorithm was given test data."""


class LeakageGuard:
    """``model`` for one ``split``: what it is given is checked, everything else is the model's own."""

    def __init__(self, model: Recommender, split: Split, *, temporal: bool) -> None:
        self.model = model
        test = split.test
        users, items = test.user_ids[test.users], test.item_ids[test.items]
        self.test_pairs = set(zip(users.tolist(), items.tolist(), strict=True))
        #: Temporal splits: each test person's test time; nothing of theirs may come later.
        self.test_times = dict(zip(users.tolist(), test.timestamps.tolist(), strict=True)) if temporal else {}

    def __getattr__(self, name: str) -> object:
        return getattr(self.model, name)

    def fit(self, data: Interactions) -> Self:
        users, items = data.user_ids[data.users], data.item_ids[data.items]
        self._check(users, items, data.timestamps, "fit")
        self.model.fit(data)
        return self

    def score(self, history: History, items: np.ndarray | None = None) -> np.ndarray:
        self._check_history(history, "score")
        return self.model.score(history, items)

    def predict(self, history: History, items: np.ndarray) -> np.ndarray:
        self._check_history(history, "predict")
        return self.model.predict(history, items)

    def _check_history(self, history: History, what: str) -> None:
        if history.user_id is None or not len(history):
            return
        users = np.full(len(history), history.user_id, dtype=np.int64)
        stamps = history.timestamps if history.timestamps is not None else np.zeros(len(history))
        self._check(users, history.item_ids, stamps, what)

    def _check(self, users: np.ndarray, items: np.ndarray, stamps: np.ndarray, what: str) -> None:
        leaked = [
            pair for pair in zip(users.tolist(), np.asarray(items).tolist(), strict=True) if pair in self.test_pairs
        ]
        if leaked:
            raise LeakageError(f"{self.model.name}.{what} was given {len(leaked)} test rating(s), e.g. {leaked[0]}")
        if self.test_times:
            limit = np.array([self.test_times.get(user, np.inf) for user in users.tolist()])
            later = np.flatnonzero(np.asarray(stamps) > limit)
            if len(later):
                user = int(users[later[0]])
                raise LeakageError(
                    f"{self.model.name}.{what} was given {len(later)} rating(s) made after a test rating, "
                    f"e.g. user {user}'s at {stamps[later[0]]} after {self.test_times[user]}"
                )
