"""RBF kernels between item rows, and the mean criterion for their bandwidth.

What the Parzen window classifier (:mod:`activelab.models.parzen`) and the probabilistic
active learning strategies (:mod:`activelab.strategies.probabilistic`) share.

>>> import numpy as np
>>> rbf_kernel_matrix(np.array([[0.0], [1.0]]), np.array([[0.0]]), gamma=1.0).round(3).tolist()
[[1.0], [0.368]]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = ["MEAN_CRITERION_DELTA", "mean_bandwidth_gamma", "rbf_kernel_matrix"]

#: The ``delta`` of the mean criterion (Chaudhuri et al., 2017), as scikit-activeml uses it.
MEAN_CRITERION_DELTA = math.sqrt(2) * 1e-6


def mean_bandwidth_gamma(X: Any, n_labeled: int | None = None) -> float:
    """The RBF ``gamma`` of the mean criterion for the kernel bandwidth.

    Chaudhuri, Kakde, Sadek, Gonzalez & Kong, 2017 ("The mean and median criteria for
    kernel bandwidth selection for support vector data description", ICDM workshops):
    ``s^2 = 2 N sum_j var_j / ((N - 1) log((N - 1) / delta^2))`` and ``gamma = 1 / (2 s^2)``,
    with ``N = max(2, n_labeled)`` (default: the rows of ``X``) and ``var_j`` the variance
    of feature ``j`` over ``X``. With no spread at all it falls back to ``1 / n_features``.

    >>> round(mean_bandwidth_gamma(np.array([[0.0], [2.0]])), 3)
    3.367
    """
    n_rows, n_features = X.shape
    n = max(2, n_rows if n_labeled is None else int(n_labeled))
    if sp.issparse(X):
        X = sp.csr_matrix(X, dtype=np.float64)
        mean = np.asarray(X.mean(axis=0)).ravel()
        total_variance = float(np.asarray(X.multiply(X).mean(axis=0)).ravel().sum() - mean @ mean)
    else:
        total_variance = float(np.var(np.asarray(X, dtype=float), axis=0).sum())
    if total_variance <= 0:
        return 1.0 / n_features
    return 0.25 * (n - 1) * math.log((n - 1) / MEAN_CRITERION_DELTA**2) / (n * total_variance)


def rbf_kernel_matrix(A: Any, B: Any, gamma: float) -> np.ndarray:
    """``exp(-gamma ||a - b||^2)`` for every row ``a`` of ``A`` and ``b`` of ``B`` (dense or CSR)."""
    if sp.issparse(A) or sp.issparse(B):
        from sklearn.metrics.pairwise import rbf_kernel

        return rbf_kernel(A, B, gamma=gamma)
    A, B = np.asarray(A, dtype=float), np.asarray(B, dtype=float)
    squared = (A * A).sum(1)[:, None] - 2 * A @ B.T + (B * B).sum(1)[None, :]
    return np.exp(-gamma * np.maximum(squared, 0.0))
