"""Long ``IN`` lists, in batches.

Django binds each value of ``field__in=[...]`` as a parameter of its own. With server-side binding (on
PostgreSQL the settings prepare the statements every request runs), a query carries at most 65,535
parameters, the protocol's limit, and an import of MovieLens 25M's 162,541 people passed it. A caller
whose list grows with the data asks in batches.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

#: Values per ``IN`` list: far below the protocol's limit of 65,535 parameters.
IN_BATCH = 10_000


def in_batches(values: Sequence[T], size: int | None = None) -> Iterator[Sequence[T]]:
    """``values`` in consecutive slices of at most ``size`` (default IN_BATCH); nothing for no values."""
    size = size or IN_BATCH
    for start in range(0, len(values), size):
        yield values[start : start + size]
