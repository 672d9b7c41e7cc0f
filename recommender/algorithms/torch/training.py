"""Training loops: mini-batch Adam for a whole model, and fold-in of one person's user rows."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

import torch
from torch import Tensor, nn

from recommender.algorithms.base import progress
from recommender.algorithms.torch.modules import UserItemNet

#: Tensors for one pass (an epoch, or a fold-in step): parallel, one entry per example.
Examples = Sequence[Tensor]


def train(
    module: nn.Module,
    epoch_examples: Callable[[], Examples],
    loss: Callable[..., Tensor],
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    weight_decay: float = 0.0,
    generator: torch.Generator,
    desc: str,
    validate: Callable[[], float] | None = None,
    validation: list[float] | None = None,
    time_budget: float = 0.0,
    stopped: dict[str, float] | None = None,
) -> list[float]:
    """Adam over mini-batches of ``epoch_examples()``, reshuffled every epoch; returns the mean loss of each epoch.

    With ``validate``, its figure (a loss on held-out data, computed in eval mode without gradients) is appended
    to ``validation`` after every epoch.

    ``epoch_examples`` (CPU tensors, moved to the module's device here) is
    called once per epoch so that sampled negatives are fresh each time;
    ``loss`` gets one batch of each of its tensors.

    ``weight_decay`` (decoupled, AdamW) applies to the dense layers only:
    embedding rows get their L2 in ``loss``, where the data is. Without it a
    dense layer after an embedding could grow while the rows shrink, and an
    L2 on the rows alone would regularize nothing.

    With a ``time_budget`` (seconds, 0 for none), training ends after the first mini-batch that finishes past
    it; the last epoch's loss is then the mean over the batches it ran, and ``stopped`` (when given) gets
    ``stopped_after_seconds`` and ``epochs_run`` (a fraction: 2.5 is two epochs and half the third).
    """
    device = next(module.parameters()).device
    module.train()
    history = []
    deadline = time.monotonic() + time_budget if time_budget > 0 else math.inf
    for epoch in range(epochs):
        # A fresh optimizer each epoch (a warm restart). Measured on ml-100k u1 (NCF, two seeds): RMSE 0.918-0.919
        # against 0.927-0.940 with one optimizer throughout, where stale Adam momentum likely keeps moving the rows
        # of rarely rated movies long after their ratings went by.
        optimizer = torch.optim.AdamW(parameter_groups(module, weight_decay), lr=learning_rate)
        examples = [tensor.to(device) for tensor in epoch_examples()]
        count = len(examples[0])
        # Shuffle on the CPU with the seeded generator: the same order on every device.
        order = torch.randperm(count, generator=generator).to(device)
        starts = range(0, count, batch_size)
        total, seen = 0.0, 0
        for start in progress(starts, desc=f"{desc} epoch {epoch + 1}/{epochs}", total=len(starts)):
            batch = order[start : start + batch_size]
            value = loss(*(tensor[batch] for tensor in examples))
            optimizer.zero_grad()
            value.backward()
            optimizer.step()
            total += value.item() * len(batch)
            seen += len(batch)
            if time.monotonic() > deadline:
                break
        history.append(total / max(seen, 1))
        if validate is not None and validation is not None:
            module.eval()
            with torch.no_grad():
                validation.append(float(validate()))
            module.train()
        if time.monotonic() > deadline:
            if stopped is not None:
                stopped.update(stopped_after_seconds=time_budget, epochs_run=round(epoch + seen / max(count, 1), 3))
            break
    module.eval()
    return history


def parameter_groups(module: nn.Module, weight_decay: float) -> list[dict]:
    """Embedding tables without weight decay, every other parameter with it."""
    tables = {id(m.weight) for m in module.modules() if isinstance(m, nn.Embedding)}
    embeddings = [p for p in module.parameters() if id(p) in tables]
    dense = [p for p in module.parameters() if id(p) not in tables]
    return [{"params": embeddings, "weight_decay": 0.0}, {"params": dense, "weight_decay": weight_decay}]


def fold_in(
    net: UserItemNet,
    user: int | None,
    items: Tensor,
    targets: Tensor,
    weights: Tensor,
    losses: Callable[[Tensor, Tensor], Tensor],
    *,
    steps: int,
    learning_rate: float,
    reg: float,
) -> list[Tensor]:
    """Fit one person's user rows to their examples with the rest of ``net`` frozen; returns rows of shape (1, width).

    1. The prior is the average person's rows; start there, or from the
       person's learned rows when ``user`` is their training position.
    2. Take ``steps`` full-batch Adam steps on the ``weights``-weighted mean of
       ``losses`` over (``items``, ``targets``; CPU tensors) plus ``reg`` times
       the squared distance from the prior, the same balance between data and
       L2 that training struck per rating.
    3. With no examples at all the prior is the answer.

    Only the fresh rows get gradients (``autograd.grad``), so the shared net is
    never written to and concurrent scorers do not disturb each other. The
    item side is looked up once, and Adam is written out on one flat vector:
    at a few hundred examples per step torch's per-op overhead, not arithmetic,
    is the cost, and ``torch.optim.Adam`` alone was a third of it.
    """
    device = net.user_tables[0].weight.device
    with torch.no_grad():
        prior = net.user_rows(torch.tensor([net.average_user], device=device))
        if len(items) == 0:
            return prior
        start = prior if user is None else net.user_rows(torch.tensor([user], device=device))
        if steps == 0:
            return start
        items, targets, weights = items.to(device), targets.to(device), weights.to(device)
        item_rows = net.item_rows(items)
        weights = weights / weights.sum()
    widths = [row.shape[-1] for row in start]
    flat_prior = torch.cat(prior, dim=-1)
    flat = torch.cat(start, dim=-1).requires_grad_()
    first, second = torch.zeros_like(flat), torch.zeros_like(flat)
    beta1, beta2, eps = 0.9, 0.999, 1e-8  # torch.optim.Adam's defaults
    for step in range(1, steps + 1):
        rows = [row.expand(len(items), -1) for row in torch.split(flat, widths, dim=-1)]
        value = (losses(net.combine(rows, item_rows), targets) * weights).sum()
        value = value + reg * (flat - flat_prior).pow(2).sum()
        (grad,) = torch.autograd.grad(value, flat)
        with torch.no_grad():
            first.lerp_(grad, 1 - beta1)
            second.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            denominator = (second / (1 - beta2**step)).sqrt_().add_(eps)
            flat.addcdiv_(first, denominator, value=-learning_rate / (1 - beta1**step))
    return [row.detach() for row in torch.split(flat, widths, dim=-1)]


def sample_negatives(
    users: Tensor, positives: Tensor, candidates: Tensor, n_items: int, generator: torch.Generator, rounds: int = 3
) -> Tensor:
    """One item per entry of ``users``, drawn uniformly from ``candidates`` and not among that user's positives.

    ``positives`` holds ``user * n_items + item`` for every known pair. A draw
    that hits a positive is redrawn up to ``rounds`` times; what still collides
    after that (a person who rated nearly everything) is kept, a little label noise.
    """
    draws = candidates[torch.randint(len(candidates), (len(users),), generator=generator)]
    for _ in range(rounds):
        clash = torch.isin(users * n_items + draws, positives)
        if not clash.any():
            break
        redraw = torch.randint(len(candidates), (int(clash.sum()),), generator=generator)
        draws[clash] = candidates[redraw]
    return draws
