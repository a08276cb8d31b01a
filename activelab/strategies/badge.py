"""BADGE: diverse, uncertain gradient embeddings (Ash et al., 2020)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..outputs import ModelOutputs
from .base import Query, Strategy
from .registry import register
from .uncertainty import class_probabilities

__all__ = [
    "BADGE",
    "gradient_inputs",
    "gradient_parts",
    "gradient_sq_distances",
    "gradient_sq_norms",
]


def gradient_inputs(outputs: ModelOutputs) -> np.ndarray | sp.csr_matrix:
    """What the model's last linear layer sees for each candidate (without the intercept).

    :meth:`ModelOutputs.embeddings`, the one features rule: ``model.embed(items)`` when
    the model has it; for a scikit-learn ``Pipeline`` the items passed through every
    step but the last; otherwise the features themselves.
    """
    return outputs.embeddings()


def gradient_parts(
    outputs: ModelOutputs,
) -> tuple[np.ndarray, np.ndarray | sp.csr_matrix]:
    """``(p - e_ŷ, x)`` per candidate: the factors of the gradient embedding ``(p - e_ŷ) ⊗ [x, 1]``."""
    residual = np.array(class_probabilities(outputs), dtype=np.float64)
    residual[np.arange(len(residual)), residual.argmax(axis=1)] -= 1.0
    return residual, gradient_inputs(outputs)


def gradient_sq_norms(residual: np.ndarray, X: np.ndarray | sp.csr_matrix) -> np.ndarray:
    """``||g||² = ||r||² (||x||² + 1)`` for every candidate."""
    if sp.issparse(X):
        x_sq = np.asarray(X.multiply(X).sum(axis=1), dtype=np.float64).ravel()
    else:
        x_sq = np.einsum("ij,ij->i", X, X)
    return np.einsum("ij,ij->i", residual, residual) * (x_sq + 1.0)


def gradient_sq_distances(
    residual: np.ndarray, X: np.ndarray | sp.csr_matrix, sq_norms: np.ndarray, i: int
) -> np.ndarray:
    """``||g_a - g_i||²`` for every candidate ``a``, without building any ``g``.

    ``(r_a ⊗ x̃_a)·(r_i ⊗ x̃_i) = (r_a·r_i)(x̃_a·x̃_i)`` with ``x̃ = [x, 1]``; ``O(nnz(X) +
    n·classes)`` time, ``O(n)`` memory. Rounding below 0 is clipped.
    """
    if sp.issparse(X):
        x_dot = np.asarray((X @ X[i].T).todense(), dtype=np.float64).ravel()
    else:
        x_dot = X @ X[i]
    cross = (residual @ residual[i]) * (x_dot + 1.0)
    return np.maximum(sq_norms + sq_norms[i] - 2.0 * cross, 0.0)


@register("badge")
class BADGE(Strategy):
    """Batch Active learning by Diverse Gradient Embeddings (Ash et al., 2020, ICLR).

    The loss gradient of a linear softmax layer with respect to its weights, for the
    label the model predicts, is ``g_x = (p - e_ŷ) ⊗ x̃``: ``p`` the class probabilities,
    ``ŷ = argmax p``, ``x̃`` the layer's input plus a constant 1 for the intercept
    (:func:`gradient_inputs`: the model's ``embed``, a pipeline's transformed items, or
    the features). Its norm measures uncertainty and its direction what the item would
    teach. BADGE seeds k-means++ on the ``g`` s: the first pick has the largest
    ``||g||`` (ties by smaller id); each later pick is drawn with probability
    proportional to ``D²``, its squared distance to the nearest pick so far: one
    ``u = rng.random()``, and the first candidate in id order whose cumulative ``D²``
    exceeds ``u · sum D²``. When every ``D²`` is 0 the smallest id left is taken.
    A pick's score is its ``D²`` when picked (``||g||²`` for the first), made
    non-increasing with ``np.minimum.accumulate``.

    The ``n × (classes·dim)`` embedding is never built:
    ``||g_a - g_b||² = ||r_a||²||x̃_a||² + ||r_b||²||x̃_b||² - 2 (r_a·r_b)(x̃_a·x̃_b)``
    with ``r = p - e_ŷ``, so each pick costs ``O(nnz(X) + n·classes)`` time and the
    running minimum ``O(n)`` memory. Needs ``predict_proba``; a decision-function-only
    model gives pseudo-probabilities (a softmax of its decision values, see
    :func:`~activelab.strategies.uncertainty.class_probabilities`), which keeps the
    geometry but not the exact gradient of its loss.

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from activelab import Pool
    >>> from activelab.strategies.badge import BADGE
    >>> X, y = load_iris(return_X_y=True)
    >>> pool = Pool(X)
    >>> pool.add_labels([0, 50, 100], y[[0, 50, 100]])
    >>> model = LogisticRegression().fit(*pool.labeled_data())
    >>> len(BADGE().query(model, pool, 5, random_state=0).ids)
    5
    """

    def __init__(self) -> None:
        pass

    def select_batch(self, outputs: ModelOutputs, k: int, rng: np.random.Generator) -> Query:
        residual, X = gradient_parts(outputs)
        n = len(outputs)
        g_sq = gradient_sq_norms(residual, X)
        in_id_order = np.argsort(outputs.ids, kind="stable")
        id_rank = np.empty(n, dtype=np.intp)
        id_rank[in_id_order] = np.arange(n)

        tied = np.flatnonzero(g_sq == g_sq.max())
        pick = int(tied[np.argmin(id_rank[tied])])
        picks, scores = [pick], [float(g_sq[pick])]
        nearest = np.full(n, np.inf)
        taken = np.zeros(n, dtype=bool)
        taken[pick] = True
        for _ in range(min(k, n) - 1):
            np.minimum(nearest, gradient_sq_distances(residual, X, g_sq, pick), out=nearest)
            nearest[taken] = 0.0
            pick = _sample_by_weight(nearest, in_id_order, taken, rng)
            taken[pick] = True
            picks.append(pick)
            scores.append(float(nearest[pick]))
        chosen = np.asarray(picks, dtype=np.intp)
        return Query(
            ids=outputs.ids[chosen],
            scores=np.minimum.accumulate(np.asarray(scores, dtype=float)),
        )


def _sample_by_weight(
    weights: np.ndarray, in_id_order: np.ndarray, taken: np.ndarray, rng: np.random.Generator
) -> int:
    """A position drawn with probability proportional to ``weights``, walking in id order.

    With all weights 0, the first position in id order not ``taken``, and no draw.
    """
    ordered = weights[in_id_order]
    cumulative = np.cumsum(ordered)
    if not cumulative[-1] > 0:
        return int(in_id_order[np.flatnonzero(~taken[in_id_order])[0]])
    at = int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))
    return int(in_id_order[min(at, int(np.flatnonzero(ordered > 0)[-1]))])
