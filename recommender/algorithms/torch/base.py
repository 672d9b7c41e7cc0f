"""What the neural recommenders share: config fields, the device, a seeded fit, fold-in scoring and save/load."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import numpy as np
import torch
from torch import Tensor, nn

from recommender.algorithms.base import Config, Recommender, load_arrays, save_arrays
from recommender.algorithms.baseline import clip_ratings, require_choice, require_non_negative, require_positive
from recommender.algorithms.folding import folded
from recommender.algorithms.interactions import History, Interactions, rating_digests
from recommender.algorithms.torch.device import (
    DEVICES,
    choose_device,
    cpu_threads,
    load_module,
    reproducible,
    save_module,
)
from recommender.algorithms.torch.modules import UserItemNet
from recommender.algorithms.torch.training import Examples, fold_in, train


@dataclass
class TorchConfig(Config):
    epochs: int = 20
    learning_rate: float = 0.001
    batch_size: int = 256
    #: "cpu", "cuda" or "auto" (CUDA when there is one). CUDA asked for but missing falls back to the CPU.
    device: str = "cpu"
    #: CPU threads torch may use in fit and score; 0 for torch's default (all cores). See device.cpu_threads.
    threads: int = 1
    #: Seconds of training at most (0: no limit). Past it, training stops after the mini-batch in progress,
    #: however many epochs are left; ``training_curve["stopped_after_seconds"]`` then says so. A site sets it
    #: for every neural model with TRAINING_TIME_BUDGET_SECONDS, so that a retrain at 25M ratings ends on time.
    time_budget: float = 0.0

    def __post_init__(self) -> None:
        require_positive(self, "epochs", "learning_rate", "batch_size")
        require_choice(self, "device", DEVICES)
        require_non_negative(self, "threads", "time_budget")


@dataclass
class FoldInConfig(TorchConfig):
    factors: int = 32
    dropout: float = 0.0
    #: L2 on the embedding rows each rating touches, in training and (towards the average person) in fold-in.
    reg: float = 0.0
    #: Decoupled weight decay on the dense layers (AdamW).
    weight_decay: float = 0.0
    #: Full-batch Adam steps that fit a person's user rows to their current ratings at scoring time.
    fold_in_steps: int = 30
    fold_in_learning_rate: float = 0.01

    def __post_init__(self) -> None:
        super().__post_init__()
        require_positive(self, "factors", "fold_in_learning_rate")
        require_non_negative(self, "dropout", "reg", "weight_decay", "fold_in_steps")


class TorchRecommender(Recommender):
    """A recommender around one ``nn.Module``: seeded fit on the configured device, state.pt + arrays.npz on disk."""

    config: TorchConfig
    net: nn.Module

    def __init__(self, config: Config | None = None) -> None:
        super().__init__(config)
        self.device = choose_device(self.config.device)
        self.user_ids: np.ndarray = np.empty(0, dtype=np.int64)
        self._user_index: dict[int, int] | None = None

    @abstractmethod
    def build(self, n_users: int, n_items: int) -> nn.Module:
        """A freshly initialized module for this many users and items."""

    @abstractmethod
    def train_net(self, data: Interactions, generator: torch.Generator) -> None:
        """Train ``self.net`` on ``data``, drawing every random choice from ``generator``."""

    def fit(self, data: Interactions) -> Self:
        if len(data) == 0:
            raise ValueError(f"{self.name} needs at least one rating to learn from")
        self._set_vocabularies(data.user_ids, data.item_ids)
        with cpu_threads(self.config.threads), reproducible(self.config.seed, self.device) as generator:
            self.net = self.build(data.n_users, data.n_items).to(self.device)
            self.train_net(data, generator)
        self.net.eval()
        return self

    def training_user(self, history: History) -> int | None:
        """The position of the person's learned rows, when they were in the training data."""
        if history.user_id is None:
            return None
        if self._user_index is None:
            self._user_index = {int(user): position for position, user in enumerate(self.user_ids)}
        return self._user_index.get(int(history.user_id))

    def save_state(self, directory: Path) -> None:
        save_module(self.net, directory)
        save_arrays(directory, item_ids=self.item_ids, user_ids=self.user_ids)

    def load_state(self, directory: Path) -> None:
        arrays = load_arrays(directory)
        self._set_vocabularies(arrays["user_ids"], arrays["item_ids"])
        # Seeded like fit, so that building the module (its random start is overwritten) leaves global RNG alone.
        with reproducible(self.config.seed, self.device):
            self.net = self.build(len(self.user_ids), len(self.item_ids))
        load_module(self.net, directory, self.device)

    def _set_vocabularies(self, user_ids: np.ndarray, item_ids: np.ndarray) -> None:
        self.user_ids = np.asarray(user_ids, dtype=np.int64)
        self._user_index = None
        self._set_items(item_ids)


class FoldInRecommender(TorchRecommender):
    """A :class:`UserItemNet` scorer: trained on (user, item, target) examples, a person folded in at scoring time.

    Subclasses say what a rating's target is, the objective, and how the net's
    output becomes a score; training and fold-in share all three.
    """

    config: FoldInConfig
    net: UserItemNet
    #: rating_digests of the training data per user position: who has rated nothing since (None: not known).
    trained_digests: np.ndarray | None = None

    @abstractmethod
    def targets(self, ratings: Tensor) -> Tensor:
        """The training target of each rating (float32 ratings in, one target per rating out)."""

    @abstractmethod
    def losses(self, output: Tensor, targets: Tensor) -> Tensor:
        """The loss of each of the net's outputs against its target (training minimizes their mean)."""

    def estimate(self, output: Tensor) -> Tensor:
        """The score of each output row (the output itself, unless a subclass reduces it)."""
        return output

    def examples(self, users: Tensor, items: Tensor, targets: Tensor, generator: torch.Generator) -> Examples:
        """The (users, items, targets) one pass learns from; implicit objectives add sampled negatives here."""
        return users, items, targets

    def fold_in_examples(self, items: Tensor, targets: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """The (items, targets, weights) a person's rows are fitted to: by default their ratings, weighted alike.

        Unlike :meth:`examples` this must not draw at random: fold-in takes
        full-batch steps, so an objective that samples in training gives its
        expectation here.
        """
        return items, targets, torch.ones(len(items))

    def train_net(self, data: Interactions, generator: torch.Generator) -> None:
        cfg = self.config
        users = torch.from_numpy(data.users.astype(np.int64))
        items = torch.from_numpy(data.items.astype(np.int64))
        targets = self.targets(torch.from_numpy(data.ratings))

        def loss(users: Tensor, items: Tensor, targets: Tensor) -> Tensor:
            return self.losses(self.net(users, items), targets).mean() + cfg.reg * self.net.penalty(users, items)

        validate, validation, stopped = self._validation_loss(), [], {}
        self.training_curve = {
            "loss": train(
                self.net,
                lambda: self.examples(users, items, targets, generator),
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
        trained_users = np.bincount(data.users, minlength=data.n_users) > 0
        trained_items = np.bincount(data.items, minlength=data.n_items) > 0
        self.net.settle(torch.from_numpy(trained_users), torch.from_numpy(trained_items))
        self.trained_digests = rating_digests(data.users, data.items, data.ratings, data.n_users)

    def save_state(self, directory: Path) -> None:
        super().save_state(directory)
        save_arrays(directory, trained_digests=self.trained_digests)

    def load_state(self, directory: Path) -> None:
        super().load_state(directory)
        # None in an artifact saved before the digests: everyone is then folded in, as before.
        self.trained_digests = load_arrays(directory).get("trained_digests")

    def _validation_loss(self) -> Callable[[], float] | None:
        """The training objective, without L2, on ``self.validation``'s ratings (implicit objectives: with one
        fixed draw of negatives), or None when there is none."""
        held_out = self.validation
        if held_out is None or len(held_out) == 0:
            return None
        users = torch.from_numpy(held_out.users.astype(np.int64))
        items = torch.from_numpy(held_out.items.astype(np.int64))
        fixed = torch.Generator().manual_seed(self.config.seed)
        examples = [
            t.to(self.device)
            for t in self.examples(users, items, self.targets(torch.from_numpy(held_out.ratings)), fixed)
        ]
        return lambda: self.losses(self.net(examples[0], examples[1]), examples[2]).mean().item()

    def score(self, history: History, items: np.ndarray | None = None) -> np.ndarray:
        positions, known = self.positions(items)
        return np.where(known, self._estimates(history, positions), np.nan)

    def predict(self, history: History, items: np.ndarray) -> np.ndarray:
        if not self.explicit:
            return super().predict(history, items)
        positions, known = self.positions(items)
        # An id the model never saw is estimated as the average movie, for this person.
        return clip_ratings(self._estimates(history, np.where(known, positions, self.net.average_item)))

    def _estimates(self, history: History, positions: np.ndarray) -> np.ndarray:
        """Fold the person in, then estimate each item position (``net.average_item`` allowed)."""
        rows = [torch.from_numpy(row).to(self.device) for row in folded(self, history, lambda: self._fold(history))]
        with cpu_threads(self.config.threads), torch.inference_mode():
            items = torch.from_numpy(np.asarray(positions, dtype=np.int64)).to(self.device)
            output = self.net.combine([row.expand(len(items), -1) for row in rows], self.net.item_rows(items))
            return self.estimate(output).cpu().numpy().astype(np.float64)

    def _fold(self, history: History) -> tuple[np.ndarray, ...]:
        """The person's user rows (one (1, width) array per user table), fitted to their history."""
        cfg = self.config
        rated, ratings = self.history_positions(history)
        user = self.training_user(history)
        if user is not None and self._unchanged_since_training(user, rated, ratings):
            # Their rows were learned from exactly these ratings, with everyone else's: nothing to fold in.
            with torch.no_grad():
                rows = self.net.user_rows(torch.tensor([user], device=self.device))
            return tuple(row.detach().cpu().numpy() for row in rows)
        items, targets, weights = self.fold_in_examples(
            torch.from_numpy(rated.astype(np.int64)), self.targets(torch.from_numpy(ratings))
        )
        with cpu_threads(cfg.threads):
            rows = fold_in(
                self.net,
                user,
                items,
                targets,
                weights,
                self.losses,
                steps=cfg.fold_in_steps,
                learning_rate=cfg.fold_in_learning_rate,
                reg=cfg.reg,
            )
        return tuple(row.detach().cpu().numpy() for row in rows)

    def _unchanged_since_training(self, user: int, rated: np.ndarray, ratings: np.ndarray) -> bool:
        """Whether the person's ratings (of movies this model knows) are the ones it was trained on."""
        if self.trained_digests is None:
            return False
        digest = rating_digests(np.zeros(len(rated), dtype=np.int64), rated, ratings, 1)[0]
        return bool(digest == self.trained_digests[user])
