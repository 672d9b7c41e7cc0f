"""The ``nn.Module`` of each neural recommender, and the user/item split that makes fold-in possible."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import torch
from torch import Tensor, nn


def embedding(rows: int, width: int, *, std: float = 0.1) -> nn.Embedding:
    # Small random starts (He et al. 2017 use N(0, 0.01)); std 0 for bias columns, which start neutral.
    table = nn.Embedding(rows, width)
    if std > 0:
        nn.init.normal_(table.weight, std=std)
    else:
        nn.init.zeros_(table.weight)
    return table


def dense_stack(widths: Sequence[int], dropout: float) -> nn.Sequential:
    """Linear + ReLU + dropout from each width to the next; empty (the identity) for a single width."""
    layers: list[nn.Module] = []
    for width_in, width_out in pairwise(widths):
        layers += [nn.Linear(width_in, width_out), nn.ReLU(), nn.Dropout(dropout)]
    return nn.Sequential(*layers)


class UserItemNet(nn.Module):
    """A network that sees a (user, item) pair only through rows of its user tables and its item tables.

    Every table has one row more than there are users (items): the last row is
    the average person (movie), written by :meth:`settle` after training. That
    split is what fold-in needs: a new person is fresh user rows fitted with
    everything else frozen (:func:`recommender.algorithms.torch.training.fold_in`).
    """

    def __init__(self, user_tables: Sequence[nn.Embedding], item_tables: Sequence[nn.Embedding]) -> None:
        super().__init__()
        self.user_tables = nn.ModuleList(user_tables)
        self.item_tables = nn.ModuleList(item_tables)

    @property
    def average_user(self) -> int:
        return self.user_tables[0].num_embeddings - 1

    @property
    def average_item(self) -> int:
        return self.item_tables[0].num_embeddings - 1

    def user_rows(self, users: Tensor) -> list[Tensor]:
        return [table(users) for table in self.user_tables]

    def item_rows(self, items: Tensor) -> list[Tensor]:
        return [table(items) for table in self.item_tables]

    def forward(self, users: Tensor, items: Tensor) -> Tensor:
        return self.combine(self.user_rows(users), self.item_rows(items))

    def combine(self, user_rows: list[Tensor], item_rows: list[Tensor]) -> Tensor:
        """The output for each pair, from the rows of its user and of its item (both ``(batch, width)``)."""
        raise NotImplementedError

    def penalty(self, users: Tensor, items: Tensor) -> Tensor:
        """Mean squared norm of the rows a batch looked up: L2 where the data is, as in SGD matrix factorization.

        Weight decay on whole tables would shrink the rows of rarely rated
        movies at every step, long after their few ratings were seen.
        """
        rows = self.user_rows(users) + self.item_rows(items)
        return sum(row.pow(2).sum(dim=-1) for row in rows).mean()

    @torch.no_grad()
    def settle(self, trained_users: Tensor, trained_items: Tensor) -> None:
        """Give rows no rating ever reached (and the average rows) the mean of the trained rows.

        An untrained row is still its random start; the mean row is the
        model's best guess for a movie nobody rated or a person who rated nothing.
        """
        for tables, trained in ((self.user_tables, trained_users), (self.item_tables, trained_items)):
            mask = torch.cat([trained.to(torch.bool), trained.new_zeros(1, dtype=torch.bool)])
            for table in tables:
                table.weight[~mask] = table.weight[mask].mean(dim=0)


class NeuMF(UserItemNet):
    """Neural matrix factorization (He et al. 2017): a GMF tower and an MLP tower joined by one linear layer.

    On top sit a global offset and user and item biases: for ratings they carry
    most of the signal, leaving the towers the interaction. The output is a
    rating estimate (explicit) or the logit of "this person rates this movie" (implicit).
    """

    def __init__(
        self, n_users: int, n_items: int, *, factors: int, layers: Sequence[int], dropout: float, offset: float
    ) -> None:
        half = layers[0] // 2

        def tables(rows: int) -> list[nn.Embedding]:
            return [embedding(rows + 1, factors), embedding(rows + 1, half), embedding(rows + 1, 1, std=0)]

        super().__init__(tables(n_users), tables(n_items))
        self.mlp = dense_stack([2 * half, *layers[1:]], dropout)
        self.head = nn.Linear(factors + (layers[-1] if len(layers) > 1 else 2 * half), 1)
        self.register_buffer("offset", torch.tensor(float(offset)))

    def combine(self, user_rows: list[Tensor], item_rows: list[Tensor]) -> Tensor:
        (user_gmf, user_mlp, user_bias), (item_gmf, item_mlp, item_bias) = user_rows, item_rows
        mlp = self.mlp(torch.cat([user_mlp, item_mlp], dim=-1))
        joint = self.head(torch.cat([user_gmf * item_gmf, mlp], dim=-1))
        return (joint + user_bias + item_bias).squeeze(-1) + self.offset


class RatingNet(UserItemNet):
    """User and movie rows through dense ReLU layers to logits over the rating classes.

    Each person and each movie also has a row of per-class biases: how they
    use the scale (some never give 5 stars; cult films split opinion, classics
    do not), before any interaction of taste.
    """

    def __init__(
        self, n_users: int, n_items: int, *, factors: int, layers: Sequence[int], dropout: float, classes: int
    ) -> None:
        super().__init__(
            [embedding(n_users + 1, factors), embedding(n_users + 1, classes, std=0)],
            [embedding(n_items + 1, factors), embedding(n_items + 1, classes, std=0)],
        )
        widths = [2 * factors, *layers]
        self.mlp = dense_stack(widths, dropout)
        self.head = nn.Linear(widths[-1], classes)

    def combine(self, user_rows: list[Tensor], item_rows: list[Tensor]) -> Tensor:
        (user, user_classes), (item, item_classes) = user_rows, item_rows
        return self.head(self.mlp(torch.cat([user, item], dim=-1))) + user_classes + item_classes


class NextItemGRU(nn.Module):
    """Item embeddings through a GRU; the state after each step gives logits for every item as the next one.

    Position ``n_items`` is the start token every sequence begins with, so an
    empty history still has a state to score from; ``n_items + 1`` pads.
    """

    def __init__(self, n_items: int, *, factors: int, hidden: int, dropout: float) -> None:
        super().__init__()
        self.n_items = n_items
        self.items = nn.Embedding(n_items + 2, factors, padding_idx=n_items + 1)
        self.gru = nn.GRU(factors, hidden, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, n_items)

    @property
    def start(self) -> int:
        return self.n_items

    @property
    def pad(self) -> int:
        return self.n_items + 1

    def states(self, sequences: Tensor) -> Tensor:
        """``(batch, length)`` item positions -> ``(batch, length, hidden)`` states after each item."""
        states, _ = self.gru(self.dropout(self.items(sequences)))
        return self.dropout(states)

    def logits(self, states: Tensor) -> Tensor:
        return self.out(states)

    @torch.no_grad()
    def settle(self, trained_items: Tensor) -> None:
        """Give movies nobody rated the mean input embedding, in case a fresh rating puts one in a history.

        Their output logits need no such care: the softmax pushed them down
        at every step, which is the right belief about a movie nobody picks.
        """
        trained = trained_items.to(torch.bool)
        rows = self.items.weight[: self.n_items]
        rows[~trained] = rows[trained].mean(dim=0)
