"""An on-disk copy of every rating's columns, brought up to date with only what changed since the last export.

A retrain at 25M ratings would otherwise read all 25 million again. Each export instead:

1. loads the previous columns from ``MODEL_DIR/snapshot/`` (memory-mapped);
2. reads, through COPY, the ratings whose ``updated`` is at or after the previous export's time minus
   SAFETY, and replaces or adds them by rating id;
3. checks the result against MovieRatingStats, which database triggers keep exact in the same transaction
   as every write. A movie whose count or score sum differs lost a rating (a deletion leaves no row to
   read), or gained one that a transaction older than SAFETY committed late. That movie's ratings are
   read again in full. When such movies hold more than FULL_SHARE of all ratings, everything is read again;
4. writes the new columns back (to a temporary folder, then renamed).

All of it runs inside the caller's REPEATABLE READ transaction, so the ratings, the statistics and the
catalog describe one moment. It works on PostgreSQL, where COPY and the statement triggers are; other
databases export everything each time (``recommender.data``).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import connection

from movierec.lib.db import in_batches
from ratings.columns import NAMES, Columns, rating_columns
from ratings.models import MovieRatingStats, Rating

#: How far before the previous export a change is read again: a rating saved (``updated`` set) before the
#: previous export, but committed after it, is still caught if its transaction took less than this.
SAFETY = timedelta(minutes=10)
#: Above this share of all ratings to read again, a full export is cheaper than a repair.
FULL_SHARE = 0.3


def snapshot_dir() -> Path:
    return Path(settings.MODEL_DIR) / "snapshot"


class SavedColumns(Columns):
    """Columns that can be written to a folder and read back memory-mapped."""

    def save(self, folder: Path, *, taken_at: datetime) -> None:
        temporary = folder.parent / f".tmp-snapshot-{uuid.uuid4().hex[:8]}"
        temporary.mkdir(parents=True)
        try:
            for name in NAMES:
                np.save(temporary / f"{name}.npy", getattr(self, name), allow_pickle=False)
            (temporary / "meta.json").write_text(json.dumps({"taken_at": taken_at.isoformat(), "ratings": len(self)}))
            previous = folder.parent / f".old-snapshot-{uuid.uuid4().hex[:8]}"
            if folder.exists():
                os.rename(folder, previous)
            os.rename(temporary, folder)
            shutil.rmtree(previous, ignore_errors=True)
        finally:
            shutil.rmtree(temporary, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> tuple[SavedColumns, datetime] | None:
        """The saved columns and when they were taken; None when there are none (or they cannot be read)."""
        try:
            meta = json.loads((folder / "meta.json").read_text())
            arrays = [np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in NAMES]
        except (OSError, ValueError):
            return None
        columns = cls(*arrays)
        if len(columns) != meta.get("ratings") or len({len(array) for array in arrays}) != 1:
            return None
        return columns, datetime.fromisoformat(meta["taken_at"])


@dataclass(frozen=True)
class Refresh:
    columns: Columns
    #: How the columns were made, for the training log: "full export" or what the update read.
    how: str


def ratings_refresh(*, folder: Path | None = None) -> Refresh:
    """The current ratings, from the saved columns plus what changed (see the module docstring)."""
    folder = folder or snapshot_dir()
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        taken_at = cursor.fetchone()[0]
    saved = SavedColumns.load(folder)
    if saved is None:
        columns, how = rating_columns(), "full export (no saved snapshot)"
    else:
        previous, since = saved
        changed = rating_columns(Rating.objects.filter(updated__gte=since - SAFETY))
        columns = previous.where(~np.isin(previous.ids, changed.ids)).plus(changed)
        columns, how = _repaired(columns, changed=len(changed))
    SavedColumns(*(getattr(columns, name) for name in NAMES)).save(folder, taken_at=taken_at)
    return Refresh(columns, how)


def _repaired(columns: Columns, *, changed: int) -> tuple[Columns, str]:
    stats = np.array(MovieRatingStats.objects.filter(count__gt=0).values_list("movie_id", "count", "score_sum"))
    stats = stats.reshape(-1, 3)
    size = int(max(stats[:, 0].max(initial=0), columns.movies.max(initial=0))) + 1
    expected_count = np.zeros(size)
    expected_sum = np.zeros(size)
    expected_count[stats[:, 0].astype(np.int64)] = stats[:, 1]
    expected_sum[stats[:, 0].astype(np.int64)] = stats[:, 2]
    counts = np.bincount(columns.movies, minlength=size)
    sums = np.bincount(columns.movies, weights=columns.scores.astype(np.float64), minlength=size)
    # Half stars are exact in binary floating point, so equal ratings give equal sums, bit for bit.
    wrong = np.flatnonzero((counts != expected_count) | (sums != expected_sum))
    if len(wrong) == 0:
        return columns, f"updated: {changed:,} changed ratings read"
    if expected_count[wrong].sum() > FULL_SHARE * max(expected_count.sum(), 1):
        return rating_columns(), f"full export ({len(wrong):,} movies out of step: too many to repair)"
    parts = [rating_columns(Rating.objects.filter(movie_id__in=batch)) for batch in in_batches(wrong.tolist())]
    again = functools.reduce(Columns.plus, parts)
    columns = columns.where(~np.isin(columns.movies, wrong)).plus(again)
    return columns, f"updated: {changed:,} changed ratings read, {len(wrong):,} movies read again ({len(again):,})"
