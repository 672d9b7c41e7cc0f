"""The Recommender contract every algorithm follows, and helpers they share.

An algorithm is a ``<Name>Config`` dataclass (hyper-parameters with standard
names: ``factors``, ``epochs``, ``learning_rate``, ``reg``, ``seed``) plus a
scorer subclassing :class:`Recommender`:

- ``fit(data)`` learns from an :class:`Interactions`;
- ``score(history, items=None)`` scores items for a person given their CURRENT
  ratings (fold-in: a rating made a second ago counts now, with no retraining).
  Higher is better; NaN means "this model cannot score that item";
- ``predict(history, items)`` estimates ratings (explicit models only); always finite;
- ``save(dir)`` / ``load(dir)`` use plain files: ``meta.json`` (name + config)
  and ``arrays.npz`` or a torch ``state_dict``. Never a pickle of live objects.
"""

from __future__ import annotations

import contextvars
import dataclasses
import json
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sized
from pathlib import Path
from typing import Any, ClassVar, Self, TypeVar

import numpy as np

from recommender.algorithms.interactions import History, Interactions

META_FILE = "meta.json"
#: Format 2: one ``.npy`` per array in ARRAYS_DIR, so a loaded model maps its arrays instead of copying
#: them. Format 1's single ``arrays.npz`` still loads (into memory).
ARRAYS_DIR = "arrays"
ARRAYS_FILE = "arrays.npz"
FORMAT_VERSION = 2
READABLE_FORMATS = (1, 2)

T = TypeVar("T")

_show_progress: contextvars.ContextVar[bool] = contextvars.ContextVar("show_progress", default=False)


def set_progress(enabled: bool) -> contextvars.Token[bool]:
    """Turn progress bars on for long loops (epochs, batches) in the current context."""
    return _show_progress.set(enabled)


#: When stderr is not a terminal (a log file, CI), progress is one line at most this often, not a redrawn bar.
PROGRESS_LINE_SECONDS = 10.0


def progress(iterable: Iterable[T], *, desc: str, total: int | None = None) -> Iterator[T]:
    """Show how far a long loop is when progress is on: a tqdm bar on a terminal, else a plain line every
    ``PROGRESS_LINE_SECONDS`` (a log would fill with carriage returns); a no-op when progress is off."""
    if not _show_progress.get():
        yield from iterable
        return
    if total is None and isinstance(iterable, Sized):
        total = len(iterable)
    if sys.stderr.isatty():
        from tqdm import tqdm

        yield from tqdm(iterable, desc=desc, total=total, leave=False, dynamic_ncols=True)
        return
    started = last = time.monotonic()
    done = 0
    for done, item in enumerate(iterable, start=1):
        yield item
        now = time.monotonic()
        if now - last >= PROGRESS_LINE_SECONDS:
            last = now
            of = f"/{total} ({done / total:.0%})" if total else ""
            print(f"{desc}: {done}{of}, {now - started:.0f} s", file=sys.stderr, flush=True)
    if last > started:  # it printed along the way: say that it finished
        print(f"{desc}: done, {done} in {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)


@dataclasses.dataclass
class Config:
    """Hyper-parameters common to all algorithms."""

    seed: int = 42

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Self:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"{cls.__name__} has no parameter(s) {', '.join(sorted(unknown))}")
        return cls(**values)


class NotFittedError(RuntimeError):
    """score/predict/save was called before fit/load."""


class Recommender(ABC):
    """Base class of every algorithm. Subclasses set ``name`` and ``config_class``."""

    name: ClassVar[str]
    config_class: ClassVar[type[Config]] = Config
    #: True when ``predict`` estimates ratings (and RMSE/MAE make sense).
    estimates_ratings: ClassVar[bool] = False
    #: What the last ``fit`` recorded per epoch, e.g. {"loss": [...]} (torch models); empty for the others.
    training_curve: dict[str, list[float]]
    #: Held-out ratings (sharing the training data's vocabularies) for a torch model to report its loss on after
    #: each epoch, as ``training_curve["validation_loss"]``; set by the caller before ``fit`` (the training holdout).
    validation: Interactions | None = None
    #: The identity a person's fold-in into this model is shared under (``recommender.algorithms.folding``);
    #: None (fitted here, not loaded from a versioned artifact): every fold is computed.
    fold_key: str | None = None

    def __init__(self, config: Config | None = None) -> None:
        self.config = config if config is not None else self.config_class()
        self.training_curve = {}
        self.item_ids: np.ndarray = np.empty(0, dtype=np.int64)
        #: The vocabulary sorted, and each sorted id's position (built on first use).
        self._item_index: tuple[np.ndarray, np.ndarray] | None = None

    # -- the contract ---------------------------------------------------------------------------------------------

    @abstractmethod
    def fit(self, data: Interactions) -> Self:
        """Learn from ``data``; afterwards ``item_ids`` is the item vocabulary scored."""

    def refit(self, data: Interactions, *, tuned: Self) -> Self:
        """Fit on ``data``, given ``tuned``: the same settings fitted on part of it (the training holdout's).

        A stacked model (the blend, the star predictor) learns its weights on ratings its components did not
        see, which costs a second fit of every component. Its refit keeps ``tuned``'s weights and fits its
        components once, so the weights served are the ones the holdout measured. Any other model fits."""
        return self.fit(data)

    @abstractmethod
    def score(self, history: History, items: np.ndarray | None = None) -> np.ndarray:
        """Scores for ``items`` (outside ids; default ``self.item_ids``), higher is better, NaN = cannot score."""

    def predict(self, history: History, items: np.ndarray) -> np.ndarray:
        """Estimated ratings for ``items``. Only explicit models implement it."""
        raise NotImplementedError(f"{self.name} ranks items; it does not estimate ratings")

    def save_state(self, directory: Path) -> None:
        """Write the learned parameters into ``directory`` (meta.json is written by ``save``)."""
        raise NotImplementedError

    def load_state(self, directory: Path) -> None:
        """Read back what ``save_state`` wrote."""
        raise NotImplementedError

    # -- shared behaviour -----------------------------------------------------------------------------------------

    @property
    def explicit(self) -> bool:
        """Whether this instance estimates ratings; a class serving both kinds answers from its config."""
        return self.estimates_ratings

    @property
    def is_fitted(self) -> bool:
        return len(self.item_ids) > 0

    def recommend(
        self, history: History, n: int = 10, *, exclude: Iterable[int] = (), items: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Top ``n`` (item id, score) pairs, leaving out what the person rated and ``exclude``."""
        candidates = self.item_ids if items is None else np.asarray(items, dtype=np.int64)
        scores = self.score(history, candidates).astype(np.float64, copy=True)
        banned = set(map(int, history.item_ids)) | set(map(int, exclude))
        if banned:
            scores[np.isin(candidates, np.fromiter(banned, dtype=np.int64, count=len(banned)))] = np.nan
        return top_n(candidates, scores, n)

    def save(self, directory: Path | str) -> None:
        self._require_fitted()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        meta = {"algorithm": self.name, "format": FORMAT_VERSION, "config": self.config.to_dict()}
        (directory / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True))
        self.save_state(directory)

    @classmethod
    def load(cls, directory: Path | str) -> Self:
        directory = Path(directory)
        meta = json.loads((directory / META_FILE).read_text())
        if meta.get("algorithm") != cls.name:
            raise ValueError(f"{directory} holds a {meta.get('algorithm')!r} model, not {cls.name!r}")
        if meta.get("format") not in READABLE_FORMATS:
            raise ValueError(f"{directory} has format {meta.get('format')}, this code reads {READABLE_FORMATS}")
        model = cls(cls.config_class.from_dict(meta["config"]))
        model.load_state(directory)
        return model

    # -- helpers for subclasses -----------------------------------------------------------------------------------

    def _set_items(self, item_ids: np.ndarray) -> None:
        self.item_ids = np.asarray(item_ids, dtype=np.int64)
        self._item_index = None

    def positions(self, items: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Map outside item ids to positions: (positions, known mask). Unknown ids get position 0, mask False."""
        self._require_fitted()
        if items is None:
            return np.arange(len(self.item_ids)), np.ones(len(self.item_ids), dtype=bool)
        items = np.asarray(items, dtype=np.int64)
        if len(items) == len(self.item_ids) and np.array_equal(items, self.item_ids):
            return np.arange(len(items)), np.ones(len(items), dtype=bool)
        if self._item_index is None:
            order = np.argsort(self.item_ids, kind="stable")
            self._item_index = (self.item_ids[order], order)
        # A binary search in C: a catalog of 60,000 ids maps in well under a millisecond, where a dict lookup
        # per id took tens (and a page asks every model several times).
        sorted_ids, order = self._item_index
        if len(sorted_ids) == 0:
            return np.zeros(len(items), dtype=np.int64), np.zeros(len(items), dtype=bool)
        at = np.minimum(np.searchsorted(sorted_ids, items), len(sorted_ids) - 1)
        known = sorted_ids[at] == items
        return np.where(known, order[at], 0), known

    def history_positions(self, history: History) -> tuple[np.ndarray, np.ndarray]:
        """The person's rated items that this model knows, as (positions, ratings)."""
        positions, known = self.positions(history.item_ids)
        return positions[known], np.asarray(history.ratings, dtype=np.float32)[known]

    def _require_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(f"{self.name} is not fitted; call fit() or load() first")


def whole_vocabulary(positions: np.ndarray, size: int) -> bool:
    """Whether ``positions`` are 0..size-1 in order: the whole vocabulary, which needs no gathering."""
    return len(positions) == size and bool(np.array_equal(positions, np.arange(size)))


def top_n(items: np.ndarray, scores: np.ndarray, n: int) -> list[tuple[int, float]]:
    """The ``n`` best (item, score) pairs by score, NaN never included; ties broken by item id."""
    valid = np.flatnonzero(~np.isnan(scores))
    if len(valid) == 0 or n <= 0:
        return []
    if len(valid) > n:
        valid = valid[np.argpartition(-scores[valid], n - 1)[:n]]
    order = np.lexsort((items[valid], -scores[valid]))
    chosen = valid[order]
    return [(int(items[i]), float(scores[i])) for i in chosen]


def save_arrays(directory: Path, **arrays: np.ndarray) -> None:
    """Each array as ``<directory>/arrays/<name>.npy``: plain files a later load can memory-map."""
    folder = directory / ARRAYS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        np.save(folder / f"{name}.npy", np.asarray(array), allow_pickle=False)


def load_arrays(directory: Path) -> dict[str, np.ndarray]:
    """The arrays ``save_arrays`` wrote, memory-mapped read-only.

    Every web worker on a host that loads the same artifact then shares one copy in the page cache (their
    proportional set size counts it once between them), and a load reads only the pages scoring touches.
    The arrays cannot be written to: a model that changes one after loading must copy it first.
    """
    folder = directory / ARRAYS_DIR
    if folder.is_dir():
        # Plain ndarray views of the maps: the same shared pages, without np.memmap's cost on every indexing.
        return {
            path.stem: np.load(path, mmap_mode="r", allow_pickle=False).view(np.ndarray)
            for path in sorted(folder.glob("*.npy"))
        }
    with np.load(directory / ARRAYS_FILE, allow_pickle=False) as data:  # format 1
        return {key: data[key] for key in data.files}
