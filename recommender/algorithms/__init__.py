"""Every algorithm by name. Imported lazily so that a process that serves
popularity and kNN never pays for importing torch."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from recommender.algorithms.base import Recommender

#: name -> ("module:Class", config overrides). One class may serve several names.
ALGORITHMS: dict[str, tuple[str, dict[str, Any]]] = {
    "popularity": ("recommender.algorithms.popularity:Popularity", {}),
    "baseline": ("recommender.algorithms.baseline:Baseline", {}),
    "item_knn": ("recommender.algorithms.knn:ItemKNN", {}),
    "user_knn": ("recommender.algorithms.knn:UserKNN", {}),
    "svd": ("recommender.algorithms.mf:BiasedMF", {}),
    "als": ("recommender.algorithms.mf:ALS", {}),
    "bpmf": ("recommender.algorithms.mf:BayesianMF", {}),
    "implicit_als": ("recommender.algorithms.implicit_als:ImplicitALS", {}),
    "content": ("recommender.algorithms.content:ContentBased", {}),
    "ncf": ("recommender.algorithms.ncf:NCF", {"objective": "explicit"}),
    "ncf_implicit": ("recommender.algorithms.ncf:NCF", {"objective": "implicit"}),
    "sequence": ("recommender.algorithms.sequence:SequenceGRU", {}),
    "transitions": ("recommender.algorithms.transitions:ItemTransitions", {}),
    "classifier": ("recommender.algorithms.classifier:RatingClassifier", {}),
    "autorec": ("recommender.algorithms.autorec:AutoRec", {}),
    "hybrid": ("recommender.algorithms.hybrid:Hybrid", {}),
    "blend": ("recommender.algorithms.blend:Blend", {}),
}


def algorithm_class(name: str) -> type[Recommender]:
    try:
        target, _ = ALGORITHMS[name]
    except KeyError:
        raise KeyError(f"unknown algorithm {name!r}; known: {', '.join(ALGORITHMS)}") from None
    module, _, attribute = target.partition(":")
    return getattr(import_module(module), attribute)


def build(name: str, **overrides: Any) -> Recommender:
    """A fresh, unfitted algorithm with its registered defaults and ``overrides`` applied."""
    cls = algorithm_class(name)
    _, defaults = ALGORITHMS[name]
    config = cls.config_class(**{**defaults, **overrides})
    return cls(config)
