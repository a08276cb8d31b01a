"""Membership query synthesis: the learner builds new inputs and asks the oracle about them.

When the oracle can label *any* input (a simulator, an experiment, a black-box function),
the learner need not wait for a pool: it can construct the most informative point
itself. The parts:

* :class:`InputSpace` — where points may lie: bounds, integer and categorical features,
  and an optional validity check;
* oracles — any :class:`~activelab.oracles.Oracle`, asked with a
  :class:`~activelab.oracles.LabelRequest` holding the points, or a plain function
  ``f(x) -> label``: :class:`~activelab.oracles.function.FunctionOracle` wraps a Python
  callable (errors it raises name the point);
  :class:`~activelab.oracles.nearest.NearestItemOracle` is the human-facing fallback that
  asks about the real pool item nearest to each synthesised point (both now live in
  :mod:`activelab.oracles` and are re-exported here for one release);
* synthesisers — :class:`BoundaryBisection` (bisect between differently labeled points
  until the model is maximally uncertain, after Wang et al., 2015),
  :class:`ScoreOptimisation` (maximise a strategy's score within the bounds, with
  restarts), :class:`LatentSynthesis` (sample through a generative model fit on unlabeled
  data, as GAAL and BGADL do, without their training cost) and
  :class:`SynthesiseThenMatch` (query the real item nearest to a synthesised one);
* :class:`SynthesisLoop` — fit → synthesise → label → update, like
  :class:`~activelab.loop.ActiveLoop`, with ``run()`` or ``ask()`` / ``tell()``.

>>> import numpy as np
>>> from sklearn.svm import SVC
>>> from activelab.scenarios.synthesis import BoundaryBisection, InputSpace, SynthesisLoop
>>> space = InputSpace(lower=[0, 0], upper=[1, 1])
>>> loop = SynthesisLoop(SVC(C=100), BoundaryBisection(), lambda x: int(x[0] > 0.3),
...                      space, initial=6, random_state=0)
>>> history = loop.run(n_queries=20)
>>> loop.n_calls
26
>>> loop.model.predict([[0.2, 0.5], [0.4, 0.5]]).tolist()
[0, 1]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..errors import ActiveLabError
from ..oracles.asking import as_oracle, as_point_oracle, ask  # noqa: F401  (see below)
from ..oracles.base import LabelRequest
from ..oracles.function import FunctionOracle, PointAnswers, PointOracle  # noqa: F401
from ..oracles.nearest import NearestItemOracle, nearest_items
from ..registry import Registry
from ..training import can_fit
from ..validation import check_int, check_random_state, first_line

# FunctionOracle, NearestItemOracle, nearest_items, PointAnswers, PointOracle and
# as_point_oracle moved to activelab.oracles; their names here stay for one release.
__all__ = [
    "BoundaryBisection",
    "DecoderGenerator",
    "FunctionOracle",
    "GENERATORS",
    "GaussianMixtureGenerator",
    "Generator",
    "InputSpace",
    "LatentSynthesis",
    "NearestItemOracle",
    "PCAGenerator",
    "PointAnswers",
    "RandomInputs",
    "ScoreOptimisation",
    "SynthesisLoop",
    "SynthesisRecord",
    "SynthesiseThenMatch",
    "Synthesiser",
]


# --------------------------------------------------------------------------- space


class InputSpace:
    """Where synthesised points may lie.

    Parameters
    ----------
    lower, upper : array-like
        Bounds per feature; ``lower <= upper`` everywhere.
    integer : iterable of int
        Features that take whole numbers only.
    categorical : mapping of int to values
        Features that take one of a few numeric values (a category code, a dose level).
    valid : callable, optional
        ``valid(x) -> bool`` for one point: whether it is a meaningful input. Points it
        rejects are never proposed.

    >>> space = InputSpace([0, 0, 0], [10, 1, 1], integer=[0], categorical={2: [0, 0.5, 1]})
    >>> space.project([[3.6, 2.0, 0.4]]).tolist()
    [[4.0, 1.0, 0.5]]
    >>> InputSpace([1], [0])
    Traceback (most recent call last):
    ...
    activelab.errors.ActiveLabError: bounds of feature 0: lower 1.0 is above upper 0.0; swap them
    """

    def __init__(
        self,
        lower: Sequence[float] | np.ndarray,
        upper: Sequence[float] | np.ndarray,
        integer: Iterable[int] = (),
        categorical: Mapping[int, Sequence[float]] | None = None,
        valid: Callable[[np.ndarray], bool] | None = None,
    ) -> None:
        self.lower = np.atleast_1d(np.asarray(lower, dtype=float))
        self.upper = np.atleast_1d(np.asarray(upper, dtype=float))
        if self.lower.ndim != 1 or self.lower.shape != self.upper.shape:
            raise ActiveLabError(
                f"lower and upper need one bound per feature; got shapes {self.lower.shape} "
                f"and {self.upper.shape}"
            )
        if not (np.all(np.isfinite(self.lower)) and np.all(np.isfinite(self.upper))):
            raise ActiveLabError("bounds must be finite numbers; give every feature a lower and upper")
        inverted = np.flatnonzero(self.lower > self.upper)
        if len(inverted):
            j = int(inverted[0])
            raise ActiveLabError(
                f"bounds of feature {j}: lower {self.lower[j]} is above upper {self.upper[j]}; "
                "swap them"
            )
        d = len(self.lower)
        self.integer = sorted({self._feature(j, "integer") for j in integer})
        self.categorical = {}
        for j, values in (categorical or {}).items():
            levels = np.unique(np.asarray(values, dtype=float))
            if len(levels) == 0:
                raise ActiveLabError(f"categorical feature {j} has no allowed values")
            self.categorical[self._feature(j, "categorical")] = levels
        for j in self.integer:
            if np.ceil(self.lower[j]) > np.floor(self.upper[j]):
                raise ActiveLabError(
                    f"integer feature {j} has no whole number between {self.lower[j]} and "
                    f"{self.upper[j]}"
                )
        if valid is not None and not callable(valid):
            raise ActiveLabError("valid must be a function valid(x) -> bool")
        self.valid = valid
        self.n_features = d

    def _feature(self, j: Any, kind: str) -> int:
        if isinstance(j, bool) or not isinstance(j, (int, np.integer)) or not 0 <= j < len(self.lower):
            raise ActiveLabError(
                f"{kind} feature {j!r} is not a feature position 0..{len(self.lower) - 1}"
            )
        return int(j)

    def check(self, X: Any) -> np.ndarray:
        """``X`` as a float matrix with this space's number of features, or a one-line error."""
        X = np.asarray(X, dtype=float)
        if X.ndim == 1:
            X = X.reshape(1, -1)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ActiveLabError(
                f"points must have {self.n_features} features; got shape {X.shape}"
            )
        return X

    def project(self, X: Any) -> np.ndarray:
        """The nearest points that respect the bounds, integer and categorical features."""
        X = np.clip(self.check(X), self.lower, self.upper)
        for j in self.integer:
            X[:, j] = np.clip(np.round(X[:, j]), np.ceil(self.lower[j]), np.floor(self.upper[j]))
        for j, levels in self.categorical.items():
            nearest = np.abs(X[:, j][:, None] - levels[None, :]).argmin(axis=1)
            X[:, j] = levels[nearest]
        return X

    def is_valid(self, X: Any) -> np.ndarray:
        """Whether each point passes the validity check (all do without one)."""
        X = self.check(X)
        if self.valid is None:
            return np.ones(len(X), dtype=bool)
        try:
            return np.array([bool(self.valid(x)) for x in X], dtype=bool)
        except Exception as err:
            raise ActiveLabError(f"the validity check failed: {first_line(err)}") from err

    def sample(self, n: int, rng: np.random.Generator, max_tries: int = 100) -> np.ndarray:
        """``n`` valid points drawn uniformly within the bounds (then projected)."""
        kept: list[np.ndarray] = []
        found = 0
        for _ in range(max_tries):
            X = self.project(rng.uniform(self.lower, self.upper, (max(n, 16), self.n_features)))
            X = X[self.is_valid(X)]
            kept.append(X)
            found += len(X)
            if found >= n:
                return np.vstack(kept)[:n]
        raise ActiveLabError(
            f"only {found} of {max_tries * max(n, 16)} random points passed the validity check; "
            "loosen it or narrow the bounds around the valid region"
        )

    def filter(self, X: np.ndarray) -> np.ndarray:
        """``X`` projected, without the points the validity check rejects."""
        X = self.project(X)
        return X[self.is_valid(X)]


# --------------------------------------------------------------------------- scores


def strategy_scores(strategy: Any, model: Any, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A strategy's per-item scores on arbitrary points (higher = more informative).

    ``strategy`` is a registered scoring strategy's name (``"margin"``, ``"entropy"``...),
    a :class:`~activelab.strategies.base.ScoringStrategy`, or a callable
    ``score(model, X) -> scores``.
    """
    if callable(strategy) and not hasattr(strategy, "score"):
        try:
            return np.asarray(strategy(model, X), dtype=float).ravel()
        except Exception as err:
            raise ActiveLabError(f"the score function failed: {first_line(err)}") from err
    from .. import strategies
    from ..outputs import ModelOutputs
    from ..pool import Pool

    scorer = strategies.get(strategy) if isinstance(strategy, str) else strategy
    if not callable(getattr(scorer, "score", None)):
        raise ActiveLabError(
            f"{type(scorer).__name__} scores no single item; use a scoring strategy such "
            "as 'margin' or 'entropy', or a function score(model, X)"
        )
    pool = Pool(X)
    return np.asarray(scorer.score(ModelOutputs(model, pool), rng), dtype=float)


# --------------------------------------------------------------------------- synthesisers


class Synthesiser:
    """Proposes new points to label.

    :meth:`propose` gets the fitted model, the labeled points so far, the input space, how
    many points to make and a random generator; it returns an ``(n, d)`` array of points
    inside the space. :meth:`fit` sees the unlabeled data once, for synthesisers that
    learn from it (a generative model); the others ignore it.
    """

    def fit(self, X_unlabeled: np.ndarray) -> Synthesiser:
        return self

    def propose(
        self, model: Any, X: np.ndarray, y: np.ndarray, space: InputSpace, n: int,
        rng: np.random.Generator,
    ) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({params})"


def _new_points(X: np.ndarray, known: np.ndarray, n: int) -> np.ndarray:
    """The first ``n`` rows of ``X`` that are neither in ``known`` nor repeated."""
    seen = {row.tobytes() for row in known}
    kept = []
    for row in X:
        key = row.tobytes()
        if key not in seen:
            seen.add(key)
            kept.append(row)
        if len(kept) == n:
            break
    return np.asarray(kept).reshape(-1, X.shape[1])


class RandomInputs(Synthesiser):
    """Uniform random valid inputs: the baseline every synthesiser should beat."""

    def propose(self, model, X, y, space, n, rng):
        return space.sample(n, rng)


class BoundaryBisection(Synthesiser):
    """Bisect between differently labeled points until the model is maximally uncertain.

    It draws ``n_pairs`` random pairs of labeled points with different labels, and as many
    pairs of random inputs that the model puts in different classes. Along each
    segment it finds where the model's prediction first changes from the first point's
    label (a scan of 8 steps, then ``n_steps`` bisections) — a point on the model's
    decision boundary, where it is least sure between the two classes. When the model
    predicts one class along a whole segment (it contradicts the labels), the midpoint
    stands in, since the true boundary lies between the two. Of these boundary points it
    proposes the ones farthest from every labeled point (greedily, for a batch), so the
    queries spread along the boundary instead of piling up on one spot. After Wang et al.
    (2015), with the model standing in for the oracle during the search, so each proposal
    costs one oracle call.
    """

    def __init__(self, n_pairs: int = 32, n_steps: int = 12) -> None:
        self.n_pairs = n_pairs
        self.n_steps = n_steps

    def propose(self, model, X, y, space, n, rng):
        if len(np.unique(y)) < 2:
            return space.sample(n, rng)
        m = check_int(self.n_pairs, "n_pairs")
        A, B, labels = _opposite_pairs(X, y, m, rng)
        # Pairs of random inputs the model puts in different classes reach every part of
        # its boundary, not only the part between the points labeled so far.
        randoms = space.sample(2 * m, rng)
        predicted = np.asarray(model.predict(randoms))
        if len(np.unique(predicted)) > 1:
            A2, B2, labels2 = _opposite_pairs(randoms, predicted, m, rng)
            A, B, labels = np.vstack([A, A2]), np.vstack([B, B2]), np.concatenate([labels, labels2])
        points = self._bisect(model, A, B, labels)
        candidates = space.filter(points)
        span = np.where(space.upper > space.lower, space.upper - space.lower, 1.0)
        chosen: list[np.ndarray] = []
        known = X
        for _ in range(n):
            candidates = _new_points(candidates, known, len(candidates))
            if len(candidates) == 0:
                break
            best = int(np.argmax(_distance_to(candidates, known, span)))
            chosen.append(candidates[best])
            known = np.vstack([known, candidates[best]])
        if len(chosen) < n:
            chosen.extend(space.sample(n - len(chosen), rng))
        return np.asarray(chosen)

    def _bisect(self, model: Any, A: np.ndarray, B: np.ndarray, labels: np.ndarray) -> np.ndarray:
        m, d = A.shape
        t = np.linspace(0, 1, 9)
        along = A[:, None, :] + t[None, :, None] * (B - A)[:, None, :]
        predicted = np.asarray(model.predict(along.reshape(-1, d))).reshape(m, len(t))
        changed = predicted != labels[:, None]
        first_change = np.where(changed.any(axis=1), changed.argmax(axis=1), 0)
        lo = t[np.maximum(first_change - 1, 0)]
        hi = t[first_change]
        for _ in range(check_int(self.n_steps, "n_steps")):
            mid = (lo + hi) / 2
            same = np.asarray(model.predict(A + mid[:, None] * (B - A))) == labels
            lo = np.where(same, mid, lo)
            hi = np.where(same, hi, mid)
        where = np.where(first_change > 0, (lo + hi) / 2, 0.5)
        return A + where[:, None] * (B - A)


def _opposite_pairs(X: np.ndarray, y: np.ndarray, m: int, rng: np.random.Generator
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``m`` random pairs of rows with different labels: first rows, second rows, first labels."""
    first = rng.integers(len(X), size=m)
    second = np.empty(m, dtype=int)
    for i, a in enumerate(first):
        others = np.flatnonzero(y != y[a])
        second[i] = others[rng.integers(len(others))]
    return X[first], X[second], y[first]


class ScoreOptimisation(Synthesiser):
    """Maximise a strategy's score over the input space, within the bounds, with restarts.

    ``n_restarts`` random starts are each improved by L-BFGS-B (finite-difference
    gradients, ``maxiter`` iterations) on ``strategy``'s score (a registered scoring
    strategy's name, a ScoringStrategy, or ``score(model, X)``). Among the best optima
    (within ``tolerance`` of the top score) the ones farthest from the labeled points are
    proposed, so points spread along a flat ridge such as a decision boundary.
    """

    def __init__(self, strategy: Any = "margin", n_restarts: int = 8, maxiter: int = 30,
                 tolerance: float = 1e-3) -> None:
        self.strategy = strategy
        self.n_restarts = n_restarts
        self.maxiter = maxiter
        self.tolerance = tolerance

    def propose(self, model, X, y, space, n, rng):
        from scipy.optimize import minimize

        if len(np.unique(y)) < 2:
            return space.sample(n, rng)
        span = np.where(space.upper > space.lower, space.upper - space.lower, 1.0)
        step = 1e-4 * span

        def negative_score(x: np.ndarray) -> tuple[float, np.ndarray]:
            batch = np.vstack([x, x + np.diag(step)])
            scores = strategy_scores(self.strategy, model, batch, rng)
            return -scores[0], -(scores[1:] - scores[0]) / step

        starts = space.sample(check_int(self.n_restarts, "n_restarts"), rng)
        optima = []
        for start in starts:
            result = minimize(negative_score, start, jac=True, method="L-BFGS-B",
                              bounds=list(zip(space.lower, space.upper)),
                              options={"maxiter": check_int(self.maxiter, "maxiter")})
            optima.append(result.x)
        candidates = space.filter(np.vstack([np.asarray(optima), starts]))
        candidates = _new_points(candidates, X, len(candidates))
        if len(candidates) == 0:
            return space.sample(n, rng)
        scores = strategy_scores(self.strategy, model, candidates, rng)
        best = scores >= scores.max() - self.tolerance * max(abs(scores.max()), 1.0)
        distance = _distance_to(candidates, X, span)
        order = np.lexsort((-distance, ~best))
        chosen = candidates[order[:n]]
        if len(chosen) < n:
            chosen = np.vstack([chosen, space.sample(n - len(chosen), rng)])
        return chosen


def _distance_to(candidates: np.ndarray, X: np.ndarray, span: np.ndarray) -> np.ndarray:
    """Each candidate's distance to its nearest labeled point, in units of the bounds."""
    a, b = candidates / span, X / span
    squared = (a**2).sum(1)[:, None] - 2 * a @ b.T + (b**2).sum(1)[None, :]
    return np.sqrt(np.maximum(squared.min(axis=1), 0.0))


@runtime_checkable
class Generator(Protocol):
    """A generative model of the inputs: ``fit(X)`` on unlabeled data, then ``sample(n, rng)``."""

    def fit(self, X: np.ndarray) -> Any: ...

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray: ...


class GaussianMixtureGenerator:
    """A Gaussian mixture fit on the unlabeled data (the default generator)."""

    def __init__(self, n_components: int = 5, random_state: int = 0) -> None:
        self.n_components = n_components
        self.random_state = random_state

    def fit(self, X: np.ndarray) -> GaussianMixtureGenerator:
        from sklearn.mixture import GaussianMixture

        k = min(check_int(self.n_components, "n_components"), len(X))
        self.mixture_ = GaussianMixture(k, random_state=self.random_state).fit(X)
        return self

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        m = self.mixture_
        component = rng.choice(len(m.weights_), size=n, p=m.weights_)
        noise = rng.standard_normal((n, m.means_.shape[1]))
        chol = np.linalg.cholesky(m.covariances_)
        return m.means_[component] + np.einsum("nij,nj->ni", chol[component], noise)


class PCAGenerator:
    """PCA as an encoder/decoder: Gaussian codes in the top ``n_components`` directions, decoded."""

    def __init__(self, n_components: int = 2) -> None:
        self.n_components = n_components

    def fit(self, X: np.ndarray) -> PCAGenerator:
        from sklearn.decomposition import PCA

        k = min(check_int(self.n_components, "n_components"), X.shape[1], len(X))
        self.pca_ = PCA(k).fit(X)
        self.scale_ = np.sqrt(self.pca_.explained_variance_)
        return self

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        codes = rng.standard_normal((n, len(self.scale_))) * self.scale_
        return self.pca_.inverse_transform(codes)


class DecoderGenerator:
    """A user's decoder (a VAE's or a GAN's generator): ``decode(Z) -> X`` from ``Z ~ N(0, I)``.

    The decoder is already trained, so :meth:`fit` does nothing. A torch module plugs in
    through a small function that converts arrays, e.g.
    ``DecoderGenerator(lambda z: vae.decode(torch.as_tensor(z)).detach().numpy(), 16)``.
    """

    def __init__(self, decode: Callable[[np.ndarray], Any], latent_dim: int) -> None:
        if not callable(decode):
            raise ActiveLabError("decode must be a function decode(Z) -> X")
        self.decode = decode
        self.latent_dim = latent_dim

    def fit(self, X: np.ndarray) -> DecoderGenerator:
        return self

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        Z = rng.standard_normal((n, check_int(self.latent_dim, "latent_dim")))
        try:
            return np.asarray(self.decode(Z), dtype=float).reshape(n, -1)
        except Exception as err:
            raise ActiveLabError(f"the decoder failed: {first_line(err)}") from err


#: The generators :class:`LatentSynthesis` knows by name.
GENERATORS: Registry[type] = Registry(
    "generator", note="or an object with fit(X) and sample(n, rng)")
GENERATORS.add("gmm", GaussianMixtureGenerator)
GENERATORS.add("pca", PCAGenerator)


class LatentSynthesis(Synthesiser):
    """Sample candidates through a generative model of the unlabeled data; propose the best.

    ``generator`` is ``"gmm"`` (a Gaussian mixture, the default), ``"pca"``, or any object
    with ``fit(X)`` and ``sample(n, rng)`` (see :class:`DecoderGenerator` for a VAE or GAN
    decoder). Each proposal draws ``n_candidates`` samples, keeps the valid ones, scores
    them with ``strategy`` and proposes the top ones: informative points that look like
    the data (GAAL, 2017; BGADL, 2019), without training a generator per query.
    :meth:`fit` must see the unlabeled data first.
    """

    def __init__(self, generator: Any = "gmm", strategy: Any = "margin",
                 n_candidates: int = 500) -> None:
        self.generator = generator
        self.strategy = strategy
        self.n_candidates = n_candidates

    def fit(self, X_unlabeled: np.ndarray) -> LatentSynthesis:
        X_unlabeled = np.asarray(X_unlabeled, dtype=float)
        if X_unlabeled.ndim != 2 or len(X_unlabeled) < 2:
            raise ActiveLabError("LatentSynthesis.fit needs at least two unlabeled rows (2-D)")
        if isinstance(self.generator, str):
            self.generator_ = GENERATORS.lookup(self.generator)()
        elif isinstance(self.generator, Generator):
            self.generator_ = self.generator
        else:
            raise ActiveLabError("generator must be 'gmm', 'pca' or have fit(X) and sample(n, rng)")
        try:
            self.generator_.fit(X_unlabeled)
        except ActiveLabError:
            raise
        except Exception as err:
            raise ActiveLabError(f"the generator could not fit the data: {first_line(err)}") from err
        return self

    def propose(self, model, X, y, space, n, rng):
        if not hasattr(self, "generator_"):
            raise ActiveLabError("call LatentSynthesis.fit(X_unlabeled) before proposing")
        candidates = space.filter(self.generator_.sample(check_int(self.n_candidates,
                                                                   "n_candidates"), rng))
        candidates = _new_points(candidates, X, len(candidates))
        if len(candidates) == 0 or len(np.unique(y)) < 2:
            return candidates[:n] if len(candidates) >= n else space.sample(n, rng)
        scores = strategy_scores(self.strategy, model, candidates, rng)
        order = np.argsort(-scores, kind="stable")
        chosen = candidates[order[:n]]
        if len(chosen) < n:
            chosen = np.vstack([chosen, space.sample(n - len(chosen), rng)])
        return chosen


class SynthesiseThenMatch(Synthesiser):
    """Synthesise with ``synthesiser``, then propose the nearest real item not yet proposed.

    The learner still steers by synthesis, but every query is a real record from
    ``items``, which people can label and which is a valid input by construction.
    ``matched`` lists the positions in ``items`` proposed so far.
    """

    def __init__(self, synthesiser: Synthesiser, items: Any) -> None:
        self.synthesiser = synthesiser
        self.items = np.asarray(items, dtype=float)
        if self.items.ndim != 2 or len(self.items) == 0:
            raise ActiveLabError("items must be a non-empty 2-D array of real items")
        self.matched: list[int] = []

    def fit(self, X_unlabeled: np.ndarray) -> SynthesiseThenMatch:
        self.synthesiser.fit(X_unlabeled)
        return self

    def propose(self, model, X, y, space, n, rng):
        points = self.synthesiser.propose(model, X, y, space, n, rng)
        positions = nearest_items(self.items, points, exclude=self.matched)
        self.matched.extend(positions.tolist())
        return self.items[positions]


# --------------------------------------------------------------------------- loop


@dataclass
class SynthesisRecord:
    """One step: the model fit on ``n_calls`` oracle answers, its scores, what it asked next."""

    n_calls: int
    metrics: dict[str, float]
    model_fitted: bool
    asked: list[list[float]] = field(default_factory=list)


class SynthesisLoop:
    """fit → synthesise → label → update, until the oracle-call budget is spent.

    Parameters
    ----------
    model : estimator
        A scikit-learn-style classifier; fit in place on every labeled point.
    synthesiser : Synthesiser
        Proposes the points to label.
    oracle : callable or oracle
        ``f(x) -> label`` (wrapped in :class:`FunctionOracle`), or an oracle whose
        ``label(request)`` answers about ``request.points``, such as
        :class:`NearestItemOracle`; its answers' ``points`` are what the model learns.
    space : InputSpace
        Where points may lie.
    initial : int
        Random points labeled before the first synthesis (more are drawn, one at a time,
        until two classes are seen).
    batch_size : int
        Points synthesised per step.
    unlabeled : array, optional
        Unlabeled data for synthesisers that learn from it (:class:`LatentSynthesis`).
    eval_set : (X, y), optional
        Scored (accuracy) after every fit.
    random_state : int, Generator or None
    """

    def __init__(
        self,
        model: Any,
        synthesiser: Synthesiser,
        oracle: Any,
        space: InputSpace,
        *,
        initial: int = 4,
        batch_size: int = 1,
        unlabeled: Any = None,
        eval_set: tuple[Any, Any] | None = None,
        random_state: Any = None,
    ) -> None:
        if not callable(getattr(model, "fit", None)) or not callable(getattr(model, "predict", None)):
            raise ActiveLabError("model must have fit(X, y) and predict(X), like a scikit-learn classifier")
        if not isinstance(synthesiser, Synthesiser):
            raise ActiveLabError(
                f"synthesiser must be an activelab Synthesiser (BoundaryBisection(), ...); "
                f"got {type(synthesiser).__name__}"
            )
        if not isinstance(space, InputSpace):
            raise ActiveLabError(f"space must be an InputSpace; got {type(space).__name__}")
        self.model = model
        self.synthesiser = synthesiser
        self.oracle = as_oracle(oracle, functions=True)
        self.space = space
        self.initial = check_int(initial, "initial", minimum=0)
        self.batch_size = check_int(batch_size, "batch_size")
        self.eval_set = eval_set
        self.rng = check_random_state(random_state)
        self.X = np.zeros((0, space.n_features))
        self.y = np.zeros(0)
        self.n_calls = 0
        self.fitted = False
        self.history: list[SynthesisRecord] = []
        if unlabeled is not None:
            synthesiser.fit(space.check(unlabeled))

    def ask(self, n: int | None = None) -> np.ndarray:
        """The next points to label: random ones until two classes are known, then synthesised."""
        n = self.batch_size if n is None else check_int(n, "n")
        if len(self.y) < self.initial:
            return self.space.sample(min(n, self.initial - len(self.y)), self.rng)
        if not self.fitted:
            return self.space.sample(1, self.rng)
        return self.space.check(self.synthesiser.propose(
            self.model, self.X, self.y, self.space, n, self.rng))

    def tell(self, X: Any, labels: Any) -> SynthesisRecord:
        """Add labeled points, refit, score; returns the step's record."""
        X = self.space.check(X)
        labels = np.asarray(labels)
        if len(labels) != len(X):
            raise ActiveLabError(f"tell got {len(X)} points but {len(labels)} labels")
        self.X = np.vstack([self.X, X])
        self.y = np.concatenate([self.y.astype(labels.dtype) if len(self.y) == 0 else self.y,
                                 labels])
        if can_fit(self.model, self.y):
            try:
                self.model.fit(self.X, self.y)
            except Exception as err:
                raise ActiveLabError(f"the model could not be fit: {first_line(err)}") from err
            self.fitted = True
        metrics = {}
        if self.fitted and self.eval_set is not None:
            X_eval, y_eval = self.eval_set
            metrics["accuracy"] = float(np.mean(self.model.predict(X_eval) == np.asarray(y_eval)))
        record = SynthesisRecord(self.n_calls, metrics, self.fitted, X.tolist())
        self.history.append(record)
        return record

    def step(self, n: int | None = None) -> SynthesisRecord:
        """Ask, label through the oracle, tell."""
        points = self.ask(n)
        answers = ask(self.oracle, LabelRequest.for_points(points), functions=True)
        self.n_calls += len(points)
        return self.tell(answers.points, answers.labels)

    def run(self, n_queries: int, target: float | None = None) -> list[SynthesisRecord]:
        """Spend ``n_queries`` oracle calls after the initial ones (or stop at ``target`` accuracy)."""
        n_queries = check_int(n_queries, "n_queries", minimum=0)
        if target is not None and self.eval_set is None:
            raise ActiveLabError("a target accuracy needs an eval_set to measure it on")
        budget = self.n_calls + n_queries + max(self.initial - len(self.y), 0)
        while self.n_calls < budget:
            record = self.step(min(self.batch_size, budget - self.n_calls))
            if target is not None and record.metrics.get("accuracy", -1.0) >= target:
                break
        return self.history
