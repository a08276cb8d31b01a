"""Distances for selectors: running minimum distances in float32 blocks, nearest
neighbours and radius pairs, with an optional faiss backend.

Distance work runs in blocks of at most ``chunk_size ** 2`` distances (tall blocks: many
rows against few centres), so nothing builds a ``batch x pool`` or ``pool x pool`` array.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from ..errors import ActiveLabError
from ..validation import check_int
from .metrics import (
    check_metric,
    key_to_distance,
    manhattan_block,
    prepare_rows,
    row_key_norms,
    uses_dot_products,
)

if TYPE_CHECKING:
    pass


#: Rows (and columns) of one block of pairwise distances: 16 MiB in float32.
DEFAULT_DISTANCE_CHUNK = 2048


def _as_rows(X: Any) -> np.ndarray | sp.csr_matrix:
    """``X`` as float32 rows: a C-contiguous array or a CSR matrix."""
    if sp.issparse(X):
        return sp.csr_matrix(X, dtype=np.float32)
    X = np.asarray(X)
    if X.ndim != 2:
        X = X.reshape(len(X), -1)
    return np.ascontiguousarray(X, dtype=np.float32)


def _row_sq_norms(X: np.ndarray | sp.csr_matrix) -> np.ndarray:
    if sp.issparse(X):
        return np.asarray(X.multiply(X).sum(axis=1), dtype=X.dtype).ravel()
    return np.einsum("ij,ij->i", X, X)


def _sq_distances(
    A: np.ndarray | sp.csr_matrix, a_sq: np.ndarray, B: np.ndarray | sp.csr_matrix, b_sq: np.ndarray
) -> np.ndarray:
    """Squared Euclidean distances of one block, ``||a||^2 + ||b||^2 - 2 a.b``, clipped at 0."""
    block = A @ B.T
    block = block.toarray() if sp.issparse(block) else block
    block *= -2
    block += a_sq[:, None]
    block += b_sq[None, :]
    return np.maximum(block, 0, out=block)


def _nearest_sq(
    A: np.ndarray | sp.csr_matrix,
    a_sq: np.ndarray,
    B_times_minus_2: np.ndarray | sp.csr_matrix,
    b_sq: np.ndarray,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Per row of ``A``, the squared distance to its nearest row of ``B``, clipped at 0.

    ``min_b (||b||^2 - 2 a.b) + ||a||^2``: one GEMM (a GEMV for one row of ``B``) and
    two passes over the ``len(A) x len(B)`` block; ``out`` (dense rows, one row of ``B``)
    receives the GEMV so a greedy step allocates nothing.
    """
    if out is not None and not sp.issparse(A) and B_times_minus_2.shape[0] == 1:
        nearest = np.dot(A, B_times_minus_2[0], out=out[: A.shape[0]])
        nearest += b_sq[0]
    else:
        block = A @ B_times_minus_2.T
        block = block.toarray() if sp.issparse(block) else np.asarray(block)
        block += b_sq[None, :]
        nearest = block[:, 0] if block.shape[1] == 1 else block.min(axis=1)
    nearest += a_sq
    return np.maximum(nearest, 0, out=nearest)


class RunningMinDistance:
    """Distance from each row of ``X`` to its nearest centre, kept as a running minimum.

    Starts with the rows of ``centres`` (none if ``None`` or empty) and takes more
    centres one at a time with :meth:`add` (a row of ``X``, by position). ``metric`` is
    ``"euclidean"`` (default), ``"cosine"`` or ``"manhattan"``
    (:mod:`activelab.selection.metrics`); :attr:`min_sq` holds the running minimum of
    the metric's key (the squared distance for Euclidean) and :meth:`distances` the
    distances. Works in float32, on dense or CSR rows, in blocks of at most
    ``chunk_size ** 2`` distances (16 MiB of float32 at the default): tall blocks of
    rows against at most ``chunk_size`` centres, so each added centre is one
    matrix-vector product (Euclidean, cosine) or one ``cdist`` column (Manhattan) over
    up to ``chunk_size ** 2`` rows and an in-place ``np.minimum``. Dense rows are first
    shifted by their mean rounded to integers (not for cosine), which keeps
    ``||a||^2 + ||b||^2 - 2 a.b`` accurate far from the origin and integer data exact (so
    exact ties stay ties). Memory beyond the rows: that shifted float32 copy of dense rows
    (for CSR rows, a normalised copy with cosine), ``O(n)`` vectors and one block.

    >>> import numpy as np
    >>> running = RunningMinDistance(np.array([[0.0], [3.0], [5.0]]), np.array([[1.0]]))
    >>> running.distances()
    array([1., 2., 4.])
    >>> running.add(2)
    >>> running.distances()
    array([1., 2., 0.])
    """

    def __init__(
        self, X: Any, centres: Any = None, chunk_size: int = DEFAULT_DISTANCE_CHUNK,
        metric: str = "euclidean",
    ) -> None:
        self.chunk_size = check_int(chunk_size, "chunk_size")
        self.metric = check_metric(metric)
        X = prepare_rows(X, metric)
        has_centres = centres is not None and np.shape(centres)[0] > 0
        C = prepare_rows(centres, metric) if has_centres else None
        if C is not None and C.shape[1] != X.shape[1]:
            raise ActiveLabError(
                f"the centres have {C.shape[1]} dimensions and the rows {X.shape[1]}; "
                "embed both the same way"
            )
        if not sp.issparse(X) and len(X) and metric != "cosine":
            shift = np.round(X.mean(axis=0, dtype=np.float64)).astype(np.float32)
            X = X - shift
            if C is not None:
                C = C - shift
        self._X = X
        self._sq = row_key_norms(X, metric)
        self._buffer: np.ndarray | None = None
        self.min_sq = np.full(X.shape[0], np.inf, dtype=np.float32)
        self.n_centres = 0
        if C is not None:
            self._update(C, row_key_norms(C, metric))
            self.n_centres = C.shape[0]

    def _update(self, C: np.ndarray | sp.csr_matrix, c_sq: np.ndarray) -> None:
        budget = self.chunk_size**2
        cols = min(C.shape[0], self.chunk_size)
        rows = max(1, budget // cols)
        dot = uses_dot_products(self.metric)
        if dot and cols == 1 and not sp.issparse(self._X) and self._buffer is None:
            self._buffer = np.empty(min(rows, self._X.shape[0]), dtype=np.float32)
        for c_start in range(0, C.shape[0], cols):
            centres = C[c_start : c_start + cols] * np.float32(-2 if dot else 1)
            centre_sq = c_sq[c_start : c_start + cols]
            for start in range(0, self._X.shape[0], rows):
                part = slice(start, start + rows)
                current = self.min_sq[part]
                if dot:
                    nearest = _nearest_sq(
                        self._X[part], self._sq[part], centres, centre_sq,
                        self._buffer if cols == 1 else None,
                    )
                else:
                    nearest = manhattan_block(self._X[part], centres).min(axis=1)
                np.minimum(current, nearest, out=current)

    def add(self, position: int) -> None:
        """Make row ``position`` of ``X`` a centre too."""
        position = int(position)
        self._update(self._X[position : position + 1], self._sq[position : position + 1])
        self.n_centres += 1

    def to_distance(self, key: np.ndarray) -> np.ndarray:
        """Distances from values of :attr:`min_sq` (float64)."""
        return key_to_distance(key, self.metric)

    def distances(self) -> np.ndarray:
        """Distance of each row to its nearest centre; ``inf`` with no centres."""
        return self.to_distance(self.min_sq)


#: Where nearest-neighbour work runs: ``"auto"`` (faiss when installed and the rows are
#: dense, else NumPy), ``"numpy"`` or ``"faiss"``.
BACKENDS = ("auto", "numpy", "faiss")


def use_faiss(backend: str, *arrays: Any) -> bool:
    """Whether ``backend`` resolves to faiss for these rows; refuses an unknown backend.

    ``"faiss"`` needs faiss installed and dense rows (a clear error otherwise);
    ``"auto"`` picks faiss only when both hold.
    """
    if backend not in BACKENDS:
        raise ActiveLabError(f"backend must be 'auto', 'numpy' or 'faiss'; got {backend!r}")
    dense = not any(sp.issparse(a) for a in arrays)
    if backend == "numpy":
        return False
    if backend == "auto":
        return dense and _faiss() is not None
    if _faiss() is None:
        raise ActiveLabError("backend='faiss' needs faiss: pip install 'activelab[faiss]'")
    if not dense:
        raise ActiveLabError("backend='faiss' needs dense rows; use backend='numpy' for sparse ones")
    return True


def nearest_distances(
    X: Any,
    reference: Any,
    n_neighbors: int,
    chunk_size: int = DEFAULT_DISTANCE_CHUNK // 2,
    backend: str = "numpy",
    metric: str = "euclidean",
) -> np.ndarray:
    """Distances from each row of ``X`` to its ``n_neighbors`` nearest rows of ``reference``.

    Ascending, one row per row of ``X``; a row that is also in ``reference`` finds itself
    at distance 0. Computed in float64 on dense rows shifted by the mean of
    ``reference`` (or on CSR rows), in blocks of ``chunk_size x chunk_size``, keeping
    the ``n_neighbors`` smallest per row: ``O(len(X) * n_neighbors)`` memory. ``metric``
    is ``"euclidean"``, ``"cosine"`` or ``"manhattan"`` (:mod:`activelab.selection.metrics`).

    ``backend="faiss"`` finds the neighbours with faiss (``IndexFlatL2``, exact search in
    float32, multi-threaded; ``pip install 'activelab[faiss]'``) on dense rows and then
    recomputes their distances in float64, so they agree with the NumPy path except
    where float32 rounding reorders near-ties. ``"auto"`` uses faiss when it is
    installed, the rows are dense and the metric is Euclidean, NumPy otherwise.

    >>> nearest_distances(np.array([[0.0], [4.0]]), np.array([[1.0], [3.0], [9.0]]), 2)
    array([[1., 3.],
           [1., 3.]])
    """
    n_neighbors = check_int(n_neighbors, "n_neighbors")
    metric = check_metric(metric)
    if metric != "euclidean" and backend == "faiss":
        raise ActiveLabError(f"backend='faiss' measures Euclidean distances; got metric={metric!r}")
    if metric == "euclidean" and use_faiss(backend, X, reference):
        return faiss_neighbors(X, reference, n_neighbors, chunk_size)[0]
    use_faiss(backend)  # refuses an unknown backend
    sparse = sp.issparse(X) or sp.issparse(reference)
    X = prepare_rows(sp.csr_matrix(X) if sparse else X, metric, np.float64)
    reference = prepare_rows(sp.csr_matrix(reference) if sparse else reference, metric, np.float64)
    if not sparse and metric != "cosine":
        shift = reference.mean(axis=0)
        X, reference = X - shift, reference - shift
    if n_neighbors > reference.shape[0]:
        raise ActiveLabError(
            f"asked for {n_neighbors} nearest neighbours among {reference.shape[0]} rows"
        )
    x_sq, r_sq = row_key_norms(X, metric), row_key_norms(reference, metric)
    out = np.empty((X.shape[0], n_neighbors))
    for start in range(0, X.shape[0], chunk_size):
        rows = slice(start, start + chunk_size)
        best = np.empty((len(x_sq[rows]), 0))
        for c_start in range(0, reference.shape[0], chunk_size):
            cols = slice(c_start, c_start + chunk_size)
            if uses_dot_products(metric):
                block = _sq_distances(X[rows], x_sq[rows], reference[cols], r_sq[cols])
            else:
                block = manhattan_block(X[rows], reference[cols])
            best = np.concatenate([best, block], axis=1)
            if best.shape[1] > n_neighbors:
                best = np.partition(best, n_neighbors - 1, axis=1)[:, :n_neighbors]
        out[rows] = key_to_distance(np.sort(best, axis=1), metric)
    return out


def _faiss() -> Any:
    try:
        import faiss
    except ImportError:
        return None
    return faiss


def _pair_distances(X: np.ndarray, reference: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Float64 distances between ``X[rows]`` and ``reference[cols]`` (equal-length index arrays)."""
    out = np.empty(len(rows))
    step = 1 << 16
    for start in range(0, len(rows), step):
        part = slice(start, start + step)
        diff = np.asarray(X[rows[part]], dtype=np.float64) - reference[cols[part]]
        out[part] = np.sqrt(np.einsum("ij,ij->i", diff, diff))
    return out


def faiss_neighbors(
    X: Any, reference: Any, n_neighbors: int, chunk_size: int = DEFAULT_DISTANCE_CHUNK // 2
) -> tuple[np.ndarray, np.ndarray]:
    """Distances and positions in ``reference`` of each row's ``n_neighbors`` nearest rows.

    Found with faiss's exact flat index in float32, ``chunk_size`` rows at a time; the
    distances are then recomputed in float64 and each row's neighbours sorted by them
    (ties by position). Dense rows only; ``O(len(X) * n_neighbors)`` memory beyond the
    index (a float32 copy of ``reference``).
    """
    faiss = _faiss()
    if faiss is None:
        raise ActiveLabError("backend='faiss' needs faiss: pip install 'activelab[faiss]'")
    reference = np.asarray(reference, dtype=np.float64).reshape(np.shape(reference)[0], -1)
    if n_neighbors > reference.shape[0]:
        raise ActiveLabError(
            f"asked for {n_neighbors} nearest neighbours among {reference.shape[0]} rows"
        )
    shift = reference.mean(axis=0)
    reference = reference - shift
    index = faiss.IndexFlatL2(reference.shape[1])
    index.add(np.ascontiguousarray(reference, dtype=np.float32))
    X = np.asarray(X, dtype=np.float64).reshape(np.shape(X)[0], -1)
    distances = np.empty((X.shape[0], n_neighbors))
    positions = np.empty((X.shape[0], n_neighbors), dtype=np.int64)
    for start in range(0, X.shape[0], chunk_size):
        rows = X[start : start + chunk_size] - shift
        _, found = index.search(np.ascontiguousarray(rows, dtype=np.float32), n_neighbors)
        exact = _pair_distances(
            rows, reference, np.repeat(np.arange(len(rows)), n_neighbors), found.ravel()
        ).reshape(found.shape)
        order = _row_order(exact, found)
        distances[start : start + len(rows)] = np.take_along_axis(exact, order, axis=1)
        positions[start : start + len(rows)] = np.take_along_axis(found, order, axis=1)
    return distances, positions


def _row_order(values: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Per row, the order that sorts ``values`` ascending, ties by ``positions``."""
    by_position = np.argsort(positions, axis=1, kind="stable")
    by_value = np.argsort(np.take_along_axis(values, by_position, axis=1), axis=1, kind="stable")
    return np.take_along_axis(by_position, by_value, axis=1)


def faiss_radius_pairs(X: Any, radius: float, chunk_size: int = DEFAULT_DISTANCE_CHUNK) -> sp.csr_matrix:
    """Which rows of ``X`` lie within ``radius`` of each row (itself included), as 0/1 CSR.

    faiss's exact range search in float32 with a radius widened by float32's error bound
    finds the candidates; their distances are then checked in float64 against ``radius``
    (``<=``, as scikit-learn's ``radius_neighbors``). Dense rows only.
    """
    faiss = _faiss()
    if faiss is None:
        raise ActiveLabError("backend='faiss' needs faiss: pip install 'activelab[faiss]'")
    X = np.asarray(X, dtype=np.float64).reshape(np.shape(X)[0], -1)
    X = X - X.mean(axis=0)
    n = X.shape[0]
    index = faiss.IndexFlatL2(X.shape[1])
    index.add(np.ascontiguousarray(X, dtype=np.float32))
    scale = float(np.sqrt(np.einsum("ij,ij->i", X, X).max())) if n else 0.0
    # float32 squared distances err by about dim * eps32 * (||a|| + ||b||)^2: search wider.
    search_sq = radius**2 * (1 + 1e-5) + 1e-5 * X.shape[1] * 4 * scale**2 + 1e-30
    index_dtype = np.int32 if n < 2**31 else np.int64
    parts, lengths = [], []
    for start in range(0, n, chunk_size):
        rows = X[start : start + chunk_size]
        lims, _, found = index.range_search(
            np.ascontiguousarray(rows, dtype=np.float32), float(search_sq)
        )
        owner = np.repeat(np.arange(len(rows)), np.diff(lims.astype(np.int64)))
        found = found.astype(np.int64)
        keep = _pair_distances(rows, X, owner, found) <= radius
        found, owner = found[keep], owner[keep]
        order = np.lexsort((found, owner))
        lengths.append(np.bincount(owner, minlength=len(rows)))
        parts.append(found[order].astype(index_dtype, copy=False))
    indices = np.concatenate(parts) if parts else np.empty(0, dtype=index_dtype)
    counts = np.concatenate(lengths) if lengths else np.empty(0, dtype=np.int64)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return sp.csr_matrix((np.ones(len(indices), dtype=np.int8), indices, indptr), shape=(n, n))


