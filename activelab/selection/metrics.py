"""The distances selectors measure in: ``"euclidean"``, ``"cosine"`` or ``"manhattan"``.

Every distance-based selector (k-center greedy, ranked batch, cluster-margin, k-means,
the nearest-neighbour searches) takes ``metric=`` and works through these helpers, so
they agree on what a distance is:

* ``"euclidean"`` — ``||a - b||``, computed as ``||a||^2 + ||b||^2 - 2 a.b`` in BLAS;
* ``"cosine"`` — ``1 - a.b / (||a|| ||b||)``, computed as half the squared Euclidean
  distance between the L2-normalised rows (one BLAS product, and sparse rows stay
  sparse). A row of zeros has no direction: it is at distance 1 from every row, as in
  scikit-learn's ``cosine_distances``;
* ``"manhattan"`` — ``sum |a - b|``, computed block by block (SciPy's ``cdist`` on dense
  rows, scikit-learn's ``manhattan_distances`` on sparse ones).

Work keeps a *key* per pair that orders like the distance (the squared distance for
Euclidean, twice the cosine distance for cosine, the distance for Manhattan);
:func:`key_to_distance` turns keys into distances.

>>> import numpy as np
>>> key_to_distance(np.array([4.0, 0.5]), "euclidean"), key_to_distance(np.array([0.5]), "cosine")
(array([2.        , 0.70710678]), array([0.25]))
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import ActiveLabError

__all__ = [
    "METRICS",
    "check_metric",
    "key_to_distance",
    "manhattan_block",
    "prepare_rows",
    "row_key_norms",
    "uses_dot_products",
]

METRICS = ("euclidean", "cosine", "manhattan")


def check_metric(metric: Any, allowed: tuple[str, ...] = METRICS) -> str:
    """``metric`` if it is one of ``allowed``, else a clear error."""
    if not isinstance(metric, str) or metric not in allowed:
        raise ActiveLabError(f"metric must be one of {', '.join(allowed)}; got {metric!r}")
    return metric


def uses_dot_products(metric: str) -> bool:
    """Whether keys come from ``||a||^2 + ||b||^2 - 2 a.b`` (Euclidean and cosine)."""
    return metric != "manhattan"


def prepare_rows(X: Any, metric: str, dtype: Any = np.float32) -> np.ndarray | sp.csr_matrix:
    """``X`` as C-contiguous ``dtype`` rows or CSR; L2-normalised rows for cosine.

    Sparse rows stay sparse (normalising costs ``O(nnz)``); rows of zeros stay zeros.
    """
    if sp.issparse(X):
        rows: Any = sp.csr_matrix(X, dtype=dtype)
    else:
        rows = np.asarray(X)
        rows = np.ascontiguousarray(rows.reshape(len(rows), -1), dtype=dtype)
    if metric == "cosine":
        from sklearn.preprocessing import normalize

        rows = normalize(rows, norm="l2", copy=True)
    return rows


def row_key_norms(X: np.ndarray | sp.csr_matrix, metric: str) -> np.ndarray:
    """The ``||x||^2`` term of the dot-product formula: ones for cosine (zero rows too,
    which puts them at cosine distance 1 from everything)."""
    if metric == "cosine":
        return np.ones(X.shape[0], dtype=X.dtype)
    if sp.issparse(X):
        return np.asarray(X.multiply(X).sum(axis=1), dtype=X.dtype).ravel()
    return np.einsum("ij,ij->i", X, X)


def key_to_distance(key: np.ndarray, metric: str) -> np.ndarray:
    """Distances from keys (float64)."""
    key = np.asarray(key, dtype=np.float64)
    if metric == "euclidean":
        return np.sqrt(key)
    if metric == "cosine":
        return key / 2.0
    return key


def manhattan_block(A: Any, B: Any) -> np.ndarray:
    """``sum |a - b|`` for every row of ``A`` against every row of ``B``, dense result."""
    if sp.issparse(A) or sp.issparse(B):
        from sklearn.metrics.pairwise import manhattan_distances

        return np.asarray(manhattan_distances(sp.csr_matrix(A), sp.csr_matrix(B)))
    from scipy.spatial.distance import cdist

    return cdist(A, B, "cityblock")
