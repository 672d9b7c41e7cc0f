"""A person's fold-in, computed once per history and shared between processes.

Scoring a person first folds their current history into the model: a ridge solve for
the factor models, a GRU pass for the sequence model, gradient steps on a fresh
embedding for the neural ones. What comes out is a few small arrays (a user vector, a
hidden state), and the scores follow from it and the item side.

Offline (evaluation, training, the guardrail) nothing is plugged in and every call
computes. A serving process plugs in a :class:`FoldStore` for the duration of a
request (``recommender.foldins``: Django's cache, Redis in production), so each
(model, history) is folded once and every web process on every host reads the result.
What is stored is exactly what the computation returned, so a cached fold scores
bit for bit like a fresh one: what is served is still what is measured.

A model takes part once whoever loaded it names it (:func:`name_folds`, with the
artifact's checksum): an unnamed model, one fitted in this process, always computes.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import io
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from recommender.algorithms.base import Recommender
    from recommender.algorithms.interactions import History

Arrays = tuple[np.ndarray, ...]
#: Part of every key: raise it when a fold's computation changes, so that no process reads the old code's folds.
FOLD_VERSION = 1


class FoldStore(Protocol):
    """Where folds are kept: bytes by key. Either call may fail silently (a miss, a lost write)."""

    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes) -> None: ...


_store: contextvars.ContextVar[FoldStore | None] = contextvars.ContextVar("fold_store", default=None)


@contextlib.contextmanager
def fold_store(store: FoldStore | None) -> Iterator[None]:
    """Read and keep folds in ``store`` inside the block (None: compute every fold, as offline)."""
    token = _store.set(store)
    try:
        yield
    finally:
        _store.reset(token)


def name_folds(model: Recommender, key: str) -> None:
    """Give ``model`` (and the components a blend holds) the identity its folds are kept under.

    ``key`` must change whenever the learned parameters do: the artifact's checksum and the member's name.
    """
    model.fold_key = key
    for index, component in enumerate(getattr(model, "components", ())):
        name_folds(component, f"{key}/{index}-{component.name}")


def history_digest(history: History) -> str:
    """Changes with anything a fold may read: the rated ids, the ratings, their times and the person's id."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(b"-" if history.user_id is None else str(int(history.user_id)).encode())
    digest.update(np.ascontiguousarray(history.item_ids, dtype=np.int64).tobytes())
    digest.update(np.ascontiguousarray(history.ratings, dtype=np.float32).tobytes())
    if history.timestamps is not None:
        digest.update(np.ascontiguousarray(history.timestamps, dtype=np.float64).tobytes())
    return digest.hexdigest()


def encode(arrays: Arrays) -> bytes:
    """The arrays as ``.npy`` records one after another (dtype and shape kept; no pickle)."""
    buffer = io.BytesIO()
    for array in arrays:
        np.save(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def decode(value: bytes) -> Arrays:
    buffer, arrays = io.BytesIO(value), []
    while buffer.tell() < len(value):
        arrays.append(np.load(buffer, allow_pickle=False))
    return tuple(arrays)


def folded(model: Recommender, history: History, compute: Callable[[], Arrays]) -> Arrays:
    """``compute()``, the fold of ``history`` into ``model``, or what a store plugged in kept of it.

    A stored value that does not decode (a store shared with another code version, a torn write)
    is computed again and replaced.
    """
    store = _store.get()
    name = getattr(model, "fold_key", None)
    if store is None or name is None:
        return compute()
    key = f"fold{FOLD_VERSION}:{name}:{history_digest(history)}"
    value = store.get(key)
    if value is not None:
        try:
            return decode(value)
        except (ValueError, EOFError, OSError):
            pass
    arrays = compute()
    store.set(key, encode(arrays))
    return arrays
