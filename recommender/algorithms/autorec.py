"""Item-based AutoRec (Sedhain et al. 2015): a torch autoencoder over each movie's vector of ratings.

Training: each movie's ratings by every training person (0 where unrated) go through one sigmoid hidden layer
of ``factors`` units and back out to one estimate per person; the loss is the squared error on the ratings that
exist, with weight decay on both layers.

What is kept: each movie's code (the hidden layer), its output bias, and the average person's decoder row. A
person, new or trained, is folded in exactly: with the codes fixed, their decoder row is the ridge regression of
their ratings on the codes of the movies they rated, pulled towards the average person's row by
``fold_in_reg`` (closed form, no torch at scoring time). With no ratings the average person answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Self

import numpy as np
import torch
from scipy import sparse
from torch import Tensor, nn

from recommender.algorithms.base import Config, Recommender, load_arrays, save_arrays
from recommender.algorithms.baseline import clip_ratings, require_non_negative, require_positive
from recommender.algorithms.folding import folded
from recommender.algorithms.interactions import History, Interactions
from recommender.algorithms.torch.base import TorchConfig
from recommender.algorithms.torch.device import choose_device, cpu_threads, reproducible
from recommender.algorithms.torch.training import train


@dataclass
class AutoRecConfig(TorchConfig):
    # Chosen on the folds' inner validation (a seeded 10% of each uK.base; uK.test untouched). `make tune
    # TUNE_ARGS="--algorithm autorec --protocol folds --set weight_decay=1|2|5 --set fold_in_reg=10|20|50"` (64
    # factors, 40 epochs): RMSE 0.9047 at 2 and 50, 0.9055 at 2 and 20, 0.9064 at 1 and 50, 0.9341 at 1 and 10,
    # 0.9415 at 5 and 50. Then `--set factors=32|64|128 --set epochs=40|80`: 0.9001 at 128 and 40, 0.9037 at 64 and
    # 80, 0.9042 at 128 and 80, 0.9286 at 32 and 80.
    factors: int = 128
    epochs: int = 40
    learning_rate: float = 0.003
    #: Movies per batch (each one a whole rating vector).
    batch_size: int = 64
    #: Decoupled weight decay (AdamW) on both layers: AutoRec's L2.
    weight_decay: float = 2.0
    #: Ridge strength of a person's fold-in, in ratings' worth of pull towards the average person's decoder row.
    fold_in_reg: float = 50.0

    def __post_init__(self) -> None:
        super().__post_init__()
        require_positive(self, "factors")
        require_non_negative(self, "weight_decay", "fold_in_reg")


class _AutoEncoder(nn.Module):
    def __init__(self, n_users: int, factors: int) -> None:
        super().__init__()
        self.encoder = nn.Linear(n_users, factors)
        self.decoder = nn.Linear(factors, n_users)

    def code(self, vectors: Tensor) -> Tensor:
        return torch.sigmoid(self.encoder(vectors))

    def forward(self, vectors: Tensor) -> Tensor:
        return self.decoder(self.code(vectors))


class AutoRec(Recommender):
    """I-AutoRec rating estimates; scores are the estimates (higher: the person would rate it higher)."""

    name = "autorec"
    config_class = AutoRecConfig
    estimates_ratings = True
    config: AutoRecConfig

    def __init__(self, config: Config | None = None) -> None:
        super().__init__(config)
        self.codes = np.empty((0, 0))  # items x factors, with a trailing column of ones for the person's bias
        self.prior = np.empty(0)  # the average person's decoder row and bias (factors + 1)

    def fit(self, data: Interactions) -> Self:
        if len(data) == 0:
            raise ValueError("autorec needs at least one rating to learn from")
        cfg = self.config
        self._set_items(data.item_ids)
        # Movies x people, the rating where there is one: a sparse matrix, each batch made dense on its own.
        matrix = sparse.csr_matrix(
            (data.ratings.astype(np.float32), (data.items, data.users)), shape=(data.n_items, data.n_users)
        )
        device = choose_device(cfg.device)
        with cpu_threads(cfg.threads), reproducible(cfg.seed, device) as generator:
            net = _AutoEncoder(data.n_users, cfg.factors).to(device)

            def dense(items: Tensor) -> Tensor:
                return torch.from_numpy(matrix[items.cpu().numpy()].toarray()).to(device)

            def loss(items: Tensor) -> Tensor:
                vectors = dense(items)
                observed = vectors > 0
                error = (net(vectors) - vectors)[observed]
                return (error**2).mean() if len(error) else error.sum()

            rated = torch.from_numpy(np.flatnonzero(np.diff(matrix.indptr) > 0).astype(np.int64))
            validate, validation, stopped = self._validation_loss(net, dense, device), [], {}
            self.training_curve = {
                "loss": train(
                    net,
                    lambda: (rated,),
                    loss,
                    epochs=cfg.epochs,
                    batch_size=cfg.batch_size,
                    learning_rate=cfg.learning_rate,
                    weight_decay=cfg.weight_decay,
                    generator=generator,
                    desc=self.name,
                    validate=validate,
                    validation=validation,
                    time_budget=cfg.time_budget,
                    stopped=stopped,
                )
            }
            if validation:
                self.training_curve["validation_loss"] = validation
            self.training_curve.update(stopped)
            with torch.no_grad():
                codes = [net.code(dense(torch.arange(s, min(s + 1024, data.n_items)))).cpu().numpy()
                         for s in range(0, data.n_items, 1024)]  # fmt: skip
                rows = torch.cat([net.decoder.weight, net.decoder.bias[:, None]], dim=1).cpu().numpy()
        codes = np.concatenate(codes).astype(np.float64)
        self.codes = np.hstack([codes, np.ones((len(codes), 1))])
        trained = np.bincount(data.users, minlength=data.n_users) > 0
        self.prior = rows[trained].astype(np.float64).mean(axis=0)
        return self

    def _validation_loss(self, net: _AutoEncoder, dense, device) -> object | None:
        """Squared error on ``self.validation``'s ratings, reconstructed from the training ratings alone."""
        held_out = self.validation
        if held_out is None or len(held_out) == 0:
            return None
        movies, row = np.unique(held_out.items, return_inverse=True)
        movies = torch.from_numpy(movies.astype(np.int64))
        row, column = torch.from_numpy(row.astype(np.int64)), torch.from_numpy(held_out.users.astype(np.int64))
        truth = torch.from_numpy(held_out.ratings.astype(np.float32)).to(device)
        return lambda: ((net(dense(movies))[row, column] - truth) ** 2).mean().item()

    def _person_row(self, history: History) -> np.ndarray:
        """The person's decoder row and bias: ridge regression of their ratings on the rated movies' codes."""
        (row,) = folded(self, history, lambda: (self._solve(history),))
        return row

    def _solve(self, history: History) -> np.ndarray:
        positions, ratings = self.history_positions(history)
        if len(positions) == 0:
            return self.prior
        codes = self.codes[positions]
        reg = self.config.fold_in_reg
        gram = codes.T @ codes + reg * np.eye(codes.shape[1])
        return np.linalg.solve(gram, codes.T @ ratings.astype(np.float64) + reg * self.prior)

    def predict(self, history: History, items: np.ndarray) -> np.ndarray:
        positions, known = self.positions(items)
        estimates = self.codes[positions] @ self._person_row(history)
        # A movie the model never saw is estimated as the average person's mean estimate, for this person.
        average = float(np.mean(self.codes @ self._person_row(history))) if not known.all() else 0.0
        return clip_ratings(np.where(known, estimates, average))

    def score(self, history: History, items: np.ndarray | None = None) -> np.ndarray:
        positions, known = self.positions(items)
        return np.where(known, self.codes[positions] @ self._person_row(history), np.nan)

    def save_state(self, directory: Path) -> None:
        save_arrays(directory, item_ids=self.item_ids, codes=self.codes, prior=self.prior)

    def load_state(self, directory: Path) -> None:
        arrays = load_arrays(directory)
        self._set_items(arrays["item_ids"])
        self.codes, self.prior = arrays["codes"], arrays["prior"]
