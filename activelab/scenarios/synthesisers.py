"""Synthesisers: they build the points a :class:`~activelab.scenarios.synthesis.SynthesisLoop` asks about.

* :class:`RandomInputs` — uniform random valid inputs, the baseline;
* :class:`BoundaryBisection` — bisect between differently labeled points until the model
  is maximally uncertain (after Wang et al., 2015);
* :class:`ScoreOptimisation` — maximise a strategy's score within the bounds, with restarts;
* :class:`LatentSynthesis` — sample through a generative model of the unlabeled data
  (:class:`GaussianMixtureGenerator`, :class:`PCAGenerator`, :class:`DecoderGenerator`),
  as GAAL and BGADL do, without their training cost.

:class:`~activelab.scenarios.synthesis.SynthesiseThenMatch`, which matches each
synthesised point to a real item, lives beside the oracles that share its matching.

>>> import numpy as np
>>> from activelab.scenarios.space import InputSpace
>>> from activelab.scenarios.synthesisers import RandomInputs
>>> RandomInputs().propose(None, None, None, InputSpace([0], [1]), 3, np.random.default_rng(0)).shape
(3, 1)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..errors import ActiveLabError
from ..registry import Registry
from ..validation import check_int, first_line
from .space import InputSpace

__all__ = [
    "GENERATORS",
    "BoundaryBisection",
    "DecoderGenerator",
    "GaussianMixtureGenerator",
    "Generator",
    "LatentSynthesis",
    "PCAGenerator",
    "RandomInputs",
    "ScoreOptimisation",
    "Synthesiser",
    "strategy_scores",
]


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
