"""Noisy oracles: true labels with symmetric, class-conditional or instance-dependent noise.

* :class:`NoisyOracle` — true labels with noise: symmetric (``noise=0.2``),
  class-conditional (``transition[k, l] = P(answer l | truth k)``), or instance-dependent
  (``flip_rate``: one error probability per item, e.g. from :func:`noise_near_boundary`);
* the noise helpers that :mod:`~activelab.oracles.panel`'s simulated annotators share.

>>> import numpy as np
>>> oracle = NoisyOracle([0, 1, 1, 0], noise=0.0, random_state=0)
>>> oracle.label([1, 3]).labels.tolist()
[1, 0]
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ActiveLabError
from ..pool import IdIndex
from ..validation import check_random_state
from .base import Answers, LabelRequest

__all__ = ["NoisyOracle", "noise_near_boundary"]


def _check_probability(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not 0 <= value <= 1:
        raise ActiveLabError(f"{name} must be a probability between 0 and 1; got {value!r}")
    return float(value)


def _check_transition(matrix: Any, n_classes: int, who: str) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=float)
    if matrix.shape != (n_classes, n_classes):
        raise ActiveLabError(
            f"{who} must be a {n_classes}x{n_classes} matrix (one row per true class, in sorted "
            f"class order); got shape {matrix.shape}"
        )
    if (matrix < 0).any() or not np.allclose(matrix.sum(axis=1), 1.0):
        raise ActiveLabError(f"each row of {who} must hold probabilities that sum to 1")
    return matrix


def _symmetric(accuracy: float, n_classes: int) -> np.ndarray:
    """A confusion matrix: right with probability ``accuracy``, else any other class alike."""
    off = (1.0 - accuracy) / max(n_classes - 1, 1)
    matrix = np.full((n_classes, n_classes), off)
    np.fill_diagonal(matrix, accuracy)
    return matrix


def _draw(true_index: np.ndarray, transition: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One answer per item from the rows of ``transition`` picked by the true classes."""
    cumulative = np.cumsum(transition[true_index], axis=1)
    u = rng.random(len(true_index))[:, None]
    return np.minimum((u > cumulative).sum(axis=1), transition.shape[1] - 1)


def _flip(true_index: np.ndarray, rates: np.ndarray, n_classes: int,
          rng: np.random.Generator) -> np.ndarray:
    """Each item's label flipped with its own probability, to any other class alike."""
    wrong = rng.random(len(true_index)) < rates
    shift = rng.integers(1, max(n_classes, 2), size=len(true_index))
    return np.where(wrong, (true_index + shift) % n_classes, true_index)


def noise_near_boundary(X: Any, y: Any, max_noise: float = 0.4, sharpness: float = 2.0,
                        random_state: int = 0) -> np.ndarray:
    """Per-item error rates that grow near the true class boundary (for ``flip_rate``).

    A logistic regression fit on all of ``(X, y)`` stands in for the true boundary; an
    item whose top two class probabilities are ``p1 >= p2`` gets the error rate
    ``max_noise * (1 - (p1 - p2)) ** sharpness``: ``max_noise`` on the boundary, near 0
    far from it — hard items are the ones people get wrong.

    >>> import numpy as np
    >>> X = np.linspace(-3, 3, 7).reshape(-1, 1); y = (X[:, 0] > 0).astype(int)
    >>> rates = noise_near_boundary(X, y)
    >>> bool(rates[3] > rates[0])
    True
    """
    from sklearn.linear_model import LogisticRegression

    _check_probability(max_noise, "max_noise")
    proba = LogisticRegression(max_iter=1000, random_state=random_state).fit(X, y).predict_proba(X)
    top = np.sort(proba, axis=1)[:, ::-1]
    margin = top[:, 0] - top[:, 1]
    return max_noise * (1.0 - margin) ** float(sharpness)

class NoisyOracle:
    """Answers from known labels, with noise; records annotator, cost and time.

    Give exactly one kind of noise:

    * ``noise`` — symmetric: each answer is wrong with this probability, then any other
      class alike;
    * ``transition`` — class-conditional: ``transition[k, l]`` is the probability of
      answering class ``l`` when the truth is class ``k`` (classes in sorted order);
    * ``flip_rate`` — instance-dependent: one error probability per item (an array in id
      order, or ``flip_rate(ids) -> array``), e.g. :func:`noise_near_boundary`.

    Every call draws fresh noise from the oracle's own generator, so asking twice about
    an item may give two answers, and the same ``random_state`` and calls give the same
    answers.

    >>> import numpy as np
    >>> oracle = NoisyOracle(np.zeros(1000, dtype=int).tolist() + [1], noise=0.1, random_state=0)
    >>> float(np.mean(oracle.label(np.arange(1000)).labels != 0)) < 0.15
    True
    """

    def __init__(
        self,
        labels: Sequence[Any] | np.ndarray,
        noise: float | None = None,
        *,
        transition: Any = None,
        flip_rate: Any = None,
        ids: Sequence[Any] | np.ndarray | None = None,
        name: str = "noisy",
        cost_per_label: float = 1.0,
        random_state: Any = None,
    ) -> None:
        self.labels = np.asarray(labels)
        self.noise = noise
        self.transition = transition
        self.flip_rate = flip_rate
        self.ids = ids
        self.name = name
        self.cost_per_label = cost_per_label
        self.random_state = random_state
        given = [x is not None for x in (noise, transition, flip_rate)]
        if sum(given) != 1:
            raise ActiveLabError(
                "give NoisyOracle exactly one kind of noise: noise=0.2 (symmetric), "
                "transition=matrix (class-conditional) or flip_rate=rates (instance-dependent)"
            )
        if self.labels.ndim != 1:
            raise ActiveLabError("NoisyOracle needs one class label per item (a flat sequence)")
        self.classes_, self._true = np.unique(self.labels, return_inverse=True)
        k = len(self.classes_)
        if noise is not None:
            self._transition = _symmetric(1.0 - _check_probability(noise, "noise"), k)
        elif transition is not None:
            self._transition = _check_transition(transition, k, "transition")
        self._index = IdIndex(ids, len(self.labels), owner="oracle's labels")
        if flip_rate is not None and not callable(flip_rate):
            rates = np.asarray(flip_rate, dtype=float)
            if rates.shape != self.labels.shape or not ((rates >= 0) & (rates <= 1)).all():
                raise ActiveLabError(
                    f"flip_rate must hold one probability in [0, 1] per item ({len(self.labels)})"
                )
        self._rng = check_random_state(random_state)

    def label(self, request: LabelRequest | Sequence[Any] | np.ndarray) -> Answers:
        ids = LabelRequest.of(request).ids
        pos = self._index.positions(ids)
        true = self._true[pos]
        k = len(self.classes_)
        if self.flip_rate is None:
            answer = _draw(true, self._transition, self._rng)
        else:
            rates = self.flip_rate(ids) if callable(self.flip_rate) else np.asarray(self.flip_rate)[pos]
            answer = _flip(true, np.clip(np.asarray(rates, dtype=float), 0, 1), k, self._rng)
        now = time.time()
        return Answers(
            ids=ids,
            labels=self.classes_[answer],
            annotator=self.name,
            costs=np.full(len(ids), float(self.cost_per_label)),
            annotators=np.full(len(ids), self.name, dtype=object),
            times=np.full(len(ids), now),
        )
