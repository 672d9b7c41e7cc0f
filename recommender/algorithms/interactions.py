"""The data every algorithm learns from: ratings as index arrays plus the catalog's item features.

Pure numpy/scipy. ``recommender.data`` builds these from the ORM; the evaluation
harness builds them straight from MovieLens files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class ItemFeatures:
    """Side information per item, aligned with ``Interactions.item_ids`` (position i describes item i)."""

    titles: list[str]
    genres: list[list[str]]
    years: np.ndarray  # float64, NaN where unknown
    tags: list[dict[str, int]] = field(default_factory=list)  # tag -> how often it was applied
    overviews: list[str] = field(default_factory=list)  # the plot summary (TMDB enrichment), "" where none

    def __post_init__(self) -> None:
        n = len(self.titles)
        if (
            len(self.genres) != n
            or len(self.years) != n
            or any(extra and len(extra) != n for extra in (self.tags, self.overviews))
        ):
            raise ValueError("ItemFeatures lists must all have one entry per item")

    def take(self, positions: np.ndarray) -> ItemFeatures:
        return ItemFeatures(
            titles=[self.titles[i] for i in positions],
            genres=[self.genres[i] for i in positions],
            years=self.years[positions],
            tags=[self.tags[i] for i in positions] if self.tags else [],
            overviews=[self.overviews[i] for i in positions] if self.overviews else [],
        )


@dataclass(frozen=True, eq=False)
class Interactions:
    """Ratings as parallel arrays of user and item positions.

    ``user_ids`` / ``item_ids`` map positions back to the outside world's ids
    (Django primary keys, or MovieLens ids in the evaluation harness). The item
    vocabulary is the whole catalog: it may hold items nobody has rated yet.
    """

    user_ids: np.ndarray  # int64, one per user position
    item_ids: np.ndarray  # int64, one per item position
    users: np.ndarray  # int32 user position of each rating
    items: np.ndarray  # int32 item position of each rating
    ratings: np.ndarray  # float32
    timestamps: np.ndarray  # float64 seconds since the epoch (0 where unknown)
    item_features: ItemFeatures | None = None

    @classmethod
    def from_ids(
        cls,
        user_ids: Sequence[int] | np.ndarray,
        item_ids: Sequence[int] | np.ndarray,
        ratings: Sequence[float] | np.ndarray,
        timestamps: Sequence[float] | np.ndarray | None = None,
        *,
        catalog: Sequence[int] | np.ndarray | None = None,
        item_features: ItemFeatures | None = None,
    ) -> Interactions:
        """Build from one row per rating given as outside ids.

        ``catalog`` fixes the item vocabulary (and the order ``item_features``
        follows); without it the vocabulary is the sorted set of rated items.
        """
        raw_users = np.asarray(user_ids, dtype=np.int64)
        raw_items = np.asarray(item_ids, dtype=np.int64)
        values = np.asarray(ratings, dtype=np.float32)
        if not (len(raw_users) == len(raw_items) == len(values)):
            raise ValueError("user_ids, item_ids and ratings must have the same length")
        stamps = np.zeros(len(values)) if timestamps is None else np.asarray(timestamps, dtype=np.float64)
        vocab_users, users = np.unique(raw_users, return_inverse=True)
        if catalog is None:
            vocab_items, items = np.unique(raw_items, return_inverse=True)
        else:
            vocab_items = np.asarray(catalog, dtype=np.int64)
            order = np.argsort(vocab_items, kind="stable")
            found = np.searchsorted(vocab_items, raw_items, sorter=order)
            np.clip(found, 0, len(vocab_items) - 1, out=found)
            items = order[found] if len(vocab_items) else found
            del found  # one rating-sized array fewer at the peak (200 MB at 25M)
            if len(raw_items) and not np.array_equal(vocab_items[items], raw_items):
                missing = sorted(set(raw_items.tolist()) - set(vocab_items.tolist()))[:5]
                raise ValueError(f"ratings refer to items missing from the catalog: {missing}")
        if item_features is not None and len(item_features.titles) != len(vocab_items):
            raise ValueError("item_features must describe every catalog item, in catalog order")
        return cls(
            user_ids=vocab_users,
            item_ids=vocab_items,
            users=users.astype(np.int32),
            items=np.asarray(items).astype(np.int32),
            ratings=values,
            timestamps=stamps,
            item_features=item_features,
        )

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def __len__(self) -> int:
        return len(self.ratings)

    @cached_property
    def matrix(self) -> sp.csr_matrix:
        """users x items, the rating in each cell (explicit zeros never occur: scores start at 0.5)."""
        return sp.csr_matrix(
            (self.ratings, (self.users, self.items)), shape=(self.n_users, self.n_items), dtype=np.float32
        )

    @cached_property
    def item_index(self) -> dict[int, int]:
        return {int(item): position for position, item in enumerate(self.item_ids)}

    @cached_property
    def user_index(self) -> dict[int, int]:
        return {int(user): position for position, user in enumerate(self.user_ids)}

    @cached_property
    def global_mean(self) -> float:
        return float(self.ratings.mean()) if len(self.ratings) else 3.5

    def history(self, user_position: int) -> History:
        """The ratings of the user at ``user_position`` as a History (outside ids, time order)."""
        mask = self.users == user_position
        return History.from_arrays(
            self.item_ids[self.items[mask]],
            self.ratings[mask],
            self.timestamps[mask],
            user_id=int(self.user_ids[user_position]),
        )

    def histories(self, users: np.ndarray | None = None) -> dict[int, History]:
        """Every user's History keyed by user position, built in one pass; only those at ``users`` if given
        (an evaluation of 5,000 people out of 162,000 then sorts and copies their ratings alone)."""
        if users is None:
            order = np.lexsort((self.timestamps, self.users))
        else:
            wanted = np.zeros(self.n_users, dtype=bool)
            wanted[users] = True
            rows = np.flatnonzero(wanted[self.users])
            # The rows keep their order here, so ties in time fall as they do in the whole sort.
            order = rows[np.lexsort((self.timestamps[rows], self.users[rows]))]
        wanted_positions = range(self.n_users) if users is None else np.unique(users).tolist()
        sorted_users, items = self.users[order], self.items[order]
        ratings, stamps = self.ratings[order], self.timestamps[order]
        bounds = np.searchsorted(sorted_users, np.arange(self.n_users + 1))
        return {
            u: History(
                item_ids=self.item_ids[items[bounds[u] : bounds[u + 1]]],
                ratings=ratings[bounds[u] : bounds[u + 1]],
                timestamps=stamps[bounds[u] : bounds[u + 1]],
                user_id=int(self.user_ids[u]),
            )
            for u in wanted_positions
        }

    def latest(self, *, more_than: int = 0, count: int = 1) -> np.ndarray:
        """A mask of each user's latest ``count`` ratings: the largest timestamps, ties by their order here.

        At least ``more_than`` of each user's ratings stay unmarked (``more_than=1`` leaves someone with
        a single rating something to train on when the latest ratings are held out).

        The order is the one :meth:`histories` keeps for ties, so the latest rating is also the last of the
        person's history. Shuffle the ratings first (``evaluation.splitting.shuffle_ties``) to make it a
        seeded random choice among a second's ties instead of the order the data was read in.
        """
        per_user = np.bincount(self.users, minlength=self.n_users)
        if count == 1:  # each person's newest alone: two passes instead of a sort (22 s of a 25M holdout)
            newest = np.full(self.n_users, -np.inf)
            np.maximum.at(newest, self.users, self.timestamps)
            at_newest = np.flatnonzero(self.timestamps == newest[self.users])
            last = np.full(self.n_users, -1, dtype=np.int64)
            np.maximum.at(last, self.users[at_newest], at_newest)  # ties: the last of them here, as a sort puts it
            marked = np.zeros(len(self), dtype=bool)
            marked[last[per_user > more_than]] = True
            return marked
        marked = np.minimum(count, np.maximum(per_user - more_than, 0))
        from_end = per_user[self.users] - self.positions_in_history()  # 1 for the latest
        return from_end <= marked[self.users]

    def positions_in_history(self) -> np.ndarray:
        """Each rating's place in its user's :meth:`histories` (0 for the earliest), in the order here."""
        order = np.lexsort((self.timestamps, self.users))  # lexsort is stable: ties keep their order here
        users = self.users[order]
        places = np.empty(len(self), dtype=np.int64)
        places[order] = np.arange(len(order)) - np.searchsorted(users, users, side="left")
        return places

    def select(self, mask: np.ndarray) -> Interactions:
        """The ratings where ``mask`` holds, keeping both vocabularies (so positions stay comparable)."""
        return Interactions(
            user_ids=self.user_ids,
            item_ids=self.item_ids,
            users=self.users[mask],
            items=self.items[mask],
            ratings=self.ratings[mask],
            timestamps=self.timestamps[mask],
            item_features=self.item_features,
        )


@dataclass(frozen=True, eq=False)
class History:
    """One person's current ratings, as the web app knows them right now (outside item ids).

    ``user_id`` is set when the person was in the training data; algorithms may
    use what they learned about them, but must give the current ratings the last word.
    """

    item_ids: np.ndarray  # int64
    ratings: np.ndarray  # float32
    timestamps: np.ndarray | None = None  # float64, same order as item_ids
    user_id: int | None = None

    @classmethod
    def from_arrays(
        cls,
        item_ids: Sequence[int] | np.ndarray,
        ratings: Sequence[float] | np.ndarray,
        timestamps: Sequence[float] | np.ndarray | None = None,
        *,
        user_id: int | None = None,
    ) -> History:
        items = np.asarray(item_ids, dtype=np.int64)
        values = np.asarray(ratings, dtype=np.float32)
        stamps = None if timestamps is None else np.asarray(timestamps, dtype=np.float64)
        if stamps is not None:
            order = np.argsort(stamps, kind="stable")
            items, values, stamps = items[order], values[order], stamps[order]
        return cls(item_ids=items, ratings=values, timestamps=stamps, user_id=user_id)

    @classmethod
    def from_mapping(cls, ratings: Mapping[int, float], *, user_id: int | None = None) -> History:
        return cls.from_arrays(list(ratings.keys()), list(ratings.values()), user_id=user_id)

    @classmethod
    def empty(cls) -> History:
        return cls.from_arrays([], [])

    def __len__(self) -> int:
        return len(self.item_ids)

    def first(self, count: int) -> History:
        """The first ``count`` ratings, same person: the history as it stood before the next one came."""
        stamps = None if self.timestamps is None else self.timestamps[:count]
        return History(self.item_ids[:count], self.ratings[:count], stamps, self.user_id)


def rating_digests(users: np.ndarray, items: np.ndarray, ratings: np.ndarray, n_users: int) -> np.ndarray:
    """Per user position, a 64-bit fingerprint of their (item position, rating) pairs, whatever their order.

    Two equal digests mean the same ratings, but for a chance of 2**-64: a model can tell that someone has
    rated nothing since it learned them. Each pair is mixed (splitmix64's finalizer) and the mixes summed.
    """
    keys = (np.asarray(items, dtype=np.uint64) << np.uint64(32)) | np.asarray(ratings, dtype=np.float32).view(
        np.uint32
    ).astype(np.uint64)
    keys = keys + np.uint64(0x9E3779B97F4A7C15)
    keys = (keys ^ (keys >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    keys = (keys ^ (keys >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    keys ^= keys >> np.uint64(31)
    digests = np.zeros(n_users, dtype=np.uint64)
    np.add.at(digests, np.asarray(users, dtype=np.int64), keys)  # unsigned: wraps around, as a hash should
    return digests
