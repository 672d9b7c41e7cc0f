"""Ratings in bulk as numpy columns: what the recommender's export and the importer's comparison read.

On PostgreSQL the rows stream through ``COPY ... TO STDOUT`` into pandas' C parser, a bounded chunk at a
time: no Python object per rating, so 25 million ratings cost their arrays and one chunk. Other databases
read ``values_list`` rows in batches.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import QuerySet

from ratings.models import Rating

#: The columns, as numpy dtypes (the time as seconds since the epoch).
DTYPES = {"id": np.int64, "user_id": np.int64, "movie_id": np.int64, "score": np.float32, "epoch": np.float64}
#: COPY's text is parsed this many bytes at a time.
COPY_CHUNK_BYTES = 32 << 20
#: Elsewhere rows are read and packed into arrays this many at a time.
BATCH_ROWS = 100_000
NAMES = ("ids", "users", "movies", "scores", "stamps")


@dataclass(frozen=True)
class Columns:
    """One row per rating: its id, person, movie, score and time (seconds since the epoch)."""

    ids: np.ndarray
    users: np.ndarray
    movies: np.ndarray
    scores: np.ndarray
    stamps: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    def where(self, mask: np.ndarray) -> Columns:
        return Columns(*(getattr(self, name)[mask] for name in NAMES))

    def plus(self, other: Columns) -> Columns:
        return Columns(*(np.concatenate([getattr(self, name), getattr(other, name)]) for name in NAMES))


def rating_columns(ratings: QuerySet[Rating] | None = None) -> Columns:
    """The ratings of ``ratings`` (default: all of them), in no particular order."""
    ratings = (Rating.objects.all() if ratings is None else ratings).order_by()
    rows = ratings.values_list("id", "user_id", "movie_id", "score", "created")
    if connection.vendor == "postgresql":
        return _through_copy(rows)
    batches = []
    batch: list[tuple] = []
    for row in rows.iterator(chunk_size=BATCH_ROWS):
        batch.append((row[0], row[1], row[2], row[3], row[4].timestamp()))
        if len(batch) == BATCH_ROWS:
            batches.append(np.array(batch, dtype=np.float64))
            batch = []
    batches.append(np.array(batch, dtype=np.float64).reshape(-1, len(DTYPES)))
    table = np.concatenate(batches)
    return Columns(*(table[:, i].astype(dtype) for i, dtype in enumerate(DTYPES.values())))


def _through_copy(rows: QuerySet) -> Columns:
    inner, params = rows.query.sql_with_params()
    select = f"SELECT id, user_id, movie_id, score, extract(epoch FROM created) FROM ({inner}) AS picked"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({inner}) AS counted", params)
        filling = _Filling(cursor.fetchone()[0])
    # COPY takes no bind parameters through Django's cursor: quote them client-side, as psycopg does.
    query = f"COPY ({connection.ops.compose_sql(select, params) if params else select}) TO STDOUT"
    pending: list[bytes] = []
    size = 0

    def parse(text: bytes) -> None:
        filling.add(pd.read_csv(io.BytesIO(text), sep="\t", header=None, names=list(DTYPES), dtype=DTYPES))

    with connection.cursor() as cursor, cursor.copy(query) as copy:
        for block in copy:
            pending.append(bytes(block))
            size += len(block)
            if size >= COPY_CHUNK_BYTES:
                text = b"".join(pending)
                cut = text.rindex(b"\n") + 1  # COPY's blocks end anywhere; parse whole lines, keep the rest
                parse(text[:cut])
                pending, size = [text[cut:]], len(text) - cut
    if rest := b"".join(pending):
        parse(rest)
    return filling.columns()


class _Filling:
    """The columns, filled chunk by chunk into arrays sized by a count taken first.

    Joining the chunks at the end would hold every rating twice at the peak (about 0.9 GB more at 25 million).
    Inside the export's consistent read the count is exact; elsewhere rows written since it grow the arrays.
    """

    def __init__(self, expected: int) -> None:
        self.arrays = [np.empty(expected, dtype=dtype) for dtype in DTYPES.values()]
        self.size = 0

    def add(self, frame: pd.DataFrame) -> None:
        end = self.size + len(frame)
        if end > len(self.arrays[0]):
            capacity = max(end, len(self.arrays[0]) * 5 // 4)
            grown = [np.empty(capacity, dtype=array.dtype) for array in self.arrays]
            for old, new in zip(self.arrays, grown, strict=True):
                new[: self.size] = old[: self.size]
            self.arrays = grown
        for array, name in zip(self.arrays, DTYPES, strict=True):
            array[self.size : end] = frame[name].to_numpy()
        self.size = end

    def columns(self) -> Columns:
        return Columns(*(array[: self.size] for array in self.arrays))
