"""Matrix factorization.

Explicit models estimate ``r_ui = mean + b_u + b_i + p_u . q_i``:

- ``svd`` (:class:`BiasedMF`): mini-batch stochastic gradient descent, Funk/Koren style;
- ``als`` (:class:`ALS`): alternating closed-form least squares;
- ``bpmf`` (:class:`BayesianMF`): Bayesian MF by Gibbs sampling (Salakhutdinov and Mnih 2008), averaging
  its predictions over posterior samples, which is what makes it the most accurate of the three.

``implicit_als``, the implicit-feedback factorization, is the ``implicit`` library's (``implicit_als.py``).

Only the item side is kept. A person's vector is solved in closed form from their current ratings each time
they are scored (exact ALS fold-in): a rating made a second ago counts at once, and a training user gets
what the last training step would give them.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from pathlib import Path
from time import monotonic
from typing import ClassVar, Self

import numpy as np
import scipy.sparse as sp
from scipy.stats import wishart

from recommender.algorithms.base import (
    Config,
    Recommender,
    load_arrays,
    progress,
    save_arrays,
    top_n,
    whole_vocabulary,
)
from recommender.algorithms.baseline import (
    clip_ratings,
    require_non_negative,
    require_positive,
    require_unique_pairs,
)
from recommender.algorithms.folding import folded
from recommender.algorithms.interactions import History, Interactions

#: Cells of the flattened Gram matrices built at once (rows x factors^2), about 128 MB of float64.
BLOCK_CELLS = 1 << 24


# -- shared linear algebra ----------------------------------------------------------------------------------------


def solve_rows(
    weights: sp.csr_matrix,
    rhs: np.ndarray,
    factors: np.ndarray,
    *,
    ridge: np.ndarray,
    base: np.ndarray | None = None,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Solve ``(base + sum_c weights[r, c] f_c f_c^T + diag(ridge[r])) x_r = rhs[r]`` for every row ``r``.

    1. Flatten each column's outer product ``f_c f_c^T``: the Gram matrices of a block of rows are then
       one sparse product, with no Python loop over rows or ratings.
    2. Add ``base`` (shared by all rows) and the per-row ``ridge`` diagonal; solve the batch of systems.
    3. With ``rng``, add ``L^-T z`` (``L`` the Cholesky factor, ``z`` standard normal): a draw from the
       Gaussian with mean ``x_r`` and precision the system matrix, as Gibbs sampling needs.
    """
    n_rows, dim = rhs.shape
    outer = (factors[:, :, None] * factors[:, None, :]).reshape(len(factors), dim * dim)
    ridge = np.broadcast_to(ridge, (n_rows, dim))
    diagonal = np.arange(dim)
    solved = np.empty((n_rows, dim))
    block = max(1, BLOCK_CELLS // (dim * dim))
    for start in range(0, n_rows, block):
        stop = min(start + block, n_rows)
        system = np.asarray(weights[start:stop] @ outer).reshape(stop - start, dim, dim)
        if base is not None:
            system += base
        system[:, diagonal, diagonal] += ridge[start:stop]
        solved[start:stop] = np.linalg.solve(system, rhs[start:stop, :, None])[:, :, 0]
        if rng is not None:
            lower = np.linalg.cholesky(system)
            noise = rng.standard_normal((stop - start, dim, 1))
            solved[start:stop] += np.linalg.solve(np.swapaxes(lower, 1, 2), noise)[:, :, 0]
    return solved


@dataclass(frozen=True)
class _Layout:
    """The ratings as two CSR matrices (by user, by item) sharing one order, so values can be refilled cheaply."""

    by_user: sp.csr_matrix
    by_item: sp.csr_matrix
    user_order: np.ndarray  # rating index of each stored entry of by_user
    item_order: np.ndarray

    @classmethod
    def of(cls, data: Interactions) -> _Layout:
        require_unique_pairs(data)
        index = np.arange(1, len(data) + 1, dtype=np.float64)  # 1-based so no entry is an explicit zero
        by_user = sp.csr_matrix((index, (data.users, data.items)), shape=(data.n_users, data.n_items))
        by_item = sp.csr_matrix((index, (data.items, data.users)), shape=(data.n_items, data.n_users))
        return cls(by_user, by_item, by_user.data.astype(np.int64) - 1, by_item.data.astype(np.int64) - 1)

    def users(self, values: np.ndarray) -> sp.csr_matrix:
        """users x items with ``values`` (one per rating, in rating order)."""
        return _refill(self.by_user, values, self.user_order)

    def items(self, values: np.ndarray) -> sp.csr_matrix:
        return _refill(self.by_item, values, self.item_order)


def _refill(matrix: sp.csr_matrix, values: np.ndarray, order: np.ndarray) -> sp.csr_matrix:
    """``matrix``'s sparsity pattern (shared, not copied) holding ``values`` taken in ``order``."""
    data = np.asarray(values, dtype=np.float64)[order]
    return sp.csr_matrix((data, matrix.indices, matrix.indptr), shape=matrix.shape, copy=False)


def _with_ones(factors: np.ndarray) -> np.ndarray:
    """Factors with a constant 1 appended, so that a bias is learned as one more coordinate."""
    return np.hstack([factors, np.ones((len(factors), 1), dtype=factors.dtype)])


def similar_by_cosine(
    model: Recommender, factors: np.ndarray, usable: np.ndarray, item_id: int, n: int
) -> list[tuple[int, float]]:
    """Items closest to ``item_id`` by cosine of ``factors`` (samples x items x k), averaged over samples."""
    positions, known = model.positions(np.array([item_id]))
    position = int(positions[0])
    if not known[0] or not usable[position]:
        return []
    norms = np.linalg.norm(factors, axis=2)
    dots = np.einsum("sik,sk->si", factors, factors[:, position])
    cosine = np.divide(dots, norms * norms[:, [position]], out=np.zeros_like(dots), where=norms > 0).mean(axis=0)
    cosine = np.where(usable, cosine, np.nan)
    cosine[position] = np.nan
    return top_n(model.item_ids, cosine, n)


# -- explicit models ----------------------------------------------------------------------------------------------


class _ExplicitFactors(Recommender):
    """Shared by the explicit models: the item side as posterior samples (one for point estimates).

    ``item_bias`` is samples x items and ``item_factors`` samples x items x k; subclasses fold a
    history into one user vector ``(p_u, b_u)`` per sample with :meth:`_user_vectors`.
    """

    estimates_ratings: ClassVar[bool] = True

    @abstractmethod
    def _user_vectors(self, positions: np.ndarray, ratings: np.ndarray) -> np.ndarray:
        """samples x (k + 1): the person's factors and bias, from their rated item positions and ratings."""

    def _estimate(self, history: History, positions: np.ndarray, known: np.ndarray) -> np.ndarray:
        rated, ratings = self.history_positions(history)
        (users,) = folded(self, history, lambda: (self._user_vectors(rated, ratings.astype(np.float64)),))
        k = self.item_factors.shape[2]
        # A whole catalog reads the factors in place: gathering them first would copy samples x items x k per call.
        if whole_vocabulary(positions, self.item_factors.shape[1]):
            factors, bias = self.item_factors, self.item_bias
        else:
            factors, bias = self.item_factors[:, positions], self.item_bias[:, positions]
        taste = np.matmul(factors, users[:, :k, None].astype(factors.dtype))[:, :, 0] + bias
        # An id the model never saw has no item side: the person's own offset from the mean is all there is.
        estimate = users[:, [k]] + np.where(known, taste, 0.0)
        return self.mean + estimate.mean(axis=0)

    def score(self, history: History, items: np.ndarray | None = None) -> np.ndarray:
        positions, known = self.positions(items)
        return np.where(known, self._estimate(history, positions, known), np.nan)

    def predict(self, history: History, items: np.ndarray) -> np.ndarray:
        positions, known = self.positions(items)
        return clip_ratings(self._estimate(history, positions, known))

    def similar_items(self, item_id: int, n: int) -> list[tuple[int, float]]:
        """The ``n`` items whose factors point the most the same way as ``item_id``'s (rated items only)."""
        return similar_by_cosine(self, self.item_factors, self.rated, item_id, n)

    def _keep_items(self, data: Interactions, mean: float, item_bias: np.ndarray, item_factors: np.ndarray) -> None:
        self.mean = float(mean)
        self.rated = np.bincount(data.items, minlength=data.n_items) > 0
        # Nothing was learned about a never-rated item: it gets no bias and no taste, whatever the start was.
        self.item_bias = np.where(self.rated, item_bias, 0.0).astype(np.float32)
        self.item_factors = np.where(self.rated[:, None], item_factors, 0.0).astype(np.float32)
        self._set_items(data.item_ids)

    def _state(self) -> dict[str, np.ndarray]:
        return {
            "item_ids": self.item_ids,
            "mean": np.array(self.mean),
            "rated": self.rated,
            "item_bias": self.item_bias,
            "item_factors": self.item_factors,
        }

    def save_state(self, directory: Path) -> None:
        save_arrays(directory, **self._state())

    def load_state(self, directory: Path) -> None:
        arrays = load_arrays(directory)
        self._load(arrays)
        self._set_items(arrays["item_ids"])

    def _load(self, arrays: dict[str, np.ndarray]) -> None:
        self.mean = float(arrays["mean"])
        self.rated = arrays["rated"]
        self.item_bias = arrays["item_bias"]
        self.item_factors = arrays["item_factors"]


@dataclass
class _RidgeConfig(Config):
    factors: int = 10
    epochs: int = 10
    reg: float = 0.1
    reg_bias: float = 0.1

    def __post_init__(self) -> None:
        require_positive(self, "factors", "epochs")
        require_non_negative(self, "reg", "reg_bias")


class _RidgeFoldIn(_ExplicitFactors):
    """Point-estimate models: one sample, and the user side is a ridge regression on the item side.

    The ridge of someone with ``n`` ratings is ``reg * n ** ridge_growth`` (``reg_bias`` for the bias).
    """

    config: _RidgeConfig

    @property
    def ridge_growth(self) -> float:
        """The exponent of the ridge's growth with the rating count (see the class docstring)."""
        return self.config.ridge_growth

    def _ridge(self, count: np.ndarray | int) -> np.ndarray:
        """The ridge diagonal (factors..., bias) for rows with ``count`` ratings each (at least 1)."""
        cfg = self.config
        growth = np.maximum(np.reshape(count, (-1, 1)), 1) ** self.ridge_growth
        return np.append(np.full(cfg.factors, cfg.reg), cfg.reg_bias) * growth

    def _user_vectors(self, positions: np.ndarray, ratings: np.ndarray) -> np.ndarray:
        if len(positions) == 0:
            return np.zeros((1, self.config.factors + 1))
        features = _with_ones(self.item_factors[0, positions].astype(np.float64))
        weights = sp.csr_matrix(np.ones((1, len(positions))))
        rhs = (ratings - self.mean - self.item_bias[0, positions]) @ features
        return solve_rows(weights, rhs[None, :], features, ridge=self._ridge(len(positions)))


@dataclass
class BiasedMFConfig(_RidgeConfig):
    # Chosen on validation only: make tune TUNE_ARGS="--algorithm svd --protocol folds --set 'factors=10|50'
    # --set 'reg=0.1' --seeds 3" gives RMSE 0.9182 +- 0.0017 at 50 factors, 0.9238 +- 0.0020 at 10 (more than 2 sd
    # apart); reg 0.05 is worse at both (0.9498, 0.9548). The exact fold-in needs the stronger ridge that a
    # converged, more regularized model has (Surprise's lr 0.005 and reg 0.02 gave 0.966 on a fold).
    factors: int = 50
    epochs: int = 20
    learning_rate: float = 0.02
    reg: float = 0.1
    reg_bias: float = 0.02
    #: Ratings per gradient step; the updates of a batch are summed, as if applied one after the other.
    batch_size: int = 1024
    init_std: float = 0.1

    def __post_init__(self) -> None:
        super().__post_init__()
        require_positive(self, "learning_rate", "batch_size")
        require_non_negative(self, "init_std")


class BiasedMF(_RidgeFoldIn):
    """Biased MF by mini-batch SGD on ``sum (r - estimate)^2 + reg (|p|^2 + |q|^2) + reg_bias (b_u^2 + b_i^2)``.

    The regularization is per rating, so a person with ``n`` ratings is folded in with ridge ``reg * n``:
    the closed-form minimum of the same objective over their vector.
    """

    name = "svd"
    config_class = BiasedMFConfig
    config: BiasedMFConfig
    ridge_growth = 1.0

    def fit(self, data: Interactions) -> Self:
        """1. Start from small random factors and zero biases.
        2. Each epoch, shuffle the ratings and walk them in mini-batches: the error of each rating gives
           the gradients, summed into the users and items of the batch with one sparse product per side.
        """
        require_unique_pairs(data)
        cfg = self.config
        rng = np.random.default_rng(cfg.seed)
        mean = data.global_mean
        users_side = rng.normal(0.0, cfg.init_std, (data.n_users, cfg.factors + 1))
        items_side = rng.normal(0.0, cfg.init_std, (data.n_items, cfg.factors + 1))
        users_side[:, -1] = 0.0
        items_side[:, -1] = 0.0
        decay = np.append(np.full(cfg.factors, cfg.reg), cfg.reg_bias)
        residual = data.ratings.astype(np.float64) - mean
        for _ in progress(range(cfg.epochs), desc="svd epochs"):
            self._epoch(data, residual, users_side, items_side, decay, rng)
            if not np.isfinite(items_side).all():
                raise ValueError(f"svd diverged with learning_rate={cfg.learning_rate}; use a smaller one")
        self._keep_items(data, mean, items_side[None, :, -1], items_side[None, :, :-1])
        return self

    @np.errstate(over="ignore", invalid="ignore")  # divergence is checked after each epoch, and reported
    def _epoch(
        self,
        data: Interactions,
        residual: np.ndarray,
        users_side: np.ndarray,
        items_side: np.ndarray,
        decay: np.ndarray,
        rng: np.random.Generator,
    ) -> None:
        """One shuffled pass over the ratings in mini-batches, updating both sides in place."""
        cfg = self.config
        order = rng.permutation(len(data))
        for start in range(0, len(order), cfg.batch_size):
            batch = order[start : start + cfg.batch_size]
            u, i = data.users[batch], data.items[batch]
            p, q = users_side[u], items_side[i]
            error = residual[batch] - p[:, -1] - q[:, -1] - np.einsum("nk,nk->n", p[:, :-1], q[:, :-1])
            # A bias coordinate's "other side" is the constant 1.
            p_other, q_other = p.copy(), q.copy()
            p_other[:, -1] = q_other[:, -1] = 1.0
            user_grad = error[:, None] * q_other - decay * p
            item_grad = error[:, None] * p_other - decay * q
            users_side += cfg.learning_rate * _scatter(u, user_grad, data.n_users)
            items_side += cfg.learning_rate * _scatter(i, item_grad, data.n_items)


def _scatter(rows: np.ndarray, values: np.ndarray, n_rows: int) -> np.ndarray:
    """Sum the rows of ``values`` into ``n_rows`` rows by ``rows`` (repeats add up), with one bincount."""
    width = values.shape[1]
    cells = (rows[:, None] * width + np.arange(width)).ravel()
    return np.bincount(cells, values.ravel(), minlength=n_rows * width).reshape(n_rows, width)


@dataclass
class ALSConfig(_RidgeConfig):
    # Confirmed on validation only: make tune TUNE_ARGS="--algorithm als --protocol folds --set 'factors=5|10'
    # --set 'reg=1.2|3'" gives RMSE 0.9199 here, 0.9202 with 10 factors (a tie at twice the fit time), 0.9471 at 3.
    factors: int = 5
    epochs: int = 8
    reg: float = 1.2
    reg_bias: float = 1.0
    #: The ridge of a person or movie with n ratings is reg * n ** ridge_growth. Confirmed on validation only
    #: (`make tune TUNE_ARGS="--algorithm als --protocol folds --set ridge_growth=0|0.5|1"`): RMSE 0.9199 at 0.5,
    #: 0.9799 with a constant ridge (0), 0.9922 with one proportional to the count (1).
    ridge_growth: float = 0.5


class ALS(_RidgeFoldIn):
    """Biased MF by alternating least squares: each half-step solves every user (or item) exactly.

    The ridge grows with the square root of the number of ratings (``ALSConfig.ridge_growth``).
    """

    name = "als"
    config_class = ALSConfig
    config: ALSConfig

    def fit(self, data: Interactions) -> Self:
        """1. Start from small random item factors and zero item biases.
        2. Users: each person's (p_u, b_u) is the ridge solution against the items' (q_i, 1), target
           ``r - mean - b_i``.
        3. Items: likewise against the users' (p_u, 1), target ``r - mean - b_u``. Repeat.
        """
        cfg = self.config
        rng = np.random.default_rng(cfg.seed)
        layout = _Layout.of(data)
        mean = data.global_mean
        ratings = data.ratings.astype(np.float64) - mean
        item_side = np.hstack([rng.normal(0.0, 0.1, (data.n_items, cfg.factors)), np.zeros((data.n_items, 1))])
        user_weights, item_weights = layout.users(np.ones(len(data))), layout.items(np.ones(len(data)))
        user_ridge = self._ridge(np.bincount(data.users, minlength=data.n_users))
        item_ridge = self._ridge(np.bincount(data.items, minlength=data.n_items))
        for _ in progress(range(cfg.epochs), desc="als sweeps"):
            features = _with_ones(item_side[:, :-1])
            rhs = layout.users(ratings - item_side[data.items, -1]) @ features
            user_side = solve_rows(user_weights, rhs, features, ridge=user_ridge)
            features = _with_ones(user_side[:, :-1])
            rhs = layout.items(ratings - user_side[data.users, -1]) @ features
            item_side = solve_rows(item_weights, rhs, features, ridge=item_ridge)
        self._keep_items(data, mean, item_side[None, :, -1], item_side[None, :, :-1])
        return self


@dataclass
class BayesianMFConfig(Config):
    # Confirmed on validation only: make tune TUNE_ARGS="--algorithm bpmf --protocol folds --set 'factors=10|20'"
    # gives RMSE 0.9028 here, 0.9038 at 20 factors (a tie, at 4x the time).
    factors: int = 10
    #: Gibbs sweeps in all, the first ``burn_in`` of them discarded.
    epochs: int = 150
    burn_in: int = 30
    #: Posterior samples kept for serving, evenly spread over the sweeps after the burn-in.
    samples: int = 40
    #: Seconds the sampler may take (0: no limit). After the first sweep, the run shrinks to the sweeps that fit,
    #: with the burn-in and the samples kept in the same proportions: a sweep of MovieLens 25M takes about 15 s
    #: on two cores, so the 150 sweeps would take 40 minutes.
    time_budget: float = 0.0

    def __post_init__(self) -> None:
        require_positive(self, "factors", "epochs", "samples")
        require_non_negative(self, "burn_in", "time_budget")
        if self.burn_in >= self.epochs:
            raise ValueError(f"BayesianMFConfig.burn_in must be below epochs ({self.epochs}), got {self.burn_in}")


def _kept_sweeps(sweeps: int, burn_in: int, samples: int) -> set[int]:
    """The sweeps whose draws are kept: at most ``samples``, evenly spread over those after ``burn_in``."""
    return set(np.linspace(burn_in, sweeps - 1, min(samples, sweeps - burn_in)).round().astype(int).tolist())


class BayesianMF(_ExplicitFactors):
    """Bayesian MF with biases, by Gibbs sampling: no regularization to tune, the priors are learned.

    Users' ``(p_u, b_u)`` and items' ``(q_i, b_i)`` have Gaussian priors whose means and precisions have
    Normal-Wishart hyper-priors; the rating noise precision has a Gamma prior. Each kept sample stores the
    item side, the user prior and the noise precision; a person is folded in per sample with the exact
    posterior mean of their vector, and the estimates are averaged over the samples.
    """

    name = "bpmf"
    config_class = BayesianMFConfig
    config: BayesianMFConfig

    def fit(self, data: Interactions) -> Self:
        """1. Start from small random vectors and noise precision 2.
        2. Each sweep: draw the user prior given the users, then every user given the items, the prior and the
           noise (one batched draw); the same for items; then the noise precision given all residuals.
        3. After the burn-in, keep ``samples`` evenly spread sweeps.
        """
        cfg = self.config
        rng = np.random.default_rng(cfg.seed)
        layout = _Layout.of(data)
        mean = data.global_mean
        ratings = data.ratings.astype(np.float64) - mean
        dim = cfg.factors + 1
        user_side = rng.normal(0.0, 0.1, (data.n_users, dim))
        item_side = rng.normal(0.0, 0.1, (data.n_items, dim))
        noise = 2.0
        sweeps, kept = cfg.epochs, _kept_sweeps(cfg.epochs, cfg.burn_in, cfg.samples)
        biases, factors, prior_means, prior_precisions, noises = [], [], [], [], []
        ones = np.ones(len(data))
        started = monotonic()
        for sweep in progress(range(cfg.epochs), desc="bpmf sweeps"):
            if sweep == 1 and cfg.time_budget > 0:
                sweeps = min(cfg.epochs, max(2, int(cfg.time_budget / max(monotonic() - started, 1e-9))))
                burn_in = min(sweeps - 1, max(min(cfg.burn_in, 1), round(cfg.burn_in * sweeps / cfg.epochs)))
                kept = _kept_sweeps(sweeps, burn_in, cfg.samples)
            if sweep >= sweeps:
                break
            user_mean, user_precision = _draw_prior(user_side, rng)
            features = _with_ones(item_side[:, :-1])
            rhs = noise * (layout.users(ratings - item_side[data.items, -1]) @ features) + user_precision @ user_mean
            user_side = solve_rows(
                layout.users(noise * ones), rhs, features, ridge=np.zeros(dim), base=user_precision, rng=rng
            )
            item_mean, item_precision = _draw_prior(item_side, rng)
            features = _with_ones(user_side[:, :-1])
            rhs = noise * (layout.items(ratings - user_side[data.users, -1]) @ features) + item_precision @ item_mean
            item_side = solve_rows(
                layout.items(noise * ones), rhs, features, ridge=np.zeros(dim), base=item_precision, rng=rng
            )
            estimate = (
                user_side[data.users, -1]
                + item_side[data.items, -1]
                + np.einsum("nk,nk->n", user_side[data.users, :-1], item_side[data.items, :-1])
            )
            noise = rng.gamma(1.0 + len(data) / 2, 1.0 / (1.0 + 0.5 * np.sum((ratings - estimate) ** 2)))
            if sweep in kept:
                biases.append(item_side[:, -1])
                factors.append(item_side[:, :-1])
                prior_means.append(user_mean)
                prior_precisions.append(user_precision)
                noises.append(noise)
        self._keep_items(data, mean, np.stack(biases), np.stack(factors))
        self.prior_mean = np.stack(prior_means)
        self.prior_precision = np.stack(prior_precisions)
        self.noise = np.array(noises)
        return self

    def _user_vectors(self, positions: np.ndarray, ratings: np.ndarray) -> np.ndarray:
        """Per sample, the posterior mean of the person's (p_u, b_u) given the item side and the user prior."""
        features = np.concatenate(
            [self.item_factors[:, positions], np.ones((len(self.noise), len(positions), 1))], axis=2
        ).astype(np.float64)
        targets = ratings[None, :] - self.mean - self.item_bias[:, positions]
        system = self.prior_precision + self.noise[:, None, None] * np.einsum("snd,sne->sde", features, features)
        rhs = self.noise[:, None] * np.einsum("snd,sn->sd", features, targets) + np.einsum(
            "sde,se->sd", self.prior_precision, self.prior_mean
        )
        return np.linalg.solve(system, rhs[:, :, None])[:, :, 0]

    def _state(self) -> dict[str, np.ndarray]:
        return {
            **super()._state(),
            "prior_mean": self.prior_mean,
            "prior_precision": self.prior_precision,
            "noise": self.noise,
        }

    def _load(self, arrays: dict[str, np.ndarray]) -> None:
        super()._load(arrays)
        self.prior_mean = arrays["prior_mean"]
        self.prior_precision = arrays["prior_precision"]
        self.noise = arrays["noise"]


def _draw_prior(vectors: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A draw of (mean, precision) from the Normal-Wishart posterior given ``vectors`` (rows).

    Hyper-prior as in Salakhutdinov and Mnih (2008): mean 0, beta 2, Wishart with identity scale and
    as many degrees of freedom as dimensions.
    """
    n, dim = vectors.shape
    beta0 = 2.0
    average = vectors.mean(axis=0)
    spread = np.cov(vectors, rowvar=False, bias=True) * n
    beta = beta0 + n
    scale_inverse = np.eye(dim) + spread + (beta0 * n / beta) * np.outer(average, average)
    scale = np.linalg.inv(scale_inverse)
    precision = wishart.rvs(df=dim + n, scale=(scale + scale.T) / 2, random_state=rng)
    mean = rng.multivariate_normal(n * average / beta, np.linalg.inv(beta * precision))
    return mean, precision
