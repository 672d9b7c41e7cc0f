"""Sequence model: a GRU over each person's time-ordered ratings that predicts the movies they rate next.

This is the "Up next for you" row: it follows where a person's taste is
heading rather than its average. Training is next-item prediction with a full
softmax over the catalog, which suits MovieLens sizes (1,682 movies for 100k,
~60k for 25M); at 60k the logits of a batch grow to batch x length x 60k
floats, so lower ``batch_size`` there, or swap in a sampled softmax.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from recommender.algorithms.baseline import require_non_negative, require_positive
from recommender.algorithms.folding import folded
from recommender.algorithms.interactions import History, Interactions
from recommender.algorithms.torch.base import TorchConfig, TorchRecommender
from recommender.algorithms.torch.device import cpu_threads
from recommender.algorithms.torch.modules import NextItemGRU
from recommender.algorithms.torch.training import train


@dataclass
class SequenceConfig(TorchConfig):
    # Validation NDCG@10 on ml-100k's temporal protocol (each person's second-to-last rating, seed 0; `make tune
    # TUNE_ARGS="--algorithm sequence --set max_length=20|50 --set epochs=15|30"`): 0.1016 here, 0.1031 at 30
    # epochs, 0.1028 at max_length 50, 0.1120 at both. All within two standard errors (about 0.016 for the
    # difference), so the default stays at half the fit time (~1 CPU-minute).
    factors: int = 64
    hidden: int = 128
    dropout: float = 0.2
    #: How many of a person's latest ratings the GRU reads (in training windows and at scoring time).
    max_length: int = 20
    #: Each state learns the next ``horizon`` movies; more spreads the top of the list over what comes soon.
    #: Validation NDCG@10 (temporal inner split, seed 0; `make tune TUNE_ARGS="--algorithm sequence
    #: --set horizon=1|3"`): 0.1016 at 1, 0.0980 at 3.
    horizon: int = 1
    epochs: int = 15
    learning_rate: float = 0.002
    batch_size: int = 64

    def __post_init__(self) -> None:
        super().__post_init__()
        require_positive(self, "factors", "hidden", "max_length", "horizon")
        require_non_negative(self, "dropout")


class SequenceGRU(TorchRecommender):
    """Scores are the GRU's logits for the next movie after the person's latest ``max_length`` ratings."""

    name = "sequence"
    config_class = SequenceConfig
    estimates_ratings = False

    config: SequenceConfig
    net: NextItemGRU

    def build(self, n_users: int, n_items: int) -> NextItemGRU:
        cfg = self.config
        return NextItemGRU(n_items, factors=cfg.factors, hidden=cfg.hidden, dropout=cfg.dropout)

    def train_net(self, data: Interactions, generator: torch.Generator) -> None:
        cfg = self.config
        pad = self.net.pad
        inputs, targets = training_windows(data, cfg.max_length, cfg.horizon, start=self.net.start, pad=pad)

        def loss(inputs: Tensor, targets: Tensor) -> Tensor:
            # Cross-entropy against each of the next ``horizon`` items, averaged over the real (unpadded) ones.
            steps = targets[:, :, 0] != pad
            log_p = F.log_softmax(self.net.logits(self.net.states(inputs)[steps]), dim=-1)
            upcoming = targets[steps]
            real = upcoming != pad
            return -log_p.gather(1, upcoming.masked_fill(~real, 0))[real].mean()

        validate, validation, stopped = self._validation_loss(data), [], {}
        self.training_curve = {
            "loss": train(
                self.net,
                lambda: (inputs, targets),
                loss,
                epochs=cfg.epochs,
                batch_size=cfg.batch_size,
                learning_rate=cfg.learning_rate,
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
        self.net.settle(torch.from_numpy(np.bincount(data.items, minlength=data.n_items) > 0))

    def _validation_loss(self, data: Interactions):
        """Cross-entropy of each held-out rating (``self.validation``) as the next movie after that person's
        latest ``max_length`` training ratings, or None when there is nothing held out."""
        held_out = self.validation
        if held_out is None or len(held_out) == 0:
            return None
        histories = data.histories()
        rows = []
        for user, item in zip(held_out.users.tolist(), held_out.items.tolist(), strict=True):
            recent = histories[user].item_ids[-self.config.max_length :] if user in histories else []
            positions, known = self.positions(np.asarray(recent, dtype=np.int64))
            sequence = [self.net.start, *positions[known].tolist()]  # as score() reads it, padded after the end
            rows.append((sequence + [self.net.pad] * (self.config.max_length + 1 - len(sequence)), len(sequence), item))
        inputs = torch.tensor([sequence for sequence, _, _ in rows], dtype=torch.int64, device=self.device)
        last = torch.tensor([length - 1 for _, length, _ in rows], dtype=torch.int64, device=self.device)
        wanted = torch.tensor([item for _, _, item in rows], dtype=torch.int64, device=self.device)

        def validate() -> float:
            states = self.net.states(inputs)[torch.arange(len(rows), device=self.device), last]
            return F.cross_entropy(self.net.logits(states), wanted).item()

        return validate

    def score(self, history: History, items: np.ndarray | None = None) -> np.ndarray:
        positions, known = self.positions(items)
        (state,) = folded(self, history, lambda: (self._state(history),))
        with cpu_threads(self.config.threads), torch.no_grad():
            logits = self.net.logits(torch.from_numpy(state).to(self.device)).cpu().numpy().astype(np.float64)
        return np.where(known, logits[positions], np.nan)

    def _state(self, history: History) -> np.ndarray:
        """The GRU's state after the person's latest ratings, in time order (what the next movie is read from).

        Movies this model never saw carry no signal and are skipped.
        """
        rated, _ = self.history_positions(history)
        sequence = np.concatenate([[self.net.start], rated[max(0, len(rated) - self.config.max_length) :]])
        with cpu_threads(self.config.threads), torch.no_grad():
            states = self.net.states(torch.from_numpy(sequence.astype(np.int64))[None].to(self.device))
            return states[0, -1].cpu().numpy()


def training_windows(
    data: Interactions, max_length: int, horizon: int, *, start: int, pad: int
) -> tuple[Tensor, Tensor]:
    """Every person's ratings as next-item windows: inputs ``(windows, max_length)`` and targets
    ``(windows, max_length, horizon)``, padded with ``pad``.

    1. Order each person's items by time; ties keep their order in ``data``,
       as :meth:`Interactions.histories` does, so training and scoring agree.
    2. Cut each sequence into pieces of at most ``max_length`` steps, counting
       from its end: the latest steps get the longest context, as the latest
       ratings do at scoring time.
    3. A piece's inputs are the start token and then each of its items but the
       last; the targets of step k are the sequence's items k, k+1, ...,
       k+horizon-1 (reaching past the piece where the sequence goes on).
    """
    order = np.lexsort((data.timestamps, data.users))
    users, items = data.users[order], data.items[order].astype(np.int64)
    bounds = np.searchsorted(users, np.arange(data.n_users + 1))
    inputs, targets = [], []
    for user in range(data.n_users):
        sequence = items[bounds[user] : bounds[user + 1]]
        # ahead[k, j] is the item j steps after item k, or pad past the end.
        padded = np.concatenate([sequence, np.full(horizon - 1, pad)])
        ahead = np.lib.stride_tricks.sliding_window_view(padded, horizon)
        for end in range(len(sequence), 0, -max_length):
            begin = max(0, end - max_length)
            missing = max_length - (end - begin)
            inputs.append(np.concatenate([[start], sequence[begin : end - 1], np.full(missing, pad)]))
            targets.append(np.concatenate([ahead[begin:end], np.full((missing, horizon), pad)]))
    return torch.from_numpy(np.array(inputs, dtype=np.int64)), torch.from_numpy(np.array(targets, dtype=np.int64))
