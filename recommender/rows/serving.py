"""Which active model plays which part on a page, and how a model's scores are laid onto the catalog."""

from __future__ import annotations

import threading
import weakref
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from recommender.algorithms.base import Recommender
from recommender.algorithms.blend import percentile_rows
from recommender.families import FAMILIES, Role

if TYPE_CHECKING:
    from recommender.rows.inputs import CatalogSnapshot

#: The similarity sources a row or a reason may ask for (the genres shared answer when neither can).
COLLABORATIVE, CONTENT, GENRES = "collaborative", "content", "genres"


class ServingModels:
    """The active models of every family, by the serving role ``recommender.families`` gives each."""

    def __init__(self, families: dict[str, dict[str, Recommender]]) -> None:
        self.families = families

    @cached_property
    def key(self) -> tuple[int, ...]:
        """Identity of the loaded models: a new version is a new object (the Taste keeps these alive)."""
        return tuple(id(model) for family in sorted(self.families) for model in self.families[family].values())

    @cached_property
    def names(self) -> tuple[str, ...] | None:
        """The same identity as every process names it: each model's artifact checksum and member name
        (``recommender.algorithms.folding.name_folds``); None when a model was fitted here and has none."""
        models = (model for family in sorted(self.families) for model in self.families[family].values())
        names = tuple(getattr(model, "fold_key", None) for model in models)
        return None if None in names else names

    @cached_property
    def by_role(self) -> dict[Role, Recommender]:
        """The first loaded member (in family order) that plays each role."""
        found: dict[Role, Recommender] = {}
        for family, models in self.families.items():
            roles = FAMILIES[family].roles if family in FAMILIES else {}
            for name, model in models.items():
                if name in roles:
                    found.setdefault(roles[name], model)
        return found

    @property
    def blend(self) -> Recommender | None:
        """The served ranking of Top picks (``recommender.algorithms.blend``)."""
        return self.by_role.get(Role.TOP_PICKS)

    @property
    def popularity(self) -> Recommender | None:
        return self.by_role.get(Role.POPULARITY)

    @property
    def predictor(self) -> Recommender | None:
        """The explicit model whose estimates become the cards' predicted stars."""
        model = self.by_role.get(Role.STARS)
        return model if model is not None and model.explicit else None

    @property
    def collaborative_similarity(self) -> Recommender | None:
        model = self.by_role.get(Role.SIMILAR)
        return model if hasattr(model, "similar_items") else None

    @property
    def content(self) -> Recommender | None:
        return self.by_role.get(Role.CONTENT)

    @property
    def content_similarity(self) -> Recommender | None:
        return self.content if hasattr(self.content, "similar_items") else None

    @property
    def ncf(self) -> Recommender | None:
        return self.by_role.get(Role.FANS)

    @property
    def sequence(self) -> Recommender | None:
        return self.by_role.get(Role.UP_NEXT)

    @property
    def item_factors(self) -> Recommender | None:
        """The collaborative model whose item factors place movies for the taste groups: the served blend's
        implicit ALS component, when it has one."""
        blend = self.blend
        for component in getattr(blend, "components", None) or ():
            if component.name == "implicit_als":
                return component
        return None


# model -> (catalog, positions of model.item_ids in it, known); weak so a retired model version is not kept alive.
_alignments: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_alignments_lock = threading.Lock()


def _alignment(model: Recommender, catalog: CatalogSnapshot) -> tuple[np.ndarray, np.ndarray]:
    with _alignments_lock:
        cached = _alignments.get(model)
        if cached is None or cached[0] is not catalog:
            cached = (catalog, *catalog.positions(model.item_ids))
            _alignments[model] = cached
    return cached[1], cached[2]


def scatter(model: Recommender, catalog: CatalogSnapshot, values: np.ndarray) -> np.ndarray:
    """``values`` given per ``model.item_ids`` as a vector over the catalog (NaN where the model has no value)."""
    positions, known = _alignment(model, catalog)
    out = np.full(len(catalog), np.nan)
    out[positions[known]] = np.asarray(values, dtype=np.float64)[known]
    return out


def percentiles(scores: np.ndarray) -> np.ndarray:
    """Each finite score's rank among the finite ones, scaled to 0..1 (ties share a rank); NaN stays NaN.

    Ranks put models with different score scales (counts, cosines, logits) on one scale.
    """
    return percentile_rows(scores)[0]
