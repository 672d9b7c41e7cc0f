"""What the two blends (``blend`` for Top picks, ``hybrid`` for the stars) share: fitting, saving and
loading the registered algorithms they are made of.

Inside :func:`fits_shared`, a model asked for again with the same settings on the same data is the one
already fitted. A training run needs that: the blend's components, the star predictor's, and every family
the served rows are replayed with are fitted on the holdout's one training part, and several are the same
algorithm with the same settings (item kNN is in all three). At 25M ratings each such fit is minutes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from recommender.algorithms import ALGORITHMS, algorithm_class, build
from recommender.algorithms.base import Recommender, progress
from recommender.algorithms.interactions import Interactions

COMPONENTS_DIR = "components"
#: Classes that hold components of their own: one inside another would fit its components twice over.
BLENDS = ("Hybrid", "Blend")


def require_components(owner: str, names: Sequence[str], overrides: Mapping[str, Any]) -> None:
    """Refuse unknown or nested component names, and overrides for a component that is not there."""
    unknown = [name for name in names if name not in ALGORITHMS]
    if unknown or not names:
        raise ValueError(f"{owner}.components must be registered algorithm names; unknown: {unknown}")
    if any(ALGORITHMS[name][0].rsplit(":", 1)[-1] in BLENDS for name in names):
        raise ValueError(f"{owner}.components cannot hold a hybrid or a blend")
    stray = sorted(set(overrides) - set(names))
    if stray:
        raise ValueError(f"{owner}.overrides names no component: {stray}")


#: (algorithm, its settings, the data's identity) -> (the data, kept so that its identity is not reused; the model).
_SHARED: ContextVar[dict[tuple[str, str, int], tuple[Interactions, Recommender]] | None] = ContextVar(
    "shared_fits", default=None
)


@contextmanager
def fits_shared() -> Iterator[None]:
    """Within this block, :func:`fitted` fits each algorithm once per settings and data object. The models are
    shared, so nobody may change one after its fit; the block keeps them (and their data) alive until it ends."""
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def fitted(name: str, data: Interactions, **overrides: Any) -> Recommender:
    """``build(name, **overrides).fit(data)``, or inside :func:`fits_shared` the model that call already gave."""
    model = build(name, **overrides)
    shared = _SHARED.get()
    if shared is None:
        return model.fit(data)
    key = (name, repr(model.config), id(data))
    if key not in shared:
        shared[key] = (data, model.fit(data))
    return shared[key][1]


def components_fit(
    names: Sequence[str], overrides: Mapping[str, Mapping[str, Any]], data: Interactions, *, desc: str
) -> list[Recommender]:
    return [fitted(name, data, **overrides.get(name, {})) for name in progress(names, desc=desc)]


def components_save(directory: Path, names: Sequence[str], models: Sequence[Recommender]) -> None:
    for index, (name, model) in enumerate(zip(names, models, strict=True)):
        model.save(directory / COMPONENTS_DIR / f"{index}-{name}")


def components_load(directory: Path, names: Sequence[str]) -> list[Recommender]:
    return [
        algorithm_class(name).load(directory / COMPONENTS_DIR / f"{index}-{name}") for index, name in enumerate(names)
    ]


def require_same_settings(model: Recommender, tuned: Recommender) -> None:
    """A refit keeps weights learned over ``tuned``'s features: they mean nothing for other settings."""
    if type(tuned) is not type(model) or tuned.config != model.config:
        raise ValueError(f"{model.name}.refit needs a fit with the same settings, got {tuned.name} {tuned.config}")
