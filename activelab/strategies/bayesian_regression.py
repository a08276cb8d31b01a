"""Regression strategies that look a label ahead in a Gaussian model's posterior.

For a Gaussian process or a Bayesian linear model with its hyperparameters held fixed,
labeling ``x`` changes the predictive distribution everywhere in closed form: with
``c(z, x)`` the posterior covariance of the function at ``z`` and ``x`` and ``s(x)`` the
predictive variance of a label at ``x`` (noise included), the predictive variance at
``z`` drops from ``s0(z)`` to ``s1(z) = s0(z) - c(z, x)^2 / s(x)``, whatever the label.

* **emvr** — expected model variance reduction (Cohn, 1996, "Neural network exploration
  using optimal experiment design", Neural Networks; Cohn, Ghahramani & Jordan, 1996,
  "Active learning with statistical models", JAIR): the mean drop of the predictive
  variance over an evaluation set, ``mean_z c(z, x)^2 / s(x)``.
* **kl_divergence** — KL-divergence maximisation (Elreedy, Atiya & Shaalan, 2019, "A
  novel active learning regression framework for balancing the exploration-exploitation
  trade-off", Entropy; scikit-activeml's ``KLDivergenceMaximization``): the expected
  ``KL(p_new(y|z) || p_old(y|z))`` over the evaluation set.

Both need a fitted ``GaussianProcessRegressor`` or ``BayesianRidge`` (or a ``Pipeline``
ending in one): the caller's model is never refit, its fitted kernel, noise and
posterior are read.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.linalg import solve_triangular

from ..errors import ActiveLabError
from ..outputs import ModelOutputs
from ..validation import check_int
from .base import ScoringStrategy
from .density import fixed_sample
from .registry import register

__all__ = ["ExpectedModelVarianceReduction", "GaussianPosterior", "KLDivergenceMaximization"]

#: How many candidates the evaluation set holds at most (a fixed sample), besides the labeled.
DEFAULT_EVAL = 500
TARGETS = ("expected", "prediction")


class GaussianPosterior:
    """The predictive covariance of a fitted GP or Bayesian ridge, on its feature rows.

    :meth:`features` maps items to the rows the final estimator works on (a Pipeline's
    preprocessing, and Bayesian ridge's centring).

    ``cross(Z, X)`` is the posterior covariance of the function between rows, ``variance``
    the predictive variance of a new label (its noise included), as the model's own
    ``predict(rows, return_std=True)`` reports for the rows it predicts.
    """

    def __init__(self, model: Any, who: str) -> None:
        steps = getattr(model, "steps", None)
        final = steps[-1][1] if isinstance(steps, list) and steps else model
        self.preprocessing = model[:-1] if isinstance(steps, list) and len(steps) > 1 else None
        self.final = final
        if hasattr(final, "kernel_") and hasattr(final, "L_"):
            alpha = np.asarray(final.alpha, dtype=float)
            if alpha.size != 1:
                raise ActiveLabError(
                    f"{who} needs the GP's noise alpha as one number (the new label's noise); "
                    f"got an array of {alpha.size}"
                )
            self.noise = float(alpha.ravel()[0])
            self.scale = float(np.asarray(getattr(final, "_y_train_std", 1.0)).ravel()[0]) ** 2
            self.kind = "gp"
        elif hasattr(final, "sigma_") and hasattr(final, "alpha_") and hasattr(final, "lambda_") \
                and np.ndim(getattr(final, "lambda_", None)) == 0:
            self.kind = "linear"
        else:
            name = "None" if model is None else type(final).__name__
            raise ActiveLabError(
                f"{who} needs a fitted GaussianProcessRegressor or BayesianRidge (or a Pipeline "
                f"ending in one) to read its posterior; got {name}"
            )

    def features(self, rows: Any) -> np.ndarray:
        if self.preprocessing is not None:
            rows = self.preprocessing.transform(rows)
        if sp.issparse(rows):
            rows = rows.toarray()
        rows = np.asarray(rows.to_numpy() if hasattr(rows, "to_numpy") else rows, dtype=float)
        if self.kind == "linear":  # the model's predict centres the rows so, before sigma_
            return rows - np.asarray(getattr(self.final, "X_offset_", 0.0), dtype=float)
        return rows

    def _whitened(self, X: np.ndarray) -> np.ndarray:
        gp = self.final
        return solve_triangular(gp.L_, gp.kernel_(gp.X_train_, X), lower=True, check_finite=False)

    def cross(self, Z: np.ndarray, X: np.ndarray) -> np.ndarray:
        """``(len(Z), len(X))`` posterior covariances of the function (no noise)."""
        if self.kind == "linear":
            return Z @ self.final.sigma_ @ X.T
        prior = self.final.kernel_(Z, X)  # a WhiteKernel adds nothing between two arrays
        return self.scale * (prior - self._whitened(Z).T @ self._whitened(X))

    def predictive_variance(self, X: np.ndarray) -> np.ndarray:
        """The variance ``predict(X, return_std=True)`` reports (white noise, not alpha)."""
        if self.kind == "linear":
            return np.einsum("ij,jk,ik->i", X, self.final.sigma_, X) + 1.0 / self.final.alpha_
        latent = self.final.kernel_.diag(X) - (self._whitened(X) ** 2).sum(axis=0)
        return self.scale * np.maximum(latent, 0.0)

    def label_variance(self, X: np.ndarray) -> np.ndarray:
        """The variance of a new label at each row, as the model would be refit with it."""
        if self.kind == "linear":
            return self.predictive_variance(X)
        return self.predictive_variance(X) + self.scale * self.noise


class _LookAhead(ScoringStrategy):
    """Scores from ``c(z, x)^2 / s(x)`` over an evaluation set ``z``."""

    contract_models = ("regressor_std",)
    who = ""

    def __init__(self, n_eval: int = DEFAULT_EVAL, selector: Any = None) -> None:
        super().__init__(selector)
        self.n_eval = n_eval

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        if outputs.model is None:
            raise ActiveLabError(f"{self.who} needs a fitted model; got model=None")
        posterior = GaussianPosterior(outputs.model, self.who)
        candidates = outputs.of_items(f"{self.who}_features", posterior.features)
        sample = fixed_sample(outputs.ids, check_int(self.n_eval, "n_eval"))
        pool = outputs.pool
        labeled = posterior.features(pool.items(pool.labeled_ids)) if pool.n_labeled else None
        evaluation = candidates[sample] if labeled is None else np.vstack([candidates[sample], labeled])
        before = posterior.predictive_variance(evaluation)
        label_variance = posterior.label_variance(candidates)
        scores = np.empty(len(candidates))
        for start in range(0, len(candidates), 256):
            rows = slice(start, start + 256)
            drop = posterior.cross(evaluation, candidates[rows]) ** 2 / label_variance[rows]
            scores[rows] = self._utility(before[:, None], np.minimum(drop, before[:, None]))
        return scores

    def _utility(self, before: np.ndarray, drop: np.ndarray) -> np.ndarray:
        raise NotImplementedError


@register("emvr")
class ExpectedModelVarianceReduction(_LookAhead):
    """Expected model variance reduction: ``score(x) = mean_z c(z, x)^2 / s(x)``.

    The mean drop of the predictive variance over the evaluation set ``z`` (the labeled
    items and at most ``n_eval`` candidates, a fixed sample) if ``x`` were labeled, with
    the model's hyperparameters fixed (see the module docstring). For a Gaussian model
    the drop does not depend on the label, so no expectation over it is needed (Cohn,
    1996). Same ranking as scikit-activeml's ``ExpectedModelVarianceReduction`` with fixed
    hyperparameters.

    Needs a fitted ``GaussianProcessRegressor`` or ``BayesianRidge``, or a ``Pipeline``
    ending in one. Cost per query: ``O(n e m)`` for ``e`` evaluation items and ``m`` labels
    (a GP; ``O(n e d)`` for Bayesian ridge), in chunks of 256 candidates.

    >>> import numpy as np
    >>> from sklearn.linear_model import BayesianRidge
    >>> from activelab import Pool
    >>> X = np.linspace(-1, 1, 41).reshape(-1, 1)
    >>> pool = Pool(X)
    >>> pool.add_labels(range(15, 26), 2 * X[15:26, 0])
    >>> model = BayesianRidge().fit(*pool.labeled_data())
    >>> sorted(ExpectedModelVarianceReduction().query(model, pool, 2).ids.tolist())  # the ends
    [0, 40]
    """

    who = "emvr"

    def _utility(self, before: np.ndarray, drop: np.ndarray) -> np.ndarray:
        return drop.mean(axis=0)


@register("kl_divergence")
class KLDivergenceMaximization(_LookAhead):
    """KL-divergence maximisation: how far a label at ``x`` moves the predictive distributions.

    ``score(x) = mean_z E_y KL(N(m1(z), s1(z)) || N(m0(z), s0(z)))`` over the evaluation set
    ``z`` (as emvr's), ``m`` and ``s`` the predictive means and variances before (0) and
    after (1) adding ``(x, y)`` with the hyperparameters fixed. ``target`` says what ``y`` is:

    * ``"expected"`` (default) — the expectation over ``y ~ p(y | x)`` in closed form; the
      mean moves by ``c(z, x) (y - m0(x)) / s(x)``, and the score is
      ``mean_z 0.5 log(s0(z) / s1(z))``, the expected information gain;
    * ``"prediction"`` — ``y = m0(x)``, the current prediction, as scikit-activeml's default
      (``integration_dict_target_val={"method": "assume_linear"}``): the means do not move
      and the score is ``mean_z [0.5 log(s0 / s1) + s1 / (2 s0) - 0.5]``.

    Needs what emvr needs, at the same cost.

    >>> import numpy as np
    >>> from sklearn.linear_model import BayesianRidge
    >>> from activelab import Pool
    >>> X = np.linspace(-1, 1, 41).reshape(-1, 1)
    >>> pool = Pool(X)
    >>> pool.add_labels(range(15, 26), 2 * X[15:26, 0])
    >>> model = BayesianRidge().fit(*pool.labeled_data())
    >>> sorted(KLDivergenceMaximization().query(model, pool, 2).ids.tolist())
    [0, 40]
    """

    who = "kl_divergence"

    def __init__(self, target: str = "expected", n_eval: int = DEFAULT_EVAL,
                 selector: Any = None) -> None:
        super().__init__(n_eval, selector)
        self.target = target

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        if self.target not in TARGETS:
            raise ActiveLabError(f"target must be one of {list(TARGETS)}; got {self.target!r}")
        return super().score(outputs, rng)

    def _utility(self, before: np.ndarray, drop: np.ndarray) -> np.ndarray:
        tiny = np.finfo(float).tiny
        before = np.maximum(before, tiny)
        after = np.maximum(before - drop, tiny)
        half_log_ratio = 0.5 * (np.log(before) - np.log(after))
        if self.target == "expected":
            return half_log_ratio.mean(axis=0)
        return (half_log_ratio + after / (2 * before) - 0.5).mean(axis=0)
