"""GAAL-style synthesis: search a trained generator's latent space for the most informative input.

Zhu & Bento (2017) synthesise each query by optimising a GAN's latent code until the
decoded image is the one the classifier is least sure about. :class:`LatentSearch` does
that through any generator with ``encode(X)`` and ``decode(Z)``, by default a
:class:`~activelab.models.vae.VAE` trained on the unlabeled pool:

* it starts from the codes of the pool items the strategy scores highest;
* it climbs the strategy's score by gradient ascent through the decoder when the model is
  a torch model with ``proba_tensor`` (:class:`~activelab.models.TorchClassifier`) and the
  strategy is ``margin``, ``entropy`` or ``least_confidence``; otherwise by a
  derivative-free (1+λ) evolution strategy, which needs only ``predict_proba``;
* a **realism guard** keeps every code within ``radius`` of the nearest encoded pool item
  (:class:`LatentGuard`), so a query stays near the data the generator has seen and looks
  like it (``radius=None`` switches it off);
* the oracle labels the decoded input.

>>> import numpy as np
>>> codes = np.array([[0.0, 0.0], [4.0, 0.0]])
>>> LatentGuard(codes, radius=1.0).project(np.array([[0.0, 3.0], [3.5, 0.0]])).tolist()
[[0.0, 1.0], [3.5, 0.0]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..augmentation import latent_codec
from ..errors import ActiveLabError
from ..validation import check_int, first_line
from .space import InputSpace
from .synthesisers import Synthesiser, strategy_scores

__all__ = ["DIFFERENTIABLE_SCORES", "LatentGuard", "LatentSearch", "nearest_code_distance"]

#: The strategies whose score :class:`LatentSearch` can differentiate through a torch model.
DIFFERENTIABLE_SCORES = ("margin", "entropy", "least_confidence")


def nearest_code_distance(Z: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each row of ``Z``: the position of the nearest row of ``codes`` and the distance to it."""
    squared = (Z**2).sum(1)[:, None] - 2 * Z @ codes.T + (codes**2).sum(1)[None, :]
    nearest = squared.argmin(axis=1)
    return nearest, np.sqrt(np.maximum(squared[np.arange(len(Z)), nearest], 0.0))


class LatentGuard:
    """The realism guard: codes may lie at most ``radius`` from the nearest encoded pool item.

    :meth:`project` moves a code that strays further back onto the ball around its nearest
    pool code (the nearest point of the union of the balls); ``radius=None`` lets every
    code through.
    """

    def __init__(self, codes: np.ndarray, radius: float | None) -> None:
        self.codes = np.asarray(codes, dtype=float)
        self.radius = radius

    def project(self, Z: np.ndarray) -> np.ndarray:
        Z = np.asarray(Z, dtype=float)
        if self.radius is None:
            return Z
        nearest, distance = nearest_code_distance(Z, self.codes)
        centre = self.codes[nearest]
        far = distance > self.radius
        shrink = np.where(far, self.radius / np.where(far, distance, 1.0), 1.0)
        return centre + (Z - centre) * shrink[:, None]

    @staticmethod
    def typical_radius(codes: np.ndarray, rng: np.random.Generator, size: int = 1000) -> float:
        """The median distance from a pool code to its nearest other one (on ``size`` codes)."""
        picked = codes[rng.choice(len(codes), min(size, len(codes)), replace=False)]
        squared = ((picked[:, None, :] - picked[None, :, :]) ** 2).sum(-1)
        np.fill_diagonal(squared, np.inf)
        return float(np.median(np.sqrt(squared.min(axis=1))))


class LatentSearch(Synthesiser):
    """GAAL-style: optimise latent codes to maximise a strategy's score through the decoder.

    Parameters
    ----------
    generator : "vae" or object
        ``"vae"`` trains a :class:`~activelab.models.vae.VAE` (torch) on the unlabeled
        data; or any object with ``fit(X)``, ``encode(X)`` and ``decode(Z)`` (and
        ``decode_tensor(z)`` for the gradient search).
    strategy : str, ScoringStrategy or callable
        The score to maximise (see :func:`~activelab.scenarios.synthesisers.strategy_scores`).
    n_starts : int
        Codes searched per proposal (at least the number of points asked for); they start
        at the pool items, of ``n_candidates`` drawn, that the strategy scores highest.
    n_steps, step_size : the search's iterations and its step in latent units (Adam's
        learning rate for the gradient search, the initial mutation scale otherwise).
    population : int
        Mutations per code per step of the derivative-free search.
    radius : float, "auto" or None
        The realism guard's bound on the distance to the nearest encoded pool item;
        ``"auto"`` is the median distance between neighbouring pool codes; ``None``: no guard.
    search : {"auto", "gradient", "random"}
        ``"auto"`` takes the gradient when the model and strategy allow it.
    refit : bool
        ``False`` keeps a generator that is already trained (:meth:`fit` then only encodes).

    After :meth:`propose`, ``start_codes_``, ``start_scores_``, ``found_codes_`` and
    ``found_scores_`` hold the search's starts and results, and ``last_codes_`` the codes
    of the proposed points; ``last_search_`` says which search ran.
    """

    def __init__(self, generator: Any = "vae", strategy: Any = "margin", n_starts: int = 8,
                 n_steps: int = 30, step_size: float = 0.3, population: int = 16,
                 radius: Any = "auto", search: str = "auto", n_candidates: int = 256,
                 refit: bool = True) -> None:
        self.generator = generator
        self.strategy = strategy
        self.n_starts = n_starts
        self.n_steps = n_steps
        self.step_size = step_size
        self.population = population
        self.radius = radius
        self.search = search
        self.n_candidates = n_candidates
        self.refit = refit

    _PARAMS = ("generator", "strategy", "n_starts", "n_steps", "step_size", "population",
               "radius", "search", "n_candidates", "refit")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(" + ", ".join(
            f"{k}={getattr(self, k)!r}" for k in self._PARAMS) + ")"

    def fit(self, X_unlabeled: np.ndarray) -> LatentSearch:
        X_unlabeled = np.asarray(X_unlabeled, dtype=float)
        if X_unlabeled.ndim != 2 or len(X_unlabeled) < 2:
            raise ActiveLabError("LatentSearch.fit needs at least two unlabeled rows (2-D)")
        if self.search not in ("auto", "gradient", "random"):
            raise ActiveLabError(f"search must be 'auto', 'gradient' or 'random'; got {self.search!r}")
        self.generator_ = latent_codec(self.generator)
        try:
            if self.refit:
                self.generator_.fit(X_unlabeled)
            self.codes_ = np.asarray(self.generator_.encode(X_unlabeled), dtype=float)
        except ActiveLabError:
            raise
        except Exception as err:
            raise ActiveLabError(f"the generator could not fit the data: {first_line(err)}") from err
        rng = np.random.default_rng(0)
        if self.radius == "auto":
            self.radius_ = LatentGuard.typical_radius(self.codes_, rng)
        elif self.radius is None:
            self.radius_ = None
        elif isinstance(self.radius, (int, float)) and not isinstance(self.radius, bool) \
                and self.radius > 0:
            self.radius_ = float(self.radius)
        else:
            raise ActiveLabError(f"radius must be a positive number, 'auto' or None; got {self.radius!r}")
        self.guard_ = LatentGuard(self.codes_, self.radius_)
        return self

    def uses_gradient(self, model: Any) -> bool:
        """Whether the search for ``model`` runs by gradient (see ``search``)."""
        possible = (callable(getattr(model, "proba_tensor", None))
                    and callable(getattr(self.generator_, "decode_tensor", None))
                    and isinstance(self.strategy, str) and self.strategy in DIFFERENTIABLE_SCORES)
        if self.search == "gradient" and not possible:
            raise ActiveLabError(
                "search='gradient' needs a torch model with proba_tensor (TorchClassifier), a "
                "generator with decode_tensor (VAE) and a strategy of "
                f"{', '.join(DIFFERENTIABLE_SCORES)}; use search='random' otherwise")
        return possible and self.search != "random"

    def propose(self, model: Any, X: np.ndarray, y: np.ndarray, space: InputSpace, n: int,
                rng: np.random.Generator) -> np.ndarray:
        if not hasattr(self, "codes_"):
            raise ActiveLabError("call LatentSearch.fit(X_unlabeled) before proposing")
        n_starts = max(check_int(self.n_starts, "n_starts"), n)
        drawn = self.codes_[rng.choice(len(self.codes_), min(len(self.codes_),
                            max(check_int(self.n_candidates, "n_candidates"), n_starts)),
                            replace=False)]
        if len(np.unique(y)) < 2:
            return self._choose(drawn, np.zeros(len(drawn)), X, space, n, rng)
        scores = self._scores(model, drawn, rng)
        top = np.argsort(-scores, kind="stable")[:n_starts]
        self.start_codes_, self.start_scores_ = drawn[top], scores[top]
        if self.uses_gradient(model):
            self.last_search_ = "gradient"
            found, found_scores = self._gradient_search(model, self.start_codes_)
        else:
            self.last_search_ = "random"
            found, found_scores = self._random_search(model, self.start_codes_,
                                                      self.start_scores_, rng)
        self.found_codes_, self.found_scores_ = found, found_scores
        return self._choose(found, found_scores, X, space, n, rng)

    def _scores(self, model: Any, Z: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return strategy_scores(self.strategy, model, self.generator_.decode(Z), rng)

    def _random_search(self, model: Any, Z: np.ndarray, scores: np.ndarray,
                       rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """A (1+λ) evolution strategy per code: keep the best mutation if it scores higher;
        widen the mutations after a success, narrow them after a failure."""
        best, best_scores = Z.copy(), scores.copy()
        k, d = Z.shape
        pop = check_int(self.population, "population")
        sigma = np.full(k, float(self.step_size))
        for _ in range(check_int(self.n_steps, "n_steps", minimum=0)):
            trial = best[:, None, :] + sigma[:, None, None] * rng.standard_normal((k, pop, d))
            trial = self.guard_.project(trial.reshape(k * pop, d)).reshape(k, pop, d)
            trial_scores = self._scores(model, trial.reshape(k * pop, d), rng).reshape(k, pop)
            winner = trial_scores.argmax(axis=1)
            improved = trial_scores[np.arange(k), winner] > best_scores
            best[improved] = trial[np.arange(k), winner][improved]
            best_scores[improved] = trial_scores[np.arange(k), winner][improved]
            sigma = np.where(improved, sigma * 1.5, sigma * 0.7)
        return best, best_scores

    def _gradient_search(self, model: Any, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Adam on the codes, ascending the differentiable score; the guard projects after
        every step, and each code's best point along the way is kept."""
        import torch

        z = torch.tensor(Z, dtype=torch.float32, requires_grad=True)
        optimizer = torch.optim.Adam([z], lr=float(self.step_size))
        best = Z.copy()
        best_scores = np.full(len(Z), -np.inf)
        for step in range(check_int(self.n_steps, "n_steps", minimum=0) + 1):
            score = _torch_score(self.strategy, model.proba_tensor(self.generator_.decode_tensor(z)))
            values = score.detach().double().numpy()
            better = values > best_scores
            best[better] = z.detach().double().numpy()[better]
            best_scores[better] = values[better]
            if step == self.n_steps:
                break
            optimizer.zero_grad()
            (-score.sum()).backward()
            optimizer.step()
            with torch.no_grad():
                z.copy_(torch.as_tensor(self.guard_.project(z.double().numpy())))
        return best, best_scores

    def _choose(self, Z: np.ndarray, scores: np.ndarray, X: np.ndarray, space: InputSpace,
                n: int, rng: np.random.Generator) -> np.ndarray:
        """The best-scoring decoded points that are valid and not asked before."""
        points = space.project(self.generator_.decode(Z))
        valid = space.is_valid(points)
        seen = {row.tobytes() for row in np.asarray(X, dtype=float)}
        chosen = []
        for i in np.argsort(-scores, kind="stable"):
            key = points[i].tobytes()
            if valid[i] and key not in seen:
                seen.add(key)
                chosen.append(i)
            if len(chosen) == n:
                break
        self.last_codes_ = Z[chosen]
        picked = points[chosen]
        if len(picked) < n:
            picked = np.vstack([picked, space.sample(n - len(picked), rng)])
        return picked


def _torch_score(name: str, proba: Any) -> Any:
    """The differentiable form of the uncertainty scores (higher: more informative)."""
    import torch

    if name == "margin":
        top = proba.topk(2, dim=1).values
        return -(top[:, 0] - top[:, 1])
    if name == "entropy":
        return -(proba * torch.log(proba.clamp_min(1e-12))).sum(1)
    return 1.0 - proba.max(dim=1).values
