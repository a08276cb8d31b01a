"""What the diversity strategies share: the space they measure distances in.

Diversity, batch-mode and cold-start strategies (:mod:`~activelab.strategies.diversity`,
:mod:`~activelab.strategies.greedy_regression`, :mod:`~activelab.strategies.cold_start`)
measure Euclidean distances between embeddings: ``model.embed(items)`` when the model
has it, else the items' numeric features (:meth:`ModelOutputs.embeddings`).

>>> import numpy as np
>>> closeness_to_mean(np.array([[0.0], [1.0], [2.0]])).tolist()
[-1.0, -0.0, -1.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from ..outputs import ModelOutputs
from ..selection.neighbors import DEFAULT_DISTANCE_CHUNK

__all__ = ["ANY_MODEL", "REGRESSORS", "closeness_to_mean"]

ANY_MODEL = (
    "proba", "decision", "ensemble", "regressor", "regressor_std", "ensemble_regressor",
    "multilabel",
)
REGRESSORS = ("regressor", "regressor_std", "ensemble_regressor")


def closeness_to_mean(X: Any, chunk_size: int = DEFAULT_DISTANCE_CHUNK) -> np.ndarray:
    """``-||x - mean||^2`` per row: the most central row scores highest. ``O(n * dim)``."""
    n = X.shape[0]
    if sp.issparse(X):
        X = sp.csr_matrix(X, dtype=np.float64)
        mean = np.asarray(X.mean(axis=0)).ravel()
        sq = np.asarray(X.multiply(X).sum(axis=1)).ravel()
        return -np.maximum(sq - 2 * (X @ mean) + mean @ mean, 0)
    X = np.asarray(X, dtype=np.float64).reshape(n, -1)
    mean = X.mean(axis=0)
    out = np.empty(n)
    for start in range(0, n, chunk_size):
        out[start : start + chunk_size] = -((X[start : start + chunk_size] - mean) ** 2).sum(1)
    return out


def _labeled_embeddings(outputs: ModelOutputs) -> Any:
    return outputs.embeddings("labeled") if outputs.pool.n_labeled else None


def _stack(candidates: Any, labeled: Any) -> Any:
    if labeled is None:
        return candidates
    if sp.issparse(candidates) or sp.issparse(labeled):
        return sp.vstack([sp.csr_matrix(candidates), sp.csr_matrix(labeled)], format="csr")
    return np.vstack([candidates, labeled])
