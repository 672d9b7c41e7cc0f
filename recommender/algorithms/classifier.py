"""Rating classifier: a person's rating of a movie as one of ten half-star classes, 0.5 to 5.0.

User and movie embeddings go through dense ReLU layers to a softmax over the
classes, trained with cross-entropy. The estimate is the expected rating
under that distribution, so it ranks too, and hedges between "love it" and
"hate it" on a divisive movie where a regression would sit in the middle anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from recommender.algorithms.baseline import RATING_MAX, RATING_MIN
from recommender.algorithms.torch.base import FoldInConfig, FoldInRecommender
from recommender.algorithms.torch.modules import RatingNet

#: The class values: 0.5, 1.0, ..., 5.0.
HALF_STARS = torch.arange(1, 11, dtype=torch.float32) / 2


@dataclass
class RatingClassifierConfig(FoldInConfig):
    # The folds' inner validation (a seeded 10% of each uK.base; `make tune TUNE_ARGS="--algorithm classifier
    # --protocol folds --set factors=16|32 --set epochs=9|18"`): RMSE 0.9283 here, 0.9285 at 16 factors, 0.9325
    # and 0.9349 at 9 epochs.
    factors: int = 32
    #: Widths of the dense layers after the user and movie embeddings (side by side).
    layers: tuple[int, ...] = (64, 32)
    epochs: int = 18
    learning_rate: float = 0.006
    batch_size: int = 1024
    reg: float = 0.02
    weight_decay: float = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()
        self.layers = tuple(self.layers)  # JSON gives lists back
        if any(width <= 0 for width in self.layers):
            raise ValueError(f"RatingClassifierConfig.layers must be positive widths, got {self.layers!r}")


class RatingClassifier(FoldInRecommender):
    """Scores are expected ratings, so ``predict`` and ranking agree."""

    name = "classifier"
    config_class = RatingClassifierConfig
    estimates_ratings = True

    config: RatingClassifierConfig

    def build(self, n_users: int, n_items: int) -> RatingNet:
        cfg = self.config
        return RatingNet(
            n_users, n_items, factors=cfg.factors, layers=cfg.layers, dropout=cfg.dropout, classes=len(HALF_STARS)
        )

    def targets(self, ratings: Tensor) -> Tensor:
        half_stars = torch.round(ratings.clamp(RATING_MIN, RATING_MAX) * 2).long()
        return half_stars - 1

    def losses(self, output: Tensor, targets: Tensor) -> Tensor:
        return F.cross_entropy(output, targets, reduction="none")

    def estimate(self, output: Tensor) -> Tensor:
        return torch.softmax(output, dim=-1) @ HALF_STARS.to(output.device)
