"""What the two blends (``blend`` for Top picks, ``hybrid`` for the stars) share: fitting, saving and
loading the registered algorithms they are made of."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


def components_fit(
    names: Sequence[str], overrides: Mapping[str, Mapping[str, Any]], data: Interactions, *, desc: str
) -> list[Recommender]:
    return [build(name, **overrides.get(name, {})).fit(data) for name in progress(names, desc=desc)]


def components_save(directory: Path, names: Sequence[str], models: Sequence[Recommender]) -> None:
    for index, (name, model) in enumerate(zip(names, models, strict=True)):
        model.save(directory / COMPONENTS_DIR / f"{index}-{name}")


def components_load(directory: Path, names: Sequence[str]) -> list[Recommender]:
    return [
        algorithm_class(name).load(directory / COMPONENTS_DIR / f"{index}-{name}") for index, name in enumerate(names)
    ]
