"""Bayesian optimisation: find the best input of a black box in few calls, with a Gaussian process.

The synthesis scenario (:mod:`activelab.scenarios.synthesis`) asks a black box about
points it builds inside an :class:`~activelab.scenarios.space.InputSpace`; to *learn* the
box, it asks where the model is unsure. To *optimise* the box, ask where the best value
is likely: fit a ``GaussianProcessRegressor`` to the values seen, and maximise an
acquisition of its predictive mean ``mu`` and standard deviation ``sigma`` (modAL's
``max_PI``, ``max_EI`` and ``max_UCB``). With ``f*`` the best value so far:

* **pi** — probability of improvement (Kushner, 1964): ``Phi((mu - f* - xi) / sigma)``;
* **ei** — expected improvement (Mockus, 1978; Jones, Schonlau & Welch, 1998):
  ``(mu - f* - xi) Phi(z) + sigma phi(z)``, ``z = (mu - f* - xi) / sigma``;
* **ucb** — upper confidence bound (Srinivas, Krause, Kakade & Seeger, 2010):
  ``mu + kappa sigma``.

:class:`BayesianOptimisation` is a :class:`~activelab.scenarios.synthesisers.Synthesiser`:
in a :class:`~activelab.scenarios.synthesis.SynthesisLoop` with a GP as the model and the
black box as the oracle, every query maximises the acquisition within the space's bounds.
:func:`maximize` and :func:`minimize` run that loop for a function.

>>> import numpy as np
>>> from activelab.optimize import minimize
>>> from activelab.scenarios.space import InputSpace
>>> result = minimize(lambda x: (x[0] - 0.3) ** 2, InputSpace([0], [1]), n_calls=10,
...                   random_state=0)
>>> bool(abs(result.x[0] - 0.3) < 0.05)
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import ActiveLabError
from .registry import Registry
from .scenarios.space import InputSpace
from .scenarios.synthesisers import Synthesiser, _new_points
from .validation import check_int, first_line

__all__ = [
    "ACQUISITIONS",
    "BayesianOptimisation",
    "OptimizationResult",
    "default_gp",
    "expected_improvement",
    "maximize",
    "minimize",
    "probability_of_improvement",
    "upper_confidence_bound",
]


def _z(mean: np.ndarray, std: np.ndarray, best: float, xi: float) -> tuple[np.ndarray, np.ndarray]:
    gain = np.asarray(mean, dtype=float) - best - xi
    std = np.asarray(std, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(std > 0, gain / np.where(std > 0, std, 1.0), np.sign(gain) * np.inf)
    return gain, z


def probability_of_improvement(mean: Any, std: Any, best: float, xi: float = 0.01) -> np.ndarray:
    """``Phi((mean - best - xi) / std)``; with ``std = 0``, 1 where ``mean > best + xi``, else 0."""
    from scipy.stats import norm

    _, z = _z(mean, std, best, xi)
    return norm.cdf(z)


def expected_improvement(mean: Any, std: Any, best: float, xi: float = 0.01) -> np.ndarray:
    """``E[max(Y - best - xi, 0)]`` for ``Y ~ N(mean, std^2)``: ``g Phi(g/std) + std phi(g/std)``."""
    from scipy.stats import norm

    gain, z = _z(mean, std, best, xi)
    std = np.asarray(std, dtype=float)
    finite = np.isfinite(z)
    safe = np.where(finite, z, 0.0)
    value = gain * norm.cdf(safe) + std * norm.pdf(safe)
    return np.where(finite, value, np.maximum(gain, 0.0))


def upper_confidence_bound(mean: Any, std: Any, best: float = 0.0, kappa: float = 2.0) -> np.ndarray:
    """``mean + kappa * std`` (``best`` is ignored; it is there so every acquisition reads alike)."""
    return np.asarray(mean, dtype=float) + kappa * np.asarray(std, dtype=float)


#: name -> acquisition(mean, std, best, parameter) (the parameter is xi, or kappa for ucb)
ACQUISITIONS: Registry[Callable[..., np.ndarray]] = Registry("acquisition", sort=False)
ACQUISITIONS.add("ei", expected_improvement, aliases=["expected_improvement"])
ACQUISITIONS.add("pi", probability_of_improvement, aliases=["probability_of_improvement"])
ACQUISITIONS.add("ucb", upper_confidence_bound, aliases=["upper_confidence_bound"])


def default_gp(space: InputSpace, random_state: int = 0) -> Any:
    """A GP for Bayesian optimisation over ``space``: constant x Matern 5/2, normalised values.

    The length scale starts at a fifth of the mean width of the bounds and may range from
    a thousandth to a thousand widths; a small fitted noise term keeps the fit stable.
    """
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    width = float(np.mean(np.where(space.upper > space.lower, space.upper - space.lower, 1.0)))
    kernel = ConstantKernel(1.0, (1e-3, 1e3)) * Matern(
        length_scale=0.2 * width, length_scale_bounds=(1e-3 * width, 1e3 * width), nu=2.5
    ) + WhiteKernel(1e-6, (1e-10, 1e-1))
    return GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=1,
                                    random_state=random_state)


class BayesianOptimisation(Synthesiser):
    """Propose the points that maximise an acquisition of a GP's prediction.

    Parameters
    ----------
    acquisition : "ei", "pi", "ucb" or callable
        A name from :data:`ACQUISITIONS`, or ``f(mean, std, best) -> scores``.
    xi : float
        The improvement ``ei`` and ``pi`` demand beyond the best value (exploration).
    kappa : float
        ``ucb``'s weight on the standard deviation.
    n_candidates : int
        Uniform valid points scored first; the best ``n_restarts`` start L-BFGS-B.
    n_restarts, maxiter : int
        The local searches (finite-difference gradients), within the bounds.

    The model must predict ``(mean, std)`` with ``predict(X, return_std=True)``
    (a ``GaussianProcessRegressor``). Labels are maximised; :func:`minimize` negates them.
    """

    def __init__(self, acquisition: Any = "ei", xi: float = 0.01, kappa: float = 2.0,
                 n_candidates: int = 1000, n_restarts: int = 5, maxiter: int = 50) -> None:
        self.acquisition = acquisition
        self.xi = xi
        self.kappa = kappa
        self.n_candidates = n_candidates
        self.n_restarts = n_restarts
        self.maxiter = maxiter

    def scores(self, model: Any, X: np.ndarray, best: float) -> np.ndarray:
        """The acquisition at the rows of ``X``, given the best value seen."""
        try:
            mean, std = model.predict(X, return_std=True)
        except TypeError as err:
            raise ActiveLabError(
                f"Bayesian optimisation needs a model whose predict(X, return_std=True) gives "
                f"a mean and a standard deviation (a GaussianProcessRegressor); "
                f"{type(model).__name__} failed: {first_line(err)}"
            ) from err
        mean, std = np.ravel(mean), np.ravel(std)
        if callable(self.acquisition):
            return np.asarray(self.acquisition(mean, std, best), dtype=float).ravel()
        name = ACQUISITIONS.canonical(self.acquisition)
        parameter = self.kappa if name == "ucb" else self.xi
        return ACQUISITIONS.lookup(name)(mean, std, best, parameter)

    def propose(self, model, X, y, space, n, rng):
        from scipy.optimize import minimize as local_search

        best = float(np.max(y))
        candidates = space.sample(check_int(self.n_candidates, "n_candidates"), rng)
        first = self.scores(model, candidates, best)
        starts = candidates[np.argsort(-first, kind="stable")[:check_int(self.n_restarts, "n_restarts")]]
        span = np.where(space.upper > space.lower, space.upper - space.lower, 1.0)
        step = 1e-6 * span

        def negative(x: np.ndarray) -> tuple[float, np.ndarray]:
            values = self.scores(model, np.vstack([x, x + np.diag(step)]), best)
            return -values[0], -(values[1:] - values[0]) / step

        optima = [local_search(negative, start, jac=True, method="L-BFGS-B",
                               bounds=list(zip(space.lower, space.upper)),
                               options={"maxiter": check_int(self.maxiter, "maxiter")}).x
                  for start in starts]
        pooled = space.filter(space.project(np.vstack([np.asarray(optima), candidates])))
        pooled = _new_points(pooled, np.asarray(X, dtype=float), len(pooled))
        if len(pooled) == 0:
            return space.sample(n, rng)
        order = np.argsort(-self.scores(model, pooled, best), kind="stable")
        return pooled[order[:n]]


@dataclass
class OptimizationResult:
    """The best point found, its value, and every point asked with its value, in order."""

    x: np.ndarray
    value: float
    X: np.ndarray
    values: np.ndarray

    def best_so_far(self, minimise: bool = False) -> np.ndarray:
        """The best value after each call (the running maximum, or minimum)."""
        return (np.minimum if minimise else np.maximum).accumulate(self.values)


def maximize(
    func: Callable[[np.ndarray], float], space: InputSpace, n_calls: int = 30, *,
    acquisition: Any = "ei", initial: int = 5, model: Any = None, random_state: Any = None,
    **params: Any,
) -> OptimizationResult:
    """Maximise ``func(x)`` over ``space`` in ``n_calls`` calls (``initial`` of them random).

    ``model`` defaults to :func:`default_gp`; ``params`` go to :class:`BayesianOptimisation`.
    """
    from .scenarios.synthesis import SynthesisLoop

    n_calls = check_int(n_calls, "n_calls")
    initial = check_int(initial, "initial", minimum=1)
    if initial >= n_calls:
        raise ActiveLabError(f"n_calls ({n_calls}) must exceed the random initial calls ({initial})")
    seed = random_state if isinstance(random_state, (int, np.integer)) else 0
    model = default_gp(space, int(seed)) if model is None else model
    loop = SynthesisLoop(model, BayesianOptimisation(acquisition, **params),
                         lambda x: float(func(x)), space, initial=initial,
                         random_state=random_state)
    loop.run(n_calls - initial)
    values = np.asarray(loop.y, dtype=float)
    best = int(np.argmax(values))
    return OptimizationResult(loop.X[best].copy(), float(values[best]), loop.X, values)


def minimize(
    func: Callable[[np.ndarray], float], space: InputSpace, n_calls: int = 30, **kwargs: Any
) -> OptimizationResult:
    """Minimise ``func(x)`` over ``space``: :func:`maximize` of ``-func``, values given back as ``func``'s."""
    result = maximize(lambda x: -float(func(x)), space, n_calls, **kwargs)
    return OptimizationResult(result.x, -result.value, result.X, -result.values)
