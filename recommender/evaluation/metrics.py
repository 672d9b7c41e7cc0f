"""Accuracy and beyond-accuracy metrics, each for one person's list or for arrays of ratings.

Ranking metrics take ``ranked`` (item ids, best first) and ``relevant`` (the item ids that count as hits)
and use binary relevance. Averaging over people is the caller's business.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import combinations

import numpy as np


def mse(predicted: np.ndarray, actual: np.ndarray) -> float:
    errors = _errors(predicted, actual)
    return float(np.mean(errors**2))


def rmse(predicted: np.ndarray, actual: np.ndarray) -> float:
    return float(np.sqrt(mse(predicted, actual)))


def mae(predicted: np.ndarray, actual: np.ndarray) -> float:
    return float(np.mean(np.abs(_errors(predicted, actual))))


def _errors(predicted: np.ndarray, actual: np.ndarray) -> np.ndarray:
    predicted, actual = np.asarray(predicted, dtype=np.float64), np.asarray(actual, dtype=np.float64)
    if predicted.shape != actual.shape or predicted.size == 0:
        raise ValueError(f"need equally long, non-empty arrays; got {predicted.shape} and {actual.shape}")
    return predicted - actual


def _hits(ranked: Sequence[int] | np.ndarray, relevant: Iterable[int], k: int | None) -> np.ndarray:
    """A boolean per position of ``ranked[:k]``: is the item there relevant?"""
    top = np.asarray(ranked, dtype=np.int64)[:k]
    return np.isin(top, np.fromiter(relevant, dtype=np.int64))


def precision_at_k(ranked: Sequence[int] | np.ndarray, relevant: Iterable[int], k: int) -> float:
    """Share of the ``k`` slots holding a relevant item (a list shorter than ``k`` still has ``k`` slots)."""
    return float(_hits(ranked, relevant, k).sum() / k)


def recall_at_k(ranked: Sequence[int] | np.ndarray, relevant: Iterable[int], k: int) -> float:
    """Share of the relevant items found in the top ``k``; 0 when nothing is relevant."""
    relevant = set(relevant)
    return float(_hits(ranked, relevant, k).sum() / len(relevant)) if relevant else 0.0


def hit_rate_at_k(ranked: Sequence[int] | np.ndarray, relevant: Iterable[int], k: int) -> float:
    """1 when any relevant item is in the top ``k``, else 0."""
    return float(_hits(ranked, relevant, k).any())


def ndcg_at_k(ranked: Sequence[int] | np.ndarray, relevant: Iterable[int], k: int) -> float:
    """DCG of the top ``k`` (a hit at rank r gains 1/log2(r+1)) over the DCG of a perfect list."""
    relevant = set(relevant)
    if not relevant:
        return 0.0
    hits = _hits(ranked, relevant, k)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = discounts[: min(len(relevant), k)].sum()
    return float(discounts[: len(hits)][hits].sum() / ideal)


def average_precision_at_k(ranked: Sequence[int] | np.ndarray, relevant: Iterable[int], k: int) -> float:
    """Sum of precision@r at the ranks r of the hits in the top ``k``, over min(#relevant, k). MAP@K averages it."""
    relevant = set(relevant)
    if not relevant:
        return 0.0
    hits = _hits(ranked, relevant, k)
    precision_at_hits = np.cumsum(hits)[hits] / (np.flatnonzero(hits) + 1)
    return float(precision_at_hits.sum() / min(len(relevant), k))


def reciprocal_rank(ranked: Sequence[int] | np.ndarray, relevant: Iterable[int]) -> float:
    """1/r for the rank r of the first relevant item in the whole list; 0 when none is there. MRR averages it."""
    hits = np.flatnonzero(_hits(ranked, relevant, None))
    return float(1.0 / (hits[0] + 1)) if len(hits) else 0.0


def catalog_coverage(lists: Iterable[Sequence[int] | np.ndarray], catalog_size: int) -> float:
    """Share of the catalog that appears in at least one list."""
    shown = set()
    for items in lists:
        shown.update(int(item) for item in items)
    return len(shown) / catalog_size if catalog_size else 0.0


def recommendation_counts(
    lists: Iterable[Sequence[int] | np.ndarray], catalog: Sequence[int] | np.ndarray
) -> np.ndarray:
    """How many of the lists each catalog item appears in (0 for the ones never recommended), in catalog order."""
    position = {int(item): index for index, item in enumerate(catalog)}
    counts = np.zeros(len(position), dtype=np.float64)
    for items in lists:
        for item in items:
            if (index := position.get(int(item))) is not None:
                counts[index] += 1
    return counts


def gini_index(counts: np.ndarray) -> float:
    """Gini coefficient of how recommendations spread over the catalog: 0 when every item is shown equally
    often, towards 1 when a few items take every slot. ``counts`` has one entry per catalog item."""
    values = np.sort(np.asarray(counts, dtype=np.float64))
    n, total = len(values), values.sum()
    if n == 0 or total == 0:
        return 0.0
    ranks = np.arange(1, n + 1)
    return float(((2 * ranks - n - 1) * values).sum() / (n * total))


def effective_catalog_size(counts: np.ndarray) -> float:
    """exp(entropy) of the recommendation shares: how many equally shown items would give the same spread."""
    total = float(np.sum(counts))
    if total == 0:
        return 0.0
    shares = np.asarray(counts, dtype=np.float64)[np.asarray(counts) > 0] / total
    return float(np.exp(-(shares * np.log(shares)).sum()))


def popular_share(counts: np.ndarray, popularity: np.ndarray, fraction: float = 0.01) -> float:
    """Share of all recommendation slots taken by the most popular ``fraction`` of the catalog (by ``popularity``,
    one value per catalog item, e.g. how many rated it in training)."""
    total = float(np.sum(counts))
    if total == 0 or len(counts) == 0:
        return 0.0
    top = max(1, int(np.ceil(fraction * len(counts))))
    head = np.argsort(-np.asarray(popularity, dtype=np.float64), kind="stable")[:top]
    return float(np.asarray(counts)[head].sum() / total)


def novelty(lists: Iterable[Sequence[int] | np.ndarray], popularity: Mapping[int, float]) -> float:
    """Mean self-information -log2(p) of the recommended items, p being the share of people who rated the item.

    An item missing from ``popularity`` (or with share 0) has an undefined self-information; the caller
    decides its floor when building ``popularity`` (see ``runner.popularity_shares``).
    """
    information = [-np.log2(popularity[int(item)]) for items in lists for item in items]
    return float(np.mean(information)) if information else 0.0


def intra_list_diversity(items: Sequence[int] | np.ndarray, genres: Mapping[int, Iterable[str]]) -> float:
    """1 - the mean pairwise cosine similarity of the items' binary genre vectors; NaN for fewer than 2 items.

    Two items whose genres are unknown are counted as unlike each other (similarity 0).
    """
    sets = [frozenset(genres.get(int(item), ())) for item in items]
    if len(sets) < 2:
        return float("nan")
    similarities = [len(a & b) / np.sqrt(len(a) * len(b)) if a and b else 0.0 for a, b in combinations(sets, 2)]
    return float(1.0 - np.mean(similarities))
