"""Online experiments: who is in which arm, team-draft interleaving, and whether a difference is real.

Pure functions, no Django: ``recommender.experiment_service`` applies them to stored experiments, impressions
and interactions.

- **Split**: each person lands in arm "a" or "b" by a hash of (experiment, person), so they always see the same
  arm, on the site and in the API alike, with no state stored.
- **Team-draft interleaving** (Radlinski, Kurup and Joachims 2008): the two arms' rankings are merged into one
  row; in each round a coin decides which arm picks first, and each arm adds its best movie not yet shown. Every
  card remembers the arm that put it there, and an interaction credits that arm.
- **Results**: per arm, interactions per impression with a Wilson interval and a two-proportion z-test; for
  interleaving, the share of decided comparisons each arm won, with a binomial (sign) test.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass

from scipy import stats

ARMS = ("a", "b")
#: A result is called significant below this two-sided p-value.
ALPHA = 0.05
_Z = stats.norm.ppf(1 - ALPHA / 2)


def arm_for(experiment_id: int, user_id: int) -> str:
    """The arm a person is in: stable for the experiment's life, independent between experiments."""
    digest = hashlib.blake2b(f"{experiment_id}:{user_id}".encode(), digest_size=8).digest()
    return ARMS[int.from_bytes(digest, "big") % 2]


def team_draft(a: list[int], b: list[int], limit: int, *, seed: str) -> list[tuple[int, str]]:
    """Interleave rankings ``a`` and ``b`` into at most ``limit`` (movie, arm) pairs, each movie once.

    Each arm's picks keep that arm's order. ``seed`` fixes the coin flips, so the same person and inputs always
    give the same row.
    """
    coin = random.Random(seed)
    picked: list[tuple[int, str]] = []
    seen: set[int] = set()
    rest = {"a": list(a), "b": list(b)}
    while len(picked) < limit and (rest["a"] or rest["b"]):
        order = ARMS if coin.random() < 0.5 else ARMS[::-1]
        for arm in order:
            queue = rest[arm]
            while queue and queue[0] in seen:
                queue.pop(0)
            if queue and len(picked) < limit:
                movie = queue.pop(0)
                seen.add(movie)
                picked.append((movie, arm))
    return picked


def winner(credited: list[str]) -> str | None:
    """Who won one interleaved row: the arm whose cards drew more interactions (None for a tie or none)."""
    wins_a, wins_b = credited.count("a"), credited.count("b")
    return "a" if wins_a > wins_b else "b" if wins_b > wins_a else None


@dataclass(frozen=True)
class Rate:
    successes: int
    trials: int

    @property
    def value(self) -> float | None:
        return self.successes / self.trials if self.trials else None

    @property
    def interval(self) -> tuple[float, float] | None:
        """Wilson 95% interval (sound for small counts and rates near 0, where interaction rates live)."""
        if not self.trials:
            return None
        n, p = self.trials, self.successes / self.trials
        centre = (p + _Z**2 / (2 * n)) / (1 + _Z**2 / n)
        half = _Z * math.sqrt(p * (1 - p) / n + _Z**2 / (4 * n**2)) / (1 + _Z**2 / n)
        return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Comparison:
    a: Rate
    b: Rate
    p_value: float | None

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < ALPHA

    @property
    def leader(self) -> str | None:
        if self.a.value is None or self.b.value is None or self.a.value == self.b.value:
            return None
        return "a" if self.a.value > self.b.value else "b"


def compare_rates(a: Rate, b: Rate) -> Comparison:
    """Interaction rate per impression in each arm, and the two-sided p-value of a pooled two-proportion z-test."""
    if not a.trials or not b.trials:
        return Comparison(a, b, None)
    pooled = (a.successes + b.successes) / (a.trials + b.trials)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / a.trials + 1 / b.trials))
    if spread == 0:
        return Comparison(a, b, 1.0)
    z = (a.successes / a.trials - b.successes / b.trials) / spread
    return Comparison(a, b, float(2 * stats.norm.sf(abs(z))))


def compare_wins(wins_a: int, wins_b: int) -> Comparison:
    """Interleaving: each arm's share of the decided rows, and the two-sided sign test against an even split."""
    decided = wins_a + wins_b
    p_value = float(stats.binomtest(wins_a, decided, 0.5).pvalue) if decided else None
    return Comparison(Rate(wins_a, decided), Rate(wins_b, decided), p_value)
